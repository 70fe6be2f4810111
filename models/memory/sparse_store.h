// Sparse backing store: 4 KiB pages allocated on first write, zero-filled.
// A 4 GiB address space costs only the pages that were touched.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>

namespace dtq {

class sparse_store {
public:
    static constexpr uint64_t PAGE = 4096;

    void read(uint64_t addr, uint8_t* dst, uint64_t len) const {
        while (len) {
            const uint64_t off = addr % PAGE, n = std::min(len, PAGE - off);
            auto it = m_pages.find(addr / PAGE);
            if (it == m_pages.end()) std::memset(dst, 0, n);
            else std::memcpy(dst, it->second->data() + off, n);
            addr += n; dst += n; len -= n;
        }
    }
    void write(uint64_t addr, const uint8_t* src, uint64_t len) {
        while (len) {
            const uint64_t off = addr % PAGE, n = std::min(len, PAGE - off);
            std::memcpy(page(addr / PAGE) + off, src, n);
            addr += n; src += n; len -= n;
        }
    }
    // Pointer to the page holding addr (allocated if needed); valid for the store's life.
    uint8_t* page(uint64_t index) {
        auto& p = m_pages[index];
        if (!p) p = std::make_unique<page_t>(page_t{});
        return p->data();
    }
    uint64_t pages_allocated() const { return m_pages.size(); }

private:
    using page_t = std::array<uint8_t, PAGE>;
    std::unordered_map<uint64_t, std::unique_ptr<page_t>> m_pages;
};

}  // namespace dtq
