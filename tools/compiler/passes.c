// SPDX-License-Identifier: MIT
/*
 * vnpu compiler: graph clean-up passes. Constant folding, normalisation of
 * ONNX forms (Clip bounds, Gemm alpha/beta, Identity), BatchNorm folding
 * into Conv, GELU pattern matching (Erf form), bias and activation fusion
 * into GEMM/CONV/elementwise, and the supported-operator check.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnpu_device.h"
#include "ir.h"

static bool foldable(struct ir_graph *g, struct ir_node *n)
{
	int i, any = 0;

	for (i = 0; i < n->nin; i++) {
		if (n->in[i] < 0)
			continue;
		if (!ir_is_const(g, n->in[i]))
			return false;
		if (g->t[n->in[i]].dtype != IR_F32 &&
		    !(n->op == OP_RESHAPE && i == 1))
			return false;
		any = 1;
	}
	return any;
}

int ir_fold_constants(struct ir_graph *g)
{
	int i, j;

	for (i = 0; i < g->nn; i++) {
		struct ir_node *n = &g->n[i];
		struct ir_tensor *o = &g->t[n->out[0]];
		float **v;

		if (n->dead || !foldable(g, n))
			continue;
		v = calloc(g->nt, sizeof(float *));
		o->data = calloc(ir_numel(o) ? ir_numel(o) : 1, sizeof(float));
		if (!v || !o->data) {
			free(v);
			return ir_error(g, "out of memory");
		}
		for (j = 0; j < g->nt; j++)
			v[j] = g->t[j].data;
		if (ir_eval_node(g, n, v)) {
			free(v);
			return -1;
		}
		free(v);
		o->dtype = IR_F32;
		o->producer = -1;
		n->dead = true;
	}
	return 0;
}

/* Merge @c (the single consumer of @p's output) into @p. */
static void absorb(struct ir_graph *g, struct ir_node *p, struct ir_node *c)
{
	size_t l = strlen(p->a.fused);

	snprintf(p->a.fused + l, sizeof(p->a.fused) - l, "+%s", c->op_type);
	p->out[0] = c->out[0];
	g->t[p->out[0]].producer = (int)(p - g->n);
	c->dead = true;
}

static int normalize(struct ir_graph *g)
{
	int i;

	for (i = 0; i < g->nn; i++) {
		struct ir_node *n = &g->n[i];
		bool ok;

		if (n->dead)
			continue;
		if (n->op == OP_ACT && n->a.act == VNPU_ACT_RELU6) {	/* Clip */
			float lo = -INFINITY, hi = INFINITY;

			if (n->nin > 1 && n->in[1] >= 0) {
				lo = ir_const_scalar(g, n->in[1], &ok);
				if (!ok)
					return ir_error(g, "node '%s' (Clip): min must be a constant scalar",
							n->name);
			}
			if (n->nin > 2 && n->in[2] >= 0) {
				hi = ir_const_scalar(g, n->in[2], &ok);
				if (!ok)
					return ir_error(g, "node '%s' (Clip): max must be a constant scalar",
							n->name);
			}
			n->nin = 1;
			n->a.clip_min = lo;
			n->a.clip_max = hi;
			if (lo == 0 && hi == 6)
				n->a.act = VNPU_ACT_RELU6;
			else if (lo == 0 && isinf(hi))
				n->a.act = VNPU_ACT_RELU;
			else
				return ir_error(g, "node '%s' (Clip): only Clip(0, 6) and Clip(0, inf) are supported, not Clip(%g, %g)",
						n->name, lo, hi);
		}
		if (n->op == OP_GEMM && !strcmp(n->op_type, "Gemm")) {
			if (n->a.trans_a)
				return ir_error(g, "node '%s' (Gemm): transA=1 is not supported", n->name);
			if (n->a.alpha != 1) {
				struct ir_tensor *b = &g->t[n->in[1]];
				int64_t e;

				if (!b->data)
					return ir_error(g, "node '%s' (Gemm): alpha != 1 needs a constant B",
							n->name);
				for (e = 0; e < ir_numel(b); e++)
					((float *)b->data)[e] *= n->a.alpha;
				n->a.alpha = 1;
			}
			if (n->nin > 2 && n->in[2] >= 0 && n->a.beta != 1) {
				struct ir_tensor *c = &g->t[n->in[2]];
				int64_t e;

				if (!c->data)
					return ir_error(g, "node '%s' (Gemm): beta != 1 needs a constant C",
							n->name);
				for (e = 0; e < ir_numel(c); e++)
					((float *)c->data)[e] *= n->a.beta;
				n->a.beta = 1;
			}
			if (n->nin > 2 && n->in[2] >= 0) {
				struct ir_tensor *c = &g->t[n->in[2]];
				int64_t N = g->t[n->out[0]].dims[1];

				if (!c->data || ir_numel(c) != N ||
				    (c->rank == 2 && c->dims[0] != 1))
					return ir_error(g, "node '%s' (Gemm): C must be a constant of N = %lld elements",
							n->name, (long long)N);
			}
		}
		if (n->op == OP_IDENTITY && n->nin > 1)
			n->nin = 1;	/* Dropout ratio/training_mode */
		if (n->op == OP_POW) {
			float e = ir_const_scalar(g, n->in[1], &ok);

			if (!ok || e != 2)
				return ir_error(g, "node '%s' (Pow): only a constant exponent of 2 is supported",
						n->name);
			n->op = OP_MUL;	/* x^2 = x * x */
			n->in[1] = n->in[0];
		}
	}
	return 0;
}

