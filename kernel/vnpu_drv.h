/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_DRV_H__
#define __VNPU_DRV_H__

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_mm.h>
#include <drm/drm_print.h>
#include <drm/gpu_scheduler.h>

#include "vnpu_device.h"
#include "drm/vnpu_accel.h"

#include "vnpu_mmu.h"
#include "vnpu_pm.h"
#include "vnpu_telemetry.h"

#define DRIVER_NAME			"vnpu"
#define DRIVER_DESC			"Virtual NPU accelerator"

/* First device VA handed out to buffer objects; [0, VA_START) stays unmapped. */
#define VNPU_VA_START			SZ_1M
/* Largest BO_CREATE size (DRM_VNPU_PARAM_MAX_BO_SIZE). */
#define VNPU_MAX_BO_SIZE		SZ_512M

#define vnpu_err(vdev, fmt, ...) \
	drm_err(&(vdev)->drm, "%s(): " fmt, __func__, ##__VA_ARGS__)
#define vnpu_err_ratelimited(vdev, fmt, ...) \
	drm_err_ratelimited(&(vdev)->drm, "%s(): " fmt, __func__, ##__VA_ARGS__)
#define vnpu_warn(vdev, fmt, ...) \
	drm_warn(&(vdev)->drm, "%s(): " fmt, __func__, ##__VA_ARGS__)
#define vnpu_info(vdev, fmt, ...) \
	drm_info(&(vdev)->drm, fmt, ##__VA_ARGS__)
#define vnpu_dbg(vdev, fmt, ...) \
	drm_dbg_driver(&(vdev)->drm, "%s(): " fmt, __func__, ##__VA_ARGS__)

struct vnpu_job;

/*
 * struct vnpu_queue - one hardware queue and its scheduler
 */
struct vnpu_queue {
	struct vnpu_device *vdev;
	u32 index;
	char name[24];	/* "vnpu-q" and any u32 */

	struct vnpu_desc *ring;
	dma_addr_t ring_dma;
	struct vnpu_completion *comp;
	dma_addr_t comp_dma;
	u32 size;

	/* protects tail, done, seqno and jobs[] */
	spinlock_t lock;
	/* next descriptor index to write (free running, == device TAIL) */
	u32 tail;
	/* next completion index to reap (free running) */
	u32 done;
	/* seqno of the last hardware fence, also the descriptor tag */
	u64 seqno;
	/* job occupying each ring slot, NULL when the slot is free */
	struct vnpu_job **jobs;
	/* jobs to write again after a reset (used under reset_lock) */
	struct vnpu_job **replay;
	/* the interrupt watchdog saw completion index wd_done written */
	bool wd_seen;
	u32 wd_done;
	/* jobs in the ring per DRM_VNPU_PRIORITY_* (under lock) */
	u32 prio_jobs[DRM_VNPU_PRIORITY_HIGH + 1];
	/* DRM_VNPU_PRIORITY_* last written to Q_CTRL.PRIO, or U32_MAX */
	u32 hw_prio;

	/* protects the hardware fences of this queue (their dma_fence lock) */
	spinlock_t fence_lock;
	u64 fence_ctx;

	struct drm_gpu_scheduler sched;
};

/*
 * struct vnpu_device - one vnpu PCI function
 */
struct vnpu_device {
	struct drm_device drm;
	void __iomem *regs;

	/* Capabilities read at probe. */
	u32 hw_version;
	u32 num_queues;
	u32 num_engines;
	u32 ring_entries;
	u32 ops;
	u32 dtypes;
	u32 cap_mmu;
	u32 va_bits;
	u32 num_contexts;
	u64 devmem_size;
	u64 va_end;

	struct vnpu_queue queues[VNPU_MAX_QUEUES];
	struct vnpu_mmu mmu;
	/* shrinker of shmem BOs (vnpu_gem.c) */
	struct vnpu_swap swap;

	/* device memory: BAR2's bus address and its allocator */
	phys_addr_t devmem_phys;
	/* protects devmem_mm */
	struct mutex devmem_lock;
	struct drm_mm devmem_mm;

	/*
	 * pfn -> the writable userptr BO that has the page DMA-mapped; a page
	 * is in at most one of them (vnpu_gem.c). The xarray's own lock
	 * protects it.
	 */
	struct xarray userptr_pages;

	/* protects dma_bos: the BOs with DMA mappings (vnpu_gem_unplug()) */
	struct mutex dma_bos_lock;
	struct list_head dma_bos;

	/* ordered: timeout handlers of all queues never run concurrently */
	struct workqueue_struct *tdr_wq;
	/* protects the hardware against concurrent reset, re-init and teardown */
	struct mutex reset_lock;
	/* set when a reset failed: the hardware is not used any more */
	bool hw_dead;
	atomic_t reset_count;
	/* completions found without their interrupt (lost MSI-X) */
	atomic_t lost_irqs;
	/* of which the interrupt watchdog found (vnpu_hw.c) */
	atomic_t lost_irqs_watchdog;
	struct delayed_work irq_watchdog;

	/* statistics, sysfs, debugfs, netlink (vnpu_telemetry.c) */
	struct vnpu_telemetry *tel;
	/* system sleep (vnpu_pm.c, vnpu_sched_suspend/resume) */
	struct vnpu_pm pm;
};

/*
 * struct vnpu_file_priv - per open file state (one device context)
 */
struct vnpu_file_priv {
	struct vnpu_device *vdev;
	struct vnpu_mmu_ctx *ctx;
	/* this file's statistics (vnpu_telemetry.c) */
	struct vnpu_tel_client *tel;
	struct drm_sched_entity entities[VNPU_MAX_QUEUES];

	/*
	 * protects jobs, job_list, next_job_id, nr_jobs and since_prune, and
	 * serializes arm + push on this file's entities
	 */
	struct mutex lock;
	/* job id -> struct vnpu_job (one reference each) */
	struct xarray jobs;
	/* the same jobs, oldest first */
	struct list_head job_list;
	u64 next_job_id;
	u32 nr_jobs;
	u32 since_prune;
	/* DRM_VNPU_PRIORITY_* of the entities */
	u32 priority;
};

static inline struct vnpu_device *to_vnpu_device(struct drm_device *drm)
{
	return container_of(drm, struct vnpu_device, drm);
}

extern unsigned int vnpu_job_timeout_ms;
extern unsigned int vnpu_hang_limit;

void vnpu_coredump(struct vnpu_device *vdev, struct vnpu_job *job);

#endif /* __VNPU_DRV_H__ */
