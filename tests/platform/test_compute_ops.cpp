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
#include "memory_side.h"
#include "platform/sequencer/compute_ops.h"
#include "decompressor/wcomp.h"
#include "vssa/engine.h"
#include "vsquant/vsquant.h"

using namespace dtq;

namespace {

struct gemm_bench : sc_core::sc_module, test::memory_side {
    compute_ops ops;
    compute_ops ops2;  // the same units with a two-direction accessible scratchpad
    std::vector<command> cmds;
    std::vector<bool> on2;  // per command: run on ops2
    std::vector<command_outcome> outcomes;
    std::vector<compute_report> reports;

    static compute_ops_config ops_cfg(uint64_t decompressor_bpc, bool two_direction = false,
                                      uint64_t scratchpad_window = 256 << 10) {
        compute_ops_config c;
        c.two_direction = two_direction;
        c.decompressor.bytes_per_cycle = decompressor_bpc;
        c.vssa.rows = 4;
        c.vssa.cols = 4;
        c.vssa.arrays = 1;
        set_windows(c);
        c.scratchpad_size = scratchpad_window;  // the GEMM blocks to a quarter of it
        return c;
    }

    SC_HAS_PROCESS(gemm_bench);
    explicit gemm_bench(const sc_core::sc_module_name& n, uint64_t decompressor_bpc = 64,
                        uint64_t scratchpad_window = 256 << 10)
        : sc_module(n), ops("ops", ops_cfg(decompressor_bpc, false, scratchpad_window), dma, scratchpad, clk),
          ops2("ops2", ops_cfg(decompressor_bpc, true, scratchpad_window), dma, scratchpad, clk) {
        ops.mem.bind(bus.in);
        ops2.mem.bind(bus.in);
        SC_THREAD(run);
    }
    void run() {
        for (size_t i = 0; i < cmds.size(); ++i) {
            command c = cmds[i];
            compute_ops& o = i < on2.size() && on2[i] ? ops2 : ops;
            c.start_cycle = clk.now();
            outcomes.push_back(c.opcode == DTQ_OP_GEMM ? o.gemm(c) : o.vector(c));
            reports.push_back(o.last());
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

// ---- NM24 compressed weights (GEMM layout.WCOMP, docs/compression.md) -------------------

TEST_CASE("GEMM command with NM24 weights equals the reference GEMM on W' and moves the compressed bytes", "[compute][wcomp]") {
    constexpr uint64_t m = 4, n = 8, k = 64;
    lcg g{5};
    std::vector<int8_t> a(m * k), w(n * k);
    for (auto& x : a) x = static_cast<int8_t>(g.next(-128, 127));
    for (auto& x : w) x = static_cast<int8_t>(g.next(-128, 127));
    const std::vector<uint8_t> img = wcomp::compress(w.data(), n, k, 0.5);
    // 4 rows 8-bit (8 chunks of 5 bytes), 4 rows 4-bit (8 chunks of 3 bytes), 8 table entries
    REQUIRE(img.size() == 8 * 4 + 4 * 40 + 4 * 24);
    gemm_bench b("b");
    b.poke(A_AT, a.data(), a.size());
    b.poke(B_AT, img.data(), img.size());
    dtq_cmd d;
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT, 0, m, n, k);
    d.u.gemm.layout = DTQ_GEMM_WCOMP;
    b.add(d);
    // the same image with row 3's table entry pointing elsewhere: a UNIT_ERROR at that entry
    std::vector<uint8_t> bad = img;
    bad[12] ^= 1;
    b.poke(B_AT + 0x8000, bad.data(), bad.size());
    dtq_cmd_gemm(&d, A_AT, B_AT + 0x8000, C_AT + 0x8000, 0, m, n, k);
    d.u.gemm.layout = DTQ_GEMM_WCOMP;
    b.add(d);
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 2);
    REQUIRE(b.outcomes[0].error == regs::err::NONE);
    CHECK(b.outcomes[1].error == regs::err::UNIT_ERROR);
    CHECK(b.outcomes[1].error_address == B_AT + 0x8000 + 12);

    const std::vector<int8_t> wp = wcomp::represented(w.data(), n, k, 0.5);
    std::vector<int32_t> want(m * n);
    for (uint64_t i = 0; i < m; ++i)
        for (uint64_t j = 0; j < n; ++j) {
            int64_t s = 0;
            for (uint64_t x = 0; x < k; ++x) s += int64_t{a[i * k + x]} * wp[j * k + x];
            want[i * n + j] = static_cast<int32_t>(s);
        }
    CHECK(b.peek32(C_AT, m * n) == want);
    // DRAM bytes by hand: one block (mb 4, nb 8, kb 64): A 4 x 64, the NM24 image (table 32 +
    // rows 256), C 4 x 8 int32
    const compute_report& r = b.reports[0];
    CHECK(r.dram_read == 256 + 32 + 256);
    CHECK(r.dram_written == 128);
    CHECK(r.wcomp_in == 32 + 256);
    CHECK(r.wcomp_out == 8 * 64);
    CHECK(r.wcomp_busy == 4 + 512 / 64);  // latency 4 + 512 dense bytes at 64 B/cycle
}

TEST_CASE("GEMM command with NM24 weights waits for a slow decompressor", "[compute][wcomp]") {
    // 1 dense byte per cycle: the B panel (8 x 64 = 512 bytes) is ready 4 + 512 cycles after
    // its load starts (the table read's end), far later than its DMA: compute starts then.
    constexpr uint64_t m = 4, n = 8, k = 64;
    std::vector<int8_t> a(m * k, 3), w(n * k, -7);
    const std::vector<uint8_t> img = wcomp::compress(w.data(), n, k, 1.0);
    gemm_bench b("b", 1);
    b.poke(A_AT, a.data(), a.size());
    b.poke(B_AT, img.data(), img.size());
    dtq_cmd d;
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT, 0, m, n, k);
    d.u.gemm.layout = DTQ_GEMM_WCOMP;
    b.add(d);
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 1);
    REQUIRE(b.outcomes[0].error == regs::err::NONE);
    const compute_report& r = b.reports[0];
    CHECK(r.wcomp_busy == 4 + 512);
    // the VSSA's cycles for the 4 x 8 x 64 block on the 4 x 4 array, 8-bit x 8-bit
    vssa::gemm_op op;
    op.M = m;
    op.N = n;
    op.K = k;
    op.row_bits.assign(m, 8);
    op.col_bits.assign(n, 8);
    const uint64_t vssa_cycles = vssa::run_gemm(gemm_bench::ops_cfg(1).vssa, op).cycles;
    CHECK(r.busy_vssa == vssa_cycles);
    // table read (ends at t_table), then load-bound by the decompressor: compute starts at
    // t_table + 516; the end is that plus the VSSA and the store. The store of 128 bytes takes
    // the same time whatever cycle it starts at (an idle memory system).
    CHECK(r.wcomp_delay > 0);
    CHECK(r.end - r.start >= 516 + vssa_cycles);
    std::vector<int32_t> want(m * n, 0);
    // every weight -7, kept 2 of 4, all rows 4-bit: s = 1 (ceil(7 / 7)), code -7: W' = -7 on kept
    for (uint64_t i = 0; i < m * n; ++i) want[i] = 3 * -7 * static_cast<int32_t>(k / 2);
    CHECK(b.peek32(C_AT, m * n) == want);
}

