#!/usr/bin/env python3
"""Writes the certificate and CRL cases in tests/data/der/: small DER objects
(unsigned: the reader under test never needs a valid signature) on which the
strict reader (src/pki/cert.c) once disagreed with OpenSSL, as found by
tests/fuzz/fuzz_der_diff.c. Each *_bad case must be refused; the *_ok ones
read. Re-run after editing; tests/unit/pki_cert.c reads them."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, '..', '..', 'vectors', 'data')


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body


def seq(*x):
    return tlv(0x30, b''.join(x))


def oid(hexs):
    return tlv(0x06, bytes.fromhex(hexs))


ECDSA_SHA256 = seq(oid('2a8648ce3d040302'))
POINT = bytes.fromhex(
    '046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'
    '4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5')
SPKI = seq(seq(oid('2a8648ce3d0201'), oid('2a8648ce3d030107')), tlv(0x03, b'\x00' + POINT))
SIG = tlv(0x03, b'\x00' + seq(tlv(0x02, b'\x01'), tlv(0x02, b'\x01')))


def name(cn=b'T'):
    return seq(tlv(0x31, seq(oid('550403'), tlv(0x0c, cn))))


def ext(oid_hex, value, critical=False):
    return seq(oid(oid_hex), tlv(0x01, b'\xff') if critical else b'', tlv(0x04, value))


def cert(version=2, exts=(), unique_ids=b''):
    v = tlv(0xa0, tlv(0x02, bytes([version])))
    validity = seq(tlv(0x17, b'200101000000Z'), tlv(0x17, b'300101000000Z'))
    tbs = seq(v, tlv(0x02, b'\x01'), ECDSA_SHA256, name(), validity, name(), SPKI, unique_ids,
              tlv(0xa3, seq(*exts)) if exts else b'')
    return seq(tbs, ECDSA_SHA256, SIG)


def crl(entries):
    tbs = seq(tlv(0x02, b'\x01'), ECDSA_SHA256, name(), tlv(0x17, b'200101000000Z'),
              tlv(0x17, b'300101000000Z'), seq(*entries))
    return seq(tbs, ECDSA_SHA256, SIG)


def entry(serial, exts=()):
    return seq(tlv(0x02, serial), tlv(0x17, b'200101000000Z'), seq(*exts) if exts else b'')


AKI, BC, CERT_ISSUER, REASON = '551d23', '551d13', '551d1d', '551d15'
CASES = {
    # authorityCertIssuer that is not GeneralNames: OpenSSL cannot read the AKI
    'aki_issuer_garbage': cert(exts=[ext(AKI, seq(tlv(0x80, b'\x01\x02'), tlv(0xa1, b'\x01\x02'),
                                                  tlv(0x82, b'\x01')))]),
    # authorityCertSerialNumber not a minimal INTEGER
    'aki_serial_nonmin': cert(exts=[ext(AKI, seq(tlv(0x80, b'\x01\x02'), tlv(0xa1, seq()),
                                                 tlv(0x82, b'\x00\x01')))]),
    # well-formed issuer and serial: read, keyIdentifier 01 02
    'aki_gn_ok': cert(exts=[ext(AKI, seq(tlv(0x80, b'\x01\x02'), tlv(0xa1, tlv(0xa4, name())),
                                         tlv(0x82, b'\x01')))]),
    # pathLenConstraint without cA (OpenSSL marks it invalid)
    'bc_pathlen_noca': cert(exts=[ext(BC, seq(tlv(0x02, b'\x01')), True)]),
    # unique identifiers that are not BIT STRINGs (d2i_X509 refuses them)
    'uid_bad_unused': cert(version=1, unique_ids=tlv(0x81, b'\x09\x01')),
    'uid_empty': cert(version=1, unique_ids=tlv(0x81, b'')),
    'suid_bad': cert(version=2, unique_ids=tlv(0x82, b'\x08')),
    # an indirect CRL entry (another issuer's certificate), then a plain one
    'crl_certiss_other': crl([entry(b'\x05', [ext(CERT_ISSUER, seq(tlv(0xa4, name(b'U'))))]),
                              entry(b'\x06')]),
    # serial 5 twice, first with removeFromCRL (a delta-CRL reason): OpenSSL's
    # answer depends on the order its unstable sort leaves them in
    'crl_removed_twice': crl([entry(b'\x05', [ext(REASON, tlv(0x0a, b'\x08'))]), entry(b'\x05')]),
}

for case, der in CASES.items():
    with open(os.path.join(HERE, case + '.der'), 'wb') as f:
        f.write(der)

# A real Intel CRL whose issuer O is no longer valid UTF-8 (0x61 -> 0xe1 in
# "Intel Corporation"): d2i_X509_CRL refuses to canonicalise the Name.
crl_hex = None
import json
with open(os.path.join(VECTORS, 'dcap', 'I1-integritee-sgx-v3', 'collateral.json')) as f:
    c = json.load(f)
for key in ('pck_crl', 'root_ca_crl'):
    der = bytes.fromhex(c[key])
    if b'Intel Corporation' in der and b'PCK Platform' in der:
        crl_hex = der
        break
bad = bytearray(crl_hex)
i = bad.index(b'Intel Corporation') + len('Intel Corpor')
bad[i] = 0xe1
with open(os.path.join(HERE, 'crl_name_bad_utf8.der'), 'wb') as f:
    f.write(bytes(bad))
