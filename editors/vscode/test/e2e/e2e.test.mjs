// End-to-end test of the packaged extension in a real VS Code: code-server 4.100.3 (VS Code
// 1.100.3) with the .vsix installed, driven through its UI by playwright-core and Debian's
// chromium, on a copy of examples/mesh. What a user does: diagnostics in a file and in the
// Problems panel, a quick fix saved to disk, the migration report, writing the recommended
// manifests into a chosen folder, restarting the server, the status bar, and a wrong
// `ambient.server.path`. Run by run.sh (scripts/test): VSIX, SERVER (the same ambient-lsp
// binary, for the expected findings), CODE_SERVER and CHROMIUM come from there.
//
// Screenshots go to target/e2e/screenshots, or to docs/screenshots with UPDATE_SCREENSHOTS=1.

import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../../..");
const VSIX = process.env.VSIX ?? path.join(repo, "editors/vscode/ambient-lsp.vsix");
const SERVER = process.env.SERVER ?? path.join(repo, "target/release/ambient-lsp");
const CODE_SERVER = process.env.CODE_SERVER ?? path.join(here, "node_modules/.bin/code-server");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.UPDATE_SCREENSHOTS === "1"
  ? path.join(repo, "docs/screenshots")
  : path.join(repo, "target/e2e/screenshots");
const WAIT = 60_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ambient-vscode-e2e-"));
const userData = path.join(tmp, "user-data");
const extensions = path.join(tmp, "extensions");
const ws = path.join(tmp, "mesh");
const userSettings = path.join(userData, "User", "settings.json");
// code-server and chromium write logs and caches under the XDG directories: keep them in tmp
const env = {
  ...process.env,
  XDG_DATA_HOME: path.join(tmp, "xdg", "data"),
  XDG_CONFIG_HOME: path.join(tmp, "xdg", "config"),
  XDG_CACHE_HOME: path.join(tmp, "xdg", "cache"),
};
const settings = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "files.simpleDialog.enable": true,
  "editor.minimap.enabled": false,
  "editor.hover.delay": 150,
  "chat.commandCenter.enabled": false,
  "workbench.colorTheme": "Default Light Modern",
};

/** @type {import("node:child_process").ChildProcess} */
let codeServer;
let codeServerLog = "";
/** @type {import("playwright-core").Browser} */
let browser;
/** @type {import("playwright-core").Page} */
let page;
/** What the CLI finds in the same workspace: the oracle of the counts. */
let expected;

function log(msg) {
  process.stdout.write(`# ${msg}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function until(what, fn, timeout = WAIT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) {
        return v;
      }
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout / 1000}s waiting for ${what}${last ? `: ${last.message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The extension host's log of this extension (where client/server start failures show). */
function extensionLogs() {
  const out = [];
  const walk = (d) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (p.includes(`${path.sep}exthost`) && (p.includes("ambient-lsp") || e.name === "remoteexthost.log")) {
        out.push(`--- ${path.relative(userData, p)}\n${fs.readFileSync(p, "utf8")}`);
      }
    }
  };
  walk(path.join(userData, "logs"));
  return out.join("\n");
}

let failures = 0;

/** A test step: on failure, a screenshot and the logs that explain it; the steps after a
 * failed one are skipped (each builds on the one before). */
function step(name, fn) {
  test(name, { timeout: 4 * WAIT }, async (t) => {
    if (failures > 0) {
      t.skip("an earlier step failed");
      return;
    }
    try {
      await fn();
    } catch (e) {
      failures++;
      const shot = path.join(repo, "target/e2e", `failed-${failures}.png`);
      fs.mkdirSync(path.dirname(shot), { recursive: true });
      await page?.screenshot({ path: shot }).catch(() => {});
      process.stderr.write(`\n${name} failed; screenshot ${shot}\n${extensionLogs()}\n--- code-server\n${codeServerLog.slice(-4000)}\n`);
      throw e;
    }
  });
}

async function screenshot(name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.mouse.move(0, 0);
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(SHOTS, name) });
  log(`screenshot ${path.relative(repo, path.join(SHOTS, name))}`);
}

