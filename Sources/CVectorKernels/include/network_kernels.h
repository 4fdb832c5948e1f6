#ifndef RECO_NETWORK_KERNELS_H
#define RECO_NETWORK_KERNELS_H
#include <stdint.h>

/// The instruction-set paths of the hand-written kernels.
typedef enum {
    RECO_ISA_PORTABLE = 0,
    RECO_ISA_AVX2 = 1,   // AVX2 + FMA
    RECO_ISA_AVX512 = 2, // AVX-512F
} reco_isa;

/// Whether this CPU can run `isa` (portable: always).
int reco_isa_supported(reco_isa isa);

/// The path kernels take by default: RECO_ISA (avx2|avx512|portable) when set, else the best this CPU
/// supports. Chosen once. A RECO_ISA this CPU cannot run, or one not named above, gives -1.
int reco_isa_default(void);

/// Epilogues of a 1×1 convolution, applied in registers before the store.
typedef enum {
    RECO_EPILOGUE_LINEAR = 0,
    RECO_EPILOGUE_RELU6 = 1,
    RECO_EPILOGUE_RESIDUAL = 2, // out += residual (same layout as out)
} reco_epilogue;

/// Floats of a k×n weight matrix packed for `isa` (columns in zero-padded panels).
int64_t reco_pointwise_packed_count(reco_isa isa, int64_t k, int64_t n);

/// Packs weights [k × n] (row-major: input channel × output channel; transposed: [n × k]) and bias
/// [n] (NULL: zeros) for `isa`. packed: reco_pointwise_packed_count floats; packed_bias: n rounded
/// up to the panel width.
void reco_pointwise_pack(reco_isa isa, const float *weights, int transposed, const float *bias, int64_t k,
                         int64_t n, float *packed, float *packed_bias);

/// out[m × n] = epilogue(input[m × k] · W + bias), W and bias as packed for the same `isa`.
/// residual: m × n floats for RECO_EPILOGUE_RESIDUAL, else ignored. out must not alias input.
void reco_pointwise(reco_isa isa, const float *input, int64_t m, int64_t k, const float *packed,
                    const float *packed_bias, int64_t n, reco_epilogue epilogue, const float *residual, float *out);

/// Depthwise k×k convolution with TF-SAME padding, bias and ReLU6, for output rows
/// [out_row0, out_row1) of an h×w×channels image (NHWC). input holds the image's rows from
/// first_row on (every row those outputs read); out receives [rows × ow × channels].
/// weights [k × k × channels], bias [channels].
void reco_depthwise(reco_isa isa, const float *input, int64_t first_row, int64_t h, int64_t w, int64_t channels,
                    const float *weights, const float *bias, int64_t k, int64_t stride, int64_t out_row0,
                    int64_t out_row1, float *out);

/// The int8 network keeps ReLU6 outputs (expansions, depthwise layers) in memory as uint8 codes:
/// x = q · RECO_RELU6_CODE_STEP, q = x · RECO_RELU6_CODES_PER_UNIT rounded to nearest even.
#define RECO_RELU6_CODE_STEP 0.0235294117647058823f // 6 / 255
#define RECO_RELU6_CODES_PER_UNIT 42.5f                // 255 / 6

/// reco_depthwise writing codes (from float inputs: the int8 network's first block, which has no
/// expansion).
void reco_depthwise_to_codes(reco_isa isa, const float *input, int64_t first_row, int64_t h, int64_t w,
                             int64_t channels, const float *weights, const float *bias, int64_t k, int64_t stride,
                             int64_t out_row0, int64_t out_row1, uint8_t *out);

/// reco_depthwise from codes to codes, in float32 arithmetic.
void reco_depthwise_codes(reco_isa isa, const uint8_t *input, int64_t first_row, int64_t h, int64_t w,
                          int64_t channels, const float *weights, const float *bias, int64_t k, int64_t stride,
                          int64_t out_row0, int64_t out_row1, uint8_t *out);

/// The stem's patches (im2col) for output rows [out_row0, out_row1) of the network's h×h×channels
/// uint8 input, TF-SAME padding: per output pixel its k·k·channels inputs in (ky, kx, channel)
/// order, each normalised to (x − 127) / 128, and 0 outside the image.
void reco_stem_patches(const uint8_t *input, int64_t h, int64_t channels, int64_t k, int64_t stride,
                       int64_t out_row0, int64_t out_row1, float *out);

/// int8 1×1 convolutions: weights int8 per output channel (symmetric), inputs quantised per tensor
/// to uint8 (x ≈ scale · (q − zero)), int32 sums, float out.

/// Bytes of a k×n weight matrix packed as int8 for `isa`; the column count it is padded to.
int64_t reco_qpointwise_packed_bytes(reco_isa isa, int64_t k, int64_t n);
int64_t reco_qpointwise_padded_columns(reco_isa isa, int64_t n);

/// Quantises weights [k × n] (transposed: [n × k]) per output channel and packs them for `isa`.
/// scales, column_sums: reco_qpointwise_padded_columns floats / ints (the scale of each column's
/// codes; each column's sum of codes, for the input's zero point).
void reco_qpointwise_pack(reco_isa isa, const float *weights, int transposed, int64_t k, int64_t n, int8_t *packed,
                          float *scales, int32_t *column_sums);

/// out[m × n] = epilogue(input[m × k] · W + bias), with input quantised on the fly to
/// uint8 with (input_scale, input_zero) (values outside the range saturate), W as packed by
/// reco_qpointwise_pack for the same `isa`, bias padded to reco_qpointwise_padded_columns.
void reco_qpointwise(reco_isa isa, const float *input, int64_t m, int64_t k, float input_scale, int32_t input_zero,
                     const int8_t *packed, const float *scales, const int32_t *column_sums, const float *bias,
                     int64_t n, reco_epilogue epilogue, const float *residual, float *out);

/// reco_qpointwise from rows of ReLU6 codes (the depthwise layers' outputs in the int8 network):
/// input (scale, zero) = (RECO_RELU6_CODE_STEP, 0).
void reco_qpointwise_from_codes(reco_isa isa, const uint8_t *codes, int64_t m, int64_t k, const int8_t *packed,
                                const float *scales, const int32_t *column_sums, const float *bias, int64_t n,
                                reco_epilogue epilogue, const float *residual, float *out);

/// reco_qpointwise with ReLU6, writing codes (the int8 network's expansions).
void reco_qpointwise_to_codes(reco_isa isa, const float *input, int64_t m, int64_t k, float input_scale,
                              int32_t input_zero, const int8_t *packed, const float *scales,
                              const int32_t *column_sums, const float *bias, int64_t n, uint8_t *codes);

/// The name of the int8 kernel `isa` runs: "avx512-vnni", "avx2-madd" or "portable".
const char *reco_qpointwise_kernel(reco_isa isa);

#endif
