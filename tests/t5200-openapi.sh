#!/usr/bin/env bash
# Issue 15: live responses of every route, successes and refusals, checked
# against api/openapi.json by validators we did not write (Ajv and
# @seriousme/openapi-schema-validator from npm, installed into build/npm):
# each status documented, each JSON body valid against its schema with
# objects closed (a field the document does not name fails), each JSON body
# ending with a newline; every operation has an operationId, the document a
# license, and every operation is answered with a success at least once.
. "$(dirname "$0")/lib.sh"
for t in curl jq python3; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	"$TOP/scripts/deps.sh" apicheck >/dev/null 2>&1 || skip_all "needs nodejs and npm (scripts/deps.sh apicheck could not install them)"
fi
NPM_DIR="$TOP/build/npm"
if ! [ -d "$NPM_DIR/node_modules/ajv" ] || ! [ -d "$NPM_DIR/node_modules/ajv-formats" ] ||
   ! [ -d "$NPM_DIR/node_modules/@seriousme/openapi-schema-validator" ]; then
	mkdir -p "$NPM_DIR" &&
	timeout 300 npm install --silent --no-audit --no-fund --prefix "$NPM_DIR" \
		ajv@8 ajv-formats@3 @seriousme/openapi-schema-validator@2 >"$TRASH/npm.log" 2>&1 ||
		skip_all "npm could not install ajv, ajv-formats and @seriousme/openapi-schema-validator: $(tail -n1 "$TRASH/npm.log")"
fi
require_loop