function writeSettings(extra) {
  fs.writeFileSync(userSettings, JSON.stringify({ ...settings, ...extra }, null, 2));
}

/** The ambient-lsp language servers running (not `detect`), by pid. */
function serverPids() {
  const pids = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv[0].startsWith(extensions) && argv[0].endsWith("ambient-lsp") && argv.includes("--stdio")) {
        pids.push(Number(pid));
      }
    } catch {
      // gone
    }
  }
  return pids.sort();
}

const statusItem = () => page.locator('[id="ambient-lsp.ambient-lsp.ambient.status"]');

async function statusText() {
  return (await statusItem().innerText({ timeout: 1000 })).replace(/\s+/g, " ").trim();
}

/** Run a command through the command palette. */
async function runCommand(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible" });
  await page.keyboard.press("Enter");
}

/** Open a file of the workspace with Quick Open and wait for its editor. */
async function openFile(rel) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(rel);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: path.basename(rel) }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(`.tab.active[data-resource-name="${path.basename(rel)}"]`).waitFor();
  await page.locator(".monaco-editor .view-lines").first().waitFor();
}

/** The toasts shown, as text. */
async function notifications() {
  return (await page.locator(".notification-toast").allInnerTexts()).map((t) => t.replace(/\s+/g, " "));
}

/** Put the cursor at a 1-based line and column (Go to Line). */
async function goTo(line, column) {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await page.waitForTimeout(200);
}

/** The input of a setting in the Settings editor (as a user changes it). */
async function openSetting(id) {
  await runCommand("Preferences: Open User Settings");
  const search = page.locator(".settings-editor .search-container .monaco-editor");
  await search.waitFor();
  await search.click();
  await page.keyboard.insertText(id);
  const input = page.locator(`.settings-editor input[aria-label="${id}"]`);
  await input.waitFor();
  return input;
}

/** The oracle: what the CLI reports on the workspace as it is on disk now (every phase, as
 * the server runs them), with the files it writes in `tmp/<out>`. */
function oracle(out) {
  const dir = path.join(tmp, out);
  let json;
  try {
    json = execFileSync(SERVER, ["migrate", "--from-files", ws, "--ignore-failures", "--format", "json", "--output-dir", dir], { encoding: "utf8", maxBuffer: 64 << 20 });
  } catch (e) {
    assert.equal(e.status, 3, `ambient-lsp migrate: ${e.stderr}`);
    json = e.stdout;
  }
  const report = JSON.parse(json);
  const all = [...report.inputs.problems, ...report.phases.flatMap((p) => p.findings)];
  const located = all.filter((f) => f.location);
  const firstFailed = report.phases.findIndex((p) => p.status === "failed");
  return {
    out: dir,
    problems: located.length,
    errors: located.filter((f) => f.severity === "error").length,
    warnings: located.filter((f) => f.severity === "warning").length,
    infos: located.filter((f) => f.severity === "info").length,
    furthest: report.phases[(firstFailed < 0 ? report.phases.length : firstFailed) - 1]?.id,
    recommendations: report.phases.flatMap((p) => p.findings).filter((f) => f.actions.length > 0).length,
  };
}

/** The status bar's phase summary for the oracle. */
const summaryOf = (e) => `Ambient: ${e.furthest} · ${e.recommendations} recommendation${e.recommendations === 1 ? "" : "s"}`;

