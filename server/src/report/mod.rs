//! Reports: phase statuses from findings, and the renderings (seed-style text, the JSON report
//! of the contract, SARIF 2.1.0, Markdown for the editors). Also the recommended files.

pub mod hook;
pub mod identity;
pub mod json;
pub mod markdown;
pub mod place;
pub mod rule_meta;
pub mod sarif;
pub mod text;
pub mod uri;

use std::collections::BTreeSet;

use crate::engine::Analysis;
use crate::finding::{Action, Finding, Phase, Severity};
use crate::index::Index;
use crate::rules;
use crate::yaml::Encoding;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseStatus {
    Passed,
    Failed,
    Recommendations,
    Skipped,
}

impl PhaseStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            PhaseStatus::Passed => "passed",
            PhaseStatus::Failed => "failed",
            PhaseStatus::Recommendations => "recommendations",
            PhaseStatus::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    Passed,
    Failed,
    Warning,
    /// Cluster input only: a kind the check needs could not be read (403, timeout).
    Unverified,
}

impl CheckStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::Warning => "warning",
            CheckStatus::Unverified => "unverified",
        }
    }
}

/// Where the input of a cluster run came from (see `cluster::cli`).
#[derive(Clone, Debug, Default)]
pub struct ClusterInput {
    pub context: String,
    /// Checks that could not be evaluated, with the reason (`cluster::unverified`).
    pub unverified: Vec<(String, String)>,
}

/// Whether a file path is a cluster object's `cluster://` URI (located by URI, not line).
pub fn is_cluster_path(path: &str) -> bool {
    path.starts_with("cluster://")
}

pub struct CheckReport<'a> {
    pub id: &'static str,
    pub title: &'static str,
    pub status: CheckStatus,
    pub message: String,
    pub findings: Vec<&'a Finding>,
}

pub struct PhaseReport<'a> {
    pub phase: Phase,
    pub status: PhaseStatus,
    pub checks: Vec<CheckReport<'a>>,
    pub findings: Vec<&'a Finding>,
}

pub struct Report<'a> {
    pub index: &'a Index,
    pub inputs: Vec<&'a Finding>,
    pub phases: Vec<PhaseReport<'a>>,
    /// Paths given on the command line.
    pub sources: Vec<String>,
    pub files: usize,
    pub resources: usize,
    pub not_objects: usize,
    /// Objects of `recommended-waypoints.yaml` and `recommended-policies.yaml` (report order,
    /// deduplicated).
    pub waypoints: Vec<&'a crate::finding::Object>,
    pub policies: Vec<&'a crate::finding::Object>,
    /// Objects of `recommended-routes.yaml`: the HTTPRoute translations (RT-001).
    pub routes: Vec<&'a crate::finding::Object>,
    /// Set when the input is a live cluster.
    pub cluster: Option<ClusterInput>,
}

#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    pub ignore_failures: bool,
    /// Run up to and including this phase.
    pub up_to: Option<Phase>,
    pub sources: Vec<String>,
}

/// Order: rule order in the registry, then the resource (namespace, kind, name), then file
/// path, then position, then message. Resource first: the same input gives the same order
/// whether it comes from files in any layout or from a cluster.
fn order(
    ranks: &std::collections::HashMap<crate::model::FileId, u32>,
    a: &Finding,
    b: &Finding,
) -> std::cmp::Ordering {
    let pos = |f: &Finding| f.rule.position();
    let res = |f: &Finding| {
        f.resource
            .as_ref()
            .map(|r| (r.namespace.clone(), r.kind.clone(), r.name.clone()))
    };
    let loc = |f: &Finding| match f.location {
        Some(l) => (ranks.get(&l.file).copied().unwrap_or(0) + 1, l.span.start),
        None => (0, 0),
    };
    pos(a)
        .cmp(&pos(b))
        .then_with(|| res(a).cmp(&res(b)))
        .then_with(|| loc(a).cmp(&loc(b)))
        .then_with(|| a.message.cmp(&b.message))
}

/// Files ranked by path.
fn file_ranks(index: &Index) -> std::collections::HashMap<crate::model::FileId, u32> {
    let mut files: Vec<(&str, crate::model::FileId)> =
        index.files().map(|f| (&*f.path, f.id)).collect();
    files.sort();
    files
        .into_iter()
        .enumerate()
        .map(|(i, (_, id))| (id, i as u32))
        .collect()
}

