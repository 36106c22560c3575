/* The default policies (docs/maa.md §3.5): MAA's current default SGX policy
 * (version 1.1) and Avow's TdxVm default (MAA documents none: permit every
 * genuine TD quote, issue nothing), kept as text (x-ms-policy-hash is
 * computed over it) and each compiled once on first use.
 * Thread-safe: pthread_once guards each one-time compilation; the compiled
 * policies are immutable and live until exit. */
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

static const char tdx_default_text[] =
    "version= 1.0;\n"
    "authorizationrules{\n"
    "\t=> permit();\n"
    "};\n";

static pthread_once_t once = PTHREAD_ONCE_INIT, tdx_once = PTHREAD_ONCE_INIT;
static avow_policy *compiled, *tdx_compiled;

static void compile_default(void)
{
    if (avow_policy_compile(default_text, strlen(default_text), "default SGX policy", &compiled,
                            NULL) != AVOW_OK)
        compiled = NULL;
}

static void compile_tdx_default(void)
{
    if (avow_policy_compile(tdx_default_text, strlen(tdx_default_text), "default TdxVm policy",
                            &tdx_compiled, NULL) != AVOW_OK)
        tdx_compiled = NULL;
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

const char *avow_policy_default_tdx_text(void)
{
    return tdx_default_text;
}

const avow_policy *avow_policy_default_tdx(void)
{
    pthread_once(&tdx_once, compile_tdx_default);
    return tdx_compiled;
}
