import { strict as assert } from "node:assert";
import { test } from "node:test";
import { CrashTracker, readVersion, stderrLine } from "../src/health";

test("a working server answers --version", () => {
  assert.equal(readVersion("/x/ambient-lsp", { code: 0, stdout: "ambient-lsp 0.1.0\n", stderr: "" }), undefined);
});

test("/bin/false is not a working server (not 'no mesh resources')", () => {
  const e = readVersion("/bin/false", { code: 1, stdout: "", stderr: "" });
  assert.match(e ?? "", /^Ambient: \/bin\/false is not a working ambient-lsp \(`\/bin\/false --version`: exit status 1\)/);
});

test("a crashing binary, a missing library, another program", () => {
  assert.match(readVersion("s", { code: null, signal: "SIGSEGV", stdout: "", stderr: "" }) ?? "", /killed by SIGSEGV/);
  assert.match(
    readVersion("s", { code: 127, stdout: "", stderr: "error while loading shared libraries: libfoo.so\n" }) ?? "",
    /exit status 127: error while loading shared libraries: libfoo.so/,
  );
  assert.match(readVersion("/bin/echo", { code: 0, stdout: "--version\n", stderr: "" }) ?? "", /not a working ambient-lsp/);
  assert.match(readVersion("nope", { code: null, stdout: "", stderr: "", spawnError: "spawn nope ENOENT" }) ?? "", /cannot run.*ENOENT/);
});

test("a crashing server is restarted 4 times, then reported and left stopped", () => {
  let t = 0;
  const tracker = new CrashTracker(4, 180_000, () => t);
  for (let i = 1; i <= 4; i++) {
    t += 1000;
    const d = tracker.closed("srv");
    assert.equal(d.restart, true, `crash ${i}`);
  }
  t += 1000;
  const d = tracker.closed("srv");
  assert.equal(d.restart, false);
  assert.match(d.message, /stopped 5 times in 3 minutes and is not restarted/);
  // "Ambient: Restart Server" starts a new count
  tracker.reset();
  assert.equal(tracker.closed("srv").restart, true);
});

test("crashes far apart are each restarted", () => {
  let t = 0;
  const tracker = new CrashTracker(4, 180_000, () => t);
  for (let i = 0; i < 10; i++) {
    t += 60_000;
    assert.equal(tracker.closed("srv").restart, true);
  }
});

test("the server's stderr lines are not all errors", () => {
  // INFO/WARN/ERROR also arrive as window/logMessage (shown at their level): the stderr copy is trace
  assert.deepEqual(stderrLine("2026-11-30T22:10:00.123456Z  INFO ambient_lsp::lsp::server: indexed 12 files"), {
    level: "trace",
    text: "INFO ambient_lsp::lsp::server: indexed 12 files",
  });
  assert.equal(stderrLine("2026-11-30T22:10:00.123456Z  WARN x: y").level, "trace");
  assert.equal(stderrLine("2026-11-30T22:10:00.123456Z DEBUG x: y").level, "debug");
  assert.equal(stderrLine("2026-11-30T22:10:00.123456Z TRACE x: y").level, "trace");
  // what is not a tracing line (a panic, a loader error) is an error
  assert.deepEqual(stderrLine("thread 'main' panicked at server/src/main.rs:1:1:"), {
    level: "error",
    text: "thread 'main' panicked at server/src/main.rs:1:1:",
  });
});
