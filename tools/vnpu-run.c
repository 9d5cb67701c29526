// SPDX-License-Identifier: MIT
/*
 * vnpu-run: run a compiled job or a model package on a vnpu device.
 *
 * A model package (vnpu-compile's output, magic "VNPUPKG") is run by
 * vnpu-run-model, which this tool executes with the remaining arguments.
 * Anything else is a compiled job: a command stream as the device reads
 * it (what accel_cmdbuf_get_stream() returns), replayed through libaccel's
 * validating builders onto buffers bound at the device VAs the job uses.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "tool_util.h"

#define MAX_BUFS	64

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vnpu-run [OPTIONS] JOB\n"
		"       vnpu-run MODEL.vnpu [vnpu-run-model OPTIONS]\n"
		"Run a compiled job (a vnpu command stream) or a model package.\n"
		"\n"
		"A model package is handed to vnpu-run-model with every argument\n"
		"after it (see vnpu-run-model --help: inputs, outputs, batches).\n"
		"For a job:\n"
		"  -B, --buffer VA:SIZE[:FILE]  bind a buffer of SIZE bytes at device\n"
		"                               VA (page aligned), filled from FILE\n"
		"                               (else zeros); repeat for each buffer\n"
		"  -O, --output VA:SIZE[:FILE]  after the last run, write SIZE bytes\n"
		"                               at VA to FILE (else hex on stdout)\n"
		"  -d, --device DEV             device node, PCI address or index\n"
		"                               (default: $ACCEL_DEVICE, else the\n"
		"                               first device)\n"
		"  -q, --queue N                hardware queue (default 0)\n"
		"  -n, --runs N                 run the job N times (default 1)\n"
		"  -p, --progress               show a progress bar (default: on a\n"
		"                               terminal when N > 1)\n"
		"  -j, --json                   print timings and outputs as JSON\n"
		"  -h, --help                   show this help\n"
		"Numbers may be decimal or 0x-hexadecimal; SIZE may end in K or M.\n"
		"Exit status: 0, 1 on error (or a failed job), 2 on a usage error.\n");
}

struct region {
	uint64_t va, size;
	const char *file;
	struct accel_bo *bo;
	uint8_t *map;
};

static int parse_u64(const char *s, uint64_t *v, const char **rest)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (*end == 'K' || *end == 'k') {
		*v <<= 10;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		*v <<= 20;
		end++;
	}
	*rest = end;
	return 0;
}

/* "VA:SIZE[:FILE]" */
static int parse_region(const char *arg, struct region *r)
{
	const char *p;

	memset(r, 0, sizeof(*r));
	if (parse_u64(arg, &r->va, &p) || *p != ':' ||
	    parse_u64(p + 1, &r->size, &p) || (*p && *p != ':') || !r->size)
		return -1;
	r->file = *p == ':' && p[1] ? p + 1 : NULL;
	return 0;
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, r;
	char *buf = NULL, *nb;

	if (!f)
		return NULL;
	for (;;) {
		nb = realloc(buf, cap);
		if (!nb) {
			free(buf);
			fclose(f);
			errno = ENOMEM;
			return NULL;
		}
		buf = nb;
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		cap *= 2;
	}
	fclose(f);
	*len = n;
	return buf;
}

static bool is_package(const char *path)
{
	char magic[8] = "";
	FILE *f = fopen(path, "rb");
	bool yes;

	if (!f)
		return false;
	yes = fread(magic, 1, 8, f) == 8 && !memcmp(magic, "VNPUPKG", 8);
	fclose(f);
	return yes;
}

/* Run vnpu-run-model from our own directory, else from PATH. */
static int exec_model_runner(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	argv[0] = "vnpu-run-model";
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(path, sizeof(path), "%s/vnpu-run-model", self);
			execv(path, argv);
		}
	}
	execvp("vnpu-run-model", argv);
	fprintf(stderr, "vnpu-run: cannot run vnpu-run-model: %s\n",
		strerror(errno));
	return 1;
}

