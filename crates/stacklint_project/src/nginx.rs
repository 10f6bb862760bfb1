//! The nginx side of the project: which file includes which, the context each file lands
//! in, and what is in effect at a directive across the include tree.
//!
//! Built once per project ([`NginxModel::build`]). Every nginx text is a [`NginxDoc`]:
//! a project file, or one file of an `nginx -T` dump (a section, with its offset in the
//! dump). `include` patterns are resolved with
//! [`IncludeResolver`](stacklint_syntax::nginx::IncludeResolver): relative ones against
//! the config root (the folder of the main `nginx.conf`) then the including file's folder;
//! absolute ones through the compose volumes that mount project paths under `/etc/nginx`,
//! else `/etc/nginx/...` is mapped onto the folder of the including file, then of the
//! config root — never outside the project root.
//!
//! A file that is included is not a root of its own; its context is the context of the
//! `include` (`conf.d/*.conf` included from `http` sits inside `http`). Files nothing
//! includes keep the context their path or content suggests
//! ([`default_context_for_path`]).
//!
//! Rules ask "what is in effect here" with [`NginxModel::in_effect`]: the directives named
//! so at the innermost level that has any, seen from inside a block, crossing `include`s
//! in both directions.
//!
//! ```
//! use stacklint_project::{Project, ProjectOptions};
//! use stacklint_project::nginx::Scope;
//!
//! let project = Project::from_sources(
//!     ProjectOptions::default(),
//!     &[
//!         ("nginx/nginx.conf", "events {}\nhttp {\n    include conf.d/*.conf;\n    include gzip.conf;\n}\n"),
//!         ("nginx/gzip.conf", "gzip on;\n"),
//!         ("nginx/conf.d/app.conf", "server {\n    location / {\n        proxy_pass http://app;\n    }\n}\n"),
//!     ],
//! );
//! let model = &project.nginx;
//! let app = model.doc_by_name(std::path::Path::new("nginx/conf.d/app.conf")).unwrap();
//! assert_eq!(model.doc(app).unwrap().context.as_deref(), Some(&["http".to_string()][..]));
//! let location = model.find(&project, app, "location").next().unwrap();
//! let gzip = model.in_effect(&project, Scope::inside(location), "gzip");
//! let gzip = model.node(&project, gzip[0]).unwrap();
//! assert_eq!(gzip.arg(0), Some("on"));
//! assert!(model.unresolved.is_empty());
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use stacklint_syntax::nginx::{self, DirectiveId, DirectiveRef, IncludeResolver, NginxConfig, default_context_for_path};
use stacklint_text::TextRange;

use crate::deployment::{DeployedService, FileVia, Role, path_glob_match};
use crate::kind::FileKind;
use crate::project::Project;

/// The index of a [`NginxDoc`] in [`NginxModel::docs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(pub usize);

/// A directive somewhere in the project's nginx configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct At {
    pub doc: DocId,
    pub id: DirectiveId,
}

/// A level of the configuration: inside a block directive's `{ }`, or the top of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub doc: DocId,
    /// The block directive; `None` for the top level of the file.
    pub block: Option<DirectiveId>,
}

impl Scope {
    /// Inside the block of `at`.
    pub fn inside(at: At) -> Scope {
        Scope { doc: at.doc, block: Some(at.id) }
    }

    /// The top level of a file.
    pub fn top(doc: DocId) -> Scope {
        Scope { doc, block: None }
    }
}

/// One nginx text: a project file or one file of an `nginx -T` dump.
#[derive(Clone, Debug)]
pub struct NginxDoc {
    /// The project file holding the text.
    pub file: PathBuf,
    /// The path nginx knows it by: the project path, or the path a dump printed.
    pub name: PathBuf,
    /// Where the text starts in [`Self::file`] (non-zero for dump sections): add it to
    /// the ranges of the doc's tree to get ranges in the file.
    pub offset: usize,
    /// The context the file's top level sits in (`[]` main, `["http"]`, ...); `None`
    /// when nothing includes it and neither its path nor its content tells.
    pub context: Option<Vec<String>>,
    /// The `include` directives that name this file, first reached first.
    pub included_by: Vec<At>,
    /// One file of an `nginx -T` dump (not edited by fixes).
    pub in_dump: bool,
    /// The configuration an official image ships (its own `/etc/nginx/nginx.conf`, kept
    /// as data in the repo), read by a service that brings no `nginx.conf` of its own:
    /// not a project file, so never edited and never reported on.
    pub image: Option<ImageConfig>,
    /// A dump section's own parsed tree (project files use their [`SourceFile`](crate::SourceFile)'s).
    section: Option<NginxConfig>,
    /// Where [`Self::file`] is in the project's files (queries look trees up by index,
    /// not by hashing the path).
    file_index: usize,
}

impl NginxDoc {
    /// Nothing includes it.
    pub fn is_root(&self) -> bool {
        self.included_by.is_empty()
    }

    /// A range of the doc's tree as a range in [`Self::file`].
    pub fn file_range(&self, range: TextRange) -> TextRange {
        TextRange::new(range.start() + self.offset, range.end() + self.offset)
    }

    /// Whether fixes may edit this doc (dump sections are output, not configuration; an
    /// image's own file is not the project's).
    pub fn editable(&self) -> bool {
        !self.in_dump && self.image.is_none()
    }

    /// A text of the project (a file or a dump section), not an image's own configuration:
    /// what rules report on.
    pub fn in_project(&self) -> bool {
        self.image.is_none()
    }
}

/// An image's own configuration file that a service reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageConfig {
    /// The image as the service names it (`nginx:1.27-alpine`).
    pub image: String,
    /// The service that runs it.
    pub service: String,
    /// Where the text is kept in this repository, for messages.
    pub data: &'static str,
}

/// `/etc/nginx/nginx.conf` of the official `nginx` image (see `data/nginx-image/README.md`
/// for its source and version): includes `/etc/nginx/conf.d/*.conf` inside `http`, gzip off.
pub const IMAGE_NGINX_CONF: &str = include_str!("../data/nginx-image/1.27/nginx.conf");

/// Where [`IMAGE_NGINX_CONF`] is kept.
pub const IMAGE_NGINX_CONF_DATA: &str = "crates/stacklint_project/data/nginx-image/1.27/nginx.conf";

