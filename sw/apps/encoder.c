/* A whole transformer through the command queue (docs/encoder.md#firmware). The loader
 * (the VP platform) put the weights, the layer-0 input, the per-layer integer constants
 * and dtq_model_args in DRAM. Per layer:
 *   Q/K/V = requant(x Wq/Wk/Wv)          3 GEMM + 3 x heads REQUANT (into the ATTENTION
 *                                         token slots, 4-bit tokens packed)
 *   a = ATTENTION(Q, K, V)                fused: Q x K^T, softmax, P x V, top-k engines
 *   x1 = LN(requant(a) Wo + x)            REQUANT per head, GEMM, RESADD, LAYERNORM, REQUANT
 *   y = LN(GELU(x1 W1) W2 + x1)           GEMM, REQUANT, GELU, REQUANT, GEMM, RESADD, LAYERNORM, REQUANT
 * Decoders (DTQ_MODEL_CAUSAL) run the prefill with the causal mask and keep K and V of
 * every layer in a KV cache, then generate decode_tokens tokens one by one: per layer and
 * head GEMM q x K_cache^T, SOFTMAX, GEMM p x V_cache (V token-major: B_ROW_MAJOR).
 * DTQ_MODEL_UNFUSED (8-bit models) replaces ATTENTION by the same three commands per head
 * (the survey's no-fusion assumption, Table 5); DTQ_MODEL_HOST_NONLINEAR also runs
 * softmax, LayerNorm and GELU on this core (the survey's Gemmini baseline, dtq_hostmath.h).
 * DTQ_MODEL_ALL4 runs every token 4-bit (attention and linear layers, weights stored 4-bit),
 * DTQ_MODEL_VSQ makes the 4-bit operands VS-Quant (docs/vsquant.md#in-the-platform).
 * DTQ_MODEL_WCOMP: the weights are NM24 images the decompressor expands (docs/compression.md).
 * Every command carries the tag (layer << 8) | op (enum dtq_model_op). */
#include "apps.h"
#include "dtq_driver.h"
#include "dtq_hal.h"
#include "dtq_hostmath.h"

#define MAX_SEQ 4096u
#define RING 256u

#define MAX_ROW 4096u /* widest row of a host non-linear op (d_ffn, seq) */

#define MAX_ROWS 16384u /* batch rows (a stream's batch buffers) */

static dtq_dev dev;
static dtq_model_args A;
static dtq_layer_params P;
static dtq_layer_extras E; /* all 0 unless DTQ_MODEL_EXTRAS */
static uint8_t prec[MAX_ROWS], keep[MAX_ROWS];

/* The sequences one layer runs on: one (no stream), or a batch of requests whose rows sit
 * at row offsets off[i] of the batch buffers (packed, or padded to the longest). */
typedef struct batch {
    uint32_t n, rows, tokens;
    uint32_t first; /* stream: index of the first request */
    uint32_t off[DTQ_MAX_REQUESTS], seq[DTQ_MAX_REQUESTS], k0[DTQ_MAX_REQUESTS], k1[DTQ_MAX_REQUESTS];
} batch;
static batch B;
static int32_t hin[MAX_ROW], hout[MAX_ROW], hbias[MAX_ROW]; /* host non-linear ops: one row */

/* Layer l's constants (and, DTQ_MODEL_EXTRAS, its biases and per-channel LayerNorm tables). */
static void read_params(uint32_t l) {
    dtq_rd_block(A.params + l * sizeof(dtq_layer_params), &P, sizeof P);
    if (A.flags & DTQ_MODEL_EXTRAS)
        dtq_rd_block(A.params + A.layers * sizeof(dtq_layer_params) + l * sizeof(dtq_layer_extras), &E, sizeof E);
}

/* Submits, draining the queue first when the ring is full. */
static int submit(dtq_cmd *c, uint32_t layer, uint32_t op) {
    int rc;
    c->tag = (layer << 8) | op;
    rc = dtq_submit(&dev, c);
    if (rc == DTQ_EBUSY) {
        rc = dtq_wait_idle(&dev);
        if (rc == DTQ_OK) rc = dtq_submit(&dev, c);
    }
    return rc;
}

static int vec(uint8_t opcode, uint32_t layer, uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols, int32_t p0,
               int32_t p1, uint32_t src_stride, uint32_t dst_stride, uint64_t aux, int32_t p2, int32_t p3) {
    dtq_cmd c;
    dtq_cmd_clear(&c, opcode);
    c.u.softmax.src = src;
    c.u.softmax.dst = dst;
    c.u.softmax.rows = rows;
    c.u.softmax.cols = cols;
    c.u.softmax.param0 = (uint32_t)p0;
    c.u.softmax.param1 = (uint32_t)p1;
    c.u.softmax.src_stride = src_stride;
    c.u.softmax.dst_stride = dst_stride;
    c.u.softmax.aux = aux;
    c.u.softmax.param2 = (uint32_t)p2;
    c.u.softmax.param3 = (uint32_t)p3;
    return submit(&c, layer, DTQ_OPTAG_OTHER);
}

