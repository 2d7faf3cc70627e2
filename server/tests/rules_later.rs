//! Phases use-waypoints, policy-simplification and remove-sidecars.

mod common;
use ambient_lsp::finding::{Action, Severity};
use common::*;

fn ns(name: &str, labels: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n{labels}\n")
}

fn svc(ns: &str, name: &str, svc_labels: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {{{svc_labels}}}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{name: http, port: 80}}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers: [{{name: app, image: example/{name}:1}}]\n"
    )
}

fn waypoint(ns: &str, name: &str, extra: &str) -> String {
    format!("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: {name}\n  namespace: {ns}\n{extra}spec:\n  gatewayClassName: istio-waypoint\n  listeners: [{{name: mesh, port: 15008, protocol: HBONE}}]\n")
}

const L7: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: viewer, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/web/sa/web]}}]\n    to: [{operation: {methods: [GET]}}]\n";

fn run(parts: &[&str]) -> Run {
    Run::app(&parts.join("---\n"))
}

// ---------------------------------------------------------------- use-waypoints

#[test]
fn u001_waypoint_used_by_nothing() {
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        &waypoint("shop", "waypoint", ""),
    ]);
    let f = assert_fires(&r, "U001");
    assert_eq!(
        f[0].message,
        "detected waypoint shop/waypoint but it is not used by anything"
    );
    let r = run(&[
        &ns(
            "shop",
            "    istio-injection: enabled\n    istio.io/use-waypoint: waypoint",
        ),
        &svc("shop", "echo", ""),
        &waypoint("shop", "waypoint", ""),
    ]);
    assert_not_fires(&r, "U001");
}

/// A waypoint `infra/shared` with the given listener `allowedRoutes` (empty: the default, same
/// namespace only) and a service `shop/echo` enrolled in it.
fn shop_uses_shared_waypoint(allowed_routes: &str) -> Run {
    let mut wp = waypoint("infra", "shared", "");
    if !allowed_routes.is_empty() {
        wp = wp.replace(
            "listeners: [{name: mesh, port: 15008, protocol: HBONE}]",
            &format!("listeners: [{{name: mesh, port: 15008, protocol: HBONE, allowedRoutes: {allowed_routes}}}]"),
        );
    }
    run(&[
        &ns("infra", "    team: infra"),
        &wp,
        &ns("shop", "    istio-injection: enabled"),
        &svc(
            "shop",
            "echo",
            "istio.io/use-waypoint: shared, istio.io/use-waypoint-namespace: infra",
        ),
    ])
}

#[test]
fn u001_used_from_another_namespace() {
    let r = shop_uses_shared_waypoint("{namespaces: {from: All}}");
    assert_not_fires(&r, "U001");
    assert_not_fires(&r, "U005");
}

#[test]
fn u002_enrollment_recommendation() {
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        L7,
    ]);
    let f = assert_fires(&r, "U002");
    assert_eq!(f[0].message, "Detected namespace shop requires a waypoint, but not configured to use one. Configure it with: kubectl label namespace shop istio.io/use-waypoint=waypoint");
    assert!(
        matches!(&f[0].actions[0], Action::Label { target, set, .. } if target.kind == "Namespace" && set["istio.io/use-waypoint"] == "waypoint")
    );
    // only one of two services needs it: label that service
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        &svc("shop", "other", ""),
        L7,
    ]);
    let f = assert_fires(&r, "U002");
    assert!(
        f[0].message
            .contains("kubectl label service -n shop echo istio.io/use-waypoint=waypoint"),
        "{}",
        f[0].message
    );
    // already enrolled
    let r = run(&[
        &ns(
            "shop",
            "    istio-injection: enabled\n    istio.io/use-waypoint: waypoint",
        ),
        &svc("shop", "echo", ""),
        &waypoint("shop", "waypoint", ""),
        L7,
    ]);
    assert_not_fires(&r, "U002");
}

#[test]
fn u003_missing_or_not_a_waypoint() {
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", "istio.io/use-waypoint: wp"),
    ]);
    let f = assert_fires(&r, "U003");
    assert!(f[0].message.contains("does not exist"));
    assert!(f[0].blocking());
    assert_eq!(r.text_at(f[0]), "istio.io/use-waypoint: wp");
    let not_wp = waypoint("shop", "wp", "").replace("istio-waypoint", "istio");
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", "istio.io/use-waypoint: wp"),
        &not_wp,
    ]);
    assert!(assert_fires(&r, "U003")[0]
        .message
        .contains("not a waypoint"));
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", "istio.io/use-waypoint: wp"),
        &waypoint("shop", "wp", ""),
    ]);
    assert_not_fires(&r, "U003");
}

