/*
 * lockfile.c — reading and writing kiln.lock (format in debian.h).
 *
 * The writer is the canonical form: sorted, one field per line, so that
 * locking twice gives the identical file and diffs of a re-pin are readable.
 */
#include "debian.h"
#include "fsutil.h"

static const char lock_header[] =
	"# kiln.lock — the Debian packages kiln pins, one lock per directory.\n"
	"# Written by 'kiln lock CONFIG'; refresh with 'kiln lock --update CONFIG'.\n"
	"# Each root is a configuration (path relative to this file) and its\n"
	"# requested packages; each package is a .deb pinned by version and sha256\n"
	"# with the dependency edges kiln chose (cycles broken, so they form a DAG).\n"
	"kiln-lock 1\n";

static void lock_pkg_release(struct lock_pkg *p)
{
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->sha256);
	free(p->filename);
	path_list_release(&p->deps);
}

static void lock_root_release(struct lock_root *r)
{
	free(r->config);
	free(r->arch);
	path_list_release(&r->requests);
}

void lockfile_release(struct lockfile *l)
{
	for (size_t i = 0; i < l->npkgs; i++)
		lock_pkg_release(&l->pkgs[i]);
	for (size_t i = 0; i < l->nroots; i++)
		lock_root_release(&l->roots[i]);
	free(l->pkgs);
	free(l->roots);
	*l = (struct lockfile)LOCKFILE_INIT;
}

int lock_pkg_cmp(const void *a, const void *b)
{
	const struct lock_pkg *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->arch, y->arch);
}

static int cmp_root(const void *a, const void *b)
{
	const struct lock_root *x = a, *y = b;
	int r = strcmp(x->config, y->config);

	return r ? r : strcmp(x->arch, y->arch);
}

void lockfile_sort(struct lockfile *l)
{
	if (l->npkgs)
		qsort(l->pkgs, l->npkgs, sizeof(*l->pkgs), lock_pkg_cmp);
	if (l->nroots)
		qsort(l->roots, l->nroots, sizeof(*l->roots), cmp_root);
	for (size_t i = 0; i < l->npkgs; i++)
		path_list_sort_uniq(&l->pkgs[i].deps);
	for (size_t i = 0; i < l->nroots; i++)
		path_list_sort_uniq(&l->roots[i].requests);
}

const struct lock_pkg *lockfile_find_pkg(const struct lockfile *l, const char *name,
					 const char *arch)
{
	struct lock_pkg key = { .name = (char *)name, .arch = (char *)arch };

	if (!l || !l->npkgs)
		return NULL;
	return bsearch(&key, l->pkgs, l->npkgs, sizeof(*l->pkgs), lock_pkg_cmp);
}

const struct lock_pkg *lockfile_find_for_arch(const struct lockfile *l, const char *name,
					      const char *arch)
{
	const struct lock_pkg *p = lockfile_find_pkg(l, name, arch);

	return p ? p : lockfile_find_pkg(l, name, "all");
}

const struct lock_pkg *lockfile_find_edge(const struct lockfile *l, const char *edge)
{
	const char *colon = strrchr(edge, ':');
	_cleanup_free_ char *name = NULL;

	if (!colon)
		return NULL;
	name = xstrndup(edge, (size_t)(colon - edge));
	return lockfile_find_pkg(l, name, colon + 1);
}

const struct lock_root *lockfile_find_root(const struct lockfile *l, const char *config,
					   const char *arch)
{
	struct lock_root key = { .config = (char *)config, .arch = (char *)arch };

	if (!l || !l->nroots)
		return NULL;
	return bsearch(&key, l->roots, l->nroots, sizeof(*l->roots), cmp_root);
}

