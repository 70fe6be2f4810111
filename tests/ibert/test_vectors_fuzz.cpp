// Fuzzing the vector-file runner (`dtqvp kernels --vectors`) with a fixed seed: cases of
// the golden file mutated in their structure (values of other types, extremes, lengths,
// deleted keys) and as text. Every file must end with exit code 0, 1 or 2 and the
// summary line (or, for 2, an error naming the file); never a crash, an exception or a
// hang. UBSan runs the same cases in the sanitizer build.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "ibert/vectors.h"

using nlohmann::json;

namespace {

const std::string k_vectors = DTQ_SHARED_DIR "/refs/vectors/ibert_vectors.json";
const std::string k_tmp = DTQ_BINARY_DIR "/tests/ibert/";

json random_value(std::mt19937_64& rng) {
    switch (rng() % 22) {
        case 0: return nullptr;
        case 1: return rng() % 2 == 0;
        case 2: return "x";
        case 3: return "0x1p+0";
        case 4: return -1;
        case 5: return 0;
        case 6: return std::numeric_limits<int64_t>::max();
        case 7: return std::numeric_limits<int64_t>::min();
        case 8: return std::numeric_limits<uint64_t>::max();
        case 9: return 1e308;
        case 10: return -4.9e-324;
        case 11: return 2.5;
        case 12: return json::array();
        case 13: return json::object();
        case 14: return json::array({1, 2, 3});
        case 15: return int64_t{1} << (rng() % 63);
        case 16: return -(int64_t{1} << (rng() % 63));
        case 17: return static_cast<int64_t>(rng() % 64);
        case 18: return std::ldexp(1.0, static_cast<int>(rng() % 200) - 100);
        case 19: return json::array({json::array({1})});
        case 20: return static_cast<double>(static_cast<int64_t>(rng() % 2000) - 1000) / 7.0;
        default: return "half_up";
    }
}

// A random node of `j` (objects and arrays are descended into).
json* random_node(json& j, std::mt19937_64& rng) {
    json* node = &j;
    for (int depth = 0; depth < 6; ++depth) {
        if (!(node->is_object() || node->is_array()) || node->empty() || rng() % 4 == 0) break;
        auto it = node->begin();
        std::advance(it, static_cast<long>(rng() % node->size()));
        node = &*it;
    }
    return node;
}

// A node inside one of the cases (most edits), or anywhere in the file.
json* random_case_node(json& doc, std::mt19937_64& rng) {
    if (rng() % 8 == 0 || !doc.is_object() || !doc["kernels"].is_object() || doc["kernels"].empty()) return random_node(doc, rng);
    auto k = doc["kernels"].begin();
    std::advance(k, static_cast<long>(rng() % doc["kernels"].size()));
    if (!k->is_array() || k->empty()) return &*k;
    json& c = (*k)[rng() % k->size()];
    if (!c.is_object() || c.empty()) return &c;
    auto f = c.begin();
    std::advance(f, static_cast<long>(rng() % c.size()));
    json* n = &*f;
    if (n->is_array() && !n->empty() && rng() % 2) n = &(*n)[rng() % n->size()];
    return n;
}

void mutate_structure(json& doc, std::mt19937_64& rng) {
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
        json* n = random_case_node(doc, rng);
        switch (rng() % 20) {
            case 0: case 1: case 2: case 3: *n = random_value(rng); break;
            case 4: case 5: case 6: case 7: case 8: case 9: case 10:
                // a number nudged: often a wrong expected value, sometimes an out-of-range input
                if (n->is_number_integer())  // wraps at the int64 limits (unsigned arithmetic: no UB)
                    *n = static_cast<int64_t>(static_cast<uint64_t>(n->get<int64_t>()) + (rng() % 2 ? 1 + rng() % 3 : -(1 + rng() % 3)));
                else if (n->is_number_float()) *n = n->get<double>() * (rng() % 2 ? 2.0 : -1.0);
                else if (n->is_array() && !n->empty() && (*n)[0].is_number_integer())
                    (*n)[0] = static_cast<int64_t>(static_cast<uint64_t>((*n)[0].get<int64_t>()) + 1);
                break;
            case 11: case 12:  // a key deleted
                if (n->is_object() && !n->empty()) {
                    auto it = n->begin();
                    std::advance(it, static_cast<long>(rng() % n->size()));
                    n->erase(it.key());
                } else {
                    *n = nullptr;
                }
                break;
            case 13: case 14:  // a list shortened or grown
                if (n->is_array() && !n->empty()) {
                    if (rng() % 2) n->erase(n->size() - 1);
                    else n->push_back((*n)[rng() % n->size()]);
                }
                break;
            case 15: case 16:  // an element replaced by an extreme integer
                if (n->is_array() && !n->empty()) (*n)[rng() % n->size()] = rng() % 2 ? (int64_t{1} << 62) : -(int64_t{1} << 62);
                else *n = rng() % 2 ? (int64_t{1} << 40) : -(int64_t{1} << 40);
                break;
            case 17: case 18: {  // another node's value copied over (plausible type, wrong meaning)
                const json copy = *random_case_node(doc, rng);
                *n = copy;
                break;
            }
            default:  // a top-level field changed
                if (doc.is_object()) doc[std::vector<std::string>{"format_version", "bookkeeping", "kernels"}[rng() % 3]] = random_value(rng);
                break;
        }
    }
}

