#!/usr/bin/env bash
# The daemon over real HTTP on loopback: public routes, tokens, assets,
# events, proofs checked independently, OpenAPI parity, logs without secrets.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
PY="python3 $TOP/tests/rfc9162.py"
ENROL='{"serial":"SN-1","model":"WD40","media_type":"hdd","capacity_bytes":4000,"tenant":"acme","asset_tag":"T-1"}'

test_expect_success_here 'serve initialises the state on first start' '
	sz_serve st --origin test.example/sz --checkpoint-every 1 &&
	[ "$(stat -c %a st/signing.key)" = 600 ] && [ -n "$ADMIN" ]
'

test_expect_success 'health, keys, JWKS and metrics need no token' '
	[ "$(api GET /healthz)" = 200 ] && [ "$(cat body)" = "{\"status\":\"ok\"}" ] &&
	[ "$(api GET /v1/keys)" = 200 ] && "$SZ" keys --state-dir st >cli.json &&
	python3 -c "import json; a=json.load(open(\"body\")); b=json.load(open(\"cli.json\")); assert a==b, (a,b)" &&
	[ "$(api GET /.well-known/jwks.json)" = 200 ] && grep -q "\"crv\":\"Ed25519\"" body &&
	[ "$(api GET /metrics)" = 200 ] && grep -q "^sanitizerd_ledger_entries 2$" body &&
	grep -q "sanitizerd_http_requests_total{code=\"200\"}" body
'

test_expect_success 'tokens: create one per role, list without secrets, revoke' '
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\",\"name\":\"bench 1\"}")" = 201 ] &&
	tech=$(jget token <body) && echo "$tech" | grep -qE "^szt_[A-Za-z0-9_-]{43}$" &&
	[ "$(api GET /v1/tokens "$ADMIN")" = 200 ] && ! grep -q szt_ body &&
	[ "$(api GET /v1/tokens "$tech")" = 403 ] &&
	id=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"auditor\"}" >/dev/null; jget id <body) &&
	aud=$(jget token <body) &&
	[ "$(api GET /v1/ledger/entries/0 "$aud")" = 200 ] &&
	[ "$(api DELETE /v1/tokens/$id "$ADMIN")" = 200 ] &&
	[ "$(api GET /v1/ledger/entries/0 "$aud")" = 401 ] &&
	[ "$(api DELETE /v1/tokens/$id "$ADMIN")" = 409 ] &&
	[ "$(api DELETE /v1/tokens/nosuch "$ADMIN")" = 404 ] &&
	"$SZ" ledger show --state-dir st | grep -c "token_revoked" | grep -q "^1$"
'

test_expect_success 'token creation refuses bad input' '
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"root\"}")" = 400 ] &&
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"customer\"}")" = 400 ] && grep -q tenant body &&
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"auditor\",\"tenant\":\"x\"}")" = 400 ] &&
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"auditor\",\"extra\":1}")" = 400 ] &&
	[ "$(api POST /v1/tokens "$ADMIN" "[]")" = 400 ]
'

test_expect_success_here 'assets: enrol, read, list; custom fields kept' '
	tech=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body) &&
	[ "$(api POST /v1/assets "$tech" "$ENROL")" = 201 ] &&
	AID=$(jget id <body) && [ "$(jget state <body)" = received ] && [ "$(jget asset_tag <body)" = T-1 ] &&
	[ "$(api GET /v1/assets/$AID "$tech")" = 200 ] && [ "$(jget serial <body)" = SN-1 ] &&
	[ "$(api GET /v1/assets "$tech")" = 200 ] && [ "$(jget assets.0.id <body)" = "$AID" ] &&
	[ "$(api POST /v1/assets "$tech" "$ENROL")" = 409 ] && grep -q "already enrolled as asset $AID" body
'

