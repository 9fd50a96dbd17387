//! Tests of clustering and assisted theming on the Danish fixture relay.

use super::cluster::*;
use super::fixtures;
use super::metrics::adjusted_rand_index;
use super::suggest::*;
use super::text::{Corpus, Language, Tokenizer};

fn fixture_corpus() -> Corpus {
    Corpus::from_texts(
        &Tokenizer::for_language(Language::Da, true),
        &fixtures::texts(),
    )
}

fn truth() -> Vec<Option<usize>> {
    let topics = fixtures::topics();
    assert!(topics.iter().all(|&t| t < fixtures::TOPICS.len()));
    topics.into_iter().map(Some).collect()
}

fn fixed(k: usize, seed: u64) -> ClusterOptions {
    ClusterOptions {
        k: KChoice::Fixed(k),
        seed,
        ..ClusterOptions::default()
    }
}

/// The first `per_topic` questions of each topic, placed in theme `100 + topic`.
fn placed(per_topic: usize) -> Vec<(usize, ThemeId)> {
    let mut seen = [0usize; 5];
    let mut out = Vec::new();
    for (d, t) in fixtures::topics().into_iter().enumerate() {
        if seen[t] < per_topic {
            seen[t] += 1;
            out.push((d, 100 + t as ThemeId));
        }
    }
    out
}

#[test]
fn clustering_recovers_the_fixture_topics() {
    let corpus = fixture_corpus();
    let aris: Vec<f64> = (0..10)
        .map(|seed| adjusted_rand_index(&cluster(&corpus, &fixed(5, seed)).assignment, &truth()))
        .collect();
    let mean = aris.iter().sum::<f64>() / aris.len() as f64;
    let min = aris.iter().copied().fold(f64::INFINITY, f64::min);
    eprintln!("ARI over seeds 0..10: {aris:.3?}, mean {mean:.3}, min {min:.3}");
    // Measured: mean 0.69, min 0.61 with split-merge refinement; 0.62 and 0.53 without it
    // (scikit-learn TF-IDF + KMeans(n_init=4) on the same tokens: mean 0.51).
    assert!(mean >= 0.66, "mean ARI {mean}");
    assert!(min >= 0.58, "min ARI {min}");
}

#[test]
fn clusters_are_described() {
    let corpus = fixture_corpus();
    let c = cluster(&corpus, &fixed(5, 7));
    assert_eq!(c.k, 5);
    assert_eq!(c.clusters.len(), 5);
    // "Hvordan påvirker de årlige budgetforhandlinger og budgetkrav din mulighed for at
    // planlægge?" keeps only words no other question uses, which min_df prunes, so it has no
    // direction to cluster by.
    eprintln!("unassigned: {:?}", c.unassigned);
    assert!(c.unassigned.len() <= 1);
    let sizes: Vec<usize> = c.clusters.iter().map(|x| x.members.len()).collect();
    assert_eq!(
        sizes.iter().sum::<usize>() + c.unassigned.len(),
        corpus.len()
    );
    assert!(c.unassigned.iter().all(|&d| c.assignment[d].is_none()));
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {sizes:?}"
    );
    for (i, cl) in c.clusters.iter().enumerate() {
        assert_eq!(cl.theme, None);
        assert!(cl.pinned.is_empty());
        assert_eq!(cl.label_words.len(), 5);
        assert_eq!(cl.representatives.len(), 3);
        assert!(cl.representatives.iter().all(|r| cl.members.contains(r)));
        assert!(cl.members.iter().all(|&m| c.assignment[m] == Some(i)));
        assert!(cl.cohesion > 0.0 && cl.cohesion <= 1.0 + 1e-6);
    }
    // Some cluster is labelled by the cooperation topic's core words, shown unstemmed.
    assert!(
        c.clusters
            .iter()
            .any(|cl| cl.label_words.iter().any(|w| w == "samarbejde")),
        "{:?}",
        c.clusters
            .iter()
            .map(|x| &x.label_words)
            .collect::<Vec<_>>()
    );
    assert!(c.silhouette.expect("five clusters") > 0.0);
}

#[test]
fn automatic_k_stays_in_range() {
    let corpus = fixture_corpus();
    let c = cluster(&corpus, &ClusterOptions::default());
    // 90 questions: 2..=min(12, 90 / 5).
    assert!((2..=12).contains(&c.k), "k = {}", c.k);
    let tried: Vec<usize> = c.silhouette_by_k.iter().map(|&(k, _)| k).collect();
    assert_eq!(tried, (2..=12).collect::<Vec<_>>());
    let best = c
        .silhouette_by_k
        .iter()
        .map(|&(_, s)| s)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(c.silhouette, Some(best));
    // A narrower range is respected, and the cap of a fifth of the documents applies.
    let narrow = cluster(
        &corpus,
        &ClusterOptions {
            k: KChoice::Auto { min: 3, max: 6 },
            ..ClusterOptions::default()
        },
    );
    assert!((3..=6).contains(&narrow.k));
    let small = Corpus::from_texts(
        &Tokenizer::for_language(Language::Da, true),
        &fixtures::texts()[..20],
    );
    let s = cluster(&small, &ClusterOptions::default());
    assert!((2..=4).contains(&s.k), "k = {}", s.k);
}

