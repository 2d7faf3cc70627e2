//! Phase deploy-waypoints: each rule fires where Istio's ambient behaviour needs it and stays
//! quiet where it does not.

mod common;
use common::*;

/// A sidecar namespace with one service and its deployment.
fn ns_with(name: &str, svc: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: {name}
  labels:
    istio-injection: enabled
---
apiVersion: v1
kind: Service
metadata:
  name: {svc}
  namespace: {name}
spec:
  selector:
    app: {svc}
  ports:
  - name: http
    port: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {svc}
  namespace: {name}
spec:
  selector:
    matchLabels:
      app: {svc}
  template:
    metadata:
      labels:
        app: {svc}
    spec:
      containers:
      - name: app
        image: example/{svc}:1
"#
    )
}

fn app(extra: &str) -> Run {
    Run::app(&format!("{}---\n{}", ns_with("shop", "cart"), extra))
}

#[test]
fn w001_http_routing_needs_a_waypoint() {
    let r = app(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  http:\n  - route:\n    - destination: {host: cart}\n    timeout: 5s\n",
    );
    let f = assert_fires(&r, "W001");
    assert!(f[0].message.contains("timeout"), "{}", f[0].message);
    assert_eq!(r.text_at(f[0]), "http", "located on the http routes");
    // the namespace gets a waypoint
    let w = assert_fires(&r, "W020");
    assert!(
        w[0].details
            .iter()
            .any(|d| d.contains("Service \"shop/cart\" depends on VirtualService \"shop/cart\"")),
        "{:?}",
        w[0].details
    );
}

#[test]
fn w001_not_for_a_provable_no_op_or_an_unknown_host() {
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  http:\n  - route:\n    - destination: {host: cart}\n");
    assert_not_fires(&r, "W001");
    assert_not_fires(&r, "W020");
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: other, namespace: shop}\nspec:\n  hosts: [other]\n  http:\n  - route:\n    - destination: {host: other}\n    retries: {attempts: 3}\n");
    assert_not_fires(&r, "W001");
}

#[test]
fn e1_gateway_only_virtual_services_need_no_waypoint() {
    // bound to a gateway only
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  gateways: [istio-system/ingress]\n  http:\n  - route:\n    - destination: {host: cart}\n    timeout: 5s\n");
    assert_not_fires(&r, "W001");
    // bound to mesh and a gateway, but every match is for the gateway only
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  gateways: [mesh, istio-system/ingress]\n  http:\n  - match:\n    - gateways: [istio-system/ingress]\n    route:\n    - destination: {host: cart}\n    timeout: 5s\n");
    assert_not_fires(&r, "W001");
    // with mesh it does
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  gateways: [mesh, istio-system/ingress]\n  http:\n  - route:\n    - destination: {host: cart}\n    timeout: 5s\n");
    assert_fires(&r, "W001");
}

#[test]
fn e2_host_spelling() {
    // FQDN and wildcard match; `cart.shop` is taken literally and matches nothing
    for (host, fires) in [
        ("cart.shop.svc.cluster.local", true),
        ("\"*.shop.svc.cluster.local\"", true),
        ("cart.shop", false),
    ] {
        let r = app(&format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: v, namespace: shop}}\nspec:\n  hosts: [{host}]\n  http:\n  - route:\n    - destination: {{host: cart.shop.svc.cluster.local}}\n    retries: {{attempts: 2}}\n"
        ));
        assert_eq!(
            !r.of("W001").is_empty(),
            fires,
            "host {host}:\n{}",
            r.dump()
        );
    }
}

#[test]
fn w002_tcp_routing() {
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  tcp:\n  - route:\n    - destination: {host: cart, subset: v1}\n      weight: 90\n    - destination: {host: cart, subset: v2}\n      weight: 10\n");
    assert_fires(&r, "W002");
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  tcp:\n  - route:\n    - destination: {host: cart}\n");
    assert_not_fires(&r, "W002");
}

#[test]
fn w002_tls_sni_hosts_note() {
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  tls:\n  - match:\n    - sniHosts: [a.example.com, b.example.com]\n    route:\n    - destination: {host: cart, subset: v1}\n");
    let f = assert_fires(&r, "W002");
    assert!(f[0].message.contains("sniHosts"), "{}", f[0].message);
}

