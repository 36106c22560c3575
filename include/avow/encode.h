/* Hex, base64 and base64url codecs, percent-decoding, and input sniffing.
 * All functions take explicit lengths and never read past them.
 * Thread-safe: no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lower-case hex of `len` bytes into `out` (2*len + 1 bytes, NUL-terminated). */
void avow_hex_encode(const uint8_t *in, size_t len, char *out);

/* Decodes hex (either case, no separators) into a malloc'd buffer. */
avow_err avow_hex_decode_alloc(const char *in, size_t len, uint8_t **out, size_t *out_len,
                               avow_error *err);

/* Decodes exactly `out_len` bytes of hex (2*out_len characters) into `out`. */
avow_err avow_hex_decode_fixed(const char *in, size_t len, uint8_t *out, size_t out_len,
                               avow_error *err);

/* Standard base64 (RFC 4648 §4) with padding; `out` needs avow_base64_len(len) bytes. */
size_t avow_base64_len(size_t len); /* including the NUL */
void avow_base64_encode(const uint8_t *in, size_t len, char *out);

/* base64url (RFC 4648 §5) without padding; `out` needs avow_base64_len(len) bytes. */
void avow_base64url_encode(const uint8_t *in, size_t len, char *out);

/* Strict decoders into a malloc'd buffer. base64: padding required unless
 * `lenient` (then missing padding and ASCII whitespace are accepted).
 * base64url: no padding allowed unless `lenient`. Non-canonical trailing bits
 * are an error in strict mode. */
avow_err avow_base64_decode_alloc(const char *in, size_t len, bool lenient, uint8_t **out,
                                  size_t *out_len, avow_error *err);
avow_err avow_base64url_decode_alloc(const char *in, size_t len, bool lenient, uint8_t **out,
                                     size_t *out_len, avow_error *err);

/* Percent-decoding (URL-encoded PEM in PCS headers). '+' is kept as '+'. */
avow_err avow_percent_decode_alloc(const char *in, size_t len, char **out, size_t *out_len,
                                   avow_error *err);

/* How a binary blob arrived in a file or argument. */
typedef enum { AVOW_ENC_RAW, AVOW_ENC_HEX, AVOW_ENC_BASE64, AVOW_ENC_BASE64URL } avow_encoding;

/* Guesses the encoding of a file's contents: hex if every byte (ignoring
 * trailing whitespace) is a hex digit and the count is even, base64/base64url
 * if every byte is in that alphabet, else raw. */
avow_encoding avow_encoding_sniff(const uint8_t *in, size_t len);

/* Decodes `in` according to `enc` into a malloc'd buffer (raw: a copy). */
avow_err avow_decode_as(avow_encoding enc, const uint8_t *in, size_t len, uint8_t **out,
                        size_t *out_len, avow_error *err);

/* Constant-time comparison for MACs and secrets: 0 when equal. */
int avow_ct_memcmp(const void *a, const void *b, size_t len);

/* Overwrites memory in a way the compiler cannot elide (keys after use). */
void avow_wipe(void *p, size_t len);

#ifdef __cplusplus
}
#endif
