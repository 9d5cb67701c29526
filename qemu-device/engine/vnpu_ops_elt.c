/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu command engine: data movement and element-wise ops: COPY_ND,
 * ELTWISE, ACTIVATION, SOFTMAX, LAYERNORM/RMSNORM, REDUCE, POOL2D and the
 * conversions. Contiguous F32 operands take vectorisable fast paths; the
 * general path works per element in double (see DOC: Numerics).
 */
#include <stdlib.h>

#include "vnpu_engine_int.h"

/* Effective stride: 0 along broadcast (extent 1) dimensions. */
static inline uint64_t vnpu_bstride(const VnpuTensor *t, unsigned i)
{
    return t->shape[i] == 1 ? 0 : t->stride[i] * t->esize;
}

/* The single-input ops accept F32, BF16, I8 and U8, one dtype in and out. */
static uint32_t vnpu_unary_types(const VnpuTensor *in, const VnpuTensor *out)
{
    if (in->dtype != out->dtype || in->dtype == VNPU_DT_I32) {
        return VNPU_JOB_BAD_DTYPE;
    }
    if (in->qmode == VNPU_QMODE_CHANNEL || out->qmode == VNPU_QMODE_CHANNEL) {
        return VNPU_JOB_BAD_QUANT;
    }
    return VNPU_JOB_OK;
}

/* Decode in (T0) and out (T1) of a two-tensor command. */
static uint32_t vnpu_decode_io(const uint8_t *cmd, VnpuTensor *in,
                               VnpuTensor *out)
{
    uint32_t st;

    st = vnpu_tensor_decode(cmd + VNPU_T0, false, in);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T1, false, out);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    return VNPU_JOB_OK;
}

/* Run @fn between acquiring and releasing in/out. */
static uint32_t vnpu_run_io(VnpuRun *r, VnpuTensor *in, VnpuTensor *out,
                            uint32_t (*fn)(VnpuRun *, VnpuTensor *,
                                           VnpuTensor *, const uint8_t *),
                            const uint8_t *cmd)
{
    VnpuTensor *ins[] = { in };
    uint32_t st = vnpu_tensors_acquire(r, ins, 1, out);

    if (st == VNPU_JOB_OK) {
        st = fn(r, in, out, cmd);
    }
    return vnpu_tensors_release(r, ins, 1, out, st);
}

/* ---- COPY_ND ---- */

static uint32_t vnpu_copy_nd_run(VnpuRun *r, VnpuTensor *src, VnpuTensor *dst,
                                 const uint8_t *cmd)
{
    const uint8_t *perm = cmd + VNPU_T2;
    unsigned off = 4 - dst->rank;
    uint64_t ss[4] = { 0, 0, 0, 0 }, ds[4];
    unsigned es = dst->esize;

    for (unsigned k = 0; k < dst->rank; k++) {
        ss[off + k] = src->stride[off + perm[k]] * es;
    }
    for (unsigned i = 0; i < 4; i++) {
        ds[i] = dst->stride[i] * es;
    }
    for (uint64_t i0 = 0; i0 < dst->shape[0]; i0++) {
        for (uint64_t i1 = 0; i1 < dst->shape[1]; i1++) {
            for (uint64_t i2 = 0; i2 < dst->shape[2]; i2++) {
                const uint8_t *s = src->base + i0 * ss[0] + i1 * ss[1] +
                                   i2 * ss[2];
                uint8_t *d = dst->base + i0 * ds[0] + i1 * ds[1] + i2 * ds[2];
                uint64_t n = dst->shape[3];

                if (vnpu_work(r, n)) {
                    return VNPU_JOB_ABORTED;
                }
                if ((ss[3] == es || n == 1) && (ds[3] == es || n == 1)) {
                    memcpy(d, s, n * es);
                    continue;
                }
                for (uint64_t i3 = 0; i3 < n; i3++) {
                    memcpy(d + i3 * ds[3], s + i3 * ss[3], es);
                }
            }
        }
    }
    return VNPU_JOB_OK;
}

uint32_t vnpu_op_copy_nd(VnpuRun *r, const uint8_t *cmd)
{
    const uint8_t *perm = cmd + VNPU_T2;
    VnpuTensor src, dst;
    unsigned seen = 0;
    uint32_t st;

    if (vnpu_ld32(cmd + VNPU_T2 + 4)) {
        return VNPU_JOB_BAD_CMD;
    }
    st = vnpu_decode_io(cmd, &src, &dst);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (src.rank != dst.rank) {
        return VNPU_JOB_BAD_TENSOR;
    }
    for (unsigned k = 0; k < 4; k++) {
        if (k >= dst.rank ? perm[k] != 0 :
            perm[k] >= dst.rank || (seen & (1u << perm[k]))) {
            return VNPU_JOB_BAD_CMD;
        }
        if (k < dst.rank) {
            seen |= 1u << perm[k];
        }
    }
    if (src.dtype != dst.dtype) {
        return VNPU_JOB_BAD_DTYPE;
    }
    if (src.qmode != VNPU_QMODE_NONE || dst.qmode != VNPU_QMODE_NONE) {
        return VNPU_JOB_BAD_QUANT;
    }
    for (unsigned k = 0; k < dst.rank; k++) {
        unsigned off = 4 - dst.rank;

        if (dst.shape[off + k] != src.shape[off + perm[k]]) {
            return VNPU_JOB_BAD_TENSOR;
        }
    }
    st = vnpu_tensor_check_out(&dst);
    st = st ? st : vnpu_tensor_check_alias(&dst, &src, false);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    return vnpu_run_io(r, &src, &dst, vnpu_copy_nd_run, cmd);
}

