/* avowd's persistent state behind one interface with two backends:
 *   - SQLite (default, embedded): location is a directory; the database is
 *     DIR/avow.db in WAL mode (the directory is created with mode 0700 and
 *     the file with 0600, since it holds private keys);
 *   - PostgreSQL (shared by replicas): location is a "postgresql://..." or
 *     "postgres://..." connection URI (libpq).
 * Both hold the same logical schema, versioned: a migrations table records
 * the applied versions and opening a store applies the missing ones in order
 * (idempotent; concurrent openers are serialised).
 *
 * Contents: settings (key/value), token signing keys (one active, older ones
 * still published until retired), attestation policies per attestation type,
 * policy-signer (management) certificates, and the Intel collateral cache
 * (the cache logic is in collateral_cache.h).
 *
 * Strings returned through out-parameters are malloc'd; free them with the
 * matching _free function (or free() for plain char *). Private key PEM
 * returned by the store is wiped by avow_store_key_free and never logged.
 * Times are unix seconds supplied by the caller (the store never reads the
 * clock).
 *
 * Every write has committed (and is durable) when the call returns: SQLite
 * runs with synchronous=FULL; PostgreSQL sessions never run with
 * synchronous_commit=off.
 *
 * Connections that break (a PostgreSQL restart) are detected and replaced:
 * an idle pooled connection is checked before reuse, and a statement that
 * fails because its connection died is retried once on a fresh one (every
 * single-statement write here is idempotent; a transaction is retried only
 * when its BEGIN failed). PostgreSQL connections get short timeouts
 * (connect_timeout 3 s, TCP keepalives, tcp_user_timeout 5 s) unless the URI
 * sets them, and a statement left unanswered for 10 s is abandoned with its
 * connection, so no call blocks long on an unreachable or stalled database.
 *
 * Thread-safety: an avow_store may be used by many threads at once. SQLite:
 * one connection per calling thread (created on first use; busy_timeout set,
 * WAL lets readers run beside a writer; several processes may share the file).
 * PostgreSQL: a mutex-protected pool of connections. A listener
 * (avow_store_listen) is used by one thread, woken from any. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"
#include "avow/time.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct avow_store avow_store;

/* Opens (creating when needed) the store at `location` and applies schema
 * migrations. A location that starts with "postgresql://" or "postgres://"
 * selects PostgreSQL; anything else is a directory path for SQLite. */
avow_err avow_store_open(const char *location, avow_store **out, avow_error *err);
void avow_store_close(avow_store *s);

/* "sqlite" or "postgresql". */
const char *avow_store_backend(const avow_store *s);
/* The location as given (for messages; a PostgreSQL password is masked). */
const char *avow_store_location(const avow_store *s);
/* Highest applied schema version, and the version this build knows. */
avow_err avow_store_schema_version(avow_store *s, int *version, avow_error *err);
int avow_store_schema_latest(void);

/* ---- settings -------------------------------------------------------------
 * Free-form key/value pairs. Known keys: "policy_mode" ("isolated"|"token"),
 * "created_at" (set once at creation, unix seconds as text). */
#define AVOW_SETTING_POLICY_MODE "policy_mode"
#define AVOW_SETTING_CREATED_AT  "created_at"

/* AVOW_ERR_NOT_FOUND when the key is absent. */
avow_err avow_store_setting_get(avow_store *s, const char *key, char **value, avow_error *err);
avow_err avow_store_setting_set(avow_store *s, const char *key, const char *value, avow_error *err);
/* Sets only when absent; *set (optional) says whether it did. */
avow_err avow_store_setting_set_default(avow_store *s, const char *key, const char *value,
                                        bool *set, avow_error *err);
avow_err avow_store_setting_delete(avow_store *s, const char *key, avow_error *err);

/* ---- token signing keys ---------------------------------------------------*/
typedef struct {
    char *kid;      /* avow_cert_kid of the certificate */
    char *key_pem;  /* private key PEM (secret) */
    char *cert_pem; /* certificate PEM */
    avow_time created_at;
    bool active;          /* the one key that signs new tokens */
    avow_time retired_at; /* 0 while published in /certs */
} avow_store_key;

