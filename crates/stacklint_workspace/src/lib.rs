//! Configuration and file discovery.
