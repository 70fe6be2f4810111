// Fuzzing the controller with fixed seeds (docs/errors.md#fuzzing):
//  - random command descriptors (every opcode, random fields, out-of-range values, random
//    reserved bytes) submitted by firmware through the ring: every command ends in a
//    completion or in a clean ERR_CODE at its own index, the queue always recovers, and
//    nothing crashes, asserts or hangs;
//  - random register accesses straight at the register window (reserved offsets, ro/wo,
//    misaligned, wrong widths, byte enables, ignore commands) checked against the access
//    rules of regmap.yaml.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <map>
#include <random>
#include <set>

#include "ctrl_bench.h"

using namespace dtq;
using dtq::test::ctrl_bench;

namespace {

namespace d = regs::desc;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- command descriptors -------------------------------------------------------------

// Sizes and dimensions: mostly small, often at a limit, sometimes anything.
uint32_t pick_u32(std::mt19937_64& rng) {
    static const uint32_t edges[] = {0, 1, 2, 3, 4, 63, 64, 65, 255, 256, d::MAX_DIM - 1, d::MAX_DIM, d::MAX_DIM + 1,
                                     d::MAX_DIM * 64, d::MAX_DIM * 64 + 1, d::MAX_HEAD_DIM, d::MAX_HEAD_DIM + 1,
                                     d::MAX_HEADS, d::MAX_HEADS + 1, 31, 32, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF};
    switch (rng() % 10) {
        case 0: case 1: case 2: case 3: case 4: return static_cast<uint32_t>(1 + rng() % 64);
        case 5: return static_cast<uint32_t>(rng() % 1025);
        case 6: case 7: return edges[rng() % (sizeof edges / sizeof *edges)];
        case 8: return static_cast<uint32_t>(rng());
        default: return uint32_t{1} << (rng() % 32);
    }
}

// Addresses: in every region of the map (backed or not), at its start, near its end,
// misaligned, or anywhere.
uint64_t pick_addr(std::mt19937_64& rng, const std::vector<ctrl_region>& backed) {
    const auto& m = regs::ADDRESS_MAP;
    const std::size_t n = sizeof m / sizeof *m;
    switch (rng() % 8) {
        case 0: case 1: case 2: {  // small offset into a backed region: most commands are plausible
            const ctrl_region& g = backed[rng() % backed.size()];
            return g.base + (rng() % 4096) * (rng() % 2 ? 64 : 1);
        }
        case 3: {  // close to the end of a backed region
            const ctrl_region& g = backed[rng() % backed.size()];
            return g.base + g.size - 1 - rng() % 4096;
        }
        case 4: {  // anywhere in a window of the map (CTRL, alias and unbacked ones too)
            const auto& w = m[rng() % n];
            return w.base + rng() % w.size;
        }
        case 5: {  // small offset into a window the bench does not back (a bus error if accepted)
            static const uint64_t unbacked[] = {DTQ_ACCUMULATOR_BASE, DTQ_QBUF_BASE, DTQ_KBUF_BASE, DTQ_VBUF_BASE};
            if (rng() % 4 == 0) return rng() % 2 ? 0 : ~uint64_t{0};
            return unbacked[rng() % 4] + (rng() % 1024) * 64;
        }
        case 6: return rng() >> (rng() % 64);
        default: return regs::DRAM_BASE + (rng() % (1ull << 33));  // DRAM window and beyond it
    }
}

struct fuzz_cmd {
    dtq_cmd c{};
    bool meant_valid = false;  // built to pass validation and to touch backed memory only
};

// A descriptor that must complete: small shapes in backed regions, 64-byte aligned.
fuzz_cmd valid_command(std::mt19937_64& rng, uint8_t opcode) {
    fuzz_cmd f;
    dtq_cmd& c = f.c;
    dtq_cmd_clear(&c, opcode);
    f.meant_valid = true;
    const uint64_t D = DTQ_DRAM_BASE + (16u << 20) + (rng() % 1024) * 64, S = DTQ_SCRATCHPAD_BASE + (rng() % 64) * 64;
    const uint32_t a = 1 + rng() % 16, b = 1 + rng() % 16, k = 1 + rng() % 16;
    switch (opcode) {
        case DTQ_OP_DMA:
            dtq_cmd_dma2d(&c, rng() % 2 ? D : S, rng() % 2 ? D + (1u << 20) : S + 8192, a, 4 * b, 0, rng() % 2 ? 0 : 4 * b + 64);
            break;
        case DTQ_OP_FETCH_QKV:
            c.u.fetch_qkv.token_list = D; c.u.fetch_qkv.src = D + 4096; c.u.fetch_qkv.dst = DTQ_QBUF_BASE;
            c.u.fetch_qkv.count = a; c.u.fetch_qkv.row_bytes = 4 * b;
            break;
        case DTQ_OP_GEMM: {
            dtq_cmd_gemm(&c, D, D + 4096, D + 8192, rng() % 2 ? 0 : D + 65536, a, b, k);
            // every valid layout: B_ROW_MAJOR, 4-bit B (per tensor or VS-Quant with its b_scales), VSQ alone,
            // an NM24 B (WCOMP, K a multiple of 8), alone or with VS-Quant A rows
            static const uint32_t layouts[] = {0, DTQ_GEMM_B_ROW_MAJOR, DTQ_GEMM_B_4BIT, DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ,
                                               DTQ_GEMM_VSQ, DTQ_GEMM_B_ROW_MAJOR | DTQ_GEMM_VSQ, DTQ_GEMM_WCOMP,
                                               DTQ_GEMM_WCOMP | DTQ_GEMM_VSQ};
            c.u.gemm.layout = layouts[rng() % 8];
            if (c.u.gemm.layout & DTQ_GEMM_WCOMP) c.u.gemm.k = (c.u.gemm.k + 7u) & ~7u;
            if ((c.u.gemm.layout & DTQ_GEMM_B_4BIT) && (c.u.gemm.layout & DTQ_GEMM_VSQ)) c.u.gemm.b_scales = D + 196608;
            break;
        }
        case DTQ_OP_SOFTMAX: case DTQ_OP_LAYERNORM: case DTQ_OP_GELU: case DTQ_OP_REQUANT: case DTQ_OP_RESADD:
            c.u.softmax.src = D; c.u.softmax.dst = D + 65536; c.u.softmax.rows = a; c.u.softmax.cols = b;
            // the parameter ranges of each vector op (docs/registers.md)
            switch (opcode) {
                case DTQ_OP_SOFTMAX:
                    c.u.softmax.param0 = static_cast<uint32_t>(rng() % 63); c.u.softmax.param1 = static_cast<uint32_t>(rng());
                    c.u.softmax.param2 = static_cast<uint32_t>(rng() % 2);  // causal mask, with the first row's position
                    c.u.softmax.param3 = c.u.softmax.param2 ? static_cast<uint32_t>(rng()) : 0;
                    break;
                case DTQ_OP_LAYERNORM: c.u.softmax.param0 = static_cast<uint32_t>(rng() % 32); c.u.softmax.aux = rng() % 2 ? D + 131072 : 0; break;
                case DTQ_OP_GELU:
                    c.u.softmax.param0 = static_cast<uint32_t>(rng()); c.u.softmax.param1 = static_cast<uint32_t>(rng());
                    c.u.softmax.param2 = static_cast<uint32_t>(rng()); c.u.softmax.param3 = static_cast<uint32_t>(rng() % 32);
                    break;
                case DTQ_OP_REQUANT:
                    c.u.softmax.param0 = static_cast<uint32_t>(rng()); c.u.softmax.param1 = static_cast<uint32_t>(rng() % 63);
                    c.u.softmax.aux = rng() % 2 ? D + 131072 : 0;
                    break;
                default:  // RESADD: the residual is required
                    c.u.softmax.param0 = static_cast<uint32_t>(rng()); c.u.softmax.param1 = static_cast<uint32_t>(rng() % 63);
                    c.u.softmax.param2 = static_cast<uint32_t>(rng()); c.u.softmax.param3 = static_cast<uint32_t>(rng() % 63);
                    c.u.softmax.aux = D + 131072;
            }
            break;
        case DTQ_OP_TOPK:
            c.u.topk.probs = D; c.u.topk.importance = D + 4096; c.u.topk.out_list = D + 8192;
            c.u.topk.rows = a; c.u.topk.cols = b; c.u.topk.k0 = 1 + static_cast<uint32_t>(rng() % b);
            c.u.topk.k1 = static_cast<uint32_t>(rng() % (c.u.topk.k0 + 1));
            break;
        case DTQ_OP_ATTENTION:
            c.u.attention.q = D; c.u.attention.k = D + 65536; c.u.attention.v = D + 131072; c.u.attention.out = D + 196608;
            // head_dim even (4-bit tokens are packed two per byte); k0 needs a precision list
            c.u.attention.seq = a; c.u.attention.head_dim = static_cast<uint16_t>(std::max(2u, b & ~1u)); c.u.attention.heads = static_cast<uint16_t>(1 + rng() % 4);
            c.u.attention.k0 = static_cast<uint16_t>(rng() % (a + 1));
            c.u.attention.k1 = static_cast<uint16_t>(c.u.attention.k0 ? rng() % (c.u.attention.k0 + 1u) : 0);
            c.u.attention.prec_list = c.u.attention.k0 || rng() % 2 ? D + 262144 : 0;
            c.u.attention.score_shift = static_cast<uint16_t>(rng() % 63);
            c.u.attention.mode = static_cast<uint16_t>(rng() % 4);  // CAUSAL, VSQ
            break;
        case DTQ_OP_MARKER: c.u.marker.value = static_cast<uint32_t>(rng()); break;
        default: break;  // NOP, FENCE
    }
    if (rng() % 2) c.flags = DTQ_DESC_FLAG_IRQ;
    return f;
}

// Any descriptor: a valid one, one with random fields, or random bytes.
fuzz_cmd random_command(std::mt19937_64& rng, const std::vector<ctrl_region>& backed) {
    const auto& ops = regs::OPCODES;
    const std::size_t n_ops = sizeof ops / sizeof *ops;
    const regs::opcode_info& op = ops[rng() % n_ops];
    const unsigned kind = static_cast<unsigned>(rng() % 10);
    if (kind < 3) return valid_command(rng, op.code);
    fuzz_cmd f;
    uint8_t* raw = reinterpret_cast<uint8_t*>(&f.c);
    if (kind == 9) {  // random bytes, any opcode
        for (unsigned i = 0; i < sizeof f.c; ++i) raw[i] = static_cast<uint8_t>(rng());
        if (rng() % 2) raw[1] &= 1, raw[2] = raw[3] = 0;  // a clean header now and then
        return f;
    }
    dtq_cmd_clear(&f.c, kind == 8 ? static_cast<uint8_t>(rng()) : op.code);  // 8: maybe no such opcode
    for (std::size_t i = 0; i < op.field_count; ++i) {
        const regs::desc_field& fl = op.fields[i];
        const uint64_t v = fl.is_addr ? pick_addr(rng, backed) : pick_u32(rng);
        for (unsigned b = 0; b < fl.size; ++b) raw[fl.offset + b] = static_cast<uint8_t>(v >> (8 * b));
    }
    if (rng() % 2) f.c.flags = DTQ_DESC_FLAG_IRQ;
    if (rng() % 16 == 0) f.c.flags = static_cast<uint8_t>(rng());           // reserved flag bits
    if (rng() % 16 == 0) raw[2 + rng() % 2] = static_cast<uint8_t>(1 + rng() % 255);  // reserved0
    if (rng() % 16 == 0) raw[8 + rng() % 56] ^= static_cast<uint8_t>(1 + rng() % 255);  // maybe a reserved byte
    return f;
}

// A DMA may legally overwrite the ring it was fetched from (the firmware then loses its
// later commands); the fuzzer keeps DMA destinations off its own ring.
void keep_off_ring(dtq_cmd& c, const dtq_dev& dev) {
    if (c.opcode != DTQ_OP_DMA) return;
    const uint64_t rows = c.u.dma.rows, rb = c.u.dma.row_bytes;
    const uint64_t ds = c.u.dma.dst_stride ? c.u.dma.dst_stride : rb;
    const uint64_t end = c.u.dma.dst + (rows ? rows - 1 : 0) * ds + rb;
    const uint64_t ring = dev.ring_addr, ring_end = ring + uint64_t{dev.ring_len} * DTQ_DESC_SIZE;
    if (c.u.dma.dst < ring_end && end > ring && end >= c.u.dma.dst) c.u.dma.dst = DTQ_DRAM_BASE + (32u << 20);
}

struct cmd_stats {
    int submitted = 0, completed = 0, failures = 0, markers = 0;
    std::map<uint32_t, int> by_code;
    std::string first_problem;
    int problems = 0;
    void problem(const std::string& s) {
        if (!problems++) first_problem = s;
    }
};

}  // namespace

