// SPDX-License-Identifier: MIT
/*
 * vnpu compiler: ONNX import through protobuf-c. The message code
 * (onnx.pb-c.c) is generated at build time by protoc-c from the onnx.proto
 * Debian ships with python3-onnx.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "ir.h"

static const struct {
	const char *name;
	enum ir_op op;
	int act;
} op_table[] = {
	{ "Gemm", OP_GEMM, 0 }, { "MatMul", OP_GEMM, 0 },
	{ "Conv", OP_CONV, 0 }, { "BatchNormalization", OP_BN, 0 },
	{ "Add", OP_ADD, 0 }, { "Sub", OP_SUB, 0 }, { "Mul", OP_MUL, 0 },
	{ "Div", OP_DIV, 0 },
	{ "Relu", OP_ACT, 1 }, { "Clip", OP_ACT, 2 }, { "Sigmoid", OP_ACT, 4 },
	{ "Tanh", OP_ACT, 5 }, { "Gelu", OP_ACT, 3 },
	{ "Erf", OP_ERF, 0 }, { "Sqrt", OP_SQRT, 0 }, { "Pow", OP_POW, 0 },
	{ "Softmax", OP_SOFTMAX, 0 },
	{ "LayerNormalization", OP_LAYERNORM, 0 },
	{ "MaxPool", OP_MAXPOOL, 0 }, { "AveragePool", OP_AVGPOOL, 0 },
	{ "GlobalAveragePool", OP_GAP, 0 },
	{ "Reshape", OP_RESHAPE, 0 }, { "Flatten", OP_RESHAPE, 0 },
	{ "Squeeze", OP_RESHAPE, 0 }, { "Unsqueeze", OP_RESHAPE, 0 },
	{ "Transpose", OP_TRANSPOSE, 0 },
	{ "Identity", OP_IDENTITY, 0 }, { "Dropout", OP_IDENTITY, 0 },
	{ "ReduceMean", OP_REDUCEMEAN, 0 },
};

static int load_tensor(struct ir_graph *g, const Onnx__TensorProto *tp,
		       int idx)
{
	struct ir_tensor *t = &g->t[idx];
	int64_t n = 1;
	size_t i;

	if (tp->n_dims > IR_MAX_RANK)
		return ir_error(g, "initializer '%s': rank %zu > %d", tp->name,
				tp->n_dims, IR_MAX_RANK);
	t->rank = (int)tp->n_dims;
	for (i = 0; i < tp->n_dims; i++) {
		t->dims[i] = tp->dims[i];
		n *= tp->dims[i];
	}
	if (tp->has_data_location &&
	    tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return ir_error(g, "initializer '%s': external data is not supported",
				tp->name);
	switch (tp->data_type) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
		float *d = calloc(n ? n : 1, sizeof(float));

		if (!d)
			return ir_error(g, "out of memory");
		if (tp->has_raw_data) {
			if (tp->raw_data.len != (size_t)n * 4) {
				free(d);
				return ir_error(g, "initializer '%s': %zu raw bytes for %lld floats",
						tp->name, tp->raw_data.len, (long long)n);
			}
			memcpy(d, tp->raw_data.data, n * 4);
		} else if (tp->n_float_data == (size_t)n) {
			memcpy(d, tp->float_data, n * 4);
		} else {
			free(d);
			return ir_error(g, "initializer '%s': %zu floats for %lld elements",
					tp->name, tp->n_float_data, (long long)n);
		}
		t->dtype = IR_F32;
		t->data = d;
		break;
	}
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: {
		int64_t *d = calloc(n ? n : 1, sizeof(int64_t));

		if (!d)
			return ir_error(g, "out of memory");
		if (tp->has_raw_data && tp->raw_data.len == (size_t)n * 8) {
			memcpy(d, tp->raw_data.data, n * 8);
		} else if (tp->n_int64_data == (size_t)n) {
			memcpy(d, tp->int64_data, n * 8);
		} else {
			free(d);
			return ir_error(g, "initializer '%s': bad int64 data", tp->name);
		}
		t->dtype = IR_I64;
		t->data = d;
		break;
	}
	default:
		return ir_error(g, "initializer '%s': data type %d is not supported (float and int64 only)",
				tp->name, tp->data_type);
	}
	return 0;
}

static int value_info(struct ir_graph *g, const Onnx__ValueInfoProto *vi,
		      int idx, int64_t batch)
{
	struct ir_tensor *t = &g->t[idx];
	const Onnx__TensorShapeProto *sh;
	size_t i;

	if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !vi->type->tensor_type)
		return ir_error(g, "'%s': only tensor inputs/outputs are supported", vi->name);
	if (vi->type->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
		return ir_error(g, "'%s': element type %d is not supported (float only)",
				vi->name, vi->type->tensor_type->elem_type);
	sh = vi->type->tensor_type->shape;
	if (!sh)
		return ir_error(g, "'%s': no shape", vi->name);
	if (sh->n_dim < 1 || sh->n_dim > 4)
		return ir_error(g, "'%s': rank %zu (1..4 supported)", vi->name, sh->n_dim);
	t->rank = (int)sh->n_dim;
	for (i = 0; i < sh->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];

		if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    d->dim_value > 0)
			t->dims[i] = d->dim_value;
		else if (i == 0)
			t->dims[i] = batch;	/* symbolic batch dimension */
		else
			return ir_error(g, "'%s': dimension %zu is symbolic; only the first (batch) may be",
					vi->name, i);
	}
	return 0;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *np, const char *name)
{
	size_t i;

	for (i = 0; i < np->n_attribute; i++)
		if (!strcmp(np->attribute[i]->name, name))
			return np->attribute[i];
	return NULL;
}

