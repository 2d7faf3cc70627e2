//! What code-scanning tools want to know about a rule that is derived from the registry
//! (`crate::rules`, which holds its precision and security severity): a `name`, its
//! documentation from `docs/rules.md` (embedded at build time) and tags.

use crate::finding::Severity;
use crate::rules::Rule;

/// `docs/rules.md`, embedded: the SARIF `help` of every rule comes from here, so the two cannot
/// drift (a test checks that every rule has a section).
pub const RULES_MD: &str = include_str!("../../../docs/rules.md");

/// `properties.tags`: the phase, the check, `ambient-migration`, and `security` where a finding
/// weakens authorization.
pub fn tags(r: &Rule) -> Vec<&'static str> {
    let mut t = vec!["ambient-migration", r.phase().id(), r.check.id];
    if r.security.is_some() {
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
pub fn name(r: &Rule) -> String {
    let mut out = String::new();
    for w in r
        .title
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
            out.push_str(&plain_line(line));
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// One line of Markdown as text: emphasis markers removed outside code spans, code span markers
/// removed, their content kept as written (`request.auth.*` keeps its `*`).
fn plain_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut code = false;
    for c in line.chars() {
        match c {
            '`' => code = !code,
            '*' if !code => {}
            _ => out.push(c),
        }
    }
    out
}

/// `fullDescription`: the first paragraph of the rule's section, as plain text.
pub fn full_description(r: &Rule) -> String {
    doc_section(r.id)
        .and_then(|s| s.split("\n\n").next())
        .map(|p| {
            let p = p.split("\n```").next().unwrap_or(p);
            plain(p).split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| r.title.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    #[test]
    fn every_rule_has_documentation_and_metadata() {
        for r in rules::ids() {
            let s = doc_section(r.id).unwrap_or_else(|| panic!("{} not in docs/rules.md", r.id));
            assert!(s.contains("```"), "{}: no example", r.id);
            assert!(!s.contains("\n### "), "{}: section overruns", r.id);
            assert!(!full_description(r).is_empty());
            assert!(!name(r).is_empty() && name(r).chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn plain_text_keeps_what_code_spans_say() {
        assert_eq!(
            plain("**Copy.** *warning.* DENY `notRequestPrincipals: [\"*\"]` and `request.auth.*`"),
            "Copy. warning. DENY notRequestPrincipals: [\"*\"] and request.auth.*"
        );
    }

    #[test]
    fn sections_follow_the_markdown_on_disk() {
        // the embedded copy is the file of this checkout (no stale build)
        let disk = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md"),
        )
        .unwrap();
        assert_eq!(disk, RULES_MD);
        let w010 = doc_section(rules::W010.id).unwrap();
        assert!(w010.starts_with("**CUSTOM policy.**"), "{w010}");
        assert!(w010.contains("provider: {name: opa}"));
        assert!(!w010.contains(rules::W011.id));
        assert!(plain(w010).contains("    provider: {name: opa}"));
        assert_eq!(
            name(&rules::W001),
            "VirtualServiceHTTPRoutingNeedsAWaypoint"
        );
    }
}
