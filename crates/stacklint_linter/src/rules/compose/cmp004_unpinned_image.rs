use std::collections::HashSet;

use stacklint_diagnostics::Severity;
use stacklint_project::Project;
use stacklint_project::compose::ComposeService;

use super::common::{ImageRef, dev_reason, image_of, reportable};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a compose `image:` without a tag, or with the tag `latest`.
    ///
    /// An image pinned by digest (`postgres@sha256:...`), the `image:` of a service that
    /// also has `build:` (there it names the image compose builds, nothing is pulled), an
    /// image the project builds itself elsewhere (a service of the same name, or with the
    /// same image, has `build:` in another compose file: its tag follows the checkout), a
    /// local image name (`myapp_web`: no namespace, and an underscore, which no Docker
    /// Hub official image has: a name `docker build -t` gave),
    /// images in development, test and CI compose files (see CMP001: a developer's tools
    /// follow `latest` on purpose), and
    /// an image given by a variable `.env` does not set (`${APP_IMAGE}`) are not reported;
    /// a variable `.env` sets is read with its value.
    ///
    /// ## Why is this bad?
    /// Without a tag compose pulls `:latest`, which the publisher moves with every
    /// release. `docker compose pull` or a new host then silently gets a new major version:
    /// `postgres:latest` moved from 16 to 17 (and a PostgreSQL data directory does not
    /// start under a new major version without `pg_upgrade`), `redis:latest` from 7 to 8.
    /// Two hosts deployed from the same commit can run different versions. A tag such as
    /// `postgres:16` fixes the major version; a digest fixes the bytes.
    ///
    /// ## Example
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   db:
    ///     image: postgres
    /// ```
    ///
    /// ## Use instead
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   db:
    ///     image: postgres:16
    /// ```
    ///
    /// ## References
    /// - [Compose file reference: image](https://docs.docker.com/reference/compose-file/services/#image)
    /// - [Docker: image tags and digests](https://docs.docker.com/reference/cli/docker/image/pull/#pull-an-image-by-digest-immutable-identifier)
    /// - [PostgreSQL: upgrading a cluster](https://www.postgresql.org/docs/current/upgrading.html)
    pub static RULE = {
        code: "CMP004",
        name: "unpinned-image",
        family: Family::Compose,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

/// Whether the project builds this image itself: a service of the same name has `build:`
/// in another compose file (`docker-compose.build.yml` over a `docker-compose.yml` that
/// pulls the project's published image), or another service that the project builds that
/// way runs the same image. Its tag follows the project's own releases and checkout.
fn built_by_project(project: &Project, cs: &ComposeService, name: &str) -> bool {
    let services = &project.compose.services;
    let built = |o: &ComposeService| o.merged.build.is_some() || services.iter().any(|b| b.name == o.name && b.merged.build.is_some());
    built(cs) || services.iter().any(|o| built(o) && image_of(o).is_some_and(|i| ImageRef::parse(&i).name == name))
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = HashSet::new();
    for cs in &project.compose.services {
        let Some(written) = &cs.merged.image else { continue };
        if cs.merged.build.is_some() || !reportable(project, &written.file) || dev_reason(project, &written.file).is_some() {
            continue;
        }
        let Some(image) = image_of(cs) else { continue };
        if image.contains("{{") || image.contains("{%") || image.is_empty() {
            continue;
        }
        let r = ImageRef::parse(&image);
        // `app_web`: no registry, no namespace, and a name no Docker Hub official image
        // has (they use hyphens): a tag `docker build -t` gave a local image.
        let local = !r.name.contains('/') && r.name.contains('_');
        if r.digest.is_some() || local || built_by_project(project, cs, r.name) {
            continue;
        }
        let shown = if image == written.value.value.value { format!("`{image}`") } else { format!("`{}` (`{image}`)", written.value.value.value) };
        let message = match r.tag {
            None => format!("`{}` image {shown} has no tag, so compose pulls `{}:latest`, which moves with every upstream release: a new host or `docker compose pull` gets a new major version", cs.name, r.name),
            Some("latest") => format!("`{}` image {shown} follows `latest`, which moves with every upstream release: a new host or `docker compose pull` gets a new major version", cs.name),
            Some(_) => continue,
        };
        if !seen.insert((written.file.clone(), written.value.value.range)) {
            continue;
        }
        let d = cx.diagnostic(&written.file, written.value.value.range, message).with_help("Pin a version tag (e.g. `postgres:16`) or a digest (`@sha256:...`)");
        cx.report(d);
    }
}
