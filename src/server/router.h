/* avowd's router (router.c): classifies a request (route.h), answers 404 and
 * 405 itself, and calls the route's handler.
 * Thread-safety: no state; handlers document their own. */
#pragma once

#include "server/request.h"

/* Sets r->route and runs the handler; its return value (response.h). */
int avowd_route_request(avowd_req *r);
