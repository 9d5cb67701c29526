/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for the vnpu device: registers, rings, MMU, commands, errors,
 * interrupts and reset, driven directly without a guest kernel.
 *
 * Every wait polls guest memory with a bounded timeout and fails with a
 * message; no test can hang.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "hw/pci/pci_regs.h"
#include "qobject/qdict.h"

#include "vnpu_device.h"

#define FIRMWARE_DIR        "/usr/share/qemu"
#define VNPU_DEVFN          QPCI_DEVFN(4, 0)
#define WAIT_TIMEOUT_US     (20 * G_USEC_PER_SEC)
#define VA_BASE             0x10000000ull
#define MAX_CTX             4
#define MSIX_DATA(v)        (0x5a5a0000u + (v))
#define PAGE                VNPU_PAGE_SIZE
#define HUGE                (1ull << VNPU_HUGE_SHIFT)
#define PTE_RW              (VNPU_PTE_VALID | VNPU_PTE_READ | VNPU_PTE_WRITE)
#define PTE_RO              (VNPU_PTE_VALID | VNPU_PTE_READ)

typedef struct Vnpu {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar bar;
    uint64_t ctxt;
    uint64_t pgd[MAX_CTX];
    uint64_t next_va;
    struct {
        uint64_t ring, comp;
        uint32_t size, tail;
    } q[VNPU_MAX_QUEUES];
    uint64_t msix_addr[VNPU_MSIX_VECTORS(VNPU_MAX_QUEUES)];
} Vnpu;

typedef struct Cmds {
    uint8_t buf[1024];
    size_t len;
} Cmds;

/* Device and guest memory helpers */

static uint32_t rd(Vnpu *v, uint32_t off)
{
    return qpci_io_readl(v->dev, v->bar, off);
}

static void wr(Vnpu *v, uint32_t off, uint32_t val)
{
    qpci_io_writel(v->dev, v->bar, off, val);
}

static uint64_t alloc_zero(Vnpu *v, size_t size)
{
    uint64_t pa = guest_alloc(&v->alloc, size);

    g_assert(pa);
    g_assert_cmphex(pa & (PAGE - 1), ==, 0);
    qtest_memset(v->qts, pa, 0, size);
    return pa;
}

static QTestState *vnpu_qemu(const char *props, const char *extra)
{
    /* The +ds source has no firmware: use qboot from qemu-system-data. */
    return qtest_initf("-M q35 -m 256M -nodefaults %s "
                       "-device vnpu,addr=04.0%s %s",
                       g_file_test(FIRMWARE_DIR "/qboot.rom",
                                   G_FILE_TEST_EXISTS) ?
                       "-L " FIRMWARE_DIR " -bios qboot.rom" : "",
                       props ? props : "", extra ? extra : "");
}

static void vnpu_attach(Vnpu *v)
{
    v->bus = qpci_new_pc(v->qts, &v->alloc);
    v->dev = qpci_device_find(v->bus, VNPU_DEVFN);
    g_assert(v->dev);
    qpci_device_enable(v->dev);
    v->bar = qpci_iomap(v->dev, VNPU_BAR_REGS, NULL);
}

static Vnpu *vnpu_start(const char *props)
{
    Vnpu *v = g_new0(Vnpu, 1);

    v->qts = vnpu_qemu(props, NULL);
    pc_alloc_init(&v->alloc, v->qts, ALLOC_NO_FLAGS);
    vnpu_attach(v);
    v->next_va = VA_BASE;
    return v;
}

static void vnpu_stop(Vnpu *v)
{
    g_free(v->dev);
    qpci_free_pc(v->bus);
    alloc_destroy(&v->alloc);
    qtest_quit(v->qts);
    g_free(v);
}

/* Page tables: allocate missing tables down to @leaf_level. */
static uint64_t pte_slot(Vnpu *v, int ctx, uint64_t va, int leaf_level)
{
    uint64_t table = v->pgd[ctx];

    for (int l = 0; l < leaf_level; l++) {
        uint64_t slot = table + VNPU_PT_INDEX(va, l) * 8;
        uint64_t pte = qtest_readq(v->qts, slot);

        if (!(pte & VNPU_PTE_VALID)) {
            pte = alloc_zero(v, PAGE) | VNPU_PTE_VALID;
            qtest_writeq(v->qts, slot, pte);
        }
        table = pte & VNPU_PTE_ADDR_MASK;
    }
    return table + VNPU_PT_INDEX(va, leaf_level) * 8;
}

static void map_page(Vnpu *v, int ctx, uint64_t va, uint64_t pa,
                     uint64_t flags)
{
    qtest_writeq(v->qts, pte_slot(v, ctx, va, 3), pa | flags);
}

static void map_huge(Vnpu *v, int ctx, uint64_t va, uint64_t pa,
                     uint64_t flags)
{
    qtest_writeq(v->qts, pte_slot(v, ctx, va, 2),
                 pa | flags | VNPU_PTE_HUGE);
}

/* A fresh VA range followed by an unmapped guard page. */
static uint64_t new_va(Vnpu *v, uint64_t size)
{
    uint64_t va = v->next_va;

    v->next_va += ROUND_UP(size, PAGE) + PAGE;
    return va;
}

/* Map a new zeroed buffer of @size bytes; returns its VA, *pa its PA. */
static uint64_t map_buf(Vnpu *v, int ctx, uint64_t size, uint64_t flags,
                        uint64_t *pa)
{
    uint64_t npages = DIV_ROUND_UP(size, PAGE);
    uint64_t base = alloc_zero(v, npages * PAGE);
    uint64_t va = new_va(v, size);

    for (uint64_t i = 0; i < npages; i++) {
        map_page(v, ctx, va + i * PAGE, base + i * PAGE, flags);
    }
    if (pa) {
        *pa = base;
    }
    return va;
}

static void ctx_init(Vnpu *v, int n)
{
    v->ctxt = alloc_zero(v, PAGE);
    for (int i = 0; i < n; i++) {
        v->pgd[i] = alloc_zero(v, PAGE);
        qtest_writeq(v->qts, v->ctxt + i * 16, v->pgd[i]);
        qtest_writel(v->qts, v->ctxt + i * 16 + 8, VNPU_CTX_VALID);
    }
    wr(v, VNPU_REG_CTXT_BASE_LO, v->ctxt);
    wr(v, VNPU_REG_CTXT_BASE_HI, v->ctxt >> 32);
    wr(v, VNPU_REG_CTXT_SIZE, n);
}

static void queue_init(Vnpu *v, int q, uint32_t size, uint32_t prio)
{
    uint32_t base = VNPU_REG_Q(q);

    v->q[q].size = size;
    v->q[q].tail = 0;
    v->q[q].ring = alloc_zero(v, size * sizeof(struct vnpu_desc));
    v->q[q].comp = alloc_zero(v, size * sizeof(struct vnpu_completion));
    wr(v, base + VNPU_Q_RING_LO, v->q[q].ring);
    wr(v, base + VNPU_Q_RING_HI, v->q[q].ring >> 32);
    wr(v, base + VNPU_Q_COMP_LO, v->q[q].comp);
    wr(v, base + VNPU_Q_COMP_HI, v->q[q].comp >> 32);
    wr(v, base + VNPU_Q_SIZE, size);
    wr(v, base + VNPU_Q_CTRL, VNPU_QCTRL_ENABLE | (prio << 4));
    g_assert_cmphex(rd(v, base + VNPU_Q_CTRL), ==,
                    VNPU_QCTRL_ENABLE | (prio << 4));
}

/* Device with contexts, queues and engines on. */
static Vnpu *vnpu_setup(const char *props, int nq)
{
    Vnpu *v = vnpu_start(props);

    ctx_init(v, 2);
    for (int q = 0; q < nq; q++) {
        queue_init(v, q, 8, 0);
    }
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    return v;
}

static void desc_write(Vnpu *v, int q, uint32_t idx, uint64_t tag,
                       uint64_t cmd_va, uint32_t cmd_size, uint32_t ctx,
                       uint32_t flags, uint32_t rsvd0, uint64_t rsvd2)
{
    uint8_t d[64] = { 0 };
    uint32_t slot = idx % v->q[q].size;

    stq_le_p(d, tag);
    stq_le_p(d + 8, cmd_va);
    stl_le_p(d + 16, cmd_size);
    stl_le_p(d + 20, ctx);
    stl_le_p(d + 24, flags);
    stl_le_p(d + 28, rsvd0);
    stq_le_p(d + 48, rsvd2);
    qtest_memwrite(v->qts, v->q[q].ring + slot * 64, d, sizeof(d));
    qtest_writel(v->qts, v->q[q].comp + slot * 32 + 8, VNPU_JOB_PENDING);
}

static void doorbell(Vnpu *v, int q)
{
    wr(v, VNPU_REG_DOORBELL(q), v->q[q].tail);
}

/* Queue one descriptor (no doorbell); returns its index. */
static uint32_t queue_desc(Vnpu *v, int q, uint32_t ctx, uint64_t cmd_va,
                           uint32_t cmd_size, uint32_t flags)
{
    uint32_t idx = v->q[q].tail++;

    desc_write(v, q, idx, 0x7a90000000000000ull | idx, cmd_va, cmd_size,
               ctx, flags, 0, 0);
    return idx;
}

typedef struct Comp {
    uint64_t tag;
    uint32_t status;
    uint32_t cmd_index;
    uint64_t start_ns, end_ns;
} Comp;

static void comp_read(Vnpu *v, int q, uint32_t idx, Comp *c)
{
    uint64_t a = v->q[q].comp + (idx % v->q[q].size) * 32;

    c->status = qtest_readl(v->qts, a + 8);
    c->tag = qtest_readq(v->qts, a);
    c->cmd_index = qtest_readl(v->qts, a + 12);
    c->start_ns = qtest_readq(v->qts, a + 16);
    c->end_ns = qtest_readq(v->qts, a + 24);
}

/* Poll guest memory until the completion is written (bounded). */
static void wait_comp(Vnpu *v, int q, uint32_t idx, Comp *c)
{
    uint64_t a = v->q[q].comp + (idx % v->q[q].size) * 32 + 8;
    gint64 end = g_get_monotonic_time() + WAIT_TIMEOUT_US;

    while (qtest_readl(v->qts, a) == VNPU_JOB_PENDING) {
        if (g_get_monotonic_time() > end) {
            g_error("timeout: queue %d job %u not completed (HEAD %u TAIL %u"
                    " QCTRL 0x%x)", q, idx, rd(v, VNPU_REG_Q(q) + VNPU_Q_HEAD),
                    rd(v, VNPU_REG_Q(q) + VNPU_Q_TAIL),
                    rd(v, VNPU_REG_Q(q) + VNPU_Q_CTRL));
        }
        g_usleep(200);
    }
    comp_read(v, q, idx, c);
}

/* Poll a 32-bit guest word until it equals @val (bounded). */
static bool wait_word(Vnpu *v, uint64_t addr, uint32_t val, gint64 us)
{
    gint64 end = g_get_monotonic_time() + us;

    while (qtest_readl(v->qts, addr) != val) {
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_usleep(200);
    }
    return true;
}

/* Poll a device register until (reg & mask) == val (bounded). */
static bool wait_reg(Vnpu *v, uint32_t off, uint32_t mask, uint32_t val)
{
    gint64 end = g_get_monotonic_time() + WAIT_TIMEOUT_US;

    while ((rd(v, off) & mask) != val) {
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_usleep(200);
    }
    return true;
}

/*
 * CTRL.RESET only requests the reset: wait for STATUS.READY, which comes
 * back once the engines let go of their jobs.
 */
static void dev_reset(Vnpu *v)
{
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_RESET);
    g_assert_true(wait_reg(v, VNPU_REG_STATUS, VNPU_STATUS_READY,
                           VNPU_STATUS_READY));
}

/* ENGINE_RESET does not wait either: it reads back the engines resetting. */
static void engine_reset(Vnpu *v, uint32_t mask)
{
    wr(v, VNPU_REG_ENGINE_RESET, mask);
    g_assert_true(wait_reg(v, VNPU_REG_ENGINE_RESET, ~0u, 0));
}

/* Command builders */

static void cmd_hdr(Cmds *c, uint16_t op, uint16_t len, uint32_t flags)
{
    g_assert(c->len + len * 8 <= sizeof(c->buf));
    memset(c->buf + c->len, 0, len * 8);
    stw_le_p(c->buf + c->len, op);
    stw_le_p(c->buf + c->len + 2, len);
    stl_le_p(c->buf + c->len + 4, flags);
}

static void cmd_nop(Cmds *c)
{
    cmd_hdr(c, VNPU_OP_NOP, 1, 0);
    c->len += 8;
}

static void cmd_fill(Cmds *c, uint64_t dst, uint64_t size, uint32_t pattern)
{
    cmd_hdr(c, VNPU_OP_FILL, 4, 0);
    stq_le_p(c->buf + c->len + 8, dst);
    stq_le_p(c->buf + c->len + 16, size);
    stl_le_p(c->buf + c->len + 24, pattern);
    c->len += 32;
}

static void cmd_copy(Cmds *c, uint64_t src, uint64_t dst, uint64_t size)
{
    cmd_hdr(c, VNPU_OP_COPY, 4, 0);
    stq_le_p(c->buf + c->len + 8, src);
    stq_le_p(c->buf + c->len + 16, dst);
    stq_le_p(c->buf + c->len + 24, size);
    c->len += 32;
}

static void cmd_ts(Cmds *c, uint64_t dst)
{
    cmd_hdr(c, VNPU_OP_TIMESTAMP, 2, 0);
    stq_le_p(c->buf + c->len + 8, dst);
    c->len += 16;
}

/* Put @c in a new read-only buffer of context @ctx; returns its VA. */
static uint64_t cmds_place(Vnpu *v, int ctx, const Cmds *c)
{
    uint64_t pa, va = map_buf(v, ctx, MAX(c->len, 8), PTE_RO, &pa);

    qtest_memwrite(v->qts, pa, c->buf, c->len);
    return va;
}

/* Run @c as one job on queue @q, context @ctx; wait for the completion. */
static uint32_t run(Vnpu *v, int q, int ctx, const Cmds *c, uint32_t flags,
                    Comp *comp)
{
    uint64_t va = cmds_place(v, ctx, c);
    uint32_t idx = queue_desc(v, q, ctx, va, c->len, flags);
    Comp tmp;

    doorbell(v, q);
    wait_comp(v, q, idx, comp ? comp : &tmp);
    return (comp ? comp : &tmp)->status;
}

static uint64_t counter(Vnpu *v, uint32_t lo)
{
    uint64_t l = rd(v, lo);

    return l | (uint64_t)rd(v, lo + 4) << 32;
}

/* Tests */

static void test_ids(void)
{
    Vnpu *v = vnpu_start(NULL);

    g_assert_cmphex(qpci_config_readw(v->dev, PCI_VENDOR_ID), ==,
                    VNPU_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(v->dev, PCI_DEVICE_ID), ==,
                    VNPU_PCI_DEVICE_ID);
    g_assert_cmphex(qpci_config_readb(v->dev, PCI_REVISION_ID), ==,
                    VNPU_PCI_REVISION);
    g_assert_cmphex(qpci_config_readw(v->dev, PCI_CLASS_DEVICE), ==,
                    VNPU_PCI_CLASS);
    g_assert_cmphex(rd(v, VNPU_REG_ID), ==, VNPU_ID_MAGIC);
    g_assert_cmphex(rd(v, VNPU_REG_VERSION), ==,
                    VNPU_VERSION_MAJOR << 16 | VNPU_VERSION_MINOR);
    g_assert_cmpuint(rd(v, VNPU_REG_CAP_QUEUES), ==, 4);
    g_assert_cmpuint(rd(v, VNPU_REG_CAP_ENGINES), ==, 2);
    g_assert_cmpuint(rd(v, VNPU_REG_CAP_RING_MAX), ==, VNPU_RING_MAX_ENTRIES);
    g_assert_cmphex(rd(v, VNPU_REG_CAP_OPS), ==, (1u << VNPU_OP_COUNT) - 1);
    g_assert_cmphex(rd(v, VNPU_REG_CAP_MMU), ==, VNPU_VA_BITS |
                    VNPU_CAP_MMU_PAGE_4K | VNPU_CAP_MMU_PAGE_2M);
    g_assert_cmpuint(rd(v, VNPU_REG_CAP_CONTEXTS), ==, VNPU_MAX_CONTEXTS);
    g_assert_cmpuint(rd(v, VNPU_REG_DEVMEM_SIZE_LO), ==, 256 * 1024 * 1024);
    g_assert_cmpuint(rd(v, VNPU_REG_DEVMEM_SIZE_HI), ==, 0);
    g_assert_cmpuint(rd(v, VNPU_REG_JOB_SEQ), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_ENGINE_STATUS), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_INJECT_CTRL), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_INJECT_HANG_JOB), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_Q(0) + VNPU_Q_IRQ_MOD), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_STATUS), ==, VNPU_STATUS_READY);
    g_assert_cmphex(rd(v, VNPU_REG_CTRL), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_IRQ_MASK), ==, 0);
    qpci_msix_enable(v->dev);
    g_assert_cmpuint(qpci_msix_table_size(v->dev), ==, VNPU_MSIX_VECTORS(4));
    vnpu_stop(v);
}

static void test_properties(void)
{
    Vnpu *v = vnpu_start(",queues=8,engines=3,ring-max=64");

    g_assert_cmpuint(rd(v, VNPU_REG_CAP_QUEUES), ==, 8);
    g_assert_cmpuint(rd(v, VNPU_REG_CAP_ENGINES), ==, 3);
    g_assert_cmpuint(rd(v, VNPU_REG_CAP_RING_MAX), ==, 64);
    qpci_msix_enable(v->dev);
    g_assert_cmpuint(qpci_msix_table_size(v->dev), ==, VNPU_MSIX_VECTORS(8));
    /* A ring larger than ring-max is refused. */
    ctx_init(v, 1);
    queue_init(v, 7, 64, 0);
    wr(v, VNPU_REG_Q(6) + VNPU_Q_SIZE, 128);
    wr(v, VNPU_REG_Q(6) + VNPU_Q_CTRL, VNPU_QCTRL_ENABLE);
    g_assert_cmphex(rd(v, VNPU_REG_Q(6) + VNPU_Q_CTRL), ==,
                    VNPU_QCTRL_ENABLE | VNPU_QCTRL_ERROR);
    vnpu_stop(v);
}

