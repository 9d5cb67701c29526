// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu job selftests: jobs that run (FILL, COPY, NOP, TIMESTAMP, verified
 * from the CPU), jobs that fail on the device (MMU fault, bad opcode, bad
 * command) and the device still working afterwards, isolation between
 * files, WAIT timeouts, and syncobjs (out-syncs signalled, in-syncs gating).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mount.h>
#include <linux/dma-buf.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define CMD_BO_SIZE	(64 * 1024ull)
#define DATA_SIZE	(64 * 1024ull)

/* One open file with a command BO and two data BOs, all mmapped. */
struct ctx {
	int fd;
	uint64_t nq, depth, va_start, va_end;
	uint32_t cmd, src, dst;
	uint64_t cmd_va, src_va, dst_va;
	uint8_t *cmd_map, *src_map, *dst_map;
	uint32_t bos[3];
};

static void ctx_bo(struct __test_metadata *_metadata, struct ctx *c,
		   uint64_t size, uint32_t flags, uint32_t *h, uint64_t *va,
		   uint8_t **map)
{
	int ret = vnpu_bo_create(c->fd, size, flags, h, va);

	ASSERT_EQ(0, ret) TH_LOG("BO_CREATE: %s", strerror(-ret));
	*map = vnpu_bo_mmap(c->fd, *h, size);
	ASSERT_NE(NULL, *map) TH_LOG("mmap: %s", strerror(errno));
}

/* Returns false (after SKIP) when the device is absent. */
static bool ctx_init(struct __test_metadata *_metadata, struct ctx *c,
		     uint32_t bo_flags)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	{
		int r = vnpu_open();

		if (r == -ENOENT)
			SKIP(return false, "%s absent", vnpu_dev_path());
		ASSERT_GE(r, 0) TH_LOG("open %s: %s", vnpu_dev_path(), strerror(-r));
		c->fd = r;
	}
	c->nq = PARAM(c->fd, DRM_VNPU_PARAM_NUM_QUEUES);
	c->depth = PARAM(c->fd, DRM_VNPU_PARAM_QUEUE_DEPTH);
	c->va_start = PARAM(c->fd, DRM_VNPU_PARAM_VA_START);
	c->va_end = PARAM(c->fd, DRM_VNPU_PARAM_VA_END);
	ctx_bo(_metadata, c, CMD_BO_SIZE, bo_flags, &c->cmd, &c->cmd_va, &c->cmd_map);
	ctx_bo(_metadata, c, DATA_SIZE, bo_flags, &c->src, &c->src_va, &c->src_map);
	ctx_bo(_metadata, c, DATA_SIZE, bo_flags, &c->dst, &c->dst_va, &c->dst_map);
	c->bos[0] = c->cmd;
	c->bos[1] = c->src;
	c->bos[2] = c->dst;
	return true;
}

static void ctx_fini(struct ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* A command buffer writer at @off bytes into the command BO. */
static struct cmdbuf cmds_at(struct ctx *c, uint64_t off)
{
	return (struct cmdbuf){ .base = c->cmd_map + off };
}

static struct drm_vnpu_submit submit_args(struct ctx *c, uint64_t off,
					  size_t len, uint32_t queue)
{
	return (struct drm_vnpu_submit){
		.bo_handles = (uintptr_t)c->bos,
		.bo_count = 3,
		.cmd_handle = c->cmd,
		.cmd_offset = off,
		.cmd_size = len,
		.queue = queue,
	};
}

static uint64_t submit(struct __test_metadata *_metadata, struct ctx *c,
		       struct drm_vnpu_submit *s)
{
	int ret = xioctl(c->fd, DRM_IOCTL_VNPU_SUBMIT, s);

	ASSERT_EQ(0, ret) TH_LOG("SUBMIT: %s", strerror(-ret));
	ASSERT_NE(0, s->job_id);
	return s->job_id;
}

static void wait_job(struct __test_metadata *_metadata, struct ctx *c,
		     uint64_t id, int32_t *status, uint32_t *hw)
{
	int ret = vnpu_wait(c->fd, id, deadline_in(VNPU_JOB_TIMEOUT_NS), status, hw);

	ASSERT_EQ(0, ret) TH_LOG("WAIT job %llu: %s", (unsigned long long)id,
				 strerror(-ret));
}

/* Run the @len bytes of commands at @off on @queue, return the results. */
static void run(struct __test_metadata *_metadata, struct ctx *c, uint64_t off,
		size_t len, uint32_t queue, int32_t *status, uint32_t *hw)
{
	struct drm_vnpu_submit s = submit_args(c, off, len, queue);

	wait_job(_metadata, c, submit(_metadata, c, &s), status, hw);
}

/* Run and require success. */
static void run_ok(struct __test_metadata *_metadata, struct ctx *c,
		   uint64_t off, size_t len, uint32_t queue)
{
	int32_t status = -1;
	uint32_t hw = VNPU_JOB_PENDING;

	run(_metadata, c, off, len, queue, &status, &hw);
	ASSERT_EQ(0, status) TH_LOG("job failed: status %d hw_status %#x",
				    status, hw);
	ASSERT_EQ(VNPU_JOB_OK, hw);
}

/* Run and require a device-side failure. */
static void run_fails(struct __test_metadata *_metadata, struct ctx *c,
		      uint64_t off, size_t len, int32_t want_status,
		      uint32_t want_hw)
{
	int32_t status = 0;
	uint32_t hw = VNPU_JOB_PENDING;

	run(_metadata, c, off, len, 0, &status, &hw);
	ASSERT_EQ(want_hw, hw) TH_LOG("hw_status %#x, expected %#x (status %d)",
				      hw, want_hw, status);
	ASSERT_EQ(want_status, status);
}

/* A FILL job on the whole dst BO, checked byte for byte. */
static void device_works(struct __test_metadata *_metadata, struct ctx *c,
			 uint32_t queue)
{
	static uint32_t pattern = 0x1a2b3c4d;
	struct cmdbuf cb = cmds_at(c, 0);
	long bad;

	pattern = pattern * 1103515245u + 12345u;
	memset(c->dst_map, 0, DATA_SIZE);
	emit_fill(&cb, c->dst_va, DATA_SIZE, pattern);
	run_ok(_metadata, c, 0, cb.len, queue);
	bad = check_fill(c->dst_map, DATA_SIZE, pattern);
	ASSERT_EQ(-1, bad) TH_LOG("device no longer works: byte %ld wrong", bad);
}

/* ------------------------------------------------------------------ */
/* Jobs that succeed, with cached and write-combined BOs               */
/* ------------------------------------------------------------------ */

FIXTURE(job) {
	struct ctx c;
};

FIXTURE_VARIANT(job) {
	uint32_t bo_flags;
};

FIXTURE_VARIANT_ADD(job, cached) {
	.bo_flags = 0,
};

FIXTURE_VARIANT_ADD(job, wc) {
	.bo_flags = DRM_VNPU_BO_WC,
};

FIXTURE_SETUP(job)
{
	ctx_init(_metadata, &self->c, variant->bo_flags);
}

FIXTURE_TEARDOWN(job)
{
	ctx_fini(&self->c);
}

TEST_F(job, nop)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);

	emit_nop(&cb);
	run_ok(_metadata, c, 0, cb.len, 0);
	/* A long run of NOPs. */
	cb = cmds_at(c, 0);
	for (int i = 0; i < 1000; i++)
		emit_nop(&cb);
	run_ok(_metadata, c, 0, cb.len, 0);
}

TEST_F(job, fill_copy)
{
	struct ctx *c = &self->c;
	/* Crosses pages and is not a multiple of 4 or 8. */
	const uint64_t n = DATA_SIZE - PAGE_SZ + 5;
	const uint32_t pattern = 0x11223344;
	struct cmdbuf cb = cmds_at(c, 0);
	long bad;

	memset(c->src_map, 0, DATA_SIZE);
	memset(c->dst_map, 0xaa, DATA_SIZE);
	emit_fill(&cb, c->src_va, n, pattern);
	emit_copy(&cb, c->src_va, c->dst_va, n);
	run_ok(_metadata, c, 0, cb.len, 0);

	bad = check_fill(c->src_map, n, pattern);
	ASSERT_EQ(-1, bad) TH_LOG("src byte %ld", bad);
	bad = check_bytes(c->src_map + n, DATA_SIZE - n, 0);
	ASSERT_EQ(-1, bad) TH_LOG("src byte %ld past the fill was written", bad);
	bad = check_fill(c->dst_map, n, pattern);
	ASSERT_EQ(-1, bad) TH_LOG("dst byte %ld", bad);
	bad = check_bytes(c->dst_map + n, DATA_SIZE - n, 0xaa);
	ASSERT_EQ(-1, bad) TH_LOG("dst byte %ld past the copy was written", bad);
}

