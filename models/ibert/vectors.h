// Runs a vector file in the format of ../shared/refs/vectors/ibert_vectors.json through
// the C++ kernels (`dtqvp kernels --vectors FILE`).
#pragma once
#include <ostream>
#include <string>

namespace dtq::ibert {

struct vector_summary {
    int passed = 0, failed = 0;
};

// Prints per kernel the cases passed and the first mismatch in detail, then a last line
// "N passed, M failed". Returns 0 when all pass, 1 when any case fails, 2 when the
// file cannot be read or a case is malformed (message on err names file, case, key).
int run_vector_file(const std::string& path, std::ostream& out, std::ostream& err, vector_summary* summary = nullptr);

}  // namespace dtq::ibert
