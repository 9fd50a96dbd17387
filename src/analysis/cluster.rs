//! Themes: TF-IDF document vectors and spherical (cosine) k-means with k-means++ seeding,
//! restarts, and k chosen by silhouette. Documents are sparse rows of one CSR matrix and
//! centroids dense f32 columns, so memory stays linear in the corpus and one pass over the
//! non-zeros assigns every document.
//!
//! Analyst edits survive a re-run through [`cluster_with_pinned`]: documents the analyst placed
//! keep their theme, and only the rest are clustered.

use std::collections::BTreeMap;

use super::rng::SplitMix64;
use super::text::Corpus;

/// Identifier of an analyst's theme, as the caller stores it.
pub type ThemeId = i64;

/// Corpora at least this large drop terms found in a single document by default: such terms
/// cannot make two documents similar and only dilute the vectors.
const AUTO_MIN_DF_DOCS: usize = 50;

/// How documents become TF-IDF vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct TfidfOptions {
    /// Keep only terms found in at least this many documents. `None`: 2 for corpora of 50
    /// documents or more, else 1.
    pub min_df: Option<usize>,
    /// Drop terms found in more than this fraction of the documents; they say nothing about a
    /// theme.
    pub max_df: f32,
    /// Use 1 + ln(tf) instead of the raw term count, so one repeated word cannot dominate.
    pub sublinear_tf: bool,
}

impl Default for TfidfOptions {
    fn default() -> Self {
        TfidfOptions {
            min_df: None,
            max_df: 0.9,
            sublinear_tf: true,
        }
    }
}

/// L2-normalised TF-IDF vectors of every document of a corpus, one sparse row per document, with
/// scikit-learn's smooth idf: ln((1 + n) / (1 + df)) + 1.
#[derive(Debug, Clone)]
pub struct Tfidf {
    /// Corpus term id of each feature (column), ascending.
    pub features: Vec<u32>,
    /// Idf of each feature.
    pub idf: Vec<f32>,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f32>,
}

impl Tfidf {
    /// Vectorises every document of `corpus`; row `i` is document `i`.
    pub fn fit(corpus: &Corpus, options: &TfidfOptions) -> Self {
        let n = corpus.len();
        let vocab = corpus.vocab.len();
        let mut df = vec![0u32; vocab];
        let mut last_doc = vec![usize::MAX; vocab];
        for (d, doc) in corpus.docs.iter().enumerate() {
            for &t in doc {
                let t = t as usize;
                if last_doc[t] != d {
                    last_doc[t] = d;
                    df[t] += 1;
                }
            }
        }
        drop(last_doc);
        let min_df = options
            .min_df
            .unwrap_or(if n >= AUTO_MIN_DF_DOCS { 2 } else { 1 })
            .max(1);
        let max_df = (options.max_df as f64 * n as f64).floor().max(1.0) as u32;
        let mut column = vec![u32::MAX; vocab];
        let mut features = Vec::new();
        let mut idf = Vec::new();
        for (t, &f) in df.iter().enumerate() {
            if f as usize >= min_df && f <= max_df {
                column[t] = features.len() as u32;
                features.push(t as u32);
                idf.push((((1 + n) as f64 / (1 + f) as f64).ln() + 1.0) as f32);
            }
        }
        // Every kept term is stored once per document holding it, so the sum of their document
        // frequencies sizes the matrix exactly: no growth, no slack (at a million questions
        // doubling would leave up to half the matrix unused).
        let nnz: usize = features.iter().map(|&t| df[t as usize] as usize).sum();
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        let mut indices = Vec::with_capacity(nnz);
        let mut data = Vec::with_capacity(nnz);
        let mut cols: Vec<u32> = Vec::new();
        for doc in &corpus.docs {
            cols.clear();
            cols.extend(
                doc.iter()
                    .map(|&t| column[t as usize])
                    .filter(|&c| c != u32::MAX),
            );
            cols.sort_unstable();
            let start = data.len();
            let mut i = 0;
            while i < cols.len() {
                let c = cols[i];
                let mut j = i;
                while j < cols.len() && cols[j] == c {
                    j += 1;
                }
                let tf = (j - i) as f32;
                let tf = if options.sublinear_tf {
                    1.0 + tf.ln()
                } else {
                    tf
                };
                indices.push(c);
                data.push(tf * idf[c as usize]);
                i = j;
            }
            let norm = data[start..].iter().map(|w| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                data[start..].iter_mut().for_each(|w| *w /= norm);
            }
            indptr.push(data.len());
        }
        Tfidf {
            features,
            idf,
            indptr,
            indices,
            data,
        }
    }

    /// Number of documents (rows).
    pub fn n_docs(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of features (columns).
    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// Document `i` as parallel slices of feature indices (ascending) and weights.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.data[r])
    }

    /// Whether document `i` kept no feature (no words, or only pruned ones); such a document is
    /// equally far from everything and is left out of clustering.
    pub fn is_empty_row(&self, i: usize) -> bool {
        self.indptr[i] == self.indptr[i + 1]
    }

    /// Total number of stored weights.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }
}

/// Dense vectors stored feature-major (`v[f * k + c]` is feature `f` of vector `c`), so the
/// scores of one sparse row against all `k` vectors read one contiguous run per non-zero.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub(crate) k: usize,
    pub(crate) v: Vec<f32>,
}

