#include "memory/l2.h"

#include "common/burst_train.h"
#include "common/timing_only.h"
#include "common/trace.h"

#include <algorithm>
#include <cstring>
#if defined(__AVX2__) || defined(__SSE4_1__)
#include <immintrin.h>
#endif

namespace dtq {

using namespace sc_core;

namespace {

// Bit w set when x[w] == v, w < n <= 64: the tag match of a set, and the victim (the way
// holding the smallest stamp). Branch-free (a scan with an early exit mispredicts on every
// miss); with AVX2, 8 ways per compare and movemask.
__attribute__((always_inline)) inline uint64_t equal_mask(const int32_t* x, int32_t v, uint64_t n) {
    uint64_t m = 0, w = 0;
#ifdef __AVX512F__
    if (n == 16)  // the default geometry: one compare into a mask register
        return _mm512_cmpeq_epi32_mask(_mm512_loadu_si512(x), _mm512_set1_epi32(v));
#endif
#ifdef __AVX2__
    const __m256i key = _mm256_set1_epi32(v);
    if (n == 16) {  // the default geometry, without the loop
        const __m256i e0 = _mm256_cmpeq_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)), key);
        const __m256i e1 = _mm256_cmpeq_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 8)), key);
        return uint64_t{static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(e0)))} |
               uint64_t{static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(e1)))} << 8;
    }
    for (; w + 8 <= n; w += 8) {
        const __m256i e = _mm256_cmpeq_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + w)), key);
        m |= uint64_t{static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(e)))} << w;
    }
#endif
    for (; w < n; ++w) m |= uint64_t{x[w] == v} << w;
    return m;
}

int32_t minimum(const int32_t* x, uint64_t n) {
    int32_t m = x[0];
    uint64_t w = 0;
#ifdef __AVX2__
    if (n >= 8) {
        __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
        for (w = 8; w + 8 <= n; w += 8) v = _mm256_min_epi32(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + w)));
        alignas(32) int32_t lanes[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
        m = *std::min_element(lanes, lanes + 8);
    }
#endif
    for (; w < n; ++w) m = std::min(m, x[w]);
    return m;
}

// The fast path's recency order of a set: 16 nibbles of one uint64, nibble 0 the most recently
// used way (docs/performance.md#timing-mode-4). Position of way w in it: the lowest nibble of
// x ^ (w in every nibble) that is zero (the "has a zero nibble" bit trick; a borrow can only mark
// nibbles above a true zero, so the lowest mark is exact). w is among the first `ways` nibbles.
inline uint64_t nibble_position(uint64_t x, uint64_t w) {
    constexpr uint64_t ones = 0x1111111111111111ull;
    const uint64_t y = x ^ (ones * w);
    return static_cast<uint64_t>(__builtin_ctzll((y - ones) & ~y & (ones << 3))) >> 2;
}

// Way w, found at position p (< 16) of the order, becomes the most recent: nibbles 0..p-1 move
// up by one, w goes to nibble 0, the nibbles after p stay (p = ways - 1 on a miss: the victim).
inline uint64_t nibble_touch(uint64_t x, uint64_t p, uint64_t w) {
    const uint64_t below = (uint64_t{1} << (4 * p)) - 1;   // nibbles 0..p-1
    const uint64_t upto = below | (uint64_t{0xf} << (4 * p));  // nibbles 0..p
    return (x & ~upto) | ((x & below) << 4) | w;
}

}  // namespace

