// Policy management through the real MAA admin client
// (AttestationAdministrationClient of @azure/attestation 1.0.0), which needs
// https and a credential: run with NODE_EXTRA_CA_CERTS=<avowd TLS cert>.
//   node admin_check.js ENDPOINT MODE [ARGS]
//   MODE token ADMIN_TOKEN POLICY_FILE    set/get/reset an unsigned policy
//   MODE isolated ADMIN_TOKEN KEY CERT POLICY_FILE NEWCERT NEWKEY [QUOTE]
//        set/get/reset a signed policy; list, add, remove a signer certificate;
//        with QUOTE, attest under the signed policy and check x-ms-policy-signer.
//        Isolated mode needs both the admin bearer token (the credential) and
//        a policy signer's signature: a correctly signed request with a wrong
//        bearer, and a read without one, must get 401 (docs/security.md).
// Every service response token is validated (signature via /certs, exp, nbf,
// issuer). Prints one JSON line; exits non-zero on any mismatch.
"use strict";
const fs = require("fs");
const assert = require("assert");
const { AttestationAdministrationClient, AttestationClient } = require("@azure/attestation");

function credential(token) {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600e3 }) };
}

async function main() {
  const [endpoint, mode, ...args] = process.argv.slice(2);
  const validationOptions = {
    validateToken: true, validateExpirationTime: true, validateNotBeforeTime: true,
    validateIssuer: true, expectedIssuer: endpoint, timeValidationSlack: 10,
  };
  const out = { ok: true, mode };
  if (mode === "token") {
    const [adminToken, policyFile] = args;
    const policy = fs.readFileSync(policyFile, "utf8");
    const admin = new AttestationAdministrationClient(endpoint, credential(adminToken), { validationOptions });
    const set = await admin.setPolicy("SgxEnclave", policy);
    assert.strictEqual(set.body.policyResolution, "Updated");
    assert.ok(set.body.policyTokenHash && set.body.policyTokenHash.length === 32);
    const got = await admin.getPolicy("SgxEnclave");
    assert.strictEqual(got.body, policy, "GET returns the policy text that was set");
    out.policyHashSet = Buffer.from(set.body.policyTokenHash).toString("base64url");
    // a wrong admin token is refused
    const bad = new AttestationAdministrationClient(endpoint, credential("wrong-" + adminToken), { validationOptions });
    let refused = false;
    try { await bad.setPolicy("SgxEnclave", policy); } catch (e) { refused = e.statusCode === 401; }
    assert.ok(refused, "a wrong admin token must get 401");
    const certs = await admin.getPolicyManagementCertificates();
    assert.strictEqual(certs.body.length, 0, "token mode has no policy signers");
    // reads need the admin credential too (as MAA needs an Azure AD token)
    refused = false;
    try { await bad.getPolicy("SgxEnclave"); } catch (e) { refused = e.statusCode === 401; }
    assert.ok(refused, "GET /policies with a wrong admin token must get 401");
  } else if (mode === "isolated") {
    const [adminToken, keyFile, certFile, policyFile, newCertFile, newKeyFile, quoteFile] = args;
    const key = fs.readFileSync(keyFile, "utf8"), cert = fs.readFileSync(certFile, "utf8");
    const newCert = fs.readFileSync(newCertFile, "utf8");
    const policy = fs.readFileSync(policyFile, "utf8");
    const admin = new AttestationAdministrationClient(endpoint, credential(adminToken), { validationOptions });
    const outsider = new AttestationAdministrationClient(endpoint, credential("wrong-" + adminToken), { validationOptions });
    // a correctly signed policy without the admin credential is refused
    let denied = false;
    try { await outsider.setPolicy("SgxEnclave", policy, { privateKey: key, certificate: cert }); }
    catch (e) { denied = e.statusCode === 401; }
    assert.ok(denied, "a signed policy with a wrong admin token must get 401");
    denied = false;
    try { await outsider.resetPolicy("SgxEnclave", { privateKey: key, certificate: cert }); }
    catch (e) { denied = e.statusCode === 401; }
    assert.ok(denied, "a signed reset with a wrong admin token must get 401");
    denied = false;
    try { await outsider.getPolicy("SgxEnclave"); } catch (e) { denied = e.statusCode === 401; }
    assert.ok(denied, "GET /policies with a wrong admin token must get 401");
    // unsigned policies are refused in isolated mode
    let refused = false;
    try { await admin.setPolicy("SgxEnclave", policy); } catch (e) { refused = e.statusCode === 401; }
    assert.ok(refused, "an unsigned policy must be refused in isolated mode");
    // a policy signed by a key that is not a current policy signer is refused
    const newKey = fs.readFileSync(newKeyFile, "utf8");
    refused = false;
    try { await admin.setPolicy("SgxEnclave", policy, { privateKey: newKey, certificate: newCert }); }
    catch (e) { refused = e.statusCode === 401 || e.statusCode === 400; }
    assert.ok(refused, "a policy signed by an unknown signer must be refused");
    const set = await admin.setPolicy("SgxEnclave", policy, { privateKey: key, certificate: cert });
    assert.strictEqual(set.body.policyResolution, "Updated");
    assert.ok(set.body.policySigner && set.body.policySigner.certificates.length === 1, "x-ms-policy-signer");
    const got = await admin.getPolicy("SgxEnclave");
    assert.strictEqual(got.body, policy);
    if (quoteFile) {
      // an attestation under the signed policy names its signer (x-ms-policy-signer)
      const client = new AttestationClient(endpoint, { validationOptions });
      const r = await client.attestSgxEnclave(fs.readFileSync(quoteFile));
      const b64 = (pem) => pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
      assert.ok(r.body.policySigner, "x-ms-policy-signer in the attestation token");
      assert.strictEqual(b64(r.body.policySigner.certificates[0]), b64(cert), "the policy signer's certificate");
      out.attestedUnderSignedPolicy = true;
    }
    let certs = await admin.getPolicyManagementCertificates();
    assert.strictEqual(certs.body.length, 1, "one signer");
    const add = await admin.addPolicyManagementCertificate(newCert, key, cert);
    assert.strictEqual(add.body.certificateResolution, "IsPresent");
    certs = await admin.getPolicyManagementCertificates();
    assert.strictEqual(certs.body.length, 2, "two signers after add");
    // the newly added signer can now sign policies
    const set2 = await admin.setPolicy("SgxEnclave", policy, { privateKey: newKey, certificate: newCert });
    assert.strictEqual(set2.body.policyResolution, "Updated");
    const rm = await admin.removePolicyManagementCertificate(newCert, key, cert);
    assert.strictEqual(rm.body.certificateResolution, "IsAbsent");
    certs = await admin.getPolicyManagementCertificates();
    assert.strictEqual(certs.body.length, 1, "one signer after remove");
    // the last signer cannot be removed
    refused = false;
    try { await admin.removePolicyManagementCertificate(cert, key, cert); }
    catch (e) { refused = e.statusCode >= 400 && e.statusCode < 500; }
    assert.ok(refused, "the last policy signer must not be removable");
    certs = await admin.getPolicyManagementCertificates();
    assert.strictEqual(certs.body.length, 1, "still one signer");
    const reset = await admin.resetPolicy("SgxEnclave", { privateKey: key, certificate: cert });
    assert.strictEqual(reset.body.policyResolution, "Removed");
    out.thumbprint = add.body.certificateThumbprint;
  } else {
    throw new Error("mode must be token or isolated");
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error("admin_check FAILED:", e && (e.stack || e.message || e));
  if (e && e.statusCode) console.error("HTTP", e.statusCode, e.code, e.message);
  process.exit(1);
});
