// SPDX-License-Identifier: MIT
/*
 * Host unit tests of libaccel: everything that needs no vnpu device.
 * Command-buffer validation and encoding (device-less builders), error
 * messages, parameter names, argument checking, opening missing or
 * non-vnpu paths, and enumeration without a device.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "accel.h"
#include "vnpu_device.h"
#include "drm/vnpu_accel.h"

#define VA_TOP	(1ull << VNPU_VA_BITS)
#define VA	0x100000ull		/* an ordinary device VA */

/* Every code libaccel documents as a return value or job status. */
static const int lib_codes[] = {
	EPERM, ENOENT, EINTR, EIO, ENXIO, E2BIG, EBADF, EAGAIN, ENOMEM,
	EACCES, EFAULT, EBUSY, EXDEV, ENODEV, EINVAL, EMFILE, ENOTTY, ENOSPC,
	ERANGE, ENODATA, ETIME, EPROTO, EOPNOTSUPP, ETIMEDOUT, ECANCELED,
	EEXIST, ENOBUFS, EPROTONOSUPPORT, EMSGSIZE, ESRCH, EBADMSG,
};

/* ------------------------------------------------------------------ */
/* accel_strerror                                                      */
/* ------------------------------------------------------------------ */

TEST(strerror_success)
{
	ASSERT_STREQ("success", accel_strerror(0));
}

TEST(strerror_every_library_code)
{
	unsigned int i, j;

	for (i = 0; i < sizeof(lib_codes) / sizeof(lib_codes[0]); i++) {
		const char *m = accel_strerror(-lib_codes[i]);

		ASSERT_NE(NULL, m);
		EXPECT_NE(0u, strlen(m));
		EXPECT_STRNE("unknown error", m);
		/* Our own wording, not the C library's fallback. */
		EXPECT_STRNE(strerrordesc_np(lib_codes[i]), m)
			TH_LOG("errno %d has no libaccel message", lib_codes[i]);
		/* Positive and negative codes give the same text. */
		EXPECT_STREQ(m, accel_strerror(lib_codes[i]));
		/* Distinct codes are distinguishable. */
		for (j = 0; j < i; j++)
			EXPECT_STRNE(accel_strerror(-lib_codes[j]), m)
				TH_LOG("errno %d and %d share a message",
				       lib_codes[i], lib_codes[j]);
	}
}

TEST(strerror_job_statuses)
{
	/* The statuses DRM_VNPU_WAIT reports for failed jobs. */
	EXPECT_NE(NULL, strstr(accel_strerror(-EFAULT), "MMU fault"));
	EXPECT_NE(NULL, strstr(accel_strerror(-EINVAL), "malformed command"));
	EXPECT_NE(NULL, strstr(accel_strerror(-EIO), "DMA"));
	EXPECT_NE(NULL, strstr(accel_strerror(-ETIMEDOUT), "hang"));
	EXPECT_NE(NULL, strstr(accel_strerror(-ECANCELED), "reset"));
	EXPECT_NE(NULL, strstr(accel_strerror(-ETIME), "timed out"));
}

TEST(hw_status_names)
{
	const char *n = "untouched", *prev = NULL;
	uint32_t s;

	for (s = VNPU_JOB_OK; s <= VNPU_JOB_SEM_TIMEOUT; s++) {
		ASSERT_EQ(0, accel_hw_status_get_name(s, &n));
		ASSERT_NE(NULL, n);
		if (prev)
			EXPECT_STRNE(prev, n);
		prev = n;
	}
	ASSERT_EQ(0, accel_hw_status_get_name(VNPU_JOB_MMU_FAULT, &n));
	EXPECT_STREQ("MMU fault", n);
	n = "untouched";
	EXPECT_EQ(-ERANGE, accel_hw_status_get_name(VNPU_JOB_SEM_TIMEOUT + 1, &n));
	EXPECT_EQ(-ERANGE, accel_hw_status_get_name(VNPU_JOB_PENDING, &n));
	EXPECT_STREQ("untouched", n);
	EXPECT_EQ(-EINVAL, accel_hw_status_get_name(0, NULL));
}

TEST(strerror_unknown_codes)
{
	EXPECT_STREQ("unknown error", accel_strerror(INT_MIN));
	EXPECT_STREQ("unknown error", accel_strerror(-100000));
	EXPECT_STREQ("unknown error", accel_strerror(INT_MAX));
	/* Codes outside the table fall back to the C library's text. */
	EXPECT_STREQ(strerrordesc_np(EROFS), accel_strerror(-EROFS));
}

