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
 * page tables and context-table entry). Buffer objects this file creates
 * (BO_CREATE, BO_USERPTR) are placed in that address space automatically
 * and their device VA is returned to userspace. Any BO the file holds a
 * handle to, including one imported through PRIME, can in addition be
 * bound at a VA of the caller's choosing with DRM_IOCTL_VNPU_VM_BIND and
 * unbound with DRM_IOCTL_VNPU_VM_UNBIND. A command can only reach memory
 * mapped in its own file's address space.
 *
 * All structures follow Documentation/process/botching-up-ioctls.rst:
 * pointers are __u64, padding is explicit and must be zero, flags have a
 * mask of valid bits and unknown bits are rejected with -EINVAL, timeouts
 * are absolute CLOCK_MONOTONIC nanoseconds.
 *
 * Structures are extensible: new members are only ever appended, and a
 * new member's zero value keeps the old behaviour. The DRM core copies
 * min(user size, kernel size) bytes in and out and zero-fills the rest, so
 * an old binary keeps working with a new kernel and the reverse.
 *
 * Once the device is unplugged every ioctl fails with -ENODEV.
 */

/**
 * DOC: driver version
 *
 * DRM_VNPU_DRIVER_MAJOR changes when the uAPI breaks (never, so far);
 * DRM_VNPU_DRIVER_MINOR grows when ioctls, parameters or flags are added.
 * Both are reported by DRM_IOCTL_VERSION and, as (major << 16 | minor), by
 * %DRM_VNPU_PARAM_DRIVER_VERSION.
 *
 * 1.0: GET_PARAM, BO_CREATE, BO_INFO, SUBMIT, WAIT.
 * 1.1: VM_BIND, VM_UNBIND, BO_USERPTR, CTX_SET_PARAM (priority), device
 * memory BOs, PRIME, context ban, new parameters.
 */

#define DRM_VNPU_DRIVER_MAJOR	1
#define DRM_VNPU_DRIVER_MINOR	1

#define DRM_VNPU_GET_PARAM	0x00
#define DRM_VNPU_BO_CREATE	0x01
#define DRM_VNPU_BO_INFO	0x02
#define DRM_VNPU_SUBMIT		0x03
#define DRM_VNPU_WAIT		0x04
#define DRM_VNPU_VM_BIND	0x05
#define DRM_VNPU_VM_UNBIND	0x06
#define DRM_VNPU_BO_USERPTR	0x07
#define DRM_VNPU_CTX_SET_PARAM	0x08

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
#define DRM_IOCTL_VNPU_VM_BIND \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VNPU_VM_BIND, struct drm_vnpu_vm_bind)
#define DRM_IOCTL_VNPU_VM_UNBIND \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VNPU_VM_UNBIND, struct drm_vnpu_vm_unbind)
#define DRM_IOCTL_VNPU_BO_USERPTR \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VNPU_BO_USERPTR, struct drm_vnpu_bo_userptr)
#define DRM_IOCTL_VNPU_CTX_SET_PARAM \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VNPU_CTX_SET_PARAM, struct drm_vnpu_ctx_param)

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
 * With 2 MiB pages, the driver uses them wherever a mapping's VA and the
 * memory behind it are 2 MiB aligned and contiguous for 2 MiB, and places
 * BOs of 2 MiB or more (automatic VAs, device memory) 2 MiB aligned.
 *
 * %DRM_VNPU_PARAM_OPS: bit mask of supported opcodes (bit n = VNPU_OP n).
 *
 * %DRM_VNPU_PARAM_CONTEXT_ID: this file's context-table index.
 *
 * %DRM_VNPU_PARAM_MAX_BO_SIZE: largest size accepted by BO_CREATE.
 *
 * %DRM_VNPU_PARAM_MAX_CMD_SIZE: largest command buffer a job may use.
 *
 * %DRM_VNPU_PARAM_DRIVER_VERSION: DRM_VNPU_DRIVER_MAJOR << 16 |
 * DRM_VNPU_DRIVER_MINOR of the running driver.
 *
 * %DRM_VNPU_PARAM_CAPABILITIES: bit mask of DRM_VNPU_CAP_* features.
 *
 * %DRM_VNPU_PARAM_DTYPES: bit mask of data types the device's compute
 * commands support (bit n = VNPU_DT_* n): the device's CAP_DTYPES
 * register where it has one, else every VNPU_DT_* when CAP_OPS lists the
 * compute operations, else 0.
 *
 * %DRM_VNPU_PARAM_NUM_CONTEXTS: contexts (open files) the device can hold
 * at once, context 0 excluded.
 *
 * %DRM_VNPU_PARAM_PRIORITY: this file's scheduling priority
 * (DRM_VNPU_PRIORITY_*), see &drm_vnpu_ctx_param.
 *
 * %DRM_VNPU_PARAM_CONTEXT_HANGS: jobs of this file that hung and were
 * found guilty by a reset.
 *
 * %DRM_VNPU_PARAM_CONTEXT_FAULTS: jobs of this file that ended on an MMU
 * fault.
 *
 * %DRM_VNPU_PARAM_CONTEXT_BANNED: 1 once the file has been banned after
 * %DRM_VNPU_PARAM_HANG_LIMIT hangs; SUBMIT then fails with -ECANCELED.
 *
 * %DRM_VNPU_PARAM_RESET_COUNT: device or engine resets since probe.
 *
 * %DRM_VNPU_PARAM_HANG_LIMIT: hangs after which a file is banned.
 *
 * %DRM_VNPU_PARAM_JOB_TIMEOUT_MS: time a job may run before it is
 * considered hung.
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
#define DRM_VNPU_PARAM_DRIVER_VERSION	14
#define DRM_VNPU_PARAM_CAPABILITIES	15
#define DRM_VNPU_PARAM_DTYPES		16
#define DRM_VNPU_PARAM_NUM_CONTEXTS	17
#define DRM_VNPU_PARAM_PRIORITY		18
#define DRM_VNPU_PARAM_CONTEXT_HANGS	19
#define DRM_VNPU_PARAM_CONTEXT_FAULTS	20
#define DRM_VNPU_PARAM_CONTEXT_BANNED	21
#define DRM_VNPU_PARAM_RESET_COUNT	22
#define DRM_VNPU_PARAM_HANG_LIMIT	23
#define DRM_VNPU_PARAM_JOB_TIMEOUT_MS	24
#define DRM_VNPU_PARAM_COUNT		25

