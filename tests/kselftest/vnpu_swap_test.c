// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu BO eviction selftests: idle shmem BOs are evicted by the driver's
 * shrinker (or by debugfs "swap_evict") and made resident again at
 * SUBMIT for the BOs of the job's BO list and its command buffer, or by a
 * CPU mmap(). Checked: the data survives (jobs and CPU reads see the
 * patterns), the debugfs "swap" counters and fdinfo drm-resident-memory,
 * that busy, mmapped and bound BOs behave, that a job touching an evicted
 * BO it did not list faults, and finally real memory pressure on zram
 * swap with jobs running meanwhile (SKIP when no swap can be set up).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/swap.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define NBOS		8
#define BO_SIZE		(256 * 1024ull)
#define CMD_SIZE	(64 * 1024ull)
/* Far above the automatic placements, which start at VA_START. */
#define BIND_VA		(1ull << 40)

/* ---- debugfs and /proc ---- */

/*
 * The debugfs directory of the device @fd is open on, into @dir: accel/<minor>
 * or accel/<PCI address>, holding "swap".
 */
static bool swap_dir(int fd, char *dir, size_t n)
{
	char path[600], link[256];
	struct stat st;
	const char *pci;
	ssize_t len;

	if (access("/sys/kernel/debug/accel", F_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (fstat(fd, &st))
		return false;
	snprintf(dir, n, "/sys/kernel/debug/accel/%u", minor(st.st_rdev));
	snprintf(path, sizeof(path), "%s/swap", dir);
	if (!access(path, R_OK))
		return true;
	snprintf(path, sizeof(path), "/sys/class/accel/accel%u/device",
		 minor(st.st_rdev));
	len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0)
		return false;
	link[len] = 0;
	pci = strrchr(link, '/');
	pci = pci ? pci + 1 : link;
	snprintf(dir, n, "/sys/kernel/debug/accel/%s", pci);
	snprintf(path, sizeof(path), "%s/swap", dir);
	return !access(path, R_OK);
}

/* The value of "@key <n>" in file @path, or -1. */
static long long file_key(const char *path, const char *key)
{
	char line[256];
	long long v = -1;
	size_t k = strlen(key);
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, k) && (line[k] == ' ' || line[k] == ':')) {
			v = strtoll(line + k + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static long long swap_stat(const char *dir, const char *key)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/swap", dir);
	return file_key(path, key);
}

static int evict_write(const char *dir, const char *val)
{
	char path[600];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/swap_evict", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -errno;
	close(fd);
	return ret;
}

static int evict_all(const char *dir)
{
	return evict_write(dir, "1");
}

/* Bytes of "@key: <n> <unit>" in the fdinfo of @fd, or -1. */
static long long fdinfo_bytes(int fd, const char *key)
{
	char path[64], line[256], unit[16];
	long long v = -1, x;
	size_t k = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, k) || line[k] != ':')
			continue;
		unit[0] = 0;
		if (sscanf(line + k + 1, "%lld %15s", &x, unit) < 1)
			break;
		v = !strcmp(unit, "KiB") ? x << 10 : !strcmp(unit, "MiB") ?
		    x << 20 : x;
		break;
	}
	fclose(f);
	return v;
}

/* ---- jobs ---- */

struct swp {
	int fd;
	char dir[512];
	uint32_t cmd, out;
	uint64_t cmd_va, out_va;
	uint8_t *cmd_map, *out_map;
	uint32_t bo[NBOS];
	uint64_t va[NBOS];
};

static uint32_t pattern(int i)
{
	return 0x5a000000u ^ (0x01010101u * (uint32_t)(i + 1)) ^ 0x00c3a500u;
}

/* Submit @len bytes of commands at @off of @cmd with a BO list. */
static int submit_bos(int fd, uint32_t cmd, uint64_t off, uint32_t len,
		      const uint32_t *bos, uint32_t n, const uint32_t *syncobj,
		      uint64_t *id)
{
	struct drm_vnpu_sync in = { .handle = syncobj ? *syncobj : 0 };
	struct drm_vnpu_submit s = {
		.cmd_handle = cmd, .cmd_offset = off, .cmd_size = len,
		.bo_handles = (uintptr_t)bos, .bo_count = n,
		.in_syncs = (uintptr_t)&in, .in_sync_count = syncobj ? 1 : 0,
	};
	int ret = xioctl(fd, DRM_IOCTL_VNPU_SUBMIT, &s);

	if (!ret && id)
		*id = s.job_id;
	return ret;
}

