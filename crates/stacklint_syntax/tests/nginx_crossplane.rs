//! Conformance with crossplane's test expectations (`peer-suites/crossplane`): tokens
//! and directive trees (names, lines, arguments, blocks, comments, includes).
//!
//! crossplane differs from nginx in how it unescapes: it keeps every backslash except
//! `\"` (or `\'`) inside the matching quotes. We compare crossplane's values with that
//! rule applied to our raw words. A directive crossplane drops (one without its `;`) is
//! one we keep with no terminator and report; we drop those here and check the error line.
//! Includes resolve as nginx does (from the config root only, no fallback).
//! Skipped: `strict` (crossplane's own directive table).
//!
//! Known divergences, where we follow nginx and crossplane does not: `test_messy_config`
//! (crossplane glues `/abc/${uri} /abc/${uri}.html` into one token; nginx splits at the
//! space).

mod nginx_common;

use std::path::{Path, PathBuf};

use serde_json::Value;
use stacklint_syntax::nginx::{self, Directive, IncludeFiles, IncludeResolver, NginxConfig, Word, flatten};
use stacklint_text::LineIndex;

/// A word's value as crossplane reports it.
fn crossplane_value(word: &Word) -> String {
    let Some(q) = word.quote else {
        return word.raw.clone();
    };
    let q = q.char();
    let inner = word.raw.strip_prefix(q).unwrap_or(&word.raw);
    let inner = inner.strip_suffix(q).unwrap_or(inner);
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) if n == q => out.push(q),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn line(index: &LineIndex, offset: usize) -> i64 {
    i64::try_from(index.line_of(offset)).unwrap_or(i64::MAX) + 1
}

/// Our tokens as crossplane lists them: (token, line).
fn tokens(text: &str) -> Vec<(String, i64)> {
    let parsed = nginx::parse(text);
    let index = LineIndex::new(text);
    let mut out: Vec<(usize, String)> = Vec::new();
    for d in parsed.tree.directives() {
        for w in std::iter::once(&d.name).chain(&d.args) {
            out.push((w.range.start(), crossplane_value(w)));
        }
        if let Some(s) = d.semicolon {
            out.push((s.start(), ";".into()));
        }
        if let Some(b) = &d.block {
            out.push((b.open.start(), "{".into()));
            if let Some(c) = b.close {
                out.push((c.start(), "}".into()));
            }
        }
    }
    for c in parsed.tree.comments() {
        // crossplane reads `\` + newline as one escaped character, so a comment ending
        // in a backslash loses it.
        let raw = c.range.slice(text);
        out.push((
            c.range.start(),
            raw.strip_suffix('\\').unwrap_or(raw).to_owned(),
        ));
    }
    out.sort_by_key(|(o, _)| *o);
    out.into_iter().map(|(o, t)| (t, line(&index, o))).collect()
}

/// One entry of a pre-order list: (depth, directive, line, args, comment, file).
type Entry = (
    usize,
    String,
    i64,
    Vec<String>,
    Option<String>,
    Option<String>,
);

