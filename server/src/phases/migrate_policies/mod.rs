//! Phase `migrate-policies`: copies of sidecar-era policies that the waypoint enforces, the
//! allow-from-waypoint policies, and configuration ambient ignores. Add, never replace.
//!
//! The copies run first and in this order: the names they generate and the objects they
//! leave pending (read by use-waypoints and policy-simplification) depend on it. One file per
//! rule (or group of rules sharing one computation).

mod allow_from_waypoint;
mod alpha_virtual_services;
mod attachment_limits;
mod copies;
mod copy_scope;
mod deny_relayed;
mod dry_run_policies;
mod envoy_filters;
mod ingress_skips_waypoint;
mod l4_checks_behind_waypoint;
mod mixed_route_apis;
mod namespace_authz_copies;
mod other_policy_copies;
mod peer_authentication;
mod proxy_only_config;
mod route_translation;
mod selector_authz_copies;
mod service_entry_visibility;
mod sidecar_resources;
mod trust_domain_aliases;
mod waypointed;
mod ztunnel_enforced;

use crate::analysis::{ClusterCtx, NsCtx};
use crate::finding::Finding;

/// The rules that look at one application namespace.
pub fn namespace(ctx: &mut NsCtx) {
    let wps = waypointed::waypointed(ctx);
    selector_authz_copies::namespace(ctx, &wps);
    namespace_authz_copies::namespace(ctx, &wps);
    deny_relayed::namespace(ctx, &wps);
    l4_checks_behind_waypoint::namespace(ctx, &wps);
    allow_from_waypoint::namespace(ctx, &wps);
    other_policy_copies::namespace(ctx, &wps);
    copy_scope::namespace(ctx, &wps);
    ingress_skips_waypoint::namespace(ctx, &wps);
    dry_run_policies::namespace(ctx);
    trust_domain_aliases::namespace(ctx);
    envoy_filters::namespace(ctx);
    sidecar_resources::namespace(ctx);
    peer_authentication::namespace(ctx);
    proxy_only_config::namespace(ctx);
    service_entry_visibility::namespace(ctx);
    mixed_route_apis::namespace(ctx);
    route_translation::namespace(ctx);
    alpha_virtual_services::namespace(ctx);
    attachment_limits::namespace(ctx);
}

/// The root namespace when it is a system namespace: its Sidecar, PeerAuthentication and
/// AuthorizationPolicy resources apply mesh-wide.
pub fn root_namespace(ctx: &mut NsCtx) {
    dry_run_policies::namespace(ctx);
    trust_domain_aliases::namespace(ctx);
    sidecar_resources::namespace(ctx);
    peer_authentication::namespace(ctx);
    attachment_limits::namespace(ctx);
}

/// The cluster-wide rules.
pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    selector_authz_copies::cluster(g, out);
    other_policy_copies::cluster(g, out);
}
