# Shared by the shell tests (sourced, not run).

# The Check suites (check_PROGRAMS in Makefile.am), for the side builds
# (ASan, aarch64) that run them outside make check.
ZC_UNIT_TESTS="test_async test_async_faults test_core test_provider test_poly1305 test_gcm_hybrid test_gcm_iv test_health test_live test_pipeline"

# An openssl.cnf that loads default + zcrypto from $ZC_MODULE_DIR and prefers
# zcrypto. $1: backend (auto, portable, ...), $2: stats_file prefix (the file
# is "$2-<pid>.json"), $3: "prefer" (default) or "load-only", $4: more lines
# for zcrypto's section (e.g. "async_min_bytes = 0").
zc_cnf() {
    local backend=$1 stats=$2 mode=${3:-prefer} extra=${4:-}
    cat <<CNF
openssl_conf = init
[init]
providers = prov
$( [ "$mode" = prefer ] && echo "alg_section = algs" )
[prov]
default = dflt
zcrypto = zc
[dflt]
activate = 1
[zc]
module = $ZC_MODULE_DIR/zcrypto.so
activate = 1
backend = $backend
stats_file = $stats-%p.json
$extra
[algs]
default_properties = ?provider=zcrypto
CNF
}

# What `backend = auto` gives on this machine, asked of the real openssl app:
# zc_auto_backend prints the backend it chose; zc_served CNF ALG succeeds
# when zcrypto offers ALG ("AES-256-GCM", "ChaCha20-Poly1305") under the
# config CNF, i.e. when OpenSSL lists it "@ zcrypto".
zc_auto_backend() {
    local cnf
    cnf=$(mktemp)
    zc_cnf auto /dev/null/none load-only > "$cnf"
    OPENSSL_CONF=$cnf openssl list -providers -verbose 2>/dev/null \
        | sed -n 's/.*build info: zcrypto [^;]*; backend \([a-z0-9]*\) .*/\1/p' | head -1
    rm -f "$cnf"
}

zc_served() {
    local cnf=$1 alg=$2
    OPENSSL_CONF=$cnf openssl list -cipher-algorithms 2>/dev/null | grep "@ zcrypto" \
        | grep -qiE "[ {,]$alg([ ,}]|\$)"
}

# The backends an end-to-end test runs: its list ($1, e.g. "auto portable"),
# plus the backend auto picks, by name, when auto leaves any of the TLS
# algorithms to the default provider, so zcrypto's own path is still tested.
zc_test_backends() {
    local backends=$1 auto_backend cnf a
    auto_backend=$(zc_auto_backend)
    cnf=$(mktemp)
    zc_cnf auto /dev/null/none load-only > "$cnf"
    for a in AES-128-GCM AES-256-GCM ChaCha20-Poly1305; do
        if ! zc_served "$cnf" "$a" && [ "$auto_backend" != portable ] \
            && [[ " $backends " != *" $auto_backend "* ]]; then
            backends="$backends $auto_backend"
            break
        fi
    done
    rm -f "$cnf"
    echo "$backends"
}

# Sum of a zcrypto counter over every stats file "$1-*.json".
# $2: algorithm name or "any"; $3: counter (ops, bytes, ...); $4: backend
# name or "auto" for any backend.
zc_stats_sum() {
    python3 - "$1" "${2:-any}" "${3:-bytes}" "${4:-auto}" <<'PY'
import glob, json, sys
prefix, alg, field, backend = sys.argv[1:5]
total = 0
for f in glob.glob(prefix + "-*.json"):
    for e in json.load(open(f))["stats"]:
        if alg in ("any", e["alg"]) and backend in ("auto", e["backend"]):
            total += e[field]
print(total)
PY
}

# The tree's own files (tracked and new, not built ones), NUL-separated: from
# git, or in a copy made without .git (test/debian13.sh) from the list it
# left in .zc-files.
zc_source_files() {
    local src=$1
    if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$src" ls-files -z -co --exclude-standard
    elif [ -f "$src/.zc-files" ]; then
        tr '\n' '\0' < "$src/.zc-files"
    else
        echo "zc_source_files: $src is neither a git checkout nor a copy with .zc-files" >&2
        return 1
    fi
}

# Builds the module and the Check suites in a copy of the tree at $1/src
# (tracked and new files only, so nothing is shared with the host build),
# configured with the remaining arguments; exports ZC_MODULE_DIR and friends
# for it. The configure and make logs stay in $1. $ZC_SIDE_TARGETS replaces
# the list of make targets (default: the module and the Check suites).
zc_side_build() {
    local out=$1 src
    shift
    src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    rm -rf "$out" && mkdir -p "$out/src"
    zc_source_files "$src" | (cd "$src" && tar -c --null -T - -f -) | tar -x -C "$out/src"
    (cd "$out/src" && autoreconf -fi >/dev/null 2>&1 && ./configure "$@" >"$out/configure.out" 2>&1) \
        || { tail -30 "$out/configure.out"; return 1; }
    (cd "$out/src" && make -j"$(nproc)" ${ZC_SIDE_TARGETS:-zcrypto.la $(printf "test/%s " $ZC_UNIT_TESTS)} >"$out/make.out" 2>&1) \
        || { tail -40 "$out/make.out"; return 1; }
    export ZC_MODULE_DIR=$out/src/.libs ZC_SRCDIR=$out/src ZC_BUILDDIR=$out/src
}

# A throwaway CA ($1/ca.pem) and a certificate for localhost and 127.0.0.1
# it signs ($1/srv.pem, key $1/srv.key), for the TLS server tests.
zc_test_certs() {
    local d=$1
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=zcrypto-test-ca \
        -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$d/srv.key" \
        -out "$d/srv.csr" 2>/dev/null || return 1
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$d/san.ext"
    openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 1 -extfile "$d/san.ext" -out "$d/srv.pem" 2>/dev/null
}

zc_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# nginx.conf (on stdout) for one TLS server on 127.0.0.1, from key=value
# arguments: dir= (pid file and error log), listen= (port, and options such
# as reuseport), workers= (default 1), cert= and key=, server= (lines in the
# server block: protocols, ciphers, root, locations), http= (lines in http
# before it), after= (lines in http after it: another server), log= (error
# log level, default warn), user= (default "user root;" when run as root,
# so workers can read the test's files; "" for none).
zc_nginx_conf() {
    local dir="" listen="" workers=1 cert="" key="" server="" http="" after="" log=warn kv
    local user=""
    [ "$(id -u)" = 0 ] && user="user root;"
    for kv in "$@"; do
        case $kv in
        dir=* | listen=* | workers=* | cert=* | key=* | server=* | http=* | after=* | log=* | user=*)
            printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
        *) echo "zc_nginx_conf: unknown argument ${kv%%=*}" >&2; return 2 ;;
        esac
    done
    cat <<NGX
$user
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/error.log $log;
env OPENSSL_CONF;
events { worker_connections 512; }
http {
    access_log off;
$http
    server {
        listen 127.0.0.1:$listen ssl;
        ssl_certificate $cert;
        ssl_certificate_key $key;
$server
    }
$after
}
NGX
}

# Stops the nginx master $1 (started in the background by the caller):
# graceful first, killed after 10 s.
zc_stop_nginx() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -QUIT "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
