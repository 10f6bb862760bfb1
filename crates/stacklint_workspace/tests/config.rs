//! Configuration parsing: values, errors a user can act on, command-line overrides.

use std::path::Path;

use stacklint_diagnostics::Severity;
use stacklint_project::{FileKind, GIB, Storage, TargetSource};
use stacklint_workspace::{Config, Overrides};

fn parse(text: &str) -> Config {
    match Config::from_toml(text, Path::new("stacklint.toml")) {
        Ok(config) => config,
        Err(e) => panic!("{e}"),
    }
}

/// The error text for `text` read as `name`.
fn error(name: &str, text: &str) -> String {
    match Config::from_toml(text, Path::new(name)) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_key() {
    let config = parse(
        r#"
select = ["GUN", "missing-max-requests"]
ignore = ["NGX0"]
extend-select = ["DKR001"]
exclude = ["legacy", "deploy/old/*.conf"]

[per-file-ignores]
"settings/dev.py" = ["DJS"]

[severity]
GUN001 = "error"
missing-max-requests = "info"

[target]
cpus = 1.5
memory = 2147483648
storage = "hdd"

[versions]
nginx = "1.27"
postgres = 16
redis = "7.4.1"

[django]
settings-module = "mysite.settings.production"

[files]
"deploy/*.tmpl" = "nginx"
"#,
    );
    assert_eq!(
        config.select,
        Some(vec!["GUN".to_owned(), "missing-max-requests".to_owned()])
    );
    assert_eq!(config.ignore, ["NGX0"]);
    assert_eq!(config.extend_select, ["DKR001"]);
    assert_eq!(config.exclude.patterns(), ["legacy", "deploy/old/*.conf"]);
    assert!(config.is_excluded(&config.root.join("legacy/nginx.conf")));
    assert!(config.is_excluded(&config.root.join("deploy/old/site.conf")));
    assert!(!config.is_excluded(&config.root.join("deploy/site.conf")));
    assert_eq!(
        config.ignores_for(&config.root.join("settings/dev.py")),
        ["DJS"]
    );
    assert!(
        config
            .ignores_for(&config.root.join("settings/prod.py"))
            .is_empty()
    );
    assert_eq!(config.severity.get("GUN001"), Some(&Severity::Error));
    assert_eq!(
        config.severity.get("missing-max-requests"),
        Some(&Severity::Info)
    );
    assert!((config.target.cpus - 1.5).abs() < f64::EPSILON);
    assert_eq!(config.target.memory, 2 * GIB);
    assert_eq!(config.target.storage, Storage::Hdd);
    assert_eq!(
        config.target.cpus_source,
        TargetSource::Config("stacklint.toml".to_owned())
    );
    assert_eq!(config.versions.nginx.as_deref(), Some("1.27"));
    assert_eq!(config.versions.postgres.as_deref(), Some("16"));
    assert_eq!(config.versions.redis.as_deref(), Some("7.4.1"));
    assert_eq!(config.versions.django, None);
    assert_eq!(
        config.django_settings_module.as_deref(),
        Some("mysite.settings.production")
    );
    assert_eq!(
        config.kind_override(&config.root.join("deploy/site.tmpl")),
        Some(FileKind::Nginx)
    );
    assert_eq!(config.kind_override(&config.root.join("site.tmpl")), None);
}

#[test]
fn empty_config_is_the_defaults() {
    let config = parse("# nothing yet\n");
    assert_eq!(config.select, None);
    assert_eq!(config.target.cpus_source, TargetSource::Default);
    assert!((config.target.cpus - 4.0).abs() < f64::EPSILON);
}

#[test]
fn pyproject_table() {
    let config = Config::from_toml(
        "[project]\nname = \"x\"\n\n[tool.stacklint]\nignore = [\"GUN002\"]\n\n[tool.stacklint.target]\ncpus = 8\n",
        Path::new("pyproject.toml"),
    );
    let config = config.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.ignore, ["GUN002"]);
    assert!((config.target.cpus - 8.0).abs() < f64::EPSILON);
    assert_eq!(
        config.target.cpus_source,
        TargetSource::Config("pyproject.toml".to_owned())
    );
}

