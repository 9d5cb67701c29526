/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu command engine: command decoding, validation and execution.
 * QEMU-free; see vnpu_engine.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "vnpu_engine_int.h"

#define VNPU_HDR_SIZE       8
#define VNPU_CMD_MAX_WORDS  36

_Static_assert(sizeof(struct vnpu_cmd_fill) == 32, "fill layout");
_Static_assert(sizeof(struct vnpu_cmd_copy) == 32, "copy layout");
_Static_assert(sizeof(struct vnpu_cmd_timestamp) == 16, "timestamp layout");
_Static_assert(sizeof(struct vnpu_cmd_sem) == 32, "sem layout");
_Static_assert(sizeof(struct vnpu_tensor) == 64, "tensor layout");
_Static_assert(sizeof(struct vnpu_qparam) == 8, "qparam layout");
_Static_assert(sizeof(struct vnpu_cmd_copy_nd) == 18 * 8, "copy_nd layout");
_Static_assert(sizeof(struct vnpu_cmd_gemm) == 34 * 8, "gemm layout");
_Static_assert(sizeof(struct vnpu_cmd_conv2d) == 36 * 8, "conv2d layout");
_Static_assert(sizeof(struct vnpu_cmd_eltwise) == 26 * 8, "eltwise layout");
_Static_assert(sizeof(struct vnpu_cmd_unary) == 18 * 8, "unary layout");
_Static_assert(sizeof(struct vnpu_cmd_norm) == 34 * 8, "norm layout");
_Static_assert(sizeof(struct vnpu_cmd_pool2d) == 20 * 8, "pool2d layout");
_Static_assert(sizeof(struct vnpu_cmd_convert) == 17 * 8, "convert layout");
_Static_assert(sizeof(struct vnpu_cmd_conv2d) <= VNPU_CMD_MAX_WORDS * 8,
               "the longest command fits the decode buffer");
_Static_assert(sizeof(struct vnpu_desc) == 64, "descriptor layout");
_Static_assert(sizeof(struct vnpu_completion) == 32, "completion layout");

unsigned vnpu_cmd_words(unsigned op)
{
    return vnpu_op_cmd_size(op) / 8;
}

void vnpu_desc_decode(const void *raw, struct vnpu_desc *d)
{
    const uint8_t *b = raw;

    d->tag = vnpu_ld64(b + 0);
    d->cmd_va = vnpu_ld64(b + 8);
    d->cmd_size = vnpu_ld32(b + 16);
    d->ctx = vnpu_ld32(b + 20);
    d->flags = vnpu_ld32(b + 24);
    d->rsvd0 = vnpu_ld32(b + 28);
    for (int i = 0; i < 4; i++) {
        d->rsvd[i] = vnpu_ld64(b + 32 + 8 * i);
    }
}

void vnpu_completion_encode(const struct vnpu_completion *c, void *raw)
{
    uint8_t *b = raw;

    vnpu_st64(b + 0, c->tag);
    vnpu_st32(b + 8, c->status);
    vnpu_st32(b + 12, c->cmd_index);
    vnpu_st64(b + 16, c->start_ns);
    vnpu_st64(b + 24, c->end_ns);
}

uint32_t vnpu_desc_check(const struct vnpu_desc *d)
{
    if (d->flags & ~VNPU_DESC_F_VALID_MASK) {
        return VNPU_JOB_BAD_DESC;
    }
    if (d->rsvd0 || d->rsvd[0] || d->rsvd[1] || d->rsvd[2] || d->rsvd[3]) {
        return VNPU_JOB_BAD_DESC;
    }
    if (d->cmd_va & 7 || d->cmd_size & 7 || d->cmd_size > VNPU_CMD_MAX_SIZE) {
        return VNPU_JOB_BAD_DESC;
    }
    if (d->cmd_size && d->cmd_va + d->cmd_size < d->cmd_va) {
        return VNPU_JOB_BAD_DESC;
    }
    return VNPU_JOB_OK;
}

uint32_t vnpu_map(VnpuRun *r, uint64_t va, uint64_t len,
                         unsigned access, VnpuMapping *m)
{
    uint32_t st;

    memset(m, 0, sizeof(*m));
    st = r->ops->map(r->opaque, va, len, access, m);
    if (st == VNPU_JOB_OK && (m->len == 0 || m->len > len || !m->host)) {
        /* A broken implementation must not make us loop or overrun. */
        if (m->host) {
            r->ops->unmap(r->opaque, m, access, 0);
        }
        st = VNPU_JOB_DMA_ERROR;
    }
    if (st != VNPU_JOB_OK) {
        r->res->fault_va = va;
        r->res->fault_access = access;
    }
    return st;
}

