# The pipeline plot (run by bench/pipeline_bench.sh):
#   gnuplot -e "csv='bench/out/pipeline.csv'; env='bench/out/pipeline-env.txt'; out='bench/out/pipeline.png'" bench/pipeline.gp
# Left: AES-256-GCM, right: ChaCha20-Poly1305, encrypt. Thick lines: zcrypto's
# pipeline API over the default provider's per-packet loop, one colour per
# lane count (packets per call). Thin: zcrypto's per-packet loop over the
# default's (the same at every lane count: 16 lanes shown), so the gain of
# the API and of zcrypto's code are each visible.
#
# pipeline.csv: alg,dir,size,lanes,default_mbps,zc_pkt_mbps,zc_pipe_mbps,
#               pipe_vs_default,pipe_vs_zc_pkt,zc_pkt_vs_default,backend

if (!exists("csv")) csv = "bench/out/pipeline.csv"
if (!exists("env")) env = "bench/out/pipeline-env.txt"
if (!exists("out")) out = "bench/out/pipeline.png"

set datafile separator ","
set terminal png size 1200,520 font "DejaVuSans,9" noenhanced
set output out
set logscale x 2
set xrange [48:5500]
set xtics ("64" 64, "256" 256, "1200" 1200, "4K" 4096)
set grid xtics ytics lc rgb "#dddddd"
set key top right box opaque samplen 3
set yrange [0:*]
set format y "%.1fx"
set xlabel "packet size, bytes"
set ylabel "throughput / default provider per packet"

backend = system(sprintf("awk -F, 'NR > 1 { print $11; exit }' '%s'", csv))
ossl = system(sprintf("sed -n 's/^openssl: *\\([^(]*[^ (]\\).*/\\1/p' '%s'", env))
machine = system("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1")

lanes = "1 4 8 16 32"
colours = "#999999 #1f9f3f #1f5fbf #8a2be2 #c8321e"
# One series: the rows of algorithm a, encrypt, l lanes (a filter, so the
# points of a series are consecutive and joined).
rows(a, l) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"enc\" && $4 == %s' '%s'", a, l, csv)

set multiplot layout 1,2 title sprintf("Bursts under one key, 13 B AAD, in place: zcrypto backend %s vs default provider (%s, %s)", backend, ossl, machine)
do for [a in "AES-256-GCM ChaCha20-Poly1305"] {
    set title a." encrypt"
    plot for [i = 1:words(lanes)] rows(a, word(lanes, i)) using 3:8 \
             w lp lc rgb word(colours, i) lw 2 pt 7 ps 1 t "pipeline, ".word(lanes, i)." lanes", \
         rows(a, "16") using 3:10 w lp lc rgb "black" lw 1 pt 6 ps 1 t "zcrypto per packet", \
         1 w l lc rgb "black" lw 1 notitle
}
unset multiplot
unset output
