/* SPDX-License-Identifier: MIT */
/*
 * libaccel internals. Not installed; nothing here is exported.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef LIBACCEL_ACCEL_PRIV_H
#define LIBACCEL_ACCEL_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel.h"

/* Only functions marked ACCEL_EXPORT leave the shared object. */
#define ACCEL_EXPORT __attribute__((visibility("default")))

struct accel_device {
	atomic_uint refcount;	/* user handle + BOs + cmdbufs + jobs */
	int fd;
	char *devnode;
	char *pci_address;	/* NULL if unknown */
	char *drv_name, *drv_date, *drv_desc;
	int drv_major, drv_minor, drv_patch;

	struct accel_device_caps caps;	/* read at open */

	/* Parameters read at open and used by the builder. */
	uint64_t num_queues;
	uint64_t ops;
	uint64_t max_cmd_size;
	uint64_t va_bits;

	/*
	 * Mapped ranges of this handle's address space, sorted by VA (they
	 * never overlap): automatic mappings of live BOs and VM_BIND
	 * mappings. A BO's automatic mapping leaves the table when the user
	 * frees it. Also serialises priority changes with submissions.
	 */
	pthread_mutex_t lock;
	struct accel_mapping *maps;
	size_t nmaps, maps_cap;
	uint32_t priority;		/* ACCEL_PRIORITY_* of the context */
};

struct accel_mapping {
	uint64_t va;
	uint64_t size;
	struct accel_bo *bo;
	bool bound;			/* a VM_BIND mapping */
};

struct accel_bind {
	uint64_t va;
	uint64_t size;
};

struct accel_bo {
	atomic_uint refcount;	/* user handle + cmdbufs referencing it */
	struct accel_device *dev;
	uint32_t handle;
	uint32_t flags;
	uint64_t size;
	uint64_t va;
	uint64_t mmap_offset;

	pthread_mutex_t map_lock;	/* also guards dmabuf_fd, binds */
	int dmabuf_fd;			/* -1 until a CPU-access sync */
	void *user_ptr;			/* ACCEL_BO_USERPTR: the memory */
	struct accel_bind *binds;	/* VM_BIND mappings to undo */
	unsigned int nbinds;
	void *map;
	unsigned int map_count;
};

/* Reference counting; the *_put() of the last reference frees. */
void accel_dev_get(struct accel_device *dev);
void accel_dev_put(struct accel_device *dev);
void accel_bo_ref(struct accel_bo *bo);
void accel_bo_unref(struct accel_bo *bo);

/*
 * Find the live BO of @dev containing [va, va + size) (size 0 counts as
 * one byte) and take a reference to it. Returns NULL if there is none.
 */
struct accel_bo *accel_dev_find_bo(struct accel_device *dev, uint64_t va,
				   uint64_t size);

/* Set the context priority (ACCEL_PRIORITY_*); caller holds dev->lock. */
int accel_dev_set_priority_locked(struct accel_device *dev, uint32_t prio);

/*
 * Command-buffer internals shared by the builders (cmdbuf.c, isa.c).
 * check_range: [va, va + size) is a valid device range and, with a device,
 * inside one mapping; *bo gets a reference (NULL without a device).
 * commit: append @len bytes of @cmd and adopt the references in @bos[0..n)
 * (NULL entries allowed); on failure nothing changes and they are dropped.
 * dtypes: the device's supported dtypes (0: unknown, all allowed).
 */
int accel_cmdbuf_check_range(struct accel_cmdbuf *cb, uint64_t va,
			     uint64_t size, struct accel_bo **bo);
int accel_cmdbuf_commit(struct accel_cmdbuf *cb, const void *cmd, size_t len,
			struct accel_bo **bos, unsigned int n);
void accel_cmdbuf_put_bos(struct accel_bo **bos, unsigned int n);
uint64_t accel_cmdbuf_dtypes(const struct accel_cmdbuf *cb);

/* A point to roll a command buffer back to. */
struct accel_cmdbuf_mark {
	size_t size;
	unsigned int count, nbos;
};

void accel_cmdbuf_get_mark(const struct accel_cmdbuf *cb,
			   struct accel_cmdbuf_mark *m);
void accel_cmdbuf_rollback(struct accel_cmdbuf *cb,
			   const struct accel_cmdbuf_mark *m);

/* ioctl() with EINTR/EAGAIN restart; returns 0 or -errno. */
int accel_ioctl(int fd, unsigned long request, void *arg);

/* Absolute CLOCK_MONOTONIC deadline for a relative timeout (< 0: none). */
int64_t accel_deadline(int64_t timeout_ns);

#endif /* LIBACCEL_ACCEL_PRIV_H */
