use stacklint_diagnostics::Severity;
use stacklint_syntax::dockerfile::Keyword;

use super::common::{chain, chain_instructions, is_unrendered, root_image, short_image_name};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports an image whose final stage runs as root: no `USER` in the final stage or
    /// in the stages it is built `FROM`, or a last `USER` that is `root` or `0`. Without
    /// `USER`, the message says root only for official images known to run as root
    /// (`python`, `debian`, `ubuntu`, `alpine`...); for any other base it says that the
    /// base image's own user applies, root unless that image sets another.
    ///
    /// `USER` sets the user of the image no matter where it stands relative to `CMD`, so
    /// the last `USER` of the final stage's ancestry counts. Not reported: a user given
    /// by a variable (`USER ${APP_USER}`), a base image given by a variable
    /// (`FROM ${BASE}`, which may set its own user), Windows images, and Dockerfiles that install
    /// `gosu` or `su-exec` (their entrypoint drops privileges, as the official
    /// `postgres` and `redis` images do). A base image from a registry may set its own
    /// non-root user; stacklint cannot see it: suppress the finding then.
    ///
    /// ## Why is this bad?
    /// A process that runs as root in a container is root on the host's kernel too
    /// (unless user namespaces are enabled): a remote code execution in the app, or a
    /// container escape through a kernel or runtime bug, starts with full privileges,
    /// and the app can overwrite its own code and any mounted volume.
    ///
    /// ## Example
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// COPY . /app
    /// CMD ["gunicorn", "app.wsgi"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// RUN useradd --create-home --uid 10001 app
    /// COPY . /app
    /// USER app
    /// CMD ["gunicorn", "app.wsgi"]
    /// ```
    ///
    /// ## References
    /// - [Docker: best practices, USER](https://docs.docker.com/build/building/best-practices/#user)
    /// - [Dockerfile reference: USER](https://docs.docker.com/reference/dockerfile/#user)
    pub static RULE = {
        code: "DKR003",
        name: "runs-as-root",
        family: Family::Dockerfile,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

/// Whether a `USER` value is root: `root`, `0`, `root:group`, `0:0`.
fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || name == "0"
}

/// Official images known to run as root when no `USER` is set.
const ROOT_IMAGES: &[&str] = &["python", "pypy", "nginx", "httpd", "caddy", "traefik", "debian", "ubuntu", "alpine", "busybox", "buildpack-deps", "node", "fedora", "almalinux", "rockylinux", "amazonlinux", "oraclelinux", "archlinux", "opensuse/leap", "continuumio/miniconda3", "ghcr.io/astral-sh/uv"];

/// Official images whose own process does not serve as root: the image sets a `USER`
/// (OpenSearch, Elasticsearch, Logstash, Kibana), nginx runs its workers as `nginx` (the
/// master only binds the port), and the datastores' entrypoints step down to their own user.
const UNPRIVILEGED_IMAGES: &[&str] = &[
    "nginx", "opensearchproject/opensearch", "opensearchproject/opensearch-dashboards", "elasticsearch", "logstash", "kibana",
    "postgres", "redis", "mysql", "mariadb", "mongo", "rabbitmq", "memcached",
];

fn runs_unprivileged(short_name: &str) -> bool {
    UNPRIVILEGED_IMAGES.contains(&short_name) || short_name.starts_with("docker.elastic.co/") || short_name.starts_with("nginxinc/nginx-unprivileged")
}

/// Whether the Dockerfile at `dockerfile` (with `text`) puts `script` in the image by name:
/// a `COPY`/`ADD` source that is the script or a folder holding it (`COPY ./docker/rootfs /`
/// for `docker/rootfs/etc/s6-overlay/.../run`), or its file name anywhere (`ENTRYPOINT`).
/// `COPY . .` does not count: it copies every script, including other images' entrypoints.
fn copied_by(dockerfile: &std::path::Path, text: &str, script: &std::path::Path) -> bool {
    let context = dockerfile.parent().unwrap_or(std::path::Path::new(""));
    let rel = script.strip_prefix(context).unwrap_or(script);
    if rel.file_name().and_then(|n| n.to_str()).is_some_and(|n| text.contains(n)) {
        return true;
    }
    let rel = rel.to_string_lossy().replace('\\', "/");
    text.lines().map(str::trim_start).filter(|l| l.get(..4).is_some_and(|k| k.eq_ignore_ascii_case("COPY")) || l.get(..3).is_some_and(|k| k.eq_ignore_ascii_case("ADD"))).any(|line| {
        let words: Vec<&str> = line.split_whitespace().skip(1).filter(|w| !w.starts_with("--")).collect();
        let sources = words.len().saturating_sub(1);
        words.iter().take(sources).any(|w| {
            let w = w.trim_start_matches("./").trim_end_matches('/');
            !w.is_empty() && w != "." && (rel == w || rel.starts_with(&format!("{w}/")))
        })
    })
}

