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
 * MSI-X table and PBA. BAR2 (64-bit, prefetchable) is the device memory:
 * DEVMEM_SIZE bytes of on-chip RAM that the host can map and that commands
 * reach through the MMU (VNPU_PTE_DEVMEM). It is absent when DEVMEM_SIZE
 * reads 0.
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
/*
 * CTRL.RESET only requests the reset and returns at once: STATUS.READY
 * reads 0 until running jobs have stopped (ABORTED) and the registers are
 * back to their power-on values. Poll READY after the write; writes are
 * ignored until it is 1 again.
 */
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
#define VNPU_REG_CNT_MACS_LO		0x0c0	/* multiply-accumulates */
#define VNPU_REG_CNT_MACS_HI		0x0c4
#define VNPU_REG_CNT_ENERGY_PJ_LO	0x0c8	/* modelled energy, pJ */
#define VNPU_REG_CNT_ENERGY_PJ_HI	0x0cc
#define VNPU_REG_CNT_IRQS_LO		0x0d0	/* MSI-X messages sent */
#define VNPU_REG_CNT_IRQS_HI		0x0d4
#define VNPU_REG_CNT_XFER_LO		0x0d8	/* bytes read + written */
#define VNPU_REG_CNT_XFER_HI		0x0dc

/*
 * Modelled energy (CNT_ENERGY_PJ): every job costs VNPU_ENERGY_PJ_JOB, every
 * byte a command reads or writes in guest memory VNPU_ENERGY_PJ_HOST_BYTE,
 * every byte in device memory VNPU_ENERGY_PJ_DEVMEM_BYTE, and every MAC
 * VNPU_ENERGY_FJ_MAC_* femtojoules by the operation's dtype.
 */
#define VNPU_ENERGY_PJ_JOB		1000
#define VNPU_ENERGY_PJ_HOST_BYTE	20
#define VNPU_ENERGY_PJ_DEVMEM_BYTE	1
#define VNPU_ENERGY_FJ_MAC_FP32		4600
#define VNPU_ENERGY_FJ_MAC_BF16		1500
#define VNPU_ENERGY_FJ_MAC_INT8		250

/*
 * Engines. ENGINE_STATUS bit e: engine e runs a job; bit 16 + e: engine e
 * is hung by fault injection. Writing bit e of ENGINE_RESET resets engine
 * e: its job (running or hung) ends with VNPU_JOB_ABORTED at its next
 * abort poll (inside long commands too), its completion is written and its
 * queue goes on. The write only requests this and returns at once; bit e
 * of ENGINE_RESET reads 1 until the engine has let go of the job (its
 * completion is written), so poll it after the write.
 */
#define VNPU_REG_ENGINE_STATUS		0x0e0	/* RO */
#define   VNPU_ENGINE_BUSY(e)		(1u << (e))
#define   VNPU_ENGINE_HUNG(e)		(1u << (16 + (e)))
#define VNPU_REG_ENGINE_RESET		0x0e4	/* RW: bit e resets engine e */
#define VNPU_REG_JOB_SEQ		0x0e8	/* RO: jobs started (see below) */

/*
 * Fault injection, to test a driver's recovery. JOB_SEQ counts the jobs
 * engines have started since the device was created (a reset does not
 * clear it, nor the injection registers, so that a recovery reset does not
 * disarm them). Writing N > 0 to one of the INJECT_*_JOB registers arms it
 * for the Nth job started from now; 0 disarms it; a read returns how many
 * jobs are left until it fires (0: disarmed or fired). Each fires once:
 *   HANG_JOB: the engine takes the job and never runs it, until a device
 *     or engine reset (the job then ends VNPU_JOB_ABORTED);
 *   DMA_FAIL_JOB: the job's first memory access fails (VNPU_JOB_DMA_ERROR);
 *   MMU_FAULT_JOB: the job ends with VNPU_JOB_MMU_FAULT at command 0 and a
 *     fault record (its context, cmd_va, VNPU_ACCESS_EXEC) although every
 *     mapping is fine: a spurious fault.
 * INJECT_DROP_IRQ counts MSI-X messages instead: the Nth message from now
 * is not sent (IRQ_STATUS is still set). Written with INJECT_DROP_IRQ_QUEUE
 * set, it counts only the completion messages of queue DROP_IRQ_Q (N in
 * DROP_IRQ_N, a queue >= NUM_QUEUES disarms it), so that other vectors
 * cannot take the drop; a read then returns the same encoding. With
 * INJECT_CTRL.HANG_FLAG set, a descriptor with VNPU_DESC_F_INJECT_HANG
 * hangs its engine like HANG_JOB; without it that flag is a reserved bit
 * (VNPU_JOB_BAD_DESC). The device
 * properties inject-hang-job, inject-dma-fail-job, inject-mmu-fault-job,
 * inject-drop-irq and inject-hang-flag arm the same injections at start.
 */
