// One adapter, one forward scenario, one process: checks the adapter's result, then times the
// handler and prints one JSON line. Events are parsed from JSON in batches outside the timed
// stretch (the Lambda runtime parses a fresh event for every invocation; so does every
// iteration here), then the handler runs on each in turn. Both the wall-clock time and the
// process's CPU time (all threads, garbage collection included) are measured: on a machine
// shared with other work, CPU time per invocation is the steadier figure.
//
//   node bench/child-forward.mjs <adapter> <scenario> <time-ms>

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
/** Events parsed ahead of each timed batch. */
const BATCH = 25;

/** Runs batches for `ms` of wall-clock time; returns the invocations, wall µs and CPU µs. */
async function measure(handler, context, eventJson, ms) {
  let count = 0;
  let wallUs = 0;
  let cpuUs = 0;
  const events = new Array(BATCH);
  const until = performance.now() + ms;
  while (performance.now() < until) {
    for (let i = 0; i < BATCH; i++) events[i] = JSON.parse(eventJson);
    const cpu = process.cpuUsage();
    const wall = performance.now();
    for (let i = 0; i < BATCH; i++) {
      await handler(events[i], context);
      events[i] = undefined;
    }
    wallUs += (performance.now() - wall) * 1000;
    const used = process.cpuUsage(cpu);
    cpuUs += used.user + used.system;
    count += BATCH;
  }
  return { count, wallUs, cpuUs };
}

async function main() {
  const scenario = scenarioById(scenarioId);
  const make = await loadAdapter(adapterName);
  const handler = make(await scenario.makeApp(), scenario.kind);
  const context = lambdaContext();
  const eventJson = JSON.stringify(scenario.event());
  const expected = scenario.expected();

  for (let i = 0; i < CHECKED_INVOCATIONS; i++) {
    const wrong = judge(await handler(JSON.parse(eventJson), context), expected);
    if (wrong) {
      report({ ok: false, wrong });
      return;
    }
  }

  await measure(handler, context, eventJson, Math.max(10, Math.min(250, time / 4)));
  const { count, wallUs, cpuUs } = await measure(handler, context, eventJson, time);
  report({
    ok: true,
    // ops/s is invocations over wall-clock time, GC pauses included.
    opsPerSec: (count * 1e6) / wallUs,
    meanUs: wallUs / count,
    cpuUs: cpuUs / count,
    samples: count,
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
