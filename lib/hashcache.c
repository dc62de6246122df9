/*
 * hashcache.c — NAR hashes of regular files remembered by stat identity
 * (why and the rules: hashcache.h).
 *
 * One line per file, tab-separated:
 *   <path> <dev> <ino> <size> <mode> <mtime-ns> <ctime-ns> <nar-size> <nar-hash-hex>
 * newest first, at most CACHE_ENTRIES lines.
 */
#include "hashcache.h"
#include "fsutil.h"
#include "nar.h"
#include "strbuf.h"

#include <time.h>

#define CACHE_ENTRIES 32
#define CACHE_RACY_SECONDS 2
#define FIELDS 9

struct ident {
	uint64_t dev, ino, size, mode, mtime_ns, ctime_ns;
};

static void ident_of(const struct stat *st, struct ident *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mode = st->st_mode;
	id->mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
	id->ctime_ns = (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec;
}

static void format_line(struct strbuf *sb, const char *path, const struct ident *id,
			uint64_t nar_size, const uint8_t hash[SHA256_LEN])
{
	char hex[SHA256_HEX_LEN + 1];

	hex_encode(hash, SHA256_LEN, hex);
	strbuf_addf(sb, "%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
		    "\t%" PRIu64 "\t%" PRIu64 "\t%s\n", path, id->dev, id->ino, id->size,
		    id->mode, id->mtime_ns, id->ctime_ns, nar_size, hex);
}

/* Parses line (modified in place) into its path, identity, NAR size and
 * hash; false if it is malformed. */
static bool parse_line(char *line, const char **path, struct ident *id, uint64_t *nar_size,
		       uint8_t hash[SHA256_LEN])
{
	char *f[FIELDS];
	size_t n = 0;
	uint64_t *num[] = { &id->dev, &id->ino, &id->size, &id->mode, &id->mtime_ns,
			    &id->ctime_ns, nar_size };

	for (char *p = line; n < FIELDS; n++) {
		f[n] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n != FIELDS - 1 || !*f[0])
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(num); i++)
		if (parse_u64(f[i + 1], 10, num[i]) < 0)
			return false;
	*path = f[0];
	return hex_decode(f[FIELDS - 1], hash, SHA256_LEN) == 0;
}

int hashcache_nar_file(const char *cache_file, const char *path, uint8_t ret_hash[SHA256_LEN],
		       uint64_t *ret_size)
{
	struct strbuf old = STRBUF_INIT, out = STRBUF_INIT;
	struct ident want, have;
	struct stat st;
	size_t kept = 1;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (strpbrk(path, "\t\n"))
		cache_file = NULL; /* not representable in a line */
	ident_of(&st, &want);
	if (cache_file && read_file(cache_file, &old) == 0) {
		for (char *line = old.buf, *next; line && *line; line = next) {
			const char *p;
			uint64_t size;
			uint8_t hash[SHA256_LEN];
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			if (!parse_line(line, &p, &have, &size, hash))
				continue;
			if (strcmp(p, path) != 0) {
				if (kept++ < CACHE_ENTRIES)
					format_line(&out, p, &have, size, hash);
				continue;
			}
			if (!memcmp(&have, &want, sizeof(want))) {
				memcpy(ret_hash, hash, SHA256_LEN);
				*ret_size = size;
				strbuf_release(&old);
				strbuf_release(&out);
				return 0;
			}
		}
	}
	strbuf_release(&old);

	r = nar_hash_path(path, ret_hash, ret_size);
	/* remembered only if the file did not change while hashed and is not racy */
	if (r == 0 && cache_file && stat(path, &st) == 0) {
		time_t now = time(NULL);
		ident_of(&st, &have);
		if (!memcmp(&have, &want, sizeof(want)) &&
		    st.st_mtim.tv_sec + CACHE_RACY_SECONDS < now &&
		    st.st_ctim.tv_sec + CACHE_RACY_SECONDS < now) {
			struct strbuf all = STRBUF_INIT;
			format_line(&all, path, &want, *ret_size, ret_hash);
			strbuf_add(&all, out.buf, out.len);
			_cleanup_free_ char *tmp = xasprintf("%s.%d.tmp", cache_file, (int)getpid());
			_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd >= 0 && write_full(fd, all.buf, all.len) == 0 && rename(tmp, cache_file) == 0)
				tmp[0] = '\0';
			if (tmp[0])
				unlink(tmp);
			strbuf_release(&all);
		}
	}
	strbuf_release(&out);
	return r;
}
