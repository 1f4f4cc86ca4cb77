# The nginx bar plot (run by bench/nginx_wrk.sh):
#   gnuplot -e "csv='bench/out/nginx-summary.csv'; out='bench/out/nginx.png'; backend='avx512'" bench/nginx.gp
# Four panels, default provider red, zcrypto blue, best round of each, the
# ratio (above 1: zcrypto better) under each suite's name: requests/s and
# worker CPU per request for 1 KiB responses; MB/s and worker CPU per GiB for
# 16 MiB downloads.
#
# nginx-summary.csv: suite,metric,default,zcrypto,ratio (metric rps,
# cpu_us_per_req, dl_mbps, cpu_s_per_gib, user_s_per_gib, sys_s_per_gib)

if (!exists("csv")) csv = "bench/out/nginx-summary.csv"
if (!exists("out")) out = "bench/out/nginx.png"
if (!exists("backend")) backend = "?"

set datafile separator ","
set terminal png size 1100,760 font "DejaVuSans,9" noenhanced
set output out
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics lc rgb "#dddddd"
set key top right box opaque
set yrange [0:*]
set offsets 0, 0, graph 0.15, 0
set bmargin 4

ossl = system("openssl version | cut -d' ' -f1-2")
nginx = system("nginx -v 2>&1 | sed 's/.*: //'")
machine = system("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1")
# The metric's rows, the suite shortened to its AEAD (TLS_AES_256_GCM_SHA384 -> AES_256_GCM).
rows(m) = sprintf("< awk -F, -v OFS=, '$2 == \"%s\" { sub(/^TLS_/, \"\", $1); sub(/_SHA[0-9]+$/, \"\", $1); print }' '%s'", m, csv)
tic(s, r) = sprintf("%s\n%.2fx", s, r)

set multiplot layout 2,2 title sprintf("%s, TLS 1.3, 1 worker, wrk: %s default provider vs zcrypto (%s), %s", \
    nginx, ossl, backend, machine)
set title "1 KiB responses, 16 keep-alive connections: requests/s (higher is better)"
set ylabel "requests/s"
plot rows("rps") using 3:xtic(tic(strcol(1), $5)) lc rgb "#c8321e" t "default", \
     "" using 4 lc rgb "#1f5fbf" t "zcrypto"
set title "1 KiB responses: nginx worker CPU per request (lower is better)"
set ylabel "CPU microseconds per request (utime + stime)"
plot rows("cpu_us_per_req") using 3:xtic(tic(strcol(1), $5)) lc rgb "#c8321e" t "default", \
     "" using 4 lc rgb "#1f5fbf" t "zcrypto"
set title "16 MiB downloads, 2 connections: MB/s (higher is better)"
set ylabel "MB/s (10^6 B/s)"
plot rows("dl_mbps") using 3:xtic(tic(strcol(1), $5)) lc rgb "#c8321e" t "default", \
     "" using 4 lc rgb "#1f5fbf" t "zcrypto"
set title "16 MiB downloads: nginx worker CPU per GiB (lower is better)"
set ylabel "CPU seconds per GiB (utime + stime)"
set format y "%.2f"
plot rows("cpu_s_per_gib") using 3:xtic(tic(strcol(1), $5)) lc rgb "#c8321e" t "default", \
     "" using 4 lc rgb "#1f5fbf" t "zcrypto"
unset multiplot
unset output
