/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __UAPI_VNPU_GENL_H__
#define __UAPI_VNPU_GENL_H__

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: vnpu generic netlink family
 *
 * vnpu.ko registers the generic netlink family %VNPU_GENL_FAMILY_NAME
 * ("vnpu"), version %VNPU_GENL_VERSION, in the initial network namespace.
 * Resolve its id and the id of the multicast group %VNPU_GENL_MCGRP_EVENTS
 * ("events") with the nlctrl family (libnl: genl_ctrl_resolve() and
 * genl_ctrl_resolve_grp()).
 *
 * Commands:
 *
 * %VNPU_GENL_CMD_DEV_GET: statistics of vnpu devices. As a dump
 * (NLM_F_DUMP), one reply per device; %VNPU_GENL_A_DEV_INDEX may be given
 * to restrict the dump to one device. Without NLM_F_DUMP,
 * %VNPU_GENL_A_DEV_INDEX is required and one reply is sent.
 *
 * %VNPU_GENL_CMD_CTX_GET: statistics of the open contexts (one per open
 * file of /dev/accel/accelN). As a dump, one reply per context;
 * %VNPU_GENL_A_DEV_INDEX and %VNPU_GENL_A_CTX_PID may be given to keep only
 * the contexts of one device and/or of one process. Without NLM_F_DUMP,
 * %VNPU_GENL_A_DEV_INDEX and %VNPU_GENL_A_CTX_ID are required, and
 * %VNPU_GENL_A_CTX_PID, if given, must match too.
 *
 * A dump that a device or file coming or going interrupted has
 * NLM_F_DUMP_INTR set on a reply; repeat it for a consistent view.
 *
 * %VNPU_GENL_CMD_EVENT: never requested; sent by the driver to the
 * "events" group, see &enum vnpu_genl_event.
 *
 * Every reply carries the command it answers in the generic netlink
 * header. Counters are 64-bit (padded with %VNPU_GENL_A_PAD) and count
 * from the device's probe; they never go backwards while the device is
 * bound. Nobody needs privileges to read statistics or to join "events".
 *
 * Errors (the netlink error message's error, with an extended ACK message
 * naming the attribute where one is at fault):
 *
 * - -EINVAL: an attribute of an unknown type, of the wrong size, a
 *   reply-only attribute in a request, trailing bytes, or a required
 *   attribute missing.
 * - -ERANGE: %VNPU_GENL_A_CTX_ID or %VNPU_GENL_A_CTX_PID is 0 (or
 *   %VNPU_GENL_A_CTX_ID is 65536 or more).
 * - -ENODEV: %VNPU_GENL_A_DEV_INDEX names no bound vnpu device (also for a
 *   dump restricted to that device).
 * - -ENOENT: %VNPU_GENL_CMD_CTX_GET without NLM_F_DUMP, and no open context
 *   has that id on that device (and that %VNPU_GENL_A_CTX_PID, if given).
 * - -EOPNOTSUPP: an unknown command, or %VNPU_GENL_CMD_EVENT sent to the
 *   kernel.
 */

#define VNPU_GENL_FAMILY_NAME		"vnpu"
#define VNPU_GENL_VERSION		1
#define VNPU_GENL_MCGRP_EVENTS		"events"

/**
 * enum vnpu_genl_cmd - generic netlink commands of the "vnpu" family
 * @VNPU_GENL_CMD_UNSPEC: invalid
 * @VNPU_GENL_CMD_DEV_GET: device statistics (doit and dump)
 * @VNPU_GENL_CMD_CTX_GET: context statistics (doit and dump)
 * @VNPU_GENL_CMD_EVENT: notification on the "events" multicast group
 * @__VNPU_GENL_CMD_MAX: number of commands
 * @VNPU_GENL_CMD_MAX: highest command
 */
enum vnpu_genl_cmd {
	VNPU_GENL_CMD_UNSPEC,
	VNPU_GENL_CMD_DEV_GET,
	VNPU_GENL_CMD_CTX_GET,
	VNPU_GENL_CMD_EVENT,

	__VNPU_GENL_CMD_MAX,
	VNPU_GENL_CMD_MAX = __VNPU_GENL_CMD_MAX - 1
};

