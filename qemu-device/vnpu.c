/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu: emulated NPU PCI device.
 *
 * BAR0 holds the registers and the doorbells, BAR1 the MSI-X table,
 * BAR2 the device memory (RAM, or a host memory backend with "memdev").
 * The interface is defined by uapi/vnpu_device.h and described in
 * Documentation/accel/vnpu/device.rst.
 *
 * Threads: vCPU threads handle MMIO (under the BQL). A doorbell only
 * records the new TAIL and wakes the engines. "engines" engine threads
 * pick the highest-priority queue with work (one engine per queue at a
 * time, so a queue's descriptors run in order), run one descriptor with
 * the QEMU-free engine (engine/vnpu_engine.c), write its completion
 * (status last) and raise the interrupt through a bottom half, so that
 * engine threads never take the BQL (interrupt moderation timers run on
 * the main loop). They only ever access guest RAM, mapped directly, and
 * device memory; any other target is a DMA error.
 *
 * Reset: running jobs stop at their next abort poll (between commands,
 * and every MiB or block of work inside one); the rest of the job is
 * abandoned and the completion says VNPU_JOB_ABORTED. Descriptors not
 * started are dropped. CTRL.RESET only requests the reset and returns:
 * STATUS.READY reads 0 until the last engine lets go of its job, and that
 * engine thread finishes the reset (nothing waits on the vCPU thread).
 * A bus reset (the qdev reset handler, not a vCPU access) and a VM stop
 * wait for a reset in progress to finish. ENGINE_RESET likewise only asks
 * the engines to drop their jobs; it reads back the engines still doing
 * so, and their queues go on. Fault injection (INJECT_* registers,
 * inject-* properties) can hang an engine until such a reset, fail a
 * job's DMA, fake an MMU fault or drop an MSI-X message.
 * When the VM stops, running jobs are drained and no new job starts until
 * it runs again, so guest memory does not change while the VM is stopped.
 *
 * Copyright (c) 2026 The vnpu authors
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/bswap.h"
#include "qemu/atomic.h"
#include "qemu/rcu.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "hw/registerfields.h"
#include "migration/vmstate.h"
#include "system/dma.h"
#include "system/runstate.h"
#include "exec/memory.h"
#include "system/hostmem.h"
#include "exec/ramblock.h"
#include "qom/object.h"

#include "vnpu.h"
#include "engine/vnpu_engine.h"
#include "trace.h"

/* Global registers */
REG32(ID, VNPU_REG_ID)
REG32(VERSION, VNPU_REG_VERSION)
    FIELD(VERSION, MINOR, 0, 16)
    FIELD(VERSION, MAJOR, 16, 16)
REG32(CAP_QUEUES, VNPU_REG_CAP_QUEUES)
REG32(CAP_ENGINES, VNPU_REG_CAP_ENGINES)
REG32(CAP_RING_MAX, VNPU_REG_CAP_RING_MAX)
REG32(CAP_OPS, VNPU_REG_CAP_OPS)
REG32(CAP_MMU, VNPU_REG_CAP_MMU)
    FIELD(CAP_MMU, VA_BITS, 0, 8)
    FIELD(CAP_MMU, PAGE_4K, 8, 1)
    FIELD(CAP_MMU, PAGE_2M, 9, 1)
REG32(CAP_CONTEXTS, VNPU_REG_CAP_CONTEXTS)
REG32(DEVMEM_SIZE_LO, VNPU_REG_DEVMEM_SIZE_LO)
REG32(DEVMEM_SIZE_HI, VNPU_REG_DEVMEM_SIZE_HI)
REG32(CTRL, VNPU_REG_CTRL)
    FIELD(CTRL, ENABLE, 0, 1)
    FIELD(CTRL, RESET, 1, 1)
REG32(STATUS, VNPU_REG_STATUS)
    FIELD(STATUS, READY, 0, 1)
    FIELD(STATUS, ENABLED, 1, 1)
REG32(HEARTBEAT, VNPU_REG_HEARTBEAT)
REG32(SCRATCH, VNPU_REG_SCRATCH)
REG32(IRQ_STATUS, VNPU_REG_IRQ_STATUS)
    FIELD(IRQ_STATUS, QUEUES, 0, VNPU_MAX_QUEUES)
    FIELD(IRQ_STATUS, ERROR, 31, 1)
REG32(IRQ_MASK, VNPU_REG_IRQ_MASK)
REG32(CTXT_BASE_LO, VNPU_REG_CTXT_BASE_LO)
REG32(CTXT_BASE_HI, VNPU_REG_CTXT_BASE_HI)
REG32(CTXT_SIZE, VNPU_REG_CTXT_SIZE)
REG32(TLB_INV, VNPU_REG_TLB_INV)
    FIELD(TLB_INV, CTX, 0, 16)
    FIELD(TLB_INV, ALL, 31, 1)
REG32(FAULT_STATUS, VNPU_REG_FAULT_STATUS)
    FIELD(FAULT_STATUS, VALID, 0, 1)
    FIELD(FAULT_STATUS, ACCESS, 1, 3)
    FIELD(FAULT_STATUS, QUEUE, 8, 4)
    FIELD(FAULT_STATUS, CTX, 16, 16)
REG32(FAULT_VA_LO, VNPU_REG_FAULT_VA_LO)
REG32(FAULT_VA_HI, VNPU_REG_FAULT_VA_HI)
REG32(FAULT_ACK, VNPU_REG_FAULT_ACK)
REG32(CNT_JOBS_LO, VNPU_REG_CNT_JOBS_LO)
REG32(CNT_JOBS_HI, VNPU_REG_CNT_JOBS_HI)
REG32(CNT_BYTES_LO, VNPU_REG_CNT_BYTES_LO)
REG32(CNT_BYTES_HI, VNPU_REG_CNT_BYTES_HI)
REG32(CNT_FAULTS_LO, VNPU_REG_CNT_FAULTS_LO)
REG32(CNT_FAULTS_HI, VNPU_REG_CNT_FAULTS_HI)
REG32(CNT_BUSY_NS_LO, VNPU_REG_CNT_BUSY_NS_LO)
REG32(CNT_BUSY_NS_HI, VNPU_REG_CNT_BUSY_NS_HI)
REG32(CNT_MACS_LO, VNPU_REG_CNT_MACS_LO)
REG32(CNT_MACS_HI, VNPU_REG_CNT_MACS_HI)
REG32(CNT_ENERGY_PJ_LO, VNPU_REG_CNT_ENERGY_PJ_LO)
REG32(CNT_ENERGY_PJ_HI, VNPU_REG_CNT_ENERGY_PJ_HI)
REG32(CNT_IRQS_LO, VNPU_REG_CNT_IRQS_LO)
REG32(CNT_IRQS_HI, VNPU_REG_CNT_IRQS_HI)
REG32(CNT_XFER_LO, VNPU_REG_CNT_XFER_LO)
REG32(CNT_XFER_HI, VNPU_REG_CNT_XFER_HI)
REG32(ENGINE_STATUS, VNPU_REG_ENGINE_STATUS)
    FIELD(ENGINE_STATUS, BUSY, 0, 16)
    FIELD(ENGINE_STATUS, HUNG, 16, 16)
REG32(ENGINE_RESET, VNPU_REG_ENGINE_RESET)
REG32(JOB_SEQ, VNPU_REG_JOB_SEQ)
REG32(INJECT_DROP_IRQ, VNPU_REG_INJECT_DROP_IRQ)
    FIELD(INJECT_DROP_IRQ, N, 0, 24)
    FIELD(INJECT_DROP_IRQ, Q, 24, 4)
    FIELD(INJECT_DROP_IRQ, QUEUE, 31, 1)
REG32(INJECT_CTRL, VNPU_REG_INJECT_CTRL)
    FIELD(INJECT_CTRL, HANG_FLAG, 0, 1)
REG32(INJECT_HANG_JOB, VNPU_REG_INJECT_HANG_JOB)
REG32(INJECT_DMA_FAIL_JOB, VNPU_REG_INJECT_DMA_FAIL_JOB)
REG32(INJECT_MMU_FAULT_JOB, VNPU_REG_INJECT_MMU_FAULT_JOB)

/* Per-queue block, offsets relative to VNPU_REG_Q(q) */
REG32(Q_RING_LO, VNPU_Q_RING_LO)
REG32(Q_RING_HI, VNPU_Q_RING_HI)
REG32(Q_COMP_LO, VNPU_Q_COMP_LO)
REG32(Q_COMP_HI, VNPU_Q_COMP_HI)
REG32(Q_SIZE, VNPU_Q_SIZE)
REG32(Q_CTRL, VNPU_Q_CTRL)
    FIELD(Q_CTRL, ENABLE, 0, 1)
    FIELD(Q_CTRL, ERROR, 1, 1)
    FIELD(Q_CTRL, PRIO, 4, 4)
REG32(Q_HEAD, VNPU_Q_HEAD)
REG32(Q_TAIL, VNPU_Q_TAIL)
REG32(Q_IRQ_MOD, VNPU_Q_IRQ_MOD)
    FIELD(Q_IRQ_MOD, COUNT, 0, 16)
    FIELD(Q_IRQ_MOD, TIME, 16, 16)
REG32(Q_IRQ_COUNT, VNPU_Q_IRQ_COUNT)

/* The fields above must be exactly the contract's masks. */
QEMU_BUILD_BUG_ON(R_VERSION_MINOR_MASK != VNPU_VERSION_MINOR_MASK);
QEMU_BUILD_BUG_ON(R_VERSION_MAJOR_MASK != VNPU_VERSION_MAJOR_MASK);
QEMU_BUILD_BUG_ON(R_CAP_MMU_VA_BITS_MASK != VNPU_CAP_MMU_VA_BITS_MASK);
QEMU_BUILD_BUG_ON(R_CAP_MMU_PAGE_4K_MASK != VNPU_CAP_MMU_PAGE_4K);
QEMU_BUILD_BUG_ON(R_CAP_MMU_PAGE_2M_MASK != VNPU_CAP_MMU_PAGE_2M);
QEMU_BUILD_BUG_ON(R_CTRL_ENABLE_MASK != VNPU_CTRL_ENABLE);
QEMU_BUILD_BUG_ON(R_CTRL_RESET_MASK != VNPU_CTRL_RESET);
QEMU_BUILD_BUG_ON(R_STATUS_READY_MASK != VNPU_STATUS_READY);
QEMU_BUILD_BUG_ON(R_STATUS_ENABLED_MASK != VNPU_STATUS_ENABLED);
QEMU_BUILD_BUG_ON(R_IRQ_STATUS_QUEUES_MASK != VNPU_IRQ_QUEUES_MASK);
QEMU_BUILD_BUG_ON(R_INJECT_DROP_IRQ_N_MASK != VNPU_INJECT_DROP_IRQ_N_MASK);
QEMU_BUILD_BUG_ON(R_INJECT_DROP_IRQ_Q_MASK != VNPU_INJECT_DROP_IRQ_Q_MASK);
QEMU_BUILD_BUG_ON(R_INJECT_DROP_IRQ_QUEUE_MASK != VNPU_INJECT_DROP_IRQ_QUEUE);
QEMU_BUILD_BUG_ON(R_IRQ_STATUS_ERROR_MASK != VNPU_IRQ_ERROR);
QEMU_BUILD_BUG_ON(R_TLB_INV_CTX_MASK != VNPU_TLB_INV_CTX_MASK);
QEMU_BUILD_BUG_ON(R_TLB_INV_ALL_MASK != VNPU_TLB_INV_ALL);
QEMU_BUILD_BUG_ON(R_FAULT_STATUS_VALID_MASK != VNPU_FAULT_VALID);
QEMU_BUILD_BUG_ON(R_FAULT_STATUS_ACCESS_MASK != VNPU_FAULT_ACCESS_MASK);
QEMU_BUILD_BUG_ON(R_FAULT_STATUS_QUEUE_MASK != VNPU_FAULT_QUEUE_MASK);
QEMU_BUILD_BUG_ON(R_FAULT_STATUS_CTX_MASK != VNPU_FAULT_CTX_MASK);
QEMU_BUILD_BUG_ON(R_Q_CTRL_ENABLE_MASK != VNPU_QCTRL_ENABLE);
QEMU_BUILD_BUG_ON(R_Q_CTRL_ERROR_MASK != VNPU_QCTRL_ERROR);
QEMU_BUILD_BUG_ON(R_Q_CTRL_PRIO_MASK != VNPU_QCTRL_PRIO_MASK);
QEMU_BUILD_BUG_ON(R_Q_IRQ_MOD_COUNT_MASK != VNPU_QIRQ_MOD_COUNT_MASK);
QEMU_BUILD_BUG_ON(R_Q_IRQ_MOD_TIME_MASK != VNPU_QIRQ_MOD_TIME_MASK);
QEMU_BUILD_BUG_ON(R_INJECT_CTRL_HANG_FLAG_MASK != VNPU_INJECT_HANG_FLAG);
QEMU_BUILD_BUG_ON(R_ENGINE_STATUS_BUSY_MASK != VNPU_ENGINE_BUSY(0) * 0xffff);
QEMU_BUILD_BUG_ON(R_ENGINE_STATUS_HUNG_MASK != VNPU_ENGINE_HUNG(0) * 0xffff);
QEMU_BUILD_BUG_ON(VNPU_Q_IRQ_COUNT >= 0x40);
QEMU_BUILD_BUG_ON(VNPU_REG_Q(VNPU_MAX_QUEUES) > VNPU_REG_DOORBELL(0));
QEMU_BUILD_BUG_ON(VNPU_REG_DOORBELL(VNPU_MAX_QUEUES) > VNPU_BAR_REGS_SIZE);
QEMU_BUILD_BUG_ON(VNPU_MAX_CONTEXTS > R_FAULT_STATUS_CTX_MASK >> 16);

#define VNPU_Q_STRIDE           0x40
#define VNPU_DB_STRIDE          0x1000
#define VNPU_DESC_SIZE          sizeof(struct vnpu_desc)
#define VNPU_COMP_SIZE          sizeof(struct vnpu_completion)
#define VNPU_CTX_ENTRY_SIZE     sizeof(struct vnpu_ctx_entry)
#define VNPU_RING_ALIGN         64
#define VNPU_CTX_FLAGS_MASK     (VNPU_CTX_VALID | VNPU_CTX_EXEC)
#define VNPU_QCTRL_RW           (VNPU_QCTRL_ENABLE | VNPU_QCTRL_PRIO_MASK)

QEMU_BUILD_BUG_ON(VNPU_DESC_SIZE != 64);
QEMU_BUILD_BUG_ON(VNPU_COMP_SIZE != 32);
QEMU_BUILD_BUG_ON(VNPU_CTX_ENTRY_SIZE != 16);

/* A guest mistake: LOG_GUEST_ERROR and the vnpu_guest_error trace event. */
static void G_GNUC_PRINTF(1, 2) vnpu_guest_error(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (!qemu_loglevel_mask(LOG_GUEST_ERROR) &&
        !trace_event_get_state_backends(TRACE_VNPU_GUEST_ERROR)) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    trace_vnpu_guest_error(msg);
    qemu_log_mask(LOG_GUEST_ERROR, "vnpu: %s\n", msg);
}

static uint32_t vnpu_irq_valid(VnpuState *s)
{
    return MAKE_64BIT_MASK(0, s->nq) | VNPU_IRQ_ERROR;
}

static uint64_t vnpu_clock_ns(void *opaque)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/*
 * Guest RAM access. Only RAM is ever touched, through a direct host
 * mapping: anything else (MMIO, unassigned, bus mastering off) fails,
 * so engine threads never dispatch MMIO and never need the BQL.
 */
static AddressSpace *vnpu_as(VnpuState *s)
{
    return pci_get_address_space(PCI_DEVICE(s));
}

/* Map a prefix of [addr, addr + *plen); NULL if addr is not RAM. */
static void *vnpu_ram_map(VnpuState *s, hwaddr addr, hwaddr *plen,
                          bool is_write)
{
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemoryRegion *mr;
    hwaddr xlat, len = *plen;

    if (!len) {
        return NULL;
    }
    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(vnpu_as(s), addr, &xlat, &len, is_write,
                                 attrs);
    if (!len || !memory_access_is_direct(mr, is_write, attrs)) {
        return NULL;
    }
    /* address_space_unmap() finds the region from the host pointer. */
    memory_region_ref(mr);
    *plen = MIN(len, *plen);
    return qemu_map_ram_ptr(mr->ram_block, xlat);
}

static void vnpu_ram_unmap(VnpuState *s, void *host, hwaddr len,
                           bool is_write, hwaddr done)
{
    address_space_unmap(vnpu_as(s), host, len, is_write, done);
}

static bool vnpu_ram_rw(VnpuState *s, hwaddr addr, void *buf, hwaddr len,
                        bool is_write)
{
    uint8_t *p = buf;

    while (len) {
        hwaddr l = len;
        void *host = vnpu_ram_map(s, addr, &l, is_write);

        if (!host) {
            return false;
        }
        if (is_write) {
            memcpy(host, p, l);
        } else {
            memcpy(p, host, l);
        }
        vnpu_ram_unmap(s, host, l, is_write, l);
        addr += l;
        p += l;
        len -= l;
    }
    return true;
}

/* Interrupts. Called with s->lock held; the bottom half sends MSI-X. */
static void vnpu_raise_locked(VnpuState *s, uint32_t bits)
{
    trace_vnpu_irq_raise(bits, s->irq_mask);
    s->irq_status |= bits;
    if (bits & s->irq_mask) {
        s->irq_notify |= bits & s->irq_mask;
        qemu_bh_schedule(s->irq_bh);
    }
}

/*
 * Main loop (BQL held): send the MSI-X messages. Decisions (and the
 * drop-interrupt injection) are taken under s->lock, messages are sent
 * without it.
 */
static void vnpu_irq_bh(void *opaque)
{
    VnpuState *s = opaque;
    PCIDevice *pdev = PCI_DEVICE(s);
    bool enabled = msix_enabled(pdev);
    uint32_t bits, send = 0;

    qemu_mutex_lock(&s->lock);
    bits = s->irq_notify & s->irq_mask;
    s->irq_notify = 0;
    for (unsigned i = 0; i < 32 && enabled; i++) {
        if (!(bits & (1u << i))) {
            continue;
        }
        uint64_t seq = ++s->msg_seq;

        if (i < VNPU_MAX_QUEUES) {
            s->msg_seq_q[i]++;
        }
        if (s->inj_drop_irq_src) {
            /* Armed for one queue: only its messages count. */
            seq = s->inj_drop_irq_src == 1u << i ? s->msg_seq_q[i] : 0;
        }
        if (seq && seq == s->inj_drop_irq) {
            s->inj_drop_irq = 0;
            trace_vnpu_inject("drop-irq", seq);
            continue;
        }
        s->cnt_irqs++;
        send |= 1u << i;
    }
    qemu_mutex_unlock(&s->lock);

    for (unsigned i = 0; i < 32; i++) {
        unsigned vector;

        if (!(bits & (1u << i))) {
            continue;
        }
        vector = (1u << i) == VNPU_IRQ_ERROR ? VNPU_MSIX_ERROR_VECTOR(s->nq)
                                              : i;
        trace_vnpu_irq_notify(vector, enabled && (send & (1u << i)));
        if (send & (1u << i)) {
            msix_notify(pdev, vector);
        }
    }
}

/* Moderation: signal queue @qi's pending completions now. */
static void vnpu_queue_irq_flush_locked(VnpuState *s, unsigned qi)
{
    VnpuQueue *q = &s->q[qi];

    if (!q->irq_pending) {
        return;
    }
    trace_vnpu_irq_flush(qi, q->irq_pending);
    q->irq_pending = 0;
    q->irq_count++;
    timer_del(q->irq_timer);
    vnpu_raise_locked(s, VNPU_IRQ_QUEUE(qi));
}

/* A job of queue @qi completed (HEAD already advanced). */
static void vnpu_queue_irq_locked(VnpuState *s, unsigned qi, bool want)
{
    VnpuQueue *q = &s->q[qi];
    uint32_t count = FIELD_EX32(q->irq_mod, Q_IRQ_MOD, COUNT);
    uint32_t time = FIELD_EX32(q->irq_mod, Q_IRQ_MOD, TIME);

    if (want && q->irq_pending++ == 0 && count > 1 && time) {
        timer_mod(q->irq_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                  time * SCALE_US);
    }
    if (q->irq_pending &&
        (q->irq_pending >= count || q->head == q->tail)) {
        vnpu_queue_irq_flush_locked(s, qi);
    } else if (want) {
        trace_vnpu_irq_coalesce(qi, q->irq_pending, count);
    }
}

/* Main loop: the TIME threshold of a queue expired. */
static void vnpu_irq_timer(void *opaque)
{
    VnpuQueue *q = opaque;
    VnpuState *s = q->s;

    qemu_mutex_lock(&s->lock);
    trace_vnpu_irq_timer(q->index, q->irq_pending);
    vnpu_queue_irq_flush_locked(s, q->index);
    qemu_mutex_unlock(&s->lock);
}

static void vnpu_queue_error_locked(VnpuState *s, unsigned qi,
                                    const char *why)
{
    trace_vnpu_queue_error(qi, why);
    vnpu_guest_error("queue %u stopped: %s", qi, why);
    s->q[qi].ctrl |= VNPU_QCTRL_ERROR;
    vnpu_raise_locked(s, VNPU_IRQ_ERROR);
    vnpu_queue_irq_flush_locked(s, qi);
}

/* MMU with a small per-context TLB. */
typedef struct VnpuJobEnv {
    VnpuState *s;
    VnpuEngine *e;
    unsigned qi;
    uint32_t ctx;
    uint64_t pgd;
    bool exec_check;        /* VNPU_CTX_EXEC: fetch needs VNPU_PTE_EXEC */
    bool fail_dma;          /* injection: fail the next access */
    uint64_t host_bytes;    /* accessed in guest memory */
    uint64_t devmem_bytes;  /* accessed in device memory */
    /*
     * The guest RAM section the job touched last, reached without
     * address_space_translate() or a reference per access: page-table
     * reads and mappings that fall in it are pointer arithmetic. Every
     * region a window was in stays referenced until the job ends
     * (vnpu_win_release()), so that mappings of an earlier window stay
     * valid when the window moves.
     */
    hwaddr win_gpa, win_len;        /* win_len 0: none */
    uint8_t *win_host;
    MemoryRegion *win_mr;
    MemoryRegion *win_refs[4];
    unsigned nwin_refs;
    /*
     * Page-walk cache: the leaf table of the 2 MiB of VA walked last
     * (leaf_host: NULL when none), valid while the context's TLB
     * generation is leaf_gen, so that the pages of a long run cost one
     * PTE load each instead of a walk. pte_host: where the walk's last
     * PTE read was found, when its whole table is in the window.
     */
    uint64_t leaf_va;
    uint8_t *leaf_host;
    uint32_t leaf_gen;
    uint8_t *pte_host;
} VnpuJobEnv;

/* Longest run of guest-physically contiguous pages one mapping covers. */
#define VNPU_MAP_RUN_MAX        (16 * MiB)

/*
 * Host address of [gpa, gpa + len) if it lies in writable guest RAM, through
 * the job's window (moved to gpa's section when gpa is outside it); NULL
 * otherwise (the caller takes the general path, which reports errors).
 * *@plen is clipped to the window.
 */
static uint8_t *vnpu_win_get(VnpuJobEnv *j, hwaddr gpa, hwaddr *plen)
{
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemoryRegion *mr;
    hwaddr xlat, l = HWADDR_MAX - gpa;
    unsigned i;

    if (!j->win_len || gpa < j->win_gpa || gpa - j->win_gpa >= j->win_len) {
        RCU_READ_LOCK_GUARD();
        mr = address_space_translate(vnpu_as(j->s), gpa, &xlat, &l, true,
                                     attrs);
        if (!l || !mr->ram_block ||
            !memory_access_is_direct(mr, true, attrs)) {
            return NULL;
        }
        i = 0;
        while (i < j->nwin_refs && j->win_refs[i] != mr) {
            i++;    /* a reference we hold already? */
        }
        if (i == j->nwin_refs) {
            if (i == ARRAY_SIZE(j->win_refs)) {
                return NULL;
            }
            memory_region_ref(mr);
            j->win_refs[j->nwin_refs++] = mr;
        }
        j->win_mr = mr;
        j->win_gpa = gpa;
        j->win_len = l;
        j->win_host = qemu_map_ram_ptr(mr->ram_block, xlat);
    }
    *plen = MIN(*plen, j->win_len - (gpa - j->win_gpa));
    return j->win_host + (gpa - j->win_gpa);
}

static void vnpu_win_release(VnpuJobEnv *j)
{
    while (j->nwin_refs) {
        memory_region_unref(j->win_refs[--j->nwin_refs]);
    }
    j->win_mr = NULL;
    j->win_len = 0;
}

static bool vnpu_read_pte(void *opaque, uint64_t gpa, uint64_t *pte)
{
    uint8_t b[8];

    if (!vnpu_ram_rw(opaque, gpa, b, sizeof(b), false)) {
        return false;
    }
    *pte = ldq_le_p(b);
    return true;
}

/* A page-table read of a job: through its RAM window when possible. */
static bool vnpu_job_read_pte(void *opaque, uint64_t gpa, uint64_t *pte)
{
    VnpuJobEnv *j = opaque;
    hwaddr l = 8;
    uint8_t *host = (gpa & 7) ? NULL : vnpu_win_get(j, gpa, &l);

    j->pte_host = NULL;
    if (host && l == 8) {
        hwaddr table = gpa & ~(hwaddr)(VNPU_PAGE_SIZE - 1);

        if (table >= j->win_gpa &&
            table + VNPU_PAGE_SIZE - j->win_gpa <= j->win_len) {
            j->pte_host = host;
        }
        *pte = ldq_le_p(host);
        return true;
    }
    return vnpu_read_pte(j->s, gpa, pte);
}

static void vnpu_tlb_flush(VnpuState *s, uint32_t ctx)
{
    qemu_mutex_lock(&s->tlb_lock);
    s->tlb[ctx].gen++;
    memset(s->tlb[ctx].e, 0, sizeof(s->tlb[ctx].e));
    qemu_mutex_unlock(&s->tlb_lock);
}

static void vnpu_tlb_flush_all(VnpuState *s)
{
    for (unsigned i = 0; i < VNPU_MAX_CONTEXTS; i++) {
        vnpu_tlb_flush(s, i);
    }
}

static uint32_t vnpu_translate(VnpuJobEnv *j, uint64_t va, unsigned access,
                               VnpuXlate *x)
{
    VnpuState *s = j->s;
    VnpuCtxTlb *t = &s->tlb[j->ctx];
    VnpuTlbEntry *slot = &t->e[(va >> VNPU_PAGE_SHIFT) % VNPU_TLB_ENTRIES];
    VnpuTlbEntry e;
    uint32_t gen, st;
    bool hit;

    qemu_mutex_lock(&s->tlb_lock);
    e = *slot;
    gen = t->gen;
    hit = e.valid && e.pgd == j->pgd && (va & ~(e.page_size - 1)) == e.va;
    /*
     * A TLB miss on a 4 KiB page whose leaf table the job walked last
     * (and no invalidation since): one PTE load instead of a walk. Its
     * result is cached like a walk's.
     */
    if (!hit && j->leaf_host && gen == j->leaf_gen &&
        (va & ~((1ull << VNPU_HUGE_SHIFT) - 1)) == j->leaf_va) {
        uint64_t pte = ldq_le_p(j->leaf_host +
                                VNPU_PT_INDEX(va, VNPU_PT_LEVELS - 1) * 8);

        if (pte & VNPU_PTE_VALID) {
            e.valid = true;
            e.pgd = j->pgd;
            e.va = va & ~(uint64_t)(VNPU_PAGE_SIZE - 1);
            e.page_size = VNPU_PAGE_SIZE;
            e.pte = pte;
            *slot = e;
            hit = true;
        }
        /* Not mapped: the walk below reports it. */
    }
    qemu_mutex_unlock(&s->tlb_lock);

    if (hit) {
        if (!(e.pte & vnpu_mmu_access_perm(access))) {
            return VNPU_JOB_MMU_FAULT;
        }
        x->pte = e.pte;
        x->page_size = e.page_size;
        x->pa = (e.pte & VNPU_PTE_ADDR_MASK) + (va & (e.page_size - 1));
        return VNPU_JOB_OK;
    }

    j->pte_host = NULL;
    st = vnpu_mmu_walk(vnpu_job_read_pte, j, j->pgd, va, access, x);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    qemu_mutex_lock(&s->tlb_lock);
    /* An invalidation during the walk wins: do not cache its result. */
    if (t->gen == gen) {
        if (x->page_size == VNPU_PAGE_SIZE && j->pte_host) {
            /* The last PTE read was the leaf: remember its table. */
            j->leaf_va = va & ~((1ull << VNPU_HUGE_SHIFT) - 1);
            j->leaf_host = j->pte_host -
                VNPU_PT_INDEX(va, VNPU_PT_LEVELS - 1) * 8;
            j->leaf_gen = gen;
        }
        slot->valid = true;
        slot->pgd = j->pgd;
        slot->va = va & ~(x->page_size - 1);
        slot->page_size = x->page_size;
        slot->pte = x->pte;
    }
    qemu_mutex_unlock(&s->tlb_lock);
    return VNPU_JOB_OK;
}

/* host-views (see VnpuView) */
typedef struct VnpuViewPage {
    int fd;
    uint64_t off;           /* what is mapped: @fd at @off */
    MemoryRegion *mr;       /* for dirty tracking */
    hwaddr xlat;
    bool devmem;
} VnpuViewPage;

static VnpuView *vnpu_view_get(VnpuState *s, uint32_t ctx)
{
    VnpuView *v;

    qemu_mutex_lock(&s->tlb_lock);
    v = s->views[ctx];
    if (!v && s->nviews < VNPU_VIEW_MAX) {
        void *base = mmap(NULL, VNPU_VIEW_WINDOW, PROT_NONE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

        if (base != MAP_FAILED) {
            v = g_new0(VnpuView, 1);
            v->base = base;
            qemu_mutex_init(&v->lock);
            v->pages = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                             g_free, g_free);
            s->views[ctx] = v;
            s->nviews++;
        }
    }
    qemu_mutex_unlock(&s->tlb_lock);
    return v;
}

static void vnpu_views_free(VnpuState *s)
{
    for (unsigned i = 0; i < VNPU_MAX_CONTEXTS; i++) {
        VnpuView *v = s->views[i];

        if (v) {
            /* A broken window may have holes that are not ours. */
            if (!v->broken) {
                munmap(v->base, VNPU_VIEW_WINDOW);
            }
            g_hash_table_destroy(v->pages);
            qemu_mutex_destroy(&v->lock);
            g_free(v);
            s->views[i] = NULL;
        }
    }
    s->nviews = 0;
}

/* The fd page behind translation @x of a page, or false. */
static bool vnpu_view_source(VnpuJobEnv *j, const VnpuXlate *x, hwaddr pa,
                             bool is_write, VnpuViewPage *pg)
{
    VnpuState *s = j->s;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemoryRegion *mr;
    hwaddr xlat, plen = VNPU_PAGE_SIZE;
    RAMBlock *rb;

    if (x->pte & VNPU_PTE_DEVMEM) {
        if (!s->devmem_mr || pa + VNPU_PAGE_SIZE > s->devmem_size) {
            return false;
        }
        mr = s->devmem_mr;
        xlat = pa;
        pg->devmem = true;
    } else {
        RCU_READ_LOCK_GUARD();
        mr = address_space_translate(vnpu_as(s), pa, &xlat, &plen, is_write,
                                     attrs);
        if (plen < VNPU_PAGE_SIZE ||
            !memory_access_is_direct(mr, is_write, attrs)) {
            return false;
        }
        pg->devmem = false;
    }
    rb = mr->ram_block;
    if (!rb || qemu_ram_get_fd(rb) < 0 || !qemu_ram_is_shared(rb) ||
        qemu_ram_pagesize(rb) != VNPU_PAGE_SIZE) {
        return false;
    }
    pg->fd = qemu_ram_get_fd(rb);
    pg->off = rb->fd_offset + xlat;
    pg->mr = mr;
    pg->xlat = xlat;
    return true;
}

/*
 * Map [va, va + len) through the context's view. Returns false to use the
 * page-by-page path (not possible, or the first page is not mappable:
 * that path reports its error); otherwise a prefix of at least one page
 * is in @m.
 */
static bool vnpu_view_map(VnpuJobEnv *j, uint64_t va, uint64_t len,
                          unsigned access, VnpuMapping *m)
{
    VnpuState *s = j->s;
    bool is_write = access == VNPU_ACCESS_WRITE;
    uint64_t first = va >> VNPU_PAGE_SHIFT, p, end = va;
    VnpuView *v;

    if (access == VNPU_ACCESS_EXEC || len > VNPU_VIEW_MAX_MAP ||
        va >= VNPU_VIEW_WINDOW || len > VNPU_VIEW_WINDOW - va ||
        len <= VNPU_PAGE_SIZE - (va & (VNPU_PAGE_SIZE - 1))) {
        return false;
    }
    v = vnpu_view_get(s, j->ctx);
    if (!v) {
        return false;
    }
    qemu_mutex_lock(&v->lock);
    for (p = first; !v->broken && end < va + len; p++) {
        uint64_t pva = p << VNPU_PAGE_SHIFT;
        VnpuViewPage pg, *old;
        VnpuXlate x;

        if (vnpu_translate(j, MAX(va, pva), access, &x) != VNPU_JOB_OK ||
            !vnpu_view_source(j, &x, x.pa & ~(VNPU_PAGE_SIZE - 1),
                              is_write, &pg)) {
            break;
        }
        old = g_hash_table_lookup(v->pages, &p);
        if (!old || old->fd != pg.fd || old->off != pg.off) {
            /* Each page costs up to two VMAs: stay far from the limit. */
            if (!old && (g_hash_table_size(v->pages) >= VNPU_VIEW_MAX_PAGES ||
                         qatomic_read(&s->view_pages) >=
                         VNPU_VIEW_MAX_TOTAL)) {
                break;
            }
            if (mmap(v->base + pva, VNPU_PAGE_SIZE, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_FIXED, pg.fd, pg.off) == MAP_FAILED) {
                /*
                 * The page may be unmapped now: put the reservation back,
                 * or never use (nor unmap) this window again.
                 */
                if (old) {
                    g_hash_table_remove(v->pages, &p);
                    qatomic_dec(&s->view_pages);
                }
                if (mmap(v->base + pva, VNPU_PAGE_SIZE, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
                         MAP_NORESERVE, -1, 0) == MAP_FAILED) {
                    v->broken = true;
                }
                break;
            }
            trace_vnpu_view_map(j->ctx, pva, pg.off);
            qatomic_inc(&s->view_maps);
            if (old) {
                *old = pg;
            } else {
                g_hash_table_insert(v->pages, g_memdup2(&p, sizeof(p)),
                                    g_memdup2(&pg, sizeof(pg)));
                qatomic_inc(&s->view_pages);
            }
        } else {
            /* Same page; the region may have been looked up again. */
            old->mr = pg.mr;
            old->xlat = pg.xlat;
        }
        end = MIN(pva + VNPU_PAGE_SIZE, va + len);
    }
    qemu_mutex_unlock(&v->lock);
    if (end == va) {
        return false;
    }
    m->host = v->base + va;
    m->len = end - va;
    m->cookie = v;
    return true;
}

/* Account for (and mark dirty) @done bytes used through a view. */
static void vnpu_view_unmap(VnpuJobEnv *j, VnpuView *v, VnpuMapping *m,
                            bool is_write, uint64_t done)
{
    uint64_t va = (uint8_t *)m->host - v->base;

    qemu_mutex_lock(&v->lock);
    while (done) {
        uint64_t p = va >> VNPU_PAGE_SHIFT;
        uint64_t n = MIN(done, VNPU_PAGE_SIZE - (va & (VNPU_PAGE_SIZE - 1)));
        VnpuViewPage *pg = g_hash_table_lookup(v->pages, &p);

        if (pg) {
            if (is_write) {
                memory_region_set_dirty(pg->mr, pg->xlat +
                                        (va & (VNPU_PAGE_SIZE - 1)), n);
            }
            if (pg->devmem) {
                j->devmem_bytes += n;
            } else {
                j->host_bytes += n;
            }
        }
        va += n;
        done -= n;
    }
    qemu_mutex_unlock(&v->lock);
}

static uint32_t vnpu_job_map(void *opaque, uint64_t va, uint64_t len,
                             unsigned access, VnpuMapping *m)
{
    VnpuJobEnv *j = opaque;
    bool is_write = access == VNPU_ACCESS_WRITE;
    VnpuXlate x;
    hwaddr chunk;
    uint32_t st;
    void *host;

    if (j->s->host_views && !j->fail_dma &&
        vnpu_view_map(j, va, len, access, m)) {
        return VNPU_JOB_OK;
    }
    st = vnpu_translate(j, va, access, &x);
    if (st == VNPU_JOB_DMA_ERROR) {
        vnpu_guest_error("ctx %u: page table for VA "
                         "0x%" PRIx64 " is not in RAM", j->ctx, va);
    }
    if (st != VNPU_JOB_OK) {
        trace_vnpu_mmu_miss(j->ctx, va, access, st);
        return st;
    }
    if (access == VNPU_ACCESS_EXEC && j->exec_check &&
        !(x.pte & VNPU_PTE_EXEC)) {
        trace_vnpu_mmu_miss(j->ctx, va, access, VNPU_JOB_MMU_FAULT);
        return VNPU_JOB_MMU_FAULT;
    }
    if (j->fail_dma) {
        j->fail_dma = false;
        trace_vnpu_inject("dma-fail", va);
        return VNPU_JOB_DMA_ERROR;
    }
    chunk = MIN(len, x.page_size - (va & (x.page_size - 1)));
    /*
     * Extend the mapping over the following pages while they continue the
     * same kind of memory contiguously (a BO's pages often do), so that a
     * large access is a few long runs rather than one mapping per page. A
     * page that does not translate ends the run; the next map reports it.
     */
    while (chunk < len && chunk < VNPU_MAP_RUN_MAX) {
        VnpuXlate y;

        if (vnpu_translate(j, va + chunk, access, &y) != VNPU_JOB_OK ||
            (y.pte & VNPU_PTE_DEVMEM) != (x.pte & VNPU_PTE_DEVMEM) ||
            y.pa != x.pa + chunk ||
            (access == VNPU_ACCESS_EXEC && j->exec_check &&
             !(y.pte & VNPU_PTE_EXEC))) {
            break;
        }
        if ((y.pte & VNPU_PTE_DEVMEM) &&
            y.pa + y.page_size > j->s->devmem_size) {
            break;
        }
        chunk += MIN(len - chunk, y.page_size);
    }
    if (x.pte & VNPU_PTE_DEVMEM) {
        VnpuState *s = j->s;

        /* The address is an offset in BAR2; the whole page must fit. */
        if (x.pa - (va & (x.page_size - 1)) + x.page_size > s->devmem_size) {
            trace_vnpu_devmem_error(j->ctx, va, x.pa, s->devmem_size);
            vnpu_guest_error("ctx %u: VA 0x%" PRIx64
                             " maps device memory offset 0x%" PRIx64
                             ", outside"
                             " the 0x%" PRIx64 " bytes of BAR2", j->ctx, va,
                             x.pa, s->devmem_size);
            return VNPU_JOB_DMA_ERROR;
        }
        m->host = s->devmem_host + x.pa;
        m->len = chunk;
        m->cookie = s->devmem_mr;
        trace_vnpu_job_map(j->ctx, va, chunk, access, true);
        return VNPU_JOB_OK;
    }
    host = vnpu_win_get(j, x.pa, &chunk);
    if (host) {
        /*
         * Writes are unmapped with address_space_unmap() (dirty tracking,
         * invalidation of translated code), which drops a reference.
         */
        if (is_write) {
            memory_region_ref(j->win_mr);
        }
        m->host = host;
        m->len = chunk;
        m->cookie = &j->win_len;
        trace_vnpu_job_map(j->ctx, va, chunk, access, false);
        return VNPU_JOB_OK;
    }
    host = vnpu_ram_map(j->s, x.pa, &chunk, is_write);
    if (!host) {
        vnpu_guest_error("ctx %u: VA 0x%" PRIx64
                         " maps 0x%" PRIx64 ", which is not RAM",
                         j->ctx, va, x.pa);
        return VNPU_JOB_DMA_ERROR;
    }
    m->host = host;
    m->len = chunk;
    m->cookie = NULL;
    trace_vnpu_job_map(j->ctx, va, chunk, access, false);
    return VNPU_JOB_OK;
}

static void vnpu_job_unmap(void *opaque, VnpuMapping *m, unsigned access,
                           uint64_t done)
{
    VnpuJobEnv *j = opaque;
    VnpuState *s = j->s;

    if (m->cookie == &j->win_len) {
        j->host_bytes += done;
        if (access == VNPU_ACCESS_WRITE) {
            vnpu_ram_unmap(s, m->host, m->len, true, done);
        }
        return;
    }
    if (m->cookie && m->cookie != s->devmem_mr) {
        vnpu_view_unmap(j, m->cookie, m, access == VNPU_ACCESS_WRITE, done);
        return;
    }
    if (m->cookie && m->cookie == s->devmem_mr) {
        /* For migration: device memory is RAM that the device wrote. */
        if (access == VNPU_ACCESS_WRITE && done) {
            memory_region_set_dirty(s->devmem_mr,
                                    (uint8_t *)m->host - s->devmem_host,
                                    done);
        }
        j->devmem_bytes += done;
        return;
    }
    j->host_bytes += done;
    vnpu_ram_unmap(s, m->host, m->len, access == VNPU_ACCESS_WRITE, done);
}

static bool vnpu_job_should_abort(void *opaque)
{
    VnpuJobEnv *j = opaque;

    return qatomic_read(&j->s->aborting) || qatomic_read(&j->e->reset_req);
}

static const VnpuMemOps vnpu_job_ops = {
    .map = vnpu_job_map,
    .unmap = vnpu_job_unmap,
    .clock_ns = vnpu_clock_ns,
    .should_abort = vnpu_job_should_abort,
};

/* One descriptor, as an engine sees it. */
typedef struct VnpuJob {
    unsigned qi;
    uint32_t idx;
    uint64_t ring;
    uint64_t comp;
    uint32_t size;
    uint64_t ctxt_base;
    uint32_t ctxt_size;
    uint64_t seq;           /* JOB_SEQ of this job */
    bool hang;              /* injections armed for this job */
    bool hang_flag_ok;
    bool fail_dma;
    bool mmu_fault;
    /* results */
    bool ring_error;        /* the descriptor could not be read */
    bool comp_error;        /* the completion could not be written */
    struct vnpu_desc d;
    VnpuJobResult res;
    uint64_t start_ns;
    uint64_t end_ns;
    uint64_t host_bytes;
    uint64_t devmem_bytes;
} VnpuJob;

static bool vnpu_write_completion(VnpuState *s, hwaddr addr,
                                  const struct vnpu_completion *c)
{
    uint8_t raw[VNPU_COMP_SIZE];
    hwaddr len = sizeof(raw);
    uint8_t *host;

    vnpu_completion_encode(c, raw);
    host = vnpu_ram_map(s, addr, &len, true);
    if (!host) {
        return false;
    }
    if (len < sizeof(raw)) {
        vnpu_ram_unmap(s, host, len, true, 0);
        return false;
    }
    /* Everything but the status, then the status (offset 8) last. */
    memcpy(host, raw, 8);
    memcpy(host + 12, raw + 12, sizeof(raw) - 12);
    /* Pairs with the guest's read barrier after it sees the status. */
    smp_wmb();
    qatomic_set((uint32_t *)(host + 8), cpu_to_le32(c->status));
    vnpu_ram_unmap(s, host, len, true, len);
    return true;
}

static const char *const vnpu_status_names[] = {
    [VNPU_JOB_OK] = "ok",
    [VNPU_JOB_BAD_DESC] = "bad descriptor",
    [VNPU_JOB_BAD_CTX] = "bad context",
    [VNPU_JOB_BAD_OPCODE] = "bad opcode",
    [VNPU_JOB_BAD_CMD] = "bad command",
    [VNPU_JOB_MMU_FAULT] = "MMU fault",
    [VNPU_JOB_DMA_ERROR] = "DMA error",
    [VNPU_JOB_ABORTED] = "aborted",
    [VNPU_JOB_BAD_TENSOR] = "bad tensor",
    [VNPU_JOB_BAD_DTYPE] = "bad dtype",
    [VNPU_JOB_BAD_QUANT] = "bad quantisation",
    [VNPU_JOB_SEM_TIMEOUT] = "semaphore timeout",
};

/*
 * Fault injection: hold the engine until a device or engine reset (or
 * unrealize). It touches no memory meanwhile, so the VM can stop.
 */
static void vnpu_engine_hang(VnpuState *s, VnpuEngine *e, VnpuJob *job)
{
    qemu_mutex_lock(&s->lock);
    trace_vnpu_engine_hang(e->id, job->qi, job->idx);
    e->hung = true;
    s->hung++;
    qemu_cond_broadcast(&s->idle_cond);
    while (!qatomic_read(&s->aborting) && !qatomic_read(&e->reset_req) &&
           !s->stopping) {
        qemu_cond_wait(&s->work_cond, &s->lock);
    }
    e->hung = false;
    s->hung--;
    qemu_mutex_unlock(&s->lock);
}

static const char *vnpu_status_name(uint32_t st)
{
    return st < ARRAY_SIZE(vnpu_status_names) ? vnpu_status_names[st] : "?";
}

/* Run one job without s->lock. */
static void vnpu_run_job(VnpuState *s, VnpuEngine *e, VnpuJob *job)
{
    uint8_t raw[VNPU_DESC_SIZE];
    uint32_t slot = job->idx & (job->size - 1);
    struct vnpu_completion c = { 0 };
    uint32_t st;

    job->start_ns = vnpu_clock_ns(s);
    if (!vnpu_ram_rw(s, job->ring + (uint64_t)slot * VNPU_DESC_SIZE, raw,
                     sizeof(raw), false)) {
        job->ring_error = true;
        return;
    }
    vnpu_desc_decode(raw, &job->d);
    trace_vnpu_job_start(e->id, job->qi, job->idx, job->d.tag, job->d.ctx,
                         job->d.cmd_va, job->d.cmd_size);
    if (job->hang_flag_ok && (job->d.flags & VNPU_DESC_F_INJECT_HANG)) {
        job->d.flags &= ~VNPU_DESC_F_INJECT_HANG;
        job->hang = true;
    }

    st = vnpu_desc_check(&job->d);
    if (st == VNPU_JOB_OK && job->hang) {
        vnpu_engine_hang(s, e, job);
        st = VNPU_JOB_ABORTED;
    } else if (st == VNPU_JOB_OK && job->mmu_fault) {
        trace_vnpu_inject("mmu-fault", job->seq);
        job->res.status = st = VNPU_JOB_MMU_FAULT;
        job->res.fault_va = job->d.cmd_va;
        job->res.fault_access = VNPU_ACCESS_EXEC;
    } else if (st == VNPU_JOB_OK) {
        uint8_t ent[VNPU_CTX_ENTRY_SIZE];

        if (job->d.ctx >= job->ctxt_size) {
            st = VNPU_JOB_BAD_CTX;
        } else if (!vnpu_ram_rw(s, job->ctxt_base +
                                (uint64_t)job->d.ctx * sizeof(ent),
                                ent, sizeof(ent), false)) {
            st = VNPU_JOB_DMA_ERROR;
        } else if (!(ldl_le_p(ent + 8) & VNPU_CTX_VALID)) {
            st = VNPU_JOB_BAD_CTX;
        } else if ((ldl_le_p(ent + 8) & ~VNPU_CTX_FLAGS_MASK) ||
                   ldl_le_p(ent + 12) ||
                   (ldq_le_p(ent) & ~VNPU_PTE_ADDR_MASK)) {
            vnpu_guest_error("ctx %u: context entry has reserved bits set "
                             "(pgd 0x%" PRIx64 " flags 0x%x rsvd 0x%x)",
                             job->d.ctx, ldq_le_p(ent), ldl_le_p(ent + 8),
                             ldl_le_p(ent + 12));
            st = VNPU_JOB_BAD_CTX;
        } else {
            VnpuJobEnv env = {
                .s = s, .e = e, .qi = job->qi, .ctx = job->d.ctx,
                .pgd = ldq_le_p(ent),
                .exec_check = ldl_le_p(ent + 8) & VNPU_CTX_EXEC,
                .fail_dma = job->fail_dma,
            };

            vnpu_engine_run(&vnpu_job_ops, &env, job->d.cmd_va,
                            job->d.cmd_size, &job->res);
            vnpu_win_release(&env);
            st = job->res.status;
            job->host_bytes = env.host_bytes;
            job->devmem_bytes = env.devmem_bytes;
        }
    }
    if (st != VNPU_JOB_OK && job->res.status == VNPU_JOB_OK) {
        /* Failed before the engine ran. */
        job->res.status = st;
        job->res.cmd_index = 0;
    }
    job->end_ns = vnpu_clock_ns(s);
    if (st != VNPU_JOB_OK && st != VNPU_JOB_ABORTED && !job->mmu_fault &&
        !job->fail_dma) {
        vnpu_guest_error("queue %u job %u (tag 0x%"
                         PRIx64 ", ctx %u): %s at command %u", job->qi,
                         job->idx, (uint64_t)job->d.tag, job->d.ctx,
                         vnpu_status_name(st),
                         job->res.cmd_index);
    }

    c.tag = job->d.tag;
    c.status = job->res.status;
    c.cmd_index = job->res.cmd_index;
    c.start_ns = job->start_ns;
    c.end_ns = job->end_ns;
    if (!vnpu_write_completion(s, job->comp +
                               (uint64_t)slot * VNPU_COMP_SIZE, &c)) {
        job->comp_error = true;
    }
    trace_vnpu_job_end(e->id, job->qi, job->idx, c.status, c.cmd_index,
                       job->res.bytes);
}

/* The energy model of device.rst ("Counters and energy model"). */
static uint64_t vnpu_job_energy_pj(const VnpuJob *job)
{
    uint64_t fj = 0, counted = 0;

    for (unsigned dt = 0; dt < VNPU_DT_COUNT; dt++) {
        uint64_t n = job->res.macs_by_dtype[dt];
        uint64_t per;

        switch (dt) {
        case VNPU_DT_BF16:
            per = VNPU_ENERGY_FJ_MAC_BF16;
            break;
        case VNPU_DT_I8:
        case VNPU_DT_U8:
            per = VNPU_ENERGY_FJ_MAC_INT8;
            break;
        default:
            per = VNPU_ENERGY_FJ_MAC_FP32;
            break;
        }
        fj += n * per;
        counted += n;
    }
    /* MACs the engine did not attribute to a dtype: at the fp32 rate. */
    if (job->res.macs > counted) {
        fj += (job->res.macs - counted) * VNPU_ENERGY_FJ_MAC_FP32;
    }
    return VNPU_ENERGY_PJ_JOB +
           job->host_bytes * VNPU_ENERGY_PJ_HOST_BYTE +
           job->devmem_bytes * VNPU_ENERGY_PJ_DEVMEM_BYTE + fj / 1000;
}

/* Account for a finished job. Called with s->lock held. */
static void vnpu_job_done_locked(VnpuState *s, VnpuJob *job)
{
    VnpuQueue *q = &s->q[job->qi];
    uint32_t st = job->res.status;

    if (job->ring_error) {
        vnpu_queue_error_locked(s, job->qi, "descriptor ring not in RAM");
        return;
    }
    q->head = job->idx + 1;
    if (job->comp_error) {
        vnpu_queue_error_locked(s, job->qi, "completion ring not in RAM");
    }
    s->cnt_jobs++;
    s->cnt_bytes += job->res.bytes;
    s->cnt_busy_ns += job->end_ns - job->start_ns;
    s->cnt_macs += job->res.macs;
    s->cnt_xfer += job->host_bytes + job->devmem_bytes;
    s->cnt_energy_pj += vnpu_job_energy_pj(job);
    if (st == VNPU_JOB_MMU_FAULT) {
        trace_vnpu_fault(job->qi, job->d.ctx, job->res.fault_va,
                         job->res.fault_access);
        s->cnt_faults++;
        if (!(s->fault_status & VNPU_FAULT_VALID)) {
            uint32_t fs = 0;

            fs = FIELD_DP32(fs, FAULT_STATUS, VALID, 1);
            fs = FIELD_DP32(fs, FAULT_STATUS, ACCESS, job->res.fault_access);
            fs = FIELD_DP32(fs, FAULT_STATUS, QUEUE, job->qi);
            fs = FIELD_DP32(fs, FAULT_STATUS, CTX, job->d.ctx);
            s->fault_status = fs;
            s->fault_va = job->res.fault_va;
        }
        vnpu_raise_locked(s, VNPU_IRQ_ERROR);
    }
    vnpu_queue_irq_locked(s, job->qi, job->d.flags & VNPU_DESC_F_IRQ);
}

/* Is injection *@at armed for job @seq? Disarms it when it fires. */
static bool vnpu_inject_fire(uint64_t *at, uint64_t seq)
{
    if (*at && *at == seq) {
        *at = 0;
        return true;
    }
    return false;
}

/* Highest-priority queue with work; round-robin among equals. */
static int vnpu_pick_queue_locked(VnpuState *s)
{
    int best = -1, best_prio = -1;

    for (unsigned i = 0; i < s->nq; i++) {
        unsigned qi = (s->rr + i) % s->nq;
        VnpuQueue *q = &s->q[qi];
        int prio;

        if ((q->ctrl & (VNPU_QCTRL_ENABLE | VNPU_QCTRL_ERROR)) !=
            VNPU_QCTRL_ENABLE || q->busy || q->head == q->tail) {
            continue;
        }
        prio = FIELD_EX32(q->ctrl, Q_CTRL, PRIO);
        if (prio > best_prio) {
            best = qi;
            best_prio = prio;
        }
    }
    if (best >= 0) {
        s->rr = (best + 1) % s->nq;
    }
    return best;
}

static void vnpu_reset_finish_locked(VnpuState *s);

static void *vnpu_engine_thread(void *opaque)
{
    VnpuEngine *e = opaque;
    VnpuState *s = e->s;

    /*
     * Jobs translate guest addresses inside RCU read-side sections
     * (address_space_translate()): only a registered reader holds back
     * the reclamation of the FlatView it walks, which a memory map change
     * (the guest moving a BAR, toggling bus mastering) frees.
     */
    rcu_register_thread();
    qemu_mutex_lock(&s->lock);
    for (;;) {
        VnpuJob job = { 0 };
        VnpuQueue *q;
        int qi = -1;

        while (!s->stopping) {
            if (!s->quiesce && s->vm_running &&
                (s->ctrl & VNPU_CTRL_ENABLE)) {
                qi = vnpu_pick_queue_locked(s);
                if (qi >= 0) {
                    break;
                }
            }
            qemu_cond_wait(&s->work_cond, &s->lock);
        }
        if (s->stopping) {
            break;
        }
        q = &s->q[qi];
        q->busy = true;
        e->busy = true;
        s->running++;
        job.seq = ++s->job_seq;
        job.hang = vnpu_inject_fire(&s->inj_hang, job.seq);
        job.fail_dma = vnpu_inject_fire(&s->inj_dma_fail, job.seq);
        job.mmu_fault = vnpu_inject_fire(&s->inj_mmu_fault, job.seq);
        job.hang_flag_ok = s->inject_ctrl & VNPU_INJECT_HANG_FLAG;
        job.qi = qi;
        job.idx = q->head;
        job.ring = q->ring;
        job.comp = q->comp;
        job.size = q->size;
        job.ctxt_base = s->ctxt_base;
        job.ctxt_size = s->ctxt_size;
        qemu_mutex_unlock(&s->lock);

        vnpu_run_job(s, e, &job);

        qemu_mutex_lock(&s->lock);
        q->busy = false;
        e->busy = false;
        qatomic_set(&e->reset_req, false);
        s->running--;
        /* After a reset everything is cleared anyway. */
        if (!s->aborting) {
            vnpu_job_done_locked(s, &job);
        }
        if (s->resetting && !s->running) {
            vnpu_reset_finish_locked(s);
        }
        qemu_cond_broadcast(&s->idle_cond);
    }
    qemu_mutex_unlock(&s->lock);
    rcu_unregister_thread();
    return NULL;
}

/* Registers */
static void vnpu_reset_regs_locked(VnpuState *s)
{
    s->ctrl = 0;
    s->scratch = 0;
    s->irq_status = 0;
    s->irq_mask = 0;
    s->irq_notify = 0;
    s->ctxt_base = 0;
    s->ctxt_size = 0;
    s->fault_status = 0;
    s->fault_va = 0;
    s->cnt_jobs = 0;
    s->cnt_bytes = 0;
    s->cnt_faults = 0;
    s->cnt_busy_ns = 0;
    s->cnt_macs = 0;
    s->cnt_energy_pj = 0;
    s->cnt_irqs = 0;
    s->cnt_xfer = 0;
    memset(s->cnt_latch, 0, sizeof(s->cnt_latch));
    s->heartbeat_base = qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL);
    s->rr = 0;
    for (unsigned i = 0; i < VNPU_MAX_QUEUES; i++) {
        VnpuQueue *q = &s->q[i];

        q->ring = q->comp = 0;
        q->size = q->ctrl = q->head = q->tail = 0;
        q->irq_mod = q->irq_pending = q->irq_count = 0;
        q->busy = false;
        if (q->irq_timer) {
            timer_del(q->irq_timer);
        }
    }
}

