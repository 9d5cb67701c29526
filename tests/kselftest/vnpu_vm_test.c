// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu address-space and buffer-object selftests: VM_BIND/VM_UNBIND at
 * chosen VAs (success, every validation error, use after unbind faulting,
 * read-only bindings), userptr BOs (pinned user memory, read-only, every
 * validation error), PRIME export/import (self-import into another file,
 * import of a vgem buffer, dma-buf mmap) and device-memory BOs, mapped
 * with 2 MiB pages where aligned (checked in debugfs page_tables).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <dirent.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define CMD_SIZE	(64 * 1024ull)
#define DATA_SIZE	(64 * 1024ull)
/* Far above the automatic placements, which start at VA_START. */
#define BIND_VA		(1ull << 40)

struct vm {
	int fd;
	uint64_t va_start, va_end;
	uint32_t cmd, data;
	uint64_t cmd_va, data_va;
	uint8_t *cmd_map, *data_map;
};

static bool vm_init(struct __test_metadata *_metadata, struct vm *v)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	r = vnpu_open();
	if (r == -ENOENT)
		SKIP(return false, "%s absent", vnpu_dev_path());
	ASSERT_GE(r, 0) TH_LOG("open: %s", strerror(-r));
	v->fd = r;
	v->va_start = PARAM(v->fd, DRM_VNPU_PARAM_VA_START);
	v->va_end = PARAM(v->fd, DRM_VNPU_PARAM_VA_END);
	ASSERT_EQ(0, vnpu_bo_create(v->fd, CMD_SIZE, 0, &v->cmd, &v->cmd_va));
	v->cmd_map = vnpu_bo_mmap(v->fd, v->cmd, CMD_SIZE);
	ASSERT_NE(NULL, v->cmd_map);
	ASSERT_EQ(0, vnpu_bo_create(v->fd, DATA_SIZE, 0, &v->data, &v->data_va));
	v->data_map = vnpu_bo_mmap(v->fd, v->data, DATA_SIZE);
	ASSERT_NE(NULL, v->data_map);
	memset(v->data_map, 0, DATA_SIZE);
	return true;
}

static void vm_fini(struct vm *v)
{
	if (v->cmd_map)
		munmap(v->cmd_map, CMD_SIZE);
	if (v->data_map)
		munmap(v->data_map, DATA_SIZE);
	if (v->fd >= 0)
		close(v->fd);
}

/* Run one FILL of @size bytes at @va; returns the job's status. */
static int32_t vm_fill(struct __test_metadata *_metadata, struct vm *v,
		       uint64_t va, uint64_t size, uint32_t pattern,
		       uint32_t *hw)
{
	struct cmdbuf cb = { .base = v->cmd_map };
	int32_t status = 1;
	int ret;

	emit_fill(&cb, va, size, pattern);
	ret = vnpu_run(v->fd, v->cmd, 0, cb.len, 0, &status, hw);
	EXPECT_EQ(0, ret) TH_LOG("run: %s", strerror(-ret));
	return status;
}

static int32_t vm_copy(struct __test_metadata *_metadata, struct vm *v,
		       uint64_t src, uint64_t dst, uint64_t size, uint32_t *hw)
{
	struct cmdbuf cb = { .base = v->cmd_map };
	int32_t status = 1;
	int ret;

	emit_copy(&cb, src, dst, size);
	ret = vnpu_run(v->fd, v->cmd, 0, cb.len, 0, &status, hw);
	EXPECT_EQ(0, ret) TH_LOG("run: %s", strerror(-ret));
	return status;
}

/* ------------------------------------------------------------------ */
/* VM_BIND / VM_UNBIND                                                 */
/* ------------------------------------------------------------------ */

FIXTURE(bind) {
	struct vm v;
};

FIXTURE_SETUP(bind)
{
	vm_init(_metadata, &self->v);
}

FIXTURE_TEARDOWN(bind)
{
	vm_fini(&self->v);
}

TEST_F(bind, fill_through_bound_va)
{
	uint32_t hw;

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  DATA_SIZE));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA, DATA_SIZE,
			     0xb1edb1ed, &hw));
	ASSERT_EQ(VNPU_JOB_OK, hw);
	ASSERT_EQ(-1, check_fill(self->v.data_map, DATA_SIZE, 0xb1edb1ed));
	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, DATA_SIZE));
}

/* A range of the BO: only its pages are reached, at the right offset. */
TEST_F(bind, offset_into_bo)
{
	uint32_t hw;

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA,
				  2 * PAGE_SZ, PAGE_SZ));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA, PAGE_SZ, 0x0ff5e7,
			     &hw));
	ASSERT_EQ(-1, check_bytes(self->v.data_map, 2 * PAGE_SZ, 0));
	ASSERT_EQ(-1, check_fill(self->v.data_map + 2 * PAGE_SZ, PAGE_SZ,
				 0x0ff5e7));
	ASSERT_EQ(-1, check_bytes(self->v.data_map + 3 * PAGE_SZ,
				  DATA_SIZE - 3 * PAGE_SZ, 0));
	/* one page past the bound range is not mapped */
	ASSERT_EQ(-EFAULT, vm_fill(_metadata, &self->v, BIND_VA + PAGE_SZ, 8,
				   1, &hw));
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
}

/* The same pages at two VAs: the automatic one and a bound one. */
TEST_F(bind, alias_of_automatic_mapping)
{
	uint32_t hw;

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  DATA_SIZE));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, self->v.data_va, PAGE_SZ,
			     0x11223344, &hw));
	ASSERT_EQ(0, vm_copy(_metadata, &self->v, BIND_VA,
			     BIND_VA + PAGE_SZ, PAGE_SZ, &hw));
	ASSERT_EQ(-1, check_fill(self->v.data_map + PAGE_SZ, PAGE_SZ,
				 0x11223344));
}

/* After VM_UNBIND the VA faults and the BO is not touched. */
TEST_F(bind, use_after_unbind_faults)
{
	uint32_t hw;

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  DATA_SIZE));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA, DATA_SIZE, 0x1, &hw));
	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, DATA_SIZE));
	memset(self->v.data_map, 0, DATA_SIZE);
	ASSERT_EQ(-EFAULT, vm_fill(_metadata, &self->v, BIND_VA, DATA_SIZE,
				   0xdeadbeef, &hw));
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	ASSERT_EQ(-1, check_bytes(self->v.data_map, DATA_SIZE, 0));
	ASSERT_GE(PARAM(self->v.fd, DRM_VNPU_PARAM_CONTEXT_FAULTS), 1);
	/* and it can be bound again */
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  DATA_SIZE));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA, DATA_SIZE, 0x2, &hw));
}

TEST_F(bind, readonly_write_faults)
{
	uint32_t hw;

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data,
				  DRM_VNPU_VM_BIND_READONLY, BIND_VA, 0,
				  DATA_SIZE));
	ASSERT_EQ(-EFAULT, vm_fill(_metadata, &self->v, BIND_VA, 8, 7, &hw));
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	memset(self->v.data_map, 0x5a, PAGE_SZ);
	ASSERT_EQ(0, vm_copy(_metadata, &self->v, BIND_VA,
			     self->v.data_va + PAGE_SZ, PAGE_SZ, &hw));
	ASSERT_EQ(-1, check_bytes(self->v.data_map + PAGE_SZ, PAGE_SZ, 0x5a));
}

