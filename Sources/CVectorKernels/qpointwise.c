// int8 1×1 convolutions for the int8 variant of the network. Weights: int8 per output channel,
// packed once at load. Inputs: float activations quantised to uint8 per block of rows as the
// kernel reaches them, or rows already held as ReLU6 codes (the depthwise layers' outputs).
// Sums in int32, exact; the epilogue takes the zero point back out, scales, adds the bias and
// applies ReLU6 or the residual in registers, and stores floats or (after ReLU6) codes.
//   - AVX-512 VNNI: vpdpbusd multiplies 64 unsigned by signed bytes per instruction, so weights
//     are packed in groups of 4 input channels per column (the instruction's dot of 4).
//   - AVX2 (and AVX-512 without VNNI): vpmaddwd multiplies 16 pairs of 16-bit values and adds each
//     pair, so weights are packed widened to int16 in pairs of input channels per column, and
//     each block of input rows is widened once after it is quantised. (vpmaddubsw would take bytes, but its 16-bit
//     sums of two u8·s8 products saturate.)
//   - Portable: plain loops over [k × 16] int8 panels.
#include "kernel_support.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/// The kernel each path runs, and how it wants the weights: panels of `nr` columns, in groups of
/// `group` input channels per column (the instruction's dot product), `width` bytes a weight.
typedef enum { KERNEL_PLAIN, KERNEL_MADD, KERNEL_VNNI } kernel;
typedef struct {
    int64_t nr, group, width;
} layout;

enum { VNNI_MR = 14, VNNI_NR = 32, MADD_MR = 6, MADD_NR = 16, PLAIN_MR = 4, PLAIN_NR = 16 };