/* ------------------------------------------------------------------ */
/* Parameters                                                          */
/* ------------------------------------------------------------------ */

TEST(param_names)
{
	const char *names[ACCEL_PARAM_COUNT], *n = "untouched";
	uint32_t p, q;

	for (p = 0; p < ACCEL_PARAM_COUNT; p++) {
		ASSERT_EQ(0, accel_param_get_name(p, &names[p]));
		ASSERT_NE(NULL, names[p]);
		EXPECT_NE(0u, strlen(names[p]));
		for (q = 0; q < p; q++)
			EXPECT_STRNE(names[q], names[p]);
	}
	EXPECT_STREQ("num_queues", names[ACCEL_PARAM_NUM_QUEUES]);
	EXPECT_STREQ("max_cmd_size", names[ACCEL_PARAM_MAX_CMD_SIZE]);
	EXPECT_EQ(-ERANGE, accel_param_get_name(ACCEL_PARAM_COUNT, &n));
	EXPECT_EQ(-ERANGE, accel_param_get_name(UINT32_MAX, &n));
	EXPECT_STREQ("untouched", n);
	EXPECT_EQ(-EINVAL, accel_param_get_name(0, NULL));
	EXPECT_EQ(DRM_VNPU_PARAM_COUNT, ACCEL_PARAM_COUNT);
}

/* ------------------------------------------------------------------ */
/* Opening and enumeration without a device                            */
/* ------------------------------------------------------------------ */

static unsigned int vnpu_count(struct __test_metadata *_metadata)
{
	struct accel_device_list *list = NULL;
	unsigned int n = 0;

	if (accel_device_enumerate(&list))
		return 0;
	accel_device_list_get_count(list, &n);
	accel_device_list_free(list);
	return n;
}

TEST(open_missing_path)
{
	struct accel_device *dev = (struct accel_device *)0x1;

	EXPECT_EQ(-ENOENT, accel_device_open("/nonexistent/accel/accel99", &dev));
	EXPECT_EQ((struct accel_device *)0x1, dev);	/* untouched */
	EXPECT_EQ(-ENOENT, accel_device_open("/dev/accel/accel4095", &dev));
}

TEST(open_bad_arguments)
{
	EXPECT_EQ(-EINVAL, accel_device_open("/dev/null", NULL));
	EXPECT_EQ(-EINVAL, accel_device_open(NULL, NULL));
	EXPECT_EQ(-EINVAL, accel_device_open_index(0, NULL));
}

TEST(open_not_a_vnpu_device)
{
	char path[] = "/tmp/libaccel-test.XXXXXX";
	struct accel_device *dev = NULL;
	int fd;

	/* A character device that is not DRM. */
	EXPECT_EQ(-ENODEV, accel_device_open("/dev/null", &dev));
	EXPECT_EQ(NULL, dev);
	/* A regular file. */
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENODEV, accel_device_open(path, &dev));
	close(fd);
	unlink(path);
	EXPECT_EQ(NULL, dev);
	/* A directory cannot be opened read-write. */
	EXPECT_EQ(-EISDIR, accel_device_open("/tmp", &dev));
}

TEST(open_first_without_device)
{
	struct accel_device *dev = NULL;

	if (vnpu_count(_metadata))
		SKIP(return, "a vnpu device is present");
	EXPECT_EQ(-ENODEV, accel_device_open(NULL, &dev));
	EXPECT_EQ(-ENODEV, accel_device_open_index(0, &dev));
	EXPECT_EQ(-ENODEV, accel_device_open_index(7, &dev));
	EXPECT_EQ(NULL, dev);
}

TEST(enumerate_empty)
{
	struct accel_device_list *list = NULL;
	const char *s = "untouched";
	unsigned int n = 1234;

	if (vnpu_count(_metadata))
		SKIP(return, "a vnpu device is present");
	ASSERT_EQ(0, accel_device_enumerate(&list));
	ASSERT_NE(NULL, list);
	ASSERT_EQ(0, accel_device_list_get_count(list, &n));
	EXPECT_EQ(0u, n);
	EXPECT_EQ(-ERANGE, accel_device_list_get_devnode(list, 0, &s));
	EXPECT_EQ(-ERANGE, accel_device_list_get_pci_address(list, 0, &s));
	EXPECT_STREQ("untouched", s);
	accel_device_list_free(list);
}

