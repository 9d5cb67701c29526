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
 * System sleep stops the schedulers, lets the hardware finish what it is
 * running, keeps the jobs it has not started, and stops the device;
 * resume re-initializes it, writes the kept jobs again and restarts the
 * schedulers, so jobs in flight complete normally across a suspend.
 */

#include <linux/pci.h>
#include <linux/pm_runtime.h>

#include "vnpu_drv.h"
#include "vnpu_hw.h"
#include "vnpu_job.h"
#include "vnpu_pm.h"
#include "vnpu_telemetry.h"

static unsigned int autosuspend_ms = 100;
module_param(autosuspend_ms, uint, 0444);
MODULE_PARM_DESC(autosuspend_ms,
		 "Idle time before the device suspends at run time (ms, default 100)");

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

	vnpu_sched_suspend(vdev);
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
