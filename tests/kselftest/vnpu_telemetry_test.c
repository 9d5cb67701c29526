// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu telemetry selftests: fdinfo keys and counters, the sysfs counters,
 * the debugfs files (forced reset, fault injection), the tracepoints, and
 * the "vnpu" generic netlink family: device and context statistics, the
 * events group, and every documented request error.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"
#include "vnpu_genl.h"

#define BO_SIZE		(1024 * 1024ull)
#define CMD_SIZE	(64 * 1024ull)
#define NJOBS		3
#define DEBUGFS		"/sys/kernel/debug"
#define TRACEFS		"/sys/kernel/tracing"
/* never mapped: [0, VA_START) stays unmapped */
#define BAD_VA		0x2000ull

/* ---- files ---- */

/* Read a whole small file into @buf; returns its length or -errno. */
static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

/* write(2) of @s to @path: 0, or -errno of open or write. */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* Value of "key:\tvalue" in @text (fdinfo); -1 when absent. */
static long long key_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return strtoll(p + klen + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static bool has_key(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static bool mounted(const char *dir, const char *probe)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, probe);
	return access(path, F_OK) == 0;
}

static bool mount_if_needed(const char *type, const char *dir,
			    const char *probe)
{
	if (mounted(dir, probe))
		return true;
	mount(type, dir, type, 0, NULL);
	return mounted(dir, probe);
}

/* ---- the fixture: one open file with a command BO and a data BO ---- */

struct tel {
	int fd;
	uint32_t index;
	char pci[32];
	uint64_t nq, ctx_id;
	uint32_t cmd, data;
	uint64_t cmd_va, data_va;
	uint8_t *cmd_map, *data_map;
};

static bool tel_init(struct __test_metadata *_metadata, struct tel *t)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int ret;

	memset(t, 0, sizeof(*t));
	t->fd = vnpu_open();
	if (t->fd == -ENOENT)
		SKIP(return false, "%s absent", vnpu_dev_path());
	ASSERT_GE(t->fd, 0) TH_LOG("open: %s", strerror(-t->fd));

	ASSERT_EQ(0, fstat(t->fd, &st));
	t->index = minor(st.st_rdev);
	snprintf(link, sizeof(link), "/sys/class/accel/accel%u/device",
		 t->index);
	n = readlink(link, target, sizeof(target) - 1);
	ASSERT_GT(n, 0) TH_LOG("readlink %s: %s", link, strerror(errno));
	target[n] = '\0';
	snprintf(t->pci, sizeof(t->pci), "%s", basename(target));

	t->nq = PARAM(t->fd, DRM_VNPU_PARAM_NUM_QUEUES);
	t->ctx_id = PARAM(t->fd, DRM_VNPU_PARAM_CONTEXT_ID);

	ret = vnpu_bo_create(t->fd, CMD_SIZE, 0, &t->cmd, &t->cmd_va);
	ASSERT_EQ(0, ret) TH_LOG("BO_CREATE: %s", strerror(-ret));
	ret = vnpu_bo_create(t->fd, BO_SIZE, 0, &t->data, &t->data_va);
	ASSERT_EQ(0, ret) TH_LOG("BO_CREATE: %s", strerror(-ret));
	t->cmd_map = vnpu_bo_mmap(t->fd, t->cmd, CMD_SIZE);
	ASSERT_NE(NULL, t->cmd_map);
	t->data_map = vnpu_bo_mmap(t->fd, t->data, BO_SIZE);
	ASSERT_NE(NULL, t->data_map);
	return true;
}

/* Close the file for good: its mappings hold it open too. */
static void tel_fini(struct tel *t)
{
	if (t->cmd_map)
		munmap(t->cmd_map, CMD_SIZE);
	if (t->data_map)
		munmap(t->data_map, BO_SIZE);
	t->cmd_map = NULL;
	t->data_map = NULL;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Submit one FILL of @size bytes at @va on @queue; returns its id. */
static uint64_t fill_submit(struct __test_metadata *_metadata, struct tel *t,
			    uint64_t va, uint64_t size, uint32_t queue)
{
	struct cmdbuf cb = { .base = t->cmd_map };
	/*
	 * No BO list: nothing here needs implicit sync, and SUBMIT with one
	 * currently races with a job that ends (and is freed) before SUBMIT
	 * unlocks the BOs' reservations, which then stay locked.
	 */
	struct drm_vnpu_submit s = {
		.cmd_handle = t->cmd, .cmd_size = 0, .queue = queue,
	};
	int ret;

	emit_fill(&cb, va, size, 0x5a5a5a5a);
	s.cmd_size = cb.len;
	ret = xioctl(t->fd, DRM_IOCTL_VNPU_SUBMIT, &s);
	EXPECT_EQ(0, ret) TH_LOG("SUBMIT: %s", strerror(-ret));
	return ret ? 0 : s.job_id;
}

/* Submit one FILL of @size bytes at @va on @queue and wait for it. */
static void fill_job(struct __test_metadata *_metadata, struct tel *t,
		     uint64_t va, uint64_t size, uint32_t queue,
		     int32_t *status, uint32_t *hw)
{
	uint64_t id = fill_submit(_metadata, t, va, size, queue);
	int ret;

	ASSERT_NE(0, id);
	ret = vnpu_wait(t->fd, id, deadline_in(VNPU_JOB_TIMEOUT_NS), status,
			hw);
	ASSERT_EQ(0, ret) TH_LOG("WAIT: %s", strerror(-ret));
}

static void good_job(struct __test_metadata *_metadata, struct tel *t,
		     uint32_t queue)
{
	int32_t status = -1;
	uint32_t hw = VNPU_JOB_PENDING;

	memset(t->data_map, 0, BO_SIZE);
	fill_job(_metadata, t, t->data_va, BO_SIZE, queue, &status, &hw);
	ASSERT_EQ(0, status);
	ASSERT_EQ(VNPU_JOB_OK, hw);
	ASSERT_EQ(-1, check_fill(t->data_map, BO_SIZE, 0x5a5a5a5a));
}

/* A job that writes an unmapped VA: -EFAULT, VNPU_JOB_MMU_FAULT. */
static void fault_job(struct __test_metadata *_metadata, struct tel *t)
{
	int32_t status = 0;
	uint32_t hw = VNPU_JOB_PENDING;

	fill_job(_metadata, t, BAD_VA, 64, 0, &status, &hw);
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	ASSERT_EQ(-EFAULT, status);
}

static void read_fdinfo(struct __test_metadata *_metadata, struct tel *t,
			char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", t->fd);
	ASSERT_GT(read_file(path, buf, size), 0);
}

static long long sysfs_counter(struct __test_metadata *_metadata,
			       struct tel *t, const char *name)
{
	char path[PATH_MAX], buf[64];
	int ret;

	snprintf(path, sizeof(path),
		 "/sys/class/accel/accel%u/device/telemetry/%s", t->index, name);
	ret = read_file(path, buf, sizeof(buf));
	EXPECT_GT(ret, 0) TH_LOG("%s: %s", path, strerror(-ret));
	return ret > 0 ? strtoll(buf, NULL, 10) : -1;
}

static void debugfs_path(struct tel *t, const char *name, char *path,
			 size_t size)
{
	snprintf(path, size, DEBUGFS "/accel/%s/%s", t->pci, name);
}

#define NEED_DEBUGFS() do {						\
	if (!mount_if_needed("debugfs", DEBUGFS, "accel"))		\
		SKIP(return, "no debugfs");				\
} while (0)

