/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu command engine: internal interfaces shared by the engine's files
 * (decoder, tensor access, op implementations). Not for the device model.
 */
#ifndef VNPU_ENGINE_INT_H
#define VNPU_ENGINE_INT_H

#include <math.h>
#include <string.h>

#include "vnpu_engine.h"

/*
 * Hot loops: vectorise them even in a -O2 build, with an AVX2 clone picked
 * at load time on x86-64 hosts that have it.
 */
#ifdef __has_attribute
#if __has_attribute(optimize)
#define VNPU_HOT_OPT __attribute__((optimize("O3")))
#endif
#if __has_attribute(target_clones) && defined(__x86_64__)
#define VNPU_HOT_ISA __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef VNPU_HOT_OPT
#define VNPU_HOT_OPT
#endif
#ifndef VNPU_HOT_ISA
#define VNPU_HOT_ISA
#endif
#define VNPU_HOT VNPU_HOT_OPT VNPU_HOT_ISA

/* State of one job while it runs. */
typedef struct VnpuRun {
    const VnpuMemOps *ops;
    void *opaque;
    VnpuJobResult *res;
    uint64_t work;          /* elements since the last abort poll */
} VnpuRun;

/* Map a prefix of [va, va + len); records the fault address on failure. */
uint32_t vnpu_map(VnpuRun *r, uint64_t va, uint64_t len, unsigned access,
                  VnpuMapping *m);
/* Copy @len bytes at @va into @buf with @access (READ or EXEC). */
uint32_t vnpu_read(VnpuRun *r, uint64_t va, void *buf, uint64_t len,
                   unsigned access);
/* Copy @len bytes from @buf to @va. */
uint32_t vnpu_write(VnpuRun *r, uint64_t va, const void *buf, uint64_t len);
/* True when the job must stop (device reset). */
bool vnpu_poll_abort(VnpuRun *r);

/* Element-wise ops poll should_abort after this many elements. */
#define VNPU_POLL_WORK  (1u << 20)

/* Count @n elements of work; true when the job must stop. */
static inline bool vnpu_work(VnpuRun *r, uint64_t n)
{
    r->work += n;
    if (r->work < VNPU_POLL_WORK) {
        return false;
    }
    r->work = 0;
    return vnpu_poll_abort(r);
}

/*
 * A decoded tensor descriptor, normalised to 4 dimensions: a rank-r tensor
 * gets 4 - r leading dimensions of size 1 and stride 0. @qaxis is
 * normalised the same way.
 */
typedef struct VnpuTensor {
    uint64_t va;
    unsigned dtype;
    unsigned rank;          /* as given; 0 = absent */
    unsigned qmode;
    unsigned qaxis;         /* normalised */
    unsigned esize;
    uint64_t shape[4];
    uint64_t stride[4];     /* elements */
    uint64_t elems;
    uint64_t span;          /* bytes from va to the end of the last element */
    float scale;            /* per-tensor (1 when qmode is NONE) */
    int32_t zp;
    uint64_t qparams_va;
    /* Per-channel parameters, loaded by vnpu_tensor_acquire. */
    float *ch_scale;
    int32_t *ch_zp;
    uint32_t nch;
    /* Host view of [va, va + span), valid between acquire and release. */
    uint8_t *base;
    bool scratch;           /* base is a gather buffer we own */
    bool mapped;
    bool is_out;
    VnpuMapping map;
    /* Gathered output: its mappings, held until release (scatter). */
    VnpuMapping *runs;
    uint64_t nruns;
} VnpuTensor;

/* Element size of dtype @dt, 0 if invalid. */
unsigned vnpu_dtype_size(unsigned dt);

/*
 * Decode and validate the 64-byte descriptor image @raw. With @optional a
 * rank of 0 means "absent" (all fields must be zero; t->rank == 0).
 * Returns VNPU_JOB_OK, BAD_TENSOR, BAD_DTYPE or BAD_QUANT.
 */
