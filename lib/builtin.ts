import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';

// Node built-ins that only some paths need, loaded on first use so that importing the package
// does not load them: `node:zlib` (the size guard compresses a body past the limit) and
// `node:crypto` (ids for emulated events and contexts). Loading is synchronous.

type Loader = (id: string) => unknown;

let load: Loader | undefined;

function loader(): Loader {
  const get = (process as { getBuiltinModule?: Loader }).getBuiltinModule;
  // process.getBuiltinModule is Node 20.16+; older versions get a require (any absolute path anchors it).
  load ??= typeof get === 'function' ? get : createRequire(process.execPath);
  return load;
}

let zlib: typeof Zlib | undefined;
let crypto: typeof Crypto | undefined;

export function nodeZlib(): typeof Zlib {
  zlib ??= loader()('node:zlib') as typeof Zlib;
  return zlib;
}

export function nodeCrypto(): typeof Crypto {
  crypto ??= loader()('node:crypto') as typeof Crypto;
  return crypto;
}

export function randomUUID(): string {
  return nodeCrypto().randomUUID();
}

export function randomBytes(size: number): Buffer {
  return nodeCrypto().randomBytes(size);
}
