/*
 * harness — kiln's QEMU test runner (toybox's testroot idea): a scenario is a
 * small data file of steps; the guest prints markers on its serial console and
 * the harness waits for them under a deadline. A scenario that hangs fails
 * with the console's tail, never with a CI timeout.
 *
 *   harness SCENARIO...      ends with "N passed, N failed, N skipped"
 *
 * Scenario steps, one per line ("#" comments; $VARS expand through sh):
 *   name TEXT          what the scenario shows
 *   needs CMD          skip the scenario (saying why) when CMD is not on PATH
 *   timeout SECONDS    deadline of each boot, from its start (default 240)
 *   setup SHELL        host command in the scenario's scratch dir; must exit 0
 *   check SHELL        same, used for host-side assertions after a boot
 *   boot SHELL         starts the VM (its stdin/stdout are the serial console)
 *   expect TEXT        waits until TEXT appears after the last match
 *   expect-re ERE      waits until a complete console line matches ERE
 *   send TEXT          types TEXT and Enter; later matches start after its echo
 *   reject TEXT        from now on, TEXT anywhere on the console fails the boot
 *   event NAME [K=V..] waits for a KILN-EVENT line (lib/events.h) whose event is
 *                      NAME and whose fields K match the glob patterns V; a
 *                      "failed" event while waiting for another one fails the
 *                      scenario with its reason (and "done" when NAME is failed)
 *   exit               waits until the VM exits by itself (poweroff)
 *   kill               kills the VM now (a power cut)
 *
 * Environment of every command: SRC, BUILD, KILN, SCRATCH (the scenario's own
 * directory, also the cwd), KILN_STATE_DIR and KILN_CACHE_DIR as given.
 */
#include "compat.h"
#include "strbuf.h"
#include "fsutil.h"
#include "events.h"

#include <fnmatch.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define DEFAULT_TIMEOUT 240