TEST_F(job, fill_unaligned)
{
	struct ctx *c = &self->c;
	const uint64_t off = PAGE_SZ - 3, n = 2 * PAGE_SZ + 7;
	const uint32_t pattern = 0xdeadbeef;
	struct cmdbuf cb = cmds_at(c, 0);
	long bad;

	memset(c->dst_map, 0x55, DATA_SIZE);
	emit_fill(&cb, c->dst_va + off, n, pattern);
	/* Size 0 is valid and writes nothing. */
	emit_fill(&cb, c->dst_va + DATA_SIZE - 8, 0, 0);
	run_ok(_metadata, c, 0, cb.len, 0);
	bad = check_bytes(c->dst_map, off, 0x55);
	ASSERT_EQ(-1, bad) TH_LOG("byte %ld before the fill was written", bad);
	/* Byte i of the fill is byte i % 4 of the pattern, counted from dst. */
	bad = check_fill(c->dst_map + off, n, pattern);
	ASSERT_EQ(-1, bad) TH_LOG("fill byte %ld", bad);
	bad = check_bytes(c->dst_map + off + n, DATA_SIZE - off - n, 0x55);
	ASSERT_EQ(-1, bad) TH_LOG("byte %ld after the fill was written", bad);
}

TEST_F(job, copy_cpu_data)
{
	struct ctx *c = &self->c;
	const uint64_t soff = 13, doff = PAGE_SZ + 1, n = DATA_SIZE - PAGE_SZ - 20;
	struct cmdbuf cb = cmds_at(c, 0);
	uint32_t x = 12345;

	/* Data written by the CPU must be what the device reads. */
	for (uint64_t i = 0; i < DATA_SIZE; i++) {
		x = x * 1664525u + 1013904223u;
		c->src_map[i] = x >> 24;
	}
	memset(c->dst_map, 0, DATA_SIZE);
	emit_copy(&cb, c->src_va + soff, c->dst_va + doff, n);
	run_ok(_metadata, c, 0, cb.len, 0);
	ASSERT_EQ(-1, check_bytes(c->dst_map, doff, 0));
	for (uint64_t i = 0; i < n; i++) {
		ASSERT_EQ(c->src_map[soff + i], c->dst_map[doff + i])
			TH_LOG("byte %llu", (unsigned long long)i);
	}
	ASSERT_EQ(-1, check_bytes(c->dst_map + doff + n, DATA_SIZE - doff - n, 0));
}

TEST_F(job, timestamp)
{
	struct ctx *c = &self->c;
	uint64_t *ts = (uint64_t *)c->dst_map;
	struct cmdbuf cb;
	uint64_t t1, t2;

	memset(c->dst_map, 0, DATA_SIZE);
	cb = cmds_at(c, 0);
	emit_timestamp(&cb, c->dst_va);
	emit_fill(&cb, c->src_va, DATA_SIZE, 0);
	emit_timestamp(&cb, c->dst_va + 8);
	run_ok(_metadata, c, 0, cb.len, 0);
	t1 = ts[0];
	t2 = ts[1];
	ASSERT_NE(0, t1);
	ASSERT_GE(t2, t1) TH_LOG("clock went back within a job");
	ASSERT_EQ(-1, check_bytes(c->dst_map + 16, DATA_SIZE - 16, 0));

	/* A later job reads a later time. */
	cb = cmds_at(c, 0);
	emit_timestamp(&cb, c->dst_va + 16);
	run_ok(_metadata, c, 0, cb.len, 0);
	ASSERT_GT(ts[2], t2);
}

TEST_F(job, every_queue)
{
	struct ctx *c = &self->c;

	for (uint32_t q = 0; q < c->nq; q++)
		device_works(_metadata, c, q);
}

TEST_F(job, cmd_offset)
{
	struct ctx *c = &self->c;
	const uint64_t off = 2 * PAGE_SZ + 64;
	struct cmdbuf cb = cmds_at(c, 0);
	long bad;

	/* Garbage before the buffer must not be executed. */
	memset(c->cmd_map, 0xff, off);
	cb = cmds_at(c, off);
	emit_nop(&cb);
	emit_fill(&cb, c->dst_va, PAGE_SZ, 0x01020304);
	memset(c->dst_map, 0, DATA_SIZE);
	run_ok(_metadata, c, off, cb.len, 0);
	bad = check_fill(c->dst_map, PAGE_SZ, 0x01020304);
	ASSERT_EQ(-1, bad) TH_LOG("byte %ld", bad);
}

TEST_F(job, without_bo_list)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	int32_t status = -1;

	/* BOs are mapped at creation: listing them is only for sync. */
	memset(c->dst_map, 0, DATA_SIZE);
	emit_fill(&cb, c->dst_va, 64, 0x0badf00d);
	s = submit_args(c, 0, cb.len, 0);
	s.bo_handles = 0;
	s.bo_count = 0;
	wait_job(_metadata, c, submit(_metadata, c, &s), &status, NULL);
	ASSERT_EQ(0, status);
	ASSERT_EQ(-1, check_fill(c->dst_map, 64, 0x0badf00d));
}

/* ------------------------------------------------------------------ */
/* Many jobs, more than a ring holds                                   */
/* ------------------------------------------------------------------ */

FIXTURE(dev) {
	struct ctx c;
};

FIXTURE_SETUP(dev)
{
	ctx_init(_metadata, &self->c, 0);
}

FIXTURE_TEARDOWN(dev)
{
	ctx_fini(&self->c);
}

TEST_F_TIMEOUT(dev, more_jobs_than_ring_entries, 300)
{
	struct ctx *c = &self->c;
	const size_t cmd = sizeof(struct vnpu_cmd_fill);
	uint64_t n = 2 * c->depth + 3, *ids, cmd_va, data_va;
	uint32_t cmd_bo, data_bo;
	uint8_t *cmd_map, *data_map;

	if (n > 16384)
		n = 16384;
	ids = calloc(n, sizeof(*ids));
	ASSERT_NE(NULL, ids);
	ctx_bo(_metadata, c, n * cmd, 0, &cmd_bo, &cmd_va, &cmd_map);
	ctx_bo(_metadata, c, n * 8, 0, &data_bo, &data_va, &data_map);
	/* Job j writes 8 bytes of pattern j at data + 8j, all on queue 0,
	 * without waiting: the driver must hold back what the ring cannot take. */
	for (uint64_t j = 0; j < n; j++) {
		struct cmdbuf cb = { .base = cmd_map + j * cmd };
		struct drm_vnpu_submit s = {
			.cmd_handle = cmd_bo,
			.cmd_offset = j * cmd,
			.cmd_size = cmd,
		};

		emit_fill(&cb, data_va + 8 * j, 8, 0x5a000000u + j);
		ids[j] = submit(_metadata, c, &s);
	}
	for (uint64_t j = 0; j < n; j++) {
		int32_t status = -1;

		wait_job(_metadata, c, ids[j], &status, NULL);
		ASSERT_EQ(0, status) TH_LOG("job %llu", (unsigned long long)j);
		ASSERT_EQ(-1, check_fill(data_map + 8 * j, 8, 0x5a000000u + j))
			TH_LOG("job %llu's data", (unsigned long long)j);
	}
	free(ids);
}

TEST_F_TIMEOUT(dev, result_retained, 600)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	const int n = DRM_VNPU_JOB_RETAIN - 1;
	uint64_t first, *ids = calloc(n, sizeof(*ids));
	int32_t status = -1;
	uint32_t hw = VNPU_JOB_PENDING;
	struct drm_vnpu_submit s;

	ASSERT_NE(NULL, ids);
	emit_nop(&cb);
	s = submit_args(c, 0, cb.len, 0);
	first = submit(_metadata, c, &s);
	/* RETAIN - 1 later jobs end: the first job's result is still there. */
	for (int i = 0; i < n; i++) {
		s = submit_args(c, 0, cb.len, i % c->nq);
		ids[i] = submit(_metadata, c, &s);
		/* Keep at most a few hundred in flight. */
		if (i % 256 == 255)
			wait_job(_metadata, c, ids[i], NULL, NULL);
	}
	for (int i = 0; i < n; i++) {
		status = -1;
		wait_job(_metadata, c, ids[i], &status, NULL);
		ASSERT_EQ(0, status);
	}
	wait_job(_metadata, c, first, &status, &hw);
	ASSERT_EQ(0, status);
	ASSERT_EQ(VNPU_JOB_OK, hw);
	free(ids);
}