pub fn build<'a>(index: &'a Index, analysis: &'a Analysis, opts: &ReportOptions) -> Report<'a> {
    build_from(index, analysis, opts, None)
}

/// `build` for a cluster run: checks whose input could not be read are `unverified`; their
/// findings (computed on incomplete input) are left out and do not fail a phase.
pub fn build_from<'a>(
    index: &'a Index,
    analysis: &'a Analysis,
    opts: &ReportOptions,
    cluster: Option<&ClusterInput>,
) -> Report<'a> {
    let all = analysis.findings(index);
    let ranks = file_ranks(index);
    // the findings of a phase, without those of unverified checks
    let of_phase = |phase: Phase| {
        let mut list: Vec<&Finding> = all
            .iter()
            .copied()
            .filter(|f| f.phase() == phase)
            .filter(|f| phase == Phase::Input || why_unverified(cluster, f.rule.check).is_none())
            .collect();
        list.sort_by(|a, b| order(&ranks, a, b));
        list
    };
    let inputs = of_phase(Phase::Input);
    let mut phases = Vec::new();
    let mut failed_before = false;
    for phase in Phase::ALL {
        if opts.up_to.is_some_and(|up| phase > up) {
            break;
        }
        let report = if failed_before && !opts.ignore_failures {
            PhaseReport {
                phase,
                status: PhaseStatus::Skipped,
                checks: Vec::new(),
                findings: Vec::new(),
            }
        } else {
            phase_report(phase, of_phase(phase), cluster)
        };
        failed_before |= report.status == PhaseStatus::Failed;
        phases.push(report);
    }
    let Recommended {
        waypoints,
        policies,
        routes,
    } = recommended_objects(&phases);
    Report {
        index,
        inputs,
        phases,
        sources: opts.sources.clone(),
        // cluster objects are indexed one per "file"; no file was read
        files: if cluster.is_some() {
            0
        } else {
            index.file_count()
        },
        resources: index.resource_count(),
        not_objects: index.files().map(|f| f.not_objects).sum(),
        waypoints,
        policies,
        routes,
        cluster: cluster.cloned(),
    }
}

/// Why a check could not be evaluated on a cluster's input, if it could not.
fn why_unverified<'c>(cluster: Option<&'c ClusterInput>, check: &rules::Check) -> Option<&'c str> {
    cluster?
        .unverified
        .iter()
        .find(|(id, _)| id == check.id)
        .map(|(_, why)| why.as_str())
}

/// A phase that ran: its checks and status.
fn phase_report<'a>(
    phase: Phase,
    findings: Vec<&'a Finding>,
    cluster: Option<&ClusterInput>,
) -> PhaseReport<'a> {
    let checks = rules::checks_of(phase)
        .map(|c| check_report(c, &findings, why_unverified(cluster, c)))
        .collect();
    let status = if findings.iter().any(|f| f.blocking()) {
        PhaseStatus::Failed
    } else if findings
        .iter()
        .any(|f| f.severity() != Severity::Info || !f.actions.is_empty())
    {
        PhaseStatus::Recommendations
    } else {
        PhaseStatus::Passed
    };
    PhaseReport {
        phase,
        status,
        checks,
        findings,
    }
}

/// A check: unverified (`unverified`: why), failed with its first blocking finding, a warning
/// with its first non-info one, or passed.
fn check_report<'a>(
    c: &'static rules::Check,
    findings: &[&'a Finding],
    unverified: Option<&str>,
) -> CheckReport<'a> {
    let fs: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| f.rule.check.id == c.id)
        .collect();
    let blocking: Vec<&&Finding> = fs.iter().filter(|f| f.blocking()).collect();
    let (status, message) = if let Some(why) = unverified {
        (CheckStatus::Unverified, why.to_string())
    } else if let Some(first) = blocking.first() {
        let more = if blocking.len() > 1 {
            format!(" (and {} more)", blocking.len() - 1)
        } else {
            String::new()
        };
        (CheckStatus::Failed, format!("{}{}", first.message, more))
    } else if let Some(w) = fs.iter().find(|f| f.severity() != Severity::Info) {
        (CheckStatus::Warning, w.message.clone())
    } else {
        (CheckStatus::Passed, String::new())
    };
    CheckReport {
        id: c.id,
        title: c.title,
        status,
        message,
        findings: fs,
    }
}

