//! The compose front end: a service's `entrypoint:` + `command:` (string — plain, quoted
//! or a folded/literal block — or list), with the service's `environment:`
//! (`GUNICORN_CMD_ARGS`, `WEB_CONCURRENCY`, map or `KEY=value` list). The process runs on
//! the service's target: the host target narrowed by `deploy.resources.limits`.
//!
//! Every word maps back to its bytes in the compose file (through quotes and folded
//! lines), so a fix replaces the `1` of `--workers 1` on its own line of a `>` block.
//! New flags go after the last word of a string command, into a flow list as `, "--flag"`,
//! or as new `- "--flag"` items of a block list.

use std::path::Path;

use stacklint_syntax::compose::{Command, CommandForm, EnvVar, ScalarStyle, Service};
use stacklint_syntax::shell::{self, Token, Word};
use stacklint_text::line_ending;

use super::build::Input;
use super::edit::ArgvStyle;
use super::frontends::FoundCommand;
use super::{CommandSource, Frontend, GunicornProcess, ValueSyntax};
use crate::kind::FileKind;
use crate::project::Project;
use crate::target::Target;

/// The gunicorn commands of a compose file's services.
/// The commands of a compose file's services (`parsed`: its tree, when already parsed).
pub(crate) fn from_compose(path: &Path, text: &str, parsed: Option<&stacklint_syntax::compose::ComposeFile>) -> Vec<FoundCommand> {
    let own;
    let file = if let Some(f) = parsed {
        f
    } else {
        own = stacklint_syntax::compose::parse(text).tree;
        &own
    };
    file.services.iter().flat_map(|s| from_service(path, text, s)).collect()
}

fn from_service(path: &Path, text: &str, service: &Service) -> Vec<FoundCommand> {
    // Compose appends `command` to `entrypoint` (both split into words, no shell).
    let parts: Vec<&Command> = service.entrypoint.iter().chain(&service.command).collect();
    let tokens: Vec<Token> = parts.iter().flat_map(|c| c.tokens.iter().cloned()).collect();
    let exported: Vec<Word> = ["WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"].iter().filter_map(|n| service.env(n)).filter_map(env_word).collect();
    shell::find_commands(&tokens, "gunicorn")
        .into_iter()
        .map(|inv| {
            let last = inv.args.last().unwrap_or(&inv.program).range.start();
            let holder = parts.iter().find(|c| c.range.contains(last) || c.range.end() == last).copied();
            let (syntax, style) = holder.map_or((ValueSyntax::Shell, None), |c| style_of(text, service, c, &inv));
            FoundCommand {
                file: path.to_path_buf(),
                source: CommandSource::Compose { service: service.name.value.clone() },
                inv,
                exported: exported.clone(),
                base_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
                syntax,
                style,
                anchor: None,
            }
        })
        .collect()
}

/// How values are quoted and where new flags go, for the command holding the last word.
fn style_of(text: &str, service: &Service, command: &Command, inv: &shell::Invocation) -> (ValueSyntax, Option<ArgvStyle>) {
    let shell_style = || Some(ArgvStyle::Shell { offset: inv.append_offset(), continuation_indent: None });
    let CommandForm::List(items) = &command.form else {
        return (ValueSyntax::Shell, shell_style());
    };
    if inv.depth > 0 {
        // `["sh", "-c", "gunicorn ..."]`: shell words inside one element.
        return (ValueSyntax::Shell, shell_style());
    }
    let syntax = if items.iter().any(|i| i.style == ScalarStyle::DoubleQuoted) { ValueSyntax::Json } else { ValueSyntax::Shell };
    let Some(last) = items.last() else { return (syntax, None) };
    let flow = [service.get("command"), service.get("entrypoint")].into_iter().flatten().find(|n| n.range == command.range).and_then(|n| n.as_sequence()).is_some_and(|s| s.flow);
    if flow {
        return (syntax, Some(ArgvStyle::JsonArray { offset: last.range.end() }));
    }
    // A block list: new `- "..."` items on the lines after the last one.
    let line_start = text.get(..last.range.start()).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let before = text.get(line_start..last.range.start()).unwrap_or("");
    let indent: String = before.chars().take_while(|c| *c == ' ').collect();
    let (offset, leading_newline) = match text.get(last.range.end()..).and_then(|t| t.find('\n')) {
        Some(i) => (last.range.end() + i + 1, false),
        None => (text.len(), true),
    };
    (syntax, Some(ArgvStyle::YamlBlockList { offset, indent, newline: line_ending(text), leading_newline }))
}

/// `NAME=value` as one assignment word mapped to the source (map form `NAME: value`
/// too: the `=` maps to the end of the name), so the value's range is exact.
fn env_word(e: &EnvVar) -> Option<Word> {
    let value = e.value.as_ref()?;
    let name = &e.name;
    let mut map: Vec<usize> = (0..name.value.len()).map(|i| name.source_offset(i).unwrap_or(name.range.start())).collect();
    map.push(name.range.end());
    map.extend((0..value.value.len()).map(|i| value.source_offset(i).unwrap_or(value.range.start())));
    Some(Word::with_map(format!("{}={}", name.value, value.value), e.range, map))
}

/// Give each process the target of where it runs: a compose command its service's
/// (host narrowed by limits); with the project model, any other process the target of
/// the service that builds or mounts its file.
pub(crate) fn set_targets(processes: &mut [GunicornProcess], files: &[Input<'_>], host: &Target, project: Option<&Project>) {
    for p in processes {
        if let Frontend::CommandLine(CommandSource::Compose { service }) = &p.frontend {
            let target = match project {
                Some(project) => project.compose.service(&p.anchor.file, service).map(|s| s.target.clone()),
                None => files.iter().find(|f| f.kind == FileKind::Compose && f.path == &p.anchor.file).and_then(|f| {
                    let parsed = stacklint_syntax::compose::parse(f.text);
                    parsed.tree.service(service).map(|s| crate::compose::service_target(host, service, s))
                }),
            };
            if let Some(t) = target {
                p.target = t;
            }
        } else if let Some(project) = project {
            p.target = project.compose.target_for_file(project, &p.anchor.file);
        }
    }
}
