// The tool's CUDA kernels, compiled to PTX by scripts/ptx.py (NVRTC, no GPU
// needed) into kernels.ptx, which the binary embeds and the driver compiles
// for the GPU at run time: the build needs no CUDA toolkit, the portable
// build still only libc. Keep kernels.ptx in step (a unit test of `cuda`
// checks the hash this file had when it was generated).

// NVDEC's nv12 (limited range, BT.601 or BT.709) as packed BGR, one thread a
// pixel, chroma taken from its 2x2 block: what `pixfmt::nv12_to_bgr` does on
// the CPU, within one code value.
extern "C" __global__ void nv12_to_bgr(const unsigned char *luma, unsigned int luma_pitch,
                                       const unsigned char *chroma, unsigned int chroma_pitch,
                                       unsigned char *bgr, unsigned int bgr_pitch,
                                       unsigned int width, unsigned int height, int bt709) {
    unsigned int x = blockIdx.x * blockDim.x + threadIdx.x;
    unsigned int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= width || y >= height) return;
    float kr = bt709 ? 0.2126f : 0.299f;
    float kb = bt709 ? 0.0722f : 0.114f;
    float kg = 1.0f - kr - kb;
    const unsigned char *c = chroma + (y >> 1) * chroma_pitch + (x & ~1u);
    float l = ((float)luma[y * luma_pitch + x] - 16.0f) * (255.0f / 219.0f);
    float u = ((float)c[0] - 128.0f) * (255.0f / 224.0f);
    float v = ((float)c[1] - 128.0f) * (255.0f / 224.0f);
    float r = l + 2.0f * (1.0f - kr) * v;
    float b = l + 2.0f * (1.0f - kb) * u;
    float g = l - (2.0f * (1.0f - kb) * kb * u + 2.0f * (1.0f - kr) * kr * v) / kg;
    unsigned char *o = bgr + y * bgr_pitch + 3 * x;
    o[0] = (unsigned char)fminf(fmaxf(b + 0.5f, 0.0f), 255.0f);
    o[1] = (unsigned char)fminf(fmaxf(g + 0.5f, 0.0f), 255.0f);
    o[2] = (unsigned char)fminf(fmaxf(r + 0.5f, 0.0f), 255.0f);
}

// The overlay layer composited onto an nv12 frame, one thread a 2x2 block of
// the drawn regions, read from `src` and written to `dst` (a copy of it):
// regions may overlap (a caption over a box's side), and a block computed
// twice is written twice with the same value. A region is packed as the
// style drew it over black, then over white (B, G, R rows of its width):
// over black a pixel is
// its colour times its coverage, the white showing through is what of the
// frame shows through, so the result is the style's drawing on this frame
// (`overlay::layer`; BT.709 limited range with the layer's fixed-point
// coefficients). `regions` holds six ints a region: x0, y0, x1, y1 (even),
// the byte offset of its pack, and the number of blocks before it.
__device__ int through(const unsigned char *b, const unsigned char *w) {
    int t = 0;
    for (int c = 0; c < 3; c++) t += w[c] > b[c] ? w[c] - b[c] : 0;
    return (t + 1) / 3;  // 255 - coverage, as `layer::alpha`
}

extern "C" __global__ void composite_regions(const unsigned char *src_luma,
                                             const unsigned char *src_chroma,
                                             unsigned int src_pitch, unsigned char *luma,
                                             unsigned char *chroma, unsigned int pitch,
                                             const unsigned char *packs, const int *regions,
                                             int count, int blocks) {
    int block = blockIdx.x * blockDim.x + threadIdx.x;
    if (block >= blocks) return;
    int r = 0;
    while (r + 1 < count && regions[6 * (r + 1) + 5] <= block) r++;
    const int *reg = regions + 6 * r;
    int x0 = reg[0], y0 = reg[1], x1 = reg[2], y1 = reg[3];
    int half_w = (x1 - x0) / 2;
    int local = block - reg[5];
    int bx = x0 + 2 * (local % half_w), by = y0 + 2 * (local / half_w);
    int rw = x1 - x0, rh = y1 - y0;
    const unsigned char *black = packs + reg[4];
    const unsigned char *white = black + 3 * rw * rh;
    int sum_b = 0, sum_g = 0, sum_r = 0, sum_t = 0;
    for (int dy = 0; dy < 2; dy++) {
        for (int dx = 0; dx < 2; dx++) {
            int i = 3 * ((by + dy - y0) * rw + (bx + dx - x0));
            const unsigned char *pb = black + i, *pw = white + i;
            int t = through(pb, pw);
            int under = src_luma[(by + dy) * src_pitch + bx + dx];
            int premultiplied = 47 * pb[2] + 157 * pb[1] + 16 * pb[0];
            int shown = t * (under - 16);
            float y = 16.0f + premultiplied / 256.0f + shown / 255.0f;
            luma[(by + dy) * pitch + bx + dx] = (unsigned char)fminf(fmaxf(y + 0.5f, 0.0f), 255.0f);
            sum_b += pb[0]; sum_g += pb[1]; sum_r += pb[2]; sum_t += t;
        }
    }
    const unsigned char *c = src_chroma + (by / 2) * src_pitch + bx;
    unsigned char *out = chroma + (by / 2) * pitch + bx;
    int cb = -26 * sum_r - 87 * sum_g + 112 * sum_b;  // 4 x 256 x premultiplied chroma
    int cr = 112 * sum_r - 102 * sum_g - 10 * sum_b;
    float u = 128.0f + cb / 1024.0f + sum_t * ((int)c[0] - 128) / 1020.0f;
    float v = 128.0f + cr / 1024.0f + sum_t * ((int)c[1] - 128) / 1020.0f;
    out[0] = (unsigned char)fminf(fmaxf(u + 0.5f, 0.0f), 255.0f);
    out[1] = (unsigned char)fminf(fmaxf(v + 0.5f, 0.0f), 255.0f);
}
