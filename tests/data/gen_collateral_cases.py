#!/usr/bin/env python3
"""Writes the negative TCB Info / QE Identity cases in tests/data/tcbinfo/ and
tests/data/qeidentity/: one file per failure, plus expected.txt mapping each
file to a substring its error message must contain (the JSON path of the bad
field). Re-run after editing; tests/unit/collateral_tcbinfo.c reads them."""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def comps(svns, named=True):
    out = []
    for i, s in enumerate(svns):
        c = {"svn": s}
        if named and i == 0:
            c.update(category="BIOS", type="Early Microcode Update")
        out.append(c)
    return out


SGX_V3 = {
    "id": "SGX", "version": 3, "issueDate": "2022-12-19T09:40:10Z",
    "nextUpdate": "2023-01-18T09:40:10Z", "fmspc": "00606A000000", "pceId": "0000",
    "tcbType": 0, "tcbEvaluationDataNumber": 13,
    "tcbLevels": [
        {"tcb": {"sgxtcbcomponents": comps([7, 9, 3, 3, 255, 255, 1] + [0] * 9), "pcesvn": 13},
         "tcbDate": "2022-08-10T00:00:00Z", "tcbStatus": "SWHardeningNeeded",
         "advisoryIDs": ["INTEL-SA-00615", "INTEL-SA-00657"]},
        {"tcb": {"sgxtcbcomponents": comps([4, 4, 3, 3, 255, 255, 0] + [0] * 9), "pcesvn": 5},
         "tcbDate": "2018-01-04T00:00:00Z", "tcbStatus": "OutOfDate",
         "advisoryIDs": ["INTEL-SA-00106"]},
    ],
}

SGX_V2 = {
    "version": 2, "issueDate": "2025-02-13T03:29:42Z", "nextUpdate": "2025-03-15T03:29:42Z",
    "fmspc": "00606a000000", "pceId": "0000", "tcbType": 0, "tcbEvaluationDataNumber": 17,
    "tcbLevels": [
        {"tcb": dict({"sgxtcbcomp%02dsvn" % (i + 1): v for i, v in
                      enumerate([14, 14, 3, 3, 255, 255, 1] + [0] * 9)}, pcesvn=13),
         "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": "SWHardeningNeeded"},
        {"tcb": dict({"sgxtcbcomp%02dsvn" % (i + 1): v for i, v in
                      enumerate([2, 2, 3, 3, 255, 255, 0] + [0] * 9)}, pcesvn=5),
         "tcbDate": "2018-01-04T00:00:00Z", "tcbStatus": "OutOfDate"},
    ],
}

Z96 = "0" * 96
TDX_V3 = {
    "id": "TDX", "version": 3, "issueDate": "2025-06-19T10:16:03Z",
    "nextUpdate": "2025-07-19T10:16:03Z", "fmspc": "B0C06F000000", "pceId": "0000",
    "tcbType": 0, "tcbEvaluationDataNumber": 17,
    "tdxModule": {"mrsigner": Z96, "attributes": "0000000000000000",
                  "attributesMask": "FFFFFFFFFFFFFFFF"},
    "tdxModuleIdentities": [
        {"id": "TDX_01", "mrsigner": Z96, "attributes": "0000000000000000",
         "attributesMask": "FFFFFFFFFFFFFFFF",
         "tcbLevels": [{"tcb": {"isvsvn": 4}, "tcbDate": "2024-03-13T00:00:00Z",
                        "tcbStatus": "UpToDate"},
                       {"tcb": {"isvsvn": 2}, "tcbDate": "2023-08-09T00:00:00Z",
                        "tcbStatus": "OutOfDate"}]},
    ],
    "tcbLevels": [
        {"tcb": {"sgxtcbcomponents": comps([2, 2, 2, 2, 3, 1, 0, 5] + [0] * 8), "pcesvn": 11,
                 "tdxtcbcomponents": comps([5, 0, 2] + [0] * 13)},
         "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": "UpToDate"},
        {"tcb": {"sgxtcbcomponents": comps([2, 2, 2, 2, 3, 1, 0, 5] + [0] * 8), "pcesvn": 5,
                 "tdxtcbcomponents": comps([5, 0, 2] + [0] * 13)},
         "tcbDate": "2018-01-04T00:00:00Z", "tcbStatus": "OutOfDate",
         "advisoryIDs": ["INTEL-SA-00106"]},
    ],
}

