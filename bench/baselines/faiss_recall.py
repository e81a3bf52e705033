#!/usr/bin/python3
"""FAISS baselines for the recall harness: IndexHNSWFlat (same M / efConstruction, single-thread queries) and
IndexFlat (exact scan, the brute-force limit), writing the same JSON as `VectorDb.Bench recall`.

    /usr/bin/python3 bench/baselines/faiss_recall.py --base B --query Q --truth G.ivecs --metric l2 \
        --m 16 --ef-construction 200 --threads 1 --k 10 --ef 10,16,32,64,128 [--max-queries N] \
        --out faiss-hnsw.json [--out-flat faiss-flat.json --flat-threads 2]

Debian's python3-faiss (needs libopenblas0-pthread). Queries are sent one at a time, as ann-benchmarks does and as
our harness measures; the exact scan runs with --flat-threads OpenMP threads (ours uses every core for it).
"""
import time
import numpy as np
import faiss
from datasets import harness_arguments, measure, read_vectors, write


def main():
    p = harness_arguments()
    p.add_argument("--out"); p.add_argument("--out-flat"); p.add_argument("--flat-threads", type=int, default=1)
    a = p.parse_args()

    base = np.ascontiguousarray(read_vectors(a.base), dtype=np.float32)
    queries = np.ascontiguousarray(read_vectors(a.query), dtype=np.float32)
    truth = read_vectors(a.truth)
    if a.max_queries:
        queries, truth = queries[:a.max_queries], truth[:a.max_queries]
    metric = faiss.METRIC_L2 if a.metric == "l2" else faiss.METRIC_INNER_PRODUCT
    if a.metric == "cosine":
        faiss.normalize_L2(base); faiss.normalize_L2(queries)
    n, d = base.shape
    common = {"dataset": a.base.split("/")[-1].split(".")[0], "n": n, "dims": d, "metric": a.metric, "k": a.k,
              "m": a.m, "ef_construction": a.ef_construction}

    index = faiss.IndexHNSWFlat(d, a.m, metric)
    index.hnsw.efConstruction = a.ef_construction
    faiss.omp_set_num_threads(a.threads)
    start = time.perf_counter()
    index.add(base)
    build_seconds = time.perf_counter() - start
    faiss.omp_set_num_threads(1)
    links = faiss.vector_to_array(index.hnsw.neighbors).nbytes + faiss.vector_to_array(index.hnsw.offsets).nbytes \
        + faiss.vector_to_array(index.hnsw.levels).nbytes
    runs = []
    for ef in [int(x) for x in a.ef.split(",")]:
        index.hnsw.efSearch = max(ef, a.k)
        runs.append({"ef": ef, **measure(lambda q: index.search(q[None, :], a.k)[1][0], queries, truth, a.k, a.repeats)})
        print(f"faiss-hnsw ef={ef}: recall={runs[-1]['recall']:.4f} qps={runs[-1]['qps']:.0f}", flush=True)
    write(a.out, {**common, "engine": f"faiss-hnsw (python3-faiss {faiss.__version__})", "build_seconds": build_seconds,
                  "threads": a.threads, "index_bytes": n * d * 4 + links, "runs": runs})

    if a.out_flat:
        flat = faiss.IndexFlat(d, metric)
        flat.add(base)
        faiss.omp_set_num_threads(a.flat_threads)
        run = {"ef": 0, **measure(lambda q: flat.search(q[None, :], a.k)[1][0], queries, truth, a.k, a.repeats)}
        print(f"faiss-flat: recall={run['recall']:.4f} qps={run['qps']:.0f}", flush=True)
        write(a.out_flat, {**common, "engine": f"faiss-flat (python3-faiss {faiss.__version__})", "build_seconds": 0,
                           "threads": a.flat_threads, "index_bytes": n * d * 4, "runs": [run]})


if __name__ == "__main__":
    main()
