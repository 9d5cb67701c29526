// SPDX-License-Identifier: MIT
/*
 * vnpu compiler: int8 post-training quantisation. Calibration runs the
 * fused float graph on the host over the sample inputs and records every
 * tensor's range; activations get per-tensor asymmetric int8 parameters.
 * Weights are quantised per output channel (symmetric) and biases to int32
 * at lowering (lower.c), where requantisation is fused into GEMM/CONV2D.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

int ir_calibrate(struct ir_graph *g, const float *data, int64_t samples)
{
	struct ir_tensor *in = &g->t[g->inputs[0]];
	int64_t batch = in->dims[0], per = ir_numel(in) / batch, s;
	int i;

	if (samples < batch)
		return ir_error(g, "calibration: %lld samples for a batch of %lld",
				(long long)samples, (long long)batch);
	for (i = 0; i < g->nt; i++) {
		g->t[i].amin = INFINITY;
		g->t[i].amax = -INFINITY;
		g->t[i].calibrated = false;
	}
	for (s = 0; s + batch <= samples; s += batch) {
		float **v;

		if (ir_eval(g, data + s * per, &v))
			return -1;
		for (i = 0; i < g->nt; i++) {
			struct ir_tensor *t = &g->t[i];
			int64_t e, n;

			if (t->data || !v[i] || (t->producer < 0 && !t->is_input))
				continue;
			n = ir_numel(t);
			for (e = 0; e < n; e++) {
				if (v[i][e] < t->amin)
					t->amin = v[i][e];
				if (v[i][e] > t->amax)
					t->amax = v[i][e];
			}
			t->calibrated = true;
		}
		ir_eval_free(g, v);
	}
	return 0;
}

/* Asymmetric int8 parameters covering [amin, amax] (and 0). */
int ir_quantize(struct ir_graph *g)
{
	int i;

	for (i = 0; i < g->nt; i++) {
		struct ir_tensor *t = &g->t[i];
		double lo, hi, scale, zp;

		if (!t->calibrated)
			continue;
		lo = t->amin < 0 ? t->amin : 0;
		hi = t->amax > 0 ? t->amax : 0;
		scale = (hi - lo) / 255.0;
		if (!(scale > 0))
			scale = 1.0 / 255;
		zp = rint(-128.0 - lo / scale);
		if (zp < -128)
			zp = -128;
		if (zp > 127)
			zp = 127;
		t->scale = (float)scale;
		t->zero_point = (int)zp;
	}
	g->int8 = true;
	return 0;
}
