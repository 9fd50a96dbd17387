//! Text analysis of a relay's questions and answers: tokenising, word frequencies, distinctive
//! words, automatic themes and assisted theming. Pure functions over plain data, with no HTTP or
//! database, so the web layer and benchmarks call the same code.
//!
//! Every analysis starts from a [`Corpus`]: the caller picks the documents (questions, answers
//! or both) and the [`Tokenizer`], and passes document indices to select groups.

pub mod cluster;
pub mod distinctive;
pub mod metrics;
pub mod network;
mod rng;
pub mod stopwords;
pub mod suggest;
pub mod text;
pub mod words;

pub mod fixtures;
#[cfg(test)]
mod tests;

pub use cluster::{
    Cluster, ClusterOptions, Clustering, KChoice, PinnedThemes, Tfidf, TfidfOptions, ThemeId,
    cluster, cluster_matrix, cluster_with_pinned, cosine_silhouette,
};
pub use distinctive::{
    Distinctive, DistinctiveOptions, DistinctiveWord, distinctive_words, distinctive_words_texts,
};
pub use metrics::adjusted_rand_index;
pub use suggest::{SuggestOptions, Suggestion, suggest_themes, suggest_themes_matrix};
pub use text::{Corpus, Language, Token, Tokenizer, TokenizerOptions, Vocabulary};
pub use words::{WordCount, corpus_word_frequencies, word_frequencies, word_frequencies_by_group};
