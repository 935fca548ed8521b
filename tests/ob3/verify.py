"""Verify an Assessor Academy credential with the independent openbadgeslib OB3Verifier.

Usage: python verify.py JWKS_URL  (the credential JWT on standard input)
Prints one JSON line: {"ok": true} or {"ok": false, "error": "..."}.
Only our public JWKS is used; status lists are fetched over plain HTTP from the test server.
"""
import base64
import json
import sys
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
from openbadgeslib import OB3Verifier


def b64int(s):
    return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "big")


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


def main():
    jwks_url = sys.argv[1]
    token = sys.stdin.read().strip()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    keys = json.loads(fetch(jwks_url))["keys"]
    jwk = next(k for k in keys if k["kid"] == header["kid"])
    pem = RSAPublicNumbers(b64int(jwk["e"]), b64int(jwk["n"])).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        OB3Verifier(pem).verify(token, check_status=True, verify_status_list=True, download=fetch)
        print(json.dumps({"ok": True}))
    except Exception as exc:  # the verifier's verdict, reported to the Rust test
        print(json.dumps({"ok": False, "error": str(exc)}))


main()
