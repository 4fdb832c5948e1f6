#ifndef RECO_RESIZE_KERNELS_H
#define RECO_RESIZE_KERNELS_H
#include <stdint.h>

/// One row of the resize's horizontal pass: dst[x·3 + c] = clip8(½ + Σ_t weights[t·width + x] ·
/// src[offsets[t·width + x] + c]) for c < 3 (RGB), x < width, 22-bit fixed-point weights (Pillow's
/// antialiased bilinear). offsets index bytes of src (a tap past a pixel's window has weight 0 and a
/// valid offset); `available` bytes may be read from src, the largest offset is `largest_offset`.
/// Uses AVX2 when the CPU has it and RECO_ISA allows.
void reco_resize_row(const uint8_t *src, int64_t available, const int32_t *offsets, const int32_t *weights,
                     int64_t taps, int64_t width, int32_t largest_offset, uint8_t *dst);

#endif