/*
 * Copy BO @i to the output BO with a job listing @list (@n handles) and
 * return the job's status; the output is cleared first.
 */
static int32_t copy_job(struct __test_metadata *_metadata, struct swp *s,
			uint64_t src_va, const uint32_t *list, uint32_t n)
{
	struct cmdbuf cb = { .base = s->cmd_map };
	int32_t status = 1;
	uint64_t id;
	int ret;

	memset(s->out_map, 0, BO_SIZE);
	emit_copy(&cb, src_va, s->out_va, BO_SIZE);
	ret = submit_bos(s->fd, s->cmd, 0, cb.len, list, n, NULL, &id);
	EXPECT_EQ(0, ret) TH_LOG("submit: %s", strerror(-ret));
	if (ret)
		return ret;
	ret = vnpu_wait(s->fd, id, now_ns() + VNPU_JOB_TIMEOUT_NS, &status,
			NULL);
	EXPECT_EQ(0, ret) TH_LOG("wait: %s", strerror(-ret));
	return ret ? ret : status;
}

/* Check BO @i by a job copying it out; true when its pattern is intact. */
static bool check_by_job(struct __test_metadata *_metadata, struct swp *s,
			 int i)
{
	uint32_t list[2] = { s->bo[i], s->out };
	int32_t st = copy_job(_metadata, s, s->va[i], list, 2);
	long bad;

	EXPECT_EQ(0, st) TH_LOG("BO %d: job status %d", i, st);
	bad = check_fill(s->out_map, BO_SIZE, pattern(i));
	EXPECT_EQ(-1, bad) TH_LOG("BO %d: byte %ld differs", i, bad);
	return !st && bad == -1;
}

/* Check BO @i through a fresh CPU mapping. */
static bool check_by_mmap(struct __test_metadata *_metadata, struct swp *s,
			  int i)
{
	uint8_t *p = vnpu_bo_mmap(s->fd, s->bo[i], BO_SIZE);
	long bad;

	EXPECT_NE(NULL, p);
	if (!p)
		return false;
	bad = check_fill(p, BO_SIZE, pattern(i));
	EXPECT_EQ(-1, bad) TH_LOG("BO %d: byte %ld differs (mmap)", i, bad);
	munmap(p, BO_SIZE);
	return bad == -1;
}

/* Fill BO @i with its pattern by CPU and unmap it (it can be evicted). */
static void fill_bo(struct __test_metadata *_metadata, struct swp *s, int i)
{
	uint8_t *p = vnpu_bo_mmap(s->fd, s->bo[i], BO_SIZE);

	ASSERT_NE(NULL, p);
	for (uint64_t b = 0; b < BO_SIZE; b++)
		p[b] = fill_byte(pattern(i), b);
	munmap(p, BO_SIZE);
}

static void swap_off(bool ours);

FIXTURE(swap) {
	struct swp s;
	/* zram swap turned on by this test: turned off by the teardown */
	bool swap_ours;
};

FIXTURE_SETUP(swap)
{
	struct swp *s = &self->s;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	VNPU_OPEN_OR_SKIP(s->fd);
	if (!swap_dir(s->fd, s->dir, sizeof(s->dir)))
		SKIP(return, "no debugfs swap file");
	/* the command and output BOs stay mapped: never evicted */
	ASSERT_EQ(0, vnpu_bo_create(s->fd, CMD_SIZE, 0, &s->cmd, &s->cmd_va));
	s->cmd_map = vnpu_bo_mmap(s->fd, s->cmd, CMD_SIZE);
	ASSERT_NE(NULL, s->cmd_map);
	ASSERT_EQ(0, vnpu_bo_create(s->fd, BO_SIZE, 0, &s->out, &s->out_va));
	s->out_map = vnpu_bo_mmap(s->fd, s->out, BO_SIZE);
	ASSERT_NE(NULL, s->out_map);
	for (int i = 0; i < NBOS; i++) {
		ASSERT_EQ(0, vnpu_bo_create(s->fd, BO_SIZE, i & 1 ?
					    DRM_VNPU_BO_WC : 0, &s->bo[i],
					    &s->va[i]));
		fill_bo(_metadata, s, i);
	}
}

