//! Messages from the model: every name and number in a finding's message must come from
//! what was read.
//!
//! For every finding of every rule fixture (`rules/fixtures/CODE/CASE/`), each number and
//! each backticked identifier of the message must be one of:
//! - in the case's files (its `stacklint.toml` with `[target]` and `[versions]` included),
//!   as a whole word;
//! - in the rule's allowlist below: the constants its documentation states (defaults of
//!   the program, recommended values, the directive or setting the rule is about when it
//!   is missing) — kept tight, one line per rule;
//! - the result of arithmetic the message shows (`2 × 4096 = 8192`, `1024 / 2 = 512`)
//!   on numbers that are themselves accounted for;
//! - a key path whose keys are YAML keys of the case (`ulimits.nofile`);
//! - a place: `line 12`, `nginx/nginx.conf:5`;
//! - 0, 1 or 2 (counts, and the two descriptors of a proxied request).
//!
//! Names of services (Redis, Memcached, PostgreSQL...) written without backticks are
//! checked as well: a message that says Memcached needs a fixture that configures it.

use std::path::{Path, PathBuf};

#[path = "../../../tests/shared_inputs.rs"]
mod shared_inputs;

use stacklint_linter::FixMode;
use stacklint_workspace::{Overrides, RunRequest, run};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/fixtures")
}

