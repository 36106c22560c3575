/* The PCK SGX extension from an already parsed certificate, OpenSSL's or
 * pki/cert.h's (internal to libavow; the public entry point takes DER, see
 * avow/pck.h).
 * Thread-safe: no state. */
#pragma once

#include <openssl/x509.h>

#include "avow/pck.h"
#include "pki/cert.h"

/* Finds the extension (exactly once; AVOW_ERR_NOT_FOUND if absent) and parses it. */
avow_err avow_pck_ext_from_x509(const X509 *cert, avow_pck_ext *out, avow_error *err);

/* The same from a certificate read by pki/cert.h (which already rejected a
 * second SGX extension). */
avow_err avow_pck_ext_from_cert(const avow_cert *cert, avow_pck_ext *out, avow_error *err);
