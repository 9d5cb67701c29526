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

#include <errno.h>
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

/*
 * ACCEL_ERROR_RESET - the error that reports a device reset.
 *
 * When a job hangs, the driver resets the device: the job that hung ends
 * with -ETIMEDOUT, and the other jobs that were queued or running are run
 * again from the start, so they normally end as if nothing happened. A
 * reset costs the application work only when:
 *  - a job was aborted and could not be run again (the device did not
 *    come back from a reset or a suspend, or the job's context was
 *    banned): accel_job_wait() reports ACCEL_ERROR_RESET as its status;
 *  - the handle's context has been banned after too many of its jobs hung
 *    (ACCEL_PARAM_HANG_LIMIT): accel_job_submit() fails with
 *    ACCEL_ERROR_RESET.
 * No other condition produces this code, so an application can test for
 * it and recover: close the device handle, open a new one and resubmit
 * (accel_device_get_reset_status() reports resets, hangs and the ban).
 */
#define ACCEL_ERROR_RESET		(-ECANCELED)

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
 * is then empty. Every device found is opened briefly (and closed) to
 * read its driver version and capabilities for the list.
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
 * accel_device_list_get_driver_version() - driver version of a list entry
 * @list: the list
 * @index: entry, 0 .. count - 1
 * @major: out (may be NULL), interface major version
 * @minor: out (may be NULL), interface minor version
 * @patchlevel: out (may be NULL), patch level
 *
 * accel_device_enumerate() opens every device briefly to read its version
 * and capabilities; if that failed (for example without permission), this
 * returns the error of that open.
 *
 * Return: 0; -EINVAL if @list is NULL; -ERANGE for a bad @index; or the
 * error of accel_device_open() on that entry (-EACCES, -EPROTO, ...).
 */
int accel_device_list_get_driver_version(const struct accel_device_list *list,
					 unsigned int index, int *major,
					 int *minor, int *patchlevel);

struct accel_device_caps;

/**
 * accel_device_list_get_caps() - capabilities of a list entry
 * @list: the list
 * @index: entry, 0 .. count - 1
 * @caps: out, as accel_device_get_caps() returns them (context_id is the
 *        one of the short-lived probe context and means nothing)
 *
 * Return: as accel_device_list_get_driver_version(), and -EINVAL if @caps
 * is NULL.
 */
int accel_device_list_get_caps(const struct accel_device_list *list,
			       unsigned int index,
			       struct accel_device_caps *caps);

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
 * accel_device_open_pci() - open the vnpu device at a PCI address
 * @pci_address: "DDDD:BB:DD.F" or "BB:DD.F" (domain 0), case-insensitive
 * @dev: out, the device handle
 *
 * Return: 0; -EINVAL for NULL arguments; -ENODEV if no vnpu device sits
 * at @pci_address; or an error of accel_device_enumerate() or
 * accel_device_open().
 */
int accel_device_open_pci(const char *pci_address, struct accel_device **dev);

/**
 * accel_device_open_spec() - open a device named the way users name one
 * @spec: a device node ("/dev/accel/accel1", anything starting with '/'),
 *        an index in enumeration order ("1", decimal digits only) or a PCI
 *        address ("0000:00:03.0", "00:03.0"); NULL or "" stands for the
 *        environment variable ACCEL_DEVICE (same forms) when it is set and
 *        not empty, else for the first device
 * @dev: out, the device handle
 *
 * What the tools' --device option and ACCEL_DEVICE take, so that a user
 * with several NPUs can choose one for any program.
 *
 * Return: as accel_device_open(), accel_device_open_index() or
 * accel_device_open_pci() for the form @spec has; -EINVAL if @dev is NULL.
 */
int accel_device_open_spec(const char *spec, struct accel_device **dev);

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
#define ACCEL_PARAM_DRIVER_VERSION	14 /* major << 16 | minor */
#define ACCEL_PARAM_CAPABILITIES	15 /* DRM_VNPU_CAP_* bits */
#define ACCEL_PARAM_DTYPES		16 /* bit n = dtype n works */
#define ACCEL_PARAM_NUM_CONTEXTS	17
#define ACCEL_PARAM_PRIORITY		18 /* this handle's priority */
#define ACCEL_PARAM_CONTEXT_HANGS	19 /* this handle's guilty hangs */
#define ACCEL_PARAM_CONTEXT_FAULTS	20 /* this handle's MMU faults */
#define ACCEL_PARAM_CONTEXT_BANNED	21 /* 1: submits fail -ECANCELED */
#define ACCEL_PARAM_RESET_COUNT		22 /* device/engine resets */
#define ACCEL_PARAM_HANG_LIMIT		23 /* hangs before a ban */
#define ACCEL_PARAM_JOB_TIMEOUT_MS	24
/* Number of parameters this version of the library knows. */
#define ACCEL_PARAM_COUNT		25

/* Bits of &accel_device_caps.features. */
#define ACCEL_FEATURE_SYNCOBJ_TIMELINE	(1ull << 0) /* timeline syncobjs */
#define ACCEL_FEATURE_PRIME_EXPORT	(1ull << 1) /* accel_bo_export() */
#define ACCEL_FEATURE_PRIME_IMPORT	(1ull << 2) /* accel_bo_import() */
#define ACCEL_FEATURE_VM_BIND		(1ull << 3) /* accel_bo_bind() */
#define ACCEL_FEATURE_USERPTR		(1ull << 4) /* accel_bo_new_userptr() */
#define ACCEL_FEATURE_DEVMEM		(1ull << 5) /* ACCEL_BO_DEVMEM */
#define ACCEL_FEATURE_PRIORITY		(1ull << 6) /* LOW/HIGH priorities */
#define ACCEL_FEATURE_ENGINE_RESET	(1ull << 7) /* hangs reset one queue */

/**
 * struct accel_device_caps - what a device and its driver can do
 * @device_id: PCI device ID
 * @revision: device revision, major << 16 | minor
 * @num_queues: hardware queues (valid queue indices 0 .. num_queues - 1)
 * @num_engines: execution engines
 * @queue_depth: ring entries per queue
 * @va_bits: width of a device virtual address
 * @context_id: the device context of this handle
 * @pad: zero
 * @devmem_size: bytes of device memory (0: none)
 * @va_start: first VA the driver places BOs at
 * @va_end: end (exclusive) of the BO placement range
 * @page_sizes: MMU page sizes, bit n = 2^n bytes
 * @ops: supported opcodes, bit n = opcode n
 * @max_bo_size: largest BO, bytes
 * @max_cmd_size: largest command buffer of a job, bytes
 * @features: ACCEL_FEATURE_* bits
 * @dtypes: data types of the compute commands, bit n = VNPU_DT_* n
 * @num_contexts: device contexts (open handles) the device can hold
 * @driver_version: driver interface major << 16 | minor
 * @reserved: zero; room for later capabilities
 *
 * Fields a driver does not report are 0.
 */