l2::l2(const sc_module_name& name, const l2_config& cfg, const clock& clk)
    : sc_module(name),
      in("in"),
      mem("mem"),
      m_cfg(cfg),
      m_clk(clk),
      m_trace(&dtq::trace::global()),
      m_sets(cfg.size / (cfg.line_bytes * cfg.ways)),
      m_port(cfg.bytes_per_cycle),
      m_line(cfg.line_bytes),
      m_fast(cfg.fast_path && cfg.ways <= 16),
      m_stats(this->name()),
      m_hits(m_stats.counter("hits", "count", "line lookups that hit")),
      m_misses(m_stats.counter("misses", "count", "line lookups that missed")),
      m_evictions(m_stats.counter("evictions", "count", "valid lines replaced")),
      m_writebacks(m_stats.counter("writebacks", "count", "dirty lines written back to DRAM")),
      m_bytes_read(m_stats.counter("bytes_read", "bytes", "bytes read by clients")),
      m_bytes_written(m_stats.counter("bytes_written", "bytes", "bytes written by clients")) {
    in.register_b_transport(this, &l2::b_transport);
    in.register_transport_dbg(this, &l2::transport_dbg);
    m_stats.derived("hit_rate", "ratio", "hits / (hits + misses)", [this] {
        const uint64_t n = m_hits + m_misses;
        return n ? static_cast<double>(m_hits) / static_cast<double>(n) : 0.0;
    });
    if (m_sets && !(m_sets & (m_sets - 1))) {  // power of two: mask and shift instead of divisions
        m_set_mask = m_sets - 1;
        while ((uint64_t{1} << m_set_shift) < m_sets) ++m_set_shift;
    }
    m_tx.set_extension(&m_ext);  // reused for every line: constructing a payload allocates
    reset();
}

// The payload would delete its extensions; m_ext is a member.
l2::~l2() { m_tx.clear_extension(&m_ext); }

void l2::reset() {
    const uint64_t n = m_sets * m_cfg.ways;
    m_tag.assign(n, 0);
    if (m_fast) {
        // Every way invalid: way 0 is the least recently used, then 1, 2, ... (the stamps'
        // "first invalid way"); a miss takes the last way of the order.
        uint64_t order = ~uint64_t{0};  // nibbles from `ways` on: 0xf, never read
        for (uint64_t i = 0; i < m_cfg.ways; ++i)
            order = (order & ~(uint64_t{0xf} << (4 * i))) | (uint64_t{m_cfg.ways - 1 - i} << (4 * i));
        m_order.assign(m_sets, order);
    } else {
        m_lru.assign(n, 0);
    }
    m_dirty.assign(n, 0);
    m_owner_of.assign(n, 0);
    m_stamp = 0;
    m_busy_until = 0;
}

void l2::add_run(std::vector<run>& runs, uint64_t line_addr) const {
    if (!runs.empty() && runs.back().addr + runs.back().bytes == line_addr) runs.back().bytes += m_cfg.line_bytes;
    else runs.push_back({line_addr, m_cfg.line_bytes});
}

// One DRAM request of the train in progress (absolute address and cycle for now; send_deferred
// finds the span of their addresses).
inline void l2::defer(uint64_t addr, uint64_t bytes, uint64_t at, bool write) {
    // Fields in place: a push_back of a struct built on the stack stalls on store forwarding.
    burst_train::burst& b = m_dram_train.bursts.emplace_back();
    b.offset = addr;
    b.bytes = bytes;
    b.issue = at;
    b.write = write ? 1 : 0;
    b.client = static_cast<uint32_t>(m_burst);
}

// The same, called from the train loops' per-line code: out of line (rare: a second write-back
// run in one burst), so that the loop keeps its values in registers.
__attribute__((noinline, cold)) void l2::defer_out_of_line(uint64_t addr, uint64_t bytes, uint64_t at, bool write) {
    defer(addr, bytes, at, write);
}

__attribute__((noinline, cold)) void l2::keep_fill_run(uint64_t addr, uint64_t bytes) { m_fill_runs.push_back({addr, bytes}); }

uint64_t l2::dram_burst(bool write, uint64_t addr, uint64_t bytes, const sc_time& at, tlm::tlm_response_status& st) {
    tlm::tlm_generic_payload& tx = m_tx;
    init_payload(tx, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, nullptr, bytes);
    const sc_time& now = sc_time_stamp();
    sc_time d = at - now;
    mem->b_transport(tx, d);
    if (!tx.is_response_ok()) st = tx.get_response_status();
    return m_clk.cycles(now + d);
}

