/*
 * The purge runner driven through its backend seam (purge_int.h) without
 * hardware: a fake backend on an image file runs the real polling loop,
 * time limit, confirmation and sentinel read-back; the SCSI backend's own
 * poll and confirm run against scripted sense data behind the job's sgio
 * seam (issue 10 item 7); the NVMe confirmation against Sanitize Status
 * log pages built from NVMe 2.0 Base 5.16.1.25 Figure 287.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/purge_int.h"
#include "util/xio.h"
#include "tests/unit/tap.h"

#define IMG_SIZE (1u << 20)

/* ---- a fake drive for the whole runner ---- */

enum erase { ERASE_ZEROS, ERASE_NOTHING, ERASE_ONES };

struct drive {
	enum purge_method m;
	enum erase how;
	unsigned running;	/* polls that answer "still running" */
	unsigned polls, started, confirmed;
};

static int d_identify(struct purge_job *j, int fd, struct purge_caps *c)
{
	struct drive *d = j->priv;
	enum purge_transport t = purge_method_transport(d->m);

	(void)fd;
	snprintf(c->transport, sizeof(c->transport), "%s", t == PURGE_NVME ? "nvme" : t == PURGE_ATA ? "ata" : "scsi");
	snprintf(c->serial, sizeof(c->serial), "FAKE0001");
	c->methods = 1u << d->m;
	c->hidden_known = 1;
	return 0;
}

static int d_start(struct purge_job *j, int fd, double *estimate)
{
	struct drive *d = j->priv;
	static uint8_t buf[IMG_SIZE];

	*estimate = -1;
	snprintf(j->r.command, sizeof(j->r.command), "fake erase");
	j->t_cmd = xmono();
	j->r.command_sent = 1;
	d->started++;
	if (d->how != ERASE_NOTHING) {
		memset(buf, d->how == ERASE_ONES ? 0xff : 0, sizeof(buf));
		if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
			return purge_fail(j, -EIO, NULL, "fake write failed");
	}
	return 0;
}

static int d_poll(struct purge_job *j, int fd, double *fraction)
{
	struct drive *d = j->priv;

	(void)fd;
	d->polls++;
	*fraction = 0.5;
	if (d->running == ~0u)
		return 1;
	return d->polls <= d->running;
}

static int d_confirm(struct purge_job *j, int fd)
{
	struct drive *d = j->priv;

	(void)fd;
	d->confirmed++;
	j->r.confirmed = 1;
	return 0;
}

static const struct purge_ops drive_ops = { d_identify, NULL, d_start, d_poll, d_confirm };

static int run_fake(struct drive *d, int fd, struct purge_job **out, const struct purge_ops *ops, unsigned max_s)
{
	struct purge_params p;
	struct blkdev_info *bd = calloc(1, sizeof(*bd));
	struct purge_job *j;
	int rc;

	memset(&p, 0, sizeof(p));
	snprintf(p.device, sizeof(p.device), "/dev/fake");
	p.method = d->m;
	p.precheck = 1;
	p.poll_interval = 0.01;
	p.max_seconds = max_s;
	if (!bd || purge_job_new(&p, &j))
		abort();
	purge_job_set_ops(j, ops);
	j->priv = d;
	bd->size = IMG_SIZE;
	snprintf(bd->name, sizeof(bd->name), "fake");
	snprintf(bd->serial, sizeof(bd->serial), "FAKE0001");
	rc = purge_job_run_fd(j, fd, bd);
	free(bd);
	*out = j;
	return rc;
}

/* ---- scripted SCSI sense behind the sgio seam ---- */

struct script {
	const uint8_t (*rs)[18];	/* REQUEST SENSE answers, in order */
	unsigned nrs, irs;
	const int *tur;			/* TEST UNIT READY: 0 GOOD, else an index into tur_sense + 1 */
	const uint8_t (*tur_sense)[18];
	unsigned ntur, itur;
};

static int fake_sgio(struct purge_job *j, int fd, const uint8_t *cdb, size_t cdb_len, enum sgio_dir dir, void *buf,
		     size_t len, unsigned timeout_ms, struct sgio_reply *r)
{
	struct script *s = j->priv;

	(void)fd, (void)cdb_len, (void)dir, (void)timeout_ms;
	memset(r, 0, sizeof(*r));
	if (cdb[0] == 0x03) {
		if (s->irs >= s->nrs)
			return -EIO;
		memset(buf, 0, len);
		memcpy(buf, s->rs[s->irs++], 18);
		r->resid = (int32_t)(len - 18);
		return 0;
	}
	if (cdb[0] == 0x00) {
		int k;

		if (s->itur >= s->ntur)
			return -EIO;
		k = s->tur[s->itur++];
		if (k) {
			r->status = SGIO_STATUS_CHECK_CONDITION;
			memcpy(r->sense, s->tur_sense[k - 1], 18);
			r->sense_len = 18;
		}
		return 0;
	}
	return -EIO;
}

