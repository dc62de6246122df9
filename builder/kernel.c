/*
 * kernel.c — the slim kernel path (layout and derivation: kernel.h).
 *
 * Everything is copied rather than linked to the package: a reference to
 * the package would bring its whole closure back into the system.
 */
#include "kernel.h"

#include <dirent.h>

#include "derivation.h"
#include "fsutil.h"
#include "modules.h"

/* Bump whenever this file changes what a kernel path holds for the same inputs. */
#define KERNEL_FORMAT "1"

int kernel_find_vmlinuz(const char *real, char **ret_kver)
{
	_cleanup_free_ char *boot = path_join(real, "boot");
	DIR *d = opendir(boot);
	struct dirent *de;
	char *kver = NULL;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vmlinuz-", 8) || !de->d_name[8])
			continue;
		if (!kver || strcmp(de->d_name + 8, kver) > 0) {
			free(kver);
			kver = xstrdup(de->d_name + 8);
		}
	}
	closedir(d);
	if (!kver)
		return -ENOENT;
	*ret_kver = kver;
	return 0;
}

const struct deb_entry *kernel_package(const struct store *s, const struct kiln_config *c,
				       const struct deb_set *debs, struct strbuf *err)
{
	const struct deb_entry *k = deb_set_find(debs, c->kernel.value), *found = NULL;
	struct path_list root = PATH_LIST_INIT, closure = PATH_LIST_INIT;
	int r;

	if (!k) {
		strbuf_addf(err, "%s:%d: boot.kernel: '%s' was not realised", c->kernel.loc.file,
			    c->kernel.loc.line, c->kernel.value);
		return NULL;
	}
	path_list_add(&root, k->path);
	r = store_closure(s, &root, &closure);
	for (size_t i = debs->n; r == 0 && i-- > 0 && !found;) {
		_cleanup_free_ char *real = NULL, *kver = NULL;
		if (!path_list_has(&closure, debs->v[i].path))
			continue;
		real = store_real_path(s, debs->v[i].path);
		if (real && kernel_find_vmlinuz(real, &kver) == 0)
			found = &debs->v[i];
	}
	path_list_release(&root);
	path_list_release(&closure);
	if (r < 0)
		strbuf_addf(err, "closure of the kernel %s: %s", k->path, strerror(-r));
	else if (!found)
		strbuf_addf(err, "%s:%d: boot.kernel: package '%s' and its dependencies ship no "
			    "/boot/vmlinuz-*", c->kernel.loc.file, c->kernel.loc.line, c->kernel.value);
	return found;
}

static char *join_modules(const struct kiln_config *c)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < c->modules.n; i++)
		strbuf_addf(&sb, "%s%s", i ? "," : "", c->modules.v[i].value);
	return strbuf_detach(&sb, NULL);
}

/* Copies the regular file src to dst (created, with its parents). */
static int copy_file(const char *src, const char *dst)
{
	struct strbuf data = STRBUF_INIT;
	_cleanup_free_ char *parent = xstrdup(dst);
	char *slash = strrchr(parent, '/');
	int fd, r;

	if (slash) {
		*slash = '\0';
		if ((r = mkdir_p(parent, 0755)) < 0)
			return r;
	}
	r = read_file(src, &data);
	if (r >= 0) {
		fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			r = -errno;
		} else {
			r = write_full(fd, data.buf, data.len);
			close(fd);
		}
	}
	strbuf_release(&data);
	return r < 0 ? r : 0;
}

static int write_text(const char *path, const struct strbuf *sb)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	return write_full(fd, sb->buf, sb->len);
}

/* The path of m relative to lib/modules/<kver>/ ("kernel/…"). */
static const char *mod_rel(const struct kmod_index *ix, const struct kmod *m)
{
	size_t skip = strlen("lib/modules/") + strlen(ix->kver) + 1;
	return strlen(m->path) > skip ? m->path + skip : m->path;
}

/* Position of the module named name in sel, or -1 (built in). */
static ssize_t sel_pos(const struct kmod_selection *sel, const char *name)
{
	for (size_t i = 0; i < sel->n; i++)
		if (!strcmp(sel->v[i]->name, name))
			return (ssize_t)i;
	return -1;
}

