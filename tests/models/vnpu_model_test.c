// SPDX-License-Identifier: MIT
/*
 * In-guest tests of compiled models on the vnpu device through libaccel's
 * accel_model_* API: the digits test split (MLP and CNN, fp32 and int8)
 * against ONNX Runtime's outputs and the labels, the random-weight
 * transformer block and MobileNet-style model against ONNX Runtime,
 * per-layer device timing, asynchronous runs with fences on two queues,
 * BO bindings, and every documented error path of the API.
 *
 * Data: /usr/share/vnpu (VNPU_DATA overrides), built by
 * tools/compiler/compiler.mk.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "accel.h"
#include "npy.h"
#include "vnpu_device.h"
#include "vnpu_package.h"

/* Batch size the digits packages were compiled for (compiler.mk). */
#define BATCH 120

static const char *data_dir(void)
{
	const char *d = getenv("VNPU_DATA");

	return d ? d : "/usr/share/vnpu";
}

static int load_npy(const char *name, struct npy *a)
{
	char path[512], msg[256];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
	ret = npy_read(path, a, msg, sizeof(msg));
	if (ret)
		fprintf(stderr, "# %s\n", msg);
	return ret;
}

static char *pkg(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
	return path;
}

static int argmax(const float *p, int n)
{
	int i, b = 0;

	for (i = 1; i < n; i++)
		if (p[i] > p[b])
			b = i;
	return b;
}

/* max |got - ref| / max(|ref|, 1e-3) */
static double max_rel(const float *got, const float *ref, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - ref[i]) / fmax(fabs(ref[i]), 1e-3);

		if (isnan(d))
			return INFINITY;
		if (d > m)
			m = d;
	}
	return m;
}

FIXTURE(model)
{
	struct accel_device *dev;
};

