//! Docker Compose files: services with byte ranges for every value a rule reads or a fix
//! edits.
//!
//! The YAML is read with tree-sitter-yaml (byte ranges, comments kept) into a small tree
//! ([`yaml::Node`]) with decoded scalars ([`Scalar`]), resolved anchors and merge keys.
//! On top of it, [`ComposeFile`] holds the services: image, build, command and
//! entrypoint (each shell word mapped back to its exact source bytes, through quotes,
//! escapes and folded `>` lines), environment, env files, ports, volumes, depends_on,
//! healthcheck and resource limits.
//!
//! ```
//! use stacklint_syntax::compose;
//! let src = "services:\n  web:\n    command: >\n      gunicorn app:app\n      --workers 1\n    deploy:\n      resources:\n        limits: {cpus: \"1.5\"}\n";
//! let parsed = compose::parse(src);
//! assert!(parsed.errors.is_empty());
//! let web = parsed.tree.service("web").unwrap();
//! let command = web.command.as_ref().unwrap();
//! let words: Vec<_> = command.words().map(|w| w.value.as_str()).collect();
//! assert_eq!(words, ["gunicorn", "app:app", "--workers", "1"]);
//! // the `1` of `--workers 1`, as a range of the source: a fix replaces exactly it
//! let one = command.words().nth(3).unwrap().value_range().unwrap();
//! assert_eq!((one.slice(src), &src[..one.start()].lines().count()), ("1", &5));
//! assert_eq!(web.limits.cpus().unwrap().value, "1.5");
//! ```

pub mod scalar;
pub mod yaml;

use stacklint_text::TextRange;

pub use scalar::{Scalar, ScalarStyle};
pub use yaml::{Entry, Mapping, Node, NodeKind, Sequence};

use crate::shell::{Token, Word};
use crate::{ParseError, Parsed};

/// A parsed compose file.
#[derive(Clone, Debug, Default)]
pub struct ComposeFile {
    /// The document (anchors and merge keys resolved); `None` for an empty file.
    pub root: Option<Node>,
    /// Shared (a model that merges files keeps them without copying).
    pub services: Vec<std::sync::Arc<Service>>,
    /// The `services` key, when there is one.
    pub services_key: Option<TextRange>,
    /// Top-level `x-` extension fields (anchors are usually defined there).
    pub extensions: Vec<Scalar>,
    /// Top-level named volumes (`volumes:` keys).
    pub named_volumes: Vec<Scalar>,
    /// Every comment.
    pub comments: Vec<TextRange>,
}

/// One service.
#[derive(Clone, Debug)]
pub struct Service {
    /// The service's key.
    pub name: Scalar,
    /// The whole `name: {...}` pair.
    pub range: TextRange,
    /// The service's mapping (`None` when the service is not a mapping).
    pub body: Option<Mapping>,
    pub image: Option<Image>,
    pub build: Option<Build>,
    pub command: Option<Command>,
    pub entrypoint: Option<Command>,
    pub environment: Vec<EnvVar>,
    /// The `environment` key, when present.
    pub environment_key: Option<TextRange>,
    pub env_file: Vec<Scalar>,
    pub ports: Vec<Port>,
    pub volumes: Vec<Volume>,
    pub depends_on: Vec<Dependency>,
    pub healthcheck: Option<Healthcheck>,
    pub limits: Limits,
    /// Where a fix adds a key to this service: the indentation of its keys and the
    /// offset of the line after its last key. `None` for flow-style services.
    pub insert: Option<InsertPoint>,
}

/// Where a new `key: value` line goes in a block mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsertPoint {
    /// The indentation of the mapping's keys.
    pub indent: String,
    /// The start of the line after the mapping's last entry.
    pub offset: usize,
}

/// `image: [registry/]name[:tag][@digest]`.
#[derive(Clone, Debug)]
pub struct Image {
    /// The whole value.
    pub value: Scalar,
    /// The image name without tag and digest (`nginx`, `ghcr.io/org/app`).
    pub name: Scalar,
    pub tag: Option<Scalar>,
    pub digest: Option<Scalar>,
}

