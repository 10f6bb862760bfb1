//! Builds the directive arena from tokens with an explicit stack (no recursion).

use stacklint_text::TextRange;

use super::lexer::{Lexer, Token};
use super::{Block, BlockKind, Comment, Directive, DirectiveId, NginxConfig, Word};
use crate::{ParseError, Parsed};

/// Block directives whose content is `key value;` entries rather than directives.
const ENTRY_BLOCKS: &[&str] = &[
    "map",
    "types",
    "geo",
    "split_clients",
    "charset_map",
    "match",
];

struct Pending {
    words: Vec<Word>,
}

/// One open `{`: the directive that owns it (`None` for a stray `{` with no name, whose
/// content is attached to the enclosing block).
struct Frame {
    owner: Option<DirectiveId>,
    /// Where the children go: the owner, or the nearest real owner for a stray `{`.
    parent: Option<DirectiveId>,
    open: TextRange,
}

pub(crate) fn parse(text: &str) -> Parsed<NginxConfig> {
    let mut lexer = Lexer::new(text);
    let mut config = NginxConfig {
        directives: Vec::new(),
        roots: Vec::new(),
        comments: Vec::new(),
        indent_unit: String::new(),
        len: text.len(),
    };
    let mut errors: Vec<ParseError> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut pending: Option<Pending> = None;

    while let Some(token) = lexer.next_token() {
        let parent = stack.last().and_then(|f| f.parent);
        match token {
            Token::Word(word) => match &mut pending {
                Some(p) => p.words.push(word),
                None => pending = Some(Pending { words: vec![word] }),
            },
            Token::Comment(range) => {
                let text_of = range.slice(text);
                config.comments.push(Comment {
                    range,
                    text: text_of.get(1..).unwrap_or("").to_owned(),
                    parent,
                });
            }
            Token::Recover => {
                if let Some(p) = pending.take() {
                    push_directive(&mut config, text, p, parent, None, None);
                }
            }
            Token::Semicolon(range) => match pending.take() {
                Some(p) => {
                    push_directive(&mut config, text, p, parent, Some(range), None);
                }
                None => errors.push(ParseError::new(
                    range,
                    "unexpected `;`: no directive before it",
                )),
            },
            Token::Open(open) => {
                if let Some(p) = pending.take() {
                    let name = p.words.first().map(|w| w.value.clone()).unwrap_or_default();
                    let kind = if name.ends_with("_by_lua_block") {
                        BlockKind::Lua
                    } else if ENTRY_BLOCKS.contains(&name.as_str()) {
                        BlockKind::Entries
                    } else {
                        BlockKind::Directives
                    };
                    let block = Block {
                        kind,
                        open,
                        close: None,
                        content: TextRange::empty(open.end()),
                        children: Vec::new(),
                    };
                    let id = push_directive(&mut config, text, p, parent, None, Some(block));
                    if kind == BlockKind::Lua {
                        let (body, close) = lexer.lua_body(open);
                        close_block(&mut config, id, body, close);
                    } else {
                        stack.push(Frame {
                            owner: Some(id),
                            parent: Some(id),
                            open,
                        });
                    }
                } else {
                    errors.push(ParseError::new(
                        open,
                        "unexpected `{`: no directive name before it",
                    ));
                    stack.push(Frame {
                        owner: None,
                        parent,
                        open,
                    });
                }
            }
            Token::Close(close) => {
                if let Some(p) = pending.take() {
                    let name = p.words.first().map(|w| w.value.clone()).unwrap_or_default();
                    let id = push_directive(&mut config, text, p, parent, None, None);
                    let range = config.get(id).map_or(close, |d| d.range);
                    errors.push(ParseError::new(
                        range,
                        format!("directive `{name}` is not terminated by `;` (unexpected `}}`)"),
                    ));
                }
                match stack.pop() {
                    Some(frame) => {
                        if let Some(owner) = frame.owner {
                            let content = TextRange::new(frame.open.end(), close.start());
                            close_block(&mut config, owner, content, Some(close));
                        }
                    }
                    None => errors.push(ParseError::new(close, "unexpected `}`: no block is open")),
                }
            }
        }
    }

    let eof = text.len();
    if let Some(p) = pending.take() {
        let parent = stack.last().and_then(|f| f.parent);
        let name = p.words.first().map(|w| w.value.clone()).unwrap_or_default();
        let id = push_directive(&mut config, text, p, parent, None, None);
        let range = config.get(id).map_or(TextRange::empty(eof), |d| d.range);
        errors.push(ParseError::new(
            range,
            format!("directive `{name}` is not terminated by `;` (unexpected end of file, expecting `;` or `}}`)"),
        ));
    }
    while let Some(frame) = stack.pop() {
        errors.push(ParseError::new(
            frame.open,
            "unexpected end of file, expecting `}` to close this block",
        ));
        if let Some(owner) = frame.owner {
            close_block(
                &mut config,
                owner,
                TextRange::new(frame.open.end(), eof),
                None,
            );
        }
    }

    config.indent_unit = guess_indent_unit(&config);
    errors.extend(lexer.errors);
    errors.sort_by_key(|e| (e.range.start(), e.range.end()));
    Parsed {
        tree: config,
        errors,
    }
}

