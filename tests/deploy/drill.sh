#!/usr/bin/env bash
# The deployment drill (issue 29): docs/DEPLOY.md followed as written on this machine, then
# checked from outside. Debian's nginx with the guide's own server block and a self-signed
# certificate at the guide's paths, two instances of the release binary with the guide's
# settings file and flags on one PostgreSQL database, the guide's backup and restore.
#
# Every deployment command is run through `guide '…'`, and a test
# (tests/api/deploy_guide.rs) checks that each of them is printed in docs/DEPLOY.md. The drill
# fills in only the guide's placeholders (DB-PASSWORD, the mail server, FILE) and says so.
# Two things of the guide are played by small stand-ins, said where they are used:
# `sudo` (the drill runs as root; `sudo -u U CMD` becomes `runuser -u U -- CMD`) and systemd
# (not running in a CI container: a unit is started by reading its User=, EnvironmentFile=,
# WorkingDirectory= and ExecStart= lines, as systemd would; setpriv, so that the process
# started is the service itself and gets the stop signal directly).
#
# Needs root, Debian's packages (installed here) and PostgreSQL on 127.0.0.1:5432. It changes
# the machine (a system user, /etc/academy.env, an nginx site, two databases, /etc/hosts) and
# undoes it at the end. Usage: bash tests/deploy/drill.sh
set -euo pipefail
# The guide builds into the checkout's own target/ folder; a CARGO_TARGET_DIR elsewhere would
# leave its `install target/release/academy` without a binary.
unset CARGO_TARGET_DIR
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUN_IN="$ROOT"
GUIDE="$ROOT/docs/DEPLOY.md"
SITE=academy.example.org
DB_PASSWORD="drill-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
ADMIN_PASSWORD="drill-admin-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
WORK=""
SMTP_PORT=2526
BACKUP=""
n=0
step() { n=$((n + 1)); printf '\n=== drill step %d: %s ===\n' "$n" "$*"; }
pass() { printf '  [PASS] %s\n' "$*"; }
fail() { printf '  [FAIL] %s\n' "$*"; exit 1; }

# The stand-ins, defined for the guide's commands (exported into each `bash -c`).
sudo() {
  if [ "${1:-}" = "-u" ]; then
    local user="$2"; shift 2
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}
systemd-run() {
  # systemd-run --pipe --wait -p User=U -p EnvironmentFile=F CMD…: run CMD as U with F's settings.
  local user=root envfile=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --pipe | --wait) shift ;;
      -p) case "$2" in User=*) user="${2#User=}" ;; EnvironmentFile=*) envfile="${2#EnvironmentFile=}" ;; esac; shift 2 ;;
      *) break ;;
    esac
  done
  (set -a; [ -z "$envfile" ] || . "$envfile"; set +a; exec runuser -u "$user" -- "$@")
}
export -f sudo systemd-run

# Runs one command printed in the guide (placeholders filled in by `fill`), echoing it.
guide() {
  local cmd; cmd="$(fill "$1")"
  printf '  $ %s\n' "$1"
  [ "$cmd" = "$1" ] || printf '    (placeholders filled in: %s)\n' "$(fill_note "$1")"
  if (cd "$RUN_IN" && bash -c "$cmd"); then pass "exit 0"; else fail "the guide's command failed: $1"; fi
}
fill() {
  local s="$1"
  s="${s//DB-PASSWORD/$DB_PASSWORD}"
  s="${s//FILE/$BACKUP}"
  printf '%s' "$s"
}
fill_note() {
  local notes=()
  case "$1" in *DB-PASSWORD*) notes+=("DB-PASSWORD = the drill's password") ;; esac
  case "$1" in *FILE*) notes+=("FILE = $BACKUP") ;; esac
  local IFS=';'; printf '%s' "${notes[*]}"
}
# The text of the Nth fenced block of a language in the guide.
block() {
  awk -v lang="$1" -v want="$2" '
    /^```/ { if (inside) { inside = 0; next } if ($0 == "```" lang) { count++; if (count == want) { inside = 1; next } } }
    inside { print }' "$GUIDE"
}

