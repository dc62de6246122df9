#include "grub.h"
#include "fsutil.h"
#include "generation.h"

#include <sys/wait.h>

static const char *const platform_names[] = {
	[GRUB_I386_PC] = "i386-pc",
	[GRUB_X86_64_EFI] = "x86_64-efi",
	[GRUB_ARM64_EFI] = "arm64-efi",
};

const char *grub_platform_name(enum grub_platform p)
{
	return platform_names[p];
}

const char *grub_efi_filename(enum grub_platform p)
{
	switch (p) {
	case GRUB_X86_64_EFI: return "BOOTX64.EFI";
	case GRUB_ARM64_EFI: return "BOOTAA64.EFI";
	default: return NULL;
	}
}

void grub_early_config(enum grub_platform p, struct strbuf *out)
{
	grub_early_config_label(p, NULL, out);
}

void grub_early_config_label(enum grub_platform p, const char *root_label, struct strbuf *out)
{
	/* The serial console must be set up before anything prints: under BIOS,
	 * GRUB otherwise only draws on the VGA screen. aarch64 virt has no
	 * 16550 UART: EFI's console already goes to the PL011, so no serial there. */
	if (p != GRUB_ARM64_EFI)
		strbuf_addf(out, "serial --unit=0 --speed=115200\n"
				 "terminal_input serial console\n"
				 "terminal_output serial console\n");
	strbuf_addf(out, "search --no-floppy --label --set=root %s\n"
			 "set prefix=($root)/boot/grub\n", root_label ? root_label : GRUB_ROOT_LABEL);
}

/* Modules embedded in every core image; nothing is loaded from disk later. */
static const char *const common_modules[] = {
	"part_gpt", "ext2", "search", "search_label", "normal", "linux", "echo",
	"test", "loadenv", "configfile", "terminal", "sleep", "reboot", "halt",
};
static const char *const pc_modules[] = { "biosdisk", "serial", "linux16" };
static const char *const x86_64_efi_modules[] = { "fat", "part_msdos", "serial", "efi_gop" };
static const char *const arm64_efi_modules[] = { "fat", "part_msdos", "efi_gop" };

size_t grub_core_modules(enum grub_platform p, const char **ret, size_t max)
{
	const char *const *extra = p == GRUB_I386_PC ? pc_modules :
				   p == GRUB_X86_64_EFI ? x86_64_efi_modules : arm64_efi_modules;
	size_t nextra = p == GRUB_I386_PC ? ARRAY_SIZE(pc_modules) :
			p == GRUB_X86_64_EFI ? ARRAY_SIZE(x86_64_efi_modules) :
			ARRAY_SIZE(arm64_efi_modules);
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(common_modules) && n < max; i++)
		ret[n++] = common_modules[i];
	for (size_t i = 0; i < nextra && n < max; i++)
		ret[n++] = extra[i];
	return n;
}

static int run_argv(char **argv, struct strbuf *err)
{
	int pipefd[2], status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	struct strbuf out = STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0)
		strbuf_add(&out, buf, n);
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0) {
		strbuf_release(&out);
		return -errno;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		strbuf_addf(err, "%s failed (%s%d): %s", argv[0],
			    WIFEXITED(status) ? "exit " : "signal ",
			    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			    out.len ? out.buf : "no output");
		strbuf_release(&out);
		return -1;
	}
	strbuf_release(&out);
	return 0;
}

int grub_make_core(enum grub_platform p, const char *grub_lib_dir, const char *out_path,
		   struct strbuf *err)
{
	return grub_make_core_label(p, NULL, grub_lib_dir, out_path, err);
}

