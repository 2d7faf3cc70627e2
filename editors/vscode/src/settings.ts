// Settings → what the server gets, where the server binary is, and what its `detect` command
// said. Pure (no `vscode` import): unit-tested with node:test.

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
  const max = get<number>("maxFileSizeKb", 16384);
  const context = get<string>("cluster.context", "");
  return {
    phases: Array.isArray(phases) ? phases.filter((p): p is string => typeof p === "string") : [],
    waypointName: typeof name === "string" && name.trim() !== "" ? name.trim() : "waypoint",
    maxFileSizeKb: typeof max === "number" && max > 0 ? Math.floor(max) : 16384,
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
    return fs.isFile(p)
      ? { path: p, source: "setting" }
      : `Ambient: ambient.server.path is ${p}, which does not exist. Set it to the ambient-lsp binary, or clear it to use the bundled one.`;
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

/** What `ambient-lsp detect PATH…` said (server/src/detect.rs: the one place that decides
 * whether a workspace is an Istio mesh project). */
export type Detected = { mesh: true; file: string } | { mesh: false } | { error: string };

/** Read the outcome of `ambient-lsp detect`: exit 0 and the first mesh file, exit 1 for none;
 * anything else means the binary is not a working ambient-lsp. */
export function readDetect(
  server: string,
  r: { code: number | null; signal?: string | null; stdout: string; stderr: string; spawnError?: string },
): Detected {
  if (r.spawnError !== undefined) {
    return { error: `Ambient: cannot run the language server ${server}: ${r.spawnError}` };
  }
  if (r.code === 0) {
    return { mesh: true, file: r.stdout.trim() };
  }
  if (r.code === 1 && r.stdout.trim() === "") {
    return { mesh: false };
  }
  const why = r.stderr.trim().split("\n")[0] || (r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`);
  return {
    error: `Ambient: ${server} is not a working ambient-lsp (\`${server} detect\` failed: ${why}). Set ambient.server.path to an ambient-lsp binary, or clear it to use the bundled one.`,
  };
}
