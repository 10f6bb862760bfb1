use std::collections::HashSet;

use stacklint_diagnostics::{Edit, Fix, Severity};
use stacklint_project::compose::ComposeService;
use stacklint_project::interpolation::has_variables;
use stacklint_syntax::compose::{Port, Scalar, ScalarStyle};
use stacklint_text::TextRange;

use super::common::{datastore, dev_reason, reportable};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a port of a datastore service (PostgreSQL, Redis, Valkey, MySQL, MariaDB,
    /// MongoDB, Memcached, Qdrant, Elasticsearch, OpenSearch, RabbitMQ, ...: by its image,
    /// or by the server it runs) that compose publishes on every interface of the host:
    /// `"5432:5432"`, `0.0.0.0:5432:5432`, a bare `"6379"` (a random host port, on every
    /// interface too), or a long-syntax entry without `host_ip`.
    ///
    /// Ports bound to one address (`127.0.0.1:5432:5432`, `[::1]:5432:5432`, a private
    /// address), `expose:` (which publishes nothing), and compose files for development,
    /// tests or CI (`docker-compose.dev.yml`, `local.yml`, `docker-compose.override.yml`,
    /// `.devcontainer/`, a `docker-compose.yml` beside a `docker-compose.prod.yml`), where
    /// reaching the database from the developer's tools is the point, are not reported.
    ///
    /// ## Why is this bad?
    /// Services of one compose application reach each other over their own network by
    /// service name; a published port is only for clients outside it. Published without
    /// an address, Docker listens on every interface of the host (`0.0.0.0` and `::`), so
    /// anyone who can reach the host can reach the datastore, past the application, with
    /// whatever authentication it has (Redis and Memcached have none by default). Docker
    /// writes its own iptables rules for published ports, which bypass host firewalls such
    /// as ufw and firewalld: closing the port there does not close it.
    ///
    /// The fix binds the port to `127.0.0.1` (`"127.0.0.1:5432:5432"`, quoted: YAML 1.1
    /// reads an unquoted `a:b:c` of digits as a base-60 number; a long-syntax entry gets
    /// `host_ip: 127.0.0.1`). It is unsafe: another host, or a tool on the network, may
    /// rely on the port. A port written in a YAML anchor that other services share, or
    /// whose host address comes from a variable, is reported without a fix.
    ///
    /// ## Example
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   db:
    ///     image: postgres:16
    ///     ports:
    ///       - "5432:5432"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   db:
    ///     image: postgres:16
    ///     ports:
    ///       - "127.0.0.1:5432:5432"
    /// ```
    ///
    /// ## References
    /// - [Compose file reference: ports](https://docs.docker.com/reference/compose-file/services/#ports)
    /// - [Docker: packet filtering and firewalls (Docker and ufw)](https://docs.docker.com/engine/network/packet-filtering-firewalls/#docker-and-ufw)
    /// - [Redis security: network security](https://redis.io/docs/latest/operate/oss_and_stack/management/security/)
    pub static RULE = {
        code: "CMP001",
        name: "datastore-port-published",
        family: Family::Compose,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

/// `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`, with `${...}` kept whole: the host
/// IP part (brackets included) and the rest after it, and whether a host port is given.
#[derive(Debug, PartialEq, Eq)]
struct ShortPort<'a> {
    host_ip: Option<&'a str>,
    /// Everything after `HOST_IP:` (or the whole value).
    rest: &'a str,
    published: bool,
}

fn split_short(v: &str) -> ShortPort<'_> {
    // Colons inside `${VAR:-default}` are not separators.
    let mut depth = 0usize;
    let mut colons = Vec::new();
    let bytes = v.as_bytes();
    let mut i = 0;
    let mut in_brackets = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b'[' if depth == 0 => in_brackets = true,
            b']' if depth == 0 => in_brackets = false,
            b':' if depth == 0 && !in_brackets => colons.push(i),
            b'/' if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    match colons.as_slice() {
        [] => ShortPort { host_ip: None, rest: v, published: false },
        [_] => ShortPort { host_ip: None, rest: v, published: true },
        [.., a, b] => ShortPort { host_ip: v.get(..*a), rest: v.get(a + 1..).unwrap_or(""), published: b - a > 1 },
    }
}

fn all_interfaces(ip: Option<&str>) -> bool {
    ip.is_none_or(|ip| matches!(ip.trim_start_matches('[').trim_end_matches(']'), "" | "0.0.0.0" | "::"))
}

/// A quoted scalar in the quote style of `like` (plain becomes double-quoted).
fn quoted(like: &Scalar, value: &str) -> Option<String> {
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b":.[]${}-_/+=?".contains(&b)) {
        return None;
    }
    match like.style {
        ScalarStyle::SingleQuoted => Some(format!("'{value}'")),
        ScalarStyle::Plain | ScalarStyle::DoubleQuoted => Some(format!("\"{value}\"")),
        ScalarStyle::Literal | ScalarStyle::Folded => None,
    }
}

/// What a port entry publishes on every interface: the entry to show, whether it names a
/// host port, and the edits that bind it to 127.0.0.1 (none when they cannot be written
/// safely).
type Exposed = (String, bool, Option<Vec<(TextRange, String)>>);

