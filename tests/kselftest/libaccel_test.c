// SPDX-License-Identifier: MIT
/*
 * In-guest tests of libaccel against the real driver and device: device
 * discovery and opening, BOs (system and device memory, userptr, PRIME,
 * VM_BIND, CPU-access sync), jobs (builder, submit, wait, timeouts,
 * syncobjs, sync_files, priorities), threads sharing a device, a process
 * that forks, telemetry and events, hotplug, and smoke tests of the tools
 * (vnpu-info, vnpu-top, vnpu-events).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "accel.h"
#include "drm/vnpu_accel.h"
#include "vnpu_device.h"
#include "vnpu_ksft.h"

#define SEC		1000000000ll
#define JOB_TIMEOUT	(30 * SEC)	/* the device is emulated under TCG */

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static unsigned int vnpu_count(void)
{
	struct accel_device_list *list;
	unsigned int n = 0;

	if (accel_device_enumerate(&list))
		return 0;
	accel_device_list_get_count(list, &n);
	accel_device_list_free(list);
	return n;
}

/* A BO of @size bytes with its VA and CPU mapping. */
struct buf {
	struct accel_bo *bo;
	uint64_t va;
	uint8_t *p;
	uint64_t size;
};

static int buf_new(struct accel_device *dev, uint64_t size, uint32_t flags,
		   struct buf *b)
{
	int ret;

	memset(b, 0, sizeof(*b));
	ret = accel_bo_new(dev, size, flags, &b->bo);
	if (ret)
		return ret;
	accel_bo_get_va(b->bo, &b->va);
	accel_bo_get_size(b->bo, &b->size);
	ret = accel_bo_map(b->bo, (void **)&b->p);
	if (ret) {
		accel_bo_free(b->bo);
		b->bo = NULL;
	}
	return ret;
}

static void buf_free(struct buf *b)
{
	if (b->bo) {
		accel_bo_unmap(b->bo);
		accel_bo_free(b->bo);
	}
	memset(b, 0, sizeof(*b));
}

/* Build, submit and wait for one FILL of @b; returns the job status. */
static int run_fill(struct accel_device *dev, uint64_t va, uint64_t size,
		    uint32_t pattern, uint32_t queue, int *status)
{
	struct accel_cmdbuf *cb;
	struct accel_job *job;
	int ret;

	ret = accel_cmdbuf_new(dev, &cb);
	if (ret)
		return ret;
	ret = accel_cmdbuf_fill(cb, va, size, pattern);
	if (!ret)
		ret = accel_job_submit(dev, cb, queue, NULL, &job);
	accel_cmdbuf_free(cb);
	if (ret)
		return ret;
	ret = accel_job_wait(job, JOB_TIMEOUT, status);
	accel_job_free(job);
	return ret;
}

static bool filled(const uint8_t *p, uint64_t size, uint32_t pattern)
{
	uint64_t i;

	for (i = 0; i < size; i++)
		if (p[i] != (uint8_t)(pattern >> (8 * (i % 4))))
			return false;
	return true;
}

/*
 * Submit a job that writes an unmapped VA (encoded with a device-less
 * builder, which does not check BO containment, and submitted raw), so
 * that the device faults. Returns the job's status.
 */
static int provoke_fault(struct accel_device *dev, uint64_t *fault_va)
{
	struct drm_vnpu_submit sub = { 0 };
	struct drm_vnpu_wait w = { 0 };
	struct accel_device_caps caps;
	struct accel_cmdbuf *cb;
	struct timespec ts;
	const void *data;
	struct buf cmd;
	uint32_t h;
	size_t len;
	int fd, ret;

	accel_device_get_caps(dev, &caps);
	accel_device_get_fd(dev, &fd);
	/* The last page of the placement range: never used by small BOs. */
	*fault_va = caps.va_end - VNPU_PAGE_SIZE;
	ret = accel_cmdbuf_new(NULL, &cb);
	if (ret)
		return ret;
	ret = accel_cmdbuf_fill(cb, *fault_va, 64, 0xdeadbeef);
	if (!ret)
		ret = buf_new(dev, 4096, 0, &cmd);
	if (ret) {
		accel_cmdbuf_free(cb);
		return ret;
	}
	accel_cmdbuf_get_stream(cb, &data, &len);
	memcpy(cmd.p, data, len);
	accel_bo_get_handle(cmd.bo, &h);
	sub.cmd_handle = h;
	sub.cmd_size = (uint32_t)len;
	sub.bo_handles = (uintptr_t)&h;
	sub.bo_count = 1;
	ret = ioctl(fd, DRM_IOCTL_VNPU_SUBMIT, &sub) ? -errno : 0;
	if (!ret) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		w.job_id = sub.job_id;
		w.timeout_ns = ts.tv_sec * SEC + ts.tv_nsec + JOB_TIMEOUT;
		ret = ioctl(fd, DRM_IOCTL_VNPU_WAIT, &w) ? -errno : w.status;
	}
	accel_cmdbuf_free(cb);
	buf_free(&cmd);
	return ret;
}

/* A minimal JSON validator: true if @s is exactly one JSON value. */
static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s && *s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (!*s)
				return NULL;
		}
		s++;
	}
	return *s == '"' ? s + 1 : NULL;
}

