//! The rule registry: what a rule *is*, apart from the code that finds it.
//!
//! Every rule is a `static` of type [`Rule`] generated from the one list in `registry.rs`: its
//! id, the check (and so the phase) it belongs to, its severity, whether it fails the check,
//! whether it counts as a waypoint need only with `--strict-waypoints`, its title, and how the
//! text report prints it. A rule whose severity depends on what it found is modelled as
//! *variants* of one id (`PR_VM_002` and `PR_VM_002_STATIC`): the code that finds it picks a
//! variant, it never sets a severity. A finding is made with `Finding::new(&rules::W001, …)`,
//! so an unknown rule does not compile.
//!
//! This module depends on nothing else of the crate.

mod registry;

pub use registry::*;

/// Severity of a finding (the LSP diagnostic severity, the JSON `severity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// The seven migration phases, in order, and `Input` for problems reading the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Phase {
    /// Not a migration phase: problems reading the input (broken YAML, wrong types).
    #[serde(rename = "input")]
    Input,
    #[serde(rename = "pre-reqs")]
    PreReqs,
    #[serde(rename = "cluster-setup")]
    ClusterSetup,
    #[serde(rename = "deploy-waypoints")]
    DeployWaypoints,
    #[serde(rename = "migrate-policies")]
    MigratePolicies,
    #[serde(rename = "use-waypoints")]
    UseWaypoints,
    #[serde(rename = "policy-simplification")]
    PolicySimplification,
    #[serde(rename = "remove-sidecars")]
    RemoveSidecars,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::PreReqs,
        Phase::ClusterSetup,
        Phase::DeployWaypoints,
        Phase::MigratePolicies,
        Phase::UseWaypoints,
        Phase::PolicySimplification,
        Phase::RemoveSidecars,
    ];

    pub fn id(&self) -> &'static str {
        match self {
            Phase::Input => "input",
            Phase::PreReqs => "pre-reqs",
            Phase::ClusterSetup => "cluster-setup",
            Phase::DeployWaypoints => "deploy-waypoints",
            Phase::MigratePolicies => "migrate-policies",
            Phase::UseWaypoints => "use-waypoints",
            Phase::PolicySimplification => "policy-simplification",
            Phase::RemoveSidecars => "remove-sidecars",
        }
    }

    pub fn from_id(id: &str) -> Option<Phase> {
        Phase::ALL.iter().copied().find(|p| p.id() == id)
    }

    /// 1-based step of a migration phase (`None` for `input`).
    pub fn position(&self) -> Option<usize> {
        Phase::ALL.iter().position(|p| p == self).map(|i| i + 1)
    }
}

/// A check of a phase: one line of the seed-style report (`✅ Cluster CNI compatibility passed`).
#[derive(Debug, PartialEq, Eq)]
pub struct Check {
    pub id: &'static str,
    pub phase: Phase,
    pub title: &'static str,
}

/// How the text report prints a rule's findings (the JSON and SARIF reports and the language
/// server do not depend on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextStyle {
    /// The marker follows the finding: ❌ when blocking, 🔮 with a fix, else ⚠️ or ℹ️; an
    /// informational input problem or pre-reqs/cluster-setup finding only with `--verbose`.
    Default,
    /// Informational, but printed without `--verbose` (a platform detected, a file skipped).
    Shown,
    /// Always ⚠️, even with a fix attached (the seed prints these as warnings).
    WarnMarker,
    /// ⚠️ and the message prefixed with `Warning: ` (as the seed prints it).
    WarningLine,
}

/// The recommended file that holds the objects of a rule's `apply` actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyFile {
    /// `recommended-policies.yaml`: the policies copied or written for the waypoints.
    Policies,
    /// `recommended-routes.yaml`: HTTPRoute translations of VirtualServices.
    Routes,
}

impl ApplyFile {
    pub const fn name(self) -> &'static str {
        match self {
            ApplyFile::Policies => "recommended-policies.yaml",
            ApplyFile::Routes => "recommended-routes.yaml",
        }
    }
}