/// The entry's [`Exposed`], when it publishes on every interface.
fn exposed(cs: &ComposeService, text: &str, port: &Port) -> Option<Exposed> {
    let value = |s: &Scalar| if has_variables(&s.value) { cs.interpolate(&s.value) } else { Some(s.value.clone()) };
    if let Some(written) = &port.value {
        let interpolated = value(written)?;
        let now = split_short(&interpolated);
        if !all_interfaces(now.host_ip) {
            return None;
        }
        let w = split_short(&written.value);
        let edit = match w.host_ip {
            Some(ip) if has_variables(ip) => None,
            _ => {
                let sep = if w.host_ip.is_none() && !w.published { ":" } else { "" };
                quoted(written, &format!("127.0.0.1:{sep}{}", w.rest)).map(|q| vec![(written.range, q)])
            }
        };
        return Some((written.value.clone(), now.published, edit));
    }
    // Long syntax: published when it says `published:`.
    port.published.as_ref()?;
    let ip = match &port.host_ip {
        Some(ip) => Some(value(ip)?),
        None => None,
    };
    if !all_interfaces(ip.as_deref()) {
        return None;
    }
    let shown = format!("target: {}, published: {}", port.target.as_ref().map_or("?", |t| t.value.as_str()), port.published.as_ref().map_or("?", |p| p.value.as_str()));
    let edit = match &port.host_ip {
        Some(ip) if has_variables(&ip.value) => None,
        Some(ip) => {
            let new = match ip.style {
                ScalarStyle::Plain => Some("127.0.0.1".to_owned()),
                _ => quoted(ip, "127.0.0.1"),
            };
            new.map(|n| vec![(ip.range, n)])
        }
        None => long_insert(text, port.range),
    };
    Some((shown, true, edit))
}

/// `host_ip: 127.0.0.1` as the first key of a long-syntax entry.
fn long_insert(text: &str, range: TextRange) -> Option<Vec<(TextRange, String)>> {
    let start = range.start();
    if text.get(start..)?.starts_with('{') {
        let inner = text.get(start + 1..)?;
        let at = start + 1 + (inner.len() - inner.trim_start_matches([' ', '\t']).len());
        return Some(vec![(TextRange::empty(at), "host_ip: 127.0.0.1, ".to_owned())]);
    }
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let prefix = text.get(line_start..start)?;
    // `  - target: ...` or `    target: ...`: the keys' column is the prefix's width.
    if !prefix.chars().all(|c| c == ' ' || c == '-') {
        return None;
    }
    Some(vec![(TextRange::empty(start), format!("host_ip: 127.0.0.1\n{}", " ".repeat(prefix.len())))])
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = HashSet::new();
    for cs in &project.compose.services {
        let Some(store) = datastore(project, cs) else { continue };
        if cs.service.get("network_mode").and_then(|n| n.as_str()).is_some_and(|m| m == "host") {
            continue;
        }
        for p in &cs.merged.ports {
            if !reportable(project, &p.file) || dev_reason(project, &p.file).is_some() || !seen.insert((p.file.clone(), p.value.range)) {
                continue;
            }
            let Some(file) = project.file(&p.file) else { continue };
            let Some((shown, published, edits)) = exposed(cs, &file.text, &p.value) else { continue };
            let target = p.value.target.as_ref().map_or_else(|| shown.clone(), |t| t.value.clone());
            let host_port = if published { "" } else { " (on a random host port)" };
            let message = format!(
                "`{}` ({store}) publishes port `{target}` on every host interface{host_port} (`{shown}`): anyone who can reach the host reaches {store} directly, and Docker's own iptables rules for published ports bypass host firewalls (ufw, firewalld)",
                cs.name
            );
            let mut d = cx.diagnostic(&p.file, p.value.range, message).with_help("Services of the application reach it by service name without a published port: remove the port, or bind it to `127.0.0.1`");
            // A port brought in by a YAML alias is written in the anchor: editing it edits
            // every service that uses the anchor.
            let own = cs.layers.iter().any(|l| l.file == p.file && l.service.range.contains_range(p.value.range));
            if let Some(edits) = edits.filter(|_| own) {
                let edits = edits.into_iter().map(|(r, t)| if r.is_empty() { Edit::insert(&p.file, r.start(), t) } else { Edit::replace(&p.file, r, t) }).collect();
                d = d.with_fix(Fix::unsafe_("Bind the port to 127.0.0.1", edits));
            }
            cx.report(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ports() {
        assert_eq!(split_short("5432:5432"), ShortPort { host_ip: None, rest: "5432:5432", published: true });
        assert_eq!(split_short("6379"), ShortPort { host_ip: None, rest: "6379", published: false });
        assert_eq!(split_short("0.0.0.0:5432:5432"), ShortPort { host_ip: Some("0.0.0.0"), rest: "5432:5432", published: true });
        assert_eq!(split_short("127.0.0.1::5432"), ShortPort { host_ip: Some("127.0.0.1"), rest: ":5432", published: false });
        assert_eq!(split_short("[::1]:5432:5432").host_ip, Some("[::1]"));
        assert_eq!(split_short("${PG_PORT:-5432}:5432"), ShortPort { host_ip: None, rest: "${PG_PORT:-5432}:5432", published: true });
        assert!(all_interfaces(Some("[::]")) && all_interfaces(None) && !all_interfaces(Some("127.0.0.1")) && !all_interfaces(Some("[::1]")));
    }
}
