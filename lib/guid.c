/*
 * guid.c — seeded GUIDs, their string form and GPT's mixed-endian byte order.
 */
#include "guid.h"
#include "hash.h"

const uint8_t guid_type_bios_boot[GUID_LEN] = {
	0x21, 0x68, 0x61, 0x48, 0x64, 0x49, 0x6e, 0x6f,
	0x74, 0x4e, 0x65, 0x65, 0x64, 0x45, 0x46, 0x49,
};
const uint8_t guid_type_esp[GUID_LEN] = {
	0xc1, 0x2a, 0x73, 0x28, 0xf8, 0x1f, 0x11, 0xd2,
	0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
};
const uint8_t guid_type_root_x86_64[GUID_LEN] = {
	0x4f, 0x68, 0xbc, 0xe3, 0xe8, 0xcd, 0x4d, 0xb1,
	0x96, 0xe7, 0xfb, 0xca, 0xf9, 0x84, 0xb7, 0x09,
};
const uint8_t guid_type_root_aarch64[GUID_LEN] = {
	0xb9, 0x21, 0xb0, 0x45, 0x1d, 0xf0, 0x41, 0xc3,
	0xaf, 0x44, 0x4c, 0x6f, 0x28, 0x0d, 0x3f, 0xae,
};
const uint8_t guid_type_linux_data[GUID_LEN] = {
	0x0f, 0xc6, 0x3d, 0xaf, 0x84, 0x83, 0x47, 0x72,
	0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4,
};

void guid_from_seed(const char *seed, const char *purpose, uint8_t ret[GUID_LEN])
{
	struct sha256_ctx c;
	uint8_t h[SHA256_LEN];

	sha256_init(&c);
	sha256_update(&c, seed, strlen(seed) + 1); /* includes the "\0" separator */
	sha256_update(&c, purpose, strlen(purpose));
	sha256_final(&c, h);
	memcpy(ret, h, GUID_LEN);
	ret[6] = (ret[6] & 0x0f) | 0x40; /* version 4 */
	ret[8] = (ret[8] & 0x3f) | 0x80; /* variant 1 (RFC 4122) */
}

void guid_format(const uint8_t g[GUID_LEN], char out[GUID_STR_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	for (int i = 0; i < GUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = digits[g[i] >> 4];
		out[o++] = digits[g[i] & 15];
	}
	out[o] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int guid_parse(const char *s, uint8_t ret[GUID_LEN])
{
	uint8_t g[GUID_LEN];
	size_t len = strlen(s), pos = 0;
	bool braces = len == GUID_STR_LEN + 2 && s[0] == '{' && s[len - 1] == '}';

	if (braces)
		s++;
	else if (len != GUID_STR_LEN)
		return -EINVAL;
	for (int i = 0; i < GUID_LEN; i++) {
		int hi, lo;

		if (i == 4 || i == 6 || i == 8 || i == 10) {
			if (s[pos++] != '-')
				return -EINVAL;
		}
		hi = hexval(s[pos]);
		lo = hexval(s[pos + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		g[i] = (uint8_t)(hi << 4 | lo);
		pos += 2;
	}
	memcpy(ret, g, GUID_LEN);
	return 0;
}

void guid_to_disk(const uint8_t g[GUID_LEN], uint8_t ret[GUID_LEN])
{
	uint8_t d[GUID_LEN];

	d[0] = g[3]; d[1] = g[2]; d[2] = g[1]; d[3] = g[0];
	d[4] = g[5]; d[5] = g[4];
	d[6] = g[7]; d[7] = g[6];
	memcpy(d + 8, g + 8, 8);
	memcpy(ret, d, GUID_LEN);
}

void guid_from_disk(const uint8_t d[GUID_LEN], uint8_t ret[GUID_LEN])
{
	guid_to_disk(d, ret); /* the swap is its own inverse */
}

bool guid_is_null(const uint8_t g[GUID_LEN])
{
	for (int i = 0; i < GUID_LEN; i++)
		if (g[i])
			return false;
	return true;
}
