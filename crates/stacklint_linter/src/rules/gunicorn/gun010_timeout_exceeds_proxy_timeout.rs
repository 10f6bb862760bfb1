use stacklint_diagnostics::Severity;
use stacklint_project::gunicorn::{GunicornProcess, SettingValue, WorkerKind};
use stacklint_project::nginx::{At, Scope as Level};

use super::{Seen, location, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a gunicorn `timeout` (default 30 s; `0` turns it off) longer than the
    /// `proxy_read_timeout` (default 60 s) of an nginx `location` that proxies to that
    /// gunicorn. Only sync workers are checked: for every other worker class gunicorn's
    /// `timeout` is a heartbeat of the worker process, not a limit on one request. The
    /// location must reach the gunicorn through the deployment (the compose service an
    /// `upstream` server or `proxy_pass` names and the gunicorn it runs, or on a host
    /// without compose the gunicorn bound to that loopback port or socket); when an
    /// `include` the project does not have may set `proxy_read_timeout`, nothing is said;
    /// nor when gunicorn's `timeout`, worker class or threads are read from the
    /// environment, or its `-c` config file or a service's `env_file` is not in the project.
    ///
    /// ## Why is this bad?
    /// When a request takes longer than `proxy_read_timeout`, nginx gives up and answers
    /// 504 Gateway Timeout, but the sync worker keeps working on it until it finishes or
    /// gunicorn's `timeout` kills it: the worker is busy for a client that is gone, and a
    /// retried request doubles the load. With the gunicorn timeout at or below nginx's, a
    /// stuck worker is killed and restarted before nginx gives up.
    ///
    /// ## Example
    /// ```text path=Procfile
    /// web: gunicorn mysite.wsgi --bind 127.0.0.1:8000 --timeout 120
    /// ```
    ///
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     location / {
    ///         proxy_pass http://127.0.0.1:8000;
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```text path=Procfile
    /// web: gunicorn mysite.wsgi --bind 127.0.0.1:8000 --timeout 120
    /// ```
    ///
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     location / {
    ///         proxy_pass http://127.0.0.1:8000;
    ///         proxy_read_timeout 120s;
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [gunicorn: timeout](https://docs.gunicorn.org/en/stable/settings.html#timeout)
    /// - [nginx: proxy_read_timeout](https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout)
    pub static RULE = {
        code: "GUN010",
        name: "timeout-exceeds-proxy-timeout",
        family: Family::Gunicorn,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

/// gunicorn's default `timeout`, in seconds.
const DEFAULT_TIMEOUT: i64 = 30;
/// nginx's default `proxy_read_timeout`, in milliseconds.
const DEFAULT_PROXY_READ_MS: u64 = 60_000;

/// The location with the shortest `proxy_read_timeout` in front of a process.
struct Front {
    location: At,
    ms: u64,
    /// The `proxy_read_timeout` directive and its time as written; `None` for nginx's default.
    directive: Option<(At, String)>,
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    let mut fronts: Vec<(&GunicornProcess, Front)> = Vec::new();
    for route in project.proxied_gunicorn() {
        let Some(set) = model.in_effect_known(project, Level::inside(route.location), "proxy_read_timeout") else { continue };
        let (ms, directive) = match set.last() {
            Some(&at) => match model.node(project, at).filter(|d| d.args.len() == 1 && d.args.iter().all(|a| !a.has_variable())).and_then(|d| d.arg(0)).and_then(|a| Some((nginx_ms(a)?, a.to_owned()))) {
                Some((ms, text)) => (ms, Some((at, text))),
                None => continue,
            },
            None => (DEFAULT_PROXY_READ_MS, None),
        };
        for g in route.processes {
            let front = Front { location: route.location, ms, directive: directive.clone() };
            match fronts.iter_mut().find(|(k, _)| std::ptr::eq(*k, g)) {
                Some((_, f)) if f.ms > ms => *f = front,
                Some(_) => {}
                None => fronts.push((g, front)),
            }
        }
    }
    let mut seen = Seen::default();
    for (g, front) in fronts {
        // Values read from the environment or under a condition may be others.
        let uncertain = |name: &str| g.get(name).is_some_and(|s| s.origin.conditional || !matches!(s.value, SettingValue::Int(_) | SettingValue::Str(_)));
        if g.worker_class() != WorkerKind::Sync || uncertain("worker_class") || uncertain("threads") || uncertain("timeout") || !project.gunicorn_settings_known(g) {
            continue;
        }
        let setting = g.get("timeout");
        let seconds = match setting {
            Some(s) => match s.value.as_int() {
                Some(n) => n,
                None => continue,
            },
            None => DEFAULT_TIMEOUT,
        };
        let disabled = seconds <= 0;
        let Ok(seconds_u) = u64::try_from(seconds) else { continue };
        if !disabled && seconds_u * 1000 <= front.ms {
            continue;
        }
        let (file, range) = match setting {
            Some(s) => (s.origin.file.clone(), s.origin.range),
            None => (g.anchor.file.clone(), g.anchor.range),
        };
        if !seen.first(&file, range) {
            continue;
        }
        let (Some(doc), Some(loc)) = (model.doc(front.location.doc), model.node(project, front.location)) else { continue };
        let loc_range = doc.file_range(crate::rules::nginx::head_range(loc));
        let loc_text = crate::rules::nginx::written(project, doc, loc);
        let proxy = match front.directive.as_ref().and_then(|(at, _)| Some((model.doc(at.doc)?, model.node(project, *at)?))) {
            Some((pdoc, d)) => format!("`{}` ({})", crate::rules::nginx::written(project, pdoc, d), location(project, &pdoc.file, pdoc.file_range(d.range))),
            None => format!("nginx's default `proxy_read_timeout` of {}", seconds_text(DEFAULT_PROXY_READ_MS)),
        };
        let ours = match setting {
            Some(s) => written(project, s, &file),
            None => format!("gunicorn's default `timeout` of {DEFAULT_TIMEOUT} s"),
        };
        let place = format!("`{loc_text}` ({})", location(project, &doc.file, loc_range));
        let (what, keeps) = if disabled {
            (format!("{ours} turns the worker timeout off, while {place}, which proxies to this gunicorn, has {proxy}"), "until it finishes".to_owned())
        } else {
            (format!("{ours} is longer than {proxy} in {place}, which proxies to this gunicorn"), format!("for up to {seconds} s"))
        };
        let message = format!(
            "{what}: on a slow request nginx answers 504 Gateway Timeout after {} while the sync worker keeps working on it {keeps}; keep `timeout` at or below the proxy timeout",
            front.directive.as_ref().map_or_else(|| seconds_text(front.ms), |(_, text)| format!("`{text}`")),
        );
        let d = cx.diagnostic(&file, range, message).with_related(doc.file.clone(), loc_range, "the nginx location that proxies to this gunicorn");
        cx.report(d);
    }
}

/// `60 s`, `1.5 s`.
fn seconds_text(ms: u64) -> String {
    if ms.is_multiple_of(1000) { format!("{} s", ms / 1000) } else { format!("{ms} ms") }
}

/// An nginx time (`60`, `60s`, `5m`, `1m30s`, `500ms`) in milliseconds.
fn nginx_ms(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let compact: String = text.split_whitespace().collect();
    let mut rest = compact.as_str();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let n: u64 = rest.get(..digits)?.parse().ok()?;
        rest = rest.get(digits..)?;
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = rest.get(..unit_len)?;
        rest = rest.get(unit_len..)?;
        let factor: u64 = match unit {
            "ms" => 1,
            "" | "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            "M" => 2_592_000_000,
            "y" => 31_536_000_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(factor)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::nginx_ms;

    #[test]
    fn times() {
        assert_eq!(nginx_ms("60"), Some(60_000));
        assert_eq!(nginx_ms("60s"), Some(60_000));
        assert_eq!(nginx_ms("1m30s"), Some(90_000));
        assert_eq!(nginx_ms("500ms"), Some(500));
        assert_eq!(nginx_ms("5x"), None);
    }
}
