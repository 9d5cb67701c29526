// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu ioctl fuzzer: structure-aware random and mutated arguments for every
 * vnpu ioctl (uapi/drm/vnpu_accel.h) plus the DRM core ioctls a client uses
 * with them (GEM_CLOSE, PRIME, syncobjs), reusing valid handles, VAs and job
 * ids across calls; and thread races: submit vs close, VM_BIND vs
 * VM_UNBIND, mmap vs free, ioctls vs close(fd).
 *
 * Every ioctl must return 0 or an errno its documentation lists (the
 * allowed set is per ioctl); every job must end with one of the documented
 * statuses; afterwards the kernel must not be newly tainted and the device
 * must still run a verified job. The guest harness fails the run on any
 * kernel WARNING/BUG/oops.
 *
 * Iterations: $VNPU_FUZZ_ITERS (default 20000); seed: $VNPU_FUZZ_SEED.
 * The test prints "fuzz: N ioctls" for the summary.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define MAX_H		64
#define MAX_JOBS	256
#define CMD_SIZE	(64 * 1024ull)
#define DATA_SIZE	(64 * 1024ull)
typedef unsigned __int128 emask_t;
#define E(x)		((emask_t)1 << (x))

static atomic_ulong ioctls;

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

/* ioctl counted; 0 or -errno (no retry on EINTR: we send no signals). */
static int trace;

static int fz_ioctl(int fd, unsigned long req, void *arg)
{
	atomic_fetch_add(&ioctls, 1);
	/* $VNPU_FUZZ_TRACE=1: every call on stderr, to find a hang's input */
	if (trace) {
		fprintf(stderr, "ioctl nr %#x:", (unsigned int)_IOC_NR(req));
		for (unsigned int i = 0; i < _IOC_SIZE(req) / 4; i++)
			fprintf(stderr, " %08x", ((uint32_t *)arg)[i]);
		fprintf(stderr, "\n");
	}
	return xioctl(fd, req, arg);
}

/* An "interesting" 64-bit value, or a valid one (@good) most of the time. */
static uint64_t mutate64(uint64_t good)
{
	static const uint64_t edge[] = {
		0, 1, 7, 8, 4095, 4096, 4097, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ull, 1ull << 47, 1ull << 48,
		0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull,
		~0ull - 4095,
	};

	switch (rnd_below(8)) {
	case 0:
		return edge[rnd_below(sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return good ^ (1ull << rnd_below(64));
	case 2:
		return good + (rnd_below(3) - 1) * 4096;
	case 3:
		return rnd();
	default:
		return good;
	}
}

static uint32_t mutate32(uint32_t good)
{
	return (uint32_t)mutate64(good);
}

/* A small size (never a large allocation: pinned memory is real). */
static uint64_t fuzz_size(uint64_t max_bo)
{
	switch (rnd_below(10)) {
	case 0:
		return 0;
	case 1:
		return max_bo + 1 + rnd_below(4096);
	case 2:
		return ~0ull - rnd_below(8192);
	case 3:
		return 1 + rnd_below(3 * 4096);
	default:
		return (1 + rnd_below(16)) * 4096;
	}
}

struct fz {
	int fd;
	uint64_t max_bo, va_start, va_end, nq;
	uint32_t cmd, data;
	uint64_t cmd_va, data_va;
	uint8_t *cmd_map, *data_map;
	uint32_t h[MAX_H];		/* handles (some closed: reuse) */
	unsigned int nh;
	uint64_t bva[MAX_H], bsz[MAX_H];	/* VM_BIND ranges */
	unsigned int nb;
	uint64_t jobs[MAX_JOBS];
	unsigned int nj;
	uint32_t syncs[8];
	unsigned int ns;
	uint8_t *upmem;
	unsigned long per_ioctl[16];
};

static uint32_t pick_handle(struct fz *f)
{
	switch (rnd_below(6)) {
	case 0:
		return mutate32(f->cmd);
	case 1:
		return f->data;
	default:
		return f->nh ? f->h[rnd_below(f->nh)] : (uint32_t)rnd_below(100);
	}
}

static void add_handle(struct fz *f, uint32_t h)
{
	if (f->nh < MAX_H)
		f->h[f->nh++] = h;
	else
		f->h[rnd_below(MAX_H)] = h;
}

/* Documented errnos, per ioctl; anything else fails the test. */
#define OK_PARAM	(E(EINVAL))
#define OK_CREATE	(E(EINVAL) | E(ENODEV) | E(ENOMEM) | E(ENOSPC))
#define OK_INFO		(E(ENOENT) | E(EINVAL))
#define OK_USERPTR	(E(EINVAL) | E(EFAULT) | E(ENOMEM) | E(ENOSPC) | \
			 E(EBUSY))
#define OK_BIND		(E(EINVAL) | E(ERANGE) | E(EEXIST) | E(ENOENT) | \
			 E(ENODEV) | E(ENOMEM))
