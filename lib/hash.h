/*
 * hash.h — sha256 (Nettle underneath on the host, for its SHA-NI/ARMv8 code
 * paths: NAR hashing must keep up with sha256sum; sha256-nettle.h) and Nix's encodings of a
 * digest: lowercase hex and Nix base32 (alphabet "0123456789abcdfghijklmnpqrsvwxyz",
 * least-significant 5-bit group first, as Nix prints it).
 */
#ifndef KILN_HASH_H
#define KILN_HASH_H

#include "compat.h"

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64
#define SHA256_B32_LEN 52 /* Nix base32 of 32 bytes */

struct sha256_ctx {
	void *state; /* the backend's, allocated by sha256_init */
};

/* Streaming interface. init allocates; final writes the digest and frees. */
void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN]);
/* One-shot digest of a buffer. */
void sha256_buf(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* Digest of a file's bytes; -errno on I/O error. */
int sha256_file(const char *path, uint8_t out[SHA256_LEN]);

/* Lowercase hex; out must hold 2*len+1 bytes. */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Parses exactly 2*len hex digits; -EINVAL otherwise. */
int hex_decode(const char *in, uint8_t *out, size_t len);

/* Length of the Nix base32 encoding of len bytes: ceil(len*8/5). */
size_t nix_base32_len(size_t len);
/* Nix base32; out must hold nix_base32_len(len)+1 bytes. */
void nix_base32_encode(const uint8_t *in, size_t len, char *out);
/* Decodes a Nix base32 string of exactly nix_base32_len(len) chars; -EINVAL if bad. */
int nix_base32_decode(const char *in, uint8_t *out, size_t len);

/* Nix's compressHash: XOR-fold a digest into out_len bytes. */
void nix_compress_hash(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

#endif
