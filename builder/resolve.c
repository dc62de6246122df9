/*
 * resolve.c — `kiln lock`: resolving a configuration's packages with apt and
 * merging the result into the directory's kiln.lock.
 *
 * apt picks the set: `apt-get install --simulate --no-install-recommends`
 * against kiln's empty dpkg status (an empty status does not drag in the
 * Essential set: only the requested packages and their Depends/Pre-Depends
 * closure are chosen). Without --update, a pin file (priority 1001 for every
 * locked version of this arch) makes apt keep pinned versions while the
 * archive still has them, so re-locking is stable.
 *
 * kiln then chooses the edges itself from each package's Depends and
 * Pre-Depends (apt-cache show): for each clause, the first alternative that is
 * in the chosen set by name, else the first chosen package (by name) that
 * Provides it. A depth-first walk from the requested packages (sorted by
 * name, edges sorted) keeps an edge unless it points to a package on the
 * current walk's stack: that edge would close a cycle (libc6 <-> libgcc-s1)
 * and is dropped. The walk's reach is the configuration's closure.
 *
 * An "Architecture: all" package is pinned under the configuration's arch
 * (once per arch): its edges lead to that arch's packages, so one shared
 * entry would flip between the archs' dependency graphs.
 */
#include "apt.h"
#include "boot.h"
#include "fsutil.h"

#include <libgen.h>

struct cand {
	char *name, *version, *arch;
	char *sha256, *filename, *depends, *provides;
	uint64_t size;
	struct path_list deps;  /* chosen edges ("name:arch") */
	int state;              /* walk: 0 new, 1 on stack, 2 done */
};

struct resolution {
	struct cand *v;
	size_t n, alloc;
};

static void resolution_release(struct resolution *res)
{
	for (size_t i = 0; i < res->n; i++) {
		struct cand *c = &res->v[i];
		free(c->name), free(c->version), free(c->arch), free(c->sha256);
		free(c->filename), free(c->depends), free(c->provides);
		path_list_release(&c->deps);
	}
	free(res->v);
}

static int cmp_cand(const void *a, const void *b)
{
	return strcmp(((const struct cand *)a)->name, ((const struct cand *)b)->name);
}

static struct cand *find_cand(struct resolution *res, const char *name)
{
	struct cand key = { .name = (char *)name };

	return res->n ? bsearch(&key, res->v, res->n, sizeof(*res->v), cmp_cand) : NULL;
}

/* Debian package names: [a-z0-9][a-z0-9+.-]+ (also keeps options out of apt's argv). */
static bool deb_name_valid(const char *s)
{
	if (!s || strlen(s) < 2 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("+.-", *s)))
			return false;
	return true;
}

/* "Inst NAME (VERSION ORIGIN… [ARCH]) …" lines of a simulated install. */
static int parse_simulation(const char *text, const char *arch, struct resolution *res)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchrnul(p, '\n');
		_cleanup_free_ char *line = xstrndup(p, (size_t)(nl - p));
		char *name, *paren, *sp, *lb, *rb, *colon;

		p = *nl ? nl + 1 : nl;
		if (strncmp(line, "Inst ", 5))
			continue;
		name = line + 5;
		paren = strstr(name, " (");
		if (!paren)
			return -EINVAL;
		*paren = '\0';
		sp = strchr(paren + 2, ' ');
		lb = sp ? strchr(sp, '[') : NULL;
		rb = lb ? strchr(lb, ']') : NULL;
		if (!rb)
			return -EINVAL;
		*sp = *rb = '\0';
		colon = strchr(name, ':');
		if (colon)
			*colon = '\0';
		if (res->n == res->alloc) {
			res->alloc = res->alloc ? 2 * res->alloc : 64;
			res->v = xrealloc(res->v, res->alloc * sizeof(*res->v));
		}
		res->v[res->n++] = (struct cand){ .name = xstrdup(name), .version = xstrdup(paren + 2),
						  .arch = xstrdup(strcmp(lb + 1, "all") ? lb + 1 : arch),
						  .deps = PATH_LIST_INIT };
	}
	if (res->n)
		qsort(res->v, res->n, sizeof(*res->v), cmp_cand);
	return 0;
}