impl Columns {
    pub(crate) fn zeros(d: usize, k: usize) -> Self {
        Columns {
            k,
            v: vec![0.0; d * k],
        }
    }

    pub(crate) fn add_row(&mut self, m: &Tfidf, row: usize, c: usize) {
        let (idx, w) = m.row(row);
        for (&f, &x) in idx.iter().zip(w) {
            self.v[f as usize * self.k + c] += x;
        }
    }

    /// Dot products of row `row` with every vector, into `out` (length `k`).
    pub(crate) fn scores(&self, m: &Tfidf, row: usize, out: &mut [f32]) {
        out.fill(0.0);
        let (idx, w) = m.row(row);
        for (&f, &x) in idx.iter().zip(w) {
            let base = f as usize * self.k;
            for (o, &c) in out.iter_mut().zip(&self.v[base..base + self.k]) {
                *o += x * c;
            }
        }
    }

    /// Dot product of row `row` with vector `c` alone.
    pub(crate) fn dot(&self, m: &Tfidf, row: usize, c: usize) -> f32 {
        let (idx, w) = m.row(row);
        idx.iter()
            .zip(w)
            .map(|(&f, &x)| x * self.v[f as usize * self.k + c])
            .sum()
    }

    /// Dot products of every pair of vectors: `g[i * k + j]` is `v_i · v_j`.
    pub(crate) fn gram(&self) -> Vec<f64> {
        let k = self.k;
        let mut g = vec![0f64; k * k];
        for chunk in self.v.chunks_exact(k.max(1)) {
            for (i, &a) in chunk.iter().enumerate() {
                if a == 0.0 {
                    continue;
                }
                for (j, &b) in chunk.iter().enumerate().skip(i) {
                    g[i * k + j] += a as f64 * b as f64;
                }
            }
        }
        for i in 0..k {
            for j in 0..i {
                g[i * k + j] = g[j * k + i];
            }
        }
        g
    }

    /// Vectors with a zero in `counts` take their values from `previous`.
    pub(crate) fn keep_empty_from(&mut self, previous: &Columns, counts: &[usize]) {
        let empty: Vec<usize> = (0..self.k).filter(|&c| counts[c] == 0).collect();
        if empty.is_empty() {
            return;
        }
        for (chunk, old) in self
            .v
            .chunks_exact_mut(self.k)
            .zip(previous.v.chunks_exact(previous.k))
        {
            for &c in &empty {
                chunk[c] = old[c];
            }
        }
    }

    pub(crate) fn norms(&self) -> Vec<f32> {
        let mut sq = vec![0f32; self.k];
        for chunk in self.v.chunks_exact(self.k.max(1)) {
            for (s, &x) in sq.iter_mut().zip(chunk) {
                *s += x * x;
            }
        }
        sq.into_iter().map(f32::sqrt).collect()
    }

    /// Scales every vector to unit length; zero vectors stay zero.
    pub(crate) fn normalize(&mut self) {
        let inv: Vec<f32> = self
            .norms()
            .into_iter()
            .map(|n| if n > 0.0 { 1.0 / n } else { 0.0 })
            .collect();
        for chunk in self.v.chunks_exact_mut(self.k.max(1)) {
            for (x, &s) in chunk.iter_mut().zip(&inv) {
                *x *= s;
            }
        }
    }

    /// Vector `c` set to row `row` (which is unit length).
    pub(crate) fn set_to_row(&mut self, m: &Tfidf, row: usize, c: usize) {
        let k = self.k;
        for chunk in self.v.chunks_exact_mut(k) {
            chunk[c] = 0.0;
        }
        self.add_row(m, row, c);
    }

    /// The `n` largest features of vector `c` as (feature, weight), largest first, ties by
    /// feature index.
    pub(crate) fn top_features(&self, c: usize, n: usize) -> Vec<(usize, f32)> {
        let mut all: Vec<(usize, f32)> = self
            .v
            .chunks_exact(self.k)
            .enumerate()
            .map(|(f, chunk)| (f, chunk[c]))
            .filter(|&(_, x)| x > 0.0)
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

/// How many clusters to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KChoice {
    /// Exactly this many (fewer if there are fewer documents to cluster).
    Fixed(usize),
    /// The k in `min..=max` with the best cosine silhouette; `max` is further capped at a fifth of
    /// the documents, since smaller themes are not themes.
    Auto {
        /// Smallest k tried.
        min: usize,
        /// Largest k tried.
        max: usize,
    },
}

/// Settings of [`cluster`] and [`cluster_with_pinned`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    /// Number of (free) clusters.
    pub k: KChoice,
    /// Seed of every random choice; equal seeds give equal results.
    pub seed: u64,
    /// Restarts per k; the run with the highest total cosine to its centroids is kept.
    pub n_init: usize,
    /// Iteration cap per run; runs usually converge long before.
    pub max_iter: usize,
    /// Restarts run on a sample of at most this many documents (at least ten per cluster);
    /// the best of them then runs, and is refined again, on all documents. Twenty thousand
    /// questions hold every theme a relay can have many times over, and the restarts then cost
    /// the same whatever the corpus size.
    pub sample_rows: usize,
    /// Label words per cluster.
    pub label_words: usize,
    /// Representative documents per cluster.
    pub representatives: usize,
    /// Vectorisation.
    pub tfidf: TfidfOptions,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            k: KChoice::Auto { min: 2, max: 12 },
            seed: 0,
            n_init: 4,
            max_iter: 100,
            sample_rows: 20_000,
            label_words: 5,
            representatives: 3,
            tfidf: TfidfOptions::default(),
        }
    }
}

