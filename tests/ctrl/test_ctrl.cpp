// Controller, command queue and interrupts, driven from the firmware side: the test
// bodies are firmware (C driver + HAL) running on the host model of ctrl_bench.h.
// Expected cycle counts are derived in the comments from the timing constants:
// bus 1 cycle, DRAM 64 B/cycle + 100 latency, scratchpad 64 B/cycle + 1, DMA setup 10,
// host access 1, ctrl register 1, DECODE_CYCLES 2, COMPLETE_CYCLES 1.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "ctrl_bench.h"

using namespace dtq;
using dtq::test::ctrl_bench;

namespace {

uint64_t err_addr() { return (uint64_t{dtq_rd32(DTQ_ERR_ADDR_HI)} << 32) | dtq_rd32(DTQ_ERR_ADDR_LO); }

// Firmware-side check: remembers the first failure, keeps going.
struct fw_checks {
    std::string first;
    int failures = 0;
    void eq(const char* what, uint64_t got, uint64_t want) {
        if (got == want) return;
        if (!failures++) first = std::string(what) + ": got " + std::to_string(got) + ", want " + std::to_string(want);
    }
};

}  // namespace

TEST_CASE("ctrl: the selftest app passes on the VP", "[ctrl][sw]") {
    ctrl_bench b("b");
    const dtq_app* app = dtq_app_find("selftest");
    REQUIRE(app != nullptr);
    const int rc = b.run(app->main);
    INFO(b.host.output());
    CHECK(rc == 0);
    CHECK(b.host.finished());
    CHECK(b.host.output().find("selftest: passed (0 failures, 0 faults recovered)") != std::string::npos);
    CHECK(b.host.bus_errors() == 0);
}

TEST_CASE("ctrl: every register reads its reset value", "[ctrl]") {
    ctrl_bench b("b");
    fw_checks k;
    int readable = 0;
    b.run([&] {
        for (const auto& r : regs::TABLE) {
            if (r.acc == regs::access::wo) continue;
            ++readable;
            if (r.offset == regs::CYCLE_LO) continue;  // the live cycle counter
            k.eq(r.name, dtq_rd32(DTQ_CTRL_BASE + r.offset), r.reset);
        }
        return 0;
    });
    INFO(k.first);
    CHECK(k.failures == 0);
    CHECK(readable == static_cast<int>(regs::REG_COUNT) - 1);  // DOORBELL is write-only
    CHECK(b.host.bus_errors() == 0);
}

TEST_CASE("ctrl: IRQ_STATUS is write-1-to-clear and drives the line with IRQ_ENABLE", "[ctrl]") {
    ctrl_bench b("b");
    fw_checks k;
    b.run([&] {
        dtq_dev d;
        dtq_cmd c;
        dtq_init(&d, DTQ_APP_RING_ADDR, 8, DTQ_WAIT_POLL);
        dtq_cmd_marker(&c, 0x1234);
        dtq_submit(&d, &c);
        while ((dtq_rd32(DTQ_CMD_HEAD) & DTQ_CMD_HEAD_IDX_MASK) != d.tail) {
        }
        k.eq("status after marker", dtq_rd32(DTQ_IRQ_STATUS), DTQ_IRQ_MARKER | DTQ_IRQ_QUEUE_EMPTY);
        k.eq("line low while disabled", b.host.irq.level(), 0);
        dtq_wr32(DTQ_IRQ_ENABLE, DTQ_IRQ_MARKER);
        k.eq("line high when enabled", b.host.irq.level(), 1);
        dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_QUEUE_EMPTY);  // clears only that bit
        k.eq("W1C one bit", dtq_rd32(DTQ_IRQ_STATUS), DTQ_IRQ_MARKER);
        k.eq("line still high", b.host.irq.level(), 1);
        dtq_wr32(DTQ_IRQ_STATUS, 0);
        k.eq("W1C zero keeps", dtq_rd32(DTQ_IRQ_STATUS), DTQ_IRQ_MARKER);
        dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_MARKER);
        k.eq("W1C cleared", dtq_rd32(DTQ_IRQ_STATUS), 0);
        k.eq("line low", b.host.irq.level(), 0);
        k.eq("marker value", dtq_rd32(DTQ_MARKER_VALUE), 0x1234);
        return 0;
    });
    INFO(k.first);
    CHECK(k.failures == 0);
}

