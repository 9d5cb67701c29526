/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_SYSFS_H__
#define __VNPU_SYSFS_H__

struct vnpu_device;

int vnpu_sysfs_init(struct vnpu_device *vdev);

#endif /* __VNPU_SYSFS_H__ */
