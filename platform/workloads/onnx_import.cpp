#include "platform/workloads/onnx_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <fstream>
#include <set>
#include <sstream>

#include "dtq_regs.h"

#ifdef DTQ_HAS_ONNX
#include <onnx/onnx_pb.h>
#endif

namespace dtq {

namespace {

const std::vector<std::string>& supported() {
    static const std::vector<std::string> ops = {
        "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Tanh", "Relu", "Gelu", "Softmax",
        "LayerNormalization", "ReduceMean", "Reshape", "Transpose", "Split", "Where", "Constant", "Identity", "Cast"};
    return ops;
}

}  // namespace

std::string onnx_supported_ops() {
    std::string s;
    for (const auto& o : supported()) s += (s.empty() ? "" : ", ") + o;
    return s;
}

#ifndef DTQ_HAS_ONNX

bool onnx_available() { return false; }
onnx_import_result import_onnx_bytes(const std::string&, const std::string& origin, uint64_t) {
    throw config_error({fmt::format("{}: this dtqvp was built without the ONNX reader (install libonnx-dev and libprotobuf-dev, "
                                    "scripts/install-deps.sh, and reconfigure)", origin)});
}
std::vector<onnx_gemm_data> onnx_float_reference(const std::string& path, uint64_t seq, std::vector<std::vector<float>>, uint64_t,
                                                 std::vector<onnx_softmax_data>*, std::map<std::string, onnx_value>*) {
    import_onnx_bytes("", path, seq);
    return {};
}
onnx_encoder_graph onnx_match_encoder(const std::string& path, uint64_t seq) {
    import_onnx_bytes("", path, seq);
    return {};
}
std::vector<std::vector<int64_t>> onnx_input_shapes(const std::string& path, uint64_t seq) {
    import_onnx_bytes("", path, seq);
    return {};
}

#else

bool onnx_available() { return true; }

namespace {

using shape = std::vector<int64_t>;

std::string show(const shape& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
    return r + "]";
}

uint64_t elements(const shape& s) {
    uint64_t n = 1;
    for (int64_t d : s) n *= static_cast<uint64_t>(d);
    return n;
}

struct importer {
    std::string origin;
    uint64_t seq;
    std::map<std::string, shape> shapes;
    std::map<std::string, std::vector<int64_t>> ints;  // constant int tensors (Reshape shapes, Split sizes, axes)
    std::set<std::string> weights;                     // float initializers
    onnx_import_result r;

    [[noreturn]] void fail(const onnx::NodeProto& n, size_t index, const std::string& what) const {
        throw config_error({fmt::format("{}: node '{}' (op {}, #{}): {}", origin, n.name().empty() ? "(unnamed)" : n.name(),
                                        n.op_type(), index, what)});
    }

    static shape tensor_shape(const onnx::TensorProto& t) { return shape(t.dims().begin(), t.dims().end()); }

    // A tensor's values as int64 (INT64 / INT32 initializers and Constants).
    static bool int_values(const onnx::TensorProto& t, std::vector<int64_t>& v) {
        const uint64_t n = elements(tensor_shape(t));
        if (t.data_type() == onnx::TensorProto::INT64) {
            if (!t.raw_data().empty()) {
                if (t.raw_data().size() != 8 * n) return false;
                v.resize(n);
                std::copy_n(t.raw_data().data(), 8 * n, reinterpret_cast<char*>(v.data()));
            } else {
                if (static_cast<uint64_t>(t.int64_data_size()) != n) return false;
                v.assign(t.int64_data().begin(), t.int64_data().end());
            }
            return true;
        }
        if (t.data_type() == onnx::TensorProto::INT32) {
            if (!t.raw_data().empty()) {
                if (t.raw_data().size() != 4 * n) return false;
                std::vector<int32_t> w(n);
                std::copy_n(t.raw_data().data(), 4 * n, reinterpret_cast<char*>(w.data()));
                v.assign(w.begin(), w.end());
            } else {
                if (static_cast<uint64_t>(t.int32_data_size()) != n) return false;
                v.assign(t.int32_data().begin(), t.int32_data().end());
            }
            return true;
        }
        return false;
    }

    // Checks an initializer's data against its dims (a truncated or inconsistent tensor is an error).
    void add_initializer(const onnx::TensorProto& t) {
        const shape s = tensor_shape(t);
        for (int64_t d : s)
            if (d < 0 || d > (int64_t{1} << 31))
                throw config_error({fmt::format("{}: initializer '{}': dimension {} out of range", origin, t.name(), d)});
        if (t.data_location() == onnx::TensorProto::EXTERNAL)
            throw config_error({fmt::format("{}: initializer '{}': external data is not supported (save the model with its weights "
                                            "inside: onnx.save(model, path, save_as_external_data=False), up to 2 GiB)", origin, t.name())});
        const uint64_t n = elements(s);
        uint64_t bytes = 0, have = 0;
        switch (t.data_type()) {
            case onnx::TensorProto::FLOAT:
                bytes = 4;
                have = t.raw_data().empty() ? static_cast<uint64_t>(t.float_data_size()) : t.raw_data().size() / 4;
                break;
            case onnx::TensorProto::FLOAT16:
                bytes = 2;
                have = t.raw_data().empty() ? static_cast<uint64_t>(t.int32_data_size()) : t.raw_data().size() / 2;
                break;
            case onnx::TensorProto::INT64:
            case onnx::TensorProto::INT32: {
                std::vector<int64_t> v;
                if (!int_values(t, v))
                    throw config_error({fmt::format("{}: initializer '{}': expected {} integer values for dims {}", origin, t.name(), n, show(s))});
                ints[t.name()] = v;
                shapes[t.name()] = s;
                ++r.initializers;
                return;
            }
            default:
                throw config_error({fmt::format("{}: initializer '{}': data type {} is not supported (float32, float16, int64, int32)",
                                                origin, t.name(), t.data_type())});
        }
        if (have != n || (!t.raw_data().empty() && t.raw_data().size() != bytes * n))
            throw config_error({fmt::format("{}: initializer '{}': expected {} values for dims {}, got {}", origin, t.name(), n, show(s), have)});
        shapes[t.name()] = s;
        weights.insert(t.name());
        r.parameters += n;
        ++r.initializers;
    }

    const shape& in(const onnx::NodeProto& n, size_t idx, int i) {
        if (i >= n.input_size() || n.input(i).empty()) fail(n, idx, fmt::format("expected input {} ", i));
        auto it = shapes.find(n.input(i));
        if (it == shapes.end())
            fail(n, idx, fmt::format("input '{}' is not an initializer, a graph input or an earlier node's output "
                                     "(a missing initializer, or nodes out of topological order)", n.input(i)));
        return it->second;
    }

    void out(const onnx::NodeProto& n, size_t idx, int i, const shape& s) {
        if (i >= n.output_size()) fail(n, idx, fmt::format("expected at least {} outputs", i + 1));
        for (int64_t d : s)
            if (d <= 0) fail(n, idx, fmt::format("output '{}' would have the shape {}", n.output(i), show(s)));
        shapes[n.output(i)] = s;
    }

    const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) const {
        for (const auto& a : n.attribute())
            if (a.name() == name) return &a;
        return nullptr;
    }

    shape broadcast(const onnx::NodeProto& n, size_t idx, const shape& a, const shape& b) {
        shape o(std::max(a.size(), b.size()));
        for (size_t i = 0; i < o.size(); ++i) {
            const int64_t x = i < o.size() - a.size() ? 1 : a[i - (o.size() - a.size())];
            const int64_t y = i < o.size() - b.size() ? 1 : b[i - (o.size() - b.size())];
            if (x != y && x != 1 && y != 1) fail(n, idx, fmt::format("shapes {} and {} do not broadcast", show(a), show(b)));
            o[i] = std::max(x, y);
        }
        return o;
    }

    int64_t axis_of(const onnx::NodeProto& n, size_t idx, int64_t axis, size_t rank) {
        if (axis < 0) axis += static_cast<int64_t>(rank);
        if (axis < 0 || axis >= static_cast<int64_t>(rank)) fail(n, idx, fmt::format("axis out of range for rank {}", rank));
        return axis;
    }

    std::string gemm_name(const onnx::NodeProto& n, size_t idx) const {
        return n.name().empty() ? fmt::format("{}_{}", n.op_type(), idx) : n.name();
    }

