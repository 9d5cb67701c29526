// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Telemetry: job accounting per device, per queue and per open file, the
 * device's counter registers, fdinfo, and the hooks the rest of the driver
 * calls. sysfs, debugfs, tracepoints and generic netlink present it.
 *
 * Job accounting: a job is counted as submitted when SUBMIT pushes it, and
 * as completed or failed exactly once, when the hardware (or a reset)
 * signals it, before its fence signals, so that a process that waited for
 * a job sees it counted. A job that never reached the hardware (failed
 * dependency, closed file, unplugged device) is counted as failed when the
 * scheduler frees it. Busy time comes from the completions' device
 * timestamps, so it is the time the device spent on the job.
 */

#include <linux/dma-fence.h>
#include <linux/idr.h>
#include <linux/ktime.h>
#include <linux/pci.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/pm_runtime.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "vnpu_debugfs.h"
#include "vnpu_drv.h"
#include "vnpu_genl_priv.h"
#include "vnpu_hw.h"
#include "vnpu_job.h"
#include "vnpu_sysfs.h"
#include "vnpu_telemetry.h"
#include "vnpu_trace.h"

/* protects vnpu_tel_devices and vnpu_tel_generation */
DEFINE_MUTEX(vnpu_tel_devices_lock);
LIST_HEAD(vnpu_tel_devices);
unsigned int vnpu_tel_generation;

static void vnpu_tel_baseline(struct vnpu_device *vdev);

static u32 vnpu_tel_dev_index(struct vnpu_device *vdev)
{
	return vdev->drm.accel ? vdev->drm.accel->index : 0;
}

/**
 * vnpu_telemetry_init - telemetry state, sysfs attributes, debugfs files
 * @vdev: probed device, not registered yet
 *
 * Everything is drm- or device-managed. Returns 0 or a negative errno.
 */
int vnpu_telemetry_init(struct vnpu_device *vdev)
{
	struct vnpu_telemetry *tel;
	int ret;

	tel = drmm_kzalloc(&vdev->drm, sizeof(*tel), GFP_KERNEL);
	if (!tel)
		return -ENOMEM;

	tel->vdev = vdev;
	INIT_LIST_HEAD(&tel->clients);
	INIT_LIST_HEAD(&tel->link);
	strscpy(tel->pci_addr, pci_name(to_pci_dev(vdev->drm.dev)));

	ret = drmm_mutex_init(&vdev->drm, &tel->lock);
	if (ret)
		return ret;
	ret = drmm_mutex_init(&vdev->drm, &tel->hw_lock);
	if (ret)
		return ret;
	vdev->tel = tel;
	vnpu_tel_baseline(vdev);

	ret = vnpu_sysfs_init(vdev);
	if (ret)
		return ret;

	vnpu_debugfs_init(vdev);
	return 0;
}

/**
 * vnpu_telemetry_register - make a registered device visible to netlink
 * @vdev: device, after drm_dev_register()
 */
void vnpu_telemetry_register(struct vnpu_device *vdev)
{
	struct vnpu_telemetry *tel = vdev->tel;

	mutex_lock(&vnpu_tel_devices_lock);
	tel->index = vnpu_tel_dev_index(vdev);
	list_add_tail(&tel->link, &vnpu_tel_devices);
	vnpu_tel_generation++;
	mutex_unlock(&vnpu_tel_devices_lock);
}

/**
 * vnpu_telemetry_unplug - the device is going away
 * @vdev: device, registers still mapped
 *
 * Sends the UNPLUG event and hides the device from netlink. Safe to call
 * for a device that was never registered.
 */
void vnpu_telemetry_unplug(struct vnpu_device *vdev)
{
	struct vnpu_telemetry *tel = vdev->tel;
	bool was_listed;

	if (!tel)
		return;

	mutex_lock(&vnpu_tel_devices_lock);
	was_listed = !list_empty(&tel->link);
	list_del_init(&tel->link);
	vnpu_tel_generation++;
	mutex_unlock(&vnpu_tel_devices_lock);

	if (was_listed)
		vnpu_genl_event_unplug(tel);
}