static int s_identify(struct purge_job *j, int fd, struct purge_caps *c)
{
	(void)j, (void)fd;
	snprintf(c->transport, sizeof(c->transport), "scsi");
	snprintf(c->serial, sizeof(c->serial), "FAKE0001");
	c->methods = 1u << PURGE_SCSI_SANITIZE_BLOCK;
	return 0;
}

static int s_start(struct purge_job *j, int fd, double *estimate)
{
	(void)fd;
	*estimate = -1;
	j->t_cmd = xmono();
	j->r.command_sent = 1;
	return 0;
}

/* SPC-4 4.5.3 fixed format: key in byte 2, ASC/ASCQ in 12/13, SKSV + progress in 15-17 */
#define SENSE(key, asc, ascq, sks0, sks1, sks2) \
	{ 0x70, 0, key, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc, ascq, 0, sks0, sks1, sks2 }

static const uint8_t in_progress_25[18] = SENSE(0x02, 0x04, 0x1b, 0x80, 0x40, 0x00);
static const uint8_t in_progress_50[18] = SENSE(0x02, 0x04, 0x1b, 0x80, 0x80, 0x00);
static const uint8_t reset_ua[18] = SENSE(0x06, 0x29, 0x00, 0, 0, 0);
static const uint8_t no_sense[18] = SENSE(0x00, 0x00, 0x00, 0, 0, 0);
static const uint8_t sanitize_failed[18] = SENSE(0x03, 0x31, 0x03, 0, 0, 0);

static int run_scsi_script(struct script *s, struct purge_job **out)
{
	static const struct purge_ops ops_base = { s_identify, NULL, s_start, NULL, NULL };
	static struct purge_ops ops;
	struct purge_params p;
	struct blkdev_info *bd = calloc(1, sizeof(*bd));
	struct purge_job *j;
	int rc;

	ops = ops_base;
	ops.poll = purge_scsi_ops.poll;
	ops.confirm = purge_scsi_ops.confirm;
	memset(&p, 0, sizeof(p));
	snprintf(p.device, sizeof(p.device), "/dev/fake");
	p.method = PURGE_SCSI_SANITIZE_BLOCK;
	p.poll_interval = 0.001;
	p.max_seconds = 20;
	if (!bd || purge_job_new(&p, &j))
		abort();
	purge_job_set_ops(j, &ops);
	j->sgio = fake_sgio;
	j->priv = s;
	bd->size = IMG_SIZE;
	rc = purge_job_run_fd(j, -1, bd);
	free(bd);
	*out = j;
	return rc;
}

/* ---- NVMe Sanitize Status log pages ---- */

static void log_page(uint8_t *b, uint16_t sprog, uint16_t sstat, uint32_t scdw10)
{
	memset(b, 0, 512);
	b[0] = (uint8_t)sprog, b[1] = (uint8_t)(sprog >> 8);
	b[2] = (uint8_t)sstat, b[3] = (uint8_t)(sstat >> 8);
	for (int i = 0; i < 4; i++)
		b[4 + i] = (uint8_t)(scdw10 >> (8 * i));
	memset(b + 8, 0xff, 12);	/* no estimates */
}

