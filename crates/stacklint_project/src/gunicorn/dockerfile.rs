//! The Dockerfile front end: the gunicorn command of the final stage's `CMD`/`ENTRYPOINT`
//! as Docker runs it, and `ENV` lines (`GUNICORN_CMD_ARGS`, `WEB_CONCURRENCY`).
//!
//! Docker's rules: an exec-form `ENTRYPOINT` gets the `CMD` array appended (a shell-form
//! `CMD` as `/bin/sh -c "..."`); a shell-form `ENTRYPOINT` runs `/bin/sh -c "..."` and
//! ignores `CMD`. An `ENTRYPOINT` script of the project that ends in `exec "$@"` runs the
//! `CMD` (with what the script exported). A stage built `FROM` an earlier stage inherits
//! its `CMD`, `ENTRYPOINT` and `ENV`.
//!
//! Every word keeps a byte map back to the Dockerfile: an exec-form element maps into
//! its JSON string (escapes decoded), a shell form through its continuation lines. Flags
//! read from exec-form elements are [`ValueSyntax::Json`] and new flags go into the array
//! after its last element; inside `sh -c "..."` they are shell words.

use std::path::Path;

use stacklint_syntax::dockerfile::{Dockerfile, ExecForm, Instruction, JsonString, Keyword, ShellText, Stage};
use stacklint_syntax::shell::{self, Token, Word};
use stacklint_text::TextRange;

use super::edit::ArgvStyle;
use super::frontends::FoundCommand;
use super::{CommandSource, ValueSyntax};

/// A project file the Dockerfile front end may look into (entrypoint scripts).
pub(crate) struct ScriptFile<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

