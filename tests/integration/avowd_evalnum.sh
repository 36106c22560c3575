#!/usr/bin/env bash
# Collateral per TCB evaluation number and MAA's TCB baselines, end to end
# (docs/verification.md A13, docs/maa.md §1.11, docs/policy.md "Days since a
# TCB recovery"):
#  - two `avow sim quote --eval-num` runs give numbers 17 (UpToDate) and 18
#    (OutOfDate) for one platform; `avow collateral import` keeps both, and an
#    older number imported after a newer one does not displace it;
#  - Intel's evaluation numbers document (simulated) imports; a tampered copy
#    is refused (signature);
#  - avowd B judges by the newest number by default (OutOfDate, and the days
#    since the recovery of number 18, exactly); a policy selecting 17
#    (draft, then stored) gets a token judged by 17 (UpToDate, its TCB Info's
#    hash in x-ms-sgx-collateral); a number that cannot be had is a 400
#    naming it;
#  - GET /tcbbaselines/SgxEnclave lists the numbers with Intel's tcbDate and
#    marks the policy's selection;
#  - B's PCCS routes serve each number (tcbEvaluationDataNumber), the update
#    channel, and the document byte for byte;
#  - avowd A (empty store, upstream B) fetches number 17 when a policy asks
#    for it, and fetches nothing for numbers the document does not list
#    (a flood of made-up numbers costs no upstream request);
#  - avowd C against the test PCS server (pcs_server.py) asks Intel's way:
#    update=standard by default, tcbEvaluationDataNumber=N for a number.
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"

DAY=86400
NOW=$(date +%s)
CLOCK=$((NOW + 3600))
D16=$((CLOCK - 400 * DAY))
D17=$((CLOCK - 200 * DAY))
D18=$((CLOCK - 10 * DAY)) # number 18's recovery: exactly 10 days before CLOCK

"$AVOW_BIN" sim init plat >/dev/null
"$AVOW_BIN" sim quote --platform plat --out q17 --eval-num 17 --now "$NOW" >/dev/null
"$AVOW_BIN" sim quote --platform plat --out q18 --eval-num 18 --tcb-status OutOfDate --now "$NOW" \
    >/dev/null
"$AVOW_BIN" sim quote --platform plat --out q16 --eval-num 16 --now "$NOW" >/dev/null
"$AVOW_BIN" sim evalnums --platform plat --out ev --now "$NOW" \
    --number "16,$D16" --number "17,$D17" --number "18,$D18" >/dev/null
FMSPC=$(python3 -c 'import json,sys; print(json.loads(json.load(open(sys.argv[1]))["tcb_info"])["fmspc"])' q17/collateral.json)
BODY="{\"quote\":\"$(b64url_file q18/quote.bin)\"}"
tcbinfo_sha() { python3 -c 'import json,sys,hashlib; print(hashlib.sha256(json.load(open(sys.argv[1]))["tcb_info"].encode()).hexdigest())' "$1"; }
H17=$(tcbinfo_sha q17/collateral.json)
H18=$(tcbinfo_sha q18/collateral.json)

# ---- import keeps both numbers; the newest is the current set ----------------------
"$AVOW_BIN" collateral import --data data-b --root q17/root.pem q18/collateral.json >/dev/null
"$AVOW_BIN" collateral import --data data-b --root q17/root.pem q17/collateral.json >/dev/null
"$AVOW_BIN" collateral show --data data-b --sets --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert sorted((r["eval_num"], r["update"]) for r in rows) == [(17, "standard"), (18, "standard")], rows' ||
    fail "import did not keep numbers 17 and 18 side by side"
"$AVOW_BIN" collateral show --data data-b --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert len(rows) == 1 and rows[0]["eval_num"] == 18, rows' ||
    fail "importing 17 after 18 replaced the current set"
ok "import keeps 17 beside 18; the current set stays 18"

