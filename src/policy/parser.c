/* Parser of the MAA policy language: tokens (lexer.c) -> the compiled form in
 * policy_int.h, with the load-time checks: section order and version gates,
 * where each action may appear, identifier scoping and set/single use,
 * supported functions and their argument counts, and integer-only ordering.
 * Every error names line:column and what was expected. Recursive descent;
 * expression nesting is bounded. Thread-safe: no state. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

#define MAX_EXPR_DEPTH 32

typedef struct {
    const token_list *t;
    size_t i;
    avow_policy_diag *diag;
    struct avow_policy *p;
    int section; /* 0 configuration, 1 authorization, 2 issuance */
    /* the rule being parsed: condition identifiers and their uses */
    prule *rule;
    size_t scope; /* conditions visible to references (those before the current one) */
    int *scalar_uses, *set_uses;
    size_t uses_cap;
} parser;

static const char *section_names[3] = {"configurationrules", "authorizationrules", "issuancerules"};

static const token *cur(parser *P)
{
    return &P->t->v[P->i];
}
static const token *look(parser *P, size_t k)
{
    size_t j = P->i + k;
    return &P->t->v[j < P->t->n ? j : P->t->n - 1];
}
static void next(parser *P)
{
    if (P->i + 1 < P->t->n) P->i++;
}
static bool is_ident(const token *t, const char *s)
{
    return t->kind == TK_IDENT && !strcmp(t->text, s);
}

static avow_err expected(parser *P, const char *what)
{
    char found[80];
    policy_tok_describe(cur(P), found, sizeof(found));
    return policy_diag_set(P->diag, AVOW_ERR_FORMAT, cur(P)->line, cur(P)->col,
                           "expected %s, found %s", what, found);
}

static avow_err expect(parser *P, tok_kind k, const char *what)
{
    if (cur(P)->kind != k) return expected(P, what);
    next(P);
    return AVOW_OK;
}

static avow_err err_at(parser *P, const token *t, avow_err code, const char *msg)
{
    return policy_diag_set(P->diag, code, t->line, t->col, "%s", msg);
}

void pexpr_free(pexpr *e)
{
    if (!e) return;
    free((char *)e->lit.str);
    for (size_t i = 0; i < e->nargs; i++)
        pexpr_free(e->args[i]);
    free(e->args);
    free(e);
}

static void cond_free(pcond *c)
{
    free(c->ident);
    for (size_t i = 0; i < c->ntests; i++)
        pexpr_free(c->tests[i].rhs);
    free(c->tests);
}

static void rule_free(prule *r)
{
    for (size_t i = 0; i < r->nconds; i++)
        cond_free(&r->conds[i]);
    free(r->conds);
    free(r->act.type);
    pexpr_free(r->act.value);
}

void policy_ast_free(struct avow_policy *p)
{
    for (int s = 0; s < 3; s++) {
        for (size_t i = 0; i < p->sec[s].n; i++)
            rule_free(&p->sec[s].rules[i]);
        free(p->sec[s].rules);
        p->sec[s].rules = NULL;
        p->sec[s].n = 0;
    }
}

static bool grow(void **v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap) return true;
    size_t nc = *cap ? *cap * 2 : 4;
    void *nv = realloc(*v, nc * size);
    if (!nv) return false;
    *v = nv;
    *cap = nc;
    return true;
}

/* ---- expressions --------------------------------------------------------- */

static int find_ident(parser *P, const char *name, size_t limit)
{
    for (size_t i = 0; i < limit && i < P->rule->nconds; i++)
        if (P->rule->conds[i].ident && !strcmp(P->rule->conds[i].ident, name)) return (int)i;
    return -1;
}

static bool parse_prop_name(const char *s, prop_kind *out)
{
    if (!strcmp(s, "type"))
        *out = PROP_TYPE;
    else if (!strcmp(s, "value"))
        *out = PROP_VALUE;
    else if (!strcmp(s, "issuer"))
        *out = PROP_ISSUER;
    else if (!strcmp(s, "valueType"))
        *out = PROP_VALUETYPE;
    else
        return false;
    return true;
}

/* The kind an expression is known to have at load time, or -1. */
static int static_kind(const pexpr *e)
{
    if (e->kind == EX_LIT) return (int)e->lit.kind;
    if (e->kind == EX_REF) return e->prop == PROP_VALUE ? -1 : (int)AVOW_CLAIM_STRING;
    switch (e->fn) {
        case FN_APPEND_STRING:
            return AVOW_CLAIM_STRING;
        case FN_NEGATE_BOOL:
        case FN_IS_SUBSET_OF:
        case FN_CONTAINS_ONLY_VALUE:
            return AVOW_CLAIM_BOOLEAN;
        case FN_JSON_TO_CLAIM_VALUE:
            return -1;
    }
    return -1;
}

