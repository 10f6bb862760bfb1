use stacklint_diagnostics::{Edit, Fix, Severity};
use stacklint_project::gunicorn::{Layer, UnknownSetting, table};
use stacklint_project::{KnownVersion, Project, VersionSource};

use super::{Seen, location, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a setting or flag gunicorn does not know (`worker = 4`, `--max-request`),
    /// with the closest known name, and settings newer than the gunicorn the project pins.
    ///
    /// ## Why is this bad?
    /// On the command line (and in `GUNICORN_CMD_ARGS`) argparse stops gunicorn with
    /// "unrecognized arguments", or "ambiguous option" for an abbreviation that matches
    /// several flags. In a config file gunicorn reads only the names it knows and ignores
    /// the rest without a word: the setting silently keeps its default. Names are checked
    /// against gunicorn's own settings list (gunicorn 27); when the project pins
    /// gunicorn 23 (requirements, pyproject, `[versions]`), settings added after 23 count
    /// as unknown too. The fix renames a typo to the closest known name (unsafe: it
    /// changes what gunicorn does).
    ///
    /// ## Example
    /// ```python path=gunicorn.conf.py
    /// worker = 4
    /// ```
    ///
    /// ## Use instead
    /// ```python path=gunicorn.conf.py
    /// workers = 4
    /// ```
    ///
    /// ## References
    /// - [gunicorn: Settings](https://docs.gunicorn.org/en/stable/settings.html)
    pub static RULE = {
        code: "GUN008",
        name: "unknown-setting",
        family: Family::Gunicorn,
        scope: Scope::File,
        severity: Severity::Error,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn consequence(layer: Layer) -> &'static str {
    match layer {
        Layer::ConfFile => "gunicorn ignores names it does not know, so the setting keeps its default",
        Layer::CmdArgsEnv | Layer::CommandLine | Layer::Environment => "gunicorn exits with \"unrecognized arguments\"",
    }
}

fn unknown_message(u: &UnknownSetting) -> String {
    if let [only] = u.ambiguous.as_slice()
        && only.ends_with("expects a value")
    {
        return format!("`{}` expects a value: gunicorn exits with \"expected one argument\"", u.name);
    }
    if !u.ambiguous.is_empty() {
        let list = u.ambiguous.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
        return format!("`{}` is an ambiguous abbreviation of {list}: gunicorn exits with \"ambiguous option\"", u.name);
    }
    let hint = u.suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
    format!("unknown gunicorn setting `{}`: {}{hint}", u.name, consequence(u.layer))
}

/// The pinned gunicorn when it predates the table's newer settings (major ≤ the baseline's).
fn baseline_pin(project: &Project) -> Option<(&KnownVersion, String)> {
    let pinned = project.versions.gunicorn.as_ref().filter(|v| v.exact)?;
    let baseline = table().baseline_version();
    let base_major: u64 = baseline.split('.').next()?.parse().ok()?;
    if pinned.version.parts.first().copied()? > base_major {
        return None;
    }
    let source = match &pinned.source {
        VersionSource::Config => "`[versions]`".to_owned(),
        VersionSource::File { path, range } => format!("pinned in {}", location(project, path, *range)),
    };
    Some((pinned, source))
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for p in &project.gunicorn {
        for u in &p.unknown {
            if !seen.first(&u.span.file, u.span.range) {
                continue;
            }
            let mut d = cx.diagnostic(&u.span.file, u.span.range, unknown_message(u));
            let is_value_error = u.ambiguous.iter().any(|a| a.ends_with("expects a value"));
            if let Some(s) = u.suggestion.as_ref().filter(|_| !is_value_error) {
                d = d.with_fix(Fix::unsafe_(format!("Rename to `{s}`"), vec![Edit::replace(u.span.file.clone(), u.span.range, s.clone())]));
            }
            cx.report(d);
        }
        let Some((pinned, source)) = baseline_pin(project) else { continue };
        for s in &p.settings {
            if s.info().is_none_or(|i| i.in_baseline) || !seen.first(&s.origin.file, s.origin.name_range) {
                continue;
            }
            let message = format!(
                "{} is not a setting of gunicorn {} ({source}): added after {}; {}",
                written(project, s, &s.origin.file),
                pinned.version,
                table().baseline_version(),
                consequence(s.origin.layer)
            );
            cx.report(cx.diagnostic(&s.origin.file, s.origin.name_range, message));
        }
    }
}