# The settings file of section 3: the sh block that starts with ACADEMY_ENV=.
settings_block() {
  local i=1
  while true; do
    local text; text="$(block sh "$i")"
    [ -n "$text" ] || fail "no settings block in the guide"
    case "$text" in ACADEMY_ENV=*) printf '%s\n' "$text"; return ;; esac
    i=$((i + 1))
  done
}

PIDS=()
# Undoes what the drill did (in a subshell: its `set +e` must not reach the drill).
cleanup() (
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -f /run/nginx.pid ] && nginx -s stop 2>/dev/null
  [ -n "${SMTP_PID:-}" ] && kill "$SMTP_PID" 2>/dev/null
  sleep 1
  rm -f /etc/nginx/conf.d/academy.conf /etc/academy.env \
    /etc/systemd/system/academy.service /etc/systemd/system/academy@.service
  rm -rf /etc/letsencrypt/live/$SITE /var/lib/academy /backup/academy-drill-*
  if [ -f /usr/local/share/ca-certificates/academy-drill.crt ]; then
    rm -f /usr/local/share/ca-certificates/academy-drill.crt
    update-ca-certificates --fresh >/dev/null 2>&1
  fi
  sed -i "/ $SITE\$/d" /etc/hosts
  runuser -u postgres -- psql -q -c 'DROP DATABASE IF EXISTS academy_new' -c 'DROP DATABASE IF EXISTS academy' \
    -c 'DROP ROLE IF EXISTS academy' >/dev/null 2>&1
  id academy >/dev/null 2>&1 && userdel academy
  [ -z "$WORK" ] || rm -rf "$WORK"
)
[ "$(id -u)" = 0 ] || { echo "the drill needs root (it installs nginx and a system user)"; exit 2; }
cleanup
WORK="$(mktemp -d /tmp/academy-drill.XXXXXX)"
trap cleanup EXIT

step "Debian packages the guide names (section 1) and nginx (section 5)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential nginx openssl >/dev/null
guide 'apt-get install build-essential'
pass "nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(openssl version | cut -d' ' -f1-2)"

step "Section 1: build and install"
cd "$ROOT"
guide 'cargo build --release'
guide 'sudo useradd --system --home-dir /var/lib/academy --shell /usr/sbin/nologin academy'
guide 'install -m 0755 target/release/academy /usr/local/bin/academy'
guide 'install -d -o academy -g academy /var/lib/academy'
guide 'cp -r course_content /var/lib/academy/course_content'

step "Section 2: PostgreSQL (the password typed twice at the prompt)"
printf '%s\n%s\n' "$DB_PASSWORD" "$DB_PASSWORD" >"$WORK/pw"
guide 'sudo -u postgres createuser --pwprompt academy     # stock pg_hba asks for a password on 127.0.0.1' <"$WORK/pw"
guide 'sudo -u postgres createdb -O academy academy'

step "Section 3: the settings file, as printed (mail goes to a local SMTP sink)"
settings_block >"$WORK/env"
grep -q '^ACADEMY_DATABASE_URL=postgres://academy:DB-PASSWORD@127.0.0.1/academy$' "$WORK/env" \
  || fail "section 3 is not the block the drill expects"
sed -e "s/DB-PASSWORD/$DB_PASSWORD/" \
  -e "s#^ACADEMY_SMTP_URL=.*#ACADEMY_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT#" "$WORK/env" >/etc/academy.env
chmod 0600 /etc/academy.env
pass "/etc/academy.env written, mode $(stat -c %a /etc/academy.env); SMTP → smtp://127.0.0.1:$SMTP_PORT (a sink)"
python3 - "$SMTP_PORT" "$WORK/mail" <<'PY' &
import socketserver, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(socketserver.StreamRequestHandler):
    def handle(self):
        w = lambda s: self.wfile.write(s.encode() + b"\r\n")
        w("220 drill sink")
        data = False
        while line := self.rfile.readline():
            if data:
                if line in (b".\r\n", b".\n"):
                    data = False; w("250 queued"); open(out, "a").write("one mail\n")
                continue
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"): w("250 drill")
            elif cmd == b"DATA": data = True; w("354 go on")
            elif cmd == b"QUIT": w("221 bye"); return
            else: w("250 ok")
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("127.0.0.1", port), H).serve_forever()
PY
SMTP_PID=$!

