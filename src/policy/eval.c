/* Evaluation of a compiled policy (include/avow/policy.h): conditions filter
 * the claim set, a rule fires once per combination of claims its iterating
 * conditions match (seeing the claims present when the rule started), actions
 * extend the incoming / outgoing / property sets, deny wins over permit.
 * Work is bounded (condition checks and claims added) so a hostile policy
 * cannot run away. Computed values live in a per-call arena; the policy is
 * only read. Thread-safe: the policy is immutable, all state is per call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/claims_int.h"
#include "policy/policy_int.h"

#define MAX_STEPS        2000000u /* claim-vs-condition checks per evaluation */
#define MAX_ADDED_CLAIMS 10000u   /* claims added by add/issue/issueproperty */

typedef struct {
    const struct avow_policy *p;
    avow_claims *claims, *issued, *props;
    arena a;
    size_t steps, added;
    /* decision */
    bool permitted, denied;
    avow_policy_section dec_section;
    size_t dec_index;
    int dec_line, dec_col;
    /* failure */
    bool failed;    /* evaluation error: refuse */
    avow_err fatal; /* NOMEM */
    char why[200];
    int why_line, why_col;
    /* the rule in progress */
    int section;
    const prule *rule;
    size_t rule_index;
    size_t snapshot;
    size_t bind[POLICY_MAX_CONDS];
    bool stop;
} ev;

static const char *prop_string(const avow_claim *c, prop_kind p)
{
    switch (p) {
        case PROP_TYPE:
            return c->type;
        case PROP_ISSUER:
            return avow_claim_issuer_name(c->issuer);
        case PROP_VALUETYPE:
            return avow_claim_kind_name(c->value.kind);
        case PROP_VALUE:
            break;
    }
    return NULL;
}

static void ev_fail(ev *E, int line, int col, const char *msg)
{
    if (E->failed) return;
    E->failed = true;
    E->stop = true;
    E->why_line = line;
    E->why_col = col;
    snprintf(E->why, sizeof(E->why), "%s", msg);
}

static bool cond_matches(ev *E, const pcond *c, size_t idx);

static bool eval_expr(ev *E, const pexpr *e, pval *out)
{
    memset(out, 0, sizeof(*out));
    switch (e->kind) {
        case EX_LIT:
            out->shape = PV_SCALAR;
            out->v = e->lit;
            return true;
        case EX_REF:
            if (!e->as_set) {
                const avow_claim *c = &E->claims->v[E->bind[e->bind]];
                out->shape = PV_SCALAR;
                if (e->prop == PROP_VALUE) {
                    out->v = c->value;
                } else {
                    out->v.kind = AVOW_CLAIM_STRING;
                    out->v.str = prop_string(c, e->prop);
                }
                return true;
            } else {
                /* every claim matched by the set-bound condition */
                const pcond *sc = &E->rule->conds[e->bind];
                size_t n = 0;
                avow_claim_value *items =
                    arena_alloc(&E->a, (E->snapshot ? E->snapshot : 1) * sizeof(avow_claim_value));
                if (!items) {
                    E->fatal = AVOW_ERR_NOMEM;
                    E->stop = true;
                    return false;
                }
                for (size_t i = 0; i < E->snapshot && !E->stop; i++) {
                    if (!cond_matches(E, sc, i)) continue;
                    const avow_claim *c = &E->claims->v[i];
                    if (e->prop == PROP_VALUE) {
                        items[n] = c->value;
                    } else {
                        memset(&items[n], 0, sizeof(items[n]));
                        items[n].kind = AVOW_CLAIM_STRING;
                        items[n].str = prop_string(c, e->prop);
                    }
                    n++;
                }
                out->shape = PV_SET;
                out->items = items;
                out->n = n;
                return !E->stop;
            }
        case EX_CALL: {
            pval args[4];
            if (e->nargs > 4) {
                ev_fail(E, e->line, e->col, "too many function arguments");
                return false;
            }
            for (size_t i = 0; i < e->nargs; i++)
                if (!eval_expr(E, e->args[i], &args[i])) return false;
            char why[160];
            if (!policy_fn_apply(e->fn, args, e->nargs, &E->a, out, why, sizeof(why))) {
                ev_fail(E, e->line, e->col, why);
                return false;
            }
            return true;
        }
    }
    return false;
}

static bool stringish(const avow_claim_value *v)
{
    return v->kind == AVOW_CLAIM_STRING || v->kind == AVOW_CLAIM_JSON;
}

