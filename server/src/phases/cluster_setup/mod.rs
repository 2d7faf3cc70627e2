//! Phase `cluster-setup`: ambient enabled in istiod and istio-cni, node agents deployed,
//! sidecars able to speak HBONE, Gateway API CRDs, injection webhooks. One file per rule (or
//! group of rules sharing one computation); the lists below are the order they run in.

mod ambient_profile;
mod cni_ambient;
mod crd_bundle_versions;
mod crd_versions;
mod daemonset_readiness;
mod gateway_api_crds;
mod gateway_api_pairing;
mod gateway_hbone;
mod gke_scheduling;
mod injection_and_ambient;
mod istio_init;
mod istiod_ambient;
mod mesh_hbone;
mod node_agent_priority;
mod node_agent_versions;
mod node_agents;
mod revision_tags;
mod route_crds;
mod sidecar_hbone;
mod sidecar_revision;
mod sidecar_version;
mod trusted_node_accounts;
mod validation_webhooks;
mod webhook_overlap;
mod webhook_service;
mod webhooks;
mod ztunnel_control_plane;

use crate::analysis::{ClusterCtx, NsCtx};
use crate::finding::Finding;

/// The rules that look at one namespace.
pub fn namespace(ctx: &mut NsCtx) {
    sidecar_hbone::namespace(ctx);
    sidecar_revision::namespace(ctx);
    sidecar_version::namespace(ctx);
    gateway_hbone::namespace(ctx);
    injection_and_ambient::namespace(ctx);
}

/// The cluster-wide rules.
pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    istiod_ambient::cluster(g, out);
    mesh_hbone::cluster(g, out);
    cni_ambient::cluster(g, out);
    istio_init::cluster(g, out);
    ambient_profile::cluster(g, out);
    ztunnel_control_plane::cluster(g, out);
    trusted_node_accounts::cluster(g, out);
    node_agent_versions::cluster(g, out);
    node_agents::cluster(g, out);
    daemonset_readiness::cluster(g, out);
    gke_scheduling::cluster(g, out);
    node_agent_priority::cluster(g, out);
    gateway_api_crds::cluster(g, out);
    route_crds::cluster(g, out);
    crd_versions::cluster(g, out);
    crd_bundle_versions::cluster(g, out);
    gateway_api_pairing::cluster(g, out);
    webhook_overlap::cluster(g, out);
    webhook_service::cluster(g, out);
    validation_webhooks::cluster(g, out);
    revision_tags::cluster(g, out);
}
