/*
 * fat.c — building a FAT16/FAT32 filesystem in a byte range of an fd: the
 * geometry, the tree of names with their 8.3 aliases, clusters, directories.
 */
#include "fat.h"
#include "fat-layout.h"
#include "fsutil.h"
#include "strbuf.h"

#include <time.h>

#define NAME_MAX_LEN 255

/* ---- geometry ---------------------------------------------------------- */

struct fat_geom {
	unsigned bits;          /* 16 or 32 */
	uint32_t total;         /* sectors */
	uint32_t spc;           /* sectors per cluster */
	uint32_t reserved;      /* sectors before the first FAT */
	uint32_t fat_sectors;   /* per FAT */
	uint32_t root_entries;  /* FAT16's fixed root directory */
	uint32_t data_start;    /* first sector of cluster 2 */
	uint32_t clusters;      /* data clusters, numbered 2..clusters+1 */
};

/* Lays out reserved sectors, two FATs and (FAT16) the root directory for spc,
 * with the data area aligned to the cluster size. -ENOSPC if nothing is left. */
static int geom_solve(struct fat_geom *g)
{
	uint32_t base = g->bits == 32 ? 32 : 1;
	uint32_t root_secs = g->root_entries * FAT_DIRENT / FAT_SECTOR;
	uint64_t fat = 1;

	for (int i = 0; i < 64; i++) {
		uint64_t meta = base + 2 * fat + root_secs, need;

		meta += (g->spc - meta % g->spc) % g->spc;
		if (meta >= g->total)
			return -ENOSPC;
		g->reserved = (uint32_t)(meta - 2 * fat - root_secs);
		g->fat_sectors = (uint32_t)fat;
		g->data_start = (uint32_t)meta;
		g->clusters = (uint32_t)((g->total - meta) / g->spc);
		need = ((uint64_t)g->clusters + 2) * (g->bits / 8);
		need = (need + FAT_SECTOR - 1) / FAT_SECTOR;
		if (need <= fat)
			return 0;
		fat = need;
	}
	return -ENOSPC;
}

/* Microsoft's cluster-size tables (fatgen103), by total sectors. */
static uint32_t table_spc(unsigned bits, uint32_t total)
{
	if (bits == 16)
		return total <= 32680 ? 2 : total <= 262144 ? 4 : total <= 524288 ? 8 :
		       total <= 1048576 ? 16 : total <= 2097152 ? 32 : 64;
	return total <= 532480 ? 1 : total <= 16777216 ? 8 : total <= 33554432 ? 16 :
	       total <= 67108864 ? 32 : 64;
}

static int geom_choose(uint64_t size, unsigned bits, struct fat_geom *ret)
{
	struct fat_geom g = { 0 };
	uint32_t min = 0, max = 0;
	int r;

	if (!size || size % FAT_SECTOR || size / FAT_SECTOR > UINT32_MAX)
		return -EINVAL;
	if (!bits)
		bits = size < (UINT64_C(512) << 20) ? 16 : 32;
	if (bits != 16 && bits != 32)
		return -EINVAL;
	g.bits = bits;
	g.total = (uint32_t)(size / FAT_SECTOR);
	g.root_entries = bits == 16 ? 512 : 0;
	min = bits == 16 ? FAT16_MIN_CLUSTERS : FAT32_MIN_CLUSTERS;
	max = bits == 16 ? FAT32_MIN_CLUSTERS - 1 : FAT32_MAX_CLUSTERS - 2;
	for (g.spc = table_spc(bits, g.total);; ) {
		r = geom_solve(&g);
		if (r < 0)
			return -ENOSPC;
		if (g.clusters < min && g.spc > 1)
			g.spc /= 2;
		else if (g.clusters > max && g.spc < 128)
			g.spc *= 2;
		else
			break;
	}
	if (g.clusters < min || g.clusters > max)
		return -ENOSPC;
	*ret = g;
	return 0;
}

/* ---- names ------------------------------------------------------------- */

static bool char_83(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("!#$%&'()-@^_`{}~", c));
}

