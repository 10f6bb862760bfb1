//! The nginx configuration parser.
//!
//! [`parse`] turns any text into an [`NginxConfig`] plus the [`ParseError`]s it
//! recovered from; it never fails and never panics. The tokenizer follows nginx's own
//! (`ngx_conf_read_token`): words end at whitespace, `;` and `{`, quotes are special only
//! at the start of a word, `#` starts a comment only where a word could start (so
//! comments may sit between arguments), `${var}` stays in one word.
//!
//! Directives live in a flat arena in source order (a pre-order walk), so a tree of any
//! depth is built, dropped, cloned and walked without recursion. Navigate with
//! [`NginxConfig::roots`], [`NginxConfig::walk`] and the [`DirectiveRef`] cursor:
//!
//! ```
//! use stacklint_syntax::nginx;
//!
//! let text = "http {\n    server {\n        listen 80;\n    }\n}\n";
//! let parsed = nginx::parse(text);
//! assert!(parsed.errors.is_empty());
//! let listen = parsed.tree.walk().find(|d| d.is("listen")).unwrap();
//! assert_eq!(listen.context(), ["http", "server"]);
//! assert_eq!(listen.arg_values(), ["80"]);
//! let server = listen.parent().unwrap();
//! assert_eq!(server.content_indent(), "        ");
//! ```
//!
//! Kept apart, and free of IO: [`dump`] splits `nginx -T` output into files, [`include`]
//! resolves `include` globs against a list of project files and walks a set of parsed
//! files with their includes expanded, reporting cycles.
//!
//! [`ParseError`]: crate::ParseError

use std::ops::Deref;

use stacklint_text::TextRange;

use crate::Parsed;

pub mod dump;
pub mod include;
mod lexer;
mod parser;

pub use dump::{DumpSection, split_dump};
pub use include::{
    FlatDirective, Flattened, IncludeCycle, IncludeFiles, IncludeResolver, UnresolvedInclude,
    default_context_for_path, flatten, resolve_include,
};

/// Parses nginx configuration text. Total: any input gives a tree and the errors met.
///
/// Recovers at `;`, `}` and line boundaries: a directive cut short by `}` or the end of
/// the file is kept (with [`Directive::semicolon`] `None`) and reported; an unterminated
/// quote ends at the end of its line; blocks still open at the end of the file are closed
/// there (with [`Block::close`] `None`) and reported.
pub fn parse(text: &str) -> Parsed<NginxConfig> {
    parser::parse(text)
}

/// The index of a directive in its [`NginxConfig`]'s arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DirectiveId(u32);

impl DirectiveId {
    /// The position in [`NginxConfig::directives`] (source order).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// How a word was quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quote {
    Single,
    Double,
}

impl Quote {
    fn describe(self) -> &'static str {
        match self {
            Quote::Single => "single-quoted",
            Quote::Double => "double-quoted",
        }
    }

    /// The quote character.
    pub fn char(self) -> char {
        match self {
            Quote::Single => '\'',
            Quote::Double => '"',
        }
    }
}

/// A directive name or argument.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// The raw text, quotes included.
    pub range: TextRange,
    /// The raw text as written, quotes and backslashes included.
    pub raw: String,
    /// The value nginx sees: quotes removed, `\"` `\'` `\\` `\t` `\r` `\n` unescaped.
    pub value: String,
    /// The quote around the word, if it started with one.
    pub quote: Option<Quote>,
}

impl Word {
    fn new(range: TextRange, raw: &str, value: String, quote: Option<Quote>) -> Self {
        Self {
            range,
            raw: raw.to_owned(),
            value,
            quote,
        }
    }

    /// Whether the value mentions a variable (`$name` or `${name}`).
    pub fn has_variable(&self) -> bool {
        let b = self.value.as_bytes();
        b.windows(2).any(
            |w| matches!(w, [b'$', c] if c.is_ascii_alphanumeric() || *c == b'_' || *c == b'{'),
        )
    }

