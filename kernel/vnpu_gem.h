/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_GEM_H__
#define __VNPU_GEM_H__

#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>

#include "drm/vnpu_accel.h"

struct drm_device;
struct drm_file;
struct mm_struct;
struct page;
struct sg_table;
struct vnpu_mmu_ctx;

/**
 * struct vnpu_bo_map - one mapping of a BO into a device address space
 * @link: in vnpu_bo.maps, under the BO's reservation lock
 * @ctx: the address space
 * @node: its VA range there
 * @offset: page-aligned offset of the range in the BO
 * @prot: VNPU_MAP_PROT_*
 * @mapped: the PTEs are written; cleared when the BO's pages are evicted
 *          and set again when it is made resident (reservation lock)
 */
struct vnpu_bo_map {
	struct list_head link;
	struct vnpu_mmu_ctx *ctx;
	struct drm_mm_node *node;
	u64 offset;
	u64 prot;
	bool mapped;
};

/**
 * struct vnpu_bo - a buffer object
 * @base: shmem object; must stay first (drm_gem_shmem_free() frees it).
 *        Userptr and device-memory BOs only use its GEM object.
 * @ctx: the address space of the automatic mapping (holds a reference),
 *       or NULL for an imported BO, which has none
 * @node: the automatic mapping's VA range in @ctx
 * @flags: DRM_VNPU_BO_* given at creation, plus DRM_VNPU_BO_IS_*
 * @sgt: userptr BOs: the pinned pages, DMA-mapped
 * @pages: userptr BOs: the pinned pages
 * @mm: userptr BOs: the address space charged for the pinned pages
 *      (RLIMIT_MEMLOCK, locked_vm), one mm_count reference
 * @devmem: device-memory BOs: the range in BAR2
 * @maps: every struct vnpu_bo_map of the BO, under its reservation lock
 * @auto_map: the automatic mapping, in @maps while @node is allocated
 * @lru: swappable BOs: in vnpu_swap.lru
 * @swappable: a shmem BO made by BO_CREATE: the shrinker may evict it
 * @evicted: its pages are released to shmem (swappable) and no PTE maps
 *           them (reservation lock)
 * @holds: jobs using it as command buffer: it is not evicted meanwhile
 * @dma_link: BOs with DMA mappings (shmem, userptr, imported): in
 *            vnpu_device.dma_bos, under dma_bos_lock
 */
struct vnpu_bo {
	struct drm_gem_shmem_object base;
	struct vnpu_mmu_ctx *ctx;
	struct drm_mm_node node;
	u32 flags;

	struct sg_table *sgt;
	struct page **pages;
	struct mm_struct *mm;
	struct drm_mm_node devmem;

	struct list_head maps;
	struct vnpu_bo_map auto_map;
	struct list_head lru;
	bool swappable;
	bool evicted;
	atomic_t holds;
	struct list_head dma_link;
};

static inline struct vnpu_bo *to_vnpu_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct vnpu_bo, base);
}

/* VA of the automatic mapping, 0 if there is none. */
static inline u64 vnpu_bo_va(struct vnpu_bo *bo)
{
	return drm_mm_node_allocated(&bo->node) ? bo->node.start : 0;
}

/* DMA pages of a system-memory BO (shmem, imported or userptr). */
static inline struct sg_table *vnpu_bo_sgt(struct vnpu_bo *bo)
{
	return bo->flags & DRM_VNPU_BO_IS_USERPTR ? bo->sgt : bo->base.sgt;
}

int vnpu_devmem_init(struct vnpu_device *vdev);
int vnpu_swap_init(struct vnpu_device *vdev);
void vnpu_gem_unplug(struct vnpu_device *vdev);
struct drm_gem_object *
vnpu_gem_prime_import_sg_table(struct drm_device *drm,
			       struct dma_buf_attachment *attach,
			       struct sg_table *sgt);

int vnpu_bo_map_add(struct vnpu_bo *bo, struct vnpu_bo_map *map,
		    struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node,
		    u64 va, u64 offset, u64 size, u64 prot);
void vnpu_bo_map_del(struct vnpu_bo *bo, struct vnpu_bo_map *map);
int vnpu_bo_make_resident(struct drm_gem_object *obj);
int vnpu_bo_hold(struct drm_gem_object *obj);
void vnpu_bo_unhold(struct drm_gem_object *obj);

struct drm_gem_object *vnpu_gem_create_object(struct drm_device *drm,
					      size_t size);
int vnpu_bo_create_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file);
int vnpu_bo_userptr_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file);
int vnpu_bo_info_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);

#endif /* __VNPU_GEM_H__ */
