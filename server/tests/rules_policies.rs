//! Phase migrate-policies: copies for the waypoint, allow-from-waypoint, and configuration
//! that ambient ignores.

mod common;
use common::*;
use serde_json::json;

fn ns(name: &str, labels: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n{labels}\n")
}

fn svc(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{name: http, port: 80, targetPort: 8080}}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      serviceAccountName: {name}\n      containers: [{{name: app, image: example/{name}:1}}]\n"
    )
}

fn shop(extra: &str) -> Run {
    Run::app(&format!(
        "{}---\n{}---\n{}",
        ns("shop", "    istio-injection: enabled"),
        svc("shop", "echo"),
        extra
    ))
}

const POLICIES: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: policies, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: echo}\n  action: ALLOW\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/client/sa/curl]}}]\n    to: [{operation: {methods: [GET]}}]\n";

#[test]
fn p001_copies_the_workload_policy_to_the_service() {
    let r = shop(POLICIES);
    let f = assert_fires(&r, "P001");
    assert_eq!(f[0].message, "Apply AuthorizationPolicy/shop/echo-policies: Existing configuration is copied from policy shop/policies to be enforced at the waypoint.");
    assert_eq!(
        r.objects("P001")[0],
        json!({
            "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "echo-policies", "namespace": "shop"},
            "spec": {
                "targetRefs": [{"kind": "Service", "group": "", "name": "echo"}],
                "action": "ALLOW",
                "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/client/sa/curl"]}}], "to": [{"operation": {"methods": ["GET"]}}]}]
            }
        })
    );
}

#[test]
fn p001_not_without_a_waypoint_or_when_already_copied() {
    // L4 identity policy and no other reason: no waypoint, the policy keeps working at ztunnel
    let r = shop("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: l4, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: echo}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/client/sa/curl]}}]\n");
    assert_not_fires(&r, "P001");
    // already applied
    let copy = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: echo-policies, namespace: shop}\nspec:\n  targetRefs: [{kind: Service, group: \"\", name: echo}]\n  action: ALLOW\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/client/sa/curl]}}]\n    to: [{operation: {methods: [GET]}}]\n";
    let r = shop(&format!("{POLICIES}---\n{copy}"));
    assert_not_fires(&r, "P001");
}

#[test]
fn e5_l4_identity_policy_is_copied_once_a_waypoint_is_in_the_path() {
    let l4 = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: l4, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: echo}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/client/sa/curl]}}]\n";
    let r = shop(&format!("{POLICIES}---\n{l4}"));
    let names: Vec<String> = r
        .objects("P001")
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"echo-l4".to_string()), "{names:?}");
}

