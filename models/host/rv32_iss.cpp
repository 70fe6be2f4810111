// rv32 mode of the host model: the firmware's ELF runs on an instruction-set simulator
// (Unicorn 2, RISCV32) inside the host's SC_THREAD (docs/firmware.md#rv32).
//
//  - Memory: the ELF's flash and RAM (picolibc's __flash/__ram symbols, else its PT_LOAD
//    segments) are ISS memory; every other address is MMIO whose accesses become TLM
//    transactions on the host's socket (HOST_DRAM_ALIAS translated to DRAM). One core-local
//    register block, like a CLINT, answers at 0x0200_0000: mtime (the host cycle count).
//  - Time: retired instructions x host_config::cpi host cycles (instructions counted per
//    translated block), plus access_cycles and the bus time of each MMIO access; local time
//    runs ahead in the host's quantum keeper, the ISS returns to SystemC every
//    iss_quantum_instructions instructions, at MMIO accesses that need a sync and at WFI.
//  - Interrupts: Unicorn 2.0.1 has no way to raise mip.MEIP from outside, so the wrapper takes
//    the machine external interrupt itself at an instruction boundary: when the IRQ line is
//    high, mstatus.MIE and mie.MEIE set, it writes mepc, mcause (0x8000000b), mstatus (MPIE,
//    MPP, MIE = 0) and jumps to mtvec (direct or vectored); the program's mret returns. WFI
//    ends the emulation; the thread sleeps until the line is high (if mie.MEIE is set).
//  - Semihosting (the `slli x0,x0,0x1f; ebreak; srai x0,x0,7` sequence picolibc uses): the
//    console, the exit status and the command line.
//  - Any other trap (illegal instruction, ebreak, ecall, a bus error on a load or store,
//    a fetch outside memory) stops the run: cause, PC, function (ELF symbols), address.
//  - Unicorn is loaded with dlopen when the first ISS is created, not linked: its 37,000
//    relocations (bound at load) cost every dtqvp process about 5 ms of start-up, and only
//    host.cpu rv32 runs need it (docs/performance.md#generated-weights, step 11).
#include <dlfcn.h>
#include <elf.h>
#include <fmt/format.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <type_traits>
#include <unordered_map>

#include "common/timing_only.h"
#include "ctrl/regs_gen.h"
#include "host/gdb_stub.h"
#include "dtq_hal.h"
#include "host/host.h"

namespace dtq {

using namespace sc_core;

namespace {
constexpr uint32_t MSTATUS_MIE = 1u << 3, MSTATUS_MPIE = 1u << 7, MSTATUS_MPP = 3u << 11;
constexpr uint32_t MIE_MEIE = 1u << 11;
constexpr uint32_t MCAUSE_MEI = 0x8000000Bu;
constexpr uint32_t INSN_WFI = 0x10500073u, INSN_EBREAK = 0x00100073u, INSN_ECALL = 0x00000073u;
constexpr uint16_t INSN_C_EBREAK = 0x9002u;
constexpr uint32_t SEMI_PRE = 0x01f01013u, SEMI_POST = 0x40705013u;  // slli x0,x0,0x1f / srai x0,x0,7
constexpr uint32_t CLINT_BASE = 0x02000000u, CLINT_SIZE = 0x10000u, MTIME = CLINT_BASE + 0xBFF8u;
constexpr uint32_t PAGE = 0x1000u;

std::string hex(uint64_t v) { return fmt::format("0x{:08x}", v); }

// The Unicorn entry points the ISS uses, resolved from the library on first use (dlopen:
// see the top of this file). An empty `error`: loaded.
#define DTQ_UNICORN_ENTRY_POINTS(X) \
    X(close) X(emu_start) X(emu_stop) X(hook_add) X(mem_map) X(mem_read) X(mem_write) X(mmio_map) X(open) X(reg_read) X(reg_write) X(strerror)
struct unicorn_api {
#define DTQ_UNICORN_MEMBER(name) decltype(&::uc_##name) name = nullptr;
    DTQ_UNICORN_ENTRY_POINTS(DTQ_UNICORN_MEMBER)
#undef DTQ_UNICORN_MEMBER
    std::string error;
};

const unicorn_api& unicorn() {
    static const unicorn_api api = [] {
        unicorn_api a;
        void* lib = nullptr;
        for (const char* name : {"libunicorn.so.2", "libunicorn.so"})
            if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
        if (!lib) {
            const char* e = dlerror();
            a.error = fmt::format("cannot load the rv32 ISS library libunicorn.so.2 (Debian package libunicorn2): {}", e ? e : "not found");
            return a;
        }
        const auto get = [&](auto& f, const char* symbol) {
            f = reinterpret_cast<std::remove_reference_t<decltype(f)>>(dlsym(lib, symbol));
            if (!f && a.error.empty()) a.error = fmt::format("the rv32 ISS library libunicorn.so.2 has no {}", symbol);
        };
#define DTQ_UNICORN_GET(name) get(a.name, "uc_" #name);
        DTQ_UNICORN_ENTRY_POINTS(DTQ_UNICORN_GET)
#undef DTQ_UNICORN_GET
        return a;  // the library stays loaded for the process's life
    }();
    return api;
}
}  // namespace

struct host::iss {
    host* h = nullptr;
    uc_engine* uc = nullptr;
    std::string path, cmdline;
    uint32_t entry = 0;
    struct sym {
        uint32_t addr, size;
        std::string name;
    };
    std::vector<sym> funcs;                       // sorted by address
    std::map<std::string, uint32_t> symbols;      // every named symbol (gdb, tests)
    std::vector<std::pair<uint32_t, uint32_t>> local;  // [lo, hi): ISS memory
    struct region {
        iss* self;
        uint32_t base;
    };
    std::vector<std::unique_ptr<region>> regions;
    std::unordered_map<uint64_t, uint32_t> block_insns;  // (address << 16 | size) -> instructions
    uint64_t icount = 0, chunk_start = 0, quantum = 100000;
    bool stop_requested = false, exited = false;
    int exit_code = 0;
    std::string fault;                            // set by an MMIO callback: the run stops
    uc_hook hk_block = 0, hk_code = 0;
    // semihosting files
    struct shfile {
        std::string data;
        size_t pos = 0;
        bool tty = false;
    };
    std::map<uint32_t, shfile> files;
    uint32_t next_fd = 3;
    // debugger
    std::unique_ptr<gdb_stub> gdb;
    bool bp_hit = false;
    uint32_t bp_skip = ~0u;  // resuming at a breakpoint: do not stop there again at once

