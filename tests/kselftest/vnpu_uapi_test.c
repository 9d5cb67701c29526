// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu uAPI selftests: GET_PARAM, BO_CREATE, BO_INFO, mmap and the
 * argument checking of SUBMIT and WAIT, each failure path with the errno
 * documented in uapi/drm/vnpu_accel.h.
 *
 * The node is /dev/accel/accel0 unless VNPU_DEV says otherwise; every test
 * is skipped when it is absent.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <linux/capability.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

/* ------------------------------------------------------------------ */
/* GET_PARAM                                                           */
/* ------------------------------------------------------------------ */

FIXTURE(param) {
	int fd;
};

FIXTURE_SETUP(param)
{
	self->fd = -1;
	VNPU_OPEN_OR_SKIP(self->fd);
}

FIXTURE_TEARDOWN(param)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(param, device_id)
{
	ASSERT_EQ(VNPU_PCI_DEVICE_ID, PARAM(self->fd, DRM_VNPU_PARAM_DEVICE_ID));
}

TEST_F(param, revision)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_REVISION);

	/* major << 16 | minor, from the VERSION register */
	ASSERT_EQ(0, v >> 32);
	ASSERT_EQ(VNPU_VERSION_MAJOR, v >> 16);
}

TEST_F(param, num_queues)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_NUM_QUEUES);

	ASSERT_GE(v, 1);
	ASSERT_LE(v, VNPU_MAX_QUEUES);
}

TEST_F(param, num_engines)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_NUM_ENGINES);

	ASSERT_GE(v, 1);
	ASSERT_LE(v, 1024);
}

TEST_F(param, queue_depth)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_QUEUE_DEPTH);

	ASSERT_GE(v, VNPU_RING_MIN_ENTRIES);
	ASSERT_LE(v, VNPU_RING_MAX_ENTRIES);
	ASSERT_EQ(0, v & (v - 1)) TH_LOG("depth %llu is not a power of two",
					 (unsigned long long)v);
}

TEST_F(param, devmem_size)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_DEVMEM_SIZE);

	/* May be 0 (no BAR2); otherwise whole pages. */
	ASSERT_EQ(0, v % PAGE_SZ);
}

TEST_F(param, va_range)
{
	uint64_t bits = PARAM(self->fd, DRM_VNPU_PARAM_VA_BITS);
	uint64_t start = PARAM(self->fd, DRM_VNPU_PARAM_VA_START);
	uint64_t end = PARAM(self->fd, DRM_VNPU_PARAM_VA_END);

	ASSERT_GT(bits, VNPU_PAGE_SHIFT);
	ASSERT_LE(bits, VNPU_VA_BITS);
	/* VA 0 is never mapped, so the range cannot start there. */
	ASSERT_NE(0, start);
	ASSERT_EQ(0, start % PAGE_SZ);
	ASSERT_EQ(0, end % PAGE_SZ);
	ASSERT_GT(end, start);
	ASSERT_LE(end, 1ull << bits);
}

TEST_F(param, page_sizes)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_PAGE_SIZES);

	ASSERT_TRUE(v & (1ull << VNPU_PAGE_SHIFT)) TH_LOG("no 4 KiB pages: %#llx",
						     (unsigned long long)v);
	/* The MMU knows 4 KiB and 2 MiB pages only. */
	ASSERT_EQ(0, v & ~((1ull << VNPU_PAGE_SHIFT) | (1ull << VNPU_HUGE_SHIFT)));
}

TEST_F(param, ops)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_OPS);

	ASSERT_TRUE(v & (1ull << VNPU_OP_NOP));
	ASSERT_TRUE(v & (1ull << VNPU_OP_FILL));
	ASSERT_TRUE(v & (1ull << VNPU_OP_COPY));
	ASSERT_TRUE(v & (1ull << VNPU_OP_TIMESTAMP));
}

TEST_F(param, context_id_per_file)
{
	uint64_t a = PARAM(self->fd, DRM_VNPU_PARAM_CONTEXT_ID);
	uint64_t b, again;
	int fd2 = vnpu_open();

	ASSERT_GE(fd2, 0);
	b = PARAM(fd2, DRM_VNPU_PARAM_CONTEXT_ID);
	again = PARAM(self->fd, DRM_VNPU_PARAM_CONTEXT_ID);
	close(fd2);
	ASSERT_LT(a, VNPU_MAX_CONTEXTS);
	ASSERT_LT(b, VNPU_MAX_CONTEXTS);
	ASSERT_NE(a, b);
	/* Stable for the life of the file. */
	ASSERT_EQ(a, again);
}

/* Context-table entries come back when files close: open and close far
 * more files than there are contexts. */
TEST_F_TIMEOUT(param, context_ids_recycled, 120)
{
	for (int i = 0; i < 2 * VNPU_MAX_CONTEXTS + 8; i++) {
		int fd = vnpu_open();
		uint64_t id;

		ASSERT_GE(fd, 0) TH_LOG("open #%d: %s", i, strerror(-fd));
		ASSERT_EQ(0, vnpu_get_param(fd, DRM_VNPU_PARAM_CONTEXT_ID, 0, &id));
		ASSERT_LT(id, VNPU_MAX_CONTEXTS);
		close(fd);
	}
}

TEST_F(param, max_bo_size)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_MAX_BO_SIZE);
	uint64_t start = PARAM(self->fd, DRM_VNPU_PARAM_VA_START);
	uint64_t end = PARAM(self->fd, DRM_VNPU_PARAM_VA_END);

	ASSERT_GE(v, PAGE_SZ);
	ASSERT_LE(v, end - start);
}

TEST_F(param, max_cmd_size)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_MAX_CMD_SIZE);

	ASSERT_GE(v, 8);
	ASSERT_EQ(0, v % 8);
	ASSERT_LE(v, VNPU_CMD_MAX_SIZE);
}