# ---- the evaluation numbers document: signature checked -----------------------------
python3 - <<'PY'
import json
b = open("ev/evalnums.json").read()
open("ev/tampered.json", "w").write(b.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":19'))
PY
if "$AVOW_BIN" collateral import --data data-b --root q17/root.pem --evalnums ev/tampered.json \
    --chain ev/evalnums-chain.pem >tamper.out 2>&1; then
    fail "a tampered evaluation numbers document was imported"
fi
grep -q "signature" tamper.out || fail "tampered document: no signature error: $(cat tamper.out)"
"$AVOW_BIN" collateral import --data data-b --root q17/root.pem --evalnums ev/evalnums.json \
    --chain ev/evalnums-chain.pem >/dev/null || fail "the evaluation numbers document did not import"
ok "evaluation numbers document imported; a tampered copy refused (signature)"

PB=$(free_port)
ADMIN=$(openssl rand -hex 20)
start_avowd b "$PB" --data data-b --trust-root q17/root.pem --clock "$CLOCK" \
    --admin-token "$ADMIN" --min-psw-linux 2.25 --access-log "$WORK/b-access.log"
B_PID=$LAST_PID
EB="http://127.0.0.1:$PB"

attest() { # URL [DRAFT-POLICY] -> HTTP_STATUS, body; claims in claims.json when 200
    local body=$BODY
    if [[ -n ${2:-} ]]; then
        body=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["draftPolicyForAttestation"]=sys.argv[2]; print(json.dumps(d))' "$BODY" "$2")
    fi
    http POST "$1/attest/SgxEnclave?api-version=2022-09-01-preview" -H 'Content-Type: application/json' --data-binary "$body"
    if [[ $HTTP_STATUS == 200 ]]; then jwt_part "$(json_get "$WORK/body" 'd["token"]')" 1 >claims.json; fi
}
select_policy() { # N -> policy text selecting TCB evaluation number N
    printf 'version=1.1;\nconfigurationrules { => issueproperty(type="x-ms-sgx-tcbidentifier", value="%s"); };\nauthorizationrules { => permit(); };\n' "$1"
}
claim() { json_get claims.json "d.get('$1')"; }
collateral_hash() { json_get claims.json 'json.loads(d["x-ms-sgx-collateral"])["tcbinfohash"] if isinstance(d["x-ms-sgx-collateral"], str) else d["x-ms-sgx-collateral"]["tcbinfohash"]'; }

# ---- default: the newest number judges ---------------------------------------------
attest "$EB"
[[ $HTTP_STATUS == 200 ]] || fail "default attestation: $HTTP_STATUS $(cat body)"
[[ $(claim x-avow-sgx-tcb-status) == OutOfDate ]] || fail "default: judged $(claim x-avow-sgx-tcb-status), want OutOfDate (number 18)"
[[ $(collateral_hash) == "$H18" ]] || fail "default: tcbinfohash is not number 18's"
[[ $(claim x-avow-sgx-days-since-tcb-recovery) == 10 ]] ||
    fail "days since the recovery of 18: $(claim x-avow-sgx-days-since-tcb-recovery), want 10"
ok "default policy: number 18 judges (OutOfDate), x-avow-sgx-days-since-tcb-recovery 10"
grace_policy() { # DAYS -> docs/policy.md's grace policy with that many days
    printf 'version=1.0; authorizationrules { [type=="x-avow-sgx-tcb-status", value=="UpToDate"] => permit(); [type=="x-avow-sgx-tcb-status", value=="OutOfDate"] && [type=="x-avow-sgx-days-since-tcb-recovery", value<=%s] => permit(); };\n' "$1"
}
attest "$EB" "$(grace_policy 10)"
[[ $HTTP_STATUS == 200 ]] || fail "a 10-day grace on day 10: $HTTP_STATUS $(cat body)"
attest "$EB" "$(grace_policy 9)"
expect_error 400 "refused" "a 9-day grace on day 10"
ok "docs/policy.md's grace policy: 10 days admits on day 10, 9 days refuses"

# ---- a draft policy selecting 17 -----------------------------------------------------
attest "$EB" "$(select_policy 17)"
[[ $HTTP_STATUS == 200 ]] || fail "draft selecting 17: $HTTP_STATUS $(cat body)"
[[ $(claim x-avow-sgx-tcb-status) == UpToDate ]] || fail "draft 17: judged $(claim x-avow-sgx-tcb-status)"
[[ $(collateral_hash) == "$H17" ]] || fail "draft 17: tcbinfohash is not number 17's"
[[ $(claim x-avow-sgx-days-since-tcb-recovery) == null ]] || fail "days claim on an UpToDate platform"
ok "draft policy selecting 17: judged by 17 (UpToDate, its TCB Info hash)"

# ---- numbers that cannot be had --------------------------------------------------------
attest "$EB" "$(select_policy 16)"
expect_error 400 "evaluation number 16" "number 16 (listed, not held, no upstream)"
attest "$EB" "$(select_policy 99)"
expect_error 400 "evaluation number 99" "number 99 (not listed)"
attest "$EB" "$(select_policy latest)"
expect_error 400 "x-ms-sgx-tcbidentifier" "a tcbidentifier that is not a number"
ok "numbers not to be had: 400 naming them, no fallback"

# ---- a stored policy selecting 17, and the baselines -----------------------------------
policy_jws() {
    python3 - "$1" <<'PY'
import base64, json, sys
e = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
print(e(b'{"alg":"none"}') + "." + e(json.dumps({"AttestationPolicy": e(sys.argv[1].encode())}).encode()) + ".")
PY
}
http GET "$EB/tcbbaselines/SgxEnclave?api-version=2022-09-01-preview"
[[ $HTTP_STATUS == 200 ]] || fail "tcbbaselines: $HTTP_STATUS $(cat body)"
python3 - body <<'PY' || fail "tcbbaselines under the default policy"
import json, sys
b = json.load(open(sys.argv[1]))["tcbBaselines"]
ids = [x["tcbIdentifier"] for x in b]
assert ids == ["azuredefault", "18", "17", "16"], ids
sel = [x["tcbIdentifier"] for x in b if x["isSelectedTcb"]]
assert sel == ["azuredefault"], sel
assert all(x["minimumPswLinuxVersion"] == "2.25" and "minimumPswWindowsVersion" not in x for x in b), b
PY
http PUT "$EB/policies/SgxEnclave" -H "Authorization: Bearer $ADMIN" --data-binary "$(policy_jws "$(select_policy 17)")"
[[ $HTTP_STATUS == 200 ]] || fail "policy PUT: $HTTP_STATUS $(cat body)"
attest "$EB"
[[ $HTTP_STATUS == 200 && $(claim x-avow-sgx-tcb-status) == UpToDate && $(collateral_hash) == "$H17" ]] ||
    fail "stored policy selecting 17: $HTTP_STATUS $(claim x-avow-sgx-tcb-status)"
ok "stored policy selecting 17: judged by 17"
D17_TCB=$(python3 -c 'import datetime,sys; print(datetime.datetime.fromtimestamp(int(sys.argv[1]) + 86400, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$D17")
http GET "$EB/tcbbaselines/SgxEnclave"
python3 - body "$D17_TCB" <<'PY' || fail "tcbbaselines under a policy selecting 17"
import json, sys
b = json.load(open(sys.argv[1]))["tcbBaselines"]
sel = [x for x in b if x["isSelectedTcb"]]
assert len(sel) == 1 and sel[0]["tcbIdentifier"] == "17" and sel[0]["tcbEvaluationDataNumber"] == 17, b
assert sel[0]["tcbReleaseDate"] == sys.argv[2], (sel[0], sys.argv[2])
PY
http GET "$EB/tcbbaselines/SgxEnclave?provideCurrentTcbInPolicy=true"
python3 -c 'import json,sys; b=json.load(open("body"))["tcbBaselines"]; assert [x["tcbIdentifier"] for x in b]==["17"], b' ||
    fail "provideCurrentTcbInPolicy=true"
http GET "$EB/tcbbaselines/SevSnpVm"
expect_error 400 "SevSnpVm" "tcbbaselines of an unsupported type"
ok "tcbbaselines: numbers newest first, tcbReleaseDate = tcbDate, the policy's selection marked"
http POST "$EB/policies/SgxEnclave:reset" -H "Authorization: Bearer $ADMIN" --data-binary 'eyJhbGciOiJub25lIn0..'
[[ $HTTP_STATUS == 200 ]] || fail "policy reset: $HTTP_STATUS"

# ---- B's PCCS routes per number ---------------------------------------------------------
pccs_num() { # QUERY -> the served tcbInfo's evaluation number
    http GET "$EB/sgx/certification/v4/tcb?fmspc=$FMSPC$1"
    [[ $HTTP_STATUS == 200 ]] || { echo "status $HTTP_STATUS"; return; }
    json_get body 'd["tcbInfo"]["tcbEvaluationDataNumber"]'
}
[[ $(pccs_num "&tcbEvaluationDataNumber=17") == 17 ]] || fail "PCCS tcb number 17"
[[ $(pccs_num "&tcbEvaluationDataNumber=18") == 18 ]] || fail "PCCS tcb number 18"
[[ $(pccs_num "") == 18 ]] || fail "PCCS tcb without a number: not the newest"
[[ $(pccs_num "&update=standard") == 18 ]] || fail "PCCS tcb update=standard"
http GET "$EB/sgx/certification/v4/qe/identity?tcbEvaluationDataNumber=17"
[[ $HTTP_STATUS == 200 && $(json_get body 'd["enclaveIdentity"]["tcbEvaluationDataNumber"]') == 17 ]] ||
    fail "PCCS qe/identity number 17"
http GET "$EB/sgx/certification/v4/tcb?fmspc=$FMSPC&tcbEvaluationDataNumber=16"
expect_error 404 "evaluation number 16" "PCCS tcb of a number not held"
http GET "$EB/sgx/certification/v4/tcb?fmspc=$FMSPC&tcbEvaluationDataNumber=17&update=early"
expect_error 400 "together" "update and tcbEvaluationDataNumber together"
for q in "tcbEvaluationDataNumber=17&tcbEvaluationDataNumber=18" "update=standard&update=early" \
    "tcbEvaluationDataNumber" "tcbEvaluationDataNumber=%2B17" "tcbEvaluationDataNumber=%2017" \
    "tcbEvaluationDataNumber=-1" "tcbEvaluationDataNumber=4294967313"; do
    http GET "$EB/sgx/certification/v4/tcb?fmspc=$FMSPC&$q"
    [[ $HTTP_STATUS == 400 ]] || fail "PCCS tcb with $q: $HTTP_STATUS, not 400"
done
expect_error 400 "1 to 1000000" "PCCS tcb with a number out of range"
http GET "$EB/sgx/certification/v4/qe/identity?tcbEvaluationDataNumber=17&tcbEvaluationDataNumber=18"
expect_error 400 "given 2 times" "PCCS qe/identity with the number twice"
http GET "$EB/sgx/certification/v4/tcbevaluationdatanumbers"
[[ $HTTP_STATUS == 200 ]] || fail "PCCS tcbevaluationdatanumbers: $HTTP_STATUS"
cmp -s body ev/evalnums.json || fail "tcbevaluationdatanumbers: not the document byte for byte"
grep -qi "^TCB-Evaluation-Data-Numbers-Issuer-Chain: " headers || fail "no TCB-Evaluation-Data-Numbers-Issuer-Chain header"
ok "PCCS routes: each number by tcbEvaluationDataNumber, update=standard, the document byte for byte"

# ---- A: empty store, upstream B ------------------------------------------------------------
PA=$(free_port)
start_avowd a "$PA" --data data-a --trust-root q17/root.pem --clock "$CLOCK" \
    --pcs-url "$EB/sgx/certification/v4"
EA="http://127.0.0.1:$PA"
attest "$EA" "$(select_policy 17)"
[[ $HTTP_STATUS == 200 && $(claim x-avow-sgx-tcb-status) == UpToDate && $(collateral_hash) == "$H17" ]] ||
    fail "A, draft selecting 17 via upstream B: $HTTP_STATUS $(cat body)"
grep -q '/sgx/certification/v4/tcbevaluationdatanumbers' b-access.log ||
    fail "A did not fetch the evaluation numbers document"
"$AVOW_BIN" collateral show --data data-a --sets --json | python3 -c '
import json, sys
assert [r["eval_num"] for r in json.load(sys.stdin)] == [17]' || fail "A did not keep number 17"
ok "A fetched number 17 (and the document) from B when its policy asked"
tcb_asks() { grep -c '"path":"/sgx/certification/v4/tcb"' b-access.log || true; }
BEFORE=$(tcb_asks)
for n in $(seq 100 119); do
    attest "$EA" "$(select_policy "$n")"
    [[ $HTTP_STATUS == 400 ]] || fail "A, made-up number $n: $HTTP_STATUS"
done
expect_error 400 "not among" "A, a number the document does not list"
[[ $(tcb_asks) == "$BEFORE" ]] || fail "made-up numbers reached the upstream ($BEFORE then $(tcb_asks) TCB Info requests)"
ok "20 made-up numbers: 400 each, no upstream request"

# ---- C: the test PCS server, per number ------------------------------------------------------
python3 "$AVOW_SOURCE/tests/integration/pcs_server.py" --port-file pcs.port --bundle q18/collateral.json --ca processor \
    --number-bundle "17=q17/collateral.json" --number-bundle "18=q18/collateral.json" \
    --evalnums ev/evalnums.json --evalnums-chain ev/evalnums-chain.pem >pcs.out 2>&1 &
PCS_PID=$!
extra_cleanup() { kill "$PCS_PID" 2>/dev/null || true; }
for _ in $(seq 100); do [[ -s pcs.port ]] && break; sleep 0.1; done
PP=$(cat pcs.port)
PC=$(free_port)
start_avowd c "$PC" --data data-c --trust-root q17/root.pem --clock "$CLOCK" \
    --pcs-url "http://127.0.0.1:$PP/sgx/certification/v4"
EC="http://127.0.0.1:$PC"
attest "$EC"
[[ $HTTP_STATUS == 200 && $(claim x-avow-sgx-tcb-status) == OutOfDate ]] || fail "C default: $HTTP_STATUS $(cat body)"
attest "$EC" "$(select_policy 17)"
[[ $HTTP_STATUS == 200 && $(claim x-avow-sgx-tcb-status) == UpToDate ]] || fail "C number 17: $HTTP_STATUS $(cat body)"
curl -fs "http://127.0.0.1:$PP/_seen" | python3 -c '
import json, sys
paths = [s["path"] for s in json.load(sys.stdin)]
assert any("/tcb?" in p and "update=standard" in p and "tcbEvaluationDataNumber" not in p for p in paths), paths
assert any("/tcb?" in p and "tcbEvaluationDataNumber=17" in p and "update=" not in p for p in paths), paths
assert any("/qe/identity?tcbEvaluationDataNumber=17" in p for p in paths), paths
assert any(p.endswith("/tcbevaluationdatanumbers") for p in paths), paths' ||
    fail "C did not ask the PCS Intel's way"
ok "C against the test PCS: update=standard by default, tcbEvaluationDataNumber=17 when asked"

# ---- D: a set fetched by number belongs to no update channel ------------------------------
# Its upstream's standard set is 17; a draft policy (anyone may send one) makes D fetch 18 by
# number. Labelled "standard", 18 became what D's PCCS route served for update=standard, so a
# service using D as its upstream (E) judged every quote by 18 from then on (docs/security.md
# 7.2). And update=early, which D never fetched, was answered with the standard set.
python3 "$AVOW_SOURCE/tests/integration/pcs_server.py" --port-file pcs2.port --bundle q17/collateral.json \
    --ca processor --number-bundle "17=q17/collateral.json" --number-bundle "18=q18/collateral.json" \
    --evalnums ev/evalnums.json --evalnums-chain ev/evalnums-chain.pem >pcs2.out 2>&1 &
PCS2_PID=$!
extra_cleanup() { kill "$PCS_PID" "$PCS2_PID" 2>/dev/null || true; }
for _ in $(seq 100); do [[ -s pcs2.port ]] && break; sleep 0.1; done
PD=$(free_port)
start_avowd d "$PD" --data data-d --trust-root q17/root.pem --clock "$CLOCK" \
    --pcs-url "http://127.0.0.1:$(cat pcs2.port)/sgx/certification/v4"
ED="http://127.0.0.1:$PD"
attest "$ED"
[[ $HTTP_STATUS == 200 && $(collateral_hash) == "$H17" ]] || fail "D default: $HTTP_STATUS $(cat body)"
attest "$ED" "$(select_policy 18)"
[[ $HTTP_STATUS == 200 && $(collateral_hash) == "$H18" ]] || fail "D draft 18: $HTTP_STATUS $(cat body)"
pccs_num_at() { # URL QUERY -> the served tcbInfo's evaluation number
    http GET "$1/sgx/certification/v4/tcb?fmspc=$FMSPC$2"
    [[ $HTTP_STATUS == 200 ]] || { echo "status $HTTP_STATUS"; return; }
    json_get body 'd["tcbInfo"]["tcbEvaluationDataNumber"]'
}
[[ $(pccs_num_at "$ED" "&update=standard") == 17 ]] || fail "D served number 18 (fetched by number) as its standard set"
[[ $(pccs_num_at "$ED" "") == 17 ]] || fail "D's current set is not 17"
[[ $(pccs_num_at "$ED" "&tcbEvaluationDataNumber=18") == 18 ]] || fail "D does not serve 18 by number"
"$AVOW_BIN" collateral show --data data-d --sets --json | python3 -c '
import json, sys
rows = sorted((r["eval_num"], r["update"]) for r in json.load(sys.stdin))
assert rows == [(17, "standard"), (18, "number")], rows' || fail "D: the set fetched by number is not labelled so"
http GET "$ED/sgx/certification/v4/tcb?fmspc=$FMSPC&update=early"
expect_error 404 "update channel early" "D asked for a channel it holds no set of"
PE=$(free_port)
start_avowd e "$PE" --data data-e --trust-root q17/root.pem --clock "$CLOCK" --pcs-url "$ED/sgx/certification/v4"
attest "http://127.0.0.1:$PE"
[[ $HTTP_STATUS == 200 && $(claim x-avow-sgx-tcb-status) == UpToDate && $(collateral_hash) == "$H17" ]] ||
    fail "E (upstream D) judged by $(claim x-avow-sgx-tcb-eval-num), not D's standard set 17: $HTTP_STATUS"
ok "a set fetched by number is of no channel: D serves 17 for update=standard, 404 for early; E judges by 17"

# ---- F: an upstream that serves no evaluation numbers document --------------------------------
# Without Intel's list nothing tells a real number from a made-up one: every number a draft
# policy named cost one upstream request (300 numbers, 300 TCB Info requests in 0.4 s from one
# quote). Now, once the document's fetch failed, a number is refused with no upstream request;
# the current set is fetched as always.
python3 "$AVOW_SOURCE/tests/integration/pcs_server.py" --port-file pcs3.port --bundle q17/collateral.json \
    --ca processor --number-bundle "17=q17/collateral.json" >pcs3.out 2>&1 &
PCS3_PID=$!
extra_cleanup() { kill "$PCS_PID" "$PCS2_PID" "$PCS3_PID" 2>/dev/null || true; }
for _ in $(seq 100); do [[ -s pcs3.port ]] && break; sleep 0.1; done
P3="http://127.0.0.1:$(cat pcs3.port)"
PF=$(free_port)
start_avowd f "$PF" --data data-f --trust-root q17/root.pem --clock "$CLOCK" --pcs-url "$P3/sgx/certification/v4"
EF="http://127.0.0.1:$PF"
attest "$EF"
[[ $HTTP_STATUS == 200 && $(collateral_hash) == "$H17" ]] || fail "F default: $HTTP_STATUS $(cat body)"
attest "$EF" "$(select_policy 17)" # held (the current set is 17): no document needed
[[ $HTTP_STATUS == 200 && $(collateral_hash) == "$H17" ]] || fail "F, number 17 (held): $HTTP_STATUS $(cat body)"
for n in 16 $(seq 200 219); do
    attest "$EF" "$(select_policy "$n")"
    [[ $HTTP_STATUS == 400 ]] || fail "F, number $n without a document: $HTTP_STATUS"
done
expect_error 400 "none is held" "F, a number with no evaluation numbers document to check it against"
curl -fs "$P3/_stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s.get("/tcb") == 1 and s.get("/tcbevaluationdatanumbers") == 1, s' ||
    fail "F: numbers reached the upstream without a document: $(curl -fs "$P3/_stats")"
ok "no document held: a held number judges; others refused (400 naming why), no upstream request for them"

# ---- G: a document under another root does not keep Intel's out ---------------------------
# `avow collateral import` stores, with a warning, a document that checks only against its own
# chain's root. With a later nextUpdate it kept every genuine document out of the store for good
# (an older document never displaces a newer one), and avowd's PCCS route served it.
"$AVOW_BIN" sim init evil >/dev/null
"$AVOW_BIN" sim evalnums --platform evil --out evil --now "$((NOW + 300 * DAY))" \
    --number "17,$D17" --number "99,$D18" >/dev/null
"$AVOW_BIN" collateral import --data data-g --root q17/root.pem --evalnums evil/evalnums.json \
    --chain evil/evalnums-chain.pem >/dev/null 2>evil-import.err
grep -q "warning" evil-import.err || fail "G: no warning for a document under another root"
PG=$(free_port)
start_avowd g "$PG" --data data-g --trust-root q17/root.pem --clock "$CLOCK" \
    --pcs-url "http://127.0.0.1:$(cat pcs2.port)/sgx/certification/v4"
EG="http://127.0.0.1:$PG"
attest "$EG"
[[ $HTTP_STATUS == 200 ]] || fail "G default: $HTTP_STATUS $(cat body)"
http GET "$EG/sgx/certification/v4/tcbevaluationdatanumbers"
[[ $HTTP_STATUS == 200 ]] && cmp -s body ev/evalnums.json ||
    fail "G still serves the document under another root after fetching Intel's (simulated)"
if "$AVOW_BIN" collateral import --data data-g --root q17/root.pem --evalnums evil/evalnums.json \
    --chain evil/evalnums-chain.pem >evil-import2.out 2>&1; then
    fail "G: a document under another root was stored over one that checks"
fi
grep -q "stored ones are kept" evil-import2.out || fail "G: $(cat evil-import2.out)"
ok "a document under another root is replaced by a fetched one that checks, and never stored over it"
