/* The PCK SGX extension of a certificate read by pki/cert.h (internal to
 * libavow; the public entry point takes DER, see avow/pck.h).
 * Thread-safe: no state. */
#pragma once

#include "avow/pck.h"
#include "pki/cert.h"

/* Parses the certificate's SGX extension (pki/cert.h already rejected a
 * second one); AVOW_ERR_NOT_FOUND if it has none. */
avow_err avow_pck_ext_from_cert(const avow_cert *cert, avow_pck_ext *out, avow_error *err);
