// Evaluates a batch of cases with the Cedar reference engine (@cedar-policy/cedar-wasm).
// Usage: node cedar-reference.cjs <path-to-node_modules> < cases.jsonl > results.jsonl
// Input and output lines use the `aztp policy eval --batch` format, so results compare one to one.
'use strict';
const path = require('path');
const readline = require('readline');

const modules = process.argv[2];
const cedar = require(path.join(modules, '@cedar-policy', 'cedar-wasm', 'nodejs'));

// `Type::"id"` -> {type, id}. Cedar string escapes are the Rust ones; the ids used in tests need only \" and \\.
function uid(v) {
  if (typeof v !== 'string') return v;
  const sep = v.indexOf('::"');
  if (sep < 0 || !v.endsWith('"')) throw new Error(`not an entity reference: ${v}`);
  let idx = v.lastIndexOf('::"');
  // The type may itself contain `::`; the id starts at the first `::"`.
  idx = sep;
  const type = v.slice(0, idx);
  const raw = v.slice(idx + 3, -1);
  const id = raw.replace(/\\(["\\nrt0'])/g, (_, c) => ({ n: '\n', r: '\r', t: '\t', '0': '\0' }[c] ?? c));
  return { type, id };
}

function evaluate(c) {
  const out = { id: c.id ?? null, decision: 'failure', reasons: [], errors: [] };
  try {
    const r = c.request;
    const answer = cedar.isAuthorized({
      principal: uid(r.principal),
      action: uid(r.action),
      resource: uid(r.resource),
      context: r.context ?? {},
      policies: { staticPolicies: c.policies },
      entities: c.entities ?? [],
    });
    if (answer.type !== 'success') {
      out.message = answer.errors.map((e) => e.message).join('; ');
      return out;
    }
    out.decision = answer.response.decision;
    out.reasons = answer.response.diagnostics.reason;
    out.errors = [...new Set(answer.response.diagnostics.errors.map((e) => e.policyId))];
    out.errorMessages = answer.response.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`);
  } catch (e) {
    out.message = String(e && e.message ? e.message : e);
  }
  return out;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let c;
  try {
    c = JSON.parse(line);
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: null, decision: 'failure', reasons: [], errors: [], message: String(e.message) }) + '\n');
    return;
  }
  process.stdout.write(JSON.stringify(evaluate(c)) + '\n');
});
