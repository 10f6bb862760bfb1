//! GUN: gunicorn, wherever it is configured.

use crate::Rule;

pub static RULES: &[&Rule] = &[];
