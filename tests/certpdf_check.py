#!/usr/bin/env python3
"""Check the printed certificate against the signed payload (issue 10 item 11).

usage: certpdf_check.py PAYLOAD.json CERT.json PAGE.txt VERIFY_URL

VERIFY_URL is the public verification URL the page must print (and its QR
code encode), or "" when none is configured.

PAYLOAD.json is the JWS payload decoded by the caller (the signed bytes),
CERT.json what `sanitizerd cert show` prints (id, sha256, status), PAGE.txt
`pdftotext -layout` of the PDF.  Every row the PDF prints is derived here,
independently of audit/certpdf.c, from the payload, and must appear under its
section heading with exactly that value (a wrapped value is joined with one
space).  Prints each mismatch; exits 1 if there is any.
"""
import json
import re
import sys


def s(o, k):
    v = (o or {}).get(k)
    return v if isinstance(v, str) else None


def val(o, k):
    """A scalar as the page prints it: strings as they are, integers in decimal, Yes/No."""
    v = (o or {}).get(k)
    if isinstance(v, bool):
        return "Yes" if v else "No"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    return None


# The characters that can reorder or hide text on the page: the bidirectional
# embeddings, overrides and isolates (Unicode UAX #9: U+202A..U+202E,
# U+2066..U+2069), the marks (U+200E, U+200F, U+061C), the line and paragraph
# separators and every C0/C1 control.
BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C, 0x2028, 0x2029}
FALLBACK = False    # set from the page: the built-in font prints ASCII only


def clean(t):
    """certpdf.c's text rule: U+FFFD for every character above, '?' for non-ASCII in the fallback font."""
    out = []
    for c in t:
        o = ord(c)
        if o < 0x20 or 0x7f <= o < 0xa0 or o in BIDI:
            out.append("?" if FALLBACK else "\ufffd")
        elif FALLBACK and o >= 0x80:
            out.append("?")
        else:
            out.append(c)
    return "".join(out)


def needs_replacing(t):
    """certpdf.c's hostile(): also a U+FFFD already in the record, which the page cannot tell from a replacement."""
    return any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 or ord(c) in BIDI or c == "\ufffd" for c in t)


def dash(v):
    return clean(v) if v else "-"


def grouped(n):
    return "{:,}".format(n)


