// SPDX-License-Identifier: MIT
/*
 * vnpu-compile: compile an ONNX model into a vnpu job package.
 *
 *   vnpu-compile model.onnx -o model.vnpu [--int8 --calib data.npy]
 *                [--batch N] [--devmem-size BYTES[K|M|G]] [-q]
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnpu_compiler.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vnpu-compile MODEL.onnx -o OUT.vnpu [options]\n"
		"  -o, --output FILE       package to write\n"
		"      --int8              int8 post-training quantisation\n"
		"      --calib FILE.npy    float32 calibration inputs (with --int8)\n"
		"  -b, --batch N           value of a symbolic batch dimension (1)\n"
		"      --devmem-size SIZE  device memory the plan may use (16M; 0: none)\n"
		"  -q, --quiet             no per-layer summary\n");
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "int8", no_argument, NULL, 'I' },
		{ "calib", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "devmem-size", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vnpu_compile_opts o = { .batch = 1, .devmem_size = 16 << 20,
				       .summary = stdout };
	const char *out = NULL;
	char err[600];
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:b:qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'I': o.int8 = 1; break;
		case 'c': o.calib_path = optarg; break;
		case 'b':
			o.batch = strtoll(optarg, NULL, 0);
			if (o.batch < 1) {
				fprintf(stderr, "vnpu-compile: bad batch '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (parse_size(optarg, &o.devmem_size)) {
				fprintf(stderr, "vnpu-compile: bad size '%s'\n", optarg);
				return 2;
			}
			break;
		case 'q': o.summary = NULL; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc || !out) {
		usage(stderr);
		return 2;
	}
	if (o.calib_path && !o.int8) {
		fprintf(stderr, "vnpu-compile: --calib only makes sense with --int8\n");
		return 2;
	}
	ret = vnpu_compile(argv[optind], &o, out, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vnpu-compile: %s: %s\n", argv[optind], err);
		return 1;
	}
	return 0;
}
