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
#define ROW_H 12.0f
#define VAL_MAX 320		/* one formatted payload value: CERT_STR_MAX and a little */

/* The drawing state, passed explicitly: libharu reports errors through it. */
struct pdfctx {
	HPDF_Doc doc;
	HPDF_Page page;
	HPDF_Font regular, bold, mono;
	float y;			/* baseline of the next row */
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

/* A shaded section title; it stops at right so it never covers the QR code. */
static void heading(struct pdfctx *c, const char *title, float right)
{
	c->y -= 8;
	HPDF_Page_SetRGBFill(c->page, 0.88f, 0.88f, 0.88f);
	HPDF_Page_Rectangle(c->page, MARGIN, c->y - 4, right - MARGIN, ROW_H + 3);
	HPDF_Page_Fill(c->page);
	HPDF_Page_SetRGBFill(c->page, 0, 0, 0);
	text_at(c, c->bold, 10, MARGIN + 4, c->y, title);
	c->y -= ROW_H + 4;
}

/* One "Label: value" row; a long value is wrapped inside the value column (at most 3 lines). */
static void row(struct pdfctx *c, const char *label, const char *value, float right)
{
	char buf[1024];
	float top;

	text_at(c, c->bold, 8.5f, MARGIN + 4, c->y, label);
	ascii(value && *value ? value : "-", buf, sizeof(buf));
	HPDF_Page_SetFontAndSize(c->page, c->regular, 8.5f);
	if (HPDF_Page_TextWidth(c->page, buf) <= right - (MARGIN + LABEL_W)) {
		text_at(c, c->regular, 8.5f, MARGIN + LABEL_W, c->y, buf);
		c->y -= ROW_H;
		return;
	}
	top = c->y + 8.5f;
	HPDF_Page_BeginText(c->page);
	HPDF_Page_SetFontAndSize(c->page, c->regular, 8.5f);
	HPDF_Page_SetTextLeading(c->page, 10);
	HPDF_Page_TextRect(c->page, MARGIN + LABEL_W, top, right, top - 31, buf, HPDF_TALIGN_LEFT, NULL);
	HPDF_Page_EndText(c->page);
	c->y -= 3 * 10 + 3;
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

static void person(struct pdfctx *c, const char *title, const json_t *p, float right)
{
	heading(c, title, right);
	row(c, "Name", s_of(p, "name"), right);
	row(c, "Title", s_of(p, "title"), right);
	row(c, "Organization", s_of(p, "organization"), right);
	row(c, "Location", s_of(p, "location"), right);
	row(c, "Phone", s_of(p, "phone"), right);
}

/* Appendix G's signature block: the person's name over a line to sign, and a date. */
static void signature_line(struct pdfctx *c, const char *role, const json_t *p)
{
	char who[300];
	float x = MARGIN + 4;

	snprintf(who, sizeof(who), "%s%s%s%s%s", role, s_of(p, "name") ? ": " : "",
		 s_of(p, "name") ? s_of(p, "name") : "", s_of(p, "title") ? ", " : "",
		 s_of(p, "title") ? s_of(p, "title") : "");
	c->y -= 16;
	text_at(c, c->regular, 8.5f, x, c->y, who);

	c->y -= 22;
	HPDF_Page_SetLineWidth(c->page, 0.6f);
	HPDF_Page_MoveTo(c->page, x + 60, c->y);
	HPDF_Page_LineTo(c->page, x + 300, c->y);
	HPDF_Page_MoveTo(c->page, x + 340, c->y);
	HPDF_Page_LineTo(c->page, PAGE_W - MARGIN - 4, c->y);
	HPDF_Page_Stroke(c->page);
	text_at(c, c->regular, 8.5f, x, c->y + 2, "Signature");
	text_at(c, c->regular, 8.5f, x + 310, c->y + 2, "Date");
}

static void draw(struct pdfctx *c, const json_t *cert, const char *verify_url)
{
	const json_t *p = json_object_get(cert, "payload"), *org = json_object_get(p, "organization");
	const json_t *media = json_object_get(p, "media"), *san = json_object_get(p, "sanitization");
	const json_t *ver = json_object_get(san, "verification"), *tool = json_object_get(san, "tool");
	const json_t *st = json_object_get(cert, "status"), *lg = json_object_get(p, "ledger");
	char cap[VAL_MAX], backed[VAL_MAX], nread[32], seq[32], line[512];
	float full = PAGE_W - MARGIN - 4, narrow = PAGE_W - MARGIN - 150;

	c->y = PAGE_H - MARGIN - 16;
	text_at(c, c->bold, 17, MARGIN, c->y, "Certificate of Sanitization");
	c->y -= 15;
	text_at(c, c->regular, 9, MARGIN, c->y, "NIST SP 800-88 Rev. 1, Appendix G");
	c->y -= 18;
	text_at(c, c->bold, 11, MARGIN, c->y, s_of(org, "name") ? s_of(org, "name") : "sanitizerd");
	c->y -= 12;
	snprintf(line, sizeof(line), "%s%s%s", s_of(org, "address") ? s_of(org, "address") : "",
		 s_of(org, "address") && s_of(org, "phone") ? "  |  " : "",
		 s_of(org, "phone") ? s_of(org, "phone") : "");
	text_at(c, c->regular, 8.5f, MARGIN, c->y, line);
	c->y -= 4;
	/* the QR code sits top right, beside the first sections */
	draw_qr(c, verify_url, PAGE_W - MARGIN - 130, PAGE_H - MARGIN - 140, 130);

	person(c, "Person Performing Sanitization", json_object_get(p, "performed_by"), narrow);

	heading(c, "Media Information", PAGE_W - MARGIN);
	row(c, "Make / Vendor", s_of(media, "make"), narrow);
	row(c, "Model Number", s_of(media, "model"), narrow);
	row(c, "Serial Number", s_of(media, "serial"), narrow);
	row(c, "Media Property Number", s_of(media, "property_number"), full);
	snprintf(line, sizeof(line), "%s%s%s%s", s_of(media, "media_type") ? s_of(media, "media_type") : "-",
		 fmt(media, "capacity_bytes", cap, sizeof(cap)) ? ", " : "", cap,
		 json_is_integer(json_object_get(media, "capacity_bytes")) ? " bytes" : "");
	row(c, "Media Type", line, full);
	snprintf(line, sizeof(line), "%s%s%s", s_of(media, "source") ? s_of(media, "source") : "",
		 s_of(media, "source") ? " / tenant " : "tenant ", s_of(media, "tenant") ? s_of(media, "tenant") : "-");
	row(c, "Source", line, full);
	row(c, "Classification", s_of(media, "classification"), full);
	row(c, "Data Backed Up", fmt(media, "data_backed_up", backed, sizeof(backed)) ? backed : "Unknown", full);

	heading(c, "Sanitization Details", PAGE_W - MARGIN);
	row(c, "Method Type", s_of(san, "method_type"), full);
	row(c, "Method Used", s_of(san, "method_used"), full);
	row(c, "Method Details", s_of(san, "method_details"), full);
	snprintf(line, sizeof(line), "%s %s", s_of(tool, "name") ? s_of(tool, "name") : "-",
		 s_of(tool, "version") ? s_of(tool, "version") : "");
	row(c, "Tool Used (version)", line, full);
	snprintf(line, sizeof(line), "%s read-back%s%s", s_of(ver, "method") ? s_of(ver, "method") : "-",
		 fmt(ver, "bytes_read", nread, sizeof(nread)) ? ", bytes read " : "", nread);
	row(c, "Verification Method", line, full);
	row(c, "Verification Result", s_of(ver, "result"), full);
	row(c, "Post Sanitization Class.", s_of(san, "post_sanitization_classification"), full);
	row(c, "Started / Completed", s_of(san, "completed_at") ? (snprintf(line, sizeof(line), "%s / %s",
		s_of(san, "started_at") ? s_of(san, "started_at") : "-", s_of(san, "completed_at")), line) : NULL, full);
	row(c, "Standard Reference", s_of(san, "nist_reference"), full);
	row(c, "Notes", s_of(san, "notes"), full);

	heading(c, "Media Destination", PAGE_W - MARGIN);
	row(c, "Destination", s_of(p, "destination"), full);
	snprintf(line, sizeof(line), "%s%s%s%s%s", s_of(st, "state") ? s_of(st, "state") : "issued",
		 s_of(st, "date") ? " " : "", s_of(st, "date") ? s_of(st, "date") : "",
		 s_of(st, "facility") ? ", facility " : s_of(st, "carrier") ? ", carrier " : "",
		 s_of(st, "facility") ? s_of(st, "facility") : s_of(st, "carrier") ? s_of(st, "carrier") : "");
	row(c, "Status", line, full);

	heading(c, "Certificate", PAGE_W - MARGIN);
	row(c, "Certificate ID", s_of(cert, "id"), full);
	row(c, "Asset ID", s_of(p, "asset_id"), full);
	row(c, "Issued At", s_of(p, "issued_at"), full);
	snprintf(line, sizeof(line), "%s, sanitization entry %s", s_of(lg, "origin") ? s_of(lg, "origin") : "-",
		 fmt(lg, "seq", seq, sizeof(seq)) ? seq : "-");
	row(c, "Ledger", line, full);
	text_at(c, c->bold, 8.5f, MARGIN + 4, c->y, "JWS SHA-256");
	text_at(c, c->mono, 7.5f, MARGIN + LABEL_W, c->y, s_of(cert, "sha256"));
	c->y -= ROW_H;
	row(c, "Verify", verify_url, full);

	heading(c, "Signature and Validation", PAGE_W - MARGIN);
	signature_line(c, "Performed by", json_object_get(p, "performed_by"));
	signature_line(c, "Validated by", json_object_get(p, "validated_by"));
	c->y -= 16;
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
