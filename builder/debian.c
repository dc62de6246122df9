/*
 * debian.c — realising a configuration's locked packages as store paths.
 *
 * The order of work keeps a no-op build cheap: the lock is walked, each
 * package's input-addressed path computed (a hash of a short text), and only
 * paths not yet valid cost anything — a look into the .deb cache, then one
 * batched `apt-get download` for what the cache lacks, then unpacking in
 * dependency order (a path's references must be valid before it is added).
 */
#include "apt.h"
#include "boot.h"
#include "derivation.h"
#include "fsutil.h"

#include <libgen.h>

char *deb_store_name(const char *name, const char *version)
{
	char *s = version ? xasprintf("%s-%s", name, version) : xstrdup(name);

	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("+-._?=", *p)))
			*p = '_';
	if (s[0] == '.')
		s[0] = '_';
	return s;
}

void deb_set_release(struct deb_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].name);
		free(set->v[i].version);
		free(set->v[i].arch);
		free(set->v[i].path);
	}
	free(set->v);
	*set = (struct deb_set)DEB_SET_INIT;
}

const struct deb_entry *deb_set_find(const struct deb_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].name, name))
			return &set->v[i];
	return NULL;
}

/* Walk state, indexed like the lock's packages. */
struct realise {
	const struct lockfile *l;
	struct store *s;
	const char *config;   /* c->path for messages */
	int *state;           /* 0 new, 1 on stack, 2 done */
	char **paths;         /* store path of each package, once done */
	size_t *order;        /* package indices in dependency order */
	size_t norder;
	struct strbuf *err;
};

static int visit(struct realise *rz, const struct lock_pkg *p)
{
	size_t i = (size_t)(p - rz->l->pkgs);
	struct derivation d;
	_cleanup_free_ char *name = NULL;
	int r;

	if (rz->state[i] == 2)
		return 0;
	if (rz->state[i] == 1) {
		strbuf_addf(rz->err, "kiln.lock: dependency cycle through '%s'; run 'kiln lock --update %s'",
			    p->name, rz->config);
		return -EINVAL;
	}
	rz->state[i] = 1;
	name = deb_store_name(p->name, p->version);
	derivation_init(&d, "deb", name);
	for (size_t j = 0; j < p->deps.n; j++) {
		const struct lock_pkg *dep = lockfile_find_edge(rz->l, p->deps.v[j]);

		if (!dep) {
			strbuf_addf(rz->err, "kiln.lock: package '%s' depends on '%s', which is not "
				    "pinned; run 'kiln lock %s'", p->name, p->deps.v[j], rz->config);
			derivation_release(&d);
			return -ESTALE;
		}
		r = visit(rz, dep);
		if (r < 0) {
			derivation_release(&d);
			return r;
		}
		derivation_add_input(&d, rz->paths[dep - rz->l->pkgs]);
	}
	derivation_set_param(&d, "arch", p->arch);
	derivation_set_param(&d, "sha256", p->sha256);
	derivation_set_param(&d, "version", p->version);
	rz->paths[i] = derivation_output_path(&d, rz->s->storedir);
	derivation_release(&d);
	rz->state[i] = 2;
	rz->order[rz->norder++] = i;
	return 0;
}

/* The lock's package for each requested name, or the stale-lock error. */
static int walk_requests(struct realise *rz, const struct kiln_config *c)
{
	int r = 0;

	for (size_t i = 0; i <= c->packages.n && r >= 0; i++) {
		const struct cfg_str *s = i < c->packages.n ? &c->packages.v[i] : &c->kernel;
		const struct lock_pkg *p;

		if (!s->value)
			continue;
		p = lockfile_find_for_arch(rz->l, s->value, c->deb_arch);
		if (!p) {
			strbuf_addf(rz->err, "%s:%d: package '%s' is not in kiln.lock; run 'kiln lock %s'",
				    s->loc.file, s->loc.line, s->value, c->path);
			return -ESTALE;
		}
		r = visit(rz, p);
	}
	/* kiln's own boot packages (boot.h): the lock holds them too */
	for (const char *const *b = boot_packages(c); r >= 0 && *b; b++) {
		const struct lock_pkg *p = lockfile_find_for_arch(rz->l, *b, c->deb_arch);
		if (!p) {
			strbuf_addf(rz->err, "%s:%d: package '%s' (needed to boot) is not in kiln.lock; run 'kiln lock %s'",
				    c->kernel.loc.file, c->kernel.loc.line, *b, c->path);
			return -ESTALE;
		}
		r = visit(rz, p);
	}
	return r;
}

