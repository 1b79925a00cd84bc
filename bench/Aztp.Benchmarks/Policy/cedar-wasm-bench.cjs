// Times the Cedar reference engine (@cedar-policy/cedar-wasm) on a workload written by PolicyBenchmarks.
// Usage: node cedar-wasm-bench.cjs <node_modules> <workload.json> <decisions>
// Prints one JSON line: throughput, p50/p99 per decision (µs) and every decision (to check agreement).
'use strict';
const path = require('path');
const fs = require('fs');
const cedar = require(path.join(process.argv[2], '@cedar-policy', 'cedar-wasm', 'nodejs'));
const w = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const total = Number(process.argv[4] || 20000);

// Pre-parse the policies once (the fairest use of the API); entities and request still cross into wasm per call.
const pre = cedar.preparsePolicySet('bench', { staticPolicies: w.policies });
if (pre.type !== 'success') throw new Error(JSON.stringify(pre.errors));

function decide(r) {
  const a = cedar.statefulIsAuthorized({
    principal: r.principal, action: r.action, resource: r.resource, context: r.context,
    preparsedPolicySetId: 'bench', entities: w.entities,
  });
  if (a.type !== 'success') throw new Error(JSON.stringify(a.errors));
  return a.response.decision;
}

const decisions = w.requests.map(decide);
for (let i = 0; i < Math.min(total, 5000); i++) decide(w.requests[i % w.requests.length]); // warm-up

const samples = new Float64Array(total);
const start = process.hrtime.bigint();
for (let i = 0; i < total; i++) {
  const t0 = process.hrtime.bigint();
  decide(w.requests[i % w.requests.length]);
  samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
}
const elapsedS = Number(process.hrtime.bigint() - start) / 1e9;
samples.sort();
const pct = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
process.stdout.write(JSON.stringify({
  version: cedar.getCedarVersion(),
  decisionsPerSecond: total / elapsedS,
  p50Us: pct(0.5), p99Us: pct(0.99),
  decisions,
}) + '\n');