/// How sure a rule's findings are (SARIF `precision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Read from the input as written (the input problems).
    VeryHigh,
    High,
    /// Inferred from partial information: platform detection, predictions from injection
    /// webhooks, heuristics.
    Medium,
}

impl Precision {
    pub const fn as_str(self) -> &'static str {
        match self {
            Precision::VeryHigh => "very-high",
            Precision::High => "high",
            Precision::Medium => "medium",
        }
    }
}

/// A rule whose findings weaken authorization or authentication if ignored.
#[derive(Debug, PartialEq, Eq)]
pub struct Security {
    /// SARIF `security-severity`, one decimal (GitHub: ≥ 9 critical, ≥ 7 high, ≥ 4 medium,
    /// else low).
    pub severity: &'static str,
    /// What is weakened.
    pub why: &'static str,
}

/// A rule: everything about it except the code that finds it.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// The stable id (`W001`); variants of a rule share it.
    pub id: &'static str,
    pub check: &'static Check,
    pub severity: Severity,
    /// A finding of it fails its check and so its phase (the CLI stops there unless
    /// `--ignore-failures`).
    pub blocking: bool,
    /// A reason to deploy a waypoint that only counts with `--strict-waypoints`.
    pub advisory: bool,
    pub text: TextStyle,
    /// Where the objects of its `apply` actions are written.
    pub apply_file: ApplyFile,
    pub precision: Precision,
    pub security: Option<Security>,
    /// One line: the heading of its section in `docs/rules.md`, the SARIF short description,
    /// the hover title. Shared by the variants of an id.
    pub title: &'static str,
    /// For a variant: what distinguishes it from the rule it varies (`None` for the rule).
    pub variant: Option<&'static str>,
    /// A warning that is the plan's own next state, not a problem a fix may not add (U001: the
    /// waypoint nothing uses yet, right after the fix that creates it).
    pub transitional: bool,
    /// A non-blocking warning about a security control that silently stops applying when a
    /// namespace switches to ambient, with no step of the plan replacing it: `commands.sh`
    /// names it in a `# WARNING:` block before the switch.
    pub stops_at_switch: bool,
}

impl Rule {
    /// A rule with the defaults: not blocking, not advisory, default text style.
    pub const fn new(
        id: &'static str,
        check: &'static Check,
        severity: Severity,
        title: &'static str,
    ) -> Rule {
        Rule {
            id,
            check,
            severity,
            blocking: false,
            advisory: false,
            text: TextStyle::Default,
            apply_file: ApplyFile::Policies,
            precision: if matches!(check.phase, Phase::Input) {
                Precision::VeryHigh
            } else {
                Precision::High
            },
            security: None,
            title,
            variant: None,
            transitional: false,
            stops_at_switch: false,
        }
    }
    pub const fn transitional(self) -> Rule {
        Rule {
            transitional: true,
            ..self
        }
    }
    pub const fn stops_at_switch(self) -> Rule {
        Rule {
            stops_at_switch: true,
            ..self
        }
    }
    pub const fn blocking(self) -> Rule {
        Rule {
            blocking: true,
            ..self
        }
    }
    /// Not blocking (for a variant of a blocking rule).
    pub const fn not_blocking(self) -> Rule {
        Rule {
            blocking: false,
            ..self
        }
    }
    pub const fn advisory(self) -> Rule {
        Rule {
            advisory: true,
            ..self
        }
    }
    pub const fn shown(self) -> Rule {
        Rule {
            text: TextStyle::Shown,
            ..self
        }
    }
    pub const fn warn_marker(self) -> Rule {
        Rule {
            text: TextStyle::WarnMarker,
            ..self
        }
    }
    pub const fn warning_line(self) -> Rule {
        Rule {
            text: TextStyle::WarningLine,
            ..self
        }
    }
    /// Its `apply` actions go to `recommended-routes.yaml`.
    pub const fn routes_file(self) -> Rule {
        Rule {
            apply_file: ApplyFile::Routes,
            ..self
        }
    }
    pub const fn medium_precision(self) -> Rule {
        Rule {
            precision: Precision::Medium,
            ..self
        }
    }
    /// Its findings weaken authorization or authentication (`severity` as SARIF writes it).
    pub const fn security(self, severity: &'static str, why: &'static str) -> Rule {
        Rule {
            security: Some(Security { severity, why }),
            ..self
        }
    }
    /// A variant of this rule: same id, check and title, another severity.
    pub const fn variant(self, what: &'static str, severity: Severity) -> Rule {
        Rule {
            severity,
            variant: Some(what),
            ..self
        }
    }

