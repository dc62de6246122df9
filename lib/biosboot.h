/*
 * biosboot.h — GRUB's BIOS boot sectors written straight onto a disk fd, as
 * grub-bios-setup would for a GPT disk with a BIOS boot partition (which
 * refuses image files: "guessing the root device failed").
 *
 * MBR (sector 0) = GRUB's boot.img with the disk's own bytes 0x03–0x59 (BPB)
 * and 0x1B8–0x1FD (disk signature + protective MBR table) kept, the u64 LE LBA
 * of core.img's first sector at 0x5C, and "90 90" at 0x66 (the hard-disk
 * case). core.img goes to the BIOS boot partition; its first sector (diskboot)
 * gets the u64 LE LBA of its second sector at 0x1F4 and the u16 LE count of
 * the remaining sectors at 0x1FC. GRUB caps an embedded core at 888 sectors.
 * Offsets in bytes; the partition must start on a sector boundary.
 */
#ifndef KILN_BIOSBOOT_H
#define KILN_BIOSBOOT_H

#include "compat.h"

#define BIOSBOOT_MAX_CORE_SECTORS 888

/* Writes boot_img (512 bytes) into sector 0, keeping the existing MBR's BPB
 * and partition table (write the GPT first), and core_img at part_offset.
 * -EINVAL for a wrong boot.img size, -EFBIG when core.img does not fit in
 * part_size or in GRUB's 888-sector limit. */
int biosboot_write(int fd, const void *boot_img, size_t boot_len, const void *core_img,
		   size_t core_len, uint64_t part_offset, uint64_t part_size);

#endif