/* ---- ELTWISE ---- */

static inline double vnpu_elt(unsigned op, double a, double b)
{
    switch (op) {
    case VNPU_ELT_ADD:
        return a + b;
    case VNPU_ELT_SUB:
        return a - b;
    case VNPU_ELT_MUL:
        return a * b;
    case VNPU_ELT_DIV:
        return a / b;
    case VNPU_ELT_MAX:
        return a > b ? a : b;
    default:
        return a < b ? a : b;
    }
}

static inline int32_t vnpu_elt_i32(unsigned op, int32_t a, int32_t b)
{
    switch (op) {
    case VNPU_ELT_ADD:
        return (int32_t)((uint32_t)a + (uint32_t)b);
    case VNPU_ELT_SUB:
        return (int32_t)((uint32_t)a - (uint32_t)b);
    case VNPU_ELT_MUL:
        return (int32_t)((uint32_t)a * (uint32_t)b);
    case VNPU_ELT_DIV:
        if (b == 0) {
            return 0;
        }
        if (a == INT32_MIN && b == -1) {
            return INT32_MIN;
        }
        return a / b;
    case VNPU_ELT_MAX:
        return a > b ? a : b;
    default:
        return a < b ? a : b;
    }
}

/* F32 row: d[i] = a[i * sa] op b[i * sb] (sa, sb in {0, 1}). */
static VNPU_HOT void vnpu_elt_row_f32(unsigned op, float *d, const float *a,
                                      uint64_t sa, const float *b,
                                      uint64_t sb, uint64_t n)
{
    switch (op) {
    case VNPU_ELT_ADD:
        for (uint64_t i = 0; i < n; i++) {
            d[i] = a[i * sa] + b[i * sb];
        }
        break;
    case VNPU_ELT_SUB:
        for (uint64_t i = 0; i < n; i++) {
            d[i] = a[i * sa] - b[i * sb];
        }
        break;
    case VNPU_ELT_MUL:
        for (uint64_t i = 0; i < n; i++) {
            d[i] = a[i * sa] * b[i * sb];
        }
        break;
    case VNPU_ELT_DIV:
        for (uint64_t i = 0; i < n; i++) {
            d[i] = a[i * sa] / b[i * sb];
        }
        break;
    case VNPU_ELT_MAX:
        for (uint64_t i = 0; i < n; i++) {
            float x = a[i * sa], y = b[i * sb];

            d[i] = x > y ? x : y;
        }
        break;
    default:
        for (uint64_t i = 0; i < n; i++) {
            float x = a[i * sa], y = b[i * sb];

            d[i] = x < y ? x : y;
        }
        break;
    }
}

uint32_t vnpu_op_eltwise(VnpuRun *r, const uint8_t *cmd)
{
    VnpuTensor a, b, out;
    VnpuTensor *ins[] = { &a, &b };
    unsigned op = vnpu_ld32(cmd + VNPU_T3);
    unsigned act = vnpu_ld32(cmd + VNPU_T3 + 4);
    uint64_t as[4], bs[4], os[4], n;
    bool fast;
    uint32_t st;

    if (op >= VNPU_ELT_COUNT || act >= VNPU_ACT_COUNT) {
        return VNPU_JOB_BAD_CMD;
    }
    st = vnpu_tensor_decode(cmd + VNPU_T0, false, &a);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T1, false, &b);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T2, false, &out);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    for (unsigned i = 0; i < 4; i++) {
        if ((a.shape[i] != 1 && a.shape[i] != out.shape[i]) ||
            (b.shape[i] != 1 && b.shape[i] != out.shape[i])) {
            return VNPU_JOB_BAD_TENSOR;
        }
    }
    if (a.dtype != out.dtype || b.dtype != out.dtype ||
        (out.dtype == VNPU_DT_I32 && act != VNPU_ACT_NONE)) {
        return VNPU_JOB_BAD_DTYPE;
    }
    if (a.qmode == VNPU_QMODE_CHANNEL || b.qmode == VNPU_QMODE_CHANNEL ||
        out.qmode == VNPU_QMODE_CHANNEL ||
        (out.dtype == VNPU_DT_I32 && (a.qmode || b.qmode || out.qmode))) {
        return VNPU_JOB_BAD_QUANT;
    }
    st = vnpu_tensor_check_out(&out);
    st = st ? st : vnpu_tensor_check_alias(&out, &a, true);
    st = st ? st : vnpu_tensor_check_alias(&out, &b, true);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    st = vnpu_tensors_acquire(r, ins, 2, &out);
    if (st != VNPU_JOB_OK) {
        return vnpu_tensors_release(r, ins, 2, &out, st);
    }
    for (unsigned i = 0; i < 4; i++) {
        as[i] = vnpu_bstride(&a, i);
        bs[i] = vnpu_bstride(&b, i);
        os[i] = out.stride[i] * out.esize;
    }
    n = out.shape[3];
    fast = out.dtype == VNPU_DT_F32 && (os[3] == 4 || n == 1) &&
           (as[3] == 4 || as[3] == 0) && (bs[3] == 4 || bs[3] == 0);
    for (uint64_t i0 = 0; i0 < out.shape[0]; i0++) {
        for (uint64_t i1 = 0; i1 < out.shape[1]; i1++) {
            for (uint64_t i2 = 0; i2 < out.shape[2]; i2++) {
                const uint8_t *pa = a.base + i0 * as[0] + i1 * as[1] +
                                    i2 * as[2];
                const uint8_t *pb = b.base + i0 * bs[0] + i1 * bs[1] +
                                    i2 * bs[2];
                uint8_t *po = out.base + i0 * os[0] + i1 * os[1] + i2 * os[2];

                if (vnpu_work(r, n)) {
                    return vnpu_tensors_release(r, ins, 2, &out,
                                                VNPU_JOB_ABORTED);
                }
                if (fast) {
                    vnpu_elt_row_f32(op, (float *)po, (const float *)pa,
                                     as[3] / 4, (const float *)pb, bs[3] / 4,
                                     n);
                    if (act != VNPU_ACT_NONE) {
                        float *d = (float *)po;

                        for (uint64_t i = 0; i < n; i++) {
                            d[i] = vnpu_act(act, d[i]);
                        }
                    }
                    continue;
                }
                for (uint64_t i3 = 0; i3 < n; i3++) {
                    const uint8_t *x = pa + i3 * as[3], *y = pb + i3 * bs[3];
                    uint8_t *z = po + i3 * os[3];

                    if (out.dtype == VNPU_DT_I32) {
                        vnpu_sti(VNPU_DT_I32, z,
                                 vnpu_elt_i32(op, vnpu_ldi(VNPU_DT_I32, x),
                                              vnpu_ldi(VNPU_DT_I32, y)));
                    } else {
                        vnpu_put(&out, z, vnpu_act(act,
                                 vnpu_elt(op, vnpu_get(&a, x, 0),
                                          vnpu_get(&b, y, 0))), 0);
                    }
                }
            }
        }
    }
    return vnpu_tensors_release(r, ins, 2, &out, VNPU_JOB_OK);
}

