/*
 * ext4_file.c — inodes, files and symlinks (contract in ext4.h; directory
 * entries are ext4_dir.c's).
 */
#include "ext4.h"
#include "ext4_internal.h"
#include "fsutil.h"

/* ---- times and inodes ---- */

/* ext4 keeps seconds as a signed 32-bit value plus two epoch bits in _extra. */
static void set_time(int64_t t, __u32 *lo, __u32 *extra)
{
	uint32_t low = (uint32_t)t;
	*lo = low;
	*extra = (uint32_t)(((t - (int64_t)(int32_t)low) >> 32) & 3);
}

static void inode_set_times(struct ext4 *e, struct ext2_inode_large *in, bool all)
{
	set_time(e->timestamp, &in->i_ctime, &in->i_ctime_extra);
	if (!all)
		return;
	set_time(e->timestamp, &in->i_mtime, &in->i_mtime_extra);
	set_time(e->timestamp, &in->i_atime, &in->i_atime_extra);
	set_time(e->timestamp, &in->i_crtime, &in->i_crtime_extra);
}

void ext4_inode_init(struct ext4 *e, struct ext2_inode_large *in, mode_t mode)
{
	memset(in, 0, sizeof(*in));
	in->i_mode = mode;
	in->i_links_count = 1;
	in->i_extra_isize = sizeof(*in) - EXT2_GOOD_OLD_INODE_SIZE;
	inode_set_times(e, in, true);
}

int ext4_read_inode(struct ext4 *e, ext2_ino_t ino, struct ext2_inode_large *in)
{
	memset(in, 0, sizeof(*in));
	return ext4_errno(ext2fs_read_inode_full(e->fs, ino, (struct ext2_inode *)in, sizeof(*in)));
}

int ext4_write_inode(struct ext4 *e, ext2_ino_t ino, struct ext2_inode_large *in)
{
	return ext4_errno(ext2fs_write_inode_full(e->fs, ino, (struct ext2_inode *)in, sizeof(*in)));
}

int ext4_file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EXT2_FT_REG_FILE;
	case S_IFDIR: return EXT2_FT_DIR;
	case S_IFLNK: return EXT2_FT_SYMLINK;
	case S_IFCHR: return EXT2_FT_CHRDEV;
	case S_IFBLK: return EXT2_FT_BLKDEV;
	case S_IFIFO: return EXT2_FT_FIFO;
	case S_IFSOCK: return EXT2_FT_SOCK;
	default: return EXT2_FT_UNKNOWN;
	}
}

/* A directory whose entries changed gets the current timestamp. */
int ext4_touch_dir(struct ext4 *e, ext2_ino_t dir)
{
	struct ext2_inode_large in, want;
	int r = ext4_read_inode(e, dir, &in);
	if (r < 0)
		return r;
	want = in;
	set_time(e->timestamp, &want.i_mtime, &want.i_mtime_extra);
	inode_set_times(e, &want, false);
	if (!memcmp(&want, &in, sizeof(in)))
		return 0;
	return ext4_write_inode(e, dir, &want);
}

static int alloc_inode(struct ext4 *e, ext2_ino_t parent, mode_t mode, ext2_ino_t *ret)
{
	return ext4_errno(ext2fs_new_inode(e->fs, parent, mode, NULL, ret));
}

int ext4_new_dir(struct ext4 *e, ext2_ino_t parent, mode_t mode, ext2_ino_t *ret)
{
	struct ext2_inode_large in;
	ext2_ino_t ino;
	int r;

	r = alloc_inode(e, parent, LINUX_S_IFDIR | 0755, &ino);
	if (r < 0)
		return r;
	/* with no name, ext2fs_mkdir makes the inode and raises parent's links */
	r = ext4_errno(ext2fs_mkdir(e->fs, parent, ino, NULL));
	if (r < 0)
		return r;
	r = ext4_read_inode(e, ino, &in);
	if (r < 0)
		return r;
	in.i_mode = LINUX_S_IFDIR | (mode & 07777);
	inode_set_times(e, &in, true);
	r = ext4_write_inode(e, ino, &in);
	if (r < 0)
		return r;
	*ret = ino;
	return 0;
}

int ext4_new_symlink(struct ext4 *e, ext2_ino_t parent, const char *target, ext2_ino_t *ret)
{
	ext2_ino_t ino;
	int r;

	if (!*target)
		return -ENOENT;   /* as symlink(2) */
	if (strlen(target) >= e->fs->blocksize)
		return -ENAMETOOLONG;
	r = alloc_inode(e, parent, LINUX_S_IFLNK | 0777, &ino);
	if (r < 0)
		return r;
	/* times come from fs->now (= the timestamp) through write_new_inode */
	r = ext4_errno(ext2fs_symlink(e->fs, parent, ino, NULL, target));
	if (r < 0)
		return r;
	*ret = ino;
	return 0;
}

