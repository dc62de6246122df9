/*
 * compat.h — the first include of every kiln .c file: the system headers
 * kiln uses everywhere, a few small helpers, and banned.h last so that
 * strcpy(), sprintf() and friends are compile errors in kiln's own code.
 */
#ifndef KILN_COMPAT_H
#define KILN_COMPAT_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))

/* Free a heap pointer when the variable goes out of scope. */
static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ __attribute__((cleanup(freep)))

/* Close an fd (>= 0) when the variable goes out of scope. */
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_close_ __attribute__((cleanup(closep)))

#include "banned.h"

#endif