uint32_t vnpu_tensor_decode(const uint8_t *raw, bool optional, VnpuTensor *t);

/* Output checks: no self-overlap (BAD_TENSOR). */
uint32_t vnpu_tensor_check_out(const VnpuTensor *t);

/*
 * BAD_TENSOR when output @out overlaps input @in; with @inplace_ok an
 * exact alias (same va, element size, shape and strides) is accepted.
 */
uint32_t vnpu_tensor_check_alias(const VnpuTensor *out, const VnpuTensor *in,
                                 bool inplace_ok);

/* The shapes of @a and @b are equal in all 4 normalised dimensions. */
bool vnpu_shape_eq(const VnpuTensor *a, const VnpuTensor *b);

/*
 * Make t->base a host view of the tensor: zero-copy when the device maps
 * the whole span at once, else a gather buffer (span <=
 * VNPU_TENSOR_MAX_BYTES). Outputs are mapped for WRITE (with their gaps
 * preserved), inputs for READ. Also loads per-channel parameters.
 */
uint32_t vnpu_tensor_acquire(VnpuRun *r, VnpuTensor *t, bool is_out);
/* Write back (outputs, when @commit) and release the view. */
uint32_t vnpu_tensor_release(VnpuRun *r, VnpuTensor *t, bool commit);

/*
 * Acquire the inputs (absent ones skipped) and then the output; release
 * them all, committing the output only when @st is VNPU_JOB_OK. Release is
 * safe on tensors whose acquire failed or never ran. Returns @st, or the
 * write-back status.
 */
uint32_t vnpu_tensors_acquire(VnpuRun *r, VnpuTensor **in, unsigned nin,
                              VnpuTensor *out);
uint32_t vnpu_tensors_release(VnpuRun *r, VnpuTensor **in, unsigned nin,
                              VnpuTensor *out, uint32_t st);

/* Byte offset of element (i0, i1, i2, i3). */
static inline uint64_t vnpu_toff(const VnpuTensor *t, uint64_t i0,
                                 uint64_t i1, uint64_t i2, uint64_t i3)
{
    return (i0 * t->stride[0] + i1 * t->stride[1] + i2 * t->stride[2] +
            i3 * t->stride[3]) * t->esize;
}

/* bfloat16 <-> binary32. */
static inline float vnpu_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;

    memcpy(&f, &u, 4);
    return f;
}

static inline uint16_t vnpu_f32_to_bf16(float f)
{
    uint32_t u;

    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return (u >> 16) | 0x40;            /* quiet NaN */
    }
    u += 0x7fff + ((u >> 16) & 1);          /* round to nearest even */
    return u >> 16;
}

static inline float vnpu_ldf(const uint8_t *p)
{
    float f;

    memcpy(&f, p, 4);
    return f;
}

static inline void vnpu_stf(uint8_t *p, float f)
{
    memcpy(p, &f, 4);
}

/* Range of integer dtype @dt. */
void vnpu_dtype_range(unsigned dt, double *lo, double *hi);

/* q = saturate(rint(v) + zp); NaN -> zp (the rounding rule). */
static inline int64_t vnpu_round_sat(double v, int32_t zp, double lo,
                                     double hi)
{
    double q;

    if (isnan(v)) {
        return zp;
    }
    q = rint(v) + zp;
    if (q < lo) {
        q = lo;
    }
    if (q > hi) {
        q = hi;
    }
    return (int64_t)q;
}

/* Raw integer element at @p of integer dtype @dt. */
static inline int32_t vnpu_ldi(unsigned dt, const uint8_t *p)
{
    switch (dt) {
    case VNPU_DT_I8:
        return (int8_t)p[0];
    case VNPU_DT_U8:
        return p[0];
    default:
        return (int32_t)vnpu_ld32(p);
    }
}

static inline void vnpu_sti(unsigned dt, uint8_t *p, int64_t v)
{
    if (dt == VNPU_DT_I32) {
        vnpu_st32(p, (uint32_t)v);
    } else {
        p[0] = (uint8_t)v;
    }
}