FIXTURE_TEARDOWN(swap)
{
	struct swp *s = &self->s;

	if (s->cmd_map)
		munmap(s->cmd_map, CMD_SIZE);
	if (s->out_map)
		munmap(s->out_map, BO_SIZE);
	if (s->fd >= 0)
		close(s->fd);
	swap_off(self->swap_ours);
}

/*
 * Every idle unmapped BO is evicted (counters, fdinfo), and comes back
 * intact through a job listing it or through a CPU mapping.
 */
TEST_F(swap, evicted_bos_restored_by_job_and_mmap)
{
	struct swp *s = &self->s;
	long long e0 = swap_stat(s->dir, "evictions");
	long long r0 = swap_stat(s->dir, "restores");
	long long res0 = fdinfo_bytes(s->fd, "drm-resident-memory");

	ASSERT_LE(0, e0);
	ASSERT_EQ(0, evict_all(s->dir));
	EXPECT_LE(e0 + NBOS, swap_stat(s->dir, "evictions"));
	EXPECT_LE(NBOS * BO_SIZE / PAGE_SZ,
		  swap_stat(s->dir, "evicted_pages"));
	if (res0 >= 0)
		EXPECT_EQ(res0 - NBOS * BO_SIZE,
			  fdinfo_bytes(s->fd, "drm-resident-memory"));

	/* even BOs by a job first, odd ones by the CPU first */
	for (int i = 0; i < NBOS; i += 2)
		ASSERT_TRUE(check_by_job(_metadata, s, i));
	EXPECT_EQ(r0 + NBOS / 2, swap_stat(s->dir, "restores"));
	for (int i = 1; i < NBOS; i += 2)
		ASSERT_TRUE(check_by_mmap(_metadata, s, i));
	for (int i = 0; i < NBOS; i++)
		ASSERT_TRUE(check_by_job(_metadata, s, i));
	EXPECT_EQ(r0 + NBOS, swap_stat(s->dir, "restores"));
	for (int i = 0; i < NBOS; i += 2)
		ASSERT_TRUE(check_by_mmap(_metadata, s, i));
	if (res0 >= 0)
		EXPECT_EQ(res0, fdinfo_bytes(s->fd, "drm-resident-memory"));

	/* a second round trip, data written by the device this time */
	ASSERT_EQ(0, evict_all(s->dir));
	for (int i = 0; i < NBOS; i++)
		ASSERT_TRUE(check_by_job(_metadata, s, i));
}

/* swap_evict takes a boolean: anything else is -EINVAL, "0" does nothing. */
TEST_F(swap, evict_file_rejects_non_boolean)
{
	struct swp *s = &self->s;
	long long e0 = swap_stat(s->dir, "evictions");

	EXPECT_EQ(-EINVAL, evict_write(s->dir, "evict"));
	EXPECT_EQ(-EINVAL, evict_write(s->dir, "2"));
	EXPECT_EQ(0, evict_write(s->dir, "0"));
	EXPECT_EQ(e0, swap_stat(s->dir, "evictions"));
	EXPECT_EQ(0, evict_write(s->dir, "y"));
	EXPECT_LE(e0 + NBOS, swap_stat(s->dir, "evictions"));
}

/* A job reading an evicted BO it did not list faults; listed, it works. */
TEST_F(swap, unlisted_evicted_bo_faults)
{
	struct swp *s = &self->s;
	uint32_t out_only = s->out;

	ASSERT_EQ(0, evict_all(s->dir));
	EXPECT_EQ(-EFAULT, copy_job(_metadata, s, s->va[0], &out_only, 1));
	/* the device wrote nothing it could not translate */
	EXPECT_EQ(-1, check_bytes(s->out_map, BO_SIZE, 0));
	ASSERT_TRUE(check_by_job(_metadata, s, 0));
	ASSERT_TRUE(check_by_mmap(_metadata, s, 0));
}