/*
 * DRM_VNPU_CAP_* - bits of %DRM_VNPU_PARAM_CAPABILITIES
 * @DRM_VNPU_CAP_VM_BIND: VM_BIND/VM_UNBIND are available
 * @DRM_VNPU_CAP_USERPTR: BO_USERPTR is available
 * @DRM_VNPU_CAP_PRIME: dma-buf export and import of shmem BOs
 * @DRM_VNPU_CAP_DEVMEM: BO_CREATE accepts DRM_VNPU_BO_DEVMEM
 * @DRM_VNPU_CAP_PRIORITY: CTX_SET_PARAM accepts DRM_VNPU_CTX_PARAM_PRIORITY
 * @DRM_VNPU_CAP_ENGINE_RESET: a hang resets one queue, not the device
 */
#define DRM_VNPU_CAP_VM_BIND		(1ull << 0)
#define DRM_VNPU_CAP_USERPTR		(1ull << 1)
#define DRM_VNPU_CAP_PRIME		(1ull << 2)
#define DRM_VNPU_CAP_DEVMEM		(1ull << 3)
#define DRM_VNPU_CAP_PRIORITY		(1ull << 4)
#define DRM_VNPU_CAP_ENGINE_RESET	(1ull << 5)

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

/**
 * DOC: buffer object flags
 *
 * %DRM_VNPU_BO_WC: BO_CREATE: map the BO write-combined on the CPU
 * (default: cached).
 *
 * %DRM_VNPU_BO_DEVMEM: BO_CREATE: place the BO in device memory (BAR2)
 * instead of system memory; the CPU maps it write-combined through the
 * BAR. Such BOs cannot be exported. -ENODEV when the device has no device
 * memory, -ENOSPC when it is full.
 *
 * %DRM_VNPU_BO_READONLY: BO_USERPTR: the device may only read the memory
 * (its pages are pinned without FOLL_WRITE); VM_BIND: map read-only.
 *
 * %DRM_VNPU_BO_IS_USERPTR, %DRM_VNPU_BO_IS_IMPORTED: reported by BO_INFO only:
 * the BO wraps user memory, or was imported from a dma-buf.
 */
