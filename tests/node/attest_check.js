// Interop check of avowd with the real Microsoft Azure Attestation client
// (@azure/attestation 1.0.0, pinned in package-lock.json).
//
//   node attest_check.js ENDPOINT EVIDENCE [--oe] [--runtime FILE] [--runtime-json]
//        [--expect-tcb-status S] [--draft-policy FILE] [--signer-claim NAME]
//
// Attests EVIDENCE (a raw SGX quote, or with --oe an Open Enclave report:
// 16-byte header + quote) with full token validation (signature via /certs,
// exp, nbf, issuer == ENDPOINT) and checks the returned claims against the
// quote's own report body (MRENCLAVE, MRSIGNER, ISVPRODID, ISVSVN, DEBUG) and
// the runtime data (enclave held data / x-ms-runtime). Also checks /certs,
// the OpenID metadata, and that a wrong expected issuer is rejected.
// Prints one JSON summary line; exits non-zero on any mismatch.
"use strict";
const fs = require("fs");
const assert = require("assert");
const { AttestationClient } = require("@azure/attestation");

function parseArgs(argv) {
  const a = { endpoint: argv[0], evidence: argv[1], oe: false, runtimeJson: false };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    if (k === "--oe") a.oe = true;
    else if (k === "--runtime") a.runtime = argv[++i];
    else if (k === "--runtime-json") a.runtimeJson = true;
    else if (k === "--expect-tcb-status") a.tcbStatus = argv[++i];
    else if (k === "--draft-policy") a.draft = argv[++i];
    else if (k === "--signer-claim") a.signerClaim = argv[++i]; // custom policy issuing MRSIGNER as this claim
    else throw new Error("unknown argument " + k);
  }
  if (!a.endpoint || !a.evidence) throw new Error("usage: attest_check.js ENDPOINT EVIDENCE [...]");
  return a;
}

function hex(b) {
  return Buffer.from(b).toString("hex");
}

