//! DJS: Django settings.

use crate::Rule;

pub static RULES: &[&Rule] = &[];
