/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest fuzzer for the vnpu device: a bounded number of random inputs of
 * the kinds a guest can give it (register writes and reads, ring
 * descriptors and doorbells, command buffers, page-table and
 * context-table entries), each either fully random or a mutation of a
 * valid one. QEMU must stay alive (every qtest call would abort if it
 * died) and, after a device reset and a fresh setup, the device must run a
 * verified FILL.
 *
 * Inputs: $VNPU_QFUZZ_ITERS (default 100000), seed $VNPU_QFUZZ_SEED.
 * Prints "# qfuzz: N device inputs".
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"

#include "vnpu_device.h"

#define FIRMWARE_DIR        "/usr/share/qemu"
#define VNPU_DEVFN          QPCI_DEVFN(4, 0)
#define WAIT_TIMEOUT_US     (30 * G_USEC_PER_SEC)
#define VA_BASE             0x10000000ull
#define NCTX                2
#define NQ                  2
#define QSIZE               8
#define NBUF                8
#define PAGE                VNPU_PAGE_SIZE
#define PTE_RW              (VNPU_PTE_VALID | VNPU_PTE_READ | VNPU_PTE_WRITE)

typedef struct Fz {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar bar;
    uint64_t ctxt;
    uint64_t pgd[NCTX];
    uint64_t ring[NQ], comp[NQ];
    uint32_t tail[NQ];
    /* per context: NBUF mapped pages at VA_BASE + i * 2 * PAGE */
    uint64_t buf_pa[NCTX][NBUF];
    uint64_t ptes[64];          /* guest addresses of PTE slots */
    unsigned nptes;
    GRand *rng;
    unsigned long inputs;
} Fz;

static uint32_t rd(Fz *f, uint32_t off)
{
    return qpci_io_readl(f->dev, f->bar, off);
}

static void wr(Fz *f, uint32_t off, uint32_t val)
{
    qpci_io_writel(f->dev, f->bar, off, val);
}

/* CTRL.RESET only requests the reset: wait until STATUS.READY is back. */
static void dev_reset(Fz *f)
{
    gint64 end = g_get_monotonic_time() + WAIT_TIMEOUT_US;

    wr(f, VNPU_REG_CTRL, VNPU_CTRL_RESET);
    while (!(rd(f, VNPU_REG_STATUS) & VNPU_STATUS_READY)) {
        g_assert(g_get_monotonic_time() < end);
        g_usleep(200);
    }
}

static uint32_t r32(Fz *f)
{
    return g_rand_int(f->rng);
}

static uint32_t below(Fz *f, uint32_t n)
{
    return g_rand_int_range(f->rng, 0, n);
}

static uint64_t r64(Fz *f)
{
    return ((uint64_t)r32(f) << 32) | r32(f);
}

/* A valid value most of the time, else an edge case or a flipped bit. */
static uint64_t mutate(Fz *f, uint64_t good)
{
    static const uint64_t edge[] = {
        0, 1, 7, 8, 0xfff, 0x1000, 0x7fffffff, 0x80000000, 0xffffffff,
        0x100000000ull, ~0ull, 1ull << 47, 0x8000000000000000ull,
    };

    switch (below(f, 6)) {
    case 0:
        return edge[below(f, G_N_ELEMENTS(edge))];
    case 1:
        return good ^ (1ull << below(f, 64));
    case 2:
        return r64(f);
    default:
        return good;
    }
}

static uint64_t alloc_zero(Fz *f, size_t size)
{
    uint64_t pa = guest_alloc(&f->alloc, size);

    g_assert(pa);
    qtest_memset(f->qts, pa, 0, size);
    return pa;
}

