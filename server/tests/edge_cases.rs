//! §4 of the waypoint catalog ("Edge cases a naive implementation gets wrong"): one test per
//! case. E1, E2, E5, E9, E10, E14, E15, E16, E20 and E21 are in the rule test files under the
//! same names; E22 is `p016_*` and E33 `p013_*`. Not covered: E26 (VirtualService merging
//! differs by Istio version), E27 (ServiceEntry `exportTo` at ztunnel, an open Istio issue) and
//! E34 (hairpinning for out-of-mesh clients, not implemented in Istio).

mod common;
use common::*;
use serde_json::json;

/// A sidecar namespace `shop` with Service `cart` (port 80 → 8080) and its Deployment.
fn shop(ns_labels: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
{ns_labels}
---
apiVersion: v1
kind: Service
metadata: {{name: cart, namespace: shop}}
spec:
  selector: {{app: cart}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: cart, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: cart}}}}
  template:
    metadata: {{labels: {{app: cart}}}}
    spec:
      serviceAccountName: cart
      containers: [{{name: app, image: example/cart:1}}]
"#
    )
}

fn sidecar_shop() -> String {
    shop("    istio-injection: enabled")
}

fn with(extra: &[&str]) -> Run {
    let mut text = sidecar_shop();
    for e in extra {
        text.push_str("---\n");
        text.push_str(e);
    }
    Run::app(&text)
}

const L7_POLICY: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: get-only, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n";

#[test]
fn e3_where_the_virtualservice_lives_matters() {
    // client-side VS in the consumer's namespace: sidecars use it, the waypoint never reads it
    let client_vs = "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {istio-injection: enabled}}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart-timeouts, namespace: web}\nspec:\n  hosts: [cart.shop.svc.cluster.local]\n  exportTo: [\".\"]\n  http:\n  - route: [{destination: {host: cart.shop.svc.cluster.local}}]\n    timeout: 2s\n";
    let r = with(&[client_vs]);
    let f = assert_fires(&r, "W004");
    assert!(
        f[0].message.contains("web/cart-timeouts") || f[0].message.contains("cart-timeouts"),
        "{}",
        f[0].message
    );
    // a DestinationRule with a workloadSelector is never used by a waypoint
    let dr = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart-lb, namespace: shop}\nspec:\n  host: cart\n  workloadSelector: {matchLabels: {app: cart}}\n  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n";
    assert_fires(&with(&[dr]), "W004");
    // the same VS in the service's namespace is read by the waypoint: no W004
    let vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  http:\n  - route: [{destination: {host: cart}}]\n    timeout: 2s\n";
    let r = with(&[vs]);
    assert_not_fires(&r, "W004");
    assert_fires(&r, "W001");
}

#[test]
fn e3_shared_waypoint_cannot_see_a_namespace_private_virtualservice() {
    // shop uses a waypoint in another namespace; its VS is exportTo "." only
    let text = format!(
        "{}---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: waypoints}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: shared\n  namespace: waypoints\n  labels: {{istio.io/waypoint-for: service}}\nspec:\n  gatewayClassName: istio-waypoint\n  allowedRoutes: {{namespaces: {{from: All}}}}\n  listeners: [{{name: mesh, port: 15008, protocol: HBONE, allowedRoutes: {{namespaces: {{from: All}}}}}}]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: cart, namespace: shop}}\nspec:\n  hosts: [cart]\n  exportTo: [\".\"]\n  http:\n  - route: [{{destination: {{host: cart}}}}]\n    timeout: 2s\n",
        shop("    istio-injection: enabled\n    istio.io/use-waypoint: shared\n    istio.io/use-waypoint-namespace: waypoints")
    );
    let r = Run::app(&text);
    let f = assert_fires(&r, "W004");
    assert!(f[0].message.contains("exportTo"), "{}", f[0].message);
}

#[test]
fn e4_destination_rules_with_only_tls() {
    let dr = |mode: &str| {
        format!("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: cart, namespace: shop}}\nspec:\n  host: cart\n  trafficPolicy: {{tls: {{mode: {mode}}}}}\n")
    };
    // ISTIO_MUTUAL: nothing to migrate, no waypoint
    let r = with(&[&dr("ISTIO_MUTUAL")]);
    assert_fires(&r, "W006");
    assert_not_fires(&r, "W020");
    // DISABLE toward a mesh service: cannot be expressed
    let r = with(&[&dr("DISABLE")]);
    let f = assert_fires(&r, "W006");
    assert!(f[0].message.contains("DISABLE"), "{}", f[0].message);
    assert_not_fires(&r, "W020");
    // SIMPLE toward an external ServiceEntry: TLS origination needs an egress waypoint
    let se = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: payments-api, namespace: shop}\nspec:\n  hosts: [api.payments.example.com]\n  location: MESH_EXTERNAL\n  resolution: DNS\n  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 443}]\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: payments-api, namespace: shop}\nspec:\n  host: api.payments.example.com\n  trafficPolicy: {tls: {mode: SIMPLE}}\n";
    assert_fires(&with(&[se]), "W017");
}

