// Why C: Swift's integer loops are compiled for the baseline x86-64 (SSE2) and widened int8
// through the stack (3.4 G multiply-adds/s measured); this kernel takes
// AVX-512BW or AVX2 as the CPU and RECO_ISA allow.
#include "vector_kernels.h"
#include "network_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// One loop for both widths: LANES int8 codes per step, sign-extended to int16 and multiplied in
// pairs into int32 (vpmaddwd); AVX-512BW does twice AVX2's lanes.
#define SCORES(name, isa_target, lanes, vec, half, load_half, widen, madd, add, zero, reduce)                      \
    __attribute__((target(isa_target))) static void name(const int8_t *codes, const float *scales,               \
                                                     const int8_t *query, float query_scale, int64_t rows,     \
                                                     int64_t dims, float *out) {                              \
        const int64_t wide = dims & ~(int64_t)(lanes - 1);                                                     \
        for (int64_t i = 0; i < rows; i++) {                                                                   \
            const int8_t *row = codes + i * dims;                                                              \
            vec acc = zero();                                                                                  \
            for (int64_t j = 0; j < wide; j += lanes) {                                                        \
                const vec a = widen(load_half((const half *)(row + j)));                                       \
                acc = add(acc, madd(a, widen(load_half((const half *)(query + j)))));                          \
            }                                                                                                  \
            int32_t sum = reduce(acc);                                                                         \
            for (int64_t j = wide; j < dims; j++) sum += (int32_t)row[j] * (int32_t)query[j];                  \
            out[i] = (float)sum * scales[i] * query_scale;                                                     \
        }                                                                                                      \
    }

__attribute__((target("avx2"))) static inline int32_t reduce_avx2(__m256i acc) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

SCORES(scores_avx2, "avx2", 16, __m256i, __m128i, _mm_loadu_si128, _mm256_cvtepi8_epi16, _mm256_madd_epi16,
       _mm256_add_epi32, _mm256_setzero_si256, reduce_avx2)
SCORES(scores_avx512, "avx512f,avx512bw", 32, __m512i, __m256i, _mm256_loadu_si256, _mm512_cvtepi8_epi16,
       _mm512_madd_epi16, _mm512_add_epi32, _mm512_setzero_si512, _mm512_reduce_add_epi32)
#endif

static void scores_portable(const int8_t *codes, const float *scales, const int8_t *query, float query_scale,
                            int64_t rows, int64_t dims, float *out) {
    for (int64_t i = 0; i < rows; i++) {
        const int8_t *row = codes + i * dims;
        int32_t sum = 0;
        for (int64_t j = 0; j < dims; j++) sum += (int32_t)row[j] * (int32_t)query[j];
        out[i] = (float)sum * scales[i] * query_scale;
    }
}

void reco_int8_scores_isa(reco_isa isa, const int8_t *codes, const float *scales, const int8_t *query,
                          float query_scale, int64_t rows, int64_t dims, float *out) {
#if defined(__x86_64__)
    if (isa == RECO_ISA_AVX512 && __builtin_cpu_supports("avx512bw")) {
        scores_avx512(codes, scales, query, query_scale, rows, dims, out);
        return;
    }
    if (isa >= RECO_ISA_AVX2 && __builtin_cpu_supports("avx2")) {
        scores_avx2(codes, scales, query, query_scale, rows, dims, out);
        return;
    }
#endif
    scores_portable(codes, scales, query, query_scale, rows, dims, out);
}

void reco_int8_scores(const int8_t *codes, const float *scales, const int8_t *query, float query_scale,
                      int64_t rows, int64_t dims, float *out) {
    const int isa = reco_isa_default();
    reco_int8_scores_isa(isa < 0 ? RECO_ISA_PORTABLE : (reco_isa)isa, codes, scales, query, query_scale, rows, dims,
                         out);
}
