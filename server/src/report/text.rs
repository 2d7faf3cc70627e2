//! The seed-style text report: one line per check, `🔮` recommendations, `ℹ️` file notes.

use std::io::Write;

use super::{CheckStatus, PhaseStatus, Report};
use crate::finding::{Finding, Phase, Severity};

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
    if f.blocking {
        return m.fail;
    }
    match f.rule {
        "P011" | "R004" | "U001" => return m.warn,
        _ => {}
    }
    if !f.actions.is_empty() {
        return m.rec;
    }
    match f.severity {
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
    let prefix = if f.rule == "U001" { "Warning: " } else { "" };
    writeln!(out, "{} {}{}", marker(m, f), prefix, f.message)?;
    for d in &f.details {
        writeln!(out, "* {d}")?;
    }
    if locate {
        if let Some(place) = report.place(f) {
            writeln!(out, "   {} {} [{}]", m.at, place, f.rule)?;
        }
    }
    Ok(())
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
    if let Some(c) = &report.cluster {
        writeln!(
            out,
            "{} Read {} resource{} from cluster context \"{}\" (read-only)",
            m.start,
            report.resources,
            if report.resources == 1 { "" } else { "s" },
            c.context
        )?;
    }
    if report.cluster.is_none() {
        let _ = writeln!(
            out,
            "{} Read {} file{}: {} resource{}{}",
            m.start,
            report.files,
            if report.files == 1 { "" } else { "s" },
            report.resources,
            if report.resources == 1 { "" } else { "s" },
            if report.not_objects > 0 {
                format!(
                    " ({} YAML documents are not Kubernetes objects and were ignored)",
                    report.not_objects
                )
            } else {
                String::new()
            }
        );
    }
    for f in &report.inputs {
        if f.severity == Severity::Info && !verbose && f.rule != "YAML-002" {
            continue;
        }
        let mk = match f.severity {
            Severity::Error => m.fail,
            Severity::Warning => m.warn,
            Severity::Info => m.info,
        };
        match report.place(f) {
            Some(place) => {
                writeln!(out, "{mk} {place}: {} [{}]", f.message, f.rule)?;
            }
            None => {
                writeln!(out, "{mk} {} [{}]", f.message, f.rule)?;
            }
        }
    }
    for p in &report.phases {
        let id = p.phase.id();
        if p.status == PhaseStatus::Skipped {
            writeln!(out, "{} Skipping phase {id}: an earlier phase failed (use --ignore-failures to run it anyway).", m.start)?;
            continue;
        }
        writeln!(out, "{} Starting phase {id}...", m.start)?;
        match p.status {
            PhaseStatus::Passed => {
                writeln!(out, "{} Phase {id} succeeded!", m.pass)?;
            }
            PhaseStatus::Failed => {
                writeln!(out, "{} Phase {id} failed!", m.fail)?;
            }
            PhaseStatus::Recommendations => {
                writeln!(out, "{} Phase {id} has recommendations!", m.warn)?;
            }
            PhaseStatus::Skipped => {}
        }
        let check_lines = matches!(p.phase, Phase::PreReqs | Phase::ClusterSetup);
        let mut shown: Vec<*const Finding> = Vec::new();
        for c in &p.checks {
            match c.status {
                CheckStatus::Failed => {
                    let _ = writeln!(
                        out,
                        "{} {} failed: {}",
                        m.fail,
                        c.title,
                        c.findings
                            .iter()
                            .find(|f| f.blocking)
                            .map(|f| f.message.as_str())
                            .unwrap_or("")
                    );
                    if let Some(first) = c.findings.iter().find(|f| f.blocking) {
                        if let Some(place) = report.place(first) {
                            let _ = writeln!(out, "   {} {} [{}]", m.at, place, first.rule);
                        }
                        for d in &first.details {
                            writeln!(out, "* {d}")?;
                        }
                        shown.push(*first as *const Finding);
                    }
                }
                CheckStatus::Unverified => {
                    writeln!(out, "{} {} {}", m.warn, c.title, c.message)?;
                }
                CheckStatus::Passed | CheckStatus::Warning if check_lines => {
                    writeln!(out, "{} {} passed", m.pass, c.title)?;
                }
                _ => {}
            }
        }
        for f in &p.findings {
            if shown.contains(&(*f as *const Finding)) || f.summarized {
                continue;
            }
            if f.severity == Severity::Info && f.actions.is_empty() && !verbose && check_lines {
                // informational pre-req details (platform detected, upstream build) only with -v
                if !matches!(f.rule, "PR-VER-004" | "PR-CNI-020" | "CS-DS-003") {
                    continue;
                }
            }
            finding(
                out,
                report,
                m,
                f,
                verbose || f.severity != Severity::Info || f.blocking || !f.actions.is_empty(),
            )?;
        }
        if p.phase == Phase::DeployWaypoints {
            if let Some(path) = &outputs.waypoints {
                if !report.waypoints.is_empty() {
                    writeln!(out, "{} Generated waypoints are written to {path}", m.info)?;
                }
            }
        }
        if p.phase == Phase::MigratePolicies {
            if let Some(path) = &outputs.policies {
                if !report.policies.is_empty() {
                    writeln!(out, "{} Recommended policies are written to {path}", m.info)?;
                }
            }
            if let Some(path) = &outputs.routes {
                if !report.routes.is_empty() {
                    writeln!(
                        out,
                        "{} HTTPRoute translations of VirtualServices are written to {path}",
                        m.info
                    )?;
                }
            }
        }
    }
    if let Some(path) = &outputs.commands {
        writeln!(out, "{} Commands of this run are written to {path}", m.info)?;
    }
    Ok(())
}
