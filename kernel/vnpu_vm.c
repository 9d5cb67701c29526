// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Explicit VM_BIND/VM_UNBIND of BO ranges at VAs chosen by userspace.
 *
 * They share the context's drm_mm with the automatic mappings of
 * BO_CREATE/BO_USERPTR: drm_mm_reserve_node() rejects any overlap, and
 * the colour of a node (VNPU_MAP_*) tells a bound range from an automatic
 * one. A bound range holds a reference on its BO until it is unbound or
 * the file is closed.
 *
 * A bound range is recorded in its BO (struct vnpu_bo_map) under the BO's
 * reservation lock, so that the shrinker can clear its PTEs when it
 * evicts the BO; that lock nests outside the context's.
 */

#include <linux/dma-resv.h>
#include <linux/slab.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include "vnpu_drv.h"
#include "vnpu_gem.h"
#include "vnpu_mmu.h"
#include "vnpu_vm.h"

/**
 * struct vnpu_vma - one VM_BIND mapping
 * @node: the VA range, colour VNPU_MAP_BIND, in the context's drm_mm
 * @obj: the bound BO (one reference)
 * @map: the record of the mapping in the BO
 */
struct vnpu_vma {
	struct drm_mm_node node;
	struct drm_gem_object *obj;
	struct vnpu_bo_map map;
};

int vnpu_vm_bind_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct drm_vnpu_vm_bind *args = data;
	struct drm_gem_object *obj;
	struct vnpu_vma *vma;
	struct vnpu_bo *bo;
	u64 prot = VNPU_MAP_PROT_RW;
	int ret;

	if (args->flags & ~DRM_VNPU_VM_BIND_FLAGS_VALID)
		return -EINVAL;
	if (!args->size || !IS_ALIGNED(args->size, VNPU_PAGE_SIZE) ||
	    !IS_ALIGNED(args->va, VNPU_PAGE_SIZE) ||
	    !IS_ALIGNED(args->offset, VNPU_PAGE_SIZE))
		return -EINVAL;
	if (args->va < VNPU_VA_START || args->va >= vdev->va_end ||
	    args->size > vdev->va_end - args->va)
		return -ERANGE;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_vnpu_bo(obj);

	if (args->offset > obj->size || args->size > obj->size - args->offset) {
		ret = -EINVAL;
		goto err_put;
	}
	/* a dma-buf of another vnpu's device memory cannot be reached */
	if (obj->dev != drm) {
		ret = -ENODEV;
		goto err_put;
	}
	if ((args->flags & DRM_VNPU_VM_BIND_READONLY) ||
	    (bo->flags & DRM_VNPU_BO_READONLY))
		prot = VNPU_MAP_PROT_RO;

	vma = kzalloc(sizeof(*vma), GFP_KERNEL);
	if (!vma) {
		ret = -ENOMEM;
		goto err_put;
	}
	vma->obj = obj;
	vma->node.color = VNPU_MAP_BIND;
	INIT_LIST_HEAD(&vma->map.link);

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret) {
		kfree(vma);
		goto err_put;
	}
	/* an evicted BO is made resident first */
	ret = vnpu_bo_map_add(bo, &vma->map, fpriv->ctx, &vma->node, args->va,
			      args->offset, args->size, prot);
	dma_resv_unlock(obj->resv);
	if (ret) {
		kfree(vma);
		/* drm_mm_reserve_node(): the range is taken */
		ret = ret == -ENOSPC ? -EEXIST : ret;
		goto err_put;
	}

	vnpu_dbg(vdev, "ctx %u: bound %#llx+%#llx to BO %u+%#llx\n",
		 fpriv->ctx->id, args->va, args->size, args->handle,
		 args->offset);
	return 0;

err_put:
	drm_gem_object_put(obj);
	return ret;
}

/*
 * Freed after the context's lock is dropped: the last reference on the BO
 * unmaps its automatic mapping, which may be in this same context.
 */
static void vnpu_vma_free(struct vnpu_vma *vma)
{
	drm_gem_object_put(vma->obj);
	kfree(vma);
}

/*
 * The VM_BIND mapping of @ctx that starts at @va, or NULL. With @obj set,
 * only a mapping of that BO.
 */