/* ------------------------------------------------------------------ */
/* fdinfo                                                              */
/* ------------------------------------------------------------------ */

FIXTURE(tel) {
	struct tel t;
};

FIXTURE_SETUP(tel)
{
	tel_init(_metadata, &self->t);
}

FIXTURE_TEARDOWN(tel)
{
	tel_fini(&self->t);
}

TEST_F(tel, fdinfo_keys)
{
	struct tel *t = &self->t;
	char buf[8192], key[64];
	uint64_t q;

	read_fdinfo(_metadata, t, buf, sizeof(buf));
	ASSERT_NE(NULL, strstr(buf, "drm-driver:\tvnpu\n")) TH_LOG("%s", buf);
	ASSERT_TRUE(has_key(buf, "drm-client-id"));
	ASSERT_TRUE(has_key(buf, "drm-pdev"));
	for (q = 0; q < t->nq; q++) {
		snprintf(key, sizeof(key), "drm-engine-q%llu",
			 (unsigned long long)q);
		ASSERT_TRUE(has_key(buf, key)) TH_LOG("no %s in\n%s", key, buf);
		snprintf(key, sizeof(key), "drm-cycles-q%llu",
			 (unsigned long long)q);
		ASSERT_TRUE(has_key(buf, key)) TH_LOG("no %s", key);
		snprintf(key, sizeof(key), "drm-maxfreq-q%llu",
			 (unsigned long long)q);
		ASSERT_TRUE(has_key(buf, key)) TH_LOG("no %s", key);
	}
	snprintf(key, sizeof(key), "drm-engine-q%llu",
		 (unsigned long long)t->nq);
	ASSERT_FALSE(has_key(buf, key));
	ASSERT_TRUE(has_key(buf, "drm-total-memory")) TH_LOG("%s", buf);
	ASSERT_TRUE(has_key(buf, "drm-resident-memory")) TH_LOG("%s", buf);
	ASSERT_EQ((long long)t->ctx_id, key_value(buf, "vnpu-context-id"));
	ASSERT_EQ(0, key_value(buf, "vnpu-jobs-submitted"));
}

TEST_F(tel, fdinfo_counters_grow)
{
	struct tel *t = &self->t;
	char before[8192], after[8192];
	int i;

	read_fdinfo(_metadata, t, before, sizeof(before));
	for (i = 0; i < NJOBS; i++)
		good_job(_metadata, t, 0);
	read_fdinfo(_metadata, t, after, sizeof(after));

	ASSERT_GT(key_value(after, "drm-engine-q0"),
		  key_value(before, "drm-engine-q0")) TH_LOG("%s", after);
	ASSERT_GT(key_value(after, "drm-cycles-q0"),
		  key_value(before, "drm-cycles-q0"));
	ASSERT_EQ(key_value(before, "vnpu-jobs-submitted") + NJOBS,
		  key_value(after, "vnpu-jobs-submitted"));
	ASSERT_EQ(key_value(before, "vnpu-jobs-completed") + NJOBS,
		  key_value(after, "vnpu-jobs-completed"));
	ASSERT_EQ(0, key_value(after, "vnpu-jobs-failed"));
	/* the two BOs (in KiB or MiB, as drm_print_memory_stats() likes) */
	ASSERT_GT(key_value(after, "drm-total-memory"), 0);
	ASSERT_GT(key_value(after, "drm-resident-memory"), 0);
}

TEST_F(tel, fdinfo_other_queue)
{
	struct tel *t = &self->t;
	char before[8192], after[8192], key[64];

	if (t->nq < 2)
		SKIP(return, "one queue");
	snprintf(key, sizeof(key), "drm-engine-q%llu",
		 (unsigned long long)t->nq - 1);
	read_fdinfo(_metadata, t, before, sizeof(before));
	good_job(_metadata, t, t->nq - 1);
	read_fdinfo(_metadata, t, after, sizeof(after));
	ASSERT_GT(key_value(after, key), key_value(before, key));
	ASSERT_EQ(key_value(before, "drm-engine-q0"),
		  key_value(after, "drm-engine-q0"));
}

TEST_F(tel, fdinfo_failed_job)
{
	struct tel *t = &self->t;
	char buf[8192];

	fault_job(_metadata, t);
	read_fdinfo(_metadata, t, buf, sizeof(buf));
	ASSERT_EQ(1, key_value(buf, "vnpu-jobs-submitted"));
	ASSERT_EQ(0, key_value(buf, "vnpu-jobs-completed"));
	ASSERT_EQ(1, key_value(buf, "vnpu-jobs-failed"));
	ASSERT_EQ(1, key_value(buf, "vnpu-faults"));
}

/* ------------------------------------------------------------------ */
/* sysfs                                                               */
/* ------------------------------------------------------------------ */

TEST_F(tel, sysfs_counters_grow)
{
	static const char * const names[] = {
		"jobs_submitted", "jobs_completed", "hw_jobs", "bytes",
		"busy_ns", "energy_pj", "xfer_bytes", "irqs",
	};
	long long before[ARRAY_SIZE(names)], v;
	struct tel *t = &self->t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		before[i] = sysfs_counter(_metadata, t, names[i]);
	for (i = 0; i < NJOBS; i++)
		good_job(_metadata, t, 0);

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		v = sysfs_counter(_metadata, t, names[i]);
		EXPECT_GT(v, before[i]) TH_LOG("%s: %lld -> %lld", names[i],
					       before[i], v);
	}
	ASSERT_GE(sysfs_counter(_metadata, t, "jobs_submitted"),
		  before[0] + NJOBS);
	ASSERT_GE(sysfs_counter(_metadata, t, "jobs_completed"),
		  before[1] + NJOBS);
	ASSERT_GE(sysfs_counter(_metadata, t, "bytes"),
		  before[3] + NJOBS * (long long)BO_SIZE);
	/* present, and a FILL is no MAC */
	ASSERT_GE(sysfs_counter(_metadata, t, "macs"), 0);
	ASSERT_GE(sysfs_counter(_metadata, t, "resets"), 0);
	ASSERT_GE(sysfs_counter(_metadata, t, "hangs"), 0);
}

TEST_F(tel, sysfs_faults_grow)
{
	struct tel *t = &self->t;
	long long faults = sysfs_counter(_metadata, t, "faults");
	long long failed = sysfs_counter(_metadata, t, "jobs_failed");

	fault_job(_metadata, t);
	ASSERT_GT(sysfs_counter(_metadata, t, "faults"), faults);
	ASSERT_GT(sysfs_counter(_metadata, t, "jobs_failed"), failed);
}

TEST_F(tel, sysfs_read_only)
{
	struct tel *t = &self->t;
	char path[PATH_MAX];

	snprintf(path, sizeof(path),
		 "/sys/class/accel/accel%u/device/telemetry/jobs_submitted",
		 t->index);
	ASSERT_EQ(-EACCES, write_file(path, "0"));
}

