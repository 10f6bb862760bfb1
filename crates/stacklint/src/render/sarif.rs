//! `sarif`: a SARIF 2.1.0 log with one run.
//!
//! - `tool.driver.rules` lists each code that appears, sorted: `id` is the code, `name`
//!   the rule name, `shortDescription` the rule summary (or its name), `helpUri` its docs.
//! - Each result has `ruleId`, `ruleIndex`, `level` (`error`, `warning`, `note` for
//!   info), `message`, one physical location, `relatedLocations` and `fixes`.
//! - Paths under the current folder are relative URIs against `%SRCROOT%`, which
//!   `originalUriBaseIds` maps to the current folder; other paths are `file://` URIs.
//! - `columnKind` is `unicodeCodePoints`: columns count Unicode scalar values, like every
//!   other format. `endColumn` is the column just past the range.

use std::io;
use std::path::Path;

use serde::Serialize;
use stacklint_diagnostics::{Diagnostic, Severity, TextRange};

use super::{Files, RenderContext};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BaseIds>,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct BaseIds {
    #[serde(rename = "%SRCROOT%")]
    srcroot: ArtifactLocation,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)] // SARIF's names
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Message,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Message,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encode what may not appear in a URI path (RFC 3986 unreserved, `/` and the
/// sub-delimiters stay as they are).
fn encode_uri_path(path: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
    out
}

/// `file://` URI of an absolute path (a folder ends with `/`).
fn file_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    if path.starts_with('/') { format!("file://{}", encode_uri_path(&path)) } else { format!("file:///{}", encode_uri_path(&path)) }
}

fn artifact_location(path: &Path, cx: &RenderContext) -> ArtifactLocation {
    let shown = cx.display_path(path);
    if shown.starts_with('/') || Path::new(&shown).is_absolute() {
        ArtifactLocation { uri: file_uri(&shown), uri_base_id: None }
    } else {
        // Relative to the current folder, which `%SRCROOT%` names when it is absolute.
        ArtifactLocation { uri: encode_uri_path(&shown), uri_base_id: cx.cwd.is_absolute().then_some(SRCROOT) }
    }
}

fn region(files: &mut Files, path: &Path, range: TextRange) -> Region {
    let span = files.span(path, range);
    Region { start_line: span.start.row, start_column: span.start.column, end_line: span.end.row, end_column: span.end.column }
}

pub(super) fn render(diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write) -> io::Result<()> {
    let mut files = Files::new(cx.sources);

    let mut codes: Vec<(&'static str, &'static str)> = diagnostics.iter().map(|d| (d.code, d.name)).collect();
    codes.sort_unstable();
    codes.dedup_by_key(|(code, _)| *code);
    let rules: Vec<Rule> = codes
        .iter()
        .map(|&(code, name)| Rule {
            id: code,
            name,
            short_description: Message { text: (cx.rule_summary)(code).unwrap_or_else(|| name.to_owned()) },
            help_uri: (cx.rule_url)(code),
        })
        .collect();

    let results = diagnostics
        .iter()
        .map(|diagnostic| {
            let rule_index = codes.iter().position(|(code, _)| *code == diagnostic.code).unwrap_or(0);
            let related_locations = diagnostic
                .related
                .iter()
                .enumerate()
                .map(|(i, rel)| Location {
                    id: Some(i),
                    physical_location: PhysicalLocation { artifact_location: artifact_location(&rel.file, cx), region: region(&mut files, &rel.file, rel.range) },
                    message: Some(Message { text: rel.message.clone() }),
                })
                .collect();
            let fixes = diagnostic
                .fix
                .iter()
                .map(|fix| {
                    let artifact_changes = fix
                        .files()
                        .into_iter()
                        .map(|file| ArtifactChange {
                            artifact_location: artifact_location(file, cx),
                            replacements: fix
                                .edits
                                .iter()
                                .filter(|edit| edit.file == file)
                                .map(|edit| Replacement { deleted_region: region(&mut files, &edit.file, edit.range), inserted_content: Message { text: edit.content.clone() } })
                                .collect(),
                        })
                        .collect();
                    SarifFix { description: Message { text: fix.title.clone() }, artifact_changes }
                })
                .collect();
            SarifResult {
                rule_id: diagnostic.code,
                rule_index,
                level: level(diagnostic.severity),
                message: Message { text: diagnostic.message.clone() },
                locations: vec![Location {
                    id: None,
                    physical_location: PhysicalLocation {
                        artifact_location: artifact_location(&diagnostic.file, cx),
                        region: region(&mut files, &diagnostic.file, diagnostic.range),
                    },
                    message: None,
                }],
                related_locations,
                fixes,
            }
        })
        .collect();

    let cwd = cx.display_path(cx.cwd);
    let original_uri_base_ids = cx.cwd.is_absolute().then(|| {
        let mut uri = file_uri(&cwd);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        BaseIds { srcroot: ArtifactLocation { uri, uri_base_id: None } }
    });

    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool { driver: Driver { name: "stacklint", version: cx.tool_version, information_uri: INFORMATION_URI, rules } },
            original_uri_base_ids,
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(encode_uri_path("deploy/my app/nginx.conf"), "deploy/my%20app/nginx.conf");
        assert_eq!(encode_uri_path("é#?"), "%C3%A9%23%3F");
        assert_eq!(file_uri("/srv/app/"), "file:///srv/app/");
    }
}
