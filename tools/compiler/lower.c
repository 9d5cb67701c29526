// SPDX-License-Identifier: MIT
/*
 * vnpu compiler: lowering of the fused IR to vnpu commands, memory
 * planning (liveness-based reuse, device-memory placement of hot tensors)
 * and the package writer.
 *
 * Copyright (C) 2026 The vnpu authors
 *
 * Layout: 4-D image tensors produced by Conv and pooling are kept NHWC on
 * the device; every other tensor is row-major in its ONNX shape. A
 * consumer that needs the other layout gets a COPY_ND permutation (none
 * when the permutation only moves dimensions of extent 1).
 *
 * Values: a value is one buffer of the plan (an intermediate, a constant,
 * an input or output). Reshape-like nodes make views of their input's
 * value. Commands refer to values through relocations resolved once every
 * value has a region and an offset.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnpu_device.h"
#include "vnpu_package.h"
#include "ir.h"
#include "lower.h"

#define ALIGN		64

enum { VK_CONST = 1, VK_SCRATCH, VK_INPUT, VK_OUTPUT, VK_PROFILE };

struct val {
	uint64_t size;
	int kind;
	void *data;		/* VK_CONST */
	int first, last;	/* layers */
	int uses;		/* accesses, for placement */
	int region;
	uint64_t offset;
	int io;			/* VK_INPUT/OUTPUT: index */
	const char *name;
};

/* Where and how an IR tensor is stored. */
struct view {
	int val;		/* -1: not lowered yet */
	uint64_t off;		/* bytes into the value */
	int layout;		/* VNPU_PKG_LAYOUT_* */
	int dtype;		/* VNPU_DT_* */
	float scale;
	int zp;
	/* a [N, C*H*W] flatten of NHWC data: columns in (h, w, c) order */
	int64_t fl_c, fl_h, fl_w;
};

struct preloc {
	size_t field;		/* byte offset in the command being built */
	int val;
	uint64_t addend;
};

struct creloc {
	uint32_t offset;	/* in the stream */
	int val;
	uint64_t addend;
};

struct layer {
	const char *name, *op;
	uint32_t cmd_offset, cmd_size;
	uint64_t macs, bytes;
	int out_tensor;
	int tiles;
	char shape[64];
};

struct lower {
	struct ir_graph *g;
	const struct lower_opts *o;
	struct val *v;
	int nv, v_cap;
	struct view *tv;	/* per IR tensor, as produced */
	struct view *alt;	/* per IR tensor, converted (layout/dtype) */
	uint8_t *cmds;
	size_t ncmd, cmd_cap;
	struct creloc *rel;
	size_t nrel, rel_cap;
	struct preloc pend[16];
	int npend;
	struct layer *layers;
	int nlayers, cur;
	uint64_t cur_macs, cur_bytes;
	int cur_tiles;
	int profile_val;
	/* plan */
	uint64_t region_size[8];
	int region_kind[8], region_place[8], region_io[8];
	int nregions;
};

static int add_val(struct lower *L, uint64_t size, int kind, const char *name)
{
	struct val *v;

	if (L->nv == L->v_cap) {
		int cap = L->v_cap ? 2 * L->v_cap : 64;
		void *p = realloc(L->v, cap * sizeof(*L->v));

		if (!p)
			return ir_error(L->g, "out of memory");
		L->v = p;
		L->v_cap = cap;
	}
	v = &L->v[L->nv];
	memset(v, 0, sizeof(*v));
	v->size = size ? size : 1;
	v->kind = kind;
	v->first = L->cur;
	v->last = L->cur;
	v->region = -1;
	v->name = name;
	return L->nv++;
}

static void touch(struct lower *L, int val)
{
	if (L->v[val].first > L->cur)
		L->v[val].first = L->cur;
	if (L->v[val].last < L->cur)
		L->v[val].last = L->cur;
	L->v[val].uses++;
}

static size_t dt_size(int dt)
{
	return dt == VNPU_DT_F32 || dt == VNPU_DT_I32 ? 4 : dt == VNPU_DT_BF16 ? 2 : 1;
}

static uint32_t f2u(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

/*
 * Fill a tensor descriptor at byte @field of the command under
 * construction: @rank dims of @shape, contiguous strides unless @stride.
 */
static void tdesc(struct lower *L, struct vnpu_tensor *d, size_t field,
		  const struct view *w, int rank, const int64_t *shape,
		  const int64_t *stride)
{
	int64_t s = 1;
	int i;

	memset(d, 0, sizeof(*d));
	d->dtype = (uint8_t)w->dtype;
	d->rank = (uint8_t)rank;
	for (i = rank - 1; i >= 0; i--) {
		d->shape[i] = (uint32_t)shape[i];
		d->stride[i] = (uint32_t)(stride ? stride[i] : s);
		s *= shape[i];
	}
	if (w->dtype == VNPU_DT_I8) {
		d->qmode = VNPU_QMODE_TENSOR;
		d->scale = f2u(w->scale);
		d->zero_point = w->zp;
	}
	L->pend[L->npend++] = (struct preloc){ field + offsetof(struct vnpu_tensor, va),
					       w->val, w->off };
	touch(L, w->val);
}

static int emit(struct lower *L, void *cmd, size_t len, uint16_t opcode)
{
	struct vnpu_cmd_hdr *h = cmd;
	int i;

	h->opcode = opcode;
	h->len = (uint16_t)(len / 8);
	h->flags = 0;
	while (L->ncmd + len > L->cmd_cap) {
		size_t cap = L->cmd_cap ? 2 * L->cmd_cap : 4096;
		void *p = realloc(L->cmds, cap);

		if (!p)
			return ir_error(L->g, "out of memory");
		L->cmds = p;
		L->cmd_cap = cap;
	}
	if (L->nrel + L->npend > L->rel_cap) {
		size_t cap = L->rel_cap ? 2 * L->rel_cap + L->npend : 256;
		void *p = realloc(L->rel, cap * sizeof(*L->rel));

		if (!p)
			return ir_error(L->g, "out of memory");
		L->rel = p;
		L->rel_cap = cap;
	}
	for (i = 0; i < L->npend; i++)
		L->rel[L->nrel++] = (struct creloc){ (uint32_t)(L->ncmd + L->pend[i].field),
						     L->pend[i].val, L->pend[i].addend };
	L->npend = 0;
	memcpy(L->cmds + L->ncmd, cmd, len);
	L->ncmd += len;
	if (L->ncmd > VNPU_CMD_MAX_SIZE)
		return ir_error(L->g, "the command stream exceeds %u bytes",
				VNPU_CMD_MAX_SIZE);
	return 0;
}

/* Device shape of a view of IR tensor @t (NHWC permutes logical NCHW). */
static int dev_shape(const struct ir_tensor *t, const struct view *w, int64_t *s)
{
	if (w->layout == VNPU_PKG_LAYOUT_NHWC) {
		s[0] = t->dims[0];
		s[1] = t->dims[2];
		s[2] = t->dims[3];
		s[3] = t->dims[1];
		return 4;
	}
	memcpy(s, t->dims, t->rank * sizeof(int64_t));
	return t->rank;
}

static uint64_t tbytes(const struct ir_tensor *t, int dt)
{
	return (uint64_t)ir_numel(t) * dt_size(dt);
}

/* New value holding IR tensor @t (OUTPUT values for graph outputs). */
static int new_out(struct lower *L, int t, int layout, int dt, struct view *w)
{
	struct ir_tensor *x = &L->g->t[t];
	int kind = x->is_output && layout == VNPU_PKG_LAYOUT_ROW && dt == VNPU_DT_F32 ?
		   VK_OUTPUT : VK_SCRATCH;
	int v = add_val(L, tbytes(x, dt), kind, x->name);

	if (v < 0)
		return -1;
	*w = (struct view){ .val = v, .layout = layout, .dtype = dt,
			    .scale = x->scale, .zp = x->zero_point };
	return 0;
}

static bool trivial_perm(const int64_t *src_shape, const int *perm, int rank)
{
	int i, last = -1;

	/* memory order is kept if the non-unit dims stay in order */
	for (i = 0; i < rank; i++) {
		if (src_shape[perm[i]] == 1)
			continue;
		if (perm[i] < last)
			return false;
		last = perm[i];
	}
	return true;
}

static int copy_nd(struct lower *L, const struct view *src, int rank,
		   const int64_t *sshape, const struct view *dst, const int *perm)
{
	struct vnpu_cmd_copy_nd c;
	int64_t dshape[4] = { 0 };
	struct view s = *src, d = *dst;
	int i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < rank; i++)
		dshape[i] = sshape[perm[i]];
	/* raw bytes: no quantisation on COPY_ND */
	tdesc(L, &c.src, offsetof(struct vnpu_cmd_copy_nd, src), &s, rank, sshape, NULL);
	tdesc(L, &c.dst, offsetof(struct vnpu_cmd_copy_nd, dst), &d, rank, dshape, NULL);
	c.src.qmode = c.dst.qmode = 0;
	c.src.scale = c.dst.scale = 0;
	c.src.zero_point = c.dst.zero_point = 0;
	for (i = 0; i < rank; i++)
		c.perm[i] = (uint8_t)perm[i];
	return emit(L, &c, sizeof(c), VNPU_OP_COPY_ND);
}