QE = {
    "id": "QE", "version": 2, "issueDate": "2022-12-16T12:45:36Z",
    "nextUpdate": "2023-01-15T12:45:36Z", "tcbEvaluationDataNumber": 13,
    "miscselect": "00000000", "miscselectMask": "FFFFFFFF",
    "attributes": "11000000000000000000000000000000",
    "attributesMask": "FBFFFFFFFFFFFFFF0000000000000000",
    "mrsigner": "8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF",
    "isvprodid": 1,
    "tcbLevels": [
        {"tcb": {"isvsvn": 6}, "tcbDate": "2022-08-10T00:00:00Z", "tcbStatus": "UpToDate"},
        {"tcb": {"isvsvn": 5}, "tcbDate": "2021-11-10T00:00:00Z", "tcbStatus": "OutOfDate",
         "advisoryIDs": ["INTEL-SA-00586"]},
        {"tcb": {"isvsvn": 1}, "tcbDate": "2018-08-15T00:00:00Z", "tcbStatus": "OutOfDate"},
    ],
}

DEL = object()


def mutate(base, path, value):
    """Returns a copy of base with the value at `path` replaced (DEL removes)."""
    doc = copy.deepcopy(base)
    cur = doc
    for k in path[:-1]:
        cur = cur[k]
    if value is DEL:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return doc


def dump(doc):
    return json.dumps(doc, separators=(",", ":"))


def write(folder, cases):
    d = os.path.join(HERE, folder)
    for f in os.listdir(d):
        if f.endswith(".json") or f == "expected.txt":
            os.remove(os.path.join(d, f))
    lines = []
    for name, text, expect in cases:
        with open(os.path.join(d, name + ".json"), "w") as fh:
            fh.write(text)
        lines.append("%s.json\t%s" % (name, expect))
    with open(os.path.join(d, "expected.txt"), "w") as fh:
        fh.write("# file<TAB>substring the AVOW_ERR_FORMAT message must contain\n")
        fh.write("\n".join(lines) + "\n")