#define DRM_VNPU_BO_WC			(1u << 0)
#define DRM_VNPU_BO_DEVMEM		(1u << 1)
#define DRM_VNPU_BO_READONLY		(1u << 2)
#define DRM_VNPU_BO_IS_USERPTR		(1u << 3)
#define DRM_VNPU_BO_IS_IMPORTED		(1u << 4)
#define DRM_VNPU_BO_FLAGS_VALID		(DRM_VNPU_BO_WC | DRM_VNPU_BO_DEVMEM)
#define DRM_VNPU_BO_USERPTR_FLAGS_VALID	DRM_VNPU_BO_READONLY

/**
 * struct drm_vnpu_bo_create - create a buffer object
 *
 * Creates a shmem-backed BO (or a device-memory BO with
 * %DRM_VNPU_BO_DEVMEM), pins its pages, and maps them read/write into the
 * file's device address space at a VA chosen by the driver (page aligned,
 * never 0, within [VA_START, VA_END)). The mapping lasts until the last
 * handle and mmap of the BO are gone.
 *
 * Errors: -EINVAL for @size 0 or above MAX_BO_SIZE, unknown @flags, or
 * both WC and DEVMEM; -ENODEV for DEVMEM without device memory; -ENOMEM or
 * -ENOSPC when memory, device memory or VA space runs out.
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
	/**
	 * @bo_flags: out, the DRM_VNPU_BO_* flags it was created with, plus
	 * %DRM_VNPU_BO_IS_USERPTR or %DRM_VNPU_BO_IS_IMPORTED for such BOs
	 */
	__u32 bo_flags;
	/** @pad: must be 0 */
	__u32 pad;
	/** @size: out, bytes (page aligned) */
	__u64 size;
	/**
	 * @va: out, device virtual address of the automatic mapping in this
	 * file's address space; 0 when the BO has none here (imported, or
	 * created by another file)
	 */
	__u64 va;
	/**
	 * @mmap_offset: out, offset to pass to mmap() on the accel fd; 0 for
	 * userptr BOs, which cannot be mapped through the device
	 */
	__u64 mmap_offset;
};

/**
 * struct drm_vnpu_bo_userptr - wrap user memory in a buffer object
 *
 * Pins @size bytes of the calling process's memory at @user_ptr
 * (pin_user_pages_fast() with FOLL_LONGTERM, so not for DAX or other
 * memory that cannot be pinned long-term) and maps them into the file's
 * address space at a driver-chosen VA, read/write, or read-only with
 * %DRM_VNPU_BO_READONLY (the pages are then pinned without FOLL_WRITE and
 * a device write faults). The pages stay pinned until the BO is freed, so
 * later changes to the process's mapping (munmap, mremap, fork with COW)
 * are not seen by the device. Userptr BOs can be neither mmapped through
 * the accel fd nor exported. The pinned pages are charged to the calling
 * process's RLIMIT_MEMLOCK (its locked_vm, as for mlock() and vfio) until
 * the BO is freed; CAP_IPC_LOCK lifts the limit.
 *
 * Errors: -EINVAL for unknown @flags, non-zero @pad, @user_ptr or @size
 * not page aligned, @size 0 or above MAX_BO_SIZE; -EFAULT when the range
 * is not mapped (or not writable without READONLY); -ENOMEM when the
 * pages would take the process above RLIMIT_MEMLOCK, or out of memory;
 * -ENOSPC; -EBUSY without %DRM_VNPU_BO_READONLY when a page of the range
 * is already in a writable userptr BO of the device (of any file): a page
 * may be DMA-mapped for device writes once, so wrap such memory once and
 * reuse that BO, or wrap it again read-only.
 */
struct drm_vnpu_bo_userptr {
	/** @user_ptr: in, page-aligned address in the calling process */
	__u64 user_ptr;
	/** @size: in, bytes, page aligned */
	__u64 size;
	/** @flags: in, DRM_VNPU_BO_USERPTR_FLAGS_VALID bits */
	__u32 flags;
	/** @handle: out, GEM handle */
	__u32 handle;
	/** @va: out, device virtual address */
	__u64 va;
};

#define DRM_VNPU_VM_BIND_READONLY	(1u << 0)
#define DRM_VNPU_VM_BIND_FLAGS_VALID	DRM_VNPU_VM_BIND_READONLY