/* ------------------------------------------------------------------ */
/* Jobs that fail on the device                                        */
/* ------------------------------------------------------------------ */

TEST_F(dev, fault_unmapped_write)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);

	/* VA 0 is never mapped. */
	emit_fill(&cb, 0, 8, 0xffffffff);
	run_fails(_metadata, c, 0, cb.len, -EFAULT, VNPU_JOB_MMU_FAULT);
	device_works(_metadata, c, 0);
}

TEST_F(dev, fault_unmapped_read)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);

	memset(c->dst_map, 0x77, DATA_SIZE);
	emit_copy(&cb, 0, c->dst_va, 64);
	run_fails(_metadata, c, 0, cb.len, -EFAULT, VNPU_JOB_MMU_FAULT);
	/* Nothing may have been written from an unreadable source. */
	ASSERT_EQ(-1, check_bytes(c->dst_map, DATA_SIZE, 0x77));
	device_works(_metadata, c, 0);
}

TEST_F(dev, fault_outside_va_range)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb;

	if (c->va_start >= 2 * PAGE_SZ) {
		cb = cmds_at(c, 0);
		emit_fill(&cb, c->va_start - PAGE_SZ, 8, 1);
		run_fails(_metadata, c, 0, cb.len, -EFAULT, VNPU_JOB_MMU_FAULT);
	}
	if (c->va_end < (1ull << VNPU_VA_BITS)) {
		cb = cmds_at(c, 0);
		emit_fill(&cb, c->va_end, 8, 1);
		run_fails(_metadata, c, 0, cb.len, -EFAULT, VNPU_JOB_MMU_FAULT);
	}
	device_works(_metadata, c, 0);
}

TEST_F(dev, fault_closed_bo)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb;
	uint32_t h;
	uint64_t va;

	/* The VA works while the BO exists ... */
	ASSERT_EQ(0, vnpu_bo_create(c->fd, PAGE_SZ, 0, &h, &va));
	cb = cmds_at(c, 0);
	emit_fill(&cb, va, PAGE_SZ, 0x12345678);
	run_ok(_metadata, c, 0, cb.len, 0);
	/* ... and is unmapped (TLB included) once the last handle is gone. */
	ASSERT_EQ(0, vnpu_gem_close(c->fd, h));
	run_fails(_metadata, c, 0, cb.len, -EFAULT, VNPU_JOB_MMU_FAULT);
	device_works(_metadata, c, 0);
}

TEST_F(dev, fault_then_queued_job_runs)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s1, s2;
	uint64_t id1, id2;
	int32_t status = 0;
	uint32_t hw = 0;

	memset(c->dst_map, 0, DATA_SIZE);
	emit_fill(&cb, 0, 8, 0);
	s1 = submit_args(c, 0, cb.len, 0);
	cb = cmds_at(c, 4096);
	emit_fill(&cb, c->dst_va, DATA_SIZE, 0xcafef00d);
	s2 = submit_args(c, 4096, cb.len, 0);
	/* Back to back on one queue: the fault must not take the next job. */
	id1 = submit(_metadata, c, &s1);
	id2 = submit(_metadata, c, &s2);
	wait_job(_metadata, c, id1, &status, &hw);
	ASSERT_EQ(-EFAULT, status);
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	wait_job(_metadata, c, id2, &status, &hw);
	ASSERT_EQ(0, status) TH_LOG("hw_status %#x", hw);
	ASSERT_EQ(-1, check_fill(c->dst_map, DATA_SIZE, 0xcafef00d));
}

TEST_F(dev, bad_opcode)
{
	static const uint16_t ops[] = { VNPU_OP_COUNT, 0x100, 0xffff };
	struct ctx *c = &self->c;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct cmdbuf cb = cmds_at(c, 0);
		struct vnpu_cmd_hdr *h = cmd_put(&cb, 8);

		h->opcode = ops[i];
		h->len = 1;
		run_fails(_metadata, c, 0, cb.len, -EINVAL, VNPU_JOB_BAD_OPCODE);
	}
	device_works(_metadata, c, 0);
}

TEST_F(dev, bad_cmd_len)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb;
	struct vnpu_cmd_hdr *h;

	/* NOP claiming two words. */
	cb = cmds_at(c, 0);
	emit_nop(&cb);
	emit_nop(&cb);
	((struct vnpu_cmd_hdr *)c->cmd_map)->len = 2;
	run_fails(_metadata, c, 0, cb.len, -EINVAL, VNPU_JOB_BAD_CMD);

	/* Zero length (must not loop forever). */
	cb = cmds_at(c, 0);
	h = cmd_put(&cb, 8);
	h->opcode = VNPU_OP_NOP;
	h->len = 0;
	run_fails(_metadata, c, 0, cb.len, -EINVAL, VNPU_JOB_BAD_CMD);

	/* FILL one word short, padded so the buffer holds the claimed length. */
	cb = cmds_at(c, 0);
	emit_fill(&cb, c->dst_va, 8, 0);
	((struct vnpu_cmd_hdr *)c->cmd_map)->len = sizeof(struct vnpu_cmd_fill) / 8 - 1;
	cb.len -= 8;
	run_fails(_metadata, c, 0, cb.len, -EINVAL, VNPU_JOB_BAD_CMD);
	device_works(_metadata, c, 0);
}

TEST_F(dev, bad_cmd_truncated)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);

	/* A FILL whose body lies past the end of the command buffer. */
	emit_fill(&cb, c->dst_va, 8, 0);
	run_fails(_metadata, c, 0, 8, -EINVAL, VNPU_JOB_BAD_CMD);
	device_works(_metadata, c, 0);
}

TEST_F(dev, bad_cmd_copy_overlap)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);

	memset(c->dst_map, 0x33, DATA_SIZE);
	emit_copy(&cb, c->dst_va, c->dst_va + 8, 64);
	run_fails(_metadata, c, 0, cb.len, -EINVAL, VNPU_JOB_BAD_CMD);
	ASSERT_EQ(-1, check_bytes(c->dst_map, DATA_SIZE, 0x33));
	device_works(_metadata, c, 0);
}

TEST_F(dev, bad_cmd_fill_too_large)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);

	emit_fill(&cb, c->dst_va, VNPU_XFER_MAX + 1, 0);
	run_fails(_metadata, c, 0, cb.len, -EINVAL, VNPU_JOB_BAD_CMD);
	device_works(_metadata, c, 0);
}

TEST_F(dev, bad_cmd_timestamp_misaligned)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);

	emit_timestamp(&cb, c->dst_va + 4);
	run_fails(_metadata, c, 0, cb.len, -EINVAL, VNPU_JOB_BAD_CMD);
	device_works(_metadata, c, 0);
}

/* ---- compute ISA errors: the device's code and the documented errno ---- */

static bool has_op(struct ctx *c, unsigned int op)
{
	uint64_t ops = 0;

	return !vnpu_get_param(c->fd, DRM_VNPU_PARAM_OPS, 0, &ops) &&
	       (ops & (1ull << op));
}

/* A rank-1 tensor of @n elements of @dtype at @va. */
static struct vnpu_tensor tensor1(uint64_t va, uint8_t dtype, uint32_t n)
{
	return (struct vnpu_tensor){
		.va = va, .dtype = dtype, .rank = 1,
		.shape = { n }, .stride = { 1 },
	};
}

/* ACTIVATION (RELU) of 16 elements from src to dst, @rank given to in. */
static size_t emit_relu(struct ctx *c, uint8_t dtype, uint8_t rank)
{
	struct cmdbuf cb = cmds_at(c, 0);
	struct vnpu_cmd_unary *u = cmd_put(&cb, sizeof(*u));

	emit_hdr(&u->hdr, VNPU_OP_ACTIVATION, sizeof(*u));
	u->in = tensor1(c->src_va, dtype, 16);
	u->out = tensor1(c->dst_va, dtype, 16);
	u->in.rank = rank;
	u->param = VNPU_ACT_RELU;
	return cb.len;
}

