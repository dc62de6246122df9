/*
 * events.h — the installer's machine-readable event stream, and its parser.
 *
 * Each event is one console line: the prefix, a space, and a flat JSON
 * object whose first member is "event" and whose values are strings,
 * integers or booleans:
 *   KILN-EVENT {"event":"plan","disk":"/dev/vda","size":21474836480,...}
 *   KILN-EVENT {"event":"copy","done":1048576,"total":73400320,"percent":1,...}
 *   KILN-EVENT {"event":"done","system":"/kiln/store/...-web1","disk":"/dev/vda"}
 *   KILN-EVENT {"event":"failed","reason":"..."}
 * The events the installer sends: plan, wipe, partition, copy, bootloader,
 * done, failed (the fields of each are documented where they are sent,
 * initrd/install.c). A harness reads them with event_parse(), not by
 * grepping words.
 */
#ifndef KILN_EVENTS_H
#define KILN_EVENTS_H

#include "compat.h"
#include "strbuf.h"

#define EVENT_PREFIX "KILN-EVENT "

/* Building one event line: event_begin, fields, then the line is in e->line
 * (no trailing newline). event_release frees it. */
struct event {
	struct strbuf line;
};

void event_begin(struct event *e, const char *name);
void event_str(struct event *e, const char *key, const char *value);
void event_u64(struct event *e, const char *key, uint64_t value);
void event_bool(struct event *e, const char *key, bool value);
/* Closes the object; returns the whole line (owned by e). */
const char *event_end(struct event *e);
void event_release(struct event *e);

/* Appends s as a JSON string literal (quotes included) to out. */
void json_quote(const char *s, struct strbuf *out);

/* A parsed event: keys and values as strings (numbers and booleans as
 * written: "1048576", "true"); fields[0] is always "event". */
struct event_field {
	char *key, *value;
};

struct event_parsed {
	struct event_field *fields;
	size_t n;
};

/* Parses a console line holding an event (text before the prefix, such
 * as a kernel timestamp, is ignored). -ENOENT if the line has no event,
 * -EBADMSG if the JSON after the prefix is not a flat object whose first
 * member is a string "event". */
int event_parse(const char *line, struct event_parsed *ret);
void event_parsed_release(struct event_parsed *e);

/* The value of key, or NULL. */
const char *event_get(const struct event_parsed *e, const char *key);

#endif
