// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu fault injection and lifecycle under load.
 *
 * hangs_under_load: worker processes run verified workloads (FILL then
 * COPY, output checked byte for byte) on every queue while a guilty
 * process submits jobs with DRM_VNPU_SUBMIT_INJECT_HANG, one at a time;
 * lost interrupts are injected (debugfs inject_drop_irq) between hangs.
 * Every hang ends with -ETIMEDOUT, every innocent job completes with
 * correct output, the device serves new work afterwards.
 * $VNPU_STRESS_HANGS hangs (default 10; 100 for the long run).
 *
 * faults_under_load: the same workers while DMA failures and spurious MMU
 * faults are injected (debugfs inject_dma_fail_job, inject_mmu_fault_job,
 * which hit the next job, whoever's it is): exactly one job per injection
 * ends with the documented status (-EIO, -EFAULT), every other job is
 * correct, and a failed job's retry is correct.
 *
 * unplug_cycles: PCI remove/rescan with a process submitting jobs and
 * holding the fd: its ioctls fail with -ENODEV, it never sees an error
 * outside the documented set; after rescan the device works.
 * $VNPU_STRESS_UNPLUGS cycles (default 3).
 *
 * reload_cycles: rmmod/insmod, a verified job after each load.
 * $VNPU_STRESS_RELOADS cycles (default 3).
 *
 * Needs root and the module file (/lib/modules/vnpu.ko, or $VNPU_KO); the
 * driver is reloaded with job_timeout_ms=2000 fault_inject=1 and with its
 * defaults afterwards. The test prints its figures ("stress: ...").
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define TIMEOUT_MS	2000
#define PARAMS		"job_timeout_ms=2000 fault_inject=1 hang_limit=1000"
#define BUF		(64 * 1024ull)
#define HANG_WAIT_NS	((TIMEOUT_MS + 30000) * 1000000ll)
#define NWORKERS	2

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

/* debugfs file @name of the first vnpu device as a number, or -1. */
static long debugfs_read(const char *name)
{
	char buf[64];

	return vnpu_debugfs_read(name, buf, sizeof(buf)) < 0 ? -1 :
		strtol(buf, NULL, 0);
}

/* ---- a verified workload ---- */

struct wl {
	int fd;
	uint32_t cmd, data;
	uint64_t cmd_va, data_va;
	uint8_t *cmd_map, *data_map;
};

static int wl_open(struct wl *w)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->fd = vnpu_open();
	if (w->fd < 0)
		return w->fd;
	ret = vnpu_bo_create(w->fd, BUF, 0, &w->cmd, &w->cmd_va);
	if (!ret)
		ret = vnpu_bo_create(w->fd, BUF, 0, &w->data, &w->data_va);
	if (ret)
		return ret;
	w->cmd_map = vnpu_bo_mmap(w->fd, w->cmd, BUF);
	w->data_map = vnpu_bo_mmap(w->fd, w->data, BUF);
	if (!w->cmd_map || !w->data_map)
		return -ENOMEM;
	return 0;
}

