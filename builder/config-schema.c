/*
 * config-schema.c — kiln's configuration schema: checks the merged value
 * tree (config-tree.h) key by key and fills struct kiln_config, with the
 * defaults config.h lists. Every problem is reported (not just the first)
 * as "FILE:LINE: KEY: message", KEY being the dotted path (users.admin.uid,
 * files[2].path). The simple value checks live in config-check.c.
 */
#include "config-tree.h"
#include "config-check.h"
#include "fsutil.h"

/* ---- reporting ---- */

static void kerr(struct cfg_ctx *x, const struct cfg_loc *loc, const char *path,
		 const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void kerr(struct cfg_ctx *x, const struct cfg_loc *loc, const char *path,
		 const char *key, const char *fmt, ...)
{
	struct strbuf k = STRBUF_INIT, msg = STRBUF_INIT;
	va_list ap;

	strbuf_adds(&k, path);
	if (key && *key) {
		if (*path && key[0] != '[')
			strbuf_addch(&k, '.');
		strbuf_adds(&k, key);
	}
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	cfg_error(x, loc, k.buf, "%s", msg.buf);
	strbuf_release(&k);
	strbuf_release(&msg);
}

/* A value quoted for a message, cut short when long (caller frees). */
static char *q(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	cfg_quote(&sb, s, 60);
	return strbuf_detach(&sb, NULL);
}

/* Edit distance of two short names (insertions, deletions, substitutions),
 * capped: anything past 32 characters counts as far apart. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

static void check_keys(struct cfg_ctx *x, const struct cnode *g, const char *path,
		       const char *const *allowed)
{
	for (size_t i = 0; i < g->nkids; i++) {
		const struct cnode *k = g->kids[i];
		struct strbuf list = STRBUF_INIT;
		const char *near = NULL;
		size_t best = 3; /* suggest only within two edits */
		bool ok = false;

		for (size_t j = 0; allowed[j] && !ok; j++)
			ok = !strcmp(allowed[j], k->key);
		if (ok)
			continue;
		for (size_t j = 0; allowed[j]; j++) {
			size_t d = distance(k->key, allowed[j]);
			if (d < best && d < strlen(allowed[j])) {
				best = d;
				near = allowed[j];
			}
			strbuf_addf(&list, "%s%s", j ? ", " : "", allowed[j]);
		}
		if (near)
			kerr(x, &k->loc, path, k->key, "unknown key; did you mean %s? (expected one of: %s)",
			     near, list.buf);
		else
			kerr(x, &k->loc, path, k->key, "unknown key (expected one of: %s)", list.buf);
		strbuf_release(&list);
	}
}

/* ---- typed getters: absent -> NULL/default; a wrong type is reported ---- */

static const struct cnode *get_typed(struct cfg_ctx *x, const struct cnode *g,
				     const char *path, const char *key,
				     enum cnode_type type, const char *what)
{
	const struct cnode *n = cnode_get(g, key);

	if (n && n->type != type) {
		kerr(x, &n->loc, path, key, "expected %s, found %s", what, cnode_type_name(n->type));
		return NULL;
	}
	return n;
}

static void missing(struct cfg_ctx *x, const struct cnode *g, const char *path, const char *key)
{
	kerr(x, &g->loc, path, key, "required value missing");
}

/* A string checked by valid (may be NULL); def (may be NULL) when absent. */
static char *get_string(struct cfg_ctx *x, const struct cnode *g, const char *path,
			const char *key, const char *def, const struct check *valid,
			struct cfg_loc *ret_loc)
{
	const struct cnode *n = get_typed(x, g, path, key, CNODE_STRING, "a string");

	if (!n)
		return cnode_get(g, key) || !def ? NULL : xstrdup(def);
	if (valid && !valid->fn(n->s)) {
		_cleanup_free_ char *v = q(n->s);
		kerr(x, &n->loc, path, key, "%s is not %s", v, valid->what);
		return NULL;
	}
	if (ret_loc)
		*ret_loc = n->loc;
	return xstrdup(n->s);
}

