/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu: emulated NPU PCI device - device state.
 *
 * The register interface is defined by uapi/vnpu_device.h (the contract
 * shared with the driver); the command semantics live in the QEMU-free
 * engine library (engine/vnpu_engine.c).
 */
#ifndef HW_MISC_VNPU_H
#define HW_MISC_VNPU_H

#include "hw/pci/pci_device.h"
#include "qemu/thread.h"
#include "vnpu_device.h"

#define TYPE_VNPU "vnpu"
OBJECT_DECLARE_SIMPLE_TYPE(VnpuState, VNPU)

#define VNPU_DEFAULT_QUEUES     4
#define VNPU_DEFAULT_ENGINES    2
#define VNPU_MAX_ENGINES        8
#define VNPU_TLB_ENTRIES        16      /* per context, direct mapped */

typedef struct VnpuQueue {
    uint64_t ring;          /* guest-physical descriptor ring */
    uint64_t comp;          /* guest-physical completion ring */
    uint32_t size;          /* entries */
    uint32_t ctrl;          /* VNPU_QCTRL_* */
    uint32_t head;          /* next descriptor to run */
    uint32_t tail;          /* last doorbell value */
    bool busy;              /* an engine is running a job of this queue */
} VnpuQueue;

typedef struct VnpuTlbEntry {
    bool valid;
    uint64_t pgd;           /* page table the entry was walked from */
    uint64_t va;            /* page-aligned VA */
    uint64_t page_size;
    uint64_t pte;           /* leaf entry */
} VnpuTlbEntry;

typedef struct VnpuCtxTlb {
    uint32_t gen;           /* bumped by each invalidation */
    VnpuTlbEntry e[VNPU_TLB_ENTRIES];
} VnpuCtxTlb;

typedef struct VnpuEngine {
    struct VnpuState *s;
    QemuThread thread;
    unsigned id;
} VnpuEngine;

struct VnpuState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    QEMUBH *irq_bh;
    VMChangeStateEntry *vmsentry;

    /* Properties */
    uint32_t nq;
    uint32_t nengines;
    uint32_t ring_max;

    /*
     * @lock protects every field below (except the TLB). vCPU threads
     * (MMIO, under the BQL) and engine threads take it only for short
     * register updates; engines never hold it while running a job and
     * never take the BQL: interrupts go through @irq_bh.
     */
    QemuMutex lock;
    QemuCond work_cond;     /* engines: work may be available */
    QemuCond idle_cond;     /* reset/stop: an engine went idle */
    bool stopping;          /* unrealize: engine threads exit */
    bool quiesce;           /* reset or VM stop: take no new job */
    bool aborting;          /* reset: abandon running jobs */
    bool vm_running;
    uint32_t running;       /* engines inside a job */

    uint32_t ctrl;
    uint32_t scratch;
    uint32_t irq_status;
    uint32_t irq_mask;
    uint32_t irq_notify;    /* status bits to send from the bottom half */
    uint64_t ctxt_base;
    uint32_t ctxt_size;
    uint32_t fault_status;
    uint64_t fault_va;
    uint64_t cnt_jobs;
    uint64_t cnt_bytes;
    uint64_t cnt_faults;
    uint64_t cnt_busy_ns;
    uint32_t cnt_latch[4];  /* HI halves latched by reading LO */
    int64_t heartbeat_base; /* virtual clock ms at reset */
    uint32_t rr;            /* round-robin start among equal priorities */
    VnpuQueue q[VNPU_MAX_QUEUES];

    /* The TLB has its own lock: it is used on every page of a transfer. */
    QemuMutex tlb_lock;
    VnpuCtxTlb *tlb;        /* [VNPU_MAX_CONTEXTS] */

    VnpuEngine engines[VNPU_MAX_ENGINES];
};

#endif /* HW_MISC_VNPU_H */
