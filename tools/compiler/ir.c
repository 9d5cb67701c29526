// SPDX-License-Identifier: MIT
/*
 * vnpu compiler: IR helpers.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

int ir_error(struct ir_graph *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	va_end(ap);
	return -1;
}

struct ir_graph *ir_new(void)
{
	return calloc(1, sizeof(struct ir_graph));
}

void ir_free(struct ir_graph *g)
{
	int i;

	if (!g)
		return;
	for (i = 0; i < g->nt; i++) {
		free(g->t[i].name);
		free(g->t[i].data);
	}
	for (i = 0; i < g->nn; i++) {
		free(g->n[i].name);
		free(g->n[i].op_type);
	}
	free(g->t);
	free(g->n);
	free(g->inputs);
	free(g->outputs);
	free(g->name);
	free(g);
}

int ir_add_tensor(struct ir_graph *g, const char *name)
{
	struct ir_tensor *t;

	if (g->nt == g->t_cap) {
		int cap = g->t_cap ? 2 * g->t_cap : 64;
		void *p = realloc(g->t, cap * sizeof(*g->t));

		if (!p)
			return ir_error(g, "out of memory");
		g->t = p;
		g->t_cap = cap;
	}
	t = &g->t[g->nt];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	t->dtype = IR_F32;
	t->producer = -1;
	t->scale = 1;
	return g->nt++;
}

int ir_find_tensor(const struct ir_graph *g, const char *name)
{
	int i;

	for (i = 0; i < g->nt; i++)
		if (!strcmp(g->t[i].name, name))
			return i;
	return -1;
}

int ir_add_node(struct ir_graph *g, const char *name, const char *op_type,
		enum ir_op op)
{
	struct ir_node *n;
	int i;

	if (g->nn == g->n_cap) {
		int cap = g->n_cap ? 2 * g->n_cap : 64;
		void *p = realloc(g->n, cap * sizeof(*g->n));

		if (!p)
			return ir_error(g, "out of memory");
		g->n = p;
		g->n_cap = cap;
	}
	n = &g->n[g->nn];
	memset(n, 0, sizeof(*n));
	n->name = strdup(name);
	n->op_type = strdup(op_type);
	n->op = op;
	for (i = 0; i < IR_MAX_IN; i++)
		n->in[i] = -1;
	n->out[0] = -1;
	n->a.alpha = n->a.beta = 1;
	n->a.eps = 1e-5f;
	n->a.axis = -1;
	n->a.dil[0] = n->a.dil[1] = 1;
	n->a.strides[0] = n->a.strides[1] = 1;
	n->a.group = 1;
	n->a.keepdims = 1;
	snprintf(n->a.fused, sizeof(n->a.fused), "%s", op_type);
	return g->nn++;
}

int64_t ir_numel(const struct ir_tensor *t)
{
	int64_t n = 1;
	int i;

	for (i = 0; i < t->rank; i++)
		n *= t->dims[i];
	return n;
}

bool ir_is_const(const struct ir_graph *g, int t)
{
	return t >= 0 && g->t[t].data;
}

float ir_const_scalar(const struct ir_graph *g, int t, bool *ok)
{
	const struct ir_tensor *x;

	*ok = false;
	if (!ir_is_const(g, t))
		return 0;
	x = &g->t[t];
	if (ir_numel(x) != 1)
		return 0;
	*ok = true;
	if (x->dtype == IR_I64)
		return (float)((int64_t *)x->data)[0];
	return ((float *)x->data)[0];
}

void ir_uses(struct ir_graph *g)
{
	int i, j;

	for (i = 0; i < g->nt; i++)
		g->t[i].nuses = g->t[i].is_output ? 1 : 0;
	for (i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		for (j = 0; j < g->n[i].nin; j++)
			if (g->n[i].in[j] >= 0)
				g->t[g->n[i].in[j]].nuses++;
	}
}

int ir_single_consumer(const struct ir_graph *g, int t)
{
	int i, j, found = -1;

	if (g->t[t].is_output)
		return -1;
	for (i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		for (j = 0; j < g->n[i].nin; j++) {
			if (g->n[i].in[j] != t)
				continue;
			if (found >= 0 && found != i)
				return -1;
			found = i;
		}
	}
	return found;
}

const char *ir_op_name(enum ir_op op)
{
	static const char *const names[OP_COUNT] = {
		[OP_NONE] = "none", [OP_GEMM] = "gemm", [OP_CONV] = "conv2d",
		[OP_BN] = "batchnorm", [OP_ADD] = "add", [OP_SUB] = "sub",
		[OP_MUL] = "mul", [OP_DIV] = "div", [OP_ACT] = "activation",
		[OP_ERF] = "erf", [OP_SQRT] = "sqrt", [OP_SOFTMAX] = "softmax",
		[OP_LAYERNORM] = "layernorm", [OP_MAXPOOL] = "maxpool",
		[OP_AVGPOOL] = "avgpool", [OP_GAP] = "globalavgpool",
		[OP_RESHAPE] = "reshape", [OP_TRANSPOSE] = "transpose",
		[OP_IDENTITY] = "identity", [OP_REDUCEMEAN] = "reducemean",
 [OP_POW] = "pow",
		[OP_QUANTIZE] = "quantize", [OP_DEQUANTIZE] = "dequantize",
	};

	return op < OP_COUNT && names[op] ? names[op] : "?";
}

char *ir_shape_str(const struct ir_tensor *t, char *buf, size_t len)
{
	size_t o = 0;
	int i;

	o += snprintf(buf + o, len - o, "[");
	for (i = 0; i < t->rank && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%lld", i ? "," : "",
			      (long long)t->dims[i]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
	return buf;
}
