/*
 * ext4.c — errors, paths, and making, opening and closing the filesystem
 * (the module's contract is in ext4.h; inodes, files and symlinks are in
 * ext4_file.c, whole trees in ext4_tree.c, the I/O in ext4_io.c).
 */
#include "ext4.h"
#include "ext4_internal.h"
#include "fsutil.h"

#include <linux/fs.h>
#include <sys/ioctl.h>

#define JOURNAL_SMALL (4u << 20)   /* bytes, filesystems under 128 MiB */
#define JOURNAL_LARGE (16u << 20)

int ext4_errno(errcode_t err)
{
	if (!err)
		return 0;
	if (err > 0 && err < 4096)   /* a plain errno (ours or libext2fs's) */
		return -(int)err;
	switch (err) {
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	case EXT2_ET_DIR_NO_SPACE:
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_TOOSMALL:
	case EXT2_ET_RES_GDT_BLOCKS:
	case EXT2_ET_TOO_MANY_INODES:
		return -ENOSPC;
	case EXT2_ET_FILE_NOT_FOUND:
		return -ENOENT;
	case EXT2_ET_DIR_EXISTS:
	case EXT2_ET_FILE_EXISTS:
		return -EEXIST;
	case EXT2_ET_NO_DIRECTORY:
		return -ENOTDIR;
	case EXT2_ET_SYMLINK_LOOP:
		return -ELOOP;
	case EXT2_ET_RO_FILSYS:
		return -EROFS;
	case EXT2_ET_FILE_TOO_BIG:
		return -EFBIG;
	case EXT2_ET_BAD_MAGIC:
		return -EMEDIUMTYPE;
	case EXT2_ET_UNSUPP_FEATURE:
	case EXT2_ET_RO_UNSUPP_FEATURE:
	case EXT2_ET_UNIMPLEMENTED:
		return -EOPNOTSUPP;
	case EXT2_ET_INVALID_ARGUMENT:
	case EXT2_ET_BAD_DEVICE_NAME:
		return -EINVAL;
	case EXT2_ET_SHORT_READ:
	case EXT2_ET_SHORT_WRITE:
		return -EIO;
	default:
		/* checksum failures, corrupt directories, extents, bitmaps... */
		return -EUCLEAN;
	}
}

/* ---- paths ---- */

int ext4_split(struct ext4 *e, char *path, ext2_ino_t *ret_parent, const char **ret_name)
{
	struct ext2_inode_large in;
	ext2_ino_t parent;
	size_t len = strlen(path);
	char *slash;
	int r;

	if (path[0] != '/')
		return -EINVAL;
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (len == 1) {
		*ret_parent = EXT2_ROOT_INO;
		*ret_name = "";
		return 0;
	}
	slash = strrchr(path, '/');
	*slash = '\0';
	if (!path_component_ok(slash + 1))
		return -EINVAL;
	if (slash == path)
		parent = EXT2_ROOT_INO;
	else {
		r = ext4_errno(ext2fs_namei_follow(e->fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &parent));
		if (r < 0)
			return r;
	}
	r = ext4_read_inode(e, parent, &in);
	if (r < 0)
		return r;
	if (!LINUX_S_ISDIR(in.i_mode))
		return -ENOTDIR;
	*ret_parent = parent;
	*ret_name = slash + 1;
	return 0;
}

int ext4_lookup(struct ext4 *e, const char *path, bool follow, ext2_ino_t *ret)
{
	_cleanup_free_ char *p = xstrdup(path);
	ext2_ino_t parent;
	const char *name;
	int r = ext4_split(e, p, &parent, &name);

	if (r < 0)
		return r;
	if (!*name) {
		*ret = EXT2_ROOT_INO;
		return 0;
	}
	r = ext4_errno(ext2fs_lookup(e->fs, parent, name, strlen(name), NULL, ret));
	if (r < 0 || !follow)
		return r;
	return ext4_errno(ext2fs_follow_link(e->fs, EXT2_ROOT_INO, parent, *ret, ret));
}

/* ---- create, open, close ---- */

