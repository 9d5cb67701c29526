// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Jobs: submission through drm_sched, completion, WAIT and recovery.
 *
 * Each hardware queue has its own drm_gpu_scheduler; each open file has
 * one entity per queue. A job is one descriptor; its hardware fence lives
 * on the queue's fence context with the descriptor tag as seqno, so the
 * completion ring, which is reaped in order, signals the fences in order.
 */

#include <linux/bitfield.h>
#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-resv.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_syncobj.h>

#include "vnpu_drv.h"
#include "vnpu_gem.h"
#include "vnpu_hw.h"
#include "vnpu_job.h"
#include "vnpu_mmu.h"
#include "vnpu_telemetry.h"
#include "vnpu_pm.h"

unsigned int vnpu_job_timeout_ms = 10000;
module_param_named(job_timeout_ms, vnpu_job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms,
		 "Time a job may run before the device is reset (ms, default 10000)");

unsigned int vnpu_hang_limit = 3;
module_param_named(hang_limit, vnpu_hang_limit, uint, 0444);
MODULE_PARM_DESC(hang_limit,
		 "Guilty hangs after which a file's context is banned (default 3)");

static bool fault_inject;
module_param(fault_inject, bool, 0600);
MODULE_PARM_DESC(fault_inject,
		 "Accept DRM_VNPU_SUBMIT_INJECT_HANG (testing only, default off)");

static bool engine_reset = true;
module_param(engine_reset, bool, 0600);
MODULE_PARM_DESC(engine_reset,
		 "Try an engine reset before a device reset on a hang (default on)");

/* Submissions between two prunings of a file's retained results. */
#define VNPU_PRUNE_INTERVAL	64

static const char *vnpu_fence_get_driver_name(struct dma_fence *fence)
{
	return DRIVER_NAME;
}

static const char *vnpu_fence_get_timeline_name(struct dma_fence *fence)
{
	/* not the queue's name: the fence may outlive the device */
	return "vnpu-queue";
}

static const struct dma_fence_ops vnpu_fence_ops = {
	.get_driver_name = vnpu_fence_get_driver_name,
	.get_timeline_name = vnpu_fence_get_timeline_name,
};

/*
 * Completion status to fence error, as documented for drm_vnpu_wait and
 * in uapi.rst ("Job status"): -EFAULT for an MMU fault; -EINVAL for what
 * the device rejected as malformed (descriptor, context, opcode, command,
 * tensor, dtype, quantisation); -EIO for a DMA error, a SEM_WAIT that
 * timed out and any code this driver does not know; -ECANCELED when
 * aborted by a reset. Hangs (-ETIMEDOUT) and unplug (-ENODEV) are set by
 * the recovery paths, not from a completion.
 */
static int vnpu_status_to_errno(u32 status)
{
	switch (status) {
	case VNPU_JOB_OK:
		return 0;
	case VNPU_JOB_BAD_DESC:
	case VNPU_JOB_BAD_CTX:
	case VNPU_JOB_BAD_OPCODE:
	case VNPU_JOB_BAD_CMD:
	case VNPU_JOB_BAD_TENSOR:
	case VNPU_JOB_BAD_DTYPE:
	case VNPU_JOB_BAD_QUANT:
		return -EINVAL;
	case VNPU_JOB_MMU_FAULT:
		return -EFAULT;
	case VNPU_JOB_DMA_ERROR:
	case VNPU_JOB_SEM_TIMEOUT:
		return -EIO;
	case VNPU_JOB_ABORTED:
		return -ECANCELED;
	default:
		return -EIO;
	}
}

/* Release what only a live job needs; safe to call more than once. */
static void vnpu_job_release_bos(struct vnpu_job *job)
{
	u32 i;

	if (job->bos) {
		for (i = 0; i < job->bo_count; i++)
			if (job->bos[i])
				drm_gem_object_put(job->bos[i]);
		kvfree(job->bos);
		job->bos = NULL;
		job->bo_count = 0;
	}
}

/*
 * The BO list is used by SUBMIT after the push (fences added, reservations
 * unlocked) and by the scheduler until free_job: the last of the two
 * releases it.
 */
static void vnpu_job_put_bos(struct vnpu_job *job)
{
	if (atomic_dec_and_test(&job->bo_users))
		vnpu_job_release_bos(job);
}

static void vnpu_job_cleanup(struct vnpu_job *job)
{
	if (job->cmd_bo) {
		vnpu_bo_unhold(job->cmd_bo);
		drm_gem_object_put(job->cmd_bo);
		job->cmd_bo = NULL;
	}
	if (job->ctx) {
		vnpu_mmu_ctx_put(job->ctx);
		job->ctx = NULL;
	}
	if (job->pm_ref) {
		vnpu_pm_put(job->queue->vdev);
		job->pm_ref = false;
	}
}

static void vnpu_job_release(struct kref *ref)
{
	struct vnpu_job *job = container_of(ref, struct vnpu_job, ref);

	/*
	 * A job that ran was cleaned up by free_job, in process context;
	 * this is then safe in any context.
	 */
	vnpu_job_release_bos(job);
	vnpu_job_cleanup(job);
	if (job->hw_fence) {
		if (job->hw_fence->ops)
			dma_fence_put(job->hw_fence);
		else
			kfree(job->hw_fence);	/* never initialized */
	}
	if (job->done_fence)
		dma_fence_put(job->done_fence);
	kfree(job);
}

static void vnpu_job_put(struct vnpu_job *job)
{
	kref_put(&job->ref, vnpu_job_release);
}

/* Record the outcome of a job that was on the hardware and signal it. */
static void vnpu_job_complete(struct vnpu_job *job, u32 hw_status, int err)
{
	job->hw_status = hw_status;
	if (job->guilty)
		err = -ETIMEDOUT;
	else if (hw_status == VNPU_JOB_MMU_FAULT && job->ctx)
		atomic_inc(&job->ctx->faults);
	vnpu_telemetry_job_done(job, hw_status, err);
	if (err)
		dma_fence_set_error(job->hw_fence, err);
	/* each job leaves its ring slot exactly once */
	WARN_ON_ONCE(dma_fence_signal(job->hw_fence));
}

static u32 __vnpu_queue_reap(struct vnpu_queue *q)
{
	struct vnpu_completion *c;
	struct vnpu_job *job;
	u32 slot, status, reaped = 0;
	u64 tag;

	lockdep_assert_held(&q->lock);

	while (q->done != q->tail) {
		slot = q->done & (q->size - 1);
		c = &q->comp[slot];
		status = le32_to_cpu(READ_ONCE(c->status));
		if (status == VNPU_JOB_PENDING)
			break;
		dma_rmb(); /* the status is written last */
		tag = le64_to_cpu(c->tag);

		job = q->jobs[slot];
		q->jobs[slot] = NULL;
		q->done++;
		if (WARN_ON_ONCE(!job))
			continue;
		q->prio_jobs[job->priority]--;
		reaped++;
		if (tag != job->seqno)
			vnpu_err_ratelimited(q->vdev,
					     "queue %u slot %u: tag %llu, expected %llu\n",
					     q->index, slot, tag, job->seqno);

		vnpu_telemetry_job_times(job, c);
		vnpu_job_complete(job, status, vnpu_status_to_errno(status));
		vnpu_job_put(job);
	}
	/*
	 * An idle device may be runtime-suspended, and comes back with
	 * Q_CTRL.PRIO 0: the next job writes it again.
	 */
	if (q->done == q->tail)
		q->hw_prio = U32_MAX;
	return reaped;
}