# rec METHOD TEMPLATE PATH [TOKEN] [BODY] [CONTENT-TYPE]: call, keep the body in "body" and a
# record for the validator; prints the status.  REC_JAR=FILE keeps cookies, REC_CSRF=V sends X-CSRF-Token
rec() {
	local m=$1 tp=$2 p=$3 t=${4:-} b=${5:-} ct=${6:-application/json} out
	local n=$(( $(cat calls.jsonl 2>/dev/null | wc -l) + 1 ))	# rec runs in $(...): no shell counter
	: >"r$n.body"
	out=$(curl -s -m ${REC_TIMEOUT:-20} -o "r$n.body" -w '%{http_code} %{content_type}' -X "$m" \
		${t:+-H "Authorization: Bearer $t"} ${b:+-H "Content-Type: $ct" --data-binary "$b"} \
		${REC_JAR:+-b "$REC_JAR" -c "$REC_JAR"} ${REC_CSRF:+-H "X-CSRF-Token: $REC_CSRF"} "$URL$p")
	cp "r$n.body" body
	jq -cn --arg m "$m" --arg t "$tp" --argjson s "${out%% *}" --arg c "${out#* }" --arg b "r$n.body" \
		'{method:$m, template:$t, status:$s, ctype:$c, body:$b}' >>calls.jsonl
	echo "${out%% *}"
}
tok() { rec POST /v1/tokens /v1/tokens "$ADMIN" "$1" >/dev/null && jget token <body; }
wait_job() {
	for i in $(seq 600); do
		curl -s -H "Authorization: Bearer $TECH" "$URL/v1/jobs/$1" >job.json; s=$(jget state <job.json)
		case $s in completed|failed|cancelled) return 0 ;; esac
		sleep 0.1
	done
	return 1
}
# drive NAME MiB: a loop device over a new file, and an asset enrolled for it; sets D and A
drive() {
	truncate -s "${2}M" "$1.img" && D=$(loop_attach "$TRASH/$1.img") &&
	[ "$(rec POST /v1/assets /v1/assets "$TECH" "{\"serial\":\"loop:$TRASH/$1.img\",\"model\":\"M-$1\",\"media_type\":\"hdd\",\"capacity_bytes\":$(($2 << 20)),\"tenant\":\"acme\",\"vendor\":\"V\",\"property_number\":\"PN-$1\",\"ticket\":\"T-1\"}")" = 201 ] &&
	A=$(jget id <body)
}
retire() { [ "$(rec POST /v1/assets/{id}/events /v1/assets/$1/events "$TECH" '{"type":"retired","data":{"reason":"eol"}}')" = 201 ]; }

test_expect_success_here 'setup: daemon and a token of each role' '
	sz_serve st --public-url https://station.example.org &&
	TECH=$(tok "{\"role\":\"technician\",\"name\":\"bench 1\"}") && AUD=$(tok "{\"role\":\"auditor\"}") &&
	CUS=$(tok "{\"role\":\"customer\",\"tenant\":\"acme\"}") &&
	[ "$(rec POST /v1/tokens /v1/tokens "$ADMIN" "{\"role\":\"auditor\",\"name\":\"to revoke\"}")" = 201 ] && RID=$(jget id <body)
'

test_expect_success_here 'public routes' '
	[ "$(rec GET /healthz /healthz)" = 200 ] &&
	[ "$(rec GET /metrics /metrics)" = 200 ] &&
	[ "$(rec GET /.well-known/jwks.json /.well-known/jwks.json)" = 200 ] &&
	[ "$(rec GET /v1/keys /v1/keys)" = 200 ] &&
	[ "$(rec GET /v1/openapi.json /v1/openapi.json)" = 200 ] &&
	[ "$(rec GET /v1/ledger/checkpoint /v1/ledger/checkpoint)" = 200 ]
'

test_expect_success_here 'tokens, assets, events, devices, patch audits, exposure' '
	[ "$(rec GET /v1/tokens /v1/tokens "$ADMIN")" = 200 ] &&
	[ "$(rec DELETE /v1/tokens/{id} /v1/tokens/$RID "$ADMIN")" = 200 ] &&
	[ "$(rec DELETE /v1/tokens/{id} /v1/tokens/$RID "$ADMIN")" = 409 ] &&
	[ "$(rec POST /v1/tokens /v1/tokens "$ADMIN" "{\"role\":\"king\"}")" = 400 ] &&
	[ "$(rec GET /v1/tokens /v1/tokens "$TECH")" = 403 ] &&
	drive one 8 && A1=$A D1=$D &&
	[ "$(rec POST /v1/assets /v1/assets "$TECH" "{\"serial\":\"loop:$TRASH/one.img\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}")" = 409 ] &&
	[ "$(rec POST /v1/assets /v1/assets "$TECH" "{\"serial\":1}")" = 400 ] &&
	[ "$(rec POST /v1/assets /v1/assets "$TECH" "{}" text/plain)" = 415 ] &&
	[ "$(rec GET /v1/assets /v1/assets "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/assets "/v1/assets?limit=1" "$CUS")" = 200 ] &&
	[ "$(rec GET /v1/assets/{id} /v1/assets/$A1 "$CUS")" = 200 ] &&
	[ "$(rec GET /v1/assets/{id} /v1/assets/nope "$AUD")" = 404 ] &&
	[ "$(rec GET /v1/assets/{id} /v1/assets/$A1)" = 401 ] &&
	[ "$(rec POST /v1/assets/{id}/events /v1/assets/$A1/events "$TECH" "{\"type\":\"deployed\",\"data\":{\"host\":\"web-17\",\"slot\":3}}")" = 201 ] &&
	[ "$(rec POST /v1/hosts/{name}/patch-audits /v1/hosts/web-17/patch-audits "$TECH" "{\"scanner\":\"t\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"vulnerable\"}]}")" = 201 ] &&
	[ "$(rec POST /v1/hosts/{name}/patch-audits /v1/hosts/web-17/patch-audits "$TECH" "{\"checks\":3}")" = 400 ] &&
	[ "$(rec POST /v1/assets/{id}/events /v1/assets/$A1/events "$TECH" "{\"type\":\"removed\"}")" = 201 ] &&
	[ "$(rec POST /v1/assets/{id}/events /v1/assets/$A1/events "$TECH" "{\"type\":\"shipped\",\"data\":{\"carrier\":\"x\"}}")" = 409 ] &&
	[ "$(rec GET /v1/assets/{id}/events /v1/assets/$A1/events "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/assets/{id}/exposure /v1/assets/$A1/exposure "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/assets/{id}/exposure /v1/assets/$A1/exposure "$TECH")" = 403 ] &&
	retire "$A1" &&
	[ "$(rec GET /v1/devices /v1/devices "$TECH")" = 200 ] &&
	[ "$(rec GET /v1/devices /v1/devices "$AUD")" = 403 ]
'

test_expect_success_here 'jobs, certificates, verify' '
	[ "$(rec POST /v1/jobs /v1/jobs "$TECH" "{\"asset_id\":\"$A1\",\"device\":\"/dev/sda\",\"method\":\"clear-zero\"}")" = 409 ] &&
	[ "$(rec POST /v1/jobs /v1/jobs "$TECH" "{\"asset_id\":\"$A1\",\"device\":\"$D1\",\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	J=$(jget id <body) && wait_job "$J" &&
	[ "$(rec GET /v1/jobs/{id} /v1/jobs/$J "$AUD")" = 200 ] && [ "$(jget state <body)" = completed ] &&
	[ "$(rec GET /v1/jobs /v1/jobs "$TECH")" = 200 ] &&
	[ "$(rec GET /v1/jobs "/v1/jobs?state=bogus" "$TECH")" = 400 ] &&
	[ "$(rec DELETE /v1/jobs/{id} /v1/jobs/$J "$TECH")" = 409 ] &&
	[ "$(rec POST /v1/assets/{id}/certificate /v1/assets/$A1/certificate "$TECH" "{\"performed_by\":{\"name\":\"Ann\"}}")" = 201 ] &&
	C=$(jget id <body) && jget jws <body >cert.jws &&
	[ "$(rec POST /v1/assets/{id}/certificate /v1/assets/$A1/certificate "$TECH" "{}")" = 409 ] &&
	[ "$(rec GET /v1/certificates/{id} /v1/certificates/$C "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/certificates/{id} /v1/certificates/$C "$TECH")" = 403 ] &&
	[ "$(rec GET /v1/certificates/{id}.jws /v1/certificates/$C.jws "$CUS")" = 200 ] &&
	[ "$(rec GET /v1/certificates/{id}.pdf /v1/certificates/$C.pdf "$TECH")" = 200 ] &&
	[ "$(rec GET /v1/certificates/{id}.pdf /v1/certificates/crt_AAAAAAAAAAAA.pdf "$AUD")" = 404 ] &&
	[ "$(rec GET /v1/certificates /v1/certificates "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/certificates "/v1/certificates?format=csv" "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/certificates "/v1/certificates?format=jsonl" "$CUS")" = 200 ] &&
	[ "$(rec GET /v1/certificates "/v1/certificates?from=never" "$AUD")" = 400 ] &&
	[ "$(rec GET /v1/certificates /v1/certificates "$TECH")" = 403 ] &&
	[ "$(rec POST /v1/verify /v1/verify "" "$(cat cert.jws)" application/jose)" = 200 ] &&
	[ "$(rec POST /v1/verify /v1/verify "$AUD" "{\"jws\":\"$(cat cert.jws)\"}")" = 200 ] &&
	[ "$(rec POST /v1/verify /v1/verify "" "{\"jws\":\"a.b.c\"}")" = 200 ] &&
	[ "$(rec POST /v1/verify /v1/verify "" "x" text/plain)" = 415 ] &&
	[ "$(rec POST /v1/verify /v1/verify "" "[1]")" = 400 ]
'

test_expect_success_here 'a cancelled job, a batch, the event stream' '
	drive two 1024 && A2=$A D2=$D && retire "$A2" &&
	[ "$(rec POST /v1/jobs /v1/jobs "$TECH" "{\"asset_id\":\"$A2\",\"device\":\"$D2\",\"method\":\"dod-3pass\",\"verify\":\"full\"}")" = 202 ] &&
	J2=$(jget id <body) &&
	[ "$(rec DELETE /v1/jobs/{id} /v1/jobs/$J2 "$TECH")" = 202 ] && wait_job "$J2" &&
	drive three 8 && A3=$A && retire "$A3" &&
	[ "$(rec POST /v1/batches /v1/batches "$TECH" "{\"asset_ids\":[\"$A3\"],\"method\":\"clear-zero\",\"verify\":\"sample\"}")" = 202 ] &&
	B=$(jget id <body) &&
	[ "$(rec GET /v1/batches/{id} /v1/batches/$B "$TECH")" = 200 ] &&
	[ "$(rec DELETE /v1/batches/{id} /v1/batches/$B "$TECH")" = 202 ] &&
	[ "$(rec GET /v1/batches/{id} /v1/batches/nope "$TECH")" = 404 ] &&
	[ "$(rec POST /v1/batches /v1/batches "$TECH" "{\"method\":\"clear-zero\"}")" = 400 ] &&
	[ "$(REC_TIMEOUT=2 rec GET /v1/stream /v1/stream "$AUD")" = 200 ]
'

# the web console's routes (issue 14), where the document has them
if jq -e '.paths["/v1/session"]' "$TOP/api/openapi.json" >/dev/null; then
test_expect_success_here 'the web console, its session and the public verification page' '
	[ "$(rec GET / /)" = 200 ] &&
	[ "$(rec GET /console/{file} /console/app.js)" = 200 ] &&
	[ "$(rec GET /console/{file} /console/nope.js)" = 404 ] &&
	[ "$(rec GET /verify /verify)" = 200 ] &&
	[ "$(rec POST /verify /verify "" "jws=$(cat cert.jws)" application/x-www-form-urlencoded)" = 200 ] &&
	[ "$(rec GET /verify/{cert_id} /verify/$C)" = 200 ] &&
	[ "$(rec GET /verify/{cert_id}/qr.svg /verify/$C/qr.svg)" = 200 ] &&
	[ "$(rec GET /v1/verify/{cert_id} /v1/verify/$C)" = 200 ] &&
	[ "$(rec GET /v1/session /v1/session)" = 401 ] &&
	[ "$(REC_JAR=jar rec POST /v1/session /v1/session "" "{\"token\":\"$AUD\"}")" = 201 ] &&
	[ "$(REC_JAR=jar rec GET /v1/session /v1/session)" = 200 ] &&
	csrf=$(awk "\$6 == \"sz_csrf\" { print \$7 }" jar) && [ -n "$csrf" ] &&
	[ "$(REC_JAR=jar rec DELETE /v1/session /v1/session)" = 403 ] &&
	[ "$(REC_JAR=jar REC_CSRF=$csrf rec DELETE /v1/session /v1/session)" = 200 ]
'
fi

test_expect_success_here 'ledger: entries, one entry, proofs' '
	sleep 0.3 && rec GET /v1/ledger/checkpoint /v1/ledger/checkpoint >/dev/null && size=$(sed -n 2p body) &&
	[ "$(rec GET /v1/ledger/entries "/v1/ledger/entries?from=0&to=40" "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/ledger/entries "/v1/ledger/entries?limit=5&format=jsonl" "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/ledger/entries "/v1/ledger/entries?format=csv" "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/ledger/entries "/v1/ledger/entries?limit=x" "$AUD")" = 400 ] &&
	[ "$(rec GET /v1/ledger/entries /v1/ledger/entries "$CUS")" = 404 ] &&
	[ "$(rec GET /v1/ledger/entries/{seq} /v1/ledger/entries/3 "$AUD")" = 200 ] &&
	[ "$(rec GET /v1/ledger/entries/{seq} /v1/ledger/entries/x "$AUD")" = 400 ] &&
	[ "$(rec GET /v1/ledger/entries/{seq} /v1/ledger/entries/999999 "$AUD")" = 404 ] &&
	[ "$(rec GET /v1/ledger/proof/inclusion "/v1/ledger/proof/inclusion?seq=1&size=$size")" = 200 ] &&
	[ "$(rec GET /v1/ledger/proof/inclusion "/v1/ledger/proof/inclusion?seq=x")" = 400 ] &&
	[ "$(rec GET /v1/ledger/proof/consistency "/v1/ledger/proof/consistency?from=1&to=$size")" = 200 ] &&
	[ "$(rec GET /v1/ledger/proof/consistency "/v1/ledger/proof/consistency?from=5&to=2")" = 400 ]
'

# KEEP_CALLS=DIR keeps the responses, to rerun the check alone while editing the document
[ -n "${KEEP_CALLS:-}" ] && mkdir -p "$KEEP_CALLS" && cp calls.jsonl r*.body "$KEEP_CALLS/"

test_expect_success 'every response above matches the OpenAPI document (Ajv, closed objects)' '
	NODE_PATH="$NPM_DIR/node_modules" node "$TOP/tests/openapi_check.js" "$TOP/api/openapi.json" "$TRASH/calls.jsonl"
'

test_expect_success 'the check catches an undocumented field and an undocumented status' '
	jq "del(.components.schemas.Certificate.properties.sha256)" "$TOP/api/openapi.json" >bad.json &&
	! NODE_PATH="$NPM_DIR/node_modules" node "$TOP/tests/openapi_check.js" bad.json calls.jsonl >out &&
	grep -q "sha256" out &&
	jq "del(.paths[\"/v1/assets\"].post.responses[\"415\"])" "$TOP/api/openapi.json" >bad.json &&
	! NODE_PATH="$NPM_DIR/node_modules" node "$TOP/tests/openapi_check.js" bad.json calls.jsonl >out &&
	grep -q "POST /v1/assets -> 415: status not documented" out
'

test_done
