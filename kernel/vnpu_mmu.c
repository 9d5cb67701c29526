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
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <drm/drm_debugfs.h>
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

static u64 vnpu_pte_read(const u64 *pte)
{
	return le64_to_cpu(READ_ONCE(*pte));
}

/*
 * Return the entry of level *@level for @va: VNPU_PT_LEVELS - 1 for a 4 KiB
 * leaf, VNPU_HUGE_LEVEL for a 2 MiB one.
 *
 * With @alloc set, the intermediate tables are allocated (or linked again,
 * see below). A huge leaf in the way means that two mappings overlap,
 * which the drm_mm never allows: -EEXIST.
 *
 * With @alloc clear, NULL is returned when a table is missing, and the
 * level-2 entry (with *@level set to VNPU_HUGE_LEVEL) when it is a huge
 * leaf.
 *
 * A table that a huge leaf replaces stays in @child, unlinked, and is
 * linked again when a 4 KiB mapping needs it. It holds no valid entry: the
 * range of a huge leaf is wholly inside one mapping, so every 4 KiB leaf
 * under it belonged to mappings that were removed, and removal clears the
 * leaves. Not freeing it means the device can never walk a freed table.
 */
static u64 *vnpu_pt_walk(struct vnpu_mmu_ctx *ctx, u64 va,
			 unsigned int *level, bool alloc)
{
	struct vnpu_pt *pt = ctx->pgd;
	struct vnpu_pt *next;
	unsigned int l, idx;
	u64 entry;

	lockdep_assert_held(&ctx->lock);
	/* the page tables went with the device (vnpu_mmu_unplug()) */
	if (!pt)
		return alloc ? ERR_PTR(-ENODEV) : NULL;

	for (l = 0; l < *level; l++) {
		idx = VNPU_PT_INDEX(va, l);
		entry = vnpu_pte_read(&pt->cpu[idx]);
		if (entry & VNPU_PTE_HUGE) {
			if (alloc)
				return ERR_PTR(-EEXIST);
			*level = l;
			return &pt->cpu[idx];
		}
		next = pt->child[idx];
		if (!(entry & VNPU_PTE_VALID)) {
			if (!alloc)
				return NULL;
			if (!next) {
				next = vnpu_pt_alloc(ctx->vdev,
						     l + 1 == VNPU_PT_LEVELS - 1);
				if (!next)
					return ERR_PTR(-ENOMEM);
				pt->child[idx] = next;
			}
			vnpu_pte_write(&pt->cpu[idx],
				       (next->dma & VNPU_PTE_ADDR_MASK) |
				       VNPU_PTE_TABLE);
		}
		pt = next;
	}
	return &pt->cpu[VNPU_PT_INDEX(va, *level)];
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

/*
 * Clear the leaves of [start, end). A huge leaf found there lies wholly
 * inside the range: mappings are removed whole (VM_UNBIND refuses a
 * partial unbind), and a huge leaf is only written for a 2 MiB range
 * wholly inside its mapping.
 */
static void vnpu_mmu_clear_range(struct vnpu_mmu_ctx *ctx, u64 start, u64 end)
{
	unsigned int level;
	u64 va = start;
	u64 step;
	u64 *pte;

	while (va < end) {
		level = VNPU_PT_LEVELS - 1;
		pte = vnpu_pt_walk(ctx, va, &level, false);
		step = level == VNPU_HUGE_LEVEL ? VNPU_HUGE_SIZE :
						  VNPU_PAGE_SIZE;
		if (pte) {
			WARN_ON_ONCE(!IS_ALIGNED(va, step) || end - va < step);
			vnpu_pte_write(pte, 0);
			if (level == VNPU_HUGE_LEVEL)
				ctx->huge_leaves--;
		}
		va += step;
	}
}

/* Can [va, va + len) be mapped to @addr with one 2 MiB leaf? */
static bool vnpu_mmu_huge_ok(struct vnpu_mmu_ctx *ctx, u64 va, u64 addr,
			     u64 len)
{
	return ctx->vdev->cap_mmu & VNPU_CAP_MMU_PAGE_2M &&
	       IS_ALIGNED(va | addr, VNPU_HUGE_SIZE) && len >= VNPU_HUGE_SIZE;
}

/* Write one leaf mapping @va to @addr: 2 MiB if @huge, else 4 KiB. */
static int vnpu_mmu_set_leaf(struct vnpu_mmu_ctx *ctx, u64 va, u64 addr,
			     u64 flags, bool huge)
{
	unsigned int level = huge ? VNPU_HUGE_LEVEL : VNPU_PT_LEVELS - 1;
	u64 *pte;

	pte = vnpu_pt_walk(ctx, va, &level, true);
	if (IS_ERR(pte))
		return PTR_ERR(pte);
	if (huge) {
		flags |= VNPU_PTE_HUGE;
		ctx->huge_leaves++;
	}
	vnpu_pte_write(pte, (addr & VNPU_PTE_ADDR_MASK) | flags);
	return 0;
}

/*
 * Map [va, va + size) to the DMA pages of @sgt, from byte @offset on.
 * Where a 2 MiB-aligned VA meets a 2 MiB-aligned, 2 MiB-long stretch of
 * one DMA segment (a large folio, or pages that happen to be contiguous),
 * one huge leaf maps it.
 */
static int vnpu_mmu_write_sgt(struct vnpu_mmu_ctx *ctx, u64 va,
			      struct sg_table *sgt, u64 offset, u64 size,
			      u64 prot, u64 *done)
{
	u64 end = va + size;
	struct scatterlist *sg;
	unsigned int i;
	bool huge;
	int ret;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		u64 len = sg_dma_len(sg);
		u64 off, step;

		if (offset >= len) {
			offset -= len;
			continue;
		}
		for (off = offset; off < len && va < end; off += step) {
			huge = vnpu_mmu_huge_ok(ctx, va, addr + off,
						min(len - off, end - va));
			step = huge ? VNPU_HUGE_SIZE : VNPU_PAGE_SIZE;
			ret = vnpu_mmu_set_leaf(ctx, va, addr + off, prot, huge);
			if (ret)
				return ret;
			va += step;
			*done = va;
		}
		offset = 0;
	}
	return va == end ? 0 : -EINVAL;
}

