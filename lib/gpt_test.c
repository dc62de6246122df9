/* gpt_test.c — GPT written to a temporary file and read back: layout bytes,
 * CRCs, fallback to the backup, refused layouts, GUID helpers. The external
 * oracles (sfdisk, sgdisk, fdisk, blkid) run in lib/tests/gpt-*.sh. */
#include "gpt.h"
#include "guid.h"
#include "fsutil.h"
#include "strbuf.h"
#define TEST_IMPLEMENTATION
#include "test.h"

#define MiB (UINT64_C(1) << 20)

static int tmp_fd(const char *name)
{
	_cleanup_free_ char *path = path_join(test_tmpdir(), name);

	return open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void sample_disk(struct gpt_disk *d)
{
	memset(d, 0, sizeof(*d));
	d->size = 64 * MiB;
	guid_from_seed("/kiln/store/abc-system", "disk", d->disk_guid);
	memcpy(d->parts[0].type, guid_type_bios_boot, GUID_LEN);
	guid_from_seed("/kiln/store/abc-system", "bios", d->parts[0].uuid);
	d->parts[0].start = 1 * MiB;
	d->parts[0].size = 1 * MiB;
	snprintf(d->parts[0].name, sizeof(d->parts[0].name), "bios");
	memcpy(d->parts[1].type, guid_type_esp, GUID_LEN);
	guid_from_seed("/kiln/store/abc-system", "esp", d->parts[1].uuid);
	d->parts[1].start = 2 * MiB;
	d->parts[1].size = 32 * MiB;
	snprintf(d->parts[1].name, sizeof(d->parts[1].name), "ESP");
	memcpy(d->parts[2].type, guid_type_root_x86_64, GUID_LEN);
	guid_from_seed("/kiln/store/abc-system", "root", d->parts[2].uuid);
	d->parts[2].start = 34 * MiB;
	d->parts[2].size = gpt_aligned_end(d->size) - 34 * MiB;
	d->parts[2].attrs = GPT_ATTR_LEGACY_BOOT;
	snprintf(d->parts[2].name, sizeof(d->parts[2].name), "kiln-root ü€😀");
	d->nparts = 3;
}

static bool same_parts(const struct gpt_disk *a, const struct gpt_disk *b)
{
	if (a->nparts != b->nparts || memcmp(a->disk_guid, b->disk_guid, GUID_LEN) ||
	    a->size != b->size || a->mbr_signature != b->mbr_signature)
		return false;
	for (size_t i = 0; i < a->nparts; i++) {
		const struct gpt_part *p = &a->parts[i], *q = &b->parts[i];

		if (memcmp(p->type, q->type, GUID_LEN) || memcmp(p->uuid, q->uuid, GUID_LEN) ||
		    p->start != q->start || p->size != q->size || p->attrs != q->attrs ||
		    strcmp(p->name, q->name))
			return false;
	}
	return true;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

TEST(crc32_known_values)
{
	CHECK_EQ(gpt_crc32(0, "", 0), 0);
	CHECK_EQ(gpt_crc32(0, "123456789", 9), 0xcbf43926);
	CHECK_EQ(gpt_crc32(gpt_crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
}

TEST(guid_seed_format_parse_disk_order)
{
	uint8_t a[GUID_LEN], b[GUID_LEN], d[GUID_LEN];
	char s[GUID_STR_LEN + 1];

	guid_from_seed("seed", "disk", a);
	guid_from_seed("seed", "disk", b);
	CHECK(memcmp(a, b, GUID_LEN) == 0);
	guid_from_seed("seed", "root", b);
	CHECK(memcmp(a, b, GUID_LEN) != 0);
	guid_from_seed("seed\0", "disk", b); /* same C string */
	CHECK(memcmp(a, b, GUID_LEN) == 0);
	guid_from_seed("see", "ddisk", b);   /* the NUL separator matters */
	CHECK(memcmp(a, b, GUID_LEN) != 0);
	CHECK_EQ(a[6] >> 4, 4);
	CHECK_EQ(a[8] & 0xc0, 0x80);

	guid_format(guid_type_esp, s);
	CHECK_STREQ(s, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
	CHECK_EQ(guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", b), 0);
	CHECK(memcmp(b, guid_type_esp, GUID_LEN) == 0);
	CHECK_EQ(guid_parse("{21686148-6449-6e6f-744e-656564454649}", b), 0);
	CHECK(memcmp(b, guid_type_bios_boot, GUID_LEN) == 0);
	CHECK_EQ(guid_parse("c12a7328f81f-11d2-ba4b-00a0c93ec93b-", b), -EINVAL);
	CHECK_EQ(guid_parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93", b), -EINVAL);
	CHECK_EQ(guid_parse("g12a7328-f81f-11d2-ba4b-00a0c93ec93b", b), -EINVAL);

	guid_to_disk(guid_type_esp, d);
	static const uint8_t esp_disk[GUID_LEN] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
						    0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };
	CHECK(memcmp(d, esp_disk, GUID_LEN) == 0);
	guid_from_disk(d, b);
	CHECK(memcmp(b, guid_type_esp, GUID_LEN) == 0);
	CHECK(guid_is_null((const uint8_t[GUID_LEN]){ 0 }));
	CHECK(!guid_is_null(guid_type_linux_data));
	guid_format(guid_type_root_aarch64, s);
	CHECK_STREQ(s, "b921b045-1df0-41c3-af44-4c6f280d3fae");
	guid_format(guid_type_root_x86_64, s);
	CHECK_STREQ(s, "4f68bce3-e8cd-4db1-96e7-fbcaf984b709");
	guid_format(guid_type_linux_data, s);
	CHECK_STREQ(s, "0fc63daf-8483-4772-8e79-3d69d8477de4");
}

TEST(usable_area)
{
	CHECK_EQ(gpt_first_usable(64 * MiB), 34 * 512);
	CHECK_EQ(gpt_usable_end(64 * MiB), 64 * MiB - 33 * 512);
	CHECK_EQ(gpt_last_usable(64 * MiB), 64 * MiB - 33 * 512 - 1);
	CHECK_EQ(gpt_aligned_end(64 * MiB), 63 * MiB);
	CHECK_EQ(gpt_usable_end(67 * 512), 0);
	CHECK_EQ(gpt_usable_end(68 * 512), 35 * 512);
}

TEST(write_read_roundtrip)
{
	_cleanup_close_ int fd = tmp_fd("rt.img");
	struct gpt_disk *d = xcalloc(1, sizeof(*d)), *r = xcalloc(1, sizeof(*r));
	uint8_t sec[512];

	sample_disk(d);
	d->mbr_signature = 0x12345678;
	CHECK_EQ(gpt_write(fd, d), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_END), (off_t)(64 * MiB));
	CHECK_EQ(gpt_read(fd, 0, r), 0);
	CHECK_EQ(r->problems, 0);
	CHECK(same_parts(d, r));
	CHECK_STREQ(r->parts[2].name, "kiln-root ü€😀");

	/* protective MBR */
	CHECK_EQ(pread_full(fd, sec, 512, 0), 0);
	CHECK_EQ(sec[0x1be + 4], 0xee);
	CHECK_EQ(le32(sec + 0x1be + 8), 1);
	CHECK_EQ(le32(sec + 0x1be + 12), 64 * MiB / 512 - 1);
	CHECK_EQ(le32(sec + 0x1b8), 0x12345678);
	CHECK(sec[510] == 0x55 && sec[511] == 0xaa);
	/* primary header: fields and CRC recomputed here */
	CHECK_EQ(pread_full(fd, sec, 512, 512), 0);
	CHECK(memcmp(sec, "EFI PART", 8) == 0);
	CHECK_EQ(le32(sec + 24), 1);
	CHECK_EQ(le32(sec + 32), 64 * MiB / 512 - 1);
	CHECK_EQ(le32(sec + 40), 34);
	CHECK_EQ(le32(sec + 48), 64 * MiB / 512 - 34);
	CHECK_EQ(le32(sec + 72), 2);
	uint32_t crc = le32(sec + 16);
	memset(sec + 16, 0, 4);
	CHECK_EQ(gpt_crc32(0, sec, 92), crc);
	uint8_t *array = xmalloc(16384);
	CHECK_EQ(pread_full(fd, array, 16384, 1024), 0);
	CHECK_EQ(gpt_crc32(0, array, 16384), le32(sec + 88));
	CHECK_EQ(le32(array + 32), 2048);           /* bios: first LBA */
	CHECK_EQ(le32(array + 40), 4095);           /* inclusive last LBA */
	CHECK_EQ(array[128 * 2 + 48], 4);           /* legacy boot attribute */
	CHECK(memcmp(array + 128 + 56, "E\0S\0P\0\0\0", 8) == 0);
	/* backup header at the last sector, its array just before */
	CHECK_EQ(pread_full(fd, sec, 512, 64 * MiB - 512), 0);
	CHECK(memcmp(sec, "EFI PART", 8) == 0);
	CHECK_EQ(le32(sec + 24), 64 * MiB / 512 - 1);
	CHECK_EQ(le32(sec + 32), 1);
	CHECK_EQ(le32(sec + 72), 64 * MiB / 512 - 33);
	uint8_t *barray = xmalloc(16384);
	CHECK_EQ(pread_full(fd, barray, 16384, 64 * MiB - 33 * 512), 0);
	CHECK(memcmp(array, barray, 16384) == 0);
	free(array);
	free(barray);
	free(d);
	free(r);
}

TEST(byte_identical_twice)
{
	_cleanup_close_ int a = tmp_fd("a.img");
	_cleanup_close_ int b = tmp_fd("b.img");
	struct gpt_disk *d = xcalloc(1, sizeof(*d));
	uint8_t *x = xmalloc(64 * MiB), *y = xmalloc(64 * MiB);

	sample_disk(d);
	CHECK_EQ(gpt_write(a, d), 0);
	CHECK_EQ(gpt_write(b, d), 0);
	CHECK_EQ(gpt_write(b, d), 0);
	CHECK_EQ(pread_full(a, x, 64 * MiB, 0), 0);
	CHECK_EQ(pread_full(b, y, 64 * MiB, 0), 0);
	CHECK(memcmp(x, y, 64 * MiB) == 0);
	free(x);
	free(y);
	free(d);
}

TEST(corrupt_primary_reads_backup)
{
	_cleanup_close_ int fd = tmp_fd("c.img");
	struct gpt_disk *d = xcalloc(1, sizeof(*d)), *r = xcalloc(1, sizeof(*r));
	uint8_t junk = 0x5a;

	sample_disk(d);
	CHECK_EQ(gpt_write(fd, d), 0);
	/* a flipped byte in the primary array: entries CRC fails */
	CHECK_EQ(pwrite_full(fd, &junk, 1, 1024 + 200), 0);
	CHECK_EQ(gpt_read(fd, 64 * MiB, r), 0);
	CHECK_EQ(r->problems, GPT_PRIMARY_BAD);
	CHECK(same_parts(d, r));
	/* the primary header itself broken: header CRC fails */
	CHECK_EQ(pwrite_full(fd, &junk, 1, 512 + 60), 0);
	CHECK_EQ(gpt_read(fd, 0, r), 0);
	CHECK_EQ(r->problems, GPT_PRIMARY_BAD);
	CHECK(same_parts(d, r));
	/* backup broken too: nothing to trust */
	CHECK_EQ(pwrite_full(fd, &junk, 1, 64 * MiB - 512 + 60), 0);
	CHECK_EQ(gpt_read(fd, 0, r), -EBADMSG);
	/* rewritten: both good again */
	CHECK_EQ(gpt_write(fd, d), 0);
	CHECK_EQ(gpt_read(fd, 0, r), 0);
	CHECK_EQ(r->problems, 0);
	/* only the backup broken: primary used, backup reported */
	CHECK_EQ(pwrite_full(fd, &junk, 1, 64 * MiB - 33 * 512 + 5), 0);
	CHECK_EQ(gpt_read(fd, 0, r), 0);
	CHECK_EQ(r->problems, GPT_BACKUP_BAD);
	CHECK(same_parts(d, r));
	free(d);
	free(r);
}

TEST(no_gpt_is_enoent)
{
	_cleanup_close_ int fd = tmp_fd("empty.img");
	struct gpt_disk *r = xcalloc(1, sizeof(*r));

	CHECK_EQ(ftruncate(fd, 4 * MiB), 0);
	CHECK_EQ(gpt_read(fd, 0, r), -ENOENT);
	free(r);
}

TEST(gaps_keep_partition_numbers)
{
	_cleanup_close_ int fd = tmp_fd("gap.img");
	struct gpt_disk *d = xcalloc(1, sizeof(*d)), *r = xcalloc(1, sizeof(*r));

	sample_disk(d);
	memset(&d->parts[1], 0, sizeof(d->parts[1])); /* entry 2 unused */
	CHECK_EQ(gpt_write(fd, d), 0);
	CHECK_EQ(gpt_read(fd, 0, r), 0);
	CHECK_EQ(r->nparts, 3);
	CHECK(guid_is_null(r->parts[1].type));
	CHECK(same_parts(d, r));
	free(d);
	free(r);
}

TEST(bad_layouts_refused_and_nothing_written)
{
	_cleanup_close_ int fd = tmp_fd("bad.img");
	struct gpt_disk *d = xcalloc(1, sizeof(*d));
	struct stat st;

#define REFUSED(mutate)                                                 \
	do {                                                            \
		sample_disk(d);                                         \
		mutate;                                                 \
		CHECK_EQ(gpt_check(d), -EINVAL);                        \
		CHECK_EQ(gpt_write(fd, d), -EINVAL);                    \
	} while (0)
	REFUSED(d->parts[1].start += 512);                    /* unaligned start */
	REFUSED(d->parts[1].size += 1);                       /* size not whole sectors */
	REFUSED(d->parts[1].size = 0);
	REFUSED(d->parts[1].start = 0);                       /* over the primary array */
	REFUSED(d->parts[1].size = 33 * MiB);                 /* overlaps root */
	REFUSED(d->parts[2].start = 2 * MiB);                 /* overlaps ESP */
	REFUSED(d->parts[2].size += MiB);                     /* into the backup array */
	REFUSED(d->parts[2].start = 64 * MiB);                /* past the end */
	REFUSED(d->parts[2].start = UINT64_MAX / GPT_ALIGN * GPT_ALIGN);
	REFUSED(d->parts[2].size = UINT64_MAX - 511);          /* wraps around */
	REFUSED(d->size += 100);                              /* not whole sectors */
	REFUSED(d->size = 60 * 512; d->nparts = 0);           /* too small for a GPT */
	REFUSED(d->nparts = GPT_MAX_PARTS + 1);
	REFUSED(snprintf(d->parts[0].name, sizeof(d->parts[0].name),
			 "0123456789012345678901234567890123456")); /* 37 units */
	REFUSED(snprintf(d->parts[0].name, sizeof(d->parts[0].name),
			 "01234567890123456789012345678901234😀")); /* 35 + 2 units */
	REFUSED(snprintf(d->parts[0].name, sizeof(d->parts[0].name), "bad \xff utf8"));
	REFUSED(snprintf(d->parts[0].name, sizeof(d->parts[0].name), "overlong \xc0\xaf"));
#undef REFUSED
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 0);

	sample_disk(d); /* 36 units exactly is fine */
	snprintf(d->parts[0].name, sizeof(d->parts[0].name), "012345678901234567890123456789012345");
	CHECK_EQ(gpt_check(d), 0);
	free(d);
}

int main(void)
{
	return test_main();
}
