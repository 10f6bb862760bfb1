//! What the CMP rules share: which services are datastores, which compose files are
//! for development, image references, and the compose services as the project runs them.

use std::path::Path;

use stacklint_project::Project;
use stacklint_project::compose::ComposeService;
use stacklint_project::deployment::{DeployedService, Role};
use stacklint_project::interpolation::has_variables;
use stacklint_syntax::compose::VolumeKind;

/// Image names (the last path component, lowercased) of datastores, and what to call them.
const DATASTORES: &[(&[&str], &str)] = &[
    (&["postgres", "postgresql", "postgis", "pgvector", "timescaledb", "timescaledb-ha", "pgvecto-rs", "postgresql-repmgr"], "PostgreSQL"),
    (&["redis", "redis-stack", "redis-stack-server", "redis-cluster"], "Redis"),
    (&["valkey"], "Valkey"),
    (&["keydb"], "KeyDB"),
    (&["dragonfly"], "Dragonfly"),
    (&["mysql", "mysql-server", "percona", "percona-server"], "MySQL"),
    (&["mariadb"], "MariaDB"),
    (&["mongo", "mongodb", "mongodb-community-server"], "MongoDB"),
    (&["memcached"], "Memcached"),
    (&["qdrant"], "Qdrant"),
    (&["elasticsearch"], "Elasticsearch"),
    (&["opensearch"], "OpenSearch"),
    (&["rabbitmq"], "RabbitMQ"),
    (&["cassandra"], "Cassandra"),
    (&["couchdb"], "CouchDB"),
    (&["neo4j"], "Neo4j"),
    (&["clickhouse-server", "clickhouse"], "ClickHouse"),
    (&["influxdb"], "InfluxDB"),
    (&["meilisearch"], "Meilisearch"),
    (&["typesense"], "Typesense"),
    (&["weaviate"], "Weaviate"),
    (&["milvus"], "Milvus"),
];

/// An image reference split: `[registry/]name[:tag][@digest]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub(crate) fn parse(image: &'a str) -> ImageRef<'a> {
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (image, None),
        };
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest.rfind(':').filter(|&i| i >= slash) {
            Some(i) => ImageRef { name: rest.get(..i).unwrap_or(rest), tag: rest.get(i + 1..), digest },
            None => ImageRef { name: rest, tag: None, digest },
        }
    }

    /// The last path component, lowercased: `docker.io/library/postgres` → `postgres`.
    pub(crate) fn short_name(&self) -> String {
        self.name.rsplit('/').next().unwrap_or(self.name).to_ascii_lowercase()
    }

    /// An official image of Docker Hub (`postgres`, `library/postgres`, `docker.io/library/postgres`).
    pub(crate) fn is_official(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        let n = n.strip_prefix("index.docker.io/").or_else(|| n.strip_prefix("docker.io/")).unwrap_or(&n);
        let n = n.strip_prefix("library/").unwrap_or(n);
        !n.contains('/')
    }
}

/// The datastore an image is, by its name.
pub(crate) fn datastore_of_image(image: &str) -> Option<&'static str> {
    let short = ImageRef::parse(image).short_name();
    DATASTORES.iter().find(|(names, _)| names.contains(&short.as_str())).map(|(_, what)| *what)
}

/// The image a service runs as compose reads it (`.env` variables replaced); `None` when
/// it has none or a variable is unknown.
pub(crate) fn image_of(cs: &ComposeService) -> Option<String> {
    let image = &cs.merged.image.as_ref()?.value.value.value;
    if has_variables(image) { cs.interpolate(image) } else { Some(image.clone()) }
}

/// The deployment's view of a compose service.
pub(crate) fn deployed<'p>(project: &'p Project, cs: &ComposeService) -> Option<&'p DeployedService> {
    project.deployment.services.iter().find(|s| s.name == cs.name && s.defined_in.file == cs.file)
}

/// The datastore a service runs: from its image name, else from what the deployment model
/// found it runs (`redis-server`, `postgres`, or a Dockerfile `FROM postgres`).
pub(crate) fn datastore(project: &Project, cs: &ComposeService) -> Option<&'static str> {
    if let Some(what) = image_of(cs).as_deref().and_then(datastore_of_image) {
        return Some(what);
    }
    let d = deployed(project, cs)?;
    match d.role {
        Role::Postgres => Some("PostgreSQL"),
        Role::Redis => Some("Redis"),
        _ => d.image.as_ref().and_then(|i| datastore_of_image(&i.value)),
    }
}

/// Words of a compose file name that mark it as a development, test or CI file.
const DEV_WORDS: &[&str] = &["dev", "devel", "develop", "development", "local", "test", "tests", "testing", "ci", "cypress", "e2e", "devcontainer", "debug", "override", "docs"];
/// Folders that hold development, test or CI setups.
const DEV_FOLDERS: &[&str] = &[".devcontainer", ".ci", ".github", ".gitlab", "test", "tests", "e2e", "ci"];
/// Words of a compose file name that mark it as the production file.
const PROD_WORDS: &[&str] = &["prod", "production", "prd", "live"];

fn name_words(path: &Path) -> Vec<String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty() && !matches!(*w, "yml" | "yaml")).map(str::to_owned).collect()
}