void avow_store_key_free(avow_store_key *k); /* wipes key_pem */
void avow_store_key_list_free(avow_store_key *keys, size_t n);

/* Adds a key. With k->active, atomically makes it the only active key (the
 * previous ones stay published: that is rotation). A duplicate kid is
 * AVOW_ERR_ARG. Key writers are serialised (two rotations at once leave one
 * active key). */
avow_err avow_store_key_add(avow_store *s, const avow_store_key *k, avow_error *err);
/* Adds k as the active key only when the store has no active key yet, as one
 * step: of replicas starting together on an empty store, one key wins.
 * *added says whether k was added. */
avow_err avow_store_key_add_first(avow_store *s, const avow_store_key *k, bool *added,
                                  avow_error *err);
/* The active key; AVOW_ERR_NOT_FOUND when there is none. */
avow_err avow_store_key_active(avow_store *s, avow_store_key *out, avow_error *err);
/* Keys newest first; retired ones only with include_retired. */
avow_err avow_store_key_list(avow_store *s, bool include_retired, avow_store_key **out, size_t *n,
                             avow_error *err);
/* Stops publishing a non-active key (AVOW_ERR_ARG for the active key,
 * AVOW_ERR_NOT_FOUND for an unknown kid). */
avow_err avow_store_key_retire(avow_store *s, const char *kid, avow_time at, avow_error *err);

/* ---- attestation policies ------------------------------------------------
 * One per attestation type ("SgxEnclave", "OpenEnclave", ...; compared
 * case-insensitively, stored lower-case). The policy JWS is kept verbatim;
 * `hash` is b64url(SHA-256(jws bytes)), MAA's x-ms-policy-token-hash. */
typedef struct {
    char *type; /* lower-case */
    char *jws;  /* as received */
    char *hash; /* 43 base64url characters */
    avow_time updated_at;
} avow_store_policy;

void avow_store_policy_free(avow_store_policy *p);
/* AVOW_ERR_NOT_FOUND when no policy is stored for `type` (use the default). */
avow_err avow_store_policy_get(avow_store *s, const char *type, avow_store_policy *out,
                               avow_error *err);
/* Inserts or replaces. `hash_out` (optional, 44 bytes) receives the hash. */
avow_err avow_store_policy_put(avow_store *s, const char *type, const char *jws, avow_time at,
                               char *hash_out, avow_error *err);
/* Reset: deletes; *removed (optional) says whether a policy existed. */
avow_err avow_store_policy_delete(avow_store *s, const char *type, bool *removed, avow_error *err);

/* ---- policy-signer (management) certificates ----------------------------- */
typedef struct {
    char thumbprint[41]; /* lower-case hex SHA-1 of the DER (avow_cert_thumbprint_sha1) */
    char *cert_pem;
    avow_time added_at;
} avow_store_cert;

void avow_store_cert_list_free(avow_store_cert *certs, size_t n);
/* Adds a certificate (PEM); *added (optional) is false if it was present.
 * `thumbprint_out` (optional, 41 bytes) receives its thumbprint. */
avow_err avow_store_cert_add(avow_store *s, const char *cert_pem, avow_time at, bool *added,
                             char *thumbprint_out, avow_error *err);
/* Removes by thumbprint (case-insensitive hex); *removed (optional) says
 * whether it was present. */
avow_err avow_store_cert_remove(avow_store *s, const char *thumbprint, bool *removed,
                                avow_error *err);
/* In order of addition. */
avow_err avow_store_cert_list(avow_store *s, avow_store_cert **out, size_t *n, avow_error *err);

/* ---- collateral cache rows -----------------------------------------------
 * Keyed by (fmspc lower-case hex, ca "processor"|"platform"|"", tee
 * "sgx"|"tdx"). `bundle` is the collateral bundle JSON
 * (avow_collateral_to_bundle); next_update is the earliest nextUpdate over
 * TCB Info, QE Identity and the CRLs. */
typedef struct {
    char fmspc[13];
    char ca[10];
    char tee[4];
    char *bundle; /* NULL in avow_store_collateral_list results */
    avow_time next_update;
    avow_time fetched_at;
    char *source; /* upstream URL or "import:<path>" */
    int eval_num; /* the set's TCB evaluation number; 0: unknown (a row older than schema 4) */
} avow_store_collateral;

