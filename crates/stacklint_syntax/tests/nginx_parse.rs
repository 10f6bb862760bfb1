//! Focused tests of the nginx parser, dump splitting and include resolution.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use stacklint_syntax::nginx::{
    self, BlockKind, NginxConfig, Quote, default_context_for_path, flatten, resolve_include,
    split_dump,
};

fn clean(text: &str) -> NginxConfig {
    let parsed = nginx::parse(text);
    assert!(
        parsed.errors.is_empty(),
        "unexpected errors: {:?}",
        parsed.errors
    );
    parsed.tree
}

/// Every range lies inside the text and on character boundaries.
fn check_ranges(text: &str, tree: &NginxConfig) {
    let ok = |r: stacklint_text::TextRange| {
        assert!(
            r.end() <= text.len()
                && text.is_char_boundary(r.start())
                && text.is_char_boundary(r.end()),
            "{r:?}"
        );
    };
    for d in tree.directives() {
        ok(d.range);
        ok(d.name.range);
        assert_eq!(d.name.range.slice(text), d.name.raw);
        for a in &d.args {
            ok(a.range);
            assert_eq!(a.range.slice(text), a.raw);
        }
        if let Some(b) = &d.block {
            ok(b.open);
            ok(b.content);
            b.close.map(ok);
        }
    }
    for c in tree.comments() {
        ok(c.range);
    }
}

#[test]
fn quotes_and_escapes() {
    let text = r#"add_header X "a \"b\" \\ c\n" 'it\'s' un\;quoted "$host"x;"#;
    let parsed = nginx::parse(text);
    let d = parsed.tree.roots().next().unwrap();
    assert_eq!(
        d.arg_values(),
        ["X", "a \"b\" \\ c\n", "it's", "un\\;quoted", "$host", "x"]
    );
    assert_eq!(d.args[1].quote, Some(Quote::Double));
    assert_eq!(d.args[1].raw, r#""a \"b\" \\ c\n""#);
    assert_eq!(d.args[2].quote, Some(Quote::Single));
    assert!(d.args[4].has_variable());
    // `"$host"x` is an error for nginx (no space after the quote); the `x` still lexes.
    assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
    check_ranges(text, &parsed.tree);
}

#[test]
fn variables_with_braces_stay_in_one_word() {
    let tree = clean("try_files /a/${uri} /b/${uri}.html =404;\nreturn 200 ok}x;\n");
    let d: Vec<_> = tree.roots().collect();
    assert_eq!(d[0].arg_values(), ["/a/${uri}", "/b/${uri}.html", "=404"]);
    // nginx keeps `}` inside a word.
    assert_eq!(d[1].arg_values(), ["200", "ok}x"]);
}

#[test]
fn unterminated_quote_recovers_at_line_end() {
    let text = "server {\n    return 200 \"oops;\n    listen 80;\n}\n";
    let parsed = nginx::parse(text);
    assert!(
        parsed
            .errors
            .iter()
            .any(|e| e.message.contains("unterminated")),
        "{:?}",
        parsed.errors
    );
    assert_eq!(parsed.errors.len(), 1);
    let ret = parsed.tree.find_all("return").next().unwrap();
    assert_eq!(ret.arg_values(), ["200", "oops;"]);
    assert!(!ret.is_terminated());
    let listen = parsed.tree.find_all("listen").next().unwrap();
    assert_eq!(listen.context(), ["server"]);
    check_ranges(text, &parsed.tree);
}

#[test]
fn lua_blocks_are_opaque() {
    let text = r#"http {
    server {
        location / {
            content_by_lua_block {
                local t = { a = "}" } -- a } in a comment
                local s = [[ } ]] --[==[ { ]==]
                ngx.say('{')
            }
            set_by_lua_block $res { return 1 }
        }
    }
}
"#;
    let tree = clean(text);
    let lua = tree.find_all("content_by_lua_block").next().unwrap();
    let block = lua.block().unwrap();
    assert_eq!(block.kind, BlockKind::Lua);
    assert!(block.content.slice(text).contains("ngx.say('{')"));
    assert_eq!(lua.children().count(), 0);
    let set = tree.find_all("set_by_lua_block").next().unwrap();
    assert_eq!(set.arg_values(), ["$res"]);
    assert_eq!(set.block().unwrap().content.slice(text), " return 1 ");
    assert_eq!(set.context(), ["http", "server", "location"]);
}

