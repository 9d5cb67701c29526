/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __UAPI_VNPU_ACCEL_H__
#define __UAPI_VNPU_ACCEL_H__

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: vnpu uAPI
 *
 * vnpu is a DRM accel driver; its nodes are /dev/accel/accelN.
 *
 * Every open file is a context: it owns a device address space (its own
 * page tables and context-table entry). Buffer objects are placed in that
 * address space automatically when they are created, and the device VA is
 * returned to userspace (see DRM_IOCTL_VNPU_BO_CREATE): a command can only
 * reach memory of its own file.
 *
 * All structures follow Documentation/process/botching-up-ioctls.rst:
 * pointers are __u64, padding is explicit and must be zero, flags have a
 * mask of valid bits and unknown bits are rejected with -EINVAL, timeouts
 * are absolute CLOCK_MONOTONIC nanoseconds.
 */

#define DRM_VNPU_DRIVER_MAJOR	1
#define DRM_VNPU_DRIVER_MINOR	0

#define DRM_VNPU_GET_PARAM	0x00
#define DRM_VNPU_BO_CREATE	0x01
#define DRM_VNPU_BO_INFO	0x02
#define DRM_VNPU_SUBMIT		0x03
#define DRM_VNPU_WAIT		0x04

#define DRM_IOCTL_VNPU_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VNPU_GET_PARAM, struct drm_vnpu_param)
#define DRM_IOCTL_VNPU_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VNPU_BO_CREATE, struct drm_vnpu_bo_create)
#define DRM_IOCTL_VNPU_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VNPU_BO_INFO, struct drm_vnpu_bo_info)
#define DRM_IOCTL_VNPU_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VNPU_SUBMIT, struct drm_vnpu_submit)
#define DRM_IOCTL_VNPU_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VNPU_WAIT, struct drm_vnpu_wait)

/**
 * DOC: parameters
 *
 * %DRM_VNPU_PARAM_DEVICE_ID: PCI device ID.
 *
 * %DRM_VNPU_PARAM_REVISION: device VERSION register (major << 16 | minor).
 *
 * %DRM_VNPU_PARAM_NUM_QUEUES: hardware queues; valid @queue values of
 * &drm_vnpu_submit are 0 .. NUM_QUEUES - 1.
 *
 * %DRM_VNPU_PARAM_NUM_ENGINES: execution engines.
 *
 * %DRM_VNPU_PARAM_QUEUE_DEPTH: ring entries per queue.
 *
 * %DRM_VNPU_PARAM_DEVMEM_SIZE: bytes of device memory.
 *
 * %DRM_VNPU_PARAM_VA_BITS: width of a device virtual address.
 *
 * %DRM_VNPU_PARAM_VA_START, %DRM_VNPU_PARAM_VA_END: the range in which the
 * driver places buffer objects ([start, end)).
 *
 * %DRM_VNPU_PARAM_PAGE_SIZES: bit mask of MMU page sizes (bit n = 2^n bytes).
 *
 * %DRM_VNPU_PARAM_OPS: bit mask of supported opcodes (bit n = VNPU_OP n).
 *
 * %DRM_VNPU_PARAM_CONTEXT_ID: this file's context-table index.
 *
 * %DRM_VNPU_PARAM_MAX_BO_SIZE: largest size accepted by BO_CREATE.
 *
 * %DRM_VNPU_PARAM_MAX_CMD_SIZE: largest command buffer a job may use.
 */
#define DRM_VNPU_PARAM_DEVICE_ID	0
#define DRM_VNPU_PARAM_REVISION		1
#define DRM_VNPU_PARAM_NUM_QUEUES	2
#define DRM_VNPU_PARAM_NUM_ENGINES	3
#define DRM_VNPU_PARAM_QUEUE_DEPTH	4
#define DRM_VNPU_PARAM_DEVMEM_SIZE	5
#define DRM_VNPU_PARAM_VA_BITS		6
#define DRM_VNPU_PARAM_VA_START		7
#define DRM_VNPU_PARAM_VA_END		8
#define DRM_VNPU_PARAM_PAGE_SIZES	9
#define DRM_VNPU_PARAM_OPS		10
#define DRM_VNPU_PARAM_CONTEXT_ID	11
#define DRM_VNPU_PARAM_MAX_BO_SIZE	12
#define DRM_VNPU_PARAM_MAX_CMD_SIZE	13
#define DRM_VNPU_PARAM_COUNT		14