    void add_gemms(const onnx::NodeProto& n, size_t idx, uint64_t count, uint64_t m, uint64_t nn, uint64_t k, bool weight) {
        if (count > 65536 || r.gemms.size() + count > 1000000)
            fail(n, idx, fmt::format("{} GEMMs (batch x heads) is more than the import maps (65536 per node, 10^6 in all)", count));
        if (m > DTQ_MAX_DIM || nn > DTQ_MAX_DIM || k > DTQ_MAX_DIM)
            fail(n, idx, fmt::format("GEMM {} x {} x {} exceeds the GEMM command's largest dimension {}", m, nn, k, DTQ_MAX_DIM));
        for (uint64_t i = 0; i < count; ++i) {
            gemm_entry e;
            e.name = count == 1 ? gemm_name(n, idx) : fmt::format("{}[{}]", gemm_name(n, idx), i);
            e.m = m;
            e.n = nn;
            e.k = k;
            r.gemms.push_back(e);
        }
        (weight ? r.weight_gemms : r.activation_gemms) += count;
    }

    void node(const onnx::NodeProto& n, size_t idx) {
        const std::string& op = n.op_type();
        if (std::find(supported().begin(), supported().end(), op) == supported().end())
            fail(n, idx, fmt::format("unsupported op type; supported: {}", onnx_supported_ops()));
        if (!n.domain().empty() && n.domain() != "ai.onnx" && !(op == "Gelu" && n.domain() == "com.microsoft"))
            fail(n, idx, fmt::format("unsupported domain '{}'", n.domain()));
        ++r.ops[op];
        if (n.output_size() < 1) fail(n, idx, "expected an output");
        for (int i = 0; i < n.input_size(); ++i)  // every input (optional ones too, when named) must exist
            if (!n.input(i).empty()) in(n, idx, i);
        if (op == "Constant") {
            const auto* a = attr(n, "value");
            if (!a || !a->has_t()) fail(n, idx, "expected a tensor attribute 'value'");
            const onnx::TensorProto& t = a->t();
            for (int64_t d : t.dims())
                if (d < 0 || d > (int64_t{1} << 24)) fail(n, idx, fmt::format("value: dimension {} out of range", d));
            const uint64_t cnt = elements(tensor_shape(t));
            std::vector<int64_t> v;
            if (int_values(t, v)) ints[n.output(0)] = v;
            else if (t.data_type() == onnx::TensorProto::FLOAT
                         ? (t.raw_data().empty() ? static_cast<uint64_t>(t.float_data_size()) != cnt : t.raw_data().size() != 4 * cnt)
                         : t.data_type() == onnx::TensorProto::FLOAT16
                               ? (t.raw_data().empty() ? static_cast<uint64_t>(t.int32_data_size()) != cnt : t.raw_data().size() != 2 * cnt)
                               : true)
                fail(n, idx, fmt::format("value: expected {} float32 / float16 / int64 / int32 values for dims {}", cnt, show(tensor_shape(t))));
            shapes[n.output(0)] = tensor_shape(a->t());  // a scalar has rank 0
            return;
        }
        if (op == "Identity" || op == "Cast" || op == "Sqrt" || op == "Erf" || op == "Tanh" || op == "Relu" || op == "Gelu" ||
            op == "Softmax" || op == "LayerNormalization") {
            const shape s = in(n, idx, 0);
            if (op == "LayerNormalization") {
                in(n, idx, 1);
                const auto* a = attr(n, "axis");
                const int64_t ax = axis_of(n, idx, a ? a->i() : -1, s.size());
                const shape& g = in(n, idx, 1);
                if (elements(g) != elements(shape(s.begin() + ax, s.end())))
                    fail(n, idx, fmt::format("scale {} does not match the normalized dimensions of {}", show(g), show(s)));
            }
            if (op == "Softmax") axis_of(n, idx, attr(n, "axis") ? attr(n, "axis")->i() : -1, s.size());
            if (ints.count(n.input(0)) && (op == "Identity" || op == "Cast")) ints[n.output(0)] = ints[n.input(0)];
            out(n, idx, 0, s);
            return;
        }
        if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow") {
            out(n, idx, 0, broadcast(n, idx, in(n, idx, 0), in(n, idx, 1)));
            return;
        }
        if (op == "Where") {
            const shape s = broadcast(n, idx, broadcast(n, idx, in(n, idx, 0), in(n, idx, 1)), in(n, idx, 2));
            out(n, idx, 0, s);
            return;
        }
        if (op == "MatMul") {
            const shape a = in(n, idx, 0), b = in(n, idx, 1);
            if (a.size() < 2 || b.size() < 2) fail(n, idx, fmt::format("expected operands of rank >= 2, got {} x {}", show(a), show(b)));
            const int64_t m = a[a.size() - 2], k = a.back(), kb = b[b.size() - 2], nn = b.back();
            if (k != kb) fail(n, idx, fmt::format("inner dimensions differ: {} x {}", show(a), show(b)));
            const shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
            shape batch = broadcast(n, idx, ba, bb);
            shape o = batch;
            o.push_back(m);
            o.push_back(nn);
            out(n, idx, 0, o);
            const bool weight = weights.count(n.input(1)) && bb.empty();
            if (weight)  // x W: the batch and sequence dimensions fold into M
                add_gemms(n, idx, 1, elements(ba) * static_cast<uint64_t>(m), static_cast<uint64_t>(nn), static_cast<uint64_t>(k), true);
            else
                add_gemms(n, idx, elements(batch), static_cast<uint64_t>(m), static_cast<uint64_t>(nn), static_cast<uint64_t>(k), false);
            return;
        }
        if (op == "Gemm") {
            const shape a = in(n, idx, 0), b = in(n, idx, 1);
            if (a.size() != 2 || b.size() != 2) fail(n, idx, fmt::format("expected 2-D operands, got {} x {}", show(a), show(b)));
            const bool ta = attr(n, "transA") && attr(n, "transA")->i(), tb = attr(n, "transB") && attr(n, "transB")->i();
            const int64_t m = ta ? a[1] : a[0], k = ta ? a[0] : a[1], kb = tb ? b[1] : b[0], nn = tb ? b[0] : b[1];
            if (k != kb) fail(n, idx, fmt::format("inner dimensions differ: {}{} x {}{}", show(a), ta ? "^T" : "", show(b), tb ? "^T" : ""));
            if (n.input_size() > 2 && !n.input(2).empty()) broadcast(n, idx, {m, nn}, in(n, idx, 2));
            out(n, idx, 0, {m, nn});
            add_gemms(n, idx, 1, static_cast<uint64_t>(m), static_cast<uint64_t>(nn), static_cast<uint64_t>(k), weights.count(n.input(1)) > 0);
            return;
        }
        if (op == "Reshape") {
            const shape s = in(n, idx, 0);
            in(n, idx, 1);
            auto it = ints.find(n.input(1));
            if (it == ints.end())
                fail(n, idx, "the target shape is not a constant (export with static shapes, or fold the shape computation, e.g. onnxsim)");
            shape o = it->second;
            int64_t infer = -1;
            uint64_t known = 1;
            for (size_t i = 0; i < o.size(); ++i) {
                if (o[i] == 0) {
                    if (i >= s.size()) fail(n, idx, "0 in the target shape beyond the input's rank");
                    o[i] = s[i];
                }
                if (o[i] == -1) {
                    if (infer >= 0) fail(n, idx, "more than one -1 in the target shape");
                    infer = static_cast<int64_t>(i);
                } else if (o[i] <= 0) {
                    fail(n, idx, fmt::format("target shape {} has a bad dimension", show(it->second)));
                } else {
                    known *= static_cast<uint64_t>(o[i]);
                }
            }
            if (infer >= 0) {
                if (known == 0 || elements(s) % known) fail(n, idx, fmt::format("cannot reshape {} to {}", show(s), show(it->second)));
                o[static_cast<size_t>(infer)] = static_cast<int64_t>(elements(s) / known);
            }
            if (elements(o) != elements(s)) fail(n, idx, fmt::format("cannot reshape {} ({} elements) to {}", show(s), elements(s), show(o)));
            out(n, idx, 0, o);
            return;
        }
        if (op == "Transpose") {
            const shape s = in(n, idx, 0);
            std::vector<int64_t> perm;
            if (const auto* a = attr(n, "perm")) perm.assign(a->ints().begin(), a->ints().end());
            else
                for (size_t i = 0; i < s.size(); ++i) perm.push_back(static_cast<int64_t>(s.size() - 1 - i));
            if (perm.size() != s.size()) fail(n, idx, fmt::format("perm of {} axes for an input of rank {}", perm.size(), s.size()));
            std::vector<bool> used(s.size());
            shape o;
            for (int64_t p : perm) {
                if (p < 0 || p >= static_cast<int64_t>(s.size()) || used[static_cast<size_t>(p)]) fail(n, idx, "perm is not a permutation");
                used[static_cast<size_t>(p)] = true;
                o.push_back(s[static_cast<size_t>(p)]);
            }
            out(n, idx, 0, o);
            return;
        }
        if (op == "Split") {
            const shape s = in(n, idx, 0);
            const int64_t ax = axis_of(n, idx, attr(n, "axis") ? attr(n, "axis")->i() : 0, s.size());
            std::vector<int64_t> sizes;
            if (const auto* a = attr(n, "split")) sizes.assign(a->ints().begin(), a->ints().end());
            else if (n.input_size() > 1 && !n.input(1).empty()) {
                in(n, idx, 1);
                auto it = ints.find(n.input(1));
                if (it == ints.end()) fail(n, idx, "the split sizes are not a constant");
                sizes = it->second;
            } else {
                if (s[static_cast<size_t>(ax)] % n.output_size()) fail(n, idx, "the axis does not split evenly");
                sizes.assign(static_cast<size_t>(n.output_size()), s[static_cast<size_t>(ax)] / n.output_size());
            }
            int64_t sum = 0;
            for (int64_t v : sizes) sum += v;
            if (static_cast<int>(sizes.size()) != n.output_size() || sum != s[static_cast<size_t>(ax)])
                fail(n, idx, fmt::format("split sizes do not cover the axis of {}", show(s)));
            for (int i = 0; i < n.output_size(); ++i) {
                shape o = s;
                o[static_cast<size_t>(ax)] = sizes[static_cast<size_t>(i)];
                out(n, idx, i, o);
            }
            return;
        }
        if (op == "ReduceMean") {
            const shape s = in(n, idx, 0);
            std::vector<int64_t> axes;
            if (const auto* a = attr(n, "axes")) axes.assign(a->ints().begin(), a->ints().end());
            else if (n.input_size() > 1 && !n.input(1).empty()) {
                in(n, idx, 1);
                auto it = ints.find(n.input(1));
                if (it == ints.end()) fail(n, idx, "the axes are not a constant");
                axes = it->second;
            } else {
                for (size_t i = 0; i < s.size(); ++i) axes.push_back(static_cast<int64_t>(i));
            }
            const bool keep = !attr(n, "keepdims") || attr(n, "keepdims")->i();
            std::vector<bool> red(s.size());
            for (int64_t a : axes) red[static_cast<size_t>(axis_of(n, idx, a, s.size()))] = true;
            shape o;
            for (size_t i = 0; i < s.size(); ++i)
                if (!red[i]) o.push_back(s[i]);
                else if (keep) o.push_back(1);
            out(n, idx, 0, o);
            return;
        }
        fail(n, idx, "no shape rule");  // unreachable: every supported op is handled above
    }
};

}  // namespace

