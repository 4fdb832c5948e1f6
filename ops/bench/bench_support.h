// What the C benchmarks (ops/bench/gemm.c, ops/bench/layers.c) share: a monotonic clock and the
// median of a few timed rounds.
#ifndef RECO_BENCH_SUPPORT_H
#define RECO_BENCH_SUPPORT_H
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/// The median of `count` values (reorders them).
static double median(double *values, int count) {
    qsort(values, (size_t)count, sizeof values[0], by_value);
    return values[count / 2];
}

/// The median seconds of one call (the variadic part) over `rounds` (≤ 64) timed runs of `reps`
/// calls each, after one call to warm up.
#define MEDIAN_SECONDS(out, rounds, reps, ...)                                                                 \
    do {                                                                                                       \
        double times_[64];                                                                                     \
        __VA_ARGS__;                                                                                           \
        for (int r_ = 0; r_ < (rounds); r_++) {                                                                \
            const double t0_ = now();                                                                          \
            for (int i_ = 0; i_ < (reps); i_++) __VA_ARGS__;                                                   \
            times_[r_] = (now() - t0_) / (reps);                                                               \
        }                                                                                                      \
        out = median(times_, rounds);                                                                          \
    } while (0)

#endif
