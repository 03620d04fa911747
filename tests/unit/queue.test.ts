import { describe, expect, it } from 'vitest';
import { MAX_OVERTAKES, RequestQueue } from '../../workers/engine/queue.ts';
import { ApiError } from '../../src/protocol/errors.ts';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending microtask and timer callback run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Records how a promise settled, without letting a rejection go unhandled. */
function track<T>(promise: Promise<T>) {
  const state: { status: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown } = { status: 'pending' };
  promise.then(
    (value) => {
      state.status = 'fulfilled';
      state.value = value;
    },
    (error: unknown) => {
      state.status = 'rejected';
      state.error = error;
    },
  );
  return state;
}

function expectAborted(error: unknown) {
  expect(error).toBeInstanceOf(ApiError);
  const apiError = error as ApiError;
  expect(apiError.error.code).toBe('aborted');
  expect(apiError.error.type).toBe('cancelled');
  expect(apiError.status).toBe(499);
}

describe('RequestQueue', () => {
  it("resolves with the task's value", async () => {
    const queue = new RequestQueue();
    await expect(queue.run(undefined, async () => 42)).resolves.toBe(42);
  });

  it('runs tasks in arrival order, each only after the previous one settles', async () => {
    const queue = new RequestQueue();
    const started: string[] = [];
    const gates = { a: deferred<string>(), b: deferred<string>(), c: deferred<string>() };
    const results = (['a', 'b', 'c'] as const).map((name) =>
      track(
        queue.run(undefined, () => {
          started.push(name);
          return gates[name].promise;
        }),
      ),
    );
    await settle();
    expect(started).toEqual(['a']);

    // finishing later tasks' gates early changes nothing: order is by arrival
    gates.c.resolve('C');
    gates.b.resolve('B');
    await settle();
    expect(started).toEqual(['a']);
    expect(results.map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);

    gates.a.resolve('A');
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    expect(results.map((r) => r.value)).toEqual(['A', 'B', 'C']);
  });

  it('never runs two tasks at once', async () => {
    const queue = new RequestQueue();
    let running = 0;
    let maxRunning = 0;
    const order: number[] = [];
    const tasks = Array.from({ length: 12 }, (_, i) =>
      queue.run(undefined, async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        order.push(i);
        await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5));
        running -= 1;
        return i;
      }),
    );
    expect(await Promise.all(tasks)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(maxRunning).toBe(1);
    expect(order).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('a task aborted while queued rejects at once with code "aborted" and never runs', async () => {
    const queue = new RequestQueue();
    const gate = deferred();
    const first = track(queue.run(undefined, () => gate.promise));
    const controller = new AbortController();
    let secondRan = false;
    const second = track(
      queue.run(controller.signal, async () => {
        secondRan = true;
      }),
    );
    let thirdRan = false;
    const third = track(
      queue.run(undefined, async () => {
        thirdRan = true;
        return 'third';
      }),
    );
    await settle();
    expect(second.status).toBe('pending');

    controller.abort();
    await settle();
    // rejected while the first task is still running
    expect(first.status).toBe('pending');
    expect(second.status).toBe('rejected');
    expectAborted(second.error);

    gate.resolve();
    await settle();
    expect(first.status).toBe('fulfilled');
    expect(secondRan).toBe(false);
    expect(thirdRan).toBe(true);
    expect(third.value).toBe('third');
  });

  it('a task whose signal was already aborted never runs', async () => {
    const queue = new RequestQueue();
    let ran = false;
    const result = queue.run(AbortSignal.abort(), async () => {
      ran = true;
    });
    await expect(result).rejects.toBeInstanceOf(ApiError);
    await result.catch(expectAborted);
    expect(ran).toBe(false);
    await expect(queue.run(undefined, async () => 'next')).resolves.toBe('next');
  });

  it('aborting after a task finished changes nothing', async () => {
    const queue = new RequestQueue();
    const controller = new AbortController();
    await expect(queue.run(controller.signal, async () => 'done')).resolves.toBe('done');
    controller.abort();
    await expect(queue.run(controller.signal, async () => 'never')).rejects.toBeInstanceOf(ApiError);
  });

  it('does not start the next task until an aborted running task has actually finished', async () => {
    const queue = new RequestQueue();
    const controller = new AbortController();
    const gate = deferred();
    const first = track(queue.run(controller.signal, () => gate.promise));
    let secondStarted = false;
    const second = track(
      queue.run(undefined, async () => {
        secondStarted = true;
      }),
    );
    await settle();
    controller.abort();
    await settle();
    // the running task still holds the queue, whatever its caller was told
    expect(secondStarted).toBe(false);
    gate.resolve();
    await settle();
    expect(secondStarted).toBe(true);
    expect(second.status).toBe('fulfilled');
    expect(first.status).toBe('rejected');
  });

  it('an error in one task rejects only that task; the next one runs', async () => {
    const queue = new RequestQueue();
    const boom = new Error('boom');
    const failing = queue.run(undefined, async () => {
      throw boom;
    });
    const throwingSync = queue.run(undefined, () => {
      throw new TypeError('sync');
    });
    const after = queue.run(undefined, async () => 'ok');
    await expect(failing).rejects.toBe(boom);
    await expect(throwingSync).rejects.toThrow(TypeError);
    await expect(after).resolves.toBe('ok');
  });

  it('an ApiError thrown by a task reaches the caller unchanged', async () => {
    const queue = new RequestQueue();
    const error = new ApiError({ message: 'nope', type: 'server_error', param: null, code: 'x' }, 500);
    await expect(queue.run(undefined, () => Promise.reject(error))).rejects.toBe(error);
  });
});

