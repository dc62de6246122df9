/*
 * guid.h — GUIDs (UUIDs) as GPT and filesystems use them, derived
 * reproducibly from a seed so that the same system path always yields the
 * same disk and partition GUIDs.
 *
 * In memory a GUID is 16 bytes in the order its string reads
 * ("00112233-4455-…" is bytes 00 11 22 33 44 55 …). GPT stores the first
 * three fields little-endian ("mixed endian"); guid_to_disk()/guid_from_disk()
 * convert at that boundary and nowhere else.
 */
#ifndef KILN_GUID_H
#define KILN_GUID_H

#include "compat.h"

#define GUID_LEN 16
#define GUID_STR_LEN 36 /* without the NUL */

/* Well-known GPT partition type GUIDs (string byte order). */
extern const uint8_t guid_type_bios_boot[GUID_LEN];  /* 21686148-6449-6e6f-744e-656564454649 */
extern const uint8_t guid_type_esp[GUID_LEN];        /* c12a7328-f81f-11d2-ba4b-00a0c93ec93b */
extern const uint8_t guid_type_root_x86_64[GUID_LEN]; /* 4f68bce3-e8cd-4db1-96e7-fbcaf984b709 */
extern const uint8_t guid_type_root_aarch64[GUID_LEN]; /* b921b045-1df0-41c3-af44-4c6f280d3fae */
extern const uint8_t guid_type_linux_data[GUID_LEN]; /* 0fc63daf-8483-4772-8e79-3d69d8477de4 */

/* sha256(seed "\0" purpose), first 16 bytes, stamped as a version-4,
 * variant-1 UUID: the same (seed, purpose) always gives the same GUID. */
void guid_from_seed(const char *seed, const char *purpose, uint8_t ret[GUID_LEN]);

/* Lowercase "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; out holds GUID_STR_LEN+1. */
void guid_format(const uint8_t g[GUID_LEN], char out[GUID_STR_LEN + 1]);
/* Parses that form (either case, optional surrounding braces); -EINVAL otherwise. */
int guid_parse(const char *s, uint8_t ret[GUID_LEN]);

/* String order <-> GPT on-disk order (the two are the same swap). */
void guid_to_disk(const uint8_t g[GUID_LEN], uint8_t ret[GUID_LEN]);
void guid_from_disk(const uint8_t d[GUID_LEN], uint8_t ret[GUID_LEN]);

/* Is every byte zero (GPT's "unused entry" type)? */
bool guid_is_null(const uint8_t g[GUID_LEN]);

#endif
