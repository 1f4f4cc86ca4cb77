#!/usr/bin/env bash
# A bounded soak with injected faults (ZC_SOAK_SECONDS, default 600; CI: 60).
# For the whole run, at the same time:
#  - nginx (master + 2 workers) on zcrypto, TLS 1.2 and 1.3: six curl loops
#    (TLS 1.2 and 1.3 x AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305), each
#    fetching batches of 1 KiB..16 MiB files over up to 8 parallel
#    connections, every body checked by SHA-256; wrk with 64 connections
#    (one request per connection: wrk does not retry a request on a
#    keep-alive connection a reloading nginx closes, unlike curl);
#    `kill -HUP` reloads every ZC_SOAK_HUP seconds (default a third of the
#    run); the RSS of every worker sampled every second;
#  - `openssl s_server -async` (zcrypto's ASYNC offload path) in rounds,
#    driven by `openssl s_time` and by curl (bodies checked), with the
#    engine's fault hooks on (ZC_TEST_ASYNC_FAULTS: stalls past the op
#    timeout, slow requests, refused submissions, worker threads that get
#    stuck past the hang limit or exit, which the watchdog must replace).
# Pass: no failed request, no wrong byte, every worker's RSS flat after its
# warm-up, no zcrypto errors or tag failures, zcrypto's counters covering the
# bytes the clients received, and every kind of fault injected and counted.
# Stock nginx never runs records in ASYNC jobs (SSL_MODE_ASYNC), so the
# engine faults reach only s_server; nginx gets the reloads and the load.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ZC_SRCDIR=${ZC_SRCDIR:-$(cd "$here/.." && pwd)}
ZC_MODULE_DIR=${ZC_MODULE_DIR:-$ZC_SRCDIR/.libs}
export ZC_SRCDIR ZC_MODULE_DIR
. "$ZC_SRCDIR/test/zc_test_lib.sh"
secs=${ZC_SOAK_SECONDS:-600}
hup_every=${ZC_SOAK_HUP:-$(( secs / 3 > 15 ? secs / 3 : 15 ))}
faults=${ZC_SOAK_FAULTS:-stall=700:150,slow=25:3000,fail=5,hang=300:700,die=250}
for t in nginx curl wrk python3; do
    command -v $t >/dev/null || { echo "soak: $t missing"; exit 1; }
done
[ -f "$ZC_MODULE_DIR/zcrypto.so" ] || { echo "soak: no $ZC_MODULE_DIR/zcrypto.so (make)"; exit 1; }
tmp=$(mktemp -d /tmp/zc-soak.XXXXXX)
pids=() ngx_pid="" srv_pid=""
cleanup() {
    local p
    for p in "${pids[@]}" $srv_pid; do kill "$p" 2>/dev/null; done
    if [ -n "$ngx_pid" ]; then
        kill -QUIT "$ngx_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$ngx_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$ngx_pid" 2>/dev/null
    fi
    wait 2>/dev/null
    [ -n "${ZC_SOAK_KEEP:-}" ] && { echo "soak: kept $tmp"; return; }
    rm -rf "$tmp"
}
trap cleanup EXIT

# ------------------------------------------------------------ setup
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null || { echo "soak: no cert"; exit 1; }
mkdir -p "$tmp/www" "$tmp/ngx" "$tmp/out" "$tmp/srv"
for f in 1k:1024 64k:65536 1m:1048576 16m:16777216; do
    head -c "${f#*:}" /dev/urandom > "$tmp/www/${f%%:*}"
done
(cd "$tmp/www" && sha256sum 1k 64k 1m 16m) > "$tmp/sums"
backend=$(zc_auto_backend)
# auto's backend by name: zcrypto offers all three ciphers (auto may leave
# some to the default provider, which would not be soaking zcrypto).
zc_cnf "$backend" "$tmp/ngx/stats" > "$tmp/nginx.cnf"
zc_cnf "$backend" "$tmp/out/curl" > "$tmp/curl.cnf"
zc_cnf "$backend" "$tmp/out/wrk" > "$tmp/wrk.cnf"
zc_cnf "$backend" "$tmp/srv/stats" prefer "async_min_bytes = 4096" > "$tmp/srv.cnf"
port=$(zc_free_port)
zc_nginx_conf dir="$tmp" listen="$port" workers=2 cert="$tmp/cert.pem" key="$tmp/key.pem" \
    http="keepalive_requests 1000;" server="
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
        root $tmp/www;" > "$tmp/nginx.conf"
OPENSSL_CONF="$tmp/nginx.cnf" nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" \
    -g 'daemon off; master_process on;' 2>>"$tmp/error.log" &
ngx_pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null --cacert "$tmp/cert.pem" "https://127.0.0.1:$port/1k" && break
    sleep 0.1
