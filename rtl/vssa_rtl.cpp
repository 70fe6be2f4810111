#include "vssa_rtl.h"

#include <stdexcept>
#include <string>
#include <type_traits>

#include "Vvssa_array.h"
#include "verilated.h"
#include "verilated_vcd_c.h"
#include "vssa/engine.h"

namespace dtq::vssa {

const int vssa_rtl::max_rows = DTQ_RTL_ROWS;
const int vssa_rtl::max_cols = DTQ_RTL_COLS;
const int vssa_rtl::max_k = (1 << DTQ_RTL_KW) - 1;

struct vssa_rtl::impl {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vvssa_array> top;
    std::unique_ptr<VerilatedVcdC> vcd;
    uint64_t time = 0;    // VCD time, 10 units per cycle
    uint64_t cycles = 0;  // clock cycles so far

    explicit impl(const std::string& vcd_path = {}) : ctx(std::make_unique<VerilatedContext>()) {
        if (!vcd_path.empty()) ctx->traceEverOn(true);  // before the model is built
        top = std::make_unique<Vvssa_array>(ctx.get(), "vssa_array");
        if (!vcd_path.empty()) {
            vcd = std::make_unique<VerilatedVcdC>();
            top->trace(vcd.get(), 99);
            vcd->open(vcd_path.c_str());
            if (!vcd->isOpen()) throw std::runtime_error("vssa rtl: cannot open " + vcd_path);
        }
        top->clk = 0;
        top->rst_n = 0;
        top->start = 0;
        settle();
        edge();
        edge();
        top->rst_n = 1;
    }
    ~impl() {
        if (vcd) vcd->close();
        top->final();
    }

    // clk is low: inputs are applied and combinational outputs settle.
    void settle() {
        top->eval();
        if (vcd) vcd->dump(time);
    }
    // Rising edge, then clk back low for the next cycle.
    void edge() {
        top->clk = 1;
        top->eval();
        if (vcd) vcd->dump(time + 5);
        top->clk = 0;
        time += 10;
        ++cycles;
    }

    // Vector n of the operand stream: A[:, n] and B[n, :] (zeros past k or in timing mode).
    void drive(const tile_job& j, int n) {
        uint32_t aw[(DTQ_RTL_ROWS + 3) / 4] = {}, bw[(DTQ_RTL_COLS + 3) / 4] = {};
        uint32_t a8 = 0, b8 = 0;
        if (n < j.k) {
            for (int i = 0; i < j.rows; ++i) {
                const uint32_t v = j.a ? static_cast<uint8_t>(j.a[i * j.k + n]) : 0u;
                aw[i / 4] |= v << (8 * (i % 4));
                a8 |= uint32_t{j.a_bits(i, n) == 8} << i;
            }
            for (int c = 0; c < j.cols; ++c) {
                const uint32_t v = j.b ? static_cast<uint8_t>(j.b[n * j.cols + c]) : 0u;
                bw[c / 4] |= v << (8 * (c % 4));
                b8 |= uint32_t{j.b_bits(n, c) == 8} << c;
            }
        }
        for (size_t w = 0; w < std::size(aw); ++w) top->a_vec[w] = aw[w];
        for (size_t w = 0; w < std::size(bw); ++w) top->b_vec[w] = bw[w];
        top->a8 = static_cast<std::remove_reference_t<decltype(top->a8)>>(a8);
        top->b8 = static_cast<std::remove_reference_t<decltype(top->b8)>>(b8);
    }

    tile_result run(const tile_job& j) {
        validate(j);
        if (j.rows > DTQ_RTL_ROWS || j.cols > DTQ_RTL_COLS || j.k > max_k)
            throw std::invalid_argument("vssa rtl: tile " + std::to_string(j.rows) + " x " + std::to_string(j.cols) + " x " +
                                        std::to_string(j.k) + " exceeds the Verilated instance (" +
                                        std::to_string(DTQ_RTL_ROWS) + " x " + std::to_string(DTQ_RTL_COLS) + ")");
        tile_result r;
        r.c.assign(static_cast<size_t>(j.rows) * static_cast<size_t>(j.cols), 0);
        // E0: start is sampled in IDLE; not counted (the tile's cycles start after it).
        top->rows = static_cast<std::remove_reference_t<decltype(top->rows)>>(j.rows);
        top->cols = static_cast<std::remove_reference_t<decltype(top->cols)>>(j.cols);
        top->k_len = static_cast<std::remove_reference_t<decltype(top->k_len)>>(j.k);
        top->start = 1;
        drive(j, 0);
        settle();
        edge();
        top->start = 0;
        // Bound: every step at most 4 cycles, plus load and drain, plus slack.
        const uint64_t bound = 4ull * (static_cast<uint64_t>(j.k) + j.rows + j.cols) + j.rows + 16;
        int n = 0, rows_seen = 0;
        uint64_t cycles = 0;
        for (;;) {
            drive(j, n);
            settle();
            if (!top->busy) break;
            if (cycles > bound) throw std::logic_error("vssa rtl: tile did not finish within " + std::to_string(bound) + " cycles");
            const bool fed = top->feed_ready;
            if (top->res_valid) {
                const int row = top->res_row;
                if (row != rows_seen || row >= j.rows) throw std::logic_error("vssa rtl: result rows out of order");
                for (int c = 0; c < j.cols; ++c)  // int32 lanes: reinterpret the 32-bit word (sign)
                    r.c[static_cast<size_t>(row * j.cols + c)] = static_cast<int32_t>(top->res_data[static_cast<size_t>(c)]);
                ++rows_seen;
            }
            edge();
            ++cycles;
            if (fed) ++n;
        }
        if (rows_seen != j.rows || n != j.k) throw std::logic_error("vssa rtl: the tile ended early");
        if (cycles != top->cycle_count) throw std::logic_error("vssa rtl: cycle_count disagrees with the wrapper's count");
        r.cycles = cycles;
        r.busy_pe_cycles = top->busy_pe_cycles;
        r.stall_pe_cycles = top->stall_pe_cycles;
        // Not measured by the RTL: filled in from the closed form by the engine.
        r.macs = static_cast<uint64_t>(j.rows) * static_cast<uint64_t>(j.cols) * static_cast<uint64_t>(j.k);
        if (!j.functional()) r.c.clear();
        return r;
    }
};

vssa_rtl::vssa_rtl() : m(std::make_unique<impl>()) {}
vssa_rtl::~vssa_rtl() = default;

tile_result vssa_rtl::run_tile(const tile_job& job) { return m->run(job); }

bool vssa_rtl::trace_tile(const tile_job& job, const std::string& vcd_path) {
    impl traced(vcd_path);
    traced.run(job);
    return true;
}

uint64_t vssa_rtl::simulated_cycles() const { return m->cycles; }

void install_rtl_backend() {
    register_rtl_backend([] { return std::make_unique<vssa_rtl>(); });
}

}  // namespace dtq::vssa
