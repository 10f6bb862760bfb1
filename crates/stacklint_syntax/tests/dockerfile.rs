//! Focused tests of the Dockerfile parser on tricky input.

use std::fmt::Write as _;

use stacklint_syntax::dockerfile::{Arguments, Dockerfile, Healthcheck, Instruction, Keyword, ShellText, parse};
use stacklint_text::TextRange;

/// Parses and checks the invariants every tree must hold: ranges inside the text, on
/// char boundaries, instructions in order.
fn check(src: &str) -> (Dockerfile, Vec<String>) {
    let parsed = parse(src);
    for r in parsed.tree.ranges().into_iter().chain(parsed.errors.iter().map(|e| e.range)) {
        assert!(r.end() <= src.len(), "range {r:?} out of text");
        assert!(src.is_char_boundary(r.start()) && src.is_char_boundary(r.end()), "range {r:?} splits a char");
    }
    for w in parsed.tree.instructions.windows(2) {
        if let [a, b] = w {
            assert!(a.range.end() <= b.range.start(), "instructions overlap: {:?} {:?}", a.range, b.range);
        }
    }
    (parsed.tree, parsed.errors.into_iter().map(|e| e.message).collect())
}

fn shell(i: &Instruction) -> &str {
    i.shell_text().map_or("<not shell>", |s| s.as_str())
}

#[test]
fn heredoc_basic_and_chomp() {
    let src = "FROM alpine\nRUN <<EOF\necho hi\nEOF\nRUN <<-EOT bash\n\t\techo tabbed\n\tEOT\nCMD x\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(df.instructions.len(), 4);
    let run = &df.instructions[1];
    assert_eq!(shell(run), "<<EOF");
    let h = &run.heredocs[0];
    assert_eq!((h.name.as_str(), h.chomp, h.expand), ("EOF", false, true));
    assert_eq!(h.content, "echo hi\n");
    assert_eq!(h.marker_range.slice(src), "<<EOF");
    assert_eq!(h.terminator_range.map(|r| r.slice(src)), Some("EOF"));
    assert_eq!(run.range.slice(src), "RUN <<EOF\necho hi\nEOF");
    let chomped = &df.instructions[2].heredocs[0];
    assert!(chomped.chomp);
    assert_eq!(chomped.content, "echo tabbed\n");
    assert_eq!(chomped.content_range.slice(src), "\t\techo tabbed\n");
    assert_eq!(df.instructions[3].keyword, Keyword::Cmd);
}

#[test]
fn heredoc_quoted_and_several_on_one_line() {
    let src = "COPY <<a <<\"b\" /dest/\nfile a\na\nfile $b\nb\nRUN <<'X' cat\n$HOME\nX\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    let copy = &df.instructions[0];
    assert_eq!(copy.heredocs.len(), 2);
    assert_eq!(copy.heredocs[0].content, "file a\n");
    assert_eq!((copy.heredocs[1].name.as_str(), copy.heredocs[1].expand), ("b", false));
    assert_eq!(copy.heredocs[1].content, "file $b\n");
    assert_eq!(copy.words().iter().map(|w| w.raw.as_str()).collect::<Vec<_>>(), ["<<a", "<<\"b\"", "/dest/"]);
    let run = &df.instructions[1];
    assert_eq!((run.heredocs[0].name.as_str(), run.heredocs[0].expand), ("X", false));
    assert_eq!(run.heredocs[0].content, "$HOME\n");
}

#[test]
fn heredoc_not_in_exec_form_or_without_space() {
    let (df, _) = check("RUN [\"cat\", \"<<EOF\"]\nRUN cat<<EOF\nCMD a\n");
    assert_eq!(df.instructions.len(), 3);
    assert!(df.instructions.iter().all(|i| i.heredocs.is_empty()));
}

#[test]
fn heredoc_without_end_marker_runs_to_eof() {
    let src = "FROM a\nRUN <<EOF\necho 1\nCMD never\n";
    let (df, errors) = check(src);
    assert_eq!(df.instructions.len(), 2);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("no end marker"), "{errors:?}");
    let h = &df.instructions[1].heredocs[0];
    assert_eq!(h.content, "echo 1\nCMD never\n");
    assert_eq!(h.terminator_range, None);
    assert_eq!(df.instructions[1].range.end(), src.len() - 1);
}

