// SPDX-License-Identifier: MIT
/*
 * vnpu-demo: end-to-end demonstration of a vnpu device.
 *
 * Allocates a source, a destination and a timestamp buffer, fills the
 * source on the device (job 1), copies it to the destination on the device
 * (job 2, ordered after job 1 through a syncobj), then checks every byte
 * of both buffers from the CPU. Prints what it did and how long each step
 * took; exits non-zero on any error or mismatch.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel.h"

#define XFER_CHUNK	(1ull << 32)	/* most bytes per FILL/COPY */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double t_step;

static void step_begin(const char *what)
{
	printf("%-8s ", what);
	fflush(stdout);
	t_step = now_ms();
}

static void step_end(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void step_end(const char *fmt, ...)
{
	double ms = now_ms() - t_step;
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" [%.3f ms]\n", ms);
}

static int fail(const char *what, int err)
{
	printf("FAILED\n");
	fprintf(stderr, "vnpu-demo: %s: %s (%d)\n", what, accel_strerror(err),
		err);
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vnpu-demo [--size BYTES] [--device PATH] [--queue Q] [--pattern HEX]\n"
		"Fill a buffer on a vnpu device, copy it on the device, check it\n"
		"from the CPU, and time each step.\n"
		"\n"
		"  -s, --size BYTES   buffer size; suffixes K, M, G (default 16M)\n"
		"  -d, --device PATH  device node (default: the first vnpu device)\n"
		"  -q, --queue Q      hardware queue (default 0)\n"
		"  -p, --pattern HEX  32-bit fill pattern (default 0x5a3c96e1)\n"
		"  --corrupt OFFSET   flip one destination byte from the CPU before\n"
		"                     checking, to show that the check catches it\n"
		"  -h, --help         show this help\n"
		"\n"
		"Exit status: 0 if every byte matched, 1 on a mismatch or error,\n"
		"2 on a usage error.\n");
}

static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || v == 0)
		return -1;
	*out = v;
	return 0;
}

static uint8_t pattern_byte(uint32_t pattern, uint64_t i)
{
	return (uint8_t)(pattern >> (8 * (i % 4)));
}

struct mismatch {
	const char *name;
	uint64_t offset;
	uint8_t want, got;
};

#define MAX_REPORTED 5
static struct mismatch mismatches[MAX_REPORTED];
static unsigned int nmismatches;

