#!/usr/bin/env bash
# Patch audits over the API and from audit-host --server, and a drive's
# exposure: which checks were vulnerable on its hosts, from when to when.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"

tok() { api POST /v1/tokens "$ADMIN" "$1" >/dev/null && jget token <body; }
audit() { api POST /v1/hosts/$1/patch-audits "$TECH" "{\"scanner\":\"test\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"$2\"}]}"; }

test_expect_success_here 'setup: daemon, tokens, a drive deployed on web1.dc' '
	sz_serve st &&
	TECH=$(tok "{\"role\":\"technician\"}") && AUD=$(tok "{\"role\":\"auditor\"}") &&
	CUS=$(tok "{\"role\":\"customer\",\"tenant\":\"acme\"}") && OTHER=$(tok "{\"role\":\"customer\",\"tenant\":\"globex\"}") &&
	api POST /v1/assets "$TECH" "{\"serial\":\"E1\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}" >/dev/null &&
	A=$(jget id <body) &&
	[ "$(api POST /v1/assets/$A/events "$TECH" "{\"type\":\"deployed\",\"data\":{\"host\":\"web1.dc\"}}")" = 201 ]
'

test_expect_success 'a patch audit is one host_audit entry linking the drives deployed there' '
	[ "$(audit web1.dc vulnerable)" = 201 ] &&
	jq -e ".type == \"host_audit\" and .subject == \"host:web1.dc\" and (.data.assets | index(\"$A\")) != null" body >/dev/null
'

test_expect_success 'bad audits are 400 and write nothing' '
	n=$("$SZ" ledger show --ledger st/ledger.db | wc -l) &&
	[ "$(api POST /v1/hosts/web1.dc/patch-audits "$TECH" "{\"scanner\":\"t\",\"checks\":[]}")" = 400 ] &&
	[ "$(api POST /v1/hosts/web1.dc/patch-audits "$TECH" "{\"scanner\":\"t\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"fine\"}]}")" = 400 ] &&
	[ "$(api POST /v1/hosts/web1.dc/patch-audits "$TECH" "{\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"patched\"}]}")" = 400 ] &&
	[ "$(api POST "/v1/hosts/bad_host!/patch-audits" "$TECH" "{}")" = 400 ] &&
	[ "$(api POST /v1/hosts/web1.dc/patch-audits "$AUD" "{}")" = 403 ] &&
	[ "$n" = "$("$SZ" ledger show --ledger st/ledger.db | wc -l)" ]
'

test_expect_success 'audit-host --server posts the probe'"'"'s result to the daemon' '
	printf "%s\n" "$TECH" >tech.token && chmod 600 tech.token &&
	"$SZ" audit-host --host web1.dc --server "$URL" --token-file tech.token >out 2>&1 &&
	"$SZ" ledger show --ledger st/ledger.db | tail -n 1 | jq -r .entry >last &&
	jq -e ".type == \"host_audit\" and .subject == \"host:web1.dc\" and ([.data.checks[].status] | all(. == \"patched\"))" last >/dev/null &&
	chmod 644 tech.token &&
	test_expect_code 1 "$SZ" audit-host --host web1.dc --server "$URL" --token-file tech.token 2>err &&
	grep -q "^sanitizerd: cannot use tech.token: mode 0644 lets group or others read it" err
'

test_expect_success 'exposure: vulnerable from the first audit until the one that showed it patched' '
	[ "$(api GET /v1/assets/$A/exposure "$AUD")" = 200 ] && cp body exp.json &&
	jq -e ".asset_id == \"$A\" and .exposed == true" exp.json >/dev/null &&
	jq -e "[.intervals[0].checks[] | select(.id == \"CVE-2014-6271\") | .vulnerable[0].patched_by] | length == 1" exp.json >/dev/null
'

test_expect_success 'exposure is scoped to the tenant' '
	[ "$(api GET /v1/assets/$A/exposure "$CUS")" = 200 ] &&
	[ "$(api GET /v1/assets/$A/exposure "$OTHER")" = 404 ] &&
	[ "$(api GET /v1/assets/$A/exposure "$TECH")" = 403 ] &&
	[ "$(api GET /v1/assets/nosuch/exposure "$AUD")" = 404 ]
'

test_done