fn push_directive(
    config: &mut NginxConfig,
    text: &str,
    pending: Pending,
    parent: Option<DirectiveId>,
    semicolon: Option<TextRange>,
    block: Option<Block>,
) -> DirectiveId {
    let mut words = pending.words.into_iter();
    let name = words.next().unwrap_or_default();
    let args: Vec<Word> = words.collect();
    let start = name.range.start();
    let mut end = args.last().map_or(name.range.end(), |w| w.range.end());
    if let Some(s) = semicolon {
        end = s.end();
    }
    if let Some(b) = &block {
        end = b.open.end();
    }
    let id = DirectiveId(u32::try_from(config.directives.len()).unwrap_or(u32::MAX));
    let depth = parent
        .and_then(|p| config.get(p))
        .map_or(0, |p| p.depth + 1);
    let indent = indent_before(text, start);
    config.directives.push(Directive {
        id,
        name,
        args,
        range: TextRange::new(start, end),
        semicolon,
        block,
        parent,
        depth,
        indent,
    });
    match parent
        .and_then(|p| config.directives.get_mut(p.index()))
        .and_then(|d| d.block.as_mut())
    {
        Some(block) => block.children.push(id),
        None => config.roots.push(id),
    }
    id
}

fn close_block(
    config: &mut NginxConfig,
    id: DirectiveId,
    content: TextRange,
    close: Option<TextRange>,
) {
    if let Some(d) = config.directives.get_mut(id.index()) {
        if let Some(block) = d.block.as_mut() {
            block.content = content;
            block.close = close;
        }
        let end = close.map_or(content.end(), TextRange::end);
        d.range = TextRange::new(d.range.start(), end);
    }
}

/// The spaces and tabs before `offset` on its line, when nothing else precedes it.
/// Scans back over blanks only (a search for the line start per directive was quadratic
/// on a file of one long line).
fn indent_before(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let blanks = before.len() - before.trim_end_matches([' ', '\t']).len();
    let line_start = offset - blanks;
    let at_line_start = line_start == 0 || before.as_bytes().get(line_start - 1) == Some(&b'\n');
    at_line_start.then(|| before.get(line_start..).unwrap_or("").to_owned())
}

/// The file's indentation step: the first child indented deeper than its parent.
fn guess_indent_unit(config: &NginxConfig) -> String {
    for d in &config.directives {
        let Some(indent) = &d.indent else { continue };
        let parent_indent = match d.parent.and_then(|p| config.get(p)) {
            Some(p) => match &p.indent {
                Some(i) => i.as_str(),
                None => continue,
            },
            None => "",
        };
        if d.parent.is_none() {
            continue;
        }
        if let Some(step) = indent.strip_prefix(parent_indent)
            && !step.is_empty()
        {
            return step.to_owned();
        }
    }
    "    ".to_owned()
}
