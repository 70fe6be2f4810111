// libFuzzer harness of the scenario loader: the input is a scenario's YAML text,
// optionally followed by a line "%%" and one --set assignment per line. Every input must
// load, or fail with a config_error whose messages all carry a position ("fuzz.yaml..."
// or "--set ..."); any other exception, crash or sanitizer report is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "platform/config/config.h"

// libsystemc.so has its own main() that calls sc_main; libFuzzer's main is the one used.
int sc_main(int, char**) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> sets;
    const size_t sep = text.find("\n%%\n");
    if (sep != std::string::npos) {
        std::string rest = text.substr(sep + 4);
        text.resize(sep);
        for (size_t p = 0; p <= rest.size();) {
            const size_t nl = std::min(rest.find('\n', p), rest.size());
            if (nl > p) sets.push_back(rest.substr(p, nl - p));
            p = nl + 1;
        }
    }
    try {
        dtq::config_schema::get().load_string(text, "fuzz.yaml", sets);
    } catch (const dtq::config_error& e) {
        if (e.messages().empty()) std::abort();
        for (const auto& m : e.messages())
            if (m.rfind("fuzz.yaml", 0) != 0 && m.rfind("--set ", 0) != 0) std::abort();
    }
    return 0;
}