static int fold_bn(struct ir_graph *g)
{
	int i, c;

	for (i = 0; i < g->nn; i++) {
		struct ir_node *conv = &g->n[i], *bn;
		struct ir_tensor *w;
		int ci, OC;
		int64_t per;
		float *bias;

		if (conv->dead || conv->op != OP_CONV || conv->a.act)
			continue;
		ci = ir_single_consumer(g, conv->out[0]);
		if (ci < 0 || g->n[ci].op != OP_BN)
			continue;
		bn = &g->n[ci];
		for (c = 1; c < 5; c++)
			if (!ir_is_const(g, bn->in[c]))
				return ir_error(g, "node '%s' (BatchNormalization): parameters must be constant",
						bn->name);
		if (!ir_is_const(g, conv->in[1]))
			return ir_error(g, "node '%s' (Conv): weights must be constant", conv->name);
		w = &g->t[conv->in[1]];
		OC = (int)w->dims[0];
		per = ir_numel(w) / OC;
		bias = calloc(OC, sizeof(float));
		if (!bias)
			return ir_error(g, "out of memory");
		for (c = 0; c < OC; c++) {
			const float *gm = g->t[bn->in[1]].data, *bt = g->t[bn->in[2]].data;
			const float *mu = g->t[bn->in[3]].data, *var = g->t[bn->in[4]].data;
			double s = gm[c] / sqrt((double)var[c] + bn->a.eps);
			double b0 = conv->in[2] >= 0 ? ((float *)g->t[conv->in[2]].data)[c] : 0;
			int64_t k;

			for (k = 0; k < per; k++)
				((float *)w->data)[c * per + k] =
					(float)(((float *)w->data)[c * per + k] * s);
			bias[c] = (float)((b0 - mu[c]) * s + bt[c]);
		}
		if (conv->in[2] >= 0) {
			free(g->t[conv->in[2]].data);
			g->t[conv->in[2]].data = bias;
		} else {
			char name[300];
			int t;

			snprintf(name, sizeof(name), "%s.folded_bias", conv->name);
			t = ir_add_tensor(g, name);
			if (t < 0)
				return -1;
			conv = &g->n[i];
			bn = &g->n[ci];
			g->t[t].rank = 1;
			g->t[t].dims[0] = OC;
			g->t[t].data = bias;
			conv->in[2] = t;
			conv->nin = 3;
		}
		absorb(g, conv, bn);
	}
	return 0;
}

static bool is_scalar(struct ir_graph *g, int t, float want)
{
	bool ok;
	float v = ir_const_scalar(g, t, &ok);

	return ok && fabsf(v - want) <= 1e-5f * fabsf(want);
}

/* The other operand of a binary node, given one of them. */
static int other_in(const struct ir_node *n, int t)
{
	return n->in[0] == t ? n->in[1] : n->in[1] == t ? n->in[0] : -2;
}