/*
 * Finish a requested reset once no engine runs a job: return to power-on
 * state. s->lock held; called by the requester when the engines are idle,
 * else by the engine thread that lets go of the last job.
 */
static void vnpu_reset_finish_locked(VnpuState *s)
{
    assert(!s->running);
    vnpu_reset_regs_locked(s);
    vnpu_tlb_flush_all(s);
    qatomic_set(&s->aborting, false);
    s->quiesce = false;
    s->resetting = false;
    trace_vnpu_reset_done();
    qemu_cond_broadcast(&s->idle_cond);
}

/*
 * Request a reset without waiting: no new job starts, running and hung
 * jobs are abandoned at their next abort poll, STATUS.READY reads 0 until
 * vnpu_reset_finish_locked(). s->lock held.
 */
static void vnpu_reset_request_locked(VnpuState *s)
{
    trace_vnpu_reset(s->running);
    s->resetting = true;
    s->quiesce = true;
    qatomic_set(&s->aborting, true);
    qemu_cond_broadcast(&s->work_cond);     /* hung engines */
    if (!s->running) {
        vnpu_reset_finish_locked(s);
    }
}

/* Wait for a requested reset to finish. s->lock held; not from a vCPU. */
static void vnpu_reset_wait_locked(VnpuState *s)
{
    while (s->resetting) {
        qemu_cond_wait(&s->idle_cond, &s->lock);
    }
}