static const char *kind_word(int k)
{
    return k == AVOW_CLAIM_INTEGER   ? "an integer"
           : k == AVOW_CLAIM_BOOLEAN ? "a boolean"
                                     : "a string";
}

static avow_err parse_expr(parser *P, size_t scope, int depth, pexpr **out);

static avow_err check_fn_args(parser *P, const token *at, pexpr *e)
{
    for (size_t i = 0; i < e->nargs; i++) {
        int k = static_kind(e->args[i]);
        const pexpr *a = e->args[i];
        const char *need = NULL;
        switch (e->fn) {
            case FN_APPEND_STRING:
                if (k >= 0 && k != AVOW_CLAIM_STRING && k != AVOW_CLAIM_JSON) need = "a string";
                break;
            case FN_NEGATE_BOOL:
                if (k >= 0 && k != AVOW_CLAIM_BOOLEAN) need = "a boolean";
                break;
            case FN_JSON_TO_CLAIM_VALUE:
                if (k >= 0 && k != AVOW_CLAIM_STRING) need = "a string holding JSON";
                if (!need && a->kind == EX_LIT) {
                    json_t *j = json_loads(a->lit.str, JSON_DECODE_ANY, NULL);
                    if (!j) need = "a string holding valid JSON";
                    json_decref(j);
                }
                break;
            case FN_CONTAINS_ONLY_VALUE:
            case FN_IS_SUBSET_OF:
                break;
        }
        if (need && a->kind == EX_LIT && e->fn == FN_JSON_TO_CLAIM_VALUE && k == AVOW_CLAIM_STRING)
            return policy_diag_set(P->diag, AVOW_ERR_FORMAT, a->line, a->col,
                                   "argument %zu of %s is not valid JSON", i + 1, at->text);
        if (need) {
            return policy_diag_set(P->diag, AVOW_ERR_FORMAT, a->line, a->col,
                                   "argument %zu of %s must be %s, found %s", i + 1, at->text, need,
                                   kind_word(k));
        }
    }
    return AVOW_OK;
}

static avow_err parse_call(parser *P, size_t scope, int depth, pexpr **out)
{
    const token *name = cur(P);
    const fn_info *fi = policy_fn_lookup(name->text);
    if (!fi)
        return policy_diag_set(P->diag, AVOW_ERR_UNSUPPORTED, name->line, name->col,
                               "unsupported function %s (supported: AppendString, NegateBool, "
                               "JsonToClaimValue, IsSubsetOf, ContainsOnlyValue)",
                               name->text);
    if (P->p->minor < 2)
        return policy_diag_set(P->diag, AVOW_ERR_FORMAT, name->line, name->col,
                               "function %s needs policy version 1.2 (this policy is 1.%d)",
                               name->text, P->p->minor);
    pexpr *e = calloc(1, sizeof(*e));
    if (!e) return AVOW_ERR_NOMEM;
    e->kind = EX_CALL;
    e->fn = fi->fn;
    e->line = name->line;
    e->col = name->col;
    next(P); /* name */
    next(P); /* ( */
    size_t cap = 0;
    avow_err rc = AVOW_OK;
    if (cur(P)->kind != TK_RPAREN) {
        for (;;) {
            if (!grow((void **)&e->args, e->nargs, &cap, sizeof(*e->args))) {
                rc = AVOW_ERR_NOMEM;
                goto fail;
            }
            pexpr *a = NULL;
            if ((rc = parse_expr(P, scope, depth + 1, &a))) goto fail;
            e->args[e->nargs++] = a;
            if (cur(P)->kind == TK_COMMA) {
                next(P);
                continue;
            }
            if (cur(P)->kind != TK_RPAREN) {
                rc = expected(P, "',' or ')' in the argument list");
                goto fail;
            }
            break;
        }
    }
    next(P); /* ) */
    if (e->nargs != fi->nargs) {
        rc = policy_diag_set(P->diag, AVOW_ERR_FORMAT, name->line, name->col,
                             "%s takes %zu argument%s, found %zu", fi->name, fi->nargs,
                             fi->nargs == 1 ? "" : "s", e->nargs);
        goto fail;
    }
    for (size_t i = 0; i < e->nargs; i++) {
        pexpr *a = e->args[i];
        if (a->kind == EX_REF && policy_fn_set_arg(fi->fn, i)) {
            /* recount this reference as a set use */
            a->as_set = true;
            P->scalar_uses[a->bind]--;
            P->set_uses[a->bind]++;
        }
    }
    if ((rc = check_fn_args(P, name, e))) goto fail;
    *out = e;
    return AVOW_OK;
fail:
    pexpr_free(e);
    return rc;
}