describe('RequestQueue: requests for the loaded model and waiting loads', () => {
  it('a request that may overtake goes ahead of loads waiting behind the running task, not ahead of other requests', async () => {
    const queue = new RequestQueue();
    const order: string[] = [];
    const gate = deferred();
    const step = (name: string) => async () => {
      order.push(name);
    };
    const running = queue.run(undefined, async () => {
      order.push('answer');
      await gate.promise;
    });
    const queued = queue.run(undefined, step('queued request'));
    const load = queue.run(undefined, step('load'), { load: true });
    const overtaking = queue.run(undefined, step('request for the loaded model'), { overtakeLoads: true });
    const after = queue.run(undefined, step('request after the load'));
    await settle();
    gate.resolve();
    await Promise.all([running, queued, load, overtaking, after]);
    expect(order).toEqual(['answer', 'queued request', 'request for the loaded model', 'load', 'request after the load']);
  });

  it(`a waiting load lets at most ${MAX_OVERTAKES} requests overtake it`, async () => {
    const queue = new RequestQueue();
    const order: string[] = [];
    const gate = deferred();
    const running = queue.run(undefined, () => gate.promise);
    const runs = [queue.run(undefined, async () => void order.push('load'), { load: true })];
    for (let index = 0; index < MAX_OVERTAKES + 2; index++) {
      runs.push(queue.run(undefined, async () => void order.push(`request ${index}`), { overtakeLoads: true }));
    }
    await settle();
    gate.resolve();
    await Promise.all([running, ...runs]);
    expect(order.indexOf('load')).toBe(MAX_OVERTAKES);
  });

  it('an overtaking request aborted while it waits leaves the load in place', async () => {
    const queue = new RequestQueue();
    const gate = deferred();
    const controller = new AbortController();
    const running = queue.run(undefined, () => gate.promise);
    const load = track(queue.run(undefined, async () => 'loaded', { load: true }));
    const request = track(queue.run(controller.signal, async () => 'answered', { overtakeLoads: true }));
    controller.abort();
    await settle();
    expect(request.status).toBe('rejected');
    gate.resolve();
    await running;
    await settle();
    expect(load.status).toBe('fulfilled');
  });
});