void lockfile_format(struct lockfile *l, struct strbuf *out)
{
	lockfile_sort(l);
	strbuf_adds(out, lock_header);
	for (size_t i = 0; i < l->nroots; i++) {
		const struct lock_root *r = &l->roots[i];

		strbuf_addf(out, "\nroot %s %s\n", r->config, r->arch);
		for (size_t j = 0; j < r->requests.n; j++)
			strbuf_addf(out, "  request %s\n", r->requests.v[j]);
	}
	for (size_t i = 0; i < l->npkgs; i++) {
		const struct lock_pkg *p = &l->pkgs[i];

		strbuf_addf(out, "\npackage %s %s %s\n", p->name, p->version, p->arch);
		strbuf_addf(out, "  size %" PRIu64 "\n", p->size);
		strbuf_addf(out, "  sha256 %s\n", p->sha256);
		strbuf_addf(out, "  filename %s\n", p->filename);
		for (size_t j = 0; j < p->deps.n; j++)
			strbuf_addf(out, "  depends %s\n", p->deps.v[j]);
	}
}

int lockfile_write(const char *path, struct lockfile *l)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	lockfile_format(l, &sb);
	r = write_file_atomic(path, sb.buf, sb.len, 0644);
	strbuf_release(&sb);
	return r;
}

