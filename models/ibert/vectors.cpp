#include "ibert/vectors.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "ibert/kernels.h"

namespace dtq::ibert {

using nlohmann::json;

namespace {

struct malformed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Field access with the case's name and the expected type in every message.
struct field_reader {
    const json& c;
    std::string where;  // "kernel[i] 'name'"
    const json& at(const std::string& key) const {
        if (!c.contains(key)) throw malformed(fmt::format("{}: missing key '{}'", where, key));
        return c.at(key);
    }
    int64_t i64(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX))
            throw malformed(fmt::format("{}: '{}' must be an integer in int64, got {}", where, key, v.dump()));
        return v.get<int64_t>();
    }
    double f64(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_number()) throw malformed(fmt::format("{}: '{}' must be a number, got {}", where, key, v.dump()));
        return v.get<double>();
    }
    bool boolean(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_boolean()) throw malformed(fmt::format("{}: '{}' must be true or false, got {}", where, key, v.dump()));
        return v.get<bool>();
    }
    std::vector<int64_t> ints(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_array()) throw malformed(fmt::format("{}: '{}' must be a list of integers", where, key));
        std::vector<int64_t> out;
        for (const auto& e : v) {
            if (!e.is_number_integer() || (e.is_number_unsigned() && e.get<uint64_t>() > INT64_MAX))
                throw malformed(fmt::format("{}: '{}' must hold int64 integers, got {}", where, key, e.dump()));
            out.push_back(e.get<int64_t>());
        }
        return out;
    }
    std::vector<double> reals(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_array()) throw malformed(fmt::format("{}: '{}' must be a list of numbers", where, key));
        std::vector<double> out;
        for (const auto& e : v) {
            if (!e.is_number()) throw malformed(fmt::format("{}: '{}' must hold numbers, got {}", where, key, e.dump()));
            out.push_back(e.get<double>());
        }
        return out;
    }
};

// Compares got against the expected field; records the first difference.
struct checker {
    const field_reader& f;
    std::string first;
    template <class T>
    void eq(const std::string& key, const T& got) {
        if (!first.empty()) return;
        json exp = key.find('.') == std::string::npos ? f.at(key) : f.at(key.substr(0, key.find('.'))).at(key.substr(key.find('.') + 1));
        json g = got;
        if (exp != g) {
            // numbers: compare as the same kind (int vs uint)
            if (exp.is_number() && g.is_number() && exp.dump() == g.dump()) return;
            if (exp.is_array() && g.is_array() && exp.size() == g.size()) {
                for (size_t i = 0; i < exp.size(); ++i)
                    if (exp[i].dump() != g[i].dump()) {
                        first = fmt::format("'{}'[{}]: expected {}, got {}", key, i, exp[i].dump(), g[i].dump());
                        return;
                    }
                return;
            }
            std::string es = exp.dump(), gs = g.dump();
            if (es.size() > 120) es = es.substr(0, 120) + "...";
            if (gs.size() > 120) gs = gs.substr(0, 120) + "...";
            first = fmt::format("'{}': expected {}, got {}", key, es, gs);
        }
    }
};

book book_of(const json& doc) {
    book b;
    if (doc.contains("bookkeeping") && doc["bookkeeping"] == "fp32") b.mode = bookkeeping::fp32;
    return b;
}

using case_fn = std::function<std::string(const field_reader&, const book&)>;

std::string run_exp(const field_reader& f, const book& b) {
    checker c{f, {}};
    const auto k = exp_consts(f.f64("scale"), b);
    c.eq("consts.x0_int", k.x0_int);
    c.eq("consts.b_int", k.b_int);
    c.eq("consts.c_int", k.c_int);
    const auto e = i_exp_int(f.ints("x_int"), k);
    c.eq("q", e.q);
    c.eq("z", e.z);
    c.eq("exp_int", e.exp_int);
    c.eq("exp_scale", k.exp_scale);
    return c.first;
}

