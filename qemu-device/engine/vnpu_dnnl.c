/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu command engine: oneDNN (libdnnl) matmul and convolution primitives.
 *
 * oneDNN picks its kernels for the CPU when a primitive is created (AMX
 * int8/bf16 tiles where the CPU has them, else AVX-512 or AVX2 with VNNI),
 * which takes 0.1 to 1 ms: each engine thread keeps its primitives for
 * the last VNPU_DNNL_CACHE shapes. A case whose best implementation is a
 * reference one ("ref:") is refused, so that the engine's own path runs.
 *
 * oneDNN threads with OpenMP, whose threads wait for each other by
 * spinning; that collapses when the host is oversubscribed (an engine
 * shares the cores with the vCPU threads). By default each engine thread
 * runs its primitives on one OpenMP thread (the ICV is per calling
 * thread); VNPU_ENGINE_DNNL_THREADS=N asks for N, VNPU_ENGINE_NO_DNNL
 * turns oneDNN off.
 */
#include <stdlib.h>
#include <string.h>

#include "vnpu_engine_int.h"
#include "vnpu_dnnl.h"

#ifdef VNPU_HAVE_DNNL
#include <omp.h>
#include <pthread.h>
#include <oneapi/dnnl/dnnl.h>

#define VNPU_DNNL_CACHE 64

enum { VNPU_DNNL_MATMUL = 1, VNPU_DNNL_CONV };

/* Everything a primitive depends on. */
typedef struct VnpuDnnlKey {
    int kind;
    int threads;
    int64_t v[32];
} VnpuDnnlKey;

typedef struct VnpuDnnlPrim {
    VnpuDnnlKey key;
    dnnl_primitive_t prim;
    dnnl_primitive_t wreorder;  /* conv: user weights -> prim's layout */
    dnnl_memory_t src, wei, bias, dst, wuser;
    size_t wsize;               /* conv: bytes of weights in prim's layout */
    uint64_t used;
} VnpuDnnlPrim;

typedef struct VnpuDnnlCtx {
    dnnl_engine_t eng;
    dnnl_stream_t str;
    uint64_t tick;
    VnpuDnnlPrim cache[VNPU_DNNL_CACHE];
} VnpuDnnlCtx;

static pthread_key_t vnpu_dnnl_key;
static pthread_once_t vnpu_dnnl_once = PTHREAD_ONCE_INIT;

static void vnpu_dnnl_prim_free(VnpuDnnlPrim *p)
{
    dnnl_memory_t *mems[] = { &p->src, &p->wei, &p->bias, &p->dst,
                              &p->wuser };

    if (p->prim) {
        dnnl_primitive_destroy(p->prim);
    }
    if (p->wreorder) {
        dnnl_primitive_destroy(p->wreorder);
    }
    for (unsigned i = 0; i < sizeof(mems) / sizeof(mems[0]); i++) {
        if (*mems[i]) {
            dnnl_memory_destroy(*mems[i]);
        }
    }
    memset(p, 0, sizeof(*p));
}

static void vnpu_dnnl_ctx_free(void *opaque)
{
    VnpuDnnlCtx *c = opaque;

    for (unsigned i = 0; i < VNPU_DNNL_CACHE; i++) {
        vnpu_dnnl_prim_free(&c->cache[i]);
    }
    if (c->str) {
        dnnl_stream_destroy(c->str);
    }
    if (c->eng) {
        dnnl_engine_destroy(c->eng);
    }
    free(c);
}

static void vnpu_dnnl_init_key(void)
{
    pthread_key_create(&vnpu_dnnl_key, vnpu_dnnl_ctx_free);
}

static int vnpu_dnnl_threads(void)
{
    const char *e = getenv("VNPU_ENGINE_DNNL_THREADS");
    int n = e ? atoi(e) : 1;

    return n > 0 ? n : 1;
}