#[test]
fn u003_not_ready_waypoint_from_a_cluster_dump() {
    let wp = format!("{}status:\n  addresses: []\n", waypoint("shop", "wp", ""));
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", "istio.io/use-waypoint: wp"),
        &wp,
    ]);
    assert!(assert_fires(&r, "U003")[0].message.contains("not ready"));
}

#[test]
fn u004_traffic_type_mismatch() {
    let wl = waypoint(
        "shop",
        "wp",
        "  labels: {istio.io/waypoint-for: workload}\n",
    );
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", "istio.io/use-waypoint: wp"),
        &wl,
    ]);
    let f = assert_fires(&r, "U004");
    assert!(f[0].message.contains("waypoint-for=workload"));
    let all = waypoint("shop", "wp", "  labels: {istio.io/waypoint-for: all}\n");
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", "istio.io/use-waypoint: wp"),
        &all,
    ]);
    assert_not_fires(&r, "U004");
}

#[test]
fn e16_pods_inheriting_a_service_waypoint_silently_get_none() {
    // a namespace label + service-only waypoint: pods are not an error
    let r = run(&[
        &ns(
            "shop",
            "    istio-injection: enabled\n    istio.io/use-waypoint: wp",
        ),
        &svc("shop", "echo", ""),
        &waypoint("shop", "wp", ""),
    ]);
    assert_not_fires(&r, "U004");
    assert_not_fires(&r, "U003");
}

#[test]
fn u005_cross_namespace_not_allowed() {
    let r = shop_uses_shared_waypoint("");
    let f = assert_fires(&r, "U005");
    assert!(f[0].message.contains("AttachmentDenied"));
    // a selector that admits the namespace
    let r = shop_uses_shared_waypoint(
        "{namespaces: {from: Selector, selector: {matchLabels: {kubernetes.io/metadata.name: shop}}}}",
    );
    assert_not_fires(&r, "U005");
}

#[test]
fn e15_use_waypoint_namespace_is_read_from_the_same_object() {
    // namespace says "infra", the service only names the waypoint: it is looked up in shop
    let r = run(&[
        &ns("infra", "    team: infra"),
        &waypoint("infra", "shared", ""),
        &ns(
            "shop",
            "    istio-injection: enabled\n    istio.io/use-waypoint-namespace: infra",
        ),
        &svc("shop", "echo", "istio.io/use-waypoint: shared"),
    ]);
    let f = assert_fires(&r, "U003");
    assert!(f[0].message.contains("shop/shared"));
}

#[test]
fn u007_opt_out_on_a_service_that_needs_a_waypoint() {
    let r = run(&[
        &ns(
            "shop",
            "    istio-injection: enabled\n    istio.io/use-waypoint: waypoint",
        ),
        &svc("shop", "echo", "istio.io/use-waypoint: none"),
        &waypoint("shop", "waypoint", ""),
        L7,
    ]);
    assert_fires(&r, "U007");
    let r = run(&[
        &ns(
            "shop",
            "    istio-injection: enabled\n    istio.io/use-waypoint: waypoint",
        ),
        &svc("shop", "echo", "istio.io/use-waypoint: none"),
        &waypoint("shop", "waypoint", ""),
    ]);
    assert_not_fires(&r, "U007");
}

#[test]
fn u008_policies_before_traffic() {
    // recommended: a warning-level guard
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        L7,
    ]);
    let f = assert_fires(&r, "U008");
    assert!(f[0]
        .message
        .starts_with("Do not enable waypoint \"shop/waypoint\""));
    assert!(!f[0].blocking());
    // already enrolled without the copies: a failed check
    let r = run(&[
        &ns(
            "shop",
            "    istio-injection: enabled\n    istio.io/use-waypoint: waypoint",
        ),
        &svc("shop", "echo", ""),
        &waypoint("shop", "waypoint", ""),
        L7,
    ]);
    let f = assert_fires(&r, "U008");
    assert!(f[0].blocking());
    assert!(
        f[0].message.contains("echo-viewer") && f[0].message.contains("echo-from-waypoint"),
        "{}",
        f[0].message
    );
    // enrolled with everything in place
    let copy = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: echo-viewer, namespace: shop}\nspec:\n  targetRefs: [{kind: Service, group: \"\", name: echo}]\n  action: ALLOW\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/web/sa/web]}}]\n    to: [{operation: {methods: [GET]}}]\n";
    let allow = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: echo-from-waypoint, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  action: ALLOW\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/shop/sa/waypoint]}}]\n";
    let r = run(&[
        &ns(
            "shop",
            "    istio-injection: enabled\n    istio.io/use-waypoint: waypoint",
        ),
        &svc("shop", "echo", ""),
        &waypoint("shop", "waypoint", ""),
        L7,
        copy,
        allow,
    ]);
    assert_not_fires(&r, "U008");
}

