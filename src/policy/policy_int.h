/* Internal representation of a compiled policy (include/avow/policy.h),
 * shared by the lexer, parser, function table and evaluator of src/policy.
 * Not part of the API. A compiled policy is immutable. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/policy.h"

/* ---- tokens (lexer.c) ---------------------------------------------------- */

typedef enum {
    TK_EOF = 0,
    TK_IDENT,
    TK_STRING, /* text: decoded contents */
    TK_INT,    /* ival */
    TK_LBRACE,
    TK_RBRACE,
    TK_LBRACK,
    TK_RBRACK,
    TK_LPAREN,
    TK_RPAREN,
    TK_SEMI,
    TK_COMMA,
    TK_COLON,
    TK_DOT,
    TK_ARROW,  /* => */
    TK_EQ,     /* == */
    TK_ASSIGN, /* = */
    TK_NE,
    TK_LT,
    TK_LE,
    TK_GT,
    TK_GE,
    TK_AND, /* && */
    TK_NOT, /* ! */
} tok_kind;

typedef struct {
    tok_kind kind;
    int line, col;
    size_t off, len; /* span in the source */
    char *text;      /* IDENT / STRING: owned, NUL-terminated */
    int64_t ival;    /* INT */
} token;

typedef struct {
    token *v;
    size_t n, cap;
} token_list;

/* Tokenizes `src`; on error fills diag and returns AVOW_ERR_FORMAT. */
avow_err policy_lex(const char *src, size_t len, token_list *out, avow_policy_diag *diag);
void policy_tokens_free(token_list *t);
/* "'=>'", "identifier 'foo'", "string \"x\"", "end of input", ... */
void policy_tok_describe(const token *t, char *buf, size_t n);

/* ---- AST ----------------------------------------------------------------- */

typedef enum { PROP_TYPE, PROP_VALUE, PROP_ISSUER, PROP_VALUETYPE } prop_kind;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } op_kind;

typedef enum {
    FN_APPEND_STRING,
    FN_NEGATE_BOOL,
    FN_JSON_TO_CLAIM_VALUE,
    FN_IS_SUBSET_OF,
    FN_CONTAINS_ONLY_VALUE,
} fn_kind;

typedef enum { EX_LIT, EX_REF, EX_CALL } expr_kind;

typedef struct pexpr {
    expr_kind kind;
    int line, col;
    avow_claim_value lit; /* EX_LIT (str owned) */
    int bind;             /* EX_REF: condition index of the identifier */
    prop_kind prop;       /* EX_REF */
    bool as_set;          /* EX_REF in a set position of IsSubsetOf/ContainsOnlyValue */
    fn_kind fn;           /* EX_CALL */
    struct pexpr **args;
    size_t nargs;
} pexpr;

typedef struct {
    prop_kind prop;
    op_kind op;
    pexpr *rhs;
    int line, col;
} ptest;

typedef struct {
    bool negated;
    char *ident;   /* NULL when unbound */
    bool iterate;  /* bound and used as a single claim: the rule fires per match */
    bool set_bind; /* bound and used only as a set */
    ptest *tests;
    size_t ntests;
    int line, col;
} pcond;

typedef enum { ACT_PERMIT, ACT_DENY, ACT_ADD, ACT_ISSUE, ACT_ISSUEPROPERTY } act_kind;

typedef struct {
    act_kind kind;
    char *type;     /* type= (owned) or NULL */
    pexpr *value;   /* value= or NULL */
    int claim_bind; /* claim=ident: condition index, else -1 */
} paction;

#define POLICY_MAX_CONDS 64 /* conditions per rule */

typedef struct {
    pcond *conds;
    size_t nconds;
    paction act;
    int line, col;
} prule;

typedef struct {
    bool present;
    prule *rules;
    size_t n;
} psection;

struct avow_policy {
    int minor;       /* 0, 1, 2 (major is 1) */
    psection sec[3]; /* configuration, authorization, issuance */
    char *text;
    size_t len;
    char *name;
    char hash[AVOW_POLICY_HASH_LEN];
};

/* parser.c: builds `p` (zeroed by the caller) from tokens. */
avow_err policy_parse(const token_list *t, struct avow_policy *p, avow_policy_diag *diag);
void policy_ast_free(struct avow_policy *p);
void pexpr_free(pexpr *e);

/* funcs.c */
typedef struct {
    const char *name;
    fn_kind fn;
    size_t nargs;
} fn_info;
/* The function named `name`, or NULL when unsupported. */
const fn_info *policy_fn_lookup(const char *name);
/* Is argument `i` of `fn` a set position? */
bool policy_fn_set_arg(fn_kind fn, size_t i);

/* A runtime value: a scalar, a set (IsSubsetOf, JsonToClaimValue of an
 * array), or empty (JsonToClaimValue(null)). */
typedef struct {
    enum { PV_SCALAR, PV_SET, PV_EMPTY } shape;
    avow_claim_value v;      /* PV_SCALAR */
    avow_claim_value *items; /* PV_SET (arena) */
    size_t n;
} pval;

/* What one evaluation may spend (docs/security.md, "Policy evaluation
 * limits"): work in units, one unit being a condition check, a comparison of
 * two values, or POLICY_WORK_BYTES bytes compared, copied or parsed; and
 * bytes of values it builds (function results, added claims). A draft policy
 * comes from any attester, so every loop that depends on the policy or the
 * claims is charged here. */
#define POLICY_MAX_WORK   2000000u
#define POLICY_WORK_BYTES 64u
#define POLICY_MAX_BYTES  (16u << 20)
#define POLICY_WORK_MSG                                                                   \
    "evaluation limit reached (too much work: more than 2000000 condition checks, value " \
    "comparisons and 64-byte blocks of values compared or built)"
#define POLICY_BYTES_MSG "evaluation limit reached (more than 16 MiB of values built)"
typedef struct {
    size_t used;
} policy_work;
/* Charges `units`; false once the budget is spent. */
static inline bool policy_work_charge(policy_work *w, size_t units)
{
    if (w->used > POLICY_MAX_WORK || units > POLICY_MAX_WORK - w->used) {
        w->used = POLICY_MAX_WORK + 1;
        return false;
    }
    w->used += units;
    return true;
}
/* strcmp, charging the bytes it examines to `w`. */
int policy_strcmp_charged(const char *a, const char *b, policy_work *w);

/* A bump allocator for one evaluation; it hands out at most POLICY_MAX_BYTES
 * in all, then NULL with `capped` set. */
typedef struct arena_chunk arena_chunk;
typedef struct {
    arena_chunk *head;
    size_t total;
    bool capped;
} arena;
void *arena_alloc(arena *a, size_t n);
char *arena_strndup(arena *a, const char *s, size_t n);
void arena_free(arena *a);

/* Applies a function to evaluated arguments, charging its work to `w`; on a
 * runtime error (a limit reached among them) writes `why` and returns false. */
bool policy_fn_apply(fn_kind fn, const pval *args, size_t nargs, arena *a, policy_work *w,
                     pval *out, char *why, size_t why_len);

/* Load-time diagnostic helper (lexer/parser). */
avow_err policy_diag_set(avow_policy_diag *d, avow_err code, int line, int col, const char *fmt,
                         ...) __attribute__((format(printf, 5, 6)));