/// Whether unpinned documents may join the analyst's themes on a re-run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinnedThemes {
    /// Analyst themes take part as fixed anchors: unpinned documents nearest to one join it.
    /// Suits a re-run after the analyst has shaped themes and wants new questions sorted in.
    Open,
    /// Analyst themes keep exactly their pinned members; only the free clusters receive
    /// unpinned documents.
    Closed,
}

/// One theme of a clustering.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The analyst's theme this cluster is, or `None` for a newly found one.
    pub theme: Option<ThemeId>,
    /// Member documents (corpus indices), ascending.
    pub members: Vec<usize>,
    /// Members that were pinned to this theme by the caller, ascending.
    pub pinned: Vec<usize>,
    /// Top terms of the centroid, as display forms, strongest first.
    pub label_words: Vec<String>,
    /// Members closest to the centroid, closest first.
    pub representatives: Vec<usize>,
    /// Mean cosine similarity of the members to the centroid (0 when no member has words).
    pub cohesion: f64,
}

/// The result of a clustering.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Analyst themes first (by id), then new clusters by size, largest first (ties by smallest
    /// member).
    pub clusters: Vec<Cluster>,
    /// Per corpus document, the index in `clusters` of its cluster.
    pub assignment: Vec<Option<usize>>,
    /// Unpinned documents left out because none of their words survived vectorisation.
    pub unassigned: Vec<usize>,
    /// Number of new (non-analyst) clusters made.
    pub k: usize,
    /// Total cosine similarity of documents to their centroids (higher is tighter).
    pub objective: f64,
    /// Cosine silhouette of the result, if at least two clusters have members.
    pub silhouette: Option<f64>,
    /// Silhouette of each k tried when k was chosen automatically, by ascending k.
    pub silhouette_by_k: Vec<(usize, f64)>,
}

/// Clusters every document of `corpus`.
pub fn cluster(corpus: &Corpus, options: &ClusterOptions) -> Clustering {
    cluster_with_pinned(corpus, &[], PinnedThemes::Closed, options)
}

/// Clusters `corpus` while keeping the analyst's placements: each `(document, theme)` in
/// `pinned` stays in that theme whatever happens, and `options.k` counts only the new clusters
/// made from the remaining documents. A document pinned twice keeps its first theme.
///
/// To make renames, merges, splits and moves survive a re-run, the caller pins the members of
/// every theme the analyst has touched, keeping its own theme ids and names.
///
/// # Panics
/// If a pinned document index is not a document of `corpus`.
pub fn cluster_with_pinned(
    corpus: &Corpus,
    pinned: &[(usize, ThemeId)],
    mode: PinnedThemes,
    options: &ClusterOptions,
) -> Clustering {
    let m = Tfidf::fit(corpus, &options.tfidf);
    cluster_matrix(corpus, &m, pinned, mode, options)
}

/// [`cluster_with_pinned`] over an already computed matrix of `corpus`.
pub fn cluster_matrix(
    corpus: &Corpus,
    m: &Tfidf,
    pinned: &[(usize, ThemeId)],
    mode: PinnedThemes,
    options: &ClusterOptions,
) -> Clustering {
    let n = m.n_docs();
    let mut theme_of: Vec<Option<ThemeId>> = vec![None; n];
    for &(d, t) in pinned {
        if theme_of[d].is_none() {
            theme_of[d] = Some(t);
        }
    }
    let themes: Vec<ThemeId> = {
        let mut t: Vec<ThemeId> = theme_of.iter().flatten().copied().collect();
        t.sort_unstable();
        t.dedup();
        t
    };
    let theme_index: BTreeMap<ThemeId, usize> =
        themes.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let anchors: Vec<(usize, usize)> = (0..n)
        .filter_map(|d| theme_of[d].map(|t| (d, theme_index[&t])))
        .collect();
    let mut free_rows: Vec<usize> = (0..n)
        .filter(|&d| theme_of[d].is_none() && !m.is_empty_row(d))
        .collect();
    let mut unassigned: Vec<usize> = (0..n)
        .filter(|&d| theme_of[d].is_none() && m.is_empty_row(d))
        .collect();
    let nowhere_to_go = match options.k {
        KChoice::Fixed(k) => k == 0 && (mode == PinnedThemes::Closed || themes.is_empty()),
        KChoice::Auto { .. } => false,
    };
    if nowhere_to_go {
        unassigned.append(&mut free_rows);
        unassigned.sort_unstable();
    }

    let problem = Problem {
        m,
        free_rows: &free_rows,
        anchors: &anchors,
        n_anchors: themes.len(),
        open: mode == PinnedThemes::Open,
    };

    let (k_free, run, silhouette_by_k) = match options.k {
        KChoice::Fixed(k) => {
            let k = k.min(free_rows.len());
            (k, problem.best_of(k, options), Vec::new())
        }
        KChoice::Auto { min, max } => {
            let cap = max.min(free_rows.len() / 5);
            if cap < min.max(1) {
                let k = min.min(free_rows.len());
                (k, problem.best_of(k, options), Vec::new())
            } else {
                let mut best: Option<(usize, Run, f64)> = None;
                let mut by_k = Vec::new();
                for k in min.max(1)..=cap {
                    let run = problem.best_of(k, options);
                    let s = problem.silhouette(&run).unwrap_or(f64::NEG_INFINITY);
                    by_k.push((k, s));
                    if best.as_ref().is_none_or(|b| s > b.2) {
                        best = Some((k, run, s));
                    }
                }
                // unwrap: the range min.max(1)..=cap is non-empty, so the loop ran at least once.
                let (k, run, _) = best.expect("at least one k tried");
                (k, run, by_k)
            }
        }
    };

    let silhouette = problem.silhouette(&run);
    problem.describe(
        corpus,
        &themes,
        k_free,
        run,
        unassigned,
        silhouette,
        silhouette_by_k,
        options,
    )
}

