import { describe, expect, it } from "vitest";
import { PG_SPECS, REPORTS, wireGroup } from "./fixture.js";
import { Harness } from "./harness.js";

const ONLINE = { "pg-mount": "online", postgres: "online", exporter: "online" };
const OFFLINE = { "pg-mount": "offline", postgres: "offline", exporter: "offline" };

/** db-a owns postgres at epoch 3 and runs all of it. */
function running(): Harness {
  return new Harness().answer([wireGroup("postgres", PG_SPECS, "db-a", 3)]).settleAll();
}

describe("supervisor: starting and stopping", () => {
  it("starts in dependency order, each once the one before is online", () => {
    // Prepare
    const h = new Harness();
    // Act
    h.answer([wireGroup("postgres", PG_SPECS, "db-a", 3)]);
    const first = [...h.issued];
    h.end("pg-mount");
    const second = [...h.issued];
    h.settleAll();
    // Assess
    expect(first).toEqual(["start pg-mount"]);
    expect(second).toEqual(["start pg-mount", "start postgres"]);
    expect(h.issued).toEqual(["start pg-mount", "start postgres", "start exporter"]);
    expect(h.report).toEqual(ONLINE);
  });

  it("starts the whole chain one answer allows, each link once the one before is online here, with no further answer", () => {
    // Prepare: one answer at 0 asks for pg-mount, postgres (depends on pg-mount) and exporter (depends on postgres).
    const h = new Harness().answer([wireGroup("postgres", PG_SPECS, "db-a", 3)]);
    const issuedAt = (n: number) => h.issued.slice(0, n);
    // Act: each start ends 100 ms after the one before; no answer arrives meanwhile (the next is an interval away).
    const atAnswer = issuedAt(h.issued.length);
    h.at(100).end("pg-mount");
    const atMountUp = issuedAt(h.issued.length);
    h.at(200).end("postgres");
    const atPostgresUp = issuedAt(h.issued.length);
    h.at(300).end("exporter");
    // Assess: nothing starts before what it depends on is online; all three are up by 300 ms, well before the
    // next heartbeat (2 s), on the one answer.
    expect(atAnswer).toEqual(["start pg-mount"]);
    expect(atMountUp).toEqual(["start pg-mount", "start postgres"]);
    expect(atPostgresUp).toEqual(["start pg-mount", "start postgres", "start exporter"]);
    expect(h.report).toEqual(ONLINE);
    expect(h.last?.epochs).toEqual({ postgres: 3 });
  });

  it("reports starting while a start is under way", () => {
    // Act
    const h = new Harness().answer([wireGroup("postgres", PG_SPECS, "db-a", 3)]);
    // Assess: the mount is starting; the others, never seen before, are about to be started.
    expect(h.report).toEqual({ "pg-mount": "starting", postgres: "starting", exporter: "starting" });
  });

  it("stops in reverse order when the controller wants the group offline", () => {
    // Prepare
    const h = running();
    const mark = h.issued.length;
    // Act
    h.at(1_000)
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3, "offline")])
      .settleAll();
    // Assess
    expect(h.since(mark)).toEqual(["stop exporter", "stop postgres", "stop pg-mount"]);
    expect(h.report).toEqual(OFFLINE);
  });

  it("stops, at its first answer, resources of a group another node owns (they may run from an earlier run)", () => {
    // Act
    const h = new Harness().answer([wireGroup("postgres", PG_SPECS, "db-b", 3)]).settleAll();
    // Assess
    expect(h.issued).toEqual(["stop exporter", "stop postgres", "stop pg-mount"]);
    expect(h.report).toEqual(OFFLINE);
  });

  it("runs groups independently: a slow start in one does not hold up the other", () => {
    // Act: both groups start at once; nothing has ended yet.
    const h = new Harness().answer([
      wireGroup("postgres", PG_SPECS, "db-a", 3),
      wireGroup("reports", [REPORTS], "db-a", 1),
    ]);
    // Assess
    expect(h.issued).toEqual(["start pg-mount", "start reports"]);
  });
});