#define OK_UNBIND	(E(EINVAL) | E(ENOENT))
#define OK_CTX		(E(EINVAL) | E(EPERM))
#define OK_SUBMIT	(E(ECANCELED) | E(EINVAL) | E(ENOENT) | E(EFAULT))
#define OK_WAIT		(E(ETIME) | E(ENOENT) | E(EINVAL))
#define OK_CLOSE	(E(EINVAL) | E(ENOENT))
#define OK_PRIME	(E(EINVAL) | E(ENOENT) | E(EOPNOTSUPP) | E(EBADF) | \
			 E(EMFILE) | E(ENOSPC))
#define OK_SYNC		(E(EINVAL) | E(ENOENT))
#define OK_UNKNOWN	(E(EINVAL) | E(ENOTTY))

static const char *const names[] = {
	"GET_PARAM", "BO_CREATE", "BO_INFO", "SUBMIT", "WAIT", "VM_BIND",
	"VM_UNBIND", "BO_USERPTR", "CTX_SET_PARAM", "GEM_CLOSE", "PRIME",
	"SYNCOBJ", "unknown", "mmap",
};

static bool errno_ok(int ret, emask_t mask)
{
	return ret == 0 || (ret < 0 && -ret < 128 && (mask & E(-ret)));
}

/* Build a random command buffer in slot @slot of the command BO. */
static uint32_t build_cmds(struct fz *f, unsigned int slot)
{
	struct cmdbuf cb = { .base = f->cmd_map + slot * 1024 };
	unsigned int n = 1 + rnd_below(4);

	for (unsigned int i = 0; i < n; i++) {
		uint64_t dst = f->data_va + rnd_below(DATA_SIZE / 64) * 64;
		uint64_t sz = 64 * (1 + rnd_below(16));

		if (!rnd_below(4))
			dst = mutate64(dst);
		if (dst >= f->data_va && dst < f->data_va + DATA_SIZE &&
		    dst + sz > f->data_va + DATA_SIZE)
			sz = f->data_va + DATA_SIZE - dst;
		switch (rnd_below(4)) {
		case 0:
			emit_nop(&cb);
			break;
		case 1:
			emit_fill(&cb, dst, sz, (uint32_t)rnd());
			break;
		case 2:
			emit_copy(&cb, f->data_va, dst, sz);
			break;
		default:
			emit_timestamp(&cb, dst & ~7ull);
			break;
		}
	}
	/* garbage: a flipped byte (opcode, length, reserved fields) */
	if (!rnd_below(8))
		cb.base[rnd_below(cb.len)] ^= 1u << rnd_below(8);
	return cb.len;
}

static int32_t job_status_ok(int32_t st)
{
	return st == 0 || st == -EFAULT || st == -EINVAL || st == -EIO ||
	       st == -ETIMEDOUT || st == -ECANCELED;
}

/* Wait for all recorded jobs; false on a job status not documented. */
static bool drain_jobs(struct __test_metadata *_metadata, struct fz *f)
{
	for (unsigned int i = 0; i < f->nj; i++) {
		int32_t st = 0;
		uint32_t hw = 0;
		int ret = vnpu_wait(f->fd, f->jobs[i],
				    deadline_in(60 * NSEC_PER_SEC), &st, &hw);

		atomic_fetch_add(&ioctls, 1);
		EXPECT_EQ(0, ret) TH_LOG("WAIT job %llu: %s",
					 (unsigned long long)f->jobs[i],
					 strerror(-ret));
		EXPECT_TRUE(job_status_ok(st)) TH_LOG("job status %d hw %#x", st, hw);
		if (ret || !job_status_ok(st))
			return false;
	}
	f->nj = 0;
	return true;
}