TEST_CASE("ctrl: register misuse latches REG_ACCESS with the register address", "[ctrl]") {
    ctrl_bench b("b");
    fw_checks k;
    b.run([&] {
        struct misuse {
            const char* what;
            std::function<void()> access;
            uint64_t addr;
        };
        uint8_t buf[8];
        const misuse cases[] = {
            {"write to ro ID", [] { dtq_wr32(DTQ_ID, 1); }, DTQ_ID},
            {"read of wo DOORBELL", [] { (void)dtq_rd32(DTQ_DOORBELL); }, DTQ_DOORBELL},
            {"unmapped offset 0x0fc", [] { (void)dtq_rd32(DTQ_CTRL_BASE + 0xFC); }, DTQ_CTRL_BASE + 0xFC},
            {"misaligned read", [] { (void)dtq_rd32(DTQ_CTRL_BASE + 2); }, DTQ_CTRL_BASE + 2},
            {"64-bit read", [&] { dtq_rd_block(DTQ_CMD_BASE_LO, buf, 8); }, DTQ_CMD_BASE_LO},
            {"write to ro PERF counter", [] { dtq_wr32(DTQ_PERF_DMA_BUSY, 5); }, DTQ_PERF_DMA_BUSY},
        };
        for (const misuse& m : cases) {
            m.access();
            k.eq(m.what, dtq_rd32(DTQ_ERR_CODE), DTQ_ERR_REG_ACCESS);
            k.eq(m.what, err_addr(), m.addr);
            k.eq(m.what, dtq_rd32(DTQ_ERR_CMD_INDEX), 0xFFFFFFFFu);
            k.eq(m.what, dtq_rd32(DTQ_IRQ_STATUS) & DTQ_IRQ_ERROR, DTQ_IRQ_ERROR);
            k.eq(m.what, dtq_rd32(DTQ_STATUS) & DTQ_STATUS_ERROR_MASK, DTQ_STATUS_ERROR_MASK);
            dtq_wr32(DTQ_ID, 0);  // a second error does not overwrite the first
            k.eq("first error wins", err_addr(), m.addr);
            dtq_wr32(DTQ_CTRL, DTQ_CTRL_ERR_CLEAR_MASK);
            dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_ERROR);
            k.eq("cleared", dtq_rd32(DTQ_ERR_CODE), DTQ_ERR_NONE);
        }
        k.eq("ID unchanged", dtq_rd32(DTQ_ID), DTQ_DEVICE_ID);
        return 0;
    });
    INFO(k.first);
    CHECK(k.failures == 0);
    CHECK(b.host.bus_errors() == 12);  // 6 misuses + 6 writes to ID
}