static int convert(struct lower *L, struct view *in, const struct ir_tensor *x,
		   int op, struct view *out)
{
	struct vnpu_cmd_convert c;
	int64_t s[4];
	int r = dev_shape(x, in, s);

	memset(&c, 0, sizeof(c));
	tdesc(L, &c.in, offsetof(struct vnpu_cmd_convert, in), in, r, s, NULL);
	tdesc(L, &c.out, offsetof(struct vnpu_cmd_convert, out), out, r, s, NULL);
	return emit(L, &c, sizeof(c), op);
}

/*
 * View of IR tensor @t in @layout and dtype @dt (VNPU_DT_F32 or I8),
 * converting (and caching the conversion) when needed.
 */
static int get(struct lower *L, int t, int layout, int dt, struct view *out)
{
	struct ir_tensor *x = &L->g->t[t];
	struct view w = L->tv[t];
	int64_t s[4];

	if (w.val < 0)
		return ir_error(L->g, "internal: tensor '%s' used before it is computed", x->name);
	if (w.layout == layout && w.dtype == dt) {
		touch(L, w.val);
		*out = w;
		return 0;
	}
	if (L->alt[t].val >= 0 && L->alt[t].layout == layout && L->alt[t].dtype == dt) {
		touch(L, L->alt[t].val);
		*out = L->alt[t];
		return 0;
	}
	if (w.dtype != dt) {
		struct view q;

		if (new_out(L, t, w.layout, dt, &q))
			return -1;
		L->v[q.val].kind = VK_SCRATCH;
		q.scale = x->scale;
		q.zp = x->zero_point;
		if (convert(L, &w, x, dt == VNPU_DT_I8 ? VNPU_OP_QUANTIZE : VNPU_OP_DEQUANTIZE, &q))
			return -1;
		q.fl_c = w.fl_c;	/* elementwise: the column order stays */
		q.fl_h = w.fl_h;
		q.fl_w = w.fl_w;
		w = q;
	}
	if (w.layout != layout) {
		static const int to_row[4] = { 0, 3, 1, 2 }, to_nhwc[4] = { 0, 2, 3, 1 };
		const int *perm = layout == VNPU_PKG_LAYOUT_ROW ? to_row : to_nhwc;
		int r = dev_shape(x, &w, s);

		if (r != 4)
			return ir_error(L->g, "internal: NHWC view of a rank-%d tensor", x->rank);
		if (trivial_perm(s, perm, 4)) {
			w.layout = layout;
		} else {
			struct view d;

			if (new_out(L, t, layout, w.dtype, &d))
				return -1;
			L->v[d.val].kind = VK_SCRATCH;
			d.scale = w.scale;
			d.zp = w.zp;
			if (copy_nd(L, &w, 4, s, &d, perm))
				return -1;
			w = d;
		}
	}
	L->alt[t] = w;
	touch(L, w.val);
	*out = w;
	return 0;
}

/* A constant as a value: float data converted to @dt (F32, I8 or I32). */
static int const_val(struct lower *L, const void *data, uint64_t bytes,
		     const char *name)
{
	int v = add_val(L, bytes, VK_CONST, name);

	if (v < 0)
		return -1;
	L->v[v].data = malloc(bytes);
	if (!L->v[v].data)
		return ir_error(L->g, "out of memory");
	memcpy(L->v[v].data, data, bytes);
	L->v[v].first = 0;
	return v;
}

static int const_view(struct lower *L, int t, struct view *w)
{
	struct ir_tensor *x = &L->g->t[t];
	int v = const_val(L, x->data, ir_numel(x) * 4, x->name);

	if (v < 0)
		return -1;
	*w = (struct view){ .val = v, .layout = VNPU_PKG_LAYOUT_ROW, .dtype = VNPU_DT_F32 };
	return 0;
}

/* ------------------------------------------------------------------ */
/* int8 helpers                                                        */

/* Quantise weights per channel (symmetric int8). @axis_stride/@chan_stride
 * select channel c of element e: c = (e / inner) % channels. */
static int quant_weights(struct lower *L, const float *w, int64_t n,
			 int64_t channels, int64_t inner, const char *name,
			 int *wval, int *qval, float *scales)
{
	int8_t *q = malloc(n ? n : 1);
	struct vnpu_qparam *qp = calloc(channels, sizeof(*qp));
	int64_t e, c;

	if (!q || !qp) {
		free(q);
		free(qp);
		return ir_error(L->g, "out of memory");
	}
	for (c = 0; c < channels; c++)
		scales[c] = 0;
	for (e = 0; e < n; e++) {
		c = (e / inner) % channels;
		if (fabsf(w[e]) > scales[c])
			scales[c] = fabsf(w[e]);
	}
	for (c = 0; c < channels; c++) {
		scales[c] = scales[c] > 0 ? scales[c] / 127.0f : 1.0f;
		qp[c].scale = f2u(scales[c]);
		qp[c].zero_point = 0;
	}
	for (e = 0; e < n; e++) {
		double r = rint((double)w[e] / scales[(e / inner) % channels]);

		q[e] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
	}
	*wval = const_val(L, q, n, name);
	*qval = *wval < 0 ? -1 : const_val(L, qp, channels * sizeof(*qp), name);
	free(q);
	free(qp);
	return *wval < 0 || *qval < 0 ? -1 : 0;
}

static int bias_i32(struct lower *L, const float *b, int64_t n, float sa,
		    const float *sw, const char *name)
{
	int32_t *q = calloc(n ? n : 1, 4);
	int64_t c;
	int v;

	if (!q)
		return ir_error(L->g, "out of memory");
	for (c = 0; c < n; c++) {
		double r = b ? rint((double)b[c] / ((double)sa * sw[c])) : 0;

		q[c] = (int32_t)(r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : r);
	}
	v = const_val(L, q, n * 4, name);
	free(q);
	return v;
}

static void wdesc_channel(struct lower *L, struct vnpu_tensor *d, size_t field,
			  int qval, int axis)
{
	d->qmode = VNPU_QMODE_CHANNEL;
	d->qaxis = (uint8_t)axis;
	d->scale = 0;
	d->zero_point = 0;
	L->pend[L->npend++] = (struct preloc){ field + offsetof(struct vnpu_tensor, qparams_va),
					       qval, 0 };
	touch(L, qval);
}

static bool int8_node(struct lower *L, const struct ir_node *n)
{
	if (!L->g->int8)
		return false;
	switch (n->op) {
	case OP_CONV:
		return true;
	case OP_GEMM:
		return ir_is_const(L->g, n->in[1]) && L->g->t[n->in[1]].rank == 2;
	case OP_MAXPOOL: case OP_AVGPOOL: case OP_GAP:
		return L->tv[n->in[0]].dtype == VNPU_DT_I8;
	default:
		return false;
	}
}

/* ------------------------------------------------------------------ */

/*
 * Tiling. When an operator's activations (input + output) exceed half of
 * the device memory, it runs in tiles along the outermost dimension: each
 * tile's rows are copied into a device-memory staging buffer, computed
 * there, and the result copied back. The staging buffers are small, hot
 * values, so the plan places them in device memory. @cmd is the complete
 * command for all rows; the tensors at @in_field/@out_field are re-aimed
 * at the staging buffers with their outermost extent cut to the tile.
 */