/* Check @buf against the fill pattern; remembers the first mismatches. */
static uint64_t verify(const char *name, const uint8_t *buf, uint64_t size,
		       uint32_t pattern)
{
	uint64_t i, bad = 0;

	for (i = 0; i < size; i++) {
		uint8_t want = pattern_byte(pattern, i);

		if (buf[i] == want)
			continue;
		if (nmismatches < MAX_REPORTED)
			mismatches[nmismatches++] = (struct mismatch){
				name, i, want, buf[i] };
		bad++;
	}
	return bad;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "queue", required_argument, NULL, 'q' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "corrupt", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t corrupt = UINT64_MAX, max_bo = 0, nq = 0;
	struct accel_bo *src = NULL, *dst = NULL, *tsb = NULL;
	struct accel_cmdbuf *cb_fill = NULL, *cb_copy = NULL;
	struct accel_job *job_fill = NULL, *job_copy = NULL;
	struct accel_device *dev = NULL;
	uint64_t size = 16ull << 20, src_va, dst_va, ts_va, off, bad;
	uint32_t pattern = 0x5a3c96e1, queue = 0, syncobj = 0;
	const char *path = NULL, *node = "?", *pci = "?";
	uint8_t *src_map = NULL, *dst_map = NULL;
	uint64_t *ts = NULL;
	int c, ret, st_fill = 0, st_copy = 0, rc = 1;
	unsigned int nfill = 0, ncopy = 0;
	bool have_syncobj = false;
	double t0 = now_ms();

	/* Keep stdout and stderr in order when both go to one pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "s:d:q:p:h", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 's':
			if (parse_size(optarg, &size)) {
				fprintf(stderr, "vnpu-demo: bad size '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			path = optarg;
			break;
		case 'q':
			errno = 0;
			queue = (uint32_t)strtoul(optarg, &end, 0);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "vnpu-demo: bad queue '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			errno = 0;
			pattern = (uint32_t)strtoul(optarg, &end, 16);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "vnpu-demo: bad pattern '%s'\n", optarg);
				return 2;
			}
			break;
		case 'C':
			errno = 0;
			corrupt = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "vnpu-demo: bad offset '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vnpu-demo: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	printf("vnpu-demo: %" PRIu64 " bytes (%.2f MiB), queue %u, pattern 0x%08x\n",
	       size, (double)size / (1 << 20), queue, pattern);

	/* open */
	step_begin("open");
	ret = accel_device_open(path, &dev);
	if (ret)
		return fail(path ? path : "open the first vnpu device", ret);
	accel_device_get_devnode(dev, &node);
	accel_device_get_pci_address(dev, &pci);
	{
		int maj = 0, min = 0, pl = 0;

		accel_device_get_driver_version(dev, &maj, &min, &pl);
		step_end("%s (pci %s, driver %d.%d.%d)", node, pci, maj, min, pl);
	}
	ret = accel_device_query(dev, ACCEL_PARAM_MAX_BO_SIZE, &max_bo);
	if (!ret)
		ret = accel_device_query(dev, ACCEL_PARAM_NUM_QUEUES, &nq);
	if (ret) {
		fail("query the device", ret);
		goto out;
	}
	if (size > max_bo) {
		fprintf(stderr, "vnpu-demo: --size %" PRIu64 " is above the "
			"device's largest buffer (%" PRIu64 " bytes)\n", size, max_bo);
		goto out;
	}
	if (queue >= nq) {
		fprintf(stderr, "vnpu-demo: --queue %u: the device has queues "
			"0 to %" PRIu64 "\n", queue, nq - 1);
		goto out;
	}
	if (corrupt != UINT64_MAX && corrupt >= size) {
		fprintf(stderr, "vnpu-demo: --corrupt offset is beyond --size\n");
		goto out;
	}

	/* alloc */
	step_begin("alloc");
	ret = accel_bo_new(dev, size, 0, &src);
	if (!ret)
		ret = accel_bo_new(dev, size, 0, &dst);
	if (!ret)
		ret = accel_bo_new(dev, 4 * sizeof(uint64_t), 0, &tsb);
	if (ret) {
		fail("allocate buffers", ret);
		goto out;
	}
	accel_bo_get_va(src, &src_va);
	accel_bo_get_va(dst, &dst_va);
	accel_bo_get_va(tsb, &ts_va);
	step_end("src va 0x%" PRIx64 ", dst va 0x%" PRIx64 ", timestamps va 0x%" PRIx64,
		 src_va, dst_va, ts_va);

	/* map, and poison both buffers so that stale data cannot pass */
	step_begin("map");
	ret = accel_bo_map(src, (void **)&src_map);
	if (!ret)
		ret = accel_bo_map(dst, (void **)&dst_map);
	if (!ret)
		ret = accel_bo_map(tsb, (void **)&ts);
	if (ret) {
		fail("map buffers", ret);
		goto out;
	}
	memset(src_map, (uint8_t)~pattern_byte(pattern, 0), size);
	memset(dst_map, (uint8_t)~pattern_byte(pattern, 1), size);
	memset(ts, 0, 4 * sizeof(uint64_t));
	step_end("3 buffers mapped and poisoned from the CPU");

	/* build: job 1 = TIMESTAMP FILL TIMESTAMP, job 2 = COPY TIMESTAMP */
	step_begin("build");
	ret = accel_cmdbuf_new(dev, &cb_fill);
	if (!ret)
		ret = accel_cmdbuf_new(dev, &cb_copy);
	if (!ret)
		ret = accel_cmdbuf_timestamp(cb_fill, ts_va);
	for (off = 0; !ret && off < size; off += XFER_CHUNK) {
		uint64_t n = size - off < XFER_CHUNK ? size - off : XFER_CHUNK;

		/* Keep the pattern phase across chunks (XFER_CHUNK % 4 == 0). */
		ret = accel_cmdbuf_fill(cb_fill, src_va + off, n, pattern);
		if (!ret)
			ret = accel_cmdbuf_copy(cb_copy, dst_va + off,
						src_va + off, n);
	}
	if (!ret)
		ret = accel_cmdbuf_timestamp(cb_fill, ts_va + 8);
	if (!ret)
		ret = accel_cmdbuf_timestamp(cb_copy, ts_va + 16);
	if (ret) {
		fail("build command buffers", ret);
		goto out;
	}
	accel_cmdbuf_get_count(cb_fill, &nfill);
	accel_cmdbuf_get_count(cb_copy, &ncopy);
	step_end("job 1: %u commands (timestamp, fill, timestamp); "
		 "job 2: %u commands (copy, timestamp)", nfill, ncopy);

	/* submit: job 2 waits for job 1 through a syncobj */
	step_begin("submit");
	ret = accel_syncobj_create(dev, 0, &syncobj);
	if (ret) {
		fail("create a syncobj", ret);
		goto out;
	}
	have_syncobj = true;
	{
		struct accel_sync sync = { .handle = syncobj };
		struct accel_submit_opts o1 = { .out_syncs = &sync,
						.out_sync_count = 1 };
		struct accel_submit_opts o2 = { .in_syncs = &sync,
						.in_sync_count = 1 };
		uint64_t id1 = 0, id2 = 0;

		ret = accel_job_submit(dev, cb_fill, queue, &o1, &job_fill);
		if (ret) {
			fail("submit the fill job", ret);
			goto out;
		}
		ret = accel_job_submit(dev, cb_copy, queue, &o2, &job_copy);
		if (ret) {
			fail("submit the copy job", ret);
			goto out;
		}
		accel_job_get_id(job_fill, &id1);
		accel_job_get_id(job_copy, &id2);
		step_end("job %" PRIu64 " (fill) and job %" PRIu64
			 " (copy, after a syncobj of job %" PRIu64 ")",
			 id1, id2, id1);
	}

	/* wait */
	step_begin("wait");
	ret = accel_job_wait(job_fill, 30ll * 1000000000, &st_fill);
	if (ret) {
		fail("wait for the fill job", ret);
		goto out;
	}
	ret = accel_job_wait(job_copy, 30ll * 1000000000, &st_copy);
	if (ret) {
		fail("wait for the copy job", ret);
		goto out;
	}
	if (st_fill || st_copy) {
		uint32_t hw1 = 0, hw2 = 0;

		accel_job_get_hw_status(job_fill, &hw1);
		accel_job_get_hw_status(job_copy, &hw2);
		printf("FAILED\n");
		fprintf(stderr, "vnpu-demo: fill job: %s (hw status %u); "
			"copy job: %s (hw status %u)\n",
			accel_strerror(st_fill), hw1, accel_strerror(st_copy), hw2);
		goto out;
	}
	step_end("both jobs succeeded");
	if (ts[0] && ts[1] >= ts[0] && ts[2] >= ts[1]) {
		double fill_ms = (double)(ts[1] - ts[0]) / 1e6;
		double copy_ms = (double)(ts[2] - ts[1]) / 1e6;

		printf("         device clock: fill %.3f ms (%.1f MiB/s), "
		       "fill end to copy end %.3f ms (%.1f MiB/s)\n",
		       fill_ms, fill_ms > 0 ? (double)size / (1 << 20) / (fill_ms / 1e3) : 0,
		       copy_ms, copy_ms > 0 ? (double)size / (1 << 20) / (copy_ms / 1e3) : 0);
	} else {
		printf("vnpu-demo: device timestamps are not increasing: "
		       "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", ts[0], ts[1], ts[2]);
		fprintf(stderr, "vnpu-demo: TIMESTAMP results are wrong\n");
		goto out;
	}

	if (corrupt != UINT64_MAX) {
		dst_map[corrupt] ^= 0xff;
		printf("corrupt  flipped destination byte %" PRIu64 " from the CPU\n",
		       corrupt);
	}

	/* verify every byte of both buffers */
	step_begin("verify");
	bad = verify("source (device fill)", src_map, size, pattern);
	bad += verify("destination (device copy)", dst_map, size, pattern);
	if (bad) {
		unsigned int k;

		printf("FAILED\n");
		for (k = 0; k < nmismatches; k++)
			fprintf(stderr, "vnpu-demo: %s mismatch at byte %" PRIu64
				" (0x%" PRIx64 "): expected 0x%02x, got 0x%02x\n",
				mismatches[k].name, mismatches[k].offset,
				mismatches[k].offset, mismatches[k].want,
				mismatches[k].got);
		fprintf(stderr, "vnpu-demo: %" PRIu64 " of %" PRIu64
			" bytes differ from the expected pattern\n", bad, 2 * size);
		goto out;
	}
	step_end("all %" PRIu64 " bytes of both buffers match", size);
	rc = 0;

out:
	accel_job_free(job_fill);
	accel_job_free(job_copy);
	if (have_syncobj)
		accel_syncobj_destroy(dev, syncobj);
	accel_cmdbuf_free(cb_fill);
	accel_cmdbuf_free(cb_copy);
	accel_bo_free(src);
	accel_bo_free(dst);
	accel_bo_free(tsb);
	accel_device_close(dev);
	printf("vnpu-demo: %s in %.3f ms\n", rc ? "FAILED" : "PASSED",
	       now_ms() - t0);
	return rc;
}
