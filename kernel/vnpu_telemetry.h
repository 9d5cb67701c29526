/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_TELEMETRY_H__
#define __VNPU_TELEMETRY_H__

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "vnpu_device.h"

struct drm_file;
struct drm_printer;
struct pid_namespace;
struct vnpu_completion;
struct vnpu_device;
struct vnpu_file_priv;
struct vnpu_job;

/* The device clock (completion timestamps) counts nanoseconds. */
#define VNPU_CLOCK_HZ			1000000000ull

/**
 * struct vnpu_tel_queue_stats - job accounting of one hardware queue
 * @busy_ns: device time used by the queue's jobs (completion end - start)
 * @completed: jobs that ended successfully
 * @failed: jobs that ended with an error
 */
struct vnpu_tel_queue_stats {
	atomic64_t busy_ns;
	atomic64_t completed;
	atomic64_t failed;
};

/**
 * struct vnpu_tel_client - statistics of one open file (one context)
 *
 * Refcounted: the file holds one reference until postclose and every job
 * holds one until it is freed, so that a job that ends after its file was
 * closed still has somewhere to account itself.
 */
struct vnpu_tel_client {
	struct kref ref;
	/* in vnpu_telemetry.clients while the file is open, under its lock */
	struct list_head link;
	/* the open file; NULL once closed (under vnpu_telemetry.lock) */
	struct drm_file *file;
	u32 ctx_id;
	u64 client_id;

	atomic64_t submitted;
	atomic64_t completed;
	atomic64_t failed;
	atomic64_t faults;
	atomic64_t busy_ns;
	struct vnpu_tel_queue_stats q[VNPU_MAX_QUEUES];
};

/**
 * struct vnpu_tel_job - telemetry state of one job (in struct vnpu_job)
 * @client: the submitting file's statistics (one reference), set at submit
 * @accounted: the job's end was counted
 */
struct vnpu_tel_job {
	struct vnpu_tel_client *client;
	bool accounted;
};

/**
 * struct vnpu_tel_hw - the device's counter registers
 */
struct vnpu_tel_hw {
	u64 jobs;
	u64 bytes;
	u64 faults;
	u64 busy_ns;
	u64 macs;
	u64 energy_pj;
	u64 irqs;
	u64 xfer;
};

enum vnpu_tel_hw_counter {
	VNPU_TEL_HW_JOBS,
	VNPU_TEL_HW_BYTES,
	VNPU_TEL_HW_FAULTS,
	VNPU_TEL_HW_BUSY_NS,
	VNPU_TEL_HW_MACS,
	VNPU_TEL_HW_ENERGY_PJ,
	VNPU_TEL_HW_IRQS,
	VNPU_TEL_HW_XFER,
	VNPU_TEL_HW_COUNT
};

/**
 * struct vnpu_telemetry - per-device telemetry
 */
struct vnpu_telemetry {
	struct vnpu_device *vdev;

	/* protects clients, nr_clients and the clients' file pointers */
	struct mutex lock;
	struct list_head clients;
	u32 nr_clients;

	/* in the list of registered devices (vnpu_telemetry.c) */
	struct list_head link;
	/* accel minor index, valid once registered */
	u32 index;
	char pci_addr[16];

	atomic64_t submitted;
	atomic64_t completed;
	atomic64_t failed;
	atomic64_t hangs;
	atomic64_t fault_records;
	struct vnpu_tel_queue_stats q[VNPU_MAX_QUEUES];
	/*
	 * CLOCK_MONOTONIC ns since which the oldest job of each queue's ring
	 * has been eligible to run (under that queue's lock)
	 */
	u64 head_since_ns[VNPU_MAX_QUEUES];

	/* serializes LO/HI counter reads; protects hw_raw and hw_base */
	struct mutex hw_lock;
	/* counter registers as sampled last */
	u64 hw_raw[VNPU_TEL_HW_COUNT];
	/* what they had before power transitions cleared them */
	u64 hw_base[VNPU_TEL_HW_COUNT];
};

/* probe, before drm_dev_register(): state, sysfs and debugfs */
int vnpu_telemetry_init(struct vnpu_device *vdev);
/* probe, after drm_dev_register(): visible to netlink */
void vnpu_telemetry_register(struct vnpu_device *vdev);
/* remove, before the device goes: UNPLUG event, hidden from netlink */
void vnpu_telemetry_unplug(struct vnpu_device *vdev);

int vnpu_telemetry_module_init(void);
void vnpu_telemetry_module_exit(void);

int vnpu_telemetry_file_open(struct vnpu_file_priv *fpriv,
			     struct drm_file *file);
void vnpu_telemetry_file_close(struct vnpu_file_priv *fpriv);
void vnpu_telemetry_show_fdinfo(struct drm_printer *p, struct drm_file *file);

void vnpu_telemetry_job_submit(struct vnpu_file_priv *fpriv,
			       struct vnpu_job *job);
void vnpu_telemetry_job_run(struct vnpu_job *job);
void vnpu_telemetry_job_times(struct vnpu_job *job,
			      const struct vnpu_completion *c);
void vnpu_telemetry_job_done(struct vnpu_job *job, u32 hw_status, int err);
void vnpu_telemetry_job_free(struct vnpu_job *job);

void vnpu_telemetry_hang(struct vnpu_job *job);
void vnpu_telemetry_reset(struct vnpu_device *vdev);
void vnpu_telemetry_fault(struct vnpu_device *vdev, u32 ctx_id, u32 queue,
			  u64 va, u32 access);

int vnpu_telemetry_hw_get(struct vnpu_device *vdev, bool wake, int *idx);
void vnpu_telemetry_hw_put(struct vnpu_device *vdev, int token, int idx);
int vnpu_telemetry_read_hw(struct vnpu_device *vdev, struct vnpu_tel_hw *hw);
void vnpu_telemetry_suspend(struct vnpu_device *vdev);
void vnpu_telemetry_resume(struct vnpu_device *vdev);
u64 vnpu_telemetry_client_mem(struct vnpu_tel_client *client);
u32 vnpu_telemetry_client_pid(struct vnpu_tel_client *client,
			      struct pid_namespace *ns, char *comm);

/* registered devices, for netlink (under vnpu_tel_devices_lock) */
extern struct mutex vnpu_tel_devices_lock;
extern struct list_head vnpu_tel_devices;
/* bumped whenever a device or a client comes or goes (dump consistency) */
extern unsigned int vnpu_tel_generation;

#endif /* __VNPU_TELEMETRY_H__ */