#[test]
fn w003_source_labels_are_dropped_at_waypoints() {
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  http:\n  - match:\n    - sourceLabels: {app: web}\n    route:\n    - destination: {host: cart}\n      headers: {request: {set: {x-from: web}}}\n");
    let f = assert_fires(&r, "W003");
    assert!(r.text_at(f[0]).starts_with("sourceLabels"));
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  http:\n  - match:\n    - sourceNamespace: shop\n    route:\n    - destination: {host: cart}\n    timeout: 2s\n");
    assert_not_fires(&r, "W003"); // the waypoint lives in shop: same namespace compares equal
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  http:\n  - match:\n    - sourceNamespace: web\n    route:\n    - destination: {host: cart}\n    timeout: 2s\n");
    assert_fires(&r, "W003");
}

#[test]
fn w004_client_side_virtual_service_is_ignored_by_the_waypoint() {
    let client = "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {istio-injection: enabled}}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart-from-web, namespace: web}\nspec:\n  hosts: [cart.shop.svc.cluster.local]\n  exportTo: [\".\"]\n  http:\n  - route:\n    - destination: {host: cart.shop.svc.cluster.local}\n    timeout: 3s\n";
    let r = Run::new(&[
        ("cp.yaml", CONTROL_PLANE),
        ("shop.yaml", &ns_with("shop", "cart")),
        ("web.yaml", client),
    ]);
    let f = assert_fires(&r, "W004");
    assert!(f[0].message.contains("web/cart-from-web"));
    // W001 still says that shop/cart needs a waypoint
    assert_fires(&r, "W001");
    // the same VS in the service's namespace is fine
    let r = app("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  exportTo: [\".\"]\n  http:\n  - route:\n    - destination: {host: cart}\n    timeout: 3s\n");
    assert_not_fires(&r, "W004");
}

#[test]
fn w004_client_scoped_destination_rule() {
    let r = app("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart, namespace: shop}\nspec:\n  host: cart\n  workloadSelector: {matchLabels: {app: web}}\n  trafficPolicy:\n    connectionPool: {tcp: {maxConnections: 10}}\n");
    assert_fires(&r, "W004");
    let r = app("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart, namespace: shop}\nspec:\n  host: cart\n  trafficPolicy:\n    connectionPool: {tcp: {maxConnections: 10}}\n");
    assert_not_fires(&r, "W004");
}

#[test]
fn w005_traffic_policy_needs_a_waypoint() {
    let r = app("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart, namespace: shop}\nspec:\n  host: cart\n  trafficPolicy:\n    loadBalancer:\n      consistentHash: {httpHeaderName: x-user}\n");
    let f = assert_fires(&r, "W005");
    assert!(f[0].message.contains("consistentHash"));
    assert_eq!(r.text_at(f[0]), "consistentHash");
    // default load balancing is not a reason
    let r = app("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart, namespace: shop}\nspec:\n  host: cart\n  trafficPolicy:\n    loadBalancer: {simple: LEAST_REQUEST}\n");
    assert_not_fires(&r, "W005");
}

#[test]
fn w006_tls_only_destination_rule_needs_nothing() {
    let r = app("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart, namespace: shop}\nspec:\n  host: cart\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n");
    assert_fires(&r, "W006");
    assert_not_fires(&r, "W005");
    assert_not_fires(&r, "W020");
    let r = app("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart, namespace: shop}\nspec:\n  host: cart\n  trafficPolicy:\n    outlierDetection: {consecutive5xxErrors: 3}\n");
    assert_not_fires(&r, "W006");
}

#[test]
fn w007_locality_only() {
    let r = app("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart, namespace: shop}\nspec:\n  host: cart\n  trafficPolicy:\n    loadBalancer:\n      localityLbSetting: {enabled: true}\n");
    let f = assert_fires(&r, "W007");
    assert!(f[0].message.contains("trafficDistribution"));
    assert_not_fires(&r, "W020");
    let r = app("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart, namespace: shop}\nspec:\n  host: cart\n  trafficPolicy:\n    loadBalancer:\n      localityLbSetting: {enabled: true}\n    outlierDetection: {consecutive5xxErrors: 3}\n");
    assert_not_fires(&r, "W007");
    assert_fires(&r, "W005");
}

const L7_ALLOW: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: cart-viewer, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: cart}\n  action: ALLOW\n  rules:\n  - from:\n    - source: {principals: [cluster.local/ns/web/sa/web]}\n    to:\n    - operation: {methods: [GET]}\n";

#[test]
fn w009_l7_allow_on_a_sidecar_workload() {
    let r = app(L7_ALLOW);
    let f = assert_fires(&r, "W009");
    assert!(f[0].message.contains("methods"));
    assert!(f[0].message.contains("denied"));
    assert_eq!(r.text_at(f[0]), "selector", "located on the selector");
    assert!(f[0]
        .related
        .iter()
        .any(|rel| rel.message.contains("methods")));
}

