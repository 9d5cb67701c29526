/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnpu command engine: GEMM and CONV2D.
 *
 * F32 goes through OpenBLAS (cblas_sgemm): operands whose rows (or
 * columns) are contiguous are passed in place, others are packed; from
 * 2^24 MACs on, with VNPU_ENGINE_GEMM_THREADS=N, row panels are shared by
 * the engine thread and a pool of helper threads that each run
 * single-threaded oneDNN matmul (below). BF16 and
 * int8 GEMM use oneDNN's matmul (vnpu_dnnl.c: AMX or AVX-512 kernels) when
 * the engine is built with it and the CPU runs it exactly; otherwise BF16
 * operands are widened to binary32 for sgemm, and int8 uses int16
 * operands with the zero points subtracted and int32 (wrapping)
 * accumulation in a loop the compiler vectorises; int8 GEMM through
 * oneDNN accumulates the raw 8-bit products and applies the zero points
 * afterwards. Both give the same int32 sums. F32 convolutions use
 * oneDNN's convolution primitive on the tensors in place; without it
 * (or for BF16) a 1x1 stride-1 convolution is one sgemm in place, others
 * use im2col in blocks of output pixels (bounded scratch) and one sgemm
 * per group, and depthwise convolutions (one input channel per group) a
 * direct loop. Int8 convolutions use the int16 loop.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include <cblas.h>

#include "vnpu_engine_int.h"
#include "vnpu_dnnl.h"

/*
 * Work between two should_abort polls: GEMM row blocks of this many MACs;
 * convolutions and integer GEMM poll per output pixel or row.
 */
#define VNPU_GEMM_BLOCK_MACS (1u << 30)

/* Int8 GEMM: bytes of packed b columns reused across rows of a. */
#define VNPU_GEMM_INT_BLOCK_BYTES (128u << 10)

/* im2col scratch per block, in bytes (at least one pixel's column). */
#define VNPU_IM2COL_BYTES   (4u << 20)

/*
 * sum(a[i] * b[i]) modulo 2^32. Operands are differences of 8-bit values
 * (|x| <= 255), so a block of VNPU_DOT_BLOCK products cannot overflow an
 * int32: the compiler may use multiply-add instructions on each block.
 */
#define VNPU_DOT_BLOCK  32768

static VNPU_HOT int32_t vnpu_dot_i16(const int16_t *a, const int16_t *b,
                                     uint64_t n)
{
    uint32_t acc = 0;

    for (uint64_t i0 = 0; i0 < n; i0 += VNPU_DOT_BLOCK) {
        uint64_t m = n - i0 < VNPU_DOT_BLOCK ? n - i0 : VNPU_DOT_BLOCK;
        const int16_t *x = a + i0, *y = b + i0;
        int32_t s = 0;

        for (uint64_t i = 0; i < m; i++) {
            s += x[i] * y[i];
        }
        acc += (uint32_t)s;
    }
    return (int32_t)acc;
}

static inline float vnpu_getf(const VnpuTensor *t, const uint8_t *p)
{
    return t->dtype == VNPU_DT_F32 ? vnpu_ldf(p) :
           vnpu_bf16_to_f32(vnpu_ld16(p));
}

/* Pack the [rows, cols] matrix at byte offset @off (dims 2, 3) as f32. */
static void vnpu_pack_f32(const VnpuTensor *t, uint64_t off, uint64_t rows,
                          uint64_t cols, float *dst)
{
    const uint8_t *p = t->base + off;

    for (uint64_t i = 0; i < rows; i++) {
        for (uint64_t j = 0; j < cols; j++) {
            *dst++ = vnpu_getf(t, p + vnpu_toff(t, 0, 0, i, j));
        }
    }
}

/* Raw integer minus zero point, as int16 (I8/U8 only: fits). */
static inline int16_t vnpu_qdiff(const VnpuTensor *t, const uint8_t *p,
                                 uint64_t ch)
{
    return (int16_t)(vnpu_ldi(t->dtype, p) - vnpu_tzp(t, ch));
}

/* Float result of one output element: bias added, activation, stored. */
static inline void vnpu_store_f(const VnpuTensor *out, uint8_t *p, float acc,
                                const VnpuTensor *bias, uint64_t n,
                                unsigned act)
{
    if (bias->rank) {
        acc += vnpu_getf(bias, bias->base + vnpu_toff(bias, 0, 0, 0, n));
    }
    if (act != VNPU_ACT_NONE) {
        vnpu_put(out, p, vnpu_act(act, acc), 0);
    } else {
        vnpu_put(out, p, acc, 0);
    }
}

/* vnpu_store_f of an M x N float accumulator @C (row stride @ldc). */
static void vnpu_store_rows_f(const VnpuTensor *out, uint8_t *oc,
                              const float *C, uint64_t ldc, uint64_t M,
                              uint64_t N, const VnpuTensor *bias,
                              unsigned act)
{
    for (uint64_t m = 0; m < M; m++) {
        for (uint64_t n = 0; n < N; n++) {
            vnpu_store_f(out, oc + vnpu_toff(out, 0, 0, m, n),
                         C[m * ldc + n], bias, n, act);
        }
    }
}

/*
 * vnpu_store_f on a contiguous F32 row in place, for act NONE, RELU or
 * RELU6 (the same values: these are exact in binary32), with @bias a
 * dense F32 [n] or NULL: a loop the compiler vectorises.
 */
static VNPU_HOT void vnpu_row_f32(float *row, uint64_t n, const float *bias,
                                  unsigned act)
{
    for (uint64_t i = 0; i < n; i++) {
        float v = row[i] + (bias ? bias[i] : 0.0f);

        if (act != VNPU_ACT_NONE) {
            v = v > 0 ? v : 0;
        }
        if (act == VNPU_ACT_RELU6) {
            v = v > 6 ? 6 : v;
        }
        row[i] = v;
    }
}

/* Bias as a dense F32 array (NULL when absent or out of memory: *ok). */
static float *vnpu_bias_f32(const VnpuTensor *bias, uint64_t n, bool *ok)
{
    float *b;

    *ok = true;
    if (!bias->rank) {
        return NULL;
    }
    b = malloc(n * sizeof(float));
    if (!b) {
        *ok = false;
        return NULL;
    }
    for (uint64_t i = 0; i < n; i++) {
        b[i] = vnpu_getf(bias, bias->base + vnpu_toff(bias, 0, 0, 0, i));
    }
    return b;
}

/* Quantised result: DOC: Numerics of uapi/vnpu_device.h. */
static inline void vnpu_store_q(const VnpuTensor *out, uint8_t *p,
                                int32_t acc, double sab, uint64_t ch,
                                unsigned act)
{
    double v;

    if (out->dtype == VNPU_DT_I32) {
        vnpu_sti(VNPU_DT_I32, p, acc);
        return;
    }
    v = (double)acc * sab;
    v = vnpu_act(act, v);
    vnpu_put_q(out, p, v, ch);
}

/*
 * Dtype and quantisation rules shared by GEMM and CONV2D. @w is the
 * weight ("b"), @w_axis its per-channel axis, @out_axis out's.
 */
static uint32_t vnpu_mm_types(const VnpuTensor *a, const VnpuTensor *w,
                              const VnpuTensor *bias, const VnpuTensor *out,
                              unsigned act, unsigned w_axis, unsigned out_axis)
{
    unsigned bt = bias->rank ? bias->dtype : 0;

    switch (a->dtype) {
    case VNPU_DT_F32:
        if (w->dtype != VNPU_DT_F32 || out->dtype != VNPU_DT_F32 ||
            (bt && bt != VNPU_DT_F32)) {
            return VNPU_JOB_BAD_DTYPE;
        }
        return VNPU_JOB_OK;
    case VNPU_DT_BF16:
        if (w->dtype != VNPU_DT_BF16 || !vnpu_dt_float(out->dtype) ||
            (bt && !vnpu_dt_float(bt))) {
            return VNPU_JOB_BAD_DTYPE;
        }
        return VNPU_JOB_OK;
    case VNPU_DT_I8:
    case VNPU_DT_U8:
        if ((w->dtype != VNPU_DT_I8 && w->dtype != VNPU_DT_U8) ||
            vnpu_dt_float(out->dtype) || (bt && bt != VNPU_DT_I32)) {
            return VNPU_JOB_BAD_DTYPE;
        }
        if (out->dtype == VNPU_DT_I32 && act != VNPU_ACT_NONE) {
            return VNPU_JOB_BAD_DTYPE;
        }
        if (a->qmode == VNPU_QMODE_CHANNEL ||
            (w->qmode == VNPU_QMODE_CHANNEL && w->qaxis != w_axis) ||
            (out->qmode == VNPU_QMODE_CHANNEL && out->qaxis != out_axis) ||
            (out->dtype == VNPU_DT_I32 && out->qmode != VNPU_QMODE_NONE) ||
            (bias->rank && bias->qmode != VNPU_QMODE_NONE)) {
            return VNPU_JOB_BAD_QUANT;
        }
        return VNPU_JOB_OK;
    default:
        return VNPU_JOB_BAD_DTYPE;
    }
}

