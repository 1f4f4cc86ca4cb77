# Plots for zc_bench's CSV (run by bench/run_bench.sh):
#   gnuplot -e "csv='out/zc_bench.csv'; ratios='out/ratios.csv'; outdir='out'" bench/plot.gp
# Writes <alg>.png (throughput and p50 latency against size, zcrypto vs the
# default provider, one-shot and streaming) and ratios.png.
#
# zc_bench.csv: provider,backend,alg,mode,dir,size,ops,batch,mbps,p50_ns,p99_ns,mean_ns
# ratios.csv:   alg,mode,dir,size,mbps_ratio,p50_ratio
# Rows of one series are contiguous (zc_bench writes them so): gnuplot breaks
# a line at every filtered-out row, and there are none inside a series.

if (!exists("csv")) csv = "bench/out/zc_bench.csv"
if (!exists("ratios")) ratios = "bench/out/ratios.csv"
if (!exists("outdir")) outdir = "bench/out"

set datafile separator ","
# libgd's png: palette PNGs a quarter the size of pngcairo's (the copies in
# bench/results are committed). It draws no dashes: decrypt gets a lighter
# colour, a thinner line and open points instead.
set terminal png size 1100,760 font "DejaVuSans,9" noenhanced
set logscale x 2
set xrange [12:88000]
set xtics ("16" 16, "64" 64, "256" 256, "1K" 1024, "4K" 4096, "16K" 16384, "64K" 65536)
set grid xtics ytics mytics lc rgb "#dddddd"
set key top left box opaque samplen 3

backend = system(sprintf("awk -F, '$1 == \"zcrypto\" { print $2; exit }' '%s'", csv))
machine = system("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1")
ossl = system("openssl version | cut -d' ' -f1-2")

algs = "AES-128-GCM AES-192-GCM AES-256-GCM ChaCha20-Poly1305"
files = "aes-128-gcm aes-192-gcm aes-256-gcm chacha20-poly1305"
modes = "oneshot stream"
mode_title(m) = m eq "oneshot" ? "one-shot (init + 13 B AAD + data + tag per op)" \
                               : "streaming (one update of <size> per op)"

# Column c of rows matching provider p, alg a, mode m, direction d; NaN elsewhere.
sel(p, a, m, d, c) = (strcol(1) eq p && strcol(3) eq a && strcol(4) eq m \
                      && strcol(5) eq d) ? column(c) : NaN

# Rows of file matching an awk condition: panels without data are skipped
# (gnuplot refuses to plot nothing), e.g. after zc_bench --modes stream.
count(file, cond) = system(sprintf("awk -F, '%s' '%s' | wc -l", cond, file)) + 0
has_mode(a, m) = count(csv, sprintf("$3 == \"%s\" && $4 == \"%s\"", a, m)) > 0

zc = "#1f5fbf"
zc_dec = "#86aee8"
def = "#c8321e"
def_dec = "#eea091"

do for [i = 1:words(algs)] {
    alg = word(algs, i)
    if (count(csv, sprintf("$3 == \"%s\"", alg)) > 0) {
        set output sprintf("%s/%s.png", outdir, word(files, i))
        set multiplot layout 2,2 title sprintf("%s: zcrypto (%s) vs %s default provider, %s", \
            alg, backend, ossl, machine)
        do for [m in modes] {
            if (!has_mode(alg, m)) { set multiplot next; continue }
            set logscale y 10
            set ylabel "throughput, MB/s (10^6 B/s)"
            set format y "%g"
            set xlabel "message size, bytes"
            set title "throughput, ".mode_title(m)
            plot csv using 6:(sel("zcrypto", alg, m, "enc", 9)) w lp lc rgb zc lw 2 pt 7 ps 1 t "zcrypto enc", \
                 csv using 6:(sel("zcrypto", alg, m, "dec", 9)) w lp lc rgb zc_dec lw 1 pt 6 ps 1 t "zcrypto dec", \
                 csv using 6:(sel("default", alg, m, "enc", 9)) w lp lc rgb def lw 2 pt 7 ps 1 t "default enc", \
                 csv using 6:(sel("default", alg, m, "dec", 9)) w lp lc rgb def_dec lw 1 pt 6 ps 1 t "default dec"
        }
        do for [m in modes] {
            if (!has_mode(alg, m)) { set multiplot next; continue }
            set ylabel "p50 latency per op, ns"
            set title "p50 latency, ".mode_title(m)
            plot csv using 6:(sel("zcrypto", alg, m, "enc", 10)) w lp lc rgb zc lw 2 pt 7 ps 1 t "zcrypto enc", \
                 csv using 6:(sel("zcrypto", alg, m, "dec", 10)) w lp lc rgb zc_dec lw 1 pt 6 ps 1 t "zcrypto dec", \
                 csv using 6:(sel("default", alg, m, "enc", 10)) w lp lc rgb def lw 2 pt 7 ps 1 t "default enc", \
                 csv using 6:(sel("default", alg, m, "dec", 10)) w lp lc rgb def_dec lw 1 pt 6 ps 1 t "default dec"
        }
        unset multiplot
        unset output
    }
}

# The ratios: one panel per mode, one colour per algorithm.
rsel(a, m, d) = (strcol(1) eq a && strcol(2) eq m && strcol(3) eq d) ? $5 : NaN
colours = "#1f5fbf #2a9d3a #8a2be2 #c8321e"
set output sprintf("%s/ratios.png", outdir)
set terminal png size 1100,420 font "DejaVuSans,9" noenhanced
set multiplot layout 1,2 title sprintf("zcrypto (%s) / %s default throughput, %s", backend, ossl, machine)
unset logscale y
set format y "%.1fx"
set ylabel "zcrypto / default"
set yrange [0:*]
do for [m in modes] {
    if (count(ratios, sprintf("$2 == \"%s\"", m)) == 0) { set multiplot next; continue }
    set title mode_title(m)
    plot for [i = 1:words(algs)] ratios using 4:(rsel(word(algs, i), m, "enc")) \
             w lp lc rgb word(colours, i) lw 2 pt 7 ps 1 t word(algs, i)." enc", \
         for [i = 1:words(algs)] ratios using 4:(rsel(word(algs, i), m, "dec")) \
             w lp lc rgb word(colours, i) lw 1 pt 6 ps 1 t word(algs, i)." dec", \
         1 w l lc rgb "black" lw 1 notitle
}
unset multiplot
unset output
