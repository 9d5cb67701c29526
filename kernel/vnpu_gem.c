// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Buffer objects: shmem-backed, pinned and mapped into the creating
 * file's device address space for their whole life.
 */

#include <linux/err.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_vma_manager.h>

#include "vnpu_drv.h"
#include "vnpu_gem.h"
#include "vnpu_mmu.h"

static_assert(offsetof(struct vnpu_bo, base) == 0);

static void vnpu_gem_free(struct drm_gem_object *obj)
{
	struct vnpu_bo *bo = to_vnpu_bo(obj);

	/* the device must not see the pages once they are released */
	if (bo->ctx) {
		vnpu_mmu_unmap(bo->ctx, &bo->node);
		vnpu_mmu_ctx_put(bo->ctx);
		bo->ctx = NULL;
	}
	drm_gem_shmem_free(&bo->base);
}

static const struct drm_gem_object_funcs vnpu_gem_funcs = {
	.free = vnpu_gem_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

struct drm_gem_object *vnpu_gem_create_object(struct drm_device *drm,
					      size_t size)
{
	struct vnpu_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);

	bo->base.base.funcs = &vnpu_gem_funcs;
	return &bo->base.base;
}

int vnpu_bo_create_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct drm_vnpu_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct drm_gem_object *obj;
	struct sg_table *sgt;
	struct vnpu_bo *bo;
	u32 handle;
	int ret;

	if (args->flags & ~DRM_VNPU_BO_FLAGS_VALID)
		return -EINVAL;
	if (!args->size || args->size > VNPU_MAX_BO_SIZE)
		return -EINVAL;

	shmem = drm_gem_shmem_create(drm, args->size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);

	obj = &shmem->base;
	bo = to_vnpu_bo(obj);
	bo->flags = args->flags;
	/* before the pages exist: they are allocated with this caching */
	shmem->map_wc = !!(args->flags & DRM_VNPU_BO_WC);
	bo->ctx = vnpu_mmu_ctx_get(fpriv->ctx);

	/* pins the pages and maps them for DMA; takes the resv lock itself */
	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out_put;
	}

	ret = vnpu_mmu_map(bo->ctx, &bo->node, sgt, obj->size);
	if (ret)
		goto out_put;

	ret = drm_gem_handle_create(file, obj, &handle);
	if (ret)
		goto out_put;

	args->handle = handle;
	args->va = vnpu_bo_va(bo);
	vnpu_dbg(fpriv->vdev, "ctx %u: BO %u, %zu bytes at %#llx\n",
		 bo->ctx->id, handle, obj->size, args->va);

out_put:
	/* the handle holds the reference now, or the BO goes away */
	drm_gem_object_put(obj);
	return ret;
}

int vnpu_bo_info_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct drm_vnpu_bo_info *args = data;
	struct drm_gem_object *obj;
	struct vnpu_bo *bo;

	if (args->flags || args->pad)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	bo = to_vnpu_bo(obj);
	args->bo_flags = bo->flags;
	args->size = obj->size;
	args->va = vnpu_bo_va(bo);
	args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);

	drm_gem_object_put(obj);
	return 0;
}
