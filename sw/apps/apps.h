/* Firmware app registry: a scenario (or a test) names an app, the VP host runs it.
 * Apps share one DRAM layout (docs/firmware.md#memory-layout): the first MiB of DRAM
 * holds the rv32 firmware image, the command ring follows, then data. */
#ifndef DTQ_APPS_H
#define DTQ_APPS_H

#include <stdint.h>

#include "dtq_regs.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DTQ_APP_RING_ADDR (DTQ_DRAM_BASE + UINT64_C(0x00100000)) /* command ring */
#define DTQ_APP_DATA_ADDR (DTQ_DRAM_BASE + UINT64_C(0x00200000)) /* app data */

/* Boot arguments of the `attention` app, written at DTQ_APP_DATA_ADDR by whoever loads
 * the inputs (the VP's platform from the scenario, docs/attention.md) before the app runs. */
#define DTQ_ATTENTION_ARGS_MAGIC 0x4E545441u /* "ATTN" */
typedef struct dtq_attention_args {
    uint32_t magic;       /* DTQ_ATTENTION_ARGS_MAGIC */
    uint32_t seq;
    uint32_t heads;
    uint32_t head_dim;
    uint32_t k0, k1;      /* the next layer's kept and 8-bit tokens (0 = no top-k) */
    uint32_t score_shift; /* ATTENTION score_shift (0 = default) */
    uint32_t layers;      /* ATTENTION commands to run (1) */
    uint64_t q, k, v, out, prec_list; /* bus addresses (docs/attention.md#memory-layout) */
} dtq_attention_args;

/* Boot arguments of the `encoder` app (docs/encoder.md#firmware): a whole model, layer by
 * layer, through the command queue. Integer constants come from the loader's scale
 * bookkeeping (float, offline, as I-BERT); the firmware only sequences commands. */
#define DTQ_MODEL_ARGS_MAGIC 0x4C444F4Du /* "MODL" */
#define DTQ_MODEL_CAUSAL 1u             /* flags: decoder (causal mask, KV cache) */
#define DTQ_MODEL_TOPK 2u               /* flags: DTQAtten precisions (top-k engines) */
#define DTQ_MODEL_UNFUSED 4u            /* flags: attention as GEMM, SOFTMAX, GEMM per head (8-bit only) */
#define DTQ_MODEL_HOST_NONLINEAR 8u     /* flags: softmax, LayerNorm, GELU on the host core (implies UNFUSED) */
#define DTQ_MODEL_ALL4 16u              /* flags: every token 4-bit (prec list all 4, no top-k); the linear layers'
                                           A rows 4-bit and their weights stored 4-bit (GEMM layout B_4BIT) */
#define DTQ_MODEL_VSQ 32u               /* flags: the 4-bit operands are VS-Quant (GEMM layout VSQ with the
                                           weights' b_scales, ATTENTION mode VSQ with int8 token slots) */
#define DTQ_MODEL_WCOMP 64u             /* flags: the weights are NM24 images (GEMM layout WCOMP, docs/compression.md) */
#define DTQ_MODEL_EXTRAS 128u           /* flags: a dtq_layer_extras table follows the params (biases, per-channel LayerNorms) */
#define DTQ_MODEL_DECODE_MARKER 0x4445434Fu /* MARKER value: the decode starts ("DECO") */

/* Descriptor tags the app puts on its commands: (layer << 8) | op. The VP sums cycles and
 * DRAM bytes per op (stats ops.*), the survey's Table 3 rows. */
enum dtq_model_op {
    DTQ_OPTAG_QKV_PROJ = 1,
    DTQ_OPTAG_ATTENTION = 2, /* fused: Q x K^T, softmax, P x V, top-k */
    DTQ_OPTAG_OUT_PROJ = 3,
    DTQ_OPTAG_FFN_W1 = 4,
    DTQ_OPTAG_FFN_W2 = 5,
    DTQ_OPTAG_OTHER = 6,     /* requantization, residual adds, LayerNorm, GELU, stand-alone softmax */
    DTQ_OPTAG_QK = 7,        /* decode, unfused prefill: q x K^T */
    DTQ_OPTAG_SV = 8,        /* decode, unfused prefill: probabilities x V */
    DTQ_OPTAG_COUNT = 9
};

/* Requantization constant: round(x * m / 2^e). */
typedef struct dtq_rq {
    int32_t m, e;
} dtq_rq;

