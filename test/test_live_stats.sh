#!/usr/bin/env bash
# Live counters of running processes, for real: nginx (master + 2 workers,
# the workers as nobody when we are root) serves curl over TLS 1.3 on
# 127.0.0.1 with zcrypto. While the downloads run, zcrypto-stat must show
# both workers, each with growing counters; when they are done the workers'
# bytes must add up to what curl received. The Prometheus text (printed and
# served by --listen) must pass a strict parser written here. A killed
# worker's segment is cleaned, corrupt segments are reported and skipped, a
# stats_file the workers cannot write is reported (error log and audit
# log), and the config keys are parsed strictly.
set -u
: "${ZC_MODULE_DIR:?run from make check}" "${ZC_SRCDIR:?run from make check}" "${ZC_BUILDDIR:?}"
. "$ZC_SRCDIR/test/zc_test_lib.sh"
command -v nginx >/dev/null || { echo "nginx not installed (.ci/run installs nginx-light)"; exit 99; }
command -v curl >/dev/null || { echo "curl not installed"; exit 99; }
stat_bin="$ZC_BUILDDIR/zcrypto-stat"
tmp=$(mktemp -d)
chmod 755 "$tmp"
ngx_pid="" listen_pid=""
stop_all() {
    [ -n "$listen_pid" ] && kill "$listen_pid" 2>/dev/null && wait "$listen_pid" 2>/dev/null
    listen_pid=""
    zc_stop_nginx "$ngx_pid"
    ngx_pid=""
}
trap 'stop_all; jobs -p | xargs -r kill 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# ---------------------------------------------------------------- config keys
cnf_with() { zc_cnf portable "$tmp/cfg" load-only "$1" > "$tmp/cfg.cnf"; }
for kv in "live_stats = maybe" "live_stats_mode = 0777" "live_stats_mode = 600x" \
          "live_stats_mode = 0400" "live_stats_dir = relative/dir" "latency_sample = -1" \
          "audit_log = syslog2" "audit_log = $tmp/no/such/dir/audit.log"; do
    cnf_with "$kv"
    key=${kv%% =*}
    out=$(OPENSSL_CONF="$tmp/cfg.cnf" openssl list -providers 2>&1)
    if grep -q "provider not loaded: config key '$key'" <<<"$out"; then
        ok "config '$kv' refused, naming the key"
    else
        bad "config '$kv' not refused: $out"
    fi
done
# live_stats = no: the work is counted (stats_file) but nothing is published.
mkdir -p "$tmp/nolive"
cnf_with "live_stats = no
live_stats_dir = $tmp/nolive"
OPENSSL_CONF="$tmp/cfg.cnf" openssl speed -seconds 1 -bytes 64 -provider-path "$ZC_MODULE_DIR" \
    -provider zcrypto -provider default -propquery provider=zcrypto -evp aes-128-gcm >/dev/null 2>&1
if [ -z "$(ls -A "$tmp/nolive")" ] && [ "$(zc_stats_sum "$tmp/cfg" AES-128-GCM ops)" -gt 0 ]; then
    ok "live_stats = no: counted ($(zc_stats_sum "$tmp/cfg" AES-128-GCM ops) ops), no segment"
else
    bad "live_stats = no: segment files: $(ls "$tmp/nolive"), ops $(zc_stats_sum "$tmp/cfg" AES-128-GCM ops)"
fi

# ---------------------------------------------------------------- nginx
zc_test_certs "$tmp" || { echo "cannot make certs"; exit 99; }
mkdir -p "$tmp/www" "$tmp/live" "$tmp/rootonly"
chmod 1777 "$tmp/live"          # like /dev/shm: workers as nobody make their own files
chmod 755 "$tmp/rootonly"       # the README's stats_file setup: only root may write
echo hello > "$tmp/www/index.html"
size=$((16 << 20))
head -c $size /dev/urandom > "$tmp/www/big.bin"
chmod -R a+rX "$tmp/www"

