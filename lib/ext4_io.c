/*
 * ext4_io.c — libext2fs io_manager over a byte range of a file descriptor
 * (why: see ext4_internal.h). Blocks are pread/pwritten straight through; counts
 * of bytes are kept in the caller's struct ext4_io_target.
 */
#include "ext4_internal.h"
#include "fsutil.h"

#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#define NAME_PREFIX "kiln-ext4:"

static struct ext4_io_target *target_of(io_channel ch)
{
	return ch->private_data;
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
	if (--ch->refcount > 0)
		return 0;
	free(ch->name);
	free(ch);
	return 0;
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
	size_t size = xfer_size(ch, count), done = 0;
	uint64_t off = t->offset + block * (uint64_t)ch->block_size;

	while (done < size) {
		ssize_t n = pread(t->fd, (char *)data + done, size - done, off + done);
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

static errcode_t write_at(struct ext4_io_target *t, const void *data, size_t size, uint64_t off)
{
	int r = pwrite_full(t->fd, data, size, t->offset + off);
	if (r < 0)
		return -r;
	t->bytes_written += size;
	return 0;
}

static errcode_t kiln_write_blk64(io_channel ch, unsigned long long block, int count,
				  const void *data)
{
	return write_at(target_of(ch), data, xfer_size(ch, count),
			block * (uint64_t)ch->block_size);
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
	if (count < 0)
		return EXT2_ET_INVALID_ARGUMENT;
	return write_at(target_of(ch), data, count, offset);
}

static errcode_t kiln_flush(io_channel ch)
{
	struct ext4_io_target *t = target_of(ch);
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