onnx_import_result import_onnx_bytes(const std::string& bytes, const std::string& origin, uint64_t seq) {
    onnx::ModelProto model;
    if (bytes.size() > (size_t{1} << 31) || !model.ParseFromString(bytes))
        throw config_error({fmt::format("{}: not a readable ONNX model (the protobuf does not parse: truncated or corrupt)", origin)});
    if (!model.has_graph() || model.graph().node_size() == 0)
        throw config_error({fmt::format("{}: the ONNX model has no graph nodes", origin)});
    importer im{origin, seq, {}, {}, {}, {}};
    const onnx::GraphProto& g = model.graph();
    for (const auto& t : g.initializer()) im.add_initializer(t);
    for (const auto& v : g.input()) {
        if (im.shapes.count(v.name())) continue;  // an initializer listed as an input (older exporters)
        if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape())
            throw config_error({fmt::format("{}: graph input '{}': expected a tensor with a shape", origin, v.name())});
        shape s;
        for (const auto& d : v.type().tensor_type().shape().dim()) {
            if (d.has_dim_value() && d.dim_value() > 0) s.push_back(d.dim_value());
            else if (d.has_dim_param() && d.dim_param().rfind("batch", 0) == 0) s.push_back(1);
            else s.push_back(static_cast<int64_t>(seq));
        }
        im.shapes[v.name()] = s;
    }
    im.r.nodes = static_cast<uint64_t>(g.node_size());
    for (int i = 0; i < g.node_size(); ++i) im.node(g.node(i), static_cast<size_t>(i));
    for (const auto& o : g.output())
        if (!im.shapes.count(o.name()))
            throw config_error({fmt::format("{}: graph output '{}' is produced by no node", origin, o.name())});
    if (im.r.gemms.empty()) throw config_error({fmt::format("{}: the graph has no MatMul or Gemm node: nothing to run on the VSSA", origin)});
    return im.r;
}