/*
 * modules.dep: one line per selected module, its whole dependency closure
 * after the colon in reverse load order (sel is dependencies-first, so a
 * module's own dependencies come after it: modprobe loads the list from the
 * end), as depmod writes it.
 */
static void modules_dep(const struct kmod_index *ix, const struct kmod_selection *sel,
			struct strbuf *out)
{
	size_t n = sel->n;
	bool *reach = xcalloc(n * n + 1, sizeof(bool)); /* reach[i*n+j]: i needs j */

	for (size_t i = 0; i < n; i++) {
		const struct kmod *m = sel->v[i];
		for (size_t d = 0; d < m->ndeps; d++) {
			ssize_t j = sel_pos(sel, m->deps[d]);
			if (j < 0)
				continue;
			reach[i * n + (size_t)j] = true;
			for (size_t k = 0; k < n; k++) /* j < i: its row is complete */
				reach[i * n + k] |= reach[(size_t)j * n + k];
		}
	}
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(out, "%s:", mod_rel(ix, sel->v[i]));
		for (size_t k = n; k-- > 0;)
			if (reach[i * n + k])
				strbuf_addf(out, " %s", mod_rel(ix, sel->v[k]));
		strbuf_addch(out, '\n');
	}
	free(reach);
}

static bool same_module_path(const char *line, size_t len, const char *rel)
{
	size_t rlen = strlen(rel);
	if (len > rlen || strncmp(line, rel, len))
		return false;
	/* modules.order names "x.ko"; the file may be "x.ko.xz" */
	return len == rlen || rel[len] == '.';
}

/* modules.order: the package's lines for the selected modules, else load order. */
static void modules_order(const struct kmod_index *ix, const struct kmod_selection *sel,
			  const char *moddir_real, struct strbuf *out)
{
	_cleanup_free_ char *path = path_join(moddir_real, "modules.order");
	struct strbuf in = STRBUF_INIT;

	if (read_file(path, &in) < 0) {
		for (size_t i = 0; i < sel->n; i++)
			strbuf_addf(out, "%s\n", mod_rel(ix, sel->v[i]));
		strbuf_release(&in);
		return;
	}
	for (char *line = in.buf; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		for (size_t i = 0; i < sel->n; i++)
			if (len && same_module_path(line, len, mod_rel(ix, sel->v[i]))) {
				strbuf_add(out, line, len);
				strbuf_addch(out, '\n');
				break;
			}
		line = nl ? nl + 1 : NULL;
	}
	strbuf_release(&in);
}

static int add_modules(const struct kiln_config *c, const char *real, const char *kver,
		       const char *tmp, struct strbuf *err)
{
	_cleanup_free_ char *rel = xasprintf("lib/modules/%s", kver);
	_cleanup_free_ char *moddir_real = path_join(real, rel);
	_cleanup_free_ char *moddir = path_join(tmp, rel);
	size_t nreq = c->modules.n + kmod_default_count, k = 0;
	struct kmod_request *req = xcalloc(nreq, sizeof(*req));
	struct kmod_selection sel = { 0 };
	struct strbuf dep = STRBUF_INIT, order = STRBUF_INIT;
	struct kmod_index ix;
	struct stat st;
	int r;

	if (stat(moddir_real, &st) < 0 && !c->modules.n) {
		free(req); /* a kernel without modules: nothing to select */
		return 0;
	}
	for (size_t i = 0; i < c->modules.n; i++)
		req[k++] = (struct kmod_request){ c->modules.v[i].value, false };
	for (size_t i = 0; i < kmod_default_count; i++)
		req[k++] = (struct kmod_request){ kmod_default_names[i], true };
	r = kmod_index_load(&ix, real, err);
	if (r < 0) {
		free(req);
		return r;
	}
	if (strcmp(ix.kver, kver)) {
		strbuf_addf(err, "%s: modules are for %s, the kernel is %s", real, ix.kver, kver);
		r = -EINVAL;
		goto out;
	}
	if ((r = kmod_select(&ix, req, nreq, &sel, NULL, err)) < 0)
		goto out;
	for (size_t i = 0; r == 0 && i < sel.n; i++) {
		_cleanup_free_ char *src = path_join(real, sel.v[i]->path);
		_cleanup_free_ char *dst = path_join(tmp, sel.v[i]->path);
		if ((r = copy_file(src, dst)) < 0)
			strbuf_addf(err, "copying %s: %s", src, strerror(-r));
	}
	if (r == 0 && (r = mkdir_p(moddir, 0755)) < 0)
		strbuf_addf(err, "%s: %s", moddir, strerror(-r));
	modules_dep(&ix, &sel, &dep);
	modules_order(&ix, &sel, moddir_real, &order);
	if (r == 0) {
		_cleanup_free_ char *p = path_join(moddir, "modules.dep");
		if ((r = write_text(p, &dep)) < 0)
			strbuf_addf(err, "%s: %s", p, strerror(-r));
	}
	if (r == 0) {
		_cleanup_free_ char *p = path_join(moddir, "modules.order");
		if ((r = write_text(p, &order)) < 0)
			strbuf_addf(err, "%s: %s", p, strerror(-r));
	}
	static const char *const copied[] = { "modules.builtin", "modules.builtin.modinfo" };
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(copied); i++) {
		_cleanup_free_ char *src = path_join(moddir_real, copied[i]);
		_cleanup_free_ char *dst = path_join(moddir, copied[i]);
		if (access(src, F_OK) == 0 && (r = copy_file(src, dst)) < 0)
			strbuf_addf(err, "copying %s: %s", src, strerror(-r));
	}
