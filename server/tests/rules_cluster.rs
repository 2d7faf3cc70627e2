//! Phases pre-reqs and cluster-setup, and input problems.

mod common;
use ambient_lsp::finding::Severity;
use common::*;

/// The control plane with `from` replaced by `to` (asserting it was there).
fn cp_with(from: &str, to: &str) -> String {
    assert!(CONTROL_PLANE.contains(from), "fixture has {from:?}");
    CONTROL_PLANE.replace(from, to)
}

fn with(cp: &str, extra: &str) -> Run {
    Run::new(&[("cp.yaml", cp), ("extra.yaml", extra)])
}

const SIDECAR_POD: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: echo-1\n  namespace: shop\n  labels: {app: echo}\n  annotations: {sidecar.istio.io/status: '{\"revision\":\"default\"}'}\nspec:\n  containers:\n  - name: app\n    image: example/echo:1\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1.26.3\n    env: [{name: ISTIO_META_ENABLE_HBONE, value: \"true\"}]\n";

#[test]
fn clean_control_plane_passes_both_phases() {
    let r = Run::new(&[("cp.yaml", CONTROL_PLANE)]);
    let blocking: Vec<_> = r
        .findings()
        .into_iter()
        .filter(|f| f.blocking())
        .map(|f| f.rule)
        .collect();
    assert!(blocking.is_empty(), "{blocking:?}\n{}", r.dump());
}

// ---------------------------------------------------------------- version

#[test]
fn pr_ver_001_no_istiod() {
    let cp: String = CONTROL_PLANE
        .split("\n---\n")
        .filter(|d| !d.contains("name: istiod\n  namespace"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    let r = Run::new(&[("cp.yaml", &cp)]);
    let f = assert_fires(&r, "PR-VER-001");
    assert!(f[0].blocking() && f[0].message.contains("Include the istiod Deployment"));
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "PR-VER-001");
}

#[test]
fn pr_ver_002_old_istio() {
    let r = Run::new(&[(
        "cp.yaml",
        &cp_with("pilot:1.26.3", "pilot:1.24.2-distroless"),
    )]);
    let f = assert_fires(&r, "PR-VER-002");
    assert!(f[0].message.contains("1.24.2-distroless") && f[0].blocking());
    assert_not_fires(
        &Run::new(&[("cp.yaml", &cp_with("pilot:1.26.3", "pilot:1.25.0"))]),
        "PR-VER-002",
    );
}

#[test]
fn pr_ver_003_unknown_version() {
    let r = Run::new(&[(
        "cp.yaml",
        &cp_with(
            "docker.io/istio/pilot:1.26.3",
            "docker.io/istio/pilot@sha256:abcdef",
        ),
    )]);
    assert_fires(&r, "PR-VER-003");
    // a version label rescues it
    let r = Run::new(&[("cp.yaml", &cp_with("docker.io/istio/pilot:1.26.3", "docker.io/istio/pilot@sha256:abcdef").replace("    istio.io/rev: default\nspec:\n  selector:\n    matchLabels:\n      app: istiod", "    istio.io/rev: default\n    app.kubernetes.io/version: 1.26.3\nspec:\n  selector:\n    matchLabels:\n      app: istiod"))]);
    assert_not_fires(&r, "PR-VER-003");
}

#[test]
fn pr_ver_004_upstream_build() {
    assert_eq!(
        assert_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "PR-VER-004")[0].severity(),
        Severity::Info
    );
    assert_not_fires(
        &Run::new(&[("cp.yaml", &cp_with("pilot:1.26.3", "pilot:1.26.3-solo"))]),
        "PR-VER-004",
    );
}

#[test]
fn pr_ver_005_namespace_references_a_missing_revision() {
    let r = with(
        CONTROL_PLANE,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio.io/rev: canary}}\n",
    );
    assert!(assert_fires(&r, "PR-VER-005")[0].message.contains("canary"));
    let tag = "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: istio-revision-tag-canary\n  labels: {istio.io/tag: canary, istio.io/rev: default, app: sidecar-injector}\nwebhooks: []\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio.io/rev: canary}}\n";
    assert_not_fires(&with(CONTROL_PLANE, tag), "PR-VER-005");
}