static const char *json_seq(const char *s, char close, bool object)
{
	s = json_ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (object) {
			s = json_string(json_ws(s));
			if (!s)
				return NULL;
			s = json_ws(s);
			if (*s++ != ':')
				return NULL;
		}
		s = json_value(s);
		if (!s)
			return NULL;
		s = json_ws(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *s)
{
	char *end;

	s = json_ws(s);
	switch (*s) {
	case '{':
		return json_seq(s, '}', true);
	case '[':
		return json_seq(s, ']', false);
	case '"':
		return json_string(s);
	case 't':
		return strncmp(s, "true", 4) ? NULL : s + 4;
	case 'f':
		return strncmp(s, "false", 5) ? NULL : s + 5;
	case 'n':
		return strncmp(s, "null", 4) ? NULL : s + 4;
	}
	strtod(s, &end);
	return end == s ? NULL : end;
}

static bool json_ok(const char *s)
{
	s = json_value(s);
	return s && !*json_ws(s);
}

/* Run @cmd through sh and collect its output; returns its exit status. */
static int run_capture(const char *cmd, char *out, size_t n)
{
	size_t len = 0, r;
	FILE *f = popen(cmd, "r");
	int st;

	if (!f)
		return -1;
	while (len + 1 < n && (r = fread(out + len, 1, n - 1 - len, f)) > 0)
		len += r;
	out[len] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ------------------------------------------------------------------ */
/* Discovery and opening                                               */
/* ------------------------------------------------------------------ */

TEST(enumerate)
{
	struct accel_device_caps lc, dc;
	struct accel_device_list *list;
	struct accel_device *dev;
	const char *node, *pci, *dpci;
	unsigned int n = 0, i;
	int maj = 0, min = -1;

	ASSERT_EQ(0, accel_device_enumerate(&list));
	accel_device_list_get_count(list, &n);
	if (!n) {
		accel_device_list_free(list);
		SKIP(return, "no vnpu device");
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, accel_device_list_get_devnode(list, i, &node));
		ASSERT_EQ(0, accel_device_list_get_pci_address(list, i, &pci));
		EXPECT_EQ(0, strncmp(node, "/dev/accel/accel", 16));
		EXPECT_EQ(12u, strlen(pci));	/* DDDD:BB:DD.F */
		ASSERT_EQ(0, accel_device_list_get_driver_version(list, i, &maj,
								  &min, NULL));
		EXPECT_EQ(1, maj);
		ASSERT_EQ(0, accel_device_list_get_caps(list, i, &lc));
		EXPECT_EQ(VNPU_PCI_DEVICE_ID, lc.device_id);
		EXPECT_LE(1u, lc.num_queues);
		EXPECT_NE(0u, lc.ops & (1u << VNPU_OP_FILL));
		/* The same through an open handle. */
		ASSERT_EQ(0, accel_device_open(node, &dev));
		ASSERT_EQ(0, accel_device_get_caps(dev, &dc));
		EXPECT_EQ(lc.num_queues, dc.num_queues);
		EXPECT_EQ(lc.max_bo_size, dc.max_bo_size);
		EXPECT_EQ(lc.features, dc.features);
		ASSERT_EQ(0, accel_device_get_pci_address(dev, &dpci));
		EXPECT_STREQ(pci, dpci);
		accel_device_close(dev);
	}
	EXPECT_EQ(-ERANGE, accel_device_list_get_caps(list, n, &lc));
	accel_device_list_free(list);
}

TEST(open_by_index_path_pci)
{
	struct accel_device *a, *b, *c, *d;
	const char *pa, *pb, *pc, *pd, *na;
	char shortaddr[16];

	if (!vnpu_count())
		SKIP(return, "no vnpu device");
	ASSERT_EQ(0, accel_device_open_index(0, &a));
	ASSERT_EQ(0, accel_device_get_devnode(a, &na));
	ASSERT_EQ(0, accel_device_open(na, &b));
	ASSERT_EQ(0, accel_device_get_pci_address(a, &pa));
	ASSERT_EQ(0, accel_device_open_pci(pa, &c));
	/* "BB:DD.F" names domain 0. */
	ASSERT_EQ(0, strncmp(pa, "0000:", 5));
	snprintf(shortaddr, sizeof(shortaddr), "%s", pa + 5);
	ASSERT_EQ(0, accel_device_open_pci(shortaddr, &d));
	accel_device_get_pci_address(b, &pb);
	accel_device_get_pci_address(c, &pc);
	accel_device_get_pci_address(d, &pd);
	EXPECT_STREQ(pa, pb);
	EXPECT_STREQ(pa, pc);
	EXPECT_STREQ(pa, pd);
	EXPECT_EQ(-ENODEV, accel_device_open_index(vnpu_count(), &d));
	EXPECT_EQ(-ENODEV, accel_device_open_pci("0000:ff:1f.7", &d));
	accel_device_close(a);
	accel_device_close(b);
	accel_device_close(c);
	accel_device_close(d);
}

/* ------------------------------------------------------------------ */
/* One open device                                                     */
/* ------------------------------------------------------------------ */

FIXTURE(dev) {
	struct accel_device *dev;
	struct accel_device_caps caps;
};

FIXTURE_SETUP(dev)
{
	self->dev = NULL;
	if (!vnpu_count())
		SKIP(return, "no vnpu device");
	ASSERT_EQ(0, accel_device_open(NULL, &self->dev));
	ASSERT_EQ(0, accel_device_get_caps(self->dev, &self->caps));
}

FIXTURE_TEARDOWN(dev)
{
	accel_device_close(self->dev);
}

TEST_F(dev, bo_basics)
{
	struct buf b;
	uint32_t flags = 99;
	unsigned int i;

	ASSERT_EQ(0, buf_new(self->dev, 1, 0, &b));
	EXPECT_EQ(4096u, b.size);
	EXPECT_LE(self->caps.va_start, b.va);
	EXPECT_LE(b.va + b.size, self->caps.va_end);
	for (i = 0; i < b.size; i++)
		ASSERT_EQ(0, b.p[i]);
	ASSERT_EQ(0, accel_bo_get_flags(b.bo, &flags));
	EXPECT_EQ(0u, flags);
	buf_free(&b);
	ASSERT_EQ(0, buf_new(self->dev, 8192, ACCEL_BO_WC, &b));
	accel_bo_get_flags(b.bo, &flags);
	EXPECT_EQ(ACCEL_BO_WC, flags);
	buf_free(&b);
	EXPECT_EQ(-EINVAL, accel_bo_new(self->dev, 0, 0, &b.bo));
	EXPECT_EQ(-EINVAL, accel_bo_new(self->dev, 4096, 1u << 7, &b.bo));
	EXPECT_EQ(-EINVAL, accel_bo_new(self->dev, self->caps.max_bo_size + 1,
					0, &b.bo));
	EXPECT_EQ(-EINVAL, accel_bo_new(self->dev, 4096,
					ACCEL_BO_WC | ACCEL_BO_DEVMEM, &b.bo));
}

TEST_F(dev, devmem_bo)
{
	struct buf b;
	int st = -1;

	if (!(self->caps.features & ACCEL_FEATURE_DEVMEM)) {
		EXPECT_EQ(-EOPNOTSUPP, accel_bo_new(self->dev, 4096,
						    ACCEL_BO_DEVMEM, &b.bo));
		SKIP(return, "no device memory");
	}
	ASSERT_EQ(0, buf_new(self->dev, 65536, ACCEL_BO_DEVMEM, &b));
	ASSERT_EQ(0, run_fill(self->dev, b.va, b.size, 0x5a5a1234, 0, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(filled(b.p, b.size, 0x5a5a1234));
	buf_free(&b);
}

TEST_F(dev, fill_copy_timestamp)
{
	struct accel_cmdbuf *cb;
	struct accel_job *job;
	struct buf a, b;
	uint32_t hw = 99;
	uint64_t ts;
	int st = -1, ret;

	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &a));
	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &b));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, a.va, 65536, 0x01020304));
	ret = accel_cmdbuf_barrier(cb);	/* older devices lack it */
	if (ret != -EOPNOTSUPP)
		ASSERT_EQ(0, ret);
	ASSERT_EQ(0, accel_cmdbuf_copy(cb, b.va, a.va, 65536 - 8));
	ASSERT_EQ(0, accel_cmdbuf_timestamp(cb, b.va + 65536 - 8));
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, NULL, &job));
	ASSERT_EQ(0, accel_job_wait(job, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	ASSERT_EQ(0, accel_job_get_hw_status(job, &hw));
	EXPECT_EQ(VNPU_JOB_OK, hw);
	EXPECT_TRUE(filled(a.p, 65536, 0x01020304));
	EXPECT_TRUE(filled(b.p, 65536 - 8, 0x01020304));
	memcpy(&ts, b.p + 65536 - 8, 8);
	EXPECT_NE(0u, ts);
	/* Waiting again returns the cached result at once. */
	st = -1;
	EXPECT_EQ(0, accel_job_wait(job, 0, &st));
	EXPECT_EQ(0, st);
	accel_job_free(job);
	accel_cmdbuf_free(cb);
	buf_free(&a);
	buf_free(&b);
}

/*
 * A command buffer submitted again reuses its uploaded stream while it is
 * unchanged; after a change (appending, resetting) the new stream runs,
 * while the jobs of the old one still run the old one.
 */
TEST_F(dev, resubmit_after_changes_runs_the_new_stream)
{
	struct accel_job *j1, *j2, *j3, *j4;
	struct accel_cmdbuf *cb;
	struct buf a, b;
	int st;

	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &a));
	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &b));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, a.va, 65536, 0x11111111));
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, NULL, &j1));
	/* the same stream again, then a longer one, before j1 is waited */
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, NULL, &j2));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, b.va, 65536, 0x22222222));
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, NULL, &j3));
	st = -1;
	ASSERT_EQ(0, accel_job_wait(j1, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	st = -1;
	ASSERT_EQ(0, accel_job_wait(j2, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	st = -1;
	ASSERT_EQ(0, accel_job_wait(j3, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(filled(a.p, 65536, 0x11111111));
	EXPECT_TRUE(filled(b.p, 65536, 0x22222222));
	/* reset and rebuild with the same length: the new values land */
	ASSERT_EQ(0, accel_cmdbuf_reset(cb));
	ASSERT_EQ(-ENODATA, accel_job_submit(self->dev, cb, 0, NULL, &j4));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, a.va, 65536, 0x33333333));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, b.va, 65536, 0x44444444));
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, NULL, &j4));
	/* freeing the builder does not take the stream from the job */
	accel_cmdbuf_free(cb);
	st = -1;
	ASSERT_EQ(0, accel_job_wait(j4, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(filled(a.p, 65536, 0x33333333));
	EXPECT_TRUE(filled(b.p, 65536, 0x44444444));
	accel_job_free(j1);
	accel_job_free(j2);
	accel_job_free(j3);
	accel_job_free(j4);
	buf_free(&a);
	buf_free(&b);
}

TEST_F(dev, builder_checks_bos)
{
	struct accel_cmdbuf *cb;
	struct accel_device *other;
	struct buf a, o;
	unsigned int n;

	ASSERT_EQ(0, buf_new(self->dev, 8192, 0, &a));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	EXPECT_EQ(-EFAULT, accel_cmdbuf_fill(cb, a.va + 4096, 8192, 0));
	EXPECT_EQ(-EFAULT, accel_cmdbuf_fill(cb, self->caps.va_end - 4096, 8, 0));
	EXPECT_EQ(0, accel_cmdbuf_fill(cb, a.va + 4096, 4096, 0));
	ASSERT_EQ(0, accel_cmdbuf_get_bo_count(cb, &n));
	EXPECT_EQ(1u, n);
	/* A BO of another handle is in another address space. */
	ASSERT_EQ(0, accel_device_open(NULL, &other));
	ASSERT_EQ(0, buf_new(other, 4096, 0, &o));
	EXPECT_EQ(-EXDEV, accel_cmdbuf_add_bo(cb, o.bo));
	buf_free(&o);
	accel_device_close(other);
	accel_cmdbuf_free(cb);
	buf_free(&a);
}

TEST_F(dev, submit_errors)
{
	struct accel_submit_opts o;
	struct accel_cmdbuf *cb, *empty;
	struct accel_job *job = NULL;
	struct accel_sync sy = { .handle = 0xdead };
	struct buf a;

	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &a));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, a.va, 64, 1));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &empty));
	EXPECT_EQ(-ENODATA, accel_job_submit(self->dev, empty, 0, NULL, &job));
	EXPECT_EQ(-EINVAL, accel_job_submit(self->dev, cb, self->caps.num_queues,
					    NULL, &job));
	memset(&o, 0, sizeof(o));
	o.flags = 1u << 5;
	EXPECT_EQ(-EINVAL, accel_job_submit(self->dev, cb, 0, &o, &job));
	memset(&o, 0, sizeof(o));
	o.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, accel_job_submit(self->dev, cb, 0, &o, &job));
	memset(&o, 0, sizeof(o));
	o.priority = 9;
	EXPECT_EQ(-EINVAL, accel_job_submit(self->dev, cb, 0, &o, &job));
	memset(&o, 0, sizeof(o));
	o.in_syncs = &sy;
	o.in_sync_count = 1;
	EXPECT_EQ(-ENOENT, accel_job_submit(self->dev, cb, 0, &o, &job));
	o.in_sync_count = ACCEL_MAX_SYNCS + 1;
	EXPECT_EQ(-EINVAL, accel_job_submit(self->dev, cb, 0, &o, &job));
	memset(&o, 0, sizeof(o));
	o.out_sync_count = ACCEL_MAX_SYNCS;	/* one is the library's */
	o.out_syncs = &sy;
	EXPECT_EQ(-EINVAL, accel_job_submit(self->dev, cb, 0, &o, &job));
	memset(&o, 0, sizeof(o));
	o.flags = ACCEL_SUBMIT_IN_FENCE_FD;
	o.in_fence_fd = -1;
	EXPECT_EQ(-EINVAL, accel_job_submit(self->dev, cb, 0, &o, &job));
	EXPECT_EQ(NULL, job);
	accel_cmdbuf_free(empty);
	accel_cmdbuf_free(cb);
	buf_free(&a);
}

