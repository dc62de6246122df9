/*
 * generation.c — generations of a kiln root (see generation.h for the
 * layout and the crash-safety order of every edit).
 *
 * A root is either an ext4 filesystem inside an image (lib/ext4, no mount)
 * or a directory (the running machine's "/"); the rt_* calls of gen_root.h
 * are the only place that tells them apart.
 */
#include "generation.h"
#include "gen_root.h"

#include "fsutil.h"

/* ------------------------------------------------------------ reading */

static void chomp(struct strbuf *sb)
{
	while (sb->len && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == ' '))
		sb->buf[--sb->len] = '\0';
}

int gen_system_text(struct gen_root *r, const char *system, const char *file, char **ret)
{
	_cleanup_free_ char *p = path_join(system, file);
	struct strbuf sb = STRBUF_INIT;
	int k = rt_read(r, p, &sb);
	if (k < 0) {
		strbuf_release(&sb);
		return k;
	}
	chomp(&sb);
	*ret = strbuf_detach(&sb, NULL);
	return 0;
}

static char *system_link(struct gen_root *r, const char *system, const char *file)
{
	_cleanup_free_ char *p = path_join(system, file);
	struct strbuf sb = STRBUF_INIT;
	if (rt_readlink(r, p, &sb) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/* "system-12-link" -> 12, else 0. */
static int link_number(const char *name)
{
	uint64_t v;
	size_t len = strlen(name);
	if (strncmp(name, "system-", 7) || len < 13 || strcmp(name + len - 5, "-link"))
		return 0;
	_cleanup_free_ char *num = xstrndup(name + 7, len - 12);
	if (parse_u64(num, 10, &v) < 0 || v == 0 || v > INT_MAX)
		return 0;
	return (int)v;
}

static int cmp_gen(const void *a, const void *b)
{
	const struct generation *x = a, *y = b;
	return (x->number > y->number) - (x->number < y->number);
}

static int read_timeout(struct gen_root *r)
{
	struct strbuf sb = STRBUF_INIT;
	int t = 1;
	if (rt_read(r, GEN_GRUB_CFG, &sb) == 0) {
		const char *p = strstr(sb.buf, "set timeout=");
		while (p && p != sb.buf && p[-1] != '\n')
			p = strstr(p + 1, "set timeout=");
		if (p) {
			int v = 0;
			for (p += 12; *p >= '0' && *p <= '9' && v < 100000; p++)
				v = v * 10 + (*p - '0');
			t = v;
		}
	}
	strbuf_release(&sb);
	return t;
}

int gen_list(struct gen_root *r, struct gen_list *ret)
{
	struct name_list names = { 0 };
	struct gen_list l = { 0 };
	struct strbuf sb = STRBUF_INIT;
	int k = rt_list(r, GEN_PROFILES, &names);

	if (k < 0)
		goto out;
	k = rt_readlink(r, GEN_PROFILES "/system", &sb);
	if (k < 0)
		goto out;
	l.current = link_number(sb.buf);
	l.v = xcalloc(names.n + 1, sizeof(*l.v));
	for (size_t i = 0; i < names.n; i++) {
		int n = link_number(names.v[i]);
		if (!n)
			continue;
		_cleanup_free_ char *lp = xasprintf(GEN_PROFILES "/%s", names.v[i]);
		struct generation *g = &l.v[l.n];
		strbuf_reset(&sb);
		if (rt_readlink(r, lp, &sb) < 0)
			continue;
		g->number = n;
		g->system = xstrdup(sb.buf);
		if (gen_system_text(r, g->system, "name", &g->name) < 0)
			g->name = xstrdup("?");
		if (gen_system_text(r, g->system, "kernel-version", &g->kernel_version) < 0)
			g->kernel_version = xstrdup("?");
		if (gen_system_text(r, g->system, "kernel-params", &g->params) < 0)
			g->params = xstrdup("");
		g->kernel = system_link(r, g->system, "kernel");
		g->initrd = system_link(r, g->system, "initrd");
		g->is_default = n == l.current;
		l.n++;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_gen);
	l.timeout = read_timeout(r);
	*ret = l;
	memset(&l, 0, sizeof(l));
out:
	gen_list_release(&l);
	name_list_release(&names);
	strbuf_release(&sb);
	return k;
}

void gen_list_release(struct gen_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct generation *g = &l->v[i];
		free(g->system);
		free(g->name);
		free(g->kernel_version);
		free(g->kernel);
		free(g->initrd);
		free(g->params);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const struct generation *gen_find(const struct gen_list *l, int n)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].number == n)
			return &l->v[i];
	return NULL;
}

