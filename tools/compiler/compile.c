// SPDX-License-Identifier: MIT
/*
 * vnpu compiler: the driver of the pipeline (vnpu_compile()).
 *
 *   ONNX (protobuf-c) -> IR -> shapes -> constant folding -> fusion (BN
 *   folding, GELU, bias, activations) -> supported-op check -> [int8:
 *   calibration, quantisation] -> lowering (NHWC, commands) -> memory plan
 *   -> package
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ir.h"
#include "lower.h"
#include "npy.h"
#include "vnpu_compiler.h"

int vnpu_compile(const char *onnx_path, const struct vnpu_compile_opts *opts,
		 const char *out_path, char *err, size_t errlen)
{
	struct vnpu_compile_opts def = { 0 };
	struct lower_opts lo;
	struct ir_graph *g;
	int ret = -EINVAL;

	if (!opts)
		opts = &def;
	if (!onnx_path || !out_path)
		return -EINVAL;
	g = ir_new();
	if (!g)
		return -ENOMEM;
	if (opts->int8 && opts->from) {
		ir_error(g, "--int8 calibrates from the network input: not with --from");
		goto out;
	}
	if (ir_import_onnx(g, onnx_path, opts->batch > 0 ? opts->batch : 1) ||
	    ir_infer_shapes(g) || ir_cut(g, opts->from, opts->to) ||
	    ir_fold_constants(g) || ir_fuse(g) || ir_check_supported(g))
		goto out;
	if (opts->int8) {
		struct npy cal;
		struct ir_tensor *in = &g->t[g->inputs[0]];
		int64_t per = ir_numel(in) / in->dims[0];
		char msg[256];
		int r;

		if (!opts->calib_path) {
			ir_error(g, "--int8 needs calibration data (--calib data.npy)");
			goto out;
		}
		r = npy_read(opts->calib_path, &cal, msg, sizeof(msg));
		if (r) {
			ir_error(g, "%s", msg);
			ret = r;
			goto out;
		}
		if (strcmp(cal.descr, "<f4") || cal.rank < 1 ||
		    (int64_t)cal.count % per || !cal.count) {
			ir_error(g, "%s: calibration data must be float32 [samples, ...] with %lld values per sample",
				 opts->calib_path, (long long)per);
			npy_free(&cal);
			goto out;
		}
		r = ir_calibrate(g, cal.data, (int64_t)cal.count / per);
		npy_free(&cal);
		if (r || ir_quantize(g))
			goto out;
	}
	lo.devmem_size = opts->devmem_size;
	lo.summary = opts->summary;
	if (lower_graph(g, &lo, out_path))
		goto out;
	ret = 0;
out:
	if (ret && err)
		snprintf(err, errlen, "%s", g->err);
	ir_free(g);
	return ret;
}