/* A binding keeps the BO alive after its handle is closed. */
TEST_F(bind, outlives_handle)
{
	uint32_t hw;

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  DATA_SIZE));
	ASSERT_EQ(0, vnpu_gem_close(self->v.fd, self->v.data));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA, DATA_SIZE,
			     0x0a1b0a1b, &hw));
	ASSERT_EQ(-1, check_fill(self->v.data_map, DATA_SIZE, 0x0a1b0a1b));
	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, DATA_SIZE));
}

/* Another file's binding is out of reach. */
TEST_F(bind, other_file_cannot_reach)
{
	struct vm w;
	uint32_t hw;

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  DATA_SIZE));
	ASSERT_TRUE(vm_init(_metadata, &w));
	ASSERT_EQ(-ENOENT, vnpu_vm_unbind(w.fd, BIND_VA, DATA_SIZE));
	ASSERT_EQ(-EFAULT, vm_fill(_metadata, &w, BIND_VA, 8, 3, &hw));
	ASSERT_EQ(-1, check_bytes(self->v.data_map, DATA_SIZE, 0));
	vm_fini(&w);
}

/* Closing a file with bindings releases them (the module test checks). */
TEST_F(bind, close_with_bindings)
{
	struct vm w;
	int i;

	ASSERT_TRUE(vm_init(_metadata, &w));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, vnpu_vm_bind(w.fd, w.data, 0,
					  BIND_VA + i * DATA_SIZE, 0, DATA_SIZE));
	vm_fini(&w);
}

TEST_F(bind, unknown_flags)
{
	ASSERT_EQ(-EINVAL, vnpu_vm_bind(self->v.fd, self->v.data, 1u << 31,
					BIND_VA, 0, DATA_SIZE));
}

TEST_F(bind, va_misaligned)
{
	ASSERT_EQ(-EINVAL, vnpu_vm_bind(self->v.fd, self->v.data, 0,
					BIND_VA + 8, 0, PAGE_SZ));
}

TEST_F(bind, offset_misaligned)
{
	ASSERT_EQ(-EINVAL, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA,
					8, PAGE_SZ));
}

TEST_F(bind, size_zero)
{
	ASSERT_EQ(-EINVAL, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA,
					0, 0));
}

TEST_F(bind, size_misaligned)
{
	ASSERT_EQ(-EINVAL, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA,
					0, PAGE_SZ + 8));
}

TEST_F(bind, range_beyond_bo)
{
	ASSERT_EQ(-EINVAL, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA,
					PAGE_SZ, DATA_SIZE));
	ASSERT_EQ(-EINVAL, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA,
					DATA_SIZE + PAGE_SZ, PAGE_SZ));
	ASSERT_EQ(-EINVAL, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA,
					0, DATA_SIZE + PAGE_SZ));
}

TEST_F(bind, va_zero)
{
	ASSERT_EQ(-ERANGE, vnpu_vm_bind(self->v.fd, self->v.data, 0, 0, 0,
					PAGE_SZ));
}

TEST_F(bind, va_below_start)
{
	ASSERT_EQ(-ERANGE, vnpu_vm_bind(self->v.fd, self->v.data, 0,
					self->v.va_start - PAGE_SZ, 0,
					2 * PAGE_SZ));
}

TEST_F(bind, va_beyond_end)
{
	ASSERT_EQ(-ERANGE, vnpu_vm_bind(self->v.fd, self->v.data, 0,
					self->v.va_end - PAGE_SZ, 0,
					2 * PAGE_SZ));
	ASSERT_EQ(-ERANGE, vnpu_vm_bind(self->v.fd, self->v.data, 0,
					self->v.va_end, 0, PAGE_SZ));
	ASSERT_EQ(-ERANGE, vnpu_vm_bind(self->v.fd, self->v.data, 0,
					-PAGE_SZ, 0, PAGE_SZ));
	/* the last page is fine */
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0,
				  self->v.va_end - PAGE_SZ, 0, PAGE_SZ));
}

TEST_F(bind, overlaps_binding)
{
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  4 * PAGE_SZ));
	ASSERT_EQ(-EEXIST, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA,
					0, PAGE_SZ));
	ASSERT_EQ(-EEXIST, vnpu_vm_bind(self->v.fd, self->v.data, 0,
					BIND_VA + 3 * PAGE_SZ, 0, 2 * PAGE_SZ));
	ASSERT_EQ(-EEXIST, vnpu_vm_bind(self->v.fd, self->v.data, 0,
					BIND_VA - PAGE_SZ, 0, 2 * PAGE_SZ));
	/* adjacent is fine */
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0,
				  BIND_VA + 4 * PAGE_SZ, 0, PAGE_SZ));
}

TEST_F(bind, overlaps_automatic_mapping)
{
	ASSERT_EQ(-EEXIST, vnpu_vm_bind(self->v.fd, self->v.data, 0,
					self->v.cmd_va, 0, PAGE_SZ));
	ASSERT_EQ(-EEXIST, vnpu_vm_bind(self->v.fd, self->v.data, 0,
					self->v.data_va + PAGE_SZ, 0, PAGE_SZ));
}

TEST_F(bind, unknown_handle)
{
	ASSERT_EQ(-ENOENT, vnpu_vm_bind(self->v.fd, 0xdead, 0, BIND_VA, 0,
					PAGE_SZ));
}

TEST_F(bind, unbind_nonzero_flags)
{
	struct drm_vnpu_vm_unbind u = { .va = BIND_VA, .size = PAGE_SZ, .flags = 1 };

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  PAGE_SZ));
	ASSERT_EQ(-EINVAL, xioctl(self->v.fd, DRM_IOCTL_VNPU_VM_UNBIND, &u));
}

TEST_F(bind, unbind_nonzero_pad)
{
	struct drm_vnpu_vm_unbind u = { .va = BIND_VA, .size = PAGE_SZ, .pad = 1 };

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  PAGE_SZ));
	ASSERT_EQ(-EINVAL, xioctl(self->v.fd, DRM_IOCTL_VNPU_VM_UNBIND, &u));
}

TEST_F(bind, unbind_not_bound)
{
	ASSERT_EQ(-ENOENT, vnpu_vm_unbind(self->v.fd, BIND_VA, PAGE_SZ));
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  2 * PAGE_SZ));
	/* not the start of the binding */
	ASSERT_EQ(-ENOENT, vnpu_vm_unbind(self->v.fd, BIND_VA + PAGE_SZ,
					  PAGE_SZ));
	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, 2 * PAGE_SZ));
	ASSERT_EQ(-ENOENT, vnpu_vm_unbind(self->v.fd, BIND_VA, 2 * PAGE_SZ));
}

TEST_F(bind, unbind_automatic_mapping)
{
	uint32_t hw;

	ASSERT_EQ(-ENOENT, vnpu_vm_unbind(self->v.fd, self->v.data_va,
					  DATA_SIZE));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, self->v.data_va, 8, 1, &hw));
}

