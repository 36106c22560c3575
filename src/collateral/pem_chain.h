/* Internal: the text of certificate chains as they arrive in collateral
 * (PEM, or the URL-encoded PEM of PCS response headers). The certificates in
 * it are read by pki/cert.h (avow_cert_chain_read). Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "avow/err.h"

/* The PEM text of a chain: percent-decoded when URL-encoded, else a copy;
 * malloc'd and NUL-terminated. `what` names the field in messages. */
avow_err coll_pem_text(const char *s, size_t len, const char *what, char **out, size_t *out_len,
                       avow_error *err);