/// `su app -c "..."` (also `su - app -c`, `su -s /bin/sh app -c`): a command run as a user
/// other than root.
fn su_to_user(line: &str) -> bool {
    let words: Vec<&str> = line.split(|c: char| c.is_whitespace() || matches!(c, '(' | ';' | '&' | '|' | '`')).filter(|w| !w.is_empty()).collect();
    words.iter().enumerate().filter(|(_, w)| **w == "su").any(|(i, _)| {
        let mut rest = words.iter().skip(i + 1);
        let mut user = None;
        while let Some(w) = rest.next() {
            match *w {
                "-" | "-l" | "--login" | "-p" | "-m" => {}
                "-s" | "--shell" | "-g" | "--group" => {
                    rest.next();
                }
                "-c" | "--command" => break,
                w if w.starts_with('-') => {}
                w => {
                    if user.is_some() {
                        return false;
                    }
                    user = Some(w);
                }
            }
        }
        user.is_some_and(|u| u != "root" && u != "0") && words.iter().skip(i + 1).any(|w| *w == "-c" || *w == "--command")
    })
}

/// Commands in entrypoint and service scripts that start the app as another user.
const PRIVILEGE_DROPS: &[&str] = &["gosu ", "su-exec ", "s6-setuidgid ", "setpriv ", "runuser ", "chpst -u"];

fn check(cx: &mut Checker) {
    // The project's scripts (entrypoints, s6/runit service scripts) that switch user.
    let dropping_scripts: Vec<std::path::PathBuf> = cx
        .files()
        .filter(|f| f.kind == stacklint_project::FileKind::Shell)
        .filter(|f| f.text.lines().any(|l| !l.trim_start().starts_with('#') && (PRIVILEGE_DROPS.iter().any(|p| l.contains(p)) || su_to_user(l))))
        .map(|f| f.path.clone())
        .collect();
    for file in cx.files() {
        let scripts_drop_privileges = dropping_scripts.iter().any(|script| copied_by(&file.path, &file.text, script));
        let Some(df) = file.dockerfile() else { continue };
        let stages = df.stages();
        let Some(last) = stages.len().checked_sub(1) else { continue };
        let Some(final_stage) = stages.get(last) else { continue };
        let base = root_image(&stages, last);
        if base.is_some_and(|i| {
            let name = short_image_name(i);
            name.contains("windows") || name.contains("nanoserver") || name.contains("servercore")
        }) {
            continue;
        }
        // An image given by a variable or a template may set its own USER.
        let unknown_base = base.is_none_or(|i| is_unrendered(&i.word.raw));
        // An entrypoint that drops privileges with gosu / su-exec.
        let drops_privileges = df.instructions.iter().filter(|i| i.keyword == Keyword::Run).any(|i| {
            let t = i.args_text.as_str();
            t.contains("gosu") || t.contains("su-exec")
        });
        if drops_privileges || base.is_some_and(|i| runs_unprivileged(&short_image_name(i))) || scripts_drop_privileges {
            continue;
        }
        let ancestry = chain(&stages, last);
        let last_user = chain_instructions(&stages, &ancestry).into_iter().rev().find(|i| i.keyword == Keyword::User);
        let name = final_stage.name().map_or_else(String::new, |n| format!(" `{n}`"));
        match last_user {
            Some(user) => {
                let Some(text) = user.text() else { continue };
                let value = text.as_str().trim();
                if is_unrendered(value) || !is_root(value) {
                    continue;
                }
                let message = format!("The final stage{name} runs as `USER {value}`: a code-execution bug in the app, or a container escape, starts with root privileges, and the app can overwrite its own code and mounted volumes");
                let d = cx.diagnostic(&file.path, user.range, message).with_help("Switch to an unprivileged user for the runtime, e.g. `USER app` after `RUN useradd --create-home app`");
                cx.report(d);
            }
            None if unknown_base => {}
            None => {
                let image = base.map_or_else(String::new, |i| i.word.raw.clone());
                let runs_as = if base.is_some_and(|i| ROOT_IMAGES.contains(&short_image_name(i).as_str())) {
                    format!("`{image}` runs as root by default, so the container runs as root")
                } else {
                    format!("the container runs as the user `{image}` declares, root unless that image sets another")
                };
                let message = format!("The final stage{name} sets no `USER` and {runs_as}: a code-execution bug in the app, or a container escape, starts with root privileges, and the app can overwrite its own code and mounted volumes");
                let d = cx.diagnostic(&file.path, final_stage.from.range, message).with_help("Create an unprivileged user and switch to it before `CMD`: `RUN useradd --create-home app` and `USER app`");
                cx.report(d);
            }
        }
    }
}