#[test]
fn pr_ver_006_old_sidecar_proxy() {
    let r = with(
        CONTROL_PLANE,
        &SIDECAR_POD.replace("proxyv2:1.26.3", "proxyv2:1.24.1"),
    );
    assert!(assert_fires(&r, "PR-VER-006")[0].message.contains("1.24.1"));
    assert_not_fires(&with(CONTROL_PLANE, SIDECAR_POD), "PR-VER-006");
}

// ---------------------------------------------------------------- CNI

fn cilium(data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cilium-config, namespace: kube-system}}\ndata:\n{data}")
}

#[test]
fn pr_cni_001_to_004_cilium() {
    let r = with(CONTROL_PLANE, &cilium("  cni-exclusive: \"true\"\n  enable-bpf-masquerade: \"true\"\n  bpf-lb-sock: \"true\"\n  kube-proxy-replacement: \"true\"\n"));
    for rule in ["PR-CNI-001", "PR-CNI-002", "PR-CNI-003"] {
        assert!(assert_fires(&r, rule)[0].blocking(), "{rule}");
    }
    assert_eq!(
        assert_fires(&r, "PR-CNI-004")[0].severity(),
        Severity::Warning
    );
    let strict = with(CONTROL_PLANE, &cilium("  kube-proxy-replacement: strict\n"));
    assert!(assert_fires(&strict, "PR-CNI-004")[0].blocking());
    let ok = with(CONTROL_PLANE, &cilium("  cni-exclusive: \"false\"\n  enable-bpf-masquerade: \"false\"\n  bpf-lb-sock: \"true\"\n  bpf-lb-sock-hostns-only: \"true\"\n  kube-proxy-replacement: \"true\"\n"));
    for rule in ["PR-CNI-001", "PR-CNI-002", "PR-CNI-003", "PR-CNI-004"] {
        assert_not_fires(&ok, rule);
    }
}

#[test]
fn pr_cni_005_cilium_default_deny_blocks_probes() {
    let deny = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";
    let r = with(
        CONTROL_PLANE,
        &format!("{}---\n{deny}", cilium("  cni-exclusive: \"false\"\n")),
    );
    assert_fires(&r, "PR-CNI-005");
    let probe = "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: allow-ambient-hostprobes}\nspec:\n  ingress: [{fromCIDR: [169.254.7.127/32]}]\n  endpointSelector: {}\n";
    let r = with(
        CONTROL_PLANE,
        &format!(
            "{}---\n{deny}---\n{probe}",
            cilium("  cni-exclusive: \"false\"\n")
        ),
    );
    assert_not_fires(&r, "PR-CNI-005");
}

#[test]
fn pr_cni_006_calico_connect_time_lb() {
    let felix = "apiVersion: crd.projectcalico.org/v1\nkind: FelixConfiguration\nmetadata: {name: default}\nspec:\n  bpfConnectTimeLoadBalancing: TCP\n";
    assert_fires(&with(CONTROL_PLANE, felix), "PR-CNI-006");
    assert_not_fires(
        &with(CONTROL_PLANE, &felix.replace("TCP", "Disabled")),
        "PR-CNI-006",
    );
}

