/*
 * sha256-nettle.c — hash.c's sha256 on the host, through Nettle (why: see
 * sha256-nettle.h).
 */
#include "sha256-nettle.h"
#include "strbuf.h"

#include <nettle/sha2.h>

void *sha256_nettle_new(void)
{
	struct sha256_ctx *c = xmalloc(sizeof(*c));

	sha256_init(c);
	return c;
}

void sha256_nettle_update(void *state, const void *data, size_t len)
{
	sha256_update(state, len, data);
}

void sha256_nettle_final(void *state, uint8_t out[32])
{
	sha256_digest(state, SHA256_DIGEST_SIZE, out);
	free(state);
}