#[test]
fn w009_not_for_l4_policies_or_out_of_mesh_workloads() {
    let r = app("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: l4, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: cart}\n  rules:\n  - from:\n    - source: {principals: [cluster.local/ns/web/sa/web]}\n    to:\n    - operation: {ports: [\"8080\"]}\n");
    assert_not_fires(&r, "W009");
    assert_not_fires(&r, "W020");
    // a namespace outside the mesh: the policy never applied
    let out = ns_with("shop", "cart").replace("istio-injection: enabled", "team: shop");
    let r = Run::app(&format!("{out}---\n{L7_ALLOW}"));
    assert_not_fires(&r, "W009");
}

#[test]
fn e9_deny_with_http_fields_per_rule() {
    let r = app("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: d, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: cart}\n  action: DENY\n  rules:\n  - from: [{source: {namespaces: [web]}}]\n    to: [{operation: {paths: [/admin]}}]\n  - to: [{operation: {methods: [DELETE], ports: [\"8080\"]}}]\n");
    let f = assert_fires(&r, "W009");
    assert!(
        f[0].message.contains("rule 1 will never match"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].message
            .contains("rule 2 will deny every connection to port(s) 8080"),
        "{}",
        f[0].message
    );
}

#[test]
fn w010_custom_is_fail_open() {
    let r = app("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ext, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: cart}\n  action: CUSTOM\n  provider: {name: opa}\n  rules:\n  - to: [{operation: {paths: [/api/*]}}]\n");
    let f = assert_fires(&r, "W010");
    assert!(f[0].message.contains("opa") && f[0].message.contains("fail-open"));
    assert_fires(&r, "W020");
    let r = app("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ext, namespace: shop}\nspec:\n  targetRefs: [{kind: Service, group: \"\", name: cart}]\n  action: CUSTOM\n  provider: {name: opa}\n  rules:\n  - to: [{operation: {paths: [/api/*]}}]\n");
    assert_not_fires(&r, "W010");
}

#[test]
fn w011_audit_is_advisory() {
    let audit = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: audit, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: cart}\n  action: AUDIT\n  rules:\n  - to: [{operation: {methods: [POST]}}]\n";
    let r = app(audit);
    assert_fires(&r, "W011");
    assert_not_fires(&r, "W020"); // advisory: no waypoint on its own
    let strict = Run::with(
        &[
            ("cp.yaml", CONTROL_PLANE),
            (
                "app.yaml",
                &format!("{}---\n{audit}", ns_with("shop", "cart")),
            ),
        ],
        ambient_lsp::analysis::Options {
            strict_waypoints: true,
            ..Default::default()
        },
    );
    assert_fires(&strict, "W020");
    let r = app(L7_ALLOW);
    assert_not_fires(&r, "W011");
}

const RA: &str = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: cart}\n  jwtRules:\n  - issuer: https://idp.example.com\n    jwksUri: https://idp.example.com/jwks.json\n";

#[test]
fn w012_request_authentication() {
    let r = app(RA);
    let f = assert_fires(&r, "W012");
    assert_eq!(f[0].severity(), ambient_lsp::finding::Severity::Warning);
    // error when a policy relies on the JWT
    let r = app(&format!("{RA}---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: need-jwt, namespace: shop}}\nspec:\n  selector:\n    matchLabels: {{app: cart}}\n  rules:\n  - from: [{{source: {{requestPrincipals: [\"*\"]}}}}]\n"));
    let f = assert_fires(&r, "W012");
    assert_eq!(f[0].severity(), ambient_lsp::finding::Severity::Error);
    let r = app(&RA.replace(
        "  selector:\n    matchLabels: {app: cart}\n",
        "  targetRefs: [{kind: Service, group: \"\", name: cart}]\n",
    ));
    assert_not_fires(&r, "W012");
}

#[test]
fn w013_selector_telemetry_only() {
    let tel = "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: logs, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: cart}\n  accessLogging:\n  - providers: [{name: envoy}]\n";
    assert_fires(&app(tel), "W013");
    // E23: namespace-wide Telemetry applies to waypoints already
    assert_not_fires(
        &app(&tel.replace("  selector:\n    matchLabels: {app: cart}\n", "")),
        "W013",
    );
}

#[test]
fn w014_wasm_plugin() {
    let w = "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: auth, namespace: shop}\nspec:\n  selector:\n    matchLabels: {app: cart}\n  url: oci://example/auth:1\n  phase: AUTHN\n";
    assert_fires(&app(w), "W014");
    assert_not_fires(
        &app(&w.replace(
            "  selector:\n    matchLabels: {app: cart}\n",
            "  targetRefs: [{kind: Service, group: \"\", name: cart}]\n",
        )),
        "W014",
    );
}