/* A command buffer that was evicted comes back without being listed. */
TEST_F(swap, evicted_cmd_bo_restored)
{
	struct swp *s = &self->s;
	struct cmdbuf cb;
	uint32_t cmd, list[2] = { s->bo[3], s->out };
	int32_t status = 1;
	uint8_t *p;
	uint64_t id;

	ASSERT_EQ(0, vnpu_bo_create(s->fd, CMD_SIZE, 0, &cmd, NULL));
	p = vnpu_bo_mmap(s->fd, cmd, CMD_SIZE);
	ASSERT_NE(NULL, p);
	cb.base = p;
	cb.len = 0;
	emit_copy(&cb, s->va[3], s->out_va, BO_SIZE);
	munmap(p, CMD_SIZE);
	memset(s->out_map, 0, BO_SIZE);

	ASSERT_EQ(0, evict_all(s->dir));
	ASSERT_EQ(0, submit_bos(s->fd, cmd, 0, cb.len, list, 2, NULL, &id));
	ASSERT_EQ(0, vnpu_wait(s->fd, id, now_ns() + VNPU_JOB_TIMEOUT_NS,
			       &status, NULL));
	ASSERT_EQ(0, status);
	EXPECT_EQ(-1, check_fill(s->out_map, BO_SIZE, pattern(3)));
	/* twice: the hold of the first job was dropped */
	ASSERT_EQ(0, evict_all(s->dir));
	memset(s->out_map, 0, BO_SIZE);
	ASSERT_EQ(0, submit_bos(s->fd, cmd, 0, cb.len, list, 2, NULL, &id));
	ASSERT_EQ(0, vnpu_wait(s->fd, id, now_ns() + VNPU_JOB_TIMEOUT_NS,
			       &status, NULL));
	ASSERT_EQ(0, status);
	EXPECT_EQ(-1, check_fill(s->out_map, BO_SIZE, pattern(3)));
	vnpu_gem_close(s->fd, cmd);
}

/* A VM_BIND mapping of an evicted BO is rewritten with the automatic one. */
TEST_F(swap, bound_range_restored)
{
	struct swp *s = &self->s;
	uint32_t list[2] = { s->bo[5], s->out };
	uint64_t half = BO_SIZE / 2;

	struct cmdbuf cb = { .base = s->cmd_map };
	int32_t status = 1;
	uint64_t id;

	ASSERT_EQ(0, vnpu_vm_bind(s->fd, s->bo[5], 0, BIND_VA, half, half));
	ASSERT_EQ(0, evict_all(s->dir));
	/* the bound second half, through the binding only */
	memset(s->out_map, 0, BO_SIZE);
	emit_copy(&cb, BIND_VA, s->out_va, half);
	ASSERT_EQ(0, submit_bos(s->fd, s->cmd, 0, cb.len, list, 2, NULL, &id));
	ASSERT_EQ(0, vnpu_wait(s->fd, id, now_ns() + VNPU_JOB_TIMEOUT_NS,
			       &status, NULL));
	ASSERT_EQ(0, status);
	for (uint64_t b = 0; b < half; b++)
		ASSERT_EQ(fill_byte(pattern(5), half + b), s->out_map[b]);
	ASSERT_EQ(0, vnpu_vm_unbind(s->fd, BIND_VA, half));
	/* unbound while evicted: nothing is left to rewrite there */
	ASSERT_EQ(0, evict_all(s->dir));
	ASSERT_TRUE(check_by_job(_metadata, s, 5));
}

/*
 * A BO shared with another file (PRIME, same device: the same object) and
 * bound there: both contexts' mappings are cleared by the eviction and
 * rewritten when either file lists it.
 */
