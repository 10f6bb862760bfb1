use stacklint_diagnostics::{Fix, Severity};
use stacklint_python::{ImportSpec, Value};

use super::common::{checked, list_delete, list_insert, literal_items};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `GZipMiddleware` listed below middleware known to read or change the response
    /// body. Responses pass through `MIDDLEWARE` bottom-up, so everything listed above
    /// `GZipMiddleware` gets the compressed body. Known to use the body: Django's
    /// `ConditionalGetMiddleware` (computes the ETag from it), the debug toolbar and
    /// django-browser-reload (insert HTML into it), and the HTML minifiers of django-pipeline,
    /// django-htmlmin and django-minify-html, whose docs all say to list them after
    /// `GZipMiddleware`; and project middleware whose class or function, in a project file,
    /// reads `response.content` or `response.streaming_content`. The project's own
    /// middleware whose module was not linted (its package is a folder of the project, the
    /// file is missing) may use the body and is reported as such. Middleware of a package,
    /// or a class that inherits its response handling, is not reported: most only touch
    /// headers.
    ///
    /// ## Why is this bad?
    /// Django's docs: place it "before any middleware that may change or use the response
    /// body", and `ConditionalGetMiddleware` and the debug toolbar after it. Middleware above
    /// it that rewrites or measures the body works on gzip bytes. The fix moves it to the
    /// top of the list (after `SecurityMiddleware` and `UpdateCacheMiddleware`). Also
    /// consider dropping it: compressing pages that reflect secrets next to user input
    /// enables the BREACH attack, and nginx `gzip` usually does the job without using
    /// worker time.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = [
    ///     "django.middleware.security.SecurityMiddleware",
    ///     "django.middleware.http.ConditionalGetMiddleware",
    ///     "django.middleware.gzip.GZipMiddleware",
    /// ]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = [
    ///     "django.middleware.security.SecurityMiddleware",
    ///     "django.middleware.gzip.GZipMiddleware",
    ///     "django.middleware.http.ConditionalGetMiddleware",
    /// ]
    /// ```
    ///
    /// ## References
    /// - [Django: middleware ordering](https://docs.djangoproject.com/en/5.2/ref/middleware/#middleware-ordering)
    /// - [Django: GZipMiddleware](https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.gzip)
    /// - [BREACH](https://www.breachattack.com/)
    pub static RULE = {
        code: "DJS009",
        name: "gzip-middleware-misplaced",
        family: Family::DjangoSettings,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

const GZIP: &str = "django.middleware.gzip.GZipMiddleware";
const SECURITY: &str = "django.middleware.security.SecurityMiddleware";
const UPDATE_CACHE: &str = "django.middleware.cache.UpdateCacheMiddleware";

/// Middleware documented to read or change the response body, and how.
const BODY_USERS: &[(&str, &str)] = &[
    ("django.middleware.http.ConditionalGetMiddleware", "computes the ETag from the body"),
    ("debug_toolbar.middleware.DebugToolbarMiddleware", "inserts the toolbar into the HTML"),
    ("django_browser_reload.middleware.BrowserReloadMiddleware", "inserts its script into the HTML"),
    ("pipeline.middleware.MinifyHTMLMiddleware", "minifies the HTML"),
    ("htmlmin.middleware.HtmlMinifyMiddleware", "minifies the HTML"),
    ("django_minify_html.middleware.MinifyHtmlMiddleware", "minifies the HTML"),
];

/// The response attributes that hold the body.
const BODY_ATTRS: &[&str] = &["content", "streaming_content"];

fn check(cx: &mut Checker) {
    let project = cx.project();
    for m in checked(project) {
        let Some(list) = m.settings.list("MIDDLEWARE") else { continue };
        let names: Vec<Option<String>> = list.items.iter().map(|i| i.expr.unset_value().and_then(|v| if let Value::Str(s) = v { Some(s) } else { None })).collect();
        let Some(gzip) = names.iter().position(|n| n.as_deref() == Some(GZIP)) else { continue };
        // Only entries whose name was read and that are known to use the body.
        let above: Vec<(&str, String)> = names.iter().take(gzip).filter_map(|n| n.as_deref()).filter_map(|n| body_use(&m, n).map(|why| (n, why))).collect();
        let Some((first, why)) = above.first() else { continue };
        let Some(item) = list.items.get(gzip) else { continue };
        let more = match above.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let message = format!(
            "`GZipMiddleware` is below `{first}` ({why}){more}: responses pass through `MIDDLEWARE` bottom-up, so it gets the compressed body; Django's docs place `GZipMiddleware` before any middleware that reads or changes the body. Compressing pages with secrets enables BREACH, and nginx `gzip` is usually the better place"
        );
        let mut d = cx.diagnostic(&item.expr.file, item.expr.range, message);
        if let Some(fix) = move_fix(&m, &list, gzip, &names) {
            d = d.with_fix(fix);
        }
        cx.report(d);
    }
}

/// How the middleware `dotted` uses the response body, when that is known: a documented
/// middleware, or a project class/function (found through the settings module's import
/// paths) that reads `response.content`. `None` for anything else.
fn body_use(m: &super::common::Module<'_>, dotted: &str) -> Option<String> {
    if let Some((_, why)) = BODY_USERS.iter().find(|(name, _)| *name == dotted) {
        return Some((*why).to_owned());
    }
    let (module, class) = dotted.rsplit_once('.')?;
    let spec = ImportSpec::absolute(module);
    let project = m.project;
    let found = spec.candidates(&m.evaluated.path, Some(&project.root)).into_iter().find_map(|c| {
        let f = project.file(&c)?;
        Some((f, f.python()?))
    });
    let Some((file, py)) = found else {
        // The project's own middleware (its package is a folder of the project) whose
        // code was not linted: it may use the body, and nothing says it does not.
        let package = module.split('.').next().unwrap_or(module);
        let own = project.files.iter().any(|f| f.path.strip_prefix(&project.root).ok().and_then(|r| r.components().next()).is_some_and(|c| c.as_os_str() == package) && f.kind.is_python());
        return own.then(|| format!("the project's own middleware; `{module}` was not linted, so it may read or change the body"));
    };
    let (range, attr) = py.definition_attribute_use(class, BODY_ATTRS)?;
    let line = file.row(range.start());
    let rel = file.path.strip_prefix(&project.root).unwrap_or(&file.path);
    Some(format!("reads `.{attr}` in {}:{line}", rel.display()))
}

/// Move the gzip element to just after the leading `SecurityMiddleware` /
/// `UpdateCacheMiddleware` (Django's docs: after `UpdateCacheMiddleware`), when the list is
/// one literal.
fn move_fix(m: &super::common::Module<'_>, list: &stacklint_python::ListView<'_>, gzip: usize, names: &[Option<String>]) -> Option<Fix> {
    let base = &list.base.value;
    let items = literal_items(base)?;
    if list.base.is_conditional() || items.len() != list.items.len() || list.items.iter().any(|i| !std::ptr::eq(i.binding, list.base)) {
        return None;
    }
    let mut target = 0;
    for (i, n) in names.iter().enumerate() {
        match n.as_deref() {
            Some(UPDATE_CACHE) => target = i + 1,
            Some(SECURITY) if i == target => target = i + 1,
            _ => {}
        }
    }
    if target >= gzip {
        return None;
    }
    let file = m.project.file(&base.file)?;
    let item = items.get(gzip)?;
    let text = file.text.get(item.range.as_range())?;
    let insert = list_insert(m.project, base, target, text)?;
    let delete = list_delete(m.project, base, gzip)?;
    Some(Fix::safe("Move `GZipMiddleware` to the top of `MIDDLEWARE`", vec![insert, delete]))
}
