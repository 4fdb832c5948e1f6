// 1×1 convolutions as a register-blocked GEMM with the weights packed once at load.
// Why not OpenBLAS here: sgemm re-packs the weights on every call and leaves bias, ReLU6 and the
// residual to separate passes over memory; these layers have small k (16–1152), where that
// overhead is a large share. Here the weights are packed at load into panels of NR columns, the
// micro-kernel broadcasts straight from MR input rows (packing them per call measured 11–18 % of
// the network's time), the bias starts the accumulators, and ReLU6 / the residual are applied in
// registers before the one store.
#include "kernel_support.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct {
    int64_t mr, nr;
} shape;

static shape shape_of(reco_isa isa) {
    switch (isa) {
    case RECO_ISA_AVX512: return (shape){14, 32};
    case RECO_ISA_AVX2: return (shape){6, 16};
    default: return (shape){4, 8};
    }
}

/// Width of the last panel: none when NR divides n; half a panel when the columns left fit in one
/// (the SIMD paths have half-width kernels: 40 channels run as 32 + 16, not 64); else a whole one.
static int64_t tail_width(reco_isa isa, int64_t n) {
    const int64_t nr = shape_of(isa).nr, rest = n % nr;
    if (rest == 0) return 0;
    return isa != RECO_ISA_PORTABLE && rest <= nr / 2 ? nr / 2 : nr;
}

static int64_t padded_columns(reco_isa isa, int64_t n) {
    return n / shape_of(isa).nr * shape_of(isa).nr + tail_width(isa, n);
}

int64_t reco_pointwise_packed_count(reco_isa isa, int64_t k, int64_t n) { return k * padded_columns(isa, n); }

void reco_pointwise_pack(reco_isa isa, const float *weights, int transposed, const float *bias, int64_t k, int64_t n,
                         float *packed, float *packed_bias) {
    const int64_t nr = shape_of(isa).nr, padded = padded_columns(isa, n);
    // Each panel holds its columns for every input channel: k rows of the panel's width, panel
    // after panel (the last may be half as wide).
    float *dst = packed;
    for (int64_t col0 = 0; col0 < padded; col0 += nr) {
        const int64_t width = padded - col0 < nr ? padded - col0 : nr;
        for (int64_t q = 0; q < k; q++) {
            for (int64_t j = 0, col = col0; j < width; j++, col++) {
                *dst++ = col >= n ? 0 : weight_at(weights, transposed, k, n, q, col);
            }
        }
    }
    for (int64_t j = 0; j < padded; j++) packed_bias[j] = j < n && bias ? bias[j] : 0;
}

/// One MR×NR tile: input rows a (row stride k; rows past `rows` repeat the last, computed and not
/// stored), b_panel [k × NR], the tile's bias; stores `rows` × `cols` at out (row stride ldo),
/// adding residual (same stride) first when asked.
typedef void (*micro_kernel)(const float *a, const float *b_panel, int64_t k, const float *bias,
                             reco_epilogue epilogue, const float *residual, float *out, int64_t ldo,
                             int64_t rows, int64_t cols);

static void micro_portable(const float *a, const float *b_panel, int64_t k, const float *bias,
                           reco_epilogue epilogue, const float *residual, float *out, int64_t ldo, int64_t rows,
                           int64_t cols) {
    enum { MR = 4, NR = 8 };
    float acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) acc[r][j] = bias[j];
    for (int64_t q = 0; q < k; q++)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] += a[(r < rows ? r : rows - 1) * k + q] * b_panel[q * NR + j];
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++)
            out[r * ldo + j] = finish(acc[r][j], epilogue, residual ? residual + r * ldo + j : NULL);
}

#if defined(__x86_64__)
#define NAME(x) x##_avx512
#define TARGET __attribute__((target("avx512f")))
#define VEC __m512
#define LANES 16
#define MASK_T __mmask16
#define MASKS_ARE_FREE 1
#define MASK(count) mask16(count)
#define LOAD(p) _mm512_loadu_ps(p)
#define LOADM(p, m) _mm512_maskz_loadu_ps(m, p)
#define STORE(p, v) _mm512_storeu_ps(p, v)
#define STOREM(p, v, m) _mm512_mask_storeu_ps(p, m, v)
#define SET1(x) _mm512_set1_ps(x)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define CLAMP6(v) _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(6))
#define ADD(a, b) _mm512_add_ps(a, b)
#include "pointwise_simd.inc"
#undef NAME
#undef TARGET
#undef VEC
#undef LANES
#undef MASK_T
#undef MASKS_ARE_FREE
#undef MASK
#undef LOAD
#undef LOADM
#undef STORE
#undef STOREM
#undef SET1
#undef FMA
#undef CLAMP6
#undef ADD