/**
 * vnpu_queue_reap - signal every job whose completion has been written
 * @q: queue
 *
 * Completions are consumed in ring order and reaping stops at the first
 * slot still marked VNPU_JOB_PENDING, so fences signal in seqno order.
 * Returns the number of jobs signalled.
 */
u32 vnpu_queue_reap(struct vnpu_queue *q)
{
	u32 reaped;

	spin_lock(&q->lock);
	reaped = __vnpu_queue_reap(q);
	spin_unlock(&q->lock);
	return reaped;
}

/**
 * __vnpu_queue_next_written - is the oldest job's completion written?
 * @q: queue, its lock held
 */
bool __vnpu_queue_next_written(struct vnpu_queue *q)
{
	struct vnpu_completion *c = &q->comp[q->done & (q->size - 1)];

	lockdep_assert_held(&q->lock);
	return q->done != q->tail &&
	       le32_to_cpu(READ_ONCE(c->status)) != VNPU_JOB_PENDING;
}

/**
 * vnpu_queue_reap_lost - reap completions whose interrupt never came
 * @q: queue
 * @watchdog: found by the interrupt watchdog (counted apart as well)
 *
 * When the next completion of @q is written, counts a lost interrupt
 * and reaps. The count comes first, so that whoever a fence wakes sees
 * it. Returns the number of jobs signalled.
 */
u32 vnpu_queue_reap_lost(struct vnpu_queue *q, bool watchdog)
{
	struct vnpu_device *vdev = q->vdev;
	u32 reaped = 0;

	spin_lock(&q->lock);
	if (__vnpu_queue_next_written(q)) {
		atomic_inc(&vdev->lost_irqs);
		if (watchdog)
			atomic_inc(&vdev->lost_irqs_watchdog);
		reaped = __vnpu_queue_reap(q);
	}
	spin_unlock(&q->lock);
	if (reaped)
		vnpu_warn(vdev, "queue %u: %u completions without an interrupt\n",
			  q->index, reaped);
	return reaped;
}

/*
 * Put @job in the next ring slot (the caller rings the doorbell). The
 * descriptor tag is the job's seqno, kept when a job is replayed.
 */
static void vnpu_queue_write_desc(struct vnpu_queue *q, struct vnpu_job *job)
{
	u32 slot = q->tail & (q->size - 1);
	struct vnpu_desc *desc = &q->ring[slot];

	lockdep_assert_held(&q->lock);

	memset(desc, 0, sizeof(*desc));
	desc->tag = cpu_to_le64(job->seqno);
	desc->cmd_va = cpu_to_le64(job->cmd_va);
	desc->cmd_size = cpu_to_le32(job->cmd_size);
	desc->ctx = cpu_to_le32(job->ctx->id);
	desc->flags = cpu_to_le32(VNPU_DESC_F_IRQ | job->desc_flags);
	WRITE_ONCE(q->comp[slot].status, cpu_to_le32(VNPU_JOB_PENDING));

	q->jobs[slot] = job;
	q->tail++;
	q->prio_jobs[job->priority]++;
}

/*
 * Hardware queue priority: the device runs the queue with the highest
 * Q_CTRL.PRIO first. A queue runs at the highest priority of the jobs in
 * its ring, so that the jobs ahead of a HIGH job in the same ring go
 * first too (no priority inversion), and drops back when those have left
 * (from free_job). An empty ring keeps its value: the next job sets it.
 * Called from run_job and free_job, which the reset and suspend paths
 * stop, and from the replay after re-initialization: never while the
 * queue is being reset.
 */
static void vnpu_queue_set_prio(struct vnpu_queue *q)
{
	int prio;

	lockdep_assert_held(&q->lock);

	for (prio = DRM_VNPU_PRIORITY_HIGH; prio >= 0; prio--)
		if (q->prio_jobs[prio])
			break;
	if (prio < 0 || prio == q->hw_prio)
		return;
	q->hw_prio = prio;
	vnpu_qwr(q, VNPU_Q_CTRL, VNPU_QCTRL_ENABLE |
		 FIELD_PREP(VNPU_QCTRL_PRIO_MASK, prio));
}

/*
 * Take every job off the hardware of @q, which is stopped (reset, or about
 * to go away). Completions already written keep their result, except that
 * with @rerun a VNPU_JOB_ABORTED one (the reset aborted the job) does not
 * count. @bad fails with -ETIMEDOUT. When @replay is set, a job the device
 * had not started (ring index at or after @head), or with @rerun any job
 * without a result, is kept in q->replay to be written again after
 * re-initialization; every other job fails with @err (hw_status
 * VNPU_JOB_ABORTED). Returns the number of jobs kept.
 */
static u32 __vnpu_queue_unload(struct vnpu_queue *q, struct vnpu_job *bad,
			       int err, bool replay, u32 head, bool rerun)
{
	struct vnpu_job *job;
	u32 index, slot, status, kept = 0;

	spin_lock(&q->lock);
	while (q->done != q->tail) {
		index = q->done++;
		slot = index & (q->size - 1);
		job = q->jobs[slot];
		q->jobs[slot] = NULL;
		if (WARN_ON_ONCE(!job))
			continue;
		q->prio_jobs[job->priority]--;

		status = le32_to_cpu(READ_ONCE(q->comp[slot].status));
		dma_rmb();
		if (job == bad) {
			vnpu_job_complete(job, VNPU_JOB_ABORTED, -ETIMEDOUT);
		} else if (status != VNPU_JOB_PENDING &&
			   !(rerun && status == VNPU_JOB_ABORTED)) {
			vnpu_job_complete(job, status,
					  vnpu_status_to_errno(status));
		} else if (replay && (rerun || (s32)(index - head) >= 0)) {
			q->replay[kept++] = job;	/* keeps the slot's ref */
			continue;
		} else {
			vnpu_job_complete(job, VNPU_JOB_ABORTED, err);
		}
		vnpu_job_put(job);
	}
	/* re-initialization programs Q_CTRL.PRIO 0: write it again after */
	q->hw_prio = U32_MAX;
	spin_unlock(&q->lock);
	return kept;
}

static u32 vnpu_queue_unload(struct vnpu_queue *q, struct vnpu_job *bad,
			     int err, bool replay, u32 head)
{
	return __vnpu_queue_unload(q, bad, err, replay, head, false);
}

