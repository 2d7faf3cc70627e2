//! Findings: what every rule produces and every front end renders.

use serde::Serialize;

pub use crate::model::Object;
use crate::model::{FileId, ResourceRef};
use crate::rules::Rule;
pub use crate::rules::{Phase, Severity};
use crate::yaml::Span;

/// A place in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabelTarget {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkloadTarget {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// Machine-readable recommendations (contract §2).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Action {
    DeployWaypoint {
        namespace: String,
        waypoint: String,
        services: Vec<String>,
        reasons: Vec<String>,
        /// The Gateway object (also in recommended-waypoints.yaml).
        resource: Object,
        /// `istio.io/use-waypoint` labels already name it: traffic goes through it as soon as
        /// it exists, so `commands.sh` applies the policies it needs first (only written when
        /// true).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        active_on_creation: bool,
    },
    Apply {
        resource: Object,
        reason: String,
    },
    Label {
        target: LabelTarget,
        set: std::collections::BTreeMap<String, String>,
        remove: Vec<String>,
        command: String,
    },
    Delete {
        resource: ResourceRef,
        command: String,
    },
    Restart {
        workload: WorkloadTarget,
        command: String,
    },
    /// Set and remove labels on a workload's pod template (a Pod's own labels), so that the
    /// pods it creates from now on carry them. `commands` do it with kubectl (a `patch` of the
    /// template, which rolls a Deployment, DaemonSet or StatefulSet out, then a wait for the
    /// rollout); empty when no command can (a Job's template is immutable): a `manual` action
    /// of the same finding says what to do. Editors edit the manifest.
    LabelTemplate {
        workload: WorkloadTarget,
        set: std::collections::BTreeMap<String, String>,
        remove: Vec<String>,
        commands: Vec<String>,
    },
    /// A step no command can do safely (re-create a bare Pod, wait for a CronJob's next run…):
    /// written to `commands.sh` as a comment, never as a command.
    Manual {
        workload: WorkloadTarget,
        step: String,
    },
}

impl Action {
    /// The shell commands of the action, in order (none for objects, which the recommended
    /// files hold, and for manual steps).
    pub fn commands(&self) -> Vec<&str> {
        match self {
            Action::Label { command, .. }
            | Action::Delete { command, .. }
            | Action::Restart { command, .. } => vec![command.as_str()],
            Action::LabelTemplate { commands, .. } => commands.iter().map(String::as_str).collect(),
            Action::DeployWaypoint { .. } | Action::Apply { .. } | Action::Manual { .. } => {
                Vec::new()
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule (or variant) that found it: its severity, whether it blocks, its phase.
    pub rule: &'static Rule,
    pub message: String,
    /// Extra lines the text report prints under the message (`* Service … depends on …`).
    pub details: Vec<String>,
    /// The resource the finding is about.
    pub resource: Option<std::sync::Arc<crate::model::Resource>>,
    /// The YAML node that causes it.
    pub location: Option<Location>,
    pub related: Vec<Related>,
    pub actions: Vec<Action>,
    /// The namespace the finding belongs to (for grouping and placement).
    pub namespace: Option<String>,
    /// Summarised by another finding in the text report (a W020 block lists it).
    pub summarized: bool,
}

impl Finding {
    pub fn new(rule: &'static Rule, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            message: message.into(),
            details: Vec::new(),
            resource: None,
            location: None,
            related: Vec::new(),
            actions: Vec::new(),
            namespace: None,
            summarized: false,
        }
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity
    }
    /// A failed check: stops the CLI run at this phase unless `--ignore-failures`.
    pub fn blocking(&self) -> bool {
        self.rule.blocking
    }
    pub fn at(mut self, file: FileId, span: Span) -> Self {
        self.location = Some(Location { file, span });
        self
    }
    pub fn at_opt(mut self, loc: Option<Location>) -> Self {
        if loc.is_some() {
            self.location = loc;
        }
        self
    }
    pub fn on(mut self, r: &std::sync::Arc<crate::model::Resource>) -> Self {
        self.resource = Some(r.clone());
        if !r.namespace.is_empty() && self.namespace.is_none() {
            self.namespace = Some(r.namespace.to_string());
        }
        self
    }
    /// Located on a node of `r` (resource + location).
    pub fn on_node(self, r: &std::sync::Arc<crate::model::Resource>, span: Span) -> Self {
        self.on(r).at(r.file, span)
    }
    pub fn ns(mut self, ns: impl Into<String>) -> Self {
        self.namespace = Some(ns.into());
        self
    }
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.details.push(d.into());
        self
    }
    pub fn details(mut self, d: impl IntoIterator<Item = String>) -> Self {
        self.details.extend(d);
        self
    }
    pub fn related(
        mut self,
        r: &crate::model::Resource,
        span: Span,
        msg: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            location: Location { file: r.file, span },
            message: msg.into(),
        });
        self
    }
    pub fn action(mut self, a: Action) -> Self {
        self.actions.push(a);
        self
    }
    pub fn phase(&self) -> Phase {
        self.rule.phase()
    }

    /// Feed what a client sees of the finding (rule, severity, place, text, related places,
    /// number of fixes) to a hasher: equal fingerprints, same diagnostic.
    pub fn fingerprint(&self, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        self.rule.id.hash(h);
        (self.severity() as u8).hash(h);
        if let Some(l) = self.location {
            (l.span.start, l.span.end).hash(h);
        }
        self.message.hash(h);
        self.details.hash(h);
        for r in &self.related {
            (r.location.file, r.location.span.start, r.location.span.end).hash(h);
            r.message.hash(h);
        }
        self.actions.len().hash(h);
    }
}

/// Up to `max` quoted names (`"a", "b", 2 more`); `its workloads` when there are none.
pub fn quoted_list(items: &[String], max: usize) -> String {
    if items.is_empty() {
        return "its workloads".to_string();
    }
    let mut v: Vec<String> = items.iter().take(max).map(|s| format!("\"{s}\"")).collect();
    if items.len() > max {
        v.push(format!("{} more", items.len() - max));
    }
    v.join(", ")
}

/// The workloads a finding is about, as messages list them (three at most).
pub fn workloads_list(items: &[String]) -> String {
    quoted_list(items, 3)
}