/* This thread's context (NULL when oneDNN is off or fails). */
static VnpuDnnlCtx *vnpu_dnnl_ctx(void)
{
    VnpuDnnlCtx *c;

    if (getenv("VNPU_ENGINE_NO_DNNL")) {
        return NULL;
    }
    pthread_once(&vnpu_dnnl_once, vnpu_dnnl_init_key);
    c = pthread_getspecific(vnpu_dnnl_key);
    if (c) {
        return c;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        return NULL;
    }
    if (dnnl_engine_create(&c->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&c->str, c->eng, dnnl_stream_default_flags) !=
        dnnl_success || pthread_setspecific(vnpu_dnnl_key, c)) {
        vnpu_dnnl_ctx_free(c);
        return NULL;
    }
    return c;
}

/*
 * The cached primitive for @key, or the slot to build it in (prim NULL,
 * the least recently used one, emptied).
 */
static VnpuDnnlPrim *vnpu_dnnl_lookup(VnpuDnnlCtx *c, const VnpuDnnlKey *key)
{
    VnpuDnnlPrim *lru = &c->cache[0];

    for (unsigned i = 0; i < VNPU_DNNL_CACHE; i++) {
        VnpuDnnlPrim *p = &c->cache[i];

        if (p->prim && !memcmp(&p->key, key, sizeof(*key))) {
            p->used = ++c->tick;
            return p;
        }
        if (p->used < lru->used) {
            lru = p;
        }
    }
    vnpu_dnnl_prim_free(lru);
    lru->key = *key;
    lru->used = ++c->tick;
    return lru;
}

/*
 * Create the primitive of @pd in @p unless it is a reference kernel or
 * needs more bytes of its own (scratchpad: packed copies of operands) than
 * four times its operands @a, @b and @c plus 16 MiB, so that memory stays
 * bounded by the tensors a guest gives.
 */
static bool vnpu_dnnl_make(VnpuDnnlPrim *p, dnnl_primitive_desc_t pd,
                           const dnnl_memory_desc_t *a,
                           const dnnl_memory_desc_t *b,
                           const dnnl_memory_desc_t *c)
{
    uint64_t limit = 4 * (dnnl_memory_desc_get_size(a) +
                          dnnl_memory_desc_get_size(b) +
                          dnnl_memory_desc_get_size(c)) + (16u << 20);
    const char *impl = NULL;
    int64_t extra = 0;
    bool ok;

    ok = dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0,
                                   &impl) == dnnl_success &&
         impl && strncmp(impl, "ref", 3) &&
         dnnl_primitive_desc_query(pd, dnnl_query_memory_consumption_s64, 0,
                                   &extra) == dnnl_success &&
         extra >= 0 && (uint64_t)extra <= limit &&
         dnnl_primitive_create(&p->prim, pd) == dnnl_success;
    if (!ok) {
        p->prim = NULL;
    }
    return ok;
}

static bool vnpu_dnnl_mem(dnnl_memory_t *m, const dnnl_memory_desc_t *md,
                          dnnl_engine_t eng)
{
    return dnnl_memory_create(m, md, eng, DNNL_MEMORY_NONE) == dnnl_success;
}

static dnnl_data_type_t vnpu_dnnl_dt(unsigned dt)
{
    switch (dt) {
    case VNPU_DT_F32:
        return dnnl_f32;
    case VNPU_DT_BF16:
        return dnnl_bf16;
    case VNPU_DT_I8:
        return dnnl_s8;
    case VNPU_DT_U8:
        return dnnl_u8;
    case VNPU_DT_I32:
        return dnnl_s32;
    default:
        return dnnl_data_type_undef;
    }
}

static bool vnpu_dnnl_run(VnpuDnnlCtx *c, dnnl_primitive_t prim,
                          int nargs, const dnnl_exec_arg_t *args)
{
    return dnnl_primitive_execute(prim, c->str, nargs, args) ==
           dnnl_success && dnnl_stream_wait(c->str) == dnnl_success;
}

