//! Phase `remove-sidecars`: switching namespaces to ambient and what still holds them back.
//! One file per rule; the list below is the order they run in.

mod client_routing;
mod dual_labels;
mod excluded_ports;
mod fail_closed;
mod gateways_keep_proxies;
mod injection_by_default;
mod not_captured;
mod opted_out;
mod outbound_restrictions;
mod remaining_sidecars;
mod switch_namespace;
mod waypoint_revision;
mod workload_injection;

use crate::analysis::NsCtx;

/// The rules that look at one application namespace.
pub fn namespace(ctx: &mut NsCtx) {
    dual_labels::namespace(ctx);
    opted_out::namespace(ctx);
    switch_namespace::namespace(ctx);
    injection_by_default::namespace(ctx);
    fail_closed::namespace(ctx);
    workload_injection::namespace(ctx);
    remaining_sidecars::namespace(ctx);
    not_captured::namespace(ctx);
    excluded_ports::namespace(ctx);
    outbound_restrictions::namespace(ctx);
    gateways_keep_proxies::namespace(ctx);
    waypoint_revision::namespace(ctx);
}

/// The cluster-wide rules.
/// The cluster-wide rule of this phase, one namespace at a time (R008): what every namespace's
/// finding shares, and a namespace's finding.
pub use client_routing::{listing as cluster_listing, namespace as cluster_namespace};