// One access of `len` bytes requested at cycle `at` (tags, LRU, DRAM traffic); returns
// the cycle its data is done, or sets `st` on a DRAM error.
uint64_t l2::access(bool is_write, uint64_t addr, uint64_t len, uint64_t at, tlm::tlm_response_status& st) {
    return m_fast ? access_impl<true>(is_write, addr, len, at, st) : access_impl<false>(is_write, addr, len, at, st);
}

// The two paths as two instances (no per-line test of the path, each loop compiled alone).
template <bool Fast>
uint64_t l2::access_impl(bool is_write, uint64_t addr, uint64_t len, uint64_t at, tlm::tlm_response_status& st) {
    const uint64_t start = std::max(at, m_busy_until);
    m_busy_until = start + m_port.ceil(len);
    uint64_t ready = m_busy_until;
    const uint64_t lb = m_cfg.line_bytes, ways = m_cfg.ways;
    m_wb_runs.clear();
    m_fill_runs.clear();
    const uint64_t first_index = m_line.div(addr);
    for (uint64_t la = first_index * lb, index = first_index; la < addr + len; la += lb, ++index) {
        const uint64_t set = m_set_mask ? index & m_set_mask : index % m_sets;
        const uint64_t tag = m_set_mask ? index >> m_set_shift : index / m_sets;
        if (tag >= UINT32_MAX) {  // beyond 2^32 lines per set: not a memory this L2 can front
            st = tlm::TLM_ADDRESS_ERROR_RESPONSE;
            break;
        }
        const int32_t key = static_cast<int32_t>(static_cast<uint32_t>(tag) + 1);
        const uint64_t base = set * ways;
        const int32_t* tags = &m_tag[base];
        // Branch-free scans (a miss in a full set looks at every way; ways <= 64, config).
        const uint64_t hits = equal_mask(tags, key, ways);
        uint64_t w;
        if (hits) {
            w = static_cast<uint64_t>(__builtin_ctzll(hits));
            ++m_hits;
            if constexpr (Fast) {  // the most recent way stays first; any other moves to the front
                uint64_t& order = m_order[set];
                if ((order & 0xf) != w) order = nibble_touch(order, nibble_position(order, w), w);
            }
        } else {
            ++m_misses;
            if constexpr (Fast) {  // the victim is the last of the order; it becomes the first
                uint64_t& order = m_order[set];
                w = (order >> (4 * (ways - 1))) & 0xf;
                order = nibble_touch(order, ways - 1, w);
            } else {
                // The victim: the least recently used way; invalid ways have stamp 0 and valid
                // ones unique stamps >= 1, so that is the first invalid way when there is one.
                const int32_t* lru = &m_lru[base];
                w = static_cast<uint64_t>(__builtin_ctzll(equal_mask(lru, minimum(lru, ways), ways)));
            }
            if (tags[w]) {
                ++m_evictions;
                if (m_dirty[base + w]) {
                    ++m_writebacks;
                    m_wb_bytes[m_owner_of[base + w]] += lb;
                    add_run(m_wb_runs, line_address(base + w, set));
                }
            }
            const bool whole_line = is_write && la >= addr && la + lb <= addr + len;
            if (!whole_line) add_run(m_fill_runs, la);
            m_tag[base + w] = key;
            m_dirty[base + w] = 0;
        }
        if constexpr (!Fast) {
            if (m_stamp == INT32_MAX) renumber_stamps();
            m_lru[base + w] = ++m_stamp;
        }
        if (is_write) {
            m_dirty[base + w] = 1;
            m_owner_of[base + w] = m_owner;
        }
    }
    // DRAM traffic of this access, all issued at `start`: the dirty victims' write-backs,
    // then the fills, each as bursts of consecutive lines.
    if (m_defer) {  // sent with the rest of the train (send_deferred)
        for (const run& r : m_wb_runs) defer(r.addr, r.bytes, start, true);
        for (const run& r : m_fill_runs) defer(r.addr, r.bytes, start, false);
    } else if (!m_wb_runs.empty() || !m_fill_runs.empty()) {
        const sc_time start_time = m_clk.time(start);
        for (const run& r : m_wb_runs) dram_burst(true, r.addr, r.bytes, start_time, st);
        for (const run& r : m_fill_runs) ready = std::max(ready, dram_burst(false, r.addr, r.bytes, start_time, st));
    }
    if (st == tlm::TLM_OK_RESPONSE) {
        (is_write ? m_bytes_written : m_bytes_read) += len;
        // The client port's bytes, over the cycles the port is busy with them.
        if (m_trace->enabled())
            m_trace->transfer(name(), start, start + m_port.ceil(len), len);
    }
    return ready + m_cfg.hit_latency_cycles;
}

