// SPDX-License-Identifier: MIT
/*
 * vnpu-bench-scaling: data-parallel throughput of a model package on 1, 2,
 * ... N vnpu devices (libaccel's accel_model_load_devices() and
 * accel_model_run_batch(): every device holds its own copy of the package
 * and runs every N-th batch). Runs in a guest with several devices (make
 * bench boots one with --devices 3).
 *
 *   vnpu-bench-scaling [--quick] [--seconds S] [PACKAGE...]
 *
 * Default packages: the digits MLP and CNN at batch 64 of make bench. For
 * each package and device count d it prints, in bench.sh's raw format:
 *   C <name>_items_per_s_vs_devices d ITEMS_PER_S
 *   R scaling_<name>_d<d> ITEMS_PER_S items/s
 *   R scaling_<name>_samples_per_s_d<d> SAMPLES_PER_S samples/s
 * and an "I" line saying whether the outputs of every device count equal
 * the one-device outputs bit for bit (they must; the test of that is
 * vnpu_multi_test). An item is one run of the package (one batch).
 * Without PACKAGE arguments it then compares the digits MLP and CNN
 * (batch 120) whole on one device with their two parts as pipeline stages
 * on two devices (accel_model_pipeline_*): "R pipeline_<name>_whole_1dev"
 * and "R pipeline_<name>_stages_2dev", in items/s.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel.h"
#include "accel_model.h"

#define MAX_DEVS	8
#define ITEMS_PER_DEV	4	/* items per device per accel_model_run_batch() */
#define MAX_ITEMS	(MAX_DEVS * ITEMS_PER_DEV)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "/usr/share/vnpu/bench_cnn_b64.vnpu" -> "cnn_b64" */
static void short_name(const char *path, char *name, size_t len)
{
	const char *b = strrchr(path, '/');
	char *dot;

	b = b ? b + 1 : path;
	if (!strncmp(b, "bench_", 6))
		b += 6;
	snprintf(name, len, "%s", b);
	dot = strrchr(name, '.');
	if (dot)
		*dot = '\0';
}

struct bufs {
	unsigned int nin, nout, batch;
	uint64_t out_size[4];
	void *in[MAX_ITEMS * 4];
	void *out[MAX_ITEMS * 4];
	void *ref[MAX_ITEMS * 4];	/* outputs with one device */
};

static int bufs_init(struct accel_model *m, struct bufs *b)
{
	struct accel_model_io io;
	unsigned int i, k, seed = 7;
	uint64_t j;

	memset(b, 0, sizeof(*b));
	accel_model_get_io_count(m, &b->nin, &b->nout);
	if (!b->nin || b->nin > 4 || b->nout > 4)
		return -EINVAL;
	accel_model_get_input(m, 0, &io);
	b->batch = io.shape[0] ? io.shape[0] : 1;
	for (k = 0; k < b->nin; k++) {
		accel_model_get_input(m, k, &io);
		for (i = 0; i < MAX_ITEMS; i++) {
			float *p = malloc(io.size);

			if (!p)
				return -ENOMEM;
			for (j = 0; j < io.size / 4; j++)
				p[j] = (float)(rand_r(&seed) % 1600) / 100.0f;
			b->in[i * b->nin + k] = p;
		}
	}
	for (k = 0; k < b->nout; k++) {
		accel_model_get_output(m, k, &io);
		b->out_size[k] = io.size;
		for (i = 0; i < MAX_ITEMS; i++) {
			b->out[i * b->nout + k] = calloc(1, io.size);
			b->ref[i * b->nout + k] = calloc(1, io.size);
			if (!b->out[i * b->nout + k] || !b->ref[i * b->nout + k])
				return -ENOMEM;
		}
	}
	return 0;
}

static void bufs_free(struct bufs *b)
{
	unsigned int i;

	for (i = 0; i < MAX_ITEMS * 4; i++) {
		free(b->in[i]);
		free(b->out[i]);
		free(b->ref[i]);
	}
}

