/*
 * gpt.c — protective MBR, GPT headers and entry arrays, and their CRC32s.
 * Sectors appear only in this file; the API speaks bytes.
 */
#include "gpt.h"
#include "fsutil.h"
#include "strbuf.h"

#define SECTOR GPT_SECTOR_SIZE
#define ENTRY_SIZE 128
#define ARRAY_BYTES (GPT_MAX_PARTS * ENTRY_SIZE)  /* 16 KiB */
#define ARRAY_SECTORS (ARRAY_BYTES / SECTOR)       /* 32 */
#define HEADER_SIZE 92
#define MAX_READ_ENTRIES 4096 /* sanity bound for foreign tables */

/* Reflected CRC-32, polynomial 0xEDB88320 (generated once, kept literal). */
static const uint32_t crc_table[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
	0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
	0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
	0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
	0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
	0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
	0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
	0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
	0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
	0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
	0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
	0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
	0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
	0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
	0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
	0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
	0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
	0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
	0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
	0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
	0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
	0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

uint32_t gpt_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

uint64_t gpt_first_usable(uint64_t disk_size)
{
	return gpt_usable_end(disk_size) ? (2 + ARRAY_SECTORS) * SECTOR : 0;
}

uint64_t gpt_usable_end(uint64_t disk_size)
{
	uint64_t sectors = disk_size / SECTOR;

	/* MBR + header + array, usable area of at least one sector, array + header */
	if (sectors < (2 + ARRAY_SECTORS) + 1 + (ARRAY_SECTORS + 1))
		return 0;
	return (sectors - 1 - ARRAY_SECTORS) * SECTOR;
}

uint64_t gpt_last_usable(uint64_t disk_size)
{
	uint64_t end = gpt_usable_end(disk_size);

	return end ? end - 1 : 0;
}

uint64_t gpt_aligned_end(uint64_t disk_size)
{
	return gpt_usable_end(disk_size) / GPT_ALIGN * GPT_ALIGN;
}

/* Decodes one UTF-8 sequence at *s (advancing it); -1 when invalid. */
static long utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	long cp;
	int more;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1f; more = 1;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0f; more = 2;
	} else if ((p[0] & 0xf8) == 0xf0) {
		cp = p[0] & 0x07; more = 3;
	} else {
		return -1;
	}
	for (int i = 1; i <= more; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) ||
	    (more == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*s = p + more + 1;
	return cp;
}

/* UTF-8 name -> UTF-16LE entry field (72 bytes, zero padded); -EINVAL if it
 * is not UTF-8 or needs more than 36 code units. */
static int name_encode(const char *name, uint8_t out[GPT_NAME_UNITS * 2])
{
	const unsigned char *s = (const unsigned char *)name;
	size_t units = 0;

	memset(out, 0, GPT_NAME_UNITS * 2);
	if (strnlen(name, GPT_NAME_MAX + 1) > GPT_NAME_MAX)
		return -EINVAL;
	while (*s) {
		long cp = utf8_next(&s);

		if (cp < 0)
			return -EINVAL;
		if (cp >= 0x10000) {
			if (units + 2 > GPT_NAME_UNITS)
				return -EINVAL;
			cp -= 0x10000;
			put16(out + 2 * units++, (uint16_t)(0xd800 | cp >> 10));
			put16(out + 2 * units++, (uint16_t)(0xdc00 | (cp & 0x3ff)));
		} else {
			if (units + 1 > GPT_NAME_UNITS)
				return -EINVAL;
			put16(out + 2 * units++, (uint16_t)cp);
		}
	}
	return 0;
}

static size_t utf8_put(char *out, long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* UTF-16LE entry field -> UTF-8 (unpaired surrogates become U+FFFD). */
static void name_decode(const uint8_t in[GPT_NAME_UNITS * 2], char out[GPT_NAME_MAX + 1])
{
	size_t o = 0;

	for (size_t i = 0; i < GPT_NAME_UNITS; i++) {
		long cp = get16(in + 2 * i);

		if (!cp)
			break;
		if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < GPT_NAME_UNITS &&
		    get16(in + 2 * i + 2) >= 0xdc00 && get16(in + 2 * i + 2) <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (get16(in + 2 * i + 2) - 0xdc00);
			i++;
		} else if (cp >= 0xd800 && cp <= 0xdfff) {
			cp = 0xfffd;
		}
		o += utf8_put(out + o, cp);
	}
	out[o] = '\0';
}

