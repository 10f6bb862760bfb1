//! Django models and querysets, read from one module's syntax only (no other file), so the
//! result can be cached with the module and rebuilt when that file alone changes.
//!
//! - [`ClassDef`]: every class with its bases, the fields its body assigns
//!   (`x = models.CharField(...)`), its `class Meta` (`abstract`, `indexes`,
//!   `unique_together`, `index_together`, `UniqueConstraint`s) and where edits go.
//! - [`Query`]: every queryset chain (`X.objects.filter(...).order_by(...)`, through any
//!   other manager `X.published.filter(...)`, a variable refined later
//!   `qs = qs.filter(...)`, `get_object_or_404(X or chain, **lookups)`, a view's
//!   `super().get_queryset().filter(...)` / `self.queryset` / `self.get_queryset()` refining
//!   the class's `queryset = ...`), with the class and function it is written in.
//! - [`ClassAttr`]: every `name = value` of a class body (DRF views' `lookup_field`,
//!   `serializer_class`, `filterset_fields`; admin's `list_display`, `list_filter`;
//!   serializers' declared fields and `Meta`), the models of `@admin.register(...)`, and
//!   `admin.site.register(Model, Admin)` calls ([`OrmFile::registrations`]).
//! - [`RowLoop`]: loops and comprehensions over a query, with the attribute paths read on
//!   the loop variable (`message.author.username` → `["author", "username"]`).

use std::collections::HashMap;

use stacklint_text::TextRange;
use tree_sitter::Node;

use crate::grammar::{Field, Fields, KINDS};
use crate::module::{PyModule, dotted_name, node_range, string_literal};

/// What [`PyModule::orm`] finds in a module.
#[derive(Clone, Debug, Default)]
pub struct OrmFile {
    pub classes: Vec<ClassDef>,
    pub queries: Vec<Query>,
    pub loops: Vec<RowLoop>,
    /// `admin.site.register(Model, ModelAdmin)` at module level: the models (dotted) and
    /// the admin class's name.
    pub registrations: Vec<(Vec<String>, Option<String>)>,
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
    /// Every `name = value` of the body (fields too): DRF views' `lookup_field`,
    /// `serializer_class`, admin's `list_display`, managers (`objects = RoomManager()`).
    pub attrs: Vec<ClassAttr>,
    /// The models of `@admin.register(Model, ...)` decorators.
    pub registers: Vec<String>,
    /// Methods with the attribute paths read on their first parameter after `self`
    /// (`def get_author(self, obj): return obj.author.name`): only for classes with a
    /// `list_display` or a `Meta.model` (admin, serializers).
    pub methods: Vec<MethodReads>,
    /// Names of every method defined in the body.
    pub method_names: Vec<String>,
    /// Bases that are calls, with their callee and positional dotted-name arguments:
    /// `class PostManager(models.Manager.from_queryset(PostQuerySet))` →
    /// `("models.Manager.from_queryset", ["PostQuerySet"])`.
    pub call_bases: Vec<(String, Vec<String>)>,
    /// Methods (not decorated) whose body is one `return` of a queryset chain (a docstring
    /// aside): a manager's `get_queryset`, a custom QuerySet's `published`.
    pub chains: Vec<MethodChain>,
}

/// `def name(self, ...): return <root>.<calls>` in a class body.
#[derive(Clone, Debug)]
pub struct MethodChain {
    pub name: String,
    pub root: ChainRoot,
    /// In execution order; empty for `return super().get_queryset()`.
    pub calls: Vec<QCall>,
}

/// What a [`MethodChain`] starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainRoot {
    /// `super().get_queryset()` (also `super(Cls, self)`).
    Super,
    /// `self.get_queryset()`: in a manager's method, its queryset.
    SelfQueryset,
    /// `self`: in a QuerySet's method, the queryset; in a manager's, its `get_queryset()`.
    SelfValue,
}

/// A `name = value` statement of a class body.
#[derive(Clone, Debug)]
pub struct ClassAttr {
    pub name: String,
    pub value: AttrValue,
    /// The value expression.
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue {
    Str(String),
    /// A list or tuple of string literals (or a dict's string keys), each with its range.
    Strings(Vec<(String, TextRange)>),
    Bool(bool),
    Int(i64),
    /// A dotted name (`PostSerializer`, `models.Post`).
    Name(String),
    /// A call: its callee (`AuthorSerializer`, `serializers.CharField`,
    /// `PostQuerySet.as_manager`; `BaseManager.from_queryset()` for a called call), its
    /// positional arguments that are dotted names (of the inner call for a called call:
    /// `BaseManager.from_queryset(PostQuerySet)()` → `["PostQuerySet"]`),
    /// `source="a.b"`, `many=True`, `write_only=True`.
    Call { callee: String, args: Vec<String>, source: Option<String>, many: bool, write_only: bool },
    /// A list or tuple with items other than string literals (`list_filter = ["status",
    /// ("author", admin.RelatedOnlyFieldListFilter), PriceFilter]`): each item as read.
    Items(Vec<AttrItem>),
    Other,
}

/// An item of [`AttrValue::Items`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrItem {
    /// A string literal, or the first item of a `("name", Class)` pair.
    pub string: Option<String>,
    /// A dotted name: the item itself, or the second of a `("name", Class)` pair.
    pub name: Option<String>,
    pub range: TextRange,
}

impl ClassDef {
    pub fn attr(&self, name: &str) -> Option<&ClassAttr> {
        self.attrs.iter().rev().find(|a| a.name == name)
    }

    /// The attributes assigned a manager: `objects = RoomManager()`,
    /// `live = PostQuerySet.as_manager()`, `x = BaseManager.from_queryset(QS)()`.
    pub fn managers(&self) -> impl Iterator<Item = &str> {
        self.attrs.iter().filter_map(|a| match &a.value {
            AttrValue::Call { callee, .. } => {
                let last = callee.rsplit('.').next().unwrap_or(callee);
                (last.ends_with("Manager") || last == "as_manager" || last == "from_queryset()").then_some(a.name.as_str())
            }
            _ => None,
        })
    }
}