bool vnpu_poll_abort(VnpuRun *r)
{
    return r->ops->should_abort && r->ops->should_abort(r->opaque);
}

/* Write the repeating 4-byte @pat to @dst, starting at pattern byte @phase. */
static void vnpu_fill_bytes(uint8_t *dst, uint64_t len, const uint8_t pat[4],
                            unsigned phase)
{
    uint8_t tmpl[64];

    if (pat[0] == pat[1] && pat[0] == pat[2] && pat[0] == pat[3]) {
        memset(dst, pat[0], len);
        return;
    }
    for (unsigned i = 0; i < sizeof(tmpl); i++) {
        tmpl[i] = pat[(phase + i) & 3];
    }
    /* sizeof(tmpl) is a multiple of 4, so every block keeps the phase. */
    while (len >= sizeof(tmpl)) {
        memcpy(dst, tmpl, sizeof(tmpl));
        dst += sizeof(tmpl);
        len -= sizeof(tmpl);
    }
    memcpy(dst, tmpl, len);
}

static bool vnpu_range_bad(uint64_t addr, uint64_t size)
{
    return size > VNPU_XFER_MAX || addr + size < addr;
}

static uint64_t vnpu_min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint32_t vnpu_do_fill(VnpuRun *r, const uint8_t *cmd)
{
    uint64_t dst = vnpu_ld64(cmd + 8);
    uint64_t size = vnpu_ld64(cmd + 16);
    uint8_t pat[4];
    uint64_t done = 0;

    memcpy(pat, cmd + 24, 4);   /* little-endian: byte k is byte k */
    if (vnpu_ld32(cmd + 28) != 0 || vnpu_range_bad(dst, size)) {
        return VNPU_JOB_BAD_CMD;
    }
    while (done < size) {
        VnpuMapping m;
        uint32_t st = vnpu_map(r, dst + done, size - done, VNPU_ACCESS_WRITE,
                               &m);

        if (st != VNPU_JOB_OK) {
            return st;
        }
        for (uint64_t o = 0; o < m.len; o += VNPU_POLL_BYTES) {
            uint64_t n = vnpu_min64(m.len - o, VNPU_POLL_BYTES);

            if (o && vnpu_poll_abort(r)) {
                r->ops->unmap(r->opaque, &m, VNPU_ACCESS_WRITE, o);
                r->res->bytes += o;
                return VNPU_JOB_ABORTED;
            }
            vnpu_fill_bytes((uint8_t *)m.host + o, n, pat, (done + o) & 3);
        }
        r->ops->unmap(r->opaque, &m, VNPU_ACCESS_WRITE, m.len);
        done += m.len;
        r->res->bytes += m.len;
        if (done < size && vnpu_poll_abort(r)) {
            return VNPU_JOB_ABORTED;
        }
    }
    return VNPU_JOB_OK;
}

/*
 * A COPY of at least VNPU_STREAM_MIN bytes writes its destination with
 * non-temporal (streaming) stores, as a DMA engine writes memory without
 * going through the CPU's caches: no read-for-ownership of every
 * destination line, and the caches keep what the vCPUs use. glibc's
 * memmove does the same only above a threshold tied to the host's cache
 * size (tens of MiB), which the runs of a COPY (one mapping, at most
 * VNPU_POLL_BYTES per memmove) never reach. VNPU_ENGINE_NO_STREAM=1 in
 * QEMU's environment turns it off (for measurements).
 */
#define VNPU_STREAM_MIN (UINT64_C(4) << 20)
/*
 * ... and only in runs (one mapping) of at least this many bytes: the
 * unmap of each written run (dirty tracking: locked instructions) drains
 * the write-combining buffers, which costs more than streaming saves in
 * short runs such as single 4 KiB pages.
 */
#define VNPU_STREAM_RUN_MIN (UINT64_C(64) << 10)

#ifdef __SSE2__
static bool vnpu_stream_enabled(void)
{
    static int on = -1;     /* racy but idempotent */

    if (on < 0) {
        on = !getenv("VNPU_ENGINE_NO_STREAM");
    }
    return on;
}

