//! The rule registry: every rule id, its phase, the check it belongs to, its default severity,
//! whether a finding of it fails the phase, and a one-line summary. `docs/rules.md` documents
//! each id (a test keeps the two in step).

use crate::finding::{Phase, Severity};

#[derive(Clone, Copy, Debug)]
pub struct CheckInfo {
    pub id: &'static str,
    pub phase: Phase,
    pub title: &'static str,
}

#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    pub id: &'static str,
    pub phase: Phase,
    pub check: &'static str,
    pub severity: Severity,
    pub blocking: bool,
    pub summary: &'static str,
}

use Phase::*;
use Severity::*;

pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "input",
        phase: Input,
        title: "Input files are readable",
    },
    CheckInfo {
        id: "cni",
        phase: PreReqs,
        title: "Cluster CNI compatibility",
    },
    CheckInfo {
        id: "version",
        phase: PreReqs,
        title: "Istio version compatibility",
    },
    CheckInfo {
        id: "multicluster",
        phase: PreReqs,
        title: "Multicluster usage compatibility",
    },
    CheckInfo {
        id: "vm",
        phase: PreReqs,
        title: "Virtual Machine usage compatibility",
    },
    CheckInfo {
        id: "spire",
        phase: PreReqs,
        title: "SPIRE usage compatibility",
    },
    CheckInfo {
        id: "features",
        phase: PreReqs,
        title: "Istio feature compatibility",
    },
    CheckInfo {
        id: "ambient-enabled",
        phase: ClusterSetup,
        title: "Ambient mode is enabled",
    },
    CheckInfo {
        id: "daemonsets",
        phase: ClusterSetup,
        title: "DaemonSets are deployed",
    },
    CheckInfo {
        id: "sidecars-updated",
        phase: ClusterSetup,
        title: "Sidecars are updated",
    },
    CheckInfo {
        id: "crds",
        phase: ClusterSetup,
        title: "Required CRDs are installed",
    },
    CheckInfo {
        id: "webhooks",
        phase: ClusterSetup,
        title: "Injection webhooks are consistent",
    },
    CheckInfo {
        id: "waypoints-needed",
        phase: DeployWaypoints,
        title: "Services that need a waypoint have one",
    },
    CheckInfo {
        id: "waypoints-valid",
        phase: DeployWaypoints,
        title: "Existing waypoints are valid",
    },
    CheckInfo {
        id: "policies-migrated",
        phase: MigratePolicies,
        title: "Policies are enforced at the waypoints",
    },
    CheckInfo {
        id: "unsupported",
        phase: MigratePolicies,
        title: "No configuration that ambient ignores",
    },
    // ---- routes (issue 9): VirtualService → HTTPRoute translation
    CheckInfo {
        id: "routes",
        phase: MigratePolicies,
        title: "Mesh VirtualServices translate to HTTPRoutes",
    },
    // ---- end routes
    CheckInfo {
        id: "waypoints-used",
        phase: UseWaypoints,
        title: "Waypoints are in use",
    },
    CheckInfo {
        id: "enrollment-valid",
        phase: UseWaypoints,
        title: "Waypoint enrollment is valid",
    },
    CheckInfo {
        id: "ordering",
        phase: UseWaypoints,
        title: "Policies are in place before traffic moves",
    },
    CheckInfo {
        id: "cleanup",
        phase: PolicySimplification,
        title: "Sidecar-only policies are cleaned up",
    },
    CheckInfo {
        id: "sidecars",
        phase: RemoveSidecars,
        title: "Sidecars can be removed",
    },
    CheckInfo {
        id: "injection",
        phase: RemoveSidecars,
        title: "Sidecar injection is switched off",
    },
];

macro_rules! r {
    ($id:literal, $phase:ident, $check:literal, $sev:ident, $blocking:literal, $summary:literal) => {
        RuleInfo {
            id: $id,
            phase: $phase,
            check: $check,
            severity: $sev,
            blocking: $blocking,
            summary: $summary,
        }
    };
}

