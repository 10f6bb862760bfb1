//! The time a request spends in the app, measured: an nginx access log written with a
//! `log_format` that records `$upstream_response_time` (the time to the app and back) or
//! `$request_time` (the whole request, the client's transfer included).
//!
//! A line is read against the formats the project's nginx files declare: each variable
//! takes the text up to the literal that follows it, as nginx wrote it.

use std::fmt::Write as _;
use std::path::Path;

use stacklint_project::{FileKind, Project};

use crate::{Input, num};

/// One `log_format`: its name, where it is declared, and its parts.
#[derive(Clone, Debug, PartialEq)]
pub struct LogFormat {
    pub name: String,
    /// `nginx/nginx.conf:12`, or "nginx's built-in" for `combined`.
    pub place: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Literal(String),
    Var(String),
}

/// nginx's predefined format (it records no time).
const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

impl LogFormat {
    fn new(name: &str, place: String, template: &str) -> LogFormat {
        LogFormat { name: name.to_owned(), place, parts: split_template(template) }
    }

    fn records(&self, var: &str) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Var(v) if v == var))
    }

    /// The variables of one line, or `None` when the line does not have this format.
    fn read<'l>(&self, line: &'l str) -> Option<Vec<(&str, &'l str)>> {
        let mut rest = line;
        let mut out = Vec::new();
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(l) => rest = rest.strip_prefix(l.as_str())?,
                Part::Var(v) => {
                    let end = match parts.peek() {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        // Two variables in a row cannot be told apart: the first takes nothing.
                        Some(Part::Var(_)) => 0,
                        None => rest.len(),
                    };
                    let (value, after) = rest.split_at(end);
                    out.push((v.as_str(), value));
                    rest = after;
                }
            }
        }
        rest.trim().is_empty().then_some(out)
    }
}

/// `$name` and `${name}` split from the text around them.
fn split_template(template: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '$' {
            literal.push(c);
            continue;
        }
        let rest = template.get(i + 1..).unwrap_or("");
        let (name, len) = if let Some(braced) = rest.strip_prefix('{') {
            let Some(end) = braced.find('}') else {
                literal.push(c);
                continue;
            };
            (braced.get(..end).unwrap_or(""), end + 2)
        } else {
            let end = rest.find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')).unwrap_or(rest.len());
            (rest.get(..end).unwrap_or(""), end)
        };
        if name.is_empty() {
            literal.push(c);
            continue;
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(std::mem::take(&mut literal)));
        }
        parts.push(Part::Var(name.to_owned()));
        for _ in 0..len {
            chars.next();
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    parts
}

/// Every `log_format` of the project's nginx files, and nginx's `combined`.
pub fn formats(project: &Project) -> Vec<LogFormat> {
    let mut out = Vec::new();
    for file in project.files_of(FileKind::Nginx) {
        let Some(conf) = file.nginx() else { continue };
        for d in conf.find_all("log_format") {
            let args = d.arg_values();
            let Some((name, rest)) = args.split_first() else { continue };
            // `escape=json` (and the others) is not part of the line.
            let template: String = rest.iter().filter(|a| !a.starts_with("escape=")).copied().collect();
            out.push(LogFormat::new(name, project.place(&file.path, d.data().range.start()), &template));
        }
    }
    out.push(LogFormat::new("combined", "nginx's built-in".to_owned(), COMBINED));
    out
}

/// What a log says about the app's time per request.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    pub format: String,
    pub lines: usize,
    /// The requests that reached the app (an upstream time), and their mean time in ms.
    pub timed: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    /// `$upstream_response_time` or `$request_time`.
    pub variable: &'static str,
}

impl Measured {
    /// The share of requests with no upstream time (served by nginx), citing the log.
    pub fn static_share(&self, log: &Path) -> Input {
        #[allow(clippy::cast_precision_loss)]
        let share = if self.lines == 0 { 0.0 } else { (self.lines - self.timed) as f64 / self.lines as f64 };
        Input::new(share, format!("{} of {} requests in {} had no upstream time", self.lines - self.timed, self.lines, log.display()))
    }

    /// The input `T`, citing the log.
    pub fn input(&self, log: &Path) -> Input {
        let mut source = format!(
            "mean `{}` of {} requests in {} (log_format `{}`; p50 {} ms, p95 {} ms",
            self.variable,
            self.timed,
            log.display(),
            self.format,
            num(self.p50_ms),
            num(self.p95_ms)
        );
        if self.timed < self.lines {
            let _ = write!(source, "; {} of {} lines had no upstream time: served by nginx or refused", self.lines - self.timed, self.lines);
        }
        source.push(')');
        Input::new(self.mean_ms, source)
    }
}