#define VNPU_REG_INJECT_CTRL		0x0f0	/* RW */
#define   VNPU_INJECT_HANG_FLAG		(1u << 0)
#define VNPU_REG_INJECT_HANG_JOB	0x0f4	/* RW */
#define VNPU_REG_INJECT_DMA_FAIL_JOB	0x0f8	/* RW */
#define VNPU_REG_INJECT_MMU_FAULT_JOB	0x0fc	/* RW */
#define VNPU_REG_INJECT_DROP_IRQ	0x0ec	/* RW */
#define   VNPU_INJECT_DROP_IRQ_N_MASK	VNPU_GENMASK(23, 0)
#define   VNPU_INJECT_DROP_IRQ_Q_MASK	VNPU_GENMASK(27, 24)
#define   VNPU_INJECT_DROP_IRQ_QUEUE	(1u << 31)

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
/*
 * Interrupt moderation. A completion whose descriptor has VNPU_DESC_F_IRQ
 * is counted as pending; the queue's interrupt (IRQ_STATUS bit q, vector q)
 * is raised when COUNT completions are pending, when TIME microseconds of
 * device clock have passed since the first pending one, or when the queue
 * runs out of work (HEAD == TAIL) or stops, whichever comes first. COUNT 0
 * or 1 (the reset value): every such completion interrupts. TIME 0: no
 * timer.
 */
#define VNPU_Q_IRQ_MOD			0x20	/* RW */
#define   VNPU_QIRQ_MOD_COUNT_MASK	VNPU_GENMASK(15, 0)
#define   VNPU_QIRQ_MOD_TIME_MASK	VNPU_GENMASK(31, 16) /* microseconds */
#define VNPU_Q_IRQ_COUNT		0x24	/* RO: interrupts raised */

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
/* Fault injection only, see VNPU_REG_INJECT_CTRL. */
#define VNPU_DESC_F_INJECT_HANG		(1u << 31)
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
/* Compute ISA (see DOC: Tensors): */
#define VNPU_JOB_BAD_TENSOR		0x8 /* rank, shape, stride, size, overlap */
#define VNPU_JOB_BAD_DTYPE		0x9 /* dtype or dtype combination */
#define VNPU_JOB_BAD_QUANT		0xa /* quantisation mode or parameters */
#define VNPU_JOB_SEM_TIMEOUT		0xb /* SEM_WAIT condition never held */
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

