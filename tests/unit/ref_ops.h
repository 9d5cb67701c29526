/* SPDX-License-Identifier: MIT */
/*
 * Straightforward reference implementations of the vnpu compute ISA, for
 * the engine's host tests. They work on dense, row-major arrays of real
 * values (double), one plain loop per definition in uapi/vnpu_device.h,
 * and share no code with the engine.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef REF_OPS_H
#define REF_OPS_H

#include <stdint.h>

/* Activation function VNPU_ACT_* of x. */
double ref_act(unsigned int act, double x);

/* The integer rounding rule: saturate(rint(v) + zp), NaN -> zp. */
int64_t ref_round_sat(double v, int32_t zp, double lo, double hi);

/* Round to binary32 and then to bfloat16 (nearest even), back to double. */
double ref_bf16(double x);

/*
 * out[m][n] = sum_k a[m][k] * b[k][n] (+ bias[n]); @sumabs[m][n] gets
 * sum_k |a * b| (+ |bias|) for the error bound. No activation.
 */
void ref_matmul(int m, int n, int k, const double *a, const double *b,
		const double *bias, double *out, double *sumabs);

/*
 * Integer matmul: acc[m][n] = sum_k (a - za) * (b - zb[n]) (+ bias[n]),
 * int32 wrapping.
 */
void ref_matmul_int(int m, int n, int k, const int32_t *a, int32_t za,
		    const int32_t *b, const int32_t *zb, const int32_t *bias,
		    int32_t *acc);

/* Quantise a GEMM/CONV2D accumulator: DOC: Numerics. */
int64_t ref_requant(int32_t acc, float sa, float sb, float so, int32_t zo,
		    unsigned int act, double lo, double hi);

/* NHWC conv2d geometry. */
struct ref_conv {
	int n, h, w, c, oc, kh, kw, groups;
	int sh, sw, dh, dw, pt, pl, oh, ow;
};

/* Float conv: in [n][h][w][c], wt [oc][kh][kw][c/groups]. */
void ref_conv2d(const struct ref_conv *g, const double *in, const double *wt,
		const double *bias, double *out, double *sumabs);

/* Integer conv accumulators; padding contributes 0 (= the zero point). */
void ref_conv2d_int(const struct ref_conv *g, const int32_t *in, int32_t zin,
		    const int32_t *wt, const int32_t *zw, const int32_t *bias,
		    int32_t *acc);

/* ELTWISE op on reals, and on int32. */
double ref_elt(unsigned int op, double a, double b);
int32_t ref_elt_i32(unsigned int op, int32_t a, int32_t b);

/* Softmax of lanes: x viewed as [outer][n][inner], along n. */
void ref_softmax(int outer, int n, int inner, const double *x, double *y);

/* Layer/RMS norm of rows of length n; gamma/beta may be NULL. */
void ref_norm(int rows, int n, const double *x, const double *gamma,
	      const double *beta, double eps, int rms, double *y);

/* Reduce x[4-D shape] over the axes in @mask (bit i = dim i). */
void ref_reduce(const int *shape, unsigned int mask, unsigned int op,
		const double *x, double *y);

/* Pool NHWC; global modes pass kh = h, kw = w, stride 1, no pads. */
void ref_pool(int n, int h, int w, int c, int kh, int kw, int sh, int sw,
	      int pt, int pl, int oh, int ow, int max, const double *x,
	      double *y);

#endif /* REF_OPS_H */