TEST_F(dev, compute_ok_then_bad_tensor)
{
	struct ctx *c = &self->c;

	if (!has_op(c, VNPU_OP_ACTIVATION))
		SKIP(return, "the device has no ACTIVATION");
	run_ok(_metadata, c, 0, emit_relu(c, VNPU_DT_F32, 1), 0);
	/* rank 5: BAD_TENSOR is a malformed command, -EINVAL */
	run_fails(_metadata, c, 0, emit_relu(c, VNPU_DT_F32, 5), -EINVAL,
		  VNPU_JOB_BAD_TENSOR);
	device_works(_metadata, c, 0);
}

TEST_F(dev, bad_dtype)
{
	struct ctx *c = &self->c;

	if (!has_op(c, VNPU_OP_ACTIVATION))
		SKIP(return, "the device has no ACTIVATION");
	run_fails(_metadata, c, 0, emit_relu(c, VNPU_DT_COUNT, 1), -EINVAL,
		  VNPU_JOB_BAD_DTYPE);
	device_works(_metadata, c, 0);
}

TEST_F(dev, bad_quant)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct vnpu_cmd_convert *q = cmd_put(&cb, sizeof(*q));

	if (!has_op(c, VNPU_OP_QUANTIZE))
		SKIP(return, "the device has no QUANTIZE");
	emit_hdr(&q->hdr, VNPU_OP_QUANTIZE, sizeof(*q));
	q->in = tensor1(c->src_va, VNPU_DT_F32, 16);
	q->out = tensor1(c->dst_va, VNPU_DT_I8, 16);
	q->out.qmode = VNPU_QMODE_TENSOR;
	q->out.scale = 0;	/* 0.0f: a scale must be > 0 */
	run_fails(_metadata, c, 0, cb.len, -EINVAL, VNPU_JOB_BAD_QUANT);
	device_works(_metadata, c, 0);
}

/* A SEM_WAIT that runs out of time is -EIO, not a hang: no reset. */
TEST_F(dev, sem_wait_timeout)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct vnpu_cmd_sem *w = cmd_put(&cb, sizeof(*w));
	uint64_t resets = PARAM(c->fd, DRM_VNPU_PARAM_RESET_COUNT);

	if (!has_op(c, VNPU_OP_SEM_WAIT))
		SKIP(return, "the device has no SEM_WAIT");
	memset(c->dst_map, 0, 8);
	emit_hdr(&w->hdr, VNPU_OP_SEM_WAIT, sizeof(*w));
	w->va = c->dst_va;
	w->value = 1;
	w->op = VNPU_SEM_EQ;
	w->timeout_us = 1000;
	run_fails(_metadata, c, 0, cb.len, -EIO, VNPU_JOB_SEM_TIMEOUT);
	ASSERT_EQ(resets, PARAM(c->fd, DRM_VNPU_PARAM_RESET_COUNT));
	device_works(_metadata, c, 0);
}

TEST_F(dev, failure_ends_job)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct vnpu_cmd_hdr *h;

	memset(c->src_map, 0, DATA_SIZE);
	memset(c->dst_map, 0, DATA_SIZE);
	emit_fill(&cb, c->src_va, 64, 0x01010101);
	h = cmd_put(&cb, 8);
	h->opcode = 0x7777;
	h->len = 1;
	emit_fill(&cb, c->dst_va, 64, 0x02020202);
	run_fails(_metadata, c, 0, cb.len, -EINVAL, VNPU_JOB_BAD_OPCODE);
	/* Commands before the failing one ran, those after it did not. */
	ASSERT_EQ(-1, check_fill(c->src_map, 64, 0x01010101));
	ASSERT_EQ(-1, check_bytes(c->dst_map, DATA_SIZE, 0));
	device_works(_metadata, c, 0);
}

/* ------------------------------------------------------------------ */
/* Isolation between files                                             */
/* ------------------------------------------------------------------ */

TEST_F(dev, other_files_va_unmapped)
{
	struct ctx *c = &self->c;	/* the attacker */
	struct drm_vnpu_submit s;
	uint32_t h, pad;
	uint64_t va, pad_va;
	uint8_t *victim;
	struct cmdbuf cb;
	int fd2 = vnpu_open();

	ASSERT_GE(fd2, 0);
	/* Push the victim's BO above every VA the attacker has mapped. */
	ASSERT_EQ(0, vnpu_bo_create(fd2, CMD_BO_SIZE + 2 * DATA_SIZE + 16 * PAGE_SZ,
				    0, &pad, &pad_va));
	ASSERT_EQ(0, vnpu_bo_create(fd2, PAGE_SZ, 0, &h, &va));
	victim = vnpu_bo_mmap(fd2, h, PAGE_SZ);
	ASSERT_NE(NULL, victim);
	memset(victim, 0xc3, PAGE_SZ);
	ASSERT_TRUE((va >= c->cmd_va + CMD_BO_SIZE || va + PAGE_SZ <= c->cmd_va) &&
		    (va >= c->src_va + DATA_SIZE || va + PAGE_SZ <= c->src_va) &&
		    (va >= c->dst_va + DATA_SIZE || va + PAGE_SZ <= c->dst_va))
		TH_LOG("victim VA %#llx collides with one of our BOs",
		       (unsigned long long)va);

	cb = cmds_at(c, 0);
	emit_fill(&cb, va, PAGE_SZ, 0);
	run_fails(_metadata, c, 0, cb.len, -EFAULT, VNPU_JOB_MMU_FAULT);
	cb = cmds_at(c, 0);
	emit_copy(&cb, va, c->dst_va, PAGE_SZ);
	run_fails(_metadata, c, 0, cb.len, -EFAULT, VNPU_JOB_MMU_FAULT);
	ASSERT_EQ(-1, check_bytes(victim, PAGE_SZ, 0xc3));
	/* The other file's handles are unknown here (c->fd has 3 BOs). */
	s = submit_args(c, 0, 8, 0);
	s.bo_handles = 0;
	s.bo_count = 0;
	s.cmd_handle = h;
	if (h > 3) {
		ASSERT_EQ(-ENOENT, xioctl(c->fd, DRM_IOCTL_VNPU_SUBMIT, &s));
	}
	munmap(victim, PAGE_SZ);
	close(fd2);
	device_works(_metadata, c, 0);
}

TEST_F(dev, close_with_jobs_in_flight)
{
	struct ctx *c = &self->c;
	struct ctx c2;
	struct cmdbuf cb;

	/* A second file with a batch of jobs, closed without waiting. */
	if (!ctx_init(_metadata, &c2, 0))
		return;
	for (int i = 0; i < 32; i++) {
		struct drm_vnpu_submit s;

		cb = cmds_at(&c2, i * 64);
		emit_fill(&cb, i & 1 ? 0 : c2.dst_va, DATA_SIZE, i);
		s = submit_args(&c2, i * 64, cb.len, i % c2.nq);
		submit(_metadata, &c2, &s);
	}
	munmap(c2.cmd_map, CMD_BO_SIZE);
	munmap(c2.src_map, DATA_SIZE);
	munmap(c2.dst_map, DATA_SIZE);
	ctx_fini(&c2);
	device_works(_metadata, c, 0);
}

/* Several files submitting at once from threads, each checking its data. */
struct worker {
	int jobs;
	int queue_base;
	char err[160];
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct ctx c;
	int fd = vnpu_open();

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	if (fd < 0) {
		snprintf(w->err, sizeof(w->err), "open: %s", strerror(-fd));
		return NULL;
	}
	if (vnpu_get_param(fd, DRM_VNPU_PARAM_NUM_QUEUES, 0, &c.nq) ||
	    vnpu_bo_create(fd, PAGE_SZ, 0, &c.cmd, NULL) ||
	    vnpu_bo_create(fd, DATA_SIZE, 0, &c.dst, &c.dst_va) ||
	    !(c.cmd_map = vnpu_bo_mmap(fd, c.cmd, PAGE_SZ)) ||
	    !(c.dst_map = vnpu_bo_mmap(fd, c.dst, DATA_SIZE))) {
		snprintf(w->err, sizeof(w->err), "setup failed");
		goto out;
	}
	for (int i = 0; i < w->jobs && !w->err[0]; i++) {
		uint32_t pattern = (w->queue_base << 24) | i;
		struct cmdbuf cb = { .base = c.cmd_map };
		struct drm_vnpu_submit s = {
			.bo_handles = (uintptr_t)&c.dst, .bo_count = 1,
			.cmd_handle = c.cmd, .queue = (w->queue_base + i) % c.nq,
		};
		int32_t status = -1;
		int ret;

		emit_fill(&cb, c.dst_va, DATA_SIZE, pattern);
		s.cmd_size = cb.len;
		ret = xioctl(fd, DRM_IOCTL_VNPU_SUBMIT, &s);
		if (!ret)
			ret = vnpu_wait(fd, s.job_id, deadline_in(VNPU_JOB_TIMEOUT_NS),
					&status, NULL);
		if (ret || status)
			snprintf(w->err, sizeof(w->err), "job %d: %s, status %d",
				 i, strerror(-ret), status);
		else if (check_fill(c.dst_map, DATA_SIZE, pattern) != -1)
			snprintf(w->err, sizeof(w->err), "job %d: wrong data", i);
	}
out:
	close(fd);
	return NULL;
}

