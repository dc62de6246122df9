/*
 * fat_read.c — finding one file in an existing FAT12/16/32 filesystem by
 * walking its directories, and reading or rewriting its contents in place.
 */
#include "fat.h"
#include "fat-layout.h"
#include "fsutil.h"
#include "strbuf.h"

/* ---- reading an existing filesystem ------------------------------------- */

struct fat_vol {
	int fd;
	uint64_t offset;
	unsigned bits;          /* 12, 16 or 32, from the cluster count */
	uint32_t spc, cbytes, root_entries, root_sector, root_cluster, data_start, clusters;
	uint8_t *fat;           /* the first FAT */
	size_t fat_bytes;
};

struct fat_found {
	bool is_dir;
	uint32_t cluster, size;
};

static int vol_open(int fd, uint64_t offset, struct fat_vol *v)
{
	uint8_t bs[FAT_SECTOR];
	uint32_t reserved, nfats, fatsz, total, root_secs;
	int r;

	r = pread_full(fd, bs, FAT_SECTOR, offset);
	if (r < 0)
		return r;
	reserved = fat_get16(bs + 14);
	nfats = bs[16];
	fatsz = fat_get16(bs + 22) ? fat_get16(bs + 22) : fat_get32(bs + 36);
	total = fat_get16(bs + 19) ? fat_get16(bs + 19) : fat_get32(bs + 32);
	v->spc = bs[13];
	v->root_entries = fat_get16(bs + 17);
	root_secs = (v->root_entries * FAT_DIRENT + FAT_SECTOR - 1) / FAT_SECTOR;
	if (fat_get16(bs + 11) != FAT_SECTOR || !v->spc || (v->spc & (v->spc - 1)) || !reserved ||
	    !nfats || !fatsz || (uint64_t)reserved + (uint64_t)nfats * fatsz + root_secs >= total)
		return -EBADMSG;
	v->fd = fd;
	v->offset = offset;
	v->cbytes = v->spc * FAT_SECTOR;
	v->root_sector = reserved + nfats * fatsz;
	v->data_start = v->root_sector + root_secs;
	v->clusters = (total - v->data_start) / v->spc;
	v->bits = v->clusters < FAT16_MIN_CLUSTERS ? 12 : v->clusters < FAT32_MIN_CLUSTERS ? 16 : 32;
	v->root_cluster = v->bits == 32 ? fat_get32(bs + 44) : 0;
	if ((v->bits == 32) != (v->root_entries == 0) ||
	    (uint64_t)fatsz * FAT_SECTOR * 8 < ((uint64_t)v->clusters + 2) * v->bits)
		return -EBADMSG;
	/* only the entries that can be used (bits/8 each, +1 for FAT12's last pair) */
	v->fat_bytes = (size_t)((((uint64_t)v->clusters + 2) * v->bits + 7) / 8 + 1);
	if (v->fat_bytes > (size_t)fatsz * FAT_SECTOR)
		v->fat_bytes = (size_t)fatsz * FAT_SECTOR;
	v->fat = xmalloc(v->fat_bytes);
	r = pread_full(fd, v->fat, v->fat_bytes, offset + (uint64_t)reserved * FAT_SECTOR);
	if (r < 0) {
		free(v->fat);
		v->fat = NULL;
	}
	return r;
}

/* The cluster after c in its chain: 0 at the end of the chain, -EBADMSG for
 * a free, bad or out-of-range link. */
static int64_t fat_next(const struct fat_vol *v, uint32_t c)
{
	uint32_t val, eoc;

	if (v->bits == 12) {
		val = fat_get16(v->fat + c + c / 2);
		val = c & 1 ? val >> 4 : val & 0xfff;
		eoc = 0xff8;
	} else if (v->bits == 16) {
		val = fat_get16(v->fat + 2 * (size_t)c);
		eoc = 0xfff8;
	} else {
		val = fat_get32(v->fat + 4 * (size_t)c) & 0x0fffffff;
		eoc = 0x0ffffff8;
	}
	if (val >= eoc)
		return 0;
	if (val < 2 || val >= v->clusters + 2)
		return -EBADMSG;
	return val;
}

