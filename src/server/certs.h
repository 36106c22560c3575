/* avowd's key discovery routes (certs.c): GET /certs (JWKS) and GET
 * /.well-known/openid-configuration (built once at startup).
 * Thread-safety: the handlers read immutable snapshots only. */
#pragma once

#include <stdbool.h>

#include "server/request.h"
#include "server/service.h"

int avowd_handle_certs(avowd_req *r);
int avowd_handle_openid(avowd_req *r);
/* Builds the discovery document into d->openid (false: out of memory). */
bool avowd_openid_build(avowd *d);
