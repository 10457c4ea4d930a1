#!/usr/bin/env bash
# np700 end to end, in a real switch: Kamailio loads the np700 module (kamailio/np700), its SIP
# workers attach read-only to the shared index the provisioning writer (examples/provision.rs)
# publishes, and sipp places the calls.
#
# - Functional cases: the Contact and displayed numbers of AXB both ways, AXN, AXYB, GXB (the
#   group in ringing order), 15-digit and +86-prefixed usage numbers; the SIP status of every
#   refusal (unbound caller, cross-tenant caller, expired, quarantined, blocked, suspended,
#   wrong media, not ours, unassigned, malformed, collect digits, SMS rules); updates, a block
#   and an unbind made by the writer while Kamailio runs, each taking effect for the next call.
# - Load: NP700_E2E_RATE calls/s (default 2,500) for NP700_E2E_SECS seconds (default 10), every
#   Contact and displayed number asserted; passes when no call failed and >= 2,000 calls/s were
#   held. Kamailio's CPU per call is measured, then again with the same cfg answering a fixed
#   Contact (-A FIXED_CONTACT): the difference is what np700 adds per call. NP700_E2E_BENCH=1
#   adds a load run with Kamailio's benchmark module timing the np700 call alone.
#
# Usage: bash tests/e2e/run.sh (as root on Debian 12: installs kamailio, sip-tester, dpkg-dev
# and the Kamailio source of the installed version if missing; needs a Rust toolchain and
# cargo-c). Prints "N passed, N failed"; exits non-zero on any failure. Everything it starts is
# stopped by pid on exit, failure included.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
E2E="$ROOT/tests/e2e"
PORT="${NP700_E2E_PORT:-5072}"
RATE="${NP700_E2E_RATE:-2500}"
SECS="${NP700_E2E_SECS:-10}"
MIN_RATE=2000
WORK="$(mktemp -d /tmp/np700-e2e.XXXXXX)"
SHM="/dev/shm/np700-e2e-$$"
CACHE="$ROOT/target/e2e"

passed=0
failed=0
kamailio_pid=""
writer_pid=""

say() { printf '%s\n' "$*"; }