describe("supervisor: checks and restarts", () => {
  it("restarts a resource whose check fails, its dependents stopped first and started after", () => {
    // Prepare
    const h = running().at(5_000);
    const mark = h.issued.length;
    // Act
    h.end("postgres", false, "check").settleAll();
    // Assess
    expect(h.since(mark).filter((a) => !a.startsWith("check"))).toEqual([
      "stop exporter",
      "stop postgres",
      "start postgres",
      "start exporter",
    ]);
    expect(h.report).toEqual(ONLINE);
    expect(h.messages()).toContain("check of postgres failed: restarting it (restart 1 of 3 allowed within 15m)");
  });

  it("after restart.threshold restarts within the period, reports the resource failed and leaves it stopped", () => {
    // Prepare
    const h = running();
    // Act: four failed checks within the period.
    for (let i = 1; i <= 4; i++) {
      h.heartbeat(i * 10_000);
      h.end("postgres", false, "check").settleAll();
    }
    // Assess
    expect(h.report).toEqual({ "pg-mount": "online", postgres: "failed", exporter: "offline" });
    expect(h.pending.filter((a) => a.kind !== "check")).toEqual([]);
    expect(h.messages()).toContain(
      "postgres failed: its check failed again after 3 restarts within 15m; stopping it and reporting it failed",
    );
  });

  it("counts only the restarts within the period", () => {
    // Prepare
    const h = running();
    // Act: four failed checks, 10 minutes apart, so never more than two within 15 minutes.
    for (let i = 1; i <= 4; i++) {
      h.heartbeat(i * 600_000);
      h.end("postgres", false, "check").settleAll();
    }
    // Assess
    expect(h.report).toEqual(ONLINE);
  });

  it("checks online resources every 5 s (CHECK_INTERVAL_MS), not every heartbeat", () => {
    // Prepare
    const h = running();
    const mark = h.issued.length;
    // Act
    h.at(4_999);
    const early = h.since(mark);
    h.at(5_000);
    // Assess
    expect(early).toEqual([]);
    expect(h.since(mark)).toEqual(["check pg-mount", "check postgres", "check exporter"]);
  });

  it("reports a resource that failed to start failed, stops what may have started, and clears it once wanted offline", () => {
    // Prepare
    const h = new Harness().answer([wireGroup("postgres", PG_SPECS, "db-a", 3)]).end("pg-mount");
    const mark = h.issued.length;
    // Act
    h.end("postgres", false).settleAll();
    const cleanup = h.since(mark);
    const failed = { ...h.report };
    h.answer([wireGroup("postgres", PG_SPECS, "db-b", 4)]).settleAll();
    // Assess
    // The exporter, never started by this run, may be running from an earlier one: it stops first.
    expect(cleanup).toEqual(["stop exporter", "stop postgres"]);
    expect(failed).toEqual({ "pg-mount": "online", postgres: "failed", exporter: "offline" });
    expect(h.report).toEqual(OFFLINE);
  });

  it("tries a stop that failed again an interval later, reporting the resource failed meanwhile", () => {
    // Prepare
    const h = running().answer([wireGroup("postgres", PG_SPECS, "db-a", 3, "offline")]);
    const mark = h.issued.length;
    // Act
    h.end("exporter", false);
    const meanwhile = { ...h.report };
    const wakeAt = h.last?.wakeAt;
    h.at(2_000).settleAll();
    // Assess
    expect(meanwhile.exporter).toBe("failed");
    expect(wakeAt).toBe(2_000);
    expect(h.since(mark)).toEqual(["stop exporter", "stop postgres", "stop pg-mount"]);
    expect(h.report).toEqual(OFFLINE);
  });
});

