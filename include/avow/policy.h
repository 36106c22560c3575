/* Appraisal policy: the MAA policy language (versions 1.0, 1.1, 1.2), compiled
 * once into an immutable avow_policy and evaluated against a claim set; the
 * default SGX policy; the x-ms-policy-hash; and the policy / policy-signer
 * management bodies of the MAA REST API (bytes in, claims out; no HTTP).
 * Reference: docs/maa.md §3 (language), §1.7-§1.8 (JWS).
 *
 * Language summary (what is accepted):
 *   version=1.0|1.1|1.2;
 *   [configurationrules { rules };]   (1.1+)
 *   [authorizationrules { rules };]
 *   [issuancerules { rules };]
 *   rule      = [cond {&& cond}] => action ;
 *   cond      = [!] [ident :] [ test {, test} ]          (! only in 1.2)
 *   test      = (type|value|issuer|valueType) op expr     op: == != < <= > >=
 *   expr      = "string" | integer | true | false | ident.(value|type|issuer|valueType)
 *             | Function(expr, ...)                       (1.2: AppendString,
 *               NegateBool, JsonToClaimValue, IsSubsetOf, ContainsOnlyValue)
 *   action    = permit() | deny() | add(...) | issue(...) | issueproperty(...)
 *               with (type="T", value=expr) or (claim=ident)
 * Leniencies (seen in Microsoft's own samples): a single '=' in a test means
 * '=='; CRLF, tabs, a UTF-8 BOM; `//` line and C block comments; a missing ';' after
 * the last rule's action right before '}'.
 * Load-time errors carry line:column and say what was expected; unsupported
 * functions (e.g. JmesPath) are rejected at load time, never at evaluation.
 *
 * Semantics (docs/maa.md §3.3): a condition holds when some claim matches all
 * its tests; a rule fires once per combination of claims matched by its
 * bound (identified) conditions, seeing the claims present when the rule
 * started; claims added by earlier rules are visible to later rules; a
 * negated condition holds when no claim matches. Comparisons of different
 * value kinds never match; ordering applies to integers only (ordering with a
 * string/boolean literal, or on type/issuer/valueType, is a load-time error).
 * In IsSubsetOf / ContainsOnlyValue, `c.value` stands for the values of all
 * claims matched by c's condition (c then binds a set and does not iterate).
 * deny() wins over permit(); no permit means refused. add() extends the
 * incoming set; issue() extends incoming and outgoing; issueproperty() sets a
 * property (replacing one of the same type). issue(claim=c)/add(claim=c)
 * copy the bound claim (keeping its issuer); type=/value= claims get issuer
 * AttestationPolicy.
 *
 * Thread-safety: an avow_policy is immutable after compilation and may be
 * evaluated by many threads at once; results are per call. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/claims.h"
#include "avow/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct avow_policy avow_policy;

/* A load-time diagnostic. `msg` is complete, e.g.
 * "3:17: expected ']' or ',' after property test, found '=>'". */
typedef struct {
    int line, col; /* 1-based; 0 when not tied to a place (e.g. empty input) */
    char msg[256];
} avow_policy_diag;

/* Compiles policy text (UTF-8). On failure returns AVOW_ERR_FORMAT (syntax
 * or semantic error) or AVOW_ERR_UNSUPPORTED (unsupported function or
 * version) and fills `diag` (may be NULL). `name` (may be NULL) names the
 * policy in evaluation reasons, e.g. "SgxEnclave policy"; NULL gives
 * "policy <x-ms-policy-hash>". */
avow_err avow_policy_compile(const char *text, size_t len, const char *name, avow_policy **out,
                             avow_policy_diag *diag);
void avow_policy_free(avow_policy *p);

/* The source text exactly as compiled (NUL-terminated), its length in *len. */
const char *avow_policy_text(const avow_policy *p, size_t *len);
const char *avow_policy_name(const avow_policy *p);
/* "1.0", "1.1" or "1.2". */
const char *avow_policy_version(const avow_policy *p);
/* The policy's x-ms-policy-hash (computed once at compile time). */
const char *avow_policy_get_hash(const avow_policy *p);

/* x-ms-policy-hash of a policy text (docs/maa.md §2.2):
 * BASE64URL(SHA256(UTF8(BASE64URL(UTF8(text))))), unpadded, 43 chars + NUL. */
#define AVOW_POLICY_HASH_LEN 44
avow_err avow_policy_hash(const char *text, size_t len, char out[AVOW_POLICY_HASH_LEN]);

/* MAA's current default SGX policy (docs/maa.md §3.5, version 1.1), as text,
 * and compiled once (thread-safe, on first use); never freed. NULL only when
 * memory ran out. */
const char *avow_policy_default_text(void);
const avow_policy *avow_policy_default(void);

/* Avow's default TdxVm policy (docs/maa.md §3.5; MAA documents none): version
 * 1.0, permit every genuine TD quote, issue nothing. As above. */
const char *avow_policy_default_tdx_text(void);
const avow_policy *avow_policy_default_tdx(void);

