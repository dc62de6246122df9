/*
 * storepath.h — store-path computation exactly as Nix does it, parameterised
 * by the store directory (with "/nix/store" kiln's answers equal Nix's).
 *
 *   make_store_path(type, h, name) =
 *     storedir + "/" + base32(compress20(sha256(type ":sha256:" hex(h) ":" storedir ":" name))) + "-" + name
 *
 * type is "source" / "text" followed by ":"-joined sorted references (and
 * ":self" for a self-reference), or "output:out" for fixed-output paths that
 * are not recursive-sha256 and for input-addressed derivation outputs.
 */
#ifndef KILN_STOREPATH_H
#define KILN_STOREPATH_H

#include "compat.h"
#include "hash.h"

#define STORE_HASH_LEN 32 /* base32 chars of the 20-byte hash part */

/* A list of store paths (absolute, e.g. "/kiln/store/abc…-name"). */
struct path_list {
	char **v;
	size_t n, alloc;
};
#define PATH_LIST_INIT { NULL, 0, 0 }
void path_list_add(struct path_list *l, const char *path);    /* copies */
void path_list_sort_uniq(struct path_list *l);
bool path_list_has(const struct path_list *l, const char *path); /* l sorted */
void path_list_release(struct path_list *l);

/* Is name a valid store-path name (Nix's rules: [A-Za-z0-9+-._?=]+, not
 * starting with '.', at most 211 chars)? */
bool store_name_valid(const char *name);

/* The generic constructor above. Caller frees. */
char *make_store_path(const char *storedir, const char *type,
		      const uint8_t hash[SHA256_LEN], const char *name);

/* `nix-store --add DIR` (recursive, sha256, NAR hash as the content hash),
 * with references (may be NULL) and self-reference flag. */
char *store_path_recursive(const char *storedir, const uint8_t nar_hash[SHA256_LEN],
			   const char *name, const struct path_list *refs, bool self_ref);

/* `nix-store --add-fixed sha256 FILE` (flat: sha256 of the file's bytes). */
char *store_path_flat(const char *storedir, const uint8_t file_hash[SHA256_LEN],
		      const char *name);

/* builtins.toFile / text path: type "text" + refs, hash of the contents. */
char *store_path_text(const char *storedir, const char *name, const void *contents,
		      size_t len, const struct path_list *refs);

/* Input-addressed output of one of kiln's derivations: type "output:out",
 * hash = sha256 of the canonical derivation text (see derivation.h). */
char *store_path_input_addressed(const char *storedir, const uint8_t drv_hash[SHA256_LEN],
				 const char *name);

/* Splits "/kiln/store/<hash>-<name>" into its parts; -EINVAL if path is not
 * directly inside storedir or malformed. ret_* may be NULL. Caller frees. */
int store_path_parse(const char *storedir, const char *path, char **ret_hash_part,
		     char **ret_name);

#endif