/* ---- ACTIVATION ---- */

/* Contiguous F32 rows of RELU / RELU6 (vectorised). */
static VNPU_HOT void vnpu_relu_row_f32(float *d, const float *x, uint64_t n,
                                       float hi)
{
    for (uint64_t i = 0; i < n; i++) {
        float f = x[i] > 0 ? x[i] : 0;

        d[i] = f < hi ? f : hi;
    }
}

static uint32_t vnpu_act_run(VnpuRun *r, VnpuTensor *in, VnpuTensor *out,
                             const uint8_t *cmd)
{
    unsigned act = vnpu_ld32(cmd + VNPU_T2);
    uint64_t n = out->shape[3];
    uint64_t si = in->stride[3] * in->esize, so = out->stride[3] * out->esize;
    bool fast = in->dtype == VNPU_DT_F32 &&
                (act == VNPU_ACT_RELU || act == VNPU_ACT_RELU6) &&
                ((si == 4 && so == 4) || n == 1);

    for (uint64_t i0 = 0; i0 < out->shape[0]; i0++) {
        for (uint64_t i1 = 0; i1 < out->shape[1]; i1++) {
            for (uint64_t i2 = 0; i2 < out->shape[2]; i2++) {
                const uint8_t *x = in->base + vnpu_toff(in, i0, i1, i2, 0);
                uint8_t *z = out->base + vnpu_toff(out, i0, i1, i2, 0);

                if (vnpu_work(r, n)) {
                    return VNPU_JOB_ABORTED;
                }
                if (fast) {
                    vnpu_relu_row_f32((float *)z, (const float *)x, n,
                                      act == VNPU_ACT_RELU ? INFINITY : 6);
                    continue;
                }
                for (uint64_t i3 = 0; i3 < n; i3++) {
                    vnpu_put(out, z + i3 * so,
                             vnpu_act(act, vnpu_get(in, x + i3 * si, 0)), 0);
                }
            }
        }
    }
    return VNPU_JOB_OK;
}

/* Common checks of ACTIVATION, SOFTMAX and REDUCE. */
static uint32_t vnpu_unary_prep(const uint8_t *cmd, VnpuTensor *in,
                                VnpuTensor *out, bool same_shape,
                                bool inplace_ok)
{
    uint32_t st;

    if (vnpu_ld32(cmd + VNPU_T2 + 4)) {
        return VNPU_JOB_BAD_CMD;
    }
    st = vnpu_decode_io(cmd, in, out);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (same_shape && (in->rank != out->rank || !vnpu_shape_eq(in, out))) {
        return VNPU_JOB_BAD_TENSOR;
    }
    st = vnpu_unary_types(in, out);
    st = st ? st : vnpu_tensor_check_out(out);
    st = st ? st : vnpu_tensor_check_alias(out, in, inplace_ok);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    return VNPU_JOB_OK;
}

uint32_t vnpu_op_activation(VnpuRun *r, const uint8_t *cmd)
{
    unsigned act = vnpu_ld32(cmd + VNPU_T2);
    VnpuTensor in, out;
    uint32_t st;

    if (act == VNPU_ACT_NONE || act >= VNPU_ACT_COUNT) {
        return VNPU_JOB_BAD_CMD;
    }
    st = vnpu_unary_prep(cmd, &in, &out, true, true);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    return vnpu_run_io(r, &in, &out, vnpu_act_run, cmd);
}

