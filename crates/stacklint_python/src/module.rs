//! A parsed Python module: the tree-sitter tree, the text, syntax errors and the small
//! queries gunicorn and ORM rules need.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use stacklint_text::TextRange;
use tree_sitter::{Node, Parser, Tree};

use crate::grammar::{Field, Fields};
thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// At most this many syntax errors are reported per file.
const MAX_ERRORS: usize = 100;

/// A Python module parsed once with tree-sitter. Parsing never fails: damaged input
/// yields a tree with error nodes (see [`PyModule::syntax_errors`]).
///
/// `PyModule` is `Send + Sync`; parse files in parallel freely (each thread reuses its
/// own parser).
pub struct PyModule {
    text: String,
    /// The tree, parsed again on demand once [`PyModule::release_tree`] dropped it (`None`
    /// inside only if tree-sitter refused to parse at all).
    tree: OnceLock<Option<Tree>>,
    /// Whether the tree was used since the last [`PyModule::release_tree`] pass.
    touched: AtomicBool,
    /// Whether the tree has an error or missing node (kept when the tree is released).
    has_error: bool,
    template: bool,
    /// Models and querysets, extracted on first use (see [`PyModule::orm`]).
    orm: OnceLock<crate::orm::OrmFile>,
    /// The imports and their local names, read on first use: every query resolution asks.
    imports: OnceLock<Vec<Import>>,
    aliases: OnceLock<std::collections::HashMap<String, String>>,
}

impl fmt::Debug for PyModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PyModule")
            .field("len", &self.text.len())
            .field("has_error", &self.has_syntax_errors())
            .finish_non_exhaustive()
    }
}

/// Parse Python source. Total: any text gives a module (NUL bytes, templates, huge
/// files); errors are kept in the tree.
pub fn parse(source: &str) -> PyModule {
    PyModule::parse(source)
}

impl PyModule {
    /// Parse Python source (same as [`parse`]).
    ///
    /// A Jinja template (cookiecutter: `{% if ... %}` lines) that does not parse as is
    /// is parsed with its `{% ... %}` / `{# ... #}` tags blanked out (same byte offsets),
    /// so the Python around them is still read; see [`PyModule::is_template`].
    pub fn parse(source: &str) -> PyModule {
        let tree = parse_tree(source);
        let damaged = tree.as_ref().is_none_or(|t| t.root_node().has_error());
        if damaged && (source.contains("{%") || source.contains("{#")) {
            let masked = mask_jinja(source);
            if let Some(t) = parse_tree(&masked) {
                let better = tree
                    .as_ref()
                    .is_none_or(|old| error_count(old) > error_count(&t));
                if better {
                    return PyModule::with_tree(source, Some(t), true);
                }
            }
        }
        PyModule::with_tree(source, tree, false)
    }

    fn with_tree(source: &str, tree: Option<Tree>, template: bool) -> PyModule {
        PyModule {
            text: source.to_owned(),
            has_error: tree.as_ref().is_none_or(|t| t.root_node().has_error()),
            tree: OnceLock::from(tree),
            touched: AtomicBool::new(true),
            template,
            orm: OnceLock::new(),
            imports: OnceLock::new(),
            aliases: OnceLock::new(),
        }
    }

    /// Drop the tree if it was not used since the last call (it is parsed again when next
    /// needed); what was extracted from it stays. Returns the tree, for the caller to free
    /// where it costs nothing (freeing a tree takes a while). An editor keeps thousands of
    /// parsed files whose extractions are all its runs read.
    pub fn release_tree(&mut self) -> Option<Tree> {
        if std::mem::replace(self.touched.get_mut(), false) {
            return None;
        }
        self.tree.take().flatten()
    }

    /// Read what every run asks of a module (its models and queries, its imports), then
    /// drop the tree whatever used it (see [`PyModule::release_tree`]).
    pub fn extract_and_release(&mut self) -> Option<Tree> {
        self.orm();
        self.import_aliases();
        *self.touched.get_mut() = false;
        self.tree.take().flatten()
    }

    /// Whether the tree is in memory (not released, or parsed again since).
    pub fn tree_is_loaded(&self) -> bool {
        self.tree.get().is_some()
    }

