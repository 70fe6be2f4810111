#include "host/gdb_stub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace dtq {

namespace {
const char* HEX = "0123456789abcdef";

std::string to_hex(const uint8_t* p, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s += HEX[p[i] >> 4];
        s += HEX[p[i] & 15];
    }
    return s;
}
int nib(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
std::vector<uint8_t> from_hex(const std::string& s) {
    std::vector<uint8_t> v;
    for (size_t i = 0; i + 1 < s.size(); i += 2) v.push_back(static_cast<uint8_t>(nib(s[i]) << 4 | nib(s[i + 1])));
    return v;
}
std::string word_hex(uint32_t v) {  // target byte order (little-endian)
    const uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
                          static_cast<uint8_t>(v >> 24)};
    return to_hex(b, 4);
}
uint32_t hex_word(const std::string& s) {
    const auto b = from_hex(s);
    uint32_t v = 0;
    for (size_t i = 0; i < b.size() && i < 4; ++i) v |= uint32_t{b[i]} << (8 * i);
    return v;
}
}  // namespace

gdb_stub::~gdb_stub() {
    if (m_fd >= 0) ::close(m_fd);
    if (m_listen >= 0) ::close(m_listen);
}

std::string gdb_stub::accept(uint16_t port) {
    m_listen = ::socket(AF_INET, SOCK_STREAM, 0);
    if (m_listen < 0) return std::string("socket: ") + std::strerror(errno);
    int one = 1;
    ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        return "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
    ::listen(m_listen, 1);
    std::fprintf(stderr, "dtqvp: waiting for GDB on localhost:%u (gdb-multiarch ELF -ex 'target remote :%u')\n", port, port);
    m_fd = ::accept(m_listen, nullptr, nullptr);
    if (m_fd < 0) return std::string("accept: ") + std::strerror(errno);
    return "";
}

bool gdb_stub::get_packet(std::string& out) {
    char c;
    for (;;) {  // skip to '$' (acks, and a Ctrl-C while stopped, are ignored)
        if (::read(m_fd, &c, 1) != 1) return false;
        if (c == '$') break;
    }
    out.clear();
    for (;;) {
        if (::read(m_fd, &c, 1) != 1) return false;
        if (c == '#') break;
        out += c;
    }
    char cs[2];
    if (::read(m_fd, cs, 2) != 2) return false;
    const char ack = '+';
    return ::write(m_fd, &ack, 1) == 1;
}

void gdb_stub::put_packet(const std::string& data) {
    unsigned sum = 0;
    for (char ch : data) sum += static_cast<uint8_t>(ch);
    char tail[4];
    std::snprintf(tail, sizeof tail, "#%02x", sum & 0xFF);
    const std::string pkt = "$" + data + tail;
    for (int tries = 0; tries < 3; ++tries) {
        if (::write(m_fd, pkt.data(), pkt.size()) != static_cast<ssize_t>(pkt.size())) return;
        char c = 0;
        if (::read(m_fd, &c, 1) != 1 || c == '+') return;  // '-': send again
    }
}

