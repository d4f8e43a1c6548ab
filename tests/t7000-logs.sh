#!/usr/bin/env bash
# The daemon's log (issue 15): levels, text and JSON lines, journald's form,
# escaping that keeps a hostile path on its own line, and every refusal
# logged with its reason (never with the token).
. "$(dirname "$0")/lib.sh"
for t in curl jq; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done
LOG="$TRASH/serve.log"

# stop the daemon started last and empty its log (the same file: JOURNAL_STREAM names its inode)
stop() { kill "$SZPID" && wait "$SZPID" 2>/dev/null; : >"$LOG"; }
# raw PATH: one GET with the path sent as is (its %XX decoded by the daemon)
raw() { curl -s -g --path-as-is -m 10 -o /dev/null -w '%{http_code}' "$URL$1"; }
FORGE="/v1/x%0a2099-01-01T00:00:00.000Z%20info%20GET%20/v1/forged%20200%0d%0a%7b%22level%22:%22error%22%7d%ff%c2%9b"

test_expect_success_here 'setup: a daemon logging text at the default level' '
	sz_serve st --origin test.example/sz &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null && jget token <body)
'

test_expect_success 'text: a request line has the time, the level, what was asked and its fields' '
	[ "$(api GET /healthz)" = 200 ] && [ "$(api GET /v1/assets "$TECH")" = 200 ] && sleep 0.2 &&
	grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z info GET /healthz 200 route=/healthz duration_ms=[0-9.]+ remote=127\.0\.0\.1 token=-$" "$LOG" &&
	grep -qE " info GET /v1/assets 200 route=/v1/assets duration_ms=[0-9.]+ remote=127\.0\.0\.1 token=[A-Za-z0-9_-]+$" "$LOG" &&
	! grep -q szt_ "$LOG"
'

test_expect_success 'text: a %0a path cannot forge a line; control and invalid bytes show as \xNN' '
	n=$(wc -l <"$LOG") && [ "$(raw "$FORGE")" = 404 ] && sleep 0.2 &&
	[ $(($(wc -l <"$LOG") - n)) = 1 ] &&
	! grep -q "^2099-01-01" "$LOG" && ! grep -q "^{" "$LOG" &&
	grep -qF "warn GET /v1/x\\x0a2099-01-01T00:00:00.000Z info GET /v1/forged 200\\x0d\\x0a{\"level\":\"error\"}\\xff\\xc2\\x9b 404 " "$LOG" &&
	! LC_ALL=C grep -q $'"'"'\xff'"'"' "$LOG" && ! LC_ALL=C grep -q $'"'"'\r'"'"' "$LOG"
'

