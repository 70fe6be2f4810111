// .npy reader against files written by numpy (tests/common/make_npy.py), and round trips.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>

#include "common/npy.h"

using dtq::npy_error;
using dtq::read_npy;

namespace {
std::string dir() {
    const std::string d = DTQ_BINARY_DIR "/tests/common/npy";
    // The fixture writes them under ctest; make them here when the test runs alone.
    if (std::system(("test -f " + d + "/i8.npy || " DTQ_PYTHON " " DTQ_SOURCE_DIR "/tests/common/make_npy.py " + d + " > /dev/null").c_str()) != 0)
        FAIL("cannot create the numpy files (python3 with numpy needed)");
    return d;
}
}  // namespace

TEST_CASE("npy: int8, int32, float32 written by numpy read back exactly", "[npy]") {
    const auto a = read_npy(dir() + "/i8.npy", "int8", {3, 4});
    CHECK(a.elements() == 12);
    CHECK(a.as<int8_t>()[0] == -6);
    CHECK(a.as<int8_t>()[11] == 5);
    const auto b = read_npy(dir() + "/i32.npy", "int32", {1, 3});
    CHECK(b.as<int32_t>()[0] == INT32_MIN);
    CHECK(b.as<int32_t>()[1] == INT32_MAX);
    CHECK(b.as<int32_t>()[2] == 7);
    const auto c = read_npy(dir() + "/f32.npy", "float32", {2});
    CHECK(c.as<float>()[0] == 0.5f);
    CHECK(c.as<float>()[1] == -1.25f);
    const auto s = read_npy(dir() + "/scalar.npy", "int32", {});
    CHECK(s.shape.empty());
    CHECK(s.as<int32_t>()[0] == 5);
}

TEST_CASE("npy: wrong dtype, shape, byte order, order, truncation give clear errors", "[npy]") {
    const std::string d = dir();
    CHECK_THROWS_WITH(read_npy(d + "/i8.npy", "int32", {}), Catch::EndsWith("i8.npy: dtype int8, expected int32"));
    CHECK_THROWS_WITH(read_npy(d + "/i8.npy", "int8", {4, 3}), Catch::EndsWith("i8.npy: shape (3, 4), expected (4, 3)"));
    CHECK_THROWS_WITH(read_npy(d + "/f64.npy"), Catch::Contains("dtype '<f8' is not supported"));
    CHECK_THROWS_WITH(read_npy(d + "/big.npy"), Catch::Contains("dtype '>i4' is not supported"));
    CHECK_THROWS_WITH(read_npy(d + "/fortran.npy"), Catch::Contains("Fortran-order"));
    CHECK_THROWS_WITH(read_npy(d + "/truncated.npy"),
                      Catch::Contains("truncated body: shape (3, 4) of int8 needs 12 bytes, the file has 7"));
    CHECK_THROWS_WITH(read_npy(d + "/notnpy.npy"), Catch::Contains("not a .npy file"));
    CHECK_THROWS_WITH(read_npy(d + "/missing.npy"), Catch::Contains("missing.npy: cannot open"));
}

TEST_CASE("npy: write then read round-trips", "[npy]") {
    const std::string p = DTQ_BINARY_DIR "/tests/common/roundtrip.npy";
    const int32_t v[6] = {1, -2, 3, -4, 5, -6};
    dtq::write_npy(p, "int32", {2, 3}, v);
    const auto a = read_npy(p, "int32", {2, 3});
    for (int i = 0; i < 6; ++i) CHECK(a.as<int32_t>()[i] == v[i]);
    const int8_t w[3] = {-128, 0, 127};
    dtq::write_npy(p, "int8", {3}, w);
    const auto b = read_npy(p, "int8", {3});
    CHECK(b.as<int8_t>()[0] == -128);
    CHECK(b.as<int8_t>()[2] == 127);
}

