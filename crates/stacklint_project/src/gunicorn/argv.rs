//! A gunicorn argv, read as gunicorn's argparse parser reads it.

use std::path::Path;

use stacklint_syntax::shell::Word;
use stacklint_text::TextRange;

use super::table::{FlagMatch, SettingInfo, ValueKind, table};
use super::{GunSetting, Layer, Origin, SettingValue, Span, SpannedStr, UnknownSetting, ValueSyntax, Written, parse_int};

/// What an argv says.
#[derive(Default, Debug)]
pub(crate) struct Argv {
    pub settings: Vec<GunSetting>,
    pub unknown: Vec<UnknownSetting>,
    /// Positional arguments (the first is the app).
    pub positionals: Vec<SpannedStr>,
    /// `--version`, `--help`, `--check-config`, `--print-config`: not a server.
    pub not_a_server: bool,
}

impl Argv {
    pub fn app(&self) -> Option<&SpannedStr> {
        self.positionals.first()
    }
}

fn looks_like_flag(w: &Word) -> bool {
    w.value.len() > 1 && w.value.starts_with('-') && !w.value.starts_with("-0") && w.value.chars().nth(1).is_some_and(|c| !c.is_ascii_digit())
}

/// Read `words` (the arguments after `gunicorn`) written in `file`, at precedence `layer`.
pub(crate) fn read_argv(file: &Path, words: &[Word], layer: Layer, syntax: ValueSyntax) -> Argv {
    let t = table();
    let mut out = Argv::default();
    let mut i = 0usize;
    let mut only_positionals = false;
    while let Some(w) = words.get(i) {
        i += 1;
        let v = w.value.as_str();
        if only_positionals || !looks_like_flag(w) {
            out.positionals.push(SpannedStr { value: v.to_owned(), span: Span { file: file.to_path_buf(), range: w.range } });
            continue;
        }
        if v == "--" {
            only_positionals = true;
            continue;
        }
        if let Some(long) = v.strip_prefix("--").map(|_| v) {
            let (flag, eq_value) = match long.split_once('=') {
                Some((f, _)) => (f, Some(f.len() + 1)),
                None => (long, None),
            };
            if matches!(flag, "--help" | "--version" | "--check-config" | "--print-config") {
                out.not_a_server = true;
            }
            match t.resolve_long_flag(flag) {
                FlagMatch::Exact(info) | FlagMatch::Abbreviation(info, _) => {
                    let written = |f: &str| if eq_value.is_some() { Written::LongFlagEq { flag: f.to_owned() } } else { Written::LongFlag { flag: f.to_owned() } };
                    take(&mut out, file, info, w, words, &mut i, eq_value, written(flag), layer, syntax);
                }
                FlagMatch::Ambiguous(candidates) => {
                    let suggestion = t.closest_flag(flag).map(str::to_owned);
                    skip_unknown_value(words, &mut i, eq_value.is_none(), suggestion.as_deref());
                    out.unknown.push(UnknownSetting { name: flag.to_owned(), span: Span { file: file.to_path_buf(), range: flag_range(w, flag.len()) }, range: w.range, suggestion, ambiguous: candidates.iter().map(|c| (*c).to_owned()).collect(), layer });
                }
                FlagMatch::Unknown => {
                    if matches!(flag, "--help" | "--version") {
                        continue;
                    }
                    let suggestion = t.closest_flag(flag).map(str::to_owned);
                    skip_unknown_value(words, &mut i, eq_value.is_none(), suggestion.as_deref());
                    out.unknown.push(UnknownSetting { name: flag.to_owned(), span: Span { file: file.to_path_buf(), range: flag_range(w, flag.len()) }, range: w.range, suggestion, ambiguous: Vec::new(), layer });
                }
            }
            continue;
        }
        // Short options, possibly clustered: `-w3`, `-Dw 3`, `-b:8000`.
        let mut pos = 1usize;
        while let Some(c) = v.get(pos..).and_then(|s| s.chars().next()) {
            let flag = format!("-{c}");
            let next_pos = pos + c.len_utf8();
            if c == 'v' || c == 'h' {
                out.not_a_server = true;
                break;
            }
            let Some(info) = t.by_flag(&flag) else {
                let suggestion = None;
                out.unknown.push(UnknownSetting { name: flag.clone(), span: Span { file: file.to_path_buf(), range: w.raw_range_of(pos - 1..next_pos).unwrap_or(w.range) }, range: w.range, suggestion, ambiguous: Vec::new(), layer });
                break;
            };
            if info.takes_value() {
                let attached = next_pos < v.len();
                let written = if attached { Written::ShortAttached { flag: flag.clone() } } else { Written::ShortFlag { flag: flag.clone() } };
                take(&mut out, file, info, w, words, &mut i, attached.then_some(next_pos), written, layer, syntax);
                break;
            }
            take(&mut out, file, info, w, words, &mut i, None, Written::SwitchFlag { flag: flag.clone() }, layer, syntax);
            pos = next_pos;
        }
    }
    out
}

