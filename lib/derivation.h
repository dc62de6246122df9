/*
 * derivation.h — kiln's derivations and their canonical text.
 *
 * A derivation is a recipe: a type (what builds it: "deb", "system", "etc",
 * "initrd", …), a name, input store paths and string parameters. Its output
 * path is input-addressed: sha256 of the canonical text below, fed to
 * store_path_input_addressed(). The text is the contract for reproducible
 * paths; it must never depend on the machine, the time or any ordering but
 * its own:
 *
 *   kiln-derivation 1\n
 *   type <type>\n
 *   name <name>\n
 *   input <store path>\n        one line per input, sorted bytewise, unique
 *   param <key> <value>\n       one line per parameter, sorted by key bytewise
 *
 * Keys are [a-z0-9_.-]+ and unique; in values '\\' is written "\\\\", newline
 * "\\n", tab "\\t" (so every record is exactly one line). Changing this format
 * changes every path: bump the version on the first line if you ever do.
 */
#ifndef KILN_DERIVATION_H
#define KILN_DERIVATION_H

#include "compat.h"
#include "hash.h"
#include "storepath.h"
#include "strbuf.h"

struct drv_param {
	char *key, *value;
};

struct derivation {
	char *type, *name;
	struct path_list inputs;
	struct drv_param *params;
	size_t nparams, alloc_params;
};

void derivation_init(struct derivation *d, const char *type, const char *name);
void derivation_release(struct derivation *d);
void derivation_add_input(struct derivation *d, const char *path);
/* Adds (or replaces) a parameter; key must match [a-z0-9_.-]+ (-EINVAL otherwise). */
int derivation_set_param(struct derivation *d, const char *key, const char *value);
/* Appends the canonical text to out. */
void derivation_text(const struct derivation *d, struct strbuf *out);
void derivation_hash(const struct derivation *d, uint8_t ret_hash[SHA256_LEN]);
/* The output path in storedir (caller frees). */
char *derivation_output_path(const struct derivation *d, const char *storedir);

#endif
