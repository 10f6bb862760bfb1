//! `stacklint model`: the deployment model as text for people and JSON for tools (the
//! contract is docs/model-json.md; `schema_version` changes when a field does).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use stacklint_project::deployment::{DeployedService, FileVia, Link, Origin};
use stacklint_project::{FileKind, Project, format_bytes};
use stacklint_workspace::{Models, Overrides, build_models};

use crate::cli::{ModelArgs, ModelFormat};
use crate::exit;

/// Bumped when a field of the JSON changes meaning or goes away (new fields do not bump it).
const SCHEMA_VERSION: u32 = 1;

/// The models of `paths`, with the discovery warnings written to `stderr`; `Err` holds the
/// exit code when the configuration or a selector is wrong (the error is written too).
pub(crate) fn load(paths: &[PathBuf], config: Option<&Path>, overrides: &Overrides, stderr: &mut dyn Write) -> io::Result<Result<Models, i32>> {
    let models = match build_models(paths, config, overrides) {
        Ok(m) => m,
        Err(e) => {
            writeln!(stderr, "stacklint: error: {e}")?;
            return Ok(Err(exit::ERROR));
        }
    };
    for w in &models.warnings {
        writeln!(stderr, "stacklint: warning: {w}")?;
    }
    Ok(Ok(models))
}

pub(crate) fn run(args: &ModelArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    let overrides = Overrides { target: args.target.clone(), ..Overrides::default() };
    let Models { projects: models, incomplete, .. } = match load(&args.paths, args.config.as_deref(), &overrides, stderr)? {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    match args.output_format {
        ModelFormat::Json => {
            let projects: Vec<Value> = models.iter().map(project_json).collect();
            let doc = json!({ "schema_version": SCHEMA_VERSION, "projects": projects });
            serde_json::to_writer_pretty(&mut *stdout, &doc).map_err(io::Error::other)?;
            writeln!(stdout)?;
        }
        ModelFormat::Text => {
            for (i, p) in models.iter().enumerate() {
                if i > 0 {
                    writeln!(stdout)?;
                }
                write_text(p, stdout)?;
            }
        }
    }
    Ok(if incomplete { exit::ERROR } else { exit::CLEAN })
}

/// A path relative to the project root, with `/` separators.
fn rel(project: &Project, path: &Path) -> String {
    let p = path.strip_prefix(&project.root).unwrap_or(path);
    p.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// `file:line (what)`.
fn origin_text(project: &Project, o: &Origin) -> String {
    let line = o.range.and_then(|r| project.file(&o.file).map(|f| f.row(r.start())));
    match line {
        Some(l) => format!("{}:{l} ({})", rel(project, &o.file), o.what),
        None => format!("{} ({})", rel(project, &o.file), o.what),
    }
}

/// `file:line` of a compose problem.
fn problem_place(p: &Project, x: &stacklint_project::compose::ComposeProblem) -> String {
    origin_line(p, &Origin { file: x.file.clone(), range: x.range, what: String::new() })
}

/// `file:line`.
fn origin_line(project: &Project, o: &Origin) -> String {
    let line = o.range.and_then(|r| project.file(&o.file).map(|f| f.row(r.start())));
    line.map_or_else(|| rel(project, &o.file), |l| format!("{}:{l}", rel(project, &o.file)))
}

fn origin_json(project: &Project, o: &Origin) -> Value {
    let line = o.range.and_then(|r| project.file(&o.file).map(|f| f.row(r.start())));
    json!({ "file": rel(project, &o.file), "line": line, "what": o.what })
}

/// A URL with its password replaced (`postgres://u:***@db/x`): the model is printed and
/// pasted into issues.
fn redact(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else { return value.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else { return value.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
        None => value.to_owned(),
    }
}

/// Whether an environment variable holds a secret by its name.
fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["PASSWORD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY"].iter().any(|w| n.contains(w))
}

fn env_value(name: &str, value: Option<&str>) -> Option<String> {
    value.map(|v| if is_secret(name) && !v.is_empty() { "***".to_owned() } else { redact(v) })
}

fn target_text(t: &stacklint_project::Target) -> String {
    format!("{} CPUs ({}), {} ({})", t.cpus, t.cpus_source, format_bytes(t.memory), t.memory_source)
}

/// Files a person looks for in a service: configuration, not the application's code.
fn shown_in_text(kind: FileKind) -> bool {
    !matches!(kind, FileKind::Python | FileKind::Requirements | FileKind::PyProject | FileKind::Compose | FileKind::Dockerfile)
}

fn write_text(p: &Project, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "project {}", p.root.display())?;
    writeln!(out, "  target: {}", target_text(&p.target))?;
    for s in &p.deployment.services {
        writeln!(out)?;
        write_service(p, s, out)?;
    }
    if !p.deployment.links.is_empty() {
        writeln!(out)?;
        writeln!(out, "links")?;
        for l in &p.deployment.links {
            writeln!(out, "  {} -> {} ({})  {}", l.from, l.to, l.kind, origin_text(p, &l.origin))?;
        }
    }
    if !p.compose.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "compose problems")?;
        for x in &p.compose.problems {
            writeln!(out, "  {}  {}", problem_place(p, x), x.message)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "files")?;
    for f in &p.files {
        let mut notes: Vec<String> = Vec::new();
        for s in p.deployment.services_with_file(&f.path).filter(|_| shown_in_text(f.kind)) {
            match s.files.iter().find(|x| x.file == f.path) {
                Some(x) if x.via != FileVia::Host => notes.push(format!("{} at {}", s.name, x.container_path)),
                _ => {}
            }
        }
        if let Some(m) = p.django.iter().find(|m| m.path == f.path) {
            if let Some(reason) = &m.production {
                notes.push(format!("production settings: {reason}"));
            } else if m.development {
                notes.push(format!("development or test settings: {}", m.development_reason.as_deref().unwrap_or("its name says so")));
            } else if m.imported {
                notes.push("settings imported by another module".to_owned());
            }
        }
        let seen = if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join("; ")) };
        writeln!(out, "  {}  {}{seen}", rel(p, &f.path), f.kind.name())?;
    }
    Ok(())
}