/// The gunicorn commands the Dockerfile's final stage runs.
pub(crate) fn from_dockerfile(path: &Path, text: &str, df: &Dockerfile, scripts: &[ScriptFile<'_>]) -> Vec<FoundCommand> {
    let stages = df.stages();
    let Some(last) = stages.last() else { return Vec::new() };
    // The final stage and the stages it is built `FROM`, base first.
    let chain: Vec<Stage<'_>> = stacklint_syntax::dockerfile::stage_chain(&stages, last.index).into_iter().filter_map(|i| stages.get(i).copied()).collect();
    let find = |kw: &Keyword| chain.iter().rev().find_map(|s| s.instructions.iter().rev().find(|i| &i.keyword == kw));
    let entrypoint = find(&Keyword::Entrypoint);
    let cmd = find(&Keyword::Cmd);
    let exported = env_words(text, &chain);

    let mut words: Vec<Word> = Vec::new();
    match entrypoint {
        Some(e) if e.shell_text().is_some() => words.extend(shell_form_words(e.shell_text())),
        Some(e) => {
            words.extend(exec_words(text, e.exec()));
            words.extend(cmd_words(text, cmd));
        }
        None => words.extend(cmd_words(text, cmd)),
    }
    let mut found = find_gunicorn(&words);
    // `ENTRYPOINT ["/docker-entrypoint.sh"]` + `exec "$@"`: the CMD is the command.
    if found.is_empty()
        && let Some(e) = entrypoint.filter(|e| e.is_exec_form())
        && let Some(script) = e.exec().and_then(|x| x.elements.first()).and_then(|first| entrypoint_script(&first.value, scripts))
        && passes_args(script.text)
    {
        found = find_gunicorn(&cmd_words(text, cmd));
    }
    let instructions: Vec<&Instruction> = [entrypoint, cmd].into_iter().flatten().collect();
    found
        .into_iter()
        .map(|inv| {
            let at = inv.program.range.start();
            let instruction = instructions.iter().find(|i| i.range.contains(at)).copied();
            let exec_form = instruction.is_some_and(Instruction::is_exec_form);
            let keyword = instruction.map_or("CMD", |i| i.keyword.as_str()).to_owned();
            let (syntax, style) = if inv.depth == 0 {
                let last = inv.args.last().unwrap_or(&inv.program);
                (ValueSyntax::Json, Some(ArgvStyle::JsonArray { offset: last.range.end() }))
            } else {
                (ValueSyntax::Shell, Some(ArgvStyle::Shell { offset: inv.append_offset(), continuation_indent: None }))
            };
            let anchor = instruction.map(|i| i.range);
            FoundCommand {
                file: path.to_path_buf(),
                source: CommandSource::Dockerfile { instruction: keyword, exec_form },
                inv,
                exported: exported.clone(),
                base_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
                syntax,
                style,
                anchor,
            }
        })
        .collect()
}

/// `ENV NAME=value` pairs as shell assignment words, in order (base stages first).
fn env_words(text: &str, chain: &[Stage<'_>]) -> Vec<Word> {
    let mut out = Vec::new();
    for stage in chain {
        for env in stage.instructions.iter().filter(|i| i.keyword == Keyword::Env) {
            for kv in env.key_values() {
                let Some(value) = &kv.value else { continue };
                if kv.legacy {
                    // `ENV NAME value`: the rest of the line is the value.
                    let name = kv.key.value.as_str();
                    let mut map: Vec<usize> = (0..name.len()).map(|i| kv.key.range.start() + i).collect();
                    map.push(kv.key.range.end());
                    let content_start = if value.raw.len() == value.value.len() + 2 && value.raw.ends_with(['"', '\'']) { value.range.start() + 1 } else { value.range.start() };
                    let contiguous = value.raw.len() == value.value.len() || content_start != value.range.start();
                    if !contiguous {
                        continue;
                    }
                    map.extend((0..value.value.len()).map(|i| content_start + i));
                    out.push(Word::with_map(format!("{name}={}", value.value), kv.range, map));
                    continue;
                }
                let tokens = shell::split_range(text, kv.range).tree;
                if let Some(Token::Word(w)) = tokens.into_iter().next()
                    && w.is_assignment()
                {
                    out.push(w);
                }
            }
        }
    }
    out
}

/// The words of a CMD as Docker appends them to an exec-form ENTRYPOINT.
fn cmd_words(text: &str, cmd: Option<&Instruction>) -> Vec<Word> {
    match cmd {
        Some(c) if c.shell_text().is_some() => shell_form_words(c.shell_text()),
        Some(c) => exec_words(text, c.exec()),
        None => Vec::new(),
    }
}

/// A shell form runs as `/bin/sh -c "<text>"`; the script word maps back through the
/// continuation lines.
fn shell_form_words(st: Option<&ShellText>) -> Vec<Word> {
    let Some(st) = st else { return Vec::new() };
    let start = st.range().start();
    let map: Vec<usize> = (0..st.len()).map(|i| st.source_offset(i)).collect();
    let mut script = Word::with_map(st.as_str(), st.range(), map);
    script.quoted = true;
    vec![Word::with_map("/bin/sh", TextRange::empty(start), vec![start; 7]), Word::with_map("-c", TextRange::empty(start), vec![start; 2]), script]
}

fn exec_words(text: &str, exec: Option<&ExecForm>) -> Vec<Word> {
    exec.map(|e| e.elements.iter().map(|s| json_word(text, s)).collect()).unwrap_or_default()
}

/// A JSON string element as a shell word whose value bytes map into the literal.
fn json_word(text: &str, s: &JsonString) -> Word {
    let raw = s.range.slice(text);
    match decode_json_string(raw, s.range.start()) {
        Some((value, map)) if value == s.value => {
            let mut w = Word::with_map(value, s.range, map);
            w.quoted = true;
            w
        }
        // Could not map: the value stays readable, its range is not editable in place.
        _ => {
            let mut w = Word::with_map(s.value.clone(), s.range, Vec::new());
            w.quoted = true;
            w.has_expansion = false;
            w
        }
    }
}

/// Decode a JSON string literal (`"..."`, at source offset `at`) with the source offset
/// of every decoded byte. `None` when it is not a plain JSON string.
fn decode_json_string(raw: &str, at: usize) -> Option<(String, Vec<usize>)> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let base = at + 1;
    let mut value = String::new();
    let mut map = Vec::new();
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            let before = value.len();
            value.push(c);
            map.extend((0..value.len() - before).map(|k| base + i + k));
            continue;
        }
        let (_, e) = chars.next()?;
        let decoded = match e {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let hex: String = (0..4).filter_map(|_| chars.next().map(|(_, h)| h)).collect();
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            _ => return None,
        };
        let before = value.len();
        value.push(decoded);
        // every byte of an escape maps to the backslash: not contiguous with its neighbours
        map.extend((0..value.len() - before).map(|_| base + i));
    }
    Some((value, map))
}

