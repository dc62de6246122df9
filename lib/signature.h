/*
 * signature.h — the installer's interlock: every on-disk signature of a
 * disk, found and wiped with libblkid (the one adapter of libblkid's
 * low-level probing in lib/).
 *
 * Probing enables both the superblock chain (filesystems, RAID and LVM
 * members, swap, crypto) and the partition chain (GPT, MBR, PMBR), asks for
 * every magic and its offset, and walks all of them as wipefs does. The
 * backup GPT header in the last sector is reported on its own, since
 * libblkid names only the header it used. Nothing is written unless
 * signature_wipe() is called, and it writes only to the fd it is given.
 *
 * (The file is not called blkid.h: lib/ is on the include path and would
 * shadow libblkid's own <blkid.h>.)
 */
#ifndef KILN_SIGNATURE_H
#define KILN_SIGNATURE_H

#include "compat.h"
#include "strbuf.h"

struct signature {
	char *type;              /* "ext4", "gpt", "PMBR", "linux_raid_member", "LVM2_member" */
	char *usage;             /* "filesystem", "raid", "partition table", "crypto", "other" */
	uint64_t offset;         /* byte offset of the magic on the disk */
	size_t len;              /* length of the magic */
};

struct signature_list {
	struct signature *v;     /* in the order found */
	size_t n;
};

/* Finds every signature on the disk open at fd (read-only is enough).
 * -errno when libblkid cannot probe the fd. */
int signature_probe(int fd, struct signature_list *ret);

/* Erases every signature on the disk at fd (opened read-write), probing
 * again until none is left. ret_wiped (may be NULL) lists what was erased.
 * The data around the magics is left as it was; the fd is fsync'd. */
int signature_wipe(int fd, struct signature_list *ret_wiped);

void signature_list_release(struct signature_list *l);

/* "ext4 (filesystem) at offset 1080 (0x438)", one per line, each line
 * prefixed with indent. */
void signature_describe(const struct signature_list *l, const char *indent, struct strbuf *out);

#endif
