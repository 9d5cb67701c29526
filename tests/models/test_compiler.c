// SPDX-License-Identifier: MIT
/*
 * Host tests of the vnpu compiler and its packages: ONNX import errors,
 * the passes (visible in the package's layer table), the package reader
 * (round trip, corruption, truncation, bad relocations), and numerics:
 * compiled packages run by the QEMU-free engine library on a fake memory,
 * compared with ONNX Runtime's outputs and the digits labels.
 *
 * Models and references come from $(BUILD)/models (MODELS_DIR).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "vnpu_engine.h"
#include "vnpu_package.h"
#include "vnpu_compiler.h"
#include "npy.h"

#ifndef MODELS_DIR
#define MODELS_DIR "build/models"
#endif

/* ------------------------------------------------------------------ */
/* A host "device": regions at VAs unlike the nominal ones.            */

#define HOST_VA(r)	(0x10000000ull * ((r) + 1) + 0x3000)
#define CMD_VA		0x7f0000000000ull

struct hostrun {
	struct vnpu_pkg_view v;
	void *image;
	uint8_t *mem[64];
	uint8_t *cmds;
	uint64_t clock;
};

static uint32_t h_map(void *opaque, uint64_t va, uint64_t len, unsigned access,
		      VnpuMapping *m)
{
	struct hostrun *h = opaque;
	uint32_t r;

	if (va >= CMD_VA && va < CMD_VA + h->v.cmds_size) {
		m->host = h->cmds + (va - CMD_VA);
		m->len = CMD_VA + h->v.cmds_size - va;
		if (m->len > len)
			m->len = len;
		return VNPU_JOB_OK;
	}
	for (r = 0; r < h->v.num_regions; r++) {
		uint64_t b = HOST_VA(r), s = h->v.regions[r].size;

		if (va >= b && va < b + s) {
			if (access == VNPU_ACCESS_WRITE &&
			    h->v.regions[r].kind == VNPU_PKG_REG_CONST)
				return VNPU_JOB_MMU_FAULT;
			m->host = h->mem[r] + (va - b);
			m->len = b + s - va;
			if (m->len > len)
				m->len = len;
			return VNPU_JOB_OK;
		}
	}
	return VNPU_JOB_MMU_FAULT;
}

static void h_unmap(void *opaque, VnpuMapping *m, unsigned access, uint64_t done)
{
}

static uint64_t h_clock(void *opaque)
{
	return ((struct hostrun *)opaque)->clock += 1000;
}

static const VnpuMemOps h_ops = { .map = h_map, .unmap = h_unmap, .clock_ns = h_clock };

