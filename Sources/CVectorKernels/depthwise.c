// Depthwise k×k convolution (NHWC, channels contiguous) with TF-SAME padding; bias and ReLU6 fused.
#include "kernel_support.h"
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/// Channels [c_begin, channels) of the band, one pixel at a time: the portable path, and the SIMD
/// paths' remainder.
static void depthwise_portable(const float *input, int64_t first_row, int64_t h, int64_t w, int64_t channels,
                               const float *weights, const float *bias, int64_t k, int64_t s, int64_t out_row0,
                               int64_t out_row1, float *out, int64_t c_begin) {
    const int64_t py = pad_before(h, k, s), px = pad_before(w, k, s);
    const int64_t ow = (w + s - 1) / s;
    for (int64_t oy = out_row0; oy < out_row1; oy++) {
        const int64_t iy0 = oy * s - py;
        const int64_t ky0 = iy0 < 0 ? -iy0 : 0, ky1 = h - iy0 < k ? h - iy0 : k;
        for (int64_t ox = 0; ox < ow; ox++) {
            const int64_t ix0 = ox * s - px;
            const int64_t kx0 = ix0 < 0 ? -ix0 : 0, kx1 = w - ix0 < k ? w - ix0 : k;
            float *o = out + ((oy - out_row0) * ow + ox) * channels;
            for (int64_t c = c_begin; c < channels; c++) o[c] = bias[c];
            for (int64_t ky = ky0; ky < ky1; ky++) {
                for (int64_t kx = kx0; kx < kx1; kx++) {
                    const float *x = input + ((iy0 + ky - first_row) * w + ix0 + kx) * channels;
                    const float *t = weights + (ky * k + kx) * channels;
                    for (int64_t c = c_begin; c < channels; c++) o[c] += x[c] * t[c];
                }
            }
            for (int64_t c = c_begin; c < channels; c++) o[c] = finish(o[c], RECO_EPILOGUE_RELU6, NULL);
        }
    }
}

/// The input rows that output rows [out_row0, out_row1) read, copied with px zero columns before
/// each row and enough after it that every window is whole: (ow − 1)·s + k columns.
typedef struct {
    float *rows; // owned: free() it
    int64_t first_row, width;
} padded;

static padded padded_band(const float *input, int64_t first_row, int64_t h, int64_t w, int64_t channels, int64_t k,
                          int64_t s, int64_t py, int64_t px, int64_t out_row0, int64_t out_row1) {
    const int64_t ow = (w + s - 1) / s, wide = (ow - 1) * s + k;
    const int64_t row0 = out_row0 * s - py < 0 ? 0 : out_row0 * s - py;
    const int64_t row1 = (out_row1 - 1) * s - py + k > h ? h : (out_row1 - 1) * s - py + k;
    float *rows = malloc((size_t)((row1 - row0) * wide * channels) * sizeof(float));
    if (!rows) abort();
    const int64_t right = wide - px - w; // zero columns after the row (negative: the row is cut)
    for (int64_t iy = row0; iy < row1; iy++) {
        float *dst = rows + (iy - row0) * wide * channels;
        memset(dst, 0, (size_t)(px * channels) * sizeof(float));
        memcpy(dst + px * channels, input + (iy - first_row) * w * channels,
               (size_t)((right < 0 ? w + right : w) * channels) * sizeof(float));
        if (right > 0) memset(dst + (px + w) * channels, 0, (size_t)(right * channels) * sizeof(float));
    }
    return (padded){rows, row0, wide};
}

#if defined(__x86_64__)
#define NAME(x) x##_avx512
#define TARGET __attribute__((target("avx512f")))
#define VEC __m512
#define LANES 16
#define LOAD(p) _mm512_loadu_ps(p)
#define STORE(p, v) _mm512_storeu_ps(p, v)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define CLAMP6(v) _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(6))
#include "depthwise_simd.inc"
#undef NAME
#undef TARGET
#undef VEC
#undef LANES
#undef LOAD
#undef STORE
#undef FMA
#undef CLAMP6

#define NAME(x) x##_avx2
#define TARGET __attribute__((target("avx2,fma")))
#define VEC __m256
#define LANES 8
#define LOAD(p) _mm256_loadu_ps(p)
#define STORE(p, v) _mm256_storeu_ps(p, v)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define CLAMP6(v) _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(6))
#include "depthwise_simd.inc"
#endif

void reco_depthwise(reco_isa isa, const float *input, int64_t first_row, int64_t h, int64_t w, int64_t channels,
                    const float *weights, const float *bias, int64_t k, int64_t stride, int64_t out_row0,
                    int64_t out_row1, float *out) {
#if defined(__x86_64__)
    if (isa == RECO_ISA_AVX512) {
        depthwise_avx512(input, first_row, h, w, channels, weights, bias, k, stride, out_row0, out_row1, out);
        return;
    }
    if (isa == RECO_ISA_AVX2) {
        depthwise_avx2(input, first_row, h, w, channels, weights, bias, k, stride, out_row0, out_row1, out);
        return;
    }
#endif
    depthwise_portable(input, first_row, h, w, channels, weights, bias, k, stride, out_row0, out_row1, out, 0);
}
