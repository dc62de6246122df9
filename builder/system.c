/*
 * system.c — assembling the system path (layout and derivation: system.h).
 *
 * The order matters for `kiln build` being instant when nothing changed:
 * everything that decides the system path (package paths, kernel version,
 * etc tree hash) is computed in memory first; only when that path is not yet
 * valid does anything touch the disk (sw merge, busybox applet listing,
 * writing etc, hashing the closure).
 */
#include "system.h"

#include <dirent.h>

#include "boot.h"
#include "common.h"
#include "derivation.h"
#include "etc.h"
#include "fsutil.h"
#include "nar.h"
#include "imagegen.h"
#include "kernel.h"

/* The derivation cannot see kiln's own code: bump this whenever a change here,
 * in sw.c or in etc.c changes what a system path holds for the same inputs. */
#define SYSTEM_FORMAT "4"

struct plan {
	struct path_list sw_closure;   /* store paths of the packages merged into sw */
	struct sw_pkg *sw;             /* in dependency order */
	char **sw_real;
	size_t nsw;
	char *gentool;                 /* kiln-generation's store path (issue 4) */
	char *sw_out;                  /* the sw path */
	char *kernel_path;             /* store path holding boot/vmlinuz-<kver> */
	char *kver;
	struct etc_tree etc;
	struct path_list refs;         /* inputs = references */
	struct derivation drv;
	char *out;
};

static void plan_release(struct plan *p)
{
	path_list_release(&p->sw_closure);
	for (size_t i = 0; i < p->nsw; i++)
		free(p->sw_real[i]);
	free(p->sw_real);
	free(p->sw);
	free(p->gentool);
	free(p->sw_out);
	free(p->kernel_path);
	free(p->kver);
	etc_tree_release(&p->etc);
	path_list_release(&p->refs);
	derivation_release(&p->drv);
	free(p->out);
}

static void add_err(struct strbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_err(struct strbuf *err, const char *fmt, ...)
{
	va_list ap;
	if (err->len)
		strbuf_addch(err, '\n');
	va_start(ap, fmt);
	strbuf_vaddf(err, fmt, ap);
	va_end(ap);
}

/* sw = the closure of `packages` through the packages' store references. */
static int plan_sw(struct store *s, const struct system_spec *sp, struct plan *p,
		   struct strbuf *err)
{
	const struct kiln_config *c = sp->cfg;
	struct path_list roots = PATH_LIST_INIT;
	int r;

	for (size_t i = 0; i < c->packages.n; i++) {
		const struct deb_entry *e = deb_set_find(sp->debs, c->packages.v[i].value);
		if (!e) {
			add_err(err, "%s:%d: packages: '%s' was not realised", c->packages.v[i].loc.file,
				c->packages.v[i].loc.line, c->packages.v[i].value);
			path_list_release(&roots);
			return -1;
		}
		path_list_add(&roots, e->path);
	}
	path_list_sort_uniq(&roots);
	r = store_closure(s, &roots, &p->sw_closure);
	path_list_release(&roots);
	if (r < 0) {
		add_err(err, "closure of the packages: %s", strerror(-r));
		return r;
	}
	p->sw = xcalloc(sp->debs->n + 1, sizeof(*p->sw));
	p->sw_real = xcalloc(sp->debs->n + 1, sizeof(*p->sw_real));
	for (size_t i = 0; i < sp->debs->n; i++) {
		const struct deb_entry *e = &sp->debs->v[i];
		if (!path_list_has(&p->sw_closure, e->path))
			continue;
		p->sw_real[p->nsw] = store_real_path(s, e->path);
		p->sw[p->nsw] = (struct sw_pkg){ e->name, e->path, p->sw_real[p->nsw] };
		p->nsw++;
	}
	/* issue 4: the running system's generation tool, sw/bin/kiln-generation
	 * (builder/imagegen.h; the last slot of sw is for it) */
	if (gentool_realise(s, c->arch, &p->gentool, err) < 0)
		return -1;
	p->sw_real[p->nsw] = store_real_path(s, p->gentool);
	p->sw[p->nsw] = (struct sw_pkg){ "kiln-generation", p->gentool, p->sw_real[p->nsw] };
	p->nsw++;
	return 0;
}

static char *join_strlist(const struct cfg_strlist *l);

/* The sw path: inputs = the packages merged (and kiln-generation's path);
 * params = format and sw.prefer. Nothing of the configuration's name. */
static int plan_sw_derivation(struct store *s, const struct system_spec *sp, struct plan *p)
{
	_cleanup_free_ char *prefer = join_strlist(&sp->cfg->prefer);
	struct derivation d;
	int r = 0;

	derivation_init(&d, "sw", "sw");
	for (size_t i = 0; i < p->nsw; i++)
		derivation_add_input(&d, p->sw[i].path);
	r |= derivation_set_param(&d, "format", SYSTEM_FORMAT);
	r |= derivation_set_param(&d, "sw.prefer", prefer);
	p->sw_out = r ? NULL : derivation_output_path(&d, s->storedir);
	derivation_release(&d);
	return p->sw_out ? 0 : -EINVAL;
}

/* The kernel: the override path, else boot.kernel's package that ships
 * /boot/vmlinuz-* (kernel_package). */
static int plan_kernel(struct store *s, const struct system_spec *sp, struct plan *p,
		       struct strbuf *err)
{
	const struct deb_entry *k = NULL;
	const char *path = sp->kernel;
	_cleanup_free_ char *real = NULL;

	if (!path) {
		k = kernel_package(s, sp->cfg, sp->debs, err);
		if (!k)
			return -1;
		path = k->path;
	}
	real = store_real_path(s, path);
	if (!real || kernel_find_vmlinuz(real, &p->kver) < 0) {
		add_err(err, "kernel %s holds no boot/vmlinuz-*", path);
		return -1;
	}
	p->kernel_path = xstrdup(path);
	return 0;
}

static char *join_strlist(const struct cfg_strlist *l)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < l->n; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", l->v[i].value);
	return strbuf_detach(&sb, NULL);
}