// ---- two-direction accessible scratchpad (buffer.two_direction, docs/timing-model.md#transpose) ----

TEST_CASE("GEMM with a row-major B: the transpose pass and the two-direction buffer give the explicit transpose's results", "[compute][transpose]") {
    // C = A x B with B K x N row-major (64 x 8 = 512 bytes), three ways: (0) row-major B,
    // transpose pass; (1) the same on the two-direction scratchpad (no pass); (2) B transposed
    // by the test into column-major (the explicit transpose), no pass needed.
    constexpr uint64_t m = 4, n = 8, k = 64;
    lcg g{9};
    std::vector<int8_t> a(m * k), bk(k * n), bt(n * k);
    for (auto& x : a) x = static_cast<int8_t>(g.next(-128, 127));
    for (auto& x : bk) x = static_cast<int8_t>(g.next(-128, 127));
    for (uint64_t x = 0; x < k; ++x)
        for (uint64_t j = 0; j < n; ++j) bt[j * k + x] = bk[x * n + j];
    gemm_bench b("b");
    b.poke(A_AT, a.data(), a.size());
    b.poke(B_AT, bk.data(), bk.size());
    b.poke(B_AT + 0x8000, bt.data(), bt.size());
    dtq_cmd d;
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT, 0, m, n, k);
    d.u.gemm.layout = DTQ_GEMM_B_ROW_MAJOR;
    b.add(d);
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT + 0x1000, 0, m, n, k);
    d.u.gemm.layout = DTQ_GEMM_B_ROW_MAJOR;
    b.add(d);
    dtq_cmd_gemm(&d, A_AT, B_AT + 0x8000, C_AT + 0x2000, 0, m, n, k);
    b.add(d);
    b.on2 = {false, true, false};
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 3);
    for (const auto& o : b.outcomes) REQUIRE(o.error == regs::err::NONE);
    const std::vector<int32_t> c0 = b.peek32(C_AT, m * n);
    CHECK(c0 == b.peek32(C_AT + 0x1000, m * n));
    CHECK(c0 == b.peek32(C_AT + 0x2000, m * n));
    // transpose pass by hand: 512 bytes read and written through the 16 B/cycle port: 2 x 32
    CHECK(b.reports[0].transpose_cycles == 64);
    CHECK(b.reports[0].transpose_bytes == 1024);
    CHECK(b.reports[1].transpose_cycles == 0);
    CHECK(b.reports[2].transpose_cycles == 0);
    // one block: the same loads, compute and store, 64 cycles later with the pass (an idle
    // memory system: the transfers take the same time whenever they start)
    CHECK((b.reports[0].end - b.reports[0].start) - (b.reports[1].end - b.reports[1].start) == 64);
    CHECK(b.reports[0].dram_read == b.reports[1].dram_read);
}

