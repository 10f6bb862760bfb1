//! Which compose files describe a development, test or CI environment rather than a
//! deployment. Rules about sizing, exposure and pinning report only on deployments: a
//! published database port or an untuned PostgreSQL in `docker-compose.dev.yml` is
//! intended there.

use std::path::Path;

use stacklint_syntax::compose::VolumeKind;

use crate::deployment::Role;
use crate::kind::FileKind;
use crate::project::Project;

/// Words of a compose file name that mark development, tests, CI, or a sample to copy.
const DEV_WORDS: &[&str] = &["dev", "devel", "develop", "development", "local", "test", "tests", "testing", "ci", "cypress", "e2e", "devcontainer", "debug", "override", "docs", "example", "sample"];
/// Words of the folders (below the project root) that hold such setups.
const DEV_FOLDER_WORDS: &[&str] = &["devcontainer", "ci", "github", "gitlab", "test", "tests", "e2e", "worktree"];
/// Words of a compose file name that mark it as the production file.
const PROD_WORDS: &[&str] = &["prod", "production", "prd", "live"];

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_ascii_lowercase)
}

fn name_words(path: &Path) -> Vec<String> {
    words(path.file_name().and_then(|n| n.to_str()).unwrap_or_default()).filter(|w| !matches!(w.as_str(), "yml" | "yaml")).collect()
}

/// Why the compose file at `path` is for development (or tests, CI, a sample) rather than
/// a deployment: its name (`docker-compose.dev.yml`, `local.yml`, the
/// `docker-compose.override.yml` compose reads by default on a developer's machine,
/// `*.example`), its folder (`.devcontainer/`, `tests/`), a production file beside it
/// (`docker-compose.yml` next to `docker-compose.prod.yml` is the development one), or what
/// it says: a comment about development or against production use, a development server
/// (`runserver`, `--reload`), the source tree bind-mounted over the image, a development
/// environment (`NODE_ENV=development`, `FLASK_DEBUG=1`, a `settings.local` module,
/// `POSTGRES_HOST_AUTH_METHOD=trust`). `None`: a deployment file.
pub fn development_reason(project: &Project, path: &Path) -> Option<String> {
    // Several rules ask of the same files: each is worked out once per build.
    let memo = || project.development_reasons.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(reason) = memo().get(path) {
        return reason.clone();
    }
    let reason = find_development_reason(project, path);
    memo().insert(path.to_path_buf(), reason.clone());
    reason
}

