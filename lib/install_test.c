#define TEST_IMPLEMENTATION
#include "test.h"

#include <sys/wait.h>

#include "disk.h"
#include "events.h"
#include "fsutil.h"
#include "hash.h"
#include "install.h"
#include "store.h"
#include "strbuf.h"

#define MiB (UINT64_C(1) << 20)
#define DISK (UINT64_C(512) * MiB)

struct fixture {
	char *dir;
	struct store s;
	char *hello, *system;
	struct path_list closure;
	struct disk_content c;
};

static int run(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A store with a two-path closure: a system text that references a file. */
static void fixture_init(struct fixture *f, const char *name, const char *text)
{
	static int n;
	struct path_list refs = PATH_LIST_INIT, roots = PATH_LIST_INIT;

	memset(f, 0, sizeof(*f));
	f->dir = xasprintf("%s/f%d", test_tmpdir(), ++n);
	_cleanup_free_ char *real = path_join(f->dir, "store");
	_cleanup_free_ char *db = path_join(f->dir, "db");
	if (store_open(&f->s, KILN_STORE_DIR, real, db) < 0)
		abort();
	if (store_add_text(&f->s, "hello", text, strlen(text), NULL, &f->hello) < 0)
		abort();
	path_list_add(&refs, f->hello);
	_cleanup_free_ char *body = xasprintf("system %s uses %s\n", name, f->hello);
	if (store_add_text(&f->s, name, body, strlen(body), &refs, &f->system) < 0)
		abort();
	path_list_add(&roots, f->system);
	if (store_closure(&f->s, &roots, &f->closure) < 0)
		abort();
	f->c = (struct disk_content){
		.system = f->system, .src = &f->s, .closure = &f->closure,
		.grub_cfg = "# grub.cfg of the test\n", .timestamp = 1,
	};
	path_list_release(&refs);
	path_list_release(&roots);
}

static void fixture_release(struct fixture *f)
{
	store_close(&f->s);
	path_list_release(&f->closure);
	free(f->hello);
	free(f->system);
	free(f->dir);
}

static char *disk_image(const char *name)
{
	char *p = xasprintf("%s/%s", test_tmpdir(), name);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, DISK) < 0)
		abort();
	close(fd);
	return p;
}

static void sha(const char *path, char out[65])
{
	uint8_t h[SHA256_LEN];
	if (sha256_file(path, h) < 0)
		abort();
	hex_encode(h, SHA256_LEN, out);
}

struct events {
	struct strbuf lines;   /* the event lines */
	struct strbuf human;
};

static void collect(void *opaque, const char *human, const char *event)
{
	struct events *ev = opaque;
	strbuf_addf(&ev->lines, "%s\n", event);
	strbuf_addf(&ev->human, "%s\n", human);
}

/* The event names in order, space-separated; and the last event parsed. */
static char *names(const struct events *ev, struct event_parsed *ret_last)
{
	struct strbuf out = STRBUF_INIT;
	_cleanup_free_ char *copy = xstrdup(strbuf_str(&ev->lines));
	char *save = NULL;
	memset(ret_last, 0, sizeof(*ret_last));
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct event_parsed p;
		if (event_parse(l, &p) < 0)
			abort();
		strbuf_addf(&out, "%s%s", out.len ? " " : "", event_get(&p, "event"));
		event_parsed_release(ret_last);
		*ret_last = p;
	}
	return strbuf_detach(&out, NULL);
}

static int install(struct fixture *f, const char *img, bool wipe, bool recover, bool dry,
		   bool has_data, struct events *ev)
{
	int fd = open(img, O_RDWR | O_CLOEXEC);
	struct install_request rq = {
		.fd = fd, .disk = "/dev/vdz", .disk_size = DISK, .wipe = wipe, .recover = recover,
		.dry_run = dry, .verify = true,
		.layout = { .root_min = disk_root_size_for(1 << 20, 100), .bios = true,
			    .has_data = has_data, .data_label = "kiln-data", .seed = f->system },
		.content = &f->c,
	};
	strbuf_init(&ev->lines);
	strbuf_init(&ev->human);
	int r = install_run(&rq, collect, ev);
	close(fd);
	return r;
}

static void events_release(struct events *ev)
{
	strbuf_release(&ev->lines);
	strbuf_release(&ev->human);
}

