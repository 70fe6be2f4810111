// Runs a vector file in the format of ../shared/refs/vectors/ibert_vectors.json (written by
// `python3 ibert_ref.py vectors OUT.json [--seed N] [--bookkeeping fp64|fp32]`) through
// the C++ kernels; `dtqvp kernels --vectors FILE` calls it.
#pragma once
#include <ostream>
#include <string>

namespace dtq::ibert {

struct vector_summary {
    int passed = 0;     // every output field equal
    int failed = 0;     // some output field differs, or the C++ kernel cannot represent a result
    int malformed = 0;  // missing / ill-typed / inconsistent fields, or inputs the reference rejects
};

// Checks every output field of every case: derived constants (bookkeeping, fp64 or fp32
// as the file's "bookkeeping" says), intermediates and integer outputs. Prints on `out`,
// per kernel, the cases passed and failed and the FIRST mismatch in detail (case index and
// name, an inputs summary, the field and element, expected and got), then a last line
// exactly "N passed, M failed". Errors go to `err`, each naming the file, the case and the
// key. Returns 0 when every case passes, 1 when some case fails, 2 when the file cannot
// be read or parsed or any case is malformed (the other cases are still run and counted).
// Never throws.
int run_vector_file(const std::string& path, std::ostream& out, std::ostream& err, vector_summary* summary = nullptr);

}  // namespace dtq::ibert
