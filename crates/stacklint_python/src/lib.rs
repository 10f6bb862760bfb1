//! Python through tree-sitter.
