# The TLS-record-shape plot (run by bench/record_bench.sh):
#   gnuplot -e "csv='bench/out/record.csv'; env='bench/out/record-env.txt'; out='bench/out/record.png'" bench/record.gp
# zcrypto/default throughput (best round of each, zc_bench --record) against
# record size, one colour per algorithm; encrypt thick and filled, decrypt
# thin and open (libgd's png draws no dashes).
#
# record.csv: alg,dir,size,default_mbps,zcrypto_mbps,ratio,served,backend
# Rows zcrypto does not serve have served=0 and no figures: they are skipped.

if (!exists("csv")) csv = "bench/out/record.csv"
if (!exists("env")) env = "bench/out/record-env.txt"
if (!exists("out")) out = "bench/out/record.png"

set datafile separator ","
set terminal png size 1000,560 font "DejaVuSans,9" noenhanced
set output out
set logscale x 2
set xrange [12:22000]
set xtics ("16" 16, "64" 64, "256" 256, "1420" 1420, "4K" 4096, "16K" 16384)
set grid xtics ytics lc rgb "#dddddd"
set key top left box opaque samplen 3
set yrange [0:*]
set format y "%.1fx"
set xlabel "record size, bytes (data passed to the AEAD per record)"
set ylabel "zcrypto / default throughput"

backend = system(sprintf("awk -F, 'NR > 1 { print $8; exit }' '%s'", csv))
ossl = system(sprintf("sed -n 's/^openssl: *\\([^(]*[^ (]\\).*/\\1/p' '%s'", env))
machine = system("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1")
set title sprintf("TLS 1.3 record shape (IV-only init, 5 B AAD, in place): zcrypto backend %s vs default provider\n%s, %s", \
    backend, ossl, machine)

algs = "AES-128-GCM AES-256-GCM ChaCha20-Poly1305"
colours = "#1f5fbf #8a2be2 #c8321e"
sel(a, d) = (strcol(1) eq a && strcol(2) eq d && strcol(7) eq "1") ? $6 : NaN

plot for [i = 1:words(algs)] csv using 3:(sel(word(algs, i), "enc")) \
         w lp lc rgb word(colours, i) lw 2 pt 7 ps 1 t word(algs, i)." enc", \
     for [i = 1:words(algs)] csv using 3:(sel(word(algs, i), "dec")) \
         w lp lc rgb word(colours, i) lw 1 pt 6 ps 1 t word(algs, i)." dec", \
     1 w l lc rgb "black" lw 1 notitle
unset output
