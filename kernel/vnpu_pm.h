/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_PM_H__
#define __VNPU_PM_H__

#include <linux/pm.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "vnpu_device.h"

struct seq_file;
struct vnpu_device;

/*
 * struct vnpu_pm - system sleep state of a device (vnpu_device.pm)
 *
 * Written under the device's reset_lock; the statistics are shown by the
 * debugfs file "pm".
 */
struct vnpu_pm {
	/* between the system suspend callback and the resume callback */
	bool suspended;
	/* timeout handlers that fired while suspended wait here for resume */
	wait_queue_head_t resume_wq;
	/* jobs per queue taken off the hardware at suspend, run at resume */
	u32 kept[VNPU_MAX_QUEUES];

	/* system suspends and resumes so far */
	u32 suspends;
	u32 resumes;
	/* the last suspend: jobs in the rings when it began */
	u32 last_busy;
	/* ... of which ended while it waited (drain) */
	u32 last_drained;
	/* ... of which were stopped and ran again from the start at resume */
	u32 last_kept;
	/* milliseconds it waited for running jobs */
	u32 last_drain_ms;
};

extern const struct dev_pm_ops vnpu_pm_ops;

void vnpu_pm_init(struct vnpu_device *vdev);
void vnpu_pm_enable(struct vnpu_device *vdev);
void vnpu_pm_disable(struct vnpu_device *vdev);

int vnpu_pm_get(struct vnpu_device *vdev);
bool vnpu_pm_get_if_active(struct vnpu_device *vdev);
void vnpu_pm_put(struct vnpu_device *vdev);

void vnpu_pm_debugfs_show(struct vnpu_device *vdev, struct seq_file *m);

#endif /* __VNPU_PM_H__ */