#define NAME(x) x##_avx2
#define TARGET __attribute__((target("avx2,fma")))
#define VEC __m256
#define LANES 8
#define MASK_T __m256i
#define MASKS_ARE_FREE 0
#define MASK(count) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define LOAD(p) _mm256_loadu_ps(p)
#define LOADM(p, m) _mm256_maskload_ps(p, m)
#define STORE(p, v) _mm256_storeu_ps(p, v)
#define STOREM(p, v, m) _mm256_maskstore_ps(p, m, v)
#define SET1(x) _mm256_set1_ps(x)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define CLAMP6(v) _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(6))
#define ADD(a, b) _mm256_add_ps(a, b)
#include "pointwise_simd.inc"

// Each path in a few row counts and two panel widths (whole: 2 vectors of columns; half: 1). A
// block of 49 rows (7×7 pixels) runs as 14+14+14+8, not 4×14; 40 channels as 32 + 16, not 64.
#define MICRO(name, isa_target, tile, mr, nv)                                                                   \
    isa_target static void name(const float *a, const float *b, int64_t k, const float *bias, reco_epilogue e, \
                                const float *res, float *out, int64_t ldo, int64_t rows, int64_t cols) {       \
        tile(a, b, k, bias, e, res, out, ldo, rows, cols, mr, nv);                                             \
    }
MICRO(micro_avx512_14, __attribute__((target("avx512f"))), tile_avx512, 14, 2)
MICRO(micro_avx512_8, __attribute__((target("avx512f"))), tile_avx512, 8, 2)
MICRO(micro_avx512_4, __attribute__((target("avx512f"))), tile_avx512, 4, 2)
MICRO(micro_avx512_half_14, __attribute__((target("avx512f"))), tile_avx512, 14, 1)
MICRO(micro_avx512_half_4, __attribute__((target("avx512f"))), tile_avx512, 4, 1)
MICRO(micro_avx2_6, __attribute__((target("avx2,fma"))), tile_avx2, 6, 2)
MICRO(micro_avx2_3, __attribute__((target("avx2,fma"))), tile_avx2, 3, 2)
MICRO(micro_avx2_half_6, __attribute__((target("avx2,fma"))), tile_avx2, 6, 1)
MICRO(micro_avx2_half_3, __attribute__((target("avx2,fma"))), tile_avx2, 3, 1)
#endif

/// The micro-kernel for a block of `rows` rows (≤ the path's MR) of a whole or half-width panel:
/// the smallest that covers them.
static micro_kernel micro_of(reco_isa isa, int64_t rows, int half) {
#if defined(__x86_64__)
    if (isa == RECO_ISA_AVX512 && half) return rows > 4 ? micro_avx512_half_14 : micro_avx512_half_4;
    if (isa == RECO_ISA_AVX512) return rows > 8 ? micro_avx512_14 : rows > 4 ? micro_avx512_8 : micro_avx512_4;
    if (isa == RECO_ISA_AVX2 && half) return rows > 3 ? micro_avx2_half_6 : micro_avx2_half_3;
    if (isa == RECO_ISA_AVX2) return rows > 3 ? micro_avx2_6 : micro_avx2_3;
#endif
    (void)rows, (void)half;
    return micro_portable;
}

void reco_pointwise(reco_isa isa, const float *input, int64_t m, int64_t k, const float *packed,
                    const float *packed_bias, int64_t n, reco_epilogue epilogue, const float *residual, float *out) {
    const shape s = shape_of(isa);
    const int64_t padded = padded_columns(isa, n);
    // Panels in groups of at most 256 KB, each group passing over every row block while it stays in
    // L2. Without it a large matrix streamed from L3 or memory for every row block: the search
    // index's 1280 × 4,000 centroids (20 MB) ran at 82 G multiply-adds/s, grouped at 121. The
    // network's layers gain or lose nothing either way (measured on its shapes).
    const int64_t group_floats = 64 * 1024;
    int64_t group = group_floats / (k * s.nr) * s.nr;
    if (group < s.nr) group = s.nr;
    for (int64_t first = 0; first < padded; first += group) {
        const int64_t last = first + group < padded ? first + group : padded;
        // Row blocks: a block's MR input rows stay in L1 while the group's panels pass over them.
        for (int64_t i = 0; i < m; i += s.mr) {
            const int64_t rows = m - i < s.mr ? m - i : s.mr;
            const micro_kernel whole = micro_of(isa, rows, 0), half = micro_of(isa, rows, 1);
            for (int64_t col = first; col < last; col += s.nr) {
                const int64_t width = padded - col < s.nr ? padded - col : s.nr;
                const int64_t cols = n - col < width ? n - col : width;
                (width == s.nr ? whole : half)(input + i * k, packed + col * k, k, packed_bias + col, epilogue,
                                               residual ? residual + i * n + col : NULL, out + i * n + col, n,
                                               rows, cols);
            }
        }
    }
}
