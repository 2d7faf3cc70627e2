// Settings → what the server gets, where the server binary is, and whether a workspace holds
// Istio / Gateway API resources. Pure (no `vscode` import): unit-tested with node:test.

import * as path from "node:path";

/** Reads a setting of section `ambient` (VS Code's `WorkspaceConfiguration.get`). */
export type Getter = <T>(key: string, fallback: T) => T;

export interface ServerSettings {
  phases: string[];
  waypointName: string;
  maxFileSizeKb: number;
  cluster: { enabled: boolean; context: string | null };
}

/** The `ambient` section as the server reads it (contract §3). */
export function serverSettings(get: Getter): ServerSettings {
  const phases = get<unknown>("phases", []);
  const name = get<string>("waypointName", "waypoint");
  const max = get<number>("maxFileSizeKb", 1024);
  const context = get<string>("cluster.context", "");
  return {
    phases: Array.isArray(phases) ? phases.filter((p): p is string => typeof p === "string") : [],
    waypointName: typeof name === "string" && name.trim() !== "" ? name.trim() : "waypoint",
    maxFileSizeKb: typeof max === "number" && max > 0 ? Math.floor(max) : 1024,
    cluster: {
      enabled: get<boolean>("cluster.enabled", false) === true,
      context: typeof context === "string" && context !== "" ? context : null,
    },
  };
}

export interface Resolved {
  path: string;
  source: "setting" | "PATH" | "bundled";
}

export interface Fs {
  isFile(p: string): boolean;
  env: Record<string, string | undefined>;
  platform: string;
}

/** `ambient.server.path`, else `ambient-lsp` on PATH, else the bundled binary. */
export function resolveServer(configured: string, extensionPath: string, fs: Fs): Resolved | string {
  const exe = fs.platform === "win32" ? "ambient-lsp.exe" : "ambient-lsp";
  if (configured.trim() !== "") {
    const p = configured.trim();
    return fs.isFile(p) ? { path: p, source: "setting" } : `ambient.server.path: ${p} does not exist`;
  }
  const sep = fs.platform === "win32" ? ";" : ":";
  for (const dir of (fs.env.PATH ?? "").split(sep)) {
    if (dir === "") {
      continue;
    }
    const p = path.join(dir, exe);
    if (fs.isFile(p)) {
      return { path: p, source: "PATH" };
    }
  }
  const bundled = path.join(extensionPath, "bundled", exe);
  if (fs.isFile(bundled)) {
    return { path: bundled, source: "bundled" };
  }
  return `ambient-lsp was not found: set ambient.server.path, put ambient-lsp on PATH (cargo install --path server) or install a build of the extension that bundles it`;
}

const MESH_API =
  /^\s*(- )?apiVersion:\s*["']?((networking|security|telemetry|extensions)\.istio\.io|gateway\.networking\.k8s\.io)\/|"apiVersion"\s*:\s*"((networking|security|telemetry|extensions)\.istio\.io|gateway\.networking\.k8s\.io)\/|^\s*["']?(istio-injection|istio\.io\/rev|istio\.io\/dataplane-mode)["']?\s*:/m;

/** Whether a manifest holds Istio or Gateway API resources (or Istio labels). */
export function looksLikeMesh(text: string): boolean {
  return MESH_API.test(text);
}