/*
 * GELU, Erf form: y = x * 0.5 * (1 + erf(x / sqrt 2)), in any of the common
 * association orders: Div(x, 1.4142) or Mul(x, 0.7071) -> Erf -> Add 1 ->
 * Mul x -> Mul 0.5, or Mul(x, 0.5) last operand swapped.
 */
static int fuse_gelu(struct ir_graph *g)
{
	int i;

	for (i = 0; i < g->nn; i++) {
		struct ir_node *e = &g->n[i], *d, *a, *m1, *m2;
		int x, c, t;

		if (e->dead || e->op != OP_ERF || g->t[e->in[0]].producer < 0)
			continue;
		d = &g->n[g->t[e->in[0]].producer];
		if (d->op == OP_DIV && is_scalar(g, d->in[1], (float)M_SQRT2))
			x = d->in[0];
		else if (d->op == OP_MUL && (is_scalar(g, d->in[1], (float)M_SQRT1_2) ||
					     is_scalar(g, d->in[0], (float)M_SQRT1_2)))
			x = ir_is_const(g, d->in[1]) ? d->in[0] : d->in[1];
		else
			continue;
		if (ir_single_consumer(g, d->out[0]) != i)
			continue;
		c = ir_single_consumer(g, e->out[0]);
		if (c < 0 || g->n[c].op != OP_ADD ||
		    !is_scalar(g, other_in(&g->n[c], e->out[0]), 1))
			continue;
		a = &g->n[c];
		c = ir_single_consumer(g, a->out[0]);
		if (c < 0 || g->n[c].op != OP_MUL)
			continue;
		m1 = &g->n[c];
		t = other_in(m1, a->out[0]);
		c = ir_single_consumer(g, m1->out[0]);
		if (c < 0 || g->n[c].op != OP_MUL)
			continue;
		m2 = &g->n[c];
		if (t == x) {
			/* x * (1 + erf) * 0.5 */
			if (!is_scalar(g, other_in(m2, m1->out[0]), 0.5f))
				continue;
		} else if (is_scalar(g, t, 0.5f) && other_in(m2, m1->out[0]) == x) {
			/* 0.5 * (1 + erf) * x */
		} else {
			continue;
		}
		/* d becomes the GELU activation on x; the rest dies. */
		d->op = OP_ACT;
		d->a.act = VNPU_ACT_GELU;
		d->nin = 1;
		d->in[0] = x;
		d->in[1] = -1;
		free(d->op_type);
		d->op_type = strdup("Gelu");
		snprintf(d->a.fused, sizeof(d->a.fused), "Gelu(Erf form)");
		d->out[0] = m2->out[0];
		g->t[d->out[0]].producer = (int)(d - g->n);
		e->dead = a->dead = m1->dead = m2->dead = true;
	}
	return 0;
}

/* The node producing @t, if it is live and of kind @op; else NULL. */
static struct ir_node *producer_op(struct ir_graph *g, int t, enum ir_op op)
{
	int p = t >= 0 ? g->t[t].producer : -1;

	return p >= 0 && !g->n[p].dead && g->n[p].op == op ? &g->n[p] : NULL;
}

/* ReduceMean over the last axis only, keeping it. */
static bool mean_last(struct ir_graph *g, const struct ir_node *n)
{
	int r = g->t[n->in[0]].rank;

	return n->a.keepdims &&
	       (n->a.red_axes == 1ll << 15 || n->a.red_axes == 1ll << (r - 1));
}

/* How many inputs of live nodes read tensor @t. */
static int reads(struct ir_graph *g, int t)
{
	int i, j, c = g->t[t].is_output;

	for (i = 0; i < g->nn; i++)
		for (j = 0; !g->n[i].dead && j < g->n[i].nin; j++)
			c += g->n[i].in[j] == t;
	return c;
}

/*
 * LayerNormalization in its decomposed form, as exporters write it:
 *   m = ReduceMean(x, -1); d = x - m; v = ReduceMean(d * d, -1)
 *   y = d / Sqrt(v + eps) [* gamma] [+ beta]
 * (d * d may be Pow(d, 2), normalised to a Mul before this pass).
 */