#[test]
fn regex_locations() {
    let tree = clean("location ~* \"^/a{2,3}$\" { return 200; }\nlocation ~ ^/(a|b)\\.png$ { }\n");
    let d: Vec<_> = tree.roots().collect();
    assert_eq!(d[0].arg_values(), ["~*", "^/a{2,3}$"]);
    assert_eq!(d[1].arg_values(), ["~", "^/(a|b)\\.png$"]);
    // Unquoted braces: nginx would split the word; we keep the regex and say so.
    let parsed = nginx::parse("location ~ ^/a{2,3}$ { return 200; }");
    assert_eq!(parsed.errors.len(), 1);
    let loc = parsed.tree.roots().next().unwrap();
    assert_eq!(loc.arg_values(), ["~", "^/a{2,3}$"]);
    assert_eq!(loc.children().count(), 1);
}

#[test]
fn if_conditions() {
    let tree = clean(
        "if ($request_method = \"POST\") { return 405; }\nif (-f $request_filename) { break; }\n",
    );
    let d: Vec<_> = tree.roots().collect();
    assert_eq!(d[0].arg_values(), ["($request_method", "=", "POST", ")"]);
    assert_eq!(d[0].if_condition(), ["$request_method", "=", "POST"]);
    assert_eq!(d[1].if_condition(), ["-f", "$request_filename"]);
}

#[test]
fn map_and_types_blocks_hold_entries() {
    let text = "map $http_upgrade $connection_upgrade {\n    default upgrade;\n    '' close;\n    ~^/a{2}$ x;\n}\ntypes { text/html html htm; }\n";
    let parsed = nginx::parse(text);
    let map = parsed.tree.roots().next().unwrap();
    assert_eq!(map.block().unwrap().kind, BlockKind::Entries);
    let keys: Vec<_> = map.children().map(|c| c.name.value.clone()).collect();
    assert_eq!(keys, ["default", "", "~^/a{2}$"]);
    let types = parsed.tree.roots().nth(1).unwrap();
    assert_eq!(types.block().unwrap().kind, BlockKind::Entries);
    assert_eq!(
        types.children().next().unwrap().arg_values(),
        ["html", "htm"]
    );
}

#[test]
fn comments_between_arguments() {
    let text = "http { #c1\n    log_format #c2\n        \\#arg\\ 1 #c3\n        '#arg 2' #c4\n        #c5\n        ;\n}\n";
    let tree = clean(text);
    let lf = tree.find_all("log_format").next().unwrap();
    assert_eq!(lf.arg_values(), ["\\#arg\\ 1", "#arg 2"]);
    let comments: Vec<_> = tree.comments().iter().map(|c| c.text.as_str()).collect();
    assert_eq!(comments, ["c1", "c2", "c3", "c4", "c5"]);
    assert!(
        tree.comments()
            .iter()
            .all(|c| c.parent == Some(lf.parent().unwrap().id))
    );
    check_ranges(text, &tree);
}

#[test]
fn missing_semicolon_before_brace_and_eof() {
    let parsed = nginx::parse("server {\n    listen 80\n}\n");
    assert_eq!(parsed.errors.len(), 1);
    assert!(
        parsed.errors[0]
            .message
            .contains("`listen` is not terminated"),
        "{:?}",
        parsed.errors
    );
    let listen = parsed.tree.find_all("listen").next().unwrap();
    assert!(listen.semicolon.is_none());
    assert_eq!(listen.context(), ["server"]);

    let parsed = nginx::parse("worker_processes 2");
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.tree.directives().len(), 1);
}

#[test]
fn unclosed_and_unbalanced_braces() {
    let parsed = nginx::parse("http {\n    server {\n        listen 80;\n");
    assert_eq!(parsed.errors.len(), 2, "{:?}", parsed.errors);
    let http = parsed.tree.roots().next().unwrap();
    assert!(http.block().unwrap().close.is_none());
    assert!(!http.is_terminated());

    let parsed = nginx::parse("events { }\n}\nhttp { }\n");
    assert_eq!(parsed.errors.len(), 1);
    assert!(parsed.errors[0].message.contains("unexpected `}`"));
    assert_eq!(parsed.tree.roots().count(), 2);

    let parsed = nginx::parse("{ listen 80; }\n;\n");
    assert_eq!(parsed.errors.len(), 2);
    assert_eq!(parsed.tree.directives().len(), 1);
}

