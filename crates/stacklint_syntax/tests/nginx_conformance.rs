//! Agreement with the real `nginx -t` over the corpus, and a no-panic sweep.
//!
//! For every nginx file of the corpus, `nginx -t` decides: accepted, rejected for
//! syntax (the tokenizer's errors: `unexpected "x"`, `unexpected end of file`,
//! `... is not terminated by ";"`) or rejected for something else (unknown directive,
//! missing include, unresolvable host: nginx stops there, so the syntax of the rest is
//! unknown and the file is not counted). Snippets are wrapped in `http`, `server` or
//! `location` when nginx says their directives are not allowed at the top level. The
//! corpus files are read in place; only the wrappers go to a temporary folder.
//!
//! Accepted files must parse with no error; files rejected for syntax must give at
//! least one.

mod nginx_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use stacklint_syntax::nginx;

fn nginx_files(corpus: &Path) -> Vec<PathBuf> {
    let mut files = nginx_common::files_under(&corpus.join("nginx"));
    files.extend(nginx_common::files_under(
        &corpus.join("peer-suites/crossplane/configs"),
    ));
    files.extend(
        nginx_common::files_under(&corpus.join("peer-suites/gixy"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "conf")),
    );
    files
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Syntax {
        message: String,
        line: Option<usize>,
    },
    Other(String),
}

fn nginx_available() -> bool {
    Command::new("nginx")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `nginx -t` on `conf` with `prefix` and returns the first `[emerg]` line, or
/// `None` when the test passed.
fn nginx_test(prefix: &Path, conf: &Path) -> Option<String> {
    let output = Command::new("nginx")
        .arg("-t")
        .arg("-q")
        .arg("-p")
        .arg(format!("{}/", prefix.display()))
        .arg("-c")
        .arg(conf)
        .arg("-g")
        .arg(format!(
            "pid {}/nginx.pid; error_log stderr;",
            prefix.display()
        ))
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        return None;
    }
    let first = stderr
        .lines()
        .find(|l| l.contains("[emerg]"))
        .unwrap_or(stderr.lines().next().unwrap_or("failed"));
    Some(first.to_owned())
}

fn is_context_error(message: &str) -> bool {
    message.contains("is not allowed here") || message.contains("no \"events\" section")
}

fn is_syntax_error(message: &str) -> bool {
    message.contains("unexpected \"")
        || message.contains("unexpected end of file")
        || message.contains("unexpected end of parameter")
        || message.contains("is not terminated by \";\"")
}

fn verdict(prefix: &Path, file: &Path, n: usize) -> Verdict {
    let wrappers = [
        None,
        Some(("events {}\nhttp {\n", "\n}\n")),
        Some(("events {}\nhttp {\nserver {\n", "\n}\n}\n")),
        Some(("events {}\nhttp {\nserver {\nlocation / {\n", "\n}\n}\n}\n")),
    ];
    let mut last = None;
    for (k, wrapper) in wrappers.iter().enumerate() {
        let conf = match wrapper {
            None => file.to_path_buf(),
            Some((open, close)) => {
                let conf = prefix.join(format!("wrap-{n}-{k}.conf"));
                let text = format!("{open}include \"{}\";{close}", file.display());
                if std::fs::write(&conf, text).is_err() {
                    return Verdict::Other("cannot write wrapper".into());
                }
                conf
            }
        };
        match nginx_test(prefix, &conf) {
            None => return Verdict::Accepted,
            Some(message) if is_context_error(&message) => last = Some(message),
            Some(message) if is_syntax_error(&message) => {
                let file_text = file.display().to_string();
                let line = message
                    .rsplit_once(&format!("{file_text}:"))
                    .and_then(|(_, l)| l.trim().parse().ok());
                return Verdict::Syntax { message, line };
            }
            Some(message) => return Verdict::Other(message),
        }
    }
    Verdict::Other(last.unwrap_or_default())
}