std::string gdb_stub::handle(const std::string& p, action& act, bool& resume) {
    if (p.empty()) return "";
    switch (p[0]) {
        case '?': return "S05";
        case 'g': {
            std::string s;
            for (unsigned r = 0; r <= 32; ++r) s += word_hex(m_t.reg(r));
            return s;
        }
        case 'G': {
            for (unsigned r = 0; r <= 32 && 1 + 8 * (r + 1) <= p.size(); ++r) m_t.set_reg(r, hex_word(p.substr(1 + 8 * r, 8)));
            return "OK";
        }
        case 'p': {
            const unsigned r = static_cast<unsigned>(std::stoul(p.substr(1), nullptr, 16));
            return r <= 32 ? word_hex(m_t.reg(r)) : "xxxxxxxx";  // FPRs and CSRs: unavailable
        }
        case 'P': {
            const auto eq = p.find('=');
            const unsigned r = static_cast<unsigned>(std::stoul(p.substr(1, eq - 1), nullptr, 16));
            if (r > 32 || eq == std::string::npos) return "E01";
            m_t.set_reg(r, hex_word(p.substr(eq + 1)));
            return "OK";
        }
        case 'm': {
            const auto comma = p.find(',');
            const uint32_t a = static_cast<uint32_t>(std::stoul(p.substr(1, comma - 1), nullptr, 16));
            const uint32_t n = static_cast<uint32_t>(std::stoul(p.substr(comma + 1), nullptr, 16));
            std::vector<uint8_t> b(std::min<uint32_t>(n, 4096));
            if (!m_t.read(a, b.data(), static_cast<uint32_t>(b.size()))) return "E01";
            return to_hex(b.data(), b.size());
        }
        case 'M': {
            const auto comma = p.find(','), colon = p.find(':');
            const uint32_t a = static_cast<uint32_t>(std::stoul(p.substr(1, comma - 1), nullptr, 16));
            const auto b = from_hex(p.substr(colon + 1));
            return m_t.write(a, b.data(), static_cast<uint32_t>(b.size())) ? "OK" : "E01";
        }
        case 'c':
            if (p.size() > 1) m_t.set_reg(32, static_cast<uint32_t>(std::stoul(p.substr(1), nullptr, 16)));
            act = action::cont;
            resume = true;
            return "";
        case 's':
            if (p.size() > 1) m_t.set_reg(32, static_cast<uint32_t>(std::stoul(p.substr(1), nullptr, 16)));
            act = action::step;
            resume = true;
            return "";
        case 'Z':
        case 'z': {
            if (p.size() < 2 || (p[1] != '0' && p[1] != '1')) return "";  // watchpoints: unsupported
            const auto c1 = p.find(','), c2 = p.find(',', c1 + 1);
            const uint32_t a = static_cast<uint32_t>(std::stoul(p.substr(c1 + 1, c2 - c1 - 1), nullptr, 16));
            if (p[0] == 'Z') m_bps.insert(a);
            else m_bps.erase(a);
            return "OK";
        }
        case 'k':
            act = action::kill;
            resume = true;
            return "";
        case 'D':
            act = action::detach;
            resume = true;
            return "OK";
        case 'H': return "OK";
        case 'T': return "OK";
        case 'q':
            if (p.rfind("qSupported", 0) == 0) return "PacketSize=1000";
            if (p == "qAttached") return "1";
            if (p == "qC") return "QC1";
            if (p == "qfThreadInfo") return "m1";
            if (p == "qsThreadInfo") return "l";
            if (p.rfind("qSymbol", 0) == 0) return "OK";
            return "";
        default: return "";  // unsupported: the empty reply
    }
}

gdb_stub::action gdb_stub::serve(int signal, bool report) {
    if (m_fd < 0) return action::detach;
    if (report) {
        char s[4];
        std::snprintf(s, sizeof s, "S%02x", signal & 0xFF);
        put_packet(s);
    }
    std::string pkt;
    while (get_packet(pkt)) {
        action act = action::cont;
        bool resume = false;
        std::string reply;
        try {
            reply = handle(pkt, act, resume);
        } catch (const std::exception&) {  // a malformed number
            reply = "E02";
        }
        if (act == action::detach && resume) {
            put_packet(reply);
            ::close(m_fd);
            m_fd = -1;
            return act;
        }
        if (resume) return act;
        put_packet(reply);
    }
    ::close(m_fd);  // the debugger went away: run on without it
    m_fd = -1;
    return action::detach;
}

void gdb_stub::exited(int code) {
    if (m_fd < 0) return;
    char s[4];
    std::snprintf(s, sizeof s, "W%02x", code & 0xFF);
    put_packet(s);
    ::close(m_fd);
    m_fd = -1;
}

void gdb_stub::killed_by(int signal) {
    if (m_fd < 0) return;
    char s[4];
    std::snprintf(s, sizeof s, "X%02x", signal & 0xFF);
    put_packet(s);
    ::close(m_fd);
    m_fd = -1;
}

}  // namespace dtq