fn expected_entries(list: &Value, depth: usize, ignore: &[String], out: &mut Vec<Entry>) {
    for item in list.as_array().into_iter().flatten() {
        let name = item["directive"].as_str().unwrap_or("").to_owned();
        if ignore.contains(&name) {
            continue;
        }
        let args = item["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a.as_str().unwrap_or("").to_owned())
            .collect();
        out.push((
            depth,
            name,
            item["line"].as_i64().unwrap_or(0),
            args,
            item.get("comment")
                .and_then(Value::as_str)
                .map(str::to_owned),
            item.get("file").and_then(Value::as_str).map(str::to_owned),
        ));
        if let Some(block) = item.get("block") {
            expected_entries(block, depth + 1, ignore, out);
        }
    }
}

/// Our tree as crossplane's pre-order list. Comments inside a directive (between its
/// arguments) come after it, as crossplane puts them.
fn our_entries(text: &str, tree: &NginxConfig, comments: bool, ignore: &[String]) -> Vec<Entry> {
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    let top: Vec<&Directive> = tree.roots().map(nginx::DirectiveRef::data).collect();
    emit(&index, tree, None, &top, 0, comments, ignore, &mut out);
    out
}

#[allow(clippy::too_many_arguments)]
fn emit(
    index: &LineIndex,
    tree: &NginxConfig,
    parent: Option<nginx::DirectiveId>,
    children: &[&Directive],
    depth: usize,
    comments: bool,
    ignore: &[String],
    out: &mut Vec<Entry>,
) {
    enum Item<'a> {
        D(&'a Directive),
        C(&'a nginx::Comment, usize),
    }
    let mut items: Vec<((usize, u8), Item<'_>)> = children
        .iter()
        .filter(|d| d.is_terminated())
        .map(|d| ((d.name.range.start(), 0), Item::D(d)))
        .collect();
    if comments {
        for c in tree.comments().iter().filter(|c| c.parent == parent) {
            let inside = children
                .iter()
                .find(|d| d.block.is_none() && d.range.contains(c.range.start()));
            let key = inside.map_or((c.range.start(), 0), |d| (d.range.end(), 1));
            // crossplane gives a comment inside a directive the directive's line.
            let line_at = inside.map_or(c.range.start(), |d| d.name.range.start());
            items.push((key, Item::C(c, line_at)));
        }
    }
    items.sort_by_key(|(k, _)| *k);
    for (_, item) in items {
        match item {
            Item::C(c, at) => out.push((
                depth,
                "#".into(),
                line(index, at),
                vec![],
                Some(c.text.clone()),
                None,
            )),
            Item::D(d) => {
                if ignore.contains(&d.name.value) {
                    continue;
                }
                let args = d.args.iter().map(crossplane_value).collect();
                out.push((
                    depth,
                    crossplane_value(&d.name),
                    line(index, d.name.range.start()),
                    args,
                    None,
                    None,
                ));
                let kids: Vec<&Directive> = tree
                    .node(d.id)
                    .map(|n| n.children().map(nginx::DirectiveRef::data).collect())
                    .unwrap_or_default();
                emit(
                    index,
                    tree,
                    Some(d.id),
                    &kids,
                    depth + 1,
                    comments,
                    ignore,
                    out,
                );
            }
        }
    }
}

struct Outcome {
    name: String,
    ok: bool,
}

fn report(name: &str, expected: &[Entry], got: &[Entry], outcomes: &mut Vec<Outcome>) {
    let ok = expected == got;
    if !ok {
        eprintln!("crossplane case {name} differs:\n  expected {expected:?}\n  got      {got:?}");
    }
    outcomes.push(Outcome {
        name: name.to_owned(),
        ok,
    });
}

#[test]
fn crossplane_conformance() {
    let Some(corpus) = nginx_common::corpus() else {
        return;
    };
    let dir = corpus.join("peer-suites/crossplane");
    let read_json = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap_or_default())
            .unwrap_or(Value::Null)
    };
    let to_path = |s: &str| -> PathBuf { dir.join(s.trim_start_matches("<tests>/")) };
    let to_name =
        |p: &Path| -> String { format!("<tests>/{}", p.strip_prefix(&dir).unwrap_or(p).display()) };
    let mut outcomes = Vec::new();

    // Lexer cases.
    let lex = read_json("expected-lex.json");
    for (name, case) in lex["cases"].as_object().into_iter().flatten() {
        let text = nginx_common::read_lossy(&to_path(case["config"].as_str().unwrap_or("")));
        let ours = tokens(&text);
        for exp in case["expected"].as_array().into_iter().flatten() {
            let ok = if exp["form"] == "token_line" {
                let want: Vec<(String, i64)> = exp["tokens"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| {
                        (
                            t[0].as_str().unwrap_or("").to_owned(),
                            t[1].as_i64().unwrap_or(0),
                        )
                    })
                    .collect();
                if want != ours {
                    eprintln!(
                        "crossplane lex {name} differs:\n  expected {want:?}\n  got      {ours:?}"
                    );
                }
                want == ours
            } else {
                let want: Vec<&str> = exp["tokens"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| t.as_str().unwrap_or(""))
                    .collect();
                let got: Vec<&str> = ours.iter().map(|(t, _)| t.as_str()).collect();
                if want != got {
                    eprintln!(
                        "crossplane lex {name} differs:\n  expected {want:?}\n  got      {got:?}"
                    );
                }
                want == got
            };
            outcomes.push(Outcome {
                name: format!("lex {name}"),
                ok,
            });
        }
    }

    // Parser cases.
    let parse = read_json("expected-parse.json");
    for (name, calls) in parse["cases"].as_object().into_iter().flatten() {
        for (k, call) in calls.as_array().into_iter().flatten().enumerate() {
            let case = format!("parse {name}#{k}");
            let kwargs = &call["kwargs"];
            if kwargs.get("strict").is_some_and(|v| v == true) {
                continue;
            }
            let comments = kwargs.get("comments").is_some_and(|v| v == true);
            let single = kwargs.get("single").is_some_and(|v| v == true);
            let ignore: Vec<String> = kwargs["ignore"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let main = to_path(call["args"][0].as_str().unwrap_or(""));
            let root = main.parent().unwrap_or(&dir).to_path_buf();
            let files = nginx_common::files_under(&root);
            let expected = &call["expected"];

            if kwargs.get("combine").is_some_and(|v| v == true) {
                let parsed: Vec<(PathBuf, String, NginxConfig)> = files
                    .iter()
                    .map(|f| {
                        let text = nginx_common::read_lossy(f);
                        let tree = nginx::parse(&text).tree;
                        (f.clone(), text, tree)
                    })
                    .collect();
                let lookup = |p: &Path| {
                    parsed
                        .iter()
                        .find(|(q, ..)| q == p)
                        .map(|(q, _, c)| (q.as_path(), c))
                };
                let flat = flatten(&main, lookup, |pattern, from| {
                    nginx_resolver(&root, &IncludeFiles::new(&files)).resolve(pattern, from)
                });
                let mut got = Vec::new();
                let mut skipped_depth = 0;
                for fd in &flat.directives {
                    if fd.directive.is("include") {
                        skipped_depth += 1;
                        continue;
                    }
                    let text = &parsed
                        .iter()
                        .find(|(q, ..)| q == fd.file)
                        .map(|(_, t, _)| t.clone())
                        .unwrap_or_default();
                    let index = LineIndex::new(text);
                    // An included file's directives sit at the include's depth; crossplane's
                    // combined tree has no include node, so depth is unchanged.
                    got.push((
                        fd.depth,
                        fd.directive.name.value.clone(),
                        line(&index, fd.directive.name.range.start()),
                        fd.directive.args.iter().map(crossplane_value).collect(),
                        None,
                        Some(to_name(fd.file)),
                    ));
                }
                let _ = skipped_depth;
                let mut want = Vec::new();
                expected_entries(&expected["config"][0]["parsed"], 0, &ignore, &mut want);
                report(&case, &want, &got, &mut outcomes);
                continue;
            }

            let mut ok = true;
            let configs = expected["config"].as_array().cloned().unwrap_or_default();
            let names: Vec<String> = configs
                .iter()
                .map(|c| c["file"].as_str().unwrap_or("").to_owned())
                .collect();
            for config in &configs {
                let file = to_path(config["file"].as_str().unwrap_or(""));
                let text = nginx_common::read_lossy(&file);
                let parsed = nginx::parse(&text);
                let mut want = Vec::new();
                expected_entries(&config["parsed"], 0, &ignore, &mut want);
                let got = our_entries(&text, &parsed.tree, comments, &ignore);
                if want != got {
                    ok = false;
                    eprintln!(
                        "crossplane {case} {} differs:\n  expected {want:?}\n  got      {got:?}",
                        file.display()
                    );
                }
                // Syntax errors: crossplane's "not terminated" errors at the same lines.
                let index = LineIndex::new(&text);
                let want_lines: Vec<i64> = config["errors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|e| {
                        e["error"]
                            .as_str()
                            .is_some_and(|m| !m.contains("No such file"))
                    })
                    .map(|e| e["line"].as_i64().unwrap_or(0))
                    .collect();
                let got_lines: Vec<i64> = parsed
                    .errors
                    .iter()
                    .map(|e| line(&index, e.range.start()))
                    .collect();
                if want_lines != got_lines {
                    ok = false;
                    eprintln!(
                        "crossplane {case} error lines: expected {want_lines:?}, got {got_lines:?} {:?}",
                        parsed.errors
                    );
                }
                // Includes: the files each `include` names, as crossplane resolved them.
                if !single {
                    let mut want_inc = Vec::new();
                    collect_includes(&config["parsed"], &names, &mut want_inc);
                    let got_inc: Vec<Vec<String>> = parsed
                        .tree
                        .find_all("include")
                        .map(|d| {
                            nginx_resolver(&root, &IncludeFiles::new(&files))
                                .resolve(d.arg(0).unwrap_or(""), &file)
                                .iter()
                                .map(|p| to_name(p))
                                .collect()
                        })
                        .collect();
                    if want_inc != got_inc {
                        ok = false;
                        eprintln!(
                            "crossplane {case} includes: expected {want_inc:?}, got {got_inc:?}"
                        );
                    }
                }
            }
            outcomes.push(Outcome { name: case, ok });
        }
    }

    let passed = outcomes.iter().filter(|o| o.ok).count();
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.ok)
        .map(|o| o.name.as_str())
        .collect();
    println!("crossplane: {passed}/{} cases match", outcomes.len());
    eprintln!(
        "crossplane: {passed}/{} cases match; differing: {failed:?}",
        outcomes.len()
    );
    assert_eq!(outcomes.len(), 17, "the suite changed");
    let known = ["lex test_messy_config"];
    assert!(
        failed.iter().all(|f| known.contains(f)),
        "differing: {failed:?}"
    );
    assert!(passed >= 16, "differing: {failed:?}");
}

/// nginx's resolution: relative to the config root only.
fn nginx_resolver<'a>(root: &'a Path, files: &'a IncludeFiles) -> IncludeResolver<'a> {
    IncludeResolver {
        project_root: root,
        config_root: root,
        mounts: &[],
        files,
        including_dir_fallback: false,
    }
}

fn collect_includes(list: &Value, names: &[String], out: &mut Vec<Vec<String>>) {
    for item in list.as_array().into_iter().flatten() {
        if let Some(includes) = item.get("includes") {
            out.push(
                includes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| {
                        i.as_u64()
                            .and_then(|i| names.get(usize::try_from(i).ok()?))
                            .cloned()
                    })
                    .collect(),
            );
        }
        if let Some(block) = item.get("block") {
            collect_includes(block, names, out);
        }
    }
}