TEST_F_TIMEOUT(dev, concurrent_files, 240)
{
	enum { N = 4 };
	struct worker w[N];
	pthread_t th[N];

	for (int i = 0; i < N; i++) {
		w[i] = (struct worker){ .jobs = 100, .queue_base = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker_fn, &w[i]));
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(0, w[i].err[0]) TH_LOG("worker %d: %s", i, w[i].err);
	}
	device_works(_metadata, &self->c, 0);
}

/* ------------------------------------------------------------------ */
/* Priorities: a HIGH job overtakes LOW jobs already queued            */
/* ------------------------------------------------------------------ */

#define NLOW		4
#define SEM_WAITS	6	/* SEM_WAITs of a blocker, 1 s at most each */

FIXTURE(prio) {
	struct ctx blk, low, high;
};

FIXTURE_SETUP(prio)
{
	if (!ctx_init(_metadata, &self->blk, 0))
		return;
	ctx_init(_metadata, &self->low, 0);
	ctx_init(_metadata, &self->high, 0);
}

FIXTURE_TEARDOWN(prio)
{
	ctx_fini(&self->blk);
	ctx_fini(&self->low);
	ctx_fini(&self->high);
}

static void emit_sem(struct cmdbuf *cb, uint16_t op, uint64_t va,
		     uint32_t value, uint32_t sem_op, uint32_t timeout_us)
{
	struct vnpu_cmd_sem *c = cmd_put(cb, sizeof(*c));

	emit_hdr(&c->hdr, op, sizeof(*c));
	c->va = va;
	c->value = value;
	c->op = sem_op;
	c->timeout_us = timeout_us;
}

/* Jobs in the ring of hardware queue @q per debugfs "rings", or -1. */
static int ring_jobs(unsigned int q)
{
	char path[512], line[256];
	struct dirent *e;
	FILE *f = NULL;
	unsigned int i, tail, done;
	int n = -1;
	DIR *d;

	if (access("/sys/kernel/debug/accel", F_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	d = opendir("/sys/kernel/debug/accel");
	if (!d)
		return -1;
	while (!f && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/accel/%s/rings",
			 e->d_name);
		f = fopen(path, "re");
	}
	closedir(d);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "q%u: size %*u tail %u done %u", &i, &tail,
			   &done) == 3 && i == q)
			n = tail - done;
	fclose(f);
	return n;
}

#define VNPU_POWER	"/sys/class/accel/accel0/device/power/"

/*
 * Let the device runtime-suspend (power/control "auto") and wait until it
 * has; then put power/control back. False if it never did.
 */
static bool runtime_suspend_once(int ms)
{
	char control[16] = "", buf[32] = "";
	bool done = false;
	int i, fd, n;

	fd = open(VNPU_POWER "control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, control, sizeof(control) - 1);
	if (n <= 0 || pwrite(fd, "auto", 4, 0) != 4) {
		close(fd);
		return false;
	}
	for (i = 0; i <= ms / 10 && !done; i++) {
		int st = open(VNPU_POWER "runtime_status", O_RDONLY | O_CLOEXEC);

		if (st < 0)
			break;
		n = read(st, buf, sizeof(buf) - 1);
		close(st);
		done = n > 0 && !strncmp(buf, "suspended", 9);
		if (!done)
			usleep(10000);
	}
	pwrite(fd, control, strlen(control), 0);
	close(fd);
	return done;
}

/*
 * One round of prio.high_overtakes_queued_low: every engine is kept busy
 * by a NORMAL blocker job (SEM_WAIT on a word the CPU writes). A LOW file
 * queues NLOW jobs, then a HIGH file one job, all on queue 0 and all in
 * the hardware rings (driver-chosen hardware queues: 1 for LOW,
 * NUM_QUEUES - 1 for HIGH). One engine is then let go: it must run the
 * HIGH job first. Each job writes the device clock (TIMESTAMP); the engine
 * runs them one after the other, so the order of the timestamps is the
 * order they ran in.
 *
 * Not by luck: the blockers are started in an order that leaves the
 * device's round-robin pointer on the LOW queue, so at equal queue
 * priorities the LOW jobs would run first, and the device runs one
 * queue's jobs in ring order, so without routing by priority the HIGH job
 * would come last.
 */
static void prio_round(struct __test_metadata *_metadata,
		       FIXTURE_DATA(prio) *self, uint32_t engines)
{
	struct ctx *b = &self->blk, *l = &self->low, *h = &self->high;
	uint32_t nq = b->nq, lowq = 1, highq = b->nq - 1;
	uint32_t blockq[VNPU_MAX_QUEUES], nblk = 0;
	uint64_t blk_id[VNPU_MAX_QUEUES], low_id[NLOW], high_id;
	volatile uint32_t *flag = (volatile uint32_t *)b->dst_map;
	volatile uint32_t *release = flag + 64;
	uint64_t *low_ts = (uint64_t *)l->dst_map;
	uint64_t *high_ts = (uint64_t *)h->dst_map;
	int32_t status;
	uint32_t hw, q, i;
	int64_t end;

	/* blockers on queues other than LOW's and HIGH's; queue 0 last */
	for (q = 2; q < nq - 1 && nblk < engines - 1; q++)
		blockq[nblk++] = q;
	blockq[nblk++] = 0;
	memset(b->dst_map, 0, 4096);
	for (i = 0; i < nblk; i++) {
		struct cmdbuf cb = cmds_at(b, i * 1024);
		int k;

		emit_sem(&cb, VNPU_OP_SEM_SIGNAL, b->dst_va + 4 * i, 1,
			 VNPU_SEM_SET, 0);
		for (k = 0; k < SEM_WAITS; k++)
			emit_sem(&cb, VNPU_OP_SEM_WAIT,
				 b->dst_va + 256 + 4 * i, 1, VNPU_SEM_EQ,
				 1000000);
		ASSERT_EQ(0, vnpu_submit_simple(b->fd, b->cmd, i * 1024,
						cb.len, blockq[i], 0,
						&blk_id[i]));
		/* running: the next one is picked after it */
		end = deadline_in(5 * NSEC_PER_SEC);
		while (!__atomic_load_n(&flag[i], __ATOMIC_ACQUIRE))
			ASSERT_LT(now_ns(), end) TH_LOG("blocker %u never ran", i);
	}

	memset(l->dst_map, 0, 4096);
	memset(h->dst_map, 0, 4096);
	for (i = 0; i < NLOW; i++) {
		struct cmdbuf cb = cmds_at(l, i * 64);

		emit_timestamp(&cb, l->dst_va + 8 * i);
		ASSERT_EQ(0, vnpu_submit_simple(l->fd, l->cmd, i * 64, cb.len,
						0, 0, &low_id[i]));
	}
	{
		struct cmdbuf cb = cmds_at(h, 0);

		emit_timestamp(&cb, h->dst_va);
		ASSERT_EQ(0, vnpu_submit_simple(h->fd, h->cmd, 0, cb.len, 0, 0,
						&high_id));
	}

	/* all of them in their rings before an engine is free */
	if (ring_jobs(lowq) < 0) {
		usleep(500 * 1000);	/* no debugfs: can only fail, not pass */
	} else {
		end = deadline_in(5 * NSEC_PER_SEC);
		while (ring_jobs(lowq) != NLOW || ring_jobs(highq) != 1) {
			ASSERT_LT(now_ns(), end)
				TH_LOG("rings: LOW q%u %d jobs, HIGH q%u %d",
				       lowq, ring_jobs(lowq), highq,
				       ring_jobs(highq));
			usleep(1000);
		}
	}
	for (i = 0; i < nblk; i++)
		ASSERT_EQ(-ETIME, vnpu_wait(b->fd, blk_id[i], 0, NULL, NULL))
			TH_LOG("blocker %u ended too early", i);

	/* one engine free: it takes the HIGH job, then the LOW ones */
	__atomic_store_n(&release[nblk - 1], 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, vnpu_wait(h->fd, high_id, deadline_in(VNPU_JOB_TIMEOUT_NS),
			       &status, &hw));
	ASSERT_EQ(0, status);
	for (i = 0; i < NLOW; i++) {
		ASSERT_EQ(0, vnpu_wait(l->fd, low_id[i],
				       deadline_in(VNPU_JOB_TIMEOUT_NS),
				       &status, &hw));
		ASSERT_EQ(0, status);
	}
	for (i = 0; i < nblk; i++)
		__atomic_store_n(&release[i], 1, __ATOMIC_RELEASE);
	for (i = 0; i < nblk; i++) {
		ASSERT_EQ(0, vnpu_wait(b->fd, blk_id[i],
				       deadline_in(VNPU_JOB_TIMEOUT_NS),
				       &status, &hw));
		/* a blocker that timed out would have let jobs run early */
		ASSERT_EQ(0, status) TH_LOG("blocker %u: hw_status %#x", i, hw);
	}

	for (i = 0; i < NLOW; i++) {
		ASSERT_NE(0, low_ts[i]);
		if (i)
			ASSERT_LT(low_ts[i - 1], low_ts[i]);
		ASSERT_LT(high_ts[0], low_ts[i])
			TH_LOG("LOW job %u ran at %llu, before the HIGH job at %llu",
			       i, (unsigned long long)low_ts[i],
			       (unsigned long long)high_ts[0]);
	}
}

/*
 * Twice: the second time after the device was runtime-suspended, which
 * resumes with every queue priority at 0, after the first round left the
 * driver's view of the HIGH queue at HIGH.
 */
TEST_F_TIMEOUT(prio, high_overtakes_queued_low, 120)
{
	struct ctx *b = &self->blk;
	uint64_t engines = PARAM(b->fd, DRM_VNPU_PARAM_NUM_ENGINES);
	uint64_t timeout_ms = PARAM(b->fd, DRM_VNPU_PARAM_JOB_TIMEOUT_MS);
	int ret;

	if (b->nq < 3 || engines > b->nq - 2)
		SKIP(return, "%llu queues for %llu engines: no room",
		     (unsigned long long)b->nq, (unsigned long long)engines);
	if (timeout_ms < (SEM_WAITS + 2) * 1000ull)
		SKIP(return, "job timeout too short for the blockers");
	ASSERT_EQ(0, vnpu_set_priority(self->low.fd, DRM_VNPU_PRIORITY_LOW));
	ret = vnpu_set_priority(self->high.fd, DRM_VNPU_PRIORITY_HIGH);
	if (ret == -EPERM)
		SKIP(return, "no CAP_SYS_NICE");
	ASSERT_EQ(0, ret);

	prio_round(_metadata, self, engines);
	if (!runtime_suspend_once(3000))
		TH_LOG("the device did not runtime-suspend between the rounds");
	prio_round(_metadata, self, engines);
}

/* ------------------------------------------------------------------ */
/* Gated jobs: WAIT timeouts and in-syncs                              */
/* ------------------------------------------------------------------ */

/*
 * A gate is a syncobj (binary, or timeline point 3) that a job waits on
 * and that the test opens later.
 *
 * With vgem loaded, the syncobj holds a real, unsignalled foreign fence (a
 * vgem fence exported through a dma-buf as a sync_file, and transferred to
 * the timeline point for timeline gates): the way any DRM driver can be
 * gated. The test opens it with VGEM_FENCE_SIGNAL.
 *
 * Without vgem the gated tests are skipped: an in-sync without a fence is
 * rejected (see syncs.in_sync_without_fence).
 *
 * SUBMIT must queue a gated job, neither fail nor block: a watchdog thread
 * opens the gate after a few seconds so that a SUBMIT that blocks cannot
 * hang the test; it is reported.
 */
/* From the kernel's include/uapi/drm/vgem_drm.h (not shipped by libdrm). */
struct local_vgem_fence_attach {
	__u32 handle;
	__u32 flags;
	__u32 out_fence;
	__u32 pad;
};

struct local_vgem_fence_signal {
	__u32 fence;
	__u32 flags;
};

#define LOCAL_VGEM_FENCE_WRITE		0x1
#define LOCAL_IOCTL_VGEM_FENCE_ATTACH	DRM_IOWR(DRM_COMMAND_BASE + 0x01, \
						 struct local_vgem_fence_attach)
