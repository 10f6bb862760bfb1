//! CMP: Docker Compose services.

use crate::Rule;

mod common;
pub mod cmp001_datastore_port_published;
pub mod cmp002_no_resource_limits;
pub mod cmp003_depends_on_without_healthcheck;
pub mod cmp004_unpinned_image;

pub static RULES: &[&Rule] = &[&cmp001_datastore_port_published::RULE, &cmp002_no_resource_limits::RULE, &cmp003_depends_on_without_healthcheck::RULE, &cmp004_unpinned_image::RULE];