TEST_F(param, driver_version)
{
	uint64_t v = PARAM(self->fd, DRM_VNPU_PARAM_DRIVER_VERSION);
	char name[16] = "";
	struct drm_version ver = { .name = name, .name_len = sizeof(name) - 1 };

	ASSERT_EQ(DRM_VNPU_DRIVER_MAJOR << 16 | DRM_VNPU_DRIVER_MINOR, v);
	ASSERT_EQ(0, xioctl(self->fd, DRM_IOCTL_VERSION, &ver));
	ASSERT_STREQ("vnpu", name);
	ASSERT_EQ(DRM_VNPU_DRIVER_MAJOR, ver.version_major);
	ASSERT_EQ(DRM_VNPU_DRIVER_MINOR, ver.version_minor);
}

TEST_F(param, capabilities)
{
	uint64_t caps = PARAM(self->fd, DRM_VNPU_PARAM_CAPABILITIES);
	uint64_t devmem = PARAM(self->fd, DRM_VNPU_PARAM_DEVMEM_SIZE);
	const uint64_t always = DRM_VNPU_CAP_VM_BIND | DRM_VNPU_CAP_USERPTR |
				DRM_VNPU_CAP_PRIME | DRM_VNPU_CAP_PRIORITY;

	ASSERT_EQ(always, caps & always);
	ASSERT_EQ(!!devmem, !!(caps & DRM_VNPU_CAP_DEVMEM));
	ASSERT_EQ(0, caps & ~((DRM_VNPU_CAP_ENGINE_RESET << 1) - 1));
}

TEST_F(param, num_contexts)
{
	uint64_t n = PARAM(self->fd, DRM_VNPU_PARAM_NUM_CONTEXTS);

	ASSERT_GE(n, 1);
	ASSERT_LT(n, VNPU_MAX_CONTEXTS);
}

TEST_F(param, dtypes)
{
	uint64_t dt = PARAM(self->fd, DRM_VNPU_PARAM_DTYPES);
	uint64_t ops = PARAM(self->fd, DRM_VNPU_PARAM_OPS);

	/* bit 0 is never a dtype; only VNPU_DT_* bits */
	ASSERT_EQ(0, dt & 1);
	ASSERT_EQ(0, dt >> VNPU_DT_COUNT);
	/* a device with GEMM takes at least F32 */
	if (ops & (1ull << VNPU_OP_GEMM))
		ASSERT_TRUE(dt & (1ull << VNPU_DT_F32));
}

/*
 * Extensible structs: the DRM core zero-fills what an older, shorter
 * struct lacks and ignores what a newer, longer one adds.
 */
struct param_v0 {
	__u32 param;
	__u32 index;
};

struct param_next {
	struct drm_vnpu_param p;
	__u64 future;
};

TEST_F(param, shorter_struct_zero_extended)
{
	struct param_v0 p = { .param = DRM_VNPU_PARAM_DEVICE_ID };
	unsigned long req = DRM_IOWR(DRM_COMMAND_BASE + DRM_VNPU_GET_PARAM,
				     struct param_v0);

	ASSERT_EQ(0, xioctl(self->fd, req, &p));
	/* index is still checked */
	p.index = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, req, &p));
}

TEST_F(param, longer_struct_tail_ignored)
{
	struct param_next p = {
		.p.param = DRM_VNPU_PARAM_DEVICE_ID, .future = 0x5a5a5a5a5a5a5a5aull,
	};
	unsigned long req = DRM_IOWR(DRM_COMMAND_BASE + DRM_VNPU_GET_PARAM,
				     struct param_next);

	ASSERT_EQ(0, xioctl(self->fd, req, &p));
	ASSERT_EQ(VNPU_PCI_DEVICE_ID, p.p.value);
	ASSERT_EQ(0x5a5a5a5a5a5a5a5aull, p.future);
}

TEST_F(param, recovery_state_of_new_file)
{
	ASSERT_EQ(0, PARAM(self->fd, DRM_VNPU_PARAM_CONTEXT_HANGS));
	ASSERT_EQ(0, PARAM(self->fd, DRM_VNPU_PARAM_CONTEXT_FAULTS));
	ASSERT_EQ(0, PARAM(self->fd, DRM_VNPU_PARAM_CONTEXT_BANNED));
	ASSERT_GE(PARAM(self->fd, DRM_VNPU_PARAM_HANG_LIMIT), 1);
	ASSERT_GE(PARAM(self->fd, DRM_VNPU_PARAM_JOB_TIMEOUT_MS), 1);
	(void)PARAM(self->fd, DRM_VNPU_PARAM_RESET_COUNT);
}

/* ---- CTX_SET_PARAM: priority ---- */

TEST_F(param, priority_default_normal)
{
	ASSERT_EQ(DRM_VNPU_PRIORITY_NORMAL,
		  PARAM(self->fd, DRM_VNPU_PARAM_PRIORITY));
}

TEST_F(param, priority_lower_and_back)
{
	ASSERT_EQ(0, vnpu_set_priority(self->fd, DRM_VNPU_PRIORITY_LOW));
	ASSERT_EQ(DRM_VNPU_PRIORITY_LOW, PARAM(self->fd, DRM_VNPU_PARAM_PRIORITY));
	ASSERT_EQ(0, vnpu_set_priority(self->fd, DRM_VNPU_PRIORITY_NORMAL));
	ASSERT_EQ(DRM_VNPU_PRIORITY_NORMAL,
		  PARAM(self->fd, DRM_VNPU_PARAM_PRIORITY));
}

