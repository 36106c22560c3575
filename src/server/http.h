/* avowd's HTTP layer (http.c): libmicrohttpd driven by a pool of request
 * threads (workers.h) over one service context; requests are routed
 * (router.h) and their responses sent once the handler has returned.
 * Thread-safety: start and stop by the owner; port from any thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "avow/err.h"
#include "server/service.h"

typedef struct avowd_http avowd_http;

/* Listens on host:port (port 0: any free port) and serves `d` (which must
 * outlive the HTTP layer). NULL with err on failure. */
avowd_http *avowd_http_start(avowd *d, const char *host, uint16_t port, avow_error *err);
/* Stops accepting, drains requests in progress (--drain-time), stops the
 * threads and frees the layer. */
void avowd_http_stop(avowd_http *h);
/* The port actually bound. */
uint16_t avowd_http_port(const avowd_http *h);
