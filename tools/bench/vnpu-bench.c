// SPDX-License-Identifier: MIT
/*
 * vnpu-bench: guest-side benchmarks of the vnpu stack through libaccel.
 *
 *   vnpu-bench [--quick] [--models DIR] [--only noop|pipeline|copy|gemm|
 *              conv|models|bo] [--loop N]
 *
 * --only runs one group of cases, --loop N repeats it N times (to give a
 * profiler on the host something to look at); --only copyloop runs fifty
 * 64 MiB device copies and nothing else; --only engines measures GEMM
 * and no-op throughput over every queue (bench.sh varies "engines").
 *
 * Prints one measurement per line, for tools/bench/bench.sh to collect:
 *   R <name> <value> <unit>        a scalar
 *   C <curve> <x> <y>              a point of a curve
 *   I <text>                       information
 * Nothing here asserts a speed; failures to set up a case are reported as
 * "I skip <case>: <reason>" and the other cases go on.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libdrm/drm.h>

#include "accel.h"
#include "accel_model.h"

static int quick;
static void fill_rand(void *p, uint64_t bytes);
static const char *only;	/* --only CASE: one group, for profiling */
static const char *models_dir = "/usr/share/vnpu";

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i;

	qsort(v, n, sizeof(*v), cmp_dbl);
	i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

static void skip(const char *what, int err)
{
	printf("I skip %s: %s\n", what, accel_strerror(err));
	fflush(stdout);
}

/* Submit @cb and wait; returns microseconds or a negative errno. */
static double run_cb(struct accel_device *dev, struct accel_cmdbuf *cb)
{
	struct accel_job *job;
	double t0 = now_us(), t;
	int ret, st = 0;

	ret = accel_job_submit(dev, cb, 0, NULL, &job);
	if (ret)
		return ret;
	ret = accel_job_wait(job, -1, &st);
	t = now_us() - t0;
	accel_job_free(job);
	if (ret)
		return ret;
	if (st)
		return st < 0 ? st : -st;
	return t;
}

static double best_of(struct accel_device *dev, struct accel_cmdbuf *cb,
		      int reps)
{
	double best = 1e30, t;
	int i;

	for (i = 0; i < reps; i++) {
		t = run_cb(dev, cb);
		if (t < 0)
			return t;
		if (t < best)
			best = t;
	}
	return best;
}

/*
 * A second floor: one byte to a child process and back over pipes, i.e.
 * two wake-ups of a sleeping task, which a job round trip also needs (the
 * completion interrupt wakes the waiter).
 */
