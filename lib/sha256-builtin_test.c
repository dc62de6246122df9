/* The portable sha256 of the static target programs against known vectors
 * and against libcrypto (hash.c) on every length around the block edges. */
#define TEST_IMPLEMENTATION
#include "test.h"
#include "hash.h"
#include "strbuf.h"
#include "sha256-builtin.h"

static void builtin(const void *data, size_t len, size_t step, uint8_t out[32])
{
	struct sha256_state s;
	const uint8_t *p = data;
	sha256_builtin_init(&s);
	for (size_t off = 0; off < len; off += step)
		sha256_builtin_update(&s, p + off, len - off < step ? len - off : step);
	sha256_builtin_final(&s, out);
}

static bool hex_is(const uint8_t h[32], const char *want)
{
	char hex[65];
	hex_encode(h, 32, hex);
	return !strcmp(hex, want);
}

TEST(known_vectors)
{
	uint8_t h[32];
	builtin("", 0, 1, h);
	CHECK(hex_is(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	builtin("abc", 3, 1, h);
	CHECK(hex_is(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	builtin(two, strlen(two), 7, h);
	CHECK(hex_is(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

TEST(agrees_with_libcrypto_on_every_length_and_split)
{
	uint8_t data[300], a[32], b[32];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	for (size_t len = 0; len <= sizeof(data); len++) {
		sha256_buf(data, len, a);
		for (size_t step = 1; step <= 65; step += 16) {
			builtin(data, len, step, b);
			if (memcmp(a, b, 32)) {
				fprintf(stderr, "# length %zu step %zu differs\n", len, step);
				CHECK(0);
				return;
			}
		}
	}
}

TEST(a_megabyte)
{
	size_t len = 1 << 20;
	uint8_t *data = xmalloc(len), a[32], b[32];
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i ^ (i >> 9));
	sha256_buf(data, len, a);
	builtin(data, len, 4096 + 3, b);
	CHECK(!memcmp(a, b, 32));
	free(data);
}

int main(void)
{
	return test_main();
}
