/*
 * verify.c — read-only consistency checks of a kiln root (see verify.h).
 *
 * Everything goes through generation.c's plain reads, so one code path
 * serves an image (libext2fs, no mount) and a mounted root. A check that
 * cannot read something reports it as a problem and goes on: the point is
 * a full list, not the first failure.
 */
#include "verify.h"

#include "fsutil.h"
#include "nar.h"

struct verify {
	struct gen_root *r;
	bool quick;
	verify_report_fn *report;
	void *opaque;
	struct verify_result res;
	struct store reg;
	bool have_reg;
};

static void problem(struct verify *v, bool is_error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct verify *v, bool is_error, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	v->report(v->opaque, is_error, sb.buf);
	if (is_error)
		v->res.errors++;
	else
		v->res.notes++;
	strbuf_release(&sb);
}

/* Non-empty lines of text (a last line without '\n' counts). */
static size_t count_lines(const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (text[i] != '\n' && (i + 1 == len || text[i + 1] == '\n'))
			n++;
	return n;
}

static int check_registry(struct verify *v)
{
	struct strbuf sb = STRBUF_INIT;
	int k = gen_root_read(v->r, GEN_REGISTRY, &sb);

	if (k < 0)
		goto out;
	k = store_load_registry(&v->reg, KILN_STORE_DIR, sb.buf ? sb.buf : "", sb.len);
	if (k == -EBADMSG) {
		problem(v, true, "registry: %s is corrupt (a record's checksum or format is wrong)",
			GEN_REGISTRY);
		k = 0;
		goto out;
	}
	if (k < 0)
		goto out;
	v->have_reg = true;
	v->res.paths = v->reg.ninfos;
	size_t lines = count_lines(sb.buf ? sb.buf : "", sb.len);
	if (lines != v->reg.ninfos)
		problem(v, true, "registry: %s has %zu lines but %zu valid records (a torn or repeated record)",
			GEN_REGISTRY, lines, v->reg.ninfos);
	for (size_t i = 0; i < v->reg.ninfos; i++) {
		const struct path_info *pi = v->reg.infos[i];
		for (size_t j = 0; j < pi->refs.n; j++)
			if (!store_is_valid(&v->reg, pi->refs.v[j]))
				problem(v, true, "dangling: %s refers to %s, which is not registered",
					pi->path, pi->refs.v[j]);
	}
out:
	strbuf_release(&sb);
	return k;
}

static void check_path(struct verify *v, const struct path_info *pi)
{
	uint8_t hash[SHA256_LEN];
	uint64_t size;
	int k;

	if (!gen_root_exists(v->r, pi->path)) {
		problem(v, true, "missing: %s (registered, not in the store)", pi->path);
		return;
	}
	if (v->quick)
		return;
	k = gen_root_nar_hash(v->r, pi->path, hash, &size);
	if (k < 0)
		problem(v, true, "unreadable: %s (%s)", pi->path, strerror(-k));
	else if (size != pi->nar_size)
		problem(v, true, "corrupted: %s (NAR size %" PRIu64 ", registered %" PRIu64 ")",
			pi->path, size, pi->nar_size);
	else if (memcmp(hash, pi->nar_hash, SHA256_LEN))
		problem(v, true, "corrupted: %s (NAR hash differs from the registry)", pi->path);
}

static void check_store(struct verify *v)
{
	char **names = NULL;
	size_t n = 0;
	int k;

	for (size_t i = 0; i < v->reg.ninfos; i++)
		check_path(v, v->reg.infos[i]);
	k = gen_root_list(v->r, KILN_STORE_DIR, &names, &n);
	if (k < 0)
		problem(v, true, "store: cannot list %s (%s)", KILN_STORE_DIR, strerror(-k));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = path_join(KILN_STORE_DIR, names[i]);
		if (!store_is_valid(&v->reg, p))
			problem(v, false, "unregistered: %s (left by an interrupted copy; gc removes it)", p);
		free(names[i]);
	}
	free(names);
}

/* One line of a system's closure file: "<path> <sha256:...> <size>". */
static void check_closure_line(struct verify *v, const char *who, char *line)
{
	char *sp = strchr(line, ' ');
	char *hash = sp ? sp + 1 : NULL;
	char *sp2 = hash ? strchr(hash, ' ') : NULL;
	uint8_t h[SHA256_LEN];
	const struct path_info *pi;

	if (sp)
		*sp = '\0';
	if (sp2)
		*sp2 = '\0';
	pi = store_query(&v->reg, line);
	if (!pi)
		problem(v, true, "incomplete: %s needs %s, which is not registered", who, line);
	else if (!hash || nar_hash_parse(hash, h) < 0 || memcmp(h, pi->nar_hash, SHA256_LEN))
		problem(v, true, "incomplete: %s needs %s with another NAR hash than the registry's",
			who, line);
}

/* Is system registered and its closure complete? who names it in reports. */
static bool check_system(struct verify *v, const char *who, const char *system)
{
	_cleanup_free_ char *file = path_join(system, "closure");
	struct strbuf sb = STRBUF_INIT;
	size_t errors = v->res.errors;
	int k;

	if (!store_is_valid(&v->reg, system)) {
		problem(v, true, "%s: system %s is not registered", who, system);
		return false;
	}
	k = gen_root_read(v->r, file, &sb);
	if (k < 0) {
		problem(v, true, "%s: cannot read %s (%s)", who, file, strerror(-k));
	} else {
		char *nl;
		for (char *line = sb.buf; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (*line)
				check_closure_line(v, who, line);
		}
	}
	strbuf_release(&sb);
	return v->res.errors == errors;
}

/* "set default='gen-N'" at the top of grub.cfg (the last one before the
 * entries), else 0: the first entry. */