static int bench_package(const char *path, struct accel_device **devs,
			 unsigned int ndev, double seconds)
{
	struct accel_model *m[MAX_DEVS];
	unsigned int d, i, k, items;
	bool same = true;
	char name[64];
	struct bufs b;
	int ret;

	short_name(path, name, sizeof(name));
	ret = accel_model_load_devices(devs, 1, path, 0, m);
	if (ret) {
		printf("I skip scaling %s: %s\n", name, accel_strerror(ret));
		return 0;
	}
	ret = bufs_init(m[0], &b);
	/* the reference: every item on one device */
	if (!ret)
		ret = accel_model_run_batch(m, 1, ndev * ITEMS_PER_DEV,
					    (const void *const *)b.in, b.ref);
	accel_model_free(m[0]);
	if (ret) {
		printf("I skip scaling %s: %s\n", name, accel_strerror(ret));
		bufs_free(&b);
		return 0;
	}
	for (d = 1; d <= ndev; d++) {
		double t0, t, rate;
		unsigned long done = 0;

		ret = accel_model_load_devices(devs, d, path, 0, m);
		if (ret) {
			printf("I skip scaling %s on %u devices: %s\n", name, d, accel_strerror(ret));
			break;
		}
		items = d * ITEMS_PER_DEV;
		/* warm-up, and the outputs compared with one device's */
		ret = accel_model_run_batch(m, d, items, (const void *const *)b.in, b.out);
		for (i = 0; !ret && i < items; i++) {
			for (k = 0; k < b.nout; k++) {
				unsigned int e = i * b.nout + k;

				if (memcmp(b.ref[e], b.out[e], b.out_size[k]))
					same = false;
			}
		}
		t0 = now_s();
		t = t0;
		while (!ret && t - t0 < seconds) {
			ret = accel_model_run_batch(m, d, items, (const void *const *)b.in, b.out);
			done += items;
			t = now_s();
		}
		for (i = 0; i < d; i++)
			accel_model_free(m[i]);
		if (ret) {
			printf("I scaling %s on %u devices failed: %s\n", name, d, accel_strerror(ret));
			break;
		}
		rate = done / (t - t0);
		printf("C %s_items_per_s_vs_devices %u %.2f\n", name, d, rate);
		printf("R scaling_%s_d%u %.2f items/s\n", name, d, rate);
		printf("R scaling_%s_samples_per_s_d%u %.1f samples/s\n", name, d, rate * b.batch);
		fflush(stdout);
	}
	printf("I scaling %s: outputs on 1..%u devices %s the one-device outputs bit for bit\n",
	       name, ndev, same ? "equal" : "DIFFER FROM");
	bufs_free(&b);
	return same ? 0 : 1;
}

/* Run @items items @reps times through @run; items per second. */
static double timed(int (*run)(void *ctx, unsigned int items, struct bufs *b),
		    void *ctx, struct bufs *b, unsigned int items, double seconds,
		    int *ret)
{
	unsigned long done = 0;
	double t0 = now_s(), t = t0;

	*ret = run(ctx, items, b);	/* warm-up */
	while (!*ret && t - t0 < seconds) {
		*ret = run(ctx, items, b);
		done += items;
		t = now_s();
	}
	return *ret || t <= t0 ? 0 : done / (t - t0);
}

static int run_whole(void *ctx, unsigned int items, struct bufs *b)
{
	return accel_model_run_batch(ctx, 1, items, (const void *const *)b->in, b->out);
}

static int run_pipe(void *ctx, unsigned int items, struct bufs *b)
{
	return accel_model_pipeline_run(ctx, items, (const void *const *)b->in, b->out);
}

/*
 * The network @name (MODEL_DIR/NAME.vnpu) whole on one device against its
 * two parts (NAME_s1/_s2.vnpu) as pipeline stages on two devices:
 *   R pipeline_<name>_whole_1dev ITEMS_PER_S items/s
 *   R pipeline_<name>_stages_2dev ITEMS_PER_S items/s
 */
