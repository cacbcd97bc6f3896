import { afterEach, describe, expect, it, vi } from 'vitest';
import { createContext } from '../../lib/invoke/context.js';
import { invokeHandler } from '../../lib/invoke/handler.js';
import { invoke, type LambdaHandler } from '../../lib/invoke/invoke.js';
import {
  entries,
  expectAlb502,
  type Handler,
  mountings,
  trackTimers,
  useServers,
} from '../reverse/support.js';

const { serve } = useServers();

// A non-async handler whose returned thenable throws from `then`: the runtime awaits the value, so
// the invocation fails with that error.
const throwingThen = (): Handler => () => ({
  // biome-ignore lint/suspicious/noThenProperty: a thenable is what this checks
  then() {
    throw new RangeError('then exploded');
  },
});

describe('defect 19: a non-async handler returning a thenable whose then throws fails the invocation', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe.each(mountings)('through $name', (mounting) => {
    it.each(['nodejs20.x', 'nodejs22.x', 'nodejs24.x'] as const)(
      '%s: the ALB 502 page, with the error as the reason',
      async (runtime) => {
        const { http, log } = await serve(mounting, throwingThen(), { runtime });
        const response = await http.get('/');
        expectAlb502(response);
        expect(response.headers['x-lambda-bridge-reason']).toBe(
          'the handler failed: RangeError: then exploded',
        );
        expect(entries(log, 'HANDLER_ERROR')).toHaveLength(1);
      },
    );
  });

  it.each(['nodejs20.x', 'nodejs22.x', 'nodejs24.x'] as const)(
    '%s: the invocation resolves with the error and no timer is left',
    async (runtime) => {
      const live = trackTimers();
      const outcome = await invoke(throwingThen() as LambdaHandler, {}, createContext({ runtime }), {
        timeout: 60_000,
        runtime,
        warn: () => {},
      });
      expect(outcome).toMatchObject({
        ok: false,
        timedOut: false,
        error: { errorType: 'RangeError', errorMessage: 'then exploded' },
      });
      expect(live.size).toBe(0);
    },
  );

  it('invokeHandler resolves { error } for it', async () => {
    const outcome = await invokeHandler(throwingThen(), {});
    expect(outcome).toMatchObject({ error: { errorType: 'RangeError', errorMessage: 'then exploded' } });
  });
});