TEST(installs_a_blank_disk)
{
	struct fixture f;
	struct events ev;
	struct event_parsed last;
	_cleanup_free_ char *img = disk_image("blank.img");

	fixture_init(&f, "web1", "hello");
	CHECK_EQ(install(&f, img, false, false, false, false, &ev), 0);
	_cleanup_free_ char *seq = names(&ev, &last);
	CHECK_STREQ(seq, "plan verify partition copy bootloader done");
	CHECK_STREQ(event_get(&last, "system"), f.system);
	CHECK_STREQ(event_get(&last, "disk"), "/dev/vdz");
	CHECK(strstr(ev.lines.buf, "\"percent\":100,"));
	CHECK(strstr(ev.lines.buf, "\"data\":\"none\""));
	/* oracles: the GPT, a clean root holding the closure and the log */
	_cleanup_free_ char *cmd = xasprintf("sfdisk -d %s | grep -c '^%s' | grep -qx 3", img, img);
	CHECK_EQ(run(cmd), 0);
	_cleanup_free_ char *off = xasprintf("%s?offset=%" PRIu64, img, 34 * MiB);
	_cleanup_free_ char *fsck = xasprintf("e2fsck -fn '%s' >/dev/null 2>&1", off);
	CHECK_EQ(run(fsck), 0);
	_cleanup_free_ char *cat = xasprintf("debugfs -R 'cat /var/log/kiln-install.log' '%s' 2>/dev/null | grep -q '^done: %s installed on /dev/vdz'", off, f.system);
	CHECK_EQ(run(cat), 0);
	_cleanup_free_ char *hello = xasprintf("debugfs -R 'cat %s' '%s' 2>/dev/null | grep -qx hello", f.hello, off);
	CHECK_EQ(run(hello), 0);
	event_parsed_release(&last);
	events_release(&ev);
	fixture_release(&f);
}

TEST(refuses_a_formatted_disk_and_leaves_it_unchanged)
{
	struct fixture f;
	struct events ev;
	struct event_parsed last;
	char before[65], after[65];
	_cleanup_free_ char *img = disk_image("ext4.img");
	_cleanup_free_ char *mk = xasprintf("mke2fs -q -F -t ext4 %s", img);

	CHECK_EQ(run(mk), 0);
	fixture_init(&f, "web1", "hello");
	sha(img, before);
	CHECK_EQ(install(&f, img, false, false, false, false, &ev), -ENOTEMPTY);
	sha(img, after);
	CHECK_STREQ(before, after);
	_cleanup_free_ char *seq = names(&ev, &last);
	CHECK_STREQ(seq, "plan failed");
	CHECK(strstr(event_get(&last, "reason"), "/dev/vdz is not blank"));
	CHECK(strstr(event_get(&last, "reason"), "ext4 (filesystem) at offset 1080 (0x438)"));
	CHECK(strstr(ev.lines.buf, "\"signatures\":\"ext4@1080\""));
	event_parsed_release(&last);
	events_release(&ev);

	/* a dry run with wipe on: the plan, then nothing */
	CHECK_EQ(install(&f, img, true, false, true, false, &ev), 0);
	sha(img, after);
	CHECK_STREQ(before, after);
	_cleanup_free_ char *seq2 = names(&ev, &last);
	CHECK_STREQ(seq2, "plan done");
	CHECK_STREQ(event_get(&last, "dry_run"), "true");
	event_parsed_release(&last);
	events_release(&ev);

	/* wipe = true: erased, then installed */
	CHECK_EQ(install(&f, img, true, false, false, false, &ev), 0);
	_cleanup_free_ char *seq3 = names(&ev, &last);
	CHECK_STREQ(seq3, "plan verify wipe partition copy bootloader done");
	CHECK(strstr(ev.lines.buf, "{\"event\":\"wipe\",\"disk\":\"/dev/vdz\",\"signatures\":\"ext4@1080\"}"));
	event_parsed_release(&last);
	events_release(&ev);
	fixture_release(&f);
}