/// Cosine silhouette of a labelling of the rows of `m` (`None` for rows left out). Exact, in
/// time linear in the non-zeros: for unit vectors the mean cosine distance from `x` to cluster
/// `C` is `1 − x·ΣC / |C|`, so only the cluster sums are needed, never the pairwise matrix.
/// Rows in singleton clusters score 0, as in scikit-learn. `None` if fewer than two clusters
/// have members.
pub fn cosine_silhouette(m: &Tfidf, labels: &[Option<usize>]) -> Option<f64> {
    let k = labels.iter().flatten().max().map_or(0, |&c| c + 1);
    let mut sums = Columns::zeros(m.n_features(), k);
    let mut sizes = vec![0usize; k];
    for (row, l) in labels.iter().enumerate() {
        if let Some(c) = *l {
            sums.add_row(m, row, c);
            sizes[c] += 1;
        }
    }
    if sizes.iter().filter(|&&s| s > 0).count() < 2 {
        return None;
    }
    let mut scores = vec![0f32; k];
    let mut total = 0.0f64;
    let mut count = 0usize;
    for (row, l) in labels.iter().enumerate() {
        let Some(a_c) = *l else { continue };
        count += 1;
        if sizes[a_c] < 2 {
            continue;
        }
        sums.scores(m, row, &mut scores);
        let (_, w) = m.row(row);
        let self_dot: f64 = w.iter().map(|&x| (x as f64) * (x as f64)).sum();
        let a = 1.0 - (scores[a_c] as f64 - self_dot) / (sizes[a_c] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != a_c && sizes[c] > 0)
            .map(|c| 1.0 - scores[c] as f64 / sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let denom = a.max(b);
        if denom > 0.0 {
            total += (b - a) / denom;
        }
    }
    Some(total / count as f64)
}

/// One k-means run: labels of the free rows (column index, anchors first) and final centroids.
#[derive(Debug, Clone)]
pub(super) struct Run {
    pub(super) labels: Vec<usize>,
    pub(super) centroids: Columns,
    pub(super) objective: f64,
}

/// Up to this many rows every restart is refined before the best is picked: it costs little,
/// and short, noisy relays have many local optima, so the restarts end in different ones (on
/// the fixture relay the mean agreement with its topics rose from 0.63 to 0.69 against
/// refining only the best). Above it only the best restart is refined, at a fraction of the
/// cost, since with that much text the topics are clear and every restart refines to the same
/// optimum.
const REFINE_EACH_ROWS: usize = 5_000;

/// Assignment passes over at least this many rows split them across threads.
const PARALLEL_ROWS: usize = 40_000;

#[derive(Clone, Copy)]
pub(super) struct Problem<'a> {
    pub(super) m: &'a Tfidf,
    pub(super) free_rows: &'a [usize],
    /// (row, anchor column) of every pinned document.
    pub(super) anchors: &'a [(usize, usize)],
    pub(super) n_anchors: usize,
    pub(super) open: bool,
}