int gen_load_registry(struct gen_root *r, struct store *ret)
{
	struct strbuf sb = STRBUF_INIT;
	int k = rt_read(r, GEN_REGISTRY, &sb);
	if (k == 0)
		k = store_load_registry(ret, KILN_STORE_DIR, sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return k;
}

/* ------------------------------------------------------------ grubenv */

static void env_set(char *dst, size_t size, const char *v, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

int gen_bootenv_parse(const char *data, size_t len, struct gen_bootenv *ret)
{
	static const char sig[] = "# GRUB Environment Block\n";
	struct gen_bootenv e = { .tries = -1 };
	size_t off = sizeof(sig) - 1;

	if (len < off || memcmp(data, sig, off))
		return -EBADMSG;
	while (off < len) {
		const char *line = data + off, *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		const char *eq = memchr(line, '=', n);
		off += n + 1;
		if (!n || line[0] == '#' || !eq)
			continue;
		size_t klen = (size_t)(eq - line), vlen = n - klen - 1;
		const char *v = eq + 1;
		if (klen == 9 && !memcmp(line, "kiln_once", 9))
			env_set(e.once, sizeof(e.once), v, vlen);
		else if (klen == 14 && !memcmp(line, "kiln_tries_gen", 14))
			env_set(e.tries_gen, sizeof(e.tries_gen), v, vlen);
		else if (klen == 7 && !memcmp(line, "kiln_ok", 7))
			env_set(e.ok, sizeof(e.ok), v, vlen);
		else if (klen == 9 && !memcmp(line, "kiln_good", 9))
			env_set(e.good, sizeof(e.good), v, vlen);
		else if (klen == 10 && !memcmp(line, "kiln_tries", 10)) {
			char num[16];
			uint64_t t;
			env_set(num, sizeof(num), v, vlen);
			e.tries = parse_u64(num, 10, &t) == 0 && t < 1000 ? (int)t : -1;
		}
	}
	*ret = e;
	return 0;
}

void gen_bootenv_format(const struct gen_bootenv *env, struct strbuf *out)
{
	size_t start = out->len;
	strbuf_adds(out, "# GRUB Environment Block\n");
	/* every variable is always present: GRUB's save_env then rewrites the
	 * block in place without growing it */
	strbuf_addf(out, "kiln_once=%s\n", env->once);
	strbuf_addf(out, "kiln_tries_gen=%s\n", env->tries_gen);
	if (env->tries >= 0)
		strbuf_addf(out, "kiln_tries=%d\n", env->tries);
	else
		strbuf_adds(out, "kiln_tries=\n");
	strbuf_addf(out, "kiln_ok=%s\n", env->ok);
	strbuf_addf(out, "kiln_good=%s\n", env->good);
	while (out->len - start < GEN_GRUBENV_SIZE)
		strbuf_addch(out, '#');
}

int gen_bootenv_read(struct gen_root *r, struct gen_bootenv *ret)
{
	struct strbuf sb = STRBUF_INIT;
	int k = rt_read(r, GEN_GRUBENV, &sb);
	if (k == -ENOENT) {
		*ret = (struct gen_bootenv){ .tries = -1 };
		k = 0;
	} else if (k == 0) {
		k = gen_bootenv_parse(sb.buf, sb.len, ret);
	}
	strbuf_release(&sb);
	return k;
}

int gen_bootenv_write(struct gen_root *r, const struct gen_bootenv *env)
{
	struct strbuf sb = STRBUF_INIT;
	gen_bootenv_format(env, &sb);
	int k = rt_write(r, GEN_GRUBENV, sb.buf, sb.len);
	strbuf_release(&sb);
	return k;
}


/* ------------------------------------------------------------ editing */

static bool gen_id_is(const char *id, int n)
{
	char want[16];
	snprintf(want, sizeof(want), "gen-%d", n);
	return n > 0 && !strcmp(id, want);
}

static int gen_id_number(const char *id)
{
	uint64_t v;
	if (strncmp(id, "gen-", 4) || parse_u64(id + 4, 10, &v) < 0 || !v || v > INT_MAX)
		return 0;
	return (int)v;
}

/* Rewrites grub.cfg from the profiles and the boot state. */
/* grub.cfg for the generations the root has now, into cfg. */
static int boot_cfg_text(struct gen_root *r, const struct gen_ops *ops, struct strbuf *cfg)
{
	struct gen_list l;
	struct gen_bootenv env;
	int k = gen_list(r, &l);

	if (k < 0)
		return k;
	k = gen_bootenv_read(r, &env);
	if (k < 0)
		env = (struct gen_bootenv){ .tries = -1 };
	struct gen_boot_menu m = { .list = &l, .default_gen = l.current,
				   .tries = ops->tries > 0 ? ops->tries : GEN_DEFAULT_TRIES };
	/* the default is on trial until it booted good; it falls back to the
	 * generation that was the default before it, when that still exists */
	int good = gen_id_number(env.good);
	if (gen_id_is(env.tries_gen, l.current) && strcmp(env.ok, env.tries_gen) &&
	    good != l.current && gen_find(&l, good)) {
		m.trial_gen = l.current;
		m.good_gen = good;
	}
	k = ops->menu(ops->opaque, &m, cfg);
	gen_list_release(&l);
	return k;
}

static int write_boot_cfg(struct gen_root *r, const struct gen_ops *ops)
{
	struct strbuf cfg = STRBUF_INIT;
	int k = boot_cfg_text(r, ops, &cfg);
	if (k == 0)
		k = rt_write(r, GEN_GRUB_CFG, cfg.buf, cfg.len);
	strbuf_release(&cfg);
	return k;
}

int gen_sync_boot(struct gen_root *r, const struct gen_ops *ops)
{
	int k = write_boot_cfg(r, ops);
	return k < 0 ? k : rt_sync(r);
}

/* The registry text of every path of reg plus extra (records in path order). */
static void registry_text(const struct store *reg, const struct path_info *const *extra,
			  size_t nextra, const struct path_list *drop, struct strbuf *out)
{
	for (size_t i = 0; i < reg->ninfos; i++)
		if (!drop || !path_list_has(drop, reg->infos[i]->path))
			store_format_record(reg->infos[i], out);
	for (size_t i = 0; i < nextra; i++)
		store_format_record(extra[i], out);
}

/* Copies the paths of closure that reg lacks into the ext4 root. */
static int copy_missing(struct gen_root *r, const struct store *src, const struct store *reg,
			const struct path_list *closure, struct strbuf *registry,
			struct gen_add_result *res)
{
	const struct path_info **extra = xcalloc(closure->n + 1, sizeof(*extra));
	size_t nextra = 0;
	int k = 0;

	for (size_t i = 0; k == 0 && i < closure->n; i++) {
		const char *path = closure->v[i];
		if (store_is_valid(reg, path))
			continue;
		const struct path_info *pi = store_query(src, path);
		_cleanup_free_ char *real = store_real_path(src, path);
		if (!pi || !real) {
			k = -ENOENT;
			break;
		}
		/* a leftover of an interrupted copy: unregistered, so unused */
		k = rt_remove(r, path);
		if (k == 0)
			k = ext4_copy_tree(r->fs, real, path);
		extra[nextra++] = pi;
		res->paths_copied++;
		res->bytes_copied += pi->nar_size;
	}
	if (k == 0)
		registry_text(reg, extra, nextra, NULL, registry);
	free(extra);
	return k;
}

static int next_number(const struct gen_list *l)
{
	return l->n ? l->v[l->n - 1].number + 1 : 1;
}

int gen_add(struct gen_root *r, const struct store *src, const char *system, bool boot_once,
	    const struct gen_ops *ops, struct gen_add_result *ret)
{
	struct gen_add_result res = { 0 };
	struct gen_list l = { 0 };
	struct store reg;
	struct gen_bootenv env;
	struct path_list roots = PATH_LIST_INIT, closure = PATH_LIST_INIT;
	struct strbuf registry = STRBUF_INIT, sb = STRBUF_INIT;
	_cleanup_free_ char *real = store_real_path(src, system);
	_cleanup_free_ char *arch_file = real ? path_join(real, "arch") : NULL;
	_cleanup_free_ char *link = NULL, *name = NULL;
	struct rt_staged st_registry = { 0 }, st_env = { 0 }, st_system = { 0 }, st_cfg = { 0 };
	bool registry_staged = false, env_staged = false;
	uint64_t written0;
	int k;

	if (!r->fs || !r->writable)
		return -EOPNOTSUPP;
	if (!real || !store_is_valid(src, system))
		return -ENOENT;
	k = read_file(arch_file, &sb);
	if (k < 0)
		return k;
	chomp(&sb);
	if (strcmp(sb.buf, r->arch)) {
		strbuf_release(&sb);
		return -ENOEXEC;
	}
	strbuf_release(&sb);
	k = gen_load_registry(r, &reg);
	if (k < 0)
		return k;
	k = gen_bootenv_read(r, &env);
	if (k == 0)
		k = gen_list(r, &l);
	if (k < 0)
		goto out_reg;
	path_list_add(&roots, system);
	k = store_closure(src, &roots, &closure);
	if (k < 0)
		goto out;

	written0 = ext4_bytes_written(r->fs);
	res.number = next_number(&l);
	name = xasprintf("system-%d-link", res.number);
	link = xasprintf(GEN_PROFILES "/%s", name);

	/* Each file a later step replaces is staged (written under a temporary
	 * name) within the step before, so the sync that ends that step makes
	 * it durable and its commit needs no sync of its own: one sync a step.
	 * 1-2: the paths, then the registry that makes them valid */
	k = copy_missing(r, src, &reg, &closure, &registry, &res);
	if (k == 0 && res.paths_copied) {
		k = rt_stage(r, GEN_REGISTRY, registry.buf, registry.len, false, &st_registry);
		registry_staged = k == 0;
	}
	/* for a trial, its budget in grubenv (inert until grub.cfg names it) */
	if (k == 0 && !boot_once) {
		snprintf(env.tries_gen, sizeof(env.tries_gen), "gen-%d", res.number);
		env.tries = ops->tries > 0 ? ops->tries : GEN_DEFAULT_TRIES;
		env.ok[0] = '\0';
		snprintf(env.good, sizeof(env.good), "gen-%d", l.current);
		gen_bootenv_format(&env, &sb);
		k = rt_stage(r, GEN_GRUBENV, sb.buf, sb.len, false, &st_env);
		env_staged = k == 0;
		strbuf_release(&sb);
	}
	if (k == 0)
		k = step_done(r, "gen-copied");
	if (k == 0 && registry_staged) {
		registry_staged = false;
		k = rt_commit(r, &st_registry);
		if (k == 0)
			k = step_done(r, "gen-registered");
	}
	/* 3: the profile link (nothing points at it yet) and the trial's budget */
	if (k == 0)
		k = rt_symlink(r, link, system);
	if (k == 0 && env_staged) {
		env_staged = false;
		k = rt_commit(r, &st_env);
	}
	if (k == 0 && !boot_once)
		k = rt_stage(r, GEN_PROFILES "/system", name, strlen(name), true, &st_system);
	if (k == 0)
		k = step_done(r, "gen-linked");
	if (k < 0)
		goto out;

	if (boot_once) {
		/* the menu gains the entry first, then GRUB is told to boot it */
		k = write_boot_cfg(r, ops);
		if (k == 0)
			k = step_done(r, "gen-menu");
		snprintf(env.once, sizeof(env.once), "gen-%d", res.number);
		if (k == 0)
			k = gen_bootenv_write(r, &env);
		if (k == 0)
			k = step_done(r, "gen-done");
	} else {
		/* 4: the commit point, then the menu that boots it */
		k = rt_commit(r, &st_system);
		if (k == 0)
			k = boot_cfg_text(r, ops, &sb);
		if (k == 0)
			k = rt_stage(r, GEN_GRUB_CFG, sb.buf, sb.len, false, &st_cfg);
		strbuf_release(&sb);
		if (k == 0)
			k = step_done(r, "gen-committed");
		if (k == 0)
			k = rt_commit(r, &st_cfg);
		if (k == 0)
			k = step_done(r, "gen-done");
	}
	res.bytes_written = ext4_bytes_written(r->fs) - written0;
	if (k == 0 && ret)
		*ret = res;
out:
	/* stages never committed (an error) stay as temporary names, which
	 * the next writable open removes */
	strbuf_release(&st_registry.data);
	strbuf_release(&st_env.data);
	strbuf_release(&st_system.data);
	strbuf_release(&st_cfg.data);
	path_list_release(&roots);
	path_list_release(&closure);
	strbuf_release(&registry);
	gen_list_release(&l);
out_reg:
	store_close(&reg);
	return k;
}

int gen_set_default(struct gen_root *r, int n, const struct gen_ops *ops, int *ret_n)
{
	struct gen_list l;
	struct gen_bootenv env;
	int k = gen_list(r, &l);

	if (k < 0)
		return k;
	if (n == 0) {
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i].number < l.current)
				n = l.v[i].number;
	}
	if (n == 0 || !gen_find(&l, n)) {
		gen_list_release(&l);
		return -ESRCH;
	}
	gen_list_release(&l);
	/* a generation made default by hand is not on trial */
	k = gen_bootenv_read(r, &env);
	if (k == 0 && env.tries_gen[0]) {
		env.tries_gen[0] = '\0';
		env.tries = -1;
		k = gen_bootenv_write(r, &env);
	}
	_cleanup_free_ char *name = xasprintf("system-%d-link", n);
	if (k == 0)
		k = rt_replace_symlink(r, GEN_PROFILES "/system", name);
	if (k == 0)
		k = step_done(r, "gen-committed");
	if (k == 0)
		k = write_boot_cfg(r, ops);
	if (k == 0)
		k = rt_sync(r);
	if (k == 0 && ret_n)
		*ret_n = n;
	return k;
}

