// SPDX-License-Identifier: MIT
/*
 * libaccel: error messages.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "vnpu_device.h"
#include "accel_priv.h"

/*
 * Every code a libaccel function, the vnpu driver or a job status can
 * produce, worded for this library. Several codes mean different things
 * depending on where they come from; the message names each meaning.
 */
static const struct {
	int err;
	const char *msg;
} messages[] = {
	{ 0, "success" },
	{ EPERM, "operation not permitted (high priority needs CAP_SYS_NICE)" },
	{ ENOENT, "not found (no such device node, buffer object, syncobj or job)" },
	{ EINTR, "interrupted by a signal" },
	{ EIO, "I/O error (device DMA error)" },
	{ ENXIO, "device not present (unplugged)" },
	{ E2BIG, "too many buffer objects for one job" },
	{ EBADF, "bad file descriptor" },
	{ EAGAIN, "resource temporarily unavailable, try again" },
	{ ENOMEM, "out of memory" },
	{ EACCES, "permission denied (check access to /dev/accel/*)" },
	{ EFAULT, "bad address (device MMU fault, or an address outside any buffer object or the VA space, or user memory not mapped)" },
	{ EBUSY, "busy (the job has not been seen to end yet)" },
	{ EEXIST, "already exists (VA range already mapped, or the dma-buf is a BO of this device handle)" },
	{ EXDEV, "object belongs to another device handle" },
	{ ENODEV, "no vnpu device (none present, not a vnpu device, or removed)" },
	{ EINVAL, "invalid argument (or malformed command rejected by the device)" },
	{ ENFILE, "too many open files in the system" },
	{ EMFILE, "too many open files" },
	{ ENOTTY, "not a DRM accel device (inappropriate ioctl)" },
	{ ENOSPC, "command buffer full, or device memory or VA space exhausted" },
	{ ERANGE, "index, parameter or device VA out of range" },
	{ EOVERFLOW, "value too large" },
	{ ENODATA, "command buffer is empty" },
	{ ETIME, "timed out waiting (the job is still running)" },
	{ EPROTO, "driver interface version mismatch or driver protocol error" },
	{ EOPNOTSUPP, "operation not supported by this device or driver" },
	{ ETIMEDOUT, "job timed out on the device (hang)" },
	{ ECANCELED, "device reset: job aborted, or context banned after hangs (ACCEL_ERROR_RESET; resubmit, or reopen the device)" },
	{ EDEADLK, "deadlock avoided" },
	{ ENOSYS, "function not implemented" },
	{ ESRCH, "no such job, process or netlink family" },
	{ EMSGSIZE, "netlink message too large" },
	{ EBADMSG, "malformed command stream or package" },
	{ ENOBUFS, "netlink receive buffer overrun (events were lost)" },
	{ ECONNREFUSED, "netlink request refused" },
	{ EPROTONOSUPPORT, "telemetry unavailable (the vnpu netlink family is not registered)" },
};

ACCEL_EXPORT const char *accel_strerror(int err)
{
	size_t i;

	if (err == INT_MIN)
		return "unknown error";
	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		if (messages[i].err == err)
			return messages[i].msg;
	/* Kernel-internal restart codes should never escape, but be kind. */
	if (err >= 512 && err <= 516)
		return "interrupted system call (kernel restart code)";
	{
		const char *s = strerrordesc_np(err);

		return s ? s : "unknown error";
	}
}

/* Device completion codes (vnpu_device.h VNPU_JOB_*). */
static const char *const hw_status_names[] = {
	[VNPU_JOB_OK] = "ok",
	[VNPU_JOB_BAD_DESC] = "bad descriptor",
	[VNPU_JOB_BAD_CTX] = "bad context",
	[VNPU_JOB_BAD_OPCODE] = "unknown opcode",
	[VNPU_JOB_BAD_CMD] = "bad command",
	[VNPU_JOB_MMU_FAULT] = "MMU fault",
	[VNPU_JOB_DMA_ERROR] = "DMA error",
	[VNPU_JOB_ABORTED] = "aborted by a reset",
	[VNPU_JOB_BAD_TENSOR] = "bad tensor",
	[VNPU_JOB_BAD_DTYPE] = "bad data type",
	[VNPU_JOB_BAD_QUANT] = "bad quantisation",
	[VNPU_JOB_SEM_TIMEOUT] = "semaphore wait timed out",
};

ACCEL_EXPORT int accel_hw_status_get_name(uint32_t hw_status, const char **name)
{
	if (!name)
		return -EINVAL;
	if (hw_status >= sizeof(hw_status_names) / sizeof(hw_status_names[0]) ||
	    !hw_status_names[hw_status])
		return -ERANGE;
	*name = hw_status_names[hw_status];
	return 0;
}
