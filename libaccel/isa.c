// SPDX-License-Identifier: MIT
/*
 * libaccel: builders of the compute ISA (tensors, BARRIER, semaphores,
 * COPY_ND, GEMM, CONV2D, ELTWISE, unary ops, norms, POOL2D, conversions).
 * Every rule the device applies (vnpu_device.h, "DOC: Tensors" and each
 * command) is checked here first, so that a bad command is refused when it
 * is built rather than failing the job.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "vnpu_device.h"
#include "accel_priv.h"

_Static_assert(sizeof(struct accel_tensor) == sizeof(struct vnpu_tensor), "tensor");
_Static_assert(offsetof(struct accel_tensor, scale) == offsetof(struct vnpu_tensor, scale), "tensor");
_Static_assert(offsetof(struct accel_tensor, qparams_va) == offsetof(struct vnpu_tensor, qparams_va), "tensor");
_Static_assert(offsetof(struct accel_tensor, shape) == offsetof(struct vnpu_tensor, shape), "tensor");
_Static_assert(ACCEL_DT_F32 == VNPU_DT_F32 && ACCEL_DT_BF16 == VNPU_DT_BF16 &&
	       ACCEL_DT_I8 == VNPU_DT_I8 && ACCEL_DT_U8 == VNPU_DT_U8 &&
	       ACCEL_DT_I32 == VNPU_DT_I32 && VNPU_DT_COUNT == 6, "dtypes");
_Static_assert(ACCEL_QMODE_TENSOR == VNPU_QMODE_TENSOR &&
	       ACCEL_QMODE_CHANNEL == VNPU_QMODE_CHANNEL, "qmodes");
_Static_assert(ACCEL_ACT_RELU == VNPU_ACT_RELU && ACCEL_ACT_RELU6 == VNPU_ACT_RELU6 &&
	       ACCEL_ACT_GELU == VNPU_ACT_GELU && ACCEL_ACT_SIGMOID == VNPU_ACT_SIGMOID &&
	       ACCEL_ACT_TANH == VNPU_ACT_TANH && ACCEL_ACT_SILU == VNPU_ACT_SILU &&
	       VNPU_ACT_COUNT == 7, "activations");
_Static_assert(ACCEL_ELT_ADD == VNPU_ELT_ADD && ACCEL_ELT_SUB == VNPU_ELT_SUB &&
	       ACCEL_ELT_MUL == VNPU_ELT_MUL && ACCEL_ELT_DIV == VNPU_ELT_DIV &&
	       ACCEL_ELT_MAX == VNPU_ELT_MAX && ACCEL_ELT_MIN == VNPU_ELT_MIN &&
	       VNPU_ELT_COUNT == 6, "eltwise");
_Static_assert(ACCEL_RED_SUM == VNPU_RED_SUM && ACCEL_RED_MEAN == VNPU_RED_MEAN &&
	       ACCEL_RED_MAX == VNPU_RED_MAX && VNPU_RED_COUNT == 3, "reduce");
_Static_assert(ACCEL_POOL_MAX == VNPU_POOL_MAX && ACCEL_POOL_AVG == VNPU_POOL_AVG &&
	       ACCEL_POOL_GLOBAL_MAX == VNPU_POOL_GLOBAL_MAX &&
	       ACCEL_POOL_GLOBAL_AVG == VNPU_POOL_GLOBAL_AVG &&
	       VNPU_POOL_COUNT == 4, "pool");
_Static_assert(ACCEL_SEM_EQ == VNPU_SEM_EQ && ACCEL_SEM_GE == VNPU_SEM_GE &&
	       ACCEL_SEM_SET == VNPU_SEM_SET && ACCEL_SEM_ADD == VNPU_SEM_ADD &&
	       ACCEL_SEM_TIMEOUT_MAX_US == VNPU_SEM_TIMEOUT_MAX_US, "sem");
_Static_assert(ACCEL_TENSOR_MAX_BYTES == VNPU_TENSOR_MAX_BYTES &&
	       ACCEL_TENSOR_MAX_RANK == VNPU_TENSOR_MAX_RANK, "limits");

/* Most BO references one command takes: 4 tensors and their qparams. */
#define MAX_CMD_BOS	8

/* A validated tensor, shapes right-aligned to 4 dimensions (as the device). */
struct tv {
	bool present;
	unsigned int dtype, rank, esize, qmode, qaxis;	/* qaxis right-aligned */
	uint64_t va, span;
	uint64_t shape[4], stride[4];
};

/* Command under construction: its BO references. */
struct refs {
	struct accel_bo *bo[MAX_CMD_BOS];
	unsigned int n;
};

static void refs_put(struct refs *r)
{
	accel_cmdbuf_put_bos(r->bo, r->n);
	r->n = 0;
}

static unsigned int dt_size(unsigned int dt)
{
	switch (dt) {
	case VNPU_DT_F32:
	case VNPU_DT_I32:
		return 4;
	case VNPU_DT_BF16:
		return 2;
	case VNPU_DT_I8:
	case VNPU_DT_U8:
		return 1;
	}
	return 0;
}

static bool dt_float(unsigned int dt)
{
	return dt == VNPU_DT_F32 || dt == VNPU_DT_BF16;
}

static bool dt_q8(unsigned int dt)
{
	return dt == VNPU_DT_I8 || dt == VNPU_DT_U8;
}