/* Copies one extent's worth of file data to its physical blocks. */
static int write_extent(struct ext4 *e, const struct ext2fs_extent *ex, int fd,
			const uint8_t *data, uint64_t size, uint8_t *buf)
{
	uint64_t bs = e->fs->blocksize;
	uint64_t pos = ex->e_lblk * bs;
	uint64_t end = (ex->e_lblk + (uint64_t)ex->e_len) * bs;
	blk64_t pblk = ex->e_pblk;

	if (end > size)
		end = size;
	while (pos < end) {
		uint64_t n = end - pos < EXT4_COPY_BUF ? end - pos : EXT4_COPY_BUF;
		uint64_t nblk = (n + bs - 1) / bs;
		const void *src = buf;
		errcode_t err;

		if (fd >= 0) {
			int r = pread_full(fd, buf, n, pos);
			if (r < 0)
				return r;   /* -EIO: the file shrank while copied */
		} else if (n % bs == 0) {
			src = data + pos;
		} else {
			memcpy(buf, data + pos, n);
		}
		if (n % bs)
			memset(buf + n, 0, nblk * bs - n);
		err = io_channel_write_blk64(e->fs->io, pblk, (int)nblk, src);
		if (err)
			return ext4_errno(err);
		pos += n;
		pblk += nblk;
	}
	return 0;
}

/* Allocates size bytes of blocks for ino (contiguous where the allocator
 * can) and writes the data straight to them in large chunks. */
static int write_data(struct ext4 *e, ext2_ino_t ino, struct ext2_inode_large *in, int fd,
		      const void *data, uint64_t size)
{
	ext2_filsys fs = e->fs;
	blk64_t nblocks = (size + fs->blocksize - 1) / fs->blocksize, seen = 0;
	ext2_extent_handle_t h = NULL;
	struct ext2fs_extent ex, next;
	_cleanup_free_ uint8_t *buf = xmalloc(nblocks * fs->blocksize < EXT4_COPY_BUF ?
					      nblocks * fs->blocksize : EXT4_COPY_BUF);
	errcode_t err;
	int r;

	/* ext2fs_fallocate() that runs out midway keeps what it took: check
	 * first, with room for extent-tree blocks (340 extents per 4 KiB) */
	if (nblocks + nblocks / 256 + 2 > ext2fs_free_blocks_count(fs->super))
		return -ENOSPC;
	err = ext2fs_fallocate(fs, EXT2_FALLOCATE_FORCE_INIT, ino, (struct ext2_inode *)in,
			       ~0ULL, 0, nblocks);
	if (err)
		return ext4_errno(err);
	err = ext2fs_extent_open2(fs, ino, (struct ext2_inode *)in, &h);
	if (!err)
		err = ext2fs_extent_goto(h, 0);
	if (!err)
		err = ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &ex);
	while (!err) {
		if (ex.e_flags & EXT2_EXTENT_FLAGS_LEAF) {
			r = write_extent(e, &ex, fd, data, size, buf);
			if (r < 0) {
				ext2fs_extent_free(h);
				return r;
			}
			seen += ex.e_len;
		}
		err = ext2fs_extent_get(h, EXT2_EXTENT_NEXT_LEAF, &next);
		if (!err && next.e_lblk <= ex.e_lblk)
			err = EXT2_ET_EXTENT_NO_NEXT;
		ex = next;
	}
	if (h)
		ext2fs_extent_free(h);
	if (err != EXT2_ET_EXTENT_NO_NEXT)
		return ext4_errno(err);
	return seen == nblocks ? 0 : -EIO;
}

int ext4_new_file(struct ext4 *e, ext2_ino_t parent, mode_t mode, int fd, const void *data,
		  uint64_t size, ext2_ino_t *ret)
{
	struct ext2_inode_large in;
	ext2_extent_handle_t h;
	ext2_ino_t ino;
	int r;

	r = alloc_inode(e, parent, LINUX_S_IFREG | (mode & 07777), &ino);
	if (r < 0)
		return r;
	ext4_inode_init(e, &in, LINUX_S_IFREG | (mode & 07777));
	r = ext4_errno(ext2fs_inode_size_set(e->fs, (struct ext2_inode *)&in, size));
	if (r < 0)
		return r;
	/* opening an extent handle on an empty inode writes the extent header */
	r = ext4_errno(ext2fs_extent_open2(e->fs, ino, (struct ext2_inode *)&in, &h));
	if (r < 0)
		return r;
	ext2fs_extent_free(h);
	r = ext4_write_inode(e, ino, &in);
	if (r < 0)
		return r;
	ext2fs_inode_alloc_stats2(e->fs, ino, +1, 0);
	if (size > 0) {
		r = write_data(e, ino, &in, fd, data, size);
		if (r >= 0)
			r = ext4_write_inode(e, ino, &in);
		if (r < 0) {
			ext4_free_inode(e, ino, &in);
			return r;
		}
	}
	*ret = ino;
	return 0;
}

