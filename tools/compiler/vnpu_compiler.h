/* SPDX-License-Identifier: MIT */
/*
 * libvnpu-compiler: compile an ONNX model into a vnpu job package
 * (Documentation/accel/vnpu/package.rst). Same conventions as libaccel:
 * 0 or a negative errno; a message for the user in the caller's buffer.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef VNPU_COMPILER_H
#define VNPU_COMPILER_H

#include <stdint.h>
#include <stdio.h>

/**
 * struct vnpu_compile_opts - options of vnpu_compile()
 * @batch: value of the input's symbolic first dimension (0: 1)
 * @int8: quantise to int8 (post-training, needs @calib_path)
 * @calib_path: .npy of float32 calibration inputs, first dimension = samples
 * @devmem_size: bytes of device memory the plan may use (0: none)
 * @summary: if not NULL, a per-layer summary is printed there
 * @from: if not NULL, compile only the part after this tensor (a pipeline
 *        stage whose input is that tensor; not with @int8)
 * @to: if not NULL, compile only the part up to this tensor (the stage's
 *      only output)
 */
struct vnpu_compile_opts {
	int64_t batch;
	int int8;
	const char *calib_path;
	uint64_t devmem_size;
	FILE *summary;
	const char *from;
	const char *to;
};

/**
 * vnpu_compile() - compile @onnx_path into the package @out_path
 * @err: buffer for a message naming the failing node and operator
 *
 * Return: 0; -EINVAL for an invalid or unsupported model (see @err);
 * -ENOENT/-EIO for files; -ENOMEM.
 */
int vnpu_compile(const char *onnx_path, const struct vnpu_compile_opts *opts,
		 const char *out_path, char *err, size_t errlen);

#endif /* VNPU_COMPILER_H */
