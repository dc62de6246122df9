/*
 * deb.c — unpacking a .deb's data.tar into a store path, treating the
 * archive as hostile.
 *
 * A .deb is an ar archive (debian-binary, control.tar.*, data.tar.*). The
 * data.tar member's bytes are streamed out of the outer archive into a second
 * libarchive reader (any compression libarchive knows: xz, zstd, gzip, bzip2,
 * none). kiln does not use archive_write_disk: every file, directory, symlink
 * and hardlink is created with the *at() calls relative to the temporary root,
 * each parent directory opened with O_NOFOLLOW, so no member can be written
 * through a symlink or outside the root. What is refused (the whole package
 * fails and the temporary is removed):
 *   - absolute member names and any ".." component;
 *   - a member whose parent is a symlink or not a directory;
 *   - a symlink whose relative target, resolved lexically from the link's own
 *     directory, climbs above the package root (absolute targets are kept
 *     verbatim: they resolve inside the booted system, and kiln never follows
 *     a link while extracting);
 *   - a hardlink to anything but a regular file already extracted;
 *   - device nodes, FIFOs, sockets; duplicates of a different type;
 *   - any libarchive error (truncated or malformed data), no data.tar at all.
 * Modes: only the x bit survives (files 0644/0755, dirs 0755); the store
 * normalises further.
 */
#include "debian.h"
#include "fsutil.h"
#include "hash.h"

#include <archive.h>
#include <archive_entry.h>

struct unpack {
	const char *pkg;
	struct strbuf *err;
	struct archive *outer;
	char buf[64 * 1024];
	int root_fd;
};

static int refuse(struct unpack *u, const char *member, const char *why)
{
	strbuf_addf(u->err, "package '%s': member '%s': %s", u->pkg, member, why);
	return -EBADMSG;
}

/*
 * Splits a member name into components in *ret (pointers into the copy
 * *ret_copy): "./usr//bin/" -> usr, bin. Refuses absolute names and "..".
 * Zero components means the package root itself.
 */
static int split_member(struct unpack *u, const char *name, char **ret_copy,
			struct path_list *ret)
{
	char *copy, *p, *slash;

	if (name[0] == '/')
		return refuse(u, name, "absolute path refused");
	copy = xstrdup(name);
	for (p = copy; p; p = slash) {
		slash = strchr(p, '/');
		if (slash)
			*slash++ = '\0';
		if (!*p || !strcmp(p, "."))
			continue;
		if (!strcmp(p, "..")) {
			free(copy);
			return refuse(u, name, "'..' component refused");
		}
		path_list_add(ret, p);
	}
	*ret_copy = copy;
	return 0;
}

/* Opens (creating if missing) the directory of comps[0..n) under the root,
 * never following a symlink. Returns an fd or a refusal. */
static int open_parent(struct unpack *u, const char *member, const struct path_list *comps,
		       size_t n, bool create)
{
	int fd = dup(u->root_fd);

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		int next = openat(fd, comps->v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comps->v[i], 0755) < 0 && errno != EEXIST) {
				int r = -errno;
				close(fd);
				return r;
			}
			next = openat(fd, comps->v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int e = errno;
			close(fd);
			if (e == ELOOP || e == ENOTDIR)
				return refuse(u, member, "a parent directory is a symlink or not a directory");
			if (e == ENOENT)
				return refuse(u, member, "links to a member not extracted before it");
			return -e;
		}
		close(fd);
		fd = next;
	}
	return fd;
}

/* Lexically resolves a relative symlink target from the link's directory
 * (depth = number of directories above the link): does it stay inside? */
static bool symlink_target_inside(const char *target, size_t depth)
{
	long d = (long)depth;
	const char *p = target;

	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (--d < 0)
				return false;
		} else if (len && !(len == 1 && p[0] == '.')) {
			d++;
		}
		p = *end ? end + 1 : end;
	}
	return true;
}