/// One `include` directive and the files it names.
#[derive(Clone, Debug)]
pub struct IncludeEdge {
    pub from: At,
    pub pattern: String,
    pub targets: Vec<DocId>,
}

/// An `include` that names no file the project has.
#[derive(Clone, Debug)]
pub struct UnresolvedInclude {
    pub at: At,
    pub pattern: String,
    /// Has `*`, `?` or `[` (nginx accepts a glob that matches nothing).
    pub is_glob: bool,
    /// The project path the pattern was looked up at; `None` when it points outside the
    /// project (an absolute path nothing mounts), so nothing can be said about it.
    pub looked_up: Option<PathBuf>,
    /// A file every nginx install ships (`mime.types`, `fastcgi_params`, ...).
    pub stock: bool,
}

/// An `include` that re-enters a file already on its include chain.
#[derive(Clone, Debug)]
pub struct IncludeCycle {
    pub at: At,
    /// From the first file of the cycle back to it.
    pub chain: Vec<DocId>,
}

/// The include graph of the project's nginx files.
///
/// Queries cost what they return, not the size of the configuration: the `include` edges
/// are indexed by the directive and the file they start from, and each level's
/// directives (includes expanded) are listed and indexed by name once, the first time
/// the level is asked about ([`NginxModel::children`], [`NginxModel::named`],
/// [`NginxModel::in_effect`]).
#[derive(Clone, Debug, Default)]
pub struct NginxModel {
    pub docs: Vec<NginxDoc>,
    pub includes: Vec<IncludeEdge>,
    pub unresolved: Vec<UnresolvedInclude>,
    pub cycles: Vec<IncludeCycle>,
    /// Indexes into `includes`: by the `include` directive, and by the doc it sits in.
    edges_from: HashMap<At, Vec<usize>>,
    edges_of_doc: Vec<Vec<usize>>,
    /// Per doc, per level (0: the top, `i + 1`: inside directive `i`), filled on first use
    /// (boxed: a slot per directive, most of them never asked about).
    levels: Vec<Vec<OnceLock<Box<Level>>>>,
}

/// The directives of one level, includes expanded, in nginx's reading order.
#[derive(Clone, Debug, Default)]
struct Level {
    children: Vec<At>,
    by_name: HashMap<String, Vec<At>>,
    /// [`NginxModel::scope_chain`] from here, on first use (every `in_effect` asks).
    chain: OnceLock<Vec<Scope>>,
}

/// Files shipped with nginx (Debian and the official image) that configs include from
/// `/etc/nginx` without the project carrying them.
const STOCK_FILES: &[&str] = &[
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "uwsgi_params",
    "scgi_params",
    "proxy_params",
    "koi-utf",
    "koi-win",
    "win-utf",
    "snippets/fastcgi-php.conf",
    "snippets/snakeoil.conf",
];

/// Whether an unresolved include may hold directive `name`: a stock file only the
/// directives it ships with, anything else anything.
fn may_hold(u: &UnresolvedInclude, name: &str) -> bool {
    if !u.stock {
        return true;
    }
    let file = u.pattern.rsplit('/').next().unwrap_or(&u.pattern);
    let holds: &[&str] = match file {
        "mime.types" => &["types"],
        "fastcgi_params" | "fastcgi.conf" => &["fastcgi_param"],
        "uwsgi_params" => &["uwsgi_param"],
        "scgi_params" => &["scgi_param"],
        "proxy_params" => &["proxy_set_header"],
        "koi-utf" | "koi-win" | "win-utf" => &["charset_map"],
        "snakeoil.conf" => &["ssl_certificate", "ssl_certificate_key"],
        _ => return true,
    };
    holds.contains(&name)
}

/// Directive names that put a file into the main context when written at its top level.
const MAIN_ONLY: &[&str] = &["http", "events", "worker_processes", "worker_rlimit_nofile", "stream", "pid", "user", "load_module"];

impl NginxModel {
    /// Builds the model from the project's nginx files (and `nginx -T` dumps).
    pub fn build(project: &Project) -> NginxModel {
        let mut model = NginxModel::default();
        let mut dumps: Vec<(usize, usize)> = Vec::new(); // doc ranges of each dump
        for (file_index, file) in project.files.iter().enumerate().filter(|(_, f)| f.kind == FileKind::Nginx) {
            if nginx::dump::is_dump(&file.text) {
                let start = model.docs.len();
                for section in nginx::split_dump(&file.text) {
                    model.docs.push(NginxDoc {
                        file: file.path.clone(),
                        name: PathBuf::from(section.path),
                        offset: section.offset,
                        context: None,
                        included_by: Vec::new(),
                        in_dump: true,
                        image: None,
                        section: Some(nginx::parse(section.text).tree),
                        file_index,
                    });
                }
                dumps.push((start, model.docs.len()));
            } else if file.nginx().is_some() {
                model.docs.push(NginxDoc {
                    file: file.path.clone(),
                    name: file.path.clone(),
                    offset: 0,
                    context: None,
                    included_by: Vec::new(),
                    in_dump: false,
                    image: None,
                    section: None,
                    file_index,
                });
            }
        }
        model.link_project(project, &dumps);
        for &(start, end) in &dumps {
            model.link_dump(project, start, end);
        }
        model.add_image_configs(project);
        model.index_edges();
        model.levels = (0..model.docs.len()).map(|i| {
            let n = model.config_at(project, DocId(i)).map_or(0, |c| c.directives().len());
            (0..=n).map(|_| OnceLock::new()).collect()
        }).collect();
        model.assign_contexts(project);
        model.cycles = model.find_cycles();
        model
    }

