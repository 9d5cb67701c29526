/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Input format of the vnpu engine fuzz target, shared with the seed
 * generator:
 *   byte 0       mapping mode: & 3 selects the device's chunk size
 *                (0: whole ranges, 1: 4 KiB pages, 2: 24 bytes, 3: 8 bytes)
 *   bytes 1-2    command buffer size (little-endian; rounded down to a
 *                multiple of 8 and to what the input holds)
 *   then         the command buffer, placed at FUZZ_CMD_VA
 *   the rest     copied to the start of the data area at FUZZ_DATA_VA
 * The data area is FUZZ_DATA_SIZE bytes; its last FUZZ_RO_SIZE bytes are
 * read-only, and every other VA faults.
 */
#ifndef FUZZ_ENGINE_H
#define FUZZ_ENGINE_H

#define FUZZ_CMD_VA	0x10000ull
#define FUZZ_CMD_MAX	4096u
#define FUZZ_DATA_VA	0x100000ull
#define FUZZ_DATA_SIZE	(64u << 10)
#define FUZZ_RO_SIZE	4096u

#endif /* FUZZ_ENGINE_H */
