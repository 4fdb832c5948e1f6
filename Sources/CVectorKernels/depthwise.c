// Depthwise k×k convolution (NHWC, channels contiguous) with TF-SAME padding; bias and ReLU6 fused.
// Float32 arithmetic on float32 activations, or on the int8 network's one-byte ReLU6 codes (read
// four times as many values per cache line: 1.55× the float kernel's rate on AVX-512, even on AVX2).
#include "kernel_support.h"
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/// A float, or a code as its number of steps (the weights carry the step, as on the SIMD paths).
static inline float source_at(source in, int64_t i) { return in.floats ? in.floats[i] : (float)in.codes[i]; }

/// Channels [c_begin, channels) of the band, one pixel at a time: the portable path, and the SIMD
/// paths' remainder.
static void depthwise_portable(source input, int64_t first_row, int64_t h, int64_t w, int64_t channels,
                               const float *weights, const float *bias, int64_t k, int64_t s, int64_t out_row0,
                               int64_t out_row1, destination out, int64_t c_begin) {
    const int64_t py = pad_before(h, k, s), px = pad_before(w, k, s);
    const int64_t ow = (w + s - 1) / s;
    const float unit = input.floats ? 1 : RECO_RELU6_CODE_STEP;
    float sums[channels];
    for (int64_t oy = out_row0; oy < out_row1; oy++) {
        const int64_t iy0 = oy * s - py;
        const int64_t ky0 = iy0 < 0 ? -iy0 : 0, ky1 = h - iy0 < k ? h - iy0 : k;
        for (int64_t ox = 0; ox < ow; ox++) {
            const int64_t ix0 = ox * s - px;
            const int64_t kx0 = ix0 < 0 ? -ix0 : 0, kx1 = w - ix0 < k ? w - ix0 : k;
            for (int64_t c = c_begin; c < channels; c++) sums[c] = bias[c];
            for (int64_t ky = ky0; ky < ky1; ky++) {
                for (int64_t kx = kx0; kx < kx1; kx++) {
                    const int64_t x = ((iy0 + ky - first_row) * w + ix0 + kx) * channels;
                    const float *t = weights + (ky * k + kx) * channels;
                    for (int64_t c = c_begin; c < channels; c++) sums[c] += source_at(input, x + c) * (t[c] * unit);
                }
            }
            const int64_t o = ((oy - out_row0) * ow + ox) * channels;
            for (int64_t c = c_begin; c < channels; c++) {
                const float v = finish(sums[c], RECO_EPILOGUE_RELU6, NULL);
                if (out.floats)
                    out.floats[o + c] = v;
                else
                    out.codes[o + c] = quantise(v, RECO_RELU6_CODES_PER_UNIT, 0);
            }
        }
    }
}

/// The input rows that output rows [out_row0, out_row1) read, copied with px zero columns before
/// each row and enough after it that every window is whole: (ow − 1)·s + k columns.
typedef struct {
    void *rows; // owned: free() it
    int64_t first_row, width;
} padded;

/// input: `size`-byte activations.
static padded padded_band(const void *input, size_t size, int64_t first_row, int64_t h, int64_t w, int64_t channels,
                          int64_t k, int64_t s, int64_t py, int64_t px, int64_t out_row0, int64_t out_row1) {
    const int64_t ow = (w + s - 1) / s, wide = (ow - 1) * s + k;
    const int64_t row0 = out_row0 * s - py < 0 ? 0 : out_row0 * s - py;
    const int64_t row1 = (out_row1 - 1) * s - py + k > h ? h : (out_row1 - 1) * s - py + k;
    char *rows = malloc((size_t)((row1 - row0) * wide * channels) * size);
    if (!rows) abort();
    const int64_t right = wide - px - w; // zero columns after the row (negative: the row is cut)
    const size_t pixel = (size_t)channels * size;
    for (int64_t iy = row0; iy < row1; iy++) {
        char *dst = rows + (size_t)((iy - row0) * wide) * pixel;
        memset(dst, 0, (size_t)px * pixel);
        memcpy(dst + (size_t)px * pixel, (const char *)input + (size_t)((iy - first_row) * w) * pixel,
               (size_t)(right < 0 ? w + right : w) * pixel);
        if (right > 0) memset(dst + (size_t)(px + w) * pixel, 0, (size_t)right * pixel);
    }
    return (padded){rows, row0, wide};
}

#if defined(__x86_64__)
// Per instruction set: the vector, and how codes are loaded and stored. Each is included three
// times: floats to floats (the float32 network), floats to codes and codes to codes (the int8 one).

