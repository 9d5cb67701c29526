// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Buffer objects. Three kinds, all with a struct vnpu_bo:
 *  - shmem BOs (BO_CREATE), cached or write-combined; also the BOs
 *    imported through PRIME (drm_gem_shmem_prime_import_sg_table());
 *  - device-memory BOs (BO_CREATE with DRM_VNPU_BO_DEVMEM), a range of
 *    BAR2 allocated with drm_mm;
 *  - userptr BOs (BO_USERPTR), pinned user pages.
 * A BO created by a file is pinned and mapped into that file's address
 * space at a driver-chosen VA for its whole life; VM_BIND adds mappings.
 */

#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/drm_vma_manager.h>

#include "vnpu_drv.h"
#include "vnpu_gem.h"
#include "vnpu_mmu.h"

static_assert(offsetof(struct vnpu_bo, base) == 0);

/* Drop the automatic mapping: the device must not see the pages after. */
static void vnpu_bo_unmap_auto(struct vnpu_bo *bo)
{
	if (bo->ctx) {
		vnpu_mmu_unmap(bo->ctx, &bo->node);
		vnpu_mmu_ctx_put(bo->ctx);
		bo->ctx = NULL;
	}
}

/* fdinfo memory accounting: every BO of this driver is pinned. */
static enum drm_gem_object_status vnpu_gem_status(struct drm_gem_object *obj)
{
	return DRM_GEM_OBJECT_RESIDENT;
}

static size_t vnpu_gem_rss(struct drm_gem_object *obj)
{
	return obj->size;
}

static struct dma_buf *vnpu_gem_no_export(struct drm_gem_object *obj,
					  int flags)
{
	return ERR_PTR(-EOPNOTSUPP);
}

/* ---- shmem (and imported) BOs ---- */

static void vnpu_gem_free(struct drm_gem_object *obj)
{
	struct vnpu_bo *bo = to_vnpu_bo(obj);

	vnpu_bo_unmap_auto(bo);
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
	.status = vnpu_gem_status,
	.rss = vnpu_gem_rss,
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

static int vnpu_bo_create_shmem(struct drm_device *drm, u64 size, u32 flags,
				struct vnpu_bo **out)
{
	struct drm_gem_shmem_object *shmem;
	struct sg_table *sgt;
	struct vnpu_bo *bo;

	shmem = drm_gem_shmem_create(drm, size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);

	bo = to_vnpu_bo(&shmem->base);
	bo->flags = flags;
	/* before the pages exist: they are allocated with this caching */
	shmem->map_wc = !!(flags & DRM_VNPU_BO_WC);

	/* pins the pages and maps them for DMA; takes the resv lock itself */
	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	if (IS_ERR(sgt)) {
		drm_gem_object_put(&shmem->base);
		return PTR_ERR(sgt);
	}
	*out = bo;
	return 0;
}

/* ---- device-memory BOs ---- */

static void vnpu_devmem_free(struct drm_gem_object *obj)
{
	struct vnpu_device *vdev = to_vnpu_device(obj->dev);
	struct vnpu_bo *bo = to_vnpu_bo(obj);

	vnpu_bo_unmap_auto(bo);
	mutex_lock(&vdev->devmem_lock);
	if (drm_mm_node_allocated(&bo->devmem))
		drm_mm_remove_node(&bo->devmem);
	mutex_unlock(&vdev->devmem_lock);
	drm_gem_free_mmap_offset(obj);
	drm_gem_object_release(obj);
	kfree(bo);
}

static int vnpu_devmem_mmap(struct drm_gem_object *obj,
			    struct vm_area_struct *vma)
{
	struct vnpu_device *vdev = to_vnpu_device(obj->dev);
	struct vnpu_bo *bo = to_vnpu_bo(obj);
	unsigned long pfn;
	int ret, idx;

	/* drm_gem_mmap_obj() checked the length against the BO's size */
	if (vma->vm_pgoff != drm_vma_node_start(&obj->vma_node))
		return -EINVAL;
	/* the BAR is only ours while the device is */
	if (!drm_dev_enter(obj->dev, &idx))
		return -ENODEV;

	pfn = (vdev->devmem_phys + bo->devmem.start) >> PAGE_SHIFT;
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_writecombine(vm_get_page_prot(vma->vm_flags));
	ret = io_remap_pfn_range(vma, vma->vm_start, pfn,
				 vma->vm_end - vma->vm_start,
				 vma->vm_page_prot);
	drm_dev_exit(idx);
	return ret;
}

static const struct vm_operations_struct vnpu_devmem_vm_ops = {
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

static const struct drm_gem_object_funcs vnpu_devmem_funcs = {
	.free = vnpu_devmem_free,
	.export = vnpu_gem_no_export,
	.mmap = vnpu_devmem_mmap,
	.status = vnpu_gem_status,
	.rss = vnpu_gem_rss,
	.vm_ops = &vnpu_devmem_vm_ops,
};

static void vnpu_devmem_fini(struct drm_device *drm, void *unused)
{
	drm_mm_takedown(&to_vnpu_device(drm)->devmem_mm);
}

/**
 * vnpu_devmem_init - set up the allocator of device memory (BAR2)
 * @vdev: probed device; nothing to do when it has no device memory
 */
int vnpu_devmem_init(struct vnpu_device *vdev)
{
	struct pci_dev *pdev = to_pci_dev(vdev->drm.dev);
	int ret;

	ret = drmm_mutex_init(&vdev->drm, &vdev->devmem_lock);
	if (ret)
		return ret;
	if (!vdev->devmem_size)
		return 0;

	if (!(pci_resource_flags(pdev, VNPU_BAR_DEVMEM) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, VNPU_BAR_DEVMEM) < vdev->devmem_size) {
		vnpu_warn(vdev, "BAR%d does not hold %llu bytes of device memory\n",
			  VNPU_BAR_DEVMEM, vdev->devmem_size);
		vdev->devmem_size = 0;
		return 0;
	}
	vdev->devmem_phys = pci_resource_start(pdev, VNPU_BAR_DEVMEM);
	drm_mm_init(&vdev->devmem_mm, 0,
		    round_down(vdev->devmem_size, VNPU_PAGE_SIZE));
	return drmm_add_action_or_reset(&vdev->drm, vnpu_devmem_fini, NULL);
}

static int vnpu_bo_create_devmem(struct drm_device *drm, u64 size, u32 flags,
				 struct vnpu_bo **out)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);
	struct vnpu_bo *bo;
	int ret;

	if (!vdev->devmem_size)
		return -ENODEV;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return -ENOMEM;
	bo->flags = flags;
	bo->base.base.funcs = &vnpu_devmem_funcs;
	drm_gem_private_object_init(drm, &bo->base.base, size);

	/* 2 MiB aligned from 2 MiB on, to be mapped with 2 MiB pages */
	mutex_lock(&vdev->devmem_lock);
	ret = drm_mm_insert_node_generic(&vdev->devmem_mm, &bo->devmem, size,
					 vnpu_mmu_align(vdev, size), 0,
					 DRM_MM_INSERT_BEST);
	mutex_unlock(&vdev->devmem_lock);
	if (!ret)
		ret = drm_gem_create_mmap_offset(&bo->base.base);
	if (ret) {
		drm_gem_object_put(&bo->base.base);
		return ret;
	}
	*out = bo;
	return 0;
}

