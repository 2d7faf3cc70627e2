//! The kinds the analysis reads from a cluster, and the checks that need each one.
//!
//! Only these are ever requested (docs/cluster.md derives its ClusterRole from this table and a
//! test keeps the two equal). Versions are not listed: discovery picks the version the server
//! prefers among those that serve the kind.

/// Checks of `rules::CHECKS` (ids).
const PREREQS: &[&str] = &["cni", "version", "multicluster", "vm", "spire", "features"];

/// Every migration check: what namespaces, services and workloads exist shapes every phase.
const EVERY: &[&str] = &[
    "cni",
    "version",
    "multicluster",
    "vm",
    "spire",
    "features",
    "ambient-enabled",
    "daemonsets",
    "sidecars-updated",
    "webhooks",
    "waypoints-needed",
    "waypoints-valid",
    "policies-migrated",
    "unsupported",
    "waypoints-used",
    "enrollment-valid",
    "ordering",
    "cleanup",
    "sidecars",
    "injection",
];

/// The checks of the phases after cluster-setup, which read traffic and policy objects.
const MESH: &[&str] = &[
    "waypoints-needed",
    "waypoints-valid",
    "policies-migrated",
    "unsupported",
    "waypoints-used",
    "enrollment-valid",
    "ordering",
    "cleanup",
    "sidecars",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Want {
    pub group: &'static str,
    pub kind: &'static str,
    /// Read with a metadata-only list (`PartialObjectMetadataList`): Secrets.
    pub metadata_only: bool,
    /// Only objects matching this label selector are read.
    pub label_selector: Option<&'static str>,
    /// Pods: drop what the analysis never reads as pages arrive.
    pub prune_pod: bool,
    /// Checks that cannot be evaluated without this kind.
    pub checks: &'static [&'static str],
}

const fn w(group: &'static str, kind: &'static str, checks: &'static [&'static str]) -> Want {
    Want {
        group,
        kind,
        metadata_only: false,
        label_selector: None,
        prune_pod: false,
        checks,
    }
}

