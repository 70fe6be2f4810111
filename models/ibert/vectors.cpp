#include "ibert/vectors.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>

#include "ibert/kernels.h"

namespace dtq::ibert {

using nlohmann::json;

namespace {

// A case the runner cannot check: missing / ill-typed / inconsistent field, or an input
// the reference itself rejects. Reported on err, counted as malformed (return 2).
struct malformed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string fmt_real(double v) { return fmt::format("{} [{}]", v, fmt::format("{:a}", v)); }

// Typed access to one case. Keys may be dotted ("consts.m16"); every error names the
// file, the kernel, the case index and name, the key and what was expected.
class field_reader {
public:
    field_reader(const json& c, std::string where) : m_c(c), m_where(std::move(where)) {}
    const std::string& where() const { return m_where; }

    const json* find(const std::string& key) const {
        const json* node = &m_c;
        size_t pos = 0;
        for (;;) {
            const size_t dot = key.find('.', pos);
            const std::string part = key.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
            if (!node->is_object() || !node->contains(part)) return nullptr;
            node = &(*node)[part];
            if (dot == std::string::npos) return node;
            pos = dot + 1;
        }
    }
    bool has(const std::string& key) const { return find(key) != nullptr; }
    const json& at(const std::string& key) const {
        const json* v = find(key);
        if (!v) fail(key, "missing key");
        return *v;
    }
    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw malformed(fmt::format("{}: '{}': {}", m_where, key, what));
    }
    static std::string show(const json& v) {
        std::string s = v.dump();
        return s.size() > 60 ? s.substr(0, 60) + "..." : s;
    }

    static bool is_i64(const json& v) {
        return v.is_number_integer() &&
               !(v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
    }
    int64_t i64(const std::string& key) const {
        const json& v = at(key);
        if (!is_i64(v)) fail(key, "expected an integer in int64, got " + show(v));
        return v.get<int64_t>();
    }
    int small_int(const std::string& key, int lo, int hi) const {
        const json& v = at(key);
        if (!is_i64(v) || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
            fail(key, fmt::format("expected an integer in [{}, {}], got {}", lo, hi, show(v)));
        return static_cast<int>(v.get<int64_t>());
    }
    uint64_t u64(const std::string& key) const { return u64_of(key, at(key)); }
    bool boolean(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_boolean()) fail(key, "expected true or false, got " + show(v));
        return v.get<bool>();
    }
    std::string str(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_string()) fail(key, "expected a string, got " + show(v));
        return v.get<std::string>();
    }
    // A float; when a sibling "<key>_hex" (C99 hex float) is present it must be the same value.
    double f64(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_number()) fail(key, "expected a number, got " + show(v));
        const double d = v.get<double>();
        if (const json* h = find(key + "_hex")) check_hex(key, d, *h, -1);
        return d;
    }
    std::vector<int64_t> ints(const std::string& key) const {
        const json& v = list(key);
        std::vector<int64_t> out;
        out.reserve(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
            if (!is_i64(v[i])) fail(key, fmt::format("element {}: expected an integer in int64, got {}", i, show(v[i])));
            out.push_back(v[i].get<int64_t>());
        }
        return out;
    }
    std::vector<uint64_t> u64s(const std::string& key) const {
        const json& v = list(key);
        std::vector<uint64_t> out;
        out.reserve(v.size());
        for (size_t i = 0; i < v.size(); ++i) out.push_back(u64_of(fmt::format("{}[{}]", key, i), v[i]));
        return out;
    }
    std::vector<double> reals(const std::string& key) const {
        const json& v = list(key);
        const json* h = find(key + "_hex");
        if (h && !(h->is_array() && h->size() == v.size()))
            fail(key + "_hex", fmt::format("expected a list of {} hex-float strings", v.size()));
        std::vector<double> out;
        out.reserve(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_number()) fail(key, fmt::format("element {}: expected a number, got {}", i, show(v[i])));
            out.push_back(v[i].get<double>());
            if (h) check_hex(key, out.back(), (*h)[i], static_cast<long>(i));
        }
        return out;
    }
    const json& list(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_array()) fail(key, "expected a list, got " + show(v));
        return v;
    }

