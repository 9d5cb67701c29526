/* SPDX-License-Identifier: MIT */
/*
 * libaccel: userspace library for vnpu accelerators.
 *
 * Copyright (C) 2026 The vnpu authors
 *
 * Conventions
 * -----------
 * - Objects are opaque handles: struct accel_device, struct accel_bo,
 *   struct accel_cmdbuf, struct accel_job and struct accel_device_list.
 * - Functions are named accel_<object>_<verb>(). Every function that can
 *   fail returns 0 on success or a negative errno value, and delivers its
 *   results through out-parameters; out-parameters are left untouched on
 *   failure. Free/close functions return nothing and accept NULL.
 *   accel_strerror() describes every code the library or driver returns.
 * - Thread safety: a struct accel_device may be used from several threads
 *   at once (opening, querying, creating and freeing BOs, submitting and
 *   waiting). BOs may be mapped, unmapped and queried from several threads
 *   at once; accel_bo_free() must not race with other calls on the same BO.
 *   A struct accel_cmdbuf is a builder owned by one thread at a time (use it
 *   from several threads only with your own locking). A struct accel_job
 *   may be waited on from several threads at once.
 * - Lifetimes are reference counted internally: closing a device or freeing
 *   a BO while command buffers or jobs still use them is safe; the kernel
 *   objects go away when the last user does.
 * - Device virtual addresses (VAs) are 64-bit integers; a BO's VA is fixed
 *   for its lifetime (accel_bo_get_va()).
 */
#ifndef LIBACCEL_ACCEL_H
#define LIBACCEL_ACCEL_H

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

struct accel_device;
struct accel_device_list;
struct accel_bo;
struct accel_cmdbuf;
struct accel_job;

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/**
 * accel_strerror() - describe an error code
 * @err: a negative errno returned by a libaccel function, or a job status
 *       from accel_job_wait(); positive errno values are accepted too.
 *
 * Return: a static, NUL-terminated, English message (never NULL). Codes
 * the library and the vnpu driver return have vnpu-specific wording; other
 * codes get the C library's description or "unknown error".
 */
const char *accel_strerror(int err);

/* ------------------------------------------------------------------ */
/* Enumeration                                                         */
/* ------------------------------------------------------------------ */

/**
 * accel_device_enumerate() - list the vnpu devices present in the system
 * @list: out, a new list; free it with accel_device_list_free()
 *
 * Uses libudev to find the devices of subsystem "accel" whose PCI parent
 * is bound to the "vnpu" driver. Entries are ordered by minor number
 * (accel0 before accel1 ...). Having no device is not an error: the list
 * is then empty. No device is opened.
 *
 * Return: 0, -EINVAL if @list is NULL, -ENOMEM, or an error from libudev.
 */
int accel_device_enumerate(struct accel_device_list **list);

/**
 * accel_device_list_get_count() - number of entries of a device list
 * @list: the list
 * @count: out, number of devices (may be 0)
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_device_list_get_count(const struct accel_device_list *list,
				unsigned int *count);

/**
 * accel_device_list_get_devnode() - device node of a list entry
 * @list: the list
 * @index: entry, 0 .. count - 1
 * @devnode: out, e.g. "/dev/accel/accel0"; valid while @list lives
 *
 * Return: 0, -EINVAL for NULL arguments, -ERANGE for a bad @index.
 */
int accel_device_list_get_devnode(const struct accel_device_list *list,
				  unsigned int index, const char **devnode);

/**
 * accel_device_list_get_pci_address() - PCI address of a list entry
 * @list: the list
 * @index: entry, 0 .. count - 1
 * @pci_address: out, e.g. "0000:00:03.0" (the sysfs parent's name); valid
 *               while @list lives
 *
 * Return: 0, -EINVAL for NULL arguments, -ERANGE for a bad @index.
 */
int accel_device_list_get_pci_address(const struct accel_device_list *list,
				      unsigned int index,
				      const char **pci_address);

/**
 * accel_device_list_free() - free a list from accel_device_enumerate()
 * @list: the list, or NULL
 */
void accel_device_list_free(struct accel_device_list *list);

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