pub const WANTED: &[Want] = &[
    // core
    w("", "Namespace", EVERY),
    w("", "Service", EVERY),
    Want {
        prune_pod: true,
        ..w(
            "",
            "Pod",
            &[
                "version",
                "cni",
                "spire",
                "sidecars-updated",
                "waypoints-needed",
                "policies-migrated",
                "cleanup",
                "sidecars",
                "injection",
            ],
        )
    },
    w(
        "",
        "ConfigMap",
        &[
            "cni",
            "version",
            "multicluster",
            "spire",
            "ambient-enabled",
            "sidecars-updated",
            "webhooks",
            "sidecars",
            "injection",
        ],
    ),
    // remote secrets of a multicluster mesh: only their labels are read
    Want {
        metadata_only: true,
        label_selector: Some("istio/multiCluster=true"),
        ..w("", "Secret", &["multicluster"])
    },
    w("", "Node", &["cni", "version"]),
    w("", "ResourceQuota", &["cni", "daemonsets"]),
    // workloads
    w("apps", "Deployment", EVERY),
    w("apps", "StatefulSet", EVERY),
    w("apps", "DaemonSet", EVERY),
    w("apps", "ReplicaSet", EVERY),
    w("batch", "Job", EVERY),
    w("batch", "CronJob", EVERY),
    w("networking.k8s.io", "NetworkPolicy", &["cni"]),
    w(
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        &[
            "version",
            "sidecars-updated",
            "webhooks",
            "sidecars",
            "injection",
        ],
    ),
    w(
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        &["webhooks"],
    ),
    w(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        &["crds", "waypoints-valid"],
    ),
    // Istio
    w("networking.istio.io", "VirtualService", MESH),
    w("networking.istio.io", "DestinationRule", MESH),
    w(
        "networking.istio.io",
        "Gateway",
        &["multicluster", "vm", "waypoints-needed"],
    ),
    w(
        "networking.istio.io",
        "ServiceEntry",
        &[
            "vm",
            "waypoints-needed",
            "waypoints-used",
            "enrollment-valid",
        ],
    ),
    w(
        "networking.istio.io",
        "Sidecar",
        &["features", "unsupported", "cleanup"],
    ),
    w(
        "networking.istio.io",
        "EnvoyFilter",
        &["features", "waypoints-needed", "unsupported", "cleanup"],
    ),
    w(
        "networking.istio.io",
        "WorkloadEntry",
        &["vm", "waypoints-used", "enrollment-valid"],
    ),
    w("networking.istio.io", "WorkloadGroup", &["vm"]),
    w("networking.istio.io", "ProxyConfig", &["unsupported"]),
    w(
        "security.istio.io",
        "PeerAuthentication",
        &["features", "unsupported", "policies-migrated"],
    ),
    w("security.istio.io", "RequestAuthentication", MESH),
    w("security.istio.io", "AuthorizationPolicy", MESH),
    w("telemetry.istio.io", "Telemetry", MESH),
    w("extensions.istio.io", "WasmPlugin", MESH),
    // Gateway API
    w("gateway.networking.k8s.io", "Gateway", MESH),
    w(
        "gateway.networking.k8s.io",
        "GatewayClass",
        &["waypoints-valid", "waypoints-needed"],
    ),
    w("gateway.networking.k8s.io", "HTTPRoute", MESH),
    w("gateway.networking.k8s.io", "GRPCRoute", MESH),
    w("gateway.networking.k8s.io", "TCPRoute", MESH),
    w("gateway.networking.k8s.io", "TLSRoute", MESH),
    w("gateway.networking.k8s.io", "UDPRoute", MESH),
    w("gateway.networking.k8s.io", "ListenerSet", MESH),
    // CNI and platform
    w("crd.projectcalico.org", "FelixConfiguration", &["cni"]),
    w("projectcalico.org", "FelixConfiguration", &["cni"]),
    w("cilium.io", "CiliumNetworkPolicy", &["cni"]),
    w("cilium.io", "CiliumClusterwideNetworkPolicy", &["cni"]),
    w("vpcresources.k8s.aws", "SecurityGroupPolicy", &["cni"]),
    w("spire.spiffe.io", "ClusterSPIFFEID", &["spire"]),
];

impl Want {
    /// `Kind`, or `Kind.group` when another wanted group has a kind of the same name
    /// (`Gateway.networking.istio.io`), as used in `cluster://` URIs.
    pub fn uri_kind(&self) -> String {
        let shared = WANTED
            .iter()
            .any(|o| o.kind == self.kind && o.group != self.group);
        if shared && !self.group.is_empty() {
            format!("{}.{}", self.kind, self.group)
        } else {
            self.kind.to_string()
        }
    }

    /// `Kind` or `Kind.group` for messages.
    pub fn display(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }
}

/// The groups of `WANTED` (discovery reads only these).
pub fn groups() -> Vec<&'static str> {
    let mut g: Vec<&'static str> = WANTED.iter().map(|w| w.group).collect();
    g.sort();
    g.dedup();
    g
}

/// Pre-req checks, for callers that summarise.
pub fn is_prereq(check: &str) -> bool {
    PREREQS.contains(&check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_exist_and_kinds_are_modelled() {
        for w in WANTED {
            for c in w.checks {
                assert!(
                    crate::rules::CHECKS.iter().any(|k| k.id == *c),
                    "{c} is not a check of the registry"
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        for w in WANTED {
            assert!(seen.insert((w.group, w.kind)), "{w:?} twice");
        }
        assert_eq!(WANTED[0].uri_kind(), "Namespace");
        let istio_gw = WANTED
            .iter()
            .find(|w| w.group == "networking.istio.io" && w.kind == "Gateway")
            .unwrap();
        assert_eq!(istio_gw.uri_kind(), "Gateway.networking.istio.io");
    }
}