# The backend zcrypto serves AES-128-GCM with (auto's, or its by name).
backend=auto
zc_cnf auto /dev/null/none load-only > "$tmp/probe.cnf"
zc_served "$tmp/probe.cnf" AES-128-GCM || backend=$(zc_auto_backend)
alg=AES-128-GCM
zc_cnf "$backend" "$tmp/rootonly/nginx" prefer "live_stats_dir = $tmp/live
latency_sample = 8
audit_log = $tmp/audit.log" > "$tmp/nginx.cnf"
zc_cnf "$backend" "$tmp/curl" prefer "live_stats = no" > "$tmp/curl.cnf"
port=$(zc_free_port)
user_line="" worker_user=$(id -un)
if [ "$(id -u)" = 0 ]; then
    grp=$(id -gn nobody 2>/dev/null || echo nogroup)
    user_line="user nobody $grp;" worker_user=nobody
fi
zc_nginx_conf dir="$tmp" listen="$port reuseport" workers=2 cert="$tmp/srv.pem" \
    key="$tmp/srv.key" log=info user="$user_line" server="
        ssl_protocols TLSv1.3;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
        root $tmp/www;" > "$tmp/nginx.conf"
OPENSSL_CONF="$tmp/nginx.cnf" nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" \
    -g 'daemon off; master_process on;' 2>>"$tmp/error.log" &
ngx_pid=$!
c=(curl -sS --max-time 60 --cacert "$tmp/ca.pem" --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256)
up=0
for _ in $(seq 100); do
    OPENSSL_CONF="$tmp/curl.cnf" "${c[@]}" -o /dev/null "https://127.0.0.1:$port/index.html" 2>/dev/null \
        && { up=1; break; }
    kill -0 "$ngx_pid" 2>/dev/null || break
    sleep 0.1
done
workers=$(pgrep -P "$ngx_pid" | sort -n | tr '\n' ' ')
if [ $up -ne 1 ] || [ "$(wc -w <<<"$workers")" -ne 2 ]; then
    bad "nginx did not start with 2 workers ($workers)"; tail -5 "$tmp/error.log"
    echo "$pass passed, $fail failed"; exit 1
fi
echo "backend $backend, workers $workers as $worker_user"

# Worker bytes for alg from a --json document on stdin, per worker pid.
worker_bytes() {
    python3 -c '
import json, sys
doc = json.load(sys.stdin)
want = [int(p) for p in sys.argv[2].split()]
by = {p["pid"]: sum(s["bytes"] for s in p["stats"] if s["alg"] == sys.argv[1]) for p in doc}
print(" ".join(str(by.get(p, -1)) for p in want))' "$alg" "$workers"
}

# 12 downloads at 4 MB/s each keep both workers busy for ~4 s (reuseport
# spreads connections over the workers' sockets).
n=12
for i in $(seq $n); do
    OPENSSL_CONF="$tmp/curl.cnf" "${c[@]}" --limit-rate 4M -o "$tmp/dl.$i" \
        "https://127.0.0.1:$port/big.bin" &
done
sleep 1.2
s1=$("$stat_bin" --dir "$tmp/live" --json 2>"$tmp/stat.err" | worker_bytes)
sleep 1
s2=$("$stat_bin" --dir "$tmp/live" --json 2>>"$tmp/stat.err" | worker_bytes)
table=$("$stat_bin" --dir "$tmp/live" --interval 1 2>>"$tmp/stat.err")
read -r a1 b1 <<<"$s1"; read -r a2 b2 <<<"$s2"
if [ "$a1" -gt 0 ] && [ "$b1" -gt 0 ] && [ "$a2" -gt "$a1" ] && [ "$b2" -gt "$b1" ]; then
    ok "while serving, both workers' $alg bytes grow: $a1 -> $a2, $b1 -> $b2"
else
    bad "workers' counters while serving: $s1 then $s2"
fi
rows=0
for w in $workers; do
    awk -v w="$w" -v a="$alg" '$1 == w && $0 ~ a && $(NF-3) + 0 > 0 { f = 1 } END { exit !f }' \
        <<<"$table" && rows=$((rows + 1))
