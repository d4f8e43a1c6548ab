#!/usr/bin/env bash
# The web console (issue 14).  First over plain HTTP with curl: the pages and
# their security headers, the public verification page without JavaScript
# (escaped), sign-in to a session cookie, CSRF, sign-out, Secure under TLS.
# Then in a real browser (headless Debian chromium driven by playwright-core,
# tests/console/console.mjs): a technician's wipe of a loop device attached
# during the test, the certificate, the public page's three checks, a
# tampered JWS, the auditor's and customers' views, CSP and axe-core.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"

OUT="$TOP/build/test-logs/t6000-console"	# screenshots and the browser's results, kept
CSP="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
MiB=1048576

# serve_st [public]: start the daemon on st, with --public-url naming its own port
# when asked (sz_serve picks the port itself); sets PORT, URL, SZPID, ADMIN
serve_st() {
	local i
	for try in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 20000)) URL=http://127.0.0.1:$PORT
		{ "$SZ" serve --state-dir st --listen 127.0.0.1:$PORT ${1:+--public-url "http://station.example:$PORT"} \
			--checkpoint-interval 200 >>"$TRASH/serve.log" 2>&1 & } && SZPID=$! && pid_register $SZPID
		for i in $(seq 400); do
			curl -s -m 2 "$URL/healthz" >/dev/null 2>&1 && { ADMIN=$(cat st/admin.token); return 0; }
			kill -0 $SZPID 2>/dev/null || break
			sleep 0.05
		done
	done
	cat "$TRASH/serve.log"
	return 1
}
# hdr NAME FILE: the value of a response header in a curl -D dump
hdr() { tr -d '\r' <"$2" | sed -n "s/^$1: //Ip" | head -n 1; }
token() { api POST /v1/tokens "$ADMIN" "$1" >/dev/null && jget token <body; }

test_expect_success_here 'setup: a daemon with a public URL, and tokens of each role' '
	serve_st public &&
	TECH=$(token "{\"role\":\"technician\",\"name\":\"Ann Tech\"}") &&
	AUD=$(token "{\"role\":\"auditor\",\"name\":\"Bo Audit\"}") &&
	CUS=$(token "{\"role\":\"customer\",\"name\":\"Acme\",\"tenant\":\"acme\"}") &&
	OTHER=$(token "{\"role\":\"customer\",\"name\":\"Globex\",\"tenant\":\"globex\"}")
'

test_expect_success 'GET / is the console, with the CSP of the issue, nosniff and no-referrer' '
	curl -s -m 5 -D h -o page "$URL/" && grep -q "^HTTP/1.1 200" h &&
	[ "$(hdr Content-Type h)" = "text/html; charset=utf-8" ] &&
	[ "$(hdr Content-Security-Policy h)" = "$CSP" ] &&
	[ "$(hdr X-Content-Type-Options h)" = nosniff ] && [ "$(hdr Referrer-Policy h)" = no-referrer ] &&
	grep -q "<script type=\"module\" src=\"/console/app.js\">" page && ! grep -qi "<script>" page &&
	! grep -q "style=" page
'

test_expect_success 'the scripts and style sheet are served from the binary; anything else is 404' '
	for f in app.js util.js station.js ledger.js verify.js check.js; do
		curl -s -m 5 -D h -o got "$URL/console/$f" && grep -q "^HTTP/1.1 200" h &&
		[ "$(hdr Content-Type h)" = "text/javascript; charset=utf-8" ] && cmp got "$TOP/api/web/$f" || return 1
	done &&
	curl -s -m 5 -D h -o got "$URL/console/style.css" && [ "$(hdr Content-Type h)" = "text/css; charset=utf-8" ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" "$URL/console/nosuch.js")" = 404 ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" --path-as-is "$URL/console/../admin.token")" = 404 ] &&
	curl -s -m 5 -D h -o /dev/null "$URL/v1/nosuch" && [ "$(hdr Content-Security-Policy h)" = "$CSP" ]
'

test_expect_success 'the verification page of an unknown certificate is a 404 page' '
	curl -s -m 5 -D h -o page "$URL/verify/crt_AAAAAAAAAAAA" && grep -q "^HTTP/1.1 404" h &&
	grep -q "No certificate of that id" page && [ "$(hdr Content-Security-Policy h)" = "$CSP" ]
'

test_expect_success 'without JavaScript the form posts and the server renders the result, escaped' '
	curl -s -m 5 -o page --data-urlencode "jws=<script>alert(1)</script>.e30.AAAA" "$URL/verify" &&
	grep -q "data-result=\"fail\"" page && grep -q "&lt;script&gt;alert(1)&lt;/script&gt;" page &&
	! grep -q "<script>alert" page &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" -d "{}" "$URL/verify")" = 415 ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -d "other=1" "$URL/verify")" = 400 ]
'