/* ---- userptr BOs ---- */

static enum dma_data_direction vnpu_userptr_dir(struct vnpu_bo *bo)
{
	return bo->flags & DRM_VNPU_BO_READONLY ? DMA_TO_DEVICE :
						  DMA_BIDIRECTIONAL;
}

/*
 * Pinned pages count against RLIMIT_MEMLOCK, as for vfio and RDMA: charge
 * them to the caller's locked_vm (-ENOMEM above the limit, unless the
 * caller has CAP_IPC_LOCK) and keep the mm to give them back.
 */
static int vnpu_userptr_charge(struct vnpu_bo *bo, unsigned long npages)
{
	int ret;

	ret = account_locked_vm(current->mm, npages, true);
	if (ret)
		return ret;
	mmgrab(current->mm);
	bo->mm = current->mm;
	return 0;
}

static void vnpu_userptr_uncharge(struct vnpu_bo *bo, unsigned long npages)
{
	if (!bo->mm)
		return;
	/* nothing to give back to an address space that has exited */
	if (mmget_not_zero(bo->mm)) {
		account_locked_vm(bo->mm, npages, false);
		mmput(bo->mm);
	}
	mmdrop(bo->mm);
	bo->mm = NULL;
}

static void vnpu_userptr_free(struct drm_gem_object *obj)
{
	struct vnpu_bo *bo = to_vnpu_bo(obj);
	unsigned long npages = obj->size >> PAGE_SHIFT;

	vnpu_bo_unmap_auto(bo);
	if (bo->sgt) {
		dma_unmap_sgtable(obj->dev->dev, bo->sgt, vnpu_userptr_dir(bo),
				  0);
		sg_free_table(bo->sgt);
		kfree(bo->sgt);
	}
	if (bo->pages) {
		unpin_user_pages_dirty_lock(bo->pages, npages,
					    !(bo->flags & DRM_VNPU_BO_READONLY));
		kvfree(bo->pages);
	}
	vnpu_userptr_uncharge(bo, npages);
	drm_gem_object_release(obj);
	kfree(bo);
}

static const struct drm_gem_object_funcs vnpu_userptr_funcs = {
	.free = vnpu_userptr_free,
	.export = vnpu_gem_no_export,
	.status = vnpu_gem_status,
	.rss = vnpu_gem_rss,
};

