//! A YAML document with byte ranges, read from tree-sitter-yaml's concrete syntax tree.
//!
//! Scalars are decoded ([`Scalar`]); anchors are resolved (an alias becomes a copy of
//! the anchored node, marked with [`Node::via_alias`]); merge keys (`<<: *default`,
//! `<<: [*a, *b]`) add the merged entries the mapping does not define itself, marked
//! with [`Entry::merged_from`]. Comments are collected with their ranges.

use std::collections::HashMap;

use stacklint_text::{TextRange, floor_char_boundary};
use tree_sitter::Node as TsNode;

use super::scalar::{self, Scalar, ScalarStyle};
use crate::ParseError;

/// A YAML node.
#[derive(Clone, Debug)]
pub struct Node {
    /// The node's content in the source (anchor and tag excluded).
    pub range: TextRange,
    pub kind: NodeKind,
    /// `&name` written on this node.
    pub anchor: Option<String>,
    /// `!tag` written on this node.
    pub tag: Option<String>,
    /// Set on a copy brought in by an alias: the range of that `*name`. The node's own
    /// ranges still point at the anchored original (editing it changes every user).
    pub via_alias: Option<TextRange>,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    Scalar(Scalar),
    Mapping(Mapping),
    Sequence(Sequence),
    /// A node with no content (`key:` followed by nothing, or only an anchor or tag).
    Null,
    /// An alias that could not be resolved (unknown anchor, or expansion limit).
    Alias(String),
}

/// A block (`key: value` lines) or flow (`{a: 1}`) mapping.
#[derive(Clone, Debug)]
pub struct Mapping {
    pub entries: Vec<Entry>,
    pub flow: bool,
    pub range: TextRange,
}

/// One `key: value` of a mapping.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Node,
    /// `None` for `key:` with nothing after it.
    pub value: Option<Node>,
    /// The whole pair.
    pub range: TextRange,
    /// For an entry brought in by a merge key: the range of that `<<: ...` pair.
    pub merged_from: Option<TextRange>,
}

/// A block (`- item` lines) or flow (`[a, b]`) sequence.
#[derive(Clone, Debug)]
pub struct Sequence {
    pub items: Vec<Node>,
    pub flow: bool,
    pub range: TextRange,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_mapping(&self) -> Option<&Mapping> {
        match &self.kind {
            NodeKind::Mapping(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&Sequence> {
        match &self.kind {
            NodeKind::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text, when this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.value.as_str())
    }

    /// Null: no content, or a plain `~` / `null`.
    pub fn is_null(&self) -> bool {
        match &self.kind {
            NodeKind::Null => true,
            NodeKind::Scalar(s) => s.is_null(),
            _ => false,
        }
    }

    /// Every range in this subtree (for invariant checks).
    pub fn ranges(&self, out: &mut Vec<TextRange>) {
        out.push(self.range);
        if let Some(a) = self.via_alias {
            out.push(a);
        }
        match &self.kind {
            NodeKind::Scalar(s) => out.push(s.range),
            NodeKind::Mapping(m) => {
                out.push(m.range);
                for e in &m.entries {
                    out.push(e.range);
                    out.extend(e.merged_from);
                    e.key.ranges(out);
                    if let Some(v) = &e.value {
                        v.ranges(out);
                    }
                }
            }
            NodeKind::Sequence(s) => {
                out.push(s.range);
                for i in &s.items {
                    i.ranges(out);
                }
            }
            NodeKind::Null | NodeKind::Alias(_) => {}
        }
    }
}

impl Entry {
    /// The key's text, when the key is a scalar.
    pub fn key_str(&self) -> Option<&str> {
        self.key.as_str()
    }

    /// The key as a scalar.
    pub fn key_scalar(&self) -> Option<&Scalar> {
        self.key.as_scalar()
    }
}

impl Mapping {
    /// The entry of `key` (the last one when a key is repeated, as YAML loaders do).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key_str() == Some(key))
    }

    /// The value of `key` (`None` when missing or written as `key:` alone).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).and_then(|e| e.value.as_ref())
    }

    /// The entries written in this mapping itself (not brought in by a merge key).
    pub fn own_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.merged_from.is_none())
    }

    /// The indentation of this block mapping's keys (the text before the first key on
    /// its line, when that is only spaces). `None` for flow mappings.
    pub fn key_indent<'t>(&self, text: &'t str) -> Option<&'t str> {
        if self.flow {
            return None;
        }
        let first = self.own_entries().next()?;
        let start = first.range.start();
        let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
        let indent = text.get(line_start..start)?;
        if indent.chars().all(|c| c == ' ') {
            Some(indent)
        } else {
            // `- key: value` in a sequence: the key's column, written as spaces.
            None
        }
    }

    /// The column of the first key (its indentation), for mappings inside `- ` items too.
    pub fn key_column(&self, text: &str) -> Option<usize> {
        let first = self.own_entries().next()?;
        let start = first.range.start();
        let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
        Some(text.get(line_start..start)?.chars().count())
    }

    /// Where a new `key: value` line goes at the end of this block mapping: the start of
    /// the line after its last own entry (after any block scalar body).
    pub fn end_of_block(&self, text: &str) -> usize {
        let last = self.own_entries().map(|e| e.range.end()).max().unwrap_or(self.range.end());
        match text.get(last..).and_then(|t| t.find('\n')) {
            Some(i) => last + i + 1,
            None => text.len(),
        }
    }
}

