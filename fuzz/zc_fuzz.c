#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_METHOD: the one hook every libctx obeys */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include "zc_fuzz.h"

const char *const zc_fuzz_alg_names[ZC_FUZZ_NALGS] = { "AES-128-GCM", "AES-192-GCM",
                                                       "AES-256-GCM", "ChaCha20-Poly1305" };

#define ZC_FUZZ_MAX_SIDES 8
static zc_fuzz_side zc_sides[ZC_FUZZ_MAX_SIDES];
static size_t zc_nsides;
static zc_fuzz_side zc_dflt;

/*
 * GCM draws IVs (encrypt without one, the TLS invocation field) from RAND:
 * both providers must draw the same bytes for their outputs to compare, so
 * RAND is a counter stream restarted before each side runs an operation.
 */
static uint64_t zc_rand_state;

static int zc_rand_bytes(unsigned char *buf, int num)
{
    for (int i = 0; i < num; i++) {
        uint64_t z = (zc_rand_state += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        buf[i] = (unsigned char)(z ^ (z >> 31));
    }
    return 1;
}

static int zc_rand_status(void)
{
    return 1;
}

static const RAND_METHOD zc_rand_method = {
    .bytes = zc_rand_bytes, .pseudorand = zc_rand_bytes, .status = zc_rand_status,
};

void zc_fuzz_rand_reset(uint64_t seed)
{
    zc_rand_state = seed;
}

static int zc_side_fetch(zc_fuzz_side *s, const char *prov)
{
    char q[32];

    snprintf(q, sizeof(q), "provider=%s", prov);
    for (int a = 0; a < ZC_FUZZ_NALGS; a++)
        if ((s->cipher[a] = EVP_CIPHER_fetch(s->lc, zc_fuzz_alg_names[a], q)) == NULL)
            return 0;
    return 1;
}

/* A library context with default + zcrypto on one backend. */
static OSSL_LIB_CTX *zc_zcrypto_libctx(const char *dir, const char *backend)
{
    char path[] = "/tmp/zc-fuzz-cnf-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();

    if (fd < 0 || lc == NULL || (f = fdopen(fd, "w")) == NULL)
        abort();
    fprintf(f, "openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = dflt\n"
               "zcrypto = zc\n[dflt]\nactivate = 1\n[zc]\nmodule = %s/zcrypto.so\n"
               "activate = 1\n%s%s\n",
            dir, backend ? "backend = " : "", backend ? backend : "");
    fclose(f);
    if (!OSSL_LIB_CTX_load_config(lc, path) || !OSSL_PROVIDER_available(lc, "zcrypto")) {
        fprintf(stderr, "zc_fuzz: cannot load zcrypto (backend %s) from %s\n",
                backend ? backend : "auto", dir);
        ERR_print_errors_fp(stderr);
        unlink(path);
        exit(2);
    }
    unlink(path);
    return lc;
}

/* zcrypto's provider context and the dispatch table of each cipher. */
static void zc_side_dispatch(zc_fuzz_side *s)
{
    OSSL_PROVIDER *p = OSSL_PROVIDER_load(s->lc, "zcrypto");
    const OSSL_ALGORITHM *a;
    int no_cache = 0;

    if (p == NULL || (a = OSSL_PROVIDER_query_operation(p, OSSL_OP_CIPHER, &no_cache)) == NULL)
        abort();
    s->provctx = OSSL_PROVIDER_get0_provider_ctx(p);
    for (int k = 0; k < ZC_FUZZ_NALGS; k++) {
        size_t l = strlen(zc_fuzz_alg_names[k]);

        for (const OSSL_ALGORITHM *x = a; x->algorithm_names != NULL; x++)
            if (strncmp(x->algorithm_names, zc_fuzz_alg_names[k], l) == 0
                && (x->algorithm_names[l] == ':' || x->algorithm_names[l] == '\0'))
                s->impl[k] = x->implementation;
    }
    /* load took a reference; the config's activation keeps the provider. */
    OSSL_PROVIDER_unload(p);
}

const OSSL_DISPATCH *zc_fuzz_dispatch(const zc_fuzz_side *s, int alg, int id)
{
    for (const OSSL_DISPATCH *d = s->impl[alg]; d != NULL && d->function_id != 0; d++)
        if (d->function_id == id)
            return d;
    fprintf(stderr, "zc_fuzz: zcrypto's %s (backend %s) has no function %d\n",
            zc_fuzz_alg_names[alg], s->name, id);
    abort();
}

static char *zc_backend_list(OSSL_LIB_CTX *lc)
{
    OSSL_PROVIDER *p = OSSL_PROVIDER_load(lc, "zcrypto");
    char buf[256] = "";
    OSSL_PARAM params[2] = { OSSL_PARAM_utf8_string("zcrypto-backends", buf, sizeof(buf)),
                             OSSL_PARAM_END };

    if (p == NULL || !OSSL_PROVIDER_get_params(p, params))
        abort();
    OSSL_PROVIDER_unload(p);
    return strdup(buf);
}

void zc_fuzz_setup(void)
{
    const char *dir = getenv("ZC_MODULE_DIR"), *only = getenv("ZC_FUZZ_BACKEND");
    char *list, *save = NULL;
    OSSL_LIB_CTX *probe;

    if (dir == NULL) {
        fprintf(stderr, "zc_fuzz: set ZC_MODULE_DIR to the directory of zcrypto.so\n");
        exit(2);
    }
    RAND_set_rand_method(&zc_rand_method);
    zc_dflt.name = "default";
    if ((zc_dflt.lc = OSSL_LIB_CTX_new()) == NULL
        || OSSL_PROVIDER_load(zc_dflt.lc, "default") == NULL || !zc_side_fetch(&zc_dflt, "default"))
        abort();
    probe = zc_zcrypto_libctx(dir, NULL);
    list = only != NULL && *only ? strdup(only) : zc_backend_list(probe);
    OSSL_LIB_CTX_free(probe);
    for (char *t = strtok_r(list, " ", &save); t != NULL && zc_nsides < ZC_FUZZ_MAX_SIDES;
         t = strtok_r(NULL, " ", &save)) {
        zc_fuzz_side *s = &zc_sides[zc_nsides++];

        s->name = strdup(t);
        s->lc = zc_zcrypto_libctx(dir, t);
        if (!zc_side_fetch(s, "zcrypto")) {
            fprintf(stderr, "zc_fuzz: backend %s lacks an algorithm\n", t);
            exit(2);
        }
        zc_side_dispatch(s);
    }
    free(list);
    if (zc_nsides == 0)
        abort();
    fprintf(stderr, "zc_fuzz: backends");
    for (size_t i = 0; i < zc_nsides; i++)
        fprintf(stderr, " %s", zc_sides[i].name);
    fprintf(stderr, "\n");
}

int zc_fuzz_trace;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    zc_fuzz_trace = getenv("ZC_FUZZ_TRACE") != NULL;
    zc_fuzz_setup();
    return 0;
}

