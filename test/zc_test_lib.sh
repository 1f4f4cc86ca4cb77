# Shared by the shell tests (sourced, not run).

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
