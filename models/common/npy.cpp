#include "common/npy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <fstream>
#include <map>

namespace dtq {

uint64_t npy_array::elements() const {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    return n;
}

namespace {

const std::map<std::string, std::pair<std::string, unsigned>> k_dtypes = {
    {"|i1", {"int8", 1}}, {"<i4", {"int32", 4}}, {"<f4", {"float32", 4}}};

std::string shape_str(const std::vector<uint64_t>& s) { return fmt::format("({})", fmt::join(s, ", ")); }

// Value of 'key' in the header dict, as raw text up to the next top-level comma.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
    const std::string k = "'" + key + "'";
    size_t p = header.find(k);
    if (p == std::string::npos) throw npy_error(fmt::format("{}: npy header has no {}", path, k));
    p = header.find(':', p + k.size());
    if (p == std::string::npos) throw npy_error(fmt::format("{}: npy header: {} has no value", path, k));
    ++p;
    while (p < header.size() && header[p] == ' ') ++p;
    if (p < header.size() && header[p] == '(') {
        const size_t e = header.find(')', p);
        if (e == std::string::npos) throw npy_error(fmt::format("{}: npy header: unterminated shape", path));
        return header.substr(p, e - p + 1);
    }
    size_t e = p;
    while (e < header.size() && header[e] != ',' && header[e] != '}') ++e;
    std::string v = header.substr(p, e - p);
    while (!v.empty() && v.back() == ' ') v.pop_back();
    return v;
}

}  // namespace

npy_array read_npy(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw npy_error(fmt::format("{}: cannot open", path));
    char magic[8];
    if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
        throw npy_error(fmt::format("{}: not a .npy file (bad magic)", path));
    const int major = static_cast<unsigned char>(magic[6]);
    uint64_t hlen = 0;
    if (major == 1) {
        unsigned char b[2];
        if (!f.read(reinterpret_cast<char*>(b), 2)) throw npy_error(fmt::format("{}: truncated header", path));
        hlen = b[0] | (b[1] << 8);
    } else if (major == 2 || major == 3) {
        unsigned char b[4];
        if (!f.read(reinterpret_cast<char*>(b), 4)) throw npy_error(fmt::format("{}: truncated header", path));
        hlen = b[0] | (b[1] << 8) | (b[2] << 16) | (uint64_t{b[3]} << 24);
    } else {
        throw npy_error(fmt::format("{}: unsupported .npy format version {}", path, major));
    }
    if (hlen > (1u << 20)) throw npy_error(fmt::format("{}: header of {} bytes is implausible", path, hlen));
    std::string header(hlen, '\0');
    if (!f.read(header.data(), static_cast<std::streamsize>(hlen))) throw npy_error(fmt::format("{}: truncated header", path));

    npy_array a;
    std::string descr = dict_value(header, "descr", path);
    if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"')) descr = descr.substr(1, descr.size() - 2);
    if (descr == "<i1" || descr == "i1") descr = "|i1";
    auto dt = k_dtypes.find(descr);
    if (dt == k_dtypes.end())
        throw npy_error(fmt::format("{}: dtype '{}' is not supported: expected int8 (|i1), int32 (<i4) or float32 (<f4), little-endian",
                                    path, descr));
    a.dtype = dt->second.first;
    if (dict_value(header, "fortran_order", path) != "False")
        throw npy_error(fmt::format("{}: Fortran-order arrays are not supported: save with C order", path));
    const std::string shape = dict_value(header, "shape", path);
    for (size_t p = 1; p < shape.size();) {
        while (p < shape.size() && (shape[p] == ' ' || shape[p] == ',')) ++p;
        if (p >= shape.size() || shape[p] == ')') break;
        size_t e = p;
        uint64_t v = 0;
        while (e < shape.size() && std::isdigit(static_cast<unsigned char>(shape[e]))) {
            if (v > (UINT64_MAX - 9) / 10) throw npy_error(fmt::format("{}: shape {} overflows", path, shape));
            v = v * 10 + static_cast<uint64_t>(shape[e++] - '0');
        }
        if (e == p) throw npy_error(fmt::format("{}: bad shape {}", path, shape));
        a.shape.push_back(v);
        p = e;
    }
    const unsigned esize = dt->second.second;
    unsigned __int128 bytes = esize;
    for (uint64_t d : a.shape) {
        bytes *= d;
        if (bytes > (uint64_t{1} << 40)) throw npy_error(fmt::format("{}: shape {} is too large", path, shape_str(a.shape)));
    }
    // The header's claim is checked against the file before anything is allocated: a
    // 10-byte file claiming gigabytes fails here, not after a huge allocation.
    const std::streamoff body_at = f.tellg();
    f.seekg(0, std::ios::end);
    const std::streamoff file_end = f.tellg();
    f.seekg(body_at);
    const uint64_t have = file_end > body_at ? static_cast<uint64_t>(file_end - body_at) : 0;
    if (have < static_cast<uint64_t>(bytes))
        throw npy_error(fmt::format("{}: truncated body: shape {} of {} needs {} bytes, the file has {}", path,
                                    shape_str(a.shape), a.dtype, static_cast<uint64_t>(bytes), have));
    a.data.resize(static_cast<size_t>(bytes));
    f.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(bytes));
    if (static_cast<uint64_t>(f.gcount()) != static_cast<uint64_t>(bytes))
        throw npy_error(fmt::format("{}: truncated body: shape {} of {} needs {} bytes, the file has {}", path,
                                    shape_str(a.shape), a.dtype, static_cast<uint64_t>(bytes), f.gcount()));
    return a;
}

npy_array read_npy(const std::string& path, const std::string& dtype, const std::vector<uint64_t>& shape) {
    npy_array a = read_npy(path);
    if (a.dtype != dtype) throw npy_error(fmt::format("{}: dtype {}, expected {}", path, a.dtype, dtype));
    if (!shape.empty() && a.shape != shape)
        throw npy_error(fmt::format("{}: shape {}, expected {}", path, shape_str(a.shape), shape_str(shape)));
    return a;
}

void write_npy(const std::string& path, const std::string& dtype, const std::vector<uint64_t>& shape, const void* data) {
    std::string descr;
    unsigned esize = 0;
    for (const auto& [d, t] : k_dtypes)
        if (t.first == dtype) { descr = d; esize = t.second; }
    if (descr.empty()) throw npy_error("write_npy: unsupported dtype " + dtype);
    std::string shp = "(";
    for (size_t i = 0; i < shape.size(); ++i) shp += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
    if (shape.size() == 1) shp.pop_back();
    shp += ")";
    std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shp);
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::ofstream f(path, std::ios::binary);
    if (!f) throw npy_error(fmt::format("{}: cannot write", path));
    f.write("\x93NUMPY\x01\x00", 8);
    const char len[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
    f.write(len, 2);
    f.write(header.data(), static_cast<std::streamsize>(header.size()));
    uint64_t n = esize;
    for (uint64_t d : shape) n *= d;
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    f.close();  // a full disk shows only when the buffer is flushed
    if (!f) throw npy_error(fmt::format("{}: write error", path));
}

}  // namespace dtq