TEST_F(bind, unbind_wrong_size)
{
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, self->v.data, 0, BIND_VA, 0,
				  2 * PAGE_SZ));
	ASSERT_EQ(-EINVAL, vnpu_vm_unbind(self->v.fd, BIND_VA, PAGE_SZ));
	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, 2 * PAGE_SZ));
}

/* ------------------------------------------------------------------ */
/* userptr                                                             */
/* ------------------------------------------------------------------ */

FIXTURE(userptr) {
	struct vm v;
	uint8_t *mem;
	size_t size;
};

FIXTURE_SETUP(userptr)
{
	if (!vm_init(_metadata, &self->v))
		return;
	self->size = 16 * PAGE_SZ;
	self->mem = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	memset(self->mem, 0, self->size);
}

FIXTURE_TEARDOWN(userptr)
{
	vm_fini(&self->v);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, self->size);
}

TEST_F(userptr, device_writes_user_memory)
{
	struct drm_vnpu_bo_info info;
	uint32_t h, hw;
	uint64_t va;

	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem, self->size, 0, &h,
				     &va));
	ASSERT_NE(0, va);
	ASSERT_EQ(0, vnpu_bo_info(self->v.fd, h, &info));
	ASSERT_EQ(DRM_VNPU_BO_IS_USERPTR, info.bo_flags);
	ASSERT_EQ(self->size, info.size);
	ASSERT_EQ(va, info.va);
	ASSERT_EQ(0, info.mmap_offset);
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, va, self->size, 0xc0ffee00,
			     &hw));
	ASSERT_EQ(-1, check_fill(self->mem, self->size, 0xc0ffee00));
	ASSERT_EQ(0, vnpu_gem_close(self->v.fd, h));
}

TEST_F(userptr, device_reads_user_memory)
{
	uint32_t h, hw;
	uint64_t va;

	memset(self->mem, 0x3c, self->size);
	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem, self->size,
				     DRM_VNPU_BO_READONLY, &h, &va));
	ASSERT_EQ(0, vm_copy(_metadata, &self->v, va, self->v.data_va,
			     DATA_SIZE, &hw));
	ASSERT_EQ(-1, check_bytes(self->v.data_map, DATA_SIZE, 0x3c));
	/* read-only: a device write faults and the memory is unchanged */
	ASSERT_EQ(-EFAULT, vm_fill(_metadata, &self->v, va, 8, 0, &hw));
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	ASSERT_EQ(-1, check_bytes(self->mem, self->size, 0x3c));
	/* and VM_BIND of it is read-only too */
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, h, 0, BIND_VA, 0, PAGE_SZ));
	ASSERT_EQ(-EFAULT, vm_fill(_metadata, &self->v, BIND_VA, 8, 0, &hw));
}

/* Read-only memory can be wrapped read-only only. */
TEST_F(userptr, readonly_mapping)
{
	uint32_t h;

	ASSERT_EQ(0, mprotect(self->mem, self->size, PROT_READ));
	ASSERT_EQ(-EFAULT, vnpu_bo_userptr(self->v.fd, self->mem, self->size,
					   0, &h, NULL));
	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem, self->size,
				     DRM_VNPU_BO_READONLY, &h, NULL));
}

TEST_F(userptr, cannot_export)
{
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC };

	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem, self->size, 0,
				     &p.handle, NULL));
	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->v.fd, DRM_IOCTL_PRIME_HANDLE_TO_FD,
				      &p));
}

/*
 * A page is in at most one writable userptr BO of the device (the DMA API
 * forbids mapping a page for device writes several times over): a second
 * writable BO over any of its pages is -EBUSY, and the first one is intact.
 */
TEST_F(userptr, writable_overlap_busy)
{
	uint32_t h, hw;
	uint64_t va;

	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem + 4 * PAGE_SZ,
				     4 * PAGE_SZ, 0, &h, &va));
	/* the same range, one page inside, and one straddling its end */
	ASSERT_EQ(-EBUSY, vnpu_bo_userptr(self->v.fd, self->mem + 4 * PAGE_SZ,
					  4 * PAGE_SZ, 0, NULL, NULL));
	ASSERT_EQ(-EBUSY, vnpu_bo_userptr(self->v.fd, self->mem + 6 * PAGE_SZ,
					  PAGE_SZ, 0, NULL, NULL));
	ASSERT_EQ(-EBUSY, vnpu_bo_userptr(self->v.fd, self->mem, self->size, 0,
					  NULL, NULL));
	/* the pages next to it are free */
	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem, 4 * PAGE_SZ, 0,
				     NULL, NULL));
	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem + 8 * PAGE_SZ,
				     8 * PAGE_SZ, 0, NULL, NULL));
	/* the first BO still works */
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, va, 4 * PAGE_SZ, 0x5a5a0000,
			     &hw));
	ASSERT_EQ(-1, check_fill(self->mem + 4 * PAGE_SZ, 4 * PAGE_SZ,
				 0x5a5a0000));
}

/* The rule is per device, not per file. */
TEST_F(userptr, writable_overlap_other_file_busy)
{
	int fd2 = vnpu_open();

	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem, self->size, 0,
				     NULL, NULL));
	EXPECT_EQ(-EBUSY, vnpu_bo_userptr(fd2, self->mem + PAGE_SZ, PAGE_SZ, 0,
					  NULL, NULL));
	close(fd2);
}

/* Read-only BOs may overlap anything; freeing a writable one frees its pages. */
TEST_F(userptr, overlap_readonly_and_after_free)
{
	uint32_t h;
	int i;

	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem, self->size, 0, &h,
				     NULL));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem, self->size,
					     DRM_VNPU_BO_READONLY, NULL, NULL));
	ASSERT_EQ(0, vnpu_gem_close(self->v.fd, h));
	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, self->mem + PAGE_SZ, PAGE_SZ,
				     0, NULL, NULL));
}

TEST_F(userptr, unaligned_pointer)
{
	ASSERT_EQ(-EINVAL, vnpu_bo_userptr(self->v.fd, self->mem + 64,
					   PAGE_SZ, 0, NULL, NULL));
}

TEST_F(userptr, unaligned_size)
{
	ASSERT_EQ(-EINVAL, vnpu_bo_userptr(self->v.fd, self->mem,
					   PAGE_SZ + 64, 0, NULL, NULL));
}

TEST_F(userptr, size_zero)
{
	ASSERT_EQ(-EINVAL, vnpu_bo_userptr(self->v.fd, self->mem, 0, 0, NULL,
					   NULL));
}

TEST_F(userptr, size_above_max)
{
	uint64_t max = PARAM(self->v.fd, DRM_VNPU_PARAM_MAX_BO_SIZE);

	ASSERT_EQ(-EINVAL, vnpu_bo_userptr(self->v.fd, self->mem,
					   max + PAGE_SZ, 0, NULL, NULL));
}

TEST_F(userptr, unknown_flags)
{
	ASSERT_EQ(-EINVAL, vnpu_bo_userptr(self->v.fd, self->mem, PAGE_SZ,
					   DRM_VNPU_BO_WC, NULL, NULL));
	ASSERT_EQ(-EINVAL, vnpu_bo_userptr(self->v.fd, self->mem, PAGE_SZ,
					   1u << 31, NULL, NULL));
}