    fn loaded_tree(&self) -> Option<&Tree> {
        if !self.touched.load(Ordering::Relaxed) {
            self.touched.store(true, Ordering::Relaxed);
        }
        self.tree
            .get_or_init(|| if self.template { parse_tree(&mask_jinja(&self.text)) } else { parse_tree(&self.text) })
            .as_ref()
    }

    /// Whether the module was read as a Jinja template (its tags blanked out).
    pub fn is_template(&self) -> bool {
        self.template
    }

    /// The Django models and querysets of this module, from its syntax alone: computed
    /// once and kept with the module, so an edited file is the only one re-read.
    pub fn orm(&self) -> &crate::orm::OrmFile {
        self.orm.get_or_init(|| crate::orm::extract(self))
    }

    /// The source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The tree-sitter tree (`None` only if tree-sitter refused to parse at all).
    pub fn tree(&self) -> Option<&Tree> {
        self.loaded_tree()
    }

    /// The root `module` node.
    pub fn root(&self) -> Option<Node<'_>> {
        self.loaded_tree().map(Tree::root_node)
    }

    /// The source text of a node (empty if its range does not fit the text).
    pub fn node_text(&self, node: Node<'_>) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// Whether the tree holds any error or missing node.
    pub fn has_syntax_errors(&self) -> bool {
        self.has_error
    }

    /// The syntax errors: each ERROR node (its first line) with "unexpected `...`", each
    /// MISSING node with "missing `)`". At most 100, in source order.
    pub fn syntax_errors(&self) -> Vec<(TextRange, String)> {
        if !self.has_error {
            return Vec::new();
        }
        let mut out = Vec::new();
        let Some(root) = self.root() else {
            return vec![(
                TextRange::empty(0),
                "the file could not be parsed".to_owned(),
            )];
        };
        if !root.has_error() {
            return out;
        }
        let mut cursor = root.walk();
        'walk: loop {
            let node = cursor.node();
            let mut descend = node.has_error();
            if node.is_missing() {
                let what = node.kind();
                let what = if what.is_empty() { "token" } else { what };
                out.push((node_range(node), format!("missing `{what}`")));
                descend = false;
            } else if node.is_error() {
                out.push(self.error_at(node));
                descend = false;
            }
            if out.len() >= MAX_ERRORS {
                break;
            }
            if descend && cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        out
    }

    fn error_at(&self, node: Node<'_>) -> (TextRange, String) {
        // Collect the leaves (iteratively) and track brackets.
        let mut leaves: Vec<Node<'_>> = Vec::new();
        let mut cursor = node.walk();
        'walk: loop {
            let n = cursor.node();
            if n.child_count() == 0 {
                leaves.push(n);
            } else if cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.node() == node {
                    break 'walk;
                }
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        let mut stack: Vec<Node<'_>> = Vec::new();
        for leaf in &leaves {
            match leaf.kind() {
                "(" | "[" | "{" => stack.push(*leaf),
                k @ (")" | "]" | "}") => {
                    let open = match k {
                        ")" => "(",
                        "]" => "[",
                        _ => "{",
                    };
                    if stack.last().is_some_and(|o| o.kind() == open) {
                        stack.pop();
                    } else {
                        return (node_range(*leaf), format!("unexpected `{k}`"));
                    }
                }
                _ => {}
            }
        }
        if let Some(open) = stack.last() {
            let close = match open.kind() {
                "(" => ")",
                "[" => "]",
                _ => "}",
            };
            return (
                node_range(*open),
                format!("missing `{close}` to close this `{}`", open.kind()),
            );
        }
        if let Some(first) = leaves.first()
            && first.kind() == "string_start"
        {
            return (node_range(*first), "unterminated string".to_owned());
        }
        if leaves.len() > 1
            && let Some(last) = leaves.last()
            && !last.is_named()
            && !matches!(last.kind(), ")" | "]" | "}")
        {
            let tok = shorten(self.node_text(*last));
            return (
                node_range(*last),
                format!("unexpected end of statement after `{tok}`"),
            );
        }
        let start = node.start_byte();
        let text = self.text.get(start..node.end_byte()).unwrap_or("");
        let first_line_end = text.find('\n').map_or(node.end_byte(), |i| start + i);
        let range = if first_line_end > start {
            TextRange::new(start, first_line_end)
        } else {
            node_range(node)
        };
        let tok = leaves.first().map_or("", |l| self.node_text(*l)).trim();
        let tok = if tok.is_empty() { text.trim() } else { tok };
        let shown = shorten(tok);
        let message = if shown.is_empty() {
            "unexpected input".to_owned()
        } else {
            format!("unexpected `{shown}`")
        };
        (range, message)
    }

    /// The range of the module docstring (the string literal), if the module starts with one.
    pub fn docstring_range(&self) -> Option<TextRange> {
        let root = self.root()?;
        let mut cursor = root.walk();
        let first = root
            .named_children(&mut cursor)
            .find(|n| n.kind() != "comment")?;
        if first.kind() != "expression_statement" {
            return None;
        }
        let s = first.named_child(0)?;
        matches!(s.kind(), "string" | "concatenated_string").then(|| node_range(s))
    }

    /// Where to append text at the end of the module, and whether a newline must be
    /// written first (the file does not end with one).
    pub fn end_insertion(&self) -> (usize, bool) {
        let needs_newline = !self.text.is_empty() && !self.text.ends_with('\n');
        (self.text.len(), needs_newline)
    }

    /// Where a new top-level statement goes after the module docstring and the imports
    /// at the top (the start of the first line after them).
    pub fn after_imports_offset(&self) -> usize {
        let Some(root) = self.root() else { return 0 };
        let mut cursor = root.walk();
        let mut end = 0;
        for (i, n) in root.named_children(&mut cursor).enumerate() {
            let is_doc = i == 0
                && n.kind() == "expression_statement"
                && n.named_child(0).is_some_and(|s| s.kind() == "string");
            if is_doc
                || matches!(
                    n.kind(),
                    "import_statement" | "import_from_statement" | "future_import_statement"
                )
            {
                end = n.end_byte();
            } else if n.kind() != "comment" {
                break;
            }
        }
        if end == 0 {
            return 0;
        }
        self.text
            .get(end..)
            .and_then(|rest| rest.find('\n'))
            .map_or(self.text.len(), |i| end + i + 1)
    }

    /// Every import statement at any level, in source order (read once, then kept).
    pub fn imports(&self) -> &[Import] {
        self.imports.get_or_init(|| self.read_imports())
    }

    fn read_imports(&self) -> Vec<Import> {
        let mut out = Vec::new();
        // Only nodes whose text says `import` can hold one: the rest is not walked.
        let words: Vec<usize> = self.text.match_indices("import").map(|(i, _)| i).collect();
        self.each_node(|n| {
            let first = words.partition_point(|&i| i < n.start_byte());
            if words.get(first).is_none_or(|&i| i >= n.end_byte()) {
                return false;
            }
            match n.kind() {
                "import_statement" => {
                    let mut c = n.walk();
                    for name in n.children_by_field_name("name", &mut c) {
                        let (module, alias) = match name.kind() {
                            "aliased_import" => (
                                name.field(Field::Name).map(|x| self.node_text(x)),
                                name.field(Field::Alias)
                                    .map(|x| self.node_text(x).to_owned()),
                            ),
                            _ => (Some(self.node_text(name)), None),
                        };
                        if let Some(module) = module {
                            out.push(Import {
                                range: node_range(n),
                                spec: ImportSpec::absolute(module),
                                names: Vec::new(),
                                star: false,
                                alias,
                            });
                        }
                    }
                }
                "import_from_statement" | "future_import_statement" => {
                    if let Some(imp) = self.import_from(n) {
                        out.push(imp);
                    }
                }
                // Imports are statements: no need to walk through expressions.
                "expression_statement" | "return_statement" | "decorator" | "comment" => return false,
                _ => {}
            }
            true
        });
        out
    }

    pub(crate) fn import_from(&self, n: Node<'_>) -> Option<Import> {
        let spec = match n.field(Field::ModuleName) {
            Some(m) if m.kind() == "relative_import" => {
                let text = self.node_text(m);
                let level = text.chars().take_while(|c| *c == '.').count();
                ImportSpec {
                    level,
                    module: split_dotted(text.get(level..).unwrap_or("")),
                }
            }
            Some(m) => ImportSpec::absolute(self.node_text(m)),
            None if n.kind() == "future_import_statement" => ImportSpec::absolute("__future__"),
            None => return None,
        };
        let mut names = Vec::new();
        let mut c = n.walk();
        for name in n.children_by_field_name("name", &mut c) {
            match name.kind() {
                "aliased_import" => {
                    let orig = name.field(Field::Name).map(|x| self.node_text(x));
                    let alias = name.field(Field::Alias).map(|x| self.node_text(x));
                    if let Some(orig) = orig {
                        names.push(ImportedName {
                            name: orig.to_owned(),
                            alias: alias.map(str::to_owned),
                            range: node_range(name),
                        });
                    }
                }
                _ => names.push(ImportedName {
                    name: self.node_text(name).to_owned(),
                    alias: None,
                    range: node_range(name),
                }),
            }
        }
        let mut c = n.walk();
        let star = n.children(&mut c).any(|x| x.kind() == "wildcard_import");
        Some(Import {
            range: node_range(n),
            spec,
            names,
            star,
            alias: None,
        })
    }

    /// Calls anywhere in the module whose callee, with import aliases resolved, is one of
    /// `callees` (dotted: `"multiprocessing.cpu_count"`).
    pub fn calls_to(&self, callees: &[&str]) -> Vec<CallSite> {
        let aliases = self.import_aliases();
        let mut out = Vec::new();
        self.each_node(|n| {
            if n.kind() == "call"
                && let Some(f) = n.field(Field::Function)
                && let Some(d) = dotted_name(self, f)
            {
                let canon = canonical(&d, aliases);
                if callees.contains(&canon.as_str()) {
                    out.push(CallSite {
                        callee: canon,
                        range: node_range(n),
                        func_range: node_range(f),
                    });
                }
            }
            true
        });
        out
    }

    /// `multiprocessing.cpu_count()`, `os.cpu_count()`, `psutil.cpu_count()` calls.
    pub fn cpu_count_calls(&self) -> Vec<CallSite> {
        self.calls_to(&[
            "multiprocessing.cpu_count",
            "os.cpu_count",
            "psutil.cpu_count",
        ])
    }

    /// The `DJANGO_SETTINGS_MODULE` this module sets by default, from
    /// `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x.y")` (wsgi.py, asgi.py,
    /// manage.py) or `os.environ["DJANGO_SETTINGS_MODULE"] = "x.y"`.
    pub fn settings_module_default(&self) -> Option<SettingsModuleRef> {
        let aliases = self.import_aliases();
        let mut found = None;
        self.each_node(|n| {
            if found.is_some() {
                return false;
            }
            if n.kind() == "call"
                && let Some(f) = n.field(Field::Function)
                && let Some(d) = dotted_name(self, f)
                && canonical(&d, aliases) == "os.environ.setdefault"
                && let Some(args) = n.field(Field::Arguments)
            {
                let mut c = args.walk();
                let a: Vec<Node<'_>> = args
                    .named_children(&mut c)
                    .filter(|x| x.kind() != "comment")
                    .collect();
                if let [k, v, ..] = a.as_slice()
                    && string_literal(self, *k).as_deref() == Some("DJANGO_SETTINGS_MODULE")
                    && let Some(value) = string_literal(self, *v)
                {
                    found = Some(SettingsModuleRef {
                        value,
                        value_range: node_range(*v),
                        statement_range: node_range(n),
                    });
                }
            } else if n.kind() == "assignment"
                && let Some(l) = n.field(Field::Left)
                && l.kind() == "subscript"
                && let Some(obj) = l.field(Field::Value)
                && dotted_name(self, obj).is_some_and(|d| canonical(&d, aliases) == "os.environ")
                && let Some(key) = l.field(Field::Subscript)
                && string_literal(self, key).as_deref() == Some("DJANGO_SETTINGS_MODULE")
                && let Some(r) = n.field(Field::Right)
                && let Some(value) = string_literal(self, r)
            {
                found = Some(SettingsModuleRef {
                    value,
                    value_range: node_range(r),
                    statement_range: node_range(n),
                });
            }
            true
        });
        found
    }

    /// Local name → dotted module path for every import (`import numpy as np` →
    /// `np` → `numpy`; `from os import environ` → `environ` → `os.environ`).
    pub fn import_aliases(&self) -> &std::collections::HashMap<String, String> {
        self.aliases.get_or_init(|| {
            let mut map = std::collections::HashMap::new();
            for imp in self.imports() {
                add_import_aliases(imp, &mut map);
            }
            map
        })
    }

    /// The first attribute access named one of `attrs` (`response.content`) inside the
    /// top-level class or function `name` (decorated or not): its range and the attribute.
    /// `None` when there is no such definition or it accesses none of them.
    pub fn definition_attribute_use(&self, name: &str, attrs: &[&str]) -> Option<(TextRange, String)> {
        let root = self.root()?;
        let mut c = root.walk();
        let def = root.named_children(&mut c).find_map(|n| {
            let d = if n.kind() == "decorated_definition" {
                n.field(Field::Definition)?
            } else {
                n
            };
            (matches!(d.kind(), "class_definition" | "function_definition")
                && d.field(Field::Name).is_some_and(|x| self.node_text(x) == name))
            .then_some(d)
        })?;
        let mut cursor = def.walk();
        'walk: loop {
            let n = cursor.node();
            if n.kind() == "attribute"
                && let Some(a) = n.field(Field::Attribute)
                && attrs.contains(&self.node_text(a))
            {
                return Some((node_range(n), self.node_text(a).to_owned()));
            }
            if cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.node() == def {
                    break 'walk;
                }
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        None
    }

    /// The first statement after the module docstring (or the docstring when nothing
    /// follows it): where findings about the whole file are anchored.
    pub fn first_statement_range(&self) -> Option<TextRange> {
        let root = self.root()?;
        let mut cursor = root.walk();
        let statements: Vec<Node<'_>> = root.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
        let is_doc = |n: &Node<'_>| n.kind() == "expression_statement" && n.named_child(0).is_some_and(|c| c.kind() == "string");
        statements.iter().find(|n| !is_doc(n)).or(statements.first()).map(|n| node_range(*n))
    }

    /// The functions defined at module level, also inside `if`/`try`/`with` blocks
    /// (marked conditional): gunicorn's server hooks are such functions.
    pub fn function_definitions(&self) -> Vec<FunctionDef> {
        fn visit(module: &PyModule, stmt: Node<'_>, conditional: bool, out: &mut Vec<FunctionDef>) {
            let def = match stmt.kind() {
                "function_definition" => Some(stmt),
                "decorated_definition" => stmt.field(Field::Definition).filter(|d| d.kind() == "function_definition"),
                _ => None,
            };
            if let Some(name) = def.and_then(|d| d.field(Field::Name)) {
                out.push(FunctionDef { name: module.node_text(name).to_owned(), name_range: node_range(name), statement_range: node_range(stmt), conditional });
                return;
            }
            if matches!(stmt.kind(), "if_statement" | "elif_clause" | "else_clause" | "try_statement" | "except_clause" | "finally_clause" | "with_statement") {
                let mut cursor = stmt.walk();
                for child in stmt.named_children(&mut cursor) {
                    if child.kind() == "block" {
                        let mut c2 = child.walk();
                        for s in child.named_children(&mut c2) {
                            visit(module, s, true, out);
                        }
                    } else if child.kind().ends_with("_clause") {
                        visit(module, child, true, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        let Some(root) = self.root() else { return out };
        let mut cursor = root.walk();
        for stmt in root.named_children(&mut cursor) {
            visit(self, stmt, false, &mut out);
        }
        out
    }

    /// How often each identifier appears anywhere in the module, read or written, except
    /// a function's own parameters inside it (`def post_fork(server, worker)` does not
    /// read a module-level `worker`).
    pub fn identifier_counts(&self) -> HashMap<&str, usize> {
        fn count<'a>(module: &'a PyModule, node: Node<'_>, shadowed: &mut Vec<&'a str>, uses: &mut HashMap<&'a str, usize>, depth: usize) {
            if node.kind() == "identifier" {
                let name = module.node_text(node);
                if !shadowed.contains(&name) {
                    *uses.entry(name).or_default() += 1;
                }
                return;
            }
            // Deeper nesting than any real config: stop rather than overflow the stack.
            if depth > 256 {
                return;
            }
            let before = shadowed.len();
            if matches!(node.kind(), "function_definition" | "lambda")
                && let Some(params) = node.field(Field::Parameters)
            {
                let mut c = params.walk();
                for p in params.named_children(&mut c) {
                    let id = if p.kind() == "identifier" { Some(p) } else { p.field(Field::Name).or_else(|| p.named_child(0)).filter(|n| n.kind() == "identifier") };
                    if let Some(id) = id {
                        shadowed.push(module.node_text(id));
                    }
                }
            }
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                if !matches!(child.kind(), "parameters" | "lambda_parameters") {
                    count(module, child, shadowed, uses, depth + 1);
                }
            }
            shadowed.truncate(before);
        }
        let mut uses = HashMap::new();
        if let Some(root) = self.root() {
            count(self, root, &mut Vec::new(), &mut uses, 0);
        }
        uses
    }

    /// Visit every node in document order (iteratively); `f` returns whether to descend.
    pub fn each_node<'a>(&'a self, mut f: impl FnMut(Node<'a>) -> bool) {
        let Some(root) = self.root() else { return };
        let mut cursor = root.walk();
        'walk: loop {
            let descend = f(cursor.node());
            if descend && cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
    }
}

pub(crate) fn add_import_aliases(
    imp: &Import,
    map: &mut std::collections::HashMap<String, String>,
) {
    if imp.names.is_empty() && !imp.star && imp.spec.level == 0 {
        let dotted = imp.spec.dotted();
        match &imp.alias {
            Some(a) => {
                map.insert(a.clone(), dotted);
            }
            None => {
                if let Some(head) = imp.spec.module.first() {
                    map.insert(head.clone(), head.clone());
                }
            }
        }
    } else if imp.spec.level == 0 {
        let base = imp.spec.dotted();
        for n in &imp.names {
            let local = n.alias.clone().unwrap_or_else(|| n.name.clone());
            map.insert(local, format!("{base}.{}", n.name));
        }
    }
}

/// One import statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub range: TextRange,
    /// The module imported (`import a.b`) or imported from (`from .a import x`).
    pub spec: ImportSpec,
    /// The names of a `from ... import` (empty for `import x`).
    pub names: Vec<ImportedName>,
    /// `from ... import *`.
    pub star: bool,
    /// `import x as alias`.
    pub alias: Option<String>,
}

/// A name in `from m import name as alias`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedName {
    pub name: String,
    pub alias: Option<String>,
    pub range: TextRange,
}

/// A module named by an import: `level` leading dots (0 = absolute) and the dotted parts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImportSpec {
    pub level: usize,
    pub module: Vec<String>,
}

