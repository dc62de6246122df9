#include "events.h"

#include <ctype.h>

void json_quote(const char *s, struct strbuf *out)
{
	strbuf_addch(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': strbuf_adds(out, "\\\""); break;
		case '\\': strbuf_adds(out, "\\\\"); break;
		case '\n': strbuf_adds(out, "\\n"); break;
		case '\t': strbuf_adds(out, "\\t"); break;
		case '\r': strbuf_adds(out, "\\r"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				strbuf_addf(out, "\\u%04x", *p);
			else
				strbuf_addch(out, (char)*p);
		}
	}
	strbuf_addch(out, '"');
}

void event_begin(struct event *e, const char *name)
{
	strbuf_init(&e->line);
	strbuf_adds(&e->line, EVENT_PREFIX "{\"event\":");
	json_quote(name, &e->line);
}

static void key(struct event *e, const char *k)
{
	strbuf_addch(&e->line, ',');
	json_quote(k, &e->line);
	strbuf_addch(&e->line, ':');
}

void event_str(struct event *e, const char *k, const char *value)
{
	key(e, k);
	json_quote(value ? value : "", &e->line);
}

void event_u64(struct event *e, const char *k, uint64_t value)
{
	key(e, k);
	strbuf_addf(&e->line, "%" PRIu64, value);
}

void event_bool(struct event *e, const char *k, bool value)
{
	key(e, k);
	strbuf_adds(&e->line, value ? "true" : "false");
}

const char *event_end(struct event *e)
{
	strbuf_addch(&e->line, '}');
	return e->line.buf;
}

void event_release(struct event *e)
{
	strbuf_release(&e->line);
}

/* ---- parsing ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void add_utf8(struct strbuf *out, unsigned cp)
{
	if (cp < 0x80) {
		strbuf_addch(out, (char)cp);
	} else if (cp < 0x800) {
		strbuf_addch(out, (char)(0xc0 | cp >> 6));
		strbuf_addch(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		strbuf_addch(out, (char)(0xe0 | cp >> 12));
		strbuf_addch(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		strbuf_addch(out, (char)(0x80 | (cp & 0x3f)));
	}
}

/* A JSON string at *pp (at its opening quote); advances past it. */
static int parse_string(const char **pp, struct strbuf *out)
{
	const char *p = *pp;

	if (*p++ != '"')
		return -EBADMSG;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return -EBADMSG;
		if (*p != '\\') {
			strbuf_addch(out, *p++);
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\': case '/': strbuf_addch(out, *p); break;
		case 'n': strbuf_addch(out, '\n'); break;
		case 't': strbuf_addch(out, '\t'); break;
		case 'r': strbuf_addch(out, '\r'); break;
		case 'b': strbuf_addch(out, '\b'); break;
		case 'f': strbuf_addch(out, '\f'); break;
		case 'u': {
			unsigned cp = 0;
			for (int i = 1; i <= 4; i++) {
				if (!isxdigit((unsigned char)p[i]))
					return -EBADMSG;
				cp = cp * 16 + (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0'
							  : (tolower((unsigned char)p[i]) - 'a' + 10));
			}
			if (cp == 0)
				return -EBADMSG;
			add_utf8(out, cp);
			p += 4;
			break;
		}
		default:
			return -EBADMSG;
		}
		p++;
	}
	if (*p != '"')
		return -EBADMSG;
	*pp = p + 1;
	return 0;
}

/* A scalar that is not a string: an integer, true, false or null. */
static int parse_bare(const char **pp, struct strbuf *out)
{
	const char *p = *pp;
	static const char *const words[] = { "true", "false", "null" };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strncmp(p, words[i], strlen(words[i]))) {
			strbuf_adds(out, words[i]);
			*pp = p + strlen(words[i]);
			return 0;
		}
	const char *start = p;
	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return -EBADMSG;
	while (isdigit((unsigned char)*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
	       *p == '-')
		p++;
	strbuf_add(out, start, p - start);
	*pp = p;
	return 0;
}

int event_parse(const char *line, struct event_parsed *ret)
{
	struct event_parsed e = { NULL, 0 };
	const char *p = strstr(line, EVENT_PREFIX);
	int r = -EBADMSG;

	if (!p)
		return -ENOENT;
	p = skip_ws(p + strlen(EVENT_PREFIX));
	if (*p++ != '{')
		return -EBADMSG;
	for (;;) {
		struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;
		p = skip_ws(p);
		r = parse_string(&p, &k);
		if (r == 0) {
			p = skip_ws(p);
			r = *p++ == ':' ? 0 : -EBADMSG;
		}
		if (r == 0) {
			p = skip_ws(p);
			bool is_str = *p == '"';
			r = is_str ? parse_string(&p, &v) : parse_bare(&p, &v);
			/* the first member is "event" with a string value */
			if (r == 0 && e.n == 0 && (strcmp(strbuf_str(&k), "event") || !is_str))
				r = -EBADMSG;
		}
		if (r < 0) {
			strbuf_release(&k);
			strbuf_release(&v);
			goto fail;
		}
		e.fields = xrealloc(e.fields, (e.n + 1) * sizeof(*e.fields));
		e.fields[e.n].key = strbuf_detach(&k, NULL);
		e.fields[e.n].value = strbuf_detach(&v, NULL);
		e.n++;
		p = skip_ws(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '}')
			break;
		r = -EBADMSG;
		goto fail;
	}
	p = skip_ws(p + 1);
	if (*p && *p != '\n') {
		r = -EBADMSG;
		goto fail;
	}
	*ret = e;
	return 0;
fail:
	event_parsed_release(&e);
	return r;
}

void event_parsed_release(struct event_parsed *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->fields[i].key);
		free(e->fields[i].value);
	}
	free(e->fields);
	e->fields = NULL;
	e->n = 0;
}

const char *event_get(const struct event_parsed *e, const char *k)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->fields[i].key, k))
			return e->fields[i].value;
	return NULL;
}
