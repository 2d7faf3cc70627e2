// The migration report (the server's `ambient.migrationReport`, contract §2) as a readable
// Markdown document, and the one-line summary of the status bar. Pure: no `vscode` import, so
// it is unit-tested with node:test.

export interface Location {
  file: string;
  line: number;
  column: number;
}

export interface Finding {
  rule: string;
  severity: "error" | "warning" | "info";
  message: string;
  details?: string[];
  location?: Location | null;
  actions?: { type: string; command?: string }[];
}

export interface Check {
  id: string;
  title: string;
  status: "passed" | "failed" | "warning";
  message: string;
}

export interface Phase {
  id: string;
  status: "passed" | "failed" | "recommendations" | "skipped";
  checks: Check[];
  findings: Finding[];
}

export interface Report {
  version: number;
  source?: { kind: string; paths: string[] };
  inputs?: { files: number; resources: number; problems: Finding[] };
  phases: Phase[];
}

export const PHASES = [
  "pre-reqs",
  "cluster-setup",
  "deploy-waypoints",
  "migrate-policies",
  "use-waypoints",
  "policy-simplification",
  "remove-sidecars",
];

const PHASE_ICON: Record<Phase["status"], string> = {
  passed: "✅",
  failed: "❌",
  recommendations: "⚠️",
  skipped: "⏭️",
};

const SEVERITY_ICON: Record<Finding["severity"], string> = {
  error: "❌",
  warning: "⚠️",
  info: "ℹ️",
};

export interface Summary {
  /** The last phase of the unbroken run of phases that did not fail (null: the first failed). */
  furthest: string | null;
  /** The first failed phase, if any. */
  failed: string | null;
  /** Findings that come with a fix (code action or command). */
  recommendations: number;
  errors: number;
}

export function summarize(report: Report): Summary {
  let furthest: string | null = null;
  let failed: string | null = null;
  let recommendations = 0;
  let errors = 0;
  for (const p of report.phases) {
    if (failed === null) {
      if (p.status === "failed") {
        failed = p.id;
      } else if (p.status !== "skipped") {
        furthest = p.id;
      }
    }
    for (const f of p.findings) {
      if ((f.actions ?? []).length > 0) {
        recommendations++;
      }
      if (f.severity === "error") {
        errors++;
      }
    }
  }
  return { furthest, failed, recommendations, errors };
}

/** The status bar text: `$(check) cluster-setup · 12 recommendations`. */
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

function escape(s: string): string {
  return s.replace(/([\\`*_{}[\]<>|])/g, "\\$1");
}

export interface RenderOptions {
  /** Turn a location into a Markdown link target (e.g. a file URI with a line fragment). */
  link?: (loc: Location) => string;
  /** Shorten a path for display (e.g. relative to the workspace). */
  display?: (path: string) => string;
}

function where(loc: Location | null | undefined, o: RenderOptions): string {
  if (!loc) {
    return "";
  }
  const shown = `${(o.display ?? ((p) => p))(loc.file)}:${loc.line}:${loc.column}`;
  return o.link ? ` — [${escape(shown)}](${o.link(loc)})` : ` — ${escape(shown)}`;
}

function finding(f: Finding, o: RenderOptions): string[] {
  const out = [`- ${SEVERITY_ICON[f.severity]} **${f.rule}** ${escape(f.message)}${where(f.location, o)}`];
  for (const d of f.details ?? []) {
    out.push(`  - ${escape(d)}`);
  }
  for (const a of f.actions ?? []) {
    if (a.command) {
      out.push(`  - \`${a.command}\``);
    }
  }
  return out;
}

/** The report as Markdown: one section per phase, its checks, then its findings. */
export function renderReport(report: Report, o: RenderOptions = {}): string {
  const out: string[] = ["# Ambient migration report", ""];
  const s = summarize(report);
  if (report.inputs) {
    out.push(`${report.inputs.files} files, ${report.inputs.resources} resources.`);
  }
  out.push(
    s.failed
      ? `Phases pass up to **${s.furthest ?? "none"}**; **${s.failed}** fails.`
      : `Every phase runs without failing (up to **${s.furthest ?? "none"}**).`,
  );
  out.push(`${s.recommendations} recommendations, ${s.errors} errors.`, "");
  const problems = report.inputs?.problems ?? [];
  if (problems.length > 0) {
    out.push("## Problems reading the files", "");
    for (const f of problems) {
      out.push(...finding(f, o));
    }
    out.push("");
  }
  report.phases.forEach((p, i) => {
    out.push(`## ${i + 1}. ${p.id} ${PHASE_ICON[p.status]} ${p.status}`, "");
    for (const c of p.checks) {
      const icon = c.status === "passed" ? "✅" : c.status === "failed" ? "❌" : "⚠️";
      out.push(`- ${icon} ${escape(c.title)}${c.message ? `: ${escape(c.message)}` : ""}`);
    }
    if (p.checks.length > 0) {
      out.push("");
    }
    if (p.findings.length === 0 && p.checks.length === 0) {
      out.push("_Nothing to do._", "");
      return;
    }
    for (const f of p.findings) {
      out.push(...finding(f, o));
    }
    out.push("");
  });
  return out.join("\n");
}