impl ImportSpec {
    /// An absolute module (`myproj.settings.base`).
    pub fn absolute(dotted: &str) -> Self {
        ImportSpec {
            level: 0,
            module: split_dotted(dotted),
        }
    }

    /// The module as written, dots included (`..base`).
    pub fn dotted(&self) -> String {
        format!("{}{}", ".".repeat(self.level), self.module.join("."))
    }

    /// The files this import can refer to, most likely first, computed from paths only
    /// (no IO): a relative import against the importer's package folder, an absolute one
    /// against `root` (when given) and each folder above the importer. Each candidate is
    /// `x/y.py` followed by `x/y/__init__.py`.
    pub fn candidates(
        &self,
        importer: &std::path::Path,
        root: Option<&std::path::Path>,
    ) -> Vec<std::path::PathBuf> {
        let mut bases = Vec::new();
        if self.level > 0 {
            let mut dir = importer.parent();
            for _ in 1..self.level {
                dir = dir.and_then(std::path::Path::parent);
            }
            bases.extend(dir);
        } else {
            bases.extend(root);
            let mut dir = importer.parent();
            while let Some(d) = dir {
                if Some(d) != root {
                    bases.push(d);
                }
                dir = d.parent();
            }
        }
        let mut out = Vec::new();
        for base in bases {
            let mut p = base.to_path_buf();
            for part in &self.module {
                p.push(part);
            }
            if self.module.is_empty() {
                out.push(p.join("__init__.py"));
            } else {
                out.push(p.with_extension("py"));
                out.push(p.join("__init__.py"));
            }
        }
        out
    }
}