/* Makes sure cache_dir/debs holds each of the packages not yet in the store. */
static int fetch_missing(struct realise *rz, const struct kiln_config *c, const char *cache_dir,
			 const char *debs)
{
	const struct lock_pkg **need = xcalloc(rz->norder + 1, sizeof(*need));
	size_t n = 0;
	struct apt a;
	int r = 0;

	for (size_t k = 0; k < rz->norder; k++) {
		const struct lock_pkg *p = &rz->l->pkgs[rz->order[k]];
		_cleanup_free_ char *file = xasprintf("%s/%s.deb", debs, p->sha256);
		struct stat st;

		if (store_is_valid(rz->s, rz->paths[rz->order[k]]))
			continue;
		if (stat(file, &st) == 0 && (uint64_t)st.st_size == p->size)
			continue;
		need[n++] = p;
	}
	if (n) {
		r = apt_init(&a, cache_dir, c->deb_arch, rz->err);
		if (r >= 0)
			r = apt_download(&a, need, n, debs, c->path, rz->err);
		apt_release(&a);
	}
	free(need);
	return r;
}

static void set_add(struct deb_set *set, const struct lock_pkg *p, const char *path)
{
	if (set->n == set->alloc) {
		set->alloc = set->alloc ? 2 * set->alloc : 32;
		set->v = xrealloc(set->v, set->alloc * sizeof(*set->v));
	}
	set->v[set->n++] = (struct deb_entry){ xstrdup(p->name), xstrdup(p->version),
					       xstrdup(p->arch), xstrdup(path) };
}

static int unpack_all(struct realise *rz, const char *debs, struct deb_set *set)
{
	int r = 0;

	for (size_t k = 0; k < rz->norder && r >= 0; k++) {
		const struct lock_pkg *p = &rz->l->pkgs[rz->order[k]];
		const char *path = rz->paths[rz->order[k]];

		if (!store_is_valid(rz->s, path)) {
			_cleanup_free_ char *file = xasprintf("%s/%s.deb", debs, p->sha256);
			struct path_list refs = PATH_LIST_INIT;

			for (size_t j = 0; j < p->deps.n; j++) {
				const struct lock_pkg *dep = lockfile_find_edge(rz->l, p->deps.v[j]);
				path_list_add(&refs, rz->paths[dep - rz->l->pkgs]);
			}
			path_list_sort_uniq(&refs);
			r = deb_unpack(rz->s, file, p->name, p->sha256, path, &refs, rz->err);
			path_list_release(&refs);
			if (r == -EBADMSG)
				unlink(file); /* a corrupt cache entry is fetched again next time */
			if (r < 0)
				break;
		}
		set_add(set, p, path);
	}
	return r;
}

int debian_realise(struct store *s, const struct kiln_config *c, const struct lockfile *l,
		   const char *cache_dir, struct deb_set *ret, struct strbuf *err)
{
	static const struct lockfile empty = LOCKFILE_INIT;
	struct realise rz = { .l = l ? l : &empty, .s = s, .config = c->path, .err = err };
	_cleanup_free_ char *debs = path_join(cache_dir, "debs");
	struct deb_set set = DEB_SET_INIT;
	size_t n = rz.l->npkgs + 1;
	int r;

	*ret = set;
	rz.state = xcalloc(n, sizeof(*rz.state));
	rz.paths = xcalloc(n, sizeof(*rz.paths));
	rz.order = xcalloc(n, sizeof(*rz.order));
	r = walk_requests(&rz, c);
	if (r >= 0)
		r = mkdir_p(debs, 0755) < 0 ? -errno : 0;
	if (r >= 0)
		r = fetch_missing(&rz, c, cache_dir, debs);
	if (r >= 0)
		r = unpack_all(&rz, debs, &set);
	for (size_t i = 0; i < rz.l->npkgs; i++)
		free(rz.paths[i]);
	free(rz.paths);
	free(rz.state);
	free(rz.order);
	if (r < 0)
		deb_set_release(&set);
	else
		*ret = set;
	return r;
}