private:
    uint64_t u64_of(const std::string& key, const json& v) const {
        if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0))
            fail(key, "expected a non-negative integer below 2^64, got " + show(v));
        return v.get<uint64_t>();
    }
    void check_hex(const std::string& key, double d, const json& h, long idx) const {
        const std::string k = idx < 0 ? key + "_hex" : fmt::format("{}_hex[{}]", key, idx);
        if (!h.is_string()) fail(k, "expected a C99 hex-float string, got " + show(h));
        const std::string s = h.get<std::string>();
        char* end = nullptr;
        const double hv = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') fail(k, "not a hex-float string: " + show(h));
        if (std::memcmp(&hv, &d, sizeof d) != 0)
            fail(k, fmt::format("{} disagrees with the decimal value {}", s, fmt_real(d)));
    }
    const json& m_c;
    std::string m_where;
};

// First differing output field of a case. Every expected field is read (and type-checked)
// even after a difference was found, so a malformed field is reported whatever the result.
class checker {
public:
    explicit checker(const field_reader& f) : m_f(f) {}
    std::function<std::string(size_t)> element_input;  // "x_int[3] = 42" for a mismatch at index 3

    void i64(const std::string& key, int64_t got) { scalar(key, m_f.i64(key), got); }
    void u64(const std::string& key, uint64_t got) { scalar(key, m_f.u64(key), got); }
    void boolean(const std::string& key, bool got) { scalar(key, m_f.boolean(key), got); }
    void f64(const std::string& key, double got) {
        const double e = m_f.f64(key);
        if (!(e == got) && m_first.empty())
            m_first = fmt::format("field '{}': expected {}, got {}", key, fmt_real(e), fmt_real(got));
    }
    void ints(const std::string& key, const std::vector<int64_t>& got) { list(key, m_f.ints(key), got); }
    void u64s(const std::string& key, const std::vector<uint64_t>& got) { list(key, m_f.u64s(key), got); }
    void reals(const std::string& key, const std::vector<double>& got) { list(key, m_f.reals(key), got); }
    // Null in the file where the C++ side has no value (e.g. no 16-bit requantization).
    void null(const std::string& key) {
        if (const json* v = m_f.find(key); v && !v->is_null()) m_f.fail(key, "expected null, got " + field_reader::show(*v));
    }
    const std::string& first() const { return m_first; }

private:
    template <class T>
    void scalar(const std::string& key, T e, T got) {
        if (e != got && m_first.empty()) m_first = fmt::format("field '{}': expected {}, got {}", key, e, got);
    }
    template <class T>
    void list(const std::string& key, const std::vector<T>& e, const std::vector<T>& got) {
        if (!m_first.empty()) return;
        if (e.size() != got.size()) {
            m_first = fmt::format("field '{}': expected {} values, got {}", key, e.size(), got.size());
            return;
        }
        for (size_t i = 0; i < e.size(); ++i) {
            if (e[i] == got[i]) continue;
            std::string es, gs;
            if constexpr (std::is_floating_point_v<T>) es = fmt_real(e[i]), gs = fmt_real(got[i]);
            else es = fmt::format("{}", e[i]), gs = fmt::format("{}", got[i]);
            m_first = fmt::format("field '{}'[{}]: expected {}, got {}", key, i, es, gs);
            if (element_input) m_first += " (input " + element_input(i) + ")";
            return;
        }
    }
    const field_reader& m_f;
    std::string m_first;
};

template <class T>
std::string summarize(const char* name, const std::vector<T>& v) {
    constexpr size_t shown = 6;
    std::string s = fmt::format("{}=[", name);
    for (size_t i = 0; i < v.size() && i < shown; ++i) s += fmt::format("{}{}", i ? ", " : "", v[i]);
    if (v.size() > shown) s += fmt::format(", ... {} values", v.size());
    return s + "]";
}

void check_n(const field_reader& f, size_t len, const char* input) {
    const int64_t n = f.i64("n");
    if (n < 0 || static_cast<size_t>(n) != len)
        f.fail("n", fmt::format("is {} but '{}' has {} values", n, input, len));
}