typedef enum {
    AVOW_SECTION_NONE = 0,
    AVOW_SECTION_CONFIGURATION,
    AVOW_SECTION_AUTHORIZATION,
    AVOW_SECTION_ISSUANCE,
} avow_policy_section;

/* "configurationrules", "authorizationrules", "issuancerules"; "" for NONE. */
const char *avow_policy_section_name(avow_policy_section s);

typedef struct {
    bool permit;
    /* The deciding rule: the deny() that fired, else the first permit() that
     * fired; AVOW_SECTION_NONE when no rule decided (no permit, or an
     * evaluation error). rule_index is 0-based within its section. */
    avow_policy_section section;
    size_t rule_index;
    int line, col;
    bool eval_error;         /* refused because evaluation failed (limit, bad function input) */
    char reason[256];        /* why refused, naming the policy; "" on permit */
    avow_claims *claims;     /* the final incoming set (incoming + add + issue) */
    avow_claims *issued;     /* the outgoing claims (issue), in order */
    avow_claims *properties; /* issueproperty (e.g. x-ms-sgx-tcbidentifier) */
} avow_policy_result;

void avow_policy_result_init(avow_policy_result *r);
void avow_policy_result_free(avow_policy_result *r);

/* Evaluates configurationrules, authorizationrules and, when permitted,
 * issuancerules over a copy of `incoming`. Returns AVOW_OK whenever a
 * decision was reached (read res->permit; a deny is not an error), and an
 * error only for bad arguments or memory exhaustion. Evaluation is bounded
 * (claims added, condition checks); exceeding a bound refuses with
 * eval_error set. Never re-parses the policy. */
avow_err avow_policy_evaluate(const avow_policy *p, const avow_claims *incoming,
                              avow_policy_result *res, avow_error *err);

/* Runs configurationrules alone over `incoming` and returns the properties
 * they set (*properties, free with avow_claims_free), e.g.
 * x-ms-sgx-tcbidentifier (docs/maa.md §3.3). A service runs this before the
 * evidence is verified, to know what configures the verification (which
 * TCB evaluation number judges); a rule conditioned on claims that do not
 * exist yet does not fire then. An evaluation error is AVOW_ERR_FORMAT. */
avow_err avow_policy_configuration(const avow_policy *p, const avow_claims *incoming,
                                   avow_claims **properties, avow_error *err);

/* ---- policy management (MAA PUT /policies, certificates:add|remove) ------ */

typedef enum {
    AVOW_POLICY_MODE_AAD = 0,  /* MAA "AAD"/token mode: unsigned (alg none) or signed accepted */
    AVOW_POLICY_MODE_ISOLATED, /* must be signed by a current policy-signer certificate */
} avow_policy_mode;

/* The current policy-signer certificates (PEM), for ISOLATED mode checks. */
typedef struct {
    const char *const *cert_pems;
    size_t n;
} avow_policy_signers;

/* A validated policy upload. */
typedef struct {
    avow_policy *policy; /* compiled; owned */
    char *text;          /* the policy text (decoded AttestationPolicy) */
    char *jws;           /* the JWS exactly as received (trimmed of whitespace / JSON quotes) */
    bool signed_;        /* signed (RS256/RSA256) rather than alg none */
    char *signer_pem;    /* signing certificate (x5c[0]) as PEM, or NULL */
    char token_hash[AVOW_POLICY_HASH_LEN]; /* x-ms-policy-token-hash: b64url(SHA-256(jws)) */
    avow_policy_diag diag;                 /* on a compile failure: the policy's line:col error */
    int64_t iat; /* payload "iat" (unix seconds, `avow policy sign` writes it); -1: none */
} avow_policy_upload;

void avow_policy_upload_free(avow_policy_upload *u);

/* Parses a PUT /policies/{type} body: a compact JWS (raw, or a JSON string
 * literal holding it) whose payload is {"AttestationPolicy":
 * base64url(policy text)} (raw policy text starting with "version" is
 * accepted too, as the 2018 preview did), with an optional "iat" (a
 * NumericDate: the rollback mark's input, docs/security.md). alg "none" is
 * accepted only in AAD mode; RS256/RSA256/ES256 signatures are verified with
 * the header's x5c[0] (or jwk.x5c[0], as the Python SDK writes it), which in
 * ISOLATED mode must be one of `signers`. The policy is compiled; a compile
 * error returns AVOW_ERR_FORMAT with err->msg "policy 3:17: ..." and u->diag
 * filled. Errors: AVOW_ERR_FORMAT (malformed), AVOW_ERR_SIGNATURE,
 * AVOW_ERR_CHAIN (signer not trusted / unsigned in isolated mode). */
avow_err avow_policy_upload_parse(const uint8_t *body, size_t len, avow_policy_mode mode,
                                  const avow_policy_signers *signers, avow_policy_upload *u,
                                  avow_error *err);

/* Builds an unsigned ("none") or signed (RS256 with x5c header, key PEM +
 * cert PEM) policy JWS ready for PUT: payload {"AttestationPolicy":
 * b64url(text), "iat": iat}; iat < 0 leaves "iat" out (MAA's own form).
 * key_pem/cert_pem NULL gives the unsigned form. */
