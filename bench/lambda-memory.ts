/** Lambda's memory for one full vCPU: CPU is allocated in proportion below it (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). */
export const MB_PER_VCPU = 1769;

/** One request as measured in the bench's process, on a full core: its wall time and the CPU time it used. */
export interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/**
 * Billed ms and GB-s of one request at `memoryMb`: the time it waits (wall - CPU) does not change with memory, its
 * CPU takes 1769 / M times as long on the share of a vCPU that M MB gets. So GB-s = wait x M / 1024 + CPU x 1769 / 1024:
 * the CPU part costs the same at any memory up to 1,769 MB, the waiting part less the less memory.
 */
export function atMemory(sample: Sample, memoryMb: number): { billedMs: number; gbS: number } {
  const waitMs = Math.max(0, sample.wallMs - sample.cpuMs);
  const billedMs = Math.ceil(waitMs + sample.cpuMs * Math.max(1, MB_PER_VCPU / memoryMb));
  return { billedMs, gbS: (billedMs / 1000) * (memoryMb / 1024) };
}