fn write_service(p: &Project, s: &DeployedService, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "service {}  {}", s.name, origin_text(p, &s.defined_in))?;
    writeln!(out, "  role: {}", s.role)?;
    if !s.profiles.is_empty() {
        writeln!(out, "  profiles: only with profile {}", s.profiles.join(" or "))?;
    }
    if let Some(i) = &s.image {
        writeln!(out, "  image: {}  {}", i.value, origin_text(p, &i.origin))?;
    }
    if let Some(b) = &s.build {
        let stage = b.stage.as_deref().map_or_else(|| format!("stage {}", b.stage_index), |n| format!("stage {n}"));
        writeln!(out, "  build: {}, {stage}", rel(p, &b.dockerfile))?;
    }
    if let Some(r) = &s.replicas {
        writeln!(out, "  replicas: {}  {}", r.value, origin_text(p, &r.origin))?;
    }
    match &s.command {
        Some(c) => {
            let program = c.program.as_deref().map(|x| format!(" [{x}]")).unwrap_or_default();
            writeln!(out, "  command: {}{program}  {}", shell_join(&c.argv), origin_text(p, &c.origin))?;
            for v in &c.via {
                writeln!(out, "    via {}", origin_text(p, v))?;
            }
        }
        None => writeln!(out, "  command: the image's default")?,
    }
    if let Some(m) = &s.settings_module {
        writeln!(out, "  settings module: {}  {}", m.value, origin_text(p, &m.origin))?;
    }
    for r in &s.config_files {
        let file = r.file.as_ref().map_or_else(|| "not a project file".to_owned(), |f| rel(p, f));
        writeln!(out, "  {} reads {} ({file})  {}", r.program, r.path, origin_text(p, &r.origin))?;
    }
    writeln!(out, "  target: {}", target_text(&s.target))?;
    if !s.ports.is_empty() {
        writeln!(out, "  ports: {}", s.ports.iter().map(|x| x.value.as_str()).collect::<Vec<_>>().join(", "))?;
    }
    if !s.depends_on.is_empty() {
        writeln!(out, "  depends on: {}", s.depends_on.join(", "))?;
    }
    if let Some(h) = &s.healthcheck {
        writeln!(out, "  healthcheck: {}", origin_text(p, h))?;
    }
    for m in &s.missing_env_files {
        writeln!(out, "  env_file not in the project: {}  {}", m.value, origin_line(p, &m.origin))?;
    }
    if !s.environment.is_empty() {
        writeln!(out, "  environment:")?;
        for e in &s.environment {
            let v = env_value(&e.name, e.value.as_deref()).map_or_else(|| " (from the host)".to_owned(), |v| format!("={v}"));
            writeln!(out, "    {}{v}  {}", e.name, origin_text(p, &e.origin))?;
        }
    }
    if s.files.iter().any(|f| f.via == FileVia::Host) {
        writeln!(out, "  files: the project's, in place (runs on the host)")?;
    } else {
        let shown: Vec<_> = s.files.iter().filter(|f| p.file(&f.file).is_some_and(|sf| shown_in_text(sf.kind))).collect();
        let hidden = s.files.len() - shown.len();
        if !s.files.is_empty() {
            writeln!(out, "  files:{}", if hidden > 0 { format!(" ({hidden} more: code and build files)") } else { String::new() })?;
        }
        for f in shown {
            let via = match f.via {
                FileVia::Copy => "copied",
                FileVia::Mount => "mounted",
                FileVia::Host => "in place",
            };
            writeln!(out, "    {} -> {}  {via}: {}", rel(p, &f.file), f.container_path, origin_line(p, &f.origin))?;
        }
    }
    Ok(())
}