impl Image {
    /// The last path component of the name: `docker.io/library/postgres` → `postgres`.
    pub fn short_name(&self) -> &str {
        self.name.value.rsplit('/').next().unwrap_or(&self.name.value)
    }
}

/// `build: ./dir` or `build: {context, dockerfile}`.
#[derive(Clone, Debug)]
pub struct Build {
    pub range: TextRange,
    pub context: Option<Scalar>,
    pub dockerfile: Option<Scalar>,
    /// `dockerfile_inline`: the Dockerfile itself.
    pub dockerfile_inline: Option<Scalar>,
    pub target: Option<Scalar>,
}

impl Build {
    /// The context as written, `.` when missing.
    pub fn context_path(&self) -> &str {
        self.context.as_ref().map_or(".", |c| c.value.as_str())
    }

    /// The Dockerfile path relative to the compose file's folder (`context/Dockerfile`).
    pub fn dockerfile_path(&self) -> String {
        let name = self.dockerfile.as_ref().map_or("Dockerfile", |d| d.value.as_str());
        join_relative(self.context_path(), name)
    }
}

/// `command:` / `entrypoint:` / healthcheck `test:`.
#[derive(Clone, Debug)]
pub struct Command {
    /// The value node's range.
    pub range: TextRange,
    pub form: CommandForm,
    /// The words (string form: split like a shell, operators included; list form: one
    /// word per element), each mapped to its source bytes.
    pub tokens: Vec<Token>,
    /// Shell splitting errors of the string form (unterminated quotes).
    pub errors: Vec<ParseError>,
}

#[derive(Clone, Debug)]
pub enum CommandForm {
    /// `command: gunicorn app` (plain, quoted or block scalar).
    String(Scalar),
    /// `command: ["gunicorn", "app"]` (flow or block list).
    List(Vec<Scalar>),
}

impl Command {
    /// The words, in order.
    pub fn words(&self) -> impl Iterator<Item = &Word> {
        self.tokens.iter().filter_map(Token::as_word)
    }

    /// The list elements (list form) or the one string.
    pub fn scalars(&self) -> Vec<&Scalar> {
        match &self.form {
            CommandForm::String(s) => vec![s],
            CommandForm::List(items) => items.iter().collect(),
        }
    }

    fn from_node(node: &Node) -> Option<Command> {
        match &node.kind {
            NodeKind::Scalar(s) if !s.is_null() => {
                let parsed = s.shell_words();
                Some(Command { range: node.range, form: CommandForm::String(s.clone()), tokens: parsed.tree, errors: parsed.errors })
            }
            NodeKind::Sequence(seq) => {
                let items: Vec<Scalar> = seq.items.iter().filter_map(|i| i.as_scalar().cloned()).collect();
                let tokens = items.iter().map(|s| Token::Word(s.word())).collect();
                Some(Command { range: node.range, form: CommandForm::List(items), tokens, errors: Vec::new() })
            }
            _ => None,
        }
    }
}

/// One environment variable.
#[derive(Clone, Debug)]
pub struct EnvVar {
    pub name: Scalar,
    /// `None` for `KEY:` (null) or `- KEY` (passed through from the shell).
    pub value: Option<Scalar>,
    /// The whole entry (the pair, or the list item).
    pub range: TextRange,
    /// Written as a `- KEY=value` list item.
    pub list_form: bool,
    /// Brought in by a merge key or an alias (editing it edits the anchor).
    pub shared: bool,
}