#[test]
fn heredoc_in_onbuild_and_crlf_terminator() {
    let src = "ONBUILD RUN <<EOF\r\necho x\r\nEOF\r\nCMD y\r\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(df.instructions.len(), 2);
    assert_eq!(df.instructions[0].heredocs[0].content, "echo x\r\n");
    assert_eq!(df.instructions[0].onbuild_trigger().map(|t| t.keyword.clone()), Some(Keyword::Run));
}

#[test]
fn continuation_with_comments_and_blank_lines() {
    let src = "RUN apt-get update \\\n  # the packages\n\n    && apt-get install -y \\\n      curl \\\n  # trailing comment\n      git\nUSER app\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(df.instructions.len(), 2);
    let run = &df.instructions[0];
    let sh = run.shell_text().expect("shell form");
    assert_eq!(sh.as_str(), "apt-get update     && apt-get install -y       curl       git");
    // A word on a continuation line maps back to its exact bytes.
    for word in ["curl", "git", "update", "install"] {
        let at = sh.as_str().find(word).expect("word");
        assert_eq!(sh.source_range(TextRange::new(at, at + word.len())).slice(src), word);
    }
    // A range across a continuation covers it.
    let at = sh.as_str().find("-y").expect("-y");
    let to = sh.as_str().find("curl").expect("curl") + 4;
    assert_eq!(sh.source_range(TextRange::new(at, to)).slice(src), "-y \\\n      curl");
    assert_eq!(df.comments.len(), 2);
    assert_eq!(df.comments[0].text, "the packages");
    assert!(run.range.contains_range(df.comments[1].range));
    assert_eq!(run.range.slice(src).lines().last(), Some("      git"));
}

#[test]
fn continuation_with_trailing_whitespace_and_at_eof() {
    let (df, errors) = check("RUN echo a \\  \t\n  b\nRUN echo c \\");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(shell(&df.instructions[0]), "echo a   b");
    assert_eq!(shell(&df.instructions[1]), "echo c");
}

#[test]
fn escaped_escape_is_not_a_continuation() {
    let (df, _) = check("ENV C trailing\\\\\nENV D x\n");
    assert_eq!(df.instructions.len(), 2);
    assert_eq!(df.instructions[0].key_values()[0].value.as_ref().map(|v| v.raw.as_str()), Some("trailing\\\\"));
}

#[test]
fn escape_directive_backtick() {
    let src = "# escape=`\n# syntax=docker/dockerfile:1\n\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN powershell -Command `\n    Write-Host C:\\path\\ ; `\n    exit 0\nWORKDIR C:\\app\\\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(df.escape, '`');
    assert_eq!(df.directives.len(), 2);
    assert_eq!(df.directive("syntax").map(|d| d.value.as_str()), Some("docker/dockerfile:1"));
    assert_eq!(df.directives[0].value_range.slice(src), "`");
    assert_eq!(df.instructions.len(), 3);
    assert_eq!(shell(&df.instructions[1]), "powershell -Command     Write-Host C:\\path\\ ;     exit 0");
    assert_eq!(df.instructions[2].text().map(ShellText::as_str), Some("C:\\app\\"));
}

#[test]
fn directives_stop_at_first_other_line() {
    let (df, _) = check("# comment\n# escape=`\nFROM a \\\n  AS b\n");
    assert!(df.directives.is_empty());
    assert_eq!(df.escape, '\\');
    assert_eq!(df.comments.len(), 2);
    let (df, _) = check("# syntax=x\n\n# escape=`\nFROM a\n");
    assert_eq!(df.directives.len(), 1);
    assert_eq!(df.escape, '\\');
    let (df, _) = check("#check=skip=JSONArgsRecommended;error=true\n#  Escape = ` \nFROM a\n");
    assert_eq!(df.directive("check").map(|d| d.value.as_str()), Some("skip=JSONArgsRecommended;error=true"));
    assert_eq!(df.escape, '`');
    let (df, errors) = check("# escape=x\n# escape=`\nFROM a\n");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(df.escape, '\\');
}

