//! DJS: Django settings.

use crate::Rule;

mod common;
mod db;
mod deploy;

pub mod djs001_database_connections_not_reused;
pub mod djs002_persistent_connections_without_health_checks;
pub mod djs003_debug_enabled;
pub mod djs004_insecure_secret_key_fallback;
pub mod djs005_allowed_hosts_wildcard;
pub mod djs006_local_memory_cache_in_production;
pub mod djs007_cache_pool_below_concurrency;
pub mod djs008_removed_storage_setting;
pub mod djs009_gzip_middleware_misplaced;
pub mod djs010_in_memory_channel_layer;
pub mod djs011_db_backed_sessions_with_cache;
pub mod djs012_proxy_ssl_header_not_forwarded;
pub mod djs101_security_middleware_missing;
pub mod djs102_clickjacking_middleware_missing;
pub mod djs103_csrf_middleware_missing;
pub mod djs104_hsts_not_set;
pub mod djs105_hsts_subdomains_not_included;
pub mod djs106_content_type_nosniff_disabled;
pub mod djs108_ssl_redirect_disabled;
pub mod djs109_weak_secret_key;
pub mod djs110_session_cookie_not_secure;
pub mod djs113_session_cookie_not_httponly;
pub mod djs116_csrf_cookie_not_secure;
pub mod djs119_x_frame_options_not_deny;
pub mod djs120_allowed_hosts_empty;
pub mod djs121_hsts_preload_not_set;
pub mod djs122_referrer_policy_missing;
pub mod djs125_weak_secret_key_fallbacks;

pub static RULES: &[&Rule] = &[
    &djs001_database_connections_not_reused::RULE,
    &djs002_persistent_connections_without_health_checks::RULE,
    &djs003_debug_enabled::RULE,
    &djs004_insecure_secret_key_fallback::RULE,
    &djs005_allowed_hosts_wildcard::RULE,
    &djs006_local_memory_cache_in_production::RULE,
    &djs007_cache_pool_below_concurrency::RULE,
    &djs008_removed_storage_setting::RULE,
    &djs009_gzip_middleware_misplaced::RULE,
    &djs010_in_memory_channel_layer::RULE,
    &djs011_db_backed_sessions_with_cache::RULE,
    &djs012_proxy_ssl_header_not_forwarded::RULE,
    &djs101_security_middleware_missing::RULE,
    &djs102_clickjacking_middleware_missing::RULE,
    &djs103_csrf_middleware_missing::RULE,
    &djs104_hsts_not_set::RULE,
    &djs105_hsts_subdomains_not_included::RULE,
    &djs106_content_type_nosniff_disabled::RULE,
    &djs108_ssl_redirect_disabled::RULE,
    &djs109_weak_secret_key::RULE,
    &djs110_session_cookie_not_secure::RULE,
    &djs113_session_cookie_not_httponly::RULE,
    &djs116_csrf_cookie_not_secure::RULE,
    &djs119_x_frame_options_not_deny::RULE,
    &djs120_allowed_hosts_empty::RULE,
    &djs121_hsts_preload_not_set::RULE,
    &djs122_referrer_policy_missing::RULE,
    &djs125_weak_secret_key_fallbacks::RULE,
];