before(async () => {
  for (const [what, p] of [["VSIX", VSIX], ["SERVER", SERVER], ["CODE_SERVER", CODE_SERVER], ["CHROMIUM", CHROMIUM]]) {
    assert.ok(fs.existsSync(p), `${what}: ${p} does not exist`);
  }
  fs.cpSync(path.join(repo, "examples/mesh"), ws, { recursive: true });
  fs.mkdirSync(path.dirname(userSettings), { recursive: true });
  writeSettings({});

  expected = oracle("cli-out");
  log(`the CLI finds ${JSON.stringify(expected)}`);
  assert.ok(expected.problems > 10 && expected.furthest, "the example has findings");

  const common = ["--config", path.join(tmp, "config.yaml"), "--user-data-dir", userData, "--extensions-dir", extensions];
  fs.writeFileSync(path.join(tmp, "config.yaml"), "auth: none\ncert: false\n");
  const t0 = Date.now();
  const installed = execFileSync(CODE_SERVER, [...common, "--install-extension", VSIX], { encoding: "utf8", env });
  assert.match(installed, /was successfully installed/);
  log(`installed ${path.basename(VSIX)} in ${Date.now() - t0} ms`);

  const port = await freePort();
  // its own process group: the file watcher and the extension host outlive a plain kill
  codeServer = spawn(
    CODE_SERVER,
    [...common, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check",
      "--disable-workspace-trust", "--disable-getting-started-override", ws],
    { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...env, AMBIENT_LOG: "ambient_lsp=info" } },
  );
  if (process.env.E2E_PIDFILE) {
    fs.writeFileSync(process.env.E2E_PIDFILE, String(codeServer.pid)); // run.sh ends the group
  }
  codeServer.stdout.on("data", (d) => (codeServerLog += d));
  codeServer.stderr.on("data", (d) => (codeServerLog += d));
  await until("code-server's /healthz", async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    env,
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: WAIT });
  log(`VS Code is up ${Date.now() - t0} ms after the install started`);
});

