#include "audit/certpdf.h"

#include <errno.h>
#include <hpdf.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A4 in points (ISO 216: 210 x 297 mm) */
#define PAGE_W 595.276f
#define PAGE_H 841.89f
#define MARGIN 42.0f
#define LABEL_W 150.0f
#define ROW_H 10.2f
#define VAL_MAX 320		/* one formatted payload value: CERT_STR_MAX and a little */
#define CERT_TEXT_MAX 4096	/* one row's text: the longest value (notes, 2 KiB) and its words */

/* The drawing state, passed explicitly: libharu reports errors through it. */
struct pdfctx {
	HPDF_Doc doc;
	HPDF_Page page;
	HPDF_Font regular, bold, mono;
	float y;			/* baseline of the next row */
	int npages;
	const char *cert_id;		/* named atop every page after the first */
	HPDF_STATUS error;		/* first libharu error, 0 if none */
	HPDF_STATUS detail;
};

static void HPDF_STDCALL on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user_data)
{
	struct pdfctx *c = user_data;

	if (!c->error) {
		c->error = error_no;
		c->detail = detail_no;
	}
}

/*
 * The base-14 fonts speak WinAnsi, not UTF-8: keep printable ASCII and put
 * '?' for the rest, so a hostile string cannot garble the page.  out holds cap.
 */
static const char *ascii(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; s && *s && n + 1 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch >= 0x80 && (ch & 0xc0) == 0x80)
			continue;	/* a UTF-8 continuation byte: one '?' per character */
		out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[n] = 0;
	return out;
}

static void text_at(struct pdfctx *c, HPDF_Font f, float size, float x, float y, const char *s)
{
	char buf[1024];

	HPDF_Page_BeginText(c->page);
	HPDF_Page_SetFontAndSize(c->page, f, size);
	HPDF_Page_TextOut(c->page, x, y, ascii(s, buf, sizeof(buf)));
	HPDF_Page_EndText(c->page);
}

/* Where the QR code ends: rows above it on the first page stop short of it. */
#define QR_SIZE 130.0f
#define QR_BOTTOM (PAGE_H - MARGIN - 10 - QR_SIZE)
#define LINE_H 9.3f
#define EXCEPTIONS_SHOWN 40		/* the rest are in the signed payload, and the page says so */

static float right_edge(const struct pdfctx *c)
{
	return c->npages == 1 && c->y + 10 > QR_BOTTOM ? PAGE_W - MARGIN - QR_SIZE - 20 : PAGE_W - MARGIN - 4;
}

/* Room for h more points on this page, else a new page (a long record runs on). */
static void need(struct pdfctx *c, float h)
{
	char head[128];

	if (c->y - h >= MARGIN - 12)	/* 30 points of bottom margin */
		return;
	c->page = HPDF_AddPage(c->doc);
	if (!c->page) {
		c->error = c->error ? c->error : 1;
		return;
	}
	HPDF_Page_SetWidth(c->page, PAGE_W);
	HPDF_Page_SetHeight(c->page, PAGE_H);
	c->npages++;
	c->y = PAGE_H - MARGIN - 16;
	/* a page that strays from the first still says whose it is */
	snprintf(head, sizeof(head), "Certificate of Sanitization %s, page %d (continued)",
		 c->cert_id ? c->cert_id : "", c->npages);
	text_at(c, c->bold, 10, MARGIN, c->y, head);
	c->y -= ROW_H + 6;
}

/* A shaded section title; it stops short of the QR code. */
static void heading(struct pdfctx *c, const char *title)
{
	float right;

	need(c, 6 + 2 * ROW_H + 3);
	if (!c->page)
		return;
	c->y -= 6;
	right = right_edge(c);
	HPDF_Page_SetRGBFill(c->page, 0.88f, 0.88f, 0.88f);
	HPDF_Page_Rectangle(c->page, MARGIN, c->y - 4, right - MARGIN, ROW_H + 3);
	HPDF_Page_Fill(c->page);
	HPDF_Page_SetRGBFill(c->page, 0, 0, 0);
	text_at(c, c->bold, 9.5f, MARGIN + 4, c->y, title);
	c->y -= ROW_H + 3;
}

/*
 * One "Label: value" row.  A long value wraps at word boundaries inside the
 * value column, onto as many lines (and pages) as it needs: nothing the
 * payload says is cut off.
 */