TEST_F(userptr, unmapped_memory)
{
	ASSERT_EQ(0, munmap(self->mem + 4 * PAGE_SZ, PAGE_SZ));
	ASSERT_EQ(-EFAULT, vnpu_bo_userptr(self->v.fd, self->mem, self->size,
					   0, NULL, NULL));
}

TEST_F(userptr, kernel_address)
{
	ASSERT_EQ(-EFAULT, vnpu_bo_userptr(self->v.fd,
					   (void *)0xffff888000000000ull,
					   PAGE_SZ, 0, NULL, NULL));
}

/* ---- RLIMIT_MEMLOCK ---- */

#define MEMLOCK_PAGES	16
#define NOBODY		65534

/*
 * In a child with RLIMIT_MEMLOCK MEMLOCK_PAGES pages and, if @drop, the
 * uid of nobody and no capabilities: pin userptr BOs of 32 pages of @mem
 * against the limit. Returns 0, or the number of the step that failed.
 */
static int memlock_steps(uint8_t *mem, bool drop)
{
	struct rlimit rl = {
		.rlim_cur = MEMLOCK_PAGES * PAGE_SZ,
		.rlim_max = MEMLOCK_PAGES * PAGE_SZ,
	};
	uint32_t a, b;
	int fd;

	fd = vnpu_open();
	if (fd < 0)
		return 100;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return 101;
	if (drop && (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)))
		return 102;

	if (!drop)	/* CAP_IPC_LOCK: no limit */
		return vnpu_bo_userptr(fd, mem, 32 * PAGE_SZ, 0, NULL, NULL) ?
		       1 : 0;

	/* more than the limit */
	if (vnpu_bo_userptr(fd, mem, 32 * PAGE_SZ, 0, NULL, NULL) != -ENOMEM)
		return 1;
	/* within it */
	if (vnpu_bo_userptr(fd, mem, 12 * PAGE_SZ, 0, &a, NULL))
		return 2;
	/* the pinned pages add up: 12 + 8 is over */
	if (vnpu_bo_userptr(fd, mem + 12 * PAGE_SZ, 8 * PAGE_SZ, 0, NULL,
			    NULL) != -ENOMEM)
		return 3;
	/* freeing gives the charge back */
	if (vnpu_gem_close(fd, a))
		return 4;
	/* so does a pin that fails half way */
	if (munmap(mem + 20 * PAGE_SZ, PAGE_SZ))
		return 5;
	if (vnpu_bo_userptr(fd, mem + 16 * PAGE_SZ, 8 * PAGE_SZ, 0, NULL,
			    NULL) != -EFAULT)
		return 6;
	/* all of the limit is available again, and exactly that */
	if (vnpu_bo_userptr(fd, mem, MEMLOCK_PAGES * PAGE_SZ, 0, &b, NULL))
		return 7;
	if (vnpu_bo_userptr(fd, mem + 16 * PAGE_SZ, PAGE_SZ, 0, NULL,
			    NULL) != -ENOMEM)
		return 8;
	if (vnpu_gem_close(fd, b))
		return 9;
	if (vnpu_bo_userptr(fd, mem + 16 * PAGE_SZ, 4 * PAGE_SZ, 0, NULL,
			    NULL))
		return 10;
	close(fd);
	return 0;
}

static int memlock_child(bool drop)
{
	uint8_t *mem;
	int status;
	pid_t pid;

	mem = mmap(NULL, 32 * PAGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	memset(mem, 0, 32 * PAGE_SZ);
	pid = fork();
	if (pid == 0)
		_exit(memlock_steps(mem, drop));
	munmap(mem, 32 * PAGE_SZ);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Without CAP_IPC_LOCK, pinned pages are charged to RLIMIT_MEMLOCK:
 * -ENOMEM above it, and the charge comes back when the BO is freed or
 * the pin fails.
 */
TEST_F(userptr, memlock_limit)
{
	if (geteuid())
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, memlock_child(true)) TH_LOG("step failed");
}

/* CAP_IPC_LOCK lifts RLIMIT_MEMLOCK. */
TEST_F(userptr, memlock_cap_ipc_lock)
{
	if (geteuid())
		SKIP(return, "needs CAP_IPC_LOCK");
	ASSERT_EQ(0, memlock_child(false));
}

/* ------------------------------------------------------------------ */
/* PRIME                                                               */
/* ------------------------------------------------------------------ */

static int prime_export(int fd, uint32_t handle, int *dmabuf)
{
	struct drm_prime_handle p = {
		.handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR,
	};
	int ret = xioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	if (!ret)
		*dmabuf = p.fd;
	return ret;
}

static int prime_import(int fd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = dmabuf };
	int ret = xioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	if (!ret)
		*handle = p.handle;
	return ret;
}

FIXTURE(prime) {
	struct vm v;
};

FIXTURE_SETUP(prime)
{
	vm_init(_metadata, &self->v);
}

FIXTURE_TEARDOWN(prime)
{
	vm_fini(&self->v);
}

/*
 * Export from one file, import into another: the importer binds it in its
 * own address space and its job's writes are seen by the exporter.
 */
TEST_F(prime, share_between_files)
{
	struct drm_vnpu_bo_info info;
	struct vm w;
	uint32_t h, hw;
	int dmabuf;

	ASSERT_EQ(0, prime_export(self->v.fd, self->v.data, &dmabuf));
	ASSERT_TRUE(vm_init(_metadata, &w));
	ASSERT_EQ(0, prime_import(w.fd, dmabuf, &h));
	ASSERT_EQ(0, vnpu_bo_info(w.fd, h, &info));
	ASSERT_EQ(DATA_SIZE, info.size);
	ASSERT_EQ(0, info.va) TH_LOG("another file's VA leaked");
	/* no automatic mapping in the importer: it binds the BO itself */
	ASSERT_EQ(0, vnpu_vm_bind(w.fd, h, 0, BIND_VA, 0, DATA_SIZE));
	ASSERT_EQ(0, vm_fill(_metadata, &w, BIND_VA, DATA_SIZE, 0x5ea4ed00,
			     &hw));
	ASSERT_EQ(-1, check_fill(self->v.data_map, DATA_SIZE, 0x5ea4ed00));
	/* the command buffer of a job must be the file's own BO */
	ASSERT_EQ(-EINVAL, vnpu_submit_simple(w.fd, h, 0, 8, 0, 0, NULL));
	close(dmabuf);
	vm_fini(&w);
}

