#!/usr/bin/env bash
# Side-by-side recall/QPS run: ours, hnswlib compiled with -O3 -march=native, FAISS HNSWFlat and IndexFlat, on the
# same files with the same M / efConstruction, then the ratio table and the recall–QPS plot.
#
#   bash bench/compare.sh [fashion-mnist|glove-100|sift-ngt5k|wordnet-arcticxs-384|wordnet-copies-200k] [--threads N] [--ef 10,16,32,64,128] [--max-queries N]
#                         [--repeats N] [--rounds N] [--datatype float32|float16|bfloat16]
#                         [--quantization int8|binary|binary1.5|binary2 [--query-encoding default|binary|scalar4bits|scalar8bits]
#                          [--oversampling 1,2] [--on-disk true]]
#
# --rounds N: afterwards, N more query-only rounds of ours and hnswlib, alternating, on the graphs the first run
# built (saved in data/cache), into bench/results/<dataset>/rounds/<i>/; the table then adds the median ratio over
# the rounds, which this noisy 2-core machine needs before a ratio means anything.
#
# --datatype T: our graph stores vectors as T (the collection option `datatype`; recall is still measured against the
# exact float32 ground truth); results go to bench/results/<dataset>-<T>/ so the float32 ones stay.
#
# --quantization Q: ours also fits codes after its float runs and sweeps ef on them for each oversampling (k × O
# candidates rescored with the stored rows); results go to bench/results/<dataset>-<Q>[-q<encoding>][-on-disk]/, and
# "ours" in the table is the first oversampling's series ("vectordb int8 x1"), the others and our float32 run beside
# it. Oversampling 0 asks for none: binary codes then rescore the beam only while their error bounds leave a
# candidate a chance (series "bounded"). --on-disk true moves the rows into a memory-mapped file first: bytes/point then counts RAM only (links, codes).
#
# Needs: dotnet, g++, and the Debian packages libhnswlib-dev python3-faiss libopenblas0-pthread python3-numpy
# (installed here when missing and running as root). Results: bench/results/<dataset>/ (JSON, table.md, PNG/SVG).
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-fashion-mnist}; shift || true
threads=1; ef=10,16,32,64,128; max_queries=1000; repeats=3; rounds=0; datatype=float32; quantization=none; oversampling=1; query_encoding=default; on_disk=false
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --ef) ef=$2; shift 2 ;;
    --max-queries) max_queries=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --datatype) datatype=$2; shift 2 ;;
    --quantization) quantization=$2; shift 2 ;;
    --oversampling) oversampling=$2; shift 2 ;;
    --query-encoding) query_encoding=$2; shift 2 ;;
    --on-disk) on_disk=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

data=../shared/data
case "$dataset" in
  fashion-mnist) base=$data/fashion-mnist/train-images-idx3-ubyte.gz; query=$data/fashion-mnist/t10k-images-idx3-ubyte.gz
                 truth=$data/fashion-mnist/fashion-mnist-784-euclidean.gt100.ivecs; metric=l2 ;;
  glove-100)     base=$data/glove-100-angular-wink/glove-100-angular.base100k.fvecs; query=$data/glove-100-angular-wink/glove-100-angular.query1k.fvecs
                 truth=$data/glove-100-angular-wink/glove-100-angular.gt100.ivecs; metric=cosine ;;
  sift-ngt5k)    base=$data/sift-ngt5k/sift-ngt5k.base.fvecs; query=$data/sift-ngt5k/sift-ngt5k.query100.fvecs
                 truth=$data/sift-ngt5k/sift-ngt5k.gt100.ivecs; metric=l2 ;;
  wordnet-arcticxs-384) base=$data/wordnet-arcticxs-384/base.fvecs; query=$data/wordnet-arcticxs-384/query.fvecs
                 truth=$data/wordnet-arcticxs-384/wordnet-arcticxs-384-angular.gt100.ivecs; metric=cosine ;;
  # Near copies (the bigger-than-RAM set in small): 40 noisy copies of each of the first 5,000 wordnet vectors, made
  # and given exact ground truth here on first use (the first 200,000 vectors of bench/tiers.sh's set).
  wordnet-copies-200k) base=data/cache/wordnet-copies-200k.fvecs; query=$data/wordnet-arcticxs-384/query.fvecs
                 truth=data/cache/wordnet-copies-200k.gt10.ivecs; metric=cosine ;;
  *) echo "unknown dataset $dataset (fashion-mnist, glove-100, sift-ngt5k, wordnet-arcticxs-384, wordnet-copies-200k)" >&2; exit 2 ;;