function validationOptions(expectedIssuer) {
  return {
    validateToken: true,
    validateExpirationTime: true,
    validateNotBeforeTime: true,
    validateIssuer: true,
    expectedIssuer,
    timeValidationSlack: 10,
  };
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const evidence = fs.readFileSync(a.evidence);
  let quote = evidence;
  if (a.oe) {
    assert.strictEqual(evidence.readUInt32LE(0), 1, "OE header version");
    assert.strictEqual(evidence.readUInt32LE(4), 2, "OE header type");
    assert.strictEqual(Number(evidence.readBigUInt64LE(8)), evidence.length - 16, "OE header size");
    quote = evidence.subarray(16);
  }
  // The enclave's identity straight from the quote's report body (offset 48).
  const body = quote.subarray(48, 48 + 384);
  const want = {
    mrEnclave: hex(body.subarray(64, 96)),
    mrSigner: hex(body.subarray(128, 160)),
    productId: body.readUInt16LE(256),
    svn: body.readUInt16LE(258),
    isDebuggable: (body.readBigUInt64LE(48) & 2n) !== 0n,
  };

  const client = new AttestationClient(a.endpoint, {
    allowInsecureConnection: a.endpoint.startsWith("http:"),
    validationOptions: validationOptions(a.endpoint),
  });
  const opts = {};
  let runtime;
  if (a.runtime) {
    runtime = fs.readFileSync(a.runtime);
    if (a.runtimeJson) opts.runTimeJson = runtime;
    else opts.runTimeData = runtime;
  }
  if (a.draft) opts.draftPolicyForAttestation = fs.readFileSync(a.draft, "utf8");

  const r = a.oe ? await client.attestOpenEnclave(evidence, opts)
                 : await client.attestSgxEnclave(quote, opts);
  const res = r.body;
  const claims = JSON.parse(Buffer.from(r.token.serialize().split(".")[1], "base64url"));
  const header = JSON.parse(Buffer.from(r.token.serialize().split(".")[0], "base64url"));

  assert.strictEqual(res.issuer, a.endpoint, "iss");
  assert.strictEqual(res.mrEnclave, want.mrEnclave, "x-ms-sgx-mrenclave");
  assert.strictEqual(res.mrSigner, want.mrSigner, "x-ms-sgx-mrsigner");
  assert.strictEqual(res.productId, want.productId, "x-ms-sgx-product-id");
  assert.strictEqual(res.svn, want.svn, "x-ms-sgx-svn");
  assert.strictEqual(res.isDebuggable, want.isDebuggable, "x-ms-sgx-is-debuggable");
  assert.strictEqual(claims["x-ms-attestation-type"], "sgx");
  assert.strictEqual(claims["x-ms-ver"], "1.0");
  assert.strictEqual(claims["x-ms-sgx-report-data"], hex(body.subarray(320, 384)), "report data");
  assert.strictEqual(claims.exp - claims.iat, 28800, "exp = iat + 8 h");
  assert.strictEqual(claims.nbf, claims.iat, "nbf = iat");
  assert.match(claims.jti, /^[0-9a-f]{64}$/, "jti");
  assert.ok(res.policyHash && res.policyHash.length === 32, "x-ms-policy-hash (32 bytes)");
  // the default policy's deprecated claims (a draft policy issues its own)
  if (a.signerClaim) {
    assert.strictEqual(claims[a.signerClaim], want.mrSigner, "the custom policy's issued claim");
    assert.strictEqual(claims["sgx-mrenclave"], undefined, "the default policy did not run");
  } else if (!a.draft) {
    assert.strictEqual(claims["sgx-mrenclave"], want.mrEnclave);
    assert.strictEqual(claims["sgx-mrsigner"], want.mrSigner);
    assert.strictEqual(claims["product-id"], want.productId);
    assert.strictEqual(claims["svn"], want.svn);
    assert.strictEqual(claims["is-debuggable"], want.isDebuggable);
    assert.strictEqual(claims["tee"], "sgx");
  } else {
    assert.strictEqual(claims["draft-ran"], true, "the draft policy's issued claim");
    assert.strictEqual(claims["sgx-mrenclave"], undefined, "the stored policy did not run");
  }
  assert.deepStrictEqual(claims["maa-attestationcollateral"], claims["x-ms-sgx-collateral"]);
  assert.ok(res.sgxCollateral && /^[0-9a-f]{64}$/.test(res.sgxCollateral.quotehash), "collateral");
  assert.ok(Array.isArray(claims["x-avow-sgx-advisory-ids"]), "x-avow-sgx-advisory-ids");
  if (a.tcbStatus) assert.strictEqual(claims["x-avow-sgx-tcb-status"], a.tcbStatus, "tcb status");
  if (runtime) {
    assert.strictEqual(hex(res.enclaveHeldData), hex(runtime), "x-ms-sgx-ehd");
    assert.strictEqual(claims["maa-ehd"], claims["x-ms-sgx-ehd"]);
    assert.strictEqual(claims["aas-ehd"], claims["x-ms-sgx-ehd"]);
    if (a.runtimeJson) assert.deepStrictEqual(res.runTimeClaims, JSON.parse(runtime), "x-ms-runtime");
  }
  if (a.draft) {
    assert.strictEqual(header.alg, "none", "draft policy tokens are unsigned");
  } else {
    assert.strictEqual(header.alg, "RS256");
    assert.strictEqual(header.typ, "JWT");
    assert.strictEqual(header.jku, a.endpoint + "/certs");
    // the kid names a /certs key carrying x5c (what the client verified with)
    const signers = await client.getAttestationSigners();
    const match = signers.filter((s) => s.keyId === header.kid);
    assert.strictEqual(match.length, 1, "kid in /certs");
    assert.ok(match[0].certificates.length >= 1, "x5c in /certs");
  }
  const meta = await client.getOpenIdMetadata();
  assert.strictEqual(meta.issuer, a.endpoint);
  assert.strictEqual(meta.jwks_uri, a.endpoint + "/certs");

  // Negative: the same token must fail an issuer check with a trailing slash.
  if (!a.draft) {
    const strict = new AttestationClient(a.endpoint, {
      allowInsecureConnection: a.endpoint.startsWith("http:"),
      validationOptions: validationOptions(a.endpoint + "/"),
    });
    let threw = false;
    try {
      await (a.oe ? strict.attestOpenEnclave(evidence, opts) : strict.attestSgxEnclave(quote, opts));
    } catch (e) {
      threw = /issuer/i.test(String(e.message));
    }
    assert.ok(threw, "a wrong expectedIssuer must be rejected");
  }
  console.log(JSON.stringify({
    ok: true, mrEnclave: res.mrEnclave, productId: res.productId, svn: res.svn,
    isDebuggable: res.isDebuggable, tcbStatus: claims["x-avow-sgx-tcb-status"],
    advisoryIds: claims["x-avow-sgx-advisory-ids"], alg: header.alg,
  }));
}

main().catch((e) => {
  console.error("attest_check FAILED:", e && (e.stack || e.message || e));
  if (e && e.statusCode) console.error("HTTP", e.statusCode, e.code, e.message);
  process.exit(1);
});
