//! The one list of rules (and the checks they belong to). Adding a rule adds one line here;
//! `docs/architecture.md` ("How to add a rule") has the whole recipe.
//!
//! A line reads `CONST = "ID", CHECK, Severity[, flags]: "title";` with the flags `blocking`
//! (a finding fails the check), `advisory` (a waypoint need only with `--strict-waypoints`),
//! `shown`, `warn_marker`, `warning_line` (see `TextStyle`), `routes_file` (its `apply`
//! objects go to `recommended-routes.yaml`), `medium_precision` (inferred from partial
//! information), `security("score", "what is weakened")` (its findings weaken authorization or
//! authentication; the SARIF `security-severity`). A variant reads
//! `CONST = RULE, Severity[, flags]: "what is different";`: same id, check and title. The order
//! of the list is the order of findings in every report.

use super::{Check, Phase, Rule, Severity};

/// The checks of each phase, in report order (the seed's check titles).
pub mod checks {
    use super::{Check, Phase};

    macro_rules! checks {
        ($( $name:ident = $id:literal, $phase:ident: $title:literal; )*) => {
            $( pub static $name: Check = Check { id: $id, phase: Phase::$phase, title: $title }; )*
            /// Every check, in report order.
            pub static ALL: &[&Check] = &[ $( &$name, )* ];
        };
    }

    checks! {
        INPUT = "input", Input: "Input files are readable";
        DRIFT = "drift", Input: "The workspace matches the live cluster";
        CNI = "cni", PreReqs: "Cluster CNI compatibility";
        VERSION = "version", PreReqs: "Istio version compatibility";
        MULTICLUSTER = "multicluster", PreReqs: "Multicluster usage compatibility";
        VM = "vm", PreReqs: "Virtual Machine usage compatibility";
        SPIRE = "spire", PreReqs: "SPIRE usage compatibility";
        FEATURES = "features", PreReqs: "Istio feature compatibility";
        AMBIENT_ENABLED = "ambient-enabled", ClusterSetup: "Ambient mode is enabled";
        DAEMONSETS = "daemonsets", ClusterSetup: "DaemonSets are deployed";
        SIDECARS_UPDATED = "sidecars-updated", ClusterSetup: "Sidecars are updated";
        CRDS = "crds", ClusterSetup: "Required CRDs are installed";
        WEBHOOKS = "webhooks", ClusterSetup: "Injection webhooks are consistent";
        WAYPOINTS_NEEDED = "waypoints-needed", DeployWaypoints: "Services that need a waypoint have one";
        WAYPOINTS_VALID = "waypoints-valid", DeployWaypoints: "Existing waypoints are valid";
        POLICIES_MIGRATED = "policies-migrated", MigratePolicies: "Policies are enforced at the waypoints";
        UNSUPPORTED = "unsupported", MigratePolicies: "No configuration that ambient ignores";
        ROUTES = "routes", MigratePolicies: "Mesh VirtualServices translate to HTTPRoutes";
        WAYPOINTS_USED = "waypoints-used", UseWaypoints: "Waypoints are in use";
        ENROLLMENT_VALID = "enrollment-valid", UseWaypoints: "Waypoint enrollment is valid";
        ORDERING = "ordering", UseWaypoints: "Policies are in place before traffic moves";
        CLEANUP = "cleanup", PolicySimplification: "Sidecar-only policies are cleaned up";
        SIDECARS = "sidecars", RemoveSidecars: "Sidecars can be removed";
        INJECTION = "injection", RemoveSidecars: "Sidecar injection is switched off";
    }
}

pub use checks::ALL as CHECKS;

