//! What a fix may not change: the kinds of instructions and directives a file holds (its
//! "shape"), read with stacklint's own parsers; and the JSON of Dockerfile exec forms.

use std::collections::{BTreeMap, BTreeSet};

use stacklint_diagnostics::TextRange;
use stacklint_project::{FileKind, Parsed, parse, syntax_errors};

/// A Dockerfile instruction, as the variants and the checks need it.
pub struct Instruction {
    /// Upper case, e.g. `CMD`.
    pub keyword: String,
    pub range: TextRange,
    /// The arguments as one logical line (continuations joined).
    pub args: String,
    pub args_range: TextRange,
    pub has_flags: bool,
    pub heredoc: bool,
    pub single_line: bool,
}

pub fn docker_instructions(text: &str) -> Vec<Instruction> {
    let Parsed::Dockerfile(p) = parse(FileKind::Dockerfile, text) else { return Vec::new() };
    p.tree
        .instructions
        .iter()
        .map(|i| Instruction {
            keyword: i.keyword.as_str().to_ascii_uppercase(),
            range: i.range,
            args: i.args_text.as_str().to_owned(),
            args_range: i.args_text.range(),
            has_flags: !i.flags.is_empty(),
            heredoc: !i.heredocs.is_empty(),
            single_line: text.get(i.range.start()..i.range.end()).is_some_and(|s| !s.contains(['\n', '\r'])),
        })
        .collect()
}

/// The parse errors stacklint reports (SYN001) for a file of this kind.
pub fn parse_errors(kind: FileKind, text: &str) -> Vec<String> {
    syntax_errors(&parse(kind, text)).into_iter().map(|e| e.message).collect()
}

/// The kinds of things a file holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Shape {
    /// Instruction keywords in order.
    Dockerfile(Vec<String>),
    /// Directives by `context/name` (e.g. `http/server/listen`), and blocks by path.
    Nginx { directives: BTreeMap<String, usize>, blocks: BTreeMap<String, usize> },
    /// Names assigned at the top level (the root name of subscripts and attributes).
    Python(BTreeSet<String>),
    None,
}

pub fn shape(kind: FileKind, text: &str) -> Shape {
    match parse(kind, text) {
        Parsed::Dockerfile(p) => Shape::Dockerfile(p.tree.instructions.iter().map(|i| i.keyword.as_str().to_ascii_uppercase()).collect()),
        Parsed::Nginx(p) => {
            let mut directives = BTreeMap::new();
            let mut blocks = BTreeMap::new();
            for (ctx, d) in p.tree.walk_with_context() {
                let mut path: Vec<&str> = ctx.clone();
                path.push(d.name());
                let key = path.join("/");
                *directives.entry(key.clone()).or_insert(0) += 1;
                if d.data().block.is_some() {
                    *blocks.entry(key).or_insert(0) += 1;
                }
            }
            Shape::Nginx { directives, blocks }
        }
        Parsed::Python(m) => {
            let mut names = BTreeSet::new();
            if let Some(root) = m.root() {
                let mut cursor = root.walk();
                for stmt in root.named_children(&mut cursor) {
                    if stmt.kind() != "expression_statement" {
                        continue;
                    }
                    let mut c2 = stmt.walk();
                    for e in stmt.named_children(&mut c2) {
                        if matches!(e.kind(), "assignment" | "augmented_assignment") {
                            // `a = b = 1`: the right side is an assignment too.
                            let mut node = Some(e);
                            while let Some(n) = node.filter(|n| n.kind() == "assignment" || n.kind() == "augmented_assignment") {
                                // The root names of the targets (iteratively: the node type
                                // is tree-sitter's, which this crate does not name).
                                let mut stack: Vec<_> = n.child_by_field_name("left").into_iter().collect();
                                while let Some(t) = stack.pop() {
                                    match t.kind() {
                                        "identifier" => {
                                            names.insert(m.node_text(t).to_owned());
                                        }
                                        "subscript" => stack.extend(t.child_by_field_name("value")),
                                        "attribute" => stack.extend(t.child_by_field_name("object")),
                                        _ => {
                                            let mut c3 = t.walk();
                                            stack.extend(t.named_children(&mut c3));
                                        }
                                    }
                                }
                                node = n.child_by_field_name("right");
                            }
                        }
                    }
                }
            }
            Shape::Python(names)
        }
        _ => Shape::None,
    }
}


/// What each rule's safe fix is documented to add (or remove), by kind of name: Dockerfile
/// keywords, nginx directives (`name`, or `parent/name` for a name only in that block),
/// Python top-level names. From the rules' "Use instead" and fix titles.
pub struct Documented {
    pub adds: &'static [&'static str],
    pub removes: &'static [&'static str],
}

