// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * debugfs: /sys/kernel/debug/accel/<PCI address>/, described in
 * Documentation/accel/vnpu/driver.rst.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kstrtox.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>

#include "vnpu_debugfs.h"
#include "vnpu_drv.h"
#include "vnpu_gem.h"
#include "vnpu_hw.h"
#include "vnpu_job.h"
#include "vnpu_telemetry.h"

static struct vnpu_device *seq_to_vnpu(struct seq_file *m)
{
	struct drm_debugfs_entry *entry = m->private;

	return to_vnpu_device(entry->dev);
}

static int vnpu_debugfs_rings(struct seq_file *m, void *data)
{
	struct vnpu_device *vdev = seq_to_vnpu(m);
	u32 i, n, slot, head = 0, tail = 0, ctrl = 0;
	int token, idx;

	token = vnpu_telemetry_hw_get(vdev, false, &idx);
	seq_printf(m, "device: %s%s\n",
		   token == -ENODEV ? "gone" :
		   token < 0 ? "suspended" : "active",
		   READ_ONCE(vdev->hw_dead) ? ", dead" : "");

	for (i = 0; i < vdev->num_queues; i++) {
		struct vnpu_queue *q = &vdev->queues[i];

		if (token >= 0) {
			head = vnpu_qrd(q, VNPU_Q_HEAD);
			tail = vnpu_qrd(q, VNPU_Q_TAIL);
			ctrl = vnpu_qrd(q, VNPU_Q_CTRL);
		}

		spin_lock(&q->lock);
		seq_printf(m, "q%u: size %u tail %u done %u seqno %llu",
			   i, q->size, q->tail, q->done, q->seqno);
		if (token >= 0)
			seq_printf(m, " | HEAD %u TAIL %u CTRL %#x", head, tail,
				   ctrl);
		seq_puts(m, "\n");
		for (n = q->done; n != q->tail; n++) {
			struct vnpu_job *job;

			slot = n & (q->size - 1);
			job = q->jobs[slot];
			if (!job)
				continue;
			seq_printf(m, "  [%u] job %llu ctx %u seqno %llu cmd %#llx+%u status %#x\n",
				   slot, job->id,
				   job->tel.client ? job->tel.client->ctx_id : 0,
				   job->seqno, job->cmd_va, job->cmd_size,
				   le32_to_cpu(READ_ONCE(q->comp[slot].status)));
		}
		spin_unlock(&q->lock);
	}

	if (token >= 0)
		vnpu_telemetry_hw_put(vdev, token, idx);
	return 0;
}

static int vnpu_debugfs_contexts(struct seq_file *m, void *data)
{
	struct vnpu_device *vdev = seq_to_vnpu(m);
	struct vnpu_telemetry *tel = vdev->tel;
	struct vnpu_tel_client *client;
	char comm[TASK_COMM_LEN];
	u32 pid;

	seq_puts(m, "ctx   pid     comm             client  submitted completed failed faults busy_ns mem\n");
	mutex_lock(&tel->lock);
	list_for_each_entry(client, &tel->clients, link) {
		pid = vnpu_telemetry_client_pid(client, &init_pid_ns, comm);
		seq_printf(m, "%-5u %-7u %-16s %-7llu %llu %llu %llu %llu %llu %llu\n",
			   client->ctx_id, pid, comm, client->client_id,
			   atomic64_read(&client->submitted),
			   atomic64_read(&client->completed),
			   atomic64_read(&client->failed),
			   atomic64_read(&client->faults),
			   atomic64_read(&client->busy_ns),
			   vnpu_telemetry_client_mem(client));
	}
	mutex_unlock(&tel->lock);
	return 0;
}