/// Limits against hostile input: nesting depth and alias expansion (billion laughs).
const MAX_DEPTH: usize = 256;
const MAX_EXPANDED: usize = 200_000;
const MAX_ERRORS: usize = 50;
/// tree-sitter-yaml's scanner saves its indentation stack in tree-sitter's 1024-byte
/// buffer, 4 bytes a level, without a bound check (past ~250 levels it writes beyond the
/// buffer and tree-sitter aborts the process). Files nested deeper than this are refused.
const MAX_INDENT_LEVELS: usize = 100;

/// The YAML side of a parsed file.
pub(crate) struct Read {
    pub root: Option<Node>,
    pub comments: Vec<TextRange>,
    pub errors: Vec<ParseError>,
}

/// tree-sitter-yaml's scanner counts rows in 16 bits: past row 32,767 a line no longer
/// follows the one before it and the whole file is one ERROR. A longer file is parsed in
/// parts of at most [`PART_ROWS`] lines, each cut before a top-level key or a key of the
/// mapping under it (a service), and the parts' entries joined.
const MAX_ROWS: usize = 32_767;
const PART_ROWS: usize = 30_000;

/// Parse `text` as YAML.
pub(crate) fn read(text: &str) -> Read {
    let mut parser = tree_sitter::Parser::new();
    let mut errors = Vec::new();
    if let Some(at) = too_deep(text) {
        errors.push(ParseError::new(TextRange::empty(at), format!("YAML nested deeper than {MAX_INDENT_LEVELS} indentation levels: not parsed")));
        return Read { root: None, comments: Vec::new(), errors };
    }
    if parser.set_language(&tree_sitter_yaml::LANGUAGE.into()).is_err() {
        errors.push(ParseError::new(TextRange::empty(0), "internal error: the YAML grammar could not be loaded"));
        return Read { root: None, comments: Vec::new(), errors };
    }
    let rows = row_count(text);
    let parts = if rows > MAX_ROWS {
        let Some(cuts) = part_starts(text) else {
            errors.push(ParseError::new(
                TextRange::empty(0),
                format!("the file has {rows} lines, more than the {MAX_ROWS} the YAML parser reads at once, and no top-level or service key to cut it at within every {PART_ROWS} lines: not linted"),
            ));
            return Read { root: None, comments: Vec::new(), errors };
        };
        cuts.iter().zip(cuts.iter().skip(1).chain([&text.len()])).map(|(s, e)| (*s, *e)).collect()
    } else {
        vec![(0, text.len())]
    };
    let mut b = Builder { text, anchors: HashMap::new(), errors, expanded: 0, comments: Vec::new() };
    let mut root: Option<Node> = None;
    for (start, end) in parts {
        if (start, end) != (0, text.len()) {
            let point = |at: usize| tree_sitter::Point { row: text.get(..at).map_or(0, |t| t.matches('\n').count()), column: 0 };
            let range = tree_sitter::Range { start_byte: start, end_byte: end, start_point: point(start), end_point: point(end) };
            if parser.set_included_ranges(&[range]).is_err() {
                b.errors.push(ParseError::new(TextRange::empty(start), "internal error: the YAML parser refused a part of the file"));
                break;
            }
        }
        let Some(tree) = parser.parse(text, None) else {
            b.errors.push(ParseError::new(TextRange::empty(start), "the YAML parser gave up on this file"));
            break;
        };
        let top = tree.root_node();
        b.collect_errors(top);
        b.collect_comments(top);
        let part = b.document(top);
        match (&mut root, part) {
            (None, part) => root = part,
            (Some(root), Some(part)) => {
                let indented = text.get(start..).is_some_and(|t| t.starts_with(' '));
                append_part(root, part, indented);
            }
            (Some(_), None) => {}
        }
    }
    if !b.errors.is_empty() {
        b.tab_indentation();
    }
    b.errors.sort_by_key(|e| (e.range.start(), e.range.end()));
    b.errors.dedup();
    b.errors.truncate(MAX_ERRORS);
    Read { root, comments: b.comments, errors: b.errors }
}

