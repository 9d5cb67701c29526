// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu hang-recovery selftests, with the device's fault injection: a job
 * submitted with DRM_VNPU_SUBMIT_INJECT_HANG hangs its engine. Checked:
 * the hung job fails with -ETIMEDOUT, jobs of other files (and later jobs
 * of the same queue) complete correctly, the device keeps working, a
 * uevent and a devcoredump come with every reset, and a file is banned
 * (-ECANCELED) after hang_limit hangs. With the debugfs knobs: a dropped
 * interrupt (the interrupt watchdog, or with it off the timeout handler,
 * finds the completion: the job succeeds, a lost interrupt is counted,
 * nothing is reset), a spurious MMU fault
 * (-EFAULT, counted) and a DMA error (-EIO). Each test runs with the engine
 * reset and with the full device reset (engine_reset=0).
 *
 * The driver is reloaded with a short job_timeout_ms (3 s, long enough for
 * innocent jobs under TCG on a loaded host) and fault_inject=1
 * for each test (and with its defaults afterwards): needs root and the
 * module file (/lib/modules/vnpu.ko, or $VNPU_KO), skipped otherwise.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <dirent.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define TIMEOUT_MS	3000
#define HANG_LIMIT	3
#define BUF_SIZE	(64 * 1024ull)
/* hung job: timeout plus generous slack for TCG */
#define HANG_WAIT_NS	((TIMEOUT_MS + 20000) * 1000000ll)

/* One file with a command BO and a data BO, both mmapped. */
struct file {
	int fd;
	uint32_t cmd, data;
	uint64_t cmd_va, data_va;
	uint8_t *cmd_map, *data_map;
};

static void file_open(struct __test_metadata *_metadata, struct file *f)
{
	f->fd = vnpu_open();
	ASSERT_GE(f->fd, 0) TH_LOG("open: %s", strerror(-f->fd));
	ASSERT_EQ(0, vnpu_bo_create(f->fd, BUF_SIZE, 0, &f->cmd, &f->cmd_va));
	ASSERT_EQ(0, vnpu_bo_create(f->fd, BUF_SIZE, 0, &f->data, &f->data_va));
	f->cmd_map = vnpu_bo_mmap(f->fd, f->cmd, BUF_SIZE);
	f->data_map = vnpu_bo_mmap(f->fd, f->data, BUF_SIZE);
	ASSERT_NE(NULL, f->cmd_map);
	ASSERT_NE(NULL, f->data_map);
	memset(f->data_map, 0, BUF_SIZE);
}

static void file_close(struct file *f)
{
	if (f->fd < 0)
		return;
	munmap(f->cmd_map, BUF_SIZE);
	munmap(f->data_map, BUF_SIZE);
	close(f->fd);
	f->fd = -1;
}

/*
 * A FILL of @size bytes at @off of the data BO, its commands in slot
 * @slot (1 KiB each) of the command BO; returns 0 or -errno of SUBMIT.
 */
static int submit_fill(struct file *f, unsigned int slot, uint64_t off,
		       uint64_t size, uint32_t pattern, uint32_t queue,
		       uint32_t flags, uint64_t *id)
{
	struct cmdbuf cb = { .base = f->cmd_map + slot * 1024 };

	emit_fill(&cb, f->data_va + off, size, pattern);
	return vnpu_submit_simple(f->fd, f->cmd, slot * 1024, cb.len, queue,
				  flags, id);
}

static uint64_t submit_hang(struct __test_metadata *_metadata, struct file *f,
			    unsigned int slot, uint32_t queue)
{
	uint64_t id = 0;
	int ret = submit_fill(f, slot, BUF_SIZE - 64, 64, 0xbad, queue,
			      DRM_VNPU_SUBMIT_INJECT_HANG, &id);

	EXPECT_EQ(0, ret) TH_LOG("SUBMIT with INJECT_HANG: %s", strerror(-ret));
	return id;
}

static void expect_status(struct __test_metadata *_metadata, struct file *f,
			  uint64_t id, int64_t timeout, int32_t want)
{
	int32_t status = 1;
	uint32_t hw = VNPU_JOB_PENDING;
	int ret = vnpu_wait(f->fd, id, deadline_in(timeout), &status, &hw);

	ASSERT_EQ(0, ret) TH_LOG("WAIT job %llu: %s", (unsigned long long)id,
				 strerror(-ret));
	ASSERT_EQ(want, status) TH_LOG("job %llu: status %d (%s), hw %#x",
				       (unsigned long long)id, status,
				       strerror(-status), hw);
	if (want == -ETIMEDOUT)
		ASSERT_EQ(VNPU_JOB_ABORTED, hw);
}