#[test]
fn e6_namespace_wide_policies_are_copied_to_the_waypoint() {
    let allow_nothing = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-nothing, namespace: shop}\nspec: {}\n";
    let r = with(&[L7_POLICY, allow_nothing]);
    let copies = r.objects("P002");
    assert_eq!(copies.len(), 1, "{}", r.dump());
    assert_eq!(
        copies[0]["spec"]["targetRefs"],
        json!([{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "waypoint"}])
    );
    assert_eq!(copies[0]["metadata"]["namespace"], "shop");
    // and it is not deleted while pods still rely on it
    assert_not_fires(&r, "S001");
}

#[test]
fn e7_root_namespace_policies() {
    // a selector policy in the root namespace applies to matching pods everywhere; waypoints
    // ignore it: it must be copied to each waypoint in the path
    let root_selector = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: cart-get, namespace: istio-system}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n";
    let r = with(&[root_selector]);
    let copies = r.objects("P003");
    assert!(!copies.is_empty(), "{}", r.dump());
    assert!(
        copies.iter().all(|c| c["metadata"]["namespace"] == "shop"),
        "{copies:#?}"
    );
    assert_fires(&r, "W020");
    // a selector-less root policy is mesh-wide; the only mesh-wide waypoint attachment is the
    // GatewayClass in the root namespace
    let mesh_wide = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-delete, namespace: istio-system}\nspec:\n  action: DENY\n  rules:\n  - to: [{operation: {methods: [DELETE]}}]\n";
    let r = with(&[L7_POLICY, mesh_wide]);
    let copies = r.objects("P003");
    assert!(
        copies
            .iter()
            .any(|c| c["metadata"]["namespace"] == "istio-system"
                && c["spec"]["targetRefs"][0]["kind"] == "GatewayClass"
                && c["spec"]["targetRefs"][0]["name"] == "istio-waypoint"),
        "{copies:#?}"
    );
}

#[test]
fn e8_custom_and_audit_are_dropped_at_ztunnel() {
    let custom = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ext-authz, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  action: CUSTOM\n  provider: {name: opa}\n  rules:\n  - to: [{operation: {ports: [\"8080\"]}}]\n";
    let r = with(&[custom]);
    let f = assert_fires(&r, "W010");
    assert_eq!(f[0].severity(), ambient_lsp::finding::Severity::Error);
    assert_fires(&r, "W020");
    let audit = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: audit, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  action: AUDIT\n  rules:\n  - to: [{operation: {ports: [\"8080\"]}}]\n";
    let r = with(&[audit]);
    assert_fires(&r, "W011");
    // advisory only: no waypoint unless asked (--strict-waypoints)
    assert_not_fires(&r, "W020");
}

#[test]
fn e11_allow_rule_dropping_is_all_or_nothing() {
    // principal a + GET in one rule: at ztunnel the whole rule is dropped, so even a is denied
    let p = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a-get, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/web/sa/a]}}]\n    to: [{operation: {methods: [GET]}}]\n";
    let r = with(&[p]);
    assert_fires(&r, "W009");
    let f = assert_fires(&r, "R009");
    assert!(f[0].message.contains("denied"), "{}", f[0].message);
}

#[test]
fn e12_keys_that_look_l4_but_are_http_for_ztunnel() {
    for key in [
        "remote.ip",
        "connection.sni",
        "source.serviceAccount",
        "request.headers[x-user]",
    ] {
        let p = format!("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: w, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: cart}}}}\n  rules:\n  - when: [{{key: \"{key}\", values: [\"x\"]}}]\n");
        let r = with(&[&p]);
        assert!(
            !r.of("W009").is_empty(),
            "{key} is an HTTP attribute for ztunnel: {}",
            r.dump()
        );
    }
    let p = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: w, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n  - from: [{source: {remoteIpBlocks: [10.0.0.0/8]}}]\n";
    assert_fires(&with(&[p]), "W009");
    for key in [
        "source.ip",
        "source.namespace",
        "source.principal",
        "destination.ip",
        "destination.port",
    ] {
        let p = format!("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: w, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: cart}}}}\n  rules:\n  - when: [{{key: \"{key}\", values: [\"8080\"]}}]\n");
        let r = with(&[&p]);
        assert!(r.of("W009").is_empty(), "{key} is L4: {}", r.dump());
    }
}

#[test]
fn e13_trust_domains_are_not_converted_for_ztunnel() {
    // passes validation, ignored by the ztunnel conversion: the rule's source match is empty
    let p = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: td, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n  - from: [{source: {trustDomains: [partner.example.com]}}]\n";
    let r = with(&[p]);
    let f = assert_fires(&r, "W009");
    assert!(f[0].message.contains("trustDomains"), "{}", f[0].message);
}

#[test]
fn e17_ingress_traffic_bypasses_the_waypoint() {
    // the ingress gateway reaches cart directly; the L4 policy that admits it must stay
    // (or the allow-from-waypoint policy must admit the gateway too)
    let ingress = "apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-ingress}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istio-ingressgateway, namespace: istio-ingress}\nspec:\n  selector: {matchLabels: {istio: ingressgateway}}\n  template:\n    metadata:\n      labels: {istio: ingressgateway}\n      annotations: {inject.istio.io/templates: gateway}\n    spec:\n      serviceAccountName: istio-ingressgateway\n      containers: [{name: istio-proxy, image: auto}]\n";
    let allow_ingress = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: from-ingress, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/istio-ingress/sa/istio-ingressgateway]}}]\n";
    let route = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: shop, namespace: istio-ingress}\nspec:\n  hosts: [shop.example.com]\n  gateways: [istio-ingress/public]\n  http:\n  - route: [{destination: {host: cart.shop.svc.cluster.local}}]\n";
    let r = with(&[ingress, allow_ingress, L7_POLICY, route]);
    // the gateway skips the waypoint: say so and offer ingress-use-waypoint
    let f = assert_fires(&r, "P015");
    assert!(
        f[0].message.contains("istio-ingress/shop"),
        "{}",
        f[0].message
    );
    // the policy admitting the gateway is never recommended for deletion
    for rule in ["S001", "S002"] {
        for f in r.of(rule) {
            assert!(
                !f.message.contains("from-ingress"),
                "{rule} would delete the policy that admits ingress traffic: {}",
                f.message
            );
        }
    }
}

