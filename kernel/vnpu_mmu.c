// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * Device MMU: the context table and per-context 4-level page tables.
 */

#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_managed.h>

#include "vnpu_drv.h"
#include "vnpu_gem.h"
#include "vnpu_hw.h"
#include "vnpu_mmu.h"
#include "vnpu_pm.h"

#define VNPU_PT_BYTES		(VNPU_PT_ENTRIES * sizeof(u64))
/* Table entries carry the permissions too; the device checks the leaf. */
#define VNPU_PTE_TABLE		(VNPU_PTE_VALID | VNPU_PTE_READ | VNPU_PTE_WRITE)

static struct vnpu_pt *vnpu_pt_alloc(struct vnpu_device *vdev, bool leaf)
{
	struct vnpu_pt *pt;

	pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	if (!pt)
		return NULL;

	pt->cpu = dma_alloc_coherent(vdev->drm.dev, VNPU_PT_BYTES, &pt->dma,
				     GFP_KERNEL);
	if (!pt->cpu)
		goto err_free_pt;

	if (!leaf) {
		pt->child = kcalloc(VNPU_PT_ENTRIES, sizeof(*pt->child),
				    GFP_KERNEL);
		if (!pt->child)
			goto err_free_table;
	}
	return pt;

err_free_table:
	dma_free_coherent(vdev->drm.dev, VNPU_PT_BYTES, pt->cpu, pt->dma);
err_free_pt:
	kfree(pt);
	return NULL;
}

static void vnpu_pt_free(struct vnpu_device *vdev, struct vnpu_pt *pt)
{
	unsigned int i;

	if (!pt)
		return;

	if (pt->child) {
		for (i = 0; i < VNPU_PT_ENTRIES; i++)
			vnpu_pt_free(vdev, pt->child[i]);
		kfree(pt->child);
	}
	dma_free_coherent(vdev->drm.dev, VNPU_PT_BYTES, pt->cpu, pt->dma);
	kfree(pt);
}

static void vnpu_pte_write(u64 *pte, u64 val)
{
	WRITE_ONCE(*pte, cpu_to_le64(val));
}

/*
 * Return the leaf entry for @va, allocating the intermediate tables when
 * @alloc is set. Returns NULL when a table is missing and @alloc is clear.
 */
static u64 *vnpu_pt_leaf(struct vnpu_mmu_ctx *ctx, u64 va, bool alloc)
{
	struct vnpu_pt *pt = ctx->pgd;
	struct vnpu_pt *next;
	unsigned int level, idx;

	lockdep_assert_held(&ctx->lock);

	for (level = 0; level < VNPU_PT_LEVELS - 1; level++) {
		idx = VNPU_PT_INDEX(va, level);
		next = pt->child[idx];
		if (!next) {
			if (!alloc)
				return NULL;
			next = vnpu_pt_alloc(ctx->vdev,
					     level + 1 == VNPU_PT_LEVELS - 1);
			if (!next)
				return ERR_PTR(-ENOMEM);
			pt->child[idx] = next;
			vnpu_pte_write(&pt->cpu[idx],
				       (next->dma & VNPU_PTE_ADDR_MASK) |
				       VNPU_PTE_TABLE);
		}
		pt = next;
	}
	return &pt->cpu[VNPU_PT_INDEX(va, VNPU_PT_LEVELS - 1)];
}

static void vnpu_mmu_tlb_inv(struct vnpu_device *vdev, u32 ctx_id)
{
	int idx;

	if (!drm_dev_enter(&vdev->drm, &idx))
		return;
	/*
	 * A suspended device has no translation cached and is reset and
	 * fully invalidated when it resumes, after the page-table writes
	 * made before this point.
	 */
	smp_mb();
	if (vnpu_pm_get_if_active(vdev)) {
		/* writel() orders the page table updates before it */
		vnpu_wr(vdev, VNPU_REG_TLB_INV,
			FIELD_PREP(VNPU_TLB_INV_CTX_MASK, ctx_id));
		vnpu_pm_put(vdev);
	}
	drm_dev_exit(idx);
}

static void vnpu_mmu_clear_range(struct vnpu_mmu_ctx *ctx, u64 start, u64 end)
{
	u64 va;
	u64 *pte;

	for (va = start; va < end; va += VNPU_PAGE_SIZE) {
		pte = vnpu_pt_leaf(ctx, va, false);
		if (pte)
			vnpu_pte_write(pte, 0);
	}
}

