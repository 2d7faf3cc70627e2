// VS Code client of ambient-lsp: starts the server for workspaces that hold Istio / Gateway API
// resources, shows the migration report, writes the recommended manifests, and keeps a status
// bar item with the furthest phase that passes.

import * as fs from "node:fs";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { Report, renderReport, statusText, statusTooltip, summarize } from "./report";
import { looksLikeMesh, resolveServer, serverSettings } from "./settings";

const REPORT_URI = vscode.Uri.parse("ambient-report:/Ambient%20migration%20report.md");

let client: LanguageClient | undefined;
let status: vscode.StatusBarItem;
let output: vscode.LogOutputChannel;

class ReportProvider implements vscode.TextDocumentContentProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  text = "# Ambient migration report\n\n_The language server is not running._\n";

  update(text: string): void {
    this.text = text;
    this.emitter.fire(REPORT_URI);
  }

  provideTextDocumentContent(): string {
    return this.text;
  }
}

const report = new ReportProvider();

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("ambient");
}

/** Whether any manifest of the workspace (or an open document) holds mesh resources. */
async function workspaceHasMesh(): Promise<boolean> {
  for (const d of vscode.workspace.textDocuments) {
    if ((d.languageId === "yaml" || d.languageId === "json") && looksLikeMesh(d.getText())) {
      return true;
    }
  }
  const files = await vscode.workspace.findFiles(
    "**/*.{yaml,yml,json}",
    "**/{node_modules,.git}/**",
    5000,
  );
  for (const f of files) {
    try {
      const fd = await fs.promises.open(f.fsPath, "r");
      try {
        const buf = Buffer.alloc(64 * 1024);
        const { bytesRead } = await fd.read(buf, 0, buf.length, 0);
        if (looksLikeMesh(buf.subarray(0, bytesRead).toString("utf8"))) {
          return true;
        }
      } finally {
        await fd.close();
      }
    } catch {
      // unreadable: skip
    }
  }
  return false;
}

async function fetchReport(): Promise<Report | undefined> {
  if (!client || !client.isRunning()) {
    return undefined;
  }
  return (await client.sendRequest("workspace/executeCommand", {
    command: "ambient.migrationReport",
    arguments: [],
  })) as Report;
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
    const s = summarize(r);
    status.text = statusText(s);
    status.tooltip = statusTooltip(s);
    status.show();
    report.update(render(r));
  } catch (e) {
    output.appendLine(`status refresh failed: ${e}`);
  }
}

function render(r: Report): string {
  return renderReport(r, {
    display: (p) => vscode.workspace.asRelativePath(p),
    link: (loc) => vscode.Uri.file(loc.file).with({ fragment: `L${loc.line},${loc.column}` }).toString(),
  });
}

async function showReport(): Promise<void> {
  const r = await fetchReport();
  if (!r) {
    void vscode.window.showWarningMessage(
      "Ambient: the language server is not running (no Istio or Gateway API manifests found, or the server could not start).",
    );
    return;
  }
  report.update(render(r));
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
      command: "ambient.writeRecommendations",
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

async function startClient(ctx: vscode.ExtensionContext): Promise<void> {
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
    status.text = "$(error) Ambient: server not found";
    status.tooltip = resolved;
    status.show();
    void vscode.window.showErrorMessage(resolved);
    return;
  }
  output.appendLine(`ambient-lsp: ${resolved.path} (${resolved.source})`);
  if (resolved.source === "bundled" && process.platform !== "win32") {
    try {
      // a VSIX does not keep the executable bit
      fs.chmodSync(resolved.path, 0o755);
    } catch (e) {
      output.appendLine(`cannot make ${resolved.path} executable: ${e}`);
    }
  }
  const serverOptions: ServerOptions = {
    command: resolved.path,
    args: ["--stdio"],
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
  };
  client = new LanguageClient("ambient", "Ambient Mesh Migration", serverOptions, clientOptions);
  status.text = "$(sync~spin) Ambient: indexing…";
  status.show();
  await client.start();
  scheduleRefresh();
}

export async function activate(ctx: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Ambient Mesh Migration", { log: true });
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 0);
  status.command = "ambient.showReport";
  ctx.subscriptions.push(
    output,
    status,
    vscode.workspace.registerTextDocumentContentProvider("ambient-report", report),
    vscode.commands.registerCommand("ambient.showReport", showReport),
    vscode.commands.registerCommand("ambient.writeRecommendations", writeRecommendations),
    vscode.commands.registerCommand("ambient.restartServer", async () => {
      if (client) {
        await client.restart();
        scheduleRefresh();
      } else {
        await startClient(ctx);
      }
    }),
    vscode.languages.onDidChangeDiagnostics((e) => {
      if (client && e.uris.length > 0) {
        scheduleRefresh();
      }
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("ambient.server.path") && client) {
        await client.stop();
        client = undefined;
        await startClient(ctx);
      }
    }),
  );
  if (await workspaceHasMesh()) {
    await startClient(ctx);
    return;
  }
  // start later, when a mesh manifest shows up
  const waiting = vscode.workspace.onDidOpenTextDocument(async (d) => {
    if (!client && (d.languageId === "yaml" || d.languageId === "json") && looksLikeMesh(d.getText())) {
      waiting.dispose();
      await startClient(ctx);
    }
  });
  ctx.subscriptions.push(waiting);
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
  }
}