/// Where each part of a file longer than [`MAX_ROWS`] starts (the first is 0): at most
/// [`PART_ROWS`] lines apart, each at a key at column 0 or at the indentation of the keys
/// under the last column-0 key, outside block scalars. `None` when no such key is close
/// enough.
fn part_starts(text: &str) -> Option<Vec<usize>> {
    let mut starts = vec![0];
    // The current part's first row and whether it starts at a service key (then it ends
    // at the next column-0 line: its mapping is indented); the last place to cut at.
    let (mut start_row, mut start_indented) = (0, false);
    let mut last_cut: Option<(usize, usize, bool)> = None;
    let (mut second, mut after_top, mut block_scalar): (Option<usize>, bool, Option<usize>) = (None, false, None);
    let mut offset = 0;
    for (row, line) in text.split_inclusive('\n').enumerate() {
        let at = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let rest = body.trim_start_matches(' ');
        let indent = body.len() - rest.len();
        if rest.is_empty() || rest.starts_with('#') || block_scalar.is_some_and(|opened| indent > opened) {
            continue;
        }
        block_scalar = None;
        if after_top && indent > 0 {
            second = Some(indent);
            after_top = false;
        }
        if indent == 0 {
            after_top = true;
            second = None;
        }
        let key = !rest.starts_with(['-', '[', '{', '"', '\'', '?', ':', '*', '&', '!', '%', '|', '>'])
            && (rest.contains(": ") || rest.ends_with(':'));
        if key && (indent == 0 || second == Some(indent)) && row > start_row {
            if row - start_row > PART_ROWS {
                let (cut_row, cut_at, indented) = last_cut.filter(|(r, _, _)| *r > start_row)?;
                starts.push(cut_at);
                (start_row, start_indented) = (cut_row, indented);
            }
            last_cut = Some((row, at, indent > 0));
        }
        if indent == 0 && start_indented && row > start_row {
            starts.push(at);
            (start_row, start_indented) = (row, false);
        }
        let value = rest.split(" #").next().unwrap_or(rest).trim_end();
        let last_word = value.rsplit(' ').next().unwrap_or(value);
        let indicator = last_word.strip_prefix(['|', '>']).is_some_and(|i| i.chars().all(|c| matches!(c, '-' | '+' | '0'..='9')));
        if indicator && (value.len() == last_word.len() || value.contains(": ") || value.starts_with("- ")) {
            block_scalar = Some(indent);
        }
    }
    let rows = row_count(text);
    if rows.saturating_sub(start_row) > PART_ROWS {
        let (_, cut_at, _) = last_cut.filter(|(r, _, _)| *r > start_row && rows.saturating_sub(*r) <= PART_ROWS)?;
        starts.push(cut_at);
    }
    Some(starts)
}

