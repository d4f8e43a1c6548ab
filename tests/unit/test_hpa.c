/*
 * Restoring a host protected area before an overwrite (issue 13 item 5):
 * the SET MAX ADDRESS EXT and SET ACCESSIBLE MAX ADDRESS EXT encodings
 * (ACS-3 7.51, 7.4.3) into the SAT ATA PASS-THROUGH(16) CDB, and
 * ata_restore_hpa against a scripted drive: the volatile form by default,
 * READ NATIVE MAX immediately before the set, IDENTIFY after; a drive that
 * refuses, one that accepts and ignores, an AMA drive, a 28-bit drive.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/ata.h"
#include "drivers/sanitize.h"
#include "tests/unit/tap.h"

struct fake {
	uint64_t cur_max, native_max;
	int refuse_set, ignore_set, ama, lba48;
	int vv;			/* the VV bit of the last SET MAX */
	int last;		/* the last command (feature in bits 15:8 for 78h) */
	unsigned n;
	int seq[8];
};

static void put_w(uint8_t *b, unsigned word, uint16_t v)
{
	b[2 * word] = (uint8_t)v;
	b[2 * word + 1] = (uint8_t)(v >> 8);
}

static void put_str(uint8_t *b, unsigned word, unsigned words, const char *s)
{
	size_t n = strlen(s);

	for (unsigned i = 0; i < 2 * words; i++) {
		/* ATA strings: two characters a word, the first in the high byte */
		uint8_t c = i < n ? (uint8_t)s[i] : ' ';
		b[2 * word + (i ^ 1)] = c;
	}
}

static void identify(const struct fake *f, uint8_t *b)
{
	uint64_t sectors = f->cur_max + 1;

	memset(b, 0, 512);
	put_str(b, 10, 10, "FAKE0001");
	put_str(b, 23, 4, "1.0");
	put_str(b, 27, 20, "SCRIPTED HPA DRIVE");
	put_w(b, 60, (uint16_t)(sectors > 0x0fffffff ? 0xffff : sectors));
	put_w(b, 61, (uint16_t)((sectors > 0x0fffffff ? 0x0fffffff : sectors) >> 16));
	put_w(b, 82, 0x0400);			/* HPA feature set */
	put_w(b, 83, (uint16_t)(0x4000 | (f->lba48 ? 0x0400 : 0)));
	put_w(b, 84, 0x4000);
	put_w(b, 119, (uint16_t)(0x4000 | (f->ama ? 0x0100 : 0)));
	for (unsigned i = 0; i < 4 && f->lba48; i++)
		put_w(b, 100 + i, (uint16_t)(sectors >> (16 * i)));
}

static int fake_exec(void *ctx, int fd, const struct ata_tf *tf, void *data, size_t len, unsigned timeout_ms,
		     struct ata_regs *r, char *err, size_t errlen)
{
	struct fake *f = ctx;
	int cmd = tf->command == ATA_CMD_AMAC ? 0x7800 | tf->feature : tf->command;
	int prev = f->last;

	(void)fd, (void)timeout_ms;
	memset(r, 0, sizeof(*r));
	if (f->n < 8)
		f->seq[f->n++] = cmd;
	f->last = cmd;
	switch (cmd) {
	case ATA_CMD_READ_NATIVE_MAX_EXT:
	case 0x7800:
		r->valid = 1;
		r->lba = f->native_max;
		return 0;
	case ATA_CMD_SET_MAX_EXT:
		/* ACS-3 7.51.1: aborted unless immediately preceded by READ NATIVE MAX ADDRESS EXT */
		if (prev != ATA_CMD_READ_NATIVE_MAX_EXT || f->refuse_set || tf->lba > f->native_max) {
			snprintf(err, errlen, "the device aborted the command");
			return -EIO;
		}
		f->vv = tf->count & 1;
		if (!f->ignore_set)
			f->cur_max = tf->lba;
		return 0;
	case 0x7801:
		if (f->refuse_set) {
			snprintf(err, errlen, "the device aborted the command");
			return -EIO;
		}
		f->cur_max = tf->lba;
		return 0;
	case ATA_CMD_IDENTIFY:
		if (len < 512)
			return -EINVAL;
		identify(f, data);
		return 0;
	}
	snprintf(err, errlen, "unexpected command");
	return -EIO;
}

static void drive(struct fake *f, struct ata_info *id, uint64_t cur, uint64_t native)
{
	uint8_t b[512];

	memset(f, 0, sizeof(*f));
	f->cur_max = cur;
	f->native_max = native;
	f->lba48 = 1;
	identify(f, b);
	ata_parse_identify(b, sizeof(b), id);
}