#[test]
fn errors_name_the_key_file_and_place() {
    let cases = [
        ("stacklint.toml", "# stacklint\nselct = [\"GUN\"]\n"),
        ("stacklint.toml", "extend_select = [\"GUN\"]\n"),
        ("stacklint.toml", "workers = 4\n"),
        ("stacklint.toml", "[target]\ncpu = 4\n"),
        ("stacklint.toml", "[target]\nmemory = \"lots\"\n"),
        ("stacklint.toml", "[target]\ncpus = 0\n"),
        ("stacklint.toml", "[target]\nstorage = \"tape\"\n"),
        ("stacklint.toml", "target = 4\n"),
        ("stacklint.toml", "[severity]\nGUN001 = \"fatal\"\n"),
        ("stacklint.toml", "select = \"GUN\"\n"),
        ("stacklint.toml", "ignore = [\"GUN\", 3]\n"),
        ("stacklint.toml", "exclude = [\"ok\", \"bad[\"]\n"),
        ("stacklint.toml", "[files]\n\"deploy/*.tmpl\" = \"ngnix\"\n"),
        ("stacklint.toml", "[files]\n\"x\" = \"yaml\"\n"),
        ("stacklint.toml", "[versions]\nngnix = \"1.27\"\n"),
        ("stacklint.toml", "[versions]\npostgres = \"latest\"\n"),
        ("stacklint.toml", "[django]\nsettings_module = \"a.b\"\n"),
        (
            "stacklint.toml",
            "[django]\nsettings-module = \"mysite/settings.py\"\n",
        ),
        ("stacklint.toml", "select = [\"GUN\"\n"),
        ("stacklint.toml", "select = []\nselect = []\n"),
        ("pyproject.toml", "[tool.stacklint]\nslect = []\n"),
        (
            "pyproject.toml",
            "[tool.stacklint.target]\nmemroy = \"1GiB\"\n",
        ),
        ("pyproject.toml", "[tool]\nstacklint = 3\n"),
        ("pyproject.toml", "[project]\nname = \"x\"\n"),
        // Rule selectors that name no rule: an error at the selector, never an empty selection.
        ("stacklint.toml", "select = [\"GUN\", \"GUN999\"]\n"),
        ("stacklint.toml", "ignore = [\"ORM9\"]\n"),
        (
            "stacklint.toml",
            "extend-select = [\"missing-max-request\"]\n",
        ),
        (
            "stacklint.toml",
            "[per-file-ignores]\n\"dev.py\" = [\"DJG\"]\n",
        ),
        ("stacklint.toml", "[severity]\nGUN0010 = \"error\"\n"),
        ("pyproject.toml", "[tool.stacklint]\nselect = [\"NGX9\"]\n"),
    ];
    let rendered: Vec<String> = cases
        .iter()
        .map(|(name, text)| format!("{name}:\n{text}=> {}\n", error(name, text)))
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

#[test]
fn target_override_replaces_only_the_keys_it_names() {
    let mut config = parse("[target]\ncpus = 2\nmemory = \"16GiB\"\nstorage = \"hdd\"\n");
    config
        .apply_overrides(&Overrides {
            target: Some("cpus=8".to_owned()),
            ..Overrides::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!((config.target.cpus - 8.0).abs() < f64::EPSILON);
    assert_eq!(config.target.cpus_source, TargetSource::CommandLine);
    assert_eq!(config.target.memory, 16 * GIB);
    assert_eq!(
        config.target.memory_source,
        TargetSource::Config("stacklint.toml".to_owned())
    );
    assert_eq!(config.target.storage, Storage::Hdd);

    let mut config = parse("");
    let err = config.apply_overrides(&Overrides {
        target: Some("cpus=many".to_owned()),
        ..Overrides::default()
    });
    let err = err.map_or_else(|e| e.to_string(), |()| String::new());
    assert_eq!(
        err,
        "invalid --target `cpus=many`: invalid CPU count `many`: expected a positive number"
    );
}

#[test]
fn selection_overrides() {
    let mut config =
        parse("select = [\"GUN\"]\nextend-select = [\"NGX\"]\nignore = [\"GUN002\"]\n");
    let overrides = Overrides {
        ignore: vec!["GUN003".to_owned()],
        extend_select: vec!["PGS".to_owned()],
        ..Overrides::default()
    };
    config
        .apply_overrides(&overrides)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.select, Some(vec!["GUN".to_owned()]));
    assert_eq!(config.ignore, ["GUN002", "GUN003"]);
    assert_eq!(config.extend_select, ["NGX", "PGS"]);

    let overrides = Overrides {
        select: Some(vec!["RDS".to_owned()]),
        ..Overrides::default()
    };
    config
        .apply_overrides(&overrides)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.select, Some(vec!["RDS".to_owned()]));
    assert!(config.extend_select.is_empty());
}