/// A published port.
#[derive(Clone, Debug)]
pub struct Port {
    pub range: TextRange,
    /// `127.0.0.1` of `127.0.0.1:5432:5432` (brackets of IPv6 removed).
    pub host_ip: Option<Scalar>,
    /// The host port(s): `5432`, `8000-8010`.
    pub published: Option<Scalar>,
    /// The container port(s).
    pub target: Option<Scalar>,
    pub protocol: Option<Scalar>,
    /// Long syntax (`- target: 80` mapping).
    pub long: bool,
    /// The whole short-syntax value (for rewriting it).
    pub value: Option<Scalar>,
}

impl Port {
    /// Published on every host interface (no host IP, or `0.0.0.0` / `::`).
    pub fn on_all_interfaces(&self) -> bool {
        self.published.is_some() && self.host_ip.as_ref().is_none_or(|ip| matches!(ip.value.as_str(), "" | "0.0.0.0" | "::" | "[::]"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeKind {
    /// A host path (`./conf:/etc/conf`, `/srv:/srv`, `~/x:/x`).
    Bind,
    /// A named volume (`pg_data:/var/lib/postgresql/data`).
    Volume,
    /// No source: an anonymous volume.
    Anonymous,
    Tmpfs,
    Other,
}

/// A mount.
#[derive(Clone, Debug)]
pub struct Volume {
    pub range: TextRange,
    pub kind: VolumeKind,
    pub source: Option<Scalar>,
    pub target: Option<Scalar>,
    /// `ro` / `rw,z` of the short syntax.
    pub mode: Option<Scalar>,
    pub read_only: bool,
    pub long: bool,
}

/// `depends_on` entry.
#[derive(Clone, Debug)]
pub struct Dependency {
    pub service: Scalar,
    /// `service_started`, `service_healthy`, `service_completed_successfully`.
    pub condition: Option<Scalar>,
    pub range: TextRange,
}

/// `healthcheck:`.
#[derive(Clone, Debug)]
pub struct Healthcheck {
    pub range: TextRange,
    pub test: Option<Command>,
    pub disable: bool,
    pub interval: Option<Scalar>,
    pub timeout: Option<Scalar>,
    pub retries: Option<Scalar>,
    pub start_period: Option<Scalar>,
}

/// Resource limits: `deploy.resources.limits.{cpus, memory}` and the legacy service
/// keys `cpus` / `mem_limit`.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    pub deploy_cpus: Option<Scalar>,
    pub deploy_memory: Option<Scalar>,
    pub cpus: Option<Scalar>,
    pub mem_limit: Option<Scalar>,
    /// Where to add a key to `deploy.resources.limits`, when it is a block mapping.
    pub insert: Option<InsertPoint>,
}

impl Limits {
    /// The CPU limit in effect (`deploy` wins over the legacy key).
    pub fn cpus(&self) -> Option<&Scalar> {
        self.deploy_cpus.as_ref().or(self.cpus.as_ref())
    }

    /// The memory limit in effect (`deploy` wins over `mem_limit`).
    pub fn memory(&self) -> Option<&Scalar> {
        self.deploy_memory.as_ref().or(self.mem_limit.as_ref())
    }
}

impl ComposeFile {
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name.value == name).map(|s| &**s)
    }

    /// The top-level mapping.
    pub fn root_mapping(&self) -> Option<&Mapping> {
        self.root.as_ref().and_then(Node::as_mapping)
    }

    /// Every range in the model (for invariant checks).
    pub fn ranges(&self) -> Vec<TextRange> {
        let mut out = Vec::new();
        if let Some(r) = &self.root {
            r.ranges(&mut out);
        }
        out.extend(self.services_key);
        out.extend(self.extensions.iter().map(|s| s.range));
        out.extend(self.comments.iter().copied());
        for s in &self.services {
            s.ranges(&mut out);
        }
        out
    }
}

impl Service {
    /// A key of the service's mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.body.as_ref().and_then(|b| b.get(key))
    }

    /// The value of `environment: NAME` (the last one when repeated).
    pub fn env(&self, name: &str) -> Option<&EnvVar> {
        self.environment.iter().rev().find(|e| e.name.value == name)
    }

