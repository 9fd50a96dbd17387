//! Agreement between two partitions, for tests and benchmarks of the clustering.

use std::collections::HashMap;
use std::hash::Hash;

/// Adjusted Rand index (Hubert & Arabie 1985) between two labelings of the same items: 1 for
/// identical partitions (whatever the label names), about 0 for chance agreement, possibly
/// negative. Like scikit-learn, two partitions that are both all-in-one or both all-singletons
/// score 1.
///
/// # Panics
/// If the labelings differ in length.
pub fn adjusted_rand_index<A: Eq + Hash, B: Eq + Hash>(a: &[A], b: &[B]) -> f64 {
    assert_eq!(a.len(), b.len(), "labelings must cover the same items");
    let n = a.len() as f64;
    let mut cells: HashMap<(&A, &B), u64> = HashMap::new();
    let mut rows: HashMap<&A, u64> = HashMap::new();
    let mut cols: HashMap<&B, u64> = HashMap::new();
    for (x, y) in a.iter().zip(b) {
        *cells.entry((x, y)).or_default() += 1;
        *rows.entry(x).or_default() += 1;
        *cols.entry(y).or_default() += 1;
    }
    let pairs = |m: u64| (m as f64) * (m as f64 - 1.0) / 2.0;
    let index: f64 = cells.values().map(|&m| pairs(m)).sum();
    let sum_rows: f64 = rows.values().map(|&m| pairs(m)).sum();
    let sum_cols: f64 = cols.values().map(|&m| pairs(m)).sum();
    let total = n * (n - 1.0) / 2.0;
    if total == 0.0 {
        return 1.0;
    }
    let expected = sum_rows * sum_cols / total;
    let max = (sum_rows + sum_cols) / 2.0;
    if max == expected {
        // Both partitions are trivial in the same way; there is nothing to adjust for.
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_up_to_renaming() {
        assert_eq!(
            adjusted_rand_index(&[0, 0, 1, 1, 2], &["a", "a", "b", "b", "c"]),
            1.0
        );
    }

    #[test]
    fn matches_scikit_learn_examples() {
        // sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285715
        let v = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((v - 0.5714285714285715).abs() < 1e-12, "{v}");
        // adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) is symmetric.
        let w = adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1]);
        assert!((v - w).abs() < 1e-12);
        // adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) = -0.5
        let x = adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]);
        assert!((x + 0.5).abs() < 1e-12, "{x}");
    }

    #[test]
    fn degenerate_partitions() {
        assert_eq!(adjusted_rand_index::<u8, u8>(&[], &[]), 1.0);
        assert_eq!(adjusted_rand_index(&[1, 1, 1], &[2, 2, 2]), 1.0);
        assert_eq!(adjusted_rand_index(&[1, 2, 3], &[4, 5, 6]), 1.0);
    }
}