/**
 * accel_device_open() - open a vnpu device
 * @path: device node such as "/dev/accel/accel0", or NULL for the first
 *        device found by accel_device_enumerate()
 * @dev: out, the device handle; release it with accel_device_close()
 *
 * Every open creates a new device context (its own device address space):
 * BOs and jobs of one handle are invisible to another.
 *
 * Return: 0; -EINVAL if @dev is NULL; -ENOENT if @path does not exist;
 * -ENODEV if there is no vnpu device (@path NULL) or @path is not a vnpu
 * device; -EPROTO if the driver's interface major version is not the one
 * this library speaks; -EACCES/-EPERM without permission; -ENXIO if the
 * device is gone; -ENOMEM; or another errno from open(2)/ioctl(2).
 */
int accel_device_open(const char *path, struct accel_device **dev);

/**
 * accel_device_open_index() - open the @index-th enumerated vnpu device
 * @index: position in the order of accel_device_enumerate() (this is not
 *         the N of /dev/accel/accelN when other accel drivers exist)
 * @dev: out, the device handle
 *
 * Return: 0, -ENODEV if there are not more than @index devices, or an
 * error of accel_device_enumerate() or accel_device_open().
 */
int accel_device_open_index(unsigned int index, struct accel_device **dev);

/**
 * accel_device_close() - release a device handle
 * @dev: the handle, or NULL
 *
 * The file descriptor is closed once the BOs, command buffers and jobs
 * created from @dev are freed too.
 */
void accel_device_close(struct accel_device *dev);

/**
 * accel_device_get_fd() - file descriptor of a device
 * @dev: the device
 * @fd: out, the accel file descriptor (owned by @dev: do not close it)
 *
 * Useful with libdrm calls that libaccel does not wrap.
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_device_get_fd(const struct accel_device *dev, int *fd);

/**
 * accel_device_get_devnode() - device node a device was opened from
 * @dev: the device
 * @devnode: out, valid while @dev lives
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_device_get_devnode(const struct accel_device *dev,
			     const char **devnode);

/**
 * accel_device_get_pci_address() - PCI address of an open device
 * @dev: the device
 * @pci_address: out, e.g. "0000:00:03.0"; valid while @dev lives
 *
 * Return: 0, -EINVAL for NULL arguments, -ENOENT if the device has no
 * PCI parent in sysfs (for example when sysfs is not mounted).
 */
int accel_device_get_pci_address(const struct accel_device *dev,
				 const char **pci_address);

/**
 * accel_device_get_driver_version() - version of the kernel driver
 * @dev: the device
 * @major: out (may be NULL), interface major version (1 for this library)
 * @minor: out (may be NULL), interface minor version
 * @patchlevel: out (may be NULL), patch level
 *
 * The values come from drmGetVersion() at open time.
 *
 * Return: 0, or -EINVAL if @dev is NULL.
 */
int accel_device_get_driver_version(const struct accel_device *dev,
				    int *major, int *minor, int *patchlevel);

/**
 * accel_device_get_driver_info() - name, date and description of the driver
 * @dev: the device
 * @name: out (may be NULL), driver name ("vnpu")
 * @date: out (may be NULL), driver date string
 * @desc: out (may be NULL), driver description
 *
 * Strings stay valid while @dev lives.
 *
 * Return: 0, or -EINVAL if @dev is NULL.
 */
int accel_device_get_driver_info(const struct accel_device *dev,
				 const char **name, const char **date,
				 const char **desc);

/*
 * Parameters of accel_device_query(). The values equal the driver's
 * DRM_VNPU_PARAM_* codes (drm/vnpu_accel.h), where each is documented.
 */
#define ACCEL_PARAM_DEVICE_ID		0  /* PCI device ID */
#define ACCEL_PARAM_REVISION		1  /* major << 16 | minor */
#define ACCEL_PARAM_NUM_QUEUES		2  /* valid queues: 0 .. n - 1 */
#define ACCEL_PARAM_NUM_ENGINES		3
#define ACCEL_PARAM_QUEUE_DEPTH		4  /* ring entries per queue */
#define ACCEL_PARAM_DEVMEM_SIZE		5  /* bytes */
#define ACCEL_PARAM_VA_BITS		6
#define ACCEL_PARAM_VA_START		7  /* BOs are placed in */
#define ACCEL_PARAM_VA_END		8  /*   [VA_START, VA_END) */
#define ACCEL_PARAM_PAGE_SIZES		9  /* bit n = 2^n-byte pages */
#define ACCEL_PARAM_OPS			10 /* bit n = opcode n works */
#define ACCEL_PARAM_CONTEXT_ID		11 /* this handle's context */
#define ACCEL_PARAM_MAX_BO_SIZE		12 /* bytes */
#define ACCEL_PARAM_MAX_CMD_SIZE	13 /* bytes per command buffer */
/* Number of parameters this version of the library knows. */
#define ACCEL_PARAM_COUNT		14