/* 64 bytes from @src to the 16-byte aligned @dst, streaming. */
static inline void vnpu_stream_64(uint8_t *dst, const uint8_t *src)
{
    __m128i a = _mm_loadu_si128((const __m128i *)src);
    __m128i b = _mm_loadu_si128((const __m128i *)(src + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(src + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(src + 48));

    _mm_stream_si128((__m128i *)dst, a);
    _mm_stream_si128((__m128i *)(dst + 16), b);
    _mm_stream_si128((__m128i *)(dst + 32), c);
    _mm_stream_si128((__m128i *)(dst + 48), d);
}

/* Copy @n bytes to @dst, which does not overlap @src, with streaming stores. */
static void vnpu_stream_copy(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    uint64_t head = vnpu_min64(n, (16 - ((uintptr_t)dst & 15)) & 15);

    memcpy(dst, src, head);
    dst += head;
    src += head;
    n -= head;
    /*
     * 16 KiB at a time as four interleaved 4 KiB streams, with a prefetch
     * in each (as glibc's large copies do): about 25 % faster here than
     * one stream (a prefetch past the end of @src cannot fault).
     */
    for (; n >= 16384; n -= 16384, dst += 16384, src += 16384) {
        for (unsigned i = 0; i < 4096; i += 64) {
            for (unsigned k = 0; k < 16384; k += 4096) {
                _mm_prefetch((const char *)src + k + i + 256, _MM_HINT_T0);
                vnpu_stream_64(dst + k + i, src + k + i);
            }
        }
    }
    for (; n >= 64; n -= 64, dst += 64, src += 64) {
        vnpu_stream_64(dst, src);
    }
    for (; n >= 16; n -= 16, dst += 16, src += 16) {
        _mm_stream_si128((__m128i *)dst,
                         _mm_loadu_si128((const __m128i *)src));
    }
    memcpy(dst, src, n);
}

/* Order the streaming stores before whatever the device writes next. */
static void vnpu_stream_fence(void)
{
    _mm_sfence();
}
#else
static bool vnpu_stream_enabled(void)
{
    return false;
}

static void vnpu_stream_copy(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    memmove(dst, src, n);
}

static void vnpu_stream_fence(void)
{
}
#endif

/*
 * memmove @n bytes in VNPU_POLL_BYTES chunks, polling should_abort between
 * them; false when aborted. Distinct VAs may alias one page, so the chunks
 * go backwards when @dst overlaps the end of @src, like memmove; @stream
 * (streaming stores) applies only when they do not overlap.
 */
static bool vnpu_move_chunked(VnpuRun *r, uint8_t *dst, const uint8_t *src,
                              uint64_t n, bool stream)
{
    bool back = dst > src && dst < src + n;

    stream = stream && n >= VNPU_STREAM_RUN_MIN &&
             (dst >= src + n || src >= dst + n);
    for (uint64_t o = 0; o < n; o += VNPU_POLL_BYTES) {
        uint64_t c = vnpu_min64(n - o, VNPU_POLL_BYTES);
        uint64_t at = back ? n - o - c : o;

        if (o && vnpu_poll_abort(r)) {
            return false;
        }
        if (stream) {
            vnpu_stream_copy(dst + at, src + at, c);
        } else {
            memmove(dst + at, src + at, c);
        }
    }
    return true;
}

/* COPY: map the source and destination run by run and move the bytes. */
static uint32_t vnpu_copy_runs(VnpuRun *r, uint64_t src, uint64_t dst,
                               uint64_t size, bool stream)
{
    uint64_t done = 0;

    while (done < size) {
        VnpuMapping ms, md;
        uint64_t n;
        uint32_t st;

        st = vnpu_map(r, src + done, size - done, VNPU_ACCESS_READ, &ms);
        if (st != VNPU_JOB_OK) {
            return st;
        }
        st = vnpu_map(r, dst + done, ms.len, VNPU_ACCESS_WRITE, &md);
        if (st != VNPU_JOB_OK) {
            r->ops->unmap(r->opaque, &ms, VNPU_ACCESS_READ, 0);
            return st;
        }
        n = md.len;     /* <= ms.len */
        if (!vnpu_move_chunked(r, md.host, ms.host, n, stream)) {
            /* How much was written is unknown when copying backwards. */
            r->ops->unmap(r->opaque, &md, VNPU_ACCESS_WRITE, n);
            r->ops->unmap(r->opaque, &ms, VNPU_ACCESS_READ, n);
            return VNPU_JOB_ABORTED;
        }
        r->ops->unmap(r->opaque, &md, VNPU_ACCESS_WRITE, n);
        r->ops->unmap(r->opaque, &ms, VNPU_ACCESS_READ, n);
        done += n;
        r->res->bytes += n;
        if (done < size && vnpu_poll_abort(r)) {
            return VNPU_JOB_ABORTED;
        }
    }
    return VNPU_JOB_OK;
}

static uint32_t vnpu_do_copy(VnpuRun *r, const uint8_t *cmd)
{
    uint64_t src = vnpu_ld64(cmd + 8);
    uint64_t dst = vnpu_ld64(cmd + 16);
    uint64_t size = vnpu_ld64(cmd + 24);
    bool stream = size >= VNPU_STREAM_MIN && vnpu_stream_enabled();
    uint32_t st;

    if (vnpu_range_bad(src, size) || vnpu_range_bad(dst, size)) {
        return VNPU_JOB_BAD_CMD;
    }
    if (size && src < dst + size && dst < src + size) {
        return VNPU_JOB_BAD_CMD;
    }
    st = vnpu_copy_runs(r, src, dst, size, stream);
    if (stream) {
        /* Before the completion (or a later command) is written. */
        vnpu_stream_fence();
    }
    return st;
}

static uint32_t vnpu_do_timestamp(VnpuRun *r, const uint8_t *cmd)
{
    uint64_t dst = vnpu_ld64(cmd + 8);
    uint8_t val[8];
    uint64_t done = 0;

    if (dst & 7) {
        return VNPU_JOB_BAD_CMD;
    }
    vnpu_st64(val, r->ops->clock_ns(r->opaque));
    while (done < sizeof(val)) {
        VnpuMapping m;
        uint32_t st = vnpu_map(r, dst + done, sizeof(val) - done,
                               VNPU_ACCESS_WRITE, &m);

        if (st != VNPU_JOB_OK) {
            return st;
        }
        memcpy(m.host, val + done, m.len);
        r->ops->unmap(r->opaque, &m, VNPU_ACCESS_WRITE, m.len);
        done += m.len;
    }
    r->res->bytes += sizeof(val);
    return VNPU_JOB_OK;
}

/* Host monotonic clock, for SEM_WAIT's time limit. */
static uint64_t vnpu_host_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void vnpu_sleep_ns(uint64_t ns)
{
    struct timespec ts = { .tv_sec = ns / 1000000000ull,
                           .tv_nsec = ns % 1000000000ull };

    while (nanosleep(&ts, &ts) && errno == EINTR) {
        /* keep sleeping */
    }
}

/* Map the semaphore word; it is 4-byte aligned, so one chunk holds it. */
static uint32_t vnpu_sem_map(VnpuRun *r, uint64_t va, unsigned access,
                             VnpuMapping *m)
{
    uint32_t st = vnpu_map(r, va, 4, access, m);

    if (st == VNPU_JOB_OK && (m->len != 4 || ((uintptr_t)m->host & 3))) {
        r->ops->unmap(r->opaque, m, access, 0);
        r->res->fault_va = va;
        r->res->fault_access = access;
        st = VNPU_JOB_DMA_ERROR;
    }
    return st;
}

static uint32_t vnpu_sem_load(uint32_t *p)
{
    uint8_t b[4];
    uint32_t v = __atomic_load_n(p, __ATOMIC_ACQUIRE);

    memcpy(b, &v, 4);
    return vnpu_ld32(b);
}

static uint32_t vnpu_do_sem_wait(VnpuRun *r, const uint8_t *cmd)
{
    uint64_t va = vnpu_ld64(cmd + 8);
    uint32_t value = vnpu_ld32(cmd + 16), op = vnpu_ld32(cmd + 20);
    uint32_t tmo = vnpu_ld32(cmd + 24);
    uint64_t start, limit, nap = 1000;

    if (va & 3 || op > VNPU_SEM_GE || tmo > VNPU_SEM_TIMEOUT_MAX_US ||
        vnpu_ld32(cmd + 28)) {
        return VNPU_JOB_BAD_CMD;
    }
    limit = (tmo ? tmo : VNPU_SEM_TIMEOUT_MAX_US) * 1000ull;
    start = vnpu_host_ns();
    for (;;) {
        VnpuMapping m;
        uint32_t v, st;

        /* Map every time: the mapping may change while we wait. */
        st = vnpu_sem_map(r, va, VNPU_ACCESS_READ, &m);
        if (st != VNPU_JOB_OK) {
            return st;
        }
        v = vnpu_sem_load(m.host);
        r->ops->unmap(r->opaque, &m, VNPU_ACCESS_READ, 4);
        r->res->bytes_read += 4;
        if (op == VNPU_SEM_EQ ? v == value : v >= value) {
            return VNPU_JOB_OK;
        }
        if (vnpu_poll_abort(r)) {
            return VNPU_JOB_ABORTED;
        }
        if (vnpu_host_ns() - start >= limit) {
            return VNPU_JOB_SEM_TIMEOUT;
        }
        vnpu_sleep_ns(nap);
        if (nap < 100000) {
            nap *= 2;           /* back off to 100 us polls */
        }
    }
}

static uint32_t vnpu_do_sem_signal(VnpuRun *r, const uint8_t *cmd)
{
    uint64_t va = vnpu_ld64(cmd + 8);
    uint32_t value = vnpu_ld32(cmd + 16), op = vnpu_ld32(cmd + 20);
    VnpuMapping m;
    uint32_t st;
    uint8_t b[4];
    uint32_t v;

    if (va & 3 || op > VNPU_SEM_ADD || vnpu_ld32(cmd + 24) ||
        vnpu_ld32(cmd + 28)) {
        return VNPU_JOB_BAD_CMD;
    }
    if (op == VNPU_SEM_ADD) {
        /* A read-modify-write needs READ permission as well. */
        st = vnpu_sem_map(r, va, VNPU_ACCESS_READ, &m);
        if (st != VNPU_JOB_OK) {
            return st;
        }
        r->ops->unmap(r->opaque, &m, VNPU_ACCESS_READ, 0);
    }
    st = vnpu_sem_map(r, va, VNPU_ACCESS_WRITE, &m);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (op == VNPU_SEM_SET) {
        vnpu_st32(b, value);
        memcpy(&v, b, 4);
        __atomic_store_n((uint32_t *)m.host, v, __ATOMIC_RELEASE);
    } else {
        /* Little-endian host assumed for the atomic add (x86, arm64). */
        __atomic_fetch_add((uint32_t *)m.host, value, __ATOMIC_ACQ_REL);
    }
    r->ops->unmap(r->opaque, &m, VNPU_ACCESS_WRITE, 4);
    r->res->bytes += 4;
    return VNPU_JOB_OK;
}

void vnpu_engine_run(const VnpuMemOps *ops, void *opaque,
                     uint64_t cmd_va, uint32_t cmd_size,
                     VnpuJobResult *res)
{
    VnpuRun r = { .ops = ops, .opaque = opaque, .res = res };
    uint32_t off = 0, idx = 0;
    uint32_t st;

    memset(res, 0, sizeof(*res));
    while (off < cmd_size) {
        uint8_t cmd[VNPU_CMD_MAX_WORDS * 8];
        unsigned op, len, words;

        if (ops->should_abort && ops->should_abort(opaque)) {
            st = VNPU_JOB_ABORTED;
            goto fail;
        }
        if (cmd_size - off < VNPU_HDR_SIZE) {
            st = VNPU_JOB_BAD_CMD;
            goto fail;
        }
        st = vnpu_read(&r, cmd_va + off, cmd, VNPU_HDR_SIZE,
                       VNPU_ACCESS_EXEC);
        if (st != VNPU_JOB_OK) {
            goto fail;
        }
        op = vnpu_ld16(cmd);
        len = vnpu_ld16(cmd + 2);
        words = vnpu_cmd_words(op);
        if (!words) {
            st = VNPU_JOB_BAD_OPCODE;
            goto fail;
        }
        if (len != words || (uint64_t)len * 8 > cmd_size - off ||
            vnpu_ld32(cmd + 4) != 0) {
            st = VNPU_JOB_BAD_CMD;
            goto fail;
        }
        if (len > 1) {
            /* Fetch the whole command again: decode only this copy. */
            st = vnpu_read(&r, cmd_va + off, cmd, len * 8,
                           VNPU_ACCESS_EXEC);
            if (st != VNPU_JOB_OK) {
                goto fail;
            }
            if (vnpu_ld16(cmd) != op || vnpu_ld16(cmd + 2) != len ||
                vnpu_ld32(cmd + 4) != 0) {
                st = VNPU_JOB_BAD_CMD;
                goto fail;
            }
        }
        switch (op) {
        case VNPU_OP_NOP:
            st = VNPU_JOB_OK;
            break;
        case VNPU_OP_FILL:
            st = vnpu_do_fill(&r, cmd);
            break;
        case VNPU_OP_COPY:
            st = vnpu_do_copy(&r, cmd);
            break;
        case VNPU_OP_TIMESTAMP:
            st = vnpu_do_timestamp(&r, cmd);
            break;
        case VNPU_OP_BARRIER:
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            st = VNPU_JOB_OK;
            break;
        case VNPU_OP_SEM_WAIT:
            st = vnpu_do_sem_wait(&r, cmd);
            break;
        case VNPU_OP_SEM_SIGNAL:
            st = vnpu_do_sem_signal(&r, cmd);
            break;
        case VNPU_OP_COPY_ND:
            st = vnpu_op_copy_nd(&r, cmd);
            break;
        case VNPU_OP_GEMM:
            st = vnpu_op_gemm(&r, cmd);
            break;
        case VNPU_OP_CONV2D:
            st = vnpu_op_conv2d(&r, cmd);
            break;
        case VNPU_OP_ELTWISE:
            st = vnpu_op_eltwise(&r, cmd);
            break;
        case VNPU_OP_ACTIVATION:
            st = vnpu_op_activation(&r, cmd);
            break;
        case VNPU_OP_SOFTMAX:
            st = vnpu_op_softmax(&r, cmd);
            break;
        case VNPU_OP_LAYERNORM:
        case VNPU_OP_RMSNORM:
            st = vnpu_op_norm(&r, cmd, op == VNPU_OP_RMSNORM);
            break;
        case VNPU_OP_REDUCE:
            st = vnpu_op_reduce(&r, cmd);
            break;
        case VNPU_OP_POOL2D:
            st = vnpu_op_pool2d(&r, cmd);
            break;
        case VNPU_OP_QUANTIZE:
        case VNPU_OP_DEQUANTIZE:
        case VNPU_OP_CAST:
            st = vnpu_op_convert(&r, cmd, op);
            break;
        default:
            st = VNPU_JOB_BAD_OPCODE;
            break;
        }
        if (st != VNPU_JOB_OK) {
            goto fail;
        }
        off += len * 8;
        idx++;
        res->commands = idx;
    }
    res->status = VNPU_JOB_OK;
    res->cmd_index = 0;
    return;

fail:
    res->status = st;
    res->cmd_index = idx;
}

uint64_t vnpu_mmu_access_perm(unsigned access)
{
    /* Command fetch (EXEC) needs READ, per the MMU contract. */
    return access == VNPU_ACCESS_WRITE ? VNPU_PTE_WRITE : VNPU_PTE_READ;
}

uint32_t vnpu_mmu_walk(VnpuReadPte read_pte, void *opaque, uint64_t pgd,
                       uint64_t va, unsigned access, VnpuXlate *x)
{
    uint64_t table = pgd & VNPU_PTE_ADDR_MASK;
    uint64_t pte = 0, size = VNPU_PAGE_SIZE;

    if (va >> VNPU_VA_BITS) {
        return VNPU_JOB_MMU_FAULT;
    }
    for (int l = 0; l < VNPU_PT_LEVELS; l++) {
        uint64_t gpa = table + VNPU_PT_INDEX(va, l) * 8;

        if (!read_pte(opaque, gpa, &pte)) {
            return VNPU_JOB_DMA_ERROR;
        }
        if (!(pte & VNPU_PTE_VALID)) {
            return VNPU_JOB_MMU_FAULT;
        }
        if (l < 2 && (pte & VNPU_PTE_HUGE)) {
            return VNPU_JOB_MMU_FAULT;      /* no 512 GiB / 1 GiB pages */
        }
        if (l == 2 && (pte & VNPU_PTE_HUGE)) {
            size = 1ull << VNPU_HUGE_SHIFT;
            if (pte & VNPU_PTE_ADDR_MASK & (size - 1)) {
                return VNPU_JOB_MMU_FAULT;  /* misaligned huge page */
            }
            break;
        }
        table = pte & VNPU_PTE_ADDR_MASK;
    }
    if (!(pte & vnpu_mmu_access_perm(access))) {
        return VNPU_JOB_MMU_FAULT;
    }
    x->pte = pte;
    x->page_size = size;
    x->pa = (pte & VNPU_PTE_ADDR_MASK) + (va & (size - 1));
    return VNPU_JOB_OK;
}
