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
    let mut out = Vec::new();
    pre_reqs::cluster(g, &mut out);
    cluster_setup::cluster(g, &mut out);
    deploy_waypoints::cluster(g, &mut out);
    migrate_policies::cluster(g, &mut out);
    policy_simplification::cluster(g, &mut out);
    remove_sidecars::cluster(g, &mut out);
    out
}
