//! Django settings modules: which Python files are settings, their evaluated bindings
//! (star-import chains followed), and which one production runs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use stacklint_python::{ImportSpec, ModuleLoader, PyModule, Settings};
use stacklint_syntax::dockerfile::Keyword;
use stacklint_text::TextRange;

mod database;

pub use database::{Age, Database, Engine};

use crate::kind::FileKind;
use crate::project::{Project, Reads, SourceFile, path_ends_with};

/// Why a settings module is taken to be the one production runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProductionReason {
    /// `[django] settings-module` in the configuration.
    Config,
    /// `DJANGO_SETTINGS_MODULE` set where the app is started: a Dockerfile `ENV`, a compose
    /// `environment`, or `os.environ.setdefault(...)` in wsgi.py / asgi.py / manage.py.
    Declared { file: PathBuf, range: TextRange },
    /// The module's name says so (`prod`, `production`, `deploy`).
    Name,
    /// The project has one settings module and nothing says otherwise.
    OnlyModule,
}

impl fmt::Display for ProductionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProductionReason::Config => f.write_str("[django] settings-module names it"),
            ProductionReason::Declared { file, .. } => write!(f, "DJANGO_SETTINGS_MODULE points at it in {}", file.display()),
            ProductionReason::Name => f.write_str("its name says production"),
            ProductionReason::OnlyModule => f.write_str("it is the project's only settings module"),
        }
    }
}

/// One evaluated settings module.
pub struct SettingsModule {
    pub path: PathBuf,
    /// `config.settings.production`, when the file's place in the project tells.
    pub dotted: Option<String>,
    /// The bindings, with those of star-imported modules first (each keeps its file).
    pub settings: Arc<Settings>,
    /// Set when production runs this module.
    pub production: Option<ProductionReason>,
    /// Another settings module imports this one (a `base.py`): its values are checked
    /// through the modules that import it.
    pub imported: bool,
    /// For development or tests: its name says so (`local.py`, `test_settings.py`), it
    /// extends a module whose name says so (`docker.py` that does `from .dev import *`),
    /// only the test runner's configuration names it, or only a build step uses it.
    pub development: bool,
    /// Why [`Self::development`] is set, for the output.
    pub development_reason: Option<String>,
}

/// Settings names that only a Django settings module assigns (at least three must appear).
const DJANGO_NAMES: &[&str] = &[
    "INSTALLED_APPS",
    "MIDDLEWARE",
    "DATABASES",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "ROOT_URLCONF",
    "WSGI_APPLICATION",
    "ASGI_APPLICATION",
    "TEMPLATES",
    "STATIC_URL",
    "AUTH_PASSWORD_VALIDATORS",
    "CACHES",
    "DEBUG",
    "USE_TZ",
    "LANGUAGE_CODE",
    "DEFAULT_AUTO_FIELD",
];

/// Whether a Python file is a settings module, from its name or what it assigns.
pub fn looks_like_settings(file: &SourceFile) -> bool {
    *file.looks_like_settings.get_or_init(|| settings_like(file))
}

fn settings_like(file: &SourceFile) -> bool {
    if file.kind == FileKind::DjangoSettings {
        return true;
    }
    if file.kind != FileKind::Python {
        return false;
    }
    let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let in_settings_pkg = file.path.parent().and_then(Path::file_name).is_some_and(|p| p == "settings");
    let named = name == "settings.py" || name.starts_with("settings_") || name.ends_with("_settings.py") || (in_settings_pkg && name != "__init__.py");
    if named {
        return true;
    }
    let Some(module) = file.python() else { return false };
    let text = module.text();
    DJANGO_NAMES.iter().filter(|n| text.contains(&format!("\n{n} ")) || text.starts_with(&format!("{n} "))).count() >= 3
}

/// Resolves imports against the project's Python files.
struct ProjectLoader<'p> {
    project: &'p Project,
    /// Every path looked up, for [`settings_of`]'s memo.
    reads: std::cell::RefCell<Reads>,
}

impl ModuleLoader for ProjectLoader<'_> {
    fn load(&self, importer: &Path, spec: &ImportSpec) -> Option<(PathBuf, &PyModule)> {
        for candidate in spec.candidates(importer, Some(&self.project.root)) {
            self.reads.borrow_mut().note(self.project, &candidate);
            if let Some(module) = self.project.file(&candidate).and_then(SourceFile::python) {
                return Some((candidate, module));
            }
        }
        None
    }
}