#define LOCAL_IOCTL_VGEM_FENCE_SIGNAL	DRM_IOW(DRM_COMMAND_BASE + 0x02, \
						struct local_vgem_fence_signal)

struct gate {
	int fd;
	bool timeline;
	bool vgem;
	uint32_t syncobj;
	uint64_t point;
	int vgem_fd;
	uint32_t vgem_fence;
	volatile bool submitted;
	volatile bool fired;
};

/* Put an unsignalled vgem fence into the (binary) syncobj of @g. */
static void vgem_gate_arm(struct __test_metadata *_metadata, struct gate *g)
{
	struct drm_mode_create_dumb dumb = { .width = 1024, .height = 1, .bpp = 32 };
	struct local_vgem_fence_attach attach = { .flags = LOCAL_VGEM_FENCE_WRITE };
	struct drm_prime_handle prime = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_RW, .fd = -1 };
	struct drm_syncobj_handle imp = {
		.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE,
	};
	struct drm_syncobj_transfer xfer = { 0 };
	uint32_t tmp;

	ASSERT_EQ(0, xioctl(g->vgem_fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb));
	attach.handle = dumb.handle;
	ASSERT_EQ(0, xioctl(g->vgem_fd, LOCAL_IOCTL_VGEM_FENCE_ATTACH, &attach));
	g->vgem_fence = attach.out_fence;
	prime.handle = dumb.handle;
	ASSERT_EQ(0, xioctl(g->vgem_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime));
	ASSERT_EQ(0, xioctl(prime.fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp));
	close(prime.fd);
	ASSERT_EQ(0, syncobj_create(g->fd, 0, &tmp));
	imp.handle = tmp;
	imp.fd = exp.fd;
	ASSERT_EQ(0, xioctl(g->fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp));
	close(exp.fd);
	/* Move the fence into the gate: as is, or at the timeline point. */
	xfer.src_handle = tmp;
	xfer.dst_handle = g->syncobj;
	xfer.dst_point = g->point;
	ASSERT_EQ(0, xioctl(g->fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &xfer));
	ASSERT_EQ(0, syncobj_destroy(g->fd, tmp));
	/* Armed: a wait on the gate times out. */
	if (g->timeline) {
		ASSERT_EQ(-ETIME, syncobj_timeline_wait(g->fd, g->syncobj, g->point,
							0, 0));
	} else {
		ASSERT_EQ(-ETIME, syncobj_wait(g->fd, g->syncobj, 0, 0));
	}
}

static void gate_open(struct gate *g)
{
	struct local_vgem_fence_signal sig = { .fence = g->vgem_fence };

	if (g->vgem)
		xioctl(g->vgem_fd, LOCAL_IOCTL_VGEM_FENCE_SIGNAL, &sig);
}

static void *gate_watchdog(void *arg)
{
	struct gate *g = arg;

	for (int i = 0; i < 500 && !g->submitted; i++)
		usleep(10000);
	if (!g->submitted) {
		g->fired = true;
		gate_open(g);
	}
	return NULL;
}

static uint64_t submit_gated(struct __test_metadata *_metadata, struct ctx *c,
			     struct drm_vnpu_submit *s, struct gate *g)
{
	struct drm_vnpu_sync in = {
		.handle = g->syncobj,
		.flags = g->timeline ? DRM_VNPU_SYNC_TIMELINE : 0,
		.point = g->point,
	};
	pthread_t th;
	int ret;

	s->in_syncs = (uintptr_t)&in;
	s->in_sync_count = 1;
	g->submitted = false;
	g->fired = false;
	ASSERT_EQ(0, pthread_create(&th, NULL, gate_watchdog, g));
	ret = xioctl(c->fd, DRM_IOCTL_VNPU_SUBMIT, s);
	g->submitted = true;
	pthread_join(th, NULL);
	ASSERT_FALSE(g->fired)
		TH_LOG("SUBMIT blocked until its unsignalled in-sync was signalled");
	ASSERT_EQ(0, ret)
		TH_LOG("SUBMIT with an unsignalled (vgem) in-sync: %s",
		       strerror(-ret));
	return s->job_id;
}

