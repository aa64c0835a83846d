import type { ControllerDependencies } from "../../lib/controller/dependencies.js";

export interface CrashOptions {
  /**
   * The fatal call takes effect before the process dies (a write that commits with its answer lost, an
   * AWS action that AWS performs); by default it dies before the call reaches anything.
   */
  readonly afterCall?: boolean;
  /** Set to true once the process has died. */
  readonly state?: { died: boolean; calls: number };
}

/**
 * Dependencies of a pass whose process dies at its `calls`-th call to its ports: that call and every
 * later one fail, as if the Lambda had been killed there. What it wrote before stays written.
 */
export function crashing(
  deps: ControllerDependencies,
  calls: number,
  options: CrashOptions = {},
): ControllerDependencies {
  const state = options.state ?? { died: false, calls: 0 };
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          state.calls++;
          if (state.died || state.calls < calls) {
            if (state.died) throw new Error("controller process died");
            return (value as (...a: unknown[]) => unknown).apply(object, args);
          }
          state.died = true;
          if (options.afterCall) await (value as (...a: unknown[]) => unknown).apply(object, args);
          throw new Error("controller process died");
        };
      },
    });
  return { ...deps, store: wrap(deps.store), ec2: wrap(deps.ec2), dns: wrap(deps.dns), notifier: wrap(deps.notifier) };
}