static avow_err parse_expr(parser *P, size_t scope, int depth, pexpr **out)
{
    const token *t = cur(P);
    if (depth > MAX_EXPR_DEPTH)
        return err_at(P, t, AVOW_ERR_FORMAT, "expression nested too deeply");
    if (t->kind == TK_IDENT && look(P, 1)->kind == TK_LPAREN)
        return parse_call(P, scope, depth, out);
    pexpr *e = calloc(1, sizeof(*e));
    if (!e) return AVOW_ERR_NOMEM;
    e->line = t->line;
    e->col = t->col;
    e->kind = EX_LIT;
    avow_err rc = AVOW_OK;
    if (t->kind == TK_STRING) {
        e->lit.kind = AVOW_CLAIM_STRING;
        e->lit.str = strdup(t->text);
        if (!e->lit.str) rc = AVOW_ERR_NOMEM;
        next(P);
    } else if (t->kind == TK_INT) {
        e->lit.kind = AVOW_CLAIM_INTEGER;
        e->lit.integer = t->ival;
        next(P);
    } else if (is_ident(t, "true") || is_ident(t, "false")) {
        e->lit.kind = AVOW_CLAIM_BOOLEAN;
        e->lit.boolean = is_ident(t, "true");
        next(P);
    } else if (t->kind == TK_IDENT && look(P, 1)->kind == TK_DOT) {
        int b = find_ident(P, t->text, scope);
        if (b < 0) {
            bool later = find_ident(P, t->text, P->rule->nconds) >= 0;
            rc = policy_diag_set(P->diag, AVOW_ERR_FORMAT, t->line, t->col,
                                 later ? "identifier '%s' is used before its condition"
                                       : "unknown identifier '%s' (no condition of this rule "
                                         "is named so)",
                                 t->text);
            goto fail;
        }
        next(P);
        next(P); /* . */
        const token *pt = cur(P);
        if (pt->kind != TK_IDENT || !parse_prop_name(pt->text, &e->prop)) {
            rc = expected(P, "'value', 'type', 'issuer' or 'valueType' after '.'");
            goto fail;
        }
        next(P);
        e->kind = EX_REF;
        e->bind = b;
        P->scalar_uses[b]++;
    } else {
        rc = expected(P, "a value (string, integer, true, false, identifier.value or function)");
        goto fail;
    }
    if (rc) goto fail;
    *out = e;
    return AVOW_OK;
fail:
    pexpr_free(e);
    return rc;
}

/* ---- conditions ---------------------------------------------------------- */

static avow_err check_test(parser *P, const ptest *t)
{
    static const char *ops[] = {"==", "!=", "<", "<=", ">", ">="};
    static const char *props[] = {"type", "value", "issuer", "valueType"};
    int k = static_kind(t->rhs);
    bool ordering = t->op >= OP_LT;
    if (t->prop != PROP_VALUE) {
        if (ordering)
            return policy_diag_set(P->diag, AVOW_ERR_FORMAT, t->line, t->col,
                                   "ordering operator '%s' applies to integers only; '%s' is a "
                                   "string",
                                   ops[t->op], props[t->prop]);
        if (k >= 0 && k != AVOW_CLAIM_STRING)
            return policy_diag_set(P->diag, AVOW_ERR_FORMAT, t->rhs->line, t->rhs->col,
                                   "'%s' is a string and cannot equal %s", props[t->prop],
                                   kind_word(k));
    } else if (ordering && k >= 0 && k != AVOW_CLAIM_INTEGER) {
        return policy_diag_set(P->diag, AVOW_ERR_FORMAT, t->rhs->line, t->rhs->col,
                               "ordering operator '%s' applies to integers only, found %s",
                               ops[t->op], kind_word(k));
    }
    return AVOW_OK;
}

