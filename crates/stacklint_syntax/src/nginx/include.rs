//! `include` resolution and flattening, with no IO: globs are matched against a list of
//! known project files, and never reach outside the project root.

use std::collections::VecDeque;
use std::path::{Component, Path, PathBuf};

use stacklint_text::TextRange;

use super::{DirectiveRef, NginxConfig};

/// Resolves `include` patterns against the project's files.
///
/// A relative pattern is matched against the config root (where nginx resolves it: the
/// directory of the main `nginx.conf`); when nothing matches there and
/// [`including_dir_fallback`](Self::including_dir_fallback) is set, against the including
/// file's directory (for projects whose config root is a guess). An
/// absolute pattern resolves only through a [`mounts`](Self::mounts) entry (e.g.
/// `/etc/nginx` → `deploy/nginx` in the project); anything else absolute, such as
/// `/etc/nginx/mime.types` or `/etc/passwd`, resolves to nothing. A path that leaves
/// the project root (`../../../etc/passwd`) resolves to nothing.
#[derive(Clone, Copy, Debug)]
pub struct IncludeResolver<'a> {
    /// Nothing outside this directory is ever returned.
    pub project_root: &'a Path,
    /// The directory relative includes start from (nginx's `conf` prefix).
    pub config_root: &'a Path,
    /// `(absolute path as nginx sees it, project directory)` pairs, e.g. a compose
    /// volume mounting `./nginx` at `/etc/nginx`.
    pub mounts: &'a [(PathBuf, PathBuf)],
    /// The files that exist (returned as the caller names them).
    pub files: &'a IncludeFiles,
    /// Also try the including file's directory when the config root gives nothing
    /// (nginx itself never does).
    pub including_dir_fallback: bool,
}

impl IncludeResolver<'_> {
    /// The files `pattern` (an `include` argument) names, sorted like nginx's glob,
    /// without duplicates.
    pub fn resolve(&self, pattern: &str, including_file: &Path) -> Vec<PathBuf> {
        let Some(root) = normalize(self.project_root) else {
            return Vec::new();
        };
        let pattern_path = Path::new(pattern);
        if pattern_path.has_root() {
            // `..` is resolved first: `/etc/nginx/../../x` is `/x`, whatever is mounted.
            let Some(pattern_path) = normalize(pattern_path) else {
                return Vec::new();
            };
            let pattern_path = pattern_path.as_path();
            let candidates = self
                .mounts
                .iter()
                .filter_map(|(mount, dir)| Some(dir.join(pattern_path.strip_prefix(mount).ok()?)));
            return self.matching(&root, candidates);
        }
        let found = self.matching(&root, std::iter::once(self.config_root.join(pattern_path)));
        match including_file.parent() {
            Some(dir) if found.is_empty() && self.including_dir_fallback => {
                self.matching(&root, std::iter::once(dir.join(pattern_path)))
            }
            _ => found,
        }
    }

    /// The known files under `root` that one of the glob `candidates` matches.
    fn matching(&self, root: &Path, candidates: impl Iterator<Item = PathBuf>) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        for candidate in candidates {
            // Lexically normalised; a `..` that climbs above the start is rejected.
            let Some(candidate) = normalize(&candidate) else {
                continue;
            };
            if !candidate.starts_with(root) {
                continue;
            }
            let pattern_parts = parts(&candidate);
            // The directories before the first glob part: only the files under them (a
            // range of the sorted index) can match.
            let literal_prefix: PathBuf = candidate.components().take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '['])).collect();
            if literal_prefix.components().count() == pattern_parts.len() {
                out.extend(self.files.exact(&candidate).cloned());
                continue;
            }
            for (normal, file) in self.files.under(&literal_prefix).filter(|(n, _)| n.starts_with(root)) {
                let file_parts = parts(normal);
                if file_parts.len() == pattern_parts.len() && pattern_parts.iter().zip(&file_parts).all(|(p, f)| glob_match(p, f)) {
                    out.push(file.clone());
                }
            }
        }
        // Duplicates (two candidates naming one file) go here, not by a search per file.
        out.sort();
        out.dedup();
        out
    }
}

/// The files an include can name, sorted by their lexically normalized path: a literal
/// include is a binary search and a glob a range under its literal folder, instead of a
/// scan of every file per include. Build it once per project.
#[derive(Clone, Debug, Default)]
pub struct IncludeFiles {
    /// `(normalized path, the path as the caller names it)`, sorted by the first.
    sorted: Vec<(PathBuf, PathBuf)>,
}

impl IncludeFiles {
    pub fn new<'p>(files: impl IntoIterator<Item = &'p PathBuf>) -> IncludeFiles {
        // A path whose `..` climbs above its start can never be named by an include.
        let mut sorted: Vec<(PathBuf, PathBuf)> = files.into_iter().filter_map(|f| Some((if has_dot_parts(f) { normalize(f)? } else { f.clone() }, f.clone()))).collect();
        sorted.sort();
        IncludeFiles { sorted }
    }

    /// The files whose normalized path is `path`.
    fn exact<'s>(&'s self, path: &'s Path) -> impl Iterator<Item = &'s PathBuf> + 's {
        self.under(path).filter(move |(n, _)| *n == path).map(|(_, f)| f)
    }

    /// The files at or under `dir`, with their normalized paths.
    fn under<'s>(&'s self, dir: &'s Path) -> impl Iterator<Item = (&'s Path, &'s PathBuf)> + 's {
        let start = self.sorted.partition_point(|(n, _)| n.as_path() < dir);
        self.sorted.get(start..).unwrap_or_default().iter().take_while(move |(n, _)| n.starts_with(dir)).map(|(n, f)| (n.as_path(), f))
    }
}