struct accel_device_caps {
	uint32_t device_id;
	uint32_t revision;
	uint32_t num_queues;
	uint32_t num_engines;
	uint32_t queue_depth;
	uint32_t va_bits;
	uint32_t context_id;
	uint32_t pad;
	uint64_t devmem_size;
	uint64_t va_start;
	uint64_t va_end;
	uint64_t page_sizes;
	uint64_t ops;
	uint64_t max_bo_size;
	uint64_t max_cmd_size;
	uint64_t features;
	uint64_t dtypes;
	uint32_t num_contexts;
	uint32_t driver_version;
	uint64_t reserved[6];
};

/**
 * accel_device_get_caps() - capabilities of an open device
 * @dev: the device
 * @caps: out, read when the device was opened
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_device_get_caps(const struct accel_device *dev,
			  struct accel_device_caps *caps);

/**
 * struct accel_reset_status - resets seen by a device handle
 * @resets: device (or engine) resets since the driver bound the device
 * @context_hangs: jobs of this handle found guilty of a hang
 * @context_faults: jobs of this handle that ended on an MMU fault
 * @banned: 1 if this handle's context is banned (submissions fail with
 *          ACCEL_ERROR_RESET); open a new handle to continue
 * @pad: zero
 */
struct accel_reset_status {
	uint64_t resets;
	uint64_t context_hangs;
	uint64_t context_faults;
	uint32_t banned;
	uint32_t pad;
};

/**
 * accel_device_get_reset_status() - reset and hang counters of a handle
 * @dev: the device
 * @status: out, the counters, read from the driver now
 *
 * Return: 0; -EINVAL for NULL arguments; -EOPNOTSUPP if the driver does
 * not report resets (interface older than 1.1); -ENODEV if the device is
 * gone.
 */
int accel_device_get_reset_status(struct accel_device *dev,
				  struct accel_reset_status *status);

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
/* Hotplug                                                             */
/* ------------------------------------------------------------------ */

struct accel_monitor;

/* @action of an accel_hotplug_cb. */
#define ACCEL_HOTPLUG_ADD		1 /* a vnpu device appeared */
#define ACCEL_HOTPLUG_REMOVE		2 /* a vnpu device went away */

/**
 * typedef accel_hotplug_cb - hotplug callback
 * @data: the pointer given to accel_monitor_new()
 * @action: ACCEL_HOTPLUG_ADD or ACCEL_HOTPLUG_REMOVE
 * @devnode: device node, e.g. "/dev/accel/accel1"
 * @pci_address: PCI address of the device
 *
 * The strings are valid during the call only.
 */
typedef void (*accel_hotplug_cb)(void *data, int action, const char *devnode,
				 const char *pci_address);

/**
 * accel_monitor_new() - watch vnpu devices come and go
 * @cb: called from accel_monitor_dispatch() for each event
 * @data: passed to @cb
 * @mon: out, the monitor; free it with accel_monitor_free()
 *
 * Subscribes to udev events of subsystem "accel" (udevd's events when it
 * runs, else the kernel's uevents), then records the vnpu devices already
 * present: they get no ADD event, and only devices known to be vnpu get a
 * REMOVE event. Poll the descriptor of accel_monitor_get_fd() for POLLIN
 * and call accel_monitor_dispatch() when it is readable. A monitor is used
 * by one thread at a time.
 *
 * Return: 0; -EINVAL for NULL @cb or @mon; -ENOMEM; or an error from
 * libudev or accel_device_enumerate().
 */
int accel_monitor_new(accel_hotplug_cb cb, void *data,
		      struct accel_monitor **mon);

/**
 * accel_monitor_get_fd() - descriptor to poll for hotplug events
 * @mon: the monitor
 * @fd: out, a non-blocking descriptor owned by @mon
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_monitor_get_fd(const struct accel_monitor *mon, int *fd);

/**
 * accel_monitor_dispatch() - run the callback for every queued event
 * @mon: the monitor
 * @events: out (may be NULL), number of callbacks run
 *
 * Never blocks. Events of other accel drivers are dropped.
 *
 * Return: 0, or -EINVAL if @mon is NULL.
 */
int accel_monitor_dispatch(struct accel_monitor *mon, unsigned int *events);

/**
 * accel_monitor_free() - stop watching and free a monitor
 * @mon: the monitor, or NULL
 */
void accel_monitor_free(struct accel_monitor *mon);

/* ------------------------------------------------------------------ */
/* Buffer objects                                                      */
/* ------------------------------------------------------------------ */

/* Map the BO write-combined on the CPU (default: cached). */
#define ACCEL_BO_WC			(1u << 0)
/*
 * Place the BO in device memory (ACCEL_FEATURE_DEVMEM); the CPU maps it
 * write-combined through the PCI BAR. It cannot be exported.
 */
#define ACCEL_BO_DEVMEM			(1u << 1)
/* accel_bo_new_userptr(): the device may only read the memory. */
#define ACCEL_BO_READONLY		(1u << 2)
/* Reported by accel_bo_get_flags(): wraps user memory. */
#define ACCEL_BO_USERPTR		(1u << 3)
/* Reported by accel_bo_get_flags(): imported from a dma-buf. */
#define ACCEL_BO_IMPORTED		(1u << 4)

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
 * @flags may be 0 (cached system memory), ACCEL_BO_WC (write-combined
 * system memory) or ACCEL_BO_DEVMEM (device memory).
 *
 * Return: 0; -EINVAL for NULL arguments, @size 0 or above MAX_BO_SIZE,
 * unknown @flags, or WC with DEVMEM; -EOPNOTSUPP for DEVMEM when the
 * driver or device has no device memory; -ENOMEM or -ENOSPC when memory,
 * device memory or VA space runs out; -ENODEV if the device is gone.
 */
int accel_bo_new(struct accel_device *dev, uint64_t size, uint32_t flags,
		 struct accel_bo **bo);

/**
 * accel_bo_new_userptr() - wrap memory of this process in a BO
 * @dev: the device
 * @ptr: page-aligned start of the memory
 * @size: bytes, a multiple of the page size
 * @flags: 0 or ACCEL_BO_READONLY (device writes then fault)
 * @bo: out, the BO; free it with accel_bo_free()
 *
 * The pages are pinned and mapped into the device address space until the
 * BO is freed; later changes to the process's mapping of that range
 * (munmap, mremap, copy-on-write after fork) are not seen by the device.
 * accel_bo_map() returns @ptr itself; userptr BOs cannot be exported.
 *
 * Return: 0; -EINVAL for NULL arguments, unaligned @ptr or @size, @size 0
 * or unknown @flags; -EOPNOTSUPP if the driver lacks userptr support
 * (ACCEL_FEATURE_USERPTR); -EFAULT if the range is not mapped (or not
 * writable without READONLY); -ENOMEM; -ENOSPC; -EBUSY without READONLY
 * if a page of the range is already in a writable userptr BO of the device.
 */
int accel_bo_new_userptr(struct accel_device *dev, void *ptr, uint64_t size,
			 uint32_t flags, struct accel_bo **bo);

