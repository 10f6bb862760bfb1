use stacklint_diagnostics::Severity;
use stacklint_syntax::dockerfile::{Instruction, Keyword};
use stacklint_syntax::shell::{self, Token};
use stacklint_text::TextRange;

use super::common::{parents, scripts};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `CMD` or `ENTRYPOINT` that starts Django's development server,
    /// `manage.py runserver` (or `django-admin runserver`, or `runserver_plus` of
    /// django-extensions).
    ///
    /// The command is found in the shell form, the exec form, inside `sh -c "..."`, and
    /// across `ENTRYPOINT ["python", "manage.py"]` + `CMD ["runserver", ...]`.
    ///
    /// ## Why is this bad?
    /// Django's documentation says of `runserver`: "DO NOT USE THIS SERVER IN A
    /// PRODUCTION SETTING. It has not gone through security audits or performance
    /// tests." It serves one process, reloads on file changes, serves static files only
    /// with `DEBUG = True`, and has no worker management, timeouts or graceful restarts.
    /// An image is what production runs: serve the app with a WSGI/ASGI server
    /// (gunicorn, uvicorn) and keep `runserver` for a development compose file.
    ///
    /// ## Example
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// COPY . /app
    /// CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// COPY . /app
    /// CMD ["gunicorn", "mysite.wsgi", "--bind", "0.0.0.0:8000"]
    /// ```
    ///
    /// ## References
    /// - [Django: runserver](https://docs.djangoproject.com/en/stable/ref/django-admin/#runserver)
    /// - [Django: how to deploy with WSGI](https://docs.djangoproject.com/en/stable/howto/deployment/wsgi/)
    pub static RULE = {
        code: "DKR001",
        name: "runserver-in-image",
        family: Family::Dockerfile,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

const MESSAGE: &str = "The image starts Django's development server (`runserver`): one process, no worker management, timeouts or graceful restarts, not security-audited; serve the app with gunicorn or uvicorn";

/// Whether `values` run the development server, and the index of `runserver`.
fn runserver_at(values: &[&str]) -> Option<usize> {
    values.windows(2).position(|w| matches!(shell::basename(w[0]), "manage.py" | "django-admin" | "django-admin.py") && matches!(w[1], "runserver" | "runserver_plus")).map(|i| i + 1)
}

/// The logical range of `runserver` in shell tokens, looking into `sh -c "..."` strings.
fn find_in_tokens(tokens: &[Token], depth: u8) -> Option<TextRange> {
    for cmd in shell::simple_commands(tokens) {
        let values: Vec<&str> = cmd.words.iter().map(|w| w.value.as_str()).collect();
        if let Some(i) = runserver_at(&values) {
            return cmd.words.get(i).map(|w| w.range);
        }
        if depth < 3 {
            for w in cmd.words.iter().filter(|w| w.value.contains("runserver") && w.value.contains(' ')) {
                if let Some(r) = find_in_tokens(&w.split_value(0).tree, depth + 1) {
                    return Some(r);
                }
            }
        }
    }
    None
}

/// The source range of `runserver` in an exec form, with the exec-form ENTRYPOINT in
/// effect (for a CMD) in front.
fn find_in_exec(inst: &Instruction, entrypoint: &[String]) -> Option<TextRange> {
    let exec = inst.exec()?;
    let mut values: Vec<&str> = entrypoint.iter().map(String::as_str).collect();
    let offset = values.len();
    values.extend(exec.elements.iter().map(|e| e.value.as_str()));
    if let Some(i) = runserver_at(&values) {
        return exec.elements.get(i.checked_sub(offset)?).map(|e| e.range);
    }
    // `["sh", "-c", "python manage.py runserver"]`
    exec.elements.iter().find(|e| e.value.contains(' ') && find_in_tokens(&shell::split(&e.value).tree, 1).is_some()).map(|e| e.range)
}

fn check(cx: &mut Checker) {
    for file in cx.files() {
        let Some(df) = file.dockerfile() else { continue };
        let stages = df.stages();
        let parents = parents(&stages);
        // The ENTRYPOINT in effect at the end of each stage (from it or its ancestors):
        // one pass over the instructions, whatever the stages' ancestry.
        let mut entrypoint_at_end: Vec<Option<&Instruction>> = Vec::with_capacity(stages.len());
        for (index, stage) in stages.iter().enumerate() {
            let mut entrypoint = parents.get(index).copied().flatten().and_then(|p| entrypoint_at_end.get(p).copied().flatten());
            for inst in stage.instructions {
                match inst.keyword {
                    Keyword::Entrypoint => entrypoint = Some(inst),
                    Keyword::Cmd => {}
                    _ => continue,
                }
                // A CMD runs after the exec-form ENTRYPOINT in effect (a shell-form one resets it).
                let prefix: Vec<String> = match inst.keyword {
                    Keyword::Cmd => entrypoint.and_then(Instruction::exec).map(|e| e.elements.iter().map(|s| s.value.clone()).collect()).unwrap_or_default(),
                    _ => Vec::new(),
                };
                let found = find_in_exec(inst, &prefix).or_else(|| {
                    scripts(inst, &file.text).into_iter().find_map(|s| find_in_tokens(s.tokens, 0).and_then(|r| s.source_range(r)))
                });
                if let Some(range) = found {
                    let d = cx.diagnostic(&file.path, range, MESSAGE);
                    cx.report(d);
                }
            }
            entrypoint_at_end.push(entrypoint);
        }
    }
}