/* Opcode          value   struct                     words */
#define VNPU_OP_NOP			0  /* vnpu_cmd_nop          1 */
#define VNPU_OP_FILL			1  /* vnpu_cmd_fill         4 */
#define VNPU_OP_COPY			2  /* vnpu_cmd_copy         4 */
#define VNPU_OP_TIMESTAMP		3  /* vnpu_cmd_timestamp    2 */
#define VNPU_OP_BARRIER			4  /* vnpu_cmd_nop          1 */
#define VNPU_OP_SEM_WAIT		5  /* vnpu_cmd_sem          4 */
#define VNPU_OP_SEM_SIGNAL		6  /* vnpu_cmd_sem          4 */
#define VNPU_OP_COPY_ND			7  /* vnpu_cmd_copy_nd     18 */
#define VNPU_OP_GEMM			8  /* vnpu_cmd_gemm        34 */
#define VNPU_OP_CONV2D			9  /* vnpu_cmd_conv2d      36 */
#define VNPU_OP_ELTWISE			10 /* vnpu_cmd_eltwise     26 */
#define VNPU_OP_ACTIVATION		11 /* vnpu_cmd_unary       18 */
#define VNPU_OP_SOFTMAX			12 /* vnpu_cmd_unary       18 */
#define VNPU_OP_LAYERNORM		13 /* vnpu_cmd_norm        34 */
#define VNPU_OP_RMSNORM			14 /* vnpu_cmd_norm        34 */
#define VNPU_OP_REDUCE			15 /* vnpu_cmd_unary       18 */
#define VNPU_OP_POOL2D			16 /* vnpu_cmd_pool2d      20 */
#define VNPU_OP_QUANTIZE		17 /* vnpu_cmd_convert     17 */
#define VNPU_OP_DEQUANTIZE		18 /* vnpu_cmd_convert     17 */
#define VNPU_OP_CAST			19 /* vnpu_cmd_convert     17 */
#define VNPU_OP_COUNT			20

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
 * BARRIER: every write of earlier commands is visible (to the host and to
 * other engines) before any access of a later command. Same struct as NOP.
 *
 * SEM_WAIT: wait until the u32 at @va (4-byte aligned) satisfies @op
 * against @value (VNPU_SEM_EQ: equal; VNPU_SEM_GE: unsigned >=). The device
 * polls the word; after @timeout_us microseconds (0 means
 * VNPU_SEM_TIMEOUT_MAX_US; larger values are BAD_CMD) the job ends with
 * VNPU_JOB_SEM_TIMEOUT. A device reset ends the wait (ABORTED).
 *
 * SEM_SIGNAL: atomically store (VNPU_SEM_SET) @value to the u32 at @va or
 * add it (VNPU_SEM_ADD, wrapping); @timeout_us must be zero. Earlier writes
 * of the job are visible before the semaphore changes.
 */
struct vnpu_cmd_sem {
	struct vnpu_cmd_hdr hdr;
	__u64 va;
	__u32 value;
	__u32 op;		/* VNPU_SEM_* */
	__u32 timeout_us;
	__u32 rsvd;
};

#define VNPU_SEM_EQ			0	/* SEM_WAIT */
#define VNPU_SEM_GE			1	/* SEM_WAIT */
#define VNPU_SEM_SET			0	/* SEM_SIGNAL */
#define VNPU_SEM_ADD			1	/* SEM_SIGNAL */
#define VNPU_SEM_TIMEOUT_MAX_US		1000000u

/*
 * DOC: Tensors
 *
 * Compute commands name their operands with tensor descriptors. A tensor has
 * a rank of 1 to 4; shape[0] is the outermost dimension and shape[rank - 1]
 * the innermost. Element (i0, .., ir-1) is at
 *	va + (i0 * stride[0] + .. + ir-1 * stride[rank - 1]) * elem_size
 * Strides count elements, not bytes. Entries of shape[] and stride[] at
 * index >= rank must be zero. Rules (BAD_TENSOR unless stated):
 *  - every shape[i] (i < rank) is >= 1: zero-sized dimensions are rejected;
 *  - va is aligned to the element size;
 *  - the byte span (offset of the last element + elem_size) and the dense
 *    size (number of elements * elem_size) are at most
 *    VNPU_TENSOR_MAX_BYTES, and va + span does not overflow;
 *  - an input may use stride 0 (a repeated element); an output must not
 *    overlap itself: ordered by stride, each dimension of extent > 1 must
 *    start past the end of the ones before it;
 *  - an output's byte range [va, va + span) must not intersect any input's,
 *    except that ELTWISE, ACTIVATION and the conversions accept an output
 *    that is exactly one of their inputs (same va, element size, shape and
 *    strides: in place). Distinct VAs that the MMU maps to the same memory
 *    give undefined results (never an out-of-range access);
 *  - an optional operand is absent when its rank is 0 (the whole
 *    descriptor must then be zero).
 * Descriptors whose reserved fields are not zero are BAD_TENSOR.
 *
 * Errors of compute commands: a field of the command itself out of range
 * (function, axis, stride, pad, group count, reserved word) is BAD_CMD;
 * operand shapes that do not fit the op, and overlaps, are BAD_TENSOR; a
 * dtype or dtype combination the op does not take is BAD_DTYPE;
 * quantisation the op does not take is BAD_QUANT. All checks happen before
 * any memory is written; then every page of every operand is translated
 * before the op computes, so an MMU fault leaves the output untouched.
 *
 * Quantisation (VNPU_QMODE_*) is allowed on I8, U8 and I32 tensors only
 * (BAD_QUANT otherwise). real = scale * (q - zero_point). Per-tensor
 * parameters are in the descriptor; per-channel parameters are an array of
 * shape[qaxis] struct vnpu_qparam at device VA @qparams_va (read when the
 * command runs), at most VNPU_QCHANNELS_MAX entries. A scale must be finite
 * and > 0, a zero point must be representable in the dtype (0 for I32):
 * otherwise BAD_QUANT. Fields of an unused mode must be zero (BAD_QUANT).
 */
