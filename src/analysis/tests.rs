//! Tests of clustering and assisted theming on the Danish fixture relay.

use super::cluster::*;
use super::fixtures;
use super::metrics::adjusted_rand_index;
use super::suggest::*;
use super::text::{Corpus, Language, Tokenizer};

fn fixture_corpus(stem: bool) -> Corpus {
    Corpus::from_texts(&Tokenizer::for_language(Language::Da, stem), &fixtures::texts())
}

fn labels(c: &Clustering) -> Vec<Option<usize>> {
    c.assignment.clone()
}

#[test]
fn measure() {
    let topics = fixtures::topics();
    for stem in [false, true] {
        let corpus = fixture_corpus(stem);
        for min_df in [Some(1), Some(2)] {
            let mut aris = Vec::new();
            for seed in 0..10 {
                let opts = ClusterOptions {
                    k: KChoice::Fixed(5),
                    seed,
                    tfidf: TfidfOptions { min_df, ..TfidfOptions::default() },
                    ..ClusterOptions::default()
                };
                let c = cluster(&corpus, &opts);
                aris.push(adjusted_rand_index(&labels(&c), &topics.iter().map(|&t| Some(t)).collect::<Vec<_>>()));
            }
            eprintln!("stem {stem} min_df {min_df:?} ARI {aris:?}");
        }
        let c = cluster(&corpus, &ClusterOptions { seed: 1, ..ClusterOptions::default() });
        eprintln!("auto k {} sil {:?} {:?}", c.k, c.silhouette, c.silhouette_by_k);
        for cl in &c.clusters { eprintln!("  {:?} {:?}", cl.label_words, cl.members.len()); }
    }
}

#[test]
fn dump_tokens() {
    let corpus = fixture_corpus(true);
    let mut out = String::new();
    for (d, (t, _)) in corpus.docs.iter().zip(fixtures::QUESTIONS) {
        let words: Vec<&str> = d.iter().map(|&i| corpus.vocab.term(i)).collect();
        out.push_str(&format!("{t}\t{}\n", words.join(" ")));
    }
    std::fs::write("/tmp/fixture_tokens.tsv", out).unwrap();
}