stop_pid() { # pid: SIGTERM, then SIGKILL after 5 s
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_kamailio() {
  local children
  [ -n "$kamailio_pid" ] || return 0
  children="$(pgrep -P "$kamailio_pid" || true)"
  stop_pid "$kamailio_pid"
  # The workers follow their main process; make sure none is left behind.
  for p in $children; do stop_pid "$p"; done
  wait "$kamailio_pid" 2>/dev/null || true
  kamailio_pid=""
}

cleanup() {
  local rc=$?
  stop_kamailio
  if [ -n "$writer_pid" ]; then stop_pid "$writer_pid"; fi
  rm -f "$SHM" "$SHM".*
  if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
    say "--- logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # so that cleanup runs on a signal too

# ---------------------------------------------------------------------------------------------
say "=== e2e: tools"
need=()
command -v kamailio >/dev/null || need+=(kamailio)
command -v sipp >/dev/null || need+=(sip-tester)
command -v dpkg-source >/dev/null || need+=(dpkg-dev)
command -v ss >/dev/null || need+=(iproute2)
command -v pgrep >/dev/null || need+=(procps)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
KVER="$(dpkg-query -W -f='${Version}' kamailio)"
say "kamailio $KVER, $(sipp -v 2>&1 | grep -o 'SIPp v[^ ,-]*' | head -n 1)"

# Kamailio refuses modules built for another version or other flags: build in the Debian
# source of the installed package, configured with Debian's flags.
KSRC="$CACHE/kamailio-$KVER"
if [ ! -f "$KSRC/.configured" ]; then
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    cat > /etc/apt/sources.list.d/np700-e2e-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -qq
  fi
  rm -rf "$KSRC" && mkdir -p "$KSRC.dl"
  (cd "$KSRC.dl" && apt-get source -qq "kamailio=$KVER" >/dev/null 2>&1)
  mv "$KSRC.dl"/kamailio-*/ "$KSRC" && rm -rf "$KSRC.dl"
  make -s -C "$KSRC" cfg prefix=/usr cfg_target=/etc/kamailio/ FLAVOUR=kamailio \
    CC_EXTRA_OPTS=-DVERSION_NODATE >/dev/null
  touch "$KSRC/.configured"
fi

say "=== e2e: libnp700, the module, the writer"
PREFIX="$CACHE/prefix"
cargo cinstall --release --prefix="$PREFIX" --libdir=lib >"$WORK/cinstall.log" 2>&1 || { cat "$WORK/cinstall.log"; exit 1; }
rm -rf "$KSRC/src/modules/np700" && cp -r "$ROOT/kamailio/np700" "$KSRC/src/modules/np700"
PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" make -s -C "$KSRC/src/modules/np700" >/dev/null
MODULE="$KSRC/src/modules/np700/np700.so"
cargo build --quiet --release --example provision
WRITER_BIN="$ROOT/target/release/examples/provision"

# ---------------------------------------------------------------------------------------------
say "=== e2e: the platform's writer"
coproc WRITER { exec "$WRITER_BIN" --journal "$WORK/journal" --shared "$SHM" 2>"$WORK/writer.err"; }
# shellcheck disable=SC2153 # WRITER_PID is set by coproc
writer_pid=$WRITER_PID
read -r -t 60 -u "${WRITER[0]}" reply || { say "writer did not start"; cat "$WORK/writer.err"; exit 1; }
say "writer: $reply"

# w COMMAND...: one provisioning command; the answer is in $reply. Fails the script on `err`.
w() {
  printf '%s\n' "$*" >&"${WRITER[1]}"
  read -r -t 10 -u "${WRITER[0]}" reply || { say "writer: no answer to: $*"; exit 1; }
  case "$reply" in ok*) ;; *) say "writer: $* -> $reply"; exit 1 ;; esac
}
# w_err COMMAND...: a command the writer must refuse.
w_err() {
  printf '%s\n' "$*" >&"${WRITER[1]}"
  read -r -t 10 -u "${WRITER[0]}" reply || { say "writer: no answer to: $*"; exit 1; }
  case "$reply" in err*) return 0 ;; *) return 1 ;; esac
}
val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$reply"; }

# Two tenants, each with its own management number (700 + 8 digits); usage numbers are the
# management number plus 4 digits (15 digits).
w tenant "Swift Parcels"; T1=$(val tenant)
w tenant "Night Rides"; T2=$(val tenant)
M1=70012345678 M2=70087654321
w license $M1 1; w assign "$T1" $M1
w license $M2 1; w assign "$T2" $M2
X() { printf '%s%04d' "$M1" "$1"; }

w bind axb "$T1" 13800000001 "$(X 1)" 13900000001 3600; AXB=$(val binding)
w bind axn "$T1" 13800000002 "$(X 2)" 13800000012 3600
w bind axyb "$T1" 13800000003 "$(X 3)" "$(X 4)" 13900000003 3600
w bind gxb "$T1" 13800000021,13800000022,13800000023 "$(X 5)" 13900000005 3600
w bind axb "$T1" 13800000006 "$(X 6)" 13900000006 3600 media=voice
w bind axb "$T1" 13800000007 "$(X 7)" 13900000007 3; expires_at=$(( $(date +%s) + 3 ))
w bind axb "$T1" 13800000008 "$(X 8)" 13900000008 3600; QUARANTINED=$(val binding)
w unbind "$T1" "$QUARANTINED"
w bind axb "$T1" 13800000009 "$(X 9)" 13900000009 3600; LIVE_UNBIND=$(val binding)
w bind axb "$T2" 13800000031 "${M2}0001" 13900000031 3600