typedef struct dtq_layer_params {
    uint64_t wq, wk, wv, wo, w1, w2; /* weights as GEMM B operands: N x K int8 (column-major K x N); with
                                        DTQ_MODEL_ALL4 N x ceil(K / 2) bytes of packed 4-bit codes, and with
                                        DTQ_MODEL_VSQ their b_scales behind them (dtq_model_wscales); with
                                        DTQ_MODEL_WCOMP an NM24 image (docs/compression.md) */
    uint64_t ln1_bias, ln2_bias;     /* d_model int32 bias_int of the two LayerNorms */
    dtq_rq qkv;                      /* projection (int32) -> Q/K/V int8 */
    dtq_rq attn;                     /* attention output (int32, 8-bit domain) -> int8 */
    dtq_rq res1, res1_id;            /* out_proj (int32) and the residual x (int8) -> int32 sum */
    dtq_rq ln1;                      /* LayerNorm 1 output (int32) -> int8 */
    dtq_rq ffn1;                     /* FFN 1 (int32) -> int8 GELU input */
    int32_t gelu_b, gelu_c, gelu_shift, ln1_shift;
    dtq_rq gelu;                     /* GELU output (int32) -> int8 */
    dtq_rq res2, res2_id;            /* FFN 2 (int32) and the residual x1 (int8) -> int32 sum */
    dtq_rq ln2;                      /* LayerNorm 2 output (int32) -> int8 = the layer's output */
    int32_t ln2_shift;
    uint32_t k0, k1;                 /* this layer's top-k: kept tokens, of which 8-bit */
    int32_t gelu_n;                  /* GELU's erf shift n (the GELU command's param3; docs/ibert.md#i-gelu-on-int8-inputs) */
} dtq_layer_params;

/* DTQ_MODEL_EXTRAS (imported graphs, docs/workloads.md#biases-and-per-channel-layernorm): a
 * table of layers x dtq_layer_extras follows the params array, at params + layers x
 * sizeof(dtq_layer_params). Without the flag the firmware reads no table. 0 = none: */
typedef struct dtq_layer_extras {
    uint64_t bq, bk, bv, bo, b1, b2; /* N int32 biases of the six GEMMs (GEMM layout.BIAS) */
    uint64_t ln1_rq, ln2_rq;         /* d_model (m, e) int32 pairs: the LayerNorm outputs' per-channel
                                        requantization (REQUANT PER_CHANNEL) instead of ln1 / ln2 */
    /* Pre-LN layers (flags DTQ_EXTRAS_PRE_LN; docs/workloads.md#pre-ln): ln1 is the LayerNorm
     * before the attention, ln2 the one before the FFN, both reading the int32 residual stream */
    uint64_t wide;                   /* seq x d_model int32: the residual stream (the same buffer in every layer) */
    uint64_t lnf_bias, lnf_rq;       /* DTQ_EXTRAS_FINAL_LN: the final LayerNorm's bias_int (d_model int32) and
                                        per-channel (m, e) pairs (0 = lnf for every channel) */
    dtq_rq pre_h;                    /* the residual sum after the attention (int32) -> int8 (the FFN's residual) */
    dtq_rq pre_y;                    /* the residual sum after the FFN (int32) -> int8 = the layer's output */
    dtq_rq lnf;                      /* DTQ_EXTRAS_FINAL_LN: the final LayerNorm (int32) -> int8 = the last output */
    uint32_t flags;                  /* DTQ_EXTRAS_* */
    uint32_t reserved;               /* 0 */
} dtq_layer_extras;
#define DTQ_EXTRAS_PRE_LN 1u   /* the layer is pre-LN (GPT-2 style) */
#define DTQ_EXTRAS_FINAL_LN 2u /* after this (the last) layer, a final LayerNorm gives the output */
#define DTQ_EXTRAS_RELU 4u     /* the FFN's activation is ReLU (docs/workloads.md#relu): FFN1's REQUANT (ffn1)
                                  clamps at 0 (REQUANT param2 RELU) and gives FFN2's input; no GELU */

/* DTQ_MODEL_ALL4 | DTQ_MODEL_VSQ: the GEMM b_scales of a weight at w (N channels of K) follow
 * its packed codes at the next 4-byte boundary. */
static inline uint64_t dtq_model_wscales(uint64_t w, uint32_t n, uint32_t k) {
    return w + (((uint64_t)n * ((k + 1u) / 2u) + 3u) & ~(uint64_t)3u);
}

