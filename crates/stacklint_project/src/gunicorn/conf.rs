//! The Python config file front end (`gunicorn.conf.py`, any `-c` file).
//!
//! gunicorn executes the file and reads its module-level names. We read module-level
//! assignments (also inside `if`/`try`/`with` blocks, marked conditional), annotation-only
//! lines (`workers: 4`, which gunicorn never sees), server hooks defined with `def`, and
//! names that look like misspelt settings. Values are read without running anything:
//! literals, `os.environ.get(...)` lookups with their defaults, and CPU-count expressions.
//!
//! Written against tree-sitter directly (the smallest surface needed): the shared Python
//! front end in `stacklint_python` can replace [`parse_tree`] and the walkers here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use stacklint_text::TextRange;
use stacklint_python::PyModule;
use stacklint_python::Node;

use super::edit::ConfSite;
use super::table::{ValueKind, table};
use super::{GunSetting, Layer, Origin, SettingValue, Span, UnknownSetting, ValueSyntax, Written, parse_int};

/// What a gunicorn config file says.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfFile {
    pub path: PathBuf,
    /// Known settings, in file order (annotation-only lines included, see [`GunSetting::is_effective`]).
    pub settings: Vec<GunSetting>,
    /// Module-level names that look like settings gunicorn does not know.
    pub unknown: Vec<UnknownSetting>,
    /// Every `cpu_count()` call in the file.
    pub cpu_count_calls: Vec<Span>,
    /// The first statement (after a docstring): where file-level findings are anchored.
    pub first_statement: TextRange,
    /// Where new settings go.
    pub site: ConfSite,
    /// The file has Python syntax errors (what follows an error may be missing).
    pub has_syntax_errors: bool,
}


struct Reader<'a> {
    text: &'a str,
    path: &'a Path,
    settings: Vec<GunSetting>,
    unknown: Vec<UnknownSetting>,
    /// How often each identifier appears anywhere in the file.
    uses: HashMap<&'a str, usize>,
    /// How often each identifier is an assignment target at module level.
    targets: HashMap<&'a str, usize>,
    candidates: Vec<(String, TextRange, TextRange)>,
}

impl ConfFile {
    /// Parse and read a config file (see [`ConfFile::read`]).
    pub fn parse(path: &Path, text: &str) -> ConfFile {
        ConfFile::read(path, &stacklint_python::parse(text))
    }

    /// Read a config file already parsed (the project parses every Python file once).
    /// Total: a file tree-sitter cannot parse at all gives no settings.
    pub fn read(path: &Path, module: &PyModule) -> ConfFile {
        let text = module.text();
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let site = ConfSite { file: path.to_path_buf(), offset: text.len(), newline, needs_leading_newline: !text.is_empty() && !text.ends_with('\n') };
        let mut conf = ConfFile { path: path.to_path_buf(), settings: Vec::new(), unknown: Vec::new(), cpu_count_calls: Vec::new(), first_statement: TextRange::empty(0), site, has_syntax_errors: false };
        let Some(root) = module.root() else { return conf };
        conf.has_syntax_errors = root.has_error();
        let mut reader = Reader { text, path, settings: Vec::new(), unknown: Vec::new(), uses: HashMap::new(), targets: HashMap::new(), candidates: Vec::new() };
        count_uses(root, text, &mut Vec::new(), &mut reader.uses);
        walk(root, &mut |n| {
            if n.kind() == "call" && n.child_by_field_name("function").is_some_and(|f| is_cpu_count(node_text(f, text))) {
                conf.cpu_count_calls.push(Span { file: path.to_path_buf(), range: range(n) });
            }
        });
        let mut cursor = root.walk();
        let statements: Vec<Node> = root.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
        let first = statements.iter().find(|n| !is_docstring(**n)).or(statements.first());
        conf.first_statement = first.map_or(TextRange::empty(0), |n| range(*n));
        for stmt in statements {
            reader.statement(stmt, false);
        }
        for (name, name_range, stmt_range) in std::mem::take(&mut reader.candidates) {
            let uses = reader.uses.get(name.as_str()).copied().unwrap_or(0);
            let as_target = reader.targets.get(name.as_str()).copied().unwrap_or(0);
            if uses > as_target {
                continue; // a helper variable read elsewhere in the file
            }
            let suggestion = table().closest_name(&name).map(str::to_owned);
            reader.unknown.push(UnknownSetting { name, span: Span { file: path.to_path_buf(), range: name_range }, range: stmt_range, suggestion, ambiguous: Vec::new(), layer: Layer::ConfFile });
        }
        conf.settings = reader.settings;
        conf.unknown = reader.unknown;
        conf
    }
}

