/*
 * cpio.h — a deterministic writer of "newc" cpio archives (the format the
 * Linux kernel unpacks as an initramfs), built in memory.
 *
 * Entries are written in the order they are added: the caller sorts them
 * (parents before children). Everything a host could leak is normalised:
 * inode numbers count up from 1 in that order, uid/gid are 0, every entry
 * has the one mtime given to cpio_init(), nlink is 1 (2 for directories),
 * and only the permission bits the caller passes are kept (& 07777), so the
 * host's umask and owner never reach the bytes.
 *
 *   struct cpio c; cpio_init(&c, mtime);
 *   cpio_add_dir(&c, "dev", 0755); cpio_add_node(&c, "dev/console", S_IFCHR | 0600, 5, 1);
 *   cpio_add_file(&c, "init", 0755, data, len); cpio_finish(&c);
 *   ... c.out.buf / c.out.len ...; cpio_release(&c);
 *
 * Names are stored as given, without a leading "/" (the kernel accepts both;
 * GNU cpio warns about absolute names).
 */
#ifndef KILN_CPIO_H
#define KILN_CPIO_H

#include "compat.h"
#include "strbuf.h"

struct cpio {
	struct strbuf out;  /* the archive so far */
	uint32_t next_ino;
	uint32_t mtime;
	bool finished;
};

/* Starts an empty archive whose entries all carry mtime (seconds). */
void cpio_init(struct cpio *c, uint32_t mtime);
/* Frees the buffer. */
void cpio_release(struct cpio *c);

/* Each returns 0, or -EINVAL for a bad name (empty, "..", too long) or
 * after cpio_finish(). A leading "/" in name is dropped. */
int cpio_add_dir(struct cpio *c, const char *name, mode_t perm);
int cpio_add_file(struct cpio *c, const char *name, mode_t perm, const void *data, size_t len);
int cpio_add_symlink(struct cpio *c, const char *name, const char *target);
/* A device node: type is S_IFCHR or S_IFBLK, or'ed with the permissions. */
int cpio_add_node(struct cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor);
/* Reads a host file and adds it with perm (its own mode is ignored). */
int cpio_add_file_from(struct cpio *c, const char *name, mode_t perm, const char *host_path);

/* Appends the "TRAILER!!!" entry and pads the archive to 512 bytes. */
int cpio_finish(struct cpio *c);

/*
 * gzip-compresses data into out (appending) with no name and a zero
 * timestamp in the gzip header, so equal input gives equal bytes. Uses
 * libarchive's gzip filter (zlib in-process; no gzip child). 0 or -errno;
 * on failure err gets libarchive's message.
 */
int cpio_gzip(const void *data, size_t len, struct strbuf *out, struct strbuf *err);

#endif