/**
 * vnpu_telemetry_module_init - module-wide telemetry (netlink family)
 */
int vnpu_telemetry_module_init(void)
{
	return vnpu_genl_register();
}

/**
 * vnpu_telemetry_module_exit - undo vnpu_telemetry_module_init()
 */
void vnpu_telemetry_module_exit(void)
{
	vnpu_genl_unregister();
}

static void vnpu_tel_client_release(struct kref *ref)
{
	kfree(container_of(ref, struct vnpu_tel_client, ref));
}

static void vnpu_tel_client_put(struct vnpu_tel_client *client)
{
	kref_put(&client->ref, vnpu_tel_client_release);
}

/**
 * vnpu_telemetry_file_open - start accounting an open file
 * @fpriv: the file's state, with its context
 * @file: the DRM file
 *
 * Returns 0 or -ENOMEM.
 */
int vnpu_telemetry_file_open(struct vnpu_file_priv *fpriv,
			     struct drm_file *file)
{
	struct vnpu_telemetry *tel = fpriv->vdev->tel;
	struct vnpu_tel_client *client;

	client = kzalloc(sizeof(*client), GFP_KERNEL);
	if (!client)
		return -ENOMEM;

	kref_init(&client->ref);
	client->file = file;
	client->ctx_id = fpriv->ctx->id;
	client->client_id = file->client_id;

	mutex_lock(&tel->lock);
	list_add_tail(&client->link, &tel->clients);
	tel->nr_clients++;
	mutex_unlock(&tel->lock);

	mutex_lock(&vnpu_tel_devices_lock);
	vnpu_tel_generation++;
	mutex_unlock(&vnpu_tel_devices_lock);

	fpriv->tel = client;
	return 0;
}

/**
 * vnpu_telemetry_file_close - the file is closed
 * @fpriv: the file's state
 *
 * Its jobs that are still running keep the statistics alive.
 */
void vnpu_telemetry_file_close(struct vnpu_file_priv *fpriv)
{
	struct vnpu_telemetry *tel = fpriv->vdev->tel;
	struct vnpu_tel_client *client = fpriv->tel;

	if (!client)
		return;

	mutex_lock(&tel->lock);
	list_del(&client->link);
	client->file = NULL;
	tel->nr_clients--;
	mutex_unlock(&tel->lock);

	mutex_lock(&vnpu_tel_devices_lock);
	vnpu_tel_generation++;
	mutex_unlock(&vnpu_tel_devices_lock);

	fpriv->tel = NULL;
	vnpu_tel_client_put(client);
}

/**
 * vnpu_telemetry_client_mem - bytes of the BOs a file has handles to
 * @client: client whose file is open (vnpu_telemetry.lock held)
 */
u64 vnpu_telemetry_client_mem(struct vnpu_tel_client *client)
{
	struct drm_file *file = client->file;
	struct drm_gem_object *obj;
	u64 total = 0;
	int id;

	if (!file)
		return 0;

	spin_lock(&file->table_lock);
	idr_for_each_entry(&file->object_idr, obj, id)
		total += obj->size;
	spin_unlock(&file->table_lock);
	return total;
}

/**
 * vnpu_telemetry_client_pid - the process that owns a file
 * @client: client whose file is open (vnpu_telemetry.lock held)
 * @ns: PID namespace to report the PID in
 * @comm: TASK_COMM_LEN bytes for its command name (empty if it is gone)
 *
 * Returns its thread-group id in @ns, 0 if it has none there.
 */
u32 vnpu_telemetry_client_pid(struct vnpu_tel_client *client,
			      struct pid_namespace *ns, char *comm)
{
	struct task_struct *task = NULL;
	struct pid *pid;
	u32 nr = 0;

	comm[0] = '\0';
	if (!client->file)
		return 0;

	rcu_read_lock();
	pid = rcu_dereference(client->file->pid);
	if (pid) {
		nr = pid_nr_ns(pid, ns);
		task = pid_task(pid, PIDTYPE_TGID);
		if (task)
			strscpy(comm, task->comm, TASK_COMM_LEN);
	}
	rcu_read_unlock();
	return nr;
}