static int check_range(int fd, uint64_t offset, uint64_t size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		uint64_t dev_size;
		if (ioctl(fd, BLKGETSIZE64, &dev_size) < 0)
			return -errno;
		return dev_size < offset + size ? -ENOSPC : 0;
	}
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size < offset + size && ftruncate(fd, (off_t)(offset + size)) < 0)
		return -errno;
	return 0;
}

static struct ext4 *ext4_alloc(int fd, uint64_t offset, int64_t timestamp)
{
	struct ext4 *e = xcalloc(1, sizeof(*e));
	e->io.fd = fd;
	e->io.offset = offset;
	e->timestamp = timestamp;
	ext4_io_name(&e->io, e->name, sizeof(e->name));
	return e;
}

static void ext4_free(struct ext4 *e)
{
	if (e->fs)
		ext2fs_free(e->fs);
	free(e->drops);
	free(e);
}

static void fill_super_params(const struct ext4_params *p, struct ext2_super_block *sb)
{
	uint32_t bs = p->block_size ? p->block_size : 4096;
	uint64_t blocks = p->size / bs;

	memset(sb, 0, sizeof(*sb));
	sb->s_rev_level = EXT2_DYNAMIC_REV;
	sb->s_log_block_size = (bs == 1024) ? 0 : (bs == 2048) ? 1 : 2;
	ext2fs_blocks_count_set(sb, blocks);
	ext2fs_r_blocks_count_set(sb, blocks * p->reserved_percent / 100);
	sb->s_inodes_count = p->inodes ? p->inodes : (uint32_t)(p->size / 16384);
	if (sb->s_inodes_count < 1024)
		sb->s_inodes_count = 1024;
	sb->s_inode_size = 256;
	sb->s_desc_size = EXT2_MIN_DESC_SIZE_64BIT;
	sb->s_log_groups_per_flex = 4;
	sb->s_default_mount_opts = EXT2_DEFM_XATTR_USER | EXT2_DEFM_ACL;
	sb->s_feature_compat = EXT2_FEATURE_COMPAT_EXT_ATTR | EXT2_FEATURE_COMPAT_RESIZE_INODE |
			       EXT2_FEATURE_COMPAT_DIR_INDEX;
	sb->s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_EXTENTS |
				 EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG;
	sb->s_feature_ro_compat = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |
				  EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
				  EXT4_FEATURE_RO_COMPAT_HUGE_FILE |
				  EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
				  EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE |
				  EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
}

/* The superblock fields mke2fs sets after ext2fs_initialize, from p. */
static void set_super_identity(struct ext4 *e, const struct ext4_params *p)
{
	struct ext2_super_block *sb = e->fs->super;

	e->fs->now = p->timestamp;
	sb->s_mkfs_time = sb->s_lastcheck = (__u32)p->timestamp;
	memcpy(sb->s_uuid, p->uuid, sizeof(sb->s_uuid));
	memcpy(sb->s_hash_seed, p->hash_seed, sizeof(sb->s_hash_seed));
	sb->s_def_hash_version = EXT2_HASH_HALF_MD4;
	sb->s_flags &= ~(EXT2_FLAGS_SIGNED_HASH | EXT2_FLAGS_UNSIGNED_HASH);
	sb->s_flags |= EXT2_FLAGS_SIGNED_HASH;
	sb->s_max_mnt_count = -1;
	sb->s_checkinterval = 0;
	sb->s_kbytes_written = 0;
	memset(sb->s_volume_name, 0, sizeof(sb->s_volume_name));
	if (p->label)
		memcpy(sb->s_volume_name, p->label, strlen(p->label));
	sb->s_checksum_type = EXT2_CRC32C_CHKSUM;
	ext2fs_init_csum_seed(e->fs);
}

/* Zeroes the boot sectors before the superblock, every inode table, and
 * the last 64 KiB (old RAID superblocks), as mke2fs does without lazy init. */
