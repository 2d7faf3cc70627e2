//! Which Kubernetes platform the cluster runs on (GKE, OpenShift, k3s…), from nodes,
//! DaemonSets, namespaces and CRDs: the platform-specific pre-reqs rules read it.

use super::context::ClusterCtx;
use crate::model::Body;

/// A detected platform.
#[derive(Clone, Debug, PartialEq)]
pub struct Platform {
    /// `GKE`, `OpenShift`, `k3d`, `k3s`, `MicroK8s`, `minikube`, `EKS`, `AKS`, `kind`.
    pub name: &'static str,
    /// `high`, `medium` or `low`.
    pub confidence: &'static str,
    /// What it was detected from.
    pub evidence: String,
}

fn found(name: &'static str, confidence: &'static str, evidence: String) -> Option<Platform> {
    Some(Platform {
        name,
        confidence,
        evidence,
    })
}

/// The platform, if anything in the input tells.
pub fn detect(g: &ClusterCtx) -> Option<Platform> {
    let f = g.facts;
    let node_label = |k: &str| {
        f.nodes
            .iter()
            .find(|n| n.labels.has(k))
            .map(|n| n.name.clone())
    };
    let kubelet = |needle: &str| {
        f.nodes.iter().find(|n| matches!(&n.body, Body::Node(i) if i.kubelet_version.as_deref().is_some_and(|v| v.contains(needle)))).map(|n| n.name.clone())
    };
    let kube_system_ds = |name: &str| f.daemonset(Some("kube-system"), name);
    if let Some(n) = kubelet("-gke").or_else(|| node_label("cloud.google.com/gke-nodepool")) {
        return found("GKE", "high", format!("node {n}"));
    }
    if let Some(d) = kube_system_ds("anetd").or_else(|| kube_system_ds("gke-metadata-server")) {
        return found("GKE", "medium", format!("DaemonSet {}", d.ns_name()));
    }
    if f.openshift_namespaces || f.crds.iter().any(|c| c.name.ends_with(".openshift.io")) {
        return found(
            "OpenShift",
            "medium",
            "openshift-* namespaces or *.openshift.io CRDs".to_string(),
        );
    }
    if let Some(n) = f.nodes.iter().find(|n| n.name.starts_with("k3d-")) {
        return found("k3d", "medium", format!("node {}", n.name));
    }
    if let Some(n) = kubelet("+k3s").or_else(|| node_label("k3s.io/hostname")) {
        return found("k3s", "high", format!("node {n}"));
    }
    if let Some(d) = f.daemonsets.iter().find(|d| d.name.starts_with("svclb-")) {
        return found(
            "k3s",
            "medium",
            format!("ServiceLB DaemonSet {}", d.ns_name()),
        );
    }
    if f.crds.iter().any(|c| c.name.ends_with(".helm.cattle.io")) {
        return found("k3s", "low", "helm.cattle.io CRDs".to_string());
    }
    if let Some(n) = node_label("microk8s.io/cluster")
        .or_else(|| node_label("node.kubernetes.io/microk8s-controlplane"))
    {
        return found("MicroK8s", "high", format!("node {n}"));
    }
    if let Some(n) = node_label("minikube.k8s.io/name").or_else(|| {
        f.nodes
            .iter()
            .find(|n| n.name == "minikube")
            .map(|n| n.name.clone())
    }) {
        return found("minikube", "high", format!("node {n}"));
    }
    for (ds, name, confidence) in [
        ("aws-node", "EKS", "medium"),
        ("azure-cns", "AKS", "medium"),
        ("kindnet", "kind", "high"),
    ] {
        if let Some(d) = kube_system_ds(ds) {
            return found(name, confidence, format!("DaemonSet {}", d.ns_name()));
        }
    }
    None
}
