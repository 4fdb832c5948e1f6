// Which instruction-set path the kernels take: cpuid once, overridable with RECO_ISA for tests and
// benchmarks (and for a machine whose detection is wrong).
#include "network_kernels.h"
#include <stdlib.h>
#include <string.h>

int reco_isa_supported(reco_isa isa) {
    switch (isa) {
    case RECO_ISA_PORTABLE:
        return 1;
#if defined(__x86_64__)
    case RECO_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case RECO_ISA_AVX512:
        return __builtin_cpu_supports("avx512f");
#endif
    default:
        return 0;
    }
}

static int choose(void) {
    const char *forced = getenv("RECO_ISA");
    if (forced && *forced) {
        reco_isa isa;
        if (strcmp(forced, "portable") == 0) isa = RECO_ISA_PORTABLE;
        else if (strcmp(forced, "avx2") == 0) isa = RECO_ISA_AVX2;
        else if (strcmp(forced, "avx512") == 0) isa = RECO_ISA_AVX512;
        else return -1;
        return reco_isa_supported(isa) ? (int)isa : -1;
    }
    if (reco_isa_supported(RECO_ISA_AVX512)) return RECO_ISA_AVX512;
    if (reco_isa_supported(RECO_ISA_AVX2)) return RECO_ISA_AVX2;
    return RECO_ISA_PORTABLE;
}

int reco_isa_default(void) {
    static int chosen = -2; // every thread that races here computes the same value
    int isa = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (isa == -2) {
        isa = choose();
        __atomic_store_n(&chosen, isa, __ATOMIC_RELAXED);
    }
    return isa;
}