static kernel kernel_of(reco_isa isa) {
#if defined(__x86_64__)
    if (isa == RECO_ISA_AVX512 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw"))
        return KERNEL_VNNI;
    if (isa == RECO_ISA_AVX2 || isa == RECO_ISA_AVX512) return KERNEL_MADD;
#else
    (void)isa;
#endif
    return KERNEL_PLAIN;
}

static layout layout_of(kernel kernel) {
    switch (kernel) {
    case KERNEL_VNNI: return (layout){VNNI_NR, 4, 1};
    case KERNEL_MADD: return (layout){MADD_NR, 2, 2};
    default: return (layout){PLAIN_NR, 1, 1};
    }
}

const char *reco_qpointwise_kernel(reco_isa isa) {
    switch (kernel_of(isa)) {
    case KERNEL_VNNI: return "avx512-vnni";
    case KERNEL_MADD: return "avx2-madd";
    default: return "portable";
    }
}

int64_t reco_qpointwise_padded_columns(reco_isa isa, int64_t n) { return round_up(n, layout_of(kernel_of(isa)).nr); }

int64_t reco_qpointwise_packed_bytes(reco_isa isa, int64_t k, int64_t n) {
    const layout l = layout_of(kernel_of(isa));
    return round_up(k, l.group) * reco_qpointwise_padded_columns(isa, n) * l.width;
}

void reco_qpointwise_pack(reco_isa isa, const float *weights, int transposed, int64_t k, int64_t n, int8_t *packed,
                          float *scales, int32_t *column_sums) {
    const int64_t padded = reco_qpointwise_padded_columns(isa, n);
    const layout l = layout_of(kernel_of(isa));
    const int64_t kp = round_up(k, l.group);
    memset(packed, 0, (size_t)reco_qpointwise_packed_bytes(isa, k, n));
    for (int64_t c = 0; c < padded; c++) {
        float largest = 0;
        for (int64_t q = 0; q < k && c < n; q++) {
            largest = fmaxf(largest, fabsf(weight_at(weights, transposed, k, n, q, c)));
        }
        const float scale = largest > 0 ? largest / 127 : 1;
        scales[c] = scale;
        int32_t sum = 0;
        for (int64_t q = 0; q < k && c < n; q++) {
            const int8_t code = (int8_t)lrintf(weight_at(weights, transposed, k, n, q, c) / scale);
            sum += code;
            // Panel, group of rows, column, row in the group.
            const int64_t panel = c / l.nr, j = c % l.nr;
            const int64_t at = ((panel * (kp / l.group) + q / l.group) * l.nr + j) * l.group + q % l.group;
            if (l.width == 2) {
                const int16_t wide = code;
                memcpy(packed + at * 2, &wide, 2);
            } else {
                packed[at] = code;
            }
        }
        column_sums[c] = sum;
    }
}

/// `rows` input rows of codes (row stride k) into dst (row stride kp, zero-padded); rows past
/// `rows` repeat the last.
static void copy_code_rows(const uint8_t *codes, int64_t rows, int64_t mr, int64_t k, int64_t kp, uint8_t *dst) {
    for (int64_t r = 0; r < mr; r++) {
        memcpy(dst + r * kp, codes + (r < rows ? r : rows - 1) * k, (size_t)k);
        memset(dst + r * kp + k, 0, (size_t)(kp - k));
    }
}

/// Quantises `rows` input rows (row stride k) to uint8 into dst (row stride kp, zero-padded);
/// rows past `rows` repeat the last (computed, not stored).
static void quantise_rows(const float *input, int64_t rows, int64_t mr, int64_t k, int64_t kp, float scale,
                          int32_t zero, uint8_t *dst) {
    const float inverse = 1 / scale;
    for (int64_t r = 0; r < mr; r++) {
        const float *x = input + (r < rows ? r : rows - 1) * k;
        uint8_t *q = dst + r * kp;
        for (int64_t j = 0; j < k; j++) q[j] = quantise(x[j], inverse, zero);
        for (int64_t j = k; j < kp; j++) q[j] = 0;
    }
}

/// The portable kernel: one MR×16 tile from quantised rows a (stride k) and a [k × 16] panel.
__attribute__((always_inline)) static inline void plain_tile(const uint8_t *a, const int8_t *b, int64_t k,
                                                             int32_t acc[PLAIN_MR][PLAIN_NR]) {
    for (int r = 0; r < PLAIN_MR; r++)
        for (int j = 0; j < PLAIN_NR; j++) acc[r][j] = 0;
    for (int64_t q = 0; q < k; q++) {
        const int8_t *w = b + q * PLAIN_NR;
        for (int r = 0; r < PLAIN_MR; r++) {
            const int32_t x = a[r * k + q];
            for (int j = 0; j < PLAIN_NR; j++) acc[r][j] += x * (int32_t)w[j];
        }
    }
}

static void plain(source input, int64_t m, int64_t k, float input_scale, int32_t input_zero, const int8_t *packed,
                  const float *scales, const int32_t *column_sums, const float *bias, int64_t n, reco_epilogue epilogue,
                  const float *residual, destination out) {
    uint8_t a[PLAIN_MR * k];
    const int64_t panels = round_up(n, PLAIN_NR) / PLAIN_NR;
    for (int64_t i = 0; i < m; i += PLAIN_MR) {
        const int64_t rows = m - i < PLAIN_MR ? m - i : PLAIN_MR;
        if (input.codes)
            copy_code_rows(input.codes + i * k, rows, PLAIN_MR, k, k, a);
        else
            quantise_rows(input.floats + i * k, rows, PLAIN_MR, k, k, input_scale, input_zero, a);
        for (int64_t p = 0; p < panels; p++) {
            int32_t acc[PLAIN_MR][PLAIN_NR];
            plain_tile(a, packed + p * k * PLAIN_NR, k, acc);
            for (int64_t r = 0; r < rows; r++) {
                for (int64_t j = 0; j < PLAIN_NR && p * PLAIN_NR + j < n; j++) {
                    const int64_t c = p * PLAIN_NR + j, at = (i + r) * n + c;
                    const float sum = (float)(acc[r][j] - input_zero * column_sums[c]);
                    const float v = sum * (input_scale * scales[c]) + bias[c];
                    if (out.codes)
                        out.codes[at] = quantise(finish(v, RECO_EPILOGUE_RELU6, NULL), RECO_RELU6_CODES_PER_UNIT, 0);
                    else
                        out.floats[at] = finish(v, epilogue, residual ? residual + at : NULL);
                }
            }
        }
    }
}

#if defined(__x86_64__)
/// One vpmaddwd tile: `rows` (≤ 6) rows a of int16 values (stride kp, even) against a panel of 16
/// columns, [kp/2 pairs × 16 columns × 2] int16. Writes floats to `out`, or codes to `codes` when it
/// is set (then after ReLU6, whatever the epilogue).
__attribute__((target("avx2,fma"))) static void
madd_tile(const int16_t *a, int64_t kp, const int16_t *b, int64_t rows, int64_t cols, int32_t input_zero,
          __m256 scale0, __m256 scale1, const int32_t *sums, const float *bias, reco_epilogue epilogue,
          const float *residual, float *out, uint8_t *codes, int64_t ldo) {
    __m256i acc[MADD_MR][2];
    for (int r = 0; r < MADD_MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (int64_t g = 0; g < kp / 2; g++) {
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)(b + g * 32));
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(b + g * 32 + 16));
        for (int r = 0; r < MADD_MR; r++) {
            int32_t pair;
            memcpy(&pair, a + r * kp + g * 2, 4);
            const __m256i x = _mm256_set1_epi32(pair);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(x, b0));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(x, b1));
        }
    }
    const __m256i zero_point = _mm256_set1_epi32(input_zero);
    const __m256i zero_sums0 = _mm256_mullo_epi32(zero_point, _mm256_loadu_si256((const __m256i *)sums));
    const __m256i zero_sums1 = _mm256_mullo_epi32(zero_point, _mm256_loadu_si256((const __m256i *)(sums + 8)));
    const __m256 bias0 = _mm256_loadu_ps(bias), bias1 = _mm256_loadu_ps(bias + 8);
    const __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6);
    for (int r = 0; r < MADD_MR; r++) {
        if (r >= rows) break;
        __m256 y0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(acc[r][0], zero_sums0)), scale0, bias0);
        __m256 y1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(acc[r][1], zero_sums1)), scale1, bias1);
        if (codes || epilogue == RECO_EPILOGUE_RELU6) {
            y0 = _mm256_min_ps(_mm256_max_ps(y0, zero), six);
            y1 = _mm256_min_ps(_mm256_max_ps(y1, zero), six);
        }
        // A part panel goes through `row`, so nothing past the last column is read or written.
        float row[MADD_NR];
        if (codes) {
            const __m256 per_unit = _mm256_set1_ps(RECO_RELU6_CODES_PER_UNIT);
            const __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(y0, per_unit));
            const __m256i q1 = _mm256_cvtps_epi32(_mm256_mul_ps(y1, per_unit));
            // packus works within 128-bit lanes: the permute puts the 16 codes back in order.
            const __m256i words = _mm256_permute4x64_epi64(_mm256_packus_epi32(q0, q1), 0xD8);
            const __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
            uint8_t all[MADD_NR];
            _mm_storeu_si128((__m128i *)all, bytes);
            memcpy(codes + r * ldo, all, (size_t)cols);
            continue;
        }
        if (epilogue == RECO_EPILOGUE_RESIDUAL) {
            if (cols < MADD_NR) memcpy(row, residual + r * ldo, (size_t)cols * sizeof(float));
            const float *skip = cols < MADD_NR ? row : residual + r * ldo;
            y0 = _mm256_add_ps(y0, _mm256_loadu_ps(skip));
            y1 = _mm256_add_ps(y1, _mm256_loadu_ps(skip + 8));
        }
        float *o = cols < MADD_NR ? row : out + r * ldo;
        _mm256_storeu_ps(o, y0);
        _mm256_storeu_ps(o + 8, y1);
        if (cols < MADD_NR) memcpy(out + r * ldo, row, (size_t)cols * sizeof(float));
    }
}