    /// Resolves the includes of the project's own files.
    fn link_project(&mut self, project: &Project, dumps: &[(usize, usize)]) {
        let dump_doc: HashSet<usize> = dumps.iter().flat_map(|&(s, e)| s..e).collect();
        let in_dump = |i: usize| dump_doc.contains(&i);
        let all_files = nginx::IncludeFiles::new(project.files.iter().map(|f| &f.path));
        let mounts = compose_mounts(project);
        let by_name: HashMap<PathBuf, usize> = (0..self.docs.len()).rev().filter(|&j| !in_dump(j)).map(|j| (self.docs[j].name.clone(), j)).collect();
        let services = nginx_services(project);
        let main_dirs: Vec<PathBuf> = (0..self.docs.len())
            .filter(|&i| !in_dump(i))
            .filter(|&i| self.config_at(project, DocId(i)).is_some_and(|c| looks_main(&self.docs[i].name, c)))
            .filter_map(|i| self.docs[i].name.parent().map(Path::to_path_buf))
            .collect();
        for i in 0..self.docs.len() {
            if in_dump(i) {
                continue;
            }
            let doc = DocId(i);
            let name = self.docs[i].name.clone();
            let own_dir = name.parent().map(Path::to_path_buf).unwrap_or_default();
            // The config root: the folder of the nearest main config above (or beside) the file.
            let config_root = main_dirs.iter().filter(|d| own_dir.starts_with(d)).max_by_key(|d| d.components().count()).cloned().unwrap_or_else(|| own_dir.clone());
            let Some(config) = self.config_at(project, doc) else { continue };
            let includes: Vec<(DirectiveId, String)> = config.find_all("include").filter(|d| d.block.is_none()).filter_map(|d| Some((d.id, d.arg(0)?.to_owned()))).collect();
            for (id, pattern) in includes {
                let resolve = |config_root: &Path, mounts: &[(PathBuf, PathBuf)]| {
                    IncludeResolver { project_root: &project.root, config_root, mounts, files: &all_files, including_dir_fallback: true }.resolve(&pattern, &name)
                };
                // Where the deployment puts files first: the project files that land at the
                // path in the nginx services that read this one.
                let mut found = through_services(&services, Some(&name), &pattern);
                if found.is_empty() {
                    found = resolve(&config_root, &mounts);
                }
                let mut looked_up = None;
                if Path::new(&pattern).has_root() {
                    for dir in [&own_dir, &config_root] {
                        let etc = [(PathBuf::from("/etc/nginx"), dir.clone())];
                        if looked_up.is_none() {
                            looked_up = Path::new(&pattern).strip_prefix("/etc/nginx").ok().map(|rest| dir.join(rest));
                        }
                        if found.is_empty() {
                            found = resolve(&config_root, &etc);
                        }
                    }
                    if let Some((mount, dir)) = mounts.iter().find(|(m, _)| Path::new(&pattern).starts_with(m)) {
                        looked_up = Path::new(&pattern).strip_prefix(mount).ok().map(|rest| dir.join(rest));
                    }
                } else {
                    looked_up = Some(config_root.join(&pattern));
                }
                let targets: Vec<DocId> = found.iter().filter_map(|p| by_name.get(p).copied()).map(DocId).collect();
                let at = At { doc, id };
                if found.is_empty() {
                    let rest = pattern.strip_prefix("/etc/nginx/").unwrap_or(&pattern);
                    self.unresolved.push(UnresolvedInclude {
                        at,
                        is_glob: pattern.contains(['*', '?', '[']),
                        looked_up,
                        stock: STOCK_FILES.contains(&rest),
                        pattern: pattern.clone(),
                    });
                }
                for &t in &targets {
                    self.docs[t.0].included_by.push(at);
                }
                self.includes.push(IncludeEdge { from: at, pattern, targets });
            }
        }
    }

    /// Resolves the includes inside one `nginx -T` dump, among its own sections.
    fn link_dump(&mut self, project: &Project, start: usize, end: usize) {
        let names: Vec<PathBuf> = (start..end).map(|i| self.docs[i].name.clone()).collect();
        let position: HashMap<&PathBuf, usize> = names.iter().enumerate().rev().map(|(j, n)| (n, j)).collect();
        let Some(main) = names.first() else { return };
        let config_root = main.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = PathBuf::from("/");
        let mounts = [(root.clone(), root.clone())];
        let index = nginx::IncludeFiles::new(&names);
        let resolver = IncludeResolver { project_root: &root, config_root: &config_root, mounts: &mounts, files: &index, including_dir_fallback: false };
        for i in start..end {
            let doc = DocId(i);
            let Some(config) = self.config_at(project, doc) else { continue };
            let includes: Vec<(DirectiveId, String)> = config.find_all("include").filter(|d| d.block.is_none()).filter_map(|d| Some((d.id, d.arg(0)?.to_owned()))).collect();
            for (id, pattern) in includes {
                let found = resolver.resolve(&pattern, &self.docs[i].name.clone());
                let targets: Vec<DocId> = found.iter().filter_map(|p| position.get(p).copied()).map(|j| DocId(start + j)).collect();
                let at = At { doc, id };
                for &t in &targets {
                    self.docs[t.0].included_by.push(at);
                }
                self.includes.push(IncludeEdge { from: at, pattern, targets });
            }
        }
    }

    /// The official `nginx` image's own `nginx.conf` for each nginx service that runs that
    /// image with project files in `/etc/nginx/conf.d/` and no project file at
    /// `/etc/nginx/nginx.conf`: the snippets are read inside its `http` block.
    fn add_image_configs(&mut self, project: &Project) {
        for s in nginx_services(project) {
            let Some(image) = s.image.as_ref().map(|i| i.value.clone()) else { continue };
            if !is_official_nginx(&image) || s.file_at("/etc/nginx/nginx.conf").is_some() || s.config_files.iter().any(|c| c.program == "nginx" && c.path != "/etc/nginx/nginx.conf") {
                continue;
            }
            let lands_in_conf_d = s.files.iter().any(|f| path_glob_match("/etc/nginx/conf.d/*.conf", &f.container_path) && self.doc_by_name(&f.file).is_some());
            if !lands_in_conf_d {
                continue;
            }
            let doc = DocId(self.docs.len());
            let tree = nginx::parse(IMAGE_NGINX_CONF).tree;
            let includes: Vec<(DirectiveId, String)> = tree.find_all("include").filter(|d| d.block.is_none()).filter_map(|d| Some((d.id, d.arg(0)?.to_owned()))).collect();
            self.docs.push(NginxDoc {
                file: PathBuf::from(format!("{image}:/etc/nginx/nginx.conf")),
                name: PathBuf::from("/etc/nginx/nginx.conf"),
                offset: 0,
                context: None,
                included_by: Vec::new(),
                in_dump: false,
                image: Some(ImageConfig { image, service: s.name.clone(), data: IMAGE_NGINX_CONF_DATA }),
                section: Some(tree),
                file_index: usize::MAX,
            });
            // `mime.types` and the rest are the image's: only what the project puts there is linked.
            for (id, pattern) in includes {
                let targets: Vec<DocId> = through_services(std::slice::from_ref(&s), None, &pattern).iter().filter_map(|p| self.doc_by_name(p)).collect();
                let at = At { doc, id };
                for &t in &targets {
                    if let Some(d) = self.docs.get_mut(t.0) {
                        d.included_by.push(at);
                    }
                }
                self.includes.push(IncludeEdge { from: at, pattern, targets });
            }
        }
    }