TEST_CASE("GEMM command: absolute cycles of a two-k-step GEMM by hand, load of step 1 under compute of step 0",
          "[compute][schedule]") {
    // 4 x 4 x 128 int8 on one 4 x 4 array, the scratchpad window cut to 1 KiB: a quarter is
    // 256 B, so kb = 256 / max(mb 4, nb 4) = 64 and the GEMM runs as two k-steps of 64
    // (docs/timing-model.md#stand-alone-commands-gemm-vector-ops). Bench: bus 1 cycle, DRAM
    // 64 B/cycle + 100, scratchpad 16 B/cycle + 1, accumulator 64 B/cycle + 1, DMA set-up 10,
    // one descriptor issued per cycle.
    constexpr uint64_t m = 4, n = 4, k = 128;
    gemm_bench b("b", 64, 1024);
    std::vector<int8_t> a(m * k), bm(n * k);
    for (uint64_t i = 0; i < m * k; ++i) a[i] = static_cast<int8_t>(int(i % 251) - 125);
    for (uint64_t i = 0; i < n * k; ++i) bm[i] = static_cast<int8_t>(int(i * 7 % 253) - 126);
    b.poke(A_AT, a.data(), a.size());
    b.poke(B_AT, bm.data(), bm.size());
    dtq_cmd d;
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT, 0, m, n, k);  // no precision list: all rows 8-bit
    b.add(d);
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 1);
    REQUIRE(b.outcomes[0].error == regs::err::NONE);
    const compute_report& r = b.reports[0];
    // Each k-step: one 4 x 4 tile of 8 x 8 MACs over K = 64: 1 + 4 (64 + 4 + 4 - 2) + 4 = 285.
    const uint64_t tile = 1 + 4 * (64 + 4 + 4 - 2) + 4;
    CHECK(r.busy_vssa == 2 * tile);
    CHECK(r.blocks == 2);
    // Step 0's loads, both issued at 0: A0 (4 rows of 64 B, stride 128) at cycle 0, B0 at 1.
    //   A0: reads requested at 0 + 10, on DRAM at 11, one beat each [11..15), data at 112..115;
    //       writes reach the scratchpad at 113.. and take 64 / 16 = 4 cycles each, back to
    //       back: busy until 113 + 16 = 129, done 130.
    //   B0: requested at 11, on DRAM at 12, behind A0: beats [15..19), data 116..119; its
    //       writes queue behind A0's on the scratchpad port: [129, 145), done 146.
    const uint64_t load0 = 146;
    // Step 1's loads go to the other scratchpad half, so they are issued at the command's
    // start as well (descriptors 2 and 3, at cycles 2 and 3): A1 on DRAM [19..23), writes
    // [145, 161); B1 on DRAM [23..27), writes [161, 177), done 178, long before step 0 ends.
    // Compute: step 0 [146, 431), step 1 at max(178, 431) = 431 until 716.
    const uint64_t comp1_end = load0 + 2 * tile;
    CHECK(comp1_end == 716);
    // Store: 4 rows of 16 B int32 issued at 716, requested at 716 + 10, on the accumulator
    // port at 727 (bus), 1 cycle each back to back: the last row [730, 731), its data at
    // 731 + 1 (latency); its DRAM write arrives at 733 (bus), one beat [733, 734), done
    // + 100 = 834.
    const uint64_t end = comp1_end + 10 + 1 + 4 * 1 + 1 + 1 + 1 + 100;
    CHECK(end == 834);
    CHECK(r.end - r.start == end);
    CHECK(sc_core::sc_time_stamp() == sc_core::sc_time(static_cast<double>(end), sc_core::SC_NS));
    // Single buffering (step 1 loaded after step 0's compute) would end 146 cycles later at
    // least: A1 and B1 would then take 561 - 431 + 16 = 146 cycles before step 1 could start.
    CHECK(r.dram_read == m * k + n * k);
    CHECK(r.dram_written == m * n * 4);
    // The product itself, by plain loops.
    std::vector<int32_t> want(m * n, 0);
    for (uint64_t i = 0; i < m; ++i)
        for (uint64_t j = 0; j < n; ++j)
            for (uint64_t x = 0; x < k; ++x) want[i * n + j] += int32_t{a[i * k + x]} * bm[j * k + x];
    CHECK(b.peek32(C_AT, m * n) == want);
}