TEST_CASE("fuzz: 20000 random command descriptors complete or stop with a clean ERR_CODE", "[fuzz][ctrl]") {
    // The controller validates against what the bench backs, plus the unbacked line buffers
    // and accumulator window (the DMA gets a bus error there: BUS_ERROR).
    ctrl_config cc;
    cc.set_region_size("DRAM", test::BENCH_DRAM_BYTES);
    cc.set_region_size("SCRATCHPAD", 256 << 10);
    std::vector<ctrl_region> backed;
    for (const auto& g : cc.regions)
        if (g.name == "DRAM" || g.name == "SCRATCHPAD") backed.push_back(g);
    host_config hc;
    hc.wfi_timeout_cycles = uint64_t{1} << 44;  // far above the slowest placeholder command: a hang
    ctrl_bench b("b", hc, cc);

    constexpr int N = 20000;
    std::mt19937_64 rng(0xD7A7'F022);
    cmd_stats st;
    std::map<uint32_t, fuzz_cmd> in_ring;  // ring index -> what was submitted there
    const auto t0 = std::chrono::steady_clock::now();
    b.run([&] {
        dtq_dev dev;
        if (dtq_init(&dev, DTQ_APP_RING_ADDR, 8, DTQ_WAIT_IRQ) != DTQ_OK) return 1;
        int next = 0;
        while (next < N) {
            // A batch of 1..4 commands, then wait; a failure stops the queue at its index.
            in_ring.clear();
            const int batch = 1 + static_cast<int>(rng() % 4);
            for (int i = 0; i < batch && next < N; ++i, ++next) {
                fuzz_cmd f = random_command(rng, backed);
                f.c.tag = static_cast<uint32_t>(next + 1);
                keep_off_ring(f.c, dev);
                in_ring[dev.tail] = f;
                if (dtq_submit(&dev, &f.c) != DTQ_OK) st.problem("submit refused with an empty ring");
                ++st.submitted;
            }
            for (;;) {
                const int rc = dtq_wait_idle(&dev);
                if (rc == DTQ_OK) break;
                if (rc != DTQ_EDEVICE) {
                    st.problem("wait_idle: " + std::string(dtq_strerror(rc)) + " (a hang)");
                    return 2;
                }
                dtq_error_info e;
                dtq_get_error(&e);
                ++st.failures;
                ++st.by_code[e.code];
                const auto it = in_ring.find(e.cmd_index);
                if (it == in_ring.end()) {
                    st.problem("ERR_CMD_INDEX " + std::to_string(e.cmd_index) + " is not a command of the batch");
                    return 3;
                }
                const fuzz_cmd& f = it->second;
                const uint64_t desc = dev.ring_addr + uint64_t{e.cmd_index} * DTQ_DESC_SIZE;
                const std::string what = "command " + std::to_string(f.c.tag) + " (opcode " + std::to_string(f.c.opcode) +
                                         "): " + dtq_err_name(e.code);
                if (f.meant_valid) st.problem(what + " for a valid command");
                if (e.code == DTQ_ERR_NONE || e.code == DTQ_ERR_REG_ACCESS || e.code == DTQ_ERR_BAD_RING ||
                    e.code == DTQ_ERR_UNIT_ERROR || e.code >= DTQ_ERR_COUNT)
                    st.problem(what + " is not an error a command can get here");
                if ((dtq_rd32(DTQ_STATUS) & DTQ_STATUS_ERROR_MASK) == 0) st.problem(what + ": STATUS.ERROR clear");
                if ((dtq_rd32(DTQ_CMD_HEAD) & DTQ_CMD_HEAD_IDX_MASK) != e.cmd_index) st.problem(what + ": HEAD moved on");
                const bool known = regs::find_opcode(f.c.opcode) != nullptr;
                if (!known && e.code != DTQ_ERR_BAD_OPCODE) st.problem(what + ": expected BAD_OPCODE");
                if (known && ((f.c.flags & ~DTQ_DESC_FLAG_IRQ) || f.c.reserved0) && e.code != DTQ_ERR_BAD_FIELD)
                    st.problem(what + ": expected BAD_FIELD for a reserved header bit");
                // ERR_ADDR: the descriptor, or one of its address operands, or a DMA burst inside one.
                bool addr_ok = false;
                uint64_t vbad = 0;
                command cmd;
                std::memcpy(cmd.raw.data(), &f.c, sizeof f.c);
                cmd.address = desc;
                cmd.opcode = f.c.opcode;
                cmd.flags = f.c.flags;
                const uint32_t vcode = ctrl::validate(cmd, cc.regions, vbad);
                switch (e.code) {
                    case DTQ_ERR_BAD_OPCODE: case DTQ_ERR_BAD_SHAPE: case DTQ_ERR_BAD_FIELD: addr_ok = e.addr == desc; break;
                    case DTQ_ERR_BAD_ALIGN: case DTQ_ERR_BAD_ADDR: case DTQ_ERR_CAPACITY:
                        if (const auto* info = regs::find_opcode(f.c.opcode))
                            for (std::size_t i = 0; i < info->field_count; ++i)
                                addr_ok |= info->fields[i].is_addr && cmd.u64(info->fields[i].offset) == e.addr;
                        break;
                    case DTQ_ERR_BUS_ERROR: {
                        const uint64_t src = f.c.u.dma.src, dst = f.c.u.dma.dst;
                        const uint64_t rows = f.c.u.dma.rows, rb = f.c.u.dma.row_bytes;
                        const uint64_t ss = f.c.u.dma.src_stride ? f.c.u.dma.src_stride : rb;
                        const uint64_t ds = f.c.u.dma.dst_stride ? f.c.u.dma.dst_stride : rb;
                        addr_ok = f.c.opcode == DTQ_OP_DMA && ((e.addr >= src && e.addr < src + (rows - 1) * ss + rb) ||
                                                               (e.addr >= dst && e.addr < dst + (rows - 1) * ds + rb));
                        if (vcode != DTQ_ERR_NONE) st.problem(what + ": ran although the decoder rejects it");
                        break;
                    }
                    default: break;
                }
                if (!addr_ok) st.problem(what + ": ERR_ADDR " + std::to_string(e.addr) + " is none of its addresses");
                if (e.code != DTQ_ERR_BUS_ERROR && (vcode != e.code || vbad != e.addr))
                    st.problem(what + ": the decoder alone says " + dtq_err_name(vcode));
                if (e.code != DTQ_ERR_BUS_ERROR && rng() % 4 == 0) {
                    // Sometimes rewrite the failed command with a valid one and resume with ERR_CLEAR.
                    fuzz_cmd fix = valid_command(rng, DTQ_OP_MARKER);
                    fix.c.tag = f.c.tag;
                    it->second = fix;
                    dtq_wr_block(desc, &fix.c, DTQ_DESC_SIZE);
                    dtq_wmb();
                    dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_ERROR);
                    dtq_wr32(DTQ_CTRL, DTQ_CTRL_ENABLE_MASK | DTQ_CTRL_ERR_CLEAR_MASK);
                    --st.failures;  // counted again below as completed
                    ++st.markers;
                } else {
                    dtq_skip_failed(&dev);
                }
            }
            if (rng() % 8 == 0) {  // the queue still works: a marker round trip
                dtq_cmd m;
                const uint32_t v = static_cast<uint32_t>(rng());
                dtq_cmd_marker(&m, v);
                m.tag = 0;
                dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_MARKER);  // earlier markers may have left it set
                dtq_submit(&dev, &m);
                uint32_t seen = 0;
                if (dtq_wait_bits(&dev, DTQ_IRQ_MARKER, &seen) != DTQ_OK || dtq_rd32(DTQ_MARKER_VALUE) != v)
                    st.problem("marker round trip after case " + std::to_string(next));
                dtq_wait_idle(&dev);
            }
        }
        return 0;
    });
    const double s = seconds_since(t0);
    // Every case was fetched exactly once as itself (failed or completed), or once more as
    // the MARKER that replaced it.
    std::map<uint32_t, int> seen;
    for (uint32_t tag : b.completed_tags)
        if (tag) ++seen[tag];
    int twice = 0;
    for (const auto& [tag, n] : seen) twice += n == 2;
    std::string codes;
    for (const auto& [code, n] : st.by_code) codes += fmt::format(" {}={}", dtq_err_name(code), n);
    WARN(fmt::format("fuzz: {} descriptors in {:.2f} s wall ({} simulated cycles): {} stopped with an error:{}",
                     st.submitted, s, b.clk.now(), st.failures + st.markers, codes));
    std::string missing;
    for (int t = 1; t <= N && missing.size() < 200; ++t)
        if (!seen.count(static_cast<uint32_t>(t))) missing += " " + std::to_string(t);
    INFO(st.first_problem << "\n" << b.host.output() << "\nnot fetched:" << missing);
    CHECK(st.problems == 0);
    CHECK(b.host.exit_code() == 0);
    CHECK(b.host.finished());
    CHECK(st.submitted == N);
    CHECK(seen.size() == static_cast<std::size_t>(N));
    CHECK(twice == st.markers);
    CHECK(b.host.bus_errors() == 0);
    // The mutations reach every command error the bench can produce.
    for (uint32_t code : {DTQ_ERR_BAD_OPCODE, DTQ_ERR_BAD_ALIGN, DTQ_ERR_BAD_ADDR, DTQ_ERR_BAD_SHAPE, DTQ_ERR_CAPACITY,
                          DTQ_ERR_BAD_FIELD, DTQ_ERR_BUS_ERROR})
        CHECK(st.by_code[code] > 10);
    CHECK(N - st.failures - st.markers > N / 5);  // and many commands complete
}

