//! DKR: Dockerfiles.

use crate::Rule;

pub static RULES: &[&Rule] = &[];
