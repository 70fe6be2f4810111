// The job interface of the accelerator's blocks (docs/architecture.md#jobs): a block
// (fetcher, VSSA, softmax, norm/act, top-k, decompressor, the DMA's descriptor queue) is an
// sc_module with a TLM-2.0 target socket `in`; an initiator (the sequencer, or another block)
// sends it a tlm_generic_payload whose command is TLM_IGNORE_COMMAND and whose extension is
// the block's job struct (what to compute, where the operands are, and, on the way back,
// what the block did).
//
// Loosely timed: the delay the initiator annotates is when the job's inputs are ready; the
// block starts at max(ready, the cycle it is free: its own "busy until"), adds its cycles
// from its own formula and returns the delay to its end. The initiator never computes a
// block's cycles. A failure inside the block (a bad operand, a lockstep mismatch) is a
// TLM_GENERIC_ERROR_RESPONSE with the exception carried in the job; send() rethrows it.
#pragma once
#include <tlm>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include "common/clock.h"

namespace dtq {

// "0x1f00" (as fmt's {:#x}), for the messages of bus faults.
inline std::string hex_address(uint64_t a) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(a));
    return b;
}

// A block's memory access answered with a TLM error response: the command fails with
// BUS_ERROR at `addr` (the sequencer turns it into the command's outcome).
struct bus_fault : std::runtime_error {
    bus_fault(uint64_t a, const std::string& what) : std::runtime_error(what), addr(a) {}
    uint64_t addr;
};

// CRTP base of every job: J derives from block_job<J>.
template <class J>
struct block_job : tlm::tlm_extension<J> {
    std::string label;       // the slice name the block draws on its trace track ("" = its default)
    uint64_t start = 0;      // set by the block: the cycle it started the job
    uint64_t end = 0;        // set by the block: the cycle its result is complete
    std::exception_ptr failure;  // set by the block when the job failed

    tlm::tlm_extension_base* clone() const override { return new J(static_cast<const J&>(*this)); }
    void copy_from(const tlm::tlm_extension_base& e) override { static_cast<J&>(*this) = static_cast<const J&>(e); }
};

// Initiator side: one reused payload (constructing one allocates its extension array).
class job_sender {
public:
    job_sender() = default;
    job_sender(const job_sender&) = delete;
    job_sender& operator=(const job_sender&) = delete;

    // Sends `job` through `socket` with its inputs ready at cycle `ready` (>= now); returns
    // the block's end cycle (also job.end). Rethrows the block's failure.
    template <class Socket, class J>
    uint64_t send(Socket& socket, J& job, uint64_t ready, const clock& clk) {
        m_tx.set_command(tlm::TLM_IGNORE_COMMAND);
        m_tx.set_address(0);
        m_tx.set_data_ptr(nullptr);
        m_tx.set_data_length(0);
        m_tx.set_streaming_width(0);
        m_tx.set_byte_enable_ptr(nullptr);
        m_tx.set_dmi_allowed(false);
        m_tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        job.failure = nullptr;  // a reused job must not carry an earlier failure
        m_tx.set_extension(&job);
        const sc_core::sc_time now = sc_core::sc_time_stamp(), at = clk.time(ready);
        sc_core::sc_time delay = at > now ? at - now : sc_core::SC_ZERO_TIME;
        socket->b_transport(m_tx, delay);
        m_tx.clear_extension(&job);
        if (job.failure) std::rethrow_exception(job.failure);
        if (!m_tx.is_response_ok()) throw std::logic_error("a block answered " + m_tx.get_response_string() + " to its job");
        return job.end;
    }

private:
    tlm::tlm_generic_payload m_tx;
};

// Target side: the job of a payload, or null (then the response is a command error).
template <class J>
J* job_of(tlm::tlm_generic_payload& tx) {
    J* j = nullptr;
    tx.get_extension(j);
    if (!j) tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return j;
}

// Target side: runs `body(job, ready)` (which sets job.start and job.end) and annotates the
// delay to job.end; an exception becomes the job's failure and an error response.
template <class J, class F>
void serve_job(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay, const clock& clk, F&& body) {
    J* j = job_of<J>(tx);
    if (!j) return;
    const uint64_t ready = clk.cycles(sc_core::sc_time_stamp() + delay);
    try {
        body(*j, ready);
    } catch (...) {
        j->failure = std::current_exception();
        tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    const sc_core::sc_time now = sc_core::sc_time_stamp(), end = clk.time(j->end);
    delay = end > now ? end - now : sc_core::SC_ZERO_TIME;
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace dtq
