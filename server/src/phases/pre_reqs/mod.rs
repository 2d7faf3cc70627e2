//! Phase `pre-reqs`: the Kubernetes platform and CNI, the Istio version, multicluster, VMs,
//! SPIRE and features ambient does not support. One file per rule (or group of rules sharing
//! one computation); the lists below are the order they run in.

mod aks;
mod calico;
mod cilium;
mod cluster_id;
mod control_plane;
mod east_west_gateways;
mod eks_security_groups;
mod envoy_filters;
mod gke;
mod gke_dataplane_v2;
mod istiod_exposed;
mod istiod_versions;
mod k3s;
mod kind;
mod kubernetes_version;
mod mesh_networks;
mod microk8s_minikube;
mod mtls_disabled;
mod network;
mod network_policies;
mod openshift;
mod platform;
mod platform_values;
mod proxy_versions;
mod remote_control_plane;
mod remote_secrets;
mod revisions;
mod service_entry_selectors;
mod sidecar_scoping;
mod spire_components;
mod spire_identity;
mod spire_injection_template;
mod workload_entries;
mod workload_groups;

use crate::analysis::{ClusterCtx, NsCtx};
use crate::finding::Finding;

/// The rules that look at one namespace.
pub fn namespace(ctx: &mut NsCtx) {
    revisions::namespace(ctx);
    proxy_versions::namespace(ctx);
    network_policies::namespace(ctx);
    cluster_id::namespace(ctx);
    network::namespace(ctx);
    spire_identity::namespace(ctx);
    spire_injection_template::namespace(ctx);
    spire_components::namespace(ctx);
    workload_groups::namespace(ctx);
    workload_entries::namespace(ctx);
    service_entry_selectors::namespace(ctx);
    istiod_exposed::namespace(ctx);
    east_west_gateways::namespace(ctx);
    mtls_disabled::namespace(ctx);
    envoy_filters::namespace(ctx);
    sidecar_scoping::namespace(ctx);
}

/// The cluster-wide rules.
pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    // CNI and platform
    cilium::cluster(g, out);
    calico::cluster(g, out);
    eks_security_groups::cluster(g, out);
    platform::cluster(g, out);
    gke::cluster(g, out);
    openshift::cluster(g, out);
    k3s::cluster(g, out);
    microk8s_minikube::cluster(g, out);
    kind::cluster(g, out);
    aks::cluster(g, out);
    gke_dataplane_v2::cluster(g, out);
    platform_values::cluster(g, out);
    // version
    control_plane::cluster(g, out);
    istiod_versions::cluster(g, out);
    revisions::cluster(g, out);
    kubernetes_version::cluster(g, out);
    // multicluster
    remote_control_plane::cluster(g, out);
    remote_secrets::cluster(g, out);
    mesh_networks::cluster(g, out);
    network::cluster(g, out);
    // SPIRE
    spire_injection_template::cluster(g, out);
    spire_components::cluster(g, out);
}
