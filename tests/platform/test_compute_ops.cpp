// The GEMM command's 4-bit operands (docs/vsquant.md#in-the-platform) through compute_ops
// on a small bench (bus, DRAM, scratchpad, accumulator, DMA), driven through its sockets:
// the test writes A, B (packed by its own code), the precision list and, for VS-Quant, the
// b_scales blob, runs one command and checks C against models/vsquant's reference GEMM
// (VS-Quant rows) or plain loops written here, and the VS-Quant PE's extra cycle per tile
// and scale bytes by hand. One elaboration per TEST_CASE.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <functional>

#include "apps.h"
#include "dtq_driver.h"
#include "memory/bus.h"
#include "memory/dram.h"
#include "memory/local_memory.h"
#include "platform/compute_ops.h"
#include "vsquant/vsquant.h"

using namespace dtq;

namespace {

struct gemm_bench : sc_core::sc_module {
    dtq::clock clk;
    bus_config bcfg;
    dram_config dcfg;
    local_memory_config scfg{256 << 10, 16, 1}, acfg{128 << 10, 64, 1};
    dma_config mcfg;
    dtq::bus bus;
    dtq::dram dram;
    local_memory scratchpad, accumulator;
    dtq::dma dma;
    compute_ops ops;
    std::vector<command> cmds;
    std::vector<command_outcome> outcomes;
    std::vector<compute_report> reports;

    static dram_config small_dram() {
        dram_config d;
        d.size = 16 << 20;
        return d;
    }
    static compute_ops_config ops_cfg() {
        compute_ops_config c;
        c.vssa.rows = 4;
        c.vssa.cols = 4;
        c.vssa.arrays = 1;
        c.scratchpad_base = DTQ_SCRATCHPAD_BASE;
        c.scratchpad_size = 256 << 10;
        c.accumulator_base = DTQ_ACCUMULATOR_BASE;
        c.accumulator_size = 128 << 10;
        c.dram_base = DTQ_DRAM_BASE;
        c.dram_size = 16 << 20;
        return c;
    }

    SC_HAS_PROCESS(gemm_bench);
    explicit gemm_bench(const sc_core::sc_module_name& n)
        : sc_module(n), dcfg(small_dram()), bus("bus", bcfg, clk), dram("dram", dcfg, clk),
          scratchpad("scratchpad", scfg, clk), accumulator("accumulator", acfg, clk), dma("dma", mcfg, clk),
          ops("ops", ops_cfg(), dma, clk) {
        bus.map("scratchpad", DTQ_SCRATCHPAD_BASE, scfg.size);
        bus.map("accumulator", DTQ_ACCUMULATOR_BASE, acfg.size);
        bus.map("dram", DTQ_DRAM_BASE, dcfg.size);
        bus.out.bind(scratchpad.in);
        bus.out.bind(accumulator.in);
        bus.out.bind(dram.in);
        dma.mem.bind(bus.in);
        ops.mem.bind(bus.in);
        SC_THREAD(run);
    }
    void run() {
        for (command c : cmds) {
            c.start_cycle = clk.now();
            outcomes.push_back(ops.gemm(c));
            reports.push_back(ops.last());
        }
    }
    void poke(uint64_t addr, const void* p, uint64_t n) { dram.poke(addr - DTQ_DRAM_BASE, p, n); }
    std::vector<int32_t> peek32(uint64_t addr, uint64_t n) {
        std::vector<int32_t> v(n);
        dram.peek(addr - DTQ_DRAM_BASE, v.data(), n * 4);
        return v;
    }
    void add(const dtq_cmd& d) {
        command c;
        std::memcpy(c.raw.data(), &d, sizeof d);
        c.opcode = d.opcode;
        cmds.push_back(c);
    }
};

// Independent little generator.
struct lcg {
    uint64_t s;
    int next(int lo, int hi) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return lo + static_cast<int>((s >> 33) % static_cast<uint64_t>(hi - lo + 1));
    }
};

// Two 4-bit codes per byte along K, element 2i in the low nibble (the test's own packing).
std::vector<uint8_t> pack4(const std::vector<int8_t>& codes, uint64_t n, uint64_t k) {
    const uint64_t row = (k + 1) / 2;
    std::vector<uint8_t> p(n * row, 0);
    for (uint64_t j = 0; j < n; ++j)
        for (uint64_t i = 0; i < k; ++i) p[j * row + i / 2] |= static_cast<uint8_t>((codes[j * k + i] & 0xF) << (4 * (i % 2)));
    return p;
}

// The per-tensor 4-bit code: round half to even of x / 16, clamped to [-8, 7].
int8_t code4(int x) {
    const double r = std::nearbyint(static_cast<double>(x) / 16.0);  // default rounding mode: ties to even
    return static_cast<int8_t>(std::clamp(static_cast<int>(r), -8, 7));
}

// round half to even of num / den (den > 0), written here with long division on __int128.
int64_t rne(__int128 num, __int128 den) {
    __int128 q = num / den, r = num % den;
    if (r < 0) q -= 1, r += den;
    if (2 * r > den || (2 * r == den && (q % 2 != 0))) q += 1;
    return static_cast<int64_t>(q);
}

