// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu allocation-failure sweeps: for every vnpu ioctl path that allocates
 * (open, BO_CREATE plain/WC/DEVMEM, BO_INFO, BO_USERPTR, VM_BIND,
 * VM_UNBIND, SUBMIT, WAIT, CTX_SET_PARAM, PRIME export, PRIME import of a
 * vnpu and of a vgem buffer), fail the 1st, 2nd, ... allocation of the
 * call with /proc/thread-self/fail-nth until the call gets through without
 * an injected failure. Every call whose allocation failed must return
 * -ENOMEM (-ENOSPC too for BO_CREATE and BO_USERPTR, as documented) or
 * succeed (when the failure has a fallback), leave the file's
 * state unchanged (its fdinfo, apart from engine time, and the device's
 * context count) and the device usable (a verified FILL job right after).
 * The last test scans kmemleak: nothing leaked.
 *
 * Variants:
 *   slab_vnpu, page_vnpu: failslab or fail_page_alloc, restricted with
 *     require-start/require-end to stacks that pass through vnpu.ko's
 *     text (from /proc/kallsyms: lowest [vnpu] text symbol to the highest
 *     plus 64 KiB). DRM core, shmem and dma-buf allocations made on
 *     vnpu's behalf are included; allocations of the syscall and DRM
 *     ioctl layers before vnpu is called are not.
 *   slab_all, page_all: the whole stack of the calling task.
 * Work done in other tasks (the scheduler's run_job, the device's
 * interrupt thread) is not reached by fail-nth.
 *
 * Needs CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC,
 * FAULT_INJECTION_DEBUG_FS and FAULT_INJECTION_STACKTRACE_FILTER (the
 * check-debug kernel); SKIPs on kernels without fail-nth (Debian's).
 * Prints "failnth: VARIANT PATH: N sites, F failed with -ENOMEM, S
 * succeeded anyway".
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <stdio.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define NTH_MAX		4000
#define BO_SIZE		(64 * 1024ull)
#define DBG		"/sys/kernel/debug/"

enum fn_op {
	OP_OPEN, OP_BO_CREATE, OP_BO_CREATE_WC, OP_BO_CREATE_DEVMEM,
	OP_BO_INFO, OP_USERPTR, OP_VM_BIND, OP_VM_UNBIND, OP_SUBMIT, OP_WAIT,
	OP_SET_PRIORITY, OP_PRIME_EXPORT, OP_PRIME_IMPORT_SELF,
	OP_PRIME_IMPORT_VGEM,
};

static const char *const op_names[] = {
	"open", "bo_create", "bo_create_wc", "bo_create_devmem", "bo_info",
	"userptr", "vm_bind", "vm_unbind", "submit", "wait", "set_priority",
	"prime_export", "prime_import_self", "prime_import_vgem",
};

/* ---- fault-injection knobs ---- */

struct knob {
	const char *path;
	char saved[64];
	bool set;
};

static int read_str(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), len;

	if (fd < 0)
		return -errno;
	len = read(fd, buf, n - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = 0;
	return len;
}

/* Remember @k's value (once) and set it to @val. */
static int knob_set(struct knob *k, const char *val)
{
	if (!k->set) {
		if (read_str(k->path, k->saved, sizeof(k->saved)) < 0)
			return -errno;
		k->set = true;
	}
	return sysfs_write(k->path, val);
}

static void knob_restore(struct knob *k)
{
	if (k->set)
		sysfs_write(k->path, k->saved);
	k->set = false;
}

/* Text range of vnpu.ko from /proc/kallsyms; false when not found. */
static bool vnpu_text_range(unsigned long *start, unsigned long *end)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], type, name[256], mod[64];
	unsigned long a, lo = ~0ul, hi = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s %63s", &a, &type, name, mod) != 4)
			continue;
		if (strcmp(mod, "[vnpu]") || (type != 't' && type != 'T'))
			continue;
		if (a < lo)
			lo = a;
		if (a > hi)
			hi = a;
	}
	fclose(f);
	if (!hi || !lo)		/* kptr_restrict shows zeros */
		return false;
	*start = lo;
	*end = hi + 0x10000;
	return true;
}