    pub fn phase(&self) -> Phase {
        self.check.phase
    }

    /// Position of the rule's id in the registry: the order of findings in reports.
    pub fn position(&self) -> usize {
        position(self.id)
    }

    /// The anchor of the rule's section in docs/rules.md.
    pub fn docs_anchor(&self) -> String {
        self.id.to_ascii_lowercase()
    }

    /// Where the rule is documented (`AMBIENT_DOCS_URL` overrides the base).
    pub fn docs_url(&self) -> String {
        format!("{}#{}", docs_url(), self.docs_anchor())
    }
}

impl std::fmt::Display for Rule {
    /// The id (`W001`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

/// The documentation of every rule (`docs/rules.md`); `AMBIENT_DOCS_URL` overrides it.
pub fn docs_url() -> String {
    std::env::var("AMBIENT_DOCS_URL").unwrap_or_else(|_| {
        "https://github.com/ambient-lsp/ambient-lsp/blob/main/docs/rules.md".to_string()
    })
}

/// Every rule and variant, in registry order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    RULES.iter().copied()
}

/// The rules (not their variants), one per id, in registry order.
pub fn ids() -> impl Iterator<Item = &'static Rule> {
    all().filter(|r| r.variant.is_none())
}

/// The rule with this id (not a variant).
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ids().find(|r| r.id == id)
}

/// Position of an id among the rules (report order); `usize::MAX` for an unknown id.
pub fn position(id: &str) -> usize {
    static MAP: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| ids().enumerate().map(|(i, r)| (r.id, i)).collect())
        .get(id)
        .copied()
        .unwrap_or(usize::MAX)
}

/// The rule (not a variant) at a position (see [`position`]).
pub fn at(position: usize) -> Option<&'static Rule> {
    static IDS: std::sync::OnceLock<Vec<&'static Rule>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| ids().collect()).get(position).copied()
}

/// The checks of a phase, in report order.
pub fn checks_of(phase: Phase) -> impl Iterator<Item = &'static Check> {
    CHECKS.iter().copied().filter(move |c| c.phase == phase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_variants_follow_their_rule() {
        let mut seen = std::collections::HashSet::new();
        for r in ids() {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
        }
        for v in all().filter(|r| r.variant.is_some()) {
            let base = by_id(v.id).unwrap_or_else(|| panic!("variant of unknown {}", v.id));
            assert_eq!(base.check, v.check, "{}", v.id);
            assert_eq!(base.title, v.title, "{}", v.id);
        }
    }

    #[test]
    fn security_severities_are_scores() {
        for r in all() {
            if let Some(s) = &r.security {
                let v: f32 = s.severity.parse().unwrap_or(-1.0);
                assert!((0.0..=10.0).contains(&v), "{}: {}", r.id, s.severity);
                assert_eq!(format!("{v:.1}"), s.severity, "{}", r.id);
                assert!(!s.why.is_empty(), "{}", r.id);
            }
        }
    }

    #[test]
    fn every_check_has_a_rule() {
        for c in CHECKS {
            assert!(all().any(|r| std::ptr::eq(r.check, *c)), "{}", c.id);
        }
    }
}
