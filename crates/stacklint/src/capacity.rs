//! `stacklint capacity`: the capacity report of each project (crates/stacklint_capacity) as
//! text, Markdown or JSON (the contract is docs/capacity-json.md).

use std::io::{self, Write};

use serde_json::json;
use stacklint_capacity::{Input, Inputs, analyze};
use stacklint_workspace::{Overrides, build_models};

use crate::cli::{CapacityArgs, CapacityFormat};
use crate::exit;

/// Bumped when a field of the JSON changes meaning or goes away (new fields do not bump it).
const SCHEMA_VERSION: u32 = 1;

pub(crate) fn run(args: &CapacityArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    let inputs = match inputs(args) {
        Ok(i) => i,
        Err(e) => {
            writeln!(stderr, "stacklint: error: {e}")?;
            return Ok(exit::ERROR);
        }
    };
    let overrides = Overrides { target: args.target.clone(), ..Overrides::default() };
    let (models, warnings) = match build_models(&args.paths, args.config.as_deref(), &overrides) {
        Ok(m) => m,
        Err(e) => {
            writeln!(stderr, "stacklint: error: {e}")?;
            return Ok(exit::ERROR);
        }
    };
    for w in &warnings {
        writeln!(stderr, "stacklint: warning: {w}")?;
    }
    let reports: Vec<_> = models.iter().map(|p| (p, analyze(p, &inputs))).collect();
    match args.output_format {
        CapacityFormat::Json => {
            let projects: Vec<_> = reports.iter().map(|(p, r)| json!({ "root": p.root.display().to_string(), "report": r })).collect();
            let doc = json!({ "schema_version": SCHEMA_VERSION, "projects": projects });
            serde_json::to_writer_pretty(&mut *stdout, &doc).map_err(io::Error::other)?;
            writeln!(stdout)?;
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
    Ok(exit::CLEAN)
}

/// The inputs: each flag given replaces its default, and says so.
fn inputs(args: &CapacityArgs) -> Result<Inputs, String> {
    let mut inputs = Inputs::default();
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
    set(&mut inputs.worker_mib, args.worker_memory, "--worker-memory")?;
    if inputs.request_ms.value <= 0.0 || inputs.cpu_ms.value <= 0.0 {
        return Err("--request-time and --cpu-time must be above 0".to_owned());
    }
    Ok(inputs)
}
