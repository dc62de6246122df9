/* fat_test.c — FAT filesystems built into temporary files, read back through
 * kiln's own reader: geometry per size, names and aliases, determinism,
 * in-place overwrite, refused input. The external oracles (fsck.fat, blkid,
 * mtools) run in lib/tests/fat-*.sh. */
#include "fat.h"
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

static const struct fat_params params = {
	.volume_id = 0x1234abcd, .label = "kiln-esp", .mtime = 1700000000,
};

static uint8_t *pattern(size_t len, unsigned seed)
{
	uint8_t *p = xmalloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 9)) & 0xff);
	return p;
}

static bool reads_back(int fd, uint64_t off, const char *path, const void *want, size_t len)
{
	void *got = NULL;
	size_t got_len = 0;
	bool ok;

	if (fat_read_file(fd, off, path, &got, &got_len) < 0)
		return false;
	ok = got_len == len && (!len || !memcmp(got, want, len));
	free(got);
	return ok;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return le16(p) | (uint32_t)le16(p + 2) << 16; }

TEST(fat16_files_of_many_sizes_read_back)
{
	_cleanup_close_ int fd = tmp_fd("f16.img");
	size_t sizes[] = { 0, 1, 511, 512, 2048, 2049, 3 * 2048, 1500000 };
	uint8_t *data[ARRAY_SIZE(sizes)];
	struct fat_file files[ARRAY_SIZE(sizes) + 2];
	char names[ARRAY_SIZE(sizes)][64];
	uint8_t bs[512];

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		data[i] = pattern(sizes[i], (unsigned)i);
		snprintf(names[i], sizeof(names[i]), "EFI/BOOT/F%zu.BIN", sizes[i]);
		files[i] = (struct fat_file){ names[i], data[i], sizes[i] };
	}
	files[ARRAY_SIZE(sizes)] = (struct fat_file){ "boot/grub/grub.cfg", "set x=1\n", 8 };
	files[ARRAY_SIZE(sizes) + 1] = (struct fat_file){ "EFI/kiln/", NULL, 0 };
	CHECK_EQ(fat_build(fd, 0, 64 * MiB, &params, files, ARRAY_SIZE(files)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		CHECK(reads_back(fd, 0, names[i], data[i], sizes[i]));
		free(data[i]);
	}
	CHECK(reads_back(fd, 0, "boot/grub/grub.cfg", "set x=1\n", 8));
	CHECK(reads_back(fd, 0, "BOOT/GRUB/GRUB.CFG", "set x=1\n", 8)); /* case-insensitive */
	CHECK(reads_back(fd, 0, "efi/boot/f1.bin", data[0], 0) == false); /* 1 byte, not 0 */

	CHECK_EQ(pread_full(fd, bs, 512, 0), 0);
	CHECK_EQ(le16(bs + 11), 512);
	CHECK_EQ(bs[13], 4);                    /* 64 MiB: 2 KiB clusters (FAT16 table) */
	CHECK_EQ(le16(bs + 17), 512);
	CHECK(memcmp(bs + 54, "FAT16   ", 8) == 0);
	CHECK(memcmp(bs + 43, "KILN-ESP   ", 11) == 0);
	CHECK_EQ(le32(bs + 39), 0x1234abcd);
	CHECK(bs[510] == 0x55 && bs[511] == 0xaa);
	CHECK_EQ((le16(bs + 14) + 2 * le16(bs + 22) + 32) % 4, 0); /* data area cluster aligned */
}

TEST(fat32_by_size_and_forced)
{
	_cleanup_close_ int fd = tmp_fd("f32.img");
	struct fat_params p = params;
	struct fat_file f = { "EFI/BOOT/BOOTAA64.EFI", "MZ....", 6 };
	uint8_t bs[512], fsinfo[512];

	CHECK_EQ(fat_build(fd, 0, 512 * MiB, &p, &f, 1), 0);
	CHECK_EQ(pread_full(fd, bs, 512, 0), 0);
	CHECK(memcmp(bs + 82, "FAT32   ", 8) == 0);
	CHECK_EQ(bs[13], 8);                    /* 512 MiB: 4 KiB clusters (FAT32 table) */
	CHECK(reads_back(fd, 0, "EFI/BOOT/BOOTAA64.EFI", "MZ....", 6));

	p.fat_bits = 32;
	CHECK_EQ(fat_build(fd, 0, 40 * MiB, &p, &f, 1), 0);
	CHECK_EQ(pread_full(fd, bs, 512, 0), 0);
	CHECK(memcmp(bs + 82, "FAT32   ", 8) == 0);
	CHECK_EQ(bs[13], 1);
	CHECK_EQ(le32(bs + 44), 2);
	CHECK_EQ(pread_full(fd, fsinfo, 512, 512), 0);
	CHECK_EQ(le32(fsinfo), 0x41615252);
	CHECK(reads_back(fd, 0, "efi/boot/bootaa64.efi", "MZ....", 6));
	CHECK_EQ(fat_build(fd, 0, 30 * MiB, &p, &f, 1), -ENOSPC); /* < 65525 clusters */
	p.fat_bits = 12;
	CHECK_EQ(fat_build(fd, 0, 40 * MiB, &p, &f, 1), -EINVAL);
}