#[test]
fn hadolint_and_stacklint_comments() {
    let src = "FROM a\n# hadolint ignore=DL3008,DL3015\n# stacklint: ignore[SL101]\nRUN apt-get install x\n\n# detached\n\nCMD y\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    let above = df.comments_above(&df.instructions[1], src);
    assert_eq!(above.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), [
        "hadolint ignore=DL3008,DL3015",
        "stacklint: ignore[SL101]"
    ]);
    assert!(df.comments_above(&df.instructions[2], src).is_empty());
    assert!(df.comments_above(&df.instructions[0], src).is_empty());
    // A comment line inside a continued instruction belongs to it.
    let src = "RUN a \\\n# inner\n  b\nCMD c\n";
    let (df, _) = check(src);
    assert_eq!(df.instructions.len(), 2);
    assert_eq!(df.comments.len(), 1);
    assert!(df.comments_above(&df.instructions[1], src).is_empty());
}

#[test]
fn json_and_fallback() {
    let src = "CMD [\"gunicorn\", \"-b\", \"0.0.0.0:8000\", \"app:app\"]\nCMD ['single']\nCMD [\"unterminated\"\nENTRYPOINT [\"a\\u00e9\\n\"]\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    let exec = df.instructions[0].exec().expect("exec");
    assert_eq!(exec.elements.len(), 4);
    assert_eq!(exec.elements[2].range.slice(src), "\"0.0.0.0:8000\"");
    assert_eq!(exec.range.slice(src), "[\"gunicorn\", \"-b\", \"0.0.0.0:8000\", \"app:app\"]");
    assert_eq!(shell(&df.instructions[1]), "['single']");
    assert_eq!(shell(&df.instructions[2]), "[\"unterminated\"");
    assert_eq!(df.instructions[3].exec().map(|e| e.elements[0].value.as_str()), Some("aé\n"));
}

#[test]
fn json_across_continuation_lines() {
    let src = "CMD [\"gunicorn\", \\\n     \"--workers\", \"4\"]\n";
    let (df, _) = check(src);
    let exec = df.instructions[0].exec().expect("exec");
    assert_eq!(exec.elements[1].value, "--workers");
    assert_eq!(exec.elements[1].range.slice(src), "\"--workers\"");
}

#[test]
fn json_with_non_string_is_an_error() {
    let (df, errors) = check("CMD [\"a\", 1]\nCMD [ \"echo\", [ \"nested\" ] ]\n");
    assert_eq!(errors.len(), 2);
    assert_eq!(df.instructions.len(), 2);
}

#[test]
fn flags() {
    let src = "COPY --from=build --chown=app:app --link src/ /app/\nRUN --mount=type=cache,target=/root/.cache --network=none pip install .\nFROM --platform=$BUILDPLATFORM python:3.12 AS base\nHEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/ || exit 1\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    let copy = &df.instructions[0];
    assert_eq!(copy.flags.len(), 3);
    let from = copy.flag("from").expect("--from");
    assert_eq!(from.value.as_deref(), Some("build"));
    assert_eq!(from.range.slice(src), "--from=build");
    assert_eq!(from.name_range.slice(src), "from");
    assert_eq!(from.value_range.map(|r| r.slice(src)), Some("build"));
    let link = copy.flag("link").expect("--link");
    assert_eq!((link.value.as_deref(), link.value_range), (None, None));
    assert_eq!(copy.words().iter().map(|w| w.raw.as_str()).collect::<Vec<_>>(), ["src/", "/app/"]);
    let run = &df.instructions[1];
    assert_eq!(run.flag("mount").and_then(|f| f.value.as_deref()), Some("type=cache,target=/root/.cache"));
    assert_eq!(shell(run), "pip install .");
    let f = &df.instructions[2];
    assert_eq!(f.flag("platform").and_then(|f| f.value.as_deref()), Some("$BUILDPLATFORM"));
    let hc = &df.instructions[3];
    assert_eq!(hc.flag("interval").and_then(|f| f.value.as_deref()), Some("30s"));
    assert_eq!(hc.healthcheck().and_then(|h| h.kind.as_ref()).map(|k| k.raw.as_str()), Some("CMD"));
    assert_eq!(shell(hc), "curl -f http://localhost/ || exit 1");
}