done
if [ $rows -eq 2 ]; then ok "table view: one $alg line per worker with MB/s > 0"
else bad "table view: $table"; fi
wait_curls() { for p in $(jobs -p); do [ "$p" = "$ngx_pid" ] || wait "$p"; done; }
wait_curls
got=0
for i in $(seq $n); do got=$((got + $(stat -c %s "$tmp/dl.$i" 2>/dev/null || echo 0))); done
final=$("$stat_bin" --dir "$tmp/live" --json 2>>"$tmp/stat.err")
read -r a b <<<"$(worker_bytes <<<"$final")"
sum=$((a + b))
# Responses carry headers and handshake messages besides the bodies.
if [ "$got" -eq $((n * size)) ] && [ "$sum" -ge "$got" ] && [ "$sum" -le $((got + (n + 2) * 65536)) ]; then
    ok "workers' bytes $a + $b = $sum cover the $got bytes curl received (+ $((sum - got)) of headers and handshakes)"
else
    bad "workers' bytes $a + $b = $sum vs curl received $got of $((n * size))"
fi
owner_ok=1
for w in $workers; do
    f=$(ls "$tmp"/live/zcrypto."$w".* 2>/dev/null | head -1)
    [ -n "$f" ] && [ "$(stat -c '%U %a' "$f")" = "$worker_user 600" ] || { owner_ok=0; ls -l "$tmp/live"; }
done
[ $owner_ok -eq 1 ] && ok "each worker's segment is its own ($worker_user, mode 600)" \
    || bad "segment owner or mode"
python3 - "$final" <<'PY' && ok "JSON: latency histograms and served list present" || bad "JSON: $final"
import json, sys
doc = json.loads(sys.argv[1])
w = [p for p in doc if p["command"].startswith("nginx")]
assert len(w) >= 2, w
for p in w:
    assert any(h["count"] > 0 for h in p["latency"]), p["latency"]
    assert all(sum(h["buckets"]) == h["count"] for h in p["latency"])
    assert {s["alg"] for s in p["served"]} == {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "ChaCha20-Poly1305"}
PY

# ---------------------------------------------------------------- Prometheus
cat > "$tmp/promcheck.py" <<'PY'
# A strict reader of the Prometheus text exposition format 0.0.4: every
# line is a HELP, a TYPE or a sample; each family's HELP and TYPE come once,
# before its samples, whose lines are contiguous; names and labels follow the
# grammar; label values use only the three escapes; no series repeats;
# counters end in _total; histogram buckets rise in le, are cumulative and
# end in +Inf equal to _count, with a _sum. Prints "family=total" of the
# zcrypto_bytes_total samples per pid and the number of families.
import math, re, sys
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r'"((?:[^"\\\n]|\\\\|\\"|\\n)*)"'
sample_re = re.compile(rf"^({NAME})(?:\{{((?:{LABEL}={VALUE})(?:,{LABEL}={VALUE})*)?\}})? (\S+)$")
pair_re = re.compile(rf"({LABEL})={VALUE}")
text = sys.stdin.read()
assert text.endswith("\n"), "no final newline"
help_, type_, done, cur, seen = {}, {}, set(), None, set()
series = {}
def family(name):
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and type_.get(name[: -len(suf)]) == "histogram":
            return name[: -len(suf)]
    return name