static void device_works(struct __test_metadata *_metadata, struct file *f,
			 uint32_t queue)
{
	uint64_t id;

	memset(f->data_map, 0, 4096);
	ASSERT_EQ(0, submit_fill(f, 0, 0, 4096, 0x600dcafe, queue, 0, &id));
	expect_status(_metadata, f, id, VNPU_JOB_TIMEOUT_NS, 0);
	ASSERT_EQ(-1, check_fill(f->data_map, 4096, 0x600dcafe));
}

/* ---- uevents and devcoredumps ---- */

static int uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* True when a uevent with @key arrives within @ms. */
static bool uevent_seen(int fd, const char *key, int ms)
{
	char buf[4096];
	int64_t end = now_ns() + ms * 1000000ll;

	while (now_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = 0;
		for (char *s = buf; s < buf + n; s += strlen(s) + 1)
			if (!strcmp(s, key))
				return true;
	}
	return false;
}

/* Dismiss every pending devcoredump (writing to data frees it). */
static void coredumps_clear(void)
{
	DIR *d = opendir("/sys/class/devcoredump");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300];
		int fd;

		if (strncmp(e->d_name, "devcd", 5))
			continue;
		snprintf(path, sizeof(path), "/sys/class/devcoredump/%s/data",
			 e->d_name);
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0)
				perror("dismiss devcoredump");
			close(fd);
		}
	}
	closedir(d);
}

/* Read the first pending vnpu devcoredump into @buf; true if found. */
static bool coredump_read(char *buf, size_t size)
{
	DIR *d = opendir("/sys/class/devcoredump");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char path[300];
		ssize_t n;
		int fd;

		if (strncmp(e->d_name, "devcd", 5))
			continue;
		snprintf(path, sizeof(path), "/sys/class/devcoredump/%s/data",
			 e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, size - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			found = !strncmp(buf, "vnpu devcoredump", 16);
		}
	}
	closedir(d);
	return found;
}

/* ---- the tests ---- */

FIXTURE(recovery) {
	struct file a, b;
};

FIXTURE_VARIANT(recovery) {
	bool engine_reset;
};

FIXTURE_VARIANT_ADD(recovery, engine_reset) {
	.engine_reset = true,
};

FIXTURE_VARIANT_ADD(recovery, device_reset) {
	.engine_reset = false,
};

FIXTURE_SETUP(recovery)
{
	char params[128];
	int ret;

	self->a.fd = self->b.fd = -1;
	if (geteuid() != 0)
		SKIP(return, "not root");
	if (access("/sys/module/vnpu", F_OK) || access(vnpu_ko_path(), R_OK))
		SKIP(return, "vnpu is not a loadable module here");
	snprintf(params, sizeof(params),
		 "job_timeout_ms=%d fault_inject=1 hang_limit=%d engine_reset=%d",
		 TIMEOUT_MS, HANG_LIMIT, variant->engine_reset);
	ret = vnpu_reload(params);
	ASSERT_EQ(0, ret) TH_LOG("reload with %s: %s", params, strerror(-ret));
	file_open(_metadata, &self->a);
	file_open(_metadata, &self->b);
	ASSERT_EQ(TIMEOUT_MS, PARAM(self->a.fd, DRM_VNPU_PARAM_JOB_TIMEOUT_MS));
	ASSERT_EQ(HANG_LIMIT, PARAM(self->a.fd, DRM_VNPU_PARAM_HANG_LIMIT));
}

FIXTURE_TEARDOWN(recovery)
{
	file_close(&self->a);
	file_close(&self->b);
	coredumps_clear();
	if (geteuid() == 0 && !access(vnpu_ko_path(), R_OK))
		vnpu_reload("");
}

