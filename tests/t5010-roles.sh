#!/usr/bin/env bash
# Every route with every role and with no token; tenant isolation.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"

tok() { api POST /v1/tokens "$ADMIN" "$1" >/dev/null && jget token <body; }

test_expect_success_here 'setup: a daemon, a token per role, an asset per tenant' '
	sz_serve st &&
	TECH=$(tok "{\"role\":\"technician\"}") && AUD=$(tok "{\"role\":\"auditor\"}") &&
	CUS=$(tok "{\"role\":\"customer\",\"tenant\":\"acme\"}") &&
	OTHER=$(tok "{\"role\":\"customer\",\"tenant\":\"globex\"}") &&
	api POST /v1/assets "$TECH" "{\"serial\":\"A1\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}" >/dev/null &&
	A=$(jget id <body) &&
	api POST /v1/assets "$TECH" "{\"serial\":\"G1\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,\"tenant\":\"globex\"}" >/dev/null &&
	G=$(jget id <body) && [ -n "$A" ] && [ -n "$G" ]
'

n=0
# method path body | none admin tech auditor customer
while IFS='|' read -r route want; do
	[ -z "$route" ] && continue
	test_expect_success "roles: $route" '
		read -r m p0 b0 <<<"$route" && p0=${p0//@A/$A} &&
		i=0 && for t in "" "$ADMIN" "$TECH" "$AUD" "$CUS"; do
			i=$((i + 1)) && w=$(echo $want | cut -d" " -f$i) &&
			b=${b0//@N/$RANDOM$i} && p=${p0//@N/$i} &&
			got=$(api "$m" "$p" "$t" "$b") &&
			[ "$got" = "$w" ] || { echo "$m $p as role #$i: got $got, want $w: $(cat body)"; exit 1; }
		done
	'
done <<'EOF2'
GET /healthz|200 200 200 200 200
GET /metrics|200 200 200 200 200
GET /.well-known/jwks.json|200 200 200 200 200
GET /v1/keys|200 200 200 200 200
GET /v1/openapi.json|200 200 200 200 200
GET /v1/ledger/checkpoint|200 200 200 200 200
GET /v1/ledger/entries/0|401 200 403 200 404
GET /v1/ledger/entries?from=0&to=1|401 200 403 200 404
GET /v1/ledger/proof/inclusion?seq=0|200 200 200 200 200
GET /v1/ledger/proof/consistency?from=1|200 200 200 200 200
POST /v1/tokens {"role":"auditor"}|401 201 403 403 404
GET /v1/tokens|401 200 403 403 404
DELETE /v1/tokens/nosuch|401 404 403 403 404
GET /v1/devices|401 200 200 403 404
POST /v1/assets {"serial":"S@N","model":"M","media_type":"hdd","capacity_bytes":1,"tenant":"acme"}|401 201 201 403 404
GET /v1/assets|401 200 200 200 200
GET /v1/assets/@A|401 200 200 200 200
POST /v1/assets/@A/events {"type":"note","data":{"text":"hello"}}|401 201 201 403 404
GET /v1/assets/@A/events|401 200 200 200 200
POST /v1/jobs {}|401 400 400 403 404
GET /v1/jobs|401 200 200 200 404
POST /v1/batches {}|401 400 400 403 404
GET /v1/batches/nosuch|401 404 404 403 404
DELETE /v1/batches/nosuch|401 404 404 403 404
GET /v1/jobs/nosuch|401 404 404 404 404
DELETE /v1/jobs/nosuch|401 404 404 403 404
POST /v1/assets/@A/certificate {}|401 409 409 403 404
GET /v1/certificates/nosuch|401 404 403 404 404
GET /v1/certificates|401 200 403 200 200
GET /v1/certificates/nosuch.jws|401 404 404 404 404
GET /v1/certificates/nosuch.pdf|401 404 404 404 404
POST /v1/verify {"jws":"e30.e30.AAAA"}|200 200 200 200 200
POST /v1/hosts/h@N.dc/patch-audits {"scanner":"s","checks":[{"id":"CVE-2014-6271","status":"patched"}]}|401 201 201 403 404
GET /v1/assets/@A/exposure|401 200 403 200 200
EOF2

test_expect_success 'a bad or revoked token is 401, never a 403 or data' '
	[ "$(api GET /v1/assets "szt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")" = 401 ] &&
	[ "$(api GET /v1/assets "${TECH}x")" = 401 ] &&
	[ "$(curl -s -m 5 -o body -w "%{http_code}" -H "Authorization: Basic $TECH" "$URL/v1/assets")" = 401 ] &&
	[ "$(curl -s -m 5 -o body -w "%{http_code}" -H "Authorization: Bearer" "$URL/v1/assets")" = 401 ]
'

test_expect_success 'tenant isolation: another tenant'"'"'s asset does not exist for a customer' '
	[ "$(api GET /v1/assets/$A "$OTHER")" = 404 ] &&
	[ "$(api GET /v1/assets/$A/events "$OTHER")" = 404 ] &&
	[ "$(api GET /v1/assets/$G "$CUS")" = 404 ] &&
	[ "$(api GET /v1/assets/$G "$OTHER")" = 200 ] && [ "$(jget tenant <body)" = globex ] &&
	[ "$(api GET /v1/assets "$OTHER")" = 200 ] &&
	python3 -c "import json; a=json.load(open(\"body\"))[\"assets\"]; assert [x[\"tenant\"] for x in a]==[\"globex\"], a" &&
	[ "$(api GET /v1/assets "$CUS")" = 200 ] &&
	python3 -c "import json; a=json.load(open(\"body\"))[\"assets\"]; assert a and all(x[\"tenant\"]==\"acme\" for x in a), a" &&
	[ "$(api GET /v1/assets/nosuch "$CUS")" = 404 ] &&
	api GET /v1/assets/$G "$CUS" >/dev/null && cp body other.json &&
	api GET /v1/assets/nosuch "$CUS" >/dev/null && sed "s/nosuch/$G/" body >none.json &&
	cmp other.json none.json
'

test_done