fn walk<'t>(node: Node<'t>, f: &mut impl FnMut(Node<'t>)) {
    f(node);
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        walk(child, f);
    }
}

/// Count identifier occurrences, except a function's own parameters and their uses
/// inside it (`def post_fork(server, worker)` does not read a module-level `worker`).
fn count_uses<'a>(node: Node<'_>, text: &'a str, shadowed: &mut Vec<&'a str>, uses: &mut HashMap<&'a str, usize>) {
    if node.kind() == "identifier" {
        let name = node_text(node, text);
        if !shadowed.contains(&name) {
            *uses.entry(name).or_default() += 1;
        }
        return;
    }
    let before = shadowed.len();
    if matches!(node.kind(), "function_definition" | "lambda")
        && let Some(params) = node.child_by_field_name("parameters")
    {
        {
            let mut c = params.walk();
            for p in params.named_children(&mut c) {
                let id = if p.kind() == "identifier" { Some(p) } else { p.child_by_field_name("name").or_else(|| p.named_child(0)).filter(|n| n.kind() == "identifier") };
                if let Some(id) = id {
                    shadowed.push(node_text(id, text));
                }
            }
        }
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if matches!(child.kind(), "parameters" | "lambda_parameters") {
            continue;
        }
        count_uses(child, text, shadowed, uses);
    }
    shadowed.truncate(before);
}

fn range(n: Node<'_>) -> TextRange {
    TextRange::new(n.start_byte(), n.end_byte())
}

fn node_text<'a>(n: Node<'_>, text: &'a str) -> &'a str {
    text.get(n.start_byte()..n.end_byte()).unwrap_or("")
}

fn is_docstring(n: Node<'_>) -> bool {
    n.kind() == "expression_statement" && n.named_child(0).is_some_and(|c| c.kind() == "string")
}

fn is_cpu_count(callee: &str) -> bool {
    callee == "cpu_count" || callee.ends_with(".cpu_count")
}

/// Does this name look like a gunicorn setting someone meant to set? Lowercase, public.
fn looks_like_setting(name: &str) -> bool {
    !name.starts_with('_') && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') && name.chars().any(|c| c.is_ascii_lowercase())
}