/* Write the @count jobs kept by vnpu_queue_unload() again, in order. */
static void vnpu_queue_replay(struct vnpu_queue *q, u32 count)
{
	u32 i;

	if (!count)
		return;

	spin_lock(&q->lock);
	for (i = 0; i < count; i++) {
		vnpu_queue_write_desc(q, q->replay[i]);
		q->replay[i] = NULL;
	}
	vnpu_queue_set_prio(q);
	vnpu_wr(q->vdev, VNPU_REG_DOORBELL(q->index), q->tail);
	spin_unlock(&q->lock);
	vnpu_hw_watchdog_arm(q->vdev);
}

/* Fail the @count jobs kept by vnpu_queue_unload() with @err. */
static void vnpu_queue_drop_replay(struct vnpu_queue *q, u32 count, int err)
{
	u32 i;

	spin_lock(&q->lock);
	for (i = 0; i < count; i++) {
		vnpu_job_complete(q->replay[i], VNPU_JOB_ABORTED, err);
		vnpu_job_put(q->replay[i]);
		q->replay[i] = NULL;
	}
	spin_unlock(&q->lock);
}

static struct dma_fence *vnpu_job_run(struct drm_sched_job *sched_job)
{
	struct vnpu_job *job = to_vnpu_job(sched_job);
	struct vnpu_queue *q = job->queue;
	struct vnpu_device *vdev = q->vdev;
	struct dma_fence *fence;
	int idx;

	/* killed entity or failed dependency: the error is already set */
	if (unlikely(sched_job->s_fence->finished.error))
		return NULL;

	if (!drm_dev_enter(&vdev->drm, &idx))
		return ERR_PTR(-ENODEV);

	spin_lock(&q->lock);
	if (unlikely(READ_ONCE(vdev->hw_dead))) {
		fence = ERR_PTR(-ENODEV);
		goto out_unlock;
	}
	/* one credit per job and credit_limit == ring size: never full */
	if (WARN_ON_ONCE(q->jobs[q->tail & (q->size - 1)])) {
		fence = ERR_PTR(-EBUSY);
		goto out_unlock;
	}

	if (job->desc_flags & VNPU_DESC_F_INJECT_HANG)
		vnpu_wr(vdev, VNPU_REG_INJECT_CTRL, VNPU_INJECT_HANG_FLAG);

	job->seqno = ++q->seqno;
	dma_fence_init(job->hw_fence, &vnpu_fence_ops, &q->fence_lock,
		       q->fence_ctx, job->seqno);

	kref_get(&job->ref);	/* the ring slot's */
	vnpu_queue_write_desc(q, job);
	vnpu_queue_set_prio(q);
	vnpu_telemetry_job_run(job);
	/* writel() orders the descriptor and completion writes before it */
	vnpu_wr(vdev, VNPU_REG_DOORBELL(q->index), q->tail);

	/* the scheduler drops this one; job->hw_fence keeps the first */
	fence = dma_fence_get(job->hw_fence);
	vnpu_hw_watchdog_arm(vdev);

out_unlock:
	spin_unlock(&q->lock);
	drm_dev_exit(idx);
	return fence;
}

/* @job has left its ring: let its queue's priority drop back. */
static void vnpu_job_prio_done(struct vnpu_job *job)
{
	struct vnpu_queue *q = job->queue;
	struct vnpu_device *vdev = q->vdev;
	int idx;

	/* a reset in progress re-initializes the queue and replays */
	if (!mutex_trylock(&vdev->reset_lock))
		return;
	if (!READ_ONCE(vdev->hw_dead) && drm_dev_enter(&vdev->drm, &idx)) {
		spin_lock(&q->lock);
		vnpu_queue_set_prio(q);
		spin_unlock(&q->lock);
		drm_dev_exit(idx);
	}
	mutex_unlock(&vdev->reset_lock);
}

static void vnpu_job_free(struct drm_sched_job *sched_job)
{
	struct vnpu_job *job = to_vnpu_job(sched_job);

	/* before the job's runtime-PM reference goes */
	vnpu_job_prio_done(job);
	vnpu_telemetry_job_free(job);
	drm_sched_job_cleanup(sched_job);
	vnpu_job_put_bos(job);
	vnpu_job_cleanup(job);
	vnpu_job_put(job);
}

/*
 * Device-wide reset after @bad hung. Called with reset_lock held and the
 * device present.
 *
 * What happens to the other jobs: submission is paused on every queue and
 * the engines stop fetching. The device is reset, which aborts what was
 * running. Afterwards:
 *  - @bad fails with -ETIMEDOUT (hw_status VNPU_JOB_ABORTED);
 *  - jobs whose completion was written before the reset keep their result;
 *  - innocent jobs that were running (on other queues) and jobs already in
 *    a ring but not started yet are written again, in order, once the
 *    hardware is re-initialized, and run (again) from the start, as do
 *    jobs the scheduler had not handed to the hardware yet. A command
 *    buffer therefore must not depend on having run only once up to the
 *    point of a reset (vnpu commands only read their inputs and write
 *    their outputs, so running one again gives the same result).
 * If the device does not come back, every job fails (-ECANCELED, then
 * -ENODEV from run_job).
 *
 * drm_sched_stop()/drm_sched_start() are not used: they detach the
 * hardware fences and drm_sched_start() then cancels every job that was
 * still pending, which would fail the innocent jobs that can be replayed.
 * Pausing the submission work is enough, since this driver signals every
 * hardware fence itself; the guilty job, which the scheduler took off its
 * pending list, is freed by vnpu_job_timedout().
 */
static void vnpu_reset(struct vnpu_device *vdev, struct vnpu_job *bad)
{
	u32 kept[VNPU_MAX_QUEUES];
	bool ok;
	u32 i;

	lockdep_assert_held(&vdev->reset_lock);

	for (i = 0; i < vdev->num_queues; i++)
		drm_sched_wqueue_stop(&vdev->queues[i].sched);

	vnpu_wr(vdev, VNPU_REG_CTRL, 0);
	ok = !vnpu_hw_reset(vdev);
	for (i = 0; i < vdev->num_queues; i++)
		kept[i] = __vnpu_queue_unload(&vdev->queues[i], bad,
					      -ECANCELED, ok, 0, true);

	ok = ok && !vnpu_hw_init(vdev);
	if (!ok) {
		WRITE_ONCE(vdev->hw_dead, true);
		vnpu_err(vdev, "device did not recover; failing all further jobs\n");
	}

	for (i = 0; i < vdev->num_queues; i++) {
		if (ok)
			vnpu_queue_replay(&vdev->queues[i], kept[i]);
		else
			vnpu_queue_drop_replay(&vdev->queues[i], kept[i],
					       -ECANCELED);
		drm_sched_wqueue_start(&vdev->queues[i].sched);
	}
}

