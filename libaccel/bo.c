// SPDX-License-Identifier: MIT
/*
 * libaccel: buffer objects.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xf86drm.h>

#include "drm/vnpu_accel.h"
#include "accel_priv.h"

_Static_assert(ACCEL_BO_WC == DRM_VNPU_BO_WC, "BO flags");

/* ------------------------------------------------------------------ */
/* The per-device table of live BOs, sorted by VA                      */
/* ------------------------------------------------------------------ */

/* Index of the first BO whose VA is > @va. Caller holds dev->lock. */
static size_t upper_bound(struct accel_device *dev, uint64_t va)
{
	size_t lo = 0, hi = dev->nbos;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dev->bos[mid]->va <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int table_insert(struct accel_device *dev, struct accel_bo *bo)
{
	size_t i;

	pthread_mutex_lock(&dev->lock);
	if (dev->nbos == dev->bos_cap) {
		size_t cap = dev->bos_cap ? 2 * dev->bos_cap : 64;
		struct accel_bo **n = realloc(dev->bos, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&dev->lock);
			return -ENOMEM;
		}
		dev->bos = n;
		dev->bos_cap = cap;
	}
	i = upper_bound(dev, bo->va);
	memmove(&dev->bos[i + 1], &dev->bos[i],
		(dev->nbos - i) * sizeof(*dev->bos));
	dev->bos[i] = bo;
	dev->nbos++;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static void table_remove(struct accel_device *dev, struct accel_bo *bo)
{
	size_t i;

	pthread_mutex_lock(&dev->lock);
	i = upper_bound(dev, bo->va);
	if (i > 0 && dev->bos[i - 1] == bo) {
		i--;
		memmove(&dev->bos[i], &dev->bos[i + 1],
			(dev->nbos - i - 1) * sizeof(*dev->bos));
		dev->nbos--;
	}
	pthread_mutex_unlock(&dev->lock);
}

struct accel_bo *accel_dev_find_bo(struct accel_device *dev, uint64_t va,
				   uint64_t size)
{
	struct accel_bo *bo = NULL;
	size_t i;

	if (size == 0)
		size = 1;
	pthread_mutex_lock(&dev->lock);
	i = upper_bound(dev, va);
	if (i > 0) {
		struct accel_bo *c = dev->bos[i - 1];

		/* va >= c->va here; no wrap since size <= c->size is checked. */
		if (size <= c->size && va - c->va <= c->size - size) {
			bo = c;
			accel_bo_ref(bo);
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return bo;
}

/* ------------------------------------------------------------------ */
/* BOs                                                                 */
/* ------------------------------------------------------------------ */

void accel_bo_ref(struct accel_bo *bo)
{
	atomic_fetch_add_explicit(&bo->refcount, 1, memory_order_relaxed);
}

void accel_bo_unref(struct accel_bo *bo)
{
	if (atomic_fetch_sub_explicit(&bo->refcount, 1,
				      memory_order_acq_rel) != 1)
		return;
	if (bo->map)
		munmap(bo->map, bo->size);
	drmCloseBufferHandle(bo->dev->fd, bo->handle);
	pthread_mutex_destroy(&bo->map_lock);
	accel_dev_put(bo->dev);
	free(bo);
}

ACCEL_EXPORT int accel_bo_new(struct accel_device *dev, uint64_t size,
			      uint32_t flags, struct accel_bo **out)
{
	struct drm_vnpu_bo_create create = { .size = size, .flags = flags };
	struct drm_vnpu_bo_info info = { 0 };
	struct accel_bo *bo;
	int ret;

	if (!dev || !out || size == 0 || (flags & ~ACCEL_BO_WC))
		return -EINVAL;
	bo = calloc(1, sizeof(*bo));
	if (!bo)
		return -ENOMEM;
	if (pthread_mutex_init(&bo->map_lock, NULL)) {
		free(bo);
		return -ENOMEM;
	}
	ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_BO_CREATE, &create);
	if (ret) {
		pthread_mutex_destroy(&bo->map_lock);
		free(bo);
		return ret;
	}
	info.handle = create.handle;
	ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_BO_INFO, &info);
	if (!ret && (info.size < size || info.va != create.va))
		ret = -EPROTO;	/* the driver contradicts itself */
	if (ret) {
		drmCloseBufferHandle(dev->fd, create.handle);
		pthread_mutex_destroy(&bo->map_lock);
		free(bo);
		return ret;
	}
	atomic_init(&bo->refcount, 1);
	bo->dev = dev;
	bo->handle = create.handle;
	bo->flags = flags;
	bo->size = info.size;
	bo->va = create.va;
	bo->mmap_offset = info.mmap_offset;
	accel_dev_get(dev);

	ret = table_insert(dev, bo);
	if (ret) {
		accel_bo_unref(bo);
		return ret;
	}
	*out = bo;
	return 0;
}

ACCEL_EXPORT int accel_bo_map(struct accel_bo *bo, void **ptr)
{
	void *p;

	if (!bo || !ptr)
		return -EINVAL;
	pthread_mutex_lock(&bo->map_lock);
	if (!bo->map) {
		if (bo->size > SIZE_MAX) {
			pthread_mutex_unlock(&bo->map_lock);
			return -ENOMEM;
		}
		p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 bo->dev->fd, (off_t)bo->mmap_offset);
		if (p == MAP_FAILED) {
			int ret = -errno;

			pthread_mutex_unlock(&bo->map_lock);
			return ret;
		}
		bo->map = p;
	}
	bo->map_count++;
	*ptr = bo->map;
	pthread_mutex_unlock(&bo->map_lock);
	return 0;
}

ACCEL_EXPORT int accel_bo_unmap(struct accel_bo *bo)
{
	int ret = 0;

	if (!bo)
		return -EINVAL;
	pthread_mutex_lock(&bo->map_lock);
	if (!bo->map_count) {
		ret = -EINVAL;
	} else if (--bo->map_count == 0) {
		munmap(bo->map, bo->size);
		bo->map = NULL;
	}
	pthread_mutex_unlock(&bo->map_lock);
	return ret;
}

ACCEL_EXPORT void accel_bo_free(struct accel_bo *bo)
{
	if (!bo)
		return;
	table_remove(bo->dev, bo);
	pthread_mutex_lock(&bo->map_lock);
	if (bo->map) {
		munmap(bo->map, bo->size);
		bo->map = NULL;
		bo->map_count = 0;
	}
	pthread_mutex_unlock(&bo->map_lock);
	accel_bo_unref(bo);
}

ACCEL_EXPORT int accel_bo_get_va(const struct accel_bo *bo, uint64_t *va)
{
	if (!bo || !va)
		return -EINVAL;
	*va = bo->va;
	return 0;
}

ACCEL_EXPORT int accel_bo_get_size(const struct accel_bo *bo, uint64_t *size)
{
	if (!bo || !size)
		return -EINVAL;
	*size = bo->size;
	return 0;
}

ACCEL_EXPORT int accel_bo_get_handle(const struct accel_bo *bo,
				     uint32_t *handle)
{
	if (!bo || !handle)
		return -EINVAL;
	*handle = bo->handle;
	return 0;
}