static avow_err parse_condition(parser *P, pcond *c, size_t index)
{
    memset(c, 0, sizeof(*c));
    c->line = cur(P)->line;
    c->col = cur(P)->col;
    if (cur(P)->kind == TK_NOT) {
        if (P->p->minor < 2)
            return err_at(P, cur(P), AVOW_ERR_FORMAT,
                          "negated conditions ('!') need policy version 1.2");
        c->negated = true;
        next(P);
    }
    if (cur(P)->kind == TK_IDENT && look(P, 1)->kind == TK_COLON) {
        const token *id = cur(P);
        if (c->negated)
            return err_at(P, id, AVOW_ERR_FORMAT,
                          "a negated condition matches no claim and cannot bind an identifier");
        if (find_ident(P, id->text, index) >= 0)
            return policy_diag_set(P->diag, AVOW_ERR_FORMAT, id->line, id->col,
                                   "identifier '%s' is already used in this rule", id->text);
        c->ident = strdup(id->text);
        if (!c->ident) return AVOW_ERR_NOMEM;
        next(P);
        next(P);
    }
    avow_err rc;
    if (cur(P)->kind != TK_LBRACK) {
        return expected(P, c->ident ? "'[' after the identifier" : "'[' to start a condition");
    }
    next(P);
    size_t cap = 0;
    if (cur(P)->kind == TK_RBRACK) {
        next(P);
        return AVOW_OK;
    }
    for (;;) {
        const token *pt = cur(P);
        ptest t = {.line = pt->line, .col = pt->col};
        if (pt->kind != TK_IDENT || !parse_prop_name(pt->text, &t.prop))
            return expected(P, "'type', 'value', 'issuer' or 'valueType'");
        next(P);
        switch (cur(P)->kind) {
            case TK_EQ:
            case TK_ASSIGN:
                t.op = OP_EQ;
                break; /* '=' is a documented leniency */
            case TK_NE:
                t.op = OP_NE;
                break;
            case TK_LT:
                t.op = OP_LT;
                break;
            case TK_LE:
                t.op = OP_LE;
                break;
            case TK_GT:
                t.op = OP_GT;
                break;
            case TK_GE:
                t.op = OP_GE;
                break;
            default:
                return expected(P, "a comparison operator (==, !=, <, <=, >, >=)");
        }
        next(P);
        if ((rc = parse_expr(P, index, 0, &t.rhs))) return rc;
        if (!grow((void **)&c->tests, c->ntests, &cap, sizeof(*c->tests))) {
            pexpr_free(t.rhs);
            return AVOW_ERR_NOMEM;
        }
        c->tests[c->ntests++] = t;
        if ((rc = check_test(P, &t))) return rc;
        if (cur(P)->kind == TK_COMMA) {
            next(P);
            continue;
        }
        if (cur(P)->kind == TK_RBRACK) {
            next(P);
            return AVOW_OK;
        }
        return expected(P, "']' or ',' after property test");
    }
}

/* ---- actions ------------------------------------------------------------- */

