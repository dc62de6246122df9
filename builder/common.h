/*
 * common.h — what every kiln command shares: logging (only commands print),
 * exit codes, and where the host's store and caches live.
 *
 * State dir: $KILN_STATE_DIR, else /var/lib/kiln for root, else
 * $XDG_DATA_HOME/kiln (~/.local/share/kiln). Inside it:
 *   store/   the real directory of the logical store /kiln/store
 *   db/      the store registry and lock
 *   cache/   downloaded .debs keyed by sha256, kiln's private apt state
 * $KILN_CACHE_DIR overrides cache/ alone (tests share one download cache).
 */
#ifndef KILN_COMMON_H
#define KILN_COMMON_H

#include "compat.h"
#include "store.h"
#include "strbuf.h"
#include "fsutil.h"

/* Exit codes: 0 success, 1 failure, 2 bad usage or bad configuration. */
#define EXIT_USAGE 2

/* "kiln: error: …" / "kiln: warning: …" / "kiln: …" on stderr. */
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Returns -1 after printing, for `return error_errno(r, "…")` style. */
int error_errno(int neg_errno, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Host directories (static strings valid until exit). */
const char *kiln_state_dir(void);
const char *kiln_cache_dir(void);

/* Opens the host store (logical /kiln/store, real <state>/store). Prints the
 * error itself; returns 0 or -1. */
int kiln_open_host_store(struct store *s);

/* A command: argv[0] is the command name. Returns the process exit code. */
struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

#endif