/* A node, an index or a PCI address; without --device, $ACCEL_DEVICE. */
static int open_device(const char *spec, struct accel_device **dev)
{
	return accel_device_open_spec(spec, dev);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void progress(long done, long total)
{
	int width = 40, fill = (int)(width * done / total), i;

	fprintf(stderr, "\r[");
	for (i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %ld/%ld", done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void hexdump(const uint8_t *p, uint64_t va, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (i % 16 == 0)
			printf("%s%012" PRIx64 ":", i ? "\n" : "", va + i);
		printf(" %02x", p[i]);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "buffer", required_argument, NULL, 'B' },
		{ "output", required_argument, NULL, 'O' },
		{ "device", required_argument, NULL, 'd' },
		{ "queue", required_argument, NULL, 'q' },
		{ "runs", required_argument, NULL, 'n' },
		{ "progress", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct region bufs[MAX_BUFS], outs[MAX_BUFS];
	unsigned int nbufs = 0, nouts = 0, i;
	const char *devspec = NULL, *job_path;
	struct accel_device *dev = NULL;
	struct accel_cmdbuf *cb = NULL;
	bool json = false, bar = false, bar_set = false;
	long runs = 1, r;
	uint32_t queue = 0;
	double *lat = NULL, t0, total;
	size_t len = 0, bad = 0;
	void *stream = NULL;
	int c, ret, status = 1;
	char *end;

	/* A package as the first argument: everything goes to the runner. */
	if (argc > 1 && argv[1][0] != '-' && is_package(argv[1]))
		return exec_model_runner(argc, argv);

	while ((c = getopt_long(argc, argv, "+B:O:d:q:n:pjh", opts, NULL)) != -1) {
		switch (c) {
		case 'B':
		case 'O':
			if ((c == 'B' ? nbufs : nouts) == MAX_BUFS ||
			    parse_region(optarg, c == 'B' ? &bufs[nbufs] : &outs[nouts])) {
				fprintf(stderr, "vnpu-run: bad region '%s'\n", optarg);
				return 2;
			}
			if (c == 'B')
				nbufs++;
			else
				nouts++;
			break;
		case 'd':
			devspec = optarg;
			break;
		case 'q':
			queue = (uint32_t)strtoul(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, "vnpu-run: bad queue '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			runs = strtol(optarg, &end, 0);
			if (*end || runs < 1) {
				fprintf(stderr, "vnpu-run: bad run count '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			bar = bar_set = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	job_path = argv[optind];
	if (is_package(job_path))
		return exec_model_runner(argc - optind + 1, argv + optind - 1);
	if (!bar_set)
		bar = runs > 1 && isatty(STDERR_FILENO);

	stream = read_file(job_path, &len);
	if (!stream) {
		fprintf(stderr, "vnpu-run: %s: %s\n", job_path, strerror(errno));
		return 1;
	}
	ret = open_device(devspec, &dev);
	if (ret) {
		fprintf(stderr, "vnpu-run: cannot open device: %s\n",
			accel_strerror(ret));
		goto out;
	}
	for (i = 0; i < nbufs; i++) {
		struct region *b = &bufs[i];
		uint64_t size = (b->size + 4095) & ~4095ull;

		ret = accel_bo_new(dev, size, 0, &b->bo);
		if (!ret)
			ret = accel_bo_bind(b->bo, b->va, 0, size, 0, NULL);
		if (!ret)
			ret = accel_bo_map(b->bo, (void **)&b->map);
		if (ret) {
			fprintf(stderr, "vnpu-run: buffer at 0x%" PRIx64 ": %s\n",
				b->va, accel_strerror(ret));
			goto out;
		}
		if (b->file) {
			size_t n;
			void *data = read_file(b->file, &n);

			if (!data) {
				fprintf(stderr, "vnpu-run: %s: %s\n", b->file,
					strerror(errno));
				goto out;
			}
			memcpy(b->map, data, n < b->size ? n : b->size);
			free(data);
		}
	}
	ret = accel_cmdbuf_new(dev, &cb);
	if (!ret)
		ret = accel_cmdbuf_append_stream(cb, stream, len, &bad);
	if (ret) {
		fprintf(stderr, "vnpu-run: %s: command at byte %zu refused: %s\n",
			job_path, bad, accel_strerror(ret));
		goto out;
	}

	lat = calloc((size_t)runs, sizeof(*lat));
	if (!lat)
		goto out;
	t0 = now_ms();
	for (r = 0; r < runs; r++) {
		struct accel_job *job;
		double t = now_ms();
		int st = 0;

		uint32_t hw = 0;
		const char *hwname = "?";

		ret = accel_job_submit(dev, cb, queue, NULL, &job);
		if (!ret) {
			ret = accel_job_wait(job, -1, &st);
			accel_job_get_hw_status(job, &hw);
			accel_job_free(job);
		}
		if (ret || st) {
			if (bar)
				fputc('\n', stderr);
			accel_hw_status_get_name(hw, &hwname);
			fprintf(stderr, "vnpu-run: run %ld: %s", r + 1,
				accel_strerror(ret ? ret : st));
			if (!ret)
				fprintf(stderr, " (device: %s)", hwname);
			fputc('\n', stderr);
			goto out;
		}
		lat[r] = now_ms() - t;
		if (bar)
			progress(r + 1, runs);
	}
	total = now_ms() - t0;
	qsort(lat, (size_t)runs, sizeof(*lat), cmp_double);

	if (json) {
		printf("{\"job\": ");
		json_str(job_path);
		printf(", \"runs\": %ld, \"total_ms\": %.3f, "
		       "\"min_ms\": %.3f, \"median_ms\": %.3f, \"p99_ms\": %.3f, "
		       "\"max_ms\": %.3f, \"runs_per_s\": %.2f, \"outputs\": [",
		       runs, total, lat[0], lat[runs / 2],
		       lat[(runs * 99) / 100 < runs ? (runs * 99) / 100 : runs - 1],
		       lat[runs - 1], total > 0 ? runs / (total / 1e3) : 0.0);
	} else {
		printf("%s: %ld run(s) in %.3f ms: min %.3f ms, median %.3f ms, "
		       "max %.3f ms\n", job_path, runs, total, lat[0],
		       lat[runs / 2], lat[runs - 1]);
	}
	for (i = 0; i < nouts; i++) {
		struct region *o = &outs[i];
		unsigned int k;
		uint8_t *p = NULL;

		for (k = 0; k < nbufs; k++)
			if (o->va >= bufs[k].va && o->size <= bufs[k].size &&
			    o->va - bufs[k].va <= bufs[k].size - o->size)
				p = bufs[k].map + (o->va - bufs[k].va);
		if (!p) {
			fprintf(stderr, "vnpu-run: output 0x%" PRIx64
				" is not inside a --buffer\n", o->va);
			goto out;
		}
		if (o->file) {
			FILE *f = fopen(o->file, "wb");

			if (!f || fwrite(p, 1, o->size, f) != o->size) {
				fprintf(stderr, "vnpu-run: %s: %s\n", o->file,
					strerror(errno));
				if (f)
					fclose(f);
				goto out;
			}
			fclose(f);
		}
		if (json) {
			uint64_t b;

			printf("%s{\"va\": %" PRIu64 ", \"size\": %" PRIu64
			       ", \"hex\": \"", i ? ", " : "", o->va, o->size);
			for (b = 0; b < o->size && b < 4096; b++)
				printf("%02x", p[b]);
			printf("\"}");
		} else if (!o->file) {
			hexdump(p, o->va, o->size);
		}
	}
	if (json)
		printf("]}\n");
	status = 0;
out:
	free(lat);
	accel_cmdbuf_free(cb);
	for (i = 0; i < nbufs; i++)
		accel_bo_free(bufs[i].bo);
	accel_device_close(dev);
	free(stream);
	return status;
}