/**
 * accel_bo_import() - import a dma-buf as a BO
 * @dev: the device
 * @dmabuf_fd: a dma-buf descriptor (not consumed), e.g. from
 *             accel_bo_export() of another device handle or process
 * @bo: out, the BO; free it with accel_bo_free()
 *
 * The BO is placed automatically in @dev's address space with a VM_BIND
 * mapping of the whole buffer (accel_bo_get_va() returns its VA); more
 * mappings can be added with accel_bo_bind().
 *
 * Return: 0; -EINVAL for NULL arguments or a negative @dmabuf_fd;
 * -EOPNOTSUPP if the driver lacks PRIME import; -EEXIST if the dma-buf is
 * a BO of this same device handle (use that BO); -EBADF or -EINVAL if
 * @dmabuf_fd is not a dma-buf; -ENOSPC if no VA range is free; -ENOMEM.
 */
int accel_bo_import(struct accel_device *dev, int dmabuf_fd,
		    struct accel_bo **bo);

/* accel_bo_bind() flag: map read-only for the device. */
#define ACCEL_BIND_READONLY		(1u << 0)

/**
 * accel_bo_bind() - map a BO range at a device VA (VM_BIND)
 * @bo: the BO
 * @va: device VA, page aligned, or 0 to let the library choose a free
 *      range (automatic placement)
 * @offset: offset in the BO, page aligned
 * @size: bytes, page aligned, not 0; @offset + @size <= BO size
 * @flags: 0 or ACCEL_BIND_READONLY
 * @out_va: out (may be NULL), the VA used
 *
 * Command builders accept addresses inside bound ranges like addresses
 * inside a BO's own mapping. Mappings go away with accel_bo_unbind() or
 * when the BO's last user lets go of it.
 *
 * Return: 0; -EINVAL for a NULL @bo, unaligned or empty ranges, a range
 * beyond the BO, or unknown @flags; -EOPNOTSUPP without driver support
 * (ACCEL_FEATURE_VM_BIND); -ERANGE if @va is outside [VA_START, VA_END);
 * -EEXIST if the range overlaps a mapping; -ENOSPC if no free range was
 * found for @va 0; -ENOMEM.
 */
int accel_bo_bind(struct accel_bo *bo, uint64_t va, uint64_t offset,
		  uint64_t size, uint32_t flags, uint64_t *out_va);

/**
 * accel_bo_unbind() - remove a mapping made by accel_bo_bind()
 * @bo: the BO
 * @va: the VA the mapping starts at
 *
 * The device's TLB is invalidated before the call returns; a job that
 * uses the range later ends with an MMU fault (-EFAULT). Wait for the jobs
 * that use the range before unbinding it.
 *
 * Return: 0; -EINVAL if @bo is NULL; -ENOENT if no mapping of @bo made by
 * accel_bo_bind() starts at @va.
 */
int accel_bo_unbind(struct accel_bo *bo, uint64_t va);

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
 * @va: out, the VA of its first byte (page aligned); 0 only for an
 *      imported BO that could not be placed (driver without VM_BIND)
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

/**
 * accel_bo_get_flags() - creation flags of a BO
 * @bo: the BO
 * @flags: out, the ACCEL_BO_* flags it was created with
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_bo_get_flags(const struct accel_bo *bo, uint32_t *flags);

/**
 * accel_bo_export() - export a BO as a dma-buf
 * @bo: the BO
 * @dmabuf_fd: out, a new dma-buf descriptor (close-on-exec, read-write);
 *             close it when done. It keeps the BO's memory alive.
 *
 * Uses drmPrimeHandleToFD(). The dma-buf can be shared with other devices
 * and processes, mmap()ed, and synchronised with DMA_BUF_IOCTL_SYNC.
 *
 * Return: 0; -EINVAL for NULL arguments; -EOPNOTSUPP if the driver cannot
 * export (no PRIME support); -EMFILE; -ENOMEM.
 */
int accel_bo_export(struct accel_bo *bo, int *dmabuf_fd);

/* Access modes of accel_bo_cpu_prep() and accel_bo_cpu_fini(). */
#define ACCEL_ACCESS_READ		(1u << 0)
#define ACCEL_ACCESS_WRITE		(1u << 1)

/**
 * accel_bo_cpu_prep() - wait until the CPU may access a BO
 * @bo: the BO
 * @access: ACCEL_ACCESS_READ (wait for device writes) and/or
 *          ACCEL_ACCESS_WRITE (wait for every device access)
 * @timeout_ns: relative timeout; 0 polls, negative waits forever
 *
 * Waits for the jobs submitted with @bo in their BO list (implicit
 * synchronisation) and then begins CPU access (DMA_BUF_IOCTL_SYNC, which
 * makes caches coherent where the platform needs it). Pair every
 * successful call with accel_bo_cpu_fini(). Waiting for a job with
 * accel_job_wait() is an alternative when the job is known.
 *
 * Return: 0; -EINVAL for a NULL @bo or bad @access; -ETIME if a job still
 * uses @bo when the timeout passes; -EOPNOTSUPP if the driver cannot export
 * the BO as a dma-buf (needed for this call); -ENODEV if the device is gone.
 */
int accel_bo_cpu_prep(struct accel_bo *bo, uint32_t access,
		      int64_t timeout_ns);

/**
 * accel_bo_cpu_fini() - end CPU access begun by accel_bo_cpu_prep()
 * @bo: the BO
 * @access: the same @access as the accel_bo_cpu_prep() call
 *
 * Return: 0, -EINVAL for a NULL @bo or bad @access, -EOPNOTSUPP as for
 * accel_bo_cpu_prep().
 */
int accel_bo_cpu_fini(struct accel_bo *bo, uint32_t access);

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

/* ------------------------------------------------------------------ */
/* Compute ISA: tensors and compute commands                           */
/* ------------------------------------------------------------------ */

/*
 * Constants of the compute ISA. They equal the device's VNPU_* values
 * (vnpu_device.h, which documents every rule the device applies; the
 * builders below apply the same rules before submission).
 */
#define ACCEL_DT_F32			1 /* IEEE-754 binary32 */
#define ACCEL_DT_BF16			2 /* bfloat16 */
#define ACCEL_DT_I8			3
#define ACCEL_DT_U8			4
#define ACCEL_DT_I32			5

#define ACCEL_QMODE_NONE		0
#define ACCEL_QMODE_TENSOR		1 /* @scale, @zero_point */
#define ACCEL_QMODE_CHANNEL		2 /* @qparams_va[shape[qaxis]] */

#define ACCEL_ACT_NONE			0
#define ACCEL_ACT_RELU			1
#define ACCEL_ACT_RELU6			2
#define ACCEL_ACT_GELU			3
#define ACCEL_ACT_SIGMOID		4
#define ACCEL_ACT_TANH			5
#define ACCEL_ACT_SILU			6

#define ACCEL_ELT_ADD			0
#define ACCEL_ELT_SUB			1
#define ACCEL_ELT_MUL			2
#define ACCEL_ELT_DIV			3
#define ACCEL_ELT_MAX			4
#define ACCEL_ELT_MIN			5

#define ACCEL_RED_SUM			0
#define ACCEL_RED_MEAN			1
#define ACCEL_RED_MAX			2

#define ACCEL_POOL_MAX			0
#define ACCEL_POOL_AVG			1
#define ACCEL_POOL_GLOBAL_MAX		2
#define ACCEL_POOL_GLOBAL_AVG		3