/* One fuzzed call; returns false (after logging) on an undocumented errno. */
static bool fuzz_one(struct __test_metadata *_metadata, struct fz *f)
{
	unsigned int which = rnd_below(14);
	emask_t mask = 0;
	int ret = 0;

	switch (which) {
	case 0: {
		struct drm_vnpu_param p = {
			.param = rnd_below(4) ? rnd_below(DRM_VNPU_PARAM_COUNT + 2)
					      : mutate32(0),
			.index = rnd_below(8) ? 0 : mutate32(0),
		};

		mask = OK_PARAM;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_GET_PARAM, &p);
		break;
	}
	case 1: {
		struct drm_vnpu_bo_create c = {
			.size = fuzz_size(f->max_bo),
			.flags = rnd_below(4) ? rnd_below(4) : mutate32(0),
		};

		mask = OK_CREATE;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_BO_CREATE, &c);
		if (!ret)
			add_handle(f, c.handle);
		break;
	}
	case 2: {
		struct drm_vnpu_bo_info i = {
			.handle = pick_handle(f),
			.flags = rnd_below(8) ? 0 : mutate32(0),
			.pad = rnd_below(8) ? 0 : mutate32(0),
		};

		mask = OK_INFO;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_BO_INFO, &i);
		break;
	}
	case 3: {
		unsigned int slot = rnd_below(CMD_SIZE / 1024);
		uint32_t len = build_cmds(f, slot);
		uint32_t bos[4] = { f->data, pick_handle(f), pick_handle(f),
				    f->cmd };
		struct drm_vnpu_sync in = {}, out = {};
		struct drm_vnpu_submit s = {
			.cmd_handle = rnd_below(6) ? f->cmd : pick_handle(f),
			.cmd_offset = rnd_below(6) ? slot * 1024
						   : mutate64(slot * 1024),
			.cmd_size = rnd_below(6) ? len : mutate32(len),
			.queue = rnd_below(6) ? rnd_below(f->nq) : mutate32(0),
			.flags = rnd_below(16) ? 0 : mutate32(0) &
				 ~DRM_VNPU_SUBMIT_INJECT_HANG,
			.pad = rnd_below(16) ? 0 : mutate32(0),
			.bo_handles = (uintptr_t)bos,
			.bo_count = rnd_below(8) ? rnd_below(5) : mutate32(4),
		};

		if (!rnd_below(16))
			s.bo_handles = mutate64(s.bo_handles);
		if (f->ns && !rnd_below(4)) {
			out.handle = f->syncs[rnd_below(f->ns)];
			out.flags = rnd_below(8) ? 0 : mutate32(0);
			s.out_syncs = (uintptr_t)&out;
			s.out_sync_count = rnd_below(8) ? 1 : mutate32(1);
		}
		if (f->ns && !rnd_below(6)) {
			in.handle = f->syncs[rnd_below(f->ns)];
			in.point = rnd_below(8) ? 0 : mutate64(0);
			s.in_syncs = rnd_below(8) ? (uintptr_t)&in : mutate64(0);
			s.in_sync_count = rnd_below(8) ? 1 : mutate32(1);
		}
		mask = OK_SUBMIT;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_SUBMIT, &s);
		if (!ret) {
			f->jobs[f->nj++] = s.job_id;
			if (f->nj == MAX_JOBS && !drain_jobs(_metadata, f))
				return false;
		}
		break;
	}
	case 4: {
		struct drm_vnpu_wait w = {
			.job_id = f->nj && rnd_below(2) ? f->jobs[rnd_below(f->nj)]
							: mutate64(1),
			.timeout_ns = rnd_below(4) ? 0 : now_ns() + 1000000,
			.flags = rnd_below(8) ? 0 : mutate32(0),
			.pad = rnd_below(8) ? 0 : mutate32(0),
		};

		mask = OK_WAIT;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_WAIT, &w);
		if (!ret && !job_status_ok(w.status)) {
			TH_LOG("WAIT: job status %d", w.status);
			return false;
		}
		break;
	}
	case 5: {
		uint64_t sz = (1 + rnd_below(4)) * 4096;
		struct drm_vnpu_vm_bind b = {
			.handle = pick_handle(f),
			.flags = rnd_below(4) ? rnd_below(2) : mutate32(0),
			.va = rnd_below(4) ? mutate64(f->va_end - 64 * 4096 -
				rnd_below(1024) * 4096) :
				f->va_start + rnd_below((f->va_end - f->va_start) / 4096) * 4096,
			.offset = rnd_below(4) ? 0 : mutate64(0),
			.size = rnd_below(4) ? sz : mutate64(sz),
		};

		mask = OK_BIND;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_VM_BIND, &b);
		if (!ret && f->nb < MAX_H) {
			f->bva[f->nb] = b.va;
			f->bsz[f->nb++] = b.size;
		}
		break;
	}
	case 6: {
		unsigned int i = f->nb ? rnd_below(f->nb) : 0;
		struct drm_vnpu_vm_unbind u = {
			.va = f->nb && rnd_below(4) ? f->bva[i] : mutate64(f->va_start),
			.size = f->nb && rnd_below(4) ? f->bsz[i] : mutate64(4096),
			.flags = rnd_below(8) ? 0 : mutate32(0),
			.pad = rnd_below(8) ? 0 : mutate32(0),
		};

		mask = OK_UNBIND;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_VM_UNBIND, &u);
		if (!ret && f->nb && u.va == f->bva[i] && u.size == f->bsz[i]) {
			f->bva[i] = f->bva[f->nb - 1];
			f->bsz[i] = f->bsz[--f->nb];
		}
		break;
	}
	case 7: {
		uint64_t off = rnd_below(8) * 4096;
		struct drm_vnpu_bo_userptr u = {
			.user_ptr = rnd_below(4) ? (uintptr_t)f->upmem + off
						 : mutate64((uintptr_t)f->upmem),
			.size = rnd_below(4) ? (1 + rnd_below(8)) * 4096
					     : fuzz_size(f->max_bo),
			.flags = rnd_below(4) ? rnd_below(2) * DRM_VNPU_BO_READONLY
					      : mutate32(0),
		};

		mask = OK_USERPTR;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_BO_USERPTR, &u);
		if (!ret)
			add_handle(f, u.handle);
		break;
	}
	case 8: {
		struct drm_vnpu_ctx_param p = {
			.param = rnd_below(4) ? 0 : mutate32(0),
			.pad = rnd_below(8) ? 0 : mutate32(0),
			.value = rnd_below(4) ? rnd_below(3) : mutate64(1),
		};

		mask = OK_CTX;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_CTX_SET_PARAM, &p);
		break;
	}
	case 9: {
		/* never the fixture's own command and data BOs */
		unsigned int i = f->nh ? rnd_below(f->nh) : 0;
		struct drm_gem_close c = {
			.handle = f->nh ? f->h[i] : mutate32(1000),
		};

		if (c.handle == f->cmd || c.handle == f->data)
			c.handle = 0xdead0000 + rnd_below(16);
		mask = OK_CLOSE;
		ret = fz_ioctl(f->fd, DRM_IOCTL_GEM_CLOSE, &c);
		break;
	}
	case 10: {
		struct drm_prime_handle p = {
			.handle = pick_handle(f),
			.flags = rnd_below(4) ? DRM_CLOEXEC | DRM_RDWR
					      : mutate32(DRM_CLOEXEC),
		};

		mask = OK_PRIME;
		ret = fz_ioctl(f->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);
		if (!ret) {
			struct drm_prime_handle q = { .fd = p.fd };

			/* re-import into the same file: handle reuse */
			ret = fz_ioctl(f->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &q);
			if (!ret)
				add_handle(f, q.handle);
			close(p.fd);
		}
		break;
	}
	case 11: {
		uint32_t h;

		mask = OK_SYNC;
		if (f->ns < 8 || rnd_below(2)) {
			ret = syncobj_create(f->fd, rnd_below(2), &h);
			atomic_fetch_add(&ioctls, 1);
			if (!ret && f->ns < 8)
				f->syncs[f->ns++] = h;
			else if (!ret)
				syncobj_destroy(f->fd, h);
		} else {
			unsigned int i = rnd_below(f->ns);

			ret = syncobj_destroy(f->fd, f->syncs[i]);
			atomic_fetch_add(&ioctls, 1);
			f->syncs[i] = f->syncs[--f->ns];
		}
		break;
	}
	case 12: {
		/* driver ioctl numbers that do not exist, and wrong sizes */
		unsigned long nr = DRM_COMMAND_BASE + 9 + rnd_below(0x20);
		uint8_t buf[256] = {};

		if (rnd_below(2))
			nr = DRM_IOWR(nr, struct drm_vnpu_submit);
		else
			nr = DRM_IO(nr);
		mask = OK_UNKNOWN;
		ret = fz_ioctl(f->fd, nr, buf);
		break;
	}
	default: {
		/* mmap a random handle's offset, touch it, unmap */
		struct drm_vnpu_bo_info i = { .handle = pick_handle(f) };

		mask = OK_INFO;
		ret = fz_ioctl(f->fd, DRM_IOCTL_VNPU_BO_INFO, &i);
		if (!ret && i.mmap_offset && i.size <= 64 * 4096) {
			uint8_t *p = mmap(NULL, i.size, PROT_READ | PROT_WRITE,
					  MAP_SHARED, f->fd, i.mmap_offset);

			if (p != MAP_FAILED) {
				if (i.handle != f->cmd && i.handle != f->data)
					p[rnd_below(i.size)] ^= 0x5a;
				munmap(p, i.size);
			}
		}
		break;
	}
	}
	f->per_ioctl[which]++;
	if (!errno_ok(ret, mask)) {
		TH_LOG("%s: unexpected %d (%s)", names[which], ret, strerror(-ret));
		return false;
	}
	return true;
}