/// What a rule may say without having read it: the constants and the vocabulary its
/// documentation states (defaults of the program, recommended values, the setting or
/// directive it is about when that is missing, the upstream check it mirrors). Every entry
/// must occur in the rule's documentation (`allowlist_is_documented`).
fn allowlist(code: &str) -> &'static [&'static str] {
    match code {
        // Django settings.
        "DJS001" => &["pool", "True", "OPTIONS", "psycopg", "5", "8", "10", "conn_max_age", "CONN_MAX_AGE", "600", "CONN_HEALTH_CHECKS", "PostgreSQL", "ImproperlyConfigured", "Django", "versions"],
        "DJS002" => &["CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "OperationalError"],
        "DJS003" => &["security.W018"],
        "DJS005" => &["Host"],
        "DJS006" => &["DummyCache", "LocMemCache", "CACHES", "cache.delete", "Redis", "Memcached"],
        "DJS007" => &["worker_connections", "1000", "maxclients"],
        "DJS008" => &["StaticFilesStorage", "FileSystemStorage", "STORAGES", "staticfiles", "default", "4.2", "5.1", "Django", "versions"],
        "DJS010" => &["channels_redis.core.RedisChannelLayer"],
        "DJS011" => &["SESSION_ENGINE", "django.contrib.sessions.backends.db", "cached_db"],
        "DJS012" => &["X-Forwarded-Proto", "proxy_set_header", "scheme", "request.is_secure"],
        "DJS101" => &["django.middleware.security.SecurityMiddleware", "MIDDLEWARE", "security.W001"],
        "DJS102" => &["django.middleware.clickjacking.XFrameOptionsMiddleware", "X-Frame-Options", "security.W002"],
        "DJS103" => &["django.middleware.csrf.CsrfViewMiddleware", "security.W003"],
        "DJS104" => &["SECURE_HSTS_SECONDS", "Strict-Transport-Security", "3600", "security.W004"],
        "DJS105" => &["SECURE_HSTS_INCLUDE_SUBDOMAINS", "security.W005"],
        "DJS106" => &["X-Content-Type-Options", "nosniff", "security.W006"],
        "DJS108" => &["SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "security.W008"],
        "DJS109" => &["SECRET_KEY", "startproject", "50", "security.W009"],
        "DJS110" => &["SESSION_COOKIE_SECURE", "security.W010", "security.W011", "security.W012"],
        "DJS113" => &["security.W013", "security.W014", "security.W015"],
        "DJS116" => &["CSRF_COOKIE_SECURE", "security.W016"],
        "DJS119" => &["security.W019"],
        "DJS120" => &["DEBUG", "400", "security.W020"],
        "DJS121" => &["SECURE_HSTS_PRELOAD", "security.W021"],
        "DJS122" => &["Referrer-Policy", "security.W022"],
        "DJS125" => &["50", "security.W025"],
        // Django models and queries.
        "ORM001" => &["id", "models.Index", "fields", "Meta.indexes", "python", "manage.py", "makemigrations"],
        "ORM002" => &["select_related", "prefetch_related", "annotate", "Count", "list_select_related", "Meta.fields"],
        "ORM003" => &["Meta.indexes", "python", "manage.py", "makemigrations"],
        // Dockerfile.
        "DKR001" => &["runserver", "uvicorn"],
        "DKR002" => &["/bin/sh", "-c", "docker", "stop", "10"],
        "DKR003" => &["USER"],
        "DKR004" => &["PYTHONUNBUFFERED", "docker", "logs"],
        "DKR005" => &["--no-cache-dir", "~/.cache/pip"],
        "DKR007" => &["latest"],
        // Docker Compose.
        "CMP001" | "CMP002" => &["PostgreSQL"],
        "CMP003" => &["PostgreSQL", "docker", "compose", "up", "dependency", "failed", "to", "start", "container", "has", "no", "configured", "connection", "refused"],
        "CMP004" => &["latest", "docker", "compose", "pull"],
        // gunicorn (names, flags and defaults come from gunicorn's settings list as well).
        "GUN001" => &["workers", "9"],
        "GUN006" => &["uvicorn-worker", "uvicorn_worker.UvicornWorker"],
        "GUN007" => &["worker_tmp_dir", "/dev/shm"],
        // An illustration the documentation gives (a 32-CPU host gets 65 workers), not a
        // claim about the project.
        "GUN009" => &["65", "32"],
        "GUN010" => &["proxy_read_timeout", "60", "504"],
        // nginx.
        "NGX001" => &["gzip", "4", "10"],
        "NGX002" => &["gzip_types", "text/html", "application/json"],
        "NGX003" => &["upstream", "keepalive", "proxy_http_version", "proxy_set_header", "1.1", "Connection", "1.29.7", "32"],
        "NGX005" => &["Upgrade", "Connection", "upgrade", "proxy_http_version", "1.1", "1.0"],
        "NGX006" => &["worker_processes"],
        "NGX007" => &["worker_connections", "512", "1024"],
        "NGX008" => &["server_tokens", "on", "off", "Server", "http", "server"],
        "NGX009" => &["ssl_protocols", "TLSv1", "TLSv1.1", "1.27.3", "8996"],
        "NGX011" => &["404", "collectstatic"],
        "NGX012" => &["worker_rlimit_nofile", "worker_connections", "1024", "512"],
        // PostgreSQL (names, units, bounds and defaults come from its settings table as well).
        "PGS001" => &["PostgreSQL", "128", "1024", "4", "8"],
        "PGS002" => &["PostgreSQL", "1024", "0.75", "4"],
        "PGS003" => &["PostgreSQL", "1024", "1048576", "3", "4", "100"],
        "PGS004" => &["PostgreSQL", "1024", "16", "64", "VACUUM"],
        "PGS005" => &["PostgreSQL", "4", "1.1", "storage", "hdd"],
        "PGS006" => &["PostgreSQL", "500"],
        "PGS007" => &["PostgreSQL", "3", "on", "off", "true", "false", "yes", "no", "B", "kB", "MB", "GB", "TB", "us", "ms", "s", "min", "h", "d"],
        "PGS008" => &["PostgreSQL", "100", "3", "worker_connections", "1000", "4", "pool", "min_size", "max_size"],
        "PGS009" => &["PostgreSQL", "100", "200", "storage", "hdd"],
        // Redis (directive names, defaults and enum values come from the table, below).
        "RDS001" => &["64", "64mb", "Redis", "m", "mb", "1000", "1024"],
        "RDS004" => &["7", "Redis"],
        "RDS005" => &["FLUSHALL", "FLUSHDB", "CONFIG", "DEBUG", "NAME", "@dangerous"],
        "RDS006" => &["Redis", "redis-server", "b", "k", "kb", "m", "mb", "g", "gb", "1000", "1024", "64", "7.0", "7.0.15"],
        _ => &[],
    }
}

/// Everything a rule's message may say in a case besides what the case's files say.
fn allowed_for(code: &str, case: &str) -> Vec<String> {
    let mut out: Vec<String> = allowlist(code).iter().map(|a| (*a).to_owned()).collect();
    out.extend(COUNTED.iter().filter(|c| c.0 == code && c.1 == case).map(|c| c.2.to_owned()));
    out.extend(DERIVED.iter().filter(|c| c.0 == code).map(|c| c.1.to_owned()));
    if code.starts_with("GUN") {
        out.extend(gunicorn_settings());
    }
    if code.starts_with("NGX") {
        out.extend(nginx_image_conf());
    }
    if code.starts_with("PGS") {
        out.extend(postgres_settings());
    }
    if code.starts_with("RDS") {
        out.extend(redis_directives());
    }
    out
}

/// PostgreSQL's settings table and removed settings (`crates/stacklint_project/data/postgres/`,
/// the truth the PGS rules read): the release, every name, unit, boot value, bound and enum
/// value, and the releases that removed settings with their replacements.
fn postgres_settings() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../stacklint_project/data/postgres");
    let mut out = Vec::new();
    for file in ["15/settings.tsv", "removed.tsv"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("postgres settings data");
        if let Some(version) = text.lines().next().and_then(|l| l.strip_prefix("# PostgreSQL ")).and_then(|l| l.split_whitespace().next()) {
            out.push(version.to_owned());
            out.extend(version.split('.').next().map(str::to_owned));
        }
        for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
            for (i, col) in line.split('\t').enumerate() {
                // Notes (removed.tsv's last column) are prose, not values.
                if file == "removed.tsv" && i == 5 {
                    continue;
                }
                for v in col.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                    out.push(v.to_owned());
                    // The number of a unit (`8kB`: pages of 8 kB).
                    let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
                    if !digits.is_empty() && digits.len() < v.len() {
                        out.push(digits);
                    }
                }
            }
        }
    }
    out
}