/* fail-nth of the calling thread; -errno when absent. */
static int nth_open(void)
{
	int fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void nth_set(int fd, unsigned int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", n);

	/* no allocation through vnpu happens in this write */
	if (pwrite(fd, s, len, 0) != len)
		abort();
}

/* Remaining count: 0 when the failure was injected. */
static unsigned int nth_get(int fd)
{
	char s[16] = "";

	if (pread(fd, s, sizeof(s) - 1, 0) <= 0)
		abort();
	return strtoul(s, NULL, 10);
}

/* ---- fdinfo: the file's state, without the engine-time counters ---- */

static void fdinfo_state(int fd, char *buf, size_t n)
{
	char path[64], line[256];
	size_t len = 0;
	FILE *f;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "drm-", 4) && strncmp(line, "vnpu-", 5))
			continue;
		if (!strncmp(line, "drm-engine-", 11) ||
		    !strncmp(line, "drm-cycles-", 11))
			continue;
		len += snprintf(buf + len, n - len, "%s", line);
		if (len >= n)
			break;
	}
	fclose(f);
}

/* ---- the fixture ---- */

FIXTURE(failnth) {
	int fd, fd2, nth, vgem;
	uint32_t cmd, data, sync_in, sync_out;
	uint64_t cmd_va, data_va, bind_va;
	uint8_t *cmd_map, *data_map, *umem;
	struct knob knobs[12];
	unsigned int nknobs;
	/* per call */
	uint32_t h, vgem_h;
	int dmabuf, newfd;
	uint64_t job;
	uint32_t pattern;
	unsigned long sites, failed, ok_anyway;
};

FIXTURE_VARIANT(failnth) {
	const char *attr;	/* failslab or fail_page_alloc */
	const char *other;	/* the one that must not fire */
	bool whole_stack;
};

FIXTURE_VARIANT_ADD(failnth, slab_vnpu) {
	.attr = "failslab", .other = "fail_page_alloc",
};

FIXTURE_VARIANT_ADD(failnth, page_vnpu) {
	.attr = "fail_page_alloc", .other = "failslab",
};

FIXTURE_VARIANT_ADD(failnth, slab_all) {
	.attr = "failslab", .other = "fail_page_alloc", .whole_stack = true,
};

FIXTURE_VARIANT_ADD(failnth, page_all) {
	.attr = "fail_page_alloc", .other = "failslab", .whole_stack = true,
};

static int set_knob(FIXTURE_DATA(failnth) *self, const char *attr,
		    const char *name, const char *val)
{
	static char paths[12][128];
	struct knob *k = &self->knobs[self->nknobs];

	if (self->nknobs >= 12)
		return -ENOSPC;
	snprintf(paths[self->nknobs], sizeof(paths[0]), DBG "%s/%s", attr,
		 name);
	k->path = paths[self->nknobs];
	self->nknobs++;
	return knob_set(k, val);
}

FIXTURE_SETUP(failnth)
{
	unsigned long start, end;
	char s[32], e[32], path[128];
	int ret;

	self->fd = self->fd2 = self->nth = self->vgem = self->dmabuf = -1;
	self->newfd = -1;
	self->nknobs = 0;
	ret = nth_open();
	if (ret == -ENOENT)
		SKIP(return, "no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)");
	ASSERT_LE(0, ret) TH_LOG("fail-nth: %s", strerror(-ret));
	self->nth = ret;
	snprintf(path, sizeof(path), DBG "%s/require-start", variant->attr);
	if (access(path, W_OK))
		SKIP(return, "no %s (FAULT_INJECTION_DEBUG_FS, STACKTRACE_FILTER)",
		     path);
	VNPU_OPEN_OR_SKIP(self->fd);

	if (variant->whole_stack) {
		start = 0;
		end = ~0ul;
	} else {
		ASSERT_TRUE(vnpu_text_range(&start, &end))
			TH_LOG("no [vnpu] text symbols in /proc/kallsyms");
	}
	snprintf(s, sizeof(s), "%lu", start);
	snprintf(e, sizeof(e), "%lu", end);
	ASSERT_EQ(0, set_knob(self, variant->attr, "require-start", s));
	ASSERT_EQ(0, set_knob(self, variant->attr, "require-end", e));
	ASSERT_EQ(0, set_knob(self, variant->attr, "stacktrace-depth", "32"));
	ASSERT_EQ(0, set_knob(self, variant->attr, "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, set_knob(self, variant->attr, "verbose", "0"));
	if (!strcmp(variant->attr, "fail_page_alloc")) {
		ASSERT_EQ(0, set_knob(self, variant->attr, "min-order", "0"));
		ASSERT_EQ(0, set_knob(self, variant->attr,
				      "ignore-gfp-highmem", "N"));
	}
	/* an empty required range: the other attribute never fires */
	ASSERT_EQ(0, set_knob(self, variant->other, "require-start", "1"));
	ASSERT_EQ(0, set_knob(self, variant->other, "require-end", "1"));

	ASSERT_EQ(0, vnpu_bo_create(self->fd, BO_SIZE, 0, &self->cmd,
				    &self->cmd_va));
	ASSERT_EQ(0, vnpu_bo_create(self->fd, BO_SIZE, 0, &self->data,
				    &self->data_va));
	self->cmd_map = vnpu_bo_mmap(self->fd, self->cmd, BO_SIZE);
	self->data_map = vnpu_bo_mmap(self->fd, self->data, BO_SIZE);
	ASSERT_NE(NULL, self->cmd_map);
	ASSERT_NE(NULL, self->data_map);
	self->bind_va = PARAM(self->fd, DRM_VNPU_PARAM_VA_END) - 4 * BO_SIZE;
	self->umem = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->umem);
	ASSERT_EQ(0, syncobj_create(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED,
				    &self->sync_in));
	ASSERT_EQ(0, syncobj_create(self->fd, 0, &self->sync_out));
	self->fd2 = vnpu_open();
	ASSERT_LE(0, self->fd2);
	self->vgem = vnpu_vgem_open();
}

FIXTURE_TEARDOWN(failnth)
{
	if (self->nth >= 0) {
		nth_set(self->nth, 0);
		close(self->nth);
	}
	for (int i = self->nknobs - 1; i >= 0; i--)
		knob_restore(&self->knobs[i]);
	if (self->vgem >= 0)
		close(self->vgem);
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->fd >= 0)
		close(self->fd);
}

