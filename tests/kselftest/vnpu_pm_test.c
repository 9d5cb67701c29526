// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu power-management selftests.
 *
 * Runtime PM (fixture pm): autosuspend through the PCI device's
 * power/control and power/runtime_status, jobs and VM changes while
 * suspended, a job keeping the device awake, and runtime suspend under
 * load: $VNPU_PM_CYCLES (default 3) cycles of an idle period (the device
 * must suspend) and a burst of verified jobs.
 *
 * System sleep (fixtures system_sleep and sleep_timeout): a system suspend with
 * /sys/power/pm_test (the kernel resumes after pm_test_delay seconds)
 * while a long job runs and short jobs are queued behind it and on the
 * other queues. Three long jobs in a row on one queue, calibrated to last
 * about a second each, keep it busy: the last is checked to be pending
 * right before /sys/power/state is written, and the driver's debugfs "pm"
 * file must show jobs on the hardware at suspend.
 * Every job must then complete with the right data, without any reset or
 * hang. Variants: freeze and mem, pm_test "devices" and "platform", and
 * suspend_drain_ms 0 (running jobs are stopped and run again at resume),
 * the default, and 60 s (the long job ends before the device stops).
 * sleep_timeout reloads the driver with job_timeout_ms=3000 and sleeps
 * five seconds with jobs in flight: none may time out.
 *
 * Needs root; the sleep tests need /sys/power/pm_test and the sleep state
 * (skipped otherwise), and sleep_timeout the module file
 * (/lib/modules/vnpu.ko or $VNPU_KO).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define BUF_SIZE	(1024 * 1024ull)
#define BIND_VA		(1ull << 40)

static int sysfs_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

struct pm {
	char dev[256];	/* /sys/bus/pci/devices/<addr> */
	char addr[64];	/* <addr> */
	int fd;
	uint32_t cmd, data;
	uint64_t cmd_va, data_va;
	uint8_t *cmd_map, *data_map;
};

static void pm_attr(struct pm *p, const char *attr, char *path, size_t size)
{
	snprintf(path, size, "%s/power/%s", p->dev, attr);
}

static bool wait_status(struct pm *p, const char *want, int ms)
{
	char path[PATH_MAX + 32], buf[32];

	pm_attr(p, "runtime_status", path, sizeof(path));
	for (int i = 0; i <= ms / 10; i++) {
		if (!sysfs_read(path, buf, sizeof(buf)) && !strcmp(buf, want))
			return true;
		usleep(10000);
	}
	return false;
}

static int set_control(struct pm *p, const char *val)
{
	char path[PATH_MAX + 32];

	pm_attr(p, "control", path, sizeof(path));
	return sysfs_write(path, val);
}

static void fill_ok(struct __test_metadata *_metadata, struct pm *p,
		    uint64_t va, uint32_t pattern)
{
	struct cmdbuf cb = { .base = p->cmd_map };
	int32_t status = 1;
	uint32_t hw;

	memset(p->data_map, 0, 4096);
	emit_fill(&cb, va, 4096, pattern);
	ASSERT_EQ(0, vnpu_run(p->fd, p->cmd, 0, cb.len, 0, &status, &hw));
	ASSERT_EQ(0, status) TH_LOG("hw_status %#x", hw);
	ASSERT_EQ(-1, check_fill(p->data_map, 4096, pattern));
}

/* The PCI device of the node under test; 0 or -errno. */
static int pm_find_dev(struct pm *p)
{
	char link[PATH_MAX], path[PATH_MAX + 64];
	const char *node = vnpu_dev_path();
	const char *name = strrchr(node, '/');
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/accel/%s/device", name + 1);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -ENODEV;
	link[n] = 0;
	snprintf(p->addr, sizeof(p->addr), "%s", strrchr(link, '/') + 1);
	snprintf(p->dev, sizeof(p->dev), "/sys/bus/pci/devices/%s", p->addr);
	return 0;
}

/* Open the node with a command and a data BO, both mmapped. */
static void pm_open(struct __test_metadata *_metadata, struct pm *p)
{
	p->fd = vnpu_open();
	ASSERT_GE(p->fd, 0);
	ASSERT_EQ(0, vnpu_bo_create(p->fd, BUF_SIZE, 0, &p->cmd, &p->cmd_va));
	ASSERT_EQ(0, vnpu_bo_create(p->fd, BUF_SIZE, 0, &p->data,
				    &p->data_va));
	p->cmd_map = vnpu_bo_mmap(p->fd, p->cmd, BUF_SIZE);
	p->data_map = vnpu_bo_mmap(p->fd, p->data, BUF_SIZE);
	ASSERT_NE(NULL, p->cmd_map);
	ASSERT_NE(NULL, p->data_map);
}