static void wl_close(struct wl *w)
{
	if (w->cmd_map)
		munmap(w->cmd_map, BUF);
	if (w->data_map)
		munmap(w->data_map, BUF);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/*
 * FILL half A with @pat and COPY A to half B, on @queue; returns the job
 * status (or the ioctl -errno), and on status 0 whether the output is right
 * (-EBADMSG when not).
 */
static int wl_step(struct wl *w, uint32_t queue, uint32_t pat, int64_t wait)
{
	struct cmdbuf cb = { .base = w->cmd_map };
	uint64_t half = BUF / 2, id;
	int32_t st = 1;
	int ret;

	memset(w->data_map, 0, BUF);
	emit_fill(&cb, w->data_va, half, pat);
	emit_copy(&cb, w->data_va, w->data_va + half, half);
	ret = vnpu_submit_simple(w->fd, w->cmd, 0, cb.len, queue, 0, &id);
	if (ret)
		return ret;
	ret = vnpu_wait(w->fd, id, deadline_in(wait), &st, NULL);
	if (ret)
		return ret;
	if (st)
		return st;
	if (check_fill(w->data_map, half, pat) != -1 ||
	    check_fill(w->data_map + half, half, pat) != -1)
		return -EBADMSG;
	return 0;
}

/* Shared between the workers and the test. */
struct tally {
	volatile int stop;
	unsigned long jobs[NWORKERS];
	unsigned long eio[NWORKERS], efault[NWORKERS];
	int bad[NWORKERS];
};

/*
 * Worker @i: steps until told to stop. With @tolerate, -EIO and -EFAULT
 * (injected) are counted and the step is retried, which must succeed.
 */
static void worker(struct tally *t, int i, uint32_t nq, bool tolerate)
{
	struct wl w;
	int ret = wl_open(&w);
	uint32_t pat = 0x1000 * (i + 1);

	if (ret) {
		t->bad[i] = ret;
		_exit(1);
	}
	for (unsigned long n = 0; !t->stop; n++) {
		ret = wl_step(&w, n % nq, pat + n, HANG_WAIT_NS);
		if (tolerate && ret == -EIO) {
			t->eio[i]++;
			continue;
		}
		if (tolerate && ret == -EFAULT) {
			t->efault[i]++;
			continue;
		}
		if (ret) {
			t->bad[i] = ret;
			_exit(1);
		}
		t->jobs[i]++;
	}
	wl_close(&w);
	_exit(0);
}

FIXTURE(stress) {
	struct tally *t;
	pid_t pids[NWORKERS];
	uint32_t nq;
	bool loaded;
};

FIXTURE_SETUP(stress)
{
	int ret, fd;

	self->loaded = false;
	self->t = mmap(NULL, sizeof(*self->t), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->t);
	memset(self->t, 0, sizeof(*self->t));
	memset(self->pids, 0, sizeof(self->pids));
	if (geteuid() != 0)
		SKIP(return, "not root");
	if (access("/sys/module/vnpu", F_OK) || access(vnpu_ko_path(), R_OK))
		SKIP(return, "vnpu is not a loadable module here");
	ret = vnpu_reload(PARAMS);
	ASSERT_EQ(0, ret) TH_LOG("reload: %s", strerror(-ret));
	self->loaded = true;
	fd = vnpu_open();
	ASSERT_GE(fd, 0);
	self->nq = PARAM(fd, DRM_VNPU_PARAM_NUM_QUEUES);
	close(fd);
}

static void stop_workers(struct __test_metadata *_metadata,
			 FIXTURE_DATA(stress) *self)
{
	self->t->stop = 1;
	for (int i = 0; i < NWORKERS; i++) {
		int status;

		if (!self->pids[i])
			continue;
		ASSERT_EQ(self->pids[i], waitpid(self->pids[i], &status, 0));
		self->pids[i] = 0;
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("worker %d: status %#x, error %d (%s)", i,
			       status, self->t->bad[i],
			       strerror(-self->t->bad[i]));
	}
}

FIXTURE_TEARDOWN(stress)
{
	self->t->stop = 1;
	for (int i = 0; i < NWORKERS; i++)
		if (self->pids[i]) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	if (self->loaded)
		vnpu_reload("");
	munmap(self->t, sizeof(*self->t));
}

static void start_workers(struct __test_metadata *_metadata,
			  FIXTURE_DATA(stress) *self, bool tolerate)
{
	for (int i = 0; i < NWORKERS; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0)
			worker(self->t, i, self->nq, tolerate);
		self->pids[i] = pid;
	}
	/* let them get going */
	usleep(200000);
}

static void device_works(struct __test_metadata *_metadata)
{
	struct wl w;
	int ret;

	ASSERT_EQ(0, wl_open(&w));
	ret = wl_step(&w, 0, 0x600dd00d, VNPU_JOB_TIMEOUT_NS);
	ASSERT_EQ(0, ret) TH_LOG("verified job: %d (%s)", ret, strerror(-ret));
	wl_close(&w);
}