    /// Every include cycle, once: a depth-first walk over the include edges (explicit stack)
    /// that reports an edge back to a file still on the walk's path.
    fn find_cycles(&self) -> Vec<IncludeCycle> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut mark = vec![Mark::New; self.docs.len()];
        let mut cycles = Vec::new();
        for start in 0..self.docs.len() {
            if mark.get(start) != Some(&Mark::New) {
                continue;
            }
            // (doc, index of its next edge to follow); `path` mirrors the docs on the stack.
            // (doc, its next edge, the next target of that edge)
            let mut stack: Vec<(usize, usize, usize)> = vec![(start, 0, 0)];
            let mut path: Vec<usize> = vec![start];
            if let Some(m) = mark.get_mut(start) {
                *m = Mark::OnPath;
            }
            while let Some(&mut (doc, ref mut edge_n, ref mut target_n)) = stack.last_mut() {
                let edges = self.edges_of_doc.get(doc).map_or(&[][..], Vec::as_slice);
                let mut step = None;
                while let Some(edge) = edges.get(*edge_n).and_then(|&e| self.includes.get(e)) {
                    if let Some(t) = edge.targets.get(*target_n) {
                        *target_n += 1;
                        step = Some((edge, t.0));
                        break;
                    }
                    *edge_n += 1;
                    *target_n = 0;
                }
                let Some((edge, t)) = step else {
                    if let Some(m) = mark.get_mut(doc) {
                        *m = Mark::Done;
                    }
                    stack.pop();
                    path.pop();
                    continue;
                };
                match mark.get(t).copied() {
                    Some(Mark::New) => {
                        if let Some(m) = mark.get_mut(t) {
                            *m = Mark::OnPath;
                        }
                        stack.push((t, 0, 0));
                        path.push(t);
                    }
                    Some(Mark::OnPath) => {
                        let from = path.iter().position(|&p| p == t).unwrap_or(0);
                        let mut chain: Vec<DocId> = path.get(from..).unwrap_or_default().iter().map(|&d| DocId(d)).collect();
                        chain.push(DocId(t));
                        cycles.push(IncludeCycle { at: edge.from, chain });
                    }
                    _ => {}
                }
            }
        }
        cycles
    }

    /// Contexts from the roots down.
    fn assign_contexts(&mut self, project: &Project) {
        let mut roots: Vec<DocId> = (0..self.docs.len()).map(DocId).filter(|&d| self.docs[d.0].is_root()).collect();
        // Files only reachable through a cycle: enter the cycle somewhere.
        let mut reached: HashSet<DocId> = HashSet::new();
        loop {
            for &r in &roots {
                if reached.insert(r) {
                    let guess = self.config_at(project, r).map(|c| guess_context(&self.docs[r.0].name, c));
                    self.docs[r.0].context = guess.flatten();
                    self.descend(project, r, &mut reached);
                }
            }
            match (0..self.docs.len()).map(DocId).find(|d| !reached.contains(d)) {
                Some(d) => roots = vec![d],
                None => break,
            }
        }
    }

    /// Walks the includes below `from` (depth first, with an explicit stack), giving each
    /// newly reached file its context and recording cycles.
    fn descend(&mut self, project: &Project, from: DocId, reached: &mut HashSet<DocId>) {
        // (doc, the chain of docs that led here)
        let mut stack: Vec<(DocId, Vec<DocId>)> = vec![(from, vec![from])];
        while let Some((doc, chain)) = stack.pop() {
            let edges: Vec<IncludeEdge> = self.edges_of_doc.get(doc.0).into_iter().flatten().filter_map(|&e| self.includes.get(e)).cloned().collect();
            for edge in edges.into_iter().rev() {
                let local: Vec<String> = self.node(project, edge.from).map(|d| d.context().into_iter().map(str::to_owned).collect()).unwrap_or_default();
                let base = self.docs[doc.0].context.clone();
                for &t in edge.targets.iter().rev() {
                    if chain.contains(&t) {
                        continue; // a cycle: `find_cycles` reports it
                    }
                    if !reached.insert(t) {
                        continue;
                    }
                    self.docs[t.0].context = base.clone().map(|mut c| {
                        c.extend(local.iter().cloned());
                        c
                    });
                    let mut next = chain.clone();
                    next.push(t);
                    stack.push((t, next));
                }
            }
        }
    }

    fn config_at<'a>(&'a self, project: &'a Project, doc: DocId) -> Option<&'a NginxConfig> {
        let d = self.docs.get(doc.0)?;
        match &d.section {
            Some(c) => Some(c),
            None => match project.files.get(d.file_index) {
                Some(f) if f.path == d.file => f.nginx(),
                _ => project.file(&d.file)?.nginx(),
            },
        }
    }

    /// The doc with this id.
    pub fn doc(&self, doc: DocId) -> Option<&NginxDoc> {
        self.docs.get(doc.0)
    }

    /// The project file (not dump section) known by this path.
    pub fn doc_by_name(&self, name: &Path) -> Option<DocId> {
        self.docs.iter().position(|d| !d.in_dump && d.image.is_none() && d.name == name).map(DocId)
    }

    /// Every doc with its id.
    pub fn iter(&self) -> impl Iterator<Item = (DocId, &NginxDoc)> {
        self.docs.iter().enumerate().map(|(i, d)| (DocId(i), d))
    }

    /// The parsed tree of a doc.
    pub fn config<'a>(&'a self, project: &'a Project, doc: DocId) -> Option<&'a NginxConfig> {
        self.config_at(project, doc)
    }

    /// A cursor on a directive.
    pub fn node<'a>(&'a self, project: &'a Project, at: At) -> Option<DirectiveRef<'a>> {
        self.config_at(project, at.doc)?.node(at.id)
    }

    /// Every directive called `name` in one doc.
    pub fn find<'a>(&'a self, project: &'a Project, doc: DocId, name: &'a str) -> impl Iterator<Item = At> + 'a {
        self.config_at(project, doc).into_iter().flat_map(move |c| c.find_all(name).map(move |d| At { doc, id: d.id }))
    }

    /// The full context of a directive across includes (`["http", "server", "location"]`);
    /// `None` when the file's own context is unknown.
    pub fn context(&self, project: &Project, at: At) -> Option<Vec<String>> {
        let mut out = self.doc(at.doc)?.context.clone()?;
        out.extend(self.node(project, at)?.context().into_iter().map(str::to_owned));
        Some(out)
    }

    /// The directives directly inside a level, in nginx's reading order, with `include`s
    /// expanded in place (the `include` itself, then the top level of each file it names).
    pub fn children(&self, project: &Project, scope: Scope) -> Vec<At> {
        self.level_children(project, scope).to_vec()
    }

    /// [`Self::children`], borrowed from the model's index of the level.
    pub fn level_children(&self, project: &Project, scope: Scope) -> &[At] {
        self.level(project, scope).map_or(&[], |l| l.children.as_slice())
    }

    /// The directives called `name` directly inside a level (includes expanded), in
    /// reading order: [`Self::children`] filtered by name, from the level's index.
    pub fn named(&self, project: &Project, scope: Scope, name: &str) -> &[At] {
        self.level(project, scope).and_then(|l| l.by_name.get(name)).map_or(&[], Vec::as_slice)
    }

    /// How many directives the level indexes built so far list, over all levels: at most
    /// the number of directives when nothing is included twice (each level is listed
    /// once, however often it is asked about).
    pub fn indexed_entries(&self) -> usize {
        self.levels.iter().flatten().filter_map(OnceLock::get).map(|l| l.children.len()).sum()
    }

    /// The index of a level, built on first use.
    fn level(&self, project: &Project, scope: Scope) -> Option<&Level> {
        let slot = match scope.block {
            None => 0,
            Some(b) => b.index() + 1,
        };
        let cell = self.levels.get(scope.doc.0)?.get(slot)?;
        Some(cell.get_or_init(|| {
            let mut children = Vec::new();
            let mut seen: HashSet<DocId> = HashSet::from([scope.doc]);
            self.push_children(project, scope, &mut children, &mut seen);
            let mut by_name: HashMap<String, Vec<At>> = HashMap::new();
            for &at in &children {
                if let Some(d) = self.node(project, at) {
                    by_name.entry(d.name().to_owned()).or_default().push(at);
                }
            }
            Box::new(Level { children, by_name, chain: OnceLock::new() })
        }))
    }

    fn push_children(&self, project: &Project, scope: Scope, out: &mut Vec<At>, seen: &mut HashSet<DocId>) {
        let Some(config) = self.config_at(project, scope.doc) else { return };
        let ids: Vec<DirectiveId> = match scope.block {
            Some(b) => config.node(b).map(|d| d.children().map(|c| c.id).collect()).unwrap_or_default(),
            None => config.roots().map(|d| d.id).collect(),
        };
        for id in ids {
            let at = At { doc: scope.doc, id };
            out.push(at);
            if config.node(id).is_some_and(|d| d.is("include")) {
                for &e in self.edges_from.get(&at).into_iter().flatten() {
                    let Some(edge) = self.includes.get(e) else { continue };
                    for &t in &edge.targets {
                        if seen.insert(t) {
                            self.push_children(project, Scope::top(t), out, seen);
                            seen.remove(&t);
                        }
                    }
                }
            }
        }
    }

    /// Indexes the include edges by their directive and their doc.
    fn index_edges(&mut self) {
        self.edges_from.clear();
        self.edges_of_doc = vec![Vec::new(); self.docs.len()];
        for (i, e) in self.includes.iter().enumerate() {
            self.edges_from.entry(e.from).or_default().push(i);
            if let Some(v) = self.edges_of_doc.get_mut(e.from.doc.0) {
                v.push(i);
            }
        }
    }

    /// The level around `scope`: the enclosing block (or, at the top of an included file,
    /// the level of its first `include`); `None` at the top of a root.
    pub fn parent_scope(&self, project: &Project, scope: Scope) -> Option<Scope> {
        let scope = self.normalize(project, scope);
        let block = scope.block?;
        match self.node(project, At { doc: scope.doc, id: block })?.parent() {
            Some(p) => Some(Scope { doc: scope.doc, block: Some(p.id) }),
            None => self.top_scope(project, scope.doc),
        }
    }

    /// The level a doc's top level belongs to: its own top for a root, else the level of
    /// the (first) `include` that names it.
    pub fn top_scope(&self, project: &Project, doc: DocId) -> Option<Scope> {
        let mut doc = doc;
        let mut guard = 0;
        loop {
            let d = self.doc(doc)?;
            let Some(&inc) = d.included_by.first() else { return Some(Scope::top(doc)) };
            let parent = self.node(project, inc)?.parent().map(|p| p.id);
            if parent.is_some() {
                return Some(Scope { doc: inc.doc, block: parent });
            }
            doc = inc.doc;
            guard += 1;
            if guard > self.docs.len() {
                return None;
            }
        }
    }

    /// The level a directive sits at.
    pub fn scope_of(&self, project: &Project, at: At) -> Option<Scope> {
        match self.node(project, at)?.parent() {
            Some(p) => Some(Scope { doc: at.doc, block: Some(p.id) }),
            None => self.top_scope(project, at.doc),
        }
    }

    /// The levels from `scope` outwards to the top of the root, `scope` first.
    pub fn scope_chain(&self, project: &Project, scope: Scope) -> Vec<Scope> {
        match self.level(project, scope) {
            Some(level) => level.chain.get_or_init(|| self.find_scope_chain(project, scope)).clone(),
            None => self.find_scope_chain(project, scope),
        }
    }

    fn find_scope_chain(&self, project: &Project, scope: Scope) -> Vec<Scope> {
        let mut out = vec![self.normalize(project, scope)];
        while let Some(&last) = out.last() {
            match self.parent_scope(project, last) {
                Some(n) if !out.contains(&n) && out.len() <= self.docs.len() + 64 => out.push(n),
                _ => break,
            }
        }
        out
    }

    /// The top of an included file is the level of its `include`.
    fn normalize(&self, project: &Project, scope: Scope) -> Scope {
        if scope.block.is_none() { self.top_scope(project, scope.doc).unwrap_or(scope) } else { scope }
    }

    /// The directives called `name` in effect inside `scope`: those of the innermost level
    /// (from `scope` outwards, across includes) that has any. Empty when none is set.
    pub fn in_effect(&self, project: &Project, scope: Scope, name: &str) -> Vec<At> {
        self.scope_chain(project, scope).into_iter().map(|level| self.named(project, level, name)).find(|found| !found.is_empty()).map(<[At]>::to_vec).unwrap_or_default()
    }

    /// [`Self::in_effect`], or `None` when an `include` the project does not have may hold
    /// the answer: one at a level from `scope` out to the level that decides (the first
    /// with a `name`), that is not a stock file known to hold other directives only
    /// (`mime.types` holds `types`; `proxy_params` holds `proxy_set_header`).
    pub fn in_effect_known(&self, project: &Project, scope: Scope, name: &str) -> Option<Vec<At>> {
        for level in self.scope_chain(project, scope) {
            for &inc in self.named(project, level, "include") {
                if let Some(u) = self.unresolved.iter().find(|u| u.at == inc)
                    && may_hold(u, name)
                {
                    return None;
                }
            }
            let found = self.named(project, level, name);
            if !found.is_empty() {
                return Some(found.to_vec());
            }
        }
        Some(Vec::new())
    }

    /// The last directive called `name` in effect inside `scope` (for single-valued directives).
    pub fn last_in_effect<'a>(&'a self, project: &'a Project, scope: Scope, name: &str) -> Option<(At, DirectiveRef<'a>)> {
        let at = *self.in_effect(project, scope, name).last()?;
        Some((at, self.node(project, at)?))
    }

    /// The `http` blocks of the project's main configs (roots whose context is main).
    pub fn http_blocks(&self, project: &Project) -> Vec<At> {
        self.http_blocks_where(project, NginxDoc::in_project)
    }

    /// The `http` blocks of the images' own configurations that include project files
    /// ([`NginxDoc::image`]): what is in effect there comes from the image.
    pub fn image_http_blocks(&self, project: &Project) -> Vec<At> {
        self.http_blocks_where(project, |d| !d.in_project())
    }

    fn http_blocks_where(&self, project: &Project, keep: impl Fn(&NginxDoc) -> bool) -> Vec<At> {
        let mut out = Vec::new();
        for (doc, d) in self.iter() {
            if d.context.as_deref() != Some(&[]) || !keep(d) {
                continue;
            }
            out.extend(self.find(project, doc, "http").filter(|&at| self.node(project, at).is_some_and(|n| n.depth == 0 && n.block.is_some())));
        }
        out
    }
}