    /// The range of the value inside the quotes (the whole word when unquoted).
    pub fn value_range(&self) -> TextRange {
        match self.quote {
            Some(_)
                if self.range.len() >= 2
                    && self.raw.ends_with(self.raw.chars().next().unwrap_or('"')) =>
            {
                TextRange::new(self.range.start() + 1, self.range.end() - 1)
            }
            Some(_) => TextRange::new(self.range.start() + 1, self.range.end()),
            None => self.range,
        }
    }
}

/// What a block holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// Ordinary directives (`http`, `server`, `location`, `if`, `upstream`, ...).
    Directives,
    /// `key value;` entries: `map`, `types`, `geo`, `split_clients`, `charset_map`,
    /// `match`. They are parsed as directives (the key is the "name") but are not ones.
    Entries,
    /// A `*_by_lua_block`: opaque Lua code in [`Block::content`], no children.
    Lua,
}

/// A `{ ... }` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    /// The `{`.
    pub open: TextRange,
    /// The `}`; `None` when the file ended first.
    pub close: Option<TextRange>,
    /// Everything between the braces (the Lua code of a Lua block).
    pub content: TextRange,
    /// The directives (or entries) directly inside, in order.
    pub children: Vec<DirectiveId>,
}

/// A directive: a name, arguments, then `;` or a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub id: DirectiveId,
    pub name: Word,
    pub args: Vec<Word>,
    /// From the name to the `;` or the closing `}` (or the last word when unterminated).
    pub range: TextRange,
    /// The terminating `;`; `None` for block directives and unterminated ones.
    pub semicolon: Option<TextRange>,
    pub block: Option<Block>,
    /// The directive whose block holds this one; `None` at the top level.
    pub parent: Option<DirectiveId>,
    /// 0 at the top level.
    pub depth: usize,
    /// The spaces and tabs before the name, when the directive starts its line.
    pub indent: Option<String>,
}

impl Directive {
    /// Whether the directive ends properly, with `;` or a closed block.
    pub fn is_terminated(&self) -> bool {
        self.semicolon.is_some() || self.block.as_ref().is_some_and(|b| b.close.is_some())
    }
}

/// A `#` comment, to the end of its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// From `#` to the end of the line (the newline excluded).
    pub range: TextRange,
    /// The text after `#`.
    pub text: String,
    /// The directive whose block holds the comment; `None` at the top level.
    pub parent: Option<DirectiveId>,
}

/// A parsed nginx file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NginxConfig {
    directives: Vec<Directive>,
    roots: Vec<DirectiveId>,
    comments: Vec<Comment>,
    indent_unit: String,
    len: usize,
}

impl NginxConfig {
    /// The directive with this id.
    pub fn get(&self, id: DirectiveId) -> Option<&Directive> {
        self.directives.get(id.index())
    }