/*
 * Map [va, va + size) to device memory at BAR2 offset @addr, with 2 MiB
 * leaves wherever both are 2 MiB aligned.
 */
static int vnpu_mmu_write_devmem(struct vnpu_mmu_ctx *ctx, u64 va, u64 addr,
				 u64 size, u64 prot, u64 *done)
{
	u64 end = va + size;
	u64 step;
	bool huge;
	int ret;

	for (; va < end; va += step, addr += step) {
		huge = vnpu_mmu_huge_ok(ctx, va, addr, end - va);
		step = huge ? VNPU_HUGE_SIZE : VNPU_PAGE_SIZE;
		ret = vnpu_mmu_set_leaf(ctx, va, addr, prot | VNPU_PTE_DEVMEM,
					huge);
		if (ret)
			return ret;
		*done = va + step;
	}
	return 0;
}

/**
 * vnpu_mmu_align - alignment of an automatic placement
 * @vdev: device
 * @size: bytes to place
 *
 * Returns 2 MiB for 2 MiB or more when the MMU has 2 MiB pages, so that
 * such mappings can use them, else 4 KiB.
 */
u64 vnpu_mmu_align(struct vnpu_device *vdev, u64 size)
{
	if (size >= VNPU_HUGE_SIZE && (vdev->cap_mmu & VNPU_CAP_MMU_PAGE_2M))
		return VNPU_HUGE_SIZE;
	return VNPU_PAGE_SIZE;
}

/* Write the PTEs of the allocated @node; on failure none stays. */
static int vnpu_mmu_write(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node,
			  struct vnpu_bo *bo, u64 offset, u64 prot)
{
	struct sg_table *sgt;
	u64 done = node->start;
	int ret;

	lockdep_assert_held(&ctx->lock);
	/* unplugged: no page tables, and the BOs' DMA mappings are gone */
	if (!ctx->pgd)
		return -ENODEV;

	if (bo->flags & DRM_VNPU_BO_DEVMEM) {
		ret = vnpu_mmu_write_devmem(ctx, node->start,
					    bo->devmem.start + offset,
					    node->size, prot, &done);
	} else {
		sgt = vnpu_bo_sgt(bo);
		/* an evicted BO is made resident before it is mapped */
		if (WARN_ON(!sgt))
			return -EINVAL;
		ret = vnpu_mmu_write_sgt(ctx, node->start, sgt, offset,
					 node->size, prot, &done);
	}
	if (ret) {
		WARN_ON(ret == -EINVAL);
		vnpu_mmu_clear_range(ctx, node->start, done);
		vnpu_mmu_tlb_inv(ctx->vdev, ctx->id);
	}
	return ret;
}

