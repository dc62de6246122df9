/*
 * cmd-deb.c — `kiln deb-unpack [--name PKG] [--sha256 HEX] FILE.deb`: unpacks one
 * .deb into the host store (as `kiln build` does for each pinned package) and
 * prints its store path. A debugging aid and the tests' way to feed kiln
 * hostile archives. The path is input-addressed like a locked package's but
 * without dependency inputs: derivation type "deb", name PKG (default: the
 * file name up to its first '_'), params sha256 (the file's, or --sha256,
 * which must then match) and "source deb-unpack".
 *
 * `kiln fetch CONFIG` (below) realises a configuration's locked packages.
 */
#include "common.h"
#include "commands.h"
#include "config.h"
#include "debian.h"
#include "derivation.h"
#include "hash.h"

#include <getopt.h>
#include <libgen.h>

static char *default_name(const char *file)
{
	_cleanup_free_ char *copy = xstrdup(file);
	char *base = basename(copy);
	char *us = strchr(base, '_');

	if (us)
		*us = '\0';
	else if (strlen(base) > 4 && !strcmp(base + strlen(base) - 4, ".deb"))
		base[strlen(base) - 4] = '\0';
	return deb_store_name(base, NULL);
}

int cmd_deb_unpack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "sha256", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *sha = NULL;
	struct strbuf err = STRBUF_INIT;
	struct derivation d;
	struct store s;
	uint8_t digest[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	_cleanup_free_ char *pkg = NULL, *path = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 's')
			sha = optarg;
		else
			return EXIT_USAGE;
	}
	if (optind != argc - 1) {
		error("usage: kiln deb-unpack [--name PKG] [--sha256 HEX] FILE.deb");
		return EXIT_USAGE;
	}
	pkg = name ? xstrdup(name) : default_name(argv[optind]);
	if (!store_name_valid(pkg)) {
		error("'%s' is not a valid store name", pkg);
		return EXIT_USAGE;
	}
	if (!sha) {
		r = sha256_file(argv[optind], digest);
		if (r < 0) {
			error_errno(r, "%s", argv[optind]);
			return 1;
		}
		hex_encode(digest, SHA256_LEN, hex);
		sha = hex;
	}
	if (kiln_open_host_store(&s) < 0)
		return 1;
	derivation_init(&d, "deb", pkg);
	derivation_set_param(&d, "sha256", sha);
	derivation_set_param(&d, "source", "deb-unpack");
	path = derivation_output_path(&d, s.storedir);
	derivation_release(&d);
	r = deb_unpack(&s, argv[optind], pkg, sha, path, NULL, &err);
	store_close(&s);
	if (r < 0) {
		error("%s", strbuf_str(&err));
		strbuf_release(&err);
		return 1;
	}
	strbuf_release(&err);
	printf("%s\n", path);
	return 0;
}

/*
 * `kiln fetch CONFIG`: realises the configuration's locked packages (fetch,
 * verify, unpack; nothing for paths already valid) and prints one line per
 * package in dependency order: NAME VERSION ARCH STORE-PATH. Exit 3 when a
 * pin is no longer in the archive (as `kiln build`), 2 for a configuration
 * or stale-lock error.
 */
int cmd_fetch(int argc, char **argv)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;
	struct lockfile l;
	struct deb_set set;
	struct store s;
	_cleanup_free_ char *lock_path = NULL;
	int r, rl;

	if (argc != 2) {
		error("usage: kiln fetch CONFIG");
		return EXIT_USAGE;
	}
	if (config_load(argv[1], &c, &err) < 0) {
		error("%s", strbuf_str(&err));
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	lock_path = path_join(c.dir, KILN_LOCK_NAME);
	rl = lockfile_read(lock_path, &l, &err);
	if (rl < 0 && rl != -ENOENT) {
		error("%s", strbuf_str(&err));
		r = EXIT_USAGE;
		goto out;
	}
	if (kiln_open_host_store(&s) < 0) {
		r = 1;
		goto out_lock;
	}
	r = debian_realise(&s, &c, rl < 0 ? NULL : &l, kiln_cache_dir(), &set, &err);
	store_close(&s);
	if (r < 0) {
		const char *p = strbuf_str(&err);
		while (*p) {
			const char *nl = strchrnul(p, '\n');
			error("%.*s", (int)(nl - p), p);
			p = *nl ? nl + 1 : nl;
		}
		r = r == -ENOENT ? 3 : r == -ESTALE ? EXIT_USAGE : 1;
		goto out_lock;
	}
	for (size_t i = 0; i < set.n; i++)
		printf("%s %s %s %s\n", set.v[i].name, set.v[i].version, set.v[i].arch, set.v[i].path);
	deb_set_release(&set);
	r = 0;
out_lock:
	if (rl >= 0)
		lockfile_release(&l);
out:
	config_release(&c);
	strbuf_release(&err);
	return r;
}