/* Synchronous reset (qdev reset handler). s->lock held. */
static void vnpu_reset_locked(VnpuState *s)
{
    vnpu_reset_request_locked(s);
    vnpu_reset_wait_locked(s);
}

static bool vnpu_queue_config_ok(VnpuState *s, unsigned qi)
{
    VnpuQueue *q = &s->q[qi];
    const char *why = NULL;

    if (!is_power_of_2(q->size) || q->size < VNPU_RING_MIN_ENTRIES ||
        q->size > s->ring_max) {
        why = "bad ring size";
    } else if (q->ring % VNPU_RING_ALIGN || q->comp % VNPU_RING_ALIGN) {
        why = "ring or completion ring not 64-byte aligned";
    } else if (q->tail - q->head > q->size) {
        why = "bad ring index (TAIL - HEAD > SIZE)";
    }
    if (why) {
        vnpu_queue_error_locked(s, qi, why);
        return false;
    }
    return true;
}

static uint32_t vnpu_inject_left(uint64_t at, uint64_t seq)
{
    return at > seq ? at - seq : 0;
}

static void vnpu_inject_arm(uint64_t *at, uint64_t seq, uint32_t n)
{
    *at = n ? seq + n : 0;
}

/* INJECT_DROP_IRQ read: messages left, for one queue if armed that way. */
static uint32_t vnpu_inject_drop_irq_read(VnpuState *s)
{
    uint32_t v, qi;

    if (!s->inj_drop_irq_src) {
        return vnpu_inject_left(s->inj_drop_irq, s->msg_seq);
    }
    qi = ctz32(s->inj_drop_irq_src);
    v = vnpu_inject_left(s->inj_drop_irq, s->msg_seq_q[qi]);
    if (!v) {
        return 0;
    }
    v = FIELD_DP32(0, INJECT_DROP_IRQ, N, v);
    v = FIELD_DP32(v, INJECT_DROP_IRQ, Q, qi);
    return FIELD_DP32(v, INJECT_DROP_IRQ, QUEUE, 1);
}

