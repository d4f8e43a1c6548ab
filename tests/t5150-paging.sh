#!/usr/bin/env bash
# Bounded answers for customers (issue 11): GET /v1/assets/{id}/events is
# paged (limit 1..1000, default 100; after = the seq of the previous page's
# last event; next when more follow) and stops early at about 1 MiB; a
# customer's GET /v1/assets is answered from an index of enrolments by
# tenant, not by walking every tenant's assets.  20,000 assets of another
# tenant come from bench/ledger (batched appends).
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
BENCH="$TOP/build/bench/ledger"
[ -x "$BENCH" ] || skip_all "build/bench/ledger is not built (make build/bench/ledger)"

enrol_body() { printf '{"serial":"%s","model":"M","media_type":"hdd","capacity_bytes":1,"tenant":"zeta"}' "$1"; }
note() { api POST "/v1/assets/$1/events" "$ADMIN" "{\"type\":\"note\",\"data\":$2}"; }
# median of 5 request times in microseconds: tm PATH TOKEN
tm() {
	local i
	for i in 1 2 3 4 5; do
		curl -s -m 20 -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $2" "$URL$1"
	done | sort -n | sed -n 3p | awk '{ printf "%d\n", $1 * 1000000 }'
}
# walk PATH TOKEN: every page of an event list; the seqs, one a line, in "seqs"; page sizes in "pages"
walk() {
	local next="" q
	: >seqs && : >pages
	while :; do
		q=$1${next:+&after=$next}
		[ "$(api GET "$q" "$2")" = 200 ] || { echo "GET $q: $(cat body)"; return 1; }
		jq -r ".events[].seq" body >>seqs && echo "$(jq ".events | length" body) $(stat -c %s body)" >>pages
		next=$(jq -r '.next // empty' body)
		[ -n "$next" ] || break
		[ "$next" = "$(tail -n 1 seqs)" ] || { echo "next $next is not the last seq"; return 1; }
	done
}

test_expect_success_here 'setup: 20,000 assets of tenant acme (bench/ledger), the daemon, a zeta customer' '
	"$BENCH" --entries 100000 --durable 1 --dir st >bench.out &&
	[ "$(sqlite3 st/ledger.db "select count(*) from entries where type = '"'"'enrolled'"'"'")" -ge 20000 ] &&
	sz_serve st &&
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"customer\",\"tenant\":\"zeta\"}")" = 201 ] && CUS=$(jget token <body) &&
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"customer\",\"tenant\":\"acme\"}")" = 201 ] && ACME=$(jget token <body) &&
	Z=() && for i in 1 2 3; do
		[ "$(api POST /v1/assets "$ADMIN" "$(enrol_body ZS-$i)")" = 201 ] || exit 1
		Z+=("$(jget id <body)")
	done && say "zeta assets: ${Z[*]}"
'

