/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu command engine: tensor descriptors (decoding, validation) and host
 * views of tensors.
 *
 * A tensor is reached through VnpuMemOps::map. When the device maps the
 * whole byte span in one chunk (it has a contiguous host view of the
 * context's address space), the op works on guest memory directly: the
 * zero-copy path. Otherwise the span is gathered into a scratch buffer
 * (and scattered back for outputs); the span is capped at
 * VNPU_TENSOR_MAX_BYTES, so the engine never allocates a guest-chosen
 * amount of memory beyond that cap per operand.
 */
#include <stdlib.h>

#include "vnpu_engine_int.h"

unsigned vnpu_dtype_size(unsigned dt)
{
    switch (dt) {
    case VNPU_DT_F32:
    case VNPU_DT_I32:
        return 4;
    case VNPU_DT_BF16:
        return 2;
    case VNPU_DT_I8:
    case VNPU_DT_U8:
        return 1;
    default:
        return 0;
    }
}

void vnpu_dtype_range(unsigned dt, double *lo, double *hi)
{
    switch (dt) {
    case VNPU_DT_I8:
        *lo = -128;
        *hi = 127;
        break;
    case VNPU_DT_U8:
        *lo = 0;
        *hi = 255;
        break;
    default:
        *lo = -2147483648.0;
        *hi = 2147483647.0;
        break;
    }
}

void vnpu_put_q(const VnpuTensor *t, uint8_t *p, double v, uint64_t ch)
{
    double lo, hi;

    vnpu_dtype_range(t->dtype, &lo, &hi);
    vnpu_sti(t->dtype, p, vnpu_round_sat(v / (double)vnpu_tscale(t, ch),
                                         vnpu_tzp(t, ch), lo, hi));
}

/* A quantisation scale/zero point pair is usable for dtype @dt. */
static bool vnpu_qparam_ok(unsigned dt, float scale, int32_t zp)
{
    double lo, hi;

    if (!isfinite(scale) || !(scale > 0)) {
        return false;
    }
    if (dt == VNPU_DT_I32) {
        return zp == 0;
    }
    vnpu_dtype_range(dt, &lo, &hi);
    return zp >= lo && zp <= hi;
}

static float vnpu_f32_bits(uint32_t u)
{
    float f;

    memcpy(&f, &u, 4);
    return f;
}

uint32_t vnpu_tensor_decode(const uint8_t *raw, bool optional, VnpuTensor *t)
{
    unsigned rank = raw[9], r;
    uint64_t last = 0, elems = 1;

    memset(t, 0, sizeof(*t));
    if (rank == 0) {
        for (unsigned i = 0; i < 64; i++) {
            if (raw[i]) {
                return VNPU_JOB_BAD_TENSOR;
            }
        }
        return optional ? VNPU_JOB_OK : VNPU_JOB_BAD_TENSOR;
    }
    if (rank > VNPU_TENSOR_MAX_RANK || vnpu_ld32(raw + 12)) {
        return VNPU_JOB_BAD_TENSOR;
    }
    for (unsigned i = rank; i < 4; i++) {
        if (vnpu_ld32(raw + 16 + 4 * i) || vnpu_ld32(raw + 32 + 4 * i)) {
            return VNPU_JOB_BAD_TENSOR;
        }
    }
    t->va = vnpu_ld64(raw);
    t->dtype = raw[8];
    t->rank = rank;
    t->qmode = raw[10];
    t->esize = vnpu_dtype_size(t->dtype);
    if (!t->esize) {
        return VNPU_JOB_BAD_DTYPE;
    }
    r = 4 - rank;
    for (unsigned i = 0; i < 4; i++) {
        t->shape[i] = 1;
        t->stride[i] = 0;
    }
    for (unsigned i = 0; i < rank; i++) {
        uint64_t n = vnpu_ld32(raw + 16 + 4 * i);
        uint64_t s = vnpu_ld32(raw + 32 + 4 * i);

        if (n == 0) {
            return VNPU_JOB_BAD_TENSOR;
        }
        t->shape[r + i] = n;
        t->stride[r + i] = s;
        /* Both factors < 2^32: the product fits; cap before summing. */
        if ((n - 1) * s > VNPU_TENSOR_MAX_BYTES) {
            return VNPU_JOB_BAD_TENSOR;
        }
        last += (n - 1) * s;
        elems *= n;
        if (elems > VNPU_TENSOR_MAX_BYTES) {
            return VNPU_JOB_BAD_TENSOR;
        }
    }
    if (t->va % t->esize || last > VNPU_TENSOR_MAX_BYTES ||
        (last + 1) * t->esize > VNPU_TENSOR_MAX_BYTES ||
        elems * t->esize > VNPU_TENSOR_MAX_BYTES) {
        return VNPU_JOB_BAD_TENSOR;
    }
    t->elems = elems;
    t->span = (last + 1) * t->esize;
    if (t->va + t->span < t->va) {
        return VNPU_JOB_BAD_TENSOR;
    }

    /* Quantisation. */
    t->scale = 1;
    switch (t->qmode) {
    case VNPU_QMODE_NONE:
        if (raw[11] || vnpu_ld32(raw + 48) || vnpu_ld32(raw + 52) ||
            vnpu_ld64(raw + 56)) {
            return VNPU_JOB_BAD_QUANT;
        }
        break;
    case VNPU_QMODE_TENSOR:
        t->scale = vnpu_f32_bits(vnpu_ld32(raw + 48));
        t->zp = (int32_t)vnpu_ld32(raw + 52);
        if (vnpu_dt_float(t->dtype) || raw[11] || vnpu_ld64(raw + 56) ||
            !vnpu_qparam_ok(t->dtype, t->scale, t->zp)) {
            return VNPU_JOB_BAD_QUANT;
        }
        break;
    case VNPU_QMODE_CHANNEL:
        t->qparams_va = vnpu_ld64(raw + 56);
        if (vnpu_dt_float(t->dtype) || raw[11] >= rank ||
            vnpu_ld32(raw + 48) || vnpu_ld32(raw + 52) ||
            t->qparams_va & 3) {
            return VNPU_JOB_BAD_QUANT;
        }
        t->qaxis = r + raw[11];
        t->nch = t->shape[t->qaxis];
        if (t->nch > VNPU_QCHANNELS_MAX ||
            t->qparams_va + t->nch * 8ull < t->qparams_va) {
            return VNPU_JOB_BAD_QUANT;
        }
        break;
    default:
        return VNPU_JOB_BAD_QUANT;
    }
    return VNPU_JOB_OK;
}

uint32_t vnpu_tensor_check_out(const VnpuTensor *t)
{
    unsigned idx[4], n = 0;

    for (unsigned i = 0; i < 4; i++) {
        if (t->shape[i] > 1) {
            idx[n++] = i;
        }
    }
    /* Sort the dimensions of extent > 1 by stride (insertion sort). */
    for (unsigned i = 1; i < n; i++) {
        for (unsigned j = i; j > 0 && t->stride[idx[j]] < t->stride[idx[j - 1]];
             j--) {
            unsigned x = idx[j];

            idx[j] = idx[j - 1];
            idx[j - 1] = x;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (t->stride[idx[i]] == 0) {
            return VNPU_JOB_BAD_TENSOR;
        }
        if (i > 0 && t->stride[idx[i]] <
            t->stride[idx[i - 1]] * t->shape[idx[i - 1]]) {
            return VNPU_JOB_BAD_TENSOR;
        }
    }
    return VNPU_JOB_OK;
}

bool vnpu_shape_eq(const VnpuTensor *a, const VnpuTensor *b)
{
    for (unsigned i = 0; i < 4; i++) {
        if (a->shape[i] != b->shape[i]) {
            return false;
        }
    }
    return true;
}

uint32_t vnpu_tensor_check_alias(const VnpuTensor *out, const VnpuTensor *in,
                                 bool inplace_ok)
{
    if (!in->rank || !out->rank) {
        return VNPU_JOB_OK;
    }
    if (out->va >= in->va + in->span || in->va >= out->va + out->span) {
        return VNPU_JOB_OK;
    }
    if (inplace_ok && out->va == in->va && out->esize == in->esize &&
        vnpu_shape_eq(out, in) &&
        !memcmp(out->stride, in->stride, sizeof(out->stride))) {
        return VNPU_JOB_OK;
    }
    return VNPU_JOB_BAD_TENSOR;
}

/*
 * Walk [va, va + len) chunk by chunk with @access; copy into @buf
 * (@to_buf), out of it (!@to_buf), or only check the mappings (@buf NULL).
 */
static uint32_t vnpu_xfer(VnpuRun *r, uint64_t va, uint8_t *buf, uint64_t len,
                          unsigned access, bool to_buf)
{
    uint64_t done = 0;

    while (done < len) {
        VnpuMapping m;
        uint32_t st = vnpu_map(r, va + done, len - done, access, &m);

        if (st != VNPU_JOB_OK) {
            return st;
        }
        if (buf && to_buf) {
            memcpy(buf + done, m.host, m.len);
        } else if (buf) {
            memcpy(m.host, buf + done, m.len);
        }
        r->ops->unmap(r->opaque, &m, access, buf ? m.len : 0);
        done += m.len;
    }
    return VNPU_JOB_OK;
}

uint32_t vnpu_read(VnpuRun *r, uint64_t va, void *buf, uint64_t len,
                   unsigned access)
{
    return vnpu_xfer(r, va, buf, len, access, true);
}

uint32_t vnpu_write(VnpuRun *r, uint64_t va, const void *buf, uint64_t len)
{
    return vnpu_xfer(r, va, (uint8_t *)buf, len, VNPU_ACCESS_WRITE, false);
}

static uint32_t vnpu_load_qparams(VnpuRun *r, VnpuTensor *t)
{
    uint8_t *raw;
    uint32_t st;

    t->ch_scale = malloc(t->nch * sizeof(float));
    t->ch_zp = malloc(t->nch * sizeof(int32_t));
    raw = malloc(t->nch * 8ull);
    if (!t->ch_scale || !t->ch_zp || !raw) {
        free(raw);
        return VNPU_JOB_DMA_ERROR;
    }
    st = vnpu_read(r, t->qparams_va, raw, t->nch * 8ull, VNPU_ACCESS_READ);
    if (st == VNPU_JOB_OK) {
        r->res->bytes_read += t->nch * 8ull;
        for (uint32_t c = 0; c < t->nch; c++) {
            t->ch_scale[c] = vnpu_f32_bits(vnpu_ld32(raw + 8 * c));
            t->ch_zp[c] = (int32_t)vnpu_ld32(raw + 8 * c + 4);
            if (!vnpu_qparam_ok(t->dtype, t->ch_scale[c], t->ch_zp[c])) {
                st = VNPU_JOB_BAD_QUANT;
                break;
            }
        }
    }
    free(raw);
    return st;
}

/* Unmap the runs an output holds; @done: write them back from t->base. */
static void vnpu_runs_release(VnpuRun *r, VnpuTensor *t, bool done)
{
    uint64_t off = 0;

    for (uint64_t i = 0; i < t->nruns; i++) {
        VnpuMapping *m = &t->runs[i];

        if (done) {
            memcpy(m->host, t->base + off, m->len);
        }
        r->ops->unmap(r->opaque, m, VNPU_ACCESS_WRITE, done ? m->len : 0);
        off += m->len;
    }
    free(t->runs);
    t->runs = NULL;
    t->nruns = 0;
}

/* The scratch path of vnpu_tensor_acquire: t->map is the first run. */
static uint32_t vnpu_gather(VnpuRun *r, VnpuTensor *t, unsigned access,
                            bool gaps)
{
    VnpuMapping m = t->map;
    uint64_t done = 0, cap = 0;
    uint32_t st = VNPU_JOB_OK;

    t->base = malloc(t->span);      /* span <= VNPU_TENSOR_MAX_BYTES */
    if (!t->base) {
        r->ops->unmap(r->opaque, &m, access, 0);
        return VNPU_JOB_DMA_ERROR;
    }
    t->scratch = true;
    for (;;) {
        if (!t->is_out || gaps) {
            memcpy(t->base + done, m.host, m.len);
        }
        if (t->is_out) {
            if (t->nruns == cap) {
                VnpuMapping *n;

                cap = cap ? 2 * cap : 16;
                n = realloc(t->runs, cap * sizeof(*n));
                if (!n) {
                    r->ops->unmap(r->opaque, &m, access, 0);
                    st = VNPU_JOB_DMA_ERROR;
                    break;
                }
                t->runs = n;
            }
            t->runs[t->nruns++] = m;
        } else {
            r->ops->unmap(r->opaque, &m, access, m.len);
        }
        done += m.len;
        if (done == t->span) {
            return VNPU_JOB_OK;
        }
        st = vnpu_map(r, t->va + done, t->span - done, access, &m);
        if (st != VNPU_JOB_OK) {
            break;
        }
    }
    vnpu_runs_release(r, t, false);
    free(t->base);
    t->base = NULL;
    t->scratch = false;
    return st;
}

uint32_t vnpu_tensor_acquire(VnpuRun *r, VnpuTensor *t, bool is_out)
{
    unsigned access = is_out ? VNPU_ACCESS_WRITE : VNPU_ACCESS_READ;
    bool gaps = t->span != t->elems * t->esize;
    uint32_t st;

    t->is_out = is_out;
    if (t->qmode == VNPU_QMODE_CHANNEL) {
        st = vnpu_load_qparams(r, t);
        if (st != VNPU_JOB_OK) {
            return st;
        }
    }
    st = vnpu_map(r, t->va, t->span, access, &t->map);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (t->map.len == t->span) {
        /* Zero-copy: the device gave us the whole span. */
        t->base = t->map.host;
        t->mapped = true;
        if (!is_out) {
            r->res->bytes_read += t->span;
        }
        return VNPU_JOB_OK;
    }
    /*
     * Gather in one pass, starting with the run just mapped: an input's
     * runs are copied and unmapped; an output's are kept (and copied when
     * there are bytes between its elements, which must survive) so that
     * release scatters into them without mapping again, and a fault shows
     * up before the op computes. The scratch buffer is allocated first;
     * a fault part way leaves only the pages touched so far in use.
     */
    st = vnpu_gather(r, t, access, gaps);
    if (st == VNPU_JOB_OK && !is_out) {
        r->res->bytes_read += t->span;
    }
    return st;
}

uint32_t vnpu_tensor_release(VnpuRun *r, VnpuTensor *t, bool commit)
{
    unsigned access = t->is_out ? VNPU_ACCESS_WRITE : VNPU_ACCESS_READ;
    uint32_t st = VNPU_JOB_OK;

    if (t->scratch) {
        vnpu_runs_release(r, t, t->is_out && commit);
        free(t->base);
    } else if (t->mapped) {
        r->ops->unmap(r->opaque, &t->map, access,
                      t->is_out && !commit ? 0 : t->span);
    }
    if (t->is_out && commit && st == VNPU_JOB_OK) {
        r->res->bytes += t->elems * t->esize;
    }
    free(t->ch_scale);
    free(t->ch_zp);
    t->ch_scale = NULL;
    t->ch_zp = NULL;
    t->base = NULL;
    t->scratch = t->mapped = false;
    return st;
}

uint32_t vnpu_tensors_acquire(VnpuRun *r, VnpuTensor **in, unsigned nin,
                              VnpuTensor *out)
{
    uint32_t st;

    for (unsigned i = 0; i < nin; i++) {
        if (in[i]->rank) {
            st = vnpu_tensor_acquire(r, in[i], false);
            if (st != VNPU_JOB_OK) {
                return st;
            }
        }
    }
    return vnpu_tensor_acquire(r, out, true);
}

uint32_t vnpu_tensors_release(VnpuRun *r, VnpuTensor **in, unsigned nin,
                              VnpuTensor *out, uint32_t st)
{
    uint32_t wst;

    for (unsigned i = 0; i < nin; i++) {
        vnpu_tensor_release(r, in[i], false);
    }
    wst = vnpu_tensor_release(r, out, st == VNPU_JOB_OK);
    return st != VNPU_JOB_OK ? st : wst;
}
