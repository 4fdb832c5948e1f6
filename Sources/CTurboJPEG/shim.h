#include <turbojpeg.h>

/* TJSCALED is a macro, which Swift cannot import. */
static inline int reco_tj_scaled(int dimension, tjscalingfactor factor) {
    return TJSCALED(dimension, factor);
}