#[test]
fn e18_sidecar_injection_wins_over_ambient() {
    let r = Run::app(&shop(
        "    istio-injection: enabled\n    istio.io/dataplane-mode: ambient",
    ));
    assert_fires(&r, "R005");
    // with enableNamespacesByDefault, removing the label is not enough
    let injector_default = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\ndata:\n  values: '{\"sidecarInjectorWebhook\": {\"enableNamespacesByDefault\": true}}'\n";
    let r = Run::new(&[
        ("control-plane.yaml", CONTROL_PLANE),
        ("injector.yaml", injector_default),
        ("app.yaml", &sidecar_shop()),
    ]);
    assert_fires(&r, "R002");
}

#[test]
fn e19_native_sidecars_and_gateways() {
    let pods = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: cart-1\n  namespace: shop\n  labels: {app: cart}\n  annotations: {sidecar.istio.io/status: '{\"initContainers\":[\"istio-proxy\"]}'}\nspec:\n  initContainers:\n  - {name: istio-proxy, image: docker.io/istio/proxyv2:1.26.3, restartPolicy: Always}\n  containers: [{name: app, image: example/cart:1}]\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: istio-ingress}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: istio-ingressgateway-1\n  namespace: istio-ingress\n  labels: {istio: ingressgateway}\nspec:\n  containers: [{name: istio-proxy, image: docker.io/istio/proxyv2:1.26.3}]\n";
    let r = with(&[pods]);
    let f = assert_fires(&r, "R004");
    assert!(f.iter().any(|f| f.message.contains("shop/cart-1")));
    assert!(
        f.iter().all(|f| !f.message.contains("ingressgateway")),
        "gateways keep their proxy"
    );
}

#[test]
fn e23_namespace_and_root_telemetry_apply_to_waypoints() {
    let ns_wide = "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: logs, namespace: shop}\nspec:\n  accessLogging: [{providers: [{name: envoy}]}]\n";
    let r = with(&[L7_POLICY, ns_wide]);
    assert_not_fires(&r, "W013");
    assert_not_fires(&r, "P008");
    let selector = "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: logs, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  accessLogging: [{providers: [{name: envoy}]}]\n";
    let r = with(&[L7_POLICY, selector]);
    assert_fires(&r, "W013");
    assert_fires(&r, "P008");
}