TEST_F(param, priority_high_with_cap_sys_nice)
{
	ASSERT_EQ(0, vnpu_set_priority(self->fd, DRM_VNPU_PRIORITY_HIGH));
	ASSERT_EQ(DRM_VNPU_PRIORITY_HIGH, PARAM(self->fd, DRM_VNPU_PARAM_PRIORITY));
}

/* Drop CAP_SYS_NICE in a child: HIGH is refused, LOW still allowed. */
TEST_F(param, priority_high_without_cap_sys_nice)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];
		int fd;

		if (syscall(SYS_capget, &hdr, data))
			_exit(10);
		data[0].effective &= ~(1u << CAP_SYS_NICE);
		if (syscall(SYS_capset, &hdr, data))
			_exit(11);
		fd = vnpu_open();
		if (fd < 0)
			_exit(12);
		if (vnpu_set_priority(fd, DRM_VNPU_PRIORITY_HIGH) != -EPERM)
			_exit(13);
		if (vnpu_get_param(fd, DRM_VNPU_PARAM_PRIORITY, 0, NULL))
			_exit(14);
		if (vnpu_set_priority(fd, DRM_VNPU_PRIORITY_LOW))
			_exit(15);
		if (vnpu_set_priority(fd, DRM_VNPU_PRIORITY_NORMAL))
			_exit(16);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d failed",
						 WEXITSTATUS(status));
}

TEST_F(param, priority_out_of_range)
{
	ASSERT_EQ(-EINVAL, vnpu_set_priority(self->fd, DRM_VNPU_PRIORITY_HIGH + 1));
	ASSERT_EQ(-EINVAL, vnpu_set_priority(self->fd, 1ull << 32));
	ASSERT_EQ(DRM_VNPU_PRIORITY_NORMAL,
		  PARAM(self->fd, DRM_VNPU_PARAM_PRIORITY));
}

TEST_F(param, ctx_param_unknown)
{
	struct drm_vnpu_ctx_param p = { .param = 1, .value = 0 };

	ASSERT_EQ(-EINVAL, xioctl(self->fd, DRM_IOCTL_VNPU_CTX_SET_PARAM, &p));
	p.param = 0xffffffffu;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, DRM_IOCTL_VNPU_CTX_SET_PARAM, &p));
}

TEST_F(param, ctx_param_nonzero_pad)
{
	struct drm_vnpu_ctx_param p = {
		.param = DRM_VNPU_CTX_PARAM_PRIORITY,
		.pad = 1,
		.value = DRM_VNPU_PRIORITY_LOW,
	};

	ASSERT_EQ(-EINVAL, xioctl(self->fd, DRM_IOCTL_VNPU_CTX_SET_PARAM, &p));
}

/* Jobs run at every priority. */
TEST_F(param, jobs_run_at_every_priority)
{
	uint32_t cmd, hw;
	uint64_t va;
	int32_t status;
	uint8_t *map;

	ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, 0, &cmd, &va));
	map = vnpu_bo_mmap(self->fd, cmd, PAGE_SZ);
	ASSERT_NE(NULL, map);
	for (uint64_t prio = 0; prio <= DRM_VNPU_PRIORITY_HIGH; prio++) {
		struct cmdbuf cb = { .base = map };

		emit_fill(&cb, va + 2048, 64, 0x100 + prio);
		ASSERT_EQ(0, vnpu_set_priority(self->fd, prio));
		ASSERT_EQ(0, vnpu_run(self->fd, cmd, 0, cb.len, 0, &status, &hw));
		ASSERT_EQ(0, status);
		ASSERT_EQ(-1, check_fill(map + 2048, 64, 0x100 + prio));
	}
	munmap(map, PAGE_SZ);
}

TEST_F(param, unknown_param)
{
	static const uint32_t bad[] = {
		DRM_VNPU_PARAM_COUNT, DRM_VNPU_PARAM_COUNT + 1, 0x80000000u,
		0xffffffffu,
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(-EINVAL, vnpu_get_param(self->fd, bad[i], 0, &v))
			TH_LOG("param %#x", bad[i]);
	}
}

TEST_F(param, nonzero_index)
{
	uint64_t v;

	for (uint32_t p = 0; p < DRM_VNPU_PARAM_COUNT; p++) {
		ASSERT_EQ(-EINVAL, vnpu_get_param(self->fd, p, 1, &v))
			TH_LOG("param %u", p);
		ASSERT_EQ(-EINVAL, vnpu_get_param(self->fd, p, 0xffffffffu, &v))
			TH_LOG("param %u", p);
	}
}

/* ------------------------------------------------------------------ */
/* BO_CREATE / BO_INFO / mmap, cached and write-combined               */
/* ------------------------------------------------------------------ */

FIXTURE(bo) {
	int fd;
	uint64_t va_start, va_end, max_bo;
};

FIXTURE_VARIANT(bo) {
	uint32_t flags;
};

FIXTURE_VARIANT_ADD(bo, cached) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(bo, wc) {
	.flags = DRM_VNPU_BO_WC,
};

FIXTURE_SETUP(bo)
{
	self->fd = -1;
	VNPU_OPEN_OR_SKIP(self->fd);
	self->va_start = PARAM(self->fd, DRM_VNPU_PARAM_VA_START);
	self->va_end = PARAM(self->fd, DRM_VNPU_PARAM_VA_END);
	self->max_bo = PARAM(self->fd, DRM_VNPU_PARAM_MAX_BO_SIZE);
}