after(async () => {
  await browser?.close().catch(() => {});
  if (codeServer?.pid) {
    try {
      process.kill(-codeServer.pid, "SIGTERM");
    } catch {
      // already gone
    }
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-codeServer.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  if (failures === 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
  } else {
    log(`kept ${tmp}`);
  }
});

step("the server starts and the status bar shows the phase summary", async () => {
  const want = summaryOf(expected);
  try {
    await until(`the status bar to show "${want}"`, async () => (await statusText()).includes(want));
  } catch (e) {
    const shown = await page.locator("#workbench\\.parts\\.statusbar").innerText().catch(() => "?");
    throw new Error(`${e.message}\nthe status bar shows: ${shown.replace(/\s+/g, " ")}\nnotifications: ${(await notifications()).join(" | ")}`);
  }
  assert.equal(serverPids().length, 1, "one server process");
  const tooltip = await statusItem().getAttribute("aria-label");
  log(`status bar: ${await statusText()} (${tooltip})`);
});

step("the Problems panel holds every finding of the server", async () => {
  // the status bar's problem counters, then the panel itself
  const counts = `${expected.errors} ${expected.warnings} ${expected.infos}`;
  await until(`problem counters ${counts}`, async () =>
    (await page.locator('[id="status.problems"]').innerText()).replace(/\s+/g, " ").trim() === counts);
  await page.keyboard.press("Control+Shift+M");
  const panel = page.locator(".markers-panel");
  await panel.waitFor();
  const badge = page.locator('.panel .composite-bar .action-item:has-text("Problems") .badge-content');
  await until(`the Problems badge to read ${expected.problems}`, async () => (await badge.innerText()).trim() === String(expected.problems));
  log(`Problems panel: ${expected.problems} problems (${counts})`);
});

step("a file shows its diagnostics", async () => {
  await openFile("bookinfo/authorization.yaml");
  // squiggles are drawn only for the lines in view
  const squiggles = page.locator(".monaco-editor .view-overlays .cdr[class*='squiggly-']");
  await until("squiggles in authorization.yaml", async () => (await squiggles.count()) >= 3);
  const rows = page.locator(".markers-panel .monaco-list-row", { hasText: "W009" });
  await until("W009 rows in the Problems panel", async () => (await rows.count()) >= 3);
  // hover on the first W009: the rule, why, and the link to its documentation
  await goTo(48, 3);
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  const hover = page.locator(".monaco-hover:visible");
  await until("the hover of W009", async () => /W009/.test(await hover.innerText()));
  await screenshot("vscode-diagnostics.png");
  await page.keyboard.press("Escape");
});

step("Ambient: Show Migration Report renders the server's report", async () => {
  await runCommand("Ambient: Show Migration Report");
  const frame = await until("the report preview", async () => {
    for (const f of page.frames()) {
      const h = await f.locator("h1").first().textContent({ timeout: 200 }).catch(() => null);
      if (h && h.includes("Ambient migration report")) {
        return f;
      }
    }
    return undefined;
  });
  const text = await frame.locator("body").innerText();
  for (const id of ["pre-reqs", "cluster-setup", "deploy-waypoints", "migrate-policies", "use-waypoints", "policy-simplification", "remove-sidecars"]) {
    assert.match(text, new RegExp(`\\d\\. ${id} `), `phase ${id} in the report`);
  }
  assert.match(text, new RegExp(`Phases pass up to ${expected.furthest}`));
  assert.match(text, new RegExp(`${expected.recommendations} recommendations, ${expected.errors} errors`));
  assert.equal(await frame.locator("table tr").count(), 8, "the phase table");
  assert.ok((await frame.locator("a[href*='rules.md#w009']").count()) >= 1, "rule links");
  // a location opens the manifest at the finding
  const link = frame.locator("a", { hasText: "bookinfo/authorization.yaml:48:3" }).first();
  await link.scrollIntoViewIfNeeded();
  await frame.locator("h2", { hasText: "3. deploy-waypoints" }).scrollIntoViewIfNeeded();
  await screenshot("vscode-report.png");
  log(`report: ${text.split("\n").length} lines`);
  await link.click();
  await until("authorization.yaml at line 48, column 3", async () =>
    (await page.locator('.tab.active[data-resource-name="authorization.yaml"]').count()) === 1 &&
    (await page.locator('[id="status.editor.selection"]').innerText()).includes("Ln 48, Col 3"));
  await runCommand("View: Close All Editors");
});

step("Ambient: Write Recommended Manifests… writes into a chosen folder", async () => {
  const target = path.join(tmp, "chosen");
  fs.mkdirSync(target);
  await runCommand("Ambient: Write Recommended Manifests");
  // VS Code's own folder picker (the simple dialog in the browser): type the path, accept
  const input = page.locator(".quick-input-widget input");
  await until("the folder dialog", async () => (await input.inputValue()).startsWith("/"));
  await input.fill(`${target}/`);
  await page.waitForTimeout(500);
  await page.locator(".quick-input-widget .monaco-button", { hasText: "Write recommended manifests here" }).click();
  await until("the 'wrote' notification", async () => (await notifications()).some((t) => t.includes(`to ${target}`)));
  for (const f of ["recommended-waypoints.yaml", "recommended-policies.yaml", "commands.sh"]) {
    assert.equal(fs.readFileSync(path.join(target, f), "utf8"), fs.readFileSync(path.join(expected.out, f), "utf8"), f);
  }
  log(`wrote ${fs.readdirSync(target).join(", ")}: the CLI's files, byte for byte`);
  await page.locator(".notification-toast .codicon-notifications-clear").first().click().catch(() => {});
});

step("a quick fix is applied and saved to disk", async () => {
  // The switch to ambient (R001) is offered only once nothing blocks its phase in the
  // namespace: the fail-closed policies of authorization.yaml (R009) go first, as a user who
  // moved them to the waypoint would delete them; the server follows the file watcher.
  fs.rmSync(path.join(ws, "bookinfo/authorization.yaml"));
  await until("R009 to disappear from the Problems panel", async () =>
    (await page.locator(".markers-panel .monaco-list-row", { hasText: "R009" }).count()) === 0);
  const file = path.join(ws, "bookinfo/namespace.yaml");
  const before = fs.readFileSync(file, "utf8");
  await openFile("bookinfo/namespace.yaml");
  await until("a diagnostic in namespace.yaml", async () =>
    (await page.locator(".monaco-editor .view-overlays .cdr[class*='squiggly-']").count()) > 0);
  await goTo(4, 9);
  await page.keyboard.press("Control+.");
  const item = page.locator(".action-widget .monaco-list-row", { hasText: "Label Namespace bookinfo" }).first();
  await item.waitFor({ timeout: WAIT });
  await screenshot("vscode-quick-fix.png");
  await item.click();
  await page.keyboard.press("Control+S");
  const want = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bookinfo\n  labels:\n    team: books\n    istio.io/dataplane-mode: ambient\n";
  await until("namespace.yaml on disk to hold the fix", () => fs.readFileSync(file, "utf8") === want);
  assert.notEqual(before, want);
  log("quick fix saved: istio.io/dataplane-mode: ambient");
  // the server re-analyses: R001 on the namespace is gone, the counts and the status bar follow
  await until("R001 to disappear from the Problems panel", async () =>
    (await page.locator(".markers-panel .monaco-list-row", { hasText: "R001" }).count()) === 0);
  expected = oracle("cli-out-after-fix");
  const counts = `${expected.errors} ${expected.warnings} ${expected.infos}`;
  await until(`problem counters ${counts}`, async () =>
    (await page.locator('[id="status.problems"]').innerText()).replace(/\s+/g, " ").trim() === counts);
  await until(`the status bar to show "${summaryOf(expected)}"`, async () => (await statusText()).includes(summaryOf(expected)));
  log(`after the fix: ${counts}, ${summaryOf(expected)}`);
});

step("Ambient: Restart Server starts a new server", async () => {
  const before = serverPids();
  assert.equal(before.length, 1, "one server before the restart");
  const summary = summaryOf(expected);
  assert.ok((await statusText()).includes(summary), await statusText());
  await runCommand("Ambient: Restart Server");
  await until("a new server process", () => {
    const now = serverPids();
    return now.length === 1 && now[0] !== before[0];
  });
  await until(`the status bar to show "${summary}" again`, async () => (await statusText()).includes(summary));
  log(`restarted: pid ${before[0]} → ${serverPids()[0]}; ${summary}`);
});

step("a wrong ambient.server.path, a binary that exits at once, a crashing server: clear messages", async () => {
  const wrong = path.join(tmp, "no-such-dir", "ambient-lsp");
  const setting = await openSetting("ambient.server.path");
  await setting.fill(wrong);
  await until("the error notification", async () =>
    (await notifications()).some((t) => t.includes(`ambient.server.path is ${wrong}, which does not exist`)));
  await until("the status bar to say so", async () => (await statusText()).includes("server not found"));
  await until("the old server to stop", () => serverPids().length === 0);
  await screenshot("vscode-wrong-server-path.png");

  // a binary that exits at once is not taken for "no mesh resources"
  await page.locator(".notification-toast .codicon-notifications-clear").first().click().catch(() => {});
  await setting.fill("/bin/false");
  await until("the /bin/false notification", async () =>
    (await notifications()).some((t) => t.includes("/bin/false is not a working ambient-lsp")));
  await until("the status bar to say server failed", async () => (await statusText()).includes("server failed"));
  log("/bin/false reported");

  // a server that crashes at every start (it answers --version and detect): reported once the
  // restarts are used up, and again after "Ambient: Restart Server" (not stuck at "restarting…")
  const starts = path.join(tmp, "crash-starts");
  const crash = path.join(tmp, "crash.sh");
  fs.writeFileSync(crash, `#!/bin/sh\ncase "$1" in --version|detect) exec "${SERVER}" "$@";; esac\necho x >>"${starts}"\nkill -SEGV $$\n`);
  fs.chmodSync(crash, 0o755);
  const started = () => (fs.existsSync(starts) ? fs.readFileSync(starts, "utf8").split("\n").length - 1 : 0);
  await setting.fill(crash);
  await until("the crashing server to start", () => started() >= 1);
  await until("the status bar to say server failed", async () => (await statusText()).includes("server failed"));
  const before = started();
  await runCommand("Ambient: Restart Server");
  await until("a new start after the restart", () => started() > before);
  await until("the status bar to say server failed after the restart", async () => (await statusText()).includes("server failed"));
  log(`a crashing server reported (${started()} starts), also after a restart`);

  // cleared: the bundled server starts again
  await setting.fill("");
  await until("the server to start again", async () =>
    serverPids().length === 1 && (await statusText()).includes(summaryOf(expected)));
  log("wrong path reported; the server is back after clearing the setting");
});
