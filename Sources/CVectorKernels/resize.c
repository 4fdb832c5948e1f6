// The two passes of the antialiased bilinear resize (Pillow's algorithm, reproduced to the bit).
// Horizontal: each output pixel is a weighted sum of `taps` neighbouring source pixels, with 22-bit
// fixed-point weights. Integer sums are exact in any order, so SIMD lanes can each compute one
// output pixel. With AVX-512 VBMI, sixteen output pixels take their taps' bytes from up to four
// 64-byte loads with byte permutes (tables made once per call); otherwise AVX2 gathers eight at a
// time. The gathers were most of this pass's time on the AMD machine (7.9 % of `reco embed`,
// 3.4 % with the permutes).
#include "kernel_support.h"
#include "resize_kernels.h"
#include <stdlib.h>

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
/// Output pixels [first, last) of one row, eight at a time by gathers; the rest one at a time.
__attribute__((target("avx2"))) static void row_avx2(const uint8_t *src, const int32_t *offsets,
                                                     const int32_t *weights, int64_t taps, int64_t width,
                                                     int64_t first, int64_t last, uint8_t *dst) {
    const __m256i bytes = _mm256_set1_epi32(0xFF), half = _mm256_set1_epi32(1 << (PRECISION_BITS - 1));
    const __m256i zero = _mm256_setzero_si256(), top = _mm256_set1_epi32(255);
    int64_t x = first;
    for (; x + 8 <= last; x += 8) {
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
    row_portable(src, offsets, weights, taps, width, x, last, dst);
}

static void row_rest(reco_isa isa, const uint8_t *src, int64_t readable, int32_t largest_offset,
                     const int32_t *offsets, const int32_t *weights, int64_t taps, int64_t width, int64_t first,
                     int64_t last, uint8_t *dst);

enum { GROUP = 16, WINDOW = 256 };

/// For one group of sixteen output pixels: where its source window starts (−1: the taps span more
/// than 256 bytes, so the group is gathered instead), whether they span more than 128 (two
/// permutes per tap and colour, else one), and per tap and colour a permute index putting each
/// pixel's byte in the low byte of its 32-bit lane.
typedef struct {
    int32_t start, wide;
    _Alignas(64) uint8_t index[][3][64]; // [taps][colour]
} permute_group;

static int vbmi_supported(reco_isa isa) {
    return isa == RECO_ISA_AVX512 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
}

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static void
rows_vbmi(const uint8_t *src, int64_t src_bytes, int64_t row_bytes, int64_t rows, const int32_t *offsets,
          const int32_t *weights, int64_t taps, int64_t width, int32_t largest_offset, uint8_t *dst) {
    const int64_t groups = width / GROUP;
    const size_t group_bytes = sizeof(permute_group) + (size_t)taps * 3 * 64;
    uint8_t *tables = aligned_alloc(64, (size_t)round_up((int64_t)(groups * group_bytes), 64));
    if (!tables) abort();
    for (int64_t g = 0; g < groups; g++) {
        permute_group *p = (permute_group *)(tables + g * group_bytes);
        int32_t low = offsets[g * GROUP], high = low;
        for (int64_t t = 0; t < taps; t++)
            for (int i = 0; i < GROUP; i++) {
                const int32_t at = offsets[t * width + g * GROUP + i];
                low = at < low ? at : low;
                high = at > high ? at : high;
            }
        p->start = high + 2 - low < WINDOW ? low : -1;
        p->wide = high + 2 - low >= WINDOW / 2;
        for (int64_t t = 0; t < taps; t++)
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 64; i++)
                    p->index[t][c][i] =
                        i % 4 || p->start < 0 ? 0 : (uint8_t)(offsets[t * width + g * GROUP + i / 4] - low + c);
    }
    const __m512i half = _mm512_set1_epi32(1 << (PRECISION_BITS - 1));
    const __m512i zero = _mm512_setzero_si512(), top = _mm512_set1_epi32(255);
    const __mmask64 low_bytes = 0x1111111111111111ULL;
    // R0..R15 G0..G15 B0..B15 → R0 G0 B0 R1 …: byte j of the output is colour j % 3 of pixel j / 3.
    uint8_t interleave_bytes[64] = {0};
    for (int j = 0; j < 48; j++) interleave_bytes[j] = (uint8_t)((j % 3) * 16 + j / 3);
    const __m512i interleave = _mm512_loadu_si512(interleave_bytes);
    for (int64_t y = 0; y < rows; y++) {
        const uint8_t *row = src + y * row_bytes;
        const int64_t readable = src_bytes - y * row_bytes;
        uint8_t *out = dst + y * width * 3;
        for (int64_t g = 0; g < groups; g++) {
            const permute_group *p = (const permute_group *)(tables + g * group_bytes);
            const int64_t x = g * GROUP;
            if (p->start < 0) {
                row_rest(RECO_ISA_AVX512, row, readable, largest_offset, offsets, weights, taps, width, x,
                         x + GROUP, out);
                continue;
            }
            // Masked loads: bytes past the readable end are neither read nor used.
            __m512i window[4];
            for (int i = 0; i < (p->wide ? 4 : 2); i++) {
                const int64_t left = readable - p->start - i * 64;
                const __mmask64 m = left >= 64 ? ~0ULL : left <= 0 ? 0 : (1ULL << left) - 1;
                window[i] = _mm512_maskz_loadu_epi8(m, row + p->start + i * 64);
            }
            __m512i sum[3] = {half, half, half};
            for (int64_t t = 0; t < taps; t++) {
                const __m512i w = _mm512_loadu_si512(weights + t * width + x);
                for (int c = 0; c < 3; c++) {
                    const __m512i index = _mm512_load_si512(p->index[t][c]);
                    __m512i v;
                    if (p->wide) {
                        // The permute reads an index's low 7 bits: bytes from 128 on come from the
                        // second pair of vectors, chosen by bit 7.
                        const __mmask64 upper = _mm512_movepi8_mask(index);
                        v = _mm512_or_si512(
                            _mm512_maskz_permutex2var_epi8(low_bytes & ~upper, window[0], index, window[1]),
                            _mm512_maskz_permutex2var_epi8(low_bytes & upper, window[2], index, window[3]));
                    } else {
                        v = _mm512_maskz_permutex2var_epi8(low_bytes, window[0], index, window[1]);
                    }
                    sum[c] = _mm512_add_epi32(sum[c], _mm512_mullo_epi32(v, w));
                }
            }
            __m128i bytes[3];
            for (int c = 0; c < 3; c++) {
                const __m512i v = _mm512_srai_epi32(sum[c], PRECISION_BITS);
                bytes[c] = _mm512_cvtepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(v, zero), top));
            }
            const __m512i packed = _mm512_inserti32x4(
                _mm512_inserti32x4(_mm512_castsi128_si512(bytes[0]), bytes[1], 1), bytes[2], 2);
            _mm512_mask_storeu_epi8(out + x * 3, (1ULL << 48) - 1, _mm512_permutexvar_epi8(interleave, packed));
        }
        row_rest(RECO_ISA_AVX512, row, readable, largest_offset, offsets, weights, taps, width, groups * GROUP,
                 width, out);
    }
    free(tables);
}
#endif

