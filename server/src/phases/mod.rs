//! The rules, one folder per phase and one file per rule (or group of rules sharing one
//! computation). Each namespace is analysed on its own (`analyze_namespace`) with the cluster
//! facts as input; `combine` then runs the cluster-wide rules, which also see every
//! namespace's result. Phases never import each other: what a later phase needs from an
//! earlier one (the waypoint plan, the objects generated) is in the shared context
//! (`analysis::context`).

mod cluster_setup;
mod deploy_waypoints;
mod input;
mod migrate_policies;
mod policy_simplification;
mod pre_reqs;
mod remove_sidecars;
mod use_waypoints;

/// The workspace against the live cluster (DRIFT-*), run by the language server.
pub use input::drift;

use crate::analysis::facts::Facts;
use crate::analysis::{ClusterCtx, NsCtx, NsResult, Options};
use crate::finding::Finding;
use crate::index::Index;

/// Analyse one namespace: every phase's namespace rules, in phase order.
pub fn analyze_namespace(index: &Index, facts: &Facts, opts: &Options, ns: &str) -> NsResult {
    let mut ctx = NsCtx::new(index, facts, opts, ns);
    ctx.summary.flags = ctx.view.flags();
    input::namespace(&mut ctx);
    pre_reqs::namespace(&mut ctx);
    cluster_setup::namespace(&mut ctx);
    if ctx.view.mode.system {
        // control plane and node agents are not migrated; root-namespace policies are handled
        // through the cluster facts by every namespace they select
        if ctx.is_root() {
            migrate_policies::root_namespace(&mut ctx);
        }
        deploy_waypoints::requested_waypoints(&mut ctx);
        use_waypoints::namespace(&mut ctx);
    } else {
        deploy_waypoints::namespace(&mut ctx);
        migrate_policies::namespace(&mut ctx);
        use_waypoints::namespace(&mut ctx);
        policy_simplification::namespace(&mut ctx);
        remove_sidecars::namespace(&mut ctx);
    }
    let units = &ctx.view.units;
    ctx.summary.sidecar_units = units
        .iter()
        .filter(|u| u.has_sidecar() && !u.gateway)
        .count();
    ctx.summary.has_pods_with_sidecar = units.iter().any(|u| u.has_sidecar() && !u.pods.is_empty());
    let mut findings = ctx.out;
    findings.shrink_to_fit();
    NsResult {
        findings,
        summary: ctx.summary,
    }
}

/// The cluster-wide rules, in phase order.
pub fn combine(g: &ClusterCtx) -> Vec<Finding> {
    let mut out = combine_head(g);
    let shared = PerNsShared::of(g);
    for (seg, namespaces) in PerNsShared::namespaces(g).into_iter().enumerate() {
        for ns in namespaces {
            out.extend(shared.namespace(seg, ns, &g.results[ns]));
        }
    }
    out
}

/// The cluster-wide rules whose findings are not per namespace, in phase order (they come
/// before the per-namespace ones: `combine` = `combine_head`, then every namespace's findings
/// of each `PerNsShared` segment in namespace order).
pub fn combine_head(g: &ClusterCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    pre_reqs::cluster(g, &mut out);
    cluster_setup::cluster(g, &mut out);
    deploy_waypoints::cluster(g, &mut out);
    migrate_policies::cluster(g, &mut out);
    out
}

/// The cluster-wide rules that report per namespace (S007, then R008: the last two of
/// `combine`), as what their findings share across namespaces. While it stays the same, a
/// namespace's findings depend only on that namespace's result, so the language server
/// recomputes them for the namespaces an edit re-analysed only.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PerNsShared {
    /// S007 reports (no sidecar left anywhere).
    s007: bool,
    /// R008's list of unserved targets (`None`: R008 reports nothing).
    r008: Option<String>,
}

/// Segments of the per-namespace cluster-wide findings (S007, R008).
pub const PER_NS_SEGMENTS: usize = 2;

impl PerNsShared {
    pub fn of(g: &ClusterCtx) -> PerNsShared {
        PerNsShared {
            s007: policy_simplification::cluster_applies(g),
            r008: remove_sidecars::cluster_listing(g),
        }
    }

    /// The namespaces that may have findings in each segment.
    pub fn namespaces<'a>(g: &ClusterCtx<'a>) -> [&'a std::collections::BTreeSet<String>; 2] {
        [&g.agg.noop_destination_rules, &g.agg.switching]
    }

    /// Namespace `ns`'s findings in segment `seg`.
    pub fn namespace(&self, seg: usize, ns: &str, r: &NsResult) -> Vec<Finding> {
        let mut out = Vec::new();
        match seg {
            0 if self.s007 => policy_simplification::cluster_namespace(r, &mut out),
            1 => {
                if let Some(l) = &self.r008 {
                    remove_sidecars::cluster_namespace(ns, r, l, &mut out)
                }
            }
            _ => {}
        }
        out
    }
}