static int read_tainted(void)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/tainted", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = 0;
		close(fd);
	}
	return atoi(buf);
}

static void device_works(struct __test_metadata *_metadata)
{
	struct cmdbuf cb;
	uint32_t cmd, data;
	uint64_t cmd_va, data_va;
	uint8_t *cm, *dm;
	int32_t st = 1;
	int fd;

	VNPU_OPEN_OR_SKIP(fd);
	ASSERT_EQ(0, vnpu_bo_create(fd, 4096, 0, &cmd, &cmd_va));
	ASSERT_EQ(0, vnpu_bo_create(fd, 4096, 0, &data, &data_va));
	cm = vnpu_bo_mmap(fd, cmd, 4096);
	dm = vnpu_bo_mmap(fd, data, 4096);
	ASSERT_NE(NULL, cm);
	ASSERT_NE(NULL, dm);
	cb.base = cm;
	cb.len = 0;
	emit_fill(&cb, data_va, 4096, 0xf00dfeed);
	ASSERT_EQ(0, vnpu_run(fd, cmd, 0, cb.len, 0, &st, NULL));
	ASSERT_EQ(0, st);
	ASSERT_EQ(-1, check_fill(dm, 4096, 0xf00dfeed));
	munmap(cm, 4096);
	munmap(dm, 4096);
	close(fd);
}