TEST_F_TIMEOUT(recovery, hung_job_times_out, 120)
{
	uint64_t resets = PARAM(self->a.fd, DRM_VNPU_PARAM_RESET_COUNT);
	uint64_t id = submit_hang(_metadata, &self->a, 1, 0);

	expect_status(_metadata, &self->a, id, HANG_WAIT_NS, -ETIMEDOUT);
	ASSERT_EQ(resets + 1, PARAM(self->a.fd, DRM_VNPU_PARAM_RESET_COUNT));
	ASSERT_EQ(1, PARAM(self->a.fd, DRM_VNPU_PARAM_CONTEXT_HANGS));
	ASSERT_EQ(0, PARAM(self->a.fd, DRM_VNPU_PARAM_CONTEXT_BANNED));
	ASSERT_EQ(0, PARAM(self->b.fd, DRM_VNPU_PARAM_CONTEXT_HANGS));
	/* the device, and the guilty file, keep working on every queue */
	for (uint32_t q = 0; q < PARAM(self->a.fd, DRM_VNPU_PARAM_NUM_QUEUES); q++) {
		device_works(_metadata, &self->a, q);
		device_works(_metadata, &self->b, q);
	}
}

/*
 * Innocent jobs: other files' jobs on every queue, submitted while the
 * hang is in flight, including jobs queued behind it, complete correctly.
 */
TEST_F_TIMEOUT(recovery, innocent_jobs_complete, 120)
{
	uint32_t nq = PARAM(self->a.fd, DRM_VNPU_PARAM_NUM_QUEUES);
	uint64_t hang, ids[16];
	unsigned int n = 0;

	hang = submit_hang(_metadata, &self->a, 1, 0);
	for (uint32_t round = 0; round < 2; round++)
		for (uint32_t q = 0; q < nq && n < 16; q++, n++)
			ASSERT_EQ(0, submit_fill(&self->b, 2 + n, n * 4096,
						 4096, 0x1000 + n, q, 0,
						 &ids[n]));
	expect_status(_metadata, &self->a, hang, HANG_WAIT_NS, -ETIMEDOUT);
	for (unsigned int i = 0; i < n; i++) {
		expect_status(_metadata, &self->b, ids[i], HANG_WAIT_NS, 0);
		ASSERT_EQ(-1, check_fill(self->b.data_map + i * 4096, 4096,
					 0x1000 + i)) TH_LOG("job %u", i);
	}
	ASSERT_EQ(0, PARAM(self->b.fd, DRM_VNPU_PARAM_CONTEXT_HANGS));
}

TEST_F_TIMEOUT(recovery, uevent_and_coredump, 120)
{
	char *dump = malloc(64 * 1024);
	int ue = uevent_open();
	uint64_t id;

	ASSERT_NE(NULL, dump);
	if (ue < 0)
		SKIP(return, "no uevent socket");
	coredumps_clear();
	id = submit_hang(_metadata, &self->a, 1, 1);
	expect_status(_metadata, &self->a, id, HANG_WAIT_NS, -ETIMEDOUT);
	ASSERT_TRUE(uevent_seen(ue, "VNPU_EVENT=RESET", 5000));
	if (access("/sys/class/devcoredump", F_OK))
		SKIP(return, "no devcoredump class");
	ASSERT_TRUE(coredump_read(dump, 64 * 1024));
	ASSERT_NE(NULL, strstr(dump, "reason: job timeout"));
	ASSERT_NE(NULL, strstr(dump, "queue 1:"));
	coredumps_clear();
	/* a second reset gives a second dump */
	id = submit_hang(_metadata, &self->a, 2, 0);
	expect_status(_metadata, &self->a, id, HANG_WAIT_NS, -ETIMEDOUT);
	ASSERT_TRUE(uevent_seen(ue, "VNPU_EVENT=RESET", 5000));
	ASSERT_TRUE(coredump_read(dump, 64 * 1024));
	close(ue);
	free(dump);
}

TEST_F_TIMEOUT(recovery, repeated_hangs_ban_the_file, 180)
{
	uint64_t id;

	for (int i = 0; i < HANG_LIMIT; i++) {
		ASSERT_EQ(0, PARAM(self->a.fd, DRM_VNPU_PARAM_CONTEXT_BANNED));
		id = submit_hang(_metadata, &self->a, 1, i % 2);
		expect_status(_metadata, &self->a, id, HANG_WAIT_NS, -ETIMEDOUT);
	}
	ASSERT_EQ(HANG_LIMIT, PARAM(self->a.fd, DRM_VNPU_PARAM_CONTEXT_HANGS));
	ASSERT_EQ(1, PARAM(self->a.fd, DRM_VNPU_PARAM_CONTEXT_BANNED));
	ASSERT_EQ(-ECANCELED, submit_fill(&self->a, 0, 0, 64, 1, 0, 0, &id));
	/* other files, and new files, are not banned */
	device_works(_metadata, &self->b, 0);
	file_close(&self->a);
	file_open(_metadata, &self->a);
	ASSERT_EQ(0, PARAM(self->a.fd, DRM_VNPU_PARAM_CONTEXT_BANNED));
	device_works(_metadata, &self->a, 0);
}