/// The official nginx image's own `nginx.conf` (`crates/stacklint_project/data/nginx-image`,
/// which the model reads for a snippet in the image's `conf.d/`): its path and every word.
fn nginx_image_conf() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../stacklint_project/data/nginx-image/1.27/nginx.conf");
    let text = std::fs::read_to_string(path).expect("nginx image data");
    let mut out = vec!["/etc/nginx/nginx.conf".to_owned()];
    out.extend(text.split(|c: char| c.is_whitespace() || c == ';').filter(|w| !w.is_empty()).map(str::to_owned));
    out
}

/// Redis's directive table (`crates/stacklint_project/data/redis/7.0/config.tsv`, read off
/// the real server, the truth the RDS rules read): every name, default word and enum value.
fn redis_directives() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../stacklint_project/data/redis/7.0/config.tsv");
    let text = std::fs::read_to_string(path).expect("redis directive table");
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        out.extend(cols.first().map(|n| (*n).to_owned()));
        out.extend(cols.get(2).into_iter().flat_map(|d| d.split_whitespace()).map(str::to_owned));
        out.extend(cols.get(3).into_iter().flat_map(|v| v.split(',')).filter(|v| !v.is_empty()).map(str::to_owned));
    }
    out
}

/// gunicorn's settings list (`crates/stacklint_project/data/gunicorn-settings.tsv`, the
/// truth the GUN rules read): every name, flag and default.
fn gunicorn_settings() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../stacklint_project/data/gunicorn-settings.tsv");
    let text = std::fs::read_to_string(path).expect("gunicorn settings data");
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        out.extend(cols.first().map(|n| (*n).to_owned()));
        out.extend(cols.get(2).into_iter().flat_map(|f| f.split(',')).filter(|f| !f.is_empty()).map(str::to_owned));
        out.extend(cols.get(3).map(|d| d.trim_matches(|c: char| "'[]\"".contains(c)).to_owned()).filter(|d| !d.is_empty()));
    }
    out
}