FIXTURE_SETUP(model)
{
	int ret = accel_device_open(NULL, &self->dev);

	if (ret == -ENODEV || ret == -ENOENT)
		SKIP(return, "no vnpu device");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(model)
{
	accel_device_close(self->dev);
}

/* Run every batch of @x through @m; @y gets samples x per-sample outputs. */
static int run_all(struct accel_model *m, const struct npy *x, float *y)
{
	struct accel_model_io in, out;
	uint64_t batch, s, per_in, per_out;
	int ret;

	accel_model_get_input(m, 0, &in);
	accel_model_get_output(m, 0, &out);
	batch = in.shape[0];
	per_in = in.size / batch;
	per_out = out.size / batch;
	if (x->count * 4 != x->shape[0] * per_in || x->shape[0] % batch)
		return -EINVAL;
	for (s = 0; s < (uint64_t)x->shape[0]; s += batch) {
		accel_model_bind_input(m, 0, (const char *)x->data + s * per_in);
		accel_model_bind_output(m, 0, (char *)y + s * per_out);
		ret = accel_model_run(m);
		if (ret)
			return ret;
	}
	return 0;
}

struct digits {
	int n, correct, agree;
	double max_rel;
};

static void digits(struct __test_metadata *_metadata, struct accel_device *dev,
		   const char *package, const char *xname, const char *refname,
		   struct digits *r)
{
	struct npy x, y, ref;
	struct accel_model *m;
	float *out;

	ASSERT_EQ(0, load_npy(xname, &x));
	ASSERT_EQ(0, load_npy("digits_y.npy", &y));
	ASSERT_EQ(0, load_npy(refname, &ref));
	ASSERT_EQ(0, accel_model_load(dev, pkg(package), 0, &m));
	out = calloc(ref.count, sizeof(float));
	ASSERT_NE(NULL, out);
	ASSERT_EQ(0, run_all(m, &x, out));
	memset(r, 0, sizeof(*r));
	r->n = (int)y.shape[0];
	r->max_rel = max_rel(out, ref.data, ref.count);
	for (int i = 0; i < r->n; i++) {
		int p = argmax(out + i * 10, 10);

		r->correct += p == ((int64_t *)y.data)[i];
		r->agree += p == argmax((float *)ref.data + i * 10, 10);
	}
	TH_LOG("%s: accuracy %.2f%% (%d/%d), top-1 equal to ORT on %d, max rel err vs ORT %.3g",
	       package, 100.0 * r->correct / r->n, r->correct, r->n, r->agree, r->max_rel);
	free(out);
	accel_model_free(m);
	npy_free(&x);
	npy_free(&y);
	npy_free(&ref);
}

TEST_F(model, mlp_fp32_digits)
{
	struct digits r;

	digits(_metadata, self->dev, "mlp.vnpu", "digits_x.npy", "mlp_ref.npy", &r);
	EXPECT_LE(r.max_rel, 1e-4);
	EXPECT_EQ(r.n, r.agree);
	EXPECT_GE(r.correct * 100, 95 * r.n);
}

TEST_F(model, cnn_fp32_digits)
{
	struct digits r;

	digits(_metadata, self->dev, "cnn.vnpu", "digits_img.npy", "cnn_ref.npy", &r);
	EXPECT_LE(r.max_rel, 1e-4);
	EXPECT_EQ(r.n, r.agree);
	EXPECT_GE(r.correct * 100, 97 * r.n);
}

/* Planned for 64 KiB of device memory: convolutions run in staged tiles. */
TEST_F(model, cnn_tiled_digits)
{
	struct digits r;

	digits(_metadata, self->dev, "cnn_tiled.vnpu", "digits_img.npy", "cnn_ref.npy", &r);
	EXPECT_LE(r.max_rel, 1e-4);
	EXPECT_EQ(r.n, r.agree);
	EXPECT_GE(r.correct * 100, 97 * r.n);
}

TEST_F(model, mlp_int8_digits)
{
	struct digits f, q;

	digits(_metadata, self->dev, "mlp.vnpu", "digits_x.npy", "mlp_ref.npy", &f);
	digits(_metadata, self->dev, "mlp_int8.vnpu", "digits_x.npy", "mlp_ref.npy", &q);
	EXPECT_LE(abs(f.correct - q.correct) * 100, f.n);	/* within 1 point */
}

TEST_F(model, cnn_int8_digits)
{
	struct digits f, q;

	digits(_metadata, self->dev, "cnn.vnpu", "digits_img.npy", "cnn_ref.npy", &f);
	digits(_metadata, self->dev, "cnn_int8.vnpu", "digits_img.npy", "cnn_ref.npy", &q);
	EXPECT_LE(abs(f.correct - q.correct) * 100, f.n);
}

static void single(struct __test_metadata *_metadata, struct accel_device *dev,
		   const char *name)
{
	char p[64], xn[64], rn[64];
	struct accel_model *m;
	struct npy x, ref;
	float *out;
	double e;

	snprintf(p, sizeof(p), "%s.vnpu", name);
	snprintf(xn, sizeof(xn), "%s_x.npy", name);
	snprintf(rn, sizeof(rn), "%s_ref.npy", name);
	ASSERT_EQ(0, load_npy(xn, &x));
	ASSERT_EQ(0, load_npy(rn, &ref));
	ASSERT_EQ(0, accel_model_load(dev, pkg(p), 0, &m));
	out = calloc(ref.count, sizeof(float));
	ASSERT_EQ(0, run_all(m, &x, out));
	e = max_rel(out, ref.data, ref.count);
	TH_LOG("%s: max rel err vs ORT %.3g", name, e);
	EXPECT_LE(e, 1e-4);
	free(out);
	accel_model_free(m);
	npy_free(&x);
	npy_free(&ref);
}

TEST_F(model, transformer_block)
{
	single(_metadata, self->dev, "transformer");
}

TEST_F(model, mobilenet_block)
{
	single(_metadata, self->dev, "mobilenet");
}

TEST_F(model, layer_timing_from_device_timestamps)
{
	struct accel_model *m;
	struct accel_model_layer l;
	unsigned int n, i;
	struct npy x;
	float out[BATCH * 10];
	uint64_t sum = 0;

	ASSERT_EQ(0, load_npy("digits_img.npy", &x));
	ASSERT_EQ(0, accel_model_load(self->dev, pkg("cnn.vnpu"), 0, &m));
	ASSERT_EQ(0, accel_model_get_layer_count(m, &n));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, accel_model_get_layer(m, 0, &l));
	EXPECT_EQ(0, l.time_ns);	/* not run yet */
	EXPECT_STREQ("Conv+BatchNormalization+Relu", l.op);
	EXPECT_LT(0, l.macs);
	accel_model_bind_input(m, 0, x.data);
	accel_model_bind_output(m, 0, out);
	ASSERT_EQ(0, accel_model_run(m));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, accel_model_get_layer(m, i, &l));
		sum += l.time_ns;
	}
	EXPECT_LT(0, sum);	/* the timestamps were written */
	EXPECT_EQ(-ERANGE, accel_model_get_layer(m, n, &l));
	accel_model_free(m);
	npy_free(&x);
}