/// The objects of the recommended YAML files, in report order, each once.
#[derive(Default)]
struct Recommended<'a> {
    waypoints: Vec<&'a crate::finding::Object>,
    policies: Vec<&'a crate::finding::Object>,
    routes: Vec<&'a crate::finding::Object>,
}

fn recommended_objects<'a>(phases: &[PhaseReport<'a>]) -> Recommended<'a> {
    let mut out = Recommended::default();
    let mut seen = BTreeSet::new();
    for f in phases.iter().flat_map(|p| p.findings.iter()) {
        for a in &f.actions {
            match a {
                Action::DeployWaypoint { resource, .. } if seen.insert(resource.key()) => {
                    out.waypoints.push(resource)
                }
                Action::Apply { resource, .. } if seen.insert(resource.key()) => {
                    match f.rule.apply_file {
                        rules::ApplyFile::Policies => out.policies.push(resource),
                        rules::ApplyFile::Routes => out.routes.push(resource),
                    }
                }
                _ => {}
            }
        }
    }
    out
}

impl<'a> Report<'a> {
    /// A phase failed (exit status 3).
    pub fn failed(&self) -> bool {
        self.phases.iter().any(|p| p.status == PhaseStatus::Failed)
    }

    /// Findings of the phases that ran.
    pub fn ran_findings(&self) -> impl Iterator<Item = &&'a Finding> {
        self.phases.iter().flat_map(|p| p.findings.iter())
    }

    /// The kubectl commands of the run, phase by phase (`commands.sh`): safe to run top to
    /// bottom. Manual steps are comments. From the first failed phase on, every step is written
    /// as a comment with the blocking findings that stop it: the script never runs a step its
    /// own report says must not be taken yet (this is decided by phase status only).
    pub fn commands(&self) -> String {
        let mut out = format!("#!/bin/sh\n{COMMANDS_MARK}, in phase order. Review before running.\n# Lines starting with '# by hand:' are steps no command can do safely; do them yourself.\nset -e\ncd \"$(dirname \"$0\")\"\n");
        let mut seen = BTreeSet::new();
        let mut stopped: Option<Phase> = None;
        // A generated waypoint that `istio.io/use-waypoint` labels already name carries their
        // traffic as soon as it is ready (Istio 1.26 `fetchWaypointForTarget` reads only the
        // label and the Waypoint, which `WaypointsCollection` builds once the Gateway has
        // status addresses: no other step enables it). Creating it is then the step that
        // enables it, so it is written where enabling is, at the start of use-waypoints: after
        // the policies it needs (copies attached to it, the allow-from-waypoint policies at the
        // destinations, applied in migrate-policies), and commented out like every other step
        // when use-waypoints or an earlier phase failed (e.g. U008: a policy would still deny
        // its traffic) or did not run.
        let active = self.waypoints_active_on_creation();
        let enabling_ran = self.phases.iter().any(|p| p.phase == Phase::UseWaypoints);
        let waypoints_enable = !active.is_empty();
        for p in &self.phases {
            let mut lines: Vec<String> = Vec::new();
            let mut notes: Vec<String> = Vec::new();
            if p.phase == Phase::DeployWaypoints && !self.waypoints.is_empty() {
                if waypoints_enable {
                    notes.push(format!(
                        "# istio.io/use-waypoint labels already name {}: creating it sends their traffic through it, so recommended-waypoints.yaml is applied in use-waypoints, after the policies it needs.",
                        active.join(", ")
                    ));
                    if !enabling_ran {
                        notes.push("# Not run: phase use-waypoints did not run (run ambient-lsp migrate up to it).".to_string());
                        lines.push("# kubectl apply -f recommended-waypoints.yaml".to_string());
                    }
                } else {
                    lines.push("kubectl apply -f recommended-waypoints.yaml".to_string());
                    lines.extend(self.waypoint_waits());
                }
            }
            if p.phase == Phase::MigratePolicies && !self.policies.is_empty() {
                lines.push("kubectl apply -f recommended-policies.yaml".to_string());
            }
            if p.phase == Phase::UseWaypoints && waypoints_enable && !self.waypoints.is_empty() {
                lines.push("kubectl apply -f recommended-waypoints.yaml".to_string());
                lines.extend(self.waypoint_waits());
            }
            // steps by hand stay where they belong among the commands (a paused Deployment's
            // template patch is followed by what to do instead of waiting for its rollout)
            for f in &p.findings {
                for a in &f.actions {
                    for c in a.commands() {
                        if seen.insert(c.to_string()) {
                            lines.push(c.to_string());
                        }
                    }
                    if let Action::Manual { step, .. } = a {
                        let step = one_line(step);
                        if seen.insert(step.clone()) {
                            lines.push(format!("# by hand: {step}"));
                        }
                    }
                }
            }
            let fails_here = p.status == PhaseStatus::Failed && stopped.is_none();
            if lines.is_empty() && notes.is_empty() && !fails_here {
                continue;
            }
            out.push_str(&format!("\n# --- {}\n", p.phase.id()));
            for n in notes {
                out.push_str(&one_line(&n));
                out.push('\n');
            }
            if p.phase == Phase::RemoveSidecars
                && lines.iter().any(|l| l.starts_with("kubectl label ns "))
            {
                out.push_str(&self.switch_warnings());
            }
            if fails_here {
                stopped = Some(p.phase);
                out.push_str(&format!(
                    "# STOP: phase {} failed. Its steps and every later step are written as comments, not run:\n",
                    p.phase.id()
                ));
                let blocking: Vec<&&Finding> = p.findings.iter().filter(|f| f.blocking()).collect();
                for f in blocking.iter().take(10) {
                    out.push_str(&format!("#   [{}] {}\n", f.rule.id, one_line(&f.message)));
                }
                if blocking.len() > 10 {
                    out.push_str(&format!("#   … and {} more\n", blocking.len() - 10));
                }
                out.push_str("# Fix what it reports, run ambient-lsp migrate again and use the new commands.sh.\n");
            } else if let Some(failed) = stopped {
                out.push_str(&format!(
                    "# Not run: phase {} failed before this one (see above).\n",
                    failed.id()
                ));
            }
            for l in lines {
                // names and label values come from the input, which nothing has validated
                // yet (a repository, a pull request): a line that is not plain words and
                // single-quoted patches is never written runnable, and a comment stays one line
                let l = if l.starts_with('#') {
                    one_line(&l)
                } else if runnable_is_plain(&l) {
                    l
                } else {
                    format!("# refused, not run: it holds characters that no Kubernetes name or label value has (the input may be hostile): {}", one_line(&l))
                };
                if stopped.is_some() && !l.starts_with('#') {
                    out.push_str("# ");
                }
                out.push_str(&l);
                out.push('\n');
            }
        }
        out
    }

    /// `ns/name` of the generated waypoints that labels already name (see `commands`).
    fn waypoints_active_on_creation(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in self.ran_findings() {
            for a in &f.actions {
                if let Action::DeployWaypoint {
                    namespace,
                    waypoint,
                    active_on_creation: true,
                    ..
                } = a
                {
                    let w = format!("{namespace}/{waypoint}");
                    if !out.contains(&w) {
                        out.push(w);
                    }
                }
            }
        }
        out
    }

    /// After `kubectl apply -f recommended-waypoints.yaml`: wait until each waypoint is
    /// programmed (Istio 1.26 `reportGatewayStatus` sets the Gateway's `Programmed`
    /// condition together with the status addresses that make it a waypoint) before a later step (a label,
    /// a restart) sends traffic to it. The Gateway API kind is named in full: `gateway` alone
    /// may resolve to Istio's `networking.istio.io` Gateway.
    fn waypoint_waits(&self) -> Vec<String> {
        self.waypoints
            .iter()
            .map(|w| {
                format!(
                    "kubectl wait --for=condition=Programmed gateways.gateway.networking.k8s.io/{} -n {} --timeout=5m",
                    w.name(),
                    w.namespace()
                )
            })
            .collect()
    }

    /// The `# WARNING:` block written right before the namespace switch: the non-blocking
    /// warnings about a security control that stops applying once the pods lose their sidecar
    /// and that no step of the script replaces (`Rule::stops_at_switch`). They stay non-blocking (the rules' catalog
    /// severity), but the script does not switch a namespace with nothing said.
    fn switch_warnings(&self) -> String {
        let mut seen = BTreeSet::new();
        let mut out = String::new();
        for f in self.ran_findings() {
            let Some(sec) = &f.rule.security else {
                continue;
            };
            // the rules whose warning is a control that silently stops applying at the switch
            // (the others of the catalog with a security effect are blocking, fixed by a step
            // of the script, or about a later cleanup)
            if f.blocking() || !f.rule.stops_at_switch {
                continue;
            }
            let line = format!("{}{}", f.rule.id, one_line(&f.message));
            if seen.insert(line.clone()) {
                if out.is_empty() {
                    out.push_str("# WARNING: once the pods below lose their sidecars, these security controls stop applying (non-blocking warnings; decide before running on):\n");
                }
                if seen.len() <= 10 {
                    out.push_str(&format!(
                        "#   [{}] {}: {}\n",
                        f.rule.id,
                        sec.why,
                        one_line(&f.message)
                    ));
                }
            }
        }
        if seen.len() > 10 {
            out.push_str(&format!("#   … and {} more\n", seen.len() - 10));
        }
        out
    }

    /// Where a finding is, as text: `path:line:col`, or the `cluster://` URI of a cluster object.
    pub fn place(&self, f: &Finding) -> Option<String> {
        let (path, line, col, _, _) = self.position(f)?;
        Some(if is_cluster_path(&path) {
            path
        } else {
            format!("{path}:{line}:{col}")
        })
    }

    /// 1-based line/column (characters) of a finding's start and end.
    pub fn position(&self, f: &Finding) -> Option<(String, u32, u32, u32, u32)> {
        let l = f.location?;
        let file = self.index.file(l.file)?;
        let (sl, sc) = file
            .lines
            .position(&file.text, l.span.start as usize, Encoding::Chars);
        let (el, ec) = file
            .lines
            .position(&file.text, l.span.end as usize, Encoding::Chars);
        Some((file.path.to_string(), sl + 1, sc + 1, el + 1, ec + 1))
    }
}