/// Numbers counted from the fixture rather than quoted from it: `(rule, case, number, what)`.
const COUNTED: &[(&str, &str, &str, &str)] = &[
    ("DJS109", "fail_short_fallback", "9", "the length of the fallback key"),
    ("DJS125", "fail_weak", "13", "the length of the fallback key"),
    ("ORM002", "fail_drf_serializer_relations", "4", "the relations `PostSerializer` reads"),
    ("ORM002", "fail_relation_beyond_the_first_hop", "3", "the relations on the path `o.customer.city.country`, none loaded"),
    ("RDS001", "fail_far_below_container", "512mb", "half the compose memory limit `1G`"),
    ("RDS002", "fail_container", "256mb", "half the compose memory limit `512M`"),
    ("RDS002", "fail_host_assumed", "2gb", "a quarter of the assumed 8 GiB host"),
    ("RDS002", "fail_image_defaults", "2gb", "a quarter of the assumed 8 GiB host"),
    ("RDS007", "fail", "256mb", "half the compose memory limit `512M`"),
    ("RDS007", "fail_file", "256mb", "half the compose memory limit `512M`"),
];

/// Names a rule computes from what it read, where the computation is not arithmetic:
/// `(rule, name, from what)`.
const DERIVED: &[(&str, &str, &str)] = &[
    ("GUN006", "uvicorn_worker.UvicornH11Worker", "the `uvicorn.workers.UvicornH11Worker` read, in its new package"),
    ("NGX011", "/srv/mysite/static/", "`STATIC_ROOT` with the trailing slash `alias` needs"),
    ("NGX003", "gthread", "the worker class gunicorn runs: sync with `--threads` above 1 is gthread"),
];

/// What stacklint assumes when the project does not say, allowed only in a message that
/// says it assumed: the default target (4 CPUs, 8 GiB) and the newest releases it knows
/// (Django 6.0, nginx 1.29.x).
const ASSUMED: &[&str] = &["4", "8", "6.0", "1.29"];

/// Python's constants, values rather than names.
const PYTHON: &[&str] = &["True", "False", "None"];

/// Counts of one and two (`1 of 2 locations`, two descriptors per proxied request) need
/// no source.
const SMALL: &[&str] = &["0", "1", "2"];

/// Services a message may name in prose; each must be configured in the fixture.
const SERVICES: &[&str] = &["Redis", "Valkey", "Memcached", "PostgreSQL", "MySQL", "SQLite", "uvicorn", "gevent", "eventlet", "daphne", "hypercorn", "LocMemCache", "DummyCache"];

/// Every file of a case, concatenated (the corpus a message may quote).
fn case_text(dir: &Path) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut paths = Vec::new();
    for (p, t) in shared_inputs::files_under(dir, |_| true) {
        text.push_str(&t);
        text.push('\n');
        paths.push(p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().replace('\\', "/"));
    }
    (text, paths)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `needle` occurs in `hay` as a whole word (no word character glued to either end).
fn has_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|h| h.find(needle)) {
        let start = from + i;
        let end = start + needle.len();
        let before = hay[..start].chars().next_back();
        let after = hay[end..].chars().next();
        let glued_before = before.is_some_and(is_word_char) && needle.starts_with(is_word_char);
        let glued_after = after.is_some_and(is_word_char) && needle.ends_with(is_word_char);
        // A number is not the same number when it goes on with `.digits`.
        let continues_number = needle.ends_with(|c: char| c.is_ascii_digit()) && hay[end..].starts_with('.') && hay[end + 1..].starts_with(|c: char| c.is_ascii_digit());
        let number_before = needle.starts_with(|c: char| c.is_ascii_digit()) && hay[..start].ends_with('.') && hay[..start.saturating_sub(1)].ends_with(|c: char| c.is_ascii_digit());
        if !glued_before && !glued_after && !continues_number && !number_before {
            return true;
        }
        from = start + needle.len().max(1);
    }
    false
}

/// One message checked against the case's text and the rule's allowlist.
struct Check<'a> {
    text: &'a str,
    paths: &'a [String],
    allow: Vec<String>,
}

