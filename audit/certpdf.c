#include "audit/certpdf.h"

#include <errno.h>
#include <hpdf.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A4 in points (ISO 216: 210 x 297 mm) */
#define PAGE_W 595.276f
#define PAGE_H 841.89f
#define MARGIN 42.0f
#define LABEL_W 150.0f
#define ROW_H 8.7f
#define HEAD_GAP 2.5f	/* above a section heading */
#define VAL_MAX 320		/* one formatted payload value: CERT_STR_MAX and a little */
#define CERT_TEXT_MAX 4096	/* one row's text: the longest value (notes, 2 KiB) and its words */

/* The drawing state, passed explicitly: libharu reports errors through it. */
struct pdfctx {
	HPDF_Doc doc;
	HPDF_Page page;
	HPDF_Font regular, bold, mono;
	int unicode;			/* the DejaVu fonts with UTF-8; 0: the built-in fonts, ASCII only */
	int has_qr;
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
 * The next character of UTF-8 text s (RFC 3629): its code point in *cp and
 * its length, or length 1 and *cp 0xFFFD for a byte that starts no valid
 * sequence (overlong forms and surrogates included).
 */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, v = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, v = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, v = s[0] & 0x07, min = 0x10000;
	else
		goto bad;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}

/*
 * A character that can reorder or hide the text around it on the page: the
 * bidirectional embeddings, overrides and isolates (Unicode UAX #9: U+202A..
 * U+202E, U+2066..U+2069), the marks (U+200E, U+200F, U+061C), the line and
 * paragraph separators, and every C0/C1 control.  A name "Ann <U+202E>exe.txt"
 * must not print as "Ann txt.exe".
 */
static int hostile(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0xfffd;
}

/*
 * s as the page prints it, into out (cap bytes, NUL included): with the
 * Unicode font every hostile character becomes U+FFFD; with the built-in
 * fonts (WinAnsi, not UTF-8) printable ASCII is kept and every other
 * character is one '?'.  Never cuts a character.  Returns out; *cut (may be
 * NULL) is set when s did not fit.
 */
static const char *clean(const struct pdfctx *c, const char *s, char *out, size_t cap, int *cut)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = 0;

	if (cut)
		*cut = 0;
	while (*p) {
		uint32_t cp;
		size_t len = utf8_next(p, &cp), w;
		const char *put = (const char *)p;

		if (!c->unicode && (cp >= 0x80 || hostile(cp)))
			put = "?", w = 1;
		else if (hostile(cp))
			put = "\xef\xbf\xbd", w = 3;	/* U+FFFD REPLACEMENT CHARACTER */
		else
			w = len;
		if (n + w + 1 > cap) {
			if (cut)
				*cut = 1;
			break;
		}
		memcpy(out + n, put, w);
		n += w;
		p += len;
	}
	out[n] = 0;
	return out;
}

/* 1 if any string in j (members' names too) has a character clean() replaces; depth-capped. */
static int any_hostile(const json_t *j, int depth)
{
	const char *k;
	const json_t *v;
	size_t i;

	if (depth > 32)
		return 0;
	if (json_is_string(j)) {
		const unsigned char *p = (const unsigned char *)json_string_value(j);
		while (*p) {
			uint32_t cp;
			p += utf8_next(p, &cp);
			if (hostile(cp))
				return 1;
		}
		return 0;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (any_hostile(v, depth + 1))
				return 1;
	}
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v) {
			json_t *kk = json_string(k);
			int bad = kk && any_hostile(kk, depth + 1);
			json_decref(kk);
			if (bad || any_hostile(v, depth + 1))
				return 1;
		}
	}
	return 0;
}

static void text_at(struct pdfctx *c, HPDF_Font f, float size, float x, float y, const char *s)
{
	char buf[1024];

	HPDF_Page_BeginText(c->page);
	HPDF_Page_SetFontAndSize(c->page, f, size);
	HPDF_Page_TextOut(c->page, x, y, clean(c, s, buf, sizeof(buf), NULL));
	HPDF_Page_EndText(c->page);
}

/* u (negated when neg) with thousands separators: "4,000,787,030,016". */
static const char *grouped_u(uint64_t u, int neg, char *buf, size_t cap)
{
	char d[32];
	size_t len, o = 0;

	snprintf(d, sizeof(d), "%llu", (unsigned long long)u);
	len = strlen(d);
	if (neg && o + 1 < cap)
		buf[o++] = '-';
	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		if (i && (len - i) % 3 == 0 && o + 2 < cap)
			buf[o++] = ',';
		buf[o++] = d[i];
	}
	buf[o] = 0;
	return buf;
}