struct case_result {
    std::string inputs;    // one-line summary of the case's inputs
    std::string mismatch;  // empty when every field matches
};

// Fills r.inputs before running the kernel, so an exception still leaves the summary.
using case_fn = void (*)(const field_reader&, const book&, case_result& r);

void run_exp(const field_reader& f, const book& b, case_result& r) {
    const double scale = f.f64("scale");
    const auto x = f.ints("x_int");
    check_n(f, x.size(), "x_int");
    r = case_result{fmt::format("n={}, scale={}, {}", x.size(), fmt_real(scale), summarize("x_int", x)), {}};
    const auto k = exp_consts(scale, b);
    const auto e = i_exp_int(x, k);
    checker c(f);
    c.element_input = [&](size_t i) { return fmt::format("x_int[{}] = {}", i, x[i]); };
    c.i64("consts.x0_int", k.x0_int);
    c.i64("consts.b_int", k.b_int);
    c.i64("consts.c_int", k.c_int);
    c.i64("consts.n", k.n);
    c.f64("exp_scale", k.exp_scale);
    c.ints("q", e.q);
    c.ints("z", e.z);
    c.ints("exp_int", e.exp_int);
    r.mismatch = c.first();
}

void run_softmax(const field_reader& f, const book& b, case_result& r) {
    const double scale = f.f64("scale");
    const auto x = f.ints("x_int");
    check_n(f, x.size(), "x_int");
    softmax_params p;
    p.output_bit = f.small_int("output_bit", 0, 32);
    const bool requant = !f.at("exp_act_bits").is_null();
    p.exp_act_bits = requant ? std::optional<int>(f.small_int("exp_act_bits", 1, 64)) : std::nullopt;
    const bool dflt = f.boolean("exp_act_max_is_default");
    const json& emax = f.at("exp_act_max");
    if (requant && !dflt) {
        if (field_reader::is_i64(emax)) p.exp_act_max_int = emax.get<int64_t>();
        else if (emax.is_number_float()) p.exp_act_max_real = emax.get<double>();
        else f.fail("exp_act_max", "expected a positive number (int64 or float), got " + field_reader::show(emax));
        if ((p.exp_act_max_int && *p.exp_act_max_int <= 0) || (p.exp_act_max_real && !(*p.exp_act_max_real > 0)))
            f.fail("exp_act_max", "must be positive (the reference rejects it), got " + field_reader::show(emax));
    }
    r = case_result{fmt::format("n={}, scale={}, output_bit={}, exp_act_bits={}, exp_act_max={}{}, {}", x.size(),
                              fmt_real(scale), p.output_bit, requant ? std::to_string(*p.exp_act_bits) : "null",
                              field_reader::show(emax), dflt ? " (default)" : "", summarize("x_int", x)),
                  {}};
    const auto o = i_softmax(x, scale, p, b);
    checker c(f);
    c.element_input = [&](size_t i) { return fmt::format("x_int[{}] = {}, x_max = {}", i, x[i], o.x_max); };
    c.i64("consts.x0_int", o.consts.x0_int);
    c.i64("consts.b_int", o.consts.b_int);
    c.i64("consts.c_int", o.consts.c_int);
    c.i64("consts.n", o.consts.n);
    if (requant) {
        if (dflt || p.exp_act_max_int) {
            if (o.exp_act_max > std::numeric_limits<int64_t>::max())
                throw std::overflow_error("the default exp_act_max does not fit in int64");
            c.i64("exp_act_max", static_cast<int64_t>(o.exp_act_max));
        }
        c.f64("consts.mult16", o.mult16);
        c.i64("consts.m16", o.me16.m);
        c.i64("consts.e16", o.me16.e);
    } else {
        c.null("exp_act_max");
        c.null("consts.mult16");
        c.null("consts.m16");
        c.null("consts.e16");
    }
    c.i64("x_max", o.x_max);
    if (f.has("q")) c.ints("q", o.q);  // not written by the reference, checked when present
    if (f.has("z")) c.ints("z", o.z);
    c.ints("exp_int", o.exp_int);
    c.ints("exp16", o.exp16);
    c.i64("exp_sum", o.exp_sum);
    c.i64("factor", o.factor);
    c.ints("y_int", o.y);
    c.f64("out_scale", o.out_scale);
    r.mismatch = c.first();
}

