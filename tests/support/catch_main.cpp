// The one Catch2 runner of the test suite. SystemC owns main(), so Catch is
// started from sc_main. Compiled once as an object library (see tests/CMakeLists.txt).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <systemc>

#include <cstdlib>

// SystemC prints its banner when its context is created, before sc_main: silence it
// during static initialisation (the test binaries also run at build time for discovery).
static const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

int sc_main(int argc, char* argv[]) {
    return Catch::Session().run(argc, argv);
}
