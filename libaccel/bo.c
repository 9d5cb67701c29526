// SPDX-License-Identifier: MIT
/*
 * libaccel: buffer objects.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <xf86drm.h>

#include "drm/vnpu_accel.h"
#include "vnpu_device.h"
#include "accel_priv.h"

_Static_assert(ACCEL_BO_WC == DRM_VNPU_BO_WC, "BO flags");
_Static_assert(ACCEL_BO_DEVMEM == DRM_VNPU_BO_DEVMEM, "BO flags");
_Static_assert(ACCEL_BO_USERPTR == DRM_VNPU_BO_IS_USERPTR, "BO flags");
_Static_assert(ACCEL_BO_IMPORTED == DRM_VNPU_BO_IS_IMPORTED, "BO flags");

/* ------------------------------------------------------------------ */
/* The per-device table of mapped ranges, sorted by VA                 */
/* ------------------------------------------------------------------ */

/*
 * Each entry is a BO's automatic mapping (bound == false) or a VM_BIND
 * mapping (bound == true, which holds a reference on its BO). Ranges never
 * overlap. Caller holds dev->lock for all of these.
 */

/* Index of the first entry whose VA is > @va. */
static size_t upper_bound(struct accel_device *dev, uint64_t va)
{
	size_t lo = 0, hi = dev->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dev->maps[mid].va <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int table_insert(struct accel_device *dev, struct accel_bo *bo,
			uint64_t va, uint64_t size, bool bound)
{
	size_t i;

	pthread_mutex_lock(&dev->lock);
	if (dev->nmaps == dev->maps_cap) {
		size_t cap = dev->maps_cap ? 2 * dev->maps_cap : 64;
		struct accel_mapping *n = realloc(dev->maps, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&dev->lock);
			return -ENOMEM;
		}
		dev->maps = n;
		dev->maps_cap = cap;
	}
	i = upper_bound(dev, va);
	memmove(&dev->maps[i + 1], &dev->maps[i],
		(dev->nmaps - i) * sizeof(*dev->maps));
	dev->maps[i] = (struct accel_mapping){ .va = va, .size = size,
					       .bo = bo, .bound = bound };
	dev->nmaps++;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/* Remove the entry at @va of @bo; returns true if there was one. */
static bool table_remove(struct accel_device *dev, struct accel_bo *bo,
			 uint64_t va, bool bound)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&dev->lock);
	/* Several entries may start at @va only if they are empty (VA 0). */
	for (i = upper_bound(dev, va); i > 0 && dev->maps[i - 1].va == va; i--) {
		if (dev->maps[i - 1].bo != bo || dev->maps[i - 1].bound != bound)
			continue;
		i--;
		memmove(&dev->maps[i], &dev->maps[i + 1],
			(dev->nmaps - i - 1) * sizeof(*dev->maps));
		dev->nmaps--;
		found = true;
		break;
	}
	pthread_mutex_unlock(&dev->lock);
	return found;
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
		const struct accel_mapping *c = &dev->maps[i - 1];

		/* va >= c->va here; no wrap since size <= c->size is checked. */
		if (size <= c->size && va - c->va <= c->size - size) {
			bo = c->bo;
			accel_bo_ref(bo);
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return bo;
}

/*
 * A free VA range of @size bytes for automatic placement of a bound
 * mapping, searched downwards from the top of the placement range (the
 * driver places its automatic mappings from the bottom). The driver has
 * the last word: VM_BIND fails with -EEXIST if the range is taken by a
 * mapping this handle does not know about, and the caller tries lower.
 */
static uint64_t find_hole(struct accel_device *dev, uint64_t size,
			  uint64_t below)
{
	uint64_t start = dev->caps.va_start, end = below;
	size_t i;

	pthread_mutex_lock(&dev->lock);
	for (i = dev->nmaps; i-- > 0;) {
		const struct accel_mapping *m = &dev->maps[i];

		if (m->va >= end)
			continue;
		if (m->va + m->size <= end && end - (m->va + m->size) >= size)
			break;
		end = m->va;
	}
	pthread_mutex_unlock(&dev->lock);
	if (end < start || end - start < size)
		return 0;
	return (end - size) & ~(VNPU_PAGE_SIZE - 1);
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
	unsigned int i;

	if (atomic_fetch_sub_explicit(&bo->refcount, 1,
				      memory_order_acq_rel) != 1)
		return;
	if (bo->map)
		munmap(bo->map, bo->size);
	if (bo->dmabuf_fd >= 0)
		close(bo->dmabuf_fd);
	/* VM_BIND mappings would keep the BO alive in the kernel. */
	for (i = 0; i < bo->nbinds; i++) {
		struct drm_vnpu_vm_unbind u = { .va = bo->binds[i].va,
						.size = bo->binds[i].size };

		accel_ioctl(bo->dev->fd, DRM_IOCTL_VNPU_VM_UNBIND, &u);
	}
	free(bo->binds);
	drmCloseBufferHandle(bo->dev->fd, bo->handle);
	pthread_mutex_destroy(&bo->map_lock);
	accel_dev_put(bo->dev);
	free(bo);
}