#[test]
fn healthcheck_none_and_exec() {
    let (df, errors) = check("HEALTHCHECK NONE\nHEALTHCHECK CMD [\"/bin/check\"]\nHEALTHCHECK\n");
    assert!(errors.is_empty(), "{errors:?}");
    assert!(df.instructions[0].healthcheck().is_some_and(Healthcheck::is_none));
    assert_eq!(df.instructions[1].exec().map(|e| e.elements.len()), Some(1));
    assert!(df.instructions[2].healthcheck().is_some_and(|h| h.kind.is_none()));
}

#[test]
fn env_label_arg_values() {
    let src = "ENV A=1 B=\"two words\" C=three\\ words D=\nENV LEGACY some value here\nLABEL org.opencontainers.image.title='My app'\nARG VERSION\nARG PY=3.12\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    let kv = df.instructions[0].key_values();
    let pairs: Vec<(&str, &str, &str)> = kv
        .iter()
        .map(|kv| {
            let v = kv.value.as_ref().expect("value");
            (kv.key.raw.as_str(), v.raw.as_str(), v.value.as_str())
        })
        .collect();
    assert_eq!(pairs, [
        ("A", "1", "1"),
        ("B", "\"two words\"", "two words"),
        ("C", "three\\ words", "three words"),
        ("D", "", "")
    ]);
    assert_eq!(kv[1].value.as_ref().map(|v| v.range.slice(src)), Some("\"two words\""));
    assert_eq!(kv[1].range.slice(src), "B=\"two words\"");
    let legacy = &df.instructions[1].key_values()[0];
    assert!(legacy.legacy);
    assert_eq!(legacy.value.as_ref().map(|v| v.value.as_str()), Some("some value here"));
    let label = &df.instructions[2].key_values()[0];
    assert_eq!(label.value.as_ref().map(|v| v.value.as_str()), Some("My app"));
    assert!(df.instructions[3].key_values()[0].value.is_none());
    assert_eq!(df.instructions[4].key_values()[0].value.as_ref().map(|v| v.raw.as_str()), Some("3.12"));
}

#[test]
fn env_errors_recover() {
    let (df, errors) = check("ENV PATH\nENV a=1 b\nENV\nENV X=\"open\nRUN ok\n");
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert_eq!(df.instructions.len(), 5);
    assert_eq!(shell(&df.instructions[4]), "ok");
}

#[test]
fn from_image_refs_and_stages() {
    let src = "ARG PY=3.12\nFROM python:${PY:-3.12}-slim AS build\nRUN make\nFROM registry.example.com:5000/team/app@sha256:abc AS final\nCOPY --from=build /out /out\nFROM scratch\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    let stages = df.stages();
    assert_eq!(stages.len(), 3);
    assert_eq!(df.global_instructions().len(), 1);
    assert_eq!(stages[0].name(), Some("build"));
    assert_eq!(stages[0].instructions.len(), 2);
    let img = stages[0].image().expect("image");
    assert_eq!(img.name.raw, "python");
    assert_eq!(img.tag.as_ref().map(|t| t.range.slice(src)), Some("${PY:-3.12}-slim"));
    let img = stages[1].image().expect("image");
    assert_eq!(img.name.raw, "registry.example.com:5000/team/app");
    assert_eq!(img.tag, None);
    assert_eq!(img.digest.as_ref().map(|d| d.raw.as_str()), Some("sha256:abc"));
    assert_eq!(stages[2].name(), None);
    assert_eq!(df.instructions_of(&Keyword::From).count(), 3);
    let (_, errors) = check("FROM a b\nFROM\n");
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn keywords_case_insensitive_and_unknown_kept() {
    let (df, errors) = check("from alpine\nRuN echo hi\nFROBNICATE all the things\ncmd x\n");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("FROBNICATE"));
    assert_eq!(df.instructions.len(), 4);
    assert_eq!(df.instructions[1].keyword, Keyword::Run);
    assert_eq!(df.instructions[2].keyword, Keyword::Other("FROBNICATE".into()));
    assert_eq!(df.instructions[2].args_text.as_str(), "all the things");
}

