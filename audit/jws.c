#include "audit/jws.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/b64.h"
#include "audit/jcs.h"
#include "audit/jwk.h"
#include "audit/keys.h"
#include "util/xio.h"

int jws_sign_raw(const struct sz_key *k, const char *header, size_t header_len,
		 const void *payload, size_t payload_len, char **out)
{
	char *h = NULL, *p = NULL, *s = NULL, *text = NULL;
	uint8_t sig[64];
	size_t hl, pl, sl;
	int rc = -ENOMEM;

	*out = NULL;
	/* RFC 7515 5.1 steps 2-8: encode header and payload, sign "h.p" */
	h = b64_encode(header, header_len, B64_URL);
	p = b64_encode(payload, payload_len, B64_URL);
	if (!h || !p)
		goto done;
	hl = strlen(h);
	pl = strlen(p);
	if (hl + pl + 2 + 86 > JWS_MAX) {
		rc = -E2BIG;
		goto done;
	}
	text = malloc(hl + pl + 2 + 86 + 1);
	if (!text)
		goto done;
	memcpy(text, h, hl);
	text[hl] = '.';
	memcpy(text + hl + 1, p, pl);
	/* RFC 8037 3.1: the EdDSA signature over the JWS signing input */
	rc = key_sign(k, text, hl + 1 + pl, sig);
	if (rc < 0)
		goto done;
	s = b64_encode(sig, sizeof(sig), B64_URL);
	if (!s) {
		rc = -ENOMEM;
		goto done;
	}
	sl = strlen(s);
	text[hl + 1 + pl] = '.';
	memcpy(text + hl + 2 + pl, s, sl + 1);
	*out = text;
	text = NULL;
	rc = 0;
done:
	free(h);
	free(p);
	free(s);
	free(text);
	return rc;
}

int jws_sign_json(const struct sz_key *k, const json_t *payload, char **out)
{
	uint8_t pub[32];
	char kid[44], *htext = NULL, *ptext = NULL;
	size_t hlen, plen;
	json_t *hdr;
	int rc;

	*out = NULL;
	if (!json_is_object(payload))
		return -EINVAL;
	key_public(k, pub);
	jwk_kid(pub, kid);
	/* RFC 7515 4.1.1 alg, 4.1.4 kid, 4.1.9 typ */
	hdr = json_pack("{s:s, s:s, s:s}", "alg", JWS_ALG, "kid", kid, "typ", JWS_TYP);
	if (!hdr)
		return -ENOMEM;
	rc = jcs_dump(hdr, 0, &htext, &hlen);
	if (rc == 0)
		rc = jcs_dump(payload, JWS_MAX, &ptext, &plen);
	if (rc == 0)
		rc = jws_sign_raw(k, htext, hlen, ptext, plen, out);
	json_decref(hdr);
	free(htext);
	free(ptext);
	return rc;
}

void jws_free(struct jws *j)
{
	if (!j)
		return;
	free(j->header);
	free(j->payload);
	free(j->signing_input);
	free(j);
}

/* The header's members, RFC 7515 4.1: alg required and ours, crit refused. */
static int check_header(struct jws *j, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *h, *alg, *kid;
	int rc = 0;

	/* JSON_REJECT_DUPLICATES: RFC 7515 5.2 step 4 allows a parser to refuse them; we do */
	h = json_loadb(j->header, j->header_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(h)) {
		rc = xerr(err, errlen, -EINVAL, "invalid jws: the header is not a JSON object");
		goto done;
	}
	alg = json_object_get(h, "alg");
	if (!json_is_string(alg) || strcmp(json_string_value(alg), JWS_ALG) ||
	    json_string_length(alg) != strlen(JWS_ALG)) {
		rc = xerr(err, errlen, -EINVAL, "invalid jws: alg must be %s (RFC 8037), not %.40s",
			  JWS_ALG, json_is_string(alg) ? json_string_value(alg) : "missing");
		goto done;
	}
	if (json_object_get(h, "crit")) {
		rc = xerr(err, errlen, -EINVAL, "invalid jws: crit names extensions we do not implement");
		goto done;
	}
	kid = json_object_get(h, "kid");
	if (kid) {
		if (!json_is_string(kid) || json_string_length(kid) == 0 ||
		    json_string_length(kid) > JWS_KID_MAX ||
		    strlen(json_string_value(kid)) != json_string_length(kid)) {
			rc = xerr(err, errlen, -EINVAL, "invalid jws: kid must be a string of 1 to %d bytes",
				  JWS_KID_MAX);
			goto done;
		}
		memcpy(j->kid, json_string_value(kid), json_string_length(kid) + 1);
	}
done:
	json_decref(h);
	return rc;
}

static int decode_part(const char *s, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	int rc;

	if (len == 0)
		return -EINVAL;
	rc = b64_decode(s, len, B64_URL, &buf, outlen);
	if (rc < 0)
		return rc;
	/* NUL-terminate a copy so the header and payload can be used as strings */
	*out = realloc(buf, *outlen + 1);
	if (!*out) {
		free(buf);
		return -ENOMEM;
	}
	(*out)[*outlen] = 0;
	return 0;
}