int ext4_free_inode(struct ext4 *e, ext2_ino_t ino, struct ext2_inode_large *in)
{
	ext2_filsys fs = e->fs;
	struct ext2_inode *ip = (struct ext2_inode *)in;
	blk64_t acl;
	errcode_t err;

	if (ext2fs_inode_has_valid_blocks2(fs, ip)) {
		err = ext2fs_punch(fs, ino, ip, NULL, 0, ~0ULL);
		if (err)
			return ext4_errno(err);
	}
	acl = ext2fs_file_acl_block(fs, ip);
	if (acl) {
		__u32 count = 0;
		err = ext2fs_adjust_ea_refcount3(fs, acl, NULL, -1, &count, ino);
		if (err)
			return ext4_errno(err);
		if (count == 0)
			ext2fs_block_alloc_stats2(fs, acl, -1);
		ext2fs_file_acl_block_set(fs, ip, 0);
	}
	in->i_links_count = 0;
	in->i_dtime = (__u32)e->timestamp;
	inode_set_times(e, in, false);
	ext2fs_inode_alloc_stats2(fs, ino, -1, LINUX_S_ISDIR(in->i_mode));
	return ext4_write_inode(e, ino, in);
}

int ext4_drop_link(struct ext4 *e, ext2_ino_t ino)
{
	struct ext2_inode_large in;
	int r = ext4_read_inode(e, ino, &in);
	if (r < 0)
		return r;
	if (in.i_links_count > 1) {
		in.i_links_count--;
		inode_set_times(e, &in, false);
		return ext4_write_inode(e, ino, &in);
	}
	return ext4_free_inode(e, ino, &in);
}

/* Looks name up in dir: 0 and *ret_ino, or -ENOENT. */
static int lookup_in(struct ext4 *e, ext2_ino_t dir, const char *name, ext2_ino_t *ret_ino)
{
	return ext4_errno(ext2fs_lookup(e->fs, dir, name, strlen(name), NULL, ret_ino));
}

/* ---- directories, files, symlinks ---- */

static int check_writable(struct ext4 *e)
{
	return e->writable ? 0 : -EROFS;
}

/* Is ino a directory, following a symlink? *ret_dir is the directory. */
static int resolve_dir(struct ext4 *e, ext2_ino_t parent, ext2_ino_t ino, ext2_ino_t *ret_dir)
{
	struct ext2_inode_large in;
	int r = ext4_errno(ext2fs_follow_link(e->fs, EXT2_ROOT_INO, parent, ino, &ino));
	if (r >= 0)
		r = ext4_read_inode(e, ino, &in);
	if (r < 0)
		return r;
	if (!LINUX_S_ISDIR(in.i_mode))
		return -ENOTDIR;
	*ret_dir = ino;
	return 0;
}

int ext4_mkdir_p(struct ext4 *e, const char *path, mode_t mode)
{
	_cleanup_free_ char *p = xstrdup(path);
	ext2_ino_t cur = EXT2_ROOT_INO, ino;
	char *save = NULL;
	int r = check_writable(e);

	if (r < 0)
		return r;
	if (path[0] != '/')
		return -EINVAL;
	for (char *c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!path_component_ok(c))
			return -EINVAL;
		r = lookup_in(e, cur, c, &ino);
		if (r == -ENOENT) {
			r = ext4_new_dir(e, cur, mode, &ino);
			if (r >= 0)
				r = ext4_link_new(e, cur, c, ino, S_IFDIR);
		} else if (r >= 0) {
			r = resolve_dir(e, cur, ino, &ino);
		}
		if (r < 0)
			return r;
		cur = ino;
	}
	return 0;
}

/* Links a freshly made inode as path's last component (which must not
 * exist); frees the inode when it could not be given a name. */
static int install(struct ext4 *e, ext2_ino_t parent, const char *name, ext2_ino_t ino,
		   mode_t type)
{
	struct ext2_inode_large in;
	ext2_ino_t old;
	int r = lookup_in(e, parent, name, &old);

	if (r == -ENOENT)
		return ext4_link_new(e, parent, name, ino, type);
	if (r >= 0)
		r = -EEXIST;
	if (ext4_read_inode(e, ino, &in) >= 0)
		ext4_free_inode(e, ino, &in);
	return r;
}

