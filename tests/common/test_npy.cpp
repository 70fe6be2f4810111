// .npy reader against files written by numpy (tests/common/make_npy.py), and round trips.
#include <catch2/catch.hpp>

#include <cstdlib>

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
