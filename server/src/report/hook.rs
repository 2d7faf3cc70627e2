//! The report of a pre-commit hook: the findings on the changed files only, one line each
//! (`path:line:col: severity[RULE] message`), and a summary that says what was analysed and what
//! was left out. The whole mesh is analysed — a file's findings depend on the rest of it — but
//! a commit is judged only by the findings it can be responsible for.

use std::collections::HashSet;

use super::place::{Placement, Placer};
use super::Report;
use crate::finding::{Finding, Severity};
use crate::model::FileId;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HookSummary {
    /// Findings on the changed files (shown).
    pub shown: usize,
    /// Shown findings at or above the threshold.
    pub failing: usize,
    /// Findings elsewhere in the mesh (not shown).
    pub elsewhere: usize,
}

/// The finding is located in a changed file, or points at one (a related location). A finding
/// without a node of its own counts only when it is placed on what it is about (a resource's
/// name, the namespace's Namespace manifest): a cluster-level finding placed on the control
/// plane, or one placed on the first input file or the first resource of a namespace, was not
/// caused by the file it lands on.
fn touches(f: &Finding, placer: &Placer, changed: &HashSet<FileId>) -> bool {
    placer.place(f).is_some_and(|(l, how)| {
        changed.contains(&l.file)
            && matches!(
                how,
                Placement::Exact | Placement::Resource | Placement::Namespace
            )
    }) || f.related.iter().any(|r| changed.contains(&r.location.file))
}

/// Write the findings of `changed` files; `outside`: changed paths that are not manifests of
/// the mesh, `deleted`: changed paths that no longer exist; `threshold`: the lowest severity that fails the hook
/// (`None`: never fails).
pub fn write(
    out: &mut dyn std::io::Write,
    report: &Report,
    changed: &HashSet<FileId>,
    outside: &[String],
    deleted: &[String],
    threshold: Option<Severity>,
) -> std::io::Result<HookSummary> {
    let placer = Placer::new(report.index);
    let mut sum = HookSummary::default();
    let mut counts = [0usize; 3];
    for f in report.inputs.iter().chain(report.ran_findings()) {
        if !touches(f, &placer, changed) {
            sum.elsewhere += 1;
            continue;
        }
        sum.shown += 1;
        counts[f.severity() as usize] += 1;
        if threshold.is_some_and(|t| f.severity() <= t) {
            sum.failing += 1;
        }
        let mut note = None;
        let (path, line, col) = match placer.place(f) {
            Some((loc, how)) => {
                note = how.note(f);
                let tmp = Finding {
                    location: Some(loc),
                    ..Finding::new(f.rule, "")
                };
                report
                    .position(&tmp)
                    .map(|(p, l, c, _, _)| (p, l, c))
                    .unwrap_or_default()
            }
            None => Default::default(),
        };
        let sev = match f.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        match note {
            Some(n) => writeln!(
                out,
                "{path}:{line}:{col}: {sev}[{}] {} {n}",
                f.rule, f.message
            )?,
            None => writeln!(out, "{path}:{line}:{col}: {sev}[{}] {}", f.rule, f.message)?,
        }
        for d in &f.details {
            writeln!(out, "    {d}")?;
        }
        for r in &f.related {
            let tmp = Finding::new(f.rule, "").at(r.location.file, r.location.span);
            if let Some((p, l, c, _, _)) = report.position(&tmp) {
                writeln!(out, "    {p}:{l}:{c}: {}", r.message)?;
            }
        }
    }
    let changed_files = changed.len();
    writeln!(
        out,
        "ambient-lsp: analysed {} files ({} resources) of the mesh under {}; {} finding(s) on the {} changed manifest(s) ({} error, {} warning, {} note){}.",
        report.files,
        report.resources,
        report.sources.join(", "),
        sum.shown,
        changed_files,
        counts[Severity::Error as usize],
        counts[Severity::Warning as usize],
        counts[Severity::Info as usize],
        match threshold {
            Some(t) => format!("; {} at or above {}", sum.failing, t.as_str()),
            None => String::new(),
        }
    )?;
    if sum.elsewhere > 0 {
        writeln!(
            out,
            "ambient-lsp: {} more finding(s) in files this commit does not change, or about the mesh as a whole, are not shown; run `ambient-lsp migrate --from-files {}` for the whole report.",
            sum.elsewhere,
            report
                .sources
                .iter()
                .map(|s| shell_quote(s))
                .collect::<Vec<_>>()
                .join(" ")
        )?;
    }
    if !deleted.is_empty() {
        writeln!(
            out,
            "ambient-lsp: deleted by this commit (not in the working tree, nothing to analyse): {}",
            deleted.join(", ")
        )?;
    }
    if !outside.is_empty() {
        writeln!(
            out,
            "ambient-lsp: not part of the analysed mesh (not under --from-files, or not *.yaml/*.yml/*.json): {}",
            outside.join(", ")
        )?;
    }
    Ok(sum)
}

/// `s` as one POSIX shell word (single-quoted when it holds anything but safe characters).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shell_words() {
        assert_eq!(super::shell_quote("deploy/"), "deploy/");
        assert_eq!(super::shell_quote("my mesh"), "'my mesh'");
        assert_eq!(super::shell_quote("it's"), "'it'\\''s'");
        assert_eq!(super::shell_quote(""), "''");
    }
}