/// Lines as the YAML scanner counts them: a CR alone ends a line too.
fn row_count(text: &str) -> usize {
    let bytes = text.as_bytes();
    let breaks = bytes.iter().enumerate().filter(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))).count();
    breaks + usize::from(!text.is_empty() && !text.ends_with(['\n', '\r']))
}

/// Join a later part of a long file to the document: its entries continue the top-level
/// mapping (a part cut at column 0) or the mapping of its last key (a part cut at a
/// service key); the ranges grow to the part's end.
fn append_part(root: &mut Node, part: Node, indented: bool) {
    let NodeKind::Mapping(more) = part.kind else { return };
    let end = part.range.end();
    let NodeKind::Mapping(top) = &mut root.kind else { return };
    let target = if indented {
        let Some(last) = top.entries.last_mut() else { return };
        last.range = TextRange::new(last.range.start(), end.max(last.range.end()));
        let Some(value) = last.value.as_mut() else { return };
        value.range = TextRange::new(value.range.start(), end.max(value.range.end()));
        let NodeKind::Mapping(inner) = &mut value.kind else { return };
        inner
    } else {
        top
    };
    target.range = TextRange::new(target.range.start(), end.max(target.range.end()));
    target.entries.extend(more.entries);
    if let NodeKind::Mapping(top) = &mut root.kind {
        top.range = TextRange::new(top.range.start(), end.max(top.range.end()));
    }
    root.range = TextRange::new(root.range.start(), end.max(root.range.end()));
}

struct Builder<'t> {
    text: &'t str,
    anchors: HashMap<String, Node>,
    errors: Vec<ParseError>,
    expanded: usize,
    comments: Vec<TextRange>,
}

impl<'t> Builder<'t> {
    /// The first document of a parsed tree (compose files have one); a tree that is one
    /// error (e.g. a Jinja template) is read for what pairs it holds.
    fn document(&mut self, top: TsNode) -> Option<Node> {
        if top.kind() != "stream" {
            return self.node(top, 0);
        }
        let mut cursor = top.walk();
        for doc in top.named_children(&mut cursor).filter(|d| d.kind() == "document") {
            let mut c2 = doc.walk();
            let content = doc.named_children(&mut c2).find(|n| matches!(n.kind(), "block_node" | "flow_node"));
            if let Some(content) = content {
                return self.node(content, 0);
            }
        }
        None
    }

    fn span(&self, n: TsNode) -> TextRange {
        let r = n.byte_range();
        let start = floor_char_boundary(self.text, r.start);
        TextRange::new(start, floor_char_boundary(self.text, r.end).max(start))
    }

