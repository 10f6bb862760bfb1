//! "Did you mean ...?" for misspelt keys and kind names.

/// The candidate closest to `word`, when it is close enough to be what the user meant.
///
/// `extend_select` finds `extend-select` and `Select` finds `select` (case and `_`/`-` do not
/// count); otherwise the optimal-string-alignment distance (a swap of two neighbours counts
/// once) must be at most a third of the candidate's length, and at least 1 is always allowed.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let normalize = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    let norm = normalize(word);
    if let Some(exact) = candidates.iter().find(|c| normalize(c) == norm) {
        return Some(exact);
    }
    candidates
        .iter()
        .map(|c| (edit_distance(&norm, c), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for transpositions), previous, current.
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("selct", "select"), 1);
        assert_eq!(edit_distance("memroy", "memory"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions() {
        let keys = ["select", "ignore", "extend-select", "exclude", "target"];
        assert_eq!(closest("selct", &keys), Some("select"));
        assert_eq!(closest("extend_select", &keys), Some("extend-select"));
        assert_eq!(closest("Ignore", &keys), Some("ignore"));
        assert_eq!(closest("excludes", &keys), Some("exclude"));
        assert_eq!(closest("workers", &keys), None);
        assert_eq!(closest("cpu", &["cpus", "memory", "storage"]), Some("cpus"));
    }
}