    ~iss() {
        if (uc) unicorn().close(uc);
    }

    uint32_t reg(int r) const {
        uint32_t v = 0;
        unicorn().reg_read(uc, r, &v);
        return v;
    }
    void set_reg(int r, uint32_t v) { unicorn().reg_write(uc, r, &v); }
    bool read_mem(uint32_t a, void* dst, size_t n) const { return unicorn().mem_read(uc, a, dst, n) == UC_ERR_OK; }
    uint32_t rd32(uint32_t a) const {
        uint32_t v = 0;
        read_mem(a, &v, 4);
        return v;
    }
    std::string cstring(uint32_t a, size_t max = 1 << 16) const {
        std::string s;
        char c;
        while (s.size() < max && read_mem(a + static_cast<uint32_t>(s.size()), &c, 1) && c) s += c;
        return s;
    }
    bool is_local(uint32_t a) const {
        for (auto [lo, hi] : local)
            if (a >= lo && a < hi) return true;
        return false;
    }

    std::string where(uint32_t pc) const {
        auto it = std::upper_bound(funcs.begin(), funcs.end(), pc, [](uint32_t a, const sym& s) { return a < s.addr; });
        if (it != funcs.begin()) {
            --it;
            if (pc < it->addr + std::max<uint32_t>(it->size, 1)) return fmt::format("{}+0x{:x}", it->name, pc - it->addr);
        }
        return "?";
    }

    uint64_t bus_address(uint32_t a) const {
        if (a >= regs::HOST_DRAM_ALIAS_BASE && a - regs::HOST_DRAM_ALIAS_BASE < regs::HOST_DRAM_ALIAS_SIZE)
            return regs::DRAM_BASE + (a - regs::HOST_DRAM_ALIAS_BASE);
        return a;
    }

    void request_stop() {
        stop_requested = true;
        unicorn().emu_stop(uc);
    }
    bool irq_takeable() const {
        return h->irq.level() && (reg(UC_RISCV_REG_MSTATUS) & MSTATUS_MIE) && (reg(UC_RISCV_REG_MIE) & MIE_MEIE);
    }