fn flag_range(w: &Word, flag_len: usize) -> TextRange {
    w.raw_range_of(0..flag_len.min(w.value.len())).unwrap_or(w.range)
}

/// After an unknown flag: when the closest known flag takes a value and the next word
/// is not a flag, the next word is probably its value.
fn skip_unknown_value(words: &[Word], i: &mut usize, may_take_next: bool, suggestion: Option<&str>) {
    let takes = suggestion.and_then(|s| table().by_flag(s)).is_some_and(SettingInfo::takes_value);
    if may_take_next && takes && words.get(*i).is_some_and(|n| !looks_like_flag(n)) {
        *i += 1;
    }
}

/// Record a known flag. `attached`: the value starts at this byte of the word's value
/// (`--workers=3`, `-w3`); else a value-taking flag reads the next word.
#[allow(clippy::too_many_arguments)]
fn take(out: &mut Argv, file: &Path, info: &'static SettingInfo, w: &Word, words: &[Word], i: &mut usize, attached: Option<usize>, written: Written, layer: Layer, syntax: ValueSyntax) {
    let name_len = match &written {
        Written::LongFlag { flag } | Written::LongFlagEq { flag } | Written::ShortFlag { flag } | Written::ShortAttached { flag } | Written::SwitchFlag { flag } => flag.len(),
        _ => w.value.len(),
    };
    let name_range = if matches!(written, Written::SwitchFlag { .. } | Written::ShortFlag { .. } | Written::ShortAttached { .. }) && name_len < w.value.len() && !matches!(written, Written::ShortAttached { .. }) {
        w.range
    } else {
        flag_range(w, name_len)
    };
    if !info.takes_value() {
        let value = if info.action == "store_const" { SettingValue::Bool(info.constant == "True") } else { SettingValue::Bool(info.action != "store_false") };
        let origin = Origin { file: file.to_path_buf(), value_range: None, range: w.range, name_range, value_raw: String::new(), layer, written, syntax, conditional: false };
        out.settings.push(GunSetting { name: info.name, value, origin });
        return;
    }
    let (value_text, value_range, has_expansion, range, raw) = if let Some(start) = attached {
        let text = w.value.get(start..).unwrap_or("").to_owned();
        let vr = w.raw_range_of(start..w.value.len());
        let raw = text.clone();
        (text, vr, w.has_expansion, w.range, raw)
    } else if let Some(next) = words.get(*i) {
        *i += 1;
        let vr = next.value_range().or(if next.value.is_empty() { None } else { Some(next.range) });
        // A quoted value replaced whole: keep the quotes out of the edit when possible.
        (next.value.clone(), vr, next.has_expansion, w.range.cover(next.range), next.value.clone())
    } else {
        // `--workers` at the end: argparse stops with "expected one argument".
        out.unknown.push(UnknownSetting { name: w.value.clone(), span: Span { file: file.to_path_buf(), range: w.range }, range: w.range, suggestion: None, ambiguous: vec![format!("{} expects a value", w.value)], layer });
        return;
    };
    let value = word_value(info.value_kind(), &value_text, has_expansion);
    let origin = Origin { file: file.to_path_buf(), value_range, range, name_range, value_raw: raw, layer, written, syntax, conditional: false };
    out.settings.push(GunSetting { name: info.name, value, origin });
}

/// The value of a shell word for a setting of `kind`.
pub(crate) fn word_value(kind: ValueKind, text: &str, has_expansion: bool) -> SettingValue {
    if has_expansion {
        return expansion_value(kind, text);
    }
    match kind {
        ValueKind::Int => parse_int(text).map_or_else(|| SettingValue::Str(text.to_owned()), SettingValue::Int),
        _ => SettingValue::Str(text.to_owned()),
    }
}

/// `$X`, `${X}`, `${X:-4}`, `"${PORT:-8000}"`, `{{ template }}`: an env lookup, with a
/// default when written.
fn expansion_value(kind: ValueKind, text: &str) -> SettingValue {
    let t = text.trim();
    let inner = t.strip_prefix("${").and_then(|r| r.strip_suffix('}'));
    if let Some(inner) = inner {
        let name: String = inner.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let rest = inner.get(name.len()..).unwrap_or("");
        let default = rest.strip_prefix(":-").or_else(|| rest.strip_prefix('-')).or_else(|| rest.strip_prefix(":=")).or_else(|| rest.strip_prefix('=')).map(|d| Box::new(word_value(kind, d, d.contains('$'))));
        let whole = !name.is_empty() && (rest.is_empty() || default.is_some());
        if whole {
            return SettingValue::Env { var: Some(name), default, raw: text.to_owned() };
        }
    }
    if let Some(name) = t.strip_prefix('$')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return SettingValue::Env { var: Some(name.to_owned()), default: None, raw: text.to_owned() };
    }
    SettingValue::Env { var: None, default: None, raw: text.to_owned() }
}