struct vnpu_tensor {
	__u64 va;		/* device VA of element (0, .., 0) */
	__u8 dtype;		/* VNPU_DT_* */
	__u8 rank;		/* 1..4; 0 = absent optional operand */
	__u8 qmode;		/* VNPU_QMODE_* */
	__u8 qaxis;		/* per-channel axis (< rank) */
	__u32 rsvd;
	__u32 shape[4];
	__u32 stride[4];	/* elements */
	__u32 scale;		/* per-tensor: IEEE-754 binary32 bits */
	__s32 zero_point;	/* per-tensor */
	__u64 qparams_va;	/* per-channel: struct vnpu_qparam[] */
};

struct vnpu_qparam {
	__u32 scale;		/* IEEE-754 binary32 bits */
	__s32 zero_point;
};

#define VNPU_DT_F32			1	/* IEEE-754 binary32 */
#define VNPU_DT_BF16			2	/* bfloat16 */
#define VNPU_DT_I8			3
#define VNPU_DT_U8			4
#define VNPU_DT_I32			5
#define VNPU_DT_COUNT			6	/* 0 is never valid */

#define VNPU_QMODE_NONE			0
#define VNPU_QMODE_TENSOR		1
#define VNPU_QMODE_CHANNEL		2

#define VNPU_TENSOR_MAX_RANK		4
#define VNPU_TENSOR_MAX_BYTES		(1ull << 28)	/* 256 MiB span */
#define VNPU_QCHANNELS_MAX		65536

/* Fused or stand-alone activation functions. */
#define VNPU_ACT_NONE			0
#define VNPU_ACT_RELU			1	/* max(x, 0) */
#define VNPU_ACT_RELU6			2	/* min(max(x, 0), 6) */
#define VNPU_ACT_GELU			3	/* x * (1 + erf(x / sqrt 2)) / 2 */
#define VNPU_ACT_SIGMOID		4	/* 1 / (1 + exp(-x)) */
#define VNPU_ACT_TANH			5
#define VNPU_ACT_SILU			6	/* x * sigmoid(x) */
#define VNPU_ACT_COUNT			7

/*
 * DOC: Numerics
 *
 * GEMM and CONV2D accumulate F32 in binary32 in an unspecified order; the
 * other float ops compute in binary64 (F32 ELTWISE arithmetic in binary32)
 * and round to the output dtype. An
 * F32 result matches a straightforward reference within
 *	|got - ref| <= 1e-5 * max(1, B)
 * where B is |ref| for element-wise results and the sum of the absolute
 * values of the terms for sums (GEMM, CONV2D, REDUCE). BF16 operands are
 * widened exactly to binary32 and computed as F32; a BF16 output is the
 * binary32 result rounded to nearest-even (NaN stays NaN): tolerance 1e-2.
 *
 * Integer rounding rule: a real value v is converted to an integer dtype as
 *	q = saturate(rint(v) + zero_point)
 * where rint rounds half to even (IEEE default) and saturate clamps to the
 * dtype's range; NaN converts to zero_point. All quantised arithmetic uses
 * IEEE binary64 in this exact order, so int8 results are bit-exact:
 *  - QUANTIZE:   v = (double)x / (double)scale
 *  - DEQUANTIZE: x = (float)((double)scale * (double)(q - zero_point))
 *  - GEMM/CONV2D with an I8/U8 output: acc = sum((a - za) * (b - zb)) (+ bias)
 *    in int32; r = (double)acc * ((double)sa * (double)sb[c]); r = act(r) in
 *    double; v = r / (double)so[c]
 *  - ELTWISE/ACTIVATION/SOFTMAX/NORM/REDUCE/POOL2D on quantised tensors:
 *    each input element is dequantised to double (scale * (q - zp)), the op
 *    is computed in double, and the result is quantised with v = r / scale
 *    (MAX/MIN and max-pooling compare the dequantised values).
 * An I8/U8/I32 tensor with qmode NONE in these ops has scale 1 and zero
 * point 0; per-channel parameters are accepted only where an op says so.
 * I32 GEMM/CONV2D outputs are the raw int32 accumulators (no quantisation,
 * no activation); int32 accumulation wraps modulo 2^32 (never trapped).
 */