static int emit_tiled(struct lower *L, void *cmd, size_t len, uint16_t op,
		      size_t in_field, size_t out_field, const struct view *in,
		      const struct view *out, int64_t rows, uint64_t rin, uint64_t rout)
{
	uint64_t dm = L->o->devmem_size, mt;
	struct preloc saved[16];
	int nsaved = L->npend, sin, sout, ntiles = 0;
	uint8_t ct[512];
	int64_t m0;

	if (!dm || rows < 2 || rows * (rin + rout) <= dm / 2 || len > sizeof(ct))
		return emit(L, cmd, len, op);
	mt = dm / 4 / (rin + rout);
	if (mt < 1)
		mt = 1;
	if ((int64_t)mt >= rows)
		return emit(L, cmd, len, op);
	memcpy(saved, L->pend, sizeof(saved));
	L->npend = 0;
	sin = add_val(L, mt * rin, VK_SCRATCH, "tile-in");
	sout = add_val(L, mt * rout, VK_SCRATCH, "tile-out");
	if (sin < 0 || sout < 0)
		return -1;
	for (m0 = 0; m0 < rows; m0 += (int64_t)mt) {
		int64_t cur = rows - m0 < (int64_t)mt ? rows - m0 : (int64_t)mt;
		struct view src = *in, dst = *out, si = *in, so = *out;
		struct vnpu_tensor *tin = (void *)(ct + in_field), *tout = (void *)(ct + out_field);
		int64_t cnt;
		int perm[4] = { 0 }, i;

		si.val = sin;
		si.off = 0;
		so.val = sout;
		so.off = 0;
		src.off += (uint64_t)m0 * rin;
		dst.off += (uint64_t)m0 * rout;
		cnt = (int64_t)(cur * rin / dt_size(in->dtype));
		if (copy_nd(L, &src, 1, &cnt, &si, perm))
			return -1;
		memcpy(ct, cmd, len);
		tin->shape[0] = (uint32_t)cur;
		tout->shape[0] = (uint32_t)cur;
		memcpy(L->pend, saved, sizeof(saved));
		L->npend = nsaved;
		for (i = 0; i < nsaved; i++) {
			if (L->pend[i].field == in_field) {
				L->pend[i].val = sin;
				L->pend[i].addend = 0;
			} else if (L->pend[i].field == out_field) {
				L->pend[i].val = sout;
				L->pend[i].addend = 0;
			}
		}
		touch(L, sin);
		touch(L, sout);
		if (emit(L, ct, len, op))
			return -1;
		cnt = (int64_t)(cur * rout / dt_size(out->dtype));
		if (copy_nd(L, &so, 1, &cnt, &dst, perm))
			return -1;
		ntiles++;
	}
	L->cur_tiles = ntiles;
	return 0;
}

static int lower_gemm(struct lower *L, struct ir_node *n)
{
	struct ir_graph *g = L->g;
	struct ir_tensor *x = &g->t[n->in[0]], *b = &g->t[n->in[1]], *o = &g->t[n->out[0]];
	bool q8 = int8_node(L, n);
	int dt = q8 ? VNPU_DT_I8 : VNPU_DT_F32;
	struct vnpu_cmd_gemm c;
	struct view a, wb, bias = { .val = -1 }, out;
	int64_t M, K, N, as[4], bs[4], os[4], bst[4] = { 0 };
	int R, i;

	memset(&c, 0, sizeof(c));
	if (get(L, n->in[0], VNPU_PKG_LAYOUT_ROW, dt, &a))
		return -1;
	N = o->dims[o->rank - 1];
	K = x->dims[x->rank - 1];
	if (new_out(L, n->out[0], VNPU_PKG_LAYOUT_ROW, dt, &out))
		return -1;
	if (ir_is_const(g, n->in[1]) && b->rank == 2) {
		const float *bdata = b->data;
		float *bperm = NULL;

		/* A is a flatten of NHWC data: reorder B's K rows to (h, w, c) */
		if (a.fl_c) {
			int64_t C = a.fl_c, H = a.fl_h, W = a.fl_w, k;

			bperm = malloc(ir_numel(b) * sizeof(float));
			if (!bperm)
				return ir_error(g, "out of memory");
			for (k = 0; k < K; k++) {
				int64_t c = k / (H * W), h = (k / W) % H, w = k % W;
				int64_t k2 = (h * W + w) * C + c, j;

				for (j = 0; j < N; j++) {
					if (n->a.trans_b)
						bperm[j * K + k2] = bdata[j * K + k];
					else
						bperm[k2 * N + j] = bdata[k * N + j];
				}
			}
			bdata = bperm;
		}
		/* [.., M, K] x [K, N]: flatten the rows of A */
		M = ir_numel(x) / K;
		R = 2;
		as[0] = M; as[1] = K;
		os[0] = M; os[1] = N;
		bs[0] = K; bs[1] = N;
		if (n->a.trans_b) {	/* stored [N, K] */
			bst[0] = 1;
			bst[1] = K;
		} else {
			bst[0] = N;
			bst[1] = 1;
		}
		if (q8) {
			float *sw = malloc(N * sizeof(float));
			int wv, qv;

			if (!sw) {
				free(bperm);
				return ir_error(g, "out of memory");
			}
			/* channel = N: element e of [N,K] -> e / K; of [K,N] -> e % N */
			if (quant_weights(L, bdata, ir_numel(b), N, n->a.trans_b ? K : 1,
					  b->name, &wv, &qv, sw)) {
				free(sw);
				free(bperm);
				return -1;
			}
			wb = (struct view){ .val = wv, .layout = 0, .dtype = VNPU_DT_I8 };
			tdesc(L, &c.b, offsetof(struct vnpu_cmd_gemm, b), &wb, 2, bs, bst);
			wdesc_channel(L, &c.b, offsetof(struct vnpu_cmd_gemm, b), qv, 1);
			bias.val = bias_i32(L, n->in[2] >= 0 ? g->t[n->in[2]].data : NULL, N,
					    a.scale, sw, n->name);
			free(sw);
			free(bperm);
			if (bias.val < 0)
				return -1;
			bias.dtype = VNPU_DT_I32;
		} else {
			wb = (struct view){ .val = const_val(L, bdata, ir_numel(b) * 4, b->name),
					    .dtype = VNPU_DT_F32 };
			free(bperm);
			if (wb.val < 0)
				return -1;
			tdesc(L, &c.b, offsetof(struct vnpu_cmd_gemm, b), &wb, 2, bs, bst);
			if (n->in[2] >= 0 && const_view(L, n->in[2], &bias))
				return -1;
		}
		L->cur_macs += (uint64_t)M * N * K;
	} else {
		struct view bv;
		int64_t ash[4], bsh[4];

		if (q8)
			return ir_error(g, "internal: int8 batched MatMul");
		if (n->a.trans_b || n->in[2] >= 0)
			return ir_error(g, "node '%s' (%s): a non-constant B with transB or bias is not supported",
					n->name, n->op_type);
		if (get(L, n->in[1], VNPU_PKG_LAYOUT_ROW, VNPU_DT_F32, &bv))
			return -1;
		R = o->rank;
		if (R > 4)
			return ir_error(g, "node '%s': rank %d", n->name, R);
		for (i = 0; i < R; i++) {
			int ja = i - (R - x->rank), jb = i - (R - b->rank);

			ash[i] = ja >= 0 ? x->dims[ja] : 1;
			bsh[i] = jb >= 0 ? b->dims[jb] : 1;
			os[i] = o->dims[i];
		}
		M = o->dims[R - 2];
		tdesc(L, &c.b, offsetof(struct vnpu_cmd_gemm, b), &bv, R, bsh, NULL);
		memcpy(as, ash, sizeof(ash));
		L->cur_macs += (uint64_t)(ir_numel(o) / N) * N * K;
	}
	tdesc(L, &c.a, offsetof(struct vnpu_cmd_gemm, a), &a, R, as, NULL);
	if (bias.val >= 0) {
		int64_t bn[1] = { N };

		tdesc(L, &c.bias, offsetof(struct vnpu_cmd_gemm, bias), &bias, 1, bn, NULL);
		c.bias.qmode = 0;
		c.bias.scale = 0;
		c.bias.zero_point = 0;
	}
	tdesc(L, &c.out, offsetof(struct vnpu_cmd_gemm, out), &out, R, os, NULL);
	c.act = (uint32_t)n->a.act;
	L->tv[n->out[0]] = out;
	if (R == 2)	/* rows of A against constant weights: tileable */
		return emit_tiled(L, &c, sizeof(c), VNPU_OP_GEMM,
				  offsetof(struct vnpu_cmd_gemm, a),
				  offsetof(struct vnpu_cmd_gemm, out), &a, &out, M,
				  K * dt_size(a.dtype), N * dt_size(out.dtype));
	return emit(L, &c, sizeof(c), VNPU_OP_GEMM);
}