/// Why a compose file is for development (or tests, or CI) rather than a deployment:
/// its name (`docker-compose.dev.yml`, `local.yml`, `docker-compose.override.yml`, the
/// override compose reads by default on a developer's machine), its folder
/// (`.devcontainer/`, `tests/`), a production file beside it (`docker-compose.yml` next
/// to `docker-compose.prod.yml` is the development one), or what it says: a comment
/// about development or against production use, a development server (`runserver`,
/// `--reload`), the source tree bind-mounted over the image, a development environment
/// (`NODE_ENV=development`, `FLASK_DEBUG=1`, a `settings.local` module,
/// `POSTGRES_HOST_AUTH_METHOD=trust`). `None`: a deployment file.
pub(crate) fn dev_reason(project: &Project, path: &Path) -> Option<String> {
    let words = name_words(path);
    if let Some(w) = words.iter().find(|w| DEV_WORDS.contains(&w.as_str())) {
        return Some(format!("its name says `{w}`"));
    }
    let rel = path.strip_prefix(&project.root).unwrap_or(path);
    if let Some(folder) = rel.parent().into_iter().flat_map(Path::components).filter_map(|c| c.as_os_str().to_str()).find(|c| DEV_FOLDERS.contains(&c.to_ascii_lowercase().as_str())) {
        return Some(format!("it is in `{folder}/`"));
    }
    if words.iter().any(|w| PROD_WORDS.contains(&w.as_str())) {
        return None;
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    if let Some(f) = project
        .files_of(stacklint_project::FileKind::Compose)
        .filter(|f| f.path.parent().unwrap_or(Path::new("")) == dir && f.path != path)
        .find(|f| name_words(&f.path).iter().any(|w| PROD_WORDS.contains(&w.as_str())))
    {
        return Some(format!("`{}` beside it is the production file", f.path.file_name().and_then(|n| n.to_str()).unwrap_or_default()));
    }
    dev_content(project, path)
}

/// What a compose file's content says about development use.
fn dev_content(project: &Project, path: &Path) -> Option<String> {
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
            if matches!(v, "runserver" | "runserver_plus" | "--reload" | "--debug" | "dev_server") || v.starts_with("--reload") {
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
                "NODE_ENV" | "FLASK_ENV" | "APP_ENV" | "ENVIRONMENT" | "ENV" | "DJANGO_ENV" => matches!(value.to_ascii_lowercase().as_str(), "development" | "dev" | "local"),
                "FLASK_DEBUG" => matches!(value, "1" | "true" | "True"),
                "DJANGO_SETTINGS_MODULE" => [".local", ".dev", ".development", ".develop", ".test"].iter().any(|x| value.ends_with(x)),
                "POSTGRES_HOST_AUTH_METHOD" => value == "trust",
                _ => false,
            };
            if dev {
                return Some(format!("service `{}` sets `{name}={value}`", s.name.value));
            }
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

/// Whether a compose file is one of the project's own (not only named by `extends`/`include`
/// from outside) and not a template (its text is not what compose reads).
pub(crate) fn reportable(project: &Project, path: &Path) -> bool {
    project.file(path).is_some_and(|f| f.template.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refs() {
        assert_eq!(ImageRef::parse("postgres:16"), ImageRef { name: "postgres", tag: Some("16"), digest: None });
        assert_eq!(ImageRef::parse("localhost:5000/redis"), ImageRef { name: "localhost:5000/redis", tag: None, digest: None });
        assert_eq!(ImageRef::parse("redis@sha256:ab"), ImageRef { name: "redis", tag: None, digest: Some("sha256:ab") });
        assert_eq!(ImageRef::parse("ghcr.io/a/b:1.2@sha256:ab").tag, Some("1.2"));
        assert!(ImageRef::parse("docker.io/library/postgres:16").is_official());
        assert!(!ImageRef::parse("bitnami/postgresql:16").is_official());
        assert_eq!(datastore_of_image("bitnami/postgresql:16"), Some("PostgreSQL"));
        assert_eq!(datastore_of_image("docker.elastic.co/elasticsearch/elasticsearch:8.15.0"), Some("Elasticsearch"));
        assert_eq!(datastore_of_image("nginx:1.27"), None);
    }

    fn reason(files: &[(&str, &str)], path: &str) -> Option<String> {
        let project = Project::from_sources(stacklint_project::ProjectOptions::default(), files);
        dev_reason(&project, Path::new(path))
    }

    #[test]
    fn development_files() {
        let plain = "services:\n  web:\n    image: example/web:1.4\n    command: gunicorn app.wsgi\n";
        assert_eq!(reason(&[("docker-compose.yml", plain)], "docker-compose.yml"), None);
        assert_eq!(reason(&[("docker-compose.prod.yml", plain)], "docker-compose.prod.yml"), None);
        for (path, why) in [("docker-compose.dev.yml", "`dev`"), ("local.yml", "`local`"), ("docker-compose.override.yml", "`override`"), ("compose.ci.yaml", "`ci`"), (".devcontainer/docker-compose.yml", "`.devcontainer/`")] {
            assert!(reason(&[(path, plain)], path).is_some_and(|r| r.contains(why)), "{path}");
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
        ] {
            assert!(reason(&[("docker-compose.yml", text)], "docker-compose.yml").is_some_and(|r| r.contains(why)), "{text}");
        }
        // Config files mounted from the project are not the source tree.
        let conf = "services:\n  web:\n    build: .\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n";
        assert_eq!(reason(&[("docker-compose.yml", conf)], "docker-compose.yml"), None);
    }
}