#[test]
fn w015_envoy_filter() {
    let ef = "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: lua, namespace: shop}\nspec:\n  workloadSelector:\n    labels: {app: cart}\n  configPatches:\n  - applyTo: HTTP_FILTER\n    match: {context: SIDECAR_INBOUND}\n    patch: {operation: INSERT_BEFORE, value: {name: envoy.filters.http.lua}}\n";
    assert_fires(&app(ef), "W015");
    assert_not_fires(&app(&ef.replace("SIDECAR_INBOUND", "GATEWAY")), "W015");
}

#[test]
fn w016_mesh_route_with_service_parent() {
    let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: cart, namespace: shop}\nspec:\n  parentRefs:\n  - group: \"\"\n    kind: Service\n    name: cart\n    port: 8080\n  rules:\n  - backendRefs: [{name: cart, port: 8080}]\n";
    let r = app(route);
    assert_fires(&r, "W016");
    assert_fires(&r, "W020");
    // a Gateway parent is ingress: no waypoint
    let r = app("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: cart, namespace: shop}\nspec:\n  parentRefs:\n  - name: public\n    namespace: istio-ingress\n  rules:\n  - backendRefs: [{name: cart, port: 8080}]\n");
    assert_not_fires(&r, "W016");
}

#[test]
fn w017_service_entry_with_tls_origination() {
    let se = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: stripe, namespace: shop}\nspec:\n  hosts: [api.stripe.com]\n  location: MESH_EXTERNAL\n  resolution: DNS\n  ports: [{number: 80, name: http, protocol: HTTP}]\n";
    let dr = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: stripe, namespace: shop}\nspec:\n  host: api.stripe.com\n  trafficPolicy:\n    tls: {mode: SIMPLE}\n";
    let r = app(&format!("{se}---\n{dr}"));
    let f = assert_fires(&r, "W017");
    assert_eq!(f[0].severity(), ambient_lsp::finding::Severity::Error);
    let w = assert_fires(&r, "W020");
    assert!(
        w[0].details
            .iter()
            .any(|d| d.starts_with("ServiceEntry \"shop/stripe\"")),
        "{:?}",
        w[0].details
    );
    // an unused ServiceEntry needs nothing
    assert_not_fires(&app(se), "W017");
}

#[test]
fn w018_headless_service_gets_an_all_traffic_waypoint() {
    let yaml = ns_with("shop", "cart").replace(
        "  ports:\n  - name: http",
        "  clusterIP: None\n  ports:\n  - name: http",
    );
    let r = Run::app(&format!("{yaml}---\n{L7_ALLOW}"));
    assert_fires(&r, "W018");
    let gw = r.objects("W020");
    assert_eq!(
        gw[0]
            .pointer("/metadata/labels/istio.io~1waypoint-for")
            .and_then(|v| v.as_str()),
        Some("all")
    );
    assert_not_fires(&app(L7_ALLOW), "W018");
}

#[test]
fn w020_generated_waypoint() {
    let r = app(L7_ALLOW);
    let gw = r.objects("W020");
    assert_eq!(gw.len(), 1);
    assert_eq!(
        gw[0],
        serde_json::json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "waypoint", "namespace": "shop"},
            "spec": {"gatewayClassName": "istio-waypoint", "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]}
        })
    );
    // an existing usable waypoint: nothing to deploy
    let r = app(&format!("{L7_ALLOW}---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: waypoint, namespace: shop}}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{{name: mesh, port: 15008, protocol: HBONE}}]\n"));
    assert_not_fires(&r, "W020");
}

#[test]
fn w020_revision_label_follows_the_namespace() {
    let yaml = ns_with("shop", "cart").replace("istio-injection: enabled", "istio.io/rev: prod");
    let r = Run::app(&format!("{yaml}---\n{L7_ALLOW}"));
    let gw = r.objects("W020");
    assert_eq!(
        gw[0]
            .pointer("/metadata/labels/istio.io~1rev")
            .and_then(|v| v.as_str()),
        Some("prod")
    );
}

