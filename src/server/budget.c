/* avowd's budget for request bodies held in memory (budget.h): the bytes
 * held by all requests, and per client address in a hash table (open
 * addressing, linear probing, deletion by backward shift) holding only the
 * addresses that hold bytes now: at most one per connection, and avowd
 * takes at most CONNECTIONS of them (http.c), so the table never fills.
 * Thread-safety: one mutex guards the counters and the table. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/budget.h"

#define SLOTS 8192 /* a power of two, twice http.c's connection limit (4096) */

typedef struct {
    avowd_client addr;
    size_t held; /* 0: the slot is free */
} slot;

struct avowd_budget {
    pthread_mutex_t mu;
    size_t total, per_client, held;
    slot *slots; /* SLOTS entries; NULL when there is no per-client share */
};

void avowd_client_of(const struct sockaddr *sa, avowd_client *out)
{
    memset(out, 0, sizeof(*out));
    if (sa && sa->sa_family == AF_INET) {
        out->b[10] = out->b[11] = 0xff;
        memcpy(out->b + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
}

avowd_budget *avowd_budget_new(size_t total, size_t per_client)
{
    avowd_budget *b = calloc(1, sizeof(*b));
    if (!b) return NULL;
    if (per_client && !(b->slots = calloc(SLOTS, sizeof(slot)))) {
        free(b);
        return NULL;
    }
    pthread_mutex_init(&b->mu, NULL);
    b->total = total;
    b->per_client = per_client;
    return b;
}

void avowd_budget_free(avowd_budget *b)
{
    if (!b) return;
    pthread_mutex_destroy(&b->mu);
    free(b->slots);
    free(b);
}

/* FNV-1a over the address. */
static size_t home(const avowd_client *c)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ c->b[i]) * 16777619u;
    return h & (SLOTS - 1);
}

/* The slot of c, or the free slot where it would go (the table is never
 * full: see above). */
static slot *find(avowd_budget *b, const avowd_client *c)
{
    size_t i = home(c);
    while (b->slots[i].held && memcmp(&b->slots[i].addr, c, sizeof(*c)))
        i = (i + 1) & (SLOTS - 1);
    return &b->slots[i];
}

/* Frees slot s, moving later entries of its cluster back so that every
 * entry stays reachable from its home slot. */
static void remove_slot(avowd_budget *b, slot *s)
{
    size_t i = (size_t)(s - b->slots), j = i;
    b->slots[i].held = 0;
    for (;;) {
        j = (j + 1) & (SLOTS - 1);
        if (!b->slots[j].held) return;
        size_t h = home(&b->slots[j].addr);
        /* j's entry may move to i when i lies cyclically in [h, j) */
        if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
            b->slots[i] = b->slots[j];
            b->slots[j].held = 0;
            i = j;
        }
    }
}

bool avowd_budget_take(avowd_budget *b, const avowd_client *c, size_t n)
{
    if (!n) return true;
    pthread_mutex_lock(&b->mu);
    bool ok = n <= b->total - b->held;
    slot *s = NULL;
    if (ok && b->slots) {
        s = find(b, c);
        ok = n <= b->per_client - s->held;
    }
    if (ok) {
        b->held += n;
        if (s) {
            s->addr = *c;
            s->held += n;
        }
    }
    pthread_mutex_unlock(&b->mu);
    return ok;
}

void avowd_budget_give(avowd_budget *b, const avowd_client *c, size_t n)
{
    pthread_mutex_lock(&b->mu);
    b->held -= n < b->held ? n : b->held;
    if (b->slots && n) {
        slot *s = find(b, c);
        if (s->held) {
            s->held -= n < s->held ? n : s->held;
            if (!s->held) remove_slot(b, s);
        }
    }
    pthread_mutex_unlock(&b->mu);
}