/* A SOFTMAX, LAYERNORM or GELU of packed rows on the accelerator's units, or, with
 * DTQ_MODEL_HOST_NONLINEAR, on this core (the survey's Gemmini baseline): wait until the
 * accelerator is idle (its producer has written the input), then row by row read the
 * input from memory, compute (dtq_hostmath.h) and write the result back. */
static int nonlinear(uint8_t opcode, uint32_t layer, uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols, int32_t p0,
                     int32_t p1, uint64_t aux, int32_t p2, int32_t p3) {
    uint32_t r;
    int rc;
    if (!(A.flags & DTQ_MODEL_HOST_NONLINEAR)) return vec(opcode, layer, src, dst, rows, cols, p0, p1, 0, 0, aux, p2, p3);
    if (cols > MAX_ROW) return DTQ_EINVAL;
    rc = dtq_wait_idle(&dev);
    if (rc != DTQ_OK) return rc;
    if (opcode == DTQ_OP_LAYERNORM && aux) dtq_rd_block(aux, hbias, cols * 4);
    for (r = 0; r < rows; r++) {
        int hm;
        if (opcode == DTQ_OP_GELU) {
            dtq_rd_block(src + (uint64_t)r * cols, hin, cols);
            hm = dtq_host_gelu((const int8_t *)hin, hout, cols, p0, p1, p2, p3);
            dtq_wr_block(dst + (uint64_t)r * cols * 4, hout, cols * 4);
        } else if (opcode == DTQ_OP_LAYERNORM) {
            dtq_rd_block(src + (uint64_t)r * cols * 4, hin, cols * 4);
            hm = dtq_host_layernorm(hin, hout, cols, p0, aux ? hbias : 0);
            dtq_wr_block(dst + (uint64_t)r * cols * 4, hout, cols * 4);
        } else { /* SOFTMAX: a causal row reads only the scores it sees */
            const uint32_t seen = p2 && (uint32_t)p3 + r + 1 < cols ? (uint32_t)p3 + r + 1 : cols;
            dtq_rd_block(src + (uint64_t)r * cols * 4, hin, seen * 4);
            hm = dtq_host_softmax(hin, (int8_t *)hout, cols, seen, p0, p1);
            dtq_wr_block(dst + (uint64_t)r * cols, hout, cols);
        }
        if (hm != DTQ_HOSTMATH_OK) {
            dtq_printf("encoder: host %s, layer %u row %u: %s\n",
                       opcode == DTQ_OP_GELU ? "GELU" : opcode == DTQ_OP_LAYERNORM ? "LayerNorm" : "softmax", (unsigned)layer,
                       (unsigned)r, hm == DTQ_HOSTMATH_UNSUPPORTED ? "no host math library in this build" : "bad input");
            return DTQ_EINVAL;
        }
    }
    return DTQ_OK;
}

static int requant(uint32_t layer, uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols, dtq_rq q, uint32_t src_stride,
                   uint32_t dst_stride, uint64_t prec_list) {
    return vec(DTQ_OP_REQUANT, layer, src, dst, rows, cols, q.m, q.e, src_stride, dst_stride, prec_list, 0, 0);
}

static int gemm(uint32_t layer, uint32_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t prec_list, uint32_t m, uint32_t n,
                uint32_t k, uint32_t layout) {
    dtq_cmd cmd;
    dtq_cmd_gemm(&cmd, a, b, c, prec_list, m, n, k);
    cmd.u.gemm.layout = layout;
    return submit(&cmd, layer, op);
}

/* A GEMM against weights w (column-major N x K): int8, or, with DTQ_MODEL_ALL4, packed
 * 4-bit codes (per tensor, or VS-Quant with their scales behind them), or, with
 * DTQ_MODEL_WCOMP, an NM24 compressed image. */