/**
 * accel_device_query() - read a device or context parameter
 * @dev: the device
 * @param: ACCEL_PARAM_* (unknown values are passed to the driver, so a
 *         newer driver's parameters can be read too)
 * @value: out, the value
 *
 * Wraps DRM_IOCTL_VNPU_GET_PARAM.
 *
 * Return: 0, -EINVAL for NULL arguments or a parameter the driver does not
 * know, -ENODEV if the device is gone.
 */
int accel_device_query(struct accel_device *dev, uint32_t param,
		       uint64_t *value);

/**
 * accel_param_get_name() - short name of a parameter
 * @param: ACCEL_PARAM_*
 * @name: out, e.g. "num_queues" (lower case, static storage)
 *
 * Return: 0, -EINVAL if @name is NULL, -ERANGE for a parameter this
 * library does not know.
 */
int accel_param_get_name(uint32_t param, const char **name);

/* ------------------------------------------------------------------ */
/* Buffer objects                                                      */
/* ------------------------------------------------------------------ */

/* Map the BO write-combined on the CPU (default: cached). */
#define ACCEL_BO_WC			(1u << 0)

/**
 * accel_bo_new() - create a buffer object
 * @dev: the device
 * @size: bytes (rounded up to a page by the driver); 1 .. MAX_BO_SIZE
 * @flags: ACCEL_BO_* flags
 * @bo: out, the BO; free it with accel_bo_free()
 *
 * The BO's pages are allocated and mapped into the device address space of
 * @dev at creation; its VA is available immediately (accel_bo_get_va()).
 * Its contents are zero.
 *
 * Return: 0; -EINVAL for NULL arguments, @size 0 or above MAX_BO_SIZE or
 * unknown @flags; -ENOMEM or -ENOSPC when memory or VA space runs out;
 * -ENODEV if the device is gone.
 */
int accel_bo_new(struct accel_device *dev, uint64_t size, uint32_t flags,
		 struct accel_bo **bo);

/**
 * accel_bo_map() - map a BO into the CPU address space
 * @bo: the BO
 * @ptr: out, CPU address of the BO's first byte
 *
 * The mapping is created on the first call and cached: later calls return
 * the same address and count references, balanced by accel_bo_unmap().
 *
 * Return: 0, -EINVAL for NULL arguments, or an errno from mmap(2) (-ENOMEM,
 * ...) or from DRM_IOCTL_VNPU_BO_INFO.
 */
int accel_bo_map(struct accel_bo *bo, void **ptr);

/**
 * accel_bo_unmap() - drop a reference taken by accel_bo_map()
 * @bo: the BO
 *
 * The CPU mapping is removed when the last reference is dropped.
 *
 * Return: 0, -EINVAL if @bo is NULL or not mapped.
 */
int accel_bo_unmap(struct accel_bo *bo);

/**
 * accel_bo_free() - free a buffer object
 * @bo: the BO, or NULL
 *
 * Removes any CPU mapping. The GEM object is closed when no command buffer
 * references the BO any more; jobs already submitted keep it alive in the
 * kernel until they end.
 */
void accel_bo_free(struct accel_bo *bo);

/**
 * accel_bo_get_va() - device virtual address of a BO
 * @bo: the BO
 * @va: out, the VA of its first byte (page aligned, never 0)
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_bo_get_va(const struct accel_bo *bo, uint64_t *va);

/**
 * accel_bo_get_size() - size of a BO
 * @bo: the BO
 * @size: out, bytes (the size requested, rounded up to a page)
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_bo_get_size(const struct accel_bo *bo, uint64_t *size);

/**
 * accel_bo_get_handle() - GEM handle of a BO
 * @bo: the BO
 * @handle: out, the handle on the device's file descriptor
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_bo_get_handle(const struct accel_bo *bo, uint32_t *handle);

/* ------------------------------------------------------------------ */
/* Command buffers                                                     */
/* ------------------------------------------------------------------ */

