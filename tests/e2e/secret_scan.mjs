// After the end-to-end suite: no secret the suite used is in clear text in what the nodes wrote. Run the suite
// with TRIBUTARY_E2E_SCAN_DIR=<dir> (the harness then collects the evidence, see lib/harness.mjs), then
//
//   TRIBUTARY_E2E_SCAN_DIR=<dir> node --test tests/e2e/secret_scan.mjs
//
// Searched: every node's full log output, every file of its data dir (the SQLite database and its -wal/-shm
// files; master.key itself holds the master key, so it is left out), and a pg_dump of every PostgreSQL test
// database. Looked for: each secret as it was sent or shown, and its hex form (a bytea column dumps as hex).
// API keys, master keys, tool credentials, endpoint/subscription secrets and what the simulated tools issued
// (signing secrets handed over in an answer or a handshake, access tokens) must be in none of them (sealed with
// AES-256-GCM, stored hashed, or kept in memory only); ingress tokens must not be in a log (the database routes
// by them).
// A finding names the kind of secret, where it was first seen and the file; the value is never printed whole.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const DIR = process.env.TRIBUTARY_E2E_SCAN_DIR;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...walk(path));
    else if (st.isFile() && name !== 'master.key') out.push(path);
  }
  return out;
}

function loadSecrets() {
  const byValue = new Map();
  for (const line of readFileSync(join(DIR, 'secrets.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const { kind, value, logOnly } = JSON.parse(line);
    const seen = byValue.get(value);
    // A value that is also a real secret somewhere is held to the stricter rule.
    if (!seen) byValue.set(value, { kind, value, logOnly });
    else if (seen.logOnly && !logOnly) byValue.set(value, { kind, value, logOnly });
  }
  return [...byValue.values()];
}

test('no secret the end-to-end suite used is in clear text in the logs or the databases', () => {
  assert.ok(DIR, 'set TRIBUTARY_E2E_SCAN_DIR to the directory the end-to-end run collected into');
  const secrets = loadSecrets();
  const logs = walk(join(DIR, 'logs'));
  const stores = [...walk(join(DIR, 'data')), ...walk(join(DIR, 'pg'))];
  // A scan of nothing proves nothing: the run must have produced each kind of evidence.
  assert.ok(secrets.some((s) => s.kind.startsWith('API key')), 'no API key was collected');
  assert.ok(secrets.some((s) => /^secret /.test(s.kind)), 'no endpoint or subscription secret was collected');
  assert.ok(secrets.some((s) => /^(api_key|client_secret|service_user_token) /.test(s.kind)), 'no credentials');
  assert.ok(secrets.some((s) => / issued by sim /.test(s.kind)), 'no secret issued by a simulator was collected');
  assert.ok(logs.length > 0, 'no node log was collected');
  assert.ok(stores.length > 0, 'no database was collected');

  const findings = [];
  let bytes = 0;
  for (const [files, isLog] of [
    [logs, true],
    [stores, false],
  ]) {
    for (const file of files) {
      const content = readFileSync(file);
      bytes += content.length;
      for (const s of secrets) {
        if (s.logOnly && !isLog) continue;
        for (const form of [Buffer.from(s.value), Buffer.from(Buffer.from(s.value).toString('hex'))]) {
          const at = content.indexOf(form);
          if (at >= 0) {
            findings.push(`${s.kind} [${s.value.slice(0, 4)}…] in ${relative(DIR, file)} at byte ${at}`);
            break;
          }
        }
      }
    }
  }
  console.log(
    `secret scan: ${secrets.length} secrets, ${logs.length} logs and ${stores.length} database files ` +
      `(${(bytes / 1048576).toFixed(1)} MiB) searched, ${findings.length} findings`,
  );
  assert.deepEqual(findings, [], `secrets in clear text:\n${findings.join('\n')}`);
});
