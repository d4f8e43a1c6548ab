/*
 * ident — the text fields of identify data (NVMe Identify, ATA IDENTIFY,
 * SCSI INQUIRY/VPD): fixed-width, space or NUL padded, printable ASCII.
 */
#ifndef SZ_IDENT_H
#define SZ_IDENT_H
#include <stddef.h>
#include <stdint.h>

/*
 * Copy the n bytes at src into dst (cap bytes, NUL-terminated) without the
 * leading spaces and trailing spaces or NULs.  -EINVAL if it does not fit or
 * holds anything but printable ASCII (a malformed field, never guessed at).
 */
int ident_ascii(char *dst, size_t cap, const uint8_t *src, size_t n);

#endif
