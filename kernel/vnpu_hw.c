// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Hardware bring-up: identification, reset, queues and interrupts.
 */

#include <linux/bitfield.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>

#include <drm/drm_drv.h>
#include <drm/drm_managed.h>

#include "vnpu_drv.h"
#include "vnpu_hw.h"
#include "vnpu_job.h"
#include "vnpu_mmu.h"
#include "vnpu_telemetry.h"

#define VNPU_RESET_TIMEOUT_US		(1000 * 1000)
#define VNPU_RESET_POLL_US		10

static unsigned int ring_entries = 256;
module_param(ring_entries, uint, 0444);
MODULE_PARM_DESC(ring_entries,
		 "Descriptors per hardware queue (power of two, default 256)");

/*
 * Interrupt moderation: a queue interrupts once irq_mod_count completions
 * are pending, irq_mod_us after the first of them, or as soon as it runs
 * out of work. A lone job therefore completes with no added latency, and
 * a burst of short jobs costs one interrupt per irq_mod_count jobs.
 */
static unsigned int irq_mod_count = 8;
module_param(irq_mod_count, uint, 0444);
MODULE_PARM_DESC(irq_mod_count,
		 "Completions per queue interrupt in a burst (0/1: every one, default 8)");

static unsigned int irq_mod_us = 50;
module_param(irq_mod_us, uint, 0444);
MODULE_PARM_DESC(irq_mod_us,
		 "Longest delay of a moderated completion interrupt (us, 0: none, default 50)");

/*
 * Lost interrupts: while jobs are in the rings, a watchdog looks at each
 * queue's oldest completion every irq_watchdog_ms. One that was already
 * written at its previous look and is still there lost its interrupt:
 * the watchdog reaps the queue and counts it. With the watchdog off, the
 * job timeout handler does the same, a timeout later.
 */
static unsigned int irq_watchdog_ms = 1000;
module_param(irq_watchdog_ms, uint, 0644);
MODULE_PARM_DESC(irq_watchdog_ms,
		 "Period of the lost-interrupt watchdog while jobs run (ms, 0: off, default 1000)");

/**
 * vnpu_hw_probe - identify the device and read its capabilities
 * @vdev: device with BAR0 mapped
 *
 * Returns 0 or -ENODEV when the device is not a usable vnpu.
 */