namespace {

struct tensor {
    shape dims;
    std::vector<float> v;
};

std::vector<int64_t> strides_of(const shape& s) {
    std::vector<int64_t> st(s.size(), 1);
    for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
    return st;
}

// Strides of `s` seen through the broadcast shape `o` (0 where s broadcasts).
std::vector<int64_t> bstrides(const shape& s, const shape& o) {
    const std::vector<int64_t> st = strides_of(s);
    std::vector<int64_t> r(o.size(), 0);
    for (size_t i = 0; i < s.size(); ++i) {
        const size_t j = o.size() - s.size() + i;
        r[j] = s[i] == 1 ? 0 : st[i];
    }
    return r;
}

shape bshape(const shape& a, const shape& b) {
    shape o(std::max(a.size(), b.size()));
    for (size_t i = 0; i < o.size(); ++i) {
        const int64_t x = i < o.size() - a.size() ? 1 : a[i - (o.size() - a.size())];
        const int64_t y = i < o.size() - b.size() ? 1 : b[i - (o.size() - b.size())];
        o[i] = std::max(x, y);
    }
    return o;
}

// Calls f(offsets...) for every index of `o`, with each operand's offset.
template <class F>
void for_each_index(const shape& o, const std::vector<std::vector<int64_t>>& st, F f) {
    const uint64_t n = elements(o);
    std::vector<int64_t> idx(o.size(), 0), off(st.size(), 0);
    for (uint64_t e = 0; e < n; ++e) {
        f(off);
        for (size_t d = o.size(); d-- > 0;) {
            ++idx[d];
            for (size_t k = 0; k < st.size(); ++k) off[k] += st[k][d];
            if (idx[d] < o[d]) break;
            for (size_t k = 0; k < st.size(); ++k) off[k] -= st[k][d] * o[d];
            idx[d] = 0;
        }
    }
}

tensor from_proto(const onnx::TensorProto& t) {
    tensor r;
    r.dims.assign(t.dims().begin(), t.dims().end());
    const uint64_t n = elements(r.dims);
    r.v.resize(n);
    const std::string& raw = t.raw_data();
    switch (t.data_type()) {
        case onnx::TensorProto::FLOAT:
            if (!raw.empty()) std::copy_n(raw.data(), 4 * n, reinterpret_cast<char*>(r.v.data()));
            else std::copy(t.float_data().begin(), t.float_data().end(), r.v.begin());
            break;
        case onnx::TensorProto::FLOAT16:
            for (uint64_t i = 0; i < n; ++i) {
                const uint16_t h = raw.empty() ? static_cast<uint16_t>(t.int32_data(static_cast<int>(i)))
                                               : static_cast<uint16_t>(static_cast<uint8_t>(raw[2 * i]) | static_cast<uint8_t>(raw[2 * i + 1]) << 8);
                const int e = (h >> 10) & 31, m = h & 1023;
                const float mag = e == 0 ? std::ldexp(static_cast<float>(m), -24)
                                         : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(static_cast<float>(m + 1024), e - 25);
                r.v[i] = (h & 0x8000) ? -mag : mag;
            }
            break;
        default: {  // int64 / int32 (shapes, sizes): exact as float up to 2^24
            std::vector<int64_t> iv;
            importer::int_values(t, iv);
            for (uint64_t i = 0; i < n && i < iv.size(); ++i) r.v[i] = static_cast<float>(iv[i]);
        }
    }
    return r;
}

const onnx::AttributeProto* attr_of(const onnx::NodeProto& n, const std::string& name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

int64_t norm_axis(int64_t a, size_t rank) { return a < 0 ? a + static_cast<int64_t>(rank) : a; }

onnx::ModelProto load_model(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    onnx::ModelProto m;
    if (!m.ParseFromString(ss.str())) throw config_error({fmt::format("{}: not a readable ONNX model", path)});
    return m;
}

std::vector<std::pair<std::string, shape>> input_shapes(const onnx::GraphProto& g, uint64_t seq) {
    std::set<std::string> inits;
    for (const auto& t : g.initializer()) inits.insert(t.name());
    std::vector<std::pair<std::string, shape>> r;
    for (const auto& v : g.input()) {
        if (inits.count(v.name())) continue;
        shape s;
        for (const auto& d : v.type().tensor_type().shape().dim()) {
            if (d.has_dim_value() && d.dim_value() > 0) s.push_back(d.dim_value());
            else if (d.has_dim_param() && d.dim_param().rfind("batch", 0) == 0) s.push_back(1);
            else s.push_back(static_cast<int64_t>(seq));
        }
        r.emplace_back(v.name(), s);
    }
    return r;
}

}  // namespace

std::vector<std::vector<int64_t>> onnx_input_shapes(const std::string& path, uint64_t seq) {
    std::vector<std::vector<int64_t>> r;
    for (auto& [name, s] : input_shapes(load_model(path).graph(), seq)) r.push_back(s);
    return r;
}

std::vector<onnx_gemm_data> onnx_float_reference(const std::string& path, uint64_t seq, std::vector<std::vector<float>> inputs,
                                                 uint64_t seed, std::vector<onnx_softmax_data>* softmax,
                                                 std::map<std::string, onnx_value>* values) {
    const onnx::ModelProto model = load_model(path);
    const onnx::GraphProto& g = model.graph();
    std::map<std::string, tensor> val;
    std::set<std::string> weights;
    for (const auto& t : g.initializer()) {
        val[t.name()] = from_proto(t);
        weights.insert(t.name());
    }
    const auto ins = input_shapes(g, seq);
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (size_t i = 0; i < ins.size(); ++i) {
        tensor t{ins[i].second, {}};
        if (i < inputs.size()) {
            if (inputs[i].size() != elements(t.dims))
                throw config_error({fmt::format("{}: graph input '{}': expected {} values ({}), got {}", path, ins[i].first,
                                                elements(t.dims), show(t.dims), inputs[i].size())});
            t.v = std::move(inputs[i]);
        } else {
            t.v.resize(elements(t.dims));
            for (float& x : t.v) x = nd(rng);
        }
        val[ins[i].first] = std::move(t);
    }
    std::vector<onnx_gemm_data> gemms;
    uint64_t softmaxes = 0;
    for (const auto& n : g.node()) {
        const std::string& op = n.op_type();
        const auto X = [&](int i) -> const tensor& {
            auto it = i < n.input_size() ? val.find(n.input(i)) : val.end();
            if (it == val.end())
                throw config_error({fmt::format("{}: node '{}' (op {}): input {} has no value", path, n.name(), n.op_type(), i)});
            return it->second;
        };
        tensor o;
        if (op == "Constant") {
            val[n.output(0)] = from_proto(attr_of(n, "value")->t());
            continue;
        }
        if (op == "Identity" || op == "Cast" || op == "Sqrt" || op == "Erf" || op == "Tanh" || op == "Relu" || op == "Gelu") {
            o = X(0);
            const bool tanh_gelu = op == "Gelu" && attr_of(n, "approximate") && attr_of(n, "approximate")->s() == "tanh";
            for (float& x : o.v) {
                if (op == "Sqrt") x = std::sqrt(x);
                else if (op == "Erf") x = std::erf(x);
                else if (op == "Tanh") x = std::tanh(x);
                else if (op == "Relu") x = std::max(x, 0.0f);
                else if (op == "Gelu")
                    x = tanh_gelu ? 0.5f * x * (1.0f + std::tanh(0.7978845608f * (x + 0.044715f * x * x * x)))
                                  : 0.5f * x * (1.0f + std::erf(x * 0.70710678f));
            }
        } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow") {
            const tensor &a = X(0), &b = X(1);
            o.dims = bshape(a.dims, b.dims);
            o.v.resize(elements(o.dims));
            size_t e = 0;
            const char c = op == "Add" ? '+' : op == "Sub" ? '-' : op == "Mul" ? '*' : op == "Div" ? '/' : '^';
            for_each_index(o.dims, {bstrides(a.dims, o.dims), bstrides(b.dims, o.dims)}, [&](const std::vector<int64_t>& off) {
                const float x = a.v[static_cast<size_t>(off[0])], y = b.v[static_cast<size_t>(off[1])];
                o.v[e++] = c == '+' ? x + y : c == '-' ? x - y : c == '*' ? x * y : c == '/' ? x / y : std::pow(x, y);
            });
        } else if (op == "Where") {
            const tensor &cnd = X(0), &a = X(1), &b = X(2);
            o.dims = bshape(bshape(cnd.dims, a.dims), b.dims);
            o.v.resize(elements(o.dims));
            size_t e = 0;
            for_each_index(o.dims, {bstrides(cnd.dims, o.dims), bstrides(a.dims, o.dims), bstrides(b.dims, o.dims)},
                           [&](const std::vector<int64_t>& off) {
                               o.v[e++] = cnd.v[static_cast<size_t>(off[0])] != 0.0f ? a.v[static_cast<size_t>(off[1])]
                                                                                     : b.v[static_cast<size_t>(off[2])];
                           });
        } else if (op == "Softmax") {
            o = X(0);
            const int64_t ax = norm_axis(attr_of(n, "axis") ? attr_of(n, "axis")->i() : -1, o.dims.size());
            const uint64_t len = static_cast<uint64_t>(o.dims[static_cast<size_t>(ax)]);
            const uint64_t inner = elements(shape(o.dims.begin() + ax + 1, o.dims.end()));
            const uint64_t outer = elements(o.dims) / (len * inner);
            for (uint64_t p = 0; p < outer; ++p)
                for (uint64_t q = 0; q < inner; ++q) {
                    float* b0 = &o.v[p * len * inner + q];
                    float mx = -INFINITY, sum = 0;
                    for (uint64_t i = 0; i < len; ++i) mx = std::max(mx, b0[i * inner]);
                    for (uint64_t i = 0; i < len; ++i) sum += (b0[i * inner] = std::exp(b0[i * inner] - mx));
                    for (uint64_t i = 0; i < len; ++i) b0[i * inner] /= sum;
                }
            ++softmaxes;
            if (softmax) {  // along the last axis: heads x rows x cols (another axis: no attention map, p empty)
                onnx_softmax_data sd;
                sd.node = n.name();
                if (inner == 1 && o.dims.size() >= 2) {
                    sd.cols = len;
                    sd.rows = static_cast<uint64_t>(o.dims[o.dims.size() - 2]);
                    sd.heads = elements(o.dims) / (sd.rows * sd.cols);
                    sd.p = o.v;
                }
                softmax->push_back(std::move(sd));
            }
        } else if (op == "LayerNormalization") {
            o = X(0);
            const int64_t ax = norm_axis(attr_of(n, "axis") ? attr_of(n, "axis")->i() : -1, o.dims.size());
            const float eps = attr_of(n, "epsilon") ? attr_of(n, "epsilon")->f() : 1e-5f;
            const uint64_t len = elements(shape(o.dims.begin() + ax, o.dims.end()));
            const tensor& gamma = X(1);
            const tensor* beta = n.input_size() > 2 && !n.input(2).empty() ? &X(2) : nullptr;
            for (uint64_t r0 = 0; r0 < elements(o.dims) / len; ++r0) {
                float* x = &o.v[r0 * len];
                double mean = 0, var = 0;
                for (uint64_t i = 0; i < len; ++i) mean += x[i];
                mean /= static_cast<double>(len);
                for (uint64_t i = 0; i < len; ++i) var += (x[i] - mean) * (x[i] - mean);
                var /= static_cast<double>(len);
                const double inv = 1.0 / std::sqrt(var + eps);
                for (uint64_t i = 0; i < len; ++i)
                    x[i] = static_cast<float>((x[i] - mean) * inv) * gamma.v[i] + (beta ? beta->v[i] : 0.0f);
            }
        } else if (op == "ReduceMean") {
            const tensor& a = X(0);
            std::vector<int64_t> axes;
            if (const auto* at = attr_of(n, "axes")) axes.assign(at->ints().begin(), at->ints().end());
            else if (n.input_size() > 1 && !n.input(1).empty())
                for (float f : X(1).v) axes.push_back(static_cast<int64_t>(f));
            else
                for (size_t i = 0; i < a.dims.size(); ++i) axes.push_back(static_cast<int64_t>(i));
            const bool keep = !attr_of(n, "keepdims") || attr_of(n, "keepdims")->i();
            shape kd = a.dims;
            for (int64_t x : axes) kd[static_cast<size_t>(norm_axis(x, a.dims.size()))] = 1;
            std::vector<double> acc(elements(kd), 0.0);
            const std::vector<int64_t> st = bstrides(kd, a.dims);
            size_t e = 0;
            for_each_index(a.dims, {st}, [&](const std::vector<int64_t>& off) { acc[static_cast<size_t>(off[0])] += a.v[e++]; });
            const double cnt = static_cast<double>(elements(a.dims)) / static_cast<double>(elements(kd));
            o.v.resize(acc.size());
            for (size_t i = 0; i < acc.size(); ++i) o.v[i] = static_cast<float>(acc[i] / cnt);
            if (keep) o.dims = kd;
            else
                for (size_t i = 0; i < kd.size(); ++i)
                    if (std::find_if(axes.begin(), axes.end(), [&](int64_t x) { return norm_axis(x, a.dims.size()) == static_cast<int64_t>(i); }) == axes.end())
                        o.dims.push_back(kd[i]);
        } else if (op == "Reshape") {
            o = X(0);
            shape t;
            for (float f : X(1).v) t.push_back(static_cast<int64_t>(f));
            int64_t infer = -1;
            uint64_t known = 1;
            for (size_t i = 0; i < t.size(); ++i) {
                if (t[i] == 0) t[i] = o.dims[i];
                if (t[i] == -1) infer = static_cast<int64_t>(i);
                else known *= static_cast<uint64_t>(t[i]);
            }
            if (infer >= 0) t[static_cast<size_t>(infer)] = static_cast<int64_t>(elements(o.dims) / known);
            o.dims = t;
        } else if (op == "Transpose") {
            const tensor& a = X(0);
            std::vector<int64_t> perm;
            if (const auto* at = attr_of(n, "perm")) perm.assign(at->ints().begin(), at->ints().end());
            else
                for (size_t i = 0; i < a.dims.size(); ++i) perm.push_back(static_cast<int64_t>(a.dims.size() - 1 - i));
            const std::vector<int64_t> ist = strides_of(a.dims);
            std::vector<int64_t> st;
            for (int64_t p : perm) {
                o.dims.push_back(a.dims[static_cast<size_t>(p)]);
                st.push_back(ist[static_cast<size_t>(p)]);
            }
            o.v.resize(a.v.size());
            size_t e = 0;
            for_each_index(o.dims, {st}, [&](const std::vector<int64_t>& off) { o.v[e++] = a.v[static_cast<size_t>(off[0])]; });
        } else if (op == "Split") {
            const tensor& a = X(0);
            const int64_t ax = norm_axis(attr_of(n, "axis") ? attr_of(n, "axis")->i() : 0, a.dims.size());
            std::vector<int64_t> sizes;
            if (const auto* at = attr_of(n, "split")) sizes.assign(at->ints().begin(), at->ints().end());
            else if (n.input_size() > 1 && !n.input(1).empty())
                for (float f : X(1).v) sizes.push_back(static_cast<int64_t>(f));
            else
                sizes.assign(static_cast<size_t>(n.output_size()), a.dims[static_cast<size_t>(ax)] / n.output_size());
            const uint64_t inner = elements(shape(a.dims.begin() + ax + 1, a.dims.end()));
            const uint64_t len = static_cast<uint64_t>(a.dims[static_cast<size_t>(ax)]), outer = elements(a.dims) / (len * inner);
            uint64_t start = 0;
            for (int i = 0; i < n.output_size(); ++i) {
                tensor t;
                t.dims = a.dims;
                const uint64_t sz = static_cast<uint64_t>(sizes[static_cast<size_t>(i)]);
                t.dims[static_cast<size_t>(ax)] = static_cast<int64_t>(sz);
                for (uint64_t p = 0; p < outer; ++p)
                    t.v.insert(t.v.end(), a.v.begin() + static_cast<std::ptrdiff_t>((p * len + start) * inner),
                               a.v.begin() + static_cast<std::ptrdiff_t>((p * len + start + sz) * inner));
                start += sz;
                val[n.output(i)] = std::move(t);
            }
            continue;
        } else if (op == "MatMul" || op == "Gemm") {
            tensor a = X(0), b = X(1);
            float alpha = 1, beta = 1;
            if (op == "Gemm") {  // 2-D: transpose as asked
                const auto tr = [](tensor& t) {
                    tensor r;
                    r.dims = {t.dims[1], t.dims[0]};
                    r.v.resize(t.v.size());
                    for (int64_t i = 0; i < t.dims[0]; ++i)
                        for (int64_t j = 0; j < t.dims[1]; ++j) r.v[static_cast<size_t>(j * t.dims[0] + i)] = t.v[static_cast<size_t>(i * t.dims[1] + j)];
                    t = std::move(r);
                };
                if (attr_of(n, "transA") && attr_of(n, "transA")->i()) tr(a);
                if (attr_of(n, "transB") && attr_of(n, "transB")->i()) tr(b);
                if (attr_of(n, "alpha")) alpha = attr_of(n, "alpha")->f();
                if (attr_of(n, "beta")) beta = attr_of(n, "beta")->f();
            }
            const int64_t m = a.dims[a.dims.size() - 2], k = a.dims.back(), nn = b.dims.back();
            const shape ba(a.dims.begin(), a.dims.end() - 2), bb(b.dims.begin(), b.dims.end() - 2);
            const shape batch = bshape(ba, bb);
            o.dims = batch;
            o.dims.push_back(m);
            o.dims.push_back(nn);
            o.v.assign(elements(o.dims), 0.0f);
            const uint64_t nb = elements(batch);
            std::vector<int64_t> aoff, boff;
            for_each_index(batch, {bstrides(ba, batch), bstrides(bb, batch)}, [&](const std::vector<int64_t>& off) {
                aoff.push_back(off[0]);
                boff.push_back(off[1]);
            });
            if (batch.empty()) {
                aoff = {0};
                boff = {0};
            }
            for (uint64_t p = 0; p < nb; ++p) {
                const float* A = &a.v[static_cast<size_t>(aoff[p] * m * k)];
                const float* B = &b.v[static_cast<size_t>(boff[p] * k * nn)];
                float* C = &o.v[p * static_cast<uint64_t>(m * nn)];
                for (int64_t i = 0; i < m; ++i)
                    for (int64_t kk = 0; kk < k; ++kk) {
                        const float x = alpha * A[i * k + kk];
                        for (int64_t j = 0; j < nn; ++j) C[i * nn + j] += x * B[kk * nn + j];
                    }
            }
            const bool weight = weights.count(n.input(1)) && (op == "Gemm" || bb.empty());
            if (weight) {
                gemms.push_back({a.v, b.v, o.v, true, softmaxes});
            } else {
                for (uint64_t p = 0; p < nb; ++p) {
                    onnx_gemm_data d;
                    d.softmax_before = softmaxes;
                    d.a.assign(a.v.begin() + aoff[p] * m * k, a.v.begin() + (aoff[p] + 1) * m * k);
                    d.b.assign(b.v.begin() + boff[p] * k * nn, b.v.begin() + (boff[p] + 1) * k * nn);
                    d.c.assign(o.v.begin() + static_cast<std::ptrdiff_t>(p * m * nn), o.v.begin() + static_cast<std::ptrdiff_t>((p + 1) * m * nn));
                    gemms.push_back(std::move(d));
                }
            }
            if (op == "Gemm" && n.input_size() > 2 && !n.input(2).empty()) {  // + beta C (after the capture)
                const tensor& c = X(2);
                size_t e = 0;
                for_each_index(o.dims, {bstrides(c.dims, o.dims)}, [&](const std::vector<int64_t>& off) {
                    o.v[e++] += beta * c.v[static_cast<size_t>(off[0])];
                });
            }
        }
        val[n.output(0)] = std::move(o);
    }
    if (values)
        for (auto& [name, t] : val) (*values)[name] = onnx_value{t.dims, std::move(t.v)};
    return gemms;
}

