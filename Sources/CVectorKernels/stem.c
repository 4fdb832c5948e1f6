// The stem's patches, read straight from the network's uint8 input and normalised as they are
// copied: one pass instead of a normalised float copy of the input and then a copy of that (the
// two were ~3 % of an int8 `reco embed` run, in Swift).
#include "kernel_support.h"
#include <string.h>

static inline float normalised(uint8_t x) { return ((float)x - 127.0f) / 128.0f; }

void reco_stem_patches(const uint8_t *input, int64_t h, int64_t channels, int64_t k, int64_t stride,
                       int64_t out_row0, int64_t out_row1, float *out) {
    const int64_t pad = pad_before(h, k, stride), ow = (h + stride - 1) / stride;
    const int64_t span = k * channels; // one kernel row of a patch: k pixels, contiguous in the input
    float *o = out;
    for (int64_t oy = out_row0; oy < out_row1; oy++) {
        for (int64_t ox = 0; ox < ow; ox++) {
            const int64_t ix0 = ox * stride - pad;
            const int whole = ix0 >= 0 && ix0 + k <= h;
            for (int64_t ky = 0; ky < k; ky++, o += span) {
                const int64_t iy = oy * stride - pad + ky;
                if (iy < 0 || iy >= h) {
                    memset(o, 0, (size_t)span * sizeof(float));
                } else if (whole) {
                    const uint8_t *row = input + (iy * h + ix0) * channels;
                    for (int64_t j = 0; j < span; j++) o[j] = normalised(row[j]);
                } else {
                    for (int64_t kx = 0; kx < k; kx++) {
                        const int64_t ix = ix0 + kx;
                        for (int64_t c = 0; c < channels; c++)
                            o[kx * channels + c] =
                                ix >= 0 && ix < h ? normalised(input[(iy * h + ix) * channels + c]) : 0;
                    }
                }
            }
        }
    }
}