static bool compare(const avow_claim_value *l, op_kind op, const avow_claim_value *r)
{
    if (stringish(l) && stringish(r)) {
        int c = strcmp(l->str ? l->str : "", r->str ? r->str : "");
        if (op == OP_EQ) return c == 0;
        if (op == OP_NE) return c != 0;
        return false; /* ordering on strings never matches */
    }
    if (l->kind != r->kind) return false; /* different kinds never match */
    if (l->kind == AVOW_CLAIM_BOOLEAN) {
        if (op == OP_EQ) return l->boolean == r->boolean;
        if (op == OP_NE) return l->boolean != r->boolean;
        return false;
    }
    if (l->kind != AVOW_CLAIM_INTEGER) return false;
    int64_t a = l->integer, b = r->integer;
    switch (op) {
        case OP_EQ:
            return a == b;
        case OP_NE:
            return a != b;
        case OP_LT:
            return a < b;
        case OP_LE:
            return a <= b;
        case OP_GT:
            return a > b;
        case OP_GE:
            return a >= b;
    }
    return false;
}

static bool cond_matches(ev *E, const pcond *c, size_t idx)
{
    if (++E->steps > MAX_STEPS) {
        ev_fail(E, E->rule->line, E->rule->col,
                "evaluation limit reached (too many condition checks)");
        return false;
    }
    const avow_claim *cl = &E->claims->v[idx];
    for (size_t t = 0; t < c->ntests; t++) {
        const ptest *T = &c->tests[t];
        pval r;
        if (!eval_expr(E, T->rhs, &r)) return false;
        const avow_claim_value *rv;
        if (r.shape == PV_SCALAR)
            rv = &r.v;
        else if (r.shape == PV_SET && r.n == 1)
            rv = &r.items[0];
        else
            return false;
        /* `cl` may have moved if the claims array grew: re-read it. */
        cl = &E->claims->v[idx];
        avow_claim_value lv;
        if (T->prop == PROP_VALUE) {
            lv = cl->value;
        } else {
            memset(&lv, 0, sizeof(lv));
            lv.kind = AVOW_CLAIM_STRING;
            lv.str = prop_string(cl, T->prop);
        }
        if (!compare(&lv, T->op, rv)) return false;
    }
    return true;
}

static bool count_added(ev *E)
{
    if (++E->added > MAX_ADDED_CLAIMS) {
        ev_fail(E, E->rule->line, E->rule->col, "evaluation limit reached (too many claims added)");
        return false;
    }
    return true;
}

static void add_value(ev *E, const char *type, const avow_claim_value *v)
{
    const paction *a = &E->rule->act;
    if (!count_added(E)) return;
    avow_claim c = {.type = type, .value = *v, .issuer = AVOW_ISSUER_POLICY};
    avow_err rc = AVOW_OK;
    if (a->kind == ACT_ISSUEPROPERTY) {
        rc = avow_claims_add(E->props, &c);
    } else {
        rc = avow_claims_add(E->claims, &c);
        if (!rc && a->kind == ACT_ISSUE) rc = avow_claims_add(E->issued, &c);
    }
    if (rc == AVOW_ERR_NOMEM) {
        E->fatal = rc;
        E->stop = true;
    } else if (rc) {
        ev_fail(E, E->rule->line, E->rule->col, "cannot add the claim (invalid value)");
    }
}

static void fire(ev *E)
{
    const paction *a = &E->rule->act;
    switch (a->kind) {
        case ACT_PERMIT:
            if (!E->permitted && !E->denied) {
                E->dec_section = AVOW_SECTION_AUTHORIZATION;
                E->dec_index = E->rule_index;
                E->dec_line = E->rule->line;
                E->dec_col = E->rule->col;
            }
            E->permitted = true;
            return;
        case ACT_DENY:
            E->denied = true;
            E->dec_section = AVOW_SECTION_AUTHORIZATION;
            E->dec_index = E->rule_index;
            E->dec_line = E->rule->line;
            E->dec_col = E->rule->col;
            E->stop = true; /* deny wins: nothing later can change the outcome */
            return;
        case ACT_ADD:
        case ACT_ISSUE:
        case ACT_ISSUEPROPERTY:
            break;
    }
    if (a->claim_bind >= 0) {
        if (!count_added(E)) return;
        avow_claim c = E->claims->v[E->bind[a->claim_bind]]; /* strings stay valid */
        avow_err rc = avow_claims_add(E->claims, &c);
        if (!rc && a->kind == ACT_ISSUE) rc = avow_claims_add(E->issued, &c);
        if (rc) {
            E->fatal = AVOW_ERR_NOMEM;
            E->stop = true;
        }
        return;
    }
    pval v;
    if (!eval_expr(E, a->value, &v)) return;
    if (a->kind == ACT_ISSUEPROPERTY) avow_claims_remove(E->props, a->type);
    if (v.shape == PV_SCALAR) {
        add_value(E, a->type, &v.v);
    } else if (v.shape == PV_SET) {
        for (size_t i = 0; i < v.n && !E->stop; i++)
            add_value(E, a->type, &v.items[i]);
    } /* PV_EMPTY: adding an empty claim is a no-op */
}