TEST(enumerate_bad_arguments)
{
	struct accel_device_list *list = NULL;
	unsigned int n;
	const char *s;

	EXPECT_EQ(-EINVAL, accel_device_enumerate(NULL));
	EXPECT_EQ(-EINVAL, accel_device_list_get_count(NULL, &n));
	EXPECT_EQ(-EINVAL, accel_device_list_get_devnode(NULL, 0, &s));
	EXPECT_EQ(-EINVAL, accel_device_list_get_pci_address(NULL, 0, &s));
	ASSERT_EQ(0, accel_device_enumerate(&list));
	EXPECT_EQ(-EINVAL, accel_device_list_get_count(list, NULL));
	EXPECT_EQ(-EINVAL, accel_device_list_get_devnode(list, 0, NULL));
	EXPECT_EQ(-EINVAL, accel_device_list_get_pci_address(list, 0, NULL));
	accel_device_list_free(list);
	accel_device_list_free(NULL);
}

TEST(enumerate_entry_getters)
{
	struct accel_device_list *list = NULL;
	struct accel_device_caps caps;
	unsigned int n = 0;
	int maj = -1;

	ASSERT_EQ(0, accel_device_enumerate(&list));
	accel_device_list_get_count(list, &n);
	EXPECT_EQ(-EINVAL, accel_device_list_get_driver_version(NULL, 0, &maj, NULL, NULL));
	EXPECT_EQ(-EINVAL, accel_device_list_get_caps(NULL, 0, &caps));
	EXPECT_EQ(-EINVAL, accel_device_list_get_caps(list, 0, NULL));
	EXPECT_EQ(-ERANGE, accel_device_list_get_driver_version(list, n, &maj, NULL, NULL));
	EXPECT_EQ(-ERANGE, accel_device_list_get_caps(list, n, &caps));
	EXPECT_EQ(-1, maj);
	accel_device_list_free(list);
}

TEST(open_pci)
{
	struct accel_device *dev = NULL;

	EXPECT_EQ(-EINVAL, accel_device_open_pci(NULL, &dev));
	EXPECT_EQ(-EINVAL, accel_device_open_pci("0000:00:03.0", NULL));
	/* No PCI function has this address. */
	EXPECT_EQ(-ENODEV, accel_device_open_pci("ffff:ff:1f.7", &dev));
	EXPECT_EQ(-ENODEV, accel_device_open_pci("not-an-address", &dev));
	EXPECT_EQ(NULL, dev);
}

static void count_cb(void *data, int action, const char *node, const char *pci)
{
	(*(int *)data)++;
}

TEST(monitor)
{
	struct accel_monitor *mon = NULL;
	unsigned int events = 99;
	int calls = 0, fd = -1, ret;

	EXPECT_EQ(-EINVAL, accel_monitor_new(NULL, NULL, &mon));
	EXPECT_EQ(-EINVAL, accel_monitor_new(count_cb, NULL, NULL));
	EXPECT_EQ(-EINVAL, accel_monitor_get_fd(NULL, &fd));
	EXPECT_EQ(-EINVAL, accel_monitor_dispatch(NULL, &events));
	accel_monitor_free(NULL);
	ret = accel_monitor_new(count_cb, &calls, &mon);
	if (ret == -EPERM || ret == -EACCES || ret == -EPROTONOSUPPORT)
		SKIP(return, "no uevent socket here: %s", accel_strerror(ret));
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EINVAL, accel_monitor_get_fd(mon, NULL));
	ASSERT_EQ(0, accel_monitor_get_fd(mon, &fd));
	EXPECT_LE(0, fd);
	/* Nothing is plugged meanwhile: dispatching finds nothing. */
	ASSERT_EQ(0, accel_monitor_dispatch(mon, &events));
	EXPECT_EQ(0u, events);
	EXPECT_EQ(0, calls);
	accel_monitor_free(mon);
}