/*
 * INJECT_DROP_IRQ write: N counts every MSI-X message, or with QUEUE set
 * the completion messages of queue Q only.
 */
static void vnpu_inject_drop_irq_write(VnpuState *s, uint32_t val)
{
    uint32_t qi = FIELD_EX32(val, INJECT_DROP_IRQ, Q);

    if (!FIELD_EX32(val, INJECT_DROP_IRQ, QUEUE)) {
        s->inj_drop_irq_src = 0;
        vnpu_inject_arm(&s->inj_drop_irq, s->msg_seq, val);
        return;
    }
    if (val & ~(R_INJECT_DROP_IRQ_N_MASK | R_INJECT_DROP_IRQ_Q_MASK |
                R_INJECT_DROP_IRQ_QUEUE_MASK)) {
        vnpu_guest_error("INJECT_DROP_IRQ: reserved bits 0x%x", val);
    }
    if (qi >= s->nq) {
        vnpu_guest_error("INJECT_DROP_IRQ: no queue %u, disarmed", qi);
        s->inj_drop_irq_src = 0;
        s->inj_drop_irq = 0;
        return;
    }
    s->inj_drop_irq_src = VNPU_IRQ_QUEUE(qi);
    vnpu_inject_arm(&s->inj_drop_irq, s->msg_seq_q[qi],
                    FIELD_EX32(val, INJECT_DROP_IRQ, N));
}

