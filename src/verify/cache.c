/* Bounded, locked cache of reference-counted values (cache.h). Keys are hash
 * based (SHA-256 prefixes), so their first bytes index the table directly;
 * a short linear probe window bounds every operation. Eviction: least
 * recently used in the window. Thread-safe: one pthread mutex per cache. */
#include "verify/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 8

typedef struct {
    uint8_t key[VCACHE_KEY_MAX];
    size_t klen;
    void *val;
    uint64_t stamp;
} slot;

struct vcache {
    pthread_mutex_t mu;
    vcache_ops ops;
    slot *slots;
    size_t mask;
    uint64_t clock;
    size_t count;
};

vcache *vcache_new(size_t cap, vcache_ops ops)
{
    size_t n = PROBE;
    while (n < cap)
        n <<= 1;
    vcache *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->slots = calloc(n, sizeof(slot));
    if (!c->slots || pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c->slots);
        free(c);
        return NULL;
    }
    c->ops = ops;
    c->mask = n - 1;
    return c;
}

static size_t home(const vcache *c, const uint8_t *key, size_t klen)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over at most 16 bytes */
    for (size_t i = 0; i < klen && i < 16; i++)
        h = (h ^ key[i]) * 1099511628211ULL;
    return (size_t)h & c->mask;
}

void vcache_clear(vcache *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i <= c->mask; i++)
        if (c->slots[i].val) {
            c->ops.unref(c->slots[i].val);
            c->slots[i].val = NULL;
        }
    c->count = 0;
    pthread_mutex_unlock(&c->mu);
}

void vcache_free(vcache *c)
{
    if (!c) return;
    vcache_clear(c);
    pthread_mutex_destroy(&c->mu);
    free(c->slots);
    free(c);
}

void *vcache_get(vcache *c, const uint8_t *key, size_t klen)
{
    if (!c || klen > VCACHE_KEY_MAX) return NULL;
    void *val = NULL;
    pthread_mutex_lock(&c->mu);
    size_t h = home(c, key, klen);
    for (size_t i = 0; i < PROBE; i++) {
        slot *s = &c->slots[(h + i) & c->mask];
        if (s->val && s->klen == klen && !memcmp(s->key, key, klen)) {
            s->stamp = ++c->clock;
            c->ops.ref(s->val);
            val = s->val;
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return val;
}

void vcache_put(vcache *c, const uint8_t *key, size_t klen, void *val)
{
    if (!c || !val || klen > VCACHE_KEY_MAX) return;
    pthread_mutex_lock(&c->mu);
    size_t h = home(c, key, klen);
    slot *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        slot *s = &c->slots[(h + i) & c->mask];
        if (s->val && s->klen == klen && !memcmp(s->key, key, klen)) {
            victim = s;
            break;
        }
        if (!s->val) {
            if (!victim || victim->val) victim = s;
        } else if (!victim || (victim->val && s->stamp < victim->stamp)) {
            victim = s;
        }
    }
    if (victim->val) {
        c->ops.unref(victim->val);
        c->count--;
    }
    c->ops.ref(val);
    memcpy(victim->key, key, klen);
    victim->klen = klen;
    victim->val = val;
    victim->stamp = ++c->clock;
    c->count++;
    pthread_mutex_unlock(&c->mu);
}

size_t vcache_count(vcache *c)
{
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    size_t n = c->count;
    pthread_mutex_unlock(&c->mu);
    return n;
}