static void pm_close(struct pm *p)
{
	if (p->fd < 0)
		return;
	munmap(p->cmd_map, BUF_SIZE);
	munmap(p->data_map, BUF_SIZE);
	close(p->fd);
	p->fd = -1;
}

/* A telemetry counter of the device (sysfs), or -1. */
static long long counter(struct pm *p, const char *name)
{
	char path[PATH_MAX + 64], buf[32];

	snprintf(path, sizeof(path), "%s/telemetry/%s", p->dev, name);
	return sysfs_read(path, buf, sizeof(buf)) ? -1 : strtoll(buf, NULL, 10);
}

/* A line "<key> <value>" of the device's debugfs file "pm", or -1. */
static long long pm_debugfs(struct pm *p, const char *key)
{
	char path[PATH_MAX], buf[512], *line;
	size_t len = strlen(key);

	if (access("/sys/kernel/debug/accel", F_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	snprintf(path, sizeof(path), "/sys/kernel/debug/accel/%s/pm", p->addr);
	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	for (line = buf; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, len) && line[len] == ' ')
			return strtoll(line + len + 1, NULL, 10);
	}
	return -1;
}

FIXTURE(pm) {
	struct pm p;
};

FIXTURE_SETUP(pm)
{
	char path[PATH_MAX + 64];

	self->p.fd = -1;
	if (geteuid() != 0)
		SKIP(return, "not root");
	if (access(vnpu_dev_path(), F_OK))
		SKIP(return, "%s absent", vnpu_dev_path());
	ASSERT_EQ(0, pm_find_dev(&self->p));
	snprintf(path, sizeof(path), "%s/power/runtime_status", self->p.dev);
	if (access(path, R_OK))
		SKIP(return, "no runtime PM in sysfs");
	pm_open(_metadata, &self->p);
}

FIXTURE_TEARDOWN(pm)
{
	sysfs_write("/sys/module/vnpu/parameters/fault_inject", "0");
	if (self->p.fd >= 0)
		set_control(&self->p, "on");
	pm_close(&self->p);
}

TEST_F(pm, runtime_suspend_and_resume)
{
	ASSERT_EQ(0, set_control(&self->p, "auto"));
	ASSERT_TRUE(wait_status(&self->p, "suspended", 5000))
		TH_LOG("the idle device did not suspend");
	/* a job wakes it up and runs normally */
	fill_ok(_metadata, &self->p, self->p.data_va, 0x5005e7ed);
	ASSERT_TRUE(wait_status(&self->p, "suspended", 5000))
		TH_LOG("the device did not suspend again");
	fill_ok(_metadata, &self->p, self->p.data_va, 0x7e5e7ed0);
	/* "on" resumes it and keeps it active */
	ASSERT_EQ(0, set_control(&self->p, "on"));
	ASSERT_TRUE(wait_status(&self->p, "active", 1000));
	usleep(500 * 1000);
	ASSERT_TRUE(wait_status(&self->p, "active", 0));
}

/* A file opened and BOs created while suspended work afterwards. */
TEST_F(pm, new_file_while_suspended)
{
	uint32_t h;
	uint64_t va;
	int fd;

	ASSERT_EQ(0, set_control(&self->p, "auto"));
	ASSERT_TRUE(wait_status(&self->p, "suspended", 5000));
	fd = vnpu_open();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vnpu_bo_create(fd, 4096, 0, &h, &va));
	ASSERT_EQ(0, vnpu_gem_close(fd, h));
	close(fd);
	ASSERT_TRUE(wait_status(&self->p, "suspended", 0))
		TH_LOG("creating BOs woke the device");
	fill_ok(_metadata, &self->p, self->p.data_va, 0x0eef0eef);
}

