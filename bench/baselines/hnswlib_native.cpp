// hnswlib baseline for the recall harness, compiled for this CPU:
//   g++ -O3 -march=native -std=c++17 -pthread bench/baselines/hnswlib_native.cpp -o hnswlib_native -lz
//   ./hnswlib_native --base B --query Q --truth G.ivecs --metric l2 --m 16 --ef-construction 200 --threads 1 \
//       --k 10 --ef 10,16,32,64,128 [--max-queries N] [--repeats 3] [--graph G.bin] --out result.json
// --graph loads the index from G.bin when it exists (build_seconds is then 0), else saves it there after the build,
// so repeated query rounds search one graph.
// Same inputs (TEXMEX .fvecs/.ivecs, IDX images, gzipped or not) and the same JSON as `VectorDb.Bench recall`.
// Headers: Debian's libhnswlib-dev (0.6.2). Build: rows are added by N threads; queries run single-threaded,
// one warm-up pass, then the best of `repeats` passes.
#include <hnswlib/hnswlib.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Matrix {
    std::vector<float> data;
    size_t rows = 0, dims = 0;
    const float* row(size_t i) const { return data.data() + i * dims; }
};

std::vector<unsigned char> read_all(const std::string& path) {
    gzFile file = gzopen(path.c_str(), "rb");  // reads plain files too
    if (!file) throw std::runtime_error("cannot open " + path);
    std::vector<unsigned char> bytes;
    unsigned char buffer[1 << 16];
    int n;
    while ((n = gzread(file, buffer, sizeof buffer)) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
    gzclose(file);
    return bytes;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// .fvecs / .ivecs (values widened to float for ivecs) or IDX unsigned-byte images.
Matrix read_matrix(const std::string& path, size_t max_rows) {
    auto bytes = read_all(path);
    Matrix m;
    if (ends_with(path, ".fvecs") || ends_with(path, ".ivecs")) {
        int32_t dims;
        std::memcpy(&dims, bytes.data(), 4);
        size_t row_bytes = 4 + 4 * (size_t)dims;
        m.dims = dims;
        m.rows = std::min(bytes.size() / row_bytes, max_rows);
        m.data.resize(m.rows * m.dims);
        bool ints = ends_with(path, ".ivecs");
        for (size_t r = 0; r < m.rows; r++) {
            const unsigned char* p = bytes.data() + r * row_bytes + 4;
            for (size_t c = 0; c < m.dims; c++) {
                if (ints) { int32_t v; std::memcpy(&v, p + 4 * c, 4); m.data[r * m.dims + c] = (float)v; }
                else std::memcpy(&m.data[r * m.dims + c], p + 4 * c, 4);
            }
        }
        return m;
    }
    auto be32 = [&](size_t at) { return (uint32_t)bytes[at] << 24 | (uint32_t)bytes[at + 1] << 16 | (uint32_t)bytes[at + 2] << 8 | bytes[at + 3]; };
    uint32_t magic = be32(0);
    if ((magic >> 8) != 0x08) throw std::runtime_error(path + ": not an unsigned-byte IDX file");
    size_t count = be32(4), dims = 1;
    for (uint32_t d = 1; d < (magic & 0xFF); d++) dims *= be32(4 + 4 * d);
    size_t offset = 4 + 4 * (magic & 0xFF);
    m.rows = std::min(count, max_rows);
    m.dims = dims;
    m.data.resize(m.rows * m.dims);
    for (size_t i = 0; i < m.data.size(); i++) m.data[i] = bytes[offset + i];
    return m;
}

void normalize(Matrix& m) {
    for (size_t r = 0; r < m.rows; r++) {
        float* v = m.data.data() + r * m.dims;
        double norm = 0;
        for (size_t c = 0; c < m.dims; c++) norm += (double)v[c] * v[c];
        float scale = norm > 0 ? (float)(1 / std::sqrt(norm)) : 0;
        for (size_t c = 0; c < m.dims; c++) v[c] *= scale;
    }
}

std::string basename_no_ext(const std::string& path) {
    std::string name = path.substr(path.find_last_of('/') + 1);
    for (const char* ext : {".gz", ".fvecs", ".bvecs"}) if (ends_with(name, ext)) name.resize(name.size() - std::strlen(ext));
    return name;
}

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> a = {{"--metric", "l2"}, {"--m", "16"}, {"--ef-construction", "200"}, {"--threads", "1"},
                                            {"--k", "10"}, {"--ef", "10,16,32,64,128"}, {"--max-queries", "0"}, {"--repeats", "3"}};
    for (int i = 1; i + 1 < argc; i += 2) a[argv[i]] = argv[i + 1];
    if (!a.count("--base") || !a.count("--query") || !a.count("--truth")) {
        std::fprintf(stderr, "usage: hnswlib_native --base B --query Q --truth G.ivecs [--metric l2|ip|cosine] ... [--out F]\n");
        return 2;
    }
    size_t max_queries = std::stoul(a["--max-queries"]);
    Matrix base = read_matrix(a["--base"], SIZE_MAX);
    Matrix queries = read_matrix(a["--query"], max_queries ? max_queries : SIZE_MAX);
    Matrix truth = read_matrix(a["--truth"], queries.rows);
    int m = std::stoi(a["--m"]), ef_construction = std::stoi(a["--ef-construction"]), threads = std::stoi(a["--threads"]);
    size_t k = std::stoul(a["--k"]);
    int repeats = std::stoi(a["--repeats"]);
    std::string metric = a["--metric"];
    if (metric == "cosine") { normalize(base); normalize(queries); }

    std::unique_ptr<hnswlib::SpaceInterface<float>> space;
    if (metric == "l2") space = std::make_unique<hnswlib::L2Space>(base.dims);
    else space = std::make_unique<hnswlib::InnerProductSpace>(base.dims);
    std::string graph = a.count("--graph") ? a["--graph"] : "";
    FILE* saved = graph.empty() ? nullptr : std::fopen(graph.c_str(), "rb");
    if (saved) std::fclose(saved);
    auto owned = saved ? std::make_unique<hnswlib::HierarchicalNSW<float>>(space.get(), graph, false, base.rows)
                       : std::make_unique<hnswlib::HierarchicalNSW<float>>(space.get(), base.rows, m, ef_construction, 42);
    auto& index = *owned;
    double build_seconds = 0;
    if (!saved) {
        auto start = std::chrono::steady_clock::now();
        std::atomic<size_t> next{0};
        std::vector<std::thread> workers;
        for (int t = 0; t < std::max(1, threads); t++)
            workers.emplace_back([&] { for (size_t r; (r = next++) < base.rows;) index.addPoint(base.row(r), r); });
        for (auto& w : workers) w.join();
        build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!graph.empty()) index.saveIndex(graph);
    } else if (index.cur_element_count != base.rows) {
        std::fprintf(stderr, "--graph %s holds %zu points, not %zu: delete it to rebuild\n", graph.c_str(), (size_t)index.cur_element_count, base.rows);
        return 1;
    }

    // Level-0 block per element (vector + links + label), the upper-layer link lists, and the level data every
    // element has: its level (element_levels_) and the pointer to its upper lists (linkLists_). Not counted:
    // the per-element mutex (link_list_locks_, sizeof(std::mutex) each) and the label hash map.
    size_t index_bytes = index.max_elements_ * (index.size_data_per_element_ + sizeof(int) + sizeof(char*));
    for (size_t i = 0; i < index.cur_element_count; i++) index_bytes += index.element_levels_[i] * index.size_links_per_element_;
    std::fprintf(stderr, "hnswlib-native: %zu x %zu, build %.2f s, %.0f bytes/point\n", base.rows, base.dims, build_seconds, (double)index_bytes / base.rows);

    std::string runs;
    std::string efs = a["--ef"];
    for (size_t pos = 0; pos < efs.size();) {
        size_t comma = efs.find(',', pos);
        int ef = std::stoi(efs.substr(pos, comma - pos));
        pos = comma == std::string::npos ? efs.size() : comma + 1;
        index.setEf(std::max<size_t>(ef, k));
        std::vector<double> latencies(queries.rows), best;
        double best_seconds = 1e300, recall = 0;
        for (int pass = 0; pass <= repeats; pass++) {
            size_t hits = 0;
            auto t0 = std::chrono::steady_clock::now();
            for (size_t q = 0; q < queries.rows; q++) {
                auto q0 = std::chrono::steady_clock::now();
                auto found = index.searchKnn(queries.row(q), k);
                latencies[q] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - q0).count();
                const float* expected = truth.row(q);
                while (!found.empty()) {
                    float label = (float)found.top().second;
                    found.pop();
                    if (std::find(expected, expected + std::min(k, truth.dims), label) != expected + std::min(k, truth.dims)) hits++;
                }
            }
            double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            recall = (double)hits / (k * queries.rows);
            if (pass > 0 && seconds < best_seconds) { best_seconds = seconds; best = latencies; }
        }
        std::sort(best.begin(), best.end());
        double qps = queries.rows / best_seconds, p50 = best[best.size() / 2], p99 = best[std::min(best.size() - 1, (size_t)(best.size() * 0.99))];
        std::fprintf(stderr, "ef=%5d  recall=%.4f  qps=%9.0f  p50=%.3f ms  p99=%.3f ms\n", ef, recall, qps, p50, p99);
        char run[256];
        std::snprintf(run, sizeof run, "%s\n    {\"ef\": %d, \"recall\": %.6f, \"qps\": %.1f, \"p50_ms\": %.4f, \"p99_ms\": %.4f}",
                      runs.empty() ? "" : ",", ef, recall, qps, p50, p99);
        runs += run;
    }

    char head[1024];
    std::snprintf(head, sizeof head,
                  "{\n  \"dataset\": \"%s\",\n  \"engine\": \"hnswlib-native\",\n  \"n\": %zu,\n  \"dims\": %zu,\n  \"metric\": \"%s\",\n  \"k\": %zu,\n"
                  "  \"m\": %d,\n  \"ef_construction\": %d,\n  \"build_seconds\": %.3f,\n  \"threads\": %d,\n  \"index_bytes\": %zu,\n  \"runs\": [",
                  basename_no_ext(a["--base"]).c_str(), base.rows, base.dims, metric.c_str(), k, m, ef_construction, build_seconds, threads, index_bytes);
    std::string json = std::string(head) + runs + "\n  ]\n}\n";
    if (a.count("--out")) {
        FILE* out = std::fopen(a["--out"].c_str(), "w");
        if (!out) { std::perror("--out"); return 1; }
        std::fputs(json.c_str(), out);
        std::fclose(out);
    } else {
        std::fputs(json.c_str(), stdout);
    }
    return 0;
}