/* Is name exactly an uppercase 8.3 name? Fills the 11-byte form if so. */
static bool name_is_83(const char *name, uint8_t out[11])
{
	const char *dot = strchr(name, '.');
	size_t base = dot ? (size_t)(dot - name) : strlen(name);
	size_t ext = dot ? strlen(dot + 1) : 0;

	if (!base || base > 8 || ext > 3 || (dot && (!ext || strchr(dot + 1, '.'))))
		return false;
	for (size_t i = 0; i < base; i++)
		if (!char_83(name[i]))
			return false;
	for (size_t i = 0; i < ext; i++)
		if (!char_83(dot[1 + i]))
			return false;
	memset(out, ' ', 11);
	memcpy(out, name, base);
	if (ext)
		memcpy(out + 8, dot + 1, ext);
	return true;
}

/* A component FAT can hold as a long name: printable ASCII without
 * "*\/:<>?|, no leading space, no trailing dot or space, not "." or "..". */
static bool name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > NAME_MAX_LEN || name[0] == ' ' || name[len - 1] == '.' ||
	    name[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] > 0x7e || strchr("\"*/:<>?\\|", name[i]))
			return false;
	return true;
}

/* The 8.3 alias of a long name, Windows style: the uppercased name when that
 * is 8.3 and free, else BASE~N.EXT from its valid characters. */
static void alias_candidate(const char *name, unsigned n, uint8_t out[11])
{
	const char *dot = strrchr(name, '.');
	char base[9] = "", ext[4] = "", tail[12];
	size_t bl = 0, el = 0, tl;

	if (dot == name)
		dot = NULL; /* ".hidden": all base */
	for (const char *s = name; *s && s != dot; s++) {
		char c = fat_upper(*s);

		if (c == ' ' || c == '.')
			continue;
		if (bl < 8)
			base[bl++] = char_83(c) ? c : '_';
	}
	for (const char *s = dot ? dot + 1 : ""; *s && el < 3; s++) {
		char c = fat_upper(*s);

		if (c != ' ')
			ext[el++] = char_83(c) ? c : '_';
	}
	tl = (size_t)snprintf(tail, sizeof(tail), "~%u", n);
	if (!bl)
		base[bl++] = '_';
	if (bl + tl > 8)
		bl = 8 - tl;
	memset(out, ' ', 11);
	memcpy(out, base, bl);
	memcpy(out + bl, tail, tl);
	memcpy(out + 8, ext, el);
}

/* ---- the tree of what to write ---------------------------------------- */

struct fnode {
	char *name;
	bool is_dir, lfn;
	uint8_t short_name[11];
	const struct fat_file *file;
	struct fnode **kids;
	size_t nkids, alloc;
	uint32_t cluster, nclusters, entries;
};

static void fnode_free(struct fnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		fnode_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n);
}

static struct fnode *fnode_child(struct fnode *dir, const char *name, size_t len)
{
	for (size_t i = 0; i < dir->nkids; i++)
		if (strlen(dir->kids[i]->name) == len && !strncasecmp(dir->kids[i]->name, name, len))
			return dir->kids[i];
	return NULL;
}

static struct fnode *fnode_add(struct fnode *dir, const char *name, size_t len, bool is_dir)
{
	struct fnode *n = xcalloc(1, sizeof(*n));

	n->name = xstrndup(name, len);
	n->is_dir = is_dir;
	if (dir->nkids == dir->alloc) {
		dir->alloc = dir->alloc ? 2 * dir->alloc : 8;
		dir->kids = xrealloc(dir->kids, dir->alloc * sizeof(*dir->kids));
	}
	dir->kids[dir->nkids++] = n;
	return n;
}