void run_gelu(const field_reader& f, const book& b, case_result& r) {
    const double scale = f.f64("scale");
    const auto x = f.ints("x_int");
    check_n(f, x.size(), "x_int");
    r = case_result{fmt::format("n={}, scale={}, {}", x.size(), fmt_real(scale), summarize("x_int", x)), {}};
    const auto k = gelu_consts(scale, b);
    const auto o = i_gelu_int(x, k);
    checker c(f);
    c.element_input = [&](size_t i) { return fmt::format("x_int[{}] = {}", i, x[i]); };
    c.i64("consts.b_int", k.b_int);
    c.i64("consts.c_int", k.c_int);
    c.i64("consts.shift_int", k.shift_int);
    c.i64("consts.n", k.n);
    c.f64("consts.erf_scale", k.erf_scale);
    c.ints("erf_int", o.erf);
    c.ints("y_int", o.y);
    c.f64("out_scale", k.out_scale);
    r.mismatch = c.first();
}

void run_sqrt(const field_reader& f, const book&, case_result& r) {
    const auto x = f.u64s("x");
    check_n(f, x.size(), "x");
    r = case_result{fmt::format("n={}, {}", x.size(), summarize("x", x)), {}};
    std::vector<uint64_t> roots;
    std::vector<int64_t> its;
    for (uint64_t v : x) {
        const auto s = i_sqrt(v);
        roots.push_back(s.root);
        its.push_back(s.iterations);
    }
    checker c(f);
    c.element_input = [&](size_t i) { return fmt::format("x[{}] = {}", i, x[i]); };
    c.u64s("root", roots);
    c.ints("iterations", its);
    r.mismatch = c.first();
}

void run_layernorm(const field_reader& f, const book& b, case_result& r) {
    const auto x = f.ints("x_int");
    check_n(f, x.size(), "x_int");
    const auto gamma = f.reals("gamma");
    const auto beta = f.reals("beta");
    if (gamma.size() != x.size() || beta.size() != x.size())
        f.fail("gamma", fmt::format("gamma ({}) and beta ({}) must have one value per element of x_int ({})",
                                    gamma.size(), beta.size(), x.size()));
    for (size_t i = 0; i < gamma.size(); ++i)
        if (b.r(gamma[i]) == 0) f.fail(fmt::format("gamma[{}]", i), "must be non-zero (the reference rejects it)");
    const int shift = f.small_int("shift_in", 0, 1 << 20);
    const bool ovf = f.boolean("overflow_handling");
    if (const json* s = f.find("scale"); s && !s->is_null()) (void)f.f64("scale");  // informative only
    r = case_result{fmt::format("n={}, shift_in={}, overflow_handling={}, {}, {}", x.size(), shift, ovf,
                              summarize("x_int", x), summarize("gamma", gamma)),
                  {}};
    const auto o = i_layernorm(x, gamma, beta, shift, ovf, b);
    checker c(f);
    c.element_input = [&](size_t i) {
        return fmt::format("x_int[{}] = {}, gamma = {}, beta = {}", i, x[i], gamma[i], beta[i]);
    };
    c.i64("mean_int", o.mean_int);
    c.i64("shift", o.shift);
    c.boolean("shift_adjusted", o.shift_adjusted);
    c.u64("var_int", o.var_int);
    c.i64("std_int", o.std_int);
    c.i64("factor", o.factor);
    c.f64("ln_scale", o.consts.ln_scale);
    c.ints("bias_int", o.consts.bias_int);
    c.ints("y_norm_int", o.y_norm);
    c.ints("y_int", o.y);
    c.reals("out_scale", o.consts.out_scale);
    r.mismatch = c.first();
}

