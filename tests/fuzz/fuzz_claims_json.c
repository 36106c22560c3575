/* libFuzzer target: the claim set's JSON output (src/policy/claims.c) against
 * jansson. claims.c writes JSON without jansson on two fast paths (a scanner
 * that keeps JSON claim text jansson would print the same way, and a token
 * body written directly); this proves them equal to jansson byte for byte:
 * the text a JSON claim is stored as must be jansson's compact dump of what
 * was given (or the add must fail exactly when jansson refuses it), and
 * avow_claims_to_json must equal the jansson-only path. The input is a list
 * of claims "<kind><type>\0<value>\0..." (kind: the first byte mod 4).
 * Thread-safe: no state. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "avow/claims.h"
#include "policy/claims_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIFF(...)                              \
    do {                                       \
        fprintf(stderr, "fuzz_claims_json: "); \
        fprintf(stderr, __VA_ARGS__);          \
        fprintf(stderr, "\n");                 \
        abort();                               \
    } while (0)

/* The next NUL-terminated piece of the input, copied (NULL at the end). */
static char *piece(const uint8_t *data, size_t size, size_t *pos)
{
    if (*pos >= size) return NULL;
    const uint8_t *end = memchr(data + *pos, 0, size - *pos);
    size_t n = end ? (size_t)(end - (data + *pos)) : size - *pos;
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, data + *pos, n);
    s[n] = '\0';
    *pos += n + 1;
    return s;
}

/* jansson's own form of a JSON claim: compact, members in order. */
static char *jansson_form(const char *text)
{
    json_t *j = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, NULL);
    char *out = NULL;
    if (j && (json_is_object(j) || json_is_array(j)))
        out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    json_decref(j);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avow_claims *cs = avow_claims_new();
    if (!cs) return 0;
    size_t pos = 0;
    for (int i = 0; i < 64 && pos < size; i++) {
        int kind = data[pos++] % 4;
        char *type = piece(data, size, &pos), *value = piece(data, size, &pos);
        if (!type || !value) {
            free(type);
            free(value);
            break;
        }
        avow_err rc = AVOW_OK;
        switch (kind) {
            case AVOW_CLAIM_STRING:
                rc = avow_claims_add_string(cs, type, value, AVOW_ISSUER_CUSTOM);
                break;
            case AVOW_CLAIM_INTEGER:
                rc = avow_claims_add_int(cs, type, strtoll(value, NULL, 10), AVOW_ISSUER_CUSTOM);
                break;
            case AVOW_CLAIM_BOOLEAN:
                rc = avow_claims_add_bool(cs, type, value[0] & 1, AVOW_ISSUER_CUSTOM);
                break;
            default: {
                char *want = jansson_form(value);
                rc = avow_claims_add_json(cs, type, value, AVOW_ISSUER_CUSTOM);
                if (*type && (rc == AVOW_OK) != (want != NULL))
                    DIFF("JSON claim accepted=%d, jansson reads it=%d", rc == AVOW_OK, !!want);
                if (rc == AVOW_OK) {
                    const avow_claim *c = avow_claims_at(cs, avow_claims_count(cs) - 1);
                    if (strcmp(c->value.str, want) != 0)
                        DIFF("JSON claim stored as %s, jansson writes %s", c->value.str, want);
                }
                free(want);
            }
        }
        (void)rc;
        free(type);
        free(value);
    }
    /* a copy (no re-reading) gives the same body */
    avow_claims *copy = avow_claims_copy(cs);
    char *fast = NULL, *ref = NULL, *again = NULL;
    avow_err a = avow_claims_to_json(cs, &fast, NULL);
    avow_err b = avow_claims_to_json_jansson(cs, &ref, NULL);
    if (a != b) DIFF("token body: %d with the fast path, %d with jansson", a, b);
    if (a == AVOW_OK && strcmp(fast, ref) != 0) DIFF("token body differs:\n%s\n%s", fast, ref);
    if (copy && avow_claims_to_json(copy, &again, NULL) == AVOW_OK && a == AVOW_OK &&
        strcmp(again, fast) != 0)
        DIFF("the copy's token body differs");
    free(fast);
    free(ref);
    free(again);
    avow_claims_free(copy);
    avow_claims_free(cs);
    return 0;
}
