// Static capacity and range rules (docs/errors.md#capacity-rules): what a run would
// otherwise hit only while simulating, as a firmware error (CAPACITY, BAD_RING, "no valid
// arguments") or a failed check. `dtqvp check` and `dtqvp run` both apply them before
// anything is elaborated; each message names the key to change at its file:line:col and
// the smallest (or largest) value that works.
#pragma once
#include <string>
#include <vector>

#include "platform/config/config.h"

namespace dtq {

std::vector<std::string> preflight(const scenario_config& c);

}  // namespace dtq