static int fuse_layernorm(struct ir_graph *g)
{
	int i;

	for (i = 0; i < g->nn; i++) {
		struct ir_node *sq = &g->n[i], *ad, *rv, *mu, *sub, *rm, *dv, *gm = NULL, *bt = NULL;
		struct ir_node *last;
		int x, d, eps_t, ci, C;
		bool ok;
		float eps;

		if (sq->dead || sq->op != OP_SQRT)
			continue;
		ad = producer_op(g, sq->in[0], OP_ADD);
		if (!ad || reads(g, ad->out[0]) != 1)
			continue;
		eps_t = ir_is_const(g, ad->in[1]) ? ad->in[1] : ad->in[0];
		eps = ir_const_scalar(g, eps_t, &ok);
		if (!ok || eps < 0)
			continue;
		rv = producer_op(g, eps_t == ad->in[1] ? ad->in[0] : ad->in[1], OP_REDUCEMEAN);
		if (!rv || !mean_last(g, rv) || reads(g, rv->out[0]) != 1)
			continue;
		mu = producer_op(g, rv->in[0], OP_MUL);
		if (!mu || mu->in[0] != mu->in[1] || reads(g, mu->out[0]) != 1)
			continue;
		d = mu->in[0];
		sub = producer_op(g, d, OP_SUB);
		if (!sub)
			continue;
		x = sub->in[0];
		rm = producer_op(g, sub->in[1], OP_REDUCEMEAN);
		if (!rm || rm->in[0] != x || !mean_last(g, rm) || reads(g, rm->out[0]) != 1)
			continue;
		ci = ir_single_consumer(g, sq->out[0]);
		if (ci < 0 || g->n[ci].op != OP_DIV || g->n[ci].in[0] != d || g->n[ci].in[1] != sq->out[0])
			continue;
		dv = &g->n[ci];
		if (reads(g, d) != 3)	/* the Mul twice and the Div */
			continue;
		C = (int)g->t[x].dims[g->t[x].rank - 1];
		last = dv;
		ci = ir_single_consumer(g, last->out[0]);
		if (ci >= 0 && g->n[ci].op == OP_MUL && !g->n[ci].a.act) {
			int o = other_in(&g->n[ci], last->out[0]);

			if (o >= 0 && ir_is_const(g, o) && ir_numel(&g->t[o]) == C &&
			    g->t[o].dims[g->t[o].rank - 1] == C) {
				gm = &g->n[ci];
				last = gm;
			}
		}
		ci = ir_single_consumer(g, last->out[0]);
		if (ci >= 0 && g->n[ci].op == OP_ADD && !g->n[ci].a.act) {
			int o = other_in(&g->n[ci], last->out[0]);

			if (o >= 0 && ir_is_const(g, o) && ir_numel(&g->t[o]) == C &&
			    g->t[o].dims[g->t[o].rank - 1] == C) {
				bt = &g->n[ci];
				last = bt;
			}
		}
		/* the Div becomes the LayerNormalization */
		dv->op = OP_LAYERNORM;
		dv->a.eps = eps;
		dv->a.axis = -1;
		dv->nin = 3;
		dv->in[0] = x;
		dv->in[1] = !gm ? -1 : ir_is_const(g, gm->in[0]) ? gm->in[0] : gm->in[1];
		dv->in[2] = !bt ? -1 : ir_is_const(g, bt->in[0]) ? bt->in[0] : bt->in[1];
		free(dv->op_type);
		dv->op_type = strdup("LayerNormalization");
		snprintf(dv->a.fused, sizeof(dv->a.fused), "LayerNormalization(decomposed)");
		dv->out[0] = last->out[0];
		g->t[dv->out[0]].producer = (int)(dv - g->n);
		sq->dead = ad->dead = rv->dead = mu->dead = sub->dead = rm->dead = true;
		if (gm)
			gm->dead = true;
		if (bt)
			bt->dead = true;
	}
	return 0;
}