static int wgemm(uint32_t layer, uint32_t op, uint64_t a, uint64_t w, uint64_t bias, uint64_t c, uint64_t prec_list, uint32_t m,
                 uint32_t n, uint32_t k) {
    dtq_cmd cmd;
    dtq_cmd_gemm(&cmd, a, w, c, prec_list, m, n, k);
    if (A.flags & DTQ_MODEL_ALL4) {
        cmd.u.gemm.layout = DTQ_GEMM_B_4BIT;
        if (A.flags & DTQ_MODEL_VSQ) {
            if (bias) return DTQ_EINVAL; /* b_scales holds the scales: no room for a bias */
            cmd.u.gemm.layout |= DTQ_GEMM_VSQ;
            cmd.u.gemm.b_scales = dtq_model_wscales(w, n, k);
        }
    }
    if (A.flags & DTQ_MODEL_WCOMP) cmd.u.gemm.layout |= DTQ_GEMM_WCOMP;
    if (bias) { /* N int32 biases, preloaded into the accumulator */
        cmd.u.gemm.layout |= DTQ_GEMM_BIAS;
        cmd.u.gemm.b_scales = bias;
    }
    return submit(&cmd, layer, op);
}

/* A LayerNorm output (int32) -> int8: one multiplier, or one per channel (ln_rq != 0). */
static int ln_requant(uint32_t layer, uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols, dtq_rq q, uint64_t ln_rq) {
    if (!ln_rq) return requant(layer, src, dst, rows, cols, q, 0, 0, 0);
    return vec(DTQ_OP_REQUANT, layer, src, dst, rows, cols, 0, 0, 0, 0, ln_rq, DTQ_REQUANT_PER_CHANNEL, 0);
}

#define TRY(x)                  \
    do {                        \
        int rc_ = (x);          \
        if (rc_ != DTQ_OK) return rc_; \
    } while (0)

/* The FFN's inner part, GELU(x1 W1 + b1) requantized to int8: A.x1 in, A.tmp out; with
 * DTQ_EXTRAS_RELU, ReLU(x1 W1 + b1) in one REQUANT (its RELU bit). */
static int ffn_inner(uint32_t l, uint32_t rows, uint64_t rowprec) {
    const uint32_t d = A.d_model, f = A.d_ffn;
    TRY(wgemm(l, DTQ_OPTAG_FFN_W1, A.x1, P.w1, E.b1, A.acc, rowprec, rows, f, d));
    if (E.flags & DTQ_EXTRAS_RELU) return vec(DTQ_OP_REQUANT, l, A.acc, A.tmp, rows, f, P.ffn1.m, P.ffn1.e, 0, 0, 0, DTQ_REQUANT_RELU, 0);
    TRY(requant(l, A.acc, A.tmp, rows, f, P.ffn1, 0, 0, 0));
    TRY(nonlinear(DTQ_OP_GELU, l, A.tmp, A.acc, rows, f, P.gelu_b, P.gelu_c, 0, P.gelu_shift, P.gelu_n));
    return requant(l, A.acc, A.tmp, rows, f, P.gelu, 0, 0, 0);
}

/* The feed-forward half of a layer and its two residual blocks, for `rows` tokens:
 * x (int8) the block input, the attention output already requantized in A.tmp. */
static int ffn_half(uint32_t l, uint64_t x, uint64_t out, uint32_t rows, uint64_t rowprec) {
    const uint32_t d = A.d_model, f = A.d_ffn;
    TRY(wgemm(l, DTQ_OPTAG_OUT_PROJ, A.tmp, P.wo, E.bo, A.acc, rowprec, rows, d, d));
    TRY(vec(DTQ_OP_RESADD, l, A.acc, A.acc, rows, d, P.res1.m, P.res1.e, 0, 0, x, P.res1_id.m, P.res1_id.e));
    TRY(nonlinear(DTQ_OP_LAYERNORM, l, A.acc, A.acc, rows, d, P.ln1_shift, 0, P.ln1_bias, 0, 0));
    TRY(ln_requant(l, A.acc, A.x1, rows, d, P.ln1, E.ln1_rq));
    TRY(ffn_inner(l, rows, rowprec));
    TRY(wgemm(l, DTQ_OPTAG_FFN_W2, A.tmp, P.w2, E.b2, A.acc, rowprec, rows, d, f));
    TRY(vec(DTQ_OP_RESADD, l, A.acc, A.acc, rows, d, P.res2.m, P.res2.e, 0, 0, A.x1, P.res2_id.m, P.res2_id.e));
    TRY(nonlinear(DTQ_OP_LAYERNORM, l, A.acc, A.acc, rows, d, P.ln2_shift, 0, P.ln2_bias, 0, 0));
    TRY(ln_requant(l, A.acc, out, rows, d, P.ln2, E.ln2_rq));
    return DTQ_OK;
}

/* Pre-LN (docs/workloads.md#pre-ln): the residual stream stays int32 in E.wide, which both
 * LayerNorms read; the int8 x (the layer input) is the attention's residual, the attention's
 * sum requantized into `out` the FFN's. The LayerNorm before the attention, into A.x1: */