TEST(telemetry_without_driver)
{
	struct accel_telemetry *t = (struct accel_telemetry *)0x1;
	struct accel_events *ev = (struct accel_events *)0x1;
	int ret;

	EXPECT_EQ(-EINVAL, accel_telemetry_open(NULL));
	EXPECT_EQ(-EINVAL, accel_events_open(NULL));
	ret = accel_telemetry_open(&t);
	if (ret == 0) {
		accel_telemetry_close(t);
		SKIP(return, "the vnpu netlink family is registered here");
	}
	/* vnpu.ko is not loaded on the host: the family does not exist. */
	EXPECT_EQ(-EPROTONOSUPPORT, ret);
	EXPECT_EQ((struct accel_telemetry *)0x1, t);
	EXPECT_EQ(-EPROTONOSUPPORT, accel_events_open(&ev));
	EXPECT_EQ((struct accel_events *)0x1, ev);
	EXPECT_NE(NULL, strstr(accel_strerror(ret), "telemetry"));
}

TEST(telemetry_bad_arguments)
{
	struct accel_device_stats ds;
	struct accel_context_stats cs;
	struct accel_event e;
	unsigned int n;
	int fd;

	EXPECT_EQ(-EINVAL, accel_telemetry_get_devices(NULL, -1, &ds, 1, &n));
	EXPECT_EQ(-EINVAL, accel_telemetry_get_contexts(NULL, -1, 0, &cs, 1, &n));
	EXPECT_EQ(-EINVAL, accel_device_get_stats(NULL, &ds));
	EXPECT_EQ(-EINVAL, accel_device_get_context_stats(NULL, &cs));
	EXPECT_EQ(-EINVAL, accel_device_get_index(NULL, &n));
	EXPECT_EQ(-EINVAL, accel_events_get_fd(NULL, &fd));
	EXPECT_EQ(-EINVAL, accel_events_next(NULL, &e, 0));
	accel_telemetry_close(NULL);
	accel_events_close(NULL);
}

TEST(event_names)
{
	const char *n = "untouched";

	ASSERT_EQ(0, accel_event_get_name(ACCEL_EVENT_RESET, &n));
	EXPECT_STREQ("reset", n);
	ASSERT_EQ(0, accel_event_get_name(ACCEL_EVENT_FAULT, &n));
	EXPECT_STREQ("fault", n);
	ASSERT_EQ(0, accel_event_get_name(ACCEL_EVENT_HANG, &n));
	EXPECT_STREQ("hang", n);
	ASSERT_EQ(0, accel_event_get_name(ACCEL_EVENT_UNPLUG, &n));
	EXPECT_STREQ("unplug", n);
	n = "untouched";
	EXPECT_EQ(-ERANGE, accel_event_get_name(0, &n));
	EXPECT_EQ(-ERANGE, accel_event_get_name(5, &n));
	EXPECT_STREQ("untouched", n);
	EXPECT_EQ(-EINVAL, accel_event_get_name(1, NULL));
}

TEST(reset_error_is_distinct)
{
	/* ACCEL_ERROR_RESET has its own message naming the reset. */
	EXPECT_EQ(-ECANCELED, ACCEL_ERROR_RESET);
	EXPECT_NE(NULL, strstr(accel_strerror(ACCEL_ERROR_RESET), "reset"));
	EXPECT_STRNE(accel_strerror(-ETIMEDOUT), accel_strerror(ACCEL_ERROR_RESET));
	EXPECT_STRNE(accel_strerror(-ENODEV), accel_strerror(ACCEL_ERROR_RESET));
}

/* ------------------------------------------------------------------ */
/* NULL handles everywhere                                             */
/* ------------------------------------------------------------------ */

