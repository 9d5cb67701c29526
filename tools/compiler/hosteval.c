// SPDX-License-Identifier: MIT
/*
 * vnpu compiler: shape inference and a float reference evaluator of the IR
 * (logical ONNX layout). It folds constants and collects the activation
 * ranges for int8 calibration; the device never runs this code.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnpu_device.h"
#include "ir.h"

#define T(i) (&g->t[n->in[i]])
#define OUT (&g->t[n->out[0]])

static int bcast_shape(struct ir_graph *g, struct ir_node *n,
		       const struct ir_tensor *a, const struct ir_tensor *b,
		       struct ir_tensor *o)
{
	int r = a->rank > b->rank ? a->rank : b->rank, i;

	o->rank = r;
	for (i = 0; i < r; i++) {
		int ia = i - (r - a->rank), ib = i - (r - b->rank);
		int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;

		if (da != db && da != 1 && db != 1)
			return ir_error(g, "node '%s' (%s): shapes do not broadcast",
					n->name, n->op_type);
		o->dims[i] = da == 1 ? db : da;
	}
	return 0;
}

static int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p0,
			int64_t p1, int64_t d)
{
	return (in + p0 + p1 - d * (k - 1) - 1) / s + 1;
}

static int reshape_shape(struct ir_graph *g, struct ir_node *n)
{
	struct ir_tensor *x = T(0), *o = OUT;
	int64_t total = ir_numel(x), known = 1;
	int i, neg = -1;

	if (!strcmp(n->op_type, "Flatten")) {
		int64_t ax = n->a.axis < 0 ? n->a.axis + x->rank : n->a.axis, a = 1;

		for (i = 0; i < ax; i++)
			a *= x->dims[i];
		o->rank = 2;
		o->dims[0] = a;
		o->dims[1] = total / (a ? a : 1);
		return 0;
	}
	if (!strcmp(n->op_type, "Squeeze") || !strcmp(n->op_type, "Unsqueeze")) {
		int64_t axes[IR_MAX_RANK];
		int na = n->a.nperm, r, j = 0;
		bool sq = !strcmp(n->op_type, "Squeeze");

		if (n->nin > 1 && ir_is_const(g, n->in[1])) {
			na = (int)ir_numel(T(1));
			if (na > IR_MAX_RANK)
				return ir_error(g, "node '%s': too many axes", n->name);
			memcpy(axes, T(1)->data, na * 8);
		} else {
			memcpy(axes, n->a.perm, sizeof(axes));
		}
		r = sq ? x->rank - na : x->rank + na;
		if (sq && !na) {
			for (i = 0, r = 0; i < x->rank; i++)
				if (x->dims[i] != 1)
					o->dims[r++] = x->dims[i];
			o->rank = r;
			return 0;
		}
		if (r < 0 || r > IR_MAX_RANK)
			return ir_error(g, "node '%s': bad axes", n->name);
		for (i = 0; i < na; i++)
			if (axes[i] < 0)
				axes[i] += sq ? x->rank : r;
		o->rank = r;
		if (sq) {
			for (i = 0; i < x->rank; i++) {
				int k, hit = 0;

				for (k = 0; k < na; k++)
					hit |= axes[k] == i;
				if (!hit)
					o->dims[j++] = x->dims[i];
			}
		} else {
			for (i = 0; i < r; i++) {
				int k, hit = 0;

				for (k = 0; k < na; k++)
					hit |= axes[k] == i;
				o->dims[i] = hit ? 1 : x->dims[j++];
			}
		}
		return 0;
	}
	if (n->nin < 2 || !ir_is_const(g, n->in[1]) || T(1)->dtype != IR_I64)
		return ir_error(g, "node '%s' (Reshape): the shape must be a constant int64 tensor",
				n->name);
	o->rank = (int)ir_numel(T(1));
	if (o->rank > IR_MAX_RANK || o->rank < 1)
		return ir_error(g, "node '%s' (Reshape): rank %d", n->name, o->rank);
	for (i = 0; i < o->rank; i++) {
		int64_t d = ((int64_t *)T(1)->data)[i];

		if (d == 0)
			d = x->dims[i];
		if (d == -1) {
			neg = i;
			d = 1;
		}
		o->dims[i] = d;
		known *= d;
	}
	if (neg >= 0)
		o->dims[neg] = total / (known ? known : 1);
	if (ir_numel(o) != total)
		return ir_error(g, "node '%s' (Reshape): %lld elements cannot become %lld",
				n->name, (long long)total, (long long)ir_numel(o));
	return 0;
}

static int infer_node(struct ir_graph *g, struct ir_node *n)
{
	struct ir_tensor *o = OUT, *x = n->in[0] >= 0 ? T(0) : NULL;
	int i;

	if (!x)
		return ir_error(g, "node '%s' (%s): missing input", n->name, n->op_type);
	o->dtype = IR_F32;
	switch (n->op) {
	case OP_GEMM: {
		struct ir_tensor *b = T(1);
		bool gemm = !strcmp(n->op_type, "Gemm");

		if (gemm && (x->rank != 2 || b->rank != 2))
			return ir_error(g, "node '%s' (Gemm): inputs must be 2-D", n->name);
		if (x->rank < 1 || b->rank < 2)
			return ir_error(g, "node '%s' (MatMul): 1-D operands are not supported",
					n->name);
		if (gemm) {
			int64_t k1 = n->a.trans_a ? x->dims[0] : x->dims[1];
			int64_t k2 = n->a.trans_b ? b->dims[1] : b->dims[0];

			if (k1 != k2)
				return ir_error(g, "node '%s' (Gemm): inner dimensions %lld and %lld differ",
						n->name, (long long)k1, (long long)k2);
			o->rank = 2;
			o->dims[0] = n->a.trans_a ? x->dims[1] : x->dims[0];
			o->dims[1] = n->a.trans_b ? b->dims[0] : b->dims[1];
		} else {
			struct ir_tensor xa = *x, xb = *b;

			if (x->dims[x->rank - 1] != b->dims[b->rank - 2])
				return ir_error(g, "node '%s' (MatMul): inner dimensions %lld and %lld differ",
						n->name, (long long)x->dims[x->rank - 1],
						(long long)b->dims[b->rank - 2]);
			xa.rank -= 2;
			xb.rank -= 2;
			if (bcast_shape(g, n, &xa, &xb, o))
				return -1;
			o->dims[o->rank] = x->dims[x->rank - 2];
			o->dims[o->rank + 1] = b->dims[b->rank - 1];
			o->rank += 2;
		}
		return 0;
	}
	case OP_CONV: {
		struct ir_tensor *w = T(1);

		if (x->rank != 4 || w->rank != 4)
			return ir_error(g, "node '%s' (Conv): only 2-D convolutions are supported",
					n->name);
		if (!n->a.kernel[0]) {
			n->a.kernel[0] = w->dims[2];
			n->a.kernel[1] = w->dims[3];
		}
		if (x->dims[1] != w->dims[1] * n->a.group || w->dims[0] % n->a.group)
			return ir_error(g, "node '%s' (Conv): channels do not match the groups", n->name);
		o->rank = 4;
		o->dims[0] = x->dims[0];
		o->dims[1] = w->dims[0];
		o->dims[2] = pool_out(x->dims[2], w->dims[2], n->a.strides[0], n->a.pads[0],
				      n->a.pads[2], n->a.dil[0]);
		o->dims[3] = pool_out(x->dims[3], w->dims[3], n->a.strides[1], n->a.pads[1],
				      n->a.pads[3], n->a.dil[1]);
		if (o->dims[2] < 1 || o->dims[3] < 1)
			return ir_error(g, "node '%s' (Conv): empty output", n->name);
		return 0;
	}
	case OP_MAXPOOL:
	case OP_AVGPOOL:
		if (x->rank != 4)
			return ir_error(g, "node '%s' (%s): input must be 4-D", n->name, n->op_type);
		*o = (struct ir_tensor){ .name = o->name, .producer = o->producer,
					 .is_output = o->is_output, .dtype = IR_F32, .scale = 1 };
		o->rank = 4;
		o->dims[0] = x->dims[0];
		o->dims[1] = x->dims[1];
		o->dims[2] = pool_out(x->dims[2], n->a.kernel[0], n->a.strides[0],
				      n->a.pads[0], n->a.pads[2], 1);
		o->dims[3] = pool_out(x->dims[3], n->a.kernel[1], n->a.strides[1],
				      n->a.pads[1], n->a.pads[3], 1);
		return 0;
	case OP_GAP:
		if (x->rank != 4)
			return ir_error(g, "node '%s' (GlobalAveragePool): input must be 4-D", n->name);
		o->rank = 4;
		o->dims[0] = x->dims[0];
		o->dims[1] = x->dims[1];
		o->dims[2] = o->dims[3] = 1;
		return 0;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW:
		if (n->in[1] < 0)
			return ir_error(g, "node '%s' (%s): missing input", n->name, n->op_type);
		return bcast_shape(g, n, x, T(1), o);
	case OP_TRANSPOSE:
		if (!n->a.nperm) {
			n->a.nperm = x->rank;
			for (i = 0; i < x->rank; i++)
				n->a.perm[i] = x->rank - 1 - i;
		}
		if (n->a.nperm != x->rank)
			return ir_error(g, "node '%s' (Transpose): perm length %d for rank %d",
					n->name, n->a.nperm, x->rank);
		o->rank = x->rank;
		for (i = 0; i < x->rank; i++) {
			if (n->a.perm[i] < 0 || n->a.perm[i] >= x->rank)
				return ir_error(g, "node '%s' (Transpose): bad perm", n->name);
			o->dims[i] = x->dims[n->a.perm[i]];
		}
		return 0;
	case OP_RESHAPE:
		return reshape_shape(g, n);
	case OP_REDUCEMEAN: {
		int r = 0;

		for (i = 0; i < x->rank; i++) {
			bool red = (n->a.red_axes >> i) & 1 ||
				   (n->a.red_axes >> (16 + i - x->rank)) & 1;

			if (red && !n->a.keepdims)
				continue;
			o->dims[r++] = red ? 1 : x->dims[i];
		}
		o->rank = r;
		return 0;
	}
	default:	/* same shape as input 0 */
		o->rank = x->rank;
		memcpy(o->dims, x->dims, sizeof(o->dims));
		if (x->dtype == IR_I64 && (n->op == OP_IDENTITY))
			o->dtype = IR_I64;
		return 0;
	}
}