/* The device's debugfs file @name as a number, or -errno. */
static long long debugfs_read_num(const char *name)
{
	char buf[64];
	ssize_t n = vnpu_debugfs_read(name, buf, sizeof(buf));

	return n < 0 ? n : strtoll(buf, NULL, 0);
}

/* The line "<key> <value>" of debugfs "counters", or -1. */
static long long debugfs_counter(const char *key)
{
	char buf[4096], *p = buf;
	size_t len = strlen(key);

	if (vnpu_debugfs_read("counters", buf, sizeof(buf)) < 0)
		return -1;
	while ((p = strstr(p, key))) {
		if ((p == buf || p[-1] == ' ') && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
		p += len;
	}
	return -1;
}

/* A telemetry counter of the device (sysfs), or -1. */
static long long tel_counter(const char *name)
{
	const char *node = vnpu_dev_path();
	char path[512], buf[32];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/accel/%s/device/telemetry/%s",
		 strrchr(node, '/') + 1, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtoll(buf, NULL, 10);
}

/*
 * A lost completion interrupt: the job's MSI-X is dropped, so only the
 * interrupt watchdog (irq_watchdog_ms, here @watchdog) or, with the
 * watchdog off, the timeout handler can see that the job completed. It
 * must signal the job with its result and count the lost interrupt, and
 * neither reset the device nor blame the job.
 *
 * The drop is armed for the next message of the last queue's vector only,
 * which nothing but this job uses (the tests before hang jobs on queues 0
 * and 1): armed for "the next message" of any vector, another message sent
 * in between took the drop now and then on a loaded machine, and the job's
 * interrupt went through. A late message of an earlier job of the same
 * queue could do the same (seen once in a loaded CI run): see below.
 */
static void dropped_irq(struct __test_metadata *_metadata, struct file *a,
			const char *watchdog)
{
	uint64_t resets = PARAM(a->fd, DRM_VNPU_PARAM_RESET_COUNT);
	long long lost = tel_counter("lost_irqs");
	long long hangs = tel_counter("hangs");
	long long by_wd = debugfs_counter("lost_irqs_watchdog");
	uint32_t q = PARAM(a->fd, DRM_VNPU_PARAM_NUM_QUEUES) - 1;
	uint32_t arm = VNPU_INJECT_DROP_IRQ_QUEUE | q << 24 | 1;
	char val[16];
	uint64_t id;
	int fd;

	ASSERT_GE(lost, 0) TH_LOG("no telemetry/lost_irqs in sysfs");
	ASSERT_GE(hangs, 0);
	fd = open("/sys/module/vnpu/parameters/irq_watchdog_ms", O_WRONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(strlen(watchdog), write(fd, watchdog, strlen(watchdog)));
	close(fd);
	/*
	 * The next completion message of queue q, and no other. A message of
	 * an earlier job of q can still be on its way out of the device (its
	 * fence was signalled by the interrupt of a later one) and take the
	 * drop: arm, give such a message time to go, and arm again if it did.
	 */
	snprintf(val, sizeof(val), "%u", arm);
	for (int tries = 0; tries < 5; tries++) {
		if (vnpu_debugfs_write("inject_drop_irq", val))
			SKIP(return, "no inject_drop_irq in debugfs");
		usleep(200000);
		if (debugfs_read_num("inject_drop_irq") == arm)
			break;
	}
	ASSERT_EQ(arm, debugfs_read_num("inject_drop_irq"));
	ASSERT_GE(by_wd, 0) TH_LOG("no lost_irqs_watchdog in debugfs counters");
	memset(a->data_map, 0, 4096);
	ASSERT_EQ(0, submit_fill(a, 0, 0, 4096, 0xd409, q, 0, &id));
	expect_status(_metadata, a, id, HANG_WAIT_NS, 0);
	ASSERT_EQ(-1, check_fill(a->data_map, 4096, 0xd409));
	/* the job's interrupt was the one dropped */
	ASSERT_EQ(0, debugfs_read_num("inject_drop_irq"));
	ASSERT_EQ(lost + 1, tel_counter("lost_irqs"));
	/* and the watchdog found it, or (off) the timeout handler did */
	ASSERT_EQ(by_wd + !!strcmp(watchdog, "0"),
		  debugfs_counter("lost_irqs_watchdog"));
	ASSERT_EQ(resets, PARAM(a->fd, DRM_VNPU_PARAM_RESET_COUNT));
	ASSERT_EQ(hangs, tel_counter("hangs"));
	ASSERT_EQ(0, PARAM(a->fd, DRM_VNPU_PARAM_CONTEXT_HANGS));
	/* interrupts work again, and a job that has its own counts nothing */
	device_works(_metadata, a, q);
	ASSERT_EQ(lost + 1, tel_counter("lost_irqs"));
}

/* Found by the timeout handler (watchdog off). */
TEST_F_TIMEOUT(recovery, dropped_irq, 120)
{
	dropped_irq(_metadata, &self->a, "0");
}

/* Found by the watchdog (every 200 ms), well before the job timeout. */
TEST_F_TIMEOUT(recovery, dropped_irq_watchdog, 120)
{
	dropped_irq(_metadata, &self->a, "200");
}

/* A spurious MMU fault fails the job with -EFAULT and is counted. */
TEST_F_TIMEOUT(recovery, spurious_mmu_fault, 60)
{
	int32_t status = 1;
	uint32_t hw = 0;
	uint64_t id;

	if (vnpu_debugfs_write("inject_mmu_fault_job", "1"))
		SKIP(return, "no inject_mmu_fault_job in debugfs");
	ASSERT_EQ(0, submit_fill(&self->a, 0, 0, 4096, 1, 1, 0, &id));
	ASSERT_EQ(0, vnpu_wait(self->a.fd, id, deadline_in(HANG_WAIT_NS),
			       &status, &hw));
	ASSERT_EQ(-EFAULT, status);
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	ASSERT_EQ(1, PARAM(self->a.fd, DRM_VNPU_PARAM_CONTEXT_FAULTS));
	ASSERT_EQ(0, PARAM(self->b.fd, DRM_VNPU_PARAM_CONTEXT_FAULTS));
	device_works(_metadata, &self->a, 1);
}

/* A failed DMA fails the job with -EIO; the device keeps working. */
TEST_F_TIMEOUT(recovery, dma_error, 60)
{
	int32_t status = 1;
	uint32_t hw = 0;
	uint64_t id;

	if (vnpu_debugfs_write("inject_dma_fail_job", "1"))
		SKIP(return, "no inject_dma_fail_job in debugfs");
	ASSERT_EQ(0, submit_fill(&self->a, 0, 0, 4096, 1, 2, 0, &id));
	ASSERT_EQ(0, vnpu_wait(self->a.fd, id, deadline_in(HANG_WAIT_NS),
			       &status, &hw));
	ASSERT_EQ(-EIO, status);
	ASSERT_EQ(VNPU_JOB_DMA_ERROR, hw);
	device_works(_metadata, &self->a, 2);
}

/* A reset forced through debugfs also sends a uevent and leaves a dump. */
TEST_F_TIMEOUT(recovery, forced_reset_uevent_and_coredump, 60)
{
	char *dump = malloc(64 * 1024);
	int ue = uevent_open();

	ASSERT_NE(NULL, dump);
	if (ue < 0)
		SKIP(return, "no uevent socket");
	coredumps_clear();
	if (vnpu_debugfs_write("reset", "1"))
		SKIP(return, "no reset file in debugfs");
	ASSERT_TRUE(uevent_seen(ue, "VNPU_RESET_TYPE=forced", 5000));
	if (!access("/sys/class/devcoredump", F_OK)) {
		ASSERT_TRUE(coredump_read(dump, 64 * 1024));
		ASSERT_NE(NULL, strstr(dump, "reason: forced reset"));
	}
	device_works(_metadata, &self->a, 0);
	close(ue);
	free(dump);
}

/* Without fault_inject the flag is unknown. */
TEST_F(recovery, inject_flag_needs_fault_inject)
{
	int fd = open("/sys/module/vnpu/parameters/fault_inject", O_WRONLY);
	uint64_t id;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, write(fd, "0", 1));
	ASSERT_EQ(-EINVAL, submit_fill(&self->a, 1, 0, 64, 1, 0,
				       DRM_VNPU_SUBMIT_INJECT_HANG, &id));
	ASSERT_EQ(1, write(fd, "1", 1));
	close(fd);
}

TEST_HARNESS_MAIN