#[test]
fn e24_envoyfilter_cannot_bind_to_a_service() {
    let ef = "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: lua, namespace: shop}\nspec:\n  targetRefs: [{kind: Service, group: \"\", name: cart}]\n  configPatches:\n  - applyTo: HTTP_FILTER\n    match: {context: SIDECAR_INBOUND}\n    patch: {operation: INSERT_BEFORE, value: {name: envoy.lua}}\n";
    let r = with(&[ef, L7_POLICY]);
    let f = assert_fires(&r, "P010");
    assert!(f[0].message.contains("Gateway"), "{}", f[0].message);
}

#[test]
fn e28_egress_fences_are_lost() {
    let sidecar = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: shop}\nspec:\n  egress: [{hosts: [\"./*\", \"istio-system/*\"]}]\n  outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n";
    let r = with(&[sidecar]);
    let f = assert_fires(&r, "P011");
    let all = f
        .iter()
        .map(|f| format!("{} {}", f.message, f.details.join(" ")))
        .collect::<String>();
    assert!(all.contains("REGISTRY_ONLY"), "{all}");
}

#[test]
fn e29_revision_label_rehomes_a_waypoint() {
    let text = format!(
        "{}---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: waypoint, namespace: shop}}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{{name: mesh, port: 15008, protocol: HBONE}}]\n",
        shop("    istio.io/rev: default")
    );
    let r = Run::app(&text);
    assert_fires(&r, "R007");
    // a waypoint with its own revision label stays put
    let text = text.replace(
        "metadata: {name: waypoint, namespace: shop}",
        "metadata: {name: waypoint, namespace: shop, labels: {istio.io/rev: default}}",
    );
    assert_not_fires(&Run::app(&text), "R007");
}

#[test]
fn e30_jwt_is_stripped_by_the_waypoint() {
    let ra = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  jwtRules: [{issuer: https://issuer.example.com, jwksUri: https://issuer.example.com/jwks}]\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: require-jwt, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n  - from: [{source: {requestPrincipals: [\"*\"]}}]\n";
    let r = with(&[ra]);
    let f = assert_fires(&r, "P007");
    assert!(
        f[0].message.contains("forwardOriginalToken"),
        "{}",
        f[0].message
    );
    // the workload keeps checking request.auth: the waypoint must be allowed through
    assert_fires(&r, "P004");
}

#[test]
fn e31_dry_run_policies_are_not_assumed_inert() {
    let p = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: trial\n  namespace: shop\n  annotations: {istio.io/dry-run: \"true\"}\nspec:\n  selector: {matchLabels: {app: cart}}\n  action: DENY\n  rules:\n  - to: [{operation: {methods: [DELETE]}}]\n";
    let r = with(&[p]);
    // flagged as dry-run, and still analysed like any DENY with HTTP fields (it may be
    // enforced by ztunnel before 1.29)
    let f = assert_fires(&r, "P017");
    assert!(f[0].message.contains("1.29"), "{}", f[0].message);
    assert_eq!(r.text_at(f[0]), "istio.io/dry-run");
    assert_fires(&r, "W009");
}

#[test]
fn e32_peer_authentication_differences() {
    let disable = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: plain, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    \"8080\": {mode: DISABLE}\n";
    let r = with(&[disable]);
    assert_fires(&r, "P012");
    let root_selector = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: cart-strict, namespace: istio-system}\nspec:\n  selector: {matchLabels: {app: cart}}\n  mtls: {mode: STRICT}\n";
    let r = with(&[root_selector]);
    let f = assert_fires(&r, "P012");
    assert!(f.iter().any(|f| f.message.contains("root")), "{}", r.dump());
}

#[test]
fn e25_headless_service_copies_say_what_they_do_not_cover() {
    // clients address the pods: only a workload/all waypoint sees the traffic, and only
    // Gateway-attached policies cover workload-addressed traffic (istio/istio#56505)
    let text = sidecar_shop().replace(
        "  ports: [{name: http, port: 80, targetPort: 8080}]",
        "  clusterIP: None\n  ports: [{name: http, port: 80, targetPort: 8080}]",
    );
    assert!(text.contains("clusterIP: None"));
    let r = Run::app(&format!("{text}---\n{L7_POLICY}"));
    assert_fires(&r, "W018");
    let copies = r.objects("P001");
    assert_eq!(copies.len(), 1, "{}", r.dump());
    // The copy stays Service-attached (a Gateway-attached copy on the shared namespace waypoint
    // would widen it to every service behind it) and says what it does not cover.
    let f = assert_fires(&r, "P001");
    let text = format!("{} {}", f[0].message, f[0].details.join(" "));
    assert!(
        text.contains("headless") && text.contains("56505"),
        "{text}"
    );
}
