"""The scikit-learn baseline of the themes benchmark (examples/bench_analysis.rs).

Reads one document per line (newlines inside a document escaped as a literal backslash-n) and a
stop-word file, runs TF-IDF (sublinear tf, min_df 2, max_df 0.9, l2) and KMeans with the given
k, writes one label per line, and prints a JSON line with the job's time and the process's peak
memory. Usage: python3 sklearn_themes.py DOCS STOPWORDS K SEED LABELS_OUT
"""

import json
import resource
import sys
import time

from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer


def main():
    docs_path, stop_path, k, seed, out_path = sys.argv[1:6]
    with open(docs_path, encoding="utf-8") as f:
        docs = [line.rstrip("\n").replace("\\n", "\n") for line in f]
    with open(stop_path, encoding="utf-8") as f:
        stop = [w.strip() for w in f if w.strip()]
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(
        lowercase=True,
        token_pattern=r"(?u)\b\w\w+\b",
        stop_words=stop,
        sublinear_tf=True,
        min_df=2,
        max_df=0.9,
        norm="l2",
        dtype="float32",
    )
    x = vectorizer.fit_transform(docs)
    vectorized = time.perf_counter() - start
    km = KMeans(n_clusters=int(k), n_init=4, max_iter=100, random_state=int(seed))
    labels = km.fit_predict(x)
    total = time.perf_counter() - start
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(str(int(l)) for l in labels))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "seconds": total,
        "vectorize_seconds": vectorized,
        "features": x.shape[1],
        "peak_rss_kb": peak_kb,
    }))


if __name__ == "__main__":
    main()