/*
 * Engine reset: the device resets the engines it reports hung, which ends
 * their jobs with VNPU_JOB_ABORTED and lets their queues go on; nothing
 * else is disturbed. Returns true when @job ended that way. The device
 * only knows an engine is hung when its fault injection hung it, so a job
 * that is merely too slow is handled by the full reset.
 */
static bool vnpu_engine_reset(struct vnpu_device *vdev, struct vnpu_job *job)
{
	struct vnpu_queue *q = job->queue;
	u32 hung;

	if (!READ_ONCE(engine_reset) || !vdev->num_engines)
		return false;
	hung = vnpu_rd(vdev, VNPU_REG_ENGINE_STATUS) >> 16;
	hung &= GENMASK(min(vdev->num_engines, 16u) - 1, 0);
	if (!hung)
		return false;

	/* returns once the engines have let go of their jobs */
	if (vnpu_hw_engine_reset(vdev, hung))
		return false;
	vnpu_queue_reap(q);
	return dma_fence_is_signaled(job->hw_fence);
}

static void vnpu_reset_uevent(struct vnpu_device *vdev, struct vnpu_job *job,
			      bool engine)
{
	char event[] = "VNPU_EVENT=RESET";
	char queue[24], ctx[24], type[32];
	char *envp[5];

	snprintf(type, sizeof(type), "VNPU_RESET_TYPE=%s",
		 !job ? "forced" : engine ? "engine" : "device");
	envp[0] = event;
	envp[1] = type;
	envp[2] = NULL;
	if (job) {
		snprintf(queue, sizeof(queue), "VNPU_QUEUE=%u",
			 job->queue->index);
		snprintf(ctx, sizeof(ctx), "VNPU_CONTEXT=%u",
			 job->ctx ? job->ctx->id : 0);
		envp[2] = queue;
		envp[3] = ctx;
		envp[4] = NULL;
	}
	kobject_uevent_env(&vdev->drm.dev->kobj, KOBJ_CHANGE, envp);
}

/* A guilty hang counts against the job's context, which is banned at last. */
static void vnpu_job_blame(struct vnpu_device *vdev, struct vnpu_job *job)
{
	struct vnpu_mmu_ctx *ctx = job->ctx;

	if (!ctx)
		return;
	if (atomic_inc_return(&ctx->hangs) >= vnpu_hang_limit &&
	    !READ_ONCE(ctx->banned)) {
		WRITE_ONCE(ctx->banned, true);
		vnpu_warn(vdev, "context %u banned after %u hangs\n", ctx->id,
			  atomic_read(&ctx->hangs));
	}
}

/*
 * The timeout of @job fired while the system was suspended (it fired just
 * as the suspend began; the suspend then stops every timeout): the job is
 * not hung, the device was stopped and the job taken off it to run again
 * at resume. Wait for the resume, then give the job back to the scheduler
 * (at the head of its pending list, where the timeout took it from), which
 * restarts the timeout.
 */
static enum drm_gpu_sched_stat
vnpu_job_timedout_asleep(struct vnpu_device *vdev, struct vnpu_job *job)
{
	struct drm_sched_job *sched_job = &job->base;
	struct drm_gpu_scheduler *sched = sched_job->sched;
	bool mine;

	wait_event(vdev->pm.resume_wq, !READ_ONCE(vdev->pm.suspended));

	kref_get(&job->ref);	/* the scheduler may free it once listed */
	spin_lock(&sched->job_list_lock);
	list_add(&sched_job->list, &sched->pending_list);
	spin_unlock(&sched->job_list_lock);

	/* if it ended before it was listed, the scheduler missed it */
	if (dma_fence_is_signaled(&sched_job->s_fence->finished)) {
		spin_lock(&sched->job_list_lock);
		mine = !list_empty(&sched_job->list);
		if (mine)
			list_del_init(&sched_job->list);
		spin_unlock(&sched->job_list_lock);
		if (mine)
			vnpu_job_free(sched_job);
	}
	vnpu_job_put(job);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static enum drm_gpu_sched_stat vnpu_job_timedout(struct drm_sched_job *sched_job)
{
	struct vnpu_job *job = to_vnpu_job(sched_job);
	struct vnpu_queue *q = job->queue;
	struct vnpu_device *vdev = q->vdev;
	enum drm_gpu_sched_stat stat = DRM_GPU_SCHED_STAT_NOMINAL;
	bool engine;
	int idx;

	mutex_lock(&vdev->reset_lock);

	if (unlikely(vdev->pm.suspended) &&
	    !dma_fence_is_signaled(&sched_job->s_fence->finished)) {
		mutex_unlock(&vdev->reset_lock);
		return vnpu_job_timedout_asleep(vdev, job);
	}

	if (drm_dev_enter(&vdev->drm, &idx)) {
		/*
		 * Completions may be there without their interrupt: a lost
		 * MSI-X (or one very late). Reaping them signals the job,
		 * which is then not hung.
		 */
		vnpu_queue_reap_lost(q, false);
		if (!dma_fence_is_signaled(&sched_job->s_fence->finished) &&
		    !vdev->hw_dead) {
			atomic_inc(&vdev->reset_count);
			vnpu_err(vdev,
				 "job %llu (context %u) timed out on queue %u, resetting\n",
				 job->id, job->ctx ? job->ctx->id : 0, q->index);
			vnpu_telemetry_hang(job);
			vnpu_coredump(vdev, job);
			/*
			 * Before the reset, which signals the job: its
			 * completion says ABORTED, and whoever sees its fence
			 * fail sees the hang counted.
			 */
			job->guilty = true;
			vnpu_job_blame(vdev, job);
			engine = vnpu_engine_reset(vdev, job);
			if (!engine)
				vnpu_reset(vdev, job);
			vnpu_reset_uevent(vdev, job, engine);
			vnpu_telemetry_reset(vdev);
		}
		drm_dev_exit(idx);
	} else {
		stat = DRM_GPU_SCHED_STAT_ENODEV;
	}

	/*
	 * The scheduler took the job off its pending list and nobody puts it
	 * back: free it here once it has ended. It has, unless the device is
	 * gone and vnpu_sched_hw_stop() has not failed it (it always does).
	 */
	if (!dma_fence_is_signaled(&sched_job->s_fence->finished))
		vnpu_queue_unload(q, NULL, -ENODEV, false, 0);
	/* not interruptible: only fails if the fence ops do, which they don't */
	drm_WARN_ON(&vdev->drm,
		    dma_fence_wait(&sched_job->s_fence->finished, false));
	vnpu_job_free(sched_job);

	mutex_unlock(&vdev->reset_lock);
	return stat;
}

/**
 * vnpu_sched_force_reset - reset the device on request (debugfs)
 * @vdev: device, powered
 *
 * A device reset as after a hang, without a guilty job. Returns 0, -ENODEV
 * when the device is gone, or -EIO when it is dead or did not come back.
 */
int vnpu_sched_force_reset(struct vnpu_device *vdev)
{
	int ret = -ENODEV, idx;

	mutex_lock(&vdev->reset_lock);
	if (drm_dev_enter(&vdev->drm, &idx)) {
		ret = -EIO;
		if (!vdev->hw_dead) {
			atomic_inc(&vdev->reset_count);
			vnpu_coredump(vdev, NULL);
			vnpu_reset(vdev, NULL);
			vnpu_reset_uevent(vdev, NULL, false);
			vnpu_telemetry_reset(vdev);
			ret = READ_ONCE(vdev->hw_dead) ? -EIO : 0;
		}
		drm_dev_exit(idx);
	}
	mutex_unlock(&vdev->reset_lock);
	return ret;
}

static const struct drm_sched_backend_ops vnpu_sched_ops = {
	.run_job = vnpu_job_run,
	.timedout_job = vnpu_job_timedout,
	.free_job = vnpu_job_free,
};

static void vnpu_sched_fini(struct drm_device *drm, void *unused)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);
	u32 i;

	for (i = 0; i < vdev->num_queues; i++)
		drm_sched_fini(&vdev->queues[i].sched);
	destroy_workqueue(vdev->tdr_wq);
}

