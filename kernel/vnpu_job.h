/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_JOB_H__
#define __VNPU_JOB_H__

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>

#include <drm/gpu_scheduler.h>

#include "vnpu_telemetry.h"

struct dma_fence;
struct drm_device;
struct drm_file;
struct drm_gem_object;
struct vnpu_device;
struct vnpu_file_priv;
struct vnpu_mmu_ctx;
struct vnpu_queue;

/*
 * struct vnpu_job - one submitted command buffer
 *
 * Refcounted: the submitter, the scheduler (until free_job), the file's
 * job table (until the job is no longer retained, see DRM_VNPU_JOB_RETAIN)
 * and the ring slot it occupies each hold a reference. The context is
 * released by free_job, the BO list by free_job or by SUBMIT once it has
 * unlocked the reservations, whichever comes last; what is left is the
 * result.
 */
struct vnpu_job {
	struct drm_sched_job base;
	struct kref ref;

	struct vnpu_queue *queue;
	struct vnpu_mmu_ctx *ctx;
	struct drm_gem_object *cmd_bo;
	struct drm_gem_object **bos;
	u32 bo_count;
	/* SUBMIT and the scheduler: the last one releases bos */
	atomic_t bo_users;

	u64 cmd_va;
	u32 cmd_size;
	u64 id;
	/* descriptor tag and hardware fence seqno, set by run_job */
	u64 seqno;

	/* allocated at submit, initialized and returned by run_job */
	struct dma_fence *hw_fence;
	/* the scheduler's finished fence: what WAIT and out-syncs see */
	struct dma_fence *done_fence;
	/* VNPU_JOB_* from the completion; written before hw_fence signals */
	u32 hw_status;
	/* VNPU_DESC_F_* beyond IRQ (fault injection) */
	u32 desc_flags;
	/* DRM_VNPU_PRIORITY_* of the file when the job was submitted */
	u32 priority;
	/* found hanging by the timeout: its fence fails with -ETIMEDOUT */
	bool guilty;
	/* holds a runtime-PM reference (from submit until free_job) */
	bool pm_ref;
	/* accounting (vnpu_telemetry.c) */
	struct vnpu_tel_job tel;

	/* in vnpu_file_priv.job_list, oldest first */
	struct list_head file_link;
};

static inline struct vnpu_job *to_vnpu_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct vnpu_job, base);
}

int vnpu_sched_init(struct vnpu_device *vdev);
void vnpu_sched_hw_stop(struct vnpu_device *vdev);
int vnpu_sched_force_reset(struct vnpu_device *vdev);
void vnpu_sched_suspend(struct vnpu_device *vdev, unsigned int drain_ms);
int vnpu_sched_resume(struct vnpu_device *vdev);
int vnpu_job_set_priority(struct vnpu_file_priv *fpriv, u32 priority);
u32 vnpu_queue_reap(struct vnpu_queue *q);
u32 vnpu_queue_reap_lost(struct vnpu_queue *q, bool watchdog);
bool __vnpu_queue_next_written(struct vnpu_queue *q);

int vnpu_job_file_open(struct vnpu_file_priv *fpriv);
void vnpu_job_file_close(struct vnpu_file_priv *fpriv);

int vnpu_submit_ioctl(struct drm_device *drm, void *data,
		      struct drm_file *file);
int vnpu_wait_ioctl(struct drm_device *drm, void *data,
		    struct drm_file *file);

#endif /* __VNPU_JOB_H__ */