/**
 * struct drm_vnpu_vm_bind - map a BO range at a chosen device VA
 *
 * Maps bytes [@offset, @offset + @size) of BO @handle at [@va, @va + @size)
 * of the file's address space, read/write, or read-only with
 * %DRM_VNPU_VM_BIND_READONLY (always read-only for a read-only userptr
 * BO). The BO may be any BO the file has a handle to, including an
 * imported dma-buf. The mapping holds a reference on the BO until it is
 * unbound or the file is closed. Automatic mappings (BO_CREATE,
 * BO_USERPTR) and bound ranges share the address space; neither overlaps
 * the other.
 *
 * Errors: -EINVAL for unknown @flags, non-zero @pad, @va, @offset or @size
 * not 4 KiB aligned, @size 0, or the range beyond the BO's end;
 * -ERANGE when the VA range is not inside [VA_START, VA_END);
 * -EEXIST when it overlaps a mapping; -ENOENT for an unknown @handle;
 * -ENODEV for a device-memory BO of another device; -ENOMEM.
 */
struct drm_vnpu_vm_bind {
	/** @handle: in, GEM handle */
	__u32 handle;
	/** @flags: in, DRM_VNPU_VM_BIND_* */
	__u32 flags;
	/** @va: in, device VA, 4 KiB aligned */
	__u64 va;
	/** @offset: in, offset in the BO, 4 KiB aligned */
	__u64 offset;
	/** @size: in, bytes, 4 KiB aligned */
	__u64 size;
};

/**
 * struct drm_vnpu_vm_unbind - remove a mapping made by VM_BIND
 *
 * Removes the VM_BIND mapping that starts at @va and is @size bytes long.
 * When the ioctl returns, the page-table entries are cleared and the
 * device's TLB for this context has been invalidated: a job that touches
 * the range later ends with an MMU fault (-EFAULT). Jobs already queued
 * are not waited for; userspace orders unbinds after the jobs that use the
 * range.
 *
 * Errors: -EINVAL for non-zero @flags or @pad, or @size that is not the
 * mapping's size; -ENOENT when no VM_BIND mapping starts at @va
 * (automatic mappings cannot be unbound).
 */
struct drm_vnpu_vm_unbind {
	/** @va: in, start of the mapping */
	__u64 va;
	/** @size: in, bytes; must equal the mapping's size */
	__u64 size;
	/** @flags: in, must be 0 */
	__u32 flags;
	/** @pad: must be 0 */
	__u32 pad;
};

/**
 * DOC: context parameters
 *
 * %DRM_VNPU_CTX_PARAM_PRIORITY: the scheduling priority of the file's jobs
 * on every queue, one of DRM_VNPU_PRIORITY_LOW, _NORMAL (default) and
 * _HIGH. Jobs already submitted keep the priority they had. Any file may
 * lower its priority, or set it back to NORMAL; HIGH requires
 * CAP_SYS_NICE (-EPERM otherwise). The priority is both the drm_sched
 * priority and the device's queue priority: jobs of each priority go to
 * their own hardware ring, so a HIGH job does not wait behind LOW jobs
 * queued before it (see Documentation/accel/vnpu/driver.rst).
 */
#define DRM_VNPU_CTX_PARAM_PRIORITY	0

#define DRM_VNPU_PRIORITY_LOW		0
#define DRM_VNPU_PRIORITY_NORMAL	1
#define DRM_VNPU_PRIORITY_HIGH		2

/**
 * struct drm_vnpu_ctx_param - set a parameter of this file's context
 *
 * Errors: -EINVAL for an unknown @param, non-zero @pad or a @value out of
 * range; -EPERM for a priority above NORMAL without CAP_SYS_NICE.
 */
struct drm_vnpu_ctx_param {
	/** @param: in, DRM_VNPU_CTX_PARAM_* */
	__u32 param;
	/** @pad: must be 0 */
	__u32 pad;
	/** @value: in, the new value */
	__u64 value;
};

/** DRM_VNPU_SYNC_TIMELINE - @point of &drm_vnpu_sync is a timeline point */
#define DRM_VNPU_SYNC_TIMELINE		(1u << 0)
#define DRM_VNPU_SYNC_FLAGS_VALID	DRM_VNPU_SYNC_TIMELINE
#define DRM_VNPU_MAX_SYNCS		16
/*
 * DRM_VNPU_MAX_SUBMIT_BOS - most BOs in one SUBMIT: each (and the command
 * BO) is reservation locked under one acquire context, which lockdep counts
 * twice per lock in a 12-bit field (at most 4095): 2048 BOs overflowed it.
 */