fn find_gunicorn(words: &[Word]) -> Vec<shell::Invocation> {
    let tokens: Vec<Token> = words.iter().cloned().map(Token::Word).collect();
    shell::find_commands(&tokens, "gunicorn")
}

/// The project script an ENTRYPOINT names (`/docker-entrypoint.sh`, `./entrypoint.sh`),
/// by the longest path suffix that matches.
fn entrypoint_script<'s, 'a>(value: &str, scripts: &'s [ScriptFile<'a>]) -> Option<&'s ScriptFile<'a>> {
    let comps: Vec<&str> = value.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    for skip in 0..comps.len() {
        let suffix = comps.get(skip..).unwrap_or(&[]).join("/");
        let hits: Vec<&ScriptFile<'_>> = scripts.iter().filter(|s| crate::path_ends_with(s.path, &suffix)).collect();
        if let [one] = hits.as_slice() {
            return Some(one);
        }
    }
    None
}

/// Whether a script runs its arguments (`exec "$@"`).
fn passes_args(text: &str) -> bool {
    let tokens = shell::join_template_words(text, shell::split(text).tree);
    shell::simple_commands(&tokens).iter().any(|c| c.words.first().is_some_and(|w| w.value == "exec") && c.words.get(1).is_some_and(|w| w.value == "$@" || w.value == "${@}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_map_to_their_bytes() {
        let (v, map) = decode_json_string(r#""a\"b""#, 10).unwrap();
        assert_eq!(v, "a\"b");
        assert_eq!(map, [11, 12, 14]);
        assert!(decode_json_string("\"x\\q\"", 0).is_none());
    }

    fn build(files: &[(&str, &str)]) -> Vec<crate::gunicorn::GunicornProcess> {
        let files: Vec<(std::path::PathBuf, crate::FileKind, &str)> = files.iter().map(|(p, t)| (std::path::PathBuf::from(p), crate::FileKind::from_path(Path::new(p)).unwrap_or(crate::FileKind::Python), *t)).collect();
        crate::gunicorn::build_processes(&files, &crate::gunicorn::BuildOptions::default())
    }

    fn fixed(text: &str, edits: &[stacklint_diagnostics::Edit]) -> String {
        stacklint_diagnostics::apply_edits(text, edits).0
    }

    #[test]
    fn exec_form_values_and_insertions() {
        let df = "FROM python:3.12\nENV WEB_CONCURRENCY=2\nCMD [\"gunicorn\", \"app.asgi:application\", \"-k\", \"uvicorn.workers.UvicornWorker\", \"--workers\", \"3\"]\n";
        let procs = build(&[("Dockerfile", df)]);
        let [p] = procs.as_slice() else { panic!("{procs:?}") };
        assert!(p.in_container);
        assert_eq!(p.app.as_ref().unwrap().value, "app.asgi:application");
        let w = p.get("workers").unwrap();
        assert_eq!(w.value.as_int(), Some(3));
        assert_eq!(w.origin.syntax, ValueSyntax::Json);
        let mut edits = vec![w.replace_value("9").unwrap()];
        edits.extend(p.insert_settings(&[("max_requests", "1000")]));
        assert_eq!(fixed(df, &edits), df.replace("\"3\"]", "\"9\", \"--max-requests\", \"1000\"]"));
        assert_eq!(p.anchor.range.slice(df).lines().next().unwrap(), "CMD [\"gunicorn\", \"app.asgi:application\", \"-k\", \"uvicorn.workers.UvicornWorker\", \"--workers\", \"3\"]");
        // WEB_CONCURRENCY is overridden by --workers but still read
        assert_eq!(p.get_all("workers").len(), 2);
    }

    #[test]
    fn shell_form_and_sh_c() {
        let df = "FROM python:3.11\nCMD gunicorn app.main:app \\\n    --worker-class uvicorn.workers.UvicornWorker --bind 0.0.0.0:8000\n";
        let procs = build(&[("Dockerfile", df)]);
        let [p] = procs.as_slice() else { panic!("{procs:?}") };
        let k = p.get("worker_class").unwrap();
        assert_eq!(k.origin.value_range.unwrap().slice(df), "uvicorn.workers.UvicornWorker");
        let edits = p.insert_settings(&[("max_requests", "1000")]);
        assert_eq!(fixed(df, &edits), df.replace("0.0.0.0:8000", "0.0.0.0:8000 --max-requests 1000"));

        let df = "FROM python:3.11\nENTRYPOINT [\"sh\", \"-c\", \"python manage.py migrate && exec gunicorn app.wsgi -w 2\"]\nCMD [\"ignored\"]\n";
        let procs = build(&[("Dockerfile", df)]);
        let [p] = procs.as_slice() else { panic!("{procs:?}") };
        let w = p.get("workers").unwrap();
        let mut edits = vec![w.replace_value("9").unwrap()];
        edits.extend(p.insert_settings(&[("max_requests", "1000")]));
        assert_eq!(fixed(df, &edits), df.replace("-w 2", "-w 9 --max-requests 1000"));
    }

    #[test]
    fn entrypoint_and_cmd_combined() {
        let df = "FROM python:3.12 AS base\nENV GUNICORN_CMD_ARGS=\"--timeout 90\"\nENTRYPOINT [\"gunicorn\"]\nFROM base\nCMD [\"app.wsgi\", \"--threads\", \"4\"]\n";
        let procs = build(&[("Dockerfile", df)]);
        let [p] = procs.as_slice() else { panic!("{procs:?}") };
        assert_eq!(p.get("threads").unwrap().value.as_int(), Some(4));
        assert_eq!(p.get("timeout").unwrap().origin.value_range.unwrap().slice(df), "90");
        let edits = p.insert_settings(&[("max_requests", "1000")]);
        assert_eq!(fixed(df, &edits), df.replace("\"4\"]", "\"4\", \"--max-requests\", \"1000\"]"));
        // shell-form ENTRYPOINT ignores CMD
        let df = "FROM python:3.12\nENTRYPOINT gunicorn app.wsgi\nCMD [\"--workers\", \"3\"]\n";
        let procs = build(&[("Dockerfile", df)]);
        assert!(procs[0].get("workers").is_none());
    }

    #[test]
    fn entrypoint_script_runs_cmd() {
        let script = "#!/bin/sh\nset -e\npython manage.py migrate\nexec \"$@\"\n";
        let df = "FROM python:3.12\nCOPY docker-entrypoint.sh /\nENTRYPOINT [\"/docker-entrypoint.sh\"]\nCMD [\"gunicorn\", \"app.wsgi\", \"-c\", \"/app/conf/gunicorn.py\"]\n";
        let procs = build(&[("Dockerfile", df), ("docker-entrypoint.sh", script), ("conf/gunicorn.py", "workers = 5\n")]);
        let [p] = procs.as_slice() else { panic!("{procs:?}") };
        assert_eq!(p.get("workers").unwrap().value.as_int(), Some(5));
        assert_eq!(p.config_file.as_ref().unwrap().resolved.as_deref(), Some(Path::new("conf/gunicorn.py")));
    }

    #[test]
    fn passes_args_reads_exec() {
        assert!(passes_args("#!/bin/sh\nset -e\npython manage.py migrate\nexec \"$@\"\n"));
        assert!(!passes_args("#!/bin/sh\nexec gunicorn app:app\n"));
    }
}