// ---------------------------------------------------------------- policy-simplification

/// A namespace already switched to ambient, with a waypoint, copies and allow-from-waypoint.
fn migrated(extra: &[&str]) -> Run {
    let copy = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: echo-viewer, namespace: shop}\nspec:\n  targetRefs: [{kind: Service, group: \"\", name: echo}]\n  action: ALLOW\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/web/sa/web]}}]\n    to: [{operation: {methods: [GET]}}]\n";
    let allow = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: echo-from-waypoint, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  action: ALLOW\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/shop/sa/waypoint]}}]\n";
    let mut parts = vec![
        ns(
            "shop",
            "    istio.io/dataplane-mode: ambient\n    istio.io/use-waypoint: waypoint",
        ),
        svc("shop", "echo", ""),
        waypoint("shop", "waypoint", ""),
        L7.to_string(),
        copy.to_string(),
        allow.to_string(),
    ];
    parts.extend(extra.iter().map(|s| s.to_string()));
    Run::app(&parts.join("---\n"))
}

#[test]
fn s001_delete_the_migrated_l7_policy() {
    let r = migrated(&[]);
    let f = assert_fires(&r, "S001");
    assert_eq!(f[0].message, "AuthorizationPolicy was migrated and can be deleted: kubectl delete authorizationpolicies.security.istio.io -n shop viewer");
    assert!(
        matches!(&f[0].actions[0], Action::Delete { command, .. } if command.ends_with("-n shop viewer"))
    );
    assert_eq!(
        f[0].severity(),
        Severity::Info,
        "allow-from-waypoint compensates"
    );
    assert_not_fires(&r, "S009");
    // the allow-from-waypoint policy must stay
    assert!(r
        .of("S004")
        .iter()
        .any(|f| f.message.contains("echo-from-waypoint")));
}

#[test]
fn s009_keep_while_sidecars_remain() {
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        L7,
    ]);
    let f = assert_fires(&r, "S009");
    assert!(f[0]
        .message
        .starts_with("Keep \"shop/viewer\" until the pods of \"shop/echo\" are migrated"));
    assert_not_fires(&r, "S001");
    assert_not_fires(&migrated(&[]), "S009");
}

#[test]
fn s002_l4_identity_policy_superseded() {
    let l4 = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: l4, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/web/sa/web]}}]\n";
    let r = migrated(&[l4]);
    let f = assert_fires(&r, "S002");
    assert!(f[0].message.contains("\"shop/l4\" can be deleted"));
    assert!(!r
        .of("S002")
        .iter()
        .any(|f| f.message.contains("echo-from-waypoint\" can be deleted")));
    // pods still with sidecars: S009 instead
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        L7,
        l4,
    ]);
    assert_not_fires(&r, "S002");
}

#[test]
fn s003_namespace_baseline() {
    let nothing = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-nothing, namespace: shop}\nspec: {}\n";
    // covered by echo-from-waypoint: can go
    let r = migrated(&[nothing]);
    let f = assert_fires(&r, "S003");
    assert!(f[0]
        .message
        .starts_with("AuthorizationPolicy was migrated and can be deleted"));
    // another workload with no other ALLOW: keep
    let r = migrated(&[nothing, &svc("shop", "other", "")]);
    let f = assert_fires(&r, "S003");
    assert!(f
        .iter()
        .any(|f| f.message.starts_with("Keep \"shop/allow-nothing\"")
            && f.message.contains("shop/other")));
    // sidecars remain: S009 instead
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        L7,
        nothing,
    ]);
    assert_not_fires(&r, "S003");
}

#[test]
fn s004_must_stay() {
    assert_fires(&migrated(&[]), "S004");
    assert_not_fires(
        &run(&[
            &ns("shop", "    istio-injection: enabled"),
            &svc("shop", "echo", ""),
        ]),
        "S004",
    );
}

