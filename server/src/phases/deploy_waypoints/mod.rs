//! Phase `deploy-waypoints`: which services need a waypoint, and the waypoint to deploy.
//!
//! The order matters: first the rules that find needs (each records why a target needs a
//! waypoint), then the plan (which waypoint each target will use), then the rules that read
//! the plan. One file per rule (or group of rules sharing one computation).

mod destination_rule_settings;
mod gateway_api_missing;
mod headless_services;
mod mesh_routes;
mod misplaced_config;
mod plan;
mod request_balancing;
mod selector_policies;
mod service_entries;
mod source_matches;
mod unusable_waypoints;
mod virtual_service_routing;
mod virtual_services;
mod waypoint_recommendation;

use crate::analysis::{ClusterCtx, NsCtx};
use crate::finding::Finding;

/// The rules that look at one (application) namespace.
pub fn namespace(ctx: &mut NsCtx) {
    // needs
    virtual_service_routing::namespace(ctx);
    source_matches::namespace(ctx);
    misplaced_config::virtual_services(ctx);
    destination_rule_settings::namespace(ctx);
    misplaced_config::destination_rules(ctx);
    selector_policies::namespace(ctx);
    mesh_routes::namespace(ctx);
    service_entries::namespace(ctx);
    headless_services::namespace(ctx);
    // the plan, and the rules that read it
    plan::plan(ctx);
    unusable_waypoints::namespace(ctx);
    waypoint_recommendation::namespace(ctx);
    request_balancing::namespace(ctx);
    plan::finish(ctx);
}

/// A control-plane namespace: only the waypoints that labels name there but that do not exist.
pub fn requested_waypoints(ctx: &mut NsCtx) {
    waypoint_recommendation::requested_only(ctx);
}

/// The cluster-wide rules.
pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    selector_policies::cluster(g, out);
    gateway_api_missing::cluster(g, out);
}
