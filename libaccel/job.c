// SPDX-License-Identifier: MIT
/*
 * libaccel: job submission and waiting.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "drm/vnpu_accel.h"
#include "accel_priv.h"

_Static_assert(ACCEL_SYNC_TIMELINE == DRM_VNPU_SYNC_TIMELINE, "sync flags");
_Static_assert(sizeof(struct accel_sync) == sizeof(struct drm_vnpu_sync),
	       "struct accel_sync mirrors struct drm_vnpu_sync");

/* From cmdbuf.c. */
struct accel_device *accel_cmdbuf_device(const struct accel_cmdbuf *cb);
int accel_cmdbuf_bo_handles(const struct accel_cmdbuf *cb, uint32_t **handles,
			    unsigned int *count);
int accel_cmdbuf_upload(struct accel_cmdbuf *cb, struct accel_bo **out,
			uint32_t *size);

struct accel_job {
	struct accel_device *dev;
	struct accel_bo *cmd_bo;	/* holds the stream (a reference) */
	uint64_t id;
	uint32_t syncobj;		/* signalled with the job's fence */

	pthread_mutex_t lock;
	bool done;
	int status;
	uint32_t hw_status;
};

static int convert_syncs(const struct accel_sync *in, uint32_t n,
			 struct drm_vnpu_sync *out)
{
	uint32_t i;

	if (n > DRM_VNPU_MAX_SYNCS || (n && !in))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (in[i].flags & ~ACCEL_SYNC_TIMELINE)
			return -EINVAL;
		if (!(in[i].flags & ACCEL_SYNC_TIMELINE) && in[i].point)
			return -EINVAL;
		out[i].handle = in[i].handle;
		out[i].flags = in[i].flags;
		out[i].point = in[i].point;
	}
	return 0;
}

ACCEL_EXPORT int accel_job_submit(struct accel_device *dev,
				  struct accel_cmdbuf *cb, uint32_t queue,
				  const struct accel_submit_opts *opts,
				  struct accel_job **out)
{
	struct drm_vnpu_sync in[DRM_VNPU_MAX_SYNCS], outs[DRM_VNPU_MAX_SYNCS];
	struct drm_vnpu_submit args = { .queue = queue };
	struct accel_job *job;
	uint32_t *handles = NULL, in_tmp = 0;
	unsigned int nhandles = 0, i;
	uint32_t prio = ACCEL_PRIORITY_DEFAULT;
	int ret;

