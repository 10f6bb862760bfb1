//! The stacklint command line: argument parsing, running the engine, rendering output.
//!
//! Everything here is IO and presentation; the rules live in `stacklint_linter`, the
//! project discovery and fixing in `stacklint_workspace`.

pub mod cli;
mod capacity;
mod model;
pub mod render;
mod rule_docs;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use clap::Parser;
use stacklint_diagnostics::{Applicability, Diagnostic};
use stacklint_linter::{DropCause, DroppedFix, FixMode, rule_by_code_or_name};
use stacklint_workspace::{Overrides, RunOutcome, RunRequest, run};

use crate::cli::{CheckArgs, Cli, Command, RuleArgs};
use crate::render::{OutputFormat, RenderContext, render, render_statistics};

pub use rule_docs::{rule_markdown, rules_index_markdown};

/// Exit codes, as DESIGN.md §1 defines them.
pub mod exit {
    /// Nothing left to report.
    pub const CLEAN: i32 = 0;
    /// Findings remain (with `--diff`: fixes are pending).
    pub const FINDINGS: i32 = 1;
    /// Usage or configuration error, or a file that could not be read.
    pub const ERROR: i32 = 2;
}

/// The fixes not applied, on standard error. A file that gets no fix at all (a template,
/// parse errors, lone `\r` line endings) is named once, with the rules it kept from fixing;
/// a fix dropped for itself (it would break the file, or does not settle) is named alone.
fn write_dropped(dropped: &[DroppedFix], stderr: &mut dyn Write) -> io::Result<()> {
    let mut per_file: Vec<(&str, Vec<&str>)> = Vec::new();
    for d in dropped {
        let code = d.diagnostic.code;
        if !matches!(d.cause, DropCause::Template | DropCause::ParseErrors | DropCause::CrLineEndings) {
            writeln!(stderr, "stacklint: warning: fix for {code} [{}] not applied: {}", d.diagnostic.name, d.reason)?;
            continue;
        }
        match per_file.iter_mut().find(|(reason, _)| *reason == d.reason) {
            Some((_, codes)) if codes.contains(&code) => {}
            Some((_, codes)) => codes.push(code),
            None => per_file.push((&d.reason, vec![code])),
        }
    }
    for (reason, codes) in per_file {
        writeln!(stderr, "stacklint: warning: {reason} ({} not fixed)", codes.join(", "))?;
    }
    Ok(())
}