FIXTURE(fuzz) {
	struct fz f;
	int tainted;
};

FIXTURE_SETUP(fuzz)
{
	struct fz *f = &self->f;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	rng_state = env_ul("VNPU_FUZZ_SEED", 0x5eed1234) | 1;
	trace = env_ul("VNPU_FUZZ_TRACE", 0);
	self->tainted = read_tainted();
	VNPU_OPEN_OR_SKIP(f->fd);
	f->max_bo = PARAM(f->fd, DRM_VNPU_PARAM_MAX_BO_SIZE);
	f->va_start = PARAM(f->fd, DRM_VNPU_PARAM_VA_START);
	f->va_end = PARAM(f->fd, DRM_VNPU_PARAM_VA_END);
	f->nq = PARAM(f->fd, DRM_VNPU_PARAM_NUM_QUEUES);
	ASSERT_EQ(0, vnpu_bo_create(f->fd, CMD_SIZE, 0, &f->cmd, &f->cmd_va));
	ASSERT_EQ(0, vnpu_bo_create(f->fd, DATA_SIZE, 0, &f->data, &f->data_va));
	f->cmd_map = vnpu_bo_mmap(f->fd, f->cmd, CMD_SIZE);
	f->data_map = vnpu_bo_mmap(f->fd, f->data, DATA_SIZE);
	ASSERT_NE(NULL, f->cmd_map);
	ASSERT_NE(NULL, f->data_map);
	f->upmem = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->upmem);
	memset(f->upmem, 1, 16 * 4096);
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->f.fd >= 0)
		close(self->f.fd);
}

