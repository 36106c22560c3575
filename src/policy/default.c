/* MAA's current default SGX policy (docs/maa.md §3.5, version 1.1), kept as
 * text (x-ms-policy-hash is computed over it) and compiled once on first use.
 * Thread-safe: pthread_once guards the one-time compilation; the compiled
 * policy is immutable and lives until exit. */
#include <pthread.h>
#include <string.h>

#include "avow/policy.h"

static const char default_text[] =
    "version= 1.1;\n"
    "configurationrules{\n"
    "\t=> issueproperty(type=\"x-ms-sgx-tcbidentifier\", value=\"azuredefault\");\n"
    "};\n"
    "authorizationrules{\n"
    "\t=> permit();\n"
    "};\n"
    "issuancerules{\n"
    "\tc:[type==\"x-ms-sgx-is-debuggable\"] => issue(type=\"is-debuggable\", value=c.value);\n"
    "\tc:[type==\"x-ms-sgx-mrsigner\"] => issue(type=\"sgx-mrsigner\", value=c.value);\n"
    "\tc:[type==\"x-ms-sgx-mrenclave\"] => issue(type=\"sgx-mrenclave\", value=c.value);\n"
    "\tc:[type==\"x-ms-sgx-product-id\"] => issue(type=\"product-id\", value=c.value);\n"
    "\tc:[type==\"x-ms-sgx-svn\"] => issue(type=\"svn\", value=c.value);\n"
    "\tc:[type==\"x-ms-attestation-type\"] => issue(type=\"tee\", value=c.value);\n"
    "};\n";

static pthread_once_t once = PTHREAD_ONCE_INIT;
static avow_policy *compiled;

static void compile_default(void)
{
    if (avow_policy_compile(default_text, strlen(default_text), "default SGX policy", &compiled,
                            NULL) != AVOW_OK)
        compiled = NULL;
}

const char *avow_policy_default_text(void)
{
    return default_text;
}

const avow_policy *avow_policy_default(void)
{
    pthread_once(&once, compile_default);
    return compiled;
}