static int lower_conv(struct lower *L, struct ir_node *n)
{
	struct ir_graph *g = L->g;
	struct ir_tensor *x = &g->t[n->in[0]], *w = &g->t[n->in[1]], *o = &g->t[n->out[0]];
	bool q8 = int8_node(L, n);
	int dt = q8 ? VNPU_DT_I8 : VNPU_DT_F32;
	int64_t OC = w->dims[0], CG = w->dims[1], KH = w->dims[2], KW = w->dims[3];
	int64_t ws[4] = { OC, KH, KW, CG }, is[4], osh[4], e;
	struct vnpu_cmd_conv2d c;
	struct view in, wv, bias = { .val = -1 }, out;
	float *ohwi;

	if (!ir_is_const(g, n->in[1]))
		return ir_error(g, "node '%s' (Conv): weights must be constant", n->name);
	memset(&c, 0, sizeof(c));
	if (get(L, n->in[0], VNPU_PKG_LAYOUT_NHWC, dt, &in))
		return -1;
	if (new_out(L, n->out[0], VNPU_PKG_LAYOUT_NHWC, dt, &out))
		return -1;
	/* OIHW -> OHWI */
	ohwi = malloc(ir_numel(w) * sizeof(float));
	if (!ohwi)
		return ir_error(g, "out of memory");
	for (e = 0; e < ir_numel(w); e++) {
		int64_t oc = e / (CG * KH * KW), r = e % (CG * KH * KW);
		int64_t ci = r / (KH * KW), kh = (r / KW) % KH, kw = r % KW;

		ohwi[((oc * KH + kh) * KW + kw) * CG + ci] = ((float *)w->data)[e];
	}
	if (q8) {
		float *sw = malloc(OC * sizeof(float));
		int wq, qv;

		if (!sw || quant_weights(L, ohwi, ir_numel(w), OC, KH * KW * CG, w->name,
					 &wq, &qv, sw)) {
			free(sw);
			free(ohwi);
			return sw ? -1 : ir_error(g, "out of memory");
		}
		wv = (struct view){ .val = wq, .dtype = VNPU_DT_I8 };
		tdesc(L, &c.weight, offsetof(struct vnpu_cmd_conv2d, weight), &wv, 4, ws, NULL);
		wdesc_channel(L, &c.weight, offsetof(struct vnpu_cmd_conv2d, weight), qv, 0);
		bias.val = bias_i32(L, n->in[2] >= 0 ? g->t[n->in[2]].data : NULL, OC,
				    in.scale, sw, n->name);
		bias.dtype = VNPU_DT_I32;
		free(sw);
		if (bias.val < 0) {
			free(ohwi);
			return -1;
		}
	} else {
		wv.val = const_val(L, ohwi, ir_numel(w) * 4, w->name);
		if (wv.val < 0) {
			free(ohwi);
			return -1;
		}
		wv = (struct view){ .val = wv.val, .dtype = VNPU_DT_F32 };
		tdesc(L, &c.weight, offsetof(struct vnpu_cmd_conv2d, weight), &wv, 4, ws, NULL);
		if (n->in[2] >= 0 && const_view(L, n->in[2], &bias)) {
			free(ohwi);
			return -1;
		}
	}
	free(ohwi);
	dev_shape(x, &in, is);
	dev_shape(o, &out, osh);
	tdesc(L, &c.in, offsetof(struct vnpu_cmd_conv2d, in), &in, 4, is, NULL);
	if (bias.val >= 0) {
		tdesc(L, &c.bias, offsetof(struct vnpu_cmd_conv2d, bias), &bias, 1, &OC, NULL);
		c.bias.qmode = 0;
		c.bias.scale = 0;
		c.bias.zero_point = 0;
	}
	tdesc(L, &c.out, offsetof(struct vnpu_cmd_conv2d, out), &out, 4, osh, NULL);
	c.stride_h = (uint16_t)n->a.strides[0];
	c.stride_w = (uint16_t)n->a.strides[1];
	c.dil_h = (uint16_t)n->a.dil[0];
	c.dil_w = (uint16_t)n->a.dil[1];
	c.pad_top = (uint16_t)n->a.pads[0];
	c.pad_left = (uint16_t)n->a.pads[1];
	c.pad_bottom = (uint16_t)n->a.pads[2];
	c.pad_right = (uint16_t)n->a.pads[3];
	c.groups = (uint32_t)n->a.group;
	c.act = (uint32_t)n->a.act;
	L->cur_macs += (uint64_t)ir_numel(o) * KH * KW * CG;
	L->tv[n->out[0]] = out;
	/* images of the batch: tileable */
	return emit_tiled(L, &c, sizeof(c), VNPU_OP_CONV2D,
			  offsetof(struct vnpu_cmd_conv2d, in),
			  offsetof(struct vnpu_cmd_conv2d, out), &in, &out, is[0],
			  (uint64_t)is[1] * is[2] * is[3] * dt_size(in.dtype),
			  (uint64_t)osh[1] * osh[2] * osh[3] * dt_size(out.dtype));
}

static int lower_pool(struct lower *L, struct ir_node *n)
{
	struct ir_graph *g = L->g;
	bool q8 = int8_node(L, n);
	int dt = q8 ? VNPU_DT_I8 : VNPU_DT_F32;
	struct vnpu_cmd_pool2d c;
	struct view in, out;
	int64_t is[4], os[4];

	memset(&c, 0, sizeof(c));
	if (get(L, n->in[0], VNPU_PKG_LAYOUT_NHWC, dt, &in))
		return -1;
	if (q8) {	/* pooling keeps the input's quantisation */
		g->t[n->out[0]].scale = in.scale;
		g->t[n->out[0]].zero_point = in.zp;
	}
	if (new_out(L, n->out[0], VNPU_PKG_LAYOUT_NHWC, dt, &out))
		return -1;
	dev_shape(&g->t[n->in[0]], &in, is);
	dev_shape(&g->t[n->out[0]], &out, os);
	tdesc(L, &c.in, offsetof(struct vnpu_cmd_pool2d, in), &in, 4, is, NULL);
	tdesc(L, &c.out, offsetof(struct vnpu_cmd_pool2d, out), &out, 4, os, NULL);
	if (n->op == OP_GAP) {
		c.mode = VNPU_POOL_GLOBAL_AVG;
	} else {
		c.mode = n->op == OP_MAXPOOL ? VNPU_POOL_MAX : VNPU_POOL_AVG;
		c.kernel_h = (uint16_t)n->a.kernel[0];
		c.kernel_w = (uint16_t)n->a.kernel[1];
		c.stride_h = (uint16_t)n->a.strides[0];
		c.stride_w = (uint16_t)n->a.strides[1];
		c.pad_top = (uint16_t)n->a.pads[0];
		c.pad_left = (uint16_t)n->a.pads[1];
		c.pad_bottom = (uint16_t)n->a.pads[2];
		c.pad_right = (uint16_t)n->a.pads[3];
	}
	L->tv[n->out[0]] = out;
	return emit(L, &c, sizeof(c), VNPU_OP_POOL2D);
}

/* Right-aligned shape of @t padded to @r dims. */
static void pad_shape(const struct ir_tensor *t, int r, int64_t *s)
{
	int i;

	for (i = 0; i < r; i++) {
		int j = i - (r - t->rank);

		s[i] = j >= 0 ? t->dims[j] : 1;
	}
}