#[test]
fn nginx_t_agreement() {
    let Some(corpus) = nginx_common::corpus() else {
        return;
    };
    if !nginx_available() {
        assert!(
            !nginx_common::require_oracles(),
            "STACKLINT_REQUIRE_ORACLES=1 but nginx is not installed"
        );
        eprintln!("SKIPPED: nginx not installed");
        println!("SKIPPED: nginx not installed");
        return;
    }
    let prefix = std::env::temp_dir().join(format!("stacklint-nginx-t-{}", std::process::id()));
    let _ = std::fs::create_dir_all(prefix.join("logs"));

    let (mut accepted, mut accepted_clean, mut rejected, mut flagged, mut same_line, mut other) =
        (0, 0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    for (n, file) in nginx_files(&corpus).iter().enumerate() {
        let text = nginx_common::read_lossy(file);
        let parsed = nginx::parse(&text);
        let index = stacklint_text::LineIndex::new(&text);
        match verdict(&prefix, file, n) {
            Verdict::Accepted => {
                accepted += 1;
                if parsed.errors.is_empty() {
                    accepted_clean += 1;
                } else {
                    failures.push(format!(
                        "nginx accepts {} but we report {:?}",
                        file.display(),
                        parsed.errors
                    ));
                }
            }
            Verdict::Syntax { message, line } => {
                rejected += 1;
                if let Some(first) = parsed.errors.first() {
                    flagged += 1;
                    let ours = index.line_of(first.range.start()) + 1;
                    if line == Some(ours) {
                        same_line += 1;
                    } else {
                        eprintln!(
                            "{}: nginx {message} / ours line {ours}: {}",
                            file.display(),
                            first.message
                        );
                    }
                } else {
                    failures.push(format!(
                        "nginx rejects {} ({message}) but we report nothing",
                        file.display()
                    ));
                }
            }
            Verdict::Other(message) => {
                other += 1;
                if std::env::var_os("STACKLINT_VERBOSE").is_some() {
                    eprintln!("{}: not counted: {message}", file.display());
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&prefix);
    println!(
        "nginx -t: accepted {accepted}, parsed cleanly {accepted_clean}; rejected for syntax {rejected}, flagged {flagged} \
         (first error on nginx's line: {same_line}); other errors (not counted) {other}"
    );
    eprintln!(
        "nginx -t: accepted {accepted}, parsed cleanly {accepted_clean}; rejected for syntax {rejected}, flagged {flagged} \
         (first error on nginx's line: {same_line}); other errors (not counted) {other}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_sweep_no_panic_ranges_in_bounds() {
    let Some(corpus) = nginx_common::corpus() else {
        return;
    };
    let files = nginx_files(&corpus);
    assert!(files.len() > 100, "only {} nginx files", files.len());
    for file in &files {
        let text = nginx_common::read_lossy(file);
        let parsed = nginx::parse(&text);
        let fits = |r: stacklint_text::TextRange| {
            r.end() <= text.len()
                && text.is_char_boundary(r.start())
                && text.is_char_boundary(r.end())
        };
        for d in parsed.tree.directives() {
            assert!(
                fits(d.range) && fits(d.name.range),
                "{}: {d:?}",
                file.display()
            );
            assert!(d.range.contains_range(d.name.range));
            for a in &d.args {
                assert!(
                    fits(a.range) && a.range.slice(&text) == a.raw,
                    "{}: {a:?}",
                    file.display()
                );
                assert!(d.range.contains_range(a.range));
            }
            if let Some(b) = &d.block {
                assert!(fits(b.open) && fits(b.content) && b.close.is_none_or(fits));
            }
        }
        for c in parsed.tree.comments() {
            assert!(fits(c.range));
        }
        for e in &parsed.errors {
            assert!(fits(e.range), "{}: {e:?}", file.display());
        }
        let _ = parsed.tree.debug_tree();
    }
}