/*
 * COPY_ND: strided copy with an optional permutation (gather, slice,
 * transpose, permute). dst(i0, .., ir-1) = src(j) with j[perm[k]] = i[k],
 * so dst.shape[k] == src.shape[perm[k]]. Both tensors have the same rank
 * and dtype and no quantisation; perm is a permutation of 0..rank-1 and
 * entries >= rank are zero. Identity: perm = {0, 1, 2, 3}.
 */
struct vnpu_cmd_copy_nd {
	struct vnpu_cmd_hdr hdr;
	struct vnpu_tensor src;
	struct vnpu_tensor dst;
	__u8 perm[4];
	__u32 rsvd;
};

/*
 * GEMM: out = act(a x b + bias). a is [.., M, K], b [.., K, N], out
 * [.., M, N] with up to two leading batch dimensions (rank 2 to 4);
 * batch dimensions of a and b are broadcast to out's (each equal or 1).
 * bias (optional) is [N]. Transposed operands are expressed by strides.
 * Dtype combinations (a, b, bias, out); anything else is BAD_DTYPE:
 *  - F32, F32, F32, F32
 *  - BF16, BF16, F32 or BF16, F32 or BF16 (binary32 accumulation)
 *  - I8/U8, I8/U8, I32, I8/U8 or I32: a per-tensor quantised; b per-tensor
 *    or per-channel on its last axis (N); bias raw int32 at scale sa * sb;
 *    out quantised per-tensor or per-channel on its last axis, or I32 raw
 *    (qmode NONE, act NONE).
 * MACs reported: batches * M * N * K.
 */
struct vnpu_cmd_gemm {
	struct vnpu_cmd_hdr hdr;
	struct vnpu_tensor a;
	struct vnpu_tensor b;
	struct vnpu_tensor bias;
	struct vnpu_tensor out;
	__u32 act;		/* VNPU_ACT_* */
	__u32 rsvd;
};

/*
 * CONV2D, NHWC: in [N, H, W, C], weight [OC, KH, KW, C / groups] (OHWI),
 * bias [OC] (optional), out [N, OH, OW, OC] with
 *	OH = (H + pad_top + pad_bottom - dil_h * (KH - 1) - 1) / stride_h + 1
 * (and the same for W); out's shape must equal it. groups divides C and OC;
 * groups == C == OC is depthwise. Strides and dilations are >= 1, pads
 * <= VNPU_CONV_MAX_PAD. Padding reads as real zero (zero_point for
 * quantised inputs). Dtypes as for GEMM (weight plays b; per-channel
 * weight and out parameters are on axis 0 of weight and axis 3 of out).
 * MACs reported: N * OH * OW * OC * KH * KW * C / groups.
 */
struct vnpu_cmd_conv2d {
	struct vnpu_cmd_hdr hdr;
	struct vnpu_tensor in;
	struct vnpu_tensor weight;
	struct vnpu_tensor bias;
	struct vnpu_tensor out;
	__u16 stride_h, stride_w;
	__u16 dil_h, dil_w;
	__u16 pad_top, pad_bottom;
	__u16 pad_left, pad_right;
	__u32 groups;
	__u32 act;		/* VNPU_ACT_* */
};

