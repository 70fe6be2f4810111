// The VSSA's functional values (pure functions, no SystemC): what the VSSA block computes
// from the operands it reads through its `mem` socket (vssa_block.h). The attention path's
// Q x K^T scores and P x V rows, and a GEMM command's C, in the 8-bit domain the array's
// shift-accumulate produces (docs/attention.md, docs/vsquant.md#in-the-platform). The cycles
// are not here: they come from run_gemm (engine.h) on the job's gemm_op.
#pragma once
#include <cstdint>
#include <vector>

#include "vsquant/vsquant.h"

namespace dtq::vssa {

// One token of a head as it lies in a line buffer: its position in the sequence and the
// precision it was fetched at (8: head_dim values; 4: head_dim / 2 bytes of two codes).
struct token_slot {
    uint32_t id = 0;
    uint8_t bits = 8;
};

// Packs one token's int8 values into its DRAM slot as the ATTENTION command reads it:
// 8-bit: the values; 4-bit: quantize_4bit_code of each value, two per byte (element 2i in
// the low nibble), head_dim / 2 bytes. Returns the bytes written.
uint64_t pack_token(const int8_t* values, uint64_t head_dim, uint8_t bits, uint8_t* slot);
// The inverse for the line buffer: codes (4-bit, sign-extended) or values (8-bit).
void unpack_token(const uint8_t* slot, uint64_t head_dim, uint8_t bits, int8_t* values);
// Bytes a head's tensor takes in its line buffer (the tokens back to back).
uint64_t head_bytes(const std::vector<token_slot>& order, uint64_t head_dim);
// A head's tensor from its line-buffer image (`order`: fetch order) into seq x head_dim
// original positions; pruned tokens' rows are 0.
std::vector<int8_t> unpack_head(const uint8_t* image, const std::vector<token_slot>& order, uint64_t seq, uint64_t head_dim);

// VS-Quant tokens (ATTENTION mode.VSQ, docs/vsquant.md#in-the-platform): the scores of one
// head (kept x kept, 8-bit domain) from the kept tokens' int8 vectors (seq x dh, original
// positions), and P x V (kept x dh int32) from the probabilities and V^T (dh x kept).
std::vector<int64_t> vsq_scores(const std::vector<int8_t>& qm, const std::vector<int8_t>& km, const std::vector<uint32_t>& kept,
                                const std::vector<uint8_t>& kept_bits, uint64_t dh, const vsquant::config& vc);
std::vector<int32_t> vsq_pv(const std::vector<int8_t>& p, const std::vector<int8_t>& vt, const std::vector<uint8_t>& kept_bits,
                            uint64_t dh, const vsquant::config& vc);

// Q x K^T of a head in the 8-bit domain (kept x kept) from the engine's C (seq x seq,
// original positions, 4-bit tokens as codes): a 4-bit side counts x16.
std::vector<int64_t> scores_8bit(const std::vector<int32_t>& c, uint64_t seq, const std::vector<uint32_t>& kept,
                                 const std::vector<uint8_t>& kept_bits);

// P x V of a head: probabilities (kept x kept) times V (vm: seq x dh, original positions,
// 4-bit tokens as codes). Plain: each 4-bit V code scaled x16 (the 4-bit cluster's partial
// sum shifted left by 4 before the 8-bit cluster adds to it); VS-Quant: vsq_pv. Returns the
// rows seq x dh in original positions (pruned rows 0).
std::vector<int32_t> attention_pv(const std::vector<int8_t>& probs, const std::vector<int8_t>& vm, uint64_t seq, uint64_t dh,
                                  const std::vector<uint32_t>& kept, const std::vector<uint8_t>& kept_bits, bool vsq,
                                  const vsquant::config& vc, unsigned threads);

// A GEMM command's C (M x N int32, 8-bit domain). `am` (M x K, overwritten: pruned rows
// zeroed, 4-bit rows turned into their codes or VS-Quant vectors) and `bt` (N x K: int8
// values, or 4-bit codes when b4) are the operands as the command's layout gives them;
// `bits` the rows' precisions. VS-Quant (vsq): `sb` B's per-vector scales (N x vectors, b4
// only) and `fb` B's per-column gamma ratios.
std::vector<int32_t> command_gemm(std::vector<int8_t>& am, const std::vector<int8_t>& bt, const std::vector<uint8_t>& bits,
                                  uint64_t M, uint64_t N, uint64_t K, bool b4, bool vsq, const vsquant::config& vc,
                                  const std::vector<uint16_t>& sb, const std::vector<vsquant::ratio>& fb, unsigned threads);

}  // namespace dtq::vssa