static void *read_file(const char *path, uint64_t *size)
{
	FILE *f = fopen(path, "rb");
	void *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = aligned_alloc(8, (n + 7) & ~7l);
	if (p && fread(p, 1, n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*size = n;
	return p;
}

static int host_load(struct hostrun *h, const char *path)
{
	const char *why;
	uint64_t size, base[64];
	uint32_t r;

	memset(h, 0, sizeof(*h));
	h->image = read_file(path, &size);
	if (!h->image)
		return -errno;
	if (vnpu_pkg_parse(h->image, size, &h->v, &why)) {
		fprintf(stderr, "# %s: %s\n", path, why);
		return -EINVAL;
	}
	for (r = 0; r < h->v.num_regions; r++) {
		h->mem[r] = calloc(1, h->v.regions[r].size);
		if (h->v.regions[r].data_size)
			memcpy(h->mem[r], h->v.data + h->v.regions[r].data_offset,
			       h->v.regions[r].data_size);
		base[r] = HOST_VA(r);
	}
	h->cmds = malloc(h->v.cmds_size);
	memcpy(h->cmds, h->v.cmds, h->v.cmds_size);
	return vnpu_pkg_relocate(&h->v, h->cmds, base) ? -EINVAL : 0;
}

static void host_free(struct hostrun *h)
{
	for (uint32_t r = 0; r < h->v.num_regions; r++)
		free(h->mem[r]);
	free(h->cmds);
	free(h->image);
}

static const struct vnpu_pkg_io *io_of(struct hostrun *h, uint32_t dir)
{
	for (uint32_t i = 0; i < h->v.num_io; i++)
		if (h->v.io[i].dir == dir)
			return &h->v.io[i];
	return NULL;
}

/* Run @samples rows of @x (float32) through the package; fill @y. */
static int host_run(struct hostrun *h, const float *x, int64_t samples, float *y)
{
	const struct vnpu_pkg_io *in = io_of(h, VNPU_PKG_IO_INPUT);
	const struct vnpu_pkg_io *out = io_of(h, VNPU_PKG_IO_OUTPUT);
	int64_t batch = in->shape[0], s;

	for (s = 0; s + batch <= samples; s += batch) {
		VnpuJobResult res;

		memcpy(h->mem[in->region], (const char *)x + s * (in->size / batch), in->size);
		vnpu_engine_run(&h_ops, h, CMD_VA, (uint32_t)h->v.cmds_size, &res);
		if (res.status != VNPU_JOB_OK) {
			fprintf(stderr, "# job status %u at command %u\n", res.status,
				res.cmd_index);
			return -EIO;
		}
		memcpy((char *)y + s * (out->size / batch), h->mem[out->region], out->size);
	}
	return 0;
}

/* Device memory the compiler may plan for (tests of tiling shrink it). */
static uint64_t devmem_budget = 1 << 20;

static int compile(const char *model, const char *out, int64_t batch, int int8,
		   const char *calib, char *err, size_t errlen)
{
	struct vnpu_compile_opts o = { .batch = batch, .int8 = int8, .calib_path = calib,
				       .devmem_size = devmem_budget };

	return vnpu_compile(model, &o, out, err, errlen);
}

static struct npy load_npy(struct __test_metadata *_metadata, const char *name)
{
	char path[512], msg[256];
	struct npy a;

	snprintf(path, sizeof(path), "%s/%s", MODELS_DIR, name);
	ASSERT_EQ(0, npy_read(path, &a, msg, sizeof(msg))) TH_LOG("%s", msg);
	return a;
}

static int argmax(const float *p, int n)
{
	int i, b = 0;

	for (i = 1; i < n; i++)
		if (p[i] > p[b])
			b = i;
	return b;
}

/* max over elements of |got - ref| / max(|ref|, 1e-3) */
static double max_rel(const float *got, const float *ref, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - ref[i]) / fmax(fabs(ref[i]), 1e-3);

		if (d > m || isnan(d))
			m = isnan(d) ? INFINITY : d;
	}
	return m;
}

#define TMP(name) "/tmp/vnpu-test-" name

/* ------------------------------------------------------------------ */
/* Compiler errors                                                     */

TEST(unsupported_op_names_node_and_op)
{
	char err[600] = "";

	ASSERT_EQ(-EINVAL, compile(MODELS_DIR "/bad_unsupported.onnx", TMP("x.vnpu"), 1,
				   0, NULL, err, sizeof(err)));
	TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "'mystery_node'"));
	ASSERT_NE(NULL, strstr(err, "'Cos'"));
}

TEST(lone_erf_is_rejected)
{
	char err[600] = "";

	ASSERT_EQ(-EINVAL, compile(MODELS_DIR "/bad_erf.onnx", TMP("x.vnpu"), 1, 0, NULL,
				   err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "'lonely_erf' (Erf)"));
}

TEST(unsupported_clip_bounds)
{
	char err[600] = "";

	ASSERT_EQ(-EINVAL, compile(MODELS_DIR "/bad_clip.onnx", TMP("x.vnpu"), 1, 0, NULL,
				   err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "'clip_pm1' (Clip)"));
}

/* Models outside what the compiler supports: each refused, clearly. */
FIXTURE(bad) {
	char err[600];
};

FIXTURE_VARIANT(bad) {
	const char *model;
	const char *msg;
};

