/*
 * ext4_io.c — libext2fs io_manager over a byte range of a file descriptor
 * (why: see ext4_internal.h), with a small write-back cache of single
 * blocks; counts of bytes are kept in the caller's struct ext4_io_target.
 *
 * The cache: libext2fs reads and writes metadata one block at a time and
 * rewrites the same blocks over and over (an inode table block once per
 * inode it holds, a directory block once per entry): a switch that changes
 * 73 blocks issued 873 pwrites and 682 preads. Single-block transfers go
 * through CACHE_SLOTS direct-mapped slots (slot = block number modulo the
 * count, so a run of inode table or bitmap blocks never collides with
 * itself); a dirty block reaches the fd when its slot is taken by another
 * block, at flush (all dirty blocks in block order, then fdatasync) or at
 * close. Multi-block and byte transfers go straight to the fd and keep the
 * cached copies they overlap up to date (reads take the dirty cached
 * bytes), so every read sees the last write whatever its size. Durability
 * and ordering are as before: nothing is durable before a flush, and
 * everything written before a flush is durable after it.
 */
#include "ext4_internal.h"
#include "fsutil.h"

#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#define NAME_PREFIX "kiln-ext4:"
#define CACHE_SLOTS 4096 /* a power of two; 16 MiB at most with 4 KiB blocks */
#define WRITE_RUN 64     /* adjacent dirty blocks written back in one pwrite */

struct cache_slot {
	uint64_t blk;
	char *data;  /* block_size bytes, allocated on first use */
	bool valid;
	bool dirty;
};

struct ext4_io_cache {
	size_t block_size;
	struct cache_slot slot[CACHE_SLOTS];
};

static struct ext4_io_target *target_of(io_channel ch)
{
	return ch->private_data;
}

static errcode_t write_at(struct ext4_io_target *t, const void *data, size_t size, uint64_t off)
{
	int r = pwrite_full(t->fd, data, size, t->offset + off);
	if (r < 0)
		return -r;
	t->bytes_written += size;
	return 0;
}

static errcode_t read_at(struct ext4_io_target *t, void *data, size_t size, uint64_t off)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = pread(t->fd, (char *)data + done, size - done, t->offset + off + done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0) {
			/* past the end of the file: libext2fs wants a short read */
			memset((char *)data + done, 0, size - done);
			return EXT2_ET_SHORT_READ;
		}
		done += n;
	}
	t->bytes_read += size;
	return 0;
}

static errcode_t slot_write_back(struct ext4_io_target *t, struct cache_slot *sl)
{
	errcode_t err;

	if (!sl->valid || !sl->dirty)
		return 0;
	err = write_at(t, sl->data, t->cache->block_size, sl->blk * t->cache->block_size);
	if (!err)
		sl->dirty = false;
	return err;
}

static int cmp_slot_blk(const void *a, const void *b)
{
	const struct cache_slot *x = *(const struct cache_slot *const *)a;
	const struct cache_slot *y = *(const struct cache_slot *const *)b;
	return x->blk < y->blk ? -1 : x->blk > y->blk;
}

/* Writes every dirty block in block order, runs of adjacent ones at once. */
static errcode_t cache_write_back(struct ext4_io_target *t)
{
	struct ext4_io_cache *c = t->cache;
	_cleanup_free_ struct cache_slot **dirty = NULL;
	_cleanup_free_ char *run = NULL;
	size_t n = 0, bs;

	if (!c)
		return 0;
	bs = c->block_size;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (c->slot[i].valid && c->slot[i].dirty)
			n++;
	if (!n)
		return 0;
	dirty = malloc(n * sizeof(*dirty));
	run = malloc((n < WRITE_RUN ? n : WRITE_RUN) * bs);
	if (!dirty || !run)
		return EXT2_ET_NO_MEMORY;
	n = 0;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (c->slot[i].valid && c->slot[i].dirty)
			dirty[n++] = &c->slot[i];
	qsort(dirty, n, sizeof(dirty[0]), cmp_slot_blk);
	for (size_t i = 0, k; i < n; i += k) {
		for (k = 0; i + k < n && k < WRITE_RUN && dirty[i + k]->blk == dirty[i]->blk + k; k++)
			memcpy(run + k * bs, dirty[i + k]->data, bs);
		errcode_t err = write_at(t, run, k * bs, dirty[i]->blk * bs);
		if (err)
			return err;
		for (size_t j = 0; j < k; j++)
			dirty[i + j]->dirty = false;
	}
	return 0;
}

/* Writes back and frees the cache (block size changes, close). */
static errcode_t cache_drop(struct ext4_io_target *t)
{
	errcode_t err = cache_write_back(t);

	if (!t->cache)
		return err;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		free(t->cache->slot[i].data);
	free(t->cache);
	t->cache = NULL;
	return err;
}