void run_requant(const field_reader& f, const book&, case_result& r) {
    const auto z = f.ints("z_int");
    check_n(f, z.size(), "z_int");
    const double mult = f.f64("multiplier");
    requant_params p;
    p.bits = f.small_int("bits", 1, 64);
    p.clamp = f.boolean("clamp");
    const std::string rnd = f.str("rounding");
    if (rnd == "half_even") p.mode = rounding::half_even;
    else if (rnd == "half_up") p.mode = rounding::half_up;
    else if (rnd == "floor") p.mode = rounding::floor;
    else f.fail("rounding", "expected \"half_even\", \"half_up\" or \"floor\", got \"" + rnd + "\"");
    const bool has_id = f.has("identity") && !f.at("identity").is_null();
    std::vector<int64_t> id;
    double id_mult = 0;
    if (has_id) {
        id = f.ints("identity");
        id_mult = f.f64("identity_multiplier");
        if (id.size() != z.size())
            f.fail("identity", fmt::format("has {} values but 'z_int' has {}", id.size(), z.size()));
    }
    r = case_result{fmt::format("n={}, multiplier={}, bits={}, clamp={}, rounding={}, {}{}", z.size(), fmt_real(mult),
                              p.bits, p.clamp, rnd, summarize("z_int", z),
                              has_id ? fmt::format(", identity_multiplier={}, {}", fmt_real(id_mult), summarize("identity", id))
                                     : ""),
                  {}};
    p.me = dyadic(mult);
    const dyadic_t ime = has_id ? dyadic(id_mult) : dyadic_t{};
    auto run = [&](rounding mode) {
        requant_params q = p;
        q.mode = mode;
        return has_id ? requantize(z, q, id, ime) : requantize(z, q);
    };
    checker c(f);
    c.element_input = [&](size_t i) {
        return has_id ? fmt::format("z_int[{}] = {}, identity[{}] = {}", i, z[i], i, id[i])
                      : fmt::format("z_int[{}] = {}", i, z[i]);
    };
    c.i64("m", p.me.m);
    c.i64("e", p.me.e);
    if (has_id) {
        c.i64("identity_m", ime.m);
        c.i64("identity_e", ime.e);
    }
    c.ints("y_int", run(p.mode));
    if (f.has("y_int_half_up")) c.ints("y_int_half_up", run(rounding::half_up));  // informative field
    r.mismatch = c.first();
}

void run_symq(const field_reader& f, const book& b, case_result& r) {
    const auto x = f.reals("x");
    check_n(f, x.size(), "x");
    const int bits = f.small_int("bits", 2, 64);
    const double xmin = f.f64("xmin"), xmax = f.f64("xmax");
    r = case_result{fmt::format("n={}, bits={}, xmin={}, xmax={}, {}", x.size(), bits, xmin, xmax, summarize("x", x)), {}};
    const double scale = symmetric_scale(bits, xmin, xmax, b);
    checker c(f);
    c.element_input = [&](size_t i) { return fmt::format("x[{}] = {}", i, fmt_real(x[i])); };
    c.f64("scale", scale);
    c.ints("q", symmetric_quantize(x, scale, bits, b));
    r.mismatch = c.first();
}

const std::map<std::string, case_fn>& runners() {
    static const std::map<std::string, case_fn> m = {
        {"i_exp", run_exp},         {"i_softmax", run_softmax},   {"i_gelu", run_gelu},
        {"i_sqrt", run_sqrt},       {"i_layernorm", run_layernorm}, {"requantize", run_requant},
        {"symmetric_quantize", run_symq}};
    return m;
}

constexpr int MAX_ERRORS_PER_KERNEL = 5;