fn split_dotted(s: &str) -> Vec<String> {
    s.split('.')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A call found by [`PyModule::calls_to`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSite {
    /// The callee with import aliases resolved (`multiprocessing.cpu_count`).
    pub callee: String,
    /// The whole call.
    pub range: TextRange,
    /// The callee expression.
    pub func_range: TextRange,
}

/// A function defined at module level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionDef {
    pub name: String,
    pub name_range: TextRange,
    /// The whole definition, decorators included.
    pub statement_range: TextRange,
    /// Inside an `if`/`try`/`with` block.
    pub conditional: bool,
}

/// `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x.y")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsModuleRef {
    /// The dotted module, `x.y`.
    pub value: String,
    /// The string literal (quotes included).
    pub value_range: TextRange,
    /// The call (or assignment).
    pub statement_range: TextRange,
}

fn parse_tree(source: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            if p.set_language(&tree_sitter_python::LANGUAGE.into())
                .is_err()
            {
                return None;
            }
            *slot = Some(p);
        }
        slot.as_mut().and_then(|p| p.parse(source.as_bytes(), None))
    })
}

fn error_count(t: &Tree) -> usize {
    let root = t.root_node();
    if !root.has_error() {
        return 0;
    }
    let mut count = 0;
    let mut cursor = root.walk();
    'walk: loop {
        let n = cursor.node();
        let descend = if n.is_error() || n.is_missing() {
            count += 1;
            false
        } else {
            n.has_error()
        };
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    count
}

