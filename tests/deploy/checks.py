#!/usr/bin/env python3
"""The deployment drill's checks through nginx (issue 29), Python's standard library only.

Run by tests/deploy/drill.sh once docs/DEPLOY.md has been followed: two instances of the
release binary on one PostgreSQL database behind nginx with TLS. Each check prints one line
with its result; the first failure ends the run with exit status 1.

    checks.py SITE CA_FILE ADMIN_EMAIL ADMIN_PASSWORD QUIZ_FILE OUT_DIR PID_OF_FIRST_INSTANCE

SITE is the public host name (resolved to 127.0.0.1 by /etc/hosts), CA_FILE the drill CA that
signed nginx's certificate, QUIZ_FILE the shipped q01.toml (the answers come from it, not from
the service), OUT_DIR where the issued credential and its id are written for the drill's
offline verification and restore steps.
"""

import http.client
import json
import os
import re
import signal
import ssl
import sys
import threading
import time
import tomllib
import urllib.parse

SITE, CA_FILE, ADMIN_EMAIL, ADMIN_PASSWORD, QUIZ_FILE, OUT_DIR, FIRST_PID = sys.argv[1:8]
FIRST = ("127.0.0.1", 8080)
SECOND = ("127.0.0.1", 8081)
TLS = ssl.create_default_context(cafile=CA_FILE)