/*
 * Can @t's [rows, cols] matrix (dims 2, 3) go to sgemm unpacked? Row-major
 * with unit column stride (NoTrans), or unit row stride (Trans).
 */
static bool vnpu_blas_layout(const VnpuTensor *t, uint64_t rows,
                             uint64_t cols, CBLAS_TRANSPOSE *tr, int *ld)
{
    uint64_t l;

    if (t->dtype != VNPU_DT_F32) {
        return false;
    }
    l = rows == 1 ? cols : t->stride[2];
    if ((t->stride[3] == 1 || cols == 1) && l >= cols && l <= INT_MAX) {
        *tr = CblasNoTrans;
        *ld = l;
        return true;
    }
    l = cols == 1 ? rows : t->stride[3];
    if ((t->stride[2] == 1 || rows == 1) && l >= rows && l <= INT_MAX) {
        *tr = CblasTrans;
        *ld = l;
        return true;
    }
    return false;
}

/* Batch index @i of a dimension of extent @n (1 = broadcast). */
static inline uint64_t vnpu_bidx(uint64_t n, uint64_t i)
{
    return n == 1 ? 0 : i;
}

/* Strides (elements) of @t's matrix for oneDNN, false if it needs a copy. */
static bool vnpu_dnnl_layout(const VnpuTensor *t, uint64_t rows,
                             uint64_t cols, int64_t *rs, int64_t *cs)
{
    if (t->stride[3] == 1 || cols == 1) {
        *rs = rows == 1 ? cols : t->stride[2];
        *cs = 1;
        return *rs >= (int64_t)cols;
    }
    if (t->stride[2] == 1 || rows == 1) {
        *rs = 1;
        *cs = cols == 1 ? rows : t->stride[3];
        return *cs >= (int64_t)rows;
    }
    return false;
}

/*
 * BF16 GEMM through oneDNN's matmul (AMX or AVX-512 BF16 kernels): the
 * products of bf16 values are exact in binary32 and the sums are binary32,
 * as DOC: Numerics says. Operands with a unit stride in either dimension
 * are used in place, others packed; an F32 output with unit column stride
 * and no epilogue is written in place. *done is false when oneDNN cannot
 * run the case (the caller's path then computes everything).
 */
static uint32_t vnpu_gemm_bf16_dnnl(VnpuRun *r, VnpuTensor *a, VnpuTensor *b,
                                    VnpuTensor *bias, VnpuTensor *out,
                                    unsigned act, bool *done)
{
    uint64_t M = a->shape[2], K = a->shape[3], N = b->shape[3];
    VnpuDnnlMatmul mm = {
        .a_dt = VNPU_DT_BF16, .b_dt = VNPU_DT_BF16, .c_dt = VNPU_DT_F32,
        .N = N, .K = K,
    };
    bool da = vnpu_dnnl_layout(a, M, K, &mm.a_rs, &mm.a_cs);
    bool db = vnpu_dnnl_layout(b, K, N, &mm.b_rs, &mm.b_cs);
    bool dc = out->dtype == VNPU_DT_F32 && !bias->rank &&
              act == VNPU_ACT_NONE && (out->stride[3] == 1 || N == 1) &&
              (M == 1 || out->stride[2] >= N);
    uint16_t *pa = da ? NULL : malloc(M * K * sizeof(uint16_t));
    uint16_t *pb = db ? NULL : malloc(K * N * sizeof(uint16_t));
    float *pc = dc ? NULL : malloc(M * N * sizeof(float));
    uint64_t rows = VNPU_GEMM_BLOCK_MACS / (N * K);
    const uint8_t *last_b = NULL;
    uint32_t st = VNPU_JOB_OK;

    *done = false;
    if (rows == 0) {
        rows = 1;
    }
    if ((!da && !pa) || (!db && !pb) || (!dc && !pc)) {
        st = VNPU_JOB_DMA_ERROR;
        goto out;
    }
    if (!da) {
        mm.a_rs = K;
        mm.a_cs = 1;
    }
    if (!db) {
        mm.b_rs = N;
        mm.b_cs = 1;
    }
    for (uint64_t b0 = 0; b0 < out->shape[0]; b0++) {
        for (uint64_t b1 = 0; b1 < out->shape[1]; b1++) {
            const uint8_t *A = a->base +
                vnpu_toff(a, vnpu_bidx(a->shape[0], b0),
                          vnpu_bidx(a->shape[1], b1), 0, 0);
            const uint8_t *B = b->base +
                vnpu_toff(b, vnpu_bidx(b->shape[0], b0),
                          vnpu_bidx(b->shape[1], b1), 0, 0);
            uint8_t *oc = out->base + vnpu_toff(out, b0, b1, 0, 0);
            const uint16_t *pa0 = (const uint16_t *)A;
            float *C = dc ? (float *)oc : pc;
            int64_t ldc = dc ? (M == 1 ? N : out->stride[2]) : N;

            if (vnpu_poll_abort(r)) {
                st = VNPU_JOB_ABORTED;
                goto out;
            }
            if (!da) {
                for (uint64_t m = 0; m < M; m++) {
                    for (uint64_t k = 0; k < K; k++) {
                        pa[m * K + k] = vnpu_ld16(A +
                                                  vnpu_toff(a, 0, 0, m, k));
                    }
                }
                pa0 = pa;
            }
            mm.b = B;
            if (!db) {
                for (uint64_t k = 0;
                     k < K && ((b0 | b1) == 0 || B != last_b); k++) {
                    for (uint64_t n = 0; n < N; n++) {
                        pb[k * N + n] = vnpu_ld16(B +
                                                  vnpu_toff(b, 0, 0, k, n));
                    }
                }
                mm.b = pb;
            }
            last_b = B;
            /* Row blocks of at most VNPU_GEMM_BLOCK_MACS: polls between. */
            for (uint64_t m0 = 0; m0 < M; m0 += rows) {
                if (m0 && vnpu_poll_abort(r)) {
                    st = VNPU_JOB_ABORTED;
                    goto out;
                }
                mm.M = M - m0 < rows ? M - m0 : rows;
                mm.a = pa0 + m0 * mm.a_rs;
                mm.c = C + m0 * ldc;
                mm.c_rs = ldc;
                if (!vnpu_dnnl_matmul(&mm)) {
                    goto out;
                }
            }
            if (dc) {
                continue;
            }
            vnpu_store_rows_f(out, oc, C, ldc, M, N, bias, act);
        }
    }
    *done = true;
out:
    free(pa);
    free(pb);
    free(pc);
    return st;
}

/*
 * Panel pool: a large F32 GEMM is cut into row panels that the calling
 * engine thread and the pool's helper threads take from a shared counter,
 * each computing its panels with single-threaded oneDNN (one OpenMP
 * thread per caller, see vnpu_dnnl.c). Helpers sleep on a condition
 * variable between jobs and the caller sleeps until the helpers that
 * joined have left: nothing spins or yields, so a helper (or the caller)
 * that the host deschedules costs at most its own panel, while the others
 * take the remaining ones. (OpenBLAS's own threads wait for each other by
 * yielding at every block.) One job uses the pool at a time; another
 * engine thread that finds it busy computes its panels alone.
 *
 * Off by default: on the 2-core development host, shared with other
 * guests, OpenBLAS's threads were faster in the emulator (see
 * performance.rst, session 5). VNPU_ENGINE_GEMM_THREADS=N (read at every
 * job) turns it on with N threads per job, the caller included: at most
 * the online CPUs (or N if larger when the pool starts) and
 * VNPU_PANEL_THREADS_MAX.
 */