/* ---- SOFTMAX ---- */

/*
 * Call @fn for every lane along normalised axis @ax: the lane's first
 * element offsets in @in and @out.
 */
static uint32_t vnpu_lanes(VnpuRun *r, const VnpuTensor *in,
                           const VnpuTensor *out, unsigned ax,
                           void (*fn)(const VnpuTensor *, const VnpuTensor *,
                                      const uint8_t *, uint8_t *,
                                      const void *),
                           const void *arg)
{
    uint64_t n[4], i[4];

    for (unsigned k = 0; k < 4; k++) {
        n[k] = k == ax ? 1 : in->shape[k];
    }
    for (i[0] = 0; i[0] < n[0]; i[0]++) {
        for (i[1] = 0; i[1] < n[1]; i[1]++) {
            for (i[2] = 0; i[2] < n[2]; i[2]++) {
                for (i[3] = 0; i[3] < n[3]; i[3]++) {
                    if (vnpu_work(r, in->shape[ax])) {
                        return VNPU_JOB_ABORTED;
                    }
                    fn(in, out,
                       in->base + vnpu_toff(in, i[0], i[1], i[2], i[3]),
                       out->base + vnpu_toff(out, i[0], i[1], i[2], i[3]),
                       arg);
                }
            }
        }
    }
    return VNPU_JOB_OK;
}

typedef struct VnpuLane {
    unsigned ax;
    double eps;
    const VnpuTensor *gamma, *beta;
    bool rms;
} VnpuLane;

static void vnpu_softmax_lane(const VnpuTensor *in, const VnpuTensor *out,
                              const uint8_t *x, uint8_t *z, const void *arg)
{
    const VnpuLane *l = arg;
    uint64_t n = in->shape[l->ax];
    uint64_t si = in->stride[l->ax] * in->esize;
    uint64_t so = out->stride[l->ax] * out->esize;
    double mx = -INFINITY, sum = 0;

    for (uint64_t i = 0; i < n; i++) {
        double v = vnpu_get(in, x + i * si, 0);

        mx = v > mx ? v : mx;
    }
    if (out->dtype == VNPU_DT_F32) {
        /* Keep exp(x - max) in the output: one exp per element. */
        for (uint64_t i = 0; i < n; i++) {
            double e = exp(vnpu_get(in, x + i * si, 0) - mx);

            vnpu_stf(z + i * so, (float)e);
            sum += e;
        }
        for (uint64_t i = 0; i < n; i++) {
            vnpu_stf(z + i * so, (float)(vnpu_ldf(z + i * so) / sum));
        }
        return;
    }
    for (uint64_t i = 0; i < n; i++) {
        sum += exp(vnpu_get(in, x + i * si, 0) - mx);
    }
    for (uint64_t i = 0; i < n; i++) {
        vnpu_put(out, z + i * so, exp(vnpu_get(in, x + i * si, 0) - mx) / sum,
                 0);
    }
}

static uint32_t vnpu_softmax_run(VnpuRun *r, VnpuTensor *in, VnpuTensor *out,
                                 const uint8_t *cmd)
{
    VnpuLane l = { .ax = 4 - in->rank + vnpu_ld32(cmd + VNPU_T2) };

    return vnpu_lanes(r, in, out, l.ax, vnpu_softmax_lane, &l);
}

uint32_t vnpu_op_softmax(VnpuRun *r, const uint8_t *cmd)
{
    VnpuTensor in, out;
    uint32_t st = vnpu_unary_prep(cmd, &in, &out, true, false);

    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (vnpu_ld32(cmd + VNPU_T2) >= in.rank) {
        return VNPU_JOB_BAD_CMD;
    }
    return vnpu_run_io(r, &in, &out, vnpu_softmax_run, cmd);
}

/* ---- LAYERNORM / RMSNORM ---- */

static void vnpu_norm_lane(const VnpuTensor *in, const VnpuTensor *out,
                           const uint8_t *x, uint8_t *z, const void *arg)
{
    const VnpuLane *l = arg;
    uint64_t n = in->shape[3];
    uint64_t si = in->stride[3] * in->esize, so = out->stride[3] * out->esize;
    double mean = 0, var = 0, inv;

    for (uint64_t i = 0; i < n; i++) {
        double v = vnpu_get(in, x + i * si, 0);

        mean += l->rms ? v * v : v;
    }
    mean /= n;
    if (l->rms) {
        inv = 1.0 / sqrt(mean + l->eps);
        mean = 0;
    } else {
        for (uint64_t i = 0; i < n; i++) {
            double d = vnpu_get(in, x + i * si, 0) - mean;

            var += d * d;
        }
        inv = 1.0 / sqrt(var / n + l->eps);
    }
    for (uint64_t i = 0; i < n; i++) {
        double y = (vnpu_get(in, x + i * si, 0) - mean) * inv;

        if (l->gamma->rank) {
            y *= vnpu_get(l->gamma, l->gamma->base +
                          vnpu_toff(l->gamma, 0, 0, 0, i), 0);
        }
        if (l->beta->rank) {
            y += vnpu_get(l->beta, l->beta->base +
                          vnpu_toff(l->beta, 0, 0, 0, i), 0);
        }
        vnpu_put(out, z + i * so, y, 0);
    }
}