#[test]
fn twenty_thousand_nested_blocks() {
    let n = 20_000;
    let text = format!("{}{}", "location / {\n".repeat(n), "}\n".repeat(n));
    let parsed = nginx::parse(&text);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.tree.directives().len(), n);
    assert_eq!(parsed.tree.directives().last().unwrap().depth, n - 1);
    assert_eq!(parsed.tree.walk_with_context().count(), n);
    let copy = parsed.tree.clone();
    assert_eq!(copy, parsed.tree);
    drop(copy);

    let unclosed = "server {".repeat(n);
    let parsed = nginx::parse(&unclosed);
    assert_eq!(parsed.errors.len(), n);
}

#[test]
fn ten_megabytes_in_linear_time() {
    let unit = "server {\n    listen 80; # comment\n    location ~ \"^/a{2}\" { proxy_pass http://app:8000; }\n    add_header X-A \"v\\\"x\" always;\n}\n";
    let text = unit.repeat(10 * 1024 * 1024 / unit.len());
    let started = std::time::Instant::now();
    let parsed = nginx::parse(&text);
    let elapsed = started.elapsed();
    assert!(parsed.errors.is_empty());
    assert!(parsed.tree.directives().len() > 400_000);
    // Generous for an unoptimised build on a busy 2-core machine.
    assert!(elapsed.as_secs() < 30, "took {elapsed:?}");
}

#[test]
fn binary_garbage_does_not_panic() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet: &[u8] = b"{};#\"'\\$ \n\tab(){}[]~^*";
    for round in 0..300 {
        let mut bytes = Vec::new();
        for _ in 0..(round * 7 % 500) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let k = (seed % 300) as usize;
            bytes.push(if k < alphabet.len() * 10 {
                alphabet[k % alphabet.len()]
            } else {
                (seed >> 8) as u8
            });
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let parsed = nginx::parse(&text);
        check_ranges(&text, &parsed.tree);
        let _ = parsed.tree.debug_tree();
        for e in &parsed.errors {
            assert!(e.range.end() <= text.len());
        }
    }
    for text in [
        "",
        "\\",
        "\"",
        "'",
        "\\\u{e9}",
        "${",
        "x \\\u{1F600}",
        "a {",
        "}",
        "content_by_lua_block { [==[",
        "# c",
    ] {
        let parsed = nginx::parse(text);
        check_ranges(text, &parsed.tree);
    }
}

#[test]
fn indentation_and_insertion_points() {
    let text = "http {\n\tserver {\n\t\tlisten 80;\n\t}\n\tserver {\n\t}\n}\n";
    let tree = clean(text);
    assert_eq!(tree.indent_unit(), "\t");
    let servers: Vec<_> = tree.find_all("server").collect();
    assert_eq!(servers[0].content_indent(), "\t\t");
    assert_eq!(servers[1].content_indent(), "\t\t");
    let at = servers[1].insert_before_close().unwrap();
    assert_eq!(&text[at..=at], "}");
    let listen = servers[0].child("listen").unwrap();
    assert_eq!(
        &text[..listen.insert_after()],
        "http {\n\tserver {\n\t\tlisten 80;"
    );
    assert_eq!(tree.roots().next().unwrap().content_indent(), "\t");
}

#[test]
fn context_paths() {
    let tree = clean("http { server { location / { if ($a) { return 403; } } } }\nevents { }\n");
    let got: Vec<(Vec<&str>, &str)> = tree
        .walk_with_context()
        .map(|(c, d)| (c, d.name()))
        .collect();
    assert_eq!(
        got,
        [
            (vec![], "http"),
            (vec!["http"], "server"),
            (vec!["http", "server"], "location"),
            (vec!["http", "server", "location"], "if"),
            (vec!["http", "server", "location", "if"], "return"),
            (vec![], "events"),
        ]
    );
    let server = tree.find_all("server").next().unwrap();
    assert_eq!(server.descendants().count(), 3);
    assert_eq!(server.children_named("location").count(), 1);
}

#[test]
fn dump_splitting() {
    let dump = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n\
                # configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp { include /etc/nginx/conf.d/*.conf; }\n\n\
                # configuration file /etc/nginx/conf.d/app.conf:\nserver { listen 80 }\n";
    let sections = split_dump(dump);
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0].path, "/etc/nginx/nginx.conf");
    assert!(sections[0].text.starts_with("events {}"));
    assert_eq!(sections[1].path, "/etc/nginx/conf.d/app.conf");
    assert_eq!(sections[1].text, "server { listen 80 }\n");
    assert_eq!(&dump[sections[1].offset..], sections[1].text);
    // Errors are relative to the section; shift them to point into the dump.
    let parsed = nginx::parse(sections[1].text);
    let err = parsed.errors[0].range.shift(sections[1].offset);
    assert_eq!(err.slice(dump), "listen 80");
    assert!(split_dump("events {}\n").is_empty());
    assert!(nginx::dump::is_dump(dump));
}

