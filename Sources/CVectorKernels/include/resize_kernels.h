#ifndef RECO_RESIZE_KERNELS_H
#define RECO_RESIZE_KERNELS_H
#include "network_kernels.h"
#include <stdint.h>

/// Rows of the resize's horizontal pass: for each of `rows` rows (row y at src + y·row_bytes, of
/// which src_bytes − y·row_bytes may be read), dst[y·width·3 + x·3 + c] = clip8(½ + Σ_t
/// weights[t·width + x] · row[offsets[t·width + x] + c]) for c < 3 (RGB), x < width, 22-bit
/// fixed-point weights (Pillow's antialiased bilinear). offsets index bytes of a row (a tap past a
/// pixel's window has weight 0 and an offset inside it); the largest is `largest_offset`. Uses
/// AVX-512 VBMI or AVX2 where `isa` (a path this CPU supports) allows.
void reco_resize_rows(reco_isa isa, const uint8_t *src, int64_t src_bytes, int64_t row_bytes, int64_t rows,
                      const int32_t *offsets, const int32_t *weights, int64_t taps, int64_t width,
                      int32_t largest_offset, uint8_t *dst);

/// One output row of the vertical pass: dst[i] = clip8(½ + Σ_t weights[t] · src[t·row_bytes + i]) for
/// i < row_bytes: `taps` consecutive rows of the horizontal pass's output, 22-bit fixed-point weights.
void reco_resize_column_row(reco_isa isa, const uint8_t *src, int64_t row_bytes, const int32_t *weights,
                            int64_t taps, uint8_t *dst);

#endif