static char *get_required(struct cfg_ctx *x, const struct cnode *g, const char *path,
			  const char *key, const struct check *valid, struct cfg_loc *ret_loc)
{
	if (!cnode_get(g, key)) {
		missing(x, g, path, key);
		return NULL;
	}
	return get_string(x, g, path, key, NULL, valid, ret_loc);
}

static char *get_enum(struct cfg_ctx *x, const struct cnode *g, const char *path,
		      const char *key, const char *const *choices, const char *def)
{
	const struct cnode *n = get_typed(x, g, path, key, CNODE_STRING, "a string");
	struct strbuf list = STRBUF_INIT;

	if (!n)
		return cnode_get(g, key) || !def ? NULL : xstrdup(def);
	for (size_t i = 0; choices[i]; i++)
		if (!strcmp(choices[i], n->s))
			return xstrdup(n->s);
	for (size_t i = 0; choices[i]; i++)
		strbuf_addf(&list, "%s\"%s\"", i ? ", " : "", choices[i]);
	_cleanup_free_ char *v = q(n->s);
	kerr(x, &n->loc, path, key, "%s is not one of %s", v, list.buf);
	strbuf_release(&list);
	return NULL;
}

static bool get_bool(struct cfg_ctx *x, const struct cnode *g, const char *path,
		     const char *key, bool def)
{
	const struct cnode *n = get_typed(x, g, path, key, CNODE_BOOL, "a boolean (true or false)");
	return n ? n->b : def;
}

/* An integer in [min, max]; *ret untouched when absent. Returns 1 when set. */
static int get_int(struct cfg_ctx *x, const struct cnode *g, const char *path,
		   const char *key, int64_t min, int64_t max, int *ret)
{
	const struct cnode *n = get_typed(x, g, path, key, CNODE_INT, "an integer");

	if (!n)
		return 0;
	if (n->i < min || n->i > max) {
		kerr(x, &n->loc, path, key, "%" PRId64 " is out of range (%" PRId64 " to %" PRId64 ")",
		     n->i, min, max);
		return 0;
	}
	*ret = (int)n->i;
	return 1;
}

/* A size: "2G", "512M", "1.5G" or an integer number of bytes. */
static uint64_t get_size(struct cfg_ctx *x, const struct cnode *g, const char *path,
			 const char *key)
{
	const struct cnode *n = cnode_get(g, key);
	uint64_t v;

	if (!n)
		return 0;
	if (n->type == CNODE_INT) {
		if (n->i >= 0)
			return (uint64_t)n->i;
		kerr(x, &n->loc, path, key, "a size cannot be negative");
		return 0;
	}
	if (n->type != CNODE_STRING) {
		kerr(x, &n->loc, path, key, "expected a size (a string like \"2G\" or an integer of bytes), found %s",
		     cnode_type_name(n->type));
		return 0;
	}
	if (!(n->s[0] >= '0' && n->s[0] <= '9') || strpbrk(n->s, "xXnN") || parse_size(n->s, &v) < 0) {
		_cleanup_free_ char *s = q(n->s);
		kerr(x, &n->loc, path, key, "%s is not a size (like \"512M\", \"2G\", \"1.5T\" or a number of bytes)", s);
		return 0;
	}
	return v;
}

/* A list of strings, each checked by valid; appended to ret. */
static void get_strlist(struct cfg_ctx *x, const struct cnode *g, const char *path,
			const char *key, const struct check *valid, struct cfg_strlist *ret)
{
	const struct cnode *n = get_typed(x, g, path, key, CNODE_LIST, "a list of strings");

	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++) {
		const struct cnode *e = n->kids[i];
		char idx[64];

		snprintf(idx, sizeof(idx), "%s[%zu]", key, i);
		if (e->type != CNODE_STRING) {
			kerr(x, &e->loc, path, idx, "expected a string, found %s", cnode_type_name(e->type));
			continue;
		}
		if (valid && !valid->fn(e->s)) {
			_cleanup_free_ char *v = q(e->s);
			kerr(x, &e->loc, path, idx, "%s is not %s", v, valid->what);
			continue;
		}
		ret->v = xrealloc(ret->v, (ret->n + 1) * sizeof(*ret->v));
		ret->v[ret->n].value = xstrdup(e->s);
		ret->v[ret->n++].loc = e->loc;
	}
}

