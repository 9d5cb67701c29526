/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers for the vnpu kselftest suites: raw ioctl wrappers that
 * return 0 or -errno, command-buffer builders and a few checks that need
 * the harness (_metadata in scope).
 *
 * The suites test the driver's contract exactly as written in
 * uapi/drm/vnpu_accel.h, so nothing here goes through libaccel.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef VNPU_KSFT_H
#define VNPU_KSFT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "drm.h"
#include "drm/vnpu_accel.h"
#include "vnpu_device.h"

#define VNPU_DEFAULT_DEV	"/dev/accel/accel0"
#define NSEC_PER_SEC		1000000000ll
/* Generous: the device is emulated under TCG. */
#define VNPU_JOB_TIMEOUT_NS	(20 * NSEC_PER_SEC)
#define PAGE_SZ			4096ull

static inline const char *vnpu_dev_path(void)
{
	const char *p = getenv("VNPU_DEV");

	return p && *p ? p : VNPU_DEFAULT_DEV;
}

/* Returns an fd, or -errno. */
static inline int vnpu_open(void)
{
	int fd = open(vnpu_dev_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* The module file for reload tests: $VNPU_KO or the test guest's copy. */
static inline const char *vnpu_ko_path(void)
{
	const char *p = getenv("VNPU_KO");

	return p && *p ? p : "/lib/modules/vnpu.ko";
}

/* Wait up to @ms for the device node to appear; true when it did. */
static inline bool vnpu_node_present(int ms)
{
	for (int i = 0; i <= ms / 10; i++) {
		if (access(vnpu_dev_path(), F_OK) == 0)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * rmmod (retrying while the module is busy, up to 5 s) and insmod with
 * @params, then wait for the node; 0 or -errno.
 */
static inline int vnpu_reload(const char *params)
{
	int fd, ret;

	for (int i = 0; i < 500; i++) {
		ret = syscall(__NR_delete_module, "vnpu", O_NONBLOCK) ? -errno : 0;
		if (ret != -EAGAIN && ret != -EBUSY)
			break;
		usleep(10000);
	}
	if (ret && ret != -ENOENT)
		return ret;
	for (int i = 0; i < 500 && access(vnpu_dev_path(), F_OK) == 0; i++)
		usleep(10000);
	fd = open(vnpu_ko_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	if (!ret && !vnpu_node_present(10000))
		ret = -ENODEV;
	return ret;
}

/* Write @val to the sysfs (or debugfs) file @path: 0 or -errno. */
static inline int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * The path of debugfs file @name of the first vnpu device (debugfs is
 * mounted if it is not): 0, or -ENOENT when no device has that file.
 */
static inline int vnpu_debugfs_path(const char *name, char *path, size_t size)
{
	struct dirent *e;
	int ret = -ENOENT;
	DIR *d;

	if (access("/sys/kernel/debug/accel", F_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	d = opendir("/sys/kernel/debug/accel");
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, size, "/sys/kernel/debug/accel/%s/%s",
			 e->d_name, name);
		if (!access(path, F_OK)) {
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* Write @val to debugfs file @name of the first vnpu device: 0 or -errno. */
static inline int vnpu_debugfs_write(const char *name, const char *val)
{
	char path[512];
	int ret = vnpu_debugfs_path(name, path, sizeof(path));

	return ret ? ret : sysfs_write(path, val);
}

/* Read debugfs file @name of the first vnpu device: bytes read or -errno. */
static inline ssize_t vnpu_debugfs_read(const char *name, char *buf,
					size_t size)
{
	char path[512];
	ssize_t n;
	int fd;

	if (vnpu_debugfs_path(name, path, sizeof(path)))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = 0;
	close(fd);
	return n;
}

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static inline int64_t deadline_in(int64_t ns)
{
	return now_ns() + ns;
}

/* ioctl returning 0 or -errno; retries like drmIoctl(). */
static inline int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret == -1 ? -errno : ret;
}

/* An fd on the vgem device, or -1. */
static inline int vnpu_vgem_open(void)
{
	DIR *d = opendir("/dev/dri");
	struct dirent *e;
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (e = readdir(d))) {
		char path[300], name[16] = "";
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
		int fd;

		if (strncmp(e->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", e->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!xioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			found = fd;
		else
			close(fd);
	}
	closedir(d);
	return found;
}

static inline int vnpu_get_param(int fd, uint32_t param, uint32_t index,
				 uint64_t *value)
{
	struct drm_vnpu_param p = { .param = param, .index = index };
	int ret = xioctl(fd, DRM_IOCTL_VNPU_GET_PARAM, &p);

	if (!ret && value)
		*value = p.value;
	return ret;
}

static inline int vnpu_bo_create(int fd, uint64_t size, uint32_t flags,
				 uint32_t *handle, uint64_t *va)
{
	struct drm_vnpu_bo_create c = { .size = size, .flags = flags };
	int ret = xioctl(fd, DRM_IOCTL_VNPU_BO_CREATE, &c);

	if (!ret) {
		if (handle)
			*handle = c.handle;
		if (va)
			*va = c.va;
	}
	return ret;
}

static inline int vnpu_bo_info(int fd, uint32_t handle,
			       struct drm_vnpu_bo_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return xioctl(fd, DRM_IOCTL_VNPU_BO_INFO, info);
}

static inline int vnpu_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return xioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/* mmap a BO through BO_INFO's mmap_offset; NULL on failure (errno set). */
static inline void *vnpu_bo_mmap(int fd, uint32_t handle, uint64_t size)
{
	struct drm_vnpu_bo_info info;
	void *p;
	int ret = vnpu_bo_info(fd, handle, &info);

	if (ret) {
		errno = -ret;
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 info.mmap_offset);
	return p == MAP_FAILED ? NULL : p;
}

static inline int vnpu_wait(int fd, uint64_t job_id, int64_t timeout_ns,
			    int32_t *status, uint32_t *hw_status)
{
	struct drm_vnpu_wait w = { .job_id = job_id, .timeout_ns = timeout_ns };
	int ret = xioctl(fd, DRM_IOCTL_VNPU_WAIT, &w);

	if (!ret) {
		if (status)
			*status = w.status;
		if (hw_status)
			*hw_status = w.hw_status;
	}
	return ret;
}

static inline int vnpu_vm_bind(int fd, uint32_t handle, uint32_t flags,
			       uint64_t va, uint64_t offset, uint64_t size)
{
	struct drm_vnpu_vm_bind b = {
		.handle = handle, .flags = flags, .va = va, .offset = offset,
		.size = size,
	};

	return xioctl(fd, DRM_IOCTL_VNPU_VM_BIND, &b);
}

static inline int vnpu_vm_unbind(int fd, uint64_t va, uint64_t size)
{
	struct drm_vnpu_vm_unbind u = { .va = va, .size = size };

	return xioctl(fd, DRM_IOCTL_VNPU_VM_UNBIND, &u);
}

static inline int vnpu_bo_userptr(int fd, const void *ptr, uint64_t size,
				  uint32_t flags, uint32_t *handle,
				  uint64_t *va)
{
	struct drm_vnpu_bo_userptr u = {
		.user_ptr = (uintptr_t)ptr, .size = size, .flags = flags,
	};
	int ret = xioctl(fd, DRM_IOCTL_VNPU_BO_USERPTR, &u);

	if (!ret) {
		if (handle)
			*handle = u.handle;
		if (va)
			*va = u.va;
	}
	return ret;
}

static inline int vnpu_set_priority(int fd, uint64_t prio)
{
	struct drm_vnpu_ctx_param p = {
		.param = DRM_VNPU_CTX_PARAM_PRIORITY, .value = prio,
	};

	return xioctl(fd, DRM_IOCTL_VNPU_CTX_SET_PARAM, &p);
}

/* Submit @len bytes of commands at @off in BO @cmd, no BO list. */
static inline int vnpu_submit_simple(int fd, uint32_t cmd, uint64_t off,
				     uint32_t len, uint32_t queue,
				     uint32_t flags, uint64_t *id)
{
	struct drm_vnpu_submit s = {
		.cmd_handle = cmd, .cmd_offset = off, .cmd_size = len,
		.queue = queue, .flags = flags,
	};
	int ret = xioctl(fd, DRM_IOCTL_VNPU_SUBMIT, &s);

	if (!ret && id)
		*id = s.job_id;
	return ret;
}

/* Submit and wait (VNPU_JOB_TIMEOUT_NS); 0 or the first -errno. */
static inline int vnpu_run(int fd, uint32_t cmd, uint64_t off, uint32_t len,
			   uint32_t queue, int32_t *status, uint32_t *hw)
{
	uint64_t id;
	int ret = vnpu_submit_simple(fd, cmd, off, len, queue, 0, &id);

	if (ret)
		return ret;
	return vnpu_wait(fd, id, now_ns() + VNPU_JOB_TIMEOUT_NS, status, hw);
}

/* ---- syncobjs (raw DRM core ioctls, so that errno is exact) ---- */

static inline int syncobj_create(int fd, uint32_t flags, uint32_t *handle)
{
	struct drm_syncobj_create c = { .flags = flags };
	int ret = xioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	if (!ret)
		*handle = c.handle;
	return ret;
}

static inline int syncobj_destroy(int fd, uint32_t handle)
{
	struct drm_syncobj_destroy d = { .handle = handle };

	return xioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

static inline int syncobj_signal(int fd, uint32_t handle)
{
	struct drm_syncobj_array a = {
		.handles = (uintptr_t)&handle, .count_handles = 1,
	};

	return xioctl(fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &a);
}

static inline int syncobj_timeline_signal(int fd, uint32_t handle,
					  uint64_t point)
{
	struct drm_syncobj_timeline_array a = {
		.handles = (uintptr_t)&handle, .points = (uintptr_t)&point,
		.count_handles = 1,
	};

	return xioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &a);
}

/* Binary wait; 0 when signalled, -ETIME on timeout, -EINVAL when no fence. */
static inline int syncobj_wait(int fd, uint32_t handle, int64_t timeout_ns,
			       uint32_t flags)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&handle, .count_handles = 1,
		.timeout_nsec = timeout_ns, .flags = flags,
	};

	return xioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

static inline int syncobj_timeline_wait(int fd, uint32_t handle,
					uint64_t point, int64_t timeout_ns,
					uint32_t flags)
{
	struct drm_syncobj_timeline_wait w = {
		.handles = (uintptr_t)&handle, .points = (uintptr_t)&point,
		.count_handles = 1, .timeout_nsec = timeout_ns, .flags = flags,
	};

	return xioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
}

static inline int syncobj_query(int fd, uint32_t handle, uint64_t *point)
{
	struct drm_syncobj_timeline_array a = {
		.handles = (uintptr_t)&handle, .points = (uintptr_t)point,
		.count_handles = 1,
	};

	return xioctl(fd, DRM_IOCTL_SYNCOBJ_QUERY, &a);
}

/* ---- command buffers ---- */

struct cmdbuf {
	uint8_t *base;
	size_t len;
};

static inline void *cmd_put(struct cmdbuf *cb, size_t size)
{
	void *p = cb->base + cb->len;

	memset(p, 0, size);
	cb->len += size;
	return p;
}

static inline void emit_hdr(struct vnpu_cmd_hdr *h, uint16_t op, size_t size)
{
	h->opcode = op;
	h->len = size / 8;
	h->flags = 0;
}

static inline void emit_nop(struct cmdbuf *cb)
{
	struct vnpu_cmd_nop *c = cmd_put(cb, sizeof(*c));

	emit_hdr(&c->hdr, VNPU_OP_NOP, sizeof(*c));
}

static inline void emit_fill(struct cmdbuf *cb, uint64_t dst, uint64_t size,
			     uint32_t pattern)
{
	struct vnpu_cmd_fill *c = cmd_put(cb, sizeof(*c));

	emit_hdr(&c->hdr, VNPU_OP_FILL, sizeof(*c));
	c->dst = dst;
	c->size = size;
	c->pattern = pattern;
}

static inline void emit_copy(struct cmdbuf *cb, uint64_t src, uint64_t dst,
			     uint64_t size)
{
	struct vnpu_cmd_copy *c = cmd_put(cb, sizeof(*c));

	emit_hdr(&c->hdr, VNPU_OP_COPY, sizeof(*c));
	c->src = src;
	c->dst = dst;
	c->size = size;
}

static inline void emit_timestamp(struct cmdbuf *cb, uint64_t dst)
{
	struct vnpu_cmd_timestamp *c = cmd_put(cb, sizeof(*c));

	emit_hdr(&c->hdr, VNPU_OP_TIMESTAMP, sizeof(*c));
	c->dst = dst;
}

/* Byte @i of a FILL with @pattern. */
static inline uint8_t fill_byte(uint32_t pattern, uint64_t i)
{
	return (pattern >> (8 * (i % 4))) & 0xff;
}

/* Index of the first byte of @p[0..n) that differs from FILL @pattern, or -1. */
static inline long check_fill(const uint8_t *p, size_t n, uint32_t pattern)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != fill_byte(pattern, i))
			return (long)i;
	return -1;
}

/* Index of the first byte of @p[0..n) that is not @v, or -1. */
static inline long check_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return (long)i;
	return -1;
}

/* ---- harness glue (needs _metadata in scope) ---- */

/* Open the device into @fd, or SKIP the test when the node is absent. */
#define VNPU_OPEN_OR_SKIP(fd) do {					\
	int __r = vnpu_open();						\
	if (__r == -ENOENT)						\
		SKIP(return, "%s absent", vnpu_dev_path());		\
	ASSERT_GE(__r, 0) TH_LOG("open %s: %s", vnpu_dev_path(),	\
				 strerror(-__r));			\
	(fd) = __r;							\
} while (0)

/* GET_PARAM that must succeed. */
#define PARAM(fd, p) ({							\
	uint64_t __v = 0;						\
	int __r = vnpu_get_param((fd), (p), 0, &__v);			\
	ASSERT_EQ(0, __r) TH_LOG("GET_PARAM(%s): %s", #p, strerror(-__r)); \
	__v;								\
})

#endif /* VNPU_KSFT_H */