/// The vpmaddwd kernel: each block of 6 rows quantised (or copied from codes) and widened to int16
/// once, then tiled against every panel.
__attribute__((target("avx2,fma"))) static void
madd(source input, int64_t m, int64_t k, float input_scale, int32_t input_zero, const int8_t *packed,
     const float *scales, const int32_t *column_sums, const float *bias, int64_t n, reco_epilogue epilogue,
     const float *residual, destination out) {
    const int64_t kp = round_up(k, 2), panels = round_up(n, MADD_NR) / MADD_NR;
    uint8_t narrow[MADD_MR * kp];
    int16_t a[MADD_MR * kp];
    const __m256 s = _mm256_set1_ps(input_scale);
    for (int64_t i = 0; i < m; i += MADD_MR) {
        const int64_t rows = m - i < MADD_MR ? m - i : MADD_MR;
        if (input.codes)
            copy_code_rows(input.codes + i * k, rows, MADD_MR, k, kp, narrow);
        else
            quantise_rows(input.floats + i * k, rows, MADD_MR, k, kp, input_scale, input_zero, narrow);
        for (int64_t j = 0; j < MADD_MR * kp; j++) a[j] = narrow[j];
        for (int64_t p = 0; p < panels; p++) {
            const int64_t col = p * MADD_NR, cols = n - col < MADD_NR ? n - col : MADD_NR;
            const __m256 scale0 = _mm256_mul_ps(s, _mm256_loadu_ps(scales + col));
            const __m256 scale1 = _mm256_mul_ps(s, _mm256_loadu_ps(scales + col + 8));
            madd_tile(a, kp, (const int16_t *)(const void *)packed + p * kp * MADD_NR, rows, cols, input_zero, scale0,
                      scale1, column_sums + col, bias + col, epilogue, residual ? residual + i * n + col : NULL,
                      out.floats ? out.floats + i * n + col : NULL, out.codes ? out.codes + i * n + col : NULL, n);
        }
    }
}

