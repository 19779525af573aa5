#!/bin/sh
# Prints the X-Recruitee-Signature of each delivery file: hex HMAC-SHA256(secret, exact file bytes), computed by
# openssl independently of our code. The results are recorded in vectors.json.
SECRET="rt-webhook-secret-4d8b2f19e0"
for f in candidate_created.json candidate_deleted.json offer_updated.json offer_published.json \
         offer_unpublished.json candidate_moved.json; do
  printf '%s %s\n' "$f" "$(openssl dgst -sha256 -hmac "$SECRET" < "$f" | sed 's/^.*= //')"
done