static int lower_binary(struct lower *L, struct ir_node *n)
{
	static const int ops[] = { [OP_ADD] = VNPU_ELT_ADD, [OP_SUB] = VNPU_ELT_SUB,
				   [OP_MUL] = VNPU_ELT_MUL, [OP_DIV] = VNPU_ELT_DIV };
	struct ir_graph *g = L->g;
	struct ir_tensor *o = &g->t[n->out[0]];
	struct vnpu_cmd_eltwise c;
	struct view v[2], out;
	int64_t s[3][4];
	int layout = VNPU_PKG_LAYOUT_ROW, i, R = o->rank;

	memset(&c, 0, sizeof(c));
	if (R > 4)
		return ir_error(g, "node '%s' (%s): rank %d", n->name, n->op_type, R);
	/* Stay NHWC if the non-constant operands are NHWC and constants are
	 * scalars or per-channel. */
	if (R == 4) {
		bool nhwc = true, any = false;

		for (i = 0; i < 2; i++) {
			struct ir_tensor *x = &g->t[n->in[i]];

			if (ir_is_const(g, n->in[i])) {
				int64_t p[4];

				pad_shape(x, 4, p);
				if (ir_numel(x) != 1 && (p[0] != 1 || p[2] != 1 || p[3] != 1))
					nhwc = false;
			} else {
				any = true;
				if (L->tv[n->in[i]].layout != VNPU_PKG_LAYOUT_NHWC ||
				    x->rank != 4 || memcmp(x->dims, o->dims, sizeof(x->dims)))
					nhwc = false;
			}
		}
		if (nhwc && any)
			layout = VNPU_PKG_LAYOUT_NHWC;
	}
	for (i = 0; i < 2; i++) {
		struct ir_tensor *x = &g->t[n->in[i]];
		int64_t p[4];

		if (ir_is_const(g, n->in[i])) {
			if (const_view(L, n->in[i], &v[i]))
				return -1;
			pad_shape(x, R, p);
			if (layout == VNPU_PKG_LAYOUT_NHWC) {
				s[i][0] = p[0]; s[i][1] = p[2]; s[i][2] = p[3]; s[i][3] = p[1];
			} else {
				memcpy(s[i], p, sizeof(p));
			}
		} else {
			if (get(L, n->in[i], layout, VNPU_DT_F32, &v[i]))
				return -1;
			if (layout == VNPU_PKG_LAYOUT_NHWC) {
				dev_shape(x, &v[i], s[i]);
			} else {
				pad_shape(x, R, s[i]);
			}
		}
	}
	if (new_out(L, n->out[0], layout, VNPU_DT_F32, &out))
		return -1;
	if (layout == VNPU_PKG_LAYOUT_NHWC)
		dev_shape(o, &out, s[2]);
	else
		memcpy(s[2], o->dims, sizeof(s[2]));
	tdesc(L, &c.a, offsetof(struct vnpu_cmd_eltwise, a), &v[0], R, s[0], NULL);
	tdesc(L, &c.b, offsetof(struct vnpu_cmd_eltwise, b), &v[1], R, s[1], NULL);
	tdesc(L, &c.out, offsetof(struct vnpu_cmd_eltwise, out), &out, R, s[2], NULL);
	c.op = (uint32_t)ops[n->op];
	c.act = (uint32_t)n->a.act;
	L->tv[n->out[0]] = out;
	return emit(L, &c, sizeof(c), VNPU_OP_ELTWISE);
}

static int lower_unary(struct lower *L, struct ir_node *n, uint16_t opcode,
		       uint32_t param, bool keep_layout)
{
	struct ir_graph *g = L->g;
	struct ir_tensor *x = &g->t[n->in[0]], *o = &g->t[n->out[0]];
	int layout = keep_layout ? L->tv[n->in[0]].layout : VNPU_PKG_LAYOUT_ROW;
	struct vnpu_cmd_unary c;
	struct view in, out;
	int64_t is[4], os[4];
	int r;

	memset(&c, 0, sizeof(c));
	if (x->rank > 4)
		return ir_error(g, "node '%s' (%s): rank %d", n->name, n->op_type, x->rank);
	if (get(L, n->in[0], layout, VNPU_DT_F32, &in))
		return -1;
	if (new_out(L, n->out[0], layout, VNPU_DT_F32, &out))
		return -1;
	r = dev_shape(x, &in, is);
	if (opcode == VNPU_OP_REDUCE) {
		memcpy(os, is, sizeof(os));
		for (int i = 0; i < r; i++)
			if (param & (1u << (VNPU_RED_AXES_SHIFT + i)))
				os[i] = 1;
	} else {
		dev_shape(o, &out, os);
	}
	tdesc(L, &c.in, offsetof(struct vnpu_cmd_unary, in), &in, r, is, NULL);
	tdesc(L, &c.out, offsetof(struct vnpu_cmd_unary, out), &out, r, os, NULL);
	c.param = param;
	L->tv[n->out[0]] = out;
	return emit(L, &c, sizeof(c), opcode);
}

static int lower_layernorm(struct lower *L, struct ir_node *n)
{
	struct ir_graph *g = L->g;
	struct ir_tensor *x = &g->t[n->in[0]];
	struct vnpu_cmd_norm c;
	struct view in, gm, bt, out;
	int64_t s[4], C = x->dims[x->rank - 1];
	int r;

	memset(&c, 0, sizeof(c));
	if (get(L, n->in[0], VNPU_PKG_LAYOUT_ROW, VNPU_DT_F32, &in))
		return -1;
	if (new_out(L, n->out[0], VNPU_PKG_LAYOUT_ROW, VNPU_DT_F32, &out))
		return -1;
	r = dev_shape(x, &in, s);
	tdesc(L, &c.in, offsetof(struct vnpu_cmd_norm, in), &in, r, s, NULL);
	if (n->in[1] >= 0) {
		if (!ir_is_const(g, n->in[1]) || ir_numel(&g->t[n->in[1]]) != C)
			return ir_error(g, "node '%s' (LayerNormalization): scale must be a constant [%lld]",
					n->name, (long long)C);
		if (const_view(L, n->in[1], &gm))
			return -1;
		tdesc(L, &c.gamma, offsetof(struct vnpu_cmd_norm, gamma), &gm, 1, &C, NULL);
	}
	if (n->nin > 2 && n->in[2] >= 0) {
		if (!ir_is_const(g, n->in[2]) || ir_numel(&g->t[n->in[2]]) != C)
			return ir_error(g, "node '%s' (LayerNormalization): bias must be a constant [%lld]",
					n->name, (long long)C);
		if (const_view(L, n->in[2], &bt))
			return -1;
		tdesc(L, &c.beta, offsetof(struct vnpu_cmd_norm, beta), &bt, 1, &C, NULL);
	}
	tdesc(L, &c.out, offsetof(struct vnpu_cmd_norm, out), &out, r, s, NULL);
	c.eps = f2u(n->a.eps);
	L->tv[n->out[0]] = out;
	return emit(L, &c, sizeof(c), VNPU_OP_LAYERNORM);
}

static int lower_transpose(struct lower *L, struct ir_node *n)
{
	struct ir_graph *g = L->g;
	struct ir_tensor *x = &g->t[n->in[0]];
	struct view in, out;
	int perm[4], i;

	if (x->rank > 4)
		return ir_error(g, "node '%s' (Transpose): rank %d", n->name, x->rank);
	if (get(L, n->in[0], VNPU_PKG_LAYOUT_ROW, L->tv[n->in[0]].dtype, &in))
		return -1;
	for (i = 0; i < x->rank; i++)
		perm[i] = (int)n->a.perm[i];
	if (trivial_perm(x->dims, perm, x->rank) && !g->t[n->out[0]].is_output) {
		L->tv[n->out[0]] = in;	/* same bytes */
		return 0;
	}
	if (new_out(L, n->out[0], VNPU_PKG_LAYOUT_ROW, in.dtype, &out))
		return -1;
	out.scale = in.scale;
	out.zp = in.zp;
	L->tv[n->out[0]] = out;
	return copy_nd(L, &in, x->rank, x->dims, &out, perm);
}

