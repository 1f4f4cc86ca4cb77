/*
 * zcrypto-stat: reads the live segments of running processes (obs/zc_live.h)
 * and shows them as a table, JSON or Prometheus text.
 */
#ifndef ZC_STAT_H
#define ZC_STAT_H

#include <stdio.h>
#include "zc_live.h"

typedef struct zc_stat_proc {
    char file[512];
    zc_live_view v;
} zc_stat_proc;

typedef struct zc_stat_set {
    zc_stat_proc *p;
    size_t n, cap;
} zc_stat_set;

/* Reads every segment in dir (pid < 0: all pids). Stale segments (their
 * process is gone) are removed, bad ones reported on stderr and skipped. */
int zc_stat_collect(const char *dir, long pid, zc_stat_set *out);
void zc_stat_set_free(zc_stat_set *s);

/* zc_stat_prom.c */
void zc_stat_prometheus(FILE *f, const zc_stat_set *s);
/* Serves the Prometheus text on addr ("PORT", "IP:PORT", "[IPv6]:PORT")
 * until killed; returns an exit status on error. */
int zc_stat_listen(const char *addr, const char *dir, long pid);

#endif
