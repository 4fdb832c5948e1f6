// ops/bench/gemm: the products behind nearest-centroid search (rows × centroidsᵀ) on reco's packed
// kernels (Sources/CVectorKernels, compiled in here as they are in the package) against OpenBLAS's
// sgemm, one thread each, in one run. Usage: gemm M K N ROUNDS.
#include "../../Sources/CVectorKernels/isa.c"
#include "../../Sources/CVectorKernels/pointwise.c"
#include "../../Sources/CVectorKernels/qpointwise.c"
#include "bench_support.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

// Median G multiply-adds/s of `rounds` timed runs of `reps` products each, printed and kept in `out`.
#define MEASURE(out, label, call)                                                                            \
    do {                                                                                                     \
        double seconds;                                                                                      \
        MEDIAN_SECONDS(seconds, rounds, reps, call);                                                         \
        out = (double)m * k * n / seconds / 1e9;                                                             \
        printf("GEMM %-28s %7.1f G multiply-adds/s\n", label, out);                                          \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 5) return fprintf(stderr, "usage: gemm M K N ROUNDS\n"), 2;
    const int64_t m = atoll(argv[1]), k = atoll(argv[2]), n = atoll(argv[3]);
    int rounds = atoi(argv[4]);
    if (rounds < 1 || rounds > 64) rounds = 5;
    const int reps = (int)(4e9 / ((double)m * k * n)) + 1;
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * n * k), *c = malloc(sizeof(float) * m * n);
    srand(1);
    for (int64_t i = 0; i < m * k; i++) a[i] = (float)(rand() % 255 - 127);  // int8 codes, unscaled
    for (int64_t i = 0; i < n * k; i++) b[i] = (float)((double)rand() / RAND_MAX - 0.5);
    openblas_set_num_threads(1);
    printf("shape %ld × %ld by %ld (rows × dims by centroids), one thread\n", (long)m, (long)k, (long)n);
    double openblas = 0, best_float = 0, best_int8 = 0, rate = 0;
    MEASURE(openblas, "openblas sgemm",
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1, a, (int)k, b, (int)k, 0, c,
                        (int)n));
    printf("     (OpenBLAS core: %s)\n", openblas_get_corename());
    for (int isa = RECO_ISA_AVX2; isa <= RECO_ISA_AVX512; isa++) {
        if (!reco_isa_supported(isa)) continue;
        char label[64];
        float *packed = malloc(sizeof(float) * reco_pointwise_packed_count(isa, k, n));
        float *bias = malloc(sizeof(float) * (n + 64));
        reco_pointwise_pack(isa, b, 1, NULL, k, n, packed, bias);
        snprintf(label, sizeof label, "reco float32 %s", isa == RECO_ISA_AVX512 ? "avx512" : "avx2");
        MEASURE(rate, label, reco_pointwise(isa, a, m, k, packed, bias, n, RECO_EPILOGUE_LINEAR, NULL, c));
        if (rate > best_float) best_float = rate;
        const int64_t padded = reco_qpointwise_padded_columns(isa, n);
        int8_t *q = malloc(reco_qpointwise_packed_bytes(isa, k, n));
        float *scales = malloc(sizeof(float) * padded);
        int32_t *sums = malloc(sizeof(int32_t) * padded);
        float *qbias = calloc(padded, sizeof(float));
        reco_qpointwise_pack(isa, b, 1, k, n, q, scales, sums);
        snprintf(label, sizeof label, "reco int8 %s", reco_qpointwise_kernel(isa));
        MEASURE(rate, label,
                reco_qpointwise(isa, a, m, k, 1, 128, q, scales, sums, qbias, n, RECO_EPILOGUE_LINEAR, NULL, c));
        if (rate > best_int8) best_int8 = rate;
        free(packed), free(bias), free(q), free(scales), free(sums), free(qbias);
    }
    printf("RATIO reco float32 / openblas %.2f, reco int8 / openblas %.2f (best path of each)\n",
           best_float / openblas, best_int8 / openblas);
    free(a), free(b), free(c);
    return 0;
}