/*
 * ENGINE_RESET: the jobs of the engines in @mask (running or hung) end
 * with VNPU_JOB_ABORTED at their next abort poll; their queues go on.
 * Does not wait: reading ENGINE_RESET shows the engines still letting go.
 */
static void vnpu_engine_reset_locked(VnpuState *s, uint32_t mask)
{
    if (mask & ~MAKE_64BIT_MASK(0, s->nengines)) {
        vnpu_guest_error("ENGINE_RESET 0x%x names absent "
                         "engines", mask);
    }
    for (unsigned i = 0; i < s->nengines; i++) {
        VnpuEngine *e = &s->engines[i];

        if (!(mask & (1u << i))) {
            continue;
        }
        trace_vnpu_engine_reset(i, e->busy, e->hung);
        if (e->busy) {
            qatomic_set(&e->reset_req, true);
        }
    }
    qemu_cond_broadcast(&s->work_cond);
}

/* ENGINE_RESET read: the engines whose reset has not finished. */
static uint32_t vnpu_engine_resetting_locked(VnpuState *s)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < s->nengines; i++) {
        v |= qatomic_read(&s->engines[i].reset_req) ? 1u << i : 0;
    }
    return v;
}

static uint32_t vnpu_counter_read(VnpuState *s, unsigned i, uint64_t v,
                                  bool hi)
{
    if (hi) {
        return s->cnt_latch[i];
    }
    s->cnt_latch[i] = v >> 32;
    return v;
}