/// Run the command line with `args` (including the program name); returns the exit code.
pub fn main_with_args(args: impl IntoIterator<Item = String>, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::ERROR } else { exit::CLEAN };
            let text = if e.use_stderr() { e.render().to_string() } else { e.to_string() };
            let target: &mut dyn Write = if e.use_stderr() { stderr } else { stdout };
            let _ = write!(target, "{text}");
            return code;
        }
    };
    let result = match cli.command {
        Command::Check(args) => check(&args, stdout, stderr),
        Command::Rule(args) => rule(&args, stdout, stderr),
        Command::Model(args) => model::run(&args, stdout, stderr),
        Command::Capacity(args) => capacity::run(&args, stdout, stderr),
        // Standard input and output carry the protocol: nothing else may write there.
        Command::Server => stacklint_server::run_stdio().map(|()| exit::CLEAN),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`stacklint check | head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::CLEAN,
        Err(e) => {
            let _ = writeln!(stderr, "stacklint: error: {e}");
            exit::ERROR
        }
    }
}

fn check(args: &CheckArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    let stdin = match &args.stdin_filename {
        Some(path) => {
            let mut bytes = Vec::new();
            let text = io::stdin().read_to_end(&mut bytes).map_err(|e| e.to_string()).and_then(|_| stacklint_workspace::decode(bytes));
            match text {
                Ok(text) => Some((path.clone(), text)),
                Err(reason) => {
                    writeln!(stderr, "stacklint: error: cannot read standard input ({}): {reason}", path.display())?;
                    return Ok(exit::ERROR);
                }
            }
        }
        None => None,
    };
    // Like ruff: --unsafe-fixes alone only counts unsafe fixes as available.
    let fix = (args.fix || args.diff).then_some(if args.unsafe_fixes { FixMode::Unsafe } else { FixMode::Safe });
    let request = RunRequest {
        paths: args.paths.clone(),
        config: args.config.clone(),
        overrides: Overrides {
            select: args.select.clone(),
            ignore: args.ignore.clone(),
            extend_select: args.extend_select.clone(),
            target: args.target.clone(),
        },
        fix,
        diff: args.diff,
        stdin,
        buffers: Vec::new(),
        parse_cache: None,
        disk_cache: None,
    };
    let outcome = match run(&request) {
        Ok(o) => o,
        Err(e) => {
            writeln!(stderr, "stacklint: error: {e}")?;
            return Ok(exit::ERROR);
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    for w in &outcome.warnings {
        let level = if w.is_error() { "error" } else { "warning" };
        writeln!(stderr, "stacklint: {level}: {w}")?;
    }
    for e in &outcome.write_errors {
        writeln!(stderr, "stacklint: error: {e}")?;
    }
    write_dropped(&outcome.dropped, stderr)?;
    for o in &outcome.oscillating {
        writeln!(stderr, "stacklint: warning: {o}")?;
    }
    if args.show_files {
        for (path, kind) in &outcome.files {
            writeln!(stdout, "{} ({})", render::display_path(path, &cwd), kind.name())?;
        }
        return Ok(if outcome.io_error { exit::ERROR } else { exit::CLEAN });
    }
    if args.diff {
        return diff_output(args, &outcome, &cwd, stdout, stderr);
    }
    if let (Some(name), Some(_)) = (&args.stdin_filename, fix) {
        let name = std::path::absolute(name).unwrap_or_else(|_| name.clone());
        // Editors and pre-commit read the fixed text back from standard output.
        // Exactly the buffer, fixed (or as given): never another file's text.
        let text = outcome.fixed.iter().find(|f| f.path == name).map(|f| f.new.clone()).or_else(|| request.stdin.as_ref().map(|(_, t)| t.clone())).unwrap_or_default();
        stdout.write_all(text.as_bytes())?;
        return Ok(exit_code(args, &outcome, outcome.diagnostics.is_empty()));
    }
    let mut out = io::BufWriter::new(stdout);
    let sources = &outcome.sources;
    // No public documentation site yet: `stacklint rule CODE` shows the page.
    let url = |_: &str| None::<String>;
    let summary = |code: &str| rule_by_code_or_name(code).map(stacklint_linter::Rule::summary);
    let mut cx = RenderContext::new(&cwd, sources, env!("CARGO_PKG_VERSION"));
    cx.rule_url = &url;
    cx.rule_summary = &summary;
    cx.color = color_enabled(args.output_format);
    cx.unsafe_fixes = args.unsafe_fixes;
    // "All checks passed!" is not true of a run that could not read everything.
    let nothing_to_claim = outcome.io_error && outcome.diagnostics.is_empty();
    cx.summary = !args.quiet && !nothing_to_claim;
    if args.statistics {
        render_statistics(args.output_format, &outcome.diagnostics, &cx, &mut out)?;
    } else {
        render(args.output_format, &outcome.diagnostics, &cx, &mut out)?;
    }
    // Info, after the findings: the machine-readable formats stay a list of findings.
    if args.capacity && matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise) {
        let lines = capacity::summary(&request.paths, request.config.as_deref(), &request.overrides);
        if !lines.is_empty() {
            writeln!(out)?;
            for l in &lines {
                writeln!(out, "info: {l}")?;
            }
            writeln!(out, "(`stacklint capacity` shows the arithmetic, the inputs it assumes and what the fixes buy)")?;
        }
    }
    out.flush()?;
    drop(out);
    if fix.is_some() && !args.quiet && matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise) {
        // Only what reached the disk counts.
        let written = outcome.files_written;
        match outcome.fixes_written {
            Some(n) if n > 0 => writeln!(stderr, "Fixed {n} finding{} in {written} file{}.", plural(n), plural(written))?,
            Some(_) => {}
            None if written > 0 => writeln!(stderr, "Fixed findings in {written} of {} file{}; the others were not written (see above).", outcome.fixed.len(), plural(outcome.fixed.len()))?,
            None => writeln!(stderr, "No fixes written: the {} file{} to fix could not be written (see above).", outcome.fixed.len(), plural(outcome.fixed.len()))?,
        }
    }
    Ok(exit_code(args, &outcome, outcome.diagnostics.is_empty()))
}

fn diff_output(args: &CheckArgs, outcome: &RunOutcome, cwd: &Path, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    let mut out = io::BufWriter::new(stdout);
    for f in &outcome.fixed {
        out.write_all(f.diff(cwd).as_bytes())?;
    }
    out.flush()?;
    drop(out);
    let n = outcome.fixes_applied;
    if !args.quiet {
        if n > 0 {
            writeln!(stderr, "Would fix {n} finding{} in {} file{}.", plural(n), outcome.fixed.len(), plural(outcome.fixed.len()))?;
        } else {
            writeln!(stderr, "No fixes available.")?;
        }
    }
    Ok(exit_code(args, outcome, outcome.fixed.is_empty()))
}

fn exit_code(args: &CheckArgs, outcome: &RunOutcome, clean: bool) -> i32 {
    if outcome.io_error {
        exit::ERROR
    } else if clean || args.exit_zero {
        exit::CLEAN
    } else {
        exit::FINDINGS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn color_enabled(format: OutputFormat) -> bool {
    use std::io::IsTerminal;
    matches!(format, OutputFormat::Full | OutputFormat::Concise)
        && std::env::var_os("NO_COLOR").is_none()
        && (std::env::var_os("FORCE_COLOR").is_some() || io::stdout().is_terminal())
}

fn rule(args: &RuleArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    let json = args.output_format == "json";
    if args.all {
        if json {
            let all: Vec<_> = stacklint_linter::RULES.iter().map(|r| rule_docs::rule_json(r)).collect();
            writeln!(stdout, "{}", serde_json::to_string_pretty(&all).unwrap_or_default())?;
        } else {
            stdout.write_all(rules_index_markdown().as_bytes())?;
        }
        return Ok(exit::CLEAN);
    }
    let name = args.rule.as_deref().unwrap_or_default();
    match rule_by_code_or_name(name) {
        Some(r) if json => writeln!(stdout, "{}", serde_json::to_string_pretty(&rule_docs::rule_json(r)).unwrap_or_default())?,
        Some(r) => stdout.write_all(rule_markdown(r).as_bytes())?,
        None => {
            let hint = stacklint_linter::select_rules(name).err().flatten().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
            writeln!(stderr, "stacklint: error: no rule `{name}`{hint}")?;
            return Ok(exit::ERROR);
        }
    }
    Ok(exit::CLEAN)
}

/// Whether a finding is fixed by `--fix` (with `unsafe_fixes`, also the unsafe ones).
pub fn is_fixable(d: &Diagnostic, unsafe_fixes: bool) -> bool {
    d.fix.as_ref().is_some_and(|f| f.applicability == Applicability::Safe || unsafe_fixes && f.applicability == Applicability::Unsafe)
}