impl Problem<'_> {
    /// The best of `options.n_init` runs with `k` free clusters, refined by split-merge moves
    /// (see [`super::refine`] and [`REFINE_EACH_ROWS`]). On a large corpus the restarts run on a sample and the best one
    /// then runs, and is refined again, on every row, so the restarts cost the same at any
    /// size. The restarts are independent, so they run on as many threads as the
    /// machine has cores; each has its own seed, so the result does not depend on the number
    /// of threads.
    fn best_of(&self, k: usize, options: &ClusterOptions) -> Run {
        let n_init = options.n_init.max(1);
        let mut rng = SplitMix64::derived(options.seed, ((k as u64) << 32) | 0xFFFF_FFFF);
        let sample_size = options.sample_rows.max(10 * k).max(1);
        let sample = (self.free_rows.len() > sample_size)
            .then(|| sample_rows(self.free_rows, sample_size, &mut rng));
        let sub = Problem {
            free_rows: sample.as_deref().unwrap_or(self.free_rows),
            ..*self
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(n_init);
        let refine_each = sub.free_rows.len() <= REFINE_EACH_ROWS;
        let one = |restart: usize| {
            let mut rng = SplitMix64::derived(options.seed, ((k as u64) << 32) | restart as u64);
            let run = sub.run(k, options.max_iter, &mut rng);
            let run = if refine_each {
                sub.refine(run, k, options.max_iter, &mut rng)
            } else {
                run
            };
            (restart, run)
        };
        let mut runs: Vec<(usize, Run)> = if threads <= 1 {
            (0..n_init).map(one).collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let one = &one;
                        scope.spawn(move || {
                            (t..n_init).step_by(threads).map(one).collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    // unwrap: a panicking restart is a bug to surface, not to hide.
                    .flat_map(|h| h.join().expect("a clustering restart panicked"))
                    .collect()
            })
        };
        // Ties go to the lower restart, as if the restarts had run one after another.
        runs.sort_by_key(|(restart, _)| *restart);
        let mut best: Option<Run> = None;
        for (_, run) in runs {
            if best.as_ref().is_none_or(|b| run.objective > b.objective) {
                best = Some(run);
            }
        }
        // unwrap: at least one restart ran.
        let best = best.expect("n_init >= 1");
        let best = if refine_each {
            best
        } else {
            sub.refine(best, k, options.max_iter, &mut rng)
        };
        if sample.is_none() {
            return best;
        }
        let k_total = self.n_anchors + k;
        let base = self.anchor_sums(k_total);
        let run = self.lloyd(&base, best.centroids, options.max_iter);
        self.refine(run, k, options.max_iter, &mut rng)
    }

    /// Columns free rows may be assigned to.
    pub(super) fn candidates(&self, k_total: usize) -> std::ops::Range<usize> {
        if self.open {
            0..k_total
        } else {
            self.n_anchors..k_total
        }
    }

    pub(super) fn anchor_sums(&self, k_total: usize) -> Columns {
        let mut sums = Columns::zeros(self.m.n_features(), k_total);
        for &(row, c) in self.anchors {
            sums.add_row(self.m, row, c);
        }
        sums
    }

    fn run(&self, k: usize, max_iter: usize, rng: &mut SplitMix64) -> Run {
        let k_total = self.n_anchors + k;
        let base = self.anchor_sums(k_total);
        let mut centroids = base.clone();
        centroids.normalize();
        if k_total == 0 {
            return Run {
                labels: Vec::new(),
                centroids,
                objective: 0.0,
            };
        }
        self.seed(&mut centroids, k, rng);
        self.lloyd(&base, centroids, max_iter)
    }

    /// Lloyd's iterations from `centroids` until (almost) no row moves.
    pub(super) fn lloyd(&self, base: &Columns, mut centroids: Columns, max_iter: usize) -> Run {
        let k_total = centroids.k;
        let mut labels = vec![usize::MAX; self.free_rows.len()];
        let mut sims = vec![0f32; self.free_rows.len()];
        if k_total == 0 {
            return Run {
                labels: Vec::new(),
                centroids,
                objective: 0.0,
            };
        }
        // Like scikit-learn's tolerance: stop once (almost) no document moves. On a large
        // corpus the last iterations shuffle a handful of borderline documents back and forth
        // and change nothing an analyst would see.
        let tolerance = self.free_rows.len() / 10_000;
        for _ in 0..max_iter.max(1) {
            let moved = self.assign(&centroids, &mut labels, &mut sims);
            if moved <= tolerance {
                break;
            }
            centroids = self.update(base, &labels, &sims, k_total);
        }
        // Centroids are the normalised means of the final labels, whether or not the loop
        // converged, so labels and representatives are computed from what the members share.
        centroids = self.update(base, &labels, &sims, k_total);
        let objective = self.objective(&centroids, &labels);
        Run {
            labels,
            centroids,
            objective,
        }
    }

    /// Moves every free row to its nearest candidate centroid; returns how many moved. A large
    /// corpus is split into one contiguous chunk per core; each row's label depends only on the
    /// row, so the result is the same on any machine.
    fn assign(&self, centroids: &Columns, labels: &mut [usize], sims: &mut [f32]) -> usize {
        let cand = self.candidates(centroids.k);
        let one_chunk = |rows: &[usize], labels: &mut [usize], sims: &mut [f32]| {
            let mut scores = vec![0f32; centroids.k];
            let mut moved = 0;
            for ((&row, label), sim) in rows.iter().zip(labels).zip(sims) {
                centroids.scores(self.m, row, &mut scores);
                let mut best = cand.start;
                for c in cand.clone() {
                    if scores[c] > scores[best] {
                        best = c;
                    }
                }
                *sim = scores[best];
                if *label != best {
                    *label = best;
                    moved += 1;
                }
            }
            moved
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if threads <= 1 || self.free_rows.len() < PARALLEL_ROWS {
            return one_chunk(self.free_rows, labels, sims);
        }
        let chunk = self.free_rows.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .free_rows
                .chunks(chunk)
                .zip(labels.chunks_mut(chunk))
                .zip(sims.chunks_mut(chunk))
                .map(|((rows, labels), sims)| {
                    let one_chunk = &one_chunk;
                    scope.spawn(move || one_chunk(rows, labels, sims))
                })
                .collect();
            handles
                .into_iter()
                // unwrap: a panicking assignment is a bug to surface, not to hide.
                .map(|h| h.join().expect("an assignment thread panicked"))
                .sum()
        })
    }

    /// Member sums of every column (anchor sums included) and the number of free rows in each.
    pub(super) fn sums(
        &self,
        base: &Columns,
        labels: &[usize],
        k_total: usize,
    ) -> (Columns, Vec<usize>) {
        let mut sums = base.clone();
        let mut sizes = vec![0usize; k_total];
        for (&row, &c) in self.free_rows.iter().zip(labels) {
            sums.add_row(self.m, row, c);
            sizes[c] += 1;
        }
        (sums, sizes)
    }

    /// Normalised member sums; an empty free cluster takes over the free row that fits its own
    /// cluster worst, so k clusters stay k.
    pub(super) fn update(
        &self,
        base: &Columns,
        labels: &[usize],
        sims: &[f32],
        k_total: usize,
    ) -> Columns {
        let (mut sums, mut sizes) = self.sums(base, labels, k_total);
        let empty: Vec<usize> = (self.n_anchors..k_total)
            .filter(|&c| sizes[c] == 0)
            .collect();
        if !empty.is_empty() {
            let mut worst: Vec<usize> = (0..self.free_rows.len()).collect();
            worst.sort_by(|&a, &b| sims[a].total_cmp(&sims[b]).then(a.cmp(&b)));
            let mut worst = worst.into_iter();
            for c in empty {
                for i in worst.by_ref() {
                    if sizes[labels[i]] > 1 {
                        sizes[labels[i]] -= 1;
                        sizes[c] = 1;
                        sums.set_to_row(self.m, self.free_rows[i], c);
                        break;
                    }
                }
            }
        }
        sums.normalize();
        sums
    }

    pub(super) fn objective(&self, centroids: &Columns, labels: &[usize]) -> f64 {
        let mut scores = vec![0f32; centroids.k];
        let mut total = 0.0f64;
        for (&row, &c) in self.free_rows.iter().zip(labels) {
            centroids.scores(self.m, row, &mut scores);
            total += scores[c] as f64;
        }
        for &(row, c) in self.anchors {
            centroids.scores(self.m, row, &mut scores);
            total += scores[c] as f64;
        }
        total
    }

    /// Greedy k-means++ (as scikit-learn): each new centre is the best of 2 + ln k candidates
    /// drawn with probability proportional to the cosine distance to the nearest centre so far
    /// (for unit vectors that distance is half the squared Euclidean one). Open anchors count as
    /// centres already chosen.
    fn seed(&self, centroids: &mut Columns, k: usize, rng: &mut SplitMix64) {
        let m = self.m;
        let rows = self.free_rows;
        if k == 0 || rows.is_empty() {
            return;
        }
        let d = m.n_features();
        let mut dense = vec![0f32; d];
        let sim_to = |dense: &[f32], row: usize| -> f32 {
            let (idx, w) = m.row(row);
            idx.iter()
                .zip(w)
                .map(|(&f, &x)| x * dense[f as usize])
                .sum()
        };
        let mut dist: Vec<f64> = vec![1.0; rows.len()];
        let mut first = 0;
        if self.open && self.n_anchors > 0 {
            let mut scores = vec![0f32; centroids.k];
            for (i, &row) in rows.iter().enumerate() {
                centroids.scores(m, row, &mut scores);
                let best = scores[..self.n_anchors]
                    .iter()
                    .copied()
                    .fold(0f32, f32::max);
                dist[i] = (1.0 - best as f64).max(0.0);
            }
        } else {
            let i = rng.below(rows.len());
            centroids.set_to_row(m, rows[i], self.n_anchors);
            set_dense(m, rows[i], &mut dense, true);
            for (j, &row) in rows.iter().enumerate() {
                dist[j] = (1.0 - sim_to(&dense, row) as f64).max(0.0);
            }
            set_dense(m, rows[i], &mut dense, false);
            first = 1;
        }
        let trials = 2 + (k as f64).ln() as usize;
        let mut cand_dist = vec![0f64; rows.len()];
        let mut best_dist = vec![0f64; rows.len()];
        for c in first..k {
            let potential: f64 = dist.iter().sum();
            let mut best: Option<(usize, f64)> = None;
            for _ in 0..trials {
                let i = if potential > 0.0 {
                    pick_weighted(&dist, rng.next_f64() * potential)
                } else {
                    rng.below(rows.len())
                };
                set_dense(m, rows[i], &mut dense, true);
                let mut pot = 0.0;
                for (j, &row) in rows.iter().enumerate() {
                    let dj = (1.0 - sim_to(&dense, row) as f64).max(0.0).min(dist[j]);
                    cand_dist[j] = dj;
                    pot += dj;
                }
                set_dense(m, rows[i], &mut dense, false);
                if best.is_none_or(|b| pot < b.1) {
                    best = Some((i, pot));
                    std::mem::swap(&mut best_dist, &mut cand_dist);
                }
            }
            // unwrap: trials >= 2, so at least one candidate was evaluated.
            let (i, _) = best.expect("a candidate");
            centroids.set_to_row(m, rows[i], self.n_anchors + c);
            std::mem::swap(&mut dist, &mut best_dist);
        }
    }

    fn silhouette(&self, run: &Run) -> Option<f64> {
        let mut labels: Vec<Option<usize>> = vec![None; self.m.n_docs()];
        for &(row, c) in self.anchors {
            labels[row] = Some(c);
        }
        for (&row, &c) in self.free_rows.iter().zip(&run.labels) {
            labels[row] = Some(c);
        }
        // Rows without features have no direction and would count as distance 1 from all.
        for (row, l) in labels.iter_mut().enumerate() {
            if self.m.is_empty_row(row) {
                *l = None;
            }
        }
        cosine_silhouette(self.m, &labels)
    }

    #[allow(clippy::too_many_arguments)]
    fn describe(
        &self,
        corpus: &Corpus,
        themes: &[ThemeId],
        k_free: usize,
        run: Run,
        unassigned: Vec<usize>,
        silhouette: Option<f64>,
        silhouette_by_k: Vec<(usize, f64)>,
        options: &ClusterOptions,
    ) -> Clustering {
        let m = self.m;
        let k_total = self.n_anchors + k_free;
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); k_total];
        let mut pinned: Vec<Vec<usize>> = vec![Vec::new(); k_total];
        for &(row, c) in self.anchors {
            members[c].push(row);
            pinned[c].push(row);
        }
        for (&row, &c) in self.free_rows.iter().zip(&run.labels) {
            members[c].push(row);
        }
        members.iter_mut().for_each(|v| v.sort_unstable());
        pinned.iter_mut().for_each(|v| v.sort_unstable());

        // Analyst themes keep their order; new clusters are numbered by size so that the same
        // data and seed always print the same way.
        let mut order: Vec<usize> = (0..self.n_anchors).collect();
        let mut free: Vec<usize> = (self.n_anchors..k_total).collect();
        free.sort_by(|&a, &b| {
            members[b]
                .len()
                .cmp(&members[a].len())
                .then(members[a].first().cmp(&members[b].first()))
        });
        order.extend(free);

        let mut scores = vec![0f32; k_total.max(1)];
        let mut assignment = vec![None; m.n_docs()];
        let mut clusters = Vec::with_capacity(k_total);
        for (pos, &c) in order.iter().enumerate() {
            let mut by_sim: Vec<(usize, f32)> = members[c]
                .iter()
                .map(|&row| {
                    assignment[row] = Some(pos);
                    run.centroids.scores(m, row, &mut scores);
                    (row, scores[c])
                })
                .collect();
            let with_words = by_sim.iter().filter(|(r, _)| !m.is_empty_row(*r)).count();
            let cohesion = if with_words > 0 {
                by_sim.iter().map(|&(_, s)| s as f64).sum::<f64>() / with_words as f64
            } else {
                0.0
            };
            by_sim.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let representatives = by_sim
                .iter()
                .filter(|(r, _)| !m.is_empty_row(*r))
                .take(options.representatives)
                .map(|&(r, _)| r)
                .collect();
            let label_words = run
                .centroids
                .top_features(c, options.label_words)
                .into_iter()
                .map(|(f, _)| corpus.vocab.display(m.features[f]).to_owned())
                .collect();
            clusters.push(Cluster {
                theme: themes.get(c).copied(),
                members: std::mem::take(&mut members[c]),
                pinned: std::mem::take(&mut pinned[c]),
                label_words,
                representatives,
                cohesion,
            });
        }
        Clustering {
            clusters,
            assignment,
            unassigned,
            k: k_free,
            objective: run.objective,
            silhouette,
            silhouette_by_k,
        }
    }
}