#[test]
fn pr_cni_007_eks_security_groups() {
    let aws = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: aws-node, namespace: kube-system}\nspec:\n  selector: {matchLabels: {k8s-app: aws-node}}\n  template:\n    metadata: {labels: {k8s-app: aws-node}}\n    spec:\n      containers:\n      - name: aws-node\n        image: amazon-k8s-cni:v1.19\n        env: [{name: ENABLE_POD_ENI, value: \"true\"}]\n---\napiVersion: vpcresources.k8s.aws/v1beta1\nkind: SecurityGroupPolicy\nmetadata: {name: sgp, namespace: shop}\nspec: {podSelector: {}}\n";
    assert_fires(&with(CONTROL_PLANE, aws), "PR-CNI-007");
    let standard = aws.replace("env: [{name: ENABLE_POD_ENI, value: \"true\"}]", "env: [{name: ENABLE_POD_ENI, value: \"true\"}, {name: POD_SECURITY_GROUP_ENFORCING_MODE, value: standard}]");
    assert_not_fires(&with(CONTROL_PLANE, &standard), "PR-CNI-007");
}

fn node(name: &str, labels: &str, kubelet: &str) -> String {
    format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\nstatus:\n  nodeInfo: {{kubeletVersion: {kubelet}}}\n")
}

#[test]
fn pr_cni_008_gke_needs_quota_and_bin_dir() {
    let gke = node(
        "gke-pool-1",
        "cloud.google.com/gke-nodepool: pool",
        "v1.31.5-gke.1000",
    );
    let r = with(CONTROL_PLANE, &gke);
    let f = assert_fires(&r, "PR-CNI-008");
    assert!(f.iter().any(|f| f.message.contains("ResourceQuota")));
    assert!(assert_fires(&r, "PR-CNI-020")[0].message.contains("GKE"));
    let quota = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: gcp-critical-pods, namespace: istio-system}\nspec:\n  scopeSelector:\n    matchExpressions: [{operator: In, scopeName: PriorityClass, values: [system-node-critical]}]\n";
    let r = with(CONTROL_PLANE, &format!("{gke}---\n{quota}"));
    assert_not_fires(&r, "PR-CNI-008");
}

#[test]
fn pr_cni_009_openshift() {
    let r = with(
        CONTROL_PLANE,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: openshift-monitoring}\n",
    );
    assert!(assert_fires(&r, "PR-CNI-009")[0]
        .message
        .contains("kube-system"));
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "PR-CNI-009");
}

#[test]
fn pr_cni_010_k3s_paths() {
    let cni_paths = cp_with("        envFrom:\n        - configMapRef:\n            name: istio-cni-config\n", "        envFrom:\n        - configMapRef:\n            name: istio-cni-config\n      volumes:\n      - {name: cni-net-dir, hostPath: {path: /etc/cni/net.d}}\n      - {name: cni-bin-dir, hostPath: {path: /opt/cni/bin}}\n");
    let k3s = node("node-1", "k3s.io/hostname: node-1", "v1.31.4+k3s1");
    assert_fires(&with(&cni_paths, &k3s), "PR-CNI-010");
    let right = cni_paths
        .replace("/etc/cni/net.d", "/var/lib/rancher/k3s/agent/etc/cni/net.d")
        .replace("/opt/cni/bin", "/var/lib/rancher/k3s/data/current/bin");
    assert_not_fires(&with(&right, &k3s), "PR-CNI-010");
}

#[test]
fn pr_cni_011_minikube_paths() {
    let cni_paths = cp_with("        envFrom:\n        - configMapRef:\n            name: istio-cni-config\n", "        envFrom:\n        - configMapRef:\n            name: istio-cni-config\n      volumes:\n      - {name: cni-netns-dir, hostPath: {path: /var/run/netns}}\n");
    let mk = node("minikube", "minikube.k8s.io/name: minikube", "v1.32.0");
    assert_fires(&with(&cni_paths, &mk), "PR-CNI-011");
    assert_not_fires(
        &with(
            &cni_paths.replace("/var/run/netns", "/var/run/docker/netns"),
            &mk,
        ),
        "PR-CNI-011",
    );
}

#[test]
fn pr_cni_012_and_020_kind() {
    let kindnet = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: kindnet, namespace: kube-system}\nspec:\n  selector: {matchLabels: {app: kindnet}}\n  template:\n    metadata: {labels: {app: kindnet}}\n    spec: {containers: [{name: kindnet-cni, image: kindnetd:v2}]}\n";
    let r = with(CONTROL_PLANE, kindnet);
    assert_fires(&r, "PR-CNI-012");
    assert!(assert_fires(&r, "PR-CNI-020")[0].message.contains("kind"));
    let plain = Run::new(&[("cp.yaml", CONTROL_PLANE)]);
    assert_not_fires(&plain, "PR-CNI-012");
    assert_not_fires(&plain, "PR-CNI-020");
}

// ---------------------------------------------------------------- multicluster, VM, SPIRE, features