int grub_make_core_label(enum grub_platform p, const char *root_label, const char *grub_lib_dir,
			 const char *out_path, struct strbuf *err)
{
	_cleanup_free_ char *moddir = path_join(grub_lib_dir, grub_platform_name(p));
	_cleanup_free_ char *cfg_path = xasprintf("%s.early.cfg", out_path);
	struct strbuf cfg = STRBUF_INIT;
	char *argv[64];
	size_t n = 0;
	int r;

	if (access(moddir, R_OK) < 0) {
		strbuf_addf(err, "GRUB modules for %s not found in %s", grub_platform_name(p), moddir);
		return -1;
	}
	grub_early_config_label(p, root_label, &cfg);
	r = write_file_atomic(cfg_path, cfg.buf, cfg.len, 0644);
	strbuf_release(&cfg);
	if (r < 0) {
		strbuf_addf(err, "cannot write %s: %s", cfg_path, strerror(-r));
		return -1;
	}
	argv[n++] = "grub-mkimage";
	argv[n++] = "-O";
	argv[n++] = (char *)grub_platform_name(p);
	argv[n++] = "-d";
	argv[n++] = moddir;
	argv[n++] = "-c";
	argv[n++] = cfg_path;
	argv[n++] = "-p";
	argv[n++] = "/boot/grub";
	argv[n++] = "-o";
	argv[n++] = (char *)out_path;
	const char *modules[GRUB_MAX_CORE_MODULES];
	size_t nmod = grub_core_modules(p, modules, ARRAY_SIZE(modules));
	for (size_t i = 0; i < nmod; i++)
		argv[n++] = (char *)modules[i];
	argv[n] = NULL;
	r = run_argv(argv, err);
	unlink(cfg_path);
	return r;
}

/* grub.cfg words are quoted with single quotes; a ' inside becomes '\'' */
static void add_quoted(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_adds(out, "'\\''");
		else
			strbuf_addch(out, *s);
	}
	strbuf_addch(out, '\'');
}

/* The boot-once and boot-counting script (the state machine in grub.h). */
static void add_bootenv_script(struct strbuf *out, const struct grub_cfg_opts *o)
{
	int tries = o->tries < 1 ? 1 : o->tries > 9 ? 9 : o->tries;

	/* menu entries see only exported variables */
	strbuf_adds(out, "set kiln_extra=\nexport kiln_extra\n"
			 "if [ -s \"$prefix/grubenv\" ]; then\n"
			 "\tload_env kiln_once kiln_tries_gen kiln_tries kiln_ok\n"
			 "\tif [ -n \"$kiln_once\" ]; then\n"
			 "\t\tset default=\"$kiln_once\"\n"
			 "\t\tset kiln_once=\n"
			 "\t\tsave_env kiln_once\n");
	if (o->trial_gen > 0 && o->good_gen > 0) {
		strbuf_addf(out, "\telif [ \"$kiln_ok\" != 'gen-%d' ]; then\n"
				 "\t\tif [ \"$kiln_tries_gen\" != 'gen-%d' ]; then\n"
				 "\t\t\tset kiln_tries_gen='gen-%d'\n"
				 "\t\t\tset kiln_tries=%d\n"
				 "\t\tfi\n",
			    o->trial_gen, o->trial_gen, o->trial_gen, tries);
		for (int t = tries; t >= 1; t--)
			strbuf_addf(out, "\t\t%s [ \"$kiln_tries\" = %d ]; then\n"
					 "\t\t\tset kiln_tries=%d\n",
				    t == tries ? "if" : "elif", t, t - 1);
		strbuf_addf(out, "\t\telse\n"
				 "\t\t\tset kiln_tries=0\n"
				 "\t\t\tset default='gen-%d'\n"
				 "\t\t\tset kiln_extra='kiln.fallback=%d'\n"
				 "\t\tfi\n"
				 "\t\tsave_env kiln_tries_gen kiln_tries\n",
			    o->good_gen, o->trial_gen);
	}
	strbuf_adds(out, "\tfi\nfi\n");
}

/*
 * The kernel and initrd lines of one entry, for one loader: "\t\tlinux16 …"
 * under BIOS, "\t\tlinux …" elsewhere. indent is the entry's indentation.
 */