    fn ranges(&self, out: &mut Vec<TextRange>) {
        out.push(self.name.range);
        out.push(self.range);
        let scalars = |out: &mut Vec<TextRange>, s: &Option<Scalar>| out.extend(s.as_ref().map(|s| s.range));
        if let Some(i) = &self.image {
            out.extend([i.value.range, i.name.range]);
            scalars(out, &i.tag);
            scalars(out, &i.digest);
        }
        if let Some(b) = &self.build {
            out.push(b.range);
            scalars(out, &b.context);
            scalars(out, &b.dockerfile);
        }
        for c in self.command.iter().chain(&self.entrypoint).chain(self.healthcheck.iter().filter_map(|h| h.test.as_ref())) {
            out.push(c.range);
            out.extend(c.tokens.iter().map(Token::range));
            out.extend(c.words().filter_map(Word::value_range));
            out.extend(c.errors.iter().map(|e| e.range));
        }
        for e in &self.environment {
            out.extend([e.name.range, e.range]);
            scalars(out, &e.value);
        }
        out.extend(self.env_file.iter().map(|s| s.range));
        for p in &self.ports {
            out.push(p.range);
            for s in [&p.host_ip, &p.published, &p.target, &p.protocol, &p.value] {
                scalars(out, s);
            }
        }
        for v in &self.volumes {
            out.push(v.range);
            for s in [&v.source, &v.target, &v.mode] {
                scalars(out, s);
            }
        }
        for d in &self.depends_on {
            out.extend([d.service.range, d.range]);
            scalars(out, &d.condition);
        }
        for s in [&self.limits.deploy_cpus, &self.limits.deploy_memory, &self.limits.cpus, &self.limits.mem_limit] {
            scalars(out, s);
        }
        out.extend(self.insert.iter().chain(&self.limits.insert).map(|i| TextRange::empty(i.offset)));
    }
}

/// Parse a compose file. Total: any text gives a (possibly empty) model and the errors.
pub fn parse(text: &str) -> Parsed<ComposeFile> {
    let read = yaml::read(text);
    let mut errors = read.errors;
    let mut file = ComposeFile { comments: read.comments, ..ComposeFile::default() };
    if let Some(root) = &read.root {
        match root.as_mapping() {
            Some(top) => read_top(text, top, &mut file),
            None if root.is_null() => {}
            None if errors.is_empty() => errors.push(ParseError::new(root.range, "a compose file is a mapping (`services:` ...), not a list or a single value")),
            None => {}
        }
    }
    file.root = read.root;
    Parsed { tree: file, errors }
}

fn read_top(text: &str, top: &Mapping, file: &mut ComposeFile) {
    for e in top.own_entries() {
        if let Some(k) = e.key_scalar()
            && k.value.starts_with("x-")
        {
            file.extensions.push(k.clone());
        }
    }
    if let Some(vols) = top.get("volumes").and_then(Node::as_mapping) {
        file.named_volumes = vols.entries.iter().filter_map(|e| e.key_scalar().cloned()).collect();
    }
    match top.entry("services") {
        Some(entry) => {
            file.services_key = Some(entry.key.range);
            if let Some(services) = entry.value.as_ref().and_then(Node::as_mapping) {
                file.services = services.entries.iter().filter_map(|e| read_service(text, e)).map(std::sync::Arc::new).collect();
            }
        }
        // Version 1 files: the services are the top-level keys.
        None if top.get("version").is_none() => {
            file.services = top
                .entries
                .iter()
                .filter(|e| e.key_str().is_some_and(|k| !k.starts_with("x-")))
                .filter(|e| e.value.as_ref().and_then(Node::as_mapping).is_some_and(|m| m.get("image").is_some() || m.get("build").is_some()))
                .filter_map(|e| read_service(text, e))
                .map(std::sync::Arc::new)
                .collect();
        }
        None => {}
    }
}

