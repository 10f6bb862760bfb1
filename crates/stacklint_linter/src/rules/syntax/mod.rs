pub mod syn001_parse_error;
pub mod syn003_unused_suppression;
pub mod syn004_unreadable_file;