int ir_infer_shapes(struct ir_graph *g)
{
	int i;

	for (i = 0; i < g->nn; i++) {
		if (g->n[i].dead || ir_is_const(g, g->n[i].out[0]))
			continue;
		if (infer_node(g, &g->n[i]))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static float act_f(int act, float v, float lo, float hi)
{
	switch (act) {
	case VNPU_ACT_RELU: return v > 0 ? v : 0;
	case VNPU_ACT_RELU6: return v < lo ? lo : v > hi ? hi : v;
	case VNPU_ACT_GELU: return (float)(0.5 * v * (1.0 + erf(v / sqrt(2.0))));
	case VNPU_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
	case VNPU_ACT_TANH: return tanhf(v);
	case VNPU_ACT_SILU: return v / (1.0f + expf(-v));
	default: return v;
	}
}

/* Element strides of @t aligned right to rank @r, 0 where broadcast. */
static void bstrides(const struct ir_tensor *t, int r, const int64_t *odims,
		     int64_t *st)
{
	int64_t s = 1;
	int i;

	for (i = r - 1; i >= 0; i--) {
		int j = i - (r - t->rank);

		if (j < 0 || t->dims[j] == 1) {
			st[i] = 0;
		} else {
			st[i] = s;
		}
		if (j >= 0)
			s *= t->dims[j];
	}
	(void)odims;
}

static void eval_binary(struct ir_graph *g, struct ir_node *n, float **v)
{
	const struct ir_tensor *o = OUT;
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK], idx[IR_MAX_RANK] = { 0 };
	int64_t total = ir_numel(o), e;
	const float *a = v[n->in[0]], *b = v[n->in[1]];
	float *y = v[n->out[0]];
	int r = o->rank, i;

	bstrides(T(0), r, o->dims, sa);
	bstrides(T(1), r, o->dims, sb);
	for (e = 0; e < total; e++) {
		int64_t oa = 0, ob = 0;
		float p, q, res;

		for (i = 0; i < r; i++) {
			oa += idx[i] * sa[i];
			ob += idx[i] * sb[i];
		}
		p = a[oa];
		q = b[ob];
		switch (n->op) {
		case OP_ADD: res = p + q; break;
		case OP_SUB: res = p - q; break;
		case OP_MUL: res = p * q; break;
		case OP_POW: res = powf(p, q); break;
		default: res = p / q; break;
		}
		y[e] = act_f(n->a.act, res, n->a.clip_min, n->a.clip_max);
		for (i = r - 1; i >= 0; i--) {
			if (++idx[i] < o->dims[i])
				break;
			idx[i] = 0;
		}
	}
}

static void eval_gemm(struct ir_graph *g, struct ir_node *n, float **v)
{
	const struct ir_tensor *x = T(0), *w = T(1), *o = OUT;
	bool gemm = !strcmp(n->op_type, "Gemm");
	int64_t M = o->dims[o->rank - 2], N = o->dims[o->rank - 1];
	int64_t K = gemm ? (n->a.trans_a ? x->dims[0] : x->dims[1]) : x->dims[x->rank - 1];
	int64_t batches = ir_numel(o) / (M * N), bt;
	const float *bias = n->in[2] >= 0 ? v[n->in[2]] : NULL;
	int64_t nbias = n->in[2] >= 0 ? ir_numel(T(2)) : 0;
	float *y = v[n->out[0]];

	for (bt = 0; bt < batches; bt++) {
		/* batch index broadcast over up to 4 leading dims */
		int64_t ao = 0, bo = 0, rem = bt, sa = 1, sb = 1;
		int i, ob = o->rank - 2;

		for (i = ob - 1; i >= 0; i--) {
			int64_t d = rem % o->dims[i];
			int ja = i - (ob - (x->rank - 2)), jb = i - (ob - (w->rank - 2));

			rem /= o->dims[i];
			if (ja >= 0) {
				if (x->dims[ja] != 1)
					ao += d * sa;
				sa *= x->dims[ja];
			}
			if (jb >= 0) {
				if (w->dims[jb] != 1)
					bo += d * sb;
				sb *= w->dims[jb];
			}
		}
		for (int64_t m = 0; m < M; m++) {
			for (int64_t c = 0; c < N; c++) {
				double acc = 0;

				for (int64_t k = 0; k < K; k++) {
					float av = n->a.trans_a ? v[n->in[0]][ao * M * K + k * M + m]
								: v[n->in[0]][ao * M * K + m * K + k];
					float bv = n->a.trans_b ? v[n->in[1]][bo * K * N + c * K + k]
								: v[n->in[1]][bo * K * N + k * N + c];
					acc += (double)av * bv;
				}
				acc *= n->a.alpha;
				if (bias)
					acc += (double)n->a.beta * bias[nbias == N ? c :
									nbias == 1 ? 0 : m * N + c];
				y[bt * M * N + m * N + c] = act_f(n->a.act, (float)acc,
								  n->a.clip_min, n->a.clip_max);
			}
		}
	}
}

static void eval_conv(struct ir_graph *g, struct ir_node *n, float **v)
{
	const struct ir_tensor *x = T(0), *w = T(1), *o = OUT;
	int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
	int64_t OC = o->dims[1], OH = o->dims[2], OW = o->dims[3];
	int64_t KH = w->dims[2], KW = w->dims[3], G = n->a.group, CG = C / G;
	const float *in = v[n->in[0]], *wt = v[n->in[1]];
	const float *bias = n->in[2] >= 0 ? v[n->in[2]] : NULL;
	float *y = v[n->out[0]];

	for (int64_t b = 0; b < N; b++)
	for (int64_t oc = 0; oc < OC; oc++) {
		int64_t gi = oc / (OC / G);

		for (int64_t oh = 0; oh < OH; oh++)
		for (int64_t ow = 0; ow < OW; ow++) {
			double acc = bias ? bias[oc] : 0;

			for (int64_t c = 0; c < CG; c++)
			for (int64_t kh = 0; kh < KH; kh++)
			for (int64_t kw = 0; kw < KW; kw++) {
				int64_t ih = oh * n->a.strides[0] - n->a.pads[0] + kh * n->a.dil[0];
				int64_t iw = ow * n->a.strides[1] - n->a.pads[1] + kw * n->a.dil[1];

				if (ih < 0 || ih >= H || iw < 0 || iw >= W)
					continue;
				acc += (double)in[((b * C + gi * CG + c) * H + ih) * W + iw] *
				       wt[((oc * CG + c) * KH + kh) * KW + kw];
			}
			y[((b * OC + oc) * OH + oh) * OW + ow] =
				act_f(n->a.act, (float)acc, n->a.clip_min, n->a.clip_max);
		}
	}
}

static void eval_pool(struct ir_graph *g, struct ir_node *n, float **v)
{
	const struct ir_tensor *x = T(0), *o = OUT;
	int64_t NC = x->dims[0] * x->dims[1], H = x->dims[2], W = x->dims[3];
	int64_t OH = o->dims[2], OW = o->dims[3];
	const float *in = v[n->in[0]];
	float *y = v[n->out[0]];
	bool gap = n->op == OP_GAP;
	int64_t KH = gap ? H : n->a.kernel[0], KW = gap ? W : n->a.kernel[1];

	for (int64_t c = 0; c < NC; c++)
	for (int64_t oh = 0; oh < OH; oh++)
	for (int64_t ow = 0; ow < OW; ow++) {
		double acc = n->op == OP_MAXPOOL ? -INFINITY : 0;
		int64_t cnt = 0;

		for (int64_t kh = 0; kh < KH; kh++)
		for (int64_t kw = 0; kw < KW; kw++) {
			int64_t ih = gap ? kh : oh * n->a.strides[0] - n->a.pads[0] + kh;
			int64_t iw = gap ? kw : ow * n->a.strides[1] - n->a.pads[1] + kw;
			float e;

			if (ih < 0 || ih >= H || iw < 0 || iw >= W)
				continue;
			e = in[(c * H + ih) * W + iw];
			cnt++;
			if (n->op == OP_MAXPOOL)
				acc = e > acc ? e : acc;
			else
				acc += e;
		}
		if (n->op != OP_MAXPOOL)
			acc /= cnt;
		y[(c * OH + oh) * OW + ow] = act_f(n->a.act, (float)acc, n->a.clip_min,
						   n->a.clip_max);
	}
}

static void eval_lastaxis(struct ir_graph *g, struct ir_node *n, float **v)
{
	const struct ir_tensor *x = T(0);
	int64_t C = x->dims[x->rank - 1], rows = ir_numel(x) / C;
	const float *in = v[n->in[0]];
	float *y = v[n->out[0]];

	for (int64_t r = 0; r < rows; r++) {
		const float *p = in + r * C;
		float *q = y + r * C;

		if (n->op == OP_SOFTMAX) {
			double mx = -INFINITY, s = 0;

			for (int64_t c = 0; c < C; c++)
				mx = p[c] > mx ? p[c] : mx;
			for (int64_t c = 0; c < C; c++)
				s += exp(p[c] - mx);
			for (int64_t c = 0; c < C; c++)
				q[c] = (float)(exp(p[c] - mx) / s);
		} else {
			double mean = 0, var = 0;
			const float *gm = n->in[1] >= 0 ? v[n->in[1]] : NULL;
			const float *bt = n->in[2] >= 0 ? v[n->in[2]] : NULL;

			for (int64_t c = 0; c < C; c++)
				mean += p[c];
			mean /= C;
			for (int64_t c = 0; c < C; c++)
				var += (p[c] - mean) * (p[c] - mean);
			var /= C;
			for (int64_t c = 0; c < C; c++)
				q[c] = (float)((p[c] - mean) / sqrt(var + n->a.eps) *
					       (gm ? gm[c] : 1) + (bt ? bt[c] : 0));
		}
	}
}

static void eval_transpose(struct ir_graph *g, struct ir_node *n, float **v)
{
	const struct ir_tensor *x = T(0), *o = OUT;
	int64_t xs[IR_MAX_RANK] = { 0 }, idx[IR_MAX_RANK] = { 0 }, total = ir_numel(o), e, s = 1;
	int r = x->rank, i;

	for (i = r - 1; i >= 0; i--) {
		xs[i] = s;
		s *= x->dims[i];
	}
	for (e = 0; e < total; e++) {
		int64_t off = 0;

		for (i = 0; i < r; i++)
			off += idx[i] * xs[n->a.perm[i]];
		v[n->out[0]][e] = v[n->in[0]][off];
		for (i = r - 1; i >= 0; i--) {
			if (++idx[i] < o->dims[i])
				break;
			idx[i] = 0;
		}
	}
}

static void eval_bn(struct ir_graph *g, struct ir_node *n, float **v)
{
	const struct ir_tensor *x = T(0);
	int64_t C = x->dims[1], inner = 1, outer = x->dims[0];
	int i;

	for (i = 2; i < x->rank; i++)
		inner *= x->dims[i];
	for (int64_t b = 0; b < outer; b++)
	for (int64_t c = 0; c < C; c++) {
		double sc = v[n->in[1]][c] / sqrt((double)v[n->in[4]][c] + n->a.eps);

		for (int64_t k = 0; k < inner; k++) {
			int64_t e = (b * C + c) * inner + k;

			v[n->out[0]][e] = (float)((v[n->in[0]][e] - v[n->in[3]][c]) * sc +
						  v[n->in[2]][c]);
		}
	}
}

static void eval_reducemean(struct ir_graph *g, struct ir_node *n, float **v)
{
	const struct ir_tensor *x = T(0), *o = OUT;
	int64_t total = ir_numel(x), e, idx[IR_MAX_RANK] = { 0 }, cnt;
	double *acc;
	int r = x->rank, i;

	cnt = total / ir_numel(o);
	acc = calloc(ir_numel(o), sizeof(double));
	for (e = 0; e < total; e++) {
		int64_t off = 0;

		for (i = 0; i < r; i++) {
			bool red = (n->a.red_axes >> i) & 1 ||
				   (n->a.red_axes >> (16 + i - r)) & 1;

			if (!red)
				off = off * x->dims[i] + idx[i];
		}
		acc[off] += v[n->in[0]][e];
		for (i = r - 1; i >= 0; i--) {
			if (++idx[i] < x->dims[i])
				break;
			idx[i] = 0;
		}
	}
	for (e = 0; e < ir_numel(o); e++)
		v[n->out[0]][e] = (float)(acc[e] / cnt);
	free(acc);
}

int ir_eval_node(struct ir_graph *g, struct ir_node *n, float **v)
{
	int64_t total = ir_numel(OUT), e;
	float *y = v[n->out[0]], *x = v[n->in[0]];

	switch (n->op) {
	case OP_GEMM: eval_gemm(g, n, v); break;
	case OP_CONV: eval_conv(g, n, v); break;
	case OP_BN: eval_bn(g, n, v); break;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW:
		eval_binary(g, n, v);
		break;
	case OP_ACT:
		for (e = 0; e < total; e++)
			y[e] = act_f(n->a.act, x[e], n->a.clip_min, n->a.clip_max);
		break;
	case OP_ERF:
		for (e = 0; e < total; e++)
			y[e] = erff(x[e]);
		break;
	case OP_SQRT:
		for (e = 0; e < total; e++)
			y[e] = sqrtf(x[e]);
		break;
	case OP_SOFTMAX: case OP_LAYERNORM: eval_lastaxis(g, n, v); break;
	case OP_MAXPOOL: case OP_AVGPOOL: case OP_GAP: eval_pool(g, n, v); break;
	case OP_TRANSPOSE: eval_transpose(g, n, v); break;
	case OP_REDUCEMEAN: eval_reducemean(g, n, v); break;
	case OP_RESHAPE: case OP_IDENTITY: case OP_QUANTIZE: case OP_DEQUANTIZE:
		memcpy(y, x, total * sizeof(float));
		break;
	default:
		return ir_error(g, "node '%s' (%s): cannot evaluate on the host",
				n->name, n->op_type);
	}
	return 0;
}

int ir_eval(struct ir_graph *g, const float *input, float ***out)
{
	float **v = calloc(g->nt, sizeof(float *));
	int i;

	if (!v)
		return ir_error(g, "out of memory");
	for (i = 0; i < g->nt; i++) {
		if (g->t[i].data && g->t[i].dtype == IR_F32)
			v[i] = g->t[i].data;
		else if (!g->t[i].data)
			v[i] = calloc(ir_numel(&g->t[i]) ? ir_numel(&g->t[i]) : 1, sizeof(float));
	}
	memcpy(v[g->inputs[0]], input, ir_numel(&g->t[g->inputs[0]]) * sizeof(float));
	for (i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		if (ir_eval_node(g, &g->n[i], v)) {
			ir_eval_free(g, v);
			return -1;
		}
	}
	*out = v;
	return 0;
}

void ir_eval_free(struct ir_graph *g, float **v)
{
	int i;

	for (i = 0; i < g->nt; i++)
		if (!g->t[i].data)
			free(v[i]);
	free(v);
}