static void row(struct pdfctx *c, const char *label, const char *value)
{
	char buf[CERT_TEXT_MAX], line[CERT_TEXT_MAX];
	const char *p = buf;

	need(c, ROW_H);
	if (!c->page)
		return;
	text_at(c, c->bold, 8.5f, MARGIN + 4, c->y, label);
	ascii(value && *value ? value : "-", buf, sizeof(buf));
	if (strlen(buf) == sizeof(buf) - 1)	/* only a hostile record gets here: say it is cut */
		memcpy(buf + sizeof(buf) - 6, "[...]", 5);
	while (*p && c->page) {
		HPDF_REAL width = right_edge(c) - (MARGIN + LABEL_W);
		HPDF_UINT n;

		HPDF_Page_SetFontAndSize(c->page, c->regular, 8.5f);
		n = HPDF_Page_MeasureText(c->page, p, width, HPDF_TRUE, NULL);
		if (n == 0)	/* one word wider than the column: break it */
			n = HPDF_Page_MeasureText(c->page, p, width, HPDF_FALSE, NULL);
		if (n == 0)
			n = 1;
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		text_at(c, c->regular, 8.5f, MARGIN + LABEL_W, c->y, line);
		p += n;
		while (*p == ' ')
			p++;
		if (*p) {
			c->y -= LINE_H;
			need(c, LINE_H);
		}
	}
	c->y -= ROW_H;
}

static const char *s_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/*
 * A scalar member of o as the page prints it, written into the caller's own
 * buf: strings as they are, integers in decimal, booleans Yes/No.  Returns
 * buf, or NULL (buf empty) if the member is absent or not a scalar.  Each
 * value gets its own buffer, so no row can print what another row left in
 * a shared scratch buffer (issue 10 item 11).
 */
static const char *fmt(const json_t *o, const char *k, char *buf, size_t cap)
{
	const json_t *v = json_object_get(o, k);

	buf[0] = 0;
	if (json_is_string(v))
		snprintf(buf, cap, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, cap, "%s", json_is_true(v) ? "Yes" : "No");
	else
		return NULL;
	return buf;
}