/* Submit one FILL without waiting. */
static int submit_fill(struct accel_device *dev, uint64_t va, uint64_t size,
		       uint32_t queue, struct accel_job **job)
{
	struct accel_cmdbuf *cb;
	int ret;

	ret = accel_cmdbuf_new(dev, &cb);
	if (ret)
		return ret;
	ret = accel_cmdbuf_fill(cb, va, size, 5);
	if (!ret)
		ret = accel_job_submit(dev, cb, queue, NULL, job);
	accel_cmdbuf_free(cb);
	return ret;
}

/* A job blocked on a semaphore word until the CPU releases it. */
static int sem_job(struct accel_device *dev, struct buf *sem, struct buf *out,
		   struct accel_job **job)
{
	struct accel_cmdbuf *cb;
	int ret;

	ret = accel_cmdbuf_new(dev, &cb);
	if (ret)
		return ret;
	ret = accel_cmdbuf_sem_wait(cb, sem->va, ACCEL_SEM_EQ, 1, 0);
	if (!ret)
		ret = accel_cmdbuf_fill(cb, out->va, 4096, 0x77777777);
	if (!ret)
		ret = accel_job_submit(dev, cb, 0, NULL, job);
	accel_cmdbuf_free(cb);
	return ret;
}

TEST_F(dev, wait_timeout_and_sync_file)
{
	struct pollfd p = { .events = POLLIN };
	struct accel_job *job;
	struct buf sem, out;
	int st = -1, ret;

	if (!(self->caps.ops & (1ull << VNPU_OP_SEM_WAIT)))
		SKIP(return, "the device has no SEM_WAIT");
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &sem));
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &out));
	ASSERT_EQ(0, sem_job(self->dev, &sem, &out, &job));
	/* Still blocked: the wait times out, the sync_file is not ready. */
	EXPECT_EQ(-ETIME, accel_job_wait(job, 0, &st));
	EXPECT_EQ(-ETIME, accel_job_wait(job, SEC / 100, &st));
	ASSERT_EQ(0, accel_job_export_sync_file(job, &p.fd));
	EXPECT_EQ(0, poll(&p, 1, 0));
	/* CPU-access sync on a BO the job writes times out too. */
	ret = accel_bo_cpu_prep(out.bo, ACCEL_ACCESS_READ, SEC / 100);
	if (ret != -EOPNOTSUPP)
		EXPECT_EQ(-ETIME, ret);
	/* Release the job. */
	__atomic_store_n((uint32_t *)sem.p, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(1, poll(&p, 1, 30000));
	close(p.fd);
	ASSERT_EQ(0, accel_job_wait(job, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	if (ret != -EOPNOTSUPP) {
		EXPECT_EQ(0, accel_bo_cpu_prep(out.bo, ACCEL_ACCESS_READ, 0));
		EXPECT_EQ(0, accel_bo_cpu_fini(out.bo, ACCEL_ACCESS_READ));
	}
	EXPECT_TRUE(filled(out.p, 4096, 0x77777777));
	accel_job_free(job);
	buf_free(&sem);
	buf_free(&out);
}

TEST_F(dev, wait_for_any_or_all_jobs)
{
	struct accel_job *jobs[2], *mixed[2], *other_job;
	struct accel_device *other;
	struct buf sem, out, q, o;
	unsigned int first = 99;
	int st = -1;

	if (!(self->caps.ops & (1ull << VNPU_OP_SEM_WAIT)))
		SKIP(return, "the device has no SEM_WAIT");
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &sem));
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &out));
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &q));
	/* jobs[0] blocks on the semaphore, jobs[1] ends at once. */
	ASSERT_EQ(0, sem_job(self->dev, &sem, &out, &jobs[0]));
	ASSERT_EQ(0, submit_fill(self->dev, q.va, 4096,
				 self->caps.num_queues > 1 ? 1 : 0, &jobs[1]));
	ASSERT_EQ(0, accel_job_wait_many(jobs, 2, 0, JOB_TIMEOUT, &first));
	EXPECT_EQ(1u, first);
	EXPECT_EQ(0, accel_job_wait(jobs[1], 0, &st));
	EXPECT_EQ(0, st);
	EXPECT_EQ(-ETIME, accel_job_wait_many(jobs, 2, ACCEL_WAIT_ALL,
					      SEC / 100, NULL));
	EXPECT_EQ(-EINVAL, accel_job_wait_many(jobs, 2, 2, 0, NULL));
	/* Jobs of another handle cannot be mixed in. */
	ASSERT_EQ(0, accel_device_open(NULL, &other));
	ASSERT_EQ(0, buf_new(other, 4096, 0, &o));
	ASSERT_EQ(0, submit_fill(other, o.va, 4096, 0, &other_job));
	mixed[0] = jobs[1];
	mixed[1] = other_job;
	EXPECT_EQ(-EXDEV, accel_job_wait_many(mixed, 2, 0, 0, NULL));
	__atomic_store_n((uint32_t *)sem.p, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(0, accel_job_wait_many(jobs, 2, ACCEL_WAIT_ALL, JOB_TIMEOUT,
					  NULL));
	EXPECT_EQ(0, accel_job_wait(jobs[0], 0, &st));
	EXPECT_EQ(0, st);
	accel_job_wait(other_job, JOB_TIMEOUT, &st);
	accel_job_free(other_job);
	buf_free(&o);
	accel_device_close(other);
	accel_job_free(jobs[0]);
	accel_job_free(jobs[1]);
	buf_free(&sem);
	buf_free(&out);
	buf_free(&q);
}

TEST_F(dev, job_chaining)
{
	struct accel_submit_opts o;
	struct accel_cmdbuf *c1, *c2, *c3;
	struct accel_job *j1, *j2, *j3;
	struct accel_sync in = { 0 };
	struct buf a, b, c;
	int fd = -1, st = -1;

	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &a));
	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &b));
	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &c));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &c1));
	ASSERT_EQ(0, accel_cmdbuf_fill(c1, a.va, 65536, 0xa1b2c3d4));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &c2));
	ASSERT_EQ(0, accel_cmdbuf_copy(c2, b.va, a.va, 65536));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &c3));
	ASSERT_EQ(0, accel_cmdbuf_copy(c3, c.va, b.va, 65536));
	ASSERT_EQ(0, accel_job_submit(self->dev, c1, 0, NULL, &j1));
	/* Job 2 waits for job 1's syncobj (on another queue). */
	ASSERT_EQ(0, accel_job_get_syncobj(j1, &in.handle));
	memset(&o, 0, sizeof(o));
	o.in_syncs = &in;
	o.in_sync_count = 1;
	ASSERT_EQ(0, accel_job_submit(self->dev, c2,
				      self->caps.num_queues > 1 ? 1 : 0, &o, &j2));
	/* Job 3 waits for job 2 through a sync_file. */
	ASSERT_EQ(0, accel_job_export_sync_file(j2, &fd));
	memset(&o, 0, sizeof(o));
	o.flags = ACCEL_SUBMIT_IN_FENCE_FD;
	o.in_fence_fd = fd;
	ASSERT_EQ(0, accel_job_submit(self->dev, c3, 0, &o, &j3));
	close(fd);
	ASSERT_EQ(0, accel_job_wait(j3, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(filled(c.p, 65536, 0xa1b2c3d4));
	accel_job_free(j1);
	accel_job_free(j2);
	accel_job_free(j3);
	accel_cmdbuf_free(c1);
	accel_cmdbuf_free(c2);
	accel_cmdbuf_free(c3);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
}

TEST_F(dev, syncobj_helpers)
{
	struct accel_submit_opts o;
	struct accel_cmdbuf *cb;
	struct accel_sync sy = { 0 };
	struct buf a;
	uint32_t h;
	int fd = -1;

	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &a));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, a.va, 4096, 3));
	ASSERT_EQ(0, accel_syncobj_create(self->dev, 0, &h));
	EXPECT_EQ(-ETIME, accel_syncobj_wait(self->dev, h, 0, SEC / 100));
	sy.handle = h;
	memset(&o, 0, sizeof(o));
	o.out_syncs = &sy;
	o.out_sync_count = 1;
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, &o, NULL));
	EXPECT_EQ(0, accel_syncobj_wait(self->dev, h, 0, JOB_TIMEOUT));
	ASSERT_EQ(0, accel_syncobj_export_sync_file(self->dev, h, &fd));
	EXPECT_EQ(0, accel_syncobj_import_sync_file(self->dev, h, fd));
	close(fd);
	EXPECT_EQ(0, accel_syncobj_destroy(self->dev, h));
	EXPECT_EQ(-ENOENT, accel_syncobj_wait(self->dev, h, 0, 0));
	if (self->caps.features & ACCEL_FEATURE_SYNCOBJ_TIMELINE) {
		ASSERT_EQ(0, accel_syncobj_create(self->dev, 0, &h));
		sy.handle = h;
		sy.flags = ACCEL_SYNC_TIMELINE;
		sy.point = 5;
		ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, &o, NULL));
		EXPECT_EQ(0, accel_syncobj_wait(self->dev, h, 5, JOB_TIMEOUT));
		accel_syncobj_destroy(self->dev, h);
	}
	accel_cmdbuf_free(cb);
	buf_free(&a);
}