/**
 * struct drm_vnpu_param - get a device or context parameter
 *
 * Errors: -EINVAL for an unknown @param or a non-zero @index.
 */
struct drm_vnpu_param {
	/** @param: in, one of DRM_VNPU_PARAM_* */
	__u32 param;
	/** @index: in, must be 0 (reserved for per-queue parameters) */
	__u32 index;
	/** @value: out, the parameter's value */
	__u64 value;
};

/** DRM_VNPU_BO_WC - map the BO write-combined on the CPU (default cached) */
#define DRM_VNPU_BO_WC			(1u << 0)
#define DRM_VNPU_BO_FLAGS_VALID		DRM_VNPU_BO_WC

/**
 * struct drm_vnpu_bo_create - create a buffer object
 *
 * Creates a shmem-backed BO, pins its pages, and maps them read/write into
 * the file's device address space at a VA chosen by the driver (page
 * aligned, never 0, within [VA_START, VA_END)). The mapping lasts until the
 * last handle and mmap of the BO are gone.
 *
 * Errors: -EINVAL for @size 0 or above MAX_BO_SIZE, or unknown @flags;
 * -ENOMEM or -ENOSPC when memory or VA space runs out.
 */
struct drm_vnpu_bo_create {
	/** @size: in, bytes; rounded up to a page */
	__u64 size;
	/** @flags: in, DRM_VNPU_BO_* */
	__u32 flags;
	/** @handle: out, GEM handle */
	__u32 handle;
	/** @va: out, device virtual address of the BO */
	__u64 va;
};

/**
 * struct drm_vnpu_bo_info - query a buffer object
 *
 * Errors: -ENOENT for an unknown @handle; -EINVAL for non-zero @flags.
 */
struct drm_vnpu_bo_info {
	/** @handle: in, GEM handle */
	__u32 handle;
	/** @flags: in, must be 0 */
	__u32 flags;
	/** @bo_flags: out, the DRM_VNPU_BO_* flags it was created with */
	__u32 bo_flags;
	/** @pad: must be 0 */
	__u32 pad;
	/** @size: out, bytes (page aligned) */
	__u64 size;
	/** @va: out, device virtual address */
	__u64 va;
	/** @mmap_offset: out, offset to pass to mmap() on the accel fd */
	__u64 mmap_offset;
};

/** DRM_VNPU_SYNC_TIMELINE - @point of &drm_vnpu_sync is a timeline point */
#define DRM_VNPU_SYNC_TIMELINE		(1u << 0)
#define DRM_VNPU_SYNC_FLAGS_VALID	DRM_VNPU_SYNC_TIMELINE
#define DRM_VNPU_MAX_SYNCS		16
#define DRM_VNPU_MAX_SUBMIT_BOS		4096

/**
 * struct drm_vnpu_sync - a syncobj to wait on or to signal
 */
struct drm_vnpu_sync {
	/** @handle: in, syncobj handle */
	__u32 handle;
	/** @flags: in, DRM_VNPU_SYNC_* */
	__u32 flags;
	/** @point: in, timeline point; must be 0 for a binary syncobj */
	__u64 point;
};

#define DRM_VNPU_SUBMIT_FLAGS_VALID	0

