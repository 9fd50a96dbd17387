//! Word frequencies: per term, how often it occurs and in how many documents.

use std::collections::{BTreeMap, HashMap};

use super::text::{Corpus, Tokenizer};

/// One row of a word-frequency table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordCount {
    /// The word as shown: the term's most frequent surface form over the whole corpus, so a word
    /// reads the same in every group's table.
    pub word: String,
    /// The term (stem) counted.
    pub term: String,
    /// Occurrences in the selected documents.
    pub count: u64,
    /// Number of selected documents containing the term at least once.
    pub doc_count: u64,
}

/// Word frequencies over the documents `docs` (indices into `corpus`), sorted by count, then
/// document count (both descending), then display form; at most `top_n` rows if given.
pub fn word_frequencies(corpus: &Corpus, docs: &[usize], top_n: Option<usize>) -> Vec<WordCount> {
    let mut counts: HashMap<u32, (u64, u64)> = HashMap::new();
    let mut seen_in_doc: HashMap<u32, usize> = HashMap::new();
    for (pos, &d) in docs.iter().enumerate() {
        for &t in &corpus.docs[d] {
            let e = counts.entry(t).or_insert((0, 0));
            e.0 += 1;
            // Marking with the position rather than clearing a set per document keeps this linear.
            let last = seen_in_doc.entry(t).or_insert(usize::MAX);
            if *last != pos {
                *last = pos;
                e.1 += 1;
            }
        }
    }
    let mut rows: Vec<WordCount> = counts
        .into_iter()
        .map(|(t, (count, doc_count))| WordCount {
            word: corpus.vocab.display(t).to_owned(),
            term: corpus.vocab.term(t).to_owned(),
            count,
            doc_count,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.doc_count.cmp(&a.doc_count))
            .then_with(|| a.word.cmp(&b.word))
            .then_with(|| a.term.cmp(&b.term))
    });
    if let Some(n) = top_n {
        rows.truncate(n);
    }
    rows
}

/// Word frequencies of a whole corpus.
pub fn corpus_word_frequencies(corpus: &Corpus, top_n: Option<usize>) -> Vec<WordCount> {
    let all: Vec<usize> = (0..corpus.len()).collect();
    word_frequencies(corpus, &all, top_n)
}

/// Per-group word frequencies of `(group, text)` pairs, each text one document. The texts are
/// tokenised together so a stem is displayed the same way in every group.
pub fn word_frequencies_by_group<G, S>(
    tokenizer: &Tokenizer,
    items: &[(G, S)],
    top_n: Option<usize>,
) -> BTreeMap<G, Vec<WordCount>>
where
    G: Ord + Clone,
    S: AsRef<str>,
{
    let texts: Vec<&str> = items.iter().map(|(_, t)| t.as_ref()).collect();
    let corpus = Corpus::from_texts(tokenizer, &texts);
    let mut groups: BTreeMap<G, Vec<usize>> = BTreeMap::new();
    for (i, (g, _)) in items.iter().enumerate() {
        groups.entry(g.clone()).or_default().push(i);
    }
    groups
        .into_iter()
        .map(|(g, docs)| {
            let table = word_frequencies(&corpus, &docs, top_n);
            (g, table)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::text::Language;

    fn row(word: &str, count: u64, doc_count: u64) -> (String, u64, u64) {
        (word.to_owned(), count, doc_count)
    }

    fn simple(rows: &[WordCount]) -> Vec<(String, u64, u64)> {
        rows.iter()
            .map(|r| (r.word.clone(), r.count, r.doc_count))
            .collect()
    }

    #[test]
    fn counts_and_document_counts_by_hand() {
        let t = Tokenizer::for_language(Language::Da, true);
        let texts = [
            "Hvordan styrer lederen, når styringen kommer oppefra?",
            "Styring og tillid: hvordan får lederen tillid?",
            "Borgerne skal mærke tilliden.",
        ];
        let c = Corpus::from_texts(&t, &texts);
        let rows = word_frequencies(&c, &[0, 1, 2], None);
        // Snowball Danish stems "styringen" and "styring" to "styring" but "styrer" to "styr".
        // tillid: tillid x2 (doc 1) + tilliden (doc 2) = 3 in 2 docs, shown as "tillid".
        // lederen: once in docs 0 and 1 = 2 in 2 docs; styring: styringen + styring = 2 in 2 docs,
        // shown as the shorter "styring"; equal counts fall back to alphabetical order.
        // Then the singletons, alphabetically.
        assert_eq!(
            simple(&rows),
            [
                row("tillid", 3, 2),
                row("lederen", 2, 2),
                row("styring", 2, 2),
                row("borgerne", 1, 1),
                row("kommer", 1, 1),
                row("mærke", 1, 1),
                row("oppefra", 1, 1),
                row("styrer", 1, 1),
            ]
        );
        let top = word_frequencies(&c, &[1, 2], Some(2));
        assert_eq!(simple(&top), [row("tillid", 3, 2), row("borgerne", 1, 1)]);
    }

    #[test]
    fn grouped_tables_share_display_forms() {
        let t = Tokenizer::for_language(Language::Da, false);
        let items = [
            ("topledere", "Hvordan tænker vi sektor og sektoren sammen?"),
            ("institutionsledere", "Hvad betyder organisation for os?"),
            ("topledere", "Sektor, sektor og økonomi."),
        ];
        let tables = word_frequencies_by_group(&t, &items, Some(1));
        assert_eq!(simple(&tables["topledere"]), [row("sektor", 3, 2)]);
        assert_eq!(
            simple(&tables["institutionsledere"]),
            [row("betyder", 1, 1)]
        );
    }
}