/* The dma-buf itself can be mmapped and shows the BO. */
TEST_F(prime, dmabuf_mmap)
{
	uint8_t *p;
	int dmabuf;

	memset(self->v.data_map, 0x77, DATA_SIZE);
	ASSERT_EQ(0, prime_export(self->v.fd, self->v.data, &dmabuf));
	p = mmap(NULL, DATA_SIZE, PROT_READ, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(-1, check_bytes(p, DATA_SIZE, 0x77));
	munmap(p, DATA_SIZE);
	close(dmabuf);
}

/* A buffer of another driver (vgem) imported, bound and written. */
TEST_F(prime, import_vgem)
{
	struct drm_mode_create_dumb dumb = { .width = 4096, .height = 4, .bpp = 32 };
	struct drm_mode_map_dumb map = { 0 };
	struct drm_vnpu_bo_info info;
	uint32_t h, hw;
	uint8_t *p;
	int vgem, dmabuf;

	vgem = vnpu_vgem_open();
	if (vgem < 0)
		SKIP(return, "no vgem device");
	ASSERT_EQ(0, xioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb));
	ASSERT_EQ(0, prime_export(vgem, dumb.handle, &dmabuf));
	ASSERT_EQ(0, prime_import(self->v.fd, dmabuf, &h));
	ASSERT_EQ(0, vnpu_bo_info(self->v.fd, h, &info));
	ASSERT_EQ(DRM_VNPU_BO_IS_IMPORTED, info.bo_flags);
	ASSERT_EQ(dumb.size, info.size);
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, h, 0, BIND_VA, 0, 16 * PAGE_SZ));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA, 16 * PAGE_SZ,
			     0x76e4f111, &hw));
	ASSERT_EQ(VNPU_JOB_OK, hw);

	map.handle = dumb.handle;
	ASSERT_EQ(0, xioctl(vgem, DRM_IOCTL_MODE_MAP_DUMB, &map));
	p = mmap(NULL, 16 * PAGE_SZ, PROT_READ, MAP_SHARED, vgem, map.offset);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(-1, check_fill(p, 16 * PAGE_SZ, 0x76e4f111));
	munmap(p, 16 * PAGE_SZ);
	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, 16 * PAGE_SZ));
	close(dmabuf);
	close(vgem);
}

/* ------------------------------------------------------------------ */
/* Per-file memory accounting (fdinfo)                                 */
/* ------------------------------------------------------------------ */

/* Value of @key (in bytes) in the fdinfo of @fd, or -1 if absent. */
static long long fdinfo_bytes(int fd, const char *key)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(key);
		char unit[8] = "";
		long long x;

		if (strncmp(line, key, n) || line[n] != ':')
			continue;
		if (sscanf(line + n + 1, "%lld %7s", &x, unit) < 1)
			break;
		v = !strcmp(unit, "KiB") ? x << 10 : !strcmp(unit, "MiB") ?
		    x << 20 : x;
		break;
	}
	fclose(f);
	return v;
}

FIXTURE(memstats) {
	struct vm v;
};

FIXTURE_SETUP(memstats)
{
	if (!vm_init(_metadata, &self->v))
		return;
	if (fdinfo_bytes(self->v.fd, "drm-total-memory") < 0)
		SKIP(return, "no drm-total-memory in fdinfo");
}

FIXTURE_TEARDOWN(memstats)
{
	vm_fini(&self->v);
}

/* Every BO kind counts as total and resident memory of its file. */
TEST_F(memstats, bos_counted_per_file)
{
	long long total = fdinfo_bytes(self->v.fd, "drm-total-memory");
	long long res = fdinfo_bytes(self->v.fd, "drm-resident-memory");
	uint8_t *mem = mmap(NULL, 16 * PAGE_SZ, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vm w;
	uint32_t h[2];

	ASSERT_EQ(CMD_SIZE + DATA_SIZE, total);
	ASSERT_EQ(total, res);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, 16 * PAGE_SZ);
	ASSERT_EQ(0, vnpu_bo_create(self->v.fd, 1 << 20, DRM_VNPU_BO_WC, &h[0],
				    NULL));
	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, mem, 16 * PAGE_SZ, 0, &h[1],
				     NULL));
	ASSERT_EQ(total + (1 << 20) + 16 * PAGE_SZ,
		  fdinfo_bytes(self->v.fd, "drm-total-memory"));
	ASSERT_EQ(total + (1 << 20) + 16 * PAGE_SZ,
		  fdinfo_bytes(self->v.fd, "drm-resident-memory"));
	/* another file counts only its own */
	ASSERT_TRUE(vm_init(_metadata, &w));
	ASSERT_EQ(CMD_SIZE + DATA_SIZE, fdinfo_bytes(w.fd, "drm-total-memory"));
	vm_fini(&w);
	ASSERT_EQ(0, vnpu_gem_close(self->v.fd, h[0]));
	ASSERT_EQ(0, vnpu_gem_close(self->v.fd, h[1]));
	ASSERT_EQ(total, fdinfo_bytes(self->v.fd, "drm-total-memory"));
	munmap(mem, 16 * PAGE_SZ);
}

/* ------------------------------------------------------------------ */
/* Device memory                                                       */
/* ------------------------------------------------------------------ */

FIXTURE(devmem) {
	struct vm v;
	uint64_t size;
};

FIXTURE_SETUP(devmem)
{
	if (!vm_init(_metadata, &self->v))
		return;
	self->size = PARAM(self->v.fd, DRM_VNPU_PARAM_DEVMEM_SIZE);
}

FIXTURE_TEARDOWN(devmem)
{
	vm_fini(&self->v);
}

TEST_F(devmem, absent_or_capability)
{
	uint64_t caps = PARAM(self->v.fd, DRM_VNPU_PARAM_CAPABILITIES);

	if (!self->size) {
		ASSERT_FALSE(caps & DRM_VNPU_CAP_DEVMEM);
		ASSERT_EQ(-ENODEV, vnpu_bo_create(self->v.fd, PAGE_SZ,
						  DRM_VNPU_BO_DEVMEM, NULL,
						  NULL));
	} else {
		ASSERT_TRUE(caps & DRM_VNPU_CAP_DEVMEM);
	}
}

TEST_F(devmem, fill_copy_and_cpu_map)
{
	struct drm_vnpu_bo_info info;
	uint32_t h, hw;
	uint64_t va;
	uint8_t *p;

	if (!self->size)
		SKIP(return, "the device has no device memory");
	ASSERT_EQ(0, vnpu_bo_create(self->v.fd, DATA_SIZE, DRM_VNPU_BO_DEVMEM,
				    &h, &va));
	ASSERT_EQ(0, vnpu_bo_info(self->v.fd, h, &info));
	ASSERT_EQ(DRM_VNPU_BO_DEVMEM, info.bo_flags);
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, va, DATA_SIZE, 0xde7e3e77,
			     &hw));
	ASSERT_EQ(VNPU_JOB_OK, hw);
	ASSERT_EQ(0, vm_copy(_metadata, &self->v, va, self->v.data_va,
			     DATA_SIZE, &hw));
	ASSERT_EQ(-1, check_fill(self->v.data_map, DATA_SIZE, 0xde7e3e77));

	p = vnpu_bo_mmap(self->v.fd, h, DATA_SIZE);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(-1, check_fill(p, DATA_SIZE, 0xde7e3e77));
	memset(p, 0x42, PAGE_SZ);
	ASSERT_EQ(0, vm_copy(_metadata, &self->v, va, self->v.data_va, PAGE_SZ,
			     &hw));
	ASSERT_EQ(-1, check_bytes(self->v.data_map, PAGE_SZ, 0x42));
	munmap(p, DATA_SIZE);
}