TEST_F_TIMEOUT(fuzz, random_ioctls, 600)
{
	struct fz *f = &self->f;
	unsigned long iters = env_ul("VNPU_FUZZ_ITERS", 20000);
	unsigned long start = atomic_load(&ioctls);

	for (unsigned long i = 0; i < iters; i++) {
		ASSERT_TRUE(fuzz_one(_metadata, f)) TH_LOG("iteration %lu", i);
		/* a fresh file now and then: handles of a closed file */
		if (i % 5000 == 4999) {
			ASSERT_TRUE(drain_jobs(_metadata, f));
		}
	}
	ASSERT_TRUE(drain_jobs(_metadata, f));
	for (unsigned int i = 0; i < 14; i++)
		ksft_print_msg("fuzz: %-13s %lu\n", names[i], f->per_ioctl[i]);
	ksft_print_msg("fuzz: %lu ioctls (random_ioctls)\n",
		       atomic_load(&ioctls) - start);
	close(f->fd);
	f->fd = -1;
	device_works(_metadata);
	ASSERT_EQ(self->tainted, read_tainted());
}

/*
 * Regression (found by random_ioctls): VM_UNBIND at a VA at or beyond
 * VA_END walked the context's drm_mm node list forever (soft lockup). It
 * must fail with -ENOENT, with and without bound ranges present.
 */
TEST_F_TIMEOUT(fuzz, unbind_outside_va_range, 60)
{
	struct fz *f = &self->f;
	uint64_t vas[] = {
		f->va_end, f->va_end + 4096, f->va_end | 0xd27,
		0xbb8b2f3eb1640d27ull, ~0ull - 4095, ~0ull, 0, 4096,
		f->va_start - 4096,
	};

	unsigned int i;

	for (int round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
			ASSERT_EQ(-ENOENT, vnpu_vm_unbind(f->fd, vas[i], 4096))
				TH_LOG("VM_UNBIND at %#llx",
				       (unsigned long long)vas[i]);
		}
		/* the second round with a bound range in the context */
		if (round == 0)
					ASSERT_EQ(0, vnpu_vm_bind(f->fd, f->data, 0,
							  f->va_end - 4096, 0,
							  4096));
	}
	ASSERT_EQ(0, vnpu_vm_unbind(f->fd, f->va_end - 4096, 4096));
}

/* ---- races ---- */

struct race {
	int fd;
	uint64_t va_start;
	uint32_t cmd;
	uint64_t cmd_va;
	uint8_t *cmd_map;
	atomic_bool stop;
	atomic_uint bad;
	atomic_uint handle;	/* the BO being created and closed */
	atomic_uint ok_ops;
	int bad_ret;
	const char *bad_what;
	unsigned long iters;
};

static void race_bad(struct race *r, const char *what, int ret)
{
	if (!atomic_fetch_add(&r->bad, 1)) {
		r->bad_what = what;
		r->bad_ret = ret;
	}
}

/* Thread: create/close data BOs; the handle is published in r->handle. */
static void *churn_bos(void *arg)
{
	struct race *r = arg;

	for (unsigned long i = 0; i < r->iters && !r->bad; i++) {
		uint32_t h;
		uint64_t va;
		int ret = vnpu_bo_create(r->fd, 8192, 0, &h, &va);

		atomic_fetch_add(&ioctls, 2);
		if (ret) {
			race_bad(r, "BO_CREATE", ret);
			break;
		}
		atomic_store(&r->handle, h);
		usleep(rnd_below(50));
		ret = vnpu_gem_close(r->fd, h);
		if (ret && ret != -EINVAL) {
			race_bad(r, "GEM_CLOSE", ret);
			break;
		}
	}
	atomic_store(&r->stop, true);
	return NULL;
}

