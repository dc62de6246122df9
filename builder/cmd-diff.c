/*
 * kiln diff A B | kiln diff --image IMG N M
 *
 * What changed between two systems, as `nix store diff-closures` and nvd
 * say it: packages added, removed and changed version, each with its size,
 * and the closure's size delta. A and B are system paths (in the host
 * store) or configurations (built first, as `kiln build`); with --image,
 * two generations of an image, read from the image itself. The data are the
 * systems' own `packages` and `closure` files (builder/system.h).
 */
#include "common.h"
#include "commands.h"

#include <getopt.h>

#include "imagegen.h"
#include "system.h"

struct pkg {
	char *name, *version, *path;
	uint64_t size;
};

struct side {
	const char *label;
	struct pkg *v;
	size_t n;
	size_t paths;
	uint64_t bytes;
};

static int cmp_pkg(const void *a, const void *b)
{
	return strcmp(((const struct pkg *)a)->name, ((const struct pkg *)b)->name);
}

/* Splits text into lines and words, calling fn(opaque, words, n) per line. */
static void each_line(char *text, void (*fn)(struct side *, char **, size_t), struct side *s)
{
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w[8], *save2 = NULL;
		size_t n = 0;
		for (char *t = strtok_r(line, " \t", &save2); t && n < ARRAY_SIZE(w);
		     t = strtok_r(NULL, " \t", &save2))
			w[n++] = t;
		fn(s, w, n);
	}
}

static void on_package(struct side *s, char **w, size_t n)
{
	if (n < 4)
		return;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = (struct pkg){ xstrdup(w[0]), xstrdup(w[1]), xstrdup(w[3]), 0 };
}

static void on_closure(struct side *s, char **w, size_t n)
{
	uint64_t size;
	if (n < 3 || parse_u64(w[2], 10, &size) < 0)
		return;
	s->paths++;
	s->bytes += size;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].path, w[0]))
			s->v[i].size = size;
}

static void side_load(struct side *s, char *packages, char *closure)
{
	each_line(packages, on_package, s);
	each_line(closure, on_closure, s);
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_pkg);
}

static void side_release(struct side *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].version);
		free(s->v[i].path);
	}
	free(s->v);
}

static void human(int64_t delta, char *buf, size_t len)
{
	uint64_t a = delta < 0 ? (uint64_t)-delta : (uint64_t)delta;
	const char *sign = delta < 0 ? "-" : "+";
	if (a >= (1 << 20))
		snprintf(buf, len, "%s%.1f MiB", sign, a / 1048576.0);
	else
		snprintf(buf, len, "%s%.1f KiB", sign, a / 1024.0);
}

static void print_diff(const struct side *a, const struct side *b)
{
	size_t i = 0, j = 0;
	char sz[32];

	printf("--- %s\n+++ %s\n", a->label, b->label);
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].name, b->v[j].name);
		if (c < 0) {
			human(-(int64_t)a->v[i].size, sz, sizeof(sz));
			printf("removed  %s %s (%s)\n", a->v[i].name, a->v[i].version, sz);
			i++;
		} else if (c > 0) {
			human((int64_t)b->v[j].size, sz, sizeof(sz));
			printf("added    %s %s (%s)\n", b->v[j].name, b->v[j].version, sz);
			j++;
		} else {
			if (strcmp(a->v[i].version, b->v[j].version)) {
				human((int64_t)b->v[j].size - (int64_t)a->v[i].size, sz, sizeof(sz));
				printf("changed  %s %s -> %s (%s)\n", a->v[i].name, a->v[i].version,
				       b->v[j].version, sz);
			}
			i++;
			j++;
		}
	}
	human((int64_t)b->bytes - (int64_t)a->bytes, sz, sizeof(sz));
	printf("closure  %zu paths, %" PRIu64 " bytes -> %zu paths, %" PRIu64 " bytes (%s)\n",
	       a->paths, a->bytes, b->paths, b->bytes, sz);
}

