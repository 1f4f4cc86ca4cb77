/*
 * The constant-time check's hooks (test/ct_check.sh). Built with
 * -DZC_CT_VALGRIND, ZC_CT_PUBLIC tells valgrind memcheck that a value
 * computed from secrets is public by design (a tag comparison's verdict),
 * so the branch on it is not reported; every other branch or memory index
 * that depends on key, plaintext or tag is. -DZC_CT_CANARY adds a
 * deliberate secret-dependent table index to key setup: the check must fail
 * on such a build. Neither flag is ever set in a normal build.
 */
#ifndef ZC_CT_H
#define ZC_CT_H

#ifdef ZC_CT_VALGRIND
#include <valgrind/memcheck.h>
#define ZC_CT_PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define ZC_CT_PUBLIC(p, n) ((void)(p), (void)(n))
#endif

#ifdef ZC_CT_CANARY
extern volatile unsigned char zc_ct_canary_table[256];
#define ZC_CT_CANARY_TOUCH(secret_byte) ((void)zc_ct_canary_table[(secret_byte)])
#else
#define ZC_CT_CANARY_TOUCH(secret_byte) ((void)0)
#endif

#endif
