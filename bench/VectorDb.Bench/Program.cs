using BenchmarkDotNet.Running;
using VectorDb.Bench;
using VectorDb.Bench.Compare;
using VectorDb.Bench.Filtered;
using VectorDb.Bench.Http;
using VectorDb.Bench.Recall;
using VectorDb.Bench.Sparse;
using VectorDb.Bench.Storage;
using VectorDb.Bench.Tiers;
using VectorDb.Bench.Vectors;

// `bdn …` runs the BenchmarkDotNet suites (arguments go to BenchmarkSwitcher, e.g. --filter *Kernel*);
// `recall …` runs the ann-benchmarks-style recall/QPS harness.
return args switch
{
    ["bdn", .. var rest] => RunBenchmarkDotNet(rest),
    ["recall", .. var rest] => RecallCommand.Run(rest),
    ["storage", .. var rest] => StorageCommand.Run(rest),
    ["rewrite", .. var rest] => RewriteCommand.Run(rest),
    ["checkpoint-stall", .. var rest] => CheckpointStallCommand.Run(rest),
    ["asyncwrites", .. var rest] => await AsyncWritesCommand.RunAsync(rest),
    ["mevdsearch", .. var rest] => await VectorDb.Bench.Kernels.MevdSearchCommand.RunAsync(rest),
    ["filtered", .. var rest] => FilteredCommand.Run(rest),
    ["adaptive-filtered", .. var rest] => AdaptiveFilteredCommand.Run(rest),
    ["sparse", .. var rest] => SparseCommand.Run(rest),
    ["sparse-bounds", .. var rest] => PruningBoundsCommand.Run(rest),
    ["named", .. var rest] => NamedCommand.Run(rest),
    ["multi", .. var rest] => MultiCommand.Run(rest),
    ["hybrid", .. var rest] => HybridCommand.Run(rest),
    ["cutoff", .. var rest] => CutoffCommand.Run(rest),
    ["compare", .. var rest] => CompareCommand.Run(rest),
    ["http", .. var rest] => await HttpCommand.RunAsync(rest),
    ["grpc", .. var rest] => await GrpcCommand.RunAsync(rest),
    ["bulkload", .. var rest] => await BulkLoadCommand.RunAsync(rest),
    ["large", .. var rest] => await LargeSetCommand.RunAsync(rest),
    ["prefix-tier", .. var rest] => PrefixTierCommand.Run(rest),
    _ => Usage(),
};

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args, new BenchConfig());
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          VectorDb.Bench bdn [BenchmarkDotNet arguments, e.g. --filter *]
          VectorDb.Bench recall --base B --query Q [--truth G.ivecs] --metric l2|ip|cosine
                                [--m 16] [--ef-construction 200] [--threads 1] [--k 10]
                                [--ef 10,16,32,64,128] [--max-base N] [--max-queries N] [--exact true] [--out result.json]
                                [--datatype float32|float16|bfloat16] [--graph SNAPSHOT]
                                [--pca true] [--search-dims 32,64,128] [--build-dims 64,128] [--oversampling 2,4] [--target-recall 0.95]   (adaptive-dimension runs)
                                [--calibrate-on points,queries]   (target-recall calibrated on base points and/or the first half of the queries)
          VectorDb.Bench http [--url http://127.0.0.1:6333] [--points 100000] [--dims 128] [--clients 8] [--seconds 20] [--k 10] [--ef 64] [--out result.json]
          VectorDb.Bench grpc [--url http://127.0.0.1:6333] [--grpc-url http://127.0.0.1:6334] [--points 100000] [--dims 128] [--clients 8] [--seconds 10] [--rounds 5] [--k 10] [--ef 64] [--out result.json]
          VectorDb.Bench bulkload --url http://127.0.0.1:6333 [--data ../shared/data/wordnet-arcticxs-384/base.fvecs] [--rounds 5] [--dir PATH] [--out result.json]
          VectorDb.Bench compare --results DIR [--ours vectordb] [--plot PATH-without-extension]
          VectorDb.Bench filtered [--dataset fashion-mnist|sigmod] [--data ../shared/data] [--max-queries 1000] [--ef 32,64,128]
                                  [--strategy auto,ExactScan,FilteredGraph,TwoHopGraph,PostFilter,TenantGraph,ValueLinks] [--cases PREFIX,…] [--repeats 3] [--pairs 7]
                                  [--unfiltered-ef 10,12,14,…,256] [--tenant KEY] [--payload-links false] [--index-after true] [--out result.json]
          VectorDb.Bench adaptive-filtered [--data ../shared/data] [--max-queries 1000] [--rounds 5] [--ef 10,12,…,96] [--adaptive-ef 10,…,48]
                                  [--search-dims 64,128] [--oversampling 2,4] [--target-recall 0.95] [--cases "10% (u < 100),…"] [--out result.json]
          VectorDb.Bench sparse [--data ../shared/data/wordnet-arcticxs-384] [--k 10] [--rounds 7] [--max-queries 1000] [--out result.json]
          VectorDb.Bench sparse-bounds [--data ../shared/data/wordnet-arcticxs-384] [--k 10] [--max-queries 1000] [--blocks 8,16,…,4096] [--out result.json]
          VectorDb.Bench named [--data ../shared/data/wordnet-arcticxs-384] [--ef 32,64] [--k 10] [--rounds 7] [--max-queries 1000] [--out result.json]
          VectorDb.Bench multi [--data ../shared/data/fashion-mnist-mrl-256] [--per-point 4] [--per-query 2] [--ef 16,32,64,128] [--k 10] [--rounds 5] [--out result.json]
          VectorDb.Bench hybrid [--data ../shared/data/wordnet-arcticxs-384] [--rounds 7] [--max-queries 1000] [--diversity 0.5] [--out result.json]
          VectorDb.Bench cutoff [--data ../shared/data/wordnet-arcticxs-384] [--fractions 0.001,0.01,0.05] [--max-queries 1000] [--out result.json]
          VectorDb.Bench large make|truth|load|query …   (a collection bigger than RAM; see bench/tiers.sh)
          VectorDb.Bench prefix-tier [--dataset fashion-mnist-mrl-256|wordnet-arcticxs-384] [--data ../shared/data] [--tier-dims 32,64] [--oversampling 4,8]
                                     [--datatype float32,float16] [--ef 10,…,96] [--tier-ef 10,…,96] [--rounds 5] [--max-queries 1000] [--dir PATH] [--out result.json]
          VectorDb.Bench mevdsearch [--rounds 41] [--searches 5000] [--out result.json]
          VectorDb.Bench asyncwrites [--dims 128] [--seconds 5] [--rounds 5] [--callers 64] [--threads 8] [--dir PATH] [--out result.json]
          VectorDb.Bench checkpoint-stall [--points 1000000] [--dims 128] [--seconds 10] [--rounds 5] [--dir PATH] [--keep true] [--out result.json]
          VectorDb.Bench rewrite [--points 5000] [--dims 128] [--rewrites 30] [--batch 1000] [--dir PATH] [--out result.json]
          VectorDb.Bench storage [--dims 128] [--points 100000,1000000] [--batch 256] [--dir PATH] [--throughput false] [--rewrite 0.2] [--out result.json]
        """);
    return 2;
}
