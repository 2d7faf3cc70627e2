//! Where a finding is shown when it has no YAML node of its own: a namespace-level finding on
//! the namespace's manifest, a cluster-level one on the control plane; when the inputs hold no
//! such manifest, on the first input file (and the reports say so). Code-scanning tools drop
//! results without a location, and the JSON report promises one.

use std::sync::OnceLock;

use crate::finding::{Finding, Location};
use crate::index::Index;
use crate::model::{Body, Resource};
use crate::yaml::Span;

/// How a location was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placement {
    /// The node the finding is about.
    Exact,
    /// The finding names a resource but no node: the resource's name.
    Resource,
    /// A namespace-level finding: the Namespace manifest.
    Namespace,
    /// A namespace-level finding without a Namespace manifest: the first resource of the
    /// namespace.
    NamespaceResource,
    /// A cluster-level finding: the istiod Deployment, else the control-plane namespace.
    ControlPlane,
    /// Nothing in the inputs represents it: the start of the first input file.
    FirstInput,
}

impl Placement {
    /// The value of `location.placed` in the JSON report (`None` for exact locations).
    pub fn as_str(&self) -> Option<&'static str> {
        match self {
            Placement::Exact => None,
            Placement::Resource => Some("resource"),
            Placement::Namespace => Some("namespace"),
            Placement::NamespaceResource => Some("namespace-resource"),
            Placement::ControlPlane => Some("control-plane"),
            Placement::FirstInput => Some("first-input"),
        }
    }

    /// What a reader should know about the location (appended to SARIF messages).
    pub fn note(&self, f: &Finding) -> Option<String> {
        match self {
            Placement::FirstInput => Some(format!(
                "(Reported on the first input file: the inputs hold no manifest that represents this {}-level finding.)",
                if f.namespace.is_some() { "namespace" } else { "cluster" }
            )),
            Placement::ControlPlane => Some("(Cluster-level finding, reported on the control plane.)".into()),
            Placement::NamespaceResource => Some(format!(
                "(Namespace-level finding, reported on the first resource of namespace \"{}\": the inputs hold no Namespace manifest for it.)",
                f.namespace.as_deref().unwrap_or("")
            )),
            _ => None,
        }
    }
}

pub struct Placer<'a> {
    index: &'a Index,
    control_plane: OnceLock<Option<Location>>,
    first: OnceLock<Option<Location>>,
}

fn name_loc(r: &Resource) -> Location {
    let span = if r.name_span != Span::default() {
        r.name_span
    } else if r.metadata_span != Span::default() {
        r.metadata_span
    } else {
        r.span
    };
    Location { file: r.file, span }
}

impl<'a> Placer<'a> {
    pub fn new(index: &'a Index) -> Placer<'a> {
        Placer {
            index,
            control_plane: OnceLock::new(),
            first: OnceLock::new(),
        }
    }

    /// The istiod Deployment (the default revision first), else the Namespace of the control
    /// plane, else any resource in it.
    fn control_plane(&self) -> Option<Location> {
        *self.control_plane.get_or_init(|| {
            let idx = self.index;
            let istiod = |ns: &str| {
                let mut v: Vec<&std::sync::Arc<Resource>> = idx
                    .ns(ns)
                    .filter(|r| {
                        r.kind == "Deployment"
                            && (r.name == "istiod" || r.name.starts_with("istiod-"))
                    })
                    .collect();
                v.sort_by_key(|r| (r.name != "istiod", r.name.to_string()));
                v.first().map(|r| name_loc(r))
            };
            istiod("istio-system")
                .or_else(|| {
                    idx.namespaces()
                        .iter()
                        .filter(|n| n.as_str() != "istio-system")
                        .find_map(|n| istiod(n))
                })
                .or_else(|| idx.namespace_object("istio-system").map(|r| name_loc(r)))
                .or_else(|| idx.ns("istio-system").next().map(|r| name_loc(r)))
        })
    }

    /// The first input file (in path order), at its start.
    fn first_input(&self) -> Option<Location> {
        *self.first.get_or_init(|| {
            self.index
                .files()
                .min_by(|a, b| a.path.cmp(&b.path))
                .map(|f| Location {
                    file: f.id,
                    span: Span::default(),
                })
        })
    }

    fn namespace(&self, ns: &str) -> Option<(Location, Placement)> {
        if let Some(r) = self.index.namespace_object(ns) {
            return Some((name_loc(r), Placement::Namespace));
        }
        self.index
            .ns(ns)
            .find(|r| !matches!(r.body, Body::Namespace))
            .map(|r| (name_loc(r), Placement::NamespaceResource))
    }

    /// The location of a finding and how it was chosen. `None` only when the inputs hold no
    /// file at all.
    pub fn place(&self, f: &Finding) -> Option<(Location, Placement)> {
        if let Some(l) = f.location {
            if self.index.file(l.file).is_some() {
                return Some((l, Placement::Exact));
            }
        }
        if let Some(r) = &f.resource {
            if self.index.file(r.file).is_some() {
                return Some((name_loc(r), Placement::Resource));
            }
        }
        if let Some(ns) = &f.namespace {
            if let Some(p) = self.namespace(ns) {
                return Some(p);
            }
        } else if let Some(l) = self.control_plane() {
            return Some((l, Placement::ControlPlane));
        }
        self.first_input().map(|l| (l, Placement::FirstInput))
    }
}
