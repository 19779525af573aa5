#!/usr/bin/env python3
# Builds the delivery bodies in deliveries/ and vectors.json from payloads/. Every HMAC is computed by
# `openssl dgst -sha256 -hmac <key>` (not by our code); this script only assembles strings:
#   v1: signature = base64(hex HMAC-SHA256(key, payload.data.id))
#   v2: signature = base64("t=<unix>,v2=" + hex HMAC-SHA256(key, "<unix>." + signed payload text))
# where the signed payload text is the payload's bytes as they appear in the body ("raw"), its compact
# re-serialisation ("compact"), or the compact form with Rails' escaping of < > & ("rails").
import base64, datetime, json, subprocess

KEY = "tt-signature-key-5c1e0b7a93"
T = 1795000000  # 2026-11-19T12:26:40Z; the tests' clock stands at T + 30 s

def hmac_hex(message):
    out = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", KEY], input=message.encode(),
                         capture_output=True, check=True).stdout.decode()
    return out.strip().split("= ")[-1]

def compact(payload_text):
    return json.dumps(json.loads(payload_text), separators=(",", ":"), ensure_ascii=False)

def rails(text):
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

CASES = [
    # name, payload file, version, signed form, where, vendor event, events
    ("candidate_create", "candidate_create.json", "v2", "raw", "body", [("ats_candidates", "created", "12345")]),
    ("candidate_update", "candidate_update.json", "v2", "raw", "body", []),
    ("candidate_destroy", "candidate_destroy.json", "v2", "raw", "body", [("ats_candidates", "deleted", "12345")]),
    ("job_application_create", "job_application_create.json", "v2", "raw", "body",
     [("ats_candidates", "created", "12345")]),
    ("job_update_open", "job_update_open.json", "v2", "raw", "header", [("ats_jobs", "published", "2")]),
    ("job_update_archived", "job_update_archived.json", "v2", "raw", "body", [("ats_jobs", "unpublished", "2")]),
    ("job_update_archived_compact", "job_update_archived.json", "v2", "compact", "body",
     [("ats_jobs", "unpublished", "2")]),
    ("job_update_archived_rails", "job_update_archived.json", "v2", "rails", "body",
     [("ats_jobs", "unpublished", "2")]),
    ("job_update_draft", "job_update_draft.json", "v2", "raw", "body", [("ats_jobs", "updated", "3")]),
    ("job_create", "job_create.json", "v2", "raw", "body", []),
    # v1 signs only the id: relayed as an update of the id, confirmed by the targeted fetch.
    ("candidate_destroy_v1", "candidate_destroy.json", "v1", "id", "body", [("ats_candidates", "updated", "12345")]),
    ("job_update_archived_v1", "job_update_archived.json", "v1", "id", "body", [("ats_jobs", "updated", "2")]),
    ("job_application_create_v1", "job_application_create.json", "v1", "id", "body", []),
]

FORM_LABEL = {"raw": "the payload bytes as sent", "compact": "the compact re-serialised payload",
              "rails": "the re-serialised payload with Rails escaping"}

NOW = datetime.datetime.fromtimestamp(T + 30, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
vectors = {"secret": KEY, "now": NOW, "note": "see make_vectors.py: HMACs by openssl dgst -sha256 -hmac",
           "signed": {"headers": ["TT-Signature"], "body": False, "fields": ["signature", "payload.data.id"]},
           "cases": []}
for name, file, version, form, where, events in CASES:
    payload_text = open("payloads/" + file).read().rstrip("\n")
    payload = json.loads(payload_text)
    if version == "v1":
        digest = hmac_hex(str(payload["data"]["id"]))
        signature = base64.b64encode(digest.encode()).decode()
        scheme = ("teamtailor v1: base64(hex hmac-sha256 of payload.data.id) in the body field signature"
                  " (signs only the id)")
    else:
        signed = {"raw": payload_text, "compact": compact(payload_text), "rails": rails(compact(payload_text))}[form]
        digest = hmac_hex(f"{T}.{signed}")
        signature = base64.b64encode(f"t={T},v2={digest}".encode()).decode()
        place = "body field signature" if where == "body" else "TT-Signature header"
        scheme = (f"teamtailor v2: base64(t=<unix>,v2=<hex hmac-sha256>) in the {place}, over t.<"
                  f"{FORM_LABEL[form]}>")
    if where == "body":
        body = '{"payload":' + payload_text + ',"signature":"' + signature + '"}\n'
        header = None
    else:
        body = '{"payload":' + payload_text + '}\n'
        header = signature
    open(f"deliveries/{name}.json", "w").write(body)
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["TT-Signature"] = header
    vectors["cases"].append({
        "body_file": f"deliveries/{name}.json", "headers": headers, "scheme": scheme,
        "vendor_event": payload["event_name"], "is_ping": False,
        "delivery_id": f"v2:{T}:{digest}" if version == "v2" else "",
        "events": [{"model": m, "action": a, "remote_id": r} for m, a, r in events]})
open("vectors.json", "w").write(json.dumps(vectors, indent=2) + "\n")
