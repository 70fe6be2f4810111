// Sparse backing store: 4 KiB pages allocated on first write, zero-filled (taken from zeroed
// chunks of 64 pages).
// A 4 GiB address space costs only the pages that were touched.
#pragma once
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <unordered_map>
#include <vector>

namespace dtq {

class sparse_store {
public:
    static constexpr uint64_t PAGE = 4096;

    void read(uint64_t addr, uint8_t* dst, uint64_t len) const {
        while (len) {
            const uint64_t off = addr % PAGE, n = std::min(len, PAGE - off);
            auto it = m_pages.find(addr / PAGE);
            if (it == m_pages.end()) std::memset(dst, 0, n);
            else std::memcpy(dst, it->second + off, n);
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
    // Pages come from chunks of CHUNK pages allocated zeroed by calloc: a chunk this large is
    // a fresh mapping whose pages the kernel zeroes on first touch, so no page is cleared twice
    // (by a memset and again by the kernel) and untouched pages of a chunk cost no memory.
    uint8_t* page(uint64_t index) {
        auto& p = m_pages[index];
        if (!p) {
            if (m_used == CHUNK) {
                auto* c = static_cast<uint8_t*>(std::calloc(CHUNK, PAGE));
                if (!c) throw std::bad_alloc();
                m_chunks.emplace_back(c);
                m_used = 0;
            }
            p = m_chunks.back().get() + m_used++ * PAGE;
        }
        return p;
    }
    uint64_t pages_allocated() const { return m_pages.size(); }

private:
    static constexpr uint64_t CHUNK = 64;  // 256 KiB, above glibc's default mmap threshold (128 KiB)
    struct free_chunk {
        void operator()(uint8_t* c) const { std::free(c); }
    };
    std::unordered_map<uint64_t, uint8_t*> m_pages;
    std::vector<std::unique_ptr<uint8_t, free_chunk>> m_chunks;
    uint64_t m_used = CHUNK;  // pages taken from the last chunk
};

}  // namespace dtq