static bool vnpu_dnnl_build_matmul(VnpuDnnlCtx *c, VnpuDnnlPrim *p,
                                   const VnpuDnnlMatmul *m)
{
    dnnl_dims_t da = { m->M, m->K }, sa = { m->a_rs, m->a_cs };
    dnnl_dims_t db = { m->K, m->N }, sb = { m->b_rs, m->b_cs };
    dnnl_dims_t dc = { m->M, m->N }, sc = { m->c_rs, 1 };
    dnnl_memory_desc_t amd, bmd, cmd;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_desc_t pd;
    bool ok;

    if (dnnl_memory_desc_init_by_strides(&amd, 2, da, vnpu_dnnl_dt(m->a_dt),
                                         sa) != dnnl_success ||
        dnnl_memory_desc_init_by_strides(&bmd, 2, db, vnpu_dnnl_dt(m->b_dt),
                                         sb) != dnnl_success ||
        dnnl_memory_desc_init_by_strides(&cmd, 2, dc, vnpu_dnnl_dt(m->c_dt),
                                         sc) != dnnl_success ||
        dnnl_matmul_desc_init(&desc, &amd, &bmd, NULL, &cmd) !=
        dnnl_success ||
        dnnl_primitive_desc_create(&pd, &desc, NULL, c->eng, NULL) !=
        dnnl_success) {
        return false;
    }
    ok = vnpu_dnnl_make(p, pd, &amd, &bmd, &cmd) &&
         vnpu_dnnl_mem(&p->src, &amd, c->eng) &&
         vnpu_dnnl_mem(&p->wei, &bmd, c->eng) &&
         vnpu_dnnl_mem(&p->dst, &cmd, c->eng);
    dnnl_primitive_desc_destroy(pd);
    return ok;
}

bool vnpu_dnnl_matmul(const VnpuDnnlMatmul *m)
{
    VnpuDnnlCtx *c = vnpu_dnnl_ctx();
    VnpuDnnlKey key = { .kind = VNPU_DNNL_MATMUL };
    VnpuDnnlPrim *p;
    dnnl_exec_arg_t args[3];

    if (!c || m->M > INT32_MAX || m->N > INT32_MAX || m->K > INT32_MAX) {
        return false;
    }
    key.threads = vnpu_dnnl_threads();
    key.v[0] = m->a_dt;
    key.v[1] = m->b_dt;
    key.v[2] = m->c_dt;
    key.v[3] = m->M;
    key.v[4] = m->N;
    key.v[5] = m->K;
    key.v[6] = m->a_rs;
    key.v[7] = m->a_cs;
    key.v[8] = m->b_rs;
    key.v[9] = m->b_cs;
    key.v[10] = m->c_rs;
    omp_set_num_threads(key.threads);
    p = vnpu_dnnl_lookup(c, &key);
    if (!p->prim && !vnpu_dnnl_build_matmul(c, p, m)) {
        vnpu_dnnl_prim_free(p);
        return false;
    }
    if (dnnl_memory_set_data_handle(p->src, (void *)m->a) != dnnl_success ||
        dnnl_memory_set_data_handle(p->wei, (void *)m->b) != dnnl_success ||
        dnnl_memory_set_data_handle(p->dst, m->c) != dnnl_success) {
        return false;
    }
    args[0] = (dnnl_exec_arg_t){ DNNL_ARG_SRC, p->src };
    args[1] = (dnnl_exec_arg_t){ DNNL_ARG_WEIGHTS, p->wei };
    args[2] = (dnnl_exec_arg_t){ DNNL_ARG_DST, p->dst };
    return vnpu_dnnl_run(c, p->prim, 3, args);
}