describe("supervisor: ownership and epochs", () => {
  it("stops the group at once, in reverse order, when another node owns it", () => {
    // Prepare
    const h = running();
    const mark = h.issued.length;
    // Act
    h.answer([wireGroup("postgres", PG_SPECS, "db-b", 4)]).settleAll();
    // Assess
    expect(h.since(mark)).toEqual(["stop exporter", "stop postgres", "stop pg-mount"]);
    expect(h.messages()).toContain("group postgres is now owned by db-b (epoch 4): stopping it");
  });

  it("does not wait for a start under way before stopping a group that moved", () => {
    // Prepare: the exporter's start is under way.
    const h = new Harness()
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3)])
      .end("pg-mount")
      .end("postgres");
    const mark = h.issued.length;
    // Act
    h.answer([wireGroup("postgres", PG_SPECS, "db-b", 4)]);
    // Assess
    expect(h.since(mark)).toEqual(["stop exporter"]);
  });

  it("stops a group whose epoch rose above the one it started under, then starts it under the new epoch", () => {
    // Prepare
    const h = running();
    const mark = h.issued.length;
    // Act
    h.answer([wireGroup("postgres", PG_SPECS, "db-a", 5)]).settleAll();
    // Assess
    expect(h.since(mark)).toEqual([
      "stop exporter",
      "stop postgres",
      "stop pg-mount",
      "start pg-mount",
      "start postgres",
      "start exporter",
    ]);
    expect(h.messages()).toContain("group postgres is now at epoch 5, above the 3 it was started under: stopping it");
  });
});

describe("supervisor: self-fencing", () => {
  // Heartbeat sent at 0 and acknowledged: deadline 9.5 s; the group's budget is 3 x 1 s, so it stops from 6.5 s.
  it("stops the group in reverse order, each within its stopTimeout, once its stop must begin", () => {
    // Prepare
    const h = running();
    const mark = h.issued.length;
    // Act
    h.at(6_499);
    const before = h.since(mark).filter((a) => !a.startsWith("check"));
    h.at(6_500);
    const timeouts = h.pending.filter((a) => a.kind === "stop").map((a) => a.timeoutMs);
    h.settleAll();
    // Assess
    expect(before).toEqual([]);
    expect(h.since(mark).filter((a) => !a.startsWith("check"))).toEqual([
      "stop exporter (fence)",
      "stop postgres (fence)",
      "stop pg-mount (fence)",
    ]);
    expect(timeouts).toEqual([1_000]);
    expect(h.messages()).toContain("lease lost: stopping group postgres");
  });

  it("names its own wake-up time at the group's stop, so no answer is needed to trigger it", () => {
    // Act
    const h = running().at(1_000);
    // Assess
    expect(h.last?.wakeAt).toBe(5_000); // the next checks come first...
    expect(h.at(6_000).last?.wakeAt).toBe(6_500); // ...then (the checks under way) the stop.
  });

  it("overrides a start under way: it does not wait for it", () => {
    // Prepare: the exporter's start is under way when the lease runs out.
    const h = new Harness()
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3)])
      .end("pg-mount")
      .end("postgres");
    const mark = h.issued.length;
    // Act
    h.at(6_500);
    // Assess
    expect(h.since(mark)).toEqual(["stop exporter (fence)"]);
  });

  it("does not restart the group after a late acknowledgement of the same epoch, and reports it fenced", () => {
    // Prepare: stopped for want of a lease.
    const h = running().at(6_500).settleAll();
    const mark = h.issued.length;
    // Act: the answer to a heartbeat sent at 6 s arrives; same epoch, still wanted online.
    h.at(7_000)
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3)], 6_000)
      .settleAll();
    // Assess
    expect(h.since(mark)).toEqual([]);
    expect(h.report).toEqual({ "pg-mount": "fenced", postgres: "fenced", exporter: "fenced" });
    expect(h.messages()).toContain(
      "lease renewed: group postgres stays stopped until the controller assigns it again (epoch above 3)",
    );
  });

  it("starts the group again once the controller assigns it with a higher epoch", () => {
    // Prepare
    const h = running().at(6_500).settleAll();
    h.at(7_000)
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3)], 6_000)
      .settleAll();
    const mark = h.issued.length;
    // Act
    h.at(8_000)
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 4)], 8_000)
      .settleAll();
    // Assess
    expect(h.since(mark)).toEqual(["start pg-mount", "start postgres", "start exporter"]);
    expect(h.report).toEqual(ONLINE);
  });

  it("does not block a group that had nothing running when the lease ran out", () => {
    // Prepare: owned, but the controller has not asked for anything yet; then the lease runs out.
    const h = new Harness()
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3, "offline")])
      .settleAll()
      .at(9_000);
    const mark = h.issued.length;
    // Act
    h.answer([wireGroup("postgres", PG_SPECS, "db-a", 3)], 9_000).settleAll();
    // Assess
    expect(h.since(mark)).toEqual(["start pg-mount", "start postgres", "start exporter"]);
  });

  it("overrides a slow requested stop with a stop within the stopTimeout", () => {
    // Prepare: the controller asked for the group offline at 6 s; the exporter's stop is slow.
    const h = running()
      .at(6_000)
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3, "offline")], 0);
    const mark = h.issued.length;
    // Act
    h.at(6_500);
    // Assess
    expect(h.since(mark)).toEqual(["stop exporter (fence)"]);
    expect(h.pending.filter((a) => a.kind === "stop").map((a) => a.timeoutMs)).toEqual([180_000, 1_000]);
  });

  it("goes on to the next resource when one does not stop, and tries it again later", () => {
    // Prepare
    const h = running().at(6_500);
    const mark = h.issued.length;
    // Act
    h.end("exporter", false);
    h.settleAll();
    h.at(8_500).settleAll();
    // Assess
    expect(h.since(mark)).toEqual(["stop postgres (fence)", "stop pg-mount (fence)", "stop exporter (fence)"]);
  });
});

