#!/usr/bin/env bash
# The daemon's own behaviour: HTTPS with --tls-cert/--tls-key, SIGHUP
# reopening the log, bad options, refusing lax secrets at start.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v openssl >/dev/null || skip_all "openssl is not installed"

test_expect_success_here 'HTTPS: the daemon serves TLS with the given certificate' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=127.0.0.1 -keyout tls.key -out tls.crt 2>/dev/null && chmod 600 tls.key &&
	for try in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 20000))
		{ "$SZ" serve --state-dir st --listen 127.0.0.1:$PORT --tls-cert tls.crt --tls-key tls.key \
			--log "$TRASH/d.log" 2>serve.err & } && SZPID=$! && pid_register $SZPID
		up=
		for i in $(seq 200); do
			curl -s -m 1 --cacert tls.crt https://127.0.0.1:$PORT/healthz >/dev/null && { up=1; break; }
			kill -0 $SZPID 2>/dev/null || break	# the port was taken: another one
			sleep 0.05
		done
		[ -n "$up" ] && break
	done &&
	[ "$(curl -s -m 5 --cacert tls.crt https://127.0.0.1:$PORT/healthz)" = "{\"status\":\"ok\"}" ] &&
	! curl -s -m 5 http://127.0.0.1:$PORT/healthz >/dev/null
'

test_expect_success 'SIGHUP reopens the log file (for rotation)' '
	grep -q "listening on 127.0.0.1:$PORT (https)" d.log &&
	mv d.log d.log.1 && kill -HUP $SZPID && sleep 0.3 &&
	curl -s -m 5 --cacert tls.crt https://127.0.0.1:$PORT/v1/keys >/dev/null &&
	for i in $(seq 50); do grep -q "GET /v1/keys 200" d.log 2>/dev/null && break; sleep 0.1; done &&
	grep -q "GET /v1/keys 200" d.log && ! grep -q "GET /v1/keys" d.log.1 &&
	grep -q "SIGHUP: log reopened" d.log
'

test_expect_success 'SIGTERM: exit 0' '
	kill -TERM $SZPID && for i in $(seq 50); do kill -0 $SZPID 2>/dev/null || break; sleep 0.1; done &&
	! kill -0 $SZPID 2>/dev/null && grep -q "stopped" d.log
'

test_expect_success 'the daemon refuses to start with a signing key others can read' '
	chmod 640 st/signing.key &&
	test_expect_code 1 "$SZ" serve --state-dir st --listen 127.0.0.1:1 2>err; rc=$?;
	chmod 600 st/signing.key; [ $rc = 0 ] &&
	grep -q "^sanitizerd: refusing to use st/signing.key: mode 0640" err
'

test_expect_success 'bad options: a clear error, exit 2 or 1' '
	test_expect_code 2 "$SZ" serve --state-dir st --threads 0 2>/dev/null &&
	test_expect_code 2 "$SZ" serve --state-dir st --bogus 2>/dev/null &&
	test_expect_code 1 "$SZ" serve --state-dir st --listen nohost 2>err && grep -q "invalid --listen" err &&
	test_expect_code 1 "$SZ" serve --state-dir st --listen 127.0.0.1:1 --tls-cert tls.crt 2>err &&
	grep -q "go together" err
'

test_expect_success_here 'an idle connection is closed after --conn-timeout' '
	sz_serve st --threads 1 --conn-limit 4 --conn-timeout 2 &&
	exec 3<>/dev/tcp/127.0.0.1/$PORT && sleep 3.5 &&
	{ timeout 3 cat <&3 >/dev/null; rc=$?; } && exec 3<&- && [ $rc != 124 ]
'

test_expect_success 'connection options are checked' '
	test_expect_code 2 "$SZ" serve --state-dir st --conn-limit 0 2>/dev/null &&
	test_expect_code 2 "$SZ" serve --state-dir st --conn-timeout 99999 2>/dev/null &&
	test_expect_code 2 "$SZ" serve --state-dir st --conn-limit x 2>err && grep -q "^sanitizerd: invalid value" err
'

test_done