done
echo "soak: $secs s, backend $backend, nginx on :$port, reload every $hup_every s, async faults $faults"
start=$(date +%s)
deadline=$((start + secs))

# ------------------------------------------------------------ nginx load
# One loop per protocol x cipher: batches of files over parallel
# connections; each body is checked; "ok BYTES" or "FAIL what" per request.
curl_loop() { # name, curl TLS args...
    local name=$1; shift
    local dir="$tmp/c-$name" n=0 args f
    mkdir -p "$dir"
    while [ "$(date +%s)" -lt "$deadline" ]; do
        n=$((n + 1)); args=()
        for f in 1k 64k 1m 1k 16m 64k 1k 1m; do
            args+=(-o "$dir/$n-${#args[@]}-$f" "https://127.0.0.1:$port/$f")
        done
        OPENSSL_CONF="$tmp/curl.cnf" curl -sS --max-time 120 --retry 0 --parallel --parallel-max 8 \
            --cacert "$tmp/cert.pem" "$@" -w '%{http_code} %{size_download} %{ssl_version}\n' \
            "${args[@]}" >"$dir/$n.w" 2>"$dir/$n.err"
        echo "rc $?" >>"$dir/$n.w"
        for f in "$dir/$n"-*; do
            local want got
            want=$(awk -v f="${f##*-}" '$2 == f {print $1}' "$tmp/sums")
            got=$(sha256sum <"$f" | cut -d' ' -f1)
            if [ "$got" = "$want" ]; then echo "ok $(stat -c %s "$f")"; else echo "FAIL $name $f"; fi
            rm -f "$f"
        done >>"$tmp/$name.results"
    done
}
curl_loop tls12-aes128 --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 & pids+=($!)
curl_loop tls12-aes256 --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384 & pids+=($!)
curl_loop tls12-chacha --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 & pids+=($!)
curl_loop tls13-aes128 --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256 & pids+=($!)
curl_loop tls13-aes256 --tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384 & pids+=($!)
curl_loop tls13-chacha --tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 & pids+=($!)
OPENSSL_CONF="$tmp/wrk.cnf" wrk -t1 -c64 -d"$((secs - 2))"s --timeout 30s -H "Connection: close" \
    "https://127.0.0.1:$port/64k" >"$tmp/wrk.out" 2>&1 & pids+=($!)

# ------------------------------------------------------------ s_server -async
# Rounds of s_server -naccept K (it exits by itself, so its stats file is
# written): curl fetches with checked bodies, then s_time -new runs of 1 s
# of 1 MiB for up to 20 s while the
# budget allows, then exactly the connections left.
srv_rounds() {
    local round=0
    while [ "$(date +%s)" -lt $((deadline - 3)) ]; do
        round=$((round + 1))
        local sp k=400 used=0 max=0 c f round_end=$(( $(date +%s) + 20 ))
        sp=$(zc_free_port)
        (cd "$tmp/www" && ZC_TEST_ASYNC_FAULTS=$faults OPENSSL_CONF="$tmp/srv.cnf" \
            exec openssl s_server -async -accept "127.0.0.1:$sp" -cert "$tmp/cert.pem" \
            -key "$tmp/key.pem" -WWW -quiet -naccept $k) >"$tmp/srv/round$round.log" 2>&1 &
        srv_pid=$!
        # Up when a request works (refused connections are not accepted ones).
        for _ in $(seq 50); do
            OPENSSL_CONF="$tmp/curl.cnf" curl -s -o /dev/null --cacert "$tmp/cert.pem" \
                "https://127.0.0.1:$sp/1k" && break
            sleep 0.1
        done
        used=$((used + 1))
        for f in 1m 64k 1m 1k; do
            c=$(OPENSSL_CONF="$tmp/curl.cnf" curl -sS --max-time 60 --cacert "$tmp/cert.pem" \
                "https://127.0.0.1:$sp/$f" | sha256sum | cut -d' ' -f1)
            used=$((used + 1))
            if [ "$c" = "$(awk -v f=$f '$2 == f {print $1}' "$tmp/sums")" ]; then
                echo "ok $(stat -c %s "$tmp/www/$f")"
            else
                echo "FAIL s_server round $round /$f"
            fi
        done >>"$tmp/srv.results"
        while [ "$(date +%s)" -lt $((deadline - 3)) ] && [ "$(date +%s)" -lt $round_end ] \
            && [ $((k - used)) -gt $((3 * max + 50)) ]; do
            local out n
            out=$(OPENSSL_CONF="$tmp/curl.cnf" openssl s_time -connect "127.0.0.1:$sp" -new \
                  -www /1m -time 1 -CAfile "$tmp/cert.pem" 2>&1)
            n=$(sed -n 's/^\([0-9]*\) connections in [0-9.]*s.*/\1/p' <<<"$out" | head -1)
            if [ -z "$n" ]; then echo "FAIL s_time round $round: $(tail -2 <<<"$out" | tr '\n' ' ')"; break; fi
            echo "stime $n $(sed -n 's/.*bytes read \([0-9]*\).*/\1/p' <<<"$out" | head -1)"
            used=$((used + n)); [ "$n" -gt "$max" ] && max=$n
        done >>"$tmp/srv.results"
        # The connections left, one request each (s_server -WWW closes).
        local left=$((k - used)) args=()
        while [ $left -gt 0 ]; do
            local batch=$(( left > 100 ? 100 : left ))
            args=(); for _ in $(seq $batch); do args+=(-o /dev/null "https://127.0.0.1:$sp/1k"); done
            OPENSSL_CONF="$tmp/curl.cnf" curl -s --max-time 60 --cacert "$tmp/cert.pem" "${args[@]}" \
                -w '%{http_code}\n' | grep -cx 200 >>"$tmp/srv/topup$round" || true
            left=$((left - batch))
        done
        for _ in $(seq 100); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$srv_pid" 2>/dev/null; then
            echo "FAIL s_server round $round did not finish its $k connections" >>"$tmp/srv.results"
            kill "$srv_pid"
        fi
        wait "$srv_pid"; echo "rc $?" >>"$tmp/srv/round$round.rc"
        srv_pid=""
    done
}
srv_rounds & pids+=($!)