def tcb_cases():
    c = []

    def m(name, base, path, value, expect):
        c.append((name, dump(mutate(base, path, value)), expect))

    L0, L1 = ["tcbLevels", 0], ["tcbLevels", 1]
    # missing fields, every level of nesting
    for k in ["version", "issueDate", "nextUpdate", "fmspc", "pceId", "tcbType",
              "tcbEvaluationDataNumber", "tcbLevels", "id"]:
        m("missing_" + k, SGX_V3, [k], DEL, "tcbInfo.%s: missing" % k)
    for k in ["tcb", "tcbDate", "tcbStatus"]:
        m("missing_level_" + k, SGX_V3, L1 + [k], DEL, "tcbInfo.tcbLevels[1].%s: missing" % k)
    for k in ["sgxtcbcomponents", "pcesvn"]:
        m("missing_tcb_" + k, SGX_V3, L0 + ["tcb", k], DEL, "tcbInfo.tcbLevels[0].tcb.%s: missing" % k)
    m("missing_component_svn", SGX_V3, L0 + ["tcb", "sgxtcbcomponents", 3, "svn"], DEL,
      "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[3].svn: missing")
    m("v2_missing_sgxtcbcomp07svn", SGX_V2, L0 + ["tcb", "sgxtcbcomp07svn"], DEL,
      "tcbInfo.tcbLevels[0].tcb.sgxtcbcomp07svn: missing")
    m("v2_missing_pcesvn", SGX_V2, L1 + ["tcb", "pcesvn"], DEL, "tcbInfo.tcbLevels[1].tcb.pcesvn: missing")
    m("tdx_missing_tdxModule", TDX_V3, ["tdxModule"], DEL, "tcbInfo.tdxModule: missing")
    for k in ["mrsigner", "attributes", "attributesMask"]:
        m("tdx_missing_tdxModule_" + k, TDX_V3, ["tdxModule", k], DEL, "tcbInfo.tdxModule.%s: missing" % k)
    m("tdx_missing_tdxtcbcomponents", TDX_V3, L1 + ["tcb", "tdxtcbcomponents"], DEL,
      "tcbInfo.tcbLevels[1].tcb.tdxtcbcomponents: missing")
    MI = ["tdxModuleIdentities", 0]
    for k in ["id", "mrsigner", "tcbLevels"]:
        m("tdx_missing_identity_" + k, TDX_V3, MI + [k], DEL, "tcbInfo.tdxModuleIdentities[0].%s: missing" % k)
    m("tdx_missing_identity_level_isvsvn", TDX_V3, MI + ["tcbLevels", 1, "tcb", "isvsvn"], DEL,
      "tcbInfo.tdxModuleIdentities[0].tcbLevels[1].tcb.isvsvn: missing")
    m("tdx_missing_identity_level_tcbStatus", TDX_V3, MI + ["tcbLevels", 0, "tcbStatus"], DEL,
      "tcbInfo.tdxModuleIdentities[0].tcbLevels[0].tcbStatus: missing")
    # wrong types
    m("type_version_string", SGX_V3, ["version"], "3", "tcbInfo.version: expected an integer")
    m("type_fmspc_number", SGX_V3, ["fmspc"], 606, "tcbInfo.fmspc: expected a string")
    m("type_tcbLevels_object", SGX_V3, ["tcbLevels"], {}, "tcbInfo.tcbLevels: expected an array")
    m("type_level_number", SGX_V3, L0, 5, "tcbInfo.tcbLevels[0]: expected an object")
    m("type_tcb_array", SGX_V3, L0 + ["tcb"], [], "tcbInfo.tcbLevels[0].tcb: expected an object")
    m("type_components_object", SGX_V3, L0 + ["tcb", "sgxtcbcomponents"], {},
      "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents: expected an array")
    m("type_component_number", SGX_V3, L0 + ["tcb", "sgxtcbcomponents", 2], 3,
      "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[2]: expected an object")
    m("type_svn_string", SGX_V3, L0 + ["tcb", "sgxtcbcomponents", 1, "svn"], "9",
      "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[1].svn: expected an integer")
    m("type_pcesvn_bool", SGX_V3, L0 + ["tcb", "pcesvn"], True, "tcbInfo.tcbLevels[0].tcb.pcesvn: expected an integer")
    m("type_pcesvn_null", SGX_V3, L0 + ["tcb", "pcesvn"], None, "tcbInfo.tcbLevels[0].tcb.pcesvn: expected an integer")
    m("type_tcbDate_number", SGX_V3, L0 + ["tcbDate"], 20220810, "tcbInfo.tcbLevels[0].tcbDate: expected a string")
    m("type_tcbStatus_number", SGX_V3, L0 + ["tcbStatus"], 0, "tcbInfo.tcbLevels[0].tcbStatus: expected a string")
    m("type_advisoryIDs_string", SGX_V3, L0 + ["advisoryIDs"], "INTEL-SA-00615",
      "tcbInfo.tcbLevels[0].advisoryIDs: expected an array")
    m("type_advisoryID_number", SGX_V3, L0 + ["advisoryIDs", 1], 657,
      "tcbInfo.tcbLevels[0].advisoryIDs[1]: expected a string")
    m("type_category_number", SGX_V3, L0 + ["tcb", "sgxtcbcomponents", 0, "category"], 1,
      "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[0].category: expected a string")
    m("type_id_number", SGX_V3, ["id"], 1, "tcbInfo.id: expected a string")
    m("type_tdxModule_string", TDX_V3, ["tdxModule"], "none", "tcbInfo.tdxModule: expected an object")
    m("type_tdxModuleIdentities_object", TDX_V3, ["tdxModuleIdentities"], {},
      "tcbInfo.tdxModuleIdentities: expected an array")
    c.append(("type_root_array", "[" + dump(SGX_V3) + "]", "tcbInfo: expected an object"))
    # floats, negatives, out of range
    c.append(("float_svn", dump(SGX_V3).replace('"svn":9', '"svn":9.0', 1),
              "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[1].svn: 9 is not an integer"))
    c.append(("float_pcesvn_exponent", dump(SGX_V3).replace('"pcesvn":13', '"pcesvn":1.3e1', 1),
              "tcbInfo.tcbLevels[0].tcb.pcesvn: 13 is not an integer"))
    m("float_version", SGX_V3, ["version"], 3.5, "tcbInfo.version: 3.5 is not an integer")
    m("negative_svn", SGX_V3, L1 + ["tcb", "sgxtcbcomponents", 0, "svn"], -1,
      "tcbInfo.tcbLevels[1].tcb.sgxtcbcomponents[0].svn: -1 is out of range 0..255")
    m("negative_pcesvn", SGX_V3, L0 + ["tcb", "pcesvn"], -13, "tcbInfo.tcbLevels[0].tcb.pcesvn: -13 is out of range")
    m("negative_tcbEvaluationDataNumber", SGX_V3, ["tcbEvaluationDataNumber"], -1,
      "tcbInfo.tcbEvaluationDataNumber: -1 is out of range")
    m("range_svn_256", SGX_V3, L0 + ["tcb", "sgxtcbcomponents", 5, "svn"], 256,
      "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[5].svn: 256 is out of range 0..255")
    m("range_svn_300_v2", SGX_V2, L1 + ["tcb", "sgxtcbcomp01svn"], 300,
      "tcbInfo.tcbLevels[1].tcb.sgxtcbcomp01svn: 300 is out of range 0..255")
    m("range_pcesvn_65536", SGX_V3, L0 + ["tcb", "pcesvn"], 65536,
      "tcbInfo.tcbLevels[0].tcb.pcesvn: 65536 is out of range 0..65535")
    m("range_tdx_svn", TDX_V3, L0 + ["tcb", "tdxtcbcomponents", 2, "svn"], 1000,
      "tcbInfo.tcbLevels[0].tcb.tdxtcbcomponents[2].svn: 1000 is out of range 0..255")
    # module levels take ISVSVN 0..65535 as Intel's TdxModuleTcb parser does
    m("range_identity_isvsvn", TDX_V3, MI + ["tcbLevels", 0, "tcb", "isvsvn"], 65536,
      "tcbInfo.tdxModuleIdentities[0].tcbLevels[0].tcb.isvsvn: 65536 is out of range 0..65535")
    c.append(("range_huge_integer", dump(SGX_V3).replace('"pcesvn":13', '"pcesvn":99999999999999999999', 1),
              "too big integer near '99999999999999999999'"))
    # hex
    m("hex_fmspc_short", SGX_V3, ["fmspc"], "00606A0000", "tcbInfo.fmspc: expected 12 hex digits, got 10")
    m("hex_fmspc_nonhex", SGX_V3, ["fmspc"], "00606A00000G", "tcbInfo.fmspc: '00606A00000G' is not hex")
    m("hex_pceId_long", SGX_V3, ["pceId"], "000000", "tcbInfo.pceId: expected 4 hex digits, got 6")
    m("hex_pceId_nonhex", SGX_V3, ["pceId"], "zz00", "tcbInfo.pceId: 'zz00' is not hex")
    m("hex_tdxModule_mrsigner_short", TDX_V3, ["tdxModule", "mrsigner"], "0" * 94,
      "tcbInfo.tdxModule.mrsigner: expected 96 hex digits, got 94")
    m("hex_tdxModule_attributes_long", TDX_V3, ["tdxModule", "attributes"], "0" * 18,
      "tcbInfo.tdxModule.attributes: expected 16 hex digits")
    m("hex_identity_attributesMask_nonhex", TDX_V3, MI + ["attributesMask"], "FFFFFFFFFFFFFFFX",
      "tcbInfo.tdxModuleIdentities[0].attributesMask: 'FFFFFFFFFFFFFFFX' is not hex")
    # dates
    m("date_issueDate_month13", SGX_V3, ["issueDate"], "2022-13-01T00:00:00Z",
      "tcbInfo.issueDate: '2022-13-01T00:00:00Z' is not an RFC 3339 date-time")
    m("date_nextUpdate_words", SGX_V3, ["nextUpdate"], "yesterday", "tcbInfo.nextUpdate: 'yesterday' is not an RFC 3339")
    m("date_tcbDate_no_time", SGX_V3, L1 + ["tcbDate"], "2018-01-04", "tcbInfo.tcbLevels[1].tcbDate: '2018-01-04' is not an RFC 3339")
    m("date_tcbDate_no_zone", SGX_V3, L0 + ["tcbDate"], "2022-08-10T00:00:00",
      "tcbInfo.tcbLevels[0].tcbDate: '2022-08-10T00:00:00' is not an RFC 3339")
    m("date_feb30", SGX_V3, ["issueDate"], "2023-02-30T00:00:00Z", "tcbInfo.issueDate:")
    m("date_identity_tcbDate", TDX_V3, MI + ["tcbLevels", 1, "tcbDate"], "2023/08/09",
      "tcbInfo.tdxModuleIdentities[0].tcbLevels[1].tcbDate: '2023/08/09' is not an RFC 3339")
    # statuses
    m("status_unknown", SGX_V3, L1 + ["tcbStatus"], "UpToDateish",
      "tcbInfo.tcbLevels[1].tcbStatus: unrecognized TCB status 'UpToDateish'")
    m("status_lowercase", SGX_V3, L0 + ["tcbStatus"], "uptodate",
      "tcbInfo.tcbLevels[0].tcbStatus: unrecognized TCB status 'uptodate'")
    m("status_relaunch_not_in_json", SGX_V3, L0 + ["tcbStatus"], "TDRelaunchAdvised",
      "tcbInfo.tcbLevels[0].tcbStatus: unrecognized TCB status 'TDRelaunchAdvised'")
    m("status_identity_swhardening", TDX_V3, MI + ["tcbLevels", 0, "tcbStatus"], "SWHardeningNeeded",
      "tcbInfo.tdxModuleIdentities[0].tcbLevels[0].tcbStatus: unrecognized TCB status")
    # duplicates and counts
    dup = copy.deepcopy(SGX_V3)
    dup["tcbLevels"][1] = copy.deepcopy(dup["tcbLevels"][0])
    dup["tcbLevels"][1]["tcbStatus"] = "OutOfDate"
    c.append(("duplicate_level", dump(dup), "tcbInfo.tcbLevels: duplicate level"))
    dup2 = copy.deepcopy(SGX_V2)
    dup2["tcbLevels"].append(copy.deepcopy(dup2["tcbLevels"][1]))
    c.append(("duplicate_level_v2", dump(dup2), "tcbInfo.tcbLevels: duplicate level"))
    dupm = copy.deepcopy(TDX_V3)
    dupm["tdxModuleIdentities"].append(copy.deepcopy(dupm["tdxModuleIdentities"][0]))
    c.append(("duplicate_module_identity", dump(dupm), "tcbInfo.tdxModuleIdentities[1].id: duplicate module identity 'TDX_01'"))
    dupi = copy.deepcopy(TDX_V3)
    dupi["tdxModuleIdentities"][0]["tcbLevels"][1]["tcb"]["isvsvn"] = 4
    c.append(("duplicate_identity_isvsvn", dump(dupi), "tcbInfo.tdxModuleIdentities[0].tcbLevels: duplicate level for isvsvn 4"))
    m("count_components_15", SGX_V3, L0 + ["tcb", "sgxtcbcomponents"], comps([1] * 15),
      "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents: expected 16 components, got 15")
    m("count_components_17", SGX_V3, L1 + ["tcb", "sgxtcbcomponents"], comps([1] * 17),
      "tcbInfo.tcbLevels[1].tcb.sgxtcbcomponents: expected 16 components, got 17")
    m("count_tdx_components_0", TDX_V3, L0 + ["tcb", "tdxtcbcomponents"], [],
      "tcbInfo.tcbLevels[0].tcb.tdxtcbcomponents: expected 16 components, got 0")
    m("empty_tcbLevels", SGX_V3, ["tcbLevels"], [], "tcbInfo.tcbLevels: empty array")
    m("empty_identity_tcbLevels", TDX_V3, MI + ["tcbLevels"], [], "tcbInfo.tdxModuleIdentities[0].tcbLevels: empty array")
    # SGX must not carry TDX parts
    m("sgx_with_tdxModule", SGX_V3, ["tdxModule"], TDX_V3["tdxModule"], "tcbInfo.tdxModule: not allowed in SGX TCB Info")
    m("sgx_with_tdxModuleIdentities", SGX_V3, ["tdxModuleIdentities"], TDX_V3["tdxModuleIdentities"],
      "tcbInfo.tdxModuleIdentities: not allowed in SGX TCB Info")
    m("sgx_with_tdxtcbcomponents", SGX_V3, L1 + ["tcb", "tdxtcbcomponents"], comps([0] * 16),
      "tcbInfo.tcbLevels[1].tcb.tdxtcbcomponents: not allowed in SGX TCB Info")
    m("v2_with_tdxModule", SGX_V2, ["tdxModule"], TDX_V3["tdxModule"], "tcbInfo.tdxModule: not allowed")
    # versions, ids, type
    m("version_1", SGX_V3, ["version"], 1, "tcbInfo.version: unsupported version 1")
    m("version_4", SGX_V3, ["version"], 4, "tcbInfo.version: unsupported version 4")
    m("id_unknown", SGX_V3, ["id"], "SEV", "tcbInfo.id: 'SEV' is neither SGX nor TDX")
    m("id_lowercase", SGX_V3, ["id"], "sgx", "tcbInfo.id: 'sgx' is neither SGX nor TDX")
    m("tcbType_1", SGX_V3, ["tcbType"], 1, "tcbInfo.tcbType: 1 is not supported")
    m("identity_id_bad", TDX_V3, MI + ["id"], "TDX-1", "tcbInfo.tdxModuleIdentities[0].id: 'TDX-1' is not of the form TDX_XX")
    # syntax
    c.append(("syntax_trailing_garbage", dump(SGX_V3) + "x", "tcbInfo: invalid JSON"))
    c.append(("syntax_two_objects", dump(SGX_V3) + dump(SGX_V3), "tcbInfo: invalid JSON"))
    c.append(("syntax_truncated", dump(SGX_V3)[:-3], "tcbInfo: invalid JSON"))
    c.append(("syntax_empty", "", "tcbInfo: invalid JSON"))
    c.append(("syntax_duplicate_key_root", dump(SGX_V3)[:-1] + ',"fmspc":"00606A000001"}',
              "duplicate object key near '\"fmspc\"'"))
    s = dump(SGX_V3).replace('"pcesvn":13', '"pcesvn":13,"pcesvn":14', 1)
    c.append(("syntax_duplicate_key_nested", s, "duplicate object key near '\"pcesvn\"'"))
    return c


