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
 */

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
 * @link: in a list of mappings to free
 */
struct vnpu_vma {
	struct drm_mm_node node;
	struct drm_gem_object *obj;
	struct list_head link;
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

	ret = vnpu_mmu_map(fpriv->ctx, &vma->node, args->va, bo, args->offset,
			   args->size, prot);
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

int vnpu_vm_unbind_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct drm_vnpu_vm_unbind *args = data;
	struct vnpu_mmu_ctx *ctx = fpriv->ctx;
	struct drm_mm_node *node;
	struct vnpu_vma *vma = NULL;
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

	mutex_lock(&ctx->lock);
	drm_mm_for_each_node_in_range(node, &ctx->mm, args->va, args->va + 1) {
		if (node->start == args->va && node->color == VNPU_MAP_BIND) {
			vma = container_of(node, struct vnpu_vma, node);
			break;
		}
	}
	if (vma) {
		if (vma->node.size == args->size) {
			/* PTEs cleared, TLB invalidated before the BO can go */
			__vnpu_mmu_unmap(ctx, &vma->node);
			ret = 0;
		} else {
			ret = -EINVAL;
		}
	}
	mutex_unlock(&ctx->lock);
	if (!ret)
		vnpu_vma_free(vma);
	return ret;
}

/**
 * vnpu_vm_unbind_all - drop every VM_BIND mapping of a closing file
 * @ctx: the file's context
 */
void vnpu_vm_unbind_all(struct vnpu_mmu_ctx *ctx)
{
	struct drm_mm_node *node, *next;
	struct vnpu_vma *vma, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&ctx->lock);
	drm_mm_for_each_node_safe(node, next, &ctx->mm) {
		if (node->color != VNPU_MAP_BIND)
			continue;
		vma = container_of(node, struct vnpu_vma, node);
		__vnpu_mmu_unmap(ctx, node);
		list_add_tail(&vma->link, &dead);
	}
	mutex_unlock(&ctx->lock);

	list_for_each_entry_safe(vma, tmp, &dead, link)
		vnpu_vma_free(vma);
}