test_expect_success 'refusals are logged with their reason, the token never' '
	bad=szt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA &&
	[ "$(api GET /v1/assets)" = 401 ] && [ "$(api GET /v1/assets "$bad")" = 401 ] &&
	[ "$(api GET /v1/assets nope)" = 401 ] && [ "$(api GET /v1/tokens "$TECH")" = 403 ] &&
	[ "$(api DELETE /healthz)" = 405 ] &&
	[ "$(api POST /v1/assets "$TECH" "{\"serial\":1}")" = 400 ] && sleep 0.2 &&
	grep -q "warn GET /v1/assets 401 .* auth=missing code=unauthorized error=\"a valid bearer token is required\"" "$LOG" &&
	grep -q "warn GET /v1/assets 401 .* auth=rejected code=unauthorized" "$LOG" &&
	grep -q "warn GET /v1/assets 401 .* auth=malformed code=unauthorized" "$LOG" &&
	grep -q "warn GET /v1/tokens 403 .* auth=forbidden code=forbidden error=\"the technician role may not GET /v1/tokens\"" "$LOG" &&
	grep -q "warn DELETE /healthz 405 .* code=method_not_allowed" "$LOG" &&
	grep -q "warn POST /v1/assets 400 .* code=bad_request error=" "$LOG" &&
	! grep -q "$bad" "$LOG" && ! grep -q "$TECH" "$LOG" && ! grep -q "$ADMIN" "$LOG"
'

test_expect_success 'an interlock refusal: the request line and a line naming asset, device and reason' '
	api POST /v1/assets "$TECH" "{\"serial\":\"S-LOG\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":4096,\"tenant\":\"acme\"}" >/dev/null &&
	A=$(jget id <body) && [ "$(api POST /v1/assets/$A/events "$TECH" "{\"type\":\"retired\"}")" = 201 ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"/dev/null\",\"method\":\"clear-zero\"}")" = 409 ] &&
	sleep 0.2 &&
	grep -q "warn wipe refused by an interlock asset=$A device=/dev/null reason=not_block_device error=\"cannot wipe the device: the path is not a block device under /dev\"" "$LOG" &&
	grep -q "warn POST /v1/jobs 409 route=/v1/jobs .* code=conflict reason=not_block_device error=" "$LOG"
'

test_expect_success_here 'levels: warn keeps refusals and drops answered requests; error drops both; a scrape is debug' '
	stop && sz_serve st --log-level warn &&
	[ "$(api GET /healthz)" = 200 ] && [ "$(api GET /nope)" = 404 ] && sleep 0.2 &&
	! grep -q "GET /healthz 200" "$LOG" && grep -q "warn GET /nope 404" "$LOG" &&
	! grep -q "listening on" "$LOG" &&
	stop && sz_serve st --log-level error &&
	[ "$(api GET /nope)" = 404 ] && sleep 0.2 && ! grep -q "GET /nope" "$LOG" &&
	[ "$(api GET /metrics)" = 200 ] && sleep 0.2 && ! grep -q "GET /metrics" "$LOG" &&
	stop && sz_serve st &&
	[ "$(api GET /metrics)" = 200 ] && sleep 0.2 && ! grep -q "GET /metrics" "$LOG" &&
	stop && sz_serve st --log-level debug &&
	[ "$(api GET /healthz)" = 200 ] && [ "$(api GET /metrics)" = 200 ] && sleep 0.2 &&
	grep -q "info GET /healthz 200" "$LOG" && grep -q "debug GET /metrics 200 route=/metrics" "$LOG"
'

test_expect_success 'a bad --log-level or --log-format is a usage error' '
	test_expect_code 2 "$SZ" serve --state-dir st --log-level loud 2>err && grep -q "invalid value .loud." err &&
	test_expect_code 2 "$SZ" serve --state-dir st --log-format xml 2>err && grep -q "invalid value .xml." err
'

test_expect_success_here 'json: every line parses with jq: time (RFC 3339 UTC, ms), level, msg, and the fields' '
	stop && sz_serve st --log-format json &&
	[ "$(api GET /healthz)" = 200 ] && [ "$(api GET /v1/assets)" = 401 ] && [ "$(raw "$FORGE")" = 404 ] &&
	sleep 0.2 && grep -v "^sanitizerd: " "$LOG" >lines &&
	[ "$(wc -l <lines)" -ge 4 ] &&
	jq -e -c . lines >/dev/null &&
	jq -e -s "all(.[]; (.time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\\\.[0-9]{3}Z$\")) and (.level | IN(\"error\",\"warn\",\"info\",\"debug\")) and (.msg | type == \"string\"))" lines &&
	jq -e -s "map(select(.msg == \"GET /healthz 200\")) | length >= 1 and (.[0] | .route == \"/healthz\" and .status == 200 and .method == \"GET\" and (.duration_ms | type == \"number\") and .remote == \"127.0.0.1\" and .level == \"info\")" lines &&
	jq -e -s "map(select(.status == 401)) | .[0] | .level == \"warn\" and .auth == \"missing\" and .code == \"unauthorized\"" lines
'

test_expect_success 'json: a %0a path is one line whose path member holds the \xNN text' '
	[ "$(grep -c forged "$LOG")" = 1 ] &&
	jq -e -s "map(select(.status == 404)) | .[0].path == \"/v1/x\\\\x0a2099-01-01T00:00:00.000Z info GET /v1/forged 200\\\\x0d\\\\x0a{\\\"level\\\":\\\"error\\\"}\\\\xff\\\\xc2\\\\x9b\"" lines
'

test_expect_success_here 'json: libmicrohttpd'"'"'s own refusals are lines of ours too' '
	stop && sz_serve st --log-format json --threads 1 --conn-per-ip 1 &&
	{ python3 -c "import socket,sys,time; s=socket.create_connection((\"127.0.0.1\",int(sys.argv[1]))); time.sleep(3)" $PORT & } &&
	hold=$! && sleep 0.5 && [ "$(api GET /healthz)" = 000 ] && wait $hold && sleep 0.2 &&
	grep -v "^sanitizerd: " "$LOG" >lines && jq -e -c . lines >/dev/null &&
	jq -e -s "map(select(.source == \"libmicrohttpd\" and .level == \"warn\" and (.msg | test(\"connection limit\")))) | length >= 1" lines
'

test_expect_success_here 'journald (JOURNAL_STREAM names stderr): <N> priority, no time of our own' '
	stop && JOURNAL_STREAM=$(stat -c %d:%i "$LOG") sz_serve st &&
	[ "$(api GET /healthz)" = 200 ] && [ "$(api GET /nope)" = 404 ] && sleep 0.2 &&
	grep -qx "<6>GET /healthz 200 route=/healthz duration_ms=[0-9.]* remote=127.0.0.1 token=-" "$LOG" &&
	grep -q "^<4>GET /nope 404 " "$LOG" && grep -q "^<6>sanitizerd .* listening on" "$LOG" &&
	! grep -qE "^<[0-9]>[0-9]{4}-" "$LOG" && ! grep -qE "[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z" "$LOG"
'

test_expect_success_here 'journald with json: <N> then an object (journald strips the prefix)' '
	stop && JOURNAL_STREAM=$(stat -c %d:%i "$LOG") sz_serve st --log-format json &&
	[ "$(api GET /healthz)" = 200 ] && sleep 0.2 &&
	grep "^<6>{" "$LOG" | sed "s/^<6>//" | jq -e -s "map(select(.msg == \"GET /healthz 200\")) | length >= 1" >/dev/null
'

test_expect_success_here 'JOURNAL_STREAM naming another stream: ordinary lines with their time' '
	stop && JOURNAL_STREAM=1:1 sz_serve st &&
	[ "$(api GET /healthz)" = 200 ] && sleep 0.2 &&
	grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z info GET /healthz 200" "$LOG" && ! grep -q "^<" "$LOG"
'

test_done
