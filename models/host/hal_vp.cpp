// The firmware HAL (sw/include/dtq_hal.h) for the VP: every call goes to the host model
// whose thread is running, and from there through its TLM socket.
#include <atomic>
#include <cstdio>

#include "dtq_hal.h"
#include "host/host.h"

namespace dtq {
extern std::atomic<uint64_t> g_native_hal_calls;  // native_guard.cpp
}

namespace {
dtq::host* self() {
    dtq::g_native_hal_calls.fetch_add(1, std::memory_order_relaxed);
    dtq::host* h = dtq::host::current();
    if (!h) std::fprintf(stderr, "dtq_hal: called outside a host thread\n");
    return h;
}
}  // namespace

extern "C" {

uint32_t dtq_rd32(uint64_t addr) {
    dtq::host* h = self();
    return h ? h->rd32(addr) : 0xFFFFFFFFu;
}
void dtq_wr32(uint64_t addr, uint32_t value) {
    if (dtq::host* h = self()) h->wr32(addr, value);
}
void dtq_rd_block(uint64_t addr, void* dst, uint32_t len) {
    if (dtq::host* h = self()) h->rd_block(addr, dst, len);
}
void dtq_wr_block(uint64_t addr, const void* src, uint32_t len) {
    if (dtq::host* h = self()) h->wr_block(addr, src, len);
}
// Transactions are blocking and in order: a compiler barrier is all a write barrier needs.
void dtq_wmb(void) { __asm__ __volatile__("" ::: "memory"); }
int dtq_wait_irq(void) {
    dtq::host* h = self();
    return h ? h->wait_irq() : DTQ_HAL_TIMEOUT;
}
uint64_t dtq_now_cycles(void) {
    dtq::host* h = self();
    return h ? h->now_cycles() : 0;
}
void dtq_idle_until(uint64_t cycle) {
    if (dtq::host* h = self()) h->idle_until(cycle);
}
void dtq_puts(const char* s) {
    if (dtq::host* h = self()) h->puts(s);
}

}  // extern "C"