/// Output pixels [first, last) of one row by gathers, or one at a time where a gather (four bytes
/// at each offset: one past the pixel) would read past the `readable` bytes.
static void row_rest(reco_isa isa, const uint8_t *src, int64_t readable, int32_t largest_offset,
                     const int32_t *offsets, const int32_t *weights, int64_t taps, int64_t width, int64_t first,
                     int64_t last, uint8_t *dst) {
#if defined(__x86_64__)
    if (isa >= RECO_ISA_AVX2 && largest_offset + 4 <= readable) {
        row_avx2(src, offsets, weights, taps, width, first, last, dst);
        return;
    }
#endif
    (void)readable, (void)largest_offset;
    row_portable(src, offsets, weights, taps, width, first, last, dst);
}

void reco_resize_rows(reco_isa isa, const uint8_t *src, int64_t src_bytes, int64_t row_bytes, int64_t rows,
                      const int32_t *offsets, const int32_t *weights, int64_t taps, int64_t width,
                      int32_t largest_offset, uint8_t *dst) {
#if defined(__x86_64__)
    if (vbmi_supported(isa)) {
        rows_vbmi(src, src_bytes, row_bytes, rows, offsets, weights, taps, width, largest_offset, dst);
        return;
    }
#endif
    for (int64_t y = 0; y < rows; y++)
        row_rest(isa, src + y * row_bytes, src_bytes - y * row_bytes, largest_offset, offsets, weights, taps, width, 0,
                 width, dst + y * width * 3);
}

