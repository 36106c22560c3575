/* Internal: certificate chains as they arrive in collateral (PEM, or the
 * URL-encoded PEM of PCS response headers). Thread-safe: no state. */
#pragma once

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "avow/err.h"

/* True if the text looks URL-encoded ("-----BEGIN%20CERTIFICATE..."): it
 * has a '%' (PEM itself never does) and no literal "-----BEGIN ". */
bool coll_pem_is_urlencoded(const char *s, size_t len);

/* The PEM text of a chain: percent-decoded when URL-encoded, else a copy;
 * malloc'd and NUL-terminated. `what` names the field in messages. */
avow_err coll_pem_text(const char *s, size_t len, const char *what, char **out, size_t *out_len,
                       avow_error *err);

/* Parses every PEM block of `pem` as a certificate: at least one, no other
 * block types, no truncated block. Text outside blocks is ignored, as
 * OpenSSL does (files often carry "subject=" lines). */
avow_err coll_pem_certs(const char *pem, size_t len, const char *what, STACK_OF(X509) * *out,
                        avow_error *err);

/* Writes certificates as PEM (OpenSSL's canonical 64-column form), malloc'd. */
avow_err coll_pem_write(STACK_OF(X509) * certs, char **out, avow_error *err);

/* True if `c` is self-signed by name (issuer == subject). */
bool coll_cert_self_issued(X509 *c);

/* True if the subject or issuer CN of a name contains `needle`. */
bool coll_name_cn_contains(const X509_NAME *name, const char *needle);
