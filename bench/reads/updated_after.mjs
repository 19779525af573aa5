// Read-API latency of GET /v1/hris/employees?updated_after=… (the Kombo polling read), idle and while a simulated
// Personio changes records as fast as four writers can, on the node binary given by TRIBUTARY_BIN (SQLite, or
// PostgreSQL with TRIBUTARY_E2E_BACKEND=postgres). Prints p50/p99 for both next to each other, so the cost of the
// read fence (store/records_repo.h: the wait for the millisecond to pass and for record writers announced before
// the read) is seen against the same run's idle read. Bounded: 400 reads per phase, 60 s at most.
// Usage: TRIBUTARY_BIN=build/tributary node bench/reads/updated_after.mjs
import { createIntegration, startSim, startTributary, stopAll, waitForFirstSync } from '../../tests/e2e/lib/harness.mjs';

const kReads = 400;
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function reads(tb, integration, n) {
  const out = [];
  const deadline = Date.now() + 60_000;
  let since = new Date(Date.now() - 60_000);
  for (let i = 0; i < n && Date.now() < deadline; i += 1) {
    const started = new Date();
    const t0 = process.hrtime.bigint();
    const res = await tb.api('GET', `/v1/hris/employees?page_size=250&updated_after=${since.toISOString()}`, undefined, {
      headers: { 'X-Integration-Id': integration.id },
    });
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 200) throw new Error(`read: ${res.status} ${res.text}`);
    since = started;
  }
  return out;
}

try {
  const [tb, sim] = await Promise.all([startTributary(), startSim('personio')]);
  const integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
  await waitForFirstSync(tb, integration.id);
  const ids = [];
  for (let i = 0; i < 50; i += 1) {
    const made = await sim.ctl('POST', '/_sim/hris_employees', { first_name: `B${i}`, last_name: 'Bench' });
    ids.push(String(made.body.remote_id));
  }
  const idle = await reads(tb, integration, kReads);
  let writing = true;
  let changes = 0;
  const writer = async () => {
    while (writing && changes < 20_000) {
      changes += 1;
      await sim.ctl('PATCH', `/_sim/hris_employees/${ids[changes % ids.length]}`, { first_name: `v${changes}` });
    }
  };
  const writers = [writer(), writer(), writer(), writer()];
  const loaded = await reads(tb, integration, kReads);
  writing = false;
  await Promise.all(writers);
  const backend = process.env.TRIBUTARY_E2E_BACKEND ?? 'sqlite';
  const fmt = (xs) => `p50 ${percentile(xs, 50).toFixed(2)} ms / p99 ${percentile(xs, 99).toFixed(2)} ms (${xs.length} reads)`;
  console.log(`updated_after read (${backend}), idle:                ${fmt(idle)}`);
  console.log(`updated_after read (${backend}), 4 writers changing: ${fmt(loaded)}; ${changes} changes meanwhile`);
  const long = (tb.logs?.() ?? '').split('\n').filter((l) => l.includes('records read: waited'));
  if (long.length) console.log(`reads that waited 100 ms or more for record writers: ${long.length}; the longest lines:\n${long.slice(-3).join('\n')}`);
} finally {
  await stopAll();
}