#[test]
fn onbuild_nesting_is_bounded() {
    let src = format!("{}RUN x\n", "ONBUILD ".repeat(100_000));
    let (df, errors) = check(&src);
    assert_eq!(df.instructions.len(), 1);
    assert!(!errors.is_empty());
    let (df, errors) = check("ONBUILD COPY . /app\n");
    assert!(errors.is_empty());
    let t = df.instructions[0].onbuild_trigger().expect("trigger");
    assert_eq!(t.keyword, Keyword::Copy);
    assert_eq!(t.range.slice("ONBUILD COPY . /app\n"), "COPY . /app");
}

#[test]
fn crlf_line_endings() {
    let src = "FROM a\r\nRUN echo 1 \\\r\n  && echo 2\r\nENV K=v\r\n";
    let (df, errors) = check(src);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(shell(&df.instructions[1]), "echo 1   && echo 2");
    assert_eq!(df.instructions[1].range.slice(src), "RUN echo 1 \\\r\n  && echo 2");
    assert_eq!(df.instructions[2].key_values()[0].value.as_ref().map(|v| v.raw.as_str()), Some("v"));
}

#[test]
fn bom_and_empty_inputs() {
    let (df, errors) = check("\u{feff}# escape=`\nFROM a\n");
    assert!(errors.is_empty());
    assert_eq!(df.escape, '`');
    for src in ["", "\n\n", "# only\n# comments\n", "\\", "\\\n"] {
        let (df, errors) = check(src);
        assert!(df.instructions.is_empty(), "{src:?}");
        assert!(!errors.is_empty(), "{src:?}");
    }
}

#[test]
fn binary_garbage_never_panics() {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let alphabet: Vec<char> =
        "RUN FROM <<EOF\n\r\t \\`\"'[]{},=-#:@$é😀\u{0}\u{feff}\u{85}\u{a0}ONBUILD HEALTHCHECK CMD".chars().collect();
    for _ in 0..300 {
        let len = usize::try_from(state % 300).unwrap_or(0);
        let mut s = String::new();
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = usize::try_from(state % alphabet.len() as u64).unwrap_or(0);
            s.push(alphabet[i]);
        }
        check(&s);
    }
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    check(&String::from_utf8_lossy(&bytes));
}

#[test]
fn ten_megabytes_in_linear_time() {
    let mut src = String::from("FROM python:3.12\n");
    let block = "RUN apt-get update \\\n    # comment\n    && apt-get install -y curl \\\n    && rm -rf /var/lib/apt/lists/*\nCOPY <<EOF /etc/app.conf\nkey = value\nEOF\nENV A=1 B=\"two\" C=3\nCMD [\"gunicorn\", \"app:app\"]\n";
    while src.len() < 10 * 1024 * 1024 {
        src.push_str(block);
    }
    let start = std::time::Instant::now();
    let (df, errors) = check(&src);
    assert!(errors.is_empty());
    assert!(df.instructions.len() > 100_000);
    // One long continued instruction and one long line.
    let long = format!("RUN {}true\n", "echo x \\\n".repeat(1_000_000));
    let (df, _) = check(&long);
    assert_eq!(df.instructions.len(), 1);
    let line = format!("RUN {}\n", "a ".repeat(5_000_000));
    check(&line);
    let deep = format!("CMD {}\n", "[".repeat(5_000_000));
    check(&deep);
    assert!(start.elapsed().as_secs() < 60, "too slow: {:?}", start.elapsed());
}

/// A compact dump of the tree: one line per node, with its source text.
fn dump_tree(src: &str) -> String {
    let parsed = parse(src);
    let df = &parsed.tree;
    let mut out = String::new();
    let _ = writeln!(out, "escape {:?}", df.escape);
    for d in &df.directives {
        let _ = writeln!(out, "directive {} = {:?} {:?}", d.name, d.value, d.range);
    }
    for c in &df.comments {
        let _ = writeln!(out, "comment {:?} {:?}", c.text, c.range);
    }
    for i in &df.instructions {
        dump_instruction(i, src, 0, &mut out);
    }
    for e in &parsed.errors {
        let _ = writeln!(out, "error {:?} {:?}", e.message, e.range);
    }
    out
}

