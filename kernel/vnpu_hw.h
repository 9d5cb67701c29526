/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_HW_H__
#define __VNPU_HW_H__

#include <linux/io.h>

#include "vnpu_drv.h"

static inline u32 vnpu_rd(struct vnpu_device *vdev, u32 reg)
{
	return readl(vdev->regs + reg);
}

static inline void vnpu_wr(struct vnpu_device *vdev, u32 reg, u32 val)
{
	writel(val, vdev->regs + reg);
}

static inline u32 vnpu_qrd(struct vnpu_queue *q, u32 reg)
{
	return vnpu_rd(q->vdev, VNPU_REG_Q(q->index) + reg);
}

static inline void vnpu_qwr(struct vnpu_queue *q, u32 reg, u32 val)
{
	vnpu_wr(q->vdev, VNPU_REG_Q(q->index) + reg, val);
}

int vnpu_hw_probe(struct vnpu_device *vdev);
int vnpu_hw_queues_alloc(struct vnpu_device *vdev);
int vnpu_hw_irq_init(struct vnpu_device *vdev);
int vnpu_hw_reset(struct vnpu_device *vdev);
int vnpu_hw_engine_reset(struct vnpu_device *vdev, u32 mask);
int vnpu_hw_init(struct vnpu_device *vdev);
void vnpu_hw_fini(struct vnpu_device *vdev);
void vnpu_hw_watchdog_arm(struct vnpu_device *vdev);

#endif /* __VNPU_HW_H__ */