// ---- the integer pipeline: the graph as the encoder recipe's layers ---------------------

namespace {
onnx_encoder_graph match_encoder(const std::string& path, uint64_t seq) {
    import_onnx(path, seq);  // every node checked, every shape inferred (config_error otherwise)
    const onnx::ModelProto model = load_model(path);
    const onnx::GraphProto& g = model.graph();
    std::map<std::string, onnx_value> val;
    onnx_float_reference(path, seq, {}, 1, nullptr, &val);  // the shapes and the initializers' values
    std::set<std::string> inits;
    for (const auto& t : g.initializer()) inits.insert(t.name());
    for (const auto& n : g.node())  // constants, and Cast / Identity of constants (float16 weights cast to float32)
        if (n.op_type() == "Constant" || ((n.op_type() == "Cast" || n.op_type() == "Identity") && inits.count(n.input(0))))
            inits.insert(n.output(0));
    std::map<std::string, int> producer;
    std::map<std::string, std::vector<int>> consumers;
    for (int i = 0; i < g.node_size(); ++i) {
        for (const auto& o : g.node(i).output()) producer[o] = i;
        for (const auto& in : g.node(i).input()) consumers[in].push_back(i);
    }
    const auto where = [&](int i) {
        const auto& n = g.node(i);
        return fmt::format("{}: node '{}' (op {}, #{})", path, n.name(), n.op_type(), i);
    };
    const auto fail = [&](int i, const std::string& what) -> void {
        throw config_error({fmt::format("{}: {} (workload.onnx.pipeline integer runs the encoder recipe of docs/encoder.md, "
                                        "docs/workloads.md#integer-pipeline; workload.onnx.pipeline gemm runs any supported graph)",
                                        where(i), what)});
    };
    const auto dims = [&](const std::string& t) -> const std::vector<int64_t>& { return val.at(t).dims; };
    const auto is_init = [&](const std::string& t) { return inits.count(t) > 0; };
    const auto last_dim = [&](const std::string& t) -> int64_t { return dims(t).empty() ? 0 : dims(t).back(); };
    // The one consumer of t (-1: none or several).
    const auto only_consumer = [&](const std::string& t) {
        const auto it = consumers.find(t);
        return it != consumers.end() && it->second.size() == 1 ? it->second[0] : -1;
    };
    // t through Reshape / Identity / Cast nodes (its only consumer each).
    const auto skip_views = [&](std::string t) {
        for (int c; (c = only_consumer(t)) >= 0;) {
            const std::string& op = g.node(c).op_type();
            if (op != "Reshape" && op != "Identity" && op != "Cast") break;
            t = g.node(c).output(0);
        }
        return t;
    };
    const auto scalar_of = [&](const std::string& t, double& v) {
        if (!is_init(t) || val.at(t).v.size() != 1) return false;
        v = val.at(t).v[0];
        return true;
    };

    std::vector<int> gemms;
    for (int i = 0; i < g.node_size(); ++i)
        if (g.node(i).op_type() == "MatMul" || g.node(i).op_type() == "Gemm") gemms.push_back(i);
    // A weight GEMM's B as K x N (Gemm: transB applied; transA, alpha != 1 rejected).
    const auto weight_of = [&](int i, uint64_t K, uint64_t N) {
        const auto& n = g.node(i);
        if (!is_init(n.input(1))) fail(i, "expected a weight (an initializer as the second operand)");
        const onnx_value& w = val.at(n.input(1));
        bool tb = false;
        for (const auto& a : n.attribute()) {
            if (a.name() == "transB") tb = a.i() != 0;
            if (a.name() == "transA" && a.i() != 0) fail(i, "transA: expected 0");
            if (a.name() == "alpha" && a.f() != 1.0f) fail(i, fmt::format("alpha: expected 1, got {}", a.f()));
        }
        const int64_t rows = tb ? static_cast<int64_t>(N) : static_cast<int64_t>(K), cols = tb ? static_cast<int64_t>(K) : static_cast<int64_t>(N);
        if (w.dims != std::vector<int64_t>{rows, cols})
            fail(i, fmt::format("weight '{}': expected {} x {}, got {}", n.input(1), rows, cols, show(w.dims)));
        std::vector<float> r(K * N);
        for (uint64_t k = 0; k < K; ++k)
            for (uint64_t j = 0; j < N; ++j) r[k * N + j] = tb ? w.v[j * K + k] : w.v[k * N + j];
        for (float v : r)
            if (!std::isfinite(v)) fail(i, fmt::format("weight '{}': a value is not finite ({})", n.input(1), v));
        return r;
    };
    // The output of weight GEMM i (N outputs) after its bias, and that bias (empty: none):
    // Gemm's beta x C (a vector of N), plus an Add of a 1-D initializer of N that follows.
    const auto biased_output = [&](int i, uint64_t N, std::vector<float>& bias) {
        const auto& n = g.node(i);
        bias.clear();
        if (n.op_type() == "Gemm" && n.input_size() > 2 && !n.input(2).empty()) {
            const onnx_value& c = val.at(n.input(2));
            if (c.v.size() != N)
                fail(i, fmt::format("bias '{}': expected {} values (one per output channel), got {}", n.input(2), N, show(c.dims)));
            float beta = 1.0f;
            for (const auto& a : n.attribute())
                if (a.name() == "beta") beta = a.f();
            for (float v : c.v) bias.push_back(beta * v);
        }
        std::string t = skip_views(n.output(0));
        const int c = only_consumer(t);
        if (c >= 0 && g.node(c).op_type() == "Add") {
            const auto& a = g.node(c);
            const std::string other = a.input(0) == t ? a.input(1) : a.input(0);
            if (is_init(other) && elements(dims(other)) == N && static_cast<uint64_t>(last_dim(t)) == N &&
                static_cast<uint64_t>(last_dim(other)) == N) {
                const std::vector<float>& v = val.at(other).v;
                if (bias.empty()) bias.assign(N, 0.0f);
                for (uint64_t j = 0; j < N; ++j) bias[j] += v[j];
                t = skip_views(a.output(0));
            }
        }
        bool zero = true;
        for (float v : bias) {
            if (!std::isfinite(v)) fail(i, fmt::format("bias: a value is not finite ({})", v));
            zero &= v == 0.0f;
        }
        if (zero) bias.clear();  // a zero bias costs nothing
        return t;
    };
    // The LayerNorm that reads the residual sum `res`: LayerNormalization, or the decomposed
    // form ReduceMean, Sub, Pow, ReduceMean, Add eps, Sqrt, Div [, Mul gamma] [, Add beta].
    const auto layernorm = [&](const std::string& res, int res_node, std::vector<float>& gamma, std::vector<float>& beta, uint64_t d) {
        std::vector<float> gv(d, 1.0f);
        beta.assign(d, 0.0f);
        std::string out;
        int node = -1, gnode = -1;
        for (int c : consumers[res]) {
            const auto& n = g.node(c);
            if (n.op_type() == "LayerNormalization") {
                node = gnode = c;
                for (const auto& a : n.attribute())
                    if (a.name() == "axis" && a.i() != -1 && a.i() != static_cast<int64_t>(dims(res).size()) - 1)
                        fail(c, "axis: expected the last axis");
                gv = val.at(n.input(1)).v;
                if (n.input_size() > 2 && !n.input(2).empty()) beta = val.at(n.input(2)).v;
                out = n.output(0);
            } else if (n.op_type() == "Sub" && n.input(0) == res) {
                node = c;
                std::string t;
                for (int s : consumers[n.output(0)])
                    if (g.node(s).op_type() == "Div" && g.node(s).input(0) == n.output(0)) t = g.node(s).output(0), node = s;
                if (t.empty()) fail(c, "expected the decomposed LayerNorm's Div (x - mean) / sqrt(var + eps) to read it");
                int m = only_consumer(t);
                if (m >= 0 && g.node(m).op_type() == "Mul") {
                    const auto& mn = g.node(m);
                    const std::string w = mn.input(0) == t ? mn.input(1) : mn.input(0);
                    if (!is_init(w)) fail(m, "expected the LayerNorm's gamma (an initializer)");
                    gv = val.at(w).v;
                    node = gnode = m;
                    t = mn.output(0);
                    m = only_consumer(t);
                }
                if (m >= 0 && g.node(m).op_type() == "Add") {
                    const auto& an = g.node(m);
                    const std::string b = an.input(0) == t ? an.input(1) : an.input(0);
                    if (is_init(b) && elements(dims(b)) == d) {
                        beta = val.at(b).v;
                        node = m;
                        t = an.output(0);
                    }
                }
                out = t;
            }
        }
        if (out.empty()) fail(res_node, "expected a LayerNormalization (or its decomposed form) to read this residual sum");
        if (gv.size() == 1) gv.assign(d, gv[0]);
        if (gv.size() != d || beta.size() != d) fail(node, fmt::format("expected gamma and beta of {} values", d));
        for (uint64_t c = 0; c < d; ++c)
            if (!(std::isfinite(gv[c]) && gv[c] != 0.0f && std::isfinite(beta[c])))
                fail(gnode >= 0 ? gnode : node,
                     fmt::format("channel {}: gamma {} and beta {}: I-BERT's integer LayerNorm adds beta / gamma before the "
                                 "per-channel output scale gamma, so gamma must be finite and nonzero", c, gv[c], beta[c]));
        gamma = gv;
        return out;
    };
    // The residual Add that reads `t` and the stream `x`.
    const auto residual = [&](const std::string& t, const std::string& x, int from) {
        const int c = only_consumer(t);
        if (c < 0 || g.node(c).op_type() != "Add" || !((g.node(c).input(0) == t && g.node(c).input(1) == x) ||
                                                        (g.node(c).input(1) == t && g.node(c).input(0) == x)))
            fail(from, fmt::format("expected a residual Add of its output and '{}'", x));
        if (dims(g.node(c).output(0)) != dims(x)) fail(c, "expected the residual sum to keep the stream's shape");
        return std::make_pair(g.node(c).output(0), c);
    };

    onnx_encoder_graph r;
    r.seq = seq;
    const auto ins = input_shapes(g, seq);
    if (ins.empty()) throw config_error({fmt::format("{}: the graph has no input", path)});
    std::string x = ins[0].first;
    const std::vector<int64_t>& xd = dims(x);
    if (xd.size() < 2 || xd.back() <= 0 || elements(xd) / static_cast<uint64_t>(xd.back()) != seq)
        throw config_error({fmt::format("{}: graph input '{}': expected [1, seq, d_model] (batch 1), got {}", path, x, show(xd))});
    const uint64_t d = static_cast<uint64_t>(xd.back());
    r.d_model = d;
    r.padding.assign(seq, false);
    bool mask_seen = false;
    size_t i = 0;
    while (i < gemms.size()) {
        onnx_encoder_layer L;
        L.x = x;
        const int l = static_cast<int>(r.layers.size());
        // Pre-LN (decided by layer 0: its first projection reads a LayerNorm of x, not x): LN1
        const auto& g0 = g.node(gemms[i]);
        if (l == 0) r.pre_ln = g0.input(0) != x;
        std::string qin = x;
        if (r.pre_ln) {
            qin = L.xn1 = layernorm(x, gemms[i], L.ln1_gamma, L.ln1_beta, d);
            if (g0.input(0) != qin) fail(gemms[i], fmt::format("layer {}: expected the Q projection of the LayerNorm '{}' of '{}' (pre-LN)", l, qin, x));
        }
        // Q, K, V
        if (g0.input(0) != qin) fail(gemms[i], fmt::format("layer {}: expected the Q projection of '{}'", l, x));
        const bool fused = static_cast<uint64_t>(last_dim(g0.output(0))) == 3 * d;
        std::vector<float> b0;
        const std::string o0 = biased_output(gemms[i], fused ? 3 * d : d, b0);
        if (fused) {  // fused QKV + Split
            const std::vector<float> w = weight_of(gemms[i], d, 3 * d);
            const int s = only_consumer(o0);
            if (s < 0 || g.node(s).op_type() != "Split" || g.node(s).output_size() != 3)
                fail(gemms[i], "expected a Split into Q, K, V to read the fused projection");
            for (int p = 0; p < 3; ++p) {
                if (static_cast<uint64_t>(last_dim(g.node(s).output(p))) != d) fail(s, fmt::format("expected three parts of {}", d));
                std::vector<float>& dst = p == 0 ? L.wq : p == 1 ? L.wk : L.wv;
                dst.resize(d * d);
                for (uint64_t k = 0; k < d; ++k)
                    for (uint64_t j = 0; j < d; ++j) dst[k * d + j] = w[k * 3 * d + static_cast<uint64_t>(p) * d + j];
                if (!b0.empty()) (p == 0 ? L.bq : p == 1 ? L.bk : L.bv).assign(b0.begin() + p * d, b0.begin() + (p + 1) * d);
            }
            L.q = g.node(s).output(0), L.k = g.node(s).output(1), L.v = g.node(s).output(2);
            i += 1;
        } else {
            if (i + 3 > gemms.size()) fail(gemms[i], "expected the Q, K and V projections");
            std::string* names[3] = {&L.q, &L.k, &L.v};
            std::vector<float>* ws[3] = {&L.wq, &L.wk, &L.wv};
            std::vector<float>* bs[3] = {&L.bq, &L.bk, &L.bv};
            for (int p = 0; p < 3; ++p) {
                if (g.node(gemms[i + p]).input(0) != qin) fail(gemms[i + p], fmt::format("layer {}: expected a projection of '{}'", l, qin));
                *ws[p] = weight_of(gemms[i + p], d, d);
                *names[p] = biased_output(gemms[i + p], d, *bs[p]);
            }
            i += 3;
        }
        // Q K^T, scale, mask, Softmax, P V
        if (i + 2 > gemms.size() || is_init(g.node(gemms[i]).input(1)) || is_init(g.node(gemms[i + 1]).input(1)))
            fail(gemms[std::min(i, gemms.size() - 1)], fmt::format("layer {}: expected Q x K^T and P x V (two MatMuls of activations)", l));
        const int qk = gemms[i], pv = gemms[i + 1];
        i += 2;
        const std::vector<int64_t>& sd = dims(g.node(qk).output(0));
        if (sd.size() < 3 || static_cast<uint64_t>(sd.back()) != seq || static_cast<uint64_t>(sd[sd.size() - 2]) != seq)
            fail(qk, fmt::format("expected scores of [.., heads, {}, {}], got {}", seq, seq, show(sd)));
        const uint64_t heads = elements(sd) / (seq * seq);
        if (r.heads && heads != r.heads) fail(qk, fmt::format("expected {} heads (as layer 0), got {}", r.heads, heads));
        if (heads == 0 || d % heads) fail(qk, fmt::format("expected heads dividing d_model {}, got {}", d, heads));
        r.heads = heads;
        const double dh = static_cast<double>(d / heads);
        std::string t = g.node(qk).output(0);
        int c = only_consumer(t);
        double sc = 0;
        if (c >= 0 && g.node(c).op_type() == "Div" && scalar_of(g.node(c).input(1), sc) && std::fabs(sc - std::sqrt(dh)) <= 1e-4 * std::sqrt(dh))
            t = g.node(c).output(0);
        else if (c >= 0 && g.node(c).op_type() == "Mul" && (scalar_of(g.node(c).input(1), sc) || scalar_of(g.node(c).input(0), sc)) &&
                 std::fabs(sc * std::sqrt(dh) - 1.0) <= 1e-4)
            t = g.node(c).output(0);
        else
            fail(c >= 0 ? c : qk, fmt::format("expected the scores divided by sqrt(head_dim) = {} (Div) or multiplied by its inverse "
                                              "(Mul): the softmax unit applies that scale", std::sqrt(dh)));
        c = only_consumer(t);
        if (c >= 0 && g.node(c).op_type() == "Add") {
            const auto& an = g.node(c);
            const std::string m = an.input(0) == t ? an.input(1) : an.input(0);
            if (!is_init(m)) fail(c, "expected the attention mask to be an initializer (a constant padding or causal mask)");
            const onnx_value& mv = val.at(m);
            const uint64_t cols = static_cast<uint64_t>(mv.dims.empty() ? 1 : mv.dims.back());
            const uint64_t rows = mv.dims.size() >= 2 ? static_cast<uint64_t>(mv.dims[mv.dims.size() - 2]) : 1;
            if (cols != seq || (rows != 1 && rows != seq) || elements(mv.dims) != rows * cols)
                fail(c, fmt::format("mask '{}': expected [.., 1, {}] (padding) or [.., {}, {}] (causal), got {}", m, seq, seq, seq, show(mv.dims)));
            const auto masked = [](float v) { return v <= -1000.0f; };
            bool causal = rows == seq, pad_any = false;
            std::vector<bool> pad(seq, false);
            for (uint64_t a = 0; a < rows; ++a)
                for (uint64_t b = 0; b < cols; ++b) {
                    const float v = mv.v[a * cols + b];
                    if (v != 0.0f && !masked(v))
                        fail(c, fmt::format("mask '{}': expected 0 (attend) or <= -1000 (masked), got {}", m, v));
                    if (rows == 1) pad_any |= (pad[b] = masked(v));
                    else if (masked(v) != (b > a)) causal = false;
                }
            if (rows == seq && !causal) fail(c, fmt::format("mask '{}': a [{}, {}] mask must be causal (masked exactly above the diagonal)", m, seq, seq));
            if (mask_seen && (causal != r.causal || pad != r.padding)) fail(c, "expected the same mask in every layer");
            r.causal = causal;
            if (pad_any) r.padding = pad;
            mask_seen = true;
            t = an.output(0);
        } else if (mask_seen) {
            fail(c >= 0 ? c : qk, "expected the same mask in every layer");
        }
        c = only_consumer(t);
        if (c < 0 || g.node(c).op_type() != "Softmax") fail(c >= 0 ? c : qk, "expected the Softmax of the scores");
        for (const auto& a : g.node(c).attribute())
            if (a.name() == "axis" && a.i() != -1 && a.i() != static_cast<int64_t>(sd.size()) - 1) fail(c, "axis: expected the last axis");
        if (g.node(pv).input(0) != g.node(c).output(0)) fail(pv, "expected P x V to read the Softmax's output");
        // output projection, residual, LayerNorm 1
        if (i >= gemms.size()) fail(pv, "expected the output projection");
        const int wo = gemms[i++];
        L.ctx = g.node(wo).input(0);
        L.wo = weight_of(wo, d, d);
        auto [res1, r1] = residual(biased_output(wo, d, L.bo), x, wo);
        L.res1 = res1;
        L.x1 = r.pre_ln ? layernorm(res1, r1, L.ln2_gamma, L.ln2_beta, d) : layernorm(res1, r1, L.ln1_gamma, L.ln1_beta, d);
        // FFN
        if (i + 2 > gemms.size()) fail(r1, "expected the two FFN layers");
        const int f1 = gemms[i], f2 = gemms[i + 1];
        i += 2;
        if (g.node(f1).input(0) != L.x1) fail(f1, fmt::format("expected FFN1 to read the LayerNorm output '{}'", L.x1));
        const uint64_t f = static_cast<uint64_t>(last_dim(g.node(f1).output(0)));
        if (r.d_ffn && f != r.d_ffn) fail(f1, fmt::format("expected d_ffn {} (as layer 0), got {}", r.d_ffn, f));
        r.d_ffn = f;
        L.w1 = weight_of(f1, d, f);
        L.h = biased_output(f1, f, L.b1);
        L.g = g.node(f2).input(0);
        L.w2 = weight_of(f2, f, d);
        {  // GELU between h and g: a Gelu node, or the erf / tanh form; or one Relu node
            bool gelu = false, relu = false, reached = false;
            std::vector<std::string> stack{L.g};
            std::set<std::string> seen;
            while (!stack.empty()) {
                const std::string u = stack.back();
                stack.pop_back();
                if (u == L.h) {
                    reached = true;
                    continue;
                }
                if (!seen.insert(u).second || !producer.count(u)) continue;
                const auto& n = g.node(producer[u]);
                if (n.op_type() == "Gelu" || n.op_type() == "Erf" || n.op_type() == "Tanh") gelu = true;
                if (n.op_type() == "Relu") relu = true;
                if (n.op_type() == "MatMul" || n.op_type() == "Gemm" || n.op_type() == "Softmax") continue;
                for (const auto& in : n.input()) stack.push_back(in);
            }
            if (!reached) fail(f2, fmt::format("expected FFN2 to read GELU(FFN1) or ReLU(FFN1) of '{}'", L.h));
            if (relu) {  // exactly Relu(h): the REQUANT's RELU bit computes nothing else
                const auto it = producer.find(L.g);
                if (gelu || it == producer.end() || g.node(it->second).op_type() != "Relu" || g.node(it->second).input(0) != L.h)
                    fail(f2, fmt::format("expected FFN2 to read Relu('{}') directly (a ReLU FFN: docs/workloads.md#relu)", L.h));
                L.relu = true;
            } else if (!gelu) {
                fail(f2, "expected a GELU (the Gelu op, or its erf or tanh form) or a Relu between FFN1 and FFN2");
            }
        }
        auto [res2, r2] = residual(biased_output(f2, d, L.b2), r.pre_ln ? L.res1 : L.x1, f2);
        L.res2 = res2;
        L.y = r.pre_ln ? res2 : layernorm(res2, r2, L.ln2_gamma, L.ln2_beta, d);
        x = L.y;
        r.layers.push_back(std::move(L));
    }
    if (r.layers.empty()) throw config_error({fmt::format("{}: no transformer layer (no MatMul / Gemm) in the graph", path)});
    if (r.pre_ln) {  // a final LayerNorm (GPT-2's ln_f) after the last residual sum, if any
        bool ln = false;
        for (int c : consumers[x]) {
            const std::string& op = g.node(c).op_type();
            ln |= op == "LayerNormalization" || op == "ReduceMean" || (op == "Sub" && g.node(c).input(0) == x);
        }
        if (ln) {
            r.final_ln = true;
            r.yf = x = layernorm(x, producer.count(x) ? producer[x] : 0, r.lnf_gamma, r.lnf_beta, d);
        }
    }
    bool out = false;
    for (const auto& o : g.output()) out |= o.name() == x;
    const auto used = consumers.find(x);  // (operator[] above may have added x with no consumer)
    if (!out || (used != consumers.end() && !used->second.empty()))
        throw config_error({fmt::format("{}: the graph continues after layer {}'s output '{}' (expected it to be the graph output: "
                                        "a stack of post-LN or pre-LN layers, the latter with an optional final LayerNorm; "
                                        "workload.onnx.pipeline gemm runs any supported graph)",
                                        path, r.layers.size() - 1, x)});
    return r;
}

}  // namespace

onnx_encoder_graph onnx_match_encoder(const std::string& path, uint64_t seq) {
    try {
        return match_encoder(path, seq);
    } catch (const std::out_of_range& e) {  // a tensor the float reference gave no value (a graph of another structure)
        throw config_error({fmt::format("{}: not a stack of the encoder recipe's layers (a tensor without a value: {}); "
                                        "workload.onnx.pipeline gemm runs any supported graph", path, e.what())});
    }
}

#endif

onnx_import_result import_onnx(const std::string& path, uint64_t seq) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw config_error({fmt::format("{}: cannot open the ONNX model (workload.onnx.model; path relative to the working directory)", path)});
    std::stringstream ss;
    ss << f.rdbuf();
    return import_onnx_bytes(ss.str(), path, seq);
}

}  // namespace dtq