/* Bad property values make QEMU refuse to start with a message. */
static void test_properties_invalid(void)
{
    static const struct {
        const char *dev, *object, *msg;
    } bad[] = {
        { "queues=0" }, { "queues=9" }, { "engines=0" }, { "engines=9" },
        { "ring-max=3" }, { "ring-max=1" }, { "ring-max=8192" },
        { "devmem-size=3M" }, { "devmem-size=1M" }, { "devmem-size=32G" },
        { "devmem-size=4097" },
        { "inject-hang-job=3,inject-dma-fail-job=3" },
        { "inject-dma-fail-job=2,inject-mmu-fault-job=2" },
        { "inject-hang-job=2000000000" }, { "inject-drop-irq=2000000000" },
        /* A backend of a bad size; a backend used twice. */
        { "memdev=m", "memory-backend-ram,id=m,size=3M" },
        { "memdev=m", "memory-backend-ram,id=m,size=4M",
          "already in use" },
    };
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");

    g_assert(qemu);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *dev = g_strdup_printf("vnpu,%s", bad[i].dev);
        const char *argv[] = {
            qemu, "-M", "q35", "-accel", "qtest", "-display", "none",
            "-nodefaults", "-L", FIRMWARE_DIR, "-bios", "qboot.rom", "-S",
            "-device", dev, NULL, NULL, NULL, NULL, NULL,
        };
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;

        if (bad[i].object) {
            argv[15] = "-object";
            argv[16] = bad[i].object;
        }
        if (bad[i].msg) {
            argv[17] = "-device";
            argv[18] = dev;
        }
        g_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                              NULL, NULL, &out, &err, &status, NULL));
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
        if (!strstr(err, bad[i].msg ? bad[i].msg : "must be")) {
            g_error("%s: unexpected message: %s", bad[i].dev, err);
        }
    }
}

static void test_scratch_and_access(void)
{
    Vnpu *v = vnpu_start(NULL);
    static const uint32_t pats[] = { 0, 0xffffffff, 0xa5a5a5a5, 0x12345678 };

    for (size_t i = 0; i < ARRAY_SIZE(pats); i++) {
        wr(v, VNPU_REG_SCRATCH, pats[i]);
        g_assert_cmphex(rd(v, VNPU_REG_SCRATCH), ==, pats[i]);
    }
    /* Only aligned 32-bit accesses do anything. */
    wr(v, VNPU_REG_SCRATCH, 0x11223344);
    qpci_io_writeb(v->dev, v->bar, VNPU_REG_SCRATCH, 0xff);
    qpci_io_writew(v->dev, v->bar, VNPU_REG_SCRATCH + 2, 0xffff);
    qpci_io_writeq(v->dev, v->bar, VNPU_REG_SCRATCH - 4, ~0ull);
    g_assert_cmphex(rd(v, VNPU_REG_SCRATCH), ==, 0x11223344);
    g_assert_cmphex(qpci_io_readw(v->dev, v->bar, VNPU_REG_ID), ==, 0);
    g_assert_cmphex(qpci_io_readb(v->dev, v->bar, VNPU_REG_ID), ==, 0);
    g_assert_cmphex(qpci_io_readq(v->dev, v->bar, VNPU_REG_ID), ==, 0);
    /* Read-only registers ignore writes. */
    wr(v, VNPU_REG_ID, 0);
    wr(v, VNPU_REG_CAP_QUEUES, 7);
    g_assert_cmphex(rd(v, VNPU_REG_ID), ==, VNPU_ID_MAGIC);
    g_assert_cmpuint(rd(v, VNPU_REG_CAP_QUEUES), ==, 4);
    /* Registers of absent queues read as zero and ignore writes. */
    wr(v, VNPU_REG_Q(5) + VNPU_Q_SIZE, 8);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(5) + VNPU_Q_SIZE), ==, 0);
    wr(v, VNPU_REG_DOORBELL(6), 1);
    vnpu_stop(v);
}

static void test_heartbeat(void)
{
    Vnpu *v = vnpu_start(NULL);
    uint32_t a, b;

    a = rd(v, VNPU_REG_HEARTBEAT);
    qtest_clock_step(v->qts, 5 * 1000 * 1000);
    b = rd(v, VNPU_REG_HEARTBEAT);
    g_assert_cmpuint(b - a, >=, 5);
    vnpu_stop(v);
}

static void test_reset(void)
{
    Vnpu *v = vnpu_setup(NULL, 2);
    Cmds c = { 0 };

    cmd_nop(&c);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    wr(v, VNPU_REG_SCRATCH, 0xdeadbeef);
    wr(v, VNPU_REG_IRQ_MASK, VNPU_IRQ_ERROR | 1);
    wr(v, VNPU_REG_Q(1) + VNPU_Q_CTRL, VNPU_QCTRL_ENABLE | (3 << 4));
    g_assert_cmphex(rd(v, VNPU_REG_STATUS), ==,
                    VNPU_STATUS_READY | VNPU_STATUS_ENABLED);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_HEAD), ==, 1);

    dev_reset(v);
    g_assert_cmphex(rd(v, VNPU_REG_STATUS), ==, VNPU_STATUS_READY);
    g_assert_cmphex(rd(v, VNPU_REG_CTRL), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_SCRATCH), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_IRQ_MASK), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_CTXT_BASE_LO), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_CTXT_SIZE), ==, 0);
    g_assert_cmphex(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 0);
    for (int q = 0; q < 4; q++) {
        for (uint32_t off = 0; off < 0x20; off += 4) {
            g_assert_cmphex(rd(v, VNPU_REG_Q(q) + off), ==, 0);
        }
    }

    /* The device works again after setting it up again. */
    ctx_init(v, 1);
    queue_init(v, 0, 4, 0);
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    vnpu_stop(v);
}

static void test_nop(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    Cmds c = { 0 };
    Comp comp;
    uint32_t idx;
    uint64_t va;

    cmd_nop(&c);
    cmd_nop(&c);
    cmd_nop(&c);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_OK);
    g_assert_cmphex(comp.tag, ==, 0x7a90000000000000ull);
    g_assert_cmpuint(comp.cmd_index, ==, 0);
    g_assert_cmpuint(comp.end_ns, >=, comp.start_ns);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_HEAD), ==, 1);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_TAIL), ==, 1);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 1);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_BYTES_LO), ==, 0);

    /* An empty command buffer is a job that does nothing. */
    va = cmds_place(v, 0, &c);
    idx = queue_desc(v, 0, 0, va, 0, 0);
    doorbell(v, 0);
    wait_comp(v, 0, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 2);
    vnpu_stop(v);
}

/* Jobs on one queue run in order, through several ring wraps. */
static void test_ring_wrap(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t pa, va = map_buf(v, 0, PAGE, PTE_RW, &pa);
    uint32_t first = 0;

    for (int round = 0; round < 5; round++) {
        /* Fill the ring: 8 jobs, each overwrites word 0 and sets word i. */
        for (int i = 0; i < 8; i++) {
            Cmds c = { 0 };
            uint32_t idx;

            cmd_fill(&c, va, 4, round * 100 + i);
            cmd_fill(&c, va + 4 * (i + 1), 4, round * 100 + i);
            idx = queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, 0);
            if (i == 0) {
                first = idx;
            }
        }
        doorbell(v, 0);
        for (int i = 0; i < 8; i++) {
            Comp comp;

            wait_comp(v, 0, first + i, &comp);
            g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
            g_assert_cmphex(comp.tag, ==, 0x7a90000000000000ull | (first + i));
            g_assert_cmpuint(qtest_readl(v->qts, pa + 4 * (i + 1)), ==,
                             round * 100 + i);
        }
        /* The last job of the ring ran last. */
        g_assert_cmpuint(qtest_readl(v->qts, pa), ==, round * 100 + 7);
        g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_HEAD), ==, first + 8);
    }
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 40);
    vnpu_stop(v);
}

static void test_fill(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t pa, va = map_buf(v, 0, 3 * PAGE, PTE_RW, &pa);
    /* Odd start and size, across two page boundaries. */
    uint64_t off = PAGE - 3, size = PAGE + 4099;
    g_autofree uint8_t *buf = g_malloc(3 * PAGE);
    static const uint8_t pat[4] = { 0x44, 0x33, 0x22, 0x11 };
    Cmds c = { 0 };

    qtest_memset(v->qts, pa, 0xee, 3 * PAGE);
    cmd_fill(&c, va + off, size, 0x11223344);
    cmd_fill(&c, va + 1, 2, 0x5a5a5a5a);
    cmd_fill(&c, va + 8, 0, 0x99999999);        /* zero size: no effect */
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    qtest_memread(v->qts, pa, buf, 3 * PAGE);
    for (uint64_t i = 0; i < 3 * PAGE; i++) {
        uint8_t want = 0xee;

        if (i >= off && i < off + size) {
            want = pat[(i - off) % 4];
        } else if (i == 1 || i == 2) {
            want = 0x5a;
        }
        if (buf[i] != want) {
            g_error("byte %" PRIu64 ": 0x%02x, want 0x%02x", i, buf[i], want);
        }
    }
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_BYTES_LO), ==, size + 2);
    vnpu_stop(v);
}

static void test_copy(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t npages = 4, size = 3 * PAGE + 123;
    uint64_t src_pa[4], dst_pa[4];
    uint64_t src = new_va(v, npages * PAGE), dst = new_va(v, npages * PAGE);
    g_autofree uint8_t *in = g_malloc(npages * PAGE);
    g_autofree uint8_t *out = g_malloc(npages * PAGE);
    Cmds c = { 0 };

    /* Scattered physical pages, mapped in reverse order. */
    for (uint64_t i = 0; i < npages; i++) {
        src_pa[i] = alloc_zero(v, PAGE);
        dst_pa[i] = alloc_zero(v, PAGE);
    }
    for (uint64_t i = 0; i < npages; i++) {
        map_page(v, 0, src + i * PAGE, src_pa[npages - 1 - i], PTE_RO);
        map_page(v, 0, dst + i * PAGE, dst_pa[npages - 1 - i], PTE_RW);
    }
    for (uint64_t i = 0; i < npages * PAGE; i++) {
        in[i] = (i * 7 + i / 251) & 0xff;
    }
    for (uint64_t i = 0; i < npages; i++) {
        qtest_memwrite(v->qts, src_pa[npages - 1 - i], in + i * PAGE, PAGE);
    }
    /* Source and destination offsets differ: chunks are unaligned. */
    cmd_copy(&c, src + 5, dst + 77, size);
    cmd_copy(&c, src, dst, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    for (uint64_t i = 0; i < npages; i++) {
        qtest_memread(v->qts, dst_pa[npages - 1 - i], out + i * PAGE, PAGE);
    }
    for (uint64_t i = 0; i < npages * PAGE; i++) {
        uint8_t want = i >= 77 && i < 77 + size ? in[i - 77 + 5] : 0;

        if (out[i] != want) {
            g_error("byte %" PRIu64 ": 0x%02x, want 0x%02x", i, out[i], want);
        }
    }
    vnpu_stop(v);
}

/* 2 MiB pages, in context 1. */
static void test_huge_pages(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t raw = guest_alloc(&v->alloc, 3 * HUGE);
    uint64_t pa = ROUND_UP(raw, HUGE);
    uint64_t va = ROUND_UP(v->next_va, HUGE) + HUGE;
    uint64_t buf_pa, buf = map_buf(v, 1, PAGE, PTE_RW, &buf_pa);
    Cmds c = { 0 };

    map_huge(v, 1, va, pa, PTE_RW);
    qtest_memset(v->qts, pa + HUGE - 8, 0, 16);
    /* Across the end of the huge page into the next (unmapped) one. */
    cmd_fill(&c, va + HUGE - 4, 4, 0xcafef00d);
    cmd_copy(&c, va + HUGE - 4, buf + 100, 4);
    g_assert_cmpuint(run(v, 0, 1, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa + HUGE - 4), ==, 0xcafef00d);
    g_assert_cmphex(qtest_readl(v->qts, buf_pa + 100), ==, 0xcafef00d);

    c.len = 0;
    cmd_fill(&c, va + HUGE - 4, 8, 0);
    g_assert_cmpuint(run(v, 0, 1, &c, 0, NULL), ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==, (uint32_t)(va + HUGE));
    vnpu_stop(v);
}

static void test_timestamp(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t pa, va = map_buf(v, 0, PAGE, PTE_RW, &pa);
    Cmds c = { 0 };
    Comp comp;
    uint64_t ts;

    qtest_clock_step(v->qts, 12345678);
    qtest_writeq(v->qts, pa + 16, ~0ull);
    cmd_ts(&c, va + 16);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_OK);
    ts = qtest_readq(v->qts, pa + 16);
    g_assert_cmpuint(ts, >=, 12345678);
    g_assert_cmpuint(ts, >=, comp.start_ns);
    g_assert_cmpuint(ts, <=, comp.end_ns);

    c.len = 0;
    cmd_ts(&c, va + 20);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_BAD_CMD);
    vnpu_stop(v);
}

typedef struct BadDesc {
    const char *what;
    uint64_t va_delta;
    uint32_t size;
    uint32_t ctx;
    uint32_t flags;
    uint32_t rsvd0;
    uint64_t rsvd2;
    uint32_t status;
} BadDesc;

static void test_bad_desc_ctx(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    Cmds c = { 0 };
    uint64_t va;
    static const BadDesc cases[] = {
        { "unknown flag", 0, 8, 0, 2, 0, 0, VNPU_JOB_BAD_DESC },
        { "high flag", 0, 8, 0, 1u << 31, 0, 0, VNPU_JOB_BAD_DESC },
        { "rsvd0", 0, 8, 0, 0, 1, 0, VNPU_JOB_BAD_DESC },
        { "rsvd[2]", 0, 8, 0, 0, 0, 1, VNPU_JOB_BAD_DESC },
        { "size not x8", 0, 12, 0, 0, 0, 0, VNPU_JOB_BAD_DESC },
        { "size too big", 0, VNPU_CMD_MAX_SIZE + 8, 0, 0, 0, 0,
          VNPU_JOB_BAD_DESC },
        { "va unaligned", 4, 8, 0, 0, 0, 0, VNPU_JOB_BAD_DESC },
        { "ctx >= size", 0, 8, 2, 0, 0, 0, VNPU_JOB_BAD_CTX },
        { "ctx huge", 0, 8, 0xffffffff, 0, 0, 0, VNPU_JOB_BAD_CTX },
        { "ctx invalid", 0, 8, 1, 0, 0, 0, VNPU_JOB_BAD_CTX },
        { "good", 0, 8, 0, VNPU_DESC_F_IRQ, 0, 0, VNPU_JOB_OK },
    };

    cmd_nop(&c);
    va = cmds_place(v, 0, &c);
    /* Context 1 exists but is not valid. */
    qtest_writel(v->qts, v->ctxt + 16 + 8, 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const BadDesc *b = &cases[i];
        uint32_t idx = v->q[0].tail++;
        Comp comp;

        desc_write(v, 0, idx, i, va + b->va_delta, b->size, b->ctx, b->flags,
                   b->rsvd0, b->rsvd2);
        doorbell(v, 0);
        wait_comp(v, 0, idx, &comp);
        if (comp.status != b->status) {
            g_error("%s: status %u, want %u", b->what, comp.status,
                    b->status);
        }
        g_assert_cmphex(comp.tag, ==, i);
        g_assert_cmpuint(comp.cmd_index, ==, 0);
    }
    /* Reserved bits in a valid context entry: BAD_CTX. */
    {
        static const struct {
            uint32_t off, val;
        } bad_ent[] = {
            { 8, VNPU_CTX_VALID | 4 },          /* unknown flag */
            { 12, 1 },                          /* rsvd */
            { 0, 0x800 },                       /* pgd not 4 KiB aligned */
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad_ent); i++) {
            uint64_t e = v->ctxt + 16;
            uint32_t idx;
            Comp comp;

            qtest_writeq(v->qts, e, v->pgd[1]);
            qtest_writel(v->qts, e + 8, VNPU_CTX_VALID);
            qtest_writel(v->qts, e + 12, 0);
            if (bad_ent[i].off == 0) {
                qtest_writeq(v->qts, e, v->pgd[1] | bad_ent[i].val);
            } else {
                qtest_writel(v->qts, e + bad_ent[i].off, bad_ent[i].val);
            }
            idx = queue_desc(v, 0, 1, va, 8, 0);
            doorbell(v, 0);
            wait_comp(v, 0, idx, &comp);
            g_assert_cmpuint(comp.status, ==, VNPU_JOB_BAD_CTX);
        }
    }
    /* Bad jobs do not stop the queue. */
    g_assert_cmphex(rd(v, VNPU_REG_Q(0) + VNPU_Q_CTRL) & VNPU_QCTRL_ERROR,
                    ==, 0);
    vnpu_stop(v);
}

