import { readFile } from "node:fs/promises";

/** One line of /proc/self/mountinfo (proc(5)), the fields the mount driver needs. */
export interface MountEntry {
  /** `major:minor` of the mounted filesystem's device. */
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
  /** What was mounted, as the kernel names it: `/dev/nvme1n1`. */
  readonly source: string;
}

/** Parses mountinfo text; lines it cannot read are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-", 6);
    const device = fields[2];
    const mountPoint = fields[4];
    const fsType = fields[separator + 1];
    const source = fields[separator + 2];
    if (separator < 0 || !device || !mountPoint || !fsType || source === undefined) continue;
    entries.push({ device, mountPoint: unescape(mountPoint), fsType, source: unescape(source) });
  }
  return entries;
}

/** The mount visible at `path`: the last one mounted there (a later mount hides earlier ones). */
export function visibleMountAt(entries: readonly MountEntry[], path: string): MountEntry | undefined {
  return entries.findLast((entry) => entry.mountPoint === path);
}

export async function readMountInfo(file: string): Promise<MountEntry[]> {
  return parseMountInfo(await readFile(file, "utf8"));
}

/** The kernel writes space, tab, newline and backslash as octal escapes (\040). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
