/*
 * cmd-store.c — the store commands:
 *
 *   kiln add [--name NAME] PATH   copy a host file, directory or symlink into
 *                                 the store (as `nix-store --add`), print its path
 *   kiln path-info PATH...        registration of each path
 *   kiln closure PATH...          the sorted closure, one path a line
 *   kiln verify [PATH...]         re-hash paths (default: all registered)
 *   kiln verify --image IMG …     an image instead (cmd-verify-image.c)
 *
 * PATH arguments may be logical (/kiln/store/…), real (<state>/store/…), a
 * sub-path of either, or a symlink resolving to one (e.g. a result link).
 */
#include "common.h"
#include "commands.h"

#include <dirent.h>
#include <getopt.h>
#include <libgen.h>

#include "nar.h"

/* ---------------------------------------------------------------- add */

static int copy_tree(const char *src, const char *dst, struct strbuf *bad);

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = -1;
	char buf[1 << 16];
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode & S_IXUSR) ? 0700 : 0600);
	if (out < 0)
		return -errno;
	while ((n = read_full(in, buf, sizeof(buf))) > 0) {
		int r = write_full(out, buf, n);
		if (r < 0)
			return r;
	}
	return n < 0 ? (int)n : 0;
}

static int copy_dir(const char *src, const char *dst, struct strbuf *bad)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (mkdir(dst, 0700) < 0)
		return -errno;
	d = opendir(src);
	if (!d)
		return -errno;
	while (r == 0 && (errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *s = path_join(src, de->d_name);
		_cleanup_free_ char *t = path_join(dst, de->d_name);
		r = copy_tree(s, t, bad);
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	if (r < 0 && !bad->len)
		strbuf_adds(bad, src);
	return r;
}

/* Copies src to dst keeping what a NAR keeps (contents, the x bit, symlink
 * targets). On error, bad names the offending host path. */
static int copy_tree(const char *src, const char *dst, struct strbuf *bad)
{
	struct stat st;
	int r;

	if (lstat(src, &st) < 0) {
		r = -errno;
	} else if (S_ISREG(st.st_mode)) {
		r = copy_file(src, dst, st.st_mode);
	} else if (S_ISDIR(st.st_mode)) {
		return copy_dir(src, dst, bad);
	} else if (S_ISLNK(st.st_mode)) {
		struct strbuf target = STRBUF_INIT;
		strbuf_grow(&target, st.st_size + 1);
		ssize_t n = readlink(src, target.buf, st.st_size + 1);
		if (n < 0 || n > st.st_size) {
			r = n < 0 ? -errno : -EIO;
		} else {
			target.buf[n] = '\0';
			r = symlink(target.buf, dst) < 0 ? -errno : 0;
		}
		strbuf_release(&target);
	} else {
		r = -EINVAL; /* devices, fifos and sockets have no NAR form */
	}
	if (r < 0 && !bad->len)
		strbuf_adds(bad, src);
	return r;
}

/* As nix-store --add: the last component of the path as written (a symlink
 * keeps its own name); "." and ".." are resolved. Caller frees; NULL+errno. */
static char *default_name(const char *src)
{
	size_t n = strlen(src);
	while (n > 1 && src[n - 1] == '/')
		n--;
	size_t start = n;
	while (start > 0 && src[start - 1] != '/')
		start--;
	char *name = xstrndup(src + start, n - start);
	if (strcmp(name, ".") && strcmp(name, "..") && *name && strcmp(name, "/"))
		return name;
	free(name);
	_cleanup_free_ char *abs = realpath(src, NULL);
	return abs ? xstrdup(basename(abs)) : NULL;
}

int cmd_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct store s;
	struct strbuf bad = STRBUF_INIT;
	_cleanup_free_ char *copy = NULL, *tmp = NULL, *path = NULL;
	const char *name = NULL;
	int c, r, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c != 'n') {
			error("usage: kiln add [--name NAME] PATH");
			return EXIT_USAGE;
		}
		name = optarg;
	}
	if (optind + 1 != argc) {
		error("usage: kiln add [--name NAME] PATH");
		return EXIT_USAGE;
	}
	const char *src = argv[optind];
	if (!name) {
		copy = default_name(src);
		if (!copy) {
			error_errno(-errno, "%s", src);
			return 1;
		}
		name = copy;
	}
	if (!store_name_valid(name)) {
		error("invalid store path name '%s' (use --name)", name);
		return EXIT_USAGE;
	}
	if (kiln_open_host_store(&s) < 0)
		return 1;
	tmp = store_tmp_name(&s);
	r = copy_tree(src, tmp, &bad);
	if (r == -EINVAL) {
		error("%s: not a regular file, directory or symlink", bad.buf);
		rm_rf(tmp);
		goto out;
	}
	if (r < 0) {
		error_errno(r, "cannot copy %s", bad.buf);
		rm_rf(tmp);
		goto out;
	}
	r = store_add_recursive(&s, tmp, name, NULL, &path);
	if (r < 0) {
		error_errno(r, "cannot add %s to the store", src);
		goto out;
	}
	printf("%s\n", path);
	ret = 0;
