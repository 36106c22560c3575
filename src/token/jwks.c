/* The /certs key set (avow_jwks_build, token.h): one JWK per certificate, in
 * order, each built by pki (avow_cert_jwk). Thread-safe: no state. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "avow/token.h"
#include "pki/cert.h"

avow_err avow_jwks_build(const char *const *cert_pems, size_t n, char **out_json, avow_error *err)
{
    *out_json = NULL;
    json_t *keys = json_array(), *root = json_object();
    avow_err rc = AVOW_OK;
    if (!keys || !root) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        avow_cert_copy c;
        json_t *k = NULL;
        rc =
            avow_cert_copy_read((const uint8_t *)cert_pems[i], strlen(cert_pems[i]), NULL, &c, err);
        if (!rc) rc = avow_cert_jwk(&c.c, false, &k, err);
        avow_cert_copy_free(&c);
        if (rc) {
            avow_error_prefix(err, "jwks");
            goto done;
        }
        json_array_append_new(keys, k);
    }
    json_object_set(root, "keys", keys);
    *out_json = json_dumps(root, JSON_COMPACT);
    if (!*out_json) rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
done:
    json_decref(keys);
    json_decref(root);
    return rc;
}