constexpr uint64_t M = 13, N = 10, K = 72;  // K = 4 vectors of 16 and one of 8
constexpr uint64_t A_AT = DTQ_DRAM_BASE + 0x10000, B_AT = A_AT + 0x10000, C_AT = B_AT + 0x10000;
constexpr uint64_t P_AT = C_AT + 0x10000, S_AT = P_AT + 0x1000;

struct operands {
    std::vector<int8_t> a, b;   // M x K, N x K int8
    std::vector<uint8_t> bits;  // M: 0 / 4 / 8
};

operands make_operands(uint64_t seed) {
    operands o;
    lcg g{seed};
    o.a.resize(M * K);
    o.b.resize(N * K);
    for (uint64_t i = 0; i < M; ++i)
        for (uint64_t k = 0; k < K; ++k) o.a[i * K + k] = static_cast<int8_t>(k % 23 == 3 ? g.next(-127, 127) : g.next(-20, 20));
    for (auto& x : o.b) x = static_cast<int8_t>(g.next(-128, 127));
    o.bits = {4, 8, 0, 4, 4, 8, 4, 0, 8, 4, 4, 8, 4};
    return o;
}

}  // namespace

TEST_CASE("GEMM command with VS-Quant operands equals the vsquant reference GEMM", "[compute][vsquant]") {
    const operands o = make_operands(11);
    const vsquant::config vc;  // V 16, M 8 (the compute_ops default)
    // B offline as the loader does it: per-channel VS-Quant codes, 8-bit scales, channel maxima.
    const vsquant::tensor tw = vsquant::quantize_weights(o.b.data(), N, K, 1.0, vc);
    std::vector<uint32_t> amax(N, 0);
    for (uint64_t j = 0; j < N; ++j)
        for (uint64_t k = 0; k < K; ++k) amax[j] = std::max<uint32_t>(amax[j], static_cast<uint32_t>(std::abs(o.b[j * K + k])));
    std::vector<uint8_t> blob(N * 4);
    std::memcpy(blob.data(), amax.data(), N * 4);
    for (uint16_t s : tw.s) blob.push_back(static_cast<uint8_t>(s));  // M = 8: one byte per scale, 5 per channel

    gemm_bench b("b");
    b.poke(A_AT, o.a.data(), o.a.size());
    const std::vector<uint8_t> packed = pack4(tw.q, N, K), packed16 = [&] {
        std::vector<int8_t> c16(N * K);
        for (uint64_t i = 0; i < N * K; ++i) c16[i] = code4(o.b[i]);
        return pack4(c16, N, K);
    }();
    b.poke(B_AT, packed.data(), packed.size());
    b.poke(B_AT + 0x8000, packed16.data(), packed16.size());
    b.poke(P_AT, o.bits.data(), M);
    b.poke(S_AT, blob.data(), blob.size());
    dtq_cmd d;
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT, P_AT, M, N, K);
    d.u.gemm.layout = DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ;
    d.u.gemm.b_scales = S_AT;
    b.add(d);
    dtq_cmd_gemm(&d, A_AT, B_AT + 0x8000, C_AT + 0x8000, P_AT, M, N, K);  // the same, per tensor (x16 codes)
    d.u.gemm.layout = DTQ_GEMM_B_4BIT;
    b.add(d);
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 2);
    REQUIRE(b.outcomes[0].error == regs::err::NONE);
    REQUIRE(b.outcomes[1].error == regs::err::NONE);

    // Expected, VS-Quant: the 4-bit rows through vsquant::quantize_activations and
    // vsquant::gemm (the library's reference), the 8-bit rows against the weights' codes x
    // scales by plain loops; each result x gamma_a gamma_w / (S_a S_w) = (127 / 1785) x
    // (A_n / 1785) per VS-Quant side, rounded half to even.
    std::vector<uint64_t> rows4;
    std::vector<int8_t> a4;
    for (uint64_t i = 0; i < M; ++i)
        if (o.bits[i] == 4) {
            rows4.push_back(i);
            a4.insert(a4.end(), &o.a[i * K], &o.a[i * K] + K);
        }
    const vsquant::tensor ta = vsquant::quantize_activations(a4.data(), rows4.size(), K, 1.0, vc);
    const std::vector<int64_t> acc4 = vsquant::gemm(ta, tw);
    std::vector<int32_t> want(M * N, 0);
    for (size_t r = 0; r < rows4.size(); ++r)
        for (uint64_t j = 0; j < N; ++j) want[rows4[r] * N + j] = static_cast<int32_t>(rne(__int128{acc4[r * N + j]} * 127 * amax[j], 1785 * 1785));
    for (uint64_t i = 0; i < M; ++i) {
        if (o.bits[i] != 8) continue;
        for (uint64_t j = 0; j < N; ++j) {
            int64_t acc = 0;
            for (uint64_t k = 0; k < K; ++k) acc += int64_t{o.a[i * K + k]} * tw.q[j * K + k] * tw.scale(j, k / 16);
            want[i * N + j] = static_cast<int32_t>(rne(__int128{acc} * amax[j], 1785));
        }
    }
    const std::vector<int32_t> got = b.peek32(C_AT, M * N);
    CHECK(got == want);
    // not trivially equal: the 4-bit and 8-bit rows have results, pruned rows are 0
    CHECK(std::count(got.begin(), got.end(), 0) < static_cast<long>(2 * N + 4));

    // Per tensor: codes x16 per 4-bit side.
    std::vector<int32_t> want16(M * N, 0);
    for (uint64_t i = 0; i < M; ++i)
        for (uint64_t j = 0; j < N; ++j) {
            if (o.bits[i] == 0) continue;
            int64_t acc = 0;
            for (uint64_t k = 0; k < K; ++k) {
                const int64_t av = o.bits[i] == 4 ? code4(o.a[i * K + k]) * 16 : o.a[i * K + k];
                acc += av * (code4(o.b[j * K + k]) * 16);
            }
            want16[i * N + j] = static_cast<int32_t>(acc);
        }
    CHECK(b.peek32(C_AT + 0x8000, M * N) == want16);
    CHECK(want16 != want);

    // Timing by hand: one block, one k-step; 11 active rows (2 pruned) on a 4 x 4 array:
    // 3 row tiles x 3 column tiles = 9 tiles, each one scale-stage cycle longer (the tile
    // model is otherwise the same: identical precisions in both commands).
    CHECK(b.reports[0].tiles == 9);
    CHECK(b.reports[0].busy_vssa == b.reports[1].busy_vssa + 9 * vsquant::SCALE_STAGES);
    // DRAM bytes: A 13 x 72, B 10 x 36 packed codes, plus (VS-Quant) 10 x 5 scale bytes and
    // 10 channel maxima of 4 bytes; C 13 x 10 int32 written.
    CHECK(b.reports[1].dram_read == M * K + N * K / 2);
    CHECK(b.reports[0].dram_read == M * K + N * K / 2 + N * 5 + N * 4);
    CHECK(b.reports[0].dram_written == M * N * 4);
}

