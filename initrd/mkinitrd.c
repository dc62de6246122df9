/*
 * mkinitrd.c — assembles the initrd archive (see mkinitrd.h).
 *
 * Entries are gathered first, then sorted by path (a parent always sorts
 * before its children, since "a" < "a/..." under strcmp) and written in that
 * order, so neither the order of the spec nor the host's directory order
 * reaches the bytes. Missing parent directories are added (0755).
 */
#include "mkinitrd.h"
#include "cpio.h"
#include "fsutil.h"
#include "modules.h"

enum entry_kind { ENTRY_DIR, ENTRY_FILE, ENTRY_NODE };

struct entry {
	char *path;          /* without leading '/' */
	enum entry_kind kind;
	mode_t mode;
	struct strbuf data;  /* file contents */
	unsigned major, minor;
};

struct entries {
	struct entry *v;
	size_t n;
};

static struct entry *entry_new(struct entries *es, const char *path, enum entry_kind kind, mode_t mode)
{
	es->v = xrealloc(es->v, (es->n + 1) * sizeof(*es->v));
	struct entry *e = &es->v[es->n++];
	while (*path == '/')
		path++;
	*e = (struct entry){ .path = xstrdup(path), .kind = kind, .mode = mode };
	strbuf_init(&e->data);
	return e;
}

static void entries_release(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].path);
		strbuf_release(&es->v[i].data);
	}
	free(es->v);
	es->v = NULL;
	es->n = 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* Adds the missing parent directories of every entry. */
static void add_parents(struct entries *es)
{
	size_t n = es->n;
	for (size_t i = 0; i < n; i++) {
		char *p = xstrdup(es->v[i].path);
		for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
			*slash = '\0';
			bool have = false;
			for (size_t j = 0; j < es->n && !have; j++)
				have = !strcmp(es->v[j].path, p);
			if (have)
				break;
			entry_new(es, p, ENTRY_DIR, 0755);
		}
		free(p);
	}
}

static int add_modules(const struct initrd_spec *spec, struct entries *es, struct strbuf *err)
{
	struct kmod_index ix;
	struct kmod_selection sel = { 0 };
	size_t nreq = spec->nmodules + (spec->default_modules ? kmod_default_count : 0);
	struct kmod_request *req = xcalloc(nreq ? nreq : 1, sizeof(*req));
	size_t k = 0;
	int r;

	for (size_t i = 0; i < spec->nmodules; i++)
		req[k++] = (struct kmod_request){ spec->modules[i], false };
	for (size_t i = 0; spec->default_modules && i < kmod_default_count; i++)
		req[k++] = (struct kmod_request){ kmod_default_names[i], true };
	r = kmod_index_load(&ix, spec->kernel_tree, err);
	if (r < 0)
		goto out_req;
	r = kmod_select(&ix, req, nreq, &sel, spec->notes, err);
	if (r < 0)
		goto out;
	struct strbuf order = STRBUF_INIT;
	for (size_t i = 0; i < sel.n && r >= 0; i++) {
		/* stored decompressed: the init needs no decompressor */
		const char *path = sel.v[i]->path, *dot = strrchr(path, '.');
		char *name = !strcmp(dot, ".ko") ? xstrdup(path) : xstrndup(path, (size_t)(dot - path));
		struct entry *e = entry_new(es, name, ENTRY_FILE, 0644);
		char *host = path_join(spec->kernel_tree, sel.v[i]->path);
		r = kmod_read_file(host, &e->data, err);
		strbuf_addf(&order, "/%s\n", name);
		free(host);
		free(name);
	}
	/* es->v may move with every entry_new(): fill this one last */
	struct entry *list = entry_new(es, "lib/modules/load-order", ENTRY_FILE, 0644);
	strbuf_release(&list->data);
	list->data = order;
	kmod_selection_release(&sel);
out:
	kmod_index_release(&ix);
out_req:
	free(req);
	return r;
}

static int gather(const struct initrd_spec *spec, struct entries *es, struct strbuf *err)
{
	static const char *const mount_points[] = { "dev", "proc", "sys", "run", "sysroot" };
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(mount_points); i++)
		entry_new(es, mount_points[i], ENTRY_DIR, 0755);
	struct entry *con = entry_new(es, "dev/console", ENTRY_NODE, S_IFCHR | 0600);
	con->major = 5;
	con->minor = 1;
	r = read_file(spec->init_path, &entry_new(es, "init", ENTRY_FILE, 0755)->data);
	if (r < 0) {
		strbuf_addf(err, "init %s: %s", spec->init_path, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < spec->nfiles; i++) {
		const struct initrd_file *f = &spec->files[i];
		r = read_file(f->host_path, &entry_new(es, f->initrd_path, ENTRY_FILE, f->mode)->data);
		if (r < 0) {
			strbuf_addf(err, "%s (for %s): %s", f->host_path, f->initrd_path, strerror(-r));
			return r;
		}
	}
	if (spec->kernel_tree) {
		r = add_modules(spec, es, err);
		if (r < 0)
			return r;
	}
	add_parents(es);
	qsort(es->v, es->n, sizeof(*es->v), cmp_entry);
	for (size_t i = 1; i < es->n; i++) {
		if (!strcmp(es->v[i - 1].path, es->v[i].path)) {
			strbuf_addf(err, "/%s is in the initrd twice", es->v[i].path);
			return -EEXIST;
		}
	}
	return 0;
}

static int write_entry(struct cpio *c, const struct entry *e)
{
	switch (e->kind) {
	case ENTRY_DIR:
		return cpio_add_dir(c, e->path, e->mode);
	case ENTRY_NODE:
		return cpio_add_node(c, e->path, e->mode, e->major, e->minor);
	case ENTRY_FILE:
		break;
	}
	return cpio_add_file(c, e->path, e->mode, e->data.buf, e->data.len);
}

int initrd_build_cpio(const struct initrd_spec *spec, struct strbuf *ret_cpio, struct strbuf *err)
{
	struct entries es = { 0 };
	struct cpio c;
	int r;

	if (spec->mtime > UINT32_MAX) {
		strbuf_addf(err, "initrd timestamp %" PRIu64 " does not fit newc's 32 bits", spec->mtime);
		return -ERANGE;
	}
	cpio_init(&c, (uint32_t)spec->mtime);
	r = gather(spec, &es, err);
	for (size_t i = 0; r >= 0 && i < es.n; i++) {
		r = write_entry(&c, &es.v[i]);
		if (r < 0)
			strbuf_addf(err, "initrd entry /%s: %s", es.v[i].path, strerror(-r));
	}
	if (r >= 0)
		r = cpio_finish(&c);
	if (r >= 0)
		strbuf_add(ret_cpio, c.out.buf, c.out.len);
	cpio_release(&c);
	entries_release(&es);
	return r < 0 ? r : 0;
}

int initrd_build(const struct initrd_spec *spec, const char *out_path, struct strbuf *err)
{
	struct strbuf raw = STRBUF_INIT, gz = STRBUF_INIT;
	int r = initrd_build_cpio(spec, &raw, err);
	if (r >= 0)
		r = cpio_gzip(raw.buf, raw.len, &gz, err);
	if (r >= 0) {
		r = write_file_atomic(out_path, gz.buf, gz.len, 0444);
		if (r < 0)
			strbuf_addf(err, "%s: %s", out_path, strerror(-r));
	}
	strbuf_release(&raw);
	strbuf_release(&gz);
	return r < 0 ? r : 0;
}