    unsigned insn_len(uint32_t a) const {
        uint16_t h = 0;
        read_mem(a, &h, 2);
        return (h & 3) == 3 ? 4 : 2;
    }
    // The instruction that ends at `next` (Unicorn reports some exceptions with the PC after
    // the faulting instruction): walked from the start of the function that contains it.
    uint32_t insn_before(uint32_t next) const {
        auto it = std::upper_bound(funcs.begin(), funcs.end(), next - 1, [](uint32_t a, const sym& f) { return a < f.addr; });
        if (it != funcs.begin()) {
            --it;
            for (uint32_t a = it->addr; a < next; a += insn_len(a))
                if (a + insn_len(a) == next) return a;
        }
        return insn_len(next - 4) == 4 ? next - 4 : next - 2;  // no symbol: a guess
    }
    // A load or store in the block from `from` whose effective address is `addr`.
    uint32_t find_access(uint32_t from, uint32_t addr, bool write) const {
        uint32_t first_kind = from, a = from;
        bool have_kind = false;
        for (int i = 0; i < 64; ++i, a += insn_len(a)) {
            uint32_t w = 0;
            read_mem(a, &w, 4);
            int rs1 = -1;
            int32_t imm = 0;
            bool is_store = false, mem = false;
            if ((w & 3) == 3) {
                const uint32_t op = w & 0x7F;
                if (op == 0x03 || op == 0x23) {
                    mem = true;
                    is_store = op == 0x23;
                    rs1 = static_cast<int>((w >> 15) & 31);
                    imm = is_store ? ((static_cast<int32_t>(w) >> 25) * 32) | static_cast<int32_t>((w >> 7) & 31) : static_cast<int32_t>(w) >> 20;
                }
            } else {
                const uint32_t h = w & 0xFFFF, q = h & 3, f3 = h >> 13;
                if (q == 0 && (f3 == 2 || f3 == 6)) {  // c.lw / c.sw
                    mem = true;
                    is_store = f3 == 6;
                    rs1 = 8 + static_cast<int>((h >> 7) & 7);
                    imm = static_cast<int32_t>(((h >> 10) & 7) << 3 | ((h >> 6) & 1) << 2 | ((h >> 5) & 1) << 6);
                } else if (q == 2 && (f3 == 2 || f3 == 6)) {  // c.lwsp / c.swsp
                    mem = true;
                    is_store = f3 == 6;
                    rs1 = 2;
                    imm = f3 == 2 ? static_cast<int32_t>(((h >> 4) & 7) << 2 | ((h >> 12) & 1) << 5 | ((h >> 2) & 3) << 6)
                                  : static_cast<int32_t>(((h >> 9) & 15) << 2 | ((h >> 7) & 3) << 6);
                }
            }
            if (!mem || is_store != write) continue;
            if (!have_kind) first_kind = a, have_kind = true;
            if (reg(UC_RISCV_REG_X0 + rs1) + static_cast<uint32_t>(imm) == addr) return a;
        }
        return first_kind;
    }