FIXTURE_TEARDOWN(bo)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(bo, create)
{
	static const uint64_t sizes[] = { 1, PAGE_SZ - 1, PAGE_SZ, PAGE_SZ + 1,
					  3 * PAGE_SZ, 1 << 20 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t sz = sizes[i], rounded = (sz + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
		struct drm_vnpu_bo_info info;
		uint32_t h = 0;
		uint64_t va = 0;

		ASSERT_EQ(0, vnpu_bo_create(self->fd, sz, variant->flags, &h, &va))
			TH_LOG("size %llu", (unsigned long long)sz);
		ASSERT_NE(0, h);
		ASSERT_NE(0, va);
		ASSERT_EQ(0, va % PAGE_SZ);
		ASSERT_GE(va, self->va_start);
		ASSERT_LE(va + rounded, self->va_end);

		ASSERT_EQ(0, vnpu_bo_info(self->fd, h, &info));
		ASSERT_EQ(h, info.handle);
		ASSERT_EQ(rounded, info.size);
		ASSERT_EQ(va, info.va);
		ASSERT_EQ(variant->flags, info.bo_flags);
		ASSERT_NE(0, info.mmap_offset);
		ASSERT_EQ(0, info.mmap_offset % PAGE_SZ);
	}
}

TEST_F(bo, no_overlap)
{
	enum { N = 8 };
	uint64_t va[N], size[N];

	for (int i = 0; i < N; i++) {
		size[i] = (uint64_t)(i + 1) * PAGE_SZ + 17;
		ASSERT_EQ(0, vnpu_bo_create(self->fd, size[i], variant->flags,
					    NULL, &va[i]));
		size[i] = (size[i] + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	}
	for (int i = 0; i < N; i++) {
		for (int j = i + 1; j < N; j++) {
			ASSERT_TRUE(va[i] + size[i] <= va[j] || va[j] + size[j] <= va[i])
				TH_LOG("BO %d [%#llx,+%#llx) overlaps BO %d [%#llx,+%#llx)",
				       i, (unsigned long long)va[i],
				       (unsigned long long)size[i], j,
				       (unsigned long long)va[j],
				       (unsigned long long)size[j]);
		}
	}
}

TEST_F(bo, mmap_write_read)
{
	const uint64_t sz = 5 * PAGE_SZ;
	uint32_t h;
	uint8_t *p, *q;

	ASSERT_EQ(0, vnpu_bo_create(self->fd, sz, variant->flags, &h, NULL));
	p = vnpu_bo_mmap(self->fd, h, sz);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	/* New BOs are zeroed (shmem). */
	ASSERT_EQ(-1, check_bytes(p, sz, 0));
	for (uint64_t i = 0; i < sz; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	/* A second, independent mapping sees the same pages. */
	q = vnpu_bo_mmap(self->fd, h, sz);
	ASSERT_NE(NULL, q) TH_LOG("mmap: %s", strerror(errno));
	for (uint64_t i = 0; i < sz; i++) {
		ASSERT_EQ((uint8_t)(i * 7 + 3), q[i])
			TH_LOG("byte %llu", (unsigned long long)i);
	}
	munmap(p, sz);
	munmap(q, sz);
}

TEST_F(bo, mmap_bogus_offset)
{
	struct drm_vnpu_bo_info info;
	uint32_t h;
	void *p;

	ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, variant->flags, &h, NULL));
	ASSERT_EQ(0, vnpu_bo_info(self->fd, h, &info));

	p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 info.mmap_offset + (1ull << 32));
	ASSERT_EQ(MAP_FAILED, p);
	/* Larger than the BO behind a valid offset. */
	p = mmap(NULL, 2 * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 info.mmap_offset);
	ASSERT_EQ(MAP_FAILED, p);
}

TEST_F(bo, mmap_outlives_handle)
{
	const uint64_t sz = 2 * PAGE_SZ;
	uint32_t h;
	uint8_t *p;

	ASSERT_EQ(0, vnpu_bo_create(self->fd, sz, variant->flags, &h, NULL));
	p = vnpu_bo_mmap(self->fd, h, sz);
	ASSERT_NE(NULL, p);
	memset(p, 0x5a, sz);
	ASSERT_EQ(0, vnpu_gem_close(self->fd, h));
	ASSERT_EQ(-1, check_bytes(p, sz, 0x5a));
	memset(p, 0xa5, sz);
	ASSERT_EQ(-1, check_bytes(p, sz, 0xa5));
	munmap(p, sz);
}

/* Failure paths do not depend on the variant: plain fixture. */
FIXTURE(bo_inval) {
	int fd;
	uint64_t max_bo;
};

FIXTURE_SETUP(bo_inval)
{
	self->fd = -1;
	VNPU_OPEN_OR_SKIP(self->fd);
	self->max_bo = PARAM(self->fd, DRM_VNPU_PARAM_MAX_BO_SIZE);
}

FIXTURE_TEARDOWN(bo_inval)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(bo_inval, create_size_zero)
{
	ASSERT_EQ(-EINVAL, vnpu_bo_create(self->fd, 0, 0, NULL, NULL));
}

TEST_F(bo_inval, create_size_above_max)
{
	ASSERT_EQ(-EINVAL, vnpu_bo_create(self->fd, self->max_bo + 1, 0, NULL, NULL));
	ASSERT_EQ(-EINVAL, vnpu_bo_create(self->fd, self->max_bo + PAGE_SZ, 0,
					  NULL, NULL));
	/* Rounding up to a page must not wrap around. */
	ASSERT_EQ(-EINVAL, vnpu_bo_create(self->fd, ~0ull, 0, NULL, NULL));
	ASSERT_EQ(-EINVAL, vnpu_bo_create(self->fd, ~0ull - PAGE_SZ + 2, 0,
					  NULL, NULL));
}

TEST_F(bo_inval, create_unknown_flags)
{
	for (int bit = 0; bit < 32; bit++) {
		uint32_t f = 1u << bit;

		if (f & DRM_VNPU_BO_FLAGS_VALID)
			continue;
		ASSERT_EQ(-EINVAL, vnpu_bo_create(self->fd, PAGE_SZ, f, NULL, NULL))
			TH_LOG("flags %#x", f);
	}
}