/**
 * accel_cmdbuf_new() - create an empty command buffer (a builder)
 * @dev: the device the buffer is built for, or NULL
 * @cb: out, the builder; free it with accel_cmdbuf_free()
 *
 * With a device, every address a command uses must lie inside one BO of
 * that device (the BO is then added to the buffer's BO list), opcodes the
 * device lacks are refused and the size limit is the device's
 * MAX_CMD_SIZE. With NULL, only the device-independent rules are checked
 * and the buffer cannot be submitted (useful to build or inspect streams).
 *
 * Return: 0, -EINVAL if @cb is NULL, -ENOMEM.
 */
int accel_cmdbuf_new(struct accel_device *dev, struct accel_cmdbuf **cb);

/**
 * accel_cmdbuf_free() - free a command buffer
 * @cb: the builder, or NULL
 *
 * Drops its references to BOs. Jobs already submitted are not affected.
 */
void accel_cmdbuf_free(struct accel_cmdbuf *cb);

/**
 * accel_cmdbuf_reset() - empty a command buffer for reuse
 * @cb: the builder
 *
 * Removes all commands and BO references; the device stays the same.
 *
 * Return: 0, or -EINVAL if @cb is NULL.
 */
int accel_cmdbuf_reset(struct accel_cmdbuf *cb);

/*
 * Command builders. Each appends one command of the vnpu ISA
 * (uapi/vnpu_device.h) after checking its arguments; on error the buffer
 * is unchanged. Common errors:
 * -EINVAL: NULL @cb, or an argument the device would reject (see each);
 * -EFAULT: an address range that wraps, reaches beyond the device's VA
 *          space, starts at VA 0, or (with a device) is not inside one BO;
 * -EOPNOTSUPP: the device does not support the opcode (ACCEL_PARAM_OPS);
 * -ENOSPC: the buffer would exceed the maximum command buffer size;
 * -E2BIG: the buffer would reference more BOs than a job may use;
 * -ENOMEM.
 */

/**
 * accel_cmdbuf_nop() - append a NOP (no effect)
 * @cb: the builder
 *
 * Return: 0 or a negative errno (see "Command builders").
 */
int accel_cmdbuf_nop(struct accel_cmdbuf *cb);

/**
 * accel_cmdbuf_fill() - append a FILL
 * @cb: the builder
 * @dst_va: first byte to write (any alignment)
 * @size: bytes to write, 0 .. 4 GiB (-EINVAL above)
 * @pattern: byte i of the range gets byte (i % 4) of @pattern, taken as a
 *           little-endian number (so 0x44332211 writes 11 22 33 44 ...)
 *
 * Return: 0 or a negative errno (see "Command builders").
 */
int accel_cmdbuf_fill(struct accel_cmdbuf *cb, uint64_t dst_va,
		      uint64_t size, uint32_t pattern);

/**
 * accel_cmdbuf_copy() - append a COPY (argument order as in memcpy())
 * @cb: the builder
 * @dst_va: destination
 * @src_va: source
 * @size: bytes, 0 .. 4 GiB (-EINVAL above)
 *
 * Return: 0 or a negative errno (see "Command builders"); -EINVAL if the
 * ranges overlap, which the device refuses.
 */
int accel_cmdbuf_copy(struct accel_cmdbuf *cb, uint64_t dst_va,
		      uint64_t src_va, uint64_t size);

/**
 * accel_cmdbuf_timestamp() - append a TIMESTAMP
 * @cb: the builder
 * @dst_va: where the device writes its clock (ns, u64 little-endian)
 *
 * Return: 0 or a negative errno (see "Command builders"); -EINVAL if
 * @dst_va is not 8-byte aligned.
 */
int accel_cmdbuf_timestamp(struct accel_cmdbuf *cb, uint64_t dst_va);

/**
 * accel_cmdbuf_add_bo() - add a BO to the buffer's BO list explicitly
 * @cb: the builder
 * @bo: a BO of the builder's device
 *
 * Commands add the BOs they touch automatically; use this for BOs the job
 * must synchronise with anyway (the job counts as a writer of every BO in
 * its list). Adding a BO twice has no effect.
 *
 * Return: 0; -EINVAL for NULL arguments or a device-less builder; -EXDEV if
 * @bo belongs to another device handle; -E2BIG; -ENOMEM.
 */
int accel_cmdbuf_add_bo(struct accel_cmdbuf *cb, struct accel_bo *bo);

