use stacklint_diagnostics::{Edit, Fix, Severity};
use stacklint_syntax::dockerfile::Keyword;

use super::common::{chain, chain_instructions, indent_at, line_after, root_image, short_image_name};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a Python image (its final stage is built from `python:*`, directly or
    /// through earlier stages of the same file) that does not set `PYTHONUNBUFFERED` in
    /// an `ENV` of the final stage or of the stages it is built `FROM`.
    ///
    /// ## Why is this bad?
    /// When stdout is not a terminal, and in a container it is a pipe to the logging
    /// driver, Python block-buffers `sys.stdout` (blocks of 4 to 8 KiB): `print()` and logging handlers
    /// that write to stdout reach `docker logs` late, in bursts, out of order with
    /// stderr, and whatever is still in the buffer is lost when the process is killed
    /// (OOM, SIGKILL after `docker stop`'s 10 s). `PYTHONUNBUFFERED` set to any
    /// non-empty value makes the streams unbuffered, like `python -u`.
    ///
    /// ## Fix
    /// Safe: inserts `ENV PYTHONUNBUFFERED=1` on the line after the final stage's `FROM`.
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
    /// ENV PYTHONUNBUFFERED=1
    /// COPY . /app
    /// CMD ["gunicorn", "app.wsgi"]
    /// ```
    ///
    /// ## References
    /// - [Python: PYTHONUNBUFFERED](https://docs.python.org/3/using/cmdline.html#envvar-PYTHONUNBUFFERED)
    /// - [Python: sys.stdout buffering](https://docs.python.org/3/library/sys.html#sys.stdout)
    pub static RULE = {
        code: "DKR004",
        name: "python-output-buffered",
        family: Family::Dockerfile,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    for file in cx.files() {
        let Some(df) = file.dockerfile() else { continue };
        let stages = df.stages();
        let Some(last) = stages.len().checked_sub(1) else { continue };
        let Some(final_stage) = stages.get(last) else { continue };
        let Some(image) = root_image(&stages, last) else { continue };
        if short_image_name(image) != "python" {
            continue;
        }
        let ancestry = chain(&stages, last);
        // The last `ENV PYTHONUNBUFFERED=...` of the ancestry.
        let setting = chain_instructions(&stages, &ancestry)
            .into_iter()
            .filter(|i| i.keyword == Keyword::Env)
            .flat_map(|i| i.key_values().iter())
            .rfind(|kv| kv.key.value == "PYTHONUNBUFFERED");
        match setting {
            Some(kv) if kv.value.as_ref().is_some_and(|v| !v.value.is_empty()) => {}
            Some(kv) => {
                let d = cx.diagnostic(&file.path, kv.range, "`PYTHONUNBUFFERED` is set to an empty value, which leaves Python's stdout block-buffered when it is not a TTY: logs reach `docker logs` late and are lost on a crash")
                    .with_help("Set `PYTHONUNBUFFERED=1`");
                cx.report(d);
            }
            None => {
                let from = final_stage.from;
                let name = final_stage.name().map_or_else(String::new, |n| format!(" `{n}`"));
                let message = format!(
                    "The final stage{name} runs Python (`{}`) without `PYTHONUNBUFFERED=1`: stdout is a pipe, not a TTY, so Python block-buffers it and logs reach `docker logs` late, in bursts, and are lost when the process is killed",
                    image.word.raw
                );
                let (next_line, eol) = line_after(&file.text, from.range.end());
                let indent = indent_at(&file.text, from.range.start());
                let edit = match next_line {
                    Some(at) => Edit::insert(file.path.clone(), at, format!("{indent}ENV PYTHONUNBUFFERED=1{eol}")),
                    None => Edit::insert(file.path.clone(), from.range.end(), format!("{eol}{indent}ENV PYTHONUNBUFFERED=1{eol}")),
                };
                let d = cx.diagnostic(&file.path, from.range, message).with_fix(Fix::safe("Add `ENV PYTHONUNBUFFERED=1` after `FROM`", vec![edit]));
                cx.report(d);
            }
        }
    }
}
