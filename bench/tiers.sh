#!/usr/bin/env bash
# A collection bigger than RAM (the memory-tiers issue): 2,000,000 × 384 vectors made from wordnet-arcticxs-384 (40
# noisy copies of each base vector, 3.1 GB of float32), loaded over REST into a collection whose rows are on disk and
# whose searches walk quantized codes; then the server is restarted inside a memory cgroup (v1) limited to LIMIT_MB and
# serves wordnet's 1,000 queries against exact ground truth computed here. A benchmark, not a CI test: it takes
# most of an hour on 2 cores and needs root (cgroup v1 `memory`) and ~10 GB of disk.
#
#   sudo bash bench/tiers.sh                      # two-bit codes, rows `cached`, 1.5 GiB, ef 1,024, oversampling 128: recall 0.96
#   QUANTIZATION=int8 EF=256 OVERSAMPLING=2 …     # int8 codes: do not fit 1.5 GiB beside what recovery holds (docs/benchmarks.md)
#   SKIP_LOAD=1 …                                 # only the restart and queries, on an earlier load
#   SKIP_LOAD=1 REQUANTIZE=binary2 …              # change the earlier load's codes (PATCH quantization_config) first
#   IN_PROCESS=200000 …                           # also time loading the first N points in-process (embedded API)
#
# Results: bench/results/tiers-<quantization>/ (load.json, load-in-process.json, query.json, memory.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/wordnet-arcticxs-384
big=data/cache/wordnet-2m.fvecs
truth=data/cache/wordnet-2m.gt10.ivecs
limit_mb=${LIMIT_MB:-1536}; quantization=${QUANTIZATION:-binary2}; memory=${MEMORY:-cached}
# .NET sizes its heap limit from the cgroup (75 %) without counting the graph's native memory (links, codes): in a
# memory-limited container the managed heap needs a limit of its own, or the two together exceed the cgroup.
gc_heap_mb=${GC_HEAP_MB:-640}
ef=${EF:-1024}; oversampling=${OVERSAMPLING:-128}; port=${PORT:-6390}
dir=data/tiers-$quantization; out=bench/results/tiers-${REQUANTIZE:-$quantization}
mkdir -p data/cache "$out"

dotnet build -c Release bench/VectorDb.Bench -v q -nologo >/dev/null
dotnet build -c Release src/VectorDb.Server -v q -nologo >/dev/null
bench=(dotnet bench/VectorDb.Bench/bin/Release/net10.0/VectorDb.Bench.dll)
server=(dotnet src/VectorDb.Server/bin/Release/net10.0/VectorDb.Server.dll --data-dir "$dir" --urls "http://127.0.0.1:$port" --point-store-memory-mb 32)
url=http://127.0.0.1:$port

[ -f "$big" ] || "${bench[@]}" large make --base $data/base.fvecs --copies 40 --out "$big"
[ -f "$truth" ] || "${bench[@]}" large truth --base "$big" --query $data/query.fvecs --out "$truth"

wait_ready() {
  local start=$SECONDS
  until curl -sf "$url/" >/dev/null; do
    kill -0 "$1" 2>/dev/null || { echo "the server exited" >&2; exit 1; }
    sleep 0.5
  done
  echo $((SECONDS - start))
}

if [ -z "${SKIP_LOAD:-}" ]; then
  rm -rf "$dir"
  "${server[@]}" > "$out/server-load.log" 2>&1 & pid=$!
  wait_ready $pid >/dev/null
  "${bench[@]}" large load --url "$url" --base "$big" --batch 1000 --quantization "$quantization" --memory "$memory" | tee "$out/load.json"
  curl -s "$url/metrics" | grep -E '^vectordb_(vector|payload|process)' > "$out/metrics-after-load.txt"
  kill -TERM $pid; wait $pid || true # a clean stop takes a checkpoint: the restart loads snapshots, not the log
  if [ -n "${IN_PROCESS:-}" ]; then
    rm -rf "$dir-in-process"
    "${bench[@]}" large load --dir "$dir-in-process" --base "$big" --max "$IN_PROCESS" --batch 1000 --quantization "$quantization" --memory "$memory" | tee "$out/load-in-process.json"
    rm -rf "$dir-in-process"
  fi
fi

if [ -n "${REQUANTIZE:-}" ]; then
  case "$REQUANTIZE" in
    int8) codes='{"scalar": {"type": "int8"}}' ;;
    binary2) codes='{"binary": {"encoding": "two_bits", "query_encoding": "scalar4bits"}}' ;;
    binary) codes='{"binary": {"encoding": "one_bit", "query_encoding": "scalar4bits"}}' ;;
    *) echo "REQUANTIZE takes int8, binary or binary2" >&2; exit 2 ;;
  esac
  "${server[@]}" > "$out/server-requantize.log" 2>&1 & pid=$!
  wait_ready $pid >/dev/null
  curl -sf -X PATCH "$url/collections/large" -H 'Content-Type: application/json' -d "{\"quantization_config\": $codes}"; echo
  kill -TERM $pid; wait $pid || true
  quantization=$REQUANTIZE
fi

# Restart inside the memory cgroup, with a cold page cache: the cgroup charges page cache too.
cg=/sys/fs/cgroup/memory/vectordb-tiers
mkdir -p $cg
echo $((limit_mb << 20)) > $cg/memory.limit_in_bytes
echo 0 > $cg/memory.max_usage_in_bytes 2>/dev/null || true
sync; echo 3 > /proc/sys/vm/drop_caches
# Workstation GC: one heap, not one per core, for the one server process of a memory-limited container.
DOTNET_gcServer=0 DOTNET_GCHeapHardLimit=$(printf '0x%x' $((gc_heap_mb << 20))) sh -c "echo \$\$ > $cg/cgroup.procs; exec ${server[*]}" > "$out/server-query.log" 2>&1 & pid=$!
ready=$(wait_ready $pid)
"${bench[@]}" large query --url "$url" --query $data/query.fvecs --truth "$truth" --ef "$ef" --oversampling "$oversampling" --passes 5 | tee "$out/query.json"
{
  echo "limit_mb $limit_mb; gc_heap_mb $gc_heap_mb; quantization $quantization; memory $memory; ef $ef; oversampling $oversampling; ready after restart ${ready} s"
  echo "max_usage_bytes $(cat $cg/memory.max_usage_in_bytes)"
  echo "failcnt $(cat $cg/memory.failcnt)"
  grep -E '^(total_)?(rss|cache|mapped_file) ' $cg/memory.stat
  grep -E 'oom_kill|under_oom' $cg/memory.oom_control || true
  echo "server VmRSS/VmHWM: $(grep -E 'VmRSS|VmHWM' /proc/$pid/status | tr -s ' ' | tr '\n' ' ')"
  curl -s "$url/metrics" | grep -E '^vectordb_(vector|payload|process)'
} | tee "$out/memory.txt"
kill -TERM $pid; wait $pid || true
rmdir $cg 2>/dev/null || true
