/*
 * ext4_tree.c — whole trees in and out of the filesystem: copying a host
 * tree in (sorted, streamed), removing a tree, and the read side (stat,
 * read, readlink, list). Contract in ext4.h.
 */
#include "ext4.h"
#include "ext4_internal.h"
#include "fsutil.h"

#include <dirent.h>

/* ---- copying a host tree in ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in host directory fd (without . and ..), sorted by strcmp. */
static int host_dir_names(int fd, char ***ret_names, size_t *ret_n)
{
	int dfd = dup(fd);
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0;

	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 32;
			names = xrealloc(names, alloc * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
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
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*ret_names = names;
	*ret_n = n;
	return 0;
}

static int copy_at(struct ext4 *e, int host_dirfd, const char *host_name, ext2_ino_t parent,
		   const char *name, struct ext4_dir_fill *fill);

/* Copies the entries of host directory fd into dir; check_existing: dir
 * may already hold entries (then a clash is -EEXIST, before any copy);
 * otherwise dir was just made and is filled (ext4_dir_fill_begin). */
static int copy_dir_entries(struct ext4 *e, int fd, ext2_ino_t dir, bool check_existing)
{
	struct ext4_dir_fill fill, *f = NULL;
	char **names = NULL;
	size_t n = 0;
	ext2_ino_t ino;
	int r = host_dir_names(fd, &names, &n);

	for (size_t i = 0; check_existing && r >= 0 && i < n; i++) {
		r = ext4_errno(ext2fs_lookup(e->fs, dir, names[i], strlen(names[i]), NULL, &ino));
		r = r == -ENOENT ? 0 : r < 0 ? r : -EEXIST;
	}
	if (r >= 0 && !check_existing && n) {
		r = ext4_dir_fill_begin(e, dir, &fill);
		if (r >= 0)
			f = &fill;
		else if (r == -EOPNOTSUPP)
			r = 0;
	}
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = copy_at(e, fd, names[i], dir, names[i], f);
	if (f) {
		int r2 = ext4_dir_fill_end(f);
		r = r < 0 ? r : r2;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int link_new(struct ext4 *e, struct ext4_dir_fill *fill, ext2_ino_t parent,
		    const char *name, ext2_ino_t ino, mode_t type)
{
	return fill ? ext4_dir_fill_link_new(fill, name, ino, type) :
		      ext4_link_new(e, parent, name, ino, type);
}

/* Copies host_dirfd/host_name to name in parent (which has no such entry),
 * through fill when parent is being filled. */
static int copy_at(struct ext4 *e, int host_dirfd, const char *host_name, ext2_ino_t parent,
		   const char *name, struct ext4_dir_fill *fill)
{
	mode_t perm;
	struct stat st;
	ext2_ino_t ino;
	int r;

	if (fstatat(host_dirfd, host_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	perm = st.st_mode & 07777 & ~(mode_t)(S_ISUID | S_ISGID);
	if (S_ISLNK(st.st_mode)) {
		struct strbuf target = STRBUF_INIT;
		strbuf_grow(&target, st.st_size + 1);
		ssize_t n = readlinkat(host_dirfd, host_name, target.buf, target.alloc);
		if (n < 0 || (size_t)n >= target.alloc) {
			strbuf_release(&target);
			return n < 0 ? -errno : -EIO;   /* changed while copied */
		}
		target.buf[n] = '\0';
		r = ext4_new_symlink(e, parent, target.buf, &ino);
		strbuf_release(&target);
		return r < 0 ? r : link_new(e, fill, parent, name, ino, S_IFLNK);
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return -EINVAL;

	_cleanup_close_ int fd = openat(host_dirfd, host_name,
					O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
					(S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		r = ext4_new_file(e, parent, perm, fd, NULL, st.st_size, &ino);
		return r < 0 ? r : link_new(e, fill, parent, name, ino, S_IFREG);
	}
	r = ext4_new_dir(e, parent, perm, &ino);
	if (r >= 0)
		r = link_new(e, fill, parent, name, ino, S_IFDIR);
	if (r >= 0)
		r = copy_dir_entries(e, fd, ino, false);
	return r;
}

int ext4_copy_tree(struct ext4 *e, const char *host_src, const char *dest_path)
{
	_cleanup_free_ char *p = xstrdup(dest_path);
	ext2_ino_t parent, ino;
	const char *name;
	int r;

	if (!e->writable)
		return -EROFS;
	r = ext4_split(e, p, &parent, &name);
	if (r < 0)
		return r;
	if (!*name)
		return -EEXIST;
	r = ext4_errno(ext2fs_lookup(e->fs, parent, name, strlen(name), NULL, &ino));
	if (r != -ENOENT)
		return r < 0 ? r : -EEXIST;
	return copy_at(e, AT_FDCWD, host_src, parent, name, NULL);
}

int ext4_copy_dir_contents(struct ext4 *e, const char *host_dir, const char *dest_dir)
{
	_cleanup_close_ int fd = -1;
	ext2_ino_t dir;
	int r;

	if (!e->writable)
		return -EROFS;
	r = ext4_lookup(e, dest_dir, true, &dir);
	if (r < 0)
		return r;
	fd = open(host_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return copy_dir_entries(e, fd, dir, true);
}

/* ---- an image directory's entries ---- */

/* The entries of an image directory (without . and ..), with their names
 * when want_names is set. */
struct dir_entry {
	ext2_ino_t ino;
	int ftype;
	char *name;
};

struct dir_entries {
	struct dir_entry *v;
	size_t n, alloc;
	bool want_names;
};

static int collect_entry(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int offset,
			 int blocksize, char *buf, void *priv)
{
	struct dir_entries *c = priv;
	int len = ext2fs_dirent_name_len(d);

	if (!d->inode || (len == 1 && d->name[0] == '.') ||
	    (len == 2 && d->name[0] == '.' && d->name[1] == '.'))
		return 0;
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? 2 * c->alloc : 32;
		c->v = xrealloc(c->v, c->alloc * sizeof(*c->v));
	}
	c->v[c->n].ino = d->inode;
	c->v[c->n].ftype = ext2fs_dirent_file_type(d);
	c->v[c->n].name = c->want_names ? xstrndup(d->name, len) : NULL;
	c->n++;
	return 0;
}

static void dir_entries_release(struct dir_entries *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
}

/* ---- removing ---- */

/* Frees directory dir and everything below it. Entries inside are not
 * unlinked one by one: the directory's blocks go with it. */
static int free_dir_tree(struct ext4 *e, ext2_ino_t dir)
{
	struct dir_entries c = { .want_names = false };
	struct ext2_inode_large in;
	int r;

	r = ext4_errno(ext2fs_dir_iterate2(e->fs, dir, 0, NULL, collect_entry, &c));
	for (size_t i = 0; r >= 0 && i < c.n; i++) {
		if (c.v[i].ftype == EXT2_FT_DIR)
			r = free_dir_tree(e, c.v[i].ino);
		else
			r = ext4_drop_link(e, c.v[i].ino);
	}
	dir_entries_release(&c);
	if (r >= 0)
		r = ext4_read_inode(e, dir, &in);
	if (r >= 0)
		r = ext4_free_inode(e, dir, &in);
	return r;
}

int ext4_remove_tree(struct ext4 *e, const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);
	struct ext2_inode_large in, pin;
	ext2_ino_t parent, ino;
	const char *name;
	int r;

	if (!e->writable)
		return -EROFS;
	r = ext4_split(e, p, &parent, &name);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!*name)
		return -EINVAL;   /* not the root */
	r = ext4_errno(ext2fs_lookup(e->fs, parent, name, strlen(name), NULL, &ino));
	if (r == -ENOENT)
		return 0;
	/* temporary names queued for dropping may sit in the tree: sync, which
	 * drops them, before their directories can go */
	if (r >= 0 && e->ndrops)
		r = ext4_flush(e);
	if (r >= 0)
		r = ext4_read_inode(e, ino, &in);
	if (r >= 0)   /* the name goes first: one directory-block write */
		r = ext4_errno(ext2fs_unlink(e->fs, parent, name, ino, 0));
	if (r < 0)
		return r;
	if (!LINUX_S_ISDIR(in.i_mode))
		return ext4_drop_link(e, ino);
	r = ext4_read_inode(e, parent, &pin);
	if (r < 0)
		return r;
	if (pin.i_links_count > 2)   /* 1 means "many" (dir_nlink): stays */
		pin.i_links_count--;
	r = ext4_write_inode(e, parent, &pin);
	return r < 0 ? r : free_dir_tree(e, ino);
}

/* ---- reading ---- */

static mode_t mode_of_ftype(int ftype)
{
	switch (ftype) {
	case EXT2_FT_REG_FILE: return S_IFREG;
	case EXT2_FT_DIR: return S_IFDIR;
	case EXT2_FT_SYMLINK: return S_IFLNK;
	case EXT2_FT_CHRDEV: return S_IFCHR;
	case EXT2_FT_BLKDEV: return S_IFBLK;
	case EXT2_FT_FIFO: return S_IFIFO;
	case EXT2_FT_SOCK: return S_IFSOCK;
	default: return 0;
	}
}

int ext4_stat(struct ext4 *e, const char *path, struct ext4_stat *ret)
{
	struct ext2_inode_large in;
	ext2_ino_t ino;
	int r = ext4_lookup(e, path, false, &ino);

	if (r >= 0)
		r = ext4_read_inode(e, ino, &in);
	if (r < 0)
		return r;
	ret->mode = in.i_mode;
	ret->size = EXT2_I_SIZE(&in);
	ret->ino = ino;
	ret->nlink = in.i_links_count;
	ret->mtime = (int32_t)in.i_mtime + ((int64_t)(in.i_mtime_extra & 3) << 32);
	return 0;
}

/* Appends the contents of inode ino (of size bytes) to out. */
static int read_inode_data(struct ext4 *e, ext2_ino_t ino, uint64_t size, struct strbuf *out)
{
	ext2_file_t f;
	errcode_t err = ext2fs_file_open(e->fs, ino, 0, &f);

	if (err)
		return ext4_errno(err);
	while (!err && size > 0) {
		unsigned int want = size < EXT4_COPY_BUF ? (unsigned)size : EXT4_COPY_BUF, got = 0;
		strbuf_grow(out, want);
		err = ext2fs_file_read(f, out->buf + out->len, want, &got);
		if (!err && got == 0)
			err = EXT2_ET_SHORT_READ;
		out->len += got;
		out->buf[out->len] = '\0';
		size -= got;
	}
	ext2fs_file_close(f);
	return ext4_errno(err);
}

int ext4_read_file(struct ext4 *e, const char *path, struct strbuf *out)
{
	struct ext2_inode_large in;
	ext2_ino_t ino;
	int r = ext4_lookup(e, path, true, &ino);

	if (r >= 0)
		r = ext4_read_inode(e, ino, &in);
	if (r < 0)
		return r;
	if (LINUX_S_ISDIR(in.i_mode))
		return -EISDIR;
	if (!LINUX_S_ISREG(in.i_mode))
		return -EINVAL;
	return read_inode_data(e, ino, EXT2_I_SIZE(&in), out);
}

int ext4_readlink(struct ext4 *e, const char *path, struct strbuf *out)
{
	struct ext2_inode_large in;
	ext2_ino_t ino;
	int r = ext4_lookup(e, path, false, &ino);

	if (r >= 0)
		r = ext4_read_inode(e, ino, &in);
	if (r < 0)
		return r;
	if (!LINUX_S_ISLNK(in.i_mode))
		return -EINVAL;
	if (ext2fs_is_fast_symlink((struct ext2_inode *)&in)) {
		size_t len = EXT2_I_SIZE(&in);
		if (len >= sizeof(in.i_block))
			return -EUCLEAN;
		strbuf_add(out, in.i_block, len);
		return 0;
	}
	return read_inode_data(e, ino, EXT2_I_SIZE(&in), out);
}

static int cmp_entry_names(const void *a, const void *b)
{
	return strcmp(((const struct dir_entry *)a)->name, ((const struct dir_entry *)b)->name);
}

int ext4_list_dir(struct ext4 *e, const char *path, ext4_dir_fn *fn, void *opaque)
{
	struct dir_entries c = { .want_names = true };
	ext2_ino_t ino;
	int r = ext4_lookup(e, path, true, &ino);

	if (r >= 0)
		r = ext4_errno(ext2fs_dir_iterate2(e->fs, ino, 0, NULL, collect_entry, &c));
	if (r >= 0 && c.n)
		qsort(c.v, c.n, sizeof(*c.v), cmp_entry_names);
	for (size_t i = 0; r >= 0 && i < c.n; i++)
		r = fn(opaque, c.v[i].name, mode_of_ftype(c.v[i].ftype));
	dir_entries_release(&c);
	return r < 0 ? r : 0;
}