/// Resolves an `include` pattern with `config_root` as both the starting directory and
/// the project boundary, falling back to the including file's directory when the config
/// root gives nothing. See [`IncludeResolver`] for the rules and for mounts.
///
/// ```
/// use std::path::{Path, PathBuf};
/// use stacklint_syntax::nginx::resolve_include;
///
/// let files = [PathBuf::from("/p/nginx.conf"), PathBuf::from("/p/conf.d/app.conf")];
/// let root = Path::new("/p");
/// let main = Path::new("/p/nginx.conf");
/// assert_eq!(resolve_include("conf.d/*.conf", main, root, &files), [PathBuf::from("/p/conf.d/app.conf")]);
/// assert!(resolve_include("/etc/passwd", main, root, &files).is_empty());
/// assert!(resolve_include("../../../etc/passwd", main, root, &files).is_empty());
/// ```
pub fn resolve_include(
    pattern: &str,
    including_file: &Path,
    config_root: &Path,
    files: &[PathBuf],
) -> Vec<PathBuf> {
    IncludeResolver {
        project_root: config_root,
        config_root,
        mounts: &[],
        files: &IncludeFiles::new(files),
        including_dir_fallback: true,
    }
    .resolve(pattern, including_file)
}

/// The context an nginx file lands in, guessed from where it lives, for files no parsed
/// `include` reaches: `nginx.conf` and `modules-enabled/*` → main (`[]`), `conf.d/*.conf`,
/// `sites-enabled/*`, `sites-available/*`, `mime.types` → `["http"]`, `stream.d/*`,
/// `streams-enabled/*` → `["stream"]`. `None` when the path says nothing (snippets).
pub fn default_context_for_path(path: &Path) -> Option<&'static [&'static str]> {
    let name = path.file_name()?.to_str()?;
    let dir = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|d| d.to_str())
        .unwrap_or("");
    match dir {
        "conf.d"
            if Path::new(name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("conf")) =>
        {
            return Some(&["http"]);
        }
        "sites-enabled" | "sites-available" => return Some(&["http"]),
        "stream.d" | "streams-enabled" | "streams-available" => return Some(&["stream"]),
        "modules-enabled" | "modules-available" => return Some(&[]),
        _ => {}
    }
    match name {
        "nginx.conf" => Some(&[]),
        "mime.types" => Some(&["http"]),
        _ => None,
    }
}

/// A directive of a flattened walk.
#[derive(Clone, Debug)]
pub struct FlatDirective<'a> {
    /// The file the directive is written in.
    pub file: &'a Path,
    pub directive: DirectiveRef<'a>,
    /// The depth counting the blocks of the including files.
    pub depth: usize,
    /// The context path across files (`["http", "server"]` for a directive at the top of
    /// a file included inside `server`).
    pub context: Vec<&'a str>,
}

/// An `include` that would re-enter a file already being included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeCycle {
    /// The file with the `include`.
    pub file: PathBuf,
    /// The `include` directive.
    pub range: TextRange,
    /// The include chain, from the entry file to the file included again.
    pub chain: Vec<PathBuf>,
}

/// An `include` that matched no known file (nginx fails on those without a glob
/// character; a glob matching nothing is fine for nginx).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnresolvedInclude {
    pub file: PathBuf,
    pub range: TextRange,
    pub pattern: String,
    pub is_glob: bool,
}

/// The result of [`flatten`].
#[derive(Clone, Debug, Default)]
pub struct Flattened<'a> {
    /// Every directive in nginx's reading order, includes expanded in place (the
    /// `include` directive itself comes first, then the files it names).
    pub directives: Vec<FlatDirective<'a>>,
    pub cycles: Vec<IncludeCycle>,
    pub unresolved: Vec<UnresolvedInclude>,
    /// Set when the walk stopped at [`MAX_FLAT_DIRECTIVES`] (an include fan-out).
    pub truncated: bool,
}

/// The most directives [`flatten`] emits.
pub const MAX_FLAT_DIRECTIVES: usize = 1_000_000;

struct Frame<'a> {
    file: &'a Path,
    walk: Box<dyn Iterator<Item = (Vec<&'a str>, DirectiveRef<'a>)> + 'a>,
    base_depth: usize,
    base_context: Vec<&'a str>,
    pending: VecDeque<&'a Path>,
    pending_depth: usize,
    pending_context: Vec<&'a str>,
    pending_range: TextRange,
}