static int64_t attr_i(const Onnx__NodeProto *np, const char *name, int64_t def)
{
	const Onnx__AttributeProto *a = attr(np, name);

	return a && a->has_i ? a->i : def;
}

static float attr_f(const Onnx__NodeProto *np, const char *name, float def)
{
	const Onnx__AttributeProto *a = attr(np, name);

	return a && a->has_f ? a->f : def;
}

static int attr_ints(const Onnx__NodeProto *np, const char *name, int64_t *out,
		     int max)
{
	const Onnx__AttributeProto *a = attr(np, name);
	size_t i;

	if (!a)
		return 0;
	if (a->n_ints > (size_t)max)
		return -1;
	for (i = 0; i < a->n_ints; i++)
		out[i] = a->ints[i];
	return (int)a->n_ints;
}

static int import_node(struct ir_graph *g, const Onnx__NodeProto *np, int index)
{
	char namebuf[64];
	const char *name = np->name && *np->name ? np->name : namebuf;
	enum ir_op op = OP_NONE;
	int act = 0, id, i;
	struct ir_node *n;
	size_t k;

	snprintf(namebuf, sizeof(namebuf), "node%d", index);
	if (np->domain && *np->domain && strcmp(np->domain, "ai.onnx"))
		return ir_error(g, "node '%s': op '%s' of domain '%s' is not supported",
				name, np->op_type, np->domain);
	for (k = 0; k < sizeof(op_table) / sizeof(op_table[0]); k++) {
		if (!strcmp(op_table[k].name, np->op_type)) {
			op = op_table[k].op;
			act = op_table[k].act;
			break;
		}
	}
	if (op == OP_NONE)
		return ir_error(g, "node '%s': unsupported operator '%s'", name, np->op_type);
	if (np->n_input > IR_MAX_IN || np->n_output < 1)
		return ir_error(g, "node '%s' (%s): %zu inputs, %zu outputs not supported",
				name, np->op_type, np->n_input, np->n_output);
	/* Dropout's optional mask output is ignored: it must be unused. */
	if (np->n_output > 1 && op != OP_IDENTITY && op != OP_BN)
		return ir_error(g, "node '%s' (%s): %zu outputs not supported",
				name, np->op_type, np->n_output);
	id = ir_add_node(g, name, np->op_type, op);
	if (id < 0)
		return -1;
	n = &g->n[id];
	n->a.act = act;
	n->nin = (int)np->n_input;
	for (i = 0; i < n->nin; i++) {
		if (!np->input[i] || !*np->input[i]) {
			n->in[i] = -1;
			continue;
		}
		n->in[i] = ir_find_tensor(g, np->input[i]);
		if (n->in[i] < 0)
			return ir_error(g, "node '%s' (%s): input '%s' is not defined before use",
					name, np->op_type, np->input[i]);
	}
	if (ir_find_tensor(g, np->output[0]) >= 0)
		return ir_error(g, "node '%s' (%s): output '%s' defined twice",
				name, np->op_type, np->output[0]);
	n->nout = 1;
	n->out[0] = ir_add_tensor(g, np->output[0]);
	n = &g->n[id];
	g->t[n->out[0]].producer = id;

	switch (op) {
	case OP_GEMM:
		if (!strcmp(np->op_type, "Gemm")) {
			n->a.trans_a = attr_i(np, "transA", 0);
			n->a.trans_b = attr_i(np, "transB", 0);
			n->a.alpha = attr_f(np, "alpha", 1);
			n->a.beta = attr_f(np, "beta", 1);
		} else {
			n->a.trans_b = 0;
		}
		break;
	case OP_CONV:
	case OP_MAXPOOL:
	case OP_AVGPOOL: {
		const Onnx__AttributeProto *ap = attr(np, "auto_pad");
		int64_t p[4] = { 0 }, tmp[2];

		if (ap && ap->has_s && !(ap->s.len == 6 && !memcmp(ap->s.data, "NOTSET", 6)))
			return ir_error(g, "node '%s' (%s): auto_pad is not supported; use explicit pads",
					name, np->op_type);
		if (attr_ints(np, "kernel_shape", tmp, 2) == 2) {
			n->a.kernel[0] = tmp[0];
			n->a.kernel[1] = tmp[1];
		} else if (op != OP_CONV) {
			return ir_error(g, "node '%s' (%s): need a 2-D kernel_shape", name, np->op_type);
		}
		if (attr_ints(np, "strides", tmp, 2) == 2) {
			n->a.strides[0] = tmp[0];
			n->a.strides[1] = tmp[1];
		}
		if (attr_ints(np, "dilations", tmp, 2) == 2) {
			n->a.dil[0] = tmp[0];
			n->a.dil[1] = tmp[1];
		}
		i = attr_ints(np, "pads", p, 4);
		if (i != 0 && i != 4)
			return ir_error(g, "node '%s' (%s): only 2-D pads are supported", name, np->op_type);
		/* ONNX: h_begin, w_begin, h_end, w_end -> t, l, b, r */
		memcpy(n->a.pads, p, sizeof(p));
		n->a.group = attr_i(np, "group", 1);
		if (attr_i(np, "ceil_mode", 0))
			return ir_error(g, "node '%s' (%s): ceil_mode is not supported", name, np->op_type);
		if (op == OP_AVGPOOL && attr_i(np, "count_include_pad", 0))
			return ir_error(g, "node '%s' (AveragePool): count_include_pad=1 is not supported",
					name);
		break;
	}
	case OP_BN:
		n->a.eps = attr_f(np, "epsilon", 1e-5f);
		break;
	case OP_ACT:
		if (act == 2) {	/* Clip: min/max inputs (opset >= 11) */
			n->a.clip_min = -INFINITY;
			n->a.clip_max = INFINITY;
		}
		if (!strcmp(np->op_type, "Gelu") && attr(np, "approximate"))
			return ir_error(g, "node '%s' (Gelu): the tanh approximation is not supported",
					name);
		break;
	case OP_SOFTMAX:
		n->a.axis = attr_i(np, "axis", -1);
		break;
	case OP_LAYERNORM:
		n->a.axis = attr_i(np, "axis", -1);
		n->a.eps = attr_f(np, "epsilon", 1e-5f);
		break;
	case OP_TRANSPOSE:
		n->a.nperm = attr_ints(np, "perm", n->a.perm, IR_MAX_RANK);
		if (n->a.nperm < 0)
			return ir_error(g, "node '%s' (Transpose): perm too long", name);
		break;
	case OP_RESHAPE:
		if (!strcmp(np->op_type, "Flatten"))
			n->a.axis = attr_i(np, "axis", 1);
		if (!strcmp(np->op_type, "Reshape") && attr_i(np, "allowzero", 0))
			return ir_error(g, "node '%s' (Reshape): allowzero=1 is not supported", name);
		if (!strcmp(np->op_type, "Squeeze") || !strcmp(np->op_type, "Unsqueeze")) {
			int m = attr_ints(np, "axes", n->a.perm, IR_MAX_RANK);

			n->a.nperm = m < 0 ? 0 : m;	/* opset < 13 */
		}
		break;
	case OP_REDUCEMEAN: {
		int64_t axes[IR_MAX_RANK];
		int m = attr_ints(np, "axes", axes, IR_MAX_RANK);

		if (m <= 0)
			return ir_error(g, "node '%s' (ReduceMean): need the axes attribute", name);
		n->a.red_axes = 0;
		for (i = 0; i < m; i++)
			n->a.red_axes |= 1ll << (axes[i] + (axes[i] < 0 ? 16 : 0));
		n->a.keepdims = attr_i(np, "keepdims", 1);
		break;
	}
	default:
		break;
	}
	return 0;
}