#define ACCEL_SEM_EQ			0 /* sem_wait: word == value */
#define ACCEL_SEM_GE			1 /* sem_wait: word >= value (unsigned) */
#define ACCEL_SEM_SET			0 /* sem_signal: word = value */
#define ACCEL_SEM_ADD			1 /* sem_signal: word += value */
#define ACCEL_SEM_TIMEOUT_MAX_US	1000000u

#define ACCEL_TENSOR_MAX_RANK		4
#define ACCEL_TENSOR_MAX_BYTES		(1ull << 28)

/**
 * struct accel_tensor - a tensor operand (same layout as struct vnpu_tensor)
 * @va: device VA of element (0, .., 0), aligned to the element size
 * @dtype: ACCEL_DT_*
 * @rank: 1 .. 4; 0 marks an absent optional operand (all fields 0)
 * @qmode: ACCEL_QMODE_*
 * @qaxis: per-channel axis (< @rank), else 0
 * @pad: zero
 * @shape: extents, outermost first; entries at index >= @rank are 0
 * @stride: strides in elements; entries at index >= @rank are 0; an input
 *          may use 0 (a repeated element), an output must not overlap
 *          itself
 * @scale: per-tensor scale (ACCEL_QMODE_TENSOR), else 0
 * @zero_point: per-tensor zero point (ACCEL_QMODE_TENSOR), else 0
 * @qparams_va: ACCEL_QMODE_CHANNEL: VA of shape[qaxis] (scale: binary32,
 *              zero point: s32) pairs, 4-byte aligned; else 0
 *
 * accel_tensor_init() fills in a packed (row-major) tensor.
 */
struct accel_tensor {
	uint64_t va;
	uint8_t dtype;
	uint8_t rank;
	uint8_t qmode;
	uint8_t qaxis;
	uint32_t pad;
	uint32_t shape[4];
	uint32_t stride[4];
	float scale;
	int32_t zero_point;
	uint64_t qparams_va;
};

/**
 * accel_tensor_init() - describe a packed row-major tensor
 * @t: the tensor to fill in (every field is written)
 * @va: device VA of its first element
 * @dtype: ACCEL_DT_*
 * @rank: 1 .. 4
 * @shape: @rank extents, outermost first, each >= 1
 *
 * Sets packed strides (the innermost 1) and no quantisation.
 *
 * Return: 0, or -EINVAL for NULL pointers, an unknown @dtype, a @rank out
 * of range, a zero extent, or a tensor above ACCEL_TENSOR_MAX_BYTES.
 */
int accel_tensor_init(struct accel_tensor *t, uint64_t va, uint32_t dtype,
		      uint32_t rank, const uint32_t *shape);

/**
 * accel_tensor_get_span() - bytes a tensor covers
 * @t: the tensor
 * @span: out, offset of its last element plus the element size
 *
 * Return: 0, or -EINVAL for NULL pointers, an unknown dtype or a rank out
 * of range.
 */
int accel_tensor_get_span(const struct accel_tensor *t, uint64_t *span);

/**
 * accel_dtype_get_size() - bytes per element of a data type
 * @dtype: ACCEL_DT_*
 * @size: out, 1, 2 or 4
 *
 * Return: 0, or -EINVAL for NULL @size or an unknown @dtype.
 */
int accel_dtype_get_size(uint32_t dtype, unsigned int *size);

/*
 * Compute commands. Besides the common errors of "Command builders", each
 * validates its tensors (descriptor rules of struct accel_tensor, the
 * element alignment, at most ACCEL_TENSOR_MAX_BYTES, with a device every
 * operand inside one mapped range: -EFAULT otherwise) and the rules of
 * its opcode, returning -EINVAL for anything the device would reject with
 * BAD_TENSOR, BAD_DTYPE, BAD_QUANT or BAD_CMD: wrong shapes, dtype
 * combinations, quantisation parameters (scale finite and > 0, zero point
 * representable), an output that overlaps an input (in-place is allowed
 * where stated) and bad parameters. -EOPNOTSUPP if the device lacks the
 * opcode or a data type. Optional operands may be NULL.
 */

/**
 * accel_cmdbuf_barrier() - append a BARRIER (earlier writes visible first)
 * @cb: the builder
 *
 * Return: 0 or a negative errno (see "Command builders").
 */
int accel_cmdbuf_barrier(struct accel_cmdbuf *cb);

/**
 * accel_cmdbuf_sem_wait() - append a SEM_WAIT on a u32 in device memory
 * @cb: the builder
 * @va: the word, 4-byte aligned
 * @op: ACCEL_SEM_EQ or ACCEL_SEM_GE
 * @value: the value compared with
 * @timeout_us: 1 .. ACCEL_SEM_TIMEOUT_MAX_US, or 0 for the maximum; the
 *              job fails when it passes (device status "semaphore wait
 *              timed out", see accel_hw_status_get_name())
 *
 * Return: 0 or a negative errno; -EINVAL for a bad @op, alignment or
 * @timeout_us.
 */
int accel_cmdbuf_sem_wait(struct accel_cmdbuf *cb, uint64_t va, uint32_t op,
			  uint32_t value, uint32_t timeout_us);

/**
 * accel_cmdbuf_sem_signal() - append a SEM_SIGNAL (atomic set or add)
 * @cb: the builder
 * @va: the word, 4-byte aligned
 * @op: ACCEL_SEM_SET or ACCEL_SEM_ADD
 * @value: the value stored or added
 *
 * Return: 0 or a negative errno; -EINVAL for a bad @op or alignment.
 */
int accel_cmdbuf_sem_signal(struct accel_cmdbuf *cb, uint64_t va,
			    uint32_t op, uint32_t value);

/**
 * accel_cmdbuf_copy_nd() - append a COPY_ND (strided copy / permutation)
 * @cb: the builder
 * @dst: destination; dst.shape[k] == src.shape[perm[k]]
 * @src: source, same rank and dtype, both without quantisation
 * @perm: permutation of 0 .. rank - 1 (entries >= rank must be 0), or
 *        NULL for the identity
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_copy_nd(struct accel_cmdbuf *cb,
			 const struct accel_tensor *dst,
			 const struct accel_tensor *src,
			 const uint8_t perm[4]);

/**
 * accel_cmdbuf_gemm() - append a GEMM: out = act(a x b + bias)
 * @cb: the builder
 * @out: [.., M, N]
 * @a: [.., M, K]
 * @b: [.., K, N]; batch dimensions of @a and @b are each equal to out's
 *     or 1 (rank 2 to 4, right-aligned)
 * @bias: [N] or NULL
 * @act: ACCEL_ACT_*
 *
 * Dtypes (a, b, bias, out): F32 throughout; BF16, BF16, F32/BF16,
 * F32/BF16; or I8/U8 (per-tensor quantised), I8/U8 (per-tensor, or
 * per-channel on axis N), I32, I8/U8 quantised (per-tensor or per-channel
 * on axis N) or I32 raw (no quantisation, act NONE). An I8/U8 operand
 * without quantisation counts as scale 1, zero point 0.
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_gemm(struct accel_cmdbuf *cb, const struct accel_tensor *out,
		      const struct accel_tensor *a,
		      const struct accel_tensor *b,
		      const struct accel_tensor *bias, uint32_t act);

/**
 * struct accel_conv2d_params - geometry of accel_cmdbuf_conv2d()
 * @stride_h: vertical stride, >= 1
 * @stride_w: horizontal stride, >= 1
 * @dil_h: vertical dilation, >= 1
 * @dil_w: horizontal dilation, >= 1
 * @pad_top: rows of zero padding above, <= 1024
 * @pad_bottom: rows below, <= 1024
 * @pad_left: columns left, <= 1024
 * @pad_right: columns right, <= 1024
 * @groups: >= 1, divides C and OC (groups == C == OC: depthwise)
 * @act: ACCEL_ACT_*
 */
