// Outputs (#26): the summary's number format, the progress line's text, the trace's lanes and
// bandwidth counter, against values worked out by hand here.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>

#include "common/trace.h"
#include "platform/frontend/progress.h"
#include "platform/frontend/report.h"

using dtq::format_value;

TEST_CASE("summary values: counts as plain digits, ratios with 4 decimals", "[outputs]") {
    CHECK(format_value(26810, "cycles") == "26810");
    CHECK(format_value(26810.5, "cycles") == "26810.5");      // a mean of cycles: no 2.681e+04
    CHECK(format_value(118700000.56, "cycles") == "118700000.6");
    CHECK(format_value(262144, "bytes") == "262144");
    CHECK(format_value(0.103034, "ratio") == "0.1030");
    CHECK(format_value(1.2545943, "x") == "1.255");
}

TEST_CASE("progress line text: phase, percentage, cycles, elapsed, time left", "[outputs]") {
    CHECK(dtq::progress_line::format("gpt2", "prefill layer 3/12", 0.25, 1234, 2.0, 6.0) ==
          "[gpt2] prefill layer 3/12   25.0%  1234 cycles  2.0 s, about 6 s left");
    CHECK(dtq::progress_line::format("gpt2", "set-up", -1, 0, 0.5, -1) == "[gpt2] set-up  0.5 s");
    CHECK(dtq::progress_line::format("m", "decode token 2/8, layer 1/12", 0.5, 10, 90, 90) ==
          "[m] decode token 2/8, layer 1/12   50.0%  10 cycles  90.0 s, about 1.5 min left");
}

TEST_CASE("trace: overlapping spans on lanes, bandwidth counter per bin", "[outputs]") {
    auto& t = dtq::trace::global();
    t.enable(1000, 1000);  // 1 ns cycles: ts in us = cycle / 1000
    t.span("u", "a", 0, 10);
    t.span("u", "b", 5, 15);   // overlaps a: a second lane
    t.span("u", "c", 10, 20);  // starts when a ends: back on the first lane
    t.span("u", "d", 12, 14);  // inside c and b: a third lane (lanes hold disjoint spans)
    // 300 bytes over cycles [50, 350): 1 B/cycle, bins of 100 cycles get 50, 100, 100, 50 bytes.
    t.transfer("mem", 50, 350, 300);
    const std::string path = "test_outputs_trace.json";
    REQUIRE_NOTHROW(t.write(path));
    nlohmann::json j;
    std::ifstream(path) >> j;
    std::remove(path.c_str());
    std::map<int, std::string> names;
    for (const auto& e : j["traceEvents"])
        if (e["name"] == "thread_name") names[e["tid"].get<int>()] = e["args"]["name"].get<std::string>();
    std::map<std::string, std::string> lane_of;  // span -> thread name
    std::vector<std::pair<std::string, double>> rate;
    for (const auto& e : j["traceEvents"]) {
        if (e["ph"] == "X") lane_of[e["name"].get<std::string>()] = names[e["tid"].get<int>()];
        if (e["ph"] == "C" && e["name"] == "bandwidth")
            rate.push_back({names[e["tid"].get<int>()] + "@" + std::to_string(e["ts"].get<double>()),
                            e["args"]["bytes/cycle"].get<double>()});
    }
    CHECK(lane_of["a"] == "u");
    CHECK(lane_of["c"] == "u");
    CHECK(lane_of["b"] == "u #2");
    CHECK(lane_of["d"] == "u #3");
    REQUIRE(rate.size() == 5);  // bins 0..3 and the 0 after the last
    CHECK(rate[0].second == 0.5);
    CHECK(rate[1].second == 1.0);
    CHECK(rate[2].second == 1.0);
    CHECK(rate[3].second == 0.5);
    CHECK(rate[4].second == 0.0);
    CHECK(rate[0].first == "mem@0.000000");
    CHECK(rate[4].first == "mem@0.400000");  // the end of bin 3: cycle 400
}
