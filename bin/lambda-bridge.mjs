#!/usr/bin/env -S node --
// The lambda-bridge command: `lambda-bridge serve <handler-file>[#export] [options]`.
// The "--" ends Node's own options: Node 20 otherwise reads an --env-file anywhere on the command
// line as its own, and exits before this file runs when that file is missing.
import { main, stopOnSignals } from '../dist/esm/cli.js';

// Lambda's clock runs in UTC; the time zone is process-wide, so it is set before anything runs.
process.env.TZ = 'UTC';

const io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
};

const outcome = await main(process.argv.slice(2), io);
if (typeof outcome === 'number') {
  process.exitCode = outcome;
} else {
  stopOnSignals(outcome);
}