# ---------------------------------------------------------------------------------------------
say "=== e2e: kamailio"
start_kamailio() { # extra kamailio arguments
  mkdir -p "$WORK/run"
  kamailio -f "${CFG:-$ROOT/kamailio/kamailio.cfg}" -Y "$WORK/run" -DD -E -m 64 -M 8 \
    -A "LISTEN=udp:127.0.0.1:$PORT" -A "NP700_SHARED=\"$SHM\"" -A "NP700_MODULE=\"$MODULE\"" \
    "$@" >>"$WORK/kamailio.log" 2>&1 </dev/null &
  kamailio_pid=$!
  for _ in $(seq 100); do
    if ss -lun | grep -q "127.0.0.1:$PORT "; then return 0; fi
    kill -0 "$kamailio_pid" 2>/dev/null || break
    sleep 0.1
  done
  say "kamailio did not start:"; tail -n 30 "$WORK/kamailio.log"; exit 1
}
start_kamailio

# ---------------------------------------------------------------------------------------------
cd "$WORK"
SIPP=(sipp "127.0.0.1:$PORT" -i 127.0.0.1 -nd -timeout 15 -timeout_error -recv_timeout 5000
  -trace_err -error_file "$WORK/sipp_errors.log")
requests=0 # INVITEs and MESSAGEs sent: each leaves one route record in the writer

# case_run NAME SCENARIO CSV-LINE: one call; counts it passed or failed.
case_run() {
  local name=$1 scenario=$2 line=$3
  printf 'SEQUENTIAL\n%s\n' "$line" >"$WORK/one.csv"
  rm -f mismatch.log
  requests=$((requests + 1))
  if "${SIPP[@]}" -sf "$scenario" -inf "$WORK/one.csv" -m 1 </dev/null >"$WORK/case.log" 2>&1; then
    passed=$((passed + 1)); say "ok   $name"
  else
    failed=$((failed + 1)); say "FAIL $name"
    cat mismatch.log 2>/dev/null || true
    tail -n 5 "$WORK/case.log"; tail -n 20 "$WORK/sipp_errors.log" 2>/dev/null || true
    echo
  fi
}
# with_status TEMPLATE STATUS: a copy of a scenario expecting that final response.
with_status() {
  local out
  out="$WORK/$(basename "$1" .xml)_$2.xml"
  sed "s/response=\"STATUS\"/response=\"$2\"/" "$1" >"$out"
  printf '%s' "$out"
}
# routed NAME CALLER DIALLED CONTACT DISPLAY [SECOND-CONTACT]
routed() { case_run "$1" "$E2E/route.xml" "$2;$3;$4;$5;${6:-}"; }
# refused NAME CALLER DIALLED STATUS
refused() { case_run "$1 -> $4" "$(with_status "$E2E/refuse.xml" "$4")" "$2;$3"; }
# sms NAME CALLER DIALLED TEXT STATUS
sms() { case_run "$1 -> $5" "$(with_status "$E2E/message.xml" "$5")" "$2;$3;$4"; }
check() { # NAME COMMAND...: a check outside SIP
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); say "ok   $name"; else failed=$((failed + 1)); say "FAIL $name"; fi
}

say "=== e2e: functional cases"
routed "AXB: B calls X, reaches A, shown X" 13900000001 "$(X 1)" +8613800000001 "$(X 1)"
routed "AXB: A calls X, reaches B, shown X" 13800000001 "$(X 1)" +8613900000001 "$(X 1)"
routed "AXB: dialled as +86 700…" 13900000001 "+86$(X 1)" +8613800000001 "$(X 1)"
routed "AXB: caller as +86 E.164" +8613900000001 "$(X 1)" +8613800000001 "$(X 1)"
routed "AXN: anyone calls X, reaches A" 13700000042 "$(X 2)" +8613800000002 "$(X 2)"
routed "AXN: A calls X, reaches N" 13800000002 "$(X 2)" +8613800000012 "$(X 2)"
routed "AXYB: B calls X, reaches A, shown Y" 13900000003 "$(X 3)" +8613800000003 "$(X 4)"
routed "AXYB: A calls Y, reaches B, shown X" 13800000003 "$(X 4)" +8613900000003 "$(X 3)"
routed "GXB: B calls X, the group rings in order" 13900000005 "$(X 5)" +8613800000021 "$(X 5)" +8613800000022
routed "GXB: a member calls X, reaches B" 13800000022 "$(X 5)" +8613900000005 "$(X 5)"
routed "tenant 2's binding on its own number" 13900000031 "${M2}0001" +8613800000031 "${M2}0001"
sms "SMS on an AXB binding" 13900000001 "$(X 1)" "see you at the gate" 302