/* The device counters of a runtime-suspended device are those it had. */
TEST_F(tel, sysfs_while_suspended)
{
	static const char * const names[] = { "hw_jobs", "bytes", "busy_ns" };
	long long before[ARRAY_SIZE(names)];
	struct tel *t = &self->t;
	char ctl[PATH_MAX], st[PATH_MAX], buf[32] = "";
	int64_t end;
	size_t i;

	snprintf(ctl, sizeof(ctl),
		 "/sys/class/accel/accel%u/device/power/control", t->index);
	snprintf(st, sizeof(st),
		 "/sys/class/accel/accel%u/device/power/runtime_status",
		 t->index);
	if (access(ctl, W_OK) || access(st, R_OK))
		SKIP(return, "no runtime PM control");

	for (i = 0; i < ARRAY_SIZE(names); i++)
		before[i] = sysfs_counter(_metadata, t, names[i]);
	ASSERT_EQ(0, write_file(ctl, "auto"));
	for (i = 0; i < NJOBS; i++)
		good_job(_metadata, t, 0);
	end = deadline_in(5 * NSEC_PER_SEC);
	while (now_ns() < end) {
		read_file(st, buf, sizeof(buf));
		if (!strncmp(buf, "suspended", 9))
			break;
		usleep(20000);
	}
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		long long v = sysfs_counter(_metadata, t, names[i]);

		EXPECT_GT(v, before[i]) TH_LOG("counter %zu: %lld while %s", i,
					       v, buf);
	}
	/* reading did not wake it */
	read_file(st, buf, sizeof(buf));
	write_file(ctl, "on");
	ASSERT_EQ(0, strncmp(buf, "suspended", 9)) TH_LOG("status %s", buf);
	ASSERT_GE(sysfs_counter(_metadata, t, "hw_jobs"), before[0] + NJOBS);
}

/* ------------------------------------------------------------------ */
/* debugfs                                                             */
/* ------------------------------------------------------------------ */

TEST_F(tel, debugfs_files)
{
	static const char * const files[] = {
		"rings", "contexts", "bos", "counters", "reset",
		"inject_ctrl", "inject_hang_job", "inject_dma_fail_job",
		"inject_mmu_fault_job", "inject_drop_irq", "job_seq",
		"engine_status",
	};
	struct tel *t = &self->t;
	char path[PATH_MAX], buf[16384], line[64];
	size_t i;

	NEED_DEBUGFS();
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		debugfs_path(t, files[i], path, sizeof(path));
		ASSERT_EQ(0, access(path, F_OK)) TH_LOG("%s missing", path);
	}

	debugfs_path(t, "contexts", path, sizeof(path));
	ASSERT_GT(read_file(path, buf, sizeof(buf)), 0);
	snprintf(line, sizeof(line), "\n%-5llu %-7d ",
		 (unsigned long long)t->ctx_id, getpid());
	ASSERT_NE(NULL, strstr(buf, line)) TH_LOG("no '%s' in\n%s", line, buf);

	debugfs_path(t, "bos", path, sizeof(path));
	ASSERT_GT(read_file(path, buf, sizeof(buf)), 0);
	snprintf(line, sizeof(line), "va %#llx",
		 (unsigned long long)t->data_va);
	ASSERT_NE(NULL, strstr(buf, line)) TH_LOG("no '%s' in\n%s", line, buf);

	debugfs_path(t, "rings", path, sizeof(path));
	ASSERT_GT(read_file(path, buf, sizeof(buf)), 0);
	ASSERT_NE(NULL, strstr(buf, "q0: size ")) TH_LOG("%s", buf);
}

TEST_F(tel, debugfs_forced_reset)
{
	struct tel *t = &self->t;
	char path[PATH_MAX];
	long long resets;

	NEED_DEBUGFS();
	debugfs_path(t, "reset", path, sizeof(path));
	resets = sysfs_counter(_metadata, t, "resets");

	ASSERT_EQ(-EINVAL, write_file(path, "maybe"));
	ASSERT_EQ(resets, sysfs_counter(_metadata, t, "resets"));
	ASSERT_EQ(0, write_file(path, "0"));
	ASSERT_EQ(resets, sysfs_counter(_metadata, t, "resets"));

	ASSERT_EQ(0, write_file(path, "1"));
	ASSERT_EQ(resets + 1, sysfs_counter(_metadata, t, "resets"));
	/* the device still works, and our context is not blamed */
	good_job(_metadata, t, 0);
}

TEST_F(tel, debugfs_inject_mmu_fault)
{
	struct tel *t = &self->t;
	char path[PATH_MAX], buf[32];
	int32_t status = 0;
	uint32_t hw = VNPU_JOB_PENDING;

	NEED_DEBUGFS();
	debugfs_path(t, "inject_mmu_fault_job", path, sizeof(path));
	ASSERT_EQ(-EINVAL, write_file(path, "4294967296"));
	ASSERT_EQ(0, write_file(path, "1"));
	ASSERT_GT(read_file(path, buf, sizeof(buf)), 0);
	ASSERT_EQ(1, strtoll(buf, NULL, 10));

	/* the next job started faults although its mappings are fine */
	fill_job(_metadata, t, t->data_va, 4096, 0, &status, &hw);
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	ASSERT_EQ(-EFAULT, status);
	ASSERT_GT(read_file(path, buf, sizeof(buf)), 0);
	ASSERT_EQ(0, strtoll(buf, NULL, 10)) TH_LOG("still armed: %s", buf);
	good_job(_metadata, t, 0);
}

/* ------------------------------------------------------------------ */
/* tracepoints                                                         */
/* ------------------------------------------------------------------ */

static int trace_enable(bool on)
{
	return write_file(TRACEFS "/events/vnpu/enable", on ? "1" : "0");
}