#define VNPU_PANEL_THREADS_MAX 8
/* GEMMs from this many MACs on use the panels; rows per panel at least. */
#define VNPU_PAR_MIN_MACS   (1u << 24)
#define VNPU_PAR_MIN_ROWS   32

typedef struct VnpuPool {
    pthread_mutex_t lock;
    pthread_cond_t work;        /* helpers: a new job */
    pthread_cond_t idle;        /* caller: the last helper left */
    unsigned helpers;
    bool busy;                  /* a caller owns the pool */
    bool open;                  /* helpers may still join the job */
    unsigned inside;            /* helpers in the job */
    unsigned limit;             /* helpers the job may have */
    uint64_t gen;
    void (*fn)(void *arg, uint64_t panel);
    void *arg;
    uint64_t npanels;
    atomic_uint_fast64_t next;
    atomic_bool stop;
} VnpuPool;

static VnpuPool vnpu_pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .idle = PTHREAD_COND_INITIALIZER,
};
static pthread_once_t vnpu_pool_once = PTHREAD_ONCE_INIT;

/* Take panels of the current job until there are none left (or stop). */
static void vnpu_pool_take(VnpuPool *p)
{
    uint64_t i;

    while (!atomic_load(&p->stop) &&
           (i = atomic_fetch_add(&p->next, 1)) < p->npanels) {
        p->fn(p->arg, i);
    }
}

static void *vnpu_pool_helper(void *opaque)
{
    VnpuPool *p = opaque;
    uint64_t seen = 0;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->gen == seen) {
            pthread_cond_wait(&p->work, &p->lock);
        }
        seen = p->gen;
        if (!p->open || p->inside >= p->limit) {
            continue;           /* the caller finished, or enough help */
        }
        p->inside++;
        pthread_mutex_unlock(&p->lock);
        vnpu_pool_take(p);
        pthread_mutex_lock(&p->lock);
        if (--p->inside == 0 && !p->open) {
            pthread_cond_signal(&p->idle);
        }
    }
    return NULL;
}

