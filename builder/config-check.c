/*
 * config-check.c — checks of single configuration values (config-check.h).
 * They are deliberately strict: what passes here ends up in /etc/passwd,
 * inittab lines, kernel command lines and file names.
 */
#include "config-check.h"

#include <arpa/inet.h>

static bool all_in(const char *s, const char *extra)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			  (extra && strchr(extra, ch));
		if (!ok)
			return false;
	}
	return true;
}

static bool no_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool label_ok(const char *s, size_t len)
{
	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
	}
	return true;
}

static bool is_hostname_label(const char *s) { return label_ok(s, strlen(s)); }

static bool is_hostname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	for (const char *p = s;;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (!label_ok(p, l))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

/* Components separated by single '/', none "." or "..". */
static bool clean_components(const char *s)
{
	for (const char *p = s;;) {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

static bool is_timezone(const char *s)
{
	size_t len = strlen(s);
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("/_+-", *p)))
			return false;
	return len > 0 && len <= 64 && clean_components(s);
}

/* Debian policy 5.6.1: lower case letters, digits, + - . ; at least two
 * characters; starts with a letter or digit. */
static bool is_package(const char *s)
{
	return strlen(s) >= 2 && strlen(s) <= 128 && all_in(s, "+-.") &&
	       ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'));
}

static bool is_param(const char *s)
{
	return *s && strlen(s) <= 1024 && no_control(s) && !strchr(s, ' ');
}

static bool is_module(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return *s && strlen(s) <= 64;
}

static bool is_unix_name(const char *s)
{
	size_t len = strlen(s);
	return len > 0 && len <= 32 && ((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_') &&
	       all_in(s, "_-");
}

static bool is_abs_path(const char *s)
{
	if (s[0] != '/' || strlen(s) > 1024 || !no_control(s))
		return false;
	return !s[1] || clean_components(s + 1);
}

static bool is_file_path(const char *s) { return is_abs_path(s) && s[1]; }
static bool is_mount(const char *s) { return is_abs_path(s); }
static bool is_gecos(const char *s) { return no_control(s) && !strchr(s, ':') && strlen(s) <= 256; }
static bool is_line(const char *s) { return *s && no_control(s); }
static bool is_nonempty(const char *s) { return *s; }
static bool is_command(const char *s) { return s[0] == '/' && no_control(s) && strlen(s) <= 4096; }

static bool is_iface(const char *s)
{
	size_t len = strlen(s);
	return len > 0 && len <= 15 && strcmp(s, ".") && strcmp(s, "..") &&
	       all_in(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-");
}

static bool is_service(const char *s)
{
	return *s && strlen(s) <= 64 && all_in(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-");
}

static bool is_tty(const char *s)
{
	return *s && strlen(s) <= 32 && all_in(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-");
}

static bool is_ipv4(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1;
}

static bool is_ipv4_cidr(const char *s)
{
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	char *end;
	long bits;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) || !(slash[1] >= '0' && slash[1] <= '9'))
		return false;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	return is_ipv4(addr) && !errno && !*end && bits >= 0 && bits <= 32;
}

static bool is_ip(const char *s)
{
	struct in6_addr a;
	return is_ipv4(s) || inet_pton(AF_INET6, s, &a) == 1;
}

static bool is_mode(const char *s)
{
	size_t len = strlen(s);
	if (len < 3 || len > 4)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '7')
			return false;
	return true;
}

static bool is_fs_label(const char *s)
{
	return *s && strlen(s) <= 16 && all_in(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-");
}

const struct check check_hostname_label = { is_hostname_label,
	"a valid host name (a-z, 0-9 and '-', at most 63 characters, no '-' at either end)" };
const struct check check_hostname = { is_hostname,
	"a valid host name (labels of a-z, 0-9 and '-' separated by '.')" };
const struct check check_timezone = { is_timezone, "a time zone name like \"UTC\" or \"Europe/Paris\"" };
const struct check check_package = { is_package,
	"a Debian package name (a-z, 0-9, '+', '-', '.'; at least two characters)" };
const struct check check_param = { is_param, "one kernel parameter (no spaces or control characters)" };
const struct check check_module = { is_module, "a kernel module name" };
const struct check check_unix_name = { is_unix_name,
	"a valid user or group name (a-z, 0-9, '_' and '-', starting with a letter or '_', at most 32)" };
const struct check check_abs_path = { is_abs_path, "an absolute path without \".\" or \"..\" components" };
const struct check check_file_path = { is_file_path,
	"an absolute file path without \".\" or \"..\" components" };
const struct check check_mount = { is_mount, "an absolute path without \".\" or \"..\" components" };
const struct check check_gecos = { is_gecos, "a description without ':' or control characters" };
const struct check check_line = { is_line, "a non-empty single line" };
const struct check check_nonempty = { is_nonempty, "a non-empty string" };
const struct check check_command = { is_command,
	"an absolute command line (starting with '/', one line)" };
const struct check check_iface = { is_iface, "a network interface name (at most 15 characters)" };
const struct check check_service = { is_service, "a service name (letters, digits, '_' and '-')" };
const struct check check_tty = { is_tty, "a console device name like \"ttyS0\" or \"console\"" };
const struct check check_ipv4 = { is_ipv4, "an IPv4 address (a.b.c.d)" };
const struct check check_ipv4_cidr = { is_ipv4_cidr, "an IPv4 address with a prefix length (a.b.c.d/n)" };
const struct check check_ip = { is_ip, "an IP address" };
const struct check check_mode = { is_mode, "an octal file mode like \"0644\"" };
const struct check check_fs_label = { is_fs_label,
	"a file-system label (at most 16 letters, digits, '_' or '-')" };