/// A module's settings, evaluated with the files it imports; the last evaluation is kept
/// with the file and reused while every file it looked up is unchanged.
fn settings_of(project: &Project, file: &SourceFile) -> Arc<Settings> {
    let mut memo = file.settings_memo.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((reads, settings)) = memo.as_ref()
        && reads.still_hold(project)
    {
        return settings.clone();
    }
    let loader = ProjectLoader { project, reads: std::cell::RefCell::new(Reads::new(&project.root)) };
    let settings = Arc::new(match file.python() {
        Some(m) => Settings::evaluate_with(&file.path, m, &loader),
        None => Settings::default(),
    });
    *memo = Some((loader.reads.into_inner(), settings.clone()));
    settings
}

/// The dotted module of a file under `root` (`config/settings/base.py` → `config.settings.base`).
pub fn dotted_module(path: &Path, root: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".py")?;
    if stem != "__init__" {
        parts.push(stem.to_string());
    }
    (!parts.is_empty()).then(|| parts.join("."))
}

/// Every place that names the settings module to run, most authoritative first.
fn declared_modules(project: &Project) -> Vec<(String, PathBuf, TextRange)> {
    let mut out = Vec::new();
    for file in project.files_of(FileKind::Dockerfile) {
        let Some(df) = file.dockerfile() else { continue };
        for ins in df.instructions_of(&Keyword::Env) {
            for kv in ins.key_values() {
                if kv.key.value == "DJANGO_SETTINGS_MODULE"
                    && let Some(v) = &kv.value
                {
                    out.push((v.value.clone(), file.path.clone(), v.range));
                }
            }
        }
    }
    // Compose `environment:`, Procfile and shell entrypoints: `DJANGO_SETTINGS_MODULE=x.y`.
    for kind in [FileKind::Compose, FileKind::Procfile, FileKind::Shell] {
        for file in project.files_of(kind) {
            for (value, range) in assignments_in_text(&file.text) {
                out.push((value, file.path.clone(), range));
            }
        }
    }
    // wsgi.py / asgi.py run in production; manage.py usually names the development settings.
    let mut entry_points: Vec<&SourceFile> = project.files.iter().map(AsRef::as_ref).filter(|f| f.kind.is_python()).collect();
    entry_points.sort_by_key(|f| match f.path.file_name().and_then(|n| n.to_str()) {
        Some("wsgi.py" | "asgi.py") => 0,
        Some("manage.py") => 2,
        _ => 1,
    });
    for file in entry_points {
        if !file.text.contains("DJANGO_SETTINGS_MODULE") {
            continue;
        }
        if let Some(r) = file.python().and_then(PyModule::settings_module_default) {
            out.push((r.value, file.path.clone(), r.value_range));
        }
    }
    out
}

/// `DJANGO_SETTINGS_MODULE: x.y`, `DJANGO_SETTINGS_MODULE=x.y`, `--settings=x.y` in a text
/// (compose `environment`, a Procfile or a script): the dotted values and their ranges.
fn assignments_in_text(text: &str) -> Vec<(String, TextRange)> {
    let mut out = Vec::new();
    for key in ["DJANGO_SETTINGS_MODULE", "--settings"] {
        let mut from = 0;
        while let Some(i) = text.get(from..).and_then(|t| t.find(key)) {
            let after = from + i + key.len();
            from = after;
            let rest = text.get(after..).unwrap_or("");
            let skipped = rest.len() - rest.trim_start_matches(['"', '\'', ':', '=', ' ', '\t']).len();
            // A separator is required (`DJANGO_SETTINGS_MODULE` alone names nothing).
            if skipped == 0 || !rest.get(..skipped).is_some_and(|s| s.contains([':', '='])) {
                continue;
            }
            let start = after + skipped;
            let value: String = text.get(start..).unwrap_or("").chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.').collect();
            if !value.is_empty() && !value.starts_with('.') && !value.ends_with('.') {
                out.push((value.clone(), TextRange::new(start, start + value.len())));
            }
        }
    }
    out
}

/// Whether a module's name says it is for development or tests (`local.py`, `dev.py`,
/// `settings_test.py`, `testing.py`).
pub fn is_dev_or_test(module: &SettingsModule) -> bool {
    const WORDS: &[&str] = &["local", "dev", "develop", "development", "test", "tests", "testing", "ci", "example", "sample"];
    let stem = module.path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_ascii_lowercase();
    stem.split(['_', '-', '.']).any(|p| WORDS.contains(&p))
}