#[test]
fn p002_namespace_policy_copied_to_the_waypoint_gateway() {
    let r = shop(&format!("{POLICIES}---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: allow-nothing, namespace: shop}}\nspec: {{}}\n"));
    let f = assert_fires(&r, "P002");
    assert_eq!(f[0].message, "Apply AuthorizationPolicy/shop/waypoint-allow-nothing: Existing configuration is copied from namespace policy shop/allow-nothing to be enforced at the waypoint.");
    assert_eq!(
        r.objects("P002")[0],
        json!({
            "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "waypoint-allow-nothing", "namespace": "shop"},
            "spec": {"targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "waypoint"}], "action": "ALLOW"}
        })
    );
    // istio#57315: no waypoint, no waypoint-targeted copy
    let r = shop("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-nothing, namespace: shop}\nspec: {}\n");
    assert_not_fires(&r, "P002");
}

#[test]
fn p003_root_namespace_policies() {
    let root = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: global, namespace: istio-system}\nspec:\n  action: DENY\n  rules:\n  - to: [{operation: {paths: [/debug/*]}}]\n";
    let r = Run::new(&[
        ("cp.yaml", CONTROL_PLANE),
        ("root.yaml", root),
        (
            "app.yaml",
            &format!(
                "{}---\n{}---\n{POLICIES}",
                ns("shop", "    istio-injection: enabled"),
                svc("shop", "echo")
            ),
        ),
    ]);
    let f = assert_fires(&r, "P003");
    assert!(f[0].message.contains("every waypoint"));
    let o = &r.objects("P003")[0];
    assert_eq!(
        o["spec"]["targetRefs"],
        json!([{"kind": "GatewayClass", "group": "gateway.networking.k8s.io", "name": "istio-waypoint"}])
    );
    assert_eq!(o["metadata"]["namespace"], "istio-system");
    // selector in the root namespace: copied per Service, in the Service's namespace
    let root_sel = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: echo-get, namespace: istio-system}\nspec:\n  selector: {matchLabels: {app: echo}}\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n";
    let r = Run::new(&[
        ("cp.yaml", CONTROL_PLANE),
        ("root.yaml", root_sel),
        (
            "app.yaml",
            &format!(
                "{}---\n{}",
                ns("shop", "    istio-injection: enabled"),
                svc("shop", "echo")
            ),
        ),
    ]);
    let objs = r.objects("P003");
    assert_eq!(
        objs[0]["metadata"],
        json!({"name": "echo-echo-get", "namespace": "shop"})
    );
    // the root policy itself is reported once, as needing a waypoint
    assert_eq!(r.of("W009").len(), 1);
    // no waypoint anywhere: nothing to copy
    let r = Run::new(&[("cp.yaml", CONTROL_PLANE), ("root.yaml", root)]);
    assert_not_fires(&r, "P003");
}

#[test]
fn p004_allow_from_waypoint() {
    let r = shop(POLICIES);
    let f = assert_fires(&r, "P004");
    assert_eq!(f[0].message, "Add AuthorizationPolicy/shop/echo-from-waypoint: Service/shop/echo must allow traffic from its waypoint (cluster.local/ns/shop/sa/waypoint).");
    assert_eq!(
        r.objects("P004")[0],
        json!({
            "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "echo-from-waypoint", "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": "echo"}}, "action": "ALLOW", "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/waypoint"]}}]}]}
        })
    );
}

#[test]
fn p004_not_when_the_waypoint_is_already_allowed_or_auto_allowed() {
    let allow = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: wp, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/shop/sa/waypoint]}}]\n";
    let r = shop(&format!("{POLICIES}---\n{allow}"));
    assert!(r.objects("P004").is_empty());
    let cp = CONTROL_PLANE.replace("        - name: PILOT_ENABLE_AMBIENT\n          value: \"true\"", "        - name: PILOT_ENABLE_AMBIENT\n          value: \"true\"\n        - name: PILOT_AUTO_ALLOW_WAYPOINT_POLICY\n          value: \"true\"");
    let r = Run::new(&[
        ("cp.yaml", &cp),
        (
            "app.yaml",
            &format!(
                "{}---\n{}---\n{POLICIES}",
                ns("shop", "    istio-injection: enabled"),
                svc("shop", "echo")
            ),
        ),
    ]);
    assert_not_fires(&r, "P004");
}

#[test]
fn e20_waypoint_identity_follows_service_account_and_trust_domain() {
    let cp = CONTROL_PLANE.replace("trustDomain: cluster.local", "trustDomain: corp.example");
    let wp = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: waypoint\n  namespace: shop\n  annotations: {gateway.istio.io/service-account: shop-waypoint}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n";
    let r = Run::new(&[
        ("cp.yaml", &cp),
        (
            "app.yaml",
            &format!(
                "{}---\n{}---\n{POLICIES}---\n{wp}",
                ns("shop", "    istio-injection: enabled"),
                svc("shop", "echo")
            ),
        ),
    ]);
    assert!(assert_fires(&r, "P004")[0]
        .message
        .contains("corp.example/ns/shop/sa/shop-waypoint"));
}

#[test]
fn p005_deny_with_negative_sources_catches_the_waypoint() {
    let deny = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: only-web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  action: DENY\n  rules:\n  - from: [{source: {notNamespaces: [web]}}]\n";
    let r = shop(&format!("{POLICIES}---\n{deny}"));
    let f = assert_fires(&r, "P005");
    assert!(f[0].message.contains("cluster.local/ns/shop/sa/waypoint"));
    // the istio.io "deny waypoint bypass" pattern excludes the waypoint: fine
    let bypass = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-waypoint-bypass, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  action: DENY\n  rules:\n  - from: [{source: {notPrincipals: [cluster.local/ns/shop/sa/waypoint]}}]\n";
    let r = shop(&format!("{POLICIES}---\n{bypass}"));
    assert_not_fires(&r, "P005");
}

#[test]
fn p006_namespace_checks_see_the_waypoint() {
    let nsp = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: from-web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  rules:\n  - from: [{source: {namespaces: [web]}}]\n";
    let r = shop(&format!("{POLICIES}---\n{nsp}"));
    let f = assert_fires(&r, "P006");
    assert!(f[0].message.contains("namespaces"));
    assert_not_fires(&shop(POLICIES), "P006");
}

#[test]
fn p007_request_authentication_copy() {
    let ra = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  jwtRules:\n  - issuer: https://idp.example.com\n";
    let r = shop(ra);
    let f = assert_fires(&r, "P007");
    assert!(f[0].message.contains("forwardOriginalToken"));
    assert_eq!(
        r.objects("P007")[0],
        json!({"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication", "metadata": {"name": "echo-jwt", "namespace": "shop"},
               "spec": {"targetRefs": [{"kind": "Service", "group": "", "name": "echo"}], "jwtRules": [{"issuer": "https://idp.example.com"}]}})
    );
    let r = shop(&ra.replace(
        "  selector: {matchLabels: {app: echo}}\n",
        "  targetRefs: [{kind: Service, group: \"\", name: echo}]\n",
    ));
    assert_not_fires(&r, "P007");
}

#[test]
fn p008_selector_telemetry_copied_when_the_service_has_a_waypoint() {
    let tel = "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: logs, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  accessLogging: [{providers: [{name: envoy}]}]\n";
    let r = shop(&format!("{POLICIES}---\n{tel}"));
    assert_fires(&r, "P008");
    // no waypoint: nothing to copy (W013 only)
    assert_not_fires(&shop(tel), "P008");
}

#[test]
fn p009_wasm_plugin_copy() {
    let w = "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: authz, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  url: oci://example/authz:1\n  phase: AUTHZ\n";
    let r = shop(w);
    assert_fires(&r, "P009");
    assert_eq!(
        r.objects("P009")[0]["spec"],
        json!({"targetRefs": [{"kind": "Service", "group": "", "name": "echo"}], "url": "oci://example/authz:1", "phase": "AUTHZ"})
    );
    assert_not_fires(&shop(""), "P009");
}

#[test]
fn p010_envoy_filter_manual_port() {
    let ef = "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: lua, namespace: shop}\nspec:\n  workloadSelector: {labels: {app: echo}}\n  configPatches:\n  - applyTo: HTTP_FILTER\n    match: {context: SIDECAR_INBOUND}\n    patch: {operation: INSERT_BEFORE, value: {name: envoy.filters.http.lua}}\n";
    let r0 = shop(ef);
    let f = assert_fires(&r0, "P010");
    assert!(f[0].message.contains("targetRefs"));
    assert_not_fires(&shop(&ef.replace("app: echo", "app: nothing")), "P010");
}

#[test]
fn p011_sidecar_resource() {
    let sc = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: shop}\nspec:\n  egress:\n  - hosts: [\"./*\", \"istio-system/*\"]\n";
    let r = shop(sc);
    let f = assert_fires(&r, "P011");
    assert_eq!(
        f[0].message,
        "Sidecar/shop/default will be removed in a later step: Found unsupported configurations:"
    );
    assert_eq!(f[0].details, vec!["Configuration scoping is detected. Typically, this is used for scalability purposes, which is not necessary with ambient.".to_string()]);
    assert_eq!(f[0].severity(), ambient_lsp::finding::Severity::Info);
    let r0 = shop(&format!(
        "{sc}  outboundTrafficPolicy: {{mode: REGISTRY_ONLY}}\n"
    ));
    let f = assert_fires(&r0, "P011");
    assert_eq!(f[0].severity(), ambient_lsp::finding::Severity::Warning);
    assert!(f[0].details.iter().any(|d| d.contains("REGISTRY_ONLY")));
    // a Sidecar selecting nothing that will migrate
    assert_not_fires(
        &shop(&sc.replace(
            "spec:\n",
            "spec:\n  workloadSelector: {labels: {app: gone}}\n",
        )),
        "P011",
    );
}

#[test]
fn p012_peer_authentication_disable() {
    let pa = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: legacy, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  mtls: {mode: DISABLE}\n";
    assert_fires(&shop(pa), "P012");
    assert_not_fires(&shop(&pa.replace("DISABLE", "STRICT")), "P012");
    let port = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: legacy, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    8080: {mode: DISABLE}\n";
    assert_fires(&shop(port), "P012");
}

#[test]
fn p013_proxy_only_annotations() {
    let yaml = svc("shop", "echo").replace("    metadata: {labels: {app: echo}}", "    metadata:\n      labels: {app: echo}\n      annotations:\n        traffic.sidecar.istio.io/excludeInboundPorts: \"9000\"\n        sidecar.istio.io/proxyCPU: 100m");
    let r = Run::app(&format!(
        "{}---\n{yaml}",
        ns("shop", "    istio-injection: enabled")
    ));
    let f = assert_fires(&r, "P013");
    assert!(f[0].message.contains("excludeInboundPorts") && f[0].message.contains("proxyCPU"));
    assert_eq!(f[0].severity(), ambient_lsp::finding::Severity::Warning);
    assert_not_fires(&shop(""), "P013");
}

#[test]
fn p019_virtual_service_and_http_route_for_one_service() {
    let vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: echo, namespace: shop}\nspec:\n  hosts: [echo]\n  http:\n  - route: [{destination: {host: echo}}]\n    timeout: 2s\n";
    let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: echo, namespace: shop}\nspec:\n  parentRefs: [{group: \"\", kind: Service, name: echo, port: 80}]\n  rules: [{backendRefs: [{name: echo, port: 80}]}]\n";
    assert_fires(&shop(&format!("{vs}---\n{route}")), "P019");
    assert_not_fires(&shop(vs), "P019");
}

#[test]
fn e21_generated_policies_live_in_the_target_namespace_with_valid_refs() {
    let r = shop(POLICIES);
    for rule in ["P001", "P004"] {
        for o in r.objects(rule) {
            assert_eq!(o["metadata"]["namespace"], "shop");
            if let Some(refs) = o["spec"]["targetRefs"].as_array() {
                assert!(refs.len() <= 16);
                assert!(refs.iter().all(|t| t.get("namespace").is_none()));
                assert!(
                    o["spec"].get("selector").is_none(),
                    "selector and targetRefs are exclusive"
                );
            }
        }
    }
}

#[test]
fn e10_port_caveat_on_copies() {
    let ports = POLICIES.replace(
        "to: [{operation: {methods: [GET]}}]",
        "to: [{operation: {methods: [GET], ports: [\"8080\"]}}]",
    );
    let r0 = shop(&ports);
    let f = assert_fires(&r0, "P001");
    assert!(f[0].message.contains("80→8080"), "{}", f[0].message);
}

const INGRESS_VS: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: public, namespace: istio-ingress}\nspec:\n  hosts: [shop.example.com]\n  gateways: [istio-ingress/public]\n  http:\n  - route: [{destination: {host: echo.shop.svc.cluster.local, port: {number: 80}}}]\n";

#[test]
fn p015_ingress_routes_skip_the_waypoint() {
    let r = shop(&format!("{POLICIES}---\n{INGRESS_VS}"));
    let f = assert_fires(&r, "P015");
    assert!(f[0].message.contains("\"shop/echo\""), "{}", f[0].message);
    assert!(
        r.text_at(f[0])
            .contains("host: echo.shop.svc.cluster.local"),
        "on the destination: {}",
        r.text_at(f[0])
    );
    match &f[0].actions[0] {
        ambient_lsp::finding::Action::Label { set, command, .. } => {
            assert_eq!(
                set.get("istio.io/ingress-use-waypoint").map(String::as_str),
                Some("true")
            );
            assert_eq!(
                command,
                "kubectl label service -n shop echo istio.io/ingress-use-waypoint=true"
            );
        }
        a => panic!("{a:?}"),
    }
    // an HTTPRoute on an ingress Gateway counts too
    let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: public, namespace: shop}\nspec:\n  parentRefs: [{name: public, namespace: istio-ingress}]\n  rules:\n  - backendRefs: [{name: echo, port: 80}]\n";
    assert_fires(&shop(&format!("{POLICIES}---\n{route}")), "P015");
}

#[test]
fn p015_not_when_opted_in_or_without_a_waypoint() {
    // no waypoint for echo: nothing to skip
    let r = shop(INGRESS_VS);
    assert_not_fires(&r, "P015");
    // the service already opts in
    let labelled = svc("shop", "echo").replacen(
        "kind: Service\nmetadata: {name: echo, namespace: shop}",
        "kind: Service\nmetadata: {name: echo, namespace: shop, labels: {istio.io/ingress-use-waypoint: \"true\"}}",
        1,
    );
    assert_ne!(labelled, svc("shop", "echo"));
    let r = Run::app(&format!(
        "{}---\n{labelled}---\n{POLICIES}---\n{INGRESS_VS}",
        ns("shop", "    istio-injection: enabled")
    ));
    assert_fires(&r, "P001");
    assert_not_fires(&r, "P015");
    // a mesh-only VirtualService is not an ingress route
    let r = shop(&format!("{POLICIES}---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: m, namespace: shop}}\nspec:\n  hosts: [echo]\n  http:\n  - route: [{{destination: {{host: echo}}}}]\n"));
    assert_not_fires(&r, "P015");
}

fn with_trust_domain(td: &str, aliases: &str, policy: &str) -> Run {
    let cp = CONTROL_PLANE.replace(
        "    trustDomain: cluster.local\n",
        &format!("    trustDomain: {td}\n{aliases}"),
    );
    assert_ne!(cp, CONTROL_PLANE);
    Run::new(&[
        ("control-plane.yaml", &cp),
        (
            "app.yaml",
            &format!(
                "{}---\n{}---\n{}",
                ns("shop", "    istio-injection: enabled"),
                svc("shop", "echo"),
                policy
            ),
        ),
    ])
}

const L4_PRINCIPALS: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: from-curl, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: echo}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/client/sa/curl]}}]\n";

#[test]
fn p016_cluster_local_principal_in_a_mesh_with_another_trust_domain() {
    let r = with_trust_domain("corp.example.com", "", L4_PRINCIPALS);
    let f = assert_fires(&r, "P016");
    assert!(
        f[0].message.contains("cluster.local/ns/client/sa/curl"),
        "{}",
        f[0].message
    );
    // aliases: a principal of the mesh's own trust domain no longer covers the alias identities
    let r = with_trust_domain(
        "new.example.com",
        "    trustDomainAliases: [old.example.com]\n",
        &L4_PRINCIPALS.replace("cluster.local/", "new.example.com/"),
    );
    assert_fires(&r, "P016");
}

#[test]
fn p016_not_for_literal_principals() {
    // default trust domain, no aliases: Envoy and ztunnel agree
    assert_not_fires(
        &Run::app(&format!(
            "{}---\n{}---\n{}",
            ns("shop", "    istio-injection: enabled"),
            svc("shop", "echo"),
            L4_PRINCIPALS
        )),
        "P016",
    );
    // the real trust domain without aliases, or a foreign trust domain: literal everywhere
    let r = with_trust_domain(
        "corp.example.com",
        "",
        &L4_PRINCIPALS.replace("cluster.local/", "corp.example.com/"),
    );
    assert_not_fires(&r, "P016");
    let r = with_trust_domain(
        "corp.example.com",
        "",
        &L4_PRINCIPALS.replace("cluster.local/", "partner.example.org/"),
    );
    assert_not_fires(&r, "P016");
    // wildcards are not expanded
    let r = with_trust_domain(
        "corp.example.com",
        "",
        &L4_PRINCIPALS.replace("cluster.local/ns/client/sa/curl", "*/ns/client/sa/curl"),
    );
    assert_not_fires(&r, "P016");
}

const DRY_RUN: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: trial\n  namespace: shop\n  annotations: {istio.io/dry-run: \"true\"}\nspec:\n  selector:\n    matchLabels: {app: echo}\n  action: DENY\n  rules:\n  - from: [{source: {namespaces: [legacy]}}]\n";

#[test]
fn p017_dry_run_policy() {
    let r = shop(DRY_RUN);
    let f = assert_fires(&r, "P017");
    assert!(f[0].message.contains("shop/trial"), "{}", f[0].message);
}

#[test]
fn p017_not_for_enforced_policies_or_other_workloads() {
    assert_not_fires(&shop(&DRY_RUN.replace("\"true\"", "\"false\"")), "P017");
    assert_not_fires(&shop(&DRY_RUN.replace("app: echo", "app: other")), "P017");
}