static void test_bad_cmds(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t buf = map_buf(v, 0, 2 * PAGE, PTE_RW, NULL);
    struct {
        const char *what;
        uint32_t status;
    } want[] = {
        { "opcode 4", VNPU_JOB_BAD_OPCODE },
        { "opcode 0xffff", VNPU_JOB_BAD_OPCODE },
        { "nop len 0", VNPU_JOB_BAD_CMD },
        { "nop len 2", VNPU_JOB_BAD_CMD },
        { "nop flags", VNPU_JOB_BAD_CMD },
        { "fill len 3", VNPU_JOB_BAD_CMD },
        { "fill rsvd", VNPU_JOB_BAD_CMD },
        { "fill > XFER_MAX", VNPU_JOB_BAD_CMD },
        { "fill wraps", VNPU_JOB_BAD_CMD },
        { "copy overlap", VNPU_JOB_BAD_CMD },
        { "copy overlap back", VNPU_JOB_BAD_CMD },
        { "copy > XFER_MAX", VNPU_JOB_BAD_CMD },
        { "ts unaligned", VNPU_JOB_BAD_CMD },
        { "cmd past buffer end", VNPU_JOB_BAD_CMD },
    };

    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        Cmds c = { 0 };
        Comp comp;
        size_t at;

        /* Two good commands first: the failing index is 2. */
        cmd_nop(&c);
        cmd_fill(&c, buf, 16, 1);
        at = c.len;
        switch (i) {
        case 0:
            cmd_hdr(&c, VNPU_OP_COUNT, 1, 0);
            c.len += 8;
            break;
        case 1:
            cmd_hdr(&c, 0xffff, 1, 0);
            c.len += 8;
            break;
        case 2:
            cmd_hdr(&c, VNPU_OP_NOP, 0, 0);
            c.len += 8;
            break;
        case 3:
            cmd_hdr(&c, VNPU_OP_NOP, 2, 0);
            c.len += 16;
            break;
        case 4:
            cmd_hdr(&c, VNPU_OP_NOP, 1, 1);
            c.len += 8;
            break;
        case 5:
            cmd_fill(&c, buf, 8, 0);
            stw_le_p(c.buf + at + 2, 3);
            break;
        case 6:
            cmd_fill(&c, buf, 8, 0);
            stl_le_p(c.buf + at + 28, 1);
            break;
        case 7:
            cmd_fill(&c, buf, VNPU_XFER_MAX + 1, 0);
            break;
        case 8:
            cmd_fill(&c, ~0ull - 3, 8, 0);
            break;
        case 9:
            cmd_copy(&c, buf, buf + 100, 101);
            break;
        case 10:
            cmd_copy(&c, buf + 100, buf, 101);
            break;
        case 11:
            cmd_copy(&c, buf, buf + VNPU_XFER_MAX + 8, VNPU_XFER_MAX + 1);
            break;
        case 12:
            cmd_ts(&c, buf + 4);
            break;
        case 13:
            /* A FILL header whose body is not in the buffer. */
            cmd_fill(&c, buf, 8, 0);
            c.len = at + 8;
            break;
        }
        run(v, 0, 0, &c, 0, &comp);
        if (comp.status != want[i].status || comp.cmd_index != 2) {
            g_error("%s: status %u index %u, want %u index 2", want[i].what,
                    comp.status, comp.cmd_index, want[i].status);
        }
    }
    /* Copies that touch but do not overlap are fine. */
    {
        Cmds c = { 0 };

        cmd_copy(&c, buf, buf + 100, 100);
        cmd_copy(&c, buf + 300, buf + 200, 100);
        g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    }
    vnpu_stop(v);
}

static void msix_setup(Vnpu *v, int nvec)
{
    qpci_msix_enable(v->dev);
    for (int i = 0; i < nvec; i++) {
        uint64_t off = v->dev->msix_table_off + i * PCI_MSIX_ENTRY_SIZE;

        v->msix_addr[i] = alloc_zero(v, 4);
        qpci_io_writel(v->dev, v->dev->msix_table_bar,
                       off + PCI_MSIX_ENTRY_LOWER_ADDR, v->msix_addr[i]);
        qpci_io_writel(v->dev, v->dev->msix_table_bar,
                       off + PCI_MSIX_ENTRY_UPPER_ADDR,
                       v->msix_addr[i] >> 32);
        qpci_io_writel(v->dev, v->dev->msix_table_bar,
                       off + PCI_MSIX_ENTRY_DATA, MSIX_DATA(i));
        qpci_io_writel(v->dev, v->dev->msix_table_bar,
                       off + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    }
}

/* Did vector @i fire? Consumes the message. */
static bool msix_fired(Vnpu *v, int i, gint64 us)
{
    bool fired = wait_word(v, v->msix_addr[i], MSIX_DATA(i), us);

    qtest_writel(v->qts, v->msix_addr[i], 0);
    return fired;
}

static void test_faults(void)
{
    Vnpu *v = vnpu_setup(NULL, 2);
    uint64_t ro_pa, ro = map_buf(v, 1, PAGE, PTE_RO, &ro_pa);
    uint64_t rw = map_buf(v, 1, PAGE, PTE_RW, NULL);
    uint64_t unmapped = new_va(v, PAGE);
    uint64_t unused_pa, wo = map_buf(v, 1, PAGE,
                                     VNPU_PTE_VALID | VNPU_PTE_WRITE,
                                     &unused_pa);
    int err = VNPU_MSIX_ERROR_VECTOR(4);
    uint32_t fs;
    Cmds c = { 0 };
    Comp comp;

    msix_setup(v, VNPU_MSIX_VECTORS(4));
    wr(v, VNPU_REG_IRQ_MASK, VNPU_IRQ_ERROR | 0xf);

    /* Write to a read-only page: fault at the first byte of that page. */
    qtest_writel(v->qts, ro_pa, 0x01020304);
    cmd_nop(&c);
    cmd_fill(&c, rw, 16, 7);
    cmd_fill(&c, ro + 8, 4, 0);
    g_assert_cmpuint(run(v, 1, 1, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmpuint(comp.cmd_index, ==, 2);
    g_assert_cmphex(qtest_readl(v->qts, ro_pa), ==, 0x01020304);
    fs = rd(v, VNPU_REG_FAULT_STATUS);
    g_assert_cmphex(fs & VNPU_FAULT_VALID, ==, VNPU_FAULT_VALID);
    g_assert_cmpuint((fs & VNPU_FAULT_ACCESS_MASK) >> 1, ==,
                     VNPU_ACCESS_WRITE);
    g_assert_cmpuint((fs & VNPU_FAULT_QUEUE_MASK) >> 8, ==, 1);
    g_assert_cmpuint((fs & VNPU_FAULT_CTX_MASK) >> 16, ==, 1);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==, (uint32_t)(ro + 8));
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_HI), ==, (ro + 8) >> 32);
    g_assert(wait_reg(v, VNPU_REG_IRQ_STATUS, VNPU_IRQ_ERROR,
                      VNPU_IRQ_ERROR));
    g_assert_true(msix_fired(v, err, WAIT_TIMEOUT_US));
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_FAULTS_LO), ==, 1);

    /* A second fault is counted but does not replace the first. */
    c.len = 0;
    cmd_copy(&c, unmapped + 4, rw, 4);
    g_assert_cmpuint(run(v, 0, 1, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmpuint(comp.cmd_index, ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_STATUS), ==, fs);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==, (uint32_t)(ro + 8));
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_FAULTS_LO), ==, 2);
    g_assert_true(msix_fired(v, err, WAIT_TIMEOUT_US));

    /* After FAULT_ACK the next fault is latched: a read of an unmapped VA. */
    wr(v, VNPU_REG_FAULT_ACK, 1);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_STATUS), ==, 0);
    wr(v, VNPU_REG_IRQ_STATUS, VNPU_IRQ_ERROR);
    g_assert_cmphex(rd(v, VNPU_REG_IRQ_STATUS), ==, 0);
    g_assert_cmpuint(run(v, 0, 1, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    fs = rd(v, VNPU_REG_FAULT_STATUS);
    g_assert_cmpuint((fs & VNPU_FAULT_ACCESS_MASK) >> 1, ==,
                     VNPU_ACCESS_READ);
    g_assert_cmpuint((fs & VNPU_FAULT_QUEUE_MASK) >> 8, ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==,
                    (uint32_t)(unmapped + 4));
    g_assert_true(msix_fired(v, err, WAIT_TIMEOUT_US));

    /* Reading a write-only page faults too. */
    wr(v, VNPU_REG_FAULT_ACK, 1);
    c.len = 0;
    cmd_copy(&c, wo, rw, 4);
    g_assert_cmpuint(run(v, 0, 1, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==, (uint32_t)wo);
    g_assert_true(msix_fired(v, err, WAIT_TIMEOUT_US));

    /* Command fetch from an unmapped VA: an EXEC fault at command 0. */
    wr(v, VNPU_REG_FAULT_ACK, 1);
    {
        uint32_t idx = queue_desc(v, 0, 1, unmapped, 8, 0);

        doorbell(v, 0);
        wait_comp(v, 0, idx, &comp);
    }
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmpuint(comp.cmd_index, ==, 0);
    fs = rd(v, VNPU_REG_FAULT_STATUS);
    g_assert_cmpuint((fs & VNPU_FAULT_ACCESS_MASK) >> 1, ==,
                     VNPU_ACCESS_EXEC);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==, (uint32_t)unmapped);

    /* A VA beyond 48 bits faults. */
    wr(v, VNPU_REG_FAULT_ACK, 1);
    c.len = 0;
    cmd_fill(&c, 1ull << VNPU_VA_BITS, 4, 0);
    g_assert_cmpuint(run(v, 0, 1, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_HI), ==, 1u << 16);

    /* Faults are job errors: the queues keep running. */
    c.len = 0;
    cmd_nop(&c);
    g_assert_cmpuint(run(v, 1, 1, &c, 0, NULL), ==, VNPU_JOB_OK);
    vnpu_stop(v);
}

/* Translations to something that is not RAM are DMA errors. */
static void test_dma_error(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t mmio = new_va(v, 8 * PAGE);
    Cmds c = { 0 };

    /* Our own registers: the engine must never reach MMIO. */
    map_page(v, 0, mmio, v->bar.addr, PTE_RW);
    wr(v, VNPU_REG_SCRATCH, 0x600df00d);
    cmd_fill(&c, mmio + VNPU_REG_SCRATCH, 4, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_DMA_ERROR);
    g_assert_cmphex(rd(v, VNPU_REG_SCRATCH), ==, 0x600df00d);

    /* Unassigned guest-physical space. */
    c.len = 0;
    map_page(v, 0, mmio + 2 * PAGE, 0xfffffffff000ull, PTE_RW);
    cmd_nop(&c);
    cmd_fill(&c, mmio + 2 * PAGE, 4, 0);
    {
        Comp comp;

        g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_DMA_ERROR);
        g_assert_cmpuint(comp.cmd_index, ==, 1);
    }

    /* Device memory beyond DEVMEM_SIZE. */
    c.len = 0;
    map_page(v, 0, mmio + 4 * PAGE, 256 * 1024 * 1024, PTE_RW |
             VNPU_PTE_DEVMEM);
    cmd_fill(&c, mmio + 4 * PAGE, 4, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_DMA_ERROR);

    /* A page table that is not in RAM. */
    c.len = 0;
    qtest_writeq(v->qts, v->pgd[0] + 511 * 8, v->bar.addr | VNPU_PTE_VALID);
    cmd_fill(&c, 511ull << 39, 4, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_DMA_ERROR);

    /* A context table that is not in RAM. */
    wr(v, VNPU_REG_CTXT_BASE_LO, v->bar.addr);
    wr(v, VNPU_REG_CTXT_BASE_HI, v->bar.addr >> 32);
    c.len = 0;
    cmd_nop(&c);
    {
        uint32_t idx = queue_desc(v, 0, 0, VA_BASE, 8, 0);
        Comp comp;

        doorbell(v, 0);
        wait_comp(v, 0, idx, &comp);
        g_assert_cmpuint(comp.status, ==, VNPU_JOB_DMA_ERROR);
    }
    g_assert_cmphex(rd(v, VNPU_REG_SCRATCH), ==, 0x600df00d);
    vnpu_stop(v);
}

static void test_ring_errors(void)
{
    Vnpu *v = vnpu_setup(NULL, 3);
    uint32_t qc = VNPU_REG_Q(0) + VNPU_Q_CTRL;
    Cmds c = { 0 };

    msix_setup(v, VNPU_MSIX_VECTORS(4));
    wr(v, VNPU_REG_IRQ_MASK, VNPU_IRQ_ERROR);

    /* TAIL - HEAD > SIZE stops the queue and raises the error vector. */
    wr(v, VNPU_REG_DOORBELL(0), 9);
    g_assert_cmphex(rd(v, qc), ==, VNPU_QCTRL_ENABLE | VNPU_QCTRL_ERROR);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_TAIL), ==, 9);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_HEAD), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_IRQ_STATUS) & VNPU_IRQ_ERROR, ==,
                    VNPU_IRQ_ERROR);
    g_assert_true(msix_fired(v, VNPU_MSIX_ERROR_VECTOR(4), WAIT_TIMEOUT_US));
    /* ERROR is read-only and sticky. */
    wr(v, qc, VNPU_QCTRL_ENABLE);
    g_assert_cmphex(rd(v, qc), ==, VNPU_QCTRL_ENABLE | VNPU_QCTRL_ERROR);
    /* "Negative" distances are errors too. */
    wr(v, VNPU_REG_DOORBELL(1), 0xffffffff);
    g_assert_cmphex(rd(v, VNPU_REG_Q(1) + VNPU_Q_CTRL) & VNPU_QCTRL_ERROR,
                    ==, VNPU_QCTRL_ERROR);

    /* Exactly SIZE entries is fine. */
    for (int i = 0; i < 8; i++) {
        c.len = 0;
        cmd_nop(&c);
        queue_desc(v, 2, 0, cmds_place(v, 0, &c), c.len, 0);
    }
    doorbell(v, 2);
    for (int i = 0; i < 8; i++) {
        Comp comp;

        wait_comp(v, 2, i, &comp);
        g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    }
    g_assert_cmphex(rd(v, VNPU_REG_Q(2) + VNPU_Q_CTRL), ==,
                    VNPU_QCTRL_ENABLE);

    /* Bad configurations are refused at enable. */
    dev_reset(v);
    ctx_init(v, 1);
    queue_init(v, 0, 8, 0);
    wr(v, VNPU_REG_Q(1) + VNPU_Q_SIZE, 6);
    wr(v, VNPU_REG_Q(1) + VNPU_Q_CTRL, VNPU_QCTRL_ENABLE);
    g_assert_cmphex(rd(v, VNPU_REG_Q(1) + VNPU_Q_CTRL), ==,
                    VNPU_QCTRL_ENABLE | VNPU_QCTRL_ERROR);
    wr(v, VNPU_REG_Q(2) + VNPU_Q_SIZE, 8);
    wr(v, VNPU_REG_Q(2) + VNPU_Q_RING_LO, 0x100020);
    wr(v, VNPU_REG_Q(2) + VNPU_Q_CTRL, VNPU_QCTRL_ENABLE);
    g_assert_cmphex(rd(v, VNPU_REG_Q(2) + VNPU_Q_CTRL), ==,
                    VNPU_QCTRL_ENABLE | VNPU_QCTRL_ERROR);
    wr(v, VNPU_REG_Q(3) + VNPU_Q_SIZE, 1);
    wr(v, VNPU_REG_Q(3) + VNPU_Q_CTRL, VNPU_QCTRL_ENABLE);
    g_assert_cmphex(rd(v, VNPU_REG_Q(3) + VNPU_Q_CTRL), ==,
                    VNPU_QCTRL_ENABLE | VNPU_QCTRL_ERROR);
    /* Ring registers cannot change while the queue is enabled. */
    wr(v, VNPU_REG_Q(0) + VNPU_Q_SIZE, 16);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_SIZE), ==, 8);

    /* A descriptor ring that is not RAM stops the queue. */
    dev_reset(v);
    wr(v, VNPU_REG_IRQ_MASK, VNPU_IRQ_ERROR);
    wr(v, VNPU_REG_Q(0) + VNPU_Q_RING_LO, v->bar.addr);
    wr(v, VNPU_REG_Q(0) + VNPU_Q_COMP_LO, v->q[0].comp);
    wr(v, VNPU_REG_Q(0) + VNPU_Q_SIZE, 8);
    wr(v, VNPU_REG_Q(0) + VNPU_Q_CTRL, VNPU_QCTRL_ENABLE);
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    wr(v, VNPU_REG_DOORBELL(0), 1);
    g_assert(wait_reg(v, qc, VNPU_QCTRL_ERROR, VNPU_QCTRL_ERROR));
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_HEAD), ==, 0);
    g_assert_true(msix_fired(v, VNPU_MSIX_ERROR_VECTOR(4), WAIT_TIMEOUT_US));
    vnpu_stop(v);
}