static int pre_ln_input(uint32_t l, uint64_t x, uint32_t rows) {
    const uint32_t d = A.d_model;
    if (l == 0) /* the int8 input widened to int32 (x 256): RESADD with a zero multiplier for src */
        TRY(vec(DTQ_OP_RESADD, l, E.wide, E.wide, rows, d, 0, 0, 0, 0, x, 256, 0));
    TRY(nonlinear(DTQ_OP_LAYERNORM, l, E.wide, A.acc, rows, d, P.ln1_shift, 0, P.ln1_bias, 0, 0));
    return ln_requant(l, A.acc, A.x1, rows, d, P.ln1, E.ln1_rq);
}

/* The rest of a pre-LN layer after the attention output (requantized in A.tmp). */
static int ffn_half_pre(uint32_t l, uint64_t x, uint64_t out, uint32_t rows, uint64_t rowprec) {
    const uint32_t d = A.d_model, f = A.d_ffn;
    TRY(wgemm(l, DTQ_OPTAG_OUT_PROJ, A.tmp, P.wo, E.bo, A.acc, rowprec, rows, d, d));
    TRY(vec(DTQ_OP_RESADD, l, A.acc, E.wide, rows, d, P.res1.m, P.res1.e, 0, 0, x, P.res1_id.m, P.res1_id.e));
    TRY(requant(l, E.wide, out, rows, d, E.pre_h, 0, 0, 0));
    TRY(nonlinear(DTQ_OP_LAYERNORM, l, E.wide, A.acc, rows, d, P.ln2_shift, 0, P.ln2_bias, 0, 0));
    TRY(ln_requant(l, A.acc, A.x1, rows, d, P.ln2, E.ln2_rq));
    TRY(ffn_inner(l, rows, rowprec));
    TRY(wgemm(l, DTQ_OPTAG_FFN_W2, A.tmp, P.w2, E.b2, A.acc, rowprec, rows, d, f));
    TRY(vec(DTQ_OP_RESADD, l, A.acc, E.wide, rows, d, P.res2.m, P.res2.e, 0, 0, out, P.res2_id.m, P.res2_id.e));
    if (!(E.flags & DTQ_EXTRAS_FINAL_LN)) return requant(l, E.wide, out, rows, d, E.pre_y, 0, 0, 0);
    TRY(nonlinear(DTQ_OP_LAYERNORM, l, E.wide, A.acc, rows, d, 0, 0, E.lnf_bias, 0, 0));
    return ln_requant(l, A.acc, out, rows, d, E.lnf, E.lnf_rq);
}

static uint64_t cache_slot(uint64_t cache, uint32_t l, uint32_t h, uint32_t pos) {
    const uint64_t max_seq = (uint64_t)A.seq + A.decode_tokens;
    return cache + (((uint64_t)l * A.heads + h) * max_seq + pos) * A.head_dim;
}

/* One layer on the batch B (a single sequence is a batch of one): the linear layers run
 * once on all B.rows rows (each weight fetched once for the batch), the attention per
 * sequence, on its own tokens. */
