//! R011: an outbound restriction disappears with the sidecars. `outboundTrafficPolicy:
//! REGISTRY_ONLY` — on the Sidecar resource that applies to a workload, or mesh-wide in the mesh
//! config (`istio` ConfigMap, key `mesh`) when that Sidecar does not set a mode — is enforced by
//! each sidecar's Envoy (the passthrough cluster becomes a blackhole,
//! `pilot/pkg/networking/core/cluster_builder.go` `buildBlackHoleCluster`). ztunnel has no such
//! mode: once the workload is captured by ztunnel it can reach any destination
//! (istio/istio#54281, closed as working as intended). The ambient way is an egress waypoint:
//! ServiceEntries for the allowed hosts labeled `istio.io/use-waypoint`, an AuthorizationPolicy
//! on that waypoint, and a NetworkPolicy (or the CNI's egress policy) for everything else
//! (istio/istio#52532).
//!
//! The Sidecar that applies is Istio's choice (`pilot/pkg/model/sidecar.go`,
//! `PushContext.getSidecarScope`): one of the workload's namespace whose `workloadSelector`
//! matches it, else the namespace's Sidecar without a selector, else the root namespace's
//! Sidecar without a selector; a Sidecar without `outboundTrafficPolicy` leaves the mesh-wide
//! mode in force.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::analysis::mesh::{injection_request, Unit};
use crate::analysis::NsCtx;
use crate::finding::{workloads_list, Finding};
use crate::model::{Body, Resource, SidecarRes};
use crate::rules;

/// Where a workload's REGISTRY_ONLY comes from: the Sidecar resource (with what it lets through)
/// or the mesh config.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Sidecar(String, String),
    Mesh,
}

fn sidecar_of<'r>(
    own: &'r [(Arc<Resource>, SidecarRes)],
    root: &'r [(Arc<Resource>, SidecarRes)],
    u: &Unit,
) -> Option<&'r (Arc<Resource>, SidecarRes)> {
    own.iter()
        .find(|(_, s)| {
            s.workload_selector
                .as_ref()
                .is_some_and(|w| w.labels.subset_of(&u.labels))
        })
        .or_else(|| own.iter().find(|(_, s)| s.workload_selector.is_none()))
        .or_else(|| root.iter().find(|(_, s)| s.workload_selector.is_none()))
}

pub fn namespace(ctx: &mut NsCtx) {
    let switches = ctx.view.mode.switches(ctx.facts) && !ctx.view.mode.ambient;
    let ns = ctx.ns().to_string();
    let sidecars = |ns: &str| -> Vec<Arc<Resource>> {
        let mut v: Vec<Arc<Resource>> = ctx
            .index
            .ns(ns)
            .filter(|r| matches!(r.body, Body::Sidecar(_)))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    };
    let own_res = sidecars(&ns);
    let root_res = if ctx.is_root() {
        Vec::new()
    } else {
        sidecars(&ctx.facts.root_ns)
    };
    let pairs = |v: &[Arc<Resource>]| -> Vec<(Arc<Resource>, SidecarRes)> {
        v.iter()
            .filter_map(|r| match &r.body {
                Body::Sidecar(s) => Some((r.clone(), (**s).clone())),
                _ => None,
            })
            .collect()
    };
    let own = pairs(&own_res);
    let root = pairs(&root_res);
    let mesh_mode = ctx.facts.mesh.outbound_mode.clone();
    let mut by_source: BTreeMap<Source, (Option<Arc<Resource>>, Vec<String>)> = BTreeMap::new();
    for u in ctx.view.app_units() {
        let unit = ctx.unit(u);
        if !unit.has_sidecar() || !unit.ambient_bound() {
            continue;
        }
        // it loses its sidecar in this migration: its namespace switches, or its own template
        // change does (R003)
        let by_template = matches!(unit.res.as_deref().map(|r| &r.body),
            Some(Body::Workload(w)) if injection_request(w).is_some());
        if !switches && !by_template {
            continue;
        }
        let sc = sidecar_of(&own, &root, unit);
        let (mode, source, res) = match sc {
            Some((r, s)) if s.outbound_mode.is_some() => (
                s.outbound_mode.as_ref().map(|m| m.value.clone()),
                Source::Sidecar(r.namespace.to_string(), r.name.to_string()),
                Some(r.clone()),
            ),
            _ => (
                mesh_mode.clone(),
                Source::Mesh,
                ctx.facts.mesh.source.clone(),
            ),
        };
        if mode.as_deref() != Some("REGISTRY_ONLY") {
            continue;
        }
        let e = by_source.entry(source).or_insert_with(|| (res, Vec::new()));
        e.1.push(unit.short());
    }
    for (source, (res, units)) in by_source {
        let what = match &source {
            Source::Sidecar(sns, name) => format!("the Sidecar {sns}/{name}"),
            Source::Mesh => match &res {
                Some(r) => format!(
                    "the mesh config (ConfigMap {}/{}, outboundTrafficPolicy)",
                    r.namespace, r.name
                ),
                None => "the mesh config".to_string(),
            },
        };
        let msg = format!(
            "{} will be able to reach any destination once ztunnel captures {}: outboundTrafficPolicy REGISTRY_ONLY, set by {what}, is enforced by the sidecar only — ztunnel does not enforce it. To keep egress restricted in ambient, send the allowed external hosts through an egress waypoint (ServiceEntries labeled istio.io/use-waypoint, an AuthorizationPolicy on that waypoint) and block the rest with a NetworkPolicy egress rule, before the sidecars are removed.",
            workloads_list(&units),
            if units.len() == 1 { "it" } else { "them" }
        );
        let mut f = Finding::new(&rules::R011, msg);
        f = if switches {
            ctx.at_anchor(f)
        } else {
            f.ns(ns.clone())
        };
        if let Some(r) = &res {
            let span = match (&source, &r.body) {
                (Source::Sidecar(..), Body::Sidecar(s)) => s
                    .outbound_mode
                    .as_ref()
                    .map(|m| m.span)
                    .unwrap_or(r.name_span),
                _ => r.name_span,
            };
            f = f.related(r, span, "sets outboundTrafficPolicy REGISTRY_ONLY");
            if f.location.is_none() {
                f = f.on_node(r, span);
            }
        }
        ctx.emit(f);
    }
}
