//! Settings from the client (`initializationOptions`, `workspace/didChangeConfiguration`,
//! or asked for with `workspace/configuration` when the client supports it) and which
//! files are configuration.
//!
//! The server keeps no configuration of its own: every run discovers `stacklint.toml`,
//! `.stacklint.toml` or `[tool.stacklint]` again, so reloading one is re-linting. The
//! client's settings are the command line's overrides.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use stacklint_workspace::{CONFIG_FILE_NAMES, Overrides};

/// What an editor may set, in camelCase, at the top level or under `"stacklint"`:
///
/// ```json
/// {"target": "cpus=4,memory=8GiB", "select": ["GUN"], "ignore": ["DKR005"], "unsafeFixes": true}
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientSettings {
    /// `--target`.
    pub target: Option<String>,
    /// `--select`: replaces the configured selection.
    pub select: Option<Vec<String>>,
    /// `--ignore`.
    pub ignore: Vec<String>,
    /// `--extend-select`.
    pub extend_select: Vec<String>,
    /// Offer unsafe fixes in `source.fixAll.stacklint` too (quick fixes always offer them,
    /// marked unsafe).
    pub unsafe_fixes: bool,
}

impl ClientSettings {
    /// Settings from a JSON value, or why they are not valid. `null` is the defaults.
    pub fn from_json(value: &Value) -> Result<ClientSettings, String> {
        let value = value.get("stacklint").unwrap_or(value);
        if value.is_null() {
            return Ok(ClientSettings::default());
        }
        ClientSettings::deserialize(value).map_err(|e| format!("invalid stacklint settings: {e}"))
    }

    pub fn overrides(&self) -> Overrides {
        Overrides {
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            extend_select: self.extend_select.clone(),
            target: self.target.clone().filter(|t| !t.trim().is_empty()),
        }
    }
}

/// Whether a change to `path` can change the configuration of some file.
pub fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_FILE_NAMES.contains(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_flat_or_nested() {
        let flat = serde_json::json!({"target": "cpus=4", "select": ["GUN"], "unsafeFixes": true});
        let nested = serde_json::json!({"stacklint": flat.clone()});
        let a = ClientSettings::from_json(&flat);
        assert_eq!(a, ClientSettings::from_json(&nested));
        let a = a.unwrap_or_default();
        assert_eq!(a.overrides().target.as_deref(), Some("cpus=4"));
        assert!(a.unsafe_fixes);
        assert_eq!(ClientSettings::from_json(&Value::Null), Ok(ClientSettings::default()));
        let bad = ClientSettings::from_json(&serde_json::json!({"select": "GUN"}));
        assert!(bad.is_err_and(|e| e.starts_with("invalid stacklint settings: ")));
        assert!(is_config_file(Path::new("/p/pyproject.toml")));
        assert!(!is_config_file(Path::new("/p/nginx.conf")));
    }
}
