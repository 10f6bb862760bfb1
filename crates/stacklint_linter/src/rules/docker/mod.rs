//! DKR: Dockerfiles.

use crate::Rule;

mod common;
pub mod dkr001_runserver_in_image;
pub mod dkr002_shell_form_cmd;
pub mod dkr003_runs_as_root;
pub mod dkr004_python_output_buffered;
pub mod dkr005_pip_cache_in_image;
pub mod dkr006_copy_before_dependency_install;
pub mod dkr007_unpinned_base_image;

pub static RULES: &[&Rule] = &[
    &dkr001_runserver_in_image::RULE,
    &dkr002_shell_form_cmd::RULE,
    &dkr003_runs_as_root::RULE,
    &dkr004_python_output_buffered::RULE,
    &dkr005_pip_cache_in_image::RULE,
    &dkr006_copy_before_dependency_install::RULE,
    &dkr007_unpinned_base_image::RULE,
];
