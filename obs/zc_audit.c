#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/stat.h>
#include "zc_audit.h"

static pthread_mutex_t zc_audit_lock = PTHREAD_MUTEX_INITIALIZER;
static zc_audit_kind zc_audit_kind_now = ZC_AUDIT_SYSLOG;
static int zc_audit_fd = -1;
static uint64_t zc_audit_window;        /* interval number of the window */
static unsigned zc_audit_lines;         /* written in this window */
static unsigned long zc_audit_dropped;  /* suppressed in earlier windows */
/* Tag failures: counted without the lock, reported once per interval. */
static unsigned long zc_audit_tagf;
static uint64_t zc_audit_tagf_window;

static uint64_t zc_audit_interval_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec / ZC_AUDIT_INTERVAL_S;
}

int zc_audit_configure(zc_audit_kind kind, const char *path)
{
    int fd = -1;

    if (kind == ZC_AUDIT_FILE
        && (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
        return 0;
    pthread_mutex_lock(&zc_audit_lock);
    if (zc_audit_fd >= 0)
        close(zc_audit_fd);
    zc_audit_fd = fd;
    zc_audit_kind_now = kind;
    pthread_mutex_unlock(&zc_audit_lock);
    return 1;
}

/* Called with the lock held. */
static void zc_audit_write(const char *line)
{
    char buf[640];
    struct stat st;
    int n;

    if (zc_audit_kind_now == ZC_AUDIT_SYSLOG) {
        /* No openlog: the application's ident and facility stay its own. */
        syslog(LOG_AUTH | LOG_WARNING, "zcrypto[%ld]: %s", (long)getpid(), line);
        return;
    }
    if (zc_audit_fd < 0 || fstat(zc_audit_fd, &st) != 0 || st.st_size >= ZC_AUDIT_FILE_MAX)
        return;
    n = snprintf(buf, sizeof(buf), "%lld zcrypto[%ld]: %s\n", (long long)time(NULL),
                 (long)getpid(), line);
    if (n > 0)
        (void)!write(zc_audit_fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void zc_audit_emit(const char *line)
{
    uint64_t w = zc_audit_interval_now();

    pthread_mutex_lock(&zc_audit_lock);
    if (zc_audit_kind_now == ZC_AUDIT_OFF)
        goto done;
    if (w != zc_audit_window) {
        zc_audit_window = w;
        zc_audit_lines = 0;
        if (zc_audit_dropped != 0) {
            char note[96];

            snprintf(note, sizeof(note), "rate limit: %lu audit events suppressed",
                     zc_audit_dropped);
            zc_audit_dropped = 0;
            zc_audit_write(note);
            zc_audit_lines++;
        }
    }
    if (zc_audit_lines >= ZC_AUDIT_BURST) {
        zc_audit_dropped++;
        goto done;
    }
    zc_audit_lines++;
    zc_audit_write(line);
done:
    pthread_mutex_unlock(&zc_audit_lock);
}

void zc_audit_event(const char *event, const char *fmt, ...)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "%s: ", event);
    va_list ap;

    if (n < 0 || (size_t)n >= sizeof(msg))
        return;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One line per event, whatever the text held. */
    for (char *p = msg; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    zc_audit_emit(msg);
}

void zc_audit_tag_failure(const char *alg)
{
    uint64_t w = zc_audit_interval_now();
    uint64_t seen = __atomic_load_n(&zc_audit_tagf_window, __ATOMIC_RELAXED);
    unsigned long n;

    __atomic_fetch_add(&zc_audit_tagf, 1, __ATOMIC_RELAXED);
    /* The first failure of a new interval reports the previous ones. */
    if (w == seen
        || !__atomic_compare_exchange_n(&zc_audit_tagf_window, &seen, w, 0,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    n = __atomic_exchange_n(&zc_audit_tagf, 0, __ATOMIC_RELAXED);
    zc_audit_event("tag failures", "%lu authentication failures (last on %s) since the "
                   "previous report (interval %us)", n, alg, ZC_AUDIT_INTERVAL_S);
}
