use stacklint_diagnostics::Severity;
use stacklint_python::{Outcome, Value};

use super::common::{outcome_location, production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a Channels `InMemoryChannelLayer` as the default channel layer of the
    /// production settings.
    ///
    /// ## Why is this bad?
    /// The in-memory layer lives inside one process: a message sent from one worker (or a
    /// Celery task, or a management command) never reaches consumers in another, so group
    /// broadcasts silently reach only some clients. Channels' docs: "never use it in
    /// production". Use `channels_redis`.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// CHANNEL_LAYERS = {
    ///     "default": {
    ///         "BACKEND": "channels_redis.core.RedisChannelLayer",
    ///         "CONFIG": {"hosts": ["redis://redis:6379/2"]},
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [Channels: in-memory channel layer](https://channels.readthedocs.io/en/latest/topics/channel_layers.html#in-memory-channel-layer)
    pub static RULE = {
        code: "DJS010",
        name: "in-memory-channel-layer",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    for m in production(project) {
        let res = m.settings.resolve(&["CHANNEL_LAYERS", "default", "BACKEND"]);
        let in_memory = |o: &Outcome<'_>| matches!(o, Outcome::Value { expr, .. } if matches!(expr.unset_value(), Some(Value::Str(b)) if b.ends_with("InMemoryChannelLayer")));
        if res.outcomes.is_empty() || !res.outcomes.iter().all(in_memory) {
            continue;
        }
        let Some(last) = res.outcomes.last() else { continue };
        let (file, range) = outcome_location(last);
        let d = cx.diagnostic(&file, range, "`InMemoryChannelLayer` lives inside one process: messages sent from one worker, a Celery task or a command never reach consumers in another, so group broadcasts reach only some clients; use `channels_redis.core.RedisChannelLayer`");
        cx.report(d);
    }
}
