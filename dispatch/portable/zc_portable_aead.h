/* Portable AEAD entry points: AES-GCM (keylen selects 128/192/256) and ChaCha20-Poly1305. */
#ifndef ZC_PORTABLE_AEAD_H
#define ZC_PORTABLE_AEAD_H

#include <stddef.h>

int zc_gcm_portable_key_setup(void *key_state, const unsigned char *key, size_t keylen);
int zc_gcm_portable_start(const void *key_state, void *msg_state,
                          const unsigned char *iv, size_t ivlen,
                          const unsigned char *aad, size_t aadlen);
int zc_gcm_portable_update(const void *key_state, void *msg_state, unsigned char *out,
                           const unsigned char *in, size_t len, int enc);
int zc_gcm_portable_finish(const void *key_state, void *msg_state, unsigned char tag[16], int enc);

int zc_chacha_portable_key_setup(void *key_state, const unsigned char *key);
int zc_chacha_portable_start(const void *key_state, void *msg_state,
                             const unsigned char *iv, size_t ivlen,
                             const unsigned char *aad, size_t aadlen);
int zc_chacha_portable_update(const void *key_state, void *msg_state, unsigned char *out,
                              const unsigned char *in, size_t len, int enc);
int zc_chacha_portable_finish(const void *key_state, void *msg_state, unsigned char tag[16],
                              int enc);

#endif
