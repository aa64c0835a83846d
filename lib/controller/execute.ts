import type { DnsPort, Ec2Port } from "../core/controller/adapters.js";
import type { Command } from "../core/controller/steps.js";

/** Performs one command; returns the Route 53 change id for an upsert. */
export async function execute(command: Command, ports: { ec2: Ec2Port; dns: DnsPort }): Promise<string | undefined> {
  switch (command.kind) {
    case "stop-instance":
      await ports.ec2.stopInstance(command.instanceId, true);
      return undefined;
    case "detach-volume":
      await ports.ec2.detachVolume(command.volumeId, command.instanceId, command.force);
      return undefined;
    case "attach-volume":
      await ports.ec2.attachVolume(command.volumeId, command.instanceId, command.device);
      return undefined;
    case "associate-address":
      await ports.ec2.associateAddress(command.allocationId, command.instanceId);
      return undefined;
    case "upsert-record":
      return ports.dns.upsertARecord(command.hostedZoneId, command.name, command.address, command.ttl);
  }
}