/**
 * enum vnpu_genl_event - value of %VNPU_GENL_A_EVENT_TYPE
 * @VNPU_GENL_EVENT_UNSPEC: invalid
 * @VNPU_GENL_EVENT_RESET: the device was reset (after a hang, or through
 *	debugfs). %VNPU_GENL_A_DEV_RESETS holds the new reset count and
 *	%VNPU_GENL_A_EVENT_ERROR 0, or the reset's error when the device did
 *	not come back (it then fails every job).
 * @VNPU_GENL_EVENT_FAULT: the device's MMU faulted. %VNPU_GENL_A_CTX_ID
 *	is the faulting context, %VNPU_GENL_A_EVENT_QUEUE the queue,
 *	%VNPU_GENL_A_FAULT_VA the device VA and %VNPU_GENL_A_FAULT_ACCESS the
 *	access (VNPU_ACCESS_* of vnpu_device.h). %VNPU_GENL_A_CTX_PID (in
 *	the initial PID namespace) is present when the context is still open.
 * @VNPU_GENL_EVENT_HANG: a job did not complete in time; a
 *	%VNPU_GENL_EVENT_RESET follows. %VNPU_GENL_A_CTX_ID,
 *	%VNPU_GENL_A_EVENT_QUEUE and %VNPU_GENL_A_EVENT_JOB_ID name the job.
 * @VNPU_GENL_EVENT_UNPLUG: the device is going away (PCI remove or
 *	driver unbind); the last event of this %VNPU_GENL_A_DEV_INDEX.
 * @__VNPU_GENL_EVENT_MAX: number of event types
 *
 * Every event has %VNPU_GENL_A_EVENT_TYPE, %VNPU_GENL_A_DEV_INDEX,
 * %VNPU_GENL_A_DEV_PCI_ADDR and %VNPU_GENL_A_EVENT_TIME_NS.
 */
enum vnpu_genl_event {
	VNPU_GENL_EVENT_UNSPEC,
	VNPU_GENL_EVENT_RESET,
	VNPU_GENL_EVENT_FAULT,
	VNPU_GENL_EVENT_HANG,
	VNPU_GENL_EVENT_UNPLUG,

	__VNPU_GENL_EVENT_MAX
};