static bool exists(ev *E, const pcond *c)
{
    for (size_t i = 0; i < E->snapshot && !E->stop; i++)
        if (cond_matches(E, c, i)) return true;
    return false;
}

static void walk(ev *E, size_t ci)
{
    if (E->stop) return;
    const prule *r = E->rule;
    if (ci == r->nconds) {
        fire(E);
        return;
    }
    const pcond *c = &r->conds[ci];
    if (c->iterate) {
        for (size_t i = 0; i < E->snapshot && !E->stop; i++) {
            if (!cond_matches(E, c, i)) continue;
            E->bind[ci] = i;
            walk(E, ci + 1);
        }
        return;
    }
    bool found = exists(E, c);
    if (E->stop) return;
    if (found != c->negated) walk(E, ci + 1);
}

static void run_section(ev *E, int s)
{
    const psection *sec = &E->p->sec[s];
    E->section = s;
    for (size_t i = 0; i < sec->n && !E->stop; i++) {
        E->rule = &sec->rules[i];
        E->rule_index = i;
        E->snapshot = E->claims->n;
        walk(E, 0);
    }
}

/* An evaluation's state over a copy of `incoming` (ev_end frees it, also
 * after a failed begin). */
static avow_err ev_begin(ev *E, const avow_policy *p, const avow_claims *incoming,
                         avow_error *err)
{
    memset(E, 0, sizeof(*E));
    E->p = p;
    E->claims = avow_claims_copy(incoming);
    E->issued = avow_claims_new();
    E->props = avow_claims_new();
    if (!E->claims || !E->issued || !E->props)
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "policy evaluate: no memory");
    return AVOW_OK;
}

static void ev_end(ev *E)
{
    arena_free(&E->a);
    avow_claims_free(E->claims);
    avow_claims_free(E->issued);
    avow_claims_free(E->props);
}

static const char *sec_word(int s)
{
    return avow_policy_section_name((avow_policy_section)(s + 1));
}

avow_err avow_policy_evaluate(const avow_policy *p, const avow_claims *incoming,
                              avow_policy_result *res, avow_error *err)
{
    if (!p || !incoming || !res)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "policy evaluate: missing input");
    avow_policy_result_free(res);
    avow_policy_result_init(res);
    ev E;
    avow_err rc = ev_begin(&E, p, incoming, err);
    if (rc) goto done;
    const char *name = p->name;
    for (int s = 0; s < 3; s++) {
        if (s == 2 && (E.denied || !E.permitted)) break;
        run_section(&E, s);
        if (E.fatal) {
            rc = avow_error_set(err, E.fatal, AVOW_NO_OFFSET, "policy evaluate: no memory");
            goto done;
        }
        if (E.failed) break;
        E.stop = false;
    }
    if (E.failed) {
        res->eval_error = true;
        snprintf(res->reason, sizeof(res->reason), "%s: evaluation failed at %d:%d (%s): %s", name,
                 E.why_line, E.why_col, sec_word(E.section), E.why);
    } else if (E.denied) {
        snprintf(res->reason, sizeof(res->reason),
                 "%s: denied by authorizationrules rule %zu at %d:%d", name, E.dec_index + 1,
                 E.dec_line, E.dec_col);
    } else if (!E.permitted) {
        if (!p->sec[1].present || p->sec[1].n == 0)
            snprintf(res->reason, sizeof(res->reason),
                     "%s: refused: the policy has no authorizationrules that permit", name);
        else
            snprintf(res->reason, sizeof(res->reason),
                     "%s: refused: no authorizationrules rule permitted these claims", name);
    }
    res->permit = E.permitted && !E.denied && !E.failed;
    if (!E.failed && (E.permitted || E.denied)) {
        res->section = E.dec_section;
        res->rule_index = E.dec_index;
        res->line = E.dec_line;
        res->col = E.dec_col;
    }
    res->claims = E.claims;
    res->issued = E.issued;
    res->properties = E.props;
    E.claims = E.issued = E.props = NULL;
done:
    ev_end(&E);
    return rc;
}

avow_err avow_policy_configuration(const avow_policy *p, const avow_claims *incoming,
                                   avow_claims **properties, avow_error *err)
{
    *properties = NULL;
    if (!p || !incoming)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "policy configuration: no input");
    ev E;
    avow_err rc = ev_begin(&E, p, incoming, err);
    if (rc) goto done;
    run_section(&E, 0);
    if (E.fatal) {
        rc = avow_error_set(err, E.fatal, AVOW_NO_OFFSET, "policy configuration: no memory");
        goto done;
    }
    if (E.failed) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "%s: configurationrules failed at %d:%d: %s", p->name, E.why_line,
                            E.why_col, E.why);
        goto done;
    }
    *properties = E.props;
    E.props = NULL;
done:
    ev_end(&E);
    return rc;
}