#[test]
fn w021_unusable_waypoint_and_name_clash() {
    let r = app("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: wp, namespace: shop}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n");
    assert_fires(&r, "W021");
    let r = app(&format!("{L7_ALLOW}---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: waypoint, namespace: shop}}\nspec:\n  gatewayClassName: istio\n  listeners: [{{name: http, port: 80, protocol: HTTP}}]\n"));
    let f = assert_fires(&r, "W021");
    assert!(f[0].message.contains("waypoint-ambient"));
    assert_eq!(
        r.objects("W020")[0]
            .pointer("/metadata/name")
            .and_then(|v| v.as_str()),
        Some("waypoint-ambient")
    );
    let r = app("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: shop}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n");
    assert_not_fires(&r, "W021");
}

#[test]
fn w022_grpc_without_other_reasons() {
    let yaml = ns_with("shop", "cart").replace(
        "  - name: http\n    port: 8080",
        "  - name: grpc\n    port: 9090\n    appProtocol: grpc",
    );
    let r = Run::app(&yaml);
    assert_fires(&r, "W022");
    assert_not_fires(&app(""), "W022");
}

#[test]
fn w023_gateway_api_missing() {
    let cp_without_crds: String = CONTROL_PLANE
        .split("\n---\n")
        .filter(|d| !d.contains("CustomResourceDefinition"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    let r = Run::new(&[
        ("cp.yaml", &cp_without_crds),
        (
            "app.yaml",
            &format!("{}---\n{L7_ALLOW}", ns_with("shop", "cart")),
        ),
    ]);
    let f = assert_fires(&r, "W023");
    assert!(f[0].blocking());
    assert_not_fires(&app(L7_ALLOW), "W023");
}

#[test]
fn e14_label_points_at_missing_waypoint_no_fallback() {
    // the Service label wins and is broken: no waypoint, and the namespace one is not used
    let yaml = ns_with("shop", "cart")
        .replace("istio-injection: enabled", "istio-injection: enabled\n    istio.io/use-waypoint: waypoint")
        .replace("  name: cart\n  namespace: shop\nspec:\n  selector", "  name: cart\n  namespace: shop\n  labels:\n    istio.io/use-waypoint: missing\nspec:\n  selector");
    let r = Run::app(&format!("{yaml}---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: waypoint, namespace: shop}}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{{name: mesh, port: 15008, protocol: HBONE}}]\n---\n{L7_ALLOW}"));
    let f = assert_fires(&r, "U003");
    assert!(f[0].message.contains("shop/missing"));
    assert!(f[0].message.contains("NOT be used"));
}

/// Istio's egress gateway task: a ServiceEntry, an egress Gateway, and a VirtualService that
/// sends mesh traffic to the egress gateway.
fn egress(mesh_route_to: &str) -> String {
    format!(
        r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: cnn, namespace: shop}}
spec:
  hosts: [edition.cnn.com]
  ports: [{{number: 80, name: http-port, protocol: HTTP}}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: istio-egressgateway, namespace: shop}}
spec:
  selector: {{istio: egressgateway}}
  servers: [{{port: {{number: 80, name: http, protocol: HTTP}}, hosts: [edition.cnn.com]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: istio-egressgateway, namespace: istio-system}}
spec:
  selector: {{istio: egressgateway}}
  ports: [{{name: http2, port: 80, targetPort: 8080}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: direct-cnn-through-egress-gateway, namespace: shop}}
spec:
  hosts: [edition.cnn.com]
  gateways: [istio-egressgateway, mesh]
  http:
  - match: [{{gateways: [mesh], port: 80}}]
    route: [{{destination: {{host: {mesh_route_to}, port: {{number: 80}}}}, weight: 100}}]
  - match: [{{gateways: [istio-egressgateway], port: 80}}]
    route: [{{destination: {{host: edition.cnn.com, port: {{number: 80}}}}, weight: 100}}]
"#
    )
}

#[test]
fn w019_egress_gateway_steering_is_bypassed() {
    let r = app(&egress(
        "istio-egressgateway.istio-system.svc.cluster.local",
    ));
    let f = assert_fires(&r, "W019");
    assert_eq!(f[0].severity(), ambient_lsp::finding::Severity::Error);
    assert!(
        f[0].message
            .contains("shop/direct-cnn-through-egress-gateway")
            && f[0].message.contains("shop/cnn"),
        "{}",
        f[0].message
    );
    assert!(
        r.text_at(f[0]).starts_with("match: [{gateways: [mesh]"),
        "{}",
        r.text_at(f[0])
    );
    // the ServiceEntry gets its egress waypoint
    assert_fires(&r, "W017");
    assert_fires(&r, "W020");
}

#[test]
fn w019_not_when_mesh_traffic_goes_direct() {
    // the mesh route goes straight to the external host: nothing is bypassed
    let r = app(&egress("edition.cnn.com"));
    assert_not_fires(&r, "W019");
}