test_expect_success 'a customer lists only its tenant'"'"'s assets, paged' '
	[ "$(api GET /v1/assets "$CUS")" = 200 ] &&
	[ "$(jq -r "[.assets[].id] | sort | join(\" \")" body)" = "$(printf "%s\n" "${Z[@]}" | sort | tr "\n" " " | sed "s/ \$//")" ] &&
	[ "$(jq -r ".next // empty" body)" = "" ] &&
	[ "$(api GET "/v1/assets?limit=2" "$CUS")" = 200 ] && [ "$(jq ".assets | length" body)" = 2 ] &&
	n=$(jq -r .next body) && [ -n "$n" ] &&
	[ "$(api GET "/v1/assets?limit=2&after=$n" "$CUS")" = 200 ] && [ "$(jq ".assets | length" body)" = 1 ] &&
	[ "$(jq -r ".assets[0].tenant" body)" = zeta ] &&
	[ "$(api GET "/v1/assets?state=deployed" "$CUS")" = 200 ] && [ "$(jq ".assets | length" body)" = 0 ] &&
	[ "$(api GET "/v1/assets?state=received&limit=1000" "$CUS")" = 200 ] && [ "$(jq ".assets | length" body)" = 3 ] &&
	[ "$(api GET "/v1/assets?limit=1000" "$ACME")" = 200 ] && [ "$(jq ".assets | length" body)" = 1000 ] &&
	[ "$(jq -r "[.assets[].tenant] | unique | join(\",\")" body)" = acme ]
'

test_expect_success 'the customer list does not grow with other tenants'"'"' assets (a ratio, not a budget)' '
	c=$(tm /v1/assets "$CUS") && a=$(tm "/v1/assets?limit=3" "$ADMIN") &&
	echo "customer list (3 of 20,003 assets): ${c} us; admin list, first 3: ${a} us (medians of 5)" >"$TRASH/times" &&
	# walking 20,000 other assets took about 1.8 s; both answers read 3 assets now
	[ "$c" -lt $((a * 4 + 20000)) ]
'
say "$(cat "$TRASH/times" 2>/dev/null)"

test_expect_success_here 'setup: 250 small events on one asset, 40 of 60 KiB on another' '
	i=0 && while [ $i -lt 250 ]; do i=$((i + 1)); [ "$(note ${Z[0]} "{\"i\":$i}")" = 201 ] || exit 1; done &&
	big=$(head -c 61000 /dev/zero | tr "\\0" x) &&
	i=0 && while [ $i -lt 40 ]; do i=$((i + 1)); [ "$(note ${Z[1]} "{\"i\":$i,\"pad\":\"$big\"}")" = 201 ] || exit 1; done
'

test_expect_success 'events page by 100 (the default): every event exactly once, in order' '
	walk "/v1/assets/${Z[0]}/events?" "$CUS" &&
	sqlite3 st/ledger.db "select seq from entries where subject = '"'"'asset:${Z[0]}'"'"' order by seq" >want &&
	[ "$(wc -l <want)" = 251 ] && cmp seqs want &&
	[ "$(cut -d" " -f1 pages | tr "\n" " ")" = "100 100 51 " ]
'

test_expect_success 'limit 1000 and limit 7 walk the same events' '
	walk "/v1/assets/${Z[0]}/events?limit=1000" "$CUS" && cmp seqs want && [ "$(wc -l <pages)" = 1 ] &&
	walk "/v1/assets/${Z[0]}/events?limit=7" "$CUS" && cmp seqs want && [ "$(wc -l <pages)" = 36 ]
'

test_expect_success 'big events: a page stops at about 1 MiB and says next' '
	walk "/v1/assets/${Z[1]}/events?limit=1000" "$CUS" &&
	sqlite3 st/ledger.db "select seq from entries where subject = '"'"'asset:${Z[1]}'"'"' order by seq" >want2 &&
	cmp seqs want2 && cat pages && [ "$(wc -l <pages)" -ge 3 ] &&
	while read -r n bytes; do [ "$bytes" -le $((1024 * 1024 + 70000)) ] || exit 1; done <pages
'

test_expect_success 'bad paging arguments are 400; another tenant'"'"'s events are 404' '
	[ "$(api GET "/v1/assets/${Z[0]}/events?limit=0" "$CUS")" = 400 ] &&
	[ "$(api GET "/v1/assets/${Z[0]}/events?limit=1001" "$CUS")" = 400 ] &&
	[ "$(api GET "/v1/assets/${Z[0]}/events?after=x" "$CUS")" = 400 ] &&
	[ "$(api GET "/v1/assets?limit=1001" "$CUS")" = 400 ] &&
	[ "$(api GET "/v1/assets/${Z[0]}/events" "$ACME")" = 404 ] &&
	[ "$(api GET "/v1/assets/${Z[0]}/events?after=999999" "$CUS")" = 200 ] && [ "$(jq ".events | length" body)" = 0 ]
'

test_expect_success 'the customer query is answered from the tenant index (EXPLAIN QUERY PLAN)' '
	sqlite3 st/ledger.db "EXPLAIN QUERY PLAN SELECT substr(e.subject, 7), s.state FROM entries e JOIN subjects s ON s.subject = e.subject WHERE e.type = '"'"'enrolled'"'"' AND json_extract(e.entry, '"'"'\$.data.tenant'"'"') = '"'"'zeta'"'"' AND e.subject > '"'"'asset:'"'"' AND (NULL IS NULL OR s.state = NULL) ORDER BY e.subject LIMIT 100" >plan &&
	cat plan && grep -q "USING INDEX entries_enrolled_tenant" plan && ! grep -q "SCAN e\b" plan
'

test_done