/* An existing entry may be replaced only by one of the same type. */
static int make_room(struct unpack *u, const char *member, int dir_fd, const char *last,
		     mode_t type)
{
	struct stat st;

	if (fstatat(dir_fd, last, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if ((st.st_mode & S_IFMT) != type)
		return refuse(u, member, "duplicate member of a different type");
	if (type == S_IFDIR)
		return 1; /* keep the directory and what is in it */
	if (unlinkat(dir_fd, last, 0) < 0)
		return -errno;
	return 0;
}

static int write_data(struct unpack *u, struct archive *a, const char *member, int fd)
{
	for (;;) {
		la_ssize_t n = archive_read_data(a, u->buf, sizeof(u->buf));
		int r;

		if (n == 0)
			return 0;
		if (n < 0) {
			strbuf_addf(u->err, "package '%s': member '%s': %s", u->pkg, member,
				    archive_error_string(a) ? archive_error_string(a) : "read error");
			return -EBADMSG;
		}
		r = write_full(fd, u->buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

static int extract_hardlink(struct unpack *u, const char *member, int dir_fd,
			    const char *last, const char *target)
{
	struct path_list tcomps = PATH_LIST_INIT;
	char *tcopy = NULL;
	struct stat st;
	int tfd = -1, r;

	if (target[0] == '/' || !symlink_target_inside(target, 0)) {
		_cleanup_free_ char *why = xasprintf("hardlink target '%s' is outside the package",
						     target);
		r = refuse(u, member, why);
		goto out;
	}
	r = split_member(u, target, &tcopy, &tcomps);
	if (r < 0)
		goto out;
	if (tcomps.n == 0) {
		r = refuse(u, member, "hardlink to the package root");
		goto out;
	}
	tfd = open_parent(u, member, &tcomps, tcomps.n - 1, false);
	if (tfd < 0) {
		r = tfd;
		goto out;
	}
	if (fstatat(tfd, tcomps.v[tcomps.n - 1], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode)) {
		r = refuse(u, member, "hardlink target is not a regular file extracted before it");
		goto out;
	}
	r = make_room(u, member, dir_fd, last, S_IFREG);
	if (r >= 0 && linkat(tfd, tcomps.v[tcomps.n - 1], dir_fd, last, 0) < 0)
		r = -errno;
out:
	if (tfd >= 0)
		close(tfd);
	free(tcopy);
	path_list_release(&tcomps);
	return r < 0 ? r : 0;
}

static int extract_entry(struct unpack *u, struct archive *a, struct archive_entry *e)
{
	const char *member = archive_entry_pathname(e);
	struct path_list comps = PATH_LIST_INIT;
	char *copy = NULL;
	const char *last;
	mode_t type = archive_entry_filetype(e);
	int dir_fd = -1, fd, r;

	if (!member || !*member)
		return refuse(u, "", "member without a name");
	r = split_member(u, member, &copy, &comps);
	if (r < 0)
		goto out;
	if (comps.n == 0) {
		r = type == AE_IFDIR ? 0 : refuse(u, member, "the package root must be a directory");
		goto out;
	}
	last = comps.v[comps.n - 1];
	dir_fd = open_parent(u, member, &comps, comps.n - 1, true);
	if (dir_fd < 0) {
		r = dir_fd;
		goto out;
	}
	if (archive_entry_hardlink(e)) {
		r = extract_hardlink(u, member, dir_fd, last, archive_entry_hardlink(e));
		goto out;
	}
	switch (type) {
	case AE_IFDIR:
		r = make_room(u, member, dir_fd, last, S_IFDIR);
		if (r == 0 && mkdirat(dir_fd, last, 0755) < 0)
			r = -errno;
		break;
	case AE_IFREG:
		r = make_room(u, member, dir_fd, last, S_IFREG);
		if (r < 0)
			break;
		fd = openat(dir_fd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    (archive_entry_perm(e) & 0111) ? 0755 : 0644);
		if (fd < 0) {
			r = -errno;
			break;
		}
		r = write_data(u, a, member, fd);
		if (close(fd) < 0 && r == 0)
			r = -errno;
		break;
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);

		if (!target || !*target)
			r = refuse(u, member, "symlink without a target");
		else if (target[0] != '/' && !symlink_target_inside(target, comps.n - 1))
			r = refuse(u, member, "symlink target escapes the package");
		else if ((r = make_room(u, member, dir_fd, last, S_IFLNK)) >= 0 &&
			 symlinkat(target, dir_fd, last) < 0)
			r = -errno;
		break;
	}
	default:
		r = refuse(u, member, "device nodes, FIFOs and sockets are refused");
		break;
	}
out:
	if (r < 0 && r != -EBADMSG)
		strbuf_addf(u->err, "package '%s': member '%s': %s", u->pkg, member ? member : "",
			    strerror(-r));
	if (dir_fd >= 0)
		close(dir_fd);
	free(copy);
	path_list_release(&comps);
	return r < 0 ? (r == -EBADMSG ? r : -EIO) : 0;
}

/* libarchive read callback: the inner (data.tar) reader pulls bytes from the
 * current member of the outer (ar) reader. */
static la_ssize_t inner_read(struct archive *inner, void *data, const void **ret_buf)
{
	struct unpack *u = data;
	la_ssize_t n = archive_read_data(u->outer, u->buf, sizeof(u->buf));

	if (n < 0) {
		archive_set_error(inner, EIO, "%s", archive_error_string(u->outer) ?
				  archive_error_string(u->outer) : "truncated .deb");
		return -1;
	}
	*ret_buf = u->buf;
	return n;
}

/* Extracts every member of the data.tar currently under the outer reader. */
static int unpack_data_tar(struct unpack *u, const char *member)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	/* the inner reader's buffer must not be the one extract_entry uses */
	struct unpack inner = *u;
	int r = 0, ar;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open(a, &inner, NULL, inner_read, NULL) != ARCHIVE_OK)
		goto bad;
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		r = extract_entry(u, a, e);
		if (r < 0)
			goto out;
	}
	if (ar == ARCHIVE_EOF)
		goto out;
bad:
	strbuf_addf(u->err, "package '%s': member '%s': %s", u->pkg, member,
		    archive_error_string(a) ? archive_error_string(a) : "malformed archive");
	r = -EBADMSG;
out:
	archive_read_free(a);
	return r;
}

