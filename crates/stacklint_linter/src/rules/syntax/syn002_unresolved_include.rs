use stacklint_diagnostics::Severity;

use crate::rules::nginx::relative;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports an nginx `include` of a file (not a glob) that is nowhere in the project:
    /// relative names are looked up from the config root (the folder of the main
    /// `nginx.conf`) and the including file's folder, `/etc/nginx/...` through the
    /// compose volumes that mount the project's files there, else in the including
    /// file's folder. Files every nginx install ships (`mime.types`, `fastcgi_params`,
    /// `uwsgi_params`, ...) and absolute paths nothing maps into the project are not
    /// reported; a glob that matches nothing is valid nginx.
    ///
    /// ## Why is this bad?
    /// nginx refuses to start when an `include` without a glob names a missing file
    /// (`open() "/etc/nginx/snippets/proxy.conf" failed (2: No such file or directory)`),
    /// and every rule that looks through includes sees less than nginx would.
    ///
    /// ## Example
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     include snippets/proxy.conf;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     include snippets/proxy.conf;
    /// }
    /// ```
    ///
    /// ```nginx path=nginx/snippets/proxy.conf
    /// proxy_set_header Host $host;
    /// ```
    pub static RULE = {
        code: "SYN002",
        name: "unresolved-include",
        family: Family::Syntax,
        scope: Scope::File,
        severity: Severity::Error,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    for u in &model.unresolved {
        if u.is_glob || u.stock {
            continue;
        }
        let Some(looked_up) = &u.looked_up else { continue };
        let (Some(doc), Some(d)) = (model.doc(u.at.doc), model.node(project, u.at)) else { continue };
        let d = cx.diagnostic(&doc.file, doc.file_range(d.range), format!("`include {}` names no file of the project (looked for {}): nginx refuses to start on a missing include", u.pattern, relative(project, looked_up)));
        cx.report(d);
    }
}