int gen_boot_once(struct gen_root *r, int n)
{
	struct gen_list l;
	struct gen_bootenv env;
	int k = gen_list(r, &l);

	if (k < 0)
		return k;
	bool have = gen_find(&l, n) != NULL;
	gen_list_release(&l);
	if (!have)
		return -ESRCH;
	k = gen_bootenv_read(r, &env);
	if (k < 0)
		return k;
	snprintf(env.once, sizeof(env.once), "gen-%d", n);
	k = gen_bootenv_write(r, &env);
	return k < 0 ? k : rt_sync(r);
}

int gen_delete(struct gen_root *r, const int *numbers, size_t n, size_t keep,
	       const struct gen_ops *ops, size_t *ret_deleted)
{
	struct gen_list l;
	bool *del;
	size_t count = 0;
	int k = gen_list(r, &l);

	if (k < 0)
		return k;
	del = xcalloc(l.n + 1, sizeof(*del));
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t j = 0; j < l.n; j++) {
			if (l.v[j].number != numbers[i])
				continue;
			found = true;
			del[j] = true;
		}
		if (!found)
			k = -ESRCH;
		else if (numbers[i] == l.current)
			k = -EBUSY;
		if (k < 0)
			goto out;
	}
	if (keep > 0)
		for (size_t j = 0; j + keep < l.n; j++)
			del[j] = l.v[j].number != l.current;
	for (size_t j = 0; k == 0 && j < l.n; j++) {
		if (!del[j])
			continue;
		_cleanup_free_ char *link = xasprintf(GEN_PROFILES "/system-%d-link", l.v[j].number);
		k = rt_remove(r, link);
		count++;
	}
	if (k == 0 && count)
		k = step_done(r, "gen-deleted");
	if (k == 0 && count)
		k = write_boot_cfg(r, ops);
	if (k == 0)
		k = rt_sync(r);
	if (k == 0 && ret_deleted)
		*ret_deleted = count;