/*
 * VA space and memory come back when BOs are closed (2 GiB in all, more
 * than the test guest's RAM). Seconds on Debian's kernel; over 120 s on
 * the KASAN + lockdep debug kernel under TCG.
 */
TEST_F_TIMEOUT(bo_inval, create_close_many, 900)
{
	const uint64_t sz = 1 << 20;
	uint64_t first_va = 0;

	for (int i = 0; i < 2000; i++) {
		uint32_t h;
		uint64_t va;
		int ret = vnpu_bo_create(self->fd, sz, 0, &h, &va);

		ASSERT_EQ(0, ret) TH_LOG("BO #%d: %s", i, strerror(-ret));
		if (!i)
			first_va = va;
		ASSERT_NE(0, va);
		ASSERT_EQ(0, vnpu_gem_close(self->fd, h));
	}
	ASSERT_NE(0, first_va);
}

TEST_F(bo_inval, info_unknown_handle)
{
	struct drm_vnpu_bo_info info;
	uint32_t h;

	ASSERT_EQ(-ENOENT, vnpu_bo_info(self->fd, 0, &info));
	ASSERT_EQ(-ENOENT, vnpu_bo_info(self->fd, 12345, &info));
	ASSERT_EQ(-ENOENT, vnpu_bo_info(self->fd, 0xffffffffu, &info));
	/* A handle that was closed. */
	ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, 0, &h, NULL));
	ASSERT_EQ(0, vnpu_gem_close(self->fd, h));
	ASSERT_EQ(-ENOENT, vnpu_bo_info(self->fd, h, &info));
}

TEST_F(bo_inval, info_nonzero_flags)
{
	struct drm_vnpu_bo_info info = { 0 };
	uint32_t h;

	ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, 0, &h, NULL));
	info.handle = h;
	info.flags = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, DRM_IOCTL_VNPU_BO_INFO, &info));
	info.flags = 0x80000000u;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, DRM_IOCTL_VNPU_BO_INFO, &info));
}

TEST_F(bo_inval, info_nonzero_pad)
{
	struct drm_vnpu_bo_info info = { 0 };
	uint32_t h;

	ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, 0, &h, NULL));
	info.handle = h;
	info.pad = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, DRM_IOCTL_VNPU_BO_INFO, &info));
}

TEST_F(bo_inval, other_files_handle)
{
	struct drm_vnpu_bo_info info;
	uint32_t h = 0;
	int fd2;

	/* Several BOs here, none in fd2: the last handle is unknown there. */
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, 0, &h, NULL));
	fd2 = vnpu_open();
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(-ENOENT, vnpu_bo_info(fd2, h, &info));
	close(fd2);
}

/* ------------------------------------------------------------------ */
/* SUBMIT argument checking                                            */
/* ------------------------------------------------------------------ */

#define CMD_BO_SIZE	(4 * PAGE_SZ)

FIXTURE(submit) {
	int fd;
	uint64_t nq, max_cmd;
	uint32_t cmd, data;
	uint64_t data_va;
	uint8_t *cmd_map;
	uint32_t bos[2];
	struct drm_vnpu_submit s;
};

FIXTURE_SETUP(submit)
{
	struct cmdbuf cb;

	self->fd = -1;
	VNPU_OPEN_OR_SKIP(self->fd);
	self->nq = PARAM(self->fd, DRM_VNPU_PARAM_NUM_QUEUES);
	self->max_cmd = PARAM(self->fd, DRM_VNPU_PARAM_MAX_CMD_SIZE);
	ASSERT_EQ(0, vnpu_bo_create(self->fd, CMD_BO_SIZE, 0, &self->cmd, NULL));
	ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, 0, &self->data,
				    &self->data_va));
	self->cmd_map = vnpu_bo_mmap(self->fd, self->cmd, CMD_BO_SIZE);
	ASSERT_NE(NULL, self->cmd_map);
	/* Valid NOPs everywhere, so only the checked field can be wrong. */
	cb = (struct cmdbuf){ .base = self->cmd_map };
	while (cb.len < CMD_BO_SIZE)
		emit_nop(&cb);
	self->bos[0] = self->cmd;
	self->bos[1] = self->data;
	self->s = (struct drm_vnpu_submit){
		.bo_handles = (uintptr_t)self->bos,
		.bo_count = 2,
		.cmd_handle = self->cmd,
		.cmd_offset = 0,
		.cmd_size = 8,
		.queue = 0,
	};
}

FIXTURE_TEARDOWN(submit)
{
	if (self->fd >= 0)
		close(self->fd);
}

static int do_submit(int fd, struct drm_vnpu_submit *s)
{
	s->job_id = 0;
	return xioctl(fd, DRM_IOCTL_VNPU_SUBMIT, s);
}

/* The baseline every failure test mutates must itself be accepted. */
TEST_F(submit, baseline_ok)
{
	int32_t status;
	uint32_t hw;

	ASSERT_EQ(0, do_submit(self->fd, &self->s));
	ASSERT_NE(0, self->s.job_id);
	ASSERT_EQ(0, vnpu_wait(self->fd, self->s.job_id,
			       deadline_in(VNPU_JOB_TIMEOUT_NS), &status, &hw));
	ASSERT_EQ(0, status);
	ASSERT_EQ(VNPU_JOB_OK, hw);
}

TEST_F(submit, every_queue_ok)
{
	for (uint32_t q = 0; q < self->nq; q++) {
		int32_t status = -1;

		self->s.queue = q;
		ASSERT_EQ(0, do_submit(self->fd, &self->s)) TH_LOG("queue %u", q);
		ASSERT_EQ(0, vnpu_wait(self->fd, self->s.job_id,
				       deadline_in(VNPU_JOB_TIMEOUT_NS),
				       &status, NULL));
		ASSERT_EQ(0, status);
	}
}

