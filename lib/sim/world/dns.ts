/** Route 53 as it behaves: an UPSERT shows at once in the record, and its change is PENDING for 20..60 s. */
import { AwsThrottledError } from "../../core/aws-errors.js";
import type { DnsPort, RecordView } from "../../core/controller/adapters.js";
import type { Prng } from "../prng.js";
import type { Scheduler } from "../scheduler.js";
import { inWindow, type Windows } from "./windows.js";

export class SimDns implements DnsPort {
  private readonly records = new Map<string, RecordView>();
  private readonly changes = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Prng,
    private readonly windows: Windows,
  ) {}

  private async api<T>(action: string, effect: () => T): Promise<T> {
    await this.sched.sleep(this.rng.int(30, 300));
    if (inWindow(this.windows.throttleStorm, this.sched.now) && this.rng.chance(0.6)) {
      throw new AwsThrottledError(action, "Throttling");
    }
    return effect();
  }

  getARecord(hostedZoneId: string, name: string): Promise<RecordView | undefined> {
    return this.api("ListResourceRecordSets", () => {
      const r = this.records.get(`${hostedZoneId}/${name}`);
      return r && { values: [...r.values], ttl: r.ttl };
    });
  }

  upsertARecord(hostedZoneId: string, name: string, address: string, ttl: number): Promise<string> {
    return this.api("ChangeResourceRecordSets", () => {
      this.records.set(`${hostedZoneId}/${name}`, { values: [address], ttl });
      const id = `C${++this.count}`;
      this.changes.set(id, this.sched.now + this.rng.int(20_000, 60_000));
      return id;
    });
  }

  changeStatus(changeId: string): Promise<"PENDING" | "INSYNC"> {
    return this.api("GetChange", () => ((this.changes.get(changeId) ?? 0) > this.sched.now ? "PENDING" : "INSYNC"));
  }
}
