/*
 * fat-layout.h — FAT's on-disk constants and byte helpers, shared by the
 * writer (fat.c) and the reader (fat_read.c). Internal to lib/.
 */
#ifndef KILN_FAT_LAYOUT_H
#define KILN_FAT_LAYOUT_H

#include "compat.h"

#define FAT_SECTOR 512
#define FAT_DIRENT 32
#define FAT_LFN_CHARS 13
#define FAT_ATTR_VOLUME 0x08
#define FAT_ATTR_DIR 0x10
#define FAT_ATTR_ARCHIVE 0x20
#define FAT_ATTR_LFN 0x0f
#define FAT16_MIN_CLUSTERS 4085  /* fewer clusters: FAT12 */
#define FAT32_MIN_CLUSTERS 65525 /* fewer clusters: FAT16 */
#define FAT32_MAX_CLUSTERS 0x0ffffff5

/* Where a long-name entry keeps its 13 UTF-16 characters. */
static const uint8_t fat_lfn_pos[FAT_LFN_CHARS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

static inline void fat_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void fat_put32(uint8_t *p, uint32_t v) { fat_put16(p, (uint16_t)v); fat_put16(p + 2, (uint16_t)(v >> 16)); }
static inline uint16_t fat_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t fat_get32(const uint8_t *p) { return fat_get16(p) | (uint32_t)fat_get16(p + 2) << 16; }

static inline char fat_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The checksum of an 8.3 name that its long-name entries carry. */
static inline uint8_t fat_lfn_checksum(const uint8_t name[11])
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name[i]);
	return sum;
}

#endif
