// Negative interop check: the real MAA client must surface avowd's error.
//   node attest_expect_error.js ENDPOINT EVIDENCE [--oe] [--runtime FILE]
//        --status CODE --message SUBSTRING
// Succeeds when the attest call throws a RestError with that HTTP status
// whose message contains SUBSTRING (case-insensitive).
"use strict";
const fs = require("fs");
const { AttestationClient } = require("@azure/attestation");

async function main() {
  const [endpoint, evidencePath, ...rest] = process.argv.slice(2);
  let oe = false, runtime, status, message;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--oe") oe = true;
    else if (rest[i] === "--runtime") runtime = fs.readFileSync(rest[++i]);
    else if (rest[i] === "--status") status = Number(rest[++i]);
    else if (rest[i] === "--message") message = rest[++i];
    else throw new Error("unknown argument " + rest[i]);
  }
  const client = new AttestationClient(endpoint, { allowInsecureConnection: true });
  const evidence = fs.readFileSync(evidencePath);
  const opts = runtime ? { runTimeData: runtime } : {};
  try {
    await (oe ? client.attestOpenEnclave(evidence, opts) : client.attestSgxEnclave(evidence, opts));
  } catch (e) {
    const got = `${e.statusCode} ${e.code}: ${e.message}`;
    if (e.statusCode === status && String(e.message).toLowerCase().includes(message.toLowerCase())) {
      console.log(JSON.stringify({ ok: true, statusCode: e.statusCode, code: e.code, message: e.message }));
      return;
    }
    throw new Error(`unexpected error (want ${status} containing '${message}'): ${got}`);
  }
  throw new Error("attestation succeeded but was expected to fail");
}

main().catch((e) => {
  console.error("attest_expect_error FAILED:", e.message || e);
  process.exit(1);
});
