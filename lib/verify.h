/*
 * verify.h — is a kiln root consistent? Read-only checks of an image's (or a
 * mounted root's) registry, store, generations and boot menu: what
 * `kiln verify --image` runs after a crash or before shipping an image.
 * Nothing is written. Each problem goes to a callback as one line naming
 * the path or generation; lib/ prints nothing.
 *
 * Checks, in order:
 *   registry  parses (every line's checksum; a dropped torn line is an
 *             error on a root, whose registry is replaced whole); every
 *             reference of a record is registered
 *   store     every registered path exists under /kiln/store and (unless
 *             quick) its NAR hash and NAR size are the registry's; an
 *             entry of /kiln/store no record names is a note, not an error
 *             (left by an interrupted copy; gc removes it)
 *   profiles  every system-N-link names a registered system whose
 *             `closure` file lists only registered paths, with the
 *             registry's NAR hashes; `system` names an existing
 *             system-N-link
 *   boot      grub.cfg's default entry (the last top-level
 *             set default='gen-N' before the entries, else the first entry)
 *             boots a registered, complete system and reads its kernel and
 *             initrd from registered paths; grubenv, when present, is a
 *             1024-byte GRUB environment block. A default that differs from
 *             the profiles' is a note (an interrupted edit: the next one
 *             rewrites grub.cfg).
 */
#ifndef KILN_VERIFY_H
#define KILN_VERIFY_H

#include "compat.h"
#include "generation.h"

/* One problem: is_error false for a note. line has no newline. */
typedef void verify_report_fn(void *opaque, bool is_error, const char *line);

struct verify_result {
	size_t paths;        /* registered paths */
	size_t generations;  /* system-N-link entries */
	size_t errors;
	size_t notes;
};

/* Runs every check on r, reporting each problem. Returns 0 when the checks
 * ran (ret->errors == 0: consistent), -errno when the root could not be read
 * at all. */
int verify_root(struct gen_root *r, bool quick, verify_report_fn *report, void *opaque,
		struct verify_result *ret);

#endif