// The fast path's side of a timing-only train (m_fast; m_defer set): each burst exactly as
// access_impl<true> would do it at its cycle, with its DRAM requests deferred, in one loop:
// no call per burst, the statistics counted in registers and stored once, the line's set and
// tag stepped instead of computed. A burst's write-backs are deferred in the order they are
// found, consecutive ones merged (the run in progress in registers), then its fills (the last
// run in registers, earlier ones in m_fill_runs): the order of access_impl. One instance per
// direction and for 16 ways (the default: the set's offset a shift, a miss's recency update a
// rotation) or any other count (docs/performance.md#timing-mode-4). A burst whose lines have
// tags beyond 32 bits goes through access_impl<true> (which fails it). Fills `t.done` (before
// the DRAM answers: send_deferred raises them); returns the last.
uint64_t l2::access_train(bool is_write, uint64_t addr, burst_train& t, uint64_t now, tlm::tlm_response_status& st) {
    if (m_cfg.ways == 16 && m_set_mask)
        return is_write ? train_loop16<true>(addr, t, now, st) : train_loop16<false>(addr, t, now, st);
    return is_write ? train_loop<true>(addr, t, now, st) : train_loop<false>(addr, t, now, st);
}

template <bool Write>
uint64_t l2::train_loop(uint64_t addr, burst_train& t, uint64_t now, tlm::tlm_response_status& st) {
    const size_t n = t.bursts.size();
    t.done.resize(n);
    uint64_t* const done_of = t.done.data();  // not resized below
    // Members the loop reads, as locals: the byte stores into the tag store may alias them,
    // which would make the compiler reload each after every store.
    const uint64_t lb = m_cfg.line_bytes, ways = m_cfg.ways, hl = m_cfg.hit_latency_cycles, sets = m_sets;
    const uint64_t set_mask = m_set_mask;
    const unsigned set_shift = m_set_shift;
    const divider port = m_port, line = m_line;
    const uint8_t owner = m_owner;
    const bool tracing = m_trace->enabled();
    int32_t* const tag_of = m_tag.data();
    uint64_t* const order_of = m_order.data();
    uint8_t* const dirty = m_dirty.data();
    uint8_t* const owner_of = m_owner_of.data();
    uint64_t* const wb_bytes_of = m_wb_bytes.data();
    uint64_t hits = 0, misses = 0, evictions = 0, writebacks = 0, bytes = 0;
    uint64_t busy = m_busy_until, last = now;
    const auto flush_counts = [&] {
        m_hits += hits;
        m_misses += misses;
        m_evictions += evictions;
        m_writebacks += writebacks;
        (Write ? m_bytes_written : m_bytes_read) += bytes;
        hits = misses = evictions = writebacks = bytes = 0;
        m_busy_until = busy;
    };
    size_t i = 0;
    for (; i < n; ++i) {
        const burst_train::burst& b = t.bursts[i];
        const uint64_t a = addr + b.offset, len = b.bytes, at = now + b.issue;
        m_burst = i;
        uint64_t index = line.div(a);
        const uint64_t end_index = line.div(a + len - 1);
        uint64_t set, tag;
        if (set_mask) {
            set = index & set_mask;
            tag = index >> set_shift;
        } else {
            set = index % sets;
            tag = index / sets;
        }
        if ((set_mask ? end_index >> set_shift : end_index / sets) >= UINT32_MAX) {  // the reference form fails it
            flush_counts();
            t.done[i] = access_impl<true>(Write, a, len, at, st);
            busy = m_busy_until;
            last = std::max(last, t.done[i]);
            if (st != tlm::TLM_OK_RESPONSE) {
                ++i;
                break;
            }
            continue;
        }
        const uint64_t start = std::max(at, busy);
        busy = start + port.ceil(len);
        if (!m_fill_runs.empty()) m_fill_runs.clear();
        uint64_t fill_addr = 0, fill_bytes = 0;  // the fill run in progress (earlier ones in m_fill_runs)
        uint64_t wb_addr = 0, wb_bytes = 0;      // the write-back run in progress (earlier ones deferred)
        for (uint64_t la = index * lb; index <= end_index; la += lb, ++index) {
            const int32_t key = static_cast<int32_t>(static_cast<uint32_t>(tag) + 1);
            const uint64_t base = set * ways;
            int32_t* const tags = tag_of + base;
            uint64_t& order = order_of[set];
            const uint64_t hit = equal_mask(tags, key, ways);
            uint64_t w;
            if (hit) {
                w = static_cast<uint64_t>(__builtin_ctzll(hit));
                ++hits;
                const uint64_t o = order;
                if ((o & 0xf) != w) order = nibble_touch(o, nibble_position(o, w), w);
            } else {
                ++misses;
                const uint64_t o = order;
                w = (o >> (4 * (ways - 1))) & 0xf;
                order = nibble_touch(o, ways - 1, w);
                const int32_t old = tags[w];
                if (old) {
                    ++evictions;
                    if (dirty[base + w]) {
                        ++writebacks;
                        wb_bytes_of[owner_of[base + w]] += lb;
                        const uint64_t victim = ((uint64_t{static_cast<uint32_t>(old)} - 1) * sets + set) * lb;
                        if (wb_bytes && wb_addr + wb_bytes == victim) {
                            wb_bytes += lb;
                        } else {
                            if (wb_bytes) defer(wb_addr, wb_bytes, start, true);
                            wb_addr = victim;
                            wb_bytes = lb;
                        }
                    }
                }
                if (!Write || !(la >= a && la + lb <= a + len)) {  // not a whole-line write: a fill
                    if (fill_bytes && fill_addr + fill_bytes == la) {
                        fill_bytes += lb;
                    } else {
                        if (fill_bytes) m_fill_runs.push_back({fill_addr, fill_bytes});
                        fill_addr = la;
                        fill_bytes = lb;
                    }
                }
                tags[w] = key;
                if constexpr (!Write) dirty[base + w] = 0;
            }
            if constexpr (Write) {
                dirty[base + w] = 1;
                owner_of[base + w] = owner;
            }
            if (++set == sets) {
                set = 0;
                ++tag;
            }
        }
        if (wb_bytes) defer(wb_addr, wb_bytes, start, true);
        for (const run& r : m_fill_runs) defer(r.addr, r.bytes, start, false);
        if (fill_bytes) defer(fill_addr, fill_bytes, start, false);
        bytes += len;
        if (tracing) m_trace->transfer(name(), start, busy, len);
        done_of[i] = busy + hl;
        last = std::max(last, busy + hl);
    }
    for (; i < n; ++i) t.done[i] = now + t.bursts[i].issue;  // none after an error (as run_train)
    flush_counts();
    return last;
}