static int zero_metadata(struct ext4 *e)
{
	ext2_filsys fs = e->fs;
	uint64_t bs = fs->blocksize, blocks = ext2fs_blocks_count(fs->super);
	uint64_t tail = 65536 / bs;
	int r;

	r = ext4_io_zero_range(&e->io, 0, 1024);
	for (dgrp_t g = 0; r >= 0 && g < fs->group_desc_count; g++) {
		r = ext4_io_zero_range(&e->io, ext2fs_inode_table_loc(fs, g) * bs,
				       (uint64_t)fs->inode_blocks_per_group * bs);
		ext2fs_bg_flags_set(fs, g, EXT2_BG_INODE_ZEROED);
	}
	if (r >= 0 && blocks > 2 * tail) {
		uint64_t start = (blocks & ~(tail - 1)) - tail;
		r = ext4_io_zero_range(&e->io, start * bs, (blocks - start) * bs);
	}
	return r;
}

/* Root, lost+found, reserved inodes 1..10, bad-block and resize inodes. */
static int make_special_inodes(struct ext4 *e)
{
	ext2_filsys fs = e->fs;
	struct ext2_inode_large in;
	ext2_ino_t lpf;
	int r;

	memset(&in, 0, sizeof(in));
	for (ext2_ino_t ino = 1; ino < EXT2_FIRST_INO(fs->super); ino++) {
		r = ext4_errno(ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)&in,
						       sizeof(in)));
		if (r < 0)
			return r;
	}
	fs->umask = 022;
	r = ext4_errno(ext2fs_mkdir(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, NULL));
	if (r < 0)
		return r;
	r = ext4_new_dir(e, EXT2_ROOT_INO, 0700, &lpf);
	if (r >= 0)
		r = ext4_link_new(e, EXT2_ROOT_INO, "lost+found", lpf, S_IFDIR);
	for (uint32_t size = fs->blocksize; r >= 0 && size < 16384; size += fs->blocksize)
		r = ext4_errno(ext2fs_expand_dir(fs, lpf));
	if (r < 0)
		return r;
	for (ext2_ino_t ino = EXT2_ROOT_INO + 1; ino < EXT2_FIRST_INO(fs->super); ino++)
		ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	ext2fs_mark_inode_bitmap2(fs->inode_map, EXT2_BAD_INO);
	ext2fs_inode_alloc_stats2(fs, EXT2_BAD_INO, +1, 0);
	r = ext4_errno(ext2fs_update_bb_inode(fs, NULL));
	if (r >= 0)
		r = ext4_errno(ext2fs_create_resize_inode(fs));
	return r;
}

static int add_journal(struct ext4 *e, const struct ext4_params *p)
{
	ext2_filsys fs = e->fs;
	struct ext2fs_journal_params jp = { 0, 0 };
	uint64_t bytes = p->size < (128u << 20) ? JOURNAL_SMALL : JOURNAL_LARGE;

	jp.num_journal_blocks = p->journal_blocks ? p->journal_blocks : bytes / fs->blocksize;
	return ext4_errno(ext2fs_add_journal_inode3(fs, &jp, ~0ULL, EXT2_MKJOURNAL_NO_MNT_CHECK));
}

int ext4_create(int fd, uint64_t offset, const struct ext4_params *p, struct ext4 **ret)
{
	uint32_t bs = p->block_size ? p->block_size : 4096;
	struct ext2_super_block param;
	struct ext4 *e;
	int r;

	if ((bs != 1024 && bs != 2048 && bs != 4096) || p->timestamp < 1 ||
	    p->reserved_percent > 50 || (p->label && strlen(p->label) > 16))
		return -EINVAL;
	if (p->size / bs < 2048 || p->size < (8u << 20))
		return -ENOSPC;
	r = check_range(fd, offset, p->size / bs * bs);
	if (r < 0)
		return r;

	e = ext4_alloc(fd, offset, p->timestamp);
	e->writable = true;
	fill_super_params(p, &param);
	r = ext4_errno(ext2fs_initialize(e->name, EXT2_FLAG_64BITS, &param, ext4_io_manager(),
					 &e->fs));
	if (r < 0)
		goto fail;
	set_super_identity(e, p);
	r = ext4_errno(ext2fs_allocate_tables(e->fs));
	if (r >= 0)
		r = zero_metadata(e);
	if (r >= 0)
		r = make_special_inodes(e);
	if (r >= 0)
		r = add_journal(e, p);
	if (r < 0)
		goto fail;
	/* descriptors were checksummed before the UUID (the csum seed) was set */
	for (dgrp_t g = 0; g < e->fs->group_desc_count; g++)
		ext2fs_group_desc_csum_set(e->fs, g);
	ext2fs_mark_super_dirty(e->fs);
	ext2fs_mark_bb_dirty(e->fs);
	ext2fs_mark_ib_dirty(e->fs);
	*ret = e;
	return 0;
fail:
	ext4_free(e);
	return r;
}

