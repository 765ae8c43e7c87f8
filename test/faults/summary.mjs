#!/usr/bin/env node
// Counts the fault-injection ledger written with DISTILL_FAULT_LEDGER=FILE (see helpers.ts):
//   DISTILL_FAULT_LEDGER=/tmp/faults.jsonl npx vitest run test/faults && node test/faults/summary.mjs /tmp/faults.jsonl
import fs from 'node:fs';

const file = process.argv[2];
if (!file || !fs.existsSync(file)) {
  console.error('usage: node test/faults/summary.mjs LEDGER.jsonl');
  process.exit(2);
}
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const cases = rows.filter((r) => ['refused', 'handled', 'bad'].includes(r.outcome));
const count = (o) => cases.filter((r) => r.outcome === o).length;
const suites = [...new Set(cases.map((r) => r.suite))];
console.log(`fault cases tried: ${cases.length}; refused with a clear message and nothing written: ${count('refused')}; survived (work kept): ${count('handled')}; bad outcomes: ${count('bad')}`);
for (const s of suites) {
  const of = cases.filter((r) => r.suite === s);
  console.log(`  ${s}: ${of.length} (${of.filter((r) => r.outcome === 'refused').length} refused, ${of.filter((r) => r.outcome === 'handled').length} survived, ${of.filter((r) => r.outcome === 'bad').length} bad)`);
}
for (const r of rows.filter((r) => r.outcome === 'bad')) console.log(`BAD ${r.suite}: ${r.case}: ${r.detail ?? ''}`);
for (const r of rows.filter((r) => r.outcome === 'control' || r.outcome === 'figure')) console.log(`${r.outcome} ${r.suite}: ${r.case}: ${r.detail ?? ''}`);
process.exit(count('bad') > 0 ? 1 : 0);
