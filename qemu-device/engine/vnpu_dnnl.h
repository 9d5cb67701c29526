/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu command engine: oneDNN matmul and convolution primitives for GEMM
 * and CONV2D (vnpu_dnnl.c). Each call returns false when oneDNN cannot
 * run the case well (engine built without it, shape or CPU it has no
 * optimised kernel for, any oneDNN error): the caller then uses its own
 * path, which gives the same results (bit-exact for integers).
 */
#ifndef VNPU_DNNL_H
#define VNPU_DNNL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * c = a x b for a [M, K], b [K, N], c [M, N], strides in elements (c's
 * columns are contiguous). Dtypes (VNPU_DT_*), a, b -> c:
 *  - U8 or I8, I8 -> I32: the exact int32 sums of the raw products (the
 *    caller keeps K small enough that no partial sum overflows and checks
 *    vnpu_dnnl_int8_exact());
 *  - BF16, BF16 -> F32 (binary32 accumulation);
 *  - F32, F32 -> F32.
 */
typedef struct VnpuDnnlMatmul {
    unsigned a_dt, b_dt, c_dt;
    uint64_t M, N, K;
    const void *a;
    int64_t a_rs, a_cs;
    const void *b;
    int64_t b_rs, b_cs;
    void *c;
    int64_t c_rs;
} VnpuDnnlMatmul;

bool vnpu_dnnl_matmul(const VnpuDnnlMatmul *m);

/*
 * F32 NHWC convolution: out = act(conv(in, wt) + bias) with act NONE,
 * RELU or RELU6 (others: the caller applies them to out afterwards).
 * Strides in elements; wt is dense [oc][kh][kw][c / groups].
 */
typedef struct VnpuDnnlConv {
    uint64_t n, h, w, c, oc, kh, kw, oh, ow, groups;
    uint64_t sh, sw, dh, dw, pt, pl, pb, pr;
    const float *in;
    int64_t in_s[4];
    const float *wt;
    const float *bias;          /* [oc], or NULL */
    float *out;
    int64_t out_s[4];
    unsigned act;
} VnpuDnnlConv;

bool vnpu_dnnl_conv(const VnpuDnnlConv *cv);

/*
 * oneDNN's int8 sums are exact (no intermediate saturation): the ISA it
 * dispatches to has VNNI or AMX (CPU and DNNL_MAX_CPU_ISA).
 */
/* oneDNN is built in and not turned off (VNPU_ENGINE_NO_DNNL). */
bool vnpu_dnnl_enabled(void);

bool vnpu_dnnl_int8_exact(void);

#endif /* VNPU_DNNL_H */