static void test_irqs(void)
{
    Vnpu *v = vnpu_setup(NULL, 4);
    Cmds c = { 0 };

    msix_setup(v, VNPU_MSIX_VECTORS(4));
    cmd_nop(&c);
    wr(v, VNPU_REG_IRQ_MASK, 0xf | VNPU_IRQ_ERROR);
    for (int q = 0; q < 4; q++) {
        /* With F_IRQ: status bit q and vector q, nothing else. */
        g_assert_cmpuint(run(v, q, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                         VNPU_JOB_OK);
        g_assert(wait_reg(v, VNPU_REG_IRQ_STATUS, ~0u, 1u << q));
        g_assert_true(msix_fired(v, q, WAIT_TIMEOUT_US));
        for (int o = 0; o < 5; o++) {
            g_assert_cmphex(qtest_readl(v->qts, v->msix_addr[o]), ==, 0);
        }
        wr(v, VNPU_REG_IRQ_STATUS, 1u << q);
        g_assert_cmphex(rd(v, VNPU_REG_IRQ_STATUS), ==, 0);
        /* Without F_IRQ: nothing. */
        g_assert_cmpuint(run(v, q, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
        g_assert_false(msix_fired(v, q, 50 * 1000));
        g_assert_cmphex(rd(v, VNPU_REG_IRQ_STATUS), ==, 0);
    }

    /* Masked in IRQ_MASK: status is set but no message... */
    wr(v, VNPU_REG_IRQ_MASK, 0xf & ~(1u << 2));
    g_assert_cmpuint(run(v, 2, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                     VNPU_JOB_OK);
    g_assert(wait_reg(v, VNPU_REG_IRQ_STATUS, ~0u, 1u << 2));
    g_assert_false(msix_fired(v, 2, 100 * 1000));
    /* ...until it is unmasked while pending. */
    wr(v, VNPU_REG_IRQ_MASK, 0xf);
    g_assert_true(msix_fired(v, 2, WAIT_TIMEOUT_US));
    wr(v, VNPU_REG_IRQ_STATUS, ~0u);

    /* A masked MSI-X vector leaves its PBA bit pending. */
    qpci_io_writel(v->dev, v->dev->msix_table_bar, v->dev->msix_table_off +
                   1 * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   PCI_MSIX_ENTRY_CTRL_MASKBIT);
    g_assert_true(qpci_msix_masked(v->dev, 1));
    g_assert_cmpuint(run(v, 1, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                     VNPU_JOB_OK);
    g_assert(wait_reg(v, VNPU_REG_IRQ_STATUS, ~0u, 1u << 1));
    {
        gint64 end = g_get_monotonic_time() + WAIT_TIMEOUT_US;

        while (!qpci_msix_pending(v->dev, 1)) {
            g_assert_cmpint(g_get_monotonic_time(), <, end);
            g_usleep(200);
        }
    }
    g_assert_cmphex(qtest_readl(v->qts, v->msix_addr[1]), ==, 0);
    vnpu_stop(v);
}

/* TLB_INV: a cached translation stays until it is invalidated. */
static void test_tlb_inv(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t pa_a = alloc_zero(v, PAGE), pa_b = alloc_zero(v, PAGE);
    uint64_t va = new_va(v, PAGE);
    uint64_t slot = pte_slot(v, 0, va, 3);
    Cmds c = { 0 };

    map_page(v, 0, va, pa_a, PTE_RW);
    cmd_fill(&c, va, 4, 0xaaaaaaaa);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa_a), ==, 0xaaaaaaaa);

    /* Remap to B without invalidation: the device still uses A. */
    qtest_writeq(v->qts, slot, pa_b | PTE_RW);
    c.len = 0;
    cmd_fill(&c, va, 4, 0xbbbbbbbb);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa_a), ==, 0xbbbbbbbb);
    g_assert_cmphex(qtest_readl(v->qts, pa_b), ==, 0);

    /* Invalidating another context changes nothing... */
    wr(v, VNPU_REG_TLB_INV, 1);
    c.len = 0;
    cmd_fill(&c, va, 4, 0xcccccccc);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa_a), ==, 0xcccccccc);
    g_assert_cmphex(qtest_readl(v->qts, pa_b), ==, 0);

    /* ...invalidating ours makes the new mapping visible. */
    wr(v, VNPU_REG_TLB_INV, 0);
    c.len = 0;
    cmd_fill(&c, va, 4, 0xdddddddd);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa_b), ==, 0xdddddddd);
    g_assert_cmphex(qtest_readl(v->qts, pa_a), ==, 0xcccccccc);

    /* Unmap + invalidate all: the access faults. */
    qtest_writeq(v->qts, slot, 0);
    wr(v, VNPU_REG_TLB_INV, VNPU_TLB_INV_ALL);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_MMU_FAULT);
    vnpu_stop(v);
}

/*
 * The page-walk cache: a COPY over 4 KiB pages of one leaf table whose
 * physical pages are scattered (mapped backwards) moves each one to the
 * right place; a destination page unmapped in the middle (with TLB_INV),
 * then one made read-only, faults at its exact VA after the pages before
 * it were written, and the pages after it are untouched.
 */
static void test_walk_cache(void)
{
    enum { N = 6 };
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t src = new_va(v, N * PAGE), dst = new_va(v, N * PAGE);
    uint64_t spa[N], dpa[N];
    uint8_t buf[PAGE];
    Cmds c = { 0 };
    Comp comp;

    for (int i = 0; i < N; i++) {
        spa[i] = alloc_zero(v, PAGE);
        dpa[i] = alloc_zero(v, PAGE);
    }
    for (int i = 0; i < N; i++) {
        map_page(v, 0, src + i * PAGE, spa[N - 1 - i], PTE_RW);
        map_page(v, 0, dst + i * PAGE, dpa[N - 1 - i], PTE_RW);
        memset(buf, 0x10 + i, PAGE);
        qtest_memwrite(v->qts, spa[N - 1 - i], buf, PAGE);
    }
    cmd_copy(&c, src + 8, dst + 8, N * PAGE - 16);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    for (int i = 0; i < N; i++) {
        qtest_memread(v->qts, dpa[N - 1 - i], buf, PAGE);
        g_assert_cmpuint(buf[0], ==, i == 0 ? 0 : 0x10 + i);
        g_assert_cmpuint(buf[8], ==, 0x10 + i);
        g_assert_cmpuint(buf[PAGE - 9], ==, 0x10 + i);
        g_assert_cmpuint(buf[PAGE - 1], ==, i == N - 1 ? 0 : 0x10 + i);
    }

    /* A hole at destination page 3. */
    for (int i = 0; i < N; i++) {
        qtest_memset(v->qts, dpa[i], 0, PAGE);
    }
    qtest_writeq(v->qts, pte_slot(v, 0, dst + 3 * PAGE, 3), 0);
    wr(v, VNPU_REG_TLB_INV, 0);
    c.len = 0;
    cmd_copy(&c, src, dst, N * PAGE);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==,
                    (uint32_t)(dst + 3 * PAGE));
    g_assert_cmpuint(qtest_readb(v->qts, dpa[N - 1 - 2] + PAGE - 1), ==,
                     0x12);
    g_assert_cmpuint(qtest_readb(v->qts, dpa[N - 1 - 4]), ==, 0);

    /* Page 3 back, page 4 read-only: a write fault at page 4. */
    wr(v, VNPU_REG_FAULT_ACK, 1);
    map_page(v, 0, dst + 3 * PAGE, dpa[N - 1 - 3], PTE_RW);
    map_page(v, 0, dst + 4 * PAGE, dpa[N - 1 - 4], PTE_RO);
    wr(v, VNPU_REG_TLB_INV, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==,
                    (uint32_t)(dst + 4 * PAGE));
    g_assert_cmpuint((rd(v, VNPU_REG_FAULT_STATUS) &
                      VNPU_FAULT_ACCESS_MASK) >> 1, ==, VNPU_ACCESS_WRITE);
    g_assert_cmpuint(qtest_readb(v->qts, dpa[N - 1 - 3] + PAGE - 1), ==,
                     0x13);
    g_assert_cmpuint(qtest_readb(v->qts, dpa[N - 1 - 4]), ==, 0);
    g_assert_cmpuint(qtest_readb(v->qts, dpa[N - 1 - 5]), ==, 0);
    vnpu_stop(v);
}

/* With one engine, the higher-priority queue runs first. */
static void test_priority(void)
{
    Vnpu *v = vnpu_start(",engines=1");
    uint64_t pa, va;
    Cmds lo = { 0 }, hi = { 0 };
    uint32_t il, ih;
    Comp comp;

    ctx_init(v, 1);
    queue_init(v, 0, 8, 1);
    queue_init(v, 1, 8, 9);
    va = map_buf(v, 0, PAGE, PTE_RW, &pa);
    cmd_fill(&lo, va, 4, 0x10101010);
    cmd_fill(&hi, va, 4, 0x90909090);
    il = queue_desc(v, 0, 0, cmds_place(v, 0, &lo), lo.len, 0);
    ih = queue_desc(v, 1, 0, cmds_place(v, 0, &hi), hi.len, 0);
    doorbell(v, 0);
    doorbell(v, 1);
    /* Nothing runs while the device is disabled. */
    g_usleep(50 * 1000);
    comp_read(v, 0, il, &comp);
    g_assert_cmphex(comp.status, ==, VNPU_JOB_PENDING);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_HEAD), ==, 0);

    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    wait_comp(v, 0, il, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    wait_comp(v, 1, ih, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    /* The low-priority job ran last. */
    g_assert_cmphex(qtest_readl(v->qts, pa), ==, 0x10101010);
    vnpu_stop(v);
}

/*
 * Reset while a long job runs: the current command finishes, the rest is
 * abandoned with VNPU_JOB_ABORTED, and the device is back to power-on.
 */
static void test_reset_abort(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t raw = guest_alloc(&v->alloc, 2 * HUGE);
    uint64_t pa = ROUND_UP(raw, HUGE);
    uint64_t va = 1ull << 39;       /* 4 GiB of VA, all on one 2 MiB page */
    uint64_t marker_pa, marker = map_buf(v, 0, PAGE, PTE_RW, &marker_pa);
    uint64_t l2[4];
    Cmds c = { 0 };
    uint32_t idx;
    Comp comp;

    for (int t = 0; t < 4; t++) {
        l2[t] = alloc_zero(v, PAGE);
    }
    {
        uint64_t l1 = alloc_zero(v, PAGE);

        qtest_writeq(v->qts, v->pgd[0] + VNPU_PT_INDEX(va, 0) * 8,
                     l1 | VNPU_PTE_VALID);
        for (int t = 0; t < 4; t++) {
            g_autofree uint64_t *ptes = g_new(uint64_t, 512);

            qtest_writeq(v->qts, l1 + t * 8, l2[t] | VNPU_PTE_VALID);
            for (int i = 0; i < 512; i++) {
                ptes[i] = cpu_to_le64(pa | PTE_RW | VNPU_PTE_HUGE);
            }
            qtest_memwrite(v->qts, l2[t], ptes, PAGE);
        }
    }
    qtest_memset(v->qts, pa, 0, 16);
    /* 30 x 4 GiB: far longer than the test needs to reset it. */
    cmd_fill(&c, marker, 4, 0x11111111);
    for (int i = 0; i < 30; i++) {
        cmd_fill(&c, va, VNPU_XFER_MAX, 0x5a5a5a5a);
    }
    cmd_fill(&c, marker + 4, 4, 0x22222222);
    idx = queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, 0);
    doorbell(v, 0);
    /* Wait until the big FILL runs (its first bytes are written). */
    g_assert_true(wait_word(v, pa, 0x5a5a5a5a, WAIT_TIMEOUT_US));
    dev_reset(v);
    /* READY is back once the job stopped: the completion is there. */
    comp_read(v, 0, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    /* It may stop inside the first big FILL (index 1). */
    g_assert_cmpuint(comp.cmd_index, >=, 1);
    g_assert_cmpuint(comp.cmd_index, <=, 31);
    g_assert_cmphex(qtest_readl(v->qts, marker_pa), ==, 0x11111111);
    g_assert_cmphex(qtest_readl(v->qts, marker_pa + 4), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_STATUS), ==, VNPU_STATUS_READY);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_HEAD), ==, 0);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 0);
    vnpu_stop(v);
}

/* Several queues and engines at once. */
static void test_parallel(void)
{
    Vnpu *v = vnpu_setup(",engines=4", 4);
    uint64_t pa[4], va[4];
    uint32_t n = 6;

    for (int q = 0; q < 4; q++) {
        va[q] = map_buf(v, 0, PAGE, PTE_RW, &pa[q]);
    }
    for (uint32_t i = 0; i < n; i++) {
        for (int q = 0; q < 4; q++) {
            Cmds c = { 0 };

            cmd_fill(&c, va[q] + 4 * i, 4, q * 1000 + i);
            cmd_copy(&c, va[q] + 4 * i, va[q] + 512 + 4 * i, 4);
            queue_desc(v, q, 0, cmds_place(v, 0, &c), c.len, 0);
        }
    }
    for (int q = 0; q < 4; q++) {
        doorbell(v, q);
    }
    for (int q = 0; q < 4; q++) {
        for (uint32_t i = 0; i < n; i++) {
            Comp comp;

            wait_comp(v, q, i, &comp);
            g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
            g_assert_cmpuint(qtest_readl(v->qts, pa[q] + 512 + 4 * i), ==,
                             q * 1000 + i);
        }
    }
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 4 * n);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_BYTES_LO), ==, 4 * n * 8);
    vnpu_stop(v);
}


/*
 * The memory map changes under running jobs, as at a guest's PCI remove and
 * rescan (memory decoding toggles, so every FlatView is rebuilt and the old
 * ones are reclaimed by RCU while engine threads translate): the jobs still
 * copy every byte and QEMU survives.
 */
static void test_map_churn(void)
{
    Vnpu *v = vnpu_setup(",engines=2", 2);
    const uint64_t size = 1024 * 1024;
    uint16_t cmd = qpci_config_readw(v->dev, PCI_COMMAND);
    uint64_t src_pa, dst_pa[2];
    uint64_t src = map_buf(v, 0, size, PTE_RO, &src_pa);
    uint64_t dst[2];
    g_autofree uint8_t *in = g_malloc(size);
    g_autofree uint8_t *out = g_malloc(size);

    for (int q = 0; q < 2; q++) {
        dst[q] = map_buf(v, 0, size, PTE_RW, &dst_pa[q]);
    }
    for (uint64_t i = 0; i < size; i++) {
        in[i] = (i * 13 + i / 509) & 0xff;
    }
    qtest_memwrite(v->qts, src_pa, in, size);
    for (uint32_t round = 0; round < 8; round++) {
        uint32_t idx[2];

        for (int q = 0; q < 2; q++) {
            Cmds c = { 0 };

            qtest_memset(v->qts, dst_pa[q], 0, size);
            /* a few milliseconds of copying: the map changes meanwhile */
            for (int k = 0; k < 16; k++) {
                cmd_copy(&c, src, dst[q], size);
            }
            idx[q] = queue_desc(v, q, 0, cmds_place(v, 0, &c), c.len, 0);
            doorbell(v, q);
        }
        for (int k = 0; k < 64; k++) {
            qpci_config_writew(v->dev, PCI_COMMAND,
                               cmd & ~PCI_COMMAND_MEMORY);
            qpci_config_writew(v->dev, PCI_COMMAND, cmd);
        }
        for (int q = 0; q < 2; q++) {
            Comp comp;

            wait_comp(v, q, idx[q], &comp);
            g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
            qtest_memread(v->qts, dst_pa[q], out, size);
            g_assert(memcmp(in, out, size) == 0);
        }
    }
    vnpu_stop(v);
}

/* Malformed page-table entries are MMU faults, never a hang or a crash. */
static void test_bad_ptes(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t buf_pa, buf = map_buf(v, 0, PAGE, PTE_RW, &buf_pa);
    uint64_t l1 = alloc_zero(v, PAGE), l2 = alloc_zero(v, PAGE);
    uint64_t raw = guest_alloc(&v->alloc, 2 * HUGE);
    uint64_t hpa = ROUND_UP(raw, HUGE);
    uint64_t va;
    Cmds c = { 0 };
    Comp comp;

    /* HUGE at level 0 (a 512 GiB page) and level 1 (1 GiB). */
    va = 3ull << 39;
    qtest_writeq(v->qts, v->pgd[0] + 3 * 8, hpa | PTE_RW | VNPU_PTE_HUGE);
    cmd_fill(&c, va, 4, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    va = 4ull << 39;
    qtest_writeq(v->qts, v->pgd[0] + 4 * 8, l1 | VNPU_PTE_VALID);
    qtest_writeq(v->qts, l1, hpa | PTE_RW | VNPU_PTE_HUGE);
    c.len = 0;
    cmd_fill(&c, va, 4, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    /* A 2 MiB leaf that is not 2 MiB aligned. */
    qtest_writeq(v->qts, l1, l2 | VNPU_PTE_VALID);
    qtest_writeq(v->qts, l2, (hpa + PAGE) | PTE_RW | VNPU_PTE_HUGE);
    c.len = 0;
    cmd_fill(&c, va, 4, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_MMU_FAULT);
    /* The first of these faults is the one latched. */
    g_assert_cmpuint(rd(v, VNPU_REG_FAULT_VA_HI), ==, (3ull << 39) >> 32);
    /* A table that points to itself: the walk still ends (4 levels). */
    qtest_writeq(v->qts, v->pgd[0] + 5 * 8, v->pgd[0] | VNPU_PTE_VALID);
    c.len = 0;
    cmd_fill(&c, 5ull << 39, 4, 0);
    run(v, 0, 0, &c, 0, &comp);
    g_assert_cmpuint(comp.status, !=, VNPU_JOB_PENDING);
    /* The device still works. */
    c.len = 0;
    cmd_fill(&c, buf, 4, 0x600d600d);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, buf_pa), ==, 0x600d600d);
    vnpu_stop(v);
}

/* Device memory (BAR2) */

static void test_devmem(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t size = 256ull << 20;
    QPCIBar bar2;
    uint64_t dm = new_va(v, 5 * PAGE), hb_pa, hb = map_buf(v, 0, PAGE,
                                                           PTE_RW, &hb_pa);
    uint64_t hdm = ROUND_UP(v->next_va, HUGE) + HUGE;
    uint8_t buf[64];
    Cmds c = { 0 };
    Comp comp;

    bar2 = qpci_iomap(v->dev, VNPU_BAR_DEVMEM, &size);
    g_assert_cmpuint(size, ==, 256ull << 20);
    /* The host side writes device memory directly. */
    for (int i = 0; i < 64; i++) {
        buf[i] = i * 3 + 1;
    }
    qpci_memwrite(v->dev, bar2, 3 * PAGE + 8, buf, sizeof(buf));

    /* 4 KiB pages at device-memory offsets 0x2000.., mapped RW. */
    for (int i = 0; i < 4; i++) {
        map_page(v, 0, dm + i * PAGE, (2 + i) * PAGE,
                 PTE_RW | VNPU_PTE_DEVMEM);
    }
    cmd_fill(&c, dm + 16, 8, 0xa1b2c3d4);            /* devmem offset 0x2010 */
    cmd_copy(&c, dm + PAGE + 8, hb, 64);              /* devmem -> host */
    cmd_copy(&c, hb, dm + 2 * PAGE + 100, 64);        /* host -> devmem */
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_OK);
    g_assert_cmphex(qpci_io_readl(v->dev, bar2, 2 * PAGE + 16), ==,
                    0xa1b2c3d4);
    g_assert_cmphex(qpci_io_readl(v->dev, bar2, 2 * PAGE + 20), ==,
                    0xa1b2c3d4);
    g_assert_cmphex(qpci_io_readl(v->dev, bar2, 2 * PAGE + 12), ==, 0);
    {
        uint8_t out[64];

        qtest_memread(v->qts, hb_pa, out, sizeof(out));
        g_assert_cmpmem(out, sizeof(out), buf, sizeof(buf));
        qpci_memread(v->dev, bar2, 4 * PAGE + 100, out, sizeof(out));
        g_assert_cmpmem(out, sizeof(out), buf, sizeof(buf));
    }

    /* A 2 MiB page of device memory, at the last 2 MiB of BAR2. */
    map_huge(v, 0, hdm, size - HUGE, PTE_RW | VNPU_PTE_DEVMEM);
    c.len = 0;
    cmd_fill(&c, hdm + HUGE - 4, 4, 0x0badcafe);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(qpci_io_readl(v->dev, bar2, size - 4), ==, 0x0badcafe);

    /* Pages at or past the end of BAR2 are DMA errors. */
    map_huge(v, 0, hdm + HUGE, size, PTE_RW | VNPU_PTE_DEVMEM);
    c.len = 0;
    cmd_fill(&c, hdm + HUGE, 4, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_DMA_ERROR);
    g_assert_cmpuint(comp.cmd_index, ==, 0);
    map_page(v, 0, dm + 4 * PAGE, VNPU_PTE_ADDR_MASK, PTE_RW |
             VNPU_PTE_DEVMEM);
    c.len = 0;
    cmd_nop(&c);
    cmd_copy(&c, dm + 4 * PAGE, hb, 4);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_DMA_ERROR);
    g_assert_cmpuint(comp.cmd_index, ==, 1);
    /* Device memory obeys the page's permissions. */
    map_page(v, 0, dm + 3 * PAGE, 5 * PAGE, PTE_RO | VNPU_PTE_DEVMEM);
    c.len = 0;
    cmd_fill(&c, dm + 3 * PAGE, 4, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==, (uint32_t)(dm + 3 * PAGE));
    vnpu_stop(v);
}