/* A FILL of the data BO through @fd's queue 0, checked on the CPU. */
static bool verified_job(struct __test_metadata *_metadata,
			 FIXTURE_DATA(failnth) *self, uint32_t pattern)
{
	struct cmdbuf cb = { .base = self->cmd_map };
	int32_t st = 1;
	int ret;

	emit_fill(&cb, self->data_va, BO_SIZE, pattern);
	ret = vnpu_run(self->fd, self->cmd, 0, cb.len, 0, &st, NULL);
	EXPECT_EQ(0, ret) TH_LOG("verified job: %s", strerror(-ret));
	EXPECT_EQ(0, st) TH_LOG("verified job status %d", st);
	EXPECT_EQ(-1, check_fill(self->data_map, BO_SIZE, pattern));
	return !ret && !st && check_fill(self->data_map, BO_SIZE, pattern) < 0;
}

static int raw(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int vgem_dumb_export(int vgem, uint32_t *h, int *dmabuf)
{
	struct drm_mode_create_dumb d = { .width = 64, .height = 256, .bpp = 32 };
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC | DRM_RDWR };
	int ret = xioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &d);

	if (ret)
		return ret;
	*h = d.handle;
	p.handle = d.handle;
	ret = xioctl(vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);
	if (!ret)
		*dmabuf = p.fd;
	return ret;
}

/* Set up what the call under test needs, outside the injection. */
static void prepare(struct __test_metadata *_metadata,
		    FIXTURE_DATA(failnth) *self, enum fn_op op)
{
	struct cmdbuf cb = { .base = self->cmd_map };
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC | DRM_RDWR };

	self->h = 0;
	self->dmabuf = -1;
	switch (op) {
	case OP_BO_INFO:
	case OP_PRIME_EXPORT:
		ASSERT_EQ(0, vnpu_bo_create(self->fd, BO_SIZE, 0, &self->h,
					    NULL));
		break;
	case OP_PRIME_IMPORT_SELF:
		ASSERT_EQ(0, vnpu_bo_create(self->fd, BO_SIZE, 0, &self->h,
					    NULL));
		p.handle = self->h;
		ASSERT_EQ(0, xioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p));
		self->dmabuf = p.fd;
		break;
	case OP_PRIME_IMPORT_VGEM:
		ASSERT_EQ(0, vgem_dumb_export(self->vgem, &self->vgem_h,
					      &self->dmabuf));
		break;
	case OP_VM_UNBIND:
		ASSERT_EQ(0, vnpu_vm_bind(self->fd, self->data, 0,
					  self->bind_va, 0, BO_SIZE));
		break;
	case OP_SUBMIT:
		emit_fill(&cb, self->data_va, BO_SIZE, self->pattern);
		break;
	case OP_WAIT:
		emit_fill(&cb, self->data_va, BO_SIZE, self->pattern);
		ASSERT_EQ(0, vnpu_submit_simple(self->fd, self->cmd, 0, cb.len,
						0, 0, &self->job));
		break;
	default:
		break;
	}
}

