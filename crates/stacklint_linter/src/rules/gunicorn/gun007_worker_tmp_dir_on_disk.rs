use stacklint_diagnostics::{Fix, Severity};

use super::{Seen, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a gunicorn server that runs in a container (the project has a Dockerfile or
    /// compose file) without `worker_tmp_dir` on a memory file system (`/dev/shm`).
    /// When the command reads a config file (`-c`, or `./gunicorn.conf.py`), the finding
    /// is reported in that file, where the fix adds the setting, with the command line as
    /// the related location.
    ///
    /// ## Why is this bad?
    /// Each worker signals it is alive by changing the metadata of a temporary file
    /// (`worker_tmp_dir`, default: the system temp dir). In a container that directory
    /// sits on the overlay file system, often on a disk shared by every container of the
    /// host; when that disk is slow the `fchmod` blocks the worker, the arbiter misses its
    /// heartbeat and kills it after `timeout` seconds. gunicorn's FAQ recommends
    /// `--worker-tmp-dir /dev/shm`, a `tmpfs` in every Docker container.
    ///
    /// ## Example
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// CMD ["gunicorn", "app.wsgi"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// CMD ["gunicorn", "app.wsgi", "--worker-tmp-dir", "/dev/shm"]
    /// ```
    ///
    /// ## References
    /// - [gunicorn FAQ: How do I avoid Gunicorn excessively blocking in os.fchmod?](https://docs.gunicorn.org/en/stable/faq.html#how-do-i-avoid-gunicorn-excessively-blocking-in-os-fchmod)
    /// - [gunicorn: worker_tmp_dir](https://docs.gunicorn.org/en/stable/settings.html#worker-tmp-dir)
    pub static RULE = {
        code: "GUN007",
        name: "worker-tmp-dir-on-disk",
        family: Family::Gunicorn,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

/// Directories on a memory file system in every container.
fn in_memory(dir: &str) -> bool {
    let d = dir.trim().trim_end_matches('/');
    d == "/dev/shm" || d.starts_with("/dev/shm/") || d == "/run" || d.starts_with("/run/")
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for p in project.gunicorn.iter().filter(|p| p.in_container) {
        match p.get("worker_tmp_dir") {
            None => {
                // Reported where the fix adds it (the config file the command reads).
                let (site, command) = p.missing_setting_site();
                if !seen.first(&site.file, site.range) {
                    continue;
                }
                let edits = p.insert_settings(&[("worker_tmp_dir", "/dev/shm")]);
                let mut d = cx.diagnostic(&site.file, site.range, "no `worker_tmp_dir` in a container: the workers' heartbeat file is on the overlay file system, where a slow disk blocks workers until the arbiter kills them; use `/dev/shm`");
                if let Some(c) = command {
                    d = d.with_related(&c.file, c.range, "the command that reads this config file");
                }
                if !edits.is_empty() {
                    d = d.with_fix(Fix::safe("Set `worker_tmp_dir` to `/dev/shm`", edits));
                }
                cx.report(d);
            }
            Some(s) => {
                let Some(dir) = s.value.as_str() else { continue };
                if in_memory(dir) || !seen.first(&s.origin.file, s.origin.range) {
                    continue;
                }
                let message = format!("{} in a container: the workers' heartbeat file is on disk, where a slow disk blocks workers until the arbiter kills them; use `/dev/shm`", written(project, s, &s.origin.file));
                let mut d = cx.diagnostic(&s.origin.file, s.origin.range, message);
                if let Some(edit) = s.replace_value("/dev/shm") {
                    d = d.with_fix(Fix::safe("Set `worker_tmp_dir` to `/dev/shm`", vec![edit]));
                }
                cx.report(d);
            }
        }
    }
}
