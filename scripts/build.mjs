// Builds what the package ships: one bundled file per entry point (ESM, and CommonJS for the main
// entry), so that importing the library reads one file instead of thirty, and the type
// declarations of every module beside them.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.build.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project, '--emitDeclarationOnly'], { stdio: 'inherit' });
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
};
await Promise.all([
  build({ ...common, entryPoints: ['index.ts'], format: 'esm', outfile: 'dist/esm/index.js' }),
  build({ ...common, entryPoints: ['index.ts'], format: 'cjs', outfile: 'dist/cjs/index.js' }),
  build({ ...common, entryPoints: ['global.ts'], format: 'esm', outfile: 'dist/esm/global.js' }),
  build({ ...common, entryPoints: ['global.ts'], format: 'cjs', outfile: 'dist/cjs/global.js' }),
  // The forward direction alone (`lambda-bridge/lambda`): no emulator, runtime model or dev server.
  build({ ...common, entryPoints: ['lambda.ts'], format: 'esm', outfile: 'dist/esm/lambda.js' }),
  build({ ...common, entryPoints: ['lambda.ts'], format: 'cjs', outfile: 'dist/cjs/lambda.js' }),
  // The dev server is ESM-only; its environment process's script sits beside it (lib/pool/here.ts finds it there).
  build({ ...common, entryPoints: ['adapters/serve.ts'], format: 'esm', outfile: 'dist/esm/serve.js' }),
  build({ ...common, entryPoints: ['adapters/cli.ts'], format: 'esm', outfile: 'dist/esm/cli.js' }),
  build({ ...common, entryPoints: ['lib/pool/child.ts'], format: 'esm', outfile: 'dist/esm/child.js' }),
]);
mkdirSync('dist/cjs/adapters', { recursive: true });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');

// `require('lambda-bridge/serve')`: serve() is async, so its CommonJS form loads the ESM dev server
// on the first call. The declarations are the ESM ones, whose imports resolve to the CommonJS
// declarations of the same modules.
copyFileSync('dist/esm/adapters/serve.d.ts', 'dist/cjs/adapters/serve.d.ts');
writeFileSync(
  'dist/cjs/serve.js',
  `'use strict';
// The dev server is ESM-only; from CommonJS, serve() loads it on its first call.
exports.serve = async function serve(options) {
  const esm = await import('../esm/serve.js');
  return esm.serve(options);
};
`,
);
writeFileSync(
  'dist/cjs/serve.d.ts',
  `import type { DevServer, ServeOptions } from './adapters/serve.js';
export type { DevServer, ServeOptions };
/**
 * The local ALB dev server: serves a handler file behind an emulated ALB, each execution
 * environment in its own process, with real timeouts, memory limits, crash recovery and reloads.
 *
 * @example
 * const { serve } = require('lambda-bridge/serve');
 * const server = await serve({ handler: './handler.js', port: 0 });
 * await server.close();
 */
export declare function serve(options: ServeOptions): Promise<DevServer>;
`,
);
