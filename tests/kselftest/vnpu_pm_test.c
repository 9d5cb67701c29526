// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu power-management selftests: runtime suspend with autosuspend
 * (through the PCI device's power/control and power/runtime_status), jobs
 * and VM changes while suspended, and a system suspend (freeze with
 * /sys/power/pm_test = devices) with jobs in flight.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define BUF_SIZE	(1024 * 1024ull)
#define BIND_VA		(1ull << 40)

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

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

struct pm {
	char dev[256];	/* /sys/bus/pci/devices/<addr> */
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

FIXTURE(pm) {
	struct pm p;
};

FIXTURE_SETUP(pm)
{
	char link[PATH_MAX], path[PATH_MAX + 64];
	const char *node = vnpu_dev_path();
	const char *name = strrchr(node, '/');
	ssize_t n;

	self->p.fd = -1;
	if (geteuid() != 0)
		SKIP(return, "not root");
	if (access(node, F_OK))
		SKIP(return, "%s absent", node);
	snprintf(path, sizeof(path), "/sys/class/accel/%s/device", name + 1);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = 0;
	snprintf(self->p.dev, sizeof(self->p.dev), "/sys/bus/pci/devices/%s",
		 strrchr(link, '/') + 1);
	snprintf(path, sizeof(path), "%s/power/runtime_status", self->p.dev);
	if (access(path, R_OK))
		SKIP(return, "no runtime PM in sysfs");

	self->p.fd = vnpu_open();
	ASSERT_GE(self->p.fd, 0);
	ASSERT_EQ(0, vnpu_bo_create(self->p.fd, BUF_SIZE, 0, &self->p.cmd,
				    &self->p.cmd_va));
	ASSERT_EQ(0, vnpu_bo_create(self->p.fd, BUF_SIZE, 0, &self->p.data,
				    &self->p.data_va));
	self->p.cmd_map = vnpu_bo_mmap(self->p.fd, self->p.cmd, BUF_SIZE);
	self->p.data_map = vnpu_bo_mmap(self->p.fd, self->p.data, BUF_SIZE);
	ASSERT_NE(NULL, self->p.cmd_map);
	ASSERT_NE(NULL, self->p.data_map);
}

FIXTURE_TEARDOWN(pm)
{
	sysfs_write("/sys/module/vnpu/parameters/fault_inject", "0");
	if (self->p.fd >= 0) {
		set_control(&self->p, "on");
		close(self->p.fd);
	}
	sysfs_write("/sys/power/pm_test", "none");
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
 * System suspend (freeze, stopped after the devices' suspend by pm_test)
 * with jobs queued and running on every queue: they all complete with the
 * right data after resume.
 */
TEST_F_TIMEOUT(pm, system_suspend_with_jobs_in_flight, 180)
{
	uint32_t nq = PARAM(self->p.fd, DRM_VNPU_PARAM_NUM_QUEUES);
	const uint64_t big = 32 * BUF_SIZE;
	const unsigned int n = 64;
	const uint64_t chunk = big / n;
	uint64_t ids[64], big_va;
	uint32_t big_bo;
	uint8_t *map;
	int ret;

	if (access("/sys/power/pm_test", W_OK))
		SKIP(return, "no /sys/power/pm_test");
	sysfs_write("/sys/module/suspend/parameters/pm_test_delay", "1");
	ASSERT_EQ(0, sysfs_write("/sys/power/pm_test", "devices"));
	ASSERT_EQ(0, vnpu_bo_create(self->p.fd, big, 0, &big_bo, &big_va));
	map = vnpu_bo_mmap(self->p.fd, big_bo, big);
	ASSERT_NE(NULL, map);

	for (unsigned int i = 0; i < n; i++) {
		struct cmdbuf cb = { .base = self->p.cmd_map + i * 1024 };

		/* several passes each, so that some are running at suspend */
		for (int k = 0; k < 8; k++)
			emit_fill(&cb, big_va + i * chunk, chunk,
				  0x51ee9000 + i * 16 + k);
		ret = vnpu_submit_simple(self->p.fd, self->p.cmd, i * 1024,
					 cb.len, i % nq, 0, &ids[i]);
		ASSERT_EQ(0, ret) TH_LOG("SUBMIT %u: %s", i, strerror(-ret));
	}
	ret = sysfs_write("/sys/power/state", "freeze");
	ASSERT_EQ(0, ret) TH_LOG("freeze: %s", strerror(-ret));

	for (unsigned int i = 0; i < n; i++) {
		int32_t status = 1;
		uint32_t hw = VNPU_JOB_PENDING;

		ASSERT_EQ(0, vnpu_wait(self->p.fd, ids[i],
				       deadline_in(6 * VNPU_JOB_TIMEOUT_NS),
				       &status, &hw));
		ASSERT_EQ(0, status) TH_LOG("job %u: status %d hw %#x", i,
					    status, hw);
		ASSERT_EQ(-1, check_fill(map + i * chunk, chunk,
					 0x51ee9000 + i * 16 + 7)) TH_LOG("job %u", i);
	}
	munmap(map, big);
	fill_ok(_metadata, &self->p, self->p.data_va, 0xa1a1a1a1);
}

TEST_HARNESS_MAIN
