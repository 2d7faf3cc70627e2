// Whether the server binary works and what to do when it dies. Pure (no `vscode` import):
// unit-tested with node:test; extension.ts wires it to VS Code's notifications and status bar.

/** What `ambient-lsp --version` did. */
export interface RunResult {
  code: number | null;
  signal?: string | null;
  stdout: string;
  stderr: string;
  /** The spawn itself failed (ENOENT, EACCES…). */
  spawnError?: string;
}

/** An error message when SERVER is not a working ambient-lsp (`--version` must answer
 * `ambient-lsp X`), else undefined. A binary that exits at once (`/bin/false`) must not be taken
 * for a server that found no mesh resources (`detect` exits 1 for that). */
export function readVersion(server: string, r: RunResult): string | undefined {
  if (r.spawnError !== undefined) {
    return `Ambient: cannot run the language server ${server}: ${r.spawnError}`;
  }
  if (r.code === 0 && /^ambient-lsp \S+/.test(r.stdout)) {
    return undefined;
  }
  const why =
    r.signal ? `killed by ${r.signal}` :
    `exit status ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().split("\n")[0]}` : r.stdout.trim() ? `, printed "${r.stdout.trim().split("\n")[0]}"` : ""}`;
  return `Ambient: ${server} is not a working ambient-lsp (\`${server} --version\`: ${why}). Set ambient.server.path to an ambient-lsp binary, or clear it to use the bundled one.`;
}

/** What to do when the server's connection closes unexpectedly. */
export interface CloseDecision {
  restart: boolean;
  /** For the status bar tooltip, the output channel and (when giving up) the notification. */
  message: string;
}

/** Restarts a crashed server up to `maxRestarts` times within `windowMs`, then gives up and says
 * so (vscode-languageclient's own handler gives up silently in the status bar). */
export class CrashTracker {
  private crashes: number[] = [];

  constructor(
    private readonly maxRestarts = 4,
    private readonly windowMs = 3 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  closed(server: string): CloseDecision {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    const n = this.crashes.length;
    if (n <= this.maxRestarts) {
      return { restart: true, message: `Ambient: the language server ${server} stopped (${n} time${n === 1 ? "" : "s"}); restarting it.` };
    }
    return {
      restart: false,
      message: `Ambient: the language server ${server} stopped ${n} times in ${Math.round(this.windowMs / 60_000)} minutes and is not restarted. See Output › Ambient Mesh Migration, then run "Ambient: Restart Server".`,
    };
  }

  /** A restart asked by the user starts a new count. */
  reset(): void {
    this.crashes = [];
  }
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** Where a line of the server's stderr goes in the "Ambient Mesh Migration" log channel.
 * The server logs with `tracing` to stderr (`2026-11-30T22:10:00.123Z  INFO target: text`) and
 * sends the same INFO/WARN/ERROR events as `window/logMessage`, which the client already shows
 * at their level: those stderr copies go to `trace` (visible with "Set Log Level… › Trace"),
 * DEBUG/TRACE lines (AMBIENT_LOG=debug) to their level, and anything else — a panic, a loader
 * error — is an error. (vscode-languageclient's default tags every stderr line [error].) */
export function stderrLine(line: string): { level: LogLevel; text: string } {
  const m = /^\S+\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$/.exec(line);
  if (!m) {
    return { level: "error", text: line };
  }
  const level = m[1];
  return { level: level === "TRACE" ? "trace" : level === "DEBUG" ? "debug" : "trace", text: `${level} ${m[2]}` };
}
