// Small pieces the kernel files share (not part of the module's public headers).
#ifndef RECO_KERNEL_SUPPORT_H
#define RECO_KERNEL_SUPPORT_H
#include "network_kernels.h"
#include <math.h>
#include <stddef.h>
#include <stdint.h>

static inline int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

/// Element (q, c) of a k×n weight matrix stored as is or transposed ([n × k]): what both packers
/// read.
static inline float weight_at(const float *weights, int transposed, int64_t k, int64_t n, int64_t q, int64_t c) {
    return transposed ? weights[c * k + q] : weights[q * n + c];
}

/// TF-SAME padding: the zero rows (or columns) before an input of `size` for a k-wide window at
/// stride s.
static inline int64_t pad_before(int64_t size, int64_t k, int64_t s) {
    const int64_t out = (size + s - 1) / s;
    const int64_t total = (out - 1) * s + k - size;
    return total > 0 ? total / 2 : 0;
}

/// A 1×1 convolution's epilogue on one value: ReLU6, the residual add, or nothing.
static inline float finish(float v, reco_epilogue epilogue, const float *residual) {
    if (epilogue == RECO_EPILOGUE_RELU6) return v > 0 ? (v < 6 ? v : 6) : 0;
    if (epilogue == RECO_EPILOGUE_RESIDUAL) return v + *residual;
    return v;
}

/// x as uint8 with x ≈ (q − zero) / inverse: rounded to nearest even, saturated to 0...255.
static inline uint8_t quantise(float x, float inverse, int32_t zero) {
    const float v = nearbyintf(x * inverse) + (float)zero;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/// Activations as a kernel reads or writes them: float32 (`floats`), or ReLU6 outputs as uint8
/// codes (`codes`, x = q · RECO_RELU6_CODE_STEP). One of the two is set.
typedef struct {
    const float *floats;
    const uint8_t *codes;
} source;
typedef struct {
    float *floats;
    uint8_t *codes;
} destination;
#define FLOATS_IN(p) (source){(p), NULL}
#define CODES_IN(p) (source){NULL, (p)}
#define FLOATS_OUT(p) (destination){(p), NULL}
#define CODES_OUT(p) (destination){NULL, (p)}

/// The first `count` of 16 lanes (none for count ≤ 0), as an AVX-512 mask.
static inline uint16_t mask16(int64_t count) {
    return count >= 16 ? 0xFFFF : count <= 0 ? 0 : (uint16_t)((1u << count) - 1);
}

#endif
