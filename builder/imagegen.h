/*
 * imagegen.h — what the generation commands (switch, generations, rollback,
 * gc, diff) share: opening an image's root with one-line errors, and the
 * grub.cfg writer they hand to lib/generation.c.
 */
#ifndef KILN_IMAGEGEN_H
#define KILN_IMAGEGEN_H

#include "compat.h"
#include "generation.h"
#include "strbuf.h"

/* Opens IMG (read-write when writable) and its root. Prints the error
 * ("IMG: not a kiln image …") itself; returns 0 or -errno (-EMEDIUMTYPE:
 * not a kiln image, -EUCLEAN: needs e2fsck). *ret_fd is closed by
 * imagegen_close. */
int imagegen_open(const char *image, bool writable, struct gen_root *ret, int *ret_fd);
/* Closes root and fd; prints and returns -1 when the final flush failed. */
int imagegen_close(const char *image, struct gen_root *r, int fd);

/* The ops every host edit uses (grub.cfg through bootloader/grub.c). */
struct gen_ops imagegen_ops(void);

/* Prints `kiln generations` lines for l to stdout. */
void imagegen_print_list(const struct gen_list *l);

/* The target's kiln-generation tool for arch as a store path holding
 * bin/kiln-generation (input-addressed by the binary's sha256), for every system's sw/. The
 * binary: $KILN_GENTOOL_DIR/kiln-generation-<arch>, else
 * bootloader/kiln-generation-<arch> beside the kiln binary. -1 with the
 * reason in err. */
int gentool_realise(struct store *s, const char *arch, char **ret_path, struct strbuf *err);
#endif
