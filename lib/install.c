#include "install.h"

#include "events.h"
#include "ext4.h"
#include "recover.h"
#include "signature.h"
#include "target.h"

#define INSTALL_LOG "/var/log/kiln-install.log"

struct ctx {
	const struct install_request *rq;
	install_emit_fn emit;
	void *opaque;
	struct strbuf log;
	double t0;
	int last_pct;
	bool bootloader_sent;
};

static double clock_now(const struct ctx *x)
{
	return x->rq->clock ? x->rq->clock() : 0;
}

/* Sends e (released here) with a human line made from fmt. */
static void __attribute__((format(printf, 3, 4)))
send(struct ctx *x, struct event *e, const char *fmt, ...)
{
	struct strbuf human = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&human, fmt, ap);
	va_end(ap);
	x->emit(x->opaque, human.buf, event_end(e));
	strbuf_addf(&x->log, "%s\n", human.buf);
	strbuf_release(&human);
	event_release(e);
}

static int fail(struct ctx *x, int r, const char *reason)
{
	struct event e;
	event_begin(&e, "failed");
	event_str(&e, "reason", reason);
	event_str(&e, "disk", x->rq->disk);
	send(x, &e, "failed: %s", reason);
	return r < 0 ? r : -EIO;
}

static void sig_field(const struct signature_list *l, struct strbuf *out)
{
	for (size_t i = 0; i < l->n; i++)
		strbuf_addf(out, "%s%s@%" PRIu64, i ? "," : "", l->v[i].type, l->v[i].offset);
}

static void part_fields(struct event *e, const char *name, const struct disk_part *p)
{
	char key[32];
	if (!p->number)
		return;
	snprintf(key, sizeof(key), "%s_offset", name);
	event_u64(e, key, p->offset);
	snprintf(key, sizeof(key), "%s_size", name);
	event_u64(e, key, p->size);
}

static void send_plan(struct ctx *x, const struct disk_plan *p, const struct signature_list *sigs)
{
	const struct install_request *rq = x->rq;
	struct strbuf human = STRBUF_INIT, s = STRBUF_INIT, size = STRBUF_INIT;
	struct event e;

	sig_field(sigs, &s);
	target_format_size(rq->disk_size, &size);
	event_begin(&e, "plan");
	event_str(&e, "disk", rq->disk);
	event_u64(&e, "size", rq->disk_size);
	event_str(&e, "mode", rq->recover ? "recover" : "install");
	event_str(&e, "system", rq->content->system);
	event_bool(&e, "wipe", rq->wipe);
	event_bool(&e, "dry_run", rq->dry_run);
	part_fields(&e, "bios", &p->bios);
	part_fields(&e, "esp", &p->esp);
	part_fields(&e, "root", &p->root);
	part_fields(&e, "data", &p->data);
	event_str(&e, "data", !p->data.number ? "none" : p->keep_data ? "kept" : "new");
	event_str(&e, "signatures", strbuf_str(&s));
	strbuf_addf(&human, "plan: %s %s on %s (%s): ", rq->recover ? "recover" : "install",
		    rq->content->system, rq->disk, size.buf);
	strbuf_addf(&human, "%sESP and root rewritten", p->bios.number ? "BIOS boot, " : "");
	if (p->data.number)
		strbuf_addf(&human, ", data partition %s (%" PRIu64 " MiB at %" PRIu64 " MiB)",
			    p->keep_data ? "KEPT byte for byte" : "created",
			    p->data.size >> 20, p->data.offset >> 20);
	if (sigs->n && !rq->recover)
		strbuf_addf(&human, "; signatures on the disk: %s (%s)", s.buf,
			    rq->wipe ? "will be wiped" : "wipe is off");
	send(x, &e, "%s", human.buf);
	strbuf_release(&human);
	strbuf_release(&s);
	strbuf_release(&size);
}

static void on_progress(void *opaque, const char *phase, uint64_t done, uint64_t total)
{
	struct ctx *x = opaque;
	struct event e;

	if (!strcmp(phase, "partition")) {
		event_begin(&e, "partition");
		event_str(&e, "disk", x->rq->disk);
		send(x, &e, "partition: writing the GPT on %s", x->rq->disk);
	} else if (!strcmp(phase, "copy")) {
		int pct = total ? (int)(done * 100 / total) : 100;
		if (pct / 10 == x->last_pct / 10 && pct != 100)
			return;
		if (pct == x->last_pct)
			return;
		x->last_pct = pct;
		double secs = clock_now(x) - x->t0;
		uint64_t rate = secs > 0 ? (uint64_t)(done / secs) : 0;
		event_begin(&e, "copy");
		event_u64(&e, "done", done);
		event_u64(&e, "total", total);
		event_u64(&e, "percent", (uint64_t)pct);
		event_u64(&e, "rate", rate);
		send(x, &e, "copy: %d%% (%" PRIu64 " of %" PRIu64 " MiB, %" PRIu64 " MiB/s)", pct,
		     done >> 20, total >> 20, rate >> 20);
	} else if (!strcmp(phase, "esp") || (!strcmp(phase, "bootloader") && !x->bootloader_sent)) {
		if (x->bootloader_sent)
			return;
		x->bootloader_sent = true;
		event_begin(&e, "bootloader");
		event_str(&e, "disk", x->rq->disk);
		send(x, &e, "bootloader: the root is complete and flushed; writing the ESP and boot code");
	}
}