int vnpu_hw_probe(struct vnpu_device *vdev)
{
	u32 id, ver, nq, entries, ctxs, lo, hi;

	id = vnpu_rd(vdev, VNPU_REG_ID);
	if (id != VNPU_ID_MAGIC) {
		vnpu_err(vdev, "bad ID register %#x (expected %#x)\n", id,
			 VNPU_ID_MAGIC);
		return -ENODEV;
	}

	ver = vnpu_rd(vdev, VNPU_REG_VERSION);
	if (FIELD_GET(VNPU_VERSION_MAJOR_MASK, ver) != VNPU_VERSION_MAJOR) {
		vnpu_err(vdev, "unsupported device version %u.%u\n",
			 FIELD_GET(VNPU_VERSION_MAJOR_MASK, ver),
			 FIELD_GET(VNPU_VERSION_MINOR_MASK, ver));
		return -ENODEV;
	}
	vdev->hw_version = ver;

	nq = vnpu_rd(vdev, VNPU_REG_CAP_QUEUES);
	if (!nq) {
		vnpu_err(vdev, "device has no queues\n");
		return -ENODEV;
	}
	if (nq > VNPU_MAX_QUEUES) {
		vnpu_warn(vdev, "using %u of %u queues\n", VNPU_MAX_QUEUES, nq);
		nq = VNPU_MAX_QUEUES;
	}
	vdev->num_queues = nq;
	vdev->num_engines = vnpu_rd(vdev, VNPU_REG_CAP_ENGINES);

	entries = min3(ring_entries, vnpu_rd(vdev, VNPU_REG_CAP_RING_MAX),
		       (u32)VNPU_RING_MAX_ENTRIES);
	if (entries < VNPU_RING_MIN_ENTRIES) {
		vnpu_err(vdev, "ring of %u entries is too small\n", entries);
		return -ENODEV;
	}
	vdev->ring_entries = rounddown_pow_of_two(entries);

	vdev->ops = vnpu_rd(vdev, VNPU_REG_CAP_OPS);
#ifdef VNPU_REG_CAP_DTYPES
	vdev->dtypes = vnpu_rd(vdev, VNPU_REG_CAP_DTYPES);
#else
	/*
	 * No dtype register: a device whose CAP_OPS has the compute ops
	 * takes every VNPU_DT_* the interface defines.
	 */
	if (vdev->ops & GENMASK(VNPU_OP_COUNT - 1, VNPU_OP_GEMM))
		vdev->dtypes = GENMASK(VNPU_DT_COUNT - 1, 1);
#endif

	vdev->cap_mmu = vnpu_rd(vdev, VNPU_REG_CAP_MMU);
	if (!(vdev->cap_mmu & VNPU_CAP_MMU_PAGE_4K)) {
		vnpu_err(vdev, "MMU without 4 KiB pages\n");
		return -ENODEV;
	}
	vdev->va_bits = FIELD_GET(VNPU_CAP_MMU_VA_BITS_MASK, vdev->cap_mmu);
	if (vdev->va_bits > VNPU_VA_BITS)
		vdev->va_bits = VNPU_VA_BITS;
	if (vdev->va_bits < 32) {
		vnpu_err(vdev, "%u-bit device VAs are too small\n",
			 vdev->va_bits);
		return -ENODEV;
	}
	vdev->va_end = 1ull << vdev->va_bits;

	ctxs = min_t(u32, vnpu_rd(vdev, VNPU_REG_CAP_CONTEXTS),
		     VNPU_MAX_CONTEXTS);
	if (ctxs < 2) {
		vnpu_err(vdev, "device supports %u contexts\n", ctxs);
		return -ENODEV;
	}
	vdev->num_contexts = ctxs;

	lo = vnpu_rd(vdev, VNPU_REG_DEVMEM_SIZE_LO);
	hi = vnpu_rd(vdev, VNPU_REG_DEVMEM_SIZE_HI);
	vdev->devmem_size = ((u64)hi << 32) | lo;

	vnpu_info(vdev,
		  "vnpu %u.%u: %u queues x %u entries, %u engines, %u contexts, %u-bit VA\n",
		  FIELD_GET(VNPU_VERSION_MAJOR_MASK, ver),
		  FIELD_GET(VNPU_VERSION_MINOR_MASK, ver), vdev->num_queues,
		  vdev->ring_entries, vdev->num_engines, vdev->num_contexts,
		  vdev->va_bits);
	return 0;
}

/**
 * vnpu_hw_watchdog_arm - start the lost-interrupt watchdog if it is not
 * @vdev: device with jobs in its rings
 *
 * Safe in atomic context.
 */
void vnpu_hw_watchdog_arm(struct vnpu_device *vdev)
{
	unsigned int ms = READ_ONCE(irq_watchdog_ms);

	if (ms)
		queue_delayed_work(system_wq, &vdev->irq_watchdog,
				   msecs_to_jiffies(ms));
}

static void vnpu_hw_irq_watchdog(struct work_struct *work)
{
	struct vnpu_device *vdev = container_of(to_delayed_work(work),
						struct vnpu_device,
						irq_watchdog);
	bool busy = false, stale, written;
	u32 i;
	int idx;

	if (!drm_dev_enter(&vdev->drm, &idx))
		return;
	/* a reset or a system suspend is under way: look again later */
	if (!mutex_trylock(&vdev->reset_lock)) {
		busy = true;
		goto out;
	}
	for (i = 0; i < vdev->num_queues; i++) {
		struct vnpu_queue *q = &vdev->queues[i];

		spin_lock(&q->lock);
		written = __vnpu_queue_next_written(q);
		stale = written && q->wd_seen && q->wd_done == q->done;
		q->wd_seen = written;
		q->wd_done = q->done;
		busy |= q->done != q->tail;
		spin_unlock(&q->lock);

		if (stale)
			vnpu_queue_reap_lost(q, true);
	}
	mutex_unlock(&vdev->reset_lock);
out:
	if (busy)
		vnpu_hw_watchdog_arm(vdev);
	drm_dev_exit(idx);
}

