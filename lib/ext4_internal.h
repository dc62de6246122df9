/*
 * ext4_internal.h — shared by lib/ext4.c (create, open), lib/ext4_file.c
 * (inodes, files, symlinks),
 * lib/ext4_dir.c (entries), lib/ext4_tree.c (copy, remove, read, list) and
 * lib/ext4_io.c; nothing else includes it.
 *
 * libext2fs's I/O goes through kiln's io_manager, which reads and writes a
 * byte range of a caller's fd.
 *
 * Why a custom manager and not unix_io with "offset=" over /proc/self/fd/N:
 * it needs no /proc (the installer's stage 1 may run before /proc is
 * mounted), it never reopens the device (so an O_EXCL block device or an
 * unlinked temp file works), it counts the bytes written (kiln switch
 * reports them, issue 4), it zeroes ranges by punching holes in image files
 * (sparse images, fast) or BLKZEROOUT on block devices, and its block cache
 * writes each metadata block once per flush instead of once per change
 * (ext4_io.c).
 *
 * libext2fs opens a channel from a name string only; the name carries the
 * address of the caller's struct ext4_io_target ("kiln-ext4:<hex>"), so
 * nothing is global. The target must outlive the ext2_filsys.
 */
#ifndef KILN_EXT4_INTERNAL_H
#define KILN_EXT4_INTERNAL_H

#include "compat.h"
#include <ext2fs/ext2fs.h>

struct ext4_io_target {
	int fd;                  /* the caller's; never closed here */
	uint64_t offset;         /* byte offset of the filesystem in fd */
	uint64_t bytes_written;  /* pwrite()n bytes (data and metadata) */
	uint64_t bytes_zeroed;   /* bytes zeroed by hole punching / BLKZEROOUT */
	uint64_t bytes_read;
	bool block_device;
	struct ext4_io_cache *cache; /* ext4_io.c's; NULL when empty */
};

/* The manager (static, constant; libext2fs's type is not const-qualified). */
io_manager ext4_io_manager(void);

/* Writes the channel name for target into buf (at least 40 bytes). */
void ext4_io_name(const struct ext4_io_target *target, char *buf, size_t size);

/* Zeroes len bytes at off (relative to the target's offset). 0 or -errno. */
int ext4_io_zero_range(struct ext4_io_target *t, uint64_t off, uint64_t len);

/* A temporary name and the inode it holds, to unlink after the next sync
 * (ext4_dir.c, "replacing an entry"). */
struct ext4_drop {
	ext2_ino_t dir, ino;
	char name[24];   /* EXT4_TEMP_NAME_MAX */
};

struct ext4 {
	ext2_filsys fs;
	struct ext4_io_target io;
	int64_t timestamp;
	bool writable;
	char name[48];
	struct ext4_drop *drops;  /* ext4_flush and ext4_close apply them */
	size_t ndrops;
	uint64_t syncs;           /* ext4_flush calls that synced */
};

#define EXT4_TEMP_PREFIX ".kiln-new-"

#define EXT4_COPY_BUF (1u << 20)

/* errcode_t (or a plain errno from the io manager) -> -errno; 0 -> 0. */
int ext4_errno(errcode_t err);

/* Resolves path to its parent directory's inode and last component
 * (a pointer into path, which is modified: trailing slashes removed).
 * "/" gives *ret_name == "". */
int ext4_split(struct ext4 *e, char *path, ext2_ino_t *ret_parent, const char **ret_name);
/* Inode of path, the last component not followed (follow: followed). */
int ext4_lookup(struct ext4 *e, const char *path, bool follow, ext2_ino_t *ret);

/* A zeroed large inode with mode, links 1, owner 0:0 and all times set. */
void ext4_inode_init(struct ext4 *e, struct ext2_inode_large *inode, mode_t mode);
int ext4_read_inode(struct ext4 *e, ext2_ino_t ino, struct ext2_inode_large *inode);
int ext4_write_inode(struct ext4 *e, ext2_ino_t ino, struct ext2_inode_large *inode);
/* The EXT2_FT_* of a mode; a directory's times after its entries changed. */
int ext4_file_type(mode_t mode);
int ext4_touch_dir(struct ext4 *e, ext2_ino_t dir);
/* The temporary name of a staged inode. */
#define EXT4_TEMP_NAME_MAX 24
void ext4_temp_name(ext2_ino_t ino, char tmp[EXT4_TEMP_NAME_MAX]);
/* Gives name in dir to new_ino, linked as tmp and durable, as rename(2)
 * over an existing entry would (ext4_dir.c says how, and what a crash
 * leaves); -EISDIR if name is a directory. */
int ext4_install_staged(struct ext4 *e, ext2_ino_t dir, const char *name, const char *tmp,
			ext2_ino_t new_ino, mode_t type);
/* Unlinks the temporary names queued since the last sync and drops their
 * inodes (call only after a sync); the first error, all attempted. */
int ext4_apply_drops(struct ext4 *e);
/* Links ino as name in dir, growing the directory when full. */
int ext4_link(struct ext4 *e, ext2_ino_t dir, const char *name, ext2_ino_t ino, mode_t type);
/* ext4_link() for an inode just made by ext4_new_*(): on failure the inode
 * is freed again (and a directory's parent link count restored). */
int ext4_link_new(struct ext4 *e, ext2_ino_t dir, const char *name, ext2_ino_t ino, mode_t type);
/* Filling a directory that was created empty (ext4_file.c says why): begin,
 * link each new inode (freed again on failure, as ext4_link_new), end
 * (writes the last block; the directory gets the current timestamp).
 * Nothing else may add names to the directory in between. begin fails with
 * -EOPNOTSUPP for an indexed or inline directory: use ext4_link_new. */
struct ext4_dir_fill {
	struct ext4 *e;
	ext2_ino_t dir;
	blk64_t pblk;    /* the last block's, which buf holds */
	char *buf;
	unsigned last;   /* offset of the last entry in buf */
	unsigned limit;  /* end of the entries: the block minus a checksum tail */
	bool dirty, linked;
};
int ext4_dir_fill_begin(struct ext4 *e, ext2_ino_t dir, struct ext4_dir_fill *f);
int ext4_dir_fill_link_new(struct ext4_dir_fill *f, const char *name, ext2_ino_t ino,
			   mode_t type);
int ext4_dir_fill_end(struct ext4_dir_fill *f);
/* Creates an unlinked directory / regular file / symlink inode. Regular
 * files take their data from fd (when >= 0, size bytes) or from data. */
int ext4_new_dir(struct ext4 *e, ext2_ino_t parent, mode_t mode, ext2_ino_t *ret);
int ext4_new_file(struct ext4 *e, ext2_ino_t parent, mode_t mode, int fd, const void *data,
		  uint64_t size, ext2_ino_t *ret);
int ext4_new_symlink(struct ext4 *e, ext2_ino_t parent, const char *target, ext2_ino_t *ret);
/* Drops one link of ino (not a directory): frees it at zero. */
int ext4_drop_link(struct ext4 *e, ext2_ino_t ino);
/* Frees an inode and its blocks now (directories: the caller emptied it). */
int ext4_free_inode(struct ext4 *e, ext2_ino_t ino, struct ext2_inode_large *inode);

#endif
