/*
 * etc.c — the generated /etc (see etc.h for what it holds and why in memory).
 *
 * Choices worth knowing:
 *  - Stage 2 is busybox init. inittab runs kiln/sysinit first (mounts what
 *    stage 1 did not, the data partition, hostname, network), then the
 *    services in name order, then kiln/stage2-up as the last `wait` action:
 *    busybox init runs every sysinit, then every wait, then once and respawn
 *    actions, each in file order, so the marker comes after every sysinit
 *    and wait service and before the respawned ones are needed.
 *  - The generation number is only known at boot: stage2-up takes it from
 *    kiln.generation= on the kernel command line (GRUB's entry passes it),
 *    else from the profile link /kiln/var/profiles/system -> system-N-link.
 *  - Network: a generated script (kiln/network-up) with busybox `ip`, and
 *    udhcpc with kiln's own script for DHCP (busybox-static ships none). /etc
 *    is read-only, so with DHCP resolv.conf is a link to /run/resolv.conf.
 *  - Groups named only in users.*.groups get Debian's well-known gid when
 *    there is one, else the first free gid from 900 up, in name order.
 */
#include "etc.h"

#include "fsutil.h"

/* ------------------------------------------------------------ the tree */

void etc_tree_release(struct etc_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].data);
	}
	free(t->v);
	t->v = NULL;
	t->n = t->alloc = 0;
}

/* Index of path, or -(insertion point)-1. */
static ssize_t etc_find_index(const struct etc_tree *t, const char *path)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->v[mid].path, path);
		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(ssize_t)lo - 1;
}

static void etc_tree_put(struct etc_tree *t, const char *path, enum etc_type type,
			 const void *data, size_t len, mode_t mode)
{
	ssize_t i = etc_find_index(t, path);
	struct etc_entry *e;

	if (i >= 0) {
		e = &t->v[i];
		free(e->data);
	} else {
		size_t at = (size_t)(-i - 1);
		if (t->n == t->alloc) {
			t->alloc = t->alloc ? 2 * t->alloc : 32;
			t->v = xrealloc(t->v, t->alloc * sizeof(*t->v));
		}
		memmove(t->v + at + 1, t->v + at, (t->n - at) * sizeof(*t->v));
		t->n++;
		e = &t->v[at];
		e->path = xstrdup(path);
	}
	e->type = type;
	e->data = xmalloc(len + 1);
	memcpy(e->data, data, len);
	e->data[len] = '\0';
	e->len = len;
	e->mode = mode & 07777;
}

void etc_tree_set_file(struct etc_tree *t, const char *path, const void *data, size_t len,
		       mode_t mode)
{
	etc_tree_put(t, path, ETC_FILE, data, len, mode);
}

void etc_tree_set_symlink(struct etc_tree *t, const char *path, const char *target)
{
	etc_tree_put(t, path, ETC_SYMLINK, target, strlen(target), 0777);
}

const struct etc_entry *etc_tree_find(const struct etc_tree *t, const char *path)
{
	ssize_t i = etc_find_index(t, path);
	return i >= 0 ? &t->v[i] : NULL;
}

static void set_sb(struct etc_tree *t, const char *path, const struct strbuf *sb, mode_t mode)
{
	etc_tree_set_file(t, path, strbuf_str(sb), sb->len, mode);
}

/* ---------------------------------------------------- users and groups */

struct group_rec {
	char *name;
	int gid;
	struct strbuf members;
};

static const struct { const char *name; int gid; } debian_groups[] = {
	{ "root", 0 }, { "daemon", 1 }, { "bin", 2 }, { "sys", 3 }, { "adm", 4 },
	{ "tty", 5 }, { "disk", 6 }, { "lp", 7 }, { "mail", 8 }, { "news", 9 },
	{ "uucp", 10 }, { "man", 12 }, { "proxy", 13 }, { "kmem", 15 },
	{ "dialout", 20 }, { "fax", 21 }, { "voice", 22 }, { "cdrom", 24 },
	{ "floppy", 25 }, { "tape", 26 }, { "sudo", 27 }, { "audio", 29 },
	{ "dip", 30 }, { "www-data", 33 }, { "backup", 34 }, { "operator", 37 },
	{ "list", 38 }, { "irc", 39 }, { "src", 40 }, { "shadow", 42 },
	{ "utmp", 43 }, { "video", 44 }, { "sasl", 45 }, { "plugdev", 46 },
	{ "staff", 50 }, { "games", 60 }, { "users", 100 }, { "nogroup", 65534 },
};