static uint64_t pte_slot(Fz *f, int ctx, uint64_t va, int leaf_level)
{
    uint64_t table = f->pgd[ctx];

    for (int l = 0; l < leaf_level; l++) {
        uint64_t slot = table + VNPU_PT_INDEX(va, l) * 8;
        uint64_t pte = qtest_readq(f->qts, slot);

        if (f->nptes < G_N_ELEMENTS(f->ptes)) {
            f->ptes[f->nptes++] = slot;
        }
        if (!(pte & VNPU_PTE_VALID)) {
            pte = alloc_zero(f, PAGE) | VNPU_PTE_VALID;
            qtest_writeq(f->qts, slot, pte);
        }
        table = pte & VNPU_PTE_ADDR_MASK;
    }
    return table + VNPU_PT_INDEX(va, leaf_level) * 8;
}

static uint64_t buf_va(int i)
{
    return VA_BASE + i * 2 * PAGE;
}

/* Context table, page tables, buffers, queues; device enabled. */
static void setup(Fz *f)
{
    f->nptes = 0;
    f->ctxt = alloc_zero(f, PAGE);
    for (int c = 0; c < NCTX; c++) {
        f->pgd[c] = alloc_zero(f, PAGE);
        qtest_writeq(f->qts, f->ctxt + c * 16, f->pgd[c]);
        qtest_writel(f->qts, f->ctxt + c * 16 + 8, VNPU_CTX_VALID);
        for (int i = 0; i < NBUF; i++) {
            uint64_t slot = pte_slot(f, c, buf_va(i), 3);

            f->buf_pa[c][i] = alloc_zero(f, PAGE);
            qtest_writeq(f->qts, slot, f->buf_pa[c][i] | PTE_RW);
            if (f->nptes < G_N_ELEMENTS(f->ptes)) {
                f->ptes[f->nptes++] = slot;
            }
        }
    }
    wr(f, VNPU_REG_CTXT_BASE_LO, f->ctxt);
    wr(f, VNPU_REG_CTXT_BASE_HI, f->ctxt >> 32);
    wr(f, VNPU_REG_CTXT_SIZE, NCTX);
    for (int q = 0; q < NQ; q++) {
        uint32_t base = VNPU_REG_Q(q);

        f->tail[q] = 0;
        f->ring[q] = alloc_zero(f, QSIZE * sizeof(struct vnpu_desc));
        f->comp[q] = alloc_zero(f, QSIZE * sizeof(struct vnpu_completion));
        wr(f, base + VNPU_Q_RING_LO, f->ring[q]);
        wr(f, base + VNPU_Q_RING_HI, f->ring[q] >> 32);
        wr(f, base + VNPU_Q_COMP_LO, f->comp[q]);
        wr(f, base + VNPU_Q_COMP_HI, f->comp[q] >> 32);
        wr(f, base + VNPU_Q_SIZE, QSIZE);
        wr(f, base + VNPU_Q_CTRL, VNPU_QCTRL_ENABLE);
    }
    wr(f, VNPU_REG_CTRL, VNPU_CTRL_ENABLE);
}

/* Write a command buffer into buffer page @i of context @ctx; its length. */
static uint32_t put_cmds(Fz *f, int ctx, int i, bool valid)
{
    uint8_t b[256] = { 0 };
    uint32_t len = 0;
    int n = 1 + below(f, 4);

    for (int k = 0; k < n && len + 32 <= sizeof(b); k++) {
        uint64_t dst = mutate(f, buf_va(below(f, NBUF)) + below(f, 64) * 8);
        uint64_t size = mutate(f, 8 * (1 + below(f, 64)));
        uint16_t op = below(f, 4) ? below(f, 4) : below(f, VNPU_OP_COUNT + 4);

        if (valid && size > 512) {
            size = 512;
        }
        stw_le_p(b + len, op);
        stw_le_p(b + len + 2, op == VNPU_OP_NOP ? 1 :
                 op == VNPU_OP_TIMESTAMP ? 2 : 4);
        stq_le_p(b + len + 8, dst);
        stq_le_p(b + len + 16, op == VNPU_OP_COPY ? dst : size);
        stq_le_p(b + len + 24, op == VNPU_OP_COPY ? size : r32(f));
        len += 8 * lduw_le_p(b + len + 2);
    }
    if (!valid) {
        for (int k = below(f, 4); k > 0; k--) {
            b[below(f, MAX(len, 1))] = r32(f);
        }
    }
    qtest_memwrite(f->qts, f->buf_pa[ctx][i], b, len);
    return len;
}