TEST_F(tel, tracepoints_fire)
{
	static char buf[1 << 20];
	struct tel *t = &self->t;
	char want[96];
	int ret;

	if (!mount_if_needed("tracefs", TRACEFS, "events/vnpu"))
		SKIP(return, "no tracefs");
	NEED_DEBUGFS();
	ASSERT_EQ(0, write_file(TRACEFS "/trace", ""));
	ASSERT_EQ(0, trace_enable(true));

	good_job(_metadata, t, 0);
	fault_job(_metadata, t);
	{
		char path[PATH_MAX];

		debugfs_path(t, "reset", path, sizeof(path));
		ret = write_file(path, "1");
	}
	trace_enable(false);
	ASSERT_EQ(0, ret);

	ASSERT_GT(read_file(TRACEFS "/trace", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "vnpu_job_submit: dev=%u ctx=%llu job=1 queue=0",
		 t->index, (unsigned long long)t->ctx_id);
	ASSERT_NE(NULL, strstr(buf, want)) TH_LOG("no '%s' in\n%s", want, buf);
	snprintf(want, sizeof(want), "vnpu_job_run: dev=%u ctx=%llu job=1 queue=0",
		 t->index, (unsigned long long)t->ctx_id);
	ASSERT_NE(NULL, strstr(buf, want)) TH_LOG("no '%s'", want);
	snprintf(want, sizeof(want), "vnpu_job_done: dev=%u ctx=%llu job=1 queue=0",
		 t->index, (unsigned long long)t->ctx_id);
	ASSERT_NE(NULL, strstr(buf, want)) TH_LOG("no '%s'", want);
	ASSERT_NE(NULL, strstr(buf, "hw_status=0x5 error=-14"));
	snprintf(want, sizeof(want), "vnpu_fault: dev=%u ctx=%llu queue=0 va=%#llx",
		 t->index, (unsigned long long)t->ctx_id,
		 (unsigned long long)BAD_VA);
	ASSERT_NE(NULL, strstr(buf, want)) TH_LOG("no '%s'", want);
	snprintf(want, sizeof(want), "vnpu_reset: dev=%u count=", t->index);
	ASSERT_NE(NULL, strstr(buf, want)) TH_LOG("no '%s'", want);
}

/* ------------------------------------------------------------------ */
/* generic netlink                                                     */
/* ------------------------------------------------------------------ */

struct nl {
	struct nl_sock *sk;
	int family;
};

static void tnl_open(struct __test_metadata *_metadata, struct nl *nl)
{
	nl->sk = nl_socket_alloc();
	ASSERT_NE(NULL, nl->sk);
	ASSERT_EQ(0, genl_connect(nl->sk));
	nl->family = genl_ctrl_resolve(nl->sk, VNPU_GENL_FAMILY_NAME);
	ASSERT_GT(nl->family, 0) TH_LOG("family %s not found",
					VNPU_GENL_FAMILY_NAME);
}

static void tnl_close(struct nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/* What one request got back. */
struct nl_result {
	int err;		/* from NLMSG_ERROR, 0 if acked or done */
	bool done;
	int nmsgs;
	uint8_t cmd;		/* of the last reply */
	/* called for every reply */
	void (*each)(struct nl_result *r, struct genlmsghdr *gh,
		     struct nlattr **tb);
	void *arg;
};

static int nl_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nl_result *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[VNPU_GENL_A_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, VNPU_GENL_A_MAX, NULL))
		return NL_SKIP;
	r->nmsgs++;
	r->cmd = gh->cmd;
	if (r->each)
		r->each(r, gh, tb);
	return NL_OK;
}

static int nl_finish_cb(struct nl_msg *msg, void *arg)
{
	((struct nl_result *)arg)->done = true;
	return NL_STOP;
}

static int nl_ack_cb(struct nl_msg *msg, void *arg)
{
	((struct nl_result *)arg)->done = true;
	return NL_STOP;
}

static int nl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nl_result *r = arg;

	r->err = e->error;
	r->done = true;
	return NL_STOP;
}

typedef void (*nl_build_fn)(struct nl_msg *msg, const struct tel *t);

/* Send @cmd (a dump when @dump) built by @build; collect into @r. */
static int tnl_request(struct nl *nl, uint8_t cmd, bool dump, nl_build_fn build,
		       const struct tel *t, struct nl_result *r)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret = -ENOMEM;

	if (!msg || !cb)
		goto out;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
		    dump ? NLM_F_DUMP | NLM_F_ACK : NLM_F_ACK, cmd,
		    VNPU_GENL_VERSION);
	if (build)
		build(msg, t);

	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, nl_valid_cb, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, nl_finish_cb, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, nl_ack_cb, r);
	nl_cb_err(cb, NL_CB_CUSTOM, nl_err_cb, r);

	ret = nl_send_auto(nl->sk, msg);
	while (ret >= 0 && !r->done)
		ret = nl_recvmsgs(nl->sk, cb);
	/* an error callback that stops makes nl_recvmsgs() fail too */
	ret = ret < 0 && !r->done ? -EIO : 0;
out:
	nlmsg_free(msg);
	nl_cb_put(cb);
	return ret;
}

static uint64_t get_u64(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u64(tb[a]) : UINT64_MAX;
}

static uint32_t get_u32(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u32(tb[a]) : UINT32_MAX;
}

/* Per-queue nests of type @type in a reply. */
struct queue_stats {
	int count;
	bool ordered;
	uint64_t busy[VNPU_MAX_QUEUES], completed[VNPU_MAX_QUEUES];
	char name[VNPU_MAX_QUEUES][8];
};

static void parse_queues(struct genlmsghdr *gh, int type, struct queue_stats *qs)
{
	struct nlattr *a, *qtb[VNPU_GENL_QUEUE_A_MAX + 1];
	int rem;
	uint32_t idx;

	memset(qs, 0, sizeof(*qs));
	qs->ordered = true;
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			  rem) {
		if (nla_type(a) != type)
			continue;
		if (nla_parse_nested(qtb, VNPU_GENL_QUEUE_A_MAX, a, NULL) ||
		    !qtb[VNPU_GENL_QUEUE_A_INDEX])
			continue;
		idx = nla_get_u32(qtb[VNPU_GENL_QUEUE_A_INDEX]);
		if (idx != (uint32_t)qs->count || idx >= VNPU_MAX_QUEUES) {
			qs->ordered = false;
			continue;
		}
		qs->busy[idx] = get_u64(qtb, VNPU_GENL_QUEUE_A_BUSY_NS);
		qs->completed[idx] = get_u64(qtb,
					     VNPU_GENL_QUEUE_A_JOBS_COMPLETED);
		if (qtb[VNPU_GENL_QUEUE_A_NAME])
			snprintf(qs->name[idx], sizeof(qs->name[idx]), "%s",
				 nla_get_string(qtb[VNPU_GENL_QUEUE_A_NAME]));
		qs->count++;
	}
}

/* The DEV_GET reply for one device, copied out. */
struct dev_stats {
	uint32_t want;		/* in: the device index */
	int found;
	char pci[32];
	uint32_t nq, contexts;
	uint64_t submitted, completed, failed, hw_jobs, bytes, busy, mem;
	uint64_t resets, faults, energy, macs, xfer, irqs;
	struct queue_stats qs;
};

static void each_dev(struct nl_result *r, struct genlmsghdr *gh,
		     struct nlattr **tb)
{
	struct dev_stats *d = r->arg;

	if (get_u32(tb, VNPU_GENL_A_DEV_INDEX) != d->want)
		return;
	d->found++;
	if (tb[VNPU_GENL_A_DEV_PCI_ADDR])
		snprintf(d->pci, sizeof(d->pci), "%s",
			 nla_get_string(tb[VNPU_GENL_A_DEV_PCI_ADDR]));
	d->nq = get_u32(tb, VNPU_GENL_A_DEV_NUM_QUEUES);
	d->contexts = get_u32(tb, VNPU_GENL_A_DEV_CONTEXTS);
	d->submitted = get_u64(tb, VNPU_GENL_A_DEV_JOBS_SUBMITTED);
	d->completed = get_u64(tb, VNPU_GENL_A_DEV_JOBS_COMPLETED);
	d->failed = get_u64(tb, VNPU_GENL_A_DEV_JOBS_FAILED);
	d->hw_jobs = get_u64(tb, VNPU_GENL_A_DEV_HW_JOBS);
	d->bytes = get_u64(tb, VNPU_GENL_A_DEV_BYTES);
	d->busy = get_u64(tb, VNPU_GENL_A_DEV_BUSY_NS);
	d->mem = get_u64(tb, VNPU_GENL_A_DEV_MEM_USED);
	d->resets = get_u64(tb, VNPU_GENL_A_DEV_RESETS);
	d->faults = get_u64(tb, VNPU_GENL_A_DEV_FAULTS);
	d->energy = get_u64(tb, VNPU_GENL_A_DEV_ENERGY_PJ);
	d->macs = get_u64(tb, VNPU_GENL_A_DEV_MACS);
	d->xfer = get_u64(tb, VNPU_GENL_A_DEV_XFER_BYTES);
	d->irqs = get_u64(tb, VNPU_GENL_A_DEV_IRQS);
	parse_queues(gh, VNPU_GENL_A_DEV_QUEUE, &d->qs);
}