static void vnpu_submit_wq_fini(struct drm_device *drm, void *wq)
{
	destroy_workqueue(wq);
}

/**
 * vnpu_sched_init - one scheduler per hardware queue
 * @vdev: device with its queues allocated
 *
 * The schedulers share an ordered timeout workqueue, so that two device
 * resets never run at the same time.
 *
 * Their submission work (run_job, free_job) goes to a per-CPU high-priority
 * workqueue rather than to an unbound one: the work item then runs on the
 * submitting CPU as soon as the ioctl returns, instead of waking a worker
 * on another CPU. Under emulation that cross-CPU wake-up was the largest
 * part of a job's round trip (see Documentation/accel/vnpu/performance.rst).
 */
int vnpu_sched_init(struct vnpu_device *vdev)
{
	struct drm_sched_init_args args = {
		.ops = &vnpu_sched_ops,
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
		.timeout = msecs_to_jiffies(vnpu_job_timeout_ms),
		.dev = vdev->drm.dev,
	};
	u32 i;
	int ret;

	args.submit_wq = alloc_workqueue("vnpu-submit",
					 WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!args.submit_wq)
		return -ENOMEM;
	/* released after vnpu_sched_fini(), which is registered later */
	ret = drmm_add_action_or_reset(&vdev->drm, vnpu_submit_wq_fini,
				       args.submit_wq);
	if (ret)
		return ret;

	vdev->tdr_wq = alloc_ordered_workqueue("vnpu-tdr", 0);
	if (!vdev->tdr_wq)
		return -ENOMEM;
	args.timeout_wq = vdev->tdr_wq;

	for (i = 0; i < vdev->num_queues; i++) {
		struct vnpu_queue *q = &vdev->queues[i];

		args.credit_limit = q->size;
		args.name = q->name;
		ret = drm_sched_init(&q->sched, &args);
		if (ret) {
			vnpu_err(vdev, "scheduler %u: %d\n", i, ret);
			goto err_fini;
		}
	}

	return drmm_add_action_or_reset(&vdev->drm, vnpu_sched_fini, NULL);

err_fini:
	while (i--)
		drm_sched_fini(&vdev->queues[i].sched);
	destroy_workqueue(vdev->tdr_wq);
	return ret;
}

/**
 * vnpu_sched_hw_stop - the device is going away: stop it, fail its jobs
 * @vdev: device, registers still mapped
 *
 * Jobs on the hardware fail with -ENODEV; the schedulers keep running so
 * that queued jobs fail too (run_job refuses them) and files can close.
 */
void vnpu_sched_hw_stop(struct vnpu_device *vdev)
{
	u32 i;

	mutex_lock(&vdev->reset_lock);
	for (i = 0; i < vdev->num_queues; i++)
		drm_sched_wqueue_stop(&vdev->queues[i].sched);

	WRITE_ONCE(vdev->hw_dead, true);
	vnpu_hw_fini(vdev);

	for (i = 0; i < vdev->num_queues; i++)
		vnpu_queue_unload(&vdev->queues[i], NULL, -ENODEV, false, 0);
	for (i = 0; i < vdev->num_queues; i++)
		drm_sched_wqueue_start(&vdev->queues[i].sched);
	mutex_unlock(&vdev->reset_lock);
}

/* Jobs still in the rings of @q, after reaping what has completed. */
static u32 vnpu_queue_busy(struct vnpu_queue *q)
{
	u32 busy;

	spin_lock(&q->lock);
	__vnpu_queue_reap(q);
	busy = q->tail - q->done;
	spin_unlock(&q->lock);
	return busy;
}

/**
 * vnpu_sched_suspend - system sleep: stop submission and the device
 * @vdev: device
 * @drain_ms: how long running jobs may take to finish
 *
 * The schedulers stop handing jobs to the hardware (they keep theirs) and
 * their job timeouts stop. Jobs in the rings get @drain_ms to end; then
 * the device is stopped and every job without a result is kept, to be
 * written again by vnpu_sched_resume() and run from the start (as after a
 * reset: a command buffer must not depend on having run only once).
 */
void vnpu_sched_suspend(struct vnpu_device *vdev, unsigned int drain_ms)
{
	unsigned long start = jiffies;
	unsigned long deadline = start + msecs_to_jiffies(drain_ms);
	struct vnpu_pm *pm = &vdev->pm;
	u32 i, busy = 0, kept = 0;

	/*
	 * Time asleep must not count against a job. Stop the timeouts, then
	 * let a timeout handler that is already running end (it may reset
	 * the device, and it restarts its timeout).
	 */
	for (i = 0; i < vdev->num_queues; i++)
		drm_sched_suspend_timeout(&vdev->queues[i].sched);
	flush_workqueue(vdev->tdr_wq);

	mutex_lock(&vdev->reset_lock);
	pm->suspended = true;
	for (i = 0; i < vdev->num_queues; i++) {
		drm_sched_wqueue_stop(&vdev->queues[i].sched);
		/* run_job and the handler restart it: stop it again */
		drm_sched_suspend_timeout(&vdev->queues[i].sched);
	}

	if (!vdev->hw_dead) {
		for (i = 0; i < vdev->num_queues; i++)
			busy += vnpu_queue_busy(&vdev->queues[i]);
		for (i = 0; i < vdev->num_queues; i++)
			while (vnpu_queue_busy(&vdev->queues[i]) &&
			       time_before(jiffies, deadline))
				usleep_range(500, 1000);

		vnpu_wr(vdev, VNPU_REG_CTRL, 0);
		vnpu_hw_fini(vdev);
		for (i = 0; i < vdev->num_queues; i++) {
			pm->kept[i] = __vnpu_queue_unload(&vdev->queues[i],
							  NULL, -ECANCELED,
							  true, 0, true);
			kept += pm->kept[i];
		}
	}

	pm->suspends++;
	pm->last_busy = busy;
	pm->last_kept = kept;
	pm->last_drained = busy - kept;
	pm->last_drain_ms = jiffies_to_msecs(jiffies - start);
	mutex_unlock(&vdev->reset_lock);
	vnpu_dbg(vdev, "suspended: %u jobs on the hardware, %u kept\n", busy,
		 kept);
}

