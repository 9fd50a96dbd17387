//! Split-merge refinement of a k-means result. Lloyd's iterations stop in a local optimum when
//! two topics share one cluster while a third topic is split over two: no single document move
//! helps. The move that does is to merge the two halves and split the shared cluster. For
//! spherical k-means the objective at fixed labels is the sum of the lengths of the cluster
//! sums, Σ‖S_c‖, so both sides of the move are exact: merging i and j loses
//! ‖S_i‖ + ‖S_j‖ − ‖S_i + S_j‖, splitting c into A and B (by 2-means inside c) gains
//! ‖S_A‖ + ‖S_B‖ − ‖S_c‖. The best move is made when it gains, Lloyd's iterations run again,
//! and so on until no move gains; each move raises the objective, so this ends.

use super::cluster::{Columns, Problem, Run};
use super::rng::SplitMix64;

/// 2-means iterations inside each cluster; two well-separated topics part in two or three.
const BISECT_ITERATIONS: usize = 8;

/// A move must gain at least this fraction of the objective, so rounding never loops.
const MIN_GAIN: f64 = 1e-6;

impl Problem<'_> {
    /// Refines `run` (with `k` free clusters) by split-merge moves among the free clusters;
    /// analyst themes are never split or merged.
    pub(super) fn refine(
        &self,
        mut run: Run,
        k: usize,
        max_iter: usize,
        rng: &mut SplitMix64,
    ) -> Run {
        // A move needs a cluster to split and two others to merge.
        if k < 3 || self.free_rows.len() < 4 {
            return run;
        }
        let k_total = self.n_anchors + k;
        let base = self.anchor_sums(k_total);
        for _ in 0..2 * k {
            let (sums, sizes) = self.sums(&base, &run.labels, k_total);
            let Some((split, (keep, merge), side)) = self.best_move(&run, &sums, &sizes, rng)
            else {
                break;
            };
            let mut labels = run.labels.clone();
            for (i, l) in labels.iter_mut().enumerate() {
                if *l == merge {
                    *l = keep;
                } else if *l == split && side[i] {
                    *l = merge;
                }
            }
            let sims = vec![0f32; labels.len()];
            let centroids = self.update(&base, &labels, &sims, k_total);
            let next = self.lloyd(&base, centroids, max_iter);
            if next.objective <= run.objective {
                break;
            }
            run = next;
        }
        run
    }

    /// The split of one free cluster and merge of two others that gains most, if any gains:
    /// `(split, (keep, merge), side)` where `side[i]` puts free row `i` of the split cluster in
    /// its second half, which takes the merged cluster's place.
    #[allow(clippy::type_complexity)]
    fn best_move(
        &self,
        run: &Run,
        sums: &Columns,
        sizes: &[usize],
        rng: &mut SplitMix64,
    ) -> Option<(usize, (usize, usize), Vec<bool>)> {
        let free = self.n_anchors..sums.k;
        let norms = sums.norms();
        let (side, halves) = self.bisect(&run.labels, sizes, rng);
        let half_norms = halves.norms();
        let gain: Vec<f64> = (0..sums.k)
            .map(|c| {
                if !free.contains(&c) || sizes[c] < 2 {
                    f64::NEG_INFINITY
                } else {
                    (half_norms[2 * c] + half_norms[2 * c + 1] - norms[c]) as f64
                }
            })
            .collect();
        let gram = sums.gram();
        let mut best: Option<(f64, usize, usize, usize)> = None;
        for i in free.clone() {
            for j in i + 1..free.end {
                let (ni, nj) = (norms[i] as f64, norms[j] as f64);
                let merged = (ni * ni + nj * nj + 2.0 * gram[i * sums.k + j])
                    .max(0.0)
                    .sqrt();
                let loss = ni + nj - merged;
                for c in free.clone() {
                    if c == i || c == j {
                        continue;
                    }
                    let net = gain[c] - loss;
                    if best.is_none_or(|b| net > b.0) {
                        best = Some((net, c, i, j));
                    }
                }
            }
        }
        let (net, c, i, j) = best?;
        (net > MIN_GAIN * run.objective.max(1.0)).then_some((c, (i, j), side))
    }

    /// 2-means inside every free cluster at once: seeds are a random member and a member drawn
    /// with probability proportional to its cosine distance from the first (k-means++), then a
    /// few iterations. Returns each free row's half and the halves' sums (column `2c` and
    /// `2c + 1` for cluster `c`).
    fn bisect(
        &self,
        labels: &[usize],
        sizes: &[usize],
        rng: &mut SplitMix64,
    ) -> (Vec<bool>, Columns) {
        let m = self.m;
        let k = sizes.len();
        let d = m.n_features();
        let free_col = |c: usize| c >= self.n_anchors;
        // First seeds: one member per cluster, uniformly (reservoir sampling).
        let mut first = vec![usize::MAX; k];
        let mut seen = vec![0usize; k];
        for (i, &c) in labels.iter().enumerate() {
            seen[c] += 1;
            if rng.below(seen[c]) == 0 {
                first[c] = i;
            }
        }
        let mut seeds = Columns::zeros(d, 2 * k);
        for c in (0..k).filter(|&c| free_col(c) && first[c] != usize::MAX) {
            seeds.add_row(m, self.free_rows[first[c]], 2 * c);
        }
        // Second seeds: weighted reservoir sampling by distance from the first.
        let mut second = first.clone();
        let mut weight = vec![0f64; k];
        for (i, &c) in labels.iter().enumerate() {
            if !free_col(c) {
                continue;
            }
            let dist = (1.0 - seeds.dot(m, self.free_rows[i], 2 * c) as f64).max(0.0);
            weight[c] += dist;
            if dist > 0.0 && rng.next_f64() * weight[c] < dist {
                second[c] = i;
            }
        }
        for c in (0..k).filter(|&c| free_col(c) && second[c] != usize::MAX) {
            seeds.add_row(m, self.free_rows[second[c]], 2 * c + 1);
        }
        let mut side = vec![false; labels.len()];
        let mut halves = seeds;
        for round in 0..=BISECT_ITERATIONS {
            let last = round == BISECT_ITERATIONS;
            let mut next = Columns::zeros(d, 2 * k);
            let mut counts = vec![0usize; 2 * k];
            for (i, &c) in labels.iter().enumerate() {
                if !free_col(c) {
                    continue;
                }
                let row = self.free_rows[i];
                let b = halves.dot(m, row, 2 * c + 1) > halves.dot(m, row, 2 * c);
                side[i] = b;
                let col = 2 * c + b as usize;
                next.add_row(m, row, col);
                counts[col] += 1;
            }
            if last {
                // The halves' plain sums, from which the gain of each split is read.
                return (side, next);
            }
            // A half that lost every member keeps its seed, so the other half cannot swallow
            // the cluster by accident.
            let previous = halves;
            halves = next;
            halves.keep_empty_from(&previous, &counts);
            halves.normalize();
        }
        unreachable!("the last round returns")
    }
}