/* A CTX_GET reply, copied out when it is context @want_ctx. */
struct ctx_stats {
	uint32_t want_dev, want_ctx;
	int found, others;
	uint32_t pid;
	char comm[32];
	uint64_t client_id, submitted, completed, failed, busy, mem, faults;
	struct queue_stats qs;
};

static void each_ctx(struct nl_result *r, struct genlmsghdr *gh,
		     struct nlattr **tb)
{
	struct ctx_stats *c = r->arg;

	if (get_u32(tb, VNPU_GENL_A_DEV_INDEX) != c->want_dev ||
	    get_u32(tb, VNPU_GENL_A_CTX_ID) != c->want_ctx) {
		c->others++;
		return;
	}
	c->found++;
	c->pid = get_u32(tb, VNPU_GENL_A_CTX_PID);
	if (tb[VNPU_GENL_A_CTX_COMM])
		snprintf(c->comm, sizeof(c->comm), "%s",
			 nla_get_string(tb[VNPU_GENL_A_CTX_COMM]));
	c->client_id = get_u64(tb, VNPU_GENL_A_CTX_CLIENT_ID);
	c->submitted = get_u64(tb, VNPU_GENL_A_CTX_JOBS_SUBMITTED);
	c->completed = get_u64(tb, VNPU_GENL_A_CTX_JOBS_COMPLETED);
	c->failed = get_u64(tb, VNPU_GENL_A_CTX_JOBS_FAILED);
	c->busy = get_u64(tb, VNPU_GENL_A_CTX_BUSY_NS);
	c->mem = get_u64(tb, VNPU_GENL_A_CTX_MEM);
	c->faults = get_u64(tb, VNPU_GENL_A_CTX_FAULTS);
	parse_queues(gh, VNPU_GENL_A_CTX_QUEUE, &c->qs);
}

static void build_dev(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, t->index);
}

static void build_ctx(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, t->index);
	nla_put_u32(msg, VNPU_GENL_A_CTX_ID, t->ctx_id);
}

static void build_pid(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_CTX_PID, getpid());
}

FIXTURE(nl) {
	struct tel t;
	struct nl nl;
};

FIXTURE_SETUP(nl)
{
	if (!tel_init(_metadata, &self->t))
		return;
	tnl_open(_metadata, &self->nl);
}

FIXTURE_TEARDOWN(nl)
{
	tnl_close(&self->nl);
	tel_fini(&self->t);
}

static void check_dev(struct __test_metadata *_metadata, struct tel *t,
		      struct dev_stats *d)
{
	uint32_t q;

	ASSERT_EQ(1, d->found);
	ASSERT_STREQ(t->pci, d->pci);
	ASSERT_EQ(t->nq, d->nq);
	ASSERT_TRUE(d->qs.ordered);
	ASSERT_EQ((int)t->nq, d->qs.count);
	for (q = 0; q < t->nq; q++) {
		char name[8];

		snprintf(name, sizeof(name), "q%u", q);
		ASSERT_STREQ(name, d->qs.name[q]);
	}
	ASSERT_GE(d->contexts, 1);
	ASSERT_GE(d->submitted, NJOBS);
	ASSERT_GE(d->completed, NJOBS);
	ASSERT_LE(d->completed + d->failed, d->submitted);
	ASSERT_GE(d->hw_jobs, NJOBS);
	ASSERT_GE(d->bytes, NJOBS * BO_SIZE);
	ASSERT_GT(d->busy, 0);
	ASSERT_GT(d->energy, 0);
	/* a FILL writes its bytes; every job here interrupted */
	ASSERT_GE(d->xfer, NJOBS * BO_SIZE);
	ASSERT_NE(UINT64_MAX, d->xfer);
	ASSERT_GE(d->irqs, NJOBS);
	ASSERT_NE(UINT64_MAX, d->irqs);
	ASSERT_NE(UINT64_MAX, d->macs);
	ASSERT_NE(UINT64_MAX, d->resets);
	ASSERT_NE(UINT64_MAX, d->faults);
	ASSERT_GE(d->mem, CMD_SIZE + BO_SIZE);
	ASSERT_GE(d->qs.completed[0], NJOBS);
	ASSERT_GT(d->qs.busy[0], 0);
}

/* vnpu devices bound now, as /sys/class/accel shows them */
static int count_vnpu_devices(void)
{
	char link[PATH_MAX], target[PATH_MAX];
	int i, n = 0;
	ssize_t len;

	for (i = 0; i < 64; i++) {
		snprintf(link, sizeof(link),
			 "/sys/class/accel/accel%d/device/driver", i);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (!strcmp(basename(target), "vnpu"))
			n++;
	}
	return n;
}

TEST_F(nl, dev_dump)
{
	struct dev_stats d = { .want = self->t.index };
	struct nl_result r = { .each = each_dev, .arg = &d };
	int i;

	for (i = 0; i < NJOBS; i++)
		good_job(_metadata, &self->t, 0);
	ASSERT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_DEV_GET, true, NULL,
				 &self->t, &r));
	ASSERT_EQ(0, r.err);
	/* one reply per device (run with --devices 2 to see more) */
	ASSERT_EQ(count_vnpu_devices(), r.nmsgs);
	ASSERT_EQ(VNPU_GENL_CMD_DEV_GET, r.cmd);
	check_dev(_metadata, &self->t, &d);
}

TEST_F(nl, dev_dump_filtered)
{
	struct dev_stats d = { .want = self->t.index };
	struct nl_result r = { .each = each_dev, .arg = &d };
	int i;

	for (i = 0; i < NJOBS; i++)
		good_job(_metadata, &self->t, 0);
	ASSERT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_DEV_GET, true,
				 build_dev, &self->t, &r));
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(1, r.nmsgs);
	check_dev(_metadata, &self->t, &d);
}

TEST_F(nl, dev_doit)
{
	struct dev_stats d = { .want = self->t.index };
	struct nl_result r = { .each = each_dev, .arg = &d };
	int i;

	for (i = 0; i < NJOBS; i++)
		good_job(_metadata, &self->t, 0);
	ASSERT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_DEV_GET, false,
				 build_dev, &self->t, &r));
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(1, r.nmsgs);
	check_dev(_metadata, &self->t, &d);
}

static void check_ctx(struct __test_metadata *_metadata, struct tel *t,
		      struct ctx_stats *c)
{
	char comm[32] = "", fdinfo[8192];

