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
 * A BO created by a file is mapped into that file's address space at a
 * driver-chosen VA for its whole life; VM_BIND adds mappings.
 *
 * Residency: device-memory, userptr and imported BOs are resident for
 * their whole life. The pages of a shmem BO made by BO_CREATE may be
 * evicted by the shrinker when the BO is idle (no unsignalled fence in its
 * reservation object), held by nothing but its device mappings (no CPU
 * mapping, vmap or dma-buf attachment: drm_gem_shmem's pages_use_count is
 * ours alone) and not the command buffer of a live job: every PTE mapping
 * it is cleared in every context and the TLB invalidated, then the pages
 * go back to shmem, which can swap them out. SUBMIT makes every BO of the
 * job's BO list (and its command buffer) resident again before the job is
 * pushed: pages back, PTEs rewritten. A job touching an evicted BO that
 * is not in its list faults (-EFAULT); the device never sees freed pages.
 * A CPU mmap() takes the pages back itself (drm_gem_shmem_mmap()).
 *
 * Huge pages: shmem BOs of 2 MiB or more get their file from a private
 * tmpfs mount with huge=within_size (as i915 and v3d do), so that the
 * guest kernel backs them with transparent huge pages where it has free
 * ones. Their pages are then physically contiguous 2 MiB at a time, and
 * since such BOs are placed 2 MiB aligned the MMU maps them with 2 MiB
 * leaves, which the device translates once per 2 MiB. Swap-out splits the
 * huge pages like any shmem file's; the module parameter huge_pages=0
 * (writable at run time, for new BOs) turns it off.
 *
 * Locking: the reservation lock protects a BO's residency and its list of
 * mappings; it nests outside the contexts' locks. The shrinker only tries
 * the reservation and context locks: reclaim may run in a thread holding
 * them.
 */

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/shmem_fs.h>
#include <linux/shrinker.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/swap.h>

#include <drm/drm_debugfs.h>
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

static bool huge_pages = true;
module_param(huge_pages, bool, 0644);
MODULE_PARM_DESC(huge_pages,
		 "Back new shmem BOs of 2 MiB or more with transparent huge pages (default: on)");

/* The tmpfs mount with huge=within_size, shared by all devices. */
static DEFINE_MUTEX(vnpu_gemfs_lock);
static struct vfsmount *vnpu_gemfs;
static unsigned int vnpu_gemfs_users;

static void vnpu_gemfs_put(struct drm_device *drm, void *unused)
{
	mutex_lock(&vnpu_gemfs_lock);
	if (!--vnpu_gemfs_users && vnpu_gemfs) {
		kern_unmount(vnpu_gemfs);
		vnpu_gemfs = NULL;
	}
	mutex_unlock(&vnpu_gemfs_lock);
}

/*
 * Take a reference to the mount, mounting it for the first device. Without
 * THP in the kernel, or if the mount fails, BOs use the default shmem mount.
 */
static int vnpu_gemfs_get(struct vnpu_device *vdev)
{
	char opts[] = "huge=within_size";
	struct file_system_type *type;
	struct vfsmount *mnt;

	mutex_lock(&vnpu_gemfs_lock);
	if (!vnpu_gemfs_users++ && IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)) {
		type = get_fs_type("tmpfs");
		mnt = type ? vfs_kern_mount(type, SB_KERNMOUNT, type->name, opts) :
			     ERR_PTR(-ENODEV);
		if (IS_ERR(mnt))
			drm_info(&vdev->drm, "no huge pages for BOs: tmpfs mount failed (%pe)\n",
				 mnt);
		else
			vnpu_gemfs = mnt;
	}
	mutex_unlock(&vnpu_gemfs_lock);
	return drmm_add_action_or_reset(&vdev->drm, vnpu_gemfs_put, NULL);
}

/*
 * Move a new shmem BO of 2 MiB or more to a file of the huge-page mount,
 * with the allocation flags drm_gem_shmem gave the old one. Before any
 * page exists. Returns 0 (also when it stays where it is) or -errno.
 */
