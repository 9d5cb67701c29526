// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Device coredump, taken before every reset: a text snapshot of the global
 * registers, every queue's registers and software indices, the guilty job
 * and the descriptors still in its ring. Read it from
 * /sys/class/devcoredump/devcdN/data; writing to that file frees it.
 */

#include <linux/devcoredump.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>

#include "vnpu_drv.h"
#include "vnpu_hw.h"
#include "vnpu_job.h"
#include "vnpu_mmu.h"

#define VNPU_COREDUMP_SIZE	SZ_64K
/* descriptors of the guilty queue shown at most */
#define VNPU_COREDUMP_DESCS	32

struct vnpu_dump {
	char *buf;
	size_t len;
};

static __printf(2, 3) void vnpu_dump_printf(struct vnpu_dump *d,
					    const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	d->len += vscnprintf(d->buf + d->len, VNPU_COREDUMP_SIZE - d->len,
			     fmt, args);
	va_end(args);
}

static void vnpu_dump_reg(struct vnpu_dump *d, struct vnpu_device *vdev,
			  const char *name, u32 reg)
{
	vnpu_dump_printf(d, "%-16s %#010x\n", name, vnpu_rd(vdev, reg));
}

static void vnpu_dump_queue(struct vnpu_dump *d, struct vnpu_queue *q,
			    bool descs)
{
	u32 i, n, tail, done;

	spin_lock(&q->lock);
	tail = q->tail;
	done = q->done;
	spin_unlock(&q->lock);

	vnpu_dump_printf(d, "queue %u: ctrl %#x head %u tail %u sw_tail %u sw_done %u seqno %llu\n",
			 q->index, vnpu_qrd(q, VNPU_Q_CTRL),
			 vnpu_qrd(q, VNPU_Q_HEAD), vnpu_qrd(q, VNPU_Q_TAIL),
			 tail, done, q->seqno);
	if (!descs)
		return;

	n = min_t(u32, tail - done, VNPU_COREDUMP_DESCS);
	for (i = 0; i < n; i++) {
		u32 slot = (done + i) & (q->size - 1);
		struct vnpu_desc *desc = &q->ring[slot];

		vnpu_dump_printf(d, "  desc %u: tag %llu va %#llx size %u ctx %u fl %#x st %#x\n",
				 done + i, le64_to_cpu(desc->tag),
				 le64_to_cpu(desc->cmd_va),
				 le32_to_cpu(desc->cmd_size),
				 le32_to_cpu(desc->ctx),
				 le32_to_cpu(desc->flags),
				 le32_to_cpu(READ_ONCE(q->comp[slot].status)));
	}
}

/**
 * vnpu_coredump - snapshot the device before resetting it for @job
 * @vdev: device, present, under reset_lock
 * @job: the job that timed out, or NULL for a forced reset
 *
 * The devcoredump core keeps one dump per device until it is read and
 * dismissed (or times out); a dump taken while one is pending is dropped.
 */
void vnpu_coredump(struct vnpu_device *vdev, struct vnpu_job *job)
{
	struct vnpu_dump d = { };
	u32 i;

	d.buf = vmalloc(VNPU_COREDUMP_SIZE);
	if (!d.buf)
		return;

	vnpu_dump_printf(&d, "vnpu devcoredump\n");
	vnpu_dump_printf(&d, "kernel: %s\n", init_utsname()->release);
	vnpu_dump_printf(&d, "driver: %u.%u\n", DRM_VNPU_DRIVER_MAJOR,
			 DRM_VNPU_DRIVER_MINOR);
	if (!job)
		vnpu_dump_printf(&d, "reason: forced reset\n");
	else
		vnpu_dump_printf(&d, "reason: job timeout after %u ms\n",
				 vnpu_job_timeout_ms);
	if (job)
		vnpu_dump_printf(&d, "job: id %llu ctx %u queue %u seqno %llu va %#llx size %u\n",
				 job->id, job->ctx ? job->ctx->id : 0,
				 job->queue->index, job->seqno, job->cmd_va,
				 job->cmd_size);
	if (job && job->ctx)
		vnpu_dump_printf(&d, "context: hangs %d faults %d banned %d\n",
				 atomic_read(&job->ctx->hangs),
				 atomic_read(&job->ctx->faults),
				 READ_ONCE(job->ctx->banned));
	vnpu_dump_printf(&d, "resets: %d\n", atomic_read(&vdev->reset_count));

	vnpu_dump_reg(&d, vdev, "VERSION", VNPU_REG_VERSION);
	vnpu_dump_reg(&d, vdev, "CTRL", VNPU_REG_CTRL);
	vnpu_dump_reg(&d, vdev, "STATUS", VNPU_REG_STATUS);
	vnpu_dump_reg(&d, vdev, "HEARTBEAT", VNPU_REG_HEARTBEAT);
	vnpu_dump_reg(&d, vdev, "IRQ_STATUS", VNPU_REG_IRQ_STATUS);
	vnpu_dump_reg(&d, vdev, "IRQ_MASK", VNPU_REG_IRQ_MASK);
	vnpu_dump_reg(&d, vdev, "FAULT_STATUS", VNPU_REG_FAULT_STATUS);
	vnpu_dump_reg(&d, vdev, "FAULT_VA_LO", VNPU_REG_FAULT_VA_LO);
	vnpu_dump_reg(&d, vdev, "FAULT_VA_HI", VNPU_REG_FAULT_VA_HI);
	vnpu_dump_reg(&d, vdev, "ENGINE_STATUS", VNPU_REG_ENGINE_STATUS);
	vnpu_dump_reg(&d, vdev, "JOB_SEQ", VNPU_REG_JOB_SEQ);

	for (i = 0; i < vdev->num_queues; i++)
		vnpu_dump_queue(&d, &vdev->queues[i],
				!job || &vdev->queues[i] == job->queue);

	/* takes the buffer, vfree()s it */
	dev_coredumpv(vdev->drm.dev, d.buf, d.len, GFP_KERNEL);
}