static int fuse_bias(struct ir_graph *g)
{
	int i;

	for (i = 0; i < g->nn; i++) {
		struct ir_node *p = &g->n[i], *add;
		int ci, b;
		struct ir_tensor *bt;
		int64_t N;

		if (p->dead || (p->op != OP_GEMM && p->op != OP_CONV) || p->a.act ||
		    (p->nin > 2 && p->in[2] >= 0))
			continue;
		ci = ir_single_consumer(g, p->out[0]);
		if (ci < 0 || g->n[ci].op != OP_ADD)
			continue;
		add = &g->n[ci];
		b = other_in(add, p->out[0]);
		if (b < 0 || !ir_is_const(g, b) || add->a.act)
			continue;
		bt = &g->t[b];
		if (p->op == OP_GEMM) {
			N = g->t[p->out[0]].dims[g->t[p->out[0]].rank - 1];
			if (ir_numel(bt) != N || bt->dims[bt->rank - 1] != N)
				continue;
		} else {
			N = g->t[p->out[0]].dims[1];
			/* [C,1,1] or [1,C,1,1] */
			if (ir_numel(bt) != N || bt->rank < 3 || bt->dims[bt->rank - 3] != N)
				continue;
		}
		/* the Add's output must keep the GEMM's shape (no broadcast growth) */
		if (g->t[add->out[0]].rank != g->t[p->out[0]].rank)
			continue;
		p->in[2] = b;
		p->nin = 3;
		absorb(g, p, add);
	}
	return 0;
}

static int fuse_act(struct ir_graph *g)
{
	int i;

	for (i = 0; i < g->nn; i++) {
		struct ir_node *p = &g->n[i], *act;
		int ci;

		if (p->dead || p->a.act ||
		    (p->op != OP_GEMM && p->op != OP_CONV && p->op != OP_ADD &&
		     p->op != OP_SUB && p->op != OP_MUL && p->op != OP_DIV))
			continue;
		ci = ir_single_consumer(g, p->out[0]);
		if (ci < 0 || g->n[ci].op != OP_ACT)
			continue;
		act = &g->n[ci];
		p->a.act = act->a.act;
		p->a.clip_min = act->a.clip_min;
		p->a.clip_max = act->a.clip_max;
		absorb(g, p, act);
	}
	return 0;
}

int ir_fuse(struct ir_graph *g)
{
	if (normalize(g) || fold_bn(g) || fuse_gelu(g) || fuse_layernorm(g) ||
	    fuse_bias(g) || fuse_act(g))
		return -1;
	ir_uses(g);
	return 0;
}

int ir_check_supported(struct ir_graph *g)
{
	int i;

	for (i = 0; i < g->nn; i++) {
		struct ir_node *n = &g->n[i];
		struct ir_tensor *x;

		if (n->dead)
			continue;
		x = &g->t[n->in[0]];
		switch (n->op) {
		case OP_ERF:
			return ir_error(g, "node '%s' (Erf): unsupported operator: Erf runs only as part of a GELU pattern (x * 0.5 * (1 + erf(x / sqrt 2)))",
					n->name);
		case OP_SQRT:
			return ir_error(g, "node '%s' (Sqrt): unsupported operator on a non-constant input (only constant Sqrt is folded)",
					n->name);
		case OP_BN:
			return ir_error(g, "node '%s' (BatchNormalization): unsupported unless it follows a Conv it can be folded into",
					n->name);
		case OP_LAYERNORM:
			if (n->a.axis != -1 && n->a.axis != x->rank - 1)
				return ir_error(g, "node '%s' (LayerNormalization): only the last axis is supported",
						n->name);
			break;
		case OP_SOFTMAX:
			if (n->a.axis < 0)
				n->a.axis += x->rank;
			if (n->a.axis != x->rank - 1)
				return ir_error(g, "node '%s' (Softmax): only the last axis is supported",
						n->name);
			break;
		case OP_GEMM:
			if (g->t[n->out[0]].rank > 4)
				return ir_error(g, "node '%s' (%s): rank above 4", n->name, n->op_type);
			break;
		default:
			break;
		}
		if (g->t[n->out[0]].rank > 4 && n->op != OP_RESHAPE && n->op != OP_IDENTITY)
			return ir_error(g, "node '%s' (%s): tensors of rank %d are not supported (1..4)",
					n->name, n->op_type, g->t[n->out[0]].rank);
	}
	return 0;
}
