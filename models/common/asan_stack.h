// AddressSanitizer and SystemC's coroutines (docs/errors.md#sanitizers).
//
// SystemC switches between its process stacks without telling ASan, and after sc_start
// returns ASan's idea of the main thread's stack bounds is stale: it then ignores the stack
// clean-up that every C++ throw requests ("ASan is ignoring requested __asan_handle_no_return",
// google/sanitizers#189), and an exception thrown after the simulation (a failed output write)
// is reported as a false stack-use-after-scope. asan_restore_main_stack(), called on the main
// thread after sc_start, announces a switch to the thread's own stack (pthread_getattr_np), so
// ASan's bounds are right again. Without ASan it does nothing.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace dtq {

inline void asan_restore_main_stack() {
#if defined(__SANITIZE_ADDRESS__)
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
    void* base = nullptr;
    size_t size = 0;
    const bool ok = pthread_attr_getstack(&attr, &base, &size) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) return;
    void* fake_stack = nullptr;
    __sanitizer_start_switch_fiber(&fake_stack, base, size);
    __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

}  // namespace dtq
