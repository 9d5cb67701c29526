// SPDX-License-Identifier: MIT
/*
 * Reference implementations of the vnpu compute ISA (see ref_ops.h).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <math.h>
#include <string.h>

#include "ref_ops.h"
#include "vnpu_device.h"

double ref_act(unsigned int act, double x)
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

int64_t ref_round_sat(double v, int32_t zp, double lo, double hi)
{
	double q;

	if (isnan(v))
		return zp;
	q = nearbyint(v) + zp;
	if (q < lo)
		q = lo;
	if (q > hi)
		q = hi;
	return (int64_t)q;
}

double ref_bf16(double x)
{
	float f = (float)x;
	uint32_t u;

	memcpy(&u, &f, 4);
	if ((u & 0x7fffffff) > 0x7f800000)
		return x;
	/* Round to nearest even on the 16 dropped bits. */
	if ((u & 0xffff) > 0x8000 || ((u & 0xffff) == 0x8000 && (u & 0x10000)))
		u += 0x10000;
	u &= 0xffff0000;
	memcpy(&f, &u, 4);
	return f;
}

void ref_matmul(int m, int n, int k, const double *a, const double *b,
		const double *bias, double *out, double *sumabs)
{
	for (int i = 0; i < m; i++) {
		for (int j = 0; j < n; j++) {
			double s = 0, sa = 0;

			for (int l = 0; l < k; l++) {
				s += a[i * k + l] * b[l * n + j];
				sa += fabs(a[i * k + l] * b[l * n + j]);
			}
			if (bias) {
				s += bias[j];
				sa += fabs(bias[j]);
			}
			out[i * n + j] = s;
			sumabs[i * n + j] = sa;
		}
	}
}

void ref_matmul_int(int m, int n, int k, const int32_t *a, int32_t za,
		    const int32_t *b, const int32_t *zb, const int32_t *bias,
		    int32_t *acc)
{
	for (int i = 0; i < m; i++) {
		for (int j = 0; j < n; j++) {
			uint32_t s = 0;

			for (int l = 0; l < k; l++)
				s += (uint32_t)((a[i * k + l] - za) *
						(b[l * n + j] - zb[j]));
			if (bias)
				s += (uint32_t)bias[j];
			acc[i * n + j] = (int32_t)s;
		}
	}
}

int64_t ref_requant(int32_t acc, float sa, float sb, float so, int32_t zo,
		    unsigned int act, double lo, double hi)
{
	double r = (double)acc * ((double)sa * (double)sb);

	r = ref_act(act, r);
	return ref_round_sat(r / (double)so, zo, lo, hi);
}

/* Input pixel of output (y, x), tap (i, j); 0 when it is padding. */
static int conv_tap(const struct ref_conv *g, int y, int x, int i, int j,
		    int *iy, int *ix)
{
	*iy = y * g->sh + i * g->dh - g->pt;
	*ix = x * g->sw + j * g->dw - g->pl;
	return *iy >= 0 && *ix >= 0 && *iy < g->h && *ix < g->w;
}

void ref_conv2d(const struct ref_conv *g, const double *in, const double *wt,
		const double *bias, double *out, double *sumabs)
{
	int cg = g->c / g->groups, ocg = g->oc / g->groups;

	for (int b = 0; b < g->n; b++)
	for (int y = 0; y < g->oh; y++)
	for (int x = 0; x < g->ow; x++)
	for (int o = 0; o < g->oc; o++) {
		int grp = o / ocg;
		double s = 0, sa = 0;

		for (int i = 0; i < g->kh; i++)
		for (int j = 0; j < g->kw; j++)
		for (int c = 0; c < cg; c++) {
			int iy, ix;
			double p;

			if (!conv_tap(g, y, x, i, j, &iy, &ix))
				continue;
			p = in[((b * g->h + iy) * g->w + ix) * g->c +
			       grp * cg + c] *
			    wt[((o * g->kh + i) * g->kw + j) * cg + c];
			s += p;
			sa += fabs(p);
		}
		if (bias) {
			s += bias[o];
			sa += fabs(bias[o]);
		}
		out[((b * g->oh + y) * g->ow + x) * g->oc + o] = s;
		sumabs[((b * g->oh + y) * g->ow + x) * g->oc + o] = sa;
	}
}

void ref_conv2d_int(const struct ref_conv *g, const int32_t *in, int32_t zin,
		    const int32_t *wt, const int32_t *zw, const int32_t *bias,
		    int32_t *acc)
{
	int cg = g->c / g->groups, ocg = g->oc / g->groups;

	for (int b = 0; b < g->n; b++)
	for (int y = 0; y < g->oh; y++)
	for (int x = 0; x < g->ow; x++)
	for (int o = 0; o < g->oc; o++) {
		int grp = o / ocg;
		uint32_t s = 0;

		for (int i = 0; i < g->kh; i++)
		for (int j = 0; j < g->kw; j++)
		for (int c = 0; c < cg; c++) {
			int iy, ix;

			if (!conv_tap(g, y, x, i, j, &iy, &ix))
				continue;
			s += (uint32_t)((in[((b * g->h + iy) * g->w + ix) *
					    g->c + grp * cg + c] - zin) *
					(wt[((o * g->kh + i) * g->kw + j) * cg +
					    c] - zw[o]));
		}
		if (bias)
			s += (uint32_t)bias[o];
		acc[((b * g->oh + y) * g->ow + x) * g->oc + o] = (int32_t)s;
	}
}