static avow_err parse_action(parser *P, paction *a)
{
    const token *t = cur(P);
    a->claim_bind = -1;
    if (t->kind != TK_IDENT)
        return expected(P, "an action (permit, deny, add, issue, issueproperty)");
    if (!strcmp(t->text, "permit"))
        a->kind = ACT_PERMIT;
    else if (!strcmp(t->text, "deny"))
        a->kind = ACT_DENY;
    else if (!strcmp(t->text, "add"))
        a->kind = ACT_ADD;
    else if (!strcmp(t->text, "issue"))
        a->kind = ACT_ISSUE;
    else if (!strcmp(t->text, "issueproperty"))
        a->kind = ACT_ISSUEPROPERTY;
    else
        return expected(P, "an action (permit, deny, add, issue, issueproperty)");

    if ((a->kind == ACT_PERMIT || a->kind == ACT_DENY) && P->section != 1)
        return policy_diag_set(P->diag, AVOW_ERR_FORMAT, t->line, t->col,
                               "%s() is only allowed in authorizationrules", t->text);
    if (a->kind == ACT_ISSUE && P->section != 2)
        return policy_diag_set(P->diag, AVOW_ERR_FORMAT, t->line, t->col,
                               "issue() is only allowed in issuancerules (use add() in %s)",
                               section_names[P->section]);
    if (a->kind == ACT_ISSUEPROPERTY && P->section == 1)
        return err_at(P, t, AVOW_ERR_FORMAT,
                      "issueproperty() is only allowed in configurationrules and issuancerules");
    const char *name = t->text;
    next(P);
    avow_err rc;
    if ((rc = expect(P, TK_LPAREN, "'(' after the action name"))) return rc;
    if (a->kind == ACT_PERMIT || a->kind == ACT_DENY) {
        if (cur(P)->kind != TK_RPAREN)
            return expected(P, "')': permit() and deny() take no arguments");
        next(P);
        return AVOW_OK;
    }
    const token *at = cur(P);
    if (is_ident(at, "claim")) {
        if (a->kind == ACT_ISSUEPROPERTY)
            return err_at(P, at, AVOW_ERR_FORMAT, "issueproperty() takes type= and value=");
        next(P);
        if ((rc = expect(P, TK_ASSIGN, "'=' after 'claim'"))) return rc;
        const token *id = cur(P);
        if (id->kind != TK_IDENT) return expected(P, "an identifier after 'claim='");
        int b = find_ident(P, id->text, P->rule->nconds);
        if (b < 0)
            return policy_diag_set(
                P->diag, AVOW_ERR_FORMAT, id->line, id->col,
                "unknown identifier '%s' (no condition of this rule is named so)", id->text);
        a->claim_bind = b;
        P->scalar_uses[b]++;
        next(P);
    } else {
        bool have_type = false, have_value = false;
        for (;;) {
            const token *k = cur(P);
            if (is_ident(k, "type") && !have_type) {
                next(P);
                if ((rc = expect(P, TK_ASSIGN, "'=' after 'type'"))) return rc;
                if (cur(P)->kind != TK_STRING) return expected(P, "a string after 'type='");
                if (!cur(P)->text[0]) return err_at(P, cur(P), AVOW_ERR_FORMAT, "empty claim type");
                a->type = strdup(cur(P)->text);
                if (!a->type) return AVOW_ERR_NOMEM;
                next(P);
                have_type = true;
            } else if (is_ident(k, "value") && !have_value) {
                next(P);
                if ((rc = expect(P, TK_ASSIGN, "'=' after 'value'"))) return rc;
                if ((rc = parse_expr(P, P->rule->nconds, 0, &a->value))) return rc;
                have_value = true;
            } else {
                return expected(P, have_type    ? "'value='"
                                   : have_value ? "'type='"
                                                : "'type=', 'value=' or 'claim='");
            }
            if (have_type && have_value) break;
            if ((rc = expect(P, TK_COMMA,
                             have_type ? "',' and 'value=' after the type"
                                       : "',' and 'type=' after the value")))
                return rc;
        }
    }
    if (cur(P)->kind != TK_RPAREN)
        return policy_diag_set(P->diag, AVOW_ERR_FORMAT, cur(P)->line, cur(P)->col,
                               "expected ')' to close %s(", name);
    next(P);
    return AVOW_OK;
}

/* ---- rules and sections --------------------------------------------------- */

static avow_err finish_rule_uses(parser *P, prule *r)
{
    for (size_t i = 0; i < r->nconds; i++) {
        pcond *c = &r->conds[i];
        if (!c->ident) continue;
        if (P->set_uses[i] > 0 && P->scalar_uses[i] > 0)
            return policy_diag_set(P->diag, AVOW_ERR_FORMAT, c->line, c->col,
                                   "identifier '%s' is used both as a set (IsSubsetOf / "
                                   "ContainsOnlyValue) and as a single claim",
                                   c->ident);
        c->set_bind = P->set_uses[i] > 0;
        c->iterate = !c->set_bind;
    }
    return AVOW_OK;
}

