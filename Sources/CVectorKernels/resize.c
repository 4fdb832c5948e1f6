// The horizontal pass of the antialiased bilinear resize (Pillow's algorithm, reproduced to the
// bit): each output pixel is a weighted sum of `taps` neighbouring source pixels, with 22-bit
// fixed-point weights. Integer sums are exact in any order, so AVX2 can compute eight output pixels
// at once, gathering each tap's source pixel (four bytes: R, G, B and the next pixel's R).
#include "network_kernels.h"
#include "resize_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { PRECISION_BITS = 22 };

static inline uint8_t clip8(int32_t v) {
    if (v >= (1 << (PRECISION_BITS + 8))) return 255;
    if (v <= 0) return 0;
    return (uint8_t)(v >> PRECISION_BITS);
}

static void row_portable(const uint8_t *src, const int32_t *offsets, const int32_t *weights, int64_t taps,
                         int64_t width, int64_t first, int64_t last, uint8_t *dst) {
    for (int64_t x = first; x < last; x++) {
        int32_t r = 1 << (PRECISION_BITS - 1), g = r, b = r;
        for (int64_t t = 0; t < taps; t++) {
            const uint8_t *p = src + offsets[t * width + x];
            const int32_t w = weights[t * width + x];
            r += p[0] * w;
            g += p[1] * w;
            b += p[2] * w;
        }
        dst[x * 3] = clip8(r);
        dst[x * 3 + 1] = clip8(g);
        dst[x * 3 + 2] = clip8(b);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void row_avx2(const uint8_t *src, const int32_t *offsets,
                                                     const int32_t *weights, int64_t taps, int64_t width,
                                                     uint8_t *dst) {
    const __m256i bytes = _mm256_set1_epi32(0xFF), half = _mm256_set1_epi32(1 << (PRECISION_BITS - 1));
    const __m256i zero = _mm256_setzero_si256(), top = _mm256_set1_epi32(255);
    int64_t x = 0;
    for (; x + 8 <= width; x += 8) {
        __m256i r = half, g = half, b = half;
        for (int64_t t = 0; t < taps; t++) {
            const __m256i at = _mm256_loadu_si256((const __m256i *)(offsets + t * width + x));
            const __m256i w = _mm256_loadu_si256((const __m256i *)(weights + t * width + x));
            const __m256i p = _mm256_i32gather_epi32((const int *)src, at, 1);
            r = _mm256_add_epi32(r, _mm256_mullo_epi32(_mm256_and_si256(p, bytes), w));
            g = _mm256_add_epi32(g, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srli_epi32(p, 8), bytes), w));
            b = _mm256_add_epi32(b, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srli_epi32(p, 16), bytes), w));
        }
        // clip8: negative sums to 0, sums past 255.999… to 255 (the same as the scalar clip).
        int32_t out[3][8];
        const __m256i sums[3] = {r, g, b};
        for (int c = 0; c < 3; c++) {
            const __m256i v = _mm256_srai_epi32(sums[c], PRECISION_BITS);
            _mm256_storeu_si256((__m256i *)out[c], _mm256_min_epi32(_mm256_max_epi32(v, zero), top));
        }
        for (int i = 0; i < 8; i++) {
            dst[(x + i) * 3] = (uint8_t)out[0][i];
            dst[(x + i) * 3 + 1] = (uint8_t)out[1][i];
            dst[(x + i) * 3 + 2] = (uint8_t)out[2][i];
        }
    }
    row_portable(src, offsets, weights, taps, width, x, width, dst);
}
#endif

void reco_resize_row(const uint8_t *src, int64_t available, const int32_t *offsets, const int32_t *weights,
                     int64_t taps, int64_t width, int32_t largest_offset, uint8_t *dst) {
#if defined(__x86_64__)
    // The gather reads four bytes at each offset: one past the pixel, which must still be in the buffer.
    if (reco_isa_default() >= RECO_ISA_AVX2 && largest_offset + 4 <= available) {
        row_avx2(src, offsets, weights, taps, width, dst);
        return;
    }
#endif
    (void)available, (void)largest_offset;
    row_portable(src, offsets, weights, taps, width, 0, width, dst);
}