static int bench_pipeline(const char *name, struct accel_device **devs,
			  unsigned int ndev, double seconds)
{
	char whole[256], s1[256], s2[256];
	struct accel_model *m, *st[2] = { NULL, NULL };
	struct accel_model_pipeline *p;
	unsigned int items = 2 * ITEMS_PER_DEV, i, k;
	double r1, r2;
	bool same = true;
	struct bufs b;
	int ret;

	snprintf(whole, sizeof(whole), "/usr/share/vnpu/%s.vnpu", name);
	snprintf(s1, sizeof(s1), "/usr/share/vnpu/%s_s1.vnpu", name);
	snprintf(s2, sizeof(s2), "/usr/share/vnpu/%s_s2.vnpu", name);
	if (ndev < 2) {
		printf("I skip pipeline %s: fewer than two devices\n", name);
		return 0;
	}
	ret = accel_model_load(devs[0], whole, 0, &m);
	if (ret) {
		printf("I skip pipeline %s: %s\n", name, accel_strerror(ret));
		return 0;
	}
	ret = bufs_init(m, &b);
	if (!ret)
		ret = accel_model_run_batch(&m, 1, items, (const void *const *)b.in, b.ref);
	r1 = ret ? 0 : timed(run_whole, &m, &b, items, seconds, &ret);
	accel_model_free(m);
	if (!ret)
		ret = accel_model_load(devs[0], s1, 0, &st[0]);
	if (!ret)
		ret = accel_model_load(devs[1], s2, 0, &st[1]);
	if (!ret)
		ret = accel_model_pipeline_new(st, 2, &p);
	accel_model_free(st[0]);
	accel_model_free(st[1]);
	if (ret) {
		printf("I skip pipeline %s: %s\n", name, accel_strerror(ret));
		bufs_free(&b);
		return 0;
	}
	r2 = timed(run_pipe, p, &b, items, seconds, &ret);
	accel_model_pipeline_free(p);
	for (i = 0; !ret && i < items; i++)
		for (k = 0; k < b.nout; k++)
			if (memcmp(b.ref[i * b.nout + k], b.out[i * b.nout + k], b.out_size[k]))
				same = false;
	if (ret) {
		printf("I pipeline %s failed: %s\n", name, accel_strerror(ret));
	} else {
		printf("R pipeline_%s_whole_1dev %.2f items/s\n", name, r1);
		printf("R pipeline_%s_stages_2dev %.2f items/s\n", name, r2);
		printf("I pipeline %s (batch %u): 2 stages on 2 devices %s the whole network bit for bit\n",
		       name, b.batch, same ? "equal" : "DIFFER FROM");
	}
	bufs_free(&b);
	return same ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const defaults[] = {
		"/usr/share/vnpu/bench_mlp_b64.vnpu",
		"/usr/share/vnpu/bench_cnn_b64.vnpu",
	};
	struct accel_device *devs[MAX_DEVS];
	struct accel_device_list *list;
	unsigned int ndev = 0, i;
	double seconds = 3.0;
	int c, ret, status = 0;
	bool explicit;

	while ((c = getopt_long(argc, argv, "qs:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			seconds = 0.5;
			break;
		case 's':
			seconds = atof(optarg);
			if (seconds <= 0) {
				fprintf(stderr, "vnpu-bench-scaling: bad --seconds\n");
				return 2;
			}
			break;
		case 'h':
			printf("usage: vnpu-bench-scaling [--quick] [--seconds S] [PACKAGE...]\n");
			return 0;
		default:
			fprintf(stderr, "usage: vnpu-bench-scaling [--quick] [--seconds S] [PACKAGE...]\n");
			return 2;
		}
	}
	ret = accel_device_enumerate(&list);
	if (!ret) {
		accel_device_list_get_count(list, &ndev);
		accel_device_list_free(list);
	}
	if (ndev > MAX_DEVS)
		ndev = MAX_DEVS;
	if (!ndev) {
		printf("I skip scaling: no vnpu device\n");
		return 0;
	}
	for (i = 0; i < ndev; i++) {
		ret = accel_device_open_index(i, &devs[i]);
		if (ret) {
			printf("I skip scaling: device %u: %s\n", i, accel_strerror(ret));
			ndev = i;
			break;
		}
	}
	printf("I scaling over %u devices, %.1f s per point\n", ndev, seconds);
	explicit = optind < argc;
	if (explicit) {
		for (; optind < argc; optind++)
			status |= bench_package(argv[optind], devs, ndev, seconds);
	} else {
		for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			status |= bench_package(defaults[i], devs, ndev, seconds);
	}
	if (!explicit) {
		status |= bench_pipeline("mlp", devs, ndev, seconds);
		status |= bench_pipeline("cnn", devs, ndev, seconds);
	}
	for (i = 0; i < ndev; i++)
		accel_device_close(devs[i]);
	return status;
}