// ---- biases and per-channel requantization (docs/workloads.md#biases-and-per-channel-layernorm) ----

TEST_CASE("GEMM command with layout.BIAS adds the bias to every computed row, saturating, a skipped row stays 0",
          "[compute][bias]") {
    // 3 x 4 x 8: A row 0 all 1, row 1 = 0..7, row 2 skipped (precision 0); B column j all j + 1.
    // By hand: A B row 0 = 8 (j + 1), row 1 = 28 (j + 1); bias {100, -200, INT32_MAX - 10, -5}.
    constexpr uint64_t m = 3, n = 4, k = 8;
    std::vector<int8_t> a(m * k, 1), bt(n * k);
    for (uint64_t x = 0; x < k; ++x) a[k + x] = static_cast<int8_t>(x);
    for (uint64_t j = 0; j < n; ++j)
        for (uint64_t x = 0; x < k; ++x) bt[j * k + x] = static_cast<int8_t>(j + 1);
    const int32_t bias[n] = {100, -200, INT32_MAX - 10, -5};
    const uint8_t prec[m] = {8, 8, 0};
    gemm_bench b("b");
    b.poke(A_AT, a.data(), a.size());
    b.poke(B_AT, bt.data(), bt.size());
    b.poke(S_AT, bias, sizeof bias);
    b.poke(P_AT, prec, sizeof prec);
    dtq_cmd d;
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT, P_AT, m, n, k);
    d.u.gemm.layout = DTQ_GEMM_BIAS;
    d.u.gemm.b_scales = S_AT;
    b.add(d);
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT + 0x1000, P_AT, m, n, k);  // the same without the bias
    b.add(d);
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 2);
    for (const auto& o : b.outcomes) REQUIRE(o.error == regs::err::NONE);
    const std::vector<int32_t> want = {108, -184, INT32_MAX, 27, 128, -144, INT32_MAX, 107, 0, 0, 0, 0};
    CHECK(b.peek32(C_AT, m * n) == want);
    CHECK(b.peek32(C_AT + 0x1000, m * n) == std::vector<int32_t>{8, 16, 24, 32, 28, 56, 84, 112, 0, 0, 0, 0});
    CHECK(b.reports[0].dram_read - b.reports[1].dram_read == n * 4);  // the bias vector, read once
}