/* A device-memory BO bound at a chosen VA, read-only too. */
TEST_F(devmem, vm_bind)
{
	uint32_t h, hw;
	uint8_t *p;

	if (!self->size)
		SKIP(return, "the device has no device memory");
	ASSERT_EQ(0, vnpu_bo_create(self->v.fd, DATA_SIZE, DRM_VNPU_BO_DEVMEM,
				    &h, NULL));
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, h, 0, BIND_VA, PAGE_SZ,
				  PAGE_SZ));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA, PAGE_SZ, 0xdeb1dd00,
			     &hw));
	p = vnpu_bo_mmap(self->v.fd, h, DATA_SIZE);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(-1, check_fill(p + PAGE_SZ, PAGE_SZ, 0xdeb1dd00));
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, h, DRM_VNPU_VM_BIND_READONLY,
				  BIND_VA + PAGE_SZ, PAGE_SZ, PAGE_SZ));
	ASSERT_EQ(-EFAULT, vm_fill(_metadata, &self->v, BIND_VA + PAGE_SZ, 8,
				   0, &hw));
	ASSERT_EQ(-1, check_fill(p + PAGE_SZ, PAGE_SZ, 0xdeb1dd00));
	munmap(p, DATA_SIZE);
}

/* ---- 2 MiB pages (debugfs page_tables) ---- */

#define HUGE_SZ		(2ull << 20)

/* The leaf run of the debugfs page-table dump that holds one VA. */
struct pt_run {
	uint64_t start, end, addr;
	char size[4], perm[4], kind[8];
};

/*
 * Read debugfs page_tables: the number of 2 MiB leaves of context @ctx
 * (-1 if the file or the context is missing) and, in @run, the run holding
 * @va (run->end = 0 when @va is not mapped).
 */
static int pt_lookup(uint32_t ctx, uint64_t va, struct pt_run *run)
{
	char path[512], line[256];
	struct dirent *e;
	int huge = -1;
	bool in = false;
	FILE *f = NULL;
	DIR *d;

	memset(run, 0, sizeof(*run));
	if (access("/sys/kernel/debug/accel", F_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	d = opendir("/sys/kernel/debug/accel");
	if (!d)
		return -1;
	while (!f && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/accel/%s/page_tables", e->d_name);
		f = fopen(path, "re");
	}
	closedir(d);
	if (!f)
		return -1;
	/* with several devices, only ours has our context with mappings */
	while (fgets(line, sizeof(line), f)) {
		unsigned int id, n;
		struct pt_run r;

		if (sscanf(line, "ctx %u: %u 2M leaves", &id, &n) == 2) {
			in = id == ctx;
			if (in)
				huge = n;
			continue;
		}
		if (!in || sscanf(line, " %" SCNx64 "-%" SCNx64 " %3s %3s %7s %" SCNx64,
				  &r.start, &r.end, r.size, r.perm, r.kind,
				  &r.addr) != 6)
			continue;
		if (va >= r.start && va < r.end)
			*run = r;
	}
	fclose(f);
	return huge;
}

#define PT_LOOKUP_OR_SKIP(ctx, va, run) ({				\
	int __n = pt_lookup(ctx, va, run);				\
	if (__n < 0)							\
		SKIP(return, "no debugfs page_tables");			\
	__n;								\
})

/*
 * A 4 MiB device-memory BO: its automatic mapping and a VM_BIND of it at a
 * 2 MiB-aligned VA both use two 2 MiB leaves; a job reads and writes
 * through them, across the boundary between the two; after VM_UNBIND the
 * VA faults in both halves and the leaves are gone.
 */
TEST_F(devmem, huge_pages)
{
	uint32_t ctx = PARAM(self->v.fd, DRM_VNPU_PARAM_CONTEXT_ID);
	uint64_t va, sizes = PARAM(self->v.fd, DRM_VNPU_PARAM_PAGE_SIZES);
	const uint64_t size = 2 * HUGE_SZ;
	struct pt_run run;
	uint32_t h, hw;
	int n0, n;
	uint8_t *p;

	if (!self->size)
		SKIP(return, "the device has no device memory");
	if (!(sizes & HUGE_SZ))
		SKIP(return, "the MMU has no 2 MiB pages");
	n0 = PT_LOOKUP_OR_SKIP(ctx, BIND_VA, &run);
	ASSERT_EQ(0, run.end);

	ASSERT_EQ(0, vnpu_bo_create(self->v.fd, size, DRM_VNPU_BO_DEVMEM, &h,
				    &va));
	ASSERT_EQ(0, va % HUGE_SZ) TH_LOG("automatic VA %#llx",
					  (unsigned long long)va);
	n = pt_lookup(ctx, va, &run);
	ASSERT_EQ(n0 + 2, n);
	ASSERT_STREQ("2M", run.size);
	ASSERT_STREQ("devmem", run.kind);
	ASSERT_EQ(va, run.start);
	ASSERT_EQ(va + size, run.end);
	ASSERT_EQ(0, run.addr % HUGE_SZ);

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, h, 0, BIND_VA, 0, size));
	n = pt_lookup(ctx, BIND_VA + HUGE_SZ + PAGE_SZ, &run);
	ASSERT_EQ(n0 + 4, n);
	ASSERT_STREQ("2M", run.size);
	ASSERT_STREQ("rw-", run.perm);
	ASSERT_EQ(BIND_VA, run.start);
	ASSERT_EQ(BIND_VA + size, run.end);

	/* the device writes all of it through the bound VA ... */
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA, size, 0x2b16e5a1,
			     &hw));
	ASSERT_EQ(VNPU_JOB_OK, hw);
	p = vnpu_bo_mmap(self->v.fd, h, size);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(-1, check_fill(p, size, 0x2b16e5a1));
	/* ... and reads it back across the 2 MiB boundary */
	memset(p + HUGE_SZ - DATA_SIZE / 2, 0x5a, DATA_SIZE);
	ASSERT_EQ(0, vm_copy(_metadata, &self->v,
			     BIND_VA + HUGE_SZ - DATA_SIZE / 2,
			     self->v.data_va, DATA_SIZE, &hw));
	ASSERT_EQ(-1, check_bytes(self->v.data_map, DATA_SIZE, 0x5a));
	/* the automatic mapping reaches the same memory */
	ASSERT_EQ(0, vm_copy(_metadata, &self->v, va + size - PAGE_SZ,
			     self->v.data_va, PAGE_SZ, &hw));
	ASSERT_EQ(-1, check_fill(self->v.data_map, PAGE_SZ, 0x2b16e5a1));

	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, size));
	n = pt_lookup(ctx, BIND_VA + HUGE_SZ, &run);
	ASSERT_EQ(n0 + 2, n);
	ASSERT_EQ(0, run.end);
	ASSERT_EQ(-EFAULT, vm_fill(_metadata, &self->v, BIND_VA, 8, 0, &hw));
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	ASSERT_EQ(-EFAULT, vm_fill(_metadata, &self->v,
				   BIND_VA + HUGE_SZ + PAGE_SZ, 8, 0, &hw));
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, hw);
	/* the faulting jobs wrote nothing */
	ASSERT_EQ(-1, check_fill(p, PAGE_SZ, 0x2b16e5a1));
	ASSERT_EQ(-1, check_bytes(p + HUGE_SZ + PAGE_SZ, 8, 0x5a));
	munmap(p, size);

	ASSERT_EQ(0, vnpu_gem_close(self->v.fd, h));
	n = pt_lookup(ctx, va, &run);
	ASSERT_EQ(n0, n);
	ASSERT_EQ(0, run.end);
}

