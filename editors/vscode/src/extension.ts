// VS Code client of ambient-lsp: starts the server for workspaces that hold Istio / Gateway API
// resources (the server decides: `ambient-lsp detect`), shows the migration report the server
// renders, writes the recommended manifests, and keeps a status bar item with the furthest
// phase that passes.

import * as cp from "node:child_process";
import * as fs from "node:fs";
import * as readline from "node:readline";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { CrashTracker, readVersion, stderrLine } from "./health";
import { Detected, readDetect, resolveServer, serverSettings } from "./settings";
import { isMarkdownReport, MarkdownReport, statusText, statusTooltip } from "./status";

const REPORT_URI = vscode.Uri.parse("ambient-report:/Ambient%20migration%20report.md");

// Commands of this extension. None may be one the server lists in `executeCommandProvider`:
// vscode-languageclient registers a VS Code command for each of those, and a second
// registration of the same id makes the client fail to start.
const CMD_SHOW_REPORT = "ambient.showReport";
const CMD_WRITE = "ambient.writeRecommendedManifests";
const CMD_RESTART = "ambient.restartServer";
const CMD_REFRESH_CLUSTER = "ambient.refreshLiveCluster";
// Commands of the server (workspace/executeCommand).
const SERVER_REPORT = "ambient.migrationReport";
const SERVER_WRITE = "ambient.writeRecommendations";
const SERVER_REFRESH_CLUSTER = "ambient.refreshCluster";

let client: LanguageClient | undefined;
let status: vscode.StatusBarItem;
let output: vscode.LogOutputChannel;
let waiting: vscode.Disposable | undefined;
const crashes = new CrashTracker();

class ReportProvider implements vscode.TextDocumentContentProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  text = "# Ambient migration report\n\n_The language server is not running._\n";

  update(text: string): void {
    if (text !== this.text) {
      this.text = text;
      this.emitter.fire(REPORT_URI);
    }
  }

  provideTextDocumentContent(): string {
    return this.text;
  }
}

const report = new ReportProvider();

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("ambient");
}

function showError(text: string, short: string): void {
  output.error(text);
  status.text = `$(error) Ambient: ${short}`;
  status.tooltip = text;
  status.show();
  void vscode.window.showErrorMessage(text);
}

/** `ambient-lsp detect PATH…`: whether the paths hold mesh resources (server/src/detect.rs). */
function detect(server: string, paths: string[]): Promise<Detected> {
  return new Promise((resolve) => {
    cp.execFile(server, ["detect", ...paths], { timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const e = err as (cp.ExecFileException & { code?: number | string }) | null;
      resolve(
        readDetect(server, {
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
          spawnError: e && typeof e.code === "string" ? e.message : undefined,
        }),
      );
    });
  });
}

/** `ambient-lsp --version`: undefined if the binary is a working ambient-lsp, else why not. */
function checkVersion(server: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    cp.execFile(server, ["--version"], { timeout: 30_000, maxBuffer: 1 << 16 }, (err, stdout, stderr) => {
      const e = err as (cp.ExecFileException & { code?: number | string }) | null;
      resolve(
        readVersion(server, {
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
          spawnError: e && typeof e.code === "string" ? e.message : undefined,
        }),
      );
    });
  });
}

function resolve(ctx: vscode.ExtensionContext): string | undefined {
  const resolved = resolveServer(config().get<string>("server.path", ""), ctx.extensionPath, {
    isFile: (p) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    },
    env: process.env,
    platform: process.platform,
  });
  if (typeof resolved === "string") {
    showError(resolved, "server not found");
    return undefined;
  }
  output.info(`ambient-lsp: ${resolved.path} (${resolved.source})`);
  if (resolved.source === "bundled" && process.platform !== "win32") {
    try {
      // a VSIX does not keep the executable bit
      fs.chmodSync(resolved.path, 0o755);
    } catch (e) {
      output.warn(`cannot make ${resolved.path} executable: ${e}`);
    }
  }
  return resolved.path;
}

function isManifest(d: vscode.TextDocument): boolean {
  return d.uri.scheme === "file" && (d.languageId === "yaml" || d.languageId === "json");
}

/** Start the server if the workspace is a mesh project; otherwise wait for a mesh manifest to
 * be opened or saved. */
