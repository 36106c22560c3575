/* libFuzzer target: the strict DER certificate and CRL reader (pki/cert.h)
 * that replaces d2i_X509 / d2i_X509_CRL on the verification path. Every input
 * is read both as a certificate and as a CRL; accepted results must be
 * self-consistent (spans inside the input, revoked serials found again).
 * Thread-safe: no state. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(avow_span s, const uint8_t *data, size_t size)
{
    if (s.len && (s.p < data || s.p + s.len > data + size)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avow_cert c;
    avow_error e;
    if (avow_cert_parse(data, size, &c, &e) == AVOW_OK) {
        inside(c.tbs, data, size);
        inside(c.sig, data, size);
        inside(c.serial, data, size);
        inside(c.issuer, data, size);
        inside(c.subject, data, size);
        inside(c.key, data, size);
        inside(c.sgx_ext, data, size);
        if (c.der.len != size || c.serial.len == 0) abort();
        char buf[64];
        avow_cert_serial_hex(&c, buf, sizeof(buf));
        avow_cert_text(c.subject_cn, buf, sizeof(buf));
    } else if (e.msg[0] == '\0') {
        abort();
    }
    avow_crl crl;
    if (avow_crl_parse(data, size, &crl, &e) == AVOW_OK) {
        inside(crl.tbs, data, size);
        inside(crl.revoked, data, size);
        uint8_t one = 1;
        (void)avow_crl_has_serial(&crl, (avow_span){&one, 1});
    } else if (e.msg[0] == '\0') {
        abort();
    }
    return 0;
}