out:
	free(del);
	gen_list_release(&l);
	return k;
}

int gen_gc(struct gen_root *r, size_t *ret_paths, uint64_t *ret_bytes)
{
	struct gen_list l = { 0 };
	struct store reg;
	struct path_list roots = PATH_LIST_INIT, live = PATH_LIST_INIT, dead = PATH_LIST_INIT;
	struct name_list names = { 0 };
	struct strbuf registry = STRBUF_INIT;
	uint64_t bytes = 0;
	int k = gen_load_registry(r, &reg);

	if (k < 0)
		return k;
	k = gen_list(r, &l);
	if (k < 0)
		goto out;
	for (size_t i = 0; i < l.n; i++)
		if (store_is_valid(&reg, l.v[i].system))
			path_list_add(&roots, l.v[i].system);
	path_list_sort_uniq(&roots);
	k = store_closure(&reg, &roots, &live);
	if (k < 0)
		goto out;
	for (size_t i = 0; i < reg.ninfos; i++) {
		if (path_list_has(&live, reg.infos[i]->path))
			continue;
		path_list_add(&dead, reg.infos[i]->path);
		bytes += reg.infos[i]->nar_size;
	}
	path_list_sort_uniq(&dead);
	/* unregistered entries (an interrupted copy) go too */
	k = rt_list(r, KILN_STORE_DIR, &names);
	if (k < 0)
		goto out;
	for (size_t i = 0; i < names.n; i++) {
		_cleanup_free_ char *p = path_join(KILN_STORE_DIR, names.v[i]);
		if (!store_is_valid(&reg, p))
			path_list_add(&dead, p);
	}
	path_list_sort_uniq(&dead);
	size_t ndead_registered = reg.ninfos - live.n;
	if (ndead_registered) {
		registry_text(&reg, NULL, 0, &dead, &registry);
		k = rt_write(r, GEN_REGISTRY, registry.buf ? registry.buf : "", registry.len);
		if (k == 0)
			k = step_done(r, "gc-registry");
	}
	for (size_t i = 0; k == 0 && i < dead.n; i++)
		k = rt_remove(r, dead.v[i]);
	if (k == 0)
		k = rt_sync(r);
	if (k == 0) {
		if (ret_paths)
			*ret_paths = ndead_registered;
		if (ret_bytes)
			*ret_bytes = bytes;
	}
out:
	name_list_release(&names);
	path_list_release(&roots);
	path_list_release(&live);
	path_list_release(&dead);
	strbuf_release(&registry);
	gen_list_release(&l);
	store_close(&reg);
	return k;
}