test_expect_success 'events follow the lifecycle; an illegal one is 409 and writes nothing' '
	[ "$(api POST /v1/assets/$AID/events "$tech" "{\"type\":\"deployed\",\"data\":{\"host\":\"web1\"}}")" = 201 ] &&
	[ "$(jget entry.type <body)" = deployed ] && seq=$(jget seq <body) &&
	n=$("$SZ" ledger show --state-dir st | wc -l) &&
	[ "$(api POST /v1/assets/$AID/events "$tech" "{\"type\":\"retired\"}")" = 409 ] &&
	grep -q "asset:$AID is deployed" body &&
	[ "$n" = "$("$SZ" ledger show --state-dir st | wc -l)" ] &&
	[ "$(api POST /v1/assets/$AID/events "$tech" "{\"type\":\"removed\",\"data\":{\"reason\":\"r\"}}")" = 201 ] &&
	[ "$(api POST /v1/assets/$AID/events "$tech" "{\"type\":\"retired\"}")" = 201 ] &&
	[ "$(api GET /v1/assets/$AID "$tech")" = 200 ] && [ "$(jget state <body)" = retired ] &&
	[ "$(api GET /v1/assets/$AID/events "$tech")" = 200 ] &&
	python3 -c "import json; e=json.load(open(\"body\"))[\"events\"]; assert [x[\"type\"] for x in e]==[\"enrolled\",\"deployed\",\"removed\",\"retired\"], e"
'

test_expect_success 'every illegal transition from retired is a 409' '
	for t in deployed removed retired shipped destroyed; do
		d="{}"; case $t in deployed) d="{\"host\":\"h\"}";; shipped) d="{\"carrier\":\"c\"}";;
		destroyed) d="{\"facility\":\"f\",\"method\":\"m\"}";; esac
		[ "$(api POST /v1/assets/$AID/events "$tech" "{\"type\":\"$t\",\"data\":$d}")" = 409 ] || { echo $t; exit 1; }
	done &&
	for t in sanitize_started sanitize_completed certificate_issued enrolled host_audit token_created; do
		[ "$(api POST /v1/assets/$AID/events "$tech" "{\"type\":\"$t\"}")" = 400 ] || { echo $t; exit 1; }
	done
'

test_expect_success 'proofs verify with an independent verifier against the served checkpoint' '
	[ "$(api GET /v1/ledger/checkpoint)" = 200 ] && cp body cp &&
	root=$(sed -n 3p cp) && size=$(sed -n 2p cp) &&
	[ "$size" = "$("$SZ" ledger show --state-dir st | wc -l)" ] &&
	"$SZ" keys --state-dir st | jget public_key_pem >pub.pem &&
	head -n 3 cp >cpbody && sed -n 5p cp | cut -d" " -f3 | base64 -d | tail -c 64 >sig &&
	openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in cpbody -sigfile sig &&
	s=0 && while [ $s -lt $size ]; do
		[ "$(api GET "/v1/ledger/proof/inclusion?seq=$s")" = 200 ] && cp body p &&
		leaf=$("$SZ" ledger show --state-dir st $s | jget leaf_hash) &&
		$PY inclusion p "$leaf" "$root" || { echo "seq $s"; exit 1; }
		s=$((s + 1))
	done &&
	[ "$(api GET "/v1/ledger/proof/consistency?from=2&to=$size")" = 200 ] && cp body c &&
	"$SZ" ledger show --state-dir st --from 0 --to 1 >two &&
	r2=$("$SZ" ledger checkpoint --state-dir st >/dev/null; sqlite3 st/ledger.db "select note from checkpoints where size = 2" | sed -n 3p) &&
	$PY consistency c "$r2" "$root"
'

test_expect_success 'proof and entry arguments are checked' '
	[ "$(api GET "/v1/ledger/proof/inclusion")" = 400 ] &&
	[ "$(api GET "/v1/ledger/proof/inclusion?seq=abc")" = 400 ] &&
	[ "$(api GET "/v1/ledger/proof/inclusion?seq=99999")" = 400 ] &&
	[ "$(api GET "/v1/ledger/proof/inclusion?seq=0&size=99999")" = 400 ] &&
	[ "$(api GET "/v1/ledger/proof/consistency?from=0&to=3")" = 400 ] &&
	[ "$(api GET "/v1/ledger/proof/consistency?from=-1")" = 400 ] &&
	[ "$(api GET /v1/ledger/entries/99999 "$ADMIN")" = 404 ] &&
	[ "$(api GET /v1/ledger/entries/x1 "$ADMIN")" = 400 ]
'

test_expect_success 'hostile input: 413, 415, 400, never a crash' '
	big=$(head -c 70000 /dev/zero | tr "\\0" a) &&
	[ "$(api POST /v1/assets "$tech" "{\"serial\":\"$big\"}")" = 413 ] &&
	[ "$(curl -s -m 10 -o body -w "%{http_code}" -H "Authorization: Bearer $tech" -H "Content-Type: text/plain" -d "{}" "$URL/v1/assets")" = 415 ] &&
	[ "$(curl -s -m 10 -o body -w "%{http_code}" -H "Authorization: Bearer $tech" -d "{}" "$URL/v1/assets")" = 415 ] &&
	[ "$(api POST /v1/assets "$tech" "{\"serial\":")" = 400 ] && grep -q "malformed JSON" body &&
	[ "$(api POST /v1/assets "$tech" "{\"serial\":\"S\",\"serial\":\"T\"}")" = 400 ] &&
	[ "$(api POST /v1/assets "$tech" "{\"serial\":7,\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,\"tenant\":\"t\"}")" = 400 ] &&
	[ "$(api POST /v1/assets "$tech" "{\"serial\":\"S9\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":-1,\"tenant\":\"t\"}")" = 400 ] &&
	[ "$(api POST /v1/assets "$tech" "{\"serial\":\"S9\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1e30,\"tenant\":\"t\"}")" = 400 ] &&
	[ "$(api POST /v1/assets "$tech" "{\"serial\":\"S9\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":99999999999999999999999,\"tenant\":\"t\"}")" = 400 ] &&
	printf "{\"serial\":\"\\377\\376\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,\"tenant\":\"t\"}" >bad.json &&
	[ "$(curl -s -m 10 -o body -w "%{http_code}" -H "Authorization: Bearer $tech" -H "Content-Type: application/json" --data-binary @bad.json "$URL/v1/assets")" = 400 ] &&
	[ "$(api POST /v1/assets "$tech" "{\"id\":\"mine\",\"serial\":\"S9\"}")" = 400 ] &&
	[ "$(api GET "/v1/assets/..%2F..%2Fetc" "$tech")" = 404 ] &&
	[ "$(api GET "/v1/assets/%2e%2e" "$tech")" = 404 ] &&
	[ "$(api GET "/v1/assets/$(head -c 300 /dev/zero | tr "\\0" a)" "$tech")" = 400 ] &&
	[ "$(api POST /v1/assets/$AID/events "$tech" "{\"type\":\"note\",\"data\":[1]}")" = 400 ] &&
	[ "$(api POST /v1/assets/$AID/events "$tech" "{\"type\":\"note\",\"data\":{\"x\":1.5}}")" = 400 ] &&
	[ "$(api POST /v1/assets/$AID/events "$tech" "{\"type\":\"nope\"}")" = 400 ] &&
	[ "$(api PUT /v1/assets "$tech")" = 405 ] &&
	[ "$(api GET /v1/nothing "$tech")" = 404 ] &&
	[ "$(api GET /healthz)" = 200 ] &&
	"$SZ" ledger verify --state-dir st
'

test_expect_success 'the OpenAPI document and the route table name the same routes' '
	[ "$(api GET /v1/openapi.json)" = 200 ] && cp body openapi.json &&
	python3 -c "import json; d=json.load(open(\"$TOP/api/openapi.json\")); s=json.load(open(\"openapi.json\")); assert d==s" &&
	python3 - "$TOP/api/server.c" <<-\PYEOF
	import json, re, sys
	src = open(sys.argv[1]).read()
	routes = set((m, p.replace("{h}", "{}")) for m, p in re.findall(r"\{ \"(GET|POST|DELETE|PUT)\", \"([^\"]+)\"", src))
	doc = json.load(open("openapi.json"))
	documented = set((m.upper(), re.sub(r"\{[a-z_]+\}", "{}", p)) for p, ops in doc["paths"].items() for m in ops)
	assert routes, "no routes found"
	missing, extra = routes - documented, documented - routes
	assert not missing and not extra, ("undocumented", missing, "not served", extra)
	PYEOF
'

test_expect_success 'one log line per request, never the token' '
	grep -q "GET /healthz 200" "$TRASH/serve.log" &&
	grep -q "POST /v1/assets 201 .* token=" "$TRASH/serve.log" &&
	! grep -q "szt_" "$TRASH/serve.log"
'

test_expect_success 'SIGTERM stops the daemon cleanly and the ledger verifies' '
	kill -TERM $SZPID && for i in $(seq 50); do kill -0 $SZPID 2>/dev/null || break; sleep 0.1; done &&
	! kill -0 $SZPID 2>/dev/null &&
	grep -q "SIGTERM: stopping" "$TRASH/serve.log" && grep -q "stopped" "$TRASH/serve.log" &&
	"$SZ" ledger verify --state-dir st --require-attested
'

test_done
