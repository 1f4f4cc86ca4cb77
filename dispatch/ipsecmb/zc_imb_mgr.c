/*
 * Per-thread ipsec-mb managers. A thread's manager for an arch lives in a
 * registry so that the last release of that arch (provider teardown, when
 * thread-stop handlers are dropped uncalled) can free every thread's
 * manager; a generation counter tells threads their cached pointer died.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include "zc_imb_internal.h"
#include "zc_cpu.h"

typedef struct zc_imb_node {
    IMB_MGR *mgr;
    struct zc_imb_node *next;
} zc_imb_node;

typedef struct zc_imb_registry {
    pthread_mutex_t lock;
    zc_imb_node *head;
    unsigned refs;
    uint64_t generation;        /* bumped when every manager is freed */
} zc_imb_registry;

static zc_imb_registry zc_imb_reg[ZC_IMB_ARCH_COUNT] = {
    [0 ... ZC_IMB_ARCH_COUNT - 1] = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 1 }
};

/* initial-exec: the lookup is on every operation, and a dlopen'ed module's
 * default TLS model costs a __tls_get_addr call each time. 96 bytes fit in
 * glibc's static TLS reserve for dlopen'ed modules. */
static __thread __attribute__((tls_model("initial-exec"))) struct {
    IMB_MGR *mgr[ZC_IMB_ARCH_COUNT];
    zc_imb_node *node[ZC_IMB_ARCH_COUNT];
    uint64_t generation[ZC_IMB_ARCH_COUNT];
} zc_imb_tls;

/* ipsec-mb 2.0 has no AVX manager: that arch then has no init function and
 * is never available (its backend is not compiled in either). */
static void (*const zc_imb_init_fn[ZC_IMB_ARCH_COUNT])(IMB_MGR *) = {
    [ZC_IMB_SSE] = init_mb_mgr_sse,
#if HAVE_DECL_INIT_MB_MGR_AVX
    [ZC_IMB_AVX] = init_mb_mgr_avx,
#endif
    [ZC_IMB_AVX2] = init_mb_mgr_avx2,
    [ZC_IMB_AVX512] = init_mb_mgr_avx512,
};

static const uint64_t zc_imb_required[ZC_IMB_ARCH_COUNT] = {
    [ZC_IMB_SSE] = IMB_CPUFLAGS_SSE,
#if HAVE_DECL_INIT_MB_MGR_AVX
    [ZC_IMB_AVX] = IMB_CPUFLAGS_AVX,
#endif
    [ZC_IMB_AVX2] = IMB_CPUFLAGS_AVX2,
    [ZC_IMB_AVX512] = IMB_CPUFLAGS_AVX512,
};

static uint64_t zc_imb_cpu_features;
static pthread_once_t zc_imb_detect_once = PTHREAD_ONCE_INIT;

static void zc_imb_detect(void)
{
    /* alloc_mb_mgr detects the CPU; the manager itself is not needed. */
    IMB_MGR *m = alloc_mb_mgr(0);

    if (m != NULL) {
        zc_imb_cpu_features = m->features;
        free_mb_mgr(m);
    }
}

int zc_imb_arch_available(zc_imb_arch arch)
{
    pthread_once(&zc_imb_detect_once, zc_imb_detect);
    /* ZC_X86CAP (zc_cpu.c) can hide what ipsec-mb would still detect. */
    static const unsigned zc_cpu_needed[ZC_IMB_ARCH_COUNT] = {
        [ZC_IMB_SSE] = ZC_CPU_AESNI, [ZC_IMB_AVX] = ZC_CPU_AVX,
        [ZC_IMB_AVX2] = ZC_CPU_AVX2, [ZC_IMB_AVX512] = ZC_CPU_AVX512,
    };

    return zc_imb_init_fn[arch] != NULL
           && (zc_imb_cpu_features & zc_imb_required[arch]) == zc_imb_required[arch]
           && (zc_cpu_features() & zc_cpu_needed[arch]) == zc_cpu_needed[arch];
}

uint64_t zc_imb_features(void)
{
    pthread_once(&zc_imb_detect_once, zc_imb_detect);
    return zc_imb_cpu_features;
}

/*
 * The code type the arch's manager runs on this CPU, for buildinfo. 2.x
 * names it itself; 1.3 does not, but its AVX-512 manager takes the VAES
 * ("type 2") code exactly when VAES and VPCLMULQDQ are present.
 */