static const char *grouped(long long n, char *buf, size_t cap)
{
	return grouped_u(n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n, n < 0, buf, cap);
}

/* n / d rounded half up, without overflow */
static uint64_t div_round(uint64_t n, uint64_t d)
{
	uint64_t q = n / d, r = n % d;

	return q + (r >= d - r);
}

void cert_pdf_size(uint64_t bytes, char *buf, size_t cap)
{
	/* SI prefixes (BIPM SI Brochure 3.1): 1 kB = 1000 bytes, as drive capacities are stated */
	static const char *const units[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
	char g[40];
	uint64_t unit = 1000, v;
	size_t k = 0;

	grouped_u(bytes, 0, g, sizeof(g));
	if (bytes < 1000) {
		snprintf(buf, cap, "%s bytes", g);
		return;
	}
	for (;;) {
		v = div_round(bytes, unit / 100);
		if (v < 1000) {
			snprintf(buf, cap, "%u.%02u %s (%s bytes)", (unsigned)(v / 100), (unsigned)(v % 100), units[k], g);
			return;
		}
		v = div_round(bytes, unit / 10);
		if (v < 1000) {
			snprintf(buf, cap, "%u.%u %s (%s bytes)", (unsigned)(v / 10), (unsigned)(v % 10), units[k], g);
			return;
		}
		v = div_round(bytes, unit);
		if (v >= 1000 && k + 1 < sizeof(units) / sizeof(units[0])) {
			k++;
			unit *= 1000;
			continue;
		}
		snprintf(buf, cap, "%llu %s (%s bytes)", (unsigned long long)v, units[k], g);
		return;
	}
}

/* Where the QR code ends: rows above it on the first page stop short of it. */
#define QR_SIZE 130.0f
#define QR_BOTTOM (PAGE_H - MARGIN - 10 - QR_SIZE)
#define LINE_H 8.9f
#define EXCEPTIONS_SHOWN 40		/* the rest are in the signed payload, and the page says so */

static float right_edge(const struct pdfctx *c)
{
	return c->has_qr && c->npages == 1 && c->y + 10 > QR_BOTTOM ? PAGE_W - MARGIN - QR_SIZE - 20
								    : PAGE_W - MARGIN - 4;
}

/* Room for h more points on this page, else a new page (a long record runs on). */
static void need(struct pdfctx *c, float h)
{
	char head[128];

	if (c->y - h >= MARGIN - 18)	/* 24 points (8.5 mm) of bottom margin */
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

	need(c, HEAD_GAP + 2 * ROW_H + 3);
	if (!c->page)
		return;
	c->y -= HEAD_GAP;
	right = right_edge(c);
	HPDF_Page_SetRGBFill(c->page, 0.88f, 0.88f, 0.88f);
	HPDF_Page_Rectangle(c->page, MARGIN, c->y - 3, right - MARGIN, ROW_H + 2);
	HPDF_Page_Fill(c->page);
	HPDF_Page_SetRGBFill(c->page, 0, 0, 0);
	text_at(c, c->bold, 9.5f, MARGIN + 4, c->y, title);
	c->y -= ROW_H + 2;
}

/*
 * One "Label: value" row.  A long value wraps at word boundaries inside the
 * value column, onto as many lines (and pages) as it needs: nothing the
 * payload says is cut off.
 */
/*
 * A row's label in bold, made a little smaller when it would run into the
 * value column.  Returns 1 if even then it does not fit: it is then printed
 * whole on a line of its own, and the caller starts the value on the next.
 */
static int label_at(struct pdfctx *c, const char *label)
{
	char buf[256];
	float size = 8.5f;

	clean(c, label, buf, sizeof(buf), NULL);
	HPDF_Page_SetFontAndSize(c->page, c->bold, size);
	/* a gap of at least 12 points before the value column: a reader (and pdftotext) sees two columns */
	while (size > 7.0f && HPDF_Page_TextWidth(c->page, buf) > LABEL_W - 16) {
		size -= 0.25f;
		HPDF_Page_SetFontAndSize(c->page, c->bold, size);
	}
	if (HPDF_Page_TextWidth(c->page, buf) > LABEL_W - 16) {
		text_at(c, c->bold, 8.5f, MARGIN + 4, c->y, label);
		return 1;
	}
	text_at(c, c->bold, size, MARGIN + 4, c->y, label);
	return 0;
}

static void row(struct pdfctx *c, const char *label, const char *value)
{
	char buf[CERT_TEXT_MAX], line[CERT_TEXT_MAX];
	const char *p = buf;
	int cut;

	need(c, ROW_H);
	if (!c->page)
		return;
	if (label_at(c, label)) {
		c->y -= LINE_H;
		need(c, LINE_H);
		if (!c->page)
			return;
	}
	clean(c, value && *value ? value : "-", buf, sizeof(buf) - 6, &cut);
	if (cut)	/* only a hostile record gets here: say it is cut */
		memcpy(buf + strlen(buf), "[...]", 6);
	while (*p && c->page) {
		HPDF_REAL width = right_edge(c) - (MARGIN + LABEL_W);
		HPDF_UINT n;

		HPDF_Page_SetFontAndSize(c->page, c->regular, 8.5f);
		n = HPDF_Page_MeasureText(c->page, p, width, HPDF_TRUE, NULL);
		if (n == 0) {	/* one word wider than the column: break it, between characters */
			n = HPDF_Page_MeasureText(c->page, p, width, HPDF_FALSE, NULL);
			while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
				n--;
		}
		if (n == 0) {	/* not even one character fits: print one anyway */
			uint32_t cp;
			n = (HPDF_UINT)utf8_next((const unsigned char *)p, &cp);
		}
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

/* A paragraph across the page in font f at size, wrapped at words (a notice, not a row). */
static void para(struct pdfctx *c, HPDF_Font f, float size, const char *text)
{
	char buf[1024], line[1024];
	const char *p = buf;

	clean(c, text, buf, sizeof(buf), NULL);
	while (*p && c->page) {
		HPDF_UINT n;

		need(c, size + 2);
		if (!c->page)
			return;
		HPDF_Page_SetFontAndSize(c->page, f, size);
		n = HPDF_Page_MeasureText(c->page, p, right_edge(c) - MARGIN, HPDF_TRUE, NULL);
		if (n == 0)
			n = (HPDF_UINT)strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		text_at(c, f, size, MARGIN, c->y, line);
		p += n;
		while (*p == ' ')
			p++;
		c->y -= size + 2;
	}
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
	y -= 17;
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
	char label[176], line[CERT_TEXT_MAX], off[40], len[VAL_MAX];
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
		{
			/* the kind's first 36 characters, not bytes: a cut never splits a character */
			const char *k = s_of(e, "kind") ? s_of(e, "kind") : "exception";
			size_t nb = 0;
			for (int nc = 0; k[nb] && nc < 36; nc++) {
				uint32_t cp;
				nb += utf8_next((const unsigned char *)k + nb, &cp);
			}
			snprintf(label, sizeof(label), "%zu. %.*s", i + 1, (int)nb, k);
		}
		if (json_is_integer(json_object_get(e, "offset")) && json_integer_value(json_object_get(e, "offset")) >= 0)
			snprintf(line, sizeof(line), "%s (at byte %s, %s bytes)", s_of(e, "detail") ? s_of(e, "detail") : "-",
				 grouped(json_integer_value(json_object_get(e, "offset")), off, sizeof(off)),
				 json_is_integer(json_object_get(e, "length"))
				 ? grouped(json_integer_value(json_object_get(e, "length")), len, sizeof(len))
				 : fmt(e, "length", len, sizeof(len)) ? len : "?");
		else
			snprintf(line, sizeof(line), "%s", s_of(e, "detail") ? s_of(e, "detail") : "-");
		row(c, label, line);
	}
}

/* A size member of o: SI units beside the bytes for a count, the value as given otherwise. */
static const char *size_of(const json_t *o, const char *k, char *buf, size_t cap)
{
	const json_t *v = json_object_get(o, k);

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		cert_pdf_size((uint64_t)json_integer_value(v), buf, cap);
		return buf;
	}
	return fmt(o, k, buf, cap);
}

/* A configured detail of the issuer, or "not configured" (an empty one is not a detail). */
static const char *configured(const json_t *o, const char *k)
{
	const char *v = s_of(o, k);

	return v && *v ? v : "not configured";
}

/* Append ", <name> <value>" to line for each string member of o in names (name[i], key[i]). */
static void append_members(char *line, size_t cap, const json_t *o, const char *const *keys,
			   const char *const *names)
{
	for (size_t i = 0; keys[i]; i++) {
		size_t n = strlen(line);
		if (s_of(o, keys[i]) && n < cap)
			snprintf(line + n, cap - n, ", %s %s", names[i], s_of(o, keys[i]));
	}
}

#define TRANSFERS_SHOWN 10

/*
 * The custody status: what the ledger says now (cert_get's status), not what
 * was signed, so it has its own section and says so.  Shipped, destroyed and
 * each custody transfer with its date.
 */
static void custody(struct pdfctx *c, const json_t *st)
{
	const json_t *sh = json_object_get(st, "shipped"), *de = json_object_get(st, "destroyed");
	const json_t *cu = json_object_get(st, "custody"), *t;
	char line[CERT_TEXT_MAX], label[32];
	size_t i, n = json_array_size(cu);

	heading(c, "Custody Status (from the ledger when printed, not signed)");
	snprintf(line, sizeof(line), "certificate %s, asset %s", s_of(st, "state") ? s_of(st, "state") : "issued",
		 s_of(st, "asset_state") ? s_of(st, "asset_state") : "-");
	row(c, "State", line);
	if (json_is_object(sh)) {
		snprintf(line, sizeof(line), "%s", s_of(sh, "date") ? s_of(sh, "date") : "-");
		append_members(line, sizeof(line), sh, (const char *const[]){ "carrier", "seal", "tracking", NULL },
			       (const char *const[]){ "carrier", "seal", "tracking", NULL });
		row(c, "Shipped", line);
	}
	if (json_is_object(de)) {
		snprintf(line, sizeof(line), "%s", s_of(de, "date") ? s_of(de, "date") : "-");
		append_members(line, sizeof(line), de,
			       (const char *const[]){ "facility", "method", "witness", "vendor_certificate", NULL },
			       (const char *const[]){ "facility", "method", "witness", "vendor certificate", NULL });
		if (json_is_integer(json_object_get(de, "particle_size_mm"))) {
			size_t k = strlen(line);
			snprintf(line + k, sizeof(line) - k, ", particle size %lld mm",
				 (long long)json_integer_value(json_object_get(de, "particle_size_mm")));
		}
		row(c, "Destroyed", line);
	}
	json_array_foreach(cu, i, t) {
		const json_t *d = json_object_get(t, "data");
		if (i == TRANSFERS_SHOWN) {
			snprintf(line, sizeof(line), "and %zu more transfers, in the ledger", n - i);
			row(c, "...", line);
			break;
		}
		snprintf(line, sizeof(line), "%s, from %s to %s", s_of(t, "date") ? s_of(t, "date") : "-",
			 s_of(d, "from") ? s_of(d, "from") : "-", s_of(d, "to") ? s_of(d, "to") : "-");
		append_members(line, sizeof(line), d, (const char *const[]){ "location", "seal", NULL },
			       (const char *const[]){ "at", "seal", NULL });
		snprintf(label, sizeof(label), "Transfer %zu", i + 1);
		row(c, label, line);
	}
}

/* ---- the station's evidence (issue 13) ---- */

/* An integer member in decimal with thousands separators, else "unknown" (null or absent). */
static const char *known(const json_t *o, const char *k, char *buf, size_t cap)
{
	const json_t *v = json_object_get(o, k);

	if (json_is_integer(v))
		return grouped(json_integer_value(v), buf, cap);
	snprintf(buf, cap, "unknown");
	return buf;
}

/* bytes per second as MB/s (SI, 1 MB = 1,000,000 bytes), one decimal, rounded half up */
static const char *mb_s(json_int_t v, char *buf, size_t cap)
{
	uint64_t t = v < 0 ? 0 : div_round((uint64_t)v, 100000);

	snprintf(buf, cap, "%llu.%llu MB/s", (unsigned long long)(t / 10), (unsigned long long)(t % 10));
	return buf;
}

/* milliseconds as seconds: "1 s", "0.5 s", "0.125 s" */
static const char *secs(json_int_t ms, char *buf, size_t cap)
{
	int n;

	if (ms % 1000 == 0) {
		snprintf(buf, cap, "%lld s", (long long)(ms / 1000));
		return buf;
	}
	n = snprintf(buf, cap, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
	while (n > 0 && (size_t)n < cap && buf[n - 1] == '0')
		buf[--n] = 0;
	snprintf(buf + n, cap - (size_t)n, " s");
	return buf;
}

/* One health reading (drivers/health.c health_to_json's scalars, as the payload carries them). */
static void health_line(const json_t *h, char *line, size_t cap)
{
	char a[32], b[32], d[32], e[32], f[32];
	const json_t *fp = json_object_get(h, "failure_predicted");

	if (!json_is_object(h)) {
		snprintf(line, cap, "not recorded");
		return;
	}
	if (!json_is_true(json_object_get(h, "available"))) {
		snprintf(line, cap, "not available: %s", s_of(h, "note") ? s_of(h, "note") : "no reason recorded");
		return;
	}
	snprintf(line, cap, "%s: power-on hours %s, temperature %s%s, reallocated sectors %s, media errors %s,"
		 " percentage used %s%s, failure predicted %s", s_of(h, "source") ? s_of(h, "source") : "-",
		 known(h, "power_on_hours", a, sizeof(a)), known(h, "temperature_c", b, sizeof(b)),
		 json_is_integer(json_object_get(h, "temperature_c")) ? " \u00b0C" : "",
		 known(h, "reallocated_sectors", d, sizeof(d)), known(h, "media_errors", e, sizeof(e)),
		 known(h, "percentage_used", f, sizeof(f)), json_is_integer(json_object_get(h, "percentage_used")) ? "%" : "",
		 json_is_boolean(fp) ? (json_is_true(fp) ? "Yes" : "No") : "unknown");
}

/*
 * The drive's health before and after, as read through its own commands;
 * one row when both read the same (a loop device: not available, why).
 */
static void health(struct pdfctx *c, const json_t *h)
{
	char line[CERT_TEXT_MAX], after[CERT_TEXT_MAX];

	heading(c, "Health");
	if (!json_is_object(h)) {
		row(c, "Health", "not recorded");
		return;
	}
	health_line(json_object_get(h, "before"), line, sizeof(line));
	health_line(json_object_get(h, "after"), after, sizeof(after));
	if (!strcmp(line, after)) {
		row(c, "Before / After", line);
		return;
	}
	row(c, "Before", line);
	row(c, "After", after);
}

#define CHART_POINTS 60
#define CHART_X (MARGIN + LABEL_W + 170)

/*
 * The write speed: its summary in short rows and, to their right, a small
 * chart of the profile (throughput over time, libharu lines in a frame,
 * scaled to the fastest point; its scale is the Chart row).
 */
static void speed(struct pdfctx *c, const json_t *sp)
{
	const json_t *pr = json_object_get(sp, "profile_bytes_per_s"), *iv = json_object_get(sp, "interval_ms");
	const json_t *piv = json_object_get(sp, "profile_interval_ms");
	char line[CERT_TEXT_MAX], a[48], b[48], d[48];
	size_t n = json_array_size(pr), i;
	json_int_t vmax = 0;
	int chart = 1;
	float x0, x1, top, bottom;

	if (!json_is_object(sp) || !json_is_integer(iv) || json_integer_value(iv) <= 0)
		return;
	for (i = 0; i < n && i < CHART_POINTS; i++) {
		const json_t *v = json_array_get(pr, i);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			chart = 0;
		else if (json_integer_value(v) > vmax)
			vmax = json_integer_value(v);
	}
	/* cert.c's intervals are at most an hour, the profile's 10 of them: anything longer is not ours */
	if (n < 2 || n > CHART_POINTS || vmax <= 0 || !json_is_integer(piv) || json_integer_value(piv) <= 0 ||
	    json_integer_value(piv) > 36000000)
		chart = 0;
	heading(c, "Speed Profile");
	need(c, 4 * ROW_H);	/* the rows and the chart beside them stay on one page */
	if (!c->page)
		return;
	top = c->y + ROW_H - 2;
	/* beside a chart the rows are short: average, then minimum / maximum */
	if (!json_is_integer(json_object_get(sp, "write_avg_bytes_per_s"))) {
		row(c, "Write Speed", "no write samples");
	} else {
		mb_s(json_integer_value(json_object_get(sp, "write_avg_bytes_per_s")), a, sizeof(a));
		mb_s(json_integer_value(json_object_get(sp, "write_min_bytes_per_s")), b, sizeof(b));
		mb_s(json_integer_value(json_object_get(sp, "write_max_bytes_per_s")), d, sizeof(d));
		if (chart) {
			row(c, "Average Write", a);
			snprintf(line, sizeof(line), "%s / %s", b, d);
			row(c, "Minimum / Maximum", line);
		} else {
			snprintf(line, sizeof(line), "average %s, minimum %s, maximum %s", a, b, d);
			row(c, "Write Speed", line);
		}
	}
	snprintf(line, sizeof(line), "%lld of %s, %lld writing", (long long)json_integer_value(json_object_get(sp, "samples")),
		 secs(json_integer_value(iv), a, sizeof(a)),
		 (long long)json_integer_value(json_object_get(sp, "write_samples")));
	row(c, "Samples", line);
	if (!chart)
		return;
	snprintf(line, sizeof(line), "0 to %s over %s", mb_s(vmax, a, sizeof(a)),
		 secs(json_integer_value(piv) * (json_int_t)n, b, sizeof(b)));
	row(c, "Chart", line);
	x0 = CHART_X;
	x1 = right_edge(c);
	bottom = c->y + ROW_H - 2;
	HPDF_Page_SetLineWidth(c->page, 0.5f);
	HPDF_Page_SetRGBStroke(c->page, 0.6f, 0.6f, 0.6f);
	HPDF_Page_Rectangle(c->page, x0, bottom, x1 - x0, top - bottom);
	HPDF_Page_Stroke(c->page);
	HPDF_Page_SetLineWidth(c->page, 1.0f);
	HPDF_Page_SetRGBStroke(c->page, 0.1f, 0.3f, 0.7f);
	for (i = 0; i < n; i++) {
		float x = x0 + (x1 - x0) * (float)i / (float)(n - 1);
		float y = bottom + (top - bottom) * (float)((double)json_integer_value(json_array_get(pr, i)) / (double)vmax);
		if (i == 0)
			HPDF_Page_MoveTo(c->page, x, y);
		else
			HPDF_Page_LineTo(c->page, x, y);
	}
	HPDF_Page_Stroke(c->page);
	HPDF_Page_SetRGBStroke(c->page, 0, 0, 0);
}

/* The station that ran the job: its hostname and DMI identifiers (/sys/class/dmi/id). */
static void station_line(const json_t *st, char *line, size_t cap)
{
	if (!json_is_object(st)) {
		snprintf(line, cap, "not recorded");
		return;
	}
	snprintf(line, cap, "%s", s_of(st, "hostname") && *s_of(st, "hostname") ? s_of(st, "hostname") : "-");
	if (s_of(st, "sys_vendor") || s_of(st, "product_name")) {
		size_t k = strlen(line);
		snprintf(line + k, cap - k, ", %s%s%s", s_of(st, "sys_vendor") ? s_of(st, "sys_vendor") : "",
			 s_of(st, "sys_vendor") && s_of(st, "product_name") ? " " : "",
			 s_of(st, "product_name") ? s_of(st, "product_name") : "");
	}
	append_members(line, cap, st,
		       (const char *const[]){ "product_serial", "board_serial", "chassis_serial", "product_uuid", NULL },
		       (const char *const[]){ "serial", "board serial", "chassis serial", "uuid", NULL });
}

static void draw(struct pdfctx *c, const json_t *cert, const char *verify_url, const char *font_path)
{
	const json_t *p = json_object_get(cert, "payload"), *org = json_object_get(p, "organization");
	const json_t *media = json_object_get(p, "media"), *san = json_object_get(p, "sanitization");
	const json_t *ver = json_object_get(san, "verification"), *tool = json_object_get(san, "tool");
	const json_t *st = json_object_get(cert, "status"), *lg = json_object_get(p, "ledger");
	const json_t *cov = json_object_get(san, "coverage"), *hid = json_object_get(san, "hidden_sectors");
	const json_t *basis = json_object_get(san, "category_basis"), *val = json_object_get(p, "validation");
	const json_t *vby = json_object_get(p, "validated_by"), *lh = json_object_get(media, "last_host");
	const json_t *hr = json_object_get(san, "hpa_restore");
	char cap[VAL_MAX], backed[VAL_MAX], nread[VAL_MAX], seq[32], a[VAL_MAX], b[VAL_MAX], line[CERT_TEXT_MAX];
	float half;

	c->y = PAGE_H - MARGIN - 8;
	text_at(c, c->bold, 17, MARGIN, c->y, "Certificate of Sanitization");
	c->y -= 15;
	text_at(c, c->regular, 9, MARGIN, c->y, "NIST SP 800-88 Rev. 2 sanitization record (4.6, Appendix C)");
	c->y -= 14;
	/* the QR code sits top right, beside the first sections */
	if (c->has_qr)
		draw_qr(c, verify_url, PAGE_W - MARGIN - QR_SIZE, QR_BOTTOM, QR_SIZE);
	if (!c->unicode) {
		snprintf(line, sizeof(line), "The Unicode font %s was not found: this page uses a built-in font"
			 " and prints each character outside ASCII as '?'. The signed JWS holds the exact text.",
			 font_path);
		para(c, c->bold, 7.5f, line);
	}
	if (any_hostile(p, 0) || any_hostile(st, 0))
		para(c, c->bold, 7.5f, c->unicode
		     ? "This record holds characters that could reorder or hide text (bidirectional controls such as"
		       " U+202E, or control characters); each is printed as U+FFFD. The signed JWS holds the exact text."
		     : "This record holds characters that could reorder or hide text (bidirectional controls such as"
		       " U+202E, or control characters); each is printed as '?'. The signed JWS holds the exact text.");

	/* the issuer, from the daemon's configuration when the certificate was signed */
	heading(c, "Issuer");
	row(c, "Organization", configured(org, "name"));
	row(c, "Location", configured(org, "address"));
	row(c, "Phone", configured(org, "phone"));

	heading(c, "Person Performing Sanitization");
	person(c, json_object_get(p, "performed_by"));

	heading(c, "Media Information");
	row(c, "Make / Vendor", s_of(media, "make"));
	row(c, "Model Number", s_of(media, "model"));
	row(c, "Serial Number", s_of(media, "serial"));
	row(c, "WWN", s_of(media, "wwn"));
	row(c, "Media Property Number", s_of(media, "property_number"));
	snprintf(line, sizeof(line), "%s%s%s", s_of(media, "media_type") ? s_of(media, "media_type") : "-",
		 size_of(media, "capacity_bytes", cap, sizeof(cap)) ? ", " : "", cap);
	row(c, "Media Type", line);
	snprintf(line, sizeof(line), "%s%s%s", s_of(media, "source") ? s_of(media, "source") : "",
		 s_of(media, "source") ? " / tenant " : "tenant ", s_of(media, "tenant") ? s_of(media, "tenant") : "-");
	row(c, "Source", line);
	row(c, "Classification", s_of(media, "classification"));
	row(c, "Data Backed Up", fmt(media, "data_backed_up", backed, sizeof(backed)) ? backed : "Unknown");
	/* the custody chain: the last host it was deployed on before the sanitization */
	if (json_is_object(lh)) {
		snprintf(line, sizeof(line), "host %s", s_of(lh, "host") ? s_of(lh, "host") : "-");
		append_members(line, sizeof(line), lh, (const char *const[]){ "slot", "site", "removed_at", NULL },
			       (const char *const[]){ "slot", "site", "removed", NULL });
	} else {
		snprintf(line, sizeof(line), "no deployment recorded");
	}
	row(c, "Removed From", line);

	heading(c, "Sanitization Details");
	row(c, "Method Type", s_of(san, "method_type"));
	row(c, "Method Used", s_of(san, "method_used"));
	row(c, "Method Details", s_of(san, "method_details"));
	snprintf(line, sizeof(line), "%s %s", s_of(tool, "name") ? s_of(tool, "name") : "-",
		 s_of(tool, "version") ? s_of(tool, "version") : "");
	row(c, "Tool Used (version)", line);
	snprintf(line, sizeof(line), "%s read-back%s%s", s_of(ver, "method") ? s_of(ver, "method") : "-",
		 size_of(ver, "bytes_read", nread, sizeof(nread)) ? ", read " : "", nread);
	row(c, "Verification Method", line);
	row(c, "Verification Result", s_of(ver, "result"));
	/* a record with exceptions never reads as a plain pass */
	row(c, "Outcome", s_of(san, "outcome") ? s_of(san, "outcome") : s_of(ver, "result"));
	if (json_is_integer(json_object_get(cov, "bytes")) && json_integer_value(json_object_get(cov, "bytes")) >= 0 &&
	    json_is_integer(json_object_get(cov, "capacity_bytes")) &&
	    json_integer_value(json_object_get(cov, "capacity_bytes")) >= 0)
		if (json_equal(json_object_get(cov, "bytes"), json_object_get(cov, "capacity_bytes")))
			snprintf(line, sizeof(line), "%s, all %s", s_of(cov, "scope") ? s_of(cov, "scope") : "-",
				 size_of(cov, "bytes", a, sizeof(a)));
		else
			snprintf(line, sizeof(line), "%s, %s of %s", s_of(cov, "scope") ? s_of(cov, "scope") : "-",
				 size_of(cov, "bytes", a, sizeof(a)), size_of(cov, "capacity_bytes", b, sizeof(b)));
	else if (fmt(cov, "bytes", a, sizeof(a)) && fmt(cov, "capacity_bytes", b, sizeof(b)))
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
	station_line(json_object_get(san, "station"), line, sizeof(line));
	row(c, "Station", line);
	if (json_is_object(hr)) {
		snprintf(line, sizeof(line), "%s%s, max LBA %s to %s", s_of(hr, "command") ? s_of(hr, "command") : "-",
			 json_is_true(json_object_get(hr, "permanent")) ? " (permanent)" : " (volatile)",
			 known(hr, "old_max_lba", a, sizeof(a)), known(hr, "new_max_lba", b, sizeof(b)));
		row(c, "HPA Restored", line);
	}

	health(c, json_object_get(san, "health"));
	speed(c, json_object_get(san, "speed"));

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

	custody(c, st);

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
	/* SPEC section 10: GET /verify/{cert_id}, public; never a loopback or an authenticated route */
	row(c, "Verify", verify_url ? verify_url : "no public verification URL configured");

	need(c, HEAD_GAP + ROW_H + 2 + 29);	/* the heading stays with its lines */
	heading(c, "Signatures");
	need(c, 29);
	if (!c->page)
		return;
	half = (PAGE_W - 2 * MARGIN) / 2;
	signature_line(c, "Performed by", json_object_get(p, "performed_by"), MARGIN + 4, half - 4);
	signature_line(c, "Validated by", json_is_true(json_object_get(val, "recorded")) ? vby : NULL,
		       MARGIN + half + 4, half - 4);
	c->y -= 29;
	need(c, 10 + 7.5f + 7.5f);
	if (!c->page)
		return;
	c->y -= 10;
	text_at(c, c->regular, 7, MARGIN, c->y,
		"This page renders a certificate signed with Ed25519 (JWS, RFC 7515/8037) and recorded in a"
		" tamper-evident ledger.");
	c->y -= 7.5f;
	text_at(c, c->regular, 7, MARGIN, c->y,
		"The signed JWS is the evidence: verify it with sanitizerd cert verify or any JOSE library"
		" against the published JWKS.");
	c->y -= 7.5f;
	text_at(c, c->regular, 7, MARGIN, c->y,
		"Sizes are in SI units (1 kB = 1,000 bytes, 1 TB = 1,000,000,000,000 bytes), as drive capacities"
		" are stated, each beside its exact byte count.");
}

/*
 * The DejaVu fonts with UTF-8 text (libharu's UTF-8 encoder; each TrueType
 * font embedded as a subset).  0 if DejaVuSans.ttf loaded (Bold and Mono
 * fall back to it), -ENOENT if not: the caller then uses the built-in fonts.
 */
static int load_fonts(struct pdfctx *c, const char *dir, char *path, size_t cap)
{
	static const char *const files[] = { "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf" };
	HPDF_Font *slot[] = { &c->regular, &c->bold, &c->mono };
	char f[512];

	snprintf(path, cap, "%s/%s", dir, files[0]);
	if (HPDF_UseUTFEncodings(c->doc) != HPDF_OK || HPDF_SetCurrentEncoder(c->doc, "UTF-8") != HPDF_OK) {
		c->error = 0;
		HPDF_ResetError(c->doc);
		return -ENOENT;
	}
	for (size_t i = 0; i < 3; i++) {
		const char *name;

		snprintf(f, sizeof(f), "%s/%s", dir, files[i]);
		/* a missing or unreadable file: libharu reports it through on_error, and we move on */
		name = access(f, R_OK) == 0 ? HPDF_LoadTTFontFromFile(c->doc, f, HPDF_TRUE) : NULL;
		*slot[i] = name ? HPDF_GetFont(c->doc, name, "UTF-8") : NULL;
		if (!*slot[i]) {
			c->error = 0;
			HPDF_ResetError(c->doc);
			if (i == 0)
				return -ENOENT;
			*slot[i] = c->regular;
		}
	}
	return 0;
}

int cert_pdf(const json_t *cert, const struct cert_pdf_opts *o, uint8_t **pdf, size_t *len)
{
	struct pdfctx c = { 0 };
	const char *url = o ? o->verify_url : NULL;
	char font_path[512];
	uint8_t *buf = NULL;
	HPDF_UINT32 size, off = 0;
	int rc = 0;

	*pdf = NULL;
	*len = 0;
	if (!json_is_object(json_object_get(cert, "payload")) || !json_is_string(json_object_get(cert, "id")))
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
	c.has_qr = url && *url;
	c.unicode = load_fonts(&c, o && o->font_dir ? o->font_dir : CERTPDF_FONT_DIR, font_path,
			       sizeof(font_path)) == 0;
	if (!c.unicode) {
		/* named, not the current encoder, which load_fonts may have set to UTF-8 */
		c.regular = HPDF_GetFont(c.doc, "Helvetica", "WinAnsiEncoding");
		c.bold = HPDF_GetFont(c.doc, "Helvetica-Bold", "WinAnsiEncoding");
		c.mono = HPDF_GetFont(c.doc, "Courier", "WinAnsiEncoding");
	}
	if (c.error || !c.page || !c.regular || !c.bold || !c.mono) {
		rc = -EIO;
		goto done;
	}
	HPDF_Page_SetWidth(c.page, PAGE_W);
	HPDF_Page_SetHeight(c.page, PAGE_H);
	draw(&c, cert, c.has_qr ? url : NULL, font_path);
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
