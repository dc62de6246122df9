/*
 * ext4.h — kiln's adapter over libext2fs: create and edit an ext4 filesystem
 * that lives in a byte range of a file descriptor (an image file or a block
 * device, at the root partition's offset), with no mount, no mke2fs, no root
 * privileges, and deterministic bytes. The one module that sees libext2fs;
 * its errcode_t values become -errno here (ext4_errno()).
 *
 * Filesystem made by ext4_create(), as Debian's mke2fs.conf "ext4" would,
 * minus what GRUB 2.06 cannot read (FACTS.md):
 *   has_journal ext_attr resize_inode dir_index filetype extent 64bit
 *   flex_bg(16) sparse_super large_file huge_file dir_nlink extra_isize
 *   metadata_csum — never orphan_file, never metadata_csum_seed;
 *   256-byte inodes, half_md4 directory hash with the given seed, the
 *   "signed" hash flag on every host (so x86_64 and aarch64 builds agree),
 *   no periodic check, acl,user_xattr default mount options, root 0755 and
 *   lost+found 0700 (16 KiB) as mke2fs makes them, a journal of 4 MiB
 *   (< 128 MiB fs) or 16 MiB, all inode tables zeroed (holes in an image
 *   file, BLKZEROOUT on a device) and marked so; no lazy init left to do.
 * Determinism: the UUID, hash seed and every time come from the parameters;
 * the block and inode allocators are libext2fs's, driven in the caller's
 * order (ext4_copy_tree sorts by name), so the same calls on the same
 * inputs give the same bytes. s_kbytes_written is left alone (0 when
 * created here). Times are whole seconds; owners are 0:0.
 *
 * Paths inside the filesystem are absolute ("/kiln/store/..."); symlinks in
 * the leading components are followed (absolute targets from the fs root),
 * the last component is never followed except by ext4_read_file.
 *
 * Crash behaviour: libext2fs does not journal. Single-entry changes
 * (ext4_replace_symlink, ext4_write_file over an existing file) are done as
 * rename(2) would: the new inode is created under a temporary name and made
 * durable first, then one directory-block write points the name at it (and
 * the temporary name at the old inode, dropped after the next sync).
 * Everything else becomes durable at ext4_flush()/ext4_close(). A call that
 * fails (-ENOSPC midway through ext4_copy_tree, say) leaves a consistent
 * filesystem holding what was done so far; ext4_remove_tree() takes it out.
 * Created filesystems have never been mounted (s_mtime 0, as mke2fs).
 *
 * All functions return 0 (or a count) or -errno. Notable errors:
 * -EMEDIUMTYPE not an ext2/3/4 filesystem, -EOPNOTSUPP unsupported feature,
 * -EUCLEAN corrupt or needs journal recovery (run e2fsck), -ENOSPC full.
 * A struct ext4 is single-threaded.
 */
#ifndef KILN_EXT4_H
#define KILN_EXT4_H

#include "compat.h"
#include "strbuf.h"

struct ext4;

struct ext4_params {
	uint64_t size;            /* bytes of the filesystem (rounded down to blocks) */
	uint32_t block_size;      /* 1024, 2048 or 4096; 0 = 4096 */
	uint8_t uuid[16];         /* the filesystem UUID (what blkid and GRUB search) */
	uint8_t hash_seed[16];    /* directory hash seed */
	const char *label;        /* up to 16 bytes; NULL = none */
	int64_t timestamp;        /* >= 1: mkfs/write/check times and every inode's times */
	uint32_t inodes;          /* 0 = one per 16 KiB (mke2fs's ratio), at least 1024 */
	uint32_t reserved_percent;/* blocks reserved for root, 0..50 (mke2fs: 5) */
	uint32_t journal_blocks;  /* 0 = 4 MiB under 128 MiB, else 16 MiB */
};

/* Creates a fresh filesystem at [offset, offset + p->size) of fd (a regular
 * file is extended to cover it) and returns it open for writing. */
int ext4_create(int fd, uint64_t offset, const struct ext4_params *p, struct ext4 **ret);
/* Opens the existing filesystem at offset read-write; timestamp (>= 1) is
 * what new and changed inodes get. Refuses one that needs journal recovery. */
int ext4_open(int fd, uint64_t offset, int64_t timestamp, struct ext4 **ret);
/* Opens read-only: only the read functions below work; nothing is written. */
int ext4_open_readonly(int fd, uint64_t offset, struct ext4 **ret);
/* Writes bitmaps, group descriptors and superblocks and fdatasync()s fd. */
int ext4_flush(struct ext4 *fs);
/* Flushes, releases everything, frees fs (also on error); fd stays open. */
int ext4_close(struct ext4 *fs);