// train_loop for the default geometry: 16 ways and a power-of-two number of sets. The same
// steps in the same order; what differs is how they are computed: a line is its index (set =
// index & mask, tag = index >> shift, no set counter to wrap), the fill and write-back runs are
// ranges of line indices (bytes only when deferred), a write's whole lines are an index range
// found once per burst, a miss's recency update is a rotation of the nibbles (the last way
// becomes the first), and only misses, evictions and write-backs are counted per line (hits =
// lines - misses per burst): fewer live values, so the loop keeps them in registers.
template <bool Write>
uint64_t l2::train_loop16(uint64_t addr, burst_train& t, uint64_t now, tlm::tlm_response_status& st) {
    const size_t n = t.bursts.size();
    t.done.resize(n);
    uint64_t* const done_of = t.done.data();  // not resized below
    const uint64_t lb = m_cfg.line_bytes, hl = m_cfg.hit_latency_cycles, mask = m_set_mask;
    const unsigned shift = m_set_shift;
    const divider port = m_port, line = m_line;
    const uint8_t owner = m_owner;
    const bool tracing = m_trace->enabled();
    int32_t* const tag_of = m_tag.data();
    uint64_t* const order_of = m_order.data();
    uint8_t* const dirty = m_dirty.data();
    uint8_t* const owner_of = m_owner_of.data();
    uint64_t* const wb_bytes_of = m_wb_bytes.data();
    uint64_t lines = 0, misses = 0, evictions = 0, writebacks = 0, bytes = 0;
    uint64_t busy = m_busy_until, last = now;
    const auto flush_counts = [&] {
        m_hits += lines - misses;
        m_misses += misses;
        m_evictions += evictions;
        m_writebacks += writebacks;
        (Write ? m_bytes_written : m_bytes_read) += bytes;
        lines = misses = evictions = writebacks = bytes = 0;
        m_busy_until = busy;
    };
    size_t i = 0;
    for (; i < n; ++i) {
        const burst_train::burst& b = t.bursts[i];
        const uint64_t a = addr + b.offset, len = b.bytes, at = now + b.issue;
        m_burst = i;
        const uint64_t first = line.div(a), end = line.div(a + len - 1) + 1;  // lines [first, end)
        if (((end - 1) >> shift) >= UINT32_MAX) {  // the reference form fails it
            flush_counts();
            t.done[i] = access_impl<true>(Write, a, len, at, st);
            busy = m_busy_until;
            last = std::max(last, t.done[i]);
            if (st != tlm::TLM_OK_RESPONSE) {
                ++i;
                break;
            }
            continue;
        }
        const uint64_t start = std::max(at, busy);
        busy = start + port.ceil(len);
        // A write covers lines [whole_lo, whole_hi) whole: no fill for those.
        const uint64_t whole_lo = Write ? line.ceil(a) : 0, whole_hi = Write ? line.div(a + len) : 0;
        if (!m_fill_runs.empty()) m_fill_runs.clear();
        uint64_t fill_lo = 0, fill_hi = 0;  // the fill run in progress, lines (earlier ones in m_fill_runs)
        uint64_t wb_lo = 0, wb_hi = 0;      // the write-back run in progress, lines (earlier ones deferred)
        lines += end - first;
        for (uint64_t index = first; index < end; ++index) {
            const uint64_t set = index & mask, base = set << 4;
            const int32_t key = static_cast<int32_t>(static_cast<uint32_t>(index >> shift) + 1);
            int32_t* const tags = tag_of + base;
            uint64_t& order = order_of[set];
            const uint64_t hit = equal_mask(tags, key, 16);
            uint64_t w;
            if (hit) {
                w = static_cast<uint64_t>(__builtin_ctzll(hit));
                const uint64_t o = order;
                if ((o & 0xf) != w) order = nibble_touch(o, nibble_position(o, w), w);
            } else {
                ++misses;
                const uint64_t o = order;
                w = o >> 60;  // the least recently used way becomes the most recent: a rotation
                order = (o << 4) | w;
                const int32_t old = tags[w];
                if (old) {
                    ++evictions;
                    if (dirty[base + w]) {
                        ++writebacks;
                        wb_bytes_of[owner_of[base + w]] += lb;
                        const uint64_t victim = ((uint64_t{static_cast<uint32_t>(old)} - 1) << shift) | set;
                        if (wb_hi == victim && wb_hi != wb_lo) {
                            ++wb_hi;
                        } else {
                            if (wb_hi != wb_lo) defer_out_of_line(wb_lo * lb, (wb_hi - wb_lo) * lb, start, true);
                            wb_lo = victim;
                            wb_hi = victim + 1;
                        }
                    }
                }
                if (!Write || index < whole_lo || index >= whole_hi) {  // not a whole-line write: a fill
                    if (fill_hi == index && fill_hi != fill_lo) {
                        ++fill_hi;
                    } else {
                        if (fill_hi != fill_lo) keep_fill_run(fill_lo * lb, (fill_hi - fill_lo) * lb);
                        fill_lo = index;
                        fill_hi = index + 1;
                    }
                }
                tags[w] = key;
                if constexpr (!Write) dirty[base + w] = 0;
            }
            if constexpr (Write) {
                dirty[base + w] = 1;
                owner_of[base + w] = owner;
            }
        }
        if (wb_hi != wb_lo) defer(wb_lo * lb, (wb_hi - wb_lo) * lb, start, true);
        for (const run& r : m_fill_runs) defer(r.addr, r.bytes, start, false);
        if (fill_hi != fill_lo) defer(fill_lo * lb, (fill_hi - fill_lo) * lb, start, false);
        bytes += len;
        if (tracing) m_trace->transfer(name(), start, busy, len);
        done_of[i] = busy + hl;
        last = std::max(last, busy + hl);
    }
    for (; i < n; ++i) t.done[i] = now + t.bursts[i].issue;  // none after an error (as run_train)
    flush_counts();
    return last;
}