# ------------------------------------------------------------ reloads, RSS
next_hup=$((start + hup_every)) hups=0
while [ "$(date +%s)" -lt "$deadline" ]; do
    now=$(date +%s)
    for w in $(pgrep -P "$ngx_pid"); do
        echo "$now $w $(awk '/^VmRSS/ {print $2}' /proc/$w/status 2>/dev/null)"
    done >>"$tmp/rss"
    if [ "$now" -ge "$next_hup" ] && [ "$now" -lt $((deadline - 5)) ]; then
        kill -HUP "$ngx_pid" && hups=$((hups + 1))
        next_hup=$((now + hup_every))
    fi
    sleep 1
done
echo "soak: load finished, waiting for clients"
for p in "${pids[@]}"; do wait "$p"; done
pids=()
kill -QUIT "$ngx_pid"
for _ in $(seq 150); do kill -0 "$ngx_pid" 2>/dev/null || break; sleep 0.1; done
wait "$ngx_pid" 2>/dev/null; ngx_pid=""

# ------------------------------------------------------------ verdict
python3 - "$tmp" "$hups" <<'PY'
import glob, json, os, re, sys
tmp, hups = sys.argv[1], int(sys.argv[2])
fails = []
def check(ok, what):
    print(("PASS: " if ok else "FAIL: ") + what)
    if not ok:
        fails.append(what)

def stats(prefix):
    docs = []
    for f in glob.glob(prefix + "-*.json"):
        docs.append(json.load(open(f)))
    return docs

def alg_bytes(docs, alg=None):
    return sum(e["bytes"] for d in docs for e in d["stats"] if alg in (None, e["alg"]))

def bad_counts(docs):
    return sum(e["errors"] + e["tag_failures"] for d in docs for e in d["stats"])

algs = {"aes128": "AES-128-GCM", "aes256": "AES-256-GCM", "chacha": "ChaCha20-Poly1305"}
total_curl = 0
per_alg = {a: 0 for a in algs.values()}
for name in ["tls12-aes128", "tls12-aes256", "tls12-chacha", "tls13-aes128", "tls13-aes256", "tls13-chacha"]:
    lines = open(os.path.join(tmp, name + ".results")).read().split("\n") if os.path.exists(os.path.join(tmp, name + ".results")) else []
    ok = [int(l.split()[1]) for l in lines if l.startswith("ok ")]
    bad = [l for l in lines if l.startswith("FAIL")]
    rcs = []
    codes = []
    for w in glob.glob(os.path.join(tmp, "c-" + name, "*.w")):
        for l in open(w):
            if l.startswith("rc "):
                rcs.append(int(l.split()[1]))
            elif l.strip():
                codes.append(l.split()[0])
    check(len(ok) > 0 and not bad and all(r == 0 for r in rcs) and all(c == "200" for c in codes),
          f"nginx {name}: {len(ok)} bodies checked, {len(bad)} wrong, {sum(r != 0 for r in rcs)} curl failures, {sum(c != '200' for c in codes)} non-200")
    total_curl += sum(ok)
    per_alg[algs[name.split("-")[1]]] += sum(ok)

