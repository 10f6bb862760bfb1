//! NGX: nginx.

use crate::Rule;

pub static RULES: &[&Rule] = &[];
