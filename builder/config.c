/*
 * config.c — reading a kiln configuration: each file through libconfig into
 * kiln's value tree (config-tree.h), `imports` resolved depth first, and the
 * files merged in order (imports first, the importing file on top). The
 * merged tree is then checked and converted by config-schema.c.
 *
 * Merge rules: groups merge key by key, a later scalar replaces an earlier
 * one, lists concatenate with repeated scalars dropped (first occurrence
 * kept), and a group, list or scalar meeting a different kind is an error
 * naming both places. A file reached twice (diamond) is merged once, at its
 * first place; a file reached while it is still being read is a cycle.
 */
#include "config-tree.h"
#include "fsutil.h"

#include <libconfig.h>

/* ---- errors, nodes ---- */

static void add_msg(struct cfg_ctx *x, const char *file, int line, char *text)
{
	const struct cfg_strlist *files = &x->c->files_read;
	struct cfg_msg *m;

	x->msgs = xrealloc(x->msgs, (x->nerr + 1) * sizeof(*x->msgs));
	m = &x->msgs[x->nerr];
	m->file_rank = SIZE_MAX;
	for (size_t i = 0; file && i < files->n; i++)
		if (files->v[i].value == file)
			m->file_rank = i;
	m->line = line;
	m->seq = x->nerr++;
	m->text = text;
}

void cfg_error(struct cfg_ctx *x, const struct cfg_loc *loc, const char *key,
	       const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&sb, "%s:%d: ", loc->file ? loc->file : "?", loc->line);
	if (key && *key)
		strbuf_addf(&sb, "%s: ", key);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	add_msg(x, loc->file, loc->line, strbuf_detach(&sb, NULL));
}

static int cmp_msg(const void *a, const void *b)
{
	const struct cfg_msg *x = a, *y = b;

	if (x->file_rank != y->file_rank)
		return x->file_rank < y->file_rank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the errors (by file, then line) into err, one per line. */
static void flush_errors(struct cfg_ctx *x, struct strbuf *err)
{
	if (x->nerr)
		qsort(x->msgs, x->nerr, sizeof(*x->msgs), cmp_msg);
	for (int i = 0; i < x->nerr; i++) {
		if (i)
			strbuf_addch(err, '\n');
		strbuf_adds(err, x->msgs[i].text);
		free(x->msgs[i].text);
	}
	free(x->msgs);
	x->msgs = NULL;
}

const char *cnode_type_name(enum cnode_type t)
{
	switch (t) {
	case CNODE_GROUP: return "a group";
	case CNODE_LIST: return "a list";
	case CNODE_STRING: return "a string";
	case CNODE_INT: return "an integer";
	case CNODE_FLOAT: return "a float";
	case CNODE_BOOL: return "a boolean";
	}
	return "?";
}

void cfg_quote(struct strbuf *sb, const char *s, size_t max)
{
	size_t n = 0;

	strbuf_addch(sb, '"');
	for (; *s; s++, n++) {
		unsigned char ch = (unsigned char)*s;
		if (max && n == max) {
			strbuf_adds(sb, "...");
			break;
		}
		if (ch == '"' || ch == '\\') {
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, (char)ch);
		} else if (ch == '\n') {
			strbuf_adds(sb, "\\n");
		} else if (ch == '\t') {
			strbuf_adds(sb, "\\t");
		} else if (ch < 0x20 || ch == 0x7f) {
			strbuf_addf(sb, "\\x%02x", ch);
		} else {
			strbuf_addch(sb, (char)ch);
		}
	}
	strbuf_addch(sb, '"');
}

struct cnode *cnode_get(const struct cnode *group, const char *key)
{
	if (!group || group->type != CNODE_GROUP)
		return NULL;
	for (size_t i = 0; i < group->nkids; i++)
		if (group->kids[i] && !strcmp(group->kids[i]->key, key))
			return group->kids[i];
	return NULL;
}

void cnode_free(struct cnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		cnode_free(n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->s);
	free(n);
}

static struct cnode *cnode_new(enum cnode_type type, const char *key, struct cfg_loc loc)
{
	struct cnode *n = xcalloc(1, sizeof(*n));
	n->type = type;
	n->key = key ? xstrdup(key) : NULL;
	n->loc = loc;
	return n;
}