/// An nginx `return`/`rewrite` that sends every plain-HTTP request to `https://`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpsRedirect {
    pub file: PathBuf,
    /// The `return` or `rewrite` directive.
    pub range: TextRange,
}

impl NginxModel {
    /// A `server` of the project (in `http`, or at the top of a file) that listens on port
    /// 80 — or has no `listen`, which means 80 — and redirects every request to `https://`
    /// (`return 301 https://$host$request_uri;` or `rewrite ^ https://... permanent;` at
    /// the server level or in `location /`): Django behind it never sees plain HTTP.
    pub fn https_redirect(&self, project: &Project) -> Option<HttpsRedirect> {
        for file in project.files_of(FileKind::Nginx) {
            let Some(conf) = file.nginx() else { continue };
            for server in conf.find_all("server") {
                if server.parent().is_some_and(|p| p.name() != "http") || !listens_on_80(server) {
                    continue;
                }
                let at_server = server.children().find(|d| redirects_to_https(*d));
                let at_root = server.children_named("location").filter(|l| l.arg_values() == ["/"]).find_map(|l| l.children().find(|d| redirects_to_https(*d)));
                if let Some(d) = at_server.or(at_root) {
                    return Some(HttpsRedirect { file: file.path.clone(), range: d.data().range });
                }
            }
        }
        None
    }
}