/**
 * vnpu_sched_resume - system resume: re-initialize, replay, restart
 * @vdev: device
 *
 * The jobs kept at suspend are written again, in order, and the
 * schedulers and their timeouts restart (in full: kept jobs run again
 * from the start). Timeout handlers waiting for the resume go on. Returns
 * 0 or the error of the re-initialization; the kept jobs then fail with
 * -ECANCELED and later ones with -ENODEV.
 */
int vnpu_sched_resume(struct vnpu_device *vdev)
{
	struct vnpu_pm *pm = &vdev->pm;
	int ret = 0;
	u32 i;

	mutex_lock(&vdev->reset_lock);
	if (!vdev->hw_dead) {
		ret = vnpu_hw_init(vdev);
		if (ret) {
			WRITE_ONCE(vdev->hw_dead, true);
			vnpu_err(vdev, "device did not resume: %d\n", ret);
		}
	}
	for (i = 0; i < vdev->num_queues; i++) {
		struct drm_gpu_scheduler *sched = &vdev->queues[i].sched;

		if (!vdev->hw_dead)
			vnpu_queue_replay(&vdev->queues[i], pm->kept[i]);
		else
			vnpu_queue_drop_replay(&vdev->queues[i], pm->kept[i],
					       -ECANCELED);
		pm->kept[i] = 0;
		drm_sched_wqueue_start(sched);
		drm_sched_resume_timeout(sched, sched->timeout);
	}
	pm->resumes++;
	WRITE_ONCE(pm->suspended, false);
	mutex_unlock(&vdev->reset_lock);
	wake_up_all(&pm->resume_wq);
	return ret;
}

/*
 * The hardware queue of a job submitted on @queue at @priority: @queue
 * itself at NORMAL, the next queue at LOW and the previous one at HIGH
 * (modulo the number of queues). With three queues or more, the jobs a
 * file submits on one queue at each priority are in three different rings,
 * so that a HIGH job never waits behind LOW jobs in a ring, and each ring
 * runs at the priority of its jobs (vnpu_queue_set_prio()).
 */
static u32 vnpu_job_route(struct vnpu_device *vdev, u32 queue, u32 priority)
{
	u32 n = vdev->num_queues;

	switch (priority) {
	case DRM_VNPU_PRIORITY_LOW:
		return (queue + 1) % n;
	case DRM_VNPU_PRIORITY_HIGH:
		return (queue + n - 1) % n;
	default:
		return queue;
	}
}

static const enum drm_sched_priority vnpu_priorities[] = {
	[DRM_VNPU_PRIORITY_LOW] = DRM_SCHED_PRIORITY_LOW,
	[DRM_VNPU_PRIORITY_NORMAL] = DRM_SCHED_PRIORITY_NORMAL,
	[DRM_VNPU_PRIORITY_HIGH] = DRM_SCHED_PRIORITY_HIGH,
};

/**
 * vnpu_job_set_priority - change the priority of a file's entities
 * @fpriv: the file
 * @priority: DRM_VNPU_PRIORITY_*
 *
 * Returns 0, -EINVAL for an unknown priority or -EPERM for one above
 * NORMAL without CAP_SYS_NICE.
 */
int vnpu_job_set_priority(struct vnpu_file_priv *fpriv, u32 priority)
{
	u32 i;

	if (priority >= ARRAY_SIZE(vnpu_priorities))
		return -EINVAL;
	if (priority > DRM_VNPU_PRIORITY_NORMAL && !capable(CAP_SYS_NICE))
		return -EPERM;

	mutex_lock(&fpriv->lock);
	fpriv->priority = priority;
	for (i = 0; i < fpriv->vdev->num_queues; i++)
		drm_sched_entity_set_priority(&fpriv->entities[i],
					      vnpu_priorities[priority]);
	mutex_unlock(&fpriv->lock);
	return 0;
}

/*
 * Drop results that are no longer retained: a job's result goes once
 * DRM_VNPU_JOB_RETAIN jobs submitted after it by the same file have ended.
 */
static void vnpu_jobs_prune(struct vnpu_file_priv *fpriv)
{
	struct vnpu_job *job, *tmp;
	u32 newer_ended = 0;

	lockdep_assert_held(&fpriv->lock);

	list_for_each_entry_safe_reverse(job, tmp, &fpriv->job_list,
					 file_link) {
		if (!dma_fence_is_signaled(job->done_fence))
			continue;
		if (newer_ended < DRM_VNPU_JOB_RETAIN) {
			newer_ended++;
			continue;
		}
		WARN_ON_ONCE(xa_erase(&fpriv->jobs, job->id) != job);
		list_del(&job->file_link);
		fpriv->nr_jobs--;
		vnpu_job_put(job);
	}
	fpriv->since_prune = 0;
}

int vnpu_job_file_open(struct vnpu_file_priv *fpriv)
{
	struct vnpu_device *vdev = fpriv->vdev;
	struct drm_gpu_scheduler *sched;
	u32 i;
	int ret;

	mutex_init(&fpriv->lock);
	xa_init(&fpriv->jobs);
	INIT_LIST_HEAD(&fpriv->job_list);
	fpriv->next_job_id = 1;
	fpriv->priority = DRM_VNPU_PRIORITY_NORMAL;

	for (i = 0; i < vdev->num_queues; i++) {
		sched = &vdev->queues[i].sched;
		ret = drm_sched_entity_init(&fpriv->entities[i],
					    DRM_SCHED_PRIORITY_NORMAL, &sched,
					    1, NULL);
		if (ret)
			goto err_destroy;
	}
	return 0;

err_destroy:
	while (i--)
		drm_sched_entity_destroy(&fpriv->entities[i]);
	xa_destroy(&fpriv->jobs);
	mutex_destroy(&fpriv->lock);
	return ret;
}

void vnpu_job_file_close(struct vnpu_file_priv *fpriv)
{
	struct vnpu_job *job, *tmp;
	u32 i;

	/* waits for queued jobs to reach the hardware (or kills them) */
	for (i = 0; i < fpriv->vdev->num_queues; i++)
		drm_sched_entity_destroy(&fpriv->entities[i]);

	mutex_lock(&fpriv->lock);
	list_for_each_entry_safe(job, tmp, &fpriv->job_list, file_link) {
		WARN_ON_ONCE(xa_erase(&fpriv->jobs, job->id) != job);
		list_del(&job->file_link);
		vnpu_job_put(job);
	}
	fpriv->nr_jobs = 0;
	mutex_unlock(&fpriv->lock);

	xa_destroy(&fpriv->jobs);
	mutex_destroy(&fpriv->lock);
}