macro_rules! registry {
    (
        rules { $( $name:ident = $id:literal, $check:ident, $sev:ident $(, $flag:ident $( ( $($arg:literal),* ) )? )* : $title:literal; )* }
        variants { $( $vname:ident = $base:ident, $vsev:ident $(, $vflag:ident)* : $what:literal; )* }
    ) => {
        mod defs {
            use super::{checks, Rule, Severity};
            $( pub const $name: Rule = Rule::new($id, &checks::$check, Severity::$sev, $title) $(.$flag( $( $($arg),* )? ))*; )*
            $( pub const $vname: Rule = $base.variant($what, Severity::$vsev) $(.$vflag())*; )*
        }
        $( pub static $name: Rule = defs::$name; )*
        $( pub static $vname: Rule = defs::$vname; )*
        /// Every rule, then every variant.
        pub static RULES: &[&Rule] = &[ $( &$name, )* $( &$vname, )* ];
    };
}

registry! {
rules {
    // ---- input
    YAML_001 = "YAML-001", INPUT, Error: "YAML syntax error in a document (the other documents of the file are still read)";
    YAML_002 = "YAML-002", INPUT, Info, shown: "Helm/Go template: the file is not analysed";
    YAML_003 = "YAML-003", INPUT, Error: "A bound was exceeded (alias expansion, nesting depth, file size): not analysed";
    YAML_004 = "YAML-004", INPUT, Warning: "Duplicate key in a mapping";
    YAML_005 = "YAML-005", INPUT, Error: "File cannot be read as UTF-8 text";
    SCHEMA_001 = "SCHEMA-001", INPUT, Error: "A field of a known kind has the wrong type or is missing";
    INPUT_001 = "INPUT-001", INPUT, Info: "A namespace has no Namespace manifest in the input; its workloads are assumed to use sidecars";
    // ---- input: drift between the workspace and the live cluster (language server, ambient.cluster.enabled)
    DRIFT_001 = "DRIFT-001", DRIFT, Info: "A workspace resource is not in the live cluster";
    DRIFT_002 = "DRIFT-002", DRIFT, Info: "A workspace resource differs from the live cluster";
    DRIFT_003 = "DRIFT-003", DRIFT, Info: "A cluster resource of a namespace the workspace migrates is not in the workspace";
    // ---- pre-reqs: version
    PR_VER_001 = "PR-VER-001", VERSION, Error, blocking: "No Istio control plane (istiod) found";
    PR_VER_002 = "PR-VER-002", VERSION, Error, blocking: "An istiod runs an Istio version below 1.25";
    PR_VER_003 = "PR-VER-003", VERSION, Warning, medium_precision: "The Istio version of an istiod cannot be determined";
    PR_VER_004 = "PR-VER-004", VERSION, Info, shown: "istiod uses an upstream build; zero-downtime migration needs Solo builds";
    PR_VER_005 = "PR-VER-005", VERSION, Warning: "Revisions/tags referenced by namespaces or webhooks have no control plane, or revisions disagree";
    PR_VER_006 = "PR-VER-006", VERSION, Warning: "A sidecar runs a proxy older than its control plane";
    PR_VER_007 = "PR-VER-007", VERSION, Error, blocking: "Kubernetes is older than the Istio release requires";
    // ---- pre-reqs: CNI
    PR_CNI_001 = "PR-CNI-001", CNI, Error, blocking: "Cilium cni-exclusive=true removes istio-cni's chained config";
    PR_CNI_002 = "PR-CNI-002", CNI, Error, blocking: "Cilium BPF masquerading breaks ambient health probes";
    PR_CNI_003 = "PR-CNI-003", CNI, Error, blocking: "Cilium socket load-balancing inside pods bypasses Istio";
    PR_CNI_004 = "PR-CNI-004", CNI, Error, blocking: "Cilium kube-proxy replacement without host-namespace-only socket LB";
    PR_CNI_005 = "PR-CNI-005", CNI, Warning: "Cilium with default-deny policies blocks ambient health probes";
    PR_CNI_006 = "PR-CNI-006", CNI, Error, blocking: "Calico eBPF connect-time load balancing bypasses Istio";
    PR_CNI_007 = "PR-CNI-007", CNI, Error, blocking: "EKS pod security groups in strict mode drop ambient probes";
    PR_CNI_008 = "PR-CNI-008", CNI, Error, blocking: "GKE: node-critical DaemonSets need kube-system or a PriorityClass quota; CNI binaries in /home/kubernetes/bin";
    PR_CNI_009 = "PR-CNI-009", CNI, Error, blocking: "OpenShift: ztunnel and istio-cni must run in kube-system with platform=openshift";
    PR_CNI_010 = "PR-CNI-010", CNI, Error, blocking: "k3s/k3d: istio-cni paths do not match the platform";
    PR_CNI_011 = "PR-CNI-011", CNI, Error, blocking: "MicroK8s/minikube: istio-cni paths do not match the platform";
    PR_CNI_012 = "PR-CNI-012", CNI, Info, medium_precision: "kind (kindnet) detected";
    PR_CNI_013 = "PR-CNI-013", CNI, Warning, medium_precision: "AKS managed Istio add-on detected";
    PR_CNI_014 = "PR-CNI-014", CNI, Warning, medium_precision: "GKE Dataplane V2 (Cilium-based) detected";
    PR_CNI_015 = "PR-CNI-015", CNI, Warning: "A NetworkPolicy will block HBONE (port 15008) once its pods use ambient";
    PR_CNI_016 = "PR-CNI-016", CNI, Warning, medium_precision: "Istio was rendered for another platform than the one detected";
    PR_CNI_020 = "PR-CNI-020", CNI, Info, shown, medium_precision: "Detected Kubernetes platform";
    // ---- pre-reqs: multicluster
    PR_MC_001 = "PR-MC-001", MULTICLUSTER, Warning: "Remote secrets: a multicluster mesh";
    PR_MC_002 = "PR-MC-002", MULTICLUSTER, Info: "Non-default cluster ID";
    PR_MC_003 = "PR-MC-003", MULTICLUSTER, Warning: "meshNetworks defines networks";
    PR_MC_004 = "PR-MC-004", MULTICLUSTER, Warning, medium_precision: "Sidecar-mode east-west gateway";
    PR_MC_005 = "PR-MC-005", MULTICLUSTER, Error, blocking: "Primary-remote / external control plane: not supported by ambient";
    PR_MC_006 = "PR-MC-006", MULTICLUSTER, Info: "Network label configured";
    // ---- pre-reqs: VM
    PR_VM_001 = "PR-VM-001", VM, Error, blocking: "WorkloadGroup: VM onboarding, VMs cannot join ambient";
    PR_VM_002 = "PR-VM-002", VM, Error, blocking: "WorkloadEntry (VM endpoint)";
    PR_VM_003 = "PR-VM-003", VM, Info: "istiod is exposed through an east-west gateway";
    PR_VM_004 = "PR-VM-004", VM, Info: "ServiceEntry selects WorkloadEntries";
    // ---- pre-reqs: SPIRE
    PR_SPIRE_001 = "PR-SPIRE-001", SPIRE, Error, blocking: "Workload identity from SPIRE (CSI volume)";
    PR_SPIRE_002 = "PR-SPIRE-002", SPIRE, Error, blocking: "Injection template wires SPIRE into sidecars";
    PR_SPIRE_003 = "PR-SPIRE-003", SPIRE, Warning, medium_precision: "SPIRE components present";
    // ---- pre-reqs: features
    PR_FEAT_001 = "PR-FEAT-001", FEATURES, Error, blocking: "PeerAuthentication disables mTLS";
    PR_FEAT_002 = "PR-FEAT-002", FEATURES, Warning: "EnvoyFilter on workloads to be migrated";
    PR_FEAT_003 = "PR-FEAT-003", FEATURES, Info: "Sidecar scoping resources are not used by ambient";
    // ---- cluster-setup
    CS_AMB_001 = "CS-AMB-001", AMBIENT_ENABLED, Error, blocking: "istiod does not run with PILOT_ENABLE_AMBIENT=true";
    CS_AMB_002 = "CS-AMB-002", AMBIENT_ENABLED, Error, blocking: "Mesh config does not enable HBONE for proxies";
    CS_AMB_003 = "CS-AMB-003", AMBIENT_ENABLED, Error, blocking: "istio-cni is installed without ambient support";
    CS_AMB_004 = "CS-AMB-004", AMBIENT_ENABLED, Error, blocking: "Istio CNI node agent not installed (sidecars use istio-init)";
    CS_AMB_005 = "CS-AMB-005", AMBIENT_ENABLED, Info: "The Helm profile a control plane was rendered with is not ambient";
    CS_AMB_006 = "CS-AMB-006", AMBIENT_ENABLED, Error, blocking: "ztunnel points at a control plane that is missing or not ambient-enabled";
    CS_AMB_007 = "CS-AMB-007", AMBIENT_ENABLED, Error, blocking: "istiod does not trust ztunnel's service account for node certificates";
    CS_AMB_008 = "CS-AMB-008", AMBIENT_ENABLED, Warning: "ztunnel/istio-cni revision or version outside the supported skew with istiod";
    CS_DS_001 = "CS-DS-001", DAEMONSETS, Error, blocking: "ztunnel not found";
    CS_DS_002 = "CS-DS-002", DAEMONSETS, Error, blocking: "istio-cni node agent not found";
    CS_DS_003 = "CS-DS-003", DAEMONSETS, Error, blocking: "ztunnel/istio-cni DaemonSet not ready";
    CS_DS_004 = "CS-DS-004", DAEMONSETS, Error, blocking: "GKE: a node agent is scheduled on no node (PriorityClass quota)";
    CS_DS_005 = "CS-DS-005", DAEMONSETS, Info: "Node agent not marked system-node-critical";
    CS_SC_001 = "CS-SC-001", SIDECARS_UPDATED, Error, blocking: "Sidecar is missing ENABLE_HBONE";
    CS_SC_002 = "CS-SC-002", SIDECARS_UPDATED, Error, blocking: "Sidecar managed by a revision that is not ambient-enabled";
    CS_SC_003 = "CS-SC-003", SIDECARS_UPDATED, Error, blocking: "Sidecar proxy too old for ambient interop";
    CS_SC_004 = "CS-SC-004", SIDECARS_UPDATED, Warning: "Gateway proxy without HBONE (gateways keep their proxies)";
    CS_SC_005 = "CS-SC-005", SIDECARS_UPDATED, Info: "Sidecar and ambient labels together: the sidecar wins";
    CS_CRD_001 = "CS-CRD-001", CRDS, Error, blocking: "Gateway API CRDs not found";
    CS_CRD_002 = "CS-CRD-002", CRDS, Warning: "Gateway API route CRDs missing";
    CS_CRD_003 = "CS-CRD-003", CRDS, Error, blocking: "Gateway API CRDs do not serve the versions Istio needs";
    CS_CRD_004 = "CS-CRD-004", CRDS, Warning: "Gateway API CRD below the bundle version Istio requires: istiod ignores it";
    CS_CRD_005 = "CS-CRD-005", CRDS, Info: "Gateway API release differs from the one Istio was built against";
    CS_WH_001 = "CS-WH-001", WEBHOOKS, Error, blocking: "Injection webhooks overlap (pods would be injected twice)";
    CS_WH_002 = "CS-WH-002", WEBHOOKS, Error, blocking: "Injection webhook refers to a missing control plane Service";
    CS_WH_003 = "CS-WH-003", WEBHOOKS, Warning: "Istio validation webhook points at a missing or unmanaged control plane";
    CS_WH_004 = "CS-WH-004", WEBHOOKS, Warning: "Revision tag points at a revision without istiod";
    // ---- deploy-waypoints
    W001 = "W001", WAYPOINTS_NEEDED, Warning: "VirtualService HTTP routing needs a waypoint";
    W002 = "W002", WAYPOINTS_NEEDED, Warning: "VirtualService TCP/TLS routing needs a waypoint";
    W003 = "W003", WAYPOINTS_NEEDED, Warning: "VirtualService matches a waypoint will not reproduce (sourceLabels/sourceNamespace)";
    W004 = "W004", WAYPOINTS_NEEDED, Warning: "VirtualService/DestinationRule placed where the waypoint will not read it";
    W005 = "W005", WAYPOINTS_NEEDED, Warning: "DestinationRule traffic policy needs a waypoint";
    W006 = "W006", WAYPOINTS_NEEDED, Info, medium_precision: "DestinationRule that does not justify a waypoint";
    W007 = "W007", WAYPOINTS_NEEDED, Info, medium_precision: "Locality load balancing: consider Service trafficDistribution";
    W009 = "W009", WAYPOINTS_NEEDED, Error, security("7.5", "DENY rules with HTTP attributes may never match at ztunnel"): "AuthorizationPolicy with HTTP attributes on a workload that will lose its sidecar";
    W010 = "W010", WAYPOINTS_NEEDED, Error, security("9.0", "CUSTOM authorization stops being called (fail-open)"): "CUSTOM AuthorizationPolicy not attached to a waypoint (fail-open)";
    W011 = "W011", WAYPOINTS_NEEDED, Info, advisory, security("3.0", "AUDIT logging of authorization stops"): "AUDIT AuthorizationPolicy not attached to a waypoint";
    W012 = "W012", WAYPOINTS_NEEDED, Warning, security("6.5", "JWTs would no longer be validated"): "RequestAuthentication needs a waypoint";
    W013 = "W013", WAYPOINTS_NEEDED, Info, advisory: "Selector-based Telemetry only a waypoint can honour";
    W014 = "W014", WAYPOINTS_NEEDED, Warning: "WasmPlugin needs a waypoint";
    W015 = "W015", WAYPOINTS_NEEDED, Warning, advisory: "EnvoyFilter on application workloads has no effect in ambient";
    W016 = "W016", WAYPOINTS_NEEDED, Warning: "Gateway API mesh route (GAMMA) needs a waypoint";
    W017 = "W017", WAYPOINTS_NEEDED, Warning: "ServiceEntry with L7 configuration needs an egress waypoint";
    W018 = "W018", WAYPOINTS_NEEDED, Warning, medium_precision, security("5.0", "clients of a headless service bypass the waypoint's policies"): "Headless service: clients address pods, a service waypoint is bypassed";
    W019 = "W019", WAYPOINTS_NEEDED, Error, security("6.0", "egress traffic bypasses the egress gateway's controls"): "Sidecar-style egress gateway routing is bypassed by ambient clients";
    W020 = "W020", WAYPOINTS_NEEDED, Info: "Generated waypoint for a namespace";
    W021 = "W021", WAYPOINTS_VALID, Warning: "Existing waypoint Gateway is unusable or its name clashes";
    W022 = "W022", WAYPOINTS_NEEDED, Info, medium_precision: "HTTP/2 or gRPC service: ztunnel balances per connection";
    W023 = "W023", WAYPOINTS_VALID, Error, blocking: "Gateway API CRDs missing while a waypoint is needed";
    // ---- migrate-policies
    P001 = "P001", POLICIES_MIGRATED, Warning, security("6.0", "L7 authorization is lost unless copied to the waypoint"): "Copy a workload AuthorizationPolicy to the waypoint (per Service)";
    P002 = "P002", POLICIES_MIGRATED, Warning, security("6.0", "L7 authorization is lost unless copied to the waypoint"): "Copy a namespace-wide AuthorizationPolicy to the waypoint";
    P003 = "P003", POLICIES_MIGRATED, Warning, security("6.0", "mesh-wide authorization is lost unless copied to the waypoints"): "Copy a root-namespace AuthorizationPolicy to the waypoints";
    P004 = "P004", POLICIES_MIGRATED, Error: "The workload must allow traffic from its waypoint";
    P005 = "P005", POLICIES_MIGRATED, Error, blocking: "A DENY policy will deny traffic relayed by the waypoint";
    P006 = "P006", POLICIES_MIGRATED, Warning, security("6.5", "namespace/IP checks see the waypoint instead of the client"): "L4 namespace/IP checks that a waypoint makes meaningless";
    P007 = "P007", POLICIES_MIGRATED, Warning, security("6.0", "JWT validation is lost unless copied to the waypoint"): "Copy a RequestAuthentication to the waypoint";
    P008 = "P008", POLICIES_MIGRATED, Info: "Copy a selector-based Telemetry to the waypoint";
    P009 = "P009", POLICIES_MIGRATED, Warning: "Copy a WasmPlugin to the waypoint";
    P010 = "P010", UNSUPPORTED, Warning: "EnvoyFilter requires a manual port";
    P011 = "P011", UNSUPPORTED, Warning, warn_marker: "Sidecar resource will stop applying";
    P012 = "P012", UNSUPPORTED, Error, security("6.5", "PeerAuthentication DISABLE/PERMISSIVE semantics change"): "PeerAuthentication differences in ambient";
    P013 = "P013", UNSUPPORTED, Warning: "Proxy-only annotations and ProxyConfig have no effect in ambient";
    P014 = "P014", POLICIES_MIGRATED, Warning, security("5.0", "a copy attached to a Service applies to more or fewer workloads than the original selected"): "A selector cannot be expressed exactly by a copy attached to a Service";
    P015 = "P015", POLICIES_MIGRATED, Warning, security("7.0", "ingress traffic skips the waypoint's policies"): "Ingress gateway traffic skips the waypoint";
    P016 = "P016", POLICIES_MIGRATED, Warning, medium_precision, security("4.0", "principal matching changes with trust-domain aliases"): "Principal relies on trust-domain alias expansion";
    P021 = "P021", UNSUPPORTED, Warning, stops_at_switch, security("4.0", "a ServiceEntry restricted by exportTo becomes visible to every namespace"): "ServiceEntry exportTo is not enforced by ztunnel";
    P017 = "P017", POLICIES_MIGRATED, Warning, medium_precision, security("4.0", "a dry-run policy may be enforced or ignored"): "Dry-run AuthorizationPolicy on ambient workloads";
    P018 = "P018", POLICIES_MIGRATED, Error: "A policy attached by targetRefs that Istio would reject";
    P019 = "P019", UNSUPPORTED, Warning: "VirtualService and HTTPRoute for the same service";
    P020 = "P020", ROUTES, Info: "VirtualService support on waypoints is Alpha: consider HTTPRoute";
    // ---- migrate-policies: VirtualService → HTTPRoute translation (routes/)
    RT_001 = "RT-001", ROUTES, Info, routes_file: "HTTPRoute translation of a mesh VirtualService (same routing behaviour)";
    RT_002 = "RT-002", ROUTES, Warning, routes_file: "A VirtualService field has no HTTPRoute form: no translation";
    RT_003 = "RT-003", ROUTES, Warning, routes_file: "Gateway API precedence would change which VirtualService rule wins: no translation";
    RT_004 = "RT-004", ROUTES, Warning, routes_file: "VirtualService retries need the HTTPRoute `retry` field (experimental channel)";
    RT_005 = "RT-005", ROUTES, Warning, routes_file: "The HTTPRoute would exceed a Gateway API limit: no translation";
    // ---- use-waypoints
    U001 = "U001", WAYPOINTS_USED, Warning, warning_line, transitional: "Waypoint not used by anything";
    U002 = "U002", WAYPOINTS_USED, Info: "Enroll a namespace/service in its waypoint";
    U003 = "U003", ENROLLMENT_VALID, Error, blocking: "Enrollment points to a missing waypoint";
    U004 = "U004", ENROLLMENT_VALID, Error, blocking: "Enrollment to a waypoint that does not handle that traffic type";
    U005 = "U005", ENROLLMENT_VALID, Error, blocking: "Cross-namespace waypoint use not allowed";
    U006 = "U006", ENROLLMENT_VALID, Warning: "istio.io/use-waypoint-namespace on a different object than istio.io/use-waypoint";
    U007 = "U007", WAYPOINTS_USED, Warning: "Explicit opt-out on a service that needs a waypoint";
    U008 = "U008", ORDERING, Error, security("7.5", "traffic would reach the waypoint before its policies"): "Policies must be in place before a waypoint is used";
    U009 = "U009", ORDERING, Error, blocking: "A server sidecar without HBONE cannot be reached by its waypoint";
    U010 = "U010", WAYPOINTS_USED, Info: "Sidecar clients, ingress gateways and plaintext clients bypass the waypoint";
    U011 = "U011", WAYPOINTS_USED, Info: "Make the waypoint mandatory";
    U012 = "U012", WAYPOINTS_USED, Info: "A route from one waypointed service to another skips the second waypoint";
    // ---- policy-simplification
    S001 = "S001", CLEANUP, Info: "Delete a migrated L7 workload policy";
    S002 = "S002", CLEANUP, Info, security("5.0", "listed clients can bypass the waypoint while the policy stays"): "L4 identity policy superseded by the waypoint";
    S003 = "S003", CLEANUP, Info: "Namespace-wide baseline policy";
    S004 = "S004", CLEANUP, Info: "Policy that must stay";
    S005 = "S005", CLEANUP, Info: "Delete selector-based RequestAuthentication/Telemetry/WasmPlugin/EnvoyFilter originals";
    S006 = "S006", CLEANUP, Info: "Delete Sidecar resources";
    S007 = "S007", CLEANUP, Info: "Delete no-op DestinationRules";
    S008 = "S008", CLEANUP, Info: "Delete relocated VirtualService/DestinationRule originals";
    S009 = "S009", CLEANUP, Warning, security("7.0", "deleting the policy early leaves sidecar pods unprotected"): "Keep a policy until the pods it selects are migrated";
    // ---- remove-sidecars (R013 first: its opt-outs must precede R001's switch in commands.sh)
    R013 = "R013", SIDECARS, Warning: "A workload that opted out of injection is captured by ztunnel once its namespace is ambient";
    R001 = "R001", SIDECARS, Info: "Switch a namespace from sidecars to ambient";
    R002 = "R002", INJECTION, Error: "Injection is enabled by default: removing the label is not enough";
    R003 = "R003", INJECTION, Warning: "Workload-level injection request";
    R004 = "R004", SIDECARS, Warning, warn_marker: "Pod still has a sidecar";
    R005 = "R005", INJECTION, Warning: "Both sidecar-injection and ambient labels";
    R006 = "R006", SIDECARS, Info, medium_precision: "Pods that will not join ambient";
    R007 = "R007", SIDECARS, Warning: "Removing the revision label moves a waypoint to another control plane";
    R008 = "R008", SIDECARS, Warning, medium_precision: "Clients would lose sidecar routing before servers' waypoints are enabled";
    R009 = "R009", SIDECARS, Error, blocking: "Fail-closed policies still present for pods about to lose their sidecar";
    R010 = "R010", SIDECARS, Warning: "Formerly excluded inbound ports become captured (STRICT mTLS rejects plaintext)";
    R011 = "R011", SIDECARS, Warning, stops_at_switch, security("5.3", "egress to any destination becomes possible"): "Outbound restrictions (REGISTRY_ONLY) disappear with the sidecars";
    R012 = "R012", SIDECARS, Info: "Gateways and waypoints keep their Envoy";
}

// Variants: a rule whose severity depends on what was found.
variants {
    YAML_003_TOO_LARGE = YAML_003, Warning: "a file over --max-file-size-kb (skipped, not an error)";
    PR_VM_002_STATIC = PR_VM_002, Warning, not_blocking: "not auto-registered: a VM or an external endpoint";
    PR_CNI_004_PARTIAL = PR_CNI_004, Warning, not_blocking: "kube-proxy-replacement=true (partial) rather than strict";
    PR_MC_001_REMOTE = PR_MC_001, Error, blocking: "the cluster is also a remote / external-control-plane member";
    CS_AMB_002_UNVERIFIED = CS_AMB_002, Warning, not_blocking: "the mesh config is not in the input: cannot verify";
    CS_AMB_003_UNVERIFIED = CS_AMB_003, Warning, not_blocking: "the istio-cni ConfigMap is not in the input: cannot verify";
    CS_DS_003_UNVERIFIED = CS_DS_003, Info, not_blocking, shown: "no status in the input: readiness cannot be verified offline";
    PR_VER_007_UNKNOWN = PR_VER_007, Info, not_blocking: "the Kubernetes version could not be determined from the input";
    CS_WH_003_FAIL = CS_WH_003, Error, blocking: "failurePolicy Fail: writes of Istio configuration are rejected";
    CS_WH_004_IN_USE = CS_WH_004, Error, blocking: "namespaces select the tag and the webhook fails closed: their pods cannot be created";
    CS_CRD_003_V1 = CS_CRD_003, Warning, not_blocking: "v1 is not served (v1beta1 is)";
    W012_JWT_REQUIRED = W012, Error: "an AuthorizationPolicy on the same workloads relies on the JWT";
    W017_TLS_ORIGINATION = W017, Error: "a DestinationRule originates TLS: plaintext would leave the mesh";
    U003_GENERATED = U003, Warning, not_blocking: "the waypoint does not exist yet, but recommended-waypoints.yaml creates it under that name";
    W021_NO_HBONE = W021, Error, blocking: "a waypoint without its HBONE listener (port 15008, protocol HBONE): its traffic fails";
    P004_NO_ALLOW_POLICY = P004, Info: "no ALLOW policy applies: the waypoint is already allowed";
    P011_SCOPING_ONLY = P011, Info: "only configuration scoping (egress hosts), nothing that stops working";
    P012_ROOT_SELECTOR = P012, Info: "a root-namespace PeerAuthentication with a selector";
    P013_PROXY_ONLY = P013, Info: "only proxy settings (no traffic annotations), or a ProxyConfig";
    S001_ENFORCED_WITHOUT_HTTP = S001, Error: "ztunnel now enforces the original without its HTTP rules";
    S003_KEEP = S003, Warning: "workloads without another ALLOW policy: keep the baseline";
    U008_IN_USE = U008, Error, blocking: "the waypoint already serves the target";
    U008_DENIED = U008, Error, blocking: "a policy at the workload would still deny the waypoint's traffic";
    P001_PARTIAL = P001, Error, blocking: "the policy selects only some workloads of the Service: a copy attached to the Service would apply to all of them";
    P001_HEADLESS = P001, Error, blocking: "the Service is headless: a copy attached to it is never enforced for its pod-addressed traffic";
    P002_HEADLESS = P002, Error, blocking: "the waypoint is shared: a copy can only target this namespace's Services, and one of them is headless, whose pod-addressed traffic such a copy never reaches";
    P007_HEADLESS = P007, Error, blocking: "the Service is headless: a RequestAuthentication copy attached to it is never enforced for its pod-addressed traffic";
    P008_HEADLESS = P008, Warning: "the Service is headless: a Telemetry copy attached to it never applies to its pod-addressed traffic";
    P009_HEADLESS = P009, Error, blocking: "the Service is headless: a WasmPlugin copy attached to it is never applied to its pod-addressed traffic";
    W018_UNENFORCED = W018, Warning: "a headless Service enrolled only by its own label, or targeted by policies: neither covers pod-addressed traffic";
    R012_NEEDS_INJECTION = R012, Warning: "a gateway injected only by its namespace label would start without its proxy";
}
}
