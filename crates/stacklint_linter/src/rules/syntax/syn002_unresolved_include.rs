use stacklint_diagnostics::Severity;

use stacklint_project::redis::IncludeProblem;

use crate::rules::nginx::relative;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports an nginx `include` of a file (not a glob) that is nowhere in the project.
    /// In an nginx service, the path is looked up where the deployment puts files: the
    /// project files that the service's Dockerfile `COPY`s or its compose volumes mount
    /// at that path in the container (relative names from `/etc/nginx`). Otherwise
    /// relative names are looked up from the config root (the folder of the main
    /// `nginx.conf`) and the including file's folder, `/etc/nginx/...` through the
    /// compose volumes that mount the project's files there, else in the including
    /// file's folder. Files every nginx install ships (`mime.types`, `fastcgi_params`,
    /// `uwsgi_params`, ...) are not reported, and a glob that matches nothing is valid nginx.
    /// In a compose file, a top-level `include` or an `extends: {file: ...}` that names a
    /// file that does not exist (relative to the compose file) is reported too, and so is
    /// what docker compose refuses on the way: a circular `extends`, an `extends` of a
    /// service the file does not define, a `build` whose Dockerfile is not there.
    /// A Redis
    /// `include` is looked up where the Redis service sees project files (a file no
    /// service reads: relative to it); one outside the project, or an include cycle, is
    /// reported (globs are not followed).
    /// An include that points outside the project (`../../../etc/passwd`, an absolute path
    /// nothing mounts) is never read: it is reported (at info level for absolute paths,
    /// which may well exist on the server) so nobody believes it was checked. An include
    /// cycle is reported at the `include` that closes it.
    /// In PostgreSQL configurations, an `include` of a missing file, a cycle of includes
    /// and an `include`/`include_dir` outside the project (at info level) are reported
    /// the same way; `include_if_exists` of a missing file is valid.
    ///
    /// ## Why is this bad?
    /// nginx refuses to start when an `include` without a glob names a missing file
    /// (`open() "/etc/nginx/snippets/proxy.conf" failed (2: No such file or directory)`),
    /// and every rule that looks through includes sees less than nginx would.
    ///
    /// ## Example
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     include snippets/proxy.conf;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     include snippets/proxy.conf;
    /// }
    /// ```
    ///
    /// ```nginx path=nginx/snippets/proxy.conf
    /// proxy_set_header Host $host;
    /// ```
    pub static RULE = {
        code: "SYN002",
        name: "unresolved-include",
        family: Family::Syntax,
        scope: Scope::File,
        severity: Severity::Error,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    for u in &model.unresolved {
        if u.is_glob || u.stock {
            continue;
        }
        let (Some(doc), Some(d)) = (model.doc(u.at.doc), model.node(project, u.at)) else { continue };
        let range = doc.file_range(d.range);
        let diagnostic = match &u.looked_up {
            Some(looked_up) if escapes(&project.root, looked_up) => cx.diagnostic(
                &doc.file,
                range,
                format!("`include {}` points outside the project: stacklint never reads it, so what it adds to the configuration is not checked", u.pattern),
            ),
            Some(looked_up) => cx.diagnostic(
                &doc.file,
                range,
                format!("`include {}` names no file of the project (looked for {}): nginx refuses to start on a missing include", u.pattern, relative(project, looked_up)),
            ),
            None => {
                let mut d = cx.diagnostic(
                    &doc.file,
                    range,
                    format!("`include {}` names a file outside the project: stacklint does not read it, so what it adds to the configuration is not checked", u.pattern),
                );
                // It may well exist on the server (certbot's snippets, say): not an error here.
                d.severity = Severity::Info;
                d.with_help("Keep the file in the project and mount it (a compose volume), or suppress this if it comes from the server")
            }
        };
        cx.report(diagnostic);
    }
    for cycle in &model.cycles {
        let (Some(doc), Some(d)) = (model.doc(cycle.at.doc), model.node(project, cycle.at)) else { continue };
        let chain: Vec<String> = cycle.chain.iter().filter_map(|id| model.doc(*id)).map(|doc| relative(project, &doc.file)).collect();
        let d = cx.diagnostic(&doc.file, doc.file_range(d.range), format!("Include cycle: {}: nginx would include these files again and again, and stacklint reads each once", chain.join(" → ")));
        cx.report(d);
    }
    // Compose: what docker compose itself refuses (a circular `extends`, a base service or
    // a `build` file that is not there).
    for x in project.compose.problems.iter().filter(|x| x.refused) {
        let (Some(range), Some(_)) = (x.range, project.file(&x.file)) else { continue };
        let d = cx.diagnostic(&x.file, range, x.message.clone());
        cx.report(d);
    }
    // PostgreSQL: `include`, `include_dir`, cycles (each place once, however many servers read it).
    let mut seen = std::collections::HashSet::new();
    for server in stacklint_project::postgres::servers(project) {
        for x in &server.problems {
            if !seen.insert((x.file.clone(), x.range.start())) {
                continue;
            }
            let mut d = cx.diagnostic(&x.file, x.range, x.message.clone());
            if x.outside {
                d.severity = Severity::Info;
            }
            cx.report(d);
        }
    }
    // Redis: an `include` no project file lands at, or one that includes itself again.
    let mut seen = std::collections::HashSet::new();
    for server in stacklint_project::redis::servers(project) {
        for u in &server.unresolved {
            if !seen.insert((u.file.clone(), u.range.start())) {
                continue;
            }
            let d = match u.problem {
                IncludeProblem::Glob => continue,
                IncludeProblem::Cycle => cx.diagnostic(&u.file, u.range, format!("`include {}` includes a file that is already being read (an include cycle): Redis reads it again and again until it fails, and stacklint reads it once", u.path)),
                IncludeProblem::Outside => {
                    let mut d = cx.diagnostic(&u.file, u.range, format!("`include {}` names a file outside the project: stacklint does not read it, so what it adds to {} is not checked (and `redis-server` refuses to start if it is missing)", u.path, server.label(project)));
                    d.severity = Severity::Info;
                    d.with_help("Keep the file in the project and mount it where the include points, or suppress this if it comes from the server")
                }
            };
            cx.report(d);
        }
    }
    // Compose: an `include` or `extends` file that does not exist.
    for x in &project.compose.problems {
        let (Some((key, written)), Some(range), Some(_)) = (&x.missing_file, x.range, project.file(&x.file)) else { continue };
        let d = cx.diagnostic(&x.file, range, format!("compose `{key}` names `{written}`, which does not exist: docker compose refuses to start, and nothing that file defines is checked"));
        cx.report(d);
    }
}

/// Whether `path`, with `..` resolved lexically, leaves the project root.
fn escapes(root: &std::path::Path, path: &std::path::Path) -> bool {
    let mut normal = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                if !normal.pop() {
                    return true;
                }
            }
            std::path::Component::CurDir => {}
            other => normal.push(other.as_os_str()),
        }
    }
    !normal.starts_with(root)
}
