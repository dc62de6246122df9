#include "target.h"

#include <ctype.h>
#include <dirent.h>

#include "fsutil.h"

/* Devices that are never installation targets, by kernel name prefix. */
static const char *const virtual_prefixes[] = {
	"loop", "ram", "zram", "dm-", "md", "nbd", "sr", "fd", NULL,
};

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_disk(const void *a, const void *b)
{
	return strcmp(((const struct target_disk *)a)->name, ((const struct target_disk *)b)->name);
}

/* Reads a small sysfs attribute, whitespace-trimmed; "" when absent. */
static char *read_attr(const char *dir, const char *attr)
{
	_cleanup_free_ char *path = path_join(dir, attr);
	struct strbuf sb = STRBUF_INIT;
	size_t start = 0;

	if (read_file(path, &sb) < 0) {
		strbuf_release(&sb);
		return xstrdup("");
	}
	while (sb.len && isspace((unsigned char)sb.buf[sb.len - 1]))
		sb.buf[--sb.len] = '\0';
	while (start < sb.len && isspace((unsigned char)sb.buf[start]))
		start++;
	char *s = xstrdup(strbuf_str(&sb) + start);
	strbuf_release(&sb);
	return s;
}

static uint64_t read_u64_attr(const char *dir, const char *attr)
{
	_cleanup_free_ char *s = read_attr(dir, attr);
	uint64_t v = 0;
	if (parse_u64(s, 10, &v) < 0)
		return 0;
	return v;
}

/* The first non-empty attribute among names. */
static char *read_first_attr(const char *dir, const char *const *names)
{
	for (size_t i = 0; names[i]; i++) {
		char *s = read_attr(dir, names[i]);
		if (s[0] || !names[i + 1])
			return s;
		free(s);
	}
	return xstrdup("");
}

/* The bus a disk hangs off, from its resolved sysfs device path. */
static const char *transport_of(const char *sysdir)
{
	_cleanup_free_ char *real = realpath(sysdir, NULL);
	const char *p = real ? real : sysdir;

	if (strstr(p, "/usb"))
		return "usb";
	if (strstr(p, "/nvme"))
		return "nvme";
	if (strstr(p, "/virtio"))
		return "virtio";
	if (strstr(p, "/ata"))
		return "sata";
	if (strstr(p, "/host") || strstr(p, "/target"))
		return "scsi";
	return "unknown";
}

/* Appends the names of entries of dir to a list (want_part: only those that
 * are partitions, i.e. hold a "partition" attribute). */
static void list_dir(const char *dir, bool want_part, char ***v, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (want_part) {
			_cleanup_free_ char *sub = path_join(dir, de->d_name);
			_cleanup_free_ char *attr = path_join(sub, "partition");
			if (access(attr, F_OK) < 0)
				continue;
		}
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*v, *n, sizeof(**v), cmp_str);
}

/* A device name as given ("/dev/vda2", "vda2") without "/dev/". */
static const char *dev_name(const char *s)
{
	return has_prefix(s, "/dev/") ? s + 5 : s;
}

/* Is name the disk itself or one of its partitions? */
static bool names_disk(const struct target_disk *d, const char *name)
{
	if (!strcmp(name, d->name))
		return true;
	for (size_t i = 0; i < d->nparts; i++)
		if (!strcmp(name, d->parts[i]))
			return true;
	return false;
}

static void find_mounts(const char *mounts, struct target_disk *d)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *save = NULL;

	if (!mounts || read_file(mounts, &sb) < 0)
		goto out;
	for (line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp || !has_prefix(line, "/dev/"))
			continue;
		*sp = '\0';
		char *mp = sp + 1, *end = strchr(mp, ' ');
		if (end)
			*end = '\0';
		if (names_disk(d, dev_name(line))) {
			d->mounted = xstrdup(mp);
			break;
		}
	}
out:
	strbuf_release(&sb);
}

