#ifndef RECO_VECTOR_KERNELS_H
#define RECO_VECTOR_KERNELS_H
#include <stdint.h>
#include "network_kernels.h"

/// out[i] = scales[i] * query_scale * Σ_j codes[i*dims + j] * query[j], for i < rows.
/// Int8 dot products with 32-bit sums (exact for dims < 133,000). Uses AVX-512BW or AVX2 when the CPU
/// has it and RECO_ISA allows.
void reco_int8_scores(const int8_t *codes, const float *scales, const int8_t *query, float query_scale,
                      int64_t rows, int64_t dims, float *out);


/// The same on a given path (falling back to a narrower one the CPU lacks): for tests.
void reco_int8_scores_isa(reco_isa isa, const int8_t *codes, const float *scales, const int8_t *query,
                          float query_scale, int64_t rows, int64_t dims, float *out);

/// Asks for the cache line holding `p` without waiting for it: reads of scattered data issued
/// together overlap their misses.
static inline void reco_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