void avow_store_collateral_free(avow_store_collateral *c);
void avow_store_collateral_list_free(avow_store_collateral *rows, size_t n);
/* Inserts or replaces the row of (fmspc, ca, tee), unless the row there has
 * a higher eval_num (then nothing changes: an older number never displaces
 * a newer current set). */
avow_err avow_store_collateral_put(avow_store *s, const avow_store_collateral *row,
                                   avow_error *err);
/* AVOW_ERR_NOT_FOUND when absent. `fmspc` in either case. */
avow_err avow_store_collateral_get(avow_store *s, const char *fmspc, const char *ca,
                                   const char *tee, avow_store_collateral *out, avow_error *err);
/* All rows (without bundles), ordered by fmspc, ca, tee. */
avow_err avow_store_collateral_list(avow_store *s, avow_store_collateral **out, size_t *n,
                                    avow_error *err);
avow_err avow_store_collateral_delete(avow_store *s, const char *fmspc, const char *ca,
                                      const char *tee, bool *removed, avow_error *err);

/* ---- collateral per TCB evaluation number (evalnum.c) ---------------------
 * Every checked set is also kept under (fmspc, ca, tee, eval_num,
 * update_kind), so older numbers stay beside newer ones (docs/verification.md
 * A13). The kind is the update channel the set was fetched or imported as the
 * current set of ("standard"|"early"), or AVOW_STORE_UPDATE_BY_NUMBER for a
 * set fetched by its number (tcbEvaluationDataNumber=N, a policy's
 * selection): such a set belongs to neither channel and is never taken as a
 * channel's newest. Same conventions as the rows above. */
#define AVOW_STORE_UPDATE_BY_NUMBER "number"
typedef struct {
    char fmspc[13];
    char ca[10];
    char tee[4];
    int eval_num;   /* > 0 */
    char update[9]; /* "standard", "early" or AVOW_STORE_UPDATE_BY_NUMBER */
    char *bundle;   /* NULL in list results */
    avow_time next_update;
    avow_time fetched_at;
    char *source;
} avow_store_coll_set;

void avow_store_coll_set_free(avow_store_coll_set *c);
void avow_store_coll_set_list_free(avow_store_coll_set *rows, size_t n);
avow_err avow_store_coll_set_put(avow_store *s, const avow_store_coll_set *row, avow_error *err);
/* The set of number `eval_num` (> 0) for the key, of `update` when held,
 * else of the other kind; AVOW_ERR_NOT_FOUND when neither. */
avow_err avow_store_coll_set_get(avow_store *s, const char *fmspc, const char *ca, const char *tee,
                                 int eval_num, const char *update, avow_store_coll_set *out,
                                 avow_error *err);
/* The sets (without bundles) of one key, or of every key when fmspc is NULL,
 * ordered by fmspc, ca, tee, eval_num, update_kind. */
avow_err avow_store_coll_set_list(avow_store *s, const char *fmspc, const char *ca, const char *tee,
                                  avow_store_coll_set **out, size_t *n, avow_error *err);

/* Intel's TCB evaluation data numbers document of one TEE ("sgx"|"tdx"),
 * as checked: the exact signed JSON, its signature (128 hex), the issuer
 * chain (PEM), the newest number listed and its nextUpdate. */
typedef struct {
    char tee[4];
    char *signed_json;
    char signature[129];
    char *issuer_chain;
    int newest;
    avow_time next_update;
    avow_time fetched_at;
    char *source;
} avow_store_evalnums;

void avow_store_evalnums_free(avow_store_evalnums *d);
/* Inserts or replaces the document of d->tee, unless the stored one was
 * issued with a later nextUpdate (an older document never displaces a
 * newer one) and `replace_any` is false (the caller found the stored one
 * does not check against its roots). */
avow_err avow_store_evalnums_put(avow_store *s, const avow_store_evalnums *d, bool replace_any,
                                 avow_error *err);
/* AVOW_ERR_NOT_FOUND when none is stored for `tee`. */
avow_err avow_store_evalnums_get(avow_store *s, const char *tee, avow_store_evalnums *out,
                                 avow_error *err);

