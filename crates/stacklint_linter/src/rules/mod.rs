//! One module per rule, grouped by family.

pub mod syntax;