	ASSERT_EQ(1, c->found);
	ASSERT_EQ((uint32_t)getpid(), c->pid);
	ASSERT_GT(read_file("/proc/self/comm", comm, sizeof(comm)), 0);
	comm[strcspn(comm, "\n")] = '\0';
	ASSERT_STREQ(comm, c->comm);
	read_fdinfo(_metadata, t, fdinfo, sizeof(fdinfo));
	ASSERT_EQ(key_value(fdinfo, "drm-client-id"), (long long)c->client_id);
	ASSERT_EQ(NJOBS + 1, c->submitted);
	ASSERT_EQ(NJOBS, c->completed);
	ASSERT_EQ(1, c->failed);
	ASSERT_EQ(1, c->faults);
	ASSERT_GT(c->busy, 0);
	ASSERT_EQ(key_value(fdinfo, "drm-engine-q0"), (long long)c->qs.busy[0]);
	ASSERT_GE(c->busy, c->qs.busy[0]);
	ASSERT_EQ(CMD_SIZE + BO_SIZE, c->mem);
	ASSERT_EQ((int)t->nq, c->qs.count);
	ASSERT_EQ(NJOBS, c->qs.completed[0]);
}

static void ctx_jobs(struct __test_metadata *_metadata, struct tel *t)
{
	int i;

	for (i = 0; i < NJOBS; i++)
		good_job(_metadata, t, 0);
	fault_job(_metadata, t);
}

TEST_F(nl, ctx_dump_by_pid)
{
	struct ctx_stats c = {
		.want_dev = self->t.index, .want_ctx = self->t.ctx_id,
	};
	struct nl_result r = { .each = each_ctx, .arg = &c };

	ctx_jobs(_metadata, &self->t);
	ASSERT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_CTX_GET, true,
				 build_pid, &self->t, &r));
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(VNPU_GENL_CMD_CTX_GET, r.cmd);
	/* only this process's file */
	ASSERT_EQ(0, c.others);
	check_ctx(_metadata, &self->t, &c);
}

TEST_F(nl, ctx_dump_all)
{
	struct ctx_stats c = {
		.want_dev = self->t.index, .want_ctx = self->t.ctx_id,
	};
	struct nl_result r = { .each = each_ctx, .arg = &c };
	int fd2 = vnpu_open();

	ASSERT_GE(fd2, 0);
	ctx_jobs(_metadata, &self->t);
	ASSERT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_CTX_GET, true, NULL,
				 &self->t, &r));
	close(fd2);
	ASSERT_EQ(0, r.err);
	ASSERT_GE(c.others, 1);		/* fd2's context at least */
	check_ctx(_metadata, &self->t, &c);
}

/* Many contexts: the dump spans several messages and resumes in order. */
TEST_F(nl, ctx_dump_many)
{
	enum { NFILES = 120 };
	struct ctx_stats c = {
		.want_dev = self->t.index, .want_ctx = self->t.ctx_id,
	};
	struct nl_result r = { .each = each_ctx, .arg = &c };
	int fds[NFILES], i, n = 0;

	for (i = 0; i < NFILES; i++) {
		fds[i] = vnpu_open();
		if (fds[i] < 0)
			break;
		n++;
	}
	ASSERT_GE(n, 64) TH_LOG("only %d files open", n);
	ASSERT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_CTX_GET, true,
				 build_pid, &self->t, &r));
	for (i = 0; i < n; i++)
		close(fds[i]);
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(1, c.found);
	ASSERT_EQ(n, c.others);
	ASSERT_EQ(n + 1, r.nmsgs);
}

TEST_F(nl, ctx_doit)
{
	struct ctx_stats c = {
		.want_dev = self->t.index, .want_ctx = self->t.ctx_id,
	};
	struct nl_result r = { .each = each_ctx, .arg = &c };

	ctx_jobs(_metadata, &self->t);
	ASSERT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_CTX_GET, false,
				 build_ctx, &self->t, &r));
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(1, r.nmsgs);
	check_ctx(_metadata, &self->t, &c);
}

TEST_F(nl, ctx_gone_after_close)
{
	struct ctx_stats c = {
		.want_dev = self->t.index, .want_ctx = self->t.ctx_id,
	};
	struct nl_result r = { .each = each_ctx, .arg = &c };

	tel_fini(&self->t);
	ASSERT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_CTX_GET, true,
				 build_pid, &self->t, &r));
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(0, r.nmsgs);
}

/* ---- events ---- */

struct event {
	uint32_t want_type;
	bool got;
	uint32_t dev, ctx, pid, queue, access;
	uint64_t va, resets, time_ns, job;
	int32_t error;
	char pci[32];
};

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct event *ev = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[VNPU_GENL_A_MAX + 1];

	if (gh->cmd != VNPU_GENL_CMD_EVENT ||
	    genlmsg_parse(nlh, 0, tb, VNPU_GENL_A_MAX, NULL) ||
	    get_u32(tb, VNPU_GENL_A_EVENT_TYPE) != ev->want_type)
		return NL_SKIP;
	ev->got = true;
	ev->dev = get_u32(tb, VNPU_GENL_A_DEV_INDEX);
	ev->ctx = get_u32(tb, VNPU_GENL_A_CTX_ID);
	ev->pid = get_u32(tb, VNPU_GENL_A_CTX_PID);
	ev->queue = get_u32(tb, VNPU_GENL_A_EVENT_QUEUE);
	ev->access = get_u32(tb, VNPU_GENL_A_FAULT_ACCESS);
	ev->va = get_u64(tb, VNPU_GENL_A_FAULT_VA);
	ev->resets = get_u64(tb, VNPU_GENL_A_DEV_RESETS);
	ev->time_ns = get_u64(tb, VNPU_GENL_A_EVENT_TIME_NS);
	ev->job = get_u64(tb, VNPU_GENL_A_EVENT_JOB_ID);
	ev->error = tb[VNPU_GENL_A_EVENT_ERROR] ?
		    (int32_t)nla_get_u32(tb[VNPU_GENL_A_EVENT_ERROR]) : 1;
	if (tb[VNPU_GENL_A_DEV_PCI_ADDR])
		snprintf(ev->pci, sizeof(ev->pci), "%s",
			 nla_get_string(tb[VNPU_GENL_A_DEV_PCI_ADDR]));
	return NL_OK;
}

/* A socket in the events group. */
static struct nl_sock *events_open(struct __test_metadata *_metadata,
				   struct event *ev)
{
	struct nl_sock *sk = nl_socket_alloc();
	int grp;

	EXPECT_NE(NULL, sk);
	if (!sk)
		return NULL;
	EXPECT_EQ(0, genl_connect(sk));
	grp = genl_ctrl_resolve_grp(sk, VNPU_GENL_FAMILY_NAME,
				    VNPU_GENL_MCGRP_EVENTS);
	EXPECT_GE(grp, 0) TH_LOG("group %s not found", VNPU_GENL_MCGRP_EVENTS);
	EXPECT_EQ(0, nl_socket_add_membership(sk, grp));
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, event_cb, ev);
	return sk;
}

/* Receive until @ev arrived or 20 s passed. */
static void events_wait(struct nl_sock *sk, struct event *ev)
{
	int64_t end = deadline_in(VNPU_JOB_TIMEOUT_NS);
	struct pollfd p = { .fd = nl_socket_get_fd(sk), .events = POLLIN };

	while (!ev->got && now_ns() < end) {
		if (poll(&p, 1, 100) > 0)
			nl_recvmsgs_default(sk);
	}
}