async function maybeStart(ctx: vscode.ExtensionContext): Promise<void> {
  waiting?.dispose();
  waiting = undefined;
  const server = resolve(ctx);
  if (!server) {
    return;
  }
  // a binary that exits at once would otherwise look like "no mesh resources" to `detect`
  const broken = await checkVersion(server);
  if (broken) {
    showError(broken, "server failed");
    return;
  }
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file");
  const paths = folders.length > 0
    ? folders.map((f) => f.uri.fsPath)
    : vscode.workspace.textDocuments.filter(isManifest).map((d) => d.uri.fsPath);
  const found = paths.length > 0 ? await detect(server, paths) : { mesh: false as const };
  if ("error" in found) {
    showError(found.error, "server does not run");
    return;
  }
  if (found.mesh) {
    output.info(`mesh resources found in ${found.file}`);
    await startClient(server);
    return;
  }
  output.info("no Istio or Gateway API resources in the workspace: the server starts when one is opened");
  status.hide();
  const check = async (d: vscode.TextDocument) => {
    if (client || !waiting || !isManifest(d)) {
      return;
    }
    const r = await detect(server, [d.uri.fsPath]);
    if (client || !waiting) {
      return;
    }
    if ("error" in r) {
      showError(r.error, "server does not run");
    } else if (r.mesh) {
      waiting.dispose();
      waiting = undefined;
      await startClient(server);
    }
  };
  waiting = vscode.Disposable.from(
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidSaveTextDocument(check),
  );
}

async function fetchReport(): Promise<MarkdownReport | undefined> {
  if (!client || !client.isRunning()) {
    return undefined;
  }
  const r: unknown = await client.sendRequest("workspace/executeCommand", {
    command: SERVER_REPORT,
    // VS Code's Markdown preview refuses file: links; it resolves "/path" in the first folder
    arguments: [{ format: "markdown", links: "workspace" }],
  });
  if (!isMarkdownReport(r)) {
    throw new Error("the server did not answer with a Markdown report: update ambient-lsp");
  }
  return r;
}

let refreshTimer: NodeJS.Timeout | undefined;

function scheduleRefresh(): void {
  if (refreshTimer) {
    clearTimeout(refreshTimer);
  }
  refreshTimer = setTimeout(() => void refreshStatus(), 750);
}

async function refreshStatus(): Promise<void> {
  try {
    const r = await fetchReport();
    if (!r) {
      return;
    }
    status.text = statusText(r.summary);
    status.tooltip = statusTooltip(r.summary);
    status.show();
    report.update(r.markdown);
  } catch (e) {
    output.warn(`status refresh failed: ${e}`);
  }
}

async function showReport(): Promise<void> {
  let r: MarkdownReport | undefined;
  try {
    r = await fetchReport();
  } catch (e) {
    void vscode.window.showErrorMessage(`Ambient: ${e}`);
    return;
  }
  if (!r) {
    void vscode.window.showWarningMessage(
      "Ambient: the language server is not running (no Istio or Gateway API manifests found, or the server could not start).",
    );
    return;
  }
  report.update(r.markdown);
  try {
    await vscode.commands.executeCommand("markdown.showPreview", REPORT_URI);
  } catch {
    const doc = await vscode.workspace.openTextDocument(REPORT_URI);
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}

async function writeRecommendations(): Promise<void> {
  if (!client || !client.isRunning()) {
    void vscode.window.showWarningMessage("Ambient: the language server is not running.");
    return;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: "Write recommended manifests here",
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  if (!picked || picked.length === 0) {
    return;
  }
  try {
    const res = (await client.sendRequest("workspace/executeCommand", {
      command: SERVER_WRITE,
      arguments: [picked[0].toString()],
    })) as { outputs: Record<string, string>; waypoints: number; policies: number };
    const open = "Open recommended-policies.yaml";
    const choice = await vscode.window.showInformationMessage(
      `Ambient: wrote ${res.waypoints} waypoint(s) and ${res.policies} policies to ${picked[0].fsPath}.`,
      open,
    );
    if (choice === open && res.outputs["recommended-policies.yaml"]) {
      await vscode.window.showTextDocument(vscode.Uri.file(res.outputs["recommended-policies.yaml"]));
    }
  } catch (e) {
    void vscode.window.showErrorMessage(`Ambient: ${e}`);
  }
}

async function refreshCluster(): Promise<void> {
  if (!client || !client.isRunning()) {
    void vscode.window.showWarningMessage("Ambient: the language server is not running.");
    return;
  }
  try {
    const res = (await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "Ambient: reading the cluster" },
      () =>
        client!.sendRequest("workspace/executeCommand", {
          command: SERVER_REFRESH_CLUSTER,
          arguments: [],
        }),
    )) as { context: string; server: string; objects: number; problems: string[] };
    const problems = res.problems.length > 0 ? ` (${res.problems.length} kind(s) could not be read)` : "";
    void vscode.window.showInformationMessage(
      `Ambient: read ${res.objects} objects from context "${res.context}"${problems}.`,
    );
  } catch (e) {
    void vscode.window.showErrorMessage(`Ambient: ${e instanceof Error ? e.message : e}`);
  }
}