TEST_F(model, async_two_queues_with_fences)
{
	struct accel_model *a, *b;
	struct accel_job *ja, *jb;
	uint32_t sa, sb;
	uint64_t nq = 1;
	struct npy x;
	static float ya[BATCH * 10], yb[BATCH * 10];

	ASSERT_EQ(0, load_npy("digits_img.npy", &x));
	ASSERT_EQ(0, accel_model_load(self->dev, pkg("cnn.vnpu"), 0, &a));
	ASSERT_EQ(0, accel_model_clone(a, &b));
	accel_device_query(self->dev, ACCEL_PARAM_NUM_QUEUES, &nq);
	if (nq > 1)
		ASSERT_EQ(0, accel_model_set_queue(b, 1));
	EXPECT_EQ(-EINVAL, accel_model_set_queue(b, (uint32_t)nq));
	accel_model_bind_input(a, 0, x.data);
	accel_model_bind_output(a, 0, ya);
	accel_model_bind_input(b, 0, (float *)x.data + BATCH * 64);
	accel_model_bind_output(b, 0, yb);
	ASSERT_EQ(0, accel_model_submit(a, NULL, &ja));
	ASSERT_EQ(0, accel_model_submit(b, NULL, &jb));
	ASSERT_EQ(0, accel_job_get_syncobj(ja, &sa));
	ASSERT_EQ(0, accel_job_get_syncobj(jb, &sb));
	ASSERT_EQ(0, accel_syncobj_wait(self->dev, sa, 0, 10000000000ll));
	ASSERT_EQ(0, accel_syncobj_wait(self->dev, sb, 0, 10000000000ll));
	ASSERT_EQ(0, accel_model_wait(a, 0));
	ASSERT_EQ(0, accel_model_wait(b, 0));
	/* two different batches, each a probability distribution */
	EXPECT_NE(0, memcmp(ya, yb, sizeof(ya)));
	for (int i = 0; i < BATCH; i++) {
		double s = 0, t = 0;

		for (int c = 0; c < 10; c++) {
			s += ya[i * 10 + c];
			t += yb[i * 10 + c];
		}
		EXPECT_LT(fabs(s - 1), 1e-4);
		EXPECT_LT(fabs(t - 1), 1e-4);
	}
	accel_model_free(b);
	accel_model_free(a);
	npy_free(&x);
}