#[test]
fn pr_mc_001_and_005_remote_secrets_and_remote_cluster() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: istio-remote-secret-east\n  namespace: istio-system\n  labels: {istio/multiCluster: \"true\"}\n";
    let r = with(CONTROL_PLANE, secret);
    let f = assert_fires(&r, "PR-MC-001");
    assert!(f[0].message.contains("east") && !f[0].blocking());
    assert_not_fires(&r, "PR-MC-005");
    // a remote cluster: external istiod
    let remote = cp_with("        - name: PILOT_ENABLE_AMBIENT\n          value: \"true\"", "        - name: PILOT_ENABLE_AMBIENT\n          value: \"true\"\n        - name: EXTERNAL_ISTIOD\n          value: \"true\"");
    let r = with(&remote, secret);
    assert!(assert_fires(&r, "PR-MC-005")[0].blocking());
    assert!(
        assert_fires(&r, "PR-MC-001")[0].blocking(),
        "with MC-005 the remote secrets are an error"
    );
}

#[test]
fn pr_mc_002_cluster_id() {
    let r = with(CONTROL_PLANE, &SIDECAR_POD.replace("env: [{name: ISTIO_META_ENABLE_HBONE, value: \"true\"}]", "env: [{name: ISTIO_META_ENABLE_HBONE, value: \"true\"}, {name: ISTIO_META_CLUSTER_ID, value: east}]"));
    assert_fires(&r, "PR-MC-002");
    assert_not_fires(&with(CONTROL_PLANE, SIDECAR_POD), "PR-MC-002");
}

#[test]
fn pr_mc_003_mesh_networks() {
    let cp = cp_with("data:\n  mesh: |-\n", "data:\n  meshNetworks: |-\n    networks:\n      network1:\n        endpoints: [{fromRegistry: Kubernetes}]\n        gateways: [{address: 1.2.3.4, port: 15443}]\n  mesh: |-\n");
    assert!(assert_fires(&Run::new(&[("cp.yaml", &cp)]), "PR-MC-003")[0]
        .message
        .contains("network1"));
    let empty = cp_with(
        "data:\n  mesh: |-\n",
        "data:\n  meshNetworks: 'networks: {}'\n  mesh: |-\n",
    );
    assert_not_fires(&Run::new(&[("cp.yaml", &empty)]), "PR-MC-003");
}

#[test]
fn pr_mc_004_east_west_gateway() {
    let ew = "apiVersion: v1\nkind: Service\nmetadata:\n  name: istio-eastwestgateway\n  namespace: istio-gateways\n  labels: {istio: eastwestgateway}\nspec:\n  selector: {istio: eastwestgateway}\n  ports: [{name: tls, port: 15443}]\n";
    assert_fires(&with(CONTROL_PLANE, ew), "PR-MC-004");
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "PR-MC-004");
}

#[test]
fn pr_mc_006_network_label() {
    let cp = cp_with("kind: Namespace\nmetadata:\n  name: istio-system\n", "kind: Namespace\nmetadata:\n  name: istio-system\n  labels: {topology.istio.io/network: network1}\n");
    assert_fires(&Run::new(&[("cp.yaml", &cp)]), "PR-MC-006");
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "PR-MC-006");
}