    fn slice(&self, n: TsNode) -> &'t str {
        let text = self.text;
        self.span(n).slice(text)
    }

    fn error(&mut self, range: TextRange, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS * 4 {
            self.errors.push(ParseError::new(range, message));
        }
    }

    /// Report ERROR and MISSING nodes (the outermost ERROR of a region only).
    fn collect_errors(&mut self, top: TsNode) {
        if !top.has_error() {
            return;
        }
        let mut stack = vec![top];
        while let Some(n) = stack.pop() {
            if self.errors.len() >= MAX_ERRORS * 4 {
                return;
            }
            if n.is_missing() {
                let at = self.span(n).start();
                let what = n.kind();
                self.error(TextRange::empty(at), format!("invalid YAML: missing `{what}`"));
                continue;
            }
            if n.is_error() {
                let range = self.span(n);
                let message = self.error_message(range);
                self.error(range, message);
                continue;
            }
            if n.has_error() {
                let mut cursor = n.walk();
                let children: Vec<_> = n.children(&mut cursor).collect();
                stack.extend(children.into_iter().rev());
            }
        }
    }

    /// Say what is wrong at an ERROR region: the first thing that breaks the YAML.
    fn error_message(&self, range: TextRange) -> String {
        let text = self.text;
        let region = range.slice(text);
        let trimmed = region.trim_start();
        let line_start = text.get(..range.start()).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
        let line_end = text.get(range.start()..).and_then(|t| t.find('\n')).map_or(text.len(), |i| range.start() + i);
        let line = text.get(line_start..line_end).unwrap_or("");
        if ["{%", "{{", "{#"].iter().any(|t| line.contains(t)) {
            return "invalid YAML: template syntax (`{% ... %}` / `{{ ... }}`): lint the rendered file".to_string();
        }
        if region.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return "invalid YAML: control characters (is this a binary file?)".to_string();
        }
        let first_line = trimmed.lines().next().unwrap_or("").trim_end();
        let shown: String = first_line.chars().take(40).collect();
        let more = if first_line.chars().count() > 40 { "..." } else { "" };
        if shown.is_empty() { "invalid YAML here".to_string() } else { format!("invalid YAML at `{shown}{more}`: check the indentation, quotes and brackets") }
    }

    /// Explain the usual cause of an error: the first line indented with a tab.
    fn tab_indentation(&mut self) {
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let rest = line.get(indent..).unwrap_or("").trim();
            if let Some(tab) = line.get(..indent).and_then(|i| i.find('\t'))
                && !rest.is_empty()
                && !rest.starts_with('#')
            {
                self.error(TextRange::new(start + tab, start + tab + 1), "invalid YAML: a tab in the indentation (YAML indents with spaces only)");
                return;
            }
        }
    }

    fn collect_comments(&mut self, top: TsNode) {
        let mut cursor = top.walk();
        let mut visit = true;
        loop {
            if visit {
                let n = cursor.node();
                if n.kind() == "comment" {
                    let r = self.span(n);
                    self.comments.push(r);
                }
                if cursor.goto_first_child() {
                    continue;
                }
            }
            if cursor.goto_next_sibling() {
                visit = true;
                continue;
            }
            if !cursor.goto_parent() {
                break;
            }
            visit = false;
        }
    }

    /// Build a node from a `block_node`/`flow_node` (or content node) of the CST.
    fn node(&mut self, n: TsNode, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            let r = self.span(n);
            self.error(r, format!("YAML nested deeper than {MAX_DEPTH} levels"));
            return None;
        }
        let mut anchor = None;
        let mut tag = None;
        let mut content = None;
        match n.kind() {
            "block_node" | "flow_node" => {
                let mut cursor = n.walk();
                for c in n.named_children(&mut cursor) {
                    match c.kind() {
                        "anchor" => anchor = Some(self.slice(c).trim_start_matches('&').to_string()),
                        "tag" => tag = Some(self.slice(c).to_string()),
                        "comment" => {}
                        _ if content.is_none() => content = Some(c),
                        _ => {}
                    }
                }
            }
            _ => content = Some(n),
        }
        let node = match content {
            None => Node { range: self.span(n), kind: NodeKind::Null, anchor: None, tag: None, via_alias: None },
            Some(c) => self.content(c, depth)?,
        };
        let node = Node { anchor: anchor.clone().or(node.anchor), tag: tag.or(node.tag), ..node };
        if let Some(name) = anchor {
            self.anchors.insert(name, node.clone());
        }
        Some(node)
    }

    fn content(&mut self, c: TsNode, depth: usize) -> Option<Node> {
        let range = self.span(c);
        let kind = match c.kind() {
            "plain_scalar" => NodeKind::Scalar(scalar::flow(self.text, range, ScalarStyle::Plain, &mut self.errors)),
            "single_quote_scalar" => NodeKind::Scalar(scalar::flow(self.text, range, ScalarStyle::SingleQuoted, &mut self.errors)),
            "double_quote_scalar" => NodeKind::Scalar(scalar::flow(self.text, range, ScalarStyle::DoubleQuoted, &mut self.errors)),
            "block_scalar" => {
                let indent = self.parent_indent(c);
                NodeKind::Scalar(scalar::block(self.text, range, indent, &mut self.errors))
            }
            "alias" => return Some(self.alias(c, range)),
            "block_mapping" | "flow_mapping" | "ERROR" => NodeKind::Mapping(self.mapping(c, depth)),
            "block_sequence" | "flow_sequence" => NodeKind::Sequence(self.sequence(c, depth)),
            "block_node" | "flow_node" => return self.node(c, depth + 1),
            // A lone pair where a node was expected (`[a: 1]`): a one-entry mapping.
            "flow_pair" | "block_mapping_pair" => {
                let entries = self.pair(c, depth).into_iter().collect();
                NodeKind::Mapping(Mapping { entries, flow: c.kind() == "flow_pair", range })
            }
            _ => NodeKind::Null,
        };
        Some(Node { range, kind, anchor: None, tag: None, via_alias: None })
    }

    /// The indentation of the node holding a block scalar: the column of its pair or item.
    fn parent_indent(&self, c: TsNode) -> usize {
        let mut p = c.parent();
        while let Some(n) = p {
            if matches!(n.kind(), "block_mapping_pair" | "block_sequence_item") {
                let start = self.span(n).start();
                let line_start = self.text.get(..start).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
                return self.text.get(line_start..start).map_or(0, |s| s.chars().count());
            }
            p = n.parent();
        }
        0
    }

    fn alias(&mut self, c: TsNode, range: TextRange) -> Node {
        let name = self.slice(c).trim_start_matches('*').to_string();
        let unresolved = |kind| Node { range, kind, anchor: None, tag: None, via_alias: None };
        let Some(target) = self.anchors.get(&name) else {
            self.error(range, format!("unknown anchor `*{name}`: no `&{name}` before it"));
            return unresolved(NodeKind::Alias(name));
        };
        let size = count_nodes(target);
        if self.expanded.saturating_add(size) > MAX_EXPANDED {
            self.error(range, format!("alias `*{name}` not expanded: the aliases of this file expand to more than {MAX_EXPANDED} nodes"));
            return unresolved(NodeKind::Alias(name));
        }
        self.expanded += size;
        let mut node = target.clone();
        node.via_alias = Some(range);
        node
    }

    fn mapping(&mut self, c: TsNode, depth: usize) -> Mapping {
        let range = self.span(c);
        let flow = c.kind() == "flow_mapping";
        let mut entries = Vec::new();
        let mut merges: Vec<(Node, TextRange)> = Vec::new();
        let mut cursor = c.walk();
        let children: Vec<_> = c.named_children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "block_mapping_pair" | "flow_pair" => {
                    let Some(entry) = self.pair(child, depth) else { continue };
                    let is_merge = entry.key.as_scalar().is_some_and(|k| k.style == ScalarStyle::Plain && k.value == "<<");
                    if is_merge {
                        if let Some(v) = entry.value {
                            merges.push((v, entry.range));
                        }
                    } else {
                        entries.push(entry);
                    }
                }
                // `{a, b}`: keys with null values.
                "flow_node" => {
                    if let Some(key) = self.node(child, depth + 1) {
                        let r = key.range;
                        entries.push(Entry { key, value: None, range: r, merged_from: None });
                    }
                }
                // Pairs inside an error region (templates, bad indentation).
                "ERROR" | "block_mapping" | "block_node" => {
                    if let Some(Node { kind: NodeKind::Mapping(m), .. }) = self.content(child, depth + 1) {
                        entries.extend(m.entries);
                    }
                }
                _ => {}
            }
        }
        for (value, at) in merges {
            let sources: Vec<Node> = match value.kind {
                NodeKind::Sequence(s) => s.items,
                _ => vec![value],
            };
            for source in sources {
                match source.kind {
                    NodeKind::Mapping(m) => {
                        for e in m.entries {
                            let key = e.key_str().map(str::to_string);
                            if key.is_some() && entries.iter().any(|x| x.key_str() == key.as_deref()) {
                                continue;
                            }
                            entries.push(Entry { merged_from: Some(at), ..e });
                        }
                    }
                    NodeKind::Alias(_) => {}
                    _ => self.error(at, "merge key `<<` needs a mapping or a list of mappings"),
                }
            }
        }
        Mapping { entries, flow, range }
    }

    fn pair(&mut self, c: TsNode, depth: usize) -> Option<Entry> {
        let range = self.span(c);
        let key = match c.child_by_field_name("key") {
            Some(k) => self.node(k, depth + 1)?,
            None => Node { range: TextRange::empty(range.start()), kind: NodeKind::Null, anchor: None, tag: None, via_alias: None },
        };
        let value = match c.child_by_field_name("value") {
            Some(v) => self.node(v, depth + 1),
            None => None,
        };
        Some(Entry { key, value, range, merged_from: None })
    }

    fn sequence(&mut self, c: TsNode, depth: usize) -> Sequence {
        let range = self.span(c);
        let flow = c.kind() == "flow_sequence";
        let mut items = Vec::new();
        let mut cursor = c.walk();
        let children: Vec<_> = c.named_children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "block_sequence_item" => {
                    let mut c2 = child.walk();
                    let inner = child.named_children(&mut c2).find(|n| matches!(n.kind(), "block_node" | "flow_node"));
                    let item = match inner {
                        Some(i) => self.node(i, depth + 1),
                        None => Some(Node { range: self.span(child), kind: NodeKind::Null, anchor: None, tag: None, via_alias: None }),
                    };
                    items.extend(item);
                }
                "flow_node" | "flow_pair" => {
                    let item = self.content(child, depth + 1);
                    items.extend(item);
                }
                _ => {}
            }
        }
        Sequence { items, flow, range }
    }
}