avow_err avow_policy_jws_build(const char *text, size_t len, const char *key_pem,
                               const char *cert_pem, int64_t iat, char **out, avow_error *err);

/* A validated POST /policies/{type}:reset body, exactly as MAA's clients
 * send it (docs/security.md "Policy management"): a JWS with an EMPTY
 * payload (the JSON literal `null` too, as early Python SDK builds wrote it),
 * alg "none" (AAD mode only) or RS256/RSA256/ES256 with x5c (or jwk.x5c). A
 * JWS whose payload carries anything (a policy, a certificate request) is
 * AVOW_ERR_FORMAT: a policy JWS is never taken as a reset. */
typedef struct {
    char *jws;        /* as received (trimmed of whitespace / JSON quotes) */
    bool signed_;     /* signed rather than alg none */
    char *signer_pem; /* signing certificate, or NULL */
} avow_policy_reset;

avow_err avow_policy_reset_parse(const uint8_t *body, size_t len, avow_policy_mode mode,
                                 const avow_policy_signers *signers, avow_policy_reset *r,
                                 avow_error *err);
void avow_policy_reset_free(avow_policy_reset *r);

/* PolicyResult claims (docs/maa.md §1.7) for a set or a reset:
 * x-ms-policy-result "Updated" (u != NULL) or "Removed" (u == NULL, reset),
 * x-ms-policy-token-hash, x-ms-policy-signer (JWK {"kty","x5c"}, signed
 * only), x-ms-policy (the JWS; only when `include_jws`). For a reset, pass
 * the reset body as `reset_jws` (its hash becomes the token hash). */
avow_err avow_policy_result_claims(const avow_policy_upload *u, const char *reset_jws,
                                   size_t reset_len, bool include_jws, avow_claims **out,
                                   avow_error *err);

/* GET /policies claims: x-ms-policy = the stored JWS (for a never-set policy,
 * pass NULL: an unsigned JWS of the default text is built), and
 * x-ms-policy-signer when signer_pem is given. */
avow_err avow_policy_get_claims(const char *stored_jws, const char *signer_pem, avow_claims **out,
                                avow_error *err);

typedef enum { AVOW_CERT_OP_ADD, AVOW_CERT_OP_REMOVE } avow_cert_op;

/* "add" / "remove". */
const char *avow_cert_op_name(avow_cert_op op);

/* A validated certificates:add|remove body (docs/maa.md §1.8): a JWS (raw or
 * JSON-quoted) signed (RS256/RSA256/ES256, x5c or jwk.x5c header) by one of
 * the current `signers`, payload {"policyCertificate": JWK with x5c} (or the
 * 2018 "maa-policyCertificate"). MAA's clients send the same payload for add
 * and remove, so such a request can be replayed at the other route. Avow's
 * form (avow_cert_request_build, `avow policy sign-cert-request`) adds
 * "x-avow-operation": "add"|"remove" and "iat": the operation must then match
 * the route (avow_cert_request_apply) and the iat the certificates' rollback
 * mark. */
typedef struct {
    char *cert_pem;      /* the certificate to add or remove */
    char thumbprint[41]; /* x-ms-certificate-thumbprint: hex SHA-1 of its DER */
    char *signer_pem;    /* who signed the request */
    bool has_op;         /* the payload names its operation (Avow's form) */
    avow_cert_op op;     /* ... which is this one */
    int64_t iat;         /* payload "iat"; -1: none (MAA's form) */
} avow_cert_request;

void avow_cert_request_free(avow_cert_request *r);

avow_err avow_cert_request_parse(const uint8_t *body, size_t len,
                                 const avow_policy_signers *signers, avow_cert_request *r,
                                 avow_error *err);

/* Builds Avow's certificate request: a JWS signed by key_pem/cert_pem (RSA,
 * RS256 with x5c) with payload {"policyCertificate": {"kty","x5c"} of
 * `target_pem`, "x-avow-operation": op, "iat": iat}. */
avow_err avow_cert_request_build(const char *target_pem, avow_cert_op op, int64_t iat,
                                 const char *key_pem, const char *cert_pem, char **out,
                                 avow_error *err);

/* Applies a request to the signer list: for ADD, *new_list is the list plus
 * the certificate (unchanged if present); for REMOVE, minus it (unchanged if
 * absent), and removing the last signer is AVOW_ERR_ARG. A request that names
 * another operation (r->has_op) is AVOW_ERR_MISMATCH. *new_list is a
 * malloc'd array of malloc'd PEM strings (free each, then the array);
 * *present tells whether the certificate is in the resulting list. Also
 * returns the result claims: x-ms-certificate-thumbprint,
 * x-ms-policycertificates-result "IsPresent"/"IsAbsent". */
avow_err avow_cert_request_apply(const avow_cert_request *r, avow_cert_op op,
                                 const avow_policy_signers *current, char ***new_list,
                                 size_t *new_n, avow_claims **result, avow_error *err);

/* GET /certificates claims: x-ms-policy-certificates {"keys":[JWK...]}. */
avow_err avow_policy_certificates_claims(const avow_policy_signers *signers, avow_claims **out,
                                         avow_error *err);

#ifdef __cplusplus
}
#endif