test_expect_success_here 'sign-in: a bad token is 401; a good one gets an HttpOnly SameSite=Strict cookie' '
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" -d "{\"token\":\"szt_nope\"}" "$URL/v1/session")" = 401 ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -d "token=$TECH" "$URL/v1/session")" = 415 ] &&
	curl -s -m 5 -D h -o body -c jar -H "Content-Type: application/json" -d "{\"token\":\"$TECH\"}" "$URL/v1/session" &&
	grep -q "^HTTP/1.1 201" h && [ "$(jget role <body)" = technician ] && ! grep -q "$TECH" body h &&
	tr -d "\r" <h | grep -i "^Set-Cookie: sz_session=" | grep "HttpOnly" | grep "SameSite=Strict" | grep -q "Max-Age=28800" &&
	! tr -d "\r" <h | grep -i "^Set-Cookie: sz_session=" | grep -q Secure &&
	tr -d "\r" <h | grep -i "^Set-Cookie: sz_csrf=" | grep -v HttpOnly | grep -q "SameSite=Strict" &&
	CSRF=$(awk "\$6 == \"sz_csrf\" { print \$7 }" jar) && [ ${#CSRF} = 43 ] &&
	[ "$(curl -s -m 5 -o body -w "%{http_code}" -b jar "$URL/v1/session")" = 200 ] && [ "$(jget via <body)" = cookie ]
'

test_expect_success 'CSRF: a change with the cookie needs X-CSRF-Token; a bearer token needs none' '
	J="Content-Type: application/json" E="{\"serial\":\"S-csrf\",\"model\":\"m\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}" &&
	[ "$(curl -s -m 5 -o body -w "%{http_code}" -b jar -H "$J" -d "$E" "$URL/v1/assets")" = 403 ] &&
	[ "$(jget error.code <body)" = csrf ] &&
	[ "$(curl -s -m 5 -o body -w "%{http_code}" -b jar -H "$J" -H "X-CSRF-Token: ${CSRF%?}x" -d "$E" "$URL/v1/assets")" = 403 ] &&
	[ "$(curl -s -m 5 -o body -w "%{http_code}" -b jar -H "$J" -H "X-CSRF-Token: $CSRF" -d "$E" "$URL/v1/assets")" = 201 ] &&
	[ "$(curl -s -m 5 -o body -w "%{http_code}" -b jar "$URL/v1/assets")" = 200 ] &&
	[ "$(curl -s -m 5 -o body -w "%{http_code}" -H "Authorization: Bearer $TECH" -H "$J" -d "{\"type\":\"note\",\"data\":{}}" \
		"$URL/v1/assets/$(curl -s -b jar "$URL/v1/assets" | jq -r ".assets[0].id")/events")" = 201 ]
'

test_expect_success 'the cookie carries the role: a technician session may not list tokens, a forged cookie is 401' '
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -b jar "$URL/v1/tokens")" = 403 ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -b "sz_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$URL/v1/assets")" = 401 ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -b "sz_session=short" "$URL/v1/assets")" = 401 ]
'

test_expect_success 'sign-out needs the CSRF token, then the cookie is dead' '
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -b jar -X DELETE "$URL/v1/session")" = 403 ] &&
	curl -s -m 5 -D h -o /dev/null -b jar -H "X-CSRF-Token: $CSRF" -X DELETE "$URL/v1/session" && grep -q "^HTTP/1.1 200" h &&
	tr -d "\r" <h | grep -i "^Set-Cookie: sz_session=;" | grep -q "Max-Age=0" &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -b jar "$URL/v1/session")" = 401 ]
'

test_expect_success 'a revoked token ends its sessions at once' '
	T=$(token "{\"role\":\"auditor\"}") && TID=$(jget id <body) &&
	curl -s -m 5 -o /dev/null -c jar2 -H "Content-Type: application/json" -d "{\"token\":\"$T\"}" "$URL/v1/session" &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -b jar2 "$URL/v1/jobs")" = 200 ] &&
	[ "$(api DELETE /v1/tokens/$TID "$ADMIN")" = 200 ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -b jar2 "$URL/v1/jobs")" = 401 ]
'

test_expect_success 'under TLS the cookies are Secure' '
	command -v openssl >/dev/null &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=127.0.0.1 -keyout tls.key -out tls.crt 2>/dev/null && chmod 600 tls.key &&
	up= && for try in 1 2 3 4 5; do
		P2=$((20000 + RANDOM % 20000))
		{ "$SZ" serve --state-dir st2 --listen 127.0.0.1:$P2 --tls-cert tls.crt --tls-key tls.key 2>>tls.err & } &&
		T2=$! && pid_register $T2
		for i in $(seq 400); do
			curl -s -m 1 --cacert tls.crt https://127.0.0.1:$P2/healthz >/dev/null && { up=1; break; }
			kill -0 $T2 2>/dev/null || break
			sleep 0.05
		done
		[ -n "$up" ] && break
	done && [ -n "$up" ] &&
	curl -s -m 5 --cacert tls.crt -D h -o /dev/null -H "Content-Type: application/json" \
		-d "{\"token\":\"$(cat st2/admin.token)\"}" https://127.0.0.1:$P2/v1/session &&
	cat h && [ "$(tr -d "\r" <h | grep -ci "^Set-Cookie: .*; Secure")" = 2 ]