#[cfg(test)]
mod tests {
    use super::super::cluster::{
        ClusterOptions, KChoice, PinnedThemes, Tfidf, TfidfOptions, cluster_matrix,
    };
    use super::super::metrics::adjusted_rand_index;
    use super::super::text::{Corpus, Language, Tokenizer};
    use super::*;

    /// Six topics of made-up words, each question three of its topic's words and one shared
    /// word.
    fn topics() -> (Corpus, Vec<usize>) {
        let words: Vec<Vec<String>> = (0..6)
            .map(|t| (0..8).map(|w| format!("ord{t}x{w}")).collect())
            .collect();
        let mut rng = SplitMix64::new(3);
        let mut texts = Vec::new();
        let mut truth = Vec::new();
        for i in 0..600 {
            let t = i % 6;
            let pick = |rng: &mut SplitMix64| words[t][rng.below(8)].clone();
            texts.push(format!(
                "{} {} {} fælles{}",
                pick(&mut rng),
                pick(&mut rng),
                pick(&mut rng),
                rng.below(3)
            ));
            truth.push(t);
        }
        let tok = Tokenizer::for_language(Language::Da, false);
        (Corpus::from_texts(&tok, &texts), truth)
    }

    #[test]
    fn a_merge_and_a_split_are_undone() {
        let (corpus, truth) = topics();
        let m = Tfidf::fit(&corpus, &TfidfOptions::default());
        let rows: Vec<usize> = (0..m.n_docs()).collect();
        let problem = Problem {
            m: &m,
            free_rows: &rows,
            anchors: &[],
            n_anchors: 0,
            open: false,
        };
        // A local optimum by hand: topics 0 and 1 share cluster 0, topic 2 is split over
        // clusters 1 and 2 (by parity of the question), the others have one cluster each.
        let labels: Vec<usize> = rows
            .iter()
            .map(|&i| match truth[i] {
                0 | 1 => 0,
                2 => 1 + (i / 6) % 2,
                t => t,
            })
            .collect();
        let base = problem.anchor_sums(6);
        let sims = vec![0f32; rows.len()];
        let centroids = problem.update(&base, &labels, &sims, 6);
        let stuck = problem.lloyd(&base, centroids, 100);
        assert!(
            adjusted_rand_index(&stuck.labels, &truth) < 0.9,
            "Lloyd alone stays stuck"
        );
        let mut rng = SplitMix64::new(1);
        let refined = problem.refine(stuck.clone(), 6, 100, &mut rng);
        assert!(refined.objective > stuck.objective);
        assert_eq!(adjusted_rand_index(&refined.labels, &truth), 1.0);
    }

    #[test]
    fn restarts_on_a_sample_then_all_rows_find_the_topics_deterministically() {
        let (corpus, truth) = topics();
        let options = ClusterOptions {
            k: KChoice::Fixed(6),
            seed: 9,
            sample_rows: 100,
            ..ClusterOptions::default()
        };
        let a = super::super::cluster::cluster(&corpus, &options);
        let b = super::super::cluster::cluster(&corpus, &options);
        assert_eq!(a, b);
        assert_eq!(adjusted_rand_index(&a.assignment, &truth), 1.0);
        assert_eq!(a.assignment.iter().flatten().count(), 600);
    }

    #[test]
    fn refinement_keeps_analyst_themes_whole() {
        let (corpus, truth) = topics();
        let m = Tfidf::fit(&corpus, &TfidfOptions::default());
        // Two questions of topic 0 and two of topic 1 are pinned to the same theme.
        let pinned = [(0, 7), (6, 7), (1, 7), (7, 7)];
        let r = cluster_matrix(
            &corpus,
            &m,
            &pinned,
            PinnedThemes::Closed,
            &ClusterOptions {
                k: KChoice::Fixed(6),
                seed: 4,
                ..ClusterOptions::default()
            },
        );
        assert_eq!(r.clusters[0].theme, Some(7));
        assert_eq!(r.clusters[0].members, [0, 1, 6, 7]);
        let free: Vec<usize> = (0..600).filter(|d| ![0, 1, 6, 7].contains(d)).collect();
        let got: Vec<Option<usize>> = free.iter().map(|&d| r.assignment[d]).collect();
        let want: Vec<usize> = free.iter().map(|&d| truth[d]).collect();
        assert_eq!(adjusted_rand_index(&got, &want), 1.0);
    }
}