// One bad descriptor per error code; each stops the queue at its index with the right
// ERR_ADDR, then the driver skips it and the next case runs.
TEST_CASE("ctrl: every command error code, with address and index", "[ctrl]") {
    ctrl_bench b("b");
    b.ctrl.set_handler(regs::op::GEMM, [](const command&) {
        command_outcome o;
        o.error = regs::err::UNIT_ERROR;
        o.error_address = 0xABCDEF;
        return o;
    });
    fw_checks k;
    int cases_run = 0;
    b.run([&] {
        dtq_dev d;
        dtq_init(&d, DTQ_APP_RING_ADDR, 4, DTQ_WAIT_IRQ);
        const uint64_t D = DTQ_APP_DATA_ADDR, S = DTQ_SCRATCHPAD_BASE;
        struct bad {
            const char* what;
            std::function<void(dtq_cmd&)> build;
            uint32_t code;
            int64_t addr;  // -1: the descriptor's address
        };
        const bad cases[] = {
            {"unknown opcode", [](dtq_cmd& c) { dtq_cmd_clear(&c, 0x7F); }, DTQ_ERR_BAD_OPCODE, -1},
            {"reserved flag", [](dtq_cmd& c) { dtq_cmd_nop(&c); c.flags = 0x80; }, DTQ_ERR_BAD_FIELD, -1},
            {"reserved byte", [](dtq_cmd& c) { dtq_cmd_nop(&c); c.u.raw[40] = 1; }, DTQ_ERR_BAD_FIELD, -1},
            {"misaligned GEMM A", [&](dtq_cmd& c) { dtq_cmd_gemm(&c, D + 2, D, D + 4096, 0, 4, 4, 4); },
             DTQ_ERR_BAD_ALIGN, int64_t(D + 2)},
            {"DMA from CTRL", [&](dtq_cmd& c) { dtq_cmd_dma(&c, DTQ_CTRL_BASE, S, 64); }, DTQ_ERR_BAD_ADDR,
             int64_t(DTQ_CTRL_BASE)},
            {"DMA to nowhere", [&](dtq_cmd& c) { dtq_cmd_dma(&c, D, 0x5000'0000, 64); }, DTQ_ERR_BAD_ADDR,
             0x5000'0000},
            {"FETCH_QKV into DRAM", [&](dtq_cmd& c) {
                 dtq_cmd_clear(&c, DTQ_OP_FETCH_QKV);
                 c.u.fetch_qkv.token_list = D; c.u.fetch_qkv.src = D; c.u.fetch_qkv.dst = D + 4096;
                 c.u.fetch_qkv.count = 4; c.u.fetch_qkv.row_bytes = 64;
             }, DTQ_ERR_BAD_ADDR, int64_t(D + 4096)},
            {"GEMM M = 0", [&](dtq_cmd& c) { dtq_cmd_gemm(&c, D, D, D, 0, 0, 4, 4); }, DTQ_ERR_BAD_SHAPE, -1},
            {"GEMM K too big", [&](dtq_cmd& c) { dtq_cmd_gemm(&c, D, D, D, 0, 4, 4, DTQ_MAX_DIM + 1); },
             DTQ_ERR_BAD_SHAPE, -1},
            {"DMA past the scratchpad", [&](dtq_cmd& c) { dtq_cmd_dma(&c, D, S + (256 << 10) - 64, 128); },
             DTQ_ERR_CAPACITY, int64_t(S + (256 << 10) - 64)},
            {"TOPK k1 > k0", [&](dtq_cmd& c) {
                 dtq_cmd_clear(&c, DTQ_OP_TOPK);
                 c.u.topk.probs = D; c.u.topk.importance = D + 4096; c.u.topk.out_list = D + 8192;
                 c.u.topk.rows = 8; c.u.topk.cols = 8; c.u.topk.k0 = 4; c.u.topk.k1 = 5;
             }, DTQ_ERR_BAD_FIELD, -1},
            {"DMA hits unbacked DRAM", [&](dtq_cmd& c) { dtq_cmd_dma(&c, DTQ_DRAM_BASE + (128u << 20), S, 64); },
             DTQ_ERR_BUS_ERROR, int64_t(DTQ_DRAM_BASE + (128u << 20))},
            {"unit reports failure", [&](dtq_cmd& c) { dtq_cmd_gemm(&c, D, D, D + 4096, 0, 4, 4, 4); },
             DTQ_ERR_UNIT_ERROR, 0xABCDEF},
        };
        for (const bad& x : cases) {
            dtq_cmd c;
            x.build(c);
            const uint32_t idx = d.tail;
            k.eq(x.what, uint64_t(int64_t(dtq_submit(&d, &c))), DTQ_OK);
            k.eq(x.what, uint64_t(int64_t(dtq_wait_idle(&d))), uint64_t(int64_t(DTQ_EDEVICE)));
            dtq_error_info e;
            dtq_get_error(&e);
            k.eq(x.what, e.code, x.code);
            k.eq(x.what, e.cmd_index, idx);
            k.eq(x.what, e.addr, x.addr < 0 ? d.ring_addr + uint64_t(idx) * DTQ_DESC_SIZE : uint64_t(x.addr));
            k.eq(x.what, dtq_rd32(DTQ_CMD_HEAD), idx);
            dtq_skip_failed(&d);
            k.eq(x.what, uint64_t(int64_t(dtq_wait_idle(&d))), DTQ_OK);
            ++cases_run;
        }
        // Ring errors: TAIL beyond the ring, geometry change while commands are pending.
        dtq_wr32(DTQ_CMD_TAIL, 4);
        k.eq("tail >= size", dtq_rd32(DTQ_ERR_CODE), DTQ_ERR_BAD_RING);
        k.eq("tail >= size addr", err_addr(), DTQ_APP_RING_ADDR);
        dtq_wr32(DTQ_CTRL, DTQ_CTRL_ENABLE_MASK | DTQ_CTRL_ERR_CLEAR_MASK);
        dtq_wr32(DTQ_CMD_BASE_LO, 0x40);  // misaligned-for-DRAM base (not in DRAM)
        dtq_wr32(DTQ_CMD_BASE_HI, 0);
        dtq_wr32(DTQ_DOORBELL, 1);
        k.eq("doorbell with a bad ring", dtq_rd32(DTQ_ERR_CODE), DTQ_ERR_BAD_RING);
        k.eq("bad ring addr", err_addr(), 0x40);
        ++cases_run;
        return 0;
    });
    INFO(k.first);
    CHECK(k.failures == 0);
    CHECK(cases_run == 14);
}

TEST_CASE("ctrl: a doorbell with an empty queue does nothing", "[ctrl]") {
    ctrl_bench b("b");
    fw_checks k;
    b.run([&] {
        dtq_dev d;
        dtq_init(&d, DTQ_APP_RING_ADDR, 8, DTQ_WAIT_POLL);
        dtq_wr32(DTQ_IRQ_ENABLE, 0xF);
        dtq_wr32(DTQ_DOORBELL, 1);
        for (int i = 0; i < 100; ++i) (void)dtq_rd32(DTQ_STATUS);  // let time pass
        k.eq("STATUS idle", dtq_rd32(DTQ_STATUS), DTQ_STATUS_IDLE_MASK);
        k.eq("no interrupt", dtq_rd32(DTQ_IRQ_STATUS), 0);
        k.eq("no error", dtq_rd32(DTQ_ERR_CODE), DTQ_ERR_NONE);
        k.eq("HEAD", dtq_rd32(DTQ_CMD_HEAD), 0);
        return 0;
    });
    INFO(k.first);
    CHECK(k.failures == 0);
    CHECK(b.completed_tags.empty());
    CHECK(b.host.irq.level() == false);
}

TEST_CASE("ctrl: one interrupt per completion", "[ctrl]") {
    ctrl_bench b("b");
    constexpr int N = 25;
    int done = 0;
    b.run([&] {
        dtq_dev d;
        dtq_init(&d, DTQ_APP_RING_ADDR, 8, DTQ_WAIT_IRQ);
        for (int i = 0; i < N; ++i) {
            dtq_cmd c;
            dtq_cmd_nop(&c);
            c.flags = DTQ_DESC_FLAG_IRQ;
            c.tag = uint32_t(i);
            if (dtq_submit(&d, &c) != DTQ_OK) return 1;
            uint32_t seen = 0;
            if (dtq_wait_bits(&d, DTQ_IRQ_CMD_DONE, &seen) != DTQ_OK || seen != DTQ_IRQ_CMD_DONE) return 2;
            ++done;
        }
        return 0;
    });
    CHECK(b.host.exit_code() == 0);
    CHECK(done == N);
    CHECK(stats_registry::global().number("b.ctrl.interrupts") == N);
    CHECK(stats_registry::global().number("b.host.wfi") == N);
    CHECK(b.completed_tags.size() == N);
}

TEST_CASE("ctrl: 1000 commands through a ring of 8 complete in order", "[ctrl]") {
    ctrl_bench b("b");
    constexpr uint32_t N = 1000;
    fw_checks k;
    uint32_t ebusy = 0;
    b.run([&] {
        dtq_dev d;
        dtq_init(&d, DTQ_APP_RING_ADDR, 8, DTQ_WAIT_IRQ);
        for (uint32_t i = 0; i < N; ++i) {
            dtq_cmd c;
            dtq_cmd_nop(&c);
            c.tag = i;
            while (dtq_submit(&d, &c) == DTQ_EBUSY) {  // ring full: sleep until it drains
                ++ebusy;
                dtq_wait_bits(&d, DTQ_IRQ_QUEUE_EMPTY, nullptr);
            }
        }
        k.eq("wait_idle", uint64_t(dtq_wait_idle(&d)), DTQ_OK);
        k.eq("HEAD", dtq_rd32(DTQ_CMD_HEAD), N % 8);
        k.eq("completed", dtq_rd32(DTQ_PERF_CMDS_COMPLETED), N);
        k.eq("descriptor bytes read", dtq_rd32(DTQ_PERF_DRAM_RD_LO), N * 64);
        return 0;
    });
    INFO(k.first);
    CHECK(k.failures == 0);
    REQUIRE(b.completed_tags.size() == N);
    for (uint32_t i = 0; i < N; ++i) REQUIRE(b.completed_tags[i] == i);
    CHECK(ebusy > 0);  // the ring did fill up and wrap
}

// Round trip of one command from the doorbell write to the interrupt, exactly.
// Doorbell: core 1 + bus 1 -> it reaches the controller 2 cycles after T.
// Fetch of 64 B from DRAM: bus 1 + 1 beat + 100 latency = 102. Decode 2. Complete 1.
//   NOP:  2 + 102 + 2 + 0 + 1 = 107
//   GEMM 16x16x16 without handler: placeholder 16 + 16*16*16/256 = 32 -> 139
//   DMA 256 B DRAM -> scratchpad: setup 10, read bus 1 + 4 beats + 100, write bus 1 +
//   4 beats + 1 = 121 -> 2 + 102 + 2 + 121 + 1 = 228
TEST_CASE("ctrl: exact cycles of a command round trip (NOP, placeholder GEMM, DMA)", "[ctrl]") {
    ctrl_bench b("b");
    std::vector<uint64_t> rtt, t_doorbell;
    b.run([&] {
        dtq_dev d;
        dtq_init(&d, DTQ_APP_RING_ADDR, 8, DTQ_WAIT_IRQ);
        dtq_wr32(DTQ_IRQ_ENABLE, DTQ_IRQ_CMD_DONE);
        const uint64_t D = DTQ_APP_DATA_ADDR;
        dtq_cmd cmds[3];
        dtq_cmd_nop(&cmds[0]);
        dtq_cmd_gemm(&cmds[1], D, D, D + 4096, 0, 16, 16, 16);
        dtq_cmd_dma(&cmds[2], D, DTQ_SCRATCHPAD_BASE, 256);
        for (auto& c : cmds) {
            c.flags = DTQ_DESC_FLAG_IRQ;
            dtq_wr_block(d.ring_addr + uint64_t(d.tail) * DTQ_DESC_SIZE, &c, DTQ_DESC_SIZE);
            d.tail = (d.tail + 1) % d.ring_len;
            dtq_wr32(DTQ_CMD_TAIL, d.tail);
            const uint64_t t = dtq_now_cycles();
            dtq_wr32(DTQ_DOORBELL, 1);
            dtq_wait_irq();
            rtt.push_back(dtq_now_cycles() - t);
            t_doorbell.push_back(t);
            dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_CMD_DONE);
        }
        return 0;
    });
    REQUIRE(rtt.size() == 3);
    CHECK(rtt[0] == 107);
    CHECK(rtt[1] == 139);
    CHECK(rtt[2] == 228);
    REQUIRE(b.completed_cycles.size() == 3);
    for (int i = 0; i < 3; ++i) CHECK(b.completed_cycles[i] == t_doorbell[i] + rtt[i]);
    CHECK(b.ctrl.peek(regs::PERF_DMA_BUSY) == 121);
    CHECK(b.ctrl.peek(regs::PERF_CTRL_BUSY) == 105 + 137 + 226);
    CHECK(stats_registry::global().number("b.ctrl.placeholder_commands") == 2);  // NOP and GEMM
}

TEST_CASE("ctrl: soft reset returns every register to its reset value", "[ctrl]") {
    ctrl_bench b("b");
    fw_checks k;
    b.run([&] {
        dtq_dev d;
        dtq_cmd c;
        dtq_init(&d, DTQ_APP_RING_ADDR, 8, DTQ_WAIT_POLL);
        dtq_cmd_marker(&c, 99);
        dtq_submit(&d, &c);
        dtq_wait_idle(&d);
        dtq_wr32(DTQ_IRQ_ENABLE, 0xF);
        dtq_wr32(DTQ_ID, 0);  // latch an error too
        dtq_wr32(DTQ_CTRL, DTQ_CTRL_SOFT_RESET_MASK);
        for (const auto& r : regs::TABLE)
            if (r.acc != regs::access::wo && std::string(r.name) != "CYCLE_LO")
                k.eq(r.name, dtq_rd32(DTQ_CTRL_BASE + r.offset), r.reset);
        return 0;
    });
    INFO(k.first);
    CHECK(k.failures == 0);
    CHECK(b.host.irq.level() == false);
}

TEST_CASE("driver: bad ring arguments give DTQ_EINVAL, an unreadable ID DTQ_ENODEV", "[ctrl][sw]") {
    ctrl_bench b("b");
    bool fail_id = false;
    b.ctrl.set_access_fault([&](bool is_read, uint32_t off) { return fail_id && is_read && off == regs::ID; });
    int rc_small = 0, rc_big = 0, rc_align = 0, rc_nodev = 0, rc_ok = 0;
    uint32_t code = 0;
    b.run([&] {
        dtq_dev d;
        rc_small = dtq_init(&d, DTQ_APP_RING_ADDR, 1, DTQ_WAIT_POLL);
        rc_big = dtq_init(&d, DTQ_APP_RING_ADDR, 65537, DTQ_WAIT_POLL);
        rc_align = dtq_init(&d, DTQ_APP_RING_ADDR + 32, 8, DTQ_WAIT_POLL);
        fail_id = true;
        rc_nodev = dtq_init(&d, DTQ_APP_RING_ADDR, 8, DTQ_WAIT_POLL);
        code = dtq_get_error(nullptr);
        fail_id = false;
        rc_ok = dtq_init(&d, DTQ_APP_RING_ADDR, 8, DTQ_WAIT_POLL);  // soft reset clears the error
        return 0;
    });
    CHECK(rc_small == DTQ_EINVAL);
    CHECK(rc_big == DTQ_EINVAL);
    CHECK(rc_align == DTQ_EINVAL);
    CHECK(rc_nodev == DTQ_ENODEV);
    CHECK(code == DTQ_ERR_REG_ACCESS);
    CHECK(rc_ok == DTQ_OK);
    CHECK(b.host.bus_errors() == 1);
    CHECK(std::string(dtq_strerror(DTQ_ENODEV)) == "no DTQAtten device (ID/VERSION mismatch)");
    CHECK(std::string(dtq_strerror(DTQ_EINVAL)) == "invalid argument");
}

TEST_CASE("ctrl: GEMM layout and b_scales and ATTENTION mode bits are decoded", "[ctrl]") {
    // The decoder alone (no elaboration): 64 MiB of DRAM as in the bench.
    ctrl_config cc;
    cc.set_region_size("DRAM", test::BENCH_DRAM_BYTES);
    const uint64_t D = DTQ_APP_DATA_ADDR, end = DTQ_DRAM_BASE + test::BENCH_DRAM_BYTES;
    const auto decode = [&](const dtq_cmd& d, uint64_t& bad) {
        command c;
        std::memcpy(c.raw.data(), &d, sizeof d);
        c.opcode = d.opcode;
        c.address = 0x40;
        return ctrl::validate(c, cc.regions, bad, cc.vsq);
    };
    const auto gemm = [&](uint64_t b, uint32_t layout, uint64_t scales, uint32_t n = 8, uint32_t k = 64) {
        dtq_cmd d;
        dtq_cmd_gemm(&d, D, b, D + 65536, 0, 4, n, k);
        d.u.gemm.layout = layout;
        d.u.gemm.b_scales = scales;
        uint64_t bad = 0;
        const uint32_t e = decode(d, bad);
        return std::pair{e, bad};
    };
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT, 0).first == DTQ_ERR_NONE);
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ, D + 8192).first == DTQ_ERR_NONE);
    CHECK(gemm(D + 4096, DTQ_GEMM_VSQ, 0).first == DTQ_ERR_NONE);  // VS-Quant A rows against int8 B
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT | DTQ_GEMM_B_ROW_MAJOR, 0).first == DTQ_ERR_BAD_FIELD);  // 4-bit B is column-major
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ, 0).first == DTQ_ERR_BAD_FIELD);          // VS-Quant B needs its scales
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT, D + 8192).first == DTQ_ERR_BAD_FIELD);                 // scales without VS-Quant
    CHECK(gemm(D + 4096, 32u, 0).first == DTQ_ERR_BAD_FIELD);                                    // reserved layout bit
    // BIAS (docs/workloads.md#biases-and-per-channel-layernorm): b_scales holds N int32 biases,
    // required, u32-aligned; not with VS-Quant B (whose scales take the field); N = 8: 32 bytes.
    CHECK(gemm(D + 4096, DTQ_GEMM_BIAS, D + 8192).first == DTQ_ERR_NONE);
    CHECK(gemm(D + 4096, DTQ_GEMM_BIAS | DTQ_GEMM_B_4BIT, D + 8192).first == DTQ_ERR_NONE);
    CHECK(gemm(D + 4096, DTQ_GEMM_BIAS | DTQ_GEMM_VSQ, D + 8192).first == DTQ_ERR_NONE);  // VS-Quant A rows only
    CHECK(gemm(D + 4096, DTQ_GEMM_BIAS, 0).first == DTQ_ERR_BAD_FIELD);
    CHECK(gemm(D + 4096, DTQ_GEMM_BIAS | DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ, D + 8192).first == DTQ_ERR_BAD_FIELD);
    CHECK(gemm(D + 4096, DTQ_GEMM_BIAS, D + 8194) == std::pair{uint32_t{DTQ_ERR_BAD_ALIGN}, D + 8194});
    // NM24 weights (docs/compression.md): column-major int8 only, K a multiple of 8; the
    // smallest image of N = 8, K = 64 is 8 x 4 table bytes + 8 rows x 8 chunks x 3 = 224 bytes.
    CHECK(gemm(D + 4096, DTQ_GEMM_WCOMP, 0).first == DTQ_ERR_NONE);
    CHECK(gemm(D + 4096, DTQ_GEMM_WCOMP | DTQ_GEMM_VSQ, 0).first == DTQ_ERR_NONE);  // VS-Quant A rows against it
    CHECK(gemm(D + 4096, DTQ_GEMM_WCOMP | DTQ_GEMM_B_ROW_MAJOR, 0).first == DTQ_ERR_BAD_FIELD);
    CHECK(gemm(D + 4096, DTQ_GEMM_WCOMP | DTQ_GEMM_B_4BIT, 0).first == DTQ_ERR_BAD_FIELD);
    CHECK(gemm(D + 4096, DTQ_GEMM_WCOMP, 0, 8, 60).first == DTQ_ERR_BAD_SHAPE);
    CHECK(gemm(end - 224, DTQ_GEMM_WCOMP, 0).first == DTQ_ERR_NONE);
    CHECK(gemm(end - 220, DTQ_GEMM_WCOMP, 0) == std::pair{uint32_t{DTQ_ERR_CAPACITY}, end - 220});
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ, D + 8194).first == DTQ_ERR_BAD_ALIGN);   // b_scales is u32-aligned
    // Extents by hand, N = 8, K = 64: a 4-bit B is 8 x 32 = 256 bytes (int8: 512); b_scales
    // 8 x 4 channel maxima + 8 rows of 64 / 16 = 4 one-byte scales = 64 bytes.
    CHECK(gemm(end - 256, DTQ_GEMM_B_4BIT, 0).first == DTQ_ERR_NONE);
    CHECK(gemm(end - 256, 0, 0) == std::pair{uint32_t{DTQ_ERR_CAPACITY}, end - 256});
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ, end - 64).first == DTQ_ERR_NONE);
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ, end - 60) == std::pair{uint32_t{DTQ_ERR_CAPACITY}, end - 60});
    // With 4-bit scales and V = 32 the rows are ceil(2 x 4 / 8) = 1 byte: 8 x 4 + 8 = 40 bytes.
    cc.vsq.vector_size = 32;
    cc.vsq.scale_bits = 4;
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ, end - 40).first == DTQ_ERR_NONE);
    CHECK(gemm(D + 4096, DTQ_GEMM_B_4BIT | DTQ_GEMM_VSQ, end - 36).first == DTQ_ERR_CAPACITY);
    CHECK(gemm(D + 4096, DTQ_GEMM_BIAS, end - 32).first == DTQ_ERR_NONE);
    CHECK(gemm(D + 4096, DTQ_GEMM_BIAS, end - 28) == std::pair{uint32_t{DTQ_ERR_CAPACITY}, end - 28});

    // REQUANT param2 PER_CHANNEL: aux = cols (m, e) int32 pairs, required, u32-aligned, param0
    // and param1 0; 16 columns: 128 bytes. Bit 1 is RELU (with either form); other bits are reserved.
    const auto requant = [&](uint32_t p0, uint32_t p1, uint64_t aux, uint32_t p2) {
        dtq_cmd d;
        dtq_cmd_clear(&d, DTQ_OP_REQUANT);
        d.u.softmax.src = D;
        d.u.softmax.dst = D + 65536;
        d.u.softmax.rows = 4;
        d.u.softmax.cols = 16;
        d.u.softmax.param0 = p0;
        d.u.softmax.param1 = p1;
        d.u.softmax.aux = aux;
        d.u.softmax.param2 = p2;
        uint64_t bad = 0;
        const uint32_t e = decode(d, bad);
        return std::pair{e, bad};
    };
    CHECK(requant(0, 0, D + 8192, DTQ_REQUANT_PER_CHANNEL).first == DTQ_ERR_NONE);
    CHECK(requant(0, 0, 0, DTQ_REQUANT_PER_CHANNEL).first == DTQ_ERR_BAD_FIELD);
    CHECK(requant(5, 0, D + 8192, DTQ_REQUANT_PER_CHANNEL).first == DTQ_ERR_BAD_FIELD);
    CHECK(requant(0, 3, D + 8192, DTQ_REQUANT_PER_CHANNEL).first == DTQ_ERR_BAD_FIELD);
    CHECK(requant(5, 3, D + 8192, 4u).first == DTQ_ERR_BAD_FIELD);
    CHECK(requant(5, 3, D + 8192, 1u << 31).first == DTQ_ERR_BAD_FIELD);
    CHECK(requant(5, 3, D + 8192, DTQ_REQUANT_RELU).first == DTQ_ERR_NONE);  // a precision list with RELU
    CHECK(requant(0, 0, D + 8192, DTQ_REQUANT_PER_CHANNEL | DTQ_REQUANT_RELU).first == DTQ_ERR_NONE);
    CHECK(requant(5, 0, D + 8192, DTQ_REQUANT_PER_CHANNEL | DTQ_REQUANT_RELU).first == DTQ_ERR_BAD_FIELD);
    CHECK(requant(0, 0, D + 8194, DTQ_REQUANT_PER_CHANNEL) == std::pair{uint32_t{DTQ_ERR_BAD_ALIGN}, D + 8194});
    CHECK(requant(0, 0, end - 128, DTQ_REQUANT_PER_CHANNEL).first == DTQ_ERR_NONE);
    CHECK(requant(0, 0, end - 124, DTQ_REQUANT_PER_CHANNEL) == std::pair{uint32_t{DTQ_ERR_CAPACITY}, end - 124});
    CHECK(requant(5, 3, end - 4, 0).first == DTQ_ERR_NONE);  // a precision list: rows (4) bytes

    // GELU param3: the erf shift n, 0..31 (docs/ibert.md#i-gelu-on-int8-inputs); no aux
    const auto gelu = [&](uint32_t n, uint64_t aux) {
        dtq_cmd d;
        dtq_cmd_clear(&d, DTQ_OP_GELU);
        d.u.softmax.src = D;
        d.u.softmax.dst = D + 65536;
        d.u.softmax.rows = 4;
        d.u.softmax.cols = 16;
        d.u.softmax.param0 = static_cast<uint32_t>(-81);  // S = 1/32: b_int, c_int, shift_int at n = 0
        d.u.softmax.param1 = static_cast<uint32_t>(-7092);
        d.u.softmax.param2 = static_cast<uint32_t>(-7092);
        d.u.softmax.param3 = n;
        d.u.softmax.aux = aux;
        uint64_t bad = 0;
        return decode(d, bad);
    };
    CHECK(gelu(0, 0) == DTQ_ERR_NONE);
    CHECK(gelu(14, 0) == DTQ_ERR_NONE);
    CHECK(gelu(31, 0) == DTQ_ERR_NONE);
    CHECK(gelu(32, 0) == DTQ_ERR_BAD_FIELD);
    CHECK(gelu(0, D + 8192) == DTQ_ERR_BAD_FIELD);

    const auto attention = [&](uint16_t mode) {
        dtq_cmd d;
        dtq_cmd_attention(&d, D, D + 65536, D + 131072, D + 196608, 0, 16, 64, 2, 0, 0, 0);
        d.u.attention.mode = mode;
        uint64_t bad = 0;
        return decode(d, bad);
    };
    CHECK(attention(0) == DTQ_ERR_NONE);
    CHECK(attention(DTQ_ATTN_CAUSAL) == DTQ_ERR_NONE);
    CHECK(attention(DTQ_ATTN_VSQ) == DTQ_ERR_NONE);
    CHECK(attention(DTQ_ATTN_CAUSAL | DTQ_ATTN_VSQ) == DTQ_ERR_NONE);
    CHECK(attention(4) == DTQ_ERR_BAD_FIELD);
    // the C and C++ names of the bits agree
    static_assert(DTQ_GEMM_B_ROW_MAJOR == cmd_bits::GEMM_B_ROW_MAJOR && DTQ_GEMM_B_4BIT == cmd_bits::GEMM_B_4BIT &&
                  DTQ_GEMM_VSQ == cmd_bits::GEMM_VSQ && DTQ_GEMM_WCOMP == cmd_bits::GEMM_WCOMP && DTQ_ATTN_CAUSAL == cmd_bits::ATTN_CAUSAL && DTQ_ATTN_VSQ == cmd_bits::ATTN_VSQ);
}