#define BAD(name, text) \
	FIXTURE_VARIANT_ADD(bad, name) { .model = #name, .msg = text }

BAD(bad_autopad, "node 'c' (Conv): auto_pad is not supported");
BAD(bad_ceil, "node 'p' (MaxPool): ceil_mode is not supported");
BAD(bad_countpad, "node 'p' (AveragePool): count_include_pad=1 is not supported");
BAD(bad_transa, "node 'g' (Gemm): transA=1 is not supported");
BAD(bad_two_inputs, "2 graph inputs; exactly one is supported");
BAD(bad_symbolic, "'x': dimension 1 is symbolic");
BAD(bad_int_input, "'x': element type 7 is not supported");
BAD(bad_opset, "ONNX opset 9 is not supported");
BAD(bad_softmax_axis, "node 'sm' (Softmax): only the last axis is supported");
BAD(bad_ln_axis, "node 'ln' (LayerNormalization): only the last axis is supported");
BAD(bad_pow, "node 'cube' (Pow): only a constant exponent of 2 is supported");
BAD(bad_sqrt, "node 'root' (Sqrt): unsupported operator on a non-constant input");
BAD(bad_bn, "node 'lonely_bn' (BatchNormalization): unsupported unless it follows a Conv");
BAD(bad_int8_init, "initializer 'k': data type 3 is not supported");
BAD(bad_domain, "node 'ms': op 'FusedGemm' of domain 'com.microsoft' is not supported");
BAD(bad_rank5, "'x': rank 5 (1..4 supported)");
BAD(bad_keepdims, "node 'rm' (ReduceMean): keepdims=0 is not supported");
BAD(bad_inner, "node 'mm' (MatMul): inner dimensions 4 and 5 differ");
BAD(bad_broadcast, "node 'a3' (Add): shapes do not broadcast");
BAD(bad_reshape, "node 'rs' (Reshape): 4 elements cannot become 3");
BAD(bad_undefined_output, "graph output 'y' is not produced by any node");
BAD(bad_use_before_def, "node 'early' (Relu): input 'later' is not defined before use");

FIXTURE_SETUP(bad)
{
}

FIXTURE_TEARDOWN(bad)
{
}

TEST_F(bad, refused_with_node_and_reason)
{
	char path[256];

	snprintf(path, sizeof(path), MODELS_DIR "/%s.onnx", variant->model);
	ASSERT_EQ(-EINVAL, compile(path, TMP("bad.vnpu"), 1, 0, NULL, self->err,
				   sizeof(self->err)));
	TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->err, variant->msg));
}

TEST(not_an_onnx_file)
{
	char err[600] = "";

	ASSERT_EQ(-EINVAL, compile(MODELS_DIR "/digits_y.npy", TMP("x.vnpu"), 1, 0, NULL,
				   err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "not a valid ONNX model"));
}

TEST(missing_file)
{
	char err[600] = "";

	ASSERT_EQ(-EINVAL, compile(MODELS_DIR "/does-not-exist.onnx", TMP("x.vnpu"), 1, 0,
				   NULL, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "No such file"));
}

TEST(int8_needs_calibration)
{
	char err[600] = "";

	ASSERT_EQ(-EINVAL, compile(MODELS_DIR "/mlp.onnx", TMP("x.vnpu"), 1, 1, NULL,
				   err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "calibration"));
}

TEST(int8_calibration_shape_mismatch)
{
	char err[600] = "";

	/* CNN calibration images have 64 values; the transformer needs 256 */
	ASSERT_EQ(-EINVAL, compile(MODELS_DIR "/transformer.onnx", TMP("x.vnpu"), 1, 1,
				   MODELS_DIR "/digits_y.npy", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "float32"));
}

/* ------------------------------------------------------------------ */
/* Passes and package                                                  */

static int find_layer(struct hostrun *h, const char *op)
{
	for (uint32_t i = 0; i < h->v.num_layers; i++)
		if (!strcmp(vnpu_pkg_str(&h->v, h->v.layers[i].op), op))
			return (int)i;
	return -1;
}

