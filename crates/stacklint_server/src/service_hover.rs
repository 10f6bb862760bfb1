//! Hover on an app service — the line that defines it (a compose `web:`, a Procfile entry)
//! or the command that runs it — shows what `stacklint capacity` says of it: its limits
//! with their arithmetic and the one that binds first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use stacklint_capacity::{analyze, service_markdown};
use stacklint_diagnostics::TextRange;
use stacklint_workspace::{build_models_with, capacity_inputs, find_config};

use crate::lint::LintInput;

/// The capacity of the service defined or run at `offset` of `path`, as markdown, with the
/// line it describes.
pub fn service_hover(input: &LintInput, path: &Path, offset: usize) -> Option<(String, TextRange)> {
    let texts: HashMap<PathBuf, String> = input.buffers.iter().cloned().collect();
    let models = build_models_with(&input.roots, None, &input.overrides, &texts).ok()?;
    for p in &models.projects {
        let Some(file) = p.file(path) else { continue };
        // The line of the definition, or the command's whole range.
        let line = |at: usize| file.line_index.line_range(file.line_index.line_of(at), &file.text);
        let hit = p.deployment.services.iter().find_map(|s| {
            if s.defined_in.file == path
                && let Some(r) = s.defined_in.range.map(|r| line(r.start()))
                && r.start() <= offset
                && offset <= r.end()
            {
                return Some((s, r));
            }
            let c = s.command.as_ref()?;
            let r = c.origin.range.filter(|r| c.origin.file == path && r.start() <= offset && offset <= r.end())?;
            Some((s, r))
        });
        let Some((service, range)) = hit else { continue };
        let config = find_config(&p.root).ok().flatten();
        let report = analyze(p, &capacity_inputs(config.as_ref()));
        let capacity = report.services.iter().find(|c| c.service == service.name)?;
        let mut markdown = service_markdown(&report, capacity);
        markdown.push_str("_`stacklint capacity` shows the inputs this assumes (time and CPU per request, think time) and what the fixes buy._\n");
        return Some((markdown, range));
    }
    None
}