async function startClient(server: string): Promise<void> {
  const serverOptions: ServerOptions = {
    command: server,
    // vscode-languageclient appends `--stdio` itself for TransportKind.stdio
    args: [],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "yaml" },
      { scheme: "file", language: "json" },
      { scheme: "untitled", language: "yaml" },
    ],
    initializationOptions: serverSettings((k, d) => config().get(k, d)),
    synchronize: { configurationSection: "ambient" },
    outputChannel: output,
    // the server's stderr at the level of each line, not all as [error] (the default)
    stdioOptions: {
      stdout: (input, channel) => {
        readline.createInterface({ input, crlfDelay: Infinity, terminal: false }).on("line", (l) => channel.info(l));
      },
      stderr: (input, channel) => {
        readline.createInterface({ input, crlfDelay: Infinity, terminal: false }).on("line", (l) => {
          const { level, text } = stderrLine(l);
          channel[level](text);
        });
      },
    },
    // a server that dies is restarted a few times, then reported (notification + status bar)
    errorHandler: {
      error: (_e, _m, count) => ({ action: count && count > 3 ? ErrorAction.Shutdown : ErrorAction.Continue }),
      closed: () => {
        const d = crashes.closed(server);
        if (d.restart) {
          output.warn(d.message);
          status.text = "$(sync~spin) Ambient: restarting…";
          status.tooltip = d.message;
          status.show();
          scheduleRefresh();
          return { action: CloseAction.Restart, handled: true };
        }
        showError(d.message, "server failed");
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
  };
  client = new LanguageClient("ambient", "Ambient Mesh Migration", serverOptions, clientOptions);
  status.text = "$(sync~spin) Ambient: indexing…";
  status.tooltip = "ambient-lsp is indexing the workspace";
  status.show();
  try {
    await client.start();
  } catch (e) {
    showError(
      `Ambient: the language server ${server} could not start: ${e instanceof Error ? e.message : e}. See Output › Ambient Mesh Migration.`,
      "server failed",
    );
    return;
  }
  scheduleRefresh();
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop();
    } catch (e) {
      output.warn(`stopping the server: ${e}`);
    }
  }
}

export async function activate(ctx: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Ambient Mesh Migration", { log: true });
  status = vscode.window.createStatusBarItem("ambient.status", vscode.StatusBarAlignment.Left, 0);
  status.name = "Ambient Mesh Migration";
  status.command = CMD_SHOW_REPORT;
  ctx.subscriptions.push(
    output,
    status,
    { dispose: () => waiting?.dispose() },
    vscode.workspace.registerTextDocumentContentProvider("ambient-report", report),
    vscode.commands.registerCommand(CMD_SHOW_REPORT, showReport),
    vscode.commands.registerCommand(CMD_WRITE, writeRecommendations),
    vscode.commands.registerCommand(CMD_REFRESH_CLUSTER, refreshCluster),
    vscode.commands.registerCommand(CMD_RESTART, async () => {
      // a new client, as at start-up: the binary is checked again and a failure to start is
      // reported (restart() of a client whose server crashed would leave "restarting…")
      status.text = "$(sync~spin) Ambient: restarting…";
      status.show();
      crashes.reset();
      await stopClient();
      await maybeStart(ctx);
    }),
    vscode.languages.onDidChangeDiagnostics((e) => {
      if (client && e.uris.length > 0) {
        scheduleRefresh();
      }
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("ambient.server.path")) {
        await stopClient();
        await maybeStart(ctx);
      }
    }),
  );
  await maybeStart(ctx);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
