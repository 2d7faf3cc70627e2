// The status bar item: the one-line summary of the migration report. The report itself and
// this summary come from the server (`ambient.migrationReport` with `{"format": "markdown"}`,
// rendered by server/src/report/markdown.rs, the same for every editor); this file only words
// the status bar. Pure: no `vscode` import, so it is unit-tested with node:test.

/** `summary` of the server's Markdown report. */
export interface Summary {
  /** The last phase of the unbroken run of phases that did not fail (null: the first failed). */
  furthest: string | null;
  /** The first failed phase, if any. */
  failed: string | null;
  /** Findings that come with a fix (code action or command). */
  recommendations: number;
  errors: number;
}

/** What `ambient.migrationReport` answers to `{"format": "markdown"}`. */
export interface MarkdownReport {
  format: "markdown";
  markdown: string;
  summary: Summary;
}

/** The status bar text: `$(pass) Ambient: remove-sidecars · 12 recommendations`. */
export function statusText(s: Summary): string {
  const recs = `${s.recommendations} recommendation${s.recommendations === 1 ? "" : "s"}`;
  if (s.furthest === null && s.failed !== null) {
    return `$(error) Ambient: ${s.failed} fails · ${recs}`;
  }
  if (s.furthest === null) {
    return `$(circle-slash) Ambient: no phases`;
  }
  const icon = s.failed === null ? "$(pass)" : "$(warning)";
  return `${icon} Ambient: ${s.furthest} · ${recs}`;
}

export function statusTooltip(s: Summary): string {
  const lines = [];
  lines.push(s.furthest ? `Phases pass up to ${s.furthest}.` : "No phase passes yet.");
  if (s.failed) {
    lines.push(`First failing phase: ${s.failed}.`);
  }
  lines.push(`${s.recommendations} recommendations, ${s.errors} errors. Click for the migration report.`);
  return lines.join("\n");
}

/** Whether a value is the server's Markdown report (an older server answers with JSON). */
export function isMarkdownReport(v: unknown): v is MarkdownReport {
  const r = v as MarkdownReport | null;
  return (
    typeof r === "object" &&
    r !== null &&
    r.format === "markdown" &&
    typeof r.markdown === "string" &&
    typeof r.summary === "object" &&
    r.summary !== null &&
    typeof r.summary.recommendations === "number"
  );
}