/* devmem-size=0: no BAR2, DEVMEM_SIZE 0, DEVMEM mappings are DMA errors. */
static void test_devmem_absent(void)
{
    Vnpu *v = vnpu_setup(",devmem-size=0", 1);
    uint64_t va = new_va(v, PAGE);
    Cmds c = { 0 };

    g_assert_cmpuint(rd(v, VNPU_REG_DEVMEM_SIZE_LO), ==, 0);
    g_assert_cmphex(qpci_config_readl(v->dev, PCI_BASE_ADDRESS_2), ==, 0);
    map_page(v, 0, va, 0, PTE_RW | VNPU_PTE_DEVMEM);
    cmd_fill(&c, va, 4, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_DMA_ERROR);
    vnpu_stop(v);

    v = vnpu_start(",devmem-size=2M");
    g_assert_cmpuint(rd(v, VNPU_REG_DEVMEM_SIZE_LO), ==, 2 * 1024 * 1024);
    vnpu_stop(v);
}

static int64_t view_maps(Vnpu *v);
static void cmd_put(Cmds *c, uint16_t op, void *cmd, size_t size);

/*
 * Device memory from a shared host memory backend: another host process
 * can map it and sees what the device wrote (and the other way round).
 */
static void test_devmem_memdev(void)
{
    g_autofree char *path = g_strdup_printf("/dev/shm/vnpu-test-dm-%d",
                                            getpid());
    g_autofree char *extra = g_strdup_printf(
        "-object memory-backend-file,id=dm,size=4M,share=on,mem-path=%s",
        path);
    Vnpu *v = g_new0(Vnpu, 1);
    uint64_t dm, hb_pa, hb;
    uint32_t *host;
    Cmds c = { 0 };
    int fd;

    v->qts = vnpu_qemu(",memdev=dm,host-views=on,id=npu", extra);
    pc_alloc_init(&v->alloc, v->qts, ALLOC_NO_FLAGS);
    vnpu_attach(v);
    v->next_va = VA_BASE;
    ctx_init(v, 1);
    queue_init(v, 0, 8, 0);
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    g_assert_cmpuint(rd(v, VNPU_REG_DEVMEM_SIZE_LO), ==, 4 * 1024 * 1024);

    fd = open(path, O_RDWR);
    g_assert_cmpint(fd, >=, 0);
    host = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    g_assert(host != MAP_FAILED);
    close(fd);

    dm = new_va(v, PAGE);
    map_page(v, 0, dm, 3 * PAGE, PTE_RW | VNPU_PTE_DEVMEM);
    hb = map_buf(v, 0, PAGE, PTE_RW, &hb_pa);
    host[3 * PAGE / 4 + 1] = 0x0abcdef0;            /* host -> device */
    cmd_fill(&c, dm, 4, 0x13579bdf);                /* device -> host */
    cmd_copy(&c, dm + 4, hb, 4);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(host[3 * PAGE / 4], ==, 0x13579bdf);
    g_assert_cmphex(qtest_readl(v->qts, hb_pa), ==, 0x0abcdef0);

    /*
     * With host-views, a 2-page tensor in device memory mapped in reverse
     * order is one view mapping (the backend is a shared file).
     */
    {
        struct vnpu_cmd_copy_nd cp = { 0 };
        uint64_t src = new_va(v, 2 * PAGE), dpa, dst;
        int64_t before = view_maps(v);

        map_page(v, 0, src, 9 * PAGE, PTE_RW | VNPU_PTE_DEVMEM);
        map_page(v, 0, src + PAGE, 8 * PAGE, PTE_RW | VNPU_PTE_DEVMEM);
        dst = map_buf(v, 0, 2 * PAGE, PTE_RW, &dpa);
        for (int i = 0; i < 1024; i++) {
            host[9 * PAGE / 4 + i] = i;
            host[8 * PAGE / 4 + i] = 1024 + i;
        }
        cp.src.va = src;
        cp.dst.va = dst;
        cp.src.dtype = cp.dst.dtype = VNPU_DT_I32;
        cp.src.rank = cp.dst.rank = 1;
        cp.src.shape[0] = cp.dst.shape[0] = 2048;
        cp.src.stride[0] = cp.dst.stride[0] = 1;
        c.len = 0;
        cmd_put(&c, VNPU_OP_COPY_ND, &cp, sizeof(cp));
        g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
        for (int i = 0; i < 2048; i += 511) {
            g_assert_cmpuint(qtest_readl(v->qts, dpa + 4 * i), ==, i);
        }
        /*
         * The two device-memory pages; guest RAM is not a shared backend
         * here, so the destination takes the page-by-page path.
         */
        g_assert_cmpint(view_maps(v), ==, before + 2);
    }
    munmap(host, 4 << 20);
    vnpu_stop(v);
    unlink(path);
}

/* MMU: a context with VNPU_CTX_EXEC fetches commands only from X pages. */
static void test_exec_perm(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t pa, va = map_buf(v, 1, PAGE, PTE_RW, &pa);
    uint64_t xpa, xva = map_buf(v, 1, PAGE, PTE_RO | VNPU_PTE_EXEC, &xpa);
    Cmds c = { 0 };
    Comp comp;
    uint32_t idx, fs;

    cmd_fill(&c, va, 4, 0x5eed5eed);
    qtest_memwrite(v->qts, pa + 64, c.buf, c.len);
    qtest_memwrite(v->qts, xpa, c.buf, c.len);
    /* Without the flag READ is enough (the driver's mappings). */
    idx = queue_desc(v, 0, 1, va + 64, c.len, 0);
    doorbell(v, 0);
    wait_comp(v, 0, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);

    qtest_writel(v->qts, v->ctxt + 16 + 8, VNPU_CTX_VALID | VNPU_CTX_EXEC);
    idx = queue_desc(v, 0, 1, va + 64, c.len, 0);
    doorbell(v, 0);
    wait_comp(v, 0, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_MMU_FAULT);
    fs = rd(v, VNPU_REG_FAULT_STATUS);
    g_assert_cmpuint((fs & VNPU_FAULT_ACCESS_MASK) >> 1, ==, VNPU_ACCESS_EXEC);
    g_assert_cmpuint((fs & VNPU_FAULT_CTX_MASK) >> 16, ==, 1);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==, (uint32_t)(va + 64));
    wr(v, VNPU_REG_FAULT_ACK, 1);

    qtest_writel(v->qts, pa, 0);
    idx = queue_desc(v, 0, 1, xva, c.len, 0);
    doorbell(v, 0);
    wait_comp(v, 0, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa), ==, 0x5eed5eed);
    vnpu_stop(v);
}

/*
 * Map 1 GiB of VA at @va (a level-1 slot) onto one 2 MiB page at @pa: a
 * FILL over it is long without needing guest RAM.
 */
static void map_alias_1g(Vnpu *v, int ctx, uint64_t va, uint64_t pa)
{
    uint64_t l2 = alloc_zero(v, PAGE);
    g_autofree uint64_t *ptes = g_new(uint64_t, 512);

    g_assert_cmphex(va & ((1ull << 30) - 1), ==, 0);
    for (int i = 0; i < 512; i++) {
        ptes[i] = cpu_to_le64(pa | PTE_RW | VNPU_PTE_HUGE);
    }
    qtest_memwrite(v->qts, l2, ptes, PAGE);
    qtest_writeq(v->qts, pte_slot(v, ctx, va, 1), l2 | VNPU_PTE_VALID);
}

/* Wait for a completion, stepping the device clock while we wait. */
static void wait_comp_stepping(Vnpu *v, int q, uint32_t idx, Comp *c)
{
    uint64_t a = v->q[q].comp + (idx % v->q[q].size) * 32 + 8;
    gint64 end = g_get_monotonic_time() + 6 * WAIT_TIMEOUT_US;

    while (qtest_readl(v->qts, a) == VNPU_JOB_PENDING) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        qtest_clock_step(v->qts, 100 * 1000);
        g_usleep(500);
    }
    comp_read(v, q, idx, c);
}

/*
 * Jobs of two queues run at the same time on two engines: their
 * [start_ns, end_ns] intervals overlap. With one engine they cannot.
 */
static void test_engines_overlap(void)
{
    for (int engines = 2; engines >= 1; engines--) {
        g_autofree char *props = g_strdup_printf(",engines=%d", engines);
        Vnpu *v = vnpu_setup(props, 2);
        Comp a, b;
        uint32_t ia, ib;

        for (int q = 0; q < 2; q++) {
            uint64_t raw = guest_alloc(&v->alloc, 2 * HUGE);
            uint64_t va = (2ull + q) << 30;
            Cmds c = { 0 };

            map_alias_1g(v, 0, va, ROUND_UP(raw, HUGE));
            cmd_fill(&c, va, 1ull << 30, 0x11111111 * (q + 1));
            queue_desc(v, q, 0, cmds_place(v, 0, &c), c.len, 0);
        }
        ia = v->q[0].tail - 1;
        ib = v->q[1].tail - 1;
        doorbell(v, 0);
        doorbell(v, 1);
        wait_comp_stepping(v, 0, ia, &a);
        wait_comp_stepping(v, 1, ib, &b);
        g_assert_cmpuint(a.status, ==, VNPU_JOB_OK);
        g_assert_cmpuint(b.status, ==, VNPU_JOB_OK);
        g_test_message("engines=%d: A [%" PRIu64 ", %" PRIu64 "] B [%" PRIu64
                       ", %" PRIu64 "]", engines, a.start_ns, a.end_ns,
                       b.start_ns, b.end_ns);
        if (engines == 2) {
            g_assert_cmpuint(a.start_ns, <, b.end_ns);
            g_assert_cmpuint(b.start_ns, <, a.end_ns);
        } else {
            g_assert_true(a.end_ns <= b.start_ns || b.end_ns <= a.start_ns);
        }
        vnpu_stop(v);
    }
}

/* Interrupt moderation: COUNT coalesces, an empty queue flushes. */
static void test_irq_moderation(void)
{
    Vnpu *v = vnpu_setup(",engines=1", 2);
    uint32_t irqc = VNPU_REG_Q(0) + VNPU_Q_IRQ_COUNT;
    Cmds c = { 0 };
    Comp comp;

    msix_setup(v, VNPU_MSIX_VECTORS(4));
    wr(v, VNPU_REG_IRQ_MASK, 0xf | VNPU_IRQ_ERROR);
    cmd_nop(&c);

    /* Default: one interrupt per F_IRQ completion. */
    g_assert_cmpuint(run(v, 0, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                     VNPU_JOB_OK);
    g_assert(wait_reg(v, irqc, ~0u, 1));
    g_assert_true(msix_fired(v, 0, WAIT_TIMEOUT_US));
    wr(v, VNPU_REG_IRQ_STATUS, ~0u);

    /* COUNT 3: 8 jobs in one doorbell interrupt after 3, 6 and 8 (empty). */
    wr(v, VNPU_REG_Q(0) + VNPU_Q_IRQ_MOD, 3);
    g_assert_cmphex(rd(v, VNPU_REG_Q(0) + VNPU_Q_IRQ_MOD), ==, 3);
    wr(v, VNPU_REG_CTRL, 0);
    for (int i = 0; i < 8; i++) {
        /* Job 4 does not ask: it is not counted. */
        queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len,
                   i == 4 ? 0 : VNPU_DESC_F_IRQ);
    }
    doorbell(v, 0);
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    wait_comp(v, 0, v->q[0].tail - 1, &comp);
    g_assert(wait_reg(v, VNPU_REG_Q(0) + VNPU_Q_HEAD, ~0u, v->q[0].tail));
    g_assert(wait_reg(v, irqc, ~0u, 1 + 3));
    g_usleep(20 * 1000);
    g_assert_cmpuint(rd(v, irqc), ==, 4);
    g_assert_true(msix_fired(v, 0, WAIT_TIMEOUT_US));
    wr(v, VNPU_REG_IRQ_STATUS, ~0u);

    /*
     * TIME: COUNT 100, 500 us. Job 1 hangs (injection), so the queue does
     * not empty: job 0's interrupt waits for the timer.
     */
    wr(v, VNPU_REG_Q(0) + VNPU_Q_IRQ_MOD, 100 | 500 << 16);
    wr(v, VNPU_REG_INJECT_CTRL, VNPU_INJECT_HANG_FLAG);
    queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, VNPU_DESC_F_IRQ);
    queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len,
               VNPU_DESC_F_IRQ | VNPU_DESC_F_INJECT_HANG);
    doorbell(v, 0);
    wait_comp(v, 0, v->q[0].tail - 2, &comp);
    g_assert(wait_reg(v, VNPU_REG_ENGINE_STATUS, VNPU_ENGINE_HUNG(0),
                      VNPU_ENGINE_HUNG(0)));
    g_assert_cmpuint(rd(v, irqc), ==, 4);
    g_assert_cmphex(rd(v, VNPU_REG_IRQ_STATUS), ==, 0);
    qtest_clock_step(v->qts, 400 * 1000);
    g_assert_cmpuint(rd(v, irqc), ==, 4);
    qtest_clock_step(v->qts, 200 * 1000);
    g_assert_cmpuint(rd(v, irqc), ==, 5);
    g_assert_cmphex(rd(v, VNPU_REG_IRQ_STATUS), ==, 1);
    g_assert_true(msix_fired(v, 0, WAIT_TIMEOUT_US));
    wr(v, VNPU_REG_IRQ_STATUS, ~0u);

    /* Engine reset: the hung job ends ABORTED, the queue empties. */
    engine_reset(v, 1);
    comp_read(v, 0, v->q[0].tail - 1, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    g_assert_cmphex(rd(v, VNPU_REG_ENGINE_STATUS), ==, 0);
    g_assert(wait_reg(v, irqc, ~0u, 6));

    /* Lowering COUNT to what is pending flushes at once. */
    wr(v, VNPU_REG_Q(1) + VNPU_Q_IRQ_MOD, 100);
    queue_desc(v, 1, 0, cmds_place(v, 0, &c), c.len, VNPU_DESC_F_IRQ);
    queue_desc(v, 1, 0, cmds_place(v, 0, &c), c.len,
               VNPU_DESC_F_IRQ | VNPU_DESC_F_INJECT_HANG);
    doorbell(v, 1);
    wait_comp(v, 1, 0, &comp);
    g_assert(wait_reg(v, VNPU_REG_ENGINE_STATUS, VNPU_ENGINE_HUNG(0),
                      VNPU_ENGINE_HUNG(0)));
    g_assert_cmpuint(rd(v, VNPU_REG_Q(1) + VNPU_Q_IRQ_COUNT), ==, 0);
    wr(v, VNPU_REG_Q(1) + VNPU_Q_IRQ_MOD, 1);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(1) + VNPU_Q_IRQ_COUNT), ==, 1);
    g_assert_true(msix_fired(v, 1, WAIT_TIMEOUT_US));
    /* A device reset also releases a hung engine. */
    dev_reset(v);
    comp_read(v, 1, 1, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    g_assert_cmphex(rd(v, VNPU_REG_ENGINE_STATUS), ==, 0);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(1) + VNPU_Q_IRQ_COUNT), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_Q(1) + VNPU_Q_IRQ_MOD), ==, 0);

    /* Disabling a queue signals its pending completions. */
    ctx_init(v, 1);
    queue_init(v, 0, 8, 0);
    v->q[0].tail = 0;
    wr(v, VNPU_REG_IRQ_MASK, 1);
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    wr(v, VNPU_REG_Q(0) + VNPU_Q_IRQ_MOD, 100);
    queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, VNPU_DESC_F_IRQ);
    queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len,
               VNPU_DESC_F_IRQ | VNPU_DESC_F_INJECT_HANG);
    doorbell(v, 0);
    wait_comp(v, 0, 0, &comp);
    g_assert(wait_reg(v, VNPU_REG_ENGINE_STATUS, VNPU_ENGINE_HUNG(0),
                      VNPU_ENGINE_HUNG(0)));
    g_assert_cmpuint(rd(v, irqc), ==, 0);
    wr(v, VNPU_REG_Q(0) + VNPU_Q_CTRL, 0);
    g_assert_cmpuint(rd(v, irqc), ==, 1);
    g_assert_true(msix_fired(v, 0, WAIT_TIMEOUT_US));
    engine_reset(v, 1);
    vnpu_stop(v);
}