static int prefill_layer(uint32_t l, uint64_t x, uint64_t out) {
    const uint32_t d = A.d_model, dh = A.head_dim, heads = A.heads, rows = B.rows;
    const int causal = (A.flags & DTQ_MODEL_CAUSAL) != 0;
    const uint64_t w[3] = {P.wq, P.wk, P.wv}, bias[3] = {E.bq, E.bk, E.bv}, slots[3] = {A.q, A.k, A.v};
    /* The ATTENTION's token precisions: DTQAtten's (rewritten by the top-k engines) or
     * every token 4-bit (DTQ_MODEL_ALL4, written once by the loader). */
    const uint64_t prec_list = (A.flags & (DTQ_MODEL_TOPK | DTQ_MODEL_ALL4)) ? A.prec : 0;
    /* GEMM rows: pruned tokens skip the GEMMs (keep list), except a decoder's projections:
     * its KV cache holds every token; with DTQ_MODEL_ALL4 every row is 4-bit. */
    const uint64_t rowprec = (A.flags & DTQ_MODEL_TOPK) ? A.keep : (A.flags & DTQ_MODEL_ALL4) ? A.prec : 0;
    /* Q/K/V token slots: 4-bit tokens packed, or, VS-Quant, int8 for every kept token (the
     * attention unit quantizes the 4-bit ones on load). */
    const uint64_t slot_prec = (A.flags & DTQ_MODEL_VSQ) ? ((A.flags & DTQ_MODEL_TOPK) ? A.keep : 0) : prec_list;
    const int pre = (E.flags & DTQ_EXTRAS_PRE_LN) != 0;
    const uint64_t qin = pre ? A.x1 : x; /* pre-LN: the projections read LN1(x) */
    uint32_t x_, h, r;
    dtq_cmd c;
    if (pre) {
        if (B.n != 1) return DTQ_EINVAL; /* one sequence (no request stream) */
        TRY(pre_ln_input(l, x, rows));
    }
    for (x_ = 0; x_ < 3; x_++) {
        TRY(wgemm(l, DTQ_OPTAG_QKV_PROJ, qin, w[x_], bias[x_], A.acc, causal ? 0 : rowprec, rows, d, d));
        for (r = 0; r < B.n; r++) { /* sequence r's slots: heads x seq x dh at row offset off */
            const uint32_t s = B.seq[r];
            const uint64_t o = B.off[r];
            for (h = 0; h < heads; h++) {
                TRY(requant(l, A.acc + (o * d + (uint64_t)h * dh) * 4, slots[x_] + o * d + (uint64_t)h * s * dh, s, dh, P.qkv,
                            d * 4, dh, slot_prec ? slot_prec + o : 0));
                if (causal && x_ > 0 && !A.requests)
                    TRY(requant(l, A.acc + (uint64_t)h * dh * 4, cache_slot(x_ == 1 ? A.kcache : A.vcache, l, h, 0), s, dh,
                                P.qkv, d * 4, dh, 0));
            }
        }
    }
    for (r = 0; r < B.n; r++) {
        const uint32_t s = B.seq[r];
        const uint64_t o = B.off[r], qo = o * d;
        if (A.flags & DTQ_MODEL_UNFUSED) { /* per head: Q x K^T (int32 scores to memory), softmax, P x V */
            for (h = 0; h < heads; h++) {
                const uint64_t hs = qo + (uint64_t)h * s * dh;
                TRY(gemm(l, DTQ_OPTAG_QK, A.q + hs, A.k + hs, A.scores, 0, s, s, dh, 0));
                TRY(nonlinear(DTQ_OP_SOFTMAX, l, A.scores, A.probs, s, s, (int32_t)(A.score_shift ? A.score_shift : 10),
                              (int32_t)dh, 0, causal, 0));
                TRY(gemm(l, DTQ_OPTAG_SV, A.probs, A.v + hs, A.attn_out + hs * 4, 0, s, dh, s, DTQ_GEMM_B_ROW_MAJOR));
            }
        } else {
            dtq_cmd_attention(&c, A.q + qo, A.k + qo, A.v + qo, A.attn_out + qo * 4, prec_list ? prec_list + o : 0, s,
                              (uint16_t)dh, (uint16_t)heads, (uint16_t)(prec_list ? B.k0[r] : 0),
                              (uint16_t)(prec_list ? B.k1[r] : 0), (uint16_t)A.score_shift);
            c.u.attention.mode = (uint16_t)((causal ? DTQ_ATTN_CAUSAL : 0u) | ((A.flags & DTQ_MODEL_VSQ) ? DTQ_ATTN_VSQ : 0u));
            TRY(submit(&c, l, DTQ_OPTAG_ATTENTION));
        }
    }
    for (r = 0; r < B.n; r++)
        for (h = 0; h < heads; h++) {
            const uint64_t o = B.off[r];
            TRY(requant(l, A.attn_out + (o * d + (uint64_t)h * B.seq[r] * dh) * 4, A.tmp + o * d + (uint64_t)h * dh, B.seq[r],
                        dh, P.attn, 0, d, 0));
        }
    return pre ? ffn_half_pre(l, x, out, rows, rowprec) : ffn_half(l, x, out, rows, rowprec);
}

static int decode_layer(uint32_t t, uint32_t l, uint64_t x, uint64_t out) {
    const uint32_t d = A.d_model, dh = A.head_dim, heads = A.heads, pos = A.seq + t;
    const uint64_t w[3] = {P.wq, P.wk, P.wv}, bias[3] = {E.bq, E.bk, E.bv};
    uint32_t x_, h;
    if (E.flags & DTQ_EXTRAS_PRE_LN) return DTQ_EINVAL; /* the prefill only */
    for (x_ = 0; x_ < 3; x_++) {
        TRY(wgemm(l, DTQ_OPTAG_QKV_PROJ, x, w[x_], bias[x_], A.acc, 0, 1, d, d));
        for (h = 0; h < heads; h++) {
            const uint64_t src = A.acc + (uint64_t)h * dh * 4;
            const uint64_t dst = x_ == 0 ? A.q + (uint64_t)h * dh : cache_slot(x_ == 1 ? A.kcache : A.vcache, l, h, pos);
            TRY(requant(l, src, dst, 1, dh, P.qkv, 0, 0, 0));
        }
    }
    for (h = 0; h < heads; h++) {
        TRY(gemm(l, DTQ_OPTAG_QK, A.q + (uint64_t)h * dh, cache_slot(A.kcache, l, h, 0), A.scores, 0, 1, pos + 1, dh, 0));
        TRY(nonlinear(DTQ_OP_SOFTMAX, l, A.scores, A.probs, 1, pos + 1, (int32_t)(A.score_shift ? A.score_shift : 10),
                      (int32_t)dh, 0, 0, 0));
        TRY(gemm(l, DTQ_OPTAG_SV, A.probs, cache_slot(A.vcache, l, h, 0), A.attn_out + (uint64_t)h * dh * 4, 0, 1, dh, pos + 1,
                 DTQ_GEMM_B_ROW_MAJOR));
    }
    TRY(requant(l, A.attn_out, A.tmp, 1, d, P.attn, 0, 0, 0));
    return ffn_half(l, x, out, 1, 0);
}