static int check_closure(struct ctx *x)
{
	const struct disk_content *c = x->rq->content;
	struct event e;

	for (size_t i = 0; i < c->closure->n; i++) {
		int r = store_verify_path(c->src, c->closure->v[i]);
		if (r < 0) {
			_cleanup_free_ char *why = xasprintf("%s: %s", c->closure->v[i],
				r == -EBADMSG ? "its NAR hash differs from the registration (corrupt medium)"
					      : strerror(-r));
			return fail(x, r, why);
		}
	}
	event_begin(&e, "verify");
	event_u64(&e, "paths", c->closure->n);
	send(x, &e, "verify: %zu store paths match their NAR hashes", c->closure->n);
	return 0;
}

static int write_log(struct ctx *x, const struct disk_plan *p)
{
	struct ext4 *fs = NULL;
	int r = ext4_open(x->rq->fd, p->root.offset, x->rq->content->timestamp, &fs);
	if (r < 0)
		return r;
	r = ext4_write_file(fs, INSTALL_LOG, x->log.buf, x->log.len, 0644);
	int k = ext4_close(fs);
	return r < 0 ? r : k;
}

static int run(struct ctx *x, struct disk_plan *plan, struct signature_list *sigs)
{
	const struct install_request *rq = x->rq;
	struct disk_layout l = rq->layout;
	struct strbuf err = STRBUF_INIT;
	uint64_t needed = 0;
	char *what = NULL;
	int r;

	l.size = rq->disk_size;
	r = signature_probe(rq->fd, sigs);
	if (r < 0)
		return fail(x, r, "cannot probe the disk for signatures (libblkid)");
	if (rq->recover) {
		r = recover_plan(rq->fd, &l, plan, &err);
	} else {
		r = disk_plan_make(&l, plan, &needed);
		if (r == -ENOSPC)
			strbuf_addf(&err, "%s is too small: the system needs %" PRIu64 " MiB",
				    rq->disk, (needed + (1 << 20) - 1) >> 20);
		else if (r < 0)
			strbuf_addf(&err, "cannot lay out %s: %s", rq->disk, strerror(-r));
	}
	if (r < 0) {
		_cleanup_free_ char *why = xasprintf("%s%s", rq->recover ? "recover: " : "", err.buf);
		strbuf_release(&err);
		return fail(x, r, why);
	}
	send_plan(x, plan, sigs);
	if (!rq->recover && sigs->n && !rq->wipe) {
		strbuf_addf(&err, "%s is not blank, refusing to write (installer.wipe is false): ", rq->disk);
		signature_describe(sigs, "", &err);
		for (char *p = err.buf; *p; p++)
			if (*p == '\n')
				*p = ';';
		_cleanup_free_ char *why = strbuf_detach(&err, NULL);
		return fail(x, -ENOTEMPTY, why);
	}
	if (rq->dry_run) {
		struct event e;
		event_begin(&e, "done");
		event_str(&e, "system", rq->content->system);
		event_str(&e, "disk", rq->disk);
		event_bool(&e, "dry_run", true);
		send(x, &e, "dry run: nothing was written to %s", rq->disk);
		return 0;
	}
	if (rq->verify && (r = check_closure(x)) < 0)
		return r;
	if (!rq->recover && sigs->n) {
		struct signature_list wiped = { NULL, 0 };
		struct event e;
		r = signature_wipe(rq->fd, &wiped);
		if (r < 0)
			return fail(x, r, "wiping the signatures failed");
		strbuf_reset(&err);
		sig_field(&wiped, &err);
		event_begin(&e, "wipe");
		event_str(&e, "disk", rq->disk);
		event_str(&e, "signatures", err.buf);
		send(x, &e, "wipe: erased %s on %s", err.buf, rq->disk);
		signature_list_release(&wiped);
		strbuf_release(&err);
	}
	x->t0 = clock_now(x);
	x->last_pct = -1;
	r = disk_write(rq->fd, plan, rq->content, on_progress, x, &what);
	if (r < 0) {
		_cleanup_free_ char *why = xasprintf("writing %s failed (%s): %s", rq->disk,
						     what ? what : "disk", strerror(-r));
		free(what);
		return fail(x, r, why);
	}
	free(what);
	struct event e;
	event_begin(&e, "done");
	event_str(&e, "system", rq->content->system);
	event_str(&e, "disk", rq->disk);
	event_str(&e, "mode", rq->recover ? "recover" : "install");
	send(x, &e, "done: %s installed on %s", rq->content->system, rq->disk);
	/* the log after the last line; a failure to keep it is not a failed install */
	write_log(x, plan);
	return 0;
}

int install_run(const struct install_request *rq, install_emit_fn emit, void *opaque)
{
	struct ctx x = { rq, emit, opaque, STRBUF_INIT, 0, -1, false };
	struct disk_plan *plan = xcalloc(1, sizeof(*plan));
	struct signature_list sigs = { NULL, 0 };

	int r = run(&x, plan, &sigs);
	signature_list_release(&sigs);
	strbuf_release(&x.log);
	free(plan);
	return r;
}