fn paths(list: &[&str]) -> Vec<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

#[test]
fn include_resolution() {
    let files = paths(&[
        "/p/nginx/nginx.conf",
        "/p/nginx/conf.d/a.conf",
        "/p/nginx/conf.d/b.conf",
        "/p/nginx/conf.d/.hidden.conf",
        "/p/nginx/conf.d/notes.txt",
        "/p/nginx/snippets/ssl.conf",
        "/p/nginx/sites/x/site.conf",
        "/p/secret.txt",
    ]);
    let root = Path::new("/p/nginx");
    let main = Path::new("/p/nginx/nginx.conf");
    let site = Path::new("/p/nginx/sites/x/site.conf");
    let r = |pattern: &str, from: &Path| resolve_include(pattern, from, root, &files);
    assert_eq!(
        r("conf.d/*.conf", main),
        paths(&["/p/nginx/conf.d/a.conf", "/p/nginx/conf.d/b.conf"])
    );
    assert_eq!(r("conf.d/[ab].conf", main).len(), 2);
    assert_eq!(r("conf.d/?.conf", main).len(), 2);
    assert_eq!(
        r("snippets/ssl.conf", site),
        paths(&["/p/nginx/snippets/ssl.conf"])
    );
    // Relative to the including file when the config root has nothing.
    assert_eq!(
        r("../../snippets/ssl.conf", site),
        paths(&["/p/nginx/snippets/ssl.conf"])
    );
    assert_eq!(r("site.conf", site), paths(&["/p/nginx/sites/x/site.conf"]));
    assert!(r("/etc/passwd", main).is_empty());
    assert!(r("/etc/nginx/mime.types", main).is_empty());
    assert!(r("../../../etc/passwd", main).is_empty());
    assert!(
        r("../secret.txt", main).is_empty(),
        "outside the config root"
    );
    assert!(r("conf.d/missing.conf", main).is_empty());

    // With a mount, absolute paths map into the project.
    let mounts = vec![(PathBuf::from("/etc/nginx"), PathBuf::from("/p/nginx"))];
    let resolver = nginx::IncludeResolver {
        project_root: Path::new("/p"),
        config_root: root,
        mounts: &mounts,
        files: &nginx::IncludeFiles::new(&files),
        including_dir_fallback: false,
    };
    assert_eq!(
        resolver.resolve("/etc/nginx/conf.d/a.conf", main),
        paths(&["/p/nginx/conf.d/a.conf"])
    );
    assert!(
        resolver
            .resolve("/etc/nginx/../../p/secret.txt", main)
            .is_empty()
    );
    assert!(resolver.resolve("/etc/passwd", main).is_empty());
}

#[test]
fn relative_project_paths() {
    let files = paths(&["nginx.conf", "conf.d/a.conf"]);
    assert_eq!(
        resolve_include("conf.d/*", Path::new("nginx.conf"), Path::new(""), &files),
        paths(&["conf.d/a.conf"])
    );
    assert!(resolve_include("../x", Path::new("nginx.conf"), Path::new(""), &files).is_empty());
}

#[test]
fn default_contexts() {
    assert_eq!(
        default_context_for_path(Path::new("x/conf.d/app.conf")),
        Some(&["http"][..])
    );
    assert_eq!(
        default_context_for_path(Path::new("sites-enabled/default")),
        Some(&["http"][..])
    );
    assert_eq!(
        default_context_for_path(Path::new("etc/nginx/nginx.conf")),
        Some(&[][..])
    );
    assert_eq!(
        default_context_for_path(Path::new("snippets/ssl.conf")),
        None
    );
}