TEST(a_corrupt_medium_fails_before_writing)
{
	struct fixture f;
	struct events ev;
	struct event_parsed last;
	char before[65], after[65];
	_cleanup_free_ char *img = disk_image("corrupt.img");

	fixture_init(&f, "web1", "hello");
	_cleanup_free_ char *real = store_real_path(&f.s, f.hello);
	chmod(real, 0644);
	CHECK_EQ(write_file_atomic(real, "HELLO", 5, 0444), 0);
	sha(img, before);
	CHECK(install(&f, img, false, false, false, false, &ev) < 0);
	sha(img, after);
	CHECK_STREQ(before, after);
	_cleanup_free_ char *seq = names(&ev, &last);
	CHECK_STREQ(seq, "plan failed");
	CHECK(strstr(event_get(&last, "reason"), "NAR hash differs"));
	CHECK(strstr(event_get(&last, "reason"), f.hello));
	event_parsed_release(&last);
	events_release(&ev);
	fixture_release(&f);
}

TEST(recover_keeps_the_data_partition)
{
	struct fixture a, b;
	struct events ev;
	struct event_parsed last;
	_cleanup_free_ char *img = disk_image("recover.img");

	fixture_init(&a, "web1", "one");
	CHECK_EQ(install(&a, img, false, false, false, true, &ev), 0);
	CHECK(strstr(ev.lines.buf, "\"data\":\"new\""));
	events_release(&ev);
	/* a file on the data partition (through debugfs, as a user would write it) */
	struct gpt_disk *d = xcalloc(1, sizeof(*d));
	int fd = open(img, O_RDONLY | O_CLOEXEC);
	CHECK_EQ(gpt_read(fd, 0, d), 0);
	close(fd);
	uint64_t data_off = d->parts[3].start, data_size = d->parts[3].size;
	CHECK_STREQ(d->parts[3].name, "kiln-data");
	_cleanup_free_ char *src = xasprintf("%s/precious", test_tmpdir());
	CHECK_EQ(write_file_atomic(src, "precious\n", 9, 0644), 0);
	_cleanup_free_ char *put = xasprintf("debugfs -w -R 'write %s precious' '%s?offset=%" PRIu64 "' >/dev/null 2>&1", src, img, data_off);
	CHECK_EQ(run(put), 0);
	_cleanup_free_ char *hash_cmd = xasprintf("dd if=%s bs=1M skip=%" PRIu64 " count=%" PRIu64 " status=none | sha256sum", img, data_off >> 20, data_size >> 20);
	_cleanup_free_ char *hcmd1 = xasprintf("%s > %s/h1", hash_cmd, test_tmpdir());
	CHECK_EQ(run(hcmd1), 0);

	/* reinstall a changed system in recover mode */
	fixture_init(&b, "web1", "two");
	CHECK_EQ(install(&b, img, false, true, false, true, &ev), 0);
	_cleanup_free_ char *seq = names(&ev, &last);
	CHECK_STREQ(seq, "plan verify partition copy bootloader done");
	CHECK(strstr(ev.lines.buf, "\"data\":\"kept\""));
	CHECK_STREQ(event_get(&last, "mode"), "recover");
	CHECK_STREQ(event_get(&last, "system"), b.system);
	_cleanup_free_ char *hcmd2 = xasprintf("%s > %s/h2 && cmp -s %s/h1 %s/h2", hash_cmd, test_tmpdir(), test_tmpdir(), test_tmpdir());
	CHECK_EQ(run(hcmd2), 0);
	_cleanup_free_ char *cat = xasprintf("debugfs -R 'cat precious' '%s?offset=%" PRIu64 "' 2>/dev/null | grep -qx precious", img, data_off);
	CHECK_EQ(run(cat), 0);
	_cleanup_free_ char *newsys = xasprintf("debugfs -R 'cat %s' '%s?offset=%" PRIu64 "' 2>/dev/null | grep -qx two", b.hello, img, 34 * MiB);
	CHECK_EQ(run(newsys), 0);
	free(d);
	event_parsed_release(&last);
	events_release(&ev);

	/* recover on a blank disk: refused, nothing to keep */
	_cleanup_free_ char *blank = disk_image("blank2.img");
	CHECK(install(&b, blank, false, true, false, true, &ev) < 0);
	_cleanup_free_ char *seq2 = names(&ev, &last);
	CHECK_STREQ(seq2, "failed");
	CHECK(strstr(event_get(&last, "reason"), "recover: the disk has no GPT"));
	event_parsed_release(&last);
	events_release(&ev);
	fixture_release(&a);
	fixture_release(&b);
}

int main(void)
{
	return test_main();
}