static void cnode_append(struct cnode *parent, struct cnode *kid)
{
	if (parent->nkids == parent->alloc) {
		parent->alloc = parent->alloc ? 2 * parent->alloc : 8;
		parent->kids = xrealloc(parent->kids, parent->alloc * sizeof(*parent->kids));
	}
	parent->kids[parent->nkids++] = kid;
}

/* Removes and returns the child named key of a group, or NULL. */
static struct cnode *cnode_take(struct cnode *group, const char *key)
{
	for (size_t i = 0; i < group->nkids; i++) {
		struct cnode *k = group->kids[i];
		if (!strcmp(k->key, key)) {
			memmove(group->kids + i, group->kids + i + 1,
				(group->nkids - i - 1) * sizeof(*group->kids));
			group->nkids--;
			return k;
		}
	}
	return NULL;
}

static bool scalar_equal(const struct cnode *a, const struct cnode *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case CNODE_STRING: return !strcmp(a->s, b->s);
	case CNODE_INT: return a->i == b->i;
	case CNODE_FLOAT: return a->f == b->f;
	case CNODE_BOOL: return a->b == b->b;
	default: return false;
	}
}

static bool is_scalar(const struct cnode *n)
{
	return n->type != CNODE_GROUP && n->type != CNODE_LIST;
}

/* ---- file names ---- */

/* The stable copy of a file name that locations point to (kept in
 * c->files_read, which owns it). */
static const char *intern_file(struct cfg_ctx *x, const char *name, struct cfg_loc from)
{
	struct cfg_strlist *l = &x->c->files_read;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].value, name))
			return l->v[i].value;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n].value = xstrdup(name);
	l->v[l->n].loc = from;
	return l->v[l->n++].value;
}

/* Directory part of a path as written ("." when it has none). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, slash - path);
}

/* rel as seen from directory dir, written as simply as possible. */
static char *relative_to(const char *dir, const char *rel)
{
	if (rel[0] == '/' || !strcmp(dir, "."))
		return xstrdup(rel);
	return path_join(dir, rel);
}

char *cfg_loc_dir(const struct cfg_loc *loc)
{
	_cleanup_free_ char *dir = dir_of(loc->file ? loc->file : ".");
	char *abs = realpath(dir, NULL);
	char cwd[PATH_MAX];

	if (abs)
		return abs;
	if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(dir);
	return path_join(cwd, dir);
}

/* ---- libconfig to tree ---- */

static struct cnode *from_setting(struct cfg_ctx *x, config_setting_t *s,
				  const char *file, const char *incdir)
{
	const char *src = config_setting_source_file(s);
	struct cfg_loc loc = { file, config_setting_source_line(s) };
	struct cnode *n;

	if (src) {
		/* settings from an @include name the included file as written,
		 * relative to the include directory */
		_cleanup_free_ char *name = relative_to(incdir, src);
		loc.file = intern_file(x, name, loc);
	}
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		n = cnode_new(CNODE_GROUP, config_setting_name(s), loc);
		break;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		n = cnode_new(CNODE_LIST, config_setting_name(s), loc);
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		n = cnode_new(CNODE_INT, config_setting_name(s), loc);
		n->i = config_setting_get_int64(s);
		return n;
	case CONFIG_TYPE_FLOAT:
		n = cnode_new(CNODE_FLOAT, config_setting_name(s), loc);
		n->f = config_setting_get_float(s);
		return n;
	case CONFIG_TYPE_BOOL:
		n = cnode_new(CNODE_BOOL, config_setting_name(s), loc);
		n->b = config_setting_get_bool(s);
		return n;
	case CONFIG_TYPE_STRING:
	default: {
		const char *v = config_setting_get_string(s);
		n = cnode_new(CNODE_STRING, config_setting_name(s), loc);
		n->s = xstrdup(v ? v : "");
		return n;
	}
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		if (e)
			cnode_append(n, from_setting(x, e, file, incdir));
	}
	return n;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* Checks the number literal at *pp (a digit) and moves past it; returns 1
 * when it does not fit the integer type libconfig will give it. */
