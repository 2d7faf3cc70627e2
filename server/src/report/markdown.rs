//! The migration report as Markdown: what the editors show (VS Code's report view, Neovim's
//! `:AmbientReport`), rendered from the same [`Report`] as the text and JSON reports, so that
//! every editor shows one rendering. The language server returns it for
//! `ambient.migrationReport` with `{"format": "markdown"}`, together with the [`Summary`] the
//! status bar shows.

use std::fmt::Write;

use serde::Serialize;

use super::{CheckStatus, PhaseReport, PhaseStatus, Report};
use crate::finding::{Action, Finding, Severity};
use crate::rules::Rule;

/// The report in one line: how far the phases get, and how much is left to do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The last phase of the unbroken run of phases that ran and did not fail (`None`: the
    /// first phase failed, or none ran).
    pub furthest: Option<&'static str>,
    /// The first phase that failed.
    pub failed: Option<&'static str>,
    /// Findings of the phases that come with a fix (a code action or a command).
    pub recommendations: usize,
    /// Findings of the phases with severity error.
    pub errors: usize,
}

pub fn summary(report: &Report) -> Summary {
    let mut s = Summary::default();
    for p in &report.phases {
        if s.failed.is_none() {
            match p.status {
                PhaseStatus::Failed => s.failed = Some(p.phase.id()),
                PhaseStatus::Skipped => {}
                PhaseStatus::Passed | PhaseStatus::Recommendations => {
                    s.furthest = Some(p.phase.id())
                }
            }
        }
        for f in &p.findings {
            s.recommendations += usize::from(!f.actions.is_empty());
            s.errors += usize::from(f.severity() == Severity::Error);
        }
    }
    s
}

/// What the locations of findings link to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Links {
    /// Plain text, no links at all (not even to the rules' documentation): for editors that
    /// show the Markdown source, such as Neovim's report buffer.
    None,
    /// `file:///abs/path#L<line>,<column>`: any Markdown viewer.
    #[default]
    File,
    /// `/path/in/the/first/root#L<line>,<column>`: VS Code's Markdown preview resolves a
    /// leading `/` against the first workspace folder and opens the file at that position
    /// (it refuses `file:` links). Files outside the first root get no link.
    Workspace,
}

impl Links {
    pub fn parse(s: &str) -> Option<Links> {
        match s {
            "none" => Some(Links::None),
            "file" => Some(Links::File),
            "workspace" => Some(Links::Workspace),
            _ => None,
        }
    }
}

/// How paths and locations are shown.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Paths under one of these directories are shown relative to it (the workspace roots).
    pub roots: Vec<String>,
    /// Links of locations; rule ids link to their documentation unless `Links::None`.
    pub links: Links,
    /// The documentation of the rules (`docs/rules.md`); anchors are the lower-case rule ids.
    pub docs_url: String,
}

fn phase_icon(s: PhaseStatus) -> &'static str {
    match s {
        PhaseStatus::Passed => "✅",
        PhaseStatus::Failed => "❌",
        PhaseStatus::Recommendations => "⚠️",
        PhaseStatus::Skipped => "⏭️",
    }
}

