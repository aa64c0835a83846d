import type { FailbackPolicy } from "../definition/types.js";

/** Whether `now` falls in the policy's daily window, in the policy's time zone. */
export function failbackAllowedAt(policy: FailbackPolicy, now: number): boolean {
  if (policy.mode === "never") return false;
  if (policy.mode === "immediate") return true;
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: policy.timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(now));
  const hour = Number(parts.find((p) => p.type === "hour")?.value);
  const minute = Number(parts.find((p) => p.type === "minute")?.value);
  const m = hour * 60 + minute;
  return policy.startMinute < policy.endMinute
    ? m >= policy.startMinute && m < policy.endMinute
    : m >= policy.startMinute || m < policy.endMinute;
}