/*
 * Wrap GEM handle @handle of @dev (which the caller owns: it is closed on
 * failure) in a new struct accel_bo, with BO_INFO's size, flags and VA.
 */
static int bo_wrap(struct accel_device *dev, uint32_t handle, uint32_t flags,
		   struct accel_bo **out)
{
	struct drm_vnpu_bo_info info = { .handle = handle };
	struct accel_bo *bo;
	int ret;

	ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_BO_INFO, &info);
	if (ret)
		goto err;
	bo = calloc(1, sizeof(*bo));
	if (!bo) {
		ret = -ENOMEM;
		goto err;
	}
	if (pthread_mutex_init(&bo->map_lock, NULL)) {
		free(bo);
		ret = -ENOMEM;
		goto err;
	}
	atomic_init(&bo->refcount, 1);
	bo->dmabuf_fd = -1;
	bo->dev = dev;
	bo->handle = handle;
	bo->flags = flags | (info.bo_flags & ~(uint32_t)DRM_VNPU_BO_IS_IMPORTED);
	bo->size = info.size;
	bo->va = info.va;
	bo->mmap_offset = info.mmap_offset;
	accel_dev_get(dev);
	*out = bo;
	return 0;

err:
	drmCloseBufferHandle(dev->fd, handle);
	return ret;
}

/* Enter @bo's automatic mapping (if any) in the table; frees @bo on error. */
static int bo_publish(struct accel_bo *bo, struct accel_bo **out)
{
	int ret;

	/*
	 * A BO without a mapping here (an import the driver could not place)
	 * gets an empty entry at VA 0: commands cannot name it, but a second
	 * import of the same dma-buf finds its handle.
	 */
	ret = table_insert(bo->dev, bo, bo->va, bo->va ? bo->size : 0, false);
	if (ret) {
		accel_bo_unref(bo);
		return ret;
	}
	*out = bo;
	return 0;
}

ACCEL_EXPORT int accel_bo_new(struct accel_device *dev, uint64_t size,
			      uint32_t flags, struct accel_bo **out)
{
	struct drm_vnpu_bo_create create = { .size = size, .flags = flags };
	struct accel_bo *bo;
	int ret;

	if (!dev || !out || size == 0 ||
	    (flags & ~(ACCEL_BO_WC | ACCEL_BO_DEVMEM)) ||
	    ((flags & ACCEL_BO_WC) && (flags & ACCEL_BO_DEVMEM)))
		return -EINVAL;
	if ((flags & ACCEL_BO_DEVMEM) &&
	    !(dev->caps.features & ACCEL_FEATURE_DEVMEM))
		return -EOPNOTSUPP;
	ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_BO_CREATE, &create);
	if (ret)
		return ret;
	ret = bo_wrap(dev, create.handle, flags, &bo);
	if (ret)
		return ret;
	if (bo->size < size || bo->va != create.va) {
		accel_bo_unref(bo);
		return -EPROTO;	/* the driver contradicts itself */
	}
	return bo_publish(bo, out);
}

ACCEL_EXPORT int accel_bo_new_userptr(struct accel_device *dev, void *ptr,
				      uint64_t size, uint32_t flags,
				      struct accel_bo **out)
{
	struct drm_vnpu_bo_userptr u = { .user_ptr = (uintptr_t)ptr,
					 .size = size };
	struct accel_bo *bo;
	long page = sysconf(_SC_PAGESIZE);
	int ret;

	if (!dev || !ptr || !out || size == 0 || (flags & ~ACCEL_BO_READONLY) ||
	    ((uintptr_t)ptr | size) & (uint64_t)(page - 1))
		return -EINVAL;
	if (!(dev->caps.features & ACCEL_FEATURE_USERPTR))
		return -EOPNOTSUPP;
	if (flags & ACCEL_BO_READONLY)
		u.flags |= DRM_VNPU_BO_READONLY;
	ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_BO_USERPTR, &u);
	if (ret)
		return ret;
	ret = bo_wrap(dev, u.handle, ACCEL_BO_USERPTR | flags, &bo);
	if (ret)
		return ret;
	bo->user_ptr = ptr;
	return bo_publish(bo, out);
}

ACCEL_EXPORT int accel_bo_import(struct accel_device *dev, int dmabuf_fd,
				 struct accel_bo **out)
{
	struct accel_bo *bo;
	uint32_t handle;
	size_t i;
	int ret;

