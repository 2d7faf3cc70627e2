//! What code-scanning tools want to know about a rule beyond the registry (`crate::rules`):
//! a `name`, its documentation from `docs/rules.md` (embedded at build time), tags,
//! `precision` and, for rules whose findings weaken authorization or authentication, a
//! `security-severity`.
//!
//! Kept as a table keyed by rule id, apart from the registry, so that it can be folded into the
//! typed rule registry later; `tests` below check that it names only registered rules.

use crate::finding::Severity;
use crate::rules::RuleInfo;

/// `docs/rules.md`, embedded: the SARIF `help` of every rule comes from here, so the two cannot
/// drift (a test checks that every rule has a section).
pub const RULES_MD: &str = include_str!("../../../docs/rules.md");

/// Rules whose findings weaken authorization or authentication if ignored, with their
/// `security-severity` (GitHub: ≥ 9 critical, ≥ 7 high, ≥ 4 medium, else low) and why.
pub const SECURITY: &[(&str, f32, &str)] = &[
    (
        "W009",
        7.5,
        "DENY rules with HTTP attributes may never match at ztunnel",
    ),
    (
        "W010",
        9.0,
        "CUSTOM authorization stops being called (fail-open)",
    ),
    ("W011", 3.0, "AUDIT logging of authorization stops"),
    ("W012", 6.5, "JWTs would no longer be validated"),
    (
        "W018",
        5.0,
        "clients of a headless service bypass the waypoint's policies",
    ),
    (
        "W019",
        6.0,
        "egress traffic bypasses the egress gateway's controls",
    ),
    (
        "P001",
        6.0,
        "L7 authorization is lost unless copied to the waypoint",
    ),
    (
        "P002",
        6.0,
        "L7 authorization is lost unless copied to the waypoint",
    ),
    (
        "P003",
        6.0,
        "mesh-wide authorization is lost unless copied to the waypoints",
    ),
    (
        "P006",
        6.5,
        "namespace/IP checks see the waypoint instead of the client",
    ),
    (
        "P007",
        6.0,
        "JWT validation is lost unless copied to the waypoint",
    ),
    (
        "P012",
        6.5,
        "PeerAuthentication DISABLE/PERMISSIVE semantics change",
    ),
    ("P015", 7.0, "ingress traffic skips the waypoint's policies"),
    (
        "P016",
        4.0,
        "principal matching changes with trust-domain aliases",
    ),
    ("P017", 4.0, "a dry-run policy may be enforced or ignored"),
    (
        "U008",
        7.5,
        "traffic would reach the waypoint before its policies",
    ),
    (
        "S002",
        5.0,
        "listed clients can bypass the waypoint while the policy stays",
    ),
    (
        "S009",
        7.0,
        "deleting the policy early leaves sidecar pods unprotected",
    ),
];

/// Rules that are inferred from partial information (platform detection, predictions from
/// injection webhooks, heuristics): `precision: medium`. Input problems are `very-high`; the
/// rest `high`.
const MEDIUM_PRECISION: &[&str] = &[
    "PR-CNI-012",
    "PR-CNI-020",
    "PR-VER-003",
    "PR-MC-004",
    "PR-SPIRE-003",
    "W006",
    "W007",
    "W018",
    "W022",
    "P016",
    "P017",
    "R006",
    "R008",
];

pub fn security_severity(id: &str) -> Option<f32> {
    SECURITY
        .iter()
        .find(|(r, _, _)| *r == id)
        .map(|(_, s, _)| *s)
}

pub fn precision(r: &RuleInfo) -> &'static str {
    if r.phase == crate::finding::Phase::Input {
        "very-high"
    } else if MEDIUM_PRECISION.contains(&r.id) {
        "medium"
    } else {
        "high"
    }
}

/// `properties.tags`: the phase, the check, `ambient-migration`, and `security` where a finding
/// weakens authorization.
pub fn tags(r: &RuleInfo) -> Vec<&'static str> {
    let mut t = vec!["ambient-migration", r.phase.id(), r.check];
    if security_severity(r.id).is_some() {
        t.push("security");
    }
    t.dedup();
    t
}

/// GitHub's `problem.severity` for non-security alerts.
pub fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "recommendation",
    }
}

/// An identifier-like name from the summary: `VirtualServiceHttpRoutingNeedsAWaypoint`.
pub fn name(r: &RuleInfo) -> String {
    let mut out = String::new();
    for w in r
        .summary
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(10)
    {
        let mut cs = w.chars();
        if let Some(c) = cs.next() {
            out.push(c.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    out
}

/// The section of `docs/rules.md` for a rule: the markdown below its `### ID` heading, up to
/// the next heading. `None` if the rule is not documented.
pub fn doc_section(id: &str) -> Option<&'static str> {
    let heading = format!("### {id}\n");
    let at = RULES_MD.find(&heading)? + heading.len();
    let rest = &RULES_MD[at..];
    let mut end = rest.len();
    // the next heading outside a code fence
    let mut fence = false;
    let mut off = 0;
    for line in rest.split_inclusive('\n') {
        if line.starts_with("```") {
            fence = !fence;
        } else if !fence && (line.starts_with("### ") || line.starts_with("## ")) {
            end = off;
            break;
        }
        off += line.len();
    }
    let s = rest[..end].trim();
    // a trailing `---` separator belongs to the page, not the rule
    Some(s.strip_suffix("---").map(str::trim_end).unwrap_or(s))
}

/// Markdown → plain text, as far as a SARIF `text` needs: emphasis and code markers removed,
/// code blocks kept (indented).
pub fn plain(md: &str) -> String {
    let mut out = String::new();
    let mut fence = false;
    for line in md.lines() {
        if line.starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence {
            out.push_str("    ");
            out.push_str(line);
        } else {
            out.push_str(&line.replace("**", "").replace(['*', '`'], ""));
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// `fullDescription`: the first paragraph of the rule's section, as plain text.
pub fn full_description(r: &RuleInfo) -> String {
    doc_section(r.id)
        .and_then(|s| s.split("\n\n").next())
        .map(|p| {
            let p = p.split("\n```").next().unwrap_or(p);
            plain(p).split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| r.summary.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RULES;

    #[test]
    fn every_rule_has_documentation_and_metadata() {
        for r in RULES {
            let s = doc_section(r.id).unwrap_or_else(|| panic!("{} not in docs/rules.md", r.id));
            assert!(s.contains("```"), "{}: no example", r.id);
            assert!(!s.contains("\n### "), "{}: section overruns", r.id);
            assert!(!full_description(r).is_empty());
            assert!(!name(r).is_empty() && name(r).chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn tables_name_only_registered_rules() {
        for (id, sev, why) in SECURITY {
            assert!(crate::rules::try_rule(id).is_some(), "{id}");
            assert!((0.0..=10.0).contains(sev) && !why.is_empty());
        }
        for id in MEDIUM_PRECISION {
            assert!(crate::rules::try_rule(id).is_some(), "{id}");
        }
    }

    #[test]
    fn sections_follow_the_markdown_on_disk() {
        // the embedded copy is the file of this checkout (no stale build)
        let disk = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md"),
        )
        .unwrap();
        assert_eq!(disk, RULES_MD);
        let w010 = doc_section("W010").unwrap();
        assert!(w010.starts_with("**CUSTOM policy.**"), "{w010}");
        assert!(w010.contains("provider: {name: opa}"));
        assert!(!w010.contains("W011"));
        assert!(plain(w010).contains("    provider: {name: opa}"));
        assert_eq!(
            name(crate::rules::rule("W001")),
            "VirtualServiceHTTPRoutingNeedsAWaypoint"
        );
    }
}