/**
 * accel_cmdbuf_get_stream() - the encoded command stream
 * @cb: the builder
 * @data: out, the commands as the device reads them; valid until the next
 *        change to @cb
 * @size: out, bytes (a multiple of 8)
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_cmdbuf_get_stream(const struct accel_cmdbuf *cb, const void **data,
			    size_t *size);

/**
 * accel_cmdbuf_get_count() - number of commands in a buffer
 * @cb: the builder
 * @commands: out, commands appended since creation or the last reset
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_cmdbuf_get_count(const struct accel_cmdbuf *cb,
			   unsigned int *commands);

/**
 * accel_cmdbuf_get_bo_count() - number of BOs a buffer references
 * @cb: the builder
 * @count: out, entries of its BO list
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_cmdbuf_get_bo_count(const struct accel_cmdbuf *cb,
			      unsigned int *count);

/* ------------------------------------------------------------------ */
/* Jobs and synchronisation                                            */
/* ------------------------------------------------------------------ */

/* @point of struct accel_sync is a timeline point. */
#define ACCEL_SYNC_TIMELINE		(1u << 0)
/* Most in-syncs and most out-syncs per job. */
#define ACCEL_MAX_SYNCS			16

/**
 * struct accel_sync - a DRM syncobj to wait on or to signal
 * @handle: syncobj handle (accel_syncobj_create())
 * @flags: 0 for a binary syncobj, ACCEL_SYNC_TIMELINE for a timeline one
 * @point: timeline point; must be 0 for a binary syncobj
 */
struct accel_sync {
	uint32_t handle;
	uint32_t flags;
	uint64_t point;
};

/**
 * struct accel_submit_opts - optional parameters of accel_job_submit()
 * @in_syncs: syncobjs the job waits for before it starts
 * @in_sync_count: entries of @in_syncs, 0 .. ACCEL_MAX_SYNCS
 * @out_sync_count: entries of @out_syncs, 0 .. ACCEL_MAX_SYNCS
 * @out_syncs: syncobjs signalled with the job's fence when it ends
 * @flags: must be 0
 * @reserved: must be 0 (room for later options)
 */
struct accel_submit_opts {
	const struct accel_sync *in_syncs;
	uint32_t in_sync_count;
	uint32_t out_sync_count;
	const struct accel_sync *out_syncs;
	uint32_t flags;
	uint32_t reserved[7];
};

/**
 * accel_job_submit() - run a command buffer on the device
 * @dev: the device
 * @cb: the commands, built for @dev
 * @queue: hardware queue, 0 .. ACCEL_PARAM_NUM_QUEUES - 1
 * @opts: syncobjs to wait on and to signal, or NULL for none
 * @job: out (may be NULL), the job; free it with accel_job_free()
 *
 * Copies the stream into a new BO and submits it with @cb's BO list. The
 * job starts once every in-sync has signalled and every BO in the list is
 * idle for it. @cb is not changed and can be submitted again or freed.
 *
 * Return: 0; -EINVAL for NULL @dev/@cb, bad @opts (non-zero flags or
 * reserved fields, too many syncs, NULL arrays with non-zero counts, bad
 * sync flags or points) or a @queue out of range; -EXDEV if @cb was built
 * for another device handle or none; -ENODATA if @cb is empty; -ENOENT for
 * an unknown syncobj; -ENOMEM/-ENOSPC; -ENODEV if the device is gone;
 * -ECANCELED if the context was banned after a device reset.
 */
int accel_job_submit(struct accel_device *dev, struct accel_cmdbuf *cb,
		     uint32_t queue, const struct accel_submit_opts *opts,
		     struct accel_job **job);

/**
 * accel_job_wait() - wait for a job to end
 * @job: the job
 * @timeout_ns: relative timeout in ns; 0 polls, negative waits forever
 * @job_status: out (may be NULL), 0 if the job succeeded, else its negative
 *              errno: -EFAULT (device MMU fault), -EINVAL (malformed
 *              command), -EIO (DMA error), -ETIMEDOUT (the job hung),
 *              -ECANCELED (aborted by a reset)
 *
 * The timeout is converted to the absolute CLOCK_MONOTONIC deadline the
 * driver takes, so it is not extended by signal restarts. Once a job has
 * ended, its result is cached and later calls return at once.
 *
 * Return: 0 when the job has ended (its outcome is in @job_status);
 * -ETIME if it is still running when the timeout passes; -EINVAL if @job
 * is NULL; -ENOENT if the driver no longer retains the job's result (more
 * than 1024 later jobs of the device handle ended before the first wait);
 * -ENODEV if the device is gone. A signal does not end the wait early: the
 * call is restarted with the same deadline.
 */