describe("supervisor: a redeploy changes stopTimeout while the group runs", () => {
  // Lease 10 s: deadline = 10 000 − max(250, 10 000 / 20) = 9 500 ms after the acknowledged send.
  it("begins the fence early enough for the longer timeouts the running resources were started with", () => {
    // Prepare: running with stopTimeout 1 s each; an answer sent at 1 s lowers them to 250 ms.
    const h = running();
    const lowered = PG_SPECS.map((spec) => ({ ...spec, stopTimeoutMs: 250 }));
    h.at(1_000).answer([wireGroup("postgres", lowered, "db-a", 3)], 1_000);
    // Act: the stops will take up to 3 × 1 000 ms (the specs they run with), so they must begin by
    // 1 000 + 9 500 − 3 000 = 7 500 ms.
    h.at(7_499);
    const before = h.pending.filter((a) => a.kind === "stop").length;
    h.at(7_500);
    const stops = h.pending.filter((a) => a.kind === "stop").map((a) => a.timeoutMs);
    // Assess
    expect(before).toBe(0);
    expect(stops).toEqual([1_000]);
  });

  it("keeps the new, longer budget when a redeploy raises stopTimeout", () => {
    // Prepare: an answer sent at 1 s raises the timeouts to 1.1 s: the fence must begin by 1 000 + 9 500 − 3 300.
    const h = running();
    const raised = PG_SPECS.map((spec) => ({ ...spec, stopTimeoutMs: 1_100 }));
    h.at(1_000).answer([wireGroup("postgres", raised, "db-a", 3)], 1_000);
    // Act
    h.at(7_199);
    const before = h.pending.filter((a) => a.kind === "stop").length;
    h.at(7_200);
    // Assess
    expect(before).toBe(0);
    expect(h.pending.filter((a) => a.kind === "stop")).toHaveLength(1);
  });
});