struct groups {
	struct group_rec *v;
	size_t n, alloc;
};

static struct group_rec *group_by_name(struct groups *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].name, name))
			return &g->v[i];
	return NULL;
}

static bool gid_used(const struct groups *g, int gid)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].gid == gid)
			return true;
	return false;
}

static struct group_rec *group_add(struct groups *g, const char *name, int gid)
{
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 16;
		g->v = xrealloc(g->v, g->alloc * sizeof(*g->v));
	}
	g->v[g->n] = (struct group_rec){ xstrdup(name), gid, STRBUF_INIT };
	return &g->v[g->n++];
}

static int cmp_group(const void *a, const void *b)
{
	const struct group_rec *x = a, *y = b;
	if (x->gid != y->gid)
		return x->gid < y->gid ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every group: the base ones, each user's primary group, then the
 * supplementary groups named in the configuration. */
static void collect_groups(const struct kiln_config *c, struct groups *g)
{
	static const char *const base[] = { "root", "tty", "disk", "shadow", "users", "nogroup" };
	char **extra = NULL;
	size_t nextra = 0;
	int next_gid = 900;

	for (size_t i = 0; i < ARRAY_SIZE(base); i++)
		for (size_t j = 0; j < ARRAY_SIZE(debian_groups); j++)
			if (!strcmp(debian_groups[j].name, base[i]))
				group_add(g, base[i], debian_groups[j].gid);
	for (size_t i = 0; i < c->nusers; i++) {
		const struct cfg_user *u = &c->users[i];
		if (!group_by_name(g, u->name) && !gid_used(g, u->gid))
			group_add(g, u->name, u->gid);
	}
	for (size_t i = 0; i < c->nusers; i++)
		for (size_t k = 0; k < c->users[i].groups.n; k++) {
			extra = xrealloc(extra, (nextra + 1) * sizeof(*extra));
			extra[nextra++] = c->users[i].groups.v[k].value;
		}
	if (nextra)
		qsort(extra, nextra, sizeof(*extra), cmp_cstr);
	for (size_t i = 0; i < nextra; i++) {
		int gid = -1;
		if (group_by_name(g, extra[i]))
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(debian_groups); j++)
			if (!strcmp(debian_groups[j].name, extra[i]))
				gid = debian_groups[j].gid;
		if (gid < 0 || gid_used(g, gid)) {
			while (gid_used(g, next_gid))
				next_gid++;
			gid = next_gid;
		}
		group_add(g, extra[i], gid);
	}
	free(extra);
	/* members, in user-name order (users are sorted by name) */
	for (size_t i = 0; i < c->nusers; i++)
		for (size_t k = 0; k < c->users[i].groups.n; k++) {
			struct group_rec *r = group_by_name(g, c->users[i].groups.v[k].value);
			if (r->members.len)
				strbuf_addch(&r->members, ',');
			strbuf_adds(&r->members, c->users[i].name);
		}
	qsort(g->v, g->n, sizeof(*g->v), cmp_group);
}