static void count(const uint8_t *p, uint32_t n, uint32_t c[3]) {
    uint32_t i;
    c[0] = c[1] = c[2] = 0;
    for (i = 0; i < n; i++) c[p[i] == 0 ? 0 : p[i] == 4 ? 1 : 2]++;
}

static int fail(const char *what, uint32_t l, int rc) {
    dtq_error_info e;
    dtq_get_error(&e);
    dtq_printf("encoder: %s %u: %s: %s at 0x%llx (command %u)\n", what, (unsigned)l, dtq_strerror(rc), dtq_err_name(e.code),
               (unsigned long long)e.addr, (unsigned)e.cmd_index);
    return 2;
}

/* ---- a stream of requests (docs/batching.md) ------------------------------------------ */

static dtq_request R[DTQ_MAX_REQUESTS];
static dtq_batch_rec BR[DTQ_MAX_REQUESTS];

static int dma_copy(uint32_t layer, uint64_t src, uint64_t dst, uint32_t bytes) {
    dtq_cmd c;
    dtq_cmd_dma(&c, src, dst, bytes);
    return submit(&c, layer, DTQ_OPTAG_OTHER);
}

/* Whether request i fits the dynamic batch that holds `tokens` tokens so far. */
static int fits(uint32_t tokens, uint32_t i) {
    const uint64_t t = (uint64_t)tokens + R[i].seq;
    return t <= A.token_budget && (!A.buffer_bytes || t * A.bytes_per_token <= A.buffer_bytes);
}

/* How many requests from `next` to launch now (0 = not yet; *wake = the cycle to look
 * again). Only requests that have arrived (arrival <= now) are considered; requests are
 * served in arrival order. */
static uint32_t form(uint32_t next, uint64_t now, uint64_t *wake) {
    uint32_t n = 0, tokens = 0;
    const uint32_t left = A.requests - next;
    const uint64_t deadline = A.max_wait ? R[next].arrival + A.max_wait : 0;
    int full;
    if (R[next].arrival > now) {
        *wake = R[next].arrival;
        return 0;
    }
    if (A.policy == DTQ_BATCH_SINGLE) return 1;
    if (A.policy == DTQ_BATCH_FIXED) {
        while (n < left && n < A.batch_size && R[next + n].arrival <= now) n++;
        full = n == A.batch_size || n == left; /* full, or the stream's last requests */
    } else {
        while (n < left && R[next + n].arrival <= now && fits(tokens, next + n)) tokens += R[next + n++].seq;
        full = n == left || (R[next + n].arrival <= now) || !A.max_wait; /* the next waiting one does not fit */
    }
    if (full || (deadline && now >= deadline)) return n;
    *wake = R[next + n].arrival; /* n < left here */
    if (deadline && deadline < *wake) *wake = deadline;
    return 0;
}