/*
 * How long the job at the head of queue @qi has been running, if it is
 * @client's: a queue runs its jobs one at a time and in order, so the
 * oldest job in its ring is the one the device works on (or waits for an
 * engine to work on, which is counted too). Completed jobs are accounted
 * with the device's own timestamps instead.
 */
static u64 vnpu_tel_running_ns(struct vnpu_device *vdev, u32 qi,
			       struct vnpu_tel_client *client)
{
	struct vnpu_queue *q = &vdev->queues[qi];
	u64 since, now = ktime_get_ns(), ns = 0;
	struct vnpu_job *job;

	spin_lock(&q->lock);
	if (q->tail != q->done) {
		job = q->jobs[q->done & (q->size - 1)];
		since = vdev->tel->head_since_ns[qi];
		if (job && job->tel.client == client && since && now > since)
			ns = now - since;
	}
	spin_unlock(&q->lock);
	return ns;
}

/**
 * vnpu_telemetry_show_fdinfo - driver part of /proc/PID/fdinfo/FD
 * @p: printer
 * @file: DRM file
 *
 * Standard keys (Documentation/gpu/drm-usage-stats.rst): one engine per
 * hardware queue, named "q<index>", with busy time in ns and in device
 * clock cycles (the device clock counts ns: 1 GHz), and memory through
 * drm_show_memory_stats(). Driver keys: vnpu-context-id and the job
 * counters.
 */
void vnpu_telemetry_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct vnpu_device *vdev = fpriv->vdev;
	struct vnpu_tel_client *client = fpriv->tel;
	u64 busy;
	u32 i;

	for (i = 0; i < vdev->num_queues; i++) {
		busy = atomic64_read(&client->q[i].busy_ns) +
		       vnpu_tel_running_ns(vdev, i, client);
		drm_printf(p, "drm-engine-q%u:\t%llu ns\n", i, busy);
		drm_printf(p, "drm-cycles-q%u:\t%llu\n", i, busy);
		drm_printf(p, "drm-maxfreq-q%u:\t%llu Hz\n", i, VNPU_CLOCK_HZ);
	}

	drm_show_memory_stats(p, file);

	drm_printf(p, "vnpu-context-id:\t%u\n", client->ctx_id);
	drm_printf(p, "vnpu-jobs-submitted:\t%llu\n",
		   atomic64_read(&client->submitted));
	drm_printf(p, "vnpu-jobs-completed:\t%llu\n",
		   atomic64_read(&client->completed));
	drm_printf(p, "vnpu-jobs-failed:\t%llu\n",
		   atomic64_read(&client->failed));
	drm_printf(p, "vnpu-faults:\t%llu\n", atomic64_read(&client->faults));
}

static struct vnpu_telemetry *vnpu_job_tel(struct vnpu_job *job)
{
	return job->queue->vdev->tel;
}

/**
 * vnpu_telemetry_job_submit - a job is about to be pushed
 * @fpriv: submitting file
 * @job: job with its id; nothing may fail after this
 */
void vnpu_telemetry_job_submit(struct vnpu_file_priv *fpriv,
			       struct vnpu_job *job)
{
	struct vnpu_telemetry *tel = vnpu_job_tel(job);
	struct vnpu_tel_client *client = fpriv->tel;

	kref_get(&client->ref);
	job->tel.client = client;
	atomic64_inc(&client->submitted);
	atomic64_inc(&tel->submitted);

	trace_vnpu_job_submit(tel->index, client->ctx_id, job->id,
			      job->queue->index, job->cmd_va, job->cmd_size);
}

/**
 * vnpu_telemetry_job_run - a job was written to its ring
 * @job: job with its seqno
 */
void vnpu_telemetry_job_run(struct vnpu_job *job)
{
	struct vnpu_tel_client *client = job->tel.client;
	struct vnpu_queue *q = job->queue;

	/* the ring was empty: this job runs from now on */
	if (q->tail - q->done == 1)
		vnpu_job_tel(job)->head_since_ns[q->index] = ktime_get_ns();

	trace_vnpu_job_run(vnpu_job_tel(job)->index,
			   client ? client->ctx_id : 0, job->id,
			   job->queue->index, job->seqno);
}