/**
 * struct drm_vnpu_submit - queue a job
 *
 * The job runs the command buffer found @cmd_offset bytes into BO
 * @cmd_handle, @cmd_size bytes long, on hardware queue @queue. It starts
 * once every in-sync has signalled and every BO in @bo_handles is idle for
 * it (implicit sync: the job is a writer of every listed BO). When it ends,
 * every out-sync is signalled with the job's fence.
 *
 * Errors:
 * -EINVAL: unknown @flags, non-zero @pad, @queue out of range, @cmd_size 0,
 * not a multiple of 8 or above MAX_CMD_SIZE, @cmd_offset not 8-byte aligned
 * or the range not inside the BO, more than DRM_VNPU_MAX_SYNCS syncs or
 * DRM_VNPU_MAX_SUBMIT_BOS BOs, bad sync flags, or a non-zero point on a
 * binary sync; an in-sync that has no fence yet (a binary syncobj never
 * signalled or submitted to, or a timeline point not submitted yet): as
 * for DRM_IOCTL_SYNCOBJ_WAIT without WAIT_FOR_SUBMIT, waiting for a fence
 * to be attached later is left to userspace;
 * -ENOENT: an unknown BO or syncobj handle;
 * -EFAULT: an array pointer that cannot be read.
 */
struct drm_vnpu_submit {
	/** @bo_handles: in, pointer to __u32 GEM handles */
	__u64 bo_handles;
	/** @in_syncs: in, pointer to struct drm_vnpu_sync to wait on */
	__u64 in_syncs;
	/** @out_syncs: in, pointer to struct drm_vnpu_sync to signal */
	__u64 out_syncs;
	/** @cmd_offset: in, offset of the command buffer in @cmd_handle */
	__u64 cmd_offset;
	/** @cmd_handle: in, BO holding the command buffer */
	__u32 cmd_handle;
	/** @cmd_size: in, command buffer bytes */
	__u32 cmd_size;
	/** @bo_count: in, entries in @bo_handles */
	__u32 bo_count;
	/** @in_sync_count: in, entries in @in_syncs */
	__u32 in_sync_count;
	/** @out_sync_count: in, entries in @out_syncs */
	__u32 out_sync_count;
	/** @queue: in, hardware queue index */
	__u32 queue;
	/** @flags: in, must be 0 */
	__u32 flags;
	/** @pad: must be 0 */
	__u32 pad;
	/** @job_id: out, id to pass to DRM_IOCTL_VNPU_WAIT (never 0) */
	__u64 job_id;
};

#define DRM_VNPU_WAIT_FLAGS_VALID	0

/**
 * struct drm_vnpu_wait - wait for a job
 *
 * Waits until job @job_id of this file has ended or @timeout_ns (absolute,
 * CLOCK_MONOTONIC) has passed. On return 0, @status is 0 if the job
 * succeeded, or a negative errno: -EFAULT for an MMU fault, -EINVAL for a
 * malformed command, -EIO for a DMA error, -ETIMEDOUT for a hang,
 * -ECANCELED if it was aborted; @hw_status holds the device's VNPU_JOB_*
 * code. A job's result stays available until %DRM_VNPU_JOB_RETAIN later
 * jobs of the same file have ended.
 *
 * Errors: -ETIME when the timeout passes first; -ENOENT for an id that
 * was never returned to this file or is no longer retained; -EINVAL for
 * unknown @flags or non-zero @pad; -EINTR/-ERESTARTSYS on a signal.
 */
struct drm_vnpu_wait {
	/** @job_id: in, from &drm_vnpu_submit */
	__u64 job_id;
	/** @timeout_ns: in, absolute CLOCK_MONOTONIC deadline */
	__s64 timeout_ns;
	/** @flags: in, must be 0 */
	__u32 flags;
	/** @status: out, 0 or the job's negative errno */
	__s32 status;
	/** @hw_status: out, the device's VNPU_JOB_* completion status */
	__u32 hw_status;
	/** @pad: must be 0 */
	__u32 pad;
};

#define DRM_VNPU_JOB_RETAIN		1024

#if defined(__cplusplus)
}
#endif

#endif /* __UAPI_VNPU_ACCEL_H__ */