/*
 * 2 MiB leaves only where both the VA and the memory are 2 MiB aligned:
 * 2 MiB + 4 KiB bound at an aligned VA is one 2 MiB leaf and one 4 KiB
 * leaf; the same memory bound from a 4 KiB offset uses 4 KiB leaves only.
 * The 4 KiB mapping then reuses the table the 2 MiB leaf replaced.
 */
TEST_F(devmem, huge_and_small_leaves)
{
	uint32_t ctx = PARAM(self->v.fd, DRM_VNPU_PARAM_CONTEXT_ID);
	uint64_t sizes = PARAM(self->v.fd, DRM_VNPU_PARAM_PAGE_SIZES);
	const uint64_t size = 2 * HUGE_SZ;
	struct pt_run run;
	uint32_t h, hw;
	int n0;

	if (!self->size)
		SKIP(return, "the device has no device memory");
	if (!(sizes & HUGE_SZ))
		SKIP(return, "the MMU has no 2 MiB pages");
	ASSERT_EQ(0, vnpu_bo_create(self->v.fd, size, DRM_VNPU_BO_DEVMEM, &h,
				    NULL));
	n0 = PT_LOOKUP_OR_SKIP(ctx, BIND_VA, &run);

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, h, 0, BIND_VA, 0,
				  HUGE_SZ + PAGE_SZ));
	ASSERT_EQ(n0 + 1, pt_lookup(ctx, BIND_VA, &run));
	ASSERT_STREQ("2M", run.size);
	ASSERT_EQ(BIND_VA + HUGE_SZ, run.end);
	ASSERT_EQ(n0 + 1, pt_lookup(ctx, BIND_VA + HUGE_SZ, &run));
	ASSERT_STREQ("4K", run.size);
	ASSERT_EQ(BIND_VA + HUGE_SZ + PAGE_SZ, run.end);
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA + HUGE_SZ - 8, 16,
			     0x0dd5a1e5, &hw));
	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, HUGE_SZ + PAGE_SZ));

	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, h, 0, BIND_VA, PAGE_SZ, HUGE_SZ));
	ASSERT_EQ(n0, pt_lookup(ctx, BIND_VA + HUGE_SZ - PAGE_SZ, &run));
	ASSERT_STREQ("4K", run.size);
	ASSERT_EQ(BIND_VA, run.start);
	ASSERT_EQ(BIND_VA + HUGE_SZ, run.end);
	/* BO offset 2 MiB - 8 is now at BIND_VA + 2 MiB - 4 KiB - 8 */
	ASSERT_EQ(0, vm_copy(_metadata, &self->v,
			     BIND_VA + HUGE_SZ - PAGE_SZ - 8, self->v.data_va,
			     16, &hw));
	ASSERT_EQ(-1, check_fill(self->v.data_map, 16, 0x0dd5a1e5));
	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, HUGE_SZ));
}

/* Bytes of AnonHugePages (THP) in the mapping that starts at @p. */
static long thp_bytes(const void *p)
{
	char line[256];
	unsigned long start, end;
	bool in = false;
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start == (uintptr_t)p;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/*
 * System memory gets 2 MiB leaves too where it is contiguous: a userptr
 * BO over transparent huge pages, placed 2 MiB aligned, is mapped with
 * them, and the device reads and writes the user memory through them.
 */
TEST_F(bind, huge_pages_userptr_thp)
{
	uint32_t ctx = PARAM(self->v.fd, DRM_VNPU_PARAM_CONTEXT_ID);
	uint64_t sizes = PARAM(self->v.fd, DRM_VNPU_PARAM_PAGE_SIZES);
	const uint64_t size = 2 * HUGE_SZ;
	struct pt_run run;
	uint8_t *raw, *mem;
	uint32_t h, hw;
	uint64_t va;
	long thp;

	if (!(sizes & HUGE_SZ))
		SKIP(return, "the MMU has no 2 MiB pages");
	(void)PT_LOOKUP_OR_SKIP(ctx, 0, &run);
	raw = mmap(NULL, size + HUGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	mem = (uint8_t *)(((uintptr_t)raw + HUGE_SZ - 1) & ~(HUGE_SZ - 1));
	if (mem != raw)
		munmap(raw, mem - raw);
	munmap(mem + size, raw + HUGE_SZ - mem);
	if (madvise(mem, size, MADV_HUGEPAGE))
		SKIP(munmap(mem, size); return, "no transparent huge pages");
	memset(mem, 0x3c, size);
	thp = thp_bytes(mem);
	if (thp < (long)HUGE_SZ)
		SKIP(munmap(mem, size); return, "no huge page was allocated (%ld)",
		     thp);

	ASSERT_EQ(0, vnpu_bo_userptr(self->v.fd, mem, size, 0, &h, &va));
	ASSERT_EQ(0, va % HUGE_SZ);
	/* each aligned 2 MiB that is one huge page is one 2 MiB leaf */
	ASSERT_EQ(thp / HUGE_SZ, pt_lookup(ctx, va, &run));
	if (thp == (long)size) {
		ASSERT_STREQ("2M", run.size);
		ASSERT_STREQ("sys", run.kind);
		ASSERT_STREQ("rw-", run.perm);
		pt_lookup(ctx, va + HUGE_SZ, &run);
		ASSERT_STREQ("2M", run.size);
	}
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, va + HUGE_SZ - 64, 128,
			     0x7b1c7b1c, &hw));
	ASSERT_EQ(VNPU_JOB_OK, hw);
	ASSERT_EQ(-1, check_fill(mem + HUGE_SZ - 64, 128, 0x7b1c7b1c));
	ASSERT_EQ(-1, check_bytes(mem + HUGE_SZ + 64, 64, 0x3c));
	ASSERT_EQ(0, vm_copy(_metadata, &self->v, va + size - PAGE_SZ,
			     self->v.data_va, PAGE_SZ, &hw));
	ASSERT_EQ(-1, check_bytes(self->v.data_map, PAGE_SZ, 0x3c));
	ASSERT_EQ(0, vnpu_gem_close(self->v.fd, h));
	munmap(mem, size);
}

#define HUGE_PARAM "/sys/module/vnpu/parameters/huge_pages"