refused "unbound caller" 13700000042 "$(X 1)" 403
refused "tenant 2's party dialling tenant 1's number" 13900000031 "$(X 1)" 403
refused "anonymous caller" anonymous "$(X 1)" 403
refused "quarantined (unbound) number" 13900000008 "$(X 8)" 404
refused "not a 700 number" 13900000001 13912345678 404
refused "unassigned 700 number" 13900000001 700999999990001 404
refused "malformed number" 13900000001 7001234 484
refused "management number only: collect digits" 13900000001 "$M1" 484
LONG=$(printf '7%.0s' $(seq 300))
refused "a 300-digit dialled string: malformed" 13900000001 "$LONG" 484
requests=$((requests - 1)) # answered by the module: longer than np700 takes, np700 not asked
refused "a 300-digit caller: unidentified" "$LONG" "$(X 1)" 403
sms "SMS on a voice-only binding (wrong media)" 13900000006 "$(X 6)" "hello" 488
sms "SMS with a verification code" 13900000001 "$(X 1)" "Your verification code is 493817" 403
sms "SMS from a commercial sender port" 10690000123 "$(X 2)" "sale today" 403
routed "voice on the voice-only binding" 13900000006 "$(X 6)" +8613800000006 "$(X 6)"

say "=== e2e: the writer changes things while Kamailio runs"
w block 0 13700000042; BLOCK=$(val block)
refused "caller blocked by the platform" 13700000042 "$(X 2)" 403
w lift 0 "$BLOCK"
routed "block lifted" 13700000042 "$(X 2)" +8613800000002 "$(X 2)"
w suspend "$T1" "$AXB"
refused "binding suspended" 13900000001 "$(X 1)" 480
w resume "$T1" "$AXB"
w update "$T1" "$AXB" b=13900000099
routed "AXB updated: A now reaches the new B" 13800000001 "$(X 1)" +8613900000099 "$(X 1)"
refused "AXB updated: the old B hears the service ended" 13900000001 "$(X 1)" 404
check "writer: tenant 2 cannot unbind tenant 1's binding" w_err unbind "$T2" "$LIVE_UNBIND"
routed "before the unbind" 13900000009 "$(X 9)" +8613800000009 "$(X 9)"
w unbind "$T1" "$LIVE_UNBIND"
refused "after the unbind: the number is quarantined" 13900000009 "$(X 9)" 404
wait_s=$(( expires_at + 1 - $(date +%s) ))
if [ "$wait_s" -gt 0 ]; then sleep "$wait_s"; fi
refused "expired binding" 13900000007 "$(X 7)" 480