void l2::b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
    const uint64_t addr = tx.get_address(), len = tx.get_data_length();
    const bool is_write = tx.is_write();
    if (len == 0 || tx.get_byte_enable_ptr()) {
        tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    const uint64_t now = m_clk.now(delay);
    tlm::tlm_response_status st = tlm::TLM_OK_RESPONSE;
    uint64_t done;
    if (burst_train* t = train_of(tx)) {  // timing only: one access per burst
        if (!train_fits(*t, len)) {
            tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
            return;
        }
        // Fast path: the bursts' DRAM traffic waits until the train's lookups are done and
        // goes as one mixed DRAM train, each request at the cycle it would have gone alone
        // and in the same order (the L2's own state never depends on DRAM's answers, so the
        // lookups can run first). A DRAM error then fails the whole train, after all its
        // lookups; trains only reach the L2 for addresses inside DRAM (set_train_ranges).
        m_defer = m_fast;
        m_dram_train.bursts.clear();
        if (m_fast) {
            done = access_train(is_write, addr, *t, now, st);
        } else {
            done = run_train(*t, now, [&](const burst_train::burst& b, uint64_t at) {
                return st == tlm::TLM_OK_RESPONSE ? access(is_write, addr + b.offset, b.bytes, at, st) : at;  // none after an error
            });
        }
        m_defer = false;
        if (!m_dram_train.bursts.empty()) {
            send_deferred(t->done, st);
            for (uint64_t d : t->done) done = std::max(done, d);
        }
    } else {
        // Data first (functional), through DRAM's debug port: the L2 keeps tags only.
        if (!is_timing_only(tx)) {
            if (mem->transport_dbg(tx) != len) {
                if (tx.is_response_ok()) tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
                return;
            }
        }
        done = access(is_write, addr, len, now, st);
    }
    if (st != tlm::TLM_OK_RESPONSE) {
        tx.set_response_status(st);
        return;
    }
    delay = m_clk.time(done) - sc_time_stamp();
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

void l2::send_deferred(std::vector<uint64_t>& done, tlm::tlm_response_status& st) {
    // In chunks whose address span fits a payload's 32-bit length (one chunk unless the train
    // touches lines 4 GiB apart); the requests' cycles never decrease (each access starts
    // after the previous one), so a chunk's first request gives its annotated time.
    auto& q = m_dram_train.bursts;
    const size_t n = q.size();
    const auto send = [&](burst_train& t, uint64_t lo, uint64_t hi, uint64_t at) {
        tlm::tlm_generic_payload& tx = m_tx;
        init_payload(tx, tlm::TLM_READ_COMMAND, lo, nullptr, hi - lo);
        tx.set_extension(&t);
        sc_time d = m_clk.time(at) - sc_time_stamp();
        mem->b_transport(tx, d);
        tx.clear_extension(&t);
        if (!tx.is_response_ok() || t.done.size() != t.bursts.size()) {
            st = tx.is_response_ok() ? tlm::TLM_GENERIC_ERROR_RESPONSE : tx.get_response_status();
            return false;
        }
        return true;
    };
    const uint64_t hl = m_cfg.hit_latency_cycles;
    // The span of the requests' bytes (found here, not per request as they are deferred).
    uint64_t span_lo = UINT64_MAX, span_hi = 0;
    for (const burst_train::burst& b : q) {
        span_lo = std::min(span_lo, b.offset);
        span_hi = std::max(span_hi, b.offset + b.bytes);
    }
    if (span_hi - span_lo <= UINT32_MAX) {  // one chunk: rebased in place
        const uint64_t lo = span_lo, at = q[0].issue;
        for (burst_train::burst& b : q) {
            b.offset -= lo;
            b.issue -= at;
        }
        if (!send(m_dram_train, lo, span_hi, at)) return;
        const uint64_t* dd = m_dram_train.done.data();
        for (size_t i = 0; i < n; ++i)
            if (!q[i].write) done[q[i].client] = std::max(done[q[i].client], dd[i] + hl);
        return;
    }
    for (size_t first = 0; first < n && st == tlm::TLM_OK_RESPONSE;) {
        uint64_t lo = q[first].offset, hi = lo + q[first].bytes;
        size_t last = first + 1;
        for (; last < n; ++last) {
            const uint64_t l = std::min(lo, q[last].offset), h = std::max(hi, q[last].offset + q[last].bytes);
            if (h - l > UINT32_MAX) break;
            lo = l;
            hi = h;
        }
        const uint64_t at = q[first].issue;
        auto& bursts = m_chunk_train.bursts;
        bursts.assign(q.begin() + static_cast<std::ptrdiff_t>(first), q.begin() + static_cast<std::ptrdiff_t>(last));
        for (burst_train::burst& b : bursts) {
            b.offset -= lo;
            b.issue -= at;
        }
        if (!send(m_chunk_train, lo, hi, at)) break;
        for (size_t i = first; i < last; ++i)
            if (!q[i].write)
                done[q[i].client] = std::max(done[q[i].client], m_chunk_train.done[i - first] + hl);
        first = last;
    }
}

unsigned l2::transport_dbg(tlm::tlm_generic_payload& tx) { return mem->transport_dbg(tx); }

// Stamps are int32 (8 per AVX2 compare): after 2^31 - 1 uses, each set's stamps become their
// ranks 1..ways in the same order (LRU compares stamps within a set only); 0 stays invalid.
void l2::renumber_stamps() {
    const uint64_t ways = m_cfg.ways;
    std::vector<std::pair<int32_t, uint64_t>> order;
    for (uint64_t set = 0; set < m_sets; ++set) {
        order.clear();
        for (uint64_t w = 0; w < ways; ++w)
            if (m_lru[set * ways + w] > 0) order.emplace_back(m_lru[set * ways + w], w);
        std::sort(order.begin(), order.end());
        for (size_t r = 0; r < order.size(); ++r) m_lru[set * ways + order[r].second] = static_cast<int32_t>(r + 1);
    }
    m_stamp = static_cast<int32_t>(ways);
}

uint64_t l2::flush(sc_time& delay) {
    uint64_t bytes = 0;
    tlm::tlm_response_status st = tlm::TLM_OK_RESPONSE;
    const uint64_t at = m_clk.now(delay);
    const sc_time at_time = m_clk.time(at);
    uint64_t done = at;
    for (uint64_t set = 0; set < m_sets; ++set)
        for (uint64_t w = 0; w < m_cfg.ways; ++w) {
            const uint64_t i = set * m_cfg.ways + w;
            if (m_tag[i] && m_dirty[i]) {
                done = std::max(done, dram_burst(true, line_address(i, set), m_cfg.line_bytes, at_time, st));
                m_dirty[i] = 0;
                ++m_writebacks;
                m_wb_bytes[m_owner_of[i]] += m_cfg.line_bytes;
                bytes += m_cfg.line_bytes;
            }
        }
    delay = m_clk.time(done) - sc_time_stamp();
    return bytes;
}

}  // namespace dtq