static int open_common(int fd, uint64_t offset, int64_t timestamp, bool rw, struct ext4 **ret)
{
	struct ext4 *e;
	int flags = EXT2_FLAG_64BITS | (rw ? EXT2_FLAG_RW : 0);
	int r;

	e = ext4_alloc(fd, offset, timestamp);
	e->writable = rw;
	r = ext4_errno(ext2fs_open2(e->name, NULL, flags, 0, 0, ext4_io_manager(), &e->fs));
	if (r < 0)
		goto fail;
	if (rw && (ext2fs_has_feature_journal_needs_recovery(e->fs->super) ||
		   (e->fs->super->s_state & EXT2_ERROR_FS))) {
		r = -EUCLEAN;
		goto fail;
	}
	if (rw) {
		r = ext4_errno(ext2fs_read_bitmaps(e->fs));
		if (r < 0)
			goto fail;
		e->fs->now = timestamp;
		e->fs->umask = 022;
	}
	*ret = e;
	return 0;
fail:
	ext4_free(e);
	return r;
}

int ext4_open(int fd, uint64_t offset, int64_t timestamp, struct ext4 **ret)
{
	if (timestamp < 1)
		return -EINVAL;
	return open_common(fd, offset, timestamp, true, ret);
}

int ext4_open_readonly(int fd, uint64_t offset, struct ext4 **ret)
{
	return open_common(fd, offset, 0, false, ret);
}

int ext4_flush(struct ext4 *e)
{
	if (!e->writable)
		return 0;
	/* libext2fs's own flush syncs twice (the superblock after everything
	 * else); without a journal that order buys nothing e2fsck -p does not
	 * repair, so one sync makes the whole step durable */
	if (e->fs->flags & (EXT2_FLAG_DIRTY | EXT2_FLAG_IB_DIRTY | EXT2_FLAG_BB_DIRTY)) {
		errcode_t err = ext2fs_flush2(e->fs, EXT2_FLAG_FLUSH_NO_SYNC);
		if (err)
			return ext4_errno(err);
	}
	int r = ext4_errno(io_channel_flush(e->fs->io));
	if (r < 0)
		return r;
	e->syncs++;
	/* what replaced entries left behind can go now; the next sync writes it */
	return e->ndrops ? ext4_apply_drops(e) : 0;
}

int ext4_close(struct ext4 *e)
{
	int r = 0;

	if (!e)
		return 0;
	if (e->writable) {
		/* durable, then durable again after the drops that sync allowed;
		 * ext2fs_close2 then finds nothing dirty and writes nothing */
		bool drops = e->ndrops > 0;
		r = ext4_flush(e);
		if (r >= 0 && drops)
			r = ext4_flush(e);
		if (r >= 0)
			r = ext4_errno(ext2fs_close2(e->fs, 0));
		if (r >= 0)
			e->fs = NULL;
	}
	ext4_free(e);
	return r;
}

uint64_t ext4_bytes_written(const struct ext4 *e)
{
	return e->io.bytes_written;
}

uint64_t ext4_bytes_zeroed(const struct ext4 *e)
{
	return e->io.bytes_zeroed;
}

void ext4_usage(const struct ext4 *e, uint64_t *ret_blocks, uint64_t *ret_free_blocks,
		uint64_t *ret_inodes, uint64_t *ret_free_inodes, uint32_t *ret_block_size)
{
	struct ext2_super_block *sb = e->fs->super;
	if (ret_blocks)
		*ret_blocks = ext2fs_blocks_count(sb);
	if (ret_free_blocks)
		*ret_free_blocks = ext2fs_free_blocks_count(sb);
	if (ret_inodes)
		*ret_inodes = sb->s_inodes_count;
	if (ret_free_inodes)
		*ret_free_inodes = sb->s_free_inodes_count;
	if (ret_block_size)
		*ret_block_size = e->fs->blocksize;
}