static bool vnpu_dnnl_build_conv(VnpuDnnlCtx *c, VnpuDnnlPrim *p,
                                 const VnpuDnnlConv *cv)
{
    int64_t cg = cv->c / cv->groups, ocg = cv->oc / cv->groups;
    int64_t kk = cv->kh * cv->kw * cg;
    dnnl_dims_t sd = { cv->n, cv->c, cv->h, cv->w };
    dnnl_dims_t ss = { cv->in_s[0], cv->in_s[3], cv->in_s[1], cv->in_s[2] };
    dnnl_dims_t dd = { cv->n, cv->oc, cv->oh, cv->ow };
    dnnl_dims_t ds = { cv->out_s[0], cv->out_s[3], cv->out_s[1],
                       cv->out_s[2] };
    dnnl_dims_t wd5 = { cv->groups, ocg, cg, cv->kh, cv->kw };
    dnnl_dims_t ws5 = { ocg * kk, kk, 1, cv->kw * cg, cg };
    dnnl_dims_t bd = { cv->oc };
    dnnl_dims_t st = { cv->sh, cv->sw }, dil = { cv->dh - 1, cv->dw - 1 };
    dnnl_dims_t pl = { cv->pt, cv->pl }, pr = { cv->pb, cv->pr };
    dnnl_memory_desc_t smd, dmd, wumd, wmd, bmd;
    const dnnl_memory_desc_t *wq;
    dnnl_convolution_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    int nd = cv->groups > 1 ? 5 : 4;
    bool ok = false;

    if (nd == 4) {
        /* [oc, cg, kh, kw] without the group dimension */
        memmove(wd5, wd5 + 1, 4 * sizeof(wd5[0]));
        memmove(ws5, ws5 + 1, 4 * sizeof(ws5[0]));
    }
    if (dnnl_memory_desc_init_by_strides(&smd, 4, sd, dnnl_f32, ss) ||
        dnnl_memory_desc_init_by_strides(&dmd, 4, dd, dnnl_f32, ds) ||
        dnnl_memory_desc_init_by_strides(&wumd, nd, wd5, dnnl_f32, ws5) ||
        dnnl_memory_desc_init_by_tag(&wmd, nd, wd5, dnnl_f32,
                                     dnnl_format_tag_any) ||
        dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_a) ||
        dnnl_dilated_convolution_forward_desc_init(
            &desc, dnnl_forward_inference, dnnl_convolution_direct, &smd,
            &wmd, cv->bias ? &bmd : NULL, &dmd, st, dil, pl, pr) ||
        dnnl_primitive_attr_create(&attr) || dnnl_post_ops_create(&po)) {
        goto out;
    }
    if (cv->act == VNPU_ACT_RELU &&
        dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0, 0)) {
        goto out;
    }
    if (cv->act == VNPU_ACT_RELU6 &&
        dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, 0, 6)) {
        goto out;
    }
    if (dnnl_primitive_attr_set_post_ops(attr, po) ||
        dnnl_primitive_desc_create(&pd, &desc, attr, c->eng, NULL) ||
        !vnpu_dnnl_make(p, pd, &smd, &wumd, &dmd)) {
        goto out;
    }
    wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    p->wsize = wq ? dnnl_memory_desc_get_size(wq) : 0;
    ok = p->wsize &&
         dnnl_reorder_primitive_desc_create(&rpd, &wumd, c->eng, wq, c->eng,
                                            NULL) == dnnl_success &&
         dnnl_primitive_create(&p->wreorder, rpd) == dnnl_success &&
         vnpu_dnnl_mem(&p->wei, wq, c->eng) &&
         vnpu_dnnl_mem(&p->wuser, &wumd, c->eng) &&
         vnpu_dnnl_mem(&p->src, &smd, c->eng) &&
         vnpu_dnnl_mem(&p->dst, &dmd, c->eng) &&
         (!cv->bias || vnpu_dnnl_mem(&p->bias, &bmd, c->eng));
out:
    if (rpd) {
        dnnl_primitive_desc_destroy(rpd);
    }
    if (pd) {
        dnnl_primitive_desc_destroy(pd);
    }
    if (po) {
        dnnl_post_ops_destroy(po);
    }
    if (attr) {
        dnnl_primitive_attr_destroy(attr);
    }
    return ok;
}

