/*
 * hashcache.h — the NAR hash of a regular file, remembered by its stat
 * identity (device, inode, size, mode, mtime and ctime to the nanosecond)
 * in a small text file, as git's index remembers blob hashes. For the
 * programs every build puts into the store by their bytes (the stage-1
 * init, kiln-generation): hashing them cost a no-op build 4 ms of its 12.
 *
 * A file changed within CACHE_RACY_SECONDS of being hashed is not
 * remembered (a second write in the same timestamp tick would go unseen);
 * any change to a remembered file changes its ctime, which the kernel sets
 * and nobody can set back. The cache file is rewritten whole through a
 * rename and not fsynced: losing or tearing it costs one hash, and a line
 * that does not parse is ignored.
 */
#ifndef KILN_HASHCACHE_H
#define KILN_HASHCACHE_H

#include "compat.h"
#include "hash.h"

/* NAR hash and NAR size of the regular file path (as nar_hash_path gives),
 * from cache_file when its entry still describes the file, else computed
 * and remembered there. cache_file NULL: no cache. -errno on failure;
 * a cache that cannot be read or written is no failure. */
int hashcache_nar_file(const char *cache_file, const char *path, uint8_t ret_hash[SHA256_LEN],
		       uint64_t *ret_size);

#endif
