#!/usr/bin/env bash
# Hostile bytes at the API (issue 11): invalid UTF-8 in a path, a query
# value, a member name or a content type is a 4xx with a valid JSON error,
# never a 500; a request path cannot forge a log line; a job's device path
# does not tell whether a file exists on the host.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"

# raw STATUS-FILE METHOD PATH [CONTENT-TYPE BODY-FILE]: curl without URL globbing
raw() {
	curl -s -g -m 10 -o "$1" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $TECH" \
		${4:+-H "Content-Type: $4"} ${5:+--data-binary @"$5"} "$URL$3"
}
# valid_error FILE: a JSON error object whose message is valid UTF-8 without control characters
valid_error() {
	python3 - "$1" <<-'EOF'
	import json, sys
	raw = open(sys.argv[1], "rb").read()
	text = raw.decode("utf-8")          # raises on invalid UTF-8
	e = json.loads(text)["error"]
	assert e["code"] and e["message"], e
	assert not any(ord(c) < 0x20 or ord(c) == 0x7f for c in e["message"]), e
	EOF
}

test_expect_success_here 'setup: a daemon and a technician' '
	sz_serve st &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body)
'

test_expect_success 'invalid UTF-8 in the path: 404 with a valid JSON error' '
	[ "$(raw out GET "/v1/%ff%fe%c3")" = 404 ] && valid_error out &&
	[ "$(raw out GET "/v1/assets/%ff%fe")" = 400 ] && valid_error out
'

test_expect_success 'an error message cut inside a UTF-8 character is still valid UTF-8' '
	p=$(python3 -c "print(\"/v1/x\" + \"%C3%A9\" * 150)") &&
	[ "$(raw out GET "$p")" = 404 ] && valid_error out
'

test_expect_success 'invalid UTF-8 in a member name and a value: 400 bad_json, valid JSON' '
	printf "{\"ser\\377ial\":\"x\"}" >b1 && [ "$(raw out POST /v1/assets application/json b1)" = 400 ] && valid_error out &&
	printf "{\"serial\":\"\\300\\200\"}" >b2 && [ "$(raw out POST /v1/assets application/json b2)" = 400 ] && valid_error out &&
	printf "{\"asset_id\":\"a\",\"device\":\"/dev/x\",\"method\":\"clear-\\377\"}" >b3 &&
	[ "$(raw out POST /v1/jobs application/json b3)" = 400 ] && valid_error out
'

test_expect_success 'invalid UTF-8 in the content type: 415, valid JSON' '
	echo "{}" >b4 &&
	[ "$(curl -s -g -m 10 -o out -w "%{http_code}" -H "Authorization: Bearer $TECH" \
		-H "$(printf "Content-Type: text/\\377\\376\\001plain")" --data-binary @b4 "$URL/v1/assets")" = 415 ] &&
	valid_error out
'

test_expect_success 'invalid UTF-8 in a query value: a 4xx, valid JSON' '
	code=$(raw out GET "/v1/ledger/proof/inclusion?seq=%ff&size=%fe") &&
	[ "$code" -ge 400 ] && [ "$code" -lt 500 ] && valid_error out
'

test_expect_success 'a request path cannot forge a log line' '
	raw out GET "/v1/x%0a2099-01-01T00:00:00.000Z%20GET%20/v1/forged%20200%0d" >/dev/null &&
	sleep 0.2 &&
	! grep -q "^2099-01-01" "$TRASH/serve.log" &&
	grep -q "x\\\\x0a2099-01-01T00:00:00.000Z GET /v1/forged 200\\\\x0d" "$TRASH/serve.log"
'

test_expect_success 'a job on a path that is no block device: one answer whether the file exists or not' '
	api POST /v1/assets "$TECH" "{\"serial\":\"S-HOSTILE\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":4096,\"tenant\":\"acme\"}" >/dev/null &&
	A=$(jget id <body) && [ "$(api POST /v1/assets/$A/events "$TECH" "{\"type\":\"retired\"}")" = 201 ] &&
	for p in /dev/null /dev/shm /dev/nonexistent-sz-test /dev/shm/nonexistent/x /dev/stdin; do
		code=$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"$p\",\"method\":\"clear-zero\"}") &&
		echo "$code $(jget error.reason <body) $(jget error.message <body)"
	done >answers &&
	cat answers && [ "$(sort -u answers | wc -l)" = 1 ] &&
	grep -q "^409 not_block_device " answers
'

test_expect_success 'a device path with . or .. components is refused before it is looked at' '
	api POST /v1/assets "$TECH" "{\"serial\":\"S-DOTS\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":4096,\"tenant\":\"acme\"}" >/dev/null &&
	A=$(jget id <body) && [ "$(api POST /v1/assets/$A/events "$TECH" "{\"type\":\"retired\"}")" = 201 ] &&
	for p in /dev/../etc/passwd /dev/../nonexistent /dev/./null /dev//null /dev/loop0/..; do
		[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"$p\",\"method\":\"clear-zero\"}")" = 400 ] &&
		grep -q "without . or .. components" body || { echo "not refused: $p"; exit 1; }
	done
'

test_done