void mutate_text(std::string& s, std::mt19937_64& rng) {
    static const char* const tokens[] = {"{", "}", "[", "]", ",", ":", "\"", "-", "e999", "1e-999", "null", "\\u0000",
                                         "NaN", "0x10", "\xff", "99999999999999999999999"};
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !s.empty(); ++e) {
        const size_t at = rng() % s.size();
        switch (rng() % 3) {
            case 0: s[at] = static_cast<char>(rng() % 256); break;
            case 1: s.erase(at, 1 + rng() % 8); break;
            default: s.insert(at, tokens[rng() % (sizeof tokens / sizeof *tokens)]); break;
        }
    }
}

bool ends_with_summary(const std::string& out) {
    const size_t end = out.find_last_not_of('\n');
    if (end == std::string::npos) return false;
    const size_t start = out.rfind('\n', end);
    const std::string last = out.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
    int p = 0, f = 0;
    char tail[8] = {};
    return std::sscanf(last.c_str(), "%d passed, %d failed%7s", &p, &f, tail) == 2;
}

}  // namespace

TEST_CASE("fuzz: 4000 mutated vector files end with exit 0, 1 or 2 and a clean report", "[fuzz][ibert][vectors]") {
    json golden;
    std::ifstream(k_vectors) >> golden;
    REQUIRE(golden["kernels"].is_object());
    std::vector<std::pair<std::string, json>> cases;
    for (const auto& [k, list] : golden["kernels"].items())
        for (const auto& c : list) cases.emplace_back(k, c);

    constexpr int N = 4000;
    std::mt19937_64 rng(0x1BE27);
    int rc_count[3] = {0, 0, 0}, problems = 0;
    std::string first;
    const std::string path = k_tmp + "fuzz_vectors.json";
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < N; ++i) {
        // A small file: 1..3 golden cases with the file's header.
        json doc = {{"format_version", 1}, {"bookkeeping", golden["bookkeeping"]}, {"kernels", json::object()}};
        const int n_cases = 1 + static_cast<int>(rng() % 3);
        for (int c = 0; c < n_cases; ++c) {
            const auto& [kernel, body] = cases[rng() % cases.size()];
            doc["kernels"][kernel].push_back(body);
        }
        std::string text;
        if (rng() % 5 == 0) {
            text = doc.dump();
            mutate_text(text, rng);
        } else {
            mutate_structure(doc, rng);
            text = doc.dump();
        }
        std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
        std::ostringstream out, err;
        const int rc = dtq::ibert::run_vector_file(path, out, err);
        const auto problem = [&](const std::string& what) {
            if (!problems++) first = fmt::format("case {}: {}\nfile: {}\nout:\n{}err:\n{}", i, what, text.substr(0, 2000), out.str(), err.str());
        };
        if (rc < 0 || rc > 2) {
            problem(fmt::format("exit code {}", rc));
            continue;
        }
        ++rc_count[rc];
        const bool summary = ends_with_summary(out.str());
        if (rc != 2 && !summary) problem("no 'N passed, M failed' line");
        if (rc == 2 && err.str().find("dtqvp: error: " + path) == std::string::npos) problem("exit 2 without an error naming the file");
        if (rc != 2 && !err.str().empty()) problem("errors printed but exit code " + std::to_string(rc));
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN(fmt::format("fuzz: {} mutated vector files in {:.2f} s wall: {} exit 0, {} exit 1, {} exit 2", N, s, rc_count[0],
                     rc_count[1], rc_count[2]));
    INFO(first);
    CHECK(problems == 0);
    CHECK(rc_count[0] + rc_count[1] + rc_count[2] == N);
    CHECK(rc_count[0] > 100);  // the mutations reach every outcome
    CHECK(rc_count[1] > 100);
    CHECK(rc_count[2] > 100);
}

// ---- every error message of the vector runner (docs/errors.md), one file each ----------------