TEST_F(dev, priorities)
{
	struct accel_submit_opts o;
	struct accel_cmdbuf *cb;
	struct accel_job *job;
	struct buf a;
	int st = -1, ret;

	EXPECT_EQ(-EINVAL, accel_device_set_priority(self->dev, 4));
	EXPECT_EQ(0, accel_device_set_priority(self->dev, ACCEL_PRIORITY_NORMAL));
	ret = accel_device_set_priority(self->dev, ACCEL_PRIORITY_LOW);
	if (!(self->caps.features & ACCEL_FEATURE_PRIORITY)) {
		EXPECT_EQ(-EOPNOTSUPP, ret);
		SKIP(return, "the driver has no priorities");
	}
	EXPECT_EQ(0, ret);
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &a));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, a.va, 4096, 9));
	memset(&o, 0, sizeof(o));
	o.priority = ACCEL_PRIORITY_HIGH;	/* root: CAP_SYS_NICE */
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, &o, &job));
	ASSERT_EQ(0, accel_job_wait(job, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	accel_job_free(job);
	accel_cmdbuf_free(cb);
	buf_free(&a);
}

TEST_F(dev, userptr)
{
	struct accel_bo *bo;
	uint64_t va;
	void *mem, *p;
	int st = -1, ret;

	mem = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, 65536);
	ret = accel_bo_new_userptr(self->dev, mem, 65536, 0, &bo);
	if (!(self->caps.features & ACCEL_FEATURE_USERPTR)) {
		EXPECT_EQ(-EOPNOTSUPP, ret);
		munmap(mem, 65536);
		SKIP(return, "the driver has no userptr");
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EINVAL, accel_bo_new_userptr(self->dev, (char *)mem + 1,
						4096, 0, &bo));
	ASSERT_EQ(0, accel_bo_map(bo, &p));
	EXPECT_EQ(mem, p);
	accel_bo_get_va(bo, &va);
	ASSERT_EQ(0, run_fill(self->dev, va, 65536, 0x0badcafe, 0, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(filled(mem, 65536, 0x0badcafe));
	/* Userptr BOs cannot be exported. */
	EXPECT_NE(0, accel_bo_export(bo, &ret));
	accel_bo_unmap(bo);
	accel_bo_free(bo);
	munmap(mem, 65536);
}

TEST_F(dev, export_import)
{
	struct accel_device *other;
	struct accel_bo *imp;
	struct buf a;
	uint64_t va;
	int fd = -1, st = -1, ret;

	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &a));
	ret = accel_bo_export(a.bo, &fd);
	if (!(self->caps.features & ACCEL_FEATURE_PRIME_EXPORT)) {
		buf_free(&a);
		SKIP(return, "no PRIME export (%s)", accel_strerror(ret));
	}
	ASSERT_EQ(0, ret);
	/* Importing into the same handle names the same BO. */
	EXPECT_EQ(-EEXIST, accel_bo_import(self->dev, fd, &imp));
	ASSERT_EQ(0, accel_device_open(NULL, &other));
	ret = accel_bo_import(other, fd, &imp);
	if (!(self->caps.features & ACCEL_FEATURE_VM_BIND)) {
		close(fd);
		accel_device_close(other);
		buf_free(&a);
		SKIP(return, "no VM_BIND to place an import (%s)",
		     accel_strerror(ret));
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, accel_bo_get_va(imp, &va));
	EXPECT_NE(0u, va);
	/* The other handle writes; this one sees it. */
	ASSERT_EQ(0, run_fill(other, va, 65536, 0x13572468, 0, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(filled(a.p, 65536, 0x13572468));
	accel_bo_free(imp);
	close(fd);
	accel_device_close(other);
	buf_free(&a);
}

TEST_F(dev, bind_unbind)
{
	struct accel_cmdbuf *cb;
	struct buf a;
	uint64_t va = 0, va2 = 0;
	int st = -1, ret;

	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &a));
	ret = accel_bo_bind(a.bo, 0, 0, 65536, 0, &va);
	if (!(self->caps.features & ACCEL_FEATURE_VM_BIND)) {
		EXPECT_EQ(-EOPNOTSUPP, ret);
		buf_free(&a);
		SKIP(return, "no VM_BIND");
	}
	ASSERT_EQ(0, ret);
	EXPECT_NE(a.va, va);
	EXPECT_EQ(-EINVAL, accel_bo_bind(a.bo, 0, 4096, 65536, 0, &va2));
	EXPECT_EQ(-EINVAL, accel_bo_bind(a.bo, va + 1, 0, 4096, 0, &va2));
	EXPECT_EQ(-EEXIST, accel_bo_bind(a.bo, va, 0, 4096, 0, &va2));
	/* Writes through the second mapping land in the same pages. */
	ASSERT_EQ(0, run_fill(self->dev, va + 4096, 4096, 0x24682468, 0, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(filled(a.p + 4096, 4096, 0x24682468));
	EXPECT_EQ(0, a.p[0]);
	ASSERT_EQ(0, accel_bo_unbind(a.bo, va));
	EXPECT_EQ(-ENOENT, accel_bo_unbind(a.bo, va));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	EXPECT_EQ(-EFAULT, accel_cmdbuf_fill(cb, va, 4096, 0));
	accel_cmdbuf_free(cb);
	buf_free(&a);
}

TEST_F(dev, fault_status_and_reset_state)
{
	struct accel_reset_status rs;
	uint64_t va;
	int ret;

	EXPECT_EQ(-EFAULT, provoke_fault(self->dev, &va));
	ret = accel_device_get_reset_status(self->dev, &rs);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "the driver does not report resets");
	ASSERT_EQ(0, ret);
	EXPECT_LE(1u, rs.context_faults);
	EXPECT_EQ(0u, rs.banned);
}

/* ------------------------------------------------------------------ */
/* Every kind of BO as a job's source and destination                  */
/* ------------------------------------------------------------------ */

enum bo_kind { BO_CACHED, BO_WC, BO_DEVMEM, BO_USERPTR, BO_IMPORTED };

FIXTURE(bokind) {
	struct accel_device *dev, *exporter;
	struct accel_device_caps caps;
	struct accel_bo *bo, *orig;
	void *user;
	uint8_t *p;
	uint64_t va;
};

FIXTURE_VARIANT(bokind) {
	enum bo_kind kind;
};

FIXTURE_VARIANT_ADD(bokind, cached) { .kind = BO_CACHED };
FIXTURE_VARIANT_ADD(bokind, write_combined) { .kind = BO_WC };
FIXTURE_VARIANT_ADD(bokind, device_memory) { .kind = BO_DEVMEM };
FIXTURE_VARIANT_ADD(bokind, userptr) { .kind = BO_USERPTR };
FIXTURE_VARIANT_ADD(bokind, imported) { .kind = BO_IMPORTED };

#define BK_SIZE	(256 * 1024)

FIXTURE_SETUP(bokind)
{
	uint64_t need = 0;
	int fd;

	memset(self, 0, sizeof(*self));
	if (!vnpu_count())
		SKIP(return, "no vnpu device");
	ASSERT_EQ(0, accel_device_open(NULL, &self->dev));
	accel_device_get_caps(self->dev, &self->caps);
	switch (variant->kind) {
	case BO_DEVMEM:
		need = ACCEL_FEATURE_DEVMEM;
		break;
	case BO_USERPTR:
		need = ACCEL_FEATURE_USERPTR;
		break;
	case BO_IMPORTED:
		need = ACCEL_FEATURE_PRIME_EXPORT | ACCEL_FEATURE_PRIME_IMPORT |
		       ACCEL_FEATURE_VM_BIND;
		break;
	default:
		break;
	}
	if ((self->caps.features & need) != need)
		SKIP(return, "the driver lacks this kind of BO");
	switch (variant->kind) {
	case BO_CACHED:
	case BO_WC:
	case BO_DEVMEM:
		ASSERT_EQ(0, accel_bo_new(self->dev, BK_SIZE,
					  variant->kind == BO_WC ? ACCEL_BO_WC :
					  variant->kind == BO_DEVMEM ?
					  ACCEL_BO_DEVMEM : 0, &self->bo));
		break;
	case BO_USERPTR:
		self->user = mmap(NULL, BK_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->user);
		ASSERT_EQ(0, accel_bo_new_userptr(self->dev, self->user, BK_SIZE,
						  0, &self->bo));
		break;
	case BO_IMPORTED:
		ASSERT_EQ(0, accel_device_open(NULL, &self->exporter));
		ASSERT_EQ(0, accel_bo_new(self->exporter, BK_SIZE, 0, &self->orig));
		ASSERT_EQ(0, accel_bo_export(self->orig, &fd));
		ASSERT_EQ(0, accel_bo_import(self->dev, fd, &self->bo));
		close(fd);
		break;
	}
	ASSERT_EQ(0, accel_bo_get_va(self->bo, &self->va));
	ASSERT_NE(0u, self->va);
	ASSERT_EQ(0, accel_bo_map(self->bo, (void **)&self->p));
}

FIXTURE_TEARDOWN(bokind)
{
	if (self->bo) {
		accel_bo_unmap(self->bo);
		accel_bo_free(self->bo);
	}
	accel_bo_free(self->orig);
	accel_device_close(self->exporter);
	if (self->user)
		munmap(self->user, BK_SIZE);
	accel_device_close(self->dev);
}

TEST_F(bokind, device_writes_cpu_reads_and_back)
{
	struct accel_cmdbuf *cb;
	struct accel_job *job;
	uint32_t flags = 0;
	unsigned int i;
	int st = -1, ret;

	accel_bo_get_flags(self->bo, &flags);
	if (variant->kind == BO_USERPTR) {
		EXPECT_TRUE(flags & ACCEL_BO_USERPTR);
	}
	if (variant->kind == BO_IMPORTED) {
		EXPECT_TRUE(flags & ACCEL_BO_IMPORTED);
	}
	/* The device writes the first half... */
	ASSERT_EQ(0, run_fill(self->dev, self->va, BK_SIZE / 2, 0x89abcdef, 0, &st));
	ASSERT_EQ(0, st);
	ret = accel_bo_cpu_prep(self->bo, ACCEL_ACCESS_READ | ACCEL_ACCESS_WRITE, 0);
	if (variant->kind == BO_USERPTR || variant->kind == BO_DEVMEM) {
		EXPECT_NE(0, ret);	/* not exportable: no dma-buf to sync */
	} else {
		EXPECT_EQ(0, ret);
	}
	EXPECT_TRUE(filled(self->p, BK_SIZE / 2, 0x89abcdef));
	/* ...the CPU writes the second, the device copies it back. */
	for (i = BK_SIZE / 2; i < BK_SIZE; i++)
		self->p[i] = (uint8_t)(i * 7);
	if (!ret)
		EXPECT_EQ(0, accel_bo_cpu_fini(self->bo, ACCEL_ACCESS_READ |
					       ACCEL_ACCESS_WRITE));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_copy(cb, self->va, self->va + BK_SIZE / 2,
				       BK_SIZE / 4));
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, NULL, &job));
	ASSERT_EQ(0, accel_job_wait(job, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	for (i = 0; i < BK_SIZE / 4; i++)
		if (self->p[i] != (uint8_t)((i + BK_SIZE / 2) * 7))
			break;
	EXPECT_EQ(BK_SIZE / 4, i);
	accel_job_free(job);
	accel_cmdbuf_free(cb);
}

/* ------------------------------------------------------------------ */
/* Threads and processes                                               */
/* ------------------------------------------------------------------ */

struct worker {
	struct accel_device *dev;
	unsigned int id, queues, iterations;
	int failures;
	int first_status;	/* job status of the first failure */
	uint32_t first_hw;	/* and its device status */
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned int it;

	for (it = 0; it < w->iterations; it++) {
		uint64_t size = 4096 * (1 + (it % 5));
		uint32_t pat = 0x01020304u * (w->id + 1) + it;
		struct accel_cmdbuf *cb;
		struct accel_job *job;
		struct buf a, b;
		int st = -1;

		if (buf_new(w->dev, size, 0, &a) || buf_new(w->dev, size, 0, &b)) {
			w->failures++;
			return NULL;
		}
		job = NULL;
		if (accel_cmdbuf_new(w->dev, &cb) ||
		    accel_cmdbuf_fill(cb, a.va, size, pat) ||
		    accel_cmdbuf_copy(cb, b.va, a.va, size) ||
		    accel_job_submit(w->dev, cb, w->id % w->queues, NULL, &job) ||
		    accel_job_wait(job, JOB_TIMEOUT, &st) || st ||
		    !filled(b.p, size, pat)) {
			if (!w->failures++) {
				w->first_status = st;
				if (job)
					accel_job_get_hw_status(job, &w->first_hw);
			}
		}
		accel_job_free(job);
		accel_cmdbuf_free(cb);
		buf_free(&a);
		buf_free(&b);
	}
	return NULL;
}

TEST_F(dev, threads_share_a_device)
{
	struct worker w[4];
	pthread_t t[4];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .dev = self->dev, .id = i,
					.queues = self->caps.num_queues,
					.iterations = 12 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker_fn, &w[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].failures)
			TH_LOG("thread %u: %d failures, first: status %d (%s), device %u",
			       i, w[i].failures, w[i].first_status,
			       accel_strerror(w[i].first_status), w[i].first_hw);
	}
}