static int vnpu_bo_use_gemfs(struct drm_gem_object *obj)
{
	struct file *filp;

	/* stable: a BO is made while its device (a mount user) exists */
	if (!vnpu_gemfs || !READ_ONCE(huge_pages) || obj->size < SZ_2M)
		return 0;
	filp = shmem_file_setup_with_mnt(vnpu_gemfs, "drm mm object",
					 obj->size, VM_NORESERVE);
	if (IS_ERR(filp))
		return PTR_ERR(filp);
	mapping_set_gfp_mask(filp->f_mapping,
			     mapping_gfp_mask(obj->filp->f_mapping));
	fput(obj->filp);
	obj->filp = filp;
	return 0;
}

/* How @bo's pages are DMA-mapped: a read-only userptr BO's, to the device. */
static enum dma_data_direction vnpu_bo_dma_dir(struct vnpu_bo *bo)
{
	return (bo->flags & DRM_VNPU_BO_IS_USERPTR) &&
	       (bo->flags & DRM_VNPU_BO_READONLY) ? DMA_TO_DEVICE :
						    DMA_BIDIRECTIONAL;
}

/* Unmap and free @bo's DMA page table *@sgt (shmem or userptr); none after. */
static void vnpu_bo_sgt_free(struct vnpu_bo *bo, struct sg_table **sgt)
{
	dma_unmap_sgtable(bo->base.base.dev->dev, *sgt, vnpu_bo_dma_dir(bo), 0);
	sg_free_table(*sgt);
	kfree(*sgt);
	*sgt = NULL;
}

static void vnpu_bo_init_lists(struct vnpu_bo *bo)
{
	INIT_LIST_HEAD(&bo->maps);
	INIT_LIST_HEAD(&bo->auto_map.link);
	INIT_LIST_HEAD(&bo->lru);
	INIT_LIST_HEAD(&bo->dma_link);
}

/* @bo has DMA mappings now: vnpu_gem_unplug() must see it. */
static void vnpu_bo_dma_add(struct vnpu_bo *bo)
{
	struct vnpu_device *vdev = to_vnpu_device(bo->base.base.dev);

	mutex_lock(&vdev->dma_bos_lock);
	list_add_tail(&bo->dma_link, &vdev->dma_bos);
	mutex_unlock(&vdev->dma_bos_lock);
}

/* First thing when @bo is freed: vnpu_gem_unplug() no longer sees it. */
static void vnpu_bo_dma_del(struct vnpu_bo *bo)
{
	struct vnpu_device *vdev = to_vnpu_device(bo->base.base.dev);

	mutex_lock(&vdev->dma_bos_lock);
	list_del_init(&bo->dma_link);
	mutex_unlock(&vdev->dma_bos_lock);
}

/* Take down the DMA mapping of @bo, whose device is going away. */
static void vnpu_bo_dma_unplug(struct vnpu_bo *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct sg_table **sgt;

	dma_resv_lock(obj->resv, NULL);
	sgt = bo->flags & DRM_VNPU_BO_IS_USERPTR ? &bo->sgt : &bo->base.sgt;
	if (*sgt && obj->import_attach) {
		/* the dma-buf's reservation is the object's */
		dma_buf_unmap_attachment(obj->import_attach, *sgt,
					 DMA_BIDIRECTIONAL);
		*sgt = NULL;
	} else if (*sgt) {
		vnpu_bo_sgt_free(bo, sgt);
	}
	dma_resv_unlock(obj->resv);
}

/**
 * vnpu_gem_unplug - take down the DMA mappings of every BO
 * @vdev: device, after drm_dev_unplug() and vnpu_mmu_unplug()
 *
 * DMA mappings must not outlive the driver's binding to the PCI device,
 * while BOs live as long as their handles, mappings and dma-bufs. Their
 * pages stay (a CPU mapping still works) and are released when the BO is
 * freed; without its DMA mapping a BO cannot be mapped into a context
 * again, which needs the device anyway.
 */
void vnpu_gem_unplug(struct vnpu_device *vdev)
{
	struct vnpu_bo *bo;

	/* a BO being freed waits for the lock before it unmaps itself */
	mutex_lock(&vdev->dma_bos_lock);
	list_for_each_entry(bo, &vdev->dma_bos, dma_link)
		vnpu_bo_dma_unplug(bo);
	mutex_unlock(&vdev->dma_bos_lock);
}

