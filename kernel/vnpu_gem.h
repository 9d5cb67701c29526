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

struct drm_gem_object *vnpu_gem_create_object(struct drm_device *drm,
					      size_t size);
int vnpu_bo_create_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file);
int vnpu_bo_userptr_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file);
int vnpu_bo_info_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);

#endif /* __VNPU_GEM_H__ */