// ---- register accesses -------------------------------------------------------------------

namespace {

// The controller's register window driven directly through its target socket by a TLM
// initiator, so that misaligned, narrow, wide and byte-enabled accesses reach it.
struct reg_bench : sc_core::sc_module {
    dtq::clock clk;
    bus_config bcfg;
    dram_config dcfg = ctrl_bench::small_dram();
    ctrl_config ccfg;
    dtq::bus bus;
    dtq::dram dram;
    dtq::ctrl ctrl;
    tlm_utils::simple_initiator_socket<reg_bench> out;
    std::function<void()> body;

    SC_HAS_PROCESS(reg_bench);
    explicit reg_bench(const sc_core::sc_module_name& n)
        : sc_module(n), bus("bus", bcfg, clk), dram("dram", dcfg, clk), ctrl("ctrl", ccfg, clk), out("out") {
        bus.map("dram", regs::DRAM_BASE, dcfg.size);
        bus.out.bind(dram.in);
        ctrl.mem.bind(bus.in);
        out.bind(ctrl.in);
        SC_THREAD(run);
    }
    void run() {
        body();
        sc_core::sc_stop();
    }
};

const char* status_name(tlm::tlm_response_status s) {
    switch (s) {
        case tlm::TLM_OK_RESPONSE: return "OK";
        case tlm::TLM_INCOMPLETE_RESPONSE: return "INCOMPLETE";
        case tlm::TLM_GENERIC_ERROR_RESPONSE: return "GENERIC_ERROR";
        case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "ADDRESS_ERROR";
        case tlm::TLM_COMMAND_ERROR_RESPONSE: return "COMMAND_ERROR";
        case tlm::TLM_BURST_ERROR_RESPONSE: return "BURST_ERROR";
        case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return "BYTE_ENABLE_ERROR";
    }
    return "?";
}

tlm::tlm_response_status expected_status(const tlm::tlm_generic_payload& tx, bool has_be) {
    if (has_be) return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
    if (tx.get_data_length() != 4 || tx.get_streaming_width() < 4) return tlm::TLM_BURST_ERROR_RESPONSE;
    const uint64_t off = tx.get_address();
    if (off % 4 || off >= regs::CTRL_SIZE) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
    if (tx.is_read() == tx.is_write()) return tlm::TLM_COMMAND_ERROR_RESPONSE;  // ignore command
    for (const auto& r : regs::TABLE) {
        if (r.offset != off) continue;
        if ((tx.is_read() && r.acc == regs::access::wo) || (tx.is_write() && r.acc == regs::access::ro))
            return tlm::TLM_COMMAND_ERROR_RESPONSE;
        return tlm::TLM_OK_RESPONSE;
    }
    return tlm::TLM_ADDRESS_ERROR_RESPONSE;  // reserved offset
}

}  // namespace

