/*
 * install.h — one unattended install (or recovery) onto an open disk: the
 * part of the installer that does not care whether the disk is a block
 * device in the installer's init or an image file in a test.
 *
 * Steps, each announced as a human line and a KILN-EVENT line (events.h):
 *   plan        which disk, its size, the mode, the partitions (what is
 *               kept, what is rewritten) and the signatures found on it
 *   (refusal)   a disk with signatures and wipe off, a recovery that cannot
 *               keep its data partition: "failed", nothing written
 *   (dry run)   stops after the plan: "done" with dry_run true
 *   wipe        the signatures erased (libblkid, this fd only)
 *   verify      each closure path's NAR hash checked in the source store
 *   partition   the GPT
 *   copy        bytes of the closure copied, percent, rate
 *   bootloader  the ESP and BIOS boot code, written last by disk_write
 *   done        system path and disk; or failed with the reason
 * The install log (every human line) lands in /var/log/kiln-install.log on
 * the new root after the bootloader.
 */
#ifndef KILN_INSTALL_H
#define KILN_INSTALL_H

#include "compat.h"
#include "disk.h"
#include "strbuf.h"

struct install_request {
	int fd;                   /* the target disk, read-write */
	const char *disk;         /* its name for people ("/dev/vda") */
	uint64_t disk_size;       /* bytes */
	bool wipe;                /* erase signatures instead of refusing */
	bool recover;             /* keep the data partition (recover.h) */
	bool dry_run;             /* plan only */
	bool verify;              /* NAR-verify each closure path before copying */
	struct disk_layout layout; /* size is set from disk_size */
	const struct disk_content *content;
	/* seconds since some fixed point, for rates; NULL: no rates */
	double (*clock)(void);
};

/* Receives each step: a human line (no newline) and its event line. */
typedef void (*install_emit_fn)(void *opaque, const char *human, const char *event);

/* Runs the install; returns 0 (done, or dry run) or -errno after a
 * "failed" event. Nothing is written before the plan is emitted, and
 * nothing at all on refusal or in a dry run. */
int install_run(const struct install_request *rq, install_emit_fn emit, void *opaque);

#endif