def qe_cases():
    c = []

    def m(name, path, value, expect):
        c.append((name, dump(mutate(QE, path, value)), expect))

    for k in ["id", "version", "issueDate", "nextUpdate", "tcbEvaluationDataNumber", "miscselect",
              "miscselectMask", "attributes", "attributesMask", "mrsigner", "isvprodid", "tcbLevels"]:
        m("missing_" + k, [k], DEL, "enclaveIdentity.%s: missing" % k)
    for k in ["tcb", "tcbDate", "tcbStatus"]:
        m("missing_level_" + k, ["tcbLevels", 2, k], DEL, "enclaveIdentity.tcbLevels[2].%s: missing" % k)
    m("missing_level_isvsvn", ["tcbLevels", 1, "tcb", "isvsvn"], DEL, "enclaveIdentity.tcbLevels[1].tcb.isvsvn: missing")
    m("type_id_number", ["id"], 1, "enclaveIdentity.id: expected a string")
    m("type_isvprodid_string", ["isvprodid"], "1", "enclaveIdentity.isvprodid: expected an integer")
    m("type_tcbLevels_object", ["tcbLevels"], {"tcb": {}}, "enclaveIdentity.tcbLevels: expected an array")
    m("type_level_string", ["tcbLevels", 0], "UpToDate", "enclaveIdentity.tcbLevels[0]: expected an object")
    m("type_tcb_number", ["tcbLevels", 0, "tcb"], 6, "enclaveIdentity.tcbLevels[0].tcb: expected an object")
    m("type_advisoryIDs_number", ["tcbLevels", 1, "advisoryIDs"], 586, "enclaveIdentity.tcbLevels[1].advisoryIDs: expected an array")
    m("type_advisoryID_object", ["tcbLevels", 1, "advisoryIDs", 0], {}, "enclaveIdentity.tcbLevels[1].advisoryIDs[0]: expected a string")
    m("type_mrsigner_array", ["mrsigner"], [], "enclaveIdentity.mrsigner: expected a string")
    c.append(("type_root_string", '"QE"', "enclaveIdentity: expected an object"))
    c.append(("float_isvsvn", dump(QE).replace('"isvsvn":6', '"isvsvn":6.5', 1),
              "enclaveIdentity.tcbLevels[0].tcb.isvsvn: 6.5 is not an integer"))
    m("float_isvprodid", ["isvprodid"], 1.0, "enclaveIdentity.isvprodid: 1 is not an integer")
    m("negative_isvprodid", ["isvprodid"], -1, "enclaveIdentity.isvprodid: -1 is out of range 0..65535")
    m("negative_isvsvn", ["tcbLevels", 2, "tcb", "isvsvn"], -1, "enclaveIdentity.tcbLevels[2].tcb.isvsvn: -1 is out of range")
    m("range_isvsvn", ["tcbLevels", 0, "tcb", "isvsvn"], 65536, "enclaveIdentity.tcbLevels[0].tcb.isvsvn: 65536 is out of range 0..65535")
    m("range_isvprodid", ["isvprodid"], 70000, "enclaveIdentity.isvprodid: 70000 is out of range 0..65535")
    m("negative_tcbEvaluationDataNumber", ["tcbEvaluationDataNumber"], -13, "enclaveIdentity.tcbEvaluationDataNumber: -13 is out of range")
    m("hex_miscselect_short", ["miscselect"], "000000", "enclaveIdentity.miscselect: expected 8 hex digits, got 6")
    m("hex_miscselectMask_nonhex", ["miscselectMask"], "FFFFFFFG", "enclaveIdentity.miscselectMask: 'FFFFFFFG' is not hex")
    m("hex_attributes_short", ["attributes"], "1" * 30, "enclaveIdentity.attributes: expected 32 hex digits, got 30")
    m("hex_attributesMask_long", ["attributesMask"], "F" * 34, "enclaveIdentity.attributesMask: expected 32 hex digits, got 34")
    m("hex_mrsigner_short", ["mrsigner"], "8C" * 31, "enclaveIdentity.mrsigner: expected 64 hex digits, got 62")
    m("hex_mrsigner_nonhex", ["mrsigner"], "x" * 64, "enclaveIdentity.mrsigner: '" + "x" * 64 + "' is not hex")
    m("date_issueDate", ["issueDate"], "2022-12-16 12:45", "enclaveIdentity.issueDate: '2022-12-16 12:45' is not an RFC 3339")
    m("date_nextUpdate_hour25", ["nextUpdate"], "2023-01-15T25:45:36Z", "enclaveIdentity.nextUpdate:")
    m("date_tcbDate", ["tcbLevels", 1, "tcbDate"], "", "enclaveIdentity.tcbLevels[1].tcbDate: '' is not an RFC 3339")
    m("status_unknown", ["tcbLevels", 2, "tcbStatus"], "Bogus", "enclaveIdentity.tcbLevels[2].tcbStatus: unrecognized TCB status 'Bogus'")
    m("status_swhardening", ["tcbLevels", 0, "tcbStatus"], "SWHardeningNeeded",
      "enclaveIdentity.tcbLevels[0].tcbStatus: unrecognized TCB status 'SWHardeningNeeded'")
    m("status_configuration_needed", ["tcbLevels", 0, "tcbStatus"], "ConfigurationNeeded",
      "enclaveIdentity.tcbLevels[0].tcbStatus: unrecognized TCB status")
    dup = copy.deepcopy(QE)
    dup["tcbLevels"][2]["tcb"]["isvsvn"] = 6
    c.append(("duplicate_level", dump(dup), "enclaveIdentity.tcbLevels: duplicate level for isvsvn 6"))
    m("empty_tcbLevels", ["tcbLevels"], [], "enclaveIdentity.tcbLevels: empty array")
    m("id_unknown", ["id"], "PCE", "enclaveIdentity.id: 'PCE' is not QE, TD_QE or QVE")
    m("id_empty", ["id"], "", "enclaveIdentity.id: '' is not QE, TD_QE or QVE")
    m("version_1", ["version"], 1, "enclaveIdentity.version: unsupported version 1")
    m("version_3", ["version"], 3, "enclaveIdentity.version: unsupported version 3")
    c.append(("syntax_trailing_garbage", dump(QE) + " ,", "enclaveIdentity: invalid JSON"))
    c.append(("syntax_truncated", dump(QE)[:100], "enclaveIdentity: invalid JSON"))
    c.append(("syntax_nul_escape", dump(QE).replace('"QE"', '"Q\\u0000E"', 1), "enclaveIdentity: invalid JSON"))
    c.append(("syntax_duplicate_key", dump(QE)[:-1] + ',"isvprodid":2}',
              "duplicate object key near '\"isvprodid\"'"))
    c.append(("syntax_single_quotes", dump(QE).replace('"QE"', "'QE'", 1), "enclaveIdentity: invalid JSON"))
    return c


if __name__ == "__main__":
    write("tcbinfo", tcb_cases())
    write("qeidentity", qe_cases())
    # the valid bases, as positive controls
    for name, doc in [("valid_sgx_v3", SGX_V3), ("valid_sgx_v2", SGX_V2), ("valid_tdx_v3", TDX_V3)]:
        with open(os.path.join(HERE, "tcbinfo", name + ".ok"), "w") as fh:
            fh.write(dump(doc))
    with open(os.path.join(HERE, "qeidentity", "valid_qe.ok"), "w") as fh:
        fh.write(dump(QE))
