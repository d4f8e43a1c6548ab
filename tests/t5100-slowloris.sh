#!/usr/bin/env bash
# Unauthenticated clients must not take the station down (issue 11): an
# attacker on another loopback address holding half-open connections
# (slowloris, a byte every half second) gets at most --conn-per-ip of them,
# each cut off at the header deadline however slowly it trickles; meanwhile
# /healthz and an authenticated client are answered.  A request line with
# hundreds of query parameters is cut off at once instead of holding its
# connection for the idle timeout.  Bounded: 150 sockets, 8 seconds.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
	skip_all "cannot bind 127.0.0.2 (loopback aliases)"

test_expect_success_here 'setup: a daemon with 128 connections, 16 per address, a 2 s header deadline' '
	sz_serve st --conn-limit 128 --conn-per-ip 16 --header-timeout 2 --request-timeout 4 &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body)
'

test_expect_success 'slowloris from 127.0.0.2: the station still answers, the attacker is capped and cut off' '
	python3 - "$PORT" >attack.log 2>&1 <<-"EOF" &
	import socket, sys, time
	port = int(sys.argv[1])
	socks, refused = [], 0
	for i in range(150):
	    s = socket.socket()
	    s.settimeout(2)
	    try:
	        s.bind(("127.0.0.2", 0))
	        s.connect(("127.0.0.1", port))
	        s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
	        socks.append([s, time.monotonic(), None])
	    except OSError:
	        refused += 1
	t0 = time.monotonic()
	while time.monotonic() - t0 < 8:
	    for e in socks:
	        if e[2] is not None:
	            continue
	        try:
	            e[0].send(b"X")          # a byte at a time: never idle, never done
	            e[0].settimeout(0.01)
	            if e[0].recv(64) == b"":
	                e[2] = time.monotonic() - e[1]
	        except socket.timeout:
	            pass
	        except OSError:
	            e[2] = time.monotonic() - e[1]
	    time.sleep(0.5)
	cut = [e[2] for e in socks if e[2] is not None]
	print("opened", len(socks), "refused", refused, "cut", len(cut), "max_alive", max(cut) if cut else None)
	EOF
	atk=$! &&
	sleep 1.5 &&
	for i in 1 2 3 4 5; do
		[ "$(curl -s -m 2 "$URL/healthz")" = "{\"status\":\"ok\"}" ] || { echo "healthz not answered"; exit 1; }
		[ "$(api GET /v1/assets "$TECH")" = 200 ] || { echo "authenticated GET not answered"; exit 1; }
		sleep 0.5
	done &&
	wait $atk && cat attack.log &&
	python3 - attack.log <<-"EOF"
	import re, sys
	m = re.search(r"opened (\d+) refused (\d+) cut (\d+) max_alive (\S+)", open(sys.argv[1]).read())
	opened, refused, cut, alive = int(m[1]), int(m[2]), int(m[3]), m[4]
	# the kernel may accept before the daemon refuses: "opened" counts those; all but 16 must be gone
	assert cut >= opened - 16 and cut > 0, (opened, cut)
	# every connection that stayed past the per-address cap was cut at the 2 s deadline, give or take
	assert alive != "None" and float(alive) < 4.5, alive
	EOF
'

test_expect_success 'hundreds of query parameters: cut off at once, not held for the idle timeout' '
	q=$(python3 -c "print(\"&\".join(\"a%d=%d\" % (i, i) for i in range(600)))") &&
	start=$(date +%s%N) && curl -s -m 20 -o /dev/null "$URL/healthz?$q"; end=$(date +%s%N) &&
	[ $(( (end - start) / 1000000 )) -lt 3000 ] &&
	q=$(python3 -c "print(\"&\".join(\"a%d=%d\" % (i, i) for i in range(60)))") &&
	[ "$(curl -s -m 5 "$URL/healthz?$q")" = "{\"status\":\"ok\"}" ]
'

test_expect_success 'a kept-alive connection that sends nothing more is closed at the header deadline' '
	python3 - "$PORT" <<-"EOF"
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	s.settimeout(10)
	got = b""
	while b"\r\n\r\n" not in got:
	    got += s.recv(4096)
	t0 = time.monotonic()
	while True:
	    d = s.recv(4096)
	    if not d:
	        break
	took = time.monotonic() - t0
	assert 1.5 < took < 4.5, took
	EOF
'

test_done