struct accel_conv2d_params {
	uint16_t stride_h, stride_w;
	uint16_t dil_h, dil_w;
	uint16_t pad_top, pad_bottom;
	uint16_t pad_left, pad_right;
	uint32_t groups;
	uint32_t act;
};

/**
 * accel_cmdbuf_conv2d() - append a CONV2D (NHWC)
 * @cb: the builder
 * @out: [N, OH, OW, OC], OH = (H + pads - dil_h * (KH - 1) - 1) / stride_h
 *       + 1, likewise OW
 * @in: [N, H, W, C]
 * @weight: [OC, KH, KW, C / groups]
 * @bias: [OC] or NULL
 * @p: geometry
 *
 * Dtypes as for accel_cmdbuf_gemm() (@weight plays b; per-channel on axis
 * 0 of @weight and axis 3 of @out).
 *
 * Return: 0 or a negative errno (see "Compute commands"); -EINVAL for a
 * NULL @p.
 */
int accel_cmdbuf_conv2d(struct accel_cmdbuf *cb,
			const struct accel_tensor *out,
			const struct accel_tensor *in,
			const struct accel_tensor *weight,
			const struct accel_tensor *bias,
			const struct accel_conv2d_params *p);

/**
 * accel_cmdbuf_eltwise() - append an ELTWISE: out = act(a op b)
 * @cb: the builder
 * @op: ACCEL_ELT_*
 * @out: the result; may be exactly @a or @b (in place)
 * @a: first operand, broadcast (right-aligned, dimensions equal or 1)
 * @b: second operand, broadcast likewise
 * @act: ACCEL_ACT_* (NONE for I32)
 *
 * All three have one dtype: F32, BF16, I8/U8 (per-tensor quantisation or
 * none) or I32 (no quantisation, act NONE).
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_eltwise(struct accel_cmdbuf *cb, uint32_t op,
			 const struct accel_tensor *out,
			 const struct accel_tensor *a,
			 const struct accel_tensor *b, uint32_t act);

/**
 * accel_cmdbuf_activation() - append an ACTIVATION: out = act(in)
 * @cb: the builder
 * @out: same shape and dtype as @in; may be @in (in place)
 * @in: F32, BF16 or per-tensor quantised I8/U8
 * @act: ACCEL_ACT_*, not NONE
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_activation(struct accel_cmdbuf *cb,
			    const struct accel_tensor *out,
			    const struct accel_tensor *in, uint32_t act);

/**
 * accel_cmdbuf_softmax() - append a SOFTMAX along one axis
 * @cb: the builder
 * @out: same shape and dtype as @in, not overlapping it
 * @in: F32, BF16 or per-tensor quantised I8/U8
 * @axis: < rank
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_softmax(struct accel_cmdbuf *cb,
			 const struct accel_tensor *out,
			 const struct accel_tensor *in, uint32_t axis);

/**
 * accel_cmdbuf_reduce() - append a REDUCE over a set of axes
 * @cb: the builder
 * @out: in's rank and dtype, reduced dimensions 1
 * @in: F32, BF16 or per-tensor quantised I8/U8
 * @op: ACCEL_RED_*
 * @axes: bit i reduces axis i; at least one, all < rank
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_reduce(struct accel_cmdbuf *cb,
			const struct accel_tensor *out,
			const struct accel_tensor *in, uint32_t op,
			uint32_t axes);

/**
 * accel_cmdbuf_layernorm() - append a LAYERNORM over the innermost axis
 * @cb: the builder
 * @out: same shape and dtype as @in
 * @in: F32, BF16 or per-tensor quantised I8/U8, innermost extent C
 * @gamma: [C] or NULL (1): F32 or BF16
 * @beta: [C] or NULL (0): F32 or BF16
 * @eps: finite, >= 0
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_layernorm(struct accel_cmdbuf *cb,
			   const struct accel_tensor *out,
			   const struct accel_tensor *in,
			   const struct accel_tensor *gamma,
			   const struct accel_tensor *beta, float eps);

/**
 * accel_cmdbuf_rmsnorm() - append an RMSNORM over the innermost axis
 * @cb: the builder
 * @out: as for accel_cmdbuf_layernorm()
 * @in: as for accel_cmdbuf_layernorm()
 * @gamma: as for accel_cmdbuf_layernorm()
 * @beta: as for accel_cmdbuf_layernorm()
 * @eps: finite, >= 0
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_rmsnorm(struct accel_cmdbuf *cb,
			 const struct accel_tensor *out,
			 const struct accel_tensor *in,
			 const struct accel_tensor *gamma,
			 const struct accel_tensor *beta, float eps);

/**
 * struct accel_pool2d_params - geometry of accel_cmdbuf_pool2d()
 * @kernel_h: window height, >= 1 (0 for the GLOBAL modes)
 * @kernel_w: window width, >= 1 (0 for the GLOBAL modes)
 * @stride_h: >= 1 (0 for the GLOBAL modes)
 * @stride_w: >= 1 (0 for the GLOBAL modes)
 * @pad_top: < kernel_h (0 for the GLOBAL modes)
 * @pad_bottom: < kernel_h
 * @pad_left: < kernel_w
 * @pad_right: < kernel_w
 * @mode: ACCEL_POOL_*
 */
struct accel_pool2d_params {
	uint16_t kernel_h, kernel_w;
	uint16_t stride_h, stride_w;
	uint16_t pad_top, pad_bottom;
	uint16_t pad_left, pad_right;
	uint32_t mode;
};

/**
 * accel_cmdbuf_pool2d() - append a POOL2D (NHWC)
 * @cb: the builder
 * @out: [N, OH, OW, C] (OH = (H + pads - kernel_h) / stride_h + 1; 1 for
 *       the GLOBAL modes), dtype of @in
 * @in: [N, H, W, C]: F32, BF16 or per-tensor quantised I8/U8
 * @p: geometry and mode
 *
 * Return: 0 or a negative errno (see "Compute commands"); -EINVAL for a
 * NULL @p.
 */
int accel_cmdbuf_pool2d(struct accel_cmdbuf *cb,
			const struct accel_tensor *out,
			const struct accel_tensor *in,
			const struct accel_pool2d_params *p);