static int vnpu_debugfs_bos(struct seq_file *m, void *data)
{
	struct vnpu_device *vdev = seq_to_vnpu(m);
	struct vnpu_telemetry *tel = vdev->tel;
	struct vnpu_tel_client *client;
	struct drm_gem_object *obj;
	int handle;

	mutex_lock(&tel->lock);
	list_for_each_entry(client, &tel->clients, link) {
		struct drm_file *file = client->file;

		seq_printf(m, "ctx %u:\n", client->ctx_id);
		spin_lock(&file->table_lock);
		idr_for_each_entry(&file->object_idr, obj, handle) {
			struct vnpu_bo *bo = to_vnpu_bo(obj);

			seq_printf(m, "  handle %d size %zu va %#llx flags %#x refs %u%s\n",
				   handle, obj->size, vnpu_bo_va(bo), bo->flags,
				   kref_read(&obj->refcount),
				   obj->import_attach ? " imported" :
				   obj->dma_buf ? " exported" : "");
		}
		spin_unlock(&file->table_lock);
	}
	mutex_unlock(&tel->lock);
	return 0;
}

static int vnpu_debugfs_counters(struct seq_file *m, void *data)
{
	struct vnpu_device *vdev = seq_to_vnpu(m);
	struct vnpu_telemetry *tel = vdev->tel;
	struct vnpu_tel_hw hw;
	int ret;
	u32 i;

	ret = vnpu_telemetry_read_hw(vdev, &hw);
	seq_printf(m, "hw (%s):\n", ret ? "last read" : "now");
	seq_printf(m, "  jobs %llu\n  bytes %llu\n  faults %llu\n  busy_ns %llu\n",
		   hw.jobs, hw.bytes, hw.faults, hw.busy_ns);
	seq_printf(m, "  macs %llu\n  energy_pj %llu\n  irqs %llu\n  xfer %llu\n",
		   hw.macs, hw.energy_pj, hw.irqs, hw.xfer);
	seq_printf(m, "driver:\n  submitted %llu\n  completed %llu\n  failed %llu\n",
		   atomic64_read(&tel->submitted),
		   atomic64_read(&tel->completed),
		   atomic64_read(&tel->failed));
	seq_printf(m, "  resets %u\n  hangs %llu\n  fault_records %llu\n",
		   atomic_read(&vdev->reset_count), atomic64_read(&tel->hangs),
		   atomic64_read(&tel->fault_records));
	seq_printf(m, "  lost_irqs %u\n  lost_irqs_watchdog %u\n",
		   atomic_read(&vdev->lost_irqs),
		   atomic_read(&vdev->lost_irqs_watchdog));
	for (i = 0; i < vdev->num_queues; i++)
		seq_printf(m, "  q%u busy_ns %llu completed %llu failed %llu\n", i,
			   atomic64_read(&tel->q[i].busy_ns),
			   atomic64_read(&tel->q[i].completed),
			   atomic64_read(&tel->q[i].failed));
	return 0;
}

static int vnpu_debugfs_pm(struct seq_file *m, void *data)
{
	vnpu_pm_debugfs_show(seq_to_vnpu(m), m);
	return 0;
}

static const struct drm_debugfs_info vnpu_debugfs_list[] = {
	{ "rings", vnpu_debugfs_rings, 0 },
	{ "contexts", vnpu_debugfs_contexts, 0 },
	{ "bos", vnpu_debugfs_bos, 0 },
	{ "counters", vnpu_debugfs_counters, 0 },
	{ "pm", vnpu_debugfs_pm, 0 },
};

/* Writing a true value ("1", "y") resets the device, as after a hang. */
static ssize_t vnpu_debugfs_reset_write(struct file *file,
					const char __user *ubuf, size_t size,
					loff_t *pos)
{
	struct vnpu_device *vdev = file->private_data;
	int token, idx, ret;
	bool doit;

	ret = kstrtobool_from_user(ubuf, size, &doit);
	if (ret)
		return ret;
	if (!doit)
		return size;

	token = vnpu_telemetry_hw_get(vdev, true, &idx);
	if (token < 0)
		return token;
	ret = vnpu_sched_force_reset(vdev);
	vnpu_telemetry_hw_put(vdev, token, idx);
	return ret ? ret : size;
}