struct vm {
	pid_t pid;
	int in_fd, out_fd;
	bool exited;
	int status;
	struct strbuf console;   /* everything the VM printed, \r removed */
	size_t pos;              /* matches start here */
	FILE *log;
	struct strbuf rejects;   /* NUL-separated list */
	double deadline;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void vm_reset(struct vm *vm)
{
	strbuf_release(&vm->console);
	strbuf_release(&vm->rejects);
	memset(vm, 0, sizeof(*vm));
	vm->pid = -1;
	vm->in_fd = vm->out_fd = -1;
}

static int run_shell(const char *cmd, const char *dir, int timeout)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(127);
		setpgid(0, 0);
		/* host commands talk to commands.log; a failure shows its tail */
		int log = open("commands.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}
		alarm(timeout);
		execl("/bin/sh", "sh", "-ec", cmd, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int vm_start(struct vm *vm, const char *cmd, const char *dir, int timeout)
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	vm->pid = fork();
	if (vm->pid < 0)
		return -errno;
	if (vm->pid == 0) {
		setpgid(0, 0);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		if (chdir(dir) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(vm->pid, vm->pid);
	close(in[0]);
	close(out[1]);
	vm->in_fd = in[1];
	vm->out_fd = out[0];
	vm->exited = false;
	vm->deadline = now() + timeout;
	return 0;
}

static void vm_kill(struct vm *vm)
{
	if (vm->pid > 0 && !vm->exited) {
		kill(-vm->pid, SIGKILL);
		kill(vm->pid, SIGKILL);
		waitpid(vm->pid, &vm->status, 0);
		vm->exited = true;
	}
	if (vm->in_fd >= 0)
		close(vm->in_fd);
	if (vm->out_fd >= 0)
		close(vm->out_fd);
	vm->in_fd = vm->out_fd = -1;
}

/* Reads what the VM printed for up to `wait` seconds; false once it exited. */
static bool vm_pump(struct vm *vm, double wait)
{
	char buf[4096];
	struct pollfd p = { .fd = vm->out_fd, .events = POLLIN };
	int n;

	if (vm->out_fd < 0)
		return false;
	n = poll(&p, 1, (int)(wait * 1000));
	if (n > 0) {
		ssize_t r = read(vm->out_fd, buf, sizeof(buf));
		if (r > 0) {
			for (ssize_t i = 0; i < r; i++)
				if (buf[i] != '\r' && buf[i] != '\0')
					strbuf_addch(&vm->console, buf[i]);
			if (vm->log) {
				fwrite(buf, 1, r, vm->log);
				fflush(vm->log);
			}
			return true;
		}
		/* EOF: the VM is gone */
		close(vm->out_fd);
		vm->out_fd = -1;
		waitpid(vm->pid, &vm->status, 0);
		vm->exited = true;
		return false;
	}
	return true;
}

static const char *vm_rejected(struct vm *vm)
{
	for (size_t off = 0; off < vm->rejects.len; off += strlen(vm->rejects.buf + off) + 1)
		if (strstr(strbuf_str(&vm->console), vm->rejects.buf + off))
			return vm->rejects.buf + off;
	return NULL;
}

/* Waits for text (or ERE when re != NULL) after vm->pos. */
static int vm_expect(struct vm *vm, const char *text, regex_t *re, struct strbuf *why)
{
	for (;;) {
		const char *base = strbuf_str(&vm->console);
		const char *rej = vm_rejected(vm);
		if (rej) {
			strbuf_addf(why, "console printed rejected text \"%s\"", rej);
			return -1;
		}
		if (re) {
			const char *s = base + vm->pos;
			for (const char *l = s; l < base + vm->console.len;) {
				const char *nl = memchr(l, '\n', base + vm->console.len - l);
				if (!nl)
					break;
				char *line = xstrndup(l, nl - l);
				bool m = regexec(re, line, 0, NULL, 0) == 0;
				free(line);
				if (m) {
					vm->pos = nl + 1 - base;
					return 0;
				}
				l = nl + 1;
			}
		} else {
			const char *hit = strstr(base + vm->pos, text);
			if (hit) {
				vm->pos = hit + strlen(text) - base;
				return 0;
			}
		}
		if (vm->exited) {
			strbuf_addf(why, "VM exited before printing \"%s\"", text);
			return -1;
		}
		if (now() > vm->deadline) {
			strbuf_addf(why, "timed out waiting for \"%s\"", text);
			return -1;
		}
		vm_pump(vm, 0.2);
	}
}

/* Does the parsed event match "NAME K=V ..." (V a glob)? -1 with a reason
 * in why when it contradicts what is awaited (failed vs done). */
static int event_matches(const struct event_parsed *e, const char *spec, struct strbuf *why)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL, *name = strtok_r(copy, " \t", &save);
	const char *got = event_get(e, "event");

	if (strcmp(got, name)) {
		if (!strcmp(got, "failed") || (!strcmp(name, "failed") && !strcmp(got, "done"))) {
			const char *reason = event_get(e, "reason");
			strbuf_addf(why, "the guest reported %s%s%s while %s was awaited", got,
				    reason ? ": " : "", reason ? reason : "", name);
			return -1;
		}
		return 0;
	}
	for (char *kv = strtok_r(NULL, " \t", &save); kv; kv = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		const char *v = event_get(e, kv);
		if (!v || (eq && fnmatch(eq + 1, v, 0) != 0))
			return 0;
	}
	return 1;
}

/* Waits for a KILN-EVENT line matching spec after vm->pos. */
static int vm_expect_event(struct vm *vm, const char *spec, struct strbuf *why)
{
	for (;;) {
		const char *base = strbuf_str(&vm->console);
		for (const char *l = base + vm->pos; l < base + vm->console.len;) {
			const char *nl = memchr(l, '\n', base + vm->console.len - l);
			if (!nl)
				break;
			_cleanup_free_ char *line = xstrndup(l, nl - l);
			struct event_parsed e;
			vm->pos = nl + 1 - base;
			l = nl + 1;
			int r = event_parse(line, &e);
			if (r == -ENOENT)
				continue;
			if (r < 0) {
				strbuf_addf(why, "malformed event line: %s", line);
				return -1;
			}
			int m = event_matches(&e, spec, why);
			event_parsed_release(&e);
			if (m != 0)
				return m > 0 ? 0 : -1;
		}
		const char *rej = vm_rejected(vm);
		if (rej) {
			strbuf_addf(why, "console printed rejected text \"%s\"", rej);
			return -1;
		}
		if (vm->exited) {
			strbuf_addf(why, "VM exited before the event %s", spec);
			return -1;
		}
		if (now() > vm->deadline) {
			strbuf_addf(why, "timed out waiting for the event %s", spec);
			return -1;
		}
		vm_pump(vm, 0.2);
	}
}

static int vm_send(struct vm *vm, const char *text, struct strbuf *why)
{
	struct strbuf line = STRBUF_INIT;
	int r;

	strbuf_addf(&line, "%s\n", text);
	r = write_full(vm->in_fd, line.buf, line.len);
	strbuf_release(&line);
	if (r < 0) {
		strbuf_addf(why, "cannot type \"%s\": the VM is gone", text);
		return -1;
	}
	/* skip the shell's echo of the command so answers are matched after it */
	double until = now() + 10;
	while (now() < until && !vm->exited) {
		const char *base = strbuf_str(&vm->console);
		const char *hit = strstr(base + vm->pos, text);
		if (hit) {
			const char *nl = strchr(hit, '\n');
			if (nl) {
				vm->pos = nl + 1 - base;
				return 0;
			}
		}
		vm_pump(vm, 0.1);
	}
	return 0;
}

static int vm_wait_exit(struct vm *vm, struct strbuf *why)
{
	while (!vm->exited) {
		if (now() > vm->deadline) {
			strbuf_addf(why, "timed out waiting for the VM to power off");
			return -1;
		}
		vm_pump(vm, 0.2);
	}
	const char *rej = vm_rejected(vm);
	if (rej) {
		strbuf_addf(why, "console printed rejected text \"%s\"", rej);
		return -1;
	}
	return 0;
}

static void print_tail(const struct strbuf *console, int lines)
{
	const char *s = strbuf_str(console);
	const char *p = s + console->len;
	int n = 0;
	while (p > s && n <= lines)
		if (*--p == '\n')
			n++;
	if (p > s)
		p++;
	printf("    --- console tail ---\n");
	for (const char *l = p; *l;) {
		const char *nl = strchr(l, '\n');
		int len = nl ? (int)(nl - l) : (int)strlen(l);
		printf("    | %.*s\n", len, l);
		l += len + (nl ? 1 : 0);
	}
	printf("    --- end ---\n");
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static bool have_command(const char *cmd)
{
	_cleanup_free_ char *q = xasprintf("command -v '%s' >/dev/null 2>&1", cmd);
	return system(q) == 0;
}

enum result { PASS, FAIL, SKIP };

/* Runs one step; returns 0 to go on, -1 on failure (reason in why). */
static int run_step(struct vm *vm, const char *kw, const char *arg, const char *dir,
		    int timeout, struct strbuf *why)
{
	if (!strcmp(kw, "setup") || !strcmp(kw, "check")) {
		int rc = run_shell(arg, dir, 1200);
		if (rc != 0) {
			struct strbuf out = STRBUF_INIT;
			_cleanup_free_ char *log = path_join(dir, "commands.log");
			read_file(log, &out);
			size_t from = out.len > 1500 ? out.len - 1500 : 0;
			strbuf_addf(why, "%s command failed (exit %d): %s\n    --- its output (tail) ---\n%s",
				    kw, rc, arg, out.len ? out.buf + from : "(none)\n");
			strbuf_release(&out);
			return -1;
		}
		return 0;
	}
	if (!strcmp(kw, "boot")) {
		vm_kill(vm);
		vm->pos = vm->console.len;
		if (vm_start(vm, arg, dir, timeout) < 0) {
			strbuf_addf(why, "cannot start: %s", arg);
			return -1;
		}
		return 0;
	}
	if (vm->pid <= 0) {
		strbuf_addf(why, "step '%s' before any boot", kw);
		return -1;
	}
	if (!strcmp(kw, "expect"))
		return vm_expect(vm, arg, NULL, why);
	if (!strcmp(kw, "expect-re")) {
		regex_t re;
		if (regcomp(&re, arg, REG_EXTENDED | REG_NOSUB) != 0) {
			strbuf_addf(why, "bad regular expression: %s", arg);
			return -1;
		}
		int r = vm_expect(vm, arg, &re, why);
		regfree(&re);
		return r;
	}
	if (!strcmp(kw, "event"))
		return vm_expect_event(vm, arg, why);
	if (!strcmp(kw, "send"))
		return vm_send(vm, arg, why);
	if (!strcmp(kw, "reject")) {
		strbuf_add(&vm->rejects, arg, strlen(arg) + 1);
		return 0;
	}
	if (!strcmp(kw, "exit"))
		return vm_wait_exit(vm, why);
	if (!strcmp(kw, "kill")) {
		vm_kill(vm);
		return 0;
	}
	strbuf_addf(why, "unknown step '%s'", kw);
	return -1;
}

static enum result run_scenario(const char *file, const char *workdir)
{
	FILE *f = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0;
	struct vm vm = { .pid = -1, .in_fd = -1, .out_fd = -1 };
	struct strbuf why = STRBUF_INIT, name = STRBUF_INIT;
	int timeout = DEFAULT_TIMEOUT, lineno = 0;
	enum result res = PASS;
	double start = now();
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	_cleanup_free_ char *dir = xasprintf("%s/%s", workdir, base);
	_cleanup_free_ char *logpath = NULL;

	if (!f) {
		printf("FAIL %s: cannot open: %s\n", base, strerror(errno));
		return FAIL;
	}
	rm_rf(dir);
	mkdir_p(dir, 0755);
	setenv("SCRATCH", dir, 1);
	logpath = xasprintf("%s/console.log", dir);

	while (res == PASS && getline(&line, &cap, f) > 0) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *sp = s + strcspn(s, " \t");
		char *arg = *sp ? trim(sp + 1) : sp;
		*sp = '\0';
		if (!strcmp(s, "name")) {
			strbuf_reset(&name);
			strbuf_adds(&name, arg);
		} else if (!strcmp(s, "timeout")) {
			if (parse_int(arg, &timeout) < 0 || timeout <= 0) {
				strbuf_addf(&why, "%s:%d: bad timeout", file, lineno);
				res = FAIL;
			}
		} else if (!strcmp(s, "needs")) {
			if (!have_command(arg)) {
				strbuf_addf(&why, "needs %s, which is not installed", arg);
				res = SKIP;
			}
		} else {
			if (!vm.log && !strcmp(s, "boot"))
				vm.log = fopen(logpath, "we");
			if (run_step(&vm, s, arg, dir, timeout, &why) < 0) {
				strbuf_addf(&why, " (%s:%d)", base, lineno);
				res = FAIL;
			}
		}
	}
	vm_kill(&vm);
	const char *label = name.len ? name.buf : base;
	if (res == PASS)
		printf("PASS %s: %s (%.1fs)\n", base, label, now() - start);
	else if (res == SKIP)
		printf("SKIP %s: %s\n", base, why.buf);
	else {
		printf("FAIL %s: %s: %s\n", base, label, why.buf);
		print_tail(&vm.console, 30);
	}
	fflush(stdout);
	if (vm.log)
		fclose(vm.log);
	fclose(f);
	free(line);
	strbuf_release(&why);
	strbuf_release(&name);
	vm_reset(&vm);
	return res;
}

int main(int argc, char **argv)
{
	int counts[3] = { 0, 0, 0 };
	const char *workdir = getenv("QEMU_TESTS_DIR");

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!workdir)
		workdir = "/tmp/kiln-qemu-tests";
	mkdir_p(workdir, 0755);
	for (int i = 1; i < argc; i++)
		counts[run_scenario(argv[i], workdir)]++;
	printf("%d passed, %d failed, %d skipped\n", counts[PASS], counts[FAIL], counts[SKIP]);
	return counts[FAIL] ? 1 : 0;
}