/* An out-sync resolved before the job is armed, so that nothing can fail after. */
struct vnpu_out_sync {
	struct drm_syncobj *syncobj;
	struct dma_fence_chain *chain;
	u64 point;
};

static int vnpu_copy_syncs(struct drm_vnpu_sync **out, u64 uptr, u32 count)
{
	struct drm_vnpu_sync *syncs;
	u32 i;

	*out = NULL;
	if (!count)
		return 0;

	syncs = kvmalloc_array(count, sizeof(*syncs), GFP_KERNEL);
	if (!syncs)
		return -ENOMEM;
	if (copy_from_user(syncs, u64_to_user_ptr(uptr),
			   count * sizeof(*syncs))) {
		kvfree(syncs);
		return -EFAULT;
	}

	for (i = 0; i < count; i++) {
		if ((syncs[i].flags & ~DRM_VNPU_SYNC_FLAGS_VALID) ||
		    (!(syncs[i].flags & DRM_VNPU_SYNC_TIMELINE) &&
		     syncs[i].point)) {
			kvfree(syncs);
			return -EINVAL;
		}
	}

	*out = syncs;
	return 0;
}

static int vnpu_cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* A BO listed twice is one BO: drop the duplicates. */
static void vnpu_job_dedup_bos(struct vnpu_job *job)
{
	u32 i, n = 0;

	if (job->bo_count < 2)
		return;

	sort(job->bos, job->bo_count, sizeof(*job->bos), vnpu_cmp_ptr, NULL);
	for (i = 1; i < job->bo_count; i++) {
		struct drm_gem_object *obj = job->bos[i];

		job->bos[i] = NULL;
		if (obj == job->bos[n])
			drm_gem_object_put(obj);
		else
			job->bos[++n] = obj;
	}
	job->bo_count = n + 1;
}

static int vnpu_submit_validate(struct vnpu_device *vdev,
				struct drm_vnpu_submit *args)
{
	if (args->flags & ~DRM_VNPU_SUBMIT_FLAGS_VALID || args->pad)
		return -EINVAL;
	if ((args->flags & DRM_VNPU_SUBMIT_INJECT_HANG) &&
	    !READ_ONCE(fault_inject))
		return -EINVAL;
	if (args->queue >= vdev->num_queues)
		return -EINVAL;
	if (!args->cmd_size || args->cmd_size % 8 ||
	    args->cmd_size > VNPU_CMD_MAX_SIZE)
		return -EINVAL;
	if (args->cmd_offset % 8)
		return -EINVAL;
	if (args->in_sync_count > DRM_VNPU_MAX_SYNCS ||
	    args->out_sync_count > DRM_VNPU_MAX_SYNCS)
		return -EINVAL;
	if (args->bo_count > DRM_VNPU_MAX_SUBMIT_BOS)
		return -EINVAL;
	return 0;
}

/* Push an armed job: nothing in here can fail. */
static void vnpu_job_push(struct vnpu_file_priv *fpriv, struct vnpu_job *job)
{
	u32 i;

	drm_sched_job_arm(&job->base);
	job->done_fence = dma_fence_get(&job->base.s_fence->finished);

	kref_get(&job->ref);	/* the scheduler's, put by free_job */
	atomic_inc(&job->bo_users);	/* and its use of the BO list */
	drm_sched_entity_push_job(&job->base);

	/* the job writes every listed BO; slots were reserved */
	for (i = 0; i < job->bo_count; i++)
		dma_resv_add_fence(job->bos[i]->resv, job->done_fence,
				   DMA_RESV_USAGE_WRITE);

	kref_get(&job->ref);	/* the file's table, already holding the id */
	list_add_tail(&job->file_link, &fpriv->job_list);
	fpriv->nr_jobs++;
}

int vnpu_submit_ioctl(struct drm_device *drm, void *data,
		      struct drm_file *file)
{
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct vnpu_device *vdev = to_vnpu_device(drm);
	struct drm_vnpu_submit *args = data;
	struct drm_vnpu_sync *in_syncs = NULL, *out_syncs = NULL;
	struct vnpu_out_sync *outs = NULL;
	struct ww_acquire_ctx acquire_ctx;
	struct drm_gem_object *cmd_obj;
	struct dma_fence *fence;
	struct vnpu_job *job;
	bool job_inited = false;
	u32 i, hwq;
	int ret;

	ret = vnpu_submit_validate(vdev, args);
	if (ret)
		return ret;
	/* documented: a banned context accepts no more jobs */
	if (READ_ONCE(fpriv->ctx->banned))
		return -ECANCELED;

	ret = vnpu_copy_syncs(&in_syncs, args->in_syncs, args->in_sync_count);
	if (ret)
		return ret;
	ret = vnpu_copy_syncs(&out_syncs, args->out_syncs,
			      args->out_sync_count);
	if (ret)
		goto out_free_syncs;