static void vnpu_pool_init(void)
{
    const char *e = getenv("VNPU_ENGINE_GEMM_THREADS");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    sigset_t all, old;

    /* More threads than CPUs only when asked for (caps apply per job). */
    if (e && atol(e) > n) {
        n = atol(e);
    }
    pthread_attr_t attr;

    if (n > VNPU_PANEL_THREADS_MAX) {
        n = VNPU_PANEL_THREADS_MAX;
    }
    if (n < 2 || pthread_attr_init(&attr)) {
        return;
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Signals are for the process's own threads (QEMU's), not these. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (long i = 0; i < n - 1; i++) {
        pthread_t t;

        if (pthread_create(&t, &attr, vnpu_pool_helper, &vnpu_pool)) {
            break;
        }
#ifdef __GLIBC__
        pthread_setname_np(t, "vnpu-gemm");
#endif
        vnpu_pool.helpers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

/*
 * Threads a panel job may use: the caller plus the pool's helpers, at most
 * VNPU_ENGINE_GEMM_THREADS as it is now (read at every job).
 */
static unsigned vnpu_pool_threads(void)
{
    const char *e = getenv("VNPU_ENGINE_GEMM_THREADS");
    long n = e ? atol(e) : 1;

    if (n < 2) {
        return 1;               /* off: no helper threads are started */
    }
    pthread_once(&vnpu_pool_once, vnpu_pool_init);
    return n < vnpu_pool.helpers + 1 ? n : vnpu_pool.helpers + 1;
}

/*
 * Run @fn(@arg, i) for i in [0, @npanels), on this thread and the pool's
 * helpers when the pool is free; poll @r for an abort before each of this
 * thread's panels. Returns VNPU_JOB_ABORTED if it stopped early.
 */
static uint32_t vnpu_pool_run(VnpuRun *r, void (*fn)(void *, uint64_t),
                              void *arg, uint64_t npanels, unsigned threads)
{
    VnpuPool *p = &vnpu_pool;
    bool own;
    uint64_t i;

    pthread_once(&vnpu_pool_once, vnpu_pool_init);
    pthread_mutex_lock(&p->lock);
    own = threads > 1 && p->helpers && !p->busy;
    if (own) {
        p->busy = p->open = true;
        p->limit = threads - 1;
        p->fn = fn;
        p->arg = arg;
        p->npanels = npanels;
        atomic_store(&p->next, 1);      /* panel 0 is this thread's */
        atomic_store(&p->stop, false);
        p->gen++;
        pthread_cond_broadcast(&p->work);
    }
    pthread_mutex_unlock(&p->lock);
    if (!own) {
        for (i = 0; i < npanels; i++) {
            if (vnpu_poll_abort(r)) {
                return VNPU_JOB_ABORTED;
            }
            fn(arg, i);
        }
        return VNPU_JOB_OK;
    }
    for (i = 0; i < npanels; i = atomic_fetch_add(&p->next, 1)) {
        if (vnpu_poll_abort(r)) {
            atomic_store(&p->stop, true);
            break;
        }
        fn(arg, i);
    }
    pthread_mutex_lock(&p->lock);
    p->open = false;
    while (p->inside) {
        pthread_cond_wait(&p->idle, &p->lock);
    }
    p->busy = false;
    pthread_mutex_unlock(&p->lock);
    return atomic_load(&p->stop) ? VNPU_JOB_ABORTED : VNPU_JOB_OK;
}

/* One F32 matrix product C = A * B cut into row panels. */
typedef struct VnpuSgemmPar {
    const float *A, *B;
    float *C;
    CBLAS_TRANSPOSE ta, tb;
    int lda, ldb, ldc;
    uint64_t M, N, K, rows;
} VnpuSgemmPar;

/*
 * Panel @i: oneDNN's single-threaded matmul, or sgemm when oneDNN is off
 * or cannot run the layout (the same sums within the F32 tolerance).
 */
static void vnpu_sgemm_panel(void *arg, uint64_t i)
{
    const VnpuSgemmPar *g = arg;
    uint64_t m0 = i * g->rows;
    uint64_t mb = g->M - m0 < g->rows ? g->M - m0 : g->rows;
    const float *A = g->A + m0 * (g->ta == CblasNoTrans ? g->lda : 1);
    VnpuDnnlMatmul mm = {
        .a_dt = VNPU_DT_F32, .b_dt = VNPU_DT_F32, .c_dt = VNPU_DT_F32,
        .M = mb, .N = g->N, .K = g->K, .a = A, .b = g->B,
        .c = g->C + m0 * g->ldc, .c_rs = g->ldc,
        .a_rs = g->ta == CblasNoTrans ? g->lda : 1,
        .a_cs = g->ta == CblasNoTrans ? 1 : g->lda,
        .b_rs = g->tb == CblasNoTrans ? g->ldb : 1,
        .b_cs = g->tb == CblasNoTrans ? 1 : g->ldb,
    };

    if (!vnpu_dnnl_matmul(&mm)) {
        cblas_sgemm(CblasRowMajor, g->ta, g->tb, mb, g->N, g->K, 1.0f, A,
                    g->lda, g->B, g->ldb, 0.0f, mm.c, g->ldc);
    }
}

/*
 * C = A * B over the panel pool; *done is false when the product is too
 * small to share, oneDNN is off, or the pool has no helpers (the caller
 * then calls sgemm with OpenBLAS's threads).
 */
static uint32_t vnpu_sgemm_par(VnpuRun *r, VnpuSgemmPar *g, bool *done)
{
    unsigned nt;
    uint64_t np;

    *done = false;
    if (g->M * g->N * g->K < VNPU_PAR_MIN_MACS ||
        g->M < 2 * VNPU_PAR_MIN_ROWS || !vnpu_dnnl_enabled()) {
        return VNPU_JOB_OK;
    }
    nt = vnpu_pool_threads();
    if (nt < 2) {
        return VNPU_JOB_OK;
    }
    /* Two panels per thread: a late thread costs at most half its share. */
    np = 2 * nt;
    g->rows = (g->M + np - 1) / np;
    if (g->rows < VNPU_PAR_MIN_ROWS) {
        g->rows = VNPU_PAR_MIN_ROWS;
    }
    np = (g->M + g->rows - 1) / g->rows;
    *done = true;
    return vnpu_pool_run(r, vnpu_sgemm_panel, g, np, nt);
}

static uint32_t vnpu_gemm_float(VnpuRun *r, VnpuTensor *a, VnpuTensor *b,
                                VnpuTensor *bias, VnpuTensor *out,
                                unsigned act)
{
    uint64_t M = a->shape[2], K = a->shape[3], N = b->shape[3];
    CBLAS_TRANSPOSE ta, tb;
    int lda, ldb, ldc;
    bool da = vnpu_blas_layout(a, M, K, &ta, &lda);
    bool db = vnpu_blas_layout(b, K, N, &tb, &ldb);
    bool dc = out->dtype == VNPU_DT_F32 && out->stride[3] == 1 &&
              (M == 1 || (out->stride[2] >= N && out->stride[2] <= INT_MAX));
    float *pa = NULL, *pb = NULL, *pc = NULL, *bv = NULL;
    bool bv_ok = false;
    uint64_t rows = VNPU_GEMM_BLOCK_MACS / (N * K);
    uint64_t last_ob = 0;
    uint32_t st = VNPU_JOB_OK;

    if (rows == 0) {
        rows = 1;
    }
    if (a->dtype == VNPU_DT_BF16) {
        bool done;

        st = vnpu_gemm_bf16_dnnl(r, a, b, bias, out, act, &done);
        if (done || st != VNPU_JOB_OK) {
            return st;
        }
    }
    pa = da ? NULL : malloc(M * K * sizeof(float));
    pb = db ? NULL : malloc(K * N * sizeof(float));
    pc = dc ? NULL : malloc(M * N * sizeof(float));
    bv = dc ? vnpu_bias_f32(bias, N, &bv_ok) : NULL;
    if ((!da && !pa) || (!db && !pb) || (!dc && !pc)) {
        st = VNPU_JOB_DMA_ERROR;
        goto out;
    }
    for (uint64_t b0 = 0; b0 < out->shape[0]; b0++) {
        for (uint64_t b1 = 0; b1 < out->shape[1]; b1++) {
            uint64_t oa = vnpu_toff(a, vnpu_bidx(a->shape[0], b0),
                                    vnpu_bidx(a->shape[1], b1), 0, 0);
            uint64_t ob = vnpu_toff(b, vnpu_bidx(b->shape[0], b0),
                                    vnpu_bidx(b->shape[1], b1), 0, 0);
            uint8_t *oc = out->base + vnpu_toff(out, b0, b1, 0, 0);
            const float *A, *B;
            VnpuSgemmPar par;
            bool pdone;
            float *C;

            if (vnpu_poll_abort(r)) {
                st = VNPU_JOB_ABORTED;
                goto out;
            }
            if (da) {
                A = (const float *)(a->base + oa);
            } else {
                vnpu_pack_f32(a, oa, M, K, pa);
                A = pa;
                ta = CblasNoTrans;
                lda = K;
            }
            if (db) {
                B = (const float *)(b->base + ob);
            } else {
                if (!(b0 | b1) || ob != last_ob) {
                    vnpu_pack_f32(b, ob, K, N, pb);
                }
                last_ob = ob;
                B = pb;
                tb = CblasNoTrans;
                ldb = N;
            }
            if (dc) {
                C = (float *)oc;
                ldc = M == 1 ? N : out->stride[2];
            } else {
                C = pc;
                ldc = N;
            }
            par = (VnpuSgemmPar){
                .A = A, .B = B, .C = C, .ta = ta, .tb = tb, .lda = lda,
                .ldb = ldb, .ldc = ldc, .M = M, .N = N, .K = K,
            };
            st = vnpu_sgemm_par(r, &par, &pdone);
            if (st != VNPU_JOB_OK) {
                goto out;
            }
            /* Row blocks of at most VNPU_GEMM_BLOCK_MACS: polls between. */
            for (uint64_t m0 = 0; !pdone && m0 < M; m0 += rows) {
                uint64_t mb = M - m0 < rows ? M - m0 : rows;

                if (m0 && vnpu_poll_abort(r)) {
                    st = VNPU_JOB_ABORTED;
                    goto out;
                }
                cblas_sgemm(CblasRowMajor, ta, tb, mb, N, K, 1.0f,
                            A + m0 * (ta == CblasNoTrans ? lda : 1), lda,
                            B, ldb, 0.0f, C + m0 * ldc, ldc);
            }
            if (dc && !bias->rank && act == VNPU_ACT_NONE) {
                continue;
            }
            if (dc && act <= VNPU_ACT_RELU6 && bv_ok) {
                for (uint64_t m = 0; m < M; m++) {
                    vnpu_row_f32(C + m * ldc, N, bv, act);
                }
                continue;
            }
            vnpu_store_rows_f(out, oc, C, ldc, M, N, bias, act);
        }
    }
out:
    free(pa);
    free(pb);
    free(pc);
    free(bv);
    return st;
}

/*
 * Integer GEMM epilogue: add the bias to the int32 sum of out[m][n] (in
 * the output matrix at @C) and requantise it to the output's dtype.
 */
static void vnpu_gemm_int_store(const VnpuTensor *a, const VnpuTensor *b,
                                const VnpuTensor *bias, VnpuTensor *out,
                                uint8_t *C, uint64_t m, uint64_t n,
                                uint32_t acc, unsigned act)
{
    if (bias->rank) {
        acc += (uint32_t)vnpu_ldi(VNPU_DT_I32, bias->base +
                                  vnpu_toff(bias, 0, 0, 0, n));
    }
    vnpu_store_q(out, C + vnpu_toff(out, 0, 0, m, n), (int32_t)acc,
                 (double)a->scale * (double)vnpu_tscale(b, n), n, act);
}

/*
 * Per-column requantisation constants of an int8 GEMM with an I8/U8
 * output: DOC: Numerics' r = acc * ((double)sa * (double)sb[c]), then
 * act, then r / (double)so[c], rint, + zo[c], saturate.
 */
typedef struct VnpuRequant {
    double *sab, *so, *zo;
    double lo, hi;
    unsigned act;
} VnpuRequant;

/*
 * vnpu_store_q for a row of @n accumulators into contiguous 8-bit
 * outputs, act NONE, RELU or RELU6: the same double operations in the
 * same order (the accumulators and scales are finite: no NaN), in a loop
 * the compiler vectorises.
 */
static VNPU_HOT void vnpu_requant_row(const VnpuRequant *q, const int32_t *acc,
                                      uint64_t n, uint8_t *dst)
{
    for (uint64_t i = 0; i < n; i++) {
        double r = (double)acc[i] * q->sab[i];
        double v;

        if (q->act != VNPU_ACT_NONE) {
            r = r > 0 ? r : 0;
        }
        if (q->act == VNPU_ACT_RELU6) {
            r = r > 6 ? 6 : r;
        }
        v = rint(r / q->so[i]) + q->zo[i];
        v = v < q->lo ? q->lo : v;
        v = v > q->hi ? q->hi : v;
        dst[i] = (uint8_t)(int32_t)v;
    }
}

/*
 * Int8 GEMM through oneDNN's matmul (vnpu_dnnl.c). With B' = B - cb, where
 * the shift cb (0, or 128 for U8 weights) makes b the I8 weights oneDNN
 * takes, za the zero point of a and zb' = zb - cb:
 *
 *   sum_k (A - za)(B - zb) = sum_k (A - za)(B' - zb')
 *     = AB' - zb' * rowsum(A) - za * colsum(B') + K * za * zb'
 *
 * evaluated modulo 2^32 like the loop. oneDNN's int32 sums of raw
 * products are exact while no partial sum can overflow (|AB'| terms are
 * at most 255 * 128, so K <= VNPU_DNNL_MAX_K), and without intermediate
 * saturation only on CPUs with VNNI or AMX; elsewhere the loop runs.
 * Operands with a unit stride in either dimension (and I8 weights) are
 * used in place, as is an I32 output with unit column stride.
 */
#define VNPU_DNNL_MAX_K 65536

static uint32_t vnpu_gemm_int_dnnl(VnpuRun *r, VnpuTensor *a, VnpuTensor *b,
                                   VnpuTensor *bias, VnpuTensor *out,
                                   unsigned act, bool *done)
{
    uint64_t M = a->shape[2], K = a->shape[3], N = b->shape[3];
    bool a_u8 = a->dtype == VNPU_DT_U8;
    int32_t cb = b->dtype == VNPU_DT_U8 ? 128 : 0;
    int32_t za = vnpu_tzp(a, 0);
    VnpuDnnlMatmul mm = {
        .a_dt = a->dtype, .b_dt = VNPU_DT_I8, .c_dt = VNPU_DT_I32,
        .M = M, .N = N, .K = K,
    };
    bool da = vnpu_dnnl_layout(a, M, K, &mm.a_rs, &mm.a_cs);
    bool db = b->dtype == VNPU_DT_I8 &&
              vnpu_dnnl_layout(b, K, N, &mm.b_rs, &mm.b_cs);
    bool dc = out->dtype == VNPU_DT_I32 && !bias->rank &&
              (out->stride[3] == 1 || N == 1) &&
              (M == 1 || out->stride[2] >= N);
    bool need_rs = false;
    uint8_t *pa = da ? NULL : malloc(M * K);
    int8_t *pb = db ? NULL : malloc(K * N);
    int32_t *pc = dc ? NULL : malloc(M * N * sizeof(int32_t));
    uint32_t *rs = malloc(M * sizeof(uint32_t));
    uint32_t *cs = malloc(N * sizeof(uint32_t));
    uint32_t *zb = malloc(N * sizeof(uint32_t));
    uint32_t *bi = NULL;
    VnpuRequant rq = { 0 };
    const uint8_t *last_b = NULL;
    uint32_t st = VNPU_JOB_OK;

    *done = false;
    if ((!da && !pa) || (!db && !pb) || (!dc && !pc) || !rs || !cs ||
        !zb) {
        st = VNPU_JOB_DMA_ERROR;
        goto out;
    }
    for (uint64_t n = 0; n < N; n++) {
        zb[n] = (uint32_t)(vnpu_tzp(b, n) - cb);
        need_rs |= zb[n] != 0;
    }
    /* Row-wise requantisation for contiguous 8-bit outputs. */
    if (!dc && out->dtype != VNPU_DT_I32 && act <= VNPU_ACT_RELU6 &&
        (out->stride[3] == 1 || N == 1)) {
        rq.sab = malloc(N * sizeof(double));
        rq.so = malloc(N * sizeof(double));
        rq.zo = malloc(N * sizeof(double));
        bi = malloc(N * sizeof(uint32_t));
        if (!rq.sab || !rq.so || !rq.zo || !bi) {
            st = VNPU_JOB_DMA_ERROR;
            goto out;
        }
        vnpu_dtype_range(out->dtype, &rq.lo, &rq.hi);
        rq.act = act;
        for (uint64_t n = 0; n < N; n++) {
            rq.sab[n] = (double)a->scale * (double)vnpu_tscale(b, n);
            rq.so[n] = (double)vnpu_tscale(out, n);
            rq.zo[n] = vnpu_tzp(out, n);
            bi[n] = bias->rank ? (uint32_t)vnpu_ldi(VNPU_DT_I32, bias->base +
                                   vnpu_toff(bias, 0, 0, 0, n)) : 0;
        }
    }
    for (uint64_t b0 = 0; b0 < out->shape[0]; b0++) {
        for (uint64_t b1 = 0; b1 < out->shape[1]; b1++) {
            const uint8_t *A = a->base +
                vnpu_toff(a, vnpu_bidx(a->shape[0], b0),
                          vnpu_bidx(a->shape[1], b1), 0, 0);
            const uint8_t *B = b->base +
                vnpu_toff(b, vnpu_bidx(b->shape[0], b0),
                          vnpu_bidx(b->shape[1], b1), 0, 0);
            uint8_t *C = out->base + vnpu_toff(out, b0, b1, 0, 0);
            bool new_b = (b0 | b1) == 0 || B != last_b;

            if (vnpu_poll_abort(r)) {
                st = VNPU_JOB_ABORTED;
                goto out;
            }
            mm.a = A;
            if (!da) {
                for (uint64_t m = 0; m < M; m++) {
                    for (uint64_t k = 0; k < K; k++) {
                        pa[m * K + k] = *(A + vnpu_toff(a, 0, 0, m, k));
                    }
                }
                mm.a = pa;
                mm.a_rs = K;
                mm.a_cs = 1;
            }
            /* Row sums of A (as U8 or I8) when a zero point of b needs them. */
            for (uint64_t m = 0; m < M && need_rs; m++) {
                const uint8_t *p = (const uint8_t *)mm.a + m * mm.a_rs;
                uint32_t sum = 0;

                if (mm.a_cs == 1 && a_u8) {
                    for (uint64_t k = 0; k < K; k++) {
                        sum += p[k];
                    }
                } else if (mm.a_cs == 1) {
                    for (uint64_t k = 0; k < K; k++) {
                        sum += (uint32_t)(int32_t)(int8_t)p[k];
                    }
                } else {
                    for (uint64_t k = 0; k < K; k++) {
                        uint8_t v = p[k * mm.a_cs];

                        sum += a_u8 ? v : (uint32_t)(int32_t)(int8_t)v;
                    }
                }
                rs[m] = sum;
            }
            /* B - cb as I8 (unless used in place); its column sums. */
            if (new_b) {
                mm.b = B;
                if (!db) {
                    for (uint64_t k = 0; k < K; k++) {
                        for (uint64_t n = 0; n < N; n++) {
                            pb[k * N + n] = (int8_t)(vnpu_ldi(b->dtype,
                                B + vnpu_toff(b, 0, 0, k, n)) - cb);
                        }
                    }
                    mm.b = pb;
                    mm.b_rs = N;
                    mm.b_cs = 1;
                }
                memset(cs, 0, N * sizeof(uint32_t));
                for (uint64_t k = 0; k < K && za; k++) {
                    const int8_t *p = (const int8_t *)mm.b + k * mm.b_rs;

                    for (uint64_t n = 0; n < N; n++) {
                        cs[n] += (uint32_t)(int32_t)p[n * mm.b_cs];
                    }
                }
            }
            last_b = B;
            mm.c = dc ? (void *)C : (void *)pc;
            mm.c_rs = dc ? (M == 1 ? N : out->stride[2]) : N;
            if (!vnpu_dnnl_matmul(&mm)) {
                /* the loop recomputes everything */
                goto out;
            }
            if (dc && !need_rs && !za) {
                continue;
            }
            for (uint64_t m = 0; m < M; m++) {
                int32_t *row = (int32_t *)mm.c + m * mm.c_rs;

                for (uint64_t n = 0; n < N; n++) {
                    uint32_t acc = (uint32_t)row[n] - zb[n] * rs[m] -
                                   (uint32_t)za * cs[n] +
                                   (uint32_t)K * (uint32_t)za * zb[n];

                    if (dc) {
                        row[n] = (int32_t)acc;
                    } else if (rq.sab) {
                        row[n] = (int32_t)(acc + bi[n]);
                    } else {
                        vnpu_gemm_int_store(a, b, bias, out, C, m, n, acc,
                                            act);
                    }
                }
                if (rq.sab) {
                    vnpu_requant_row(&rq, row, N,
                                     C + vnpu_toff(out, 0, 0, m, 0));
                }
            }
        }
    }
    *done = true;
out:
    free(pa);
    free(pb);
    free(pc);
    free(rs);
    free(cs);
    free(zb);
    free(bi);
    free(rq.sab);
    free(rq.so);
    free(rq.zo);
    return st;
}

static uint32_t vnpu_gemm_int(VnpuRun *r, VnpuTensor *a, VnpuTensor *b,
                              VnpuTensor *bias, VnpuTensor *out, unsigned act)
{
    uint64_t M = a->shape[2], K = a->shape[3], N = b->shape[3];
    int16_t *pa = malloc(M * K * sizeof(int16_t));
    int16_t *pb = malloc(N * K * sizeof(int16_t));
    const uint8_t *last_b = NULL;
    uint64_t nb = VNPU_GEMM_INT_BLOCK_BYTES / (K * sizeof(int16_t));
    uint32_t st = VNPU_JOB_OK;

    if (nb == 0) {
        nb = 1;
    }
    if (vnpu_dnnl_int8_exact() && K <= VNPU_DNNL_MAX_K) {
        bool done;

        st = vnpu_gemm_int_dnnl(r, a, b, bias, out, act, &done);
        if (done || st != VNPU_JOB_OK) {
            free(pa);
            free(pb);
            return st;
        }
    }

    if (!pa || !pb) {
        st = VNPU_JOB_DMA_ERROR;
        goto out;
    }
    for (uint64_t b0 = 0; b0 < out->shape[0]; b0++) {
        for (uint64_t b1 = 0; b1 < out->shape[1]; b1++) {
            const uint8_t *A = a->base +
                vnpu_toff(a, vnpu_bidx(a->shape[0], b0),
                          vnpu_bidx(a->shape[1], b1), 0, 0);
            const uint8_t *B = b->base +
                vnpu_toff(b, vnpu_bidx(b->shape[0], b0),
                          vnpu_bidx(b->shape[1], b1), 0, 0);
            uint8_t *C = out->base + vnpu_toff(out, b0, b1, 0, 0);

            for (uint64_t m = 0; m < M; m++) {
                for (uint64_t k = 0; k < K; k++) {
                    pa[m * K + k] = vnpu_qdiff(a, A + vnpu_toff(a, 0, 0, m, k),
                                               0);
                }
            }
            for (uint64_t k = 0; k < K && ((b0 | b1) == 0 || B != last_b);
                 k++) {
                for (uint64_t n = 0; n < N; n++) {
                    pb[n * K + k] = vnpu_qdiff(b, B + vnpu_toff(b, 0, 0, k, n),
                                               n);
                }
            }
            last_b = B;
            /* Blocks of b's columns that stay in cache across rows. */
            for (uint64_t i = 0; i < M * ((N + nb - 1) / nb); i++) {
                uint64_t m = i % M, n0 = i / M * nb;

                if (vnpu_poll_abort(r)) {
                    st = VNPU_JOB_ABORTED;
                    goto out;
                }
                for (uint64_t n = n0; n < N && n < n0 + nb; n++) {
                    uint32_t acc = vnpu_dot_i16(pa + m * K, pb + n * K, K);

                    vnpu_gemm_int_store(a, b, bias, out, C, m, n, acc, act);
                }
            }
        }
    }
out:
    free(pa);
    free(pb);
    return st;
}

uint32_t vnpu_op_gemm(VnpuRun *r, const uint8_t *cmd)
{
    VnpuTensor a, b, bias, out;
    VnpuTensor *in[] = { &a, &b, &bias };
    unsigned act = vnpu_ld32(cmd + VNPU_T3 + 64);
    uint64_t M, K, N;
    uint32_t st;

    if (act >= VNPU_ACT_COUNT || vnpu_ld32(cmd + VNPU_T3 + 68)) {
        return VNPU_JOB_BAD_CMD;
    }
    st = vnpu_tensor_decode(cmd + VNPU_T0, false, &a);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T1, false, &b);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T2, true, &bias);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T3, false, &out);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (a.rank < 2 || b.rank < 2 || out.rank < 2 ||
        (bias.rank && bias.rank != 1)) {
        return VNPU_JOB_BAD_TENSOR;
    }
    M = a.shape[2];
    K = a.shape[3];
    N = b.shape[3];
    if (b.shape[2] != K || out.shape[2] != M || out.shape[3] != N ||
        (bias.rank && bias.shape[3] != N)) {
        return VNPU_JOB_BAD_TENSOR;
    }
    for (unsigned i = 0; i < 2; i++) {
        if ((a.shape[i] != 1 && a.shape[i] != out.shape[i]) ||
            (b.shape[i] != 1 && b.shape[i] != out.shape[i])) {
            return VNPU_JOB_BAD_TENSOR;
        }
    }
    st = vnpu_tensor_check_out(&out);
    st = st ? st : vnpu_tensor_check_alias(&out, &a, false);
    st = st ? st : vnpu_tensor_check_alias(&out, &b, false);
    st = st ? st : vnpu_tensor_check_alias(&out, &bias, false);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    st = vnpu_mm_types(&a, &b, &bias, &out, act, 3, 3);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    st = vnpu_tensors_acquire(r, in, 3, &out);
    if (st == VNPU_JOB_OK) {
        if (vnpu_dt_float(a.dtype)) {
            st = vnpu_gemm_float(r, &a, &b, &bias, &out, act);
        } else {
            st = vnpu_gemm_int(r, &a, &b, &bias, &out, act);
        }
    }
    if (st == VNPU_JOB_OK) {
        uint64_t macs = out.shape[0] * out.shape[1] * M * N * K;

        r->res->macs += macs;
        r->res->macs_by_dtype[a.dtype] += macs;
    }
    return vnpu_tensors_release(r, in, 3, &out, st);
}