TEST_F(submit, largest_cmd_ok)
{
	uint64_t sz = self->max_cmd < CMD_BO_SIZE ? self->max_cmd : CMD_BO_SIZE;
	int32_t status = -1;

	/* The whole BO (up to MAX_CMD_SIZE), ending exactly at its end. */
	self->s.cmd_offset = CMD_BO_SIZE - sz;
	self->s.cmd_size = sz;
	ASSERT_EQ(0, do_submit(self->fd, &self->s));
	ASSERT_EQ(0, vnpu_wait(self->fd, self->s.job_id,
			       deadline_in(VNPU_JOB_TIMEOUT_NS), &status, NULL));
	ASSERT_EQ(0, status);
}

TEST_F(submit, no_bos_ok)
{
	int32_t status = -1;

	self->s.bo_handles = 0;
	self->s.bo_count = 0;
	ASSERT_EQ(0, do_submit(self->fd, &self->s));
	ASSERT_EQ(0, vnpu_wait(self->fd, self->s.job_id,
			       deadline_in(VNPU_JOB_TIMEOUT_NS), &status, NULL));
	ASSERT_EQ(0, status);
}

/* The same BO listed twice is not an error (the header lists none). */
TEST_F(submit, duplicate_bo_handles_ok)
{
	uint32_t bos[4] = { self->cmd, self->data, self->data, self->cmd };
	int32_t status = -1;
	int ret;

	self->s.bo_handles = (uintptr_t)bos;
	self->s.bo_count = 4;
	ret = do_submit(self->fd, &self->s);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT with a BO listed twice: %s (%d)",
				 strerror(-ret), ret);
	ASSERT_EQ(0, vnpu_wait(self->fd, self->s.job_id,
			       deadline_in(VNPU_JOB_TIMEOUT_NS), &status, NULL));
	ASSERT_EQ(0, status);
}

TEST_F_TIMEOUT(submit, max_bos_ok, 180)
{
	const uint32_t n = DRM_VNPU_MAX_SUBMIT_BOS;
	uint32_t *bos = calloc(n, sizeof(*bos));
	int32_t status = -1;
	int ret;

	ASSERT_NE(NULL, bos);
	bos[0] = self->cmd;
	bos[1] = self->data;
	for (uint32_t i = 2; i < n; i++) {
		ret = vnpu_bo_create(self->fd, PAGE_SZ, 0, &bos[i], NULL);
		ASSERT_EQ(0, ret) TH_LOG("BO %u: %s", i, strerror(-ret));
	}
	self->s.bo_handles = (uintptr_t)bos;
	self->s.bo_count = n;
	ret = do_submit(self->fd, &self->s);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT with %u BOs: %s", n, strerror(-ret));
	ASSERT_EQ(0, vnpu_wait(self->fd, self->s.job_id,
			       deadline_in(VNPU_JOB_TIMEOUT_NS), &status, NULL));
	ASSERT_EQ(0, status);
	free(bos);
}

TEST_F(submit, unknown_flags)
{
	for (int bit = 0; bit < 32; bit++) {
		self->s.flags = 1u << bit;
		if (self->s.flags & DRM_VNPU_SUBMIT_FLAGS_VALID)
			continue;
		ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s))
			TH_LOG("flags %#x", self->s.flags);
	}
}

TEST_F(submit, nonzero_pad)
{
	self->s.pad = 1;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
}

TEST_F(submit, queue_out_of_range)
{
	self->s.queue = self->nq;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	self->s.queue = VNPU_MAX_QUEUES;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	self->s.queue = 0xffffffffu;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
}

TEST_F(submit, cmd_size_zero)
{
	self->s.cmd_size = 0;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
}

TEST_F(submit, cmd_size_not_multiple_of_8)
{
	static const uint32_t sizes[] = { 1, 4, 7, 12, 15 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		self->s.cmd_size = sizes[i];
		ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s))
			TH_LOG("cmd_size %u", sizes[i]);
	}
}

TEST_F(submit, cmd_size_above_max)
{
	uint64_t bo_size = self->max_cmd + 2 * PAGE_SZ;
	uint32_t big;

	/* A BO large enough that only MAX_CMD_SIZE can be the reason. */
	ASSERT_EQ(0, vnpu_bo_create(self->fd, bo_size, 0, &big, NULL));
	self->s.cmd_handle = big;
	self->s.cmd_size = self->max_cmd + 8;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	self->s.cmd_size = 0xfffffff8u;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
}

TEST_F(submit, cmd_offset_misaligned)
{
	static const uint64_t offs[] = { 1, 4, 7, 12, PAGE_SZ + 4 };

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		self->s.cmd_offset = offs[i];
		ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s))
			TH_LOG("cmd_offset %llu", (unsigned long long)offs[i]);
	}
}

TEST_F(submit, cmd_range_outside_bo)
{
	/* Starts at the end. */
	self->s.cmd_offset = CMD_BO_SIZE;
	self->s.cmd_size = 8;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	/* Straddles the end. */
	self->s.cmd_offset = CMD_BO_SIZE - 8;
	self->s.cmd_size = 16;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	/* Larger than the BO. */
	self->s.cmd_offset = 0;
	self->s.cmd_size = CMD_BO_SIZE + 8;
	if (self->s.cmd_size <= self->max_cmd) {
		ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	}
	/* offset + size wraps around 2^64. */
	self->s.cmd_offset = ~7ull;
	self->s.cmd_size = 16;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	self->s.cmd_offset = 1ull << 63;
	self->s.cmd_size = 8;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
}