static void set_field(char **dst, const char *v, size_t len)
{
	if (!*dst)
		*dst = xstrndup(v, len);
}

/* Fills sha256/size/filename/depends/provides from `apt-cache show` stanzas
 * (the first stanza of each chosen name and version wins). */
static void parse_show(const char *text, struct resolution *res)
{
	const char *p = text;
	struct cand *cur = NULL;
	_cleanup_free_ char *pkg = NULL;

	while (p && *p) {
		const char *nl = strchrnul(p, '\n');
		size_t len = (size_t)(nl - p);
		const char *colon = memchr(p, ':', len);
		const char *v = colon ? colon + 1 : NULL;
		size_t klen = colon ? (size_t)(colon - p) : 0;

		while (v && v < nl && *v == ' ')
			v++;
		if (len == 0) {
			cur = NULL;
		} else if (colon && klen == 7 && !strncmp(p, "Package", 7)) {
			free(pkg);
			pkg = xstrndup(v, (size_t)(nl - v));
			cur = NULL;
		} else if (colon && klen == 7 && !strncmp(p, "Version", 7) && pkg) {
			struct cand *c = find_cand(res, pkg);
			cur = c && strlen(c->version) == (size_t)(nl - v) &&
			      !strncmp(c->version, v, (size_t)(nl - v)) && !c->sha256 ? c : NULL;
		} else if (cur && colon && p[0] != ' ') {
			size_t vlen = (size_t)(nl - v);
			if (klen == 6 && !strncmp(p, "SHA256", 6))
				set_field(&cur->sha256, v, vlen);
			else if (klen == 8 && !strncmp(p, "Filename", 8))
				set_field(&cur->filename, v, vlen);
			else if (klen == 7 && !strncmp(p, "Depends", 7))
				set_field(&cur->depends, v, vlen);
			else if (klen == 11 && !strncmp(p, "Pre-Depends", 11)) {
				char *joined = xasprintf("%.*s%s%s", (int)vlen, v,
							 cur->depends ? ", " : "",
							 cur->depends ? cur->depends : "");
				free(cur->depends);
				cur->depends = joined;
			} else if (klen == 8 && !strncmp(p, "Provides", 8))
				set_field(&cur->provides, v, vlen);
			else if (klen == 4 && !strncmp(p, "Size", 4)) {
				_cleanup_free_ char *s = xstrndup(v, vlen);
				if (parse_u64(s, 10, &cur->size) < 0)
					cur->size = 0;
			}
		}
		p = *nl ? nl + 1 : nl;
	}
}

/* The bare package name of one alternative: "foo:any (>= 1)" -> "foo". */
static char *alt_name(const char *s, size_t len)
{
	size_t i = 0, start;

	while (i < len && s[i] == ' ')
		i++;
	start = i;
	while (i < len && s[i] != ' ' && s[i] != ':' && s[i] != '(')
		i++;
	return xstrndup(s + start, i - start);
}

