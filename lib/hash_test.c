/* hash_test.c — sha256, hex, Nix base32 and compressHash against known values
 * (the base32 strings were printed by nix-hash 2.8). */
#include "hash.h"
#include "fsutil.h"
#include "strbuf.h"
#define TEST_IMPLEMENTATION
#include "test.h"

static const char *hex_of(const uint8_t *h, size_t len, char *buf)
{
	hex_encode(h, len, buf);
	return buf;
}

TEST(sha256_known_vectors)
{
	uint8_t h[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];

	sha256_buf("", 0, h);
	CHECK_STREQ(hex_of(h, SHA256_LEN, hex),
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_buf("abc", 3, h);
	CHECK_STREQ(hex_of(h, SHA256_LEN, hex),
		    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(sha256_streaming_equals_oneshot)
{
	struct sha256_ctx c;
	uint8_t a[SHA256_LEN], b[SHA256_LEN];
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < 100000; i++)
		strbuf_addch(&sb, (char)(i * 7));
	sha256_buf(sb.buf, sb.len, a);
	sha256_init(&c);
	for (size_t off = 0; off < sb.len; off += 333)
		sha256_update(&c, sb.buf + off, sb.len - off < 333 ? sb.len - off : 333);
	sha256_final(&c, b);
	CHECK(memcmp(a, b, SHA256_LEN) == 0);
	strbuf_release(&sb);
}

TEST(sha256_file_matches_buffer)
{
	_cleanup_free_ char *path = path_join(test_tmpdir(), "f");
	uint8_t a[SHA256_LEN], b[SHA256_LEN];
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < 3 * 1024 * 1024 + 17; i++)
		strbuf_addch(&sb, (char)(i ^ (i >> 9)));
	CHECK_EQ(write_file_atomic(path, sb.buf, sb.len, 0644), 0);
	CHECK_EQ(sha256_file(path, a), 0);
	sha256_buf(sb.buf, sb.len, b);
	CHECK(memcmp(a, b, SHA256_LEN) == 0);
	CHECK_EQ(sha256_file("/nonexistent/kiln", a), -ENOENT);
	strbuf_release(&sb);
}

TEST(hex_roundtrip_and_errors)
{
	uint8_t in[4] = { 0x00, 0xab, 0x7f, 0xff }, out[4];
	char hex[9];

	hex_encode(in, 4, hex);
	CHECK_STREQ(hex, "00ab7fff");
	CHECK_EQ(hex_decode("00AB7fff", out, 4), 0);
	CHECK(memcmp(in, out, 4) == 0);
	CHECK_EQ(hex_decode("00ab7ff", out, 4), -EINVAL);
	CHECK_EQ(hex_decode("00ab7ffg", out, 4), -EINVAL);
}

TEST(nix_base32_known_strings)
{
	uint8_t h[SHA256_LEN], back[SHA256_LEN];
	char b32[SHA256_B32_LEN + 1];

	CHECK_EQ(nix_base32_len(32), 52);
	CHECK_EQ(nix_base32_len(20), 32);
	CHECK_EQ(nix_base32_len(0), 0);
	sha256_buf("abc", 3, h);
	nix_base32_encode(h, SHA256_LEN, b32);
	/* nix-hash --type sha256 --to-base32 ba7816bf… */
	CHECK_STREQ(b32, "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s");
	sha256_buf("", 0, h);
	nix_base32_encode(h, SHA256_LEN, b32);
	CHECK_STREQ(b32, "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
	CHECK_EQ(nix_base32_decode(b32, back, SHA256_LEN), 0);
	CHECK(memcmp(h, back, SHA256_LEN) == 0);
}

TEST(nix_base32_roundtrip_all_lengths)
{
	uint8_t in[64], out[64];
	char enc[128];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 1; len <= sizeof(in); len++) {
		nix_base32_encode(in, len, enc);
		CHECK_EQ(strlen(enc), nix_base32_len(len));
		CHECK_EQ(nix_base32_decode(enc, out, len), 0);
		CHECK(memcmp(in, out, len) == 0);
	}
}

TEST(nix_base32_rejects_bad_input)
{
	uint8_t h[SHA256_LEN];

	/* 'e', 'o', 't', 'u' are not in Nix's alphabet */
	CHECK_EQ(nix_base32_decode("1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5e", h, 32), -EINVAL);
	CHECK_EQ(nix_base32_decode("1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5", h, 32), -EINVAL);
	/* top char carries bits past 256: only 0 and 1 are valid there */
	CHECK_EQ(nix_base32_decode("2b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s", h, 32), -EINVAL);
}

TEST(nix_compress_hash_xor_fold)
{
	uint8_t in[32], out[20];

	for (int i = 0; i < 32; i++)
		in[i] = (uint8_t)i;
	nix_compress_hash(in, 32, out, 20);
	for (int i = 0; i < 20; i++)
		CHECK_EQ(out[i], i < 12 ? (i ^ (i + 20)) : i);
}

int main(void)
{
	return test_main();
}