    /// A cursor on the directive with this id.
    pub fn node(&self, id: DirectiveId) -> Option<DirectiveRef<'_>> {
        self.get(id).map(|directive| DirectiveRef {
            config: self,
            directive,
        })
    }

    /// Every directive (at any depth), in source order.
    pub fn directives(&self) -> &[Directive] {
        &self.directives
    }

    /// The top-level directives.
    pub fn roots(&self) -> impl Iterator<Item = DirectiveRef<'_>> + '_ {
        self.roots.iter().filter_map(|&id| self.node(id))
    }

    /// Every directive (at any depth) in source order, i.e. a pre-order walk. Each
    /// cursor knows its [`DirectiveRef::context`].
    pub fn walk(&self) -> impl Iterator<Item = DirectiveRef<'_>> + '_ {
        self.directives.iter().map(|directive| DirectiveRef {
            config: self,
            directive,
        })
    }

    /// Every directive with its context path (the names of the enclosing block
    /// directives, outermost first: `["http", "server", "location"]`), computed along
    /// the walk.
    pub fn walk_with_context(&self) -> impl Iterator<Item = (Vec<&str>, DirectiveRef<'_>)> + '_ {
        let mut path: Vec<(DirectiveId, &str)> = Vec::new();
        self.walk().map(move |d| {
            while path.len() > d.depth {
                path.pop();
            }
            let context = path.iter().map(|(_, n)| *n).collect();
            if d.block.is_some() {
                path.push((d.id, d.data().name.value.as_str()));
            }
            (context, d)
        })
    }

    /// Every directive named `name`, at any depth.
    pub fn find_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = DirectiveRef<'a>> + 'a {
        self.walk().filter(move |d| d.is(name))
    }

    /// The comments, in source order.
    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// The file's indentation step (from its first nested directive; four spaces when
    /// nothing is nested).
    pub fn indent_unit(&self) -> &str {
        &self.indent_unit
    }

    /// The length of the parsed text, in bytes.
    pub fn text_len(&self) -> usize {
        self.len
    }

    /// A readable outline of the tree (one line per directive, comment and block end,
    /// with ranges), for snapshots and debugging.
    pub fn debug_tree(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let mut comments = self.comments.iter().peekable();
        let mut open: Vec<&Directive> = Vec::new();
        let close_until = |out: &mut String, open: &mut Vec<&Directive>, depth: usize| {
            while open.len() > depth {
                if let Some(d) = open.pop() {
                    let b = d.block.as_ref().and_then(|b| b.close);
                    let pad = "  ".repeat(open.len());
                    let _ = writeln!(
                        out,
                        "{pad}}} {}",
                        b.map_or_else(|| "(unclosed)".to_owned(), |r| format!("{r:?}"))
                    );
                }
            }
        };
        for d in &self.directives {
            while let Some(c) = comments.next_if(|c| c.range.start() < d.range.start()) {
                let depth = c
                    .parent
                    .and_then(|p| self.get(p))
                    .map_or(0, |p| p.depth + 1);
                let target = depth.min(open.len());
                close_until(&mut out, &mut open, target);
                let _ = writeln!(out, "{}# {:?} {:?}", "  ".repeat(depth), c.text, c.range);
            }
            close_until(&mut out, &mut open, d.depth);
            let pad = "  ".repeat(d.depth);
            let args: Vec<String> = d.args.iter().map(|a| format!("{:?}", a.value)).collect();
            let _ = write!(
                out,
                "{pad}{} [{}] {:?}",
                d.name.raw,
                args.join(", "),
                d.range
            );
            match &d.block {
                Some(b) => {
                    let _ = writeln!(out, " {{ {:?}", b.kind);
                    if b.kind == BlockKind::Lua {
                        let _ = writeln!(out, "{pad}  <lua {:?}>", b.content);
                    }
                    open.push(d);
                }
                None if d.semicolon.is_some() => {
                    let _ = writeln!(out, ";");
                }
                None => {
                    let _ = writeln!(out, " (unterminated)");
                }
            }
        }
        for c in comments {
            let depth = c
                .parent
                .and_then(|p| self.get(p))
                .map_or(0, |p| p.depth + 1);
            let target = depth.min(open.len());
            close_until(&mut out, &mut open, target);
            let _ = writeln!(out, "{}# {:?} {:?}", "  ".repeat(depth), c.text, c.range);
        }
        close_until(&mut out, &mut open, 0);
        out
    }
}

/// A cursor on one directive: the [`Directive`] (through `Deref`) plus navigation.
#[derive(Clone, Copy, Debug)]
pub struct DirectiveRef<'a> {
    config: &'a NginxConfig,
    directive: &'a Directive,
}

impl Deref for DirectiveRef<'_> {
    type Target = Directive;

    fn deref(&self) -> &Directive {
        self.directive
    }
}