/// A method's reads on its row parameter.
#[derive(Clone, Debug)]
pub struct MethodReads {
    pub name: String,
    pub param: String,
    pub reads: Vec<(Vec<String>, TextRange)>,
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
    /// `choices=`: a column of few distinct values.
    pub choices: bool,
    /// `null=True`.
    pub null: bool,
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
    /// Every `name = value` of the Meta body (a serializer's `model`, `fields`, `depth`).
    pub attrs: Vec<ClassAttr>,
}

impl MetaDef {
    pub fn attr(&self, name: &str) -> Option<&ClassAttr> {
        self.attrs.iter().rev().find(|a| a.name == name)
    }
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
    /// A positional condition that is not read: `Q(a=1) | Q(b=2)` (either side may
    /// match), a variable, any expression other than `Q(...)` joined with `&`. The
    /// lookups of `Q(...)`, `Q(...) & Q(...)` and their nesting are in `lookups`; a
    /// negation (`~Q(...)`) adds nothing.
    pub unread_condition: bool,
    /// `**kwargs`.
    pub splat: bool,
    /// From the method name to the closing parenthesis.
    pub range: TextRange,
}

/// Where a chain starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Root {
    /// `X.objects` (dotted `X`), or another manager of `X` (`X.published`,
    /// `X._default_manager`), ending at `manager_end`.
    Manager { model: String, manager: String, manager_end: usize },
    /// The queryset of the enclosing class: `super().get_queryset()`, `self.queryset`,
    /// `self.get_queryset()` (its query is the `base`).
    ClassQueryset,
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
    /// The top-level class it is written in (index in [`OrmFile::classes`]).
    pub class: Option<usize>,
    /// The innermost function it is written in.
    pub function: Option<String>,
    /// The value of a `return` statement.
    pub returned: bool,
    /// Assigned to this name in the class body (`queryset = Post.objects.all()`).
    pub class_attr: Option<String>,
}

impl Query {
    fn new(root: Root, calls: Vec<QCall>, range: TextRange, shortcut: bool) -> Query {
        Query { root, calls, range, shortcut, base: None, refined_later: false, class: None, function: None, returned: false, class_attr: None }
    }
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