/// Walks `entry` with its includes expanded, without IO: `config` gives a parsed file
/// for a path, `resolve(pattern, including_file)` the paths an `include` names (e.g.
/// [`IncludeResolver::resolve`]). A file that includes itself, directly or not, is
/// reported in [`Flattened::cycles`] and not entered again.
pub fn flatten<'a>(
    entry: &'a Path,
    config: impl Fn(&Path) -> Option<(&'a Path, &'a NginxConfig)>,
    resolve: impl Fn(&str, &Path) -> Vec<PathBuf>,
) -> Flattened<'a> {
    let mut out = Flattened::default();
    let Some((entry, root)) = config(entry) else {
        return out;
    };
    let mut stack: Vec<Frame<'a>> = vec![frame(entry, root, 0, Vec::new())];
    while let Some(top) = stack.last_mut() {
        if let Some(target) = top.pending.pop_front() {
            let (depth, context, range, from) = (
                top.pending_depth,
                top.pending_context.clone(),
                top.pending_range,
                top.file,
            );
            if let Some(pos) = stack.iter().position(|f| f.file == target) {
                let mut chain: Vec<PathBuf> = stack
                    .iter()
                    .skip(pos)
                    .map(|f| f.file.to_path_buf())
                    .collect();
                chain.push(target.to_path_buf());
                out.cycles.push(IncludeCycle {
                    file: from.to_path_buf(),
                    range,
                    chain,
                });
                continue;
            }
            if let Some((path, cfg)) = config(target) {
                stack.push(frame(path, cfg, depth, context));
            }
            continue;
        }
        let Some((context, directive)) = top.walk.next() else {
            stack.pop();
            continue;
        };
        if out.directives.len() >= MAX_FLAT_DIRECTIVES {
            out.truncated = true;
            break;
        }
        let mut full_context = top.base_context.clone();
        full_context.extend(context);
        let depth = top.base_depth + directive.depth;
        if directive.is("include")
            && directive.block.is_none()
            && let Some(pattern) = directive.arg(0)
        {
            {
                let targets = resolve(pattern, top.file);
                if targets.is_empty() {
                    out.unresolved.push(UnresolvedInclude {
                        file: top.file.to_path_buf(),
                        range: directive.range,
                        pattern: pattern.to_owned(),
                        is_glob: pattern.contains(['*', '?', '[']),
                    });
                }
                top.pending = targets
                    .iter()
                    .filter_map(|t| config(t).map(|(p, _)| p))
                    .collect();
                top.pending_depth = depth;
                top.pending_context.clone_from(&full_context);
                top.pending_range = directive.range;
            }
        }
        out.directives.push(FlatDirective {
            file: top.file,
            directive,
            depth,
            context: full_context,
        });
    }
    out
}

fn frame<'a>(
    file: &'a Path,
    config: &'a NginxConfig,
    base_depth: usize,
    base_context: Vec<&'a str>,
) -> Frame<'a> {
    Frame {
        file,
        walk: Box::new(config.walk_with_context()),
        base_depth,
        base_context,
        pending: VecDeque::new(),
        pending_depth: 0,
        pending_context: Vec::new(),
        pending_range: TextRange::default(),
    }
}

/// Removes `.` and resolves `..` lexically; `None` when `..` climbs above the start.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    let mut normals = 0usize;
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if normals == 0 {
                    return None;
                }
                out.pop();
                normals -= 1;
            }
            Component::Normal(part) => {
                out.push(part);
                normals += 1;
            }
            Component::RootDir | Component::Prefix(_) => out.push(component.as_os_str()),
        }
    }
    Some(out)
}

/// Whether a path has `.` or `..` components (and so needs [`normalize`]).
fn has_dot_parts(path: &Path) -> bool {
    path.components().any(|c| matches!(c, Component::CurDir | Component::ParentDir))
}

fn parts(path: &Path) -> Vec<String> {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect()
}

/// glob(3) matching of one path component: `*`, `?`, `[...]` (with `!`/`^` and ranges),
/// `\` escapes; a leading `.` is matched only by a literal `.`.
fn glob_match(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') && pattern.contains(['*', '?', '[']) {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        let matched = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => n.get(ni).and_then(|&c| class_match(&p, pi, c)),
            Some('\\') => match (p.get(pi + 1), n.get(ni)) {
                (Some(a), Some(b)) if a == b => Some(pi + 2),
                _ => None,
            },
            Some(&c) => (n.get(ni) == Some(&c)).then_some(pi + 1),
            None => None,
        };
        if let Some(next) = matched {
            pi = next;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p.get(pi..).unwrap_or(&[]).iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `p[at] == '['`; the index after `]` on a
/// match. An unclosed `[` matches a literal `[`.
fn class_match(p: &[char], at: usize, c: char) -> Option<usize> {
    let mut i = at + 1;
    let negate = matches!(p.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    loop {
        match p.get(i) {
            None => return (c == '[').then_some(at + 1),
            Some(']') if !first => break,
            Some(&lo) => {
                if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&h| h != ']') {
                    let hi = p.get(i + 2).copied().unwrap_or(lo);
                    found |= lo <= c && c <= hi;
                    i += 3;
                } else {
                    found |= lo == c;
                    i += 1;
                }
            }
        }
        first = false;
    }
    (found != negate).then_some(i + 1)
}