/* The slot for blk, holding blk's current bytes unless fill is false (the
 * caller overwrites the whole block); NULL with *err on failure. */
static struct cache_slot *cache_slot_for(struct ext4_io_target *t, size_t block_size,
					 uint64_t blk, bool fill, errcode_t *err)
{
	struct cache_slot *sl;

	if (t->cache && t->cache->block_size != block_size && (*err = cache_drop(t)))
		return NULL;
	if (!t->cache) {
		t->cache = calloc(1, sizeof(*t->cache));
		if (!t->cache) {
			*err = EXT2_ET_NO_MEMORY;
			return NULL;
		}
		t->cache->block_size = block_size;
	}
	sl = &t->cache->slot[blk & (CACHE_SLOTS - 1)];
	if (sl->valid && sl->blk == blk)
		return sl;
	if ((*err = slot_write_back(t, sl)))
		return NULL;
	sl->valid = false;
	if (!sl->data && !(sl->data = malloc(block_size))) {
		*err = EXT2_ET_NO_MEMORY;
		return NULL;
	}
	if (fill && (*err = read_at(t, sl->data, block_size, blk * block_size)))
		return NULL;
	sl->blk = blk;
	sl->valid = true;
	sl->dirty = false;
	return sl;
}

enum overlap_op { TAKE_DIRTY, PUT, ZERO };

/* Applies op between the cached blocks overlapping bytes [off, off + len)
 * and buf (that range's bytes): TAKE_DIRTY copies dirty cached bytes into
 * buf (a read that bypassed the cache), PUT copies buf into the cache (a
 * write that did), ZERO zeroes the cached bytes (buf unused). */
static void cache_overlap(struct ext4_io_target *t, uint64_t off, uint64_t len, void *buf,
			  enum overlap_op op)
{
	struct ext4_io_cache *c = t->cache;
	uint64_t first, last;

	if (!c || !len)
		return;
	first = off / c->block_size;
	last = (off + len - 1) / c->block_size;
	for (uint64_t i = 0; i < CACHE_SLOTS && i <= last - first; i++) {
		/* few blocks: look each up; many: scan the slots once */
		struct cache_slot *sl = last - first < CACHE_SLOTS ?
			&c->slot[(first + i) & (CACHE_SLOTS - 1)] : &c->slot[i];
		if (!sl->valid || sl->blk < first || sl->blk > last)
			continue;
		uint64_t bstart = sl->blk * c->block_size;
		uint64_t lo = bstart > off ? bstart : off;
		uint64_t hi = bstart + c->block_size < off + len ? bstart + c->block_size : off + len;
		char *cached = sl->data + (lo - bstart);
		if (op == ZERO)
			memset(cached, 0, hi - lo);
		else if (op == PUT)
			memcpy(cached, (char *)buf + (lo - off), hi - lo);
		else if (sl->dirty)
			memcpy((char *)buf + (lo - off), cached, hi - lo);
	}
}

/* Byte length of a transfer: libext2fs passes a negative count for bytes. */
static size_t xfer_size(io_channel ch, int count)
{
	return count < 0 ? (size_t)-(long)count : (size_t)count * (size_t)ch->block_size;
}

static errcode_t kiln_open(const char *name, int flags, io_channel *ret)
{
	struct ext4_io_target *t;
	io_channel ch;
	uint64_t addr;
	struct stat st;

	if (!name || strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) ||
	    parse_u64(name + strlen(NAME_PREFIX), 16, &addr) < 0 || !addr)
		return EXT2_ET_BAD_DEVICE_NAME;
	t = (struct ext4_io_target *)(uintptr_t)addr;
	if (fstat(t->fd, &st) < 0)
		return errno;
	t->block_device = S_ISBLK(st.st_mode);

	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return EXT2_ET_NO_MEMORY;
	ch->name = strdup(name);
	if (!ch->name) {
		free(ch);
		return EXT2_ET_NO_MEMORY;
	}
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = ext4_io_manager();
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->flags = t->block_device ? CHANNEL_FLAGS_BLOCK_DEVICE : 0;
	ch->private_data = t;
	*ret = ch;
	return 0;
}

static errcode_t kiln_close(io_channel ch)
{
	errcode_t err;

	if (--ch->refcount > 0)
		return 0;
	/* like unix_io: what was written reaches the fd, durable or not */
	err = cache_drop(target_of(ch));
	free(ch->name);
	free(ch);
	return err;
}

static errcode_t kiln_set_blksize(io_channel ch, int blksize)
{
	if (blksize <= 0)
		return EXT2_ET_INVALID_ARGUMENT;
	ch->block_size = blksize;
	return 0;
}