/* The QR code as filled squares, dark modules only; the page is the light background. */
static int draw_qr(struct pdfctx *c, const char *url, float x, float y, float size)
{
	QRcode *qr = QRcode_encodeString(url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	float m;

	if (!qr)
		return -EIO;
	m = size / (float)(qr->width + 8);	/* a quiet zone of 4 modules each side (ISO/IEC 18004) */
	HPDF_Page_SetRGBFill(c->page, 0, 0, 0);
	for (int r = 0; r < qr->width; r++) {
		for (int col = 0; col < qr->width; col++) {
			if (!(qr->data[r * qr->width + col] & 1))
				continue;
			HPDF_Page_Rectangle(c->page, x + (float)(col + 4) * m,
					    y + size - (float)(r + 5) * m, m, m);
		}
	}
	HPDF_Page_Fill(c->page);
	QRcode_free(qr);
	return 0;
}

/* Rev. 2 4.6: name, title, organisation, location, phone and date of a person */
static void person(struct pdfctx *c, const json_t *p)
{
	row(c, "Name", s_of(p, "name"));
	row(c, "Title", s_of(p, "title"));
	row(c, "Organization", s_of(p, "organization"));
	row(c, "Location", s_of(p, "location"));
	row(c, "Phone", s_of(p, "phone"));
	row(c, "Date", s_of(p, "date") ? s_of(p, "date") : "not recorded");
}

/*
 * The signature block of the sample certificate: each person's name over a
 * line to sign and a date, side by side (x is the block's left edge, w its
 * width).  The caller moves c->y.
 */
static void signature_line(struct pdfctx *c, const char *role, const json_t *p, float x, float w)
{
	char who[600];
	float y = c->y - 12;

	if (!p)
		snprintf(who, sizeof(who), "%s: not recorded", role);
	else
		snprintf(who, sizeof(who), "%s%s%s%s%s", role, s_of(p, "name") ? ": " : "",
			 s_of(p, "name") ? s_of(p, "name") : "", s_of(p, "title") ? ", " : "",
			 s_of(p, "title") ? s_of(p, "title") : "");
	text_at(c, c->regular, 8.5f, x, y, who);
	y -= 20;
	HPDF_Page_SetLineWidth(c->page, 0.6f);
	HPDF_Page_MoveTo(c->page, x + 42, y);
	HPDF_Page_LineTo(c->page, x + w * 0.62f, y);
	HPDF_Page_MoveTo(c->page, x + w * 0.62f + 26, y);
	HPDF_Page_LineTo(c->page, x + w - 8, y);
	HPDF_Page_Stroke(c->page);
	text_at(c, c->regular, 8, x, y + 2, "Signature");
	text_at(c, c->regular, 8, x + w * 0.62f + 4, y + 2, "Date");
}

/* Each exception stated plainly: what, in words, and where (SPEC section 7). */
static void exceptions(struct pdfctx *c, const json_t *x)
{
	char label[48], line[CERT_TEXT_MAX], off[32], len[32];
	const json_t *e;
	size_t i, n = json_array_size(x);

	if (!n) {
		row(c, "Exceptions", "none recorded");
		return;
	}
	json_array_foreach(x, i, e) {
		if (i == EXCEPTIONS_SHOWN) {
			snprintf(line, sizeof(line), "and %zu more, listed in the signed certificate", n - i);
			row(c, "...", line);
			break;
		}
		snprintf(label, sizeof(label), "%zu. %.36s", i + 1, s_of(e, "kind") ? s_of(e, "kind") : "exception");
		if (json_is_integer(json_object_get(e, "offset")) && json_integer_value(json_object_get(e, "offset")) >= 0)
			snprintf(line, sizeof(line), "%s (at byte %s, %s bytes)", s_of(e, "detail") ? s_of(e, "detail") : "-",
				 fmt(e, "offset", off, sizeof(off)), fmt(e, "length", len, sizeof(len)) ? len : "?");
		else
			snprintf(line, sizeof(line), "%s", s_of(e, "detail") ? s_of(e, "detail") : "-");
		row(c, label, line);
	}
}

static void draw(struct pdfctx *c, const json_t *cert, const char *verify_url)
{
	const json_t *p = json_object_get(cert, "payload"), *org = json_object_get(p, "organization");
	const json_t *media = json_object_get(p, "media"), *san = json_object_get(p, "sanitization");
	const json_t *ver = json_object_get(san, "verification"), *tool = json_object_get(san, "tool");
	const json_t *st = json_object_get(cert, "status"), *lg = json_object_get(p, "ledger");
	const json_t *cov = json_object_get(san, "coverage"), *hid = json_object_get(san, "hidden_sectors");
	const json_t *basis = json_object_get(san, "category_basis"), *val = json_object_get(p, "validation");
	const json_t *vby = json_object_get(p, "validated_by");
	char cap[VAL_MAX], backed[VAL_MAX], nread[32], seq[32], a[32], b[32], line[CERT_TEXT_MAX];
	float half;

	c->y = PAGE_H - MARGIN - 16;
	text_at(c, c->bold, 17, MARGIN, c->y, "Certificate of Sanitization");
	c->y -= 15;
	text_at(c, c->regular, 9, MARGIN, c->y, "NIST SP 800-88 Rev. 2 sanitization record (4.6, Appendix C)");
	c->y -= 18;
	text_at(c, c->bold, 11, MARGIN, c->y, s_of(org, "name") ? s_of(org, "name") : "sanitizerd");
	c->y -= 12;
	snprintf(line, sizeof(line), "%s%s%s", s_of(org, "address") ? s_of(org, "address") : "",
		 s_of(org, "address") && s_of(org, "phone") ? "  |  " : "",
		 s_of(org, "phone") ? s_of(org, "phone") : "");
	text_at(c, c->regular, 8.5f, MARGIN, c->y, line);
	c->y -= 4;
	/* the QR code sits top right, beside the first sections */
	draw_qr(c, verify_url, PAGE_W - MARGIN - QR_SIZE, QR_BOTTOM, QR_SIZE);

	heading(c, "Person Performing Sanitization");
	person(c, json_object_get(p, "performed_by"));

	heading(c, "Media Information");
	row(c, "Make / Vendor", s_of(media, "make"));
	row(c, "Model Number", s_of(media, "model"));
	row(c, "Serial Number", s_of(media, "serial"));
	row(c, "WWN", s_of(media, "wwn"));
	row(c, "Media Property Number", s_of(media, "property_number"));
	snprintf(line, sizeof(line), "%s%s%s%s", s_of(media, "media_type") ? s_of(media, "media_type") : "-",
		 fmt(media, "capacity_bytes", cap, sizeof(cap)) ? ", " : "", cap,
		 json_is_integer(json_object_get(media, "capacity_bytes")) ? " bytes" : "");
	row(c, "Media Type", line);
	snprintf(line, sizeof(line), "%s%s%s", s_of(media, "source") ? s_of(media, "source") : "",
		 s_of(media, "source") ? " / tenant " : "tenant ", s_of(media, "tenant") ? s_of(media, "tenant") : "-");
	row(c, "Source", line);
	row(c, "Classification", s_of(media, "classification"));
	row(c, "Data Backed Up", fmt(media, "data_backed_up", backed, sizeof(backed)) ? backed : "Unknown");

	heading(c, "Sanitization Details");
	row(c, "Method Type", s_of(san, "method_type"));
	row(c, "Method Used", s_of(san, "method_used"));
	row(c, "Method Details", s_of(san, "method_details"));
	snprintf(line, sizeof(line), "%s %s", s_of(tool, "name") ? s_of(tool, "name") : "-",
		 s_of(tool, "version") ? s_of(tool, "version") : "");
	row(c, "Tool Used (version)", line);
	snprintf(line, sizeof(line), "%s read-back%s%s", s_of(ver, "method") ? s_of(ver, "method") : "-",
		 fmt(ver, "bytes_read", nread, sizeof(nread)) ? ", bytes read " : "", nread);
	row(c, "Verification Method", line);
	row(c, "Verification Result", s_of(ver, "result"));
	/* a record with exceptions never reads as a plain pass */
	row(c, "Outcome", s_of(san, "outcome") ? s_of(san, "outcome") : s_of(ver, "result"));
	if (fmt(cov, "bytes", a, sizeof(a)) && fmt(cov, "capacity_bytes", b, sizeof(b)))
		snprintf(line, sizeof(line), "%s, %s of %s bytes", s_of(cov, "scope") ? s_of(cov, "scope") : "-", a, b);
	else
		snprintf(line, sizeof(line), "%s", s_of(cov, "scope") ? s_of(cov, "scope") : "not recorded");
	row(c, "Coverage", line);
	if (fmt(hid, "hpa", a, sizeof(a)) && fmt(hid, "dco", b, sizeof(b)))
		snprintf(line, sizeof(line), "HPA %s sectors, DCO %s sectors", a, b);
	else
		snprintf(line, sizeof(line), "not recorded");
	row(c, "Hidden Sectors", line);
	row(c, "Post Sanitization Class.", s_of(san, "post_sanitization_classification"));
	if (s_of(san, "completed_at"))
		snprintf(line, sizeof(line), "%s / %s", s_of(san, "started_at") ? s_of(san, "started_at") : "-",
			 s_of(san, "completed_at"));
	row(c, "Started / Completed", s_of(san, "completed_at") ? line : NULL);
	row(c, "Standard Reference", s_of(san, "nist_reference"));
	if (json_is_boolean(json_object_get(basis, "confirmed")))
		row(c, "Category Basis", json_is_true(json_object_get(basis, "confirmed"))
			? "confirmed by the cited text"
			: "unconfirmed: our reading, not stated by a text we could check");
	else
		row(c, "Category Basis", "not recorded");
	row(c, "Notes", s_of(san, "notes"));

	heading(c, "Exceptions");
	exceptions(c, json_object_get(san, "exceptions"));

	/* Rev. 2 4.5.2: validation is a person's acceptance, distinct from verification above */
	heading(c, "Validation (NIST SP 800-88 Rev. 2 4.5.2)");
	if (json_is_true(json_object_get(val, "recorded")) && vby)
		person(c, vby);
	else
		row(c, "Validation", "not recorded: no one is named as having validated this sanitization");

	heading(c, "Media Destination");
	row(c, "Destination", s_of(p, "destination"));
	snprintf(line, sizeof(line), "%s%s%s%s%s", s_of(st, "state") ? s_of(st, "state") : "issued",
		 s_of(st, "date") ? " " : "", s_of(st, "date") ? s_of(st, "date") : "",
		 s_of(st, "facility") ? ", facility " : s_of(st, "carrier") ? ", carrier " : "",
		 s_of(st, "facility") ? s_of(st, "facility") : s_of(st, "carrier") ? s_of(st, "carrier") : "");
	row(c, "Status", line);

	heading(c, "Certificate");
	row(c, "Certificate ID", s_of(cert, "id"));
	row(c, "Asset ID", s_of(p, "asset_id"));
	row(c, "Issued At", s_of(p, "issued_at"));
	snprintf(line, sizeof(line), "%s, sanitization entry %s", s_of(lg, "origin") ? s_of(lg, "origin") : "-",
		 fmt(lg, "seq", seq, sizeof(seq)) ? seq : "-");
	row(c, "Ledger", line);
	need(c, ROW_H);
	if (!c->page)
		return;
	text_at(c, c->bold, 8.5f, MARGIN + 4, c->y, "JWS SHA-256");
	text_at(c, c->mono, 7.5f, MARGIN + LABEL_W, c->y, s_of(cert, "sha256"));
	c->y -= ROW_H;
	row(c, "Verify", verify_url);

	need(c, 6 + ROW_H + 3 + 36);	/* the heading stays with its lines */
	heading(c, "Signatures");
	need(c, 36);
	if (!c->page)
		return;
	half = (PAGE_W - 2 * MARGIN) / 2;
	signature_line(c, "Performed by", json_object_get(p, "performed_by"), MARGIN + 4, half - 4);
	signature_line(c, "Validated by", json_is_true(json_object_get(val, "recorded")) ? vby : NULL,
		       MARGIN + half + 4, half - 4);
	c->y -= 36;
	need(c, 12 + 9);
	if (!c->page)
		return;
	c->y -= 12;
	text_at(c, c->regular, 7, MARGIN, c->y,
		"This page renders a certificate signed with Ed25519 (JWS, RFC 7515/8037) and recorded in a"
		" tamper-evident ledger.");
	c->y -= 9;
	text_at(c, c->regular, 7, MARGIN, c->y,
		"The signed JWS is the evidence: verify it with sanitizerd cert verify or any JOSE library"
		" against the published JWKS.");
}

int cert_pdf(const json_t *cert, const char *verify_url, uint8_t **pdf, size_t *len)
{
	struct pdfctx c = { 0 };
	uint8_t *buf = NULL;
	HPDF_UINT32 size, off = 0;
	int rc = 0;

	*pdf = NULL;
	*len = 0;
	if (!json_is_object(json_object_get(cert, "payload")) || !json_is_string(json_object_get(cert, "id")) ||
	    !verify_url)
		return -EINVAL;
	c.doc = HPDF_New(on_error, &c);
	if (!c.doc)
		return -ENOMEM;
	HPDF_SetCompressionMode(c.doc, HPDF_COMP_ALL);
	HPDF_SetInfoAttr(c.doc, HPDF_INFO_TITLE, "Certificate of Sanitization");
	HPDF_SetInfoAttr(c.doc, HPDF_INFO_CREATOR, "sanitizerd");
	c.page = HPDF_AddPage(c.doc);
	c.npages = 1;
	c.cert_id = json_string_value(json_object_get(cert, "id"));
	c.regular = HPDF_GetFont(c.doc, "Helvetica", NULL);
	c.bold = HPDF_GetFont(c.doc, "Helvetica-Bold", NULL);
	c.mono = HPDF_GetFont(c.doc, "Courier", NULL);
	if (c.error || !c.page || !c.regular || !c.bold || !c.mono) {
		rc = -EIO;
		goto done;
	}
	HPDF_Page_SetWidth(c.page, PAGE_W);
	HPDF_Page_SetHeight(c.page, PAGE_H);
	draw(&c, cert, verify_url);
	if (c.error) {
		rc = -EIO;
		goto done;
	}
	if (HPDF_SaveToStream(c.doc) != HPDF_OK) {
		rc = -EIO;
		goto done;
	}
	size = HPDF_GetStreamSize(c.doc);
	if (size == 0 || size > CERTPDF_MAX) {
		rc = size ? -EFBIG : -EIO;
		goto done;
	}
	buf = malloc(size);
	if (!buf) {
		rc = -ENOMEM;
		goto done;
	}
	HPDF_ResetStream(c.doc);
	while (off < size) {
		HPDF_UINT32 n = size - off;
		HPDF_STATUS s = HPDF_ReadFromStream(c.doc, buf + off, &n);
		off += n;
		if (s == HPDF_STREAM_EOF || n == 0)
			break;
		if (s != HPDF_OK) {
			rc = -EIO;
			goto done;
		}
	}
	if (off != size) {
		rc = -EIO;
		goto done;
	}
	*pdf = buf;
	*len = size;
	buf = NULL;
done:
	free(buf);
	HPDF_Free(c.doc);
	return rc;
}
