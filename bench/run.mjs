// The benchmark orchestrator: lambda-bridge against serverless-http,
// @codegenie/serverless-express 5 (and 4 as an extra column) and @h4ad/serverless-adapter on the
// same apps and ALB events.
// Every measurement runs in its own child process (some peers patch framework prototypes);
// the adapters take turns in rounds (A B C D, A B C D, …) and the median round is reported.
//
//   node bench/run.mjs [--rounds N] [--time ms] [--only <scenario>] [--smoke] [--json <file>]
//
// --only takes 1–7, "reverse", "memory" or "ttfb". It measures dist/esm (run `npm run build` first;
// `npm run bench` does).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { ADAPTERS, adaptersFor } from './adapters.mjs';
import { REVERSE_BODY, REVERSE_CONTENT_TYPE, REVERSE_PATH, REVERSE_SCENARIOS } from './reverse.mjs';
import { IMPORT_SCENARIO, SCENARIOS } from './scenarios.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const SELF = 'lambda-bridge';
const MEMORY_INVOCATIONS = 100_000;
const MEMORY_LIMIT_BYTES = 5 * 1024 * 1024;

/** Scenario 7 also imports the forward-only entry, printed beside the main one. */
const FORWARD_ENTRY = { name: 'lambda-bridge/lambda (forward only)', modules: ['lambda-bridge/lambda'] };

/** Modules imported for reference in scenario 7: what any HTTP adapter pulls in from Node. */
const IMPORT_REFERENCES = [
  { name: 'node:http alone (reference)', modules: ['node:http'] },
  {
    name: 'a file importing node:http (reference)',
    modules: [new URL('./http-module.mjs', import.meta.url).href],
  },
];

// ---------------------------------------------------------------------------------------------
// Options

function parseOptions(argv) {
  const options = { rounds: 5, time: 1000, only: undefined, smoke: false, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--rounds') options.rounds = positiveInteger(flag, value());
    else if (flag === '--time') options.time = positiveInteger(flag, value());
    else if (flag === '--only') options.only = value();
    else if (flag === '--json') options.json = value();
    else if (flag === '--smoke') options.smoke = true;
    else throw new Error(`unknown flag ${flag}`);
  }
  if (options.smoke) {
    options.rounds = 1;
    options.time = 50;
  }
  const known = [...SCENARIOS.map((s) => s.id), IMPORT_SCENARIO.id, 'reverse', 'memory', 'ttfb'];
  if (options.only !== undefined && !known.includes(options.only)) {
    throw new Error(`--only takes one of ${known.join(', ')}; it got ${options.only}`);
  }
  options.importRuns = options.smoke ? 3 : Math.max(11, options.rounds * 2 + 1);
  options.reverseSeconds = options.smoke ? 1 : 10;
  options.reverseConnections = options.smoke ? 5 : 50;
  options.memoryInvocations = options.smoke ? 10_000 : MEMORY_INVOCATIONS;
  return options;
}

function positiveInteger(flag, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} takes a positive integer; it got ${text}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Child processes

/** The environment of every child: coverage collection of a surrounding test run is not inherited. */
const childEnv = { ...process.env };
delete childEnv.NODE_V8_COVERAGE;

/**
 * Runs `node [nodeArgs] bench/<script> [args]` to completion and returns the last JSON line it
 * printed. A child that has not exited after `limitMs` is stopped and reported as an error.
 */
