// A timing-only transaction that stands for a train of bursts: the DMA's bursts of one
// descriptor, sent as one TLM transaction instead of one per burst (docs/performance.md#timing-mode).
// The payload's address and length span the train (for routing and range checks); the
// extension lists the bursts, each at an offset from the payload's address, with its own
// issue time after the transaction's annotated time. A target applies to each burst, in
// order, exactly the timing and statistics it would apply to that burst sent alone at
// that time, and returns in `done` the cycle each burst's data is done (the cycle its
// delay would have said); the transaction's delay says the last of them. Every target on
// the path must know the extension: the DMA sends trains only to memory ranges the
// platform declares (dma::set_train_ranges), never through the fault injector.
#pragma once
#include <tlm>

#include <cstdint>
#include <vector>

namespace dtq {

struct burst_train : tlm::tlm_extension<burst_train> {
    struct burst {
        uint64_t offset = 0;  // from the payload's address, bytes
        uint64_t bytes = 0;
        uint64_t issue = 0;   // cycles after the transaction's annotated time
        // -1: the payload's command; 0: a read, 1: a write (a mixed train: the L2's fills
        // and write-backs of a whole train, in their order; only targets that say so).
        int8_t write = -1;
        uint32_t client = 0;  // the sender's own bookkeeping, ignored by targets (the L2: which of its client's bursts a DRAM request serves)
    };
    std::vector<burst> bursts;
    std::vector<uint64_t> done;  // out: per burst, the cycle its data is done

    tlm::tlm_extension_base* clone() const override { return new burst_train(*this); }
    void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const burst_train&>(e); }
};

// Every burst lies inside the payload's `len` bytes (not empty, offset + bytes <= len).
// Without a branch per burst (every target checks every train): bytes - 1 >= len says
// bytes == 0 or bytes > len; with 1 <= bytes <= len, offset > len - bytes says offset + bytes
// > len. The same answer as the three tests of the reference form (train_fits_reference).
inline bool train_fits(const burst_train& t, uint64_t len) {
    uint64_t bad = 0;
    for (const auto& b : t.bursts) bad |= static_cast<uint64_t>(b.bytes - 1 >= len) | static_cast<uint64_t>(b.offset > len - b.bytes);
    return bad == 0;
}

inline bool train_fits_reference(const burst_train& t, uint64_t len) {
    for (const auto& b : t.bursts)
        if (b.bytes == 0 || b.offset > len || b.bytes > len - b.offset) return false;
    return true;
}

// A target's side of a train: `access(burst, at)` (returns the cycle that burst's data is
// done) for each burst in order, at the transaction's cycle `now` plus its issue offset.
// Fills `done`; returns the last done cycle (`now` for an empty train).
template <class Access>
uint64_t run_train(burst_train& t, uint64_t now, Access&& access) {
    t.done.resize(t.bursts.size());
    uint64_t last = now;
    for (size_t i = 0; i < t.bursts.size(); ++i) {
        t.done[i] = access(t.bursts[i], now + t.bursts[i].issue);
        if (t.done[i] > last) last = t.done[i];
    }
    return last;
}

inline burst_train* train_of(const tlm::tlm_generic_payload& tx) { return tx.get_extension<burst_train>(); }

}  // namespace dtq