out:
	strbuf_release(&dep);
	strbuf_release(&order);
	kmod_selection_release(&sel);
	kmod_index_release(&ix);
	free(req);
	return r;
}

static int add_boot(const char *real, const char *kver, const char *tmp, struct strbuf *err)
{
	static const char *const files[] = { "vmlinuz", "config" };
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *rel = xasprintf("boot/%s-%s", files[i], kver);
		_cleanup_free_ char *src = path_join(real, rel);
		_cleanup_free_ char *dst = path_join(tmp, rel);
		if (i > 0 && access(src, F_OK) < 0)
			continue; /* the configuration is optional */
		if ((r = copy_file(src, dst)) < 0)
			strbuf_addf(err, "copying %s: %s", src, strerror(-r));
	}
	return r;
}

int kernel_realise(struct store *s, const struct kiln_config *c, const struct deb_set *debs,
		   char **ret_path, struct strbuf *err)
{
	const struct deb_entry *pkg = kernel_package(s, c, debs, err);
	_cleanup_free_ char *real = NULL, *kver = NULL, *name = NULL, *path = NULL, *tmp = NULL;
	_cleanup_free_ char *modules = join_modules(c);
	struct derivation d;
	int r = 0;

	if (!pkg)
		return -1;
	real = store_real_path(s, pkg->path);
	if (!real || kernel_find_vmlinuz(real, &kver) < 0) {
		strbuf_addf(err, "kernel package %s holds no boot/vmlinuz-*", pkg->path);
		return -1;
	}
	name = xasprintf("linux-%s", kver);
	derivation_init(&d, "kernel", name);
	derivation_add_input(&d, pkg->path);
	r |= derivation_set_param(&d, "format", KERNEL_FORMAT);
	r |= derivation_set_param(&d, "modules", modules);
	r |= derivation_set_param(&d, "default-modules", "1");
	path = r ? NULL : derivation_output_path(&d, s->storedir);
	derivation_release(&d);
	if (!path) {
		strbuf_addf(err, "kernel derivation of %s: invalid", pkg->path);
		return -1;
	}
	if (store_is_valid(s, path)) {
		*ret_path = path;
		path = NULL;
		return 0;
	}
	tmp = store_tmp_name(s);
	if (mkdir(tmp, 0755) < 0) {
		strbuf_addf(err, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	r = add_boot(real, kver, tmp, err);
	if (r == 0)
		r = add_modules(c, real, kver, tmp, err);
	if (r == 0 && (r = store_add_commit(s, tmp, path, NULL, NULL)) < 0)
		strbuf_addf(err, "adding %s to the store: %s", path, strerror(-r));
	if (r < 0) {
		rm_rf(tmp);
		return -1;
	}
	*ret_path = path;
	path = NULL;
	return 0;
}