/* CONV2D geometry, validated. */
typedef struct VnpuConv {
    uint64_t n, h, w, c, oc, kh, kw, cg, ocg, oh, ow, kk;
    unsigned sh, sw, dh, dw, pt, pl, groups, act;
} VnpuConv;

/* Input pixel (ih, iw) of output (oh, ow) and tap (i, j); false if padding. */
static inline bool vnpu_conv_at(const VnpuConv *g, uint64_t oh, uint64_t ow,
                                uint64_t i, uint64_t j, uint64_t *ih,
                                uint64_t *iw)
{
    int64_t y = (int64_t)(oh * g->sh + i * g->dh) - g->pt;
    int64_t x = (int64_t)(ow * g->sw + j * g->dw) - g->pl;

    if (y < 0 || x < 0 || (uint64_t)y >= g->h || (uint64_t)x >= g->w) {
        return false;
    }
    *ih = y;
    *iw = x;
    return true;
}

/*
 * F32 convolution through oneDNN (vnpu_dnnl.c), on the tensors in place;
 * @w is the dense weights. Batches in blocks of VNPU_GEMM_BLOCK_MACS,
 * with a poll before each. Activations oneDNN does not apply exactly like the
 * engine are applied to the stored binary32 results afterwards (in double,
 * as vnpu_store_f does). *done is false when oneDNN cannot run the case.
 */