	if (!dev || !cb)
		return -EINVAL;
	if (accel_cmdbuf_device(cb) != dev)
		return -EXDEV;
	if (opts) {
		if (opts->flags & ~(ACCEL_SUBMIT_IN_FENCE_FD |
				    ACCEL_SUBMIT_INJECT_HANG))
			return -EINVAL;
		if (opts->flags & ACCEL_SUBMIT_INJECT_HANG)
			args.flags |= DRM_VNPU_SUBMIT_INJECT_HANG;
		for (i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
			if (opts->reserved[i])
				return -EINVAL;
		if (opts->priority > ACCEL_PRIORITY_HIGH)
			return -EINVAL;
		if (opts->out_sync_count > ACCEL_MAX_SYNCS - 1)
			return -EINVAL;	/* one is the job's own */
		if ((opts->flags & ACCEL_SUBMIT_IN_FENCE_FD) &&
		    (opts->in_fence_fd < 0 ||
		     opts->in_sync_count > ACCEL_MAX_SYNCS - 1))
			return -EINVAL;
		ret = convert_syncs(opts->in_syncs, opts->in_sync_count, in);
		if (!ret)
			ret = convert_syncs(opts->out_syncs,
					    opts->out_sync_count, outs);
		if (ret)
			return ret;
		args.in_sync_count = opts->in_sync_count;
		args.out_sync_count = opts->out_sync_count;
		prio = opts->priority;
	}
	args.in_syncs = (uintptr_t)in;
	args.out_syncs = (uintptr_t)outs;
	if (queue >= dev->num_queues)
		return -EINVAL;

	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	if (pthread_mutex_init(&job->lock, NULL)) {
		free(job);
		return -ENOMEM;
	}
	if (opts && (opts->flags & ACCEL_SUBMIT_IN_FENCE_FD)) {
		/* A temporary syncobj carries the sync_file's fence. */
		errno = 0;
		ret = drmSyncobjCreate(dev->fd, 0, &in_tmp);
		if (!ret)
			ret = drmSyncobjImportSyncFile(dev->fd, in_tmp,
						       opts->in_fence_fd);
		if (ret) {
			ret = errno ? -errno : -EINVAL;
			goto err;
		}
		in[args.in_sync_count++] = (struct drm_vnpu_sync){
			.handle = in_tmp };
	}
	if (out) {
		errno = 0;
		if (drmSyncobjCreate(dev->fd, 0, &job->syncobj)) {
			ret = errno ? -errno : -ENOMEM;
			goto err;
		}
		outs[args.out_sync_count++] = (struct drm_vnpu_sync){
			.handle = job->syncobj };
	}
	ret = accel_cmdbuf_upload(cb, &job->cmd_bo, &args.cmd_size);
	if (ret)
		goto err;
	ret = accel_cmdbuf_bo_handles(cb, &handles, &nhandles);
	if (ret)
		goto err;
	args.cmd_handle = job->cmd_bo->handle;
	args.cmd_offset = 0;
	args.bo_handles = (uintptr_t)handles;
	args.bo_count = nhandles;

	/*
	 * The driver's priority belongs to the context and is taken at
	 * submission: switch it (when asked) and submit under one lock so
	 * that concurrent submitters with other priorities cannot interleave.
	 * Without an explicit priority the context's current one is used.
	 */
	if (prio != ACCEL_PRIORITY_DEFAULT) {
		pthread_mutex_lock(&dev->lock);
		ret = accel_dev_set_priority_locked(dev, prio);
		if (!ret)
			ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_SUBMIT, &args);
		pthread_mutex_unlock(&dev->lock);
	} else {
		ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_SUBMIT, &args);
	}
	free(handles);
	if (in_tmp) {
		drmSyncobjDestroy(dev->fd, in_tmp);
		in_tmp = 0;
	}
	if (ret)
		goto err;

	job->id = args.job_id;
	job->dev = dev;
	accel_dev_get(dev);
	if (out) {
		*out = job;
	} else {
		/* Nobody will wait for it: the kernel keeps what it needs. */
		accel_bo_unref(job->cmd_bo);
		accel_dev_put(dev);
		pthread_mutex_destroy(&job->lock);
		free(job);
	}
	return 0;

err:
	if (in_tmp)
		drmSyncobjDestroy(dev->fd, in_tmp);
	if (job->syncobj)
		drmSyncobjDestroy(dev->fd, job->syncobj);
	if (job->cmd_bo)
		accel_bo_unref(job->cmd_bo);
	pthread_mutex_destroy(&job->lock);
	free(job);
	return ret;
}

/*
 * How long accel_job_wait() checks for completion without sleeping before
 * it sleeps in the driver: ACCEL_POLL_US in the environment (0 turns it
 * off), by default ACCEL_POLL_US_DEFAULT. A short job then ends without
 * the wake-up of a sleeping task, the largest part of its round trip.
 */
#define ACCEL_POLL_US_DEFAULT 50
#define ACCEL_POLL_US_MAX 100000