TEST(null_handles)
{
	struct accel_cmdbuf *cb = NULL;
	struct accel_bo *bo = NULL;
	struct accel_job *job = NULL;
	const char *s;
	uint64_t v;
	uint32_t h;
	void *p;
	int i;

	EXPECT_EQ(-EINVAL, accel_device_get_fd(NULL, &i));
	EXPECT_EQ(-EINVAL, accel_device_get_devnode(NULL, &s));
	EXPECT_EQ(-EINVAL, accel_device_get_pci_address(NULL, &s));
	EXPECT_EQ(-EINVAL, accel_device_get_driver_version(NULL, &i, &i, &i));
	EXPECT_EQ(-EINVAL, accel_device_get_driver_info(NULL, &s, &s, &s));
	EXPECT_EQ(-EINVAL, accel_device_query(NULL, 0, &v));
	EXPECT_EQ(-EINVAL, accel_bo_new(NULL, 4096, 0, &bo));
	EXPECT_EQ(NULL, bo);
	EXPECT_EQ(-EINVAL, accel_bo_map(NULL, &p));
	EXPECT_EQ(-EINVAL, accel_bo_unmap(NULL));
	EXPECT_EQ(-EINVAL, accel_bo_get_va(NULL, &v));
	EXPECT_EQ(-EINVAL, accel_bo_get_size(NULL, &v));
	EXPECT_EQ(-EINVAL, accel_bo_get_handle(NULL, &h));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_new(NULL, NULL));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_nop(NULL));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_fill(NULL, VA, 8, 0));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_copy(NULL, VA, VA + 64, 8));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_timestamp(NULL, VA));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_reset(NULL));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_add_bo(NULL, NULL));
	EXPECT_EQ(-EINVAL, accel_job_submit(NULL, NULL, 0, NULL, &job));
	EXPECT_EQ(NULL, job);
	EXPECT_EQ(-EINVAL, accel_job_wait(NULL, 0, &i));
	EXPECT_EQ(-EINVAL, accel_job_get_id(NULL, &v));
	EXPECT_EQ(-EINVAL, accel_job_get_hw_status(NULL, &h));
	EXPECT_EQ(-EINVAL, accel_syncobj_create(NULL, 0, &h));
	EXPECT_EQ(-EINVAL, accel_syncobj_destroy(NULL, 1));
	EXPECT_EQ(-EINVAL, accel_syncobj_wait(NULL, 1, 0, 0));
	EXPECT_EQ(-EINVAL, accel_syncobj_export_sync_file(NULL, 1, &i));
	EXPECT_EQ(-EINVAL, accel_syncobj_import_sync_file(NULL, 1, 0));
	EXPECT_EQ(-EINVAL, accel_device_get_caps(NULL, NULL));
	EXPECT_EQ(-EINVAL, accel_bo_get_flags(NULL, &h));
	EXPECT_EQ(-EINVAL, accel_bo_export(NULL, &i));
	EXPECT_EQ(-EINVAL, accel_bo_cpu_prep(NULL, ACCEL_ACCESS_READ, 0));
	EXPECT_EQ(-EINVAL, accel_bo_cpu_fini(NULL, ACCEL_ACCESS_READ));
	EXPECT_EQ(-EINVAL, accel_job_get_syncobj(NULL, &h));
	EXPECT_EQ(-EINVAL, accel_job_wait_many(NULL, 1, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, accel_job_wait_many(&job, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, accel_job_wait_many(&job, 1, 0, 0, NULL)); /* NULL entry */
	EXPECT_EQ(-EINVAL, accel_job_wait_many(&job, ACCEL_WAIT_MANY_MAX + 1, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, accel_job_export_sync_file(NULL, &i));
	EXPECT_EQ(-EINVAL, accel_bo_new_userptr(NULL, &i, 4096, 0, &bo));
	EXPECT_EQ(-EINVAL, accel_bo_import(NULL, 0, &bo));
	EXPECT_EQ(-EINVAL, accel_bo_bind(NULL, 0, 0, 4096, 0, &v));
	EXPECT_EQ(-EINVAL, accel_bo_unbind(NULL, 0x1000));
	EXPECT_EQ(-EINVAL, accel_device_set_priority(NULL, 0));
	EXPECT_EQ(-EINVAL, accel_device_get_reset_status(NULL, NULL));
	/* Freeing NULL is a no-op. */
	accel_device_close(NULL);
	accel_bo_free(NULL);
	accel_cmdbuf_free(NULL);
	accel_job_free(NULL);
	(void)cb;
}

/* ------------------------------------------------------------------ */
/* Command-buffer builder (device-less)                                */
/* ------------------------------------------------------------------ */

FIXTURE(cmdbuf) {
	struct accel_cmdbuf *cb;
};

FIXTURE_SETUP(cmdbuf)
{
	self->cb = NULL;
	ASSERT_EQ(0, accel_cmdbuf_new(NULL, &self->cb));
	ASSERT_NE(NULL, self->cb);
}

FIXTURE_TEARDOWN(cmdbuf)
{
	accel_cmdbuf_free(self->cb);
}

/* Current stream size and command count. */
static void state(struct accel_cmdbuf *cb, size_t *size, unsigned int *count)
{
	const void *data;

	accel_cmdbuf_get_stream(cb, &data, size);
	accel_cmdbuf_get_count(cb, count);
}

/* Expect @call to fail with @err and leave the stream untouched. */
#define EXPECT_REJECT(err, call) do {					\
	size_t _s0, _s1;						\
	unsigned int _c0, _c1;						\
	state(self->cb, &_s0, &_c0);					\
	EXPECT_EQ(err, call);						\
	state(self->cb, &_s1, &_c1);					\
	EXPECT_EQ(_s0, _s1);						\
	EXPECT_EQ(_c0, _c1);						\
} while (0)

TEST_F(cmdbuf, empty)
{
	const void *data = (void *)1;
	unsigned int n = 99;
	size_t size = 99;

	ASSERT_EQ(0, accel_cmdbuf_get_stream(self->cb, &data, &size));
	EXPECT_EQ(0u, size);
	ASSERT_EQ(0, accel_cmdbuf_get_count(self->cb, &n));
	EXPECT_EQ(0u, n);
	ASSERT_EQ(0, accel_cmdbuf_get_bo_count(self->cb, &n));
	EXPECT_EQ(0u, n);
	EXPECT_EQ(-EINVAL, accel_cmdbuf_get_stream(self->cb, NULL, &size));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_get_stream(self->cb, &data, NULL));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_get_count(self->cb, NULL));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_get_bo_count(self->cb, NULL));
}