/**
 * accel_cmdbuf_quantize() - append a QUANTIZE (float to quantised integer)
 * @cb: the builder
 * @out: I8/U8/I32, per-tensor or per-channel quantised, in's shape
 * @in: F32 or BF16, no quantisation
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_quantize(struct accel_cmdbuf *cb,
			  const struct accel_tensor *out,
			  const struct accel_tensor *in);

/**
 * accel_cmdbuf_dequantize() - append a DEQUANTIZE (quantised to float)
 * @cb: the builder
 * @out: F32 or BF16, no quantisation, in's shape
 * @in: I8/U8/I32, per-tensor or per-channel quantised
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_dequantize(struct accel_cmdbuf *cb,
			    const struct accel_tensor *out,
			    const struct accel_tensor *in);

/**
 * accel_cmdbuf_cast() - append a CAST (any dtype to any dtype)
 * @cb: the builder
 * @out: in's shape, no quantisation; may be @in (in place, same dtype size)
 * @in: no quantisation
 *
 * Return: 0 or a negative errno (see "Compute commands").
 */
int accel_cmdbuf_cast(struct accel_cmdbuf *cb, const struct accel_tensor *out,
		      const struct accel_tensor *in);

/**
 * accel_cmdbuf_append_stream() - append an encoded command stream
 * @cb: the builder
 * @data: commands as the device reads them (for example the stream of
 *        another builder, accel_cmdbuf_get_stream(), saved to a file)
 * @size: bytes, a multiple of 8
 * @bad_offset: out (may be NULL), on failure the byte offset of the
 *              command that was refused
 *
 * Decodes every command and appends it through its builder, so that the
 * same checks apply as to commands built one by one (and, with a device,
 * the BOs they touch are tracked). All or nothing: on error @cb is left as
 * it was.
 *
 * Return: 0; -EINVAL for a NULL @cb, NULL @data with @size > 0, or @size
 * not a multiple of 8; -EBADMSG for a malformed stream (truncated command,
 * unknown opcode, a length that does not match the opcode, non-zero header
 * flags or reserved fields); otherwise the error of the refused command's
 * builder.
 */
int accel_cmdbuf_append_stream(struct accel_cmdbuf *cb, const void *data,
			       size_t size, size_t *bad_offset);

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
 * @out_sync_count: entries of @out_syncs, 0 .. ACCEL_MAX_SYNCS - 1 (the
 *                  library signals one more syncobj: the job's own, see
 *                  accel_job_get_syncobj())
 * @out_syncs: syncobjs signalled with the job's fence when it ends
 * @flags: ACCEL_SUBMIT_* flags
 * @priority: ACCEL_PRIORITY_*; 0 (DEFAULT) is NORMAL
 * @in_fence_fd: with ACCEL_SUBMIT_IN_FENCE_FD, a sync_file descriptor the
 *               job also waits for (not consumed; it then takes one of the
 *               ACCEL_MAX_SYNCS in-sync slots)
 * @reserved: must be 0 (room for later options)
 */
struct accel_submit_opts {
	const struct accel_sync *in_syncs;
	uint32_t in_sync_count;
	uint32_t out_sync_count;
	const struct accel_sync *out_syncs;
	uint32_t flags;
	uint32_t priority;
	int32_t in_fence_fd;
	uint32_t reserved[5];
};

/* &accel_submit_opts.flags: @in_fence_fd is valid. */
#define ACCEL_SUBMIT_IN_FENCE_FD	(1u << 0)
/*
 * &accel_submit_opts.flags, for testing recovery only: the job hangs its
 * engine and never ends by itself, so the driver's hang detection resets
 * the device. Accepted only while the vnpu module parameter fault_inject
 * is 1 (root only); otherwise accel_job_submit() fails with -EINVAL.
 */
#define ACCEL_SUBMIT_INJECT_HANG	(1u << 1)

/*
 * Job priorities (&accel_submit_opts.priority, accel_device_set_priority()).
 * The scheduling priority belongs to the device handle (its context); a
 * job takes the one in force when it is submitted. DEFAULT keeps the
 * handle's current priority (initially NORMAL). A driver without
 * priorities (no ACCEL_FEATURE_PRIORITY) runs every job at NORMAL and
 * refuses LOW and HIGH with -EOPNOTSUPP. HIGH needs CAP_SYS_NICE (-EPERM).
 */
#define ACCEL_PRIORITY_DEFAULT		0
#define ACCEL_PRIORITY_LOW		1
#define ACCEL_PRIORITY_NORMAL		2
#define ACCEL_PRIORITY_HIGH		3

/**
 * accel_device_set_priority() - set the scheduling priority of a handle
 * @dev: the device
 * @priority: ACCEL_PRIORITY_* (DEFAULT means NORMAL here)
 *
 * Applies to the jobs submitted afterwards on every queue; jobs already
 * submitted keep their priority.
 *
 * Return: 0; -EINVAL for a NULL @dev or an unknown @priority; -EOPNOTSUPP
 * if the driver has no priorities and @priority is not NORMAL; -EPERM for
 * HIGH without CAP_SYS_NICE.
 */
int accel_device_set_priority(struct accel_device *dev, uint32_t priority);

/**
 * accel_job_submit() - run a command buffer on the device
 * @dev: the device
 * @cb: the commands, built for @dev
 * @queue: hardware queue, 0 .. ACCEL_PARAM_NUM_QUEUES - 1
 * @opts: syncobjs to wait on and to signal, or NULL for none
 * @job: out (may be NULL), the job; free it with accel_job_free()
 *
 * Copies the stream into a BO (reusing the previous submission's BO while
 * @cb has not changed since) and submits it with @cb's BO list. The
 * job starts once every in-sync has signalled and every BO in the list is
 * idle for it. @cb is not changed and can be submitted again or freed.
 *
 * With @job, the job's fence is also attached to a syncobj of its own
 * (accel_job_get_syncobj(), accel_job_export_sync_file()).
 *
 * Return: 0; -EINVAL for NULL @dev/@cb, bad @opts (unknown flags, non-zero
 * reserved fields, too many syncs, NULL arrays with non-zero counts, bad
 * sync flags or points, an unknown priority, a negative or non-sync_file
 * @in_fence_fd) or a @queue out of range; -EOPNOTSUPP for a priority the
 * driver cannot honour, -EPERM for HIGH without CAP_SYS_NICE; -EXDEV if
 * @cb was built
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
 *              ACCEL_ERROR_RESET (aborted by a reset and not run again),
 *              -ENODEV (the device went away while the job was pending);
 *              the compute ISA's other device errors (bad tensor, dtype
 *              or quantisation, semaphore timeout) are reported by the
 *              driver as -EINVAL or -EIO: accel_job_get_hw_status() and
 *              accel_hw_status_get_name() give the device's exact code
 *
 * The timeout is converted to the absolute CLOCK_MONOTONIC deadline the
 * driver takes, so it is not extended by signal restarts. Once a job has
 * ended, its result is cached and later calls return at once. Before it
 * sleeps, the call checks for completion without sleeping for up to
 * ACCEL_POLL_US microseconds (environment; default 50, 0 turns polling
 * off, at most 100000), which saves a short job the wake-up of a sleeping
 * task.
 *
 * Return: 0 when the job has ended (its outcome is in @job_status);
 * -ETIME if it is still running when the timeout passes; -EINVAL if @job
 * is NULL; -ENOENT if the driver no longer retains the job's result (more
 * than 1024 later jobs of the device handle ended before the first wait);
 * -ENODEV if the device is gone. A signal does not end the wait early: the
 * call is restarted with the same deadline.
 */
