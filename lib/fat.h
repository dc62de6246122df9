/*
 * fat.h — the ESP: a FAT16 or FAT32 filesystem built straight into a byte
 * range of an fd (image file or block device), with no mount and no mtools,
 * so the installer writes it with the same code as `kiln image`.
 *
 * Why kiln writes FAT itself rather than running mformat/mcopy: the disk
 * writer must run inside the installer's initrd, which carries no mtools, and
 * a few hundred lines give byte-for-byte control of what lands in the image.
 *
 * Deterministic: entries sorted by name (byte order), one fixed timestamp for
 * every entry, the caller's volume id, no random and no clock. 512-byte
 * sectors, two FATs, media 0xF8. FAT16 below 512 MiB, FAT32 from there (or
 * forced), the cluster size from Microsoft's FAT specification tables,
 * adjusted so the cluster count is valid for the type (FAT16: 4085..65524,
 * FAT32: >= 65525). Every file and directory gets contiguous clusters, in
 * depth-first name order; free clusters are not touched. fat.c writes,
 * fat_read.c reads.
 *
 * Names are printable ASCII, up to 255 characters per component. A name
 * that is already an uppercase 8.3 name ("BOOTX64.EFI") gets one directory
 * entry; any other ("grub.cfg", "grubenv", "kiln-generation-1") gets VFAT
 * long-name entries and a generated 8.3 alias ("GRUB.CFG", "KILN-G~1").
 */
#ifndef KILN_FAT_H
#define KILN_FAT_H

#include "compat.h"

struct fat_params {
	uint32_t volume_id;  /* the serial blkid shows as UUID; derive it from a seed */
	char label[12];      /* at most 11 characters of the 8.3 set (lowercase is
			      * uppercased); "" for none ("NO NAME") */
	int64_t mtime;       /* seconds since the epoch (SOURCE_DATE_EPOCH), UTC, for
			      * every entry; clamped to 1980-01-01..2107-12-31 */
	unsigned fat_bits;   /* 0: by size (FAT16 below 512 MiB); 16 or 32 to force */
};

struct fat_file {
	const char *path;    /* "EFI/BOOT/BOOTX64.EFI": parents are created implicitly;
			      * ending in '/' ("EFI/kiln/"): an empty directory */
	const void *data;
	size_t len;
};

/* Builds a filesystem in [offset, offset + size) of fd holding files (in any
 * order). offset and size must be multiples of 512. A regular file shorter
 * than offset + size is extended. Errors, before anything is written:
 * -EINVAL bad parameters, path or name; -EEXIST a path given twice (names
 * compare case-insensitively, as FAT does); -ENOTDIR a file used as a
 * directory; -ENOSPC the files do not fit (or FAT16's 512 root entries);
 * -EFBIG a file of 4 GiB or more. -errno on I/O errors. */
int fat_build(int fd, uint64_t offset, uint64_t size, const struct fat_params *p,
	      const struct fat_file *files, size_t nfiles);

/* Rewrites the contents of an existing file in the FAT12/16/32 filesystem at
 * offset, in place (e.g. GRUB's 1024-byte grubenv), following its cluster
 * chain. path is looked up case-insensitively by long or 8.3 name. -ENOENT no
 * such file, -EISDIR a directory, -EMSGSIZE len differs from the file's size,
 * -EBADMSG a filesystem that does not make sense. */
int fat_overwrite_file(int fd, uint64_t offset, const char *path, const void *data,
		       size_t len);

/* Reads an existing file's contents into *ret_data (caller frees; *ret_len
 * its size), with the same lookup and errors as fat_overwrite_file(). */
int fat_read_file(int fd, uint64_t offset, const char *path, void **ret_data,
		  size_t *ret_len);

#endif
