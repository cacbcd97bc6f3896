import { AsyncLocalStorage } from 'node:async_hooks';

/** The values of one invocation's store: the protected Lambda keys, and whatever code adds. */
export interface InvokeStoreContext {
  [key: string]: unknown;
  [key: symbol]: unknown;
}

// The keys of @aws/lambda-invoke-store: registered symbols, so every copy of that package (and
// the runtime's own) reads the same entries.
const PROTECTED_KEYS = {
  REQUEST_ID: Symbol.for('_AWS_LAMBDA_REQUEST_ID'),
  X_RAY_TRACE_ID: Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID'),
  TENANT_ID: Symbol.for('_AWS_LAMBDA_TENANT_ID'),
} as const;

const PROTECTED = new Set<string | symbol>(Object.values(PROTECTED_KEYS));

/**
 * `awslambda.InvokeStore`: the per-invocation store the Node.js 24 runtime runs every invocation
 * in, with the API of `@aws/lambda-invoke-store` (`getRequestId()`, `getXRayTraceId()`,
 * `getTenantId()`, `get`, `set`, `getContext`, `hasContext`, `run`). It is always backed by
 * `AsyncLocalStorage`, as the package is under Lambda Managed Instances, so concurrent
 * invocations in one process each see their own values.
 */
export class LambdaInvokeStore {
  static readonly PROTECTED_KEYS = PROTECTED_KEYS;
  readonly #storage = new AsyncLocalStorage<InvokeStoreContext>();

  /** The current invocation's values, or `undefined` outside an invocation. */
  getContext(): InvokeStoreContext | undefined {
    return this.#storage.getStore();
  }

  hasContext(): boolean {
    return this.#storage.getStore() !== undefined;
  }

  get<T = unknown>(key: string | symbol): T | undefined {
    return this.#storage.getStore()?.[key] as T | undefined;
  }

  /** Sets a value for the rest of the current invocation; the protected Lambda keys cannot be set. */
  set<T = unknown>(key: string | symbol, value: T): void {
    if (PROTECTED.has(key)) {
      throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    }
    const store = this.#storage.getStore();
    if (!store) throw new Error('No context available');
    store[key] = value;
  }

  /** Runs `fn` with `context` as the current invocation's values (and everything it starts). */
  run<T>(context: InvokeStoreContext, fn: () => T): T {
    return this.#storage.run(context, fn);
  }

  /** The current request id, or `'-'` outside an invocation (as the runtime's log lines print it). */
  getRequestId(): string {
    return this.get<string>(PROTECTED_KEYS.REQUEST_ID) ?? '-';
  }

  getXRayTraceId(): string | undefined {
    return this.get<string>(PROTECTED_KEYS.X_RAY_TRACE_ID);
  }

  getTenantId(): string | undefined {
    return this.get<string>(PROTECTED_KEYS.TENANT_ID);
  }
}

// One store per process, whichever of the package's bundles (ESM, CommonJS, the global entry)
// loaded first.
const SHARED = Symbol.for('lambda-bridge.invoke-store');
const holder = globalThis as { [SHARED]?: LambdaInvokeStore };

if (holder[SHARED] === undefined) holder[SHARED] = new LambdaInvokeStore();

/** The process's invoke store; `awslambda.InvokeStore` once `lambda-bridge/global` is imported. */
export const InvokeStore: LambdaInvokeStore = holder[SHARED];

/** What identifies one invocation in the store. */
export interface InvocationIds {
  requestId: string;
  traceId?: string;
  tenantId?: string;
}

interface StoreLike {
  run<T>(context: InvokeStoreContext, fn: () => T): T;
}

/**
 * Runs `fn` as one invocation: inside lambda-bridge's store, and also inside
 * `globalThis.awslambda.InvokeStore` when some other code (the `@aws/lambda-invoke-store`
 * package, say) installed a different one there, so code reading either sees the invocation.
 */
export function runInvocation<T>(ids: InvocationIds, fn: () => T): T {
  const values = (): InvokeStoreContext => {
    const context: InvokeStoreContext = {
      [PROTECTED_KEYS.REQUEST_ID]: ids.requestId,
      [PROTECTED_KEYS.X_RAY_TRACE_ID]: ids.traceId,
    };
    if (ids.tenantId !== undefined) context[PROTECTED_KEYS.TENANT_ID] = ids.tenantId;
    return context;
  };
  const other = (globalThis as { awslambda?: { InvokeStore?: unknown } }).awslambda?.InvokeStore;
  if (
    other !== undefined &&
    other !== InvokeStore &&
    typeof (other as Partial<StoreLike>).run === 'function'
  ) {
    return InvokeStore.run(values(), () => (other as StoreLike).run(values(), fn));
  }
  return InvokeStore.run(values(), fn);
}
