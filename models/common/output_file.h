// Output files written safely (docs/errors.md#output-files): the data go to a temporary
// file next to the destination (NAME.tmp-PID), every write, the flush and the close are
// checked, and only then is the temporary renamed over the destination. A failed run
// (full disk, unwritable directory, signal) never leaves a truncated file where a good one
// was. A destination that exists and is not a regular file (/dev/stdout, /dev/full, a FIFO)
// is written in place, never replaced; a directory is an error. Failures throw output_error("cannot write PATH: reason"), which the command line
// reports with exit code 3.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

namespace dtq {

struct output_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class output_file {
public:
    explicit output_file(std::string path);  // opens the temporary; throws output_error
    ~output_file();                          // removes the temporary unless committed
    output_file(const output_file&) = delete;
    output_file& operator=(const output_file&) = delete;

    FILE* get() { return m_f; }
    void write(const std::string& s);
    // Flushes and closes the temporary, then renames it to the destination; throws
    // output_error naming the destination on any failure.
    void commit();
    const std::string& path() const { return m_path; }

private:
    [[noreturn]] void fail(const std::string& what, int err);
    std::string m_path, m_tmp;
    FILE* m_f = nullptr;
};

// The whole of `content` to `path` (temporary + rename); throws output_error.
void write_output(const std::string& path, const std::string& content);

// Checks stdout after a command printed its result (`report --json > file` on a full disk):
// flushes std::cout and stdout; throws output_error("cannot write standard output: ...").
void check_stdout();

}  // namespace dtq