double ref_elt(unsigned int op, double a, double b)
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

int32_t ref_elt_i32(unsigned int op, int32_t a, int32_t b)
{
	int64_t r;

	switch (op) {
	case VNPU_ELT_ADD:
		r = (int64_t)a + b;
		break;
	case VNPU_ELT_SUB:
		r = (int64_t)a - b;
		break;
	case VNPU_ELT_MUL:
		r = (int64_t)a * b;
		break;
	case VNPU_ELT_DIV:
		if (b == 0)
			return 0;
		if (a == INT32_MIN && b == -1)
			return INT32_MIN;
		return a / b;
	case VNPU_ELT_MAX:
		return a > b ? a : b;
	default:
		return a < b ? a : b;
	}
	return (int32_t)(uint32_t)(uint64_t)r;	/* wraps */
}

void ref_softmax(int outer, int n, int inner, const double *x, double *y)
{
	for (int o = 0; o < outer; o++) {
		for (int i = 0; i < inner; i++) {
			const double *p = x + o * n * inner + i;
			double mx = -INFINITY, s = 0;

			for (int k = 0; k < n; k++)
				mx = p[k * inner] > mx ? p[k * inner] : mx;
			for (int k = 0; k < n; k++)
				s += exp(p[k * inner] - mx);
			for (int k = 0; k < n; k++)
				y[o * n * inner + i + k * inner] =
					exp(p[k * inner] - mx) / s;
		}
	}
}

void ref_norm(int rows, int n, const double *x, const double *gamma,
	      const double *beta, double eps, int rms, double *y)
{
	for (int r = 0; r < rows; r++) {
		const double *p = x + r * n;
		double mean = 0, var = 0, inv;

		for (int i = 0; i < n; i++)
			mean += rms ? p[i] * p[i] : p[i];
		mean /= n;
		if (rms) {
			inv = 1.0 / sqrt(mean + eps);
			mean = 0;
		} else {
			for (int i = 0; i < n; i++)
				var += (p[i] - mean) * (p[i] - mean);
			inv = 1.0 / sqrt(var / n + eps);
		}
		for (int i = 0; i < n; i++) {
			double v = (p[i] - mean) * inv;

			if (gamma)
				v *= gamma[i];
			if (beta)
				v += beta[i];
			y[r * n + i] = v;
		}
	}
}

void ref_reduce(const int *shape, unsigned int mask, unsigned int op,
		const double *x, double *y)
{
	int os[4], cnt = 1, total = 1;

	for (int d = 0; d < 4; d++) {
		os[d] = (mask >> d) & 1 ? 1 : shape[d];
		cnt *= (mask >> d) & 1 ? shape[d] : 1;
		total *= os[d];
	}
	for (int i = 0; i < total; i++)
		y[i] = op == VNPU_RED_MAX ? -INFINITY : 0;
	/* Visit the input in order: per output, reduced indices ascend. */
	for (int a = 0; a < shape[0]; a++)
	for (int b = 0; b < shape[1]; b++)
	for (int c = 0; c < shape[2]; c++)
	for (int d = 0; d < shape[3]; d++) {
		int o = (((mask & 1 ? 0 : a) * os[1] + (mask & 2 ? 0 : b)) *
			 os[2] + (mask & 4 ? 0 : c)) * os[3] +
			(mask & 8 ? 0 : d);
		double v = x[((a * shape[1] + b) * shape[2] + c) * shape[3] +
			     d];

		if (op == VNPU_RED_MAX)
			y[o] = v > y[o] ? v : y[o];
		else
			y[o] += v;
	}
	if (op == VNPU_RED_MEAN)
		for (int i = 0; i < total; i++)
			y[i] /= cnt;
}

void ref_pool(int n, int h, int w, int c, int kh, int kw, int sh, int sw,
	      int pt, int pl, int oh, int ow, int max, const double *x,
	      double *y)
{
	for (int b = 0; b < n; b++)
	for (int i = 0; i < oh; i++)
	for (int j = 0; j < ow; j++)
	for (int k = 0; k < c; k++) {
		double acc = max ? -INFINITY : 0;
		int cnt = 0;

		for (int di = 0; di < kh; di++)
		for (int dj = 0; dj < kw; dj++) {
			int yy = i * sh - pt + di, xx = j * sw - pl + dj;
			double v;

			if (yy < 0 || xx < 0 || yy >= h || xx >= w)
				continue;
			v = x[((b * h + yy) * w + xx) * c + k];
			if (max)
				acc = v > acc ? v : acc;
			else
				acc += v;
			cnt++;
		}
		y[((b * oh + i) * ow + j) * c + k] = max ? acc : acc / cnt;
	}
}
