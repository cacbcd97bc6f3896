// Builds what the package ships: one bundled file per entry point (ESM, and CommonJS for the main
// entry), so that importing the library reads one file instead of thirty, and the type
// declarations of every module beside them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
  // The dev server is ESM-only; its worker file sits beside it (lib/pool/here.ts finds it there).
  build({ ...common, entryPoints: ['adapters/serve.ts'], format: 'esm', outfile: 'dist/esm/serve.js' }),
  build({ ...common, entryPoints: ['adapters/cli.ts'], format: 'esm', outfile: 'dist/esm/cli.js' }),
  build({ ...common, entryPoints: ['lib/pool/worker.ts'], format: 'esm', outfile: 'dist/esm/worker.js' }),
]);
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