TEST_F(nl, event_fault)
{
	struct event ev = { .want_type = VNPU_GENL_EVENT_FAULT };
	struct nl_sock *sk = events_open(_metadata, &ev);
	int64_t before = now_ns();

	ASSERT_NE(NULL, sk);
	fault_job(_metadata, &self->t);
	events_wait(sk, &ev);
	nl_socket_free(sk);

	ASSERT_TRUE(ev.got) TH_LOG("no FAULT event");
	ASSERT_EQ(self->t.index, ev.dev);
	ASSERT_STREQ(self->t.pci, ev.pci);
	ASSERT_EQ(self->t.ctx_id, ev.ctx);
	ASSERT_EQ((uint32_t)getpid(), ev.pid);
	ASSERT_EQ(0, ev.queue);
	ASSERT_GE(ev.va, BAD_VA);
	ASSERT_LT(ev.va, BAD_VA + 64);
	ASSERT_EQ(VNPU_ACCESS_WRITE, ev.access);
	ASSERT_GE((int64_t)ev.time_ns, before);
	ASSERT_LE((int64_t)ev.time_ns, now_ns());
}

TEST_F(nl, event_reset)
{
	struct event ev = { .want_type = VNPU_GENL_EVENT_RESET };
	struct nl_sock *sk;
	char path[PATH_MAX];
	long long resets;
	int ret;

	NEED_DEBUGFS();
	sk = events_open(_metadata, &ev);
	ASSERT_NE(NULL, sk);
	resets = sysfs_counter(_metadata, &self->t, "resets");
	debugfs_path(&self->t, "reset", path, sizeof(path));
	ret = write_file(path, "1");
	if (!ret)
		events_wait(sk, &ev);
	nl_socket_free(sk);

	ASSERT_EQ(0, ret);
	ASSERT_TRUE(ev.got) TH_LOG("no RESET event");
	ASSERT_EQ(self->t.index, ev.dev);
	ASSERT_EQ(resets + 1, (long long)ev.resets);
	ASSERT_EQ(0, ev.error);
}

/* A job hung by fault injection: HANG, then RESET; it fails -ETIMEDOUT. */
TEST_F_TIMEOUT(nl, event_hang, 90)
{
	struct event hev = { .want_type = VNPU_GENL_EVENT_HANG };
	struct event rev = { .want_type = VNPU_GENL_EVENT_RESET };
	struct tel *t = &self->t;
	struct nl_sock *hsk, *rsk;
	char path[PATH_MAX], fdinfo[8192];
	long long hangs, resets, busy1, busy2;
	int32_t status = 0;
	uint32_t hw = VNPU_JOB_PENDING;
	uint64_t id;

	NEED_DEBUGFS();
	hsk = events_open(_metadata, &hev);
	rsk = events_open(_metadata, &rev);
	ASSERT_NE(NULL, hsk);
	ASSERT_NE(NULL, rsk);
	hangs = sysfs_counter(_metadata, t, "hangs");
	resets = sysfs_counter(_metadata, t, "resets");

	debugfs_path(t, "inject_hang_job", path, sizeof(path));
	ASSERT_EQ(0, write_file(path, "1"));
	id = fill_submit(_metadata, t, t->data_va, 4096, 0);
	ASSERT_NE(0, id);

	/* fdinfo counts the running job's time while it runs */
	usleep(200000);
	read_fdinfo(_metadata, t, fdinfo, sizeof(fdinfo));
	busy1 = key_value(fdinfo, "drm-engine-q0");
	usleep(300000);
	read_fdinfo(_metadata, t, fdinfo, sizeof(fdinfo));
	busy2 = key_value(fdinfo, "drm-engine-q0");
	EXPECT_GT(busy1, 0);
	EXPECT_GE(busy2 - busy1, 200000000ll) TH_LOG("%lld -> %lld", busy1,
						       busy2);

	/* WAIT's 20 s cover the driver's default 10 s job timeout */
	ASSERT_EQ(0, vnpu_wait(t->fd, id, deadline_in(VNPU_JOB_TIMEOUT_NS),
			       &status, &hw));
	events_wait(hsk, &hev);
	events_wait(rsk, &rev);
	nl_socket_free(hsk);
	nl_socket_free(rsk);
	write_file(path, "0");

	ASSERT_EQ(-ETIMEDOUT, status);
	ASSERT_TRUE(hev.got) TH_LOG("no HANG event");
	ASSERT_EQ(t->index, hev.dev);
	ASSERT_EQ(t->ctx_id, hev.ctx);
	ASSERT_EQ(0, hev.queue);
	ASSERT_EQ(1, hev.job);
	ASSERT_TRUE(rev.got) TH_LOG("no RESET event");
	ASSERT_EQ(0, rev.error);
	ASSERT_LE(hev.time_ns, rev.time_ns);
	ASSERT_EQ(hangs + 1, sysfs_counter(_metadata, t, "hangs"));
	ASSERT_EQ(resets + 1, sysfs_counter(_metadata, t, "resets"));
	ASSERT_EQ(resets + 1, (long long)rev.resets);
	good_job(_metadata, t, 0);
}

/* ---- request errors, as documented in vnpu_genl.h ---- */

static void build_none(struct nl_msg *msg, const struct tel *t)
{
}

static void build_bogus_dev(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, 4000);
}

static void build_unknown_attr(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, t->index);
	nla_put_u32(msg, __VNPU_GENL_A_MAX + 10, 1);
}

static void build_reply_attr(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, t->index);
	nla_put_u64(msg, VNPU_GENL_A_DEV_BUSY_NS, 1);
}

static void build_short_dev(struct nl_msg *msg, const struct tel *t)
{
	uint16_t v = t->index;

	nla_put(msg, VNPU_GENL_A_DEV_INDEX, sizeof(v), &v);
}

static void build_long_dev(struct nl_msg *msg, const struct tel *t)
{
	uint64_t v = t->index;

	nla_put(msg, VNPU_GENL_A_DEV_INDEX, sizeof(v), &v);
}

static void build_ctx_only(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_CTX_ID, t->ctx_id);
}

static void build_ctx_zero(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, t->index);
	nla_put_u32(msg, VNPU_GENL_A_CTX_ID, 0);
}

static void build_ctx_huge(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, t->index);
	nla_put_u32(msg, VNPU_GENL_A_CTX_ID, 70000);
}

static void build_ctx_absent(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, t->index);
	nla_put_u32(msg, VNPU_GENL_A_CTX_ID, 65535);
}

static void build_ctx_bogus_dev(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, 4000);
	nla_put_u32(msg, VNPU_GENL_A_CTX_ID, t->ctx_id);
}

static void build_ctx_other_pid(struct nl_msg *msg, const struct tel *t)
{
	build_ctx(msg, t);
	nla_put_u32(msg, VNPU_GENL_A_CTX_PID, 1);
}

static void build_pid_zero(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_CTX_PID, 0);
}

static void build_pad(struct nl_msg *msg, const struct tel *t)
{
	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, t->index);
	nla_put_u32(msg, VNPU_GENL_A_PAD, 0);
}

