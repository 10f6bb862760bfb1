//! `stacklint capacity`: the capacity report of each project (crates/stacklint_capacity) as
//! text, Markdown or JSON (the contract is docs/capacity-json.md).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use stacklint_capacity::{AppliedFix, Input, Inputs, Report, WhatIf, access_log, analyze};
use stacklint_linter::FixMode;
use stacklint_project::Project;
use stacklint_workspace::{Config, Models, Overrides, capacity_inputs, RunError, RunRequest, build_models, build_models_with, find_config, load_config, run as lint};

use crate::cli::{CapacityArgs, CapacityFixes, CapacityFormat};
use crate::exit;

/// Bumped when a field of the JSON changes meaning or goes away (new fields do not bump it).
const SCHEMA_VERSION: u32 = 1;

pub(crate) fn run(args: &CapacityArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    // The flags are checked before anything is read.
    if let Err(e) = inputs(args, None) {
        writeln!(stderr, "stacklint: error: {e}")?;
        return Ok(exit::ERROR);
    }
    let log = match &args.access_log {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => Some((path.as_path(), String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) => {
                writeln!(stderr, "stacklint: error: {}: {e}", path.display())?;
                return Ok(exit::ERROR);
            }
        },
        None => None,
    };
    let overrides = Overrides { target: args.target.clone(), ..Overrides::default() };
    let Models { projects: models, incomplete, .. } = match crate::model::load(&args.paths, args.config.as_deref(), &overrides, stderr)? {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let mut reports: Vec<(&Project, Report)> = Vec::new();
    for p in &models {
        let config = match &args.config {
            Some(path) => load_config(path).map(Some),
            None => find_config(&p.root),
        };
        let measured = |mut i: Inputs| -> Result<Inputs, String> {
            if let (Some((path, text)), None) = (&log, args.request_time) {
                let m = access_log::measure(text, &access_log::formats(p)).map_err(|e| format!("{}: {e}", path.display()))?;
                i.request_ms = m.input(path);
                i.request_includes_connect = true;
                if args.static_share.is_none() {
                    i.static_share = m.static_share(path);
                }
            }
            Ok(i)
        };
        let inputs = match config.map_err(|e| e.to_string()).and_then(|c| inputs(args, c.as_ref())).and_then(measured) {
            Ok(i) => i,
            Err(e) => {
                writeln!(stderr, "stacklint: error: {e}")?;
                return Ok(exit::ERROR);
            }
        };
        reports.push((p, analyze(p, &inputs)));
    }
    // A what-if naming no app service is a typo, not a question.
    for spec in &args.what_if {
        let Ok(w) = WhatIf::parse(spec) else { continue };
        let names: Vec<&str> = reports.iter().flat_map(|(_, r)| r.services.iter().map(|s| s.service.as_str())).collect();
        if !names.contains(&w.service.as_str()) {
            writeln!(stderr, "stacklint: error: --set `{spec}`: no app service `{}` (app services: {})", w.service, if names.is_empty() { "none".to_owned() } else { names.join(", ") })?;
            return Ok(exit::ERROR);
        }
    }
    let mode = match args.fixes {
        CapacityFixes::None => None,
        CapacityFixes::Safe => Some((FixMode::Safe, "safe")),
        CapacityFixes::All => Some((FixMode::Unsafe, "all")),
    };
    if let Some((mode, name)) = mode {
        match after_fixes(args, &overrides, mode, &reports) {
            Ok(after) => {
                reports = reports
                    .into_iter()
                    .map(|(p, r)| match after.iter().find(|(root, ..)| *root == p.root) {
                        Some((_, fixes, a)) => {
                            let fixes = fixes.clone();
                            (p, r.with_fixes(name, fixes, a.clone()))
                        }
                        None => (p, r),
                    })
                    .collect();
            }
            Err(e) => writeln!(stderr, "stacklint: warning: the numbers after the fixes are left out: {e}")?,
        }
    }
    match args.output_format {
        CapacityFormat::Json => {
            let projects: Vec<_> = reports.iter().map(|(p, r)| json!({ "root": p.root.display().to_string(), "report": r })).collect();
            let doc = json!({ "schema_version": SCHEMA_VERSION, "projects": projects });
            serde_json::to_writer_pretty(&mut *stdout, &doc).map_err(io::Error::other)?;
            writeln!(stdout)?;
        }
        // One chart: the first project's (a chart per file is what a pull request shows).
        CapacityFormat::Svg => {
            if let Some((_, r)) = reports.first() {
                write!(stdout, "{}", stacklint_capacity::svg(r))?;
            }
        }
        CapacityFormat::Text | CapacityFormat::Markdown => {
            for (i, (p, r)) in reports.iter().enumerate() {
                if reports.len() > 1 {
                    if i > 0 {
                        writeln!(stdout)?;
                    }
                    writeln!(stdout, "project {}", p.root.display())?;
                }
                let body = if args.output_format == CapacityFormat::Text { stacklint_capacity::text(r) } else { stacklint_capacity::markdown(r) };
                write!(stdout, "{body}")?;
            }
        }
    }
    Ok(if incomplete { exit::ERROR } else { exit::CLEAN })
}

/// Each project's report with the fixes applied in memory: its root, the findings the fixes
/// remove, the report.
fn after_fixes(args: &CapacityArgs, overrides: &Overrides, mode: FixMode, before_reports: &[(&Project, Report)]) -> Result<Vec<(PathBuf, Vec<AppliedFix>, Report)>, RunError> {
    let request = RunRequest { paths: args.paths.clone(), config: args.config.clone(), overrides: overrides.clone(), ..RunRequest::default() };
    let before = lint(&request)?;
    let fixed = lint(&RunRequest { fix: Some(mode), diff: true, ..request })?;
    let texts: HashMap<PathBuf, String> = fixed.fixed.iter().map(|f| (f.path.clone(), f.new.clone())).collect();
    let models = build_models_with(&args.paths, args.config.as_deref(), overrides, &texts)?.projects;
    let mut out = Vec::new();
    for p in &models {
        // A fixable finding of this project that is gone once the fixes are applied.
        let fixes = before
            .diagnostics
            .iter()
            .filter(|d| d.file.starts_with(&p.root))
            .filter_map(|d| d.fix.as_ref().filter(|f| mode.allows(f.applicability)).map(|f| (d, f)))
            .filter(|(d, _)| !fixed.diagnostics.iter().any(|a| a.code == d.code && a.file == d.file))
            .map(|(d, f)| AppliedFix { code: d.code.to_owned(), title: f.title.clone(), place: place(&p.root, &d.file, d.range.start(), before.sources.get(&d.file)) })
            .collect();
        // The same inputs as the report without the fixes.
        let Some((_, before_report)) = before_reports.iter().find(|(b, _)| b.root == p.root) else { continue };
        out.push((p.root.clone(), fixes, analyze(p, &before_report.inputs)));
    }
    Ok(out)
}

/// `file:line`, the file relative to the project root.
fn place(root: &Path, file: &Path, offset: usize, text: Option<&String>) -> String {
    let shown = file.strip_prefix(root).unwrap_or(file).display();
    match text {
        Some(t) => format!("{shown}:{}", stacklint_text::LineIndex::new(t).location(offset, t).row),
        None => shown.to_string(),
    }
}

/// The inputs: `[capacity]` of the project's configuration over the defaults, each flag
/// given over both; each says where it came from.
fn inputs(args: &CapacityArgs, config: Option<&Config>) -> Result<Inputs, String> {
    let mut inputs = capacity_inputs(config);
    let set = |slot: &mut Input, value: Option<f64>, flag: &str| -> Result<(), String> {
        if let Some(v) = value {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{flag} must be a number of at least 0, not {v}"));
            }
            *slot = Input::new(v, flag);
        }
        Ok(())
    };
    set(&mut inputs.request_ms, args.request_time, "--request-time")?;
    set(&mut inputs.cpu_ms, args.cpu_time, "--cpu-time")?;
    set(&mut inputs.think_s, args.think_time, "--think-time")?;
    if args.static_share.is_some_and(|v| v >= 1.0) {
        return Err("--static-share must be below 1 (some requests reach the app)".to_owned());
    }
    set(&mut inputs.static_share, args.static_share, "--static-share")?;
    set(&mut inputs.worker_mib, args.worker_memory, "--worker-memory")?;
    for spec in &args.what_if {
        inputs.what_if.push(WhatIf::parse(spec).map_err(|e| format!("--set {e}"))?);
    }
    if inputs.request_ms.value <= 0.0 || inputs.cpu_ms.value <= 0.0 {
        return Err("--request-time and --cpu-time must be above 0".to_owned());
    }
    Ok(inputs)
}

/// `stacklint check --capacity`: one line per app service of each project (the headline
/// of `stacklint capacity`, with its configuration's `[capacity]` inputs).
pub(crate) fn summary(paths: &[PathBuf], config: Option<&Path>, overrides: &Overrides) -> Vec<String> {
    let Ok(models) = build_models(paths, config, overrides) else { return Vec::new() };
    let mut out = Vec::new();
    for p in &models.projects {
        let loaded = match config {
            Some(path) => load_config(path).ok(),
            None => find_config(&p.root).ok().flatten(),
        };
        let report = analyze(p, &capacity_inputs(loaded.as_ref()));
        out.extend(stacklint_capacity::headlines(&report));
    }
    out
}
