/*
 * nar.c — Nix Archive serialisation, byte-for-byte as `nix-store --dump`.
 *
 * The walker works on directory fds (openat/fstatat), so path length never
 * matters and no path strings are built. Small tokens are gathered in a
 * buffer; file contents go from one large read buffer straight to the sink,
 * so hashing costs one read(2) copy and the sha256 itself.
 *
 * "executable" is written when the owner-execute bit is set: that is the bit
 * Nix tests (S_IXUSR), so a 0645 file is not executable in a NAR.
 */
#include "nar.h"
#include "strbuf.h"

#include <dirent.h>

#define NAR_TOKEN_BUF (64 * 1024)
#define NAR_READ_BUF (256 * 1024)

struct nar_writer {
	nar_sink_fn sink;
	void *opaque;
	uint8_t *tok;      /* pending small writes */
	size_t tok_len;
	uint8_t *data;     /* file-content read buffer (host files) */
	int err;           /* of writing the header */
};

static int nar_flush(struct nar_writer *w)
{
	int r = 0;

	if (w->tok_len)
		r = w->sink(w->opaque, w->tok, w->tok_len);
	w->tok_len = 0;
	return r;
}

static int nar_put(struct nar_writer *w, const void *p, size_t len)
{
	if (len > NAR_TOKEN_BUF - w->tok_len) {
		int r = nar_flush(w);
		if (r < 0)
			return r;
		if (len > NAR_TOKEN_BUF)
			return w->sink(w->opaque, p, len);
	}
	memcpy(w->tok + w->tok_len, p, len);
	w->tok_len += len;
	return 0;
}

static int nar_put_u64(struct nar_writer *w, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	return nar_put(w, le, sizeof(le));
}

static int nar_put_pad(struct nar_writer *w, uint64_t len)
{
	static const uint8_t zero[8];

	return len % 8 ? nar_put(w, zero, 8 - len % 8) : 0;
}

static int nar_put_bytes(struct nar_writer *w, const void *p, size_t len)
{
	int r = nar_put_u64(w, len);

	if (r >= 0)
		r = nar_put(w, p, len);
	if (r >= 0)
		r = nar_put_pad(w, len);
	return r;
}

static int nar_put_str(struct nar_writer *w, const char *s)
{
	return nar_put_bytes(w, s, strlen(s));
}

/* Several string tokens in a row; the list ends with NULL. */
static int nar_put_strs(struct nar_writer *w, ...)
{
	va_list ap;
	const char *s;
	int r = 0;

	va_start(ap, w);
	while (r >= 0 && (s = va_arg(ap, const char *)))
		r = nar_put_str(w, s);
	va_end(ap);
	return r;
}

/* ---- the writer, in NAR order (nar.h) ---- */

struct nar_writer *nar_writer_new(nar_sink_fn sink, void *opaque)
{
	struct nar_writer *w = xcalloc(1, sizeof(*w));

	w->sink = sink;
	w->opaque = opaque;
	w->tok = xmalloc(NAR_TOKEN_BUF);
	w->err = nar_put_str(w, "nix-archive-1");
	return w;
}

int nar_writer_finish(struct nar_writer *w)
{
	int r = w->err;

	if (r >= 0)
		r = nar_flush(w);
	free(w->tok);
	free(w->data);
	free(w);
	return r < 0 ? r : 0;
}

int nar_write_file_begin(struct nar_writer *w, bool executable, uint64_t size)
{
	int r = nar_put_strs(w, "(", "type", "regular", NULL);

	if (r >= 0 && executable)
		r = nar_put_strs(w, "executable", "", NULL);
	if (r >= 0)
		r = nar_put_str(w, "contents");
	if (r >= 0)
		r = nar_put_u64(w, size);
	if (r >= 0)
		r = nar_flush(w);
	return r;
}

int nar_write_data(struct nar_writer *w, const void *data, size_t len)
{
	return len ? w->sink(w->opaque, data, len) : 0;
}

int nar_write_file_end(struct nar_writer *w, uint64_t size)
{
	int r = nar_put_pad(w, size);

	return r < 0 ? r : nar_put_str(w, ")");
}

int nar_write_symlink(struct nar_writer *w, const char *target, size_t len)
{
	int r = nar_put_strs(w, "(", "type", "symlink", "target", NULL);

	if (r >= 0)
		r = nar_put_bytes(w, target, len);
	return r < 0 ? r : nar_put_str(w, ")");
}

int nar_write_dir_begin(struct nar_writer *w)
{
	return nar_put_strs(w, "(", "type", "directory", NULL);
}

int nar_write_entry_begin(struct nar_writer *w, const char *name)
{
	return nar_put_strs(w, "entry", "(", "name", name, "node", NULL);
}

int nar_write_end(struct nar_writer *w)
{
	return nar_put_str(w, ")");
}

/* ---- host directories ---- */

