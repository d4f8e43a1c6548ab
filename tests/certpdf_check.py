#!/usr/bin/env python3
"""Check the printed certificate against the signed payload (issue 10 item 11).

usage: certpdf_check.py PAYLOAD.json CERT.json PAGE.txt VERIFY_URL

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


def ascii_only(t):
    """certpdf.c's ascii(): printable ASCII kept, one '?' per other character."""
    return "".join(c if 0x20 <= ord(c) < 0x7f else "?" for c in t)


def dash(v):
    return ascii_only(v) if v else "-"


def person_rows(p):
    rows = [(k.title(), dash(s(p, k))) for k in ("name", "title", "organization", "location", "phone")]
    rows.append(("Date", s(p, "date") or "not recorded"))
    return rows


def expected(p, cert, url):
    media, san = p.get("media", {}), p.get("sanitization", {})
    ver, tool, lg = san.get("verification", {}), san.get("tool", {}), p.get("ledger", {})
    cov, hid, basis = san.get("coverage", {}), san.get("hidden_sectors"), san.get("category_basis")
    st = cert.get("status", {})
    secs = []
    secs.append(("Person Performing Sanitization", person_rows(p.get("performed_by"))))

    cap = val(media, "capacity_bytes")
    mtype = (s(media, "media_type") or "-") + (", " + cap if cap is not None else "")
    if isinstance(media.get("capacity_bytes"), int) and not isinstance(media.get("capacity_bytes"), bool):
        mtype += " bytes"
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
    ]))

    br = val(ver, "bytes_read")
    vm = (s(ver, "method") or "-") + " read-back" + (", bytes read " + br if br is not None else "")
    times = None
    if s(san, "completed_at"):
        times = "%s / %s" % (s(san, "started_at") or "-", s(san, "completed_at"))
    if val(cov, "bytes") is not None and val(cov, "capacity_bytes") is not None:
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
    ]))

    exc = san.get("exceptions") or []
    rows = []
    if not exc:
        rows.append(("Exceptions", "none recorded"))
    for i, e in enumerate(exc[:40]):
        label = "%d. %s" % (i + 1, (s(e, "kind") or "exception")[:36])
        detail = s(e, "detail") or "-"
        off = e.get("offset")
        if isinstance(off, int) and not isinstance(off, bool) and off >= 0:
            detail += " (at byte %d, %s bytes)" % (off, val(e, "length") or "?")
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

    state = s(st, "state") or "issued"
    status = state + (" " + s(st, "date") if s(st, "date") else "")
    if s(st, "facility"):
        status += ", facility " + s(st, "facility")
    elif s(st, "carrier"):
        status += ", carrier " + s(st, "carrier")
    secs.append(("Media Destination", [
        ("Destination", dash(s(p, "destination"))),
        ("Status", dash(status)),
    ]))

    secs.append(("Certificate", [
        ("Certificate ID", dash(s(cert, "id"))),
        ("Asset ID", dash(s(p, "asset_id"))),
        ("Issued At", dash(s(p, "issued_at"))),
        ("Ledger", "%s, sanitization entry %s" % (s(lg, "origin") or "-", val(lg, "seq") or "-")),
        ("JWS SHA-256", dash(s(cert, "sha256"))),
        ("Verify", url),
    ]))
    return secs


def page_facts(p, text):
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
    for b in page_facts(payload, text):
        print(b)
        bad += 1
    n = sum(len(r) for _, r in secs)
    print("%d of %d rows match" % (n - bad, n))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