zc_fuzz_side *zc_fuzz_default(void)
{
    return &zc_dflt;
}

zc_fuzz_side *zc_fuzz_pick(zc_fuzz_in *in)
{
    return &zc_sides[zc_fuzz_u8(in) % zc_nsides];
}

uint8_t zc_fuzz_u8(zc_fuzz_in *in)
{
    uint8_t v = 0;

    if (in->n > 0) {
        v = *in->p++;
        in->n--;
    }
    return v;
}

uint16_t zc_fuzz_u16(zc_fuzz_in *in)
{
    uint16_t hi = zc_fuzz_u8(in);

    return (uint16_t)(hi << 8 | zc_fuzz_u8(in));
}

void zc_fuzz_bytes(zc_fuzz_in *in, void *buf, size_t len)
{
    size_t take = len < in->n ? len : in->n;

    memcpy(buf, in->p, take);
    memset((unsigned char *)buf + take, 0, len - take);
    in->p += take;
    in->n -= take;
}

void zc_fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "zc_fuzz: DIFFERENCE: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    ERR_print_errors_fp(stderr);
    abort();
}

void zc_fuzz_same_bytes(const char *what, const void *z, const void *d, size_t len)
{
    const unsigned char *a = z, *b = d;

    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i])
            zc_fuzz_fail("%s: byte %zu of %zu: zcrypto %02x, default %02x", what, i, len,
                         a[i], b[i]);
}

const char *zc_fuzz_last_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

    return r != NULL ? r : "";
}

int zc_fuzz_reason_is(const char *r, const char *want)
{
    return strncmp(r, "zcrypto: ", 9) == 0 && strncmp(r + 9, want, strlen(want)) == 0;
}
