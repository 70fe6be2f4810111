// Sparse backing store: 4 KiB pages allocated on first write, zero-filled (taken from zeroed
// chunks of 64 pages).
// A 4 GiB address space costs only the pages that were touched.
// Generated ranges: generate(begin, len, fill) stores the bytes fill computes as if they were
// written now, but keeps only the function: a read of a page nobody has written since
// computes them, and the page is allocated (and filled) on its first write or DMI pointer.
// Large read-only contents (a model's synthetic weights) then cost no host memory and no
// copy (docs/performance.md#generated-weights).
#pragma once
#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <new>
#include <unordered_map>
#include <vector>

#include "common/host_pool.h"

namespace dtq {

class sparse_store {
public:
    static constexpr uint64_t PAGE = 4096;

    // fill(offset, dst, n) writes bytes [offset, offset + n) of the range's contents.
    using fill_fn = std::function<void(uint64_t offset, uint8_t* dst, uint64_t n)>;

    void read(uint64_t addr, uint8_t* dst, uint64_t len) const {
        if (m_read_threads > 1 && len >= PARALLEL_READ && !m_ranges.empty()) {
            parallel_read(addr, dst, len);
            return;
        }
        serial_read(addr, dst, len);
    }
    // [begin, begin + len) holds fill's bytes from now on (offset 0 at begin): pages already
    // allocated there get them now; the others compute them when read. It replaces earlier
    // ranges where they overlap.
    void generate(uint64_t begin, uint64_t len, fill_fn fill) {
        if (!len) return;
        const uint64_t end = begin + len;
        auto it = m_ranges.lower_bound(begin);  // an earlier range reaching into [begin, end): split it
        if (it != m_ranges.begin() && std::prev(it)->second.end > begin) {
            range& r = std::prev(it)->second;
            if (r.end > end) m_ranges.emplace(end, range{r.end, r.base, r.fill});
            r.end = begin;
        }
        while (it != m_ranges.end() && it->first < end) {  // ranges starting inside: drop or trim
            if (it->second.end > end) m_ranges.emplace(end, range{it->second.end, it->second.base, it->second.fill});
            it = m_ranges.erase(it);
        }
        auto shared = std::make_shared<const fill_fn>(std::move(fill));
        for (uint64_t p = begin / PAGE; p * PAGE < end; ++p) {  // written pages take the bytes now
            auto page_it = m_pages.find(p);
            if (page_it == m_pages.end()) continue;
            const uint64_t a = std::max(begin, p * PAGE), b = std::min(end, (p + 1) * PAGE);
            (*shared)(a - begin, page_it->second + a % PAGE, b - a);
        }
        m_ranges.emplace(begin, range{end, begin, std::move(shared)});
    }
    uint64_t generated_ranges() const { return m_ranges.size(); }
    // A read of PARALLEL_READ bytes or more, with generated ranges present, is split into
    // `n` parts at page boundaries, read by the host pool (the caller and its workers): computing
    // the bytes is the cost there. fill functions must then be safe to call concurrently
    // (pure functions of their arguments, as the weight generator is). Default 1.
    void set_read_threads(unsigned n) { m_read_threads = std::max(1u, n); }
    static constexpr uint64_t PARALLEL_READ = 256 * 1024;
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
        if (auto it = m_pages.find(index); it != m_pages.end()) return it->second;
        if (m_used == CHUNK) {
            auto* c = static_cast<uint8_t*>(std::calloc(CHUNK, PAGE));
            if (!c) throw std::bad_alloc();
            m_chunks.emplace_back(c);
            m_used = 0;
        }
        uint8_t* p = m_chunks.back().get() + m_used++ * PAGE;
        if (!m_ranges.empty()) unwritten(index * PAGE, p, PAGE, true);  // a generated range's bytes
        m_pages.emplace(index, p);
        return p;
    }
    uint64_t pages_allocated() const { return m_pages.size(); }

private:
    struct range {
        uint64_t end, base;                      // [key, end), fill's offset 0 at base
        std::shared_ptr<const fill_fn> fill;     // shared by the parts of a split range
    };
    // Bytes [addr, addr + n) of an unallocated page (n within the page): the generated
    // ranges' bytes, zero elsewhere (left as they are when `zeroed`).
    void unwritten(uint64_t addr, uint8_t* dst, uint64_t n, bool zeroed = false) const {
        const uint64_t end = addr + n;
        auto it = m_ranges.upper_bound(addr);
        if (it != m_ranges.begin() && std::prev(it)->second.end > addr) --it;
        uint64_t at = addr;
        for (; it != m_ranges.end() && it->first < end; ++it) {
            const uint64_t a = std::max(at, it->first), b = std::min(end, it->second.end);
            if (a > at && !zeroed) std::memset(dst + (at - addr), 0, a - at);
            (*it->second.fill)(a - it->second.base, dst + (a - addr), b - a);
            at = b;
        }
        if (at < end && !zeroed) std::memset(dst + (at - addr), 0, end - at);
    }

    void parallel_read(uint64_t addr, uint8_t* dst, uint64_t len) const {
        // m_read_threads parts, each ending at the page boundary after its share, read by the
        // host pool (common/host_pool.h): the caller and the pool's workers.
        const uint64_t n = m_read_threads, first_page = addr / PAGE, pages = (addr + len - 1) / PAGE - first_page + 1;
        const auto end_of = [&](uint64_t part) {
            return part + 1 == n ? addr + len : std::max(addr, std::min(addr + len, (first_page + pages * (part + 1) / n) * PAGE));
        };
        run_parts(static_cast<unsigned>(n), [&](unsigned part) {
            const uint64_t begin = part ? end_of(part - 1) : addr, end = end_of(part);
            if (end > begin) serial_read(begin, dst + (begin - addr), end - begin);
        });
    }
    void serial_read(uint64_t addr, uint8_t* dst, uint64_t len) const {
        while (len) {
            const uint64_t off = addr % PAGE, n = std::min(len, PAGE - off);
            auto it = m_pages.find(addr / PAGE);
            if (it != m_pages.end()) std::memcpy(dst, it->second + off, n);
            else if (m_ranges.empty()) std::memset(dst, 0, n);
            else unwritten(addr, dst, n);
            addr += n; dst += n; len -= n;
        }
    }

    static constexpr uint64_t CHUNK = 64;  // 256 KiB, above glibc's default mmap threshold (128 KiB)
    struct free_chunk {
        void operator()(uint8_t* c) const { std::free(c); }
    };
    std::unordered_map<uint64_t, uint8_t*> m_pages;
    std::map<uint64_t, range> m_ranges;  // generated ranges by first byte, disjoint
    unsigned m_read_threads = 1;
    std::vector<std::unique_ptr<uint8_t, free_chunk>> m_chunks;
    uint64_t m_used = CHUNK;  // pages taken from the last chunk
};

}  // namespace dtq