    std::string load(const std::string& file);
    uint64_t mmio(bool write, uint32_t addr, unsigned size, uint64_t value);
    bool semihost(uint32_t pc, unsigned ebreak_len);
    bool take_interrupt();
    std::string trap(const std::string& cause, uint32_t code, uint32_t pc, const std::string& extra) const {
        return fmt::format("firmware trap: {} (mcause {}) at PC {} in {}{}", cause, code, hex(pc), where(pc), extra);
    }
};

void host::iss_del::operator()(iss* p) const { delete p; }

// ---- ELF loading

std::string host::iss::load(const std::string& file) {
    std::ifstream f(file, std::ios::binary);
    if (!f) return fmt::format("{}: cannot open the ELF file", file);
    std::vector<uint8_t> img((std::istreambuf_iterator<char>(f)), {});
    auto bad = [&](const std::string& why) { return fmt::format("{}: not an rv32 executable ELF: {}", file, why); };
    if (img.size() < sizeof(Elf32_Ehdr) || std::memcmp(img.data(), ELFMAG, SELFMAG) != 0) return bad("no ELF header");
    Elf32_Ehdr eh;
    std::memcpy(&eh, img.data(), sizeof eh);
    if (eh.e_ident[EI_CLASS] != ELFCLASS32) return bad("expected ELFCLASS32 (a 64-bit ELF?)");
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return bad("expected little-endian");
    if (eh.e_machine != EM_RISCV) return bad(fmt::format("expected machine RISC-V (243), got {}", eh.e_machine));
    if (eh.e_type != ET_EXEC) return bad("expected an executable (ET_EXEC), not an object or shared file");
    entry = eh.e_entry;
    auto in_file = [&](uint64_t off, uint64_t n) { return off + n <= img.size(); };
    if (!in_file(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf32_Phdr))) return bad("truncated program headers");
    std::vector<Elf32_Phdr> loads;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf32_Phdr ph;
        std::memcpy(&ph, img.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        if (!in_file(ph.p_offset, ph.p_filesz)) return bad("a PT_LOAD segment extends past the end of the file");
        loads.push_back(ph);
    }
    if (loads.empty()) return bad("no PT_LOAD segment");
    // Symbols: functions for trap reports, every name for the memory map and GDB.
    if (in_file(eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf32_Shdr))) {
        for (unsigned i = 0; i < eh.e_shnum; ++i) {
            Elf32_Shdr sh;
            std::memcpy(&sh, img.data() + eh.e_shoff + i * sizeof sh, sizeof sh);
            if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= eh.e_shnum) continue;
            Elf32_Shdr str;
            std::memcpy(&str, img.data() + eh.e_shoff + sh.sh_link * sizeof str, sizeof str);
            if (!in_file(sh.sh_offset, sh.sh_size) || !in_file(str.sh_offset, str.sh_size)) continue;
            for (uint32_t off = 0; off + sizeof(Elf32_Sym) <= sh.sh_size; off += sizeof(Elf32_Sym)) {
                Elf32_Sym s;
                std::memcpy(&s, img.data() + sh.sh_offset + off, sizeof s);
                if (s.st_name == 0 || s.st_name >= str.sh_size) continue;
                const char* n = reinterpret_cast<const char*>(img.data() + str.sh_offset + s.st_name);
                const std::string name(n, strnlen(n, str.sh_size - s.st_name));
                symbols[name] = s.st_value;
                if (ELF32_ST_TYPE(s.st_info) == STT_FUNC) funcs.push_back({s.st_value, s.st_size, name});
            }
        }
    }
    std::sort(funcs.begin(), funcs.end(), [](const sym& a, const sym& b) { return a.addr < b.addr; });
    // ISS memory: the linker's flash and RAM when it names them (picolibc's script does), else the segments.
    auto page_lo = [](uint64_t a) { return static_cast<uint32_t>(a & ~uint64_t{PAGE - 1}); };
    auto page_hi = [](uint64_t a) { return static_cast<uint32_t>(std::min<uint64_t>((a + PAGE - 1) & ~uint64_t{PAGE - 1}, 0xFFFFF000u)); };
    std::vector<std::pair<uint32_t, uint32_t>> want;
    for (const char* m : {"__flash", "__ram"}) {
        auto b = symbols.find(m), s = symbols.find(std::string(m) + "_size");
        if (b != symbols.end() && s != symbols.end() && s->second) want.push_back({page_lo(b->second), page_hi(uint64_t{b->second} + s->second)});
    }
    if (want.empty())
        for (const auto& ph : loads)
            for (uint32_t a : {ph.p_paddr, ph.p_vaddr}) want.push_back({page_lo(a), page_hi(uint64_t{a} + ph.p_memsz)});
    std::sort(want.begin(), want.end());
    for (const auto& w : want) {  // merge overlaps
        if (!local.empty() && w.first <= local.back().second) local.back().second = std::max(local.back().second, w.second);
        else local.push_back(w);
    }
    for (auto [lo, hi] : local) {
        if (lo >= CLINT_BASE && lo < CLINT_BASE + CLINT_SIZE) return bad("memory overlaps the core-local block at 0x02000000");
        if (unicorn().mem_map(uc, lo, hi - lo, UC_PROT_ALL) != UC_ERR_OK) return bad(fmt::format("cannot map memory {}..{}", hex(lo), hex(hi)));
    }
    for (const auto& ph : loads) {  // the load image at its load (physical) address: crt0 copies .data to RAM
        if (!is_local(ph.p_paddr) || !is_local(ph.p_paddr + ph.p_memsz - 1))
            return bad(fmt::format("segment at {} ({} bytes) is outside the flash/RAM the ELF declares", hex(ph.p_paddr), ph.p_memsz));
        std::vector<uint8_t> seg(ph.p_memsz, 0);
        std::memcpy(seg.data(), img.data() + ph.p_offset, ph.p_filesz);
        unicorn().mem_write(uc, ph.p_paddr, seg.data(), seg.size());
    }
    if (!is_local(entry)) return bad(fmt::format("entry point {} is outside its memory", hex(entry)));
    return "";
}

// ---- MMIO: every access outside the ISS memory

uint64_t host::iss::mmio(bool write, uint32_t addr, unsigned size, uint64_t value) {
    h->charge_instructions();
    if (addr >= CLINT_BASE && addr < CLINT_BASE + CLINT_SIZE) {  // core-local: no bus transaction
        h->m_qk.inc(h->m_clk.time(h->m_cfg.access_cycles));
        const uint64_t now = h->m_clk.cycles(sc_time_stamp() + h->m_qk.get_local_time());
        if (write) return 0;  // mtime is read-only here
        if (addr == MTIME && size == 8) return now;
        if (addr == MTIME) return static_cast<uint32_t>(now);
        if (addr == MTIME + 4) return static_cast<uint32_t>(now >> 32);
        return 0;
    }
    uint8_t b[8] = {};
    for (unsigned i = 0; i < size && i < 8; ++i) b[i] = static_cast<uint8_t>(value >> (8 * i));
    const uint64_t bus = bus_address(addr);
    const bool ok = h->iss_access(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, bus, b, size);
    if (!ok && fault.empty()) {
        // Unicorn gives the PC of the translated block here, not of the access: find the
        // load/store in the block whose address (with the registers after the block) matches.
        const uint32_t pc = find_access(reg(UC_RISCV_REG_PC), addr, write);
        fault = trap(write ? "store access fault" : "load access fault", write ? 7 : 5, pc,
                     fmt::format(": {}-byte {} of address {}{} answered with a bus error (no device there, or the device refused it)",
                                 size, write ? "store" : "load", hex(addr),
                                 bus != addr ? fmt::format(" (bus address 0x{:x})", bus) : std::string()));
        request_stop();
    }
    if (h->irq.level() && irq_takeable()) request_stop();  // the interrupt is taken at the next boundary
    uint64_t v = 0;
    for (unsigned i = 0; i < size && i < 8; ++i) v |= uint64_t{b[i]} << (8 * i);
    return v;
}