static int cmp_user_uid(const void *a, const void *b)
{
	const struct cfg_user *x = *(const struct cfg_user *const *)a;
	const struct cfg_user *y = *(const struct cfg_user *const *)b;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void user_line(struct strbuf *passwd, struct strbuf *shadow, const char *name, int uid,
		      int gid, const char *gecos, const char *home, const char *shell)
{
	strbuf_addf(passwd, "%s:x:%d:%d:%s:%s:%s\n", name, uid, gid, gecos, home, shell);
	/* locked: password hashes never enter the store */
	strbuf_addf(shadow, "%s:!:1:0:99999:7:::\n", name);
}

void etc_passwd(const struct kiln_config *c, struct strbuf *passwd, struct strbuf *group,
		struct strbuf *shadow)
{
	const struct cfg_user **byuid = xcalloc(c->nusers + 1, sizeof(*byuid));
	struct groups g = { NULL, 0, 0 };
	bool have_root = false, have_nobody = false;

	for (size_t i = 0; i < c->nusers; i++) {
		byuid[i] = &c->users[i];
		have_root |= !strcmp(c->users[i].name, "root") || c->users[i].uid == 0;
		have_nobody |= !strcmp(c->users[i].name, "nobody") || c->users[i].uid == 65534;
	}
	if (c->nusers)
		qsort(byuid, c->nusers, sizeof(*byuid), cmp_user_uid);
	if (!have_root)
		user_line(passwd, shadow, "root", 0, 0, "root", "/root", "/bin/sh");
	for (size_t i = 0; i < c->nusers; i++) {
		const struct cfg_user *u = byuid[i];
		user_line(passwd, shadow, u->name, u->uid, u->gid,
			  u->description ? u->description : "", u->home, u->shell);
	}
	if (!have_nobody)
		user_line(passwd, shadow, "nobody", 65534, 65534, "nobody", "/nonexistent",
			  "/bin/false");
	free(byuid);

	collect_groups(c, &g);
	for (size_t i = 0; i < g.n; i++) {
		strbuf_addf(group, "%s:x:%d:%s\n", g.v[i].name, g.v[i].gid,
			    strbuf_str(&g.v[i].members));
		free(g.v[i].name);
		strbuf_release(&g.v[i].members);
	}
	free(g.v);
}

/* ------------------------------------------------------------- inittab */

void etc_inittab(const struct kiln_config *c, struct strbuf *out)
{
	static const char *const order[] = { "sysinit", "wait", "once", "respawn" };

	strbuf_addf(out, "# /etc/inittab of %s, generated by kiln from its services.\n"
			 "# <tty>::<action>:<command> (busybox init)\n",
		    c->name.value);
	strbuf_adds(out, "::sysinit:/etc/kiln/sysinit\n");
	for (size_t a = 0; a < ARRAY_SIZE(order); a++) {
		for (size_t i = 0; i < c->nservices; i++) {
			const struct cfg_service *s = &c->services[i];
			if (strcmp(s->action ? s->action : "respawn", order[a]))
				continue;
			strbuf_addf(out, "%s::%s:%s\n", s->tty ? s->tty : "", order[a], s->command);
		}
		if (!strcmp(order[a], "wait"))
			strbuf_adds(out, "::wait:/etc/kiln/stage2-up\n");
	}
	strbuf_adds(out, "::ctrlaltdel:/sbin/reboot\n"
			 "::shutdown:/bin/sync\n"
			 "::shutdown:/bin/umount -a -r\n");
}

/* ------------------------------------------------------------- scripts */

static void gen_sysinit(const struct kiln_config *c, struct strbuf *sb)
{
	strbuf_adds(sb,
		"#!/bin/sh\n"
		"# Stage-2 system initialisation (busybox init runs it first), generated by kiln.\n"
		"# Stage 1 normally mounted these already; each mount is skipped if so.\n"
		"export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
		"# (Debian's busybox has no mountpoint applet: /proc/mounts, shell builtins only)\n"
		"ismnt() { while read -r _ d _; do [ \"$d\" = \"$1\" ] && return 0; done </proc/mounts; return 1; } 2>/dev/null\n"
		"m() { ismnt \"$3\" || { mkdir -p \"$3\"; mount -t \"$1\" -o \"$2\" \"$1\" \"$3\"; }; }\n"
		"m proc nosuid,nodev,noexec /proc\n"
		"m sysfs nosuid,nodev,noexec /sys\n"
		"m devtmpfs mode=0755,nosuid /dev\n"
		"m devpts mode=0620,gid=5,nosuid,noexec /dev/pts\n"
		"m tmpfs mode=1777,nosuid,nodev /dev/shm\n"
		"m tmpfs mode=0755,nosuid,nodev /run\n"
		"[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd\n"
		"mount -o remount,rw / 2>/dev/null\n"
		"m tmpfs mode=1777,nosuid,nodev /tmp\n"
		"mkdir -p /var/log /var/tmp /run/lock\n");
	if (c->has_data)
		strbuf_addf(sb, "ismnt %s || { mkdir -p %s; mount LABEL=%s %s; }\n",
			    c->data_mount, c->data_mount, c->data_label, c->data_mount);
	strbuf_adds(sb, "hostname -F /etc/hostname\n"
			"/etc/kiln/network-up\n"
			"exit 0\n");
}

static void gen_network(const struct kiln_config *c, struct strbuf *sb, bool *ret_dhcp)
{
	*ret_dhcp = false;
	strbuf_adds(sb, "#!/bin/sh\n"
			"# Brings up the configured interfaces (network.*), generated by kiln.\n"
			"export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
			"ip link set lo up\n");
	for (size_t i = 0; i < c->nifaces; i++) {
		const struct cfg_iface *f = &c->ifaces[i];
		strbuf_addf(sb, "# %s\nip link set %s up\n", f->name, f->name);
		if (f->dhcp) {
			*ret_dhcp = true;
			strbuf_addf(sb, "udhcpc -i %s -s /etc/kiln/udhcpc.script -b -t 3 -T 1 "
					">/dev/null 2>&1\n", f->name);
		}
		if (f->address)
			strbuf_addf(sb, "ip addr add %s dev %s\n", f->address, f->name);
		if (f->gateway)
			strbuf_addf(sb, "ip route add default via %s dev %s\n", f->gateway, f->name);
	}
	strbuf_adds(sb, "exit 0\n");
}

/* Static name servers of every interface, unique, in interface order. */
static void dns_lines(const struct kiln_config *c, struct strbuf *sb)
{
	struct strbuf seen = STRBUF_INIT;
	for (size_t i = 0; i < c->nifaces; i++)
		for (size_t k = 0; k < c->ifaces[i].dns.n; k++) {
			_cleanup_free_ char *key = xasprintf("\n%s\n", c->ifaces[i].dns.v[k].value);
			if (strstr(strbuf_str(&seen), key))
				continue;
			strbuf_adds(&seen, key);
			strbuf_addf(sb, "nameserver %s\n", c->ifaces[i].dns.v[k].value);
		}
	strbuf_release(&seen);
}

static void gen_udhcpc(const struct kiln_config *c, struct strbuf *sb)
{
	struct strbuf dns = STRBUF_INIT;
	dns_lines(c, &dns);
	strbuf_adds(sb,
		"#!/bin/sh\n"
		"# udhcpc event script, generated by kiln: configures $interface.\n"
		"export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
		"case \"$1\" in\n"
		"deconfig)\n"
		"\tip -4 addr flush dev \"$interface\"\n"
		"\tip link set \"$interface\" up ;;\n"
		"bound|renew)\n"
		"\tip -4 addr flush dev \"$interface\"\n"
		"\tip addr add \"$ip/${mask:-24}\" dev \"$interface\"\n"
		"\tfor r in $router; do ip route replace default via \"$r\" dev \"$interface\"; break; done\n"
		"\t{\n");
	if (dns.len) {
		strbuf_adds(sb, "\t\tcat <<'EOF'\n");
		strbuf_adds(sb, dns.buf);
		strbuf_adds(sb, "EOF\n");
	}
	strbuf_adds(sb,
		"\t\tfor d in $dns; do echo \"nameserver $d\"; done\n"
		"\t} >/run/resolv.conf ;;\n"
		"esac\n"
		"exit 0\n");
	strbuf_release(&dns);
}

static void gen_stage2_up(const struct kiln_config *c, struct strbuf *sb)
{
	strbuf_addf(sb,
		"#!/bin/sh\n"
		"# Prints the readiness marker once stage 2 is up, generated by kiln.\n"
		"# The generation: kiln.generation= from the kernel command line (the GRUB\n"
		"# entry booted), else the active profile link system -> system-N-link.\n"
		"gen=\n"
		"for w in $(cat /proc/cmdline 2>/dev/null); do\n"
		"\tcase \"$w\" in kiln.generation=*) gen=${w#kiln.generation=} ;; esac\n"
		"done\n"
		"if [ -z \"$gen\" ]; then\n"
		"\tl=$(readlink /kiln/var/profiles/system 2>/dev/null)\n"
		"\tl=${l##*/}; l=${l#system-}; gen=${l%%-link}\n"
		"fi\n"
		"echo \"kiln: %s generation ${gen:-unknown} up\"\n"
		"# end this boot's trial, or report a fallback (bootloader/grub.h)\n"
		"t=/run/current-system/sw/bin/kiln-generation\n"
		"[ ! -x $t ] || $t mark-good\n",
		c->name.value);
}

/* ---------------------------------------------------------- plain files */

static void gen_plain(const struct kiln_config *c, struct etc_tree *t)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s\n", c->hostname);
	set_sb(t, "hostname", &sb, 0644);

	strbuf_reset(&sb);
	strbuf_addf(&sb, "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n"
			 "::1\tlocalhost ip6-localhost ip6-loopback\n"
			 "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n", c->hostname);
	set_sb(t, "hosts", &sb, 0644);

	strbuf_reset(&sb);
	strbuf_adds(&sb, "# <device> <mount point> <type> <options> <dump> <pass>, generated by kiln\n"
			 "LABEL=kiln-root\t/\text4\trw,relatime\t0 1\n");
	if (c->has_data)
		strbuf_addf(&sb, "LABEL=%s\t%s\text4\trw,relatime\t0 2\n", c->data_label,
			    c->data_mount);
	strbuf_adds(&sb, "proc\t/proc\tproc\tnosuid,nodev,noexec\t0 0\n"
			 "sysfs\t/sys\tsysfs\tnosuid,nodev,noexec\t0 0\n"
			 "devpts\t/dev/pts\tdevpts\tmode=0620,gid=5,nosuid,noexec\t0 0\n"
			 "tmpfs\t/tmp\ttmpfs\tmode=1777,nosuid,nodev\t0 0\n");
	set_sb(t, "fstab", &sb, 0644);

	strbuf_reset(&sb);
	strbuf_adds(&sb, "managed by kiln\n");
	set_sb(t, "motd", &sb, 0644);

	strbuf_reset(&sb);
	strbuf_addf(&sb, "%s\n", c->timezone);
	set_sb(t, "timezone", &sb, 0644);

	strbuf_reset(&sb);
	strbuf_addf(&sb, "# generated by kiln\n"
			 "export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
			 "export TZ=%s\n"
			 "[ \"$(id -u)\" = 0 ] && PS1='\\h:\\w# ' || PS1='\\h:\\w$ '\n"
			 "export PS1\n"
			 "[ -r /etc/motd ] && cat /etc/motd\n", c->timezone);
	set_sb(t, "profile", &sb, 0644);

	strbuf_reset(&sb);
	strbuf_adds(&sb, "/bin/sh\n/bin/ash\n");
	for (size_t i = 0; i < c->nusers; i++) {
		_cleanup_free_ char *line = xasprintf("%s\n", c->users[i].shell);
		if (!strstr(sb.buf, line))
			strbuf_adds(&sb, line);
	}
	set_sb(t, "shells", &sb, 0644);
	strbuf_release(&sb);
}