/* A path written relative to the file that set it, made absolute. */
static char *resolve_path(const struct cfg_loc *loc, const char *rel)
{
	_cleanup_free_ char *dir = NULL;
	if (rel[0] == '/')
		return xstrdup(rel);
	dir = cfg_loc_dir(loc);
	return path_join(dir, rel);
}

/* resolve_path() of an existing regular file, symlinks resolved. */
static char *resolve_file(struct cfg_ctx *x, const struct cfg_loc *loc, const char *path,
			  const char *key, const char *rel)
{
	_cleanup_free_ char *joined = resolve_path(loc, rel);
	char *real = realpath(joined, NULL);
	struct stat st;

	if (!real || stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
		kerr(x, loc, path, key, "cannot read %s: %s", joined,
		     !real ? strerror(errno) : "not a regular file");
		free(real);
		return NULL;
	}
	return real;
}

/* ---- sections ---- */

static const char *const top_keys[] = {
	"system", "boot", "packages", "sw", "users", "network", "services",
	"files", "disk", "installer", NULL
};

static void schema_system(struct cfg_ctx *x, const struct cnode *root)
{
	static const char *const keys[] = { "name", "hostname", "arch", "timezone", NULL };
	static const char *const arches[] = { "x86_64", "aarch64", NULL };
	const struct cnode *g = get_typed(x, root, "", "system", CNODE_GROUP, "a group");
	struct kiln_config *c = x->c;

	if (!g) {
		if (!cnode_get(root, "system"))
			missing(x, root, "system", "name");
		c->arch = xstrdup("x86_64");
	} else {
		check_keys(x, g, "system", keys);
		c->name.value = get_required(x, g, "system", "name", &check_hostname_label,
					     &c->name.loc);
		c->hostname = get_string(x, g, "system", "hostname", NULL, &check_hostname, NULL);
		c->timezone = get_string(x, g, "system", "timezone", NULL, &check_timezone, NULL);
		c->arch = get_enum(x, g, "system", "arch", arches, "x86_64");
		if (!c->arch)
			c->arch = xstrdup("x86_64"); /* an error was reported; keep going */
	}
	c->deb_arch = config_deb_arch(c->arch);
	if (!c->hostname && c->name.value)
		c->hostname = xstrdup(c->name.value);
	if (!c->timezone)
		c->timezone = xstrdup("UTC");
}

static void schema_boot(struct cfg_ctx *x, const struct cnode *root)
{
	static const char *const keys[] = { "firmware", "kernel", "params", "modules", "timeout", NULL };
	static const char *const fw[] = { "bios", "uefi", "both", NULL };
	const struct cnode *g = get_typed(x, root, "", "boot", CNODE_GROUP, "a group");
	struct kiln_config *c = x->c;
	bool arm = !strcmp(c->arch, "aarch64");

	c->boot_timeout = 0;
	if (!g) {
		if (!cnode_get(root, "boot"))
			missing(x, root, "boot", "kernel");
		c->firmware = xstrdup(arm ? "uefi" : "both");
		return;
	}
	check_keys(x, g, "boot", keys);
	c->firmware = get_enum(x, g, "boot", "firmware", fw, arm ? "uefi" : "both");
	if (c->firmware && arm && strcmp(c->firmware, "uefi")) {
		kerr(x, &cnode_get(g, "firmware")->loc, "boot", "firmware",
		     "\"%s\" is not available on aarch64 (only \"uefi\")", c->firmware);
	}
	c->kernel.value = get_required(x, g, "boot", "kernel", &check_package, &c->kernel.loc);
	get_strlist(x, g, "boot", "params", &check_param, &c->params);
	get_strlist(x, g, "boot", "modules", &check_module, &c->modules);
	get_int(x, g, "boot", "timeout", 0, 3600, &c->boot_timeout);
}