static inline bool vnpu_dt_float(unsigned dt)
{
    return dt == VNPU_DT_F32 || dt == VNPU_DT_BF16;
}

static inline float vnpu_tscale(const VnpuTensor *t, uint64_t ch)
{
    return t->qmode == VNPU_QMODE_CHANNEL ? t->ch_scale[ch] : t->scale;
}

static inline int32_t vnpu_tzp(const VnpuTensor *t, uint64_t ch)
{
    return t->qmode == VNPU_QMODE_CHANNEL ? t->ch_zp[ch] : t->zp;
}

/*
 * Real value of the element at @p (dequantised for integer dtypes, with
 * channel @ch), and its inverse (quantising with the rounding rule).
 */
static inline double vnpu_get(const VnpuTensor *t, const uint8_t *p,
                              uint64_t ch)
{
    switch (t->dtype) {
    case VNPU_DT_F32:
        return vnpu_ldf(p);
    case VNPU_DT_BF16:
        return vnpu_bf16_to_f32(vnpu_ld16(p));
    default:
        return (double)vnpu_tscale(t, ch) *
               (double)((int64_t)vnpu_ldi(t->dtype, p) - vnpu_tzp(t, ch));
    }
}

void vnpu_put_q(const VnpuTensor *t, uint8_t *p, double v, uint64_t ch);

static inline void vnpu_put(const VnpuTensor *t, uint8_t *p, double v,
                            uint64_t ch)
{
    switch (t->dtype) {
    case VNPU_DT_F32:
        vnpu_stf(p, (float)v);
        break;
    case VNPU_DT_BF16: {
        uint16_t h = vnpu_f32_to_bf16((float)v);

        p[0] = h;
        p[1] = h >> 8;
        break;
    }
    default:
        vnpu_put_q(t, p, v, ch);
        break;
    }
}

/* Activation @act on @x (VNPU_ACT_*), in double. */
static inline double vnpu_act(unsigned act, double x)
{
    switch (act) {
    case VNPU_ACT_RELU:
        return x > 0 ? x : 0;
    case VNPU_ACT_RELU6:
        return x > 6 ? 6 : (x > 0 ? x : 0);
    case VNPU_ACT_GELU:
        return 0.5 * x * (1.0 + erf(x * M_SQRT1_2));
    case VNPU_ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-x));
    case VNPU_ACT_TANH:
        return tanh(x);
    case VNPU_ACT_SILU:
        return x * (1.0 / (1.0 + exp(-x)));
    default:
        return x;
    }
}

/* Op implementations: @cmd is the whole command, validated header. */
uint32_t vnpu_op_copy_nd(VnpuRun *r, const uint8_t *cmd);
uint32_t vnpu_op_gemm(VnpuRun *r, const uint8_t *cmd);
uint32_t vnpu_op_conv2d(VnpuRun *r, const uint8_t *cmd);
uint32_t vnpu_op_eltwise(VnpuRun *r, const uint8_t *cmd);
uint32_t vnpu_op_activation(VnpuRun *r, const uint8_t *cmd);
uint32_t vnpu_op_softmax(VnpuRun *r, const uint8_t *cmd);
uint32_t vnpu_op_norm(VnpuRun *r, const uint8_t *cmd, bool rms);
uint32_t vnpu_op_reduce(VnpuRun *r, const uint8_t *cmd);
uint32_t vnpu_op_pool2d(VnpuRun *r, const uint8_t *cmd);
uint32_t vnpu_op_convert(VnpuRun *r, const uint8_t *cmd, unsigned op);

/* Offsets of the tensor descriptors inside commands. */
#define VNPU_T0     8
#define VNPU_T1     (8 + 64)
#define VNPU_T2     (8 + 128)
#define VNPU_T3     (8 + 192)

#endif /* VNPU_ENGINE_INT_H */