for n, line in enumerate(text.splitlines(), 1):
    where = f"line {n}: {line!r}"
    if line.startswith("# HELP "):
        name, _, doc = line[7:].partition(" ")
        assert re.fullmatch(NAME, name) and doc, where
        assert name not in help_ and name not in done, "HELP twice " + where
        help_[name] = doc
        continue
    if line.startswith("# TYPE "):
        name, _, t = line[7:].partition(" ")
        assert t in ("counter", "gauge", "histogram", "summary", "untyped"), where
        assert name not in type_ and name not in done, "TYPE twice " + where
        assert name in help_, "TYPE before HELP " + where
        type_[name] = t
        continue
    assert not line.startswith("#") and line.strip() == line and line, where
    m = sample_re.match(line)
    assert m, "bad sample " + where
    name, labels, value = m.group(1), m.group(2) or "", line.rsplit(" ", 1)[1]
    fam = family(name)
    assert fam in type_, "sample before its TYPE " + where
    if fam != cur:
        assert fam not in done, "family not contiguous " + where
        if cur is not None:
            done.add(cur)
        cur = fam
    lab = dict((k, v) for k, v, *_ in [(p.group(1), p.group(2)) for p in pair_re.finditer(labels)])
    assert len(lab) == len(pair_re.findall(labels)), "label twice " + where
    v = float(value)
    assert not math.isnan(v), where
    key = (name, tuple(sorted(lab.items())))
    assert key not in seen, "series twice " + where
    seen.add(key)
    if type_[fam] == "counter":
        assert fam.endswith("_total") and v >= 0, where
    series.setdefault(fam, []).append((name, lab, v))
for fam, t in type_.items():
    if t != "histogram":
        continue
    groups = {}
    for name, lab, v in series.get(fam, []):
        base = tuple(sorted((k, x) for k, x in lab.items() if k != "le"))
        groups.setdefault(base, {"b": [], "sum": None, "count": None})
        g = groups[base]
        if name.endswith("_bucket"):
            le = lab["le"]
            g["b"].append((math.inf if le == "+Inf" else float(le), v))
        elif name.endswith("_sum"):
            g["sum"] = v
        else:
            g["count"] = v
    for base, g in groups.items():
        les = [le for le, _ in g["b"]]
        assert les == sorted(les) and len(set(les)) == len(les), f"{fam} le order {base}"
        assert les[-1] == math.inf, f"{fam} no +Inf {base}"
        counts = [c for _, c in g["b"]]
        assert counts == sorted(counts), f"{fam} not cumulative {base}"
        assert g["count"] == counts[-1] and g["sum"] is not None, f"{fam} count/sum {base}"
for need in ("zcrypto_ops_total", "zcrypto_bytes_total", "zcrypto_tag_failures_total",
             "zcrypto_errors_total", "zcrypto_message_latency_seconds", "zcrypto_async_batch_size",
             "zcrypto_async_offloaded_total", "zcrypto_served", "zcrypto_info"):
    assert need in type_, "missing " + need
by_pid = {}
for name, lab, v in series["zcrypto_bytes_total"]:
    assert set(lab) == {"pid", "alg", "backend"}, lab
    if lab["alg"] == sys.argv[1]:
        by_pid[lab["pid"]] = by_pid.get(lab["pid"], 0) + v
print(" ".join(f"{p}={int(v)}" for p, v in sorted(by_pid.items())), len(type_))
PY
prom=$("$stat_bin" --dir "$tmp/live" --prometheus 2>>"$tmp/stat.err")
psum=0
if res=$(python3 "$tmp/promcheck.py" "$alg" <<<"$prom" 2>&1); then
    for w in $workers; do
        v=$(tr ' ' '\n' <<<"$res" | sed -n "s/^$w=//p")
        psum=$((psum + ${v:-0}))
    done
fi
if [ "$psum" -eq "$sum" ]; then
    ok "--prometheus parses strictly; workers' zcrypto_bytes_total agrees with --json ($res families)"
else
    bad "--prometheus: $res"
fi
lport=$(zc_free_port)
"$stat_bin" --dir "$tmp/live" --listen "$lport" 2>"$tmp/listen.err" &
listen_pid=$!
scraped=""
for _ in $(seq 50); do
    scraped=$(curl -sS --max-time 5 "http://127.0.0.1:$lport/metrics" 2>/dev/null) && [ -n "$scraped" ] && break
    sleep 0.1
done
if res=$(python3 "$tmp/promcheck.py" "$alg" <<<"$scraped" 2>&1) && grep -q "127.0.0.1:$lport" "$tmp/listen.err" \
    && ! curl -s --max-time 2 -o /dev/null "http://127.0.0.2:$lport/metrics" 2>/dev/null; then
    ok "--listen $lport: loopback only, the scrape parses strictly ($res)"
