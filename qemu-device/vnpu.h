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
#include "qemu/timer.h"
#include "qemu/units.h"
#include "vnpu_device.h"

#define TYPE_VNPU "vnpu"
OBJECT_DECLARE_SIMPLE_TYPE(VnpuState, VNPU)

#define VNPU_DEFAULT_QUEUES     4
#define VNPU_DEFAULT_ENGINES    2
#define VNPU_MAX_ENGINES        8
#define VNPU_TLB_ENTRIES        16      /* per context, direct mapped */
#define VNPU_DEFAULT_DEVMEM     (256 * MiB)
#define VNPU_MAX_DEVMEM         (16 * GiB)
#define VNPU_MAX_INJECT         (1u << 30)
#define VNPU_VIEW_WINDOW        (1ull << 36)    /* device VA a view covers */
#define VNPU_VIEW_MAX_MAP       (64 * MiB)      /* largest range per map */
#define VNPU_VIEW_MAX_PAGES     8192            /* pages mapped per view */
#define VNPU_VIEW_MAX_TOTAL     16384           /* in all views: VMAs */
#define VNPU_VIEW_MAX           16              /* contexts with a view */

/*
 * host-views: a contiguous host mapping of a context's device VA range
 * [0, VNPU_VIEW_WINDOW), built page by page from the memfd/file behind
 * guest RAM (and device memory), so that a tensor scattered in guest
 * memory is one host pointer. A cache: every use re-translates each page
 * and remaps it if the translation changed.
 */
typedef struct VnpuView {
    uint8_t *base;          /* VNPU_VIEW_WINDOW bytes reserved */
    QemuMutex lock;         /* @pages and the mmap calls */
    GHashTable *pages;      /* device page number -> VnpuViewPage */
    bool broken;            /* a window page could not be restored */
} VnpuView;

typedef struct VnpuQueue {
    uint64_t ring;          /* guest-physical descriptor ring */
    uint64_t comp;          /* guest-physical completion ring */
    uint32_t size;          /* entries */
    uint32_t ctrl;          /* VNPU_QCTRL_* */
    uint32_t head;          /* next descriptor to run */
    uint32_t tail;          /* last doorbell value */
    uint32_t irq_mod;       /* VNPU_Q_IRQ_MOD */
    uint32_t irq_pending;   /* F_IRQ completions not yet signalled */
    uint32_t irq_count;     /* interrupts raised (VNPU_Q_IRQ_COUNT) */
    bool busy;              /* an engine is running a job of this queue */
    QEMUTimer *irq_timer;   /* moderation TIME threshold */
    struct VnpuState *s;
    unsigned index;
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
    /* Under s->lock: */
    bool busy;              /* inside a job */
    bool hung;              /* held by fault injection */
    bool reset_req;         /* ENGINE_RESET: abandon the job (atomic) */
} VnpuEngine;

struct VnpuState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    MemoryRegion devmem;    /* BAR2, unless from @hostmem */
    MemoryRegion *devmem_mr; /* BAR2: &devmem or @hostmem's */
    uint8_t *devmem_host;
    struct HostMemoryBackend *hostmem;
    QEMUBH *irq_bh;
    VMChangeStateEntry *vmsentry;

    /* Properties */
    uint32_t nq;
    uint32_t nengines;
    uint32_t ring_max;
    uint64_t devmem_size;
    uint32_t prop_hang_job;
    uint32_t prop_dma_fail_job;
    uint32_t prop_mmu_fault_job;
    uint32_t prop_drop_irq;
    bool prop_hang_flag;
    bool host_views;

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
    bool resetting;         /* CTRL.RESET requested, not finished */
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
    uint64_t cnt_macs;
    uint64_t cnt_energy_pj;
    uint64_t cnt_irqs;
    uint64_t cnt_xfer;
    uint32_t cnt_latch[8];  /* HI halves latched by reading LO */
    /*
     * Fault injection: JOB_SEQ / message number at which each fires (0 =
     * disarmed). Not cleared by reset.
     */
    uint64_t job_seq;       /* jobs started since realize */
    uint64_t msg_seq;       /* MSI-X messages since realize */
    uint64_t msg_seq_q[VNPU_MAX_QUEUES]; /* of each queue's vector */
    uint32_t inject_ctrl;
    uint64_t inj_hang;
    uint64_t inj_dma_fail;
    uint64_t inj_mmu_fault;
    uint64_t inj_drop_irq;
    uint32_t inj_drop_irq_src; /* IRQ_STATUS bit it counts; 0: every one */
    uint32_t hung;          /* engines hung by injection */
    int64_t heartbeat_base; /* virtual clock ms at reset */
    uint32_t rr;            /* round-robin start among equal priorities */
    VnpuQueue q[VNPU_MAX_QUEUES];

    /* The TLB has its own lock: it is used on every page of a transfer. */
    QemuMutex tlb_lock;
    VnpuCtxTlb *tlb;        /* [VNPU_MAX_CONTEXTS] */

    VnpuEngine engines[VNPU_MAX_ENGINES];

    /* host-views, created on first use; under tlb_lock */
    VnpuView *views[VNPU_MAX_CONTEXTS];
    unsigned nviews;
    uint64_t view_maps;     /* pages mmap()ed into views (x-view-maps) */
    uint32_t view_pages;    /* pages mapped in all views (atomic) */
};

#endif /* HW_MISC_VNPU_H */
