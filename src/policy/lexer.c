/* Tokenizer of the MAA policy language (policy_int.h). Hand-written: the
 * language is tiny and the diagnostics need exact line:column positions.
 * Accepts CRLF, tabs, a UTF-8 BOM, `//` and block comments. Thread-safe: no
 * state. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

avow_err policy_diag_set(avow_policy_diag *d, avow_err code, int line, int col, const char *fmt,
                         ...)
{
    if (!d) return code;
    char body[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    d->line = line;
    d->col = col;
    if (line > 0)
        snprintf(d->msg, sizeof(d->msg), "%d:%d: %s", line, col, body);
    else
        snprintf(d->msg, sizeof(d->msg), "%s", body);
    return code;
}

void policy_tokens_free(token_list *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].text);
    free(t->v);
    memset(t, 0, sizeof(*t));
}

static const char *punct_text(tok_kind k)
{
    switch (k) {
        case TK_LBRACE:
            return "{";
        case TK_RBRACE:
            return "}";
        case TK_LBRACK:
            return "[";
        case TK_RBRACK:
            return "]";
        case TK_LPAREN:
            return "(";
        case TK_RPAREN:
            return ")";
        case TK_SEMI:
            return ";";
        case TK_COMMA:
            return ",";
        case TK_COLON:
            return ":";
        case TK_DOT:
            return ".";
        case TK_ARROW:
            return "=>";
        case TK_EQ:
            return "==";
        case TK_ASSIGN:
            return "=";
        case TK_NE:
            return "!=";
        case TK_LT:
            return "<";
        case TK_LE:
            return "<=";
        case TK_GT:
            return ">";
        case TK_GE:
            return ">=";
        case TK_AND:
            return "&&";
        case TK_NOT:
            return "!";
        default:
            return "?";
    }
}

void policy_tok_describe(const token *t, char *buf, size_t n)
{
    switch (t->kind) {
        case TK_EOF:
            snprintf(buf, n, "end of input");
            break;
        case TK_IDENT:
            snprintf(buf, n, "'%.40s'", t->text);
            break;
        case TK_STRING:
            snprintf(buf, n, "string \"%.40s\"", t->text);
            break;
        case TK_INT:
            snprintf(buf, n, "integer %lld", (long long)t->ival);
            break;
        default:
            snprintf(buf, n, "'%s'", punct_text(t->kind));
            break;
    }
}

typedef struct {
    const char *s;
    size_t len, i;
    int line, col;
} lex_state;

static void adv(lex_state *L)
{
    if (L->i >= L->len) return;
    if (L->s[L->i] == '\n') {
        L->line++;
        L->col = 1;
    } else if ((unsigned char)L->s[L->i] < 0x80 || (unsigned char)L->s[L->i] >= 0xC0) {
        L->col++; /* count code points, not UTF-8 continuation bytes */
    }
    L->i++;
}

static int peek(const lex_state *L, size_t k)
{
    return L->i + k < L->len ? (unsigned char)L->s[L->i + k] : -1;
}

static avow_err push(token_list *t, const token *tk)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        token *nv = realloc(t->v, cap * sizeof(*nv));
        if (!nv) return AVOW_ERR_NOMEM;
        t->v = nv;
        t->cap = cap;
    }
    t->v[t->n++] = *tk;
    return AVOW_OK;
}

static bool ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool ident_char(int c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

static avow_err lex_string(lex_state *L, token *tk, avow_policy_diag *diag)
{
    adv(L); /* opening quote */
    size_t cap = 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) return AVOW_ERR_NOMEM;
    for (;;) {
        int c = peek(L, 0);
        if (c < 0 || c == '\n' || c == '\r') {
            free(buf);
            return policy_diag_set(diag, AVOW_ERR_FORMAT, tk->line, tk->col,
                                   "unterminated string (missing closing '\"')");
        }
        if (c == '"') {
            adv(L);
            break;
        }
        if (c == '\\' && (peek(L, 1) == '"' || peek(L, 1) == '\\')) {
            adv(L);
            c = peek(L, 0);
        }
        if (n + 2 > cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return AVOW_ERR_NOMEM;
            }
            buf = nb;
        }
        buf[n++] = (char)c;
        adv(L);
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        return policy_diag_set(diag, AVOW_ERR_FORMAT, tk->line, tk->col,
                               "NUL character inside a string");
    }
    tk->kind = TK_STRING;
    tk->text = buf;
    return AVOW_OK;
}

