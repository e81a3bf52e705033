#!/usr/bin/python3
"""hnswlib baseline for the recall harness: same inputs, same JSON as `VectorDb.Bench recall`.

    /usr/bin/python3 bench/baselines/hnswlib_recall.py --base B --query Q --truth G.ivecs --metric l2 \
        --m 16 --ef-construction 200 --threads 1 --k 10 --ef 10,16,32,64,128 [--max-queries N] --out result.json

Reads TEXMEX .fvecs/.bvecs/.ivecs and IDX (.gz) files. Uses Debian's python3-hnswlib, which is built for a
generic x86-64 target, not -march=native: a native C++ driver is the fairer baseline (issue 7).
"""
import time
import numpy as np
import hnswlib
from datasets import harness_arguments, measure, read_vectors, write


def main():
    p = harness_arguments()
    p.add_argument("--out")
    a = p.parse_args()

    base, queries, truth = read_vectors(a.base), read_vectors(a.query), read_vectors(a.truth)
    if a.max_queries:
        queries, truth = queries[:a.max_queries], truth[:a.max_queries]
    space = {"l2": "l2", "ip": "ip", "cosine": "cosine"}[a.metric]

    index = hnswlib.Index(space=space, dim=base.shape[1])
    index.init_index(max_elements=len(base), M=a.m, ef_construction=a.ef_construction, random_seed=42)
    index.set_num_threads(a.threads)
    start = time.perf_counter()
    index.add_items(base, np.arange(len(base)))
    build_seconds = time.perf_counter() - start
    index.set_num_threads(1)

    runs = []
    for ef in [int(x) for x in a.ef.split(",")]:
        index.set_ef(max(ef, a.k))
        runs.append({"ef": ef, **measure(lambda q: index.knn_query(q, k=a.k)[0][0], queries, truth, a.k, a.repeats)})
        print(f"ef={ef}: recall={runs[-1]['recall']:.4f} qps={runs[-1]['qps']:.0f}")

    result = {"dataset": a.base, "engine": "hnswlib (python3-hnswlib " + getattr(hnswlib, "__version__", "0.6.2") + ")",
              "n": len(base), "dims": base.shape[1], "metric": a.metric, "k": a.k, "m": a.m,
              "ef_construction": a.ef_construction, "build_seconds": build_seconds, "threads": a.threads,
              "index_bytes": None, "runs": runs}
    write(a.out, result)


if __name__ == "__main__":
    main()