static int plan_derivation(struct store *s, const struct system_spec *sp, struct plan *p)
{
	const struct kiln_config *c = sp->cfg;
	_cleanup_free_ char *name = xasprintf("%s-system", c->name.value);
	_cleanup_free_ char *params = join_strlist(&c->params);
	uint8_t etc_hash[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	int r = 0;

	path_list_add(&p->refs, p->sw_out);
	path_list_add(&p->refs, p->kernel_path);
	if (sp->initrd)
		path_list_add(&p->refs, sp->initrd);
	path_list_sort_uniq(&p->refs);

	etc_tree_hash(&p->etc, etc_hash);
	hex_encode(etc_hash, SHA256_LEN, hex);
	derivation_init(&p->drv, "system", name);
	for (size_t i = 0; i < p->refs.n; i++)
		derivation_add_input(&p->drv, p->refs.v[i]);
	r |= derivation_set_param(&p->drv, "format", SYSTEM_FORMAT);
	r |= derivation_set_param(&p->drv, "name", c->name.value);
	r |= derivation_set_param(&p->drv, "arch", c->arch);
	r |= derivation_set_param(&p->drv, "kernel.version", p->kver);
	r |= derivation_set_param(&p->drv, "kernel.params", params);
	r |= derivation_set_param(&p->drv, "etc.sha256", hex);
	r |= derivation_set_param(&p->drv, "os.version", KILN_OS_VERSION); /* os-release */
	if (r)
		return -EINVAL;
	p->out = derivation_output_path(&p->drv, s->storedir);
	return p->out ? 0 : -EINVAL;
}

/* ------------------------------------------------------------ assembly */

static int write_text(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = path_join(dir, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	return write_full(fd, text, strlen(text));
}

static int link_at(const char *dir, const char *name, const char *target)
{
	_cleanup_free_ char *path = path_join(dir, name);
	return symlink(target, path) < 0 ? -errno : 0;
}

static int write_sw(const struct system_spec *sp, struct plan *p, const char *sw,
		    struct strbuf *err)
{
	struct sw_fallbacks applets = SW_FALLBACKS_INIT;
	const struct sw_pkg *bb = NULL;
	int r = 0;

	/* busybox: the preferred package shipping bin/busybox, else the first */
	for (size_t i = 0; i < p->nsw; i++) {
		_cleanup_free_ char *bin = path_join(p->sw[i].real, "bin/busybox");
		struct stat st;
		bool pref = false;
		if (lstat(bin, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		for (size_t k = 0; k < sp->cfg->prefer.n; k++)
			pref |= !strcmp(sp->cfg->prefer.v[k].value, p->sw[i].name);
		if (!bb || pref)
			bb = &p->sw[i];
		if (pref)
			break;
	}
	if (bb) {
		_cleanup_free_ char *real = path_join(bb->real, "bin/busybox");
		/* relative links: fast symlinks, no data block each (system.h) */
		if (busybox_applets(real, "bin/busybox", &applets, err) < 0)
			r = -1;
	}
	if (r == 0)
		r = sw_merge(p->sw, p->nsw, &sp->cfg->prefer, &applets, sw, err);
	sw_fallbacks_release(&applets);
	return r;
}

static int write_closure(struct store *s, struct plan *p, const char *tmp, const struct deb_set *debs)
{
	struct path_list closure = PATH_LIST_INIT;
	struct strbuf sb = STRBUF_INIT, pk = STRBUF_INIT;
	const struct deb_entry **sorted;
	size_t nsorted = 0;
	int r = store_closure(s, &p->refs, &closure);

	for (size_t i = 0; r == 0 && i < closure.n; i++) {
		const struct path_info *pi = store_query(s, closure.v[i]);
		_cleanup_free_ char *h = pi ? nar_hash_format(pi->nar_hash) : NULL;
		if (!pi) {
			r = -ENOENT;
			break;
		}
		strbuf_addf(&sb, "%s %s %" PRIu64 "\n", pi->path, h, pi->nar_size);
	}
	/* packages: by name (then arch); debs are in dependency order */
	sorted = xcalloc(debs->n + 1, sizeof(*sorted));
	for (size_t i = 0; i < debs->n; i++)
		if (path_list_has(&closure, debs->v[i].path))
			sorted[nsorted++] = &debs->v[i];
	for (size_t i = 1; i < nsorted; i++)
		for (size_t j = i; j > 0; j--) {
			int c = strcmp(sorted[j - 1]->name, sorted[j]->name);
			if (c < 0 || (c == 0 && strcmp(sorted[j - 1]->arch, sorted[j]->arch) <= 0))
				break;
			const struct deb_entry *t = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	for (size_t i = 0; i < nsorted; i++)
		strbuf_addf(&pk, "%s %s %s %s\n", sorted[i]->name, sorted[i]->version,
			    sorted[i]->arch, sorted[i]->path);
	free(sorted);
	if (r == 0)
		r = write_text(tmp, "closure", strbuf_str(&sb));
	if (r == 0)
		r = write_text(tmp, "packages", strbuf_str(&pk));
	strbuf_release(&sb);
	strbuf_release(&pk);
	path_list_release(&closure);
	return r;
}

static int write_files(struct store *s, const struct system_spec *sp, struct plan *p,
		       const char *tmp)
{
	const struct kiln_config *c = sp->cfg;
	_cleanup_free_ char *hash_part = NULL;
	_cleanup_free_ char *kernel = xasprintf("%s/boot/vmlinuz-%s", p->kernel_path, p->kver);
	_cleanup_free_ char *modules = xasprintf("%s/lib/modules/%s", p->kernel_path, p->kver);
	_cleanup_free_ char *modules_real = store_real_path(s, modules);
	_cleanup_free_ char *etc = path_join(tmp, "etc");
	_cleanup_free_ char *params = join_strlist(&c->params);
	_cleanup_free_ char *text = NULL;
	struct strbuf modes = STRBUF_INIT;
	struct stat st;
	int r;

	r = store_path_parse(s->storedir, p->out, &hash_part, NULL);
	if (r == 0) {
		etc_add_os_release(c, &p->etc, hash_part);
		r = etc_tree_write(&p->etc, etc);
	}
	etc_tree_modes(&p->etc, &modes);
	if (r == 0)
		r = write_text(tmp, "etc-modes", strbuf_str(&modes));
	strbuf_release(&modes);
	if (r == 0)
		r = link_at(tmp, "kernel", kernel);
	if (r == 0 && modules_real && stat(modules_real, &st) == 0 && S_ISDIR(st.st_mode))
		r = link_at(tmp, "kernel-modules", modules);
	if (r == 0 && sp->initrd)
		r = link_at(tmp, "initrd", sp->initrd);
	if (r == 0)
		r = link_at(tmp, "sw", p->sw_out);
	if (r == 0)
		r = link_at(tmp, "init", "sw/sbin/init");
#define TEXT(file, fmt, ...) \
	if (r == 0) { free(text); text = xasprintf(fmt, __VA_ARGS__); r = write_text(tmp, file, text); }
	TEXT("kernel-version", "%s\n", p->kver);
	TEXT("kernel-params", "%s\n", params);
	TEXT("arch", "%s\n", c->arch);
	TEXT("name", "%s\n", c->name.value);
#undef TEXT
	return r;
}

/* The sw path, unless it is valid already (most switches: same packages). */
static int assemble_sw(struct store *s, const struct system_spec *sp, struct plan *p,
		       struct strbuf *err)
{
	_cleanup_free_ char *tmp = NULL, *init = NULL;
	struct path_list refs = PATH_LIST_INIT;
	struct stat st;
	int r;

	if (store_is_valid(s, p->sw_out))
		return 0;
	tmp = store_tmp_name(s);
	r = write_sw(sp, p, tmp, err);
	if (r == 0) {
		init = path_join(tmp, "sbin/init");
		if (lstat(init, &st) < 0) {
			add_err(err, "%s: no package provides /sbin/init (busybox-static does)",
				sp->cfg->path);
			r = -1;
		}
	}
	for (size_t i = 0; r == 0 && i < p->nsw; i++)
		path_list_add(&refs, p->sw[i].path);
	path_list_sort_uniq(&refs);
	if (r == 0 && (r = store_add_commit(s, tmp, p->sw_out, &refs, NULL)) < 0)
		add_err(err, "adding %s to the store: %s", p->sw_out, strerror(-r));
	path_list_release(&refs);
	if (r < 0)
		rm_rf(tmp);
	return r;
}

static int assemble(struct store *s, const struct system_spec *sp, struct plan *p,
		    struct strbuf *err)
{
	_cleanup_free_ char *tmp = store_tmp_name(s);
	int r;

	if (mkdir(tmp, 0755) < 0)
		return -errno;
	if ((r = write_files(s, sp, p, tmp)) < 0)
		add_err(err, "writing the system: %s", strerror(-r));
	if (r == 0 && (r = write_closure(s, p, tmp, sp->debs)) < 0)
		add_err(err, "writing the closure: %s", strerror(-r));
	if (r == 0 && (r = store_add_commit(s, tmp, p->out, &p->refs, NULL)) < 0)
		add_err(err, "adding %s to the store: %s", p->out, strerror(-r));
	if (r < 0)
		rm_rf(tmp);
	return r;
}

int system_build(struct store *s, const struct system_spec *sp, char **ret_path,
		 struct strbuf *err)
{
	struct plan p = { 0 };
	int r;

	r = plan_sw(s, sp, &p, err);
	if (r == 0 && (r = plan_sw_derivation(s, sp, &p)) < 0)
		add_err(err, "sw derivation: %s", strerror(-r));
	if (r == 0)
		r = plan_kernel(s, sp, &p, err);
	if (r == 0)
		r = etc_generate(sp->cfg, &p.etc, err);
	if (r == 0 && (r = plan_derivation(s, sp, &p)) < 0)
		add_err(err, "system derivation: %s", strerror(-r));
	if (r == 0 && !store_is_valid(s, p.out)) {
		r = assemble_sw(s, sp, &p, err);
		if (r == 0)
			r = assemble(s, sp, &p, err);
	}
	if (r == 0) {
		*ret_path = p.out;
		p.out = NULL;
	}
	plan_release(&p);
	return r;
}

/* ---------------------------------------------------- kiln build CONFIG */

static void print_lines(const struct strbuf *err)
{
	_cleanup_free_ char *copy = xstrdup(strbuf_str(err));
	for (char *line = copy, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		error("%s", line);
	}
}

int system_build_config(struct store *s, const char *config_path, const char *initrd,
			struct kiln_config *ret_cfg, char **ret_path)
{
	struct kiln_config cfg;
	struct lockfile lock = LOCKFILE_INIT;
	struct deb_set debs = DEB_SET_INIT;
	struct system_spec spec = { 0 };
	struct strbuf err = STRBUF_INIT;
	_cleanup_free_ char *lock_path = NULL, *own_initrd = NULL, *kernel = NULL;
	int r, code = 1;

	if (config_load(config_path, &cfg, &err) < 0) {
		print_lines(&err);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	lock_path = path_join(cfg.dir, KILN_LOCK_NAME);
	r = lockfile_read(lock_path, &lock, &err);
	if (r == -ENOENT) {
		error("%s: no %s beside it; run 'kiln lock %s' first", config_path, lock_path,
		      config_path);
		goto out;
	}
	if (r < 0) {
		print_lines(&err);
		code = EXIT_USAGE; /* a malformed lock, as kiln fetch says */
		goto out;
	}
	r = debian_realise(s, &cfg, &lock, kiln_cache_dir(), &debs, &err);
	if (r < 0) {
		if (!err.len)
			strbuf_addf(&err, "realising the packages: %s", strerror(-r));
		print_lines(&err);
		code = r == -ENOENT ? 3 : r == -ESTALE ? EXIT_USAGE : 1;
		goto out;
	}
	if (!initrd) {
		r = boot_realise_initrd(s, &cfg, &debs, &own_initrd, &err);
		if (r < 0) {
			print_lines(&err);
			goto out;
		}
		initrd = own_initrd;
	}
	/* the slim kernel (kernel.h): the system references neither the whole
	 * kernel package nor its Depends; the initrd still reads the package */
	r = kernel_realise(s, &cfg, &debs, &kernel, &err);
	if (r < 0) {
		print_lines(&err);
		goto out;
	}
	spec = (struct system_spec){ .cfg = &cfg, .debs = &debs, .kernel = kernel,
				     .initrd = initrd };
	r = system_build(s, &spec, ret_path, &err);
	if (r < 0) {
		if (!err.len)
			strbuf_addf(&err, "building the system: %s", strerror(-r));
		print_lines(&err);
		goto out;
	}
	code = 0;
out:
	deb_set_release(&debs);
	lockfile_release(&lock);
	strbuf_release(&err);
	if (code == 0 && ret_cfg)
		*ret_cfg = cfg;
	else
		config_release(&cfg);
	return code;
}