static void fuzz_desc(Fz *f)
{
    int q = below(f, NQ), ctx = below(f, NCTX), i = below(f, NBUF);
    uint32_t len = put_cmds(f, ctx, i, below(f, 2));
    uint32_t slot = f->tail[q] % QSIZE;
    uint8_t d[64] = { 0 };

    stq_le_p(d, r64(f));
    stq_le_p(d + 8, mutate(f, buf_va(i)));
    stl_le_p(d + 16, mutate(f, len));
    stl_le_p(d + 20, mutate(f, ctx));
    /* never the hang flag: an engine that hangs is the reset's business */
    stl_le_p(d + 24, mutate(f, VNPU_DESC_F_IRQ) & ~VNPU_DESC_F_INJECT_HANG);
    if (!below(f, 8)) {
        stl_le_p(d + 28, r32(f));
        stq_le_p(d + 48, r64(f));
    }
    qtest_memwrite(f->qts, f->ring[q] + slot * 64, d, sizeof(d));
    f->tail[q]++;
    wr(f, VNPU_REG_DOORBELL(q),
       below(f, 8) ? f->tail[q] : (uint32_t)mutate(f, f->tail[q]));
}

static void fuzz_reg(Fz *f)
{
    /* registers (most), doorbells, the rest of the BAR */
    static const uint32_t regs[] = {
        VNPU_REG_CTRL, VNPU_REG_SCRATCH, VNPU_REG_IRQ_STATUS,
        VNPU_REG_IRQ_MASK, VNPU_REG_CTXT_BASE_LO, VNPU_REG_CTXT_BASE_HI,
        VNPU_REG_CTXT_SIZE, VNPU_REG_TLB_INV, VNPU_REG_FAULT_ACK,
        VNPU_REG_ENGINE_RESET, VNPU_REG_INJECT_DMA_FAIL_JOB,
        VNPU_REG_INJECT_MMU_FAULT_JOB, VNPU_REG_INJECT_DROP_IRQ,
        VNPU_REG_ID, VNPU_REG_STATUS,
    };
    uint32_t off;

    switch (below(f, 4)) {
    case 0:
        off = regs[below(f, G_N_ELEMENTS(regs))];
        break;
    case 1:
        off = VNPU_REG_Q(below(f, VNPU_MAX_QUEUES)) + below(f, 0x40 / 4) * 4;
        break;
    case 2:
        off = VNPU_REG_DOORBELL(below(f, VNPU_MAX_QUEUES));
        break;
    default:
        off = below(f, VNPU_BAR_REGS_SIZE / 4) * 4;
        break;
    }
    /* keep the hang flag and hang injection away, see fuzz_desc() */
    if (off == VNPU_REG_INJECT_CTRL || off == VNPU_REG_INJECT_HANG_JOB) {
        off = VNPU_REG_SCRATCH;
    }
    if (below(f, 4)) {
        wr(f, off, mutate(f, rd(f, off)));
    } else {
        rd(f, off);
    }
}

static void fuzz_pte(Fz *f)
{
    uint64_t slot = f->ptes[below(f, f->nptes)];
    uint64_t old = qtest_readq(f->qts, slot);

    qtest_writeq(f->qts, slot, mutate(f, old));
    if (below(f, 2)) {
        wr(f, VNPU_REG_TLB_INV, below(f, 2) ? r32(f) : below(f, NCTX));
    }
}

static void fuzz_ctxt(Fz *f)
{
    int c = below(f, NCTX + 1);

    qtest_writeq(f->qts, f->ctxt + c * 16, mutate(f, f->pgd[c % NCTX]));
    qtest_writel(f->qts, f->ctxt + c * 16 + 8, mutate(f, VNPU_CTX_VALID));
}