/* Runs requests first .. first + n - 1 as one batch through every layer. */
static int run_batch(uint32_t first, uint32_t n) {
    const uint32_t d = A.d_model;
    const int padded = A.policy == DTQ_BATCH_FIXED;
    const int lists = (A.flags & (DTQ_MODEL_TOPK | DTQ_MODEL_ALL4)) != 0;
    uint32_t i, l, longest = 0, row = 0;
    uint64_t x;
    for (i = 0; i < n; i++)
        if (R[first + i].seq > longest) longest = R[first + i].seq;
    B.n = n;
    B.first = first;
    B.tokens = 0;
    for (i = 0; i < n; i++) { /* row offsets: packed, or every request at a multiple of the longest */
        const dtq_request *q = &R[first + i];
        B.off[i] = row;
        B.seq[i] = q->seq;
        B.k0[i] = q->k0;
        B.k1[i] = q->k1;
        B.tokens += q->seq;
        row += padded ? longest : q->seq;
    }
    B.rows = row;
    if (B.rows > A.seq) return DTQ_EINVAL; /* the loader sized the buffers for the policy's largest batch */
    /* Gather: each request's input rows into the batch buffer (DMA), its layer-0
     * precisions into the batch's list; padding rows are computed as 8-bit (4-bit with
     * DTQ_MODEL_ALL4) rows and their results dropped. */
    for (i = 0; i < n; i++)
        TRY(dma_copy(0, R[first + i].x, A.x + (uint64_t)B.off[i] * d, R[first + i].seq * d));
    if (lists) {
        for (i = 0; i < B.rows; i++) prec[i] = (A.flags & DTQ_MODEL_ALL4) ? 4 : 8;
        for (i = 0; i < n; i++) dtq_rd_block(R[first + i].prec0, prec + B.off[i], R[first + i].seq);
        dtq_wr_block(A.prec, prec, B.rows);
    }
    for (l = 0; l < A.layers; l++) {
        read_params(l);
        if (A.flags & DTQ_MODEL_TOPK) { /* the kept rows of this layer (padding rows stay computed) */
            TRY(dtq_wait_idle(&dev));    /* the previous layer's top-k engines wrote the list */
            dtq_rd_block(A.prec, prec, B.rows);
            for (i = 0; i < B.rows; i++) keep[i] = prec[i] ? 8 : 0;
            dtq_wr_block(A.keep, keep, B.rows);
        }
        x = l == 0 ? A.x : A.outputs + (uint64_t)(l - 1) * A.seq * d;
        TRY(prefill_layer(l, x, A.outputs + (uint64_t)l * A.seq * d));
    }
    for (i = 0; i < n; i++) /* scatter: each request's rows of the last layer's output */
        TRY(dma_copy(A.layers - 1, A.outputs + ((uint64_t)(A.layers - 1) * A.seq + B.off[i]) * d, R[first + i].out,
                     R[first + i].seq * d));
    return dtq_wait_idle(&dev);
}

static int serve(void) {
    static const char *names[] = {"single", "fixed", "dynamic"};
    uint32_t next = 0, nb = 0, i, n;
    int rc;
    for (i = 0; i < A.requests; i++) dtq_rd_block(A.request_table + (uint64_t)i * sizeof R[0], &R[i], sizeof R[0]);
    dtq_printf("encoder: serving %u requests, policy %s\n", (unsigned)A.requests, A.policy <= 2 ? names[A.policy] : "?");
    while (next < A.requests) {
        const uint64_t now = dtq_now_cycles();
        uint64_t wake = now;
        n = form(next, now, &wake);
        if (n == 0) { /* nothing to launch yet: idle until the next arrival or the wait deadline */
            dtq_idle_until(wake);
            continue;
        }
        BR[nb].first = next;
        BR[nb].count = n;
        BR[nb].start = now;
        rc = run_batch(next, n);
        if (rc != DTQ_OK) return fail("batch", nb, rc);
        BR[nb].end = dtq_now_cycles();
        BR[nb].tokens = B.tokens;
        BR[nb].rows = B.rows;
        for (i = next; i < next + n; i++) {
            R[i].batch = nb;
            R[i].start = BR[nb].start;
            R[i].done = BR[nb].end;
        }
        next += n;
        nb++;
    }
    /* The records, once the stream is served (so that writing them costs no batch time). */
    for (i = 0; i < A.requests; i++) dtq_wr_block(A.request_table + (uint64_t)i * sizeof R[0], &R[i], sizeof R[0]);
    dtq_wr_block(A.batch_table, BR, nb * (uint32_t)sizeof BR[0]);
    for (i = 0; i < nb; i++)
        dtq_printf("encoder: batch %u: requests %u..%u, %u tokens, %u rows, cycles %llu..%llu\n", (unsigned)i,
                   (unsigned)BR[i].first, (unsigned)(BR[i].first + BR[i].count - 1), (unsigned)BR[i].tokens,
                   (unsigned)BR[i].rows, (unsigned long long)BR[i].start, (unsigned long long)BR[i].end);
    return 0;
}

