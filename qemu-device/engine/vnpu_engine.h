/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu command engine: QEMU-free decoding and execution of one job.
 *
 * The engine never touches memory directly: every access to the job's
 * address space goes through VnpuMemOps, which maps a prefix of a device
 * virtual address range to a host pointer chunk, after the MMU and
 * permission checks. Compute ops ask for each operand's whole byte span:
 * when the implementation returns it in one chunk (a contiguous host view)
 * the op runs on it in place (zero-copy); otherwise the engine gathers the
 * operand page by page into a bounded buffer (vnpu_tensor.c). The QEMU
 * device implements
 * the callbacks with its MMU and guest RAM; the host unit tests implement
 * them with a fake flat memory. The MMU walk itself is also QEMU-free
 * (vnpu_mmu_walk) so that it can be tested on the host.
 *
 * All structures in guest memory are little-endian; the engine decodes
 * them byte by byte and works on any host.
 */
#ifndef VNPU_ENGINE_H
#define VNPU_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vnpu_device.h"

/* One host-addressable chunk of the job's address space. */
typedef struct VnpuMapping {
    void *host;         /* host pointer to the first byte */
    uint64_t len;       /* bytes usable at @host, 1 <= len <= requested */
    void *cookie;       /* for the implementation's unmap */
} VnpuMapping;

typedef struct VnpuMemOps {
    /*
     * Map a prefix of [va, va + len) for @access (one VNPU_ACCESS_*; the
     * engine uses VNPU_ACCESS_EXEC for command fetch). @len >= 1 and
     * va + len does not overflow. On success fill @map and return
     * VNPU_JOB_OK. Otherwise return VNPU_JOB_MMU_FAULT (translation or
     * permission failure at @va) or VNPU_JOB_DMA_ERROR (the translated
     * target is not accessible memory).
     */
    uint32_t (*map)(void *opaque, uint64_t va, uint64_t len,
                    unsigned access, VnpuMapping *map);
    /* Release @map; @done bytes were accessed (written, for WRITE). */
    void (*unmap)(void *opaque, VnpuMapping *map, unsigned access,
                  uint64_t done);
    /* Device clock in nanoseconds (TIMESTAMP). */
    uint64_t (*clock_ns)(void *opaque);
    /*
     * Optional: polled before each command, and while a command runs at
     * points where stopping is safe (SEM_WAIT polls, GEMM batches and row
     * blocks, convolution pixels or pixel blocks, every 2^20 elements of
     * the element-wise ops, every VNPU_POLL_BYTES of FILL and COPY, also
     * inside one large mapping). It may
     * be called from several engine threads at once, each with its own
     * @opaque. Returning true abandons the job with
     * VNPU_JOB_ABORTED (device reset); an abandoned command may have
     * written part of its output.
     */
    bool (*should_abort)(void *opaque);
} VnpuMemOps;

/* FILL and COPY poll should_abort after every this many bytes. */
#define VNPU_POLL_BYTES (UINT64_C(1) << 20)

typedef struct VnpuJobResult {
    uint32_t status;        /* VNPU_JOB_* */
    uint32_t cmd_index;     /* failing command, or 0 on success */
    uint32_t commands;      /* commands completed successfully */
    uint64_t bytes;         /* bytes written to the address space */
    uint64_t bytes_read;    /* bytes read (operands, semaphores, qparams) */
    uint64_t macs;          /* multiply-accumulates (GEMM, CONV2D) */
    /* The same, by the dtype of the first operand (VNPU_DT_*). */
    uint64_t macs_by_dtype[VNPU_DT_COUNT];
    /* Valid when status == VNPU_JOB_MMU_FAULT or VNPU_JOB_DMA_ERROR. */
    uint64_t fault_va;
    unsigned fault_access;  /* VNPU_ACCESS_* */
} VnpuJobResult;

/* Size in 8-byte words of opcode @op, or 0 if @op is unknown. */
unsigned vnpu_cmd_words(unsigned op);

/*
 * Check a descriptor's fields that do not depend on the context:
 * flags, reserved words, cmd_va alignment and cmd_size. @d is in host
 * order (see vnpu_desc_decode). Returns VNPU_JOB_OK or VNPU_JOB_BAD_DESC.
 */
uint32_t vnpu_desc_check(const struct vnpu_desc *d);

/* Decode a little-endian descriptor image into host order. */
void vnpu_desc_decode(const void *raw, struct vnpu_desc *d);

/* Encode a completion into its little-endian image. */
void vnpu_completion_encode(const struct vnpu_completion *c, void *raw);

/*
 * Run the command buffer [cmd_va, cmd_va + cmd_size) and fill @res.
 * The caller has validated the descriptor (vnpu_desc_check) and the
 * context. Commands are fetched with VNPU_ACCESS_EXEC, each one copied
 * before it is validated, so concurrent guest writes cannot change a
 * command between its check and its execution.
 */
void vnpu_engine_run(const VnpuMemOps *ops, void *opaque,
                     uint64_t cmd_va, uint32_t cmd_size,
                     VnpuJobResult *res);

/*
 * MMU: walk the 4-level page table rooted at @pgd for @va.
 * @read_pte reads the little-endian 8-byte entry at guest-physical @gpa
 * into *@pte (host order) and returns false if @gpa is not readable
 * memory.
 */
typedef bool (*VnpuReadPte)(void *opaque, uint64_t gpa, uint64_t *pte);

typedef struct VnpuXlate {
    uint64_t pa;            /* address @va translates to */
    uint64_t page_size;     /* VNPU_PAGE_SIZE or 2 MiB */
    uint64_t pte;           /* the leaf entry */
} VnpuXlate;

/* Permission bit a leaf needs for @access (VNPU_ACCESS_*). */
uint64_t vnpu_mmu_access_perm(unsigned access);

/*
 * Returns VNPU_JOB_OK and fills @x; VNPU_JOB_MMU_FAULT when @va is not
 * mapped or the leaf lacks the permission for @access (see
 * vnpu_mmu_access_perm); VNPU_JOB_DMA_ERROR when a table could not be
 * read. A leaf's VNPU_PTE_DEVMEM bit is reported in x->pte for the caller
 * to act on.
 */
uint32_t vnpu_mmu_walk(VnpuReadPte read_pte, void *opaque, uint64_t pgd,
                       uint64_t va, unsigned access, VnpuXlate *x);

/* Byte-order helpers shared with the device model. */
static inline uint64_t vnpu_ld64(const void *p)
{
    const uint8_t *b = p;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | b[i];
    }
    return v;
}

static inline uint32_t vnpu_ld32(const void *p)
{
    const uint8_t *b = p;
    return b[0] | (b[1] << 8) | (b[2] << 16) | ((uint32_t)b[3] << 24);
}

static inline uint16_t vnpu_ld16(const void *p)
{
    const uint8_t *b = p;
    return b[0] | (b[1] << 8);
}

static inline void vnpu_st64(void *p, uint64_t v)
{
    uint8_t *b = p;
    for (int i = 0; i < 8; i++) {
        b[i] = v >> (8 * i);
    }
}

static inline void vnpu_st32(void *p, uint32_t v)
{
    uint8_t *b = p;
    for (int i = 0; i < 4; i++) {
        b[i] = v >> (8 * i);
    }
}

#endif /* VNPU_ENGINE_H */