pub fn documented(code: &str) -> Documented {
    let (adds, removes): (&'static [&'static str], &'static [&'static str]) = match code {
        "DKR004" => (&["ENV"], &[]),
        "NGX001" => (&["gzip", "gzip_comp_level", "gzip_types", "gzip_proxied", "gzip_vary", "gzip_min_length", "gzip_http_version"], &[]),
        "NGX002" => (&["gzip_types"], &[]),
        "NGX003" => (&["upstream", "upstream/server", "upstream/keepalive", "proxy_http_version", "proxy_set_header"], &[]),
        "NGX005" => (&["proxy_http_version", "proxy_set_header"], &[]),
        "NGX006" => (&["worker_processes"], &[]),
        "NGX007" => (&["worker_connections"], &[]),
        "NGX008" => (&["server_tokens"], &[]),
        "NGX009" => (&["ssl_protocols"], &[]),
        "NGX012" => (&["worker_rlimit_nofile"], &[]),
        "GUN001" => (&["workers"], &[]),
        "GUN002" => (&["max_requests", "max_requests_jitter"], &[]),
        "GUN003" => (&["max_requests_jitter"], &[]),
        "GUN007" => (&["worker_tmp_dir"], &[]),
        "DJS001" => (&["CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DATABASES"], &[]),
        "DJS002" => (&["CONN_HEALTH_CHECKS", "DATABASES"], &[]),
        "DJS008" => (&["STORAGES"], &["DEFAULT_FILE_STORAGE", "STATICFILES_STORAGE"]),
        "DJS106" => (&["SECURE_CONTENT_TYPE_NOSNIFF"], &[]),
        "DJS113" => (&["SESSION_COOKIE_HTTPONLY"], &[]),
        "DJS122" => (&["SECURE_REFERRER_POLICY"], &[]),
        _ => (&[], &[]),
    };
    Documented { adds, removes }
}

/// Whether `key` (`a/b/name`) is one of `names` (`name` or `parent/name`).
fn listed(key: &str, names: &[&str]) -> bool {
    names.iter().any(|n| key == *n || key.ends_with(&format!("/{n}")))
}

/// How `after` differs from `before` beyond what the fixing rules `codes` document.
pub fn compare(before: &Shape, after: &Shape, codes: &[&str]) -> Option<String> {
    let adds: Vec<&str> = codes.iter().flat_map(|c| documented(c).adds.iter().copied()).collect();
    let removes: Vec<&str> = codes.iter().flat_map(|c| documented(c).removes.iter().copied()).collect();
    let mut problems = Vec::new();
    match (before, after) {
        (Shape::Dockerfile(b), Shape::Dockerfile(a)) => {
            let keep = |v: &[String]| v.iter().filter(|k| !listed(k, &adds)).cloned().collect::<Vec<_>>();
            if keep(b) != keep(a) {
                problems.push(format!("instructions were `{}`, now `{}`", b.join(" "), a.join(" ")));
            }
            for k in &adds {
                let count = |v: &[String]| v.iter().filter(|x| x.as_str() == *k).count();
                if count(a) < count(b) {
                    problems.push(format!("fewer `{k}` instructions ({} → {})", count(b), count(a)));
                }
            }
        }
        (Shape::Nginx { directives: bd, blocks: bb }, Shape::Nginx { directives: ad, blocks: ab }) => {
            for (what, b, a) in [("directive", bd, ad), ("block", bb, ab)] {
                let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
                for k in keys {
                    let (nb, na) = (b.get(k).copied().unwrap_or(0), a.get(k).copied().unwrap_or(0));
                    if na < nb || (na > nb && !listed(k, &adds)) {
                        problems.push(format!("{what} `{k}`: {nb} → {na}"));
                    }
                }
            }
        }
        (Shape::Python(b), Shape::Python(a)) => {
            let lost: Vec<&String> = b.difference(a).filter(|n| !listed(n, &removes)).collect();
            let new: Vec<&String> = a.difference(b).filter(|n| !listed(n, &adds)).collect();
            if !lost.is_empty() {
                problems.push(format!("top-level names no longer assigned: {lost:?}"));
            }
            if !new.is_empty() {
                problems.push(format!("top-level names newly assigned (not documented for {codes:?}): {new:?}"));
            }
        }
        (Shape::None, Shape::None) => {}
        (b, a) if std::mem::discriminant(b) == std::mem::discriminant(a) => {}
        _ => problems.push("the file's parse changed kind".to_owned()),
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Exec forms (`CMD [...]`, `ENTRYPOINT [...]`, `RUN [...]`, `SHELL [...]`) whose array is not
/// JSON (Docker then runs the whole text through `/bin/sh -c`).
pub fn bad_exec_arrays(text: &str) -> Vec<String> {
    docker_instructions(text)
        .into_iter()
        .filter(|i| matches!(i.keyword.as_str(), "CMD" | "ENTRYPOINT" | "RUN" | "SHELL") && i.args.trim_start().starts_with('['))
        .filter_map(|i| match serde_json::from_str::<Vec<String>>(i.args.trim()) {
            Ok(_) => None,
            Err(e) => Some(format!("`{} {}`: {e}", i.keyword, i.args.trim())),
        })
        .collect()
}