/// Whether a module's name says tests (`test_settings.py`, `settings/testing.py`).
fn is_test_named(module: &SettingsModule) -> bool {
    let stem = module.path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_ascii_lowercase();
    stem.split(['_', '-', '.']).any(|p| matches!(p, "test" | "tests" | "testing" | "pytest"))
}

/// Whether a module's name says production (`prod.py`, `production.py`, `settings_deploy.py`).
fn is_prod_named(module: &SettingsModule) -> bool {
    let stem = module.path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_ascii_lowercase();
    ["prod", "production", "deploy"].iter().any(|w| stem.split(['_', '-', '.']).any(|p| p == *w))
}

/// The settings modules that file-scoped rules check: the production module(s), and every
/// module no other settings module imports unless its name says development or tests
/// (values of an imported `base.py` are checked through the modules that import it).
pub fn checked_settings(project: &Project) -> Vec<&SettingsModule> {
    project.django.iter().filter(|m| m.production.is_some() || (!m.imported && !m.development)).collect()
}

/// Find, evaluate and classify the project's settings modules.
pub(crate) fn build(project: &Project) -> Vec<SettingsModule> {
    let candidates: Vec<&SourceFile> = project.files.iter().map(AsRef::as_ref).filter(|f| looks_like_settings(f)).collect();
    let evaluate = |file: &&SourceFile| {
        let settings = settings_of(project, file);
        SettingsModule { path: file.path.clone(), dotted: dotted_module(&file.path, &project.root), settings, production: None, imported: false, development: false, development_reason: None }
    };
    let mut modules: Vec<SettingsModule> = candidates.par_iter().map(evaluate).collect();
    // A module that star-imports a settings module is one too, whatever its name and however
    // few settings it assigns itself (`config/django/production.py`: `from .base import *`).
    let extenders: Vec<&SourceFile> = project
        .files
        .iter().map(AsRef::as_ref)
        .filter(|f| f.kind == FileKind::Python && !candidates.iter().any(|c| c.path == f.path) && f.text.contains("import *"))
        .collect();
    let extending: Vec<SettingsModule> = extenders
        .par_iter()
        .map(evaluate)
        .filter(|m| m.settings.all().iter().any(|b| *b.file != *m.path.as_path() && modules.iter().any(|c| *b.file == *c.path.as_path())))
        .collect();
    modules.extend(extending);
    let dev_named: Vec<PathBuf> = modules.iter().filter(|m| is_dev_or_test(m)).map(|m| m.path.clone()).collect();
    for m in &mut modules {
        let extends = m.settings.all().iter().find(|b| *b.file != *m.path.as_path() && dev_named.iter().any(|d| *b.file == *d.as_path())).map(|b| b.file.to_path_buf());
        m.development_reason = if dev_named.contains(&m.path) {
            Some("its name says development or tests".to_owned())
        } else {
            extends.map(|f| format!("it extends {}, whose name says development or tests", shown(project, &f)))
        };
    }
    // A module named only for a build step (`RUN DJANGO_SETTINGS_MODULE=app.settings.static
    // python manage.py collectstatic`) never serves requests, and one only the test runner
    // names (`DJANGO_SETTINGS_MODULE` in pytest's configuration) never runs in production:
    // like development settings, they are not checked on their own. What a process of
    // the deployment runs, or that an entry point or environment names, is not test-only.
    let mut run = run_modules(project);
    run.extend(declared_modules(project).into_iter().map(|(dotted, _, _)| dotted));
    let mut marks: Vec<(String, String, bool)> = build_time_modules(project).into_iter().map(|d| (d, "only a Dockerfile build step uses it".to_owned(), false)).collect();
    marks.extend(test_runner_modules(project).into_iter().map(|(d, file)| (d, format!("only the test runner's configuration ({}) names it", shown(project, &file)), true)));
    let mut tests: Vec<PathBuf> = modules.iter().filter(|m| is_test_named(m)).map(|m| m.path.clone()).collect();
    for (dotted, reason, test) in marks {
        if run.contains(&dotted) {
            continue;
        }
        if let Some(m) = find_module(&mut modules, project, &dotted) {
            if test {
                tests.push(m.path.clone());
            }
            if m.development_reason.is_none() {
                m.development_reason = Some(reason);
            }
        }
    }
    for m in &mut modules {
        m.development = m.development_reason.is_some();
    }
    // A module whose bindings come from another file is importing that file. An import by
    // test settings (`test_settings.py` doing `from .settings import *`) says nothing about
    // production: it does not make the real settings a part of another module. (An import
    // by development settings does: `local.py` over `base.py` says `base.py` is a base.)
    let imported: Vec<PathBuf> = modules
        .iter()
        .filter(|m| !tests.contains(&m.path))
        .flat_map(|m| m.settings.all().iter().filter(|b| *b.file != *m.path.as_path()).map(|b| b.file.to_path_buf()))
        .collect();
    for m in &mut modules {
        m.imported = imported.contains(&m.path);
    }
    classify_production(project, &mut modules);
    modules
}

