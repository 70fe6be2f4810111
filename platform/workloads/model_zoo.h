// Transformer shapes of the survey's Table 1 (and GPT-2 Medium), by name.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dtq {

struct model_shape {
    std::string name;
    uint64_t layers, d_model, heads, d_ffn;
    bool decoder;  // causal mask; prefill then token-by-token decode
    uint64_t d_head() const { return d_model / heads; }
};

const std::vector<model_shape>& model_zoo();
std::optional<model_shape> find_model(const std::string& name);

}  // namespace dtq
