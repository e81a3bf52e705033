"""Readers shared by the baseline scripts: TEXMEX .fvecs/.ivecs/.bvecs and IDX images, gzipped or not."""
import argparse, gzip, struct
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