/* -EISDIR when name in parent is a directory, -EEXIST when it exists and
 * replace is false; 0 otherwise. Checked before any inode is made. */
static int check_target(struct ext4 *e, ext2_ino_t parent, const char *name, bool replace)
{
	struct ext2_inode_large in;
	ext2_ino_t ino;
	int r = lookup_in(e, parent, name, &ino);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!replace)
		return -EEXIST;
	r = ext4_read_inode(e, ino, &in);
	if (r < 0)
		return r;
	return LINUX_S_ISDIR(in.i_mode) ? -EISDIR : 0;
}

/* Makes the inode for path: a regular file holding data (mode S_IFREG |
 * permissions) or a symlink to the string data (mode S_IFLNK), unlinked;
 * its parent directory and name in *ret_parent and name. */
static int make_inode(struct ext4 *e, char *p, mode_t mode, const void *data, size_t len,
		      bool replace, ext2_ino_t *ret_parent, const char **name, ext2_ino_t *ret)
{
	bool link = S_ISLNK(mode);
	int r = check_writable(e);

	if (r >= 0)
		r = ext4_split(e, p, ret_parent, name);
	if (r >= 0 && !**name)
		r = link ? -EEXIST : -EISDIR;
	if (r >= 0 && strlen(*name) > EXT2_NAME_LEN)
		r = -ENAMETOOLONG;
	if (r >= 0)
		r = check_target(e, *ret_parent, *name, replace);
	if (r >= 0)
		r = link ? ext4_new_symlink(e, *ret_parent, data, ret)
			 : ext4_new_file(e, *ret_parent, mode, -1, data, len, ret);
	return r;
}

/* Stages path's new inode under its temporary name; with new_direct, a
 * path that does not exist yet is simply created (*ret: ino 0, nothing to
 * commit). */
static int stage(struct ext4 *e, const char *path, mode_t mode, const void *data, size_t len,
		 bool new_direct, struct ext4_staged *ret)
{
	_cleanup_free_ char *p = xstrdup(path);
	char tmp[EXT4_TEMP_NAME_MAX];
	const char *name;
	ext2_ino_t parent, ino, old;
	int r = make_inode(e, p, mode, data, len, true, &parent, &name, &ino);

	if (r < 0)
		return r;
	if (new_direct && lookup_in(e, parent, name, &old) == -ENOENT) {
		*ret = (struct ext4_staged){ .ino = 0 };
		return install(e, parent, name, ino, mode & S_IFMT);
	}
	ext4_temp_name(ino, tmp);
	r = ext4_link_new(e, parent, tmp, ino, mode & S_IFMT);
	if (r < 0)
		return r;
	*ret = (struct ext4_staged){ .parent = parent, .ino = ino, .type = mode & S_IFMT,
				     .sync = e->syncs };
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	return 0;
}

int ext4_stage_file(struct ext4 *e, const char *path, const void *data, size_t len, mode_t mode,
		    struct ext4_staged *ret)
{
	return stage(e, path, S_IFREG | (mode & 07777), data, len, false, ret);
}

int ext4_stage_symlink(struct ext4 *e, const char *path, const char *target,
		       struct ext4_staged *ret)
{
	return stage(e, path, S_IFLNK, target, 0, false, ret);
}

int ext4_commit(struct ext4 *e, const struct ext4_staged *st)
{
	char tmp[EXT4_TEMP_NAME_MAX];
	int r = 0;

	if (!st->ino)
		return 0;   /* created directly */
	if (st->sync == e->syncs)
		r = ext4_flush(e);   /* the staged inode and its name are durable */
	ext4_temp_name(st->ino, tmp);
	return r < 0 ? r : ext4_install_staged(e, st->parent, st->name, tmp, st->ino, st->type);
}

int ext4_write_file(struct ext4 *e, const char *path, const void *data, size_t len, mode_t mode)
{
	struct ext4_staged st;
	int r = stage(e, path, S_IFREG | (mode & 07777), data, len, true, &st);
	return r < 0 ? r : ext4_commit(e, &st);
}

int ext4_symlink(struct ext4 *e, const char *path, const char *target)
{
	_cleanup_free_ char *p = xstrdup(path);
	const char *name;
	ext2_ino_t parent, ino;
	int r = make_inode(e, p, S_IFLNK, target, 0, false, &parent, &name, &ino);
	return r < 0 ? r : install(e, parent, name, ino, S_IFLNK);
}

int ext4_replace_symlink(struct ext4 *e, const char *path, const char *target)
{
	struct ext4_staged st;
	int r = stage(e, path, S_IFLNK, target, 0, true, &st);
	return r < 0 ? r : ext4_commit(e, &st);
}