/* A scale/zero point pair usable for @dt. */
static bool qparam_ok(unsigned int dt, float scale, int32_t zp)
{
	if (!isfinite(scale) || !(scale > 0))
		return false;
	if (dt == VNPU_DT_I8)
		return zp >= -128 && zp <= 127;
	if (dt == VNPU_DT_U8)
		return zp >= 0 && zp <= 255;
	return zp == 0;		/* I32 */
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

/* Span in elements - 1 and element count; -EINVAL past the limits. */
static int geometry(const struct accel_tensor *t, unsigned int esize,
		    uint64_t *span)
{
	uint64_t last = 0, elems = 1;
	unsigned int i;

	for (i = 0; i < t->rank; i++) {
		uint64_t n = t->shape[i], s = t->stride[i];

		if (n == 0)
			return -EINVAL;
		if ((n - 1) * s > VNPU_TENSOR_MAX_BYTES)
			return -EINVAL;
		last += (n - 1) * s;
		elems *= n;
		if (elems > VNPU_TENSOR_MAX_BYTES)
			return -EINVAL;
	}
	if (last > VNPU_TENSOR_MAX_BYTES ||
	    (last + 1) * esize > VNPU_TENSOR_MAX_BYTES ||
	    elems * esize > VNPU_TENSOR_MAX_BYTES)
		return -EINVAL;
	*span = (last + 1) * esize;
	return 0;
}

/* An output must not overlap itself (see vnpu_device.h). */
static bool out_ok(const struct tv *v)
{
	unsigned int idx[4], n = 0, i, j;

	for (i = 0; i < 4; i++)
		if (v->shape[i] > 1)
			idx[n++] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v->stride[idx[j]] < v->stride[idx[j - 1]]; j--) {
			unsigned int x = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = x;
		}
	for (i = 0; i < n; i++) {
		if (!v->stride[idx[i]])
			return false;
		if (i && v->stride[idx[i]] <
			 v->stride[idx[i - 1]] * v->shape[idx[i - 1]])
			return false;
	}
	return true;
}

/*
 * Validate @t (NULL or rank 0: absent, allowed if @optional) into @v and
 * take references on the BOs it uses.
 */
static int tensor(struct accel_cmdbuf *cb, const struct accel_tensor *t,
		  bool optional, bool is_out, struct tv *v, struct refs *r)
{
	uint64_t dtypes = accel_cmdbuf_dtypes(cb);
	struct accel_bo *bo;
	unsigned int i, off;
	int ret;

	memset(v, 0, sizeof(*v));
	if (!t || t->rank == 0) {
		if (t && !all_zero(t, sizeof(*t)))
			return -EINVAL;
		return optional ? 0 : -EINVAL;
	}
	if (t->rank > VNPU_TENSOR_MAX_RANK || t->pad)
		return -EINVAL;
	for (i = t->rank; i < 4; i++)
		if (t->shape[i] || t->stride[i])
			return -EINVAL;
	v->esize = dt_size(t->dtype);
	if (!v->esize)
		return -EINVAL;
	if (dtypes && !(dtypes & (1ull << t->dtype)))
		return -EOPNOTSUPP;
	ret = geometry(t, v->esize, &v->span);
	if (ret)
		return ret;
	if (t->va % v->esize)
		return -EINVAL;

	v->present = true;
	v->dtype = t->dtype;
	v->rank = t->rank;
	v->qmode = t->qmode;
	v->va = t->va;
	off = 4 - t->rank;
	for (i = 0; i < 4; i++) {
		v->shape[i] = 1;
		v->stride[i] = 0;
	}
	for (i = 0; i < t->rank; i++) {
		v->shape[off + i] = t->shape[i];
		v->stride[off + i] = t->stride[i];
	}

	switch (t->qmode) {
	case VNPU_QMODE_NONE:
		if (t->qaxis || t->scale != 0 || signbit(t->scale) ||
		    t->zero_point || t->qparams_va)
			return -EINVAL;
		break;
	case VNPU_QMODE_TENSOR:
		if (dt_float(t->dtype) || t->qaxis || t->qparams_va ||
		    !qparam_ok(t->dtype, t->scale, t->zero_point))
			return -EINVAL;
		break;
	case VNPU_QMODE_CHANNEL:
		if (dt_float(t->dtype) || t->qaxis >= t->rank ||
		    t->scale != 0 || signbit(t->scale) || t->zero_point ||
		    (t->qparams_va & 3) ||
		    t->shape[t->qaxis] > VNPU_QCHANNELS_MAX)
			return -EINVAL;
		v->qaxis = off + t->qaxis;
		if (r->n >= MAX_CMD_BOS)
			return -E2BIG;
		ret = accel_cmdbuf_check_range(cb, t->qparams_va,
					       8ull * t->shape[t->qaxis], &bo);
		if (ret)
			return ret;
		r->bo[r->n++] = bo;
		break;
	default:
		return -EINVAL;
	}
	if (is_out && !out_ok(v))
		return -EINVAL;
	if (r->n >= MAX_CMD_BOS)
		return -E2BIG;
	ret = accel_cmdbuf_check_range(cb, t->va, v->span, &bo);
	if (ret)
		return ret;
	r->bo[r->n++] = bo;
	return 0;
}

/* @out must not overlap @in, except exactly (in place) when allowed. */
static int no_alias(const struct tv *out, const struct tv *in, bool inplace)
{
	if (!in->present || !out->present)
		return 0;
	if (out->va >= in->va + in->span || in->va >= out->va + out->span)
		return 0;
	if (inplace && out->va == in->va && out->esize == in->esize &&
	    !memcmp(out->shape, in->shape, sizeof(out->shape)) &&
	    !memcmp(out->stride, in->stride, sizeof(out->stride)))
		return 0;
	return -EINVAL;
}

/* One operand of a builder: the tensor, where to validate it, how. */
struct targ {
	const struct accel_tensor *t;
	struct tv *v;
	bool optional, is_out;
};

/* Validate @n operands in order, taking their BO references into @r. */
static int tensors(struct accel_cmdbuf *cb, struct refs *r,
		   const struct targ *a, unsigned int n)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = tensor(cb, a[i].t, a[i].optional, a[i].is_out, a[i].v, r);
	return ret;
}

/* no_alias() of @out against each of @n inputs. */
static int apart(const struct tv *out, bool inplace,
		 const struct tv *const *in, unsigned int n)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = no_alias(out, in[i], inplace);
	return ret;
}