TEST_F(cmdbuf, encoding)
{
	const struct vnpu_cmd_nop *nop;
	const struct vnpu_cmd_fill *fill;
	const struct vnpu_cmd_copy *copy;
	const struct vnpu_cmd_timestamp *ts;
	const uint8_t *p;
	const void *data;
	unsigned int n;
	size_t size;

	ASSERT_EQ(0, accel_cmdbuf_nop(self->cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(self->cb, VA + 3, 1001, 0x44332211));
	ASSERT_EQ(0, accel_cmdbuf_copy(self->cb, VA + 0x10000, VA, 4096));
	ASSERT_EQ(0, accel_cmdbuf_timestamp(self->cb, VA + 0x20008));
	ASSERT_EQ(0, accel_cmdbuf_get_stream(self->cb, &data, &size));
	ASSERT_EQ(sizeof(*nop) + sizeof(*fill) + sizeof(*copy) + sizeof(*ts),
		  size);
	ASSERT_EQ(0u, size % 8);
	ASSERT_EQ(0u, (uintptr_t)data % 8);
	ASSERT_EQ(0, accel_cmdbuf_get_count(self->cb, &n));
	EXPECT_EQ(4u, n);

	p = data;
	nop = (const void *)p;
	EXPECT_EQ(VNPU_OP_NOP, nop->hdr.opcode);
	EXPECT_EQ(sizeof(*nop) / 8, nop->hdr.len);
	EXPECT_EQ(0u, nop->hdr.flags);
	p += sizeof(*nop);

	fill = (const void *)p;
	EXPECT_EQ(VNPU_OP_FILL, fill->hdr.opcode);
	EXPECT_EQ(sizeof(*fill) / 8, fill->hdr.len);
	EXPECT_EQ(0u, fill->hdr.flags);
	EXPECT_EQ(VA + 3, fill->dst);
	EXPECT_EQ(1001u, fill->size);
	EXPECT_EQ(0x44332211u, fill->pattern);
	EXPECT_EQ(0u, fill->rsvd);
	p += sizeof(*fill);

	copy = (const void *)p;
	EXPECT_EQ(VNPU_OP_COPY, copy->hdr.opcode);
	EXPECT_EQ(sizeof(*copy) / 8, copy->hdr.len);
	EXPECT_EQ(0u, copy->hdr.flags);
	EXPECT_EQ(VA, copy->src);
	EXPECT_EQ(VA + 0x10000, copy->dst);
	EXPECT_EQ(4096u, copy->size);
	p += sizeof(*copy);

	ts = (const void *)p;
	EXPECT_EQ(VNPU_OP_TIMESTAMP, ts->hdr.opcode);
	EXPECT_EQ(sizeof(*ts) / 8, ts->hdr.len);
	EXPECT_EQ(0u, ts->hdr.flags);
	EXPECT_EQ(VA + 0x20008, ts->dst);

	/* A device-less builder tracks no BOs. */
	ASSERT_EQ(0, accel_cmdbuf_get_bo_count(self->cb, &n));
	EXPECT_EQ(0u, n);
}

TEST_F(cmdbuf, fill_limits)
{
	/* Any size up to VNPU_XFER_MAX, any alignment. */
	EXPECT_EQ(0, accel_cmdbuf_fill(self->cb, VA, VNPU_XFER_MAX, 0));
	EXPECT_EQ(0, accel_cmdbuf_fill(self->cb, VA + 1, 0, 0));
	EXPECT_EQ(0, accel_cmdbuf_fill(self->cb, VA + 7, 1, 0));
	EXPECT_REJECT(-EINVAL, accel_cmdbuf_fill(self->cb, VA, VNPU_XFER_MAX + 1, 0));
	EXPECT_REJECT(-EINVAL, accel_cmdbuf_fill(self->cb, VA, UINT64_MAX, 0));
}

TEST_F(cmdbuf, fill_addresses)
{
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_fill(self->cb, 0, 16, 0));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_fill(self->cb, 0, 0, 0));
	/* Up to the last byte of the VA space is fine, one more is not. */
	EXPECT_EQ(0, accel_cmdbuf_fill(self->cb, VA_TOP - 16, 16, 0));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_fill(self->cb, VA_TOP - 16, 17, 0));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_fill(self->cb, VA_TOP, 1, 0));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_fill(self->cb, UINT64_MAX - 3, 16, 0));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_fill(self->cb, UINT64_MAX, 0, 0));
}