def result(ok, what, detail=""):
    print(f"  [{'PASS' if ok else 'FAIL'}] {what}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        sys.exit(1)


def request(method, path, *, token=None, body=None, form=None, headers=None, via="nginx",
            source=None):
    """One request; `via` is "nginx" (https://SITE), "first" or "second" (an instance's own
    port, plain HTTP). Returns (status, headers as a list, body bytes)."""
    if via == "nginx":
        conn = http.client.HTTPSConnection(SITE, 443, context=TLS, timeout=30,
                                           source_address=(source, 0) if source else None)
    else:
        host, port = FIRST if via == "first" else SECOND
        conn = http.client.HTTPConnection(host, port, timeout=30)
    h = dict(headers or {})
    data = None
    if token:
        h["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=data, headers=h)
        res = conn.getresponse()
        return res.status, res.getheaders(), res.read()
    finally:
        conn.close()


def api(method, path, status, **kw):
    got, _, raw = request(method, path, **kw)
    if got != status:
        result(False, f"{method} {path} via {kw.get('via', 'nginx')}",
               f"HTTP {got}, expected {status}: {raw[:300]!r}")
    return json.loads(raw) if raw else None


def main():
    print("checks through https://%s/ (nginx) and the two instances" % SITE, flush=True)

    # TLS with the certificate the guide's server block names, and the redirect from port 80.
    status, _, _ = request("GET", "/healthz")
    result(status == 200, "GET https://%s/healthz over TLS (certificate checked)" % SITE,
           f"HTTP {status}")
    conn = http.client.HTTPConnection(SITE, 80, timeout=10)
    conn.request("GET", "/login")
    res = conn.getresponse()
    location = res.getheader("Location") or ""
    result(res.status == 301 and location == f"https://{SITE}/login",
           "http:// is redirected to https://", f"{res.status} → {location}")
    conn.close()

    # Sign-in in the browser's way: the form, its CSRF token, the session cookie.
    status, headers, page = request("GET", "/login")
    cookies = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie"]
    token = re.search(rb'name="csrf" value="([0-9a-f]{64})"', page)
    result(status == 200 and token is not None, "the sign-in page carries a CSRF token")
    status, headers, _ = request(
        "POST", "/login",
        form={"csrf": token.group(1).decode(), "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"Cookie": "; ".join(cookies), "Origin": f"https://{SITE}"})
    session = [v for k, v in headers if k.lower() == "set-cookie"
               and v.startswith("__Host-academy_session=")]
    result(status == 303 and len(session) == 1,
           "sign-in through nginx sets the __Host- session cookie", f"HTTP {status}")
    attrs = [a.strip().lower() for a in session[0].split(";")[1:]]
    result("secure" in attrs and "httponly" in attrs and "path=/" in attrs,
           "the session cookie is Secure, HttpOnly and for path /", "; ".join(attrs))
    # The same form posted from another site is refused, through the proxy as well.
    status, _, _ = request(
        "POST", "/login",
        form={"csrf": token.group(1).decode(), "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"Cookie": "; ".join(cookies), "Origin": "https://evil.example.net"})
    result(status == 403, "a sign-in posted from another site is refused", f"HTTP {status}")

    # A cohort, a trainee, module 1 and its quiz.
    admin = api("POST", "/api/v1/auth/login", 200,
                body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]
    cohort = api("POST", "/api/v1/cohorts", 201, token=admin, body={
        "program": "tis-s-assessor", "generation": 1, "fiscal_year": 2570,
        "name_th": "รุ่นที่ 1 (ซ้อมติดตั้ง)", "name_en": "Generation 1 (deployment drill)",
        "starts_on": time.strftime("%Y-%m-%d"), "ends_on": time.strftime("%Y-%m-%d"),
        "capacity": 30})
    trainee_email = f"drill.trainee.{int(time.time())}@example.org"
    trainee_id = api("POST", "/api/v1/users", 201, token=admin, body={
        "email": trainee_email, "name": "นาย ทดสอบ ติดตั้ง", "role": "trainee",
        "office_code": "TH-50", "password": "drill-password-2570"})["id"]
    trainee = api("POST", "/api/v1/auth/login", 200,
                  body={"email": trainee_email, "password": "drill-password-2570"})["token"]
    api("POST", "/api/v1/cohorts/join", 201, token=trainee,
        body={"join_code": cohort["join_code"]})
    cid = cohort["id"]
    api("POST", f"/api/v1/cohorts/{cid}/modules/01-what-is-tis-s/publish", 200, token=admin,
        body={})
    api("POST", f"/api/v1/cohorts/{cid}/quizzes/q01/publish", 200, token=admin, body={})
    api("POST", f"/api/v1/cohorts/{cid}/modules/01-what-is-tis-s/complete", 204, token=trainee,
        body={})
    result(True, "cohort, trainee, module 1 and quiz 1 set up through nginx")

    # A quiz started on the first instance, answered and submitted through the second.
    started = api("POST", f"/api/v1/cohorts/{cid}/quizzes/q01/attempts", 201, token=trainee,
                  body={}, via="first")
    with open(QUIZ_FILE, "rb") as f:
        key = {q["id"]: q for q in tomllib.load(f)["questions"]}
    for shown in started["questions"]:
        q = key[shown["id"]]
        api("PUT", f"/api/v1/attempts/{started['attempt_id']}/answers/{shown['id']}", 200,
            token=trainee, body={"answer": answer(q, shown)}, via="second")
    graded = api("POST", f"/api/v1/attempts/{started['attempt_id']}/submit", 200, token=trainee,
                 body={}, via="second")
    result(graded["passed"] is True and graded["percent"] == 100,
           "a quiz started on instance 8080 is answered and submitted on instance 8081",
           f"{graded['percent']} %")

    # A credential issued through the proxy names the https:// issuer and verifies online.
    cred = api("POST", "/api/v1/credentials", 201, token=admin, body={
        "cohort_id": cid, "user_id": trainee_id, "scope": "product",
        "override_reason": "ซ้อมติดตั้งระบบ (deployment drill)"})
    jwt = cred["credential_jwt"]
    payload = json.loads(b64url(jwt.split(".")[1]))
    issuer = payload.get("iss") or payload.get("vc", {}).get("issuer", {})
    issuer = issuer if isinstance(issuer, str) else issuer.get("id", "")
    result(issuer.startswith(f"https://{SITE}/"), "the credential names its https:// issuer",
           issuer)
    checked = api("GET", f"/api/v1/verify/{cred['id']}", 200)
    result(checked["valid"] is True and checked["status"] == "active",
           "it verifies online through nginx", checked["status"])
    checked = api("POST", "/api/v1/verify", 200, body={"credential_jwt": jwt})
    result(checked["valid"] is True, "the signed document verifies online")
    status, _, page = request("GET", f"/verify/{cred['id']}")
    result(status == 200 and cred["number"].encode() in page,
           "its public verification page shows the number", cred["number"])
    with open(os.path.join(OUT_DIR, "credential.jwt"), "w") as f:
        f.write(jwt)
    with open(os.path.join(OUT_DIR, "credential.id"), "w") as f:
        f.write(cred["id"])

    # Per-client limits see the real client behind nginx: one client (127.0.0.5) verifying
    # 260 times in a minute is limited, whatever X-Forwarded-For it sends; another (127.0.0.6)
    # is not. Each instance counts its own share (120 a minute each; nginx alternates them).
    codes = []
    for i in range(260):
        status, _, _ = request("GET", f"/api/v1/verify/{cred['id']}", source="127.0.0.5",
                               headers={"X-Forwarded-For": f"198.51.100.{i % 250}"})
        codes.append(status)
    limited = codes.count(429)
    result(codes.count(200) >= 200 and limited >= 10 and set(codes) <= {200, 429},
           "one client (127.0.0.5, forging X-Forwarded-For) is limited after its share",
           f"{codes.count(200)} answered, {limited} refused with 429")
    status, _, _ = request("GET", f"/api/v1/verify/{cred['id']}", source="127.0.0.6")
    result(status == 200, "another client (127.0.0.6) at the same time is not", f"HTTP {status}")

    # Stopping one instance loses no request nginx can retry: 300 reads in four threads while
    # the first instance is stopped (SIGTERM, as systemctl stop sends) part-way through.
    failures, done = [], []
    lock = threading.Lock()

    def reader(n):
        for i in range(n):
            path = ["/healthz", f"/api/v1/cohorts/{cid}", f"/api/v1/verify/{cred['id']}",
                    "/register"][i % 4]
            try:
                status, _, _ = request("GET", path, token=admin if "cohorts" in path else None,
                                       source=f"127.0.1.{i % 200 + 1}")
            except OSError as e:
                status = repr(e)
            with lock:
                done.append(status)
                if status != 200:
                    failures.append((path, status))

    threads = [threading.Thread(target=reader, args=(75,)) for _ in range(4)]
    for t in threads:
        t.start()
    while len(done) < 60:
        time.sleep(0.01)
    os.kill(int(FIRST_PID), signal.SIGTERM)
    for t in threads:
        t.join()
    result(len(done) == 300 and not failures,
           "instance 8080 stopped mid-load: every one of 300 reads answered 200",
           f"{len(done) - len(failures)} of {len(done)} ok, failures: {failures[:5]}")
    # The survivor alone still takes a write.
    api("POST", f"/api/v1/credentials/{cred['id']}/suspend", 200, token=admin,
        body={"reason": "ตรวจสอบการซ้อม"})
    api("POST", f"/api/v1/credentials/{cred['id']}/reinstate", 200, token=admin,
        body={"reason": "ตรวจสอบแล้ว"})
    result(True, "with one instance left, a suspension and reinstatement go through nginx")


def answer(q, shown):
    """The right answer to a shown question, from the quiz file (ids shown are random)."""
    def by_text(listname, text):
        return next(o["id"] for o in shown[listname] if o["text"] == text)

    right = [o["text_th"] for o in q.get("options", []) if o.get("correct")]
    kind = q["kind"]
    if kind == "single":
        return by_text("options", right[0])
    if kind == "multiple":
        return [by_text("options", t) for t in right]
    if kind == "true_false":
        return q["answer"]
    if kind == "short_text":
        return q["accepted"][0]
    if kind == "numeric":
        return q["answer"]
    if kind == "matching":
        return {by_text("items", p["left_th"]): by_text("options", p["right_th"])
                for p in q["pairs"]}
    raise SystemExit(f"no answer for kind {kind}")


def b64url(s):
    import base64
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


if __name__ == "__main__":
    main()