static void gen_users_and_init(const struct kiln_config *c, struct etc_tree *t)
{
	struct strbuf passwd = STRBUF_INIT, group = STRBUF_INIT, shadow = STRBUF_INIT;
	struct strbuf sb = STRBUF_INIT;
	bool dhcp;

	etc_passwd(c, &passwd, &group, &shadow);
	set_sb(t, "passwd", &passwd, 0644);
	set_sb(t, "group", &group, 0644);
	set_sb(t, "shadow", &shadow, 0640);

	etc_inittab(c, &sb);
	set_sb(t, "inittab", &sb, 0644);
	strbuf_reset(&sb);
	gen_sysinit(c, &sb);
	set_sb(t, "kiln/sysinit", &sb, 0755);
	strbuf_reset(&sb);
	gen_stage2_up(c, &sb);
	set_sb(t, "kiln/stage2-up", &sb, 0755);
	strbuf_reset(&sb);
	gen_network(c, &sb, &dhcp);
	set_sb(t, "kiln/network-up", &sb, 0755);
	strbuf_reset(&sb);
	if (dhcp) {
		gen_udhcpc(c, &sb);
		set_sb(t, "kiln/udhcpc.script", &sb, 0755);
		etc_tree_set_symlink(t, "resolv.conf", "/run/resolv.conf");
	} else {
		dns_lines(c, &sb);
		if (sb.len)
			set_sb(t, "resolv.conf", &sb, 0644);
	}
	strbuf_release(&passwd);
	strbuf_release(&group);
	strbuf_release(&shadow);
	strbuf_release(&sb);
}