#[test]
fn pr_vm_rules() {
    let wg = "apiVersion: networking.istio.io/v1\nkind: WorkloadGroup\nmetadata: {name: vms, namespace: legacy}\nspec:\n  template: {serviceAccount: legacy}\n";
    assert!(assert_fires(&with(CONTROL_PLANE, wg), "PR-VM-001")[0].blocking());
    let we_auto = "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata:\n  name: vm-1\n  namespace: legacy\n  annotations: {istio.io/autoRegistrationGroup: vms}\nspec: {address: 10.0.0.5}\n";
    assert!(assert_fires(&with(CONTROL_PLANE, we_auto), "PR-VM-002")[0].blocking());
    let we = "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: db, namespace: legacy}\nspec: {address: 10.0.0.6}\n";
    let f = with(CONTROL_PLANE, we);
    let f = assert_fires(&f, "PR-VM-002");
    assert_eq!(f[0].severity(), Severity::Warning);
    assert!(!f[0].blocking());
    let gw = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: istiod-gateway, namespace: istio-system}\nspec:\n  selector: {istio: eastwestgateway}\n  servers: [{port: {number: 15012, name: tls-istiod, protocol: tls}, tls: {mode: PASSTHROUGH}, hosts: [\"*\"]}]\n";
    assert_fires(&with(CONTROL_PLANE, gw), "PR-VM-003");
    let se = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: vms, namespace: legacy}\nspec:\n  hosts: [vm.legacy.svc.cluster.local]\n  workloadSelector: {labels: {app: vm}}\n  ports: [{number: 80, name: http}]\n";
    assert_fires(&with(CONTROL_PLANE, se), "PR-VM-004");
    let clean = Run::new(&[("cp.yaml", CONTROL_PLANE)]);
    for rule in ["PR-VM-001", "PR-VM-002", "PR-VM-003", "PR-VM-004"] {
        assert_not_fires(&clean, rule);
    }
}

#[test]
fn pr_spire_rules() {
    let spire_pod = SIDECAR_POD.replace("  containers:\n  - name: app", "  volumes:\n  - name: workload-socket\n    csi: {driver: csi.spiffe.io, readOnly: true}\n  containers:\n  - name: app");
    assert!(assert_fires(&with(CONTROL_PLANE, &spire_pod), "PR-SPIRE-001")[0].blocking());
    let injector = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\ndata:\n  config: |\n    templates:\n      spire: |\n        spec:\n          volumes:\n          - name: workload-socket\n            csi: {driver: csi.spiffe.io}\n";
    assert_fires(&with(CONTROL_PLANE, injector), "PR-SPIRE-002");
    let agent = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: spire-agent, namespace: spire}\nspec:\n  selector: {matchLabels: {app: spire-agent}}\n  template:\n    metadata: {labels: {app: spire-agent}}\n    spec: {containers: [{name: spire-agent, image: spire-agent:1.9}]}\n";
    assert_fires(&with(CONTROL_PLANE, agent), "PR-SPIRE-003");
    let plain = with(CONTROL_PLANE, SIDECAR_POD);
    for rule in ["PR-SPIRE-001", "PR-SPIRE-002", "PR-SPIRE-003"] {
        assert_not_fires(&plain, rule);
    }
}