#define IN(t, v)	{ (t), (v), false, false }
#define OPT(t, v)	{ (t), (v), true, false }
#define OUT(t, v)	{ (t), (v), false, true }
#define TENSORS(cb, r, ...) \
	tensors((cb), (r), (const struct targ[]){ __VA_ARGS__ }, \
		sizeof((const struct targ[]){ __VA_ARGS__ }) / sizeof(struct targ))
#define APART(out, inplace, ...) \
	apart((out), (inplace), (const struct tv *const[]){ __VA_ARGS__ }, \
	      sizeof((const struct tv *const[]){ __VA_ARGS__ }) / \
	      sizeof(const struct tv *))

static bool same_shape(const struct tv *a, const struct tv *b)
{
	return !memcmp(a->shape, b->shape, sizeof(a->shape));
}

/* Dtypes of ACTIVATION, SOFTMAX, REDUCE, NORM, POOL2D: float or q8 per tensor. */
static bool unary_dtype_ok(const struct tv *v)
{
	return dt_float(v->dtype) ||
	       (dt_q8(v->dtype) && v->qmode != VNPU_QMODE_CHANNEL);
}

static struct vnpu_cmd_hdr mkhdr(uint16_t opcode, size_t len)
{
	return (struct vnpu_cmd_hdr){ .opcode = opcode,
				      .len = (uint16_t)(len / 8) };
}

static void enc(struct vnpu_tensor *dst, const struct accel_tensor *src)
{
	if (src)
		memcpy(dst, src, sizeof(*dst));
	else
		memset(dst, 0, sizeof(*dst));
}

/* Append @cmd, adopting @r's references (dropped on failure). */
static int emit(struct accel_cmdbuf *cb, const void *cmd, size_t len,
		struct refs *r)
{
	return accel_cmdbuf_commit(cb, cmd, len, r->bo, r->n);
}

/* ------------------------------------------------------------------ */
/* Tensors                                                             */
/* ------------------------------------------------------------------ */

ACCEL_EXPORT int accel_dtype_get_size(uint32_t dtype, unsigned int *size)
{
	unsigned int s = dtype < 256 ? dt_size(dtype) : 0;

	if (!size || !s)
		return -EINVAL;
	*size = s;
	return 0;
}

ACCEL_EXPORT int accel_tensor_get_span(const struct accel_tensor *t,
				       uint64_t *span)
{
	unsigned int esize;

	if (!t || !span || t->rank < 1 || t->rank > VNPU_TENSOR_MAX_RANK)
		return -EINVAL;
	esize = dt_size(t->dtype);
	if (!esize)
		return -EINVAL;
	return geometry(t, esize, span);
}