/* Bytes written into the range so far, by pwrite; and bytes zeroed by
 * punching holes or BLKZEROOUT. Call after ext4_flush() for a total:
 * ext4_close() writes nothing more after a flush when nothing changed. */
uint64_t ext4_bytes_written(const struct ext4 *fs);
uint64_t ext4_bytes_zeroed(const struct ext4 *fs);
/* Blocks and inodes: total and free (for reports and "too small" errors). */
void ext4_usage(const struct ext4 *fs, uint64_t *ret_blocks, uint64_t *ret_free_blocks,
		uint64_t *ret_inodes, uint64_t *ret_free_inodes, uint32_t *ret_block_size);

/* Writing. Modes are permission bits (07777); the type comes from the call. */

/* mkdir -p; existing directories (or symlinks to them) are fine. */
int ext4_mkdir_p(struct ext4 *fs, const char *path, mode_t mode);
/* Creates a regular file with data; an existing non-directory at path is
 * replaced atomically (see crash behaviour). The parent must exist. */
int ext4_write_file(struct ext4 *fs, const char *path, const void *data, size_t len,
		    mode_t mode);
/* Creates a symlink (fast symlink when the target is under 60 bytes);
 * -EEXIST when path exists. */
int ext4_symlink(struct ext4 *fs, const char *path, const char *target);
/* Points path at target as `ln -sfn` + rename would: a new symlink under a
 * temporary name, made durable, then one directory-entry update. Creates
 * path when missing; refuses (-EISDIR) to replace a directory. */
int ext4_replace_symlink(struct ext4 *fs, const char *path, const char *target);
/* A file or symlink made under a temporary name, to be given its name by
 * ext4_commit: staged before a sync the caller makes anyway (ext4_flush),
 * the commit needs no sync of its own. ext4_write_file and
 * ext4_replace_symlink are stage + commit. Committing replaces an existing
 * non-directory as rename(2) would (see "Crash behaviour"); an uncommitted
 * stage leaves a temporary name that ext4_remove_temp_names removes. */
struct ext4_staged {
	uint32_t parent, ino;
	mode_t type;
	uint64_t sync;     /* the filesystem's sync count when staged */
	char name[256];
};
int ext4_stage_file(struct ext4 *fs, const char *path, const void *data, size_t len, mode_t mode,
		    struct ext4_staged *ret);
int ext4_stage_symlink(struct ext4 *fs, const char *path, const char *target,
		       struct ext4_staged *ret);
int ext4_commit(struct ext4 *fs, const struct ext4_staged *st);
/* Removes the temporary names (".kiln-new-*") that an interrupted
 * ext4_write_file or ext4_replace_symlink can leave in directory path (each
 * holds an old or unfinished inode, which is dropped). A missing directory
 * is fine. Durable at the next ext4_flush. */
int ext4_remove_temp_names(struct ext4 *fs, const char *path);
/* Copies a host file, directory or symlink to dest_path (which must not
 * exist; its parent must). Entries in strcmp order of names; owner 0:0;
 * host permission bits minus setuid/setgid; every time = the timestamp;
 * hard links become copies; devices, fifos and sockets are -EINVAL. */
int ext4_copy_tree(struct ext4 *fs, const char *host_src, const char *dest_path);
/* Copies each entry of host_dir (as ext4_copy_tree) into the existing
 * directory dest_dir; an entry that exists there already is -EEXIST. */
int ext4_copy_dir_contents(struct ext4 *fs, const char *host_dir, const char *dest_dir);
/* rm -rf inside the fs, freeing blocks and inodes; missing is success. */
int ext4_remove_tree(struct ext4 *fs, const char *path);

/* Reading. */

struct ext4_stat {
	mode_t mode;        /* type and permission bits, as st_mode */
	uint64_t size;
	uint32_t ino;
	uint32_t nlink;
	int64_t mtime;
};
/* lstat(2): -ENOENT when missing. */
int ext4_stat(struct ext4 *fs, const char *path, struct ext4_stat *ret);
/* Appends the contents of the file at path (symlinks followed) to out. */
int ext4_read_file(struct ext4 *fs, const char *path, struct strbuf *out);
/* Appends the target of the symlink at path to out; -EINVAL if not one. */
int ext4_readlink(struct ext4 *fs, const char *path, struct strbuf *out);
/* Calls fn for each entry of the directory at path except . and .., in
 * strcmp order of names, with the entry's type (S_IFREG, S_IFDIR, ...,
 * 0 when unknown). A negative return from fn stops and is returned. */
typedef int ext4_dir_fn(void *opaque, const char *name, mode_t type);
int ext4_list_dir(struct ext4 *fs, const char *path, ext4_dir_fn *fn, void *opaque);

#endif