else
    bad "--listen: $res; $(cat "$tmp/listen.err")"
fi
kill "$listen_pid" 2>/dev/null; wait "$listen_pid" 2>/dev/null; listen_pid=""
for a in "1.2.3.4.5:80" "127.0.0.1:0" "localhost:9100" "127.0.0.1:99999" "[::1]9100"; do
    out=$("$stat_bin" --dir "$tmp/live" --listen "$a" 2>&1); rc=$?
    if [ $rc -eq 2 ] && grep -q "expected PORT" <<<"$out"; then ok "--listen '$a' refused clearly"
    else bad "--listen '$a': rc $rc: $out"; fi
done

# ---------------------------------------------------------------- hostile segments
real=$(ls "$tmp"/live/zcrypto.* | head -1)
head -c 100 "$real" > "$tmp/live/zcrypto.$$.901"                       # truncated
{ printf 'XXXXXXXX'; tail -c +9 "$real"; } > "$tmp/live/zcrypto.$$.902"  # bad magic
python3 - "$real" "$tmp/live/zcrypto.$$.903" <<'PY'                  # huge shard count
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", b, 28, 0xffffffff)
open(sys.argv[2], "wb").write(b)
PY
cp "$real" "$tmp/live/zcrypto.$$.904"                                   # pid not its name's
head -c 4096 /dev/urandom >> "$tmp/live/zcrypto.$$.904"
ln -s "$real" "$tmp/live/zcrypto.$$.905"                                # a symlink
out=$("$stat_bin" --dir "$tmp/live" --json 2>"$tmp/hostile.err"); rc=$?
nbad=$(grep -c "skipping $tmp/live/zcrypto.$$.90" "$tmp/hostile.err")
if [ $rc -eq 0 ] && [ "$nbad" -eq 5 ] \
    && [ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$out")" -ge 2 ]; then
    ok "5 hostile segments reported and skipped, live ones still listed"
else
    bad "hostile segments: rc $rc, $nbad reported: $(cat "$tmp/hostile.err")"
fi
rm -f "$tmp"/live/zcrypto.$$.90*

# ---------------------------------------------------------------- a killed worker
victim=${workers%% *}
kill -9 "$victim"
for _ in $(seq 50); do kill -0 "$victim" 2>/dev/null || break; sleep 0.1; done
ls "$tmp"/live/zcrypto."$victim".* >/dev/null 2>&1 || bad "killed worker left no segment to clean"
"$stat_bin" --dir "$tmp/live" --json >/dev/null 2>"$tmp/kill.err"
if ! ls "$tmp"/live/zcrypto."$victim".* >/dev/null 2>&1 && grep -q "process $victim is gone" "$tmp/kill.err"; then
    ok "the killed worker's segment was removed and reported"
else
    bad "killed worker's segment: $(ls "$tmp/live") $(cat "$tmp/kill.err")"
fi

# ---------------------------------------------------------------- exit
stop_all
left=$(ls "$tmp"/live/ 2>/dev/null | grep -c zcrypto.)
[ "$left" -eq 0 ] && ok "segments removed at normal exit" || bad "left after exit: $(ls "$tmp/live")"
if [ "$worker_user" = nobody ]; then
    if grep -q "stats_file: cannot write $tmp/rootonly/nginx-%p.json.*uid $(id -u nobody)" "$tmp/error.log" \
        && grep -q "stats_file: cannot write.*uid $(id -u nobody)" "$tmp/audit.log"; then
        ok "workers as nobody report the stats_file they cannot write (error log and audit log)"
    else
        bad "stats_file failure not reported: $(grep zcrypto "$tmp/error.log" | head -3); audit: $(cat "$tmp/audit.log" 2>/dev/null | head -3)"
    fi
fi
grep -v -e 'skipping' -e 'removed' "$tmp/stat.err" | grep . && bad "zcrypto-stat complained: $(cat "$tmp/stat.err")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