static struct vnpu_vma *vnpu_vma_find(struct vnpu_mmu_ctx *ctx, u64 va,
				      struct drm_gem_object *obj)
{
	struct drm_mm_node *node;
	struct vnpu_vma *vma;

	lockdep_assert_held(&ctx->lock);

	drm_mm_for_each_node_in_range(node, &ctx->mm, va, va + 1) {
		if (node->start != va || node->color != VNPU_MAP_BIND)
			continue;
		vma = container_of(node, struct vnpu_vma, node);
		if (!obj || vma->obj == obj)
			return vma;
	}
	return NULL;
}

/*
 * Remove the VM_BIND mapping at @va if it is still a mapping of @obj of
 * @size bytes (0: any size), and return it to be freed. Takes the BO's
 * reservation lock, then the context's: the caller holds a reference on
 * @obj and neither lock.
 */
static struct vnpu_vma *vnpu_vma_remove(struct vnpu_mmu_ctx *ctx, u64 va,
					struct drm_gem_object *obj, u64 size,
					int *err)
{
	struct vnpu_vma *vma;

	dma_resv_lock(obj->resv, NULL);
	mutex_lock(&ctx->lock);
	vma = vnpu_vma_find(ctx, va, obj);
	if (!vma) {
		*err = -ENOENT;	/* unbound meanwhile */
	} else if (size && vma->node.size != size) {
		*err = -EINVAL;
		vma = NULL;
	} else {
		/* PTEs cleared, TLB invalidated before the BO can go */
		__vnpu_mmu_unmap(ctx, &vma->node);
		vnpu_bo_map_del(to_vnpu_bo(obj), &vma->map);
		*err = 0;
	}
	mutex_unlock(&ctx->lock);
	dma_resv_unlock(obj->resv);
	return vma;
}

int vnpu_vm_unbind_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct drm_vnpu_vm_unbind *args = data;
	struct vnpu_mmu_ctx *ctx = fpriv->ctx;
	struct drm_gem_object *obj = NULL;
	struct vnpu_vma *vma;
	int ret = -ENOENT;

	if (args->flags || args->pad)
		return -EINVAL;
	/*
	 * Nothing is bound outside the drm_mm's range, and the range walk
	 * below must not start there: with no node found it starts at the
	 * head node, whose start is the range's end, and with an end
	 * beyond that it would go round the node list forever.
	 */
	if (args->va < VNPU_VA_START || args->va >= vdev->va_end)
		return -ENOENT;

	/* find the BO, to take its reservation lock outside the context's */
	mutex_lock(&ctx->lock);
	vma = vnpu_vma_find(ctx, args->va, NULL);
	if (vma) {
		if (vma->node.size == args->size) {
			obj = vma->obj;
			drm_gem_object_get(obj);
		} else {
			ret = -EINVAL;
		}
	}
	mutex_unlock(&ctx->lock);
	if (!obj)
		return ret;

	vma = vnpu_vma_remove(ctx, args->va, obj, args->size, &ret);
	if (vma)
		vnpu_vma_free(vma);
	drm_gem_object_put(obj);
	return ret;
}

/**
 * vnpu_vm_unbind_all - drop every VM_BIND mapping of a closing file
 * @ctx: the file's context
 */
void vnpu_vm_unbind_all(struct vnpu_mmu_ctx *ctx)
{
	struct drm_gem_object *obj;
	struct drm_mm_node *node;
	struct vnpu_vma *vma;
	u64 va;
	int err;

	/* one at a time: each BO's reservation lock comes first */
	for (;;) {
		obj = NULL;
		mutex_lock(&ctx->lock);
		drm_mm_for_each_node(node, &ctx->mm) {
			if (node->color != VNPU_MAP_BIND)
				continue;
			vma = container_of(node, struct vnpu_vma, node);
			obj = vma->obj;
			va = node->start;
			drm_gem_object_get(obj);
			break;
		}
		mutex_unlock(&ctx->lock);
		if (!obj)
			break;

		vma = vnpu_vma_remove(ctx, va, obj, 0, &err);
		drm_gem_object_put(obj);
		/* nothing else unbinds in a closing file: it was found */
		if (WARN_ON_ONCE(!vma))
			break;
		vnpu_vma_free(vma);
	}
}