/// Output bytes [first, last) of one row of the vertical pass.
static void column_portable(const uint8_t *src, int64_t row_bytes, const int32_t *weights, int64_t taps,
                            int64_t first, int64_t last, uint8_t *dst) {
    for (int64_t i = first; i < last; i++) {
        int32_t sum = 1 << (PRECISION_BITS - 1);
        for (int64_t t = 0; t < taps; t++) sum += src[t * row_bytes + i] * weights[t];
        dst[i] = clip8(sum);
    }
}

#if defined(__x86_64__)
// The vertical pass: every byte of a row is the same weighted sum down its column, so lanes take
// consecutive bytes (the baseline build's SSE2 has no 32-bit multiply: it was 2.8 % of `reco embed`).
// One loop for both widths: LANES bytes widened to 32 bits, multiplied and summed tap by tap, then
// shifted, clamped to 0...255 and narrowed back to bytes by `store`.
#define COLUMN(name, isa_target, lanes, vec, load_widen, set1, mullo, add, srai, max, min, zero, store)              \
    __attribute__((target(isa_target))) static void name(const uint8_t *src, int64_t row_bytes,                    \
                                                         const int32_t *weights, int64_t taps, uint8_t *dst) {     \
        const vec half = set1(1 << (PRECISION_BITS - 1)), lowest = zero(), top = set1(255);                       \
        int64_t i = 0;                                                                                            \
        for (; i + lanes <= row_bytes; i += lanes) {                                                              \
            vec sum = half;                                                                                       \
            for (int64_t t = 0; t < taps; t++)                                                                    \
                sum = add(sum, mullo(load_widen(src + t * row_bytes + i), set1(weights[t])));                     \
            store(dst + i, min(max(srai(sum, PRECISION_BITS), lowest), top));                                     \
        }                                                                                                         \
        column_portable(src, row_bytes, weights, taps, i, row_bytes, dst);                                        \
    }

__attribute__((target("avx512f,avx512bw"))) static inline __m512i widen16(const uint8_t *p) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
}
__attribute__((target("avx512f,avx512bw"))) static inline void store16(uint8_t *p, __m512i v) {
    _mm_storeu_si128((__m128i *)p, _mm512_cvtepi32_epi8(v));
}
__attribute__((target("avx2"))) static inline __m256i widen8(const uint8_t *p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
}
/// 32-bit lanes in 0...255 → bytes: pack to 16 bits, then to 8 (within 128-bit halves).
__attribute__((target("avx2"))) static inline void store8(uint8_t *p, __m256i v) {
    const __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)p, _mm_packus_epi16(words, words));
}

COLUMN(column_avx512, "avx512f,avx512bw", 16, __m512i, widen16, _mm512_set1_epi32, _mm512_mullo_epi32, _mm512_add_epi32,
       _mm512_srai_epi32, _mm512_max_epi32, _mm512_min_epi32, _mm512_setzero_si512, store16)
COLUMN(column_avx2, "avx2", 8, __m256i, widen8, _mm256_set1_epi32, _mm256_mullo_epi32, _mm256_add_epi32,
       _mm256_srai_epi32, _mm256_max_epi32, _mm256_min_epi32, _mm256_setzero_si256, store8)
#endif

void reco_resize_column_row(reco_isa isa, const uint8_t *src, int64_t row_bytes, const int32_t *weights,
                            int64_t taps, uint8_t *dst) {
#if defined(__x86_64__)
    if (isa == RECO_ISA_AVX512 && __builtin_cpu_supports("avx512bw")) {
        column_avx512(src, row_bytes, weights, taps, dst);
        return;
    }
    if (isa >= RECO_ISA_AVX2) {
        column_avx2(src, row_bytes, weights, taps, dst);
        return;
    }
#endif
    column_portable(src, row_bytes, weights, taps, 0, row_bytes, dst);
}
