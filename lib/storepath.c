/*
 * storepath.c — Nix's store-path algorithm (makeStorePath, makeType,
 * makeFixedOutputPath, makeTextPath), parameterised by the store directory.
 */
#include "storepath.h"
#include "strbuf.h"

#define STORE_NAME_MAX 211
#define STORE_HASH_BYTES 20

void path_list_add(struct path_list *l, const char *path)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 8;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(path);
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void path_list_sort_uniq(struct path_list *l)
{
	size_t out = 0;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), str_ptr_cmp);
	for (size_t i = 0; i < l->n; i++) {
		if (out && !strcmp(l->v[out - 1], l->v[i]))
			free(l->v[i]);
		else
			l->v[out++] = l->v[i];
	}
	l->n = out;
}

bool path_list_has(const struct path_list *l, const char *path)
{
	return l->n && bsearch(&path, l->v, l->n, sizeof(*l->v), str_ptr_cmp) != NULL;
}

void path_list_release(struct path_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

bool store_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > STORE_NAME_MAX || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr("+-._?=", c))
			return false;
	}
	return true;
}

char *make_store_path(const char *storedir, const char *type,
		      const uint8_t hash[SHA256_LEN], const char *name)
{
	char hex[SHA256_HEX_LEN + 1], b32[STORE_HASH_LEN + 1];
	uint8_t digest[SHA256_LEN], folded[STORE_HASH_BYTES];
	_cleanup_free_ char *s = NULL;

	hex_encode(hash, SHA256_LEN, hex);
	s = xasprintf("%s:sha256:%s:%s:%s", type, hex, storedir, name);
	sha256_buf(s, strlen(s), digest);
	nix_compress_hash(digest, SHA256_LEN, folded, STORE_HASH_BYTES);
	nix_base32_encode(folded, STORE_HASH_BYTES, b32);
	return xasprintf("%s/%s-%s", storedir, b32, name);
}

/* Nix's makeType: type, then ":" + each reference in sorted order, then ":self". */
static char *make_type(const char *type, const struct path_list *refs, bool self_ref)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, type);
	if (refs && refs->n) {
		const char **sorted = xmalloc(refs->n * sizeof(*sorted));
		memcpy(sorted, refs->v, refs->n * sizeof(*sorted));
		qsort(sorted, refs->n, sizeof(*sorted), str_ptr_cmp);
		for (size_t i = 0; i < refs->n; i++)
			if (i == 0 || strcmp(sorted[i - 1], sorted[i]))
				strbuf_addf(&sb, ":%s", sorted[i]);
		free(sorted);
	}
	if (self_ref)
		strbuf_adds(&sb, ":self");
	return strbuf_detach(&sb, NULL);
}

char *store_path_recursive(const char *storedir, const uint8_t nar_hash[SHA256_LEN],
			   const char *name, const struct path_list *refs, bool self_ref)
{
	_cleanup_free_ char *type = make_type("source", refs, self_ref);

	return make_store_path(storedir, type, nar_hash, name);
}

char *store_path_flat(const char *storedir, const uint8_t file_hash[SHA256_LEN],
		      const char *name)
{
	char hex[SHA256_HEX_LEN + 1];
	uint8_t inner[SHA256_LEN];
	_cleanup_free_ char *s = NULL;

	hex_encode(file_hash, SHA256_LEN, hex);
	s = xasprintf("fixed:out:sha256:%s:", hex);
	sha256_buf(s, strlen(s), inner);
	return make_store_path(storedir, "output:out", inner, name);
}

char *store_path_text(const char *storedir, const char *name, const void *contents,
		      size_t len, const struct path_list *refs)
{
	_cleanup_free_ char *type = make_type("text", refs, false);
	uint8_t h[SHA256_LEN];

	sha256_buf(contents, len, h);
	return make_store_path(storedir, type, h, name);
}

char *store_path_input_addressed(const char *storedir, const uint8_t drv_hash[SHA256_LEN],
				 const char *name)
{
	return make_store_path(storedir, "output:out", drv_hash, name);
}

static bool is_nix_base32(const char *s, size_t len)
{
	static const char alphabet[] = "0123456789abcdfghijklmnpqrsvwxyz";

	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(alphabet, s[i]))
			return false;
	return true;
}

int store_path_parse(const char *storedir, const char *path, char **ret_hash_part,
		     char **ret_name)
{
	size_t dlen;
	const char *base;

	if (!storedir || !path)
		return -EINVAL;
	dlen = strlen(storedir);
	while (dlen > 1 && storedir[dlen - 1] == '/')
		dlen--;
	if (strncmp(path, storedir, dlen) != 0 || path[dlen] != '/')
		return -EINVAL;
	base = path + dlen + 1;
	if (strchr(base, '/') || strlen(base) < STORE_HASH_LEN + 2 ||
	    !is_nix_base32(base, STORE_HASH_LEN) || base[STORE_HASH_LEN] != '-' ||
	    !store_name_valid(base + STORE_HASH_LEN + 1))
		return -EINVAL;
	if (ret_hash_part)
		*ret_hash_part = xstrndup(base, STORE_HASH_LEN);
	if (ret_name)
		*ret_name = xstrdup(base + STORE_HASH_LEN + 1);
	return 0;
}