TEST_F(submit, unknown_cmd_handle)
{
	self->s.cmd_handle = 0;
	ASSERT_EQ(-ENOENT, do_submit(self->fd, &self->s));
	self->s.cmd_handle = 4242;
	ASSERT_EQ(-ENOENT, do_submit(self->fd, &self->s));
}

TEST_F(submit, closed_cmd_handle)
{
	uint32_t h;

	ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, 0, &h, NULL));
	ASSERT_EQ(0, vnpu_gem_close(self->fd, h));
	self->s.cmd_handle = h;
	self->s.bo_count = 0;
	ASSERT_EQ(-ENOENT, do_submit(self->fd, &self->s));
}

TEST_F(submit, unknown_bo_handle)
{
	uint32_t bos[3] = { self->cmd, 4242, self->data };

	self->s.bo_handles = (uintptr_t)bos;
	self->s.bo_count = 3;
	ASSERT_EQ(-ENOENT, do_submit(self->fd, &self->s));
	bos[1] = 0;
	ASSERT_EQ(-ENOENT, do_submit(self->fd, &self->s));
}

TEST_F(submit, bad_bo_handles_pointer)
{
	void *page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap(page, PAGE_SZ));
	self->s.bo_handles = (uintptr_t)page;
	ASSERT_EQ(-EFAULT, do_submit(self->fd, &self->s));
	/* A kernel address. */
	self->s.bo_handles = 0xffff888000000000ull;
	ASSERT_EQ(-EFAULT, do_submit(self->fd, &self->s));
	/* NULL with a non-zero count. */
	self->s.bo_handles = 0;
	ASSERT_EQ(-EFAULT, do_submit(self->fd, &self->s));
}

TEST_F(submit, too_many_bos)
{
	uint32_t n = DRM_VNPU_MAX_SUBMIT_BOS + 1;
	uint32_t *bos = calloc(n, sizeof(*bos));

	ASSERT_NE(NULL, bos);
	/* Readable and all valid: only the count is wrong. */
	for (uint32_t i = 0; i < n; i++)
		bos[i] = self->data;
	self->s.bo_handles = (uintptr_t)bos;
	self->s.bo_count = n;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	self->s.bo_count = 0xffffffffu;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	free(bos);
}

/* ---- sync arrays: the same checks for in-syncs and out-syncs ---- */

FIXTURE(submit_sync) {
	int fd;
	uint32_t cmd;
	uint32_t syncobj[DRM_VNPU_MAX_SYNCS + 1];
	struct drm_vnpu_sync syncs[DRM_VNPU_MAX_SYNCS + 1];
	struct drm_vnpu_submit s;
};

FIXTURE_VARIANT(submit_sync) {
	bool out;
};

FIXTURE_VARIANT_ADD(submit_sync, in) {
	.out = false,
};

FIXTURE_VARIANT_ADD(submit_sync, out) {
	.out = true,
};

FIXTURE_SETUP(submit_sync)
{
	struct cmdbuf cb;
	uint8_t *map;

	self->fd = -1;
	VNPU_OPEN_OR_SKIP(self->fd);
	ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, 0, &self->cmd, NULL));
	map = vnpu_bo_mmap(self->fd, self->cmd, PAGE_SZ);
	ASSERT_NE(NULL, map);
	cb = (struct cmdbuf){ .base = map };
	emit_nop(&cb);
	munmap(map, PAGE_SZ);
	/* Signalled binary syncobjs: valid both to wait on and to signal. */
	for (int i = 0; i <= DRM_VNPU_MAX_SYNCS; i++) {
		ASSERT_EQ(0, syncobj_create(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED,
					    &self->syncobj[i]));
		self->syncs[i] = (struct drm_vnpu_sync){ .handle = self->syncobj[i] };
	}
	self->s = (struct drm_vnpu_submit){
		.cmd_handle = self->cmd,
		.cmd_size = 8,
	};
}

FIXTURE_TEARDOWN(submit_sync)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void set_syncs(const FIXTURE_VARIANT(submit_sync) *variant,
		      struct drm_vnpu_submit *s, const void *arr, uint32_t n)
{
	if (variant->out) {
		s->out_syncs = (uintptr_t)arr;
		s->out_sync_count = n;
	} else {
		s->in_syncs = (uintptr_t)arr;
		s->in_sync_count = n;
	}
}

TEST_F(submit_sync, max_syncs_ok)
{
	int32_t status = -1;

	set_syncs(variant, &self->s, self->syncs, DRM_VNPU_MAX_SYNCS);
	ASSERT_EQ(0, do_submit(self->fd, &self->s));
	ASSERT_EQ(0, vnpu_wait(self->fd, self->s.job_id,
			       deadline_in(VNPU_JOB_TIMEOUT_NS), &status, NULL));
	ASSERT_EQ(0, status);
}

TEST_F(submit_sync, too_many_syncs)
{
	set_syncs(variant, &self->s, self->syncs, DRM_VNPU_MAX_SYNCS + 1);
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	set_syncs(variant, &self->s, self->syncs, 0xffffffffu);
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
}

TEST_F(submit_sync, bad_sync_flags)
{
	set_syncs(variant, &self->s, self->syncs, 2);
	for (int bit = 0; bit < 32; bit++) {
		self->syncs[1].flags = 1u << bit;
		if (self->syncs[1].flags & DRM_VNPU_SYNC_FLAGS_VALID)
			continue;
		ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s))
			TH_LOG("sync flags %#x", self->syncs[1].flags);
	}
}

TEST_F(submit_sync, unknown_syncobj)
{
	set_syncs(variant, &self->s, self->syncs, 2);
	self->syncs[1].handle = 4242;
	ASSERT_EQ(-ENOENT, do_submit(self->fd, &self->s));
	self->syncs[1].handle = 0;
	ASSERT_EQ(-ENOENT, do_submit(self->fd, &self->s));
}

