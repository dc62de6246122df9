/*
 * cmd-lock.c — `kiln lock [--update] CONFIG`: resolve the configuration's
 * Debian packages and pin them in kiln.lock beside it (see debian.h).
 */
#include "common.h"
#include "commands.h"
#include "config.h"
#include "debian.h"

#include <getopt.h>

/* Prints each line of a multi-line error as its own "kiln: error:" line. */
static void print_errors(const struct strbuf *err)
{
	const char *p = strbuf_str(err);

	while (*p) {
		const char *nl = strchrnul(p, '\n');

		error("%.*s", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

int cmd_lock(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "update", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;
	bool update = false;
	size_t npkgs = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'u')
			return EXIT_USAGE;
		update = true;
	}
	if (optind != argc - 1) {
		error("usage: kiln lock [--update] CONFIG");
		return EXIT_USAGE;
	}
	if (config_load(argv[optind], &c, &err) < 0) {
		print_errors(&err);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	r = debian_lock(&c, kiln_cache_dir(), update, &npkgs, &err);
	if (r < 0) {
		print_errors(&err);
	} else {
		_cleanup_free_ char *lock = path_join(c.dir, KILN_LOCK_NAME);
		info("%zu packages pinned for %s (%s) in %s", npkgs, c.path, c.deb_arch, lock);
	}
	config_release(&c);
	strbuf_release(&err);
	return r < 0 ? (r == -EINVAL ? EXIT_USAGE : 1) : 0;
}
