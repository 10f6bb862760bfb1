//! Django models and querysets, read from one module's syntax only (no other file), so the
//! result can be cached with the module and rebuilt when that file alone changes.
//!
//! - [`ClassDef`]: every class with its bases, the fields its body assigns
//!   (`x = models.CharField(...)`), its `class Meta` (`abstract`, `indexes`,
//!   `unique_together`, `index_together`, `UniqueConstraint`s) and where edits go.
//! - [`Query`]: every queryset chain (`X.objects.filter(...).order_by(...)`, a variable
//!   refined later `qs = qs.filter(...)`, `get_object_or_404(X or chain, **lookups)`).
//! - [`RowLoop`]: loops and comprehensions over a query, with the attribute paths read on
//!   the loop variable (`message.author.username` → `["author", "username"]`).

use std::collections::HashMap;

use stacklint_text::TextRange;
use tree_sitter::Node;

use crate::module::{PyModule, dotted_name, node_range, string_literal};

/// What [`PyModule::orm`] finds in a module.
#[derive(Clone, Debug, Default)]
pub struct OrmFile {
    pub classes: Vec<ClassDef>,
    pub queries: Vec<Query>,
    pub loops: Vec<RowLoop>,
}

/// A class statement (any depth is not needed: models are top-level classes).
#[derive(Clone, Debug)]
pub struct ClassDef {
    pub name: String,
    pub name_range: TextRange,
    /// The bases as written (`models.Model`, `TimeStampedModel`), keywords left out.
    pub bases: Vec<String>,
    pub fields: Vec<FieldDef>,
    pub meta: Option<MetaDef>,
    /// The indentation of the class body's statements.
    pub body_indent: String,
    /// The end of the body's last statement: where a new `class Meta` goes.
    pub body_end: usize,
}

/// `name = <module>.<Class>Field(...)` in a class body.
#[derive(Clone, Debug)]
pub struct FieldDef {
    pub name: String,
    /// The field class, last segment (`CharField`, `ForeignKey`).
    pub class: String,
    pub range: TextRange,
    pub unique: bool,
    /// `db_index=` when written as a literal.
    pub db_index: Option<bool>,
    pub primary_key: bool,
    /// The related model of a relation: a string (`"app.Model"`, `"self"`) or a dotted name.
    pub target: Option<RelTarget>,
    pub related_name: Option<String>,
}

impl FieldDef {
    /// A foreign key (also `TreeForeignKey`, wagtail's `ParentalKey`).
    pub fn is_foreign_key(&self) -> bool {
        (self.class.ends_with("ForeignKey") && self.class != "GenericForeignKey") || self.class == "ParentalKey"
    }

    pub fn is_one_to_one(&self) -> bool {
        self.class == "OneToOneField"
    }

