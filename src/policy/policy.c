/* Compiling a policy (lex + parse once into an immutable avow_policy), its
 * accessors, and the result type (include/avow/policy.h). Thread-safe: a
 * compiled policy is never modified. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

const char *avow_policy_section_name(avow_policy_section s)
{
    switch (s) {
        case AVOW_SECTION_CONFIGURATION:
            return "configurationrules";
        case AVOW_SECTION_AUTHORIZATION:
            return "authorizationrules";
        case AVOW_SECTION_ISSUANCE:
            return "issuancerules";
        case AVOW_SECTION_NONE:
            break;
    }
    return "";
}

avow_err avow_policy_compile(const char *text, size_t len, const char *name, avow_policy **out,
                             avow_policy_diag *diag)
{
    if (diag) memset(diag, 0, sizeof(*diag));
    if (!out || (!text && len)) return policy_diag_set(diag, AVOW_ERR_ARG, 0, 0, "no policy text");
    *out = NULL;
    if (!text) text = "";
    if (memchr(text, '\0', len))
        return policy_diag_set(diag, AVOW_ERR_FORMAT, 0, 0, "policy text contains a NUL byte");
    struct avow_policy *p = calloc(1, sizeof(*p));
    if (!p) return policy_diag_set(diag, AVOW_ERR_NOMEM, 0, 0, "out of memory");
    token_list toks;
    avow_err rc = policy_lex(text, len, &toks, diag);
    if (rc) {
        if (rc == AVOW_ERR_NOMEM) policy_diag_set(diag, rc, 0, 0, "out of memory");
        free(p);
        return rc;
    }
    rc = policy_parse(&toks, p, diag);
    policy_tokens_free(&toks);
    if (rc) {
        if (rc == AVOW_ERR_NOMEM) policy_diag_set(diag, rc, 0, 0, "out of memory");
        goto fail;
    }
    p->text = malloc(len + 1);
    if (!p->text) {
        rc = policy_diag_set(diag, AVOW_ERR_NOMEM, 0, 0, "out of memory");
        goto fail;
    }
    memcpy(p->text, text, len);
    p->text[len] = '\0';
    p->len = len;
    if ((rc = avow_policy_hash(text, len, p->hash))) {
        policy_diag_set(diag, rc, 0, 0, "cannot hash the policy");
        goto fail;
    }
    if (name) {
        p->name = strdup(name);
    } else {
        char buf[64];
        snprintf(buf, sizeof(buf), "policy %s", p->hash);
        p->name = strdup(buf);
    }
    if (!p->name) {
        rc = policy_diag_set(diag, AVOW_ERR_NOMEM, 0, 0, "out of memory");
        goto fail;
    }
    *out = p;
    return AVOW_OK;
fail:
    avow_policy_free(p);
    return rc;
}

void avow_policy_free(avow_policy *p)
{
    if (!p) return;
    policy_ast_free(p);
    free(p->text);
    free(p->name);
    free(p);
}

const char *avow_policy_text(const avow_policy *p, size_t *len)
{
    if (len) *len = p ? p->len : 0;
    return p ? p->text : NULL;
}

const char *avow_policy_name(const avow_policy *p)
{
    return p ? p->name : NULL;
}

const char *avow_policy_version(const avow_policy *p)
{
    static const char *v[] = {"1.0", "1.1", "1.2"};
    return p && p->minor >= 0 && p->minor <= 2 ? v[p->minor] : "";
}

const char *avow_policy_get_hash(const avow_policy *p)
{
    return p ? p->hash : NULL;
}

void avow_policy_result_init(avow_policy_result *r)
{
    memset(r, 0, sizeof(*r));
}

void avow_policy_result_free(avow_policy_result *r)
{
    if (!r) return;
    avow_claims_free(r->claims);
    avow_claims_free(r->issued);
    avow_claims_free(r->properties);
    memset(r, 0, sizeof(*r));
}
