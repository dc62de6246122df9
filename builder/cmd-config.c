/*
 * cmd-config.c — `kiln config [--origins] CONFIG`: loads a configuration
 * with its imports, checks it, and prints the merged model one
 * `key = value` line at a time, in a fixed order, with every default
 * filled in. It shows what the imports produced; tests diff it.
 * --origins appends "# FILE:LINE" where the model remembers the place.
 */
#include "common.h"
#include "commands.h"
#include "config.h"
#include "config-tree.h"

struct printer {
	struct strbuf out;
	bool origins;
};

static void put_loc(struct printer *p, const struct cfg_loc *loc)
{
	if (p->origins && loc && loc->file)
		strbuf_addf(&p->out, "  # %s:%d", loc->file, loc->line);
	strbuf_addch(&p->out, '\n');
}

static void put_str(struct printer *p, const char *key, const char *v, const struct cfg_loc *loc)
{
	if (!v)
		return;
	strbuf_addf(&p->out, "%s = ", key);
	cfg_quote(&p->out, v, 0);
	put_loc(p, loc);
}

/* "PREFIX.FIELD = "VALUE"" (nothing when v is NULL). */
static void put_sub(struct printer *p, const char *prefix, const char *field, const char *v,
		    const struct cfg_loc *loc)
{
	_cleanup_free_ char *key = xasprintf("%s.%s", prefix, field);
	put_str(p, key, v, loc);
}

static void put_fmt(struct printer *p, const struct cfg_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_fmt(struct printer *p, const struct cfg_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&p->out, fmt, ap);
	va_end(ap);
	put_loc(p, loc);
}

/* A list on one line; with --origins, one element per line instead. */
static void put_list(struct printer *p, const char *key, const struct cfg_strlist *l)
{
	if (p->origins && l->n) {
		for (size_t i = 0; i < l->n; i++) {
			_cleanup_free_ char *k = xasprintf("%s[%zu]", key, i);
			put_str(p, k, l->v[i].value, &l->v[i].loc);
		}
		return;
	}
	strbuf_addf(&p->out, "%s = [", key);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strbuf_adds(&p->out, ", ");
		cfg_quote(&p->out, l->v[i].value, 0);
	}
	strbuf_adds(&p->out, "]\n");
}

static void print_system(struct printer *p, const struct kiln_config *c)
{
	put_str(p, "path", c->path, NULL);
	for (size_t i = 0; i < c->files_read.n; i++) {
		_cleanup_free_ char *k = xasprintf("files_read[%zu]", i);
		put_str(p, k, c->files_read.v[i].value, &c->files_read.v[i].loc);
	}
	put_str(p, "system.name", c->name.value, &c->name.loc);
	put_str(p, "system.hostname", c->hostname, NULL);
	put_str(p, "system.arch", c->arch, NULL);
	put_str(p, "system.deb_arch", c->deb_arch, NULL);
	put_str(p, "system.timezone", c->timezone, NULL);
	put_str(p, "boot.firmware", c->firmware, NULL);
	put_str(p, "boot.kernel", c->kernel.value, &c->kernel.loc);
	put_list(p, "boot.params", &c->params);
	put_list(p, "boot.modules", &c->modules);
	put_fmt(p, NULL, "boot.timeout = %d", c->boot_timeout);
	put_list(p, "packages", &c->packages);
	put_list(p, "sw.prefer", &c->prefer);
}

static void print_named(struct printer *p, const struct kiln_config *c)
{
	for (size_t i = 0; i < c->nusers; i++) {
		const struct cfg_user *u = &c->users[i];
		_cleanup_free_ char *k = xasprintf("users.%s", u->name);
		_cleanup_free_ char *kg = xasprintf("%s.groups", k);
		_cleanup_free_ char *kk = xasprintf("%s.authorized_keys", k);

		put_fmt(p, &u->loc, "%s.uid = %d", k, u->uid);
		put_fmt(p, NULL, "%s.gid = %d", k, u->gid);
		put_sub(p, k, "home", u->home, NULL);
		put_sub(p, k, "shell", u->shell, NULL);
		put_sub(p, k, "description", u->description, NULL);
		put_list(p, kg, &u->groups);
		put_list(p, kk, &u->authorized_keys);
		put_sub(p, k, "password_hash_file", u->password_hash_file, NULL);
	}
	for (size_t i = 0; i < c->nifaces; i++) {
		const struct cfg_iface *f = &c->ifaces[i];
		_cleanup_free_ char *k = xasprintf("network.%s", f->name);
		_cleanup_free_ char *kd = xasprintf("%s.dns", k);

		put_fmt(p, &f->loc, "%s.dhcp = %s", k, f->dhcp ? "true" : "false");
		put_sub(p, k, "address", f->address, NULL);
		put_sub(p, k, "gateway", f->gateway, NULL);
		put_list(p, kd, &f->dns);
	}
	for (size_t i = 0; i < c->nservices; i++) {
		const struct cfg_service *s = &c->services[i];
		_cleanup_free_ char *k = xasprintf("services.%s", s->name);

		put_sub(p, k, "command", s->command, &s->loc);
		put_sub(p, k, "action", s->action, NULL);
		put_sub(p, k, "tty", s->tty, NULL);
	}
}

static void print_rest(struct printer *p, const struct kiln_config *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct cfg_file *f = &c->files[i];
		_cleanup_free_ char *k = xasprintf("files[%zu]", i);

		put_sub(p, k, "path", f->path, &f->loc);
		put_sub(p, k, "text", f->text, NULL);
		put_sub(p, k, "source", f->source, NULL);
		put_fmt(p, NULL, "files[%zu].mode = \"%04o\"", i, (unsigned)f->mode);
	}
	put_fmt(p, NULL, "disk.size = %" PRIu64, c->disk_size);
	if (c->has_data) {
		put_str(p, "disk.data.label", c->data_label, NULL);
		put_fmt(p, NULL, "disk.data.size = %" PRIu64, c->data_size);
		put_str(p, "disk.data.mount", c->data_mount, NULL);
	}
	if (c->has_installer) {
		put_str(p, "installer.target", c->installer_target, NULL);
		put_str(p, "installer.disk", c->installer_disk, NULL);
		put_fmt(p, NULL, "installer.wipe = %s", c->installer_wipe ? "true" : "false");
		put_str(p, "installer.after", c->installer_after, NULL);
		put_str(p, "installer.mode", c->installer_mode, NULL);
		put_fmt(p, NULL, "installer.dry_run = %s", c->installer_dry_run ? "true" : "false");
	}
}

int cmd_config(int argc, char **argv)
{
	struct printer p = { STRBUF_INIT, false };
	struct strbuf err = STRBUF_INIT;
	struct kiln_config c;
	const char *path = NULL;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--origins"))
			p.origins = true;
		else if (argv[i][0] == '-' || path) {
			error("usage: kiln config [--origins] CONFIG");
			return EXIT_USAGE;
		} else
			path = argv[i];
	}
	if (!path) {
		error("usage: kiln config [--origins] CONFIG");
		return EXIT_USAGE;
	}
	if (config_load(path, &c, &err) < 0) {
		for (char *line = err.buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			error("%s", line);
		}
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	print_system(&p, &c);
	print_named(&p, &c);
	print_rest(&p, &c);
	if (fwrite(p.out.buf, 1, p.out.len, stdout) != p.out.len || fflush(stdout)) {
		error_errno(-errno, "cannot write the configuration");
		rc = 1;
	}
	strbuf_release(&p.out);
	strbuf_release(&err);
	config_release(&c);
	return rc;
}