int ir_import_onnx(struct ir_graph *g, const char *path, int64_t batch)
{
	Onnx__ModelProto *m;
	const Onnx__GraphProto *gp;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, k;
	FILE *f;
	int ret = -1, i;

	f = fopen(path, "rb");
	if (!f)
		return ir_error(g, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t r;

		if (len == cap) {
			uint8_t *p = realloc(buf, cap = cap ? 2 * cap : 1 << 16);

			if (!p) {
				fclose(f);
				free(buf);
				return ir_error(g, "out of memory");
			}
			buf = p;
		}
		r = fread(buf + len, 1, cap - len, f);
		if (!r)
			break;
		len += r;
	}
	fclose(f);
	m = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (!m)
		return ir_error(g, "%s: not a valid ONNX model (protobuf decoding failed)", path);
	gp = m->graph;
	if (!gp) {
		ir_error(g, "%s: the model has no graph", path);
		goto out;
	}
	for (k = 0; k < m->n_opset_import; k++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[k];

		if ((!o->domain || !*o->domain) && o->has_version &&
		    (o->version < 11 || o->version > 21)) {
			ir_error(g, "%s: ONNX opset %lld is not supported (11..21)", path,
				 (long long)o->version);
			goto out;
		}
	}
	g->name = strdup(gp->name ? gp->name : "model");
	for (k = 0; k < gp->n_initializer; k++) {
		int t = ir_add_tensor(g, gp->initializer[k]->name);

		if (t < 0 || load_tensor(g, gp->initializer[k], t))
			goto out;
	}
	g->inputs = calloc(gp->n_input + 1, sizeof(int));
	g->outputs = calloc(gp->n_output + 1, sizeof(int));
	for (k = 0; k < gp->n_input; k++) {
		int t;

		if (ir_find_tensor(g, gp->input[k]->name) >= 0)
			continue;	/* an initializer listed as input */
		t = ir_add_tensor(g, gp->input[k]->name);
		if (t < 0 || value_info(g, gp->input[k], t, batch))
			goto out;
		g->t[t].is_input = true;
		g->inputs[g->ninputs++] = t;
	}
	if (g->ninputs != 1) {
		ir_error(g, "%s: %d graph inputs; exactly one is supported", path, g->ninputs);
		goto out;
	}
	for (k = 0; k < gp->n_node; k++)
		if (import_node(g, gp->node[k], (int)k))
			goto out;
	for (k = 0; k < gp->n_output; k++) {
		int t = ir_find_tensor(g, gp->output[k]->name);

		if (t < 0) {
			ir_error(g, "graph output '%s' is not produced by any node",
				 gp->output[k]->name);
			goto out;
		}
		g->t[t].is_output = true;
		g->outputs[g->noutputs++] = t;
	}
	for (i = 0; i < g->noutputs; i++) {
		if (g->t[g->outputs[i]].is_input || ir_is_const(g, g->outputs[i])) {
			ir_error(g, "graph output '%s' must be computed by a node",
				 g->t[g->outputs[i]].name);
			goto out;
		}
	}
	ret = 0;
out:
	onnx__model_proto__free_unpacked(m, NULL);
	return ret;
}
