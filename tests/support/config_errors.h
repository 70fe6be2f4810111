// The messages of a failing scenario load, joined by newlines ("" when it loads).
#pragma once
#include <string>
#include <vector>

#include "platform/config/config.h"

namespace dtq::test {

inline std::string errors_of(const std::string& yaml, std::vector<std::string> sets = {}) {
    try {
        config_schema::get().load_string(yaml, "s.yaml", sets);
    } catch (const config_error& e) {
        std::string all;
        for (const auto& m : e.messages()) all += m + "\n";
        return all;
    }
    return "";
}

}  // namespace dtq::test
