// 1×1 convolutions as a register-blocked GEMM with the weights packed once at load.
// Why not OpenBLAS here: sgemm re-packs the weights on every call and leaves bias, ReLU6 and the
// residual to separate passes over memory; these layers have small k (16–1152), where that
// overhead is a large share. Here the weights are packed at load into panels of NR columns, the
// micro-kernel broadcasts straight from MR input rows (packing them per call measured 11–18 % of
// the network's time), the bias starts the accumulators, and ReLU6 / the residual are applied in
// registers before the one store.
#include "network_kernels.h"

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

void reco_pointwise_pack(reco_isa isa, const float *weights, const float *bias, int64_t k, int64_t n,
                         float *packed, float *packed_bias) {
    const int64_t nr = shape_of(isa).nr, padded = padded_columns(isa, n);
    // Each panel holds its columns for every input channel: k rows of the panel's width, panel
    // after panel (the last may be half as wide).
    float *dst = packed;
    for (int64_t col0 = 0; col0 < padded; col0 += nr) {
        const int64_t width = padded - col0 < nr ? padded - col0 : nr;
        for (int64_t q = 0; q < k; q++) {
            for (int64_t j = 0; j < width; j++) *dst++ = col0 + j < n ? weights[q * n + col0 + j] : 0;
        }
    }
    for (int64_t j = 0; j < padded; j++) packed_bias[j] = j < n ? bias[j] : 0;
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
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < cols; j++) {
            float x = acc[r][j];
            if (epilogue == RECO_EPILOGUE_RELU6) x = x > 0 ? (x < 6 ? x : 6) : 0;
            else if (epilogue == RECO_EPILOGUE_RESIDUAL) x += residual[r * ldo + j];
            out[r * ldo + j] = x;
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static inline __m256i mask8(int64_t cols) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), lane);
}

__attribute__((target("avx2,fma"), always_inline)) static inline void
micro_avx2(const float *a, const float *b_panel, int64_t k, const float *bias, reco_epilogue epilogue,
           const float *residual, float *out, int64_t ldo, int64_t rows, int64_t cols, const int MR) {
    const float *row[14];
    for (int r = 0; r < MR; r++) row[r] = a + (r < rows ? r : rows - 1) * k;
    __m256 acc[6][2];
    const __m256 bias0 = _mm256_loadu_ps(bias), bias1 = _mm256_loadu_ps(bias + 8);
    for (int r = 0; r < MR; r++) acc[r][0] = bias0, acc[r][1] = bias1;
    for (int64_t q = 0; q < k; q++) {
        const __m256 b0 = _mm256_loadu_ps(b_panel + q * 16), b1 = _mm256_loadu_ps(b_panel + q * 16 + 8);
        for (int r = 0; r < MR; r++) {
            const __m256 x = _mm256_broadcast_ss(row[r] + q);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    const __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6);
    const __m256i m0 = mask8(cols), m1 = mask8(cols - 8);
    const int full = cols == 16;
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        __m256 y0 = acc[r][0], y1 = acc[r][1];
        float *o = out + r * ldo;
        if (epilogue == RECO_EPILOGUE_RELU6) {
            y0 = _mm256_min_ps(_mm256_max_ps(y0, zero), six);
            y1 = _mm256_min_ps(_mm256_max_ps(y1, zero), six);
        } else if (epilogue == RECO_EPILOGUE_RESIDUAL) {
            const float *s = residual + r * ldo;
            y0 = _mm256_add_ps(y0, full ? _mm256_loadu_ps(s) : _mm256_maskload_ps(s, m0));
            y1 = _mm256_add_ps(y1, full ? _mm256_loadu_ps(s + 8) : _mm256_maskload_ps(s + 8, m1));
        }
        if (full) {
            _mm256_storeu_ps(o, y0);
            _mm256_storeu_ps(o + 8, y1);
        } else {
            _mm256_maskstore_ps(o, m0, y0);
            _mm256_maskstore_ps(o + 8, m1, y1);
        }
    }
}

