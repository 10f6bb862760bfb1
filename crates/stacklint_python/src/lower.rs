//! From tree-sitter expression nodes to [`Expr`]s.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use stacklint_text::TextRange;
use tree_sitter::Node;

use crate::grammar::{Field, Fields};
use crate::module::{PyModule, canonical, dotted_name, node_range};
use crate::value::{
    BinOp, Call, Dict, DictEntry, EnvLookup, EnvOp, EnvSource, Expr, FileRef, InsertPoint, Kwarg,
    MAX_DEPTH, NameRef, UrlConfig, UrlConfigKind, Value, cache_backend_for_scheme,
    db_engine_for_scheme,
};

/// A django-environ `Env(NAME=(cast, default))` scheme.
#[derive(Clone, Debug, Default)]
pub(crate) struct EnvScheme {
    pub entries: HashMap<String, (Vec<EnvOp>, Option<Expr>)>,
}

/// What names mean at a point of a module.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope {
    pub values: HashMap<String, Arc<Expr>>,
    pub aliases: HashMap<String, String>,
    pub env_objects: HashMap<String, Arc<EnvScheme>>,
    pub decouple: HashSet<String>,
}

impl Scope {
    /// Take over everything `other` defines (a star import).
    pub fn merge_from(&mut self, other: &Scope) {
        for (k, v) in &other.values {
            if !k.starts_with('_') {
                self.values.insert(k.clone(), v.clone());
            }
        }
        for (k, v) in &other.env_objects {
            self.env_objects.insert(k.clone(), v.clone());
        }
        for k in &other.decouple {
            self.decouple.insert(k.clone());
        }
        for (k, v) in &other.aliases {
            self.aliases.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

    /// Take over one name (`from .base import X as Y`).
    pub fn import_name(&mut self, other: &Scope, name: &str, local: &str) {
        if let Some(v) = other.values.get(name) {
            self.values.insert(local.to_owned(), v.clone());
        }
        if let Some(v) = other.env_objects.get(name) {
            self.env_objects.insert(local.to_owned(), v.clone());
        }
        if other.decouple.contains(name) {
            self.decouple.insert(local.to_owned());
        }
        if let Some(v) = other.aliases.get(name) {
            self.aliases.insert(local.to_owned(), v.clone());
        }
    }

    /// A name was rebound to something that is neither an env object nor a module.
    pub fn forget(&mut self, name: &str) {
        self.env_objects.remove(name);
        self.decouple.remove(name);
        self.aliases.remove(name);
    }
}

pub(crate) struct Lowerer<'a> {
    pub module: &'a PyModule,
    pub file: FileRef,
    pub scope: &'a Scope,
}

fn named_children(n: Node<'_>) -> Vec<Node<'_>> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|x| x.kind() != "comment")
        .collect()
}

