// SPDX-License-Identifier: MIT
/*
 * vnpu-compile: compile an ONNX model into a vnpu job package.
 *
 *   vnpu-compile model.onnx -o model.vnpu [--int8 --calib data.npy]
 *                [--batch N] [--devmem-size BYTES[K|M|G]] [-q]
 *                [--from TENSOR] [--to TENSOR]
 *   vnpu-compile --inspect model.vnpu
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnpu_device.h"
#include "vnpu_package.h"
#include "vnpu_compiler.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vnpu-compile MODEL.onnx -o OUT.vnpu [options]\n"
		"       vnpu-compile --inspect PACKAGE.vnpu\n"
		"  -o, --output FILE       package to write\n"
		"      --int8              int8 post-training quantisation\n"
		"      --calib FILE.npy    float32 calibration inputs (with --int8)\n"
		"  -b, --batch N           value of a symbolic batch dimension (1)\n"
		"      --devmem-size SIZE  device memory the plan may use (16M; 0: none)\n"
		"      --from TENSOR       pipeline stage: start at this tensor (its input)\n"
		"      --to TENSOR         pipeline stage: end at this tensor (its output)\n"
		"  -q, --quiet             no per-layer summary\n"
		"      --inspect           print a package's regions, I/O, plan, layers\n");
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

static const char *const kinds[] = { "?", "const", "scratch", "input", "output", "profile" };
static const char *const dtypes[] = { "?", "f32", "bf16", "i8", "u8", "i32" };

static void shape(const uint32_t *s, unsigned int rank, char *buf, size_t len)
{
	size_t o = snprintf(buf, len, "[");

	for (unsigned int i = 0; i < rank && i < 4 && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%u", i ? "," : "", s[i]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

/* Print what a package holds; 0, or 1 if it is not a valid package. */
static int inspect(const char *path)
{
	struct vnpu_pkg_view v;
	const char *why;
	char sh[64];
	void *img;
	long n;
	FILE *f = fopen(path, "rb");
	unsigned int i;

	if (!f) {
		fprintf(stderr, "vnpu-compile: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	img = aligned_alloc(8, ((size_t)n + 7) & ~(size_t)7);
	if (!img || fread(img, 1, n, f) != (size_t)n) {
		fprintf(stderr, "vnpu-compile: %s: read failed\n", path);
		fclose(f);
		free(img);
		return 1;
	}
	fclose(f);
	if (vnpu_pkg_parse(img, (uint64_t)n, &v, &why)) {
		fprintf(stderr, "vnpu-compile: %s: %s\n", path, why);
		free(img);
		return 1;
	}
	printf("%s: vnpu package v%u, %ld bytes%s, %u command bytes, %u relocations\n",
	       path, v.hdr->version, n, v.hdr->flags & VNPU_PKG_F_INT8 ? ", int8" : "",
	       (unsigned int)v.cmds_size, v.num_relocs);
	printf("regions:\n");
	for (i = 0; i < v.num_regions; i++) {
		const struct vnpu_pkg_region *r = &v.regions[i];

		printf("  %u %-16s %-8s %-7s %10llu bytes%s\n", i, vnpu_pkg_str(&v, r->name),
		       kinds[r->kind], r->placement ? "devmem" : "host",
		       (unsigned long long)r->size, r->data_size ? " (initialised)" : "");
	}
	printf("signature:\n");
	for (i = 0; i < v.num_io; i++) {
		shape(v.io[i].shape, v.io[i].rank, sh, sizeof(sh));
		printf("  %-6s %-16s %s %s, region %u\n", v.io[i].dir ? "output" : "input",
		       vnpu_pkg_str(&v, v.io[i].name), dtypes[v.io[i].dtype < 6 ? v.io[i].dtype : 0],
		       sh, v.io[i].region);
	}
	printf("allocation plan (region:offset size, live layers):\n");
	for (i = 0; i < v.num_tensors; i++) {
		const struct vnpu_pkg_tensor *t = &v.tensors[i];

		shape(t->shape, t->rank, sh, sizeof(sh));
		printf("  %-16s %-4s %-14s %s %u:%-8llu %8llu  %u..%u\n", vnpu_pkg_str(&v, t->name),
		       dtypes[t->dtype < 6 ? t->dtype : 0], sh,
		       t->layout == VNPU_PKG_LAYOUT_NHWC ? "nhwc" : "row ", t->region,
		       (unsigned long long)t->offset, (unsigned long long)t->size,
		       t->first_layer, t->last_layer);
	}
	printf("layers:\n");
	for (i = 0; i < v.num_layers; i++)
		printf("  %-3u %-16s %-36s %10llu MACs %6u command bytes\n", i,
		       vnpu_pkg_str(&v, v.layers[i].name), vnpu_pkg_str(&v, v.layers[i].op),
		       (unsigned long long)v.layers[i].macs, v.layers[i].cmd_size);
	free(img);
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
		{ "inspect", no_argument, NULL, 'i' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vnpu_compile_opts o = { .batch = 1, .devmem_size = 16 << 20,
				       .summary = stdout };
	const char *out = NULL;
	char err[600];
	int c, ret, insp = 0;

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
		case 'i': insp = 1; break;
		case 'F': o.from = optarg; break;
		case 'T': o.to = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (insp) {
		if (optind + 1 != argc || out) {
			usage(stderr);
			return 2;
		}
		return inspect(argv[optind]);
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