static int nar_regular(struct nar_writer *w, int dfd, const char *name)
{
	_cleanup_close_ int fd = -1;
	uint64_t left;
	struct stat fst;
	int r;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &fst) < 0)
		return -errno;
	if (!S_ISREG(fst.st_mode))
		return -EINVAL; /* replaced under us */
	left = (uint64_t)fst.st_size;
	if (left > NAR_READ_BUF) /* a syscall per small file is not worth it */
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	r = nar_write_file_begin(w, fst.st_mode & S_IXUSR, left);
	while (r >= 0 && left > 0) {
		size_t want = left < NAR_READ_BUF ? (size_t)left : NAR_READ_BUF;
		ssize_t n = read(fd, w->data, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* shrank while we read it */
		r = nar_write_data(w, w->data, (size_t)n);
		left -= (uint64_t)n;
	}
	return r < 0 ? r : nar_write_file_end(w, (uint64_t)fst.st_size);
}

static int nar_symlink(struct nar_writer *w, int dfd, const char *name,
		       const struct stat *st)
{
	size_t size = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;

	for (;;) {
		_cleanup_free_ char *target = xmalloc(size);
		ssize_t n = readlinkat(dfd, name, target, size);
		if (n < 0)
			return -errno;
		if ((size_t)n < size)
			return nar_write_symlink(w, target, (size_t)n);
		size *= 2;
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b); /* bytewise: unsigned */
}

/* The sorted entry names of an open directory (closes nothing). */
static int nar_list_dir(int fd, char ***ret_names, size_t *ret_n)
{
	int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	char **names = NULL;
	size_t n = 0, alloc = 0;
	DIR *d;
	struct dirent *de;

	if (dupfd < 0)
		return -errno;
	d = fdopendir(dupfd);
	if (!d) {
		int r = -errno;
		close(dupfd);
		return r;
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			names = xrealloc(names, alloc * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
		errno = 0;
	}
	if (errno) {
		int r = -errno;
		closedir(d);
		while (n)
			free(names[--n]);
		free(names);
		return r;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*ret_names = names;
	*ret_n = n;
	return 0;
}

static int nar_node(struct nar_writer *w, int dfd, const char *name);

static int nar_directory(struct nar_writer *w, int dfd, const char *name)
{
	_cleanup_close_ int fd = -1;
	char **names = NULL;
	size_t n = 0, i;
	int r;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = nar_list_dir(fd, &names, &n);
	if (r < 0)
		return r;
	r = nar_write_dir_begin(w);
	for (i = 0; i < n && r >= 0; i++) {
		r = nar_write_entry_begin(w, names[i]);
		if (r >= 0)
			r = nar_node(w, fd, names[i]);
		if (r >= 0)
			r = nar_write_end(w);
	}
	if (r >= 0)
		r = nar_write_end(w);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int nar_node(struct nar_writer *w, int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		return nar_regular(w, dfd, name);
	if (S_ISLNK(st.st_mode))
		return nar_symlink(w, dfd, name, &st);
	if (S_ISDIR(st.st_mode))
		return nar_directory(w, dfd, name);
	return -EINVAL; /* device, fifo or socket: not representable */
}

int nar_dump(const char *path, nar_sink_fn sink, void *opaque)
{
	struct nar_writer *w;
	int r;

	if (!path || !*path)
		return -EINVAL;
	w = nar_writer_new(sink, opaque);
	w->data = xmalloc(NAR_READ_BUF);
	r = nar_node(w, AT_FDCWD, path);
	if (r < 0)
		w->err = r;
	return nar_writer_finish(w);
}

void nar_hasher_init(struct nar_hasher *h)
{
	sha256_init(&h->ctx);
	h->size = 0;
}

int nar_hasher_sink(void *opaque, const void *data, size_t len)
{
	struct nar_hasher *h = opaque;

	sha256_update(&h->ctx, data, len);
	h->size += len;
	return 0;
}

int nar_hasher_done(struct nar_hasher *h, int r, uint8_t ret_hash[SHA256_LEN],
		    uint64_t *ret_size)
{
	uint8_t digest[SHA256_LEN];

	sha256_final(&h->ctx, digest);
	if (r < 0)
		return r;
	if (ret_hash)
		memcpy(ret_hash, digest, SHA256_LEN);
	if (ret_size)
		*ret_size = h->size;
	return 0;
}

int nar_hash_path(const char *path, uint8_t ret_hash[SHA256_LEN], uint64_t *ret_size)
{
	struct nar_hasher h;

	nar_hasher_init(&h);
	return nar_hasher_done(&h, nar_dump(path, nar_hasher_sink, &h), ret_hash, ret_size);
}

char *nar_hash_format(const uint8_t hash[SHA256_LEN])
{
	char b32[SHA256_B32_LEN + 1];

	nix_base32_encode(hash, SHA256_LEN, b32);
	return xasprintf("sha256:%s", b32);
}

int nar_hash_parse(const char *s, uint8_t ret_hash[SHA256_LEN])
{
	uint8_t h[SHA256_LEN];
	size_t len;
	int r;

	if (!s || strncmp(s, "sha256:", 7) != 0)
		return -EINVAL;
	s += 7;
	len = strlen(s);
	if (len == SHA256_B32_LEN)
		r = nix_base32_decode(s, h, SHA256_LEN);
	else if (len == SHA256_HEX_LEN)
		r = hex_decode(s, h, SHA256_LEN);
	else
		r = -EINVAL;
	if (r < 0)
		return r;
	memcpy(ret_hash, h, SHA256_LEN);
	return 0;
}
