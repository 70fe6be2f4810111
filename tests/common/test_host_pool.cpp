// The host thread pool (common/host_pool.h): every part runs once, on whatever thread, the
// lowest part's exception is the one rethrown, nested and concurrent callers run inline, and
// parallel_rows covers each row once in contiguous increasing ranges.
#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/host_pool.h"

using namespace dtq;

TEST_CASE("host_pool: run_parts runs each part once, for many rounds and part counts", "[common][pool]") {
    for (int round = 0; round < 300; ++round) {
        const unsigned parts = 1 + static_cast<unsigned>(round % 7);
        std::vector<int> hits(parts, 0);
        run_parts(parts, [&](unsigned p) { ++hits[p]; });  // each part writes only its own slot
        for (unsigned p = 0; p < parts; ++p) REQUIRE(hits[p] == 1);
    }
    run_parts(0, [](unsigned) { FAIL("no part to run"); });
}

TEST_CASE("host_pool: the lowest failing part's exception is rethrown, after every part ran", "[common][pool]") {
    for (unsigned parts : {2u, 3u, 5u}) {
        for (unsigned first_bad = 0; first_bad < parts; ++first_bad) {
            std::atomic<unsigned> ran{0};
            std::string what;
            try {
                run_parts(parts, [&](unsigned p) {
                    ++ran;
                    if (p >= first_bad) throw std::runtime_error("part " + std::to_string(p));
                });
            } catch (const std::runtime_error& e) {
                what = e.what();
            }
            CHECK(ran == parts);
            CHECK(what == "part " + std::to_string(first_bad));
        }
    }
}

TEST_CASE("host_pool: nested and concurrent calls run their parts (inline), results unchanged", "[common][pool]") {
    std::vector<std::vector<int>> out(3, std::vector<int>(4, 0));
    run_parts(3, [&](unsigned p) { run_parts(4, [&](unsigned q) { out[p][q] = static_cast<int>(10 * p + q); }); });
    for (unsigned p = 0; p < 3; ++p)
        for (unsigned q = 0; q < 4; ++q) CHECK(out[p][q] == static_cast<int>(10 * p + q));
    // two threads submit at once: one gets the pool, the other runs inline
    std::vector<uint64_t> a(5000, 0), b(5000, 0);
    std::thread other([&] { for (int k = 0; k < 50; ++k) parallel_rows(3, a.size(), 100, 1, [&](uint64_t r) { a[r] += r; }); });
    for (int k = 0; k < 50; ++k) parallel_rows(3, b.size(), 100, 1, [&](uint64_t r) { b[r] += r; });
    other.join();
    for (uint64_t r = 0; r < a.size(); ++r) {
        REQUIRE(a[r] == 50 * r);
        REQUIRE(b[r] == 50 * r);
    }
}

TEST_CASE("host_pool: parts_for and parallel_rows", "[common][pool]") {
    CHECK(parts_for(1, 1000, 1000, 1) == 1);
    CHECK(parts_for(4, 1, 1 << 20, 1) == 1);             // one row: one part
    CHECK(parts_for(4, 1000, 10, 16384) == 1);           // 10,000 elements: below one part's minimum
    CHECK(parts_for(4, 1000, 40, 16384) == 2);           // 40,000 / 16,384 = 2 parts
    CHECK(parts_for(2, 128, 768, 16384) == 2);           // capped by the threads
    CHECK(parts_for(8, 3, 1 << 20, 16384) == 3);         // capped by the rows
    // each row once; rows of one part's range [1001 p / 3, 1001 (p + 1) / 3) run in increasing order
    std::vector<std::atomic<int>> seen(1001);
    std::vector<uint64_t> seq(1001, 0);
    std::atomic<uint64_t> clock{0};
    REQUIRE(parts_for(3, 1001, 100000, 1) == 3);
    parallel_rows(3, 1001, 100000, 1, [&](uint64_t r) {
        ++seen[r];
        seq[r] = clock++;
    });
    for (uint64_t r = 0; r < 1001; ++r) REQUIRE(seen[r] == 1);
    for (uint64_t p = 0; p < 3; ++p)
        for (uint64_t r = 1001 * p / 3 + 1; r < 1001 * (p + 1) / 3; ++r) REQUIRE(seq[r - 1] < seq[r]);
}
