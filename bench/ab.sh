#!/usr/bin/env bash
# A/B of two revisions of the engine on the benchmark harness: each revision's harness is built once, then the
# workloads run in alternating order (A B, then B A, ...) so the machine's drift falls on both alike. Summarise with
#   /usr/bin/python3 bench/ab_summary.py OUT_DIR
#
#   bash bench/ab.sh REV_A REV_B OUT_DIR [ROUNDS] [SLOW_ROUNDS]
#
# ROUNDS (default 5) of the recall harness on Fashion-MNIST (L2) and GloVe-100 (cosine), float32 and float16 rows;
# SLOW_ROUNDS (default 3) of the filtered-search and storage benchmarks. Run from the repository root, beside
# ../shared/data. A revision's harness is built into OUT_DIR/bin-A or bin-B unless that folder already exists.
# AB_GRAPHS=1: the recall runs search one saved graph per workload (OUT_DIR/graphs, written by the first run), so
# query speed is compared on the same graph, without the spread that parallel builds add.
set -euo pipefail
rev_a=$1 rev_b=$2 out=$3 rounds=${4:-5} slow_rounds=${5:-3}
root=$(pwd)
data=$root/../shared/data
mkdir -p "$out"

build() { # build REV LABEL
  local bin=$out/bin-$2
  [[ -d $bin ]] && return
  local tree; tree=$(mktemp -d)
  git worktree add --detach "$tree" "$1" >/dev/null
  dotnet build -c Release "$tree/bench/VectorDb.Bench" -o "$bin" >/dev/null
  git worktree remove --force "$tree"
}
build "$rev_a" A
build "$rev_b" B
{ echo "A=$rev_a ($(git rev-parse --short "$rev_a"))"; echo "B=$rev_b ($(git rev-parse --short "$rev_b"))"
  grep -m1 'model name' /proc/cpuinfo; nproc; grep -o -m1 'avx512f' /proc/cpuinfo || echo "no avx512f"; } > "$out/machine.txt"

fashion=(--base "$data/fashion-mnist/train-images-idx3-ubyte.gz" --query "$data/fashion-mnist/t10k-images-idx3-ubyte.gz"
  --truth "$data/fashion-mnist/fashion-mnist-784-euclidean.gt100.ivecs" --metric l2)
glove=(--base "$data/glove-100-angular-wink/glove-100-angular.base100k.fvecs" --query "$data/glove-100-angular-wink/glove-100-angular.query1k.fvecs"
  --truth "$data/glove-100-angular-wink/glove-100-angular.gt100.ivecs" --metric cosine)
recall_common=(--m 16 --ef-construction 200 --threads 2 --k 10 --ef 10,16,32,64,128,256 --max-queries 1000 --repeats 3)
mkdir -p "$out/graphs"
graph() { if [[ ${AB_GRAPHS:-0} == 1 ]]; then echo --graph "$out/graphs/$1.hnsw"; fi; }

run() { # run LABEL ROUND WORKLOAD
  local bin=$out/bin-$1 file=$out/$3-$1-$2.json
  [[ -s $file ]] && return # resumable
  case $3 in
    fashion-float32) dotnet "$bin/VectorDb.Bench.dll" recall "${fashion[@]}" "${recall_common[@]}" --datatype float32 $(graph fashion-float32) --out "$file" ;;
    fashion-float16) dotnet "$bin/VectorDb.Bench.dll" recall "${fashion[@]}" "${recall_common[@]}" --datatype float16 $(graph fashion-float16) --out "$file" ;;
    glove-float32) dotnet "$bin/VectorDb.Bench.dll" recall "${glove[@]}" "${recall_common[@]}" --datatype float32 $(graph glove-float32) --out "$file" ;;
    glove-float16) dotnet "$bin/VectorDb.Bench.dll" recall "${glove[@]}" "${recall_common[@]}" --datatype float16 $(graph glove-float16) --out "$file" ;;
    filtered) (cd "$root" && dotnet "$bin/VectorDb.Bench.dll" filtered --dataset fashion-mnist --max-queries 1000 --ef 32,64 --repeats 3 --pairs 3 --out "$file") ;;
    storage) rm -rf "$out/storage-dir"
             dotnet "$bin/VectorDb.Bench.dll" storage --dims 128 --points 50000 --batch 256 --dir "$out/storage-dir" --out "$file"
             rm -rf "$out/storage-dir" ;;
  esac > "$out/$3-$1-$2.log" 2>&1
}

for ((round = 1; round <= rounds; round++)); do
  order=(A B); ((round % 2 == 0)) && order=(B A)
  workloads=(fashion-float32 fashion-float16 glove-float32 glove-float16)
  ((round <= slow_rounds)) && workloads+=(filtered storage)
  for workload in "${workloads[@]}"; do
    for label in "${order[@]}"; do
      echo "round $round: $workload $label" >&2
      run "$label" "$round" "$workload"
    done
  done
done