static int lower_reshape(struct lower *L, struct ir_node *n)
{
	struct ir_graph *g = L->g;
	struct ir_tensor *x = &g->t[n->in[0]], *o = &g->t[n->out[0]];
	int dt = L->tv[n->in[0]].dtype;
	struct view in, out;
	int perm[4] = { 0, 1, 2, 3 };
	int64_t s[4] = { ir_numel(x), 1, 1, 1 };

	if (o->is_output)
		dt = VNPU_DT_F32;
	/*
	 * Flatten of NHWC data feeding a GEMM with constant weights: keep the
	 * bytes as they are and let the GEMM reorder its weight rows instead.
	 */
	if (L->tv[n->in[0]].layout == VNPU_PKG_LAYOUT_NHWC && x->rank == 4 &&
	    o->rank == 2 && o->dims[0] == x->dims[0] && !o->is_output) {
		int ci = ir_single_consumer(g, n->out[0]);
		struct ir_node *gm = ci >= 0 ? &g->n[ci] : NULL;

		if (gm && gm->op == OP_GEMM && gm->in[0] == n->out[0] &&
		    ir_is_const(g, gm->in[1]) && g->t[gm->in[1]].rank == 2) {
			in = L->tv[n->in[0]];
			touch(L, in.val);
			in.layout = VNPU_PKG_LAYOUT_ROW;
			in.fl_c = x->dims[1];
			in.fl_h = x->dims[2];
			in.fl_w = x->dims[3];
			L->tv[n->out[0]] = in;
			return 0;
		}
	}
	if (get(L, n->in[0], VNPU_PKG_LAYOUT_ROW, dt, &in))
		return -1;
	o->scale = in.scale;
	o->zero_point = in.zp;
	if (!o->is_output) {
		L->tv[n->out[0]] = in;	/* a view: no data moves */
		return 0;
	}
	if (new_out(L, n->out[0], VNPU_PKG_LAYOUT_ROW, dt, &out))
		return -1;
	L->tv[n->out[0]] = out;
	return copy_nd(L, &in, 1, s, &out, perm);
}

static int lower_node(struct lower *L, struct ir_node *n)
{
	switch (n->op) {
	case OP_GEMM: return lower_gemm(L, n);
	case OP_CONV: return lower_conv(L, n);
	case OP_MAXPOOL: case OP_AVGPOOL: case OP_GAP: return lower_pool(L, n);
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: return lower_binary(L, n);
	case OP_ACT: return lower_unary(L, n, VNPU_OP_ACTIVATION, (uint32_t)n->a.act, true);
	case OP_SOFTMAX:
		return lower_unary(L, n, VNPU_OP_SOFTMAX,
				   (uint32_t)(L->g->t[n->in[0]].rank - 1), false);
	case OP_REDUCEMEAN: {
		struct ir_tensor *x = &L->g->t[n->in[0]];
		uint32_t mask = 0;
		int i;

		if (!L->g->t[n->out[0]].rank || !n->a.keepdims)
			return ir_error(L->g, "node '%s' (ReduceMean): keepdims=0 is not supported",
					n->name);
		for (i = 0; i < x->rank; i++)
			if ((n->a.red_axes >> i) & 1 || (n->a.red_axes >> (16 + i - x->rank)) & 1)
				mask |= 1u << (VNPU_RED_AXES_SHIFT + i);
		return lower_unary(L, n, VNPU_OP_REDUCE, mask | VNPU_RED_MEAN, false);
	}
	case OP_LAYERNORM: return lower_layernorm(L, n);
	case OP_TRANSPOSE: return lower_transpose(L, n);
	case OP_RESHAPE: case OP_IDENTITY: return lower_reshape(L, n);
	default:
		return ir_error(L->g, "node '%s' (%s): unsupported operator", n->name, n->op_type);
	}
}

static int timestamp(struct lower *L, int slot)
{
	struct vnpu_cmd_timestamp c;

	memset(&c, 0, sizeof(c));
	L->pend[L->npend++] = (struct preloc){ offsetof(struct vnpu_cmd_timestamp, dst),
					       L->profile_val, (uint64_t)slot * 8 };
	return emit(L, &c, sizeof(c), VNPU_OP_TIMESTAMP);
}

/* ------------------------------------------------------------------ */
/* Memory plan                                                         */

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* First-fit offset for value @i among the placed values of @region. */
static uint64_t fit(struct lower *L, int i, int region, const int *placed, int np)
{
	uint64_t off = 0;
	bool moved = true;

	while (moved) {
		moved = false;
		for (int k = 0; k < np; k++) {
			struct val *p = &L->v[placed[k]], *v = &L->v[i];

			if (p->region != region || p->last < v->first || v->last < p->first)
				continue;
			if (off < p->offset + align_up(p->size, ALIGN) &&
			    p->offset < off + align_up(v->size, ALIGN)) {
				off = p->offset + align_up(p->size, ALIGN);
				moved = true;
			}
		}
	}
	return off;
}