/* An armed gate; SKIPs (the test does not run) without a vgem device. */
static void gate_init(struct __test_metadata *_metadata, struct ctx *c,
		      struct gate *g, bool timeline)
{
	memset(g, 0, sizeof(*g));
	g->fd = c->fd;
	g->timeline = timeline;
	g->point = timeline ? 3 : 0;
	g->vgem_fd = vnpu_vgem_open();
	if (g->vgem_fd < 0)
		SKIP(return, "no vgem device to gate jobs with a foreign fence");
	g->vgem = true;
	ASSERT_EQ(0, syncobj_create(c->fd, 0, &g->syncobj));
	vgem_gate_arm(_metadata, g);
}

FIXTURE(gated) {
	struct ctx c;
	struct gate g;
};

FIXTURE_VARIANT(gated) {
	bool timeline;
};

FIXTURE_VARIANT_ADD(gated, binary) {
	.timeline = false,
};

FIXTURE_VARIANT_ADD(gated, timeline) {
	.timeline = true,
};

FIXTURE_SETUP(gated)
{
	if (!ctx_init(_metadata, &self->c, 0))
		return;
	gate_init(_metadata, &self->c, &self->g, variant->timeline);
}

FIXTURE_TEARDOWN(gated)
{
	/* Never leave a job waiting on a foreign fence. */
	if (self->g.vgem) {
		gate_open(&self->g);
		close(self->g.vgem_fd);
	}
	ctx_fini(&self->c);
}

/* The job does not run while gated; opening the gate lets it complete. */
TEST_F(gated, in_sync_gates_job)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	int32_t status = -1;
	uint32_t hw = VNPU_JOB_PENDING;
	uint64_t id;

	memset(c->dst_map, 0, DATA_SIZE);
	emit_fill(&cb, c->dst_va, DATA_SIZE, 0x600d600d);
	s = submit_args(c, 0, cb.len, 0);
	id = submit_gated(_metadata, c, &s, &self->g);

	usleep(300 * 1000);
	ASSERT_EQ(-ETIME, vnpu_wait(c->fd, id, 0, NULL, NULL));
	ASSERT_EQ(-1, check_bytes(c->dst_map, DATA_SIZE, 0))
		TH_LOG("the job ran before its in-sync signalled");
	gate_open(&self->g);
	wait_job(_metadata, c, id, &status, &hw);
	ASSERT_EQ(0, status);
	ASSERT_EQ(VNPU_JOB_OK, hw);
	ASSERT_EQ(-1, check_fill(c->dst_map, DATA_SIZE, 0x600d600d));
}

/*
 * The out-syncobj exported as a sync_file: poll() says "not ready" while
 * the job is gated and POLLIN once it has run.
 */
TEST_F(gated, sync_file_poll)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	struct drm_vnpu_sync out = { 0 };
	struct drm_syncobj_handle h = {
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		.fd = -1,
	};
	struct pollfd pfd = { .events = POLLIN };
	uint64_t id;

	ASSERT_EQ(0, syncobj_create(c->fd, 0, &out.handle));
	memset(c->dst_map, 0, DATA_SIZE);
	emit_fill(&cb, c->dst_va, DATA_SIZE, 0x5f11e5f1);
	s = submit_args(c, 0, cb.len, 0);
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	id = submit_gated(_metadata, c, &s, &self->g);

	h.handle = out.handle;
	ASSERT_EQ(0, xioctl(c->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h));
	ASSERT_GE(h.fd, 0);
	pfd.fd = h.fd;
	ASSERT_EQ(0, poll(&pfd, 1, 200)) TH_LOG("sync_file ready while gated");

	gate_open(&self->g);
	ASSERT_EQ(1, poll(&pfd, 1, VNPU_JOB_TIMEOUT_NS / 1000000));
	ASSERT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(0, vnpu_wait(c->fd, id, 0, NULL, NULL));
	ASSERT_EQ(-1, check_fill(c->dst_map, DATA_SIZE, 0x5f11e5f1));
	close(h.fd);
	ASSERT_EQ(0, syncobj_destroy(c->fd, out.handle));
}

TEST_F(gated, wait_past_deadline)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	uint64_t id;
	int32_t status = -1;

	emit_nop(&cb);
	s = submit_args(c, 0, cb.len, 0);
	id = submit_gated(_metadata, c, &s, &self->g);
	ASSERT_EQ(-ETIME, vnpu_wait(c->fd, id, 0, NULL, NULL));
	ASSERT_EQ(-ETIME, vnpu_wait(c->fd, id, now_ns() - NSEC_PER_SEC, NULL, NULL));
	ASSERT_EQ(-ETIME, vnpu_wait(c->fd, id, INT64_MIN, NULL, NULL));
	gate_open(&self->g);
	wait_job(_metadata, c, id, &status, NULL);
	ASSERT_EQ(0, status);
}

TEST_F(gated, wait_deadline_elapses)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	int64_t deadline, end;
	uint64_t id;
	int32_t status = -1;

	emit_nop(&cb);
	s = submit_args(c, 0, cb.len, 0);
	id = submit_gated(_metadata, c, &s, &self->g);
	deadline = deadline_in(500 * 1000 * 1000);
	ASSERT_EQ(-ETIME, vnpu_wait(c->fd, id, deadline, NULL, NULL));
	end = now_ns();
	ASSERT_GE(end, deadline) TH_LOG("WAIT returned %lld ns early",
					(long long)(deadline - end));
	gate_open(&self->g);
	wait_job(_metadata, c, id, &status, NULL);
	ASSERT_EQ(0, status);
}

/* Closing a file whose job can never run must not hang or leak. */
TEST_F(gated, close_with_gated_job)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	struct ctx c2;

	emit_fill(&cb, c->dst_va, DATA_SIZE, 1);
	s = submit_args(c, 0, cb.len, 0);
	submit_gated(_metadata, c, &s, &self->g);
	munmap(c->cmd_map, CMD_BO_SIZE);
	munmap(c->src_map, DATA_SIZE);
	munmap(c->dst_map, DATA_SIZE);
	ctx_fini(c);
	/* A new file still gets work done. */
	if (!ctx_init(_metadata, &c2, 0))
		return;
	device_works(_metadata, &c2, 0);
	ctx_fini(&c2);
}

/*
 * Implicit sync: a job listing a BO waits for an earlier job that listed
 * it; a job on another queue that does not list it is not held up.
 */
TEST_F(gated, implicit_sync_on_listed_bo)
{
	struct ctx *c = &self->c;
	struct drm_vnpu_submit a, b, o;
	struct cmdbuf cb;
	uint32_t other;
	uint64_t ida, idb, ido, other_va;
	uint8_t *other_map;
	int32_t status = -1;
	uint32_t only_dst[1] = { c->dst };

	ctx_bo(_metadata, c, PAGE_SZ, 0, &other, &other_va, &other_map);
	memset(c->dst_map, 0, DATA_SIZE);
	cb = cmds_at(c, 0);
	emit_fill(&cb, c->dst_va, DATA_SIZE, 0xaaaaaaaa);
	a = submit_args(c, 0, cb.len, 0);
	a.bo_handles = (uintptr_t)only_dst;
	a.bo_count = 1;
	ida = submit_gated(_metadata, c, &a, &self->g);

	cb = cmds_at(c, 8192);
	emit_fill(&cb, other_va, PAGE_SZ, 0xcccccccc);
	o = submit_args(c, 8192, cb.len, c->nq - 1);
	o.bo_handles = (uintptr_t)&other;
	o.bo_count = 1;
	if (c->nq > 1) {
		/* Independent work still runs while A is gated. */
		ido = submit(_metadata, c, &o);
		wait_job(_metadata, c, ido, &status, NULL);
		ASSERT_EQ(0, status);
		ASSERT_EQ(-1, check_fill(other_map, PAGE_SZ, 0xcccccccc));
	}

	cb = cmds_at(c, 4096);
	emit_fill(&cb, c->dst_va, DATA_SIZE, 0xbbbbbbbb);
	b = submit_args(c, 4096, cb.len, c->nq - 1);
	b.bo_handles = (uintptr_t)only_dst;
	b.bo_count = 1;
	idb = submit(_metadata, c, &b);
	usleep(300 * 1000);
	ASSERT_EQ(-ETIME, vnpu_wait(c->fd, idb, 0, NULL, NULL))
		TH_LOG("B ran although A, which lists the same BO, is gated");
	ASSERT_EQ(-1, check_bytes(c->dst_map, DATA_SIZE, 0));

	gate_open(&self->g);
	wait_job(_metadata, c, idb, &status, NULL);
	ASSERT_EQ(0, status);
	wait_job(_metadata, c, ida, &status, NULL);
	ASSERT_EQ(0, status);
	/* B wrote last. */
	ASSERT_EQ(-1, check_fill(c->dst_map, DATA_SIZE, 0xbbbbbbbb));
	munmap(other_map, PAGE_SZ);
}