static avow_err parse_rule(parser *P, prule *r)
{
    memset(r, 0, sizeof(*r));
    r->act.claim_bind = -1;
    r->line = cur(P)->line;
    r->col = cur(P)->col;
    P->rule = r;
    avow_err rc;
    size_t cap = 0;
    if (cur(P)->kind != TK_ARROW) {
        for (;;) {
            if (r->nconds >= POLICY_MAX_CONDS)
                return err_at(P, cur(P), AVOW_ERR_FORMAT,
                              "too many conditions in one rule (64 at most)");
            if (!grow((void **)&r->conds, r->nconds, &cap, sizeof(*r->conds)))
                return AVOW_ERR_NOMEM;
            if (r->nconds >= P->uses_cap) {
                size_t nc = P->uses_cap ? P->uses_cap * 2 : 8;
                int *a = realloc(P->scalar_uses, nc * sizeof(int));
                if (!a) return AVOW_ERR_NOMEM;
                P->scalar_uses = a;
                int *b = realloc(P->set_uses, nc * sizeof(int));
                if (!b) return AVOW_ERR_NOMEM;
                P->set_uses = b;
                P->uses_cap = nc;
            }
            P->scalar_uses[r->nconds] = P->set_uses[r->nconds] = 0;
            rc = parse_condition(P, &r->conds[r->nconds], r->nconds);
            r->nconds++; /* owned from here on, even partially built */
            if (rc) return rc;
            if (cur(P)->kind == TK_AND) {
                next(P);
                continue;
            }
            if (cur(P)->kind == TK_ARROW) break;
            return expected(P, "'&&' or '=>' after a condition");
        }
    }
    next(P); /* => */
    if ((rc = parse_action(P, &r->act))) return rc;
    if ((rc = finish_rule_uses(P, r))) return rc;
    if (cur(P)->kind == TK_SEMI) {
        next(P);
        return AVOW_OK;
    }
    if (cur(P)->kind == TK_RBRACE) return AVOW_OK; /* leniency: last rule without ';' */
    return expected(P, "';' after the action");
}

static avow_err parse_section(parser *P, int s)
{
    psection *sec = &P->p->sec[s];
    sec->present = true;
    P->section = s;
    next(P); /* name */
    avow_err rc;
    if ((rc = expect(P, TK_LBRACE, "'{' after the section name"))) return rc;
    size_t cap = 0;
    while (cur(P)->kind != TK_RBRACE) {
        if (cur(P)->kind == TK_EOF) return expected(P, "a rule or '}' to close the section");
        if (!grow((void **)&sec->rules, sec->n, &cap, sizeof(*sec->rules))) return AVOW_ERR_NOMEM;
        rc = parse_rule(P, &sec->rules[sec->n]);
        sec->n++;
        if (rc) return rc;
    }
    next(P); /* } */
    return expect(P, TK_SEMI, "';' after '}' closing the section");
}

avow_err policy_parse(const token_list *t, struct avow_policy *p, avow_policy_diag *diag)
{
    parser P = {.t = t, .i = 0, .diag = diag, .p = p};
    avow_err rc;
    if (!is_ident(cur(&P), "version")) {
        rc = expected(&P, "'version' at the start of the policy");
        goto done;
    }
    next(&P);
    if ((rc = expect(&P, TK_ASSIGN, "'=' after 'version'"))) goto done;
    const token *maj = cur(&P);
    if (maj->kind != TK_INT) {
        rc = expected(&P, "a version number such as 1.0");
        goto done;
    }
    next(&P);
    if ((rc = expect(&P, TK_DOT, "'.' in the version number"))) goto done;
    const token *min = cur(&P);
    if (min->kind != TK_INT) {
        rc = expected(&P, "the minor version number");
        goto done;
    }
    if (maj->ival != 1 || min->ival < 0 || min->ival > 2 || min->len != 1) {
        rc = policy_diag_set(diag, AVOW_ERR_UNSUPPORTED, maj->line, maj->col,
                             "unsupported policy version %lld.%s%lld (supported: 1.0, 1.1, 1.2)",
                             (long long)maj->ival, min->len > 1 && min->ival < 10 ? "0" : "",
                             (long long)min->ival);
        goto done;
    }
    p->minor = (int)min->ival;
    next(&P);
    if ((rc = expect(&P, TK_SEMI, "';' after the version"))) goto done;
    int last = -1;
    for (;;) {
        const token *tk = cur(&P);
        if (tk->kind == TK_EOF) break;
        int s = -1;
        for (int k = 0; k < 3; k++)
            if (is_ident(tk, section_names[k])) s = k;
        if (s < 0) {
            rc = expected(&P, last < 0 ? "'configurationrules', 'authorizationrules' or "
                                         "'issuancerules'"
                                       : "another section or end of input");
            goto done;
        }
        if (s == 0 && p->minor < 1) {
            rc = err_at(&P, tk, AVOW_ERR_FORMAT,
                        "configurationrules needs policy version 1.1 or later");
            goto done;
        }
        if (s <= last) {
            rc = policy_diag_set(
                diag, AVOW_ERR_FORMAT, tk->line, tk->col,
                s == last ? "section %s appears twice" : "section %s must come before %s",
                section_names[s], section_names[last]);
            goto done;
        }
        last = s;
        if ((rc = parse_section(&P, s))) goto done;
    }
    rc = AVOW_OK;
done:
    free(P.scalar_uses);
    free(P.set_uses);
    return rc;
}
