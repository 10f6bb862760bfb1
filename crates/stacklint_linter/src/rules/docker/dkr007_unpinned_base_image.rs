use stacklint_diagnostics::Severity;

use super::common::{is_unrendered, parents};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `FROM` whose image has no tag or the tag `latest`.
    ///
    /// `scratch`, a previous stage (`FROM builder`), an image pinned by digest
    /// (`python@sha256:...`) and an image given by a build argument (`FROM ${BASE}`) are
    /// not reported.
    ///
    /// ## Why is this bad?
    /// Without a tag Docker pulls `:latest`, which the publisher moves with every
    /// release: the next build silently gets a new version of the runtime and of the
    /// operating system (`python:latest` moves to each new Python 3.x release and to each
    /// new Debian release), and two builds of the same commit can differ. A tag such as
    /// `python:3.12-slim-bookworm` fixes the major versions; a digest fixes the bytes.
    ///
    /// ## Example
    /// ```dockerfile path=Dockerfile
    /// FROM python
    /// CMD ["python", "-m", "app"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim-bookworm
    /// CMD ["python", "-m", "app"]
    /// ```
    ///
    /// ## References
    /// - [Docker: best practices, pin base image versions](https://docs.docker.com/build/building/best-practices/#pin-base-image-versions)
    /// - [Dockerfile reference: FROM](https://docs.docker.com/reference/dockerfile/#from)
    pub static RULE = {
        code: "DKR007",
        name: "unpinned-base-image",
        family: Family::Dockerfile,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    for file in cx.files() {
        let Some(df) = file.dockerfile() else { continue };
        let stages = df.stages();
        let parents = parents(&stages);
        for (index, stage) in stages.iter().enumerate() {
            let Some(image) = stage.image() else { continue };
            if image.digest.is_some() || is_unrendered(&image.word.raw) || image.name.raw.eq_ignore_ascii_case("scratch") || parents.get(index).copied().flatten().is_some() {
                continue;
            }
            let message = match &image.tag {
                None => format!("`FROM {}` has no tag, so it means `{}:latest`, which moves with every upstream release: rebuilds of the same commit get new major versions of the runtime and the OS", image.word.raw, image.name.raw),
                Some(tag) if tag.raw == "latest" => format!("`FROM {}` follows `latest`, which moves with every upstream release: rebuilds of the same commit get new major versions of the runtime and the OS", image.word.raw),
                Some(_) => continue,
            };
            let d = cx.diagnostic(&file.path, image.word.range, message).with_help("Pin a version tag (e.g. `python:3.12-slim-bookworm`) or a digest (`@sha256:...`)");
            cx.report(d);
        }
    }
}
