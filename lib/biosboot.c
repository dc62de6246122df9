#include "biosboot.h"
#include "fsutil.h"

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

int biosboot_write(int fd, const void *boot_img, size_t boot_len, const void *core_img,
		   size_t core_len, uint64_t part_offset, uint64_t part_size)
{
	uint8_t mbr[512], boot[512];
	uint64_t sectors = (core_len + 511) / 512;
	uint64_t core_lba = part_offset / 512;
	uint8_t *core;
	int r;

	if (boot_len != 512 || part_offset % 512 || core_len < 512)
		return -EINVAL;
	if (sectors > BIOSBOOT_MAX_CORE_SECTORS || sectors * 512 > part_size)
		return -EFBIG;

	r = pread_full(fd, mbr, sizeof(mbr), 0);
	if (r < 0)
		return r;
	memcpy(boot, boot_img, 512);
	memcpy(boot + 0x03, mbr + 0x03, 0x5A - 0x03);   /* BPB */
	memcpy(boot + 0x1B8, mbr + 0x1B8, 0x1FE - 0x1B8); /* signature + table */
	put_le64(boot + 0x5C, core_lba);
	boot[0x66] = 0x90;
	boot[0x67] = 0x90;
	boot[0x1FE] = 0x55;
	boot[0x1FF] = 0xAA;

	core = xcalloc(sectors, 512);
	memcpy(core, core_img, core_len);
	put_le64(core + 0x1F4, core_lba + 1);
	core[0x1FC] = (sectors - 1) & 0xff;
	core[0x1FD] = ((sectors - 1) >> 8) & 0xff;
	r = pwrite_full(fd, core, sectors * 512, part_offset);
	free(core);
	if (r < 0)
		return r;
	return pwrite_full(fd, boot, sizeof(boot), 0);
}