TEST_F_TIMEOUT(stress, hangs_under_load, 900)
{
	unsigned long hangs = env_ul("VNPU_STRESS_HANGS", 10);
	unsigned long recovered = 0, dropped = 0, jobs = 0;
	struct wl g;
	int k;

	start_workers(_metadata, self, false);
	ASSERT_EQ(0, wl_open(&g));
	for (unsigned long i = 0; i < hangs; i++) {
		struct cmdbuf cb = { .base = g.cmd_map };
		int32_t st = 1;
		uint32_t hw = 0;
		uint64_t id;

		emit_fill(&cb, g.data_va, 64, 0xbad);
		ASSERT_EQ(0, vnpu_submit_simple(g.fd, g.cmd, 0, cb.len,
						i % self->nq,
						DRM_VNPU_SUBMIT_INJECT_HANG,
						&id));
		ASSERT_EQ(0, vnpu_wait(g.fd, id, deadline_in(HANG_WAIT_NS),
				       &st, &hw));
		ASSERT_EQ(-ETIMEDOUT, st) TH_LOG("hang %lu: status %d hw %#x",
						 i, st, hw);
		/* the guilty file keeps working on that queue */
		ASSERT_EQ(0, wl_step(&g, i % self->nq, 0x77 + i,
				     VNPU_JOB_TIMEOUT_NS));
		recovered++;
		if (i % 3 == 1 && !vnpu_debugfs_write("inject_drop_irq", "1"))
			dropped++;
		for (k = 0; k < NWORKERS; k++) {
			ASSERT_EQ(0, self->t->bad[k])
				TH_LOG("worker %d: %d", k, self->t->bad[k]);
		}
	}
	wl_close(&g);
	stop_workers(_metadata, self);
	for (int w = 0; w < NWORKERS; w++)
		jobs += self->t->jobs[w];
	ksft_print_msg("stress: %lu hangs injected, %lu recovered, %lu irqs dropped, %lu innocent jobs verified\n",
		       hangs, recovered, dropped, jobs);
	EXPECT_LT(0, jobs);
	device_works(_metadata);
}

/* Arm @name for the next job and wait for it to fire; 0 or -errno. */
static int inject_and_wait(const char *name)
{
	int ret = vnpu_debugfs_write(name, "1");

	if (ret)
		return ret;
	for (int i = 0; i < 3000; i++) {
		if (debugfs_read(name) == 0)
			return 0;
		usleep(10000);
	}
	return -ETIME;
}

TEST_F_TIMEOUT(stress, faults_under_load, 600)
{
	unsigned long n = env_ul("VNPU_STRESS_FAULTS", 6);
	unsigned long dma = 0, mmu = 0, eio = 0, efault = 0, jobs = 0;
	int ret;

	if (debugfs_read("inject_dma_fail_job") < 0 ||
	    debugfs_read("inject_mmu_fault_job") < 0)
		SKIP(return, "no fault-injection files in debugfs");
	start_workers(_metadata, self, true);
	for (unsigned long i = 0; i < n; i++) {
		const char *name = i % 2 ? "inject_mmu_fault_job"
					 : "inject_dma_fail_job";

		ret = inject_and_wait(name);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", name, strerror(-ret));
		if (i % 2)
			mmu++;
		else
			dma++;
	}
	/* let the last failed jobs be seen */
	usleep(500000);
	stop_workers(_metadata, self);
	for (int w = 0; w < NWORKERS; w++) {
		eio += self->t->eio[w];
		efault += self->t->efault[w];
		jobs += self->t->jobs[w];
	}
	ksft_print_msg("stress: %lu DMA failures and %lu MMU faults injected; %lu -EIO and %lu -EFAULT jobs seen, %lu jobs verified\n",
		       dma, mmu, eio, efault, jobs);
	EXPECT_EQ(dma, eio);
	EXPECT_EQ(mmu, efault);
	device_works(_metadata);
}

/* ---- lifecycle ---- */

static int pci_addr_of(const char *node, char *addr, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *name = strrchr(node, '/');
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/accel/%s/device",
		 name ? name + 1 : node);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -ENOENT;
	link[n] = 0;
	snprintf(addr, size, "%s", strrchr(link, '/') + 1);
	return 0;
}

/*
 * A process that submits until its fd is dead; exits 0 on -ENODEV. It
 * writes a byte to @ready once its first job has run, so that the device
 * is removed under a process that is really using it.
 */