static errcode_t kiln_read_blk64(io_channel ch, unsigned long long block, int count, void *data)
{
	struct ext4_io_target *t = target_of(ch);
	size_t size = xfer_size(ch, count);
	uint64_t off = block * (uint64_t)ch->block_size;
	errcode_t err = 0;

	if (count == 1) {
		struct cache_slot *sl = cache_slot_for(t, ch->block_size, block, true, &err);
		if (sl)
			memcpy(data, sl->data, size);
		return err;
	}
	err = read_at(t, data, size, off);
	if (!err)
		cache_overlap(t, off, size, data, TAKE_DIRTY);
	return err;
}

static errcode_t kiln_write_blk64(io_channel ch, unsigned long long block, int count,
				  const void *data)
{
	struct ext4_io_target *t = target_of(ch);
	size_t size = xfer_size(ch, count);
	uint64_t off = block * (uint64_t)ch->block_size;
	errcode_t err = 0;

	if (count == 1) {
		struct cache_slot *sl = cache_slot_for(t, ch->block_size, block, false, &err);
		if (sl) {
			memcpy(sl->data, data, size);
			sl->dirty = true;
		}
		return err;
	}
	err = write_at(t, data, size, off);
	if (!err)
		cache_overlap(t, off, size, (void *)data, PUT);
	return err;
}

static errcode_t kiln_read_blk(io_channel ch, unsigned long block, int count, void *data)
{
	return kiln_read_blk64(ch, block, count, data);
}

static errcode_t kiln_write_blk(io_channel ch, unsigned long block, int count, const void *data)
{
	return kiln_write_blk64(ch, block, count, data);
}

static errcode_t kiln_write_byte(io_channel ch, unsigned long offset, int count, const void *data)
{
	struct ext4_io_target *t = target_of(ch);
	errcode_t err;

	if (count < 0)
		return EXT2_ET_INVALID_ARGUMENT;
	err = write_at(t, data, count, offset);
	if (!err)
		cache_overlap(t, offset, count, (void *)data, PUT);
	return err;
}

static errcode_t kiln_flush(io_channel ch)
{
	struct ext4_io_target *t = target_of(ch);
	errcode_t err = cache_write_back(t);

	if (err)
		return err;
	return fdatasync(t->fd) < 0 ? errno : 0;
}

static errcode_t kiln_set_option(io_channel ch, const char *option, const char *arg)
{
	return EXT2_ET_INVALID_ARGUMENT;
}

static int write_zeros(struct ext4_io_target *t, uint64_t off, uint64_t len)
{
	static const size_t chunk = 1 << 20;
	_cleanup_free_ char *zeros = xcalloc(1, chunk);

	while (len) {
		size_t n = len < chunk ? len : chunk;
		int r = pwrite_full(t->fd, zeros, n, t->offset + off);
		if (r < 0)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

int ext4_io_zero_range(struct ext4_io_target *t, uint64_t off, uint64_t len)
{
	uint64_t abs = t->offset + off;
	int r;

	if (!len)
		return 0;
	cache_overlap(t, off, len, NULL, ZERO);
	if (t->block_device) {
		uint64_t range[2] = { abs, len };
		if ((abs | len) % 512 == 0 && ioctl(t->fd, BLKZEROOUT, range) == 0)
			goto done;
	} else if (fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     (off_t)abs, (off_t)len) == 0) {
		struct stat st;
		/* a punched hole past EOF is not part of the file: extend it */
		if (fstat(t->fd, &st) < 0)
			return -errno;
		if ((uint64_t)st.st_size < abs + len && ftruncate(t->fd, (off_t)(abs + len)) < 0)
			return -errno;
		goto done;
	}
	r = write_zeros(t, off, len);
	if (r < 0)
		return r;
done:
	t->bytes_zeroed += len;
	return 0;
}

static errcode_t kiln_zeroout(io_channel ch, unsigned long long block, unsigned long long count)
{
	int r = ext4_io_zero_range(target_of(ch), block * (uint64_t)ch->block_size,
				   count * (uint64_t)ch->block_size);
	return r < 0 ? (errcode_t)-r : 0;
}

static const struct struct_io_manager kiln_io_manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "kiln fd+offset I/O manager",
	.open = kiln_open,
	.close = kiln_close,
	.set_blksize = kiln_set_blksize,
	.read_blk = kiln_read_blk,
	.write_blk = kiln_write_blk,
	.flush = kiln_flush,
	.write_byte = kiln_write_byte,
	.set_option = kiln_set_option,
	.read_blk64 = kiln_read_blk64,
	.write_blk64 = kiln_write_blk64,
	.zeroout = kiln_zeroout,
};

io_manager ext4_io_manager(void)
{
	/* libext2fs never writes through the pointer; its type just lacks const */
	return (io_manager)&kiln_io_manager;
}

void ext4_io_name(const struct ext4_io_target *target, char *buf, size_t size)
{
	snprintf(buf, size, NAME_PREFIX "%" PRIxPTR, (uintptr_t)target);
}
