// Reader and writer of numpy .npy files (format versions 1.0, 2.0, 3.0): C-order,
// little-endian int8, int32 or float32 arrays. Every problem is a npy_error whose
// message names the file and what was expected (dtype, shape, truncated body).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dtq {

class npy_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct npy_array {
    std::string dtype;               // "int8", "int32", "float32"
    std::vector<uint64_t> shape;
    std::vector<uint8_t> data;       // raw little-endian bytes, C order
    uint64_t elements() const;
    template <class T>
    const T* as() const { return reinterpret_cast<const T*>(data.data()); }
};

npy_array read_npy(const std::string& path);
// Reads and checks dtype and shape (an empty `shape` accepts any).
npy_array read_npy(const std::string& path, const std::string& dtype, const std::vector<uint64_t>& shape);
void write_npy(const std::string& path, const std::string& dtype, const std::vector<uint64_t>& shape,
               const void* data);

}  // namespace dtq