function runChild(script, args, { nodeArgs = [], limitMs }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, join(here, script), ...args], {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    let overdue = false;
    const timer = setTimeout(() => {
      overdue = true;
      child.kill();
    }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.trim().split('\n').filter(Boolean);
      let parsed;
      try {
        parsed = lines.length > 0 ? JSON.parse(lines[lines.length - 1]) : undefined;
      } catch {
        parsed = undefined;
      }
      if (overdue) resolve({ ok: false, error: `did not exit within ${limitMs} ms` });
      else if (parsed) resolve(parsed);
      else {
        const why = stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${code ?? signal}`;
        resolve({ ok: false, error: why });
      }
    });
  });
}

/** Starts a reverse server child; resolves with its port and a function that ends it. */
function startServer(scriptArgs, lifetimeMs) {
  const [script, ...args] = scriptArgs;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, script), ...args, String(lifetimeMs)], {
      cwd: root,
      env: childEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise((done) => child.on('close', done));
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        const { port } = JSON.parse(line);
        resolve({
          port,
          // Ending stdin tells the server to close; it exits by itself.
          stop: () => {
            child.stdin.end();
            return exited;
          },
        });
      }
    });
    child.on('close', (code) =>
      reject(new Error(`server exited (${code}) before listening: ${stderr.trim()}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fixed2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const ratio = (value) => `${fixed2.format(value)}×`;

/** The lowest and highest of the per-round figures, which shows how noisy the machine was. */
function spread(values) {
  return `${fixed2.format(Math.min(...values))}–${fixed2.format(Math.max(...values))}`;
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) =>
        i === 0 || i === cells.length - 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
    .map((l) => `  ${l}`)
    .join('\n');
}

function progress(text) {
  process.stderr.write(`… ${text}\n`);
}

/** Whether an adapter is a current peer (an extra column, such as a previous major, is not). */
function isPeer(name) {
  return name !== SELF && !ADAPTERS.find((a) => a.name === name)?.extra;
}

/** The verdict column of an adapter: "ok", "wrong: …" or "error: …". */
function status(entry) {
  if (entry.wrong) return `wrong: ${entry.wrong}`;
  if (entry.error) return `error: ${entry.error}`;
  return 'ok';
}

// ---------------------------------------------------------------------------------------------
// Forward scenarios 1–6, 8 and 9

async function forwardScenario(scenario, options) {
  const adapters = adaptersFor(scenario.kind);
  const entries = new Map(adapters.map((a) => [a.name, { adapter: a.name, runs: [] }]));
  for (let round = 1; round <= options.rounds; round++) {
    progress(`scenario ${scenario.id}, round ${round}/${options.rounds}`);
    for (const adapter of adapters) {
      const entry = entries.get(adapter.name);
      if (entry.wrong || entry.error) continue; // Judged once; not timed again.
      const result = await runChild('child-forward.mjs', [adapter.name, scenario.id, String(options.time)], {
        limitMs: 60_000 + options.time * 10,
      });
      if (result.ok)
        entry.runs.push({ round, opsPerSec: result.opsPerSec, meanUs: result.meanUs, cpuUs: result.cpuUs });
      else if (result.wrong) entry.wrong = result.wrong;
      else entry.error = result.error;
    }
  }
  for (const entry of entries.values()) {
    entry.correct = !entry.wrong && !entry.error;
    if (entry.runs.length > 0) {
      entry.opsPerSec = median(entry.runs.map((r) => r.opsPerSec));
      entry.meanUs = median(entry.runs.map((r) => r.meanUs));
      entry.cpuUs = median(entry.runs.map((r) => r.cpuUs));
    }
  }
  // Adapters are compared by CPU time per invocation, which other work on the machine skews least.
  const self = entries.get(SELF);
  const peers = [...entries.values()].filter((e) => isPeer(e.adapter) && e.cpuUs !== undefined);
  const fastest = peers.reduce(
    (best, e) => (best === undefined || e.cpuUs < best.cpuUs ? e : best),
    undefined,
  );
  const verdict = { target: `lambda-bridge ≥ ${fixed2.format(scenario.target.ratio)}× the fastest peer` };
  if (self.cpuUs !== undefined && fastest) {
    verdict.fastestPeer = fastest.adapter;
    // The median of the rounds' own ratios: the two runs of a round are closer in time than the
    // medians of all rounds, so they share more of the machine's conditions.
    verdict.ratioToFastestPeer = roundRatio(fastest, self);
    verdict.met = verdict.ratioToFastestPeer >= scenario.target.ratio;
  }

  const rows = [...entries.values()].map((e) => [
    e.adapter,
    e.opsPerSec === undefined ? '-' : integer.format(e.opsPerSec),
    e.cpuUs === undefined ? '-' : fixed2.format(e.cpuUs),
    e.runs.length === 0 ? '-' : spread(e.runs.map((r) => r.cpuUs)),
    e.cpuUs === undefined || self.cpuUs === undefined
      ? '-'
      : e.adapter === SELF
        ? ratio(1)
        : `${ratio(roundRatio(e, self))}${isPeer(e.adapter) ? '' : ' (extra)'}`,
    status(e),
  ]);
  const lines = [
    `Scenario ${scenario.id}: ${scenario.title}`,
    table(['adapter', 'ops/s', 'CPU µs', 'rounds CPU µs (min–max)', 'lambda-bridge ÷', 'check'], rows),
    `  target: ${verdict.target} -> ${describeVerdict(verdict)}`,
  ];
  return {
    report: lines.join('\n'),
    json: { id: scenario.id, title: scenario.title, adapters: [...entries.values()], verdict },
  };
}

/** The median over rounds of `peer`'s CPU time ÷ `self`'s, for the rounds both completed. */
function roundRatio(peer, self) {
  const ratios = [];
  for (const run of peer.runs) {
    const mine = self.runs.find((r) => r.round === run.round);
    if (mine) ratios.push(run.cpuUs / mine.cpuUs);
  }
  return median(ratios);
}

function describeVerdict(verdict) {
  if (verdict.met === undefined) return 'not judged (no timing for lambda-bridge or for any peer)';
  return `lambda-bridge is ${ratio(verdict.ratioToFastestPeer)} the fastest peer (${verdict.fastestPeer}): ${verdict.met ? 'met' : 'NOT met'}`;
}

// ---------------------------------------------------------------------------------------------
// Scenario 7: cold import

async function importScenario(options) {
  const subjects = [
    ...ADAPTERS.flatMap((a) => {
      const subject = { name: a.name, modules: a.modules, adapter: true };
      return a.name === SELF ? [subject, { ...FORWARD_ENTRY, adapter: false }] : [subject];
    }),
    ...IMPORT_REFERENCES.map((r) => ({ ...r, adapter: false })),
  ];
  const entries = new Map(
    subjects.map((s) => [s.name, { adapter: s.name, reference: !s.adapter, runs: [] }]),
  );
  progress(`scenario 7, ${options.importRuns} fresh processes per adapter`);
  for (let run = 0; run < options.importRuns; run++) {
    for (const subject of subjects) {
      const entry = entries.get(subject.name);
      if (entry.error) continue;
      const result = await runChild('child-import.mjs', [subject.name, ...subject.modules], {
        limitMs: 30_000,
      });
      if (result.ok) entry.runs.push(result.ms);
      else entry.error = result.error;
    }
  }
  for (const entry of entries.values()) {
    entry.correct = !entry.error;
    entry.medianMs = median(entry.runs);
    entry.minMs = entry.runs.length > 0 ? Math.min(...entry.runs) : undefined;
  }
  const self = entries.get(SELF);
  const forwardOnly = entries.get(FORWARD_ENTRY.name);
  const http = entries.get(IMPORT_REFERENCES[0].name);
  // The peers of toLambda for Node apps (the fetch-only hono/aws-lambda loads no node:http at all).
  const nodePeers = new Set(adaptersFor('listener').map((a) => a.name));
  const peers = [...entries.values()].filter(
    (e) => isPeer(e.adapter) && nodePeers.has(e.adapter) && e.medianMs !== undefined,
  );
  const fastest = peers.reduce(
    (best, e) => (best === undefined || e.medianMs < best.medianMs ? e : best),
    undefined,
  );
  const over = IMPORT_SCENARIO.target.overHttpMs;
  const verdict = {
    target: `lambda-bridge ≤ node:http alone + ${over} ms, and below every peer for Node apps`,
  };
  if (self.medianMs !== undefined && fastest && http.medianMs !== undefined) {
    verdict.medianMs = self.medianMs;
    verdict.httpMs = http.medianMs;
    verdict.fastestPeer = fastest.adapter;
    verdict.fastestPeerMs = fastest.medianMs;
    verdict.ratioToFastestPeer = self.medianMs / fastest.medianMs;
    verdict.met = self.medianMs <= http.medianMs + over && self.medianMs < fastest.medianMs;
  }
  if (forwardOnly.medianMs !== undefined) verdict.forwardOnlyMs = forwardOnly.medianMs;
  const rows = [...entries.values()].map((e) => [
    e.adapter,
    e.medianMs === undefined ? '-' : fixed2.format(e.medianMs),
    e.minMs === undefined ? '-' : fixed2.format(e.minMs),
    e.medianMs === undefined || self.medianMs === undefined
      ? '-'
      : e.adapter === SELF
        ? ratio(1)
        : `${ratio(e.medianMs / self.medianMs)} of lambda-bridge's time`,
    e.error ? `error: ${e.error}` : 'ok',
  ]);
  const outcome =
    verdict.met === undefined
      ? 'not judged'
      : `lambda-bridge ${fixed2.format(verdict.medianMs)} ms (lambda-bridge/lambda ${verdict.forwardOnlyMs === undefined ? '-' : fixed2.format(verdict.forwardOnlyMs)} ms), node:http alone ${fixed2.format(verdict.httpMs)} ms, fastest peer ${verdict.fastestPeer} ${fixed2.format(verdict.fastestPeerMs)} ms: ${verdict.met ? 'met' : 'NOT met'}`;
  const lines = [
    `Scenario 7: ${IMPORT_SCENARIO.title}, ${options.importRuns} fresh processes each`,
    table(['adapter', 'median ms', 'min ms', 'ratio', 'check'], rows),
    `  target: ${verdict.target} -> ${outcome}`,
  ];
  return {
    report: lines.join('\n'),
    json: { id: '7', title: IMPORT_SCENARIO.title, adapters: [...entries.values()], verdict },
  };
}

// ---------------------------------------------------------------------------------------------
// Reverse: servers under autocannon

async function checkServer(port) {
  const response = await fetch(`http://127.0.0.1:${port}${REVERSE_PATH}`);
  const body = await response.text();
  if (response.status !== 200) return `status ${response.status}, expected 200`;
  if (body !== REVERSE_BODY)
    return `body ${JSON.stringify(body.slice(0, 60))}, expected ${JSON.stringify(REVERSE_BODY)}`;
  const type = response.headers.get('content-type');
  if (type !== REVERSE_CONTENT_TYPE)
    return `content-type ${JSON.stringify(type)}, expected ${JSON.stringify(REVERSE_CONTENT_TYPE)}`;
  return undefined;
}

function load(port, options) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}${REVERSE_PATH}`,
        connections: options.reverseConnections,
        duration: options.reverseSeconds,
        // Not counted: lets the server's JIT settle before sampling.
        ...(options.smoke ? {} : { warmup: { connections: options.reverseConnections, duration: 1 } }),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function reverseScenarios(options) {
  const measured = REVERSE_SCENARIOS.filter((s) => s.server !== undefined);
  const entries = new Map(measured.map((s) => [s.id, { id: s.id, title: s.title, runs: [] }]));
  const lifetimeMs = (options.reverseSeconds + 60) * 1000;
  for (let round = 1; round <= options.rounds; round++) {
    progress(`reverse, round ${round}/${options.rounds}`);
    for (const scenario of measured) {
      const entry = entries.get(scenario.id);
      if (entry.wrong || entry.error) continue;
      let server;
      try {
        server = await startServer(scenario.server, lifetimeMs);
        const wrong = await checkServer(server.port);
        if (wrong) {
          entry.wrong = wrong;
          continue;
        }
        const result = await load(server.port, options);
        if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
          entry.wrong = `${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers under load`;
          continue;
        }
        entry.runs.push({ requestsPerSec: result.requests.average, latencyMs: result.latency.average });
      } catch (error) {
        entry.error = error instanceof Error ? error.message : String(error);
      } finally {
        await server?.stop();
      }
    }
  }
  for (const entry of entries.values()) {
    entry.correct = !entry.wrong && !entry.error;
    if (entry.runs.length > 0) {
      entry.requestsPerSec = median(entry.runs.map((r) => r.requestsPerSec));
      entry.latencyMs = median(entry.runs.map((r) => r.latencyMs));
    }
  }
  const baseline = [...entries.values()].find((e) => REVERSE_SCENARIOS.find((s) => s.id === e.id)?.baseline);
  const rows = [];
  const verdicts = [];
  for (const entry of entries.values()) {
    const scenario = REVERSE_SCENARIOS.find((s) => s.id === entry.id);
    const relative =
      entry.requestsPerSec !== undefined && baseline?.requestsPerSec !== undefined
        ? entry.requestsPerSec / baseline.requestsPerSec
        : undefined;
    entry.ratioToNative = relative;
    rows.push([
      entry.title,
      entry.requestsPerSec === undefined ? '-' : integer.format(entry.requestsPerSec),
      entry.latencyMs === undefined ? '-' : fixed2.format(entry.latencyMs),
      relative === undefined ? '-' : scenario.baseline ? ratio(1) : `${ratio(relative)} of native`,
      status(entry),
    ]);
    if (scenario.target !== undefined) {
      entry.target = scenario.target;
      entry.met = relative === undefined ? undefined : relative >= scenario.target;
      verdicts.push(
        `  target: ${entry.title} ≥ ${fixed2.format(scenario.target)}× the native route -> ${
          relative === undefined ? 'not judged' : `${ratio(relative)}: ${entry.met ? 'met' : 'NOT met'}`
        }`,
      );
    }
  }
  const missing = REVERSE_SCENARIOS.filter((s) => s.server === undefined).map((s) => ({
    id: s.id,
    title: s.title,
    missing: s.missing,
  }));
  const lines = [
    `Reverse: autocannon, ${options.reverseConnections} connections, ${options.reverseSeconds} s per run${options.smoke ? '' : ' after 1 s of warm-up'}, 127.0.0.1, median of ${options.rounds} round(s)`,
    table(['server', 'req/s', 'latency ms', 'ratio', 'check'], rows),
    ...verdicts,
    ...missing.map((m) => `  ${m.title}: not measured (${m.missing})`),
  ];
  return { report: lines.join('\n'), json: { servers: [...entries.values()], notMeasured: missing } };
}

// ---------------------------------------------------------------------------------------------
// Time to first byte, streamed and buffered

async function timeToFirstByte(options) {
  progress('time to first byte, 10 MB response');
  const runs = options.smoke ? 1 : Math.max(5, options.rounds * 2 + 1);
  const result = await runChild('child-ttfb.mjs', [String(runs)], { limitMs: 300_000 });
  const ms = (value) => `${fixed2.format(value)} ms`;
  const rows = result.ok
    ? [
        [
          'toLambda(app, { streaming: true })',
          ms(result.streaming.ttfbMs),
          ms(result.streaming.totalMs),
          result.streaming.encoding,
        ],
        ['toLambda(app)', ms(result.buffered.ttfbMs), ms(result.buffered.totalMs), result.buffered.encoding],
      ]
    : [];
  const lines = [
    `Time to first byte: a 10 MB response through the emulated function URL on 127.0.0.1, median of ${runs} run(s)`,
    result.ok
      ? table(['handler', 'first byte', 'last byte', 'body sent as'], rows)
      : `  failed: ${result.error ?? result.wrong ?? 'wrong output'}`,
    '  (the buffered result fits the 6 MB limit only because the client accepts gzip)',
  ];
  return {
    report: lines.join('\n'),
    json: { adapters: [{ adapter: SELF, ...result, correct: result.ok === true }] },
  };
}

// ---------------------------------------------------------------------------------------------
// Memory

async function memory(options) {
  const entries = [];
  // Scenario 1 is a plain listener: the adapters that serve one.
  for (const adapter of adaptersFor('listener')) {
    progress(`memory, ${adapter.name}`);
    const result = await runChild('child-memory.mjs', [adapter.name, String(options.memoryInvocations)], {
      nodeArgs: ['--expose-gc'],
      limitMs: 300_000,
    });
    entries.push({ adapter: adapter.name, ...result, correct: result.ok === true });
  }
  const mb = (bytes) => fixed2.format(bytes / (1024 * 1024));
  const rows = entries.map((e) => [
    e.adapter,
    e.ok ? mb(e.beforeBytes) : '-',
    e.ok ? mb(e.afterBytes) : '-',
    e.ok ? mb(e.growthBytes) : '-',
    status(e),
  ]);
  const self = entries.find((e) => e.adapter === SELF);
  const full = options.memoryInvocations >= MEMORY_INVOCATIONS;
  const verdict = { target: 'heap growth of lambda-bridge < 5 MB over 100,000 invocations' };
  verdict.growthBytes = self.growthBytes;
  if (self.ok && full) verdict.met = self.growthBytes < MEMORY_LIMIT_BYTES;
  const outcome = !self.ok
    ? 'not judged'
    : !full
      ? `${mb(self.growthBytes)} MB over ${integer.format(options.memoryInvocations)} invocations (not judged: fewer than 100,000)`
      : `${mb(self.growthBytes)} MB: ${verdict.met ? 'met' : 'NOT met'}`;
  const lines = [
    `Memory: ${integer.format(options.memoryInvocations)} invocations of scenario 1 in one process, heap in use after a forced GC`,
    table(['adapter', 'before MB', 'after MB', 'growth MB', 'check'], rows),
    `  target: ${verdict.target} -> ${outcome}`,
  ];
  return {
    report: lines.join('\n'),
    json: { invocations: options.memoryInvocations, adapters: entries, verdict },
  };
}

// ---------------------------------------------------------------------------------------------
// Summary: one line per scenario, as the README's Performance table shows it

function summary(sections) {
  const rows = [];
  const met = (m) => (m === undefined ? 'not judged' : m ? 'met' : 'NOT met');
  for (const scenario of SCENARIOS) {
    const v = sections[`scenario${scenario.id}`]?.verdict;
    if (!v) continue;
    rows.push([
      `${scenario.id} ${scenario.title}`,
      v.ratioToFastestPeer === undefined ? '-' : ratio(v.ratioToFastestPeer),
      v.fastestPeer ?? '-',
      `≥ ${fixed2.format(scenario.target.ratio)}×`,
      met(v.met),
    ]);
  }
  const imp = sections.scenario7?.verdict;
  if (imp?.medianMs !== undefined) {
    rows.push([
      `7 ${IMPORT_SCENARIO.title}`,
      `${fixed2.format(imp.medianMs)} ms (node:http ${fixed2.format(imp.httpMs)} ms)`,
      `${imp.fastestPeer} ${fixed2.format(imp.fastestPeerMs)} ms`,
      `≤ node:http + ${IMPORT_SCENARIO.target.overHttpMs} ms, below every peer`,
      met(imp.met),
    ]);
  }
  for (const server of sections.reverse?.servers ?? []) {
    if (server.target === undefined) continue;
    rows.push([
      server.title,
      server.ratioToNative === undefined ? '-' : `${ratio(server.ratioToNative)} of native`,
      '-',
      `≥ ${fixed2.format(server.target)}× native`,
      met(server.met),
    ]);
  }
  const memory = sections.memory?.verdict;
  if (memory?.growthBytes !== undefined) {
    rows.push([
      'heap growth, 100,000 invocations',
      `${fixed2.format(memory.growthBytes / (1024 * 1024))} MB`,
      '-',
      '< 5 MB',
      met(memory.met),
    ]);
  }
  return [
    'Summary',
    table(['scenario', 'lambda-bridge ÷ fastest peer', 'fastest peer', 'target', 'verdict'], rows),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

const USAGE =
  'usage: node bench/run.mjs [--rounds N] [--time ms] [--only <scenario>] [--smoke] [--json <file>]';

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (!existsSync(join(root, 'dist', 'esm', 'index.js'))) {
    throw new Error('dist/esm/index.js is missing: run `npm run build` first (`npm run bench` does)');
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const versions = {};
  for (const adapter of ADAPTERS) {
    const name = adapter.package ?? adapter.modules[0];
    versions[adapter.name] =
      name === SELF
        ? pkg.version
        : JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  }
  const cpuList = cpus();
  const machine = {
    node: process.version,
    cpu: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg()[0],
  };
  const header = [
    `lambda-bridge benchmark — Node ${machine.node}, ${machine.cpu} (${machine.cores} cores), ${machine.platform}`,
    `adapters: ${ADAPTERS.map((a) => `${a.name} ${versions[a.name]}`).join(', ')}`,
    `forward: ${options.rounds} round(s) of A B C D, ${options.time} ms of invocations per adapter and round, median round reported;` +
      ' ops/s = invocations per wall-clock second; CPU µs = process CPU time (all threads, GC included) per invocation;' +
      ' "lambda-bridge ÷" = the median over rounds of the adapter\'s CPU µs ÷ lambda-bridge\'s in the same round (above 1: lambda-bridge is faster);' +
      ' "extra" columns are not counted as peers',
    `1-minute load average at start: ${fixed2.format(machine.loadAverageAtStart)} (other processes on the machine skew every figure)`,
    ...(options.smoke ? ['smoke run: tiny durations, figures are not meaningful'] : []),
  ];
  process.stdout.write(`${header.join('\n')}\n\n`);

  const wanted = (id) => options.only === undefined || options.only === id;
  const sections = {};
  const emit = (key, section) => {
    sections[key] = section.json;
    process.stdout.write(`${section.report}\n\n`);
  };
  for (const scenario of SCENARIOS) {
    if (wanted(scenario.id)) emit(`scenario${scenario.id}`, await forwardScenario(scenario, options));
  }
  if (wanted('7')) emit('scenario7', await importScenario(options));
  if (wanted('reverse')) emit('reverse', await reverseScenarios(options));
  if (wanted('memory')) emit('memory', await memory(options));
  if (wanted('ttfb')) emit('ttfb', await timeToFirstByte(options));

  process.stdout.write(`${summary(sections)}\n\n`);
  machine.loadAverageAtEnd = loadavg()[0];
  process.stdout.write(`1-minute load average at end: ${fixed2.format(machine.loadAverageAtEnd)}\n`);
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify({ machine, versions, options, sections }, null, 2)}\n`);
  }
  // A failure of lambda-bridge itself (wrong output or a crashed child) fails the run.
  const selfFailures = [];
  for (const [key, section] of Object.entries(sections)) {
    for (const entry of section.adapters ?? section.servers ?? []) {
      const mine = entry.adapter === SELF || key === 'reverse';
      if (mine && entry.correct === false) selfFailures.push(`${key}: ${status(entry)}`);
    }
  }
  if (selfFailures.length > 0) {
    process.stderr.write(`lambda-bridge failed:\n${selfFailures.map((f) => `  ${f}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
