/*
 * sha256-builtin.h — a portable sha256 (FIPS 180-4) for the static target
 * programs (stage-1 init, kiln-generation). Linking OpenSSL's libcrypto
 * statically made each of them ~5 MB, most of the initrd GRUB has to read
 * at every boot; the host CLI keeps libcrypto for its SHA-NI speed.
 * hash.c uses this when built with -DKILN_SHA256_BUILTIN.
 */
#ifndef KILN_SHA256_BUILTIN_H
#define KILN_SHA256_BUILTIN_H

#include "compat.h"

struct sha256_state {
	uint32_t h[8];
	uint64_t len;      /* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
};

void sha256_builtin_init(struct sha256_state *s);
void sha256_builtin_update(struct sha256_state *s, const void *data, size_t len);
void sha256_builtin_final(struct sha256_state *s, uint8_t out[32]);

#endif