/**
 * vnpu_telemetry_job_times - account the device time of a completion
 * @job: the completed job
 * @c: its completion record
 */
void vnpu_telemetry_job_times(struct vnpu_job *job,
			      const struct vnpu_completion *c)
{
	struct vnpu_telemetry *tel = vnpu_job_tel(job);
	struct vnpu_tel_client *client = job->tel.client;
	u64 start = le64_to_cpu(c->start_ns), end = le64_to_cpu(c->end_ns);
	u32 q = job->queue->index;

	if (end <= start)
		return;

	atomic64_add(end - start, &tel->q[q].busy_ns);
	if (client) {
		atomic64_add(end - start, &client->q[q].busy_ns);
		atomic64_add(end - start, &client->busy_ns);
	}
}

static void vnpu_tel_account(struct vnpu_job *job, u32 hw_status, int err)
{
	struct vnpu_telemetry *tel = vnpu_job_tel(job);
	struct vnpu_tel_client *client = job->tel.client;
	u32 q = job->queue->index;

	if (job->tel.accounted)
		return;
	job->tel.accounted = true;

	if (err) {
		atomic64_inc(&tel->failed);
		atomic64_inc(&tel->q[q].failed);
	} else {
		atomic64_inc(&tel->completed);
		atomic64_inc(&tel->q[q].completed);
	}
	if (!client)
		return;

	if (err) {
		atomic64_inc(&client->failed);
		atomic64_inc(&client->q[q].failed);
	} else {
		atomic64_inc(&client->completed);
		atomic64_inc(&client->q[q].completed);
	}
	if (hw_status == VNPU_JOB_MMU_FAULT)
		atomic64_inc(&client->faults);
}

/**
 * vnpu_telemetry_job_done - a job left the hardware
 * @job: job, about to be signalled
 * @hw_status: VNPU_JOB_* result
 * @err: 0 or the fence error
 *
 * Called with the queue's lock held: must not sleep.
 */
void vnpu_telemetry_job_done(struct vnpu_job *job, u32 hw_status, int err)
{
	struct vnpu_tel_client *client = job->tel.client;
	struct vnpu_queue *q = job->queue;

	/* the job left the ring: the next one, if any, runs from now on */
	vnpu_job_tel(job)->head_since_ns[q->index] = ktime_get_ns();

	vnpu_tel_account(job, hw_status, err);
	trace_vnpu_job_done(vnpu_job_tel(job)->index,
			    client ? client->ctx_id : 0, job->id,
			    job->queue->index, job->seqno, hw_status, err);
}

/**
 * vnpu_telemetry_job_free - the scheduler is done with a job
 * @job: job whose done_fence has signalled
 *
 * Counts a job that never reached the hardware, and drops the job's
 * reference to the file's statistics.
 */
void vnpu_telemetry_job_free(struct vnpu_job *job)
{
	struct vnpu_tel_client *client = job->tel.client;
	int err = 0;

	if (!client)
		return;

	if (!job->tel.accounted) {
		if (job->done_fence)
			err = dma_fence_get_status(job->done_fence);
		vnpu_tel_account(job, VNPU_JOB_ABORTED, err < 0 ? err : -ECANCELED);
	}
	job->tel.client = NULL;
	vnpu_tel_client_put(client);
}

/**
 * vnpu_telemetry_hang - a job timed out; a reset follows
 * @job: the guilty job
 */
void vnpu_telemetry_hang(struct vnpu_job *job)
{
	struct vnpu_telemetry *tel = vnpu_job_tel(job);
	struct vnpu_tel_client *client = job->tel.client;

	atomic64_inc(&tel->hangs);
	vnpu_genl_event_hang(tel, client ? client->ctx_id : 0,
			     job->queue->index, job->id);
}

/**
 * vnpu_telemetry_reset - the device was reset
 * @vdev: device (reset_lock held); hw_dead tells whether it came back
 */