#[test]
fn same_seed_same_result_other_seeds_may_differ() {
    let corpus = fixture_corpus();
    let a = cluster(&corpus, &fixed(5, 42));
    let b = cluster(&corpus, &fixed(5, 42));
    assert_eq!(a, b);
    let auto_a = cluster(
        &corpus,
        &ClusterOptions {
            seed: 3,
            ..ClusterOptions::default()
        },
    );
    let auto_b = cluster(
        &corpus,
        &ClusterOptions {
            seed: 3,
            ..ClusterOptions::default()
        },
    );
    assert_eq!(auto_a, auto_b);
    let others: Vec<Clustering> = (0..5).map(|s| cluster(&corpus, &fixed(5, s))).collect();
    assert!(
        others.iter().any(|o| o.assignment != a.assignment),
        "five other seeds all reproduced seed 42 exactly"
    );
}

#[test]
fn pinned_themes_survive_a_rerun() {
    let corpus = fixture_corpus();
    // The analyst ran the clustering, then fixed three themes by hand: two of the found ones
    // (all their members pinned), plus a question moved into the first.
    let first = cluster(&corpus, &fixed(5, 1));
    let mut pinned: Vec<(usize, ThemeId)> = Vec::new();
    for &d in &first.clusters[0].members {
        pinned.push((d, 11));
    }
    for &d in &first.clusters[1].members {
        pinned.push((d, 22));
    }
    let moved = first.clusters[2].members[0];
    pinned.push((moved, 11));

    for mode in [PinnedThemes::Closed, PinnedThemes::Open] {
        let again = cluster_with_pinned(&corpus, &pinned, mode, &fixed(3, 99));
        assert_eq!(again.k, 3);
        assert_eq!(again.clusters.len(), 5);
        assert_eq!(again.clusters[0].theme, Some(11));
        assert_eq!(again.clusters[1].theme, Some(22));
        assert!(again.clusters[2..].iter().all(|c| c.theme.is_none()));
        for &(d, t) in &pinned {
            let c = again.assignment[d].expect("pinned documents are always placed");
            assert_eq!(again.clusters[c].theme, Some(t), "document {d}");
        }
        let mut expected_11: Vec<usize> = first.clusters[0].members.clone();
        expected_11.push(moved);
        expected_11.sort_unstable();
        assert_eq!(again.clusters[0].pinned, expected_11);
        match mode {
            // Closed themes hold exactly what the analyst put there.
            PinnedThemes::Closed => {
                assert_eq!(again.clusters[0].members, expected_11);
                assert_eq!(again.clusters[1].members, first.clusters[1].members);
            }
            PinnedThemes::Open => {
                assert!(again.clusters[0].members.len() >= expected_11.len());
            }
        }
        assert_eq!(
            again
                .clusters
                .iter()
                .map(|c| c.members.len())
                .sum::<usize>()
                + again.unassigned.len(),
            corpus.len()
        );
    }
}

#[test]
fn open_pinned_themes_with_no_free_clusters_sort_in_the_rest() {
    let corpus = fixture_corpus();
    let pinned = placed(3);
    let c = cluster_with_pinned(&corpus, &pinned, PinnedThemes::Open, &fixed(0, 0));
    assert_eq!(c.k, 0);
    assert_eq!(c.clusters.len(), 5);
    assert!(c.unassigned.len() <= 1);
    let topics = fixtures::topics();
    let pinned_docs: Vec<usize> = pinned.iter().map(|&(d, _)| d).collect();
    let rest: Vec<usize> = (0..corpus.len())
        .filter(|d| !pinned_docs.contains(d) && !c.unassigned.contains(d))
        .collect();
    let right = rest
        .iter()
        .filter(|&&d| c.clusters[c.assignment[d].unwrap()].theme == Some(100 + topics[d] as i64))
        .count();
    let accuracy = right as f64 / rest.len() as f64;
    eprintln!(
        "open pinned themes (3 per topic) place {right}/{} right: {accuracy:.3}",
        rest.len()
    );
    assert!(accuracy >= 0.6, "{accuracy}");
}