TEST(passes_fold_bn_and_fuse)
{
	struct hostrun h;
	char err[600];

	ASSERT_EQ(0, compile(MODELS_DIR "/cnn.onnx", TMP("cnn.vnpu"), 1, 0, NULL, err,
			     sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, host_load(&h, TMP("cnn.vnpu")));
	/* BN folded into conv, relu fused; Clip(0,6) fused as RELU6 */
	EXPECT_LE(0, find_layer(&h, "Conv+BatchNormalization+Relu"));
	EXPECT_LE(0, find_layer(&h, "Conv+BatchNormalization+Clip"));
	EXPECT_LE(0, find_layer(&h, "Conv+Relu"));
	EXPECT_EQ(-1, find_layer(&h, "BatchNormalization"));
	EXPECT_EQ(-1, find_layer(&h, "Relu"));
	/* NHWC flatten before the Gemm: weights reordered, no permute layer */
	EXPECT_EQ(-1, find_layer(&h, "Flatten"));
	EXPECT_EQ(6, h.v.num_layers);
	host_free(&h);

	ASSERT_EQ(0, compile(MODELS_DIR "/mlp.onnx", TMP("mlp.vnpu"), 1, 0, NULL, err,
			     sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, host_load(&h, TMP("mlp.vnpu")));
	EXPECT_LE(0, find_layer(&h, "MatMul+Add+Relu"));	/* bias fusion */
	EXPECT_LE(0, find_layer(&h, "Gemm+Relu"));
	EXPECT_EQ(4, h.v.num_layers);
	host_free(&h);
}

TEST(passes_gelu_and_constant_folding)
{
	struct hostrun h;
	char err[600];

	ASSERT_EQ(0, compile(MODELS_DIR "/transformer.onnx", TMP("tf.vnpu"), 1, 0, NULL,
			     err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, host_load(&h, TMP("tf.vnpu")));
	EXPECT_LE(0, find_layer(&h, "MatMul+Add+Gelu"));
	for (uint32_t i = 0; i < h.v.num_layers; i++) {
		const char *name = vnpu_pkg_str(&h.v, h.v.layers[i].name);

		/* Sqrt of a constant is folded; GELU's Erf/Mul/Add are gone */
		EXPECT_NE(0, strcmp(name, "sqrt_dk"));
		EXPECT_NE(0, strcmp(name, "gelu_erf"));
		EXPECT_NE(0, strcmp(name, "gelu_half"));
	}
	host_free(&h);
}

TEST(liveness_reuses_memory)
{
	struct hostrun h;
	uint64_t sum = 0, scratch = 0;
	char err[600];
	uint32_t i;

	ASSERT_EQ(0, compile(MODELS_DIR "/transformer.onnx", TMP("tf.vnpu"), 1, 0, NULL,
			     err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, host_load(&h, TMP("tf.vnpu")));
	for (i = 0; i < h.v.num_tensors; i++)
		if (h.v.regions[h.v.tensors[i].region].kind == VNPU_PKG_REG_SCRATCH)
			sum += h.v.tensors[i].size;
	for (i = 0; i < h.v.num_regions; i++)
		if (h.v.regions[i].kind == VNPU_PKG_REG_SCRATCH)
			scratch += h.v.regions[i].size;
	TH_LOG("intermediates %llu bytes in %llu", (unsigned long long)sum,
	       (unsigned long long)scratch);
	EXPECT_LT(scratch, sum);
	/* tensors live at the same time never overlap */
	for (i = 0; i < h.v.num_tensors; i++) {
		for (uint32_t j = i + 1; j < h.v.num_tensors; j++) {
			const struct vnpu_pkg_tensor *a = &h.v.tensors[i], *b = &h.v.tensors[j];

			if (a->region != b->region ||
			    h.v.regions[a->region].kind != VNPU_PKG_REG_SCRATCH ||
			    a->last_layer < b->first_layer || b->last_layer < a->first_layer ||
			    a->offset == b->offset)	/* views of one value */
				continue;
			EXPECT_TRUE(a->offset + a->size <= b->offset ||
				    b->offset + b->size <= a->offset);
		}
	}
	host_free(&h);
}

TEST(devmem_placement_follows_budget)
{
	struct vnpu_compile_opts o = { .batch = 1, .devmem_size = 1 << 20 };
	struct hostrun h;
	char err[600];
	int dev = 0;

	ASSERT_EQ(0, vnpu_compile(MODELS_DIR "/cnn.onnx", &o, TMP("d.vnpu"), err, sizeof(err)));
	ASSERT_EQ(0, host_load(&h, TMP("d.vnpu")));
	for (uint32_t i = 0; i < h.v.num_regions; i++)
		dev += h.v.regions[i].placement == VNPU_PKG_PLACE_DEVMEM;
	EXPECT_LE(1, dev);
	host_free(&h);
	o.devmem_size = 0;
	ASSERT_EQ(0, vnpu_compile(MODELS_DIR "/cnn.onnx", &o, TMP("d.vnpu"), err, sizeof(err)));
	ASSERT_EQ(0, host_load(&h, TMP("d.vnpu")));
	for (uint32_t i = 0; i < h.v.num_regions; i++)
		EXPECT_EQ(VNPU_PKG_PLACE_HOST, h.v.regions[i].placement);
	host_free(&h);
}

/* .npy reader: every refusal, and a round trip. */
static int npy_from_bytes(const void *b, size_t n, char *msg, size_t len)
{
	FILE *f = fopen(TMP("t.npy"), "wb");
	struct npy a;
	int ret;

	fwrite(b, 1, n, f);
	fclose(f);
	ret = npy_read(TMP("t.npy"), &a, msg, len);
	if (!ret)
		npy_free(&a);
	return ret;
}

#define NPY_HDR(h) "\x93NUMPY\x01\x00" h

TEST(npy_reader_refusals)
{
	static const struct { const char *bytes; size_t n; const char *why; } bad[] = {
		{ "not numpy at all", 16, "not a .npy file" },
		{ "\x93NUMPY\x09\x00\x10\x00", 10, "unknown .npy version" },
		{ NPY_HDR("\x30\x00{'descr': '<f4', 'fortran_order': False, 'sh"), 40,
		  "truncated header" },
		{ NPY_HDR("\x40\x00{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }      \n"),
		  74, "unsupported dtype" },
		{ NPY_HDR("\x40\x00{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }       \n"),
		  74, "Fortran order" },
		{ NPY_HDR("\x40\x00{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }     \n"),
		  74, "bad shape" },
		{ NPY_HDR("\x40\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }      \n"
			  "\x00\x00\x80\x3f"), 78, "truncated data" },
	};
	char msg[256];
	int64_t shape[2] = { 2, 3 };
	float data[6] = { 1, 2, 3, 4, 5, 6 };
	struct npy a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = 0;
		EXPECT_EQ(-EINVAL, npy_from_bytes(bad[i].bytes, bad[i].n, msg, sizeof(msg)));
		EXPECT_NE(NULL, strstr(msg, bad[i].why)) TH_LOG("case %zu: %s", i, msg);
	}
	EXPECT_EQ(-ENOENT, npy_read(TMP("missing.npy"), &a, msg, sizeof(msg)));
	ASSERT_EQ(0, npy_write(TMP("rt.npy"), "<f4", 2, shape, data));
	ASSERT_EQ(0, npy_read(TMP("rt.npy"), &a, msg, sizeof(msg)));
	EXPECT_STREQ("<f4", a.descr);
	EXPECT_EQ(2, a.rank);
	EXPECT_EQ(3, a.shape[1]);
	EXPECT_EQ(0, memcmp(a.data, data, sizeof(data)));
	npy_free(&a);
}

TEST(profile_timestamps_frame_every_layer)
{
	struct hostrun h;
	const struct vnpu_pkg_io *in;
	uint64_t *ts = NULL;
	char err[600];
	float *x, out[10];
	uint32_t r, i, pr = 0;

	ASSERT_EQ(0, compile(MODELS_DIR "/mlp.onnx", TMP("p.vnpu"), 1, 0, NULL, err,
			     sizeof(err)));
	ASSERT_EQ(0, host_load(&h, TMP("p.vnpu")));
	for (r = 0; r < h.v.num_regions; r++) {
		if (h.v.regions[r].kind == VNPU_PKG_REG_PROFILE) {
			ts = (uint64_t *)h.mem[r];
			pr = r;
		}
	}
	ASSERT_NE(NULL, ts);
	EXPECT_GE(h.v.regions[pr].size, 8 * (h.v.num_layers + 1));
	in = io_of(&h, VNPU_PKG_IO_INPUT);
	x = calloc(1, in->size);
	ASSERT_EQ(0, host_run(&h, x, 1, out));
	/* slot 0 before the first layer, slot i + 1 after layer i */
	for (i = 0; i < h.v.num_layers; i++) {
		EXPECT_EQ(i + 1, h.v.layers[i].ts_index);
		EXPECT_LT(ts[i], ts[i + 1]);
	}
	free(x);
	host_free(&h);
}

TEST(package_round_trip_and_corruption)
{
	struct vnpu_pkg_view v;
	const char *why = NULL;
	uint64_t size;
	uint8_t *img;
	char err[600];

	ASSERT_EQ(0, compile(MODELS_DIR "/mlp.onnx", TMP("rt.vnpu"), 4, 0, NULL, err,
			     sizeof(err)));
	img = read_file(TMP("rt.vnpu"), &size);
	ASSERT_NE(NULL, img);
	ASSERT_EQ(0, vnpu_pkg_parse(img, size, &v, &why));
	ASSERT_EQ(2, v.num_io);
	EXPECT_STREQ("input", vnpu_pkg_str(&v, v.io[0].name));
	EXPECT_EQ(4, v.io[0].shape[0]);
	EXPECT_EQ(64, v.io[0].shape[1]);
	EXPECT_EQ(VNPU_DT_F32, v.io[0].dtype);
	EXPECT_STREQ("probs", vnpu_pkg_str(&v, v.io[1].name));
	EXPECT_EQ(4 * 10 * 4, v.io[1].size);
	/* truncated */
	EXPECT_EQ(-1, vnpu_pkg_parse(img, size - 8, &v, &why));
	EXPECT_NE(NULL, strstr(why, "size"));
	EXPECT_EQ(-1, vnpu_pkg_parse(img, 16, &v, &why));
	/* flipped payload byte */
	img[size - 3] ^= 0x40;
	EXPECT_EQ(-1, vnpu_pkg_parse(img, size, &v, &why));
	EXPECT_NE(NULL, strstr(why, "checksum"));
	img[size - 3] ^= 0x40;
	/* bad magic, bad version */
	img[0] ^= 1;
	EXPECT_EQ(-1, vnpu_pkg_parse(img, size, &v, &why));
	EXPECT_NE(NULL, strstr(why, "magic"));
	img[0] ^= 1;
	((struct vnpu_pkg_header *)img)->version = 99;
	EXPECT_EQ(-1, vnpu_pkg_parse(img, size, &v, &why));
	EXPECT_NE(NULL, strstr(why, "version"));
	((struct vnpu_pkg_header *)img)->version = VNPU_PKG_VERSION;
	ASSERT_EQ(0, vnpu_pkg_parse(img, size, &v, &why));
	free(img);
}

TEST(relocation_outside_region_is_refused)
{
	struct vnpu_pkg_view v;
	const char *why;
	uint64_t size, base[64] = { 0 }, va;
	uint8_t *img, *cmds;
	char err[600];

	ASSERT_EQ(0, compile(MODELS_DIR "/mlp.onnx", TMP("rl.vnpu"), 1, 0, NULL, err,
			     sizeof(err)));
	img = read_file(TMP("rl.vnpu"), &size);
	ASSERT_EQ(0, vnpu_pkg_parse(img, size, &v, &why));
	cmds = malloc(v.cmds_size);
	memcpy(cmds, v.cmds, v.cmds_size);
	memcpy(&va, cmds + v.relocs[0].offset, 8);
	va += v.regions[v.relocs[0].region].size;	/* one past the region */
	memcpy(cmds + v.relocs[0].offset, &va, 8);
	EXPECT_EQ(-1, vnpu_pkg_relocate(&v, cmds, base));
	free(cmds);
	free(img);
}

/* ------------------------------------------------------------------ */
/* Numerics on the engine library                                      */

struct digits_result {
	double max_rel;
	int agree_top1, correct, n;
};

static void run_digits(struct __test_metadata *_metadata, const char *model,
		       const char *xname, int int8, const char *calib,
		       struct digits_result *r)
{
	struct npy x = load_npy(_metadata, xname), y = load_npy(_metadata, "digits_y.npy");
	char ref_name[64], path[256], err[600];
	struct npy ref;
	struct hostrun h;
	float *out;
	int64_t n = y.shape[0];

	snprintf(ref_name, sizeof(ref_name), "%s_ref.npy", model);
	ref = load_npy(_metadata, ref_name);
	snprintf(path, sizeof(path), MODELS_DIR "/%s.onnx", model);
	ASSERT_EQ(0, compile(path, TMP("digits.vnpu"), 40, int8, calib, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, host_load(&h, TMP("digits.vnpu")));
	out = calloc(n * 10, sizeof(float));
	ASSERT_EQ(0, host_run(&h, x.data, n, out));
	memset(r, 0, sizeof(*r));
	r->n = (int)n;
	r->max_rel = max_rel(out, ref.data, n * 10);
	for (int64_t i = 0; i < n; i++) {
		int p = argmax(out + i * 10, 10);

		r->agree_top1 += p == argmax((float *)ref.data + i * 10, 10);
		r->correct += p == ((int64_t *)y.data)[i];
	}
	TH_LOG("%s%s: accuracy %.2f%%, top-1 agrees with ORT on %d/%d, max rel err %.3g",
	       model, int8 ? " int8" : "", 100.0 * r->correct / n, r->agree_top1, r->n,
	       r->max_rel);
	free(out);
	host_free(&h);
	npy_free(&x);
	npy_free(&y);
	npy_free(&ref);
}

TEST(mlp_fp32_matches_ort)
{
	struct digits_result r;

	run_digits(_metadata, "mlp", "digits_x.npy", 0, NULL, &r);
	EXPECT_LE(r.max_rel, 1e-4);
	EXPECT_EQ(r.n, r.agree_top1);
	EXPECT_GE(r.correct * 100, 95 * r.n);
}

TEST(cnn_fp32_matches_ort)
{
	struct digits_result r;

	run_digits(_metadata, "cnn", "digits_img.npy", 0, NULL, &r);
	EXPECT_LE(r.max_rel, 1e-4);
	EXPECT_EQ(r.n, r.agree_top1);
	EXPECT_GE(r.correct * 100, 97 * r.n);
}

TEST(mlp_int8_accuracy)
{
	struct digits_result f, q;

	run_digits(_metadata, "mlp", "digits_x.npy", 0, NULL, &f);
	run_digits(_metadata, "mlp", "digits_x.npy", 1, MODELS_DIR "/calib_x.npy", &q);
	/* within one point of fp32 */
	EXPECT_LE(abs(f.correct - q.correct) * 100, f.n);
}

TEST(cnn_int8_accuracy)
{
	struct digits_result f, q;

	run_digits(_metadata, "cnn", "digits_img.npy", 0, NULL, &f);
	run_digits(_metadata, "cnn", "digits_img.npy", 1, MODELS_DIR "/calib_img.npy", &q);
	EXPECT_LE(abs(f.correct - q.correct) * 100, f.n);
}

/* Tensors larger than device memory: the operators run in staged tiles. */
TEST(tiling_mlp_matches_ort)
{
	struct digits_result r, q;

	devmem_budget = 8 << 10;	/* fc1's activations are 20 KiB */
	run_digits(_metadata, "mlp", "digits_x.npy", 0, NULL, &r);
	EXPECT_LE(r.max_rel, 1e-4);
	EXPECT_EQ(r.n, r.agree_top1);
	run_digits(_metadata, "mlp", "digits_x.npy", 1, MODELS_DIR "/calib_x.npy", &q);
	EXPECT_LE(abs(r.correct - q.correct) * 100, r.n);
}

TEST(tiling_cnn_matches_ort)
{
	struct digits_result r, q;
	struct hostrun h;
	char err[600];
	int tiled = 0;

	devmem_budget = 64 << 10;
	ASSERT_EQ(0, compile(MODELS_DIR "/cnn.onnx", TMP("tiled.vnpu"), 40, 0, NULL, err,
			     sizeof(err)));
	ASSERT_EQ(0, host_load(&h, TMP("tiled.vnpu")));
	/* more commands than layers: conv layers became tile loops */
	for (uint32_t i = 0; i < h.v.num_layers; i++)
		tiled += h.v.layers[i].cmd_size > 2 * sizeof(struct vnpu_cmd_conv2d);
	EXPECT_LE(3, tiled);
	host_free(&h);
	run_digits(_metadata, "cnn", "digits_img.npy", 0, NULL, &r);
	EXPECT_LE(r.max_rel, 1e-4);
	EXPECT_EQ(r.n, r.agree_top1);
	run_digits(_metadata, "cnn", "digits_img.npy", 1, MODELS_DIR "/calib_img.npy", &q);
	EXPECT_LE(abs(r.correct - q.correct) * 100, r.n);
}

static void run_single(struct __test_metadata *_metadata, const char *model, double tol)
{
	char x_name[64], ref_name[64], path[256], err[600];
	struct npy x, ref;
	struct hostrun h;
	float *out;
	double e;

	snprintf(x_name, sizeof(x_name), "%s_x.npy", model);
	snprintf(ref_name, sizeof(ref_name), "%s_ref.npy", model);
	x = load_npy(_metadata, x_name);
	ref = load_npy(_metadata, ref_name);
	snprintf(path, sizeof(path), MODELS_DIR "/%s.onnx", model);
	ASSERT_EQ(0, compile(path, TMP("single.vnpu"), 1, 0, NULL, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, host_load(&h, TMP("single.vnpu")));
	out = calloc(ref.count, sizeof(float));
	ASSERT_EQ(0, host_run(&h, x.data, x.shape[0], out));
	e = max_rel(out, ref.data, ref.count);
	TH_LOG("%s: out[0] %.8g ref[0] %.8g out[last] %.8g ref[last] %.8g", model, out[0], ((float *)ref.data)[0], out[ref.count - 1], ((float *)ref.data)[ref.count - 1]);
	TH_LOG("%s: max rel err vs ORT %.3g", model, e);
	EXPECT_LE(e, tol);
	free(out);
	host_free(&h);
	npy_free(&x);
	npy_free(&ref);
}

TEST(transformer_matches_ort)
{
	run_single(_metadata, "transformer", 1e-4);
}

/* int8 builds of the random-weight models: close to ORT's float result. */
static void run_int8(struct __test_metadata *_metadata, const char *model, double tol)
{
	char x_name[64], ref_name[64], path[256], calib[256], err[600];
	struct npy x, ref;
	struct hostrun h;
	double num = 0, den = 0;
	float *out;

	snprintf(x_name, sizeof(x_name), "%s_x.npy", model);
	snprintf(ref_name, sizeof(ref_name), "%s_ref.npy", model);
	x = load_npy(_metadata, x_name);
	ref = load_npy(_metadata, ref_name);
	snprintf(path, sizeof(path), MODELS_DIR "/%s.onnx", model);
	snprintf(calib, sizeof(calib), MODELS_DIR "/%s_calib.npy", model);
	ASSERT_EQ(0, compile(path, TMP("q.vnpu"), 1, 1, calib, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, host_load(&h, TMP("q.vnpu")));
	EXPECT_TRUE(h.v.hdr->flags & VNPU_PKG_F_INT8);
	out = calloc(ref.count, sizeof(float));
	ASSERT_EQ(0, host_run(&h, x.data, x.shape[0], out));
	for (size_t i = 0; i < ref.count; i++) {
		num += (out[i] - ((float *)ref.data)[i]) * (out[i] - ((float *)ref.data)[i]);
		den += ((float *)ref.data)[i] * ((float *)ref.data)[i];
	}
	TH_LOG("%s int8: relative L2 error vs ORT (float) %.4f", model, sqrt(num / den));
	EXPECT_LE(sqrt(num / den), tol);
	free(out);
	host_free(&h);
	npy_free(&x);
	npy_free(&ref);
}

TEST(transformer_int8_close_to_ort)
{
	run_int8(_metadata, "transformer", 0.1);
}

TEST(mobilenet_int8_close_to_ort)
{
	run_int8(_metadata, "mobilenet", 0.1);
}

TEST(decomposed_layernorm_is_fused_and_matches_ort)
{
	struct hostrun h;
	char err[600];

	ASSERT_EQ(0, compile(MODELS_DIR "/lnorm.onnx", TMP("ln.vnpu"), 1, 0, NULL, err,
			     sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, host_load(&h, TMP("ln.vnpu")));
	EXPECT_EQ(0, find_layer(&h, "LayerNormalization(decomposed)"));
	EXPECT_EQ(2, h.v.num_layers);	/* + MatMul+Tanh */
	host_free(&h);
	run_single(_metadata, "lnorm", 1e-4);
}

TEST(mobilenet_matches_ort)
{
	run_single(_metadata, "mobilenet", 1e-4);
}

TEST_HARNESS_MAIN