uint32_t vnpu_op_norm(VnpuRun *r, const uint8_t *cmd, bool rms)
{
    VnpuTensor in, gamma, beta, out;
    VnpuTensor *ins[] = { &in, &gamma, &beta };
    uint32_t eb = vnpu_ld32(cmd + VNPU_T3 + 64);
    VnpuLane l = { .ax = 3, .gamma = &gamma, .beta = &beta, .rms = rms };
    float eps;
    uint32_t st;

    memcpy(&eps, &eb, 4);
    if (!isfinite(eps) || eps < 0 || vnpu_ld32(cmd + VNPU_T3 + 68)) {
        return VNPU_JOB_BAD_CMD;
    }
    l.eps = eps;
    st = vnpu_tensor_decode(cmd + VNPU_T0, false, &in);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T1, true, &gamma);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T2, true, &beta);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T3, false, &out);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (in.rank != out.rank || !vnpu_shape_eq(&in, &out) ||
        (gamma.rank && (gamma.rank != 1 || gamma.shape[3] != in.shape[3])) ||
        (beta.rank && (beta.rank != 1 || beta.shape[3] != in.shape[3]))) {
        return VNPU_JOB_BAD_TENSOR;
    }
    if ((gamma.rank && !vnpu_dt_float(gamma.dtype)) ||
        (beta.rank && !vnpu_dt_float(beta.dtype))) {
        return VNPU_JOB_BAD_DTYPE;
    }
    st = vnpu_unary_types(&in, &out);
    st = st ? st : vnpu_tensor_check_out(&out);
    st = st ? st : vnpu_tensor_check_alias(&out, &in, false);
    st = st ? st : vnpu_tensor_check_alias(&out, &gamma, false);
    st = st ? st : vnpu_tensor_check_alias(&out, &beta, false);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    st = vnpu_tensors_acquire(r, ins, 3, &out);
    if (st == VNPU_JOB_OK) {
        st = vnpu_lanes(r, &in, &out, 3, vnpu_norm_lane, &l);
    }
    return vnpu_tensors_release(r, ins, 3, &out, st);
}

/* ---- REDUCE ---- */

static uint32_t vnpu_reduce_run(VnpuRun *r, VnpuTensor *in, VnpuTensor *out,
                                const uint8_t *cmd)
{
    uint32_t param = vnpu_ld32(cmd + VNPU_T2);
    unsigned op = param & VNPU_RED_OP_MASK;
    uint64_t rn[4], o[4], i[4], cnt = 1;

    for (unsigned k = 0; k < 4; k++) {
        rn[k] = out->shape[k] == in->shape[k] ? 1 : in->shape[k];
        cnt *= rn[k];
    }
    for (o[0] = 0; o[0] < out->shape[0]; o[0]++) {
        for (o[1] = 0; o[1] < out->shape[1]; o[1]++) {
            for (o[2] = 0; o[2] < out->shape[2]; o[2]++) {
                for (o[3] = 0; o[3] < out->shape[3]; o[3]++) {
                    double acc = op == VNPU_RED_MAX ? -INFINITY : 0;
                    const uint8_t *base = in->base +
                        vnpu_toff(in, o[0], o[1], o[2], o[3]);

                    if (vnpu_work(r, cnt)) {
                        return VNPU_JOB_ABORTED;
                    }

                    for (i[0] = 0; i[0] < rn[0]; i[0]++) {
                        for (i[1] = 0; i[1] < rn[1]; i[1]++) {
                            for (i[2] = 0; i[2] < rn[2]; i[2]++) {
                                for (i[3] = 0; i[3] < rn[3]; i[3]++) {
                                    double v = vnpu_get(in, base +
                                        vnpu_toff(in, i[0], i[1], i[2], i[3]),
                                        0);

                                    if (op == VNPU_RED_MAX) {
                                        acc = v > acc ? v : acc;
                                    } else {
                                        acc += v;
                                    }
                                }
                            }
                        }
                    }
                    if (op == VNPU_RED_MEAN) {
                        acc /= cnt;
                    }
                    vnpu_put(out, out->base +
                             vnpu_toff(out, o[0], o[1], o[2], o[3]), acc, 0);
                }
            }
        }
    }
    return VNPU_JOB_OK;
}

uint32_t vnpu_op_reduce(VnpuRun *r, const uint8_t *cmd)
{
    uint32_t param = vnpu_ld32(cmd + VNPU_T2);
    unsigned op = param & VNPU_RED_OP_MASK;
    unsigned axes = (param & VNPU_RED_AXES_MASK) >> VNPU_RED_AXES_SHIFT;
    VnpuTensor in, out;
    uint32_t st;

    if (op >= VNPU_RED_COUNT || !axes ||
        (param & ~(VNPU_RED_OP_MASK | VNPU_RED_AXES_MASK))) {
        return VNPU_JOB_BAD_CMD;
    }
    st = vnpu_unary_prep(cmd, &in, &out, false, false);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (axes >> in.rank) {
        return VNPU_JOB_BAD_CMD;
    }
    if (out.rank != in.rank) {
        return VNPU_JOB_BAD_TENSOR;
    }
    for (unsigned k = 0; k < in.rank; k++) {
        unsigned d = 4 - in.rank + k;
        uint64_t want = (axes >> k) & 1 ? 1 : in.shape[d];

        if (out.shape[d] != want) {
            return VNPU_JOB_BAD_TENSOR;
        }
    }
    /* A reduced axis of extent 1 reduces nothing: the same either way. */
    return vnpu_run_io(r, &in, &out, vnpu_reduce_run, cmd);
}

