// ops/bench/layers: the network's layers one by one (EfficientNet-Lite0 at 224, one image) on reco's
// kernels, compiled in here as they are in the package, one thread, medians of ROUNDS:
//   - each 1×1 convolution in float32 (epilogue included) against OpenBLAS's sgemm of the same shape
//     (the product alone), and in int8 as the int8 network runs it (from or into ReLU6 codes);
//   - each depthwise convolution on float32 activations and on the int8 network's ReLU6 codes.
// Usage: layers ISA ROUNDS (ISA: 0 portable, 1 avx2, 2 avx512).
#include "../../Sources/CVectorKernels/depthwise.c"
#include "../../Sources/CVectorKernels/isa.c"
#include "../../Sources/CVectorKernels/pointwise.c"
#include "../../Sources/CVectorKernels/qpointwise.c"
#include "bench_support.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SECONDS(out, ...) MEDIAN_SECONDS(out, rounds, reps, __VA_ARGS__)

/// How the int8 network runs a 1×1 layer: in float32 (the stem), from floats to floats, from
/// ReLU6 codes (projections), or into codes (expansions).
typedef enum { AS_FLOAT32, FLOATS, FROM_CODES, TO_CODES } int8_kind;

typedef struct {
    const char *name;
    int64_t m, k, n;
    reco_epilogue epilogue;
    int8_kind int8;
    int count; // layers of this shape in the network
} pointwise_layer;

typedef struct {
    int64_t h, channels, k, s, count;
} depthwise_layer;

static float *filled(int64_t count, float scale) {
    float *p = malloc(sizeof(float) * (size_t)count);
    for (int64_t i = 0; i < count; i++) p[i] = scale * (float)((i * 7919) % 13 - 4);
    return p;
}

