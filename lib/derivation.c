/*
 * derivation.c — kiln's derivations and their canonical text (format in
 * derivation.h).
 *
 * The escaping that the header prescribes for parameter values is also
 * applied to the type, the name and the inputs; for any sane value (a store
 * name, a store path) it changes nothing, and it keeps the promise that every
 * record is exactly one line whatever a caller passes.
 */
#include "derivation.h"

void derivation_init(struct derivation *d, const char *type, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->type = xstrdup(type);
	d->name = xstrdup(name);
}

void derivation_release(struct derivation *d)
{
	free(d->type);
	free(d->name);
	path_list_release(&d->inputs);
	for (size_t i = 0; i < d->nparams; i++) {
		free(d->params[i].key);
		free(d->params[i].value);
	}
	free(d->params);
	memset(d, 0, sizeof(*d));
}

void derivation_add_input(struct derivation *d, const char *path)
{
	path_list_add(&d->inputs, path);
}

static bool param_key_valid(const char *key)
{
	if (!key || !*key)
		return false;
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

int derivation_set_param(struct derivation *d, const char *key, const char *value)
{
	if (!param_key_valid(key) || !value)
		return -EINVAL;
	for (size_t i = 0; i < d->nparams; i++) {
		if (!strcmp(d->params[i].key, key)) {
			free(d->params[i].value);
			d->params[i].value = xstrdup(value);
			return 0;
		}
	}
	if (d->nparams == d->alloc_params) {
		d->alloc_params = d->alloc_params ? 2 * d->alloc_params : 8;
		d->params = xrealloc(d->params, d->alloc_params * sizeof(*d->params));
	}
	d->params[d->nparams].key = xstrdup(key);
	d->params[d->nparams].value = xstrdup(value);
	d->nparams++;
	return 0;
}

static void add_escaped(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			strbuf_adds(out, "\\\\");
			break;
		case '\n':
			strbuf_adds(out, "\\n");
			break;
		case '\t':
			strbuf_adds(out, "\\t");
			break;
		default:
			strbuf_addch(out, *s);
		}
	}
}

static void add_record(struct strbuf *out, const char *word, const char *value)
{
	strbuf_adds(out, word);
	strbuf_addch(out, ' ');
	add_escaped(out, value);
	strbuf_addch(out, '\n');
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int param_cmp(const void *a, const void *b)
{
	const struct drv_param *const *pa = a, *const *pb = b;

	return strcmp((*pa)->key, (*pb)->key);
}

void derivation_text(const struct derivation *d, struct strbuf *out)
{
	strbuf_adds(out, "kiln-derivation 1\n");
	add_record(out, "type", d->type);
	add_record(out, "name", d->name);

	/* Sort copies: the text is a pure function of a const derivation. */
	if (d->inputs.n) {
		char **in = xmalloc(d->inputs.n * sizeof(*in));
		memcpy(in, d->inputs.v, d->inputs.n * sizeof(*in));
		qsort(in, d->inputs.n, sizeof(*in), str_ptr_cmp);
		for (size_t i = 0; i < d->inputs.n; i++)
			if (i == 0 || strcmp(in[i - 1], in[i]))
				add_record(out, "input", in[i]);
		free(in);
	}
	if (d->nparams) {
		const struct drv_param **p = xmalloc(d->nparams * sizeof(*p));
		for (size_t i = 0; i < d->nparams; i++)
			p[i] = &d->params[i];
		qsort(p, d->nparams, sizeof(*p), param_cmp);
		for (size_t i = 0; i < d->nparams; i++) {
			strbuf_addf(out, "param %s ", p[i]->key);
			add_escaped(out, p[i]->value);
			strbuf_addch(out, '\n');
		}
		free(p);
	}
}

void derivation_hash(const struct derivation *d, uint8_t ret_hash[SHA256_LEN])
{
	struct strbuf sb = STRBUF_INIT;

	derivation_text(d, &sb);
	sha256_buf(sb.buf, sb.len, ret_hash);
	strbuf_release(&sb);
}

/* NULL when the name cannot be a store-path name. */
char *derivation_output_path(const struct derivation *d, const char *storedir)
{
	uint8_t h[SHA256_LEN];

	if (!store_name_valid(d->name))
		return NULL;
	derivation_hash(d, h);
	return store_path_input_addressed(storedir, h, d->name);
}