static int64_t poll_window_ns(void)
{
	const char *e = getenv("ACCEL_POLL_US");
	char *end;
	long v;

	if (!e || !*e)
		return ACCEL_POLL_US_DEFAULT * 1000ll;
	v = strtol(e, &end, 10);
	if (*end || v < 0)
		return ACCEL_POLL_US_DEFAULT * 1000ll;
	return (v > ACCEL_POLL_US_MAX ? ACCEL_POLL_US_MAX : v) * 1000ll;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

ACCEL_EXPORT int accel_job_wait(struct accel_job *job, int64_t timeout_ns,
				int *job_status)
{
	struct drm_vnpu_wait w = { 0 };
	int64_t deadline, poll_end, poll;
	int ret;

	if (!job)
		return -EINVAL;
	pthread_mutex_lock(&job->lock);
	if (job->done) {
		if (job_status)
			*job_status = job->status;
		pthread_mutex_unlock(&job->lock);
		return 0;
	}
	pthread_mutex_unlock(&job->lock);

	/* Wait without the lock so that several threads can wait at once. */
	w.job_id = job->id;
	deadline = accel_deadline(timeout_ns);
	poll = timeout_ns ? poll_window_ns() : 0;
	if (poll) {
		/* a deadline in the past: the driver only checks */
		poll_end = now_ns() + poll;
		do {
			w.timeout_ns = 0;
			ret = accel_ioctl(job->dev->fd, DRM_IOCTL_VNPU_WAIT, &w);
		} while (ret == -ETIME && now_ns() < poll_end &&
			 now_ns() < deadline);
		if (ret != -ETIME)
			goto out;
	}
	w.timeout_ns = deadline;
	ret = accel_ioctl(job->dev->fd, DRM_IOCTL_VNPU_WAIT, &w);
out:
	if (ret)
		return ret;

	pthread_mutex_lock(&job->lock);
	job->done = true;
	job->status = w.status;
	job->hw_status = w.hw_status;
	if (job_status)
		*job_status = job->status;
	pthread_mutex_unlock(&job->lock);
	return 0;
}

ACCEL_EXPORT int accel_job_wait_many(struct accel_job *const *jobs,
				     unsigned int count, uint32_t flags,
				     int64_t timeout_ns, unsigned int *first)
{
	uint32_t handles[ACCEL_WAIT_MANY_MAX], first_signaled = 0;
	uint32_t dflags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	int64_t deadline;
	unsigned int i;
	int ret;

	if (!jobs || !count || count > ACCEL_WAIT_MANY_MAX ||
	    (flags & ~ACCEL_WAIT_ALL))
		return -EINVAL;
	for (i = 0; i < count; i++) {
		if (!jobs[i])
			return -EINVAL;
		if (jobs[i]->dev != jobs[0]->dev)
			return -EXDEV;
		handles[i] = jobs[i]->syncobj;
	}
	if (flags & ACCEL_WAIT_ALL)
		dflags |= DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
	deadline = accel_deadline(timeout_ns);
	do {
		errno = 0;
		ret = drmSyncobjWait(jobs[0]->dev->fd, handles, count, deadline,
				     dflags, &first_signaled);
		if (ret)
			ret = errno ? -errno : -EIO;
	} while (ret == -EINTR || ret == -EAGAIN);
	if (ret)
		return ret;
	if (first)
		*first = first_signaled;
	return 0;
}

ACCEL_EXPORT int accel_job_get_id(const struct accel_job *job, uint64_t *id)
{
	if (!job || !id)
		return -EINVAL;
	*id = job->id;
	return 0;
}

ACCEL_EXPORT int accel_job_get_hw_status(struct accel_job *job,
					 uint32_t *hw_status)
{
	int ret = 0;

	if (!job || !hw_status)
		return -EINVAL;
	pthread_mutex_lock(&job->lock);
	if (job->done)
		*hw_status = job->hw_status;
	else
		ret = -EBUSY;
	pthread_mutex_unlock(&job->lock);
	return ret;
}

ACCEL_EXPORT int accel_job_get_syncobj(const struct accel_job *job,
				       uint32_t *handle)
{
	if (!job || !handle)
		return -EINVAL;
	*handle = job->syncobj;
	return 0;
}

ACCEL_EXPORT int accel_job_export_sync_file(const struct accel_job *job,
					    int *sync_file_fd)
{
	int fd = -1;

	if (!job || !sync_file_fd)
		return -EINVAL;
	errno = 0;
	if (drmSyncobjExportSyncFile(job->dev->fd, job->syncobj, &fd))
		return errno ? -errno : -EIO;
	*sync_file_fd = fd;
	return 0;
}

ACCEL_EXPORT void accel_job_free(struct accel_job *job)
{
	if (!job)
		return;
	drmSyncobjDestroy(job->dev->fd, job->syncobj);
	accel_bo_unref(job->cmd_bo);
	accel_dev_put(job->dev);
	pthread_mutex_destroy(&job->lock);
	free(job);
}