impl<'a> DirectiveRef<'a> {
    /// The directive data, with the cursor's lifetime.
    pub fn data(self) -> &'a Directive {
        self.directive
    }

    /// The config this directive belongs to.
    pub fn config(self) -> &'a NginxConfig {
        self.config
    }

    /// The directive name (unquoted).
    pub fn name(self) -> &'a str {
        &self.directive.name.value
    }

    /// Whether the directive is called `name`.
    pub fn is(self, name: &str) -> bool {
        self.directive.name.value == name
    }

    /// The arguments as nginx sees them: unquoted and unescaped.
    pub fn arg_values(self) -> Vec<&'a str> {
        self.directive
            .args
            .iter()
            .map(|a| a.value.as_str())
            .collect()
    }

    /// The `n`th argument's value (0-based).
    pub fn arg(self, n: usize) -> Option<&'a str> {
        self.directive.args.get(n).map(|a| a.value.as_str())
    }

    /// The directive whose block holds this one.
    pub fn parent(self) -> Option<DirectiveRef<'a>> {
        self.directive.parent.and_then(|p| self.config.node(p))
    }

    /// The enclosing directives, innermost first.
    pub fn ancestors(self) -> impl Iterator<Item = DirectiveRef<'a>> {
        std::iter::successors(self.parent(), |d| d.parent())
    }

    /// The names of the enclosing block directives, outermost first: the context path
    /// `["http", "server", "location"]` (empty at the top level).
    pub fn context(self) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = self.ancestors().map(DirectiveRef::name).collect();
        names.reverse();
        names
    }

    /// The block, if the directive has one.
    pub fn block(self) -> Option<&'a Block> {
        self.directive.block.as_ref()
    }

    /// The directives directly inside the block (none without a block).
    pub fn children(self) -> impl Iterator<Item = DirectiveRef<'a>> + 'a {
        let config = self.config;
        self.directive
            .block
            .iter()
            .flat_map(|b| b.children.iter())
            .filter_map(move |&id| config.node(id))
    }

    /// The first child called `name`.
    pub fn child(self, name: &str) -> Option<DirectiveRef<'a>> {
        self.children().find(|c| c.is(name))
    }

    /// Every child called `name`.
    pub fn children_named(self, name: &'a str) -> impl Iterator<Item = DirectiveRef<'a>> + 'a {
        self.children().filter(move |c| c.is(name))
    }

    /// Every directive inside the block, at any depth, in source order.
    pub fn descendants(self) -> impl Iterator<Item = DirectiveRef<'a>> + 'a {
        let depth = self.directive.depth;
        let start = self.directive.id.index() + 1;
        self.config
            .directives
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |d| d.depth > depth)
            .map(move |directive| DirectiveRef {
                config: self.config,
                directive,
            })
    }

    /// The indentation of the block's content, to insert directives in the file's own
    /// style: the first indented child's, else this directive's indentation plus the
    /// file's [`NginxConfig::indent_unit`].
    pub fn content_indent(self) -> String {
        if let Some(indent) = self.children().find_map(|c| c.directive.indent.clone()) {
            return indent;
        }
        let own = self.directive.indent.clone().unwrap_or_default();
        own + self.config.indent_unit()
    }

    /// The offset just before the block's closing `}`, where a new last child goes
    /// (`None` without a closed block). Insert `"{indent}name args;\n"` at the start of
    /// that line when `}` starts its line, or after [`Self::insert_after`] of the last child.
    pub fn insert_before_close(self) -> Option<usize> {
        self.block().and_then(|b| b.close).map(TextRange::start)
    }

    /// The offset just after the directive (after its `;` or `}`), where a sibling goes:
    /// insert `"\n{indent}name args;"` there.
    pub fn insert_after(self) -> usize {
        self.directive.range.end()
    }

    /// For an `if (...)` directive, the condition words with the outer parentheses
    /// removed from the first and last values.
    pub fn if_condition(self) -> Vec<&'a str> {
        let mut values = self.arg_values();
        let n = values.len();
        if let Some(first) = values.first_mut() {
            *first = first.strip_prefix('(').unwrap_or(first);
        }
        if let Some(last) = values.last_mut() {
            *last = last.strip_suffix(')').unwrap_or(last);
        }
        if n > 0 && values.last().is_some_and(|v| v.is_empty()) {
            values.pop();
        }
        if values.first().is_some_and(|v| v.is_empty()) {
            values.remove(0);
        }
        values
    }
}
