#include "platform/workloads/model_zoo.h"

namespace dtq {

const std::vector<model_shape>& model_zoo() {
    static const std::vector<model_shape> zoo = {
        {"bert-base", 12, 768, 12, 3072, false},    // survey Table 1
        {"bert-large", 24, 1024, 16, 4096, false},  // survey Table 1
        {"gpt2", 12, 768, 12, 3072, true},          // survey Table 1: same dims as BERT-Base
        {"gpt2-medium", 24, 1024, 16, 4096, true},  // GPT-2 paper, medium
    };
    return zoo;
}

std::optional<model_shape> find_model(const std::string& name) {
    for (const auto& m : model_zoo())
        if (m.name == name) return m;
    return std::nullopt;
}

}  // namespace dtq
