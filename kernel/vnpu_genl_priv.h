/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_GENL_PRIV_H__
#define __VNPU_GENL_PRIV_H__

#include <linux/types.h>

struct vnpu_telemetry;

int vnpu_genl_register(void);
void vnpu_genl_unregister(void);

void vnpu_genl_event_reset(struct vnpu_telemetry *tel, int error);
void vnpu_genl_event_hang(struct vnpu_telemetry *tel, u32 ctx_id, u32 queue,
			  u64 job_id);
void vnpu_genl_event_fault(struct vnpu_telemetry *tel, u32 ctx_id, u32 queue,
			   u64 va, u32 access);
void vnpu_genl_event_unplug(struct vnpu_telemetry *tel);

#endif /* __VNPU_GENL_PRIV_H__ */