// ---- interrupts

bool host::iss::take_interrupt() {
    if (!irq_takeable()) return false;
    const uint32_t pc = reg(UC_RISCV_REG_PC), ms = reg(UC_RISCV_REG_MSTATUS), tvec = reg(UC_RISCV_REG_MTVEC);
    set_reg(UC_RISCV_REG_MEPC, pc);
    set_reg(UC_RISCV_REG_MCAUSE, MCAUSE_MEI);
    set_reg(UC_RISCV_REG_MTVAL, 0);
    set_reg(UC_RISCV_REG_MSTATUS, (ms & ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)) | MSTATUS_MPIE | MSTATUS_MPP);
    set_reg(UC_RISCV_REG_PC, (tvec & ~3u) + ((tvec & 3u) == 1 ? 4 * 11 : 0));
    ++h->m_irqs_taken;
    return true;
}

// ---- semihosting (ARM/RISC-V semihosting specification, the calls picolibc makes)

bool host::iss::semihost(uint32_t pc, unsigned ebreak_len) {
    if (rd32(pc - 4) != SEMI_PRE || rd32(pc + ebreak_len) != SEMI_POST) return false;
    const uint32_t op = reg(UC_RISCV_REG_A0), arg = reg(UC_RISCV_REG_A1);
    auto word = [&](unsigned i) { return rd32(arg + 4 * i); };
    int64_t ret = -1;
    switch (op) {
        case 0x01: {  // SYS_OPEN {name, mode, len}
            const std::string name = cstring(word(0), word(2) + 1);
            shfile f;
            if (name == ":tt") {
                f.tty = true;
            } else if (name == ":semihosting-features") {
                f.data = std::string("SHFB", 4) + '\x03';  // SH_EXT_EXIT_EXTENDED | SH_EXT_STDOUT_STDERR
            } else {
                break;  // no host file system for the firmware
            }
            files[next_fd] = f;
            ret = next_fd++;
            break;
        }
        case 0x02: ret = files.erase(arg ? word(0) : 0) ? 0 : -1; break;  // SYS_CLOSE
        case 0x03: {                                                   // SYS_WRITEC
            char c[2] = {0, 0};
            read_mem(arg, c, 1);
            h->puts(c);
            ret = 0;
            break;
        }
        case 0x04: h->puts(cstring(arg).c_str()); ret = 0; break;  // SYS_WRITE0
        case 0x05: {                                                 // SYS_WRITE {fd, buf, len}: bytes not written
            const uint32_t fd = word(0), n = word(2);
            std::string s(n, '\0');
            if (!read_mem(word(1), s.data(), n)) break;
            auto it = files.find(fd);
            if (it == files.end() && fd > 2) break;
            h->puts(s.c_str());
            ret = 0;
            break;
        }
        case 0x06: {  // SYS_READ {fd, buf, len}: bytes not read
            auto it = files.find(word(0));
            if (it == files.end()) break;
            const uint32_t n = word(2);
            shfile& f = it->second;
            const size_t k = std::min<size_t>(n, f.data.size() - std::min(f.pos, f.data.size()));
            if (k) unicorn().mem_write(uc, word(1), f.data.data() + f.pos, k);
            f.pos += k;
            ret = n - k;
            break;
        }
        case 0x09: ret = files.count(word(0)) && files[word(0)].tty ? 1 : 0; break;  // SYS_ISTTY
        case 0x0A: {                                                                   // SYS_SEEK {fd, pos}
            auto it = files.find(word(0));
            if (it != files.end()) it->second.pos = word(1), ret = 0;
            break;
        }
        case 0x0C: {  // SYS_FLEN
            auto it = files.find(word(0));
            if (it != files.end()) ret = static_cast<int64_t>(it->second.data.size());
            break;
        }
        case 0x10: ret = static_cast<int64_t>(sc_time_stamp().to_seconds() * 100); break;  // SYS_CLOCK (cs)
        case 0x11: ret = 0; break;                                                        // SYS_TIME
        case 0x13: ret = 0; break;                                                        // SYS_ERRNO
        case 0x15: {  // SYS_GET_CMDLINE {buf, len}
            const uint32_t cap = word(1);
            if (cmdline.size() + 1 > cap) break;
            unicorn().mem_write(uc, word(0), cmdline.c_str(), cmdline.size() + 1);
            const uint32_t len = static_cast<uint32_t>(cmdline.size());
            unicorn().mem_write(uc, arg + 4, &len, 4);
            ret = 0;
            break;
        }
        case 0x16: {  // SYS_HEAPINFO: unknown (zeros): picolibc uses its linker symbols
            const uint32_t blk = word(0), z[4] = {0, 0, 0, 0};
            unicorn().mem_write(uc, blk, z, sizeof z);
            ret = 0;
            break;
        }
        case 0x18:  // SYS_EXIT: the reason only (ADP_Stopped_ApplicationExit = success)
            exited = true;
            exit_code = arg == 0x20026u ? 0 : 1;
            ret = 0;
            break;
        case 0x20:  // SYS_EXIT_EXTENDED {reason, code}
            exited = true;
            exit_code = word(0) == 0x20026u ? static_cast<int32_t>(word(1)) : 1;
            ret = 0;
            break;
        case 0x30: {  // SYS_ELAPSED: 64-bit tick count (host cycles)
            const uint64_t now = h->m_clk.cycles(sc_time_stamp() + h->m_qk.get_local_time());
            unicorn().mem_write(uc, arg, &now, 8);
            ret = 0;
            break;
        }
        case 0x31: ret = static_cast<int64_t>(1e12 / static_cast<double>(h->m_clk.period_ps())); break;  // SYS_TICKFREQ
        default: break;
    }
    set_reg(UC_RISCV_REG_A0, static_cast<uint32_t>(ret));
    set_reg(UC_RISCV_REG_PC, pc + ebreak_len + 4);
    return true;
}

