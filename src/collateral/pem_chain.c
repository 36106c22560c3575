/* Certificate-chain text helpers for collateral readers (pem_chain.h): URL
 * decoding (PCS issuer-chain headers), strict PEM certificate parsing with
 * OpenSSL, canonical PEM output. Chain *validation* is the verifier's job.
 * Thread-safe: no state. */
#include "collateral/pem_chain.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"

static bool has_text(const char *s, size_t len, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= len; i++)
        if (memcmp(s + i, needle, k) == 0) return true;
    return false;
}

bool coll_pem_is_urlencoded(const char *s, size_t len)
{
    /* Decoded text always holds a literal "-----BEGIN ", so decoding is
     * never applied twice (which would make a write/read cycle lossy). */
    return memchr(s, '%', len) != NULL && !has_text(s, len, "-----BEGIN ");
}

avow_err coll_pem_text(const char *s, size_t len, const char *what, char **out, size_t *out_len,
                       avow_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (coll_pem_is_urlencoded(s, len)) {
        avow_err e = avow_percent_decode_alloc(s, len, out, out_len, err);
        if (e) {
            avow_error_prefix(err, what);
            return e;
        }
        if (memchr(*out, '\0', *out_len)) {
            free(*out);
            *out = NULL;
            *out_len = 0;
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s: URL-encoded text decodes to a NUL byte", what);
        }
        return AVOW_OK;
    }
    char *c = malloc(len + 1);
    if (!c) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    memcpy(c, s, len);
    c[len] = '\0';
    *out = c;
    *out_len = len;
    return AVOW_OK;
}

avow_err coll_pem_certs(const char *pem, size_t len, const char *what, STACK_OF(X509) * *out,
                        avow_error *err)
{
    *out = NULL;
    if (len > INT_MAX)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s: too large", what);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    STACK_OF(X509) *sk = sk_X509_new_null();
    avow_err e = AVOW_OK;
    if (!bio || !sk) {
        e = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        goto done;
    }
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long n = 0;
        ERR_clear_error();
        if (!PEM_read_bio(bio, &name, &header, &data, &n)) {
            unsigned long code = ERR_peek_last_error();
            ERR_clear_error();
            /* End of input is the only acceptable way out of the loop. */
            if (ERR_GET_REASON(code) != PEM_R_NO_START_LINE)
                e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                   "%s: certificate %d: unreadable PEM", what, sk_X509_num(sk) + 1);
            break;
        }
        bool is_cert = strcmp(name, "CERTIFICATE") == 0;
        const unsigned char *p = data;
        X509 *x = is_cert ? d2i_X509(NULL, &p, n) : NULL;
        bool whole = x && p == data + n;
        if (!is_cert)
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "%s: PEM block %d is '%.40s', not a CERTIFICATE", what,
                               sk_X509_num(sk) + 1, name);
        else if (!whole)
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "%s: certificate %d is not valid DER", what, sk_X509_num(sk) + 1);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (!e && !sk_X509_push(sk, x))
            e = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        if (e) {
            X509_free(x);
            break;
        }
    }
    if (!e && sk_X509_num(sk) == 0)
        e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s: no PEM certificate", what);
done:
    BIO_free(bio);
    if (e) {
        sk_X509_pop_free(sk, X509_free);
        return e;
    }
    *out = sk;
    return AVOW_OK;
}

avow_err coll_pem_write(STACK_OF(X509) * certs, char **out, avow_error *err)
{
    *out = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    for (int i = 0; i < sk_X509_num(certs); i++)
        if (!PEM_write_bio_X509(bio, sk_X509_value(certs, i))) {
            BIO_free(bio);
            return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "cannot write PEM");
        }
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *s = malloc((size_t)n + 1);
    if (!s) {
        BIO_free(bio);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    BIO_free(bio);
    *out = s;
    return AVOW_OK;
}

bool coll_cert_self_issued(X509 *c)
{
    return X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)) == 0;
}

bool coll_name_cn_contains(const X509_NAME *name, const char *needle)
{
    int idx = -1;
    while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0) {
        X509_NAME_ENTRY *ent = X509_NAME_get_entry(name, idx);
        ASN1_STRING *d = X509_NAME_ENTRY_get_data(ent);
        const unsigned char *s = ASN1_STRING_get0_data(d);
        int n = ASN1_STRING_length(d);
        size_t k = strlen(needle);
        for (int i = 0; n >= 0 && (size_t)i + k <= (size_t)n; i++)
            if (memcmp(s + i, needle, k) == 0) return true;
    }
    return false;
}