static uint64_t cluster_offset(const struct fat_vol *v, uint32_t c)
{
	return v->offset + ((uint64_t)v->data_start + (uint64_t)(c - 2) * v->spc) * FAT_SECTOR;
}

typedef int (*chain_fn)(const struct fat_vol *v, uint64_t off, size_t len, size_t pos, void *opaque);

/* Calls fn for each cluster of the chain from first covering len bytes (all
 * of the chain when len is SIZE_MAX); -EBADMSG when the chain is short, loops
 * or leaves the volume. */
static int chain_walk(const struct fat_vol *v, uint32_t first, size_t len, chain_fn fn,
		      void *opaque)
{
	size_t pos = 0;
	uint32_t steps = 0;
	int64_t c = first;

	while (pos < len) {
		size_t n = len - pos < v->cbytes ? len - pos : v->cbytes;
		int r;

		if (c < 2 || c >= (int64_t)v->clusters + 2 || ++steps > v->clusters)
			return len == SIZE_MAX && c == 0 ? 0 : -EBADMSG;
		r = fn(v, cluster_offset(v, (uint32_t)c), n, pos, opaque);
		if (r < 0)
			return r;
		pos += n;
		c = fat_next(v, (uint32_t)c);
		if (c < 0)
			return (int)c;
	}
	return 0;
}

static int chain_read_cb(const struct fat_vol *v, uint64_t off, size_t len, size_t pos, void *opaque)
{
	struct strbuf *sb = opaque;
	int r;

	strbuf_grow(sb, len);
	r = pread_full(v->fd, sb->buf + sb->len, len, off);
	if (r < 0)
		return r;
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

static int dir_load(const struct fat_vol *v, uint32_t cluster, struct strbuf *sb)
{
	if (!cluster && v->bits != 32) {
		size_t len = (size_t)v->root_entries * FAT_DIRENT;

		strbuf_grow(sb, len);
		sb->len = len;
		return pread_full(v->fd, sb->buf, len, v->offset + (uint64_t)v->root_sector * FAT_SECTOR);
	}
	return chain_walk(v, cluster ? cluster : v->root_cluster, SIZE_MAX, chain_read_cb, sb);
}

/* Does the 8.3 entry name match want, case-insensitively ("GRUB.CFG")? */
static bool short_matches(const uint8_t *e, const char *want)
{
	char name[13];
	size_t n = 0;

	for (int i = 0; i < 8 && e[i] != ' '; i++)
		name[n++] = (char)(i == 0 && e[0] == 0x05 ? 0xe5 : e[i]);
	if (e[8] != ' ')
		name[n++] = '.';
	for (int i = 8; i < 11 && e[i] != ' '; i++)
		name[n++] = (char)e[i];
	name[n] = '\0';
	return !strcasecmp(name, want);
}

/* Finds want in a loaded directory by long or short name. */
static int dir_find(const uint8_t *buf, size_t len, const char *want, struct fat_found *ret)
{
	uint16_t lfn[20 * FAT_LFN_CHARS + 1];
	int lfn_parts = 0, lfn_next = 0;
	uint8_t lfn_sum = 0;

	for (size_t off = 0; off + FAT_DIRENT <= len; off += FAT_DIRENT) {
		const uint8_t *e = buf + off;
		bool match;

		if (e[0] == 0)
			break;
		if (e[0] == 0xe5) {
			lfn_next = 0;
			continue;
		}
		if ((e[11] & 0x3f) == FAT_ATTR_LFN) {
			int ord = e[0] & 0x1f;

			if (e[0] & 0x40) {
				lfn_parts = ord;
				lfn_sum = e[13];
				memset(lfn, 0, sizeof(lfn));
			} else if (ord != lfn_next || e[13] != lfn_sum) {
				lfn_parts = 0;
			}
			if (!ord || ord > 20)
				lfn_parts = 0;
			for (int j = 0; lfn_parts && j < FAT_LFN_CHARS; j++)
				lfn[(ord - 1) * FAT_LFN_CHARS + j] = fat_get16(e + fat_lfn_pos[j]);
			lfn_next = ord - 1;
			continue;
		}
		match = false;
		if (!(e[11] & FAT_ATTR_VOLUME)) {
			match = short_matches(e, want);
			if (lfn_parts && lfn_next == 0 && fat_lfn_checksum(e) == lfn_sum) {
				size_t i = 0;

				while (want[i] && lfn[i] && lfn[i] < 0x80 &&
				       fat_upper((char)lfn[i]) == fat_upper(want[i]))
					i++;
				match = match || (!want[i] && (!lfn[i] || lfn[i] == 0xffff));
			}
		}
		lfn_parts = 0;
		if (match) {
			ret->is_dir = e[11] & FAT_ATTR_DIR;
			ret->cluster = fat_get16(e + 26) | (uint32_t)fat_get16(e + 20) << 16;
			ret->size = fat_get32(e + 28);
			return 0;
		}
	}
	return -ENOENT;
}

static int vol_lookup(const struct fat_vol *v, const char *path, struct fat_found *ret)
{
	struct fat_found cur = { .is_dir = true, .cluster = 0 };
	const char *p = path;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		_cleanup_free_ char *name = xstrndup(p, len);
		struct strbuf dir = STRBUF_INIT;
		int r;

		if (!cur.is_dir)
			return -ENOTDIR;
		if (len) {
			r = dir_load(v, cur.cluster, &dir);
			if (r == 0)
				r = dir_find((const uint8_t *)dir.buf, dir.len, name, &cur);
			strbuf_release(&dir);
			if (r < 0)
				return r;
		}
		p += len + (slash ? 1 : 0);
	}
	if (p == path)
		return -ENOENT;
	*ret = cur;
	return 0;
}

