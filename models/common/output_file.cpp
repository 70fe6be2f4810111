#include "common/output_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace dtq {

output_file::output_file(std::string path) : m_path(std::move(path)) {
    struct stat st {};
    if (::stat(m_path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) fail("it is a directory", 0);
        // A device or FIFO (/dev/stdout, /dev/full): written in place, never replaced.
        m_f = std::fopen(m_path.c_str(), "wb");
        if (!m_f) fail("cannot open it", errno);
        return;
    }
    m_tmp = m_path + ".tmp-" + std::to_string(::getpid());
    m_f = std::fopen(m_tmp.c_str(), "wb");
    if (!m_f) fail("cannot create a file in its directory", errno);
}

output_file::~output_file() {
    if (m_f) {
        std::fclose(m_f);
        if (!m_tmp.empty()) std::remove(m_tmp.c_str());
    }
}

void output_file::fail(const std::string& what, int err) {
    if (m_f) {
        std::fclose(m_f);
        m_f = nullptr;
        if (!m_tmp.empty()) std::remove(m_tmp.c_str());
    }
    throw output_error("cannot write " + m_path + ": " + what + (err ? std::string(" (") + std::strerror(err) + ")" : ""));
}

void output_file::write(const std::string& s) {
    if (!m_f) fail("already closed", 0);
    if (std::fwrite(s.data(), 1, s.size(), m_f) != s.size()) fail("write failed", errno);
}

void output_file::commit() {
    if (!m_f) fail("already closed", 0);
    if (std::ferror(m_f)) fail("write failed", errno);
    if (std::fflush(m_f) != 0) fail("write failed", errno);
    FILE* f = m_f;
    m_f = nullptr;
    if (std::fclose(f) != 0) {
        const int e = errno;
        if (!m_tmp.empty()) std::remove(m_tmp.c_str());
        throw output_error("cannot write " + m_path + ": close failed (" + std::strerror(e) + ")");
    }
    if (m_tmp.empty()) return;
    if (std::rename(m_tmp.c_str(), m_path.c_str()) != 0) {
        const int e = errno;
        std::remove(m_tmp.c_str());
        throw output_error("cannot write " + m_path + ": rename failed (" + std::strerror(e) + ")");
    }
}

void write_output(const std::string& path, const std::string& content) {
    output_file f(path);
    f.write(content);
    f.commit();
}

void check_stdout() {
    std::cout.flush();
    const bool bad = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout);
    if (bad) {
        const int e = errno;
        throw output_error(std::string("cannot write standard output") + (e ? std::string(": ") + std::strerror(e) : ""));
    }
}

}  // namespace dtq