/// A `server` with no `listen` (port 80), or one `listen` on port 80 without `ssl`.
fn listens_on_80(server: DirectiveRef<'_>) -> bool {
    let mut listens = server.children_named("listen").peekable();
    listens.peek().is_none()
        || listens.any(|l| {
            l.arg(0).is_some_and(|a| {
                let port = a.rsplit(':').next().unwrap_or(a);
                port == "80" && !l.arg_values().contains(&"ssl")
            })
        })
}

/// `return [301|302|307|308] https://...` or a catch-all `rewrite` to `https://`.
fn redirects_to_https(d: DirectiveRef<'_>) -> bool {
    let args = d.arg_values();
    match d.name() {
        "return" => match args.as_slice() {
            [code, url] => matches!(*code, "301" | "302" | "307" | "308") && url.starts_with("https://"),
            [url] => url.starts_with("https://"),
            _ => false,
        },
        "rewrite" => args.get(1).is_some_and(|u| u.starts_with("https://")) && args.first().is_some_and(|r| matches!(*r, "^" | "^(.*)$" | "^/(.*)$" | "^(.*)" | "^/(.*)" | ".*" | "^.*$")),
        _ => false,
    }
}

/// Whether a file is a main config: named `nginx.conf`, or `http`/`events` at its top.
fn looks_main(name: &Path, config: &NginxConfig) -> bool {
    name.file_name().is_some_and(|n| n == "nginx.conf") || config.roots().any(|d| d.is("http") || d.is("events"))
}

/// The context of a file nothing includes: from its content first, then its path.
fn guess_context(name: &Path, config: &NginxConfig) -> Option<Vec<String>> {
    let owned = |c: &[&str]| c.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    if config.roots().any(|d| MAIN_ONLY.contains(&d.name())) {
        return Some(Vec::new());
    }
    if let Some(c) = default_context_for_path(name) {
        return Some(owned(c));
    }
    if config.roots().any(|d| d.is("server") || d.is("upstream") || d.is("map")) {
        return Some(owned(&["http"]));
    }
    if config.roots().any(|d| d.is("location")) {
        return Some(owned(&["http", "server"]));
    }
    None
}