def size(n):
    """certpdf.c's cert_pdf_size: SI units (powers of 1000, as drive capacities are stated), integer rounding."""
    if n < 1000:
        return "%s bytes" % grouped(n)
    units = ["kB", "MB", "GB", "TB", "PB", "EB"]
    k, unit = 0, 1000
    while True:
        def rnd(d):
            q, r = divmod(n, d)
            return q + (1 if 2 * r >= d else 0)
        h = rnd(unit // 100)
        if h < 1000:
            txt = "%d.%02d" % (h // 100, h % 100)
        elif rnd(unit // 10) < 1000:
            t = rnd(unit // 10)
            txt = "%d.%d" % (t // 10, t % 10)
        else:
            w = rnd(unit)
            if w >= 1000 and k + 1 < len(units):
                k, unit = k + 1, unit * 1000
                continue
            txt = "%d" % w
        return "%s %s (%s bytes)" % (txt, units[k], grouped(n))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def person_rows(p):
    rows = [(k.title(), dash(s(p, k))) for k in ("name", "title", "organization", "location", "phone")]
    rows.append(("Date", dash(s(p, "date")) if s(p, "date") else "not recorded"))
    return rows


def issuer_rows(org):
    def nc(k):
        return clean(s(org, k)) if s(org, k) else "not configured"
    return [("Organization", nc("name")), ("Location", nc("address")), ("Phone", nc("phone"))]


def custody_rows(st):
    """The status the ledger shows when the page is printed (cert show's status)."""
    st = st or {}
    rows = [("State", dash("certificate %s, asset %s" % (s(st, "state") or "issued", s(st, "asset_state") or "-")))]
    sh, de = st.get("shipped"), st.get("destroyed")
    if isinstance(sh, dict):
        t = s(sh, "date") or "-"
        for k, name in (("carrier", "carrier"), ("seal", "seal"), ("tracking", "tracking")):
            if s(sh, k):
                t += ", %s %s" % (name, s(sh, k))
        rows.append(("Shipped", dash(t)))
    if isinstance(de, dict):
        t = s(de, "date") or "-"
        for k, name in (("facility", "facility"), ("method", "method"), ("witness", "witness"),
                        ("vendor_certificate", "vendor certificate")):
            if s(de, k):
                t += ", %s %s" % (name, s(de, k))
        if is_int(de.get("particle_size_mm")):
            t += ", particle size %d mm" % de["particle_size_mm"]
        rows.append(("Destroyed", dash(t)))
    cust = st.get("custody") if isinstance(st.get("custody"), list) else []
    for i, c in enumerate(cust[:10]):
        d = c.get("data") if isinstance(c.get("data"), dict) else {}
        t = "%s, from %s to %s" % (s(c, "date") or "-", s(d, "from") or "-", s(d, "to") or "-")
        if s(d, "location"):
            t += ", at " + s(d, "location")
        if s(d, "seal"):
            t += ", seal " + s(d, "seal")
        rows.append(("Transfer %d" % (i + 1), dash(t)))
    if len(cust) > 10:
        rows.append(("...", "and %d more transfers, in the ledger" % (len(cust) - 10)))
    return rows


def known(o, k):
    v = (o or {}).get(k)
    return grouped(v) if is_int(v) else "unknown"


def mb_s(v):
    t = v // 100000 + (1 if 2 * (v % 100000) >= 100000 else 0) if v > 0 else 0
    return "%d.%d MB/s" % (t // 10, t % 10)


def secs(ms):
    if ms % 1000 == 0:
        return "%d s" % (ms // 1000)
    return ("%d.%03d" % (ms // 1000, ms % 1000)).rstrip("0") + " s"


def health_line(h):
    """One reading of drivers/health.c health_to_json, as the payload carries it (issue 13)."""
    if not isinstance(h, dict):
        return "not recorded"
    if h.get("available") is not True:
        return dash("not available: " + (s(h, "note") or "no reason recorded"))
    t = h.get("temperature_c")
    pu = h.get("percentage_used")
    fp = h.get("failure_predicted")
    return dash("%s: power-on hours %s, temperature %s%s, reallocated sectors %s, media errors %s, "
                "percentage used %s%s, failure predicted %s" % (
                    s(h, "source") or "-", known(h, "power_on_hours"), known(h, "temperature_c"),
                    " \u00b0C" if is_int(t) else "", known(h, "reallocated_sectors"), known(h, "media_errors"),
                    known(h, "percentage_used"), "%" if is_int(pu) else "",
                    ("Yes" if fp else "No") if isinstance(fp, bool) else "unknown"))


def health_rows(h):
    if not isinstance(h, dict):
        return [("Health", "not recorded")]
    b, a = health_line(h.get("before")), health_line(h.get("after"))
    if a == b:
        return [("Before / After", b)]
    return [("Before", b), ("After", a)]


def speed_rows(sp):
    """The speed summary, and the chart's scale when the profile has 2 to 60 points (None: no section)."""
    if not isinstance(sp, dict) or not is_int(sp.get("interval_ms")) or sp["interval_ms"] <= 0:
        return None
    pr = sp.get("profile_bytes_per_s") or []
    piv = sp.get("profile_interval_ms")
    chart = 2 <= len(pr) <= 60 and all(is_int(v) and v >= 0 for v in pr) and max(pr) > 0 and is_int(piv) and 0 < piv <= 36000000
    if not is_int(sp.get("write_avg_bytes_per_s")):
        rows = [("Write Speed", "no write samples")]
    elif chart:
        rows = [("Average Write", mb_s(sp["write_avg_bytes_per_s"])),
                ("Minimum / Maximum", "%s / %s" % (mb_s(sp["write_min_bytes_per_s"]), mb_s(sp["write_max_bytes_per_s"])))]
    else:
        rows = [("Write Speed", "average %s, minimum %s, maximum %s" % (
            mb_s(sp["write_avg_bytes_per_s"]), mb_s(sp["write_min_bytes_per_s"]), mb_s(sp["write_max_bytes_per_s"])))]
    rows.append(("Samples", "%d of %s, %d writing" % (sp.get("samples"), secs(sp["interval_ms"]), sp.get("write_samples"))))
    if chart:
        rows.append(("Chart", "0 to %s over %s" % (mb_s(max(pr)), secs(piv * len(pr)))))
    return rows


def station_line(st):
    if not isinstance(st, dict):
        return "not recorded"
    t = s(st, "hostname") or "-"
    if s(st, "sys_vendor") or s(st, "product_name"):
        t += ", " + " ".join(x for x in (s(st, "sys_vendor"), s(st, "product_name")) if x)
    for k, name in (("product_serial", "serial"), ("board_serial", "board serial"),
                    ("chassis_serial", "chassis serial"), ("product_uuid", "uuid")):
        if s(st, k):
            t += ", %s %s" % (name, s(st, k))
    return dash(t)


def removed_from(lh):
    if not isinstance(lh, dict):
        return "no deployment recorded"
    t = "host " + (s(lh, "host") or "-")
    for k, name in (("slot", "slot"), ("site", "site"), ("removed_at", "removed")):
        if s(lh, k):
            t += ", %s %s" % (name, s(lh, k))
    return dash(t)


def expected(p, cert, url):
    media, san = p.get("media", {}), p.get("sanitization", {})
    ver, tool, lg = san.get("verification", {}), san.get("tool", {}), p.get("ledger", {})
    cov, hid, basis = san.get("coverage", {}), san.get("hidden_sectors"), san.get("category_basis")
    st = cert.get("status", {})
    secs = []
    secs.append(("Issuer", issuer_rows(p.get("organization"))))
    secs.append(("Person Performing Sanitization", person_rows(p.get("performed_by"))))

    cap = media.get("capacity_bytes")
    capt = size(cap) if is_int(cap) and cap >= 0 else val(media, "capacity_bytes")
    mtype = (s(media, "media_type") or "-") + (", " + capt if capt is not None else "")
    src = ((s(media, "source") + " / tenant ") if s(media, "source") else "tenant ") + (s(media, "tenant") or "-")
    backed = val(media, "data_backed_up")
    secs.append(("Media Information", [
        ("Make / Vendor", dash(s(media, "make"))),
        ("Model Number", dash(s(media, "model"))),
        ("Serial Number", dash(s(media, "serial"))),
        ("WWN", dash(s(media, "wwn"))),
        ("Media Property Number", dash(s(media, "property_number"))),
        ("Media Type", dash(mtype)),
        ("Source", dash(src)),
        ("Classification", dash(s(media, "classification"))),
        ("Data Backed Up", dash(backed if backed is not None else "Unknown")),
        ("Removed From", removed_from(media.get("last_host"))),
    ]))

    br = ver.get("bytes_read")
    brt = size(br) if is_int(br) and br >= 0 else val(ver, "bytes_read")
    vm = (s(ver, "method") or "-") + " read-back" + (", read " + brt if brt is not None else "")
    times = None
    if s(san, "completed_at"):
        times = "%s / %s" % (s(san, "started_at") or "-", s(san, "completed_at"))
    if is_int(cov.get("bytes")) and is_int(cov.get("capacity_bytes")) and cov["bytes"] >= 0 and cov["capacity_bytes"] >= 0:
        if cov["bytes"] == cov["capacity_bytes"]:
            coverage = "%s, all %s" % (s(cov, "scope") or "-", size(cov["bytes"]))
        else:
            coverage = "%s, %s of %s" % (s(cov, "scope") or "-", size(cov["bytes"]), size(cov["capacity_bytes"]))
    elif val(cov, "bytes") is not None and val(cov, "capacity_bytes") is not None:
        coverage = "%s, %s of %s bytes" % (s(cov, "scope") or "-", val(cov, "bytes"), val(cov, "capacity_bytes"))
    else:
        coverage = s(cov, "scope") or "not recorded"
    if hid and val(hid, "hpa") is not None and val(hid, "dco") is not None:
        hidden = "HPA %s sectors, DCO %s sectors" % (val(hid, "hpa"), val(hid, "dco"))
    else:
        hidden = "not recorded"
    if isinstance((basis or {}).get("confirmed"), bool):
        cb = "confirmed by the cited text" if basis["confirmed"] else \
            "unconfirmed: our reading, not stated by a text we could check"
    else:
        cb = "not recorded"
    secs.append(("Sanitization Details", [
        ("Method Type", dash(s(san, "method_type"))),
        ("Method Used", dash(s(san, "method_used"))),
        ("Method Details", dash(s(san, "method_details"))),
        ("Tool Used (version)", dash(((s(tool, "name") or "-") + " " + (s(tool, "version") or "")).strip())),
        ("Verification Method", dash(vm)),
        ("Verification Result", dash(s(ver, "result"))),
        ("Outcome", dash(s(san, "outcome") or s(ver, "result"))),
        ("Coverage", dash(coverage)),
        ("Hidden Sectors", hidden),
        ("Post Sanitization Class.", dash(s(san, "post_sanitization_classification"))),
        ("Started / Completed", dash(times)),
        ("Standard Reference", dash(s(san, "nist_reference"))),
        ("Category Basis", cb),
        ("Notes", dash(s(san, "notes"))),
        ("Station", station_line(san.get("station"))),
    ] + ([("HPA Restored", dash("%s%s, max LBA %s to %s" % (
        s(san["hpa_restore"], "command") or "-",
        " (permanent)" if san["hpa_restore"].get("permanent") is True else " (volatile)",
        known(san["hpa_restore"], "old_max_lba"), known(san["hpa_restore"], "new_max_lba"))))]
         if isinstance(san.get("hpa_restore"), dict) else [])))
    secs.append(("Health", health_rows(san.get("health"))))
    if speed_rows(san.get("speed")) is not None:
        secs.append(("Speed Profile", speed_rows(san.get("speed"))))

    exc = san.get("exceptions") or []
    rows = []
    if not exc:
        rows.append(("Exceptions", "none recorded"))
    for i, e in enumerate(exc[:40]):
        label = "%d. %s" % (i + 1, (s(e, "kind") or "exception")[:36])
        detail = s(e, "detail") or "-"
        off = e.get("offset")
        if is_int(off) and off >= 0:
            ln = e.get("length")
            detail += " (at byte %s, %s bytes)" % (grouped(off), grouped(ln) if is_int(ln) else (val(e, "length") or "?"))
        rows.append((label, dash(detail)))
    if len(exc) > 40:
        rows.append(("...", "and %d more, listed in the signed certificate" % (len(exc) - 40)))
    secs.append(("Exceptions", rows))

    v = p.get("validation", {})
    if v.get("recorded") is True and isinstance(p.get("validated_by"), dict):
        secs.append(("Validation (NIST SP 800-88 Rev. 2 4.5.2)", person_rows(p["validated_by"])))
    else:
        secs.append(("Validation (NIST SP 800-88 Rev. 2 4.5.2)", [
            ("Validation", "not recorded: no one is named as having validated this sanitization")]))

    secs.append(("Media Destination", [("Destination", dash(s(p, "destination")))]))
    secs.append(("Custody Status (from the ledger when printed, not signed)", custody_rows(st)))

    secs.append(("Certificate", [
        ("Certificate ID", dash(s(cert, "id"))),
        ("Asset ID", dash(s(p, "asset_id"))),
        ("Issued At", dash(s(p, "issued_at"))),
        ("Ledger", "%s, sanitization entry %s" % (s(lg, "origin") or "-", val(lg, "seq") or "-")),
        ("JWS SHA-256", dash(s(cert, "sha256"))),
        ("Verify", url or "no public verification URL configured"),
    ]))
    return secs


def page_facts(p, status, text):
    """What the page says outside the rows: the standard it cites, the signature lines."""
    bad = []
    if "NIST SP 800-88 Rev. 2" not in text.splitlines()[1]:
        bad.append("the second line does not cite NIST SP 800-88 Rev. 2")
    if "Rev. 1, Appendix G" in text:
        bad.append("the page still cites Rev. 1 Appendix G")
    vby = p.get("validated_by") if (p.get("validation") or {}).get("recorded") is True else None
    want = "Validated by: not recorded" if not vby else "Validated by" + (": " + vby["name"] if s(vby, "name") else "")
    if want not in text:
        bad.append("no signature line %r" % want)
    if "|" in text:
        bad.append("a stray | on the page")
    if "SI units" not in text:
        bad.append("the page does not say its sizes are in SI units")
    strings = []

    def walk(o):
        if isinstance(o, str):
            strings.append(o)
        elif isinstance(o, dict):
            for k, x in o.items():
                walk(k)
                walk(x)
        elif isinstance(o, list):
            for x in o:
                walk(x)
    walk(p)
    walk(status)
    said = "could reorder or hide text" in " ".join(text.split())
    if any(needs_replacing(x) for x in strings) != said:
        bad.append("the page %s that characters were replaced" % ("does not say" if not said else "wrongly says"))
    if any(chr(c) in text for c in BIDI):
        bad.append("a bidirectional control is on the page")
    return bad


def parse(text, secs):
    """{heading: {label: value}} from the -layout text; values wrap onto indented lines."""
    headings = {h: set(l for l, _ in rows) for h, rows in secs}
    got, cur, last = {}, None, None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in headings:
            cur, last = stripped, None
            got.setdefault(cur, {})
            continue
        if not stripped:
            last = None
            continue
        if stripped.startswith("Certificate of Sanitization crt_"):
            continue
        if cur is None:
            continue
        if stripped in headings[cur] and stripped not in got[cur]:
            # a label too long for its column is on a line of its own, the value below
            last = stripped
            got[cur][last] = ""
            continue
        m = re.match(r"^ ?(\S.*?)\s{2,}(\S.*)$", line)
        if m and m.group(1) in headings[cur]:
            last = m.group(1)
            if last in got[cur]:
                got[cur][last + " (twice)"] = m.group(2)
            got[cur][last] = m.group(2).strip()
            continue
        if last and re.match(r"^\s{20,}\S", line):
            got[cur][last] += " " + stripped
            continue
        last = None
    return got


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        payload = json.load(f)
    with open(sys.argv[2]) as f:
        cert = json.load(f)
    with open(sys.argv[3]) as f:
        text = f.read()
    if cert.get("payload") != payload:
        print("cert show's payload differs from the signed one")
        return 1
    global FALLBACK
    FALLBACK = "built-in font" in " ".join(text.split())
    secs = expected(payload, cert, sys.argv[4])
    got = parse(text, secs)
    bad = 0
    for h, rows in secs:
        if h not in got:
            print("missing section %r" % h)
            bad += 1
            continue
        for label, want in rows:
            have = got[h].get(label)
            if have is None:
                print("%s: missing row %r (want %r)" % (h, label, want))
                bad += 1
            elif " ".join(have.replace("\u2019", "'").split()) != " ".join(want.split()):
                print("%s: %s is %r, want %r" % (h, label, have, want))
                bad += 1
            elif label + " (twice)" in got[h]:
                print("%s: %s printed twice" % (h, label))
                bad += 1
    for b in page_facts(payload, cert.get("status"), text):
        print(b)
        bad += 1
    n = sum(len(r) for _, r in secs)
    print("%d of %d rows match" % (n - bad, n))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
