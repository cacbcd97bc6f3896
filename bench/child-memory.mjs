// Heap growth over many forward invocations of scenario 1 in one process. Needs --expose-gc.
// Prints one JSON line with the heap in use after a forced GC, before and after.
//
//   node --expose-gc bench/child-memory.mjs <adapter> <invocations>

import { lambdaContext, loadAdapter } from './adapters.mjs';
import { judge } from './check.mjs';
import { scenarioById } from './scenarios.mjs';

const [adapterName, countArg = '100000'] = process.argv.slice(2);
const count = Number(countArg);
const WARM_UP = 2000;

function report(fields) {
  process.stdout.write(`${JSON.stringify({ adapter: adapterName, scenario: 'memory', ...fields })}\n`);
}

/** Lets pending ticks, immediates and cleared timers run, then collects garbage until the heap settles. */
async function settledHeap() {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  let used = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
    const now = process.memoryUsage().heapUsed;
    if (now >= used) break;
    used = now;
  }
  return Math.min(used, process.memoryUsage().heapUsed);
}

async function main() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  const scenario = scenarioById('1');
  const handler = (await loadAdapter(adapterName))(await scenario.makeApp(), scenario.kind);
  const context = lambdaContext();
  const eventJson = JSON.stringify(scenario.event());
  const expected = scenario.expected();

  const first = judge(await handler(JSON.parse(eventJson), context), expected);
  if (first) return report({ ok: false, wrong: first });
  for (let i = 0; i < WARM_UP; i++) await handler(JSON.parse(eventJson), context);
  const before = await settledHeap();
  let last;
  for (let i = 0; i < count; i++) last = await handler(JSON.parse(eventJson), context);
  const wrong = judge(last, expected);
  last = undefined;
  const after = await settledHeap();
  if (wrong) return report({ ok: false, wrong: `after ${count} invocations: ${wrong}` });
  report({
    ok: true,
    invocations: count,
    beforeBytes: before,
    afterBytes: after,
    growthBytes: after - before,
  });
}

main().then(
  () => {
    setTimeout(() => process.exit(0), 5000).unref();
  },
  (error) => {
    report({ ok: false, error: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
  },
);