#define DRM_VNPU_MAX_SUBMIT_BOS		1024

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

/**
 * DRM_VNPU_SUBMIT_INJECT_HANG - debugging: make the job hang the engine
 *
 * Only accepted while the vnpu module parameter fault_inject is set (it
 * is off by default and only root can set it): the job's descriptor then
 * carries the device's fault-injection hang flag, and the job never ends
 * by itself. It exists to test hang recovery; without fault_inject the
 * flag is an unknown flag (-EINVAL).
 */
#define DRM_VNPU_SUBMIT_INJECT_HANG	(1u << 0)
#define DRM_VNPU_SUBMIT_FLAGS_VALID	DRM_VNPU_SUBMIT_INJECT_HANG

/**
 * struct drm_vnpu_submit - queue a job
 *
 * The job runs the command buffer found @cmd_offset bytes into BO
 * @cmd_handle, @cmd_size bytes long, on queue @queue (the hardware queue
 * is @queue itself at NORMAL priority; see DRM_VNPU_CTX_PARAM_PRIORITY
 * for the others). The command BO must be one this file created
 * (BO_CREATE or BO_USERPTR): the device fetches it at its automatic VA.
 * The job starts once every in-sync has signalled and every BO in
 * @bo_handles is idle for it (implicit sync: the job is a writer of every
 * listed BO). When it ends, every out-sync is
 * signalled with the job's fence. The job runs at the file's priority
 * (&drm_vnpu_ctx_param).
 *
 * Residency: under memory pressure the driver may evict the pages of idle
 * BO_CREATE BOs (not device-memory, userptr or imported BOs, nor BOs that
 * are mmapped, exported or busy) so that they can be swapped out. SUBMIT
 * makes every BO in @bo_handles, and the command BO, resident before the
 * job is queued, and they stay so until it ends. A job may only rely on
 * the memory of those BOs: one that touches an evicted BO it did not list
 * ends with -EFAULT (an MMU fault), as for an unmapped VA. List every BO
 * the commands reference. Errors of making a BO resident: -ENOMEM (or
 * another error of reading the pages back from swap).
 *
 * Errors:
 * -ECANCELED: the file was banned after too many hangs (see
 * %DRM_VNPU_PARAM_CONTEXT_BANNED); open a new file to continue;
 * -EINVAL: unknown @flags, non-zero @pad, @queue out of range, @cmd_size 0,
 * not a multiple of 8 or above MAX_CMD_SIZE, @cmd_offset not 8-byte aligned
 * or the range not inside the BO, a command BO this file did not create,
 * more than DRM_VNPU_MAX_SYNCS syncs or
 * DRM_VNPU_MAX_SUBMIT_BOS BOs, bad sync flags, or a non-zero point on a
 * binary sync; an in-sync that has no fence yet (a binary syncobj never
 * signalled or submitted to, or a timeline point not submitted yet): as
 * for DRM_IOCTL_SYNCOBJ_WAIT without WAIT_FOR_SUBMIT, waiting for a fence
 * to be attached later is left to userspace;
 * -ENOENT: an unknown BO or syncobj handle;
 * -EFAULT: an array pointer that cannot be read;
 * -ENODEV: the device is gone.
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
	/** @queue: in, queue index (< NUM_QUEUES) */
	__u32 queue;
	/** @flags: in, DRM_VNPU_SUBMIT_* */
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
 * succeeded, or a negative errno: -EFAULT for an MMU fault, -EINVAL for
 * what the device rejected as malformed (VNPU_JOB_BAD_*), -EIO for a DMA
 * error or a SEM_WAIT timeout, -ETIMEDOUT for a hang (this job was found
 * guilty), -ECANCELED if it was aborted (a reset or suspend it could not
 * survive), -ENODEV if the device went away; @hw_status holds the
 * device's VNPU_JOB_* code (the table in uapi.rst, "Job status"). A
 * job's result stays available until %DRM_VNPU_JOB_RETAIN later jobs of
 * the same file have ended.
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