int accel_job_wait(struct accel_job *job, int64_t timeout_ns, int *job_status);

/* Most jobs accel_job_wait_many() takes. */
#define ACCEL_WAIT_MANY_MAX		64
/* accel_job_wait_many(): wait for every job (default: for any one). */
#define ACCEL_WAIT_ALL			(1u << 0)

/**
 * accel_job_wait_many() - wait for any or all of several jobs
 * @jobs: jobs of one device handle
 * @count: entries of @jobs, 1 .. ACCEL_WAIT_MANY_MAX
 * @flags: 0 to return when any job has ended, ACCEL_WAIT_ALL to wait for
 *         all of them
 * @timeout_ns: relative timeout; 0 polls, negative waits forever
 * @first: out (may be NULL), without ACCEL_WAIT_ALL the index of a job
 *         that has ended
 *
 * One drmSyncobjWait() on the jobs' own syncobjs. It reports that jobs
 * ended, not how: call accel_job_wait() with a zero timeout on a job for
 * its status.
 *
 * Return: 0; -ETIME if the timeout passed first; -EINVAL for a NULL or
 * empty @jobs, too many jobs, a NULL entry or unknown @flags; -EXDEV if
 * the jobs belong to different device handles.
 */
int accel_job_wait_many(struct accel_job *const *jobs, unsigned int count,
			uint32_t flags, int64_t timeout_ns,
			unsigned int *first);

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
 * accel_job_get_syncobj() - the job's own syncobj
 * @job: the job
 * @handle: out, a binary syncobj signalled when the job ends; owned by the
 *          job (destroyed by accel_job_free()). Pass it as an in-sync of
 *          another job of the same device handle to order the two.
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_job_get_syncobj(const struct accel_job *job, uint32_t *handle);

/**
 * accel_job_export_sync_file() - the job's fence as a sync_file
 * @job: the job
 * @sync_file_fd: out, a new sync_file descriptor that signals when the job
 *                ends (poll(2) it for POLLIN); close it when done
 *
 * Return: 0, -EINVAL for NULL arguments, -EMFILE, -ENOMEM.
 */
int accel_job_export_sync_file(const struct accel_job *job,
			       int *sync_file_fd);

/**
 * accel_hw_status_get_name() - describe a device completion code
 * @hw_status: a code from accel_job_get_hw_status()
 * @name: out, e.g. "MMU fault", "bad tensor", "semaphore wait timed out"
 *        (static storage)
 *
 * The device's code is finer than the job status: several codes map to
 * the same errno.
 *
 * Return: 0, -EINVAL if @name is NULL, -ERANGE for an unknown code.
 */
int accel_hw_status_get_name(uint32_t hw_status, const char **name);

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

/* ------------------------------------------------------------------ */
/* Telemetry (the driver's generic netlink family "vnpu")             */
/* ------------------------------------------------------------------ */

struct accel_telemetry;
struct accel_events;

/* Most queues reported per device or context. */
#define ACCEL_STATS_MAX_QUEUES		8

/**
 * struct accel_queue_stats - statistics of one hardware queue
 * @index: queue index (the @queue of accel_job_submit())
 * @active: jobs in the queue's ring now (device statistics only)
 * @name: engine name as in fdinfo ("q0", ...)
 * @busy_ns: device time used by jobs of this queue
 * @jobs_completed: jobs that ended successfully
 * @jobs_failed: jobs that ended with an error
 */
struct accel_queue_stats {
	uint32_t index;
	uint32_t active;
	char name[16];
	uint64_t busy_ns;
	uint64_t jobs_completed;
	uint64_t jobs_failed;
};

/**
 * struct accel_device_stats - statistics of one device
 * @dev_index: N of /dev/accel/accelN
 * @num_queues: hardware queues
 * @pci_address: PCI address
 * @num_engines: execution engines
 * @contexts: open contexts (device handles of every process)
 * @busy_ns: engine busy time, summed over engines
 * @jobs_submitted: jobs accepted
 * @jobs_completed: jobs that ended successfully
 * @jobs_failed: jobs that ended with an error
 * @hw_jobs: jobs the device ran (replays after a reset count again)
 * @bytes: bytes moved by the device's commands
 * @macs: multiply-accumulates done
 * @energy_pj: modelled energy, picojoules
 * @resets: device resets
 * @hangs: jobs that timed out
 * @faults: MMU faults
 * @mem_used: bytes of buffer objects of every context
 * @dead: 1 if the device failed to recover from a reset
 * @nqueues: valid entries of @queues
 * @queues: per-queue statistics
 *
 * Counters count from the driver's probe of the device.
 */
struct accel_device_stats {
	uint32_t dev_index;
	uint32_t num_queues;
	char pci_address[32];
	uint32_t num_engines;
	uint32_t contexts;
	uint64_t busy_ns;
	uint64_t jobs_submitted;
	uint64_t jobs_completed;
	uint64_t jobs_failed;
	uint64_t hw_jobs;
	uint64_t bytes;
	uint64_t macs;
	uint64_t energy_pj;
	uint64_t resets;
	uint64_t hangs;
	uint64_t faults;
	uint64_t mem_used;
	uint32_t dead;
	uint32_t nqueues;
	struct accel_queue_stats queues[ACCEL_STATS_MAX_QUEUES];
};

/**
 * struct accel_context_stats - statistics of one context (open handle)
 * @dev_index: N of /dev/accel/accelN
 * @ctx_id: the context id (ACCEL_PARAM_CONTEXT_ID of its handle)
 * @pid: process that owns the file
 * @nqueues: valid entries of @queues
 * @comm: that process's command name
 * @client_id: the file's drm-client-id (as in /proc/PID/fdinfo)
 * @jobs_submitted: jobs submitted
 * @jobs_completed: jobs that ended successfully
 * @jobs_failed: jobs that ended with an error
 * @busy_ns: device time its jobs used
 * @mem: bytes of buffer objects it owns
 * @faults: MMU faults its jobs caused
 * @queues: per-queue statistics of this context
 */
struct accel_context_stats {
	uint32_t dev_index;
	uint32_t ctx_id;
	uint32_t pid;
	uint32_t nqueues;
	char comm[32];
	uint64_t client_id;
	uint64_t jobs_submitted;
	uint64_t jobs_completed;
	uint64_t jobs_failed;
	uint64_t busy_ns;
	uint64_t mem;
	uint64_t faults;
	struct accel_queue_stats queues[ACCEL_STATS_MAX_QUEUES];
};

/**
 * accel_telemetry_open() - connect to the driver's statistics
 * @t: out, the handle; close it with accel_telemetry_close()
 *
 * Opens a generic netlink socket (libnl-genl) and resolves the "vnpu"
 * family. No privileges are needed. A handle may be used from several
 * threads (requests are serialised).
 *
 * Return: 0; -EINVAL if @t is NULL; -EPROTONOSUPPORT if the family is not
 * registered (vnpu.ko not loaded, or without telemetry); -ENOMEM; another
 * negative errno from the socket.
 */