TEST_F(cmdbuf, copy_overlap)
{
	const uint64_t n = 4096;

	/* Adjacent ranges in either order are fine. */
	EXPECT_EQ(0, accel_cmdbuf_copy(self->cb, VA + n, VA, n));
	EXPECT_EQ(0, accel_cmdbuf_copy(self->cb, VA, VA + n, n));
	/* Any overlap is refused, as the device would. */
	EXPECT_REJECT(-EINVAL, accel_cmdbuf_copy(self->cb, VA, VA, n));
	EXPECT_REJECT(-EINVAL, accel_cmdbuf_copy(self->cb, VA + 1, VA, n));
	EXPECT_REJECT(-EINVAL, accel_cmdbuf_copy(self->cb, VA, VA + 1, n));
	EXPECT_REJECT(-EINVAL, accel_cmdbuf_copy(self->cb, VA + n - 1, VA, n));
	EXPECT_REJECT(-EINVAL, accel_cmdbuf_copy(self->cb, VA, VA + n - 1, n));
	EXPECT_REJECT(-EINVAL, accel_cmdbuf_copy(self->cb, VA, VA, 1));
	/* Empty ranges never overlap. */
	EXPECT_EQ(0, accel_cmdbuf_copy(self->cb, VA, VA, 0));
}

TEST_F(cmdbuf, copy_limits)
{
	const uint64_t big = VNPU_XFER_MAX;

	EXPECT_EQ(0, accel_cmdbuf_copy(self->cb, VA + big, VA, big));
	EXPECT_REJECT(-EINVAL, accel_cmdbuf_copy(self->cb, VA + 2 * big, VA, big + 1));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_copy(self->cb, 0, VA, 8));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_copy(self->cb, VA, 0, 8));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_copy(self->cb, VA, VA_TOP - 4, 8));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_copy(self->cb, VA_TOP - 4, VA, 8));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_copy(self->cb, VA, UINT64_MAX - 3, 8));
}

TEST_F(cmdbuf, timestamp_alignment)
{
	uint64_t off;

	EXPECT_EQ(0, accel_cmdbuf_timestamp(self->cb, VA));
	for (off = 1; off < 8; off++)
		EXPECT_REJECT(-EINVAL, accel_cmdbuf_timestamp(self->cb, VA + off));
	EXPECT_EQ(0, accel_cmdbuf_timestamp(self->cb, VA_TOP - 8));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_timestamp(self->cb, VA_TOP));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_timestamp(self->cb, 0));
	EXPECT_REJECT(-EFAULT, accel_cmdbuf_timestamp(self->cb, UINT64_MAX - 7));
}