std::string run_softmax(const field_reader& f, const book& b) {
    checker c{f, {}};
    const bool dflt = f.boolean("exp_act_max_is_default");
    const bool int_max = f.at("exp_act_max").is_number_integer();
    const auto o = i_softmax(f.ints("x_int"), f.f64("scale"), static_cast<int>(f.i64("output_bit")),
                             static_cast<int>(f.i64("exp_act_bits")), dflt || !int_max ? 0 : f.i64("exp_act_max"), b,
                             dflt || int_max ? 0.0 : f.f64("exp_act_max"));
    c.eq("consts.x0_int", o.consts.x0_int);
    c.eq("consts.b_int", o.consts.b_int);
    c.eq("consts.c_int", o.consts.c_int);
    if (int_max) c.eq("exp_act_max", o.exp_act_max);
    c.eq("consts.mult16", o.mult16);
    c.eq("consts.m16", o.me16.m);
    c.eq("consts.e16", o.me16.e);
    c.eq("x_max", o.x_max);
    c.eq("exp_int", o.exp_int);
    c.eq("exp16", o.exp16);
    c.eq("exp_sum", o.exp_sum);
    c.eq("factor", o.factor);
    c.eq("y_int", o.y);
    return c.first;
}

std::string run_gelu(const field_reader& f, const book& b) {
    checker c{f, {}};
    const auto k = gelu_consts(f.f64("scale"), b);
    c.eq("consts.b_int", k.b_int);
    c.eq("consts.c_int", k.c_int);
    c.eq("consts.shift_int", k.shift_int);
    c.eq("consts.erf_scale", k.erf_scale);
    const auto o = i_gelu_int(f.ints("x_int"), k);
    c.eq("erf_int", o.erf);
    c.eq("y_int", o.y);
    c.eq("out_scale", k.out_scale);
    return c.first;
}

std::string run_sqrt(const field_reader& f, const book&) {
    checker c{f, {}};
    const json& xs = f.at("x");
    if (!xs.is_array()) throw malformed(f.where + ": 'x' must be a list of integers");
    std::vector<uint64_t> roots;
    std::vector<int> its;
    for (const auto& v : xs) {
        if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0))
            throw malformed(fmt::format("{}: 'x' must hold non-negative integers, got {}", f.where, v.dump()));
        const auto r = i_sqrt(v.get<uint64_t>());
        roots.push_back(r.root);
        its.push_back(r.iterations);
    }
    c.eq("root", roots);
    c.eq("iterations", its);
    return c.first;
}

std::string run_layernorm(const field_reader& f, const book& b) {
    checker c{f, {}};
    const auto o = i_layernorm(f.ints("x_int"), f.reals("gamma"), f.reals("beta"), static_cast<int>(f.i64("shift_in")),
                               f.boolean("overflow_handling"), b);
    c.eq("mean_int", o.mean_int);
    c.eq("shift", o.shift);
    c.eq("shift_adjusted", o.shift_adjusted);
    c.eq("var_int", o.var_int);
    c.eq("std_int", o.std_int);
    c.eq("factor", o.factor);
    c.eq("ln_scale", o.ln_scale);
    c.eq("bias_int", o.bias_int);
    c.eq("y_norm_int", o.y_norm);
    c.eq("y_int", o.y);
    c.eq("out_scale", o.out_scale);
    return c.first;
}

std::string run_requant(const field_reader& f, const book&) {
    checker c{f, {}};
    const dyadic_t me = dyadic(f.f64("multiplier"));
    c.eq("m", me.m);
    c.eq("e", me.e);
    const int bits = static_cast<int>(f.i64("bits"));
    const bool clamp = f.boolean("clamp");
    const std::string rounding = f.at("rounding").is_string() ? f.at("rounding").get<std::string>() : "";
    if (rounding != "half_even" && rounding != "half_up")
        throw malformed(fmt::format("{}: 'rounding' must be \"half_even\" or \"half_up\"", f.where));
    std::vector<int64_t> id;
    dyadic_t ime{0, 0};
    const bool has_id = f.c.contains("identity");
    if (has_id) {
        id = f.ints("identity");
        ime = dyadic(f.f64("identity_multiplier"));
        c.eq("identity_m", ime.m);
        c.eq("identity_e", ime.e);
    }
    const auto z = f.ints("z_int");
    if (has_id && id.size() != z.size()) throw malformed(f.where + ": 'identity' and 'z_int' differ in length");
    c.eq("y_int", requantize(z, me, bits, clamp, has_id ? &id : nullptr, ime, rounding == "half_up"));
    if (f.c.contains("y_int_half_up"))
        c.eq("y_int_half_up", requantize(z, me, bits, clamp, has_id ? &id : nullptr, ime, true));
    return c.first;
}