impl Reader<'_> {
    fn statement(&mut self, stmt: Node<'_>, conditional: bool) {
        match stmt.kind() {
            "expression_statement" => {
                let mut cursor = stmt.walk();
                for child in stmt.named_children(&mut cursor) {
                    if child.kind() == "assignment" {
                        self.assignment(stmt, child, conditional);
                    }
                }
            }
            "function_definition" => self.function(stmt, stmt, conditional),
            "decorated_definition" => {
                if let Some(def) = stmt.child_by_field_name("definition").filter(|d| d.kind() == "function_definition") {
                    self.function(stmt, def, conditional);
                }
            }
            "if_statement" | "elif_clause" | "else_clause" | "try_statement" | "except_clause" | "finally_clause" | "with_statement" | "block" | "else" => {
                let mut cursor = stmt.walk();
                for child in stmt.named_children(&mut cursor) {
                    if child.kind() == "block" || child.kind().ends_with("_clause") {
                        let mut c2 = child.walk();
                        if child.kind() == "block" {
                            for s in child.named_children(&mut c2) {
                                self.statement(s, true);
                            }
                        } else {
                            self.statement(child, true);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn function(&mut self, stmt: Node<'_>, def: Node<'_>, conditional: bool) {
        let Some(name_node) = def.child_by_field_name("name") else { return };
        let name = node_text(name_node, self.text);
        if let Some(info) = table().get(name) {
            let origin = Origin { file: self.path.to_path_buf(), value_range: None, range: range(stmt), name_range: range(name_node), value_raw: String::new(), layer: Layer::ConfFile, written: Written::PyFunction, syntax: ValueSyntax::Python, conditional };
            self.settings.push(GunSetting { name: info.name, value: SettingValue::Function, origin });
        }
    }

    fn assignment(&mut self, stmt: Node<'_>, assign: Node<'_>, conditional: bool) {
        let Some(left) = assign.child_by_field_name("left") else { return };
        let right = assign.child_by_field_name("right");
        let ty = assign.child_by_field_name("type");
        let (written, value_node) = match (right, ty) {
            (Some(r), Some(_)) => (Written::PyAnnAssign, r),
            (Some(r), None) => (Written::PyAssign, r),
            (None, Some(t)) => (Written::PyAnnotationOnly, t),
            (None, None) => return,
        };
        // `a = b = 1`: the innermost right-hand side is the value of every target.
        let mut value_node = value_node;
        let mut targets = vec![left];
        while value_node.kind() == "assignment" {
            if let Some(l) = value_node.child_by_field_name("left") {
                targets.push(l);
            }
            match value_node.child_by_field_name("right") {
                Some(r) => value_node = r,
                None => return,
            }
        }
        for target in targets {
            match target.kind() {
                "identifier" => self.binding(stmt, target, value_node, written.clone(), conditional),
                "pattern_list" | "tuple_pattern" => {
                    // `a, b = 1, 2`
                    let mut c1 = target.walk();
                    let names: Vec<Node> = target.named_children(&mut c1).collect();
                    let mut c2 = value_node.walk();
                    let values: Vec<Node> = if matches!(value_node.kind(), "expression_list" | "tuple") { value_node.named_children(&mut c2).collect() } else { Vec::new() };
                    for (n, v) in names.iter().zip(values.iter()) {
                        if n.kind() == "identifier" {
                            self.binding(stmt, *n, *v, written.clone(), conditional);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn binding(&mut self, stmt: Node<'_>, name_node: Node<'_>, value_node: Node<'_>, written: Written, conditional: bool) {
        let name = node_text(name_node, self.text);
        // an assigned or annotated name is not a use
        *self.targets.entry(name).or_default() += 1;
        let Some(info) = table().get(name) else {
            if looks_like_setting(name) && !conditional {
                self.candidates.push((name.to_owned(), range(name_node), range(stmt)));
            }
            return;
        };
        // `workers: 4`: the annotation node wraps the expression
        let value_node = if value_node.kind() == "type" { value_node.named_child(0).unwrap_or(value_node) } else { value_node };
        let value = self.value(value_node, info.value_kind());
        let origin = Origin {
            file: self.path.to_path_buf(),
            value_range: Some(range(value_node)),
            range: range(stmt),
            name_range: range(name_node),
            value_raw: node_text(value_node, self.text).to_owned(),
            layer: Layer::ConfFile,
            written,
            syntax: ValueSyntax::Python,
            conditional,
        };
        self.settings.push(GunSetting { name: info.name, value, origin });
    }

    fn value(&self, n: Node<'_>, kind: ValueKind) -> SettingValue {
        let raw = node_text(n, self.text);
        match n.kind() {
            "integer" => parse_int(raw).map_or_else(|| SettingValue::Expr(raw.to_owned()), SettingValue::Int),
            "true" => SettingValue::Bool(true),
            "false" => SettingValue::Bool(false),
            "string" => self.string(n).map_or_else(|| SettingValue::Expr(raw.to_owned()), SettingValue::Str),
            "concatenated_string" => {
                let mut c = n.walk();
                let parts: Option<Vec<String>> = n.named_children(&mut c).map(|p| self.string(p)).collect();
                parts.map_or_else(|| SettingValue::Expr(raw.to_owned()), |p| SettingValue::Str(p.concat()))
            }
            "list" | "tuple" => {
                let mut c = n.walk();
                SettingValue::List(n.named_children(&mut c).filter(|x| x.kind() != "comment").map(|x| self.value(x, ValueKind::Str)).collect())
            }
            "parenthesized_expression" => n.named_child(0).map_or_else(|| SettingValue::Expr(raw.to_owned()), |inner| self.value(inner, kind)),
            "unary_operator" if raw.trim_start().starts_with('-') => n.child_by_field_name("argument").and_then(|a| parse_int(node_text(a, self.text))).map_or_else(|| SettingValue::Expr(raw.to_owned()), |v| SettingValue::Int(-v)),
            _ => {
                if let Some(env) = self.env_lookup(n, kind) {
                    return env;
                }
                if let Some(call) = self.find_cpu_count(n) {
                    return SettingValue::FromCpuCount { expr: raw.to_owned(), call_range: range(call), linear: self.linear(n) };
                }
                SettingValue::Expr(raw.to_owned())
            }
        }
    }

    /// The content of a plain string literal (no interpolation).
    fn string(&self, n: Node<'_>) -> Option<String> {
        if n.kind() != "string" {
            return None;
        }
        let mut c = n.walk();
        let mut content = String::new();
        let mut start_text = "";
        for child in n.children(&mut c) {
            match child.kind() {
                "string_start" => start_text = node_text(child, self.text),
                "string_content" => content.push_str(node_text(child, self.text)),
                "escape_sequence" => {
                    let e = node_text(child, self.text);
                    content.push_str(match e {
                        "\\n" => "\n",
                        "\\t" => "\t",
                        "\\\\" => "\\",
                        "\\'" => "'",
                        "\\\"" => "\"",
                        other => other,
                    });
                }
                "interpolation" => return None,
                _ => {}
            }
        }
        if start_text.to_ascii_lowercase().contains('b') {
            return None;
        }
        Some(content)
    }

    /// `os.environ.get("X", d)`, `os.getenv("X", d)`, `os.environ["X"]`, wrapped or not in
    /// `int(...)`/`str(...)`/`bool(...)`.
    fn env_lookup(&self, n: Node<'_>, kind: ValueKind) -> Option<SettingValue> {
        let raw = node_text(n, self.text).to_owned();
        match n.kind() {
            "call" => {
                let callee = node_text(n.child_by_field_name("function")?, self.text);
                let args = n.child_by_field_name("arguments")?;
                let mut c = args.walk();
                let positional: Vec<Node> = args.named_children(&mut c).filter(|a| a.kind() != "keyword_argument" && a.kind() != "comment").collect();
                let mut c2 = args.walk();
                let default_kw = args.named_children(&mut c2).find(|a| a.kind() == "keyword_argument" && a.child_by_field_name("name").is_some_and(|k| node_text(k, self.text) == "default")).and_then(|a| a.child_by_field_name("value"));
                match callee {
                    "int" | "str" | "bool" | "float" => {
                        let inner = self.env_lookup(*positional.first()?, kind)?;
                        Some(if let SettingValue::Env { var, default, .. } = inner { SettingValue::Env { var, default, raw } } else { inner })
                    }
                    "os.environ.get" | "os.getenv" | "environ.get" | "getenv" | "env" | "config" => {
                        let var = positional.first().and_then(|v| self.string(*v));
                        let default = positional.get(1).copied().or(default_kw).map(|d| Box::new(coerce(self.value(d, kind), kind)));
                        Some(SettingValue::Env { var, default, raw })
                    }
                    _ => None,
                }
            }
            "subscript" => {
                let value = node_text(n.child_by_field_name("value")?, self.text);
                if value != "os.environ" && value != "environ" {
                    return None;
                }
                let var = n.child_by_field_name("subscript").and_then(|s| self.string(s));
                Some(SettingValue::Env { var, default: None, raw })
            }
            _ => None,
        }
    }

    fn find_cpu_count<'t>(&self, n: Node<'t>) -> Option<Node<'t>> {
        let mut found = None;
        walk(n, &mut |x| {
            if found.is_none() && x.kind() == "call" && x.child_by_field_name("function").is_some_and(|f| is_cpu_count(node_text(f, self.text))) {
                found = Some(x);
            }
        });
        found
    }

    /// `(a, b)` when `n` is `a × cpu_count() + b`.
    fn linear(&self, n: Node<'_>) -> Option<(i64, i64)> {
        match n.kind() {
            "call" if n.child_by_field_name("function").is_some_and(|f| is_cpu_count(node_text(f, self.text))) => Some((1, 0)),
            "integer" => parse_int(node_text(n, self.text)).map(|v| (0, v)),
            "parenthesized_expression" => self.linear(n.named_child(0)?),
            "binary_operator" => {
                let l = self.linear(n.child_by_field_name("left")?)?;
                let r = self.linear(n.child_by_field_name("right")?)?;
                let op = node_text(n.child_by_field_name("operator")?, self.text);
                match op {
                    "+" => Some((l.0 + r.0, l.1 + r.1)),
                    "-" => Some((l.0 - r.0, l.1 - r.1)),
                    "*" if l.0 == 0 => Some((l.1 * r.0, l.1 * r.1)),
                    "*" if r.0 == 0 => Some((l.0 * r.1, l.1 * r.1)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// An env default written as a string (`os.environ.get("WORKERS", "4")`) read as the
/// setting's kind.
fn coerce(v: SettingValue, kind: ValueKind) -> SettingValue {
    match (v, kind) {
        (SettingValue::Str(s), ValueKind::Int) => parse_int(&s).map_or(SettingValue::Str(s), SettingValue::Int),
        (v, _) => v,
    }
}