void vnpu_telemetry_reset(struct vnpu_device *vdev)
{
	struct vnpu_telemetry *tel = vdev->tel;
	bool dead = READ_ONCE(vdev->hw_dead);

	trace_vnpu_reset(tel->index, atomic_read(&vdev->reset_count), dead);
	vnpu_genl_event_reset(tel, dead ? -EIO : 0);
}

/**
 * vnpu_telemetry_fault - the device reported an MMU fault
 * @vdev: device
 * @ctx_id: faulting context
 * @queue: queue of the faulting job
 * @va: faulting device VA
 * @access: VNPU_ACCESS_*
 *
 * Called from the error interrupt thread.
 */
void vnpu_telemetry_fault(struct vnpu_device *vdev, u32 ctx_id, u32 queue,
			  u64 va, u32 access)
{
	struct vnpu_telemetry *tel = vdev->tel;

	atomic64_inc(&tel->fault_records);
	trace_vnpu_fault(tel->index, ctx_id, queue, va, access);
	vnpu_genl_event_fault(tel, ctx_id, queue, va, access);
}

/**
 * vnpu_telemetry_hw_get - make the registers accessible
 * @vdev: device
 * @wake: resume a runtime-suspended device (else fail with -EAGAIN)
 * @idx: drm_dev_enter() cookie, for vnpu_telemetry_hw_put()
 *
 * Returns a token for vnpu_telemetry_hw_put() (>= 0), or -ENODEV when the
 * device is gone, -EAGAIN when it is suspended and @wake is false, or the
 * runtime PM error.
 */
int vnpu_telemetry_hw_get(struct vnpu_device *vdev, bool wake, int *idx)
{
	struct device *dev = vdev->drm.dev;
	int ret;

	if (!drm_dev_enter(&vdev->drm, idx))
		return -ENODEV;

	if (!pm_runtime_enabled(dev))
		return 0;

	if (wake) {
		ret = pm_runtime_resume_and_get(dev);
		if (!ret)
			return 1;
	} else {
		ret = pm_runtime_get_if_active(dev);
		if (ret > 0)
			return 1;
		ret = -EAGAIN;
	}
	drm_dev_exit(*idx);
	return ret;
}

/**
 * vnpu_telemetry_hw_put - undo vnpu_telemetry_hw_get()
 * @vdev: device
 * @token: what vnpu_telemetry_hw_get() returned
 * @idx: its cookie
 */
void vnpu_telemetry_hw_put(struct vnpu_device *vdev, int token, int idx)
{
	if (token > 0) {
		pm_runtime_mark_last_busy(vdev->drm.dev);
		pm_runtime_put_autosuspend(vdev->drm.dev);
	}
	drm_dev_exit(idx);
}

static u64 vnpu_tel_rd64(struct vnpu_device *vdev, u32 lo_reg)
{
	u32 lo = vnpu_rd(vdev, lo_reg);	/* latches HI */

	return (u64)vnpu_rd(vdev, lo_reg + 4) << 32 | lo;
}

static const u32 vnpu_tel_hw_regs[VNPU_TEL_HW_COUNT] = {
	[VNPU_TEL_HW_JOBS] = VNPU_REG_CNT_JOBS_LO,
	[VNPU_TEL_HW_BYTES] = VNPU_REG_CNT_BYTES_LO,
	[VNPU_TEL_HW_FAULTS] = VNPU_REG_CNT_FAULTS_LO,
	[VNPU_TEL_HW_BUSY_NS] = VNPU_REG_CNT_BUSY_NS_LO,
	[VNPU_TEL_HW_MACS] = VNPU_REG_CNT_MACS_LO,
	[VNPU_TEL_HW_ENERGY_PJ] = VNPU_REG_CNT_ENERGY_PJ_LO,
	[VNPU_TEL_HW_IRQS] = VNPU_REG_CNT_IRQS_LO,
	[VNPU_TEL_HW_XFER] = VNPU_REG_CNT_XFER_LO,
};

/*
 * Sample the counter registers (hw_lock held, device readable). A reset
 * keeps them, but a power transition (D3 and back) clears them: a counter
 * that went down restarted from zero, so what it had is added to its base
 * and the reported value stays monotonic. The suspend and resume hooks
 * sample right before and after such a transition, when nothing runs, so
 * that no count is lost.
 */