static bool provides_name(const char *provides, const char *name)
{
	const char *p = provides;

	while (p && *p) {
		const char *end = strchrnul(p, ',');
		_cleanup_free_ char *n = alt_name(p, (size_t)(end - p));

		if (!strcmp(n, name))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static struct cand *satisfier(struct resolution *res, const char *name)
{
	struct cand *c = find_cand(res, name);

	if (c)
		return c;
	for (size_t i = 0; i < res->n; i++)
		if (res->v[i].provides && provides_name(res->v[i].provides, name))
			return &res->v[i];
	return NULL;
}

/* Candidate edges of c: one per Depends clause, to the first alternative
 * satisfied in the set (sorted, unique). */
static void candidate_edges(struct resolution *res, struct cand *c, struct path_list *ret)
{
	const char *p = c->depends;

	while (p && *p) {
		const char *end = strchrnul(p, ',');
		const char *alt = p;

		while (alt < end) {
			const char *bar = memchr(alt, '|', (size_t)(end - alt));
			const char *aend = bar ? bar : end;
			_cleanup_free_ char *n = alt_name(alt, (size_t)(aend - alt));
			struct cand *d = *n ? satisfier(res, n) : NULL;

			if (d) {
				if (d != c)
					path_list_add(ret, d->name);
				break;
			}
			alt = bar ? bar + 1 : end;
		}
		p = *end ? end + 1 : end;
	}
	path_list_sort_uniq(ret);
}

/* The walk: keeps edges except those to a package on the stack. */
static void walk(struct resolution *res, struct cand *c)
{
	struct path_list edges = PATH_LIST_INIT;

	c->state = 1;
	candidate_edges(res, c, &edges);
	for (size_t i = 0; i < edges.n; i++) {
		struct cand *d = find_cand(res, edges.v[i]);

		if (d->state == 1)
			continue; /* closes a cycle */
		if (d->state == 0)
			walk(res, d);
		{
			_cleanup_free_ char *edge = xasprintf("%s:%s", d->name, d->arch);
			path_list_add(&c->deps, edge);
		}
	}
	path_list_release(&edges);
	c->state = 2;
}

/* Where the package apt complains about was asked for, if apt names one
 * ("Unable to locate package X", "Package 'X' has no installation candidate"). */
static const struct cfg_loc *blamed_package(const struct kiln_config *c, const char *text)
{
	for (size_t i = 0; i <= c->packages.n; i++) {
		const struct cfg_str *s = i < c->packages.n ? &c->packages.v[i] : &c->kernel;
		_cleanup_free_ char *a = NULL, *b = NULL;

		if (!s->value)
			continue;
		a = xasprintf("Unable to locate package %s\n", s->value);
		b = xasprintf("Package '%s' ", s->value);
		if (strstr(text, a) || strstr(text, b))
			return &s->loc;
	}
	return NULL;
}

static int simulate(struct apt *a, const struct kiln_config *c, const struct path_list *req,
		    struct resolution *res, struct strbuf *err)
{
	const char **args = xcalloc(req->n + 5, sizeof(*args));
	struct strbuf out = STRBUF_INIT, eo = STRBUF_INIT;
	int r;

	args[0] = "-q";
	args[1] = "install";
	args[2] = "--simulate";
	args[3] = "--no-install-recommends";
	for (size_t i = 0; i < req->n; i++)
		args[4 + i] = req->v[i];
	r = apt_run(a, "apt-get", args, NULL, &out, &eo);
	if (r != 0) {
		const struct cfg_loc *loc = blamed_package(c, eo.buf ? eo.buf : "");

		if (loc)
			strbuf_addf(err, "%s:%d: apt cannot resolve packages for %s: ", loc->file,
				    loc->line, a->arch);
		else
			strbuf_addf(err, "%s: apt cannot resolve packages for %s: ", c->path, a->arch);
		if (r < 0)
			strbuf_adds(err, strerror(-r));
		else
			apt_errors(eo.buf ? eo.buf : "", err);
		r = -EINVAL;
	} else if (parse_simulation(out.buf ? out.buf : "", a->arch, res) < 0) {
		strbuf_addf(err, "%s: cannot parse apt-get's simulated install", c->path);
		r = -EINVAL;
	}
	free(args);
	strbuf_release(&out);
	strbuf_release(&eo);
	return r;
}

static int describe(struct apt *a, const struct kiln_config *c, struct resolution *res,
		    struct strbuf *err)
{
	const char **args = xcalloc(res->n + 3, sizeof(*args));
	char **specs = xcalloc(res->n, sizeof(*specs));
	struct strbuf out = STRBUF_INIT, eo = STRBUF_INIT;
	int r;

	args[0] = "show";
	args[1] = "--no-all-versions";
	for (size_t i = 0; i < res->n; i++) {
		specs[i] = xasprintf("%s:%s=%s", res->v[i].name, a->arch, res->v[i].version);
		args[2 + i] = specs[i];
	}
	r = apt_run(a, "apt-cache", args, NULL, &out, &eo);
	if (r == 0)
		parse_show(out.buf ? out.buf : "", res);
	for (size_t i = 0; i < res->n && r == 0; i++) {
		struct cand *x = &res->v[i];
		if (!x->sha256 || !x->filename || !x->size) {
			strbuf_addf(err, "%s: apt-cache gives no SHA256/Size/Filename for %s %s",
				    c->path, x->name, x->version);
			r = -EINVAL;
		}
	}
	if (r > 0) {
		strbuf_addf(err, "%s: apt-cache show failed: ", c->path);
		apt_errors(eo.buf ? eo.buf : "", err);
		r = -EIO;
	}
	for (size_t i = 0; i < res->n; i++)
		free(specs[i]);
	free(specs);
	free(args);
	strbuf_release(&out);
	strbuf_release(&eo);
	return r;
}

/* kernel + packages, validated, sorted and unique. */
static int requests(const struct kiln_config *c, struct path_list *ret, struct strbuf *err)
{
	int r = 0;

	for (size_t i = 0; i <= c->packages.n; i++) {
		const struct cfg_str *s = i < c->packages.n ? &c->packages.v[i] : &c->kernel;

		if (!s->value)
			continue;
		if (!deb_name_valid(s->value)) {
			strbuf_addf(err, "%s%s:%d: '%s' is not a Debian package name", err->len ? "\n" : "",
				    s->loc.file, s->loc.line, s->value);
			r = -EINVAL;
			continue;
		}
		path_list_add(ret, s->value);
	}
	for (const char *const *b = boot_packages(c); *b; b++)
		path_list_add(ret, *b);
	path_list_sort_uniq(ret);
	return r;
}

static void lock_pkg_fill(struct lock_pkg *p, struct cand *x)
{
	free(p->name), free(p->version), free(p->arch), free(p->sha256), free(p->filename);
	path_list_release(&p->deps);
	p->name = xstrdup(x->name);
	p->version = xstrdup(x->version);
	p->arch = xstrdup(x->arch);
	p->sha256 = xstrdup(x->sha256);
	p->filename = xstrdup(x->filename);
	p->size = x->size;
	p->deps = x->deps;
	x->deps = (struct path_list)PATH_LIST_INIT;
}

/* Puts this configuration's root and closure into l (replacing what was there). */
static void merge(struct lockfile *l, const char *config, const char *arch,
		  const struct path_list *req, struct resolution *res)
{
	size_t nold = l->npkgs;
	struct lock_root *root = (struct lock_root *)lockfile_find_root(l, config, arch);

	if (!root) {
		l->roots = xrealloc(l->roots, (l->nroots + 1) * sizeof(*l->roots));
		l->alloc_roots = ++l->nroots;
		root = &l->roots[l->nroots - 1];
		*root = (struct lock_root){ xstrdup(config), xstrdup(arch), PATH_LIST_INIT };
	}
	path_list_release(&root->requests);
	for (size_t i = 0; i < req->n; i++)
		path_list_add(&root->requests, req->v[i]);
	for (size_t i = 0; i < res->n; i++) {
		struct cand *x = &res->v[i];
		struct lock_pkg *p = NULL;

		if (x->state != 2)
			continue; /* chosen by apt but unreachable through kiln's edges */
		if (nold) {
			struct lock_pkg key = { .name = x->name, .arch = x->arch };
			p = bsearch(&key, l->pkgs, nold, sizeof(*l->pkgs), lock_pkg_cmp);
		}
		if (!p) {
			l->pkgs = xrealloc(l->pkgs, (l->npkgs + 1) * sizeof(*l->pkgs));
			l->alloc_pkgs = ++l->npkgs;
			p = &l->pkgs[l->npkgs - 1];
			memset(p, 0, sizeof(*p));
		}
		lock_pkg_fill(p, x);
	}
	lockfile_sort(l);
}

static void mark(const struct lockfile *l, const struct lock_pkg *p, bool *keep)
{
	size_t i = (size_t)(p - l->pkgs);

	if (keep[i])
		return;
	keep[i] = true;
	for (size_t j = 0; j < p->deps.n; j++) {
		const struct lock_pkg *d = lockfile_find_edge(l, p->deps.v[j]);
		if (d)
			mark(l, d, keep);
	}
}

/* Drops the roots of configurations that no longer exist beside the lock. */
static void drop_vanished_roots(struct lockfile *l, const char *dir)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nroots; i++) {
		_cleanup_free_ char *path = path_join(dir, l->roots[i].config);

		if (access(path, F_OK) == 0 || errno != ENOENT) {
			l->roots[n++] = l->roots[i];
			continue;
		}
		free(l->roots[i].config);
		free(l->roots[i].arch);
		path_list_release(&l->roots[i].requests);
	}
	l->nroots = n;
}