#define VNPU_CONV_MAX_PAD		1024

/*
 * ELTWISE: out = act(a <op> b) with broadcasting: shapes are right-aligned
 * and every dimension of a and b equals out's or is 1. a, b and out have the
 * same dtype (F32, BF16, I8, U8 per-tensor quantised, or I32 with act NONE
 * and no quantisation).
 * I32: ADD/SUB/MUL wrap, DIV truncates toward zero and x / 0 = 0,
 * INT32_MIN / -1 = INT32_MIN. Float division by zero follows IEEE.
 */
struct vnpu_cmd_eltwise {
	struct vnpu_cmd_hdr hdr;
	struct vnpu_tensor a;
	struct vnpu_tensor b;
	struct vnpu_tensor out;
	__u32 op;		/* VNPU_ELT_* */
	__u32 act;		/* VNPU_ACT_* */
};

#define VNPU_ELT_ADD			0
#define VNPU_ELT_SUB			1
#define VNPU_ELT_MUL			2
#define VNPU_ELT_DIV			3
#define VNPU_ELT_MAX			4
#define VNPU_ELT_MIN			5
#define VNPU_ELT_COUNT			6

/*
 * One input, one output, one parameter:
 *  - ACTIVATION: out = f(in), @param = VNPU_ACT_* (not NONE); same shape;
 *    in and out F32, BF16, or per-tensor quantised I8/U8 (same dtype).
 *  - SOFTMAX: along axis @param (< rank); same shape; F32/BF16/I8/U8 as
 *    for ACTIVATION. Computed as exp(x - max) / sum.
 *  - REDUCE: @param = VNPU_RED_* in bits 7:0 and a mask of reduced axes in
 *    bits 11:8 (bit 8 + i = axis i, at least one, < rank); out has in's
 *    rank with the reduced dimensions 1. Dtypes as for ACTIVATION.
 */
struct vnpu_cmd_unary {
	struct vnpu_cmd_hdr hdr;
	struct vnpu_tensor in;
	struct vnpu_tensor out;
	__u32 param;
	__u32 rsvd;
};

#define VNPU_RED_SUM			0
#define VNPU_RED_MEAN			1
#define VNPU_RED_MAX			2
#define VNPU_RED_COUNT			3
#define VNPU_RED_OP_MASK		VNPU_GENMASK(7, 0)
#define VNPU_RED_AXES_MASK		VNPU_GENMASK(11, 8)
#define VNPU_RED_AXES_SHIFT		8

/*
 * LAYERNORM / RMSNORM over the innermost axis (length C):
 *	LAYERNORM: y = (x - mean) / sqrt(var + eps) * gamma + beta
 *	RMSNORM:   y = x / sqrt(mean(x^2) + eps) * gamma + beta
 * (population variance). gamma and beta are optional rank-1 [C] tensors
 * (absent: 1 and 0) of dtype F32 or BF16; eps is binary32 bits, finite and
 * >= 0 (BAD_CMD otherwise). in and out have the same shape and dtype: F32,
 * BF16, or per-tensor quantised I8/U8.
 */
struct vnpu_cmd_norm {
	struct vnpu_cmd_hdr hdr;
	struct vnpu_tensor in;
	struct vnpu_tensor gamma;
	struct vnpu_tensor beta;
	struct vnpu_tensor out;
	__u32 eps;
	__u32 rsvd;
};

/*
 * POOL2D, NHWC: in [N, H, W, C], out [N, OH, OW, C]; OH as for CONV2D with
 * dilation 1. MAX ignores padding; AVG divides by the number of in-bounds
 * elements of the window. GLOBAL_MAX/GLOBAL_AVG pool the whole H x W:
 * kernel, stride and pad fields must be zero and OH = OW = 1. Dtypes as for
 * ACTIVATION; kernel and stride >= 1, pads < kernel.
 */
struct vnpu_cmd_pool2d {
	struct vnpu_cmd_hdr hdr;
	struct vnpu_tensor in;
	struct vnpu_tensor out;
	__u16 kernel_h, kernel_w;
	__u16 stride_h, stride_w;
	__u16 pad_top, pad_bottom;
	__u16 pad_left, pad_right;
	__u32 mode;		/* VNPU_POOL_* */
	__u32 rsvd;
};