bool vnpu_dnnl_conv(const VnpuDnnlConv *cv)
{
    VnpuDnnlCtx *c = vnpu_dnnl_ctx();
    VnpuDnnlKey key = { .kind = VNPU_DNNL_CONV };
    const uint64_t *g = &cv->n;
    VnpuDnnlPrim *p;
    dnnl_exec_arg_t args[4], rargs[2];
    unsigned i, n = 0;
    void *wbuf;
    bool ok;

    if (!c || (cv->act != VNPU_ACT_NONE && cv->act != VNPU_ACT_RELU &&
               cv->act != VNPU_ACT_RELU6)) {
        return false;
    }
    key.threads = vnpu_dnnl_threads();
    /* n .. pr: 18 consecutive uint64_t */
    for (i = 0; i < 18; i++) {
        if (g[i] > INT32_MAX) {
            return false;
        }
        key.v[i] = g[i];
    }
    for (unsigned j = 0; j < 4; j++) {
        key.v[i++] = cv->in_s[j];
        key.v[i++] = cv->out_s[j];
    }
    key.v[i++] = cv->bias != NULL;
    key.v[i++] = cv->act;
    omp_set_num_threads(key.threads);
    p = vnpu_dnnl_lookup(c, &key);
    if (!p->prim && !vnpu_dnnl_build_conv(c, p, cv)) {
        vnpu_dnnl_prim_free(p);
        return false;
    }
    rargs[0] = (dnnl_exec_arg_t){ DNNL_ARG_FROM, p->wuser };
    rargs[1] = (dnnl_exec_arg_t){ DNNL_ARG_TO, p->wei };
    args[n++] = (dnnl_exec_arg_t){ DNNL_ARG_SRC, p->src };
    args[n++] = (dnnl_exec_arg_t){ DNNL_ARG_WEIGHTS, p->wei };
    args[n++] = (dnnl_exec_arg_t){ DNNL_ARG_DST, p->dst };
    if (cv->bias) {
        args[n++] = (dnnl_exec_arg_t){ DNNL_ARG_BIAS, p->bias };
    }
    /*
     * The reordered weights live only for this call, and may not be much
     * larger than the user's (blocked layouts pad channels to 16): memory
     * stays bounded by the tensors a guest can give.
     */
    if (p->wsize > 4 * cv->oc * cv->kh * cv->kw * (cv->c / cv->groups) *
        sizeof(float) + (1u << 20)) {
        return false;
    }
    wbuf = aligned_alloc(64, (p->wsize + 63) & ~(size_t)63);
    ok = wbuf && !dnnl_memory_set_data_handle(p->wei, wbuf) &&
         !dnnl_memory_set_data_handle(p->wuser, (void *)cv->wt) &&
         !dnnl_memory_set_data_handle(p->src, (void *)cv->in) &&
         !dnnl_memory_set_data_handle(p->dst, cv->out) &&
         (!cv->bias ||
          !dnnl_memory_set_data_handle(p->bias, (void *)cv->bias)) &&
         vnpu_dnnl_run(c, p->wreorder, 2, rargs) &&
         vnpu_dnnl_run(c, p->prim, n, args);
    free(wbuf);
    return ok;
}

bool vnpu_dnnl_enabled(void)
{
    return !getenv("VNPU_ENGINE_NO_DNNL");
}

bool vnpu_dnnl_int8_exact(void)
{
    /*
     * oneDNN's int8 kernels accumulate exactly with VNNI (vpdpbusd) or AMX
     * tiles; below that (and when DNNL_MAX_CPU_ISA caps it there) they use
     * vpmaddubsw, whose int16 sums can saturate. The effective ISA is what
     * oneDNN will dispatch to on this CPU with that cap.
     */
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_avx512_core_vnni:
    case dnnl_cpu_isa_avx512_core_bf16:
    case dnnl_cpu_isa_avx512_core_amx:
    case dnnl_cpu_isa_avx2_vnni:
        return true;
    default:
        return false;
    }
}

#else /* !VNPU_HAVE_DNNL */

bool vnpu_dnnl_enabled(void)
{
    return false;
}

bool vnpu_dnnl_matmul(const VnpuDnnlMatmul *m)
{
    return false;
}

bool vnpu_dnnl_conv(const VnpuDnnlConv *cv)
{
    return false;
}

bool vnpu_dnnl_int8_exact(void)
{
    return false;
}

#endif
