/*
 * mkinitrd.h — building the initrd: the stage-1 init, the kernel modules the
 * root device needs, and a few extra files, as a gzip-compressed newc cpio.
 *
 * Layout of the archive (every entry sorted by path, parents first, all
 * owned by root, mtime = spec->mtime):
 *   /init                          the static stage-1 init (initrd/init*.c)
 *   /dev /proc /sys /run /sysroot  empty mount points
 *   /dev/console                   c 5 1, so the kernel hands /init a console
 *   /lib/modules/<kver>/...ko      selected modules, decompressed
 *   /lib/modules/load-order        one absolute .ko path per line, in load order
 *   extra files (e.g. /sbin/e2fsck from e2fsck-static)
 * The same spec gives the same bytes on any host (see cpio.h).
 * (Named mkinitrd, not initrd.c: the Makefile builds initrd/init*.c for the
 * targets only.)
 */
#ifndef KILN_MKINITRD_H
#define KILN_MKINITRD_H

#include "compat.h"
#include "strbuf.h"

struct initrd_file {
	const char *host_path;   /* read from the build host */
	const char *initrd_path; /* absolute path inside the initrd */
	mode_t mode;             /* permission bits (0755 for programs) */
};

struct initrd_spec {
	const char *init_path;           /* the static init binary for the target */
	const char *kernel_tree;         /* unpacked kernel package, or NULL for no modules */
	const char *const *modules;      /* explicitly requested modules (missing = error) */
	size_t nmodules;
	bool default_modules;            /* also the kmod_default_names (missing = note) */
	const struct initrd_file *files; /* extra files */
	size_t nfiles;
	uint64_t mtime;                  /* SOURCE_DATE_EPOCH of every entry */
	struct strbuf *notes;            /* optional: one line per skipped module */
};

/*
 * Writes the compressed initrd to out_path atomically (mode 0444).
 * 0, or -errno with a one-line reason in err; nothing is left at out_path
 * on failure.
 */
int initrd_build(const struct initrd_spec *spec, const char *out_path, struct strbuf *err);

/*
 * The uncompressed cpio of the same initrd, for callers that compress or
 * inspect it themselves (appended to ret_cpio).
 */
int initrd_build_cpio(const struct initrd_spec *spec, struct strbuf *ret_cpio, struct strbuf *err);

#endif