TEST_CASE("fuzz: 100000 random register accesses follow the access rules of the register map", "[fuzz][ctrl]") {
    reg_bench b("b");
    constexpr int N = 100000;
    std::mt19937_64 rng(4242);
    int ok = 0, errors = 0, latched = 0, problems = 0;
    std::string first;
    const auto problem = [&](const std::string& s) {
        if (!problems++) first = s;
    };
    std::map<tlm::tlm_response_status, int> by_status;
    const auto t0 = std::chrono::steady_clock::now();
    b.body = [&] {
        uint32_t irq_enable = 0;  // shadow of IRQ_ENABLE
        for (int i = 0; i < N; ++i) {
            tlm::tlm_generic_payload tx;
            uint8_t data[16] = {};
            uint8_t be[16];
            for (auto& x : be) x = rng() % 2 ? 0xFF : 0;
            uint64_t off;
            switch (rng() % 8) {
                case 0: case 1: case 2: case 5: case 6: off = regs::TABLE[rng() % regs::REG_COUNT].offset; break;  // a register
                case 3: off = (rng() % (regs::CTRL_SIZE / 4)) * 4; break;                         // any word
                case 4: off = rng() % (regs::CTRL_SIZE + 64); break;                              // any byte
                default: off = regs::TABLE[rng() % regs::REG_COUNT].offset + 1 + rng() % 3; break;  // misaligned
            }
            static const unsigned lens[] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1, 2, 3, 8, 0, 16};
            const unsigned len = lens[rng() % (sizeof lens / sizeof *lens)];
            const unsigned cmd = static_cast<unsigned>(rng() % 17);  // 0-7 read, 8-15 write, 16 ignore
            uint32_t v;
            switch (rng() % 5) {
                case 0: v = 0; break;
                case 1: v = 0xFFFFFFFFu; break;
                case 2: v = uint32_t{1} << (rng() % 32); break;
                case 3: v = static_cast<uint32_t>(rng() % 16); break;
                default: v = static_cast<uint32_t>(rng()); break;
            }
            // Soft resets are rare so that state accumulates between them.
            if (off == regs::CTRL && cmd >= 8 && cmd < 16 && rng() % 8) v &= ~regs::CTRL_SOFT_RESET_MASK;
            for (int k = 0; k < 4; ++k) data[k] = static_cast<uint8_t>(v >> (8 * k));
            tx.set_command(cmd < 8 ? tlm::TLM_READ_COMMAND : cmd < 16 ? tlm::TLM_WRITE_COMMAND : tlm::TLM_IGNORE_COMMAND);
            tx.set_address(off);
            tx.set_data_ptr(data);
            tx.set_data_length(len);
            tx.set_streaming_width(rng() % 16 ? len : static_cast<unsigned>(rng() % 5));
            const bool has_be = rng() % 32 == 0;
            tx.set_byte_enable_ptr(has_be ? be : nullptr);
            tx.set_byte_enable_length(has_be ? len : 0);
            tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
            const tlm::tlm_response_status want = expected_status(tx, has_be);
            const uint32_t err_before = b.ctrl.peek(regs::ERR_CODE);
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            b.out->b_transport(tx, delay);
            ++by_status[tx.get_response_status()];
            const std::string what = fmt::format("access {}: {} of {} bytes at {:#x}", i,
                                                 tx.is_read() ? "read" : tx.is_write() ? "write" : "ignore", len, off);
            if (tx.get_response_status() != want)
                problem(fmt::format("{}: response {}, expected {}", what, status_name(tx.get_response_status()),
                                    status_name(want)));
            if (want == tlm::TLM_OK_RESPONSE) {
                ++ok;
                if (tx.is_write() && off == regs::IRQ_ENABLE) irq_enable = v & 0xF;
                if (tx.is_write() && off == regs::CTRL && (v & regs::CTRL_SOFT_RESET_MASK)) irq_enable = 0;
                if (tx.is_read()) {
                    const uint32_t got = uint32_t{data[0]} | uint32_t{data[1]} << 8 | uint32_t{data[2]} << 16 | uint32_t{data[3]} << 24;
                    if (off == regs::ID && got != regs::DEVICE_ID) problem(what + ": ID changed");
                    if (off == regs::VERSION && got != 0x10000) problem(what + ": VERSION changed");
                    if (off == regs::IRQ_ENABLE && got != irq_enable) problem(what + ": IRQ_ENABLE is not what was written");
                    for (const auto& r : regs::TABLE)
                        if (r.offset == off && (got & ~r.read_mask)) problem(what + ": bits outside the fields read 1");
                }
            } else {
                ++errors;
                // The first error is latched as REG_ACCESS with the register address.
                if (err_before == regs::err::NONE) {
                    ++latched;
                    if (b.ctrl.peek(regs::ERR_CODE) != regs::err::REG_ACCESS) problem(what + ": ERR_CODE is not REG_ACCESS");
                    const uint64_t ea = uint64_t{b.ctrl.peek(regs::ERR_ADDR_HI)} << 32 | b.ctrl.peek(regs::ERR_ADDR_LO);
                    if (ea != regs::CTRL_BASE + off) problem(what + ": ERR_ADDR is not the register address");
                    if (b.ctrl.peek(regs::ERR_CMD_INDEX) != 0xFFFFFFFFu) problem(what + ": ERR_CMD_INDEX set");
                }
                if (b.ctrl.peek(regs::ERR_CODE) == regs::err::NONE) problem(what + ": nothing latched");
                if (!(b.ctrl.peek(regs::IRQ_STATUS) & regs::IRQ_ERROR)) problem(what + ": no ERROR interrupt status");
            }
            if (b.ctrl.peek(regs::IRQ_ENABLE) != irq_enable) problem(what + ": IRQ_ENABLE changed by another access");
            const bool err_bit = b.ctrl.peek(regs::STATUS) & regs::STATUS_ERROR_MASK;
            if (err_bit != (b.ctrl.peek(regs::ERR_CODE) != 0)) problem(what + ": STATUS.ERROR disagrees with ERR_CODE");
            if (rng() % 64 == 0) {  // clear now and then so that later errors latch again
                uint8_t w[4] = {regs::CTRL_ERR_CLEAR_MASK | regs::CTRL_ENABLE_MASK, 0, 0, 0};
                tlm::tlm_generic_payload c;
                c.set_command(tlm::TLM_WRITE_COMMAND);
                c.set_address(regs::CTRL);
                c.set_data_ptr(w);
                c.set_data_length(4);
                c.set_streaming_width(4);
                b.out->b_transport(c, delay);
                if (!c.is_response_ok() || b.ctrl.peek(regs::ERR_CODE) != 0) problem(what + ": ERR_CLEAR failed");
            }
            sc_core::wait(b.clk.time(1 + rng() % 200));  // let the queue run whatever the writes started
        }
    };
    sc_core::sc_start();
    const double s = seconds_since(t0);
    WARN(fmt::format("fuzz: {} register accesses in {:.2f} s wall: {} ok, {} refused ({} latched as REG_ACCESS)", N, s,
                     ok, errors, latched));
    INFO(first);
    CHECK(problems == 0);
    // The test classifies every access itself (expected_status); the controller counts the
    // ones it refused: the two counts must agree (the ERR_CLEAR writes above all succeed).
    CHECK(dtq::stats_registry::global().number("b.ctrl.reg_errors") == errors);
    CHECK(errors > N / 10);
    CHECK(ok > N / 10);
    for (auto st : {tlm::TLM_OK_RESPONSE, tlm::TLM_ADDRESS_ERROR_RESPONSE, tlm::TLM_COMMAND_ERROR_RESPONSE,
                    tlm::TLM_BURST_ERROR_RESPONSE, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE})
        CHECK(by_status[st] > 100);
    CHECK(latched > 500);
}