/* The call under test; 0 or -errno (no retry). */
static int call(FIXTURE_DATA(failnth) *self, enum fn_op op)
{
	struct drm_vnpu_bo_create c = { .size = BO_SIZE };
	struct drm_vnpu_bo_info i = { .handle = self->h };
	struct drm_vnpu_bo_userptr u = {
		.user_ptr = (uintptr_t)self->umem, .size = BO_SIZE,
	};
	struct drm_vnpu_vm_bind b = {
		.handle = self->data, .va = self->bind_va, .size = BO_SIZE,
	};
	struct drm_vnpu_vm_unbind ub = { .va = self->bind_va, .size = BO_SIZE };
	struct drm_vnpu_sync in = { .handle = self->sync_in };
	struct drm_vnpu_sync out = { .handle = self->sync_out };
	struct drm_vnpu_submit s = {
		.bo_handles = (uintptr_t)&self->data, .bo_count = 1,
		.in_syncs = (uintptr_t)&in, .in_sync_count = 1,
		.out_syncs = (uintptr_t)&out, .out_sync_count = 1,
		.cmd_handle = self->cmd, .cmd_size = sizeof(struct vnpu_cmd_fill),
	};
	struct drm_vnpu_wait w = {
		.job_id = self->job, .timeout_ns = now_ns() + VNPU_JOB_TIMEOUT_NS,
	};
	struct drm_vnpu_ctx_param cp = {
		.param = DRM_VNPU_CTX_PARAM_PRIORITY,
		.value = DRM_VNPU_PRIORITY_LOW,
	};
	struct drm_prime_handle p = {
		.handle = self->h, .flags = DRM_CLOEXEC | DRM_RDWR,
	};
	struct drm_prime_handle imp = { .fd = self->dmabuf };
	int ret;

	switch (op) {
	case OP_OPEN:
		self->newfd = open(vnpu_dev_path(), O_RDWR | O_CLOEXEC);
		return self->newfd < 0 ? -errno : 0;
	case OP_BO_CREATE:
	case OP_BO_CREATE_WC:
	case OP_BO_CREATE_DEVMEM:
		c.flags = op == OP_BO_CREATE_WC ? DRM_VNPU_BO_WC :
			  op == OP_BO_CREATE_DEVMEM ? DRM_VNPU_BO_DEVMEM : 0;
		ret = raw(self->fd, DRM_IOCTL_VNPU_BO_CREATE, &c);
		self->h = ret ? 0 : c.handle;
		return ret;
	case OP_BO_INFO:
		return raw(self->fd, DRM_IOCTL_VNPU_BO_INFO, &i);
	case OP_USERPTR:
		ret = raw(self->fd, DRM_IOCTL_VNPU_BO_USERPTR, &u);
		self->h = ret ? 0 : u.handle;
		return ret;
	case OP_VM_BIND:
		return raw(self->fd, DRM_IOCTL_VNPU_VM_BIND, &b);
	case OP_VM_UNBIND:
		return raw(self->fd, DRM_IOCTL_VNPU_VM_UNBIND, &ub);
	case OP_SUBMIT:
		ret = raw(self->fd, DRM_IOCTL_VNPU_SUBMIT, &s);
		self->job = ret ? 0 : s.job_id;
		return ret;
	case OP_WAIT:
		ret = raw(self->fd, DRM_IOCTL_VNPU_WAIT, &w);
		return ret ? ret : w.status;
	case OP_SET_PRIORITY:
		return raw(self->fd, DRM_IOCTL_VNPU_CTX_SET_PARAM, &cp);
	case OP_PRIME_EXPORT:
		ret = raw(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);
		self->newfd = ret ? -1 : p.fd;
		return ret;
	case OP_PRIME_IMPORT_SELF:
	case OP_PRIME_IMPORT_VGEM:
		ret = raw(self->fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp);
		self->h = ret ? self->h : imp.handle;
		if (!ret && op == OP_PRIME_IMPORT_SELF) {
			/* the importer got its own handle; drop ours */
			vnpu_gem_close(self->fd2, imp.handle);
			self->h = 0;
			return vnpu_gem_close(self->fd, p.handle);
		}
		return ret;
	}
	return -EINVAL;
}