ACCEL_EXPORT int accel_tensor_init(struct accel_tensor *t, uint64_t va,
				   uint32_t dtype, uint32_t rank,
				   const uint32_t *shape)
{
	struct accel_tensor n;
	uint64_t stride = 1, span;
	unsigned int i;
	int ret;

	if (!t || !shape || rank < 1 || rank > VNPU_TENSOR_MAX_RANK ||
	    dtype > 255 || !dt_size(dtype))
		return -EINVAL;
	memset(&n, 0, sizeof(n));
	n.va = va;
	n.dtype = (uint8_t)dtype;
	n.rank = (uint8_t)rank;
	for (i = rank; i-- > 0;) {
		if (!shape[i] || stride > UINT32_MAX)
			return -EINVAL;
		n.shape[i] = shape[i];
		n.stride[i] = (uint32_t)stride;
		stride *= shape[i];
	}
	ret = geometry(&n, dt_size(dtype), &span);
	if (ret)
		return ret;
	*t = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Synchronisation commands                                            */
/* ------------------------------------------------------------------ */

ACCEL_EXPORT int accel_cmdbuf_barrier(struct accel_cmdbuf *cb)
{
	struct vnpu_cmd_nop c;

	if (!cb)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(VNPU_OP_BARRIER, sizeof(c));
	return accel_cmdbuf_commit(cb, &c, sizeof(c), NULL, 0);
}

static int sem(struct accel_cmdbuf *cb, uint16_t opcode, uint64_t va,
	       uint32_t op, uint32_t value, uint32_t timeout_us)
{
	struct vnpu_cmd_sem c;
	struct accel_bo *bo;
	int ret;

	if (!cb || (va & 3) || op > 1 || timeout_us > VNPU_SEM_TIMEOUT_MAX_US)
		return -EINVAL;
	ret = accel_cmdbuf_check_range(cb, va, 4, &bo);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(opcode, sizeof(c));
	c.va = va;
	c.op = op;
	c.value = value;
	c.timeout_us = timeout_us;
	return accel_cmdbuf_commit(cb, &c, sizeof(c), &bo, 1);
}

ACCEL_EXPORT int accel_cmdbuf_sem_wait(struct accel_cmdbuf *cb, uint64_t va,
				       uint32_t op, uint32_t value,
				       uint32_t timeout_us)
{
	return sem(cb, VNPU_OP_SEM_WAIT, va, op, value, timeout_us);
}

ACCEL_EXPORT int accel_cmdbuf_sem_signal(struct accel_cmdbuf *cb, uint64_t va,
					 uint32_t op, uint32_t value)
{
	return sem(cb, VNPU_OP_SEM_SIGNAL, va, op, value, 0);
}

/* ------------------------------------------------------------------ */
/* COPY_ND                                                             */
/* ------------------------------------------------------------------ */

ACCEL_EXPORT int accel_cmdbuf_copy_nd(struct accel_cmdbuf *cb,
				      const struct accel_tensor *dst,
				      const struct accel_tensor *src,
				      const uint8_t perm_in[4])
{
	static const uint8_t identity[4] = { 0, 1, 2, 3 };
	struct vnpu_cmd_copy_nd c;
	struct refs r = { .n = 0 };
	struct tv s, d;
	uint8_t perm[4];
	unsigned int seen = 0, k, off;
	int ret;

	if (!cb)
		return -EINVAL;
	ret = TENSORS(cb, &r, IN(src, &s), OUT(dst, &d));
	if (ret)
		goto err;
	ret = -EINVAL;
	if (s.rank != d.rank || s.dtype != d.dtype ||
	    s.qmode != VNPU_QMODE_NONE || d.qmode != VNPU_QMODE_NONE)
		goto err;
	memcpy(perm, perm_in ? perm_in : identity, 4);
	if (!perm_in)
		for (k = s.rank; k < 4; k++)
			perm[k] = 0;
	off = 4 - s.rank;
	for (k = 0; k < 4; k++) {
		if (k >= s.rank) {
			if (perm[k])
				goto err;
			continue;
		}
		if (perm[k] >= s.rank || (seen & (1u << perm[k])))
			goto err;
		seen |= 1u << perm[k];
		if (d.shape[off + k] != s.shape[off + perm[k]])
			goto err;
	}
	ret = no_alias(&d, &s, false);
	if (ret)
		goto err;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(VNPU_OP_COPY_ND, sizeof(c));
	enc(&c.src, src);
	enc(&c.dst, dst);
	memcpy(c.perm, perm, 4);
	return emit(cb, &c, sizeof(c), &r);
err:
	refs_put(&r);
	return ret;
}

/* ------------------------------------------------------------------ */
/* GEMM and CONV2D                                                     */
/* ------------------------------------------------------------------ */

/*
 * Dtype rules shared by GEMM and CONV2D. @b_axis and @out_axis are the
 * right-aligned axes per-channel parameters may use.
 */
static int mm_dtypes(const struct tv *a, const struct tv *b,
		     const struct tv *bias, const struct tv *out,
		     unsigned int b_axis, unsigned int out_axis, uint32_t act)
{
	if (act >= VNPU_ACT_COUNT)
		return -EINVAL;
	if (a->dtype == VNPU_DT_F32) {
		if (b->dtype != VNPU_DT_F32 || out->dtype != VNPU_DT_F32 ||
		    (bias->present && bias->dtype != VNPU_DT_F32))
			return -EINVAL;
		return 0;	/* float tensors cannot carry quantisation */
	}
	if (a->dtype == VNPU_DT_BF16) {
		if (b->dtype != VNPU_DT_BF16 || !dt_float(out->dtype) ||
		    (bias->present && !dt_float(bias->dtype)))
			return -EINVAL;
		return 0;
	}
	/*
	 * Integer operands: an I8/U8 tensor without quantisation counts as
	 * scale 1, zero point 0 (vnpu_device.h, DOC: Numerics).
	 */
	if (!dt_q8(a->dtype) || !dt_q8(b->dtype))
		return -EINVAL;
	if (a->qmode == VNPU_QMODE_CHANNEL)
		return -EINVAL;
	if (b->qmode == VNPU_QMODE_CHANNEL && b->qaxis != b_axis)
		return -EINVAL;
	if (bias->present &&
	    (bias->dtype != VNPU_DT_I32 || bias->qmode != VNPU_QMODE_NONE))
		return -EINVAL;
	if (out->dtype == VNPU_DT_I32) {
		if (out->qmode != VNPU_QMODE_NONE || act != VNPU_ACT_NONE)
			return -EINVAL;
		return 0;
	}
	if (!dt_q8(out->dtype) ||
	    (out->qmode == VNPU_QMODE_CHANNEL && out->qaxis != out_axis))
		return -EINVAL;
	return 0;
}

ACCEL_EXPORT int accel_cmdbuf_gemm(struct accel_cmdbuf *cb,
				   const struct accel_tensor *out,
				   const struct accel_tensor *a,
				   const struct accel_tensor *b,
				   const struct accel_tensor *bias,
				   uint32_t act)
{
	struct vnpu_cmd_gemm c;
	struct refs r = { .n = 0 };
	struct tv ta, tb, tbias, to;
	unsigned int i;
	int ret;

	if (!cb)
		return -EINVAL;
	ret = TENSORS(cb, &r, IN(a, &ta), IN(b, &tb), OPT(bias, &tbias),
		      OUT(out, &to));
	if (ret)
		goto err;
	ret = -EINVAL;
	if (ta.rank < 2 || tb.rank < 2 || to.rank < 2)
		goto err;
	/* a [.., M, K] x b [.., K, N] = out [.., M, N] */
	if (ta.shape[3] != tb.shape[2] || to.shape[2] != ta.shape[2] ||
	    to.shape[3] != tb.shape[3])
		goto err;
	for (i = 0; i < 2; i++)
		if ((ta.shape[i] != to.shape[i] && ta.shape[i] != 1) ||
		    (tb.shape[i] != to.shape[i] && tb.shape[i] != 1))
			goto err;
	if (tbias.present && (tbias.rank != 1 || tbias.shape[3] != to.shape[3]))
		goto err;
	ret = mm_dtypes(&ta, &tb, &tbias, &to, 3, 3, act);
	if (!ret)
		ret = APART(&to, false, &ta, &tb, &tbias);
	if (ret)
		goto err;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(VNPU_OP_GEMM, sizeof(c));
	enc(&c.a, a);
	enc(&c.b, b);
	enc(&c.bias, bias);
	enc(&c.out, out);
	c.act = act;
	return emit(cb, &c, sizeof(c), &r);
err:
	refs_put(&r);
	return ret;
}

/* Output extent of a window op; false if it is not positive. */
static bool out_extent(uint64_t in, uint64_t pad0, uint64_t pad1,
		       uint64_t window, uint64_t stride, uint64_t *out)
{
	uint64_t padded = in + pad0 + pad1;

	if (padded < window)
		return false;
	*out = (padded - window) / stride + 1;
	return true;
}

ACCEL_EXPORT int accel_cmdbuf_conv2d(struct accel_cmdbuf *cb,
				     const struct accel_tensor *out,
				     const struct accel_tensor *in,
				     const struct accel_tensor *weight,
				     const struct accel_tensor *bias,
				     const struct accel_conv2d_params *p)
{
	struct vnpu_cmd_conv2d c;
	struct refs r = { .n = 0 };
	struct tv ti, tw, tb, to;
	uint64_t C, OC, oh, ow;
	int ret;

	if (!cb || !p)
		return -EINVAL;
	ret = TENSORS(cb, &r, IN(in, &ti), IN(weight, &tw), OPT(bias, &tb),
		      OUT(out, &to));
	if (ret)
		goto err;
	ret = -EINVAL;
	if (ti.rank != 4 || tw.rank != 4 || to.rank != 4)
		goto err;
	if (!p->stride_h || !p->stride_w || !p->dil_h || !p->dil_w ||
	    p->pad_top > VNPU_CONV_MAX_PAD || p->pad_bottom > VNPU_CONV_MAX_PAD ||
	    p->pad_left > VNPU_CONV_MAX_PAD || p->pad_right > VNPU_CONV_MAX_PAD ||
	    !p->groups)
		goto err;
	C = ti.shape[3];
	OC = tw.shape[0];
	if (C % p->groups || OC % p->groups || tw.shape[3] != C / p->groups)
		goto err;
	if (!out_extent(ti.shape[1], p->pad_top, p->pad_bottom,
			(uint64_t)p->dil_h * (tw.shape[1] - 1) + 1, p->stride_h, &oh) ||
	    !out_extent(ti.shape[2], p->pad_left, p->pad_right,
			(uint64_t)p->dil_w * (tw.shape[2] - 1) + 1, p->stride_w, &ow))
		goto err;
	if (to.shape[0] != ti.shape[0] || to.shape[1] != oh ||
	    to.shape[2] != ow || to.shape[3] != OC)
		goto err;
	if (tb.present && (tb.rank != 1 || tb.shape[3] != OC))
		goto err;
	ret = mm_dtypes(&ti, &tw, &tb, &to, 0, 3, p->act);
	if (!ret)
		ret = APART(&to, false, &ti, &tw, &tb);
	if (ret)
		goto err;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(VNPU_OP_CONV2D, sizeof(c));
	enc(&c.in, in);
	enc(&c.weight, weight);
	enc(&c.bias, bias);
	enc(&c.out, out);
	c.stride_h = p->stride_h;
	c.stride_w = p->stride_w;
	c.dil_h = p->dil_h;
	c.dil_w = p->dil_w;
	c.pad_top = p->pad_top;
	c.pad_bottom = p->pad_bottom;
	c.pad_left = p->pad_left;
	c.pad_right = p->pad_right;
	c.groups = p->groups;
	c.act = p->act;
	return emit(cb, &c, sizeof(c), &r);
err:
	refs_put(&r);
	return ret;
}

/* ------------------------------------------------------------------ */
/* ELTWISE and one-input ops                                           */
/* ------------------------------------------------------------------ */

ACCEL_EXPORT int accel_cmdbuf_eltwise(struct accel_cmdbuf *cb, uint32_t op,
				      const struct accel_tensor *out,
				      const struct accel_tensor *a,
				      const struct accel_tensor *b,
				      uint32_t act)
{
	struct vnpu_cmd_eltwise c;
	struct refs r = { .n = 0 };
	struct tv ta, tb, to;
	unsigned int i;
	int ret;

	if (!cb || op >= VNPU_ELT_COUNT || act >= VNPU_ACT_COUNT)
		return -EINVAL;
	ret = TENSORS(cb, &r, IN(a, &ta), IN(b, &tb), OUT(out, &to));
	if (ret)
		goto err;
	ret = -EINVAL;
	if (ta.dtype != to.dtype || tb.dtype != to.dtype)
		goto err;
	if (ta.qmode == VNPU_QMODE_CHANNEL || tb.qmode == VNPU_QMODE_CHANNEL ||
	    to.qmode == VNPU_QMODE_CHANNEL)
		goto err;
	/* I32: no activation and no quantisation. */
	if (to.dtype == VNPU_DT_I32 &&
	    (act != VNPU_ACT_NONE || ta.qmode || tb.qmode || to.qmode))
		goto err;
	for (i = 0; i < 4; i++)
		if ((ta.shape[i] != to.shape[i] && ta.shape[i] != 1) ||
		    (tb.shape[i] != to.shape[i] && tb.shape[i] != 1))
			goto err;
	ret = APART(&to, true, &ta, &tb);
	if (ret)
		goto err;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(VNPU_OP_ELTWISE, sizeof(c));
	enc(&c.a, a);
	enc(&c.b, b);
	enc(&c.out, out);
	c.op = op;
	c.act = act;
	return emit(cb, &c, sizeof(c), &r);
err:
	refs_put(&r);
	return ret;
}

/*
 * ACTIVATION, SOFTMAX and REDUCE: one input, one output of its dtype.
 * @same: out has in's shape (else REDUCE's rule on @axes).
 */
static int unary(struct accel_cmdbuf *cb, uint16_t opcode,
		 const struct accel_tensor *out, const struct accel_tensor *in,
		 uint32_t param, bool inplace, uint32_t axes)
{
	struct vnpu_cmd_unary c;
	struct refs r = { .n = 0 };
	struct tv ti, to;
	unsigned int i;
	int ret;

	if (!cb)
		return -EINVAL;
	ret = TENSORS(cb, &r, IN(in, &ti), OUT(out, &to));
	if (ret)
		goto err;
	ret = -EINVAL;
	if (ti.dtype != to.dtype || !unary_dtype_ok(&ti) || !unary_dtype_ok(&to))
		goto err;
	switch (opcode) {
	case VNPU_OP_ACTIVATION:
		if (param == VNPU_ACT_NONE || param >= VNPU_ACT_COUNT ||
		    !same_shape(&ti, &to))
			goto err;
		break;
	case VNPU_OP_SOFTMAX:
		if (param >= ti.rank || !same_shape(&ti, &to))
			goto err;
		break;
	case VNPU_OP_REDUCE:
		if (to.rank != ti.rank || !axes || (axes >> ti.rank))
			goto err;
		for (i = 0; i < ti.rank; i++) {
			unsigned int k = 4 - ti.rank + i;
			uint64_t want = (axes & (1u << i)) ? 1 : ti.shape[k];

			if (to.shape[k] != want)
				goto err;
		}
		break;
	}
	ret = no_alias(&to, &ti, inplace);
	if (ret)
		goto err;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(opcode, sizeof(c));
	enc(&c.in, in);
	enc(&c.out, out);
	c.param = param;
	return emit(cb, &c, sizeof(c), &r);
err:
	refs_put(&r);
	return ret;
}

ACCEL_EXPORT int accel_cmdbuf_activation(struct accel_cmdbuf *cb,
					 const struct accel_tensor *out,
					 const struct accel_tensor *in,
					 uint32_t act)
{
	return unary(cb, VNPU_OP_ACTIVATION, out, in, act, true, 0);
}

ACCEL_EXPORT int accel_cmdbuf_softmax(struct accel_cmdbuf *cb,
				      const struct accel_tensor *out,
				      const struct accel_tensor *in,
				      uint32_t axis)
{
	return unary(cb, VNPU_OP_SOFTMAX, out, in, axis, false, 0);
}

ACCEL_EXPORT int accel_cmdbuf_reduce(struct accel_cmdbuf *cb,
				     const struct accel_tensor *out,
				     const struct accel_tensor *in,
				     uint32_t op, uint32_t axes)
{
	if (op >= VNPU_RED_COUNT || axes > 0xf)
		return -EINVAL;
	return unary(cb, VNPU_OP_REDUCE, out, in,
		     op | (axes << VNPU_RED_AXES_SHIFT), false, axes);
}

static int norm(struct accel_cmdbuf *cb, uint16_t opcode,
		const struct accel_tensor *out, const struct accel_tensor *in,
		const struct accel_tensor *gamma,
		const struct accel_tensor *beta, float eps)
{
	struct vnpu_cmd_norm c;
	struct refs r = { .n = 0 };
	struct tv ti, to, tg[2];
	unsigned int i;
	int ret;

	if (!cb || !isfinite(eps) || eps < 0)
		return -EINVAL;
	ret = TENSORS(cb, &r, IN(in, &ti), OPT(gamma, &tg[0]),
		      OPT(beta, &tg[1]), OUT(out, &to));
	if (ret)
		goto err;
	ret = -EINVAL;
	if (ti.dtype != to.dtype || !unary_dtype_ok(&ti) ||
	    !unary_dtype_ok(&to) || !same_shape(&ti, &to))
		goto err;
	/* gamma and beta: [C], F32 or BF16, whatever in's dtype. */
	for (i = 0; i < 2; i++) {
		if (!tg[i].present)
			continue;
		if (tg[i].rank != 1 || tg[i].shape[3] != ti.shape[3] ||
		    !dt_float(tg[i].dtype))
			goto err;
	}
	ret = APART(&to, false, &ti, &tg[0], &tg[1]);
	if (ret)
		goto err;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(opcode, sizeof(c));
	enc(&c.in, in);
	enc(&c.gamma, gamma);
	enc(&c.beta, beta);
	enc(&c.out, out);
	memcpy(&c.eps, &eps, 4);
	return emit(cb, &c, sizeof(c), &r);
err:
	refs_put(&r);
	return ret;
}

ACCEL_EXPORT int accel_cmdbuf_layernorm(struct accel_cmdbuf *cb,
					const struct accel_tensor *out,
					const struct accel_tensor *in,
					const struct accel_tensor *gamma,
					const struct accel_tensor *beta,
					float eps)
{
	return norm(cb, VNPU_OP_LAYERNORM, out, in, gamma, beta, eps);
}

ACCEL_EXPORT int accel_cmdbuf_rmsnorm(struct accel_cmdbuf *cb,
				      const struct accel_tensor *out,
				      const struct accel_tensor *in,
				      const struct accel_tensor *gamma,
				      const struct accel_tensor *beta,
				      float eps)
{
	return norm(cb, VNPU_OP_RMSNORM, out, in, gamma, beta, eps);
}

ACCEL_EXPORT int accel_cmdbuf_pool2d(struct accel_cmdbuf *cb,
				     const struct accel_tensor *out,
				     const struct accel_tensor *in,
				     const struct accel_pool2d_params *p)
{
	struct vnpu_cmd_pool2d c;
	struct refs r = { .n = 0 };
	struct tv ti, to;
	uint64_t oh, ow;
	int ret;

	if (!cb || !p || p->mode >= VNPU_POOL_COUNT)
		return -EINVAL;
	ret = TENSORS(cb, &r, IN(in, &ti), OUT(out, &to));
	if (ret)
		goto err;
	ret = -EINVAL;
	if (ti.rank != 4 || to.rank != 4 || ti.dtype != to.dtype ||
	    !unary_dtype_ok(&ti) || !unary_dtype_ok(&to))
		goto err;
	if (p->mode == VNPU_POOL_GLOBAL_MAX || p->mode == VNPU_POOL_GLOBAL_AVG) {
		if (p->kernel_h || p->kernel_w || p->stride_h || p->stride_w ||
		    p->pad_top || p->pad_bottom || p->pad_left || p->pad_right)
			goto err;
		oh = ow = 1;
	} else {
		if (!p->kernel_h || !p->kernel_w || !p->stride_h ||
		    !p->stride_w || p->pad_top >= p->kernel_h ||
		    p->pad_bottom >= p->kernel_h ||
		    p->pad_left >= p->kernel_w || p->pad_right >= p->kernel_w)
			goto err;
		if (!out_extent(ti.shape[1], p->pad_top, p->pad_bottom,
				p->kernel_h, p->stride_h, &oh) ||
		    !out_extent(ti.shape[2], p->pad_left, p->pad_right,
				p->kernel_w, p->stride_w, &ow))
			goto err;
	}
	if (to.shape[0] != ti.shape[0] || to.shape[1] != oh ||
	    to.shape[2] != ow || to.shape[3] != ti.shape[3])
		goto err;
	ret = no_alias(&to, &ti, false);
	if (ret)
		goto err;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(VNPU_OP_POOL2D, sizeof(c));
	enc(&c.in, in);
	enc(&c.out, out);
	c.kernel_h = p->kernel_h;
	c.kernel_w = p->kernel_w;
	c.stride_h = p->stride_h;
	c.stride_w = p->stride_w;
	c.pad_top = p->pad_top;
	c.pad_bottom = p->pad_bottom;
	c.pad_left = p->pad_left;
	c.pad_right = p->pad_right;
	c.mode = p->mode;
	return emit(cb, &c, sizeof(c), &r);
err:
	refs_put(&r);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Conversions                                                         */
/* ------------------------------------------------------------------ */

static int convert(struct accel_cmdbuf *cb, uint16_t opcode,
		   const struct accel_tensor *out,
		   const struct accel_tensor *in)
{
	struct vnpu_cmd_convert c;
	struct refs r = { .n = 0 };
	struct tv ti, to;
	int ret;

	if (!cb)
		return -EINVAL;
	ret = TENSORS(cb, &r, IN(in, &ti), OUT(out, &to));
	if (ret)
		goto err;
	ret = -EINVAL;
	if (!same_shape(&ti, &to))
		goto err;
	switch (opcode) {
	case VNPU_OP_QUANTIZE:
		if (!dt_float(ti.dtype) || dt_float(to.dtype) ||
		    to.qmode == VNPU_QMODE_NONE)
			goto err;
		break;
	case VNPU_OP_DEQUANTIZE:
		if (dt_float(ti.dtype) || ti.qmode == VNPU_QMODE_NONE ||
		    !dt_float(to.dtype))
			goto err;
		break;
	case VNPU_OP_CAST:
		if (ti.qmode != VNPU_QMODE_NONE || to.qmode != VNPU_QMODE_NONE)
			goto err;
		break;
	}
	ret = no_alias(&to, &ti, true);
	if (ret)
		goto err;
	memset(&c, 0, sizeof(c));
	c.hdr = mkhdr(opcode, sizeof(c));
	enc(&c.in, in);
	enc(&c.out, out);
	return emit(cb, &c, sizeof(c), &r);
err:
	refs_put(&r);
	return ret;
}

ACCEL_EXPORT int accel_cmdbuf_quantize(struct accel_cmdbuf *cb,
				       const struct accel_tensor *out,
				       const struct accel_tensor *in)
{
	return convert(cb, VNPU_OP_QUANTIZE, out, in);
}

ACCEL_EXPORT int accel_cmdbuf_dequantize(struct accel_cmdbuf *cb,
					 const struct accel_tensor *out,
					 const struct accel_tensor *in)
{
	return convert(cb, VNPU_OP_DEQUANTIZE, out, in);
}

ACCEL_EXPORT int accel_cmdbuf_cast(struct accel_cmdbuf *cb,
				   const struct accel_tensor *out,
				   const struct accel_tensor *in)
{
	return convert(cb, VNPU_OP_CAST, out, in);
}

/* ------------------------------------------------------------------ */
/* Replaying an encoded stream                                         */
/* ------------------------------------------------------------------ */

static const struct accel_tensor *opt(const struct vnpu_tensor *v,
				      struct accel_tensor *t)
{
	memcpy(t, v, sizeof(*t));
	return t->rank || !all_zero(t, sizeof(*t)) ? t : NULL;
}

static const struct accel_tensor *req(const struct vnpu_tensor *v,
				      struct accel_tensor *t)
{
	memcpy(t, v, sizeof(*t));
	return t;
}

/* Append one well-framed command of @len bytes through its builder. */
static int replay_one(struct accel_cmdbuf *cb, const void *p)
{
	const struct vnpu_cmd_hdr *h = p;
	struct accel_tensor t[4];

	switch (h->opcode) {
	case VNPU_OP_NOP:
		return accel_cmdbuf_nop(cb);
	case VNPU_OP_BARRIER:
		return accel_cmdbuf_barrier(cb);
	case VNPU_OP_FILL: {
		const struct vnpu_cmd_fill *c = p;

		if (c->rsvd)
			return -EBADMSG;
		return accel_cmdbuf_fill(cb, c->dst, c->size, c->pattern);
	}
	case VNPU_OP_COPY: {
		const struct vnpu_cmd_copy *c = p;

		return accel_cmdbuf_copy(cb, c->dst, c->src, c->size);
	}
	case VNPU_OP_TIMESTAMP:
		return accel_cmdbuf_timestamp(cb,
			((const struct vnpu_cmd_timestamp *)p)->dst);
	case VNPU_OP_SEM_WAIT:
	case VNPU_OP_SEM_SIGNAL: {
		const struct vnpu_cmd_sem *c = p;

		if (c->rsvd)
			return -EBADMSG;
		if (h->opcode == VNPU_OP_SEM_WAIT)
			return accel_cmdbuf_sem_wait(cb, c->va, c->op, c->value,
						     c->timeout_us);
		if (c->timeout_us)
			return -EINVAL;
		return accel_cmdbuf_sem_signal(cb, c->va, c->op, c->value);
	}
	case VNPU_OP_COPY_ND: {
		const struct vnpu_cmd_copy_nd *c = p;

		if (c->rsvd)
			return -EBADMSG;
		return accel_cmdbuf_copy_nd(cb, req(&c->dst, &t[0]),
					    req(&c->src, &t[1]), c->perm);
	}
	case VNPU_OP_GEMM: {
		const struct vnpu_cmd_gemm *c = p;

		if (c->rsvd)
			return -EBADMSG;
		return accel_cmdbuf_gemm(cb, req(&c->out, &t[0]),
					 req(&c->a, &t[1]), req(&c->b, &t[2]),
					 opt(&c->bias, &t[3]), c->act);
	}
	case VNPU_OP_CONV2D: {
		const struct vnpu_cmd_conv2d *c = p;
		struct accel_conv2d_params cp = {
			.stride_h = c->stride_h, .stride_w = c->stride_w,
			.dil_h = c->dil_h, .dil_w = c->dil_w,
			.pad_top = c->pad_top, .pad_bottom = c->pad_bottom,
			.pad_left = c->pad_left, .pad_right = c->pad_right,
			.groups = c->groups, .act = c->act,
		};

		return accel_cmdbuf_conv2d(cb, req(&c->out, &t[0]),
					   req(&c->in, &t[1]),
					   req(&c->weight, &t[2]),
					   opt(&c->bias, &t[3]), &cp);
	}
	case VNPU_OP_ELTWISE: {
		const struct vnpu_cmd_eltwise *c = p;

		return accel_cmdbuf_eltwise(cb, c->op, req(&c->out, &t[0]),
					    req(&c->a, &t[1]), req(&c->b, &t[2]),
					    c->act);
	}
	case VNPU_OP_ACTIVATION:
	case VNPU_OP_SOFTMAX:
	case VNPU_OP_REDUCE: {
		const struct vnpu_cmd_unary *c = p;

		if (c->rsvd)
			return -EBADMSG;
		req(&c->out, &t[0]);
		req(&c->in, &t[1]);
		if (h->opcode == VNPU_OP_ACTIVATION)
			return accel_cmdbuf_activation(cb, &t[0], &t[1], c->param);
		if (h->opcode == VNPU_OP_SOFTMAX)
			return accel_cmdbuf_softmax(cb, &t[0], &t[1], c->param);
		if (c->param & ~(VNPU_RED_OP_MASK | VNPU_RED_AXES_MASK))
			return -EINVAL;
		return accel_cmdbuf_reduce(cb, &t[0], &t[1],
					   c->param & VNPU_RED_OP_MASK,
					   (c->param & VNPU_RED_AXES_MASK) >>
					   VNPU_RED_AXES_SHIFT);
	}
	case VNPU_OP_LAYERNORM:
	case VNPU_OP_RMSNORM: {
		const struct vnpu_cmd_norm *c = p;
		float eps;

		if (c->rsvd)
			return -EBADMSG;
		memcpy(&eps, &c->eps, 4);
		return (h->opcode == VNPU_OP_LAYERNORM ? accel_cmdbuf_layernorm :
			accel_cmdbuf_rmsnorm)(cb, req(&c->out, &t[0]),
					      req(&c->in, &t[1]),
					      opt(&c->gamma, &t[2]),
					      opt(&c->beta, &t[3]), eps);
	}
	case VNPU_OP_POOL2D: {
		const struct vnpu_cmd_pool2d *c = p;
		struct accel_pool2d_params pp = {
			.kernel_h = c->kernel_h, .kernel_w = c->kernel_w,
			.stride_h = c->stride_h, .stride_w = c->stride_w,
			.pad_top = c->pad_top, .pad_bottom = c->pad_bottom,
			.pad_left = c->pad_left, .pad_right = c->pad_right,
			.mode = c->mode,
		};

		if (c->rsvd)
			return -EBADMSG;
		return accel_cmdbuf_pool2d(cb, req(&c->out, &t[0]),
					   req(&c->in, &t[1]), &pp);
	}
	case VNPU_OP_QUANTIZE:
	case VNPU_OP_DEQUANTIZE:
	case VNPU_OP_CAST: {
		const struct vnpu_cmd_convert *c = p;

		req(&c->out, &t[0]);
		req(&c->in, &t[1]);
		if (h->opcode == VNPU_OP_QUANTIZE)
			return accel_cmdbuf_quantize(cb, &t[0], &t[1]);
		if (h->opcode == VNPU_OP_DEQUANTIZE)
			return accel_cmdbuf_dequantize(cb, &t[0], &t[1]);
		return accel_cmdbuf_cast(cb, &t[0], &t[1]);
	}
	}
	return -EBADMSG;
}

ACCEL_EXPORT int accel_cmdbuf_append_stream(struct accel_cmdbuf *cb,
					    const void *data, size_t size,
					    size_t *bad_offset)
{
	const uint8_t *p = data;
	struct accel_cmdbuf_mark mark;
	size_t off = 0;
	uint64_t words[64];
	int ret = 0;

	if (!cb || (size && !data) || (size % 8))
		return -EINVAL;
	/* Undo what was appended if a later command fails. */
	accel_cmdbuf_get_mark(cb, &mark);
	while (off < size) {
		struct vnpu_cmd_hdr h;
		size_t len;

		if (size - off < sizeof(h)) {
			ret = -EBADMSG;
			break;
		}
		memcpy(&h, p + off, sizeof(h));
		len = vnpu_op_cmd_size(h.opcode);
		if (!len) {
			ret = -EBADMSG;
			break;
		}
		if (h.len * 8u != len || h.flags || size - off < len) {
			ret = -EBADMSG;
			break;
		}
		/* An aligned private copy: @data may be unaligned. */
		memcpy(words, p + off, len);
		ret = replay_one(cb, words);
		if (ret)
			break;
		off += len;
	}
	if (ret) {
		accel_cmdbuf_rollback(cb, &mark);
		if (bad_offset)
			*bad_offset = off;
	}
	return ret;
}