/*
 * Drop the automatic mapping: the device must not see the pages after.
 * The last reference is gone: nobody else walks the list of mappings.
 */
static void vnpu_bo_unmap_auto(struct vnpu_bo *bo)
{
	if (bo->ctx) {
		list_del_init(&bo->auto_map.link);
		vnpu_mmu_unmap(bo->ctx, &bo->node);
		vnpu_mmu_ctx_put(bo->ctx);
		bo->ctx = NULL;
	}
}

/* fdinfo memory accounting: device-memory and userptr BOs never move. */
static enum drm_gem_object_status vnpu_gem_status(struct drm_gem_object *obj)
{
	return DRM_GEM_OBJECT_RESIDENT;
}

static size_t vnpu_gem_rss(struct drm_gem_object *obj)
{
	return obj->size;
}

static enum drm_gem_object_status
vnpu_gem_shmem_status(struct drm_gem_object *obj)
{
	return READ_ONCE(to_vnpu_bo(obj)->evicted) ? 0 :
						     DRM_GEM_OBJECT_RESIDENT;
}

static size_t vnpu_gem_shmem_rss(struct drm_gem_object *obj)
{
	return READ_ONCE(to_vnpu_bo(obj)->evicted) ? 0 : obj->size;
}

static struct dma_buf *vnpu_gem_no_export(struct drm_gem_object *obj,
					  int flags)
{
	return ERR_PTR(-EOPNOTSUPP);
}

/* ---- shmem (and imported) BOs ---- */

static void vnpu_gem_free(struct drm_gem_object *obj)
{
	struct vnpu_device *vdev = to_vnpu_device(obj->dev);
	struct vnpu_bo *bo = to_vnpu_bo(obj);

	vnpu_bo_dma_del(bo);
	/* first: the shrinker walks the list under this lock, without refs */
	if (bo->swappable) {
		mutex_lock(&vdev->swap.lock);
		list_del(&bo->lru);
		if (!bo->evicted)
			atomic_long_sub(obj->size >> PAGE_SHIFT,
					&vdev->swap.resident_pages);
		mutex_unlock(&vdev->swap.lock);
	}
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
	.status = vnpu_gem_shmem_status,
	.rss = vnpu_gem_shmem_rss,
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
	vnpu_bo_init_lists(bo);
	atomic_set(&bo->holds, 0);
	return &bo->base.base;
}

/* PRIME import: a shmem object on the exporter's pages, DMA-mapped for us */
struct drm_gem_object *
vnpu_gem_prime_import_sg_table(struct drm_device *drm,
			       struct dma_buf_attachment *attach,
			       struct sg_table *sgt)
{
	struct drm_gem_object *obj;

	obj = drm_gem_shmem_prime_import_sg_table(drm, attach, sgt);
	if (!IS_ERR(obj))
		vnpu_bo_dma_add(to_vnpu_bo(obj));
	return obj;
}

static int vnpu_bo_create_shmem(struct drm_device *drm, u64 size, u32 flags,
				struct vnpu_bo **out)
{
	struct vnpu_swap *swap = &to_vnpu_device(drm)->swap;
	struct drm_gem_shmem_object *shmem;
	struct sg_table *sgt;
	struct vnpu_bo *bo;
	int ret;

	shmem = drm_gem_shmem_create(drm, size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);

	bo = to_vnpu_bo(&shmem->base);
	bo->flags = flags;
	ret = vnpu_bo_use_gemfs(&shmem->base);
	if (ret) {
		drm_gem_object_put(&shmem->base);
		return ret;
	}
	/* before the pages exist: they are allocated with this caching */
	shmem->map_wc = !!(flags & DRM_VNPU_BO_WC);
	/* the device may have written them: evicted pages must be swapped */
	shmem->pages_mark_dirty_on_put = true;
	shmem->pages_mark_accessed_on_put = true;

