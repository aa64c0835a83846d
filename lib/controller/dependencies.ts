import type { Clock } from "../core/clock.js";
import type { ClusterDefinition } from "../core/definition/types.js";
import type { ClusterStateStore, DnsPort, Ec2Port, Notifier } from "../core/controller/adapters.js";

/** Everything a pass acts through. */
export interface ControllerDependencies {
  readonly definition: ClusterDefinition;
  readonly store: ClusterStateStore;
  readonly ec2: Ec2Port;
  readonly dns: DnsPort;
  readonly notifier: Notifier;
  readonly clock: Clock;
  /** Names this controller invocation in the controller lease. */
  readonly holder: string;
  readonly logger: {
    info(message: string, attributes: Record<string, unknown>): void;
    warn(message: string, attributes: Record<string, unknown>): void;
    error(message: string, attributes: Record<string, unknown>): void;
  };
}