static void schema_packages(struct cfg_ctx *x, const struct cnode *root)
{
	static const char *const sw_keys[] = { "prefer", NULL };
	struct kiln_config *c = x->c;
	const struct cnode *sw;
	size_t out = 0;

	get_strlist(x, root, "", "packages", &check_package, &c->packages);
	/* the kernel is installed through boot.kernel: not twice */
	for (size_t i = 0; i < c->packages.n; i++) {
		if (c->kernel.value && !strcmp(c->packages.v[i].value, c->kernel.value))
			free(c->packages.v[i].value);
		else
			c->packages.v[out++] = c->packages.v[i];
	}
	c->packages.n = out;

	sw = get_typed(x, root, "", "sw", CNODE_GROUP, "a group");
	if (sw) {
		check_keys(x, sw, "sw", sw_keys);
		get_strlist(x, sw, "sw", "prefer", &check_package, &c->prefer);
	}
}

/* The groups inside a group keyed by name (users, network, services):
 * returns the count of entries, *ret_items each checked by fn. */
typedef void entry_fn(struct cfg_ctx *x, const struct cnode *e, const char *path, void *item);

static void *schema_named(struct cfg_ctx *x, const struct cnode *root, const char *section,
			  const struct check *name_ok, size_t item_size, entry_fn *fn,
			  size_t *ret_n)
{
	const struct cnode *g = get_typed(x, root, "", section, CNODE_GROUP, "a group");
	char *items;
	size_t n = 0;

	*ret_n = 0;
	if (!g || !g->nkids)
		return NULL;
	items = xcalloc(g->nkids, item_size);
	for (size_t i = 0; i < g->nkids; i++) {
		const struct cnode *e = g->kids[i];
		_cleanup_free_ char *path = xasprintf("%s.%s", section, e->key);
		char **name = (char **)(items + n * item_size); /* every item starts with name */

		if (!name_ok->fn(e->key)) {
			_cleanup_free_ char *v = q(e->key);
			kerr(x, &e->loc, section, e->key, "%s is not %s", v, name_ok->what);
			continue;
		}
		if (e->type != CNODE_GROUP) {
			kerr(x, &e->loc, section, e->key, "expected a group, found %s",
			     cnode_type_name(e->type));
			continue;
		}
		*name = xstrdup(e->key);
		fn(x, e, path, name);
		n++;
	}
	*ret_n = n;
	return items;
}

static void user_entry(struct cfg_ctx *x, const struct cnode *e, const char *path, void *item)
{
	static const char *const keys[] = {
		"uid", "gid", "home", "shell", "description", "groups",
		"authorized_keys", "password_hash_file", NULL
	};
	struct cfg_user *u = item;
	char *pw;

	u->loc = e->loc;
	check_keys(x, e, path, keys);
	if (!cnode_get(e, "uid"))
		missing(x, e, path, "uid");
	get_int(x, e, path, "uid", 0, INT32_MAX, &u->uid);
	u->gid = u->uid;
	get_int(x, e, path, "gid", 0, INT32_MAX, &u->gid);
	u->home = get_string(x, e, path, "home", NULL, &check_abs_path, NULL);
	if (!u->home)
		u->home = u->uid == 0 ? xstrdup("/root") : xasprintf("/home/%s", u->name);
	u->shell = get_string(x, e, path, "shell", "/bin/sh", &check_abs_path, NULL);
	u->description = get_string(x, e, path, "description", "", &check_gecos, NULL);
	get_strlist(x, e, path, "groups", &check_unix_name, &u->groups);
	get_strlist(x, e, path, "authorized_keys", &check_line, &u->authorized_keys);
	pw = get_string(x, e, path, "password_hash_file", NULL, &check_line, NULL);
	if (pw) {
		u->password_hash_file = resolve_path(&cnode_get(e, "password_hash_file")->loc, pw);
		free(pw);
	}
}

static void iface_entry(struct cfg_ctx *x, const struct cnode *e, const char *path, void *item)
{
	static const char *const keys[] = { "dhcp", "address", "gateway", "dns", NULL };
	struct cfg_iface *f = item;

	f->loc = e->loc;
	check_keys(x, e, path, keys);
	f->dhcp = get_bool(x, e, path, "dhcp", false);
	f->address = get_string(x, e, path, "address", NULL, &check_ipv4_cidr, NULL);
	f->gateway = get_string(x, e, path, "gateway", NULL, &check_ipv4, NULL);
	get_strlist(x, e, path, "dns", &check_ip, &f->dns);
	if (f->dhcp && f->address)
		kerr(x, &cnode_get(e, "address")->loc, path, "address",
		     "a static address and dhcp = true exclude each other");
	if (f->gateway && !f->address)
		kerr(x, &cnode_get(e, "gateway")->loc, path, "gateway",
		     "a gateway needs a static address");
}