/* Fault injection: hang on job N (property and register). */
static void test_inject_hang(void)
{
    Vnpu *v = vnpu_setup(",inject-hang-job=2", 2);
    Cmds c = { 0 };
    Comp comp;

    cmd_nop(&c);
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_HANG_JOB), ==, 2);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmpuint(rd(v, VNPU_REG_JOB_SEQ), ==, 1);
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_HANG_JOB), ==, 1);
    queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, 0);
    doorbell(v, 0);
    g_assert(wait_reg(v, VNPU_REG_ENGINE_STATUS, 0x30000, 0x10000) ||
             wait_reg(v, VNPU_REG_ENGINE_STATUS, 0x30000, 0x20000));
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_HANG_JOB), ==, 0);
    /* The other engine still serves the other queue... */
    g_assert_cmpuint(run(v, 1, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    /* ...but the hung queue does not move. */
    g_usleep(50 * 1000);
    comp_read(v, 0, 1, &comp);
    g_assert_cmphex(comp.status, ==, VNPU_JOB_PENDING);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_HEAD), ==, 1);
    /* Heartbeat goes on: the device is alive, the engine is not. */
    {
        uint32_t hb = rd(v, VNPU_REG_HEARTBEAT);

        qtest_clock_step(v->qts, 3 * 1000 * 1000);
        g_assert_cmpuint(rd(v, VNPU_REG_HEARTBEAT) - hb, >=, 3);
    }
    /* A reset ends it (ABORTED); the injection does not fire again. */
    dev_reset(v);
    comp_read(v, 0, 1, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    g_assert_cmphex(rd(v, VNPU_REG_ENGINE_STATUS), ==, 0);
    g_assert_cmpuint(rd(v, VNPU_REG_JOB_SEQ), ==, 3);
    ctx_init(v, 1);
    queue_init(v, 0, 8, 0);
    v->q[0].tail = 0;
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);

    /* Register: the 2nd job from now; ENGINE_RESET lets the queue go on. */
    wr(v, VNPU_REG_INJECT_HANG_JOB, 2);
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_HANG_JOB), ==, 2);
    for (int i = 0; i < 3; i++) {
        queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, 0);
    }
    doorbell(v, 0);
    wait_comp(v, 0, 1, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    g_assert(wait_reg(v, VNPU_REG_ENGINE_STATUS, 0x30000, 0x10000) ||
             wait_reg(v, VNPU_REG_ENGINE_STATUS, 0x30000, 0x20000));
    engine_reset(v, (rd(v, VNPU_REG_ENGINE_STATUS) >> 16) & 3);
    comp_read(v, 0, 2, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    wait_comp(v, 0, 3, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    /* Disarm: writing 0. */
    wr(v, VNPU_REG_INJECT_HANG_JOB, 1);
    wr(v, VNPU_REG_INJECT_HANG_JOB, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    /* Resetting an idle engine, or an absent one, is harmless. */
    engine_reset(v, 0xff);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    vnpu_stop(v);
}

/* A running (not hung) job is aborted by ENGINE_RESET after its command. */
static void test_engine_reset_running(void)
{
    Vnpu *v = vnpu_setup(",engines=1", 1);
    uint64_t raw = guest_alloc(&v->alloc, 2 * HUGE);
    uint64_t pa = ROUND_UP(raw, HUGE), va = 2ull << 30;
    uint64_t mpa, marker = map_buf(v, 0, PAGE, PTE_RW, &mpa);
    Cmds c = { 0 };
    Comp comp;

    map_alias_1g(v, 0, va, pa);
    qtest_memset(v->qts, pa, 0, 16);
    for (int i = 0; i < 30; i++) {
        cmd_fill(&c, va, 1ull << 30, 0x77777777);
    }
    cmd_fill(&c, marker, 4, 0x12345678);
    queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, 0);
    c.len = 0;
    cmd_fill(&c, marker + 4, 4, 0x9abcdef0);
    queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, 0);
    doorbell(v, 0);
    g_assert_true(wait_word(v, pa, 0x77777777, WAIT_TIMEOUT_US));
    g_assert_cmphex(rd(v, VNPU_REG_ENGINE_STATUS), ==, VNPU_ENGINE_BUSY(0));
    engine_reset(v, 1);
    comp_read(v, 0, 0, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    g_assert_cmpuint(comp.cmd_index, <, 30);
    g_assert_cmphex(qtest_readl(v->qts, mpa), ==, 0);
    /* The queue goes on with the next job; registers are untouched. */
    wait_comp(v, 0, 1, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, mpa + 4), ==, 0x9abcdef0);
    g_assert_cmphex(rd(v, VNPU_REG_CTRL), ==, VNPU_CTRL_ENABLE);
    vnpu_stop(v);
}

/*
 * Resets during a long FILL (30 x 4 GiB onto one 2 MiB page): the engine
 * polls for the abort every MiB inside a FILL, so the resets do not wait
 * for a command to end. ENGINE_RESET keeps the counters: the bytes the job
 * moved are not a whole number of FILLs, so it stopped inside one. Then
 * CTRL.RESET of the same kind of job: the write only requests the reset,
 * READY comes back, the job ends ABORTED and the device works again.
 */
static void test_reset_mid_fill(void)
{
    Vnpu *v = vnpu_setup(",engines=1", 1);
    uint64_t raw = guest_alloc(&v->alloc, 2 * HUGE);
    uint64_t pa = ROUND_UP(raw, HUGE), va = 2ull << 30;
    uint64_t mpa, marker = map_buf(v, 0, PAGE, PTE_RW, &mpa);
    uint64_t bytes;
    Cmds c = { 0 }, nop = { 0 };
    uint32_t idx;
    Comp comp;

    map_alias_1g(v, 0, va, pa);
    map_alias_1g(v, 0, va + (1ull << 30), pa);
    map_alias_1g(v, 0, va + (2ull << 30), pa);
    map_alias_1g(v, 0, va + (3ull << 30), pa);
    for (int i = 0; i < 30; i++) {
        cmd_fill(&c, va, VNPU_XFER_MAX, 0x66666666);
    }
    cmd_fill(&c, marker, 4, 0x12345678);
    cmd_nop(&nop);
    g_assert_cmphex(rd(v, VNPU_REG_ENGINE_RESET), ==, 0);

    /* Engine reset. */
    qtest_memset(v->qts, pa, 0, 16);
    idx = queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, 0);
    doorbell(v, 0);
    g_assert_true(wait_word(v, pa, 0x66666666, WAIT_TIMEOUT_US));
    engine_reset(v, 1);
    comp_read(v, 0, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    g_assert_cmpuint(comp.cmd_index, <, 30);
    g_assert_cmphex(qtest_readl(v->qts, mpa), ==, 0);
    bytes = counter(v, VNPU_REG_CNT_BYTES_LO);
    g_assert_cmpuint(bytes, >, 0);
    g_assert_cmpuint(bytes % VNPU_XFER_MAX, !=, 0);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 1);
    g_assert_cmpuint(run(v, 0, 0, &nop, 0, NULL), ==, VNPU_JOB_OK);

    /* Device reset. */
    qtest_memset(v->qts, pa, 0, 16);
    idx = queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, 0);
    doorbell(v, 0);
    g_assert_true(wait_word(v, pa, 0x66666666, WAIT_TIMEOUT_US));
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_RESET);
    g_assert_true(wait_reg(v, VNPU_REG_STATUS, VNPU_STATUS_READY,
                           VNPU_STATUS_READY));
    comp_read(v, 0, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    g_assert_cmpuint(comp.cmd_index, <, 30);
    g_assert_cmphex(qtest_readl(v->qts, mpa), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_ENGINE_STATUS), ==, 0);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 0);
    ctx_init(v, 1);
    queue_init(v, 0, 8, 0);
    v->q[0].tail = 0;
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    g_assert_cmpuint(run(v, 0, 0, &nop, 0, NULL), ==, VNPU_JOB_OK);
    vnpu_stop(v);
}

/* Fault injection: a descriptor flag hangs only when INJECT_CTRL allows. */
static void test_inject_hang_flag(void)
{
    Vnpu *v = vnpu_setup(",inject-hang-flag=on,engines=1", 1);
    Cmds c = { 0 };
    Comp comp;

    cmd_nop(&c);
    g_assert_cmphex(rd(v, VNPU_REG_INJECT_CTRL), ==, VNPU_INJECT_HANG_FLAG);
    queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len, VNPU_DESC_F_INJECT_HANG);
    doorbell(v, 0);
    g_assert(wait_reg(v, VNPU_REG_ENGINE_STATUS, ~0u,
                      VNPU_ENGINE_BUSY(0) | VNPU_ENGINE_HUNG(0)));
    engine_reset(v, 1);
    comp_read(v, 0, 0, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    /* Without HANG_FLAG the flag is a reserved bit. */
    wr(v, VNPU_REG_INJECT_CTRL, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, VNPU_DESC_F_INJECT_HANG, NULL), ==,
                     VNPU_JOB_BAD_DESC);
    vnpu_stop(v);
}

/* Fault injection: fail the DMA of job N. */
static void test_inject_dma_fail(void)
{
    Vnpu *v = vnpu_setup(",inject-dma-fail-job=1", 1);
    uint64_t pa, va = map_buf(v, 0, PAGE, PTE_RW, &pa);
    Cmds c = { 0 };
    Comp comp;

    cmd_fill(&c, va, 4, 0xfeedface);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, &comp), ==, VNPU_JOB_DMA_ERROR);
    g_assert_cmpuint(comp.cmd_index, ==, 0);
    g_assert_cmphex(qtest_readl(v->qts, pa), ==, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa), ==, 0xfeedface);
    /* Register: the 2nd job from now. */
    wr(v, VNPU_REG_INJECT_DMA_FAIL_JOB, 2);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_DMA_FAIL_JOB), ==, 1);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_DMA_ERROR);
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_DMA_FAIL_JOB), ==, 0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    vnpu_stop(v);
}

/* Fault injection: a spurious MMU fault on job N. */
static void test_inject_mmu_fault(void)
{
    Vnpu *v = vnpu_setup(",inject-mmu-fault-job=1", 2);
    uint64_t pa, va = map_buf(v, 1, PAGE, PTE_RW, &pa);
    Cmds c = { 0 };
    Comp comp;
    uint64_t cva;
    uint32_t idx, fs;

    msix_setup(v, VNPU_MSIX_VECTORS(4));
    wr(v, VNPU_REG_IRQ_MASK, VNPU_IRQ_ERROR);
    cmd_fill(&c, va, 4, 0x0f0f0f0f);
    cva = cmds_place(v, 1, &c);
    idx = queue_desc(v, 1, 1, cva, c.len, 0);
    doorbell(v, 1);
    wait_comp(v, 1, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmpuint(comp.cmd_index, ==, 0);
    g_assert_cmphex(qtest_readl(v->qts, pa), ==, 0);
    fs = rd(v, VNPU_REG_FAULT_STATUS);
    g_assert_cmphex(fs & VNPU_FAULT_VALID, ==, VNPU_FAULT_VALID);
    g_assert_cmpuint((fs & VNPU_FAULT_ACCESS_MASK) >> 1, ==, VNPU_ACCESS_EXEC);
    g_assert_cmpuint((fs & VNPU_FAULT_QUEUE_MASK) >> 8, ==, 1);
    g_assert_cmpuint((fs & VNPU_FAULT_CTX_MASK) >> 16, ==, 1);
    g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==, (uint32_t)cva);
    g_assert_true(msix_fired(v, VNPU_MSIX_ERROR_VECTOR(4), WAIT_TIMEOUT_US));
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_FAULTS_LO), ==, 1);
    wr(v, VNPU_REG_FAULT_ACK, 1);
    /* The same job runs fine next time. */
    idx = queue_desc(v, 1, 1, cva, c.len, 0);
    doorbell(v, 1);
    wait_comp(v, 1, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa), ==, 0x0f0f0f0f);
    /* Register. */
    wr(v, VNPU_REG_INJECT_MMU_FAULT_JOB, 1);
    g_assert_cmpuint(run(v, 0, 1, &c, 0, NULL), ==, VNPU_JOB_MMU_FAULT);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_FAULTS_LO), ==, 2);
    vnpu_stop(v);
}

/* Fault injection: drop the Nth MSI-X message. */
static void test_inject_drop_irq(void)
{
    Vnpu *v = vnpu_setup(",inject-drop-irq=2", 1);
    Cmds c = { 0 };

    msix_setup(v, VNPU_MSIX_VECTORS(4));
    wr(v, VNPU_REG_IRQ_MASK, 1);
    cmd_nop(&c);
    g_assert_cmpuint(run(v, 0, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                     VNPU_JOB_OK);
    g_assert_true(msix_fired(v, 0, WAIT_TIMEOUT_US));
    wr(v, VNPU_REG_IRQ_STATUS, ~0u);
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_DROP_IRQ), ==, 1);
    /* The 2nd message is lost; the status bit is still set. */
    g_assert_cmpuint(run(v, 0, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                     VNPU_JOB_OK);
    g_assert(wait_reg(v, VNPU_REG_IRQ_STATUS, ~0u, 1));
    g_assert_false(msix_fired(v, 0, 100 * 1000));
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_DROP_IRQ), ==, 0);
    wr(v, VNPU_REG_IRQ_STATUS, ~0u);
    g_assert_cmpuint(run(v, 0, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                     VNPU_JOB_OK);
    g_assert_true(msix_fired(v, 0, WAIT_TIMEOUT_US));
    wr(v, VNPU_REG_IRQ_STATUS, ~0u);
    g_assert(wait_reg(v, VNPU_REG_CNT_IRQS_LO, ~0u, 2));
    /* Register: the next message. */
    wr(v, VNPU_REG_INJECT_DROP_IRQ, 1);
    g_assert_cmpuint(run(v, 0, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                     VNPU_JOB_OK);
    g_assert(wait_reg(v, VNPU_REG_IRQ_STATUS, ~0u, 1));
    g_assert_false(msix_fired(v, 0, 100 * 1000));
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_IRQS_LO), ==, 2);
    vnpu_stop(v);
}

/*
 * Fault injection for one queue: messages of other vectors do not count,
 * so the drop cannot go to another queue's (or the error) interrupt.
 */
static void test_inject_drop_irq_queue(void)
{
    Vnpu *v = vnpu_setup(NULL, 2);
    uint32_t arm = VNPU_INJECT_DROP_IRQ_QUEUE | (1u << 24) | 2;
    Cmds c = { 0 };

    msix_setup(v, VNPU_MSIX_VECTORS(4));
    wr(v, VNPU_REG_IRQ_MASK, 3);
    wr(v, VNPU_REG_INJECT_DROP_IRQ, arm);
    g_assert_cmphex(rd(v, VNPU_REG_INJECT_DROP_IRQ), ==, arm);
    cmd_nop(&c);
    /* Queue 0 messages go through and leave the count alone. */
    for (int i = 0; i < 3; i++) {
        g_assert_cmpuint(run(v, 0, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                         VNPU_JOB_OK);
        g_assert_true(msix_fired(v, 0, WAIT_TIMEOUT_US));
        wr(v, VNPU_REG_IRQ_STATUS, ~0u);
    }
    g_assert_cmphex(rd(v, VNPU_REG_INJECT_DROP_IRQ), ==, arm);
    /* Queue 1: the 1st message is sent, the 2nd dropped. */
    g_assert_cmpuint(run(v, 1, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                     VNPU_JOB_OK);
    g_assert_true(msix_fired(v, 1, WAIT_TIMEOUT_US));
    wr(v, VNPU_REG_IRQ_STATUS, ~0u);
    g_assert_cmphex(rd(v, VNPU_REG_INJECT_DROP_IRQ), ==, arm - 1);
    g_assert_cmpuint(run(v, 1, 0, &c, VNPU_DESC_F_IRQ, NULL), ==,
                     VNPU_JOB_OK);
    g_assert(wait_reg(v, VNPU_REG_IRQ_STATUS, ~0u, 2));
    g_assert_false(msix_fired(v, 1, 100 * 1000));
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_DROP_IRQ), ==, 0);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_IRQS_LO), ==, 4);
    /* A queue the device does not have disarms it. */
    wr(v, VNPU_REG_INJECT_DROP_IRQ,
       VNPU_INJECT_DROP_IRQ_QUEUE | (7u << 24) | 1);
    g_assert_cmpuint(rd(v, VNPU_REG_INJECT_DROP_IRQ), ==, 0);
    vnpu_stop(v);
}

/* Counters: jobs, bytes, busy time, modelled energy. */
static void test_counters(void)
{
    Vnpu *v = vnpu_setup(NULL, 1);
    uint64_t va = map_buf(v, 0, 2 * PAGE, PTE_RW, NULL);
    uint64_t dm = new_va(v, PAGE);
    uint64_t e0, e1, e2, e3;
    Cmds c = { 0 };

    map_page(v, 0, dm, 0, PTE_RW | VNPU_PTE_DEVMEM);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_ENERGY_PJ_LO), ==, 0);
    /*
     * Each job costs VNPU_ENERGY_PJ_JOB plus its bytes, command fetch
     * included; FILL and COPY have the same size, so differences between
     * jobs are exactly the data bytes.
     */
    c.len = 0;
    cmd_fill(&c, va, 0, 1);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    e0 = counter(v, VNPU_REG_CNT_ENERGY_PJ_LO);
    g_assert_cmpuint(e0, >=, VNPU_ENERGY_PJ_JOB +
                     32 * VNPU_ENERGY_PJ_HOST_BYTE);
    c.len = 0;
    cmd_fill(&c, va, 4096, 1);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    e1 = counter(v, VNPU_REG_CNT_ENERGY_PJ_LO) - e0;
    g_assert_cmpuint(e1 - e0, ==, 4096 * VNPU_ENERGY_PJ_HOST_BYTE);
    c.len = 0;
    cmd_fill(&c, dm, 4096, 1);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    e2 = counter(v, VNPU_REG_CNT_ENERGY_PJ_LO) - e0 - e1;
    g_assert_cmpuint(e2 - e0, ==, 4096 * VNPU_ENERGY_PJ_DEVMEM_BYTE);
    /* COPY reads and writes. */
    c.len = 0;
    cmd_copy(&c, va, va + PAGE, 100);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    e3 = counter(v, VNPU_REG_CNT_ENERGY_PJ_LO) - e0 - e1 - e2;
    g_assert_cmpuint(e3 - e0, ==, 200 * VNPU_ENERGY_PJ_HOST_BYTE);
    /*
     * Bytes moved: the 4 jobs' data (4096 + 4096 + 200) plus 4 equal
     * command fetches, as the energy of the empty FILL tells.
     */
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_XFER_LO), ==, 4096 * 2 + 200 +
                     4 * (e0 - VNPU_ENERGY_PJ_JOB) /
                     VNPU_ENERGY_PJ_HOST_BYTE);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 4);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_BYTES_LO), ==, 4096 * 2 + 100);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_MACS_LO), ==, 0);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_FAULTS_LO), ==, 0);
    /* The device clock runs only when stepped: busy time is what ran. */
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_BUSY_NS_LO), ==, 0);
    dev_reset(v);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_ENERGY_PJ_LO), ==, 0);
    vnpu_stop(v);
}