__attribute__((target("avx512f"), always_inline)) static inline void
micro_avx512(const float *a, const float *b_panel, int64_t k, const float *bias, reco_epilogue epilogue,
             const float *residual, float *out, int64_t ldo, int64_t rows, int64_t cols, const int MR) {
    const float *row[14];
    for (int r = 0; r < MR; r++) row[r] = a + (r < rows ? r : rows - 1) * k;
    __m512 acc[14][2];
    const __m512 bias0 = _mm512_loadu_ps(bias), bias1 = _mm512_loadu_ps(bias + 16);
    for (int r = 0; r < MR; r++) acc[r][0] = bias0, acc[r][1] = bias1;
    for (int64_t q = 0; q < k; q++) {
        const __m512 b0 = _mm512_loadu_ps(b_panel + q * 32), b1 = _mm512_loadu_ps(b_panel + q * 32 + 16);
        for (int r = 0; r < MR; r++) {
            const __m512 x = _mm512_set1_ps(row[r][q]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6);
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        __m512 y0 = acc[r][0], y1 = acc[r][1];
        float *o = out + r * ldo;
        if (epilogue == RECO_EPILOGUE_RELU6) {
            y0 = _mm512_min_ps(_mm512_max_ps(y0, zero), six);
            y1 = _mm512_min_ps(_mm512_max_ps(y1, zero), six);
        } else if (epilogue == RECO_EPILOGUE_RESIDUAL) {
            const float *s = residual + r * ldo;
            y0 = _mm512_add_ps(y0, _mm512_maskz_loadu_ps(m0, s));
            y1 = _mm512_add_ps(y1, _mm512_maskz_loadu_ps(m1, s + 16));
        }
        _mm512_mask_storeu_ps(o, m0, y0);
        _mm512_mask_storeu_ps(o + 16, m1, y1);
    }
}

/// The half-width panels' kernels: one vector of columns per row.
__attribute__((target("avx512f"), always_inline)) static inline void
micro_avx512_half(const float *a, const float *b_panel, int64_t k, const float *bias, reco_epilogue epilogue,
                  const float *residual, float *out, int64_t ldo, int64_t rows, int64_t cols, const int MR) {
    const float *row[14];
    for (int r = 0; r < MR; r++) row[r] = a + (r < rows ? r : rows - 1) * k;
    __m512 acc[14];
    const __m512 bias0 = _mm512_loadu_ps(bias);
    for (int r = 0; r < MR; r++) acc[r] = bias0;
    for (int64_t q = 0; q < k; q++) {
        const __m512 b0 = _mm512_loadu_ps(b_panel + q * 16);
        for (int r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(row[r][q]), b0, acc[r]);
    }
    const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6);
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        __m512 y0 = acc[r];
        if (epilogue == RECO_EPILOGUE_RELU6) y0 = _mm512_min_ps(_mm512_max_ps(y0, zero), six);
        else if (epilogue == RECO_EPILOGUE_RESIDUAL)
            y0 = _mm512_add_ps(y0, _mm512_maskz_loadu_ps(m0, residual + r * ldo));
        _mm512_mask_storeu_ps(out + r * ldo, m0, y0);
    }
}

__attribute__((target("avx2,fma"), always_inline)) static inline void
micro_avx2_half(const float *a, const float *b_panel, int64_t k, const float *bias, reco_epilogue epilogue,
                const float *residual, float *out, int64_t ldo, int64_t rows, int64_t cols, const int MR) {
    const float *row[6];
    for (int r = 0; r < MR; r++) row[r] = a + (r < rows ? r : rows - 1) * k;
    __m256 acc[6];
    const __m256 bias0 = _mm256_loadu_ps(bias);
    for (int r = 0; r < MR; r++) acc[r] = bias0;
    for (int64_t q = 0; q < k; q++) {
        const __m256 b0 = _mm256_loadu_ps(b_panel + q * 8);
        for (int r = 0; r < MR; r++) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(row[r] + q), b0, acc[r]);
    }
    const __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6);
    const __m256i m0 = mask8(cols);
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        __m256 y0 = acc[r];
        if (epilogue == RECO_EPILOGUE_RELU6) y0 = _mm256_min_ps(_mm256_max_ps(y0, zero), six);
        else if (epilogue == RECO_EPILOGUE_RESIDUAL)
            y0 = _mm256_add_ps(y0, _mm256_maskload_ps(residual + r * ldo, m0));
        _mm256_maskstore_ps(out + r * ldo, m0, y0);
    }
}

// Each path in a few row counts: a block of 49 rows (7×7 pixels) runs as 14+14+14+8, not 4×14.
#define MICRO(name, isa_target, kernel, mr)                                                                       \
    isa_target static void name(const float *a, const float *b, int64_t k, const float *bias, reco_epilogue e,   \
                                const float *res, float *out, int64_t ldo, int64_t rows, int64_t cols) {         \
        kernel(a, b, k, bias, e, res, out, ldo, rows, cols, mr);                                                 \
    }
MICRO(micro_avx512_14, __attribute__((target("avx512f"))), micro_avx512, 14)
MICRO(micro_avx512_8, __attribute__((target("avx512f"))), micro_avx512, 8)
MICRO(micro_avx512_4, __attribute__((target("avx512f"))), micro_avx512, 4)
MICRO(micro_avx2_6, __attribute__((target("avx2,fma"))), micro_avx2, 6)
MICRO(micro_avx2_3, __attribute__((target("avx2,fma"))), micro_avx2, 3)
MICRO(micro_avx512_half_14, __attribute__((target("avx512f"))), micro_avx512_half, 14)
MICRO(micro_avx512_half_4, __attribute__((target("avx512f"))), micro_avx512_half, 4)
MICRO(micro_avx2_half_6, __attribute__((target("avx2,fma"))), micro_avx2_half, 6)
MICRO(micro_avx2_half_3, __attribute__((target("avx2,fma"))), micro_avx2_half, 3)
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
    // Row blocks outermost: a block's MR input rows stay in L1 while every panel passes over them.
    for (int64_t i = 0; i < m; i += s.mr) {
        const int64_t rows = m - i < s.mr ? m - i : s.mr;
        const micro_kernel whole = micro_of(isa, rows, 0), half = micro_of(isa, rows, 1);
        for (int64_t col = 0; col < padded; col += s.nr) {
            const int64_t width = padded - col < s.nr ? padded - col : s.nr;
            const int64_t cols = n - col < width ? n - col : width;
            (width == s.nr ? whole : half)(input + i * k, packed + col * k, k, packed_bias + col, epilogue,
                                           residual ? residual + i * n + col : NULL, out + i * n + col, n, rows,
                                           cols);
        }
    }
}