/* ---- POOL2D ---- */

typedef struct VnpuPool {
    unsigned kh, kw, sh, sw, pt, pl, mode;
} VnpuPool;

/* The window of output (@y, @x), clipped to the input: [y0, y1) x [x0, x1). */
static inline void vnpu_pool_window(const VnpuPool *p,
                                    const VnpuTensor *in, uint64_t y,
                                    uint64_t x, int64_t w[4])
{
    int64_t y0 = (int64_t)(y * p->sh) - p->pt;
    int64_t x0 = (int64_t)(x * p->sw) - p->pl;
    int64_t y1 = y0 + p->kh, x1 = x0 + p->kw;

    w[0] = y0 < 0 ? 0 : y0;
    w[1] = x0 < 0 ? 0 : x0;
    w[2] = y1 > (int64_t)in->shape[1] ? (int64_t)in->shape[1] : y1;
    w[3] = x1 > (int64_t)in->shape[2] ? (int64_t)in->shape[2] : x1;
}

/*
 * F32 with contiguous channels: a window's channels pooled a block of
 * vectors at a time in locals (no aliasing with the tensors, so they stay
 * in registers), then one vector, then one channel at a time, with the
 * generic loop's arithmetic: the maximum compared the same way (exact in
 * float), the mean summed in double in the same order and divided the
 * same way, so the results are the same bit for bit (for a NaN mean, up to
 * which NaN). @p points at channel 0 of the window's first element; @rs
 * and @cs are the byte strides of the input's rows and columns.
 */
#define VNPU_POOL_VL 4      /* floats per vector */
#define VNPU_POOL_NV 4      /* vectors per block */

/* GCC and clang vector extensions (SSE, AVX or NEON as built; no intrinsics) */
typedef float VnpuPoolF __attribute__((vector_size(4 * VNPU_POOL_VL)));
typedef int32_t VnpuPoolI __attribute__((vector_size(4 * VNPU_POOL_VL)));
typedef double VnpuPoolD __attribute__((vector_size(8 * VNPU_POOL_VL)));

static inline VnpuPoolF vnpu_pool_ldv(const uint8_t *p)
{
    VnpuPoolF v;

    memcpy(&v, p, sizeof(v));
    return v;
}

/* v > m ? v : m in each lane, as the generic loop compares */
static inline VnpuPoolF vnpu_pool_maxv(VnpuPoolF m, VnpuPoolF v)
{
    VnpuPoolI gt = v > m;

    return (VnpuPoolF)(((VnpuPoolI)v & gt) | ((VnpuPoolI)m & ~gt));
}

static inline void vnpu_pool_px_max(uint8_t *o, const uint8_t *p,
                                    uint64_t rs, uint64_t cs, uint64_t h,
                                    uint64_t w, uint64_t nc)
{
    const uint64_t blk = VNPU_POOL_NV * VNPU_POOL_VL;
    uint64_t c0 = 0;

    for (; c0 + blk <= nc; c0 += blk) {
        VnpuPoolF m[VNPU_POOL_NV];

        for (unsigned k = 0; k < VNPU_POOL_NV; k++) {
            m[k] = (VnpuPoolF){ 0 } - INFINITY;
        }
        for (uint64_t i = 0; i < h; i++) {
            for (uint64_t j = 0; j < w; j++) {
                const uint8_t *row = p + i * rs + j * cs + 4 * c0;

                for (unsigned k = 0; k < VNPU_POOL_NV; k++) {
                    m[k] = vnpu_pool_maxv(m[k], vnpu_pool_ldv(row + 16 * k));
                }
            }
        }
        memcpy(o + 4 * c0, m, sizeof(m));
    }
    for (; c0 + VNPU_POOL_VL <= nc; c0 += VNPU_POOL_VL) {
        VnpuPoolF m = (VnpuPoolF){ 0 } - INFINITY;

        for (uint64_t i = 0; i < h; i++) {
            for (uint64_t j = 0; j < w; j++) {
                m = vnpu_pool_maxv(m, vnpu_pool_ldv(p + i * rs + j * cs +
                                                    4 * c0));
            }
        }
        memcpy(o + 4 * c0, &m, sizeof(m));
    }
    for (; c0 < nc; c0++) {
        float m = -INFINITY;

        for (uint64_t i = 0; i < h; i++) {
            for (uint64_t j = 0; j < w; j++) {
                float v = vnpu_ldf(p + i * rs + j * cs + 4 * c0);

                m = v > m ? v : m;
            }
        }
        vnpu_stf(o + 4 * c0, m);
    }
}