/* Compute ISA: one smoke test per op family through the device path. */

typedef struct OpEnv {
    Vnpu *v;
    uint64_t va, pa;        /* one RW data page */
} OpEnv;

static OpEnv op_env(void)
{
    OpEnv e;

    g_assert(G_BYTE_ORDER == G_LITTLE_ENDIAN);
    e.v = vnpu_setup(NULL, 1);
    e.va = map_buf(e.v, 0, PAGE, PTE_RW, &e.pa);
    return e;
}

/* Dense tensor of @rank at byte offset @off of the data page. */
static struct vnpu_tensor tns(OpEnv *e, uint64_t off, uint8_t dt, int rank,
                              uint32_t d0, uint32_t d1, uint32_t d2,
                              uint32_t d3)
{
    struct vnpu_tensor t = { 0 };
    const uint32_t dims[4] = { d0, d1, d2, d3 };

    t.va = e->va + off;
    t.dtype = dt;
    t.rank = rank;
    for (int i = 0; i < rank; i++) {
        t.shape[i] = dims[i];
    }
    for (int i = rank - 1; i >= 0; i--) {
        t.stride[i] = i == rank - 1 ? 1 : t.stride[i + 1] * t.shape[i + 1];
    }
    return t;
}

static void cmd_put(Cmds *c, uint16_t op, void *cmd, size_t size)
{
    struct vnpu_cmd_hdr *h = cmd;

    g_assert(size % 8 == 0 && c->len + size <= sizeof(c->buf));
    h->opcode = op;
    h->len = size / 8;
    h->flags = 0;
    memcpy(c->buf + c->len, cmd, size);
    c->len += size;
}

static void put_f32(OpEnv *e, uint64_t off, const float *f, int n)
{
    qtest_memwrite(e->v->qts, e->pa + off, f, n * sizeof(float));
}

static void check_f32(OpEnv *e, uint64_t off, const float *want, int n)
{
    float got[16];

    g_assert(n <= 16);
    qtest_memread(e->v->qts, e->pa + off, got, n * sizeof(float));
    for (int i = 0; i < n; i++) {
        if (fabsf(got[i] - want[i]) > 0.00001f * MAX(1.0f, fabsf(want[i]))) {
            g_error("element %d: %g, want %g", i, got[i], want[i]);
        }
    }
}

static uint32_t op_run(OpEnv *e, const Cmds *c)
{
    return run(e->v, 0, 0, c, 0, NULL);
}

static void test_op_copy_nd(void)
{
    OpEnv e = op_env();
    struct vnpu_cmd_copy_nd cmd = { 0 };
    const float in[6] = { 1, 2, 3, 4, 5, 6 };
    const float want[6] = { 1, 4, 2, 5, 3, 6 };
    Cmds c = { 0 };

    put_f32(&e, 0, in, 6);
    cmd.src = tns(&e, 0, VNPU_DT_F32, 2, 2, 3, 0, 0);
    cmd.dst = tns(&e, 256, VNPU_DT_F32, 2, 3, 2, 0, 0);
    cmd.perm[0] = 1;
    cmd.perm[1] = 0;
    cmd_put(&c, VNPU_OP_COPY_ND, &cmd, sizeof(cmd));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_OK);
    check_f32(&e, 256, want, 6);
    /* A zero-sized dimension: BAD_TENSOR. */
    cmd.src.shape[0] = 0;
    c.len = 0;
    cmd_put(&c, VNPU_OP_COPY_ND, &cmd, sizeof(cmd));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_BAD_TENSOR);
    vnpu_stop(e.v);
}

static void test_op_gemm(void)
{
    OpEnv e = op_env();
    struct vnpu_cmd_gemm cmd = { 0 };
    const float a[4] = { 1, 2, 3, 4 }, b[4] = { 5, 6, 7, 8 };
    const float want[4] = { 19, 22, 43, 50 };
    uint64_t e0 = counter(e.v, VNPU_REG_CNT_ENERGY_PJ_LO);
    Cmds c = { 0 };

    put_f32(&e, 0, a, 4);
    put_f32(&e, 64, b, 4);
    cmd.a = tns(&e, 0, VNPU_DT_F32, 2, 2, 2, 0, 0);
    cmd.b = tns(&e, 64, VNPU_DT_F32, 2, 2, 2, 0, 0);
    cmd.out = tns(&e, 128, VNPU_DT_F32, 2, 2, 2, 0, 0);
    cmd_put(&c, VNPU_OP_GEMM, &cmd, sizeof(cmd));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_OK);
    check_f32(&e, 128, want, 4);
    g_assert_cmpuint(counter(e.v, VNPU_REG_CNT_MACS_LO), ==, 8);
    g_assert_cmpuint(counter(e.v, VNPU_REG_CNT_ENERGY_PJ_LO) - e0, >=,
                     VNPU_ENERGY_PJ_JOB + 8 * VNPU_ENERGY_FJ_MAC_FP32 / 1000);
    /* F32 x I8: BAD_DTYPE. */
    cmd.b.dtype = VNPU_DT_I8;
    c.len = 0;
    cmd_put(&c, VNPU_OP_GEMM, &cmd, sizeof(cmd));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_BAD_DTYPE);
    /* Quantisation on an F32 tensor: BAD_QUANT. */
    cmd.b.dtype = VNPU_DT_F32;
    cmd.a.qmode = VNPU_QMODE_TENSOR;
    cmd.a.scale = 0x3f800000;
    c.len = 0;
    cmd_put(&c, VNPU_OP_GEMM, &cmd, sizeof(cmd));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_BAD_QUANT);
    g_assert_cmpuint(counter(e.v, VNPU_REG_CNT_MACS_LO), ==, 8);
    vnpu_stop(e.v);
}

static void test_op_conv2d(void)
{
    OpEnv e = op_env();
    struct vnpu_cmd_conv2d cmd = { 0 };
    const float in[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    const float w[4] = { 1, 1, 1, 1 };
    const float want[4] = { 12, 16, 24, 28 };
    Cmds c = { 0 };

    put_f32(&e, 0, in, 9);
    put_f32(&e, 64, w, 4);
    cmd.in = tns(&e, 0, VNPU_DT_F32, 4, 1, 3, 3, 1);
    cmd.weight = tns(&e, 64, VNPU_DT_F32, 4, 1, 2, 2, 1);
    cmd.out = tns(&e, 128, VNPU_DT_F32, 4, 1, 2, 2, 1);
    cmd.stride_h = cmd.stride_w = cmd.dil_h = cmd.dil_w = 1;
    cmd.groups = 1;
    cmd_put(&c, VNPU_OP_CONV2D, &cmd, sizeof(cmd));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_OK);
    check_f32(&e, 128, want, 4);
    g_assert_cmpuint(counter(e.v, VNPU_REG_CNT_MACS_LO), ==, 16);
    vnpu_stop(e.v);
}

static void test_op_eltwise_activation(void)
{
    OpEnv e = op_env();
    struct vnpu_cmd_eltwise el = { 0 };
    struct vnpu_cmd_unary act = { 0 };
    const float a[6] = { 1, 2, 3, 4, 5, 6 }, b[3] = { 10, -20, 30 };
    const float want[6] = { 11, 0, 33, 14, 0, 36 };
    Cmds c = { 0 };

    put_f32(&e, 0, a, 6);
    put_f32(&e, 64, b, 3);
    el.a = tns(&e, 0, VNPU_DT_F32, 2, 2, 3, 0, 0);
    el.b = tns(&e, 64, VNPU_DT_F32, 1, 3, 0, 0, 0);
    el.out = tns(&e, 128, VNPU_DT_F32, 2, 2, 3, 0, 0);
    el.op = VNPU_ELT_ADD;
    cmd_put(&c, VNPU_OP_ELTWISE, &el, sizeof(el));
    /* ACTIVATION in place on the sum. */
    act.in = act.out = el.out;
    act.param = VNPU_ACT_RELU;
    cmd_put(&c, VNPU_OP_ACTIVATION, &act, sizeof(act));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_OK);
    check_f32(&e, 128, want, 6);
    vnpu_stop(e.v);
}

static void test_op_softmax_reduce(void)
{
    OpEnv e = op_env();
    struct vnpu_cmd_unary sm = { 0 }, red = { 0 };
    const float in[6] = { 1, 2, 3, 4, 5, 6 };
    const float half[2] = { 0.5f, 0.5f }, sums[2] = { 6, 15 };
    Cmds c = { 0 };

    put_f32(&e, 0, in, 6);
    put_f32(&e, 64, half, 2);
    sm.in = tns(&e, 64, VNPU_DT_F32, 1, 2, 0, 0, 0);
    sm.out = tns(&e, 96, VNPU_DT_F32, 1, 2, 0, 0, 0);
    sm.param = 0;
    cmd_put(&c, VNPU_OP_SOFTMAX, &sm, sizeof(sm));
    red.in = tns(&e, 0, VNPU_DT_F32, 2, 2, 3, 0, 0);
    red.out = tns(&e, 128, VNPU_DT_F32, 2, 2, 1, 0, 0);
    red.param = VNPU_RED_SUM | (1u << 1) << VNPU_RED_AXES_SHIFT;
    cmd_put(&c, VNPU_OP_REDUCE, &red, sizeof(red));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_OK);
    check_f32(&e, 96, half, 2);
    check_f32(&e, 128, sums, 2);
    vnpu_stop(e.v);
}

static void test_op_norm_pool(void)
{
    OpEnv e = op_env();
    struct vnpu_cmd_norm ln = { 0 };
    struct vnpu_cmd_pool2d pool = { 0 };
    const float in[2] = { 1, 3 }, pin[4] = { 1, 5, 3, 2 };
    const float want[2] = { -1, 1 }, pmax[1] = { 5 };
    Cmds c = { 0 };

    put_f32(&e, 0, in, 2);
    put_f32(&e, 64, pin, 4);
    ln.in = tns(&e, 0, VNPU_DT_F32, 1, 2, 0, 0, 0);
    ln.out = tns(&e, 32, VNPU_DT_F32, 1, 2, 0, 0, 0);
    cmd_put(&c, VNPU_OP_LAYERNORM, &ln, sizeof(ln));
    pool.in = tns(&e, 64, VNPU_DT_F32, 4, 1, 2, 2, 1);
    pool.out = tns(&e, 128, VNPU_DT_F32, 4, 1, 1, 1, 1);
    pool.mode = VNPU_POOL_GLOBAL_MAX;
    cmd_put(&c, VNPU_OP_POOL2D, &pool, sizeof(pool));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_OK);
    check_f32(&e, 32, want, 2);
    check_f32(&e, 128, pmax, 1);
    vnpu_stop(e.v);
}

static void test_op_convert(void)
{
    OpEnv e = op_env();
    struct vnpu_cmd_convert cv = { 0 };
    const float in[4] = { 1.5f, 2.5f, -1.5f, 1e10f };
    const int32_t want[4] = { 2, 2, -2, INT32_MAX };
    int32_t got[4];
    Cmds c = { 0 };

    put_f32(&e, 0, in, 4);
    cv.in = tns(&e, 0, VNPU_DT_F32, 1, 4, 0, 0, 0);
    cv.out = tns(&e, 64, VNPU_DT_I32, 1, 4, 0, 0, 0);
    cmd_put(&c, VNPU_OP_CAST, &cv, sizeof(cv));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_OK);
    qtest_memread(e.v->qts, e.pa + 64, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
    vnpu_stop(e.v);
}

static void test_op_sync(void)
{
    OpEnv e = op_env();
    struct vnpu_cmd_sem sig = { 0 }, wait = { 0 };
    struct vnpu_cmd_nop bar = { 0 };
    Cmds c = { 0 };
    Comp comp;
    uint32_t idx;

    sig.va = e.va + 8;
    sig.value = 7;
    sig.op = VNPU_SEM_SET;
    cmd_put(&c, VNPU_OP_SEM_SIGNAL, &sig, sizeof(sig));
    cmd_put(&c, VNPU_OP_BARRIER, &bar, sizeof(bar));
    wait.va = e.va + 8;
    wait.value = 7;
    wait.op = VNPU_SEM_EQ;
    wait.timeout_us = 1000;
    cmd_put(&c, VNPU_OP_SEM_WAIT, &wait, sizeof(wait));
    g_assert_cmpuint(op_run(&e, &c), ==, VNPU_JOB_OK);
    g_assert_cmpuint(qtest_readl(e.v->qts, e.pa + 8), ==, 7);
    /* A condition that never holds: SEM_TIMEOUT (clock stepped). */
    c.len = 0;
    wait.value = 8;
    cmd_put(&c, VNPU_OP_SEM_WAIT, &wait, sizeof(wait));
    idx = queue_desc(e.v, 0, 0, cmds_place(e.v, 0, &c), c.len, 0);
    doorbell(e.v, 0);
    wait_comp_stepping(e.v, 0, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_SEM_TIMEOUT);
    vnpu_stop(e.v);
}

/*
 * Robustness: seeded random command streams (valid and invalid headers,
 * fields biased towards mapped addresses and small sizes) and random
 * page-table entries. Every job completes with a documented status, only
 * the context's writable pages change, and the device keeps working.
 */
static void random_jobs(const char *props, const char *extra)
{
    Vnpu *v = g_new0(Vnpu, 1);
    GRand *rng = g_rand_new_with_seed(0x5eed1234);
    uint64_t data_pa, data, canary, junk;
    uint8_t page[PAGE];
    int counts[VNPU_JOB_SEM_TIMEOUT + 1] = { 0 };
    Cmds c;

    v->qts = vnpu_qemu(props, extra);
    pc_alloc_init(&v->alloc, v->qts, ALLOC_NO_FLAGS);
    vnpu_attach(v);
    v->next_va = VA_BASE;
    ctx_init(v, 2);
    queue_init(v, 0, 8, 0);
    queue_init(v, 1, 8, 0);
    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    data = map_buf(v, 0, 16 * PAGE, PTE_RW, &data_pa);
    canary = alloc_zero(v, PAGE);
    junk = new_va(v, 64 * PAGE);

    qtest_memset(v->qts, canary, 0xc5, PAGE);
    /* Random entries in a table of the junk range (never the canary). */
    for (int i = 0; i < 64; i++) {
        uint64_t pte = ((uint64_t)g_rand_int(rng) << 32 | g_rand_int(rng));

        pte &= ~VNPU_PTE_WRITE;     /* random pages are never written */
        if (i % 4 == 0) {
            pte = (canary & VNPU_PTE_ADDR_MASK) | PTE_RO;
        }
        qtest_writeq(v->qts, pte_slot(v, 0, junk + i * PAGE, 3), pte);
    }
    for (int j = 0; j < 300; j++) {
        uint32_t idx;
        Comp comp;

        int ncmds = g_rand_int_range(rng, 1, 4);

        c.len = 0;
        while (ncmds--) {
            uint16_t op = g_rand_int_range(rng, 0, VNPU_OP_COUNT + 2);
            uint16_t len = op < VNPU_OP_COUNT ? vnpu_op_cmd_size(op) / 8 : 1;

            if (g_rand_int_range(rng, 0, 16) == 0) {
                len = g_rand_int_range(rng, 0, 40);
            }
            if (!len || c.len + len * 8 > sizeof(c.buf)) {
                break;
            }
            cmd_hdr(&c, op, len, g_rand_int_range(rng, 0, 32) ? 0 : 1);
            for (int w = 1; w < len; w++) {
                uint64_t x;

                switch (g_rand_int_range(rng, 0, 10)) {
                case 0:
                case 1:
                    x = data + g_rand_int_range(rng, 0, 16 * PAGE) / 4 * 4;
                    break;
                case 2:
                    x = junk + g_rand_int_range(rng, 0, 64 * PAGE);
                    break;
                case 3:
                case 4:
                case 5:
                    x = 0;
                    break;
                case 6:
                case 7:
                    x = (uint64_t)g_rand_int_range(rng, 0, 4) << 32 |
                        g_rand_int_range(rng, 0, 64);
                    break;
                case 8:
                    x = (uint64_t)g_rand_int_range(rng, 1, 6) << 8 |
                        g_rand_int_range(rng, 1, 5) << 16 |
                        g_rand_int_range(rng, 1, 16);
                    break;
                default:
                    x = (uint64_t)g_rand_int(rng) << 32 | g_rand_int(rng);
                    break;
                }
                stq_le_p(c.buf + c.len + w * 8, x);
            }
            c.len += len * 8;
        }
        idx = queue_desc(v, j % 2, 0, cmds_place(v, 0, &c), c.len,
                         VNPU_DESC_F_IRQ);
        doorbell(v, j % 2);
        wait_comp_stepping(v, j % 2, idx, &comp);
        if (comp.status > VNPU_JOB_SEM_TIMEOUT) {
            g_error("job %d: undocumented status %u", j, comp.status);
        }
        counts[comp.status]++;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(counts); i++) {
        g_test_message("status %u: %d jobs", i, counts[i]);
    }
    qtest_memread(v->qts, canary, page, PAGE);
    for (int i = 0; i < PAGE; i++) {
        g_assert_cmphex(page[i], ==, 0xc5);
    }
    c.len = 0;
    cmd_fill(&c, data, 4, 0x0c0ffee0);
    g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, data_pa), ==, 0x0c0ffee0);
    g_assert_cmphex(rd(v, VNPU_REG_Q(0) + VNPU_Q_CTRL), ==,
                    VNPU_QCTRL_ENABLE);
    g_rand_free(rng);
    vnpu_stop(v);
}

