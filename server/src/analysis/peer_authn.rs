//! The mTLS mode a workload's inbound traffic gets, as Istio 1.26 composes it from
//! PeerAuthentications (`pilot/pkg/security/authn/policy_applier.go`
//! `ComposePeerAuthentication`): the mesh policy (root namespace, no selector), overridden by
//! the namespace's (no selector), overridden by the workload's (a non-empty selector, not in the
//! root namespace: root-namespace selector policies are ignored); `UNSET` inherits; default
//! PERMISSIVE. Port-level modes come from the workload policy only, an `UNSET` port inheriting
//! the workload's mode. Of several candidates Istio takes the oldest; without creation times
//! the first by name is taken. ztunnel enforces the same composition
//! (`pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go`
//! `convertPeerAuthentication`). Shared by U010 (plaintext bypass) and R010 (formerly excluded
//! inbound ports).

use std::sync::Arc;

use super::NsCtx;
use crate::model::{Body, PeerAuthentication, Resource};

/// Where the effective mode comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MtlsSource {
    Workload,
    Namespace,
    Mesh,
    Default,
}

impl MtlsSource {
    pub fn describe(self) -> &'static str {
        match self {
            MtlsSource::Workload => "its PeerAuthentication",
            MtlsSource::Namespace => "the namespace's PeerAuthentication",
            MtlsSource::Mesh => "the mesh-wide PeerAuthentication",
            MtlsSource::Default => "the default",
        }
    }
}

/// The composed mTLS settings of one workload.
#[derive(Clone, Debug)]
pub struct EffectiveMtls {
    /// `STRICT`, `PERMISSIVE` or `DISABLE`.
    pub mode: String,
    pub source: MtlsSource,
    /// The workload-level PeerAuthentication that selects it, if any (its port-level modes
    /// apply; a fix adds ports to it).
    pub workload_policy: Option<Arc<Resource>>,
    /// Port-level modes (`UNSET` resolved to `mode`).
    pub per_port: Vec<(u32, String)>,
}

impl EffectiveMtls {
    /// The mode on one (target) port.
    pub fn port_mode(&self, port: u32) -> &str {
        self.per_port
            .iter()
            .find(|(p, _)| *p == port)
            .map_or(self.mode.as_str(), |(_, m)| m.as_str())
    }
    /// Some port accepts plaintext although the workload's mode is STRICT.
    pub fn plaintext_port(&self) -> bool {
        self.per_port.iter().any(|(_, m)| m != "STRICT")
    }
}

fn mode_of(p: &PeerAuthentication) -> Option<&str> {
    p.mode
        .as_ref()
        .map(|m| m.value.as_str())
        .filter(|m| *m != "UNSET")
}

/// The PeerAuthentications of `ns`, first by name.
fn in_ns(ctx: &NsCtx, ns: &str) -> Vec<Arc<Resource>> {
    let mut v: Vec<Arc<Resource>> = ctx
        .index
        .ns(ns)
        .filter(|r| matches!(r.body, Body::PeerAuthentication(_)))
        .cloned()
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn pa(r: &Resource) -> Option<&PeerAuthentication> {
    match &r.body {
        Body::PeerAuthentication(p) => Some(p),
        _ => None,
    }
}

fn has_selector(p: &PeerAuthentication) -> bool {
    p.selector.as_ref().is_some_and(|s| !s.labels.is_empty())
}

/// The effective mTLS of unit `u` of the namespace.
pub fn effective_mtls(ctx: &NsCtx, u: usize) -> EffectiveMtls {
    let ns = ctx.ns();
    let root_ns = ctx.facts.root_ns.as_str();
    let own = if ns == root_ns {
        Vec::new()
    } else {
        in_ns(ctx, ns)
    };
    let unit_labels = &ctx.unit(u).labels;
    let workload = own
        .iter()
        .find(|r| {
            pa(r).is_some_and(|p| {
                has_selector(p)
                    && p.selector
                        .as_ref()
                        .is_some_and(|s| s.labels.subset_of(unit_labels))
            })
        })
        .cloned();
    let namespace = own
        .iter()
        .find(|r| pa(r).is_some_and(|p| !has_selector(p)))
        .cloned();
    let mesh = in_ns(ctx, root_ns)
        .into_iter()
        .find(|r| pa(r).is_some_and(|p| !has_selector(p)));
    let mut mode = ("PERMISSIVE".to_string(), MtlsSource::Default);
    for (r, source) in [
        (&mesh, MtlsSource::Mesh),
        (&namespace, MtlsSource::Namespace),
        (&workload, MtlsSource::Workload),
    ] {
        if let Some(m) = r.as_deref().and_then(pa).and_then(mode_of) {
            mode = (m.to_string(), source);
        }
    }
    let per_port = workload
        .as_deref()
        .and_then(pa)
        .map(|p| {
            p.port_level
                .iter()
                .filter_map(|(port, m, _)| {
                    let port = port.parse::<u32>().ok()?;
                    let m = if m == "UNSET" {
                        mode.0.clone()
                    } else {
                        m.clone()
                    };
                    Some((port, m))
                })
                .collect()
        })
        .unwrap_or_default();
    EffectiveMtls {
        mode: mode.0,
        source: mode.1,
        workload_policy: workload,
        per_port,
    }
}