static void build_trailing(struct nl_msg *msg, const struct tel *t)
{
	static const char junk[3];

	nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, t->index);
	nlmsg_append(msg, (void *)junk, sizeof(junk), 0);
}

FIXTURE(nlerr) {
	struct tel t;
	struct nl nl;
};

FIXTURE_VARIANT(nlerr) {
	uint8_t cmd;
	bool dump;
	nl_build_fn build;
	int err;
};

#define NLERR(_name, _cmd, _dump, _build, _err)			\
	FIXTURE_VARIANT_ADD(nlerr, _name) {				\
		.cmd = _cmd, .dump = _dump, .build = _build, .err = _err, \
	}

NLERR(dev_get_no_index, VNPU_GENL_CMD_DEV_GET, false, build_none, -EINVAL);
NLERR(dev_get_bogus_index, VNPU_GENL_CMD_DEV_GET, false, build_bogus_dev, -ENODEV);
NLERR(dev_dump_bogus_index, VNPU_GENL_CMD_DEV_GET, true, build_bogus_dev, -ENODEV);
NLERR(dev_get_unknown_attr, VNPU_GENL_CMD_DEV_GET, false, build_unknown_attr, -EINVAL);
NLERR(dev_dump_unknown_attr, VNPU_GENL_CMD_DEV_GET, true, build_unknown_attr, -EINVAL);
NLERR(dev_get_reply_attr, VNPU_GENL_CMD_DEV_GET, false, build_reply_attr, -EINVAL);
NLERR(dev_get_pad_attr, VNPU_GENL_CMD_DEV_GET, false, build_pad, -EINVAL);
NLERR(dev_get_short_index, VNPU_GENL_CMD_DEV_GET, false, build_short_dev, -EINVAL);
NLERR(dev_get_long_index, VNPU_GENL_CMD_DEV_GET, false, build_long_dev, -EINVAL);
NLERR(dev_get_trailing_bytes, VNPU_GENL_CMD_DEV_GET, false, build_trailing, -EINVAL);
NLERR(dev_dump_trailing_bytes, VNPU_GENL_CMD_DEV_GET, true, build_trailing, -EINVAL);
NLERR(ctx_get_no_index, VNPU_GENL_CMD_CTX_GET, false, build_ctx_only, -EINVAL);
NLERR(ctx_get_no_ctx, VNPU_GENL_CMD_CTX_GET, false, build_dev, -EINVAL);
NLERR(ctx_get_ctx_zero, VNPU_GENL_CMD_CTX_GET, false, build_ctx_zero, -ERANGE);
NLERR(ctx_get_ctx_huge, VNPU_GENL_CMD_CTX_GET, false, build_ctx_huge, -ERANGE);
NLERR(ctx_get_ctx_absent, VNPU_GENL_CMD_CTX_GET, false, build_ctx_absent, -ENOENT);
NLERR(ctx_get_other_pid, VNPU_GENL_CMD_CTX_GET, false, build_ctx_other_pid, -ENOENT);
NLERR(ctx_get_bogus_index, VNPU_GENL_CMD_CTX_GET, false, build_ctx_bogus_dev, -ENODEV);
NLERR(ctx_dump_bogus_index, VNPU_GENL_CMD_CTX_GET, true, build_bogus_dev, -ENODEV);
NLERR(ctx_dump_pid_zero, VNPU_GENL_CMD_CTX_GET, true, build_pid_zero, -ERANGE);
NLERR(ctx_dump_reply_attr, VNPU_GENL_CMD_CTX_GET, true, build_reply_attr, -EINVAL);
NLERR(event_cmd, VNPU_GENL_CMD_EVENT, false, build_dev, -EOPNOTSUPP);
NLERR(unspec_cmd, VNPU_GENL_CMD_UNSPEC, false, build_dev, -EOPNOTSUPP);
NLERR(unknown_cmd, VNPU_GENL_CMD_MAX + 1, false, build_dev, -EOPNOTSUPP);

FIXTURE_SETUP(nlerr)
{
	if (!tel_init(_metadata, &self->t))
		return;
	tnl_open(_metadata, &self->nl);
}

FIXTURE_TEARDOWN(nlerr)
{
	tnl_close(&self->nl);
	tel_fini(&self->t);
}

TEST_F(nlerr, rejected)
{
	struct nl_result r = { 0 };

	ASSERT_EQ(0, tnl_request(&self->nl, variant->cmd, variant->dump,
				 variant->build, &self->t, &r));
	ASSERT_EQ(variant->err, r.err) TH_LOG("got %d (%s)", r.err,
					      strerror(-r.err));
	ASSERT_EQ(0, r.nmsgs);
}

/* ---- unplug (last: the device goes away and comes back) ---- */

static bool node_of(const char *pci, uint32_t *index, int timeout_ms)
{
	char link[PATH_MAX], target[PATH_MAX];
	int waited = 0;
	uint32_t i;
	ssize_t n;

	for (;;) {
		for (i = 0; i < 64; i++) {
			snprintf(link, sizeof(link),
				 "/sys/class/accel/accel%u/device", i);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (!strcmp(basename(target), pci)) {
				*index = i;
				return true;
			}
		}
		if (waited >= timeout_ms)
			return false;
		usleep(20000);
		waited += 20;
	}
}

TEST_F_TIMEOUT(nl, event_unplug, 60)
{
	struct event ev = { .want_type = VNPU_GENL_EVENT_UNPLUG };
	struct dev_stats d = { 0 };
	struct nl_result r = { .each = each_dev, .arg = &d };
	char path[PATH_MAX], pci[32];
	struct nl_sock *sk;
	uint32_t index = self->t.index, again;
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove",
		 self->t.pci);
	if (access(path, W_OK))
		SKIP(return, "cannot remove %s", self->t.pci);
	snprintf(pci, sizeof(pci), "%s", self->t.pci);
	tel_fini(&self->t);

	sk = events_open(_metadata, &ev);
	ASSERT_NE(NULL, sk);
	ret = write_file(path, "1");
	if (!ret)
		events_wait(sk, &ev);
	nl_socket_free(sk);

	/* the device is gone from the dump, then back after a rescan */
	d.want = index;
	EXPECT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_DEV_GET, true, NULL,
				 &self->t, &r));
	EXPECT_EQ(0, d.found);
	write_file("/sys/bus/pci/rescan", "1");
	ASSERT_TRUE(node_of(pci, &again, 10000)) TH_LOG("%s did not come back",
							 pci);

	ASSERT_EQ(0, ret) TH_LOG("remove: %s", strerror(-ret));
	ASSERT_TRUE(ev.got) TH_LOG("no UNPLUG event");
	ASSERT_EQ(index, ev.dev);
	ASSERT_STREQ(pci, ev.pci);

	memset(&d, 0, sizeof(d));
	memset(&r, 0, sizeof(r));
	d.want = again;
	r.each = each_dev;
	r.arg = &d;
	ASSERT_EQ(0, tnl_request(&self->nl, VNPU_GENL_CMD_DEV_GET, true, NULL,
				 &self->t, &r));
	ASSERT_EQ(1, d.found);
	ASSERT_STREQ(pci, d.pci);
}

TEST_HARNESS_MAIN