int gpt_check(const struct gpt_disk *d)
{
	uint64_t first = gpt_first_usable(d->size), end = gpt_usable_end(d->size);
	uint8_t name[GPT_NAME_UNITS * 2];

	if (d->size % SECTOR || !end || d->nparts > GPT_MAX_PARTS)
		return -EINVAL;
	for (size_t i = 0; i < d->nparts; i++) {
		const struct gpt_part *p = &d->parts[i];

		if (guid_is_null(p->type))
			continue;
		if (p->start % GPT_ALIGN || !p->size || p->size % SECTOR)
			return -EINVAL;
		if (p->start < first || p->start > end || p->size > end - p->start)
			return -EINVAL;
		if (name_encode(p->name, name) < 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++) {
			const struct gpt_part *q = &d->parts[j];

			if (guid_is_null(q->type))
				continue;
			if (p->start < q->start + q->size && q->start < p->start + p->size)
				return -EINVAL;
		}
	}
	return 0;
}

static void build_entries(const struct gpt_disk *d, uint8_t *array)
{
	memset(array, 0, ARRAY_BYTES);
	for (size_t i = 0; i < d->nparts; i++) {
		const struct gpt_part *p = &d->parts[i];
		uint8_t *e = array + i * ENTRY_SIZE;

		if (guid_is_null(p->type))
			continue;
		guid_to_disk(p->type, e);
		guid_to_disk(p->uuid, e + 16);
		put64(e + 32, p->start / SECTOR);
		put64(e + 40, (p->start + p->size) / SECTOR - 1);
		put64(e + 48, p->attrs);
		name_encode(p->name, e + 56); /* checked by gpt_check() */
	}
}

static void build_header(const struct gpt_disk *d, uint8_t hdr[SECTOR], uint64_t my_lba,
			 uint64_t alt_lba, uint64_t array_lba, uint32_t array_crc)
{
	memset(hdr, 0, SECTOR);
	memcpy(hdr, "EFI PART", 8);
	put32(hdr + 8, 0x00010000);
	put32(hdr + 12, HEADER_SIZE);
	put64(hdr + 24, my_lba);
	put64(hdr + 32, alt_lba);
	put64(hdr + 40, gpt_first_usable(d->size) / SECTOR);
	put64(hdr + 48, gpt_last_usable(d->size) / SECTOR);
	guid_to_disk(d->disk_guid, hdr + 56);
	put64(hdr + 72, array_lba);
	put32(hdr + 80, GPT_MAX_PARTS);
	put32(hdr + 84, ENTRY_SIZE);
	put32(hdr + 88, array_crc);
	put32(hdr + 16, gpt_crc32(0, hdr, HEADER_SIZE));
}

static void build_protective_mbr(const struct gpt_disk *d, uint8_t mbr[SECTOR])
{
	uint64_t covered = d->size / SECTOR - 1;
	uint8_t *e = mbr + 0x1be;

	memset(mbr, 0, SECTOR);
	put32(mbr + 0x1b8, d->mbr_signature);
	e[1] = 0x00; e[2] = 0x02; e[3] = 0x00; /* CHS of LBA 1 */
	e[4] = 0xee;
	e[5] = 0xff; e[6] = 0xff; e[7] = 0xff; /* CHS beyond reach */
	put32(e + 8, 1);
	put32(e + 12, covered > 0xffffffff ? 0xffffffff : (uint32_t)covered);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
}

int gpt_write(int fd, const struct gpt_disk *d)
{
	uint64_t last_lba = d->size / SECTOR - 1;
	_cleanup_free_ uint8_t *head = NULL, *tail = NULL;
	uint32_t array_crc;
	int r;

	r = gpt_check(d);
	if (r < 0)
		return r;
	/* head: MBR, primary header, primary array; tail: backup array, backup header */
	head = xcalloc(2 + ARRAY_SECTORS, SECTOR);
	tail = xcalloc(1 + ARRAY_SECTORS, SECTOR);
	build_entries(d, head + 2 * SECTOR);
	memcpy(tail, head + 2 * SECTOR, ARRAY_BYTES);
	array_crc = gpt_crc32(0, head + 2 * SECTOR, ARRAY_BYTES);
	build_protective_mbr(d, head);
	build_header(d, head + SECTOR, 1, last_lba, 2, array_crc);
	build_header(d, tail + ARRAY_BYTES, last_lba, 1, last_lba - ARRAY_SECTORS, array_crc);
	r = pwrite_full(fd, tail, (1 + ARRAY_SECTORS) * SECTOR, (last_lba - ARRAY_SECTORS) * SECTOR);
	if (r < 0)
		return r;
	return pwrite_full(fd, head, (2 + ARRAY_SECTORS) * SECTOR, 0);
}

/* Reads and validates the header at lba and its array; on success *ret_array
 * (caller frees) holds nentries * entry_size bytes. -ENOENT without a
 * signature, -EBADMSG when anything does not add up. */
