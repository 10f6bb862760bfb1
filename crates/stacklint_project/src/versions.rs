//! Versions actually deployed: from requirements files, pyproject.toml, images and `[versions]`.

use std::fmt;
use std::path::PathBuf;

use stacklint_text::TextRange;

/// A dotted version as written (`5.2.8`, `1.27`, `16`), compared numerically part by part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub parts: Vec<u64>,
    pub text: String,
}

impl Version {
    /// Parse the leading numeric part of `text` (`1.27-alpine` → 1.27); `None` for `latest`.
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim().trim_start_matches(['v', 'V']);
        let mut parts = Vec::new();
        for piece in t.split('.') {
            let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            parts.push(digits.parse().ok()?);
            if digits.len() != piece.len() {
                break;
            }
        }
        if parts.is_empty() {
            return None;
        }
        let text = parts.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
        Some(Version { parts, text })
    }

    /// Whether this version is at least `other` (missing parts count as 0).
    pub fn at_least(&self, other: &[u64]) -> bool {
        let n = self.parts.len().max(other.len());
        for i in 0..n {
            let a = self.parts.get(i).copied().unwrap_or(0);
            let b = other.get(i).copied().unwrap_or(0);
            if a != b {
                return a > b;
            }
        }
        true
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where a version came from; messages cite it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSource {
    Config,
    File { path: PathBuf, range: TextRange },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownVersion {
    pub version: Version,
    pub source: VersionSource,
    /// `==` pin (exact) or a lower bound (`>=`, `~=`, `^`).
    pub exact: bool,
}

/// The deployed versions the project declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Versions {
    pub django: Option<KnownVersion>,
    pub gunicorn: Option<KnownVersion>,
    pub nginx: Option<KnownVersion>,
    pub postgres: Option<KnownVersion>,
    pub redis: Option<KnownVersion>,
}

impl Versions {
    pub fn slot(&mut self, package: &str) -> Option<&mut Option<KnownVersion>> {
        match package.to_ascii_lowercase().replace('_', "-").as_str() {
            "django" => Some(&mut self.django),
            "gunicorn" => Some(&mut self.gunicorn),
            "nginx" => Some(&mut self.nginx),
            "postgres" | "postgresql" => Some(&mut self.postgres),
            "redis" => Some(&mut self.redis),
            _ => None,
        }
    }

    /// Record `version` for `package` unless a version is already known (config wins).
    pub fn offer(&mut self, package: &str, version: KnownVersion) {
        if let Some(slot) = self.slot(package)
            && slot.is_none()
        {
            *slot = Some(version);
        }
    }
}

/// Pinned packages in a requirements file: `(package, version, exact, range of the line)`.
pub fn requirements_pins(text: &str) -> Vec<(String, Version, bool, TextRange)> {
    requirement_lines(text).into_iter().filter_map(|(content, range)| parse_requirement(content).map(|(name, version, exact)| (name, version, exact, range))).collect()
}

/// Every package a requirements file lists, pinned or not: `(normalized name, range of the line)`.
pub fn requirements_names(text: &str) -> Vec<(String, TextRange)> {
    requirement_lines(text).into_iter().filter_map(|(content, range)| requirement_name(content).map(|n| (n, range))).collect()
}

/// The requirement lines of a requirements file (comments, blank lines and `-r`/`-e`
/// options left out), each with the range of the line.
fn requirement_lines(text: &str) -> Vec<(&str, TextRange)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.split('#').next().unwrap_or("").trim();
        if content.is_empty() || content.starts_with('-') {
            continue;
        }
        out.push((content, TextRange::new(start, start + line.trim_end().len())));
    }
    out
}

/// A requirement's package name, normalized as pip compares them (lowercase, runs of
/// `-`, `_`, `.` as one `-`): `Uvicorn_Worker[x]>=1` → `uvicorn-worker`.
pub fn requirement_name(spec: &str) -> Option<String> {
    let spec = spec.trim().trim_matches(['"', '\'']);
    let end = spec.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')).unwrap_or(spec.len());
    let raw = spec.get(..end)?;
    if raw.is_empty() {
        return None;
    }
    let mut name = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !name.ends_with('-') {
                name.push('-');
            }
        } else {
            name.push(c.to_ascii_lowercase());
        }
    }
    Some(name)
}

/// `Django==5.2.8`, `gunicorn>=22`, `psycopg[binary]~=3.2` → (name, version, exact).
pub fn parse_requirement(spec: &str) -> Option<(String, Version, bool)> {
    let spec = spec.split(';').next()?.trim();
    let name_end = spec.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))?;
    let name = spec.get(..name_end)?.to_ascii_lowercase();
    let rest = spec.get(name_end..)?;
    let rest = if rest.starts_with('[') { rest.get(rest.find(']')? + 1..)? } else { rest };
    let rest = rest.trim().trim_start_matches('(');
    for (op, exact) in [("===", true), ("==", true), ("~=", false), (">=", false), ("^", false), ("~", false)] {
        if let Some(v) = rest.strip_prefix(op) {
            let v = v.split(',').next()?.trim();
            return Some((name, Version::parse(v)?, exact));
        }
    }
    None
}

