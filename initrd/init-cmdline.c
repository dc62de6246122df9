/*
 * init-cmdline.c — the kernel command line, as the stage-1 init reads it.
 *
 * Parameters kiln reads (everything else is ignored, it is the kernel's):
 *   kiln.system=PATH      the system store path to boot (required for boot mode)
 *   root=SPEC             LABEL=, UUID=, PARTLABEL=, PARTUUID= or /dev/...
 *   kiln.modules=a,b      extra modules to load from the initrd
 *   kiln.roottimeout=N    seconds to wait for the root device (rootwait-like)
 *   kiln.fsck=0           skip e2fsck (also fsck.mode=skip, as systemd)
 *   kiln.mode=NAME        boot (default); other modes belong to the installer
 * The last occurrence of a key wins, as with the kernel's own parameters.
 */
#include "init.h"
#include "fsutil.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies [s, s+n) dropping every double quote. */
static char *unquote(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '"')
			*o++ = s[i];
	*o = '\0';
	return out;
}

int cmdline_next(const char **p, char **ret_key, char **ret_value)
{
	const char *s = *p;
	while (is_space(*s))
		s++;
	if (!*s || (s[0] == '-' && s[1] == '-' && (!s[2] || is_space(s[2])))) {
		*p = s;
		return 0;
	}
	const char *start = s, *eq = NULL;
	bool quoted = false;
	for (; *s && (quoted || !is_space(*s)); s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*s == '=' && !eq) /* inside quotes too, as the kernel's next_arg() */
			eq = s;
	}
	*p = s;
	if (eq) {
		*ret_key = unquote(start, (size_t)(eq - start));
		*ret_value = unquote(eq + 1, (size_t)(s - eq - 1));
	} else {
		*ret_key = unquote(start, (size_t)(s - start));
		*ret_value = NULL;
	}
	return 1;
}

static void set_str(char **dst, const char *value)
{
	free(*dst);
	*dst = xstrdup(value ? value : "");
}

static void set_modules(struct boot_args *a, const char *value)
{
	for (size_t i = 0; i < a->nmodules; i++)
		free(a->modules[i]);
	a->nmodules = 0;
	for (const char *p = value ? value : ""; *p;) {
		size_t n = strcspn(p, ",");
		if (n) {
			a->modules = xrealloc(a->modules, (a->nmodules + 1) * sizeof(char *));
			a->modules[a->nmodules++] = xstrndup(p, n);
		}
		p += n + (p[n] == ',');
	}
}

static int apply(struct boot_args *a, const char *key, const char *value, struct strbuf *err)
{
	if (!strcmp(key, "kiln.system")) {
		set_str(&a->system, value);
	} else if (!strcmp(key, "root")) {
		set_str(&a->root, value);
	} else if (!strcmp(key, "kiln.modules")) {
		set_modules(a, value);
	} else if (!strcmp(key, "kiln.mode")) {
		set_str(&a->mode, value);
	} else if (!strcmp(key, "kiln.roottimeout")) {
		uint64_t n;
		if (!value || parse_u64(value, 10, &n) < 0 || n > 3600) {
			strbuf_addf(err, "kiln.roottimeout=%s: expected seconds (0-3600)", value ? value : "");
			return -EINVAL;
		}
		a->root_timeout = (unsigned)n;
	} else if (!strcmp(key, "kiln.fsck")) {
		a->fsck = !(value && !strcmp(value, "0"));
	} else if (!strcmp(key, "fsck.mode")) {
		a->fsck = !(value && !strcmp(value, "skip"));
	}
	return 0;
}

int boot_args_parse(const char *cmdline, struct boot_args *ret, struct strbuf *err)
{
	struct boot_args a = { .root_timeout = KILN_DEFAULT_ROOT_TIMEOUT, .fsck = true };
	const char *p = cmdline;
	char *key, *value;
	int r = 0;

	while (r == 0 && cmdline_next(&p, &key, &value) > 0) {
		r = apply(&a, key, value, err);
		free(key);
		free(value);
	}
	if (!a.root)
		a.root = xstrdup(KILN_DEFAULT_ROOT);
	if (!a.mode)
		a.mode = xstrdup("boot");
	struct root_spec spec;
	if (r == 0 && root_spec_parse(a.root, &spec) < 0) {
		strbuf_addf(err, "root=%s: expected LABEL=, UUID=, PARTLABEL=, PARTUUID= or /dev/...", a.root);
		r = -EINVAL;
	}
	if (r == 0 && a.system && !system_path_ok(a.system)) {
		strbuf_addf(err, "kiln.system=%s: not a store path /kiln/store/<hash>-<name>", a.system);
		r = -EINVAL;
	}
	if (r < 0) {
		boot_args_release(&a);
		return r;
	}
	*ret = a;
	return 0;
}

void boot_args_release(struct boot_args *a)
{
	free(a->system);
	free(a->root);
	free(a->mode);
	for (size_t i = 0; i < a->nmodules; i++)
		free(a->modules[i]);
	free(a->modules);
	memset(a, 0, sizeof(*a));
}

int root_spec_parse(const char *s, struct root_spec *ret)
{
	static const struct { const char *prefix; enum root_kind kind; } kinds[] = {
		{ "LABEL=", ROOT_LABEL }, { "UUID=", ROOT_UUID },
		{ "PARTLABEL=", ROOT_PARTLABEL }, { "PARTUUID=", ROOT_PARTUUID },
	};
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t n = strlen(kinds[i].prefix);
		if (!strncmp(s, kinds[i].prefix, n)) {
			if (!s[n])
				return -EINVAL;
			*ret = (struct root_spec){ kinds[i].kind, s + n };
			return 0;
		}
	}
	if (!strncmp(s, "/dev/", 5) && s[5]) {
		*ret = (struct root_spec){ ROOT_PATH, s };
		return 0;
	}
	return -EINVAL;
}

bool system_path_ok(const char *path)
{
	static const char prefix[] = "/kiln/store/";
	if (strncmp(path, prefix, sizeof(prefix) - 1))
		return false;
	return path_component_ok(path + sizeof(prefix) - 1);
}