static inline void vnpu_pool_px_mean(uint8_t *o, const uint8_t *p,
                                     uint64_t rs, uint64_t cs, uint64_t h,
                                     uint64_t w, uint64_t nc)
{
    double cnt = (double)(h * w);
    uint64_t c0 = 0;

    for (; c0 + VNPU_POOL_VL <= nc; c0 += VNPU_POOL_VL) {
        VnpuPoolD a = { 0 };
        VnpuPoolF m;

        for (uint64_t i = 0; i < h; i++) {
            for (uint64_t j = 0; j < w; j++) {
                a += __builtin_convertvector(
                    vnpu_pool_ldv(p + i * rs + j * cs + 4 * c0), VnpuPoolD);
            }
        }
        m = __builtin_convertvector(a / cnt, VnpuPoolF);
        memcpy(o + 4 * c0, &m, sizeof(m));
    }
    for (; c0 < nc; c0++) {
        double a = 0;

        for (uint64_t i = 0; i < h; i++) {
            for (uint64_t j = 0; j < w; j++) {
                a += vnpu_ldf(p + i * rs + j * cs + 4 * c0);
            }
        }
        vnpu_stf(o + 4 * c0, (float)(a / cnt));
    }
}

/*
 * Output row @y of image @n, all columns and channels: one call per row,
 * so that the abort poll and the clone dispatch stay out of the pixels.
 */
static VNPU_HOT void vnpu_pool_row_f32(const VnpuPool *p, const VnpuTensor *in,
                                       const VnpuTensor *out, uint64_t n,
                                       uint64_t y, bool max)
{
    uint64_t nc = out->shape[3];
    uint64_t rs = in->stride[1] * 4, cs = in->stride[2] * 4;
    int64_t w[4];

    for (uint64_t x = 0; x < out->shape[2]; x++) {
        uint8_t *o = out->base + vnpu_toff(out, n, y, x, 0);
        const uint8_t *i;

        vnpu_pool_window(p, in, y, x, w);
        i = in->base + vnpu_toff(in, n, w[0], w[1], 0);
        if (max) {
            vnpu_pool_px_max(o, i, rs, cs, w[2] - w[0], w[3] - w[1], nc);
        } else {
            vnpu_pool_px_mean(o, i, rs, cs, w[2] - w[0], w[3] - w[1], nc);
        }
    }
}

static uint32_t vnpu_pool_run_f32(VnpuRun *r, const VnpuTensor *in,
                                  const VnpuTensor *out, const VnpuPool *p,
                                  bool max)
{
    /* the most a row can read: every column's window at its tallest */
    uint64_t row_work = out->shape[2] * p->kh * p->kw * out->shape[3];

    for (uint64_t n = 0; n < out->shape[0]; n++) {
        for (uint64_t y = 0; y < out->shape[1]; y++) {
            if (vnpu_work(r, row_work)) {
                return VNPU_JOB_ABORTED;
            }
            vnpu_pool_row_f32(p, in, out, n, y, max);
        }
    }
    return VNPU_JOB_OK;
}

static uint32_t vnpu_pool_run(VnpuRun *r, VnpuTensor *in, VnpuTensor *out,
                              const uint8_t *cmd)
{
    const VnpuPool *p = (const VnpuPool *)cmd;
    bool max = p->mode == VNPU_POOL_MAX || p->mode == VNPU_POOL_GLOBAL_MAX;

    if (in->dtype == VNPU_DT_F32 && out->dtype == VNPU_DT_F32 &&
        in->stride[3] == 1 && out->stride[3] == 1) {
        return vnpu_pool_run_f32(r, in, out, p, max);
    }
    for (uint64_t n = 0; n < out->shape[0]; n++) {
        for (uint64_t y = 0; y < out->shape[1]; y++) {
            for (uint64_t x = 0; x < out->shape[2]; x++) {
                int64_t w[4], y0, x0, y1, x1;

                vnpu_pool_window(p, in, y, x, w);
                y0 = w[0];
                x0 = w[1];
                y1 = w[2];
                x1 = w[3];
                for (uint64_t c = 0; c < out->shape[3]; c++) {
                    double acc = max ? -INFINITY : 0;

                    /* A window may hold up to a whole input plane. */
                    if (vnpu_work(r, (y1 - y0) * (x1 - x0))) {
                        return VNPU_JOB_ABORTED;
                    }

                    for (int64_t i = y0; i < y1; i++) {
                        for (int64_t j = x0; j < x1; j++) {
                            double v = vnpu_get(in, in->base +
                                                vnpu_toff(in, n, i, j, c), 0);

                            if (max) {
                                acc = v > acc ? v : acc;
                            } else {
                                acc += v;
                            }
                        }
                    }
                    if (!max) {
                        acc /= (double)((y1 - y0) * (x1 - x0));
                    }
                    vnpu_put(out, out->base + vnpu_toff(out, n, y, x, c), acc,
                             0);
                }
            }
        }
    }
    return VNPU_JOB_OK;
}