describe("supervisor: what a self-fenced agent reports", () => {
  // reports alone: budget 1 s, so with the acknowledged send at 0 its fence begins at 9 500 − 1 000 = 8 500 ms.
  it("reports fenced once its self-fence stop succeeded, with no answer since (answers lost)", () => {
    // Prepare
    const h = new Harness().answer([wireGroup("reports", [REPORTS], "db-a", 3)]).settleAll();
    // Act
    h.at(8_500);
    const during = { ...h.report };
    h.settleAll().at(20_000);
    // Assess
    expect(during).toEqual({ reports: "stopping" });
    expect(h.report).toEqual({ reports: "fenced" });
  });

  it("reports failed, not fenced, while its self-fence stop has failed", () => {
    // Prepare
    const h = new Harness().answer([wireGroup("reports", [REPORTS], "db-a", 3)]).settleAll();
    // Act
    h.at(8_500).end("reports", false);
    // Assess
    expect(h.report).toEqual({ reports: "failed" });
  });
});

describe("supervisor: resources overdue at the self-fence deadline", () => {
  // Heartbeat sent at 0 and acknowledged: deadline 10 000 − max(250, 500) = 9 500 ms.
  it("names the resources that may still run once the deadline has passed, and none before it", () => {
    // Prepare: the group's fence begins at 6.5 s; the exporter's stop fails.
    const h = running().at(6_500).end("exporter", false).settleAll();
    // Act
    const atDeadline = h.at(9_500).last?.overdue;
    const after = h.at(9_501).last?.overdue;
    // Assess
    expect(atDeadline).toEqual([]);
    expect(after).toEqual(["exporter"]);
  });

  it("names none when everything stopped in time, however late it is", () => {
    // Act
    const h = running().at(6_500).settleAll().at(60_000);
    // Assess
    expect(h.last?.overdue).toEqual([]);
  });
});

describe("supervisor: the epochs it obeys", () => {
  it("echoes the epoch the group runs under", () => {
    // Act
    const h = running();
    // Assess
    expect(h.last?.epochs).toEqual({ postgres: 3 });
  });

  it("after a move to another node, echoes the new epoch only once every stop has ended", () => {
    // Prepare
    const h = running();
    // Act
    h.answer([wireGroup("postgres", PG_SPECS, "db-b", 4)]);
    const stopping = h.last?.epochs;
    h.end("exporter").end("postgres");
    const almost = h.last?.epochs;
    h.end("pg-mount");
    // Assess
    expect([stopping, almost, h.last?.epochs]).toEqual([{ postgres: 3 }, { postgres: 3 }, { postgres: 4 }]);
  });

  it("at its first answer, echoes another owner's epoch only once what an earlier run may have left has stopped", () => {
    // Act
    const h = new Harness().answer([wireGroup("postgres", PG_SPECS, "db-b", 7)]);
    const stopping = h.last?.epochs;
    h.settleAll();
    // Assess
    expect(stopping).toEqual({});
    expect(h.last?.epochs).toEqual({ postgres: 7 });
  });

  it("after a restart under a higher epoch for itself, echoes the old epoch while stopping, the new one once starting", () => {
    // Prepare
    const h = running();
    // Act
    h.answer([wireGroup("postgres", PG_SPECS, "db-a", 5)]);
    const stopping = h.last?.epochs;
    h.end("exporter").end("postgres").end("pg-mount");
    // Assess
    expect(stopping).toEqual({ postgres: 3 });
    expect(h.issued.at(-1)).toBe("start pg-mount");
    expect(h.last?.epochs).toEqual({ postgres: 5 });
  });
});

describe("supervisor: one group's epoch goes back", () => {
  it("stops that group only, keeps its higher epoch, and renews the lease for the others", () => {
    // Prepare: postgres (epoch 3) and reports (epoch 1) run here.
    const h = new Harness()
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3), wireGroup("reports", [REPORTS], "db-a", 1)])
      .settleAll();
    const mark = h.issued.length;
    // Act: at 5 s an answer (to a heartbeat sent then) shows postgres at epoch 2, as after a restore of the table.
    h.at(5_000)
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 2), wireGroup("reports", [REPORTS], "db-a", 1)], 5_000)
      .settleAll();
    // reports' fence would begin at 9 500 − 1 000 = 8 500 ms without this renewal; with it, at 5 000 + 8 500.
    h.at(9_000);
    // Assess
    expect(h.since(mark).filter((a) => !a.startsWith("check"))).toEqual([
      "stop exporter",
      "stop postgres",
      "stop pg-mount",
    ]);
    expect(h.report).toEqual({ reports: "online" });
    expect(h.last?.epochs).toEqual({ postgres: 3, reports: 1 });
  });
});

