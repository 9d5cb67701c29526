/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Tracepoints of vnpu.ko: /sys/kernel/tracing/events/vnpu/. Devices are
 * named by their accel minor (N of /dev/accel/accelN), contexts by their
 * id (DRM_VNPU_PARAM_CONTEXT_ID), jobs by the id SUBMIT returned.
 */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM vnpu

#if !defined(__VNPU_TRACE_H__) || defined(TRACE_HEADER_MULTI_READ)
#define __VNPU_TRACE_H__

#include <linux/tracepoint.h>
#include <linux/types.h>

TRACE_EVENT(vnpu_job_submit,
	    TP_PROTO(u32 dev, u32 ctx, u64 job, u32 queue, u64 cmd_va,
		     u32 cmd_size),
	    TP_ARGS(dev, ctx, job, queue, cmd_va, cmd_size),
	    TP_STRUCT__entry(__field(u32, dev)
			     __field(u32, ctx)
			     __field(u64, job)
			     __field(u32, queue)
			     __field(u32, cmd_size)
			     __field(u64, cmd_va)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->ctx = ctx;
			   __entry->job = job;
			   __entry->queue = queue;
			   __entry->cmd_size = cmd_size;
			   __entry->cmd_va = cmd_va;),
	    TP_printk("dev=%u ctx=%u job=%llu queue=%u cmd=%#llx+%u",
		      __entry->dev, __entry->ctx, __entry->job, __entry->queue,
		      __entry->cmd_va, __entry->cmd_size)
);

TRACE_EVENT(vnpu_job_run,
	    TP_PROTO(u32 dev, u32 ctx, u64 job, u32 queue, u64 seqno),
	    TP_ARGS(dev, ctx, job, queue, seqno),
	    TP_STRUCT__entry(__field(u32, dev)
			     __field(u32, ctx)
			     __field(u64, job)
			     __field(u32, queue)
			     __field(u64, seqno)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->ctx = ctx;
			   __entry->job = job;
			   __entry->queue = queue;
			   __entry->seqno = seqno;),
	    TP_printk("dev=%u ctx=%u job=%llu queue=%u seqno=%llu",
		      __entry->dev, __entry->ctx, __entry->job, __entry->queue,
		      __entry->seqno)
);

TRACE_EVENT(vnpu_job_done,
	    TP_PROTO(u32 dev, u32 ctx, u64 job, u32 queue, u64 seqno,
		     u32 hw_status, int error),
	    TP_ARGS(dev, ctx, job, queue, seqno, hw_status, error),
	    TP_STRUCT__entry(__field(u32, dev)
			     __field(u32, ctx)
			     __field(u64, job)
			     __field(u32, queue)
			     __field(u32, hw_status)
			     __field(u64, seqno)
			     __field(int, error)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->ctx = ctx;
			   __entry->job = job;
			   __entry->queue = queue;
			   __entry->hw_status = hw_status;
			   __entry->seqno = seqno;
			   __entry->error = error;),
	    TP_printk("dev=%u ctx=%u job=%llu queue=%u seqno=%llu hw_status=%#x error=%d",
		      __entry->dev, __entry->ctx, __entry->job, __entry->queue,
		      __entry->seqno, __entry->hw_status, __entry->error)
);

TRACE_EVENT(vnpu_reset,
	    TP_PROTO(u32 dev, u32 count, bool dead),
	    TP_ARGS(dev, count, dead),
	    TP_STRUCT__entry(__field(u32, dev)
			     __field(u32, count)
			     __field(bool, dead)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->count = count;
			   __entry->dead = dead;),
	    TP_printk("dev=%u count=%u%s", __entry->dev, __entry->count,
		      __entry->dead ? " dead" : "")
);

TRACE_EVENT(vnpu_fault,
	    TP_PROTO(u32 dev, u32 ctx, u32 queue, u64 va, u32 access),
	    TP_ARGS(dev, ctx, queue, va, access),
	    TP_STRUCT__entry(__field(u32, dev)
			     __field(u32, ctx)
			     __field(u32, queue)
			     __field(u32, access)
			     __field(u64, va)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->ctx = ctx;
			   __entry->queue = queue;
			   __entry->access = access;
			   __entry->va = va;),
	    TP_printk("dev=%u ctx=%u queue=%u va=%#llx access=%#x",
		      __entry->dev, __entry->ctx, __entry->queue, __entry->va,
		      __entry->access)
);

#endif /* __VNPU_TRACE_H__ */

/* out of tree: Kbuild adds -I for this directory to vnpu_trace.o */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vnpu_trace
#include <trace/define_trace.h>
