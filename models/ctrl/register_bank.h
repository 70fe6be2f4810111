// Register file built from the generated table (regs_gen.h): name, offset, reset and
// access policy per register. Behaviour lives in per-register callbacks registered by
// the owning model (STYLE.md section 3): a read callback computes the value of a live
// register, a write callback replaces the default store and does check, store, act.
// Without a callback a write stores (rw) or clears (w1c) the bits of the write mask.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "ctrl/regs_gen.h"

namespace dtq {

class register_bank {
public:
    enum class result { ok, unmapped, read_only, write_only };

    register_bank() : m_index(regs::CTRL_SIZE / 4, -1), m_regs(regs::REG_COUNT) {
        for (std::size_t i = 0; i < regs::REG_COUNT; ++i) {
            m_regs[i].info = &regs::TABLE[i];
            m_index[regs::TABLE[i].offset / 4] = static_cast<int>(i);
        }
        reset();
    }

    void reset() {
        for (auto& r : m_regs) r.value = r.info->reset;
    }
    void on_read(uint32_t offset, std::function<uint32_t()> fn) { at(offset).read = std::move(fn); }
    void on_write(uint32_t offset, std::function<void(uint32_t)> fn) { at(offset).write = std::move(fn); }

    // Bus access (offset is word aligned and inside the window: the caller checked).
    result read(uint32_t offset, uint32_t& v) const {
        const int i = find(offset);
        if (i < 0) return result::unmapped;
        const reg& r = m_regs[static_cast<std::size_t>(i)];
        if (r.info->acc == regs::access::wo) return result::write_only;
        v = (r.read ? r.read() : r.value) & r.info->read_mask;
        return result::ok;
    }
    result write(uint32_t offset, uint32_t v) {
        const int i = find(offset);
        if (i < 0) return result::unmapped;
        reg& r = m_regs[static_cast<std::size_t>(i)];
        if (r.info->acc == regs::access::ro) return result::read_only;
        if (r.write) r.write(v);
        else store(r, v);
        return result::ok;
    }
    // Side-effect-free read for debuggers, dumps and tests (wo registers read 0).
    uint32_t peek(uint32_t offset) const {
        const int i = find(offset);
        if (i < 0) return 0;
        const reg& r = m_regs[static_cast<std::size_t>(i)];
        if (r.info->acc == regs::access::wo) return 0;
        return (r.read ? r.read() : r.value) & r.info->read_mask;
    }
    // Stored value, for the model itself (no masking, no callbacks).
    uint32_t& value(uint32_t offset) { return at(offset).value; }
    uint32_t value(uint32_t offset) const { return m_regs[static_cast<std::size_t>(find(offset))].value; }
    // Default store of a write (rw: masked store, w1c: clear the ones written).
    void store(uint32_t offset, uint32_t v) { store(at(offset), v); }

private:
    struct reg {
        const regs::reg_info* info = nullptr;
        uint32_t value = 0;
        std::function<uint32_t()> read;
        std::function<void(uint32_t)> write;
    };
    static void store(reg& r, uint32_t v) {
        const uint32_t m = r.info->write_mask;
        if (r.info->acc == regs::access::w1c) r.value &= ~(v & m);
        else r.value = (r.value & ~m) | (v & m);
    }
    int find(uint32_t offset) const {
        return offset / 4 < m_index.size() && offset % 4 == 0 ? m_index[offset / 4] : -1;
    }
    reg& at(uint32_t offset) { return m_regs[static_cast<std::size_t>(find(offset))]; }

    std::vector<int> m_index;  // word index -> register, -1 = reserved
    std::vector<reg> m_regs;
};

}  // namespace dtq