impl Lowerer<'_> {
    fn expr(&self, n: Node<'_>, value: Value) -> Expr {
        Expr::new(node_range(n), self.file.clone(), value)
    }

    fn unknown(&self, n: Node<'_>) -> Expr {
        self.expr(n, Value::Unknown(self.module.node_text(n).to_owned()))
    }

    pub fn lower(&self, n: Node<'_>) -> Expr {
        self.lower_at(n, 0)
    }

    fn lower_at(&self, n: Node<'_>, depth: u16) -> Expr {
        if depth > MAX_DEPTH / 2 || n.is_error() || n.is_missing() {
            return self.unknown(n);
        }
        let d = depth + 1;
        match n.kind() {
            "string" => self.string(n, d),
            "concatenated_string" => {
                let parts: Vec<Expr> = named_children(n)
                    .iter()
                    .map(|c| self.string(*c, d))
                    .collect();
                self.concat(n, parts)
            }
            "integer" => match parse_int(self.module.node_text(n)) {
                Some(i) => self.expr(n, Value::Int(i)),
                None => self.unknown(n),
            },
            "float" => match self.module.node_text(n).replace('_', "").parse::<f64>() {
                Ok(f) => self.expr(n, Value::Float(f)),
                Err(_) => self.unknown(n),
            },
            "true" => self.expr(n, Value::Bool(true)),
            "false" => self.expr(n, Value::Bool(false)),
            "none" => self.expr(n, Value::None),
            "list" => self.expr(n, Value::List(self.items(n, d))),
            "tuple" | "expression_list" => self.expr(n, Value::Tuple(self.items(n, d))),
            "set" => self.expr(n, Value::Set(self.items(n, d))),
            "dictionary" => self.dict(n, d),
            "parenthesized_expression" => match named_children(n).as_slice() {
                [inner] => self.lower_at(*inner, d),
                _ => self.unknown(n),
            },
            "identifier" => {
                let name = self.module.node_text(n);
                let target = self
                    .scope
                    .values
                    .get(name)
                    .filter(|t| t.depth() < MAX_DEPTH / 2);
                self.expr(
                    n,
                    Value::Name(NameRef {
                        name: name.to_owned(),
                        target: target.cloned(),
                    }),
                )
            }
            "call" => self.call(n, d),
            "subscript" => self.subscript(n, d),
            "comparison_operator" => self.comparison(n, d),
            "not_operator" => {
                let Some(arg) = n.field(Field::Argument) else {
                    return self.unknown(n);
                };
                let inner = self.lower_at(arg, d);
                match inner.value {
                    Value::Env(mut e) => {
                        e.ops.push(EnvOp::Not);
                        self.expr(n, Value::Env(e))
                    }
                    Value::Bool(b) => self.expr(n, Value::Bool(!b)),
                    _ => self.unknown(n),
                }
            }
            "boolean_operator" => self.boolean(n, d),
            "binary_operator" => self.binary(n, d),
            "unary_operator" => {
                let op = n
                    .field(Field::Operator)
                    .map(|o| self.module.node_text(o));
                let arg = n
                    .field(Field::Argument)
                    .map(|a| self.lower_at(a, d));
                match (op, arg.map(|a| a.value)) {
                    (Some("-"), Some(Value::Int(i))) => self.expr(n, Value::Int(-i)),
                    (Some("-"), Some(Value::Float(f))) => self.expr(n, Value::Float(-f)),
                    (Some("+"), Some(v @ (Value::Int(_) | Value::Float(_)))) => self.expr(n, v),
                    _ => self.unknown(n),
                }
            }
            _ => self.unknown(n),
        }
    }

    fn items(&self, n: Node<'_>, d: u16) -> Vec<Expr> {
        named_children(n)
            .into_iter()
            .map(|c| self.lower_at(c, d))
            .collect()
    }

    fn concat(&self, n: Node<'_>, parts: Vec<Expr>) -> Expr {
        let mut all = String::new();
        let mut flat = Vec::new();
        let mut known = true;
        for p in parts {
            match p.value {
                Value::Str(ref s) => {
                    all.push_str(s);
                    flat.push(p);
                }
                Value::Concat(inner) => {
                    known = false;
                    flat.extend(inner);
                }
                _ => {
                    known = false;
                    flat.push(p);
                }
            }
        }
        if known && all.len() > crate::value::caps::MAX_STR_LEN {
            self.unknown(n)
        } else if known {
            self.expr(n, Value::Str(all))
        } else {
            self.expr(n, Value::Concat(flat))
        }
    }

    fn string(&self, n: Node<'_>, d: u16) -> Expr {
        if n.kind() != "string" {
            return self.lower_at(n, d);
        }
        let text = self.module.text();
        let mut c = n.walk();
        let children: Vec<Node<'_>> = n.children(&mut c).collect();
        let Some(start) = children.first().filter(|s| s.kind() == "string_start") else {
            return self.unknown(n);
        };
        let prefix = self.module.node_text(*start).to_ascii_lowercase();
        let raw = prefix.contains('r');
        let fstr = prefix.contains('f') || prefix.contains('t');
        let end_pos = children
            .iter()
            .rev()
            .find(|s| s.kind() == "string_end")
            .map_or(n.end_byte(), Node::start_byte);
        let mut parts = Vec::new();
        let mut pos = start.end_byte();
        let push_lit = |from: usize, to: usize, parts: &mut Vec<Expr>| {
            if to > from {
                let lit = text.get(from..to).unwrap_or("");
                let mut s = if raw { lit.to_owned() } else { unescape(lit) };
                if fstr {
                    s = s.replace("{{", "{").replace("}}", "}");
                }
                parts.push(Expr::new(
                    TextRange::new(from, to),
                    self.file.clone(),
                    Value::Str(s),
                ));
            }
        };
        for ch in &children {
            if ch.kind() == "interpolation" {
                push_lit(pos, ch.start_byte(), &mut parts);
                let plain = ch.field(Field::TypeConversion).is_none()
                    && ch.field(Field::FormatSpecifier).is_none();
                let inner = ch.field(Field::Expression);
                match inner {
                    Some(e) if plain => parts.push(self.lower_at(e, d)),
                    _ => parts.push(self.unknown(*ch)),
                }
                pos = ch.end_byte();
            }
        }
        push_lit(pos, end_pos.max(pos), &mut parts);
        if parts.is_empty() {
            return self.expr(n, Value::Str(String::new()));
        }
        self.concat(n, parts)
    }

    fn dict(&self, n: Node<'_>, d: u16) -> Expr {
        let mut entries = Vec::new();
        for c in named_children(n) {
            match c.kind() {
                "pair" => {
                    let (Some(k), Some(v)) =
                        (c.field(Field::Key), c.field(Field::Value))
                    else {
                        continue;
                    };
                    entries.push(DictEntry {
                        key: Some(self.lower_at(k, d)),
                        value: self.lower_at(v, d),
                        range: node_range(c),
                    });
                }
                "dictionary_splat" => {
                    let inner = c
                        .named_child(0)
                        .map_or_else(|| self.unknown(c), |x| self.lower_at(x, d));
                    entries.push(DictEntry {
                        key: None,
                        value: inner,
                        range: node_range(c),
                    });
                }
                _ => {}
            }
        }
        let insert = insert_point(
            self.module.text(),
            node_range(n),
            entries.last().map(|e| e.range),
        );
        self.expr(n, Value::Dict(Dict { entries, insert }))
    }

    fn subscript(&self, n: Node<'_>, d: u16) -> Expr {
        let obj = n.field(Field::Value);
        let key = n.field(Field::Subscript);
        if let (Some(obj), Some(key)) = (obj, key)
            && self.canon(obj).as_deref() == Some("os.environ")
        {
            let k = self.lower_at(key, d);
            return self.expr(
                n,
                Value::Env(Box::new(EnvLookup {
                    source: EnvSource::OsEnvironIndex,
                    var: k.as_str().map(str::to_owned),
                    var_range: k.range,
                    default: None,
                    required: true,
                    ops: Vec::new(),
                    default_ops_from: 0,
                })),
            );
        }
        self.unknown(n)
    }

    fn canon(&self, n: Node<'_>) -> Option<String> {
        dotted_name(self.module, n).map(|dn| canonical(&dn, &self.scope.aliases))
    }

    #[allow(clippy::many_single_char_names)]
    fn comparison(&self, n: Node<'_>, d: u16) -> Expr {
        let mut c = n.walk();
        let kids: Vec<Node<'_>> = n
            .children(&mut c)
            .filter(|x| x.kind() != "comment")
            .collect();
        let [l, op, r] = kids.as_slice() else {
            return self.unknown(n);
        };
        let op = self
            .module
            .node_text(*op)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let left = self.lower_at(*l, d);
        let right = self.lower_at(*r, d);
        let (env, other) = match (left.value, right.value) {
            (Value::Env(e), o) => (e, o),
            (o, Value::Env(e)) if op == "==" || op == "!=" => (e, o),
            _ => return self.unknown(n),
        };
        let statics = |v: Value| -> Option<Vec<Value>> {
            match v {
                Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                    xs.into_iter().map(|x| x.unset_value()).collect()
                }
                Value::Str(s) => Some(vec![Value::Str(s)]),
                _ => None,
            }
        };
        let new_op = match op.as_str() {
            "==" => static_value(other).map(EnvOp::Eq),
            "!=" => static_value(other).map(EnvOp::Ne),
            "in" => statics(other).map(EnvOp::In),
            "not in" => statics(other).map(EnvOp::NotIn),
            _ => None,
        };
        let Some(new_op) = new_op else {
            return self.unknown(n);
        };
        let mut env = env;
        env.ops.push(new_op);
        self.expr(n, Value::Env(env))
    }

    fn boolean(&self, n: Node<'_>, d: u16) -> Expr {
        let op = n
            .field(Field::Operator)
            .map(|o| self.module.node_text(o));
        let (Some(l), Some(r)) = (
            n.field(Field::Left),
            n.field(Field::Right),
        ) else {
            return self.unknown(n);
        };
        let left = self.lower_at(l, d);
        if op == Some("or")
            && let Value::Env(mut e) = left.value
            && e.default.is_none()
            && e.ops.is_empty()
        {
            // `os.environ.get("X") or "fallback"`: the fallback is what an unset variable gives.
            e.default = Some(self.lower_at(r, d));
            e.required = false;
            return self.expr(n, Value::Env(e));
        }
        self.unknown(n)
    }

    #[allow(clippy::many_single_char_names)]
    fn binary(&self, n: Node<'_>, d: u16) -> Expr {
        let op = n
            .field(Field::Operator)
            .map_or("", |o| self.module.node_text(o));
        let (Some(l), Some(r)) = (
            n.field(Field::Left),
            n.field(Field::Right),
        ) else {
            return self.unknown(n);
        };
        let left = self.lower_at(l, d);
        let right = self.lower_at(r, d);
        let stringy = |e: &Expr| {
            matches!(e.value, Value::Str(_) | Value::Concat(_))
                || matches!(
                    e.resolved().value,
                    Value::Str(_) | Value::Concat(_) | Value::Env(_)
                )
        };
        if op == "+"
            && (matches!(left.value, Value::Str(_) | Value::Concat(_))
                || matches!(right.value, Value::Str(_) | Value::Concat(_)))
            && stringy(&left)
            && stringy(&right)
        {
            return self.concat(n, vec![left, right]);
        }
        match (op, &left.value, &right.value) {
            ("+", Value::Int(a), Value::Int(b)) if a.checked_add(*b).is_some() => {
                self.expr(n, Value::Int(a.saturating_add(*b)))
            }
            ("*", Value::Int(a), Value::Int(b)) if a.checked_mul(*b).is_some() => {
                self.expr(n, Value::Int(a.saturating_mul(*b)))
            }
            _ => self.expr(
                n,
                Value::BinOp(Box::new(BinOp {
                    op: op.to_owned(),
                    left,
                    right,
                })),
            ),
        }
    }

    fn call(&self, n: Node<'_>, d: u16) -> Expr {
        let Some(func) = n.field(Field::Function) else {
            return self.unknown(n);
        };
        let args_node = n.field(Field::Arguments);
        // Method calls on an env lookup or a string: `.split(",")`, `.lower()`.
        if func.kind() == "attribute"
            && let Some(obj) = func.field(Field::Object)
            && let Some(attr) = func.field(Field::Attribute)
        {
            let method = self.module.node_text(attr);
            if matches!(method, "split" | "lower" | "upper" | "strip" | "casefold") {
                let recv = self.lower_at(obj, d);
                if matches!(recv.value, Value::Env(_) | Value::Str(_)) {
                    let sep = args_node
                        .map(named_children)
                        .and_then(|a| a.first().map(|x| self.lower_at(*x, d)));
                    let op = match method {
                        "split" => match sep.as_ref().map(|s| &s.value) {
                            None | Some(Value::None) => Some(EnvOp::Split(None)),
                            Some(Value::Str(s)) => Some(EnvOp::Split(Some(s.clone()))),
                            _ => None,
                        },
                        "lower" | "casefold" => Some(EnvOp::Lower),
                        "upper" => Some(EnvOp::Upper),
                        _ => Some(EnvOp::Strip),
                    };
                    if let Some(op) = op {
                        match recv.value {
                            Value::Env(mut e) => {
                                e.ops.push(op);
                                return self.expr(n, Value::Env(e));
                            }
                            Value::Str(s) => {
                                let env = EnvLookup {
                                    source: EnvSource::OsEnvironGet,
                                    var: None,
                                    var_range: TextRange::default(),
                                    default: Some(Expr::new(
                                        recv.range,
                                        self.file.clone(),
                                        Value::Str(s),
                                    )),
                                    required: false,
                                    ops: vec![op],
                                    default_ops_from: 0,
                                };
                                if let crate::value::Unset::Value(v) = env.unset_value() {
                                    return self.expr(n, v);
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        let call = self.call_parts(n, func, args_node, d);
        let canon_owned = call.func.clone();
        let canon = canon_owned.as_str();
        let head = dotted_name(self.module, func).unwrap_or_default();
        let (head_name, method) = head
            .split_once('.')
            .map_or((head.as_str(), ""), |(h, m)| (h, m));

        match canon {
            "os.environ.get" | "os.getenv" | "os.environ.setdefault" => {
                let source = match canon {
                    "os.getenv" => EnvSource::OsGetenv,
                    "os.environ.get" => EnvSource::OsEnvironGet,
                    _ => EnvSource::OsEnvironSetdefault,
                };
                let var = call.arg(0, "key");
                let default = call.arg(1, "default").cloned();
                return self.env(n, source, var, default, false, Vec::new(), 0);
            }
            "dj_database_url.config" | "dj_database_url.parse" => {
                return self.dj_database_url(n, call, canon == "dj_database_url.config");
            }
            "bool" | "int" | "float" | "str" | "json.loads" | "ast.literal_eval" | "list"
            | "tuple" => {
                if let [inner] = call.args.as_slice()
                    && call.kwargs.is_empty()
                    && let Value::Env(e) = &inner.value
                {
                    let mut e = e.clone();
                    e.ops.push(match canon {
                        "bool" => EnvOp::Truthy,
                        "int" => EnvOp::Int,
                        "float" => EnvOp::Float,
                        "str" => EnvOp::Str,
                        "list" => EnvOp::Other("list".to_owned()),
                        "tuple" => EnvOp::Other("tuple".to_owned()),
                        _ => EnvOp::Json,
                    });
                    return self.expr(n, Value::Env(e));
                }
            }
            _ => {}
        }
        // django-environ instance: `env(...)`, `env.bool(...)`, `env.db()`.
        if let Some(scheme) = self.scope.env_objects.get(head_name)
            && let Some(e) = self.environ_call(n, &call, method, scheme)
        {
            return e;
        }
        // python-decouple: `config("X", default=..., cast=bool)`.
        if canon == "decouple.config"
            || (method.is_empty() && self.scope.decouple.contains(head_name))
        {
            let var = call.arg(0, "option");
            let default = call.arg(1, "default").cloned();
            let ops = call
                .arg(2, "cast")
                .map(|c| self.cast_ops(c, true))
                .unwrap_or_default();
            let required = default.is_none();
            return self.env(n, EnvSource::Decouple, var, default, required, ops, 0);
        }
        self.expr(n, Value::Call(Box::new(call)))
    }

    #[allow(clippy::too_many_arguments)]
    fn env(
        &self,
        n: Node<'_>,
        source: EnvSource,
        var: Option<&Expr>,
        default: Option<Expr>,
        required: bool,
        ops: Vec<EnvOp>,
        default_ops_from: usize,
    ) -> Expr {
        self.expr(
            n,
            Value::Env(Box::new(EnvLookup {
                source,
                var: var.and_then(|v| v.resolved().as_str()).map(str::to_owned),
                var_range: var.map_or_else(TextRange::default, |v| v.range),
                default,
                required,
                ops,
                default_ops_from,
            })),
        )
    }

    /// The ops for a cast given as `cast=bool` / `Csv()` / `int`.
    fn cast_ops(&self, cast: &Expr, smart_bool: bool) -> Vec<EnvOp> {
        let text = match &cast.value {
            Value::Name(n) => canonical(&n.name, &self.scope.aliases),
            Value::Call(c) => c.func.clone(),
            Value::Unknown(t) => t.clone(),
            _ => String::new(),
        };
        let op = match text.as_str() {
            "bool" if smart_bool => EnvOp::ParseBool,
            "bool" => EnvOp::Truthy,
            "int" => EnvOp::Int,
            "float" => EnvOp::Float,
            "str" => return Vec::new(),
            "list" | "decouple.Csv" | "Csv" => EnvOp::List,
            "tuple" => EnvOp::Tuple,
            "json.loads" | "dict" => EnvOp::Json,
            other => EnvOp::Other(other.to_owned()),
        };
        vec![op]
    }

    fn environ_call(
        &self,
        n: Node<'_>,
        call: &Call,
        method: &str,
        scheme: &EnvScheme,
    ) -> Option<Expr> {
        let var = call.arg(0, "var");
        let var_name = var.and_then(|v| v.as_str());
        let mut default = call.kwarg("default").map(|k| k.value.clone());
        let mut ops = match method {
            "" => {
                let cast = call.arg(1, "cast");
                if default.is_none() {
                    default = call.args.get(2).cloned();
                }
                cast.map(|c| self.cast_ops(c, true)).unwrap_or_default()
            }
            "str" | "unicode" | "bytes" | "url" | "path" => {
                default = default.or_else(|| call.args.get(1).cloned());
                Vec::new()
            }
            "bool" | "int" | "float" | "list" | "tuple" | "json" | "dict" => {
                default = default.or_else(|| call.args.get(1).cloned());
                vec![match method {
                    "bool" => EnvOp::ParseBool,
                    "int" => EnvOp::Int,
                    "float" => EnvOp::Float,
                    "list" => EnvOp::List,
                    "tuple" => EnvOp::Tuple,
                    _ => EnvOp::Json,
                }]
            }
            "db" | "db_url" | "cache" | "cache_url" | "search_url" | "email" | "email_url" => {
                let cache = method.starts_with("cache");
                if !(method.starts_with("db") || cache) {
                    return None;
                }
                let default_var = if cache { "CACHE_URL" } else { "DATABASE_URL" };
                default = default.or_else(|| call.args.get(1).cloned());
                let mut url = self.env(
                    n,
                    EnvSource::DjangoEnviron,
                    var,
                    default,
                    false,
                    Vec::new(),
                    0,
                );
                if let Value::Env(e) = &mut url.value {
                    if e.var.is_none() && var.is_none() {
                        e.var = Some(default_var.to_owned());
                    }
                    e.required = e.default.is_none();
                }
                let engine_kw = call.arg(2, if cache { "backend" } else { "engine" });
                let engine = engine_kw
                    .and_then(|e| e.as_str().map(str::to_owned))
                    .or_else(|| {
                        let scheme = url_scheme(&url)?;
                        if cache {
                            cache_backend_for_scheme(&scheme)
                        } else {
                            db_engine_for_scheme(&scheme)
                        }
                        .map(str::to_owned)
                    });
                let kind = if cache {
                    UrlConfigKind::EnvironCache
                } else {
                    UrlConfigKind::EnvironDb
                };
                return Some(self.expr(
                    n,
                    Value::UrlConfig(Box::new(UrlConfig {
                        kind,
                        call: call.clone(),
                        url: Some(url),
                        engine,
                    })),
                ));
            }
            _ => return None,
        };
        if let Some((scheme_ops, scheme_default)) = var_name.and_then(|v| scheme.entries.get(v)) {
            if ops.is_empty() {
                ops.clone_from(scheme_ops);
            }
            if default.is_none() {
                default.clone_from(scheme_default);
            }
        }
        let parse_default = call
            .kwarg("parse_default")
            .is_some_and(|k| k.value.value == Value::Bool(true));
        let from = if parse_default { 0 } else { ops.len() };
        let required = default.is_none();
        Some(self.env(
            n,
            EnvSource::DjangoEnviron,
            var,
            default,
            required,
            ops,
            from,
        ))
    }

    fn dj_database_url(&self, n: Node<'_>, call: Call, is_config: bool) -> Expr {
        let url = if is_config {
            let var = call.kwarg("env").map(|k| &k.value);
            let default = call.arg(0, "default").cloned();
            let mut e = self.env(
                n,
                EnvSource::OsEnvironGet,
                var,
                default,
                false,
                Vec::new(),
                0,
            );
            if let Value::Env(env) = &mut e.value
                && env.var.is_none()
                && var.is_none()
            {
                env.var = Some("DATABASE_URL".to_owned());
            }
            Some(e)
        } else {
            call.arg(0, "url").cloned()
        };
        let engine = call
            .arg(99, "engine")
            .and_then(|e| e.as_str().map(str::to_owned))
            .or_else(|| {
                let scheme = url_scheme(url.as_ref()?)?;
                db_engine_for_scheme(&scheme).map(str::to_owned)
            });
        let kind = if is_config {
            UrlConfigKind::DjDatabaseUrlConfig
        } else {
            UrlConfigKind::DjDatabaseUrlParse
        };
        self.expr(
            n,
            Value::UrlConfig(Box::new(UrlConfig {
                kind,
                call,
                url,
                engine,
            })),
        )
    }

    fn call_parts(&self, n: Node<'_>, func: Node<'_>, args_node: Option<Node<'_>>, d: u16) -> Call {
        let func_name = self
            .canon(func)
            .unwrap_or_else(|| self.module.node_text(func).to_owned());
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        let mut last = None;
        if let Some(a) = args_node
            && a.kind() == "argument_list"
        {
            for c in named_children(a) {
                last = Some(node_range(c));
                if c.kind() == "keyword_argument" {
                    let (Some(k), Some(v)) = (
                        c.field(Field::Name),
                        c.field(Field::Value),
                    ) else {
                        continue;
                    };
                    kwargs.push(Kwarg {
                        name: self.module.node_text(k).to_owned(),
                        name_range: node_range(k),
                        value: self.lower_at(v, d),
                        range: node_range(c),
                    });
                } else {
                    args.push(self.lower_at(c, d));
                }
            }
        }
        let args_range = args_node.map_or_else(|| TextRange::empty(n.end_byte()), node_range);
        Call {
            func: func_name,
            func_range: node_range(func),
            args,
            kwargs,
            args_range,
            insert: insert_point(self.module.text(), args_range, last),
        }
    }
}

fn static_value(v: Value) -> Option<Value> {
    match v {
        v @ (Value::Str(_) | Value::Int(_) | Value::Bool(_) | Value::None | Value::Float(_)) => {
            Some(v)
        }
        _ => None,
    }
}

/// The scheme of a URL expression's value when unset (`postgres://...` → `postgres`).
fn url_scheme(url: &Expr) -> Option<String> {
    let Value::Str(s) = url.unset_value()? else {
        return None;
    };
    let (scheme, _) = s.split_once("://").or_else(|| s.split_once(':'))?;
    let scheme = scheme.split('+').next().unwrap_or(scheme);
    Some(scheme.to_ascii_lowercase())
}

/// An insertion point for a bracketed container whose last entry ends at `last`.
pub(crate) fn insert_point(
    text: &str,
    container: TextRange,
    last: Option<TextRange>,
) -> InsertPoint {
    let inner_start = (container.start() + 1).min(container.end());
    let close = container.end().saturating_sub(1).max(inner_start);
    let after_last = last.map_or(inner_start, TextRange::end);
    let between = text.get(after_last..close).unwrap_or("");
    // A trailing comma: the first non-space, non-comment char after the last entry.
    let trailing_comma = last.is_some() && between.trim_start().starts_with(',');
    let offset = if trailing_comma {
        after_last + between.find(',').map_or(0, |i| i + 1)
    } else {
        after_last
    };
    let body = text.get(inner_start..close).unwrap_or("");
    let multi_line = body.contains('\n');
    let (indent, closing_indent) = if multi_line {
        let line_indent = |pos: usize| {
            let line_start = text
                .get(..pos)
                .and_then(|t| t.rfind('\n'))
                .map_or(0, |i| i + 1);
            let line = text.get(line_start..pos).unwrap_or("");
            line.chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect::<String>()
        };
        let closing = line_indent(close);
        let entry_indent = match last {
            Some(l) => line_indent(l.start()),
            None => format!("{closing}    "),
        };
        (Some(entry_indent), Some(closing))
    } else {
        (None, None)
    };
    InsertPoint {
        container,
        offset,
        last_entry_end: last.map(TextRange::end),
        trailing_comma,
        indent,
        closing_indent,
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let s = s.replace('_', "");
    let lower = s.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else {
        lower.parse().ok()
    }
}

/// A plain (non-f) string literal's value.
pub(crate) fn parse_plain_string(m: &PyModule, n: Node<'_>) -> Option<String> {
    let l = Lowerer {
        module: m,
        file: crate::value::empty_file(),
        scope: &Scope::default(),
    };
    match l.string(n, 0).value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// Decode Python escape sequences (unknown ones are kept as written).
pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\\') | None => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some('\n') => {}
            Some(e @ ('x' | 'u' | 'U')) => {
                let len = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..len)
                    .filter_map(|_| chars.next_if(char::is_ascii_hexdigit))
                    .collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == len => out.push(ch),
                    _ => {
                        out.push('\\');
                        out.push(e);
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}