static void test_random_jobs(void)
{
    random_jobs(",engines=2", NULL);
}

static void test_random_jobs_views(void)
{
    random_jobs(",engines=2,host-views=on,id=npu",
                "-object memory-backend-memfd,id=mem,size=256M,share=on "
                "-machine memory-backend=mem");
}

/* Map @npages fresh pages at a new VA in reverse physical order. */
static uint64_t map_scattered(Vnpu *v, int ctx, int npages, uint64_t *pas)
{
    uint64_t va = new_va(v, npages * PAGE);

    for (int i = 0; i < npages; i++) {
        pas[i] = alloc_zero(v, PAGE);
    }
    for (int i = 0; i < npages; i++) {
        map_page(v, ctx, va + i * PAGE, pas[npages - 1 - i], PTE_RW);
    }
    return va;
}

static int64_t view_maps(Vnpu *v)
{
    QDict *rsp = qtest_qmp(v->qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': '/machine/peripheral/npu', "
                           "'property': 'x-view-maps' } }");
    int64_t n = qdict_get_int(rsp, "return");

    qobject_unref(rsp);
    return n;
}

/*
 * host-views: with guest RAM in a shared memfd, a tensor scattered over
 * guest pages is one host mapping; results are the same, remapping a page
 * is seen, and without a shareable backend the device falls back.
 */
static void test_host_views(void)
{
    for (int memfd = 1; memfd >= 0; memfd--) {
        Vnpu *v = g_new0(Vnpu, 1);
        uint64_t apa[4], bpa[4], opa[4], a, b, out, newpa;
        struct vnpu_cmd_gemm g = { 0 };
        g_autofree float *fa = g_new(float, 64 * 64);
        g_autofree float *fb = g_new0(float, 64 * 64);
        g_autofree float *fo = g_new(float, 64 * 64);
        Cmds c = { 0 };

        v->qts = vnpu_qemu(",host-views=on,id=npu", memfd ?
                           "-object memory-backend-memfd,id=mem,size=256M,"
                           "share=on -machine memory-backend=mem" : NULL);
        pc_alloc_init(&v->alloc, v->qts, ALLOC_NO_FLAGS);
        vnpu_attach(v);
        v->next_va = VA_BASE;
        ctx_init(v, 1);
        queue_init(v, 0, 8, 0);
        wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);

        a = map_scattered(v, 0, 4, apa);
        b = map_scattered(v, 0, 4, bpa);
        out = map_scattered(v, 0, 4, opa);
        for (int i = 0; i < 64 * 64; i++) {
            fa[i] = (i * 7) % 13 - 6;
        }
        for (int i = 0; i < 64; i++) {
            fb[i * 64 + i] = 1;
        }
        for (int i = 0; i < 4; i++) {
            qtest_memwrite(v->qts, apa[3 - i], fa + i * 1024, PAGE);
            qtest_memwrite(v->qts, bpa[3 - i], fb + i * 1024, PAGE);
        }
        g.a.va = a;
        g.b.va = b;
        g.out.va = out;
        g.a.dtype = g.b.dtype = g.out.dtype = VNPU_DT_F32;
        g.a.rank = g.b.rank = g.out.rank = 2;
        g.a.shape[0] = g.a.shape[1] = g.b.shape[0] = g.b.shape[1] = 64;
        g.out.shape[0] = g.out.shape[1] = 64;
        g.a.stride[0] = g.b.stride[0] = g.out.stride[0] = 64;
        g.a.stride[1] = g.b.stride[1] = g.out.stride[1] = 1;
        cmd_put(&c, VNPU_OP_GEMM, &g, sizeof(g));
        g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
        for (int i = 0; i < 4; i++) {
            qtest_memread(v->qts, opa[3 - i], fo + i * 1024, PAGE);
        }
        g_assert_cmpmem(fo, 64 * 64 * 4, fa, 64 * 64 * 4);
        if (memfd) {
            g_assert_cmpint(view_maps(v), >=, 12);
        } else {
            g_assert_cmpint(view_maps(v), ==, 0);
        }

        /* Move a's second page elsewhere: the view follows the MMU. */
        newpa = alloc_zero(v, PAGE);
        for (int i = 0; i < 1024; i++) {
            fa[1024 + i] = -fa[1024 + i];
        }
        qtest_memwrite(v->qts, newpa, fa + 1024, PAGE);
        map_page(v, 0, a + PAGE, newpa, PTE_RW);
        wr(v, VNPU_REG_TLB_INV, 0);
        g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
        for (int i = 0; i < 4; i++) {
            qtest_memread(v->qts, opa[3 - i], fo + i * 1024, PAGE);
        }
        for (int i = 0; i < 64 * 64; i++) {
            if (fo[i] != fa[i]) {
                g_error("element %d: %g, want %g", i, fo[i], fa[i]);
            }
        }

        /* An unmapped page inside the span still faults at its address. */
        map_page(v, 0, b + 2 * PAGE, 0, 0);
        wr(v, VNPU_REG_TLB_INV, 0);
        g_assert_cmpuint(run(v, 0, 0, &c, 0, NULL), ==, VNPU_JOB_MMU_FAULT);
        g_assert_cmphex(rd(v, VNPU_REG_FAULT_VA_LO), ==,
                        (uint32_t)(b + 2 * PAGE));
        vnpu_stop(v);
    }
}

static const char *qmp_status(QTestState *qts, const char *cmd,
                              const char *key, char *buf, size_t len)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': %s }", cmd);
    QDict *ret = qdict_get_qdict(rsp, "return");

    g_assert(ret);
    g_strlcpy(buf, qdict_haskey(ret, key) ?
              qdict_get_str(ret, key) : "", len);
    qobject_unref(rsp);
    return buf;
}

/*
 * Migrate @v's VM to a file and continue in a new QEMU started with
 * @props; @v then drives the destination.
 */
static void migrate_to_file(Vnpu *v, const char *props)
{
    g_autofree char *path = g_strdup_printf("%s/vnpu-test-mig-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    g_autofree char *incoming = g_strdup_printf("-incoming %s", uri);
    QTestState *src = v->qts;
    gint64 end = g_get_monotonic_time() + 3 * WAIT_TIMEOUT_US;
    char st[64];

    qtest_qmp_assert_success(src, "{ 'execute': 'migrate',"
                             "  'arguments': { 'uri': %s } }", uri);
    while (strcmp(qmp_status(src, "query-migrate", "status", st, sizeof(st)),
                  "completed")) {
        g_assert_cmpstr(st, !=, "failed");
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    g_free(v->dev);
    qpci_free_pc(v->bus);

    v->qts = vnpu_qemu(props, incoming);
    while (strcmp(qmp_status(v->qts, "query-status", "status", st,
                             sizeof(st)), "running")) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    qtest_quit(src);
    unlink(path);
    vnpu_attach(v);
}

/*
 * Migration of an idle device: registers, queue indices and a descriptor
 * that was queued but not started move with the VM and run there.
 */
static void test_migrate(void)
{
    Vnpu *v = vnpu_setup(NULL, 2);
    uint64_t pa, va = map_buf(v, 0, PAGE, PTE_RW, &pa);
    Cmds c = { 0 };
    uint32_t idx;
    Comp comp;

    cmd_fill(&c, va, 4, 0x01010101);
    g_assert_cmpuint(run(v, 1, 0, &c, 0, NULL), ==, VNPU_JOB_OK);
    wr(v, VNPU_REG_SCRATCH, 0x13572468);
    wr(v, VNPU_REG_IRQ_MASK, 3);
    wr(v, VNPU_REG_CTRL, 0);
    c.len = 0;
    cmd_fill(&c, va + 4, 4, 0x02020202);
    idx = queue_desc(v, 1, 0, cmds_place(v, 0, &c), c.len, 0);
    doorbell(v, 1);

    migrate_to_file(v, NULL);

    g_assert_cmphex(rd(v, VNPU_REG_SCRATCH), ==, 0x13572468);
    g_assert_cmphex(rd(v, VNPU_REG_IRQ_MASK), ==, 3);
    g_assert_cmphex(rd(v, VNPU_REG_CTRL), ==, 0);
    g_assert_cmphex(rd(v, VNPU_REG_CTXT_BASE_LO), ==, (uint32_t)v->ctxt);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(1) + VNPU_Q_HEAD), ==, 1);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(1) + VNPU_Q_TAIL), ==, 2);
    g_assert_cmpuint(counter(v, VNPU_REG_CNT_JOBS_LO), ==, 1);
    g_assert_cmphex(qtest_readl(v->qts, pa), ==, 0x01010101);

    wr(v, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
    wait_comp(v, 1, idx, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa + 4), ==, 0x02020202);
    vnpu_stop(v);
}

/*
 * Migration of a busy device: a long job is running on queue 0 with two
 * more queued behind it, queue 1's engine is hung (injection), device
 * memory holds data, and interrupt moderation is pending. The running job
 * finishes before the VM stops; the queued ones run on the destination;
 * the hung job is replayed there (and hangs again, being flagged).
 */
static void test_migrate_busy(void)
{
    const char *props = ",inject-hang-flag=on";
    Vnpu *v = vnpu_setup(props, 2);
    uint64_t raw = guest_alloc(&v->alloc, 2 * HUGE);
    uint64_t big_pa = ROUND_UP(raw, HUGE), big = 2ull << 30;
    uint64_t pa, va = map_buf(v, 0, PAGE, PTE_RW, &pa);
    uint64_t dm = new_va(v, PAGE);
    uint64_t size = 256ull << 20;
    QPCIBar bar2;
    Cmds c = { 0 };
    uint32_t ilong, iq[2], ihang;
    Comp comp;

    map_alias_1g(v, 0, big, big_pa);
    map_page(v, 0, dm, 7 * PAGE, PTE_RW | VNPU_PTE_DEVMEM);
    wr(v, VNPU_REG_Q(0) + VNPU_Q_IRQ_MOD, 100);
    cmd_fill(&c, dm + 12, 4, 0xd00dfeed);
    g_assert_cmpuint(run(v, 1, 0, &c, 0, NULL), ==, VNPU_JOB_OK);

    c.len = 0;
    for (int i = 0; i < 4; i++) {
        cmd_fill(&c, big, 1ull << 30, 0x3c3c3c3c);
    }
    cmd_fill(&c, va, 4, 0xaaaa0001);
    ilong = queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len,
                       VNPU_DESC_F_IRQ);
    for (int i = 0; i < 2; i++) {
        c.len = 0;
        cmd_fill(&c, va + 4 + 4 * i, 4, 0xbbbb0000 + i);
        iq[i] = queue_desc(v, 0, 0, cmds_place(v, 0, &c), c.len,
                           VNPU_DESC_F_IRQ);
    }
    c.len = 0;
    cmd_fill(&c, va + 64, 4, 0xcccc0000);
    ihang = queue_desc(v, 1, 0, cmds_place(v, 0, &c), c.len,
                       VNPU_DESC_F_INJECT_HANG);
    doorbell(v, 1);
    g_assert(wait_reg(v, VNPU_REG_ENGINE_STATUS, 0x30000, 0x10000) ||
             wait_reg(v, VNPU_REG_ENGINE_STATUS, 0x30000, 0x20000));
    /* The queued jobs must not run before the migration: disable... */
    doorbell(v, 0);
    g_assert_true(wait_word(v, big_pa, 0x3c3c3c3c, WAIT_TIMEOUT_US));
    comp_read(v, 0, ilong, &comp);
    g_assert_cmphex(comp.status, ==, VNPU_JOB_PENDING);
    /* ...by stopping queue 0 after the long job: its ring keeps TAIL. */
    wr(v, VNPU_REG_Q(0) + VNPU_Q_CTRL, 0);

    migrate_to_file(v, props);

    /* The long job finished on the source, before the VM stopped. */
    comp_read(v, 0, ilong, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
    g_assert_cmphex(qtest_readl(v->qts, pa), ==, 0xaaaa0001);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_HEAD), ==, ilong + 1);
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_TAIL), ==, iq[1] + 1);
    /* Its interrupt is still coalesced (COUNT 100, queue not empty). */
    g_assert_cmpuint(rd(v, VNPU_REG_Q(0) + VNPU_Q_IRQ_COUNT), ==, 0);
    bar2 = qpci_iomap(v->dev, VNPU_BAR_DEVMEM, &size);
    g_assert_cmphex(qpci_io_readl(v->dev, bar2, 7 * PAGE + 12), ==,
                    0xd00dfeed);
    g_assert_cmphex(rd(v, VNPU_REG_INJECT_CTRL), ==, VNPU_INJECT_HANG_FLAG);
    g_assert_cmpuint(rd(v, VNPU_REG_JOB_SEQ), >=, 3);

    /* The queued jobs run on the destination. */
    wr(v, VNPU_REG_Q(0) + VNPU_Q_CTRL, VNPU_QCTRL_ENABLE);
    for (int i = 0; i < 2; i++) {
        wait_comp(v, 0, iq[i], &comp);
        g_assert_cmpuint(comp.status, ==, VNPU_JOB_OK);
        g_assert_cmphex(qtest_readl(v->qts, pa + 4 + 4 * i), ==,
                        0xbbbb0000 + i);
    }
    /* The queue emptied: the 3 coalesced completions were signalled. */
    g_assert(wait_reg(v, VNPU_REG_Q(0) + VNPU_Q_IRQ_COUNT, ~0u, 1));
    /* The hung job was replayed and hangs again until an engine reset. */
    g_assert(wait_reg(v, VNPU_REG_ENGINE_STATUS, 0x30000, 0x10000) ||
             wait_reg(v, VNPU_REG_ENGINE_STATUS, 0x30000, 0x20000));
    comp_read(v, 1, ihang, &comp);
    g_assert_cmphex(comp.status, ==, VNPU_JOB_PENDING);
    engine_reset(v, 3);
    comp_read(v, 1, ihang, &comp);
    g_assert_cmpuint(comp.status, ==, VNPU_JOB_ABORTED);
    g_assert_cmphex(qtest_readl(v->qts, pa + 64), ==, 0);
    vnpu_stop(v);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/vnpu/ids", test_ids);
    qtest_add_func("/vnpu/properties", test_properties);
    qtest_add_func("/vnpu/properties-invalid", test_properties_invalid);
    qtest_add_func("/vnpu/scratch-access", test_scratch_and_access);
    qtest_add_func("/vnpu/heartbeat", test_heartbeat);
    qtest_add_func("/vnpu/reset", test_reset);
    qtest_add_func("/vnpu/nop", test_nop);
    qtest_add_func("/vnpu/ring-wrap", test_ring_wrap);
    qtest_add_func("/vnpu/fill", test_fill);
    qtest_add_func("/vnpu/copy", test_copy);
    qtest_add_func("/vnpu/huge-pages", test_huge_pages);
    qtest_add_func("/vnpu/timestamp", test_timestamp);
    qtest_add_func("/vnpu/bad-desc-ctx", test_bad_desc_ctx);
    qtest_add_func("/vnpu/bad-cmds", test_bad_cmds);
    qtest_add_func("/vnpu/faults", test_faults);
    qtest_add_func("/vnpu/dma-error", test_dma_error);
    qtest_add_func("/vnpu/ring-errors", test_ring_errors);
    qtest_add_func("/vnpu/irqs", test_irqs);
    qtest_add_func("/vnpu/tlb-inv", test_tlb_inv);
    qtest_add_func("/vnpu/walk-cache", test_walk_cache);
    qtest_add_func("/vnpu/priority", test_priority);
    qtest_add_func("/vnpu/reset-abort", test_reset_abort);
    qtest_add_func("/vnpu/parallel", test_parallel);
    qtest_add_func("/vnpu/map-churn", test_map_churn);
    qtest_add_func("/vnpu/migrate", test_migrate);
    qtest_add_func("/vnpu/migrate-busy", test_migrate_busy);
    qtest_add_func("/vnpu/bad-ptes", test_bad_ptes);
    qtest_add_func("/vnpu/devmem", test_devmem);
    qtest_add_func("/vnpu/devmem-absent", test_devmem_absent);
    qtest_add_func("/vnpu/devmem-memdev", test_devmem_memdev);
    qtest_add_func("/vnpu/exec-perm", test_exec_perm);
    qtest_add_func("/vnpu/engines-overlap", test_engines_overlap);
    qtest_add_func("/vnpu/irq-moderation", test_irq_moderation);
    qtest_add_func("/vnpu/inject-hang", test_inject_hang);
    qtest_add_func("/vnpu/engine-reset-running", test_engine_reset_running);
    qtest_add_func("/vnpu/reset-mid-fill", test_reset_mid_fill);
    qtest_add_func("/vnpu/inject-hang-flag", test_inject_hang_flag);
    qtest_add_func("/vnpu/inject-dma-fail", test_inject_dma_fail);
    qtest_add_func("/vnpu/inject-mmu-fault", test_inject_mmu_fault);
    qtest_add_func("/vnpu/inject-drop-irq", test_inject_drop_irq);
    qtest_add_func("/vnpu/inject-drop-irq-queue", test_inject_drop_irq_queue);
    qtest_add_func("/vnpu/counters", test_counters);
    qtest_add_func("/vnpu/op/copy-nd", test_op_copy_nd);
    qtest_add_func("/vnpu/op/gemm", test_op_gemm);
    qtest_add_func("/vnpu/op/conv2d", test_op_conv2d);
    qtest_add_func("/vnpu/op/eltwise-activation", test_op_eltwise_activation);
    qtest_add_func("/vnpu/op/softmax-reduce", test_op_softmax_reduce);
    qtest_add_func("/vnpu/op/norm-pool", test_op_norm_pool);
    qtest_add_func("/vnpu/op/convert", test_op_convert);
    qtest_add_func("/vnpu/op/sync", test_op_sync);
    qtest_add_func("/vnpu/random-jobs", test_random_jobs);
    qtest_add_func("/vnpu/random-jobs-views", test_random_jobs_views);
    qtest_add_func("/vnpu/host-views", test_host_views);
    return g_test_run();
}
