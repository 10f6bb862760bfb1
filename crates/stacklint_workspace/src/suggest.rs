//! "Did you mean ...?" for misspelt keys and kind names (the shared implementation lives in
//! `stacklint_text`).

pub use stacklint_text::edit_distance;

/// The candidate closest to `word`, when it is close enough (see [`stacklint_text::closest`]).
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    stacklint_text::closest(word, candidates.iter().copied())
}