/* Closing the handles of a queued job's BOs must not crash anything: the
 * job either still runs (it holds the BOs) or faults cleanly. */
TEST_F(gated, close_bos_while_queued)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	int32_t status = 1;
	uint32_t hw = VNPU_JOB_PENDING;
	uint64_t id;

	emit_fill(&cb, c->dst_va, DATA_SIZE, 0x99999999);
	emit_copy(&cb, c->dst_va, c->src_va, DATA_SIZE);
	s = submit_args(c, 0, cb.len, 0);
	id = submit_gated(_metadata, c, &s, &self->g);
	munmap(c->cmd_map, CMD_BO_SIZE);
	munmap(c->src_map, DATA_SIZE);
	munmap(c->dst_map, DATA_SIZE);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, vnpu_gem_close(c->fd, c->bos[i]));
	gate_open(&self->g);
	wait_job(_metadata, c, id, &status, &hw);
	ASSERT_TRUE((status == 0 && hw == VNPU_JOB_OK) ||
		    (status == -EFAULT && hw == VNPU_JOB_MMU_FAULT))
		TH_LOG("status %d hw_status %#x", status, hw);
	/* New BOs in the same file work. */
	ctx_bo(_metadata, c, CMD_BO_SIZE, 0, &c->cmd, &c->cmd_va, &c->cmd_map);
	ctx_bo(_metadata, c, DATA_SIZE, 0, &c->src, &c->src_va, &c->src_map);
	ctx_bo(_metadata, c, DATA_SIZE, 0, &c->dst, &c->dst_va, &c->dst_map);
	c->bos[0] = c->cmd;
	c->bos[1] = c->src;
	c->bos[2] = c->dst;
	device_works(_metadata, c, 0);
}

/* ------------------------------------------------------------------ */
/* Out-syncs                                                           */
/* ------------------------------------------------------------------ */

FIXTURE(syncs) {
	struct ctx c;
};

FIXTURE_VARIANT(syncs) {
	bool timeline;
};

FIXTURE_VARIANT_ADD(syncs, binary) {
	.timeline = false,
};

FIXTURE_VARIANT_ADD(syncs, timeline) {
	.timeline = true,
};

FIXTURE_SETUP(syncs)
{
	ctx_init(_metadata, &self->c, 0);
}

FIXTURE_TEARDOWN(syncs)
{
	ctx_fini(&self->c);
}

TEST_F(syncs, out_sync_signalled)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	struct drm_vnpu_sync out = { 0 };
	int32_t status = -1;
	uint32_t so;
	uint64_t point = 0;
	int ret;

	ASSERT_EQ(0, syncobj_create(c->fd, 0, &so));
	out.handle = so;
	if (variant->timeline) {
		out.flags = DRM_VNPU_SYNC_TIMELINE;
		out.point = 5;
	}
	emit_fill(&cb, c->dst_va, DATA_SIZE, 0x0f0f0f0f);
	s = submit_args(c, 0, cb.len, 0);
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	memset(c->dst_map, 0, DATA_SIZE);
	submit(_metadata, c, &s);
	if (variant->timeline) {
		ret = syncobj_timeline_wait(c->fd, so, 5,
					    deadline_in(VNPU_JOB_TIMEOUT_NS),
					    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
		ASSERT_EQ(0, ret) TH_LOG("timeline wait: %s", strerror(-ret));
		ASSERT_EQ(0, syncobj_query(c->fd, so, &point));
		ASSERT_EQ(5, point);
	} else {
		ret = syncobj_wait(c->fd, so, deadline_in(VNPU_JOB_TIMEOUT_NS),
				   DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
		ASSERT_EQ(0, ret) TH_LOG("syncobj wait: %s", strerror(-ret));
	}
	/* Signalled means done: the data is there. */
	ASSERT_EQ(-1, check_fill(c->dst_map, DATA_SIZE, 0x0f0f0f0f));
	wait_job(_metadata, c, s.job_id, &status, NULL);
	ASSERT_EQ(0, status);
}

/*
 * An in-sync that has no fence yet (a binary syncobj never signalled, or a
 * timeline point nothing has been submitted for) is rejected with -EINVAL,
 * as DRM_IOCTL_SYNCOBJ_WAIT does without WAIT_FOR_SUBMIT; nothing is queued.
 */
TEST_F(syncs, in_sync_without_fence)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	struct drm_vnpu_sync in = {
		.flags = variant->timeline ? DRM_VNPU_SYNC_TIMELINE : 0,
		.point = variant->timeline ? 3 : 0,
	};

	ASSERT_EQ(0, syncobj_create(c->fd, 0, &in.handle));
	memset(c->dst_map, 0, DATA_SIZE);
	emit_fill(&cb, c->dst_va, DATA_SIZE, 0x5eed5eed);
	s = submit_args(c, 0, cb.len, 0);
	s.in_syncs = (uintptr_t)&in;
	s.in_sync_count = 1;
	ASSERT_EQ(-EINVAL, xioctl(c->fd, DRM_IOCTL_VNPU_SUBMIT, &s));
	usleep(100 * 1000);
	ASSERT_EQ(-1, check_bytes(c->dst_map, DATA_SIZE, 0));
}

/* A job that fails on the device still signals its out-syncs. */
TEST_F(syncs, out_sync_on_failed_job)
{
	struct ctx *c = &self->c;
	struct cmdbuf cb = cmds_at(c, 0);
	struct drm_vnpu_submit s;
	struct drm_vnpu_sync out = { 0 };
	int32_t status = 0;
	int ret;

	ASSERT_EQ(0, syncobj_create(c->fd, 0, &out.handle));
	if (variant->timeline) {
		out.flags = DRM_VNPU_SYNC_TIMELINE;
		out.point = 2;
	}
	emit_fill(&cb, 0, 8, 0);
	s = submit_args(c, 0, cb.len, 0);
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	submit(_metadata, c, &s);
	if (variant->timeline)
		ret = syncobj_timeline_wait(c->fd, out.handle, 2,
					    deadline_in(VNPU_JOB_TIMEOUT_NS),
					    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
	else
		ret = syncobj_wait(c->fd, out.handle, deadline_in(VNPU_JOB_TIMEOUT_NS),
				   DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
	ASSERT_EQ(0, ret) TH_LOG("out-sync of a failed job: %s", strerror(-ret));
	wait_job(_metadata, c, s.job_id, &status, NULL);
	ASSERT_EQ(-EFAULT, status);
}

/* Job B (another queue) waits for job A through a syncobj. */
TEST_F(syncs, chained_jobs)
{
	struct ctx *c = &self->c;
	struct drm_vnpu_sync sync = { 0 };
	struct drm_vnpu_submit a, b;
	struct cmdbuf cb;
	int32_t status = -1;
	uint64_t ida, idb;

	ASSERT_EQ(0, syncobj_create(c->fd, 0, &sync.handle));
	if (variant->timeline) {
		sync.flags = DRM_VNPU_SYNC_TIMELINE;
		sync.point = 7;
	}
	memset(c->src_map, 0, DATA_SIZE);
	memset(c->dst_map, 0, DATA_SIZE);
	cb = cmds_at(c, 0);
	for (int i = 0; i < 16; i++)
		emit_fill(&cb, c->src_va, DATA_SIZE, 0x10203040 + i);
	a = submit_args(c, 0, cb.len, 0);
	a.out_syncs = (uintptr_t)&sync;
	a.out_sync_count = 1;
	cb = cmds_at(c, 4096);
	emit_copy(&cb, c->src_va, c->dst_va, DATA_SIZE);
	b = submit_args(c, 4096, cb.len, c->nq - 1);
	b.bo_handles = 0;	/* no implicit sync: only the syncobj orders them */
	b.bo_count = 0;
	b.in_syncs = (uintptr_t)&sync;
	b.in_sync_count = 1;
	ida = submit(_metadata, c, &a);
	idb = submit(_metadata, c, &b);
	wait_job(_metadata, c, idb, &status, NULL);
	ASSERT_EQ(0, status);
	wait_job(_metadata, c, ida, &status, NULL);
	ASSERT_EQ(0, status);
	ASSERT_EQ(-1, check_fill(c->dst_map, DATA_SIZE, 0x10203040 + 15));
}

TEST_HARNESS_MAIN