/* Several kinds of calls on one handle at once, for a few seconds. */
struct mixer {
	struct accel_device *dev;
	struct accel_device_caps caps;
	int kind;
	volatile int *stop;
	int failures, rounds;
};

static void *mixer_fn(void *arg)
{
	struct mixer *m = arg;

	while (!*m->stop) {
		struct accel_device_stats ds;
		struct accel_context_stats cs;
		struct buf a;
		uint64_t va;
		int st = -1, ret;

		switch (m->kind) {
		case 0:	/* jobs */
			if (buf_new(m->dev, 8192, 0, &a) ||
			    run_fill(m->dev, a.va, 8192, 0x5a5a5a5a,
				     1 % m->caps.num_queues, &st) || st ||
			    !filled(a.p, 8192, 0x5a5a5a5a))
				m->failures++;
			buf_free(&a);
			break;
		case 1:	/* BOs and mappings */
			if (buf_new(m->dev, 16384, 0, &a)) {
				m->failures++;
				break;
			}
			if (m->caps.features & ACCEL_FEATURE_VM_BIND) {
				if (accel_bo_bind(a.bo, 0, 0, 16384, 0, &va) ||
				    accel_bo_unbind(a.bo, va))
					m->failures++;
			}
			buf_free(&a);
			break;
		case 2:	/* telemetry */
			ret = accel_device_get_stats(m->dev, &ds);
			if (ret && ret != -EPROTONOSUPPORT)
				m->failures++;
			ret = accel_device_get_context_stats(m->dev, &cs);
			if (ret && ret != -EPROTONOSUPPORT)
				m->failures++;
			break;
		default: /* priorities and submissions with a priority */
			if (m->caps.features & ACCEL_FEATURE_PRIORITY) {
				struct accel_submit_opts o;
				struct accel_cmdbuf *cb;
				struct accel_job *job;

				if (accel_device_set_priority(m->dev, m->rounds % 2 ?
							      ACCEL_PRIORITY_LOW :
							      ACCEL_PRIORITY_NORMAL) ||
				    buf_new(m->dev, 4096, 0, &a)) {
					m->failures++;
					break;
				}
				memset(&o, 0, sizeof(o));
				o.priority = ACCEL_PRIORITY_HIGH;
				if (accel_cmdbuf_new(m->dev, &cb) ||
				    accel_cmdbuf_fill(cb, a.va, 4096, 3) ||
				    accel_job_submit(m->dev, cb, 0, &o, &job) ||
				    accel_job_wait(job, JOB_TIMEOUT, &st) || st)
					m->failures++;
				else
					accel_job_free(job);
				accel_cmdbuf_free(cb);
				buf_free(&a);
			}
			break;
		}
		m->rounds++;
	}
	return NULL;
}

TEST_F(dev, threads_mix_every_kind_of_call)
{
	volatile int stop = 0;
	struct mixer m[4];
	pthread_t t[4];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		m[i] = (struct mixer){ .dev = self->dev, .caps = self->caps,
				       .kind = (int)i, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, mixer_fn, &m[i]));
	}
	sleep(3);
	stop = 1;
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, m[i].failures)
			TH_LOG("thread %u (kind %d): %d failures in %d rounds",
			       i, m[i].kind, m[i].failures, m[i].rounds);
		EXPECT_LT(0, m[i].rounds);
	}
}

