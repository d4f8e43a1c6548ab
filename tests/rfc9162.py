#!/usr/bin/env python3
"""An independent checker for the tests: RFC 9162 proof verification and
C2SP checkpoint parsing, written from the RFC's text, sharing no code with
sanitizerd.  Usage:
  rfc9162.py leaf ENTRY_TEXT_FILE                  -> hex leaf hash
  rfc9162.py inclusion PROOF_JSON LEAF_HEX ROOT_B64 -> exit 0 if valid
  rfc9162.py consistency PROOF_JSON ROOT1_B64 ROOT2_B64
  rfc9162.py checkpoint NOTE_FILE                   -> "origin size root_b64"
  rfc9162.py keyid ORIGIN PUB_B64                   -> 8 hex
"""
import base64, hashlib, json, sys

def h(b): return hashlib.sha256(b).digest()
def node(l, r): return h(b"\x01" + l + r)

def verify_inclusion(index, size, leaf, proof, root):
    # RFC 9162 2.1.3.2
    if index >= size: return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1; sn >>= 1
                    if fn & 1 or fn == 0: break
        else:
            r = node(r, p)
        fn >>= 1; sn >>= 1
    return sn == 0 and r == root

def verify_consistency(first, second, proof, r1, r2):
    # RFC 9162 2.1.4.2
    if first == second: return len(proof) == 0 and r1 == r2
    if first == 0 or first > second or not proof: return False
    if first & (first - 1) == 0: proof = [r1] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1; sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            fr = node(c, fr); sr = node(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1; sn >>= 1
                    if fn & 1 or fn == 0: break
        else:
            sr = node(sr, c)
        fn >>= 1; sn >>= 1
    return fr == r1 and sr == r2 and sn == 0

def main():
    a = sys.argv[1:]
    if a[0] == "leaf":
        print(h(b"\x00" + open(a[1], "rb").read()).hex())
    elif a[0] == "inclusion":
        p = json.load(open(a[1]))
        ok = verify_inclusion(p["seq"], p["tree_size"], bytes.fromhex(a[2]),
                              [base64.b64decode(x) for x in p["hashes"]], base64.b64decode(a[3]))
        sys.exit(0 if ok else 1)
    elif a[0] == "consistency":
        p = json.load(open(a[1]))
        ok = verify_consistency(p["from"], p["to"], [base64.b64decode(x) for x in p["hashes"]],
                                base64.b64decode(a[2]), base64.b64decode(a[3]))
        sys.exit(0 if ok else 1)
    elif a[0] == "checkpoint":
        text = open(a[1], "rb").read().decode()
        body = text.split("\n\n")[0].split("\n")
        print(body[0], body[1], body[2])
    elif a[0] == "keyid":
        print(h(a[1].encode() + b"\n\x01" + base64.b64decode(a[2]))[:4].hex())

main()