/// One VNNI tile: `rows` (≤ 14) quantised rows a (stride kp, a multiple of 4) against a panel of
/// 32 columns, [kp/4 groups × 32 columns × 4] bytes. Writes floats to `out`, or codes to `codes`
/// when it is set (then after ReLU6, whatever the epilogue).
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
vnni_tile(const uint8_t *a, int64_t kp, const int8_t *b, int64_t rows, int64_t cols, int32_t input_zero,
          __m512 scale0, __m512 scale1, const int32_t *sums, const float *bias, reco_epilogue epilogue,
          const float *residual, float *out, uint8_t *codes, int64_t ldo) {
    __m512i acc[VNNI_MR][2];
    for (int r = 0; r < VNNI_MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
    for (int64_t g = 0; g < kp / 4; g++) {
        const __m512i b0 = _mm512_loadu_si512(b + g * 128), b1 = _mm512_loadu_si512(b + g * 128 + 64);
        for (int r = 0; r < VNNI_MR; r++) {
            int32_t four;
            memcpy(&four, a + r * kp + g * 4, 4);
            const __m512i x = _mm512_set1_epi32(four);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], x, b0);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], x, b1);
        }
    }
    const __m512i zero_sums0 = _mm512_mullo_epi32(_mm512_set1_epi32(input_zero), _mm512_loadu_si512(sums));
    const __m512i zero_sums1 = _mm512_mullo_epi32(_mm512_set1_epi32(input_zero), _mm512_loadu_si512(sums + 16));
    const __m512 bias0 = _mm512_loadu_ps(bias), bias1 = _mm512_loadu_ps(bias + 16);
    const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6);
    const __mmask16 m0 = mask16(cols), m1 = mask16(cols - 16);
    for (int r = 0; r < VNNI_MR; r++) {
        if (r >= rows) break;
        __m512 y0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][0], zero_sums0)), scale0, bias0);
        __m512 y1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][1], zero_sums1)), scale1, bias1);
        if (codes) {
            const __m512 per_unit = _mm512_set1_ps(RECO_RELU6_CODES_PER_UNIT);
            y0 = _mm512_mul_ps(_mm512_min_ps(_mm512_max_ps(y0, zero), six), per_unit);
            y1 = _mm512_mul_ps(_mm512_min_ps(_mm512_max_ps(y1, zero), six), per_unit);
            _mm512_mask_cvtusepi32_storeu_epi8(codes + r * ldo, m0, _mm512_cvtps_epi32(y0));
            _mm512_mask_cvtusepi32_storeu_epi8(codes + r * ldo + 16, m1, _mm512_cvtps_epi32(y1));
            continue;
        }
        float *o = out + r * ldo;
        if (epilogue == RECO_EPILOGUE_RELU6) {
            y0 = _mm512_min_ps(_mm512_max_ps(y0, zero), six);
            y1 = _mm512_min_ps(_mm512_max_ps(y1, zero), six);
        } else if (epilogue == RECO_EPILOGUE_RESIDUAL) {
            y0 = _mm512_add_ps(y0, _mm512_maskz_loadu_ps(m0, residual + r * ldo));
            y1 = _mm512_add_ps(y1, _mm512_maskz_loadu_ps(m1, residual + r * ldo + 16));
        }
        _mm512_mask_storeu_ps(o, m0, y0);
        _mm512_mask_storeu_ps(o + 16, m1, y1);
    }
}