	cmd_obj = drm_gem_object_lookup(file, args->cmd_handle);
	if (!cmd_obj) {
		ret = -ENOENT;
		goto out_free_syncs;
	}
	if (args->cmd_offset > cmd_obj->size ||
	    args->cmd_size > cmd_obj->size - args->cmd_offset ||
	    to_vnpu_bo(cmd_obj)->ctx != fpriv->ctx) {
		drm_gem_object_put(cmd_obj);
		ret = -EINVAL;
		goto out_free_syncs;
	}
	/* resident, and kept so until the job is cleaned up */
	ret = vnpu_bo_hold(cmd_obj);
	if (ret) {
		drm_gem_object_put(cmd_obj);
		goto out_free_syncs;
	}

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job) {
		vnpu_bo_unhold(cmd_obj);
		drm_gem_object_put(cmd_obj);
		ret = -ENOMEM;
		goto out_free_syncs;
	}
	kref_init(&job->ref);
	atomic_set(&job->bo_users, 1);	/* the submitter's */
	INIT_LIST_HEAD(&job->file_link);
	job->priority = READ_ONCE(fpriv->priority);
	hwq = vnpu_job_route(vdev, args->queue, job->priority);
	job->queue = &vdev->queues[hwq];
	job->ctx = vnpu_mmu_ctx_get(fpriv->ctx);
	job->cmd_bo = cmd_obj;
	job->cmd_va = vnpu_bo_va(to_vnpu_bo(cmd_obj)) + args->cmd_offset;
	job->cmd_size = args->cmd_size;
	job->hw_status = VNPU_JOB_ABORTED;
	if (args->flags & DRM_VNPU_SUBMIT_INJECT_HANG)
		job->desc_flags = VNPU_DESC_F_INJECT_HANG;

	/* the device stays active until the scheduler frees the job */
	ret = vnpu_pm_get(vdev);
	if (ret)
		goto out_put_job;
	job->pm_ref = true;

	/* filled in by run_job; allocated here, where we may sleep */
	job->hw_fence = kzalloc(sizeof(*job->hw_fence), GFP_KERNEL);
	if (!job->hw_fence) {
		ret = -ENOMEM;
		goto out_put_job;
	}

	if (args->bo_count) {
		ret = drm_gem_objects_lookup(file,
					     u64_to_user_ptr(args->bo_handles),
					     args->bo_count, &job->bos);
		/* on error the array holds what was found: cleanup puts it */
		job->bo_count = args->bo_count;
		if (ret)
			goto out_put_job;
		vnpu_job_dedup_bos(job);
	}

	if (args->out_sync_count) {
		outs = kcalloc(args->out_sync_count, sizeof(*outs), GFP_KERNEL);
		if (!outs) {
			ret = -ENOMEM;
			goto out_put_job;
		}
	}
	for (i = 0; i < args->out_sync_count; i++) {
		outs[i].syncobj = drm_syncobj_find(file, out_syncs[i].handle);
		if (!outs[i].syncobj) {
			ret = -ENOENT;
			goto out_put_outs;
		}
		outs[i].point = out_syncs[i].point;
		if (outs[i].point) {
			outs[i].chain = dma_fence_chain_alloc();
			if (!outs[i].chain) {
				ret = -ENOMEM;
				goto out_put_outs;
			}
		}
	}

	ret = drm_sched_job_init(&job->base, &fpriv->entities[hwq], 1,
				 fpriv, file->client_id);
	if (ret)
		goto out_put_outs;
	job_inited = true;

	/* explicit dependencies, including timeline points */
	for (i = 0; i < args->in_sync_count; i++) {
		ret = drm_syncobj_find_fence(file, in_syncs[i].handle,
					     in_syncs[i].point, 0, &fence);
		if (ret)
			goto out_put_outs;
		ret = drm_sched_job_add_dependency(&job->base, fence);
		if (ret)
			goto out_put_outs;
	}

	ret = mutex_lock_interruptible(&fpriv->lock);
	if (ret)
		goto out_put_outs;

	job->id = fpriv->next_job_id;
	ret = xa_err(xa_store(&fpriv->jobs, job->id, job, GFP_KERNEL));
	if (ret)
		goto out_unlock;

	if (job->bo_count) {
		ret = drm_gem_lock_reservations(job->bos, job->bo_count,
						&acquire_ctx);
		if (ret)
			goto out_erase;
	}

	/* implicit dependencies: the job writes every listed BO */
	for (i = 0; i < job->bo_count; i++) {
		ret = dma_resv_reserve_fences(job->bos[i]->resv, 1);
		if (ret)
			goto out_unlock_resv;
		/* evicted pages come back, PTEs rewritten (vnpu_gem.c) */
		ret = vnpu_bo_make_resident(job->bos[i]);
		if (ret)
			goto out_unlock_resv;
		ret = drm_sched_job_add_implicit_dependencies(&job->base,
							      job->bos[i],
							      true);
		if (ret)
			goto out_unlock_resv;
	}

	/*
	 * Everything that can fail is done: arm, push, publish. (Dependencies
	 * are gathered before drm_sched_job_arm(), which is the point of no
	 * return for a job.)
	 */
	vnpu_telemetry_job_submit(fpriv, job);
	vnpu_job_push(fpriv, job);
	fpriv->next_job_id++;

	if (job->bo_count)
		drm_gem_unlock_reservations(job->bos, job->bo_count,
					    &acquire_ctx);
	/* the job may have run and been freed by the scheduler already */
	vnpu_job_put_bos(job);

	if (fpriv->nr_jobs > DRM_VNPU_JOB_RETAIN &&
	    ++fpriv->since_prune >= VNPU_PRUNE_INTERVAL)
		vnpu_jobs_prune(fpriv);
	mutex_unlock(&fpriv->lock);

	for (i = 0; i < args->out_sync_count; i++) {
		if (outs[i].chain) {
			drm_syncobj_add_point(outs[i].syncobj, outs[i].chain,
					      job->done_fence, outs[i].point);
			outs[i].chain = NULL;
		} else {
			drm_syncobj_replace_fence(outs[i].syncobj,
						  job->done_fence);
		}
	}

	args->job_id = job->id;
	vnpu_dbg(vdev, "ctx %u: job %llu on queue %u (hardware %u), cmd %#llx+%u\n",
		 fpriv->ctx->id, job->id, args->queue, hwq, job->cmd_va,
		 job->cmd_size);
	ret = 0;
	goto out_put_outs;

out_unlock_resv:
	drm_gem_unlock_reservations(job->bos, job->bo_count, &acquire_ctx);
out_erase:
	WARN_ON_ONCE(xa_erase(&fpriv->jobs, job->id) != job);
out_unlock:
	mutex_unlock(&fpriv->lock);
out_put_outs:
	if (ret && job_inited)
		drm_sched_job_cleanup(&job->base);
	for (i = 0; outs && i < args->out_sync_count; i++) {
		if (outs[i].syncobj)
			drm_syncobj_put(outs[i].syncobj);
		dma_fence_chain_free(outs[i].chain);
	}
	kfree(outs);
out_put_job:
	vnpu_job_put(job);
out_free_syncs:
	kvfree(in_syncs);
	kvfree(out_syncs);
	return ret;
}

/* Relative jiffies until the absolute CLOCK_MONOTONIC @timeout_ns. */
static long vnpu_timeout_to_jiffies(s64 timeout_ns)
{
	s64 now = ktime_get_ns();
	u64 j;

	if (timeout_ns <= now)
		return 0;

	/* round up: never return before the deadline */
	j = nsecs_to_jiffies64(timeout_ns - now) + 1;
	return j >= MAX_SCHEDULE_TIMEOUT ? MAX_SCHEDULE_TIMEOUT - 1 : j;
}

int vnpu_wait_ioctl(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct drm_vnpu_wait *args = data;
	struct vnpu_job *job;
	long ret;
	int err;

	if (args->flags & ~DRM_VNPU_WAIT_FLAGS_VALID || args->pad)
		return -EINVAL;

	err = mutex_lock_interruptible(&fpriv->lock);
	if (err)
		return err;
	/* exact retention: drop what is no longer retained before looking */
	vnpu_jobs_prune(fpriv);
	job = xa_load(&fpriv->jobs, args->job_id);
	if (job)
		kref_get(&job->ref);
	mutex_unlock(&fpriv->lock);
	if (!job)
		return -ENOENT;

	ret = dma_fence_wait_timeout(job->done_fence, true,
				     vnpu_timeout_to_jiffies(args->timeout_ns));
	if (ret > 0) {
		err = dma_fence_get_status(job->done_fence);
		args->status = err < 0 ? err : 0;
		args->hw_status = job->hw_status;
		ret = 0;
	} else if (ret == 0) {
		ret = -ETIME;
	}

	vnpu_job_put(job);
	return ret;
}