fn severity_icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Info => "ℹ️",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text as Markdown shows it literally: one line, with Markdown's special characters escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A code span that holds `s` whatever backticks it contains.
fn code(s: &str) -> String {
    let s = s.replace(['\r', '\n'], " ");
    let mut ticks = 1;
    while s.contains(&"`".repeat(ticks)) {
        ticks += 1;
    }
    let fence = "`".repeat(ticks);
    if s.starts_with('`') || s.ends_with('`') {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// A path as the path of a URI (`/`-separated, percent-encoded as RFC 3986 wants).
fn uri_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::new();
    if !path.starts_with('/') {
        out.push('/');
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// A `file://` URI of an absolute path.
pub fn file_uri(path: &str) -> String {
    format!("file://{}", uri_path(path))
}

/// `path` relative to the directory `root`, if it is under it.
fn relative<'p>(root: &str, path: &'p str) -> Option<&'p str> {
    let root = root.trim_end_matches(['/', '\\']);
    path.strip_prefix(root)?
        .strip_prefix(['/', '\\'])
        .filter(|rel| !rel.is_empty())
}

struct Renderer<'r, 'a> {
    report: &'r Report<'a>,
    o: &'r Options,
    out: String,
}

impl Renderer<'_, '_> {
    fn line(&mut self, s: impl AsRef<str>) {
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    fn display(&self, path: &str) -> String {
        self.o
            .roots
            .iter()
            .find_map(|root| relative(root, path))
            .unwrap_or(path)
            .to_string()
    }

    fn rule(&self, rule: &Rule) -> String {
        let id = rule.id;
        if self.o.links != Links::None && !self.o.docs_url.is_empty() {
            format!("[**{id}**]({}#{})", self.o.docs_url, rule.docs_anchor())
        } else {
            format!("**{id}**")
        }
    }

    fn location(&self, f: &Finding) -> String {
        let Some((path, line, col, _, _)) = self.report.position(f) else {
            return String::new();
        };
        if super::is_cluster_path(&path) {
            // an object of a live cluster: no file to link to
            return format!(" — {}", escape(&path));
        }
        let shown = escape(&format!("{}:{line}:{col}", self.display(&path)));
        let target = match self.o.links {
            Links::None => None,
            Links::File => std::path::Path::new(&path)
                .is_absolute()
                .then(|| file_uri(&path)),
            Links::Workspace => self
                .o
                .roots
                .first()
                .and_then(|root| relative(root, &path))
                .map(uri_path),
        };
        match target {
            Some(t) => format!(" — [{shown}]({t}#L{line},{col})"),
            None => format!(" — {shown}"),
        }
    }

    fn finding(&mut self, f: &Finding) {
        let head = format!(
            "- {} {} {}{}",
            severity_icon(f.severity()),
            self.rule(f.rule),
            escape(&f.message),
            self.location(f)
        );
        self.line(head);
        for d in &f.details {
            self.line(format!("  - {}", escape(d)));
        }
        for a in &f.actions {
            match a {
                Action::Label { command, .. }
                | Action::Delete { command, .. }
                | Action::Restart { command, .. } => self.line(format!("  - {}", code(command))),
                Action::LabelTemplate { commands, .. } => {
                    for c in commands {
                        self.line(format!("  - {}", code(c)));
                    }
                }
                Action::Manual { step, .. } => self.line(format!("  - by hand: {}", escape(step))),
                Action::DeployWaypoint {
                    namespace,
                    waypoint,
                    ..
                } => self.line(format!(
                    "  - deploy the waypoint {} (`recommended-waypoints.yaml`)",
                    code(&format!("{namespace}/{waypoint}"))
                )),
                Action::Apply { resource, .. } => self.line(format!(
                    "  - apply {} {} (`{}`)",
                    resource.kind(),
                    code(&format!("{}/{}", resource.namespace(), resource.name())),
                    f.rule.apply_file.name()
                )),
            }
        }
    }

    fn render(mut self) -> String {
        self.overview();
        let r = self.report;
        if !r.inputs.is_empty() {
            self.line("## Problems reading the files");
            self.line("");
            for f in &r.inputs {
                self.finding(f);
            }
            self.line("");
        }
        for (i, p) in r.phases.iter().enumerate() {
            self.phase(i + 1, p);
        }
        self.out
    }

    /// The title, the counts and the table of phases.
    fn overview(&mut self) {
        let r = self.report;
        let s = summary(r);
        self.line("# Ambient migration report");
        self.line("");
        self.line(format!(
            "{}, {}.",
            plural(r.files, "file", "files"),
            plural(r.resources, "resource", "resources")
        ));
        self.line(match (s.furthest, s.failed) {
            (_, None) => format!(
                "Every phase runs without failing (up to **{}**).",
                s.furthest.unwrap_or("none")
            ),
            (Some(ok), Some(bad)) => format!("Phases pass up to **{ok}**; **{bad}** fails."),
            (None, Some(bad)) => format!("The first phase, **{bad}**, fails."),
        });
        self.line(format!(
            "{}, {}.",
            plural(s.recommendations, "recommendation", "recommendations"),
            plural(s.errors, "error", "errors")
        ));
        self.line("");
        self.line("| Phase | Status | Findings |");
        self.line("| --- | --- | --- |");
        for (i, p) in r.phases.iter().enumerate() {
            self.line(format!(
                "| {}. {} | {} {} | {} |",
                i + 1,
                p.phase.id(),
                phase_icon(p.status),
                p.status.as_str(),
                p.findings.len()
            ));
        }
        self.line("");
    }

    /// The section of phase number `n`: its checks, then its findings.
    fn phase(&mut self, n: usize, p: &PhaseReport) {
        self.line(format!(
            "## {n}. {} {} {}",
            p.phase.id(),
            phase_icon(p.status),
            p.status.as_str()
        ));
        self.line("");
        if p.status == PhaseStatus::Skipped {
            self.line("_Not run: an earlier phase failed._");
            self.line("");
            return;
        }
        for c in &p.checks {
            let icon = match c.status {
                CheckStatus::Passed => "✅",
                CheckStatus::Failed => "❌",
                CheckStatus::Warning => "⚠️",
                CheckStatus::Unverified => "❔",
            };
            let msg = if c.message.is_empty() {
                String::new()
            } else {
                format!(": {}", escape(&c.message))
            };
            self.line(format!("- {icon} {}{msg}", escape(c.title)));
        }
        if !p.checks.is_empty() {
            self.line("");
        }
        if p.findings.is_empty() && p.checks.is_empty() {
            self.line("_Nothing to do._");
            self.line("");
            return;
        }
        for f in &p.findings {
            self.finding(f);
        }
        if !p.findings.is_empty() {
            self.line("");
        }
    }
}

/// The report as Markdown: a summary, a table of the phases, the problems reading the files,
/// then one section per phase with its checks and findings (location, details, fixes).
pub fn render(report: &Report, options: &Options) -> String {
    Renderer {
        report,
        o: options,
        out: String::new(),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Options as PhaseOptions;
    use crate::engine::Analysis;
    use crate::index::{FileData, Index};
    use crate::report::{build, ReportOptions};
    use crate::yaml::Limits;

    /// Every manifest of `examples/mesh`, under the root `/ws`.
    fn example() -> Index {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/mesh");
        let mut files = crate::sources::expand(std::slice::from_ref(&dir)).expect("examples/mesh");
        files.sort();
        assert!(files.len() > 5, "examples/mesh: {files:?}");
        let mut index = Index::new();
        for f in files {
            let rel = f
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let path = format!("/ws/{rel}");
            let text = std::fs::read_to_string(&f).unwrap();
            let id = index.id_for(&path);
            index.upsert(FileData::parse(id, path, text, &Limits::default()));
        }
        index
    }

    fn render_example(opts: ReportOptions, o: &Options) -> (String, Summary) {
        let index = example();
        let analysis = Analysis::run(&index, &PhaseOptions::default());
        let rep = build(&index, &analysis, &opts);
        (render(&rep, o), summary(&rep))
    }

    #[test]
    fn example_report() {
        let o = Options {
            roots: vec!["/ws".into()],
            links: Links::File,
            docs_url: "https://example.test/rules.md".into(),
        };
        let all = ReportOptions {
            ignore_failures: true,
            ..Default::default()
        };
        let (md, s) = render_example(all, &o);
        assert_eq!(s.furthest, Some("policy-simplification"));
        assert_eq!(s.failed, Some("remove-sidecars"));
        insta::assert_snapshot!("example_markdown", md);
    }

    #[test]
    fn workspace_links_are_relative_to_the_first_root() {
        let all = || ReportOptions {
            ignore_failures: true,
            ..Default::default()
        };
        let o = |roots: &[&str]| Options {
            roots: roots.iter().map(|r| r.to_string()).collect(),
            links: Links::Workspace,
            docs_url: "https://example.test/rules.md".into(),
        };
        let (md, _) = render_example(all(), &o(&["/ws/"]));
        assert!(
            md.contains(" — [bookinfo/namespace.yaml:4:9](/bookinfo/namespace.yaml#L4,9)"),
            "{md}"
        );
        assert!(md.contains("(https://example.test/rules.md#w020)"), "{md}");
        assert!(!md.contains("file://"), "{md}");
        // under a second root: shown relative to it, but not linked
        let (md, _) = render_example(all(), &o(&["/elsewhere", "/ws"]));
        assert!(md.contains(" — bookinfo/namespace.yaml:4:9\n"), "{md}");
        assert!(!md.contains("](/"), "{md}");
    }

    #[test]
    fn example_report_stopped_at_the_failed_phase_without_links() {
        // the CLI's default run stops at a failed phase; the later ones are skipped
        let (md, s) = render_example(
            ReportOptions {
                up_to: Some(crate::finding::Phase::RemoveSidecars),
                ..Default::default()
            },
            &Options {
                links: Links::None,
                ..Default::default()
            },
        );
        assert_eq!(s.failed, Some("remove-sidecars"));
        assert!(!md.contains("file://"), "{md}");
        assert!(!md.contains("](http"), "{md}");
        assert!(md.contains("- ❌ **R"), "{md}");
        assert!(
            md.contains("/ws/bookinfo/"),
            "paths stay absolute without roots: {md}"
        );
    }

    #[test]
    fn summary_of_a_failed_first_phase() {
        use crate::finding::Phase;
        use crate::report::{PhaseReport, Report};
        let index = Index::new();
        let phase = |phase, status| PhaseReport {
            phase,
            status,
            checks: vec![],
            findings: vec![],
        };
        let rep = Report {
            index: &index,
            inputs: vec![],
            phases: vec![
                phase(Phase::PreReqs, PhaseStatus::Failed),
                phase(Phase::ClusterSetup, PhaseStatus::Skipped),
            ],
            sources: vec![],
            files: 1,
            resources: 1,
            not_objects: 0,
            waypoints: vec![],
            policies: vec![],
            routes: vec![],
            cluster: None,
        };
        let s = summary(&rep);
        assert_eq!((s.furthest, s.failed), (None, Some("pre-reqs")));
        let md = render(&rep, &Options::default());
        assert!(md.contains("1 file, 1 resource."), "{md}");
        assert!(md.contains("The first phase, **pre-reqs**, fails."), "{md}");
        assert!(
            md.contains("## 2. cluster-setup ⏭️ skipped\n\n_Not run"),
            "{md}"
        );
    }

    #[test]
    fn markdown_in_messages_is_shown_literally() {
        assert_eq!(
            escape("uses *retries* and [subset] <v1> | #x\nnext"),
            r"uses \*retries\* and \[subset\] \<v1\> \| \#x next"
        );
        assert_eq!(code("kubectl get x"), "`kubectl get x`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`x`"), "`` `x` ``");
    }

    #[test]
    fn file_uris_are_percent_encoded() {
        assert_eq!(file_uri("/ws/a b/c#d.yaml"), "file:///ws/a%20b/c%23d.yaml");
        assert_eq!(file_uri(r"C:\ws\x.yaml"), "file:///C:/ws/x.yaml");
        assert_eq!(file_uri("/ws/ü.yaml"), "file:///ws/%C3%BC.yaml");
    }
}