	/* pins the pages and maps them for DMA; takes the resv lock itself */
	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	if (IS_ERR(sgt)) {
		drm_gem_object_put(&shmem->base);
		return PTR_ERR(sgt);
	}

	vnpu_bo_dma_add(bo);
	/* from now on the shrinker may evict it (publish brings it back) */
	bo->swappable = true;
	mutex_lock(&swap->lock);
	list_add_tail(&bo->lru, &swap->lru);
	atomic_long_add(shmem->base.size >> PAGE_SHIFT, &swap->resident_pages);
	mutex_unlock(&swap->lock);
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
	vnpu_bo_init_lists(bo);
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

/* Takes the first @npages pages of @bo back from vdev->userptr_pages. */
static void vnpu_userptr_release(struct vnpu_bo *bo, unsigned long npages)
{
	struct vnpu_device *vdev = to_vnpu_device(bo->base.base.dev);
	unsigned long i;

	if (bo->flags & DRM_VNPU_BO_READONLY)
		return;
	for (i = 0; i < npages; i++)
		xa_cmpxchg(&vdev->userptr_pages, page_to_pfn(bo->pages[i]), bo,
			   NULL, 0);
}

/*
 * A page is in at most one writable userptr BO of the device: the device
 * may write it, and the same page DMA-mapped for writing several times over
 * is a mapping the DMA API forbids (its debug code counts them, and fails
 * above 7). The same memory can be wrapped again read-only. Records the
 * first @npages pages of @bo in vdev->userptr_pages; -EBUSY when one is
 * already there, after taking back the ones recorded.
 */
static int vnpu_userptr_claim(struct vnpu_bo *bo, unsigned long npages)
{
	struct vnpu_device *vdev = to_vnpu_device(bo->base.base.dev);
	unsigned long i;
	int ret;

	if (bo->flags & DRM_VNPU_BO_READONLY)
		return 0;
	for (i = 0; i < npages; i++) {
		ret = xa_insert(&vdev->userptr_pages, page_to_pfn(bo->pages[i]),
				bo, GFP_KERNEL);
		if (ret) {
			vnpu_userptr_release(bo, i);
			if (ret == -EBUSY)
				vnpu_dbg(vdev, "userptr page %lu is already in a writable userptr BO\n",
					 i);
			return ret;
		}
	}
	return 0;
}

static void vnpu_userptr_free(struct drm_gem_object *obj)
{
	struct vnpu_bo *bo = to_vnpu_bo(obj);
	unsigned long npages = obj->size >> PAGE_SHIFT;

	vnpu_bo_dma_del(bo);
	vnpu_bo_unmap_auto(bo);
	if (bo->sgt)
		vnpu_bo_sgt_free(bo, &bo->sgt);
	if (bo->pages) {
		/* the pages it claimed, if it got that far */
		vnpu_userptr_release(bo, npages);
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

	ret = vnpu_userptr_claim(bo, npages);
	if (ret)
		goto err_unpin;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt) {
		ret = -ENOMEM;
		goto err_release;
	}
	ret = sg_alloc_table_from_pages(sgt, bo->pages, npages, 0, obj->size,
					GFP_KERNEL);
	if (ret)
		goto err_free_sgt;
	ret = dma_map_sgtable(obj->dev->dev, sgt, vnpu_bo_dma_dir(bo), 0);
	if (ret)
		goto err_free_table;
	bo->sgt = sgt;
	return 0;

err_free_table:
	sg_free_table(sgt);
err_free_sgt:
	kfree(sgt);
err_release:
	vnpu_userptr_release(bo, npages);
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
	dma_resv_lock(obj->resv, NULL);
	ret = vnpu_bo_map_add(bo, &bo->auto_map, bo->ctx, &bo->node, 0, 0,
			      obj->size, prot);
	dma_resv_unlock(obj->resv);
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
	vnpu_bo_init_lists(bo);
	drm_gem_private_object_init(drm, &bo->base.base, args->size);

	ret = vnpu_userptr_pin(bo, args->user_ptr);
	if (ret) {
		drm_gem_object_put(&bo->base.base);
		return ret;
	}
	vnpu_bo_dma_add(bo);

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

/* ---- residency and the shrinker ---- */

static struct vnpu_bo *vnpu_bo_swappable(struct drm_gem_object *obj)
{
	struct vnpu_bo *bo;

	if (obj->funcs != &vnpu_gem_funcs)
		return NULL;
	bo = to_vnpu_bo(obj);
	return bo->swappable ? bo : NULL;
}

/**
 * vnpu_bo_make_resident - bring an evicted BO's pages back
 * @obj: any GEM object of this device, its reservation locked
 *
 * Gets the pages (from swap if need be), maps them for DMA and rewrites
 * the PTEs of every mapping of the BO. Nothing to do for a BO that is not
 * evicted, or that is never evicted.
 *
 * Returns 0 or -ENOMEM (or another error of the shmem file); on failure
 * the BO stays evicted, or some of its mappings stay unmapped, and the
 * next call tries again.
 */
int vnpu_bo_make_resident(struct drm_gem_object *obj)
{
	struct vnpu_bo *bo = vnpu_bo_swappable(obj);
	struct drm_gem_shmem_object *shmem;
	unsigned long npages = obj->size >> PAGE_SHIFT;
	struct vnpu_swap *swap;
	struct vnpu_bo_map *map;
	struct sg_table *sgt;
	int ret;

	if (!bo)
		return 0;
	dma_resv_assert_held(obj->resv);
	shmem = &bo->base;
	swap = &to_vnpu_device(obj->dev)->swap;

	/* the device is going away: no new DMA mapping */
	if (drm_dev_is_unplugged(obj->dev))
		return -ENODEV;
	if (bo->evicted) {
		/* the reference the BO holds while resident */
		ret = drm_gem_shmem_pin_locked(shmem);
		if (ret)
			return ret;
		sgt = drm_gem_shmem_get_sg_table(shmem);
		if (IS_ERR(sgt)) {
			ret = PTR_ERR(sgt);
			goto err_put_pages;
		}
		ret = dma_map_sgtable(obj->dev->dev, sgt, DMA_BIDIRECTIONAL, 0);
		if (ret)
			goto err_free_sgt;
		shmem->sgt = sgt;

		mutex_lock(&swap->lock);
		WRITE_ONCE(bo->evicted, false);
		list_move_tail(&bo->lru, &swap->lru);
		atomic_long_add(npages, &swap->resident_pages);
		mutex_unlock(&swap->lock);
		atomic64_inc(&swap->restores);
		atomic64_add(npages, &swap->restored_pages);
	}

	list_for_each_entry(map, &bo->maps, link) {
		if (map->mapped)
			continue;
		ret = vnpu_mmu_remap(map->ctx, map->node, bo, map->offset,
				     map->prot);
		if (ret)
			return ret;
		map->mapped = true;
	}
	return 0;

err_free_sgt:
	sg_free_table(sgt);
	kfree(sgt);
err_put_pages:
	drm_gem_shmem_put_pages(shmem);
	return ret;
}

/**
 * vnpu_bo_map_add - map a range of a BO into a context and record it
 * @bo: the BO, its reservation locked
 * @map: the record, not in a list yet
 * @ctx: the address space
 * @node: receives the VA range (see vnpu_mmu_map())
 * @va: the VA, or 0 to let the driver choose
 * @offset: page-aligned offset in @bo
 * @size: bytes, page aligned, within @bo
 * @prot: VNPU_MAP_PROT_*
 *
 * An evicted BO is made resident first. Returns 0 or an error of
 * vnpu_mmu_map() or vnpu_bo_make_resident().
 */
int vnpu_bo_map_add(struct vnpu_bo *bo, struct vnpu_bo_map *map,
		    struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node,
		    u64 va, u64 offset, u64 size, u64 prot)
{
	int ret;

	dma_resv_assert_held(bo->base.base.resv);

	ret = vnpu_bo_make_resident(&bo->base.base);
	if (ret)
		return ret;
	ret = vnpu_mmu_map(ctx, node, va, bo, offset, size, prot);
	if (ret)
		return ret;

	map->ctx = ctx;
	map->node = node;
	map->offset = offset;
	map->prot = prot;
	map->mapped = true;
	list_add_tail(&map->link, &bo->maps);
	return 0;
}

/**
 * vnpu_bo_map_del - forget a mapping made by vnpu_bo_map_add()
 * @bo: the BO, its reservation locked
 * @map: the record; the caller removes the mapping itself
 */
void vnpu_bo_map_del(struct vnpu_bo *bo, struct vnpu_bo_map *map)
{
	dma_resv_assert_held(bo->base.base.resv);
	list_del_init(&map->link);
}

/**
 * vnpu_bo_hold - keep the command buffer of a job resident
 * @obj: the command buffer BO
 *
 * Makes it resident and keeps the shrinker off it until vnpu_bo_unhold(),
 * which may be called in any context. Returns 0, -EINTR or an error of
 * vnpu_bo_make_resident().
 */
int vnpu_bo_hold(struct drm_gem_object *obj)
{
	struct vnpu_bo *bo = vnpu_bo_swappable(obj);
	int ret;

	if (!bo)
		return 0;
	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		return ret;
	ret = vnpu_bo_make_resident(obj);
	if (!ret)
		atomic_inc(&bo->holds);
	dma_resv_unlock(obj->resv);
	return ret;
}

/**
 * vnpu_bo_unhold - undo a successful vnpu_bo_hold()
 * @obj: the command buffer BO
 */
void vnpu_bo_unhold(struct drm_gem_object *obj)
{
	struct vnpu_bo *bo = vnpu_bo_swappable(obj);

	if (bo)
		atomic_dec(&bo->holds);
}

/*
 * Evict an idle BO: clear its PTEs everywhere, then release its pages to
 * shmem. Called with the swap lock and the BO's reservation held. Returns
 * the pages released.
 */
static unsigned long vnpu_bo_evict(struct vnpu_swap *swap, struct vnpu_bo *bo)
{
	struct drm_gem_shmem_object *shmem = &bo->base;
	struct drm_gem_object *obj = &shmem->base;
	unsigned long npages = obj->size >> PAGE_SHIFT;
	struct vnpu_bo_map *map;
	bool unmapped = true;

	dma_resv_assert_held(obj->resv);
	lockdep_assert_held(&swap->lock);

	/* our reference on the pages must be the only one */
	if (bo->evicted || !shmem->sgt || shmem->pages_use_count != 1 ||
	    shmem->madv || atomic_read(&bo->holds))
		return 0;
	/* no job may still use it, not even one that only lists it */
	if (!dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_BOOKKEEP))
		return 0;

	/*
	 * A mapping whose context is locked stays; the ones cleared already
	 * are rewritten by the next vnpu_bo_make_resident(), as if evicted.
	 */
	list_for_each_entry(map, &bo->maps, link) {
		if (!map->mapped)
			continue;
		if (vnpu_mmu_evict(map->ctx, map->node))
			map->mapped = false;
		else
			unmapped = false;
	}
	if (!unmapped)
		return 0;

	/* no PTE and no TLB entry maps the pages any more */
	vnpu_bo_sgt_free(bo, &shmem->sgt);
	drm_gem_shmem_put_pages(shmem);

	WRITE_ONCE(bo->evicted, true);
	atomic_long_sub(npages, &swap->resident_pages);
	atomic64_inc(&swap->evictions);
	atomic64_add(npages, &swap->evicted_pages);
	return npages;
}

/*
 * Evict idle BOs, least recently made resident first, up to @target
 * pages. The caller holds the swap lock.
 */
static unsigned long vnpu_swap_evict(struct vnpu_swap *swap,
				     unsigned long target)
{
	struct vnpu_bo *bo, *tmp;
	unsigned long freed = 0;

	list_for_each_entry_safe(bo, tmp, &swap->lru, lru) {
		struct dma_resv *resv = bo->base.base.resv;

		if (freed >= target)
			break;
		if (bo->evicted || !dma_resv_trylock(resv))
			continue;
		freed += vnpu_bo_evict(swap, bo);
		dma_resv_unlock(resv);
	}
	return freed;
}

static unsigned long vnpu_swap_count(struct shrinker *shrinker,
				     struct shrink_control *sc)
{
	struct vnpu_device *vdev = shrinker->private_data;
	unsigned long count = atomic_long_read(&vdev->swap.resident_pages);