TEST_F(swap, shared_bo_restored_in_both_contexts)
{
	struct swp *s = &self->s;
	struct drm_prime_handle exp = { .handle = s->bo[2],
					.flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_prime_handle imp = { 0 };
	struct swp t = { 0 };
	uint32_t list[2];
	int fd2;

	ASSERT_EQ(0, xioctl(s->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp));
	fd2 = vnpu_open();
	ASSERT_LE(0, fd2);
	imp.fd = exp.fd;
	ASSERT_EQ(0, xioctl(fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	close(exp.fd);
	t.fd = fd2;
	ASSERT_EQ(0, vnpu_bo_create(fd2, CMD_SIZE, 0, &t.cmd, &t.cmd_va));
	t.cmd_map = vnpu_bo_mmap(fd2, t.cmd, CMD_SIZE);
	ASSERT_NE(NULL, t.cmd_map);
	ASSERT_EQ(0, vnpu_bo_create(fd2, BO_SIZE, 0, &t.out, &t.out_va));
	t.out_map = vnpu_bo_mmap(fd2, t.out, BO_SIZE);
	ASSERT_NE(NULL, t.out_map);
	ASSERT_EQ(0, vnpu_vm_bind(fd2, imp.handle, 0, BIND_VA, 0, BO_SIZE));

	/* restored through the other file: its binding and our mapping */
	ASSERT_EQ(0, evict_all(s->dir));
	list[0] = imp.handle;
	list[1] = t.out;
	ASSERT_EQ(0, copy_job(_metadata, &t, BIND_VA, list, 2));
	EXPECT_EQ(-1, check_fill(t.out_map, BO_SIZE, pattern(2)));
	list[0] = s->out;
	/* our automatic mapping was rewritten too: no need to list it */
	ASSERT_EQ(0, copy_job(_metadata, s, s->va[2], list, 1));
	EXPECT_EQ(-1, check_fill(s->out_map, BO_SIZE, pattern(2)));

	/* and the other way round */
	ASSERT_EQ(0, evict_all(s->dir));
	ASSERT_TRUE(check_by_job(_metadata, s, 2));
	list[0] = t.out;
	ASSERT_EQ(0, copy_job(_metadata, &t, BIND_VA, list, 1));
	EXPECT_EQ(-1, check_fill(t.out_map, BO_SIZE, pattern(2)));

	/* closing the other file unbinds while the BO is evicted */
	ASSERT_EQ(0, evict_all(s->dir));
	munmap(t.cmd_map, CMD_SIZE);
	munmap(t.out_map, BO_SIZE);
	close(fd2);
	ASSERT_TRUE(check_by_job(_metadata, s, 2));
}

/* A BO with a pending job, or mapped by the CPU, is not evicted. */
TEST_F(swap, busy_and_mapped_bos_stay)
{
	struct swp *s = &self->s;
	uint32_t list[2] = { s->bo[0], s->out };
	struct cmdbuf cb = { .base = s->cmd_map };
	struct vnpu_cmd_sem *w;
	long long res, before;
	int32_t status = 1;
	uint8_t *p;
	uint64_t id;

	before = fdinfo_bytes(s->fd, "drm-resident-memory");
	if (before < 0)
		SKIP(return, "no drm-resident-memory in fdinfo");
	/* the job waits for the CPU to write 1 at the start of the output */
	memset(s->out_map, 0, BO_SIZE);
	w = cmd_put(&cb, sizeof(*w));
	emit_hdr(&w->hdr, VNPU_OP_SEM_WAIT, sizeof(*w));
	w->va = s->out_va;
	w->value = 1;
	w->op = VNPU_SEM_EQ;
	w->timeout_us = 0;	/* the maximum, a second */
	emit_copy(&cb, s->va[0] + 8, s->out_va + 8, BO_SIZE - 8);
	p = vnpu_bo_mmap(s->fd, s->bo[1], BO_SIZE);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, submit_bos(s->fd, s->cmd, 0, cb.len, list, 2, NULL, &id));
	ASSERT_EQ(0, evict_all(s->dir));
	__atomic_store_n((uint32_t *)s->out_map, 1, __ATOMIC_RELEASE);
	/* the job's fence was in BO 0's reservation; BO 1 is mapped */
	res = fdinfo_bytes(s->fd, "drm-resident-memory");
	EXPECT_EQ(before - (NBOS - 2) * BO_SIZE, res);
	EXPECT_EQ(-1, check_fill(p, BO_SIZE, pattern(1)));
	munmap(p, BO_SIZE);

	ASSERT_EQ(0, vnpu_wait(s->fd, id, now_ns() + VNPU_JOB_TIMEOUT_NS,
			       &status, NULL));
	ASSERT_EQ(0, status);
	EXPECT_EQ(-1, check_fill(s->out_map + 8, BO_SIZE - 8, pattern(0)));
	/* idle and unmapped now: both go */
	ASSERT_EQ(0, evict_all(s->dir));
	EXPECT_EQ(before - NBOS * BO_SIZE,
		  fdinfo_bytes(s->fd, "drm-resident-memory"));
	for (int i = 0; i < NBOS; i++)
		ASSERT_TRUE(check_by_job(_metadata, s, i));
}

struct racer {
	const char *dir;
	int fd;
	uint32_t bo;
	bool stop;
	long evictions, binds, errors;
};

static void *evict_loop(void *arg)
{
	struct racer *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		if (evict_all(r->dir))
			r->errors++;
		r->evictions++;
	}
	return NULL;
}

static void *bind_loop(void *arg)
{
	struct racer *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		if (vnpu_vm_bind(r->fd, r->bo, 0, BIND_VA, 0, BO_SIZE) ||
		    vnpu_vm_unbind(r->fd, BIND_VA, BO_SIZE))
			r->errors++;
		r->binds++;
	}
	return NULL;
}