step "Section 4: the systemd units (systemd is not PID 1 here: the drill reads the unit and starts what it says)"
block ini 1 >/etc/systemd/system/academy.service
sed 's#^ExecStart=/usr/local/bin/academy serve$#ExecStart=/usr/local/bin/academy serve --bind 127.0.0.1:%i#' \
  /etc/systemd/system/academy.service >/etc/systemd/system/academy@.service
grep -q -- '--bind 127.0.0.1:%i' /etc/systemd/system/academy@.service || fail "academy@.service has no --bind"
# Starts a unit as systemd would: its user, its environment file, its folder, its command.
start_unit() {
  local unit="$1" instance="${2:-}" key
  local -A d=()
  while IFS='=' read -r key value; do d[$key]="$value"; done < <(grep -E '^(User|EnvironmentFile|WorkingDirectory|ExecStart)=' "$unit")
  local exec="${d[ExecStart]//%i/$instance}"
  printf '  (start %s%s: User=%s EnvironmentFile=%s WorkingDirectory=%s ExecStart=%s)\n' \
    "$(basename "$unit")" "${instance:+ instance $instance}" "${d[User]}" "${d[EnvironmentFile]}" "${d[WorkingDirectory]}" "$exec"
  (cd "${d[WorkingDirectory]}" && set -a && . "${d[EnvironmentFile]}" && set +a &&
    exec setpriv --reuid="${d[User]}" --regid="${d[User]}" --init-groups $exec) >>"$WORK/service-${instance:-main}.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
wait_up() {
  for _ in $(seq 1 120); do
    curl -fsS "http://$1/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { tail -5 "$WORK"/service-*.log; fail "the instance at $1 stopped"; }
    sleep 0.5
  done
  fail "no answer from $1 in 60 s"
}
start_unit /etc/systemd/system/academy.service
FIRST_PID=$LAST_PID
wait_up 127.0.0.1:8080 "$FIRST_PID"
pass "academy.service answers on 127.0.0.1:8080 (it migrated the database and made the signing key)"
start_unit /etc/systemd/system/academy@.service 8081
SECOND_PID=$LAST_PID
wait_up 127.0.0.1:8081 "$SECOND_PID"
pass "academy@8081 answers on 127.0.0.1:8081 beside it (the --bind flag, not the settings file's port)"
ps -o user= -p "$(pgrep -f 'academy serve --bind 127.0.0.1:8081' | head -1)" | grep -q academy \
  && pass "the instances run as the academy user" || fail "not running as academy"

step "Section 5: nginx with TLS (self-signed certificate at the guide's paths; $SITE → 127.0.0.1)"
mkdir -p /etc/letsencrypt/live/$SITE
# A drill CA and the site's certificate signed by it, as a public CA's chain (a self-signed
# certificate used as its own trust anchor is refused by rustls).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Academy drill CA" \
  -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$SITE" \
  -keyout /etc/letsencrypt/live/$SITE/privkey.pem -out "$WORK/site.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n' "$SITE" >"$WORK/site.ext"
openssl x509 -req -in "$WORK/site.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
  -days 2 -extfile "$WORK/site.ext" -out /etc/letsencrypt/live/$SITE/fullchain.pem 2>/dev/null
echo "127.0.0.1 $SITE" >>/etc/hosts
# The drill CA is trusted as a public CA would be: by the system's store (curl, the verifier).
cp "$WORK/ca.pem" /usr/local/share/ca-certificates/academy-drill.crt
update-ca-certificates >/dev/null 2>&1
block nginx 1 >/etc/nginx/conf.d/academy.conf
nginx -t 2>&1 | sed 's/^/  /'
if [ -f /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then nginx -s reload; else nginx; fi
pass "nginx serves the guide's server block"

step "Section 6: the first administrator"
printf '%s\n' "$ADMIN_PASSWORD" >"$WORK/admin-pw"
guide 'sudo systemd-run --pipe --wait -p User=academy -p EnvironmentFile=/etc/academy.env \
    /usr/local/bin/academy admin create \
    --email admin@example.org --name "นางสาว ผู้ดูแล ระบบ" --password-stdin' <"$WORK/admin-pw"

step "Checks through https:// at nginx"
python3 "$ROOT/tests/deploy/checks.py" "$SITE" "$WORK/ca.pem" \
  admin@example.org "$ADMIN_PASSWORD" "$ROOT/course_content/quizzes/q01.toml" "$WORK" "$FIRST_PID"
wait "$FIRST_PID" 2>/dev/null && pass "instance 8080 stopped cleanly on SIGTERM (exit 0)" \
  || fail "instance 8080 ended with status $? on SIGTERM"
for _ in $(seq 1 50); do [ -s "$WORK/mail" ] && break; sleep 0.2; done
[ -s "$WORK/mail" ] && pass "the credential's e-mail reached the SMTP server ($(wc -l <"$WORK/mail") mail)" \
  || fail "no mail reached the SMTP server"

step "Section 10: checking the install from outside, online and offline"
RUN_IN="$WORK"
guide 'curl -fsS https://academy.example.org/healthz'
guide 'academy credential verify --jwks https://academy.example.org/.well-known/jwks.json credential.jwt'
guide 'curl -fsS https://academy.example.org/.well-known/jwks.json -o jwks.json'
guide 'academy credential verify --jwks jwks.json credential.jwt'
python3 - "$WORK" <<'PY'
import base64, sys
d = sys.argv[1]
head, body, sig = open(f"{d}/credential.jwt").read().strip().split(".")
p = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
p[len(p) // 2] ^= 1
open(f"{d}/changed.jwt", "w").write(".".join([head, base64.urlsafe_b64encode(bytes(p)).decode().rstrip("="), sig]))
PY
if academy credential verify --jwks "$WORK/jwks.json" "$WORK/changed.jwt" >"$WORK/changed.out" 2>&1; then
  fail "a credential with one changed byte verified"
else
  pass "the same with one changed byte: refused ($(tail -1 "$WORK/changed.out"))"
fi
RUN_IN="$ROOT"

step "Section 7: backup, then restore into a new database"
BACKUP="/backup/academy-drill-$(date +%F).dump"
guide 'mkdir -p /backup'
guide 'sudo -u postgres pg_dump -Fc academy > /backup/academy-$(date +%F).dump'
mv "/backup/academy-$(date +%F).dump" "$BACKUP"
guide 'sudo -u postgres createdb -O academy academy_new && sudo -u postgres pg_restore -d academy_new < FILE'
for t in credentials attempts users audit_log; do
  a=$(runuser -u postgres -- psql -Atq -d academy -c "SELECT COUNT(*) FROM $t")
  b=$(runuser -u postgres -- psql -Atq -d academy_new -c "SELECT COUNT(*) FROM $t")
  [ "$a" = "$b" ] && pass "$t: $a rows in both" || fail "$t: $a rows, $b restored"
done
# An instance on the restored database verifies the credential issued before the backup.
(set -a; . /etc/academy.env; set +a
  export ACADEMY_DATABASE_URL="postgres://academy:$DB_PASSWORD@127.0.0.1/academy_new"
  cd /var/lib/academy && exec setpriv --reuid=academy --regid=academy --init-groups /usr/local/bin/academy serve --bind 127.0.0.1:8082) \
  >>"$WORK/service-restored.log" 2>&1 &
RESTORED_PID=$!
PIDS+=("$RESTORED_PID")
wait_up 127.0.0.1:8082 "$RESTORED_PID"
status=$(curl -fsS "http://127.0.0.1:8082/api/v1/verify/$(cat "$WORK/credential.id")" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["valid"], d["status"])')
[ "$status" = "True active" ] && pass "on the restored database the credential verifies: $status" \
  || fail "restored database: $status"

step "Section 8: upgrades (academy migrate on the live database)"
guide 'sudo systemd-run --pipe --wait -p User=academy -p EnvironmentFile=/etc/academy.env \
    /usr/local/bin/academy migrate'

printf '\n=== the deployment drill passed: %d steps ===\n' "$n"