static void vnpu_tel_sample_locked(struct vnpu_device *vdev)
{
	struct vnpu_telemetry *tel = vdev->tel;
	u64 raw;
	u32 i;

	lockdep_assert_held(&tel->hw_lock);

	for (i = 0; i < VNPU_TEL_HW_COUNT; i++) {
		raw = vnpu_tel_rd64(vdev, vnpu_tel_hw_regs[i]);
		if (raw < tel->hw_raw[i])
			tel->hw_base[i] += tel->hw_raw[i];
		tel->hw_raw[i] = raw;
	}
}

static void vnpu_tel_hw_values(struct vnpu_telemetry *tel,
			       struct vnpu_tel_hw *hw)
{
	u64 v[VNPU_TEL_HW_COUNT];
	u32 i;

	for (i = 0; i < VNPU_TEL_HW_COUNT; i++)
		v[i] = tel->hw_base[i] + tel->hw_raw[i];
	hw->jobs = v[VNPU_TEL_HW_JOBS];
	hw->bytes = v[VNPU_TEL_HW_BYTES];
	hw->faults = v[VNPU_TEL_HW_FAULTS];
	hw->busy_ns = v[VNPU_TEL_HW_BUSY_NS];
	hw->macs = v[VNPU_TEL_HW_MACS];
	hw->energy_pj = v[VNPU_TEL_HW_ENERGY_PJ];
	hw->irqs = v[VNPU_TEL_HW_IRQS];
	hw->xfer = v[VNPU_TEL_HW_XFER];
}

/**
 * vnpu_telemetry_read_hw - read the device's counters
 * @vdev: device
 * @hw: the counters, since probe
 *
 * When the device cannot be read (runtime-suspended or gone), @hw gets the
 * values sampled last (vnpu_telemetry_suspend() samples them just before
 * the device goes to sleep) and -EAGAIN or -ENODEV is returned; otherwise
 * 0.
 */
int vnpu_telemetry_read_hw(struct vnpu_device *vdev, struct vnpu_tel_hw *hw)
{
	struct vnpu_telemetry *tel = vdev->tel;
	int token, idx;

	mutex_lock(&tel->hw_lock);
	token = vnpu_telemetry_hw_get(vdev, false, &idx);
	if (token >= 0) {
		vnpu_tel_sample_locked(vdev);
		vnpu_telemetry_hw_put(vdev, token, idx);
	}
	vnpu_tel_hw_values(tel, hw);
	mutex_unlock(&tel->hw_lock);
	return token < 0 ? token : 0;
}

/* Sample without asking runtime PM: the caller knows the device is on. */
static void vnpu_tel_sample(struct vnpu_device *vdev)
{
	struct vnpu_telemetry *tel = vdev->tel;
	int idx;

	if (!tel || !drm_dev_enter(&vdev->drm, &idx))
		return;
	mutex_lock(&tel->hw_lock);
	vnpu_tel_sample_locked(vdev);
	mutex_unlock(&tel->hw_lock);
	drm_dev_exit(idx);
}

/* Counters count from probe: what the device had before is subtracted. */
static void vnpu_tel_baseline(struct vnpu_device *vdev)
{
	struct vnpu_telemetry *tel = vdev->tel;
	u32 i;

	vnpu_tel_sample(vdev);
	mutex_lock(&tel->hw_lock);
	for (i = 0; i < VNPU_TEL_HW_COUNT; i++)
		tel->hw_base[i] = -tel->hw_raw[i];
	mutex_unlock(&tel->hw_lock);
}

/**
 * vnpu_telemetry_suspend - the device is about to sleep (runtime or system)
 * @vdev: device, still powered, running nothing
 */
void vnpu_telemetry_suspend(struct vnpu_device *vdev)
{
	vnpu_tel_sample(vdev);
}

/**
 * vnpu_telemetry_resume - the device is powered again, not restarted yet
 * @vdev: device, running nothing
 */
void vnpu_telemetry_resume(struct vnpu_device *vdev)
{
	vnpu_tel_sample(vdev);
}