static void add_boot_lines(struct strbuf *out, const char *indent, const char *linux_cmd,
			   const char *initrd_cmd, const struct grub_entry *e,
			   const struct grub_cfg_opts *o)
{
	strbuf_addf(out, "%s%s ", indent, linux_cmd);
	add_quoted(out, e->kernel);
	strbuf_addf(out, " root=LABEL=%s kiln.system=%s kiln.generation=%d",
		    GRUB_ROOT_LABEL, e->system, e->generation);
	if (e->params && *e->params)
		strbuf_addf(out, " %s", e->params);
	if (o->bootenv)
		strbuf_adds(out, " $kiln_extra");
	strbuf_addf(out, "\n%s%s ", indent, initrd_cmd);
	add_quoted(out, e->initrd);
	strbuf_addch(out, '\n');
}

void grub_cfg_generate(const struct grub_entry *entries, size_t n,
		       const struct grub_cfg_opts *o, struct strbuf *out)
{
	strbuf_adds(out, "# generated by kiln: one entry per generation, newest first\n");
	/* arm64-efi has no serial module (EFI's console is the serial line
	 * there): without the guard every aarch64 boot printed three errors. */
	if (o->serial)
		strbuf_adds(out, "if [ \"$grub_cpu\" != arm64 ]; then\n"
				 "\tserial --unit=0 --speed=115200\n"
				 "\tterminal_input serial console\n"
				 "\tterminal_output serial console\n"
				 "fi\n");
	strbuf_addf(out, "set timeout=%d\nset default=0\n", o->timeout);
	if (o->default_gen > 0)
		strbuf_addf(out, "set default='gen-%d'\n", o->default_gen);
	if (o->bootenv)
		add_bootenv_script(out, o);
	for (size_t i = 0; i < n; i++) {
		const struct grub_entry *e = &entries[i];
		struct strbuf title = STRBUF_INIT;
		strbuf_addf(&title, "kiln %s generation %d", e->name, e->generation);
		strbuf_adds(out, "\nmenuentry ");
		add_quoted(out, title.buf);
		strbuf_addf(out, " --id gen-%d {\n", e->generation);
		/*
		 * One grub.cfg serves BIOS and UEFI. Under BIOS, GRUB's `linux`
		 * (32-bit protocol) reserves the kernel's whole init_size (51 MiB
		 * for Debian's cloud kernel) at 16 MiB, cannot get it in place and
		 * its relocator moves it there at boot: the guest, sampled through
		 * QEMU's monitor, sat on one instruction of the relocator for
		 * 2-3 s under TCG.
		 * `linux16` (the 16-bit protocol QEMU's -kernel uses too) loads
		 * the file where it runs, at 1 MiB.
		 */
		strbuf_adds(out, "\tif [ \"$grub_platform\" = pc ]; then\n");
		add_boot_lines(out, "\t\t", "linux16", "initrd16", e, o);
		strbuf_adds(out, "\telse\n");
		add_boot_lines(out, "\t\t", "linux", "initrd", e, o);
		strbuf_adds(out, "\tfi\n}\n");
		strbuf_release(&title);
	}
}

int grub_menu_for_generations(void *opaque, const struct gen_boot_menu *m, struct strbuf *out)
{
	const struct grub_cfg_opts *base = opaque;
	const struct gen_list *l = m->list;
	struct grub_entry *e = xcalloc(l->n + 1, sizeof(*e));
	struct grub_cfg_opts o = {
		.timeout = l->timeout,
		.serial = base ? base->serial : true,
		.default_gen = m->default_gen,
		.bootenv = true,
		.trial_gen = m->trial_gen,
		.good_gen = m->good_gen,
		.tries = m->tries,
	};
	size_t n = 0;

	for (size_t i = l->n; i-- > 0;) {
		const struct generation *g = &l->v[i];
		if (!g->kernel || !g->initrd)
			continue;
		e[n++] = (struct grub_entry){ g->number, g->system, g->name, g->kernel, g->initrd,
					      g->params };
	}
	if (!n) {
		free(e);
		return -ENOENT;
	}
	grub_cfg_generate(e, n, &o, out);
	free(e);
	return 0;
}