/// Blank out Jinja `{% ... %}` and `{# ... #}` tags, keeping every byte offset and newline.
fn mask_jinja(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    loop {
        let next = [rest.find("{%"), rest.find("{#")]
            .into_iter()
            .flatten()
            .min();
        let Some(open) = next else {
            out.push_str(rest);
            break;
        };
        let (before, tag_start) = rest.split_at(open);
        out.push_str(before);
        let close = if tag_start.starts_with("{%") {
            "%}"
        } else {
            "#}"
        };
        let end = tag_start
            .get(2..)
            .and_then(|t| t.find(close))
            .map_or(tag_start.len(), |i| i + 4);
        let (tag, after) = tag_start.split_at(end.min(tag_start.len()));
        for ch in tag.chars() {
            if ch == '\n' {
                out.push('\n');
            } else {
                out.extend(std::iter::repeat_n(' ', ch.len_utf8()));
            }
        }
        rest = after;
    }
    out
}

fn shorten(tok: &str) -> String {
    let mut shown: String = tok.chars().take(30).collect();
    if shown.len() < tok.len() {
        shown.push('…');
    }
    shown.replace('\0', "\\0").replace('\n', "\\n")
}

pub(crate) fn node_range(n: Node<'_>) -> TextRange {
    TextRange::new(n.start_byte(), n.end_byte())
}

