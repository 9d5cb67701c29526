/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_GEM_H__
#define __VNPU_GEM_H__

#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>

struct drm_device;
struct drm_file;
struct vnpu_mmu_ctx;

/**
 * struct vnpu_bo - a shmem buffer object mapped in one device context
 * @base: shmem object; must stay first (drm_gem_shmem_free() frees it)
 * @ctx: the address space the BO is mapped in (holds a reference)
 * @node: the BO's VA range in @ctx
 * @flags: DRM_VNPU_BO_* given at creation
 */
struct vnpu_bo {
	struct drm_gem_shmem_object base;
	struct vnpu_mmu_ctx *ctx;
	struct drm_mm_node node;
	u32 flags;
};

static inline struct vnpu_bo *to_vnpu_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct vnpu_bo, base);
}

static inline u64 vnpu_bo_va(struct vnpu_bo *bo)
{
	return bo->node.start;
}

struct drm_gem_object *vnpu_gem_create_object(struct drm_device *drm,
					      size_t size);
int vnpu_bo_create_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file);
int vnpu_bo_info_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);

#endif /* __VNPU_GEM_H__ */