static int unpack_deb(struct unpack *u, const char *deb_path)
{
	struct archive_entry *e;
	bool seen_data = false;
	int r = 0, ar;

	u->outer = archive_read_new();
	archive_read_support_format_ar(u->outer);
	if (archive_read_open_filename(u->outer, deb_path, sizeof(u->buf)) != ARCHIVE_OK)
		goto bad;
	while ((ar = archive_read_next_header(u->outer, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (!name || strncmp(name, "data.tar", 8))
			continue;
		if (seen_data) {
			r = refuse(u, name, "second data.tar member");
			goto out;
		}
		seen_data = true;
		r = unpack_data_tar(u, name);
		if (r < 0)
			goto out;
	}
	if (ar != ARCHIVE_EOF)
		goto bad;
	if (!seen_data) {
		strbuf_addf(u->err, "package '%s': %s: no data.tar member", u->pkg, deb_path);
		r = -EBADMSG;
	}
	goto out;
bad:
	strbuf_addf(u->err, "package '%s': %s: %s", u->pkg, deb_path,
		    archive_error_string(u->outer) ? archive_error_string(u->outer)
						   : "not a .deb (ar) archive");
	r = -EBADMSG;
out:
	archive_read_free(u->outer);
	u->outer = NULL;
	return r;
}

static int check_sha256(const char *deb_path, const char *pkg, const char *expect,
			struct strbuf *err)
{
	uint8_t digest[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	int r = sha256_file(deb_path, digest);

	if (r < 0) {
		strbuf_addf(err, "package '%s': %s: %s", pkg, deb_path, strerror(-r));
		return r;
	}
	hex_encode(digest, SHA256_LEN, hex);
	if (strcmp(hex, expect)) {
		strbuf_addf(err, "package '%s': %s: sha256 %s differs from the pinned %s",
			    pkg, deb_path, hex, expect);
		return -EBADMSG;
	}
	return 0;
}

int deb_unpack(struct store *s, const char *deb_path, const char *pkg,
	       const char *expect_sha256, const char *path, const struct path_list *refs,
	       struct strbuf *err)
{
	struct unpack *u;
	char *tmp;
	int r;

	if (store_is_valid(s, path))
		return 0;
	if (expect_sha256) {
		r = check_sha256(deb_path, pkg, expect_sha256, err);
		if (r < 0)
			return r;
	}
	tmp = store_tmp_name(s);
	if (mkdir(tmp, 0755) < 0) {
		r = -errno;
		strbuf_addf(err, "package '%s': %s: %s", pkg, tmp, strerror(errno));
		free(tmp);
		return r;
	}
	u = xcalloc(1, sizeof(*u));
	u->pkg = pkg;
	u->err = err;
	u->root_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = u->root_fd < 0 ? -errno : unpack_deb(u, deb_path);
	if (u->root_fd >= 0)
		close(u->root_fd);
	free(u);
	if (r < 0) {
		rm_rf(tmp);
	} else {
		r = store_add_commit(s, tmp, path, refs, NULL);
		if (r < 0)
			strbuf_addf(err, "package '%s': adding %s to the store: %s", pkg, path,
				    strerror(-r));
	}
	free(tmp);
	return r;
}