	/* without free swap, evicted pages would stay in memory anyway */
	if (get_nr_swap_pages() <= 0)
		return 0;
	return count ?: SHRINK_EMPTY;
}

static unsigned long vnpu_swap_scan(struct shrinker *shrinker,
				    struct shrink_control *sc)
{
	struct vnpu_device *vdev = shrinker->private_data;
	unsigned long freed;

	/* this thread may hold it, restoring a BO while allocating */
	if (!mutex_trylock(&vdev->swap.lock))
		return SHRINK_STOP;
	freed = vnpu_swap_evict(&vdev->swap, sc->nr_to_scan);
	mutex_unlock(&vdev->swap.lock);
	return freed ?: SHRINK_STOP;
}

/*
 * debugfs "swap": the shrinker's counters
 *   evictions <n>, evicted_pages <n>: BOs (and their pages) evicted
 *   restores <n>, restored_pages <n>: BOs (and pages) made resident again
 *   resident_pages <n>: pages of swappable BOs that are resident
 */
static int vnpu_swap_show(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vnpu_swap *swap = &to_vnpu_device(entry->dev)->swap;

	seq_printf(m, "evictions %lld\n", atomic64_read(&swap->evictions));
	seq_printf(m, "evicted_pages %lld\n",
		   atomic64_read(&swap->evicted_pages));
	seq_printf(m, "restores %lld\n", atomic64_read(&swap->restores));
	seq_printf(m, "restored_pages %lld\n",
		   atomic64_read(&swap->restored_pages));
	seq_printf(m, "resident_pages %ld\n",
		   atomic_long_read(&swap->resident_pages));
	return 0;
}

/*
 * debugfs "swap_evict": writing a true value evicts every idle swappable
 * BO; -EINVAL for anything that is not a boolean
 */
static ssize_t vnpu_swap_evict_write(struct file *file,
				     const char __user *buf, size_t len,
				     loff_t *ppos)
{
	struct vnpu_device *vdev = file->private_data;
	bool evict;
	int ret;

	ret = kstrtobool_from_user(buf, len, &evict);
	if (ret)
		return ret;
	if (!evict)
		return len;
	ret = mutex_lock_interruptible(&vdev->swap.lock);
	if (ret)
		return ret;
	vnpu_swap_evict(&vdev->swap, ULONG_MAX);
	mutex_unlock(&vdev->swap.lock);
	return len;
}

static const struct file_operations vnpu_swap_evict_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = vnpu_swap_evict_write,
};