fn find_development_reason(project: &Project, path: &Path) -> Option<String> {
    let name = name_words(path);
    if let Some(w) = name.iter().find(|w| DEV_WORDS.contains(&w.as_str())) {
        return Some(format!("its name says `{w}`"));
    }
    let rel = path.strip_prefix(&project.root).unwrap_or(path);
    let folders = rel.parent().into_iter().flat_map(Path::components).filter_map(|c| c.as_os_str().to_str());
    if let Some(folder) = folders.into_iter().find(|f| words(f).any(|w| DEV_FOLDER_WORDS.contains(&w.as_str()))) {
        return Some(format!("it is in `{folder}/`"));
    }
    if name.iter().any(|w| PROD_WORDS.contains(&w.as_str())) {
        return None;
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    if let Some(f) = project
        .files_of(FileKind::Compose)
        .filter(|f| f.path.parent().unwrap_or(Path::new("")) == dir && f.path != path)
        .find(|f| name_words(&f.path).iter().any(|w| PROD_WORDS.contains(&w.as_str())))
    {
        return Some(format!("`{}` beside it is the production file", f.path.file_name().and_then(|n| n.to_str()).unwrap_or_default()));
    }
    development_content(project, path)
}

/// What a compose file's content says about development use.
fn development_content(project: &Project, path: &Path) -> Option<String> {
    let file = project.file(path)?;
    let tree = file.compose()?;
    for c in &tree.comments {
        let text = c.slice(&file.text).to_ascii_lowercase();
        if text.contains("development") || text.contains("local dev") || text.contains("dev setup") || text.contains("dev environment") {
            return Some("a comment says it is for development".to_owned());
        }
        if let Some(i) = text.find("production")
            && ["not ", "never ", "don't ", "do not "].iter().any(|n| text.get(..i).is_some_and(|before| before.contains(n)))
        {
            return Some("a comment warns against production use".to_owned());
        }
    }
    for s in &tree.services {
        let commands = s.command.iter().chain(&s.entrypoint);
        for w in commands.flat_map(stacklint_syntax::compose::Command::words) {
            let v = w.value.as_str();
            if matches!(v, "runserver" | "runserver_plus" | "--reload" | "--debug" | "dev_server" | "--mode=development") || v.starts_with("--reload") {
                return Some(format!("service `{}` runs a development server (`{v}`)", s.name.value));
            }
        }
        if let Some(build) = &s.build {
            let context = normalize_rel(build.context_path());
            for v in s.volumes.iter().filter(|v| v.kind == VolumeKind::Bind) {
                let Some(source) = &v.source else { continue };
                let source = normalize_rel(&source.value);
                if source == context || matches!(source.as_str(), "." | ".." | "${PWD}" | "$PWD") {
                    return Some(format!("service `{}` mounts its source tree `{}` over the image", s.name.value, source));
                }
            }
        }
        for e in &s.environment {
            let (name, value) = (e.name.value.as_str(), e.value.as_ref().map_or("", |v| v.value.as_str()));
            let dev = match name {
                "NODE_ENV" | "FLASK_ENV" | "APP_ENV" | "ENVIRONMENT" | "ENV" | "DJANGO_ENV" | "RAILS_ENV" => matches!(value.to_ascii_lowercase().as_str(), "development" | "dev" | "local"),
                "FLASK_DEBUG" => matches!(value, "1" | "true" | "True"),
                "DJANGO_SETTINGS_MODULE" => value.split('.').any(|part| matches!(part, "local" | "dev" | "development" | "develop" | "test" | "tests" | "testing")),
                "POSTGRES_HOST_AUTH_METHOD" => value == "trust",
                _ => false,
            };
            if dev {
                return Some(format!("service `{}` sets `{name}={value}`", s.name.value));
            }
        }
    }
    // What the deployment model read through `env_file`s and entrypoints.
    for s in project.deployment.services.iter().filter(|s| s.defined_in.file == path) {
        if matches!(&s.role, Role::App { server } if server == "runserver") {
            return Some(format!("service `{}` runs Django's development server", s.name));
        }
        if let Some(m) = s.settings_module.as_ref().filter(|m| m.value.split('.').any(|p| matches!(p, "local" | "dev" | "development" | "develop" | "test" | "tests" | "testing"))) {
            return Some(format!("service `{}` runs the settings module `{}`", s.name, m.value));
        }
    }
    None
}

/// A relative path as written, without `./` and a trailing `/`.
fn normalize_rel(p: &str) -> String {
    let p = p.trim_end_matches('/');
    let p = p.strip_prefix("./").unwrap_or(p);
    if p.is_empty() { ".".to_owned() } else { p.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(files: &[(&str, &str)], path: &str) -> Option<String> {
        let project = Project::from_sources(crate::ProjectOptions::default(), files);
        development_reason(&project, Path::new(path))
    }

    #[test]
    fn development_files() {
        let plain = "services:\n  web:\n    image: example/web:1.4\n    command: gunicorn app.wsgi\n";
        assert_eq!(reason(&[("docker-compose.yml", plain)], "docker-compose.yml"), None);
        assert_eq!(reason(&[("docker-compose.prod.yml", plain)], "docker-compose.prod.yml"), None);
        for (path, why) in [
            ("docker-compose.dev.yml", "`dev`"),
            ("local.yml", "`local`"),
            ("docker-compose.override.yml", "`override`"),
            ("compose.ci.yaml", "`ci`"),
            ("docker-compose.override.yml.example", "`override`"),
            ("compose.example.yaml", "`example`"),
            (".devcontainer/docker-compose.yml", "`.devcontainer/`"),
            (".worktree-container/docker-compose.yml", "`.worktree-container/`"),
        ] {
            assert!(reason(&[(path, plain)], path).is_some_and(|r| r.contains(why)), "{path}: {:?}", reason(&[(path, plain)], path));
        }
        let with_prod = [("docker-compose.yml", plain), ("docker-compose.prod.yml", plain)];
        assert!(reason(&with_prod, "docker-compose.yml").is_some_and(|r| r.contains("production file")));
        assert_eq!(reason(&with_prod, "docker-compose.prod.yml"), None);
        for (text, why) in [
            ("# For local development only\nservices:\n  db:\n    image: postgres:16\n", "comment"),
            ("services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_HOST_AUTH_METHOD: trust  # never do this in production!\n", "comment"),
            ("services:\n  web:\n    image: x/web:1\n    command: uvicorn app:app --reload\n", "`--reload`"),
            ("services:\n  web:\n    build: ./app\n    volumes:\n      - ./app:/src\n", "source tree"),
            ("services:\n  web:\n    image: x/web:1\n    environment:\n      - NODE_ENV=development\n", "NODE_ENV"),
            ("services:\n  web:\n    image: x/web:1\n    environment:\n      DJANGO_SETTINGS_MODULE: app.settings.local\n", "settings.local"),
            ("services:\n  web:\n    image: x/web:1\n    environment:\n      DJANGO_SETTINGS_MODULE: app.settings.test\n", "settings.test"),
        ] {
            assert!(reason(&[("docker-compose.yml", text)], "docker-compose.yml").is_some_and(|r| r.contains(why)), "{text}");
        }
        // Config files mounted from the project are not the source tree.
        let conf = "services:\n  web:\n    build: .\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n";
        assert_eq!(reason(&[("docker-compose.yml", conf)], "docker-compose.yml"), None);
    }
}