static void pingpong(int n)
{
	int a[2], b[2], i;
	double *v;
	pid_t pid;
	char c = 0;

	if (pipe(a) || pipe(b))
		return;
	pid = fork();
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		while (read(a[0], &c, 1) == 1)
			if (write(b[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	v = calloc(n, sizeof(*v));
	for (i = 0; i < n; i++) {
		double t0 = now_us();

		if (pid < 0 || write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			break;
		v[i] = now_us() - t0;
	}
	close(a[1]);	/* EOF ends the child */
	close(b[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (i == n)
		printf("R pipe_pingpong_p50 %.2f us\n", pct(v, n, .5));
	free(v);
}

/* Median of @n timings of @fn(@arg) in microseconds. */
static double median_of(int n, int (*fn)(struct accel_device *, void *),
			struct accel_device *dev, void *arg)
{
	double *v = calloc(n, sizeof(*v)), r;
	int i;

	for (i = 0; i < n; i++) {
		double t0 = now_us();

		if (fn(dev, arg)) {
			free(v);
			return -1;
		}
		v[i] = now_us() - t0;
	}
	r = pct(v, n, .5);
	free(v);
	return r;
}

static int ph_bo_new_free(struct accel_device *dev, void *arg)
{
	struct accel_bo *bo;
	int ret = accel_bo_new(dev, 4096, 0, &bo);

	(void)arg;
	if (!ret)
		accel_bo_free(bo);
	return ret;
}

static int ph_bo_new_map_free(struct accel_device *dev, void *arg)
{
	struct accel_bo *bo;
	void *p;
	int ret = accel_bo_new(dev, 4096, 0, &bo);

	(void)arg;
	if (ret)
		return ret;
	ret = accel_bo_map(bo, &p);
	if (!ret) {
		memset(p, 0, 64);
		accel_bo_unmap(bo);
	}
	accel_bo_free(bo);
	return ret;
}

static int ph_map_unmap(struct accel_device *dev, void *arg)
{
	void *p;
	int ret = accel_bo_map(arg, &p);

	(void)dev;
	if (!ret) {
		*(volatile char *)p = 0;
		accel_bo_unmap(arg);
	}
	return ret;
}

static int ph_syncobj(struct accel_device *dev, void *arg)
{
	struct drm_syncobj_create c = { 0 };
	struct drm_syncobj_destroy d = { 0 };
	int fd;

	(void)arg;
	if (accel_device_get_fd(dev, &fd) ||
	    ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c))
		return -1;
	d.handle = c.handle;
	return ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

static int ph_submit_nowait(struct accel_device *dev, void *arg)
{
	/* fire and forget: no job handle, hence no syncobj */
	return accel_job_submit(dev, arg, 0, NULL, NULL);
}

/*
 * Where a no-op submission's time goes: the pieces accel_job_submit() is
 * made of, each timed on its own (medians).
 */
static void bench_split(struct accel_device *dev)
{
	int n = quick ? 100 : 500;
	struct accel_cmdbuf *cb;
	struct accel_bo *bo;
	double t;

	t = median_of(n, ph_bo_new_free, dev, NULL);
	printf("R split_bo_new_free %.2f us\n", t);
	t = median_of(n, ph_bo_new_map_free, dev, NULL);
	printf("R split_bo_new_map_write_free %.2f us\n", t);
	if (!accel_bo_new(dev, 4096, 0, &bo)) {
		t = median_of(n, ph_map_unmap, dev, bo);
		printf("R split_map_touch_unmap %.2f us\n", t);
		accel_bo_free(bo);
	}
	if (accel_cmdbuf_new(dev, &cb) || accel_cmdbuf_nop(cb))
		return;
	t = median_of(n, ph_syncobj, dev, NULL);
	printf("R split_syncobj_create_destroy %.2f us\n", t);
	t = median_of(n, ph_submit_nowait, dev, cb);
	printf("R split_submit_no_handle %.2f us\n", t);
	/* let the fire-and-forget jobs drain */
	run_cb(dev, cb);
	/* with a job handle (and its syncobj), back to back, then waits */
	{
		struct accel_job *jobs[32];
		double v[32];
		int i, k = 0, st;

		for (i = 0; i < 32; i++) {
			double t0 = now_us();

			if (accel_job_submit(dev, cb, 0, NULL, &jobs[i]))
				break;
			v[i] = now_us() - t0;
		}
		k = i;
		for (i = 0; i < k; i++) {
			accel_job_wait(jobs[i], -1, &st);
			accel_job_free(jobs[i]);
		}
		if (k == 32)
			printf("R split_submit_handle_backtoback %.2f us\n",
			       pct(v, k, .5));
	}
	accel_cmdbuf_free(cb);
	fflush(stdout);
}

static void bench_ioctl_and_noop(struct accel_device *dev)
{
	int n = quick ? 300 : 3000, i, ret;
	double *v = calloc(n, sizeof(*v));
	struct accel_cmdbuf *cb;
	uint64_t val;

	/* floor: one DRM_IOCTL_VNPU_GET_PARAM round trip */
	for (i = 0; i < n; i++) {
		double t0 = now_us();

		accel_device_query(dev, ACCEL_PARAM_DEVICE_ID, &val);
		v[i] = now_us() - t0;
	}
	printf("R ioctl_p50 %.2f us\nR ioctl_p99 %.2f us\n", pct(v, n, .5),
	       pct(v, n, .99));

	pingpong(n / 3);

	ret = accel_cmdbuf_new(dev, &cb);
	if (!ret)
		ret = accel_cmdbuf_nop(cb);
	if (ret) {
		skip("noop", ret);
		free(v);
		return;
	}
	for (i = 0; i < 20; i++)
		run_cb(dev, cb);
	for (i = 0; i < n; i++) {
		v[i] = run_cb(dev, cb);
		if (v[i] < 0) {
			skip("noop", (int)v[i]);
			goto out;
		}
	}
	/* the fastest one bounds any job's time from below (report.py) */
	printf("R noop_p50 %.2f us\nR noop_p99 %.2f us\nR noop_min %.2f us\n",
	       pct(v, n, .5), pct(v, n, .99), pct(v, n, 0));
	/*
	 * The same with libaccel's busy-poll window before sleeping turned
	 * off (a sleeping waiter), at its default and widened; the windows
	 * take turns job by job so that a change of the machine's load
	 * affects them alike.
	 */
	{
		static const char *const win[] = { "0", "50", "200", "1000" };
		enum { NW = sizeof(win) / sizeof(win[0]) };
		int m = n / 2, w;
		double *vw = calloc((size_t)NW * m, sizeof(*vw));

		for (i = 0; vw && i < m; i++) {
			for (w = 0; w < NW; w++) {
				setenv("ACCEL_POLL_US", win[w], 1);
				vw[w * m + i] = run_cb(dev, cb);
				if (vw[w * m + i] < 0)
					break;
			}
			if (w < NW)
				break;
		}
		unsetenv("ACCEL_POLL_US");
		for (w = 0; vw && i == m && w < NW; w++)
			printf("R noop_poll%s_p50 %.2f us\nR noop_poll%s_p99 %.2f us\n",
			       win[w], pct(vw + w * m, m, .5), win[w],
			       pct(vw + w * m, m, .99));
		free(vw);
	}
	/* where the time goes: the submit ioctl alone, then the wait */
	for (i = 0; i < n / 4; i++) {
		struct accel_job *job;
		double t0 = now_us();
		int st;

		if (accel_job_submit(dev, cb, 0, NULL, &job))
			break;
		v[i] = now_us() - t0;
		accel_job_wait(job, -1, &st);
		accel_job_free(job);
	}
	if (i == n / 4 && i > 0)
		printf("R noop_submit_p50 %.2f us\n", pct(v, i, .5));
out:
	fflush(stdout);
	accel_cmdbuf_free(cb);
	free(v);
}

/*
 * Keep @depth no-op jobs in flight on @queue for @n jobs; return jobs/s
 * or a negative errno.
 */
static double pipelined(struct accel_device *dev, struct accel_cmdbuf *cb,
			int depth, int n, uint32_t nqueues)
{
	struct accel_job **ring = calloc(depth, sizeof(*ring));
	double t0 = now_us(), t;
	int i, ret = 0, st;

	for (i = 0; i < n; i++) {
		struct accel_job **slot = &ring[i % depth];

		if (*slot) {
			ret = accel_job_wait(*slot, -1, &st);
			accel_job_free(*slot);
			*slot = NULL;
			if (ret)
				break;
		}
		ret = accel_job_submit(dev, cb, i % nqueues, NULL, slot);
		if (ret)
			break;
	}
	for (i = 0; i < depth; i++) {
		if (ring[i]) {
			accel_job_wait(ring[i], -1, &st);
			accel_job_free(ring[i]);
		}
	}
	t = now_us() - t0;
	free(ring);
	return ret ? ret : n / (t / 1e6);
}

static int max_depth(struct accel_device *dev)
{
	uint64_t qd = 0;

	accel_device_query(dev, ACCEL_PARAM_QUEUE_DEPTH, &qd);
	return qd > 2 ? (int)qd - 1 : 1;
}

static void bench_pipeline(struct accel_device *dev)
{
	static const int depths[] = { 1, 2, 4, 8, 16, 32, 64 };
	int n = quick ? 300 : 3000, md = max_depth(dev), best_d = 1;
	double best = 0, r;
	struct accel_cmdbuf *cb;
	uint64_t nq = 1;
	unsigned int i;
	int ret;

	accel_device_query(dev, ACCEL_PARAM_NUM_QUEUES, &nq);
	ret = accel_cmdbuf_new(dev, &cb);
	if (!ret)
		ret = accel_cmdbuf_nop(cb);
	if (ret) {
		skip("pipeline", ret);
		return;
	}
	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		if (depths[i] > md)
			break;
		r = pipelined(dev, cb, depths[i], n, 1);
		if (r < 0) {
			skip("pipeline", (int)r);
			break;
		}
		printf("C jobs_per_s_vs_depth %d %.0f\n", depths[i], r);
		fflush(stdout);
		if (r > best) {
			best = r;
			best_d = depths[i];
		}
	}
	printf("R pipelined_1proc %.0f jobs/s\nR pipelined_1proc_depth %d jobs\n",
	       best, best_d);
	/* the same over every queue (one engine thread per queue at most) */
	if (nq > 1) {
		r = pipelined(dev, cb, best_d, n, (uint32_t)nq);
		if (r > 0)
			printf("R pipelined_1proc_allqueues %.0f jobs/s\n", r);
	}
	fflush(stdout);
	accel_cmdbuf_free(cb);

	/* processes: each opens the device and pipelines at the best depth */
	{
		static const int procs[] = { 1, 2, 4, 8, 16 };
		unsigned int k;

		for (k = 0; k < sizeof(procs) / sizeof(procs[0]); k++) {
			int np = procs[k], per = n / np > 50 ? n / np : 50, p;
			int go[2], done = 0;
			double t0;
			char c = 0;

			if (pipe(go))
				return;
			for (p = 0; p < np; p++) {
				pid_t pid = fork();

				if (pid == 0) {
					struct accel_device *d;
					struct accel_cmdbuf *c2;
					char x;

					close(go[1]);
					if (accel_device_open_index(0, &d) ||
					    accel_cmdbuf_new(d, &c2) ||
					    accel_cmdbuf_nop(c2))
						_exit(1);
					if (read(go[0], &x, 1) < 0)
						_exit(1);
					_exit(pipelined(d, c2, best_d, per, 1) < 0);
				}
			}
			close(go[0]);
			usleep(200000 + np * 50000);
			t0 = now_us();
			close(go[1]);	/* EOF releases every child */
			(void)c;
			for (p = 0; p < np; p++) {
				int wst;

				if (wait(&wst) > 0 && WIFEXITED(wst) &&
				    !WEXITSTATUS(wst))
					done++;
			}
			r = (double)done * per / ((now_us() - t0) / 1e6);
			printf("C jobs_per_s_vs_procs %d %.0f\n", np, r);
			/* the goal compares 16 with 1 measured the same way */
			if (np == 1)
				printf("R pipelined_1proc_forked %.0f jobs/s\n", r);
			if (np == 16)
				printf("R pipelined_16proc %.0f jobs/s\n", r);
			if (done != np)
				printf("I %d of %d processes failed\n", np - done, np);
			fflush(stdout);
		}
	}
}

static int new_mapped(struct accel_device *dev, uint64_t size, uint32_t flags,
		      struct accel_bo **bo, void **p, uint64_t *va)
{
	int ret = accel_bo_new(dev, size, flags, bo);

	if (ret)
		return ret;
	if (p) {
		ret = accel_bo_map(*bo, p);
		if (ret) {
			accel_bo_free(*bo);
			return ret;
		}
	}
	accel_bo_get_va(*bo, va);
	return 0;
}

static void bench_copy(struct accel_device *dev)
{
	uint64_t full = 64ull << 20, devmem = 0, maxbo = 0, size, sva, dva, hva;
	struct accel_bo *src, *dst, *dm = NULL;
	struct accel_cmdbuf *cb;
	void *ps, *pd;
	double t;
	int ret;

	accel_device_query(dev, ACCEL_PARAM_MAX_BO_SIZE, &maxbo);
	ret = new_mapped(dev, full, 0, &src, &ps, &sva);
	if (!ret)
		ret = new_mapped(dev, full, 0, &dst, &pd, &hva);
	if (ret) {
		skip("copy", ret);
		return;
	}
	memset(ps, 0x5a, full);
	memset(pd, 0, full);
	accel_cmdbuf_new(dev, &cb);
	for (size = 4096; size <= full; size *= 4) {
		accel_cmdbuf_reset(cb);
		accel_cmdbuf_copy(cb, hva, sva, size);
		t = best_of(dev, cb, size >= full ? 3 : 5);
		if (t < 0) {
			skip("copy", (int)t);
			break;
		}
		printf("C copy_us_vs_bytes %llu %.1f\n", (unsigned long long)size, t);
		if (size == full)
			printf("R copy64m_h2h %.1f us\n", t);
		fflush(stdout);
	}
	accel_device_query(dev, ACCEL_PARAM_DEVMEM_SIZE, &devmem);
	size = devmem < full ? devmem : full;
	if (size && !accel_bo_new(dev, size, ACCEL_BO_DEVMEM, &dm)) {
		accel_bo_get_va(dm, &dva);
		accel_cmdbuf_reset(cb);
		accel_cmdbuf_copy(cb, dva, sva, size);
		t = best_of(dev, cb, 3);
		if (t > 0) {
			printf("R copy64m_h2d %.1f us\n", t);
			printf("R copy64m_h2d_bytes %llu B\n", (unsigned long long)size);
		} else {
			skip("copy h2d", (int)t);
		}
		accel_bo_free(dm);
	} else {
		printf("I skip copy h2d: no device memory (DEVMEM_SIZE %llu)\n",
		       (unsigned long long)devmem);
	}
	/* the same copy by the guest CPU (TCG) for scale */
	t = now_us();
	memcpy(pd, ps, full);
	printf("R guest_memcpy64m %.1f us\n", now_us() - t);
	fflush(stdout);
	accel_cmdbuf_free(cb);
	accel_bo_free(src);
	accel_bo_free(dst);
}

/* For profiling the engine: 64 MiB device copies back to back. */
static void bench_copyloop(struct accel_device *dev)
{
	uint64_t size = 64ull << 20, sva, dva;
	struct accel_bo *src, *dst;
	struct accel_cmdbuf *cb;
	double t;
	int i, ret;

	ret = new_mapped(dev, size, 0, &src, NULL, &sva);
	if (!ret)
		ret = new_mapped(dev, size, 0, &dst, NULL, &dva);
	if (ret) {
		skip("copyloop", ret);
		return;
	}
	accel_cmdbuf_new(dev, &cb);
	accel_cmdbuf_copy(cb, dva, sva, size);
	for (i = 0; i < 50; i++) {
		t = run_cb(dev, cb);
		if (t < 0) {
			skip("copyloop", (int)t);
			break;
		}
		printf("C copyloop_us %d %.1f\n", i, t);
	}
	fflush(stdout);
	accel_cmdbuf_free(cb);
	accel_bo_free(src);
	accel_bo_free(dst);
}

static void fill_rand(void *p, uint64_t bytes)
{
	uint32_t *w = p, x = 12345;
	uint64_t i;

	for (i = 0; i < bytes / 4; i++) {
		x = x * 1103515245u + 12345u;
		/* small finite floats, or bf16 pairs, or int8 quads */
		w[i] = 0x3c003c00u | (x & 0x007f007fu);
	}
}

static void bench_gemm(struct accel_device *dev)
{
	static const struct { uint32_t dt, odt; const char *name; } dts[] = {
		{ ACCEL_DT_F32, ACCEL_DT_F32, "f32" },
		{ ACCEL_DT_BF16, ACCEL_DT_F32, "bf16" },
		{ ACCEL_DT_I8, ACCEL_DT_I32, "i8" },
	};
	uint32_t nmax = 1024, n;
	uint64_t bytes = (uint64_t)nmax * nmax * 4, va, vb, vo;
	struct accel_bo *a, *b, *o;
	struct accel_cmdbuf *cb;
	void *pa, *pb;
	unsigned int d;
	int ret;

	ret = new_mapped(dev, bytes, 0, &a, &pa, &va);
	if (!ret)
		ret = new_mapped(dev, bytes, 0, &b, &pb, &vb);
	if (!ret)
		ret = new_mapped(dev, bytes, 0, &o, NULL, &vo);
	if (ret) {
		skip("gemm", ret);
		return;
	}
	fill_rand(pa, bytes);
	fill_rand(pb, bytes);
	accel_cmdbuf_new(dev, &cb);
	for (d = 0; d < 3; d++) {
		for (n = 64; n <= nmax; n *= 2) {
			struct accel_tensor ta, tb, to;
			uint32_t sa[2] = { n, n };
			double t;

			if (d && n != nmax)
				continue;
			accel_tensor_init(&ta, va, dts[d].dt, 2, sa);
			accel_tensor_init(&tb, vb, dts[d].dt, 2, sa);
			accel_tensor_init(&to, vo, dts[d].odt, 2, sa);
			accel_cmdbuf_reset(cb);
			ret = accel_cmdbuf_gemm(cb, &to, &ta, &tb, NULL,
						ACCEL_ACT_NONE);
			if (ret) {
				skip("gemm build", ret);
				continue;
			}
			t = best_of(dev, cb, n == nmax ? 3 : 5);
			if (t < 0) {
				skip("gemm", (int)t);
				continue;
			}
			if (d == 0)
				printf("C gemm_us_vs_macs %llu %.1f\n",
				       (unsigned long long)n * n * n, t);
			if (n == nmax)
				printf("R gemm1024_%s %.1f us\n", dts[d].name, t);
			fflush(stdout);
		}
	}
	/*
	 * int8 against fp32 with the two jobs taking turns (best of 5 each),
	 * so that a change of the machine's load affects both alike.
	 */
	{
		struct accel_cmdbuf *c2[2] = { NULL, NULL };
		static const unsigned int pick[2] = { 0, 2 };
		double best[2] = { 1e30, 1e30 }, t;
		uint32_t sa[2] = { nmax, nmax };
		int i, k;

		for (k = 0; k < 2; k++) {
			struct accel_tensor ta, tb, to;

			accel_tensor_init(&ta, va, dts[pick[k]].dt, 2, sa);
			accel_tensor_init(&tb, vb, dts[pick[k]].dt, 2, sa);
			accel_tensor_init(&to, vo, dts[pick[k]].odt, 2, sa);
			if (accel_cmdbuf_new(dev, &c2[k]) ||
			    accel_cmdbuf_gemm(c2[k], &to, &ta, &tb, NULL,
					      ACCEL_ACT_NONE))
				goto out2;
		}
		for (i = 0; i < 5; i++) {
			for (k = 0; k < 2; k++) {
				t = run_cb(dev, c2[k]);
				if (t < 0)
					goto out2;
				if (t < best[k])
					best[k] = t;
			}
		}
		printf("R gemm1024_f32_turns %.1f us\nR gemm1024_i8_turns %.1f us\n",
		       best[0], best[1]);
		fflush(stdout);
out2:
		accel_cmdbuf_free(c2[0]);
		accel_cmdbuf_free(c2[1]);
	}
	accel_cmdbuf_free(cb);
	accel_bo_free(a);
	accel_bo_free(b);
	accel_bo_free(o);
}

/*
 * Throughput over every queue: 8 independent GEMM 512^3 fp32 jobs (own
 * operands each: a job synchronises with every BO it uses) spread over
 * the queues, then the no-op rate over the queues. bench.sh boots guests
 * with different "engines" and plots these against the engine count.
 */
static void bench_engines(struct accel_device *dev)
{
	enum { NJ = 8, N = 512 };
	uint64_t bytes = (uint64_t)N * N * 4, nq = 1, ne = 0, va;
	struct accel_cmdbuf *cb[NJ] = { 0 };
	struct accel_job *job[NJ] = { 0 };
	struct accel_bo *bo[NJ][3] = { { 0 } };
	uint32_t sh[2] = { N, N };
	int i, k, ret = 0, st;
	double best = 1e30;

	accel_device_query(dev, ACCEL_PARAM_NUM_QUEUES, &nq);
	accel_device_query(dev, ACCEL_PARAM_NUM_ENGINES, &ne);
	for (i = 0; i < NJ && !ret; i++) {
		struct accel_tensor t[3];
		void *p;

		for (k = 0; k < 3 && !ret; k++) {
			ret = new_mapped(dev, bytes, 0, &bo[i][k], &p, &va);
			if (!ret) {
				fill_rand(p, bytes);
				accel_tensor_init(&t[k], va, ACCEL_DT_F32, 2, sh);
			}
		}
		if (!ret)
			ret = accel_cmdbuf_new(dev, &cb[i]);
		if (!ret)
			ret = accel_cmdbuf_gemm(cb[i], &t[2], &t[0], &t[1], NULL,
						ACCEL_ACT_NONE);
	}
	for (k = 0; k < 3 && !ret; k++) {
		double t0 = now_us(), t;

		for (i = 0; i < NJ && !ret; i++)
			ret = accel_job_submit(dev, cb[i], i % nq, NULL, &job[i]);
		for (i = 0; i < NJ; i++) {
			if (job[i]) {
				accel_job_wait(job[i], -1, &st);
				accel_job_free(job[i]);
				job[i] = NULL;
			}
		}
		t = now_us() - t0;
		if (t < best)
			best = t;
	}
	if (ret)
		skip("engines", ret);
	else
		printf("R engines_count %llu engines\nR engines_gemm512_per_s %.1f jobs/s\n",
		       (unsigned long long)ne, NJ / (best / 1e6));
	for (i = 0; i < NJ; i++) {
		accel_cmdbuf_free(cb[i]);
		for (k = 0; k < 3; k++)
			if (bo[i][k])
				accel_bo_free(bo[i][k]);
	}
	if (!accel_cmdbuf_new(dev, cb) && !accel_cmdbuf_nop(cb[0])) {
		double r = pipelined(dev, cb[0], 16, quick ? 300 : 1500,
				     (uint32_t)nq);

		if (r > 0)
			printf("R engines_noop_per_s %.0f jobs/s\n", r);
		accel_cmdbuf_free(cb[0]);
	}
	fflush(stdout);
}

/* The shapes tools/bench/host-ref.c measures too (keep in step). */
static const struct conv_shape {
	const char *name;
	uint32_t h, w, c, oc, k, s, pad;
} convs[] = {
	{ "mnv1_pw_56x56x128", 56, 56, 128, 128, 1, 1, 0 },
	{ "mnv1_conv0_224x224x3", 224, 224, 3, 32, 3, 2, 1 },
};

static void bench_conv(struct accel_device *dev)
{
	unsigned int i;

	for (i = 0; i < sizeof(convs) / sizeof(convs[0]); i++) {
		const struct conv_shape *c = &convs[i];
		uint32_t oh = (c->h + 2 * c->pad - c->k) / c->s + 1;
		uint32_t ow = (c->w + 2 * c->pad - c->k) / c->s + 1;
		uint32_t si[4] = { 1, c->h, c->w, c->c };
		uint32_t sw[4] = { c->oc, c->k, c->k, c->c };
		uint32_t so[4] = { 1, oh, ow, c->oc };
		struct accel_conv2d_params p = {
			.stride_h = c->s, .stride_w = c->s, .dil_h = 1, .dil_w = 1,
			.pad_top = c->pad, .pad_bottom = c->pad,
			.pad_left = c->pad, .pad_right = c->pad, .groups = 1,
		};
		uint64_t bi = 4ull * c->h * c->w * c->c;
		uint64_t bw = 4ull * c->oc * c->k * c->k * c->c;
		uint64_t bo = 4ull * oh * ow * c->oc, vi, vw, vo;
		struct accel_bo *in, *wt, *out;
		struct accel_tensor ti, tw, to;
		struct accel_cmdbuf *cb;
		void *pi, *pw;
		double t;
		int ret;

		ret = new_mapped(dev, bi, 0, &in, &pi, &vi);
		if (ret) {
			skip("conv", ret);
			continue;
		}
		ret = new_mapped(dev, bw, 0, &wt, &pw, &vw);
		if (!ret)
			ret = new_mapped(dev, bo, 0, &out, NULL, &vo);
		if (ret) {
			skip("conv", ret);
			continue;
		}
		fill_rand(pi, bi);
		fill_rand(pw, bw);
		accel_tensor_init(&ti, vi, ACCEL_DT_F32, 4, si);
		accel_tensor_init(&tw, vw, ACCEL_DT_F32, 4, sw);
		accel_tensor_init(&to, vo, ACCEL_DT_F32, 4, so);
		accel_cmdbuf_new(dev, &cb);
		ret = accel_cmdbuf_conv2d(cb, &to, &ti, &tw, NULL, &p);
		t = ret ? ret : best_of(dev, cb, 5);
		if (t < 0)
			skip("conv", (int)t);
		else
			printf("R conv_%s %.1f us\n", c->name, t);
		fflush(stdout);
		accel_cmdbuf_free(cb);
		accel_bo_free(in);
		accel_bo_free(wt);
		accel_bo_free(out);
	}
}

/*
 * A model package: median latency of @reps runs (input copied in, output
 * copied out, as an application would), after one warm-up.
 */
static void bench_model(struct accel_device *dev, const char *file,
			const char *name, int runs_per_sample)
{
	struct accel_model_io iin, iout;
	struct accel_model *m;
	int reps = quick ? 5 : 20, i, j, ret;
	char path[512];
	void *in, *out;
	double v[64];

	snprintf(path, sizeof(path), "%s/%s", models_dir, file);
	ret = accel_model_load(dev, path, 0, &m);
	if (ret) {
		printf("I skip model %s (%s): %s\n", name, path, accel_strerror(ret));
		return;
	}
	accel_model_get_input(m, 0, &iin);
	accel_model_get_output(m, 0, &iout);
	in = calloc(1, iin.size);
	out = calloc(1, iout.size);
	fill_rand(in, iin.size & ~3ull);
	if (iin.dtype == ACCEL_DT_F32) {
		float *f = in;

		for (i = 0; i < (int)(iin.size / 4); i++)
			f[i] = (float)((i * 37) % 17) / 17.0f;
	}
	accel_model_bind_input(m, 0, in);
	accel_model_bind_output(m, 0, out);
	ret = accel_model_run(m);
	for (i = 0; !ret && i < reps; i++) {
		double t0 = now_us();

		for (j = 0; j < runs_per_sample && !ret; j++)
			ret = accel_model_run(m);
		v[i] = now_us() - t0;
	}
	if (ret)
		printf("I skip model %s: %s\n", name, accel_strerror(ret));
	else
		printf("R model_%s %.1f us\n", name, pct(v, reps, .5));
	fflush(stdout);
	free(in);
	free(out);
	accel_model_free(m);
}

static long rss_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	fclose(f);
	return v;
}

static void bench_bo(struct accel_device *dev)
{
	int n = quick ? 200 : 2000, i, ret = 0;
	struct accel_bo *bo, **bos;
	uint64_t size = 16 << 20;
	struct rusage r0, r1;
	double t0, t;
	char *p;

	t0 = now_us();
	for (i = 0; i < n && !ret; i++) {
		ret = accel_bo_new(dev, 4096, 0, &bo);
		if (ret)
			break;
		ret = accel_bo_map(bo, (void **)&p);
		if (!ret)
			p[0] = 1;
		accel_bo_free(bo);
	}
	t = now_us() - t0;
	if (ret)
		skip("bo rate", ret);
	else
		printf("R bo_create_map_free %.0f ops/s\n", n / (t / 1e6));

	/* page faults: first touch of every page of a fresh mapped BO */
	if (!accel_bo_new(dev, size, 0, &bo) && !accel_bo_map(bo, (void **)&p)) {
		getrusage(RUSAGE_SELF, &r0);
		t0 = now_us();
		for (i = 0; i < (int)(size / 4096); i++)
			p[(uint64_t)i * 4096] = 1;
		t = now_us() - t0;
		getrusage(RUSAGE_SELF, &r1);
		printf("R bo_fault_per_page %.2f us\n", t / (size / 4096));
		printf("R bo_faults_16m %ld faults\n", r1.ru_minflt - r0.ru_minflt);
		accel_bo_free(bo);
	}
	fflush(stdout);

	/* memory vs number of live 4 KiB BOs (guest MemAvailable) */
	{
		int max = quick ? 2000 : 100000, next = 1000, k = 0;
		long base = rss_kb("MemAvailable:");

		bos = calloc(max, sizeof(*bos));
		t0 = now_us();
		for (k = 0; k < max; k++) {
			ret = accel_bo_new(dev, 4096, 0, &bos[k]);
			if (ret) {
				printf("I bo count stopped at %d: %s\n", k,
				       accel_strerror(ret));
				break;
			}
			if (k + 1 == next) {
				long kb = base - rss_kb("MemAvailable:");

				printf("C mem_kib_vs_bos %d %ld\n", k + 1, kb);
				fflush(stdout);
				next *= next < 10000 ? 2 : 1;
				if (next >= 10000)
					next = k + 1 + 10000 > max ? max :
					       k + 1 + 10000;
				/* stay within the run's time budget */
				if (now_us() - t0 > 60e6) {
					printf("I bo count stopped at %d: 60 s budget\n",
					       k + 1);
					k++;
					break;
				}
			}
		}
		printf("R bo_live_max %d BOs\n", k);
		if (k > 0)
			printf("R bo_create_rate_live %.0f ops/s\n",
			       k / ((now_us() - t0) / 1e6));
		fflush(stdout);
		while (k-- > 0)
			accel_bo_free(bos[k]);
		free(bos);
	}
}

static int want(const char *group)
{
	return !only || !strcmp(only, group);
}

int main(int argc, char **argv)
{
	struct accel_device *dev;
	double up = 0;
	FILE *f;
	int i, ret, loops = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--models") && i + 1 < argc)
			models_dir = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--loop") && i + 1 < argc)
			loops = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: vnpu-bench [--quick] [--models DIR] [--only CASE] [--loop N]\n");
			return 2;
		}
	}
	f = fopen("/proc/uptime", "r");
	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	printf("R guest_uptime_at_start %.2f s\n", up);
	ret = accel_device_open_index(0, &dev);
	if (ret) {
		fprintf(stderr, "vnpu-bench: open: %s\n", accel_strerror(ret));
		return 1;
	}
	fflush(stdout);
	for (i = 0; i < loops; i++) {
		if (want("noop"))
			bench_ioctl_and_noop(dev);
		if (want("noop") || (only && !strcmp(only, "split")))
			bench_split(dev);
		if (want("pipeline"))
			bench_pipeline(dev);
		if (want("copy"))
			bench_copy(dev);
		if (only && !strcmp(only, "copyloop"))
			bench_copyloop(dev);
		if (want("gemm"))
			bench_gemm(dev);
		if (only && !strcmp(only, "engines"))
			bench_engines(dev);
		if (want("conv"))
			bench_conv(dev);
		if (want("models")) {
			bench_model(dev, "bench_mlp_b1.vnpu", "mlp_b1", 1);
			bench_model(dev, "bench_mlp_b64.vnpu", "mlp_b64", 1);
			bench_model(dev, "bench_cnn_b1.vnpu", "cnn_b1", 1);
			bench_model(dev, "bench_cnn_b64.vnpu", "cnn_b64", 1);
			bench_model(dev, "transformer.vnpu", "transformer_b1", 1);
			/* fixed batch 1 in the ONNX file: 64 runs back to back */
			bench_model(dev, "transformer.vnpu", "transformer_b64", 64);
			bench_model(dev, "mobilenet.vnpu", "mobilenet16_b1", 1);
		}
		if (want("bo"))
			bench_bo(dev);
	}
	accel_device_close(dev);
	printf("I done\n");
	return 0;
}
