/* Test fixture: a local Intel PCS / PCCS look-alike (tests/integration/
 * pcs_server.py) serving one vector set over HTTP on a free port, started
 * and stopped by a C test; plus small helpers the PCS client and collateral
 * service tests share (a client, a temporary SQLite store, R1's bundle).
 * Thread-safe: no (a test's own fixture). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "avow/collateral.h"
#include "pccs/upstream.h"
#include "store/store.h"

#define R1    "dcap/R1-dcaprs-sgx-v3-tcbv2"
#define R1_AT 1740713705

typedef struct {
    pid_t pid;
    int port;
    char dir[64];
    char base[128];
} pcs_server;

/* Starts pcs_server.py for the vector set `set` (a folder under the vectors),
 * with R1's raw PCS responses when r1_raw, and extra arguments
 * (NULL-terminated); with --tls-cert among them the base URL is https. */
void pcs_server_start(pcs_server *s, bool r1_raw, const char *set, ...);
void pcs_server_stop(pcs_server *s);
/* How many requests the server has seen on `route` ("/tcb", "/pckcrl", ...). */
int pcs_server_requests(pcs_server *s, const char *route);

avow_pcs_client *pcs_test_client(const char *base, const char *key);
/* Fails the test unless `got` is exactly R1's collateral. */
void pcs_expect_r1(const avow_collateral *got);
/* A new SQLite store in a fresh temporary folder `dir` (64 bytes). */
avow_store *pcs_temp_store(char *dir);
void pcs_rm_rf(const char *dir);