TEST(long_names_and_aliases)
{
	_cleanup_close_ int fd = tmp_fd("lfn.img");
	struct fat_file files[] = {
		{ "grubenv", "e", 1 },
		{ "grub.cfg", "c", 1 },
		{ "kiln-generation-1.conf", "1", 1 },
		{ "kiln-generation-2.conf", "2", 1 },
		{ "KILN-G~1.CON", "x", 1 },          /* an exact 8.3 name that looks like an alias */
		{ "Mixed Case Name With Spaces.txt", "m", 1 },
		{ "a.b.c", "abc", 3 },
		{ ".hidden", "h", 1 },
		{ "x.long-extension", "l", 1 },
		{ "UPPER.TXT", "u", 1 },
	};

	CHECK_EQ(fat_build(fd, 0, 8 * MiB, &params, files, ARRAY_SIZE(files)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		CHECK(reads_back(fd, 0, files[i].path, files[i].data, files[i].len));
	CHECK(reads_back(fd, 0, "GRUB.CFG", "c", 1));    /* the alias is the uppercased name */
	CHECK(reads_back(fd, 0, "KILN-G~2.CON", "1", 1)); /* ~1 was taken by the exact name */
	CHECK(reads_back(fd, 0, "KILN-G~3.CON", "2", 1));
}

TEST(deterministic_and_order_independent)
{
	_cleanup_close_ int a = tmp_fd("a.img");
	_cleanup_close_ int b = tmp_fd("b.img");
	struct fat_file f1[] = { { "EFI/BOOT/BOOTX64.EFI", "abc", 3 }, { "grubenv", "e", 1 },
				 { "EFI/kiln/x", "x", 1 } };
	struct fat_file f2[] = { { "EFI/kiln/x", "x", 1 }, { "grubenv", "e", 1 },
				 { "EFI/BOOT/BOOTX64.EFI", "abc", 3 } };
	uint8_t *x = xmalloc(8 * MiB), *y = xmalloc(8 * MiB);

	CHECK_EQ(fat_build(a, 0, 8 * MiB, &params, f1, 3), 0);
	CHECK_EQ(fat_build(b, 0, 8 * MiB, &params, f2, 3), 0);
	CHECK_EQ(pread_full(a, x, 8 * MiB, 0), 0);
	CHECK_EQ(pread_full(b, y, 8 * MiB, 0), 0);
	CHECK(memcmp(x, y, 8 * MiB) == 0);
	free(x);
	free(y);
}

TEST(overwrite_in_place)
{
	_cleanup_close_ int fd = tmp_fd("ow.img");
	uint8_t *env = pattern(1024, 1), *env2 = pattern(1024, 2), *big = pattern(100000, 3);
	struct fat_file files[] = { { "boot/grub/grubenv", env, 1024 }, { "big.bin", big, 100000 } };
	uint64_t off = 3 * MiB;

	CHECK_EQ(fat_build(fd, off, 16 * MiB, &params, files, 2), 0);
	CHECK_EQ(fat_overwrite_file(fd, off, "boot/grub/grubenv", env2, 1024), 0);
	CHECK(reads_back(fd, off, "boot/grub/grubenv", env2, 1024));
	CHECK(reads_back(fd, off, "big.bin", big, 100000));
	memset(big, 0x77, 100000);
	CHECK_EQ(fat_overwrite_file(fd, off, "BIG.BIN", big, 100000), 0);
	CHECK(reads_back(fd, off, "big.bin", big, 100000));
	CHECK_EQ(fat_overwrite_file(fd, off, "boot/grub/grubenv", env2, 1023), -EMSGSIZE);
	CHECK_EQ(fat_overwrite_file(fd, off, "boot/grub/nope", env2, 1024), -ENOENT);
	CHECK_EQ(fat_overwrite_file(fd, off, "boot/grub", env2, 1024), -EISDIR);
	CHECK_EQ(fat_overwrite_file(fd, off, "big.bin/x", env2, 1024), -ENOTDIR);
	CHECK_EQ(fat_overwrite_file(fd, 0, "big.bin", big, 100000), -EBADMSG); /* no FAT there */
	free(env);
	free(env2);
	free(big);
}

TEST(bad_input_refused_before_writing)
{
	_cleanup_close_ int fd = tmp_fd("bad.img");
	struct fat_params p = params;
	struct stat st;
	uint8_t *big = xcalloc(1, 3 * MiB);

#define REFUSED(want, size, ...)                                                   \
	do {                                                                       \
		struct fat_file fs_[] = { __VA_ARGS__ };                           \
		CHECK_EQ(fat_build(fd, 0, size, &p, fs_, ARRAY_SIZE(fs_)), want);  \
	} while (0)
	REFUSED(-EEXIST, 8 * MiB, { "a/b", "1", 1 }, { "A/B", "2", 1 });
	REFUSED(-ENOTDIR, 8 * MiB, { "a", "1", 1 }, { "a/b", "2", 1 });
	REFUSED(-EEXIST, 8 * MiB, { "a/b", "1", 1 }, { "a", "2", 1 });
	REFUSED(-EINVAL, 8 * MiB, { "/abs", "1", 1 });
	REFUSED(-EINVAL, 8 * MiB, { "a//b", "1", 1 });
	REFUSED(-EINVAL, 8 * MiB, { "a/../b", "1", 1 });
	REFUSED(-EINVAL, 8 * MiB, { "a/./b", "1", 1 });
	REFUSED(-EINVAL, 8 * MiB, { "what?", "1", 1 });
	REFUSED(-EINVAL, 8 * MiB, { "caf\xc3\xa9", "1", 1 });
	REFUSED(-EINVAL, 8 * MiB, { "trailing.", "1", 1 });
	REFUSED(-EINVAL, 8 * MiB, { "", "1", 1 });
	REFUSED(-EINVAL, 8 * MiB, { "x", NULL, 1 });
	REFUSED(-ENOSPC, 2 * MiB, { "x", big, 3 * MiB });
	REFUSED(-ENOSPC, 1 * MiB, { "x", "1", 1 });          /* too small for FAT16 */
	REFUSED(-EINVAL, 8 * MiB + 1, { "x", "1", 1 });
	snprintf(p.label, sizeof(p.label), "bad/label");
	REFUSED(-EINVAL, 8 * MiB, { "x", "1", 1 });
#undef REFUSED
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 0);
	free(big);
}

TEST(root_directory_limit)
{
	_cleanup_close_ int fd = tmp_fd("root.img");
	struct fat_file *files = xcalloc(600, sizeof(*files));
	char (*names)[16] = xcalloc(600, 16);
	struct fat_params p = params;

	for (int i = 0; i < 600; i++) {
		snprintf(names[i], 16, "F%d", i);
		files[i] = (struct fat_file){ names[i], "x", 1 };
	}
	CHECK_EQ(fat_build(fd, 0, 8 * MiB, &p, files, 511), 0);  /* + the label: 512 */
	CHECK_EQ(fat_build(fd, 0, 8 * MiB, &p, files, 512), -ENOSPC);
	p.fat_bits = 32;
	CHECK_EQ(fat_build(fd, 0, 40 * MiB, &p, files, 600), 0);
	CHECK(reads_back(fd, 0, "F599", "x", 1));
	free(files);
	free(names);
}

/* The root directory entry after the label: its write time and date. */
static void root_entry_time(int fd, uint16_t *ret_date, uint16_t *ret_time)
{
	uint8_t bs[512], e[64];
	uint64_t root;

	memset(e, 0, sizeof(e));
	if (pread_full(fd, bs, 512, 0) == 0) {
		root = (uint64_t)(le16(bs + 14) + 2 * le16(bs + 22)) * 512;
		pread_full(fd, e, 64, root);
	}
	*ret_time = le16(e + 32 + 22);
	*ret_date = le16(e + 32 + 24);
}

TEST(timestamps_utc_and_clamped)
{
	_cleanup_close_ int fd = tmp_fd("time.img");
	struct fat_params p = params;
	struct fat_file f = { "X", "x", 1 };
	uint16_t date, time;

	CHECK_EQ(fat_build(fd, 0, 8 * MiB, &p, &f, 1), 0); /* 2023-11-14 22:13:20 UTC */
	root_entry_time(fd, &date, &time);
	CHECK_EQ(date, (2023 - 1980) << 9 | 11 << 5 | 14);
	CHECK_EQ(time, 22 << 11 | 13 << 5 | 10);
	p.mtime = 0;                                         /* before FAT's epoch */
	CHECK_EQ(fat_build(fd, 0, 8 * MiB, &p, &f, 1), 0);
	root_entry_time(fd, &date, &time);
	CHECK_EQ(date, 0 << 9 | 1 << 5 | 1);
	CHECK_EQ(time, 0);
	p.mtime = INT64_C(5000000000);                       /* after 2107 */
	CHECK_EQ(fat_build(fd, 0, 8 * MiB, &p, &f, 1), 0);
	root_entry_time(fd, &date, &time);
	CHECK_EQ(date, 127 << 9 | 12 << 5 | 31);
	CHECK_EQ(time, 23 << 11 | 59 << 5 | 29);
}

int main(void)
{
	return test_main();
}
