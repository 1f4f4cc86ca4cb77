/*
 * The constant-time checks' hooks (test/ct_check.sh). Built with
 * -DZC_CT_VALGRIND, ZC_CT_PUBLIC tells valgrind memcheck that a value
 * computed from secrets is public by design (a tag comparison's verdict),
 * so the branch on it is not reported; every other branch or memory index
 * that depends on key, plaintext or tag is.
 *
 * -DZC_CT_CANARY compiles in two deliberate leaks, each armed by naming it
 * in $ZC_CT_CANARY_ARMED ("key", "tag" or "key,tag"), so that both checks
 * (valgrind and the timing test, test/ct_timing.c) can be shown to fail:
 *   key: key setup loops key[0] times over a table, reading it at key[0]
 *        (a secret-dependent branch, index and running time);
 *   tag: the full-tag / key comparison exits at the first differing byte.
 * Neither flag is ever set in a normal build, so the production path has
 * neither the hooks nor the check of the variable.
 */
#ifndef ZC_CT_H
#define ZC_CT_H

#include <stddef.h>

#ifdef ZC_CT_VALGRIND
#include <valgrind/memcheck.h>
#define ZC_CT_PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define ZC_CT_PUBLIC(p, n) ((void)(p), (void)(n))
#endif

#ifdef ZC_CT_CANARY
enum { ZC_CT_CANARY_KEY = 1, ZC_CT_CANARY_TAG = 2 };
/* The armed canaries (ZC_CT_CANARY_* bits), read from the environment once. */
int zc_ct_canary_armed(void);
void zc_ct_canary_key(unsigned char secret_byte);
int zc_ct_canary_equal(const unsigned char *a, const unsigned char *b, size_t len);
#define ZC_CT_CANARY_TOUCH(secret_byte) zc_ct_canary_key(secret_byte)
#define ZC_CT_CANARY_TAG_ARMED() (zc_ct_canary_armed() & ZC_CT_CANARY_TAG)
#else
#define ZC_CT_CANARY_TOUCH(secret_byte) ((void)0)
#define ZC_CT_CANARY_TAG_ARMED() 0
#define zc_ct_canary_equal(a, b, len) 0
#endif

#endif
