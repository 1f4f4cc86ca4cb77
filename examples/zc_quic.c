/*
 * zc-quic: QUIC packet protection (RFC 9001) on zcrypto.
 *   zc-quic protect   --aead A --key HEX --iv HEX --hp HEX --pn N --header HEX --payload HEX
 *   zc-quic unprotect --aead A --key HEX --iv HEX --hp HEX --packet HEX [--pn N] [--dcid-len L]
 *   zc-quic stream    --aead A --packets N --size B [--corrupt-every K] [--async-jobs N]
 *                     [--burst N | --per-packet]  (bursts: the pipeline API on OpenSSL 3.5+)
 * Common: --module-dir DIR loads zcrypto (and default) from DIR; otherwise
 * the process's openssl.cnf decides (e.g. OPENSSL_CONF with zcrypto enabled).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include "zc_quic_pp.h"
#include "zc_quic_stream.h"

static unsigned char *zc_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    unsigned char *out;

    if (n % 2 != 0 || (out = malloc(n / 2 + 1)) == NULL)
        return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;

        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            free(out);
            return NULL;
        }
        out[i] = (unsigned char)v;
    }
    *len = n / 2;
    return out;
}

static void zc_print_hex(const char *label, const unsigned char *p, size_t n)
{
    if (label != NULL)
        printf("%s=", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static void usage(void)
{
    fprintf(stderr,
            "usage: zc-quic protect|unprotect|stream [options]\n"
            "  --aead aes-128-gcm|aes-256-gcm|chacha20-poly1305\n"
            "  --key HEX --iv HEX --hp HEX          packet and header-protection keys\n"
            "  --pn N --header HEX --payload HEX    (protect)\n"
            "  --packet HEX [--pn N] [--dcid-len L] (unprotect; --pn: expected pn)\n"
            "  --packets N --size B [--corrupt-every K] [--async-jobs N]\n"
            "  [--burst N (1..32, default 16) | --per-packet] (stream)\n"
            "  --module-dir DIR                     load zcrypto.so from DIR\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "aead", required_argument, NULL, 'a' }, { "key", required_argument, NULL, 'k' },
        { "iv", required_argument, NULL, 'i' }, { "hp", required_argument, NULL, 'h' },
        { "pn", required_argument, NULL, 'n' }, { "header", required_argument, NULL, 'H' },
        { "payload", required_argument, NULL, 'p' }, { "packet", required_argument, NULL, 'P' },
        { "dcid-len", required_argument, NULL, 'd' }, { "packets", required_argument, NULL, 'N' },
        { "size", required_argument, NULL, 's' }, { "corrupt-every", required_argument, NULL, 'c' },
        { "async-jobs", required_argument, NULL, 'j' }, { "module-dir", required_argument, NULL, 'm' },
        { "burst", required_argument, NULL, 'b' }, { "per-packet", no_argument, NULL, '1' },
        { NULL, 0, NULL, 0 }
    };
    const char *aead = "aes-128-gcm", *key_hex = NULL, *iv_hex = NULL, *hp_hex = NULL;
    const char *hdr_hex = NULL, *payload_hex = NULL, *packet_hex = NULL, *module_dir = NULL;
    unsigned char *key = NULL, *iv = NULL, *hp = NULL, *hdr = NULL, *payload = NULL, *pkt = NULL;
    size_t keylen = 0, ivlen = 0, hplen = 0, hdrlen = 0, plen = 0, pktlen = 0, dcid_len = 0;
    long long pn = -1;
    zc_quic_stream_opts so = { .packets = 10000, .size = 1200, .corrupt_every = 10, .async_jobs = 0,
                               .burst = 16 };
    zc_quic_keys k;
    int c, rc = 1;
    const char *cmd;

    if (argc < 2) {
        usage();
        return 2;
    }
    cmd = argv[1];
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': aead = optarg; break;
        case 'k': key_hex = optarg; break;
        case 'i': iv_hex = optarg; break;
        case 'h': hp_hex = optarg; break;
        case 'n': pn = strtoll(optarg, NULL, 0); break;
        case 'H': hdr_hex = optarg; break;
        case 'p': payload_hex = optarg; break;
        case 'P': packet_hex = optarg; break;
        case 'd': dcid_len = strtoul(optarg, NULL, 0); break;
        case 'N': so.packets = strtoul(optarg, NULL, 0); break;
        case 's': so.size = strtoul(optarg, NULL, 0); break;
        case 'c': so.corrupt_every = strtoul(optarg, NULL, 0); break;
        case 'j': so.async_jobs = strtoul(optarg, NULL, 0); break;
        case 'm': module_dir = optarg; break;
        case 'b': so.burst = strtoul(optarg, NULL, 0); break;
        case '1': so.burst = 1; break;
        default: usage(); return 2;
        }
    }
    if (module_dir != NULL) {
        OSSL_PROVIDER_set_default_search_path(NULL, module_dir);
        if (OSSL_PROVIDER_load(NULL, "zcrypto") == NULL || OSSL_PROVIDER_load(NULL, "default") == NULL) {
            fprintf(stderr, "zc-quic: cannot load zcrypto from %s\n", module_dir);
            ERR_print_errors_fp(stderr);
            return 2;
        }
    }
    if (strcmp(cmd, "stream") == 0) {
        so.aead = aead;
        return zc_quic_stream_run(&so) ? 0 : 1;
    }
    if (key_hex == NULL || iv_hex == NULL || hp_hex == NULL
        || (key = zc_unhex(key_hex, &keylen)) == NULL || (iv = zc_unhex(iv_hex, &ivlen)) == NULL
        || (hp = zc_unhex(hp_hex, &hplen)) == NULL) {
        fprintf(stderr, "zc-quic: --key, --iv and --hp must be hex\n");
        goto end;
    }
    if (!zc_quic_keys_init(&k, NULL, aead, key, keylen, iv, ivlen, hp, hplen)) {
        fprintf(stderr, "zc-quic: bad --aead or key/iv/hp lengths\n");
        ERR_print_errors_fp(stderr);
        goto end;
    }
    fprintf(stderr, "zc-quic: %s served by provider %s\n", aead, k.aead_provider);
    if (strcmp(cmd, "protect") == 0) {
        unsigned char *out;
        size_t outlen;
        zc_quic_err e;

        if (pn < 0 || hdr_hex == NULL || payload_hex == NULL
            || (hdr = zc_unhex(hdr_hex, &hdrlen)) == NULL
            || (payload = zc_unhex(payload_hex, &plen)) == NULL) {
            fprintf(stderr, "zc-quic: protect needs --pn, --header HEX and --payload HEX\n");
            goto keys;
        }
        if ((out = malloc(hdrlen + plen + ZC_QUIC_TAG_LEN)) == NULL)
            goto keys;
        e = zc_quic_protect(&k, (uint64_t)pn, hdr, hdrlen, payload, plen, out,
                            hdrlen + plen + ZC_QUIC_TAG_LEN, &outlen);
        if (e == ZC_QUIC_OK) {
            zc_print_hex(NULL, out, outlen);
            rc = 0;
        } else {
            fprintf(stderr, "zc-quic: protect failed: %s\n", zc_quic_err_name(e));
        }
        free(out);
    } else if (strcmp(cmd, "unprotect") == 0) {
        size_t hl, pl;
        uint64_t got_pn;
        zc_quic_err e;

        if (packet_hex == NULL || (pkt = zc_unhex(packet_hex, &pktlen)) == NULL) {
            fprintf(stderr, "zc-quic: unprotect needs --packet HEX\n");
            goto keys;
        }
        e = zc_quic_unprotect(&k, pkt, pktlen, dcid_len, pn < 0 ? -1 : pn - 1, &hl, &got_pn, &pl);
        if (e == ZC_QUIC_OK && pn >= 0 && got_pn != (uint64_t)pn)
            e = ZC_QUIC_ERR_PN;
        if (e == ZC_QUIC_OK) {
            zc_print_hex("header", pkt, hl);
            zc_print_hex("payload", pkt + hl, pl);
            printf("pn=%llu\n", (unsigned long long)got_pn);
            rc = 0;
        } else {
            fprintf(stderr, "zc-quic: packet rejected: %s\n", zc_quic_err_name(e));
        }
    } else {
        usage();
        rc = 2;
    }
keys:
    zc_quic_keys_clear(&k);
end:
    free(key), free(iv), free(hp), free(hdr), free(payload), free(pkt);
    return rc;
}