#define PATH(x) x##_avx512
#define TARGET __attribute__((target("avx512f")))
#define VEC __m512
#define LANES 16
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define CLAMP6(v) _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(6))
#define LOAD_FLOATS(p) _mm512_loadu_ps(p)
#define LOAD_CODE_WEIGHTS(p) _mm512_mul_ps(_mm512_loadu_ps(p), _mm512_set1_ps(RECO_RELU6_CODE_STEP))
#define LOAD_CODES(p) _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(p))))
#define STORE_FLOATS(p, v) _mm512_storeu_ps(p, v)
// Rounded to nearest even (the default rounding mode), like quantise().
#define STORE_CODES(p, v)                                                                                              \
    _mm_storeu_si128((__m128i *)(p), _mm512_cvtusepi32_epi8(_mm512_cvtps_epi32(                                        \
                                         _mm512_mul_ps(v, _mm512_set1_ps(RECO_RELU6_CODES_PER_UNIT)))))
#include "depthwise_variants.inc"

#define PATH(x) x##_avx2
#define TARGET __attribute__((target("avx2,fma")))
#define VEC __m256
#define LANES 8
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define CLAMP6(v) _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(6))
#define LOAD_FLOATS(p) _mm256_loadu_ps(p)
#define LOAD_CODE_WEIGHTS(p) _mm256_mul_ps(_mm256_loadu_ps(p), _mm256_set1_ps(RECO_RELU6_CODE_STEP))
#define LOAD_CODES(p) _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(p))))
#define STORE_FLOATS(p, v) _mm256_storeu_ps(p, v)
#define STORE_CODES(p, v) store_codes_avx2((uint8_t *)(p), v)
/// Eight ReLU6 outputs (in [0, 6]) as codes.
__attribute__((target("avx2,fma"))) static inline void store_codes_avx2(uint8_t *p, __m256 v) {
    const __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(v, _mm256_set1_ps(RECO_RELU6_CODES_PER_UNIT)));
    const __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64((__m128i *)p, _mm_packus_epi16(words, words));
}
#include "depthwise_variants.inc"
#endif

/// One entry point's body: the SIMD path of `kind` (floats, floats_to_codes or codes) where `isa`
/// has one, else the portable loop with the activations as `in` and `out` make them.
#if defined(__x86_64__)
#define DEPTHWISE(kind, in, out)                                                                                       \
    if (isa == RECO_ISA_AVX512) {                                                                                      \
        depthwise_##kind##_avx512(input, first_row, h, w, channels, weights, bias, k, stride, out_row0, out_row1,      \
                                  output);                                                                             \
        return;                                                                                                        \
    }                                                                                                                  \
    if (isa == RECO_ISA_AVX2) {                                                                                        \
        depthwise_##kind##_avx2(input, first_row, h, w, channels, weights, bias, k, stride, out_row0, out_row1,        \
                                output);                                                                               \
        return;                                                                                                        \
    }                                                                                                                  \
    depthwise_portable(in(input), first_row, h, w, channels, weights, bias, k, stride, out_row0, out_row1,             \
                       out(output), 0);
#else
#define DEPTHWISE(kind, in, out)                                                                                       \
    depthwise_portable(in(input), first_row, h, w, channels, weights, bias, k, stride, out_row0, out_row1,             \
                       out(output), 0);
#endif

void reco_depthwise(reco_isa isa, const float *input, int64_t first_row, int64_t h, int64_t w, int64_t channels,
                    const float *weights, const float *bias, int64_t k, int64_t stride, int64_t out_row0,
                    int64_t out_row1, float *output) {
    DEPTHWISE(floats, FLOATS_IN, FLOATS_OUT)
}

void reco_depthwise_to_codes(reco_isa isa, const float *input, int64_t first_row, int64_t h, int64_t w,
                             int64_t channels, const float *weights, const float *bias, int64_t k, int64_t stride,
                             int64_t out_row0, int64_t out_row1, uint8_t *output) {
    DEPTHWISE(floats_to_codes, FLOATS_IN, CODES_OUT)
}

void reco_depthwise_codes(reco_isa isa, const uint8_t *input, int64_t first_row, int64_t h, int64_t w,
                          int64_t channels, const float *weights, const float *bias, int64_t k, int64_t stride,
                          int64_t out_row0, int64_t out_row1, uint8_t *output) {
    DEPTHWISE(codes, CODES_IN, CODES_OUT)
}