fn dump_instruction(i: &Instruction, src: &str, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "{pad}{} {:?} lines {:?}", i.keyword, i.range, i.range.slice(src).lines().count());
    for f in &i.flags {
        let _ = writeln!(out, "{pad}  flag {} = {:?} {:?}", f.name, f.value, f.range.slice(src));
    }
    let _ = match &i.args {
        Arguments::None => writeln!(out, "{pad}  (no args)"),
        Arguments::Exec(e) => {
            let els: Vec<String> = e.elements.iter().map(|s| format!("{:?}@{:?}", s.value, s.range)).collect();
            writeln!(out, "{pad}  exec [{}]", els.join(", "))
        }
        Arguments::Shell(s) => writeln!(out, "{pad}  shell {s:?}"),
        Arguments::Text(s) => writeln!(out, "{pad}  text {s:?}"),
        Arguments::Words(w) => {
            let ws: Vec<String> = w.iter().map(|w| format!("{:?}@{:?}", w.raw, w.range)).collect();
            writeln!(out, "{pad}  words {}", ws.join(" "))
        }
        Arguments::KeyValues(kvs) => {
            for kv in kvs {
                let _ = writeln!(
                    out,
                    "{pad}  kv {:?} = {:?}{} {:?}",
                    kv.key.raw,
                    kv.value.as_ref().map(|v| (&v.raw, &v.value)),
                    if kv.legacy { " (legacy)" } else { "" },
                    kv.range
                );
            }
            Ok(())
        }
        Arguments::From(f) => writeln!(
            out,
            "{pad}  from name={:?} tag={:?} digest={:?} as={:?}",
            f.image.as_ref().map(|i| &i.name.raw),
            f.image.as_ref().and_then(|i| i.tag.as_ref()).map(|t| (&t.raw, t.range)),
            f.image.as_ref().and_then(|i| i.digest.as_ref()).map(|t| &t.raw),
            f.stage_name.as_ref().map(|w| &w.raw)
        ),
        Arguments::Healthcheck(h) => writeln!(
            out,
            "{pad}  healthcheck {:?} {:?}",
            h.kind.as_ref().map(|k| &k.raw),
            h.command.as_ref().map(|c| match c.as_ref() {
                Arguments::Shell(s) => s.as_str().to_owned(),
                Arguments::Exec(e) => format!("{:?}", e.elements.iter().map(|s| &s.value).collect::<Vec<_>>()),
                _ => String::new(),
            })
        ),
        Arguments::Onbuild(t) => {
            dump_instruction(t, src, depth + 1, out);
            Ok(())
        }
    };
    for h in &i.heredocs {
        let _ = writeln!(
            out,
            "{pad}  heredoc {:?} chomp={} expand={} marker={:?} content={:?}",
            h.name,
            h.chomp,
            h.expand,
            h.marker_range.slice(src),
            h.content
        );
    }
}

#[test]
fn snapshot_realistic_dockerfile() {
    let src = r#"# syntax=docker/dockerfile:1.7
# check=error=true

ARG PYTHON_VERSION=3.12
FROM --platform=$BUILDPLATFORM python:${PYTHON_VERSION}-slim AS build
LABEL org.opencontainers.image.source="https://example.com/app" maintainer="ops@example.com"
ENV PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# hadolint ignore=DL3008
RUN --mount=type=cache,target=/var/cache/apt \
    apt-get update \
    # build deps only
    && apt-get install -y --no-install-recommends gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip wheel -r requirements.txt -w /wheels

FROM python:${PYTHON_VERSION}-slim
COPY --from=build --chown=app:app /wheels /wheels
COPY <<-EOF /etc/gunicorn.conf.py
	bind = "0.0.0.0:8000"
	workers = 4
	EOF
RUN <<EOF
set -eux
pip install /wheels/*
EOF
USER app
EXPOSE 8000/tcp
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s CMD ["curl", "-f", "http://localhost:8000/health"]
ONBUILD COPY . /app
ENTRYPOINT ["gunicorn"]
CMD ["-c", "/etc/gunicorn.conf.py", "app.wsgi:application"]
"#;
    insta::assert_snapshot!(dump_tree(src));
}