out:
	strbuf_release(&bad);
	store_close(&s);
	return ret;
}

/* ----------------------------------------------------------- queries */

/* The logical store path an argument names, or NULL after an error. */
static char *resolve_arg(const struct store *s, const char *arg)
{
	char *logical = store_to_logical(s, arg);
	if (!logical) {
		char *abs = realpath(arg, NULL);
		if (abs)
			logical = store_to_logical(s, abs);
		free(abs);
	}
	if (!logical) {
		error("%s: not a store path", arg);
		return NULL;
	}
	if (!store_is_valid(s, logical)) {
		error("%s: not a valid (registered) store path", arg);
		free(logical);
		return NULL;
	}
	return logical;
}

static void print_info(const struct path_info *pi)
{
	_cleanup_free_ char *hash = nar_hash_format(pi->nar_hash);

	printf("%s\n", pi->path);
	printf("nar-hash: %s\n", hash);
	printf("nar-size: %" PRIu64 "\n", pi->nar_size);
	printf("deriver:%s%s\n", pi->deriver ? " " : "", pi->deriver ? pi->deriver : "");
	printf("references:\n");
	for (size_t i = 0; i < pi->refs.n; i++)
		printf("  %s\n", pi->refs.v[i]);
}

int cmd_path_info(int argc, char **argv)
{
	struct store s;
	int ret = 0;

	if (argc < 2) {
		error("usage: kiln path-info PATH...");
		return EXIT_USAGE;
	}
	if (kiln_open_host_store(&s) < 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *p = resolve_arg(&s, argv[i]);
		if (!p) {
			ret = 1;
			continue;
		}
		if (i > 1)
			printf("\n");
		print_info(store_query(&s, p));
	}
	store_close(&s);
	return ret;
}

int cmd_closure(int argc, char **argv)
{
	struct store s;
	struct path_list roots = PATH_LIST_INIT, out = PATH_LIST_INIT;
	int r, ret = 0;

	if (argc < 2) {
		error("usage: kiln closure PATH...");
		return EXIT_USAGE;
	}
	if (kiln_open_host_store(&s) < 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *p = resolve_arg(&s, argv[i]);
		if (p)
			path_list_add(&roots, p);
		else
			ret = 1;
	}
	if (ret == 0) {
		r = store_closure(&s, &roots, &out);
		if (r < 0) {
			error_errno(r, "cannot compute the closure");
			ret = 1;
		}
		for (size_t i = 0; i < out.n; i++)
			printf("%s\n", out.v[i]);
	}
	path_list_release(&roots);
	path_list_release(&out);
	store_close(&s);
	return ret;
}

int cmd_verify(int argc, char **argv)
{
	struct store s;
	struct path_list paths = PATH_LIST_INIT;
	size_t bad = 0;
	int ret = 0;

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--image", 7) || !strcmp(argv[i], "--quick"))
			return cmd_verify_image(argc, argv);
	if (kiln_open_host_store(&s) < 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *p = resolve_arg(&s, argv[i]);
		if (p)
			path_list_add(&paths, p);
		else
			ret = 1;
	}
	if (argc < 2)
		for (size_t i = 0; i < s.ninfos; i++)
			path_list_add(&paths, s.infos[i]->path);
	path_list_sort_uniq(&paths);
	for (size_t i = 0; i < paths.n; i++) {
		int r = store_verify_path(&s, paths.v[i]);
		if (r == 0)
			continue;
		bad++;
		if (r == -EBADMSG)
			printf("corrupted: %s\n", paths.v[i]);
		else if (r == -ENOENT)
			printf("missing: %s\n", paths.v[i]);
		else
			error_errno(r, "cannot verify %s", paths.v[i]);
	}
	if (bad)
		error("%zu of %zu paths failed verification", bad, paths.n);
	else if (ret == 0)
		printf("%zu paths ok\n", paths.n);
	path_list_release(&paths);
	store_close(&s);
	return bad || ret ? 1 : 0;
}