impl Check<'_> {
    fn known_word(&self, w: &str) -> bool {
        SMALL.contains(&w) || PYTHON.contains(&w) || self.allowed(w) || has_word(self.text, w) || self.number_with_unit(w)
    }

    /// A number written with its memory unit glued to it (`memory: 3G`, `memory = "16GiB"`,
    /// `shared_buffers = 128MB`): the number is read.
    fn number_with_unit(&self, n: &str) -> bool {
        const UNITS: &[&str] = &["GiB", "MiB", "KiB", "GB", "MB", "kB", "TB", "G", "M", "g", "m", "gb", "mb"];
        n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() && UNITS.iter().any(|u| has_word(self.text, &format!("{n}{u}")))
    }

    fn allowed(&self, w: &str) -> bool {
        self.allow.iter().any(|a| a == w)
    }

    /// A number token: in the case, allowed, or shown as the result of arithmetic on
    /// accounted-for numbers.
    fn known_number(&self, n: &str, message: &str) -> bool {
        self.known_word(n) || derived(n, message, &|x| self.known_word(x))
    }

    /// Everything in `message` that is not accounted for.
    fn unaccounted(&self, message: &str) -> Vec<String> {
        let mut out = Vec::new();
        if message.contains("assum") {
            let mut with = Check { text: self.text, paths: self.paths, allow: self.allow.clone() };
            with.allow.extend(ASSUMED.iter().map(|a| (*a).to_owned()));
            return with.unaccounted(&message.replace("assum", "ASSUM"));
        }
        let message = self.strip_places(message);
        let (spans, prose) = backticks(&message);
        for span in spans {
            if self.known_word(&span) || has_word(self.text, &span) {
                continue;
            }
            // A snippet built from read parts: every part must be accounted for.
            for part in span.split(|c: char| !(c.is_alphanumeric() || "_.-/~@".contains(c))) {
                let part = part.trim_matches('.');
                if !part.chars().any(char::is_alphanumeric) || self.allowed(part) {
                    continue;
                }
                let ok = if part.chars().all(|c| c.is_ascii_digit() || c == '.') { self.known_number(part, &message) } else { self.known_word(part) || self.yaml_path(part) || self.lookup_path(part) };
                if !ok && !out.contains(&part.to_owned()) {
                    out.push(part.to_owned());
                }
            }
        }
        for n in numbers(&prose) {
            if !self.known_number(&n, &message) {
                out.push(n);
            }
        }
        for s in SERVICES {
            if has_word(&prose.to_ascii_lowercase(), &s.to_ascii_lowercase()) && !self.allowed(s) && !self.text.to_ascii_lowercase().contains(&s.to_ascii_lowercase()) {
                out.push((*s).to_owned());
            }
        }
        out
    }

    /// A key path (`ulimits.nofile`) whose every key is written as a YAML key (`nofile:`).
    fn yaml_path(&self, part: &str) -> bool {
        part.contains('.') && part.split('.').all(|key| !key.is_empty() && self.text.lines().any(|l| l.trim_start().trim_start_matches("- ").starts_with(&format!("{key}:"))))
    }

    /// A Django lookup path (`customer__city`) whose every name is read.
    fn lookup_path(&self, part: &str) -> bool {
        part.contains("__") && part.split("__").all(|name| !name.is_empty() && self.known_word(name))
    }

    /// Drops `line N` and `path:N` (places, not values).
    fn strip_places(&self, message: &str) -> String {
        let mut m = message.to_owned();
        for p in self.paths {
            while let Some(i) = m.find(&format!("{p}:")) {
                let end = i + p.len() + 1;
                let digits = m[end..].chars().take_while(char::is_ascii_digit).count();
                m.replace_range(i..end + digits, "PLACE");
            }
        }
        while let Some(i) = m.find("line ") {
            let end = i + 5;
            let digits = m[end..].chars().take_while(char::is_ascii_digit).count();
            m.replace_range(i..end + digits, "PLACE");
        }
        m
    }
}