/* Thread: submit FILLs listing the churned BO; the job must end well. */
static void *submit_loop(void *arg)
{
	struct race *r = arg;
	struct cmdbuf cb = { .base = r->cmd_map };

	emit_nop(&cb);
	while (!atomic_load(&r->stop) && !r->bad) {
		uint32_t bo = atomic_load(&r->handle);
		struct drm_vnpu_submit s = {
			.cmd_handle = r->cmd, .cmd_size = cb.len,
			.bo_handles = (uintptr_t)&bo, .bo_count = 1,
		};
		int32_t st = 0;
		int ret = xioctl(r->fd, DRM_IOCTL_VNPU_SUBMIT, &s);

		atomic_fetch_add(&ioctls, 1);
		if (ret == -ENOENT)
			continue;
		if (ret) {
			race_bad(r, "SUBMIT", ret);
			break;
		}
		ret = vnpu_wait(r->fd, s.job_id, deadline_in(VNPU_JOB_TIMEOUT_NS),
				&st, NULL);
		atomic_fetch_add(&ioctls, 1);
		if (ret || st) {
			race_bad(r, "WAIT", ret ? ret : st);
			break;
		}
		atomic_fetch_add(&r->ok_ops, 1);
	}
	return NULL;
}

/* Thread: mmap the churned BO and write to it while it is being freed. */
static void *mmap_loop(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop) && !r->bad) {
		struct drm_vnpu_bo_info i = { .handle = atomic_load(&r->handle) };
		int ret = xioctl(r->fd, DRM_IOCTL_VNPU_BO_INFO, &i);
		uint8_t *p;

		atomic_fetch_add(&ioctls, 1);
		if (ret == -ENOENT)
			continue;
		if (ret) {
			race_bad(r, "BO_INFO", ret);
			break;
		}
		p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
			 i.mmap_offset);
		if (p == MAP_FAILED) {
			/* the BO was freed between BO_INFO and mmap */
			if (errno != EINVAL && errno != ENOENT && errno != EACCES)
				race_bad(r, "mmap", -errno);
			continue;
		}
		memset(p, 0x77, 8192);
		if (check_bytes(p, 8192, 0x77) >= 0)
			race_bad(r, "mmap content", 0);
		munmap(p, 8192);
		atomic_fetch_add(&r->ok_ops, 1);
	}
	return NULL;
}

static void race_setup(struct __test_metadata *_metadata, struct race *r)
{
	memset(r, 0, sizeof(*r));
	VNPU_OPEN_OR_SKIP(r->fd);
	r->va_start = PARAM(r->fd, DRM_VNPU_PARAM_VA_START);
	ASSERT_EQ(0, vnpu_bo_create(r->fd, 4096, 0, &r->cmd, &r->cmd_va));
	r->cmd_map = vnpu_bo_mmap(r->fd, r->cmd, 4096);
	ASSERT_NE(NULL, r->cmd_map);
	r->iters = env_ul("VNPU_FUZZ_RACE_ITERS", 1500);
}

static void race_finish(struct __test_metadata *_metadata, struct race *r,
			const char *name)
{
	ksft_print_msg("fuzz: %s: %u operations completed, %lu ioctls\n",
		       name, r->ok_ops, atomic_load(&ioctls));
	EXPECT_EQ(0, r->bad) TH_LOG("%s: %d (%s)", r->bad_what, r->bad_ret,
				    strerror(-r->bad_ret));
	munmap(r->cmd_map, 4096);
	close(r->fd);
	device_works(_metadata);
}

FIXTURE(races) {
	int unused;
};

FIXTURE_SETUP(races)
{
}

FIXTURE_TEARDOWN(races)
{
}

TEST_F_TIMEOUT(races, submit_vs_close, 300)
{
	struct race r;
	pthread_t a, b;

	race_setup(_metadata, &r);
	pthread_create(&a, NULL, churn_bos, &r);
	pthread_create(&b, NULL, submit_loop, &r);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	race_finish(_metadata, &r, "submit vs close");
}

TEST_F_TIMEOUT(races, mmap_vs_free, 300)
{
	struct race r;
	pthread_t a, b;

	race_setup(_metadata, &r);
	pthread_create(&a, NULL, churn_bos, &r);
	pthread_create(&b, NULL, mmap_loop, &r);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	race_finish(_metadata, &r, "mmap vs free");
}

/* bind/unbind one VA in one thread while another runs FILLs at it. */
struct bindrace {
	struct race r;
	uint32_t bo;
	uint64_t va;
	uint8_t *map;
};