int jws_parse(const char *text, size_t len, struct jws **out, char *err, size_t errlen)
{
	const char *dot1, *dot2;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	struct jws *j;
	int rc;

	*out = NULL;
	if (len > JWS_MAX)
		return xerr(err, errlen, -E2BIG, "invalid jws: larger than %d bytes", JWS_MAX);
	if (memchr(text, 0, len))
		return xerr(err, errlen, -EINVAL, "invalid jws: contains a NUL byte");
	/* RFC 7515 7.1: exactly three parts */
	dot1 = memchr(text, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - text)) : NULL;
	if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - text)))
		return xerr(err, errlen, -EINVAL, "invalid jws: want three dot-separated parts");
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	/* RFC 7515 5.2 steps 2-7: base64url without padding, each part strictly */
	rc = decode_part(text, (size_t)(dot1 - text), (uint8_t **)&j->header, &j->header_len);
	if (rc == -EINVAL) {
		xerr(err, errlen, rc, "invalid jws: the header is not base64url without padding");
		goto bad;
	}
	if (rc == 0) {
		rc = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), &j->payload, &j->payload_len);
		if (rc == -EINVAL) {
			xerr(err, errlen, rc, "invalid jws: the payload is not base64url without padding");
			goto bad;
		}
	}
	if (rc == 0) {
		rc = decode_part(dot2 + 1, len - (size_t)(dot2 + 1 - text), &sig, &siglen);
		if (rc == -EINVAL || (rc == 0 && siglen != 64)) {
			rc = -EINVAL;
			xerr(err, errlen, rc, "invalid jws: the signature is not 64 bytes of base64url");
			goto bad;
		}
	}
	if (rc < 0)
		goto bad;
	memcpy(j->sig, sig, 64);
	if (memchr(j->header, 0, j->header_len)) {
		rc = xerr(err, errlen, -EINVAL, "invalid jws: the header contains a NUL byte");
		goto bad;
	}
	rc = check_header(j, err, errlen);
	if (rc < 0)
		goto bad;
	j->signing_input_len = (size_t)(dot2 - text);
	j->signing_input = strndup(text, j->signing_input_len);
	if (!j->signing_input) {
		rc = -ENOMEM;
		goto bad;
	}
	free(sig);
	*out = j;
	return 0;
bad:
	free(sig);
	jws_free(j);
	return rc;
}

int jws_verify_key(const struct jws *j, const uint8_t pub[32])
{
	/* RFC 8037 3.1: Ed25519 over the signing input as ASCII bytes */
	return ed25519_verify(pub, j->signing_input, j->signing_input_len, j->sig) == 0 ? 0 : -EBADMSG;
}

/* A member that must be absent or the given string. */
static int member_is(const json_t *o, const char *name, const char *want, int required)
{
	const json_t *v = json_object_get(o, name);

	if (!v)
		return !required;
	return json_is_string(v) && !strcmp(json_string_value(v), want);
}

int jws_verify_jwks(const struct jws *j, const json_t *jwks, char *err, size_t errlen)
{
	const json_t *keys, *k = NULL, *x;
	uint8_t pub[32];
	size_t i;

	if (!j->kid[0])
		return xerr(err, errlen, -ENOKEY, "the jws header names no kid");
	keys = json_object_get(jwks, "keys");
	if (!json_is_array(keys))
		return xerr(err, errlen, -EINVAL, "invalid jwks: want an object with a keys array");
	/* RFC 7517 4.5: kid selects the key */
	for (i = 0; i < json_array_size(keys); i++) {
		const json_t *c = json_array_get(keys, i), *kid = json_object_get(c, "kid");
		if (json_is_string(kid) && !strcmp(json_string_value(kid), j->kid)) {
			k = c;
			break;
		}
	}
	if (!k)
		return xerr(err, errlen, -ENOKEY, "no key with kid %s in the jwks", j->kid);
	/* RFC 8037 2: an OKP key on Ed25519; RFC 7517 4.2 and 4.4: use and alg if stated */
	if (!member_is(k, "kty", "OKP", 1) || !member_is(k, "crv", "Ed25519", 1) ||
	    !member_is(k, "alg", JWS_ALG, 0) || !member_is(k, "use", "sig", 0))
		return xerr(err, errlen, -EINVAL, "key %s is not an Ed25519 signing key (OKP, Ed25519, EdDSA, sig)",
			    j->kid);
	x = json_object_get(k, "x");
	if (!json_is_string(x) ||
	    b64_decode_exact(json_string_value(x), json_string_length(x), B64_URL, pub, 32) < 0)
		return xerr(err, errlen, -EINVAL, "key %s: x is not 32 bytes of base64url", j->kid);
	if (jws_verify_key(j, pub) < 0)
		return xerr(err, errlen, -EBADMSG, "bad signature by key %s", j->kid);
	return 0;
}