static uint32_t vnpu_queue_read(VnpuState *s, unsigned qi, hwaddr off)
{
    VnpuQueue *q = &s->q[qi];

    switch (off) {
    case A_Q_RING_LO:
        return q->ring;
    case A_Q_RING_HI:
        return q->ring >> 32;
    case A_Q_COMP_LO:
        return q->comp;
    case A_Q_COMP_HI:
        return q->comp >> 32;
    case A_Q_SIZE:
        return q->size;
    case A_Q_CTRL:
        return q->ctrl;
    case A_Q_HEAD:
        return q->head;
    case A_Q_TAIL:
        return q->tail;
    case A_Q_IRQ_MOD:
        return q->irq_mod;
    case A_Q_IRQ_COUNT:
        return q->irq_count;
    default:
        vnpu_guest_error("read of reserved queue %u "
                         "register 0x%" HWADDR_PRIx, qi, off);
        return 0;
    }
}

static void vnpu_queue_write(VnpuState *s, unsigned qi, hwaddr off,
                             uint32_t val)
{
    VnpuQueue *q = &s->q[qi];
    bool enabled = q->ctrl & VNPU_QCTRL_ENABLE;

    switch (off) {
    case A_Q_RING_LO:
    case A_Q_RING_HI:
    case A_Q_COMP_LO:
    case A_Q_COMP_HI:
    case A_Q_SIZE:
        if (enabled) {
            vnpu_guest_error("queue %u: register 0x%"
                             HWADDR_PRIx " written while enabled, ignored",
                             qi, off);
            return;
        }
        if (off == A_Q_RING_LO || off == A_Q_RING_HI) {
            q->ring = deposit64(q->ring, off == A_Q_RING_HI ? 32 : 0, 32, val);
        } else if (off == A_Q_COMP_LO || off == A_Q_COMP_HI) {
            q->comp = deposit64(q->comp, off == A_Q_COMP_HI ? 32 : 0, 32, val);
        } else {
            q->size = val;
        }
        return;
    case A_Q_CTRL:
        if (val & ~(VNPU_QCTRL_RW | VNPU_QCTRL_ERROR)) {
            vnpu_guest_error("queue %u: reserved QCTRL "
                             "bits 0x%x", qi, val);
        }
        q->ctrl = (q->ctrl & VNPU_QCTRL_ERROR) | (val & VNPU_QCTRL_RW);
        if (enabled && !(val & VNPU_QCTRL_ENABLE)) {
            /* A stopped queue signals what it has completed. */
            vnpu_queue_irq_flush_locked(s, qi);
        }
        if (!enabled && (val & VNPU_QCTRL_ENABLE) &&
            !(q->ctrl & VNPU_QCTRL_ERROR)) {
            vnpu_queue_config_ok(s, qi);
        }
        qemu_cond_broadcast(&s->work_cond);
        return;
    case A_Q_IRQ_MOD:
        q->irq_mod = val;
        /* A lower COUNT may already be reached. */
        if (q->irq_pending &&
            q->irq_pending >= FIELD_EX32(val, Q_IRQ_MOD, COUNT)) {
            vnpu_queue_irq_flush_locked(s, qi);
        }
        return;
    default:
        vnpu_guest_error("write to read-only or reserved "
                         "queue %u register 0x%" HWADDR_PRIx, qi, off);
        return;
    }
}

static void vnpu_doorbell(VnpuState *s, unsigned qi, uint32_t val)
{
    VnpuQueue *q = &s->q[qi];

    trace_vnpu_doorbell(qi, val, q->head);
    q->tail = val;
    if ((q->ctrl & (VNPU_QCTRL_ENABLE | VNPU_QCTRL_ERROR)) !=
        VNPU_QCTRL_ENABLE) {
        return;
    }
    if (val - q->head > q->size) {
        vnpu_queue_error_locked(s, qi, "bad ring index (TAIL - HEAD > SIZE)");
        return;
    }
    /* Broadcast: a hung engine waits on the same condition. */
    qemu_cond_broadcast(&s->work_cond);
}

static uint32_t vnpu_reg_read_locked(VnpuState *s, hwaddr addr)
{
    uint32_t v = 0;

    switch (addr) {
    case A_ID:
        return VNPU_ID_MAGIC;
    case A_VERSION:
        v = FIELD_DP32(v, VERSION, MAJOR, VNPU_VERSION_MAJOR);
        return FIELD_DP32(v, VERSION, MINOR, VNPU_VERSION_MINOR);
    case A_CAP_QUEUES:
        return s->nq;
    case A_CAP_ENGINES:
        return s->nengines;
    case A_CAP_RING_MAX:
        return s->ring_max;
    case A_CAP_OPS:
        return MAKE_64BIT_MASK(0, VNPU_OP_COUNT);
    case A_CAP_MMU:
        v = FIELD_DP32(v, CAP_MMU, VA_BITS, VNPU_VA_BITS);
        v = FIELD_DP32(v, CAP_MMU, PAGE_4K, 1);
        return FIELD_DP32(v, CAP_MMU, PAGE_2M, 1);
    case A_CAP_CONTEXTS:
        return VNPU_MAX_CONTEXTS;
    case A_DEVMEM_SIZE_LO:
        return s->devmem_size;
    case A_DEVMEM_SIZE_HI:
        return s->devmem_size >> 32;
    case A_CTRL:
        return s->ctrl;
    case A_STATUS:
        v = FIELD_DP32(v, STATUS, READY, !s->resetting);
        return FIELD_DP32(v, STATUS, ENABLED,
                          FIELD_EX32(s->ctrl, CTRL, ENABLE));
    case A_HEARTBEAT:
        return qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) - s->heartbeat_base;
    case A_SCRATCH:
        return s->scratch;
    case A_IRQ_STATUS:
        return s->irq_status;
    case A_IRQ_MASK:
        return s->irq_mask;
    case A_CTXT_BASE_LO:
        return s->ctxt_base;
    case A_CTXT_BASE_HI:
        return s->ctxt_base >> 32;
    case A_CTXT_SIZE:
        return s->ctxt_size;
    case A_FAULT_STATUS:
        return s->fault_status;
    case A_FAULT_VA_LO:
        return s->fault_va;
    case A_FAULT_VA_HI:
        return s->fault_va >> 32;
    case A_CNT_JOBS_LO:
    case A_CNT_JOBS_HI:
        return vnpu_counter_read(s, 0, s->cnt_jobs, addr == A_CNT_JOBS_HI);
    case A_CNT_BYTES_LO:
    case A_CNT_BYTES_HI:
        return vnpu_counter_read(s, 1, s->cnt_bytes, addr == A_CNT_BYTES_HI);
    case A_CNT_FAULTS_LO:
    case A_CNT_FAULTS_HI:
        return vnpu_counter_read(s, 2, s->cnt_faults,
                                 addr == A_CNT_FAULTS_HI);
    case A_CNT_BUSY_NS_LO:
    case A_CNT_BUSY_NS_HI:
        return vnpu_counter_read(s, 3, s->cnt_busy_ns,
                                 addr == A_CNT_BUSY_NS_HI);
    case A_CNT_MACS_LO:
    case A_CNT_MACS_HI:
        return vnpu_counter_read(s, 4, s->cnt_macs, addr == A_CNT_MACS_HI);
    case A_CNT_ENERGY_PJ_LO:
    case A_CNT_ENERGY_PJ_HI:
        return vnpu_counter_read(s, 5, s->cnt_energy_pj,
                                 addr == A_CNT_ENERGY_PJ_HI);
    case A_CNT_IRQS_LO:
    case A_CNT_IRQS_HI:
        return vnpu_counter_read(s, 6, s->cnt_irqs, addr == A_CNT_IRQS_HI);
    case A_CNT_XFER_LO:
    case A_CNT_XFER_HI:
        return vnpu_counter_read(s, 7, s->cnt_xfer, addr == A_CNT_XFER_HI);
    case A_ENGINE_STATUS:
        for (unsigned i = 0; i < s->nengines; i++) {
            v |= s->engines[i].busy ? VNPU_ENGINE_BUSY(i) : 0;
            v |= s->engines[i].hung ? VNPU_ENGINE_HUNG(i) : 0;
        }
        return v;
    case A_ENGINE_RESET:
        return vnpu_engine_resetting_locked(s);
    case A_JOB_SEQ:
        return s->job_seq;
    case A_INJECT_CTRL:
        return s->inject_ctrl;
    case A_INJECT_HANG_JOB:
        return vnpu_inject_left(s->inj_hang, s->job_seq);
    case A_INJECT_DMA_FAIL_JOB:
        return vnpu_inject_left(s->inj_dma_fail, s->job_seq);
    case A_INJECT_MMU_FAULT_JOB:
        return vnpu_inject_left(s->inj_mmu_fault, s->job_seq);
    case A_INJECT_DROP_IRQ:
        return vnpu_inject_drop_irq_read(s);
    }
    if (addr >= VNPU_REG_Q(0) && addr < VNPU_REG_Q(VNPU_MAX_QUEUES)) {
        unsigned qi = (addr - VNPU_REG_Q(0)) / VNPU_Q_STRIDE;

        if (qi < s->nq) {
            return vnpu_queue_read(s, qi, addr % VNPU_Q_STRIDE);
        }
    }
    vnpu_guest_error("read of write-only or reserved "
                     "register 0x%" HWADDR_PRIx, addr);
    return 0;
}

