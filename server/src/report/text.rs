//! The seed-style text report: one line per check, `🔮` recommendations, `ℹ️` file notes.

use std::io::Write;

use super::{CheckStatus, PhaseReport, PhaseStatus, Report};
use crate::finding::{Finding, Phase, Severity};
use crate::rules::TextStyle;

#[derive(Clone, Copy)]
pub struct Markers {
    pub start: &'static str,
    pub pass: &'static str,
    pub fail: &'static str,
    pub warn: &'static str,
    pub rec: &'static str,
    pub info: &'static str,
    pub at: &'static str,
}

pub const EMOJI: Markers = Markers {
    start: "•",
    pass: "✅",
    fail: "❌",
    warn: "⚠️",
    rec: "🔮",
    info: "ℹ️",
    at: "↳",
};

pub const ASCII: Markers = Markers {
    start: "==>",
    pass: "[OK]",
    fail: "[FAIL]",
    warn: "[WARN]",
    rec: "[REC]",
    info: "[INFO]",
    at: "at",
};

#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub waypoints: Option<String>,
    pub policies: Option<String>,
    pub commands: Option<String>,
    pub routes: Option<String>,
}

fn marker<'m>(m: &'m Markers, f: &Finding) -> &'m str {
    if f.blocking() {
        return m.fail;
    }
    if matches!(f.rule.text, TextStyle::WarnMarker | TextStyle::WarningLine) {
        return m.warn;
    }
    if !f.actions.is_empty() {
        return m.rec;
    }
    match f.severity() {
        Severity::Error | Severity::Warning => m.warn,
        Severity::Info => m.info,
    }
}

fn finding(
    out: &mut dyn Write,
    report: &Report,
    m: &Markers,
    f: &Finding,
    locate: bool,
) -> std::io::Result<()> {
    let prefix = if f.rule.text == TextStyle::WarningLine {
        "Warning: "
    } else {
        ""
    };
    writeln!(out, "{} {}{}", marker(m, f), prefix, clean(&f.message))?;
    for d in &f.details {
        writeln!(out, "* {}", clean(d))?;
    }
    if locate {
        if let Some(place) = report.place(f) {
            writeln!(out, "   {} {} [{}]", m.at, clean(&place), f.rule.id)?;
        }
    }
    Ok(())
}