/// Dependencies declared in a `pyproject.toml`: PEP 621 `[project] dependencies` (also used by
/// uv, pdm, hatch), `[project.optional-dependencies]`, `[dependency-groups]` and Poetry's
/// `[tool.poetry.dependencies]` (`django = "^5.1"` or `{ version = "..." }`).
/// Returns `(package, version, exact, range of the requirement in the file)`.
pub fn pyproject_pins(text: &str) -> Vec<(String, Version, bool, TextRange)> {
    let mut out = Vec::new();
    for spec in pyproject_specs(text).into_iter().filter_map(|(spec, versioned)| versioned.then_some(spec)) {
        if let Some((name, version, exact)) = parse_requirement(&spec) {
            let range = text.find(&spec).map_or_else(|| TextRange::empty(0), |i| TextRange::new(i, i + spec.len()));
            out.push((name, version, exact, range));
        }
    }
    out
}

/// Every package a `pyproject.toml` depends on (the tables of [`pyproject_pins`]), with or
/// without a version: `(normalized name, range of its requirement or key)`.
pub fn pyproject_names(text: &str) -> Vec<(String, TextRange)> {
    pyproject_specs(text)
        .into_iter()
        .filter_map(|(spec, _)| {
            let name = requirement_name(&spec)?;
            let written = spec.split(['=', '^', '~', '>', '<']).next().unwrap_or(&spec);
            let range = text.find(written).map_or_else(|| TextRange::empty(0), |i| TextRange::new(i, i + written.len()));
            Some((name, range))
        })
        .collect()
}

/// The dependency specs of a `pyproject.toml` (a Poetry entry `name = "^1"` as `name^1`,
/// one without a version as its name), each with whether it carries a version.
fn pyproject_specs(text: &str) -> Vec<(String, bool)> {
    let Ok(doc) = text.parse::<toml::Table>() else { return Vec::new() };
    let mut specs: Vec<(String, bool)> = Vec::new();
    let strings = |v: Option<&toml::Value>| -> Vec<(String, bool)> { v.and_then(toml::Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(|s| (s.to_string(), true))).collect()).unwrap_or_default() };
    let project = doc.get("project");
    specs.extend(strings(project.and_then(|p| p.get("dependencies"))));
    for table in [project.and_then(|p| p.get("optional-dependencies")), doc.get("dependency-groups")] {
        for (_, v) in table.and_then(toml::Value::as_table).into_iter().flatten() {
            specs.extend(strings(Some(v)));
        }
    }
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    let mut poetry_tables: Vec<&toml::Table> = poetry.and_then(|p| p.get("dependencies")).and_then(toml::Value::as_table).into_iter().collect();
    for (_, g) in poetry.and_then(|p| p.get("group")).and_then(toml::Value::as_table).into_iter().flatten() {
        poetry_tables.extend(g.get("dependencies").and_then(toml::Value::as_table));
    }
    for table in poetry_tables {
        for (name, v) in table {
            match v.as_str().or_else(|| v.get("version").and_then(toml::Value::as_str)) {
                Some(version) => {
                    let op = if version.starts_with(['^', '~', '>', '<', '=']) { "" } else { "==" };
                    specs.push((format!("{name}{op}{version}"), true));
                }
                None => specs.push((name.clone(), false)),
            }
        }
    }
    specs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        let pins = requirements_pins("Django==5.2.8\n# c\nuvicorn[standard]==0.38.0\ngunicorn>=22.0 ; python_version>'3'\n-r base.txt\n");
        let names: Vec<_> = pins.iter().map(|p| (p.0.as_str(), p.1.text.as_str(), p.2)).collect();
        assert_eq!(names, vec![("django", "5.2.8", true), ("uvicorn", "0.38.0", true), ("gunicorn", "22.0", false)]);
        assert_eq!(pins[0].3, TextRange::new(0, 13));
        assert!(Version::parse("1.27-alpine").unwrap().at_least(&[1, 27]));
        assert!(!Version::parse("1.27.3").unwrap().at_least(&[1, 29, 7]));
        assert!(Version::parse("latest").is_none());
    }

    #[test]
    fn pyproject() {
        let text = "[project]\nname = \"x\"\ndependencies = [\"Django>=5.1,<6\", \"gunicorn==23.0.0\"]\n[tool.poetry.dependencies]\nredis = \"^5.0\"\n";
        let pins = pyproject_pins(text);
        let got: Vec<_> = pins.iter().map(|p| (p.0.as_str(), p.1.text.as_str(), p.2)).collect();
        assert_eq!(got, vec![("django", "5.1", false), ("gunicorn", "23.0.0", true), ("redis", "5.0", false)]);
        assert_eq!(pins[1].3.slice(text), "gunicorn==23.0.0");
        assert!(pyproject_pins("not toml [").is_empty());
        let names: Vec<_> = pyproject_names("[project]\ndependencies = [\"Uvicorn_Worker>=0.2\", \"daphne\"]\n[tool.poetry.dependencies]\nhypercorn = { extras = [\"h3\"] }\n").into_iter().map(|n| n.0).collect();
        assert_eq!(names, ["uvicorn-worker", "daphne", "hypercorn"]);
    }

    #[test]
    fn unpinned_names() {
        let text = "Django==5.2\n# daphne\ndaphne\nuvicorn[standard] ; python_version>'3'\n-r base.txt\n";
        let names: Vec<_> = requirements_names(text).into_iter().map(|(n, r)| (n, r.slice(text).to_owned())).collect();
        assert_eq!(names, [("django".to_owned(), "Django==5.2".to_owned()), ("daphne".to_owned(), "daphne".to_owned()), ("uvicorn".to_owned(), "uvicorn[standard] ; python_version>'3'".to_owned())]);
    }
}
