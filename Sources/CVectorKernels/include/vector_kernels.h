#ifndef RECO_VECTOR_KERNELS_H
#define RECO_VECTOR_KERNELS_H
#include <stdint.h>

/// out[i] = scales[i] * query_scale * Σ_j codes[i*dims + j] * query[j], for i < rows.
/// Int8 dot products with 32-bit sums (exact for dims < 133,000). Uses AVX2 when the CPU has it and RECO_ISA does not say portable.
void reco_int8_scores(const int8_t *codes, const float *scales, const int8_t *query, float query_scale,
                      int64_t rows, int64_t dims, float *out);

#endif