struct waiter {
	struct accel_job *job;
	int ret, st;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	w->ret = accel_job_wait(w->job, JOB_TIMEOUT, &w->st);
	return NULL;
}

TEST_F(dev, threads_wait_for_one_job)
{
	struct accel_cmdbuf *cb;
	struct waiter w[3];
	pthread_t t[3];
	struct buf a;
	unsigned int i;

	ASSERT_EQ(0, buf_new(self->dev, 1 << 20, 0, &a));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, a.va, 1 << 20, 0x55));
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, NULL, &w[0].job));
	for (i = 0; i < 3; i++) {
		w[i].job = w[0].job;
		w[i].ret = w[i].st = -1;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, waiter_fn, &w[i]));
	}
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].ret);
		EXPECT_EQ(0, w[i].st);
	}
	accel_job_free(w[0].job);
	accel_cmdbuf_free(cb);
	buf_free(&a);
}

TEST_F(dev, fork)
{
	struct buf a;
	int status, st = -1;
	pid_t pid;

	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &a));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct accel_device *own;
		struct buf b;
		int cst = -1;

		/* The inherited handle still works in the child... */
		if (run_fill(self->dev, a.va, 65536, 0x600d600d, 0, &cst) || cst)
			_exit(1);
		/* ...and the child can open its own. */
		if (accel_device_open(NULL, &own) || buf_new(own, 4096, 0, &b) ||
		    run_fill(own, b.va, 4096, 0x11, 0, &cst) || cst ||
		    !filled(b.p, 4096, 0x11))
			_exit(2);
		buf_free(&b);
		accel_device_close(own);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The parent sees what the child's job wrote, and carries on. */
	EXPECT_TRUE(filled(a.p, 65536, 0x600d600d));
	ASSERT_EQ(0, run_fill(self->dev, a.va, 4096, 0x12345678, 0, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(filled(a.p, 4096, 0x12345678));
	buf_free(&a);
}

/* ------------------------------------------------------------------ */
/* Telemetry and events                                                */
/* ------------------------------------------------------------------ */

TEST_F(dev, telemetry)
{
	struct accel_device_stats d0, d1;
	struct accel_context_stats c, all[16];
	struct accel_telemetry *t;
	unsigned int idx, n = 0, i;
	struct buf a;
	int st = -1, ret;

	ret = accel_telemetry_open(&t);
	if (ret == -EPROTONOSUPPORT)
		SKIP(return, "no vnpu netlink family");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, accel_device_get_index(self->dev, &idx));
	ASSERT_EQ(0, accel_device_get_stats(self->dev, &d0));
	EXPECT_EQ(idx, d0.dev_index);
	EXPECT_EQ(self->caps.num_queues, d0.num_queues);
	EXPECT_EQ(d0.num_queues, d0.nqueues);
	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &a));
	ASSERT_EQ(0, run_fill(self->dev, a.va, 65536, 1, 0, &st));
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, accel_telemetry_get_devices(t, (int)idx, &d1, 1, &n));
	ASSERT_EQ(1u, n);
	EXPECT_LT(d0.jobs_completed, d1.jobs_completed);
	EXPECT_LE(65536u, d1.mem_used);
	EXPECT_LE(1u, d1.contexts);
	/* Our own context. */
	ASSERT_EQ(0, accel_device_get_context_stats(self->dev, &c));
	EXPECT_EQ((uint32_t)getpid(), c.pid);
	EXPECT_LE(1u, c.jobs_completed);
	EXPECT_LE(65536u, c.mem);
	/* Per process: only this pid's contexts. */
	ASSERT_EQ(0, accel_telemetry_get_contexts(t, -1, getpid(), all, 16, &n));
	EXPECT_LE(1u, n);
	for (i = 0; i < n && i < 16; i++)
		EXPECT_EQ((uint32_t)getpid(), all[i].pid);
	/* Counting without room. */
	ASSERT_EQ(0, accel_telemetry_get_devices(t, -1, NULL, 0, &n));
	EXPECT_EQ(vnpu_count(), n);
	EXPECT_EQ(-ENODEV, accel_telemetry_get_devices(t, 4000, &d1, 1, &n));
	accel_telemetry_close(t);
	buf_free(&a);
}

TEST_F(dev, fault_event)
{
	struct accel_events *ev;
	struct accel_event e;
	uint64_t va, ctx;
	unsigned int idx;
	int ret;

	ret = accel_events_open(&ev);
	if (ret == -EPROTONOSUPPORT)
		SKIP(return, "no vnpu netlink family");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-ETIME, accel_events_next(ev, &e, 0));
	ASSERT_EQ(-EFAULT, provoke_fault(self->dev, &va));
	accel_device_get_index(self->dev, &idx);
	accel_device_query(self->dev, ACCEL_PARAM_CONTEXT_ID, &ctx);
	for (;;) {
		ret = accel_events_next(ev, &e, 10 * SEC);
		ASSERT_EQ(0, ret);
		if (e.type == ACCEL_EVENT_FAULT)
			break;
	}
	EXPECT_EQ(idx, e.dev_index);
	EXPECT_TRUE(e.valid & ACCEL_EVENT_HAS_CTX);
	EXPECT_EQ(ctx, e.ctx_id);
	EXPECT_TRUE(e.valid & ACCEL_EVENT_HAS_FAULT);
	EXPECT_LE(va, e.fault_va);
	EXPECT_GT(va + 64, e.fault_va);
	EXPECT_EQ(VNPU_ACCESS_WRITE, e.fault_access);
	if (e.valid & ACCEL_EVENT_HAS_PID)
		EXPECT_EQ((uint32_t)getpid(), e.pid);
	accel_events_close(ev);
}

/* ------------------------------------------------------------------ */
/* The application built with pkg-config, and the tools                */
/* ------------------------------------------------------------------ */

TEST(pkgconfig_application)
{
	char out[4096];
	int rc;

	if (!vnpu_count())
		SKIP(return, "no vnpu device");
	if (access("/usr/bin/libaccel-app", X_OK))
		SKIP(return, "libaccel-app is not installed");
	rc = run_capture("libaccel-app 2>&1", out, sizeof(out));
	EXPECT_EQ(0, rc) TH_LOG("libaccel-app: %s", out);
	EXPECT_NE(NULL, strstr(out, "telemetry"));
}

TEST(tool_vnpu_info_json)
{
	static char out[65536];
	struct accel_device *dev;
	const char *pci;
	char cmd[96];

	if (!vnpu_count())
		SKIP(return, "no vnpu device");
	ASSERT_EQ(0, run_capture("vnpu-info --json", out, sizeof(out)));
	EXPECT_TRUE(json_ok(out)) TH_LOG("not JSON: %s", out);
	ASSERT_EQ(0, accel_device_open(NULL, &dev));
	accel_device_get_pci_address(dev, &pci);
	EXPECT_NE(NULL, strstr(out, pci));
	EXPECT_NE(NULL, strstr(out, "\"max_bo_size\""));
	EXPECT_NE(NULL, strstr(out, "\"features\""));
	/* One device, named by its PCI address. */
	snprintf(cmd, sizeof(cmd), "vnpu-info --json -d %s", pci);
	EXPECT_EQ(0, run_capture(cmd, out, sizeof(out)));
	EXPECT_TRUE(json_ok(out)) TH_LOG("not JSON: %s", out);
	EXPECT_NE(NULL, strstr(out, "\"devnode\": \"/dev/accel/accel"));
	ASSERT_EQ(0, run_capture("vnpu-info --help", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "Usage: vnpu-info"));
	EXPECT_EQ(2, run_capture("vnpu-info --bogus 2>/dev/null", out, sizeof(out)));
	accel_device_close(dev);
}

TEST_F(dev, tool_vnpu_top_batch_shows_this_process)
{
	static char out[65536];
	char cmd[128], want[64];
	struct buf a;
	int st = -1;

	ASSERT_EQ(0, buf_new(self->dev, 65536, 0, &a));
	ASSERT_EQ(0, run_fill(self->dev, a.va, 65536, 7, 0, &st));
	snprintf(cmd, sizeof(cmd), "vnpu-top --json -n 1 -d 0.2");
	ASSERT_EQ(0, run_capture(cmd, out, sizeof(out)));
	EXPECT_TRUE(json_ok(out)) TH_LOG("not JSON: %s", out);
	snprintf(want, sizeof(want), "\"pid\": %d,", getpid());
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	/* With netlink, the process also has its context's figures. */
	if (strstr(out, "\"netlink\": true"))
		EXPECT_NE(NULL, strstr(strstr(out, want), "\"jobs_failed\""));
	/* The text batch mode too, filtered on this pid. */
	snprintf(cmd, sizeof(cmd), "vnpu-top -b -n 2 -d 0.1 -p %d", getpid());
	ASSERT_EQ(0, run_capture(cmd, out, sizeof(out)));
	snprintf(want, sizeof(want), "\n%-7d ", getpid());
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "\033[")) TH_LOG("escape codes in batch mode");
	buf_free(&a);
}

