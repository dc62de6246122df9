/*
 * gpt.h — the GUID partition table, written and read straight on a file
 * descriptor: an image file on the host, a block device in the installer.
 *
 * Layout (512-byte sectors, the only sector size kiln writes): protective MBR
 * at LBA 0 (one 0xEE entry covering the disk, capped at 0xFFFFFFFF sectors),
 * primary header at LBA 1 and its 128-entry array at LBA 2..33, the backup
 * array in the 32 sectors before the last one and the backup header in the
 * last sector. Every header and array carries its CRC32.
 *
 * Sizes and offsets are bytes everywhere in this API; sectors exist only
 * inside gpt.c. GUIDs are in string byte order (see guid.h).
 */
#ifndef KILN_GPT_H
#define KILN_GPT_H

#include "compat.h"
#include "guid.h"

#define GPT_SECTOR_SIZE 512
#define GPT_MAX_PARTS 128
#define GPT_ALIGN (UINT64_C(1) << 20) /* partition starts: 1 MiB */
#define GPT_NAME_UNITS 36             /* UTF-16 code units in an entry's name */
#define GPT_NAME_MAX 108              /* UTF-8 bytes those units can need */

/* Partition attribute bits (UEFI spec). */
#define GPT_ATTR_REQUIRED   (UINT64_C(1) << 0)
#define GPT_ATTR_NO_BLOCK_IO (UINT64_C(1) << 1)
#define GPT_ATTR_LEGACY_BOOT (UINT64_C(1) << 2)

struct gpt_part {
	uint8_t type[GUID_LEN];   /* all zero: an unused entry (the rest is ignored) */
	uint8_t uuid[GUID_LEN];
	uint64_t start, size;     /* bytes; start 1 MiB aligned, size a multiple of 512 */
	uint64_t attrs;
	char name[GPT_NAME_MAX + 1]; /* UTF-8, at most 36 UTF-16 code units */
};

/* gpt_read() sets these in gpt_disk.problems. */
#define GPT_PRIMARY_BAD (1u << 0) /* primary header or array missing or corrupt */
#define GPT_BACKUP_BAD  (1u << 1) /* backup header or array missing or corrupt */

struct gpt_disk {
	uint8_t disk_guid[GUID_LEN];
	uint64_t size;             /* bytes, a multiple of 512 */
	uint32_t mbr_signature;    /* the MBR's disk signature (0x1B8); 0 is fine */
	struct gpt_part parts[GPT_MAX_PARTS]; /* entry i is partition number i+1 */
	size_t nparts;
	unsigned problems;         /* gpt_read() only: GPT_*_BAD bits */
};

/* The first usable byte (after the primary array), the last usable byte
 * (inclusive, before the backup array), the end of the usable area
 * (exclusive), and that end rounded down to GPT_ALIGN — where a partition
 * that fills the disk ends. All 0 for a disk too small to hold a GPT. */
uint64_t gpt_first_usable(uint64_t disk_size);
uint64_t gpt_last_usable(uint64_t disk_size);
uint64_t gpt_usable_end(uint64_t disk_size);
uint64_t gpt_aligned_end(uint64_t disk_size);

/* Checks d without writing: -EINVAL for a size that is not a multiple of 512
 * or too small, too many partitions, an unaligned start, a size
 * that is 0 or not a multiple of 512, a partition outside the usable area,
 * two that overlap, or a name longer than 36 UTF-16 units or not UTF-8. */
int gpt_check(const struct gpt_disk *d);

/* Writes the protective MBR, both headers and both arrays for d (checked as
 * gpt_check does first; nothing is written when that fails). Sector 0 is
 * rewritten whole, so write the GPT before any boot code (biosboot.h). The
 * same d gives the same bytes. The fd must hold d->size bytes (files grow). */
int gpt_write(int fd, const struct gpt_disk *d);

/* Reads the GPT of a disk of disk_size bytes (0: the fd's size, by lseek).
 * Validates signature, header and array CRCs of both copies; uses the primary
 * when it is good, else the backup, and says in ret->problems which were bad.
 * nparts ends at the last used entry; unused ones before it have a zero type
 * (partition numbers are kept). -ENOENT when neither copy has a GPT signature,
 * -EBADMSG when both are corrupt, -errno on I/O errors. */
int gpt_read(int fd, uint64_t disk_size, struct gpt_disk *ret);

/* CRC-32 (IEEE 802.3, as GPT and zlib use): crc = gpt_crc32(0, buf, len),
 * chainable by passing the previous result. */
uint32_t gpt_crc32(uint32_t crc, const void *buf, size_t len);

#endif
