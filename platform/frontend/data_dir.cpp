#include "platform/frontend/data_dir.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "platform/config/config.h"

namespace dtq {

namespace fs = std::filesystem;

namespace {

bool is_data_dir(const fs::path& d) {
    std::error_code ec;
    return fs::is_directory(d / "scenarios", ec);
}

// D/share/dtqvp for D = start and its parents (four levels up).
std::string search_up(fs::path start) {
    for (int up = 0; up <= 4 && !start.empty(); ++up) {
        const fs::path cand = start / "share" / "dtqvp";
        if (is_data_dir(cand)) return fs::weakly_canonical(cand).string();
        if (start == start.parent_path()) break;
        start = start.parent_path();
    }
    return {};
}

std::string this_object_dir() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&data_dir), &info) == 0 || !info.dli_fname || info.dli_fname[0] != '/') return {};
    std::error_code ec;
    const fs::path p = fs::canonical(info.dli_fname, ec);
    return ec ? std::string() : p.parent_path().string();
}

}  // namespace

std::string data_dir() {
    if (const char* env = std::getenv("DTQVP_DATA_DIR"); env && *env) return is_data_dir(env) ? std::string(env) : "";
    if (const std::string d = this_object_dir(); !d.empty())
        if (std::string r = search_up(d); !r.empty()) return r;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        if (std::string r = search_up(exe.parent_path()); !r.empty()) return r;
    return {};
}

std::vector<shipped_file> shipped_files() {
    std::vector<shipped_file> v;
    const std::string d = data_dir();
    if (d.empty()) return v;
    const fs::path root = fs::path(d) / "scenarios";
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file() || it->path().extension() != ".yaml") continue;
        shipped_file f;
        fs::path rel = fs::relative(it->path(), root);
        f.name = (rel.parent_path() / rel.stem()).generic_string();
        f.path = it->path().string();
        const std::string top = rel.begin()->string();
        f.kind = top == "presets" ? "preset" : "scenario";
        std::ifstream in(it->path());
        bool in_header = true;
        for (std::string line; std::getline(in, line);) {
            if (in_header && line.rfind('#', 0) == 0) {
                if (f.summary.empty()) {
                    const size_t b = line.find_first_not_of("# ");
                    f.summary = b == std::string::npos ? "" : line.substr(b);
                }
                continue;
            }
            in_header = false;
            // A sweep has a top-level base: key (and grid: or points:).
            if (line.rfind("base:", 0) == 0) f.kind = "sweep";
        }
        v.push_back(std::move(f));
    }
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return v;
}

std::string resolve_scenario(const std::string& arg) {
    std::error_code ec;
    if (arg.empty() || fs::exists(arg, ec)) return arg;
    const std::string d = data_dir();
    if (d.empty()) return arg;
    const fs::path root = fs::path(d) / "scenarios";
    for (const fs::path& cand : {root / arg, root / (arg + ".yaml"), fs::path(d) / arg})
        if (fs::is_regular_file(cand, ec)) return cand.string();
    std::vector<shipped_file> found;
    for (auto& f : shipped_files())
        if (fs::path(f.name).filename() == arg || fs::path(f.path).filename() == arg) found.push_back(std::move(f));
    if (found.size() > 1) {
        std::string names;
        for (const auto& f : found) names += (names.empty() ? "" : ", ") + f.name;
        throw config_error({arg + ": no such file, and more than one shipped scenario has this name: " + names});
    }
    return found.empty() ? arg : found[0].path;
}

}  // namespace dtq