/// `a.b.c` for identifiers and attribute chains.
pub(crate) fn dotted_name(m: &PyModule, n: Node<'_>) -> Option<String> {
    let mut parts = Vec::new();
    let mut cur = n;
    for _ in 0..32 {
        match cur.kind() {
            "identifier" => {
                parts.push(m.node_text(cur));
                parts.reverse();
                return Some(parts.join("."));
            }
            "attribute" => {
                parts.push(m.node_text(cur.field(Field::Attribute)?));
                cur = cur.field(Field::Object)?;
            }
            _ => return None,
        }
    }
    None
}

/// The dotted name with its head replaced through the import aliases.
pub(crate) fn canonical(
    dotted: &str,
    aliases: &std::collections::HashMap<String, String>,
) -> String {
    let (head, rest) = dotted
        .split_once('.')
        .map_or((dotted, None), |(h, r)| (h, Some(r)));
    match (aliases.get(head), rest) {
        (Some(full), Some(rest)) => format!("{full}.{rest}"),
        (Some(full), None) => full.clone(),
        (None, _) => dotted.to_owned(),
    }
}

/// A plain string literal's value (no interpolation).
pub(crate) fn string_literal(m: &PyModule, n: Node<'_>) -> Option<String> {
    if n.kind() != "string" {
        return None;
    }
    let s = crate::lower::parse_plain_string(m, n)?;
    Some(s)
}