/// An argv as a person would type it.
fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c)) { a.clone() } else { format!("'{}'", a.replace('\'', "'\\''")) })
        .collect::<Vec<_>>()
        .join(" ")
        // One line per command in the text view.
        .replace('\n', "\\n")
}

fn project_json(p: &Project) -> Value {
    let services: Vec<Value> = p.deployment.services.iter().map(|s| service_json(p, s)).collect();
    let links: Vec<Value> = p.deployment.links.iter().map(|l| link_json(p, l)).collect();
    let files: Vec<Value> = p
        .files
        .iter()
        .map(|f| {
            let settings = p.django.iter().find(|m| m.path == f.path).map(|m| {
                json!({
                    "dotted": m.dotted,
                    "production": m.production.as_ref().map(ToString::to_string),
                    "development": m.development,
                    "development_reason": m.development_reason,
                    "imported": m.imported,
                })
            });
            json!({ "path": rel(p, &f.path), "kind": f.kind.name(), "template": f.template.is_some(), "settings": settings })
        })
        .collect();
    json!({
        "root": p.root.display().to_string(),
        "target": target_json(&p.target),
        "services": services,
        "links": links,
        "compose_problems": p.compose.problems.iter().map(|x| json!({ "file": rel(p, &x.file), "line": x.range.and_then(|r| p.file(&x.file).map(|f| f.row(r.start()))), "message": x.message })).collect::<Vec<_>>(),
        "files": files,
    })
}

fn target_json(t: &stacklint_project::Target) -> Value {
    json!({ "cpus": t.cpus, "cpus_source": t.cpus_source.to_string(), "memory_bytes": t.memory, "memory_source": t.memory_source.to_string() })
}

fn service_json(p: &Project, s: &DeployedService) -> Value {
    let sourced = |v: Value, o: &Origin| json!({ "value": v, "origin": origin_json(p, o) });
    json!({
        "name": s.name,
        "defined_in": origin_json(p, &s.defined_in),
        "role": s.role.to_string(),
        "profiles": s.profiles,
        "image": s.image.as_ref().map(|i| sourced(json!(i.value), &i.origin)),
        "build": s.build.as_ref().map(|b| json!({ "dockerfile": rel(p, &b.dockerfile), "stage": b.stage, "stage_index": b.stage_index })),
        "replicas": s.replicas.as_ref().map(|r| sourced(json!(r.value), &r.origin)),
        "command": s.command.as_ref().map(|c| json!({
            "argv": c.argv,
            "program": c.program,
            "origin": origin_json(p, &c.origin),
            "via": c.via.iter().map(|v| origin_json(p, v)).collect::<Vec<_>>(),
        })),
        "settings_module": s.settings_module.as_ref().map(|m| sourced(json!(m.value), &m.origin)),
        "config_files": s.config_files.iter().map(|r| json!({ "program": r.program, "path": r.path, "file": r.file.as_ref().map(|f| rel(p, f)), "origin": origin_json(p, &r.origin) })).collect::<Vec<_>>(),
        "workdir": s.workdir,
        "target": target_json(&s.target),
        "environment": s.environment.iter().map(|e| json!({ "name": e.name, "value": env_value(&e.name, e.value.as_deref()), "origin": origin_json(p, &e.origin) })).collect::<Vec<_>>(),
        "files": s.files.iter().map(|f| json!({
            "path": rel(p, &f.file),
            "container_path": f.container_path,
            "via": match f.via { FileVia::Copy => "copy", FileVia::Mount => "mount", FileVia::Host => "host" },
            "origin": origin_json(p, &f.origin),
        })).collect::<Vec<_>>(),
        "ports": s.ports.iter().map(|x| sourced(json!(x.value), &x.origin)).collect::<Vec<_>>(),
        "depends_on": s.depends_on,
        "missing_env_files": s.missing_env_files.iter().map(|m| sourced(json!(m.value), &m.origin)).collect::<Vec<_>>(),
        "healthcheck": s.healthcheck.as_ref().map(|h| origin_json(p, h)),
    })
}

fn link_json(p: &Project, l: &Link) -> Value {
    let (kind, name, port) = match &l.to {
        stacklint_project::deployment::LinkTarget::Service { name, port } => ("service", name, port),
        stacklint_project::deployment::LinkTarget::External { host, port } => ("external", host, port),
    };
    json!({ "from": l.from, "kind": l.kind.to_string(), "to": { "type": kind, "name": name, "port": port }, "origin": origin_json(p, &l.origin) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(redact("postgres://rag:secret@db:5432/rag"), "postgres://rag:***@db:5432/rag");
        assert_eq!(redact("redis://redis:6379/0"), "redis://redis:6379/0");
        assert_eq!(env_value("POSTGRES_PASSWORD", Some("x")).as_deref(), Some("***"));
    }
}
