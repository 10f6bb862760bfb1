use stacklint_diagnostics::Severity;
use stacklint_syntax::dockerfile::{Instruction, Keyword};
use stacklint_syntax::shell::{self, Invocation, Token};
use stacklint_text::TextRange;

use super::common::scripts;
use super::dkr005_pip_cache_in_image::install_index;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `COPY . ...` or `ADD . ...` of the whole build context that comes
    /// before the dependency install of the same stage: `pip install -r ...`,
    /// `uv pip install -r ...`, `pipenv install`, `poetry install --no-root`,
    /// `uv sync --no-install-project`; and `pip install .`, `poetry install`,
    /// `uv sync`, `pdm install` (the project and its dependencies) when no dependencies
    /// were installed before the copy (installing just the project after the code is
    /// the right order).
    ///
    /// ## Why is this bad?
    /// Docker reuses a layer only while every instruction before it is unchanged, and a
    /// `COPY` changes whenever any copied file does. After `COPY . .`, any edit to any
    /// source file invalidates the cache of every following layer: each build
    /// downloads and installs all dependencies again (often minutes, and a new layer
    /// of every package to push and pull), instead of reusing the layer until
    /// `requirements.txt` changes.
    /// Copy the dependency manifest alone, install, then copy the code.
    ///
    /// ## Example
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// WORKDIR /app
    /// COPY . .
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// WORKDIR /app
    /// COPY requirements.txt .
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// COPY . .
    /// ```
    ///
    /// ## References
    /// - [Docker: optimize cache usage, order your layers](https://docs.docker.com/build/cache/optimize/#order-your-layers)
    /// - [Docker: build cache invalidation](https://docs.docker.com/build/cache/invalidation/)
    pub static RULE = {
        code: "DKR006",
        name: "copy-before-dependency-install",
        family: Family::Dockerfile,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

/// Whether a `COPY`/`ADD` copies the whole build context.
fn copies_context(inst: &Instruction) -> bool {
    if !matches!(inst.keyword, Keyword::Copy | Keyword::Add) || inst.flag("from").is_some() {
        return false;
    }
    let sources: Vec<&str> = match inst.exec() {
        Some(e) => e.elements.iter().map(|s| s.value.as_str()).collect(),
        None => inst.words().iter().map(|w| w.value.as_str()).collect(),
    };
    let n = sources.len().saturating_sub(1);
    sources.iter().take(n).any(|s| matches!(*s, "." | "./" | "*" | "./*"))
}

/// What kind of install a command is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Install {
    /// Installs the dependencies from a manifest.
    Dependencies,
    /// `pip install .`: the project and, unless installed before, its dependencies.
    Project,
}

fn classify_pip(args: &[shell::Word]) -> Option<Install> {
    let i = install_index(args.iter().map(|a| a.value.as_str()))?;
    let rest = args.get(i + 1..)?;
    if rest.iter().any(|a| a.value == "-r" || a.value.starts_with("--requirement") || (a.value.starts_with("-r") && a.value.len() > 2 && !a.value.starts_with("-r-"))) {
        return Some(Install::Dependencies);
    }
    let project = rest.iter().any(|a| matches!(a.value.as_str(), "." | "./" | ".[dev]") || (a.value.starts_with(".[") && a.value.ends_with(']')));
    (project && !rest.iter().any(|a| a.value == "--no-deps")).then_some(Install::Project)
}

/// The dependency installs of a RUN: (kind, logical range, source of the words).
fn installs(tokens: &[Token]) -> Vec<(Install, TextRange, String)> {
    let describe = |inv: &Invocation| {
        let words: Vec<&str> = std::iter::once(inv.program.value.as_str()).chain(inv.args.iter().take(4).map(|a| a.value.as_str())).collect();
        words.join(" ")
    };
    let span = |inv: &Invocation| inv.args.last().map_or(inv.program.range, |a| inv.program.range.cover(a.range));
    let mut out = Vec::new();
    // One pass over the commands for every installer.
    for inv in shell::find_any(tokens, &["pip", "pip3", "uv", "poetry", "pipenv", "pdm"]) {
        let has = |flag: &str| inv.args.iter().any(|a| a.value == flag);
        let kind = match shell::basename(&inv.program.value) {
            "pip" | "pip3" => classify_pip(&inv.args),
            "uv" => match inv.args.first().map(|a| a.value.as_str()) {
                Some("sync") if has("--no-install-project") => Some(Install::Dependencies),
                Some("sync") => Some(Install::Project),
                Some("pip") => classify_pip(inv.args.get(1..).unwrap_or(&[])),
                _ => None,
            },
            program => {
                let sub = inv.args.iter().find(|a| !a.value.starts_with('-')).map(|a| a.value.as_str());
                if !matches!(sub, Some("install" | "sync")) || has("--only-root") || has("--no-deps") {
                    continue;
                }
                // `poetry install --no-root` / `pdm install --no-self` install the
                // dependencies only; without them the project is installed too (cheap
                // once they are).
                let deps_only = program == "pipenv" || has("--no-root") || has("--no-self");
                Some(if deps_only { Install::Dependencies } else { Install::Project })
            }
        };
        if let Some(kind) = kind {
            out.push((kind, span(&inv), describe(&inv)));
        }
    }
    out.sort_by_key(|(_, r, _)| r.start());
    out
}

fn check(cx: &mut Checker) {
    for file in cx.files() {
        let Some(df) = file.dockerfile() else { continue };
        for stage in df.stages() {
            let mut copy: Option<&Instruction> = None;
            let mut installed_before = false;
            for inst in stage.instructions {
                if copy.is_none() && copies_context(inst) {
                    copy = Some(inst);
                    continue;
                }
                if inst.keyword != Keyword::Run {
                    continue;
                }
                let found = scripts(inst, &file.text).into_iter().find_map(|s| {
                    installs(s.tokens).into_iter().find(|(kind, _, _)| copy.is_none() || *kind == Install::Dependencies || !installed_before).map(|(kind, r, what)| (kind, s.source_range(r).unwrap_or(inst.range), what))
                });
                let Some((_, range, what)) = found else { continue };
                let Some(c) = copy else {
                    installed_before = true;
                    continue;
                };
                let message = format!(
                    "`{}` copies the whole build context before `{what}` (line {}): any code change invalidates the layer cache from here on, so every build reinstalls all dependencies",
                    copy_text(c, &file.text),
                    file.row(range.start())
                );
                let d = cx
                    .diagnostic(&file.path, c.range, message)
                    .with_related(file.path.clone(), range, "the dependency install that re-runs on every code change")
                    .with_help("Copy only the dependency manifest first (`requirements.txt`, or `pyproject.toml` and the lock file), install, then `COPY . .`");
                cx.report(d);
                break;
            }
        }
    }
}

/// `COPY . .` as written (first line only, flags kept).
fn copy_text(inst: &Instruction, source: &str) -> String {
    let text = inst.range.slice(source);
    let line = text.lines().next().unwrap_or(text).trim_end_matches('\\').trim();
    if line.chars().count() > 40 { format!("{}...", line.chars().take(37).collect::<String>()) } else { line.to_owned() }
}