TEST_CASE("REQUANT with param2 PER_CHANNEL applies each column's (m, e), half to even, clamped", "[compute][bias]") {
    // By hand, round_half_even(x m / 2^e) clamped to [-128, 127]:
    //   column 0 (1, 3):        1000 / 8 = 125;          5 / 8 = 0.625 -> 1
    //   column 1 (-3, 4):      -1000 x -3 / 16 = 187.5 -> 127;  6 x -3 / 16 = -1.125 -> -1
    //   column 2 (5, 1):        300 x 5 / 2 = 750 -> 127;  -7 x 5 / 2 = -17.5 -> -18 (even)
    //   column 3 (2^20, 30):    7 / 1024 -> 0;            100000 / 1024 = 97.66 -> 98
    const int32_t x[8] = {1000, -1000, 300, 7, 5, 6, -7, 100000};
    const int32_t me[8] = {1, 3, -3, 4, 5, 1, 1 << 20, 30};
    gemm_bench b("b");
    b.poke(A_AT, x, sizeof x);
    b.poke(S_AT, me, sizeof me);
    dtq_cmd d;
    dtq_cmd_clear(&d, DTQ_OP_REQUANT);
    d.u.softmax.src = A_AT;
    d.u.softmax.dst = C_AT;
    d.u.softmax.rows = 2;
    d.u.softmax.cols = 4;
    d.u.softmax.aux = S_AT;
    d.u.softmax.param2 = DTQ_REQUANT_PER_CHANNEL;
    b.add(d);
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 1);
    REQUIRE(b.outcomes[0].error == regs::err::NONE);
    int8_t y[8];
    b.dram.peek(C_AT - DTQ_DRAM_BASE, y, sizeof y);
    const int8_t want[8] = {125, 127, 127, 0, 1, -1, -18, 98};
    for (int i = 0; i < 8; ++i) CHECK(int{y[i]} == int{want[i]});
}

TEST_CASE("REQUANT with param2 RELU gives 0 for negative inputs, at 8 and 4 bits and per channel", "[compute][relu]") {
    // Command 1, per tensor (m, e) = (3, 2), rows at 8 and 4 bits. By hand, round_half_even(max(x, 0) x 3 / 4):
    //   row 0 (8-bit): {10, -10, 0, 200} -> {7.5 -> 8, 0, 0, 150 -> 127}
    //   row 1 (4-bit): {100, -100, 40, -1} -> {75, 0, 30, 0}, then the 4-bit code round(v / 16):
    //   {4.69 -> 5, 0, 1.875 -> 2, 0}, packed low nibble first: 0x05, 0x02 (without RELU -100 gives
    //   -75 -> code -5, byte 0xB5)
    // Command 2, PER_CHANNEL with column 1 negative, (m, e) = (1, 0), (-1, 0), (1, 1), (1, 0):
    //   {-3, -3, 5, -1} -> {0, 0 (max(-3, 0) x -1), 2.5 -> 2, 0}
    const int32_t x[8] = {10, -10, 0, 200, 100, -100, 40, -1};
    const uint8_t prec[2] = {8, 4};
    const int32_t x2[4] = {-3, -3, 5, -1};
    const int32_t me[8] = {1, 0, -1, 0, 1, 1, 1, 0};
    gemm_bench b("b");
    b.poke(A_AT, x, sizeof x);
    b.poke(P_AT, prec, sizeof prec);
    b.poke(A_AT + 0x100, x2, sizeof x2);
    b.poke(S_AT, me, sizeof me);
    dtq_cmd d;
    dtq_cmd_clear(&d, DTQ_OP_REQUANT);
    d.u.softmax.src = A_AT;
    d.u.softmax.dst = C_AT;
    d.u.softmax.rows = 2;
    d.u.softmax.cols = 4;
    d.u.softmax.param0 = 3;
    d.u.softmax.param1 = 2;
    d.u.softmax.aux = P_AT;
    d.u.softmax.param2 = DTQ_REQUANT_RELU;
    b.add(d);
    dtq_cmd_clear(&d, DTQ_OP_REQUANT);
    d.u.softmax.src = A_AT + 0x100;
    d.u.softmax.dst = C_AT + 0x100;
    d.u.softmax.rows = 1;
    d.u.softmax.cols = 4;
    d.u.softmax.aux = S_AT;
    d.u.softmax.param2 = DTQ_REQUANT_PER_CHANNEL | DTQ_REQUANT_RELU;
    b.add(d);
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 2);
    for (const auto& o : b.outcomes) REQUIRE(o.error == regs::err::NONE);
    int8_t y0[4], y2[4];
    uint8_t y1[2];
    b.dram.peek(C_AT - DTQ_DRAM_BASE, y0, sizeof y0);
    b.dram.peek(C_AT + 4 - DTQ_DRAM_BASE, y1, sizeof y1);
    b.dram.peek(C_AT + 0x100 - DTQ_DRAM_BASE, y2, sizeof y2);
    const int8_t want0[4] = {8, 0, 0, 127}, want2[4] = {0, 0, 2, 0};
    for (int i = 0; i < 4; ++i) CHECK(int{y0[i]} == int{want0[i]});
    CHECK(int{y1[0]} == 0x05);
    CHECK(int{y1[1]} == 0x02);
    for (int i = 0; i < 4; ++i) CHECK(int{y2[i]} == int{want2[i]});
}