/// quantise_rows with AVX-512: 16 values per step, rounded to nearest even like nearbyintf.
__attribute__((target("avx512f,avx512bw"))) static void quantise_rows_avx512(const float *input, int64_t rows,
                                                                              int64_t mr, int64_t k, int64_t kp,
                                                                              float scale, int32_t zero, uint8_t *dst) {
    const __m512 inverse = _mm512_set1_ps(1 / scale);
    const __m512i z = _mm512_set1_epi32(zero), lowest = _mm512_setzero_si512();
    for (int64_t r = 0; r < mr; r++) {
        const float *x = input + (r < rows ? r : rows - 1) * k;
        uint8_t *q = dst + r * kp;
        int64_t j = 0;
        for (; j + 16 <= k; j += 16) {
            __m512i v = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + j), inverse)), z);
            _mm_storeu_si128((__m128i *)(q + j), _mm512_cvtusepi32_epi8(_mm512_max_epi32(v, lowest)));
        }
        for (; j < k; j++) q[j] = quantise(x[j], 1 / scale, zero);
        for (; j < kp; j++) q[j] = 0;
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
vnni(source input, int64_t m, int64_t k, float input_scale, int32_t input_zero, const int8_t *packed,
     const float *scales, const int32_t *column_sums, const float *bias, int64_t n, reco_epilogue epilogue,
     const float *residual, destination out) {
    const int64_t kp = round_up(k, 4), panels = round_up(n, VNNI_NR) / VNNI_NR;
    uint8_t tile[VNNI_MR * kp];
    const __m512 s = _mm512_set1_ps(input_scale);
    for (int64_t i = 0; i < m; i += VNNI_MR) {
        const int64_t rows = m - i < VNNI_MR ? m - i : VNNI_MR;
        const uint8_t *a = tile;
        if (input.codes && rows == VNNI_MR && kp == k)
            a = input.codes + i * k; // whole rows of codes: read in place
        else if (input.codes)
            copy_code_rows(input.codes + i * k, rows, VNNI_MR, k, kp, tile);
        else
            quantise_rows_avx512(input.floats + i * k, rows, VNNI_MR, k, kp, input_scale, input_zero, tile);
        for (int64_t p = 0; p < panels; p++) {
            const int64_t col = p * VNNI_NR, cols = n - col < VNNI_NR ? n - col : VNNI_NR;
            const __m512 scale0 = _mm512_mul_ps(s, _mm512_loadu_ps(scales + col));
            const __m512 scale1 = _mm512_mul_ps(s, _mm512_loadu_ps(scales + col + 16));
            vnni_tile(a, kp, packed + p * kp * VNNI_NR, rows, cols, input_zero, scale0, scale1, column_sums + col,
                      bias + col, epilogue, residual ? residual + i * n + col : NULL,
                      out.floats ? out.floats + i * n + col : NULL, out.codes ? out.codes + i * n + col : NULL, n);
        }
    }
}
#endif

static void qpointwise(reco_isa isa, source input, int64_t m, int64_t k, float input_scale, int32_t input_zero,
                       const int8_t *packed, const float *scales, const int32_t *column_sums, const float *bias,
                       int64_t n, reco_epilogue epilogue, const float *residual, destination out) {
    switch (kernel_of(isa)) {
#if defined(__x86_64__)
    case KERNEL_VNNI:
        vnni(input, m, k, input_scale, input_zero, packed, scales, column_sums, bias, n, epilogue, residual, out);
        return;
    case KERNEL_MADD:
        madd(input, m, k, input_scale, input_zero, packed, scales, column_sums, bias, n, epilogue, residual, out);
        return;
#endif
    default:
        plain(input, m, k, input_scale, input_zero, packed, scales, column_sums, bias, n, epilogue, residual, out);
    }
}

void reco_qpointwise(reco_isa isa, const float *input, int64_t m, int64_t k, float input_scale, int32_t input_zero,
                     const int8_t *packed, const float *scales, const int32_t *column_sums, const float *bias,
                     int64_t n, reco_epilogue epilogue, const float *residual, float *out) {
    qpointwise(isa, FLOATS_IN(input), m, k, input_scale, input_zero, packed, scales, column_sums, bias, n,
               epilogue, residual, FLOATS_OUT(out));
}

void reco_qpointwise_from_codes(reco_isa isa, const uint8_t *codes, int64_t m, int64_t k, const int8_t *packed,
                                const float *scales, const int32_t *column_sums, const float *bias, int64_t n,
                                reco_epilogue epilogue, const float *residual, float *out) {
    qpointwise(isa, CODES_IN(codes), m, k, RECO_RELU6_CODE_STEP, 0, packed, scales, column_sums, bias, n,
               epilogue, residual, FLOATS_OUT(out));
}

void reco_qpointwise_to_codes(reco_isa isa, const float *input, int64_t m, int64_t k, float input_scale,
                              int32_t input_zero, const int8_t *packed, const float *scales,
                              const int32_t *column_sums, const float *bias, int64_t n, uint8_t *codes) {
    qpointwise(isa, FLOATS_IN(input), m, k, input_scale, input_zero, packed, scales, column_sums, bias, n,
               RECO_EPILOGUE_RELU6, NULL, CODES_OUT(codes));
}