TEST_F(model, bo_bindings_match_host_bindings)
{
	struct accel_model *m;
	struct accel_bo *ib, *ob, *small;
	struct accel_model_io in, out;
	void *ip, *op;
	struct npy x;
	static float host[BATCH * 10];

	ASSERT_EQ(0, load_npy("digits_x.npy", &x));
	ASSERT_EQ(0, accel_model_load(self->dev, pkg("mlp.vnpu"), 0, &m));
	accel_model_get_input(m, 0, &in);
	accel_model_get_output(m, 0, &out);
	accel_model_bind_input(m, 0, x.data);
	accel_model_bind_output(m, 0, host);
	ASSERT_EQ(0, accel_model_run(m));

	ASSERT_EQ(0, accel_bo_new(self->dev, 4096 + in.size, 0, &ib));
	ASSERT_EQ(0, accel_bo_new(self->dev, 8192 + out.size, 0, &ob));
	ASSERT_EQ(0, accel_bo_new(self->dev, 64, 0, &small));
	ASSERT_EQ(0, accel_bo_map(ib, &ip));
	ASSERT_EQ(0, accel_bo_map(ob, &op));
	memcpy((char *)ip + 4096, x.data, in.size);
	EXPECT_EQ(-ERANGE, accel_model_bind_input_bo(m, 0, small, 0));
	EXPECT_EQ(-ERANGE, accel_model_bind_input_bo(m, 0, ib, 8192));
	EXPECT_EQ(-ERANGE, accel_model_bind_input_bo(m, 1, ib, 0));
	ASSERT_EQ(0, accel_model_bind_input_bo(m, 0, ib, 4096));
	ASSERT_EQ(0, accel_model_bind_output_bo(m, 0, ob, 8192));
	ASSERT_EQ(0, accel_model_run(m));
	EXPECT_EQ(0, memcmp(host, (char *)op + 8192, out.size));
	/* back to the model's own BOs */
	ASSERT_EQ(0, accel_model_bind_input_bo(m, 0, NULL, 0));
	ASSERT_EQ(0, accel_model_bind_output_bo(m, 0, NULL, 0));
	accel_model_bind_input(m, 0, (float *)x.data + BATCH * 64);
	accel_model_bind_output(m, 0, host);
	ASSERT_EQ(0, accel_model_run(m));
	EXPECT_NE(0, memcmp(host, (char *)op + 8192, out.size));
	accel_bo_unmap(ib);
	accel_bo_unmap(ob);
	accel_model_free(m);
	accel_bo_free(ib);
	accel_bo_free(ob);
	accel_bo_free(small);
	npy_free(&x);
}

TEST_F(model, no_devmem_flag_gives_same_results)
{
	struct accel_model *a, *b;
	uint64_t dev_a = 1, dev_b = 1, have = 0;
	struct npy x;
	static float ya[BATCH * 10], yb[BATCH * 10];

	ASSERT_EQ(0, load_npy("digits_img.npy", &x));
	ASSERT_EQ(0, accel_model_load(self->dev, pkg("cnn.vnpu"), 0, &a));
	ASSERT_EQ(0, accel_model_load(self->dev, pkg("cnn.vnpu"), ACCEL_MODEL_NO_DEVMEM, &b));
	ASSERT_EQ(0, accel_model_get_devmem_size(a, &dev_a));
	ASSERT_EQ(0, accel_model_get_devmem_size(b, &dev_b));
	TH_LOG("device memory used: %llu bytes", (unsigned long long)dev_a);
	EXPECT_EQ(0, dev_b);
	accel_device_query(self->dev, ACCEL_PARAM_DEVMEM_SIZE, &have);
	if (have)	/* the plan puts scratch and constants there */
		EXPECT_LT(0, dev_a);
	accel_model_bind_input(a, 0, x.data);
	accel_model_bind_output(a, 0, ya);
	accel_model_bind_input(b, 0, x.data);
	accel_model_bind_output(b, 0, yb);
	ASSERT_EQ(0, accel_model_run(a));
	ASSERT_EQ(0, accel_model_run(b));
	EXPECT_EQ(0, memcmp(ya, yb, sizeof(ya)));
	accel_model_free(b);
	accel_model_free(a);
	npy_free(&x);
}