/* thp_file_alloc of /proc/vmstat (huge pages allocated for files), or -1 */
static long thp_file_allocs(void)
{
	char line[128];
	long n = -1;
	FILE *f;

	f = fopen("/proc/vmstat", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "thp_file_alloc %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* Free blocks of 2 MiB or more in the guest kernel (/proc/buddyinfo) */
static long free_huge_blocks(void)
{
	unsigned long c[11];
	char line[256];
	long n = 0;
	FILE *f;
	int i;

	f = fopen("/proc/buddyinfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *z = strstr(line, "zone");

		if (!z || sscanf(z, "zone %*s %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu",
				 &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6],
				 &c[7], &c[8], &c[9], &c[10]) != 11)
			continue;
		for (i = 9; i < 11; i++)
			n += c[i] << (i - 9);
	}
	fclose(f);
	return n;
}

/*
 * A 4 MiB shmem BO (huge_pages=1) gets transparent huge pages, and each one
 * is one 2 MiB leaf of its automatic mapping; the device fills across the
 * 2 MiB boundary and the CPU sees it. With huge_pages=0 a new BO gets
 * neither huge pages nor 2 MiB leaves.
 */
TEST_F(bind, huge_pages_shmem_bo)
{
	uint32_t ctx = PARAM(self->v.fd, DRM_VNPU_PARAM_CONTEXT_ID);
	uint64_t sizes = PARAM(self->v.fd, DRM_VNPU_PARAM_PAGE_SIZES);
	const uint64_t size = 2 * HUGE_SZ;
	long a0, a1, n0, n1, free;
	struct pt_run run;
	uint32_t h, h2, hw;
	uint64_t va, va2;
	uint8_t *p;

	if (!(sizes & HUGE_SZ))
		SKIP(return, "the MMU has no 2 MiB pages");
	n0 = PT_LOOKUP_OR_SKIP(ctx, 0, &run);
	if (access(HUGE_PARAM, W_OK) || thp_file_allocs() < 0)
		SKIP(return, "no huge_pages parameter or no THP counters");

	ASSERT_EQ(0, sysfs_write(HUGE_PARAM, "0"));
	a0 = thp_file_allocs();
	ASSERT_EQ(0, vnpu_bo_create(self->v.fd, size, 0, &h2, &va2));
	ASSERT_EQ(a0, thp_file_allocs());
	ASSERT_EQ(n0, pt_lookup(ctx, va2, &run));
	ASSERT_STREQ("4K", run.size);

	ASSERT_EQ(0, sysfs_write(HUGE_PARAM, "1"));
	free = free_huge_blocks();
	a0 = thp_file_allocs();
	ASSERT_EQ(0, vnpu_bo_create(self->v.fd, size, 0, &h, &va));
	a1 = thp_file_allocs();
	/* with plenty of free 2 MiB blocks, expect at least one huge page */
	if (a1 == a0 && free < 64)
		SKIP(return, "the guest kernel had no free huge page");
	ASSERT_LT(a0, a1) TH_LOG("%ld free 2 MiB blocks, no huge page", free);
	ASSERT_EQ(0, va % HUGE_SZ);
	n1 = pt_lookup(ctx, va, &run);
	ASSERT_EQ(n0 + (a1 - a0), n1);
	if (a1 - a0 == 2) {
		ASSERT_STREQ("2M", run.size);
		ASSERT_STREQ("sys", run.kind);
	}
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, va + HUGE_SZ - 64, 128,
			     0x600d2bad, &hw));
	ASSERT_EQ(VNPU_JOB_OK, hw);
	ASSERT_EQ(0, vm_copy(_metadata, &self->v, va, va2, size, &hw));
	ASSERT_EQ(VNPU_JOB_OK, hw);
	p = vnpu_bo_mmap(self->v.fd, h2, size);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(-1, check_bytes(p, HUGE_SZ - 64, 0));
	ASSERT_EQ(-1, check_fill(p + HUGE_SZ - 64, 128, 0x600d2bad));
	ASSERT_EQ(-1, check_bytes(p + HUGE_SZ + 64, HUGE_SZ - 64, 0));
	munmap(p, size);
	ASSERT_EQ(0, vnpu_gem_close(self->v.fd, h));
	ASSERT_EQ(0, vnpu_gem_close(self->v.fd, h2));
	ASSERT_EQ(n0, pt_lookup(ctx, 0, &run));
}

/* Automatic placements of 2 MiB or more are 2 MiB aligned. */
TEST_F(bind, automatic_placement_2m_aligned)
{
	static const uint64_t sizes[] = {
		PAGE_SZ, HUGE_SZ + PAGE_SZ, 3 * PAGE_SZ, HUGE_SZ, 5 * PAGE_SZ,
		3 * HUGE_SZ,
	};
	uint64_t page_sizes = PARAM(self->v.fd, DRM_VNPU_PARAM_PAGE_SIZES);
	uint64_t va;
	unsigned int i;

	if (!(page_sizes & HUGE_SZ))
		SKIP(return, "the MMU has no 2 MiB pages");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_EQ(0, vnpu_bo_create(self->v.fd, sizes[i], 0, NULL,
					    &va));
		ASSERT_EQ(0, va % (sizes[i] >= HUGE_SZ ? HUGE_SZ : PAGE_SZ))
			TH_LOG("%llu bytes at %#llx",
			       (unsigned long long)sizes[i],
			       (unsigned long long)va);
	}
}

/* Unbinding part of a mapping, 2 MiB leaves or not, is refused. */
TEST_F(devmem, huge_partial_unbind_refused)
{
	const uint64_t size = 2 * HUGE_SZ;
	uint32_t h, hw;

	if (!self->size)
		SKIP(return, "the device has no device memory");
	ASSERT_EQ(0, vnpu_bo_create(self->v.fd, size, DRM_VNPU_BO_DEVMEM, &h,
				    NULL));
	ASSERT_EQ(0, vnpu_vm_bind(self->v.fd, h, 0, BIND_VA, 0, size));
	ASSERT_EQ(-EINVAL, vnpu_vm_unbind(self->v.fd, BIND_VA, HUGE_SZ));
	ASSERT_EQ(-ENOENT, vnpu_vm_unbind(self->v.fd, BIND_VA + HUGE_SZ,
					  HUGE_SZ));
	ASSERT_EQ(0, vm_fill(_metadata, &self->v, BIND_VA + HUGE_SZ, 8,
			     0x11111111, &hw));
	ASSERT_EQ(VNPU_JOB_OK, hw);
	ASSERT_EQ(0, vnpu_vm_unbind(self->v.fd, BIND_VA, size));
}

TEST_F(devmem, wc_rejected)
{
	ASSERT_EQ(-EINVAL, vnpu_bo_create(self->v.fd, PAGE_SZ,
					  DRM_VNPU_BO_DEVMEM | DRM_VNPU_BO_WC,
					  NULL, NULL));
}

TEST_F(devmem, full)
{
	if (!self->size)
		SKIP(return, "the device has no device memory");
	if (self->size + PAGE_SZ > PARAM(self->v.fd, DRM_VNPU_PARAM_MAX_BO_SIZE))
		SKIP(return, "device memory larger than a BO");
	ASSERT_EQ(-ENOSPC, vnpu_bo_create(self->v.fd, self->size + PAGE_SZ,
					  DRM_VNPU_BO_DEVMEM, NULL, NULL));
}

TEST_F(devmem, cannot_export)
{
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC };

	if (!self->size)
		SKIP(return, "the device has no device memory");
	ASSERT_EQ(0, vnpu_bo_create(self->v.fd, PAGE_SZ, DRM_VNPU_BO_DEVMEM,
				    &p.handle, NULL));
	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->v.fd, DRM_IOCTL_PRIME_HANDLE_TO_FD,
				      &p));
}

TEST_HARNESS_MAIN