// ---- the host side

std::string host::set_elf(const std::string& path, std::vector<std::string> args) {
    std::unique_ptr<iss, iss_del> s(new iss);
    s->h = this;
    s->path = path;
    s->quantum = std::max<uint64_t>(1, m_cfg.iss_quantum_instructions);
    // picolibc's crt0 (semihost) sets argv[0] itself and splits the command line into argv[1..].
    for (const auto& a : args) s->cmdline += (s->cmdline.empty() ? "" : " ") + a;
    if (!unicorn().error.empty()) return unicorn().error;
    if (unicorn().open(UC_ARCH_RISCV, UC_MODE_RISCV32, &s->uc) != UC_ERR_OK) return "cannot create the rv32 ISS (Unicorn)";
    if (std::string e = s->load(path); !e.empty()) return e;
    // MMIO everywhere else in the 32-bit space.
    std::vector<std::pair<uint32_t, uint32_t>> mem = s->local;
    uint64_t at = 0;
    auto map_gap = [&](uint64_t lo, uint64_t hi) {
        if (hi <= lo) return;
        auto r = std::make_unique<iss::region>(iss::region{s.get(), static_cast<uint32_t>(lo)});
        unicorn().mmio_map(
            s->uc, lo, hi - lo,
            [](uc_engine*, uint64_t off, unsigned size, void* u) -> uint64_t {
                auto* rg = static_cast<iss::region*>(u);
                return rg->self->mmio(false, static_cast<uint32_t>(rg->base + off), size, 0);
            },
            r.get(),
            [](uc_engine*, uint64_t off, unsigned size, uint64_t v, void* u) {
                auto* rg = static_cast<iss::region*>(u);
                rg->self->mmio(true, static_cast<uint32_t>(rg->base + off), size, v);
            },
            r.get());
        s->regions.push_back(std::move(r));
    };
    for (auto [lo, hi] : mem) {
        map_gap(at, lo);
        at = hi;
    }
    map_gap(at, 0x100000000ull);
    // Instructions: counted per translated block (the block's instruction lengths decoded
    // once); the hook also bounds a chunk and takes an interrupt the program just enabled.
    unicorn().hook_add(
        s->uc, &s->hk_block, UC_HOOK_BLOCK,
        reinterpret_cast<void*>(+[](uc_engine* uc, uint64_t address, uint32_t size, void* u) {
            auto* st = static_cast<iss*>(u);
            const uint64_t key = address << 16 | (size & 0xFFFF);
            auto it = st->block_insns.find(key);
            if (it == st->block_insns.end()) {
                uint32_t n = 0;
                std::vector<uint8_t> b(size);
                unicorn().mem_read(uc, address, b.data(), size);
                for (uint32_t off = 0; off < size; off += ((b[off] & 3) == 3) ? 4 : 2) ++n;
                it = st->block_insns.emplace(key, n).first;
            }
            st->icount += it->second;
            if (st->icount - st->chunk_start >= st->quantum || (st->h->irq.level() && st->irq_takeable())) st->request_stop();
        }),
        s.get(), 1, 0);
    m_iss = std::move(s);
    return "";
}