/*
 * Evictions in a loop, VM_BIND/VM_UNBIND of one BO in a loop, and jobs and
 * CPU mappings restoring the BOs meanwhile: every job and read sees its
 * pattern.
 */
TEST_F_TIMEOUT(swap, evictions_race_jobs_binds_and_mmap, 300)
{
	struct swp *s = &self->s;
	struct racer r = { .dir = s->dir, .fd = s->fd, .bo = s->bo[6] };
	pthread_t ev, bi;
	int i;

	ASSERT_EQ(0, pthread_create(&ev, NULL, evict_loop, &r));
	ASSERT_EQ(0, pthread_create(&bi, NULL, bind_loop, &r));
	for (i = 0; i < 200; i++) {
		if (i % 3 == 2) {
			if (!check_by_mmap(_metadata, s, i % NBOS))
				break;
		} else if (!check_by_job(_metadata, s, i % NBOS)) {
			break;
		}
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	pthread_join(ev, NULL);
	pthread_join(bi, NULL);
	TH_LOG("%d checks, %ld evictions passes, %ld bind/unbind pairs",
	       i, r.evictions, r.binds);
	ASSERT_EQ(200, i);
	ASSERT_EQ(0, r.errors);
	ASSERT_LT(0, r.evictions);
	ASSERT_LT(0, r.binds);
}

/* ---- real memory pressure ---- */

static long long meminfo_kb(const char *key)
{
	return file_key("/proc/meminfo", key);
}

static long long vmstat_get(const char *key)
{
	return file_key("/proc/vmstat", key);
}

/*
 * Swap is on, or zram could be made swap (*@ours set: swap_off() undoes
 * it); false otherwise.
 */
static bool swap_on(bool *ours)
{
	char size[32];
	int fd;

	*ours = false;
	if (meminfo_kb("SwapTotal") > 0)
		return true;
	if (access("/sys/block/zram0/disksize", W_OK))
		return false;
	fd = open("/sys/block/zram0/disksize", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	snprintf(size, sizeof(size), "%lld", meminfo_kb("MemTotal") * 1024);
	/* fails when set already, by an earlier run: harmless */
	(void)!write(fd, size, strlen(size));
	close(fd);
	if (system("mkswap /dev/zram0 >/dev/null 2>&1"))
		return false;
	if (swapon("/dev/zram0", 0))
		return false;
	*ours = true;
	return meminfo_kb("SwapTotal") > 0;
}

static void swap_off(bool ours)
{
	int fd;

	if (!ours || swapoff("/dev/zram0"))
		return;
	fd = open("/sys/block/zram0/reset", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* on failure the next run sees the old size: harmless */
		(void)!write(fd, "1", 1);
		close(fd);
	}
}

/*
 * Allocate and touch compressible anonymous memory in 16 MiB steps until
 * the device's shrinker evicted @want BOs and swap-outs happened, or
 * @limit bytes; then exit (freeing it all).
 */
static void pressure_child(const char *dir, long long want, long long limit)
{
	long long e0 = swap_stat(dir, "evictions");
	long long p0 = vmstat_get("pswpout");
	const size_t step = 16 << 20;

	for (long long done = 0; done < limit; done += step) {
		uint64_t *m = mmap(NULL, step, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			_exit(2);
		for (size_t w = 0; w < step / 8; w += PAGE_SZ / 8)
			m[w] = done + w;
		if (swap_stat(dir, "evictions") - e0 >= want &&
		    vmstat_get("pswpout") - p0 >= (long long)(step / PAGE_SZ))
			_exit(0);
	}
	_exit(1);
}

/* Copy the first BO_SIZE bytes at @va of BO @h out and check @pat. */
static bool check_va_by_job(struct __test_metadata *_metadata,
			    struct swp *s, uint32_t h, uint64_t va,
			    uint32_t pat)
{
	uint32_t list[2] = { h, s->out };
	int32_t st = copy_job(_metadata, s, va, list, 2);
	long bad = check_fill(s->out_map, BO_SIZE, pat);

	EXPECT_EQ(0, st);
	EXPECT_EQ(-1, bad) TH_LOG("BO at %#llx: byte %ld differs",
				  (unsigned long long)va, bad);
	return !st && bad == -1;
}

#define NBALLAST	24
#define BALLAST_SIZE	(1ull << 20)

/*
 * Memory pressure on zram swap: the shrinker evicts idle BOs while jobs
 * run (each one restoring the BO it reads, its output verified), and
 * every BO is intact afterwards, by job and by CPU. 24 MiB of idle BOs
 * besides the fixture's give the shrinker something to scan: reclaim
 * asks a shrinker for a share of what it counts.
 */
TEST_F_TIMEOUT(swap, memory_pressure_with_jobs, 900)
{
	struct swp *s = &self->s;
	long long e0, r0, p0, total, ev;
	uint32_t ball[NBALLAST];
	uint64_t bva[NBALLAST];
	int jobs = 0, wst;
	pid_t child;

	if (!swap_on(&self->swap_ours))
		SKIP(return, "no swap (zram) could be set up");
	for (int i = 0; i < NBALLAST; i++) {
		uint8_t *p;

		ASSERT_EQ(0, vnpu_bo_create(s->fd, BALLAST_SIZE, 0, &ball[i],
					    &bva[i]));
		p = vnpu_bo_mmap(s->fd, ball[i], BALLAST_SIZE);
		ASSERT_NE(NULL, p);
		for (uint64_t b = 0; b < BALLAST_SIZE; b++)
			p[b] = fill_byte(pattern(100 + i), b);
		munmap(p, BALLAST_SIZE);
	}
	e0 = swap_stat(s->dir, "evictions");
	r0 = swap_stat(s->dir, "restores");
	p0 = vmstat_get("pswpout");
	total = (meminfo_kb("MemTotal") + meminfo_kb("SwapTotal")) * 1024;

	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		pressure_child(s->dir, NBOS / 2, total * 3 / 4);

	/* jobs meanwhile, each checked: they restore what was evicted */
	while (waitpid(child, &wst, WNOHANG) == 0) {
		ASSERT_TRUE(check_by_job(_metadata, s, jobs % NBOS));
		jobs++;
	}
	ev = swap_stat(s->dir, "evictions") - e0;
	TH_LOG("%d jobs under pressure, %lld evictions, %lld restores, %lld swap-outs",
	       jobs, ev, swap_stat(s->dir, "restores") - r0,
	       vmstat_get("pswpout") - p0);
	/* 0: it saw NBOS / 2 evictions; 1: it allocated its limit */
	ASSERT_TRUE(WIFEXITED(wst)) TH_LOG("pressure child: status %#x", wst);
	ASSERT_GE(1, WEXITSTATUS(wst));
	ASSERT_LT(0, ev) TH_LOG("the shrinker evicted nothing");
	EXPECT_LT(p0, vmstat_get("pswpout"));

	for (int i = 0; i < NBOS; i++)
		ASSERT_TRUE(check_by_job(_metadata, s, i));
	for (int i = 0; i < NBALLAST; i++)
		ASSERT_TRUE(check_va_by_job(_metadata, s, ball[i], bva[i],
					    pattern(100 + i)));
	EXPECT_LT(r0, swap_stat(s->dir, "restores"));
	for (int i = 0; i < NBOS; i++)
		ASSERT_TRUE(check_by_mmap(_metadata, s, i));
	for (int i = 0; i < NBALLAST; i++) {
		uint8_t *p = vnpu_bo_mmap(s->fd, ball[i], BALLAST_SIZE);

		ASSERT_NE(NULL, p);
		EXPECT_EQ(-1, check_fill(p, BALLAST_SIZE, pattern(100 + i)));
		munmap(p, BALLAST_SIZE);
	}
}

TEST_HARNESS_MAIN