static void find_by_id(const char *by_id, struct target_disk *d)
{
	DIR *dir;
	struct dirent *de;

	if (!by_id || !(dir = opendir(by_id)))
		return;
	while ((de = readdir(dir))) {
		char target[PATH_MAX];
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *link = path_join(by_id, de->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		const char *base = strrchr(target, '/');
		if (strcmp(base ? base + 1 : target, d->name))
			continue;
		d->by_id = xrealloc(d->by_id, (d->nby_id + 1) * sizeof(char *));
		d->by_id[d->nby_id++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (d->nby_id)
		qsort(d->by_id, d->nby_id, sizeof(char *), cmp_str);
}

static void find_holder(const char *sysdir, struct target_disk *d)
{
	char **v = NULL;
	size_t n = 0;
	_cleanup_free_ char *h = path_join(sysdir, "holders");

	list_dir(h, false, &v, &n);
	for (size_t i = 0; i < d->nparts && !n; i++) {
		_cleanup_free_ char *pdir = path_join(sysdir, d->parts[i]);
		_cleanup_free_ char *ph = path_join(pdir, "holders");
		list_dir(ph, false, &v, &n);
	}
	if (n)
		d->holder = xstrdup(v[0]);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void read_disk(const struct target_env *env, const char *sysdir, const char *name,
		      struct target_disk *d)
{
	static const char *const serial_attrs[] = { "serial", "device/serial", NULL };
	static const char *const wwn_attrs[] = { "wwid", "device/wwid", NULL };

	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	d->dev = xasprintf("/dev/%s", name);
	d->size = read_u64_attr(sysdir, "size") * 512;
	d->model = read_attr(sysdir, "device/model");
	d->serial = read_first_attr(sysdir, serial_attrs);
	d->wwn = read_first_attr(sysdir, wwn_attrs);
	d->transport = transport_of(sysdir);
	d->removable = read_u64_attr(sysdir, "removable") != 0;
	d->readonly = read_u64_attr(sysdir, "ro") != 0;
	list_dir(sysdir, true, &d->parts, &d->nparts);
	find_holder(sysdir, d);
	find_mounts(env->mounts, d);
	find_by_id(env->by_id, d);
	d->medium = env->medium && names_disk(d, dev_name(env->medium));
}

int target_scan(const struct target_env *env, struct target_list *ret)
{
	_cleanup_free_ char *block = path_join(env->sysfs, "block");
	struct target_list l = { NULL, 0 };
	DIR *dir = opendir(block);
	struct dirent *de;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		bool skip = de->d_name[0] == '.';
		for (size_t i = 0; !skip && virtual_prefixes[i]; i++)
			skip = has_prefix(de->d_name, virtual_prefixes[i]);
		if (skip)
			continue;
		_cleanup_free_ char *sysdir = path_join(block, de->d_name);
		if (read_u64_attr(sysdir, "size") == 0)
			continue;
		l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
		read_disk(env, sysdir, de->d_name, &l.v[l.n++]);
	}
	closedir(dir);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_disk);
	*ret = l;
	return 0;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void target_list_release(struct target_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct target_disk *d = &l->v[i];
		free(d->name);
		free(d->dev);
		free(d->model);
		free(d->serial);
		free(d->wwn);
		free(d->mounted);
		free(d->holder);
		free_strv(d->parts, d->nparts);
		free_strv(d->by_id, d->nby_id);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const char *target_ineligible(const struct target_disk *d, uint64_t needed)
{
	if (d->medium)
		return "the installer's own medium";
	if (d->readonly)
		return "read-only";
	if (d->removable)
		return "removable";
	if (d->mounted)
		return "mounted";
	if (d->holder)
		return "in use by another device";
	if (d->size < needed)
		return "too small";
	return NULL;
}

/* ---- rules ---- */

static const char *const transports[] = { "virtio", "nvme", "sata", "usb", "scsi", NULL };

static bool is_transport(const char *s)
{
	for (size_t i = 0; transports[i]; i++)
		if (!strcmp(s, transports[i]))
			return true;
	return false;
}

/* "A-B", "A-", "-B" with sizes as parse_size() reads them. */
static int parse_range(const char *s, uint64_t *ret_min, uint64_t *ret_max)
{
	const char *dash = strchr(s, '-');
	uint64_t lo = 0, hi = 0;

	if (!dash)
		return -EINVAL;
	_cleanup_free_ char *a = xstrndup(s, dash - s);
	if (a[0] && parse_size(a, &lo) < 0)
		return -EINVAL;
	if (dash[1] && parse_size(dash + 1, &hi) < 0)
		return -EINVAL;
	if (!a[0] && !dash[1])
		return -EINVAL;
	if (hi && hi < lo)
		return -EINVAL;
	*ret_min = lo;
	*ret_max = hi;
	return 0;
}

static bool looks_like_range(const char *s)
{
	if (s[0] == '-')
		return isdigit((unsigned char)s[1]);
	return isdigit((unsigned char)s[0]) && strchr(s, '-') != NULL;
}

int target_rule_parse(const char *s, struct target_rule *ret, struct strbuf *err)
{
	struct target_rule r = { TRULE_AUTO, NULL, 0, 0 };
	const char *v;

	if (!s || !s[0]) {
		strbuf_addf(err, "empty disk rule");
		return -EINVAL;
	}
	if (!strcmp(s, "auto")) {
		/* nothing more */
	} else if (has_prefix(s, "/dev/disk/by-id/")) {
		r.kind = TRULE_BY_ID;
		v = s + strlen("/dev/disk/by-id/");
		r.value = xstrdup(v);
	} else if (s[0] == '/') {
		if (!has_prefix(s, "/dev/") || !s[5]) {
			strbuf_addf(err, "disk rule \"%s\": a device path starts with /dev/", s);
			return -EINVAL;
		}
		r.kind = TRULE_PATH;
		r.value = xstrdup(s);
	} else if (has_prefix(s, "by-id:")) {
		r.kind = TRULE_BY_ID;
		r.value = xstrdup(s + 6);
	} else if (has_prefix(s, "serial:")) {
		r.kind = TRULE_SERIAL;
		r.value = xstrdup(s + 7);
	} else if (has_prefix(s, "wwn:")) {
		r.kind = TRULE_WWN;
		r.value = xstrdup(s + 4);
	} else if (has_prefix(s, "transport:") || is_transport(s)) {
		v = has_prefix(s, "transport:") ? s + 10 : s;
		if (!is_transport(v)) {
			strbuf_addf(err, "disk rule \"%s\": transport is one of virtio, nvme, sata, usb, scsi", s);
			return -EINVAL;
		}
		r.kind = TRULE_TRANSPORT;
		r.value = xstrdup(v);
	} else if (looks_like_range(s) && parse_range(s, &r.min, &r.max) == 0) {
		r.kind = TRULE_SIZE; /* a bare range; "1234-5678" that is no range is a serial */
	} else if (has_prefix(s, "size:")) {
		r.kind = TRULE_SIZE;
		if (parse_range(s + 5, &r.min, &r.max) < 0) {
			strbuf_addf(err, "disk rule \"%s\": a size range is MIN-MAX, e.g. 20G-100G", s);
			return -EINVAL;
		}
	} else {
		r.kind = TRULE_SERIAL_OR_WWN;
		r.value = xstrdup(s);
	}
	if (r.value && !r.value[0]) {
		strbuf_addf(err, "disk rule \"%s\": empty value", s);
		free(r.value);
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

void target_rule_release(struct target_rule *r)
{
	free(r->value);
	r->value = NULL;
}

/* WWNs compare without their "naa." / "eui." / "0x" prefix, case-insensitively. */
static const char *wwn_body(const char *s)
{
	static const char *const pfx[] = { "naa.", "eui.", "0x", NULL };
	for (size_t i = 0; pfx[i]; i++)
		if (!strncasecmp(s, pfx[i], strlen(pfx[i])))
			return s + strlen(pfx[i]);
	return s;
}

static bool wwn_equal(const char *a, const char *b)
{
	return a[0] && b[0] && !strcasecmp(wwn_body(a), wwn_body(b));
}

/* A /dev path: the disk itself, or a symlink into /dev/disk/by-id. */
static bool path_matches(const struct target_env *env, const char *path,
			 const struct target_disk *d)
{
	if (!strcmp(path, d->dev))
		return true;
	for (size_t i = 0; i < d->nby_id; i++) {
		_cleanup_free_ char *p = path_join("/dev/disk/by-id", d->by_id[i]);
		if (!strcmp(p, path))
			return true;
	}
	(void)env;
	return false;
}

bool target_rule_matches(const struct target_env *env, const struct target_rule *r,
			 const struct target_disk *d)
{
	switch (r->kind) {
	case TRULE_AUTO:
		return true;
	case TRULE_PATH:
		return path_matches(env, r->value, d);
	case TRULE_BY_ID:
		for (size_t i = 0; i < d->nby_id; i++)
			if (!strcmp(d->by_id[i], r->value))
				return true;
		return false;
	case TRULE_SERIAL:
		return d->serial[0] && !strcmp(d->serial, r->value);
	case TRULE_WWN:
		return wwn_equal(d->wwn, r->value);
	case TRULE_SERIAL_OR_WWN:
		return (d->serial[0] && !strcmp(d->serial, r->value)) || wwn_equal(d->wwn, r->value);
	case TRULE_TRANSPORT:
		return !strcmp(d->transport, r->value);
	case TRULE_SIZE:
		return d->size >= r->min && (!r->max || d->size <= r->max);
	}
	return false;
}

void target_format_size(uint64_t bytes, struct strbuf *out)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		strbuf_addf(out, "%" PRIu64 " B", bytes);
	else
		strbuf_addf(out, "%.1f %s", v, units[u]);
}

void target_describe(const struct target_disk *d, struct strbuf *out)
{
	strbuf_addf(out, "%s ", d->dev);
	target_format_size(d->size, out);
	strbuf_addf(out, " %s model \"%s\" serial \"%s\"", d->transport, d->model, d->serial);
	if (d->wwn[0])
		strbuf_addf(out, " wwn \"%s\"", d->wwn);
}

static void describe_rule(const struct target_rule *r, struct strbuf *out)
{
	static const char *const kinds[] = { "auto", "path", "by-id", "serial", "wwn",
					     "serial or wwn", "transport", "size" };
	if (r->kind == TRULE_AUTO) {
		strbuf_adds(out, "\"auto\"");
		return;
	}
	if (r->kind == TRULE_SIZE) {
		strbuf_adds(out, "size ");
		target_format_size(r->min, out);
		strbuf_adds(out, " to ");
		if (r->max)
			target_format_size(r->max, out);
		else
			strbuf_adds(out, "any");
		return;
	}
	strbuf_addf(out, "%s \"%s\"", kinds[r->kind], r->value);
}

int target_choose(const struct target_env *env, const struct target_list *l,
		  const struct target_rule *r, uint64_t needed, size_t *ret_index,
		  struct strbuf *err)
{
	struct strbuf lines = STRBUF_INIT;
	size_t nmatch = 0, neligible = 0, chosen = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct target_disk *d = &l->v[i];
		const char *why = target_ineligible(d, needed);
		if (!target_rule_matches(env, r, d))
			continue;
		nmatch++;
		if (!why) {
			neligible++;
			chosen = i;
		}
		strbuf_adds(&lines, "\n  ");
		target_describe(d, &lines);
		if (why) {
			strbuf_addf(&lines, ": %s", why);
			if (!strcmp(why, "too small")) {
				strbuf_adds(&lines, ", the system needs ");
				target_format_size(needed, &lines);
			}
			if (!strcmp(why, "mounted"))
				strbuf_addf(&lines, " on %s", d->mounted);
			if (!strcmp(why, "in use by another device"))
				strbuf_addf(&lines, " (%s)", d->holder);
		}
	}
	if (neligible == 1) {
		*ret_index = chosen;
		strbuf_release(&lines);
		return 0;
	}
	if (neligible > 1) {
		strbuf_addf(err, "%zu eligible disks match ", neligible);
		describe_rule(r, err);
		strbuf_adds(err, "; name one in installer.disk (path, serial, wwn, size or transport):");
		/* list the eligible ones only: they are the choice */
		for (size_t i = 0; i < l->n; i++) {
			const struct target_disk *d = &l->v[i];
			if (!target_rule_matches(env, r, d) || target_ineligible(d, needed))
				continue;
			strbuf_adds(err, "\n  ");
			target_describe(d, err);
		}
		strbuf_release(&lines);
		return -EEXIST;
	}
	if (nmatch == 0) {
		strbuf_adds(err, "no disk matches ");
		describe_rule(r, err);
		strbuf_adds(err, l->n ? "; the disks are:" : "; there are no disks");
		for (size_t i = 0; i < l->n; i++) {
			strbuf_adds(err, "\n  ");
			target_describe(&l->v[i], err);
		}
	} else {
		strbuf_adds(err, "no eligible disk matches ");
		describe_rule(r, err);
		strbuf_adds(err, ":");
		strbuf_add(err, lines.buf, lines.len);
	}
	strbuf_release(&lines);
	return -ENODEV;
}
