// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu isolation (security) selftests: a victim process and an attacker
 * process, each with its own open file (context), the attacker running as
 * an unprivileged user (uid/gid 65534 with the node's group as a
 * supplementary group). The victim fills its BOs (system memory, device
 * memory when present, one VM_BIND range, one exported dma-buf) with a
 * pattern and tells the attacker everything about them (handles, VAs, mmap
 * offsets, its dma-buf fd number and pid). The attacker then tries:
 *  - guessing GEM handles (BO_INFO, GEM_CLOSE, PRIME export, VM_BIND and
 *    SUBMIT with the victim's handle numbers), flink names (GEM_OPEN);
 *  - mmap of the victim's mmap offsets on its own fd;
 *  - binding its own BO at the victim's VAs, then writing there;
 *  - device commands at VAs it has not mapped (the victim's system and
 *    device-memory BOs, VA_START, VA_END - 4 KiB, random VAs);
 *  - importing dma-buf fds it was not given (fd numbers, /proc/PID/fd);
 *  - writing through a stale VA after VM_UNBIND;
 *  - racing VM_UNBIND against SUBMIT.
 * Every attempt must fail with the documented errno or job status
 * (-EFAULT for an MMU fault), and the victim's buffers must be byte for
 * byte unchanged. A second test checks that the node's mode is honoured:
 * with the node root:GROUP 0660, a user outside the group cannot open it.
 *
 * Needs root (to change uid and the node's mode), SKIPs otherwise. The
 * test prints "isolation: N attempts refused".
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <dirent.h>
#include <grp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define NOBODY		65534
#define NODE_GID	107	/* stands for "render" */
#define BO_SIZE		(64 * 1024ull)
#define BIND_SIZE	(16 * 1024ull)

/* What the victim tells the attacker (everything but access). */
struct victim_info {
	pid_t pid;
	uint32_t h_sys, h_dev, h_cmd;
	uint64_t va_sys, va_dev, va_cmd, va_bind;
	uint64_t off_sys, off_dev;
	int dmabuf_fd;
	uint32_t ctx_id;
	bool has_dev;
};

struct attack_result {
	unsigned int refused;
	unsigned int failed;
	char first[256];
};

static struct attack_result *res;	/* in the attacker */

#define REFUSED(cond, fmt, ...) do {					\
	if (cond) {							\
		res->refused++;						\
	} else {							\
		if (!res->failed++)					\
			snprintf(res->first, sizeof(res->first),	\
				 "line %d: " fmt, __LINE__, ##__VA_ARGS__); \
		fprintf(stderr, "# attack NOT refused (line %d): " fmt "\n", \
			__LINE__, ##__VA_ARGS__);			\
	}								\
} while (0)

/* Attacker's state: its own file, command BO and data BO. */
struct atk {
	int fd;
	uint32_t cmd, data;
	uint64_t cmd_va, data_va, va_start, va_end;
	uint8_t *cmd_map, *data_map;
	uint32_t own[8];
	unsigned int nown;
};

static bool own_handle(struct atk *a, uint32_t h)
{
	for (unsigned int i = 0; i < a->nown; i++)
		if (a->own[i] == h)
			return true;
	return false;
}

/* VA range @va/@size overlaps one of the attacker's own mappings. */
static bool own_va(struct atk *a, uint64_t va, uint64_t size)
{
	return (va < a->cmd_va + BO_SIZE && va + size > a->cmd_va) ||
	       (va < a->data_va + BO_SIZE && va + size > a->data_va);
}

/* Run a FILL at @va; returns the job status (or the submit/wait -errno). */
static int atk_fill(struct atk *a, uint64_t va, uint64_t size, uint32_t pat)
{
	struct cmdbuf cb = { .base = a->cmd_map };
	int32_t st = 1;
	int ret;

	emit_fill(&cb, va, size, pat);
	ret = vnpu_run(a->fd, a->cmd, 0, cb.len, 0, &st, NULL);
	return ret ? ret : st;
}

/* A COPY from @src (victim memory) into the attacker's data BO. */
static int atk_read(struct atk *a, uint64_t src, uint64_t size)
{
	struct cmdbuf cb = { .base = a->cmd_map };
	int32_t st = 1;
	int ret;

	emit_copy(&cb, src, a->data_va, size);
	ret = vnpu_run(a->fd, a->cmd, 0, cb.len, 1, &st, NULL);
	return ret ? ret : st;
}

static void attack_handles(struct atk *a, const struct victim_info *v)
{
	for (uint32_t h = 0; h < 256; h++) {
		struct drm_vnpu_bo_info info;
		struct drm_prime_handle p = { .handle = h, .flags = DRM_CLOEXEC };

		if (own_handle(a, h))
			continue;
		REFUSED(vnpu_bo_info(a->fd, h, &info) == -ENOENT,
			"BO_INFO of guessed handle %u", h);
		REFUSED(vnpu_vm_bind(a->fd, h, 0, a->va_end - BIND_SIZE, 0,
				     4096) == -ENOENT,
			"VM_BIND of guessed handle %u", h);
		REFUSED(xioctl(a->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p) == -ENOENT,
			"PRIME export of guessed handle %u", h);
		if (h < 16) {
			struct drm_vnpu_submit s = {
				.cmd_handle = h, .cmd_size = 8,
			};

			REFUSED(xioctl(a->fd, DRM_IOCTL_VNPU_SUBMIT, &s) == -ENOENT,
				"SUBMIT with guessed command handle %u", h);
			s.cmd_handle = a->cmd;
			s.bo_handles = (uintptr_t)&h;
			s.bo_count = 1;
			REFUSED(xioctl(a->fd, DRM_IOCTL_VNPU_SUBMIT, &s) == -ENOENT,
				"SUBMIT listing guessed handle %u", h);
		}
	}
	/* closing them last: nothing of the victim's may go away */
	for (uint32_t h = 0; h < 256; h++)
		if (!own_handle(a, h))
			REFUSED(vnpu_gem_close(a->fd, h) == -EINVAL,
				"GEM_CLOSE of guessed handle %u", h);
	/* flink names: accel nodes are render-like, GEM_OPEN never works */
	for (uint32_t name = 1; name < 64; name++) {
		struct drm_gem_open o = { .name = name };
		int ret = xioctl(a->fd, DRM_IOCTL_GEM_OPEN, &o);

		REFUSED(ret < 0, "GEM_OPEN of flink name %u: %d", name, ret);
	}
	(void)v;
}

static void attack_mmap(struct atk *a, const struct victim_info *v)
{
	uint64_t offs[] = { v->off_sys, v->off_dev, v->off_sys + 4096 };

	for (unsigned int i = 0; i < 3; i++) {
		void *p;

		if (!offs[i])
			continue;
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			 a->fd, offs[i]);
		REFUSED(p == MAP_FAILED && (errno == EACCES || errno == EINVAL ||
					    errno == EPERM),
			"mmap of the victim's offset %#llx on own fd: %s",
			(unsigned long long)offs[i],
			p == MAP_FAILED ? strerror(errno) : "mapped");
		if (p != MAP_FAILED)
			munmap(p, 4096);
	}
}

static void attack_unmapped(struct atk *a, const struct victim_info *v)
{
	uint64_t targets[16];
	unsigned int n = 0;

	targets[n++] = v->va_sys;
	targets[n++] = v->va_sys + BO_SIZE - 4096;
	targets[n++] = v->va_bind;
	if (v->has_dev)
		targets[n++] = v->va_dev;
	targets[n++] = a->va_start;
	targets[n++] = a->va_end - 4096;
	srand(v->pid);
	while (n < 16)
		targets[n++] = a->va_start +
			(uint64_t)rand() % ((a->va_end - a->va_start) / 4096) * 4096;
	for (unsigned int i = 0; i < n; i++) {
		int st;

		if (own_va(a, targets[i], 4096))
			continue;
		st = atk_fill(a, targets[i], 4096, 0x41414141);
		REFUSED(st == -EFAULT, "FILL at unmapped VA %#llx: %d",
			(unsigned long long)targets[i], st);
		st = atk_read(a, targets[i], 4096);
		REFUSED(st == -EFAULT, "COPY from unmapped VA %#llx: %d",
			(unsigned long long)targets[i], st);
	}
	/* past the end of the attacker's own BO */
	REFUSED(atk_read(a, a->data_va + BO_SIZE, 4096) == -EFAULT ||
		own_va(a, a->data_va + BO_SIZE, 4096),
		"COPY past the end of its own BO");
}

/* Bind its own BO at the victim's VAs (its own address space) and write. */
static void attack_bind_at_victim_va(struct atk *a, const struct victim_info *v)
{
	uint64_t vas[] = { v->va_sys, v->va_bind, v->va_dev };

	for (unsigned int i = 0; i < 3; i++) {
		int ret, st;

		if (!vas[i] || own_va(a, vas[i], 4096))
			continue;
		ret = vnpu_vm_bind(a->fd, a->data, 0, vas[i], 0, 4096);
		if (ret) {
			REFUSED(ret == -EEXIST || ret == -ERANGE,
				"VM_BIND at victim VA: %d", ret);
			continue;
		}
		memset(a->data_map, 0, 4096);
		st = atk_fill(a, vas[i], 4096, 0x42424242);
		/* the write lands in the attacker's own BO, nowhere else */
		REFUSED(st == 0 && check_fill(a->data_map, 4096, 0x42424242) == -1,
			"FILL through own binding at victim VA: %d", st);
		REFUSED(vnpu_vm_unbind(a->fd, vas[i], 4096) == 0,
			"VM_UNBIND own binding");
		/* stale VA after unbind */
		st = atk_fill(a, vas[i], 4096, 0x43434343);
		REFUSED(st == -EFAULT, "FILL at stale VA %#llx: %d",
			(unsigned long long)vas[i], st);
		REFUSED(check_fill(a->data_map, 4096, 0x42424242) == -1,
			"stale FILL changed the unbound BO");
	}
}

static void attack_dmabuf(struct atk *a, const struct victim_info *v)
{
	char path[64];
	int fd;

	for (int f = 0; f < 64; f++) {
		struct drm_prime_handle p = { .fd = f };
		int ret = xioctl(a->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

		if (!ret)
			ret = own_handle(a, p.handle) ? -EEXIST : 0;
		REFUSED(ret < 0, "PRIME import of fd %d gave handle %u", f,
			p.handle);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", v->pid, v->dmabuf_fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	REFUSED(fd < 0 && (errno == EACCES || errno == EPERM),
		"open %s: %s", path, fd < 0 ? strerror(errno) : "opened");
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "/proc/%d/mem", v->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	REFUSED(fd < 0, "open %s", path);
	if (fd >= 0)
		close(fd);
}

/* Race VM_UNBIND against SUBMITs that write through the range. */
static void attack_unbind_race(struct atk *a)
{
	uint64_t va = a->va_end - 8 * BIND_SIZE;
	struct cmdbuf cb = { .base = a->cmd_map };

	emit_fill(&cb, va, 4096, 0x44444444);
	for (int i = 0; i < 20; i++) {
		uint64_t id = 0;
		int32_t st = 1;

		if (vnpu_vm_bind(a->fd, a->data, 0, va, 0, 4096)) {
			REFUSED(false, "VM_BIND for the race");
			return;
		}
		REFUSED(vnpu_submit_simple(a->fd, a->cmd, 0, cb.len, i % 2, 0,
					   &id) == 0, "SUBMIT for the race");
		REFUSED(vnpu_vm_unbind(a->fd, va, 4096) == 0, "VM_UNBIND race");
		REFUSED(vnpu_wait(a->fd, id, deadline_in(VNPU_JOB_TIMEOUT_NS),
				  &st, NULL) == 0 && (st == 0 || st == -EFAULT),
			"raced job status %d", st);
	}
}

static void drop_privileges(void)
{
	gid_t g = NODE_GID;

	if (setgroups(1, &g) || setgid(NOBODY) || setuid(NOBODY)) {
		perror("drop privileges");
		_exit(100);
	}
}

static int attacker(int in, int out)
{
	struct victim_info v;
	struct attack_result r = {};
	struct atk a = {};
	int ret;

	res = &r;
	drop_privileges();
	a.fd = vnpu_open();
	if (a.fd < 0) {
		fprintf(stderr, "# attacker: open: %s\n", strerror(-a.fd));
		_exit(101);
	}
	if (vnpu_bo_create(a.fd, BO_SIZE, 0, &a.cmd, &a.cmd_va) ||
	    vnpu_bo_create(a.fd, BO_SIZE, 0, &a.data, &a.data_va))
		_exit(102);
	a.own[a.nown++] = a.cmd;
	a.own[a.nown++] = a.data;
	a.cmd_map = vnpu_bo_mmap(a.fd, a.cmd, BO_SIZE);
	a.data_map = vnpu_bo_mmap(a.fd, a.data, BO_SIZE);
	if (!a.cmd_map || !a.data_map)
		_exit(103);
	vnpu_get_param(a.fd, DRM_VNPU_PARAM_VA_START, 0, &a.va_start);
	vnpu_get_param(a.fd, DRM_VNPU_PARAM_VA_END, 0, &a.va_end);
	if (read(in, &v, sizeof(v)) != sizeof(v))
		_exit(104);
	{
		uint64_t ctx = 0;

		vnpu_get_param(a.fd, DRM_VNPU_PARAM_CONTEXT_ID, 0, &ctx);
		REFUSED(ctx != v.ctx_id, "same context id %llu",
			(unsigned long long)ctx);
	}
	attack_handles(&a, &v);
	attack_mmap(&a, &v);
	attack_unmapped(&a, &v);
	attack_bind_at_victim_va(&a, &v);
	attack_dmabuf(&a, &v);
	attack_unbind_race(&a);
	/* the attacker's own device access still works */
	memset(a.data_map, 0, 4096);
	ret = atk_fill(&a, a.data_va, 4096, 0x600d);
	REFUSED(ret == 0 && check_fill(a.data_map, 4096, 0x600d) == -1,
		"own FILL after the attacks: %d", ret);
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(105);
	_exit(0);
}

struct vbo {
	uint32_t h;
	uint64_t va, size;
	uint8_t *map;
	uint8_t *copy;
};

FIXTURE(isolation) {
	int fd;
	mode_t mode, root_mode;
	uid_t uid;
	gid_t gid;
	bool changed;
};

static int node_make_group(struct __test_metadata *_metadata,
			   FIXTURE_DATA(isolation) *self)
{
	struct stat st;

	/*
	 * The test guest's initramfs root is 0700; the path to the node
	 * must be searchable for the unprivileged users (restored after).
	 */
	if (stat("/", &st))
		return -errno;
	self->root_mode = st.st_mode & 07777;
	if (chmod("/", self->root_mode | 0111))
		return -errno;
	if (stat(vnpu_dev_path(), &st))
		return -errno;
	self->mode = st.st_mode & 07777;
	self->uid = st.st_uid;
	self->gid = st.st_gid;
	if (chown(vnpu_dev_path(), 0, NODE_GID) ||
	    chmod(vnpu_dev_path(), 0660))
		return -errno;
	self->changed = true;
	return 0;
}

FIXTURE_SETUP(isolation)
{
	self->fd = -1;
	self->changed = false;
	if (geteuid() != 0)
		SKIP(return, "not root");
	if (access(vnpu_dev_path(), F_OK))
		SKIP(return, "%s absent", vnpu_dev_path());
	ASSERT_EQ(0, node_make_group(_metadata, self));
}

FIXTURE_TEARDOWN(isolation)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->changed) {
		if (chown(vnpu_dev_path(), self->uid, self->gid) ||
		    chmod(vnpu_dev_path(), self->mode) ||
		    chmod("/", self->root_mode))
			perror("restore node mode");
	}
}

static void vbo_fill(struct vbo *b, uint8_t seed)
{
	for (uint64_t i = 0; i < b->size; i++)
		b->map[i] = (uint8_t)(seed + i * 31 + (i >> 12));
	memcpy(b->copy, b->map, b->size);
}

TEST_F_TIMEOUT(isolation, attacker_cannot_reach_victim, 300)
{
	int to_atk[2], from_atk[2], status;
	struct victim_info v = {};
	struct attack_result r = {};
	struct vbo sys = { .size = BO_SIZE }, dev = { .size = BO_SIZE };
	struct vbo bnd = { .size = BIND_SIZE };
	struct drm_prime_handle p = {};
	struct drm_vnpu_bo_info sys_info;
	struct cmdbuf cb;
	uint64_t caps, va;
	uint32_t cmd;
	uint8_t *cmd_map;
	int32_t st = 1;
	pid_t pid;

	ASSERT_EQ(0, pipe(to_atk));
	ASSERT_EQ(0, pipe(from_atk));
	/* the attacker is forked before the victim has anything to inherit */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(to_atk[1]);
		close(from_atk[0]);
		attacker(to_atk[0], from_atk[1]);
	}
	close(to_atk[0]);
	close(from_atk[1]);

	VNPU_OPEN_OR_SKIP(self->fd);
	caps = PARAM(self->fd, DRM_VNPU_PARAM_CAPABILITIES);
	ASSERT_EQ(0, vnpu_bo_create(self->fd, 4096, 0, &cmd, &v.va_cmd));
	cmd_map = vnpu_bo_mmap(self->fd, cmd, 4096);
	ASSERT_NE(NULL, cmd_map);
	ASSERT_EQ(0, vnpu_bo_create(self->fd, BO_SIZE, 0, &sys.h, &sys.va));
	sys.map = vnpu_bo_mmap(self->fd, sys.h, BO_SIZE);
	ASSERT_NE(NULL, sys.map);
	sys.copy = malloc(BO_SIZE);
	vbo_fill(&sys, 1);
	v.has_dev = (caps & DRM_VNPU_CAP_DEVMEM) &&
		!vnpu_bo_create(self->fd, BO_SIZE, DRM_VNPU_BO_DEVMEM, &dev.h,
				&dev.va);
	if (v.has_dev) {
		struct drm_vnpu_bo_info info;

		dev.map = vnpu_bo_mmap(self->fd, dev.h, BO_SIZE);
		ASSERT_NE(NULL, dev.map);
		dev.copy = malloc(BO_SIZE);
		vbo_fill(&dev, 2);
		ASSERT_EQ(0, vnpu_bo_info(self->fd, dev.h, &info));
		v.off_dev = info.mmap_offset;
	}
	/* a VM_BIND range of a third BO */
	ASSERT_EQ(0, vnpu_bo_create(self->fd, BIND_SIZE, 0, &bnd.h, &va));
	bnd.map = vnpu_bo_mmap(self->fd, bnd.h, BIND_SIZE);
	ASSERT_NE(NULL, bnd.map);
	bnd.copy = malloc(BIND_SIZE);
	vbo_fill(&bnd, 3);
	bnd.va = PARAM(self->fd, DRM_VNPU_PARAM_VA_END) - 4 * BIND_SIZE;
	ASSERT_EQ(0, vnpu_vm_bind(self->fd, bnd.h, 0, bnd.va, 0, BIND_SIZE));
	/* an exported dma-buf the attacker is not given */
	p.handle = sys.h;
	p.flags = DRM_CLOEXEC | DRM_RDWR;
	ASSERT_EQ(0, xioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p));
	ASSERT_EQ(0, vnpu_bo_info(self->fd, sys.h, &sys_info));
	v.off_sys = sys_info.mmap_offset;
	v.pid = getpid();
	v.h_sys = sys.h;
	v.h_dev = dev.h;
	v.h_cmd = cmd;
	v.va_sys = sys.va;
	v.va_dev = dev.va;
	v.va_bind = bnd.va;
	v.dmabuf_fd = p.fd;
	v.ctx_id = PARAM(self->fd, DRM_VNPU_PARAM_CONTEXT_ID);
	ASSERT_EQ(sizeof(v), write(to_atk[1], &v, sizeof(v)));

	ASSERT_EQ(sizeof(r), read(from_atk[0], &r, sizeof(r)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("attacker status %#x", status);
	ksft_print_msg("isolation: %u attempts refused, %u not refused\n",
		       r.refused, r.failed);
	EXPECT_EQ(0, r.failed) TH_LOG("first: %s", r.first);
	EXPECT_LT(100, r.refused);

	/* byte for byte unchanged, seen by the CPU and by the device */
	EXPECT_EQ(0, memcmp(sys.map, sys.copy, BO_SIZE));
	EXPECT_EQ(0, memcmp(bnd.map, bnd.copy, BIND_SIZE));
	if (v.has_dev)
		EXPECT_EQ(0, memcmp(dev.map, dev.copy, BO_SIZE));
	/* the victim's own device access still works */
	cb.base = cmd_map;
	cb.len = 0;
	emit_fill(&cb, bnd.va, 4096, 0x5a5a5a5a);
	ASSERT_EQ(0, vnpu_run(self->fd, cmd, 0, cb.len, 0, &st, NULL));
	ASSERT_EQ(0, st);
	ASSERT_EQ(-1, check_fill(bnd.map, 4096, 0x5a5a5a5a));
	close(p.fd);
	free(sys.copy);
	free(dev.copy);
	free(bnd.copy);
}

/* open() as @uid with primary gid @gid and supplementary groups @groups. */
static int open_as(uid_t uid, gid_t gid, gid_t *groups, int ngroups)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd;

		if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
			_exit(200);
		fd = open(vnpu_dev_path(), O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : errno);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

TEST_F(isolation, node_mode_is_honoured)
{
	gid_t render = NODE_GID, other = 4242;

	/* outside the group: EACCES */
	ASSERT_EQ(-EACCES, open_as(NOBODY, NOBODY, NULL, 0));
	ASSERT_EQ(-EACCES, open_as(NOBODY, NOBODY, &other, 1));
	/* in the group (supplementary or primary): allowed */
	ASSERT_EQ(0, open_as(NOBODY, NOBODY, &render, 1));
	ASSERT_EQ(0, open_as(NOBODY, NODE_GID, NULL, 0));
	/* 0600: not even the group */
	ASSERT_EQ(0, chmod(vnpu_dev_path(), 0600));
	ASSERT_EQ(-EACCES, open_as(NOBODY, NOBODY, &render, 1));
	ksft_print_msg("isolation: 3 unauthorised opens refused\n");
}

TEST_HARNESS_MAIN