# ---------------------------------------------------------------------------------------------
# Kamailio CPU (user + system) of the main process and its workers, in clock ticks.
cpu_ticks() {
  local total=0 p f
  for p in $kamailio_pid $(pgrep -P "$kamailio_pid"); do
    f=$(cut -d ' ' -f 14,15 "/proc/$p/stat" 2>/dev/null) || continue
    total=$((total + ${f% *} + ${f#* }))
  done
  printf '%s' "$total"
}
HZ=$(getconf CLK_TCK)
# load NAME CSV: NP700_E2E_RATE calls/s for NP700_E2E_SECS s; sets load_rate and load_us_per_call.
load() {
  local name=$1 csv=$2 calls=$((RATE * SECS)) t0 t1 c0 c1 ok=1
  rm -f mismatch.log
  c0=$(cpu_ticks); t0=$(date +%s.%N)
  "${SIPP[@]}" -sf "$E2E/route.xml" -inf "$csv" -r "$RATE" -m "$calls" -l 1000 -timeout $((SECS + 20)) \
    </dev/null >"$WORK/load.log" 2>&1 || ok=0
  t1=$(date +%s.%N); c1=$(cpu_ticks)
  requests=$((requests + calls))
  load_rate=$(awk -v n="$calls" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
  load_us_per_call=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$calls" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
  if [ "$ok" -eq 1 ] && [ "$load_rate" -ge "$MIN_RATE" ]; then
    passed=$((passed + 1)); say "ok   $name: $calls calls, $load_rate calls/s, no failure, Kamailio CPU $load_us_per_call µs/call"
  else
    failed=$((failed + 1)); say "FAIL $name: $load_rate calls/s (sipp exit ok=$ok)"
    head -n 5 mismatch.log 2>/dev/null || true; tail -n 30 "$WORK/load.log"
  fi
}

say "=== e2e: load ($RATE calls/s for $SECS s, every Contact asserted)"
X1=$(X 1)
cat >"$WORK/load.csv" <<EOF
SEQUENTIAL
13800000001;$X1;+8613900000099;$X1;
13900000099;$X1;+8613800000001;$X1;
13700000042;$(X 2);+8613800000002;$(X 2);
13800000002;$(X 2);+8613800000012;$(X 2);
13900000003;$(X 3);+8613800000003;$(X 4);
13800000003;$(X 4);+8613900000003;$(X 3);
13900000005;$(X 5);+8613800000021;$(X 5);+8613800000022
13800000023;$(X 5);+8613900000005;$(X 5);
13900000031;${M2}0001;+8613800000031;${M2}0001;
EOF
load "load through np700" "$WORK/load.csv"
np700_rate=$load_rate np700_us=$load_us_per_call

# Every route a Kamailio worker made left a record in the writer's queue (drained or counted).
w records
drained=$(val drained) dropped=$(val dropped)
check "writer: every route's record reached the writer ($drained drained + $dropped dropped >= $requests requests)" \
  test $((drained + dropped)) -ge "$requests"

say "=== e2e: the same routing through KEMI (kamailio/kemi: JavaScript on app_jsdt)"
stop_kamailio
CFG="$ROOT/kamailio/kemi/kamailio.cfg" start_kamailio -A "NP700_KEMI_SCRIPT=\"$ROOT/kamailio/kemi/np700.js\""
routed "KEMI: AXB, B calls X" 13900000099 "$(X 1)" +8613800000001 "$(X 1)"
routed "KEMI: AXYB, A calls Y" 13800000003 "$(X 4)" +8613900000003 "$(X 3)"
routed "KEMI: GXB, the group in order" 13900000005 "$(X 5)" +8613800000021 "$(X 5)" +8613800000022
refused "KEMI: unbound caller" 13700000042 "$(X 1)" 403
refused "KEMI: collect digits" 13900000001 "$M1" 484
refused "KEMI: quarantined number" 13900000009 "$(X 9)" 404
sms "KEMI: SMS with a verification code" 13900000099 "$(X 1)" "Your verification code is 493817" 403
sms "KEMI: SMS routed" 13900000099 "$(X 1)" "at the gate" 302

if [ "${NP700_E2E_BENCH:-0}" = 1 ]; then
  say "=== e2e: the np700 call alone, timed by Kamailio's benchmark module"
  stop_kamailio
  start_kamailio -A WITH_BENCHMARK
  load "load with the benchmark module" "$WORK/load.csv"
  grep 'np700_route' "$WORK/kamailio.log" | tail -n 4
fi

say "=== e2e: baseline, the same cfg answering a fixed Contact"
stop_kamailio
start_kamailio -A FIXED_CONTACT
printf 'SEQUENTIAL\n13900000001;%s;+8613800000000;700000000000000;\n' "$X1" >"$WORK/fixed.csv"
load "load with a fixed Contact" "$WORK/fixed.csv"
stop_kamailio
fixed_us=$load_us_per_call
say "Kamailio CPU per call: np700 $np700_us µs, fixed Contact $fixed_us µs, np700 adds $(awk -v a="$np700_us" -v b="$fixed_us" 'BEGIN { printf "%.1f", a - b }') µs (at $np700_rate calls/s)"

w quit
wait "$writer_pid" 2>/dev/null || true
writer_pid=""

say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