static void vnpu_reg_write_locked(VnpuState *s, hwaddr addr, uint32_t val)
{
    uint32_t valid = vnpu_irq_valid(s);

    switch (addr) {
    case A_CTRL:
        if (val & ~(VNPU_CTRL_ENABLE | VNPU_CTRL_RESET)) {
            vnpu_guest_error("reserved CTRL bits 0x%x",
                             val);
        }
        if (val & VNPU_CTRL_RESET) {
            vnpu_reset_request_locked(s);
            return;
        }
        s->ctrl = val & VNPU_CTRL_ENABLE;
        qemu_cond_broadcast(&s->work_cond);
        return;
    case A_SCRATCH:
        s->scratch = val;
        return;
    case A_IRQ_STATUS:
        s->irq_status &= ~val;
        return;
    case A_IRQ_MASK: {
        uint32_t unmasked = val & ~s->irq_mask & s->irq_status & valid;

        if (val & ~valid) {
            vnpu_guest_error("IRQ_MASK bits 0x%x have no "
                             "source", val & ~valid);
        }
        s->irq_mask = val & valid;
        if (unmasked) {
            /* Pending sources interrupt when they are unmasked. */
            s->irq_notify |= unmasked;
            qemu_bh_schedule(s->irq_bh);
        }
        return;
    }
    case A_CTXT_BASE_LO:
        if (val & (VNPU_PAGE_SIZE - 1)) {
            vnpu_guest_error("CTXT_BASE 0x%x not 4 KiB "
                             "aligned, low bits ignored", val);
        }
        s->ctxt_base = deposit64(s->ctxt_base, 0, 32,
                                 val & ~(uint32_t)(VNPU_PAGE_SIZE - 1));
        return;
    case A_CTXT_BASE_HI:
        s->ctxt_base = deposit64(s->ctxt_base, 32, 32, val);
        return;
    case A_CTXT_SIZE:
        if (val > VNPU_MAX_CONTEXTS) {
            vnpu_guest_error("CTXT_SIZE %u > %u, "
                             "ignored", val, VNPU_MAX_CONTEXTS);
            return;
        }
        s->ctxt_size = val;
        return;
    case A_TLB_INV:
        trace_vnpu_tlb_inv(val);
        if (val & VNPU_TLB_INV_ALL) {
            vnpu_tlb_flush_all(s);
        } else if (FIELD_EX32(val, TLB_INV, CTX) < VNPU_MAX_CONTEXTS) {
            vnpu_tlb_flush(s, FIELD_EX32(val, TLB_INV, CTX));
        } else {
            vnpu_guest_error("TLB_INV of context %u "
                             ">= %u", FIELD_EX32(val, TLB_INV, CTX),
                             VNPU_MAX_CONTEXTS);
        }
        return;
    case A_FAULT_ACK:
        s->fault_status = 0;
        s->fault_va = 0;
        return;
    case A_ENGINE_RESET:
        vnpu_engine_reset_locked(s, val);
        return;
    case A_INJECT_CTRL:
        if (val & ~VNPU_INJECT_HANG_FLAG) {
            vnpu_guest_error("reserved INJECT_CTRL bits "
                             "0x%x", val);
        }
        s->inject_ctrl = val & VNPU_INJECT_HANG_FLAG;
        return;
    case A_INJECT_HANG_JOB:
        vnpu_inject_arm(&s->inj_hang, s->job_seq, val);
        return;
    case A_INJECT_DMA_FAIL_JOB:
        vnpu_inject_arm(&s->inj_dma_fail, s->job_seq, val);
        return;
    case A_INJECT_MMU_FAULT_JOB:
        vnpu_inject_arm(&s->inj_mmu_fault, s->job_seq, val);
        return;
    case A_INJECT_DROP_IRQ:
        vnpu_inject_drop_irq_write(s, val);
        return;
    }
    if (addr >= VNPU_REG_Q(0) && addr < VNPU_REG_Q(VNPU_MAX_QUEUES)) {
        unsigned qi = (addr - VNPU_REG_Q(0)) / VNPU_Q_STRIDE;

        if (qi < s->nq) {
            vnpu_queue_write(s, qi, addr % VNPU_Q_STRIDE, val);
            return;
        }
    }
    vnpu_guest_error("write of 0x%x to read-only or "
                     "reserved register 0x%" HWADDR_PRIx, val, addr);
}

static bool vnpu_access_ok(hwaddr addr, unsigned size, bool is_write)
{
    if (size == 4 && !(addr & 3)) {
        return true;
    }
    vnpu_guest_error("%u-byte %s at 0x%" HWADDR_PRIx
                     " ignored: only aligned 32-bit accesses", size,
                     is_write ? "write" : "read", addr);
    return false;
}

static uint64_t vnpu_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    VnpuState *s = opaque;
    uint32_t val = 0;

    if (!vnpu_access_ok(addr, size, false)) {
        return 0;
    }
    if (addr >= VNPU_DB_STRIDE) {
        vnpu_guest_error("read of doorbell page at 0x%"
                         HWADDR_PRIx, addr);
    } else {
        qemu_mutex_lock(&s->lock);
        val = vnpu_reg_read_locked(s, addr);
        qemu_mutex_unlock(&s->lock);
    }
    trace_vnpu_mmio_read(addr, val);
    return val;
}

static void vnpu_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    VnpuState *s = opaque;

    if (!vnpu_access_ok(addr, size, true)) {
        return;
    }
    trace_vnpu_mmio_write(addr, val);
    qemu_mutex_lock(&s->lock);
    if (s->resetting) {
        /* The reset clears everything when it finishes. */
        vnpu_guest_error("write of 0x%" PRIx64 " to 0x%" HWADDR_PRIx
                         " ignored: reset in progress (STATUS.READY 0)",
                         val, addr);
    } else if (addr >= VNPU_DB_STRIDE) {
        unsigned qi = addr / VNPU_DB_STRIDE - 1;

        if (qi < s->nq && addr % VNPU_DB_STRIDE == 0) {
            vnpu_doorbell(s, qi, val);
        } else {
            vnpu_guest_error("write to 0x%" HWADDR_PRIx
                             " is not a doorbell of one of the %u queues",
                             addr, s->nq);
        }
    } else {
        vnpu_reg_write_locked(s, addr, val);
    }
    qemu_mutex_unlock(&s->lock);
}

static const MemoryRegionOps vnpu_mmio_ops = {
    .read = vnpu_mmio_read,
    .write = vnpu_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* Every size reaches us so that bad ones are logged, not dropped. */
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

/* VM run state: no job runs while the VM is stopped. */
static void vnpu_vm_state_change(void *opaque, bool running, RunState state)
{
    VnpuState *s = opaque;

    qemu_mutex_lock(&s->lock);
    s->vm_running = running;
    if (running) {
        qemu_cond_broadcast(&s->work_cond);
    } else {
        /* A reset in progress finishes first: its jobs abort quickly. */
        vnpu_reset_wait_locked(s);
        /* Hung engines (fault injection) touch no memory: not waited for. */
        while (s->running > s->hung) {
            qemu_cond_wait(&s->idle_cond, &s->lock);
        }
    }
    qemu_mutex_unlock(&s->lock);
}

static void vnpu_dev_reset(DeviceState *dev)
{
    VnpuState *s = VNPU(dev);

    qemu_mutex_lock(&s->lock);
    vnpu_reset_locked(s);
    qemu_mutex_unlock(&s->lock);
}

static void vnpu_realize(PCIDevice *pdev, Error **errp)
{
    VnpuState *s = VNPU(pdev);

    if (s->nq < 1 || s->nq > VNPU_MAX_QUEUES) {
        error_setg(errp, "queues must be 1..%u", VNPU_MAX_QUEUES);
        return;
    }
    if (s->nengines < 1 || s->nengines > VNPU_MAX_ENGINES) {
        error_setg(errp, "engines must be 1..%u", VNPU_MAX_ENGINES);
        return;
    }
    if (!is_power_of_2(s->ring_max) || s->ring_max < VNPU_RING_MIN_ENTRIES ||
        s->ring_max > VNPU_RING_MAX_ENTRIES) {
        error_setg(errp, "ring-max must be a power of two in %u..%u",
                   VNPU_RING_MIN_ENTRIES, VNPU_RING_MAX_ENTRIES);
        return;
    }
    if (s->hostmem) {
        /* Device memory from a host memory backend: its size rules. */
        if (host_memory_backend_is_mapped(s->hostmem)) {
            error_setg(errp, "memdev %s is already in use",
                       object_get_canonical_path_component(
                           OBJECT(s->hostmem)));
            return;
        }
        s->devmem_size =
            memory_region_size(host_memory_backend_get_memory(s->hostmem));
        if (!s->devmem_size) {
            error_setg(errp, "memdev must not be empty");
            return;
        }
    }
    if (s->devmem_size && (!is_power_of_2(s->devmem_size) ||
                           s->devmem_size < 2 * MiB ||
                           s->devmem_size > VNPU_MAX_DEVMEM)) {
        error_setg(errp, "devmem-size must be 0 or a power of two in "
                   "2M..%" PRIu64 "G", VNPU_MAX_DEVMEM / GiB);
        return;
    }
    {
        const uint32_t job_knobs[] = {
            s->prop_hang_job, s->prop_dma_fail_job, s->prop_mmu_fault_job,
        };

        for (unsigned i = 0; i < ARRAY_SIZE(job_knobs); i++) {
            for (unsigned j = 0; j < i; j++) {
                if (job_knobs[i] && job_knobs[i] == job_knobs[j]) {
                    error_setg(errp, "inject-*-job properties must be "
                               "distinct: one injection per job");
                    return;
                }
            }
        }
        if (MAX(MAX(s->prop_hang_job, s->prop_dma_fail_job),
                MAX(s->prop_mmu_fault_job, s->prop_drop_irq)) >
            VNPU_MAX_INJECT) {
            error_setg(errp, "inject-* properties must be at most %u",
                       VNPU_MAX_INJECT);
            return;
        }
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &vnpu_mmio_ops, s,
                          "vnpu-regs", VNPU_BAR_REGS_SIZE);
    pci_register_bar(pdev, VNPU_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);
    if (msix_init_exclusive_bar(pdev, VNPU_MSIX_VECTORS(s->nq),
                                VNPU_BAR_MSIX, errp)) {
        return;
    }
    for (unsigned i = 0; i < VNPU_MSIX_VECTORS(s->nq); i++) {
        msix_vector_use(pdev, i);
    }
    if (s->hostmem) {
        s->devmem_mr = host_memory_backend_get_memory(s->hostmem);
        host_memory_backend_set_mapped(s->hostmem, true);
        vmstate_register_ram(s->devmem_mr, DEVICE(s));
    } else if (s->devmem_size) {
        if (!memory_region_init_ram(&s->devmem, OBJECT(s), "vnpu-devmem",
                                    s->devmem_size, errp)) {
            msix_uninit_exclusive_bar(pdev);
            return;
        }
        s->devmem_mr = &s->devmem;
    }
    if (s->devmem_mr) {
        s->devmem_host = memory_region_get_ram_ptr(s->devmem_mr);
        pci_register_bar(pdev, VNPU_BAR_DEVMEM,
                         PCI_BASE_ADDRESS_SPACE_MEMORY |
                         PCI_BASE_ADDRESS_MEM_TYPE_64 |
                         PCI_BASE_ADDRESS_MEM_PREFETCH, s->devmem_mr);
    }

    qemu_mutex_init(&s->lock);
    qemu_mutex_init(&s->tlb_lock);
    qemu_cond_init(&s->work_cond);
    qemu_cond_init(&s->idle_cond);
    s->tlb = g_new0(VnpuCtxTlb, VNPU_MAX_CONTEXTS);
    s->irq_bh = qemu_bh_new_guarded(vnpu_irq_bh, s,
                                    &DEVICE(s)->mem_reentrancy_guard);
    s->vm_running = runstate_is_running();
    s->vmsentry = qemu_add_vm_change_state_handler(vnpu_vm_state_change, s);
    object_property_add_uint64_ptr(OBJECT(s), "x-view-maps", &s->view_maps,
                                   OBJ_PROP_FLAG_READ);
    s->stopping = false;
    for (unsigned i = 0; i < VNPU_MAX_QUEUES; i++) {
        s->q[i].s = s;
        s->q[i].index = i;
        s->q[i].irq_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, vnpu_irq_timer,
                                         &s->q[i]);
    }
    vnpu_reset_regs_locked(s);
    /* Fault injection armed by properties: JOB_SEQ starts at 0. */
    s->inj_hang = s->prop_hang_job;
    s->inj_dma_fail = s->prop_dma_fail_job;
    s->inj_mmu_fault = s->prop_mmu_fault_job;
    s->inj_drop_irq = s->prop_drop_irq;
    s->inj_drop_irq_src = 0;
    s->inject_ctrl = s->prop_hang_flag ? VNPU_INJECT_HANG_FLAG : 0;

    for (unsigned i = 0; i < s->nengines; i++) {
        VnpuEngine *e = &s->engines[i];
        g_autofree char *name = g_strdup_printf("vnpu-eng%u", i);

        e->s = s;
        e->id = i;
        qemu_thread_create(&e->thread, name, vnpu_engine_thread, e,
                           QEMU_THREAD_JOINABLE);
    }
}