/**
 * enum vnpu_genl_attr - attributes of the "vnpu" family
 * @VNPU_GENL_A_UNSPEC: invalid
 * @VNPU_GENL_A_PAD: padding for 64-bit attributes; ignore it
 *
 * @VNPU_GENL_A_DEV_INDEX: u32, request and reply: N of /dev/accel/accelN
 * @VNPU_GENL_A_DEV_PCI_ADDR: string, the PCI address ("0000:00:03.0")
 * @VNPU_GENL_A_DEV_NUM_QUEUES: u32, hardware queues
 * @VNPU_GENL_A_DEV_NUM_ENGINES: u32, execution engines
 * @VNPU_GENL_A_DEV_QUEUE: nested, one per hardware queue, in queue order;
 *	holds &enum vnpu_genl_queue_attr
 * @VNPU_GENL_A_DEV_BUSY_NS: u64, time the engines were busy, in ns,
 *	summed over the engines (device counter CNT_BUSY_NS)
 * @VNPU_GENL_A_DEV_JOBS_SUBMITTED: u64, jobs accepted by SUBMIT
 * @VNPU_GENL_A_DEV_JOBS_COMPLETED: u64, jobs that ended successfully
 * @VNPU_GENL_A_DEV_JOBS_FAILED: u64, jobs that ended with an error
 *	(including jobs failed by a reset or a dependency)
 * @VNPU_GENL_A_DEV_HW_JOBS: u64, jobs the device ran (device counter
 *	CNT_JOBS; counts replays after a reset again)
 * @VNPU_GENL_A_DEV_BYTES: u64, bytes moved by the device's commands
 *	(device counter CNT_BYTES)
 * @VNPU_GENL_A_DEV_MACS: u64, multiply-accumulates done by the device
 *	(device counter CNT_MACS)
 * @VNPU_GENL_A_DEV_ENERGY_PJ: u64, modelled energy, in picojoules (device
 *	counter CNT_ENERGY_PJ, model in vnpu_device.h)
 * @VNPU_GENL_A_DEV_RESETS: u64, device resets (hang recovery and forced)
 * @VNPU_GENL_A_DEV_HANGS: u64, jobs that timed out
 * @VNPU_GENL_A_DEV_FAULTS: u64, MMU faults reported by the device
 * @VNPU_GENL_A_DEV_MEM_USED: u64, sum of %VNPU_GENL_A_CTX_MEM over the
 *	open contexts (a buffer object shared by two contexts counts twice)
 * @VNPU_GENL_A_DEV_CONTEXTS: u32, open contexts
 * @VNPU_GENL_A_DEV_DEAD: flag, present when the device failed to recover
 *	from a reset and fails every job
 *
 * @VNPU_GENL_A_CTX_ID: u32, request and reply: the context's id (the
 *	descriptor's context, DRM_VNPU_PARAM_CONTEXT_ID); 1 to 65535
 * @VNPU_GENL_A_CTX_PID: u32, request and reply: thread-group id of the
 *	process that opened the file (its current owner when it was passed
 *	on), in the PID namespace of the requester; absent when the process
 *	has no id there
 * @VNPU_GENL_A_CTX_COMM: string, that process's command name
 * @VNPU_GENL_A_CTX_CLIENT_ID: u64, the file's drm-client-id (fdinfo)
 * @VNPU_GENL_A_CTX_JOBS_SUBMITTED: u64, jobs this context submitted
 * @VNPU_GENL_A_CTX_JOBS_COMPLETED: u64, of which ended successfully
 * @VNPU_GENL_A_CTX_JOBS_FAILED: u64, of which ended with an error
 * @VNPU_GENL_A_CTX_BUSY_NS: u64, device time its jobs used, in ns (from
 *	the completions' start and end times)
 * @VNPU_GENL_A_CTX_MEM: u64, bytes of the buffer objects it has handles
 *	to (drm-total-memory of its fdinfo)
 * @VNPU_GENL_A_CTX_FAULTS: u64, MMU faults its jobs caused
 * @VNPU_GENL_A_CTX_QUEUE: nested, one per hardware queue, in queue order;
 *	&enum vnpu_genl_queue_attr restricted to this context
 *
 * @VNPU_GENL_A_EVENT_TYPE: u32, &enum vnpu_genl_event
 * @VNPU_GENL_A_EVENT_TIME_NS: u64, CLOCK_MONOTONIC time of the event
 * @VNPU_GENL_A_EVENT_QUEUE: u32, hardware queue concerned
 * @VNPU_GENL_A_EVENT_JOB_ID: u64, job id (as returned by SUBMIT to its
 *	context)
 * @VNPU_GENL_A_EVENT_ERROR: s32, 0 or a negative errno
 * @VNPU_GENL_A_FAULT_VA: u64, faulting device virtual address
 * @VNPU_GENL_A_FAULT_ACCESS: u32, VNPU_ACCESS_* of the faulting access
 *
 * @VNPU_GENL_A_DEV_XFER_BYTES: u64, bytes the device's commands read or
 *	wrote (device counter CNT_XFER, what the energy model counts)
 * @VNPU_GENL_A_DEV_IRQS: u64, interrupt messages the device sent (device
 *	counter CNT_IRQS)
 *
 * @__VNPU_GENL_A_MAX: number of attributes
 * @VNPU_GENL_A_MAX: highest attribute
 *
 * Only %VNPU_GENL_A_DEV_INDEX, %VNPU_GENL_A_CTX_ID and %VNPU_GENL_A_CTX_PID
 * may appear in a request; every other attribute is rejected there with
 * -EINVAL. New attributes are only ever appended.
 */
enum vnpu_genl_attr {
	VNPU_GENL_A_UNSPEC,
	VNPU_GENL_A_PAD,