int main(int argc, char **argv) {
    if (argc != 3) return fprintf(stderr, "usage: layers ISA ROUNDS\n"), 2;
    const reco_isa isa = (reco_isa)atoi(argv[1]);
    int rounds = atoi(argv[2]);
    if (rounds < 1 || rounds > 64) rounds = 5;
    enum { LINEAR = RECO_EPILOGUE_LINEAR, RELU6 = RECO_EPILOGUE_RELU6, RESIDUAL = RECO_EPILOGUE_RESIDUAL };
    const pointwise_layer pointwise[] = {
        {"stem", 12544, 27, 32, RELU6, AS_FLOAT32, 1},     {"b0 project", 12544, 32, 16, LINEAR, FROM_CODES, 1},
        {"b1 expand", 12544, 16, 96, RELU6, TO_CODES, 1},  {"b1 project", 3136, 96, 24, LINEAR, FROM_CODES, 1},
        {"b2 expand", 3136, 24, 144, RELU6, TO_CODES, 2},  {"b2 project", 3136, 144, 24, RESIDUAL, FROM_CODES, 1},
        {"b3 project", 784, 144, 40, LINEAR, FROM_CODES, 1}, {"b4 expand", 784, 40, 240, RELU6, TO_CODES, 2},
        {"b4 project", 784, 240, 40, RESIDUAL, FROM_CODES, 1}, {"b5 project", 196, 240, 80, LINEAR, FROM_CODES, 1},
        {"b6 expand", 196, 80, 480, RELU6, TO_CODES, 3},   {"b6 project", 196, 480, 80, RESIDUAL, FROM_CODES, 2},
        {"b8 project", 196, 480, 112, LINEAR, FROM_CODES, 1}, {"b9 expand", 196, 112, 672, RELU6, TO_CODES, 3},
        {"b9 project", 196, 672, 112, RESIDUAL, FROM_CODES, 2}, {"b11 project", 49, 672, 192, LINEAR, FROM_CODES, 1},
        {"b12 expand", 49, 192, 1152, RELU6, TO_CODES, 4}, {"b12 project", 49, 1152, 192, RESIDUAL, FROM_CODES, 3},
        {"b15 project", 49, 1152, 320, LINEAR, FROM_CODES, 1}, {"head", 49, 320, 1280, RELU6, FLOATS, 1},
    };
    const depthwise_layer depthwise[] = {
        {112, 32, 3, 1, 1}, {112, 96, 3, 2, 1}, {56, 144, 3, 1, 1}, {56, 144, 5, 2, 1},
        {28, 240, 5, 1, 1}, {28, 240, 3, 2, 1}, {14, 480, 3, 1, 2}, {14, 480, 5, 1, 1},
        {14, 672, 5, 1, 2}, {14, 672, 5, 2, 1}, {7, 1152, 5, 1, 3}, {7, 1152, 3, 1, 1},
    };
    printf("%-12s %6s %5s %5s  %9s %9s %9s  (G multiply-adds/s)\n", "1x1", "m", "k", "n", "float32", "openblas",
           "int8");
    double sums[3] = {0};
    for (size_t l = 0; l < sizeof pointwise / sizeof pointwise[0]; l++) {
        const pointwise_layer p = pointwise[l];
        const int64_t m = p.m, k = p.k, n = p.n;
        const int reps = (int)(2e8 / ((double)m * k * n)) + 1;
        float *a = filled(m * k, 0.05f), *w = filled(k * n, 0.01f), *bias = filled(n + 64, 0.1f);
        float *out = malloc(sizeof(float) * (size_t)(m * n)), *residual = filled(m * n, 0.1f);
        float *packed = malloc(sizeof(float) * (size_t)reco_pointwise_packed_count(isa, k, n));
        float *packed_bias = malloc(sizeof(float) * (size_t)(n + 64));
        reco_pointwise_pack(isa, w, 0, bias, k, n, packed, packed_bias);
        int8_t *q = malloc((size_t)reco_qpointwise_packed_bytes(isa, k, n));
        const int64_t padded = reco_qpointwise_padded_columns(isa, n);
        float *scales = malloc(sizeof(float) * (size_t)padded), *qbias = calloc((size_t)padded, sizeof(float));
        int32_t *sums_of = malloc(sizeof(int32_t) * (size_t)padded);
        reco_qpointwise_pack(isa, w, 0, k, n, q, scales, sums_of);
        uint8_t *codes = malloc((size_t)(m * (k > n ? k : n)));
        for (int64_t i = 0; i < m * k; i++) codes[i] = (uint8_t)((i * 31) % 256);
        const float *skip = p.epilogue == RECO_EPILOGUE_RESIDUAL ? residual : NULL;
        double ours, blas, int8;
        SECONDS(ours, reco_pointwise(isa, a, m, k, packed, packed_bias, n, p.epilogue, skip, out));
        SECONDS(blas, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1, a, (int)k, w,
                                  (int)n, 0, out, (int)n));
        if (p.int8 == FROM_CODES)
            SECONDS(int8, reco_qpointwise_from_codes(isa, codes, m, k, q, scales, sums_of, qbias, n, p.epilogue,
                                                     skip, out));
        else if (p.int8 == TO_CODES)
            SECONDS(int8, reco_qpointwise_to_codes(isa, a, m, k, 0.02f, 128, q, scales, sums_of, qbias, n, codes));
        else if (p.int8 == FLOATS)
            SECONDS(int8, reco_qpointwise(isa, a, m, k, 0.02f, 128, q, scales, sums_of, qbias, n, p.epilogue, skip,
                                          out));
        else
            int8 = ours;
        const double g = (double)m * k * n / 1e9;
        printf("%-12s %6lld %5lld %5lld  %9.1f %9.1f %9.1f  x%d\n", p.name, (long long)m, (long long)k, (long long)n,
               g / ours, g / blas, g / int8, p.count);
        sums[0] += ours * p.count, sums[1] += blas * p.count, sums[2] += int8 * p.count;
        free(a), free(w), free(bias), free(out), free(residual), free(packed), free(packed_bias), free(q), free(scales),
            free(qbias), free(sums_of), free(codes);
    }
    printf("1x1 all      %.0f us float32, %.0f us openblas, %.0f us int8 (one image)\n", sums[0] * 1e6, sums[1] * 1e6,
           sums[2] * 1e6);
    printf("RATIO 1x1 float32 / openblas %.2f, int8 / float32 %.2f\n", sums[1] / sums[0], sums[0] / sums[2]);
    printf("\n%-12s %4s %5s %2s %2s  %9s %9s  (G multiply-adds/s)\n", "depthwise", "h", "c", "k", "s", "floats",
           "codes");
    double floats_total = 0, codes_total = 0;
    for (size_t l = 0; l < sizeof depthwise / sizeof depthwise[0]; l++) {
        const depthwise_layer d = depthwise[l];
        const int64_t oh = (d.h + d.s - 1) / d.s, size = d.h * d.h * d.channels;
        // One band of output rows, as the network runs it (128 K floats of expanded rows).
        int64_t band = 128 * 1024 / (d.s * d.h * d.channels);
        band = band < 1 ? 1 : band > oh ? oh : band;
        float *x = filled(size, 0.1f), *w = filled(d.k * d.k * d.channels, 0.01f), *b = filled(d.channels, 0.1f);
        float *y = malloc(sizeof(float) * (size_t)(band * oh * d.channels));
        uint8_t *cx = malloc((size_t)size), *cy = malloc((size_t)(band * oh * d.channels));
        for (int64_t i = 0; i < size; i++) cx[i] = (uint8_t)((i * 31) % 256);
        const int64_t py = pad_before(d.h, d.k, d.s);
        const int reps = (int)(2e7 / ((double)oh * oh * d.channels * d.k * d.k)) + 1;
        double floats, codes;
#define BANDS(call)                                                                                                \
    for (int64_t oy = 0; oy < oh; oy += band) {                                                                    \
        const int64_t oy1 = oy + band > oh ? oh : oy + band, first = oy * d.s - py < 0 ? 0 : oy * d.s - py;        \
        call;                                                                                                      \
    }
        SECONDS(floats, BANDS(reco_depthwise(isa, x + first * d.h * d.channels, first, d.h, d.h, d.channels, w, b,
                                             d.k, d.s, oy, oy1, y)));
        SECONDS(codes, BANDS(reco_depthwise_codes(isa, cx + first * d.h * d.channels, first, d.h, d.h, d.channels, w,
                                                  b, d.k, d.s, oy, oy1, cy)));
        const double g = (double)oh * oh * d.channels * d.k * d.k / 1e9;
        printf("%-12s %4lld %5lld %2lld %2lld  %9.1f %9.1f  x%lld\n", "", (long long)d.h, (long long)d.channels,
               (long long)d.k, (long long)d.s, g / floats, g / codes, (long long)d.count);
        floats_total += floats * d.count, codes_total += codes * d.count;
        free(x), free(w), free(b), free(y), free(cx), free(cy);
    }
    printf("depthwise    %.0f us on floats, %.0f us on codes (one image)\n", floats_total * 1e6, codes_total * 1e6);
    printf("RATIO depthwise codes / floats %.2f\n", floats_total / codes_total);
    return 0;
}
