import { describe, expect, it } from "vitest";
import { parseMountInfo, visibleMountAt } from "../../../lib/agent/drivers/mountinfo.js";
import { deviceCandidates } from "../../../lib/agent/drivers/block-device.js";

describe("parseMountInfo", () => {
  it("reads device numbers, mount point, type and source, with optional fields and octal escapes", () => {
    // Prepare
    const text = [
      "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw,discard",
      "101 22 259:1 / /srv/my\\040data rw,noatime shared:50 master:3 - xfs /dev/nvme1n1 rw",
      "102 22 0:45 / /run/user rw - tmpfs tmpfs rw",
      "garbage",
      "",
    ].join("\n");
    // Act
    const entries = parseMountInfo(text);
    // Assess
    expect(entries).toEqual([
      { device: "259:2", mountPoint: "/", fsType: "ext4", source: "/dev/nvme0n1p1" },
      { device: "259:1", mountPoint: "/srv/my data", fsType: "xfs", source: "/dev/nvme1n1" },
      { device: "0:45", mountPoint: "/run/user", fsType: "tmpfs", source: "tmpfs" },
    ]);
  });

  it("takes the last mount at a path as the visible one", () => {
    // Prepare
    const entries = parseMountInfo(
      ["101 22 259:1 / /data rw - xfs /dev/nvme1n1 rw", "102 101 259:3 / /data rw - ext4 /dev/nvme3n1 rw"].join("\n"),
    );
    // Act
    const visible = visibleMountAt(entries, "/data");
    // Assess
    expect(visible?.source).toBe("/dev/nvme3n1");
    expect(visibleMountAt(entries, "/other")).toBeUndefined();
  });
});

describe("deviceCandidates", () => {
  it("looks for the NVMe name by volume id first, then the attachment name in both Xen spellings", () => {
    // Act
    const candidates = deviceCandidates({ volumeId: "vol-0a1b", device: "/dev/sdf" }, "/dev");
    // Assess
    expect(candidates).toEqual(["/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0a1b", "/dev/sdf", "/dev/xvdf"]);
  });
});
