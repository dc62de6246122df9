/*
 * nar.h — the Nix Archive (NAR) serialisation of a file-system tree, and its
 * sha256 (the "NAR hash"), byte-for-byte what `nix-store --dump` writes and
 * `nix-hash --type sha256` prints.
 *
 * Format: strings are u64 LE length + bytes + zero padding to 8; "nix-archive-1",
 * then a node "(" "type" regular|symlink|directory ... ")"; regular files carry
 * "executable" "" when the owner x bit is set (S_IXUSR: what Nix tests, so 0654
 * is not executable); directory entries are sorted by name bytewise. Only
 * regular files, symlinks and directories are allowed (-EINVAL for devices,
 * sockets, fifos).
 */
#ifndef KILN_NAR_H
#define KILN_NAR_H

#include "compat.h"
#include "hash.h"

/* Receives NAR bytes in order; returns 0 or -errno to abort the dump. */
typedef int (*nar_sink_fn)(void *opaque, const void *data, size_t len);

/* Serialises path (not following a top-level symlink) to sink. */
int nar_dump(const char *path, nar_sink_fn sink, void *opaque);

/* NAR hash and NAR size of path. */
int nar_hash_path(const char *path, uint8_t ret_hash[SHA256_LEN], uint64_t *ret_size);

/* "sha256:<nix base32>", as Nix's registration prints a NAR hash (caller frees). */
char *nar_hash_format(const uint8_t hash[SHA256_LEN]);
/* Parses "sha256:<base32>" or "sha256:<hex>"; -EINVAL otherwise. */
int nar_hash_parse(const char *s, uint8_t ret_hash[SHA256_LEN]);

#endif
