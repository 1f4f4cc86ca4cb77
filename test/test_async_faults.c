/*
 * The offload engine when things go wrong, driven through real ASYNC_JOBs:
 * a stalled engine (every request times out and runs inline), requests
 * that keep missing their deadline (the circuit breaker opens and closes,
 * audited), refused submits (retried with backoff, then inline), and
 * worker threads that exit or get stuck (the watchdog replaces them,
 * audited, and no thread is left behind). Every output must still equal
 * the default provider's.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "zc_async_util.h"

/* The engine takes nothing while stalled: every request must time out and
 * be done inline, correctly, without the app hanging. */
START_TEST(test_async_timeout)
{
    OSSL_LIB_CTX *lc = zc_async_libctx(zc_backend_of(_i), "op_timeout_us = 20000\n");
    zc_work w = { lc, 2, NULL };
    zc_job jobs[4] = { 0 };
    const char *err;

    ck_assert_ptr_nonnull(lc);
    zc_stall(lc, 1);
    zc_jobs_init(jobs, 4, zc_job_messages, &w);
    err = zc_jobs_run(jobs, 4, 0, 60000);
    ck_assert_msg(err == NULL, "%s", err);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(jobs[i].failures == 0, "job %d: %d wrong messages", i, jobs[i].failures);
    ck_assert_msg(zc_util_async_stat(lc, "timeouts") > 0, "no request timed out");
    zc_stall(lc, 0);
    zc_jobs_free(jobs, 4);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* Every request sits 40 ms in the engine (fault hook), twice op_timeout_us:
 * they all expire, the breaker opens, and both its opening and its closing
 * reach the audit log with their reason and counts. */
START_TEST(test_async_breaker_audit)
{
    char cfg[512], log[400], line[512];
    OSSL_LIB_CTX *lc;
    zc_work w = { NULL, 2, NULL };
    zc_job jobs[4];
    const char *err;
    int opened = 0, closed = 0;
    FILE *f;

    snprintf(log, sizeof(log), "%s/zc-audit-breaker.%ld.log",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    unlink(log);
    snprintf(cfg, sizeof(cfg), "op_timeout_us = 20000\naudit_log = %s\n", log);
    setenv("ZC_TEST_ASYNC_FAULTS", "slow=1:40000", 1);
    w.lc = lc = zc_async_libctx(zc_backend_of(_i), cfg);
    ck_assert_ptr_nonnull(lc);
    /* Rounds until more requests in a row expired than the breaker takes. */
    for (int round = 0; round < 8 && zc_util_async_stat(lc, "breaker_trips") == 0; round++) {
        memset(jobs, 0, sizeof(jobs));
        zc_jobs_init(jobs, 4, zc_job_messages, &w);
        err = zc_jobs_run(jobs, 4, 0, 60000);
        ck_assert_msg(err == NULL, "%s", err);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(jobs[i].failures == 0, "job %d: %d wrong messages", i,
                          jobs[i].failures);
        zc_jobs_free(jobs, 4);
        usleep(200000);     /* the engine drains its ring: the next round offloads */
    }
    ck_assert_msg(zc_util_async_stat(lc, "timeouts") > 0, "no request timed out");
    unsetenv("ZC_TEST_ASYNC_FAULTS");
    ck_assert_msg(zc_util_async_stat(lc, "breaker_trips") > 0, "the breaker never opened");
    zc_stall(lc, 1);
    zc_stall(lc, 0);
    ck_assert_ptr_nonnull(f = fopen(log, "r"));
    while (fgets(line, sizeof(line), f) != NULL) {
        opened += strstr(line, "circuit breaker: opened (trip ") != NULL
                  && strstr(line, "missed op_timeout_us (20000 us)") != NULL;
        closed += strstr(line, "circuit breaker: closed (") != NULL
                  && strstr(line, "after trip ") != NULL;
    }
    fclose(f);
    unlink(log);
    ck_assert_msg(opened > 0 && closed > 0, "audit log: %d opened, %d closed lines", opened,
                  closed);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* The engine's fault hook refuses submits (a transient failure, as a full
 * queue): with retries each refused one is retried after a backoff and
 * still offloaded; with none left it runs inline. Output always right. */
START_TEST(test_async_retry_backoff)
{
    static const struct { const char *cfg; int refuse; } run[] = {
        { "retry_max = 3\nretry_backoff_us = 2\n", 1 },
        { "retry_max = 0\n", 1000000 },
    };

    for (int k = 0; k < 2; k++) {
        OSSL_LIB_CTX *lc = zc_async_libctx(zc_backend_of(_i), run[k].cfg);
        zc_work w = { lc, 2, NULL };
        zc_job jobs[4] = { 0 };
        const char *err;

        ck_assert_ptr_nonnull(lc);
        zc_stall(lc, -run[k].refuse);
        zc_jobs_init(jobs, 4, zc_job_messages, &w);
        err = zc_jobs_run(jobs, 4, 0, 60000);
        ck_assert_msg(err == NULL, "%s", err);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(jobs[i].failures == 0, "job %d: %d wrong messages", i, jobs[i].failures);
        if (k == 0) {
            ck_assert_uint_ge(zc_util_async_stat(lc, "retries"), 1);
            ck_assert_uint_eq(zc_util_async_stat(lc, "retry_giveups"), 0);
            ck_assert_uint_gt(zc_util_async_stat(lc, "offloaded"), 0);
        } else {
            ck_assert_uint_eq(zc_util_async_stat(lc, "retries"), 0);
            ck_assert_uint_gt(zc_util_async_stat(lc, "retry_giveups"), 0);
            ck_assert_uint_eq(zc_util_async_stat(lc, "offloaded"), 0);
            ck_assert_uint_ge(zc_util_async_stat(lc, "inline_busy"),
                              zc_util_async_stat(lc, "retry_giveups"));
        }
        zc_stall(lc, 0);
        zc_jobs_free(jobs, 4);
        OSSL_LIB_CTX_free(lc);
    }
}
END_TEST

/*
 * This process's zcrypto threads (named zc-offload and zc-watchdog), and
 * their tids in names for a failure message. Counted by name: sanitizer
 * runtimes start threads of their own.
 */
static int zc_engine_threads(char *names, size_t len)
{
    size_t pos = 0;
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;

    names[0] = '\0';
    while (d != NULL && (de = readdir(d)) != NULL) {
        char path[300], comm[64] = "";
        FILE *f;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
        if ((f = fopen(path, "r")) != NULL) {
            if (fgets(comm, sizeof(comm), f) != NULL)
                comm[strcspn(comm, "\n")] = '\0';
            fclose(f);
        }
        if (strncmp(comm, "zc-", 3) != 0)
            continue;
        n++;
        if (pos < len)
            pos += (size_t)snprintf(names + pos, len - pos, " %s(%s)", de->d_name, comm);
    }
    if (d != NULL)
        closedir(d);
    return n;
}

/* Unloads lc; then no zcrypto thread may be left (a joined thread leaves
 * /proc a moment after: wait up to 2 s). */
static void zc_unload_leaves_no_thread(OSSL_LIB_CTX *lc)
{
    char names[512];
    int n = zc_engine_threads(names, sizeof(names));

    ck_assert_msg(n >= 2, "the engine's threads are not visible (%d:%s)", n, names);
    OSSL_LIB_CTX_free(lc);
    for (int ms = 0; ms < 2000 && zc_engine_threads(names, sizeof(names)) > 0; ms += 10)
        usleep(10000);
    ck_assert_msg(zc_engine_threads(names, sizeof(names)) == 0,
                  "zcrypto threads left after unload:%s", names);
}

/* Lines of the audit log at path containing both a and b. */
static int zc_audit_lines(const char *path, const char *a, const char *b)
{
    char line[512];
    int n = 0;
    FILE *f = fopen(path, "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, a) != NULL && strstr(line, b) != NULL;
    if (f != NULL)
        fclose(f);
    return n;
}

/*
 * Rounds of jobs under the engine fault faults, in a provider whose audit
 * log is log, until counter is non-zero (at most 6 rounds). Every message
 * must come out right; returns the libctx, still loaded.
 */
static OSSL_LIB_CTX *zc_fault_rounds(int backend, const char *faults, const char *log,
                                     const char *counter)
{
    char cfg[512];
    OSSL_LIB_CTX *lc;

    snprintf(cfg, sizeof(cfg), "op_timeout_us = 20000\naudit_log = %s\n", log);
    setenv("ZC_TEST_ASYNC_FAULTS", faults, 1);
    lc = zc_async_libctx(zc_backend_of(backend), cfg);
    ck_assert_ptr_nonnull(lc);
    for (int round = 0; round < 6 && zc_util_async_stat(lc, counter) == 0; round++) {
        ck_assert_int_eq(zc_run_batch_of_jobs(lc, 8, 3), 0);
        usleep(300000);     /* a watchdog period: it finds the worker */
    }
    unsetenv("ZC_TEST_ASYNC_FAULTS");
    return lc;
}

static void zc_audit_path(char *buf, size_t len, const char *what)
{
    snprintf(buf, len, "%s/zc-audit-%s.%ld.log",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", what, (long)getpid());
    unlink(buf);
}

/*
 * A worker thread exits holding a request it never started (fault hook:
 * every 5th request a worker takes). The watchdog joins it and starts a
 * new one; the orphaned request expires and its owner runs it inline.
 * The engine keeps completing work, and unloading leaves no thread.
 */
START_TEST(test_async_worker_exited)
{
    char log[400];
    OSSL_LIB_CTX *lc;
    uint64_t done;

    zc_audit_path(log, sizeof(log), "exited");
    lc = zc_fault_rounds(_i, "die=5", log, "workers_died");
    ck_assert_uint_gt(zc_util_async_stat(lc, "injected_deaths"), 0);
    ck_assert_msg(zc_util_async_stat(lc, "workers_died") > 0, "no exited worker was replaced");
    ck_assert_uint_gt(zc_util_async_stat(lc, "timeouts"), 0);
    done = zc_util_async_stat(lc, "engine_completed");
    usleep(300000);
    ck_assert_int_eq(zc_run_batch_of_jobs(lc, 8, 3), 0);
    ck_assert_msg(zc_util_async_stat(lc, "engine_completed") > done,
                  "the engine completed nothing after its worker was replaced");
    zc_unload_leaves_no_thread(lc);
    ck_assert_msg(zc_audit_lines(log, "offload engine: worker ", " exited (limit ") > 0,
                  "no audit line for the replaced worker");
    unlink(log);
}
END_TEST

/*
 * A worker sits 600 ms on a request it has not started (fault hook: every
 * 4th request a worker takes), past the hang limit (100 ms here): the
 * watchdog gives its slot to a new thread and expires the request, whose
 * owner runs it inline. The stuck thread, back, finds its slot gone and
 * leaves; unloading waits for it, so no thread is left behind.
 */
START_TEST(test_async_worker_stuck)
{
    char log[400];
    OSSL_LIB_CTX *lc;

    zc_audit_path(log, sizeof(log), "stuck");
    lc = zc_fault_rounds(_i, "hang=4:600", log, "workers_hung");
    ck_assert_uint_gt(zc_util_async_stat(lc, "injected_hangs"), 0);
    ck_assert_msg(zc_util_async_stat(lc, "workers_hung") > 0, "no stuck worker was replaced");
    ck_assert_uint_gt(zc_util_async_stat(lc, "timeouts"), 0);
    ck_assert_uint_eq(zc_util_async_stat(lc, "workers_died"), 0);
    zc_unload_leaves_no_thread(lc);
    ck_assert_msg(zc_audit_lines(log, "offload engine: worker ", "was stuck on one request") > 0,
                  "no audit line for the replaced worker");
    unlink(log);
}
END_TEST

int main(void)
{
    Suite *s;
    TCase *tc;
    int rc;

    zc_util_init();
    zc_ref = zc_util_default_libctx();
    s = suite_create("zcrypto async faults");
    tc = tcase_create("faults");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_async_timeout, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_async_breaker_audit, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_async_retry_backoff, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_async_worker_exited, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_async_worker_stuck, 0, (int)zc_nbackends);
    suite_add_tcase(s, tc);
    rc = zc_util_run_suite(s);
    OSSL_LIB_CTX_free(zc_ref);
    return rc;
}
