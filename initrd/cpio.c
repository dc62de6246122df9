/*
 * cpio.c — deterministic newc cpio writer and gzip wrapper (see cpio.h).
 *
 * newc header: the magic "070701" and thirteen 8-digit uppercase hex fields
 * (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize, check), then the NUL-terminated name,
 * padded so the data starts at a multiple of 4; the data is padded to 4 too.
 *
 * Why libarchive for gzip: it is already one of kiln's libraries, it runs
 * zlib in-process (no child process, no PATH dependence), and its gzip
 * filter can leave the timestamp out of the header ("!timestamp"), which is
 * what `gzip -n` would give us.
 */
#include "cpio.h"
#include "fsutil.h"

#include <archive.h>
#include <archive_entry.h>

void cpio_init(struct cpio *c, uint32_t mtime)
{
	strbuf_init(&c->out);
	c->next_ino = 1;
	c->mtime = mtime;
	c->finished = false;
}

void cpio_release(struct cpio *c)
{
	strbuf_release(&c->out);
}

static void pad4(struct strbuf *sb)
{
	while (sb->len % 4)
		strbuf_addch(sb, '\0');
}

static bool name_ok(const char *name)
{
	if (!*name || strlen(name) >= PATH_MAX)
		return false;
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 2 && !strncmp(p, "..", 2)) || (n == 1 && *p == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

static int add_entry(struct cpio *c, const char *name, uint32_t mode, uint32_t nlink,
		     const void *data, size_t len, unsigned rmajor, unsigned rminor)
{
	if (c->finished)
		return -EINVAL;
	while (*name == '/')
		name++;
	bool trailer = !strcmp(name, "TRAILER!!!");
	if (!trailer && !name_ok(name))
		return -EINVAL;
	if (len > UINT32_MAX)
		return -EFBIG;
	uint32_t ino = trailer ? 0 : c->next_ino++;
	uint32_t mtime = trailer ? 0 : c->mtime;
	strbuf_addf(&c->out, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08zX%08X",
		    ino, mode, 0u, 0u, nlink, mtime, (uint32_t)len, 0u, 0u,
		    rmajor, rminor, strlen(name) + 1, 0u);
	strbuf_add(&c->out, name, strlen(name) + 1);
	pad4(&c->out);
	if (len)
		strbuf_add(&c->out, data, len);
	pad4(&c->out);
	return 0;
}

int cpio_add_dir(struct cpio *c, const char *name, mode_t perm)
{
	return add_entry(c, name, S_IFDIR | (perm & 07777), 2, NULL, 0, 0, 0);
}

int cpio_add_file(struct cpio *c, const char *name, mode_t perm, const void *data, size_t len)
{
	return add_entry(c, name, S_IFREG | (perm & 07777), 1, data, len, 0, 0);
}

int cpio_add_symlink(struct cpio *c, const char *name, const char *target)
{
	if (!*target)
		return -EINVAL;
	return add_entry(c, name, S_IFLNK | 0777, 1, target, strlen(target), 0, 0);
}

int cpio_add_node(struct cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor)
{
	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return -EINVAL;
	return add_entry(c, name, (mode & S_IFMT) | (mode & 07777), 1, NULL, 0, major, minor);
}

int cpio_add_file_from(struct cpio *c, const char *name, mode_t perm, const char *host_path)
{
	struct strbuf data = STRBUF_INIT;
	int r = read_file(host_path, &data);
	if (r >= 0)
		r = cpio_add_file(c, name, perm, data.buf, data.len);
	strbuf_release(&data);
	return r < 0 ? r : 0;
}

int cpio_finish(struct cpio *c)
{
	int r = add_entry(c, "TRAILER!!!", 0, 1, NULL, 0, 0, 0);
	if (r < 0)
		return r;
	c->finished = true;
	while (c->out.len % 512)
		strbuf_addch(&c->out, '\0');
	return 0;
}

static la_ssize_t append_cb(struct archive *a, void *sb, const void *buf, size_t len)
{
	strbuf_add(sb, buf, len);
	return (la_ssize_t)len;
}

int cpio_gzip(const void *data, size_t len, struct strbuf *out, struct strbuf *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = NULL;
	int r = -EIO;

	if (!a)
		return -ENOMEM;
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_format_raw(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, append_cb, NULL) != ARCHIVE_OK)
		goto out;
	e = archive_entry_new();
	archive_entry_set_pathname(e, "initrd");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		goto out;
	for (size_t off = 0; off < len;) {
		la_ssize_t n = archive_write_data(a, (const char *)data + off, len - off);
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto out;
	r = 0;
out:
	if (r < 0 && err)
		strbuf_addf(err, "gzip: %s", archive_error_string(a) ? archive_error_string(a) : "failed");
	if (e)
		archive_entry_free(e);
	archive_write_free(a);
	return r;
}