TEST_CASE("GEMM command with VS-Quant rows against an int8 B", "[compute][vsquant]") {
    // VSQ without B_4BIT: only A's 4-bit rows are VS-Quant, B stays int8 (scale 1): a
    // 4-bit row's result is (sum_v s_a dot_v) x 127 / 1785, rounded.
    const operands o = make_operands(23);
    gemm_bench b("b");
    b.poke(A_AT, o.a.data(), o.a.size());
    b.poke(B_AT, o.b.data(), o.b.size());
    b.poke(P_AT, o.bits.data(), M);
    dtq_cmd d;
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT, P_AT, M, N, K);
    d.u.gemm.layout = DTQ_GEMM_VSQ;
    b.add(d);
    sc_core::sc_start();
    REQUIRE(b.outcomes.at(0).error == regs::err::NONE);
    const vsquant::config vc;
    std::vector<int32_t> want(M * N, 0);
    for (uint64_t i = 0; i < M; ++i) {
        if (o.bits[i] == 0) continue;
        const vsquant::tensor ta = vsquant::quantize_activations(&o.a[i * K], 1, K, 1.0, vc);
        for (uint64_t j = 0; j < N; ++j) {
            int64_t acc = 0;
            for (uint64_t k = 0; k < K; ++k)
                acc += o.bits[i] == 4 ? int64_t{ta.q[k]} * ta.scale(0, k / 16) * o.b[j * K + k] : int64_t{o.a[i * K + k]} * o.b[j * K + k];
            want[i * N + j] = static_cast<int32_t>(o.bits[i] == 4 ? rne(__int128{acc} * 127, 1785) : acc);
        }
    }
    CHECK(b.peek32(C_AT, M * N) == want);
}

TEST_CASE("GEMM command VS-Quant rejects a channel maximum above 128", "[compute][vsquant]") {
    const operands o = make_operands(5);
    gemm_bench b("b");
    std::vector<uint8_t> blob(N * 4 + N * 5, 1);
    const uint32_t bad = 129;
    std::memcpy(&blob[4 * 3], &bad, 4);  // column 3
    for (uint32_t j = 0; j < N; ++j)
        if (j != 3) std::memcpy(&blob[4 * j], &j, 4);
    b.poke(A_AT, o.a.data(), o.a.size());
    b.poke(S_AT, blob.data(), blob.size());
    dtq_cmd d;
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT, 0, M, N, K);
    d.u.gemm.layout = DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ;
    d.u.gemm.b_scales = S_AT;
    b.add(d);
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 1);
    CHECK(b.outcomes[0].error == regs::err::UNIT_ERROR);
    CHECK(b.outcomes[0].error_address == S_AT + 12);
    CHECK(b.ops.last_error().find("channel maximum of B column 3 is 129") != std::string::npos);
}