static void vnpu_hw_watchdog_fini(struct drm_device *drm, void *unused)
{
	cancel_delayed_work_sync(&to_vnpu_device(drm)->irq_watchdog);
}

/**
 * vnpu_hw_queues_alloc - allocate the rings of every queue
 * @vdev: probed device
 *
 * Also sets up the lost-interrupt watchdog.
 */
int vnpu_hw_queues_alloc(struct vnpu_device *vdev)
{
	u32 i;

	INIT_DELAYED_WORK(&vdev->irq_watchdog, vnpu_hw_irq_watchdog);

	for (i = 0; i < vdev->num_queues; i++) {
		struct vnpu_queue *q = &vdev->queues[i];

		q->vdev = vdev;
		q->index = i;
		snprintf(q->name, sizeof(q->name), "vnpu-q%u", i);
		spin_lock_init(&q->lock);
		spin_lock_init(&q->fence_lock);
		q->fence_ctx = dma_fence_context_alloc(1);
		q->size = vdev->ring_entries;

		/*
		 * Coherent allocations are page aligned (>= 64 bytes). They
		 * go with the PCI binding, as the DMA API wants, while the
		 * schedulers may outlive it: vnpu_remove() has emptied every
		 * ring by then (done == tail, so nothing reads a slot), and
		 * only run_job, inside drm_dev_enter(), fills one.
		 */
		q->ring = dmam_alloc_coherent(vdev->drm.dev,
					      q->size * sizeof(*q->ring),
					      &q->ring_dma, GFP_KERNEL);
		if (!q->ring)
			return -ENOMEM;

		q->comp = dmam_alloc_coherent(vdev->drm.dev,
					      q->size * sizeof(*q->comp),
					      &q->comp_dma, GFP_KERNEL);
		if (!q->comp)
			return -ENOMEM;

		q->jobs = drmm_kcalloc(&vdev->drm, q->size, sizeof(*q->jobs),
				       GFP_KERNEL);
		if (!q->jobs)
			return -ENOMEM;

		/* preallocated: a reset must not allocate */
		q->replay = drmm_kcalloc(&vdev->drm, q->size,
					 sizeof(*q->replay), GFP_KERNEL);
		if (!q->replay)
			return -ENOMEM;
	}
	/* released first: the watchdog stops before the rings go */
	return drmm_add_action(&vdev->drm, vnpu_hw_watchdog_fini, NULL);
}

/**
 * vnpu_hw_reset - function-level reset, bounded wait for READY
 * @vdev: device
 *
 * Returns 0 or -ETIMEDOUT.
 */
int vnpu_hw_reset(struct vnpu_device *vdev)
{
	u32 status;
	int ret;

	vnpu_wr(vdev, VNPU_REG_CTRL, VNPU_CTRL_RESET);
	ret = readl_poll_timeout(vdev->regs + VNPU_REG_STATUS, status,
				 status & VNPU_STATUS_READY, VNPU_RESET_POLL_US,
				 VNPU_RESET_TIMEOUT_US);
	if (ret)
		vnpu_err(vdev, "device stuck in reset (status %#x)\n", status);
	return ret;
}

/**
 * vnpu_hw_engine_reset - reset engines, bounded wait until they let go
 * @vdev: device
 * @mask: engines to reset (ENGINE_RESET bits)
 *
 * The write only requests the reset; ENGINE_RESET reads back the engines
 * still letting go of their jobs. Returns 0 or -ETIMEDOUT.
 */
