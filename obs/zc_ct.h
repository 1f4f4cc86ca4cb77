/*
 * The constant-time check's hooks (test/ct_check.sh). Built with
 * -DZC_CT_VALGRIND, ZC_CT_PUBLIC tells valgrind memcheck that a value
 * computed from secrets is public by design (a tag comparison's verdict),
 * so the branch on it is not reported; every other branch or memory index
 * that depends on key, plaintext or tag is. -DZC_CT_CANARY compiles in a
 * deliberate secret-dependent table index in key setup, armed when
 * $ZC_CT_CANARY_ARMED is set: the check must fail then. Neither flag is
 * ever set in a normal build.
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
int zc_ct_canary_armed(void);
#define ZC_CT_CANARY_TOUCH(secret_byte) \
    ((void)(zc_ct_canary_armed() ? zc_ct_canary_table[(secret_byte)] : 0))
#else
#define ZC_CT_CANARY_TOUCH(secret_byte) ((void)0)
#endif

#endif
