/*
 * strbuf.h — a growable, always NUL-terminated byte buffer (as git's strbuf).
 *
 * struct strbuf sb = STRBUF_INIT; strbuf_addf(&sb, "%s", x); ... strbuf_release(&sb);
 * Allocation failure aborts: kiln treats out-of-memory as unrecoverable, the
 * one exception to "lib/ never exits".
 */
#ifndef KILN_STRBUF_H
#define KILN_STRBUF_H

#include "compat.h"

struct strbuf {
	char *buf;   /* always NUL-terminated, never NULL after any add */
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(struct strbuf *sb);
/* Frees the buffer and resets sb to STRBUF_INIT. */
void strbuf_release(struct strbuf *sb);
/* Hands the buffer to the caller (who frees it); sb is reset. Never NULL. */
char *strbuf_detach(struct strbuf *sb, size_t *ret_len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
/* Current contents ("" when empty, never NULL). */
const char *strbuf_str(const struct strbuf *sb);

/* Abort-on-failure allocators for the same reason. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf that aborts on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
