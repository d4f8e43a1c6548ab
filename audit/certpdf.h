/*
 * certpdf — the printable certificate, laid out like the sample certificate
 * of NIST SP 800-88 Rev. 2 (its sanitization record, 4.6; Appendix C):
 * organisation, person performing, media, sanitization details with
 * verification, coverage and every exception, validation (4.5.2, or "not
 * recorded"), destination, dates and signature lines, plus the certificate
 * id, the JWS's SHA-256, the custody status the ledger shows when printed
 * (in its own section, marked as not signed) and a QR code of the public
 * verification URL <public-url>/verify/<cert_id>.  One A4 page
 * as a rule; a long record (many exceptions, long notes) runs onto further
 * pages, each naming the certificate, rather than being cut off.  libharu
 * draws it, libqrencode makes the code; the document is built in memory.
 * The PDF is a rendering: the JWS is the evidence, and the page says so.
 */
#ifndef SZ_CERTPDF_H
#define SZ_CERTPDF_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* A certificate with its embedded font subsets is a few hundred KiB; more means something went wrong. */
#define CERTPDF_MAX (4 * 1024 * 1024)
/* Debian's fonts-dejavu-core: DejaVuSans.ttf (required), -Bold and Mono (optional) */
#define CERTPDF_FONT_DIR "/usr/share/fonts/truetype/dejavu"

struct cert_pdf_opts {
	/*
	 * The public verification URL of this certificate (cert_verify_url),
	 * which the QR code encodes and the page prints; NULL: no QR code, and
	 * the page says "no public verification URL configured".
	 */
	const char *verify_url;
	const char *font_dir;		/* NULL: CERTPDF_FONT_DIR */
};

/*
 * Render cert (the object cert_get returns: payload, id, sha256 and the
 * ledger's status, printed in its own section as unsigned).  Text is UTF-8
 * in an embedded DejaVu font; without DejaVuSans.ttf in the font directory
 * the page uses a built-in font, prints non-ASCII as '?' and says so.
 * Bidirectional controls and control characters are printed as U+FFFD and
 * the page says so.  o may be NULL (no QR code, the default fonts).  On
 * success *pdf is a new buffer (caller frees) of *len bytes.  -EINVAL if
 * cert lacks its payload or id, -ENOMEM, -EIO if libharu or libqrencode
 * fails, -EFBIG past CERTPDF_MAX.
 */
int cert_pdf(const json_t *cert, const struct cert_pdf_opts *o, uint8_t **pdf, size_t *len);

/*
 * A size as the page prints it: SI units (powers of 1000, as drive makers
 * state capacities), three significant digits, then the exact count with
 * thousands separators: "4.00 TB (4,000,787,030,016 bytes)"; below 1000,
 * "512 bytes".  Always NUL-terminated within cap.  Cannot fail.
 */
void cert_pdf_size(uint64_t bytes, char *buf, size_t cap);

#endif