fn set_dense(m: &Tfidf, row: usize, dense: &mut [f32], on: bool) {
    let (idx, w) = m.row(row);
    for (&f, &x) in idx.iter().zip(w) {
        dense[f as usize] = if on { x } else { 0.0 };
    }
}

/// Index `i` where the running sum of `weights` first exceeds `target`; skips zero weights so a
/// row already chosen as a centre is never drawn again.
fn pick_weighted(weights: &[f64], target: f64) -> usize {
    let mut acc = 0.0;
    let mut last_positive = 0;
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            acc += w;
            last_positive = i;
            if acc > target {
                return i;
            }
        }
    }
    last_positive
}

/// `n` of `rows`, drawn without replacement (Floyd's algorithm), in their original order.
fn sample_rows(rows: &[usize], n: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let len = rows.len();
    let mut chosen = std::collections::HashSet::with_capacity(n);
    for j in len - n..len {
        let t = rng.below(j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    let mut picked: Vec<usize> = chosen.into_iter().collect();
    picked.sort_unstable();
    picked.into_iter().map(|i| rows[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::text::{Language, Tokenizer};

    fn corpus(texts: &[&str]) -> Corpus {
        Corpus::from_texts(&Tokenizer::for_language(Language::Da, false), texts)
    }

    #[test]
    fn tfidf_matches_scikit_learn_formulas() {
        // Expected values from TfidfVectorizer(sublinear_tf=True, smooth_idf=True, norm="l2")
        // formulas in Python: idf = ln((1+3)/(1+df)) + 1; weight = (1 + ln tf) * idf, then l2.
        let c = corpus(&[
            "sektor sektor ledelse",
            "ledelse borger",
            "borger borger borger organisation",
        ]);
        let opts = TfidfOptions {
            min_df: Some(1),
            max_df: 1.0,
            sublinear_tf: true,
        };
        let m = Tfidf::fit(&c, &opts);
        assert_eq!(m.n_docs(), 3);
        assert_eq!(m.n_features(), 4);
        let weight = |doc: usize, word: &str| -> f64 {
            let t = c.vocab.id(word).expect("word in corpus");
            let f = m.features.iter().position(|&x| x == t).expect("kept");
            let (idx, w) = m.row(doc);
            idx.iter()
                .position(|&i| i as usize == f)
                .map_or(0.0, |p| w[p] as f64)
        };
        let close = |x: f64, y: f64| assert!((x - y).abs() < 1e-6, "{x} != {y}");
        close(weight(0, "sektor"), 0.9122016295971542);
        close(weight(0, "ledelse"), 0.4097416099937816);
        close(weight(1, "ledelse"), std::f64::consts::FRAC_1_SQRT_2);
        close(weight(2, "borger"), 0.8474084852202652);
        close(weight(2, "organisation"), 0.5309414837594586);
        close(weight(2, "sektor"), 0.0);
        let sektor = m
            .features
            .iter()
            .position(|&x| x == c.vocab.id("sektor").unwrap());
        close(m.idf[sektor.unwrap()] as f64, 1.6931471805599454);
    }

    #[test]
    fn pruning_by_document_frequency() {
        let c = corpus(&[
            "sektor ledelse",
            "ledelse borger",
            "ledelse borger organisation",
        ]);
        let m = Tfidf::fit(
            &c,
            &TfidfOptions {
                min_df: Some(2),
                max_df: 0.9,
                sublinear_tf: true,
            },
        );
        // "ledelse" is in all three (above 0.9 · 3), the singletons are below min_df.
        let kept: Vec<&str> = m.features.iter().map(|&t| c.vocab.term(t)).collect();
        assert_eq!(kept, ["borger"]);
        assert!(m.is_empty_row(0));
        assert!(!m.is_empty_row(1));
    }

    #[test]
    fn linear_silhouette_equals_pairwise_definition() {
        let c = corpus(&[
            "sektor ledelse styring",
            "sektor styring budget",
            "borger inddragelse værdi",
            "borger værdi dialog",
            "borger sektor værdi",
            "medarbejdere trivsel arbejdsmiljø",
            "medarbejdere rekruttering trivsel",
        ]);
        let m = Tfidf::fit(
            &c,
            &TfidfOptions {
                min_df: Some(1),
                max_df: 1.0,
                sublinear_tf: true,
            },
        );
        let labels = [Some(0), Some(0), Some(1), Some(1), Some(1), Some(2), None];
        let fast = cosine_silhouette(&m, &labels).expect("three clusters");
        let dense = |i: usize| {
            let mut v = vec![0f64; m.n_features()];
            let (idx, w) = m.row(i);
            for (&f, &x) in idx.iter().zip(w) {
                v[f as usize] = x as f64;
            }
            v
        };
        let dist = |i: usize, j: usize| {
            1.0 - dense(i)
                .iter()
                .zip(dense(j))
                .map(|(a, b)| a * b)
                .sum::<f64>()
        };
        let mut total = 0.0;
        let mut n = 0;
        for i in 0..labels.len() {
            let Some(li) = labels[i] else { continue };
            n += 1;
            let mean = |c: usize| {
                let others: Vec<usize> = (0..labels.len())
                    .filter(|&j| j != i && labels[j] == Some(c))
                    .collect();
                others.iter().map(|&j| dist(i, j)).sum::<f64>() / others.len() as f64
            };
            if labels.iter().filter(|&&l| l == Some(li)).count() < 2 {
                continue;
            }
            let a = mean(li);
            let b = (0..3)
                .filter(|&c| c != li)
                .map(mean)
                .fold(f64::INFINITY, f64::min);
            total += (b - a) / a.max(b);
        }
        let slow = total / n as f64;
        assert!((fast - slow).abs() < 1e-5, "{fast} vs {slow}");
        assert_eq!(
            cosine_silhouette(&m, &[Some(0), Some(0), None, None, None, None, None]),
            None
        );
    }

    #[test]
    fn weighted_pick_skips_zero_weights() {
        assert_eq!(pick_weighted(&[0.0, 1.0, 0.0, 2.0], 0.0), 1);
        assert_eq!(pick_weighted(&[0.0, 1.0, 0.0, 2.0], 1.5), 3);
        assert_eq!(pick_weighted(&[0.0, 1.0, 0.0, 2.0], 99.0), 3);
    }

    #[test]
    fn tiny_inputs_do_not_panic() {
        let empty = corpus(&[]);
        let r = cluster(&empty, &ClusterOptions::default());
        assert!(r.clusters.is_empty() && r.assignment.is_empty());
        let one = corpus(&["sektor"]);
        let r = cluster(&one, &ClusterOptions::default());
        assert_eq!(r.clusters.len(), 1);
        assert_eq!(r.assignment, [Some(0)]);
        let words_gone = corpus(&["og i at", "sektor ledelse", "sektor borger"]);
        let r = cluster(
            &words_gone,
            &ClusterOptions {
                k: KChoice::Fixed(5),
                ..ClusterOptions::default()
            },
        );
        assert_eq!(r.unassigned, [0]);
        assert_eq!(r.k, 2);
        assert_eq!(r.assignment[0], None);
        let r = cluster(
            &words_gone,
            &ClusterOptions {
                k: KChoice::Fixed(0),
                ..ClusterOptions::default()
            },
        );
        assert_eq!(r.unassigned, [0, 1, 2]);
        assert!(r.clusters.is_empty());
    }
}