namespace {
// A .npy file from raw parts: magic + version, header length field, header text, body.
std::string npy_file(int major, const std::string& header, const std::string& body = "", long hlen = -1) {
    std::string s = "\x93NUMPY";
    s += static_cast<char>(major);
    s += '\0';
    const uint64_t n = hlen < 0 ? header.size() : static_cast<uint64_t>(hlen);
    const int len_bytes = major == 1 ? 2 : 4;
    for (int i = 0; i < len_bytes; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
    return s + header + body;
}
std::string put(const std::string& name, const std::string& bytes) {
    const std::string p = DTQ_BINARY_DIR "/tests/common/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
}
}  // namespace

TEST_CASE("npy: every header, body and write error names the file and the problem", "[npy][errors]") {
    const std::string ok_dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
    struct bad {
        const char* name;
        std::string bytes;
        std::string message;
    };
    const bad cases[] = {
        {"no_descr.npy", npy_file(1, "{'fortran_order': False, 'shape': (2,), }"), "npy header has no 'descr'"},
        {"no_value.npy", npy_file(1, "{'descr'"), "npy header: 'descr' has no value"},
        {"open_shape.npy", npy_file(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, "), "npy header: unterminated shape"},
        {"short1.npy", std::string("\x93NUMPY\x01\x00\x10", 9), "truncated header"},
        {"short2.npy", std::string("\x93NUMPY\x02\x00\x10\x00", 10), "truncated header"},
        {"short_header.npy", npy_file(1, ok_dict, "", 500), "truncated header"},
        {"v4.npy", npy_file(4, ok_dict), "unsupported .npy format version 4"},
        {"huge_header.npy", npy_file(2, ok_dict, "", 1 << 21), "header of 2097152 bytes is implausible"},
        {"overflow.npy", npy_file(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999999,), }"),
         "overflows"},
        {"bad_shape.npy", npy_file(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (a,), }"), "bad shape (a,)"},
        {"too_large.npy", npy_file(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1000000, 1000000, 1000), }"),
         "shape (1000000, 1000000, 1000) is too large"},
        {"short_body.npy", npy_file(1, ok_dict, "abc"), "truncated body: shape (2) of int32 needs 8 bytes, the file has 3"},
    };
    for (const bad& b : cases) {
        const std::string p = put(b.name, b.bytes);
        INFO(b.name);
        CHECK_THROWS_WITH(read_npy(p), Catch::StartsWith(p + ": ") && Catch::Contains(b.message));
    }
    const int32_t v[2] = {1, 2};
    CHECK_THROWS_WITH(dtq::write_npy("/nonexistent/x.npy", "int32", {2}, v), "/nonexistent/x.npy: cannot write");
    CHECK_THROWS_WITH(dtq::write_npy("/dev/full", "int32", {2}, v), "/dev/full: write error");
    CHECK_THROWS_WITH(dtq::write_npy(DTQ_BINARY_DIR "/tests/common/f64.npy", "float64", {2}, v),
                      "write_npy: unsupported dtype float64");
}

TEST_CASE("fuzz: 5000 mutated .npy files read or fail with an npy_error", "[fuzz][npy]") {
    std::vector<std::string> seeds;
    const int32_t v[6] = {1, -2, 3, -4, 5, -6};
    const std::string sp = DTQ_BINARY_DIR "/tests/common/fuzz_seed.npy";
    for (const char* dt : {"int8", "int32", "float32"}) {
        dtq::write_npy(sp, dt, {2, 3}, v);
        std::ifstream f(sp, std::ios::binary);
        seeds.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    std::mt19937_64 rng(99);
    int ok = 0, rejected = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 5000; ++i) {
        std::string s = seeds[rng() % seeds.size()];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            const size_t at = rng() % s.size();
            switch (rng() % 4) {
                case 0: s[at] = static_cast<char>(rng()); break;
                case 1: s.erase(at, 1 + rng() % 4); break;
                case 2: s.insert(at, std::string(1 + rng() % 3, "0123456789(),' :"[rng() % 16])); break;
                default: s.resize(at); break;
            }
            if (s.empty()) s = "x";
        }
        const std::string p = put("fuzz.npy", s);
        try {
            const auto a = read_npy(p);
            CHECK(a.data.size() == a.elements() * (a.dtype == "int8" ? 1 : 4));
            ++ok;
        } catch (const npy_error& e) {
            REQUIRE(std::string(e.what()).rfind(p + ": ", 0) == 0);
            ++rejected;
        }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("fuzz: 5000 mutated .npy files in " << s << " s: " << ok << " read, " << rejected << " rejected");
    CHECK(ok > 100);
    CHECK(rejected > 1000);
}