/* qsort_r order: most accesses per byte first, then larger first. */
static int by_heat(const void *a, const void *b, void *arg)
{
	const struct lower *L = arg;
	const struct val *x = &L->v[*(const int *)a], *y = &L->v[*(const int *)b];
	double hx = (double)x->uses / x->size, hy = (double)y->uses / y->size;

	if (hx != hy)
		return hx > hy ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

enum { R_CONST, R_SCRATCH, R_DEVSCRATCH, R_PROFILE, R_IO };

static int plan(struct lower *L)
{
	int *order = malloc(L->nv * sizeof(int)), *placed = malloc(L->nv * sizeof(int));
	int n = 0, np = 0, i, io = 0;
	uint64_t devcap = L->o->devmem_size, devused = 0, constsz = 0;

	if (!order || !placed) {
		free(order);
		free(placed);
		return ir_error(L->g, "out of memory");
	}
	memset(L->region_size, 0, sizeof(L->region_size));
	for (i = 0; i < L->nv; i++) {
		struct val *v = &L->v[i];

		switch (v->kind) {
		case VK_CONST:
			v->region = R_CONST;
			v->offset = constsz;
			constsz += align_up(v->size, ALIGN);
			break;
		case VK_PROFILE:
			v->region = R_PROFILE;
			v->offset = 0;
			break;
		case VK_SCRATCH:
			order[n++] = i;
			break;
		default:
			break;
		}
	}
	L->region_size[R_CONST] = constsz;
	/* Hot (most accesses per byte) intermediates first into device memory. */
	qsort_r(order, n, sizeof(int), by_heat, L);
	for (i = 0; i < n; i++) {
		struct val *v = &L->v[order[i]];
		uint64_t off;

		if (devcap) {
			v->region = R_DEVSCRATCH;
			off = fit(L, order[i], R_DEVSCRATCH, placed, np);
			if (off + align_up(v->size, ALIGN) <= devcap) {
				v->offset = off;
				placed[np++] = order[i];
				if (off + align_up(v->size, ALIGN) > devused)
					devused = off + align_up(v->size, ALIGN);
				continue;
			}
		}
		v->region = R_SCRATCH;
		v->offset = fit(L, order[i], R_SCRATCH, placed, np);
		placed[np++] = order[i];
		if (v->offset + align_up(v->size, ALIGN) > L->region_size[R_SCRATCH])
			L->region_size[R_SCRATCH] = v->offset + align_up(v->size, ALIGN);
	}
	L->region_size[R_DEVSCRATCH] = devused;
	L->region_size[R_PROFILE] = 8ull * (L->nlayers + 1);
	L->region_kind[R_CONST] = VNPU_PKG_REG_CONST;
	L->region_kind[R_SCRATCH] = VNPU_PKG_REG_SCRATCH;
	L->region_kind[R_DEVSCRATCH] = VNPU_PKG_REG_SCRATCH;
	L->region_kind[R_PROFILE] = VNPU_PKG_REG_PROFILE;
	L->region_place[R_CONST] = devcap && devused + constsz <= devcap ?
				   VNPU_PKG_PLACE_DEVMEM : VNPU_PKG_PLACE_HOST;
	L->region_place[R_SCRATCH] = VNPU_PKG_PLACE_HOST;
	L->region_place[R_DEVSCRATCH] = VNPU_PKG_PLACE_DEVMEM;
	L->region_place[R_PROFILE] = VNPU_PKG_PLACE_HOST;
	/* one region per input and output */
	L->nregions = R_IO;
	for (i = 0; i < L->nv; i++) {
		struct val *v = &L->v[i];

		if (v->kind != VK_INPUT && v->kind != VK_OUTPUT)
			continue;
		if (L->nregions == 8) {
			free(order);
			free(placed);
			return ir_error(L->g, "too many inputs and outputs");
		}
		v->region = L->nregions;
		v->offset = 0;
		v->io = io++;
		L->region_size[L->nregions] = v->size;
		L->region_kind[L->nregions] = v->kind == VK_INPUT ? VNPU_PKG_REG_INPUT :
							       VNPU_PKG_REG_OUTPUT;
		L->region_place[L->nregions] = VNPU_PKG_PLACE_HOST;
		L->region_io[L->nregions] = v->io;
		L->nregions++;
	}
	for (i = 0; i < L->nv; i++)
		if (L->v[i].region < 0 || L->v[i].region >= L->nregions)
			return ir_error(L->g, "internal: value %d unplaced", i);
	free(order);
	free(placed);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Package writer                                                      */

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static int put(struct buf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		void *p;

		while (cap < b->n + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (d)
		memcpy(b->p + b->n, d, n);
	else
		memset(b->p + b->n, 0, n);
	b->n += n;
	return 0;
}

static uint32_t str(struct buf *s, const char *x)
{
	uint32_t off = (uint32_t)s->n;

	put(s, x, strlen(x) + 1);
	return off;
}

static int write_package(struct lower *L, const char *path)
{
	struct ir_graph *g = L->g;
	struct buf strtab = { 0 }, regions = { 0 }, tensors = { 0 }, ios = { 0 };
	struct buf relocs = { 0 }, layers = { 0 }, data = { 0 }, file = { 0 };
	struct vnpu_pkg_header h;
	struct vnpu_pkg_section sec[VNPU_PKG_SEC_MAX];
	int nsec = 0, i, r, ntensors = 0, nio = 0;
	static const char *const rnames[] = { "const", "scratch", "devmem-scratch",
					      "profile" };
	int remap[8];
	FILE *f;
	int ret = 0;

	str(&strtab, "");
	/* drop empty regions */
	for (r = 0, i = 0; r < L->nregions; r++)
		remap[r] = L->region_size[r] ? i++ : -1;
	for (r = 0; r < L->nregions; r++) {
		struct vnpu_pkg_region rg;

		if (remap[r] < 0)
			continue;
		memset(&rg, 0, sizeof(rg));
		rg.kind = (uint32_t)L->region_kind[r];
		rg.placement = (uint32_t)L->region_place[r];
		rg.size = L->region_size[r];
		if (r < R_IO) {
			rg.name = str(&strtab, rnames[r]);
		} else {
			rg.io_index = (uint32_t)L->region_io[r];
			for (i = 0; i < L->nv; i++)
				if (L->v[i].region == r)
					rg.name = str(&strtab, L->v[i].name);
		}
		if (r == R_CONST) {
			rg.data_offset = data.n;
			for (i = 0; i < L->nv; i++) {
				if (L->v[i].kind != VK_CONST)
					continue;
				if (data.n < rg.data_offset + L->v[i].offset)
					put(&data, NULL, rg.data_offset + L->v[i].offset - data.n);
				put(&data, L->v[i].data, L->v[i].size);
			}
			rg.data_size = data.n - rg.data_offset;
		}
		put(&regions, &rg, sizeof(rg));
	}
	/* allocation plan: every computed tensor */
	for (i = 0; i < g->nt; i++) {
		struct vnpu_pkg_tensor pt;
		struct view *w = &L->tv[i];
		struct val *v;
		int k;

		if (w->val < 0 || ir_is_const(g, i))
			continue;
		v = &L->v[w->val];
		memset(&pt, 0, sizeof(pt));
		pt.name = str(&strtab, g->t[i].name);
		pt.region = (uint32_t)remap[v->region];
		pt.offset = v->offset + w->off;
		pt.size = tbytes(&g->t[i], w->dtype);
		pt.dtype = (uint8_t)w->dtype;
		pt.rank = (uint8_t)(g->t[i].rank > 4 ? 4 : g->t[i].rank);
		pt.layout = (uint8_t)w->layout;
		pt.qmode = w->dtype == VNPU_DT_I8 ? VNPU_QMODE_TENSOR : 0;
		for (k = 0; k < pt.rank; k++)
			pt.shape[k] = (uint32_t)g->t[i].dims[k];
		pt.scale = w->dtype == VNPU_DT_I8 ? f2u(w->scale) : 0;
		pt.zero_point = w->dtype == VNPU_DT_I8 ? w->zp : 0;
		pt.first_layer = (uint32_t)v->first;
		pt.last_layer = (uint32_t)v->last;
		put(&tensors, &pt, sizeof(pt));
		ntensors++;
	}
	/* I/O signature, inputs first */
	for (int dir = 0; dir < 2; dir++) {
		for (i = 0; i < L->nv; i++) {
			struct val *v = &L->v[i];
			struct vnpu_pkg_io io;
			int t, k;

			if (v->kind != (dir ? VK_OUTPUT : VK_INPUT))
				continue;
			t = ir_find_tensor(g, v->name);
			memset(&io, 0, sizeof(io));
			io.name = str(&strtab, v->name);
			io.dir = (uint32_t)dir;
			io.region = (uint32_t)remap[v->region];
			io.dtype = VNPU_DT_F32;
			io.rank = (uint8_t)g->t[t].rank;
			for (k = 0; k < io.rank; k++)
				io.shape[k] = (uint32_t)g->t[t].dims[k];
			io.size = v->size;
			put(&ios, &io, sizeof(io));
			nio++;
		}
	}
	/* resolve relocations */
	for (size_t k = 0; k < L->nrel; k++) {
		struct creloc *c = &L->rel[k];
		struct val *v = &L->v[c->val];
		uint64_t va = VNPU_PKG_REGION_VA(remap[v->region]) + v->offset + c->addend;
		struct vnpu_pkg_reloc pr = { c->offset, (uint32_t)remap[v->region] };

		if (remap[v->region] < 0)
			return ir_error(g, "internal: reference into an empty region");
		memcpy(L->cmds + c->offset, &va, 8);
		put(&relocs, &pr, sizeof(pr));
	}
	for (i = 0; i < L->nlayers; i++) {
		struct vnpu_pkg_layer pl;

		memset(&pl, 0, sizeof(pl));
		pl.name = str(&strtab, L->layers[i].name);
		pl.op = str(&strtab, L->layers[i].op);
		pl.cmd_offset = L->layers[i].cmd_offset;
		pl.cmd_size = L->layers[i].cmd_size;
		pl.macs = L->layers[i].macs;
		pl.bytes = L->layers[i].bytes;
		pl.ts_index = (uint32_t)i + 1;
		put(&layers, &pl, sizeof(pl));
	}

	{
		struct { int type; struct buf *b; uint32_t count; } parts[] = {
			{ VNPU_PKG_SEC_STRTAB, &strtab, 0 },
			{ VNPU_PKG_SEC_REGIONS, &regions,
			  (uint32_t)(regions.n / sizeof(struct vnpu_pkg_region)) },
			{ VNPU_PKG_SEC_TENSORS, &tensors, (uint32_t)ntensors },
			{ VNPU_PKG_SEC_IO, &ios, (uint32_t)nio },
			{ VNPU_PKG_SEC_CMDS, NULL, 0 },
			{ VNPU_PKG_SEC_RELOCS, &relocs, (uint32_t)L->nrel },
			{ VNPU_PKG_SEC_LAYERS, &layers, (uint32_t)L->nlayers },
			{ VNPU_PKG_SEC_DATA, &data, 0 },
		};
		uint64_t off = align_up(sizeof(h) + sizeof(sec), 8);

		put(&file, NULL, off);
		for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
			const void *p = parts[k].b ? parts[k].b->p : L->cmds;
			size_t n = parts[k].b ? parts[k].b->n : L->ncmd;

			sec[nsec].type = (uint32_t)parts[k].type;
			sec[nsec].count = parts[k].count;
			sec[nsec].offset = file.n;
			sec[nsec].size = n;
			nsec++;
			put(&file, p, n);
			put(&file, NULL, align_up(file.n, 8) - file.n);
		}
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, VNPU_PKG_MAGIC, 8);
	h.version = VNPU_PKG_VERSION;
	h.header_size = sizeof(h);
	h.file_size = file.n;
	h.num_sections = (uint32_t)nsec;
	h.flags = g->int8 ? VNPU_PKG_F_INT8 : 0;
	h.sections_offset = sizeof(h);
	h.num_layers = (uint32_t)L->nlayers;
	memcpy(file.p + sizeof(h), sec, nsec * sizeof(sec[0]));
	h.checksum = vnpu_pkg_fnv1a(file.p + sizeof(h), file.n - sizeof(h));
	memcpy(file.p, &h, sizeof(h));

	f = fopen(path, "wb");
	if (!f) {
		ret = ir_error(g, "%s: %s", path, strerror(errno));
	} else {
		if (fwrite(file.p, 1, file.n, f) != file.n)
			ret = ir_error(g, "%s: write failed", path);
		if (fclose(f) && !ret)
			ret = ir_error(g, "%s: write failed", path);
	}
	free(strtab.p); free(regions.p); free(tensors.p); free(ios.p);
	free(relocs.p); free(layers.p); free(data.p); free(file.p);
	return ret;
}

static const char *place_name(struct lower *L, int t)
{
	struct view *w = &L->tv[t];

	if (w->val < 0)
		return "-";
	switch (L->v[w->val].kind) {
	case VK_INPUT: return "input";
	case VK_OUTPUT: return "output";
	default: return L->v[w->val].region == R_DEVSCRATCH ? "devmem" : "host";
	}
}

static void summary(struct lower *L, FILE *f)
{
	struct ir_graph *g = L->g;
	uint64_t macs = 0;
	int i;

	fprintf(f, "%-4s %-16s %-42s %-28s %10s %10s %-7s\n", "#", "layer", "op",
		"shapes (in->out)", "bytes", "MACs", "where");
	for (i = 0; i < L->nlayers; i++) {
		struct layer *l = &L->layers[i];

		char op[96];

		if (l->tiles)
			snprintf(op, sizeof(op), "%s (%d tiles)", l->op, l->tiles);
		else
			snprintf(op, sizeof(op), "%s", l->op);
		fprintf(f, "%-4d %-16.16s %-42.42s %-28s %10llu %10llu %-7s\n", i, l->name,
			op, l->shape, (unsigned long long)l->bytes,
			(unsigned long long)l->macs, place_name(L, l->out_tensor));
		macs += l->macs;
	}
	fprintf(f, "%d layers, %llu MACs; constants %llu bytes (%s), scratch %llu bytes host + %llu bytes devmem (liveness-shared), %zu command bytes, %zu relocations%s\n",
		L->nlayers, (unsigned long long)macs,
		(unsigned long long)L->region_size[R_CONST],
		L->region_place[R_CONST] == VNPU_PKG_PLACE_DEVMEM ? "devmem" : "host",
		(unsigned long long)L->region_size[R_SCRATCH],
		(unsigned long long)L->region_size[R_DEVSCRATCH], L->ncmd, L->nrel,
		g->int8 ? ", int8" : "");
}

int lower_graph(struct ir_graph *g, const struct lower_opts *o, const char *path)
{
	struct lower L = { .g = g, .o = o };
	int i, ret = -1, in;
	uint64_t sum_scratch = 0;

	L.tv = calloc(g->nt, sizeof(*L.tv));
	L.alt = calloc(g->nt, sizeof(*L.alt));
	L.layers = calloc(g->nn + 1, sizeof(*L.layers));
	if (!L.tv || !L.alt || !L.layers) {
		ir_error(g, "out of memory");
		goto out;
	}
	for (i = 0; i < g->nt; i++)
		L.tv[i].val = L.alt[i].val = -1;
	L.profile_val = add_val(&L, 8ull * (g->nn + 1), VK_PROFILE, "profile");
	in = g->inputs[0];
	i = add_val(&L, tbytes(&g->t[in], VNPU_DT_F32), VK_INPUT, g->t[in].name);
	if (i < 0 || L.profile_val < 0)
		goto out;
	L.v[i].first = 0;
	L.tv[in] = (struct view){ .val = i, .layout = VNPU_PKG_LAYOUT_ROW,
				  .dtype = VNPU_DT_F32, .scale = g->t[in].scale,
				  .zp = g->t[in].zero_point };
	if (timestamp(&L, 0))
		goto out;
	for (i = 0; i < g->nn; i++) {
		struct ir_node *n = &g->n[i];
		struct layer *l;
		size_t start = L.ncmd;

		if (n->dead)
			continue;
		L.cur = L.nlayers;
		L.cur_macs = 0;
		L.cur_tiles = 0;
		if (lower_node(&L, n))
			goto out;
		/* an output computed in another layout/dtype: convert it */
		if (g->t[n->out[0]].is_output &&
		    L.v[L.tv[n->out[0]].val].kind != VK_OUTPUT) {
			struct view w, d;

			if (get(&L, n->out[0], VNPU_PKG_LAYOUT_ROW, VNPU_DT_F32, &w))
				goto out;
			d = w;
			d.val = add_val(&L, tbytes(&g->t[n->out[0]], VNPU_DT_F32), VK_OUTPUT,
					g->t[n->out[0]].name);
			d.off = 0;
			if (d.val < 0)
				goto out;
			{
				int64_t s[4] = { ir_numel(&g->t[n->out[0]]), 1, 1, 1 };
				int perm[4] = { 0, 1, 2, 3 };

				if (copy_nd(&L, &w, 1, s, &d, perm))
					goto out;
			}
			L.tv[n->out[0]] = d;
		}
		if (L.ncmd == start)
			continue;	/* a pure view: no layer */
		l = &L.layers[L.nlayers];
		l->name = n->name;
		l->op = n->a.fused;
		l->cmd_offset = (uint32_t)start;
		l->cmd_size = (uint32_t)(L.ncmd - start);
		l->macs = L.cur_macs;
		l->tiles = L.cur_tiles;
		l->out_tensor = n->out[0];
		{
			char a[32], b[32];

			snprintf(l->shape, sizeof(l->shape), "%s->%s",
				 ir_shape_str(&g->t[n->in[0]], a, sizeof(a)),
				 ir_shape_str(&g->t[n->out[0]], b, sizeof(b)));
		}
		if (timestamp(&L, L.nlayers + 1))
			goto out;
		L.nlayers++;
	}
	/* bytes per layer: operands it touched (from the values' use) */
	for (i = 0; i < L.nv; i++)
		if (L.v[i].kind == VK_SCRATCH)
			sum_scratch += L.v[i].size;
	for (i = 0; i < L.nlayers; i++) {
		struct ir_node *n = NULL;
		int k;

		for (k = 0; k < g->nn; k++)
			if (!g->n[k].dead && g->n[k].out[0] == L.layers[i].out_tensor)
				n = &g->n[k];
		if (!n)
			continue;
		for (k = 0; k < n->nin; k++)
			if (n->in[k] >= 0 && L.tv[n->in[k]].val >= 0)
				L.layers[i].bytes += tbytes(&g->t[n->in[k]], L.tv[n->in[k]].dtype);
			else if (n->in[k] >= 0 && ir_is_const(g, n->in[k]))
				L.layers[i].bytes += (uint64_t)ir_numel(&g->t[n->in[k]]) *
						     (g->int8 ? 1 : 4);
		L.layers[i].bytes += tbytes(&g->t[n->out[0]], L.tv[n->out[0]].dtype);
	}
	if (plan(&L))
		goto out;
	if (write_package(&L, path))
		goto out;
	if (o->summary) {
		summary(&L, o->summary);
		fprintf(o->summary, "liveness reuse: %llu bytes of intermediates in %llu bytes\n",
			(unsigned long long)sum_scratch,
			(unsigned long long)(L.region_size[R_SCRATCH] +
					     L.region_size[R_DEVSCRATCH]));
	}
	ret = 0;
out:
	for (i = 0; i < L.nv; i++)
		free(L.v[i].data);
	free(L.v);
	free(L.tv);
	free(L.alt);
	free(L.cmds);
	free(L.rel);
	free(L.layers);
	return ret;
}