/**
 * vnpu_mmu_map - map a range of a BO into @ctx
 * @ctx: address space
 * @node: receives the VA range (must not be allocated yet); its colour
 *        (VNPU_MAP_*) must be set
 * @va: the VA to map at, or 0 to let the driver choose one (2 MiB aligned
 *      for a mapping of 2 MiB or more, see vnpu_mmu_align())
 * @bo: the BO, with its backing resident (a shmem BO: not evicted)
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
	int ret;

	mutex_lock(&ctx->lock);
	if (va) {
		node->start = va;
		node->size = size;
		ret = drm_mm_reserve_node(&ctx->mm, node);
	} else {
		ret = drm_mm_insert_node_generic(&ctx->mm, node, size,
						 vnpu_mmu_align(ctx->vdev, size),
						 node->color,
						 DRM_MM_INSERT_BEST);
	}
	if (ret)
		goto out_unlock;

	ret = vnpu_mmu_write(ctx, node, bo, offset, prot);
	if (ret)
		drm_mm_remove_node(node);
out_unlock:
	mutex_unlock(&ctx->lock);
	return ret;
}

/**
 * vnpu_mmu_remap - write again the PTEs of a mapping whose pages were
 *                  evicted (see vnpu_mmu_evict())
 * @ctx: address space
 * @node: the VA range made by vnpu_mmu_map(), still allocated
 * @bo: the BO, resident again
 * @offset: the mapping's offset in @bo
 * @prot: the mapping's VNPU_MAP_PROT_*
 *
 * Returns 0 or -ENOMEM; on failure the range stays unmapped.
 */
int vnpu_mmu_remap(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node,
		   struct vnpu_bo *bo, u64 offset, u64 prot)
{
	int ret;

	mutex_lock(&ctx->lock);
	ret = vnpu_mmu_write(ctx, node, bo, offset, prot);
	mutex_unlock(&ctx->lock);
	return ret;
}

/**
 * vnpu_mmu_evict - clear the PTEs of a mapping, keeping its VA range
 * @ctx: address space
 * @node: the VA range made by vnpu_mmu_map()
 *
 * For the shrinker, in reclaim: the context's lock is only tried, as
 * this thread may hold it while allocating a page table. Once this
 * returns true the device's TLB holds no translation of the range, and
 * an access to it faults.
 *
 * Returns false, with nothing changed, when the lock is taken.
 */