describe("supervisor: leaving", () => {
  it("stops everything in reverse order and says when it is done, all offline", () => {
    // Prepare
    const h = running();
    const mark = h.issued.length;
    // Act
    h.leave();
    const during = h.last?.left;
    h.settleAll();
    // Assess
    expect(during).toBeUndefined();
    expect(h.since(mark)).toEqual(["stop exporter", "stop postgres", "stop pg-mount"]);
    expect(h.last?.left).toEqual({ allOffline: true });
  });

  it("tries each stop once when leaving, and says so when one did not stop", () => {
    // Prepare
    const h = running().leave();
    // Act
    h.end("exporter", false).settleAll();
    // Assess
    expect(h.last?.left).toEqual({ allOffline: false });
    expect(h.report.exporter).toBe("failed");
  });

  it("ignores what answers ask for while leaving", () => {
    // Prepare
    const h = running().leave().settleAll();
    const mark = h.issued.length;
    // Act
    h.answer([wireGroup("postgres", PG_SPECS, "db-a", 3)]);
    // Assess
    expect(h.since(mark)).toEqual([]);
  });
});

describe("supervisor: edges", () => {
  it("stops a resource the answer no longer lists (a redeploy removed it)", () => {
    // Prepare
    const h = running();
    const mark = h.issued.length;
    // Act
    h.answer([wireGroup("postgres", PG_SPECS.slice(0, 2), "db-a", 3)]).settleAll();
    // Assess
    expect(h.since(mark).filter((a) => !a.startsWith("check"))).toEqual(["stop exporter"]);
    expect(h.report).toEqual({ "pg-mount": "online", postgres: "online" });
    expect(h.heartbeat().state.resources.has("exporter")).toBe(false); // forgotten once down
  });

  it("aborts a start under way with the stop it issues, and reports offline only once both have ended", () => {
    // Prepare: the exporter's start is under way when the group moves.
    const h = new Harness()
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3)])
      .end("pg-mount")
      .end("postgres");
    const start = h.pending.find((a) => a.resourceId === "exporter" && a.kind === "start");
    // Act
    h.answer([wireGroup("postgres", PG_SPECS, "db-b", 4)]);
    const stop = h.pending.find((a) => a.kind === "stop");
    const meanwhile = h.report.exporter;
    h.end("exporter", false, "start"); // the aborted start ends (killed)
    const afterAbort = h.report.exporter;
    h.end("exporter", true, "stop");
    // Assess
    expect(stop).toMatchObject({ resourceId: "exporter", aborts: [start?.token] });
    expect([meanwhile, afterAbort, h.report.exporter]).toEqual(["stopping", "stopping", "offline"]);
  });

  it("does not report offline when a stop ends before the start it aborted, and stops again, aborting it again", () => {
    // Prepare: the exporter's start is under way when the group moves; its driver ignores the abort.
    const h = new Harness()
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3)])
      .end("pg-mount")
      .end("postgres");
    const start = h.pending.find((a) => a.resourceId === "exporter" && a.kind === "start");
    h.answer([wireGroup("postgres", PG_SPECS, "db-b", 4)]);
    const mark = h.issued.length;
    // Act: the stop ends while the start still runs.
    h.end("exporter", true, "stop");
    // Assess
    expect(h.report.exporter).toBe("stopping");
    expect(h.since(mark)).toEqual(["stop exporter"]);
    expect(h.pending.find((a) => a.kind === "stop")).toMatchObject({ aborts: [start?.token] });
  });
});
