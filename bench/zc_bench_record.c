/*
 * zc_bench's compact report (--compact, used for the TLS-record-shape table
 * of ./run.sh bench): one line per cell with the best round of each
 * provider. The best round, not the mean, because on a shared machine a
 * neighbour can only ever slow a round down; both providers take turns in
 * every round, so each had the same chances at a quiet one.
 */
#include <stdio.h>
#include "zc_bench.h"

double zb_best_ratio(const zb_row *r)
{
    const double d = r->res[ZB_DEFAULT].best_mbps;

    return r->served && d > 0 ? r->res[ZB_ZCRYPTO].best_mbps / d : 0;
}

void zb_compact_header(void)
{
    printf("%-17s %-3s %6s %13s %13s %7s\n", "alg", "dir", "size", "default MB/s",
           "zcrypto MB/s", "zc/def");
}

void zb_compact_row(const char *alg, const zb_row *r)
{
    if (!r->served)
        printf("%-17s %-3s %6zu   not served by zcrypto\n", alg, r->enc ? "enc" : "dec",
               r->size);
    else
        printf("%-17s %-3s %6zu %13.1f %13.1f %6.2fx\n", alg, r->enc ? "enc" : "dec",
               r->size, r->res[ZB_DEFAULT].best_mbps, r->res[ZB_ZCRYPTO].best_mbps,
               zb_best_ratio(r));
    fflush(stdout);
}

/* Rows zcrypto does not serve stay in, with empty figures: the plot skips them. */
int zb_record_csv(FILE *f, const char *const *algs, const char *backend,
                  const zb_row *rows, size_t nrows)
{
    fprintf(f, "alg,dir,size,default_mbps,zcrypto_mbps,ratio,served,backend\n");
    for (size_t i = 0; i < nrows; i++) {
        const zb_row *r = &rows[i];

        if (r->served)
            fprintf(f, "%s,%s,%zu,%.1f,%.1f,%.3f,1,%s\n", algs[r->alg], r->enc ? "enc" : "dec",
                    r->size, r->res[ZB_DEFAULT].best_mbps, r->res[ZB_ZCRYPTO].best_mbps,
                    zb_best_ratio(r), backend);
        else
            fprintf(f, "%s,%s,%zu,,,,0,%s\n", algs[r->alg], r->enc ? "enc" : "dec", r->size,
                    backend);
    }
    return ferror(f) == 0;
}