static void service_entry(struct cfg_ctx *x, const struct cnode *e, const char *path, void *item)
{
	static const char *const keys[] = { "command", "action", "tty", NULL };
	static const char *const actions[] = { "respawn", "once", "sysinit", "wait", NULL };
	struct cfg_service *s = item;

	s->loc = e->loc;
	check_keys(x, e, path, keys);
	s->command = get_required(x, e, path, "command", &check_command, NULL);
	s->action = get_enum(x, e, path, "action", actions, "respawn");
	s->tty = get_string(x, e, path, "tty", NULL, &check_tty, NULL);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void schema_named_sections(struct cfg_ctx *x, const struct cnode *root)
{
	struct kiln_config *c = x->c;

	c->users = schema_named(x, root, "users", &check_unix_name, sizeof(*c->users),
				user_entry, &c->nusers);
	c->ifaces = schema_named(x, root, "network", &check_iface, sizeof(*c->ifaces),
				 iface_entry, &c->nifaces);
	c->services = schema_named(x, root, "services", &check_service, sizeof(*c->services),
				   service_entry, &c->nservices);
	if (c->nusers)
		qsort(c->users, c->nusers, sizeof(*c->users), cmp_name);
	if (c->nifaces)
		qsort(c->ifaces, c->nifaces, sizeof(*c->ifaces), cmp_name);
	if (c->nservices)
		qsort(c->services, c->nservices, sizeof(*c->services), cmp_name);
}

/* ---- files ---- */

static bool same_file(const struct cfg_file *a, const struct cfg_file *b)
{
	return a->mode == b->mode &&
	       !strcmp(a->text ? a->text : "", b->text ? b->text : "") &&
	       !strcmp(a->source ? a->source : "", b->source ? b->source : "") &&
	       !a->text == !b->text;
}

static bool file_entry(struct cfg_ctx *x, const struct cnode *e, const char *path,
		       struct cfg_file *f)
{
	static const char *const keys[] = { "path", "text", "source", "mode", NULL };
	const struct cnode *src = cnode_get(e, "source"), *text = cnode_get(e, "text");
	int before = x->nerr;
	char *mode, *s;

	f->loc = e->loc;
	check_keys(x, e, path, keys);
	f->path = get_required(x, e, path, "path", &check_file_path, &f->loc);
	if (src && text)
		kerr(x, &src->loc, path, "source", "text and source exclude each other (set one)");
	else if (!src && !text)
		kerr(x, &e->loc, path, "text", "required value missing (or source)");
	f->text = get_string(x, e, path, "text", NULL, NULL, NULL);
	s = get_string(x, e, path, "source", NULL, &check_nonempty, NULL);
	if (s) {
		f->source = resolve_file(x, &src->loc, path, "source", s);
		free(s);
	}
	f->mode = 0644;
	if (cnode_get(e, "mode") && cnode_get(e, "mode")->type == CNODE_INT) {
		/* 644 or 0644 written as a number is decimal to libconfig */
		kerr(x, &cnode_get(e, "mode")->loc, path, "mode",
		     "expected an octal string like \"0644\", found an integer");
	} else if ((mode = get_string(x, e, path, "mode", NULL, &check_mode, NULL))) {
		uint64_t m = 0;
		parse_u64(mode, 8, &m);
		f->mode = (mode_t)m;
		free(mode);
	}
	return x->nerr == before;
}

static void schema_files(struct cfg_ctx *x, const struct cnode *root)
{
	const struct cnode *l = get_typed(x, root, "", "files", CNODE_LIST,
					  "a list of groups ( { path = ...; }, ... )");
	struct kiln_config *c = x->c;

	if (!l || !l->nkids)
		return;
	c->files = xcalloc(l->nkids, sizeof(*c->files));
	for (size_t i = 0; i < l->nkids; i++) {
		const struct cnode *e = l->kids[i];
		char path[64];
		struct cfg_file *f = &c->files[c->nfiles];
		bool dup = false;

		snprintf(path, sizeof(path), "files[%zu]", i);
		if (e->type != CNODE_GROUP) {
			kerr(x, &e->loc, path, NULL, "expected a group, found %s", cnode_type_name(e->type));
			continue;
		}
		memset(f, 0, sizeof(*f));
		if (!file_entry(x, e, path, f)) {
			free(f->path);
			free(f->text);
			free(f->source);
			continue;
		}
		for (size_t j = 0; j < c->nfiles && !dup; j++) {
			if (strcmp(c->files[j].path, f->path))
				continue;
			dup = true;
			if (!same_file(&c->files[j], f))
				kerr(x, &f->loc, path, "path", "%s is also set, differently, at %s:%d",
				     f->path, c->files[j].loc.file, c->files[j].loc.line);
		}
		if (!dup) {
			c->nfiles++;
		} else {
			free(f->path);
			free(f->text);
			free(f->source);
		}
	}
}

/* ---- disk, installer ---- */

static void schema_disk(struct cfg_ctx *x, const struct cnode *root)
{
	static const char *const keys[] = { "size", "data", NULL };
	static const char *const data_keys[] = { "label", "size", "mount", NULL };
	const struct cnode *g = get_typed(x, root, "", "disk", CNODE_GROUP, "a group");
	const struct cnode *d = g ? get_typed(x, g, "disk", "data", CNODE_GROUP, "a group") : NULL;
	struct kiln_config *c = x->c;

	if (g) {
		check_keys(x, g, "disk", keys);
		c->disk_size = get_size(x, g, "disk", "size");
	}
	if (d) {
		c->has_data = true;
		check_keys(x, d, "disk.data", data_keys);
		c->data_label = get_string(x, d, "disk.data", "label", NULL, &check_fs_label, NULL);
		c->data_size = get_size(x, d, "disk.data", "size");
		c->data_mount = get_string(x, d, "disk.data", "mount", NULL, &check_mount, NULL);
		if (c->disk_size && c->data_size >= c->disk_size)
			kerr(x, &cnode_get(d, "size")->loc, "disk.data", "size",
			     "the data partition (%" PRIu64 " bytes) does not fit on the disk (%" PRIu64 " bytes)",
			     c->data_size, c->disk_size);
	}
	if (!c->data_label)
		c->data_label = xstrdup("kiln-data");
	if (!c->data_mount)
		c->data_mount = xstrdup("/data");
}

static void schema_installer(struct cfg_ctx *x, const struct cnode *root)
{
	static const char *const keys[] = {
		"target", "disk", "wipe", "after", "mode", "dry_run", NULL
	};
	static const char *const after[] = { "poweroff", "reboot", NULL };
	static const char *const modes[] = { "install", "recover", NULL };
	const struct cnode *g = get_typed(x, root, "", "installer", CNODE_GROUP, "a group");
	struct kiln_config *c = x->c;
	char *target;

	if (!g)
		return;
	c->has_installer = true;
	check_keys(x, g, "installer", keys);
	target = get_required(x, g, "installer", "target", &check_nonempty, NULL);
	if (target) {
		c->installer_target = resolve_file(x, &cnode_get(g, "target")->loc, "installer",
						   "target", target);
		free(target);
	}
	c->installer_disk = get_string(x, g, "installer", "disk", "auto", &check_line, NULL);
	c->installer_wipe = get_bool(x, g, "installer", "wipe", false);
	c->installer_after = get_enum(x, g, "installer", "after", after, "poweroff");
	c->installer_mode = get_enum(x, g, "installer", "mode", modes, "install");
	c->installer_dry_run = get_bool(x, g, "installer", "dry_run", false);
}

void config_schema_apply(struct cfg_ctx *x, const struct cnode *root)
{
	check_keys(x, root, "", top_keys);
	schema_system(x, root);
	schema_boot(x, root);
	schema_packages(x, root);
	schema_named_sections(x, root);
	schema_files(x, root);
	schema_disk(x, root);
	schema_installer(x, root);
}