static int check_number(struct cfg_ctx *x, const char *file, int line, const char *base,
			const char **pp, const char *end)
{
	const char *start = *pp, *p = *pp;
	bool hex = p + 1 < end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	bool neg = start > base && start[-1] == '-';
	size_t ndigits, nl = 0;
	unsigned long long v, max;
	char buf[64];
	char *e;

	for (; p < end && (is_alnum(*p) || *p == '.' ||
			   ((*p == '+' || *p == '-') && !hex && (p[-1] == 'e' || p[-1] == 'E'))); p++)
		;
	*pp = p;
	if (!hex && memchr(start, '.', p - start))
		return 0;
	if (!hex && (memchr(start, 'e', p - start) || memchr(start, 'E', p - start)))
		return 0;
	while (nl < 2 && p - nl > start && p[-1 - (ptrdiff_t)nl] == 'L')
		nl++;
	ndigits = (size_t)(p - start) - nl;
	if (ndigits >= sizeof(buf))
		ndigits = sizeof(buf) - 1; /* surely out of range: strtoull says so */
	memcpy(buf, start, ndigits);
	buf[ndigits] = '\0';
	errno = 0;
	v = strtoull(buf, &e, hex ? 16 : 10);
	if (*e)
		return 0; /* not a number libconfig accepts either: it reports it */
	max = nl ? (neg ? 1ULL << 63 : INT64_MAX) : (neg ? 1ULL << 31 : INT32_MAX);
	if (!errno && v <= max)
		return 0;
	cfg_error(x, &(struct cfg_loc){ file, line }, NULL,
		  "integer %s%.*s does not fit in %s bits%s", neg ? "-" : "", (int)(p - start), start,
		  nl ? "64" : "32", nl ? "" : " (write it with an L suffix, or a size as a string)");
	return 1;
}

/* libconfig 1.5 silently wraps integer literals that do not fit (a uid of
 * 4294967296 would become 0, root): look for them in the text first,
 * skipping comments, strings and setting names. Returns the count found. */
static int check_integers(struct cfg_ctx *x, const char *file, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int line = 1, bad = 0;

	while (p < end) {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == '#' || (*p == '/' && p + 1 < end && p[1] == '/')) {
			while (p < end && *p != '\n')
				p++;
		} else if (*p == '/' && p + 1 < end && p[1] == '*') {
			for (p += 2; p < end && !(*p == '*' && p + 1 < end && p[1] == '/'); p++)
				line += *p == '\n';
			p = p < end ? p + 2 : end;
		} else if (*p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				line += *p == '\n';
			}
			p = p < end ? p + 1 : end;
		} else if (is_alnum(*p) && !is_digit(*p)) {
			while (p < end && (is_alnum(*p) || *p == '_' || *p == '*' || *p == '-'))
				p++;
		} else if (is_digit(*p)) {
			bad += check_number(x, file, line, text, &p, end);
		} else {
			p++;
		}
	}
	return bad;
}

/* Parses one file (name as displayed, already interned) into a tree. */
static struct cnode *read_one(struct cfg_ctx *x, const char *file, FILE *f)
{
	_cleanup_free_ char *dir = dir_of(file);
	struct strbuf text = STRBUF_INIT;
	struct cnode *root = NULL;
	char chunk[8192];
	size_t n;
	config_t cf;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&text, chunk, n);
	n = text.len ? check_integers(x, file, text.buf, text.len) : 0;
	strbuf_release(&text);
	if (n || ferror(f) || fseek(f, 0, SEEK_SET) < 0) {
		if (!n)
			cfg_error(x, &(struct cfg_loc){ file, 0 }, NULL, "cannot read: %s", strerror(errno));
		return NULL;
	}
	config_init(&cf);
	config_set_include_dir(&cf, dir);
	if (config_read(&cf, f) == CONFIG_TRUE) {
		root = from_setting(x, config_root_setting(&cf), file, dir);
	} else {
		const char *efile = config_error_file(&cf);
		struct cfg_loc loc = { file, config_error_line(&cf) };
		_cleanup_free_ char *name = efile ? relative_to(dir, efile) : NULL;
		if (name)
			loc.file = intern_file(x, name, loc);
		cfg_error(x, &loc, NULL, "%s", config_error_text(&cf) ?
			  config_error_text(&cf) : "cannot parse");
	}
	config_destroy(&cf);
	return root;
}

/* ---- merging ---- */

static void merge_node(struct cfg_ctx *x, struct cnode *dst, struct cnode *src,
		       const char *path);

/* Appends the elements of src to the list dst, dropping scalars dst already
 * holds; src's elements are moved (src is left empty). */