struct file_io {
	const uint8_t *wdata;
	uint8_t *rdata;
};

static int file_io_cb(const struct fat_vol *v, uint64_t off, size_t len, size_t pos, void *opaque)
{
	struct file_io *io = opaque;

	if (io->wdata)
		return pwrite_full(v->fd, io->wdata + pos, len, off);
	return pread_full(v->fd, io->rdata + pos, len, off);
}

/* Finds path and checks it is a regular file of want_len bytes (SIZE_MAX: any). */
static int vol_open_file(int fd, uint64_t offset, const char *path, size_t want_len,
			 struct fat_vol *v, struct fat_found *f)
{
	int r = vol_open(fd, offset, v);

	if (r < 0)
		return r;
	r = vol_lookup(v, path, f);
	if (r == 0 && f->is_dir)
		r = -EISDIR;
	if (r == 0 && want_len != SIZE_MAX && f->size != want_len)
		r = -EMSGSIZE;
	if (r < 0)
		free(v->fat);
	return r;
}

int fat_overwrite_file(int fd, uint64_t offset, const char *path, const void *data, size_t len)
{
	struct fat_vol v;
	struct fat_found f;
	struct file_io io = { .wdata = data };
	int r;

	if (len && !data)
		return -EINVAL;
	r = vol_open_file(fd, offset, path, len, &v, &f);
	if (r < 0)
		return r;
	r = len ? chain_walk(&v, f.cluster, len, file_io_cb, &io) : 0;
	free(v.fat);
	return r;
}

int fat_read_file(int fd, uint64_t offset, const char *path, void **ret_data, size_t *ret_len)
{
	struct fat_vol v;
	struct fat_found f;
	struct file_io io;
	int r;

	r = vol_open_file(fd, offset, path, SIZE_MAX, &v, &f);
	if (r < 0)
		return r;
	io.wdata = NULL;
	io.rdata = xmalloc(f.size ? f.size : 1);
	r = f.size ? chain_walk(&v, f.cluster, f.size, file_io_cb, &io) : 0;
	free(v.fat);
	if (r < 0) {
		free(io.rdata);
		return r;
	}
	*ret_data = io.rdata;
	*ret_len = f.size;
	return 0;
}