#[test]
fn s005_selector_request_authentication_original() {
    let ra = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  jwtRules: [{issuer: https://idp.example.com}]\n";
    let r = migrated(&[ra]);
    let f = assert_fires(&r, "S005");
    assert!(f[0]
        .message
        .contains("requestauthentications.security.istio.io -n shop jwt"));
    assert_not_fires(
        &run(&[
            &ns("shop", "    istio-injection: enabled"),
            &svc("shop", "echo", ""),
            ra,
        ]),
        "S005",
    );
}

#[test]
fn s006_sidecar_resource() {
    let sc = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: shop}\nspec:\n  egress: [{hosts: [\"./*\"]}]\n";
    assert_fires(&migrated(&[sc]), "S006");
    assert_not_fires(
        &run(&[
            &ns("shop", "    istio-injection: enabled"),
            &svc("shop", "echo", ""),
            sc,
        ]),
        "S006",
    );
}

#[test]
fn s007_no_op_destination_rule_once_no_sidecar_remains() {
    let dr = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: echo, namespace: shop}\nspec:\n  host: echo\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n";
    let r = migrated(&[dr]);
    assert_fires(&r, "S007");
    let r = Run::app(
        &[
            ns("shop", "    istio.io/dataplane-mode: ambient"),
            svc("shop", "echo", ""),
            dr.to_string(),
            ns("web", "    istio-injection: enabled"),
            svc("web", "web", ""),
        ]
        .join("---\n"),
    );
    assert_not_fires(&r, "S007");
}

#[test]
fn s008_relocated_client_side_virtual_service() {
    let vs_shop = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: echo, namespace: shop}\nspec:\n  hosts: [echo]\n  http: [{route: [{destination: {host: echo}}], timeout: 2s}]\n";
    let vs_web = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: echo-client, namespace: web}\nspec:\n  hosts: [echo.shop.svc.cluster.local]\n  http: [{route: [{destination: {host: echo.shop.svc.cluster.local}}], timeout: 2s}]\n";
    let r = migrated(&[
        vs_shop,
        &ns("web", "    istio.io/dataplane-mode: ambient"),
        &svc("web", "web", ""),
        vs_web,
    ]);
    let f = assert_fires(&r, "S008");
    assert!(f[0].message.contains("web/echo-client"));
    // clients in web still have sidecars: keep it
    let r = migrated(&[
        vs_shop,
        &ns("web", "    istio-injection: enabled"),
        &svc("web", "web", ""),
        vs_web,
    ]);
    assert_not_fires(&r, "S008");
}

// ---------------------------------------------------------------- remove-sidecars

#[test]
fn r001_switch_the_namespace() {
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
    ]);
    let f = assert_fires(&r, "R001");
    assert_eq!(f[0].message, "namespace shop can disable its sidecars: kubectl label ns shop istio-injection- istio.io/dataplane-mode=ambient");
    assert!(f[0].actions.iter().any(|a| matches!(a, Action::Restart { command, .. } if command == "kubectl rollout restart deployment/echo -n shop")));
    // revision label
    let r = run(&[
        &ns("shop", "    istio.io/rev: prod"),
        &svc("shop", "echo", ""),
    ]);
    assert!(assert_fires(&r, "R001")[0]
        .message
        .contains("istio.io/rev- istio.io/dataplane-mode=ambient"));
    // already ambient
    assert_not_fires(&migrated(&[]), "R001");
}

#[test]
fn r002_injection_enabled_by_default() {
    let injector = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\ndata:\n  values: '{\"sidecarInjectorWebhook\": {\"enableNamespacesByDefault\": true}}'\n";
    let r = Run::new(&[
        ("cp.yaml", CONTROL_PLANE),
        ("inj.yaml", injector),
        (
            "app.yaml",
            &[
                ns("shop", "    istio-injection: enabled"),
                svc("shop", "echo", ""),
            ]
            .join("---\n"),
        ),
    ]);
    assert_fires(&r, "R002");
    assert!(assert_fires(&r, "R001")[0]
        .message
        .contains("istio-injection=disabled istio.io/dataplane-mode=ambient --overwrite"));
    assert_not_fires(
        &run(&[
            &ns("shop", "    istio-injection: enabled"),
            &svc("shop", "echo", ""),
        ]),
        "R002",
    );
}