static void vnpu_swap_fini(struct drm_device *drm, void *unused)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);

	shrinker_free(vdev->swap.shrinker);
}

/**
 * vnpu_swap_init - register the shrinker of shmem BOs, mount their huge-page tmpfs
 * @vdev: device, before drm_dev_register()
 */
int vnpu_swap_init(struct vnpu_device *vdev)
{
	struct vnpu_swap *swap = &vdev->swap;
	struct shrinker *shrinker;
	int ret;

	ret = drmm_mutex_init(&vdev->drm, &swap->lock);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&swap->lru);

	shrinker = shrinker_alloc(0, "drm-vnpu:%s", dev_name(vdev->drm.dev));
	if (!shrinker)
		return -ENOMEM;
	shrinker->count_objects = vnpu_swap_count;
	shrinker->scan_objects = vnpu_swap_scan;
	shrinker->private_data = vdev;
	swap->shrinker = shrinker;
	ret = drmm_add_action_or_reset(&vdev->drm, vnpu_swap_fini, NULL);
	if (ret)
		return ret;
	shrinker_register(shrinker);
	ret = vnpu_gemfs_get(vdev);
	if (ret)
		return ret;

	drm_debugfs_add_file(&vdev->drm, "swap", vnpu_swap_show, NULL);
	debugfs_create_file("swap_evict", 0200, vdev->drm.debugfs_root, vdev,
			    &vnpu_swap_evict_fops);
	return 0;
}
