import type { AgentResourceSpec } from "../../core/agent/spec.js";
import type { AgentLog, ResourceDriver } from "../edges.js";
import { createCommandDriver } from "./command.js";
import { createMountDriver, DEFAULT_MOUNT_TOOLS, type MountTools } from "./mount.js";
import { createSystemdDriver, DEFAULT_SYSTEMD_TOOLS, type SystemdTools } from "./systemd.js";

export { createCommandDriver } from "./command.js";
export { createMountDriver, DEFAULT_MOUNT_TOOLS, type MountTools } from "./mount.js";
export { createSystemdDriver, DEFAULT_SYSTEMD_TOOLS, type SystemdTools } from "./systemd.js";

/** The programs and files the drivers use; each defaults to the real one. */
export type DriverTools = SystemdTools & MountTools;

/** The driver for one agent-side resource of the definition. */
export function driverFor(spec: AgentResourceSpec, log: AgentLog, tools: Partial<DriverTools> = {}): ResourceDriver {
  switch (spec.type) {
    case "systemd":
      return createSystemdDriver(spec, log, { ...DEFAULT_SYSTEMD_TOOLS, ...tools });
    case "command":
      return createCommandDriver(spec, log);
    case "mount":
      return createMountDriver(spec, log, { ...DEFAULT_MOUNT_TOOLS, ...tools });
  }
}