const char *zc_imb_arch_type(zc_imb_arch arch)
{
#if HAVE_DECL_IMB_GET_ARCH_TYPE_STRING
    IMB_MGR *m = zc_imb_mgr_get(arch);
    const char *type = NULL, *desc = NULL;

    if (m != NULL && imb_get_arch_type_string(m, &type, &desc) == 0 && type != NULL)
        return type;
    return "unknown";
#else
    static const char *const names[ZC_IMB_ARCH_COUNT] = {
        [ZC_IMB_SSE] = "SSE", [ZC_IMB_AVX] = "AVX", [ZC_IMB_AVX2] = "AVX2",
        [ZC_IMB_AVX512] = "AVX512",
    };
    const uint64_t t2 = IMB_FEATURE_VAES | IMB_FEATURE_VPCLMULQDQ;

    if (arch == ZC_IMB_AVX512 && (zc_imb_features() & t2) == t2)
        return "AVX512_T2";
    return names[arch];
#endif
}

int zc_imb_arch_runs_vaes(zc_imb_arch arch)
{
#if HAVE_DECL_IMB_GET_ARCH_TYPE_STRING
    /* AVX2 type 2 needs GFNI and SHA-NI besides VAES (IMB_CPUFLAGS_AVX2_T2):
     * Zen 3 gets type 1, AES-NI on 128-bit vectors. SSE has no VAES type. */
    IMB_MGR *m = arch == ZC_IMB_SSE ? NULL : zc_imb_mgr_get(arch);

    return m != NULL && m->used_arch_type >= 2;
#else
    const uint64_t t2 = IMB_FEATURE_VAES | IMB_FEATURE_VPCLMULQDQ;

    return arch == ZC_IMB_AVX512 && (zc_imb_features() & t2) == t2;
#endif
}

static IMB_MGR *zc_imb_mgr_create(zc_imb_arch arch)
{
    zc_imb_registry *reg = &zc_imb_reg[arch];
    zc_imb_node *node;
    IMB_MGR *mgr;

    if (zc_imb_init_fn[arch] == NULL)
        return NULL;
    node = malloc(sizeof(*node));
    mgr = alloc_mb_mgr(0);
    if (node == NULL || mgr == NULL)
        goto err;
    zc_imb_init_fn[arch](mgr);
    if (imb_get_errno(mgr) != 0)
        goto err;
    node->mgr = mgr;
    pthread_mutex_lock(&reg->lock);
    node->next = reg->head;
    reg->head = node;
    zc_imb_tls.generation[arch] = reg->generation;
    pthread_mutex_unlock(&reg->lock);
    zc_imb_tls.mgr[arch] = mgr;
    zc_imb_tls.node[arch] = node;
    return mgr;
err:
    free(node);
    if (mgr != NULL)
        free_mb_mgr(mgr);
    return NULL;
}

/* Never created in this thread, or freed by a release: start afresh. Out
 * of line, so the per-operation lookup below saves no registers. */
static __attribute__((noinline, cold)) IMB_MGR *zc_imb_mgr_refresh(zc_imb_arch arch)
{
    zc_imb_tls.mgr[arch] = NULL;
    zc_imb_tls.node[arch] = NULL;
    return zc_imb_mgr_create(arch);
}

IMB_MGR *zc_imb_mgr_get(zc_imb_arch arch)
{
    IMB_MGR *mgr = zc_imb_tls.mgr[arch];

    if (mgr != NULL
        && zc_imb_tls.generation[arch]
               == __atomic_load_n(&zc_imb_reg[arch].generation, __ATOMIC_ACQUIRE))
        return mgr;
    return zc_imb_mgr_refresh(arch);
}

int zc_imb_arch_acquire(zc_imb_arch arch)
{
    zc_imb_registry *reg = &zc_imb_reg[arch];

    pthread_mutex_lock(&reg->lock);
    reg->refs++;
    pthread_mutex_unlock(&reg->lock);
    return 1;
}

void zc_imb_arch_release(zc_imb_arch arch)
{
    zc_imb_registry *reg = &zc_imb_reg[arch];
    zc_imb_node *n, *next;

    pthread_mutex_lock(&reg->lock);
    if (reg->refs > 0 && --reg->refs == 0) {
        for (n = reg->head; n != NULL; n = next) {
            next = n->next;
            free_mb_mgr(n->mgr);
            free(n);
        }
        reg->head = NULL;
        __atomic_add_fetch(&reg->generation, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&reg->lock);
}

void zc_imb_thread_stop(void)
{
    for (int arch = 0; arch < ZC_IMB_ARCH_COUNT; arch++) {
        zc_imb_registry *reg = &zc_imb_reg[arch];
        zc_imb_node *node = zc_imb_tls.node[arch];

        if (node == NULL)
            continue;
        pthread_mutex_lock(&reg->lock);
        /* Only if a release has not freed it already. */
        if (zc_imb_tls.generation[arch] == reg->generation) {
            for (zc_imb_node **pp = &reg->head; *pp != NULL; pp = &(*pp)->next) {
                if (*pp == node) {
                    *pp = node->next;
                    free_mb_mgr(node->mgr);
                    free(node);
                    break;
                }
            }
        }
        pthread_mutex_unlock(&reg->lock);
        zc_imb_tls.mgr[arch] = NULL;
        zc_imb_tls.node[arch] = NULL;
    }
}
