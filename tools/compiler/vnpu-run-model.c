// SPDX-License-Identifier: MIT
/*
 * vnpu-run-model: run a compiled model (vnpu job package) on a vnpu device
 * through libaccel.
 *
 *   vnpu-run-model MODEL.vnpu --input X.npy [--output Y.npy] [--repeat N]
 *                  [--jobs J] [--labels L.npy] [--show N] [--profile]
 *                  [--device PATH] [--no-devmem] [-q]
 *
 * X's first dimension is the number of samples; they are split into
 * batches of the model's batch size (the last one zero-padded), run with
 * a progress bar, and the outputs are stacked into Y. With --jobs J, J
 * instances of the model (sharing the weights) take batches in turn on
 * queues 0..J-1 so that engines work in parallel. Latency percentiles
 * (submit to completion, per batch) and the throughput are printed; with
 * --labels, the top-1 accuracy too (and --show N draws the first N
 * samples of a square single-channel image input with the predicted and
 * true classes); with --profile, the device time of each layer from the
 * device's timestamps.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "npy.h"

#define MAX_JOBS 8

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void progress(int quiet, uint64_t done, uint64_t total)
{
	int w = 30, fill = total ? (int)(done * w / total) : w;

	if (quiet || (!isatty(2) && done != total))
		return;	/* logs get the final state only */
	fprintf(stderr, "\r[%.*s%*s] %llu/%llu batches", fill,
		"##############################", w - fill, "",
		(unsigned long long)done, (unsigned long long)total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/*
 * Draw up to 6 samples per row of a square single-channel image input
 * (values 0..1) with the predicted and the true class.
 */
static void draw(const float *x, uint64_t per, const float *y, uint64_t ncls,
		 const int64_t *labels, uint64_t n)
{
	static const char shades[] = " .:-=+*#%@";
	uint64_t side = 1, k, s;

	while (side * side < per)
		side++;
	if (side * side != per || side > 32)
		return;	/* not a square image */
	for (k = 0; k < n; k += 6) {
		uint64_t m = n - k < 6 ? n - k : 6;

		for (s = 0; s < m; s++) {
			const float *p = y + (k + s) * ncls;
			uint64_t best = 0;
			char t[64];

			for (uint64_t i = 1; i < ncls; i++)
				if (p[i] > p[best])
					best = i;
			snprintf(t, sizeof(t), "npu %llu true %lld%s", (unsigned long long)best,
				 (long long)labels[k + s], (int64_t)best == labels[k + s] ? "" : " X");
			printf("%-*s", (int)(2 * side + 3), t);
		}
		putchar('\n');
		for (uint64_t r = 0; r < side; r++) {
			for (s = 0; s < m; s++) {
				const float *img = x + (k + s) * per;

				for (uint64_t c = 0; c < side; c++) {
					float v = img[r * side + c];
					int i = v <= 0 ? 0 : v >= 1 ? 9 : (int)(v * 9.99f);

					putchar(shades[i]);
					putchar(shades[i]);
				}
				printf("   ");
			}
			putchar('\n');
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vnpu-run-model MODEL.vnpu --input X.npy [options]\n"
		"  -i, --input FILE     float32 .npy, first dimension = samples\n"
		"  -o, --output FILE    write the outputs (float32 .npy)\n"
		"  -r, --repeat N       run all batches N times (default 1)\n"
		"  -j, --jobs J         model instances on J queues in parallel (1..%d)\n"
		"  -A, --all-devices    spread the instances over every vnpu device (at\n"
		"                       least one each; batches data-parallel)\n"
		"  -l, --labels FILE    int64 .npy of labels: print top-1 accuracy\n"
		"  -s, --show N         draw the first N samples (square images) with labels\n"
		"  -p, --profile        per-layer device time of the last batch\n"
		"  -d, --device DEV     device node, index or PCI address (default:\n"
		"                       $ACCEL_DEVICE, else the first vnpu device)\n"
		"      --no-devmem      keep every buffer in system memory\n"
		"  -q, --quiet          no progress bar\n", MAX_JOBS);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "labels", required_argument, NULL, 'l' },
		{ "show", required_argument, NULL, 's' },
		{ "profile", no_argument, NULL, 'p' },
		{ "device", required_argument, NULL, 'd' },
		{ "all-devices", no_argument, NULL, 'A' },
		{ "no-devmem", no_argument, NULL, 'N' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in_path = NULL, *out_path = NULL, *labels_path = NULL, *devpath = NULL;
	int repeat = 1, jobs = 1, profile = 0, quiet = 0, show = 0, c, ret, rc = 1;
	int all_devices = 0;
	unsigned int ndev = 1;
	struct accel_device *devs[MAX_JOBS] = { NULL };	/* with --all-devices */
	uint32_t flags = 0;
	struct accel_device *dev = NULL;
	struct accel_model *m[MAX_JOBS] = { NULL };
	int64_t busy[MAX_JOBS];
	struct accel_model_io iin, iout;
	struct npy x = { 0 }, lab = { 0 };
	char msg[300];
	uint64_t per_in, per_out, batch, samples, nbatches, total, k, *lat = NULL, t0, t1;
	uint64_t *started = NULL, devmem = 0, done = 0;
	float *y = NULL, *xpad = NULL, *ypad = NULL;
	unsigned int nin, nout;

	while ((c = getopt_long(argc, argv, "i:o:r:j:l:s:pd:Aqh", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': in_path = optarg; break;
		case 'o': out_path = optarg; break;
		case 'r': repeat = atoi(optarg); break;
		case 'j': jobs = atoi(optarg); break;
		case 'l': labels_path = optarg; break;
		case 's': show = atoi(optarg); break;
		case 'p': profile = 1; break;
		case 'd': devpath = optarg; break;
		case 'A': all_devices = 1; break;
		case 'N': flags |= ACCEL_MODEL_NO_DEVMEM; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc || !in_path || repeat < 1 || jobs < 1 || jobs > MAX_JOBS ||
	    (all_devices && devpath)) {
		usage(stderr);
		return 2;
	}
	ret = npy_read(in_path, &x, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "vnpu-run-model: %s\n", msg);
		return 1;
	}
	if (all_devices) {
		struct accel_device_list *list;

		ret = accel_device_enumerate(&list);
		if (!ret) {
			accel_device_list_get_count(list, &ndev);
			accel_device_list_free(list);
			if (!ndev)
				ret = -ENODEV;
		}
		if (ndev > MAX_JOBS)
			ndev = MAX_JOBS;
		for (unsigned int i = 0; !ret && i < ndev; i++)
			ret = accel_device_open_index(i, &devs[i]);
		if (ret) {
			fprintf(stderr, "vnpu-run-model: vnpu devices: %s\n", accel_strerror(ret));
			goto out;
		}
		if (jobs < (int)ndev)
			jobs = (int)ndev;
		dev = devs[0];
	} else {
		ret = accel_device_open_spec(devpath, &dev);	/* or $ACCEL_DEVICE */
	}
	if (ret) {
		fprintf(stderr, "vnpu-run-model: %s: %s\n", devpath ? devpath : "vnpu device",
			accel_strerror(ret));
		goto out;
	}
	ret = accel_model_load(dev, argv[optind], flags, &m[0]);
	if (ret) {
		fprintf(stderr, "vnpu-run-model: %s: %s\n", argv[optind], accel_strerror(ret));
		goto out;
	}
	accel_model_get_io_count(m[0], &nin, &nout);
	if (nin != 1 || nout < 1) {
		fprintf(stderr, "vnpu-run-model: models with one input only\n");
		goto out;
	}
	accel_model_get_input(m[0], 0, &iin);
	accel_model_get_output(m[0], 0, &iout);
	batch = iin.shape[0];
	per_in = iin.size / batch;
	per_out = iout.size / batch;
	if (strcmp(x.descr, "<f4") || x.rank < 1 || !x.shape[0] ||
	    x.count * 4 / x.shape[0] != per_in) {
		fprintf(stderr, "vnpu-run-model: %s: need float32 [samples, ...] with %llu values per sample (input '%s')\n",
			in_path, (unsigned long long)(per_in / 4), iin.name);
		goto out;
	}
	samples = x.shape[0];
	nbatches = (samples + batch - 1) / batch;
	for (int j = 1; j < jobs; j++) {
		/* instance j on device j % ndev (one device without -A) */
		ret = all_devices ? accel_model_clone_to(m[0], devs[j % ndev], &m[j]) :
				    accel_model_clone(m[0], &m[j]);
		if (ret) {
			fprintf(stderr, "vnpu-run-model: clone: %s\n", accel_strerror(ret));
			goto out;
		}
	}
	for (int j = 0; j < jobs; j++) {
		uint64_t nq = 1;

		accel_device_query(all_devices ? devs[j % ndev] : dev, ACCEL_PARAM_NUM_QUEUES, &nq);
		accel_model_set_queue(m[j], (uint32_t)(j / ndev % (nq ? nq : 1)));
		busy[j] = -1;
	}
	y = calloc(nbatches * batch, per_out);
	xpad = calloc(1, iin.size);
	ypad = calloc(1, iout.size);
	total = nbatches * repeat;
	lat = calloc(total, sizeof(*lat));
	started = calloc(total, sizeof(*started));
	if (!y || !xpad || !ypad || !lat || !started) {
		fprintf(stderr, "vnpu-run-model: out of memory\n");
		goto out;
	}
	printf("%s: input '%s' %llu samples, batch %llu, %llu batches x %d, %d instance%s",
	       argv[optind], iin.name, (unsigned long long)samples,
	       (unsigned long long)batch, (unsigned long long)nbatches, repeat, jobs,
	       jobs > 1 ? "s" : "");
	if (all_devices)
		printf(" on %u device%s", ndev, ndev > 1 ? "s" : "");
	printf("\n");
	t0 = now_ns();
	for (k = 0; k <= total; k++) {
		int j = (int)(k % jobs);

		/* finish the instance's previous batch (or all at the end) */
		for (int w = 0; w < jobs; w++) {
			int64_t b;

			if (k < total && w != j)
				continue;
			b = busy[w];
			if (b < 0)
				continue;
			ret = accel_model_wait(m[w], -1);
			if (ret) {
				fprintf(stderr, "\nvnpu-run-model: batch %lld: %s\n", (long long)b,
					accel_strerror(ret));
				goto out;
			}
			lat[b] = now_ns() - started[b];
			if ((uint64_t)b % nbatches == nbatches - 1 && samples % batch)
				memcpy((char *)y + (b % nbatches) * batch * per_out, ypad,
				       (samples % batch) * per_out);
			busy[w] = -1;
			progress(quiet, ++done, total);
		}
		if (k == total)
			break;
		{
			uint64_t bi = k % nbatches, first = bi * batch;
			const void *src = (const char *)x.data + first * per_in;
			void *dst = (char *)y + first * per_out;

			if (first + batch > samples) {	/* last, partial batch */
				memset(xpad, 0, iin.size);
				memcpy(xpad, src, (samples - first) * per_in);
				src = xpad;
				dst = ypad;
			}
			accel_model_bind_input(m[j], 0, src);
			accel_model_bind_output(m[j], 0, dst);
			started[k] = now_ns();
			ret = accel_model_submit(m[j], NULL, NULL);
			if (ret) {
				fprintf(stderr, "\nvnpu-run-model: submit: %s\n", accel_strerror(ret));
				goto out;
			}
			busy[j] = (int64_t)k;
		}
	}
	t1 = now_ns();
	qsort(lat, total, sizeof(*lat), cmp_u64);
	printf("latency per batch (us): p50 %.1f  p90 %.1f  p99 %.1f  max %.1f; %.1f samples/s\n",
	       lat[total / 2] / 1e3, lat[total * 9 / 10] / 1e3,
	       lat[total * 99 / 100 < total ? total * 99 / 100 : total - 1] / 1e3,
	       lat[total - 1] / 1e3, (double)samples * repeat * 1e9 / (double)(t1 - t0));
	accel_model_get_devmem_size(m[0], &devmem);
	if (devmem)
		printf("device memory: %llu bytes\n", (unsigned long long)devmem);
	if (labels_path) {
		uint64_t correct = 0, ncls = per_out / 4;

		ret = npy_read(labels_path, &lab, msg, sizeof(msg));
		if (ret || strcmp(lab.descr, "<i8") || lab.count != samples) {
			fprintf(stderr, "vnpu-run-model: %s: need int64 [%llu] labels%s%s\n",
				labels_path, (unsigned long long)samples, ret ? ": " : "",
				ret ? msg : "");
			goto out;
		}
		for (k = 0; k < samples; k++) {
			const float *p = y + k * ncls;
			uint64_t best = 0;

			for (uint64_t i = 1; i < ncls; i++)
				if (p[i] > p[best])
					best = i;
			correct += (int64_t)best == ((int64_t *)lab.data)[k];
		}
		printf("top-1 accuracy: %.2f%% (%llu/%llu)\n", 100.0 * correct / samples,
		       (unsigned long long)correct, (unsigned long long)samples);
		draw(x.data, per_in / 4, y, ncls, lab.data, show < 0 ? 0 :
		     (uint64_t)show < samples ? (uint64_t)show : samples);
	}
	if (profile) {
		unsigned int n = 0;
		uint64_t sum = 0;

		accel_model_get_layer_count(m[0], &n);
		printf("%-4s %-16s %-34s %10s %12s\n", "#", "layer", "op", "MACs", "device ns");
		for (unsigned int i = 0; i < n; i++) {
			struct accel_model_layer l;

			accel_model_get_layer(m[0], i, &l);
			printf("%-4u %-16.16s %-34.34s %10llu %12llu\n", i, l.name, l.op,
			       (unsigned long long)l.macs, (unsigned long long)l.time_ns);
			sum += l.time_ns;
		}
		printf("device time of the last batch on instance 0: %llu ns\n",
		       (unsigned long long)sum);
	}
	if (out_path) {
		int64_t shape[8];
		int r = iout.rank;

		shape[0] = (int64_t)samples;
		for (int i = 1; i < r; i++)
			shape[i] = iout.shape[i];
		ret = npy_write(out_path, "<f4", r, shape, y);
		if (ret) {
			fprintf(stderr, "vnpu-run-model: %s: %s\n", out_path, strerror(-ret));
			goto out;
		}
	}
	rc = 0;
out:
	for (int j = jobs - 1; j >= 0; j--)
		accel_model_free(m[j]);
	if (all_devices) {
		for (unsigned int i = 0; i < ndev; i++)
			accel_device_close(devs[i]);
	} else {
		accel_device_close(dev);
	}
	npy_free(&x);
	npy_free(&lab);
	free(y);
	free(xpad);
	free(ypad);
	free(lat);
	free(started);
	return rc;
}
