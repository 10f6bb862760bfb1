use stacklint_diagnostics::{Edit, Fix, Severity};
use stacklint_syntax::dockerfile::{Instruction, Keyword};
use stacklint_syntax::shell::{self, Invocation, Token};
use stacklint_text::TextRange;

use super::common::{Script, chain, chain_instructions, scripts};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `pip install` (also `pip3 install`, `python -m pip install`, inside
    /// `sh -c` and `RUN <<EOF` heredocs) in a `RUN` of the final stage or the stages it
    /// is built `FROM`, without `--no-cache-dir`.
    ///
    /// Not reported when the cache cannot end up in the layer: `ENV PIP_NO_CACHE_DIR=...`
    /// (or `ARG`, or `PIP_NO_CACHE_DIR=1 pip install`) before it, a
    /// `--mount=type=cache` on the `RUN` (the better practice: the cache survives
    /// between builds and stays out of the image), or an `rm -rf` of the pip cache
    /// in the same `RUN`. Stages that are only copied from (`COPY --from=builder`) are
    /// not reported: their cache is not shipped.
    ///
    /// ## Why is this bad?
    /// pip keeps every wheel it downloads or builds in `~/.cache/pip` (`/root/.cache/pip`
    /// in most images). In a `RUN` that directory is written into the layer and shipped
    /// with every push and pull of the image, though nothing in the container reads it
    /// again: often as large as the installed packages themselves.
    ///
    /// ## Fix
    /// Safe: inserts ` --no-cache-dir` right after `install` (also on a continued line or
    /// inside `sh -c "..."`).
    ///
    /// ## Example
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// COPY requirements.txt .
    /// RUN pip install -r requirements.txt
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// COPY requirements.txt .
    /// RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
    /// ```
    ///
    /// ## References
    /// - [pip: caching](https://pip.pypa.io/en/stable/topics/caching/)
    /// - [Docker: cache mounts](https://docs.docker.com/build/cache/optimize/#use-cache-mounts)
    pub static RULE = {
        code: "DKR005",
        name: "pip-cache-in-image",
        family: Family::Dockerfile,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

const MESSAGE: &str = "`pip install` without `--no-cache-dir` writes pip's download and wheel cache (`~/.cache/pip`) into the layer: it ships with every pull of the image and nothing reads it again";

/// pip options before the sub-command that take a separate value.
const GLOBAL_WITH_VALUE: &[&str] = &["--proxy", "--cache-dir", "--log", "--timeout", "--retries", "--exists-action", "--cert", "--client-cert", "--python", "--trusted-host", "--use-feature", "--use-deprecated", "--keyring-provider", "--resume-retries"];

/// The index (in `args`) of the `install` sub-command.
pub(crate) fn install_index<'a>(args: impl IntoIterator<Item = &'a str>) -> Option<usize> {
    let mut skip = false;
    for (i, a) in args.into_iter().enumerate() {
        if skip {
            skip = false;
        } else if a.starts_with('-') {
            skip = GLOBAL_WITH_VALUE.contains(&a);
        } else {
            return (a == "install").then_some(i);
        }
    }
    None
}

/// `--no-cache-dir`, or an abbreviation pip's option parser accepts (`--no-cache`).
fn is_no_cache_dir(arg: &str) -> bool {
    arg.len() >= "--no-cach".len() && "--no-cache-dir".starts_with(arg)
}

/// The pip invocations of shell tokens.
fn pip_invocations(tokens: &[Token]) -> Vec<Invocation> {
    shell::find_any(tokens, &["pip", "pip3"])
}

/// Whether the RUN removes pip's cache itself.
fn removes_cache(tokens: &[Token]) -> bool {
    // Only the `rm` commands are copied out of the tokens.
    shell::find_any(tokens, &["rm"]).iter().any(|c| c.args.iter().any(|w| w.value.contains(".cache/pip") || w.value.trim_end_matches('/') == "/root/.cache" || w.value.trim_end_matches('/') == "~/.cache"))
}

fn covered_by_env(before: &[&Instruction]) -> bool {
    before.iter().filter(|i| matches!(i.keyword, Keyword::Env | Keyword::Arg)).flat_map(|i| i.key_values()).any(|kv| kv.key.value == "PIP_NO_CACHE_DIR" && kv.value.is_some())
}

fn check(cx: &mut Checker) {
    for file in cx.files() {
        let Some(df) = file.dockerfile() else { continue };
        let stages = df.stages();
        let Some(last) = stages.len().checked_sub(1) else { continue };
        let ancestry = chain(&stages, last);
        let insts = chain_instructions(&stages, &ancestry);
        // Whether an earlier ENV/ARG sets PIP_NO_CACHE_DIR: kept along the walk.
        let mut covered = false;
        for inst in &insts {
            if inst.keyword != Keyword::Run {
                covered = covered || covered_by_env(std::slice::from_ref(inst));
                continue;
            }
            let cache_mount = inst.flags.iter().any(|f| f.name == "mount" && f.value.as_deref().is_some_and(|v| v.split(',').any(|p| p.trim() == "type=cache")));
            if cache_mount || covered {
                continue;
            }
            if let Some(exec) = inst.exec() {
                check_exec(cx, file, exec);
                continue;
            }
            for script in scripts(inst, &file.text) {
                if removes_cache(script.tokens) {
                    continue;
                }
                for inv in pip_invocations(script.tokens) {
                    report(cx, &file.path, &script, &inv);
                }
            }
        }
    }
}

fn report(cx: &mut Checker, path: &std::path::Path, script: &Script, inv: &Invocation) {
    if inv.env.iter().any(|e| e.assignment().is_some_and(|(k, _)| k == "PIP_NO_CACHE_DIR")) || inv.args.iter().any(|a| is_no_cache_dir(&a.value)) {
        return;
    }
    let Some(i) = install_index(inv.args.iter().map(|a| a.value.as_str())) else { return };
    let Some(install) = inv.args.get(i) else { return };
    let logical = TextRange::new(inv.program.range.start(), install.range.end());
    let range = script.source_range(logical).unwrap_or(inv.program.range);
    let mut d = cx.diagnostic(path, range, MESSAGE);
    // After the word `install` itself (inside the quotes of `sh -c "..."`).
    let end = if inv.depth > 0 { install.value_end() } else { install.range.end() };
    match script.source_end(install.range.start().min(end), end) {
        Some(at) if install.value == "install" && (inv.depth > 0 || !install.quoted) => {
            d = d.with_fix(Fix::safe("Add `--no-cache-dir`", vec![Edit::insert(path.to_path_buf(), at, " --no-cache-dir")]));
        }
        _ => d = d.with_help("Add `--no-cache-dir`, or use `RUN --mount=type=cache,target=/root/.cache/pip`"),
    }
    cx.report(d);
}

/// A `RUN ["pip", "install", ...]`.
fn check_exec(cx: &mut Checker, file: &stacklint_project::SourceFile, exec: &stacklint_syntax::dockerfile::ExecForm) {
    let values: Vec<&str> = exec.elements.iter().map(|e| e.value.as_str()).collect();
    let start = match values.first().map(|v| shell::basename(v)) {
        Some("pip" | "pip3") => 1,
        Some(p) if p.starts_with("python") && values.get(1) == Some(&"-m") && values.get(2) == Some(&"pip") => 3,
        _ => return,
    };
    let args = values.get(start..).unwrap_or(&[]);
    if args.iter().any(|a| is_no_cache_dir(a)) {
        return;
    }
    let Some(i) = install_index(args.iter().copied()) else { return };
    let (Some(first), Some(install)) = (exec.elements.first(), exec.elements.get(start + i)) else { return };
    let d = cx
        .diagnostic(&file.path, first.range.cover(install.range), MESSAGE)
        .with_fix(Fix::safe("Add `--no-cache-dir`", vec![Edit::insert(file.path.clone(), install.range.end(), ", \"--no-cache-dir\"")]));
    cx.report(d);
}