fn suggestion_accuracy(
    per_topic: usize,
    options: &SuggestOptions,
) -> (usize, usize, Vec<Suggestion>) {
    let corpus = fixture_corpus();
    let placed = placed(per_topic);
    let placed_docs: Vec<usize> = placed.iter().map(|&(d, _)| d).collect();
    let unplaced: Vec<usize> = (0..corpus.len())
        .filter(|d| !placed_docs.contains(d))
        .collect();
    let s = suggest_themes(&corpus, &placed, &unplaced, options);
    let topics = fixtures::topics();
    let right = s
        .iter()
        .filter(|x| x.theme == 100 + topics[x.doc] as ThemeId)
        .count();
    (right, unplaced.len(), s)
}

#[test]
fn assisted_theming_from_three_examples_per_theme() {
    let (right, total, s) = suggestion_accuracy(3, &SuggestOptions::default());
    let accuracy = right as f64 / total as f64;
    eprintln!("suggestions from 3 per topic: {right}/{total} = {accuracy:.3}");
    let plain = SuggestOptions {
        refine_rounds: 0,
        ..SuggestOptions::default()
    };
    let (plain_right, _, _) = suggestion_accuracy(3, &plain);
    eprintln!("  plain nearest centroid: {plain_right}/{total}");
    let (right5, total5, _) = suggestion_accuracy(5, &SuggestOptions::default());
    eprintln!(
        "  from 5 per topic: {right5}/{total5} = {:.3}",
        right5 as f64 / total5 as f64
    );
    assert!(accuracy >= 0.7, "{accuracy}");

    assert_eq!(s.len(), total);
    assert!(s.windows(2).all(|w| w[0].confidence >= w[1].confidence));
    for x in &s {
        assert!((0.0..=1.0).contains(&x.confidence));
        assert_eq!(x.ranked.len(), 5);
        assert_eq!((x.theme, x.confidence), x.ranked[0]);
        let sum: f64 = x.ranked.iter().map(|r| r.1).sum();
        assert!((sum - 1.0).abs() < 1e-9);
    }
    // Confidence means something: the surest half is right more often than the rest.
    let topics = fixtures::topics();
    let ok = |x: &Suggestion| x.theme == 100 + topics[x.doc] as ThemeId;
    let half = s.len() / 2;
    let top = s[..half].iter().filter(|x| ok(x)).count() as f64 / half as f64;
    let bottom = s[half..].iter().filter(|x| ok(x)).count() as f64 / (s.len() - half) as f64;
    eprintln!("  accuracy of the surest half {top:.3}, of the rest {bottom:.3}");
    assert!(top >= bottom);
}

#[test]
fn suggestions_edge_cases() {
    let corpus = fixture_corpus();
    assert!(suggest_themes(&corpus, &[], &[1, 2], &SuggestOptions::default()).is_empty());
    // One theme: everything goes there with certainty.
    let s = suggest_themes(&corpus, &[(0, 5)], &[1, 2], &SuggestOptions::default());
    assert!(
        s.iter()
            .all(|x| x.theme == 5 && (x.confidence - 1.0).abs() < 1e-12)
    );
    // A document with no usable words gets equal odds.
    let t = Tokenizer::for_language(Language::Da, true);
    let c = Corpus::from_texts(&t, &["borgerne og værdi", "regler og krav", "og i at"]);
    let s = suggest_themes(&c, &[(0, 1), (1, 2)], &[2], &SuggestOptions::default());
    assert!((s[0].confidence - 0.5).abs() < 1e-9);
}

/// Scale smoke test: synthetic 20k-document corpus, 10 topics. Ignored by default since the
/// test profile does not optimise this crate; run with `--ignored --nocapture` to see timings.
#[test]
#[ignore]
fn scales_linearly_on_a_synthetic_corpus() {
    use super::rng::SplitMix64;
    use std::time::Instant;
    let n_docs = 20_000;
    let mut rng = SplitMix64::new(5);
    let words: Vec<String> = (0..20_000).map(|i| format!("ord{i}x")).collect();
    let mut topics = Vec::with_capacity(n_docs);
    let texts: Vec<String> = (0..n_docs)
        .map(|_| {
            let topic = rng.below(10);
            topics.push(Some(topic));
            (0..15)
                .map(|_| {
                    // Two thirds of the words come from the topic's own 2000-word band.
                    let w = if rng.below(3) < 2 {
                        topic * 2000 + rng.below(2000)
                    } else {
                        rng.below(words.len())
                    };
                    words[w].as_str()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let start = Instant::now();
    let corpus = Corpus::from_texts(&Tokenizer::for_language(Language::En, false), &texts);
    let tokenized = start.elapsed();
    let c = cluster(
        &corpus,
        &ClusterOptions {
            k: KChoice::Fixed(10),
            n_init: 1,
            ..ClusterOptions::default()
        },
    );
    let total = start.elapsed();
    let ari = adjusted_rand_index(&c.assignment, &topics);
    eprintln!("{n_docs} docs: tokenised in {tokenized:?}, clustered by {total:?}, ARI {ari:.3}");
    assert!(ari > 0.5);
}
