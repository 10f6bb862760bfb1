//! Shell words: quoting, expansions, operators, continuations, `sh -c`, errors.

use stacklint_syntax::shell::{self, OpKind, Token};

fn words(text: &str) -> Vec<String> {
    shell::split(text).tree.iter().filter_map(Token::as_word).map(|w| w.value.clone()).collect()
}

#[test]
fn quotes_and_escapes() {
    assert_eq!(words(r#"a 'b "c"' "d 'e'" f\ g "h\"i" 'j'"k"l"#), ["a", "b \"c\"", "d 'e'", "f g", "h\"i", "jkl"]);
    assert_eq!(words(r#""a\nb" 'c\d'"#), ["a\\nb", "c\\d"]);
    let src = r#"--bind="0.0.0.0:80""#;
    let w = shell::split(src).tree[0].as_word().unwrap().clone();
    assert_eq!(w.value, "--bind=0.0.0.0:80");
    assert!(w.quoted && !w.is_verbatim());
    assert_eq!(w.range.slice(src), src);
    assert_eq!(w.raw_range_of(7..17).unwrap().slice(src), "0.0.0.0:80");
    // a range across a quote cannot be edited in place
    assert_eq!(w.raw_range_of(5..9), None);
}

#[test]
fn expansions_stay_raw() {
    let parsed = shell::split(r#"echo $A ${B:-x y} "$(date +%s)" `id -u` $((1 + 2)) $'\n'"#);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let ws: Vec<_> = parsed.tree.iter().filter_map(Token::as_word).collect();
    let v: Vec<&str> = ws.iter().map(|w| w.value.as_str()).collect();
    assert_eq!(v, ["echo", "$A", "${B:-x y}", "$(date +%s)", "`id -u`", "$((1 + 2))", "$'\\n'"]);
    assert!(!ws[0].has_expansion);
    assert!(ws.iter().skip(1).take(5).all(|w| w.has_expansion));
}

#[test]
fn operators_redirections_comments() {
    let parsed = shell::split("a && b || c; d | e & f >> log 2>&1 < in # comment && x\n(g)");
    let kinds: Vec<String> = parsed.tree.iter().map(|t| match t {
        Token::Word(w) => w.value.clone(),
        Token::Op(o) => format!("{:?}", o.kind),
    }).collect();
    assert_eq!(kinds, ["a", "And", "b", "Or", "c", "Semi", "d", "Pipe", "e", "Amp", "f", "Redirect", "log", "DupRedirect", "Redirect", "in", "Newline", "LParen", "g", "RParen"]);
    let cmds = shell::simple_commands(&parsed.tree);
    let f = cmds.iter().find(|c| c.words.first().is_some_and(|w| w.value == "f")).unwrap();
    assert_eq!(f.words.len(), 1);
    assert_eq!(f.redirects.len(), 3);
    assert_eq!(f.redirects[0].target.as_ref().unwrap().value, "log");
    assert!(f.redirects[1].target.is_none());
    assert_eq!(f.terminator.as_ref().unwrap().kind, OpKind::Newline);
}

#[test]
fn continuations_and_crlf() {
    let src = "exec gunicorn app \\\n    --workers 3 \\\r\n    --timeout 60\r\necho done\r\n";
    assert_eq!(words(src), ["exec", "gunicorn", "app", "--workers", "3", "--timeout", "60", "echo", "done"]);
    // a continuation inside a word joins it
    let w = shell::split("abc\\\ndef").tree[0].as_word().unwrap().clone();
    assert_eq!(w.value, "abcdef");
    assert_eq!(w.raw_range_of(0..6), None);
    assert_eq!(w.raw_range_of(3..6).unwrap(), stacklint_text::TextRange::new(5, 8));
}

#[test]
fn heredocs_are_skipped() {
    let src = "cat <<EOF > /etc/x\ngunicorn fake\nEOF\ncat <<-'END'\n\tgunicorn fake2\n\tEND\nexec gunicorn real\n";
    let parsed = shell::split(src);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let found = shell::find_commands(&parsed.tree, "gunicorn");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].args[0].value, "real");
}

#[test]
fn unterminated_quotes_are_errors() {
    for src in ["echo 'abc", "echo \"abc", "echo ${abc", "echo $(abc", "echo `abc", "cat <<EOF\nno end"] {
        let parsed = shell::split(src);
        assert_eq!(parsed.errors.len(), 1, "{src}: {:?}", parsed.errors);
        let e = &parsed.errors[0];
        assert!(e.range.end() <= src.len());
        assert!(!parsed.tree.is_empty());
    }
    assert!(shell::split("echo 'abc").errors[0].message.contains("unterminated"));
}

#[test]
fn finding_programs() {
    let src = "set -e\nif [ -n \"$X\" ]; then\n  A=1 exec env B=2 nohup /venv/bin/gunicorn app:app -w 2\nfi\npython3 -u -m gunicorn other:app\nuv run gunicorn third:app && echo ok\nddtrace-run gunicorn fourth:app\nwhich gunicorn\n";
    let parsed = shell::split(src);
    let found = shell::find_commands(&parsed.tree, "gunicorn");
    let apps: Vec<&str> = found.iter().map(|i| i.args[0].value.as_str()).collect();
    assert_eq!(apps, ["app:app", "other:app", "third:app", "fourth:app"]);
    let first = &found[0];
    assert_eq!(first.env.iter().map(|w| w.value.as_str()).collect::<Vec<_>>(), ["A=1", "B=2"]);
    assert_eq!(first.program.value, "/venv/bin/gunicorn");
    assert_eq!(first.prefix, ["exec", "env", "nohup"]);
    assert_eq!(src.get(first.append_offset()..=first.append_offset()), Some("\n"));
    assert_eq!(found[2].terminator.as_ref().unwrap().kind, OpKind::And);
}

#[test]
fn sh_c_maps_ranges_back() {
    let src = r#"CMD_ENV=1 sh -c "exec gunicorn app:app --workers=3 && true""#;
    let parsed = shell::split(src);
    let found = shell::find_commands(&parsed.tree, "gunicorn");
    assert_eq!(found.len(), 1);
    let inv = &found[0];
    assert_eq!(inv.depth, 1);
    assert_eq!(inv.env[0].value, "CMD_ENV=1");
    let w = &inv.args[1];
    assert_eq!(w.range.slice(src), "--workers=3");
    assert_eq!(w.raw_range_of(10..11).unwrap().slice(src), "3");
    // appending goes inside the quotes, before `&&`
    assert_eq!(&src[..inv.append_offset()], r#"CMD_ENV=1 sh -c "exec gunicorn app:app --workers=3"#);
    // nested with escaped quotes: ranges still map, through the escapes
    let src = r#"bash -lc "gunicorn \"app:app\" -w 3""#;
    let found = shell::find_commands(&shell::split(src).tree, "gunicorn");
    assert_eq!(found[0].args[0].value, "app:app");
    assert_eq!(found[0].args[2].range.slice(src), "3");
    // a quoted last word: appending goes after its closing quote, inside the script's
    let src = r#"sh -c "gunicorn app --bind \"0.0.0.0:$PORT\"""#;
    let found = shell::find_commands(&shell::split(src).tree, "gunicorn");
    assert_eq!(&src[found[0].append_offset()..], r#"""#);
    let src = r#"sh -c 'gunicorn app --bind "0.0.0.0:$PORT"'"#;
    let found = shell::find_commands(&shell::split(src).tree, "gunicorn");
    assert_eq!(&src[found[0].append_offset()..], "'");
}

#[test]
fn templates_join() {
    let src = "command={{ bench_dir }}/env/bin/gunicorn -w {{ workers }} -b 127.0.0.1:{{ port }} app";
    let tokens = shell::join_template_words(src, shell::split(src).tree);
    let v: Vec<&str> = tokens.iter().filter_map(Token::as_word).map(|w| w.value.as_str()).collect();
    assert_eq!(v, ["command={{ bench_dir }}/env/bin/gunicorn", "-w", "{{ workers }}", "-b", "127.0.0.1:{{ port }}", "app"]);
}

#[test]
fn never_panics_on_odd_input() {
    for src in ["", "\\", "$", "${", "$(", "'", "\"", "\"\\", "2>", "<<", "<<EOF", "a\r", "é'ü", "$'", "`", "((", "&&&", ";;;", "#", "\\\r\n", "\"$(\"", "x=${a:-\"b\"}"] {
        let parsed = shell::split(src);
        for t in &parsed.tree {
            assert!(t.range().end() <= src.len(), "{src:?}");
        }
        let _ = shell::find_commands(&parsed.tree, "gunicorn");
        let _ = shell::simple_commands(&parsed.tree);
    }
}
