#!/usr/bin/python3
"""Summarises a bench/ab.sh run: per workload, medians of A and B over the rounds, their ratio B/A, and the median of
the per-round ratios (A and B of one round ran back to back, so the machine's drift between rounds cancels there).

    /usr/bin/python3 bench/ab_summary.py OUT_DIR

Recall runs: queries per second at every ef, recall, and build time. Filtered runs: queries per second per case and ef.
Storage runs: points per second per upsert mode and recovery seconds. Ratios above 1 mean B is faster (for build and
recovery seconds, B/A below 1 means B is faster).
"""
import glob
import json
import os
import re
import statistics
import sys
from collections import defaultdict


def load(out, workload):
    """{label: {round: report}}"""
    runs = defaultdict(dict)
    for path in glob.glob(os.path.join(out, f"{workload}-*.json")):
        match = re.search(rf"{re.escape(workload)}-([AB])-(\d+)\.json$", path)
        if match:
            with open(path) as f:
                runs[match.group(1)][int(match.group(2))] = json.load(f)
    return runs


def metrics(workload, report):
    """Yields (name, value) for one run's report."""
    if workload == "filtered":
        for run in report["runs"]:
            if run.get("forced") in (None, "auto") or "forced" not in run:
                yield f"{run['case']} ef={run['ef']} qps", run["qps"]
                # The same plans doing the same work: only code speed can differ between A and B.
                yield f"{run['case']} ef={run['ef']} distances per query", run["mean_distances"]
                if run.get("unfiltered_qps_same_ef"):
                    # The harness measures unfiltered search right after each case, in the same process: a ratio to
                    # it cancels the machine's drift within a run (the unfiltered walk itself is compared above).
                    yield f"{run['case']} ef={run['ef']} qps / unfiltered", run["qps"] / run["unfiltered_qps_same_ef"]
    elif workload == "storage":
        for row in report["throughput"]:
            yield f"{row['mode']} points/s", row["points_per_second"]
        for row in report["recovery"]:
            for key, value in row.items():
                if isinstance(value, (int, float)) and "second" in key:
                    yield f"recovery {row.get('points')} {key}", value
    else:
        if report["build_seconds"] > 0:  # 0 when the run loaded a saved graph (AB_GRAPHS=1)
            yield "build seconds", report["build_seconds"]
        for run in report["runs"]:
            yield f"ef={run['ef']:>3} qps", run["qps"]
            yield f"ef={run['ef']:>3} recall", run["recall"]


def fmt(name, value):
    if ("recall" in name and "recovery" not in name) or "/ unfiltered" in name:
        return f"{value:.4f}" if "recall" in name else f"{value:.3f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def main(out):
    with open(os.path.join(out, "machine.txt")) as f:
        print(f.read().strip())
    workloads = sorted({re.sub(r"-[AB]-\d+\.json$", "", os.path.basename(p)) for p in glob.glob(os.path.join(out, "*-[AB]-*.json"))})
    for workload in workloads:
        runs = load(out, workload)
        rounds = sorted(set(runs["A"]) & set(runs["B"]))
        values = {label: defaultdict(dict) for label in "AB"}
        for label in "AB":
            for r in rounds:
                for name, value in metrics(workload, runs[label][r]):
                    values[label][name][r] = value
        print(f"\n## {workload} ({len(rounds)} rounds)")
        print("| metric | median A | median B | B/A of medians | median of paired B/A |")
        print("|---|---:|---:|---:|---:|")
        for name, a in values["A"].items():
            b = values["B"].get(name, {})
            paired = [b[r] / a[r] for r in a if r in b and a[r]]
            if not paired:
                continue
            ma, mb = statistics.median(a.values()), statistics.median(b.values())
            ratio = mb / ma if ma else float("nan")
            print(f"| {name} | {fmt(name, ma)} | {fmt(name, mb)} | {ratio:.3f} | {statistics.median(paired):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1])