	VNPU_GENL_A_DEV_INDEX,
	VNPU_GENL_A_DEV_PCI_ADDR,
	VNPU_GENL_A_DEV_NUM_QUEUES,
	VNPU_GENL_A_DEV_NUM_ENGINES,
	VNPU_GENL_A_DEV_QUEUE,
	VNPU_GENL_A_DEV_BUSY_NS,
	VNPU_GENL_A_DEV_JOBS_SUBMITTED,
	VNPU_GENL_A_DEV_JOBS_COMPLETED,
	VNPU_GENL_A_DEV_JOBS_FAILED,
	VNPU_GENL_A_DEV_HW_JOBS,
	VNPU_GENL_A_DEV_BYTES,
	VNPU_GENL_A_DEV_MACS,
	VNPU_GENL_A_DEV_ENERGY_PJ,
	VNPU_GENL_A_DEV_RESETS,
	VNPU_GENL_A_DEV_HANGS,
	VNPU_GENL_A_DEV_FAULTS,
	VNPU_GENL_A_DEV_MEM_USED,
	VNPU_GENL_A_DEV_CONTEXTS,
	VNPU_GENL_A_DEV_DEAD,

	VNPU_GENL_A_CTX_ID,
	VNPU_GENL_A_CTX_PID,
	VNPU_GENL_A_CTX_COMM,
	VNPU_GENL_A_CTX_CLIENT_ID,
	VNPU_GENL_A_CTX_JOBS_SUBMITTED,
	VNPU_GENL_A_CTX_JOBS_COMPLETED,
	VNPU_GENL_A_CTX_JOBS_FAILED,
	VNPU_GENL_A_CTX_BUSY_NS,
	VNPU_GENL_A_CTX_MEM,
	VNPU_GENL_A_CTX_FAULTS,
	VNPU_GENL_A_CTX_QUEUE,

	VNPU_GENL_A_EVENT_TYPE,
	VNPU_GENL_A_EVENT_TIME_NS,
	VNPU_GENL_A_EVENT_QUEUE,
	VNPU_GENL_A_EVENT_JOB_ID,
	VNPU_GENL_A_EVENT_ERROR,
	VNPU_GENL_A_FAULT_VA,
	VNPU_GENL_A_FAULT_ACCESS,

	VNPU_GENL_A_DEV_XFER_BYTES,
	VNPU_GENL_A_DEV_IRQS,

	__VNPU_GENL_A_MAX,
	VNPU_GENL_A_MAX = __VNPU_GENL_A_MAX - 1
};

/**
 * enum vnpu_genl_queue_attr - attributes nested in %VNPU_GENL_A_DEV_QUEUE
 *	and %VNPU_GENL_A_CTX_QUEUE
 * @VNPU_GENL_QUEUE_A_UNSPEC: invalid
 * @VNPU_GENL_QUEUE_A_PAD: padding for 64-bit attributes; ignore it
 * @VNPU_GENL_QUEUE_A_INDEX: u32, queue index (the queue of SUBMIT)
 * @VNPU_GENL_QUEUE_A_NAME: string, the queue's engine name in fdinfo
 *	(drm-engine-<name>): "q0", "q1", ...
 * @VNPU_GENL_QUEUE_A_BUSY_NS: u64, device time used by jobs of this queue,
 *	in ns (from the completions' start and end times)
 * @VNPU_GENL_QUEUE_A_JOBS_COMPLETED: u64, jobs of this queue that ended
 *	successfully
 * @VNPU_GENL_QUEUE_A_JOBS_FAILED: u64, jobs of this queue that ended with
 *	an error
 * @VNPU_GENL_QUEUE_A_ACTIVE: u32, jobs in this queue's ring now (device
 *	only)
 * @__VNPU_GENL_QUEUE_A_MAX: number of attributes
 * @VNPU_GENL_QUEUE_A_MAX: highest attribute
 */
enum vnpu_genl_queue_attr {
	VNPU_GENL_QUEUE_A_UNSPEC,
	VNPU_GENL_QUEUE_A_PAD,
	VNPU_GENL_QUEUE_A_INDEX,
	VNPU_GENL_QUEUE_A_NAME,
	VNPU_GENL_QUEUE_A_BUSY_NS,
	VNPU_GENL_QUEUE_A_JOBS_COMPLETED,
	VNPU_GENL_QUEUE_A_JOBS_FAILED,
	VNPU_GENL_QUEUE_A_ACTIVE,

	__VNPU_GENL_QUEUE_A_MAX,
	VNPU_GENL_QUEUE_A_MAX = __VNPU_GENL_QUEUE_A_MAX - 1
};

#if defined(__cplusplus)
}
#endif

#endif /* __UAPI_VNPU_GENL_H__ */
