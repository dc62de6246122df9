/*
 * sha256-nettle.h — the host CLI's sha256: Nettle's, which picks the CPU's
 * SHA-NI/ARMv8 code at run time (NAR hashing must keep up with sha256sum).
 * Nettle rather than OpenSSL's libcrypto: libcrypto costs ~2 ms to load and
 * ~2 ms more to set up its provider on the first digest, paid by every kiln
 * command, and libarchive already depends on Nettle. A separate file because
 * Nettle's <nettle/sha2.h> names its own struct sha256_ctx and macros
 * sha256_init/update, which clash with hash.h.
 */
#ifndef KILN_SHA256_NETTLE_H
#define KILN_SHA256_NETTLE_H

#include "compat.h"

void *sha256_nettle_new(void);
void sha256_nettle_update(void *state, const void *data, size_t len);
/* Writes the digest and frees the state. */
void sha256_nettle_final(void *state, uint8_t out[32]);

#endif
