import type { ControllerDependencies } from "../../lib/controller/ports.js";

/**
 * Dependencies of a pass whose process dies after `calls` calls to its ports: that call and every
 * later one fail, as if the Lambda had been killed there. What it wrote before stays written.
 */
export function crashing(deps: ControllerDependencies, calls: number): ControllerDependencies {
  let made = 0;
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (++made >= calls) return Promise.reject(new Error("controller process died"));
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  return { ...deps, store: wrap(deps.store), ec2: wrap(deps.ec2), dns: wrap(deps.dns), notifier: wrap(deps.notifier) };
}