/// The services that run nginx in a container (they see files where `COPY`s and mounts
/// put them; a host service reads them in place, which the project lookup covers).
fn nginx_services(project: &Project) -> Vec<&DeployedService> {
    project.deployment.services.iter().filter(|s| s.role == Role::Nginx && s.files.iter().all(|f| f.via != FileVia::Host)).collect()
}

/// `nginx`, `nginx:1.27-alpine`, `docker.io/library/nginx:1.27`: the official image.
fn is_official_nginx(image: &str) -> bool {
    let name = image.split(['@', ':']).next().unwrap_or(image);
    matches!(name.trim_start_matches("docker.io/").trim_start_matches("library/"), "nginx")
}

/// The project files an `include` in `file` names in the nginx services that see `file`
/// (`None`: the image's own file, read by each of `services`): the pattern, relative ones from the
/// folder of the `nginx.conf` the service reads (`/etc/nginx`), matched against where each
/// project file lands in that service; sorted by that path, as nginx sorts a glob.
fn through_services(services: &[&DeployedService], file: Option<&Path>, pattern: &str) -> Vec<PathBuf> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for s in services {
        if file.is_some_and(|f| s.path_of(f).is_none()) {
            continue;
        }
        let conf = s.config_files.iter().find(|c| c.program == "nginx").map_or("/etc/nginx/nginx.conf", |c| c.path.as_str());
        let prefix = Path::new(conf).parent().map_or_else(|| "/etc/nginx".to_owned(), |p| p.to_string_lossy().into_owned());
        let absolute = if pattern.starts_with('/') { pattern.to_owned() } else { format!("{prefix}/{pattern}") };
        for f in &s.files {
            if path_glob_match(&absolute, &f.container_path) && !found.iter().any(|(_, p)| *p == f.file) {
                found.push((f.container_path.clone(), f.file.clone()));
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

/// Compose volumes that mount a project path under `/etc/nginx` (short syntax,
/// `./nginx/nginx.conf:/etc/nginx/nginx.conf:ro`): `(path in the container, project path)`.
fn compose_mounts(project: &Project) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for file in project.files_of(FileKind::Compose) {
        let dir = file.path.parent().map(Path::to_path_buf).unwrap_or_default();
        for line in file.text.lines() {
            let Some(item) = line.trim().strip_prefix("- ") else { continue };
            let item = item.trim().trim_matches(['"', '\'']);
            let mut parts = item.split(':');
            let (Some(src), Some(dst)) = (parts.next(), parts.next()) else { continue };
            if !dst.starts_with("/etc/nginx") || !(src.starts_with("./") || src.starts_with("../")) {
                continue;
            }
            out.push((PathBuf::from(dst), dir.join(src)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProjectOptions;

    fn project(files: &[(&str, &str)]) -> Project {
        Project::from_sources(ProjectOptions::default(), files)
    }

    /// An include the project lacks may hold the answer: unknown, unless it is a stock
    /// file that holds other directives only.
    #[test]
    fn in_effect_known_stops_at_unknown_includes() {
        let p = project(&[("nginx/conf.d/app.conf", "server {\n    include mime.types;\n    location / {\n        include proxy_params;\n        proxy_pass http://app;\n    }\n    location /b/ {\n        include /etc/nginx/snippets/own.conf;\n        proxy_pass http://app;\n    }\n}\n")]);
        let m = &p.nginx;
        let doc = m.doc_by_name(Path::new("nginx/conf.d/app.conf")).unwrap();
        let locations: Vec<At> = m.find(&p, doc, "location").collect();
        let (a, b) = (Scope::inside(locations[0]), Scope::inside(locations[1]));
        assert_eq!(m.in_effect_known(&p, a, "proxy_set_header"), None);
        assert_eq!(m.in_effect_known(&p, a, "proxy_read_timeout"), Some(Vec::new()));
        assert_eq!(m.in_effect_known(&p, b, "proxy_read_timeout"), None);
    }

    #[test]
    fn includes_contexts_and_mounts() {
        let p = project(&[
            ("docker-compose.yml", "services:\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./nginx/sites:/etc/nginx/conf.d:ro\n"),
            ("nginx/nginx.conf", "events {}\nhttp {\n    include /etc/nginx/mime.types;\n    include /etc/nginx/conf.d/*.conf;\n    include missing.conf;\n}\n"),
            ("nginx/sites/app.conf", "server {\n    include snippets/proxy.conf;\n}\n"),
            ("nginx/snippets/proxy.conf", "location / { proxy_pass http://app; }\n"),
        ]);
        let m = &p.nginx;
        let app = m.doc_by_name(Path::new("nginx/sites/app.conf")).unwrap();
        let snippet = m.doc_by_name(Path::new("nginx/snippets/proxy.conf")).unwrap();
        let main = m.doc_by_name(Path::new("nginx/nginx.conf")).unwrap();
        assert!(m.doc(main).unwrap().is_root());
        assert!(!m.doc(app).unwrap().is_root());
        assert_eq!(m.doc(app).unwrap().context, Some(vec!["http".to_owned()]));
        assert_eq!(m.doc(snippet).unwrap().context, Some(vec!["http".to_owned(), "server".to_owned()]));
        let unresolved: Vec<_> = m.unresolved.iter().map(|u| (u.pattern.as_str(), u.stock, u.looked_up.clone())).collect();
        assert_eq!(unresolved, [("/etc/nginx/mime.types", true, Some(PathBuf::from("nginx/mime.types"))), ("missing.conf", false, Some(PathBuf::from("nginx/missing.conf")))]);
    }

    /// An absolute include resolves to the project file a `COPY` puts there, wherever that
    /// file is in the project (before: looked up beside the including file, and missing).
    #[test]
    fn includes_through_copies() {
        let p = project(&[
            ("docker-compose.yml", "services:\n  proxy:\n    build: ./nginx\n"),
            ("nginx/Dockerfile", "FROM nginx:1.27\nCOPY nginx.conf /etc/nginx/nginx.conf\nCOPY shared/proxy.conf /etc/nginx/snippets/proxy.conf\nCOPY sites/ /etc/nginx/conf.d/\n"),
            ("nginx/nginx.conf", "events {}\nhttp {\n    include /etc/nginx/conf.d/*.conf;\n}\n"),
            ("nginx/sites/app.conf", "server {\n    location / {\n        include /etc/nginx/snippets/proxy.conf;\n        proxy_pass http://app:8000;\n    }\n}\n"),
            ("nginx/shared/proxy.conf", "proxy_set_header Host $host;\n"),
        ]);
        let m = &p.nginx;
        assert!(m.unresolved.is_empty(), "{:?}", m.unresolved);
        let snippet = m.doc_by_name(Path::new("nginx/shared/proxy.conf")).unwrap();
        assert_eq!(m.doc(snippet).unwrap().context, Some(["http", "server", "location"].map(str::to_owned).to_vec()));
        // The project's own nginx.conf is at /etc/nginx/nginx.conf: no image config.
        assert!(m.iter().all(|(_, d)| d.image.is_none()));
    }

    /// A snippet copied into the official image's `conf.d/` sits inside the `http` block of
    /// the image's own nginx.conf, which leaves gzip off and sets `keepalive_timeout 65`.
    #[test]
    fn snippet_in_the_official_image() {
        let p = project(&[
            ("docker-compose.yml", "services:\n  web:\n    image: nginx:1.27-alpine\n    volumes:\n      - ./deploy/site.conf:/etc/nginx/conf.d/site.conf:ro\n"),
            ("deploy/site.conf", "server {\n    location / {\n        proxy_pass http://app:8000;\n    }\n}\n"),
        ]);
        let m = &p.nginx;
        let site = m.doc_by_name(Path::new("deploy/site.conf")).unwrap();
        assert_eq!(m.doc(site).unwrap().context, Some(vec!["http".to_owned()]));
        let image = m.iter().find(|(_, d)| d.image.is_some()).map(|(id, _)| id).unwrap();
        let doc = m.doc(image).unwrap();
        assert!(!doc.editable() && !doc.in_project());
        assert_eq!(doc.image.as_ref().map(|i| (i.image.as_str(), i.service.as_str())), Some(("nginx:1.27-alpine", "web")));
        assert_eq!(m.image_http_blocks(&p).len(), 1);
        assert!(m.http_blocks(&p).is_empty());
        let location = m.find(&p, site, "location").next().unwrap();
        assert!(m.in_effect(&p, Scope::inside(location), "gzip").is_empty());
        let keepalive = m.last_in_effect(&p, Scope::inside(location), "keepalive_timeout").map(|(_, d)| d.arg(0).map(str::to_owned));
        assert_eq!(keepalive, Some(Some("65".to_owned())));
        // Its `include /etc/nginx/mime.types` is the image's: not reported.
        assert!(m.unresolved.is_empty());
        // An image that is not the official one (its nginx.conf is unknown): nothing assumed.
        let p = project(&[
            ("docker-compose.yml", "services:\n  web:\n    image: bitnami/nginx:1.27\n    volumes:\n      - ./deploy/site.conf:/etc/nginx/conf.d/site.conf:ro\n"),
            ("deploy/site.conf", "server {\n    location / {\n        proxy_pass http://app:8000;\n    }\n}\n"),
        ]);
        assert!(p.nginx.iter().all(|(_, d)| d.image.is_none()));
    }

    #[test]
    fn cycles_and_outside_paths() {
        let p = project(&[
            ("nginx/nginx.conf", "events {}\nhttp { include a.conf; include ../../etc/passwd; include /etc/passwd; }\n"),
            ("nginx/a.conf", "include b.conf;\n"),
            ("nginx/b.conf", "include a.conf;\n"),
        ]);
        let m = &p.nginx;
        assert_eq!(m.cycles.len(), 1);
        let names: Vec<_> = m.cycles[0].chain.iter().map(|d| m.doc(*d).unwrap().name.display().to_string()).collect();
        assert_eq!(names, ["nginx/a.conf", "nginx/b.conf", "nginx/a.conf"]);
        let outside: Vec<_> = m.unresolved.iter().map(|u| (u.pattern.as_str(), u.looked_up.is_some())).collect();
        assert_eq!(outside, [("../../etc/passwd", true), ("/etc/passwd", false)]);
    }

    #[test]
    fn https_redirect() {
        let redirect = "server {\n    listen 80;\n    return 301 https://$host$request_uri;\n}\nserver {\n    listen 443 ssl;\n}\n";
        let p = project(&[("nginx/app.conf", redirect)]);
        let found = p.nginx.https_redirect(&p).unwrap();
        assert_eq!((found.file.as_path(), found.range.slice(redirect)), (Path::new("nginx/app.conf"), "return 301 https://$host$request_uri;"));
        // Only on port 443, or a redirect of one path: plain HTTP still reaches the app.
        let p = project(&[("nginx/app.conf", "server {\n    listen 443 ssl;\n    return 301 https://$host$request_uri;\n}\nserver {\n    listen 80;\n    location /old { return 301 https://example.com/new; }\n}\n")]);
        assert_eq!(p.nginx.https_redirect(&p), None);
        // No `listen` is port 80; `location /` counts; a catch-all `rewrite` too.
        let p = project(&[("nginx/app.conf", "server {\n    location / {\n        rewrite ^(.*)$ https://example.com$1 permanent;\n    }\n}\n")]);
        assert!(p.nginx.https_redirect(&p).is_some());
    }

    #[test]
    fn dump_sections() {
        let dump = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n# configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp {\n    include /etc/nginx/conf.d/*.conf;\n}\n\n# configuration file /etc/nginx/conf.d/default.conf:\nserver {\n    gzip on;\n}\n";
        let p = project(&[("nginx/nginx-T.conf", dump)]);
        let m = &p.nginx;
        assert_eq!(m.docs.len(), 2);
        let site = DocId(1);
        assert_eq!(m.doc(site).unwrap().context, Some(vec!["http".to_owned()]));
        let gzip = m.find(&p, site, "gzip").next().unwrap();
        let range = m.doc(site).unwrap().file_range(m.node(&p, gzip).unwrap().range);
        assert_eq!(range.slice(dump), "gzip on;");
        let http = m.http_blocks(&p);
        assert_eq!(http.len(), 1);
        let children: Vec<_> = m.children(&p, Scope::inside(http[0])).iter().map(|&a| m.node(&p, a).unwrap().name().to_owned()).collect();
        assert_eq!(children, ["include", "server"]);
    }
}