static int menu_default(const char *cfg)
{
	static const char key[] = "set default='gen-";
	const char *p = cfg;
	int n = 0;

	while (p && *p && strncmp(p, "menuentry ", 10)) {
		if (!strncmp(p, key, sizeof(key) - 1)) {
			int v = 0;
			p += sizeof(key) - 1;
			for (; *p >= '0' && *p <= '9' && v < 1000000; p++)
				v = v * 10 + (*p - '0');
			n = *p == '\'' ? v : 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

/* Copies the word after key in entry (up to a space, quote or newline). */
static char *entry_word(const char *entry, const char *end, const char *key)
{
	const char *p = strstr(entry, key);
	size_t len = 0;

	if (!p || p >= end)
		return NULL;
	p += strlen(key);
	while (p[len] && !strchr(" '\n\t", p[len]))
		len++;
	return xstrndup(p, len);
}

static void check_boot_file(struct verify *v, const char *what, const char *file)
{
	_cleanup_free_ char *owner = file ? store_to_logical(&v->reg, file) : NULL;

	if (!file)
		problem(v, true, "boot: grub.cfg's default entry has no %s", what);
	else if (!owner || !store_is_valid(&v->reg, owner))
		problem(v, true, "boot: grub.cfg's default entry reads its %s %s from no registered path",
			what, file);
}

/* The default entry of grub.cfg text cfg. */
static void check_default_entry(struct verify *v, const struct gen_list *l, const bool *complete,
				const char *cfg)
{
	int def = menu_default(cfg);
	_cleanup_free_ char *id = xasprintf(" --id gen-%d {", def);
	const char *entry = strstr(cfg, def ? id : "\nmenuentry "), *end;
	bool done = false;
	uint64_t n;

	if (!entry) {
		problem(v, true, "boot: %s has no entry for its default (generation %d)", GEN_GRUB_CFG,
			def);
		return;
	}
	end = strstr(entry + 1, "\nmenuentry ");
	if (!end)
		end = entry + strlen(entry);
	_cleanup_free_ char *system = entry_word(entry, end, "kiln.system=");
	_cleanup_free_ char *num = entry_word(entry, end, "kiln.generation=");
	_cleanup_free_ char *kernel = entry_word(entry, end, "\tlinux '");
	_cleanup_free_ char *initrd = entry_word(entry, end, "\tinitrd '");
	_cleanup_free_ char *who = xasprintf("boot: grub.cfg's default entry (generation %s)",
					     num ? num : "?");
	if (!system) {
		problem(v, true, "%s names no kiln.system", who);
		return;
	}
	for (size_t i = 0; i < l->n && !done; i++)
		if (!strcmp(l->v[i].system, system)) {
			if (!complete[i])
				problem(v, true, "%s boots %s, which is incomplete (above)", who, system);
			done = true;
		}
	if (!done)
		check_system(v, who, system);
	check_boot_file(v, "kernel", kernel);
	check_boot_file(v, "initrd", initrd);
	if (num && l->current && parse_u64(num, 10, &n) == 0 && n != (uint64_t)l->current)
		problem(v, false, "boot: grub.cfg boots generation %s, the profiles' default is %d "
			"(an interrupted edit; the next one rewrites grub.cfg)", num, l->current);
}

static void check_menu(struct verify *v, const struct gen_list *l, const bool *complete)
{
	struct strbuf sb = STRBUF_INIT;
	int k = gen_root_read(v->r, GEN_GRUB_CFG, &sb);

	if (k < 0)
		problem(v, true, "boot: cannot read %s (%s)", GEN_GRUB_CFG, strerror(-k));
	else
		check_default_entry(v, l, complete, sb.buf ? sb.buf : "");
	strbuf_release(&sb);
}

static void check_grubenv(struct verify *v)
{
	struct strbuf sb = STRBUF_INIT;
	struct gen_bootenv env;
	int k = gen_root_read(v->r, GEN_GRUBENV, &sb);

	if (k == -ENOENT) {
		/* GRUB then keeps no boot state: allowed */
	} else if (k < 0) {
		problem(v, true, "boot: cannot read %s (%s)", GEN_GRUBENV, strerror(-k));
	} else if (sb.len != GEN_GRUBENV_SIZE || gen_bootenv_parse(sb.buf, sb.len, &env) < 0) {
		problem(v, true, "boot: %s is not a %d-byte GRUB environment block", GEN_GRUBENV,
			GEN_GRUBENV_SIZE);
	}
	strbuf_release(&sb);
}

static void check_generations(struct verify *v)
{
	struct gen_list l;
	int k = gen_list(v->r, &l);

	if (k < 0) {
		problem(v, true, "profiles: cannot list %s (%s)", GEN_PROFILES, strerror(-k));
		return;
	}
	v->res.generations = l.n;
	bool *complete = xcalloc(l.n + 1, sizeof(*complete));
	for (size_t i = 0; i < l.n; i++) {
		_cleanup_free_ char *who = xasprintf("generation %d", l.v[i].number);
		complete[i] = check_system(v, who, l.v[i].system);
	}
	if (!gen_find(&l, l.current))
		problem(v, true, "profiles: %s/system names no existing system-N-link", GEN_PROFILES);
	check_menu(v, &l, complete);
	free(complete);
	gen_list_release(&l);
}

int verify_root(struct gen_root *r, bool quick, verify_report_fn *report, void *opaque,
		struct verify_result *ret)
{
	struct verify v = { .r = r, .quick = quick, .report = report, .opaque = opaque };
	int k = check_registry(&v);

	if (k < 0)
		return k;
	if (v.have_reg) {
		check_store(&v);
		check_generations(&v);
		store_close(&v.reg);
	}
	check_grubenv(&v);
	*ret = v.res;
	return 0;
}