void host::charge_instructions() {
    if (!m_iss) return;
    m_instructions = m_iss->icount;
    const auto total = static_cast<uint64_t>(static_cast<double>(m_iss->icount) * m_cfg.cpi);
    if (total > m_charged_cycles) {  // m_charged_cycles holds the cycles already charged
        m_qk.inc(m_clk.time(total - m_charged_cycles));
        m_charged_cycles = total;
    }
}

namespace {
// GDB numbers x0..x31 then pc; Unicorn's RISC-V registers are UC_RISCV_REG_X0 + n.
gdb_target gdb_target_of(host::iss& s, host& h) {
    gdb_target t;
    t.reg = [&s](unsigned r) { return s.reg(r == 32 ? UC_RISCV_REG_PC : UC_RISCV_REG_X0 + static_cast<int>(r)); };
    t.set_reg = [&s](unsigned r, uint32_t v) {
        if (r != 0) s.set_reg(r == 32 ? UC_RISCV_REG_PC : UC_RISCV_REG_X0 + static_cast<int>(r), v);
    };
    t.read = [&s, &h](uint32_t a, uint8_t* d, uint32_t n) {
        if (s.is_local(a) && s.is_local(a + n - 1)) return s.read_mem(a, d, n);
        return h.debug_access(false, s.bus_address(a), d, n);  // device registers: the bus's debug transport
    };
    t.write = [&s, &h](uint32_t a, const uint8_t* d, uint32_t n) {
        if (s.is_local(a) && s.is_local(a + n - 1)) return unicorn().mem_write(s.uc, a, d, n) == UC_ERR_OK;
        return h.debug_access(true, s.bus_address(a), const_cast<uint8_t*>(d), n);
    };
    return t;
}
}  // namespace

