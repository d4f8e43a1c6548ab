/*
 * luks — cryptographic erase of a LUKS1/LUKS2 volume (NIST SP 800-88r1 2.6,
 * Cryptographic Erase): with every keyslot and every header copy gone, the
 * volume key is unrecoverable and the ciphertext is noise.
 *
 * Through libcryptsetup: load the header, destroy each active keyslot
 * (crypt_keyslot_destroy), then overwrite everything before the data
 * offset with zeros (both LUKS2 header copies and the keyslot areas, or the
 * LUKS1 header and key material), flush, and check: libblkid finds no LUKS
 * signature and the area reads back all zero.
 */
#ifndef SZ_LUKS_H
#define SZ_LUKS_H
#include <stddef.h>
#include <stdint.h>

#include "drivers/ioq.h"

#define LUKS_MAX_SLOTS 32

/* What was destroyed, for the report and the certificate. Plain data. */
struct luks_report {
	char type[8];			/* "LUKS1" or "LUKS2" */
	char uuid[40];
	unsigned nslots;		/* keyslots that were active and are destroyed */
	int slots[LUKS_MAX_SLOTS];
	uint64_t data_offset;		/* bytes; the area [0, data_offset) was zeroed */
	uint64_t metadata_size;		/* LUKS2: one header copy (JSON area included) */
	uint64_t keyslots_size;		/* LUKS2: the binary keyslot area */
	int signature_gone;		/* libblkid finds no crypto_LUKS afterwards */
	int area_zero;			/* [0, data_offset) reads back all zero */
};

/*
 * Probe path for a LUKS header without changing anything: 0 with rep->type,
 * uuid and sizes filled, -EMEDIUMTYPE if it is not LUKS (msg says so),
 * -errno otherwise.  msg gets a one-line message on failure.
 */
int luks_probe(const char *path, struct luks_report *rep, char *msg, size_t msglen);

/*
 * Crypto-erase the LUKS volume at path.  fd is the caller's O_EXCL O_DIRECT
 * descriptor of the same device and q a queue over it, used to zero and
 * read back the header area.  0 when everything was destroyed and checked;
 * -EMEDIUMTYPE if not LUKS (nothing changed); -EILSEQ if the checks fail;
 * -errno otherwise, with *fail_off set for an I/O error.  msg gets a
 * one-line message on failure.
 */
int luks_erase(const char *path, int fd, struct ioq *q, struct luks_report *rep,
	       uint64_t *fail_off, char *msg, size_t msglen);

#endif