static void concat_list(struct cnode *dst, struct cnode *src)
{
	for (size_t i = 0; i < src->nkids; i++) {
		struct cnode *e = src->kids[i];
		bool dup = false;
		for (size_t j = 0; is_scalar(e) && j < dst->nkids && !dup; j++)
			dup = scalar_equal(dst->kids[j], e);
		if (dup)
			cnode_free(e);
		else
			cnode_append(dst, e);
		src->kids[i] = NULL;
	}
	src->nkids = 0;
}

static char *key_path(const char *path, const char *key)
{
	return path && *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

/* Merges the group src into the group dst, moving src's values. */
static void merge_group(struct cfg_ctx *x, struct cnode *dst, struct cnode *src,
			const char *path)
{
	for (size_t i = 0; i < src->nkids; i++) {
		struct cnode *k = src->kids[i];
		struct cnode *d = cnode_get(dst, k->key);
		_cleanup_free_ char *sub = key_path(path, k->key);

		if (!d && is_scalar(k)) {
			cnode_append(dst, k);
			src->kids[i] = NULL;
			continue;
		}
		if (!d) {
			/* a fresh group or list, so that lists are deduplicated
			 * and nested groups normalised the same way everywhere */
			d = cnode_new(k->type, k->key, k->loc);
			cnode_append(dst, d);
		}
		merge_node(x, d, k, sub);
	}
}

static void merge_node(struct cfg_ctx *x, struct cnode *dst, struct cnode *src,
		       const char *path)
{
	if (dst->type == CNODE_GROUP && src->type == CNODE_GROUP) {
		merge_group(x, dst, src, path);
	} else if (dst->type == CNODE_LIST && src->type == CNODE_LIST) {
		concat_list(dst, src);
	} else if (is_scalar(dst) && is_scalar(src)) {
		free(dst->s);
		dst->type = src->type;
		dst->s = src->s;
		src->s = NULL;
		dst->i = src->i;
		dst->f = src->f;
		dst->b = src->b;
		dst->loc = src->loc;
	} else {
		cfg_error(x, &src->loc, path, "is %s here but %s at %s:%d; they cannot be merged",
			  cnode_type_name(src->type), cnode_type_name(dst->type),
			  dst->loc.file, dst->loc.line);
	}
}

/* ---- imports ---- */

struct frame {
	const char *file;
	dev_t dev;
	ino_t ino;
	struct cfg_loc import;   /* the element of imports that led here */
};

struct loader {
	struct cfg_ctx *x;
	struct cnode *merged;
	struct frame *stack;     /* files being read, outermost first */
	size_t depth;
	struct frame *seen;      /* files already read (merged once) */
	size_t nseen;
};

static void cycle_error(struct loader *L, size_t from, const struct cfg_loc *at,
			const char *file)
{
	struct strbuf chain = STRBUF_INIT;

	for (size_t i = from; i < L->depth; i++)
		strbuf_addf(&chain, "%s -> ", L->stack[i].file);
	strbuf_adds(&chain, file);
	cfg_error(L->x, at, "imports", "import cycle: %s", chain.buf);
	strbuf_release(&chain);
}

static void load_file(struct loader *L, const char *file, const struct cfg_loc *at);

/* Reads each element of an imports list, relative to the importing file. */
static void load_imports(struct loader *L, const char *file, struct cnode *imports)
{
	_cleanup_free_ char *dir = dir_of(file);

	if (imports->type != CNODE_LIST) {
		cfg_error(L->x, &imports->loc, "imports", "expected a list of strings, found %s",
			  cnode_type_name(imports->type));
		return;
	}
	for (size_t i = 0; i < imports->nkids; i++) {
		struct cnode *e = imports->kids[i];
		if (e->type != CNODE_STRING || !e->s[0]) {
			cfg_error(L->x, &e->loc, "imports", "expected a file name, found %s",
				  e->type == CNODE_STRING ? "an empty string" :
				  cnode_type_name(e->type));
			continue;
		}
		_cleanup_free_ char *name = relative_to(dir, e->s);
		load_file(L, name, &e->loc);
	}
}

static void load_file(struct loader *L, const char *name, const struct cfg_loc *at)
{
	struct cfg_ctx *x = L->x;
	struct cfg_loc here = { NULL, 0 };
	struct stat st;
	struct cnode *tree, *imports;
	FILE *f;

	f = fopen(name, "re");
	if (!f || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = !f ? errno : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		if (at->file)
			cfg_error(x, at, "imports", "cannot read %s: %s", name, strerror(e));
		else
			add_msg(x, NULL, 0, xasprintf("%s: cannot read: %s", name, strerror(e)));
		if (f)
			fclose(f);
		return;
	}
	for (size_t i = 0; i < L->depth; i++) {
		if (L->stack[i].dev == st.st_dev && L->stack[i].ino == st.st_ino) {
			cycle_error(L, i, at, name);
			fclose(f);
			return;
		}
	}
	for (size_t i = 0; i < L->nseen; i++) {
		if (L->seen[i].dev == st.st_dev && L->seen[i].ino == st.st_ino) {
			fclose(f); /* a diamond: already merged */
			return;
		}
	}
	here.file = intern_file(x, name, *at);
	L->seen = xrealloc(L->seen, (L->nseen + 1) * sizeof(*L->seen));
	L->seen[L->nseen++] = (struct frame){ here.file, st.st_dev, st.st_ino, *at };

	tree = read_one(x, here.file, f);
	fclose(f);
	if (!tree)
		return;

	L->stack = xrealloc(L->stack, (L->depth + 1) * sizeof(*L->stack));
	L->stack[L->depth++] = (struct frame){ here.file, st.st_dev, st.st_ino, *at };
	imports = cnode_take(tree, "imports");
	if (imports)
		load_imports(L, here.file, imports);
	L->depth--;

	merge_group(x, L->merged, tree, "");
	cnode_free(imports);
	cnode_free(tree);
}

/* ---- entry points ---- */

const char *config_deb_arch(const char *arch)
{
	if (!arch)
		return NULL;
	if (!strcmp(arch, "x86_64"))
		return "amd64";
	if (!strcmp(arch, "aarch64"))
		return "arm64";
	return NULL;
}

int config_load(const char *path, struct kiln_config *ret, struct strbuf *err)
{
	struct cfg_ctx x = { ret, NULL, 0 };
	struct cfg_loc none = { NULL, 0 };
	struct loader L = { &x, NULL, NULL, 0, NULL, 0 };

	memset(ret, 0, sizeof(*ret));
	L.merged = cnode_new(CNODE_GROUP, NULL, none);
	load_file(&L, path, &none);
	if (!x.nerr) {
		ret->path = realpath(path, NULL);
		if (!ret->path)
			ret->path = xstrdup(path);
		ret->dir = dir_of(ret->path);
		/* a missing section is reported at the top of the top file */
		L.merged->loc.file = ret->files_read.v[0].value;
		L.merged->loc.line = 1;
		config_schema_apply(&x, L.merged);
	}
	cnode_free(L.merged);
	free(L.stack);
	free(L.seen);
	if (x.nerr) {
		flush_errors(&x, err);
		config_release(ret);
		return -1;
	}
	return 0;
}

static void strlist_release(struct cfg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].value);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void config_release(struct kiln_config *c)
{
	for (size_t i = 0; i < c->nusers; i++) {
		struct cfg_user *u = &c->users[i];
		free(u->name);
		free(u->home);
		free(u->shell);
		free(u->description);
		strlist_release(&u->groups);
		strlist_release(&u->authorized_keys);
		free(u->password_hash_file);
	}
	free(c->users);
	for (size_t i = 0; i < c->nifaces; i++) {
		free(c->ifaces[i].name);
		free(c->ifaces[i].address);
		free(c->ifaces[i].gateway);
		strlist_release(&c->ifaces[i].dns);
	}
	free(c->ifaces);
	for (size_t i = 0; i < c->nservices; i++) {
		free(c->services[i].name);
		free(c->services[i].command);
		free(c->services[i].action);
		free(c->services[i].tty);
	}
	free(c->services);
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].text);
		free(c->files[i].source);
	}
	free(c->files);
	free(c->path);
	free(c->dir);
	free(c->name.value);
	free(c->hostname);
	free(c->arch);
	free(c->timezone);
	free(c->firmware);
	free(c->kernel.value);
	strlist_release(&c->params);
	strlist_release(&c->modules);
	strlist_release(&c->packages);
	strlist_release(&c->prefer);
	free(c->data_label);
	free(c->data_mount);
	free(c->installer_target);
	free(c->installer_disk);
	free(c->installer_after);
	free(c->installer_mode);
	/* last: every location above points into these names */
	strlist_release(&c->files_read);
	memset(c, 0, sizeof(*c));
}