#define VNPU_POOL_MAX			0
#define VNPU_POOL_AVG			1
#define VNPU_POOL_GLOBAL_MAX		2
#define VNPU_POOL_GLOBAL_AVG		3
#define VNPU_POOL_COUNT			4

/*
 * Type conversion, same shape (see DOC: Numerics for rounding):
 *  - QUANTIZE: in F32/BF16, out quantised I8/U8/I32 (per-tensor or
 *    per-channel).
 *  - DEQUANTIZE: in quantised I8/U8/I32, out F32/BF16.
 *  - CAST: any dtype to any dtype, value-preserving where representable,
 *    ignoring quantisation (both tensors qmode NONE): float to integer
 *    rounds half to even and saturates (NaN -> 0); F32 to BF16 rounds to
 *    nearest even.
 */
struct vnpu_cmd_convert {
	struct vnpu_cmd_hdr hdr;
	struct vnpu_tensor in;
	struct vnpu_tensor out;
};

/**
 * vnpu_op_cmd_size() - size in bytes of an opcode's command
 * @op: a VNPU_OP_* opcode
 *
 * A command's header must give exactly this length (in 8-byte words).
 *
 * Return: the size of the opcode's command structure, or 0 for an unknown
 * opcode.
 */
static inline __u32 vnpu_op_cmd_size(__u32 op)
{
	switch (op) {
	case VNPU_OP_NOP:
	case VNPU_OP_BARRIER:
		return sizeof(struct vnpu_cmd_nop);
	case VNPU_OP_FILL:
		return sizeof(struct vnpu_cmd_fill);
	case VNPU_OP_COPY:
		return sizeof(struct vnpu_cmd_copy);
	case VNPU_OP_TIMESTAMP:
		return sizeof(struct vnpu_cmd_timestamp);
	case VNPU_OP_SEM_WAIT:
	case VNPU_OP_SEM_SIGNAL:
		return sizeof(struct vnpu_cmd_sem);
	case VNPU_OP_COPY_ND:
		return sizeof(struct vnpu_cmd_copy_nd);
	case VNPU_OP_GEMM:
		return sizeof(struct vnpu_cmd_gemm);
	case VNPU_OP_CONV2D:
		return sizeof(struct vnpu_cmd_conv2d);
	case VNPU_OP_ELTWISE:
		return sizeof(struct vnpu_cmd_eltwise);
	case VNPU_OP_ACTIVATION:
	case VNPU_OP_SOFTMAX:
	case VNPU_OP_REDUCE:
		return sizeof(struct vnpu_cmd_unary);
	case VNPU_OP_LAYERNORM:
	case VNPU_OP_RMSNORM:
		return sizeof(struct vnpu_cmd_norm);
	case VNPU_OP_POOL2D:
		return sizeof(struct vnpu_cmd_pool2d);
	case VNPU_OP_QUANTIZE:
	case VNPU_OP_DEQUANTIZE:
	case VNPU_OP_CAST:
		return sizeof(struct vnpu_cmd_convert);
	}
	return 0;
}

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
 * writes; command fetch also needs EXEC in a context with VNPU_CTX_EXEC);
 * anything else is an MMU fault. VA 0 is never mapped by the driver.
 * A leaf with VNPU_PTE_DEVMEM maps device memory: its address field is an
 * offset into BAR2; a page that is not wholly inside DEVMEM_SIZE is a
 * VNPU_JOB_DMA_ERROR.
 */
struct vnpu_ctx_entry {
	__u64 pgd;		/* guest-physical, 4 KiB aligned */
	__u32 flags;		/* VNPU_CTX_VALID */
	__u32 rsvd;
};

#define VNPU_CTX_VALID			(1u << 0)
/* Command fetch in this context also needs VNPU_PTE_EXEC (opt-in). */
#define VNPU_CTX_EXEC			(1u << 1)
/*
 * A valid entry with other flag bits, a non-zero rsvd or pgd bits outside
 * VNPU_PTE_ADDR_MASK is rejected: its jobs end with VNPU_JOB_BAD_CTX.
 */

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
