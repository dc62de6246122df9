/*
 * refscan.c — finding references: which candidate store paths' hash parts
 * occur in the bytes of a path's files and symlink targets (as Nix scans a
 * build output). A sliding window tracks runs of base32 characters, and each
 * full 32-character window is looked up in the sorted candidate hash parts.
 */
#include "store.h"

#include <dirent.h>

#include "fsutil.h"
#include "strbuf.h"

struct scan {
	char (*parts)[STORE_HASH_LEN + 1]; /* sorted hash parts */
	size_t n;
	bool *found;
	int run;                            /* base32 chars ending at the cursor */
	char window[STORE_HASH_LEN];        /* last STORE_HASH_LEN bytes, ring */
	size_t pos;
};

static int cmp_part(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Nix's base32 alphabet: digits and lowercase letters except e, o, u, t. */
static bool is_base32_char(unsigned char c)
{
	return (c >= '0' && c <= '9') ||
	       (c >= 'a' && c <= 'z' && c != 'e' && c != 'o' && c != 'u' && c != 't');
}

/* Feeds bytes of one file (sc->run is reset per file by the caller). */
static void scan_bytes(struct scan *sc, const unsigned char *p, size_t len)
{
	char key[STORE_HASH_LEN + 1];

	for (size_t i = 0; i < len; i++) {
		sc->window[sc->pos++ % STORE_HASH_LEN] = p[i];
		sc->run = is_base32_char(p[i]) ? sc->run + 1 : 0;
		if (sc->run < STORE_HASH_LEN)
			continue;
		for (size_t k = 0; k < STORE_HASH_LEN; k++)
			key[k] = sc->window[(sc->pos + k) % STORE_HASH_LEN];
		key[STORE_HASH_LEN] = '\0';
		char (*hit)[STORE_HASH_LEN + 1] = bsearch(key, sc->parts, sc->n,
							   sizeof(*sc->parts), cmp_part);
		if (hit)
			sc->found[hit - sc->parts] = true;
	}
}

static int scan_at(struct scan *sc, int at_fd, const char *name)
{
	struct stat st;
	char buf[65536];
	int r = 0;

	if (fstatat(at_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	sc->run = 0; /* a match never spans two files */
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(at_fd, name, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		scan_bytes(sc, (unsigned char *)buf, n);
		return 0;
	}
	int fd = openat(at_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		ssize_t n;
		while ((n = read_full(fd, buf, sizeof(buf))) > 0)
			scan_bytes(sc, (unsigned char *)buf, n);
		r = n < 0 ? (int)n : 0;
		close(fd);
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	DIR *d = fdopendir(fd);
	struct dirent *de;
	if (!d) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = scan_at(sc, dirfd(d), de->d_name);
	closedir(d);
	return r;
}

int store_scan_refs(const struct store *s, const char *real_path,
		    const struct path_list *candidates, struct path_list *ret)
{
	struct scan sc = { 0 };
	struct path_list out = PATH_LIST_INIT;
	int r = 0;

	sc.parts = xcalloc(candidates->n + 1, sizeof(*sc.parts));
	sc.found = xcalloc(candidates->n + 1, sizeof(*sc.found));
	for (size_t i = 0; i < candidates->n; i++) {
		_cleanup_free_ char *part = NULL;
		if (store_path_parse(s->storedir, candidates->v[i], &part, NULL) < 0 ||
		    strlen(part) != STORE_HASH_LEN) {
			r = -EINVAL;
			goto out;
		}
		memcpy(sc.parts[sc.n++], part, STORE_HASH_LEN + 1);
	}
	qsort(sc.parts, sc.n, sizeof(*sc.parts), cmp_part);
	size_t uniq = 0;
	for (size_t i = 0; i < sc.n; i++)
		if (!uniq || strcmp(sc.parts[uniq - 1], sc.parts[i]))
			memmove(sc.parts[uniq++], sc.parts[i], sizeof(*sc.parts));
	sc.n = uniq;
	r = scan_at(&sc, AT_FDCWD, real_path);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < candidates->n; i++) {
		_cleanup_free_ char *part = NULL;
		store_path_parse(s->storedir, candidates->v[i], &part, NULL);
		char (*hit)[STORE_HASH_LEN + 1] = bsearch(part, sc.parts, sc.n,
							   sizeof(*sc.parts), cmp_part);
		if (hit && sc.found[hit - sc.parts])
			path_list_add(&out, candidates->v[i]);
	}
	path_list_sort_uniq(&out);
	*ret = out;
	memset(&out, 0, sizeof(out));
out:
	path_list_release(&out);
	free(sc.parts);
	free(sc.found);
	return r;
}