static int vnpu_userptr_pin(struct vnpu_bo *bo, u64 uaddr)
{
	struct drm_gem_object *obj = &bo->base.base;
	unsigned long npages = obj->size >> PAGE_SHIFT;
	unsigned int gup = FOLL_LONGTERM;
	unsigned long pinned = 0;
	struct sg_table *sgt;
	int ret;

	if (!(bo->flags & DRM_VNPU_BO_READONLY))
		gup |= FOLL_WRITE;

	ret = vnpu_userptr_charge(bo, npages);
	if (ret)
		return ret;

	bo->pages = kvmalloc_array(npages, sizeof(*bo->pages), GFP_KERNEL);
	if (!bo->pages)
		return -ENOMEM;

	while (pinned < npages) {
		ret = pin_user_pages_fast(uaddr + pinned * PAGE_SIZE,
					  npages - pinned, gup,
					  bo->pages + pinned);
		if (ret <= 0) {
			ret = ret ? ret : -EFAULT;
			goto err_unpin;
		}
		pinned += ret;
	}

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt) {
		ret = -ENOMEM;
		goto err_unpin;
	}
	ret = sg_alloc_table_from_pages(sgt, bo->pages, npages, 0, obj->size,
					GFP_KERNEL);
	if (ret)
		goto err_free_sgt;
	ret = dma_map_sgtable(obj->dev->dev, sgt, vnpu_userptr_dir(bo), 0);
	if (ret)
		goto err_free_table;
	bo->sgt = sgt;
	return 0;

err_free_table:
	sg_free_table(sgt);
err_free_sgt:
	kfree(sgt);
err_unpin:
	unpin_user_pages(bo->pages, pinned);
	kvfree(bo->pages);
	bo->pages = NULL;
	return ret;
}

/* ---- ioctls ---- */

/*
 * Map a new BO at a driver-chosen VA of the file's context and create its
 * handle. Consumes the caller's reference on @bo.
 */
static int vnpu_bo_publish(struct vnpu_file_priv *fpriv, struct drm_file *file,
			   struct vnpu_bo *bo, u64 prot, u32 *handle)
{
	struct drm_gem_object *obj = &bo->base.base;
	int ret;

	bo->ctx = vnpu_mmu_ctx_get(fpriv->ctx);
	bo->node.color = VNPU_MAP_AUTO;
	ret = vnpu_mmu_map(bo->ctx, &bo->node, 0, bo, 0, obj->size, prot);
	if (!ret)
		ret = drm_gem_handle_create(file, obj, handle);
	if (!ret)
		vnpu_dbg(fpriv->vdev, "ctx %u: BO %u (%#x), %zu bytes at %#llx\n",
			 bo->ctx->id, *handle, bo->flags, obj->size,
			 vnpu_bo_va(bo));

	/* the handle holds the reference now, or the BO goes away */
	drm_gem_object_put(obj);
	return ret;
}

int vnpu_bo_create_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct drm_vnpu_bo_create *args = data;
	struct vnpu_bo *bo;
	u32 handle;
	int ret;

	if (args->flags & ~DRM_VNPU_BO_FLAGS_VALID)
		return -EINVAL;
	if ((args->flags & DRM_VNPU_BO_WC) && (args->flags & DRM_VNPU_BO_DEVMEM))
		return -EINVAL;
	if (!args->size || args->size > VNPU_MAX_BO_SIZE)
		return -EINVAL;

	if (args->flags & DRM_VNPU_BO_DEVMEM)
		ret = vnpu_bo_create_devmem(drm, PAGE_ALIGN(args->size),
					    args->flags, &bo);
	else
		ret = vnpu_bo_create_shmem(drm, args->size, args->flags, &bo);
	if (ret)
		return ret;

	ret = vnpu_bo_publish(fpriv, file, bo, VNPU_MAP_PROT_RW, &handle);
	if (ret)
		return ret;

	args->handle = handle;
	args->va = vnpu_bo_va(bo);
	return 0;
}

int vnpu_bo_userptr_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct drm_vnpu_bo_userptr *args = data;
	struct vnpu_bo *bo;
	u32 handle;
	int ret;

	if (args->flags & ~DRM_VNPU_BO_USERPTR_FLAGS_VALID)
		return -EINVAL;
	if (!args->size || args->size > VNPU_MAX_BO_SIZE ||
	    !PAGE_ALIGNED(args->size) || !PAGE_ALIGNED(args->user_ptr))
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(args->user_ptr), args->size))
		return -EFAULT;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return -ENOMEM;
	bo->flags = args->flags | DRM_VNPU_BO_IS_USERPTR;
	bo->base.base.funcs = &vnpu_userptr_funcs;
	drm_gem_private_object_init(drm, &bo->base.base, args->size);

	ret = vnpu_userptr_pin(bo, args->user_ptr);
	if (ret) {
		drm_gem_object_put(&bo->base.base);
		return ret;
	}

	ret = vnpu_bo_publish(fpriv, file, bo,
			      args->flags & DRM_VNPU_BO_READONLY ?
			      VNPU_MAP_PROT_RO : VNPU_MAP_PROT_RW, &handle);
	if (ret)
		return ret;

	args->handle = handle;
	args->va = vnpu_bo_va(bo);
	return 0;
}

int vnpu_bo_info_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct vnpu_file_priv *fpriv = file->driver_priv;
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
	if (obj->import_attach)
		args->bo_flags |= DRM_VNPU_BO_IS_IMPORTED;
	args->size = obj->size;
	args->va = bo->ctx == fpriv->ctx ? vnpu_bo_va(bo) : 0;
	args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);

	drm_gem_object_put(obj);
	return 0;
}