TEST_F(dev, tool_vnpu_events_sees_a_fault)
{
	char line[512];
	uint64_t va;
	FILE *f;
	int st;

	f = popen("vnpu-events --json --no-hotplug -n 1 -t 30", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	if (!strstr(line, "ready")) {
		pclose(f);
		SKIP(return, "vnpu-events did not start: %s", line);
	}
	EXPECT_EQ(-EFAULT, provoke_fault(self->dev, &va));
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	EXPECT_TRUE(json_ok(line)) TH_LOG("not JSON: %s", line);
	EXPECT_NE(NULL, strstr(line, "\"event\": \"fault\"")) TH_LOG("%s", line);
	st = pclose(f);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ------------------------------------------------------------------ */
/* Compute commands end to end                                         */
/* ------------------------------------------------------------------ */

TEST_F(dev, gemm_and_eltwise)
{
	struct accel_tensor a, b, bias, out, sum;
	struct accel_cmdbuf *cb;
	struct accel_job *job;
	struct buf ba, bb, bbias, bo, bs;
	const uint32_t M = 5, K = 7, N = 3;
	float *pa, *pb, *pbias, *po, *ps;
	unsigned int i, j, k;
	int st = -1, ret;

	if (!(self->caps.ops & (1ull << VNPU_OP_GEMM)) ||
	    !(self->caps.ops & (1ull << VNPU_OP_ELTWISE)))
		SKIP(return, "the device has no GEMM/ELTWISE");
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &ba));
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &bb));
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &bbias));
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &bo));
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &bs));
	pa = (float *)ba.p;
	pb = (float *)bb.p;
	pbias = (float *)bbias.p;
	po = (float *)bo.p;
	ps = (float *)bs.p;
	for (i = 0; i < M * K; i++)
		pa[i] = (float)((int)(i % 11) - 5) / 4;
	for (i = 0; i < K * N; i++)
		pb[i] = (float)((int)(i % 7) - 3) / 2;
	for (i = 0; i < N; i++)
		pbias[i] = (float)i - 1;
	ASSERT_EQ(0, accel_tensor_init(&a, ba.va, ACCEL_DT_F32, 2,
				       (uint32_t[]){ M, K }));
	ASSERT_EQ(0, accel_tensor_init(&b, bb.va, ACCEL_DT_F32, 2,
				       (uint32_t[]){ K, N }));
	ASSERT_EQ(0, accel_tensor_init(&bias, bbias.va, ACCEL_DT_F32, 1,
				       (uint32_t[]){ N }));
	ASSERT_EQ(0, accel_tensor_init(&out, bo.va, ACCEL_DT_F32, 2,
				       (uint32_t[]){ M, N }));
	ASSERT_EQ(0, accel_tensor_init(&sum, bs.va, ACCEL_DT_F32, 2,
				       (uint32_t[]){ M, N }));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_gemm(cb, &out, &a, &b, &bias, ACCEL_ACT_RELU));
	ASSERT_EQ(0, accel_cmdbuf_barrier(cb));
	/* sum = out + bias (bias broadcast over rows) */
	ASSERT_EQ(0, accel_cmdbuf_eltwise(cb, ACCEL_ELT_ADD, &sum, &out, &bias, 0));
	/* The device's BOs are tracked: an operand outside them is refused. */
	a.va = self->caps.va_end - 4096;
	EXPECT_EQ(-EFAULT, accel_cmdbuf_gemm(cb, &out, &a, &b, NULL, 0));
	ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, NULL, &job));
	ret = accel_job_wait(job, JOB_TIMEOUT, &st);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, st);
	for (i = 0; i < M; i++)
		for (j = 0; j < N; j++) {
			float ref = pbias[j];

			for (k = 0; k < K; k++)
				ref += pa[i * K + k] * pb[k * N + j];
			ref = ref > 0 ? ref : 0;
			EXPECT_LE(fabsf(po[i * N + j] - ref), 1e-4f)
				TH_LOG("out[%u][%u] = %f, want %f", i, j,
				       po[i * N + j], ref);
			EXPECT_LE(fabsf(ps[i * N + j] - (ref + pbias[j])), 1e-4f);
		}
	accel_job_free(job);
	accel_cmdbuf_free(cb);
	buf_free(&ba);
	buf_free(&bb);
	buf_free(&bbias);
	buf_free(&bo);
	buf_free(&bs);
}

TEST_F(dev, tool_vnpu_run_job)
{
	char cmd[512], out[8192], want[64];
	const char *job = "/tmp/libaccel-test.job";
	struct accel_cmdbuf *cb;
	uint64_t va;
	const void *data;
	size_t len;
	FILE *f;

	if (!(self->caps.features & ACCEL_FEATURE_VM_BIND))
		SKIP(return, "no VM_BIND: vnpu-run cannot place buffers");
	/* A job built without a device, saved as vnpu-run expects it. */
	va = (self->caps.va_end - (64ull << 20)) & ~0xfffffull;
	ASSERT_EQ(0, accel_cmdbuf_new(NULL, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, va, 256, 0x44332211));
	ASSERT_EQ(0, accel_cmdbuf_copy(cb, va + 4096, va, 256));
	accel_cmdbuf_get_stream(cb, &data, &len);
	f = fopen(job, "wb");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(len, fwrite(data, 1, len, f));
	fclose(f);
	accel_cmdbuf_free(cb);
	snprintf(cmd, sizeof(cmd),
		 "vnpu-run --json -n 3 -B 0x%llx:8192 -O 0x%llx:16 %s",
		 (unsigned long long)va, (unsigned long long)va + 4096, job);
	ASSERT_EQ(0, run_capture(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_TRUE(json_ok(out)) TH_LOG("not JSON: %s", out);
	EXPECT_NE(NULL, strstr(out, "\"runs\": 3"));
	snprintf(want, sizeof(want), "\"hex\": \"%s\"",
		 "11223344112233441122334411223344");
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	/* A buffer missing: the replay refuses the job. */
	snprintf(cmd, sizeof(cmd), "vnpu-run -B 0x%llx:4096 %s 2>&1",
		 (unsigned long long)va, job);
	EXPECT_EQ(1, run_capture(cmd, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "refused")) TH_LOG("%s", out);
	unlink(job);
}

/* The debugfs file that forces a device reset, or NULL. */
static const char *reset_file(struct accel_device *dev, char *buf, size_t n)
{
	const char *pci;
	unsigned int idx;

	accel_device_get_index(dev, &idx);
	snprintf(buf, n, "/sys/kernel/debug/accel/%u/reset", idx);
	if (!access(buf, W_OK))
		return buf;
	accel_device_get_pci_address(dev, &pci);
	snprintf(buf, n, "/sys/kernel/debug/accel/%s/reset", pci);
	return access(buf, W_OK) ? NULL : buf;
}

TEST_F(dev, forced_reset_replays_jobs_and_is_reported)
{
	struct accel_reset_status r0, r1;
	struct accel_events *ev = NULL;
	struct accel_event e;
	struct accel_job *job;
	struct buf sem, out;
	char path[128];
	int st = -1, fd, ret;

	if (!(self->caps.ops & (1ull << VNPU_OP_SEM_WAIT)))
		SKIP(return, "the device has no SEM_WAIT");
	if (!reset_file(self->dev, path, sizeof(path)))
		SKIP(return, "no debugfs reset file");
	if (accel_device_get_reset_status(self->dev, &r0))
		SKIP(return, "the driver does not report resets");
	if (accel_events_open(&ev))
		ev = NULL;
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &sem));
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &out));
	/* A job that blocks on a semaphore across the reset... */
	ASSERT_EQ(0, sem_job(self->dev, &sem, &out, &job));
	EXPECT_EQ(-ETIME, accel_job_wait(job, SEC / 10, &st));
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "1", 1));
	close(fd);
	/* ...is run again afterwards, and completes once released. */
	__atomic_store_n((uint32_t *)sem.p, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, accel_job_wait(job, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st) TH_LOG("status %d: %s", st, accel_strerror(st));
	EXPECT_TRUE(filled(out.p, 4096, 0x77777777));
	accel_job_free(job);
	ASSERT_EQ(0, accel_device_get_reset_status(self->dev, &r1));
	EXPECT_LT(r0.resets, r1.resets);
	EXPECT_EQ(r0.context_hangs, r1.context_hangs);
	EXPECT_EQ(0u, r1.banned);
	if (ev) {
		do {
			ret = accel_events_next(ev, &e, 5 * SEC);
		} while (!ret && e.type != ACCEL_EVENT_RESET);
		EXPECT_EQ(0, ret);
		EXPECT_EQ(ACCEL_EVENT_RESET, e.type);
		EXPECT_EQ(r1.resets, e.resets);
		EXPECT_EQ(0, e.error);
		accel_events_close(ev);
	}
	buf_free(&sem);
	buf_free(&out);
}

