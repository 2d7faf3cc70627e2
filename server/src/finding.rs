//! Findings: what every rule produces and every front end renders.

use serde::Serialize;
use serde_json::Value;

use crate::model::{FileId, ResourceRef};
use crate::yaml::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

/// A recommended Kubernetes object, kept as compact JSON text (thousands of them are generated
/// on a large mesh; a `serde_json::Value` tree per object would cost ten times the memory).
#[derive(Clone)]
pub struct Object(std::sync::Arc<serde_json::value::RawValue>);

impl Object {
    pub fn new(v: &Value) -> Object {
        let raw = serde_json::value::to_raw_value(v).expect("a JSON value serializes");
        Object(std::sync::Arc::from(raw))
    }
    /// The object as a JSON value.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.0.get()).expect("stored JSON parses")
    }
    pub fn json(&self) -> &str {
        self.0.get()
    }
    fn field(&self, pointer: &str) -> String {
        self.value()
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    }
    pub fn kind(&self) -> String {
        self.field("/kind")
    }
    pub fn name(&self) -> String {
        self.field("/metadata/name")
    }
    pub fn namespace(&self) -> String {
        self.field("/metadata/namespace")
    }
    /// `Kind/namespace/name`.
    pub fn key(&self) -> String {
        let v = self.value();
        let s = |p: &str| {
            v.pointer(p)
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string()
        };
        format!(
            "{}/{}/{}",
            s("/kind"),
            s("/metadata/namespace"),
            s("/metadata/name")
        )
    }
}

impl Default for Object {
    fn default() -> Self {
        Object::new(&Value::Null)
    }
}

impl PartialEq for Object {
    fn eq(&self, o: &Self) -> bool {
        self.0.get() == o.0.get()
    }
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.get())
    }
}

impl Serialize for Object {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
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
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// A failed check: stops the CLI run at this phase unless `--ignore-failures`.
    pub blocking: bool,
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
    pub fn new(rule: &'static str, message: impl Into<String>) -> Finding {
        let info = crate::rules::rule(rule);
        Finding {
            rule,
            severity: info.severity,
            blocking: info.blocking,
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

    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
    pub fn blocking(mut self, b: bool) -> Self {
        self.blocking = b;
        self
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
        crate::rules::rule(self.rule).phase
    }
}
