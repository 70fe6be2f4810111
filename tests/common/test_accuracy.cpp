// The accuracy helper (models/common/accuracy.h) on numbers computed by hand.
#include <catch2/catch.hpp>

#include <cmath>

#include "common/accuracy.h"

TEST_CASE("accuracy: mean and max abs error and cosine by hand", "[accuracy]") {
    const std::vector<int32_t> ref{1, 2, 3};
    const std::vector<float> test{1.0f, 2.0f, 5.0f};
    const dtq::error_stats s = dtq::compare(ref, test);
    CHECK(s.n == 3);
    CHECK(s.mean_abs == Approx(2.0 / 3.0).epsilon(1e-15));
    CHECK(s.max_abs == 2.0);
    CHECK(s.ref_max_abs == 3.0);
    // <ref, test> = 1 + 4 + 15 = 20; |ref| = sqrt(14); |test| = sqrt(30).
    CHECK(s.cosine == Approx(20.0 / std::sqrt(420.0)).epsilon(1e-15));
}

TEST_CASE("accuracy: equal and opposite vectors and the zero cases", "[accuracy]") {
    const std::vector<int64_t> a{-5, 7, 0, 1000000000000};
    CHECK(dtq::compare(a, a).cosine == Approx(1.0).epsilon(1e-15));
    CHECK(dtq::compare(a, a).max_abs == 0.0);
    std::vector<int64_t> neg(a);
    for (auto& v : neg) v = -v;
    CHECK(dtq::compare(a, neg).cosine == Approx(-1.0).epsilon(1e-15));
    const std::vector<double> z(4, 0.0);
    CHECK(dtq::compare(z, z).cosine == 1.0);
    CHECK(dtq::compare(z, a).cosine == 0.0);
    CHECK(dtq::compare(a, z).cosine == 0.0);
    CHECK(dtq::compare(std::vector<double>{}, std::vector<double>{}).n == 0);
    CHECK_THROWS_AS(dtq::compare(a, std::vector<double>(3)), std::invalid_argument);
}

TEST_CASE("accuracy: an accumulator over several calls equals one comparison", "[accuracy]") {
    const std::vector<double> r{0.5, -1.5, 2.25, 8.0, -3.0}, t{0.25, -1.0, 2.0, 9.0, -3.5};
    dtq::error_accumulator acc;
    acc.add(r.data(), t.data(), 2);
    acc.add(r.data() + 2, t.data() + 2, 3);
    const dtq::error_stats a = acc.stats(), b = dtq::compare(r, t);
    CHECK(a.n == b.n);
    CHECK(a.mean_abs == b.mean_abs);
    CHECK(a.max_abs == b.max_abs);
    CHECK(a.cosine == b.cosine);
    CHECK(a.max_abs == 1.0);
    CHECK(a.mean_abs == Approx((0.25 + 0.5 + 0.25 + 1.0 + 0.5) / 5).epsilon(1e-15));
}