static const struct file_operations vnpu_debugfs_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = vnpu_debugfs_reset_write,
	.llseek = noop_llseek,
};

/* A fault-injection register (uapi/vnpu_device.h), read and written raw. */
struct vnpu_debugfs_reg {
	struct vnpu_device *vdev;
	u32 reg;
};

static int vnpu_debugfs_reg_get(void *data, u64 *val)
{
	struct vnpu_debugfs_reg *r = data;
	int token, idx;

	token = vnpu_telemetry_hw_get(r->vdev, true, &idx);
	if (token < 0)
		return token;
	*val = vnpu_rd(r->vdev, r->reg);
	vnpu_telemetry_hw_put(r->vdev, token, idx);
	return 0;
}

static int vnpu_debugfs_reg_set(void *data, u64 val)
{
	struct vnpu_debugfs_reg *r = data;
	int token, idx;

	if (val > U32_MAX)
		return -EINVAL;

	token = vnpu_telemetry_hw_get(r->vdev, true, &idx);
	if (token < 0)
		return token;
	vnpu_wr(r->vdev, r->reg, val);
	vnpu_telemetry_hw_put(r->vdev, token, idx);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(vnpu_debugfs_reg_fops, vnpu_debugfs_reg_get,
			 vnpu_debugfs_reg_set, "%llu\n");
DEFINE_DEBUGFS_ATTRIBUTE(vnpu_debugfs_reg_ro_fops, vnpu_debugfs_reg_get,
			 NULL, "%llu\n");

static const struct {
	const char *name;
	u32 reg;
	umode_t mode;
} vnpu_debugfs_regs[] = {
	{ "inject_ctrl", VNPU_REG_INJECT_CTRL, 0600 },
	{ "inject_hang_job", VNPU_REG_INJECT_HANG_JOB, 0600 },
	{ "inject_dma_fail_job", VNPU_REG_INJECT_DMA_FAIL_JOB, 0600 },
	{ "inject_mmu_fault_job", VNPU_REG_INJECT_MMU_FAULT_JOB, 0600 },
	{ "inject_drop_irq", VNPU_REG_INJECT_DROP_IRQ, 0600 },
	{ "job_seq", VNPU_REG_JOB_SEQ, 0400 },
	{ "engine_status", VNPU_REG_ENGINE_STATUS, 0400 },
};

/**
 * vnpu_debugfs_init - the device's debugfs files
 * @vdev: device, before drm_dev_register()
 *
 * The files go with the drm_device; they check that the device is still
 * there before touching it.
 */
void vnpu_debugfs_init(struct vnpu_device *vdev)
{
	struct dentry *root = vdev->drm.debugfs_root;
	struct vnpu_debugfs_reg *regs;
	u32 i;

	drm_debugfs_add_files(&vdev->drm, vnpu_debugfs_list,
			      ARRAY_SIZE(vnpu_debugfs_list));

	debugfs_create_file("reset", 0200, root, vdev,
			    &vnpu_debugfs_reset_fops);

	regs = drmm_kcalloc(&vdev->drm, ARRAY_SIZE(vnpu_debugfs_regs),
			    sizeof(*regs), GFP_KERNEL);
	if (!regs)
		return;
	for (i = 0; i < ARRAY_SIZE(vnpu_debugfs_regs); i++) {
		regs[i].vdev = vdev;
		regs[i].reg = vnpu_debugfs_regs[i].reg;
		debugfs_create_file_unsafe(vnpu_debugfs_regs[i].name,
					   vnpu_debugfs_regs[i].mode, root,
					   &regs[i],
					   vnpu_debugfs_regs[i].mode & 0200 ?
					   &vnpu_debugfs_reg_fops :
					   &vnpu_debugfs_reg_ro_fops);
	}
}
