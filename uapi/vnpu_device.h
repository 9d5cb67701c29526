/* SPDX-License-Identifier: MIT */
/*
 * vnpu device interface: registers, rings, descriptors, commands, MMU.
 *
 * This header is the single source of truth for the hardware/software
 * contract. It is included unchanged by the QEMU device model
 * (qemu-device/), the kernel driver (kernel/) and libaccel (libaccel/).
 * Documentation/accel/vnpu/device.rst describes the same interface in prose;
 * where they disagree, this file wins and the document is a bug.
 *
 * All multi-byte fields are little-endian. All structures have explicit
 * padding; reserved fields must be written as zero by software and are
 * ignored (or rejected where stated) by the device.
 */
#ifndef VNPU_DEVICE_H
#define VNPU_DEVICE_H

#include <linux/types.h>

/* Contiguous bit mask from bit @l to bit @h, usable on any side. */
#define VNPU_GENMASK(h, l) \
	((~0u >> (31 - (h))) & (~0u << (l)))
#define VNPU_GENMASK64(h, l) \
	((~0ull >> (63 - (h))) & (~0ull << (l)))

/*
 * DOC: PCI identity
 *
 * The device uses QEMU's experimental vendor ID. BAR0 holds the registers
 * and the doorbells (64 KiB, 32-bit, non-prefetchable). BAR1 holds the
 * MSI-X table and PBA. BAR2 is reserved for device memory.
 */
#define VNPU_PCI_VENDOR_ID		0x1234
#define VNPU_PCI_DEVICE_ID		0x4e50
#define VNPU_PCI_REVISION		0x01
#define VNPU_PCI_CLASS			0x1200	/* processing accelerator */

#define VNPU_BAR_REGS			0
#define VNPU_BAR_MSIX			1
#define VNPU_BAR_DEVMEM			2
#define VNPU_BAR_REGS_SIZE		0x10000

#define VNPU_ID_MAGIC			0x4e505530	/* "NPU0" */
#define VNPU_VERSION_MAJOR		1
#define VNPU_VERSION_MINOR		0

#define VNPU_MAX_QUEUES			8
#define VNPU_MAX_CONTEXTS		256
#define VNPU_RING_MIN_ENTRIES		2
#define VNPU_RING_MAX_ENTRIES		4096

/*
 * DOC: Registers (BAR0, 32-bit accesses only)
 *
 * Page 0 holds global registers and the per-queue register blocks.
 * Page 1 + q holds the doorbell of queue q, so that each queue's doorbell
 * can be mapped and trapped on its own.
 */
#define VNPU_REG_ID			0x000	/* RO: VNPU_ID_MAGIC */
#define VNPU_REG_VERSION		0x004	/* RO: major/minor */
#define   VNPU_VERSION_MINOR_MASK	VNPU_GENMASK(15, 0)
#define   VNPU_VERSION_MAJOR_MASK	VNPU_GENMASK(31, 16)
#define VNPU_REG_CAP_QUEUES		0x008	/* RO: number of queues */
#define VNPU_REG_CAP_ENGINES		0x00c	/* RO: number of engines */
#define VNPU_REG_CAP_RING_MAX		0x010	/* RO: max entries per ring */
#define VNPU_REG_CAP_OPS		0x014	/* RO: bit n = opcode n works */
#define VNPU_REG_CAP_MMU		0x018	/* RO: see VNPU_CAP_MMU_* */
#define   VNPU_CAP_MMU_VA_BITS_MASK	VNPU_GENMASK(7, 0)
#define   VNPU_CAP_MMU_PAGE_4K		(1u << 8)
#define   VNPU_CAP_MMU_PAGE_2M		(1u << 9)
#define VNPU_REG_CAP_CONTEXTS		0x01c	/* RO: max context table entries */
#define VNPU_REG_DEVMEM_SIZE_LO		0x020	/* RO: device memory bytes */
#define VNPU_REG_DEVMEM_SIZE_HI		0x024

