import { MockActivityEnvironment } from '@temporalio/testing';

/** Runs an activity inside a real activity context and keeps its result type. */
export async function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  const result: unknown = await new MockActivityEnvironment().run(fn, ...args);
  return result as R;
}