TEST_F(submit_sync, destroyed_syncobj)
{
	set_syncs(variant, &self->s, self->syncs, 1);
	ASSERT_EQ(0, syncobj_destroy(self->fd, self->syncobj[0]));
	ASSERT_EQ(-ENOENT, do_submit(self->fd, &self->s));
}

TEST_F(submit_sync, binary_nonzero_point)
{
	set_syncs(variant, &self->s, self->syncs, 2);
	self->syncs[1].point = 1;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
	self->syncs[1].point = ~0ull;
	ASSERT_EQ(-EINVAL, do_submit(self->fd, &self->s));
}

TEST_F(submit_sync, bad_pointer)
{
	void *page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap(page, PAGE_SZ));
	set_syncs(variant, &self->s, page, 1);
	ASSERT_EQ(-EFAULT, do_submit(self->fd, &self->s));
	set_syncs(variant, &self->s, NULL, 1);
	ASSERT_EQ(-EFAULT, do_submit(self->fd, &self->s));
}

/* ------------------------------------------------------------------ */
/* WAIT argument checking                                              */
/* ------------------------------------------------------------------ */

FIXTURE(wait) {
	int fd;
	uint32_t cmd;
	uint64_t job;
};

FIXTURE_SETUP(wait)
{
	struct drm_vnpu_submit s = { .cmd_size = 8 };
	struct cmdbuf cb;
	uint8_t *map;

	self->fd = -1;
	VNPU_OPEN_OR_SKIP(self->fd);
	ASSERT_EQ(0, vnpu_bo_create(self->fd, PAGE_SZ, 0, &self->cmd, NULL));
	map = vnpu_bo_mmap(self->fd, self->cmd, PAGE_SZ);
	ASSERT_NE(NULL, map);
	cb = (struct cmdbuf){ .base = map };
	emit_nop(&cb);
	munmap(map, PAGE_SZ);
	s.cmd_handle = self->cmd;
	ASSERT_EQ(0, xioctl(self->fd, DRM_IOCTL_VNPU_SUBMIT, &s));
	ASSERT_NE(0, s.job_id);
	self->job = s.job_id;
}

FIXTURE_TEARDOWN(wait)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(wait, ok)
{
	int32_t status = -1;
	uint32_t hw = VNPU_JOB_PENDING;

	ASSERT_EQ(0, vnpu_wait(self->fd, self->job,
			       deadline_in(VNPU_JOB_TIMEOUT_NS), &status, &hw));
	ASSERT_EQ(0, status);
	ASSERT_EQ(VNPU_JOB_OK, hw);
	/* The result is retained: waiting again, even with a deadline in the
	 * past (a poll), returns it again. */
	status = -1;
	hw = VNPU_JOB_PENDING;
	ASSERT_EQ(0, vnpu_wait(self->fd, self->job,
			       deadline_in(VNPU_JOB_TIMEOUT_NS), &status, &hw));
	ASSERT_EQ(0, status);
	ASSERT_EQ(VNPU_JOB_OK, hw);
	ASSERT_EQ(0, vnpu_wait(self->fd, self->job, 0, &status, &hw));
	ASSERT_EQ(0, status);
}

TEST_F(wait, unknown_job)
{
	ASSERT_EQ(-ENOENT, vnpu_wait(self->fd, 0, deadline_in(NSEC_PER_SEC),
				     NULL, NULL));
	ASSERT_EQ(-ENOENT, vnpu_wait(self->fd, self->job + 1000000,
				     deadline_in(NSEC_PER_SEC), NULL, NULL));
	ASSERT_EQ(-ENOENT, vnpu_wait(self->fd, ~0ull, deadline_in(NSEC_PER_SEC),
				     NULL, NULL));
}

TEST_F(wait, other_files_job)
{
	int fd2 = vnpu_open();

	ASSERT_GE(fd2, 0);
	/* fd2 never submitted anything, so no id is known to it. */
	ASSERT_EQ(-ENOENT, vnpu_wait(fd2, self->job, deadline_in(NSEC_PER_SEC),
				     NULL, NULL));
	close(fd2);
}

TEST_F(wait, nonzero_flags)
{
	struct drm_vnpu_wait w = {
		.job_id = self->job, .timeout_ns = deadline_in(VNPU_JOB_TIMEOUT_NS),
	};

	for (int bit = 0; bit < 32; bit++) {
		w.flags = 1u << bit;
		if (w.flags & DRM_VNPU_WAIT_FLAGS_VALID)
			continue;
		ASSERT_EQ(-EINVAL, xioctl(self->fd, DRM_IOCTL_VNPU_WAIT, &w))
			TH_LOG("flags %#x", w.flags);
	}
}

TEST_F(wait, nonzero_pad)
{
	struct drm_vnpu_wait w = {
		.job_id = self->job, .timeout_ns = deadline_in(VNPU_JOB_TIMEOUT_NS),
		.pad = 1,
	};

	ASSERT_EQ(-EINVAL, xioctl(self->fd, DRM_IOCTL_VNPU_WAIT, &w));
}

/* ------------------------------------------------------------------ */
/* Unknown ioctls                                                      */
/* ------------------------------------------------------------------ */

TEST_F(param, unknown_driver_ioctl)
{
	struct drm_vnpu_param p = { 0 };
	/* The last driver-private number: far beyond any vnpu ioctl. */
	unsigned long req = DRM_IOWR(DRM_COMMAND_END - 1, struct drm_vnpu_param);
	int ret = xioctl(self->fd, req, &p);

	/* DRM core answers -EINVAL for a driver ioctl number it has no entry for. */
	ASSERT_EQ(-EINVAL, ret);
}

TEST_HARNESS_MAIN