/* Unbinding while suspended: the range faults after resume. */
TEST_F(pm, unbind_while_suspended)
{
	struct cmdbuf cb = { .base = self->p.cmd_map };
	int32_t status;
	uint32_t hw;

	ASSERT_EQ(0, vnpu_vm_bind(self->p.fd, self->p.data, 0, BIND_VA, 0,
				  4096));
	fill_ok(_metadata, &self->p, BIND_VA, 0xb0b0b0b0);
	ASSERT_EQ(0, set_control(&self->p, "auto"));
	ASSERT_TRUE(wait_status(&self->p, "suspended", 5000));
	ASSERT_EQ(0, vnpu_vm_unbind(self->p.fd, BIND_VA, 4096));
	memset(self->p.data_map, 0, 4096);
	emit_fill(&cb, BIND_VA, 4096, 1);
	ASSERT_EQ(0, vnpu_run(self->p.fd, self->p.cmd, 0, cb.len, 0, &status,
			      &hw));
	ASSERT_EQ(-EFAULT, status);
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	ASSERT_EQ(-1, check_bytes(self->p.data_map, 4096, 0));
}

/*
 * A job holds the device active: a hung job (fault injection) keeps it
 * awake until the hang is recovered, after which it suspends again.
 */
TEST_F_TIMEOUT(pm, job_keeps_device_active, 120)
{
	struct cmdbuf cb = { .base = self->p.cmd_map };
	int32_t status = 1;
	uint32_t hw;
	uint64_t id;

	if (sysfs_write("/sys/module/vnpu/parameters/fault_inject", "1"))
		SKIP(return, "cannot enable fault_inject");
	ASSERT_EQ(0, set_control(&self->p, "auto"));
	ASSERT_TRUE(wait_status(&self->p, "suspended", 5000));
	emit_nop(&cb);
	ASSERT_EQ(0, vnpu_submit_simple(self->p.fd, self->p.cmd, 0, cb.len, 0,
					DRM_VNPU_SUBMIT_INJECT_HANG, &id));
	sysfs_write("/sys/module/vnpu/parameters/fault_inject", "0");
	ASSERT_TRUE(wait_status(&self->p, "active", 1000));
	usleep(1000 * 1000);	/* ten autosuspend delays */
	ASSERT_TRUE(wait_status(&self->p, "active", 0))
		TH_LOG("the device suspended with a job on it");
	ASSERT_EQ(0, vnpu_wait(self->p.fd, id, deadline_in(60 * NSEC_PER_SEC),
			       &status, &hw));
	ASSERT_EQ(-ETIMEDOUT, status);
	ASSERT_TRUE(wait_status(&self->p, "suspended", 5000))
		TH_LOG("the device did not suspend after the recovery");
	fill_ok(_metadata, &self->p, self->p.data_va, 0xac71e000);
}


/*
 * Runtime PM under load: idle periods in which the device must suspend
 * alternate with bursts of jobs on every queue whose data is checked, and
 * with single jobs submitted about when the autosuspend delay (100 ms)
 * ends, racing the suspend. Nothing is reset and no job fails.
 * $VNPU_PM_CYCLES cycles (default 3).
 */
TEST_F_TIMEOUT(pm, runtime_suspend_under_load, 600)
{
	uint32_t nq = PARAM(self->p.fd, DRM_VNPU_PARAM_NUM_QUEUES);
	uint64_t resets = PARAM(self->p.fd, DRM_VNPU_PARAM_RESET_COUNT);
	unsigned long cycles = env_ul("VNPU_PM_CYCLES", 3);
	long long failed = counter(&self->p, "jobs_failed");
	const unsigned int n = 32;
	const uint64_t chunk = BUF_SIZE / n;
	uint64_t ids[32];

	ASSERT_GE(failed, 0);
	ASSERT_EQ(0, set_control(&self->p, "auto"));
	for (unsigned long c = 0; c < cycles; c++) {
		ASSERT_TRUE(wait_status(&self->p, "suspended", 5000))
			TH_LOG("cycle %lu: the idle device did not suspend", c);
		memset(self->p.data_map, 0, BUF_SIZE);
		for (unsigned int i = 0; i < n; i++) {
			struct cmdbuf cb = { .base = self->p.cmd_map + i * 1024 };
			int ret;

			emit_fill(&cb, self->p.data_va + i * chunk, chunk,
				  0x10ad0000 + c * 256 + i);
			ret = vnpu_submit_simple(self->p.fd, self->p.cmd,
						 i * 1024, cb.len, i % nq, 0,
						 &ids[i]);
			ASSERT_EQ(0, ret) TH_LOG("cycle %lu SUBMIT %u: %s", c,
						 i, strerror(-ret));
		}
		for (unsigned int i = 0; i < n; i++) {
			int32_t status = 1;
			uint32_t hw = VNPU_JOB_PENDING;

			ASSERT_EQ(0, vnpu_wait(self->p.fd, ids[i],
					       deadline_in(VNPU_JOB_TIMEOUT_NS),
					       &status, &hw));
			ASSERT_EQ(0, status) TH_LOG("cycle %lu job %u: hw %#x",
						    c, i, hw);
			ASSERT_EQ(-1, check_fill(self->p.data_map + i * chunk,
						 chunk, 0x10ad0000 + c * 256 + i))
				TH_LOG("cycle %lu job %u: wrong data", c, i);
		}
		/* around the end of the autosuspend delay */
		for (unsigned int d = 80; d <= 120; d += 20) {
			usleep(d * 1000);
			fill_ok(_metadata, &self->p, self->p.data_va,
				0x5ace0000 + c * 256 + d);
		}
	}
	ASSERT_EQ(resets, PARAM(self->p.fd, DRM_VNPU_PARAM_RESET_COUNT));
	ASSERT_EQ(failed, counter(&self->p, "jobs_failed"));
	ASSERT_TRUE(wait_status(&self->p, "suspended", 5000));
	ksft_print_msg("pm: %lu runtime suspend cycles under load, %lu jobs verified\n",
		       cycles, cycles * (n + 3));
}

