//! What the CMP rules share: which services are datastores, which compose files are
//! for development, image references, and the compose services as the project runs them.

use std::path::Path;

use stacklint_project::Project;
use stacklint_project::compose::ComposeService;
use stacklint_project::deployment::{DeployedService, Role};
use stacklint_project::interpolation::has_variables;

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

/// Why a compose file is for development, tests or CI rather than a deployment (see
/// [`stacklint_project::environments::development_reason`]).
pub(crate) fn dev_reason(project: &Project, path: &Path) -> Option<String> {
    stacklint_project::environments::development_reason(project, path)
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
}