int dtq_app_encoder(void) {
    uint32_t l, t, i, n[3];
    uint64_t t0, t1, x;
    int rc;

    dtq_rd_block(DTQ_APP_DATA_ADDR, &A, sizeof A);
    if (A.magic != DTQ_MODEL_ARGS_MAGIC || A.seq == 0 || A.seq + A.decode_tokens > (A.requests ? MAX_ROWS : MAX_SEQ) ||
        A.layers == 0 || A.requests > DTQ_MAX_REQUESTS || (A.requests && A.decode_tokens) ||
        A.heads == 0 || A.head_dim * A.heads != A.d_model ||
        ((A.flags & DTQ_MODEL_HOST_NONLINEAR) && (A.d_ffn > MAX_ROW || (!A.requests && A.seq + A.decode_tokens > MAX_ROW)))) {
        dtq_printf("encoder: no valid arguments at 0x%llx (magic 0x%x, seq %u)\n", (unsigned long long)DTQ_APP_DATA_ADDR,
                   (unsigned)A.magic, (unsigned)A.seq);
        return 1;
    }
    rc = dtq_init(&dev, DTQ_APP_RING_ADDR, RING, DTQ_WAIT_IRQ);
    if (rc != DTQ_OK) {
        dtq_printf("encoder: init failed: %s\n", dtq_strerror(rc));
        return 1;
    }
    dtq_printf("encoder: %u layers, seq %u, d_model %u, %u heads x %u, FFN %u%s%s%s\n", (unsigned)A.layers, (unsigned)A.seq,
               (unsigned)A.d_model, (unsigned)A.heads, (unsigned)A.head_dim, (unsigned)A.d_ffn,
               (A.flags & DTQ_MODEL_CAUSAL) ? ", causal" : "",
               (A.flags & DTQ_MODEL_TOPK) ? ", DTQAtten precisions" : (A.flags & DTQ_MODEL_ALL4) ? ", all 4-bit" : ", 8-bit",
               (A.flags & DTQ_MODEL_VSQ) ? ", VS-Quant" : "");
    if (A.requests) return serve();
    B.n = 1;
    B.rows = B.tokens = B.seq[0] = A.seq;
    B.off[0] = 0;
    t0 = dtq_now_cycles();
    for (l = 0; l < A.layers; l++) {
        read_params(l);
        B.k0[0] = P.k0;
        B.k1[0] = P.k1;
        if (A.flags & DTQ_MODEL_TOPK) {
            dtq_rd_block(A.prec, prec, A.seq);
            for (i = 0; i < A.seq; i++) keep[i] = prec[i] ? 8 : 0;
            dtq_wr_block(A.keep, keep, A.seq);
            dtq_wr_block(A.prec_log + (uint64_t)l * A.seq, prec, A.seq);
        }
        x = l == 0 ? A.x : A.outputs + (uint64_t)(l - 1) * A.seq * A.d_model;
        t1 = dtq_now_cycles();
        rc = prefill_layer(l, x, A.outputs + (uint64_t)l * A.seq * A.d_model);
        if (rc == DTQ_OK) rc = dtq_wait_idle(&dev);
        if (rc != DTQ_OK) return fail("layer", l, rc);
        if (A.flags & DTQ_MODEL_TOPK) {
            count(prec, A.seq, n);
            dtq_printf("encoder: layer %u: %llu cycles, tokens %u pruned / %u 4-bit / %u 8-bit\n", (unsigned)l,
                       (unsigned long long)(dtq_now_cycles() - t1), (unsigned)n[0], (unsigned)n[1], (unsigned)n[2]);
        } else {
            dtq_printf("encoder: layer %u: %llu cycles\n", (unsigned)l, (unsigned long long)(dtq_now_cycles() - t1));
        }
    }
    dtq_printf("encoder: prefill %llu cycles\n", (unsigned long long)(dtq_now_cycles() - t0));
    if (A.decode_tokens) { /* marks the start of the decode for the VP's statistics */
        dtq_cmd m;
        dtq_cmd_marker(&m, DTQ_MODEL_DECODE_MARKER);
        rc = submit(&m, 0, 0);
        if (rc != DTQ_OK) return fail("decode marker", 0, rc);
    }
    for (t = 0; t < A.decode_tokens; t++) {
        t1 = dtq_now_cycles();
        for (l = 0; l < A.layers; l++) {
            read_params(l);
            x = l == 0 ? A.dec_x + (uint64_t)t * A.d_model : A.dec_out + ((uint64_t)t * A.layers + l - 1) * A.d_model;
            rc = decode_layer(t, l, x, A.dec_out + ((uint64_t)t * A.layers + l) * A.d_model);
            if (rc != DTQ_OK) return fail("decode layer", l, rc);
        }
        rc = dtq_wait_idle(&dev);
        if (rc != DTQ_OK) return fail("decode token", t, rc);
        dtq_printf("encoder: decode token %u (position %u): %llu cycles\n", (unsigned)t, (unsigned)(A.seq + t),
                   (unsigned long long)(dtq_now_cycles() - t1));
    }
    return 0;
}