/* ---- system sleep ---- */

#define LONG_SIZE	(4 * 1024 * 1024ull)
/* the long job's commands, after the short jobs' (1 KiB each) */
#define LONG_CMD_OFF	(512 * 1024ull)
/* long jobs in a row on queue 0, each with its commands */
#define NLONG		3
#define LONG_CMD_SLOT	((BUF_SIZE - LONG_CMD_OFF) / NLONG / 8 * 8)
#define LONG_MAX_PASSES	(LONG_CMD_SLOT / sizeof(struct vnpu_cmd_fill))
#define NSHORT		12
#define SHORT_SIZE	(64 * 1024ull)
#define DRAIN_PARAM	"/sys/module/vnpu/parameters/suspend_drain_ms"
#define DELAY_PARAM	"/sys/module/suspend/parameters/pm_test_delay"
/*
 * pm_test busy-waits (mdelay) pm_test_delay seconds, which under TCG on
 * a loaded host can outlast the soft-lockup threshold (2 x this): raised
 * to its maximum while the sleep tests run.
 */
#define LOCKUP_THRESH	"/proc/sys/kernel/watchdog_thresh"

struct sleep {
	struct pm p;
	uint32_t lbo;
	uint64_t lva;
	uint8_t *lmap;
	char old_delay[16], old_drain[16], old_thresh[16];
};

