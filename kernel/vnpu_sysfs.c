// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * sysfs: /sys/bus/pci/devices/<address>/telemetry/, one counter per file,
 * read-only, described in Documentation/accel/vnpu/driver.rst.
 */

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "vnpu_drv.h"
#include "vnpu_sysfs.h"
#include "vnpu_telemetry.h"

enum vnpu_sysfs_counter {
	VNPU_SYSFS_BUSY_NS,
	VNPU_SYSFS_JOBS_SUBMITTED,
	VNPU_SYSFS_JOBS_COMPLETED,
	VNPU_SYSFS_JOBS_FAILED,
	VNPU_SYSFS_HW_JOBS,
	VNPU_SYSFS_BYTES,
	VNPU_SYSFS_MACS,
	VNPU_SYSFS_ENERGY_PJ,
	VNPU_SYSFS_RESETS,
	VNPU_SYSFS_HANGS,
	VNPU_SYSFS_FAULTS,
	VNPU_SYSFS_XFER_BYTES,
	VNPU_SYSFS_IRQS,
	VNPU_SYSFS_LOST_IRQS,
};

struct vnpu_sysfs_attr {
	struct device_attribute attr;
	enum vnpu_sysfs_counter counter;
};

static ssize_t vnpu_sysfs_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vnpu_device *vdev = pci_get_drvdata(to_pci_dev(dev));
	struct vnpu_telemetry *tel = vdev->tel;
	struct vnpu_sysfs_attr *va;
	struct vnpu_tel_hw hw;
	u64 value;

	va = container_of(attr, struct vnpu_sysfs_attr, attr);
	switch (va->counter) {
	case VNPU_SYSFS_JOBS_SUBMITTED:
		value = atomic64_read(&tel->submitted);
		break;
	case VNPU_SYSFS_JOBS_COMPLETED:
		value = atomic64_read(&tel->completed);
		break;
	case VNPU_SYSFS_JOBS_FAILED:
		value = atomic64_read(&tel->failed);
		break;
	case VNPU_SYSFS_RESETS:
		value = atomic_read(&vdev->reset_count);
		break;
	case VNPU_SYSFS_HANGS:
		value = atomic64_read(&tel->hangs);
		break;
	case VNPU_SYSFS_LOST_IRQS:
		value = atomic_read(&vdev->lost_irqs);
		break;
	default:
		/* device counters; the last values read if it is asleep */
		vnpu_telemetry_read_hw(vdev, &hw);
		switch (va->counter) {
		case VNPU_SYSFS_BUSY_NS:
			value = hw.busy_ns;
			break;
		case VNPU_SYSFS_HW_JOBS:
			value = hw.jobs;
			break;
		case VNPU_SYSFS_BYTES:
			value = hw.bytes;
			break;
		case VNPU_SYSFS_MACS:
			value = hw.macs;
			break;
		case VNPU_SYSFS_ENERGY_PJ:
			value = hw.energy_pj;
			break;
		case VNPU_SYSFS_FAULTS:
			value = hw.faults;
			break;
		case VNPU_SYSFS_XFER_BYTES:
			value = hw.xfer;
			break;
		case VNPU_SYSFS_IRQS:
			value = hw.irqs;
			break;
		default:
			return -EINVAL;
		}
	}
	return sysfs_emit(buf, "%llu\n", value);
}

#define VNPU_SYSFS_ATTR(_name, _counter)				\
	static struct vnpu_sysfs_attr vnpu_attr_##_name = {		\
		.attr = __ATTR(_name, 0444, vnpu_sysfs_show, NULL),	\
		.counter = _counter,					\
	}

VNPU_SYSFS_ATTR(busy_ns, VNPU_SYSFS_BUSY_NS);
VNPU_SYSFS_ATTR(jobs_submitted, VNPU_SYSFS_JOBS_SUBMITTED);
VNPU_SYSFS_ATTR(jobs_completed, VNPU_SYSFS_JOBS_COMPLETED);
VNPU_SYSFS_ATTR(jobs_failed, VNPU_SYSFS_JOBS_FAILED);
VNPU_SYSFS_ATTR(hw_jobs, VNPU_SYSFS_HW_JOBS);
VNPU_SYSFS_ATTR(bytes, VNPU_SYSFS_BYTES);
VNPU_SYSFS_ATTR(macs, VNPU_SYSFS_MACS);
VNPU_SYSFS_ATTR(energy_pj, VNPU_SYSFS_ENERGY_PJ);
VNPU_SYSFS_ATTR(resets, VNPU_SYSFS_RESETS);
VNPU_SYSFS_ATTR(hangs, VNPU_SYSFS_HANGS);
VNPU_SYSFS_ATTR(faults, VNPU_SYSFS_FAULTS);
VNPU_SYSFS_ATTR(xfer_bytes, VNPU_SYSFS_XFER_BYTES);
VNPU_SYSFS_ATTR(irqs, VNPU_SYSFS_IRQS);
VNPU_SYSFS_ATTR(lost_irqs, VNPU_SYSFS_LOST_IRQS);

static struct attribute *vnpu_telemetry_attrs[] = {
	&vnpu_attr_busy_ns.attr.attr,
	&vnpu_attr_jobs_submitted.attr.attr,
	&vnpu_attr_jobs_completed.attr.attr,
	&vnpu_attr_jobs_failed.attr.attr,
	&vnpu_attr_hw_jobs.attr.attr,
	&vnpu_attr_bytes.attr.attr,
	&vnpu_attr_macs.attr.attr,
	&vnpu_attr_energy_pj.attr.attr,
	&vnpu_attr_resets.attr.attr,
	&vnpu_attr_hangs.attr.attr,
	&vnpu_attr_faults.attr.attr,
	&vnpu_attr_xfer_bytes.attr.attr,
	&vnpu_attr_irqs.attr.attr,
	&vnpu_attr_lost_irqs.attr.attr,
	NULL,
};

static const struct attribute_group vnpu_telemetry_group = {
	.name = "telemetry",
	.attrs = vnpu_telemetry_attrs,
};

/**
 * vnpu_sysfs_init - add the telemetry attributes to the PCI device
 * @vdev: device; its drvdata is set
 *
 * Device-managed. Returns 0 or a negative errno.
 */
int vnpu_sysfs_init(struct vnpu_device *vdev)
{
	int ret;

	ret = devm_device_add_group(vdev->drm.dev, &vnpu_telemetry_group);
	if (ret)
		vnpu_err(vdev, "cannot add the sysfs attributes: %d\n", ret);
	return ret;
}