static int tree_insert(struct fnode *root, const struct fat_file *f)
{
	const char *p = f->path;
	struct fnode *dir = root;

	if (!p || !*p || *p == '/' || (f->len && !f->data))
		return -EINVAL;
	if ((uint64_t)f->len > UINT32_MAX)
		return -EFBIG;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		bool last = !slash || !slash[1];
		bool want_dir = !last || slash;
		_cleanup_free_ char *name = xstrndup(p, len);
		struct fnode *n;

		if (!name_ok(name))
			return -EINVAL;
		n = fnode_child(dir, p, len);
		if (n && last && (!want_dir || !n->is_dir || n->file))
			return -EEXIST; /* given twice (or a directory given twice explicitly) */
		if (n && !n->is_dir)
			return -ENOTDIR;
		if (!n)
			n = fnode_add(dir, p, len, want_dir);
		if (last) {
			n->file = f; /* for a directory: marks it as given explicitly */
			return 0;
		}
		dir = n;
		p = slash + 1;
	}
	return 0;
}

static int cmp_fnode(const void *a, const void *b)
{
	return strcmp((*(struct fnode *const *)a)->name, (*(struct fnode *const *)b)->name);
}

static bool alias_taken(const struct fnode *dir, const struct fnode *self, const uint8_t name[11])
{
	for (size_t i = 0; i < dir->nkids; i++)
		if (dir->kids[i] != self && !memcmp(dir->kids[i]->short_name, name, 11))
			return true;
	return false;
}

/* Sorts a directory and gives every entry its 8.3 name: exact 8.3 names
 * first (they are fixed), then aliases for the rest, in name order. Counts
 * the directory's entries (".", "..", the label, long-name entries). */