/// Reads `text` (an access log) with the format that reads most of its lines and records a
/// time. `Err` says why no time could be measured.
pub fn measure(text: &str, formats: &[LogFormat]) -> Result<Measured, String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return Err("the access log is empty".to_owned());
    }
    let timed: Vec<&LogFormat> = formats.iter().filter(|f| f.records("upstream_response_time") || f.records("request_time")).collect();
    if timed.is_empty() {
        return Err("no log_format of the project records `$upstream_response_time` or `$request_time`: add one to the `access_log` (e.g. `log_format timed '$remote_addr [$time_local] \"$request\" $status $request_time $upstream_response_time';`)".to_owned());
    }
    let best = timed.iter().max_by_key(|f| lines.iter().filter(|l| f.read(l).is_some()).count()).copied();
    let Some(format) = best.filter(|f| lines.iter().any(|l| f.read(l).is_some())) else {
        let names: Vec<&str> = timed.iter().map(|f| f.name.as_str()).collect();
        return Err(format!("no line of the access log has the format of `{}`", names.join("`, `")));
    };
    let variable = if format.records("upstream_response_time") { "upstream_response_time" } else { "request_time" };
    let mut times: Vec<f64> = Vec::new();
    let mut read = 0;
    for line in &lines {
        let Some(vars) = format.read(line) else { continue };
        read += 1;
        let Some((_, value)) = vars.iter().find(|(v, _)| *v == variable) else { continue };
        // Several upstreams tried in turn: `0.010, 0.120`, each a part of the wait.
        let parts: Vec<f64> = value.split([',', ':']).map(str::trim).filter(|p| !p.is_empty() && *p != "-").filter_map(|p| p.parse::<f64>().ok()).collect();
        if !parts.is_empty() {
            times.push(parts.iter().sum::<f64>() * 1000.0);
        }
    }
    if times.is_empty() {
        return Err(format!("no line read with log_format `{}` has a `${variable}`", format.name));
    }
    times.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let at = |q: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let i = ((times.len() - 1) as f64 * q).round() as usize;
        times.get(i).copied().unwrap_or(mean)
    };
    Ok(Measured { format: format.name.clone(), lines: read, timed: times.len(), mean_ms: mean, p50_ms: at(0.5), p95_ms: at(0.95), variable: if variable == "upstream_response_time" { "$upstream_response_time" } else { "$request_time" } })
}

#[cfg(test)]
mod tests {
    use super::{LogFormat, measure};

    fn timed() -> LogFormat {
        LogFormat::new("timed", "nginx.conf:3".to_owned(), r#"$remote_addr [$time_local] "$request" $status $request_time ${upstream_response_time}"#)
    }

    #[test]
    fn reads_upstream_times_and_skips_static_requests() {
        let log = "10.0.0.1 [01/Dec/2026:10:00:00 +0000] \"GET /api/rooms HTTP/1.1\" 200 0.130 0.120\n\
                   10.0.0.2 [01/Dec/2026:10:00:01 +0000] \"GET /static/app.css HTTP/1.1\" 200 0.001 -\n\
                   10.0.0.3 [01/Dec/2026:10:00:02 +0000] \"GET /api/rooms/1 HTTP/1.1\" 200 0.090 0.010, 0.070\n\
                   garbage\n";
        let m = measure(log, &[timed()]).expect("measured");
        assert_eq!((m.lines, m.timed, m.variable), (3, 2, "$upstream_response_time"));
        assert!((m.mean_ms - 100.0).abs() < 1e-9, "{m:?}");
        let source = m.input(std::path::Path::new("access.log")).source;
        assert!(source.contains("1 of 3 lines had no upstream time"), "{source}");
    }

    #[test]
    fn a_log_without_times_says_what_to_add() {
        let combined = LogFormat::new("combined", "built-in".to_owned(), super::COMBINED);
        let err = measure("1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"\n", &[combined]).unwrap_err();
        assert!(err.contains("records `$upstream_response_time`"), "{err}");
        assert!(measure("", &[timed()]).unwrap_err().contains("empty"));
        assert!(measure("not a log line\n", &[timed()]).unwrap_err().contains("no line of the access log"));
    }
}