/* Drops packages no root reaches any more. */
static void collect_garbage(struct lockfile *l)
{
	bool *keep = xcalloc(l->npkgs + 1, sizeof(*keep));
	size_t n = 0;

	for (size_t i = 0; i < l->nroots; i++)
		for (size_t j = 0; j < l->roots[i].requests.n; j++) {
			const struct lock_pkg *p = lockfile_find_for_arch(l, l->roots[i].requests.v[j],
									  l->roots[i].arch);
			if (p)
				mark(l, p, keep);
		}
	for (size_t i = 0; i < l->npkgs; i++) {
		if (keep[i]) {
			l->pkgs[n++] = l->pkgs[i];
			continue;
		}
		free(l->pkgs[i].name), free(l->pkgs[i].version), free(l->pkgs[i].arch);
		free(l->pkgs[i].sha256), free(l->pkgs[i].filename);
		path_list_release(&l->pkgs[i].deps);
	}
	l->npkgs = n;
	free(keep);
}

/* Pins every locked version of this arch (and "all"): apt keeps them while it can. */
static int pin_locked(struct apt *a, const struct lockfile *l)
{
	const struct lock_pkg **pins = xcalloc(l->npkgs + 1, sizeof(*pins));
	size_t n = 0;
	int r;

	for (size_t i = 0; i < l->npkgs; i++)
		if (!strcmp(l->pkgs[i].arch, a->arch) || !strcmp(l->pkgs[i].arch, "all"))
			pins[n++] = &l->pkgs[i];
	r = apt_write_pins(a, pins, n);
	free(pins);
	return r;
}