#[test]
fn flatten_with_cycles() {
    let files = paths(&[
        "/p/nginx.conf",
        "/p/conf.d/a.conf",
        "/p/conf.d/b.conf",
        "/p/loop.conf",
    ]);
    let texts = [
        "events {}\nhttp {\n    include conf.d/*.conf;\n    include missing.conf;\n}\n",
        "server { include loop.conf; listen 1; }\n",
        "server { listen 2; }\n",
        "location / { include loop.conf; include conf.d/a.conf; }\n",
    ];
    let parsed: Vec<(PathBuf, NginxConfig)> = files
        .iter()
        .cloned()
        .zip(texts.iter().map(|t| nginx::parse(t).tree))
        .collect();
    let lookup = |p: &Path| {
        parsed
            .iter()
            .find(|(q, _)| q == p)
            .map(|(q, c)| (q.as_path(), c))
    };
    let root = Path::new("/p");
    let flat = flatten(Path::new("/p/nginx.conf"), lookup, |pattern, from| {
        resolve_include(pattern, from, root, &files)
    });
    let listens: Vec<(Vec<&str>, Option<&str>)> = flat
        .directives
        .iter()
        .filter(|d| d.directive.is("listen"))
        .map(|d| (d.context.clone(), d.directive.arg(0)))
        .collect();
    assert_eq!(
        listens,
        [
            (vec!["http", "server"], Some("1")),
            (vec!["http", "server"], Some("2"))
        ]
    );
    assert_eq!(flat.cycles.len(), 2, "{:?}", flat.cycles);
    assert_eq!(
        flat.cycles[0].chain,
        paths(&["/p/loop.conf", "/p/loop.conf"])
    );
    assert_eq!(
        flat.cycles[1].chain,
        paths(&["/p/conf.d/a.conf", "/p/loop.conf", "/p/conf.d/a.conf"])
    );
    assert_eq!(flat.unresolved.len(), 1);
    assert_eq!(flat.unresolved[0].pattern, "missing.conf");
    let loc = flat
        .directives
        .iter()
        .find(|d| d.directive.is("location"))
        .unwrap();
    assert_eq!(loc.context, ["http", "server"]);
    assert_eq!(loc.depth, 2);
}

#[test]
fn snapshot_of_a_realistic_dump() {
    let dump = r#"# configuration file /etc/nginx/nginx.conf:
user www-data;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    upstream app { server unix:/run/gunicorn.sock fail_timeout=0; }
    include /etc/nginx/conf.d/*.conf;
}

# configuration file /etc/nginx/conf.d/app.conf:
server {
    listen 443 ssl http2; # TLS
    server_name example.com "www.example.com";
    location ~* \.(?:css|js)$ { expires 1y; add_header Cache-Control "public"; }
    location / {
        if ($request_method !~ ^(GET|POST)$) { return 405; }
        proxy_set_header Host $host;
        proxy_pass http://app;
        access_by_lua_block { if ngx.var.x == "}" then return end }
    }
}
"#;
    let mut out = String::new();
    for section in split_dump(dump) {
        let parsed = nginx::parse(section.text);
        writeln!(
            out,
            "== {} @{} errors={:?}",
            section.path, section.offset, parsed.errors
        )
        .unwrap();
        out.push_str(&parsed.tree.debug_tree());
    }
    insta::assert_snapshot!("nginx_dump_tree", out);
}

/// A glob over thousands of files: each match once, sorted (duplicates were searched for
/// in the result per file, quadratic in the matches).
#[test]
fn include_glob_over_many_files() {
    let n = 20_000;
    let mut files: Vec<PathBuf> = (0..n).map(|i| PathBuf::from(format!("/p/conf.d/site{i:05}.conf"))).collect();
    files.push(PathBuf::from("/p/nginx.conf"));
    let resolver = nginx::IncludeResolver {
        project_root: Path::new("/p"),
        config_root: Path::new("/p"),
        mounts: &[],
        files: &nginx::IncludeFiles::new(&files),
        including_dir_fallback: false,
    };
    let found = resolver.resolve("conf.d/*.conf", Path::new("/p/nginx.conf"));
    assert_eq!(found.len(), n);
    assert!(found.windows(2).all(|w| w[0] < w[1]));
}

/// A file of one long line: every directive found, none but the first indented (the
/// indentation was looked up with a search back to the line start per directive).
#[test]
fn one_long_line() {
    let n = 20_000;
    let mut text = String::from("http {");
    for i in 0..n {
        let _ = write!(text, " server {{ listen {i}; }}");
    }
    text.push_str(" }\n");
    let parsed = nginx::parse(&text);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.tree.find_all("listen").count(), n);
    assert_eq!(parsed.tree.walk().filter(|d| d.indent.is_some()).count(), 1);
    let indented = nginx::parse("http {\n  \tserver {}\n x server {}\n}\n");
    let indents: Vec<Option<&str>> = indented.tree.directives().iter().map(|d| d.indent.as_deref()).collect();
    assert_eq!(indents, [Some(""), Some("  \t"), Some(" ")]);
}