bool host::debug_access(bool write, uint64_t addr, uint8_t* data, unsigned len) {
    tlm::tlm_generic_payload tx;
    init_payload(tx, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
    return mem->transport_dbg(tx) == len;
}

// WFI: sleeps until the line is high (only if mie.MEIE lets it wake the core at all).
int host::iss_wait_irq(bool enabled) { return wait_irq_when(enabled); }

bool host::run_rv32() {
    iss& s = *m_iss;
    s.set_reg(UC_RISCV_REG_PC, s.entry);
    gdb_stub::action act = gdb_stub::action::cont;
    auto debugger = [&](int signal, bool report) {  // the core stops for the debugger: time stands still
        act = s.gdb->serve(signal, report);
        if (act == gdb_stub::action::detach) s.gdb.reset();
        if (act == gdb_stub::action::kill) {
            s.gdb.reset();
            fail("killed by the debugger");
            return false;
        }
        s.bp_skip = s.reg(UC_RISCV_REG_PC);
        return true;
    };
    if (m_cfg.gdb_port) {
        s.gdb = std::make_unique<gdb_stub>(gdb_target_of(s, *this));
        if (std::string err = s.gdb->accept(m_cfg.gdb_port); !err.empty()) {
            fail("--gdb: " + err);
            return false;
        }
        // Breakpoints: checked before every instruction while a debugger is attached.
        unicorn().hook_add(
            s.uc, &s.hk_code, UC_HOOK_CODE,
            reinterpret_cast<void*>(+[](uc_engine*, uint64_t address, uint32_t, void* u) {
                auto* st = static_cast<iss*>(u);
                const auto a = static_cast<uint32_t>(address);
                if (a == st->bp_skip) {
                    st->bp_skip = ~0u;
                    return;
                }
                st->bp_skip = ~0u;
                if (st->gdb && st->gdb->breakpoints().count(a)) {
                    st->bp_hit = true;
                    st->request_stop();
                }
            }),
            &s, 1, 0);
        if (!debugger(5, false)) return false;  // the first stop: before the first instruction
    }
    // The cycle watchdog also covers a program that runs without sleeping (a spin, a polling
    // loop): every watchdog timeout of simulated time the platform's hook judges progress.
    uint64_t spin_start = m_clk.now(), spin_deadline = m_wfi_timeout ? spin_start + m_wfi_timeout : ~0ull;
    for (;;) {
        if (m_clk.now() >= spin_deadline) {
            if (m_wfi_hook && m_wfi_hook(m_clk.now() - spin_start)) {
                spin_deadline += m_wfi_timeout;
            } else {
                m_spinning = true;
                if (s.gdb) s.gdb->killed_by(5);
                return false;
            }
        }
        s.take_interrupt();
        s.stop_requested = false;
        s.bp_hit = false;
        s.chunk_start = s.icount;
        const uint32_t begin = s.reg(UC_RISCV_REG_PC);
        const bool step = s.gdb && act == gdb_stub::action::step;
        const uc_err e = unicorn().emu_start(s.uc, begin, 0xFFFFFFFFull, 0, step ? 1 : 0);
        if (step) s.icount = s.chunk_start + 1;  // counted exactly: one instruction
        charge_instructions();
        if (m_qk.need_sync()) m_qk.sync();
        if (s.exited) {
            m_exit_code = s.exit_code;
            if (s.gdb) s.gdb->exited(s.exit_code);
            return true;
        }
        if (!s.fault.empty()) {
            if (s.gdb) s.gdb->killed_by(11);
            fail(s.fault);
            return false;
        }
        uint32_t pc = s.reg(UC_RISCV_REG_PC);
        if (e == UC_ERR_OK && s.gdb && (s.bp_hit || step)) {
            if (!debugger(5, true)) return false;
            continue;
        }
        if (e == UC_ERR_OK) {
            if (!s.stop_requested && s.rd32(pc - 4) == INSN_WFI) {
                const bool wake = s.reg(UC_RISCV_REG_MIE) & MIE_MEIE;
                if (iss_wait_irq(wake) != DTQ_HAL_OK) {  // the watchdog stopped the run
                    if (s.gdb) s.gdb->killed_by(5);
                    return false;
                }
                spin_start = m_clk.now();  // a sleep that ended resets the spin watchdog
                if (m_wfi_timeout) spin_deadline = spin_start + m_wfi_timeout;
            }
            continue;
        }
        uint32_t insn = 0;
        s.read_mem(pc, &insn, 4);
        if ((e == UC_ERR_EXCEPTION || e == UC_ERR_INSN_INVALID) && (insn & 0xFFFF) != INSN_C_EBREAK && insn != INSN_EBREAK) {
            // Unicorn 2.0.1 stops at an ebreak with its PC, but after an illegal instruction
            // with the PC that follows it (checked with tests/firmware/user_prog.c illegal)
            pc = s.insn_before(pc);
            // a zero word (the usual illegal instruction: zeroed memory) is reported 4 bytes
            // on, though its first half-word already traps: go back to the start of the zeros
            uint16_t h0 = 0, h1 = 0;
            s.read_mem(pc, &h0, 2);
            s.read_mem(pc - 2, &h1, 2);
            if (h0 == 0 && h1 == 0 && s.where(pc - 2) != "?" && s.where(pc - 2).substr(0, s.where(pc - 2).find('+')) == s.where(pc).substr(0, s.where(pc).find('+')))
                pc -= 2;
            s.read_mem(pc, &insn, 4);
        }
        if (e == UC_ERR_INSN_INVALID || e == UC_ERR_EXCEPTION) {
            const unsigned elen = (insn & 0xFFFF) == INSN_C_EBREAK ? 2 : insn == INSN_EBREAK ? 4 : 0;
            if (elen && s.semihost(pc, elen)) continue;
            if (elen) fail(s.trap("breakpoint (ebreak) with no debugger attached", 3, pc, ""));
            else if (insn == INSN_ECALL) fail(s.trap("environment call from M-mode (ecall)", 11, pc, ""));
            else
                fail(s.trap("illegal instruction", 2, pc,
                            fmt::format(": instruction word 0x{:0{}x}", (insn & 3) == 3 ? insn : insn & 0xFFFF, (insn & 3) == 3 ? 8 : 4)));
            if (s.gdb) s.gdb->killed_by(4);
            return false;
        }
        if (e == UC_ERR_FETCH_UNMAPPED || e == UC_ERR_FETCH_PROT)
            fail(s.trap("instruction access fault", 1, pc, ": no memory to execute there (a bad function pointer or return address?)"));
        else if (e == UC_ERR_READ_UNALIGNED || e == UC_ERR_WRITE_UNALIGNED || e == UC_ERR_FETCH_UNALIGNED)
            fail(s.trap(e == UC_ERR_FETCH_UNALIGNED ? "instruction address misaligned" : e == UC_ERR_READ_UNALIGNED ? "load address misaligned" : "store address misaligned",
                        e == UC_ERR_FETCH_UNALIGNED ? 0 : e == UC_ERR_READ_UNALIGNED ? 4 : 6, pc, ""));
        else
            fail(fmt::format("firmware trap: the ISS stopped at PC {} in {}: {}", hex(pc), s.where(pc), unicorn().strerror(e)));
        if (s.gdb) s.gdb->killed_by(4);
        return false;
    }
}

}  // namespace dtq
