/*
 * The audit log: security-relevant events (a backend switched off by its
 * self-test, config errors, the offload engine's circuit breaker, bursts of
 * tag failures counted per interval, failures to publish counters) to
 * syslog or a file, rate-limited so that a flood of bad records cannot
 * fill a disk. Process-wide; the provider configures it from audit_log.
 */
#ifndef ZC_AUDIT_H
#define ZC_AUDIT_H

typedef enum zc_audit_kind {
    ZC_AUDIT_SYSLOG = 0,        /* the default */
    ZC_AUDIT_FILE,
    ZC_AUDIT_OFF
} zc_audit_kind;

/* At most this many lines per interval; the rest are counted, and the
 * count is logged when the next interval opens. */
#define ZC_AUDIT_BURST 20u
#define ZC_AUDIT_INTERVAL_S 10u
/* A file stops growing here. */
#define ZC_AUDIT_FILE_MAX (16u << 20)

/* Opens path now (before a server drops privileges, so its workers keep
 * writing through the inherited descriptor). Returns 0 if it cannot. */
int zc_audit_configure(zc_audit_kind kind, const char *path);

void zc_audit_event(const char *event, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* From the tag-failure path: one line per interval with the count. */
void zc_audit_tag_failure(const char *alg);

#endif