/// The backticked spans of a message, and the message without them.
fn backticks(message: &str) -> (Vec<String>, String) {
    let mut spans = Vec::new();
    let mut prose = String::new();
    let mut parts = message.split('`');
    if let Some(first) = parts.next() {
        prose.push_str(first);
    }
    let mut inside = true;
    for p in parts {
        if inside {
            spans.push(p.to_owned());
            prose.push(' ');
        } else {
            prose.push_str(p);
        }
        inside = !inside;
    }
    (spans, prose)
}

/// Number tokens of prose (`1024`, `1.27.3`), not those glued to a word (`TLSv1`, `W001`).
fn numbers(prose: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = prose.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let glued = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == '.');
        if c.is_ascii_digit() && !glued {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || (chars[j] == '.' && chars.get(j + 1).is_some_and(char::is_ascii_digit))) {
                j += 1;
            }
            out.push(chars[i..j].iter().collect());
            i = j;
        } else {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            i += 1;
        }
    }
    out
}

/// Whether `n` is shown in `message` as `A op B = n` with `A` and `B` accounted for
/// (recursively: a result may feed the next step).
const OPERATORS: &[&str] = &["×", "*", "x", "/", "÷", "+", "-", "−"];

fn derived(n: &str, message: &str, known: &dyn Fn(&str) -> bool) -> bool {
    derived_depth(n, message, known, 0)
}

fn derived_depth(number: &str, message: &str, known: &dyn Fn(&str) -> bool, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    let Ok(value) = number.parse::<f64>() else { return false };
    let plain = message.replace('`', "");
    let eq = format!("= {number}");
    let mut from = 0;
    while let Some(i) = plain.get(from..).and_then(|s| s.find(&eq)) {
        let at = from + i;
        from = at + eq.len();
        let after = plain[from..].chars().next();
        if after.is_some_and(|c| c.is_ascii_digit() || c == '.' && plain[from + 1..].starts_with(|d: char| d.is_ascii_digit())) {
            continue;
        }
        // `A op B` right before `=`, e.g. `2 × 4096 = 8192`, `2 × `worker_connections 32` = 64`:
        // B is the number right before `=`, the operator comes at most two words earlier,
        // A is the number right before the operator.
        let left: Vec<&str> = plain[..at].split_whitespace().rev().take(5).collect();
        let clean = |s: &str| s.trim_matches(|c: char| !c.is_ascii_digit() && c != '.').trim_end_matches('.').to_owned();
        let Some(rhs) = left.first().map(|t| clean(t)) else { continue };
        let Some(op_at) = left.iter().skip(1).take(3).position(|t| OPERATORS.contains(t)).map(|p| p + 1) else { continue };
        let op = left[op_at];
        let Some(lhs) = left.get(op_at + 1).map(|t| clean(t)) else { continue };
        let (Ok(x), Ok(y)) = (lhs.parse::<f64>(), rhs.parse::<f64>()) else { continue };
        let result = match op {
            "×" | "*" | "x" => x * y,
            "/" | "÷" => x / y,
            "+" => x + y,
            "-" | "−" => x - y,
            _ => continue,
        };
        let ok = |t: &str| known(t) || derived_depth(t, &plain[..at], known, depth + 1);
        if (result - value).abs() < 0.5 && ok(&lhs) && ok(&rhs) {
            return true;
        }
    }
    false
}

