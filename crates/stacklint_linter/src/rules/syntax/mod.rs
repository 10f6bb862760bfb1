//! SYN: files that could not be read or parsed, and suppressions that suppress nothing.

use crate::Rule;

pub mod syn001_parse_error;
pub mod syn002_unresolved_include;
pub mod syn003_unused_suppression;
pub mod syn004_unreadable_file;

pub static RULES: &[&Rule] = &[&syn001_parse_error::RULE, &syn002_unresolved_include::RULE, &syn003_unused_suppression::RULE, &syn004_unreadable_file::RULE];