#[test]
fn r003_workload_requests_injection() {
    let yaml = svc("shop", "echo", "").replace(
        "    metadata: {labels: {app: echo}}",
        "    metadata: {labels: {app: echo, sidecar.istio.io/inject: \"true\"}}",
    );
    let r = run(&[&ns("shop", "    istio-injection: enabled"), &yaml]);
    assert_fires(&r, "R003");
    assert_not_fires(
        &run(&[
            &ns("shop", "    istio-injection: enabled"),
            &svc("shop", "echo", ""),
        ]),
        "R003",
    );
}

#[test]
fn r004_pod_still_has_a_sidecar() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: echo-5d9f-abcde\n  namespace: shop\n  labels: {app: echo}\n  annotations: {sidecar.istio.io/status: '{\"revision\":\"default\"}'}\n  ownerReferences: [{kind: ReplicaSet, name: echo-5d9f}]\nspec:\n  containers:\n  - name: app\n    image: example/echo:1\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1.26.3\n    env: [{name: ISTIO_META_ENABLE_HBONE, value: \"true\"}]\n";
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        pod,
    ]);
    let f = assert_fires(&r, "R004");
    assert_eq!(f[0].message, "sidecar found for Pod shop/echo-5d9f-abcde");
    assert!(
        matches!(&f[0].actions[0], Action::Restart { command, .. } if command == "kubectl rollout restart deployment/echo -n shop")
    );
    assert_not_fires(
        &run(&[
            &ns("shop", "    istio-injection: enabled"),
            &svc("shop", "echo", ""),
        ]),
        "R004",
    );
}

#[test]
fn r005_both_labels() {
    let r = run(&[
        &ns(
            "shop",
            "    istio-injection: enabled\n    istio.io/dataplane-mode: ambient",
        ),
        &svc("shop", "echo", ""),
    ]);
    assert_fires(&r, "R005");
    assert_not_fires(
        &run(&[
            &ns("shop", "    istio-injection: enabled"),
            &svc("shop", "echo", ""),
        ]),
        "R005",
    );
}

#[test]
fn r006_host_network_pods_will_not_join() {
    let yaml = svc("shop", "echo", "").replace(
        "      containers:",
        "      hostNetwork: true\n      containers:",
    );
    let r = run(&[&ns("shop", "    istio-injection: enabled"), &yaml]);
    assert!(assert_fires(&r, "R006")[0].message.contains("hostNetwork"));
    assert_not_fires(
        &run(&[
            &ns("shop", "    istio-injection: enabled"),
            &svc("shop", "echo", ""),
        ]),
        "R006",
    );
}

#[test]
fn r007_revision_label_moves_the_waypoint() {
    let r = run(&[
        &ns("shop", "    istio.io/rev: prod"),
        &svc("shop", "echo", ""),
        &waypoint("shop", "waypoint", ""),
    ]);
    assert_fires(&r, "R007");
    let r = run(&[
        &ns("shop", "    istio.io/rev: prod"),
        &svc("shop", "echo", ""),
        &waypoint("shop", "waypoint", "  labels: {istio.io/rev: prod}\n"),
    ]);
    assert_not_fires(&r, "R007");
}

#[test]
fn r008_clients_before_servers_waypoints() {
    let r = Run::app(
        &[
            ns("shop", "    istio-injection: enabled"),
            svc("shop", "echo", ""),
            L7.to_string(),
            ns("web", "    istio-injection: enabled"),
            svc("web", "web", ""),
        ]
        .join("---\n"),
    );
    let f = assert_fires(&r, "R008");
    assert!(f
        .iter()
        .any(|f| f.message.contains("\"web\"") && f.message.contains("Service shop/echo")));
    assert_not_fires(
        &run(&[
            &ns("shop", "    istio-injection: enabled"),
            &svc("shop", "echo", ""),
        ]),
        "R008",
    );
}

#[test]
fn r009_fail_closed_policies() {
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        L7,
    ]);
    let f = assert_fires(&r, "R009");
    assert!(f[0].blocking());
    assert!(f[0].message.contains("shop/viewer"));
    // with the allow-from-waypoint in place the dropped rule is compensated
    let allow = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: echo-from-waypoint, namespace: shop}\nspec:\n  selector: {matchLabels: {app: echo}}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/shop/sa/waypoint]}}]\n";
    let r = run(&[
        &ns("shop", "    istio-injection: enabled"),
        &svc("shop", "echo", ""),
        L7,
        allow,
    ]);
    assert_not_fires(&r, "R009");
}
