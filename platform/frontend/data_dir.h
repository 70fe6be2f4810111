// Where the shipped data lives (scenarios/, its presets, sweeps and models), found at run
// time, never compiled in: the installed binary and the Python module find it relative to
// their own file, `dtqvp run NAME` and `dtqvp scenarios` use it (docs/user-guide.md#installing).
#pragma once
#include <string>
#include <vector>

namespace dtq {

// The data folder (it holds scenarios/): $DTQVP_DATA_DIR when set, else the first D/share/dtqvp
// holding a scenarios/ folder, for D the folder of the file this code is linked into (the dtqvp
// binary, or the Python module) and its parents up to four levels, then the same from
// /proc/self/exe. An installed prefix has bin/dtqvp and share/dtqvp/; a build tree has
// build/dtqvp and build/share/dtqvp/scenarios, a link to the source tree's scenarios/.
// "" when none is found.
std::string data_dir();

// A scenario or sweep argument: an existing file is returned as given; otherwise NAME is
// looked up among the shipped files (scenarios/NAME, NAME.yaml, then a unique file whose
// name without .yaml is NAME, e.g. `bert_base` -> scenarios/models/bert_base.yaml). Returns
// the argument unchanged when nothing matches (the loader then reports "no such file").
std::string resolve_scenario(const std::string& arg);

struct shipped_file {
    std::string name;     // path under scenarios/ without .yaml: default, models/gpt2, sweeps/model_seq
    std::string path;     // the file
    std::string kind;     // scenario, sweep, preset
    std::string summary;  // its first comment line
};
// Every shipped YAML file under DATA/scenarios, sorted by name.
std::vector<shipped_file> shipped_files();

}  // namespace dtq