/* Is @word one of the space-separated words of the file @path? */
static bool file_has_word(const char *path, const char *word)
{
	char buf[256], *tok, *save;

	if (sysfs_read(path, buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, " []", &save); tok;
	     tok = strtok_r(NULL, " []", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

/*
 * Prerequisites of a sleep test (SKIP when one is absent: the caller
 * returns when _metadata->exit_code is set), checked before anything is
 * changed since the teardown does not run after a skipped setup.
 */
static void sleep_check(struct __test_metadata *_metadata, const char *state,
			const char *level)
{
	if (geteuid() != 0)
		SKIP(return, "not root");
	if (access(vnpu_dev_path(), F_OK))
		SKIP(return, "%s absent", vnpu_dev_path());
	if (!file_has_word("/sys/power/state", state))
		SKIP(return, "no \"%s\" in /sys/power/state", state);
	if (access("/sys/power/pm_test", W_OK) ||
	    !file_has_word("/sys/power/pm_test", level))
		SKIP(return, "no pm_test level \"%s\"", level);
	if (access(DELAY_PARAM, W_OK))
		SKIP(return, "no pm_test_delay");
}

/* Open the device, create the long job's BO, set pm_test and its delay. */
static void sleep_setup(struct __test_metadata *_metadata, struct sleep *s,
			const char *level, const char *delay)
{
	ASSERT_EQ(0, pm_find_dev(&s->p));
	pm_open(_metadata, &s->p);
	ASSERT_EQ(0, vnpu_bo_create(s->p.fd, LONG_SIZE, 0, &s->lbo, &s->lva));
	s->lmap = vnpu_bo_mmap(s->p.fd, s->lbo, LONG_SIZE);
	ASSERT_NE(NULL, s->lmap);
	ASSERT_EQ(0, sysfs_read(DELAY_PARAM, s->old_delay,
				sizeof(s->old_delay)));
	ASSERT_EQ(0, sysfs_write(DELAY_PARAM, delay));
	if (!sysfs_read(LOCKUP_THRESH, s->old_thresh, sizeof(s->old_thresh)))
		sysfs_write(LOCKUP_THRESH, "60");
	ASSERT_EQ(0, sysfs_write("/sys/power/pm_test", level));
}

static void sleep_teardown(struct sleep *s)
{
	sysfs_write("/sys/power/pm_test", "none");
	if (s->old_delay[0])
		sysfs_write(DELAY_PARAM, s->old_delay);
	if (s->old_drain[0])
		sysfs_write(DRAIN_PARAM, s->old_drain);
	if (s->old_thresh[0])
		sysfs_write(LOCKUP_THRESH, s->old_thresh);
	if (s->lmap)
		munmap(s->lmap, LONG_SIZE);
	s->lmap = NULL;
	pm_close(&s->p);
}

/* Long job @j: @passes FILLs of the long BO, pass k with @base + k. */
static uint32_t long_job_emit(struct sleep *s, unsigned int j,
			      unsigned int passes, uint32_t base)
{
	struct cmdbuf cb = {
		.base = s->p.cmd_map + LONG_CMD_OFF + j * LONG_CMD_SLOT,
	};

	for (unsigned int k = 0; k < passes; k++)
		emit_fill(&cb, s->lva, LONG_SIZE, base + k);
	return cb.len;
}

/*
 * Passes for a long job of about @ms, from runs of the job now (after one
 * that populates the BO's pages).
 */
static unsigned int long_job_calibrate(struct __test_metadata *_metadata,
				       struct sleep *s, unsigned int ms)
{
	unsigned int passes = 1;
	int64_t t;

	for (;;) {
		uint32_t len = long_job_emit(s, 0, passes, 0xca1b0000);
		int32_t status = 1;
		uint32_t hw;

		t = now_ns();
		ASSERT_EQ(0, vnpu_run(s->p.fd, s->p.cmd, LONG_CMD_OFF, len, 0,
				      &status, &hw));
		t = now_ns() - t;
		ASSERT_EQ(0, status) TH_LOG("calibration: hw %#x", hw);
		if ((t >= 200 * 1000000ll && passes > 1) ||
		    passes >= LONG_MAX_PASSES)
			break;
		passes = passes * 4 > LONG_MAX_PASSES ? LONG_MAX_PASSES
						      : passes * 4;
	}
	t = (int64_t)passes * ms * 1000000ll / (t ? t : 1);
	return t < 1 ? 1 : t > (int64_t)LONG_MAX_PASSES ? LONG_MAX_PASSES : t;
}

struct sleep_result {
	int64_t slept_ms;
	long long busy, kept, drained;
};

/*
 * One system sleep (@state) with NLONG long jobs (about @long_ms each)
 * running and queued on queue 0 and NSHORT short jobs behind them and on
 * the other queues: all of them complete with their data, nothing is
 * reset, hung, failed or counted as a lost interrupt, and the driver saw
 * jobs on the hardware when it suspended.
 */
static void sleep_cycle(struct __test_metadata *_metadata, struct sleep *s,
			const char *state, unsigned int long_ms,
			struct sleep_result *r)
{
	uint32_t nq = PARAM(s->p.fd, DRM_VNPU_PARAM_NUM_QUEUES);
	uint64_t resets = PARAM(s->p.fd, DRM_VNPU_PARAM_RESET_COUNT);
	long long hangs = counter(&s->p, "hangs");
	long long failed = counter(&s->p, "jobs_failed");
	long long lost = counter(&s->p, "lost_irqs");
	long long suspends = pm_debugfs(&s->p, "suspends");
	long long resumes = pm_debugfs(&s->p, "resumes");
	uint64_t long_ids[NLONG], ids[NSHORT];
	unsigned int passes;
	int64_t t;
	uint32_t len;
	int ret;

	ASSERT_GE(hangs, 0);
	ASSERT_GE(failed, 0);
	ASSERT_GE(lost, 0) TH_LOG("no telemetry/lost_irqs");
	ASSERT_GE(suspends, 0) TH_LOG("no debugfs file pm");

	passes = long_job_calibrate(_metadata, s, long_ms);
	memset(s->lmap, 0, LONG_SIZE);
	memset(s->p.data_map, 0, BUF_SIZE);
	for (unsigned int j = 0; j < NLONG; j++) {
		len = long_job_emit(s, j, passes, 0x10c90000 + j * 0x10000);
		ASSERT_EQ(0, vnpu_submit_simple(s->p.fd, s->p.cmd,
						LONG_CMD_OFF + j * LONG_CMD_SLOT,
						len, 0, 0, &long_ids[j]));
	}
	for (unsigned int i = 0; i < NSHORT; i++) {
		struct cmdbuf cb = { .base = s->p.cmd_map + i * 1024 };

		emit_fill(&cb, s->p.data_va + i * SHORT_SIZE, SHORT_SIZE,
			  0x5100e000 + i);
		ret = vnpu_submit_simple(s->p.fd, s->p.cmd, i * 1024, cb.len,
					 i % nq, 0, &ids[i]);
		ASSERT_EQ(0, ret) TH_LOG("SUBMIT %u: %s", i, strerror(-ret));
	}

	/* the last long job has not ended: queue 0 is busy for a while */
	ASSERT_EQ(-ETIME, vnpu_wait(s->p.fd, long_ids[NLONG - 1], 0, NULL,
				    NULL))
		TH_LOG("the long jobs (%u passes) ended before the suspend",
		       passes);
	t = now_ns();
	ret = sysfs_write("/sys/power/state", state);
	r->slept_ms = (now_ns() - t) / 1000000;
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", state, strerror(-ret));

	for (unsigned int i = 0; i < NSHORT + NLONG; i++) {
		uint64_t id = i < NSHORT ? ids[i] : long_ids[i - NSHORT];
		uint32_t hw = VNPU_JOB_PENDING;
		int32_t status = 1;

		ASSERT_EQ(0, vnpu_wait(s->p.fd, id,
				       deadline_in(3 * VNPU_JOB_TIMEOUT_NS),
				       &status, &hw));
		ASSERT_EQ(0, status) TH_LOG("job %u: status %d (%s), hw %#x",
					    i, status, strerror(-status), hw);
		ASSERT_EQ(VNPU_JOB_OK, hw);
	}
	for (unsigned int i = 0; i < NSHORT; i++) {
		ASSERT_EQ(-1, check_fill(s->p.data_map + i * SHORT_SIZE,
					 SHORT_SIZE, 0x5100e000 + i))
			TH_LOG("short job %u: wrong data", i);
	}
	ASSERT_EQ(-1, check_fill(s->lmap, LONG_SIZE, 0x10c90000 +
				 (NLONG - 1) * 0x10000 + passes - 1))
		TH_LOG("long jobs: wrong data");

	ASSERT_EQ(suspends + 1, pm_debugfs(&s->p, "suspends"));
	ASSERT_EQ(resumes + 1, pm_debugfs(&s->p, "resumes"));
	ASSERT_EQ(0, pm_debugfs(&s->p, "suspended"));
	r->busy = pm_debugfs(&s->p, "last_busy");
	r->kept = pm_debugfs(&s->p, "last_kept");
	r->drained = pm_debugfs(&s->p, "last_drained");
	ASSERT_GE(r->busy, 1) TH_LOG("no job was on the hardware at suspend");
	ASSERT_EQ(r->busy, r->kept + r->drained);

	ASSERT_EQ(resets, PARAM(s->p.fd, DRM_VNPU_PARAM_RESET_COUNT));
	ASSERT_EQ(0, PARAM(s->p.fd, DRM_VNPU_PARAM_CONTEXT_HANGS));
	ASSERT_EQ(hangs, counter(&s->p, "hangs"));
	ASSERT_EQ(failed, counter(&s->p, "jobs_failed"));
	ASSERT_EQ(lost, counter(&s->p, "lost_irqs"));
	fill_ok(_metadata, &s->p, s->p.data_va, 0xa1a1a1a1);
	ksft_print_msg("sleep %s: %u long jobs of %u passes, slept %lld ms, %lld jobs on the hardware at suspend, %lld ended before it stopped, %lld ran again\n",
		       state, NLONG, passes, (long long)r->slept_ms, r->busy,
		       r->drained, r->kept);
}

FIXTURE(system_sleep) {
	struct sleep s;
};

FIXTURE_VARIANT(system_sleep) {
	const char *state;	/* written to /sys/power/state */
	const char *level;	/* /sys/power/pm_test */
	int drain_ms;		/* suspend_drain_ms, -1: the default */
};

/* Default drain (1 s): some long jobs end, the others are stopped. */
FIXTURE_VARIANT_ADD(system_sleep, freeze_devices) {
	.state = "freeze", .level = "devices", .drain_ms = -1,
};

/* No drain: every job on the hardware is stopped and runs again. */
FIXTURE_VARIANT_ADD(system_sleep, freeze_devices_rerun) {
	.state = "freeze", .level = "devices", .drain_ms = 0,
};

/* Long drain: the jobs end before the device stops. */
FIXTURE_VARIANT_ADD(system_sleep, freeze_devices_drain) {
	.state = "freeze", .level = "devices", .drain_ms = 60000,
};

/* Suspend to RAM down to the platform (noirq phases included). */
FIXTURE_VARIANT_ADD(system_sleep, mem_platform_rerun) {
	.state = "mem", .level = "platform", .drain_ms = 0,
};

FIXTURE_SETUP(system_sleep)
{
	char val[16];

	self->s.p.fd = -1;
	sleep_check(_metadata, variant->state, variant->level);
	if (_metadata->exit_code)
		return;
	ASSERT_EQ(0, sysfs_read(DRAIN_PARAM, self->s.old_drain,
				sizeof(self->s.old_drain)))
		TH_LOG("no %s", DRAIN_PARAM);
	if (variant->drain_ms >= 0) {
		snprintf(val, sizeof(val), "%d", variant->drain_ms);
		ASSERT_EQ(0, sysfs_write(DRAIN_PARAM, val));
	}
	sleep_setup(_metadata, &self->s, variant->level, "1");
}

FIXTURE_TEARDOWN(system_sleep)
{
	sleep_teardown(&self->s);
}

TEST_F_TIMEOUT(system_sleep, jobs_in_flight, 300)
{
	struct sleep_result r;

	sleep_cycle(_metadata, &self->s, variant->state, 1000, &r);
	if (variant->drain_ms == 0)
		ASSERT_GE(r.kept, 1) TH_LOG("no job was stopped and rerun");
	if (variant->drain_ms > 0)
		ASSERT_EQ(0, r.kept) TH_LOG("jobs stopped despite the drain");
}

/*
 * The job timeout stops while the system sleeps: with job_timeout_ms=6000,
 * an 8 s sleep (pm_test_delay) with jobs in flight, taken off the hardware
 * at suspend, times nothing out. (With a 3 s timeout, a long job of 1 s
 * took more than 3 s on a loaded CI machine once.)
 */
#define SHORT_TIMEOUT_MS	6000
#define SLEEP_SECS		"8"

FIXTURE(sleep_timeout) {
	struct sleep s;
};

FIXTURE_SETUP(sleep_timeout)
{
	char params[128];
	int ret;

	self->s.p.fd = -1;
	sleep_check(_metadata, "freeze", "devices");
	if (_metadata->exit_code)
		return;
	if (access("/sys/module/vnpu", F_OK) || access(vnpu_ko_path(), R_OK))
		SKIP(return, "vnpu is not a loadable module here");
	snprintf(params, sizeof(params),
		 "job_timeout_ms=%d suspend_drain_ms=0", SHORT_TIMEOUT_MS);
	ret = vnpu_reload(params);
	ASSERT_EQ(0, ret) TH_LOG("reload with %s: %s", params, strerror(-ret));
	sleep_setup(_metadata, &self->s, "devices", SLEEP_SECS);
	ASSERT_EQ(SHORT_TIMEOUT_MS,
		  PARAM(self->s.p.fd, DRM_VNPU_PARAM_JOB_TIMEOUT_MS));
}

FIXTURE_TEARDOWN(sleep_timeout)
{
	sleep_teardown(&self->s);
	vnpu_reload("");
}

TEST_F_TIMEOUT(sleep_timeout, no_timeout_across_sleep, 300)
{
	struct sleep_result r;

	/* each long job (1 s) is well within the timeout when awake */
	sleep_cycle(_metadata, &self->s, "freeze", 1000, &r);
	ASSERT_GE(r.slept_ms, SHORT_TIMEOUT_MS)
		TH_LOG("the sleep was shorter than the job timeout");
	ASSERT_GE(r.kept, 1)
		TH_LOG("no job was in flight across the sleep");
}

TEST_HARNESS_MAIN
