// Checked output files (issue 20): a failed write is an output_error naming the file, never a
// truncated file where a good one was; devices are written in place, never replaced.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/npy.h"
#include "common/output_file.h"

using dtq::output_error;
using dtq::output_file;
using dtq::write_output;

namespace {
std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}
std::string scratch() {
    const std::string d = std::filesystem::temp_directory_path().string() + "/dtq_output_file_" + std::to_string(getpid());
    std::filesystem::create_directories(d);
    return d;
}
}  // namespace

TEST_CASE("output files: a full device, a missing directory and a directory are errors naming the file", "[output]") {
    CHECK_THROWS_WITH(write_output("/dev/full", std::string(100000, 'x')), Catch::StartsWith("cannot write /dev/full: write failed"));
    struct stat st {};
    REQUIRE(stat("/dev/full", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));  // written in place, not replaced by a regular file
    CHECK_THROWS_WITH(write_output("/nonexistent/dir/x.json", "{}"),
                      Catch::StartsWith("cannot write /nonexistent/dir/x.json: cannot create a file in its directory"));
    const std::string d = scratch();
    CHECK_THROWS_WITH(write_output(d, "{}"), Catch::Contains("it is a directory"));
    write_output("/dev/null", "fine");
    REQUIRE(stat("/dev/null", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    std::filesystem::remove_all(d);
}

TEST_CASE("output files: a write that fails before commit leaves the previous file whole and no temporary", "[output]") {
    const std::string d = scratch(), p = d + "/stats.json";
    write_output(p, "good\n");
    CHECK(slurp(p) == "good\n");
    {
        output_file f(p);
        f.write("partial");
        // no commit: an error (or a signal) between the first write and the rename
    }
    CHECK(slurp(p) == "good\n");
    write_output(p, "better\n");
    CHECK(slurp(p) == "better\n");
    for (const auto& e : std::filesystem::directory_iterator(d))
        CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
    std::filesystem::remove_all(d);
}

TEST_CASE("npy: a header that claims more than the file holds fails before any allocation", "[npy][output]") {
    const std::string d = scratch(), p = d + "/claims.npy";
    std::string header = "{'descr': '|i1', 'fortran_order': False, 'shape': (16, 268435456), }";
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::ofstream(p, std::ios::binary) << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(header.size())
                                       << static_cast<char>(0) << header << "0123456789";
    // 4 GiB claimed, 10 bytes present: the message gives both (a 4 GiB allocation would take seconds).
    CHECK_THROWS_WITH(dtq::read_npy(p), Catch::Contains("truncated body: shape (16, 268435456) of int8 needs 4294967296 bytes, "
                                                        "the file has 10"));
    std::filesystem::remove_all(d);
}