static int dir_assign_names(struct fnode *dir, bool is_root, bool has_label)
{
	qsort(dir->kids, dir->nkids, sizeof(*dir->kids), cmp_fnode);
	for (size_t i = 0; i < dir->nkids; i++) {
		struct fnode *k = dir->kids[i];

		k->lfn = !name_is_83(k->name, k->short_name);
		if (k->lfn)
			memset(k->short_name, 0, 11);
	}
	for (size_t i = 0; i < dir->nkids; i++) {
		struct fnode *k = dir->kids[i];
		_cleanup_free_ char *up = xstrdup(k->name);
		uint8_t cand[11];
		unsigned n = 1;

		if (!k->lfn)
			continue;
		for (char *s = up; *s; s++)
			*s = fat_upper(*s);
		if (!name_is_83(up, cand) || alias_taken(dir, k, cand)) {
			do {
				if (n > 999999)
					return -ENOSPC;
				alias_candidate(k->name, n++, cand);
			} while (alias_taken(dir, k, cand));
		}
		memcpy(k->short_name, cand, 11);
	}
	dir->entries = is_root ? (has_label ? 1 : 0) : 2;
	for (size_t i = 0; i < dir->nkids; i++) {
		struct fnode *k = dir->kids[i];

		dir->entries += 1 + (k->lfn ? (uint32_t)(strlen(k->name) + FAT_LFN_CHARS - 1) / FAT_LFN_CHARS : 0);
		if (dir->entries > 65536)
			return -ENOSPC; /* FAT's limit for one directory */
		if (k->is_dir) {
			int r = dir_assign_names(k, false, false);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

struct fat_build {
	int fd;
	uint64_t offset;
	struct fat_geom g;
	uint32_t cbytes;        /* bytes per cluster */
	uint8_t *meta;          /* reserved sectors, both FATs, FAT16's root */
	uint8_t *zeros;         /* one cluster of zeros, for padding */
	uint32_t next;          /* next free cluster */
	uint16_t date, time;
};

static void dos_time(int64_t t, uint16_t *ret_date, uint16_t *ret_time)
{
	struct tm tm;
	time_t tt;

	if (t < 315532800)      /* 1980-01-01 00:00:00 UTC, FAT's epoch */
		t = 315532800;
	if (t > 4354819198)     /* 2107-12-31 23:59:58, its last representable time */
		t = 4354819198;
	tt = (time_t)t;
	gmtime_r(&tt, &tm);
	*ret_date = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
	*ret_time = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
}

static void fat_set(struct fat_build *b, uint32_t cluster, uint32_t value)
{
	uint8_t *fat = b->meta + (uint64_t)b->g.reserved * FAT_SECTOR;

	if (b->g.bits == 16)
		fat_put16(fat + 2 * cluster, (uint16_t)value);
	else
		fat_put32(fat + 4 * cluster, value);
}

/* Gives n (and, depth first in name order, everything below it) contiguous
 * clusters and chains them in the FAT. */
static int alloc_clusters(struct fat_build *b, struct fnode *n, bool is_root)
{
	uint64_t bytes = n->is_dir ? (uint64_t)n->entries * FAT_DIRENT : n->file ? n->file->len : 0;
	uint64_t need = (bytes + b->cbytes - 1) / b->cbytes;
	uint32_t eoc = b->g.bits == 16 ? 0xffff : 0x0fffffff;

	if (n->is_dir && !need)
		need = 1;
	if (is_root && b->g.bits == 16)
		need = 0; /* FAT16's root lives before the data area */
	if (need > (uint64_t)b->g.clusters + 2 - b->next)
		return -ENOSPC;
	if (need) {
		n->cluster = b->next;
		n->nclusters = (uint32_t)need;
		b->next += (uint32_t)need;
		for (uint32_t c = n->cluster; c < b->next; c++)
			fat_set(b, c, c + 1 == b->next ? eoc : c + 1);
	}
	for (size_t i = 0; n->is_dir && i < n->nkids; i++) {
		int r = alloc_clusters(b, n->kids[i], false);

		if (r < 0)
			return r;
	}
	return 0;
}

static void put_dirent(const struct fat_build *b, uint8_t *e, const uint8_t name[11],
		       uint8_t attr, uint32_t cluster, uint32_t size)
{
	memcpy(e, name, 11);
	e[11] = attr;
	fat_put16(e + 14, b->time);                      /* created */
	fat_put16(e + 16, b->date);
	fat_put16(e + 18, b->date);                      /* accessed */
	fat_put16(e + 20, (uint16_t)(b->g.bits == 32 ? cluster >> 16 : 0));
	fat_put16(e + 22, b->time);                      /* written */
	fat_put16(e + 24, b->date);
	fat_put16(e + 26, (uint16_t)cluster);
	fat_put32(e + 28, size);
}

/* Long-name entries for name, last part first as VFAT stores them; returns
 * the position after them. */
static uint8_t *put_lfn(uint8_t *e, const char *name, const uint8_t short_name[11])
{
	size_t len = strlen(name), n = (len + FAT_LFN_CHARS - 1) / FAT_LFN_CHARS;
	uint8_t sum = fat_lfn_checksum(short_name);

	for (size_t k = n; k >= 1; k--, e += FAT_DIRENT) {
		e[0] = (uint8_t)(k | (k == n ? 0x40 : 0));
		e[11] = FAT_ATTR_LFN;
		e[13] = sum;
		for (size_t j = 0; j < FAT_LFN_CHARS; j++) {
			size_t i = (k - 1) * FAT_LFN_CHARS + j;

			fat_put16(e + fat_lfn_pos[j], i < len ? (uint16_t)name[i] : i == len ? 0 : 0xffff);
		}
	}
	return e;
}

static int write_clusters(struct fat_build *b, uint32_t cluster, uint32_t nclusters,
			  const void *data, size_t len)
{
	uint64_t off = b->offset + ((uint64_t)b->g.data_start + (uint64_t)(cluster - 2) * b->g.spc) * FAT_SECTOR;
	uint64_t pad = (uint64_t)nclusters * b->cbytes - len;
	int r = len ? pwrite_full(b->fd, data, len, off) : 0;

	for (off += len; r == 0 && pad; ) {
		size_t chunk = pad < b->cbytes ? (size_t)pad : b->cbytes;

		r = pwrite_full(b->fd, b->zeros, chunk, off);
		off += chunk;
		pad -= chunk;
	}
	return r;
}

/* Writes directory n's entries (into the metadata buffer for FAT16's root,
 * else its clusters), then its files and subdirectories. */
static int write_tree(struct fat_build *b, struct fnode *n, bool is_root, uint32_t parent,
		      const uint8_t *label)
{
	static const uint8_t dot[11] = ".          ", dotdot[11] = "..         ";
	bool in_meta = is_root && b->g.bits == 16;
	_cleanup_free_ uint8_t *own = NULL;
	uint8_t *buf, *e;
	int r = 0;

	if (in_meta) {
		buf = b->meta + ((uint64_t)b->g.reserved + 2 * (uint64_t)b->g.fat_sectors) * FAT_SECTOR;
	} else {
		own = xcalloc(n->nclusters, b->cbytes);
		buf = own;
	}
	e = buf;
	if (!is_root) {
		put_dirent(b, e, dot, FAT_ATTR_DIR, n->cluster, 0);
		put_dirent(b, e + FAT_DIRENT, dotdot, FAT_ATTR_DIR, parent, 0);
		e += 2 * FAT_DIRENT;
	} else if (label) {
		put_dirent(b, e, label, FAT_ATTR_VOLUME, 0, 0);
		e += FAT_DIRENT;
	}
	for (size_t i = 0; i < n->nkids; i++) {
		struct fnode *k = n->kids[i];

		if (k->lfn)
			e = put_lfn(e, k->name, k->short_name);
		put_dirent(b, e, k->short_name, k->is_dir ? FAT_ATTR_DIR : FAT_ATTR_ARCHIVE, k->cluster,
			   k->is_dir ? 0 : (uint32_t)k->file->len);
		e += FAT_DIRENT;
	}
	if (!in_meta)
		r = write_clusters(b, n->cluster, n->nclusters, buf, (size_t)n->nclusters * b->cbytes);
	for (size_t i = 0; r == 0 && i < n->nkids; i++) {
		struct fnode *k = n->kids[i];

		if (k->is_dir)
			r = write_tree(b, k, false, is_root ? 0 : n->cluster, NULL);
		else if (k->nclusters)
			r = write_clusters(b, k->cluster, k->nclusters, k->file->data, k->file->len);
	}
	return r;
}

static void build_boot_sector(const struct fat_build *b, const struct fat_params *p,
			      const uint8_t label[11], uint8_t *bs)
{
	const struct fat_geom *g = &b->g;
	uint64_t hidden = b->offset / FAT_SECTOR;
	uint8_t *ext = bs + (g->bits == 32 ? 64 : 36);
	uint8_t *code = ext + 26;

	bs[0] = 0xeb;
	bs[1] = (uint8_t)(code - bs - 2);
	bs[2] = 0x90;
	memcpy(bs + 3, "MSWIN4.1", 8);    /* the OEM name the spec recommends */
	fat_put16(bs + 11, FAT_SECTOR);
	bs[13] = (uint8_t)g->spc;
	fat_put16(bs + 14, (uint16_t)g->reserved);
	bs[16] = 2;
	fat_put16(bs + 17, (uint16_t)g->root_entries);
	fat_put16(bs + 19, g->bits == 16 && g->total < 65536 ? (uint16_t)g->total : 0);
	bs[21] = 0xf8;
	fat_put16(bs + 22, g->bits == 16 ? (uint16_t)g->fat_sectors : 0);
	fat_put16(bs + 24, 63);               /* CHS geometry nobody uses any more */
	fat_put16(bs + 26, 255);
	fat_put32(bs + 28, hidden > UINT32_MAX ? 0 : (uint32_t)hidden);
	fat_put32(bs + 32, g->bits == 16 && g->total < 65536 ? 0 : g->total);
	if (g->bits == 32) {
		fat_put32(bs + 36, g->fat_sectors);
		fat_put32(bs + 44, 2);        /* root directory cluster */
		fat_put16(bs + 48, 1);        /* FSInfo sector */
		fat_put16(bs + 50, 6);        /* backup boot sector */
	}
	ext[0] = 0x80;                    /* drive number */
	ext[2] = 0x29;                    /* extended boot signature */
	fat_put32(ext + 3, p->volume_id);
	memcpy(ext + 7, label, 11);
	memcpy(ext + 18, g->bits == 32 ? "FAT32   " : "FAT16   ", 8);
	/* not bootable: int 0x18 (try the next boot device), then halt */
	code[0] = 0xcd; code[1] = 0x18; code[2] = 0xf4; code[3] = 0xeb; code[4] = 0xfd;
	bs[510] = 0x55;
	bs[511] = 0xaa;
}

static void build_fsinfo(const struct fat_build *b, uint8_t *fsi)
{
	uint32_t used = b->next - 2;

	fat_put32(fsi, 0x41615252);
	fat_put32(fsi + 484, 0x61417272);
	fat_put32(fsi + 488, b->g.clusters - used);
	fat_put32(fsi + 492, used < b->g.clusters ? b->next : 0xffffffff);
	fat_put32(fsi + 508, 0xaa550000);
}

static int label_parse(const char *in, uint8_t out[11], bool *ret_has)
{
	size_t len = strnlen(in, 12);

	memcpy(out, "NO NAME    ", 11);
	*ret_has = len > 0;
	if (len > 11 || in[0] == ' ')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = fat_upper(in[i]);

		if (c != ' ' && !char_83(c))
			return -EINVAL;
		out[i] = (uint8_t)c;
	}
	for (size_t i = len; len && i < 11; i++)
		out[i] = ' ';
	return 0;
}

int fat_build(int fd, uint64_t offset, uint64_t size, const struct fat_params *p,
	      const struct fat_file *files, size_t nfiles)
{
	struct fat_build b = { .fd = fd, .offset = offset, .next = 2 };
	uint8_t label[11];
	struct fnode *root = xcalloc(1, sizeof(*root));
	bool has_label;
	uint64_t meta_bytes;
	struct stat st;
	int r;

	root->is_dir = true;
	r = label_parse(p->label, label, &has_label);
	if (r < 0 || offset % FAT_SECTOR) {
		r = -EINVAL;
		goto out;
	}
	r = geom_choose(size, p->fat_bits, &b.g);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < nfiles; i++) {
		r = tree_insert(root, &files[i]);
		if (r < 0)
			goto out;
	}
	r = dir_assign_names(root, true, has_label);
	if (r < 0)
		goto out;
	if (b.g.bits == 16 && root->entries > b.g.root_entries) {
		r = -ENOSPC;
		goto out;
	}
	b.cbytes = b.g.spc * FAT_SECTOR;
	meta_bytes = (uint64_t)b.g.data_start * FAT_SECTOR;
	b.meta = xcalloc(1, meta_bytes);
	b.zeros = xcalloc(1, b.cbytes);
	fat_set(&b, 0, b.g.bits == 16 ? 0xfff8 : 0x0ffffff8); /* media byte, then ones */
	fat_set(&b, 1, b.g.bits == 16 ? 0xffff : 0x0fffffff); /* clean, no errors */
	r = alloc_clusters(&b, root, true);
	if (r < 0)
		goto out;
	dos_time(p->mtime, &b.date, &b.time);

	build_boot_sector(&b, p, label, b.meta);
	if (b.g.bits == 32) {
		build_fsinfo(&b, b.meta + FAT_SECTOR);
		memcpy(b.meta + 6 * FAT_SECTOR, b.meta, 2 * FAT_SECTOR); /* backup boot + FSInfo */
	}
	memcpy(b.meta + ((uint64_t)b.g.reserved + b.g.fat_sectors) * FAT_SECTOR,
	       b.meta + (uint64_t)b.g.reserved * FAT_SECTOR, (uint64_t)b.g.fat_sectors * FAT_SECTOR);

	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < offset + size &&
	    ftruncate(fd, (off_t)(offset + size)) < 0) {
		r = -errno;
		goto out;
	}
	/* directories and files first, the boot sector last */
	r = write_tree(&b, root, true, 0, has_label ? label : NULL);
	if (r == 0)
		r = pwrite_full(fd, b.meta, meta_bytes, offset);
out:
	fnode_free(root);
	free(b.meta);
	free(b.zeros);
	return r;
}