/// A project path as the output shows it.
fn shown(project: &Project, path: &Path) -> String {
    path.strip_prefix(&project.root).unwrap_or(path).display().to_string()
}

/// The settings modules the deployment's processes run, named outside Python (an
/// environment, `--settings`): not a `setdefault` default, which the environment overrides.
fn run_modules(project: &Project) -> Vec<String> {
    project
        .deployment
        .services
        .iter()
        .filter_map(|s| s.settings_module.as_ref())
        .filter(|m| project.file(&m.origin.file).is_none_or(|f| !f.kind.is_python()))
        .map(|m| m.value.clone())
        .collect()
}

/// `DJANGO_SETTINGS_MODULE` in pytest's configuration (pytest-django): `[pytest]` of
/// pytest.ini or tox.ini, `[tool:pytest]` of setup.cfg, `[tool.pytest.ini_options]` of
/// pyproject.toml. The dotted module and the file.
fn test_runner_modules(project: &Project) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for file in &project.files {
        let sections: &[&str] = match file.path.file_name().and_then(|n| n.to_str()) {
            Some("pytest.ini" | "tox.ini") => &["pytest"],
            Some("setup.cfg") => &["tool:pytest"],
            Some("pyproject.toml") => &["tool.pytest.ini_options"],
            _ => continue,
        };
        let mut section = "";
        for line in file.text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim();
                continue;
            }
            if !sections.contains(&section) {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else { continue };
            let value = value.trim().trim_matches(['"', '\'']);
            if key.trim() == "DJANGO_SETTINGS_MODULE" && !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                out.push((value.to_owned(), file.path.clone()));
            }
        }
    }
    out
}

/// `DJANGO_SETTINGS_MODULE=x` / `--settings=x` in a Dockerfile `RUN`: modules used at build time.
fn build_time_modules(project: &Project) -> Vec<String> {
    let mut out = Vec::new();
    for file in project.files_of(FileKind::Dockerfile) {
        let Some(df) = file.dockerfile() else { continue };
        for ins in df.instructions_of(&Keyword::Run) {
            out.extend(assignments_in_text(ins.args_text.as_str()).into_iter().map(|(value, _)| value));
        }
    }
    out
}

fn find_module<'m>(modules: &'m mut [SettingsModule], project: &Project, dotted: &str) -> Option<&'m mut SettingsModule> {
    let rel = dotted.replace('.', "/");
    let by_path = project.python_module(dotted).map(|f| f.path.clone());
    modules.iter_mut().find(|m| Some(&m.path) == by_path.as_ref() || path_ends_with(&m.path, &format!("{rel}.py")) || path_ends_with(&m.path, &format!("{rel}/__init__.py")))
}

