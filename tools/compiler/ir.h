/* SPDX-License-Identifier: MIT */
/*
 * vnpu compiler: the graph IR.
 *
 * Copyright (C) 2026 The vnpu authors
 *
 * Tensors have a logical shape in ONNX order (NCHW for images) and keep it
 * through all passes; the physical layout (NHWC) is chosen at lowering.
 * Constant tensors carry their data as float (or int64 for shape inputs).
 */
#ifndef VNPU_IR_H
#define VNPU_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IR_MAX_RANK	6
#define IR_MAX_IN	6
#define IR_MAX_OUT	1

enum ir_dtype { IR_F32 = 1, IR_I64 = 2, IR_I8 = 3 };

enum ir_op {
	OP_NONE = 0,
	OP_GEMM,	/* MatMul / Gemm: in0 x in1 (+ in2 bias) */
	OP_CONV,	/* in0 NCHW, in1 OIHW, in2 bias */
	OP_BN,		/* BatchNormalization (folded into conv) */
	OP_ADD, OP_SUB, OP_MUL, OP_DIV,
	OP_ACT,		/* attrs.act: VNPU_ACT_* */
	OP_ERF,		/* only as part of GELU */
	OP_SQRT,	/* constant folding only */
	OP_SOFTMAX,
	OP_LAYERNORM,
	OP_MAXPOOL, OP_AVGPOOL, OP_GAP,
	OP_RESHAPE,	/* Reshape / Flatten / Squeeze / Unsqueeze */
	OP_TRANSPOSE,
	OP_IDENTITY,	/* Identity, Dropout (inference) */
	OP_REDUCEMEAN,
	OP_POW,		/* x^2 only: becomes x * x */
	OP_QUANTIZE, OP_DEQUANTIZE,	/* inserted by the int8 pass */
	OP_COUNT
};

struct ir_tensor {
	char *name;
	enum ir_dtype dtype;
	int rank;
	int64_t dims[IR_MAX_RANK];
	void *data;		/* constant: float[] or int64_t[] */
	int producer;		/* node index, -1 for inputs/constants */
	bool is_input, is_output;
	int nuses;		/* consumers (recomputed by ir_uses()) */
	/* calibration and quantisation */
	bool calibrated;
	float amin, amax;
	float scale;
	int zero_point;
};

struct ir_attrs {
	int64_t kernel[2], strides[2], pads[4], dil[2];	/* pads t,l,b,r */
	int64_t group;
	int64_t axis;
	int64_t perm[IR_MAX_RANK];
	int nperm;
	int64_t trans_a, trans_b;
	float alpha, beta, eps;
	float clip_min, clip_max;
	int act;		/* fused/stand-alone activation, VNPU_ACT_* */
	int64_t red_axes;	/* REDUCEMEAN: bit mask */
	int64_t keepdims;
	char fused[96];	/* op names merged into this node */
};

struct ir_node {
	char *name;
	char *op_type;		/* ONNX op type */
	enum ir_op op;
	int nin, nout;
	int in[IR_MAX_IN];	/* tensor indices, -1 = absent optional */
	int out[IR_MAX_OUT];
	struct ir_attrs a;
	bool dead;
};

struct ir_graph {
	char *name;
	struct ir_tensor *t;
	int nt, t_cap;
	struct ir_node *n;
	int nn, n_cap;
	int *inputs, ninputs;
	int *outputs, noutputs;
	bool int8;
	char err[512];
};

/* Error reporting: every failing function fills g->err and returns -1. */
int ir_error(struct ir_graph *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct ir_graph *ir_new(void);
void ir_free(struct ir_graph *g);
int ir_add_tensor(struct ir_graph *g, const char *name);
int ir_find_tensor(const struct ir_graph *g, const char *name);
int ir_add_node(struct ir_graph *g, const char *name, const char *op_type,
		enum ir_op op);
int64_t ir_numel(const struct ir_tensor *t);
bool ir_is_const(const struct ir_graph *g, int t);
float ir_const_scalar(const struct ir_graph *g, int t, bool *ok);
void ir_uses(struct ir_graph *g);
/* The live node consuming tensor @t, if it has exactly one; else -1. */
int ir_single_consumer(const struct ir_graph *g, int t);
const char *ir_op_name(enum ir_op op);
char *ir_shape_str(const struct ir_tensor *t, char *buf, size_t len);

/* onnx_import.c */
int ir_import_onnx(struct ir_graph *g, const char *path, int64_t batch);

/* shape.c: fill dims of every non-constant tensor, in topological order */
int ir_infer_shapes(struct ir_graph *g);

/* hosteval.c: float reference evaluation on the host */
int ir_eval_node(struct ir_graph *g, struct ir_node *n, float **vals);
/* Run the graph on @input (batch of the graph's input shape); @vals[t]
 * gets a malloc'd buffer per tensor (constants point at their data). */
int ir_eval(struct ir_graph *g, const float *input, float ***vals);
void ir_eval_free(struct ir_graph *g, float **vals);

/* passes.c */
int ir_fold_constants(struct ir_graph *g);
int ir_fuse(struct ir_graph *g);	/* BN, bias, activations, GELU */
int ir_check_supported(struct ir_graph *g);
int ir_toposort(struct ir_graph *g);

/* cut.c: keep the stage between tensors @from and @to (either may be NULL) */
int ir_cut(struct ir_graph *g, const char *from, const char *to);

/* quant.c */
int ir_calibrate(struct ir_graph *g, const float *data, int64_t samples);
int ir_quantize(struct ir_graph *g);

#endif /* VNPU_IR_H */
