/* See ct_lib.h. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include "ct_lib.h"

OSSL_LIB_CTX *zc_ct_libctx(const char *backend, const char *extra)
{
    char path[] = "/tmp/zc-ct-cnf-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();
    const char *dir = getenv("ZC_MODULE_DIR");

    if (f == NULL || lc == NULL || dir == NULL) {
        fprintf(stderr, "ct: cannot write a config (ZC_MODULE_DIR set?)\n");
        exit(2);
    }
    fprintf(f, "openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = dflt\n"
               "zcrypto = zc\n[dflt]\nactivate = 1\n[zc]\nmodule = %s/zcrypto.so\n"
               "activate = 1\nbackend = %s\n%s\n", dir, backend, extra);
    fclose(f);
    if (!OSSL_LIB_CTX_load_config(lc, path) || !OSSL_PROVIDER_available(lc, "zcrypto")) {
        fprintf(stderr, "ct: cannot load zcrypto with backend %s\n", backend);
        ERR_print_errors_fp(stderr);
        unlink(path);
        exit(2);
    }
    unlink(path);
    return lc;
}

int zc_ct_list_backends(void)
{
    OSSL_LIB_CTX *lc = zc_ct_libctx("auto", "");
    OSSL_PROVIDER *p = OSSL_PROVIDER_load(lc, "zcrypto");
    char buf[256] = "";
    OSSL_PARAM params[2] = { OSSL_PARAM_utf8_string("zcrypto-backends", buf, sizeof(buf)),
                             OSSL_PARAM_END };
    int ok = p != NULL && OSSL_PROVIDER_get_params(p, params);

    if (ok)
        printf("%s\n", buf);
    OSSL_PROVIDER_unload(p);
    OSSL_LIB_CTX_free(lc);
    return ok ? 0 : 1;
}
