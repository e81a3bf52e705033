"""Shared by the baseline scripts: readers (TEXMEX .fvecs/.ivecs/.bvecs, IDX images, gzipped or not), the harness
options, the timed query loop and the JSON writer."""
import argparse, gzip, json, struct, time
import numpy as np


def read_vectors(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if path.endswith((".fvecs", ".ivecs", ".bvecs")):
        dim = struct.unpack_from("<i", data, 0)[0]
        kind = {"f": np.float32, "i": np.int32, "b": np.uint8}[path[-5]]
        width = 4 if kind is not np.uint8 else 1
        row = 4 + dim * width
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, row)[:, 4:]
        return np.ascontiguousarray(raw).view(kind).reshape(-1, dim).astype(np.float32 if kind is not np.int32 else np.int32)
    magic = struct.unpack_from(">i", data, 0)[0]  # IDX: 0x00000803 = unsigned bytes, 3 dimensions
    dims = magic & 0xFF
    shape = struct.unpack_from(">" + "i" * dims, data, 4)
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    return values.reshape(shape[0], -1).astype(np.float32)


def harness_arguments():
    """The options every baseline shares with `VectorDb.Bench recall` (scripts pass the same ones to all)."""
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True); p.add_argument("--query", required=True); p.add_argument("--truth", required=True)
    p.add_argument("--metric", default="l2"); p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200); p.add_argument("--threads", type=int, default=1)
    p.add_argument("--k", type=int, default=10); p.add_argument("--ef", default="10,16,32,64,128")
    p.add_argument("--max-queries", type=int, default=0); p.add_argument("--repeats", type=int, default=3)
    return p


def measure(search, queries, truth, k, repeats):
    """Runs `search(query) -> ids` for every query, one at a time: 100 warm-up queries, then the best of `repeats`
    passes. Returns recall@k, QPS and latency percentiles as the harness JSON names them."""
    for q in queries[:100]:
        search(q)
    best = None
    for _ in range(repeats):
        latencies, found = [], []
        for q in queries:
            t = time.perf_counter()
            found.append(search(q))
            latencies.append(time.perf_counter() - t)
        total = sum(latencies)
        if best is None or total < best[0]:
            best = (total, latencies, found)
    total, latencies, found = best
    hits = sum(len(set(np.asarray(f).tolist()) & set(np.asarray(t[:k]).tolist())) for f, t in zip(found, truth))
    lat = sorted(latencies)
    return {"recall": hits / (k * len(queries)), "qps": len(queries) / total,
            "p50_ms": lat[len(lat) // 2] * 1e3, "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3}


def write(path, result):
    """Writes the result JSON to `path`, or prints it."""
    text = json.dumps(result, indent=2)
    if path:
        with open(path, "w") as f:
            f.write(text)
    else:
        print(text)
