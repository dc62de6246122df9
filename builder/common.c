#include "common.h"

#include <pwd.h>

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "kiln: %s", prefix);
	strbuf_vaddf(&sb, fmt, ap);
	strbuf_addch(&sb, '\n');
	fflush(stdout);
	fputs(sb.buf, stderr);
	strbuf_release(&sb);
}

void error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("error: ", fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

int error_errno(int neg_errno, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	error("%s: %s", sb.buf, strerror(neg_errno < 0 ? -neg_errno : neg_errno));
	strbuf_release(&sb);
	return -1;
}

const char *kiln_state_dir(void)
{
	static char *dir;
	const char *e;

	if (dir)
		return dir;
	if ((e = getenv("KILN_STATE_DIR")) && *e)
		dir = xstrdup(e);
	else if (geteuid() == 0)
		dir = xstrdup("/var/lib/kiln");
	else if ((e = getenv("XDG_DATA_HOME")) && *e)
		dir = xasprintf("%s/kiln", e);
	else {
		const char *home = getenv("HOME");
		if (!home || !*home) {
			struct passwd *pw = getpwuid(geteuid());
			home = pw ? pw->pw_dir : "/tmp";
		}
		dir = xasprintf("%s/.local/share/kiln", home);
	}
	return dir;
}

const char *kiln_cache_dir(void)
{
	static char *dir;
	const char *e;

	if (!dir)
		dir = ((e = getenv("KILN_CACHE_DIR")) && *e) ? xstrdup(e)
							    : path_join(kiln_state_dir(), "cache");
	return dir;
}

int kiln_open_host_store(struct store *s)
{
	_cleanup_free_ char *real = path_join(kiln_state_dir(), "store");
	_cleanup_free_ char *db = path_join(kiln_state_dir(), "db");
	int r = store_open(s, KILN_STORE_DIR, real, db);
	if (r < 0)
		return error_errno(r, "cannot open the store in %s", kiln_state_dir());
	return 0;
}