/* ---- rollback marks (marks.c) ---------------------------------------------
 * The highest `iat` (unix seconds) of a management request accepted so far:
 * one mark per attestation type for policies, one for the policy-signer
 * certificates. Marks live in the settings table under
 * "rollback_mark:policy:<type>" and "rollback_mark:certificates"; they only
 * move forward, and a policy reset leaves them alone. A guarded write
 * compares, moves the mark and writes in one transaction: of two racing
 * requests (threads or replicas), an older one is never left in force. */
#define AVOW_SETTING_MARK_PREFIX "rollback_mark:"

typedef struct {
    bool accepted;       /* false: iat < mark, nothing was changed */
    int64_t mark;        /* the mark after the call (-1: none; unchanged when iat < 0) */
    bool changed;        /* certificates: a row was added / removed */
    char hash[44];       /* policies: b64url(SHA-256(jws)) when accepted */
    char thumbprint[41]; /* certificates: the certificate's thumbprint */
} avow_store_guard;

/* The mark of `policy_type`, or of the certificates when NULL; -1 when none. */
avow_err avow_store_mark_get(avow_store *s, const char *policy_type, int64_t *mark,
                             avow_error *err);
/* Stores a policy (as avow_store_policy_put) when iat >= the type's mark,
 * moving the mark to iat; iat < 0 (the request has none) writes without
 * looking at the mark. */
avow_err avow_store_policy_put_guarded(avow_store *s, const char *type, const char *jws,
                                       int64_t iat, avow_time at, avow_store_guard *g,
                                       avow_error *err);
/* Adds or removes a policy-signer certificate (PEM) likewise, under the
 * certificates' mark. */
avow_err avow_store_cert_change_guarded(avow_store *s, bool add, const char *cert_pem, int64_t iat,
                                        avow_time at, avow_store_guard *g, avow_error *err);
/* ---- change notifications ------------------------------------------------
 * A change committed by any writer (another replica, `avow key rotate`, an
 * operator's SQL) reaches every listener once it commits. PostgreSQL: the
 * tables' triggers call pg_notify('avow_changes', <table>) inside the writing
 * transaction, so nothing is announced that did not commit; a listener keeps
 * one dedicated connection that LISTENs. SQLite has no notifications:
 * avow_store_listen returns AVOW_ERR_UNSUPPORTED and callers re-read
 * periodically. */
typedef enum {
    AVOW_STORE_CHANGED_SETTINGS = 1u << 0,
    AVOW_STORE_CHANGED_KEYS = 1u << 1,
    AVOW_STORE_CHANGED_POLICIES = 1u << 2,
    AVOW_STORE_CHANGED_CERTIFICATES = 1u << 3,
    AVOW_STORE_CHANGED_COLLATERAL = 1u << 4,
    AVOW_STORE_CHANGED_ALL = (1u << 5) - 1,
} avow_store_changes;

typedef struct avow_store_listener avow_store_listener;

/* A listener on `s` (not yet connected: the first wait connects).
 * AVOW_ERR_UNSUPPORTED for a backend without notifications. */
avow_err avow_store_listen(avow_store *s, avow_store_listener **out, avow_error *err);
/* Waits up to timeout_ms (0: just look) for changes and ORs what changed
 * into *changes (AVOW_STORE_CHANGED_*). Returns:
 *   AVOW_OK: the listener is connected; *changes may be 0 (timeout, or
 *     avow_store_listener_wake). Right after a (re)connection *changes is
 *     AVOW_STORE_CHANGED_ALL: changes made meanwhile were not announced.
 *   AVOW_ERR_IO: the database is unreachable (err says why). Reconnection is
 *     tried at most once a second, within the calls; a call returns early
 *     only when woken or when an attempt fails.
 * The wait is on the connection's socket (poll), not a polling loop. */
avow_err avow_store_listener_wait(avow_store_listener *l, int timeout_ms, unsigned *changes,
                                  avow_error *err);
/* Makes the current or next wait return now. Callable from any thread and
 * from a signal handler (one write(2)). */
void avow_store_listener_wake(avow_store_listener *l);
/* Closes the listener (no wait may be running). NULL is fine. */
void avow_store_listener_close(avow_store_listener *l);

#ifdef __cplusplus
}
#endif
