/*
 * fsutil.h — small file-system and parsing helpers every part uses.
 * All return 0 (or a count) on success and -errno on failure; none prints.
 */
#ifndef KILN_FSUTIL_H
#define KILN_FSUTIL_H

#include "compat.h"
#include "strbuf.h"

/* write(2)/read(2) until done; read_full returns bytes read (short only at EOF). */
int write_full(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len);
/* pwrite/pread loops at a byte offset. */
int pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
int pread_full(int fd, void *buf, size_t len, uint64_t off);

/* Reads a whole file into sb (appending). */
int read_file(const char *path, struct strbuf *sb);
/* Writes a file atomically: temp file beside it, fsync, rename, fsync dir. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* fsync the directory containing path (or path itself when it is a directory). */
int fsync_parent(const char *path);
int fsync_path(const char *path);

/* mkdir -p with mode for created directories. */
int mkdir_p(const char *path, mode_t mode);
/* rm -rf: removes path and everything below it, making read-only
 * directories writable first (store paths are 0555). Missing is success. */
int rm_rf(const char *path);

/* Checked number parsing: the whole string must be a number in range. */
int parse_u64(const char *s, int base, uint64_t *ret);
int parse_int(const char *s, int *ret);
/* Sizes like "2G", "512M", "4096", "1.5G" -> bytes (K/M/G/T are binary units). */
int parse_size(const char *s, uint64_t *ret);

/* Joins two path pieces with exactly one '/' (caller frees). */
char *path_join(const char *a, const char *b);

/* Is s a valid single path component (non-empty, no '/', not "." or "..")? */
bool path_component_ok(const char *s);

#endif