static int read_copy(int fd, uint64_t sectors, uint64_t lba, uint8_t hdr[SECTOR],
		     uint8_t **ret_array)
{
	uint32_t hsize, crc, nentries, esize;
	uint64_t first, last, array_lba, array_bytes;
	uint8_t *array;
	int r;

	r = pread_full(fd, hdr, SECTOR, lba * SECTOR);
	if (r < 0)
		return r;
	if (memcmp(hdr, "EFI PART", 8))
		return -ENOENT;
	hsize = get32(hdr + 12);
	if (hsize < HEADER_SIZE || hsize > SECTOR)
		return -EBADMSG;
	crc = get32(hdr + 16);
	put32(hdr + 16, 0);
	if (gpt_crc32(0, hdr, hsize) != crc)
		return -EBADMSG;
	put32(hdr + 16, crc);
	first = get64(hdr + 40);
	last = get64(hdr + 48);
	array_lba = get64(hdr + 72);
	nentries = get32(hdr + 80);
	esize = get32(hdr + 84);
	if (get64(hdr + 24) != lba || first > last + 1 || last >= sectors ||
	    esize < ENTRY_SIZE || esize % 8 || nentries > MAX_READ_ENTRIES)
		return -EBADMSG;
	array_bytes = (uint64_t)nentries * esize;
	if (array_lba >= sectors || (array_bytes + SECTOR - 1) / SECTOR > sectors - array_lba)
		return -EBADMSG;
	array = xmalloc(array_bytes ? array_bytes : 1);
	r = pread_full(fd, array, array_bytes, array_lba * SECTOR);
	if (r < 0) {
		free(array);
		return r;
	}
	if (gpt_crc32(0, array, array_bytes) != get32(hdr + 88)) {
		free(array);
		return -EBADMSG;
	}
	*ret_array = array;
	return 0;
}

static int parse_entries(const uint8_t hdr[SECTOR], const uint8_t *array, struct gpt_disk *d)
{
	uint32_t nentries = get32(hdr + 80), esize = get32(hdr + 84);

	d->nparts = 0;
	for (uint32_t i = 0; i < nentries; i++) {
		const uint8_t *e = array + (size_t)i * esize;
		struct gpt_part *p;
		uint64_t first, last;

		if (guid_is_null(e))
			continue;
		if (i >= GPT_MAX_PARTS)
			return -E2BIG;
		first = get64(e + 32);
		last = get64(e + 40);
		if (last < first || last >= UINT64_MAX / SECTOR)
			return -EBADMSG;
		while (d->nparts < i)
			memset(&d->parts[d->nparts++], 0, sizeof(struct gpt_part));
		p = &d->parts[d->nparts++];
		guid_from_disk(e, p->type);
		guid_from_disk(e + 16, p->uuid);
		p->start = first * SECTOR;
		p->size = (last - first + 1) * SECTOR;
		p->attrs = get64(e + 48);
		name_decode(e + 56, p->name);
	}
	return 0;
}

int gpt_read(int fd, uint64_t disk_size, struct gpt_disk *ret)
{
	uint8_t phdr[SECTOR], bhdr[SECTOR], mbr[SECTOR];
	_cleanup_free_ uint8_t *parray = NULL, *barray = NULL;
	_cleanup_free_ struct gpt_disk *d = NULL;
	uint64_t sectors;
	int rp, rb, r;

	if (!disk_size) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0)
			return -errno;
		disk_size = (uint64_t)end;
	}
	sectors = disk_size / SECTOR;
	if (sectors < 3)
		return -ENOENT;
	r = pread_full(fd, mbr, SECTOR, 0);
	if (r < 0)
		return r;
	rp = read_copy(fd, sectors, 1, phdr, &parray);
	rb = read_copy(fd, sectors, sectors - 1, bhdr, &barray);
	if (rp < 0 && rp != -ENOENT && rp != -EBADMSG)
		return rp;
	if (rb < 0 && rb != -ENOENT && rb != -EBADMSG)
		return rb;
	if (rp < 0 && rb < 0)
		return rp == -ENOENT && rb == -ENOENT ? -ENOENT : -EBADMSG;

	d = xcalloc(1, sizeof(*d));
	d->size = sectors * SECTOR;
	d->mbr_signature = get32(mbr + 0x1b8);
	d->problems = (rp < 0 ? GPT_PRIMARY_BAD : 0) | (rb < 0 ? GPT_BACKUP_BAD : 0);
	guid_from_disk((rp == 0 ? phdr : bhdr) + 56, d->disk_guid);
	r = parse_entries(rp == 0 ? phdr : bhdr, rp == 0 ? parray : barray, d);
	if (r < 0)
		return r;
	memcpy(ret, d, sizeof(*d));
	return 0;
}