#[test]
fn messages_come_from_what_was_read() {
    let mut failures = Vec::new();
    let mut findings = 0;
    let mut codes: Vec<_> = std::fs::read_dir(fixtures_dir()).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    codes.sort();
    for code_dir in codes {
        let code = code_dir.file_name().unwrap().to_string_lossy().to_string();
        let mut cases: Vec<_> = std::fs::read_dir(&code_dir).unwrap().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir() && !p.ends_with("snapshots")).collect();
        cases.sort();
        for dir in cases {
            let overrides = Overrides { select: Some(vec![code.clone()]), ..Overrides::default() };
            let outcome = run(&RunRequest { paths: vec![dir.clone()], overrides, fix: None::<FixMode>, ..RunRequest::default() }).expect("fixture runs");
            let (text, paths) = case_text(&dir);
            let case = dir.file_name().unwrap().to_string_lossy().to_string();
            let check = Check { text: &text, paths: &paths, allow: allowed_for(&code, &case) };
            for d in outcome.diagnostics.iter().filter(|d| d.code == code) {
                findings += 1;
                // A template is linted as its skeleton (`{{ name }}` masked as `$_______`):
                // the mask must never be shown, only the file's own text.
                for shown in std::iter::once(&d.message).chain(d.help.as_ref()) {
                    if let Some(mask) = mask_run(shown)
                        && !text.contains(mask)
                    {
                        failures.push(format!("{code}/{case}: shows a template's mask `{mask}`\n    {shown}"));
                    }
                }
                let bad = check.unaccounted(&d.message);
                if !bad.is_empty() {
                    failures.push(format!("{code}/{case}: not read from the fixture: {}\n    {}", bad.join(", "), d.message));
                }
            }
        }
    }
    println!("{findings} findings checked");
    assert!(failures.is_empty(), "{} message(s) name what the fixture does not say:\n{}", failures.len(), failures.join("\n"));
}

/// The first run of template mask characters in `s` (`$___`, or `___` and longer).
fn mask_run(s: &str) -> Option<&str> {
    let start = s.find("$__").or_else(|| s.find("___"))?;
    let len = s[start..].char_indices().find(|&(i, c)| !(c == '_' || (i == 0 && c == '$'))).map_or(s.len() - start, |(i, _)| i);
    Some(&s[start..start + len])
}

#[test]
fn mask_runs_are_found() {
    assert_eq!(mask_run("`upstream $_______-web` has no `keepalive`"), Some("$_______"));
    assert_eq!(mask_run("`upstream {{ site }}-web`"), None);
    assert_eq!(mask_run("`__init__.py`"), None);
}

/// The checker itself: it catches what issue 6 found.
#[test]
fn the_checker_catches_invented_names_and_numbers() {
    let locmem = "CACHES = {\"default\": {\"BACKEND\": \"django.core.cache.backends.locmem.LocMemCache\"}}\n";
    let check = Check { text: locmem, paths: &[], allow: allowed_for("DJS011", "") };
    assert_eq!(check.unaccounted("sessions query the database although the default cache is Memcached"), vec!["Memcached".to_owned()]);
    assert!(check.unaccounted("the default cache is `django.core.cache.backends.locmem.LocMemCache`").is_empty());

    let nginx = "events {\n    worker_connections 32;\n}\n";
    let check = Check { text: nginx, paths: &["nginx/nginx.conf".to_owned()], allow: Vec::new() };
    assert_eq!(check.unaccounted("workers need 64, but they inherit the process limit (often 1024)"), vec!["64".to_owned(), "1024".to_owned()]);
    assert!(check.unaccounted("`worker_connections 32` needs 2 × 32 = 64 descriptors (nginx/nginx.conf:2, line 2)").is_empty());
    assert_eq!(check.unaccounted("2 × 32 = 65"), vec!["65".to_owned()]);
    assert_eq!(check.unaccounted("`worker_connections 4096`"), vec!["4096".to_owned()]);

    let models = "class Order(models.Model):\n    customer = models.ForeignKey(Customer)\n\nclass Customer(models.Model):\n    city = models.ForeignKey(City)\n";
    let check = Check { text: models, paths: &[], allow: allowed_for("ORM002", "") };
    assert!(check.unaccounted("`.select_related(\"customer__city\")`").is_empty());
    assert_eq!(check.unaccounted("`.select_related(\"customer__country\")`"), vec!["customer__country".to_owned()]);
}

/// Every allowlist entry is stated in its rule's documentation: the allowlist holds
/// documented constants, not whatever a message happened to say.
#[test]
fn allowlist_is_documented() {
    let mut missing = Vec::new();
    for rule in stacklint_linter::RULES.iter() {
        let doc = rule.documentation();
        for entry in allowlist(rule.code) {
            if !has_word(&doc, entry) {
                missing.push(format!("{}: `{entry}`", rule.code));
            }
        }
    }
    assert!(missing.is_empty(), "allowlist entries the rule's documentation does not state:\n{}", missing.join("\n"));
}