    pub fn is_many_to_many(&self) -> bool {
        self.class.ends_with("ManyToManyField")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelTarget {
    Str(String),
    Name(String),
}

/// `class Meta:` of a model.
#[derive(Clone, Debug)]
pub struct MetaDef {
    pub range: TextRange,
    pub abstract_: bool,
    pub body_indent: String,
    pub body_end: usize,
    /// `indexes = [...]`: `None` when not written; `Some` with `literal: false` when it is
    /// not a list literal (its entries are then unknown).
    pub indexes: Option<IndexList>,
    pub unique_together: Vec<Vec<String>>,
    pub index_together: Vec<Vec<String>>,
    /// `UniqueConstraint(fields=[...])` without `condition=` or expressions.
    pub unique_constraints: Vec<Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct IndexList {
    pub literal: bool,
    /// The list literal `[...]`.
    pub range: TextRange,
    pub items: Vec<IndexDef>,
}

/// One `models.Index(...)` of `Meta.indexes`.
#[derive(Clone, Debug)]
pub struct IndexDef {
    pub fields: Vec<String>,
    pub name: Option<String>,
    /// Only `fields=` of plain names (no `-field`, `condition=`, expressions, `opclasses=`,
    /// `include=`): an index that serves plain lookups in field order.
    pub plain: bool,
    /// `GinIndex`, `BrinIndex`...: not a btree.
    pub btree: bool,
    pub range: TextRange,
}

/// One call of a queryset chain.
#[derive(Clone, Debug)]
pub struct QCall {
    pub method: String,
    /// Keyword arguments (`room__slug`), without `defaults=`.
    pub lookups: Vec<String>,
    /// Plain string positional arguments (`order_by("-created_at")`).
    pub strings: Vec<String>,
    /// Any other positional argument (`Q(...)`, `F(...)`, a variable).
    pub other_args: bool,
    /// `**kwargs`.
    pub splat: bool,
    /// From the method name to the closing parenthesis.
    pub range: TextRange,
}

/// Where a chain starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Root {
    /// `X.objects` (dotted `X`), ending at `manager_end`.
    Manager { model: String, manager_end: usize },
    /// A bare name: a variable holding a query, or (first argument of
    /// `get_object_or_404`) a model.
    Name(String),
}

/// A queryset expression.
#[derive(Clone, Debug)]
pub struct Query {
    pub root: Root,
    pub calls: Vec<QCall>,
    pub range: TextRange,
    /// `get_object_or_404(...)`/`get_list_or_404(...)`.
    pub shortcut: bool,
    /// The query this one refines (a variable root bound to it earlier in the scope).
    pub base: Option<usize>,
    /// The variable it is assigned to, when a later query refines it.
    pub refined_later: bool,
}

/// A `for` loop or comprehension clause over a query.
#[derive(Clone, Debug)]
pub struct RowLoop {
    /// The `for ... in ...` header.
    pub range: TextRange,
    pub query: usize,
    pub var: String,
    /// The attribute paths read on the loop variable, each with its range.
    pub reads: Vec<(Vec<String>, TextRange)>,
}

impl OrmFile {
    /// The calls of a query and of the queries it refines, in execution order.
    pub fn effective_calls(&self, q: usize) -> Vec<&QCall> {
        let mut chain = Vec::new();
        let mut cur = Some(q);
        let mut guard = 0;
        while let Some(i) = cur {
            let Some(query) = self.queries.get(i) else { break };
            chain.push(query);
            cur = query.base;
            guard += 1;
            if guard > 64 {
                break;
            }
        }
        chain.iter().rev().flat_map(|q| q.calls.iter()).collect()
    }

    /// The query that starts the chain `q` refines (its root names the model).
    pub fn origin(&self, q: usize) -> Option<&Query> {
        let mut cur = self.queries.get(q)?;
        for _ in 0..64 {
            match cur.base.and_then(|b| self.queries.get(b)) {
                Some(b) => cur = b,
                None => return Some(cur),
            }
        }
        None
    }
}

const SHORTCUTS: [&str; 2] = ["get_object_or_404", "get_list_or_404"];
/// Words without which no query of a module can be resolved to a model.
const QUERY_WORDS: [&str; 2] = ["objects", "_or_404"];

pub(crate) fn extract(m: &PyModule) -> OrmFile {
    let mut out = OrmFile::default();
    let Some(root) = m.root() else { return out };
    let mut cursor = root.walk();
    for stmt in root.named_children(&mut cursor) {
        let def = if stmt.kind() == "decorated_definition" { stmt.child_by_field_name("definition") } else { Some(stmt) };
        if let Some(def) = def.filter(|d| d.kind() == "class_definition")
            && let Some(c) = class_def(m, def)
        {
            out.classes.push(c);
        }
    }
    // Queries: every maximal chain, in document order. One walk that keeps the ancestors:
    // tree-sitter's `parent()` searches down from the root, too slow to ask at every node.
    let mut assigned: HashMap<(usize, String), Vec<(usize, usize)>> = HashMap::new();
    let mut loops: Vec<(Node<'_>, Node<'_>, Node<'_>, Vec<Node<'_>>, usize)> = Vec::new();
    let mut scopes: Vec<usize> = Vec::new();
    // A query is only ever resolved from a manager (`.objects`) or a shortcut, and a
    // variable only refines a query of its own function: a function (a module) naming
    // neither has no query worth the walk.
    let text = m.text();
    let mut words: Vec<usize> = QUERY_WORDS.iter().flat_map(|w| text.match_indices(w).map(|(i, _)| i)).collect();
    if words.is_empty() {
        return out;
    }
    words.sort_unstable();
    let names_a_word = |n: Node<'_>| {
        let first = words.partition_point(|&i| i < n.start_byte());
        words.get(first).is_some_and(|&i| i < n.end_byte())
    };
    let k = &*KINDS;
    walk(root, |n, field, up| {
        let parent = up.last().copied();
        let kind = n.kind_id();
        if kind == k.function_definition || kind == k.lambda {
            return names_a_word(n);
        }
        if kind == k.call || kind == k.subscript || kind == k.attribute {
            if is_maximal(parent, field)
                && let Some(q) = chain(m, n)
            {
                let idx = out.queries.len();
                if let Some(parent) = parent
                    && parent.kind() == "assignment"
                    && parent.child_by_field_name("right") == Some(n)
                    && let Some(left) = parent.child_by_field_name("left")
                    && left.kind() == "identifier"
                {
                    assigned.entry((scope_in(up), m.node_text(left).to_owned())).or_default().push((parent.end_byte(), idx));
                }
                out.queries.push(q);
                scopes.push(scope_in(up));
            }
        } else if kind == k.for_statement {
            if let (Some(l), Some(r), Some(b)) = (n.child_by_field_name("left"), n.child_by_field_name("right"), n.child_by_field_name("body")) {
                loops.push((n, l, r, vec![b], scope_in(up)));
            }
        } else if kind == k.for_in_clause
            && let (Some(l), Some(r), Some(comp)) = (n.child_by_field_name("left"), n.child_by_field_name("right"), parent)
        {
            let mut c = comp.walk();
            let body: Vec<Node<'_>> = comp.named_children(&mut c).filter(|x| x.id() != n.id()).collect();
            loops.push((n, l, r, body, scope_in(up)));
        }
        true
    });
    // A name root refers to the latest assignment of that name before it, in its scope.
    let bound = |name: &str, scope: usize, before: usize| -> Option<usize> {
        assigned.get(&(scope, name.to_owned()))?.iter().rev().find(|(end, _)| *end <= before).map(|(_, i)| *i)
    };
    let mut bases = Vec::new();
    for (q, scope) in out.queries.iter().zip(&scopes) {
        let base = match &q.root {
            Root::Name(name) => bound(name, *scope, q.range.start()),
            Root::Manager { .. } => None,
        };
        bases.push(base);
    }
    for (i, base) in bases.into_iter().enumerate() {
        if let Some(bq) = base.and_then(|b| out.queries.get_mut(b)) {
            bq.refined_later = true;
        }
        if let Some(q) = out.queries.get_mut(i) {
            q.base = base;
        }
    }
    // A query whose chain continues only in a loop is not "refined": iterating runs it.
    for (header, left, right, body, scope) in loops {
        if left.kind() != "identifier" {
            continue;
        }
        let var = m.node_text(left).to_owned();
        let query = match right.kind() {
            "identifier" => bound(m.node_text(right), scope, right.start_byte()),
            _ => out.queries.iter().position(|q| q.range == node_range(right) && !q.shortcut),
        };
        let Some(query) = query else { continue };
        let mut reads = Vec::new();
        for b in body {
            collect_reads(m, b, &var, &mut reads);
        }
        let range = TextRange::new(header.start_byte(), right.end_byte());
        out.loops.push(RowLoop { range, query, var, reads });
    }
    out
}

/// The node kinds the extraction walk tests at every node, as ids: comparing numbers,
/// not names, is most of the walk's speed.
struct Kinds {
    call: u16,
    subscript: u16,
    attribute: u16,
    for_statement: u16,
    for_in_clause: u16,
    function_definition: u16,
    lambda: u16,
}

static KINDS: std::sync::LazyLock<Kinds> = std::sync::LazyLock::new(|| {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    let id = |kind: &str| language.id_for_node_kind(kind, true);
    Kinds {
        call: id("call"),
        subscript: id("subscript"),
        attribute: id("attribute"),
        for_statement: id("for_statement"),
        for_in_clause: id("for_in_clause"),
        function_definition: id("function_definition"),
        lambda: id("lambda"),
    }
});

/// Not the object of an attribute, the value of a subscript or the callee of a call (the
/// node's `field` in its `parent`): the whole chain ends here.
fn is_maximal(parent: Option<Node<'_>>, field: Option<&str>) -> bool {
    let Some(p) = parent else { return true };
    let k = &*KINDS;
    let kind = p.kind_id();
    !((kind == k.attribute && field == Some("object")) || (kind == k.subscript && field == Some("value")) || (kind == k.call && field == Some("function")))
}

/// The start of the innermost enclosing function among `ancestors` (0 at module level):
/// the scope of a variable.
fn scope_in(ancestors: &[Node<'_>]) -> usize {
    ancestors.iter().rev().find(|p| matches!(p.kind(), "function_definition" | "lambda")).map_or(0, |p| p.start_byte() + 1)
}

/// Every node below `top` (and `top`), in document order, with its field name in its
/// parent and its ancestors from `top` down; `f` returns whether to descend.
fn walk<'t>(top: Node<'t>, mut f: impl FnMut(Node<'t>, Option<&'t str>, &[Node<'t>]) -> bool) {
    let mut cursor = top.walk();
    let mut up: Vec<Node<'t>> = Vec::new();
    'walk: loop {
        let n = cursor.node();
        let field = if up.is_empty() { None } else { cursor.field_name() };
        if f(n, field, &up) && cursor.goto_first_child() {
            up.push(n);
            continue;
        }
        loop {
            if up.is_empty() {
                break 'walk;
            }
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
            up.pop();
        }
    }
}

/// Whether the chain ending at `node` can be a query, read without allocating: it starts at
/// `<name>.objects`, at a shortcut call, or at a name with a queryset method after it.
/// Most calls of a module are none of these.
fn may_be_chain(m: &PyModule, node: Node<'_>) -> bool {
    let mut cur = node;
    let mut queryset_method = false;
    let mut calls = 0;
    for _ in 0..64 {
        match cur.kind() {
            "call" => {
                let Some(func) = cur.child_by_field_name("function") else { return false };
                if func.kind() != "attribute" {
                    return calls == 0;
                }
                calls += 1;
                queryset_method |= func.child_by_field_name("attribute").is_some_and(|a| is_queryset_method(m.node_text(a)));
                let Some(object) = func.child_by_field_name("object") else { return false };
                cur = object;
            }
            "subscript" => match cur.child_by_field_name("value") {
                Some(v) => cur = v,
                None => return false,
            },
            "parenthesized_expression" => match cur.named_child(0) {
                Some(v) => cur = v,
                None => return false,
            },
            "attribute" => return calls > 0 && cur.child_by_field_name("attribute").is_some_and(|a| m.node_text(a) == "objects"),
            "identifier" => return queryset_method,
            _ => return false,
        }
    }
    false
}

fn chain(m: &PyModule, node: Node<'_>) -> Option<Query> {
    if !may_be_chain(m, node) {
        return None;
    }
    let mut calls = Vec::new();
    let mut cur = node;
    for _ in 0..64 {
        match cur.kind() {
            "call" => {
                let func = cur.child_by_field_name("function")?;
                if func.kind() == "attribute" {
                    let name = func.child_by_field_name("attribute")?;
                    calls.push(qcall(m, m.node_text(name), cur, name.start_byte()));
                    cur = func.child_by_field_name("object")?;
                    continue;
                }
                let callee = dotted_name(m, func)?;
                let last = callee.rsplit('.').next().unwrap_or("");
                if !calls.is_empty() || !SHORTCUTS.contains(&last) {
                    return None;
                }
                return shortcut(m, cur);
            }
            "subscript" => cur = cur.child_by_field_name("value")?,
            "parenthesized_expression" => cur = cur.named_child(0)?,
            "attribute" => {
                let attr = cur.child_by_field_name("attribute")?;
                if m.node_text(attr) != "objects" || calls.is_empty() {
                    return None;
                }
                let model = dotted_name(m, cur.child_by_field_name("object")?)?;
                calls.reverse();
                return Some(Query { root: Root::Manager { model, manager_end: cur.end_byte() }, calls, range: node_range(node), shortcut: false, base: None, refined_later: false });
            }
            "identifier" => {
                if calls.is_empty() || !calls.iter().any(|c| is_queryset_method(&c.method)) {
                    return None;
                }
                calls.reverse();
                return Some(Query { root: Root::Name(m.node_text(cur).to_owned()), calls, range: node_range(node), shortcut: false, base: None, refined_later: false });
            }
            _ => return None,
        }
    }
    None
}

/// Methods that only a queryset (or manager) has: a chain from a variable is a query
/// only when one of them appears (`data.append(...)` is not).
fn is_queryset_method(m: &str) -> bool {
    matches!(
        m,
        "filter" | "exclude" | "get" | "order_by" | "select_related" | "prefetch_related" | "annotate" | "values" | "values_list" | "only" | "defer" | "distinct" | "all" | "first" | "last" | "exists" | "count" | "get_or_create" | "update_or_create" | "aggregate" | "iterator"
    )
}

/// `get_object_or_404(Model_or_chain, **lookups)` as a chain ending in a `get` call.
fn shortcut(m: &PyModule, call: Node<'_>) -> Option<Query> {
    let args = call.child_by_field_name("arguments")?;
    let mut c = args.walk();
    let first = args.named_children(&mut c).find(|a| a.kind() != "comment")?;
    let mut get = qcall(m, "get", call, call.start_byte());
    get.other_args = false;
    get.strings.clear();
    let (root, mut calls) = match first.kind() {
        "identifier" | "attribute" if dotted_name(m, first).is_some() => (Root::Name(dotted_name(m, first)?), Vec::new()),
        _ => {
            let inner = chain(m, first)?;
            (inner.root, inner.calls)
        }
    };
    calls.push(get);
    Some(Query { root, calls, range: node_range(call), shortcut: true, base: None, refined_later: false })
}

fn qcall(m: &PyModule, method: &str, call: Node<'_>, start: usize) -> QCall {
    let mut q = QCall { method: method.to_owned(), lookups: Vec::new(), strings: Vec::new(), other_args: false, splat: false, range: TextRange::new(start, call.end_byte()) };
    let Some(args) = call.child_by_field_name("arguments") else { return q };
    let mut c = args.walk();
    for a in args.named_children(&mut c) {
        match a.kind() {
            "keyword_argument" => {
                if let Some(k) = a.child_by_field_name("name").map(|k| m.node_text(k))
                    && k != "defaults"
                    && k != "create_defaults"
                {
                    q.lookups.push(k.to_owned());
                }
            }
            "dictionary_splat" | "list_splat" => q.splat = true,
            "comment" => {}
            _ => match string_literal(m, a) {
                Some(s) => q.strings.push(s),
                None => q.other_args = true,
            },
        }
    }
    q
}

fn collect_reads(m: &PyModule, body: Node<'_>, var: &str, out: &mut Vec<(Vec<String>, TextRange)>) {
    walk(body, |n, field, up| {
        if n.kind() == "attribute" {
            let outer = up.last().is_some_and(|p| p.kind() == "attribute" && field == Some("object"));
            if !outer && let Some(path) = attr_path(m, n, var) {
                out.push((path, node_range(n)));
            }
        }
        !matches!(n.kind(), "function_definition" | "lambda" | "class_definition")
    });
}

/// `var.a.b` → `["a", "b"]` (a call in the middle ends the path).
fn attr_path(m: &PyModule, n: Node<'_>, var: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut cur = n;
    for _ in 0..32 {
        match cur.kind() {
            "attribute" => {
                parts.push(m.node_text(cur.child_by_field_name("attribute")?).to_owned());
                cur = cur.child_by_field_name("object")?;
            }
            "identifier" if m.node_text(cur) == var => {
                parts.reverse();
                return Some(parts);
            }
            "call" => {
                // `var.items.all().first`: keep the part before the call.
                parts.clear();
                cur = cur.child_by_field_name("function")?;
            }
            _ => return None,
        }
    }
    None
}

fn class_def(m: &PyModule, def: Node<'_>) -> Option<ClassDef> {
    let name = def.child_by_field_name("name")?;
    let mut bases = Vec::new();
    if let Some(sc) = def.child_by_field_name("superclasses") {
        let mut c = sc.walk();
        for b in sc.named_children(&mut c) {
            if let Some(d) = dotted_name(m, b) {
                bases.push(d);
            }
        }
    }
    let body = def.child_by_field_name("body")?;
    let (body_indent, body_end) = block_layout(m, body);
    let mut fields = Vec::new();
    let mut meta = None;
    let mut c = body.walk();
    for stmt in body.named_children(&mut c) {
        match stmt.kind() {
            "expression_statement" => {
                if let Some(a) = stmt.named_child(0).filter(|a| a.kind() == "assignment")
                    && let Some(f) = field_def(m, a, stmt)
                {
                    fields.push(f);
                }
            }
            "class_definition" if stmt.child_by_field_name("name").is_some_and(|n| m.node_text(n) == "Meta") => meta = meta_def(m, stmt),
            _ => {}
        }
    }
    Some(ClassDef { name: m.node_text(name).to_owned(), name_range: node_range(name), bases, fields, meta, body_indent, body_end })
}

/// The indentation of a block's statements and the end of its last one.
fn block_layout(m: &PyModule, block: Node<'_>) -> (String, usize) {
    let start = block.start_byte();
    let line_start = m.text().get(..start).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let indent: String = m.text().get(line_start..start).unwrap_or("").chars().take_while(|c| c.is_whitespace()).collect();
    let mut c = block.walk();
    let end = block.named_children(&mut c).filter(|n| n.kind() != "comment").last().map_or(block.end_byte(), |n| n.end_byte());
    (indent, end)
}

fn field_def(m: &PyModule, assign: Node<'_>, stmt: Node<'_>) -> Option<FieldDef> {
    let left = assign.child_by_field_name("left").filter(|l| l.kind() == "identifier")?;
    let right = assign.child_by_field_name("right").filter(|r| r.kind() == "call")?;
    let callee = dotted_name(m, right.child_by_field_name("function")?)?;
    let class = callee.rsplit('.').next().unwrap_or("").to_owned();
    if !(class.ends_with("Field") || class.ends_with("ForeignKey") || class == "ParentalKey") {
        return None;
    }
    let mut field = FieldDef { name: m.node_text(left).to_owned(), class, range: node_range(stmt), unique: false, db_index: None, primary_key: false, target: None, related_name: None };
    let args = right.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    let mut first = true;
    for arg in args.named_children(&mut cursor) {
        if arg.kind() == "comment" {
            continue;
        }
        if arg.kind() == "keyword_argument" {
            let (Some(k), Some(v)) = (arg.child_by_field_name("name"), arg.child_by_field_name("value")) else { continue };
            let truth = match v.kind() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
            match m.node_text(k) {
                "unique" => field.unique = truth == Some(true),
                "primary_key" => field.primary_key = truth == Some(true),
                "db_index" => field.db_index = truth,
                "to" => field.target = rel_target(m, v),
                "related_name" => field.related_name = string_literal(m, v),
                _ => {}
            }
        } else if first {
            first = false;
            if field.is_foreign_key() || field.is_one_to_one() || field.is_many_to_many() {
                field.target = rel_target(m, arg);
            }
        }
    }
    Some(field)
}

fn rel_target(m: &PyModule, v: Node<'_>) -> Option<RelTarget> {
    string_literal(m, v).map(RelTarget::Str).or_else(|| dotted_name(m, v).map(RelTarget::Name))
}

fn meta_def(m: &PyModule, class: Node<'_>) -> Option<MetaDef> {
    let body = class.child_by_field_name("body")?;
    let (body_indent, body_end) = block_layout(m, body);
    let mut meta = MetaDef { range: node_range(class), abstract_: false, body_indent, body_end, indexes: None, unique_together: Vec::new(), index_together: Vec::new(), unique_constraints: Vec::new() };
    let mut cursor = body.walk();
    for stmt in body.named_children(&mut cursor) {
        let Some(a) = stmt.named_child(0).filter(|a| stmt.kind() == "expression_statement" && a.kind() == "assignment") else { continue };
        let (Some(l), Some(v)) = (a.child_by_field_name("left"), a.child_by_field_name("right")) else { continue };
        match m.node_text(l) {
            "abstract" => meta.abstract_ = v.kind() == "true",
            "indexes" => {
                let literal = v.kind() == "list";
                let items = if literal { elements(v).into_iter().filter_map(|e| index_def(m, e)).collect() } else { Vec::new() };
                meta.indexes = Some(IndexList { literal, range: node_range(v), items });
            }
            "unique_together" => meta.unique_together = together(m, v),
            "index_together" => meta.index_together = together(m, v),
            "constraints" => {
                for e in elements(v) {
                    if let Some(ix) = index_def(m, e).filter(|ix| ix.plain)
                        && call_name(m, e).as_deref() == Some("UniqueConstraint")
                    {
                        meta.unique_constraints.push(ix.fields);
                    }
                }
            }
            _ => {}
        }
    }
    Some(meta)
}

fn elements(v: Node<'_>) -> Vec<Node<'_>> {
    if !matches!(v.kind(), "list" | "tuple") {
        return Vec::new();
    }
    let mut c = v.walk();
    v.named_children(&mut c).filter(|n| n.kind() != "comment").collect()
}

fn call_name(m: &PyModule, call: Node<'_>) -> Option<String> {
    let f = call.child_by_field_name("function").filter(|_| call.kind() == "call")?;
    Some(dotted_name(m, f)?.rsplit('.').next()?.to_owned())
}

fn strings(m: &PyModule, v: Node<'_>) -> Option<Vec<String>> {
    elements(v).into_iter().map(|e| string_literal(m, e)).collect()
}

/// `unique_together = ("a", "b")` or `(("a", "b"), ("c", "d"))`.
fn together(m: &PyModule, v: Node<'_>) -> Vec<Vec<String>> {
    if let Some(one) = strings(m, v).filter(|s| !s.is_empty()) {
        return vec![one];
    }
    elements(v).into_iter().filter_map(|e| strings(m, e)).collect()
}

fn index_def(m: &PyModule, call: Node<'_>) -> Option<IndexDef> {
    let class = call_name(m, call)?;
    let args = call.child_by_field_name("arguments")?;
    let mut ix = IndexDef { fields: Vec::new(), name: None, plain: true, btree: class == "Index" || class == "UniqueConstraint", range: node_range(call) };
    let mut cursor = args.walk();
    let mut has_fields = false;
    for a in args.named_children(&mut cursor) {
        if a.kind() == "comment" {
            continue;
        }
        let Some((k, v)) = a.child_by_field_name("name").zip(a.child_by_field_name("value")).filter(|_| a.kind() == "keyword_argument") else {
            // A positional argument is an expression index.
            ix.plain = false;
            continue;
        };
        match m.node_text(k) {
            "fields" => match strings(m, v) {
                Some(f) => {
                    has_fields = true;
                    ix.plain &= f.iter().all(|x| !x.starts_with('-'));
                    ix.fields = f;
                }
                None => ix.plain = false,
            },
            "name" => ix.name = string_literal(m, v),
            "condition" | "opclasses" | "include" | "expressions" | "nulls_distinct" | "deferrable" => ix.plain = false,
            _ => {}
        }
    }
    ix.plain &= has_fields;
    Some(ix)
}