static void *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	void *p;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*n = ftell(f);
	rewind(f);
	p = malloc(*n);
	if (p && fread(p, 1, *n, f) != *n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

TEST_F(model, load_errors)
{
	struct accel_model *m = (void *)1;
	size_t n;
	uint8_t *img = slurp(pkg("mlp.vnpu"), &n);

	ASSERT_NE(NULL, img);
	EXPECT_EQ(-ENOENT, accel_model_load(self->dev, "/nonexistent.vnpu", 0, &m));
	EXPECT_EQ(-EINVAL, accel_model_load(NULL, pkg("mlp.vnpu"), 0, &m));
	EXPECT_EQ(-EINVAL, accel_model_load(self->dev, NULL, 0, &m));
	EXPECT_EQ(-EINVAL, accel_model_load(self->dev, pkg("mlp.vnpu"), 0, NULL));
	EXPECT_EQ(-EINVAL, accel_model_load(self->dev, pkg("mlp.vnpu"), 0x80, &m));
	/* not a package */
	EXPECT_EQ(-EBADMSG, accel_model_load(self->dev, pkg("digits_y.npy"), 0, &m));
	/* truncated */
	EXPECT_EQ(-EBADMSG, accel_model_load_buffer(self->dev, img, n - 8, 0, &m));
	/* corrupted payload */
	img[n / 2] ^= 0x5a;
	EXPECT_EQ(-EBADMSG, accel_model_load_buffer(self->dev, img, n, 0, &m));
	img[n / 2] ^= 0x5a;
	EXPECT_EQ((void *)1, m);	/* untouched on failure */
	ASSERT_EQ(0, accel_model_load_buffer(self->dev, img, n, 0, &m));
	accel_model_free(m);
	free(img);
}

/* Re-seal a modified package image (the checksum covers the payload). */
static void reseal(uint8_t *img, size_t n)
{
	struct vnpu_pkg_header *h = (void *)img;

	h->checksum = vnpu_pkg_fnv1a(img + sizeof(*h), n - sizeof(*h));
}

/* Offset in @img of the first command with @opcode, or 0. */
static size_t find_cmd(uint8_t *img, size_t n, uint16_t opcode)
{
	struct vnpu_pkg_view v;
	const char *why;
	size_t off;

	if (vnpu_pkg_parse(img, n, &v, &why))
		return 0;
	for (off = 0; off < v.cmds_size; ) {
		const struct vnpu_cmd_hdr *h = (const void *)(v.cmds + off);

		if (h->opcode == opcode)
			return (size_t)(v.cmds - img) + off;
		if (!h->len)
			return 0;
		off += h->len * 8;
	}
	return 0;
}

TEST_F(model, command_refused_by_the_builders)
{
	struct accel_model *m = NULL;
	size_t n, off;
	uint8_t *img = slurp(pkg("mlp.vnpu"), &n);
	struct vnpu_cmd_gemm *g;

	ASSERT_NE(NULL, img);
	off = find_cmd(img, n, VNPU_OP_GEMM);
	ASSERT_NE(0, off);
	g = (void *)(img + off);
	g->act = 99;	/* no such activation: the GEMM builder says -EINVAL */
	reseal(img, n);
	EXPECT_EQ(-EINVAL, accel_model_load_buffer(self->dev, img, n, 0, &m));
	EXPECT_EQ(NULL, m);
	g->act = 0;
	g->hdr.opcode = 63;	/* unknown opcode: a malformed stream */
	reseal(img, n);
	EXPECT_EQ(-EBADMSG, accel_model_load_buffer(self->dev, img, n, 0, &m));
	free(img);
}

TEST_F(model, relocation_out_of_its_region)
{
	struct accel_model *m = NULL;
	struct vnpu_pkg_view v;
	const char *why;
	size_t n;
	uint8_t *img = slurp(pkg("mlp.vnpu"), &n);
	uint64_t va;

	ASSERT_NE(NULL, img);
	ASSERT_EQ(0, vnpu_pkg_parse(img, n, &v, &why));
	memcpy(&va, v.cmds + v.relocs[0].offset, 8);
	va += v.regions[v.relocs[0].region].size;
	memcpy((uint8_t *)v.cmds + v.relocs[0].offset, &va, 8);
	reseal(img, n);
	EXPECT_EQ(-EBADMSG, accel_model_load_buffer(self->dev, img, n, 0, &m));
	EXPECT_EQ(NULL, m);
	free(img);
}

TEST_F(model, submit_with_in_and_out_syncs)
{
	struct accel_model *m;
	struct accel_sync in, out;
	struct accel_submit_opts o;
	uint32_t s_in, s_out;
	struct npy x;
	static float y[BATCH * 10];

	ASSERT_EQ(0, load_npy("digits_x.npy", &x));
	ASSERT_EQ(0, accel_model_load(self->dev, pkg("mlp.vnpu"), 0, &m));
	ASSERT_EQ(0, accel_syncobj_create(self->dev, ACCEL_SYNCOBJ_SIGNALED, &s_in));
	ASSERT_EQ(0, accel_syncobj_create(self->dev, 0, &s_out));
	memset(&o, 0, sizeof(o));
	in = (struct accel_sync){ .handle = s_in };
	out = (struct accel_sync){ .handle = s_out };
	o.in_syncs = &in;
	o.in_sync_count = 1;
	o.out_syncs = &out;
	o.out_sync_count = 1;
	accel_model_bind_input(m, 0, x.data);
	accel_model_bind_output(m, 0, y);
	ASSERT_EQ(0, accel_model_submit(m, &o, NULL));
	ASSERT_EQ(0, accel_syncobj_wait(self->dev, s_out, 0, 10000000000ll));
	ASSERT_EQ(0, accel_model_wait(m, 0));
	EXPECT_EQ(0, accel_model_wait(m, 0));	/* collected once, status kept */
	EXPECT_LT(0.99f, y[0] + y[1] + y[2] + y[3] + y[4] + y[5] + y[6] + y[7] + y[8] + y[9]);
	/* a bad option is the submit's error */
	o.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, accel_model_submit(m, &o, NULL));
	accel_syncobj_destroy(self->dev, s_in);
	accel_syncobj_destroy(self->dev, s_out);
	accel_model_free(m);
	npy_free(&x);
}

