/*
 * certpdf — the printable certificate, laid out like the sample certificate
 * of NIST SP 800-88 Rev. 2 (its sanitization record, 4.6; Appendix C):
 * organisation, person performing, media, sanitization details with
 * verification, coverage and every exception, validation (4.5.2, or "not
 * recorded"), destination, dates and signature lines, plus the certificate
 * id, the JWS's SHA-256 and a QR code of the verification URL.  One A4 page
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

/* A one-page certificate is a few KiB; more means something went wrong. */
#define CERTPDF_MAX (4 * 1024 * 1024)

/*
 * Render cert (the object cert_get returns) with a QR code of verify_url.
 * On success *pdf is a new buffer (caller frees) of *len bytes.  -EINVAL if
 * cert lacks its payload or id, -ENOMEM, -EIO if libharu or libqrencode
 * fails, -EFBIG past CERTPDF_MAX.
 */
int cert_pdf(const json_t *cert, const char *verify_url, uint8_t **pdf, size_t *len);

#endif