static uint32_t vnpu_conv_dnnl(VnpuRun *r, const VnpuConv *g, VnpuTensor *in,
                               const float *w, VnpuTensor *bias,
                               VnpuTensor *out, bool *done)
{
    bool post = g->act == VNPU_ACT_RELU || g->act == VNPU_ACT_RELU6;
    uint64_t per = g->oh * g->ow * g->oc * g->kk;
    uint64_t nb = per ? VNPU_GEMM_BLOCK_MACS / per : 1;
    float *bv = NULL;
    VnpuDnnlConv cv = {
        .h = g->h, .w = g->w, .c = g->c, .oc = g->oc, .kh = g->kh,
        .kw = g->kw, .oh = g->oh, .ow = g->ow, .groups = g->groups,
        .sh = g->sh, .sw = g->sw, .dh = g->dh, .dw = g->dw, .pt = g->pt,
        .pl = g->pl, .wt = w, .act = post ? g->act : VNPU_ACT_NONE,
    };

    *done = false;
    if (in->dtype != VNPU_DT_F32 || out->dtype != VNPU_DT_F32) {
        return VNPU_JOB_OK;
    }
    /* The padding past the last output pixel that the geometry needs. */
    cv.pb = (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1 - g->pt > g->h ?
            (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1 - g->pt - g->h : 0;
    cv.pr = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1 - g->pl > g->w ?
            (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1 - g->pl - g->w : 0;
    for (unsigned i = 0; i < 4; i++) {
        cv.in_s[i] = in->stride[i];
        cv.out_s[i] = out->stride[i];
    }
    if (bias->rank) {
        bv = malloc(g->oc * sizeof(float));
        if (!bv) {
            return VNPU_JOB_DMA_ERROR;
        }
        for (uint64_t o = 0; o < g->oc; o++) {
            bv[o] = vnpu_getf(bias, bias->base + vnpu_toff(bias, 0, 0, 0, o));
        }
        cv.bias = bv;
    }
    if (nb == 0) {
        nb = 1;
    }
    for (uint64_t n0 = 0; n0 < g->n; n0 += nb) {
        if (vnpu_poll_abort(r)) {
            free(bv);
            return VNPU_JOB_ABORTED;
        }
        cv.n = g->n - n0 < nb ? g->n - n0 : nb;
        cv.in = (const float *)(in->base + vnpu_toff(in, n0, 0, 0, 0));
        cv.out = (float *)(out->base + vnpu_toff(out, n0, 0, 0, 0));
        if (!vnpu_dnnl_conv(&cv)) {
            free(bv);
            return VNPU_JOB_OK;
        }
    }
    free(bv);
    for (uint64_t p = 0; !post && g->act != VNPU_ACT_NONE &&
         p < g->n * g->oh * g->ow; p++) {
        uint64_t n = p / (g->oh * g->ow), y = p / g->ow % g->oh;
        uint64_t x = p % g->ow;

        for (uint64_t o = 0; o < g->oc; o++) {
            uint8_t *op = out->base + vnpu_toff(out, n, y, x, o);

            vnpu_stf(op, vnpu_act(g->act, vnpu_ldf(op)));
        }
    }
    *done = true;
    return VNPU_JOB_OK;
}

/*
 * Pixel stride of an NHWC F32 tensor whose pixels are evenly spaced and
 * whose channels are contiguous (a [pixels, channels] matrix), else 0.
 */
static uint64_t vnpu_pix_stride(const VnpuTensor *t)
{
    uint64_t ps = t->shape[2] == 1 && t->shape[1] == 1 && t->shape[0] == 1 ?
                  t->shape[3] : t->stride[2];

    if (t->dtype != VNPU_DT_F32 || (t->stride[3] != 1 && t->shape[3] != 1) ||
        ps < t->shape[3] || ps > INT_MAX ||
        (t->shape[1] > 1 && t->stride[1] != t->shape[2] * ps) ||
        (t->shape[0] > 1 && t->stride[0] != t->shape[1] * t->shape[2] * ps)) {
        return 0;
    }
    return ps;
}

/*
 * A 1x1, stride 1, unpadded, ungrouped F32 convolution is one GEMM of the
 * [pixels, C] input by the [OC, C] weights: on the tensors in place (no
 * im2col), over the panel pool when it is large enough, else sgemm in row
 * blocks with polls between. With @shared, only the panel pool is tried
 * (oneDNN's convolution runs on one thread). *done is false when the
 * layouts do not allow it (or @shared and the pool does not take it).
 */
static uint32_t vnpu_conv_1x1(VnpuRun *r, const VnpuConv *g, VnpuTensor *in,
                              const float *w, VnpuTensor *bias,
                              VnpuTensor *out, bool shared, bool *done)
{
    uint64_t npix = g->n * g->oh * g->ow;
    uint64_t lda = vnpu_pix_stride(in), ldc = vnpu_pix_stride(out);
    uint64_t rows = VNPU_GEMM_BLOCK_MACS / (g->oc * g->c);
    const float *A = (const float *)in->base;
    float *Cm = (float *)out->base;
    VnpuSgemmPar par;
    bool pdone;
    uint32_t st;

    *done = false;
    if (g->kh != 1 || g->kw != 1 || g->sh != 1 || g->sw != 1 || g->pt ||
        g->pl || g->groups != 1 || g->oh != g->h || g->ow != g->w ||
        !lda || !ldc || npix > INT_MAX || g->c > INT_MAX) {
        return VNPU_JOB_OK;
    }
    if (rows == 0) {
        rows = 1;
    }
    par = (VnpuSgemmPar){
        .A = A, .B = w, .C = Cm, .ta = CblasNoTrans, .tb = CblasTrans,
        .lda = lda, .ldb = g->c, .ldc = ldc, .M = npix, .N = g->oc,
        .K = g->c,
    };
    st = vnpu_sgemm_par(r, &par, &pdone);
    if (st != VNPU_JOB_OK || (shared && !pdone)) {
        return st;
    }
    for (uint64_t m0 = 0; !pdone && m0 < npix; m0 += rows) {
        uint64_t mb = npix - m0 < rows ? npix - m0 : rows;

        if (vnpu_poll_abort(r)) {
            return VNPU_JOB_ABORTED;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, mb, g->oc,
                    g->c, 1.0f, A + m0 * lda, lda, w, g->c, 0.0f,
                    Cm + m0 * ldc, ldc);
    }
    if (bias->rank || g->act != VNPU_ACT_NONE) {
        bool fast = g->act <= VNPU_ACT_RELU6, ok;
        float *bv = fast ? vnpu_bias_f32(bias, g->oc, &ok) : NULL;

        for (uint64_t p = 0; p < npix; p++) {
            if (fast && ok) {
                vnpu_row_f32(Cm + p * ldc, g->oc, bv, g->act);
                continue;
            }
            for (uint64_t o = 0; o < g->oc; o++) {
                vnpu_store_f(out, (uint8_t *)(Cm + p * ldc + o),
                             Cm[p * ldc + o], bias, o, g->act);
            }
        }
        free(bv);
    }
    *done = true;
    return VNPU_JOB_OK;
}

static uint32_t vnpu_conv_float(VnpuRun *r, const VnpuConv *g, VnpuTensor *in,
                                VnpuTensor *wt, VnpuTensor *bias,
                                VnpuTensor *out)
{
    uint64_t npix = g->n * g->oh * g->ow;
    uint64_t blk = VNPU_IM2COL_BYTES / sizeof(float) / g->kk;
    float *w = malloc(g->oc * g->kk * sizeof(float));
    float *col = NULL, *tmp = NULL;
    uint32_t st = VNPU_JOB_OK;

    if (blk == 0) {
        blk = 1;
    }
    if (blk > npix) {
        blk = npix;
    }
    if (!w) {
        return VNPU_JOB_DMA_ERROR;
    }
    for (uint64_t o = 0; o < g->oc; o++) {
        for (uint64_t i = 0; i < g->kh; i++) {
            for (uint64_t j = 0; j < g->kw; j++) {
                for (uint64_t c = 0; c < g->cg; c++) {
                    w[((o * g->kh + i) * g->kw + j) * g->cg + c] =
                        vnpu_getf(wt, wt->base + vnpu_toff(wt, o, i, j, c));
                }
            }
        }
    }
    {
        bool done;

        st = vnpu_conv_1x1(r, g, in, w, bias, out, true, &done);
        if (done || st != VNPU_JOB_OK) {
            goto out;
        }
        st = vnpu_conv_dnnl(r, g, in, w, bias, out, &done);
        if (done || st != VNPU_JOB_OK) {
            goto out;
        }
        st = vnpu_conv_1x1(r, g, in, w, bias, out, false, &done);
        if (done || st != VNPU_JOB_OK) {
            goto out;
        }
    }
    if (g->cg == 1) {
        /* Depthwise-style: direct loop. */
        for (uint64_t p = 0; p < npix; p++) {
            uint64_t n = p / (g->oh * g->ow), y = p / g->ow % g->oh;
            uint64_t x = p % g->ow;

            if (vnpu_poll_abort(r)) {
                st = VNPU_JOB_ABORTED;
                goto out;
            }
            for (uint64_t o = 0; o < g->oc; o++) {
                uint64_t c = o / g->ocg, ih, iw;
                float acc = 0;

                for (uint64_t i = 0; i < g->kh; i++) {
                    for (uint64_t j = 0; j < g->kw; j++) {
                        if (vnpu_conv_at(g, y, x, i, j, &ih, &iw)) {
                            acc += vnpu_getf(in, in->base +
                                             vnpu_toff(in, n, ih, iw, c)) *
                                   w[(o * g->kh + i) * g->kw + j];
                        }
                    }
                }
                vnpu_store_f(out, out->base + vnpu_toff(out, n, y, x, o), acc,
                             bias, o, g->act);
            }
        }
        goto out;
    }
    col = malloc(blk * g->kk * sizeof(float));
    tmp = malloc(blk * g->ocg * sizeof(float));
    if (!col || !tmp) {
        st = VNPU_JOB_DMA_ERROR;
        goto out;
    }
    for (uint64_t p0 = 0; p0 < npix; p0 += blk) {
        uint64_t np = npix - p0 < blk ? npix - p0 : blk;

        if (vnpu_poll_abort(r)) {
            st = VNPU_JOB_ABORTED;
            goto out;
        }
        for (uint64_t gi = 0; gi < g->groups; gi++) {
            for (uint64_t q = 0; q < np; q++) {
                uint64_t p = p0 + q;
                uint64_t n = p / (g->oh * g->ow), y = p / g->ow % g->oh;
                uint64_t x = p % g->ow, ih, iw;
                float *cp = col + q * g->kk;

                for (uint64_t i = 0; i < g->kh; i++) {
                    for (uint64_t j = 0; j < g->kw; j++) {
                        if (!vnpu_conv_at(g, y, x, i, j, &ih, &iw)) {
                            memset(cp, 0, g->cg * sizeof(float));
                        } else {
                            const uint8_t *ip = in->base +
                                vnpu_toff(in, n, ih, iw, gi * g->cg);

                            for (uint64_t c = 0; c < g->cg; c++) {
                                cp[c] = vnpu_getf(in, ip + c * in->stride[3] *
                                                  in->esize);
                            }
                        }
                        cp += g->cg;
                    }
                }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, np, g->ocg,
                        g->kk, 1.0f, col, g->kk, w + gi * g->ocg * g->kk,
                        g->kk, 0.0f, tmp, g->ocg);
            for (uint64_t q = 0; q < np; q++) {
                uint64_t p = p0 + q;
                uint64_t n = p / (g->oh * g->ow), y = p / g->ow % g->oh;
                uint64_t x = p % g->ow;

                for (uint64_t j = 0; j < g->ocg; j++) {
                    uint64_t o = gi * g->ocg + j;

                    vnpu_store_f(out, out->base + vnpu_toff(out, n, y, x, o),
                                 tmp[q * g->ocg + j], bias, o, g->act);
                }
            }
        }
    }
out:
    free(w);
    free(col);
    free(tmp);
    return st;
}

static uint32_t vnpu_conv_int(VnpuRun *r, const VnpuConv *g, VnpuTensor *in,
                              VnpuTensor *wt, VnpuTensor *bias,
                              VnpuTensor *out)
{
    int16_t *w = malloc(g->oc * g->kk * sizeof(int16_t));
    int16_t *col = malloc(g->kk * sizeof(int16_t));
    uint64_t npix = g->n * g->oh * g->ow;
    uint32_t st = VNPU_JOB_OK;

    if (!w || !col) {
        st = VNPU_JOB_DMA_ERROR;
        goto out;
    }
    for (uint64_t o = 0; o < g->oc; o++) {
        for (uint64_t i = 0; i < g->kh; i++) {
            for (uint64_t j = 0; j < g->kw; j++) {
                for (uint64_t c = 0; c < g->cg; c++) {
                    w[((o * g->kh + i) * g->kw + j) * g->cg + c] =
                        vnpu_qdiff(wt, wt->base + vnpu_toff(wt, o, i, j, c),
                                   o);
                }
            }
        }
    }
    for (uint64_t p = 0; p < npix; p++) {
        uint64_t n = p / (g->oh * g->ow), y = p / g->ow % g->oh;
        uint64_t x = p % g->ow;

        if (vnpu_poll_abort(r)) {
            st = VNPU_JOB_ABORTED;
            goto out;
        }
        for (uint64_t gi = 0; gi < g->groups; gi++) {
            int16_t *cp = col;
            uint64_t ih, iw;

            /* Padding is the input's zero point: a difference of 0. */
            for (uint64_t i = 0; i < g->kh; i++) {
                for (uint64_t j = 0; j < g->kw; j++) {
                    if (!vnpu_conv_at(g, y, x, i, j, &ih, &iw)) {
                        memset(cp, 0, g->cg * sizeof(int16_t));
                    } else {
                        const uint8_t *ip = in->base +
                            vnpu_toff(in, n, ih, iw, gi * g->cg);

                        for (uint64_t c = 0; c < g->cg; c++) {
                            cp[c] = vnpu_qdiff(in, ip + c * in->stride[3] *
                                               in->esize, 0);
                        }
                    }
                    cp += g->cg;
                }
            }
            for (uint64_t j = 0; j < g->ocg; j++) {
                uint64_t o = gi * g->ocg + j;
                uint32_t acc = vnpu_dot_i16(col, w + o * g->kk, g->kk);

                if (bias->rank) {
                    acc += (uint32_t)vnpu_ldi(VNPU_DT_I32, bias->base +
                                       vnpu_toff(bias, 0, 0, 0, o));
                }
                vnpu_store_q(out, out->base + vnpu_toff(out, n, y, x, o),
                             (int32_t)acc,
                             (double)in->scale * (double)vnpu_tscale(wt, o),
                             o, g->act);
            }
        }
    }
out:
    free(w);
    free(col);
    return st;
}

uint32_t vnpu_op_conv2d(VnpuRun *r, const uint8_t *cmd)
{
    const uint8_t *p = cmd + VNPU_T3 + 64;
    VnpuTensor in, wt, bias, out;
    VnpuTensor *ins[] = { &in, &wt, &bias };
    VnpuConv g;
    unsigned ph, pw;
    int64_t eh, ew;
    uint32_t st;

    g.sh = vnpu_ld16(p);
    g.sw = vnpu_ld16(p + 2);
    g.dh = vnpu_ld16(p + 4);
    g.dw = vnpu_ld16(p + 6);
    g.pt = vnpu_ld16(p + 8);
    ph = vnpu_ld16(p + 10);
    g.pl = vnpu_ld16(p + 12);
    pw = vnpu_ld16(p + 14);
    g.groups = vnpu_ld32(p + 16);
    g.act = vnpu_ld32(p + 20);
    if (!g.sh || !g.sw || !g.dh || !g.dw || !g.groups ||
        g.act >= VNPU_ACT_COUNT || g.pt > VNPU_CONV_MAX_PAD ||
        ph > VNPU_CONV_MAX_PAD || g.pl > VNPU_CONV_MAX_PAD ||
        pw > VNPU_CONV_MAX_PAD) {
        return VNPU_JOB_BAD_CMD;
    }
    st = vnpu_tensor_decode(cmd + VNPU_T0, false, &in);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T1, false, &wt);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T2, true, &bias);
    st = st ? st : vnpu_tensor_decode(cmd + VNPU_T3, false, &out);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    if (in.rank != 4 || wt.rank != 4 || out.rank != 4 ||
        (bias.rank && bias.rank != 1)) {
        return VNPU_JOB_BAD_TENSOR;
    }
    g.n = in.shape[0];
    g.h = in.shape[1];
    g.w = in.shape[2];
    g.c = in.shape[3];
    g.oc = wt.shape[0];
    g.kh = wt.shape[1];
    g.kw = wt.shape[2];
    g.cg = wt.shape[3];
    if (g.c % g.groups || g.oc % g.groups) {
        return VNPU_JOB_BAD_CMD;
    }
    g.ocg = g.oc / g.groups;
    g.kk = g.kh * g.kw * g.cg;
    eh = (int64_t)g.h + g.pt + ph - (int64_t)g.dh * (g.kh - 1) - 1;
    ew = (int64_t)g.w + g.pl + pw - (int64_t)g.dw * (g.kw - 1) - 1;
    if (g.cg != g.c / g.groups || eh < 0 || ew < 0) {
        return VNPU_JOB_BAD_TENSOR;
    }
    g.oh = eh / g.sh + 1;
    g.ow = ew / g.sw + 1;
    if (out.shape[0] != g.n || out.shape[1] != g.oh || out.shape[2] != g.ow ||
        out.shape[3] != g.oc || (bias.rank && bias.shape[3] != g.oc)) {
        return VNPU_JOB_BAD_TENSOR;
    }
    st = vnpu_tensor_check_out(&out);
    st = st ? st : vnpu_tensor_check_alias(&out, &in, false);
    st = st ? st : vnpu_tensor_check_alias(&out, &wt, false);
    st = st ? st : vnpu_tensor_check_alias(&out, &bias, false);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    st = vnpu_mm_types(&in, &wt, &bias, &out, g.act, 0, 3);
    if (st != VNPU_JOB_OK) {
        return st;
    }
    st = vnpu_tensors_acquire(r, ins, 3, &out);
    if (st == VNPU_JOB_OK) {
        if (vnpu_dt_float(in.dtype)) {
            st = vnpu_conv_float(r, &g, &in, &wt, &bias, &out);
        } else {
            st = vnpu_conv_int(r, &g, &in, &wt, &bias, &out);
        }
    }
    if (st == VNPU_JOB_OK) {
        uint64_t macs = g.n * g.oh * g.ow * g.oc * g.kk;

        r->res->macs += macs;
        r->res->macs_by_dtype[in.dtype] += macs;
    }
    return vnpu_tensors_release(r, ins, 3, &out, st);
}