static void test_fuzz(void)
{
    const char *s = g_getenv("VNPU_QFUZZ_ITERS");
    const char *seed = g_getenv("VNPU_QFUZZ_SEED");
    unsigned long iters = s ? strtoul(s, NULL, 0) : 100000;
    Fz *f = g_new0(Fz, 1);
    uint8_t out[64];
    gint64 end;
    uint64_t cmd_va;

    f->rng = g_rand_new_with_seed(seed ? strtoul(seed, NULL, 0) : 0x5eed);
    f->qts = qtest_initf("-M q35 -m 256M -nodefaults %s "
                         "-device vnpu,addr=04.0",
                         g_file_test(FIRMWARE_DIR "/qboot.rom",
                                     G_FILE_TEST_EXISTS) ?
                         "-L " FIRMWARE_DIR " -bios qboot.rom" : "");
    pc_alloc_init(&f->alloc, f->qts, ALLOC_NO_FLAGS);
    f->bus = qpci_new_pc(f->qts, &f->alloc);
    f->dev = qpci_device_find(f->bus, VNPU_DEVFN);
    g_assert(f->dev);
    qpci_device_enable(f->dev);
    f->bar = qpci_iomap(f->dev, VNPU_BAR_REGS, NULL);
    setup(f);

    for (unsigned long n = 0; n < iters; n++) {
        switch (below(f, 10)) {
        case 0: case 1: case 2: case 3:
            fuzz_desc(f);
            break;
        case 4: case 5: case 6:
            fuzz_reg(f);
            break;
        case 7: case 8:
            fuzz_pte(f);
            break;
        default:
            fuzz_ctxt(f);
            break;
        }
        f->inputs++;
        /* QEMU must answer; the ID register never changes */
        if (n % 256 == 255) {
            g_assert_cmphex(rd(f, VNPU_REG_ID), ==, VNPU_ID_MAGIC);
        }
        /* now and then start again from a sane state */
        if (n % 4096 == 4095) {
            dev_reset(f);
            setup(f);
        }
    }
    g_test_message("qfuzz: %lu device inputs", f->inputs);

    /* After a reset and a fresh setup the device works. */
    dev_reset(f);
    g_assert_cmphex(rd(f, VNPU_REG_STATUS), ==, VNPU_STATUS_READY);
    setup(f);
    {
        uint8_t b[32] = { 0 };

        stw_le_p(b, VNPU_OP_FILL);
        stw_le_p(b + 2, 4);
        stq_le_p(b + 8, buf_va(1));
        stq_le_p(b + 16, sizeof(out));
        stl_le_p(b + 24, 0xc0ffee11);
        qtest_memwrite(f->qts, f->buf_pa[0][0], b, sizeof(b));
        cmd_va = buf_va(0);
    }
    {
        uint8_t d[64] = { 0 };

        stq_le_p(d, 0x1234);
        stq_le_p(d + 8, cmd_va);
        stl_le_p(d + 16, 32);
        stl_le_p(d + 20, 0);
        qtest_memwrite(f->qts, f->ring[0], d, sizeof(d));
        qtest_writel(f->qts, f->comp[0] + 8, VNPU_JOB_PENDING);
        wr(f, VNPU_REG_DOORBELL(0), 1);
    }
    end = g_get_monotonic_time() + WAIT_TIMEOUT_US;
    while (qtest_readl(f->qts, f->comp[0] + 8) == VNPU_JOB_PENDING) {
        g_assert(g_get_monotonic_time() < end);
        g_usleep(200);
    }
    g_assert_cmphex(qtest_readl(f->qts, f->comp[0] + 8), ==, VNPU_JOB_OK);
    qtest_memread(f->qts, f->buf_pa[0][1], out, sizeof(out));
    for (size_t i = 0; i < sizeof(out); i += 4) {
        g_assert_cmphex((uint32_t)ldl_le_p(out + i), ==, 0xc0ffee11);
    }

    g_free(f->dev);
    qpci_free_pc(f->bus);
    alloc_destroy(&f->alloc);
    qtest_quit(f->qts);
    g_rand_free(f->rng);
    g_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vnpu/fuzz", test_fuzz);
    return g_test_run();
}