int vnpu_hw_engine_reset(struct vnpu_device *vdev, u32 mask)
{
	u32 busy;
	int ret;

	vnpu_wr(vdev, VNPU_REG_ENGINE_RESET, mask);
	ret = readl_poll_timeout(vdev->regs + VNPU_REG_ENGINE_RESET, busy,
				 !(busy & mask), VNPU_RESET_POLL_US,
				 VNPU_RESET_TIMEOUT_US);
	if (ret)
		vnpu_err(vdev, "engines %#x stuck in reset\n", busy & mask);
	return ret;
}

static void vnpu_hw_queue_init(struct vnpu_queue *q)
{
	u32 head;

	memset(q->ring, 0, q->size * sizeof(*q->ring));
	memset(q->comp, 0, q->size * sizeof(*q->comp));

	vnpu_qwr(q, VNPU_Q_RING_LO, lower_32_bits(q->ring_dma));
	vnpu_qwr(q, VNPU_Q_RING_HI, upper_32_bits(q->ring_dma));
	vnpu_qwr(q, VNPU_Q_COMP_LO, lower_32_bits(q->comp_dma));
	vnpu_qwr(q, VNPU_Q_COMP_HI, upper_32_bits(q->comp_dma));
	vnpu_qwr(q, VNPU_Q_SIZE, q->size);
	vnpu_qwr(q, VNPU_Q_IRQ_MOD,
		 FIELD_PREP(VNPU_QIRQ_MOD_COUNT_MASK,
			    min(irq_mod_count, 0xffffu)) |
		 FIELD_PREP(VNPU_QIRQ_MOD_TIME_MASK, min(irq_mod_us, 0xffffu)));
	vnpu_qwr(q, VNPU_Q_CTRL,
		 VNPU_QCTRL_ENABLE | FIELD_PREP(VNPU_QCTRL_PRIO_MASK, 0));

	head = vnpu_qrd(q, VNPU_Q_HEAD);
	spin_lock(&q->lock);
	q->tail = head;
	q->done = head;
	spin_unlock(&q->lock);
}

/**
 * vnpu_hw_init - reset the device and program it from scratch
 * @vdev: device; every queue must be idle (no job in a ring slot)
 *
 * Used at probe and after a reset. Returns 0 or a negative errno.
 */
int vnpu_hw_init(struct vnpu_device *vdev)
{
	u32 i, status;
	int ret;

	ret = vnpu_hw_reset(vdev);
	if (ret)
		return ret;

	vnpu_mmu_hw_init(vdev);
	for (i = 0; i < vdev->num_queues; i++)
		vnpu_hw_queue_init(&vdev->queues[i]);

	vnpu_wr(vdev, VNPU_REG_IRQ_STATUS, ~0u);
	vnpu_wr(vdev, VNPU_REG_IRQ_MASK,
		VNPU_GENMASK(vdev->num_queues - 1, 0) | VNPU_IRQ_ERROR);
	vnpu_wr(vdev, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);

	status = vnpu_rd(vdev, VNPU_REG_STATUS);
	if (!(status & VNPU_STATUS_ENABLED)) {
		vnpu_err(vdev, "device did not enable (status %#x)\n", status);
		return -EIO;
	}
	return 0;
}

/**
 * vnpu_hw_fini - stop the device: no more DMA, no more interrupts
 * @vdev: device
 */
void vnpu_hw_fini(struct vnpu_device *vdev)
{
	vnpu_wr(vdev, VNPU_REG_IRQ_MASK, 0);
	vnpu_wr(vdev, VNPU_REG_CTRL, 0);
	if (vnpu_hw_reset(vdev))
		vnpu_warn(vdev, "reset failed while stopping the device\n");
	vnpu_wr(vdev, VNPU_REG_IRQ_MASK, 0);
	vnpu_wr(vdev, VNPU_REG_IRQ_STATUS, ~0u);
}