std::string run_symq(const field_reader& f, const book& b) {
    checker c{f, {}};
    const int bits = static_cast<int>(f.i64("bits"));
    const double scale = symmetric_scale(bits, f.f64("xmin"), f.f64("xmax"), b);
    c.eq("scale", scale);
    c.eq("q", symmetric_quantize(f.reals("x"), scale, bits, b));
    return c.first;
}

}  // namespace

int run_vector_file(const std::string& path, std::ostream& out, std::ostream& err, vector_summary* summary) {
    json doc;
    {
        std::ifstream f(path);
        if (!f) {
            err << "dtqvp: error: " << path << ": cannot open the vector file\n";
            return 2;
        }
        try {
            doc = json::parse(f);
        } catch (const json::parse_error& e) {
            err << "dtqvp: error: " << path << ": not valid JSON: " << e.what() << '\n';
            return 2;
        }
    }
    if (!doc.is_object() || !doc.contains("kernels") || !doc["kernels"].is_object()) {
        err << "dtqvp: error: " << path << ": expected an object with a 'kernels' mapping\n";
        return 2;
    }
    if (doc.contains("bookkeeping") && doc["bookkeeping"] != "fp64" && doc["bookkeeping"] != "fp32") {
        err << "dtqvp: error: " << path << ": 'bookkeeping' must be \"fp64\" or \"fp32\"\n";
        return 2;
    }
    const book b = book_of(doc);
    static const std::map<std::string, case_fn> runners = {
        {"i_exp", run_exp},           {"i_softmax", run_softmax}, {"i_gelu", run_gelu},
        {"i_sqrt", run_sqrt},         {"i_layernorm", run_layernorm}, {"requantize", run_requant},
        {"symmetric_quantize", run_symq}};
    vector_summary total;
    for (const auto& [kernel, cases] : doc["kernels"].items()) {
        auto it = runners.find(kernel);
        if (it == runners.end()) {
            err << fmt::format("dtqvp: error: {}: unknown kernel '{}' (known: i_exp, i_softmax, i_gelu, i_sqrt, "
                               "i_layernorm, requantize, symmetric_quantize)\n", path, kernel);
            return 2;
        }
        if (!cases.is_array()) {
            err << fmt::format("dtqvp: error: {}: kernels.{} must be a list of cases\n", path, kernel);
            return 2;
        }
        int passed = 0, failed = 0;
        std::string first;
        for (size_t i = 0; i < cases.size(); ++i) {
            const json& c = cases[i];
            const std::string name = c.is_object() && c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>() : "?";
            const field_reader f{c, fmt::format("{}: {}[{}] '{}'", path, kernel, i, name)};
            std::string diff;
            try {
                if (!c.is_object()) throw malformed(f.where + ": a case must be an object");
                diff = it->second(f, b);
            } catch (const malformed& e) {
                err << "dtqvp: error: " << e.what() << '\n';
                return 2;
            } catch (const std::exception& e) {
                diff = std::string("the kernel rejected the input: ") + e.what();
            }
            if (diff.empty()) ++passed;
            else {
                ++failed;
                if (first.empty()) first = fmt::format("case {} '{}': {}", i, name, diff);
            }
        }
        out << fmt::format("{:<20} {:>4} passed {:>4} failed\n", kernel, passed, failed);
        if (!first.empty()) out << "  first mismatch: " << first << '\n';
        total.passed += passed;
        total.failed += failed;
    }
    out << fmt::format("{} passed, {} failed\n", total.passed, total.failed);
    if (summary) *summary = total;
    return total.failed ? 1 : 0;
}

}  // namespace dtq::ibert