/* Splits line into at most max space-separated words (in place). */
static size_t split_words(char *line, char **words, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

static bool word_ok(const char *w)
{
	for (; *w; w++)
		if ((unsigned char)*w < 0x21 || *w == 0x7f)
			return false;
	return true;
}

static bool sha256_hex_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != SHA256_HEX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

struct lock_parser {
	const char *path;
	int lineno;
	struct lockfile *l;
	struct lock_pkg *pkg;   /* record being filled, or NULL */
	struct lock_root *root;
	bool seen_version;
	struct strbuf *err;
};

static int parse_fail(struct lock_parser *ps, const char *msg, const char *arg)
{
	strbuf_addf(ps->err, "%s:%d: %s%s%s", ps->path, ps->lineno, msg,
		    arg ? ": " : "", arg ? arg : "");
	return -EINVAL;
}

/* A package record is complete when size, sha256 and filename were given. */
static int finish_pkg(struct lock_parser *ps)
{
	struct lock_pkg *p = ps->pkg;

	if (p && (!p->sha256 || !p->filename || !p->size))
		return parse_fail(ps, "package record lacks size, sha256 or filename", p->name);
	ps->pkg = NULL;
	return 0;
}

static int parse_record(struct lock_parser *ps, char **w, size_t n)
{
	struct lockfile *l = ps->l;
	int r = finish_pkg(ps);

	if (r < 0)
		return r;
	ps->root = NULL;
	if (!strcmp(w[0], "root") && n == 3) {
		if (l->nroots == l->alloc_roots) {
			l->alloc_roots = l->alloc_roots ? 2 * l->alloc_roots : 8;
			l->roots = xrealloc(l->roots, l->alloc_roots * sizeof(*l->roots));
		}
		ps->root = &l->roots[l->nroots++];
		*ps->root = (struct lock_root){ xstrdup(w[1]), xstrdup(w[2]), PATH_LIST_INIT };
		return 0;
	}
	if (!strcmp(w[0], "package") && n == 4) {
		if (l->npkgs == l->alloc_pkgs) {
			l->alloc_pkgs = l->alloc_pkgs ? 2 * l->alloc_pkgs : 64;
			l->pkgs = xrealloc(l->pkgs, l->alloc_pkgs * sizeof(*l->pkgs));
		}
		ps->pkg = &l->pkgs[l->npkgs++];
		*ps->pkg = (struct lock_pkg){ .name = xstrdup(w[1]), .version = xstrdup(w[2]),
					      .arch = xstrdup(w[3]), .deps = PATH_LIST_INIT };
		return 0;
	}
	return parse_fail(ps, "expected 'root CONFIG ARCH' or 'package NAME VERSION ARCH'", w[0]);
}

static int parse_field(struct lock_parser *ps, char **w, size_t n)
{
	struct lock_pkg *p = ps->pkg;

	if (n != 2)
		return parse_fail(ps, "expected 'FIELD VALUE'", w[0]);
	if (ps->root && !strcmp(w[0], "request")) {
		path_list_add(&ps->root->requests, w[1]);
		return 0;
	}
	if (!p)
		return parse_fail(ps, "field outside a record", w[0]);
	if (!strcmp(w[0], "depends")) {
		path_list_add(&p->deps, w[1]);
	} else if (!strcmp(w[0], "size") && !p->size) {
		if (parse_u64(w[1], 10, &p->size) < 0 || !p->size)
			return parse_fail(ps, "bad size", w[1]);
	} else if (!strcmp(w[0], "sha256") && !p->sha256) {
		if (!sha256_hex_ok(w[1]))
			return parse_fail(ps, "bad sha256", w[1]);
		p->sha256 = xstrdup(w[1]);
	} else if (!strcmp(w[0], "filename") && !p->filename) {
		p->filename = xstrdup(w[1]);
	} else {
		return parse_fail(ps, "unknown or repeated field", w[0]);
	}
	return 0;
}

static int parse_line(struct lock_parser *ps, char *line)
{
	char *w[5];
	bool indented = line[0] == ' ' || line[0] == '\t';
	size_t n;

	if (line[0] == '#')
		return 0;
	n = split_words(line, w, 4);
	if (n == 0)
		return 0;
	if (n > 4)
		return parse_fail(ps, "too many words", NULL);
	for (size_t i = 0; i < n; i++)
		if (!word_ok(w[i]))
			return parse_fail(ps, "control character", NULL);
	if (!ps->seen_version) {
		if (indented || n != 2 || strcmp(w[0], "kiln-lock") || strcmp(w[1], "1"))
			return parse_fail(ps, "not a kiln.lock version 1 (expected 'kiln-lock 1')", NULL);
		ps->seen_version = true;
		return 0;
	}
	return indented ? parse_field(ps, w, n) : parse_record(ps, w, n);
}

/* Duplicate records would make lookups ambiguous: refuse them. */
static int check_unique(struct lock_parser *ps)
{
	struct lockfile *l = ps->l;

	for (size_t i = 1; i < l->npkgs; i++)
		if (!lock_pkg_cmp(&l->pkgs[i - 1], &l->pkgs[i]))
			return parse_fail(ps, "package listed twice", l->pkgs[i].name);
	for (size_t i = 1; i < l->nroots; i++)
		if (!cmp_root(&l->roots[i - 1], &l->roots[i]))
			return parse_fail(ps, "root listed twice", l->roots[i].config);
	return 0;
}

int lockfile_read(const char *path, struct lockfile *ret, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct lockfile l = LOCKFILE_INIT;
	struct lock_parser ps = { .path = path, .l = &l, .err = err };
	char *line, *next;
	int r;

	*ret = l;
	r = read_file(path, &sb);
	if (r < 0) {
		if (r != -ENOENT)
			strbuf_addf(err, "%s: %s", path, strerror(-r));
		goto out;
	}
	if (sb.len && memchr(sb.buf, '\0', sb.len)) {
		strbuf_addf(err, "%s: not a text file", path);
		r = -EINVAL;
		goto out;
	}
	for (line = sb.len ? sb.buf : NULL; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ps.lineno++;
		r = parse_line(&ps, line);
		if (r < 0)
			goto out;
	}
	ps.lineno++;
	r = finish_pkg(&ps);
	if (r >= 0 && !ps.seen_version)
		r = parse_fail(&ps, "empty lock file", NULL);
	if (r < 0)
		goto out;
	lockfile_sort(&l);
	r = check_unique(&ps);
out:
	strbuf_release(&sb);
	if (r < 0)
		lockfile_release(&l);
	else
		*ret = l;
	return r < 0 ? r : 0;
}