bool vnpu_mmu_evict(struct vnpu_mmu_ctx *ctx, struct drm_mm_node *node)
{
	if (!mutex_trylock(&ctx->lock))
		return false;
	vnpu_mmu_clear_range(ctx, node->start, node->start + node->size);
	vnpu_mmu_tlb_inv(ctx->vdev, ctx->id);
	mutex_unlock(&ctx->lock);
	return true;
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
	int idx;

	/* the table goes with the PCI binding */
	if (!drm_dev_enter(&vdev->drm, &idx))
		return;
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
	drm_dev_exit(idx);
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

	mutex_lock(&vdev->mmu.lock);
	list_add_tail(&ctx->link, &vdev->mmu.contexts);
	mutex_unlock(&vdev->mmu.lock);

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

	mutex_lock(&vdev->mmu.lock);
	list_del(&ctx->link);
	mutex_unlock(&vdev->mmu.lock);

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

/* A run of leaves that map contiguous VAs to contiguous addresses. */
struct vnpu_pt_run {
	u64 start, end;		/* VA range */
	u64 addr;		/* address of start */
	u64 flags;		/* leaf bits outside the address */
};

static void vnpu_pt_run_show(struct seq_file *m, struct vnpu_pt_run *run)
{
	if (run->start == run->end)
		return;
	seq_printf(m, "  %#llx-%#llx %s %c%c%c %s %#llx\n", run->start,
		   run->end, run->flags & VNPU_PTE_HUGE ? "2M" : "4K",
		   run->flags & VNPU_PTE_READ ? 'r' : '-',
		   run->flags & VNPU_PTE_WRITE ? 'w' : '-',
		   run->flags & VNPU_PTE_EXEC ? 'x' : '-',
		   run->flags & VNPU_PTE_DEVMEM ? "devmem" : "sys",
		   run->addr);
}

static void vnpu_pt_dump(struct seq_file *m, struct vnpu_pt *pt,
			 unsigned int level, u64 base, struct vnpu_pt_run *run)
{
	unsigned int shift = VNPU_PAGE_SHIFT +
			     9 * (VNPU_PT_LEVELS - 1 - level);
	unsigned int i;
	u64 entry, va, addr, flags;

	for (i = 0; i < VNPU_PT_ENTRIES; i++) {
		entry = vnpu_pte_read(&pt->cpu[i]);
		if (!(entry & VNPU_PTE_VALID))
			continue;
		va = base | (u64)i << shift;
		if (level < VNPU_PT_LEVELS - 1 && !(entry & VNPU_PTE_HUGE)) {
			if (pt->child[i])
				vnpu_pt_dump(m, pt->child[i], level + 1, va,
					     run);
			continue;
		}
		addr = entry & VNPU_PTE_ADDR_MASK;
		flags = entry & ~VNPU_PTE_ADDR_MASK;
		if (va == run->end && flags == run->flags &&
		    addr == run->addr + (run->end - run->start)) {
			run->end += BIT_ULL(shift);
			continue;
		}
		vnpu_pt_run_show(m, run);
		*run = (struct vnpu_pt_run) {
			.start = va,
			.end = va + BIT_ULL(shift),
			.addr = addr,
			.flags = flags,
		};
	}
}

/*
 * debugfs "page_tables": every context's leaves, as runs of contiguous
 * VAs mapping contiguous addresses with the same size and permissions:
 *   ctx <id>: <n> 2M leaves
 *     <va start>-<va end> <2M|4K> <rwx> <sys|devmem> <address of start>
 */
static int vnpu_mmu_debugfs_show(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vnpu_device *vdev = to_vnpu_device(entry->dev);
	struct vnpu_mmu_ctx *ctx;
	struct vnpu_pt_run run;

	/* a context leaves the list under this lock before it is freed */
	mutex_lock(&vdev->mmu.lock);
	list_for_each_entry(ctx, &vdev->mmu.contexts, link) {
		mutex_lock(&ctx->lock);
		seq_printf(m, "ctx %u: %u 2M leaves\n", ctx->id,
			   ctx->huge_leaves);
		memset(&run, 0, sizeof(run));
		if (ctx->pgd)
			vnpu_pt_dump(m, ctx->pgd, 0, 0, &run);
		vnpu_pt_run_show(m, &run);
		mutex_unlock(&ctx->lock);
	}
	mutex_unlock(&vdev->mmu.lock);
	return 0;
}

static void vnpu_mmu_fini(struct drm_device *drm, void *unused)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);

	/* every BO and job holds its context: a leak of either shows here */
	drm_WARN_ON(drm, !ida_is_empty(&vdev->mmu.ctx_ida));
	ida_destroy(&vdev->mmu.ctx_ida);
}

/**
 * vnpu_mmu_unplug - free the page tables of the contexts still open
 * @vdev: device, after drm_dev_unplug() and with the hardware stopped
 *
 * DMA memory must not outlive the driver's binding to the PCI device,
 * while contexts live as long as their files: their page tables are freed
 * here, and a context without them maps nothing (-ENODEV) and has nothing
 * to clear. The context table itself is device-managed.
 */
void vnpu_mmu_unplug(struct vnpu_device *vdev)
{
	struct vnpu_mmu_ctx *ctx;

	mutex_lock(&vdev->mmu.lock);
	list_for_each_entry(ctx, &vdev->mmu.contexts, link) {
		mutex_lock(&ctx->lock);
		vnpu_pt_free(vdev, ctx->pgd);
		ctx->pgd = NULL;
		mutex_unlock(&ctx->lock);
	}
	mutex_unlock(&vdev->mmu.lock);
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
	INIT_LIST_HEAD(&mmu->contexts);
	/*
	 * Coherent allocations are page aligned: the 4 KiB rule holds. The
	 * table goes with the PCI binding (the entries are written inside
	 * drm_dev_enter()).
	 */
	mmu->table = dmam_alloc_coherent(vdev->drm.dev,
					 vdev->num_contexts * sizeof(*mmu->table),
					 &mmu->table_dma, GFP_KERNEL);
	if (!mmu->table) {
		ida_destroy(&mmu->ctx_ida);
		return -ENOMEM;
	}

	ret = drmm_add_action_or_reset(&vdev->drm, vnpu_mmu_fini, NULL);
	if (ret)
		return ret;

	drm_debugfs_add_file(&vdev->drm, "page_tables", vnpu_mmu_debugfs_show,
			     NULL);
	return 0;
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
