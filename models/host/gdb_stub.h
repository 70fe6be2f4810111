// A minimal GDB remote serial protocol stub for the rv32 ISS (docs/firmware.md#debugging):
// one debugger on a localhost TCP port; registers (x0..x31, pc), memory (the ISS's own and,
// through the bus's debug transport, device registers and memories), software breakpoints
// (Z0/z0, also Z1), continue, single step, kill, detach. While the debugger holds the core,
// the SystemC thread is blocked in serve(): simulated time does not advance.
#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <string>

namespace dtq {

struct gdb_target {
    std::function<uint32_t(unsigned)> reg;                        // 0..31 = x0..x31, 32 = pc
    std::function<void(unsigned, uint32_t)> set_reg;
    std::function<bool(uint32_t, uint8_t*, uint32_t)> read;       // false: nothing answers there
    std::function<bool(uint32_t, const uint8_t*, uint32_t)> write;
};

class gdb_stub {
public:
    enum class action { cont, step, kill, detach };

    explicit gdb_stub(gdb_target t) : m_t(std::move(t)) {}
    ~gdb_stub();
    gdb_stub(const gdb_stub&) = delete;
    gdb_stub& operator=(const gdb_stub&) = delete;

    // Listens on 127.0.0.1:port and waits for the debugger; "" or what failed.
    std::string accept(uint16_t port);
    // The core stopped (signal: 5 = SIGTRAP); report it unless `report` is false (the first
    // stop, which GDB asks for with '?'), then answer packets until the debugger resumes.
    action serve(int signal, bool report);
    // The program ended: tells the debugger (W, or X with a signal for a trap) and closes.
    void exited(int code);
    void killed_by(int signal);
    const std::set<uint32_t>& breakpoints() const { return m_bps; }

private:
    bool get_packet(std::string& out);
    void put_packet(const std::string& data);
    std::string handle(const std::string& p, action& act, bool& resume);

    gdb_target m_t;
    int m_listen = -1, m_fd = -1;
    std::set<uint32_t> m_bps;
};

}  // namespace dtq