wrk = open(os.path.join(tmp, "wrk.out")).read()
m = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(\w+) read", wrk)
reqs = int(m.group(1)) if m else 0
unit = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
wrk_bytes = int(float(m.group(2)) * unit.get(m.group(3), 1)) if m else 0
check(reqs > 0 and "Socket errors" not in wrk and "Non-2xx" not in wrk,
      f"wrk, 64 connections: {reqs} requests, {wrk_bytes >> 20} MiB, " +
      ("no socket errors or non-2xx" if "Socket errors" not in wrk and "Non-2xx" not in wrk else
       " ".join(l.strip() for l in wrk.splitlines() if "errors" in l or "Non-2xx" in l)))
check(hups >= 1, f"{hups} nginx reloads (kill -HUP)")

# RSS: per worker, after 6 s of its life, the last third may not exceed the
# first sample after warm-up by more than 10% + 2 MiB.
samples = {}
for l in open(os.path.join(tmp, "rss")):
    p = l.split()
    if len(p) == 3:
        samples.setdefault(p[1], []).append((int(p[0]), int(p[2])))
judged, grew = 0, []
for pid, s in samples.items():
    s = [x for x in s if x[0] >= s[0][0] + 6]
    if len(s) < 4:
        continue
    judged += 1
    base, tail = s[0][1], max(r for _, r in s[-max(1, len(s) // 3):])
    if tail > base * 1.10 + 2048:
        grew.append(f"{pid}: {base} -> {tail} KiB")
check(judged > 0 and not grew, f"worker RSS flat after warm-up ({judged} workers judged" +
      (", grew: " + "; ".join(grew) if grew else "") + ")")

ngx = stats(os.path.join(tmp, "ngx", "stats"))
cli = stats(os.path.join(tmp, "out", "curl"))
check(len(ngx) >= 3 and bad_counts(ngx) == 0,
      f"nginx stats: {len(ngx)} files (master and every worker generation), no zcrypto errors or tag failures")
for alg, b in per_alg.items():
    nb = alg_bytes(ngx, alg)
    check(nb >= b, f"nginx {alg}: zcrypto counted {nb >> 20} MiB >= {b >> 20} MiB of checked bodies")
nb = alg_bytes(ngx)
check(nb >= total_curl + wrk_bytes * 0.9 and nb <= 3 * (total_curl + wrk_bytes) + (64 << 20),
      f"nginx total {nb >> 20} MiB consistent with curl {total_curl >> 20} + wrk {wrk_bytes >> 20} MiB")
check(alg_bytes(cli) >= total_curl and bad_counts(cli) == 0,
      f"curl processes: zcrypto counted {alg_bytes(cli) >> 20} MiB >= {total_curl >> 20} MiB received, no errors")

lines = open(os.path.join(tmp, "srv.results")).read().split("\n") if os.path.exists(os.path.join(tmp, "srv.results")) else []
ok = [int(l.split()[1]) for l in lines if l.startswith("ok ")]
st = [l.split() for l in lines if l.startswith("stime ")]
bad = [l for l in lines if l.startswith("FAIL")]
rcs = [int(open(f).read().split()[1]) for f in glob.glob(os.path.join(tmp, "srv", "round*.rc"))]
check(len(ok) > 0 and len(st) > 0 and not bad and rcs and all(r == 0 for r in rcs),
      f"s_server -async: {len(rcs)} rounds, {len(ok)} bodies checked, {sum(int(x[1]) for x in st)} s_time connections "
      f"in {len(st)} runs" + (", " + "; ".join(bad[:3]) if bad else ""))
srv = stats(os.path.join(tmp, "srv", "stats"))
a = {k: sum(d["async"][k] for d in srv) for k in
     ["offloaded", "timeouts", "inline_busy", "retries", "retry_giveups", "injected_stalls", "injected_slow",
      "injected_fails", "injected_hangs", "injected_deaths", "workers_hung", "workers_died",
      "engine_completed"]}
check(len(srv) == len(rcs) and bad_counts(srv) == 0, f"s_server stats: {len(srv)} files, no zcrypto errors or tag failures")
check(a["offloaded"] > 0 and a["injected_stalls"] > 0 and a["injected_slow"] > 0 and a["injected_fails"] > 0
      # each refused submit is retried with backoff or, after retry_max, done inline
      and a["retries"] + a["retry_giveups"] >= a["injected_fails"]
      # every worker that got stuck or exited was replaced (a round may end
      # before the watchdog's next look at the last one)
      and a["injected_hangs"] > 0 and a["injected_deaths"] > 0
      and 0 < a["workers_hung"] <= a["injected_hangs"] and 0 < a["workers_died"] <= a["injected_deaths"],
      "async engine under faults: " + ", ".join(f"{k} {v}" for k, v in a.items()))
stb = sum(int(x[2] or 0) for x in st if len(x) > 2)
check(alg_bytes(srv) >= sum(ok) + stb, f"s_server: zcrypto counted {alg_bytes(srv) >> 20} MiB >= {(sum(ok) + stb) >> 20} MiB read by clients")
print(f"{len(fails)} failed")
sys.exit(1 if fails else 0)
PY