/* ------------------------------------------------------- files entries */

static int add_files(const struct kiln_config *c, struct etc_tree *t, struct strbuf *err)
{
	int ret = 0;

	for (size_t i = 0; i < c->nfiles; i++) {
		const struct cfg_file *f = &c->files[i];
		struct strbuf data = STRBUF_INIT;
		int r;

		if (strncmp(f->path, "/etc/", 5) || !f->path[5]) {
			strbuf_addf(err, "%s%s:%d: files[%zu].path: %s: only files under /etc/ "
				    "can be placed (the rest of the root is not part of the system)",
				    err->len ? "\n" : "", f->loc.file, f->loc.line, i, f->path);
			ret = -1;
			continue;
		}
		if (f->text)
			strbuf_adds(&data, f->text);
		else if ((r = read_file(f->source, &data)) < 0) {
			strbuf_addf(err, "%s%s:%d: files[%zu].source: cannot read %s: %s",
				    err->len ? "\n" : "", f->loc.file, f->loc.line, i, f->source,
				    strerror(-r));
			ret = -1;
		}
		if (ret == 0)
			etc_tree_set_file(t, f->path + 5, data.buf ? data.buf : "", data.len,
					  f->mode);
		strbuf_release(&data);
	}
	return ret;
}

/* A files entry at "kiln" would hide kiln/sysinit: no entry may be a
 * directory of another. (Sorted paths: a parent sorts right before its
 * "parent/…" children, possibly with siblings like "parent-x" between.) */