/* Map [va, va + size) to the DMA pages of @sgt, from byte @offset on. */
static int vnpu_mmu_write_sgt(struct vnpu_mmu_ctx *ctx, u64 va,
			      struct sg_table *sgt, u64 offset, u64 size,
			      u64 prot, u64 *done)
{
	u64 end = va + size;
	struct scatterlist *sg;
	unsigned int i;
	u64 *pte;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		u64 len = sg_dma_len(sg);
		u64 off;

		if (offset >= len) {
			offset -= len;
			continue;
		}
		for (off = offset; off < len && va < end;
		     off += VNPU_PAGE_SIZE) {
			pte = vnpu_pt_leaf(ctx, va, true);
			if (IS_ERR(pte))
				return PTR_ERR(pte);
			vnpu_pte_write(pte, ((addr + off) & VNPU_PTE_ADDR_MASK) |
				       prot);
			va += VNPU_PAGE_SIZE;
			*done = va;
		}
		offset = 0;
	}
	return va == end ? 0 : -EINVAL;
}

/* Map [va, va + size) to device memory at BAR2 offset @addr. */
static int vnpu_mmu_write_devmem(struct vnpu_mmu_ctx *ctx, u64 va, u64 addr,
				 u64 size, u64 prot, u64 *done)
{
	u64 end = va + size;
	u64 *pte;

	for (; va < end; va += VNPU_PAGE_SIZE, addr += VNPU_PAGE_SIZE) {
		pte = vnpu_pt_leaf(ctx, va, true);
		if (IS_ERR(pte))
			return PTR_ERR(pte);
		vnpu_pte_write(pte, (addr & VNPU_PTE_ADDR_MASK) | prot |
			       VNPU_PTE_DEVMEM);
		*done = va + VNPU_PAGE_SIZE;
	}
	return 0;
}

/**
 * vnpu_mmu_map - map a range of a BO into @ctx
 * @ctx: address space
 * @node: receives the VA range (must not be allocated yet); its colour
 *        (VNPU_MAP_*) must be set
 * @va: the VA to map at, or 0 to let the driver choose one
 * @bo: the BO, with its backing pinned
 * @offset: page-aligned offset in @bo
 * @size: bytes, page aligned, within @bo
 * @prot: VNPU_MAP_PROT_*
 *
 * Returns 0, -ENOSPC when no VA range is free (or @va overlaps a mapping)
 * or -ENOMEM.
 */
int vnpu_mmu_map(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node,
		 u64 va, struct vnpu_bo *bo, u64 offset, u64 size, u64 prot)
{
	u64 done;
	int ret;

	mutex_lock(&ctx->lock);
	if (va) {
		node->start = va;
		node->size = size;
		ret = drm_mm_reserve_node(&ctx->mm, node);
	} else {
		ret = drm_mm_insert_node_generic(&ctx->mm, node, size,
						 VNPU_PAGE_SIZE, node->color,
						 DRM_MM_INSERT_BEST);
	}
	if (ret)
		goto out_unlock;

	done = node->start;
	if (bo->flags & DRM_VNPU_BO_DEVMEM)
		ret = vnpu_mmu_write_devmem(ctx, node->start,
					    bo->devmem.start + offset, size,
					    prot, &done);
	else
		ret = vnpu_mmu_write_sgt(ctx, node->start, vnpu_bo_sgt(bo),
					 offset, size, prot, &done);
	if (ret) {
		WARN_ON(ret == -EINVAL);
		vnpu_mmu_clear_range(ctx, node->start, done);
		vnpu_mmu_tlb_inv(ctx->vdev, ctx->id);
		drm_mm_remove_node(node);
	}
out_unlock:
	mutex_unlock(&ctx->lock);
	return ret;
}

/**
 * __vnpu_mmu_unmap - vnpu_mmu_unmap() with the context's lock held
 * @ctx: address space
 * @node: the VA range; nothing happens if it is not allocated
 */
void __vnpu_mmu_unmap(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node)
{
	lockdep_assert_held(&ctx->lock);

	if (drm_mm_node_allocated(node)) {
		vnpu_mmu_clear_range(ctx, node->start,
				     node->start + node->size);
		vnpu_mmu_tlb_inv(ctx->vdev, ctx->id);
		drm_mm_remove_node(node);
	}
}

/**
 * vnpu_mmu_unmap - remove the mapping made by vnpu_mmu_map()
 * @ctx: address space
 * @node: the VA range; nothing happens if it is not allocated
 *
 * The device's TLB is invalidated before the VA range can be reused.
 */
void vnpu_mmu_unmap(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node)
{
	mutex_lock(&ctx->lock);
	__vnpu_mmu_unmap(ctx, node);
	mutex_unlock(&ctx->lock);
}

static void vnpu_mmu_set_entry(struct vnpu_device *vdev, u32 id, u64 pgd,
			       u32 flags)
{
	struct vnpu_ctx_entry *entry = &vdev->mmu.table[id];

	mutex_lock(&vdev->mmu.lock);
	WRITE_ONCE(entry->flags, 0);
	/* the device must never see the entry valid with a stale pgd */
	wmb();
	WRITE_ONCE(entry->pgd, cpu_to_le64(pgd));
	WRITE_ONCE(entry->rsvd, 0);
	/* and the pgd must be visible before the entry turns valid */
	wmb();
	WRITE_ONCE(entry->flags, cpu_to_le32(flags));
	mutex_unlock(&vdev->mmu.lock);
}