typedef struct dtq_model_args {
    uint32_t magic;        /* DTQ_MODEL_ARGS_MAGIC */
    uint32_t flags;        /* DTQ_MODEL_* */
    uint32_t layers, seq, d_model, heads, head_dim, d_ffn;
    uint32_t decode_tokens, score_shift;
    uint64_t params;       /* layers x dtq_layer_params */
    uint64_t x;            /* seq x d_model int8: the layer-0 input */
    uint64_t outputs;      /* layers x seq x d_model int8: each layer's output */
    uint64_t prec;         /* seq precision bytes, rewritten by each layer's top-k */
    uint64_t prec_log;     /* layers x seq: the precisions each layer ran with */
    uint64_t keep;         /* seq bytes: 8 for a kept token, 0 for a pruned one (GEMM row precisions) */
    uint64_t q, k, v;      /* heads x seq x head_dim token slots (ATTENTION layout) */
    uint64_t attn_out;     /* heads x seq x head_dim int32 */
    uint64_t acc;          /* seq x max(d_model, d_ffn) int32 scratch */
    uint64_t tmp;          /* seq x max(d_model, d_ffn) int8 scratch */
    uint64_t x1;           /* seq x d_model int8: the LayerNorm-1 output */
    uint64_t kcache, vcache; /* decoders: layers x heads x max_seq x head_dim int8 (max_seq = seq + decode_tokens) */
    uint64_t dec_x;        /* decoders: decode_tokens x d_model int8 embeddings of the generated tokens */
    uint64_t dec_out;      /* decoders: decode_tokens x layers x d_model int8 outputs */
    uint64_t scores;       /* max(decoders: max_seq, unfused: seq x seq) int32 */
    uint64_t probs;        /* max(decoders: max_seq, unfused: seq x seq) int8 */
    /* A stream of requests (docs/batching.md): requests != 0 serves the dtq_request table
     * in batches; seq is then the batch buffers' capacity in rows (every buffer above is
     * sized for seq rows; x holds a batch's gathered inputs, outputs its layers' outputs). */
    uint32_t requests;     /* 0 = one sequence of seq tokens (no stream) */
    uint32_t policy;       /* DTQ_BATCH_* */
    uint32_t batch_size;   /* DTQ_BATCH_FIXED: requests per batch */
    uint32_t token_budget; /* DTQ_BATCH_DYNAMIC: most tokens of a batch */
    uint64_t buffer_bytes; /* DTQ_BATCH_DYNAMIC: most activation-buffer bytes of a batch (0 = no limit) */
    uint64_t bytes_per_token; /* activation-buffer bytes per batch row (dtq_batch_bytes_per_token) */
    uint64_t max_wait;     /* cycles: launch a batch that is not full once its oldest request waited this long */
    uint64_t request_table; /* requests x dtq_request */
    uint64_t batch_table;   /* requests x dtq_batch_rec (written by the firmware) */
} dtq_model_args;

#define DTQ_MAX_REQUESTS 512u /* requests of one stream */
#define DTQ_BATCH_SINGLE 0u   /* one request at a time, in arrival order */
#define DTQ_BATCH_FIXED 1u    /* batch_size requests, padded to the longest (rows = n x longest) */
#define DTQ_BATCH_DYNAMIC 2u  /* the waiting requests, in order, packed while they fit the budgets */

/* One request of a stream. The loader writes arrival .. k1; the firmware never uses a
 * request before its arrival cycle, and writes batch, start and done when it completes. */
typedef struct dtq_request {
    uint64_t arrival;      /* cycle it arrives (the host interface's receive time) */
    uint64_t x;            /* seq x d_model int8: its layer-0 input */
    uint64_t out;          /* seq x d_model int8: its last layer's output (written by the firmware) */
    uint64_t prec0;        /* seq bytes: layer-0 precisions (DTQ_MODEL_TOPK, DTQ_MODEL_ALL4) */
    uint32_t seq, k0, k1;  /* tokens; its top-k counts (DTQ_MODEL_TOPK) */
    uint32_t batch;        /* firmware: index of the batch that served it */
    uint64_t start, done;  /* firmware: cycle its batch started; cycle its batch completed */
} dtq_request;

/* One batch the firmware formed (written at the end of the stream). */
typedef struct dtq_batch_rec {
    uint32_t first, count; /* requests first .. first + count - 1 */
    uint32_t tokens, rows; /* their tokens; rows computed by the linear layers (padded: count x longest) */
    uint64_t start, end;   /* cycles: launched; its last command completed */
} dtq_batch_rec;

/* Activation-buffer bytes per batch row: the layer input and output (int8), the widest
 * int32 accumulator row and int8 scratch row, x1, Q/K/V slots and the int32 attention output. */
static inline uint64_t dtq_batch_bytes_per_token(uint32_t d_model, uint32_t d_ffn) {
    const uint64_t wide = d_ffn > d_model ? d_ffn : d_model;
    return 2u * d_model + 4u * wide + wide + d_model + 3u * d_model + 4u * (uint64_t)d_model;
}

/* Boot arguments of the `gemm` app (docs/workloads.md#gemm-lists): a list of GEMM commands
 * whose operands the loader placed in DRAM. The app submits them in order (tag = index), keeps
 * the ring full, and waits for the last; the VP times each command. */
#define DTQ_GEMM_ARGS_MAGIC 0x4D4D4547u /* "GEMM" */
typedef struct dtq_gemm_entry {
    uint64_t a, b, c, prec;  /* GEMM operands (prec: M precision bytes, or 0 = all 8-bit) */
    uint32_t m, n, k, layout; /* GEMM m, n, k and layout bits (DTQ_GEMM_B_4BIT) */
} dtq_gemm_entry;
typedef struct dtq_gemm_args {
    uint32_t magic;  /* DTQ_GEMM_ARGS_MAGIC */
    uint32_t count;  /* entries */
    uint64_t table;  /* count x dtq_gemm_entry */
} dtq_gemm_args;

typedef struct dtq_app {
    const char *name;
    int (*main)(void); /* 0 = success */
    const char *doc;
} dtq_app;

/* NULL when unknown. */
const dtq_app *dtq_app_find(const char *name);
/* All apps; *count gets their number. */
const dtq_app *dtq_app_list(uint32_t *count);

int dtq_app_selftest(void);
int dtq_app_hello(void);
int dtq_app_attention(void);
int dtq_app_encoder(void);
int dtq_app_gemm(void);

#ifdef __cplusplus
}
#endif

#endif /* DTQ_APPS_H */