int run_file(const std::string& path, std::ostream& out, std::ostream& err, vector_summary& total) {
    json doc;
    {
        std::ifstream fs(path);
        if (!fs) {
            err << "dtqvp: error: " << path << ": cannot open the vector file\n";
            return 2;
        }
        try {
            doc = json::parse(fs);
        } catch (const json::exception& e) {
            err << "dtqvp: error: " << path << ": not valid JSON: " << e.what() << '\n';
            return 2;
        }
    }
    if (!doc.is_object() || !doc.contains("kernels") || !doc["kernels"].is_object()) {
        err << "dtqvp: error: " << path << ": expected a JSON object with a 'kernels' object (kernel name -> list of cases)\n";
        return 2;
    }
    if (doc.contains("format_version") && doc["format_version"] != 1) {
        err << "dtqvp: error: " << path << ": 'format_version' " << doc["format_version"].dump()
            << " is not supported (expected 1)\n";
        return 2;
    }
    book b;
    if (doc.contains("bookkeeping")) {
        const json& bk = doc["bookkeeping"];
        if (bk == "fp64") b.mode = bookkeeping::fp64;
        else if (bk == "fp32") b.mode = bookkeeping::fp32;
        else {
            err << "dtqvp: error: " << path << ": 'bookkeeping' must be \"fp64\" or \"fp32\", got " << bk.dump() << '\n';
            return 2;
        }
    }
    for (const auto& [kernel, cases] : doc["kernels"].items()) {
        const auto it = runners().find(kernel);
        if (it == runners().end()) {
            err << fmt::format("dtqvp: error: {}: kernels.{}: unknown kernel (known: i_exp, i_softmax, i_gelu, i_sqrt, "
                               "i_layernorm, requantize, symmetric_quantize)\n",
                               path, kernel);
            ++total.malformed;
            continue;
        }
        if (!cases.is_array()) {
            err << fmt::format("dtqvp: error: {}: kernels.{}: expected a list of cases\n", path, kernel);
            ++total.malformed;
            continue;
        }
        vector_summary k;
        std::string first;
        for (size_t i = 0; i < cases.size(); ++i) {
            const json& c = cases[i];
            const std::string name = c.is_object() && c.contains("name") && c["name"].is_string()
                                         ? c["name"].get<std::string>()
                                         : std::string("?");
            const field_reader f(c, fmt::format("{}: kernels.{}[{}] '{}'", path, kernel, i, name));
            case_result res;
            std::string problem;
            try {
                if (!c.is_object()) throw malformed(f.where() + ": expected a case object, got " + field_reader::show(c));
                it->second(f, b, res);
            } catch (const malformed& e) {
                problem = e.what();
            } catch (const std::overflow_error& e) {
                // The reference's unbounded result does not fit the C++ output type.
                res.mismatch = std::string("the C++ kernel cannot represent the reference's result: ") + e.what();
            } catch (const std::exception& e) {
                // invalid_argument / domain_error: an input the reference rejects too.
                problem = fmt::format("{}: invalid input (the reference rejects it too): {}", f.where(), e.what());
            }
            if (!problem.empty()) {
                if (++k.malformed <= MAX_ERRORS_PER_KERNEL) err << "dtqvp: error: " << problem << '\n';
                continue;
            }
            if (res.mismatch.empty()) {
                ++k.passed;
                continue;
            }
            if (++k.failed == 1)
                first = fmt::format("  first mismatch: case {} '{}'\n    inputs: {}\n    {}\n", i, name, res.inputs, res.mismatch);
        }
        if (k.malformed > MAX_ERRORS_PER_KERNEL)
            err << fmt::format("dtqvp: error: {}: kernels.{}: {} more malformed cases not shown\n", path, kernel,
                               k.malformed - MAX_ERRORS_PER_KERNEL);
        out << fmt::format("{:<20} {:>4} passed {:>4} failed", kernel, k.passed, k.failed);
        if (k.malformed) out << fmt::format(" {:>4} malformed", k.malformed);
        out << '\n' << first;
        total.passed += k.passed;
        total.failed += k.failed;
        total.malformed += k.malformed;
    }
    if (total.malformed)
        out << fmt::format("{} malformed case(s) or kernel(s) not checked (see the errors)\n", total.malformed);
    out << fmt::format("{} passed, {} failed\n", total.passed, total.failed);
    if (total.malformed) return 2;
    return total.failed ? 1 : 0;
}

}  // namespace

int run_vector_file(const std::string& path, std::ostream& out, std::ostream& err, vector_summary* summary) {
    vector_summary total;
    int rc = 2;
    try {
        rc = run_file(path, out, err, total);
    } catch (const std::exception& e) {  // nothing should get here; never let it escape
        err << "dtqvp: error: " << path << ": " << e.what() << '\n';
        rc = 2;
    }
    if (summary) *summary = total;
    return rc;
}

}  // namespace dtq::ibert
