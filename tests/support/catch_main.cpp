// The one Catch2 runner of the test suite. SystemC owns main(), so Catch is
// started from sc_main. Compiled once as an object library (see tests/CMakeLists.txt).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <systemc>

int sc_main(int argc, char* argv[]) {
    return Catch::Session().run(argc, argv);
}