	if (!dev || !out || dmabuf_fd < 0)
		return -EINVAL;
	errno = 0;
	if (drmPrimeFDToHandle(dev->fd, dmabuf_fd, &handle))
		return errno == ENOSYS || errno == ENOTTY || errno == EOPNOTSUPP ?
		       -EOPNOTSUPP : (errno ? -errno : -EIO);
	/* A BO of this very handle comes back as its own GEM handle. */
	pthread_mutex_lock(&dev->lock);
	for (i = 0; i < dev->nmaps; i++)
		if (dev->maps[i].bo->handle == handle)
			break;
	ret = i < dev->nmaps ? -EEXIST : 0;
	pthread_mutex_unlock(&dev->lock);
	if (ret)
		return ret;	/* the handle is that BO's: do not close it */
	ret = bo_wrap(dev, handle, ACCEL_BO_IMPORTED, &bo);
	if (ret)
		return ret;
	if (!bo->va && (dev->caps.features & ACCEL_FEATURE_VM_BIND)) {
		/* Automatic placement of a BO with no mapping here. */
		ret = accel_bo_bind(bo, 0, 0, bo->size, 0, &bo->va);
		if (ret) {
			accel_bo_unref(bo);
			return ret;
		}
		*out = bo;
		return 0;
	}
	return bo_publish(bo, out);
}

ACCEL_EXPORT int accel_bo_bind(struct accel_bo *bo, uint64_t va,
			       uint64_t offset, uint64_t size, uint32_t flags,
			       uint64_t *out_va)
{
	struct drm_vnpu_vm_bind b = { 0 };
	struct accel_device *dev;
	struct accel_bind *nb;
	uint64_t below;
	int ret, tries;

	if (!bo || !size || (flags & ~ACCEL_BIND_READONLY) ||
	    ((va | offset | size) & (VNPU_PAGE_SIZE - 1)) ||
	    offset > bo->size || size > bo->size - offset)
		return -EINVAL;
	dev = bo->dev;
	if (!(dev->caps.features & ACCEL_FEATURE_VM_BIND))
		return -EOPNOTSUPP;
	b.handle = bo->handle;
	b.offset = offset;
	b.size = size;
	b.flags = (flags & ACCEL_BIND_READONLY) ? DRM_VNPU_VM_BIND_READONLY : 0;

	pthread_mutex_lock(&bo->map_lock);
	nb = realloc(bo->binds, (bo->nbinds + 1) * sizeof(*nb));
	if (!nb) {
		pthread_mutex_unlock(&bo->map_lock);
		return -ENOMEM;
	}
	bo->binds = nb;
	if (va) {
		b.va = va;
		ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_VM_BIND, &b);
	} else {
		/* Automatic placement; retry below ranges we did not know. */
		below = dev->caps.va_end;
		ret = -ENOSPC;
		for (tries = 0; tries < 64; tries++) {
			b.va = find_hole(dev, size, below);
			if (!b.va) {
				ret = -ENOSPC;
				break;
			}
			ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_VM_BIND, &b);
			if (ret != -EEXIST)
				break;
			below = b.va;
		}
	}
	if (!ret) {
		ret = table_insert(dev, bo, b.va, size, true);
		if (ret) {
			struct drm_vnpu_vm_unbind u = { .va = b.va, .size = size };

			accel_ioctl(dev->fd, DRM_IOCTL_VNPU_VM_UNBIND, &u);
		} else {
			bo->binds[bo->nbinds++] = (struct accel_bind){ b.va, size };
		}
	}
	pthread_mutex_unlock(&bo->map_lock);
	if (!ret && out_va)
		*out_va = b.va;
	return ret;
}

ACCEL_EXPORT int accel_bo_unbind(struct accel_bo *bo, uint64_t va)
{
	struct drm_vnpu_vm_unbind u = { .va = va };
	unsigned int i;
	int ret;

	if (!bo)
		return -EINVAL;
	pthread_mutex_lock(&bo->map_lock);
	for (i = 0; i < bo->nbinds; i++)
		if (bo->binds[i].va == va)
			break;
	if (i == bo->nbinds) {
		pthread_mutex_unlock(&bo->map_lock);
		return -ENOENT;
	}
	u.size = bo->binds[i].size;
	ret = accel_ioctl(bo->dev->fd, DRM_IOCTL_VNPU_VM_UNBIND, &u);
	if (!ret) {
		table_remove(bo->dev, bo, va, true);
		bo->binds[i] = bo->binds[--bo->nbinds];
		if (bo->va == va && (bo->flags & ACCEL_BO_IMPORTED))
			bo->va = 0;	/* its automatic placement is gone */
	}
	pthread_mutex_unlock(&bo->map_lock);
	return ret;
}