'

# ---- the browser ----
browser_reason=
if [ "$(id -u)" != 0 ] || ! { truncate -s 1M probe.img && d=$(losetup --find --show probe.img 2>/dev/null) && losetup -d "$d"; }; then
	browser_reason="needs root and loop devices"
elif ! "$TOP/scripts/deps.sh" console >deps.log 2>&1; then
	browser_reason="cannot install chromium and node: $(tail -n 1 deps.log)"
else
	CHROMIUM=$(command -v chromium || true)
	NM="$TOP/build/console"
	want=$(sha256sum "$TOP/tests/console/package-lock.json" | cut -d" " -f1)
	if [ "$(cat "$NM/.lock-sha256" 2>/dev/null)" != "$want" ]; then
		rm -rf "$NM" && mkdir -p "$NM" && cp "$TOP/tests/console/package.json" "$TOP/tests/console/package-lock.json" "$NM/" &&
		(cd "$NM" && npm ci --no-audit --no-fund --ignore-scripts >npm.log 2>&1) && echo "$want" >"$NM/.lock-sha256"
	fi
	if [ -z "$CHROMIUM" ]; then
		browser_reason="no chromium after installing it"
	elif [ ! -f "$NM/node_modules/playwright-core/package.json" ] || [ ! -f "$NM/node_modules/axe-core/axe.min.js" ]; then
		browser_reason="cannot install playwright-core and axe-core from npm: $(tail -n 1 "$NM/npm.log" 2>/dev/null)"
	fi
fi

if [ -n "$browser_reason" ]; then
	test_skip "the console in a real browser" "$browser_reason"
else
	rm -rf "$OUT" && mkdir -p "$OUT" && truncate -s $((256 * MiB)) "$TRASH/drive.img" &&
		truncate -s $((2048 * MiB)) "$TRASH/second.img"
	start=$(date +%s)
	URL=$URL PORT=$PORT TECH=$TECH AUD=$AUD CUS=$CUS OTHER=$OTHER ADMIN=$ADMIN IMG="$TRASH/drive.img" IMG2="$TRASH/second.img" \
		CHROMIUM=$CHROMIUM NODE_MODULES="$NM/node_modules" OUT="$OUT" \
		timeout 300 node "$TOP/tests/console/console.mjs" >"$OUT/node.log" 2>&1
	rc=$?
	for f in "$OUT"/loopdev*; do [ -f "$f" ] && loop_register "$(cat "$f")"; done
	say "browser checks took $(( $(date +%s) - start )) s; screenshots in $OUT"
	while read -r verdict rest; do
		test_expect_success "browser: $rest" "[ $verdict = PASS ]"
	done <"$OUT/results.txt"
	if [ "$rc" != 0 ] && ! grep -q "^FAIL" "$OUT/results.txt"; then
		test_expect_success "browser: the run ended (exit $rc): $(tail -n 3 "$OUT/node.log" | tr "\n" " ")" false
	fi

	test_expect_success_here 'without --public-url the QR codes come from the request'"'"'s Host, never a loopback one' '
		C=$(cat "$OUT/certid") && kill -TERM $SZPID &&
		for i in $(seq 100); do kill -0 $SZPID 2>/dev/null || break; sleep 0.1; done && serve_st &&
		curl -s -m 10 -o c.pdf -H "Host: station.example:$PORT" -H "Authorization: Bearer $AUD" "$URL/v1/certificates/$C.pdf" &&
		pdftoppm -r 150 -png -f 1 -l 1 c.pdf c && [ "$(zbarimg --raw -q c-*1.png)" = "http://station.example:$PORT/verify/$C" ] &&
		curl -s -m 10 -o l.pdf -H "Authorization: Bearer $AUD" "$URL/v1/certificates/$C.pdf" &&
		pdftoppm -r 150 -png -f 1 -l 1 l.pdf l && test_expect_code 4 zbarimg --raw -q l-*1.png &&
		curl -s -m 5 -D h -o qr.svg -H "Host: station.example:$PORT" "$URL/verify/$C/qr.svg" &&
		[ "$(hdr Content-Type h)" = image/svg+xml ] && grep -q "^<svg" qr.svg &&
		[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" "$URL/verify/$C/qr.svg")" = 400 ] &&
		[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -H "Host: a\"b" "$URL/verify/$C/qr.svg")" = 400 ]
	'
fi

test_done