static void *bind_loop(void *arg)
{
	struct bindrace *b = arg;
	struct race *r = &b->r;

	for (unsigned long i = 0; i < r->iters && !r->bad; i++) {
		int ret = vnpu_vm_bind(r->fd, b->bo, 0, b->va, 0, 4096);

		atomic_fetch_add(&ioctls, 2);
		if (ret) {
			race_bad(r, "VM_BIND", ret);
			break;
		}
		usleep(rnd_below(100));
		ret = vnpu_vm_unbind(r->fd, b->va, 4096);
		if (ret) {
			race_bad(r, "VM_UNBIND", ret);
			break;
		}
	}
	atomic_store(&r->stop, true);
	return NULL;
}

static void *fill_at_va_loop(void *arg)
{
	struct bindrace *b = arg;
	struct race *r = &b->r;
	struct cmdbuf cb = { .base = r->cmd_map };

	emit_fill(&cb, b->va, 4096, 0xabcdef01);
	while (!atomic_load(&r->stop) && !r->bad) {
		uint64_t id;
		int32_t st = 1;
		int ret = vnpu_submit_simple(r->fd, r->cmd, 0, cb.len, 0, 0, &id);

		atomic_fetch_add(&ioctls, 2);
		if (ret) {
			race_bad(r, "SUBMIT", ret);
			break;
		}
		ret = vnpu_wait(r->fd, id, deadline_in(VNPU_JOB_TIMEOUT_NS),
				&st, NULL);
		/* mapped: it wrote; unmapped: MMU fault, never anything else */
		if (ret || (st != 0 && st != -EFAULT)) {
			race_bad(r, "WAIT", ret ? ret : st);
			break;
		}
		atomic_fetch_add(&r->ok_ops, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(races, bind_vs_unbind_vs_submit, 300)
{
	struct bindrace b;
	struct race *r = &b.r;
	pthread_t t1, t2;
	uint64_t va;

	race_setup(_metadata, r);
	ASSERT_EQ(0, vnpu_bo_create(r->fd, 4096, 0, &b.bo, &va));
	b.map = vnpu_bo_mmap(r->fd, b.bo, 4096);
	ASSERT_NE(NULL, b.map);
	b.va = PARAM(r->fd, DRM_VNPU_PARAM_VA_END) - 16 * 4096;
	pthread_create(&t1, NULL, bind_loop, &b);
	pthread_create(&t2, NULL, fill_at_va_loop, &b);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	munmap(b.map, 4096);
	race_finish(_metadata, r, "bind vs unbind vs submit");
}

/* close(fd) while other threads are inside ioctls on it. */
static void *ioctl_until_ebadf(void *arg)
{
	struct race *r = arg;
	struct cmdbuf cb = { .base = r->cmd_map };

	emit_nop(&cb);
	for (;;) {
		uint64_t id;
		int ret = vnpu_submit_simple(r->fd, r->cmd, 0, cb.len, 0, 0, &id);

		atomic_fetch_add(&ioctls, 1);
		if (ret == -EBADF)
			break;
		if (ret) {
			race_bad(r, "SUBMIT", ret);
			break;
		}
		ret = vnpu_wait(r->fd, id, deadline_in(VNPU_JOB_TIMEOUT_NS),
				NULL, NULL);
		atomic_fetch_add(&ioctls, 1);
		if (ret == -EBADF)
			break;
		if (ret) {
			race_bad(r, "WAIT", ret);
			break;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(races, ioctls_vs_close_fd, 300)
{
	for (int round = 0; round < 20; round++) {
		struct race r;
		pthread_t t[3];

		race_setup(_metadata, &r);
		munmap(r.cmd_map, 4096);
		r.cmd_map = vnpu_bo_mmap(r.fd, r.cmd, 4096);
		for (int i = 0; i < 3; i++)
			pthread_create(&t[i], NULL, ioctl_until_ebadf, &r);
		usleep(1000 + rnd_below(20000));
		close(r.fd);
		for (int i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		munmap(r.cmd_map, 4096);
		ASSERT_EQ(0, r.bad) TH_LOG("%s: %d", r.bad_what, r.bad_ret);
	}
	device_works(_metadata);
	ksft_print_msg("fuzz: ioctls vs close(fd): %lu ioctls\n",
		       atomic_load(&ioctls));
}

TEST_HARNESS_MAIN