ACCEL_EXPORT int accel_bo_map(struct accel_bo *bo, void **ptr)
{
	void *p;

	if (!bo || !ptr)
		return -EINVAL;
	if (bo->flags & ACCEL_BO_USERPTR) {
		*ptr = bo->user_ptr;	/* the memory is the user's own */
		return 0;
	}
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
	if (bo->flags & ACCEL_BO_USERPTR)
		return 0;
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
	unsigned int i;

	if (!bo)
		return;
	/*
	 * New commands can no longer name its ranges; the kernel mappings
	 * stay until the last command buffer using the BO lets go of it.
	 */
	pthread_mutex_lock(&bo->map_lock);
	table_remove(bo->dev, bo, bo->va, false);
	for (i = 0; i < bo->nbinds; i++)
		table_remove(bo->dev, bo, bo->binds[i].va, true);
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

ACCEL_EXPORT int accel_bo_get_flags(const struct accel_bo *bo, uint32_t *flags)
{
	if (!bo || !flags)
		return -EINVAL;
	*flags = bo->flags;
	return 0;
}

/* PRIME errors: a driver without PRIME answers ENOSYS/ENOTTY/EOPNOTSUPP. */
static int prime_err(int err)
{
	if (err == ENOSYS || err == ENOTTY || err == EOPNOTSUPP)
		return -EOPNOTSUPP;
	return err ? -err : -EIO;
}

ACCEL_EXPORT int accel_bo_export(struct accel_bo *bo, int *dmabuf_fd)
{
	int fd = -1;

	if (!bo || !dmabuf_fd)
		return -EINVAL;
	errno = 0;
	if (drmPrimeHandleToFD(bo->dev->fd, bo->handle, DRM_CLOEXEC | DRM_RDWR,
			       &fd))
		return prime_err(errno);
	*dmabuf_fd = fd;
	return 0;
}

/* The BO's dma-buf, exported once and kept for CPU-access syncs. */
static int bo_dmabuf(struct accel_bo *bo, int *fd)
{
	int ret = 0;

	pthread_mutex_lock(&bo->map_lock);
	if (bo->dmabuf_fd < 0)
		ret = accel_bo_export(bo, &bo->dmabuf_fd);
	*fd = bo->dmabuf_fd;
	pthread_mutex_unlock(&bo->map_lock);
	return ret;
}

ACCEL_EXPORT int accel_bo_cpu_prep(struct accel_bo *bo, uint32_t access,
				   int64_t timeout_ns)
{
	struct dma_buf_export_sync_file ex = { 0 };
	struct dma_buf_sync sync = { 0 };
	int64_t deadline;
	int fd, ret;

	if (!bo || !access || (access & ~(ACCEL_ACCESS_READ | ACCEL_ACCESS_WRITE)))
		return -EINVAL;
	ret = bo_dmabuf(bo, &fd);
	if (ret)
		return ret;
	/*
	 * Reading waits for the device's writes, writing for all its
	 * accesses. Wait on a sync_file of those fences so that the timeout
	 * is honoured (DMA_BUF_IOCTL_SYNC waits forever).
	 */
	ex.flags = (access & ACCEL_ACCESS_WRITE) ? DMA_BUF_SYNC_RW :
		   DMA_BUF_SYNC_READ;
	ret = accel_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex);
	if (ret)
		return ret == -ENOTTY ? -EOPNOTSUPP : ret;
	deadline = accel_deadline(timeout_ns);
	for (;;) {
		struct pollfd p = { .fd = ex.fd, .events = POLLIN };
		struct timespec ts;
		int64_t now, left;
		int ms;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		left = deadline == INT64_MAX ? -1 : deadline - now;
		ms = left < 0 ? (deadline == INT64_MAX ? -1 : 0) :
		     (int)((left + 999999) / 1000000 > 3600000 ? 3600000 :
			   (left + 999999) / 1000000);
		ret = poll(&p, 1, ms);
		if (ret > 0) {
			ret = 0;
			break;
		}
		if (ret == 0 && ms >= 0 && left <= 1000000) {
			ret = -ETIME;
			break;
		}
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	close(ex.fd);
	if (ret)
		return ret;
	sync.flags = DMA_BUF_SYNC_START |
		     ((access & ACCEL_ACCESS_WRITE) ? DMA_BUF_SYNC_RW :
		      DMA_BUF_SYNC_READ);
	return accel_ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

ACCEL_EXPORT int accel_bo_cpu_fini(struct accel_bo *bo, uint32_t access)
{
	struct dma_buf_sync sync = { 0 };
	int fd, ret;

	if (!bo || !access || (access & ~(ACCEL_ACCESS_READ | ACCEL_ACCESS_WRITE)))
		return -EINVAL;
	ret = bo_dmabuf(bo, &fd);
	if (ret)
		return ret;
	sync.flags = DMA_BUF_SYNC_END |
		     ((access & ACCEL_ACCESS_WRITE) ? DMA_BUF_SYNC_RW :
		      DMA_BUF_SYNC_READ);
	return accel_ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}