/* Undo a call that succeeded; undo prepare() either way. */
static void cleanup(struct __test_metadata *_metadata,
		    FIXTURE_DATA(failnth) *self, enum fn_op op, int ret)
{
	int32_t st = 1;

	switch (op) {
	case OP_OPEN:
	case OP_PRIME_EXPORT:
		if (self->newfd >= 0)
			close(self->newfd);
		self->newfd = -1;
		if (op == OP_PRIME_EXPORT)
			EXPECT_EQ(0, vnpu_gem_close(self->fd, self->h));
		break;
	case OP_BO_CREATE:
	case OP_BO_CREATE_WC:
	case OP_BO_CREATE_DEVMEM:
	case OP_USERPTR:
	case OP_BO_INFO:
		if (self->h)
			EXPECT_EQ(0, vnpu_gem_close(self->fd, self->h));
		break;
	case OP_VM_BIND:
		if (!ret)
			EXPECT_EQ(0, vnpu_vm_unbind(self->fd, self->bind_va,
						    BO_SIZE));
		break;
	case OP_VM_UNBIND:
		/* a failed unbind left the mapping in place */
		if (ret) {
			EXPECT_EQ(0, vnpu_vm_unbind(self->fd, self->bind_va,
						    BO_SIZE));
		} else {
			EXPECT_EQ(-ENOENT, vnpu_vm_unbind(self->fd,
							  self->bind_va,
							  BO_SIZE));
		}
		break;
	case OP_SUBMIT:
		if (!ret) {
			EXPECT_EQ(0, vnpu_wait(self->fd, self->job,
					       deadline_in(VNPU_JOB_TIMEOUT_NS),
					       &st, NULL));
			EXPECT_EQ(0, st);
			EXPECT_EQ(-1, check_fill(self->data_map, BO_SIZE,
						 self->pattern));
			EXPECT_EQ(0, syncobj_wait(self->fd, self->sync_out,
						  deadline_in(VNPU_JOB_TIMEOUT_NS),
						  0));
		}
		break;
	case OP_WAIT:
		/* the job ran whatever WAIT returned */
		EXPECT_EQ(0, vnpu_wait(self->fd, self->job,
				       deadline_in(VNPU_JOB_TIMEOUT_NS), &st,
				       NULL));
		EXPECT_EQ(0, st);
		EXPECT_EQ(-1, check_fill(self->data_map, BO_SIZE,
					 self->pattern));
		break;
	case OP_SET_PRIORITY:
		EXPECT_EQ(0, vnpu_set_priority(self->fd,
					       DRM_VNPU_PRIORITY_NORMAL));
		break;
	case OP_PRIME_IMPORT_SELF:
		if (self->h)
			EXPECT_EQ(0, vnpu_gem_close(self->fd, self->h));
		close(self->dmabuf);
		break;
	case OP_PRIME_IMPORT_VGEM:
		if (!ret)
			EXPECT_EQ(0, vnpu_gem_close(self->fd2, self->h));
		close(self->dmabuf);
		{
			struct drm_mode_destroy_dumb d = { .handle = self->vgem_h };

			EXPECT_EQ(0, xioctl(self->vgem, DRM_IOCTL_MODE_DESTROY_DUMB,
					    &d));
		}
		break;
	}
	self->dmabuf = -1;
}