/// Where the block indentation gets deeper than [`MAX_INDENT_LEVELS`], if it does. An
/// upper bound of the scanner's stack: every line's indentation and the columns after
/// its leading `- ` / `? ` / `: ` indicators are levels; a shallower line pops deeper
/// levels. (The scanner may stack a sequence and a mapping at one column, hence the 2×.)
fn too_deep(text: &str) -> Option<usize> {
    let mut stack: Vec<usize> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches([' ', '\t']).len();
        let rest = body.get(indent..).unwrap_or("");
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        let mut levels = vec![indent];
        let mut col = indent;
        let mut r = rest;
        loop {
            let next = if let Some(t) = r.strip_prefix(['-', '?', ':']).filter(|t| t.is_empty() || t.starts_with([' ', '\t'])) {
                t
            } else if r.starts_with(['&', '!']) {
                r.trim_start_matches(|c: char| !c.is_whitespace())
            } else {
                break;
            };
            let trimmed = next.trim_start_matches([' ', '\t']);
            col += r.len() - trimmed.len();
            r = trimmed;
            if r.is_empty() {
                break;
            }
            levels.push(col);
        }
        while stack.last().is_some_and(|&top| top > indent) {
            stack.pop();
        }
        for l in levels {
            if stack.last().is_none_or(|&top| l > top) {
                stack.push(l);
            }
        }
        if stack.len() > MAX_INDENT_LEVELS {
            return Some(start);
        }
    }
    None
}

fn count_nodes(n: &Node) -> usize {
    match &n.kind {
        NodeKind::Mapping(m) => 1 + m.entries.iter().map(|e| 1 + count_nodes(&e.key) + e.value.as_ref().map_or(0, count_nodes)).sum::<usize>(),
        NodeKind::Sequence(s) => 1 + s.items.iter().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

