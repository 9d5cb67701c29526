// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Power management.
 *
 * Runtime PM with autosuspend: every job holds a runtime-PM reference
 * from SUBMIT until the scheduler frees it, so the device is active while
 * any job is queued or running; it suspends autosuspend_ms after the last
 * one (once userspace allows it through power/control, the PCI default
 * being "on"). Runtime suspend stops and resets the device; runtime resume
 * programs it from scratch (rings, context table, a full TLB invalidation).
 * Register paths that only matter for an active device (TLB invalidation)
 * skip a suspended one instead of waking it.
 *
 * System sleep stops the schedulers and their job timeouts, gives the
 * jobs on the hardware suspend_drain_ms to finish, stops the device and
 * keeps every job that did not end; resume re-initializes the device,
 * writes the kept jobs again (they run from the start) and restarts the
 * schedulers, so jobs in flight complete normally across a suspend and
 * time asleep never makes one look hung.
 */

#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/seq_file.h>

#include "vnpu_drv.h"
#include "vnpu_hw.h"
#include "vnpu_job.h"
#include "vnpu_pm.h"
#include "vnpu_telemetry.h"

static unsigned int autosuspend_ms = 100;
module_param(autosuspend_ms, uint, 0444);
MODULE_PARM_DESC(autosuspend_ms,
		 "Idle time before the device suspends at run time (ms, default 100)");

static unsigned int suspend_drain_ms = 1000;
module_param(suspend_drain_ms, uint, 0644);
MODULE_PARM_DESC(suspend_drain_ms,
		 "Time running jobs get to finish at system suspend before they are stopped and run again at resume (ms, default 1000)");

static int vnpu_pm_runtime_suspend(struct device *dev)
{
	struct vnpu_device *vdev = pci_get_drvdata(to_pci_dev(dev));

	vnpu_dbg(vdev, "runtime suspend\n");
	vnpu_telemetry_suspend(vdev);
	vnpu_hw_fini(vdev);
	return 0;
}

static int vnpu_pm_runtime_resume(struct device *dev)
{
	struct vnpu_device *vdev = pci_get_drvdata(to_pci_dev(dev));
	int ret;

	vnpu_dbg(vdev, "runtime resume\n");
	vnpu_telemetry_resume(vdev);
	ret = vnpu_hw_init(vdev);
	if (ret)
		vnpu_err(vdev, "cannot resume the device: %d\n", ret);
	return ret;
}

static int vnpu_pm_suspend(struct device *dev)
{
	struct vnpu_device *vdev = pci_get_drvdata(to_pci_dev(dev));

	vnpu_sched_suspend(vdev, READ_ONCE(suspend_drain_ms));
	vnpu_telemetry_suspend(vdev);
	return 0;
}

static int vnpu_pm_resume(struct device *dev)
{
	struct vnpu_device *vdev = pci_get_drvdata(to_pci_dev(dev));

	vnpu_telemetry_resume(vdev);
	return vnpu_sched_resume(vdev);
}

const struct dev_pm_ops vnpu_pm_ops = {
	SYSTEM_SLEEP_PM_OPS(vnpu_pm_suspend, vnpu_pm_resume)
	RUNTIME_PM_OPS(vnpu_pm_runtime_suspend, vnpu_pm_runtime_resume, NULL)
};

/**
 * vnpu_pm_init - runtime PM settings, before the device is used
 * @vdev: device
 */
void vnpu_pm_init(struct vnpu_device *vdev)
{
	struct device *dev = vdev->drm.dev;

	init_waitqueue_head(&vdev->pm.resume_wq);
	pm_runtime_use_autosuspend(dev);
	pm_runtime_set_autosuspend_delay(dev, autosuspend_ms);
}

/**
 * vnpu_pm_enable - end of probe: drop the reference the PCI core took
 * @vdev: device, initialized
 */
void vnpu_pm_enable(struct vnpu_device *vdev)
{
	struct device *dev = vdev->drm.dev;

	pm_runtime_mark_last_busy(dev);
	pm_runtime_put_autosuspend(dev);
}

/**
 * vnpu_pm_disable - start of remove: keep the device active from now on
 * @vdev: device
 */
void vnpu_pm_disable(struct vnpu_device *vdev)
{
	struct device *dev = vdev->drm.dev;

	/* the PCI core resumed the device before calling remove */
	pm_runtime_get_noresume(dev);
	pm_runtime_dont_use_autosuspend(dev);
}

/**
 * vnpu_pm_get - resume the device if needed and keep it active
 * @vdev: device
 *
 * Returns 0 or a negative errno (the reference is then not held).
 */
int vnpu_pm_get(struct vnpu_device *vdev)
{
	int ret = pm_runtime_resume_and_get(vdev->drm.dev);

	if (ret < 0)
		vnpu_err_ratelimited(vdev, "cannot resume: %d\n", ret);
	return ret < 0 ? ret : 0;
}

/**
 * vnpu_pm_get_if_active - keep the device active if it is, don't wake it
 * @vdev: device
 *
 * Returns true when a reference was taken.
 */
bool vnpu_pm_get_if_active(struct vnpu_device *vdev)
{
	return pm_runtime_get_if_active(vdev->drm.dev) > 0;
}

/**
 * vnpu_pm_put - drop a reference; the device suspends once idle long enough
 * @vdev: device
 *
 * Safe in atomic context.
 */
void vnpu_pm_put(struct vnpu_device *vdev)
{
	pm_runtime_mark_last_busy(vdev->drm.dev);
	pm_runtime_put_autosuspend(vdev->drm.dev);
}

/**
 * vnpu_pm_debugfs_show - the debugfs file "pm"
 * @vdev: device
 * @m: the file
 */
void vnpu_pm_debugfs_show(struct vnpu_device *vdev, struct seq_file *m)
{
	struct vnpu_pm *pm = &vdev->pm;

	mutex_lock(&vdev->reset_lock);
	seq_printf(m, "suspended %u\nsuspends %u\nresumes %u\n", pm->suspended,
		   pm->suspends, pm->resumes);
	seq_printf(m, "last_busy %u\nlast_drained %u\nlast_kept %u\nlast_drain_ms %u\n",
		   pm->last_busy, pm->last_drained, pm->last_kept,
		   pm->last_drain_ms);
	mutex_unlock(&vdev->reset_lock);
	seq_printf(m, "runtime_status %s\n",
		   pm_runtime_suspended(vdev->drm.dev) ? "suspended" : "active");
}