#define VNPU_REG_CTRL			0x040	/* RW */
#define   VNPU_CTRL_ENABLE		(1u << 0) /* engines fetch from rings */
#define   VNPU_CTRL_RESET		(1u << 1) /* W1: function-level reset */
#define VNPU_REG_STATUS			0x044	/* RO */
#define   VNPU_STATUS_READY		(1u << 0) /* out of reset */
#define   VNPU_STATUS_ENABLED		(1u << 1)
#define VNPU_REG_HEARTBEAT		0x048	/* RO: increments while alive */
#define VNPU_REG_SCRATCH		0x04c	/* RW: no side effects */

/*
 * Interrupt status: bit q is set when queue q wrote a completion that
 * asked for an interrupt; VNPU_IRQ_ERROR is set with a fault record.
 * Write 1 to clear. Each source also has its own MSI-X vector: vector q
 * for queue q, vector VNPU_MSIX_ERROR_VECTOR(nq) for errors. A source whose
 * bit is clear in IRQ_MASK raises neither.
 */
#define VNPU_REG_IRQ_STATUS		0x050	/* RW1C */
#define VNPU_REG_IRQ_MASK		0x054	/* RW: 1 = enabled */
#define   VNPU_IRQ_QUEUE(q)		(1u << (q))
#define   VNPU_IRQ_QUEUES_MASK		VNPU_GENMASK(VNPU_MAX_QUEUES - 1, 0)
#define   VNPU_IRQ_ERROR		(1u << 31)
#define VNPU_MSIX_ERROR_VECTOR(nq)	(nq)
#define VNPU_MSIX_VECTORS(nq)		((nq) + 1)

/* Context table: guest-physical base and number of entries. */
#define VNPU_REG_CTXT_BASE_LO		0x060	/* RW, 4 KiB aligned */
#define VNPU_REG_CTXT_BASE_HI		0x064
#define VNPU_REG_CTXT_SIZE		0x068	/* RW: entries, <= CAP_CONTEXTS */
/*
 * TLB invalidation: write a context id, or VNPU_TLB_INV_ALL. Synchronous:
 * when the write returns, no later access uses a stale translation.
 */
#define VNPU_REG_TLB_INV		0x06c	/* WO */
#define   VNPU_TLB_INV_ALL		(1u << 31)
#define   VNPU_TLB_INV_CTX_MASK		VNPU_GENMASK(15, 0)

/* The first MMU fault since the last FAULT_ACK is latched here. */
#define VNPU_REG_FAULT_STATUS		0x080	/* RO */
#define   VNPU_FAULT_VALID		(1u << 0)
#define   VNPU_FAULT_ACCESS_MASK	VNPU_GENMASK(3, 1) /* VNPU_ACCESS_* */
#define   VNPU_FAULT_QUEUE_MASK		VNPU_GENMASK(11, 8)
#define   VNPU_FAULT_CTX_MASK		VNPU_GENMASK(31, 16)
#define VNPU_REG_FAULT_VA_LO		0x084	/* RO */
#define VNPU_REG_FAULT_VA_HI		0x088	/* RO */
#define VNPU_REG_FAULT_ACK		0x08c	/* WO: any write clears */

#define VNPU_ACCESS_READ		1
#define VNPU_ACCESS_WRITE		2
#define VNPU_ACCESS_EXEC		4

/* Counters (RO, 64-bit as LO/HI pairs; read LO first, it latches HI). */
#define VNPU_REG_CNT_JOBS_LO		0x0a0
#define VNPU_REG_CNT_JOBS_HI		0x0a4
#define VNPU_REG_CNT_BYTES_LO		0x0a8
#define VNPU_REG_CNT_BYTES_HI		0x0ac
#define VNPU_REG_CNT_FAULTS_LO		0x0b0
#define VNPU_REG_CNT_FAULTS_HI		0x0b4
#define VNPU_REG_CNT_BUSY_NS_LO		0x0b8
#define VNPU_REG_CNT_BUSY_NS_HI		0x0bc