static int check_prefixes(const struct kiln_config *c, const struct etc_tree *t,
			  struct strbuf *err)
{
	for (size_t i = 0; i < t->n; i++) {
		size_t len = strlen(t->v[i].path);
		for (size_t j = i + 1; j < t->n && !strncmp(t->v[j].path, t->v[i].path, len); j++) {
			if (t->v[j].path[len] != '/')
				continue;
			strbuf_addf(err, "%s%s: files: /etc/%s is a file but /etc/%s needs it to be a "
				    "directory", err->len ? "\n" : "", c->path, t->v[i].path,
				    t->v[j].path);
			return -1;
		}
	}
	return 0;
}

int etc_generate(const struct kiln_config *c, struct etc_tree *ret, struct strbuf *err)
{
	struct etc_tree t = ETC_TREE_INIT;
	int r;

	gen_plain(c, &t);
	gen_users_and_init(c, &t);
	r = add_files(c, &t, err);
	if (r == 0)
		r = check_prefixes(c, &t, err);
	if (r < 0) {
		etc_tree_release(&t);
		*ret = (struct etc_tree)ETC_TREE_INIT;
		return -1;
	}
	*ret = t;
	return 0;
}

void etc_add_os_release(const struct kiln_config *c, struct etc_tree *t, const char *build_id)
{
	struct strbuf sb = STRBUF_INIT;

	if (etc_tree_find(t, "os-release"))
		return;
	strbuf_addf(&sb, "NAME=\"kiln\"\nID=kiln\nVERSION_ID=\"%s\"\n"
			 "PRETTY_NAME=\"kiln %s (%s)\"\nVARIANT_ID=%s\nBUILD_ID=%s\n",
		    KILN_OS_VERSION, KILN_OS_VERSION, c->name.value, c->name.value,
		    build_id ? build_id : "unknown");
	set_sb(t, "os-release", &sb, 0644);
	strbuf_release(&sb);
}

/* ------------------------------------------------- hash, write, modes */

void etc_tree_hash(const struct etc_tree *t, uint8_t ret[SHA256_LEN])
{
	struct sha256_ctx ctx;
	char head[64];

	sha256_init(&ctx);
	sha256_update(&ctx, "kiln-etc 1\n", 11);
	for (size_t i = 0; i < t->n; i++) {
		const struct etc_entry *e = &t->v[i];
		int n = snprintf(head, sizeof(head), "%c %o %zu ",
				 e->type == ETC_FILE ? 'f' : 'l', (unsigned)e->mode, e->len);
		sha256_update(&ctx, head, (size_t)n);
		sha256_update(&ctx, e->path, strlen(e->path) + 1);
		sha256_update(&ctx, e->data, e->len);
	}
	sha256_final(&ctx, ret);
}

static int write_one(const char *dir, const struct etc_entry *e)
{
	_cleanup_free_ char *path = path_join(dir, e->path);
	_cleanup_free_ char *parent = xstrdup(path);
	_cleanup_close_ int fd = -1;
	int r;

	*strrchr(parent, '/') = '\0';
	r = mkdir_p(parent, 0755);
	if (r < 0)
		return r;
	if (e->type == ETC_SYMLINK)
		return symlink(e->data, path) < 0 ? -errno : 0;
	/* the store keeps the owner x bit only; 0700 keeps it and stays writable */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (e->mode & 0100) ? 0755 : 0644);
	if (fd < 0)
		return -errno;
	return write_full(fd, e->data, e->len);
}

int etc_tree_write(const struct etc_tree *t, const char *dir)
{
	if (mkdir(dir, 0755) < 0)
		return -errno;
	for (size_t i = 0; i < t->n; i++) {
		int r = write_one(dir, &t->v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

void etc_tree_modes(const struct etc_tree *t, struct strbuf *out)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct etc_entry *e = &t->v[i];
		mode_t stored = (e->mode & 0100) ? 0555 : 0444;
		/* write bits do not matter (the store is read-only anyway) */
		if (e->type == ETC_FILE && (e->mode & ~(mode_t)0222) != stored)
			strbuf_addf(out, "%04o /etc/%s\n", (unsigned)e->mode, e->path);
	}
}