int accel_telemetry_open(struct accel_telemetry **t);

/**
 * accel_telemetry_close() - close a telemetry handle
 * @t: the handle, or NULL
 */
void accel_telemetry_close(struct accel_telemetry *t);

/**
 * accel_telemetry_get_devices() - statistics of vnpu devices
 * @t: the handle
 * @dev_index: N of /dev/accel/accelN to report only that device, or -1
 *             for every device
 * @stats: out, room for @max entries (may be NULL if @max is 0)
 * @max: entries of @stats
 * @count: out, number of devices reported (may exceed @max: only the
 *         first @max were stored; call again with more room)
 *
 * A dump that a device or process coming or going interrupts is repeated
 * (a few times) for a consistent view.
 *
 * Return: 0; -EINVAL for NULL @t/@count or NULL @stats with @max > 0;
 * -ENODEV if @dev_index names no vnpu device; -EAGAIN if every attempt
 * was interrupted; another negative errno.
 */
int accel_telemetry_get_devices(struct accel_telemetry *t, int dev_index,
				struct accel_device_stats *stats,
				unsigned int max, unsigned int *count);

/**
 * accel_telemetry_get_contexts() - statistics of open contexts
 * @t: the handle
 * @dev_index: N of /dev/accel/accelN, or -1 for every device
 * @pid: a process id (in the caller's PID namespace) to report only its
 *       contexts (per-process statistics), or 0 for every process
 * @stats: out, room for @max entries (may be NULL if @max is 0)
 * @max: entries of @stats
 * @count: out, number of contexts reported (may exceed @max)
 *
 * Return: as accel_telemetry_get_devices().
 */
int accel_telemetry_get_contexts(struct accel_telemetry *t, int dev_index,
				 int pid, struct accel_context_stats *stats,
				 unsigned int max, unsigned int *count);

/**
 * accel_device_get_index() - N of the /dev/accel/accelN a handle uses
 * @dev: the device
 * @index: out, N (the @dev_index of telemetry)
 *
 * Return: 0, -EINVAL for NULL arguments, -ENOENT if the device node's
 * name is not accelN.
 */
int accel_device_get_index(const struct accel_device *dev,
			   unsigned int *index);

/**
 * accel_device_get_stats() - statistics of the device of a handle
 * @dev: the device
 * @stats: out
 *
 * A convenience wrapper of accel_telemetry_get_devices() (opens and closes
 * a telemetry handle).
 *
 * Return: 0, -EINVAL for NULL arguments, or an error of
 * accel_telemetry_open() or accel_telemetry_get_devices().
 */
int accel_device_get_stats(struct accel_device *dev,
			   struct accel_device_stats *stats);

/**
 * accel_device_get_context_stats() - statistics of a handle's own context
 * @dev: the device
 * @stats: out
 *
 * Return: 0; -EINVAL for NULL arguments; -ENOENT if the driver does not
 * report the context; or an error of accel_telemetry_open() or
 * accel_telemetry_get_contexts().
 */
int accel_device_get_context_stats(struct accel_device *dev,
				   struct accel_context_stats *stats);

/* &accel_event.type */
#define ACCEL_EVENT_RESET		1 /* the device was reset */
#define ACCEL_EVENT_FAULT		2 /* the device's MMU faulted */
#define ACCEL_EVENT_HANG		3 /* a job hung (a RESET follows) */
#define ACCEL_EVENT_UNPLUG		4 /* the device is going away */

/* &accel_event.valid bits: which optional fields were reported. */
#define ACCEL_EVENT_HAS_CTX		(1u << 0) /* @ctx_id */
#define ACCEL_EVENT_HAS_PID		(1u << 1) /* @pid */
#define ACCEL_EVENT_HAS_QUEUE		(1u << 2) /* @queue */
#define ACCEL_EVENT_HAS_JOB		(1u << 3) /* @job_id */
#define ACCEL_EVENT_HAS_FAULT		(1u << 4) /* @fault_va, @fault_access */

/**
 * struct accel_event - a driver event
 * @type: ACCEL_EVENT_*
 * @dev_index: N of /dev/accel/accelN
 * @pci_address: PCI address of the device
 * @time_ns: CLOCK_MONOTONIC time of the event
 * @ctx_id: context concerned (FAULT, HANG)
 * @pid: process owning that context, if it is still open (FAULT)
 * @queue: hardware queue concerned (FAULT, HANG)
 * @error: RESET: 0, or the error when the device did not come back
 * @job_id: HANG: the job (as its owner's accel_job_get_id())
 * @fault_va: FAULT: the faulting device VA
 * @fault_access: FAULT: 1 read, 2 write, 4 execute
 * @valid: ACCEL_EVENT_HAS_* bits
 * @resets: RESET: the device's reset count after this reset
 */
struct accel_event {
	uint32_t type;
	uint32_t dev_index;
	char pci_address[32];
	uint64_t time_ns;
	uint32_t ctx_id;
	uint32_t pid;
	uint32_t queue;
	int32_t error;
	uint64_t job_id;
	uint64_t fault_va;
	uint32_t fault_access;
	uint32_t valid;
	uint64_t resets;
};

/**
 * accel_events_open() - subscribe to driver events
 * @ev: out, the subscription; close it with accel_events_close()
 *
 * Joins the "events" multicast group of the "vnpu" netlink family: every
 * reset, MMU fault, hang and unplug of every vnpu device is reported from
 * now on. Poll accel_events_get_fd() and call accel_events_next(), or call
 * accel_events_next() with a timeout. One thread at a time.
 *
 * Return: 0; -EINVAL if @ev is NULL; -EPROTONOSUPPORT if the family or
 * its group is not registered; -ENOMEM; another negative errno.
 */
int accel_events_open(struct accel_events **ev);

/**
 * accel_events_close() - end a subscription
 * @ev: the subscription, or NULL
 */
void accel_events_close(struct accel_events *ev);

/**
 * accel_events_get_fd() - descriptor to poll for events
 * @ev: the subscription
 * @fd: out, a non-blocking netlink socket owned by @ev
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_events_get_fd(const struct accel_events *ev, int *fd);

/**
 * accel_events_next() - the next event
 * @ev: the subscription
 * @event: out, the event
 * @timeout_ns: relative timeout; 0 polls, negative waits forever
 *
 * Return: 0 with an event; -ETIME if none arrived in time; -ENOBUFS if
 * events were lost (the socket overran; later calls continue with newer
 * events); -EINVAL for NULL arguments; another negative errno.
 */
int accel_events_next(struct accel_events *ev, struct accel_event *event,
		      int64_t timeout_ns);

/**
 * accel_event_get_name() - short name of an event type
 * @type: ACCEL_EVENT_*
 * @name: out, "reset", "fault", "hang" or "unplug" (static storage)
 *
 * Return: 0, -EINVAL if @name is NULL, -ERANGE for an unknown @type.
 */
int accel_event_get_name(uint32_t type, const char **name);

#if defined(__cplusplus)
}
#endif

#include "accel_model.h"	/* compiled models: accel_model_* */

#endif /* LIBACCEL_ACCEL_H */