int main(void)
{
	struct ata_hpa_restore out;
	struct ata_info id;
	struct ata_tf tf;
	struct fake f;
	uint8_t cdb[16];

	/* encodings */
	CHECK(ata_set_max_tf(&tf, 0x123456789abcull, 0) == 0 && tf.command == 0x37 && tf.count == 0 &&
	      tf.device == 0x40 && tf.ext && tf.proto == ATA_PROTO_NON_DATA && tf.lba == 0x123456789abcull,
	      "set max address ext: 37h, lba, volatile (count bit 0 clear) by default");
	CHECK(ata_pt16_cdb(cdb, &tf) == 0 && cdb[0] == 0x85 && (cdb[1] & 0x01) && cdb[6] == 0 && cdb[8] == 0xbc &&
	      cdb[10] == 0x9a && cdb[12] == 0x78 && cdb[7] == 0x56 && cdb[9] == 0x34 && cdb[11] == 0x12 &&
	      cdb[13] == 0x40 && cdb[14] == 0x37, "  into ATA PASS-THROUGH(16): extend, lba 47:0, device, command");
	CHECK(ata_set_max_tf(&tf, 1000, 1) == 0 && tf.count == 1, "  permanent: the volatile value bit set");
	CHECK_EQ_INT(ata_set_max_tf(&tf, 1ull << 48, 0), -EINVAL, "  an lba beyond 48 bits is refused");
	CHECK(ata_set_accessible_max_tf(&tf, 5000) == 0 && tf.command == 0x78 && tf.feature == 0x0001 &&
	      tf.lba == 5000 && ata_pt16_cdb(cdb, &tf) == 0 && cdb[4] == 0x01 && cdb[3] == 0x00,
	      "set accessible max address ext: 78h/0001h");

	/* scripted: volatile by default */
	drive(&f, &id, 999999, 1999999);
	CHECK(id.sectors == 1000000 && id.lba48 && id.hpa_supported, "a scripted drive: 1000000 of 2000000 sectors");
	CHECK_EQ_INT(ata_restore_hpa(-1, fake_exec, &f, &id, 0, &out), 0, "restore (volatile): %s", out.error);
	CHECK(f.n == 3 && f.seq[0] == 0x27 && f.seq[1] == 0x37 && f.seq[2] == 0xec,
	      "  read native max, immediately then set max, then identify");
	CHECK(out.performed && !out.permanent && f.vv == 0, "  performed, volatile (VV clear on the wire)");
	CHECK(out.old_max == 999999 && out.new_max == 1999999 && out.native_max == 1999999,
	      "  old max 999999, new max 1999999 (as the drive reports after)");
	CHECK(!strcmp(out.command, "set max address ext"), "  the command named");

	drive(&f, &id, 999999, 1999999);
	CHECK(ata_restore_hpa(-1, fake_exec, &f, &id, 1, &out) == 0 && out.permanent && f.vv == 1,
	      "restore (permanent): VV set");

	drive(&f, &id, 999999, 1999999);
	f.refuse_set = 1;
	CHECK(ata_restore_hpa(-1, fake_exec, &f, &id, 0, &out) == -EIO && !out.performed && strstr(out.error, "refused") &&
	      f.cur_max == 999999, "a drive that aborts set max: -EIO, not performed (%s)", out.error);

	drive(&f, &id, 999999, 1999999);
	f.ignore_set = 1;
	CHECK(ata_restore_hpa(-1, fake_exec, &f, &id, 0, &out) == -EIO && !out.performed &&
	      out.new_max == 999999 && strstr(out.error, "now reports"),
	      "a drive that accepts and ignores it: -EIO, caught by identify (%s)", out.error);

	drive(&f, &id, 999999, 1999999);
	f.ama = 1;
	{
		uint8_t b[512];
		identify(&f, b);
		ata_parse_identify(b, sizeof(b), &id);
	}
	CHECK(id.ama_supported && ata_restore_hpa(-1, fake_exec, &f, &id, 0, &out) == -EOPNOTSUPP && f.n == 0 &&
	      strstr(out.error, "non-volatile"), "an AMA drive, volatile asked: refused, nothing sent");
	CHECK(ata_restore_hpa(-1, fake_exec, &f, &id, 1, &out) == 0 && f.n == 3 && f.seq[0] == 0x7800 &&
	      f.seq[1] == 0x7801 && f.seq[2] == 0xec && out.new_max == 1999999 && out.permanent,
	      "  permanent: get native max, set accessible max address ext, identify");

	drive(&f, &id, 999, 1999);
	f.lba48 = 0;
	id.lba48 = 0;
	CHECK(ata_restore_hpa(-1, fake_exec, &f, &id, 0, &out) == -EOPNOTSUPP && f.n == 0,
	      "a 28-bit drive: refused, nothing sent");
	{
		struct sanitize_params p;
		struct sanitize_job *j = NULL;

		memset(&p, 0, sizeof(p));
		snprintf(p.device, sizeof(p.device), "/dev/null");
		snprintf(p.method, sizeof(p.method), "clear-zero");
		p.restore_hpa = SANITIZE_HPA_RESTORE_PERMANENT + 1;
		CHECK_EQ_INT(sanitize_job_new(&p, &j), -EINVAL, "sanitize_params.restore_hpa out of range is refused");
		p.restore_hpa = SANITIZE_HPA_RESTORE;
		CHECK_EQ_INT(sanitize_job_new(&p, &j), 0, "  the volatile restore is accepted");
		CHECK(!sanitize_job_result(j)->hpa_restore.performed, "  and nothing is restored before the job runs");
		sanitize_job_free(j);
	}
	return tap_done();
}