static void doomed_submitter(uint32_t nq, int ready)
{
	struct wl w;
	int ret = wl_open(&w);

	if (ret) {
		fprintf(stderr, "# submitter: open: %d (%s)\n", ret,
			strerror(-ret));
		_exit(2);
	}
	for (unsigned long n = 0;; n++) {
		ret = wl_step(&w, n % nq, 0x3000 + n, HANG_WAIT_NS);
		if (!ret && ready >= 0) {
			if (write(ready, "r", 1) != 1)
				_exit(3);
			close(ready);
			ready = -1;
		}
		if (ret == -ENODEV)
			break;
		/* a job cut short by the removal */
		if (ret == -ECANCELED)
			continue;
		if (ret) {
			fprintf(stderr, "# submitter: %d (%s)\n", ret,
				strerror(-ret));
			_exit(1);
		}
	}
	/*
	 * The remove fails the jobs (-ENODEV) just before it marks the DRM
	 * device unplugged: from then on (within 10 s here), every ioctl
	 * returns -ENODEV, and keeps doing so.
	 */
	for (int i = 0; i < 1000; i++) {
		ret = vnpu_get_param(w.fd, DRM_VNPU_PARAM_DEVICE_ID, 0, NULL);
		if (ret != 0)
			break;
		usleep(10000);
	}
	if (ret == -ENODEV)
		ret = vnpu_get_param(w.fd, DRM_VNPU_PARAM_DEVICE_ID, 0, NULL);
	if (ret != -ENODEV) {
		fprintf(stderr, "# submitter: GET_PARAM after removal: %d\n", ret);
		_exit(1);
	}
	wl_close(&w);
	_exit(0);
}

TEST_F_TIMEOUT(stress, unplug_cycles, 600)
{
	unsigned long cycles = env_ul("VNPU_STRESS_UNPLUGS", 3);
	char addr[64], path[256];
	unsigned long done = 0;

	ASSERT_EQ(0, pci_addr_of(vnpu_dev_path(), addr, sizeof(addr)));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", addr);
	if (access(path, W_OK))
		SKIP(return, "no %s", path);
	for (unsigned long i = 0; i < cycles; i++) {
		pid_t pid[2];
		int status, ready[2];
		char byte[2];

		ASSERT_EQ(0, pipe(ready));
		for (int k = 0; k < 2; k++) {
			pid[k] = fork();
			ASSERT_GE(pid[k], 0);
			if (pid[k] == 0) {
				close(ready[0]);
				doomed_submitter(self->nq, ready[1]);
			}
		}
		close(ready[1]);
		/* both are submitting (a child that fails closes its end) */
		EXPECT_EQ(1, read(ready[0], &byte[0], 1));
		EXPECT_EQ(1, read(ready[0], &byte[1], 1));
		close(ready[0]);
		usleep(50000);
		ASSERT_EQ(0, sysfs_write(path, "1"));
		for (int k = 0; k < 2; k++) {
			ASSERT_EQ(pid[k], waitpid(pid[k], &status, 0));
			EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
				TH_LOG("cycle %lu submitter %d: %#x", i, k, status);
		}
		ASSERT_EQ(0, sysfs_write("/sys/bus/pci/rescan", "1"));
		ASSERT_TRUE(vnpu_node_present(10000));
		device_works(_metadata);
		done++;
	}
	ksft_print_msg("stress: %lu PCI remove/rescan cycles with jobs in flight\n",
		       done);
}

TEST_F_TIMEOUT(stress, reload_cycles, 600)
{
	unsigned long cycles = env_ul("VNPU_STRESS_RELOADS", 3);
	unsigned long done = 0;

	for (unsigned long i = 0; i < cycles; i++) {
		int ret = vnpu_reload(i % 2 ? "" : PARAMS);

		ASSERT_EQ(0, ret) TH_LOG("reload %lu: %s", i, strerror(-ret));
		device_works(_metadata);
		done++;
	}
	ksft_print_msg("stress: %lu module reload cycles\n", done);
}

TEST_HARNESS_MAIN