#[test]
fn pr_feat_rules() {
    let pa = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: legacy, namespace: shop}\nspec:\n  mtls: {mode: DISABLE}\n";
    assert!(assert_fires(&with(CONTROL_PLANE, pa), "PR-FEAT-001")[0].blocking());
    assert_not_fires(
        &with(CONTROL_PLANE, &pa.replace("DISABLE", "PERMISSIVE")),
        "PR-FEAT-001",
    );
    let ef = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: lua, namespace: shop}\nspec:\n  configPatches:\n  - applyTo: HTTP_FILTER\n    match: {context: SIDECAR_OUTBOUND}\n    patch: {operation: INSERT_BEFORE, value: {name: lua}}\n";
    assert_fires(&with(CONTROL_PLANE, ef), "PR-FEAT-002");
    assert_not_fires(
        &with(CONTROL_PLANE, &ef.replace("SIDECAR_OUTBOUND", "GATEWAY")),
        "PR-FEAT-002",
    );
    let sc = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: shop}\nspec: {egress: [{hosts: [\"./*\"]}]}\n";
    assert_fires(&with(CONTROL_PLANE, sc), "PR-FEAT-003");
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "PR-FEAT-003");
}

// ---------------------------------------------------------------- cluster-setup

#[test]
fn cs_amb_001_istiod_without_ambient() {
    let r = Run::new(&[(
        "cp.yaml",
        &cp_with(
            "value: \"true\"\n---\napiVersion: v1\nkind: Service",
            "value: \"false\"\n---\napiVersion: v1\nkind: Service",
        ),
    )]);
    let f = assert_fires(&r, "CS-AMB-001");
    assert_eq!(f[0].message, "istiod istio-system/istiod must have 'PILOT_ENABLE_AMBIENT=true'. Upgrade Istio with '--set profile=ambient'.");
}

#[test]
fn cs_amb_002_mesh_config_without_hbone() {
    let r = Run::new(&[(
        "cp.yaml",
        &cp_with(
            "ISTIO_META_ENABLE_HBONE: \"true\"",
            "ISTIO_META_DNS_CAPTURE: \"true\"",
        ),
    )]);
    assert!(assert_fires(&r, "CS-AMB-002")[0].blocking());
    // the ConfigMap is not in the input: say so, do not fail
    let cp: String = CONTROL_PLANE
        .split("\n---\n")
        .filter(|d| !d.contains("name: istio\n"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    let f = Run::new(&[("cp.yaml", &cp)]);
    let f = assert_fires(&f, "CS-AMB-002");
    assert!(!f[0].blocking() && f[0].message.starts_with("Cannot verify"));
}

#[test]
fn cs_amb_003_cni_without_ambient() {
    let r = Run::new(&[(
        "cp.yaml",
        &cp_with("AMBIENT_ENABLED: \"true\"", "AMBIENT_ENABLED: \"false\""),
    )]);
    assert!(assert_fires(&r, "CS-AMB-003")[0].blocking());
}

#[test]
fn cs_amb_004_sidecars_with_istio_init_and_no_cni() {
    let cp: String = CONTROL_PLANE
        .split("\n---\n")
        .filter(|d| !d.contains("istio-cni"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    let pod = SIDECAR_POD.replace("spec:\n  containers:", "spec:\n  initContainers:\n  - name: istio-init\n    image: docker.io/istio/proxyv2:1.26.3\n  containers:");
    assert_fires(&with(&cp, &pod), "CS-AMB-004");
    assert_not_fires(&with(CONTROL_PLANE, &pod), "CS-AMB-004");
}

#[test]
fn cs_ds_001_002_node_agents() {
    let no_ds: String = CONTROL_PLANE
        .split("\n---\n")
        .filter(|d| !d.contains("kind: DaemonSet"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    let r = Run::new(&[("cp.yaml", &no_ds)]);
    assert!(assert_fires(&r, "CS-DS-001")[0]
        .message
        .starts_with("ztunnel not found"));
    assert!(assert_fires(&r, "CS-DS-002")[0]
        .message
        .starts_with("istio-cni node agent not found"));
    let ok = Run::new(&[("cp.yaml", CONTROL_PLANE)]);
    assert_not_fires(&ok, "CS-DS-001");
    assert_not_fires(&ok, "CS-DS-002");
}

#[test]
fn cs_ds_003_not_ready() {
    let r = Run::new(&[(
        "cp.yaml",
        &cp_with(
            "  numberReady: 2\n  updatedNumberScheduled: 2\n---\napiVersion: apps/v1",
            "  numberReady: 1\n  updatedNumberScheduled: 2\n---\napiVersion: apps/v1",
        ),
    )]);
    let f = assert_fires(&r, "CS-DS-003");
    assert!(f[0].message.contains("1/2 ready") && f[0].blocking());
    // without status: informational
    let nostatus: String = CONTROL_PLANE.replace("status:\n  desiredNumberScheduled: 2\n  currentNumberScheduled: 2\n  numberReady: 2\n  updatedNumberScheduled: 2\n", "");
    let f = Run::new(&[("cp.yaml", &nostatus)]);
    let f = assert_fires(&f, "CS-DS-003");
    assert_eq!(f[0].severity(), Severity::Info);
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "CS-DS-003");
}

#[test]
fn cs_sc_001_to_003_sidecars() {
    let r = with(
        CONTROL_PLANE,
        &SIDECAR_POD.replace(
            "    env: [{name: ISTIO_META_ENABLE_HBONE, value: \"true\"}]\n",
            "",
        ),
    );
    assert_eq!(assert_fires(&r, "CS-SC-001")[0].message, "Sidecar shop/echo-1 is missing 'ENABLE_HBONE'. Upgrade Istio with '--set profile=ambient' and restart the pod.");
    // the tunnel label counts as HBONE-capable
    let tunnel = SIDECAR_POD
        .replace(
            "    env: [{name: ISTIO_META_ENABLE_HBONE, value: \"true\"}]\n",
            "",
        )
        .replace(
            "labels: {app: echo}",
            "labels: {app: echo, networking.istio.io/tunnel: http}",
        );
    assert_not_fires(&with(CONTROL_PLANE, &tunnel), "CS-SC-001");
    let r = with(
        &cp_with(
            "value: \"true\"\n---\napiVersion: v1\nkind: Service",
            "value: \"false\"\n---\napiVersion: v1\nkind: Service",
        ),
        SIDECAR_POD,
    );
    assert_fires(&r, "CS-SC-002");
    let r = with(
        CONTROL_PLANE,
        &SIDECAR_POD.replace("proxyv2:1.26.3", "proxyv2:1.23.0"),
    );
    assert_fires(&r, "CS-SC-003");
    let ok = with(CONTROL_PLANE, SIDECAR_POD);
    for rule in ["CS-SC-001", "CS-SC-002", "CS-SC-003"] {
        assert_not_fires(&ok, rule);
    }
}

#[test]
fn cs_crd_rules() {
    let no_gw: String = CONTROL_PLANE
        .split("\n---\n")
        .filter(|d| !d.contains("name: gateways.gateway"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    assert!(assert_fires(&Run::new(&[("cp.yaml", &no_gw)]), "CS-CRD-001")[0].blocking());
    // no CRDs given at all but Gateway API objects exist: installed
    let none: String = CONTROL_PLANE
        .split("\n---\n")
        .filter(|d| !d.contains("CustomResourceDefinition"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    assert_eq!(
        assert_fires(&Run::new(&[("cp.yaml", &none)]), "CS-CRD-001")[0].message,
        "Gateway API CRDs not found."
    );
    let gwobj = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: istio}\nspec: {controllerName: istio.io/gateway-controller}\n";
    assert_not_fires(&with(&none, gwobj), "CS-CRD-001");
    let no_grpc: String = CONTROL_PLANE
        .split("\n---\n")
        .filter(|d| !d.contains("name: grpcroutes"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    assert!(
        assert_fires(&Run::new(&[("cp.yaml", &no_grpc)]), "CS-CRD-002")[0]
            .message
            .contains("grpcroutes")
    );
    let old = cp_with("  names: {kind: Gateway, plural: gateways}\n  scope: Namespaced\n  versions:\n  - {name: v1, served: true, storage: true}\n  - {name: v1beta1, served: true, storage: false}", "  names: {kind: Gateway, plural: gateways}\n  scope: Namespaced\n  versions:\n  - {name: v1beta1, served: true, storage: true}");
    let f = Run::new(&[("cp.yaml", &old)]);
    let f = assert_fires(&f, "CS-CRD-003");
    assert!(f[0].message.contains("v1") && f[0].severity() == Severity::Warning);
    let ok = Run::new(&[("cp.yaml", CONTROL_PLANE)]);
    for rule in ["CS-CRD-001", "CS-CRD-002", "CS-CRD-003"] {
        assert_not_fires(&ok, rule);
    }
}

fn injector(name: &str, ns_selector: &str, service: &str) -> String {
    format!("apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: {name}\n  labels: {{app: sidecar-injector, istio.io/rev: default}}\nwebhooks:\n- name: namespace.sidecar-injector.istio.io\n  clientConfig:\n    service: {{name: {service}, namespace: istio-system, path: /inject}}\n  namespaceSelector: {ns_selector}\n")
}

#[test]
fn cs_wh_001_overlapping_injectors() {
    let a = injector(
        "istio-sidecar-injector",
        "{matchLabels: {istio-injection: enabled}}",
        "istiod",
    );
    let b = injector(
        "istio-sidecar-injector-old",
        "{matchLabels: {istio-injection: enabled}}",
        "istiod",
    );
    let r = with(CONTROL_PLANE, &format!("{a}---\n{b}"));
    assert!(assert_fires(&r, "CS-WH-001")[0]
        .message
        .contains("overlaps"));
    assert_not_fires(&with(CONTROL_PLANE, &a), "CS-WH-001");
}

#[test]
fn cs_wh_002_missing_injector_service() {
    let r = with(
        CONTROL_PLANE,
        &injector(
            "istio-sidecar-injector",
            "{matchLabels: {istio-injection: enabled}}",
            "istiod-canary",
        ),
    );
    assert!(assert_fires(&r, "CS-WH-002")[0]
        .message
        .contains("istio-system/istiod-canary"));
    assert_not_fires(
        &with(
            CONTROL_PLANE,
            &injector(
                "istio-sidecar-injector",
                "{matchLabels: {istio-injection: enabled}}",
                "istiod",
            ),
        ),
        "CS-WH-002",
    );
}

// ---------------------------------------------------------------- input

#[test]
fn yaml_001_syntax_error_keeps_other_documents() {
    let r = Run::new(&[("cp.yaml", CONTROL_PLANE), ("bad.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: [oops\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")]);
    let f = assert_fires(&r, "YAML-001");
    assert!(f[0].message.contains("document 2"));
    assert!(r.index.namespace_object("a").is_some() && r.index.namespace_object("b").is_some());
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "YAML-001");
}

#[test]
fn yaml_002_templates_are_not_analysed() {
    let r = Run::new(&[
        ("cp.yaml", CONTROL_PLANE),
        (
            "chart.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n",
        ),
    ]);
    assert_eq!(assert_fires(&r, "YAML-002")[0].severity(), Severity::Info);
    assert_not_fires(&r, "YAML-001");
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "YAML-002");
}

#[test]
fn yaml_003_alias_bomb_is_bounded() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = "a".to_string();
    for n in ["b", "c", "d", "e", "f", "g", "h", "i", "j"] {
        bomb.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n.to_string();
    }
    let t = std::time::Instant::now();
    let r = Run::new(&[("bomb.yaml", &bomb)]);
    assert!(t.elapsed().as_secs() < 5);
    assert_fires(&r, "YAML-003");
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "YAML-003");
}

#[test]
fn yaml_004_duplicate_key() {
    let r = Run::new(&[(
        "dup.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n",
    )]);
    assert!(assert_fires(&r, "YAML-004")[0].message.contains("\"name\""));
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "YAML-004");
}

#[test]
fn schema_001_wrong_types_are_findings_not_panics() {
    let r = Run::new(&[("t.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: a\n  labels: [x, y]\nspec:\n  ports: {port: 80}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: a}\nspec:\n  hosts: reviews\n  http: 5\n")]);
    let f = assert_fires(&r, "SCHEMA-001");
    let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("metadata.labels must be a map")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("spec.ports must be a list")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("spec.hosts must be a list")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("spec.http must be a list")),
        "{msgs:?}"
    );
    assert_not_fires(&Run::new(&[("cp.yaml", CONTROL_PLANE)]), "SCHEMA-001");
}

#[test]
fn input_001_missing_namespace_manifest() {
    let r = with(CONTROL_PLANE, "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec: {selector: {app: s}, ports: [{port: 80}]}\n");
    assert_fires(&r, "INPUT-001");
    let r = with(CONTROL_PLANE, "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec: {selector: {app: s}, ports: [{port: 80}]}\n");
    assert_not_fires(&r, "INPUT-001");
}

#[test]
fn clean_control_plane_has_no_setup_findings() {
    let ok = Run::new(&[("cp.yaml", CONTROL_PLANE)]);
    assert_not_fires(&ok, "CS-AMB-001");
    assert_not_fires(&ok, "CS-AMB-002");
    assert_not_fires(&ok, "CS-AMB-003");
    assert_not_fires(&ok, "PR-MC-001");
}

#[test]
fn yaml_005_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cp.yaml"), CONTROL_PLANE).unwrap();
    std::fs::write(dir.path().join("blob.yaml"), b"\x00\x01\x02binary").unwrap();
    std::fs::write(dir.path().join("latin1.yml"), b"name: caf\xe9\n").unwrap();
    let r = Run::from_index(ambient_lsp::cli::load(&[dir.path().to_path_buf()], 1024).unwrap());
    let f = assert_fires(&r, "YAML-005");
    assert_eq!(f.len(), 2);
    assert!(f.iter().any(|f| f.message.contains("binary")));
    assert!(f.iter().any(|f| f.message.contains("UTF-8")));
    // the readable file is still analysed
    assert!(r.index.namespace_object("istio-system").is_some());
    let clean = tempfile::tempdir().unwrap();
    std::fs::write(clean.path().join("cp.yaml"), CONTROL_PLANE).unwrap();
    let r = Run::from_index(ambient_lsp::cli::load(&[clean.path().to_path_buf()], 1024).unwrap());
    assert_not_fires(&r, "YAML-005");
}
