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

	/* Parameters read at open and used by the builder. */
	uint64_t num_queues;
	uint64_t ops;
	uint64_t max_cmd_size;
	uint64_t va_bits;

	/*
	 * Live BOs of this handle, sorted by VA (their ranges never
	 * overlap). A BO leaves the table when the user frees it.
	 */
	pthread_mutex_t lock;
	struct accel_bo **bos;
	size_t nbos, bos_cap;
};

struct accel_bo {
	atomic_uint refcount;	/* user handle + cmdbufs referencing it */
	struct accel_device *dev;
	uint32_t handle;
	uint32_t flags;
	uint64_t size;
	uint64_t va;
	uint64_t mmap_offset;

	pthread_mutex_t map_lock;
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

/* ioctl() with EINTR/EAGAIN restart; returns 0 or -errno. */
int accel_ioctl(int fd, unsigned long request, void *arg);

/* Absolute CLOCK_MONOTONIC deadline for a relative timeout (< 0: none). */
int64_t accel_deadline(int64_t timeout_ns);

#endif /* LIBACCEL_ACCEL_PRIV_H */
