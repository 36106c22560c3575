/* A small bounded cache of reference-counted values keyed by short byte
 * strings (hash-based keys), used by the verifier for parsed certificates,
 * verified collateral and verified platform parts (internal to libavow).
 * Thread-safe: every operation takes the cache's mutex; values are handed out
 * with a reference taken under the lock, so an eviction never frees a value
 * another thread is using. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VCACHE_KEY_MAX 64

typedef struct vcache vcache;

typedef struct {
    void (*ref)(void *val);   /* take one reference */
    void (*unref)(void *val); /* drop one reference (frees at zero) */
} vcache_ops;

/* `cap` slots (rounded up to a power of two); the least recently used entry
 * among a key's probe window is evicted when it is full. */
vcache *vcache_new(size_t cap, vcache_ops ops);
void vcache_free(vcache *c);

/* The value for `key` with a reference taken (caller unrefs), or NULL. */
void *vcache_get(vcache *c, const uint8_t *key, size_t klen);

/* Stores `val` under `key` (the cache takes its own reference; an existing
 * entry for the key is replaced). */
void vcache_put(vcache *c, const uint8_t *key, size_t klen, void *val);

void vcache_clear(vcache *c);
size_t vcache_count(vcache *c);
