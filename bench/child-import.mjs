// Scenario 7 in a fresh process: the time `await import()` of an adapter's modules takes,
// measured in-process, so Node's own start-up is not counted. Prints one JSON line.
//
//   node bench/child-import.mjs <adapter> <specifier>...
//
// The specifiers come on the command line, so nothing else is loaded before the measurement.

const [adapterName, ...specifiers] = process.argv.slice(2);
const start = performance.now();
for (const specifier of specifiers) await import(specifier);
const ms = performance.now() - start;
process.stdout.write(`${JSON.stringify({ adapter: adapterName, scenario: '7', ok: true, ms })}\n`);