avow_err policy_lex(const char *src, size_t len, token_list *out, avow_policy_diag *diag)
{
    memset(out, 0, sizeof(*out));
    lex_state L = {.s = src, .len = len, .i = 0, .line = 1, .col = 1};
    if (len >= 3 && !memcmp(src, "\xEF\xBB\xBF", 3)) L.i = 3; /* BOM */
    avow_err rc = AVOW_OK;
    for (;;) {
        int c = peek(&L, 0);
        /* whitespace and comments */
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            adv(&L);
            continue;
        }
        if (c == '/' && peek(&L, 1) == '/') {
            while (peek(&L, 0) >= 0 && peek(&L, 0) != '\n')
                adv(&L);
            continue;
        }
        if (c == '/' && peek(&L, 1) == '*') {
            int line = L.line, col = L.col;
            adv(&L);
            adv(&L);
            while (peek(&L, 0) >= 0 && !(peek(&L, 0) == '*' && peek(&L, 1) == '/'))
                adv(&L);
            if (peek(&L, 0) < 0) {
                rc = policy_diag_set(diag, AVOW_ERR_FORMAT, line, col,
                                     "unterminated comment (missing '*/')");
                goto fail;
            }
            adv(&L);
            adv(&L);
            continue;
        }
        token tk = {.line = L.line, .col = L.col, .off = L.i};
        if (c < 0) {
            tk.kind = TK_EOF;
            if ((rc = push(out, &tk))) goto fail;
            return AVOW_OK;
        }
        if (c == '"') {
            if ((rc = lex_string(&L, &tk, diag))) goto fail;
        } else if (ident_start(c)) {
            size_t start = L.i;
            while (ident_char(peek(&L, 0)))
                adv(&L);
            tk.kind = TK_IDENT;
            tk.text = strndup(src + start, L.i - start);
            if (!tk.text) {
                rc = AVOW_ERR_NOMEM;
                goto fail;
            }
        } else if ((c >= '0' && c <= '9') ||
                   (c == '-' && peek(&L, 1) >= '0' && peek(&L, 1) <= '9')) {
            bool neg = c == '-';
            if (neg) adv(&L);
            uint64_t v = 0;
            bool overflow = false;
            while (peek(&L, 0) >= '0' && peek(&L, 0) <= '9') {
                unsigned d = (unsigned)(peek(&L, 0) - '0');
                if (v > (UINT64_MAX - d) / 10)
                    overflow = true;
                else
                    v = v * 10 + d;
                adv(&L);
            }
            if (overflow || v > (uint64_t)INT64_MAX + (neg ? 1u : 0u)) {
                rc = policy_diag_set(diag, AVOW_ERR_FORMAT, tk.line, tk.col,
                                     "integer out of the 64-bit range");
                goto fail;
            }
            tk.kind = TK_INT;
            tk.ival = neg ? (int64_t)(0 - v) : (int64_t)v;
            if (ident_start(peek(&L, 0))) {
                rc = policy_diag_set(diag, AVOW_ERR_FORMAT, L.line, L.col,
                                     "unexpected character '%c' after a number", peek(&L, 0));
                goto fail;
            }
        } else if (c == '<' && ident_start(peek(&L, 1))) {
            /* A documentation placeholder such as <product-id>? */
            size_t k = 1;
            while (ident_char(peek(&L, k)) || peek(&L, k) == '-')
                k++;
            if (peek(&L, k) == '>') {
                rc = policy_diag_set(diag, AVOW_ERR_FORMAT, tk.line, tk.col,
                                     "placeholder '%.*s' must be replaced by a value", (int)k + 1,
                                     src + L.i);
                goto fail;
            }
            adv(&L);
            tk.kind = TK_LT;
            if (peek(&L, 0) == '=') {
                adv(&L);
                tk.kind = TK_LE;
            }
        } else {
            int n1 = peek(&L, 1);
            tok_kind k;
            int width = 1;
            switch (c) {
                case '{':
                    k = TK_LBRACE;
                    break;
                case '}':
                    k = TK_RBRACE;
                    break;
                case '[':
                    k = TK_LBRACK;
                    break;
                case ']':
                    k = TK_RBRACK;
                    break;
                case '(':
                    k = TK_LPAREN;
                    break;
                case ')':
                    k = TK_RPAREN;
                    break;
                case ';':
                    k = TK_SEMI;
                    break;
                case ',':
                    k = TK_COMMA;
                    break;
                case ':':
                    k = TK_COLON;
                    break;
                case '.':
                    k = TK_DOT;
                    break;
                case '=':
                    if (n1 == '>')
                        k = TK_ARROW, width = 2;
                    else if (n1 == '=')
                        k = TK_EQ, width = 2;
                    else
                        k = TK_ASSIGN;
                    break;
                case '!':
                    if (n1 == '=')
                        k = TK_NE, width = 2;
                    else
                        k = TK_NOT;
                    break;
                case '<':
                    if (n1 == '=')
                        k = TK_LE, width = 2;
                    else
                        k = TK_LT;
                    break;
                case '>':
                    if (n1 == '=')
                        k = TK_GE, width = 2;
                    else
                        k = TK_GT;
                    break;
                case '&':
                    if (n1 == '&') {
                        k = TK_AND, width = 2;
                        break;
                    }
                    rc = policy_diag_set(
                        diag, AVOW_ERR_FORMAT, tk.line, tk.col,
                        "unexpected character '&' (conditions are joined with '&&')");
                    goto fail;
                default:
                    if (c >= 0x21 && c < 0x7f)
                        rc = policy_diag_set(diag, AVOW_ERR_FORMAT, tk.line, tk.col,
                                             "unexpected character '%c'", c);
                    else
                        rc = policy_diag_set(diag, AVOW_ERR_FORMAT, tk.line, tk.col,
                                             "unexpected byte 0x%02x outside a string", c);
                    goto fail;
            }
            for (int w = 0; w < width; w++)
                adv(&L);
            tk.kind = k;
        }
        tk.len = L.i - tk.off;
        if ((rc = push(out, &tk))) {
            free(tk.text);
            goto fail;
        }
    }
fail:
    policy_tokens_free(out);
    return rc;
}