/// Text on one line (a comment of `commands.sh` must not end early).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A command line of `commands.sh` whose words are plain (letters, digits, `-_./=:,+@%`) or
/// single-quoted (the JSON of a merge patch): nothing the shell would expand, chain or
/// redirect. Every command the rules write from valid Kubernetes names is; one built from a
/// name holding `;`, `$(`, a quote or a line break is not.
fn runnable_is_plain(line: &str) -> bool {
    let mut quoted = false;
    for c in line.chars() {
        if c.is_control() {
            return false;
        }
        if c == '\'' {
            quoted = !quoted;
        } else if !(quoted || c.is_ascii_alphanumeric() || " -_./=:,+@%".contains(c)) {
            return false;
        }
    }
    !quoted
}

/// A file the run recommends (written by the CLI to `--output-dir`, by the language server
/// to the folder the client names).
pub struct OutputFile {
    pub name: &'static str,
    pub content: String,
}

impl Report<'_> {
    /// The recommended files: `recommended-waypoints.yaml`, `recommended-policies.yaml`,
    /// `recommended-routes.yaml`, `commands.sh`.
    pub fn output_files(&self) -> Vec<OutputFile> {
        vec![
            OutputFile {
                name: "recommended-waypoints.yaml",
                content: yaml_file(
                    "Waypoints recommended by the deploy-waypoints phase",
                    &self.waypoints,
                ),
            },
            OutputFile {
                name: rules::ApplyFile::Policies.name(),
                content: yaml_file(
                    "Policies recommended by the migrate-policies phase",
                    &self.policies,
                ),
            },
            OutputFile {
                name: rules::ApplyFile::Routes.name(),
                content: yaml_file(
                    "HTTPRoutes translated from mesh VirtualServices (and subset Services); apply them and delete the VirtualServices in one step",
                    &self.routes,
                ),
            },
            OutputFile {
                name: "commands.sh",
                content: self.commands(),
            },
        ]
    }
}

/// The second line of every recommended YAML file: how `sources` recognises (and does not read
/// back) the output of an earlier run.
pub const GENERATED_MARK: &str = "# Generated by ambient-lsp migrate.";
/// The second line of `commands.sh` starts with it.
pub const COMMANDS_MARK: &str = "# Commands recommended by ambient-lsp migrate";

/// The YAML files of a run, with a header comment.
pub fn yaml_file(title: &str, objects: &[&crate::finding::Object]) -> String {
    let mut out = format!("# {title}\n{GENERATED_MARK} Review before applying.\n");
    if objects.is_empty() {
        out.push_str("# (nothing to apply)\n");
        return out;
    }
    out.push_str("---\n");
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&crate::yaml::emit::to_yaml(&o.value()));
    }
    out
}
