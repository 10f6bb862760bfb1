use stacklint_diagnostics::{Edit, Fix, Severity};
use stacklint_syntax::dockerfile::{Dockerfile, Instruction, Keyword, ShellText};
use stacklint_syntax::shell::{self, Token};

use super::common::{commands, has_comment_inside, json_string, parents};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `CMD` or `ENTRYPOINT` in shell form (`CMD gunicorn app:app`), which
    /// Docker runs as `/bin/sh -c "gunicorn app:app"`.
    ///
    /// A shell form that is a single `exec ...` command is not reported: the shell
    /// replaces itself with the program, which becomes PID 1.
    ///
    /// ## Why is this bad?
    /// The shell becomes PID 1 and the server its child. `docker stop` sends SIGTERM to
    /// PID 1 only; `/bin/sh` does not forward it, so the server never hears it, and after
    /// the 10-second grace period Docker sends SIGKILL: in-flight requests are cut off,
    /// workers get no graceful shutdown, and every deploy or scale-down takes 10 s per
    /// container. In exec form (`CMD ["gunicorn", "app:app"]`) the server is PID 1 and
    /// gets the SIGTERM itself.
    ///
    /// ## Fix
    /// Safe: converts the command to exec form when it is a plain command line: no `&&`,
    /// `;`, pipes, redirections, variable or command expansion, globs, subshells,
    /// leading `NAME=value` assignments or shell builtins (those need a shell, so there
    /// is no fix; wrap them in a script that ends with `exec`). The words keep their
    /// values (quotes removed, JSON-escaped). No fix after a `SHELL` instruction or
    /// with the backtick escape directive (Windows images).
    ///
    /// ## Example
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// CMD gunicorn app.wsgi --bind 0.0.0.0:8000
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// CMD ["gunicorn", "app.wsgi", "--bind", "0.0.0.0:8000"]
    /// ```
    ///
    /// ## References
    /// - [Dockerfile reference: shell and exec form](https://docs.docker.com/reference/dockerfile/#shell-and-exec-form)
    /// - [Dockerfile reference: ENTRYPOINT](https://docs.docker.com/reference/dockerfile/#entrypoint)
    /// - [docker container stop](https://docs.docker.com/reference/cli/docker/container/stop/)
    pub static RULE = {
        code: "DKR002",
        name: "shell-form-cmd",
        family: Family::Dockerfile,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

/// Shell builtins and reserved words: a command starting with one needs a shell.
const NEEDS_SHELL: &[&str] = &[
    "cd", ".", "source", "export", "set", "unset", "eval", "exec", "trap", "ulimit", "umask", "alias", "if", "for", "while", "until", "case", "{", "!", "[[", "function", "select", "shopt", "wait", "read", "readonly", "local", "declare", "typeset", "let",
];

/// Characters that make the shell expand a word or that the shell treats specially.
const SPECIAL: &[char] = &['*', '?', '[', ']', '~', '{', '}', '$', '`', '#', '(', ')', '<', '>', '|', '&', ';'];

fn check(cx: &mut Checker) {
    for file in cx.files() {
        let Some(df) = file.dockerfile() else { continue };
        let stages = df.stages();
        let parents = parents(&stages);
        // Whether a SHELL instruction comes before the end of each stage, in it or its
        // ancestors: one pass, not the ancestry's instructions per stage.
        let mut shell_by_end: Vec<bool> = Vec::with_capacity(stages.len());
        for (index, stage) in stages.iter().enumerate() {
            let inherited = parents.get(index).copied().flatten().and_then(|p| shell_by_end.get(p).copied()).unwrap_or(false);
            let first_shell = stage.instructions.iter().find(|i| i.keyword == Keyword::Shell).map(|i| i.range.start());
            shell_by_end.push(inherited || first_shell.is_some());
            for inst in commands(stage) {
                let Some(text) = inst.shell_text() else { continue };
                if text.is_empty() {
                    continue;
                }
                let parsed = shell::split(text.as_str());
                let cmds = shell::simple_commands(&parsed.tree);
                if cmds.len() == 1 && cmds.first().and_then(|c| c.words.first()).is_some_and(|w| w.value == "exec" && !w.quoted) && cmds.first().is_some_and(|c| c.assignments.is_empty()) {
                    continue;
                }
                let program = cmds.first().and_then(|c| c.words.first()).map(|w| shell::basename(&w.value).to_owned()).filter(|p| !p.is_empty() && !p.contains('$'));
                let child = program.as_deref().map_or_else(|| "the command".to_owned(), |p| format!("`{p}`"));
                let message = format!(
                    "Shell-form `{kw}` runs as `/bin/sh -c \"...\"`: the shell is PID 1 and does not forward SIGTERM to {child}, so `docker stop` waits 10 s and then SIGKILLs it, cutting off in-flight requests",
                    kw = inst.keyword
                );
                let mut d = cx.diagnostic(&file.path, inst.range, message);
                let shell_changed = inherited || first_shell.is_some_and(|at| at < inst.range.start());
                match exec_form(df, inst, text, &parsed.tree, parsed.errors.is_empty()) {
                    Some(array) if !shell_changed => {
                        d = d.with_fix(Fix::safe(format!("Convert to exec form `{}`", shorten(&array)), vec![Edit::replace(file.path.clone(), text.range(), array)]));
                    }
                    _ => d = d.with_help("Use the exec form, e.g. `CMD [\"gunicorn\", \"app.wsgi\"]`; if the command needs a shell, move it to a script that ends with `exec`"),
                }
                cx.report(d);
            }
        }
    }
}

/// The exec form of a plain command line, or `None` when it needs a shell.
fn exec_form(df: &Dockerfile, inst: &Instruction, text: &ShellText, tokens: &[Token], clean: bool) -> Option<String> {
    if !clean || df.escape != '\\' || !inst.heredocs.is_empty() || has_comment_inside(df, text.range()) {
        return None;
    }
    let logical = text.as_str();
    let mut values = Vec::new();
    let mut covered = 0usize;
    for tok in tokens {
        let Token::Word(w) = tok else { return None };
        let raw = logical.get(w.range.as_range())?;
        // Everything between words is blank (no comment, nothing the splitter dropped).
        if !logical.get(covered..w.range.start())?.trim().is_empty() {
            return None;
        }
        covered = w.range.end();
        if w.has_expansion || raw.contains(SPECIAL) || w.value.contains(SPECIAL) {
            return None;
        }
        values.push(w.value.as_str());
    }
    if !logical.get(covered..)?.trim().is_empty() {
        return None;
    }
    let first = tokens.first().and_then(Token::as_word)?;
    if first.is_assignment() || NEEDS_SHELL.contains(&first.value.as_str()) || first.value.is_empty() {
        return None;
    }
    Some(format!("[{}]", values.iter().map(|v| json_string(v)).collect::<Vec<_>>().join(", ")))
}

/// A fix title shows at most 60 characters of the array.
fn shorten(array: &str) -> String {
    if array.chars().count() <= 60 {
        return array.to_owned();
    }
    let head: String = array.chars().take(57).collect();
    format!("{head}...")
}

#[cfg(test)]
mod tests {
    use crate::{LinterSettings, lint_sources};

    fn fix_of(src: &str) -> Option<String> {
        let d = lint_sources(&[("Dockerfile", src)], &LinterSettings::only(&[&super::RULE]));
        let fix = d.first()?.fix.as_ref()?;
        fix.edits.first().map(|e| e.content.clone())
    }

    #[test]
    fn exec_form_is_escaped_json() {
        assert_eq!(fix_of("FROM a\nCMD run \"a\\\"b\" 'c\\d' e\\ f\n").as_deref(), Some(r#"["run", "a\"b", "c\\d", "e f"]"#));
    }

    #[test]
    fn no_fix_when_a_shell_is_needed() {
        for cmd in ["a && b", "a | b", "a > f", "a $X", "a *.py", "(a)", "X=1 a", "cd /app", "a # c", "a `b`", "a ~/x"] {
            assert_eq!(fix_of(&format!("FROM a\nCMD {cmd}\n")), None, "{cmd}");
        }
        assert_eq!(lint_sources(&[("Dockerfile", "FROM a\nCMD exec gunicorn app\n")], &LinterSettings::only(&[&super::RULE])).len(), 0);
    }
}