static void sweep(struct __test_metadata *_metadata,
		  FIXTURE_DATA(failnth) *self,
		  const FIXTURE_VARIANT(failnth) *variant, enum fn_op op)
{
	static char before[4096], after[4096], before2[4096], after2[4096];
	uint64_t nctx0, nctx1;
	unsigned int n;

	if (op == OP_PRIME_IMPORT_VGEM && self->vgem < 0)
		SKIP(return, "no vgem device");
	for (n = 1; n < NTH_MAX; n++) {
		unsigned int left;
		int ret;

		self->pattern = 0x5a000000u | n;
		prepare(_metadata, self, op);
		fdinfo_state(self->fd, before, sizeof(before));
		fdinfo_state(self->fd2, before2, sizeof(before2));
		nctx0 = PARAM(self->fd, DRM_VNPU_PARAM_NUM_CONTEXTS);

		nth_set(self->nth, n);
		ret = call(self, op);
		left = nth_get(self->nth);
		nth_set(self->nth, 0);

		if (left) {
			/* every allocation of the call got through */
			ASSERT_EQ(0, ret) TH_LOG("%s without injection: %s",
						 op_names[op], strerror(-ret));
			cleanup(_metadata, self, op, ret);
			break;
		}
		if (!ret) {
			/* the failed allocation had a fallback */
			self->ok_anyway++;
			cleanup(_metadata, self, op, ret);
			continue;
		}
		self->failed++;
		/* -ENOSPC: documented for BO_CREATE and BO_USERPTR (shmem
		 * reports a failed inode allocation as -ENOSPC)
		 */
		if (ret == -ENOSPC && (op == OP_BO_CREATE ||
				       op == OP_BO_CREATE_WC ||
				       op == OP_BO_CREATE_DEVMEM ||
				       op == OP_USERPTR))
			ret = -ENOMEM;
		ASSERT_EQ(-ENOMEM, ret)
			TH_LOG("%s, allocation %u failed: %d (%s)", op_names[op],
			       n, ret, strerror(-ret));
		/* nothing half-done is left in either file or the device */
		fdinfo_state(self->fd, after, sizeof(after));
		fdinfo_state(self->fd2, after2, sizeof(after2));
		nctx1 = PARAM(self->fd, DRM_VNPU_PARAM_NUM_CONTEXTS);
		/*
		 * WAIT's job may end meanwhile (its counters move); when
		 * PRIME export fails after the dma-buf was made (the fd
		 * install), the DRM core keeps it cached on the object until
		 * the handle is closed: the BO counts as shared meanwhile
		 */
		if (op != OP_WAIT && op != OP_PRIME_EXPORT) {
			EXPECT_STREQ(before, after)
				TH_LOG("%s, allocation %u: file state changed",
				       op_names[op], n);
		}
		EXPECT_STREQ(before2, after2);
		EXPECT_EQ(nctx0, nctx1);
		cleanup(_metadata, self, op, ret);
		ASSERT_TRUE(verified_job(_metadata, self, 0xc0de0000u | n))
			TH_LOG("%s, allocation %u: device unusable after",
			       op_names[op], n);
		if (_metadata->exit_code)
			return;
	}
	ASSERT_LT(n, NTH_MAX) TH_LOG("%s: more than %d allocations?",
				     op_names[op], NTH_MAX);
	self->sites = n - 1;
	ASSERT_TRUE(verified_job(_metadata, self, 0x600d0000u | n));
	ksft_print_msg("failnth: %s%s %s: %lu sites, %lu failed with -ENOMEM, %lu succeeded anyway\n",
		       variant->attr, variant->whole_stack ? "/all" : "/vnpu",
		       op_names[op], self->sites, self->failed,
		       self->ok_anyway);
}

#define SWEEP(name, op)							\
TEST_F_TIMEOUT(failnth, name, 600)					\
{									\
	sweep(_metadata, self, variant, op);				\
}

/* clear kmemleak's earlier reports (boot) before the sweeps */
TEST(kmemleak_clear)
{
	if (sysfs_write(DBG "kmemleak", "clear"))
		SKIP(return, "no kmemleak");
}

SWEEP(open, OP_OPEN)
SWEEP(bo_create, OP_BO_CREATE)
SWEEP(bo_create_wc, OP_BO_CREATE_WC)
SWEEP(bo_create_devmem, OP_BO_CREATE_DEVMEM)
SWEEP(bo_info, OP_BO_INFO)
SWEEP(userptr, OP_USERPTR)
SWEEP(vm_bind, OP_VM_BIND)
SWEEP(vm_unbind, OP_VM_UNBIND)
SWEEP(submit, OP_SUBMIT)
SWEEP(wait, OP_WAIT)
SWEEP(set_priority, OP_SET_PRIORITY)
SWEEP(prime_export, OP_PRIME_EXPORT)
SWEEP(prime_import_self, OP_PRIME_IMPORT_SELF)
SWEEP(prime_import_vgem, OP_PRIME_IMPORT_VGEM)

/*
 * Nothing the sweeps did leaked: kmemleak reports objects unreferenced for
 * two scans and older than 5 s.
 */
FIXTURE(kmemleak) {
};

FIXTURE_SETUP(kmemleak)
{
}

FIXTURE_TEARDOWN(kmemleak)
{
}

TEST_F_TIMEOUT(kmemleak, clean, 600)
{
	char buf[8192];
	int len;

	if (access(DBG "kmemleak", R_OK))
		SKIP(return, "no kmemleak");
	sleep(6);
	ASSERT_EQ(0, sysfs_write(DBG "kmemleak", "scan"));
	ASSERT_EQ(0, sysfs_write(DBG "kmemleak", "scan"));
	len = read_str(DBG "kmemleak", buf, sizeof(buf));
	ASSERT_LE(0, len);
	EXPECT_EQ(0, len) TH_LOG("kmemleak:\n%s", buf);
}

TEST_HARNESS_MAIN
