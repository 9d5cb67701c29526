/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_VM_H__
#define __VNPU_VM_H__

struct drm_device;
struct drm_file;
struct vnpu_mmu_ctx;

int vnpu_vm_bind_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);
int vnpu_vm_unbind_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file);
void vnpu_vm_unbind_all(struct vnpu_mmu_ctx *ctx);

#endif /* __VNPU_VM_H__ */