fn classify_production(project: &Project, modules: &mut [SettingsModule]) {
    if let Some(dotted) = &project.django_settings_module {
        if let Some(m) = find_module(modules, project, dotted) {
            m.production = Some(ProductionReason::Config);
        }
        return;
    }
    // What the deployment's processes run (their environment, `--settings`) comes first.
    let mut from_services = false;
    for s in &project.deployment.services {
        let Some(run) = &s.settings_module else { continue };
        if project.file(&run.origin.file).is_some_and(|f| f.kind.is_python()) {
            continue; // a `setdefault` default: weighed with the declarations below
        }
        if let Some(m) = find_module(modules, project, &run.value)
            && !m.development
            && m.production.is_none()
        {
            m.production = Some(ProductionReason::Declared { file: run.origin.file.clone(), range: run.origin.range.unwrap_or_default() });
            from_services = true;
        }
    }
    if from_services {
        return;
    }
    // A declaration of a development or test module (`manage.py` defaulting to
    // `settings.local`, `--settings=app.settings.test` in a test runner, a local compose
    // file) says how developers run the app, not what production runs: it is skipped.
    // A `setdefault` in wsgi.py / asgi.py / manage.py is only a default: when it names a base
    // module that a module named for production extends, production sets the variable.
    let prod_named_extends = |m: &SettingsModule, modules: &[SettingsModule]| {
        m.imported && modules.iter().any(|o| is_prod_named(o) && o.settings.all().iter().any(|b| *b.file == *m.path.as_path()))
    };
    for (dotted, file, range) in declared_modules(project) {
        let is_default = project.file(&file).is_some_and(|f| f.kind.is_python());
        let Some(index) = find_module(modules, project, &dotted).map(|m| m.path.clone()).and_then(|p| modules.iter().position(|m| m.path == p)) else {
            continue;
        };
        if is_default && modules.get(index).is_some_and(|m| prod_named_extends(m, modules)) {
            continue;
        }
        if let Some(m) = modules.get_mut(index) {
            if m.development {
                continue;
            }
            m.production = Some(ProductionReason::Declared { file, range });
            return;
        }
    }
    let by_name: Vec<usize> = modules.iter().enumerate().filter(|(_, m)| is_prod_named(m)).map(|(i, _)| i).collect();
    if !by_name.is_empty() {
        for i in by_name {
            if let Some(m) = modules.get_mut(i) {
                m.production = Some(ProductionReason::Name);
            }
        }
        return;
    }
    let leaves: Vec<usize> = modules.iter().enumerate().filter(|(_, m)| !m.imported && !m.development).map(|(i, _)| i).collect();
    if let [only] = leaves[..]
        && let Some(m) = modules.get_mut(only)
    {
        m.production = Some(ProductionReason::OnlyModule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_names() {
        assert_eq!(dotted_module(Path::new("/p/config/settings/base.py"), Path::new("/p")).as_deref(), Some("config.settings.base"));
        assert_eq!(dotted_module(Path::new("/p/pkg/__init__.py"), Path::new("/p")).as_deref(), Some("pkg"));
        assert_eq!(dotted_module(Path::new("/q/x.py"), Path::new("/p")), None);
    }

    fn production_of(sources: &[(&str, &str)]) -> Vec<String> {
        let p = Project::from_sources(crate::ProjectOptions::default(), sources);
        p.production_settings().map(|m| m.path.display().to_string()).collect()
    }

    const BASE: &str = "INSTALLED_APPS = []\nDATABASES = {}\nSECRET_KEY = 'x'\n";
    const LOCAL: &str = "from .base import *\nDEBUG = True\n";
    const PROD: &str = "from .base import *\nDEBUG = False\n";

    #[test]
    fn development_and_test_declarations_do_not_make_production() {
        let setdefault = |m: &str| format!("import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"{m}\")\n");
        // manage.py and asgi.py default to the local settings, wsgi.py to production.
        let (manage, asgi, wsgi) = (setdefault("config.settings.local"), setdefault("config.settings.local"), setdefault("config.settings.production"));
        let sources = [
            ("config/settings/base.py", BASE),
            ("config/settings/local.py", LOCAL),
            ("config/settings/production.py", PROD),
            ("config/settings/test.py", LOCAL),
            ("manage.py", manage.as_str()),
            ("config/asgi.py", asgi.as_str()),
            ("config/wsgi.py", wsgi.as_str()),
        ];
        assert_eq!(production_of(&sources), ["config/settings/production.py"]);
        // Everything names a development module, a module is named prod: that one.
        let dev = setdefault("site.settings.dev");
        let sources = [
            ("site/settings/common.py", BASE),
            ("site/settings/dev.py", LOCAL),
            ("site/settings/prod.py", PROD),
            ("manage.py", dev.as_str()),
            ("site/wsgi.py", dev.as_str()),
            ("docker-compose-local.yml", "services:\n  web:\n    command: ./manage.py runserver --settings=site.settings.local\n"),
        ];
        assert_eq!(production_of(&sources), ["site/settings/prod.py"]);
        // A module that extends the development settings is development too, wherever it is declared.
        let sources = [
            ("site/settings/common.py", BASE),
            ("site/settings/dev.py", LOCAL),
            ("site/settings/docker.py", "from .dev import *\nSECRET_KEY = os.environ.get('SECRET_KEY')\n"),
            ("site/settings/prod.py", PROD),
            ("docker-compose.yml", "services:\n  web:\n    environment:\n      - DJANGO_SETTINGS_MODULE=site.settings.docker\n"),
        ];
        assert_eq!(production_of(&sources), ["site/settings/prod.py"]);
        // wsgi.py defaults to a base module that a production module extends: production.
        let base = setdefault("config.django.base");
        let sources = [
            ("config/django/base.py", BASE),
            ("config/django/production.py", "from .base import *  # noqa\nDEBUG = False\n"),
            ("config/django/test.py", LOCAL),
            ("config/wsgi.py", base.as_str()),
            ("manage.py", base.as_str()),
        ];
        assert_eq!(production_of(&sources), ["config/django/production.py"]);
        // ... but a Dockerfile `ENV` that names the base module is what runs.
        let sources = [("config/django/base.py", BASE), ("config/django/production.py", PROD), ("Dockerfile", "FROM python:3.12\nENV DJANGO_SETTINGS_MODULE=config.django.base\n")];
        assert_eq!(production_of(&sources), ["config/django/base.py"]);
        // Only development modules: no production module at all.
        let local = setdefault("site.settings.local");
        assert!(production_of(&[("site/settings/base.py", BASE), ("site/settings/local.py", LOCAL), ("manage.py", local.as_str())]).is_empty());
        // A module used only by a build step is not checked alone.
        let p = Project::from_sources(
            crate::ProjectOptions::default(),
            &[
                ("site/settings/base.py", BASE),
                ("site/settings/static.py", "from .base import *\nSTATIC_ROOT = '/static'\n"),
                ("Dockerfile", "FROM python:3.12\nRUN DJANGO_SETTINGS_MODULE=site.settings.static python manage.py collectstatic --noinput\n"),
            ],
        );
        assert!(checked_settings(&p).iter().all(|m| !m.path.ends_with("static.py")));
    }

    /// A test module that star-imports the real settings does not make them a part: the
    /// real module is the one production runs, the test module is test settings.
    #[test]
    fn test_modules_are_never_production() {
        let sources = [("app/settings.py", BASE), ("app/test_settings.py", "from .settings import *\nDEBUG = True\n")];
        let p = Project::from_sources(crate::ProjectOptions::default(), &sources);
        assert_eq!(production_of(&sources), ["app/settings.py"]);
        let test = p.django.iter().find(|m| m.path.ends_with("test_settings.py")).unwrap();
        assert_eq!(test.development_reason.as_deref(), Some("its name says development or tests"));
        assert!(!p.django.iter().any(|m| m.imported));
        // pytest's configuration names a module nothing else names: test settings.
        let sources = [
            ("app/settings.py", BASE),
            ("app/settings_pytest.py", "from .settings import *\nPASSWORD_HASHERS = []\n"),
            ("pyproject.toml", "[project]\nname = \"app\"\n\n[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = \"app.settings_pytest\"\n"),
        ];
        let p = Project::from_sources(crate::ProjectOptions::default(), &sources);
        let pytest = p.django.iter().find(|m| m.path.ends_with("settings_pytest.py")).unwrap();
        assert_eq!(pytest.development_reason.as_deref(), Some("only the test runner's configuration (pyproject.toml) names it"));
        assert_eq!(production_of(&sources), ["app/settings.py"]);
        // ... but a module wsgi.py also runs (paperless-ngx) stays what it is.
        let wsgi = "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"app.settings\")\n";
        let sources = [("app/settings.py", BASE), ("app/wsgi.py", wsgi), ("pyproject.toml", "[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = \"app.settings\"\n")];
        assert_eq!(production_of(&sources), ["app/settings.py"]);
    }

    /// What a deployed process runs comes before names: compose runs `staging`.
    #[test]
    fn production_from_the_deployment() {
        let sources = [
            ("site/settings/base.py", BASE),
            ("site/settings/prod.py", PROD),
            ("site/settings/staging.py", PROD),
            ("docker-compose.yml", "services:\n  web:\n    build: .\n    command: gunicorn site.wsgi\n    environment:\n      DJANGO_SETTINGS_MODULE: site.settings.staging\n"),
        ];
        assert_eq!(production_of(&sources), ["site/settings/staging.py"]);
    }

    #[test]
    fn settings_module_in_texts() {
        let found = assignments_in_text("    environment:\n      DJANGO_SETTINGS_MODULE: config.settings.production\n      - \"DJANGO_SETTINGS_MODULE=app.prod\"\nweb: python manage.py migrate --settings=app.deploy\nDJANGO_SETTINGS_MODULE\n");
        let values: Vec<&str> = found.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, vec!["config.settings.production", "app.prod", "app.deploy"]);
    }
}
