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

/* Streaming NAR hash: nar_hasher_sink with a struct nar_hasher as the sink
 * of any dump; nar_hasher_done(h, the dump's result, ...) finishes h and
 * writes hash and size only when that result is not an error. */
struct nar_hasher {
	struct sha256_ctx ctx;
	uint64_t size;
};
void nar_hasher_init(struct nar_hasher *h);
int nar_hasher_sink(void *opaque, const void *data, size_t len);
int nar_hasher_done(struct nar_hasher *h, int r, uint8_t ret_hash[SHA256_LEN],
		    uint64_t *ret_size);

/* Writing a NAR from a tree that is not a host directory (an ext4 image,
 * lib/nar_ext4.c): the caller walks it, directory entries in bytewise order,
 * and calls these in NAR order. One serialiser: nar_dump uses them too. */
struct nar_writer;
/* Starts a NAR ("nix-archive-1") into sink. Free with nar_writer_finish. */
struct nar_writer *nar_writer_new(nar_sink_fn sink, void *opaque);
/* Flushes what is pending and frees w; returns the first error. */
int nar_writer_finish(struct nar_writer *w);
/* A regular file: begin (its size), exactly size bytes of data in any
 * number of calls, end. */
int nar_write_file_begin(struct nar_writer *w, bool executable, uint64_t size);
int nar_write_data(struct nar_writer *w, const void *data, size_t len);
int nar_write_file_end(struct nar_writer *w, uint64_t size);
int nar_write_symlink(struct nar_writer *w, const char *target, size_t len);
/* A directory: begin, then per entry nar_write_entry_begin(name), the
 * entry's node, nar_write_end(); then nar_write_end() for the directory. */
int nar_write_dir_begin(struct nar_writer *w);
int nar_write_entry_begin(struct nar_writer *w, const char *name);
int nar_write_end(struct nar_writer *w);

struct ext4;
/* nar_dump of path inside an ext4 filesystem (lib/nar_ext4.c), read
 * through libext2fs: the same bytes nar_dump gives for the mounted tree. */
int nar_dump_ext4(struct ext4 *fs, const char *path, nar_sink_fn sink, void *opaque);
int nar_hash_ext4(struct ext4 *fs, const char *path, uint8_t ret_hash[SHA256_LEN],
		  uint64_t *ret_size);

/* "sha256:<nix base32>", as Nix's registration prints a NAR hash (caller frees). */
char *nar_hash_format(const uint8_t hash[SHA256_LEN]);
/* Parses "sha256:<base32>" or "sha256:<hex>"; -EINVAL otherwise. */
int nar_hash_parse(const char *s, uint8_t ret_hash[SHA256_LEN]);

#endif