fn read_service(text: &str, entry: &Entry) -> Option<Service> {
    let name = entry.key_scalar()?.clone();
    let body = entry.value.as_ref().and_then(Node::as_mapping).cloned();
    let get = |k: &str| body.as_ref().and_then(|b| b.get(k));
    let scalar = |k: &str| get(k).and_then(Node::as_scalar).filter(|s| !s.is_null()).cloned();
    let insert = body.as_ref().and_then(|b| insert_point(text, b));
    let mut limits = Limits { cpus: scalar("cpus"), mem_limit: scalar("mem_limit"), ..Limits::default() };
    if let Some(l) = get("deploy").and_then(Node::as_mapping).and_then(|d| d.get("resources")).and_then(Node::as_mapping).and_then(|r| r.get("limits")).and_then(Node::as_mapping) {
        limits.deploy_cpus = l.get("cpus").and_then(Node::as_scalar).filter(|s| !s.is_null()).cloned();
        limits.deploy_memory = l.get("memory").and_then(Node::as_scalar).filter(|s| !s.is_null()).cloned();
        limits.insert = insert_point(text, l);
    }
    let environment_entry = body.as_ref().and_then(|b| b.entry("environment"));
    Some(Service {
        range: entry.range,
        image: scalar("image").map(image),
        build: get("build").and_then(build),
        command: get("command").and_then(Command::from_node),
        entrypoint: get("entrypoint").and_then(Command::from_node),
        environment: environment_entry.and_then(|e| Some(environment(e.value.as_ref()?, e.merged_from.is_some()))).unwrap_or_default(),
        environment_key: environment_entry.map(|e| e.key.range),
        env_file: get("env_file").map(env_files).unwrap_or_default(),
        ports: get("ports").and_then(Node::as_sequence).map(|s| s.items.iter().filter_map(port).collect()).unwrap_or_default(),
        volumes: get("volumes").and_then(Node::as_sequence).map(|s| s.items.iter().filter_map(volume).collect()).unwrap_or_default(),
        depends_on: get("depends_on").map(depends_on).unwrap_or_default(),
        healthcheck: get("healthcheck").and_then(healthcheck),
        limits,
        insert,
        name,
        body,
    })
}

fn insert_point(text: &str, m: &Mapping) -> Option<InsertPoint> {
    if m.flow || m.own_entries().next().is_none() {
        return None;
    }
    let indent = " ".repeat(m.key_column(text)?);
    Some(InsertPoint { indent, offset: m.end_of_block(text) })
}

fn image(value: Scalar) -> Image {
    let v = value.value.as_str();
    let (before_digest, digest) = match v.find('@') {
        Some(i) => (i, Some(value.sub(i + 1..v.len()))),
        None => (v.len(), None),
    };
    let name_part = v.get(..before_digest).unwrap_or("");
    let last_slash = name_part.rfind('/').map_or(0, |i| i + 1);
    let (name_end, tag) = match name_part.get(last_slash..).and_then(|s| s.rfind(':')) {
        Some(i) => (last_slash + i, Some(value.sub(last_slash + i + 1..before_digest))),
        None => (before_digest, None),
    };
    Image { name: value.sub(0..name_end), tag, digest, value }
}

fn build(node: &Node) -> Option<Build> {
    match &node.kind {
        NodeKind::Scalar(s) if !s.is_null() => Some(Build { range: node.range, context: Some(s.clone()), dockerfile: None, dockerfile_inline: None, target: None }),
        NodeKind::Mapping(m) => {
            let scalar = |k: &str| m.get(k).and_then(Node::as_scalar).filter(|s| !s.is_null()).cloned();
            Some(Build { range: node.range, context: scalar("context"), dockerfile: scalar("dockerfile"), dockerfile_inline: scalar("dockerfile_inline"), target: scalar("target") })
        }
        _ => None,
    }
}