/*
 * Queue q register block at VNPU_REG_Q(q). The ring is an array of
 * struct vnpu_desc; the completion ring an array of struct vnpu_completion
 * with the same number of entries. Both must be 64-byte aligned and lie in
 * guest-physical memory (they are not translated by the device MMU).
 *
 * Indices are free-running 32-bit counters: slot = index % size. HEAD is
 * the next descriptor the device will fetch; TAIL is the value last written
 * to the doorbell. The device processes descriptors in [HEAD, TAIL).
 * A doorbell with TAIL - HEAD > SIZE is a guest error: the queue stops
 * with QCTRL.ERROR set and raises the error interrupt.
 */
#define VNPU_REG_Q(q)			(0x100 + (q) * 0x40)
#define VNPU_Q_RING_LO			0x00	/* RW */
#define VNPU_Q_RING_HI			0x04
#define VNPU_Q_COMP_LO			0x08	/* RW */
#define VNPU_Q_COMP_HI			0x0c
#define VNPU_Q_SIZE			0x10	/* RW: entries, power of two */
#define VNPU_Q_CTRL			0x14	/* RW */
#define   VNPU_QCTRL_ENABLE		(1u << 0)
#define   VNPU_QCTRL_ERROR		(1u << 1) /* RO: stopped on error */
#define   VNPU_QCTRL_PRIO_MASK		VNPU_GENMASK(7, 4) /* 0 = lowest */
#define VNPU_Q_HEAD			0x18	/* RO */
#define VNPU_Q_TAIL			0x1c	/* RO: last doorbell value */

/* Doorbell of queue q: write the new TAIL. */
#define VNPU_REG_DOORBELL(q)		(0x1000 * ((q) + 1))

/*
 * DOC: Descriptors and completions
 *
 * One descriptor is one job: a command buffer at @cmd_va in the address
 * space of context @ctx, @cmd_size bytes long. When the device has run it
 * (or failed it), it writes the completion entry at the same slot, and then,
 * if VNPU_DESC_F_IRQ is set, raises the queue's interrupt. Software marks a
 * completion entry as pending by writing VNPU_JOB_PENDING to @status before
 * ringing the doorbell; the device writes @status last.
 */
struct vnpu_desc {
	__u64 tag;		/* copied to the completion */
	__u64 cmd_va;		/* device VA, 8-byte aligned */
	__u32 cmd_size;		/* bytes, multiple of 8, <= VNPU_CMD_MAX_SIZE */
	__u32 ctx;		/* context table index */
	__u32 flags;		/* VNPU_DESC_F_* */
	__u32 rsvd0;
	__u64 rsvd[4];
};

#define VNPU_DESC_F_IRQ			(1u << 0)
#define VNPU_DESC_F_VALID_MASK		VNPU_DESC_F_IRQ
#define VNPU_CMD_MAX_SIZE		(1u << 20)

struct vnpu_completion {
	__u64 tag;		/* from the descriptor */
	__u32 status;		/* VNPU_JOB_*; written last */
	__u32 cmd_index;	/* index of the failing command, or 0 */
	__u64 start_ns;		/* device clock when the job started */
	__u64 end_ns;		/* device clock when it ended */
};

/* Completion status codes. */
#define VNPU_JOB_OK			0x0
#define VNPU_JOB_BAD_DESC		0x1 /* reserved bits, bad flags/size */
#define VNPU_JOB_BAD_CTX		0x2 /* ctx out of range or not valid */
#define VNPU_JOB_BAD_OPCODE		0x3 /* unknown opcode */
#define VNPU_JOB_BAD_CMD		0x4 /* bad length or field in a cmd */
#define VNPU_JOB_MMU_FAULT		0x5 /* unmapped or forbidden access */
#define VNPU_JOB_DMA_ERROR		0x6 /* guest-physical access failed */
#define VNPU_JOB_ABORTED		0x7 /* reset while running */
#define VNPU_JOB_PENDING		0xffffffffu /* software marker */

