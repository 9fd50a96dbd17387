//! Text analysis of a relay's questions and answers: tokenising, word frequencies, distinctive
//! words, automatic themes and assisted theming, expected keywords, question form, inward or
//! outward focus, group activity profiles and the themed group network. Pure functions over plain data, with no HTTP or
//! database, so the web layer and benchmarks call the same code.
//!
//! Every analysis starts from a [`Corpus`]: the caller picks the documents (questions, answers
//! or both) and the [`Tokenizer`], and passes document indices to select groups.

pub mod cluster;
pub mod distinctive;
pub mod focus;
pub mod form;
pub mod keywords;
pub mod metrics;
pub mod network;
pub mod network_svg;
pub mod profiles;
mod refine;
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
pub use focus::{Focus, FocusCounts, FocusLexicon, FocusMatcher, FocusShares, focus_shares_by};
pub use form::{
    FormEntry, FormShares, QuestionForm, classify_form, form_shares_by, question_forms,
};
pub use keywords::{
    KeywordHit, KeywordMatcher, KeywordOptions, KeywordReport, Reference, UnexpectedWord, keywords,
    parse_keywords,
};
pub use metrics::adjusted_rand_index;
pub use network::{GroupLink, ThemeCount, group_links};
pub use network_svg::{NetworkSvgOptions, network_svg};
pub use profiles::{GroupProfile, Profile, ProfileOptions, classify_profile, group_profiles};
pub use suggest::{SuggestOptions, Suggestion, suggest_themes, suggest_themes_matrix};
pub use text::{Corpus, Language, Token, Tokenizer, TokenizerOptions, Vocabulary};
pub use words::{WordCount, corpus_word_frequencies, word_frequencies, word_frequencies_by_group};
