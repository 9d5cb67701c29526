/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef __VNPU_MMU_H__
#define __VNPU_MMU_H__

#include <linux/bits.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include <drm/drm_mm.h>

struct sg_table;
struct shrinker;
struct vnpu_bo;
struct vnpu_device;
struct vnpu_ctx_entry;

/* drm_mm colours of the nodes of a context's address space */
#define VNPU_MAP_AUTO		0	/* BO_CREATE / BO_USERPTR placement */
#define VNPU_MAP_BIND		1	/* VM_BIND, a struct vnpu_vma */

#define VNPU_HUGE_SIZE		BIT_ULL(VNPU_HUGE_SHIFT)
/* The level whose entries may be 2 MiB leaves (VNPU_PTE_HUGE). */
#define VNPU_HUGE_LEVEL		(VNPU_PT_LEVELS - 2)

/* Page-table permissions of a mapping. */
#define VNPU_MAP_PROT_RO	(VNPU_PTE_VALID | VNPU_PTE_READ)
#define VNPU_MAP_PROT_RW	(VNPU_MAP_PROT_RO | VNPU_PTE_WRITE)

/**
 * struct vnpu_pt - one 4 KiB page table of a context
 * @cpu: CPU view of the 512 entries
 * @dma: bus address the device walks
 * @child: next-level tables (NULL for the last level)
 */
struct vnpu_pt {
	u64 *cpu;
	dma_addr_t dma;
	struct vnpu_pt **child;
};

/*
 * struct vnpu_mmu - device-wide MMU state: the context table
 */
struct vnpu_mmu {
	struct vnpu_ctx_entry *table;
	dma_addr_t table_dma;
	/* context ids in use; id 0 is never handed out */
	struct ida ctx_ida;
	/* protects the entries of table and the list of contexts */
	struct mutex lock;
	struct list_head contexts;
};

/*
 * struct vnpu_swap - eviction of idle shmem BOs under memory pressure
 * (vnpu_gem.c)
 */
struct vnpu_swap {
	struct shrinker *shrinker;
	/* protects lru */
	struct mutex lock;
	/* the swappable BOs, least recently made resident first */
	struct list_head lru;
	/* pages of the BOs on lru that are resident */
	atomic_long_t resident_pages;
	/* BOs evicted and made resident again, and their pages */
	atomic64_t evictions;
	atomic64_t evicted_pages;
	atomic64_t restores;
	atomic64_t restored_pages;
};

/*
 * struct vnpu_mmu_ctx - one device address space (one per open file)
 *
 * Refcounted: the file holds one reference, every BO mapped in it holds
 * one and every job running in it holds one, so the context outlives
 * its buffer objects.
 */
struct vnpu_mmu_ctx {
	struct kref ref;
	struct vnpu_device *vdev;
	u32 id;
	/* protects mm and the page tables below pgd */
	struct mutex lock;
	struct drm_mm mm;
	struct vnpu_pt *pgd;
	/* 2 MiB leaves in the page tables (debugfs) */
	u32 huge_leaves;
	/* in vnpu_mmu.contexts, under vnpu_mmu.lock */
	struct list_head link;

	/* jobs of this context that hung and were found guilty */
	atomic_t hangs;
	/* jobs of this context that ended on an MMU fault */
	atomic_t faults;
	/* set after too many hangs: SUBMIT fails with -ECANCELED */
	bool banned;
};

int vnpu_mmu_init(struct vnpu_device *vdev);
void vnpu_mmu_hw_init(struct vnpu_device *vdev);
void vnpu_mmu_unplug(struct vnpu_device *vdev);

struct vnpu_mmu_ctx *vnpu_mmu_ctx_create(struct vnpu_device *vdev);
void vnpu_mmu_ctx_put(struct vnpu_mmu_ctx *ctx);

static inline struct vnpu_mmu_ctx *vnpu_mmu_ctx_get(struct vnpu_mmu_ctx *ctx)
{
	kref_get(&ctx->ref);
	return ctx;
}

u64 vnpu_mmu_align(struct vnpu_device *vdev, u64 size);
int vnpu_mmu_map(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node,
		 u64 va, struct vnpu_bo *bo, u64 offset, u64 size, u64 prot);
void vnpu_mmu_unmap(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node);
int vnpu_mmu_remap(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node,
		   struct vnpu_bo *bo, u64 offset, u64 prot);
bool vnpu_mmu_evict(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node);
void __vnpu_mmu_unmap(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node);

#endif /* __VNPU_MMU_H__ */
