/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_PM_H__
#define __VNPU_PM_H__

#include <linux/pm.h>

struct vnpu_device;

extern const struct dev_pm_ops vnpu_pm_ops;

void vnpu_pm_init(struct vnpu_device *vdev);
void vnpu_pm_enable(struct vnpu_device *vdev);
void vnpu_pm_disable(struct vnpu_device *vdev);

int vnpu_pm_get(struct vnpu_device *vdev);
bool vnpu_pm_get_if_active(struct vnpu_device *vdev);
void vnpu_pm_put(struct vnpu_device *vdev);

#endif /* __VNPU_PM_H__ */
