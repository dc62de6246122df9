/*
 * hash.c — sha256 (Nettle on the host, sha256-nettle.h; static target
 * programs use sha256-builtin.c), hex, and Nix's base32 and compressHash.
 */
#include "hash.h"
#include "strbuf.h"
#include "sha256-builtin.h"
#include "sha256-nettle.h"

/* Large reads keep syscall overhead far below the cost of hashing. */
#define HASH_READ_BUF (512 * 1024)

#ifdef KILN_SHA256_BUILTIN
/* static target programs: the portable implementation (sha256-builtin.h says why) */
void sha256_init(struct sha256_ctx *c)
{
	c->state = xmalloc(sizeof(struct sha256_state));
	sha256_builtin_init(c->state);
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	sha256_builtin_update(c->state, data, len);
}

void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN])
{
	sha256_builtin_final(c->state, out);
	free(c->state);
	c->state = NULL;
}
#else
/* the host CLI: Nettle (sha256-nettle.h says why) */
void sha256_init(struct sha256_ctx *c)
{
	c->state = sha256_nettle_new();
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	if (len)
		sha256_nettle_update(c->state, data, len);
}

void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN])
{
	sha256_nettle_final(c->state, out);
	c->state = NULL;
}
#endif

void sha256_buf(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final(&c, out);
}

int sha256_file(const char *path, uint8_t out[SHA256_LEN])
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	struct sha256_ctx c;
	int r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	buf = xmalloc(HASH_READ_BUF);
	sha256_init(&c);
	for (;;) {
		ssize_t n = read(fd, buf, HASH_READ_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		sha256_update(&c, buf, (size_t)n);
	}
	if (r < 0) {
		uint8_t scratch[SHA256_LEN];
		sha256_final(&c, scratch); /* frees the context */
		return r;
	}
	sha256_final(&c, out);
	return 0;
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *in, uint8_t *out, size_t len)
{
	if (strlen(in) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static const char nix_base32_chars[] = "0123456789abcdfghijklmnpqrsvwxyz";

size_t nix_base32_len(size_t len)
{
	return (len * 8 + 4) / 5;
}

/*
 * Nix prints the most significant 5-bit group first, where group n takes
 * bits n*5 .. n*5+4 of the digest read as a little-endian number.
 */
void nix_base32_encode(const uint8_t *in, size_t len, char *out)
{
	size_t outlen = nix_base32_len(len);

	for (size_t n = outlen; n-- > 0;) {
		size_t b = n * 5, i = b / 8, j = b % 8;
		unsigned c = in[i] >> j;
		if (i + 1 < len)
			c |= (unsigned)in[i + 1] << (8 - j);
		out[outlen - 1 - n] = nix_base32_chars[c & 0x1f];
	}
	out[outlen] = '\0';
}

int nix_base32_decode(const char *in, uint8_t *out, size_t len)
{
	size_t inlen = nix_base32_len(len);

	if (strlen(in) != inlen)
		return -EINVAL;
	memset(out, 0, len);
	for (size_t n = 0; n < inlen; n++) {
		const char *p = strchr(nix_base32_chars, in[inlen - 1 - n]);
		if (!p || !*p)
			return -EINVAL;
		unsigned digit = (unsigned)(p - nix_base32_chars);
		size_t b = n * 5, i = b / 8, j = b % 8;
		out[i] |= (uint8_t)(digit << j);
		unsigned carry = digit >> (8 - j);
		if (i + 1 < len)
			out[i + 1] |= (uint8_t)carry;
		else if (carry)
			return -EINVAL; /* bits beyond the digest must be zero */
	}
	return 0;
}

void nix_compress_hash(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	memset(out, 0, out_len);
	for (size_t i = 0; i < in_len; i++)
		out[i % out_len] ^= in[i];
}