pub const RULES: &[RuleInfo] = &[
    // ---- input
    r!("YAML-001", Input, "input", Error, false, "YAML syntax error in a document (the other documents of the file are still read)"),
    r!("YAML-002", Input, "input", Info, false, "Helm/Go template: the file is not analysed"),
    r!("YAML-003", Input, "input", Error, false, "A bound was exceeded (alias expansion, nesting depth, file size): not analysed"),
    r!("YAML-004", Input, "input", Warning, false, "Duplicate key in a mapping"),
    r!("YAML-005", Input, "input", Error, false, "File cannot be read as UTF-8 text"),
    r!("SCHEMA-001", Input, "input", Error, false, "A field of a known kind has the wrong type or is missing"),
    r!("INPUT-001", Input, "input", Info, false, "A namespace has no Namespace manifest in the input; its workloads are assumed to use sidecars"),
    // ---- pre-reqs: version
    r!("PR-VER-001", PreReqs, "version", Error, true, "No Istio control plane (istiod) found"),
    r!("PR-VER-002", PreReqs, "version", Error, true, "An istiod runs an Istio version below 1.25"),
    r!("PR-VER-003", PreReqs, "version", Warning, false, "The Istio version of an istiod cannot be determined"),
    r!("PR-VER-004", PreReqs, "version", Info, false, "istiod uses an upstream build; zero-downtime migration needs Solo builds"),
    r!("PR-VER-005", PreReqs, "version", Warning, false, "Revisions/tags referenced by namespaces or webhooks have no control plane, or revisions disagree"),
    r!("PR-VER-006", PreReqs, "version", Warning, false, "A sidecar runs a proxy older than its control plane"),
    // ---- pre-reqs: CNI
    r!("PR-CNI-001", PreReqs, "cni", Error, true, "Cilium cni-exclusive=true removes istio-cni's chained config"),
    r!("PR-CNI-002", PreReqs, "cni", Error, true, "Cilium BPF masquerading breaks ambient health probes"),
    r!("PR-CNI-003", PreReqs, "cni", Error, true, "Cilium socket load-balancing inside pods bypasses Istio"),
    r!("PR-CNI-004", PreReqs, "cni", Error, true, "Cilium kube-proxy replacement without host-namespace-only socket LB"),
    r!("PR-CNI-005", PreReqs, "cni", Warning, false, "Cilium with default-deny policies blocks ambient health probes"),
    r!("PR-CNI-006", PreReqs, "cni", Error, true, "Calico eBPF connect-time load balancing bypasses Istio"),
    r!("PR-CNI-007", PreReqs, "cni", Error, true, "EKS pod security groups in strict mode drop ambient probes"),
    r!("PR-CNI-008", PreReqs, "cni", Error, true, "GKE: node-critical DaemonSets need kube-system or a PriorityClass quota; CNI binaries in /home/kubernetes/bin"),
    r!("PR-CNI-009", PreReqs, "cni", Error, true, "OpenShift: ztunnel and istio-cni must run in kube-system with platform=openshift"),
    r!("PR-CNI-010", PreReqs, "cni", Error, true, "k3s/k3d: istio-cni paths do not match the platform"),
    r!("PR-CNI-011", PreReqs, "cni", Error, true, "MicroK8s/minikube: istio-cni paths do not match the platform"),
    r!("PR-CNI-012", PreReqs, "cni", Info, false, "kind (kindnet) detected"),
    r!("PR-CNI-020", PreReqs, "cni", Info, false, "Detected Kubernetes platform"),
    // ---- pre-reqs: multicluster
    r!("PR-MC-001", PreReqs, "multicluster", Warning, false, "Remote secrets: a multicluster mesh"),
    r!("PR-MC-002", PreReqs, "multicluster", Info, false, "Non-default cluster ID"),
    r!("PR-MC-003", PreReqs, "multicluster", Warning, false, "meshNetworks defines networks"),
    r!("PR-MC-004", PreReqs, "multicluster", Warning, false, "Sidecar-mode east-west gateway"),
    r!("PR-MC-005", PreReqs, "multicluster", Error, true, "Primary-remote / external control plane: not supported by ambient"),
    r!("PR-MC-006", PreReqs, "multicluster", Info, false, "Network label configured"),
    // ---- pre-reqs: VM
    r!("PR-VM-001", PreReqs, "vm", Error, true, "WorkloadGroup: VM onboarding, VMs cannot join ambient"),
    r!("PR-VM-002", PreReqs, "vm", Error, true, "WorkloadEntry (VM endpoint)"),
    r!("PR-VM-003", PreReqs, "vm", Info, false, "istiod is exposed through an east-west gateway"),
    r!("PR-VM-004", PreReqs, "vm", Info, false, "ServiceEntry selects WorkloadEntries"),
    // ---- pre-reqs: SPIRE
    r!("PR-SPIRE-001", PreReqs, "spire", Error, true, "Workload identity from SPIRE (CSI volume)"),
    r!("PR-SPIRE-002", PreReqs, "spire", Error, true, "Injection template wires SPIRE into sidecars"),
    r!("PR-SPIRE-003", PreReqs, "spire", Warning, false, "SPIRE components present"),
    // ---- pre-reqs: features
    r!("PR-FEAT-001", PreReqs, "features", Error, true, "PeerAuthentication disables mTLS"),
    r!("PR-FEAT-002", PreReqs, "features", Warning, false, "EnvoyFilter on workloads to be migrated"),
    r!("PR-FEAT-003", PreReqs, "features", Info, false, "Sidecar scoping resources are not used by ambient"),
    // ---- cluster-setup
    r!("CS-AMB-001", ClusterSetup, "ambient-enabled", Error, true, "istiod does not run with PILOT_ENABLE_AMBIENT=true"),
    r!("CS-AMB-002", ClusterSetup, "ambient-enabled", Error, true, "Mesh config does not enable HBONE for proxies"),
    r!("CS-AMB-003", ClusterSetup, "ambient-enabled", Error, true, "istio-cni is installed without ambient support"),
    r!("CS-AMB-004", ClusterSetup, "ambient-enabled", Error, true, "Istio CNI node agent not installed (sidecars use istio-init)"),
    r!("CS-DS-001", ClusterSetup, "daemonsets", Error, true, "ztunnel not found"),
    r!("CS-DS-002", ClusterSetup, "daemonsets", Error, true, "istio-cni node agent not found"),
    r!("CS-DS-003", ClusterSetup, "daemonsets", Error, true, "ztunnel/istio-cni DaemonSet not ready"),
    r!("CS-SC-001", ClusterSetup, "sidecars-updated", Error, true, "Sidecar is missing ENABLE_HBONE"),
    r!("CS-SC-002", ClusterSetup, "sidecars-updated", Error, true, "Sidecar managed by a revision that is not ambient-enabled"),
    r!("CS-SC-003", ClusterSetup, "sidecars-updated", Error, true, "Sidecar proxy too old for ambient interop"),
    r!("CS-CRD-001", ClusterSetup, "crds", Error, true, "Gateway API CRDs not found"),
    r!("CS-CRD-002", ClusterSetup, "crds", Warning, false, "Gateway API route CRDs missing"),
    r!("CS-CRD-003", ClusterSetup, "crds", Error, true, "Gateway API CRDs do not serve the versions Istio needs"),
    r!("CS-WH-001", ClusterSetup, "webhooks", Error, true, "Injection webhooks overlap (pods would be injected twice)"),
    r!("CS-WH-002", ClusterSetup, "webhooks", Error, true, "Injection webhook refers to a missing control plane Service"),
    // ---- deploy-waypoints
    r!("W001", DeployWaypoints, "waypoints-needed", Warning, false, "VirtualService HTTP routing needs a waypoint"),
    r!("W002", DeployWaypoints, "waypoints-needed", Warning, false, "VirtualService TCP/TLS routing needs a waypoint"),
    r!("W003", DeployWaypoints, "waypoints-needed", Warning, false, "VirtualService matches a waypoint will not reproduce (sourceLabels/sourceNamespace)"),
    r!("W004", DeployWaypoints, "waypoints-needed", Warning, false, "VirtualService/DestinationRule placed where the waypoint will not read it"),
    r!("W005", DeployWaypoints, "waypoints-needed", Warning, false, "DestinationRule traffic policy needs a waypoint"),
    r!("W006", DeployWaypoints, "waypoints-needed", Info, false, "DestinationRule that does not justify a waypoint"),
    r!("W007", DeployWaypoints, "waypoints-needed", Info, false, "Locality load balancing: consider Service trafficDistribution"),
    r!("W009", DeployWaypoints, "waypoints-needed", Error, false, "AuthorizationPolicy with HTTP attributes on a workload that will lose its sidecar"),
    r!("W010", DeployWaypoints, "waypoints-needed", Error, false, "CUSTOM AuthorizationPolicy not attached to a waypoint (fail-open)"),
    r!("W011", DeployWaypoints, "waypoints-needed", Info, false, "AUDIT AuthorizationPolicy not attached to a waypoint"),
    r!("W012", DeployWaypoints, "waypoints-needed", Warning, false, "RequestAuthentication needs a waypoint"),
    r!("W013", DeployWaypoints, "waypoints-needed", Info, false, "Selector-based Telemetry only a waypoint can honour"),
    r!("W014", DeployWaypoints, "waypoints-needed", Warning, false, "WasmPlugin needs a waypoint"),
    r!("W015", DeployWaypoints, "waypoints-needed", Warning, false, "EnvoyFilter on application workloads has no effect in ambient"),
    r!("W016", DeployWaypoints, "waypoints-needed", Warning, false, "Gateway API mesh route (GAMMA) needs a waypoint"),
    r!("W017", DeployWaypoints, "waypoints-needed", Warning, false, "ServiceEntry with L7 configuration needs an egress waypoint"),
    r!("W018", DeployWaypoints, "waypoints-needed", Warning, false, "Headless service: clients address pods, a service waypoint is bypassed"),
    r!("W019", DeployWaypoints, "waypoints-needed", Error, false, "Sidecar-style egress gateway routing is bypassed by ambient clients"),
    r!("W020", DeployWaypoints, "waypoints-needed", Info, false, "Generated waypoint for a namespace"),
    r!("W021", DeployWaypoints, "waypoints-valid", Warning, false, "Existing waypoint Gateway is unusable or its name clashes"),
    r!("W022", DeployWaypoints, "waypoints-needed", Info, false, "HTTP/2 or gRPC service: ztunnel balances per connection"),
    r!("W023", DeployWaypoints, "waypoints-valid", Error, true, "Gateway API CRDs missing while a waypoint is needed"),
    // ---- migrate-policies
    r!("P001", MigratePolicies, "policies-migrated", Warning, false, "Copy a workload AuthorizationPolicy to the waypoint (per Service)"),
    r!("P002", MigratePolicies, "policies-migrated", Warning, false, "Copy a namespace-wide AuthorizationPolicy to the waypoint"),
    r!("P003", MigratePolicies, "policies-migrated", Warning, false, "Copy a root-namespace AuthorizationPolicy to the waypoints"),
    r!("P004", MigratePolicies, "policies-migrated", Error, false, "The workload must allow traffic from its waypoint"),
    r!("P005", MigratePolicies, "policies-migrated", Error, false, "A DENY policy will deny traffic relayed by the waypoint"),
    r!("P006", MigratePolicies, "policies-migrated", Warning, false, "L4 namespace/IP checks that a waypoint makes meaningless"),
    r!("P007", MigratePolicies, "policies-migrated", Warning, false, "Copy a RequestAuthentication to the waypoint"),
    r!("P008", MigratePolicies, "policies-migrated", Info, false, "Copy a selector-based Telemetry to the waypoint"),
    r!("P009", MigratePolicies, "policies-migrated", Warning, false, "Copy a WasmPlugin to the waypoint"),
    r!("P010", MigratePolicies, "unsupported", Warning, false, "EnvoyFilter requires a manual port"),
    r!("P011", MigratePolicies, "unsupported", Warning, false, "Sidecar resource will stop applying"),
    r!("P012", MigratePolicies, "unsupported", Error, false, "PeerAuthentication differences in ambient"),
    r!("P013", MigratePolicies, "unsupported", Warning, false, "Proxy-only annotations and ProxyConfig have no effect in ambient"),
    r!("P015", MigratePolicies, "policies-migrated", Warning, false, "Ingress gateway traffic skips the waypoint"),
    r!("P016", MigratePolicies, "policies-migrated", Warning, false, "Principal relies on trust-domain alias expansion"),
    r!("P017", MigratePolicies, "policies-migrated", Warning, false, "Dry-run AuthorizationPolicy on ambient workloads"),
    r!("P019", MigratePolicies, "unsupported", Warning, false, "VirtualService and HTTPRoute for the same service"),
    // ---- migrate-policies: VirtualService → HTTPRoute translation (routes/, phases/routes.rs)
    r!("RT-001", MigratePolicies, "routes", Info, false, "HTTPRoute translation of a mesh VirtualService (same routing behaviour)"),
    r!("RT-002", MigratePolicies, "routes", Warning, false, "A VirtualService field has no HTTPRoute form: no translation"),
    r!("RT-003", MigratePolicies, "routes", Warning, false, "Gateway API precedence would change which VirtualService rule wins: no translation"),
    r!("RT-004", MigratePolicies, "routes", Warning, false, "VirtualService retries need the HTTPRoute `retry` field (experimental channel)"),
    r!("RT-005", MigratePolicies, "routes", Warning, false, "The HTTPRoute would exceed a Gateway API limit: no translation"),
    // ---- end routes
    // ---- use-waypoints
    r!("U001", UseWaypoints, "waypoints-used", Warning, false, "Waypoint not used by anything"),
    r!("U002", UseWaypoints, "waypoints-used", Info, false, "Enroll a namespace/service in its waypoint"),
    r!("U003", UseWaypoints, "enrollment-valid", Error, true, "Enrollment points to a missing waypoint"),
    r!("U004", UseWaypoints, "enrollment-valid", Error, true, "Enrollment to a waypoint that does not handle that traffic type"),
    r!("U005", UseWaypoints, "enrollment-valid", Error, true, "Cross-namespace waypoint use not allowed"),
    r!("U007", UseWaypoints, "waypoints-used", Warning, false, "Explicit opt-out on a service that needs a waypoint"),
    r!("U008", UseWaypoints, "ordering", Error, false, "Policies must be in place before a waypoint is used"),
    // ---- policy-simplification
    r!("S001", PolicySimplification, "cleanup", Info, false, "Delete a migrated L7 workload policy"),
    r!("S002", PolicySimplification, "cleanup", Info, false, "L4 identity policy superseded by the waypoint"),
    r!("S003", PolicySimplification, "cleanup", Info, false, "Namespace-wide baseline policy"),
    r!("S004", PolicySimplification, "cleanup", Info, false, "Policy that must stay"),
    r!("S005", PolicySimplification, "cleanup", Info, false, "Delete selector-based RequestAuthentication/Telemetry/WasmPlugin/EnvoyFilter originals"),
    r!("S006", PolicySimplification, "cleanup", Info, false, "Delete Sidecar resources"),
    r!("S007", PolicySimplification, "cleanup", Info, false, "Delete no-op DestinationRules"),
    r!("S008", PolicySimplification, "cleanup", Info, false, "Delete relocated VirtualService/DestinationRule originals"),
    r!("S009", PolicySimplification, "cleanup", Warning, false, "Keep a policy until the pods it selects are migrated"),
    // ---- remove-sidecars
    r!("R001", RemoveSidecars, "sidecars", Info, false, "Switch a namespace from sidecars to ambient"),
    r!("R002", RemoveSidecars, "injection", Error, false, "Injection is enabled by default: removing the label is not enough"),
    r!("R003", RemoveSidecars, "injection", Warning, false, "Workload-level injection request"),
    r!("R004", RemoveSidecars, "sidecars", Warning, false, "Pod still has a sidecar"),
    r!("R005", RemoveSidecars, "injection", Warning, false, "Both sidecar-injection and ambient labels"),
    r!("R006", RemoveSidecars, "sidecars", Info, false, "Pods that will not join ambient"),
    r!("R007", RemoveSidecars, "sidecars", Warning, false, "Removing the revision label moves a waypoint to another control plane"),
    r!("R008", RemoveSidecars, "sidecars", Warning, false, "Clients would lose sidecar routing before servers' waypoints are enabled"),
    r!("R009", RemoveSidecars, "sidecars", Error, true, "Fail-closed policies still present for pods about to lose their sidecar"),
];

/// Position of a rule in the registry (report order).
pub fn position(id: &str) -> usize {
    static MAP: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| RULES.iter().enumerate().map(|(i, r)| (r.id, i)).collect())
        .get(id)
        .copied()
        .unwrap_or(usize::MAX)
}

pub fn rule(id: &str) -> &'static RuleInfo {
    RULES
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("unknown rule id {id}"))
}

pub fn try_rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

pub fn check(id: &str) -> &'static CheckInfo {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("unknown check id {id}"))
}

pub fn checks_of(phase: Phase) -> impl Iterator<Item = &'static CheckInfo> {
    CHECKS.iter().filter(move |c| c.phase == phase)
}

/// The anchor of a rule in docs/rules.md.
pub fn doc_anchor(id: &str) -> String {
    id.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_and_checks_exist() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            let c = check(r.check);
            assert_eq!(c.phase, r.phase, "{} check in another phase", r.id);
        }
    }
}
