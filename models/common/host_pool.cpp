#include "common/host_pool.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace dtq {

namespace {

thread_local bool t_in_worker = false;

// Parts are taken one at a time, under the mutex, by the caller and by whichever workers are
// awake; a round ends when every part has been taken and finished. A worker that wakes late
// (the machine is busy) finds no part left and sleeps again: the caller never waits for a
// wake-up that brings no work, it then runs the parts itself.
class host_pool {
public:
    static host_pool& instance() {
        static host_pool p;
        return p;
    }

    // false when the pool is busy (another caller) or the caller is a worker: run inline then
    bool run(unsigned parts, const std::function<void(unsigned)>& fn, std::vector<std::exception_ptr>& errors) {
        if (t_in_worker) return false;
        std::unique_lock<std::mutex> submit(m_submit, std::try_to_lock);
        if (!submit.owns_lock()) return false;
        const unsigned helpers = std::min(parts - 1, MAX_WORKERS);
        while (m_workers.size() < helpers) m_workers.emplace_back([this] { work(); });
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_fn = &fn;
            m_errors = &errors;
            m_parts = parts;
            m_next = 0;
            m_unfinished = parts;
            ++m_generation;
        }
        m_wake.notify_all();
        take_parts();
        std::unique_lock<std::mutex> lock(m_mutex);
        m_done.wait(lock, [this] { return m_unfinished == 0; });
        m_fn = nullptr;
        m_errors = nullptr;
        return true;
    }

    ~host_pool() {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        for (auto& t : m_workers) t.join();
    }

private:
    static constexpr unsigned MAX_WORKERS = 63;

    // Runs parts of the current round until none is left to take.
    void take_parts() {
        for (;;) {
            unsigned p;
            const std::function<void(unsigned)>* fn;
            std::vector<std::exception_ptr>* errors;
            {
                std::lock_guard<std::mutex> lock(m_mutex);
                if (m_next >= m_parts) return;
                p = m_next++;
                fn = m_fn;  // valid until this part is finished: the round waits for it
                errors = m_errors;
            }
            try {
                (*fn)(p);
            } catch (...) {
                (*errors)[p] = std::current_exception();
            }
            std::lock_guard<std::mutex> lock(m_mutex);
            if (--m_unfinished == 0) m_done.notify_all();
        }
    }
    void work() {
        t_in_worker = true;
        uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(m_mutex);
                m_wake.wait(lock, [&] { return m_stop || m_generation != seen; });
                if (m_stop) return;
                seen = m_generation;
            }
            take_parts();
        }
    }

    std::mutex m_submit;  // one caller at a time
    std::mutex m_mutex;   // the round's state below
    std::condition_variable m_wake, m_done;
    std::vector<std::thread> m_workers;
    const std::function<void(unsigned)>* m_fn = nullptr;
    std::vector<std::exception_ptr>* m_errors = nullptr;
    unsigned m_parts = 0, m_next = 0, m_unfinished = 0;
    uint64_t m_generation = 0;
    bool m_stop = false;
};

}  // namespace

void run_parts(unsigned parts, const std::function<void(unsigned)>& fn) {
    if (parts == 0) return;
    std::vector<std::exception_ptr> errors(parts);
    bool pooled = false;
    if (parts > 1) pooled = host_pool::instance().run(parts, fn, errors);
    if (!pooled)
        for (unsigned p = 0; p < parts; ++p) {
            try {
                fn(p);
            } catch (...) {
                errors[p] = std::current_exception();
            }
        }
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace dtq