int main(void)
{
	char img[] = "/tmp/sz-purge-fake.XXXXXX", msg[256];
	struct purge_job *j;
	struct drive d;
	int fd, rc;

	fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, IMG_SIZE) < 0)
		return 1;
	unlink(img);

	/* the runner: polls until the backend says finished, then confirms, then reads the sentinels back */
	memset(&d, 0, sizeof(d));
	d.m = PURGE_NVME_SANITIZE_BLOCK;
	d.running = 3;
	rc = run_fake(&d, fd, &j, &drive_ops, 0);
	CHECK_EQ_INT(rc, 0, "a fake erase that runs for 3 polls completes");
	CHECK(d.started == 1 && d.polls == 4 && d.confirmed == 1, "  one start, polled until finished (4), one confirm");
	CHECK(j->r.state == PURGE_COMPLETED && j->r.verify.performed && j->r.verify.passed &&
	      j->r.verify.sentinels == PURGE_SENTINELS, "  completed, all sentinels gone");
	purge_job_free(j);

	memset(&d, 0, sizeof(d));
	d.m = PURGE_ATA_SANITIZE_BLOCK;
	d.how = ERASE_NOTHING;
	rc = run_fake(&d, fd, &j, &drive_ops, 0);
	CHECK_EQ_INT(rc, -EILSEQ, "a drive that says done but erased nothing: a sentinel survives");
	CHECK(j->r.state == PURGE_FAILED && j->r.verify.survivor_offset == 0 && d.confirmed == 1,
	      "  failed, the first survivor at offset 0, though the drive confirmed");
	purge_job_free(j);

	memset(&d, 0, sizeof(d));
	d.m = PURGE_SCSI_SANITIZE_CRYPTO;
	d.running = ~0u;
	rc = run_fake(&d, fd, &j, &drive_ops, 1);
	CHECK_EQ_INT(rc, -ETIMEDOUT, "a drive that never finishes: -ETIMEDOUT after max_seconds");
	CHECK(d.confirmed == 0 && !j->r.confirmed && strstr(j->r.error, "still in progress"), "  never confirmed");
	purge_job_free(j);

	/* SCSI: a UNIT ATTENTION while polling is not completion (issue 10 item 7) */
	{
		static const uint8_t rs[][18] = { SENSE(0x02, 0x04, 0x1b, 0x80, 0x40, 0x00), SENSE(0x06, 0x29, 0x00, 0, 0, 0),
						  SENSE(0x02, 0x04, 0x1b, 0x80, 0x80, 0x00), SENSE(0x00, 0, 0, 0, 0, 0),
						  SENSE(0x00, 0, 0, 0, 0, 0) };
		static const uint8_t ts[][18] = { SENSE(0x06, 0x29, 0x00, 0, 0, 0) };
		static const int tur[] = { 1, 0 };
		struct script s = { rs, 5, 0, tur, ts, 2, 0 };
		struct scsi_sense ss;

		CHECK(scsi_parse_sense(in_progress_25, 18, &ss) == 0 && purge_scsi_sense_state(&ss) == PURGE_SCSI_RUNNING &&
		      ss.has_progress && ss.progress == 0.25, "NOT READY 04h/1Bh with progress 4000h: running, 25%%");
		CHECK(scsi_parse_sense(reset_ua, 18, &ss) == 0 && purge_scsi_sense_state(&ss) == PURGE_SCSI_ATTENTION,
		      "UNIT ATTENTION 29h/00h: an attention, not completion");
		CHECK(scsi_parse_sense(sanitize_failed, 18, &ss) == 0 && purge_scsi_sense_state(&ss) == PURGE_SCSI_FAILED,
		      "MEDIUM ERROR 31h/03h: sanitize failed");
		CHECK(scsi_parse_sense(no_sense, 18, &ss) == 0 && purge_scsi_sense_state(&ss) == PURGE_SCSI_IDLE,
		      "NO SENSE: idle, still to be confirmed");
		CHECK(scsi_parse_sense(in_progress_50, 18, &ss) == 0 && ss.progress == 0.5, "progress 8000h: 50%%");

		rc = run_scsi_script(&s, &j);
		CHECK_EQ_INT(rc, 0, "running, attention, running, idle, TUR attention, idle, TUR good: completed");
		CHECK(s.irs == 5 && s.itur == 2, "  polled past both attentions (5 request senses, 2 test unit readys)");
		CHECK(j->r.confirmed && j->scsi_attentions == 2, "  confirmed, with 2 attentions counted");
		CHECK(strstr(j->r.confirmation, "test unit ready: good") != NULL, "  the confirmation says how");
		purge_job_free(j);
	}
	{
		static const uint8_t rs[][18] = { SENSE(0x02, 0x04, 0x1b, 0x80, 0x40, 0x00), SENSE(0x06, 0x29, 0x00, 0, 0, 0),
						  SENSE(0x00, 0, 0, 0, 0, 0) };
		static const uint8_t ts[][18] = { SENSE(0x03, 0x31, 0x03, 0, 0, 0) };
		static const int tur[] = { 1 };
		struct script s = { rs, 3, 0, tur, ts, 1, 0 };

		rc = run_scsi_script(&s, &j);
		CHECK_EQ_INT(rc, -EIO, "after an attention, test unit ready says 31h/03h: failed");
		CHECK(!j->r.confirmed && j->r.state == PURGE_FAILED && strstr(j->r.error, "sanitize command failed"),
		      "  not confirmed, failed, naming sanitize command failed");
		purge_job_free(j);
	}
	{
		static const uint8_t rs[][18] = { SENSE(0x02, 0x04, 0x1b, 0x80, 0x40, 0x00), SENSE(0x03, 0x31, 0x03, 0, 0, 0) };
		struct script s = { rs, 2, 0, NULL, NULL, 0, 0 };

		rc = run_scsi_script(&s, &j);
		CHECK_EQ_INT(rc, -EIO, "request sense says 31h/03h: failed");
		CHECK(s.itur == 0 && !j->r.confirmed, "  without a test unit ready, not confirmed");
		purge_job_free(j);
	}
	{
		static uint8_t rs[70][18];
		struct script s = { (const uint8_t (*)[18])rs, 70, 0, NULL, NULL, 0, 0 };

		for (int i = 0; i < 70; i++)
			memcpy(rs[i], reset_ua, 18);
		rc = run_scsi_script(&s, &j);
		CHECK_EQ_INT(rc, -EPROTO, "nothing but unit attentions: given up, not confirmed");
		CHECK(!j->r.confirmed && s.irs == 65, "  after 64 of them");
		purge_job_free(j);
	}

	/* NVMe: the log must show THIS sanitize, not one from before (issue 10 item 7) */
	{
		struct nvme_sanitize_status before, after;
		uint8_t b[512];

		log_page(b, 0xffff, 0x0101, 0x00000002);	/* an earlier block erase completed, global data erased */
		nvme_parse_sanitize_log(b, sizeof(b), &before);
		after = before;
		CHECK_EQ_INT(purge_nvme_log_confirms(&before, &after, 0, 0x00000002, msg, sizeof(msg)), -EPROTO,
			     "the same completed block erase before and after, never seen running: stale, not confirmed");
		CHECK(strstr(msg, "earlier sanitize") != NULL, "  saying it may be an earlier one");
		CHECK_EQ_INT(purge_nvme_log_confirms(&before, &after, 1, 0x00000002, msg, sizeof(msg)), 0,
			     "  the same, but a poll saw it in progress: ours");
		log_page(b, 0xffff, 0x0001, 0x00000002);	/* before: completed, data written since (GDE 0) */
		nvme_parse_sanitize_log(b, sizeof(b), &before);
		log_page(b, 0xffff, 0x0101, 0x00000002);
		nvme_parse_sanitize_log(b, sizeof(b), &after);
		CHECK_EQ_INT(purge_nvme_log_confirms(&before, &after, 0, 0x00000002, msg, sizeof(msg)), 0,
			     "Global Data Erased set by this sanitize: ours, though too quick to be seen running");
		log_page(b, 0xffff, 0x0000, 0);			/* never sanitized */
		nvme_parse_sanitize_log(b, sizeof(b), &before);
		log_page(b, 0xffff, 0x0101, 0x00000004);
		nvme_parse_sanitize_log(b, sizeof(b), &after);
		CHECK_EQ_INT(purge_nvme_log_confirms(&before, &after, 0, 0x00000004, msg, sizeof(msg)), 0,
			     "never sanitized, then a completed crypto erase: ours");
		CHECK_EQ_INT(purge_nvme_log_confirms(&before, &after, 1, 0x00000002, msg, sizeof(msg)), -EPROTO,
			     "the log's SCDW10 is a crypto erase, we sent a block erase: not ours");
		CHECK(strstr(msg, "another sanitize") != NULL, "  saying so");
		log_page(b, 0x1000, 0x0003, 0x00000004);
		nvme_parse_sanitize_log(b, sizeof(b), &after);
		CHECK_EQ_INT(purge_nvme_log_confirms(&before, &after, 1, 0x00000004, msg, sizeof(msg)), -EIO,
			     "SSTAT 011b: failed");
		log_page(b, 0x1000, 0x0002, 0x00000004);
		nvme_parse_sanitize_log(b, sizeof(b), &after);
		CHECK_EQ_INT(purge_nvme_log_confirms(&before, &after, 1, 0x00000004, msg, sizeof(msg)), -EPROTO,
			     "still in progress is not completed");
		log_page(b, 0xffff, 0x0004, 0x00000204);	/* completed, NDAS was set (CDW10 bit 9) */
		nvme_parse_sanitize_log(b, sizeof(b), &after);
		CHECK_EQ_INT(purge_nvme_log_confirms(&before, &after, 0, 0x00000204, msg, sizeof(msg)), 0,
			     "SSTAT 100b (completed, no-deallocate asked) with our CDW10: ours");
	}
	close(fd);
	return tap_done();
}
