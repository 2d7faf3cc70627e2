import { strict as assert } from "node:assert";
import { test } from "node:test";
import { isMarkdownReport, statusText, statusTooltip } from "../src/status";

// The report and its summary are computed and rendered by the server (snapshot-tested in
// server/src/report/markdown.rs, and end to end in test/e2e); here only the wording of the
// status bar.

test("phases pass up to a phase, a later one fails", () => {
  const s = { furthest: "deploy-waypoints", failed: "migrate-policies", recommendations: 0, errors: 2 };
  assert.equal(statusText(s), "$(warning) Ambient: deploy-waypoints · 0 recommendations");
  assert.equal(
    statusTooltip(s),
    "Phases pass up to deploy-waypoints.\nFirst failing phase: migrate-policies.\n0 recommendations, 2 errors. Click for the migration report.",
  );
});

test("every phase runs", () => {
  const s = { furthest: "remove-sidecars", failed: null, recommendations: 1, errors: 0 };
  assert.equal(statusText(s), "$(pass) Ambient: remove-sidecars · 1 recommendation");
});

test("a failed first phase", () => {
  const s = { furthest: null, failed: "pre-reqs", recommendations: 3, errors: 1 };
  assert.equal(statusText(s), "$(error) Ambient: pre-reqs fails · 3 recommendations");
  assert.match(statusTooltip(s), /^No phase passes yet\./);
});

test("no phase ran", () => {
  assert.equal(statusText({ furthest: null, failed: null, recommendations: 0, errors: 0 }), "$(circle-slash) Ambient: no phases");
});

test("the Markdown report is told apart from the JSON report of an older server", () => {
  const summary = { furthest: "pre-reqs", failed: null, recommendations: 0, errors: 0 };
  assert.ok(isMarkdownReport({ format: "markdown", markdown: "# x", summary }));
  assert.ok(!isMarkdownReport({ version: 1, phases: [] }));
  assert.ok(!isMarkdownReport(null));
  assert.ok(!isMarkdownReport({ format: "markdown", markdown: "# x" }));
});
