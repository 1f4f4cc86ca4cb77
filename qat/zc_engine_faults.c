/* ZC_TEST_ASYNC_FAULTS: the engines' fault-injection settings (zc_engine.h). */
#define _GNU_SOURCE /* secure_getenv */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "zc_engine.h"

/* "name=A" or "name=A:B" with decimal numbers; advances *s past it. */
static int zc_fault_item(const char **s, const char *name, unsigned *a, unsigned *b)
{
    size_t n = strlen(name);
    char *end;
    unsigned long v;

    if (strncmp(*s, name, n) != 0 || (*s)[n] != '=')
        return 0;
    v = strtoul(*s + n + 1, &end, 10);
    if (end == *s + n + 1 || v > 100000000UL)
        return -1;
    *a = (unsigned)v;
    if (b != NULL) {
        if (*end != ':')
            return -1;
        const char *p = end + 1;

        v = strtoul(p, &end, 10);
        if (end == p || v > 100000000UL)
            return -1;
        *b = (unsigned)v;
    }
    *s = end;
    return 1;
}

int zc_engine_faults_from_env(zc_engine_faults *f)
{
    const char *s = secure_getenv("ZC_TEST_ASYNC_FAULTS");

    memset(f, 0, sizeof(*f));
    while (s != NULL && *s != '\0') {
        int r;

        if ((r = zc_fault_item(&s, "stall", &f->stall_every_ms, &f->stall_for_ms)) == 0
            && (r = zc_fault_item(&s, "slow", &f->slow_every, &f->slow_us)) == 0
            && (r = zc_fault_item(&s, "hang", &f->hang_every, &f->hang_ms)) == 0
            && (r = zc_fault_item(&s, "die", &f->die_every, NULL)) == 0)
            r = zc_fault_item(&s, "fail", &f->fail_every, NULL);
        if (r <= 0 || (*s != ',' && *s != '\0')
            || (f->stall_every_ms != 0 && f->stall_for_ms >= f->stall_every_ms)) {
            memset(f, 0, sizeof(*f));
            return 0;
        }
        s += *s == ',';
    }
    return 1;
}