fn environment(node: &Node, merged: bool) -> Vec<EnvVar> {
    let shared = merged || node.via_alias.is_some();
    match &node.kind {
        NodeKind::Mapping(m) => m
            .entries
            .iter()
            .filter_map(|e| {
                let name = e.key_scalar()?.clone();
                let value = e.value.as_ref().and_then(Node::as_scalar).filter(|s| !s.is_null()).cloned();
                Some(EnvVar { name, value, range: e.range, list_form: false, shared: shared || e.merged_from.is_some() })
            })
            .collect(),
        NodeKind::Sequence(s) => s
            .items
            .iter()
            .filter_map(|item| {
                let sc = item.as_scalar()?;
                let (name, value) = match sc.value.find('=') {
                    Some(i) => (sc.sub(0..i), Some(sc.sub(i + 1..sc.value.len()))),
                    None => (sc.clone(), None),
                };
                Some(EnvVar { name, value, range: item.range, list_form: true, shared: shared || item.via_alias.is_some() })
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn env_files(node: &Node) -> Vec<Scalar> {
    match &node.kind {
        NodeKind::Scalar(s) if !s.is_null() => vec![s.clone()],
        NodeKind::Sequence(seq) => seq
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                NodeKind::Scalar(s) => Some(s.clone()),
                NodeKind::Mapping(m) => m.get("path").and_then(Node::as_scalar).cloned(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn port(node: &Node) -> Option<Port> {
    match &node.kind {
        NodeKind::Scalar(s) => Some(short_port(node.range, s)),
        NodeKind::Mapping(m) => {
            let scalar = |k: &str| m.get(k).and_then(Node::as_scalar).filter(|s| !s.is_null()).cloned();
            Some(Port { range: node.range, host_ip: scalar("host_ip"), published: scalar("published"), target: scalar("target"), protocol: scalar("protocol"), long: true, value: None })
        }
        _ => None,
    }
}

/// `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`; an IPv6 host IP is in brackets.
fn short_port(range: TextRange, s: &Scalar) -> Port {
    let v = s.value.as_str();
    let (body_end, protocol) = match v.rfind('/') {
        Some(i) => (i, Some(s.sub(i + 1..v.len()))),
        None => (v.len(), None),
    };
    let body = v.get(..body_end).unwrap_or("");
    let mut host_ip = None;
    let mut rest_start = 0;
    if body.starts_with('[')
        && let Some(close) = body.find(']')
    {
        host_ip = Some(s.sub(1..close));
        rest_start = (close + 2).min(body_end);
    }
    let rest = body.get(rest_start..).unwrap_or("");
    let colons: Vec<usize> = rest.match_indices(':').map(|(i, _)| i + rest_start).collect();
    let (published, target) = match (host_ip.is_some(), colons.as_slice()) {
        (_, []) => (None, Some(s.sub(rest_start..body_end))),
        (true, [.., c]) => (Some(s.sub(rest_start..*c)), Some(s.sub(c + 1..body_end))),
        (false, [c]) => (Some(s.sub(0..*c)), Some(s.sub(c + 1..body_end))),
        (false, [.., a, b]) => {
            host_ip = Some(s.sub(0..*a));
            (Some(s.sub(a + 1..*b)), Some(s.sub(b + 1..body_end)))
        }
    };
    Port { range, host_ip, published: published.filter(|p| !p.value.is_empty()), target, protocol, long: false, value: Some(s.clone()) }
}

fn volume(node: &Node) -> Option<Volume> {
    match &node.kind {
        NodeKind::Scalar(s) => {
            let v = s.value.as_str();
            // `C:\path:/target` (Windows drive) keeps its first colon.
            let skip = usize::from(v.len() > 2 && v.as_bytes().get(1) == Some(&b':') && v.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)) * 2;
            let colons: Vec<usize> = v.get(skip..).unwrap_or("").match_indices(':').map(|(i, _)| i + skip).collect();
            let (source, target, mode) = match colons.as_slice() {
                [] => (None, Some(s.sub(0..v.len())), None),
                [a] => (Some(s.sub(0..*a)), Some(s.sub(a + 1..v.len())), None),
                [a, b, ..] => (Some(s.sub(0..*a)), Some(s.sub(a + 1..*b)), Some(s.sub(b + 1..v.len()))),
            };
            let kind = match &source {
                None => VolumeKind::Anonymous,
                Some(src) if is_host_path(&src.value) => VolumeKind::Bind,
                Some(_) => VolumeKind::Volume,
            };
            let read_only = mode.as_ref().is_some_and(|m| m.value.split(',').any(|o| o == "ro"));
            Some(Volume { range: node.range, kind, source, target, mode, read_only, long: false })
        }
        NodeKind::Mapping(m) => {
            let scalar = |k: &str| m.get(k).and_then(Node::as_scalar).filter(|s| !s.is_null()).cloned();
            let source = scalar("source");
            let kind = match scalar("type").as_ref().map(|t| t.value.as_str()) {
                Some("bind") => VolumeKind::Bind,
                Some("volume") if source.is_none() => VolumeKind::Anonymous,
                Some("volume") => VolumeKind::Volume,
                Some("tmpfs") => VolumeKind::Tmpfs,
                Some(_) => VolumeKind::Other,
                None => match &source {
                    Some(s) if is_host_path(&s.value) => VolumeKind::Bind,
                    Some(_) => VolumeKind::Volume,
                    None => VolumeKind::Anonymous,
                },
            };
            let read_only = scalar("read_only").is_some_and(|r| matches!(r.value.as_str(), "true" | "True" | "TRUE" | "yes"));
            Some(Volume { range: node.range, kind, source, target: scalar("target"), mode: None, read_only, long: true })
        }
        _ => None,
    }
}

fn is_host_path(s: &str) -> bool {
    s.starts_with(['.', '/', '~', '$']) || s.as_bytes().get(1) == Some(&b':')
}

fn depends_on(node: &Node) -> Vec<Dependency> {
    match &node.kind {
        NodeKind::Sequence(s) => s.items.iter().filter_map(|i| Some(Dependency { service: i.as_scalar()?.clone(), condition: None, range: i.range })).collect(),
        NodeKind::Mapping(m) => m
            .entries
            .iter()
            .filter_map(|e| {
                let condition = e.value.as_ref().and_then(Node::as_mapping).and_then(|v| v.get("condition")).and_then(Node::as_scalar).cloned();
                Some(Dependency { service: e.key_scalar()?.clone(), condition, range: e.range })
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn healthcheck(node: &Node) -> Option<Healthcheck> {
    let m = node.as_mapping()?;
    let scalar = |k: &str| m.get(k).and_then(Node::as_scalar).filter(|s| !s.is_null()).cloned();
    let test = m.get("test").and_then(Command::from_node);
    let disable = scalar("disable").is_some_and(|d| d.value == "true") || test.as_ref().is_some_and(|t| t.scalars().first().is_some_and(|s| s.value == "NONE"));
    Some(Healthcheck { range: node.range, test, disable, interval: scalar("interval"), timeout: scalar("timeout"), retries: scalar("retries"), start_period: scalar("start_period") })
}

/// `context` + `/` + `name`, without `./` noise: (`./backend`, `Dockerfile`) → `backend/Dockerfile`.
pub fn join_relative(dir: &str, name: &str) -> String {
    if name.starts_with('/') {
        return name.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in dir.split('/').chain(name.split('/')) {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if dir.starts_with('/') { format!("/{joined}") } else { joined }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_paths() {
        assert_eq!(join_relative("./backend", "Dockerfile"), "backend/Dockerfile");
        assert_eq!(join_relative(".", "docker/Dockerfile.prod"), "docker/Dockerfile.prod");
        assert_eq!(join_relative("app/../srv", "Dockerfile"), "srv/Dockerfile");
        assert_eq!(join_relative("../x", "Dockerfile"), "../x/Dockerfile");
    }
}