    /// The query a class's views run: the single query its `get_queryset` returns, else its
    /// `queryset = ...` attribute.
    pub fn class_queryset(&self, class: usize) -> Option<usize> {
        let mut returned = self.queries.iter().enumerate().filter(|(_, q)| q.class == Some(class) && q.returned && q.function.as_deref() == Some("get_queryset"));
        if let Some((i, _)) = returned.next() {
            return returned.next().is_none().then_some(i);
        }
        if self.classes.get(class).is_some_and(|c| c.method_names.iter().any(|m| m == "get_queryset")) {
            return None;
        }
        self.queries.iter().position(|q| q.class == Some(class) && q.class_attr.as_deref() == Some("queryset"))
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
const QUERY_WORDS: [&str; 4] = ["objects", "_or_404", "queryset", "_manager"];
/// Queryset methods called on another manager (`Post.published.filter(`): with
/// [`QUERY_WORDS`], the text that can start a query.
const MANAGER_CALLS: [&str; 8] = ["filter", "exclude", "get", "order_by", "all", "select_related", "prefetch_related", "annotate"];

/// Where a query can be, as offsets into a module's text, sorted.
struct Marks {
    /// The words without which no query resolves to a model: [`QUERY_WORDS`] and the starts
    /// of `Capitalized.manager.method(` (a query through a custom manager).
    words: Vec<usize>,
    /// `words`, plus every queryset method after a dot (`qs.filter`: a variable refined)
    /// and every `for` (a loop over a query): a subtree holding none of them holds no
    /// query, no refinement and no loop, and the walk skips it.
    any: Vec<usize>,
}

impl Marks {
    fn of(text: &str) -> Marks {
        let bytes = text.as_bytes();
        let mut words: Vec<usize> = QUERY_WORDS.iter().flat_map(|w| memchr::memmem::find_iter(bytes, w)).collect();
        let mut any: Vec<usize> = memchr::memmem::find_iter(bytes, "for").collect();
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        // The identifier ending right before `end`: its start.
        let back = |end: usize| {
            let mut i = end;
            while i > 0 && bytes.get(i - 1).copied().is_some_and(ident) {
                i -= 1;
            }
            i
        };
        for dot in memchr::memchr_iter(b'.', bytes) {
            // `qs . filter` and `qs.\<newline>filter` are Python too.
            let mut name_start = dot + 1;
            while bytes.get(name_start).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\\')) {
                name_start += 1;
            }
            let mut name_end = name_start;
            while bytes.get(name_end).copied().is_some_and(ident) {
                name_end += 1;
            }
            let Some(name) = text.get(name_start..name_end) else { continue };
            if !is_queryset_method(name) {
                continue;
            }
            any.push(dot);
            if bytes.get(name_end) != Some(&b'(') || !MANAGER_CALLS.contains(&name) || name_start != dot + 1 {
                continue;
            }
            // Back over the manager's name, a dot, then the model's name.
            let manager = back(dot);
            if manager == dot || manager == 0 || bytes.get(manager - 1) != Some(&b'.') {
                continue;
            }
            let model = back(manager - 1);
            if model < manager - 1 && bytes.get(model).is_some_and(u8::is_ascii_uppercase) {
                words.push(model);
            }
        }
        words.sort_unstable();
        any.extend_from_slice(&words);
        any.sort_unstable();
        Marks { words, any }
    }

    /// Whether one of `offsets` lies inside `n`.
    fn inside(offsets: &[usize], n: Node<'_>) -> bool {
        let first = offsets.partition_point(|&i| i < n.start_byte());
        offsets.get(first).is_some_and(|&i| i < n.end_byte())
    }
}

pub(crate) fn extract(m: &PyModule) -> OrmFile {
    let mut out = OrmFile::default();
    let Some(root) = m.root() else { return out };
    let mut cursor = root.walk();
    for stmt in root.named_children(&mut cursor) {
        let def = if stmt.kind() == "decorated_definition" { stmt.field(Field::Definition) } else { Some(stmt) };
        if let Some(def) = def.filter(|d| d.kind() == "class_definition")
            && let Some(mut c) = class_def(m, def)
        {
            if stmt.kind() == "decorated_definition" {
                c.registers = admin_decorators(m, stmt);
            }
            out.classes.push(c);
        } else if stmt.kind() == "expression_statement"
            && let Some(r) = stmt.named_child(0).and_then(|call| site_register(m, call))
        {
            out.registrations.push(r);
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
    let marks = Marks::of(m.text());
    if marks.words.is_empty() {
        return out;
    }
    let k = &*KINDS;
    walk(root, |n, field, up| {
        if !Marks::inside(&marks.any, n) {
            return false;
        }
        let parent = up.last().copied();
        let kind = n.kind_id();
        if kind == k.function_definition || kind == k.lambda {
            return Marks::inside(&marks.words, n);
        }
        if kind == k.call || kind == k.subscript || kind == k.attribute {
            if is_maximal(parent, field)
                && let Some(q) = chain(m, n)
            {
                let mut q = q;
                let idx = out.queries.len();
                if let Some(parent) = parent
                    && parent.kind() == "assignment"
                    && parent.field(Field::Right) == Some(n)
                    && let Some(left) = parent.field(Field::Left)
                    && left.kind() == "identifier"
                {
                    assigned.entry((scope_in(up), m.node_text(left).to_owned())).or_default().push((parent.end_byte(), idx));
                    // `queryset = ...` directly in a class body.
                    let n = up.len();
                    if n >= 4 && up.get(n - 4).is_some_and(|c| c.kind_id() == k.class_definition) {
                        q.class_attr = Some(m.node_text(left).to_owned());
                    }
                }
                q.returned = parent.is_some_and(|p| p.kind_id() == k.return_statement);
                q.function = up.iter().rev().find(|p| p.kind_id() == k.function_definition).and_then(|f| f.field(Field::Name)).map(|f| m.node_text(f).to_owned());
                q.class = up.iter().find(|p| p.kind_id() == k.class_definition).and_then(|c| c.field(Field::Name)).and_then(|name| out.classes.iter().position(|c| c.name_range.start() == name.start_byte()));
                out.queries.push(q);
                scopes.push(scope_in(up));
            }
        } else if kind == k.for_statement {
            if let (Some(l), Some(r), Some(b)) = (n.field(Field::Left), n.field(Field::Right), n.field(Field::Body)) {
                loops.push((n, l, r, vec![b], scope_in(up)));
            }
        } else if kind == k.for_in_clause
            && let (Some(l), Some(r), Some(comp)) = (n.field(Field::Left), n.field(Field::Right), parent)
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
    for (i, (q, scope)) in out.queries.iter().zip(&scopes).enumerate() {
        let base = match &q.root {
            Root::Name(name) => bound(name, *scope, q.range.start()),
            Root::Manager { .. } => None,
            // `super().get_queryset()` / `self.queryset`: the class attribute; in another
            // method, `self.get_queryset()` is what `get_queryset` returns.
            Root::ClassQueryset => q.class.and_then(|c| {
                let own = q.function.as_deref() == Some("get_queryset");
                let attr = out.queries.iter().position(|o| o.class == Some(c) && o.class_attr.as_deref() == Some("queryset"));
                if own { attr } else { out.class_queryset(c) }
            }),
        };
        bases.push(base.filter(|b| *b != i));
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

/// Not the object of an attribute, the value of a subscript or the callee of a call (the
/// node's `field` in its `parent`): the whole chain ends here.
fn is_maximal(parent: Option<Node<'_>>, field: Option<Field>) -> bool {
    let Some(p) = parent else { return true };
    let k = &*KINDS;
    let kind = p.kind_id();
    !((kind == k.attribute && field == Some(Field::Object)) || (kind == k.subscript && field == Some(Field::Value)) || (kind == k.call && field == Some(Field::Function)))
}

/// The start of the innermost enclosing function among `ancestors` (0 at module level):
/// the scope of a variable.
fn scope_in(ancestors: &[Node<'_>]) -> usize {
    ancestors.iter().rev().find(|p| matches!(p.kind(), "function_definition" | "lambda")).map_or(0, |p| p.start_byte() + 1)
}

/// Every node below `top` (and `top`), in document order, with its field in its parent
/// (only the fields the walks test: [`Field::Object`], [`Field::Value`],
/// [`Field::Function`]) and its ancestors from `top` down; `f` returns whether to descend.
fn walk<'t>(top: Node<'t>, mut f: impl FnMut(Node<'t>, Option<Field>, &[Node<'t>]) -> bool) {
    let mut cursor = top.walk();
    let mut up: Vec<Node<'t>> = Vec::new();
    let (object, value, function) = (Field::Object.id(), Field::Value.id(), Field::Function.id());
    'walk: loop {
        let n = cursor.node();
        let field = match cursor.field_id().filter(|_| !up.is_empty()).map(std::num::NonZeroU16::get) {
            Some(id) if id == object => Some(Field::Object),
            Some(id) if id == value => Some(Field::Value),
            Some(id) if id == function => Some(Field::Function),
            _ => None,
        };
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
                let Some(func) = cur.field(Field::Function) else { return false };
                if func.kind() != "attribute" {
                    return calls == 0;
                }
                let Some(attr) = func.field(Field::Attribute) else { return false };
                let name = m.node_text(attr);
                if name == "get_queryset" && is_class_queryset_call(m, func) {
                    return true;
                }
                calls += 1;
                queryset_method |= is_queryset_method(name);
                let Some(object) = func.field(Field::Object) else { return false };
                cur = object;
            }
            "subscript" => match cur.field(Field::Value) {
                Some(v) => cur = v,
                None => return false,
            },
            "parenthesized_expression" => match cur.named_child(0) {
                Some(v) => cur = v,
                None => return false,
            },
            "attribute" => return calls > 0 && may_be_manager(m, cur),
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
                let func = cur.field(Field::Function)?;
                if is_class_queryset_call(m, func) {
                    calls.reverse();
                    return Some(Query::new(Root::ClassQueryset, calls, node_range(node), false));
                }
                if func.kind() == "attribute" {
                    let name = func.field(Field::Attribute)?;
                    calls.push(qcall(m, m.node_text(name), cur, name.start_byte()));
                    cur = func.field(Field::Object)?;
                    continue;
                }
                let callee = dotted_name(m, func)?;
                let last = callee.rsplit('.').next().unwrap_or("");
                if !calls.is_empty() || !SHORTCUTS.contains(&last) {
                    return None;
                }
                return shortcut(m, cur);
            }
            "subscript" => cur = cur.field(Field::Value)?,
            "parenthesized_expression" => cur = cur.named_child(0)?,
            "attribute" => {
                if calls.is_empty() {
                    return None;
                }
                let root = manager_root(m, cur)?;
                calls.reverse();
                // A custom manager's first call must be a queryset method (`X.cache.get(...)`
                // on a non-manager attribute is then still a query only of a model whose
                // manager it is: resolution checks that).
                if matches!(&root, Root::Manager { manager, .. } if manager != "objects") && !calls.first().is_some_and(|c| is_queryset_method(&c.method)) {
                    return None;
                }
                return Some(Query::new(root, calls, node_range(node), false));
            }
            "identifier" => {
                if calls.is_empty() || !calls.iter().any(|c| is_queryset_method(&c.method)) {
                    return None;
                }
                calls.reverse();
                return Some(Query::new(Root::Name(m.node_text(cur).to_owned()), calls, node_range(node), false));
            }
            _ => return None,
        }
    }
    None
}

/// `super().get_queryset` / `self.get_queryset` (the callee of the call).
fn is_class_queryset_call(m: &PyModule, func: Node<'_>) -> bool {
    if func.kind() != "attribute" || func.field(Field::Attribute).is_none_or(|a| m.node_text(a) != "get_queryset") {
        return false;
    }
    let Some(object) = func.field(Field::Object) else { return false };
    match object.kind() {
        "identifier" => m.node_text(object) == "self",
        "call" => object.field(Field::Function).is_some_and(|f| f.kind() == "identifier" && m.node_text(f) == "super"),
        _ => false,
    }
}

/// [`manager_root`] without allocating.
fn may_be_manager(m: &PyModule, attr: Node<'_>) -> bool {
    let (Some(name), Some(object)) = (attr.field(Field::Attribute), attr.field(Field::Object)) else { return false };
    let name = m.node_text(name);
    if name == "objects" {
        return true;
    }
    let last = match object.kind() {
        "identifier" => object,
        "attribute" => match object.field(Field::Attribute) {
            Some(a) => a,
            None => return false,
        },
        _ => return false,
    };
    let last = m.node_text(last);
    (name == "queryset" && last == "self") || last.starts_with(|c: char| c.is_ascii_uppercase())
}

/// The root of a chain at the attribute `X.objects`, `X.<manager>` (X a capitalized
/// dotted name) or `self.queryset`.
fn manager_root(m: &PyModule, attr: Node<'_>) -> Option<Root> {
    let name = m.node_text(attr.field(Field::Attribute)?);
    let object = attr.field(Field::Object)?;
    if name == "queryset" && object.kind() == "identifier" && m.node_text(object) == "self" {
        return Some(Root::ClassQueryset);
    }
    let model = dotted_name(m, object)?;
    let last = model.rsplit('.').next().unwrap_or(&model);
    if name != "objects" && !last.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    Some(Root::Manager { model, manager: name.to_owned(), manager_end: attr.end_byte() })
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
    let args = call.field(Field::Arguments)?;
    let mut c = args.walk();
    let first = args.named_children(&mut c).find(|a| a.kind() != "comment")?;
    // The first argument is the model or queryset; the conditions follow it.
    let mut get = qcall_after(m, "get", call, call.start_byte(), 1);
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
    Some(Query::new(root, calls, node_range(call), true))
}

fn qcall(m: &PyModule, method: &str, call: Node<'_>, start: usize) -> QCall {
    qcall_after(m, method, call, start, 0)
}

/// [`qcall`] reading the positional arguments after the first `skip`.
fn qcall_after(m: &PyModule, method: &str, call: Node<'_>, start: usize, skip: usize) -> QCall {
    let mut positional = 0;
    let mut q = QCall { method: method.to_owned(), lookups: Vec::new(), strings: Vec::new(), other_args: false, unread_condition: false, splat: false, range: TextRange::new(start, call.end_byte()) };
    let Some(args) = call.field(Field::Arguments) else { return q };
    let mut c = args.walk();
    for a in args.named_children(&mut c) {
        match a.kind() {
            "keyword_argument" => {
                if let Some(k) = a.field(Field::Name).map(|k| m.node_text(k))
                    && k != "defaults"
                    && k != "create_defaults"
                {
                    q.lookups.push(k.to_owned());
                }
            }
            "dictionary_splat" | "list_splat" => q.splat = true,
            "comment" => {}
            _ if positional < skip => positional += 1,
            _ => {
                if let Some(s) = string_literal(m, a) {
                    q.strings.push(s);
                } else {
                    q.other_args = true;
                    q.unread_condition |= !q_lookups(m, a, 0, &mut q.lookups);
                }
            }
        }
    }
    q
}

/// The lookups a positional condition ANDs into its call (`Q(a=1)`, `Q(a=1) & Q(b=2)`,
/// `Q(Q(a=1), b=2)`), pushed to `out`; `false` when the condition is not read (see
/// [`QCall::unread_condition`]). A negation adds nothing: a btree does not find the rows
/// a condition excludes.
fn q_lookups(m: &PyModule, n: Node<'_>, depth: usize, out: &mut Vec<String>) -> bool {
    if depth > 16 {
        return false;
    }
    match n.kind() {
        "parenthesized_expression" => n.named_child(0).is_some_and(|inner| q_lookups(m, inner, depth + 1, out)),
        "unary_operator" => n.field(Field::Operator).is_some_and(|op| m.node_text(op) == "~"),
        "binary_operator" => {
            let (Some(l), Some(op), Some(r)) = (n.field(Field::Left), n.field(Field::Operator), n.field(Field::Right)) else { return false };
            m.node_text(op) == "&" && q_lookups(m, l, depth + 1, out) && q_lookups(m, r, depth + 1, out)
        }
        "call" => {
            let is_q = n.field(Field::Function).and_then(|f| dotted_name(m, f)).is_some_and(|d| d.rsplit('.').next() == Some("Q"));
            let Some(args) = n.field(Field::Arguments).filter(|_| is_q) else { return false };
            let mut c = args.walk();
            let mut read = true;
            for a in args.named_children(&mut c) {
                match a.kind() {
                    "keyword_argument" => {
                        if let Some(k) = a.field(Field::Name) {
                            out.push(m.node_text(k).to_owned());
                        }
                    }
                    "comment" => {}
                    _ => read &= q_lookups(m, a, depth + 1, out),
                }
            }
            read
        }
        _ => false,
    }
}

fn collect_reads(m: &PyModule, body: Node<'_>, var: &str, out: &mut Vec<(Vec<String>, TextRange)>) {
    walk(body, |n, field, up| {
        if n.kind() == "attribute" {
            let outer = up.last().is_some_and(|p| p.kind() == "attribute" && field == Some(Field::Object));
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
                parts.push(m.node_text(cur.field(Field::Attribute)?).to_owned());
                cur = cur.field(Field::Object)?;
            }
            "identifier" if m.node_text(cur) == var => {
                parts.reverse();
                return Some(parts);
            }
            "call" => {
                // `var.items.all().first`: keep the part before the call.
                parts.clear();
                cur = cur.field(Field::Function)?;
            }
            _ => return None,
        }
    }
    None
}

fn class_def(m: &PyModule, def: Node<'_>) -> Option<ClassDef> {
    let name = def.field(Field::Name)?;
    let mut bases = Vec::new();
    let mut call_bases = Vec::new();
    if let Some(sc) = def.field(Field::Superclasses) {
        let mut c = sc.walk();
        for b in sc.named_children(&mut c) {
            if let Some(d) = dotted_name(m, b) {
                bases.push(d);
            } else if b.kind() == "call"
                && let Some(callee) = b.field(Field::Function).and_then(|f| dotted_name(m, f))
            {
                call_bases.push((callee, positional_names(m, b)));
            }
        }
    }
    let body = def.field(Field::Body)?;
    let (body_indent, body_end) = block_layout(m, body);
    let mut fields = Vec::new();
    let mut meta = None;
    let mut attrs = Vec::new();
    let mut method_nodes = Vec::new();
    let mut chains = Vec::new();
    let mut c = body.walk();
    for stmt in body.named_children(&mut c) {
        match stmt.kind() {
            "expression_statement" => {
                if let Some(a) = stmt.named_child(0).filter(|a| a.kind() == "assignment") {
                    if let Some(f) = field_def(m, a, stmt) {
                        fields.push(f);
                    }
                    if let Some(at) = class_attr(m, a) {
                        attrs.push(at);
                    }
                }
            }
            "class_definition" if stmt.field(Field::Name).is_some_and(|n| m.node_text(n) == "Meta") => meta = meta_def(m, stmt),
            "function_definition" => {
                chains.extend(method_chain(m, stmt));
                method_nodes.push(stmt);
            }
            "decorated_definition" => {
                if let Some(d) = stmt.field(Field::Definition).filter(|d| d.kind() == "function_definition") {
                    method_nodes.push(d);
                }
            }
            _ => {}
        }
    }
    let method_names: Vec<String> = method_nodes.iter().filter_map(|f| f.field(Field::Name)).map(|n| m.node_text(n).to_owned()).collect();
    // Row reads of methods: admin `list_display` callables, serializer method fields.
    let rows = attrs.iter().any(|a: &ClassAttr| a.name == "list_display") || meta.as_ref().is_some_and(|mt: &MetaDef| mt.attr("model").is_some());
    let methods = if rows { method_nodes.iter().filter_map(|f| method_reads(m, *f)).collect() } else { Vec::new() };
    Some(ClassDef { name: m.node_text(name).to_owned(), name_range: node_range(name), bases, fields, meta, body_indent, body_end, attrs, registers: Vec::new(), methods, method_names, call_bases, chains })
}

/// `def name(self, ...): return <root>.<calls>`, a docstring aside: the chain of calls
/// from `super().get_queryset()`, `self.get_queryset()` or `self` (each call a method call).
fn method_chain(m: &PyModule, f: Node<'_>) -> Option<MethodChain> {
    let body = f.field(Field::Body)?;
    let mut c = body.walk();
    let mut stmts = body.named_children(&mut c).filter(|s| s.kind() != "comment");
    let mut only = stmts.next()?;
    if only.kind() == "expression_statement" && only.named_child(0).is_some_and(|x| x.kind() == "string") {
        only = stmts.next()?;
    }
    if only.kind() != "return_statement" || stmts.next().is_some() {
        return None;
    }
    let mut cur = only.named_child(0)?;
    let mut calls = Vec::new();
    for _ in 0..32 {
        match cur.kind() {
            "parenthesized_expression" => cur = cur.named_child(0)?,
            "identifier" if m.node_text(cur) == "self" => {
                calls.reverse();
                return Some(MethodChain { name: m.node_text(f.field(Field::Name)?).to_owned(), root: ChainRoot::SelfValue, calls });
            }
            "call" => {
                let func = cur.field(Field::Function).filter(|x| x.kind() == "attribute")?;
                if is_class_queryset_call(m, func) {
                    let root = if func.field(Field::Object)?.kind() == "call" { ChainRoot::Super } else { ChainRoot::SelfQueryset };
                    calls.reverse();
                    return Some(MethodChain { name: m.node_text(f.field(Field::Name)?).to_owned(), root, calls });
                }
                let name = func.field(Field::Attribute)?;
                calls.push(qcall(m, m.node_text(name), cur, name.start_byte()));
                cur = func.field(Field::Object)?;
            }
            _ => return None,
        }
    }
    None
}

/// `def name(self, obj, ...)`: the paths read on `obj`.
fn method_reads(m: &PyModule, f: Node<'_>) -> Option<MethodReads> {
    let name = m.node_text(f.field(Field::Name)?).to_owned();
    let params = f.field(Field::Parameters)?;
    let mut c = params.walk();
    let param = params
        .named_children(&mut c)
        .filter_map(|p| match p.kind() {
            "identifier" => Some(p),
            "typed_parameter" => p.named_child(0).filter(|n| n.kind() == "identifier"),
            _ => None,
        })
        .nth(1)?;
    let param = m.node_text(param).to_owned();
    let mut reads = Vec::new();
    collect_reads(m, f.field(Field::Body)?, &param, &mut reads);
    Some(MethodReads { name, param, reads })
}

/// `name = value` in a class body.
fn class_attr(m: &PyModule, a: Node<'_>) -> Option<ClassAttr> {
    let left = a.field(Field::Left).filter(|l| l.kind() == "identifier")?;
    let v = a.field(Field::Right)?;
    Some(ClassAttr { name: m.node_text(left).to_owned(), value: attr_value(m, v), range: node_range(v) })
}

fn attr_value(m: &PyModule, v: Node<'_>) -> AttrValue {
    match v.kind() {
        "string" => string_literal(m, v).map_or(AttrValue::Other, AttrValue::Str),
        "true" => AttrValue::Bool(true),
        "false" => AttrValue::Bool(false),
        "integer" => m.node_text(v).parse().map_or(AttrValue::Other, AttrValue::Int),
        "identifier" | "attribute" => dotted_name(m, v).map_or(AttrValue::Other, AttrValue::Name),
        "list" | "tuple" => {
            let elems = elements(v);
            let strings: Option<Vec<(String, TextRange)>> = elems.iter().map(|e| string_literal(m, *e).map(|s| (s, node_range(*e)))).collect();
            strings.map_or_else(|| AttrValue::Items(elems.iter().map(|e| list_item(m, *e)).collect()), AttrValue::Strings)
        }
        "dictionary" => {
            let mut c = v.walk();
            let keys: Option<Vec<(String, TextRange)>> = v
                .named_children(&mut c)
                .filter(|p| p.kind() != "comment")
                .map(|p| {
                    let k = p.field(Field::Key).filter(|_| p.kind() == "pair")?;
                    string_literal(m, k).map(|s| (s, node_range(k)))
                })
                .collect();
            keys.map_or(AttrValue::Other, AttrValue::Strings)
        }
        "call" => {
            let Some(func) = v.field(Field::Function) else { return AttrValue::Other };
            let (callee, args) = match func.kind() {
                "call" => (func.field(Field::Function).and_then(|f| dotted_name(m, f)).map(|d| format!("{d}()")), positional_names(m, func)),
                _ => (dotted_name(m, func), positional_names(m, v)),
            };
            let Some(callee) = callee else { return AttrValue::Other };
            let (mut source, mut many, mut write_only) = (None, false, false);
            if let Some(list) = v.field(Field::Arguments) {
                let mut c = list.walk();
                for arg in list.named_children(&mut c) {
                    if arg.kind() == "keyword_argument" {
                        let (Some(k), Some(val)) = (arg.field(Field::Name), arg.field(Field::Value)) else { continue };
                        match m.node_text(k) {
                            "source" => source = string_literal(m, val),
                            "many" => many = val.kind() == "true",
                            "write_only" => write_only = val.kind() == "true",
                            _ => {}
                        }
                    }
                }
            }
            AttrValue::Call { callee, args, source, many, write_only }
        }
        _ => AttrValue::Other,
    }
}

/// A string, a dotted name, or a `("name", Class)` pair.
fn list_item(m: &PyModule, e: Node<'_>) -> AttrItem {
    let range = node_range(e);
    if let Some(s) = string_literal(m, e) {
        return AttrItem { string: Some(s), name: None, range };
    }
    if let [first, second] = elements(e).as_slice() {
        return AttrItem { string: string_literal(m, *first), name: dotted_name(m, *second), range };
    }
    AttrItem { string: None, name: dotted_name(m, e), range }
}

/// The models of `@admin.register(A, B, site=...)` decorators of a decorated class.
fn admin_decorators(m: &PyModule, decorated: Node<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut c = decorated.walk();
    for d in decorated.named_children(&mut c).filter(|d| d.kind() == "decorator") {
        let Some(call) = d.named_child(0).filter(|x| x.kind() == "call") else { continue };
        let Some(callee) = call.field(Field::Function).and_then(|f| dotted_name(m, f)) else { continue };
        if callee == "register" || callee.ends_with("admin.register") {
            out.extend(positional_names(m, call));
        }
    }
    out
}

fn positional_names(m: &PyModule, call: Node<'_>) -> Vec<String> {
    let Some(args) = call.field(Field::Arguments) else { return Vec::new() };
    let mut c = args.walk();
    args.named_children(&mut c).filter(|a| a.kind() != "keyword_argument" && a.kind() != "comment").filter_map(|a| dotted_name(m, a)).collect()
}

/// `admin.site.register(Model, Admin)` / `admin.site.register([A, B], Admin)`.
fn site_register(m: &PyModule, call: Node<'_>) -> Option<(Vec<String>, Option<String>)> {
    if call.kind() != "call" {
        return None;
    }
    let callee = dotted_name(m, call.field(Field::Function)?)?;
    if !callee.ends_with("site.register") {
        return None;
    }
    let args = call.field(Field::Arguments)?;
    let mut c = args.walk();
    let mut positional = args.named_children(&mut c).filter(|a| a.kind() != "keyword_argument" && a.kind() != "comment");
    let first = positional.next()?;
    let models = match first.kind() {
        "list" | "tuple" => elements(first).into_iter().filter_map(|e| dotted_name(m, e)).collect(),
        _ => vec![dotted_name(m, first)?],
    };
    let admin = positional.next().and_then(|a| dotted_name(m, a));
    Some((models, admin))
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
    let left = assign.field(Field::Left).filter(|l| l.kind() == "identifier")?;
    let right = assign.field(Field::Right).filter(|r| r.kind() == "call")?;
    let callee = dotted_name(m, right.field(Field::Function)?)?;
    let class = callee.rsplit('.').next().unwrap_or("").to_owned();
    if !(class.ends_with("Field") || class.ends_with("ForeignKey") || class == "ParentalKey") {
        return None;
    }
    let mut field = FieldDef { name: m.node_text(left).to_owned(), class, range: node_range(stmt), unique: false, db_index: None, primary_key: false, target: None, related_name: None, choices: false, null: false };
    let args = right.field(Field::Arguments)?;
    let mut cursor = args.walk();
    let mut first = true;
    for arg in args.named_children(&mut cursor) {
        if arg.kind() == "comment" {
            continue;
        }
        if arg.kind() == "keyword_argument" {
            let (Some(k), Some(v)) = (arg.field(Field::Name), arg.field(Field::Value)) else { continue };
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
                "choices" => field.choices = true,
                "null" => field.null = truth == Some(true),
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
    let body = class.field(Field::Body)?;
    let (body_indent, body_end) = block_layout(m, body);
    let mut meta = MetaDef { range: node_range(class), abstract_: false, body_indent, body_end, indexes: None, unique_together: Vec::new(), index_together: Vec::new(), unique_constraints: Vec::new(), attrs: Vec::new() };
    let mut cursor = body.walk();
    for stmt in body.named_children(&mut cursor) {
        let Some(a) = stmt.named_child(0).filter(|a| stmt.kind() == "expression_statement" && a.kind() == "assignment") else { continue };
        if let Some(at) = class_attr(m, a) {
            meta.attrs.push(at);
        }
        let (Some(l), Some(v)) = (a.field(Field::Left), a.field(Field::Right)) else { continue };
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
    let f = call.field(Field::Function).filter(|_| call.kind() == "call")?;
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
    let args = call.field(Field::Arguments)?;
    let mut ix = IndexDef { fields: Vec::new(), name: None, plain: true, btree: class == "Index" || class == "UniqueConstraint", range: node_range(call) };
    let mut cursor = args.walk();
    let mut has_fields = false;
    for a in args.named_children(&mut cursor) {
        if a.kind() == "comment" {
            continue;
        }
        let Some((k, v)) = a.field(Field::Name).zip(a.field(Field::Value)).filter(|_| a.kind() == "keyword_argument") else {
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

#[cfg(test)]
mod tests {
    use super::{AttrValue, Root};
    use crate::parse;

    #[test]
    fn custom_manager_roots() {
        let m = parse("def f(c):\n    a = Post.published.filter(code=c)\n    b = Post._default_manager.get(pk=1)\n    d = os.environ.get('X')\n    e = Post.cache.get(c)\n    return a, b, d, e\n");
        let orm = m.orm();
        let managers: Vec<&str> = orm
            .queries
            .iter()
            .filter_map(|q| match &q.root {
                Root::Manager { manager, .. } => Some(manager.as_str()),
                _ => None,
            })
            .collect();
        // `Post.cache.get(c)` is a chain too (resolution checks `cache` is a manager); `os.environ` is not.
        assert_eq!(managers, ["published", "_default_manager", "cache"]);
    }

    #[test]
    fn managers_declared_on_a_model() {
        let m = parse("class Post(models.Model):\n    objects = models.Manager()\n    live = LiveManager()\n    drafts = PostQuerySet.as_manager()\n    mixed = BaseManager.from_queryset(QS)()\n    title = models.CharField(max_length=9)\n");
        let c = m.orm().classes.first().expect("a class");
        assert_eq!(c.managers().collect::<Vec<_>>(), ["objects", "live", "drafts", "mixed"]);
    }

    #[test]
    fn manager_and_queryset_chains() {
        use super::ChainRoot::{SelfQueryset, SelfValue, Super};
        let src = "class PostQuerySet(models.QuerySet):\n    def published(self):\n        \"\"\"Live.\"\"\"\n        return self.active().filter(status=\"p\")\n\n    def active(self):\n        return self.filter(on=True)\n\n    def many(self):\n        qs = self.filter(a=1)\n        return qs\n\n    @property\n    def x(self):\n        return self.all()\n\nclass PublishedManager(models.Manager):\n    def get_queryset(self):\n        return super().get_queryset().filter(status=\"p\").select_related(\"author\")\n\n    def recent(self):\n        return self.get_queryset().order_by(\"-at\")\n\nclass M2(models.Manager.from_queryset(PostQuerySet)):\n    pass\n\nclass Post(models.Model):\n    mixed = BaseManager.from_queryset(PostQuerySet)()\n    live = PostQuerySet.as_manager()\n";
        let m = parse(src);
        let orm = m.orm();
        let chains = |i: usize| -> Vec<(String, super::ChainRoot, Vec<String>)> { orm.classes.get(i).map(|c| c.chains.iter().map(|ch| (ch.name.clone(), ch.root, ch.calls.iter().map(|q| q.method.clone()).collect())).collect()).unwrap_or_default() };
        assert_eq!(chains(0), [("published".into(), SelfValue, vec!["active".into(), "filter".into()]), ("active".into(), SelfValue, vec!["filter".into()])]);
        assert_eq!(chains(1), [("get_queryset".into(), Super, vec!["filter".into(), "select_related".into()]), ("recent".into(), SelfQueryset, vec!["order_by".into()])]);
        assert_eq!(orm.classes.get(2).map(|c| c.call_bases.clone()), Some(vec![("models.Manager.from_queryset".to_owned(), vec!["PostQuerySet".to_owned()])]));
        let post = orm.classes.get(3).expect("Post");
        assert!(matches!(post.attr("mixed").map(|a| &a.value), Some(AttrValue::Call { callee, args, .. }) if callee == "BaseManager.from_queryset()" && args == &["PostQuerySet"]));
        assert!(matches!(post.attr("live").map(|a| &a.value), Some(AttrValue::Call { callee, args, .. }) if callee == "PostQuerySet.as_manager" && args.is_empty()));
    }

    #[test]
    fn view_class_queryset_and_get_queryset() {
        let src = "class V(viewsets.ModelViewSet):\n    queryset = Book.objects.all()\n    lookup_field = \"isbn\"\n    filterset_fields = {\"state\": [\"exact\"], \"title\": [\"exact\"]}\n    serializer_class = BookSerializer\n\n    def get_queryset(self):\n        return super().get_queryset().filter(owner=self.request.user)\n\n    def other(self):\n        for b in self.get_queryset():\n            print(b.author.name)\n";
        let m = parse(src);
        let orm = m.orm();
        let c = orm.classes.first().expect("a class");
        assert_eq!(c.attr("lookup_field").map(|a| &a.value), Some(&AttrValue::Str("isbn".into())));
        assert!(matches!(c.attr("serializer_class").map(|a| &a.value), Some(AttrValue::Name(n)) if n == "BookSerializer"));
        let Some(AttrValue::Strings(keys)) = c.attr("filterset_fields").map(|a| &a.value) else { panic!("dict keys") };
        assert_eq!(keys.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["state", "title"]);
        let view_qs = orm.class_queryset(0).expect("get_queryset's return");
        let q = orm.queries.get(view_qs).expect("query");
        assert_eq!(q.root, Root::ClassQueryset);
        assert!(q.returned);
        let calls: Vec<&str> = orm.effective_calls(view_qs).iter().map(|c| c.method.as_str()).collect();
        assert_eq!(calls, ["all", "filter"]);
        assert!(matches!(orm.origin(view_qs).map(|o| &o.root), Some(Root::Manager { model, .. }) if model == "Book"));
        // `self.get_queryset()` in another method is what `get_queryset` returns.
        let lp = orm.loops.first().expect("a loop");
        assert_eq!(orm.queries.get(lp.query).and_then(|q| q.base), Some(view_qs));
    }

    #[test]
    fn admin_registrations_and_method_reads() {
        let src = "@admin.register(Product)\nclass ProductAdmin(admin.ModelAdmin):\n    list_display = (\"sku\", \"maker_name\")\n\n    @admin.display(description=\"x\")\n    def maker_name(self, obj: Product):\n        return obj.maker.name\n\nclass ItemAdmin(admin.ModelAdmin):\n    list_filter = [\"kind\"]\n\nadmin.site.register(Item, ItemAdmin)\nadmin.site.register([A, B])\n";
        let m = parse(src);
        let orm = m.orm();
        assert_eq!(orm.classes.first().map(|c| c.registers.clone()), Some(vec!["Product".to_owned()]));
        let reads = &orm.classes.first().and_then(|c| c.methods.first()).expect("method").reads;
        assert_eq!(reads.first().map(|(p, _)| p.clone()), Some(vec!["maker".to_owned(), "name".to_owned()]));
        assert_eq!(orm.registrations, vec![(vec!["Item".to_owned()], Some("ItemAdmin".to_owned())), (vec!["A".to_owned(), "B".to_owned()], None)]);
    }

    #[test]
    fn serializer_declared_fields() {
        let src = "class PostSerializer(serializers.ModelSerializer):\n    author = AuthorSerializer(read_only=True)\n    editor_name = serializers.CharField(source=\"editor.name\")\n    comments = CommentSerializer(many=True)\n\n    class Meta:\n        model = Post\n        fields = \"__all__\"\n";
        let m = parse(src);
        let c = m.orm().classes.first().expect("class");
        assert!(matches!(c.attr("editor_name").map(|a| &a.value), Some(AttrValue::Call { source: Some(s), .. }) if s == "editor.name"));
        assert!(matches!(c.attr("comments").map(|a| &a.value), Some(AttrValue::Call { many: true, .. })));
        assert!(matches!(c.meta.as_ref().and_then(|mt| mt.attr("model")).map(|a| &a.value), Some(AttrValue::Name(n)) if n == "Post"));
    }

    #[test]
    fn list_items_other_than_strings() {
        let src = "class A(admin.ModelAdmin):\n    list_filter = [Band, (\"country\", admin.AllValuesFieldListFilter), \"warehouse\", 3]\n    list_display = [\"a\", \"b\"]\n";
        let m = parse(src);
        let c = m.orm().classes.first().expect("class");
        let Some(AttrValue::Items(items)) = c.attr("list_filter").map(|a| &a.value) else { panic!("items") };
        let read: Vec<(Option<&str>, Option<&str>)> = items.iter().map(|i| (i.string.as_deref(), i.name.as_deref())).collect();
        assert_eq!(read, [(None, Some("Band")), (Some("country"), Some("admin.AllValuesFieldListFilter")), (Some("warehouse"), None), (None, None)]);
        assert!(matches!(c.attr("list_display").map(|a| &a.value), Some(AttrValue::Strings(v)) if v.len() == 2));
    }

    #[test]
    fn q_objects_and_their_lookups() {
        let lookups = |call: &str| {
            let m = parse(&format!("def f():\n    return Order.objects.{call}\n"));
            let q = m.orm().queries.first().expect("query").calls.first().cloned().expect("call");
            (q.lookups, q.unread_condition)
        };
        assert_eq!(lookups("filter(Q(a=1) & (Q(b=2) & ~Q(c=3)), d=4)"), (vec!["a".to_owned(), "b".to_owned(), "d".to_owned()], false));
        assert_eq!(lookups("filter(models.Q(Q(a=1), b=2))"), (vec!["a".to_owned(), "b".to_owned()], false));
        assert!(lookups("filter(Q(a=1) | Q(b=2))").1);
        assert!(lookups("filter(cond, d=4)").1);
        assert!(lookups("filter(Q(**kw))").1);
        assert!(!lookups("filter(d=4)").1);
        // A shortcut's first argument is the model, not a condition.
        let m = parse("def f():\n    return get_object_or_404(Order, Q(a=1), b=2)\n");
        let get = m.orm().queries.first().and_then(|q| q.calls.last().cloned()).expect("get");
        assert_eq!((get.lookups, get.unread_condition), (vec!["a".to_owned(), "b".to_owned()], false));
    }

    #[test]
    fn broken_source_never_panics() {
        for src in ["class A(:\n    queryset = X.objects.filter(\n", "@admin.register(\nclass", "admin.site.register(", "class S:\n    class Meta:\n        model =\n", "x = Y.m.filter(a=1).get(\n"] {
            let _ = parse(src).orm();
        }
    }
}