uint32_t vnpu_op_pool2d(VnpuRun *r, const uint8_t *cmd)
{
    const uint8_t *q = cmd + VNPU_T2;
    VnpuTensor in, out;
    VnpuPool p;
    unsigned pb, pr;
    int64_t eh, ew;
    uint32_t st;

    p.kh = vnpu_ld16(q);
    p.kw = vnpu_ld16(q + 2);
    p.sh = vnpu_ld16(q + 4);
    p.sw = vnpu_ld16(q + 6);
    p.pt = vnpu_ld16(q + 8);
    pb = vnpu_ld16(q + 10);
    p.pl = vnpu_ld16(q + 12);
    pr = vnpu_ld16(q + 14);
    p.mode = vnpu_ld32(q + 16);
    if (p.mode >= VNPU_POOL_COUNT || vnpu_ld32(q + 20)) {
        return VNPU_JOB_BAD_CMD;
    }
    if (p.mode >= VNPU_POOL_GLOBAL_MAX) {
        if (vnpu_ld64(q) || vnpu_ld64(q + 8)) {
            return VNPU_JOB_BAD_CMD;
        }
    } else if (!p.kh || !p.kw || !p.sh || !p.sw || p.pt >= p.kh ||
               pb >= p.kh || p.pl >= p.kw || pr >= p.kw) {
        return VNPU_JOB_BAD_CMD;
    }
    st = vnpu_decode_io(cmd, &in, &out);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (in.rank != 4 || out.rank != 4) {
        return VNPU_JOB_BAD_TENSOR;
    }
    if (p.mode >= VNPU_POOL_GLOBAL_MAX) {
        /* The whole plane: one window of H x W. */
        p.kh = in.shape[1];
        p.kw = in.shape[2];
        p.sh = p.sw = 1;
        eh = ew = 0;
    } else {
        eh = (int64_t)in.shape[1] + p.pt + pb - p.kh;
        ew = (int64_t)in.shape[2] + p.pl + pr - p.kw;
    }
    if (eh < 0 || ew < 0 || out.shape[0] != in.shape[0] ||
        out.shape[1] != (uint64_t)(eh / p.sh + 1) ||
        out.shape[2] != (uint64_t)(ew / p.sw + 1) ||
        out.shape[3] != in.shape[3]) {
        return VNPU_JOB_BAD_TENSOR;
    }
    st = vnpu_unary_types(&in, &out);
    st = st ? st : vnpu_tensor_check_out(&out);
    st = st ? st : vnpu_tensor_check_alias(&out, &in, false);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    return vnpu_run_io(r, &in, &out, vnpu_pool_run, (const uint8_t *)&p);
}

/* ---- QUANTIZE / DEQUANTIZE / CAST ---- */

static uint32_t vnpu_convert_run(VnpuRun *r, VnpuTensor *in, VnpuTensor *out,
                                 const uint8_t *cmd)
{
    uint64_t i[4], n = out->shape[3];
    uint64_t si = in->stride[3] * in->esize, so = out->stride[3] * out->esize;
    bool to_f = !vnpu_dt_float(in->dtype) && vnpu_dt_float(out->dtype);
    bool copy = in->dtype == out->dtype && vnpu_dt_float(in->dtype);

    for (i[0] = 0; i[0] < out->shape[0]; i[0]++) {
        for (i[1] = 0; i[1] < out->shape[1]; i[1]++) {
            for (i[2] = 0; i[2] < out->shape[2]; i[2]++) {
                const uint8_t *x = in->base +
                                   vnpu_toff(in, i[0], i[1], i[2], 0);
                uint8_t *z = out->base + vnpu_toff(out, i[0], i[1], i[2], 0);

                if (vnpu_work(r, n)) {
                    return VNPU_JOB_ABORTED;
                }
                if (copy) {
                    /* Float to the same float type: the bits, NaNs too. */
                    if ((si == in->esize && so == in->esize) || n == 1) {
                        memmove(z, x, n * in->esize);
                    } else {
                        for (i[3] = 0; i[3] < n; i[3]++) {
                            memmove(z + i[3] * so, x + i[3] * si, in->esize);
                        }
                    }
                    continue;
                }
                for (i[3] = 0; i[3] < n; i[3]++) {
                    double v = vnpu_get(in, x + i[3] * si, i[in->qaxis]);

                    if (to_f) {
                        v = (float)v;       /* DEQUANTIZE rounds to f32 */
                    }
                    vnpu_put(out, z + i[3] * so, v, i[out->qaxis]);
                }
            }
        }
    }
    return VNPU_JOB_OK;
}

uint32_t vnpu_op_convert(VnpuRun *r, const uint8_t *cmd, unsigned op)
{
    VnpuTensor in, out;
    bool fin, fout;
    uint32_t st;

    st = vnpu_decode_io(cmd, &in, &out);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (in.rank != out.rank || !vnpu_shape_eq(&in, &out)) {
        return VNPU_JOB_BAD_TENSOR;
    }
    fin = vnpu_dt_float(in.dtype);
    fout = vnpu_dt_float(out.dtype);
    switch (op) {
    case VNPU_OP_QUANTIZE:
        if (!fin || fout) {
            return VNPU_JOB_BAD_DTYPE;
        }
        if (out.qmode == VNPU_QMODE_NONE) {
            return VNPU_JOB_BAD_QUANT;
        }
        break;
    case VNPU_OP_DEQUANTIZE:
        if (fin || !fout) {
            return VNPU_JOB_BAD_DTYPE;
        }
        if (in.qmode == VNPU_QMODE_NONE) {
            return VNPU_JOB_BAD_QUANT;
        }
        break;
    default:
        if (in.qmode != VNPU_QMODE_NONE || out.qmode != VNPU_QMODE_NONE) {
            return VNPU_JOB_BAD_QUANT;
        }
        break;
    }
    st = vnpu_tensor_check_out(&out);
    st = st ? st : vnpu_tensor_check_alias(&out, &in, true);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    return vnpu_run_io(r, &in, &out, vnpu_convert_run, cmd);
}
