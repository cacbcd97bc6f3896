// Peak memory of forward invocations whose app streams a 200 MB response: with and without
// `accept-encoding: gzip`, and for HEAD. Each case runs in a fresh process; the figure is that
// process's peak resident memory (maxRSS). Measures memory, not speed.
//
//   node bench/large-bodies.mjs [--dist dist/esm/index.js] [--mb 200]

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args[at + 1];
};
const dist = resolve(option('--dist', 'dist/esm/index.js'));
const megabytes = option('--mb', '200');
const child = new URL('./child-large-body.mjs', import.meta.url).pathname;

const rows = [];
for (const kind of ['get', 'get-gzip', 'head']) {
  const out = execFileSync(process.execPath, [child, dist, kind, megabytes], { encoding: 'utf8' });
  rows.push(JSON.parse(out.trim().split('\n').pop()));
}
console.log(`forward, app streaming ${megabytes} MB (${dist})`);
console.log('case       status  time ms  produced MB  RSS before MB  peak RSS MB');
for (const r of rows) {
  console.log(
    `${r.kind.padEnd(10)} ${String(r.status).padStart(6)} ${String(r.ms).padStart(8)} ${String(r.producedMB).padStart(12)} ${String(r.rssBeforeMB).padStart(14)} ${String(r.peakRssMB).padStart(12)}`,
  );
}