/// Text as one line that reads as it is stored: names and values may come from a cluster (or
/// a file) written by someone else, and a newline, a carriage return, an escape sequence or a
/// bidirectional override (U+202E) in them would forge or reorder report lines. Those are
/// written as escapes (`\n`, `\u{202e}`); JSON and SARIF escape in their own way.
pub fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if bad(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An informational finding the report prints only with `--verbose`.
fn hidden_without_verbose(f: &Finding, verbose: bool) -> bool {
    f.severity() == Severity::Info && !verbose && f.rule.text != TextStyle::Shown
}

/// Render to a string (tests, the language server's report command).
pub fn render(report: &Report, m: &Markers, outputs: &Outputs, verbose: bool) -> String {
    let mut buf = Vec::new();
    write(&mut buf, report, m, outputs, verbose).expect("writing to memory");
    String::from_utf8(buf).expect("UTF-8")
}

/// Render straight to `out` (the CLI streams to stdout).
pub fn write(
    out: &mut dyn Write,
    report: &Report,
    m: &Markers,
    outputs: &Outputs,
    verbose: bool,
) -> std::io::Result<()> {
    header(out, report, m)?;
    for f in &report.inputs {
        if !hidden_without_verbose(f, verbose) {
            input_problem(out, report, m, f)?;
        }
    }
    for p in &report.phases {
        phase(out, report, m, outputs, verbose, p)?;
    }
    if let Some(path) = &outputs.commands {
        writeln!(out, "{} Commands of this run are written to {path}", m.info)?;
    }
    Ok(())
}

/// `Read 3 files: 12 resources`, or `Read 12 resources from cluster context "kind"`.
fn header(out: &mut dyn Write, report: &Report, m: &Markers) -> std::io::Result<()> {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if let Some(c) = &report.cluster {
        return writeln!(
            out,
            "{} Read {} resource{} from cluster context \"{}\" (read-only)",
            m.start,
            report.resources,
            plural(report.resources),
            c.context
        );
    }
    let ignored = if report.not_objects > 0 {
        format!(
            " ({} YAML documents are not Kubernetes objects and were ignored)",
            report.not_objects
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} Read {} file{}: {} resource{}{ignored}",
        m.start,
        report.files,
        plural(report.files),
        report.resources,
        plural(report.resources),
    )
}

fn input_problem(
    out: &mut dyn Write,
    report: &Report,
    m: &Markers,
    f: &Finding,
) -> std::io::Result<()> {
    let mk = match f.severity() {
        Severity::Error => m.fail,
        Severity::Warning => m.warn,
        Severity::Info => m.info,
    };
    match report.place(f) {
        Some(place) => writeln!(
            out,
            "{mk} {}: {} [{}]",
            clean(&place),
            clean(&f.message),
            f.rule.id
        )?,
        None => writeln!(out, "{mk} {} [{}]", clean(&f.message), f.rule.id)?,
    }
    for d in &f.details {
        writeln!(out, "* {}", clean(d))?;
    }
    Ok(())
}

/// One phase: its status, its check lines, its findings, and where its files went.
fn phase(
    out: &mut dyn Write,
    report: &Report,
    m: &Markers,
    outputs: &Outputs,
    verbose: bool,
    p: &PhaseReport,
) -> std::io::Result<()> {
    let id = p.phase.id();
    if p.status == PhaseStatus::Skipped {
        return writeln!(out, "{} Skipping phase {id}: an earlier phase failed (use --ignore-failures to run it anyway).", m.start);
    }
    writeln!(out, "{} Starting phase {id}...", m.start)?;
    match p.status {
        PhaseStatus::Passed => writeln!(out, "{} Phase {id} succeeded!", m.pass)?,
        PhaseStatus::Failed => writeln!(out, "{} Phase {id} failed!", m.fail)?,
        PhaseStatus::Recommendations => {
            writeln!(out, "{} Phase {id} has recommendations!", m.warn)?
        }
        PhaseStatus::Skipped => {}
    }
    // pre-reqs and cluster-setup print a line per check, as the seed does
    let check_lines = matches!(p.phase, Phase::PreReqs | Phase::ClusterSetup);
    let shown = checks(out, report, m, p, check_lines)?;
    for f in &p.findings {
        if shown.contains(&(*f as *const Finding)) || f.summarized {
            continue;
        }
        if check_lines && f.actions.is_empty() && hidden_without_verbose(f, verbose) {
            // informational pre-req details only with -v
            continue;
        }
        let locate =
            verbose || f.severity() != Severity::Info || f.blocking() || !f.actions.is_empty();
        finding(out, report, m, f, locate)?;
    }
    let written = |objects: &[&crate::finding::Object], path: &Option<String>, what: &str| {
        path.as_ref()
            .filter(|_| !objects.is_empty())
            .map(|path| format!("{what} are written to {path}"))
    };
    let lines = match p.phase {
        Phase::DeployWaypoints => vec![written(
            &report.waypoints,
            &outputs.waypoints,
            "Generated waypoints",
        )],
        Phase::MigratePolicies => vec![
            written(&report.policies, &outputs.policies, "Recommended policies"),
            written(
                &report.routes,
                &outputs.routes,
                "HTTPRoute translations of VirtualServices",
            ),
        ],
        _ => Vec::new(),
    };
    for line in lines.into_iter().flatten() {
        writeln!(out, "{} {line}", m.info)?;
    }
    Ok(())
}

/// The check lines of a phase: a failed check with its first blocking finding (returned, so
/// it is not printed twice), a passed one when the phase prints check lines.
fn checks(
    out: &mut dyn Write,
    report: &Report,
    m: &Markers,
    p: &PhaseReport,
    check_lines: bool,
) -> std::io::Result<Vec<*const Finding>> {
    let mut shown: Vec<*const Finding> = Vec::new();
    for c in &p.checks {
        match c.status {
            CheckStatus::Failed => {
                let first = c.findings.iter().find(|f| f.blocking());
                let message = first.map(|f| f.message.as_str()).unwrap_or("");
                writeln!(out, "{} {} failed: {}", m.fail, c.title, clean(message))?;
                if let Some(first) = first {
                    if let Some(place) = report.place(first) {
                        writeln!(out, "   {} {} [{}]", m.at, clean(&place), first.rule.id)?;
                    }
                    for d in &first.details {
                        writeln!(out, "* {}", clean(d))?;
                    }
                    shown.push(*first as *const Finding);
                }
            }
            CheckStatus::Unverified => {
                writeln!(out, "{} {} {}", m.warn, c.title, clean(&c.message))?;
            }
            CheckStatus::Passed | CheckStatus::Warning if check_lines => {
                writeln!(out, "{} {} passed", m.pass, c.title)?;
            }
            _ => {}
        }
    }
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(clean("reviews-v1"), "reviews-v1");
        assert_eq!(clean("ünïcode ok"), "ünïcode ok");
        assert_eq!(clean("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(clean("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(clean("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(
            clean("\u{2066}a\u{2069}\u{200f}"),
            "\\u{2066}a\\u{2069}\\u{200f}"
        );
    }
}