static int set_fault_inject(const char *v)
{
	int fd = open("/sys/module/vnpu/parameters/fault_inject", O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, v, 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(dev, hangs_ban_the_context_with_accel_error_reset, 180)
{
	struct accel_submit_opts o;
	struct accel_reset_status rs;
	struct accel_cmdbuf *cb;
	struct accel_device *fresh;
	struct accel_events *ev = NULL;
	struct accel_job *job;
	uint64_t limit = 0, tmo = 0, i, ctx = 0, id = 0;
	struct buf a;
	int st = -1;

	if (accel_device_query(self->dev, ACCEL_PARAM_HANG_LIMIT, &limit) ||
	    accel_device_query(self->dev, ACCEL_PARAM_JOB_TIMEOUT_MS, &tmo) ||
	    !limit)
		SKIP(return, "the driver does not ban hanging contexts");
	if (limit * tmo > 60000)
		SKIP(return, "%llu hangs of %llu ms take too long",
		     (unsigned long long)limit, (unsigned long long)tmo);
	ASSERT_EQ(0, buf_new(self->dev, 4096, 0, &a));
	ASSERT_EQ(0, accel_cmdbuf_new(self->dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, a.va, 4096, 1));
	memset(&o, 0, sizeof(o));
	o.flags = ACCEL_SUBMIT_INJECT_HANG;
	/* Without fault injection the flag is refused. */
	set_fault_inject("0");
	EXPECT_EQ(-EINVAL, accel_job_submit(self->dev, cb, 0, &o, &job));
	if (set_fault_inject("1"))
		SKIP(return, "cannot enable the driver's fault injection");
	if (accel_events_open(&ev))
		ev = NULL;
	accel_device_query(self->dev, ACCEL_PARAM_CONTEXT_ID, &ctx);
	for (i = 0; i < limit; i++) {
		ASSERT_EQ(0, accel_job_submit(self->dev, cb, 0, &o, &job));
		EXPECT_EQ(0, accel_job_wait(job, (int64_t)tmo * 1000000 + JOB_TIMEOUT,
					    &st));
		EXPECT_EQ(-ETIMEDOUT, st) TH_LOG("hang %llu: %s",
						 (unsigned long long)i,
						 accel_strerror(st));
		accel_job_get_id(job, &id);
		/* The driver announced the hang of this very job. */
		if (ev) {
			struct accel_event e;
			int ret;

			do {
				ret = accel_events_next(ev, &e, 5 * SEC);
			} while (!ret && e.type != ACCEL_EVENT_HANG);
			EXPECT_EQ(0, ret);
			EXPECT_EQ(ACCEL_EVENT_HANG, e.type);
			EXPECT_EQ(ctx, e.ctx_id);
			EXPECT_TRUE(e.valid & ACCEL_EVENT_HAS_JOB);
			EXPECT_EQ(id, e.job_id);
		}
		accel_job_free(job);
	}
	accel_events_close(ev);
	set_fault_inject("0");
	ASSERT_EQ(0, accel_device_get_reset_status(self->dev, &rs));
	EXPECT_EQ(limit, rs.context_hangs);
	EXPECT_EQ(1u, rs.banned);
	/* The banned context refuses work with the reset error... */
	EXPECT_EQ(ACCEL_ERROR_RESET, accel_job_submit(self->dev, cb, 0, NULL, &job));
	accel_cmdbuf_free(cb);
	buf_free(&a);
	/* ...and a new handle recovers. */
	ASSERT_EQ(0, accel_device_open(NULL, &fresh));
	ASSERT_EQ(0, buf_new(fresh, 4096, 0, &a));
	ASSERT_EQ(0, run_fill(fresh, a.va, 4096, 0x42424242, 0, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(filled(a.p, 4096, 0x42424242));
	buf_free(&a);
	accel_device_close(fresh);
}

TEST(tool_vnpu_run_package)
{
	const char *pkg = "/usr/share/vnpu/mlp.vnpu";
	const char *x = "/usr/share/vnpu/digits_x.npy";
	char cmd[256], out[8192];

	if (!vnpu_count())
		SKIP(return, "no vnpu device");
	if (access(pkg, R_OK) || access(x, R_OK) ||
	    access("/usr/bin/vnpu-run-model", X_OK))
		SKIP(return, "no model package or vnpu-run-model in this guest");
	/* A package goes to vnpu-run-model with every argument. */
	snprintf(cmd, sizeof(cmd), "vnpu-run %s --input %s --quiet 2>&1", pkg, x);
	EXPECT_EQ(0, run_capture(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(0u, strlen(out));
}

/* ------------------------------------------------------------------ */
/* Hotplug (last: it removes and rescans the PCI device)               */
/* ------------------------------------------------------------------ */

struct hp {
	int adds, removes;
	char pci[32];
};

static void hp_cb(void *data, int action, const char *node, const char *pci)
{
	struct hp *h = data;

	if (action == ACCEL_HOTPLUG_ADD)
		h->adds++;
	else
		h->removes++;
	snprintf(h->pci, sizeof(h->pci), "%s", pci);
}

static bool hp_wait(struct accel_monitor *m, int *counter, int ms)
{
	struct pollfd p = { .events = POLLIN };

	accel_monitor_get_fd(m, &p.fd);
	while (!*counter && ms > 0) {
		if (poll(&p, 1, 100) > 0)
			accel_monitor_dispatch(m, NULL);
		ms -= 100;
	}
	return *counter > 0;
}

/*
 * A fixture of its own, defined last: the harness runs fixtures in the
 * order they are defined, so this runs after every other test.
 */
FIXTURE(hotplug) {
	int unused;
};

FIXTURE_SETUP(hotplug)
{
}

FIXTURE_TEARDOWN(hotplug)
{
}

TEST_F_TIMEOUT(hotplug, remove_rescan, 120)
{
	struct accel_monitor *m;
	struct accel_events *ev = NULL;
	struct accel_device *dev;
	struct accel_event e;
	struct hp h = { 0 };
	char path[128], pci[32], line[512];
	struct accel_cmdbuf *cb;
	struct accel_bo *nb;
	struct accel_job *job;
	struct buf b;
	const char *p;
	unsigned int idx, i;
	int ret, seen = 0, st;
	FILE *tool;

	if (!vnpu_count())
		SKIP(return, "no vnpu device");
	ASSERT_EQ(0, accel_device_open_index(0, &dev));
	accel_device_get_pci_address(dev, &p);
	snprintf(pci, sizeof(pci), "%s", p);
	accel_device_get_index(dev, &idx);
	accel_device_close(dev);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", pci);
	if (access(path, W_OK))
		SKIP(return, "cannot remove PCI devices here");
	ASSERT_EQ(0, accel_monitor_new(hp_cb, &h, &m));
	if (accel_events_open(&ev))
		ev = NULL;
	/* vnpu-events watches too: unplug, hotplug-remove, hotplug-add. */
	tool = popen("vnpu-events --json -n 3 -t 60", "r");
	ASSERT_NE(NULL, tool);
	ASSERT_NE(NULL, fgets(line, sizeof(line), tool));
	EXPECT_NE(NULL, strstr(line, "ready"));
	/* A handle kept open across the unplug. */
	ASSERT_EQ(0, accel_device_open_pci(pci, &dev));
	ASSERT_EQ(0, buf_new(dev, 4096, 0, &b));
	ASSERT_EQ(0, accel_cmdbuf_new(dev, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, b.va, 4096, 1));
	ASSERT_EQ(0, sysfs_write(path, "1"));
	ASSERT_TRUE(hp_wait(m, &h.removes, 20000));
	EXPECT_STREQ(pci, h.pci);
	EXPECT_EQ(0, h.adds);
	/* The handle reports the device gone; freeing still works. */
	EXPECT_EQ(-ENODEV, accel_bo_new(dev, 4096, 0, &nb));
	EXPECT_EQ(-ENODEV, accel_job_submit(dev, cb, 0, NULL, &job));
	EXPECT_NE(NULL, strstr(accel_strerror(-ENODEV), "removed"));
	accel_cmdbuf_free(cb);
	buf_free(&b);
	accel_device_close(dev);
	if (ev) {
		/* The driver announced the unplug before it went. */
		do {
			ret = accel_events_next(ev, &e, 5 * SEC);
		} while (!ret && e.type != ACCEL_EVENT_UNPLUG);
		EXPECT_EQ(0, ret);
		EXPECT_EQ(ACCEL_EVENT_UNPLUG, e.type);
		EXPECT_EQ(idx, e.dev_index);
		accel_events_close(ev);
	}
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/rescan", "1"));
	ASSERT_TRUE(hp_wait(m, &h.adds, 20000));
	EXPECT_STREQ(pci, h.pci);
	accel_monitor_free(m);
	for (i = 0; i < 3 && fgets(line, sizeof(line), tool); i++) {
		EXPECT_TRUE(json_ok(line)) TH_LOG("not JSON: %s", line);
		if (strstr(line, "\"unplug\""))
			seen |= 1;
		if (strstr(line, "\"hotplug-remove\""))
			seen |= 2;
		if (strstr(line, "\"hotplug-add\""))
			seen |= 4;
		EXPECT_NE(NULL, strstr(line, pci)) TH_LOG("%s", line);
	}
	EXPECT_EQ(7, seen) TH_LOG("vnpu-events saw %#x", seen);
	st = pclose(tool);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Usable again. */
	ASSERT_EQ(0, accel_device_open_pci(pci, &dev));
	accel_device_close(dev);
}

TEST_HARNESS_MAIN