int debian_lock(const struct kiln_config *c, const char *cache_dir, bool update,
		size_t *ret_npkgs, struct strbuf *err)
{
	struct path_list req = PATH_LIST_INIT;
	struct lockfile l = LOCKFILE_INIT;
	struct resolution res = { NULL, 0, 0 };
	struct apt a = { 0 };
	_cleanup_free_ char *lock_path = path_join(c->dir, KILN_LOCK_NAME);
	_cleanup_free_ char *copy = xstrdup(c->path);
	const char *config = basename(copy);
	size_t closure = 0;
	int r;

	r = requests(c, &req, err);
	if (r < 0)
		goto out;
	r = lockfile_read(lock_path, &l, err);
	if (r < 0 && r != -ENOENT)
		goto out;
	r = apt_init(&a, cache_dir, c->deb_arch, err);
	if (r >= 0)
		r = update ? apt_update(&a, err) : apt_ensure_lists(&a, err);
	if (r >= 0)
		r = update ? apt_write_pins(&a, NULL, 0) : pin_locked(&a, &l);
	if (r >= 0)
		r = simulate(&a, c, &req, &res, err);
	if (r >= 0)
		r = describe(&a, c, &res, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < req.n; i++) {
		struct cand *x = find_cand(&res, req.v[i]);

		if (!x) {
			strbuf_addf(err, "%s: apt did not choose requested package '%s' (virtual? "
				    "name the real package)", c->path, req.v[i]);
			r = -EINVAL;
			goto out;
		}
		if (x->state == 0)
			walk(&res, x);
	}
	for (size_t i = 0; i < res.n; i++)
		closure += res.v[i].state == 2;
	merge(&l, config, c->deb_arch, &req, &res);
	drop_vanished_roots(&l, c->dir);
	collect_garbage(&l);
	r = lockfile_write(lock_path, &l);
	if (r < 0)
		strbuf_addf(err, "%s: %s", lock_path, strerror(-r));
	else if (ret_npkgs)
		*ret_npkgs = closure;
out:
	apt_release(&a);
	resolution_release(&res);
	lockfile_release(&l);
	path_list_release(&req);
	return r;
}
