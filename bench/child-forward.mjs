// One adapter, one forward scenario, one process: checks the adapter's result, then times the
// handler with tinybench and prints one JSON line.
//
//   node bench/child-forward.mjs <adapter> <scenario> <time-ms>

import { Bench } from 'tinybench';
import { lambdaContext, loadAdapter } from './adapters.mjs';
import { judge } from './check.mjs';
import { scenarioById } from './scenarios.mjs';

const [adapterName, scenarioId, timeArg = '1000'] = process.argv.slice(2);
const time = Number(timeArg);

function report(fields) {
  process.stdout.write(`${JSON.stringify({ adapter: adapterName, scenario: scenarioId, ...fields })}\n`);
}

/** How many invocations are checked before timing (the first one may take another path). */
const CHECKED_INVOCATIONS = 3;

async function main() {
  const scenario = scenarioById(scenarioId);
  const make = await loadAdapter(adapterName);
  const handler = make(await scenario.makeApp(), scenario.kind);
  const context = lambdaContext();
  // The Lambda runtime parses a fresh event for every invocation; so does every iteration here.
  const eventJson = JSON.stringify(scenario.event());
  const expected = scenario.expected();

  for (let i = 0; i < CHECKED_INVOCATIONS; i++) {
    const wrong = judge(await handler(JSON.parse(eventJson), context), expected);
    if (wrong) {
      report({ ok: false, wrong });
      return;
    }
  }

  const bench = new Bench({ time, warmupTime: Math.max(10, Math.min(250, time / 4)) });
  let event;
  bench.add(adapterName, () => handler(event, context), {
    async: true,
    beforeEach() {
      event = JSON.parse(eventJson);
    },
  });
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') {
    report({ ok: false, error: `tinybench: ${result.state}: ${result.error?.message ?? ''}` });
    return;
  }
  const { latency } = result;
  report({
    ok: true,
    // ops/s is 1000 / mean latency (ms): total invocations over total time, GC pauses included.
    opsPerSec: 1000 / latency.mean,
    meanUs: latency.mean * 1000,
    p99Us: latency.p99 * 1000,
    rme: latency.rme,
    samples: latency.samplesCount,
  });
}

main().then(
  () => {
    // An adapter that leaves a handle open must not hold the run up.
    setTimeout(() => process.exit(0), 5000).unref();
  },
  (error) => {
    report({ ok: false, error: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
  },
);