/**
 * vnpu_mmu_ctx_create - allocate a context id and an empty address space
 * @vdev: device
 *
 * Returns the context or an ERR_PTR: -ENOSPC when every id is in use.
 */
struct vnpu_mmu_ctx *vnpu_mmu_ctx_create(struct vnpu_device *vdev)
{
	struct vnpu_mmu_ctx *ctx;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return ERR_PTR(-ENOMEM);

	kref_init(&ctx->ref);
	mutex_init(&ctx->lock);
	ctx->vdev = vdev;

	ctx->pgd = vnpu_pt_alloc(vdev, false);
	if (!ctx->pgd) {
		ret = -ENOMEM;
		goto err_free_ctx;
	}

	ret = ida_alloc_range(&vdev->mmu.ctx_ida, 1, vdev->num_contexts - 1,
			      GFP_KERNEL);
	if (ret < 0)
		goto err_free_pgd;
	ctx->id = ret;

	drm_mm_init(&ctx->mm, VNPU_VA_START, vdev->va_end - VNPU_VA_START);

	vnpu_mmu_set_entry(vdev, ctx->id, ctx->pgd->dma, VNPU_CTX_VALID);
	/* drop whatever a previous user of this id left in the TLB */
	vnpu_mmu_tlb_inv(vdev, ctx->id);

	vnpu_dbg(vdev, "context %u created\n", ctx->id);
	return ctx;

err_free_pgd:
	vnpu_pt_free(vdev, ctx->pgd);
err_free_ctx:
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return ERR_PTR(ret);
}

static void vnpu_mmu_ctx_release(struct kref *ref)
{
	struct vnpu_mmu_ctx *ctx = container_of(ref, struct vnpu_mmu_ctx, ref);
	struct vnpu_device *vdev = ctx->vdev;

	vnpu_mmu_set_entry(vdev, ctx->id, 0, 0);
	vnpu_mmu_tlb_inv(vdev, ctx->id);
	ida_free(&vdev->mmu.ctx_ida, ctx->id);

	drm_mm_takedown(&ctx->mm);
	vnpu_pt_free(vdev, ctx->pgd);
	mutex_destroy(&ctx->lock);
	vnpu_dbg(vdev, "context %u destroyed\n", ctx->id);
	kfree(ctx);
}

void vnpu_mmu_ctx_put(struct vnpu_mmu_ctx *ctx)
{
	kref_put(&ctx->ref, vnpu_mmu_ctx_release);
}

static void vnpu_mmu_fini(struct drm_device *drm, void *unused)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);

	/* every BO and job holds its context: a leak of either shows here */
	drm_WARN_ON(drm, !ida_is_empty(&vdev->mmu.ctx_ida));
	ida_destroy(&vdev->mmu.ctx_ida);
	dma_free_coherent(drm->dev,
			  vdev->num_contexts * sizeof(struct vnpu_ctx_entry),
			  vdev->mmu.table, vdev->mmu.table_dma);
}

/**
 * vnpu_mmu_init - allocate the context table (freed with the drm_device)
 * @vdev: device, with num_contexts known
 */
int vnpu_mmu_init(struct vnpu_device *vdev)
{
	struct vnpu_mmu *mmu = &vdev->mmu;
	int ret;

	ret = drmm_mutex_init(&vdev->drm, &mmu->lock);
	if (ret)
		return ret;

	ida_init(&mmu->ctx_ida);
	/* coherent allocations are page aligned: the 4 KiB rule holds */
	mmu->table = dma_alloc_coherent(vdev->drm.dev,
					vdev->num_contexts * sizeof(*mmu->table),
					&mmu->table_dma, GFP_KERNEL);
	if (!mmu->table) {
		ida_destroy(&mmu->ctx_ida);
		return -ENOMEM;
	}

	return drmm_add_action_or_reset(&vdev->drm, vnpu_mmu_fini, NULL);
}

/**
 * vnpu_mmu_hw_init - point the device at the context table
 * @vdev: device, out of reset
 */
void vnpu_mmu_hw_init(struct vnpu_device *vdev)
{
	vnpu_wr(vdev, VNPU_REG_CTXT_BASE_LO, lower_32_bits(vdev->mmu.table_dma));
	vnpu_wr(vdev, VNPU_REG_CTXT_BASE_HI, upper_32_bits(vdev->mmu.table_dma));
	vnpu_wr(vdev, VNPU_REG_CTXT_SIZE, vdev->num_contexts);
	vnpu_wr(vdev, VNPU_REG_TLB_INV, VNPU_TLB_INV_ALL);
}
