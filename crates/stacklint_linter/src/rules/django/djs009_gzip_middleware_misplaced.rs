use stacklint_diagnostics::{Fix, Severity};
use stacklint_python::Value;

use super::common::{checked, list_delete, list_insert, literal_items};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `GZipMiddleware` listed below middleware that may read or change the response
    /// body. Responses pass through `MIDDLEWARE` bottom-up, so everything listed above
    /// `GZipMiddleware` sees the compressed body. Django's own header-only middleware
    /// (security, sessions, CSRF, auth, messages, clickjacking, locale, common), WhiteNoise
    /// and CORS headers don't count; unknown (project) middleware does.
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
    ///     "myapp.middleware.RequestTimingMiddleware",
    ///     "django.middleware.gzip.GZipMiddleware",
    /// ]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = [
    ///     "django.middleware.security.SecurityMiddleware",
    ///     "django.middleware.gzip.GZipMiddleware",
    ///     "myapp.middleware.RequestTimingMiddleware",
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

/// Middleware known not to read or change response bodies (headers, cookies, redirects,
/// or answering requests themselves).
const BODY_SAFE: &[&str] = &[
    SECURITY,
    UPDATE_CACHE,
    "django.middleware.cache.FetchFromCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.auth.middleware.RemoteUserMiddleware",
    "django.contrib.auth.middleware.PersistentRemoteUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.contrib.sites.middleware.CurrentSiteMiddleware",
    "django.contrib.admindocs.middleware.XViewMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
];

fn check(cx: &mut Checker) {
    let project = cx.project();
    for m in checked(project) {
        let Some(list) = m.settings.list("MIDDLEWARE") else { continue };
        let names: Vec<Option<String>> = list.items.iter().map(|i| i.expr.unset_value().and_then(|v| if let Value::Str(s) = v { Some(s) } else { None })).collect();
        let Some(gzip) = names.iter().position(|n| n.as_deref() == Some(GZIP)) else { continue };
        // Only entries whose name was read: an entry that is not a string literal is not
        // named (nor judged).
        let above: Vec<&str> = names.iter().take(gzip).filter_map(|n| n.as_deref()).filter(|n| !BODY_SAFE.contains(n)).collect();
        if above.is_empty() {
            continue;
        }
        let Some(item) = list.items.get(gzip) else { continue };
        let shown = match above.as_slice() {
            [one] => format!("`{one}`"),
            [first, rest @ ..] => format!("`{first}` and {} more", rest.len()),
            [] => String::new(),
        };
        let message = format!(
            "`GZipMiddleware` is below {shown}, which then see the compressed body (responses pass through `MIDDLEWARE` bottom-up); Django's docs place it before any middleware that reads or changes the body. Compressing pages with secrets enables BREACH, and nginx `gzip` is usually the better place"
        );
        let mut d = cx.diagnostic(&item.expr.file, item.expr.range, message);
        if let Some(fix) = move_fix(&m, &list, gzip, &names) {
            d = d.with_fix(fix);
        }
        cx.report(d);
    }
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