/*
 * DOC: Commands
 *
 * A command buffer is a packed sequence of commands. Each starts with a
 * struct vnpu_cmd_hdr; @len is the whole command's length in 8-byte words
 * (header included) and must equal the opcode's size. Commands run in order;
 * the first failing command ends the job with its status and index.
 */
struct vnpu_cmd_hdr {
	__u16 opcode;		/* VNPU_OP_* */
	__u16 len;		/* 8-byte words, header included */
	__u32 flags;		/* must be zero */
};

#define VNPU_OP_NOP			0
#define VNPU_OP_FILL			1
#define VNPU_OP_COPY			2
#define VNPU_OP_TIMESTAMP		3
#define VNPU_OP_COUNT			4

/* NOP: no effect. */
struct vnpu_cmd_nop {
	struct vnpu_cmd_hdr hdr;
};

/*
 * FILL: write @size bytes at @dst; byte i gets byte (i % 4) of @pattern
 * (little-endian). @size may be any value up to VNPU_XFER_MAX.
 */
struct vnpu_cmd_fill {
	struct vnpu_cmd_hdr hdr;
	__u64 dst;
	__u64 size;
	__u32 pattern;
	__u32 rsvd;
};

/*
 * COPY: copy @size bytes from @src to @dst. Overlapping ranges are
 * rejected with VNPU_JOB_BAD_CMD.
 */
struct vnpu_cmd_copy {
	struct vnpu_cmd_hdr hdr;
	__u64 src;
	__u64 dst;
	__u64 size;
};

/* TIMESTAMP: write the device clock (ns, u64) at @dst (8-byte aligned). */
struct vnpu_cmd_timestamp {
	struct vnpu_cmd_hdr hdr;
	__u64 dst;
};

#define VNPU_XFER_MAX			(1ull << 32)

/*
 * DOC: MMU
 *
 * Every command address is a device virtual address (48 bits) in the
 * address space of the descriptor's context. The context table is an array
 * of struct vnpu_ctx_entry in guest-physical memory; entry i describes
 * context i. Page tables have four levels of 512 8-byte entries (4 KiB per
 * table), indexed by VA bits [47:39], [38:30], [29:21] and [20:12]. A level-2
 * entry with VNPU_PTE_HUGE maps a 2 MiB page. A leaf needs VNPU_PTE_VALID and
 * the permission of the access (READ for reads and command fetch, WRITE for
 * writes); anything else is an MMU fault. VA 0 is never mapped by the driver.
 */
struct vnpu_ctx_entry {
	__u64 pgd;		/* guest-physical, 4 KiB aligned */
	__u32 flags;		/* VNPU_CTX_VALID */
	__u32 rsvd;
};

#define VNPU_CTX_VALID			(1u << 0)

#define VNPU_VA_BITS			48
#define VNPU_PAGE_SHIFT			12
#define VNPU_PAGE_SIZE			(1ull << VNPU_PAGE_SHIFT)
#define VNPU_HUGE_SHIFT			21
#define VNPU_PT_ENTRIES			512
#define VNPU_PT_LEVELS			4
/* Index of @va in the table of level @l (0 = root). */
#define VNPU_PT_INDEX(va, l) \
	(((va) >> (39 - 9 * (l))) & (VNPU_PT_ENTRIES - 1))

#define VNPU_PTE_VALID			(1ull << 0)
#define VNPU_PTE_READ			(1ull << 1)
#define VNPU_PTE_WRITE			(1ull << 2)
#define VNPU_PTE_EXEC			(1ull << 3)
#define VNPU_PTE_DEVMEM			(1ull << 4) /* address is in BAR2 */
#define VNPU_PTE_HUGE			(1ull << 7) /* level 2 only: 2 MiB */
#define VNPU_PTE_ADDR_MASK		VNPU_GENMASK64(51, 12)

#endif /* VNPU_DEVICE_H */