esac

missing=$(for p in libhnswlib-dev python3-faiss libopenblas0-pthread python3-numpy; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
  else echo "install first: sudo apt-get install $missing" >&2; exit 1; fi
fi

out=bench/results/$dataset; ours_name=vectordb; ours_options=()
if [ "$datatype" != float32 ]; then out=$out-$datatype; ours_name="vectordb $datatype"; ours_options=(--datatype "$datatype"); fi
if [ "$quantization" != none ]; then
  name=$quantization; [ "$query_encoding" = default ] || name=$name-q$query_encoding
  first=${oversampling%%,*}; if [ "$first" = 0 ]; then series=bounded; else series=x$first; fi
  out=$out-$name; ours_name="$ours_name $name $series"
  ours_options+=(--quantization "$quantization" --query-encoding "$query_encoding" --oversampling "$oversampling" --on-disk "$on_disk")
  if [ "$on_disk" = true ]; then out=$out-on-disk; fi
fi
mkdir -p "$out" data/cache
common=(--base "$base" --query "$query" --truth "$truth" --metric "$metric" --m 16 --ef-construction 200 --threads "$threads" --k 10 --ef "$ef" --max-queries "$max_queries" --repeats "$repeats")

driver=data/cache/hnswlib_native
if [ ! -x $driver ] || [ bench/baselines/hnswlib_native.cpp -nt $driver ]; then
  g++ -O3 -march=native -std=c++17 -pthread bench/baselines/hnswlib_native.cpp -o $driver -lz
fi

# One engine at a time, so none competes with another for the two cores. Each run builds its graph afresh.
ours_graph=data/cache/$dataset.vectordb-$datatype.graph; their_graph=data/cache/$dataset.hnswlib.graph
rm -f "$ours_graph" "$their_graph"; rm -rf "$out/rounds"
dotnet build -c Release bench/VectorDb.Bench -v q -nologo >/dev/null
bench=(dotnet bench/VectorDb.Bench/bin/Release/net10.0/VectorDb.Bench.dll)
if [ "$dataset" = wordnet-copies-200k ] && { [ ! -f "$base" ] || [ ! -f "$truth" ]; }; then
  "${bench[@]}" large make --base $data/wordnet-arcticxs-384/base.fvecs --copies 40 --bases 5000 --out "$base"
  "${bench[@]}" large truth --base "$base" --query "$query" --out "$truth"
fi
"${bench[@]}" recall "${common[@]}" "${ours_options[@]}" --exact true --graph "$ours_graph" --out "$out/vectordb.json"
$driver "${common[@]}" --graph "$their_graph" --out "$out/hnswlib-native.json"
/usr/bin/python3 bench/baselines/faiss_recall.py "${common[@]}" --out "$out/faiss-hnsw.json" --out-flat "$out/faiss-flat.json" --flat-threads "$(nproc)"
for i in $(seq 1 "$rounds"); do
  mkdir -p "$out/rounds/$i"
  "${bench[@]}" recall "${common[@]}" "${ours_options[@]}" --graph "$ours_graph" --out "$out/rounds/$i/vectordb.json"
  $driver "${common[@]}" --graph "$their_graph" --out "$out/rounds/$i/hnswlib-native.json"
done
rm -f "$ours_graph" "$their_graph"
"${bench[@]}" compare --results "$out" --ours "$ours_name"