TEST_F(cmdbuf, size_limit)
{
	const size_t ts_size = sizeof(struct vnpu_cmd_timestamp);
	unsigned int i, n;
	const void *data;
	size_t size;

	/* Fill exactly VNPU_CMD_MAX_SIZE with 16-byte TIMESTAMPs. */
	for (i = 0; i < VNPU_CMD_MAX_SIZE / ts_size; i++)
		ASSERT_EQ(0, accel_cmdbuf_timestamp(self->cb, VA + 8 * (i % 512)));
	ASSERT_EQ(0, accel_cmdbuf_get_stream(self->cb, &data, &size));
	EXPECT_EQ(VNPU_CMD_MAX_SIZE, size);
	/* Not even a NOP fits now. */
	EXPECT_REJECT(-ENOSPC, accel_cmdbuf_nop(self->cb));
	EXPECT_REJECT(-ENOSPC, accel_cmdbuf_fill(self->cb, VA, 8, 0));
	EXPECT_REJECT(-ENOSPC, accel_cmdbuf_copy(self->cb, VA, VA + 8, 8));
	EXPECT_REJECT(-ENOSPC, accel_cmdbuf_timestamp(self->cb, VA));
	/* The last command is intact. */
	ASSERT_EQ(0, accel_cmdbuf_get_count(self->cb, &n));
	EXPECT_EQ(VNPU_CMD_MAX_SIZE / ts_size, n);
	EXPECT_EQ(VNPU_OP_TIMESTAMP,
		  ((const struct vnpu_cmd_timestamp *)((const char *)data + size -
						       ts_size))->hdr.opcode);
	/* Reset makes room again. */
	ASSERT_EQ(0, accel_cmdbuf_reset(self->cb));
	ASSERT_EQ(0, accel_cmdbuf_get_stream(self->cb, &data, &size));
	EXPECT_EQ(0u, size);
	EXPECT_EQ(0, accel_cmdbuf_nop(self->cb));
}

TEST_F(cmdbuf, partial_fill_to_limit)
{
	const size_t fill_size = sizeof(struct vnpu_cmd_fill);
	unsigned int i;
	const void *data;
	size_t size;

	/* 32-byte FILLs leave no gap either; a NOP (8 bytes) is refused. */
	for (i = 0; i < VNPU_CMD_MAX_SIZE / fill_size; i++)
		ASSERT_EQ(0, accel_cmdbuf_fill(self->cb, VA, 64, i));
	EXPECT_REJECT(-ENOSPC, accel_cmdbuf_nop(self->cb));
	ASSERT_EQ(0, accel_cmdbuf_reset(self->cb));
	/* Leave 8 bytes: a NOP fits, a TIMESTAMP does not. */
	for (i = 0; i < VNPU_CMD_MAX_SIZE / 8 - 1; i++)
		ASSERT_EQ(0, accel_cmdbuf_nop(self->cb));
	EXPECT_REJECT(-ENOSPC, accel_cmdbuf_timestamp(self->cb, VA));
	EXPECT_EQ(0, accel_cmdbuf_nop(self->cb));
	ASSERT_EQ(0, accel_cmdbuf_get_stream(self->cb, &data, &size));
	EXPECT_EQ(VNPU_CMD_MAX_SIZE, size);
}

TEST_F(cmdbuf, no_device_operations)
{
	struct accel_job *job = NULL;

	/* BOs can only be added to a builder that has a device. */
	EXPECT_EQ(-EINVAL, accel_cmdbuf_add_bo(self->cb, NULL));
	EXPECT_EQ(0, accel_cmdbuf_nop(self->cb));
	/* Submitting needs a device. */
	EXPECT_EQ(-EINVAL, accel_job_submit(NULL, self->cb, 0, NULL, &job));
	EXPECT_EQ(NULL, job);
}

TEST_F(cmdbuf, reset_and_reuse)
{
	unsigned int n;

	ASSERT_EQ(0, accel_cmdbuf_fill(self->cb, VA, 16, 1));
	ASSERT_EQ(0, accel_cmdbuf_reset(self->cb));
	ASSERT_EQ(0, accel_cmdbuf_get_count(self->cb, &n));
	EXPECT_EQ(0u, n);
	ASSERT_EQ(0, accel_cmdbuf_timestamp(self->cb, VA));
	ASSERT_EQ(0, accel_cmdbuf_get_count(self->cb, &n));
	EXPECT_EQ(1u, n);
}

TEST_HARNESS_MAIN