TEST_F(model, api_errors)
{
	struct accel_model *m;
	struct accel_model_io io;
	struct accel_bo *bo;
	unsigned int ni = 9, no = 9;

	ASSERT_EQ(0, accel_model_load(self->dev, pkg("mlp.vnpu"), 0, &m));
	ASSERT_EQ(0, accel_model_get_io_count(m, &ni, &no));
	EXPECT_EQ(1, ni);
	EXPECT_EQ(1, no);
	ASSERT_EQ(0, accel_model_get_input(m, 0, &io));
	EXPECT_STREQ("input", io.name);
	EXPECT_EQ(ACCEL_DT_F32, io.dtype);
	EXPECT_EQ(2, io.rank);
	EXPECT_EQ(BATCH, io.shape[0]);
	EXPECT_EQ(64, io.shape[1]);
	EXPECT_EQ(-ERANGE, accel_model_get_input(m, 1, &io));
	EXPECT_EQ(-ERANGE, accel_model_get_output(m, 1, &io));
	EXPECT_EQ(-EINVAL, accel_model_get_input(NULL, 0, &io));
	EXPECT_EQ(-EINVAL, accel_model_get_input(m, 0, NULL));
	EXPECT_EQ(-EINVAL, accel_model_get_io_count(NULL, &ni, &no));
	EXPECT_EQ(-ERANGE, accel_model_bind_input(m, 1, &io));
	EXPECT_EQ(-ERANGE, accel_model_bind_output(m, 1, &io));
	EXPECT_EQ(-EINVAL, accel_model_bind_input(NULL, 0, &io));
	EXPECT_EQ(-ENODATA, accel_model_wait(m, 0));
	EXPECT_EQ(-EINVAL, accel_model_wait(NULL, 0));
	EXPECT_EQ(-EINVAL, accel_model_run(NULL));
	EXPECT_EQ(-EINVAL, accel_model_submit(NULL, NULL, NULL));
	EXPECT_EQ(-EINVAL, accel_model_clone(m, NULL));
	EXPECT_EQ(-EINVAL, accel_model_get_devmem_size(m, NULL));
	EXPECT_EQ(-EINVAL, accel_model_get_layer_count(m, NULL));
	ASSERT_EQ(0, accel_model_get_input_bo(m, 0, &bo));
	EXPECT_NE(NULL, bo);
	EXPECT_EQ(-ERANGE, accel_model_get_output_bo(m, 3, &bo));
	accel_model_free(m);
	accel_model_free(NULL);
}

TEST_F(model, bo_of_another_device_handle)
{
	struct accel_device *other;
	struct accel_model *m;
	struct accel_bo *bo;

	ASSERT_EQ(0, accel_device_open(NULL, &other));
	ASSERT_EQ(0, accel_bo_new(other, 1 << 16, 0, &bo));
	ASSERT_EQ(0, accel_model_load(self->dev, pkg("mlp.vnpu"), 0, &m));
	EXPECT_EQ(-EXDEV, accel_model_bind_input_bo(m, 0, bo, 0));
	accel_model_free(m);
	accel_bo_free(bo);
	accel_device_close(other);
}

TEST_HARNESS_MAIN