TEST_CASE("ibert: every vector-file error message, each from its own file", "[ibert][vectors][errors]") {
    json golden;
    std::ifstream(k_vectors) >> golden;
    struct bad {
        const char* kernel;
        std::function<void(json& file, json& c)> edit;
        int rc;
        std::string message;  // in err (rc 2) or out (rc 1)
    };
    const bad cases[] = {
        {"i_sqrt", [](json& f, json&) { f["format_version"] = 2; }, 2, "'format_version' 2 is not supported (expected 1)"},
        {"i_sqrt", [](json& f, json&) { f["kernels"]["i_gelu"] = 5; }, 2, "kernels.i_gelu: expected a list of cases"},
        {"i_sqrt", [](json&, json& c) { c["n"] = "one"; }, 2, "'n': expected an integer in int64, got \"one\""},
        {"i_softmax", [](json&, json& c) { c["output_bit"] = 99; }, 2, "'output_bit': expected an integer in [0, 32], got 99"},
        {"requantize", [](json&, json& c) { c["clamp"] = 1; }, 2, "'clamp': expected true or false, got 1"},
        {"requantize", [](json&, json& c) { c["rounding"] = 5; }, 2, "'rounding': expected a string, got 5"},
        {"requantize", [](json&, json& c) { c["rounding"] = "up"; }, 2,
         "'rounding': expected \"half_even\", \"half_up\" or \"floor\", got \"up\""},
        {"requantize", [](json&, json& c) { c["identity"] = {1, 2}; c["identity_multiplier"] = 0.5; }, 2,
         "'identity': has 2 values but 'z_int' has 1"},
        {"i_layernorm", [](json&, json& c) { c["gamma_hex"] = json::array(); }, 2,
         "'gamma_hex': expected a list of 1 hex-float strings"},
        {"i_layernorm", [](json&, json& c) { c["gamma"] = {"a"}; c.erase("gamma_hex"); }, 2,
         "'gamma': element 0: expected a number, got \"a\""},
        {"i_layernorm", [](json&, json& c) { c["beta"] = {0.5, 0.5}; c.erase("beta_hex"); }, 2,
         "'gamma': gamma (1) and beta (2) must have one value per element of x_int (1)"},
        {"i_gelu", [](json&, json& c) { c["x_int"] = 5; }, 2, "'x_int': expected a list, got 5"},
        {"i_sqrt", [](json&, json& c) { c["x"] = {-1}; }, 2, "'x[0]': expected a non-negative integer below 2^64, got -1"},
        {"i_exp", [](json&, json& c) { c["scale_hex"] = 5; }, 2, "'scale_hex': expected a C99 hex-float string, got 5"},
        {"i_exp", [](json&, json& c) { c["scale_hex"] = "zz"; }, 2, "'scale_hex': not a hex-float string: \"zz\""},
        {"i_softmax", [](json&, json& c) { c["exp_act_bits"] = nullptr; }, 2, "'exp_act_max': expected null, got"},
        {"i_softmax", [](json&, json& c) { c["exp_act_max_is_default"] = false; c["exp_act_max"] = "big"; }, 2,
         "'exp_act_max': expected a positive number (int64 or float), got \"big\""},
        {"i_softmax", [](json&, json& c) { c["exp_act_max_is_default"] = false; c["exp_act_max"] = -3; }, 2,
         "'exp_act_max': must be positive (the reference rejects it), got -3"},
        {"i_exp", [](json&, json& c) { c["scale"] = -1.0; c.erase("scale_hex"); }, 2,
         "invalid input (the reference rejects it too): scaling factor must be a finite positive number"},
        {"i_sqrt", [](json& f, json& c) {
             for (int i = 0; i < 6; ++i) f["kernels"]["i_sqrt"].push_back(json{{"name", "m"}, {"n", 1}});
             (void)c;
         }, 2, "kernels.i_sqrt: 1 more malformed cases not shown"},
        {"i_sqrt", [](json&, json& c) { c["root"] = {7}; }, 1, "field 'root'[0]: expected 7, got 0"},
    };
    int n = 0;
    for (const bad& b : cases) {
        json c = golden["kernels"][b.kernel][0];
        json f = {{"format_version", 1}, {"bookkeeping", golden["bookkeeping"]}, {"kernels", {{b.kernel, json::array()}}}};
        b.edit(f, c);
        f["kernels"][b.kernel].insert(f["kernels"][b.kernel].begin(), c);
        const std::string path = k_tmp + "error_" + std::to_string(n++) + ".json";
        std::ofstream(path) << f.dump();
        std::ostringstream out, err;
        const int rc = dtq::ibert::run_vector_file(path, out, err);
        INFO(b.message << "\nout:\n" << out.str() << "err:\n" << err.str());
        CHECK(rc == b.rc);
        CHECK((b.rc == 2 ? err.str() : out.str()).find(b.message) != std::string::npos);
        if (b.rc == 2) CHECK(err.str().find("dtqvp: error: " + path) == 0);
    }
}