static void vnpu_exit(PCIDevice *pdev)
{
    VnpuState *s = VNPU(pdev);

    qemu_mutex_lock(&s->lock);
    s->stopping = true;
    qatomic_set(&s->aborting, true);
    qemu_cond_broadcast(&s->work_cond);
    qemu_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->nengines; i++) {
        qemu_thread_join(&s->engines[i].thread);
    }

    qemu_del_vm_change_state_handler(s->vmsentry);
    qemu_bh_delete(s->irq_bh);
    vnpu_views_free(s);
    for (unsigned i = 0; i < VNPU_MAX_QUEUES; i++) {
        timer_free(s->q[i].irq_timer);
        s->q[i].irq_timer = NULL;
    }
    g_free(s->tlb);
    qemu_cond_destroy(&s->idle_cond);
    qemu_cond_destroy(&s->work_cond);
    qemu_mutex_destroy(&s->tlb_lock);
    qemu_mutex_destroy(&s->lock);
    msix_uninit_exclusive_bar(pdev);
    if (s->hostmem) {
        vmstate_unregister_ram(s->devmem_mr, DEVICE(s));
        host_memory_backend_set_mapped(s->hostmem, false);
    }
}

/*
 * Migration. Engines finish their running jobs when the VM stops (see
 * vnpu_vm_state_change), so at save time no job is in flight: HEAD, TAIL
 * and the rings in guest memory are the whole queue state, and
 * descriptors between HEAD and TAIL run on the destination. A job held by
 * an injected hang has not advanced HEAD: it is replayed there. Device
 * memory is RAM and migrates as such. The TLB is a cache and is not
 * migrated.
 */
static int vnpu_pre_save(void *opaque)
{
    VnpuState *s = opaque;
    int ret = 0;

    qemu_mutex_lock(&s->lock);
    if (s->running > s->hung) {
        error_report("vnpu: cannot save state while %u job(s) are running",
                     s->running - s->hung);
        ret = -EBUSY;
    } else if (s->resetting) {
        /* Not reached: a VM stop waits for the reset to finish. */
        error_report("vnpu: cannot save state during a reset");
        ret = -EBUSY;
    }
    qemu_mutex_unlock(&s->lock);
    return ret;
}

static int vnpu_post_load(void *opaque, int version_id)
{
    VnpuState *s = opaque;

    qemu_mutex_lock(&s->lock);
    s->ctrl &= VNPU_CTRL_ENABLE;
    s->irq_mask &= vnpu_irq_valid(s);
    if ((s->inj_drop_irq_src & ~MAKE_64BIT_MASK(0, s->nq)) ||
        ctpop32(s->inj_drop_irq_src) > 1) {
        s->inj_drop_irq_src = 0;
        s->inj_drop_irq = 0;
    }
    for (unsigned i = 0; i < VNPU_MAX_QUEUES; i++) {
        s->q[i].busy = false;
        s->q[i].ctrl &= VNPU_QCTRL_RW | VNPU_QCTRL_ERROR;
        if (i >= s->nq) {
            VnpuQueue *q = &s->q[i];

            q->ring = q->comp = 0;
            q->size = q->ctrl = q->head = q->tail = 0;
            q->irq_mod = q->irq_pending = q->irq_count = 0;
            timer_del(q->irq_timer);
        }
    }
    if (s->ctxt_size > VNPU_MAX_CONTEXTS) {
        s->ctxt_size = 0;
    }
    qemu_cond_broadcast(&s->work_cond);
    qemu_mutex_unlock(&s->lock);
    vnpu_tlb_flush_all(s);
    return 0;
}

static const VMStateDescription vmstate_vnpu_queue = {
    .name = "vnpu/queue",
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(ring, VnpuQueue),
        VMSTATE_UINT64(comp, VnpuQueue),
        VMSTATE_UINT32(size, VnpuQueue),
        VMSTATE_UINT32(ctrl, VnpuQueue),
        VMSTATE_UINT32(head, VnpuQueue),
        VMSTATE_UINT32(tail, VnpuQueue),
        VMSTATE_UINT32(irq_mod, VnpuQueue),
        VMSTATE_UINT32(irq_pending, VnpuQueue),
        VMSTATE_UINT32(irq_count, VnpuQueue),
        VMSTATE_TIMER_PTR(irq_timer, VnpuQueue),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_vnpu = {
    .name = "vnpu",
    .version_id = 3,
    .minimum_version_id = 2,
    .pre_save = vnpu_pre_save,
    .post_load = vnpu_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VnpuState),
        VMSTATE_MSIX(parent_obj, VnpuState),
        VMSTATE_UINT32_EQUAL(nq, VnpuState, NULL),
        VMSTATE_UINT64_EQUAL(devmem_size, VnpuState, NULL),
        VMSTATE_UINT32(ctrl, VnpuState),
        VMSTATE_UINT32(scratch, VnpuState),
        VMSTATE_UINT32(irq_status, VnpuState),
        VMSTATE_UINT32(irq_mask, VnpuState),
        VMSTATE_UINT64(ctxt_base, VnpuState),
        VMSTATE_UINT32(ctxt_size, VnpuState),
        VMSTATE_UINT32(fault_status, VnpuState),
        VMSTATE_UINT64(fault_va, VnpuState),
        VMSTATE_UINT64(cnt_jobs, VnpuState),
        VMSTATE_UINT64(cnt_bytes, VnpuState),
        VMSTATE_UINT64(cnt_faults, VnpuState),
        VMSTATE_UINT64(cnt_busy_ns, VnpuState),
        VMSTATE_UINT64(cnt_macs, VnpuState),
        VMSTATE_UINT64(cnt_energy_pj, VnpuState),
        VMSTATE_UINT64(cnt_irqs, VnpuState),
        VMSTATE_UINT64(cnt_xfer, VnpuState),
        VMSTATE_UINT32_ARRAY(cnt_latch, VnpuState, 8),
        VMSTATE_UINT64(job_seq, VnpuState),
        VMSTATE_UINT64(msg_seq, VnpuState),
        VMSTATE_UINT32(inject_ctrl, VnpuState),
        VMSTATE_UINT64(inj_hang, VnpuState),
        VMSTATE_UINT64(inj_dma_fail, VnpuState),
        VMSTATE_UINT64(inj_mmu_fault, VnpuState),
        VMSTATE_UINT64(inj_drop_irq, VnpuState),
        VMSTATE_UINT32_V(inj_drop_irq_src, VnpuState, 3),
        VMSTATE_UINT64_ARRAY_V(msg_seq_q, VnpuState, VNPU_MAX_QUEUES, 3),
        VMSTATE_INT64(heartbeat_base, VnpuState),
        VMSTATE_UINT32(rr, VnpuState),
        VMSTATE_STRUCT_ARRAY(q, VnpuState, VNPU_MAX_QUEUES, 2,
                             vmstate_vnpu_queue, VnpuQueue),
        VMSTATE_END_OF_LIST()
    },
};

static const Property vnpu_properties[] = {
    DEFINE_PROP_UINT32("queues", VnpuState, nq, VNPU_DEFAULT_QUEUES),
    DEFINE_PROP_UINT32("engines", VnpuState, nengines, VNPU_DEFAULT_ENGINES),
    DEFINE_PROP_UINT32("ring-max", VnpuState, ring_max,
                       VNPU_RING_MAX_ENTRIES),
    DEFINE_PROP_SIZE("devmem-size", VnpuState, devmem_size,
                     VNPU_DEFAULT_DEVMEM),
    DEFINE_PROP_LINK("memdev", VnpuState, hostmem, TYPE_MEMORY_BACKEND,
                     HostMemoryBackend *),
    DEFINE_PROP_UINT32("inject-hang-job", VnpuState, prop_hang_job, 0),
    DEFINE_PROP_UINT32("inject-dma-fail-job", VnpuState, prop_dma_fail_job,
                       0),
    DEFINE_PROP_UINT32("inject-mmu-fault-job", VnpuState, prop_mmu_fault_job,
                       0),
    DEFINE_PROP_UINT32("inject-drop-irq", VnpuState, prop_drop_irq, 0),
    DEFINE_PROP_BOOL("inject-hang-flag", VnpuState, prop_hang_flag, false),
    DEFINE_PROP_BOOL("host-views", VnpuState, host_views, false),
};

static void vnpu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = vnpu_realize;
    k->exit = vnpu_exit;
    k->vendor_id = VNPU_PCI_VENDOR_ID;
    k->device_id = VNPU_PCI_DEVICE_ID;
    k->revision = VNPU_PCI_REVISION;
    k->class_id = VNPU_PCI_CLASS;
    dc->desc = "vnpu emulated NPU";
    dc->vmsd = &vmstate_vnpu;
    device_class_set_legacy_reset(dc, vnpu_dev_reset);
    device_class_set_props(dc, vnpu_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static InterfaceInfo vnpu_interfaces[] = {
    { INTERFACE_CONVENTIONAL_PCI_DEVICE },
    { },
};

static const TypeInfo vnpu_info = {
    .name = TYPE_VNPU,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VnpuState),
    .class_init = vnpu_class_init,
    .interfaces = vnpu_interfaces,
};

static void vnpu_register_types(void)
{
    type_register_static(&vnpu_info);
}

type_init(vnpu_register_types)