/* A side from the host: a system path, or a configuration to build. */
static int host_side(struct store *s, const char *arg, char **ret_system, struct strbuf *pk,
		     struct strbuf *cl)
{
	_cleanup_free_ char *logical = store_to_logical(s, arg);
	struct stat st;
	int r;

	if (logical && store_is_valid(s, logical)) {
		*ret_system = xstrdup(logical);
	} else if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		r = system_build_config(s, arg, NULL, NULL, ret_system);
		if (r != 0)
			return -1;
	} else {
		error("%s: neither a valid system path nor a configuration file", arg);
		return -1;
	}
	_cleanup_free_ char *real = store_real_path(s, *ret_system);
	_cleanup_free_ char *pf = path_join(real, "packages");
	_cleanup_free_ char *cf = path_join(real, "closure");
	if ((r = read_file(pf, pk)) < 0 || (r = read_file(cf, cl)) < 0)
		return error_errno(r, "%s: not a kiln system (no packages or closure file)", *ret_system);
	return 0;
}

static int image_side(struct gen_root *root, const struct gen_list *l, const char *image, int n,
		      char **ret_system, struct strbuf *pk, struct strbuf *cl)
{
	const struct generation *g = gen_find(l, n);
	_cleanup_free_ char *p = NULL, *c = NULL;
	if (!g) {
		error("%s: there is no generation %d", image, n);
		return -1;
	}
	if (gen_system_text(root, g->system, "packages", &p) < 0 ||
	    gen_system_text(root, g->system, "closure", &c) < 0) {
		error("%s: generation %d (%s) has no packages or closure file", image, n, g->system);
		return -1;
	}
	strbuf_adds(pk, p);
	strbuf_adds(cl, c);
	*ret_system = xstrdup(g->system);
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *image = NULL;
	struct strbuf pk[2] = { STRBUF_INIT, STRBUF_INIT }, cl[2] = { STRBUF_INIT, STRBUF_INIT };
	char *sys[2] = { NULL, NULL };
	struct side sides[2];
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "i:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 2 != argc) {
		error("usage: kiln diff A B | kiln diff --image IMG N M");
		return EXIT_USAGE;
	}
	if (image) {
		struct gen_root root;
		struct gen_list l;
		int n[2], fd, r = 0;
		for (int i = 0; i < 2; i++)
			if (parse_int(argv[optind + i], &n[i]) < 0 || n[i] < 1) {
				error("'%s' is not a generation number", argv[optind + i]);
				return EXIT_USAGE;
			}
		if (imagegen_open(image, false, &root, &fd) < 0)
			return 1;
		r = gen_list(&root, &l);
		if (r < 0)
			error_errno(r, "%s: cannot list the generations", image);
		for (int i = 0; r == 0 && i < 2; i++)
			r = image_side(&root, &l, image, n[i], &sys[i], &pk[i], &cl[i]);
		gen_list_release(&l);
		imagegen_close(image, &root, fd);
		if (r < 0)
			goto out;
	} else {
		struct store s;
		int r = 0;
		if (kiln_open_host_store(&s) < 0)
			return 1;
		for (int i = 0; r == 0 && i < 2; i++)
			r = host_side(&s, argv[optind + i], &sys[i], &pk[i], &cl[i]);
		store_close(&s);
		if (r != 0)
			goto out;
	}
	for (int i = 0; i < 2; i++) {
		memset(&sides[i], 0, sizeof(sides[i]));
		sides[i].label = sys[i];
		side_load(&sides[i], pk[i].buf ? pk[i].buf : (char *)"", cl[i].buf ? cl[i].buf : (char *)"");
	}
	print_diff(&sides[0], &sides[1]);
	side_release(&sides[0]);
	side_release(&sides[1]);
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		strbuf_release(&pk[i]);
		strbuf_release(&cl[i]);
		free(sys[i]);
	}
	return rc;
}