static irqreturn_t vnpu_queue_irq(int irq, void *arg)
{
	struct vnpu_queue *q = arg;
	struct vnpu_device *vdev = q->vdev;
	int idx;

	if (!drm_dev_enter(&vdev->drm, &idx))
		return IRQ_NONE;

	/* ack first: a completion written after this raises a new interrupt */
	vnpu_wr(vdev, VNPU_REG_IRQ_STATUS, VNPU_IRQ_QUEUE(q->index));
	vnpu_queue_reap(q);

	drm_dev_exit(idx);
	return IRQ_HANDLED;
}

static irqreturn_t vnpu_error_irq(int irq, void *arg)
{
	struct vnpu_device *vdev = arg;
	u32 fault, lo, hi, i;
	int idx;

	if (!drm_dev_enter(&vdev->drm, &idx))
		return IRQ_NONE;

	vnpu_wr(vdev, VNPU_REG_IRQ_STATUS, VNPU_IRQ_ERROR);

	fault = vnpu_rd(vdev, VNPU_REG_FAULT_STATUS);
	if (fault & VNPU_FAULT_VALID) {
		lo = vnpu_rd(vdev, VNPU_REG_FAULT_VA_LO);
		hi = vnpu_rd(vdev, VNPU_REG_FAULT_VA_HI);
		vnpu_err_ratelimited(vdev,
				     "MMU fault: context %u queue %u va %#llx access %#x\n",
				     FIELD_GET(VNPU_FAULT_CTX_MASK, fault),
				     FIELD_GET(VNPU_FAULT_QUEUE_MASK, fault),
				     ((u64)hi << 32) | lo,
				     FIELD_GET(VNPU_FAULT_ACCESS_MASK, fault));
		vnpu_telemetry_fault(vdev, FIELD_GET(VNPU_FAULT_CTX_MASK, fault),
				     FIELD_GET(VNPU_FAULT_QUEUE_MASK, fault),
				     ((u64)hi << 32) | lo,
				     FIELD_GET(VNPU_FAULT_ACCESS_MASK, fault));
		vnpu_wr(vdev, VNPU_REG_FAULT_ACK, 1);
	}

	for (i = 0; i < vdev->num_queues; i++) {
		struct vnpu_queue *q = &vdev->queues[i];

		/* the scheduler's timeout resets the device and recovers */
		if (vnpu_qrd(q, VNPU_Q_CTRL) & VNPU_QCTRL_ERROR)
			vnpu_err_ratelimited(vdev,
					     "queue %u stopped on error (head %u tail %u)\n",
					     i, vnpu_qrd(q, VNPU_Q_HEAD),
					     vnpu_qrd(q, VNPU_Q_TAIL));
	}

	drm_dev_exit(idx);
	return IRQ_HANDLED;
}

/**
 * vnpu_hw_irq_init - MSI-X: one vector per queue plus the error vector
 * @vdev: device
 *
 * Vectors and handlers are device-managed.
 */
int vnpu_hw_irq_init(struct vnpu_device *vdev)
{
	struct pci_dev *pdev = to_pci_dev(vdev->drm.dev);
	int nvec = VNPU_MSIX_VECTORS(vdev->num_queues);
	int ret, irq;
	u32 i;

	ret = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX);
	if (ret < 0) {
		vnpu_err(vdev, "cannot allocate %d MSI-X vectors: %d\n", nvec,
			 ret);
		return ret;
	}

	for (i = 0; i < vdev->num_queues; i++) {
		irq = pci_irq_vector(pdev, i);
		if (irq < 0)
			return irq;
		ret = devm_request_threaded_irq(&pdev->dev, irq, NULL,
						vnpu_queue_irq, IRQF_ONESHOT,
						vdev->queues[i].name,
						&vdev->queues[i]);
		if (ret)
			return ret;
	}

	irq = pci_irq_vector(pdev, VNPU_MSIX_ERROR_VECTOR(vdev->num_queues));
	if (irq < 0)
		return irq;
	return devm_request_threaded_irq(&pdev->dev, irq, NULL, vnpu_error_irq,
					 IRQF_ONESHOT, "vnpu-error", vdev);
}