int accel_job_wait(struct accel_job *job, int64_t timeout_ns, int *job_status);

/**
 * accel_job_get_id() - driver job id
 * @job: the job
 * @id: out, the id returned by DRM_IOCTL_VNPU_SUBMIT (never 0)
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_job_get_id(const struct accel_job *job, uint64_t *id);

/**
 * accel_job_get_hw_status() - device completion code of an ended job
 * @job: the job
 * @hw_status: out, the device's VNPU_JOB_* code (0 = OK)
 *
 * Return: 0; -EINVAL for NULL arguments; -EBUSY if accel_job_wait() has
 * not yet seen the job end.
 */
int accel_job_get_hw_status(struct accel_job *job, uint32_t *hw_status);

/**
 * accel_job_free() - free a job handle
 * @job: the job, or NULL
 *
 * Does not wait and does not cancel: a running job runs to its end.
 */
void accel_job_free(struct accel_job *job);

/* accel_syncobj_create() flag: create the syncobj already signalled. */
#define ACCEL_SYNCOBJ_SIGNALED		(1u << 0)

/**
 * accel_syncobj_create() - create a DRM syncobj (drmSyncobjCreate())
 * @dev: the device
 * @flags: 0 or ACCEL_SYNCOBJ_SIGNALED
 * @handle: out, the syncobj handle on the device's file descriptor
 *
 * Return: 0, -EINVAL for NULL arguments or unknown @flags, -ENOMEM, or
 * -EOPNOTSUPP if the driver lacks syncobj support.
 */
int accel_syncobj_create(struct accel_device *dev, uint32_t flags,
			 uint32_t *handle);

/**
 * accel_syncobj_destroy() - destroy a syncobj (drmSyncobjDestroy())
 * @dev: the device
 * @handle: a handle from accel_syncobj_create()
 *
 * Return: 0, -EINVAL for a NULL @dev or an unknown @handle.
 */
int accel_syncobj_destroy(struct accel_device *dev, uint32_t handle);

/**
 * accel_syncobj_wait() - wait for a syncobj to signal
 * @dev: the device
 * @handle: the syncobj
 * @point: timeline point, or 0 for a binary syncobj
 * @timeout_ns: relative timeout in ns; 0 polls, negative waits forever
 *
 * Also waits for a fence to be attached first (WAIT_FOR_SUBMIT), so it can
 * be called before the job that signals the syncobj is submitted. Uses
 * drmSyncobjWait() or drmSyncobjTimelineWait(). A syncobj signalled by a
 * failed job counts as signalled: check the job's status for the outcome.
 *
 * Return: 0, -ETIME on timeout, -EINVAL for a NULL @dev, -ENOENT for an
 * unknown @handle. Signals restart the wait with the same deadline.
 */
int accel_syncobj_wait(struct accel_device *dev, uint32_t handle,
		       uint64_t point, int64_t timeout_ns);

/**
 * accel_syncobj_export_sync_file() - export a syncobj's fence as a sync_file
 * @dev: the device
 * @handle: the syncobj (binary)
 * @sync_file_fd: out, a new sync_file descriptor; close it when done
 *
 * Return: 0, -EINVAL for NULL arguments or a syncobj without a fence,
 * -ENOENT for an unknown @handle, -EMFILE, -ENOMEM.
 */
int accel_syncobj_export_sync_file(struct accel_device *dev, uint32_t handle,
				   int *sync_file_fd);

/**
 * accel_syncobj_import_sync_file() - replace a syncobj's fence by a sync_file's
 * @dev: the device
 * @handle: the syncobj (binary)
 * @sync_file_fd: a sync_file descriptor (not consumed)
 *
 * Return: 0, -EINVAL for a NULL @dev or a descriptor that is not a
 * sync_file, -ENOENT for an unknown @handle.
 */
int accel_syncobj_import_sync_file(struct accel_device *dev, uint32_t handle,
				   int sync_file_fd);

#if defined(__cplusplus)
}
#endif

#endif /* LIBACCEL_ACCEL_H */
