/*
 * ext4_dir.c — directory entries: linking, filling a new directory, and the
 * rename-like replacement of one entry (contracts in ext4.h and
 * ext4_internal.h).
 */
#include "ext4.h"
#include "ext4_internal.h"
#include "fsutil.h"

int ext4_link(struct ext4 *e, ext2_ino_t dir, const char *name, ext2_ino_t ino, mode_t type)
{
	errcode_t err;

	if (strlen(name) > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	err = ext2fs_link(e->fs, dir, name, ino, ext4_file_type(type));
	if (err == EXT2_ET_DIR_NO_SPACE) {
		err = ext2fs_expand_dir(e->fs, dir);
		if (!err)
			err = ext2fs_link(e->fs, dir, name, ino, ext4_file_type(type));
	}
	return err ? ext4_errno(err) : ext4_touch_dir(e, dir);
}

/* Undoes what ext4_new_*() did for ino, which could not be linked into
 * dir, so no unattached inode is left behind; returns r. */
static int undo_new(struct ext4 *e, ext2_ino_t dir, ext2_ino_t ino, int r)
{
	struct ext2_inode_large in, pin;

	if (ext4_read_inode(e, ino, &in) < 0)
		return r;
	if (LINUX_S_ISDIR(in.i_mode) && ext4_read_inode(e, dir, &pin) >= 0 &&
	    pin.i_links_count > 2) {
		pin.i_links_count--;
		ext4_write_inode(e, dir, &pin);
	}
	ext4_free_inode(e, ino, &in);
	return r;
}

int ext4_link_new(struct ext4 *e, ext2_ino_t dir, const char *name, ext2_ino_t ino, mode_t type)
{
	int r = ext4_link(e, dir, name, ino, type);
	return r >= 0 ? r : undo_new(e, dir, ino, r);
}

/* ---- filling a new directory ----
 * ext2fs_link() looks for room from the directory's first block on, reading
 * and checksumming every block, for every name: quadratic in a directory's
 * size, and most of a switch's time. A directory being filled from empty
 * has room only in its last block, so the fill keeps that block in memory,
 * appends each entry after the last one (or into the empty entry a new
 * block starts with), and writes the block once when it is full or the
 * fill ends. The entries are laid out as ext2fs_link() would lay them out
 * in a directory that never lost an entry, minus its first-fit search. */

/* Loads the directory's last block and finds its last entry. */
static int fill_load_last(struct ext4_dir_fill *f)
{
	ext2_filsys fs = f->e->fs;
	struct ext2_inode_large in;
	unsigned off = 0, rec = 0;
	errcode_t err;
	int r = ext4_read_inode(f->e, f->dir, &in);

	if (r < 0)
		return r;
	if (in.i_flags & (EXT2_INDEX_FL | EXT4_INLINE_DATA_FL))
		return -EOPNOTSUPP;
	uint64_t size = EXT2_I_SIZE(&in);
	if (!size || size % fs->blocksize)
		return -EUCLEAN;
	err = ext2fs_bmap2(fs, f->dir, (struct ext2_inode *)&in, NULL, 0,
			   size / fs->blocksize - 1, NULL, &f->pblk);
	if (!err)
		err = ext2fs_read_dir_block4(fs, f->pblk, f->buf, 0, f->dir);
	if (err)
		return ext4_errno(err);
	while (off < f->limit) {
		if (ext2fs_get_rec_len(fs, (struct ext2_dir_entry *)(f->buf + off), &rec) ||
		    rec < 8 || rec > f->limit - off)
			return -EUCLEAN;
		f->last = off;
		off += rec;
	}
	return 0;
}

int ext4_dir_fill_begin(struct ext4 *e, ext2_ino_t dir, struct ext4_dir_fill *f)
{
	int r;

	memset(f, 0, sizeof(*f));
	f->e = e;
	f->dir = dir;
	f->limit = e->fs->blocksize;
	if (ext2fs_has_feature_metadata_csum(e->fs->super))
		f->limit -= sizeof(struct ext2_dir_entry_tail);
	f->buf = xmalloc(e->fs->blocksize);
	r = fill_load_last(f);
	if (r < 0) {
		free(f->buf);
		f->buf = NULL;
	}
	return r;
}

static int fill_write(struct ext4_dir_fill *f)
{
	errcode_t err;

	if (!f->dirty)
		return 0;
	err = ext2fs_write_dir_block4(f->e->fs, f->pblk, f->buf, 0, f->dir);
	if (err)
		return ext4_errno(err);
	f->dirty = false;
	return 0;
}

static int fill_link(struct ext4_dir_fill *f, const char *name, ext2_ino_t ino, mode_t type)
{
	ext2_filsys fs = f->e->fs;
	size_t len = strlen(name);
	unsigned need, rec = 0, used = 0;
	struct ext2_dir_entry *d;
	int r;

	if (len > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	need = EXT2_DIR_REC_LEN(len);
	for (int fresh = 0;; fresh++) {
		d = (struct ext2_dir_entry *)(f->buf + f->last);
		if (ext2fs_get_rec_len(fs, d, &rec))
			return -EUCLEAN;
		used = d->inode ? EXT2_DIR_REC_LEN(ext2fs_dirent_name_len(d)) : 0;
		if (used <= rec && rec - used >= need)
			break;
		if (fresh)
			return -EUCLEAN; /* a new block has room for any name */
		/* full: write it, add a block (one empty entry), continue there */
		r = fill_write(f);
		if (r >= 0)
			r = ext4_errno(ext2fs_expand_dir(fs, f->dir));
		if (r >= 0)
			r = fill_load_last(f);
		if (r < 0)
			return r;
	}
	if (used) {
		ext2fs_set_rec_len(fs, used, d);
		f->last += used;
		rec -= used;
		d = (struct ext2_dir_entry *)(f->buf + f->last);
	}
	memset(d, 0, need);
	ext2fs_set_rec_len(fs, rec, d);
	d->inode = ino;
	ext2fs_dirent_set_name_len(d, (int)len);
	ext2fs_dirent_set_file_type(d, ext4_file_type(type));
	memcpy(d->name, name, len);
	f->dirty = true;
	f->linked = true;
	return 0;
}

int ext4_dir_fill_link_new(struct ext4_dir_fill *f, const char *name, ext2_ino_t ino,
			   mode_t type)
{
	int r = fill_link(f, name, ino, type);
	return r >= 0 ? r : undo_new(f->e, f->dir, ino, r);
}

int ext4_dir_fill_end(struct ext4_dir_fill *f)
{
	int r = fill_write(f);

	if (r >= 0 && f->linked)
		r = ext4_touch_dir(f->e, f->dir);
	free(f->buf);
	f->buf = NULL;
	return r;
}

/* ---- replacing an entry ----
 * As rename(2) over an existing name: the new inode is linked under a
 * temporary name ("staged") and made durable by a sync — the caller's next
 * ext4_flush, or one of its own at commit; then, when both names sit
 * in one directory block (small directories: the common case), one block
 * write exchanges their inodes — name -> new, temporary -> old — so every
 * inode has a name whatever reaches the disk, and the temporary name and
 * the old inode are dropped after the next sync (ext4_flush, ext4_close)
 * instead of a sync of their own. Otherwise the name is pointed at the new
 * inode, the temporary name removed, a sync made, then the old inode
 * dropped. A crash can leave a temporary name holding the old inode;
 * ext4_remove_temp_names() takes such names out. */

/* The fallback: the swap of a name to a new inode, and the removal of the
 * temporary name when it sits in the same directory block. */
struct swap_ctx {
	ext2_filsys fs;
	const char *name, *tmp;
	size_t name_len, tmp_len;
	ext2_ino_t new_ino;
	int ftype;
	unsigned block, swap_block;
	struct ext2_dir_entry *prev, *tmp_entry, *tmp_prev;
	bool swapped, tmp_removed;
	errcode_t err;
};

static bool dirent_is(struct ext2_dir_entry *d, const char *name, size_t len)
{
	return d->inode && (size_t)ext2fs_dirent_name_len(d) == len && !memcmp(d->name, name, len);
}

static int swap_proc(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int offset,
		     int blocksize, char *buf, void *priv)
{
	struct swap_ctx *c = priv;
	int ret = 0;

	if (offset == 0) {
		if (c->swapped)
			return DIRENT_ABORT;   /* its block has been written */
		c->block++;
		c->prev = c->tmp_entry = c->tmp_prev = NULL;
	}
	if (dirent_is(d, c->name, c->name_len)) {
		d->inode = c->new_ino;
		ext2fs_dirent_set_file_type(d, c->ftype);
		c->swapped = true;
		ret = DIRENT_CHANGED;
	} else if (dirent_is(d, c->tmp, c->tmp_len)) {
		c->tmp_entry = d;
		c->tmp_prev = c->prev;
	}
	if (c->swapped && c->tmp_entry) {
		if (c->tmp_prev) {
			unsigned int a, b;
			c->err = ext2fs_get_rec_len(c->fs, c->tmp_prev, &a);
			if (!c->err)
				c->err = ext2fs_get_rec_len(c->fs, c->tmp_entry, &b);
			if (!c->err)
				c->err = ext2fs_set_rec_len(c->fs, a + b, c->tmp_prev);
			if (c->err)
				return DIRENT_ABORT;
		} else {
			c->tmp_entry->inode = 0;
		}
		c->tmp_removed = true;
		return DIRENT_CHANGED | DIRENT_ABORT;
	}
	c->prev = d;
	return ret;
}

/* The exchange: name and its temporary name trade inodes in one block. */
struct xchg_ctx {
	const char *name, *tmp;
	size_t name_len, tmp_len;
	ext2_ino_t new_ino, old_ino;
	int new_type, old_type;
	struct ext2_dir_entry *name_entry, *tmp_entry;
	bool done;
};

static int xchg_proc(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int offset,
		     int blocksize, char *buf, void *priv)
{
	struct xchg_ctx *c = priv;

	if (offset == 0)
		c->name_entry = c->tmp_entry = NULL;   /* another block */
	if (dirent_is(d, c->name, c->name_len))
		c->name_entry = d;
	else if (dirent_is(d, c->tmp, c->tmp_len))
		c->tmp_entry = d;
	if (!c->name_entry || !c->tmp_entry)
		return 0;
	c->name_entry->inode = c->new_ino;
	ext2fs_dirent_set_file_type(c->name_entry, c->new_type);
	c->tmp_entry->inode = c->old_ino;
	ext2fs_dirent_set_file_type(c->tmp_entry, c->old_type);
	c->done = true;
	return DIRENT_CHANGED | DIRENT_ABORT;
}

static void defer_drop(struct ext4 *e, ext2_ino_t dir, const char *name, ext2_ino_t ino)
{
	struct ext4_drop *d;

	e->drops = xrealloc(e->drops, (e->ndrops + 1) * sizeof(*e->drops));
	d = &e->drops[e->ndrops++];
	d->dir = dir;
	d->ino = ino;
	snprintf(d->name, sizeof(d->name), "%s", name);
}

int ext4_apply_drops(struct ext4 *e)
{
	int r = 0;

	for (size_t i = 0; i < e->ndrops; i++) {
		const struct ext4_drop *d = &e->drops[i];
		int k = ext4_errno(ext2fs_unlink(e->fs, d->dir, d->name, d->ino, 0));
		if (k >= 0)
			k = ext4_drop_link(e, d->ino);
		if (k >= 0)
			k = ext4_touch_dir(e, d->dir);
		if (r >= 0)
			r = k;
	}
	free(e->drops);
	e->drops = NULL;
	e->ndrops = 0;
	return r;
}

void ext4_temp_name(ext2_ino_t ino, char tmp[EXT4_TEMP_NAME_MAX])
{
	snprintf(tmp, EXT4_TEMP_NAME_MAX, EXT4_TEMP_PREFIX "%u", (unsigned)ino);
}

/* Gives name in dir to new_ino, which holds the temporary name tmp and is
 * durable (see "replacing an entry" above). */
int ext4_install_staged(struct ext4 *e, ext2_ino_t dir, const char *name, const char *tmp,
			ext2_ino_t new_ino, mode_t type)
{
	struct ext2_inode_large old, in;
	struct swap_ctx c = { .fs = e->fs, .name = name, .tmp = tmp, .new_ino = new_ino,
			      .ftype = ext4_file_type(type) };
	ext2_ino_t old_ino;
	errcode_t err;
	int r = ext4_errno(ext2fs_lookup(e->fs, dir, name, strlen(name), NULL, &old_ino));

	if (r == -ENOENT) {
		/* a new name: the inode holds both names until the next sync */
		r = ext4_read_inode(e, new_ino, &in);
		if (r < 0)
			return r;
		in.i_links_count++;
		r = ext4_write_inode(e, new_ino, &in);
		if (r >= 0)
			r = ext4_link(e, dir, name, new_ino, type);
		if (r >= 0)
			defer_drop(e, dir, tmp, new_ino);
		return r;
	}
	if (r >= 0)
		r = ext4_read_inode(e, old_ino, &old);
	if (r < 0)
		return r;
	if (LINUX_S_ISDIR(old.i_mode))
		return -EISDIR;

	struct xchg_ctx x = { .name = name, .tmp = tmp, .name_len = strlen(name),
			      .tmp_len = strlen(tmp), .new_ino = new_ino, .old_ino = old_ino,
			      .new_type = ext4_file_type(type),
			      .old_type = ext4_file_type(old.i_mode & LINUX_S_IFMT) };
	/* with the empty entries, every block starts at offset 0 */
	err = ext2fs_dir_iterate2(e->fs, dir, DIRENT_FLAG_INCLUDE_EMPTY, NULL, xchg_proc, &x);
	if (err)
		return ext4_errno(err);
	if (x.done) {
		defer_drop(e, dir, tmp, old_ino);
		return ext4_touch_dir(e, dir);
	}

	c.name_len = strlen(name);
	c.tmp_len = strlen(tmp);
	err = ext2fs_dir_iterate2(e->fs, dir, DIRENT_FLAG_INCLUDE_EMPTY, NULL, swap_proc, &c);
	if (!err)
		err = c.err;
	if (!err && !c.swapped)
		err = EXT2_ET_FILE_NOT_FOUND;
	if (!err && !c.tmp_removed)
		err = ext2fs_unlink(e->fs, dir, tmp, new_ino, 0);
	if (!err)
		err = io_channel_flush(e->fs->io);
	if (err)
		return ext4_errno(err);
	return ext4_drop_link(e, old_ino);
}

struct temp_names {
	char **v;
	size_t n;
};

static int collect_temp(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int offset,
			int blocksize, char *buf, void *priv)
{
	struct temp_names *t = priv;
	size_t len = ext2fs_dirent_name_len(d);

	if (d->inode && len > strlen(EXT4_TEMP_PREFIX) &&
	    !memcmp(d->name, EXT4_TEMP_PREFIX, strlen(EXT4_TEMP_PREFIX))) {
		t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
		t->v[t->n++] = xstrndup(d->name, len);
	}
	return 0;
}

int ext4_remove_temp_names(struct ext4 *e, const char *path)
{
	struct temp_names t = { 0 };
	ext2_ino_t dir, ino;
	int r = ext4_lookup(e, path, true, &dir);

	if (r == -ENOENT)
		return 0;
	if (r >= 0)
		r = ext4_errno(ext2fs_dir_iterate2(e->fs, dir, 0, NULL, collect_temp, &t));
	/* each holds an inode nothing else names: dropped at once, unless a
	 * replace of this session queued it for after the next sync */
	for (size_t i = 0; i < t.n; i++) {
		bool queued = false;
		for (size_t j = 0; j < e->ndrops; j++)
			queued |= e->drops[j].dir == dir && !strcmp(e->drops[j].name, t.v[i]);
		int k = queued ? 0 : ext4_errno(ext2fs_lookup(e->fs, dir, t.v[i], strlen(t.v[i]),
							       NULL, &ino));
		if (!queued && k >= 0)
			k = ext4_errno(ext2fs_unlink(e->fs, dir, t.v[i], ino, 0));
		if (!queued && k >= 0)
			k = ext4_drop_link(e, ino);
		if (r >= 0)
			r = k;
		free(t.v[i]);
	}
	free(t.v);
	return r < 0 ? r : ext4_touch_dir(e, dir);
}
