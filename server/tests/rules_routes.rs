//! RT-001…RT-005: the HTTPRoute translation of mesh VirtualServices, positive and negative
//! cases (fixtures in `fixtures/routes/`).

mod common;
use common::*;

fn fixture(name: &str) -> Run {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/routes")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    Run::app(&text)
}

#[test]
fn rt001_translation_with_apply_actions() {
    let r = fixture("canary-subsets.yaml");
    let fs = assert_fires(&r, "RT-001");
    let f = fs[0];
    assert!(
        f.message.contains("translates to HTTPRoute shop/cart"),
        "{}",
        f.message
    );
    assert!(f.message.contains("cart-v1, cart-v2"), "{}", f.message);
    let kinds: Vec<String> = f
        .actions
        .iter()
        .filter_map(|a| match a {
            ambient_lsp::finding::Action::Apply { resource, .. } => Some(resource.kind()),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "HTTPRoute",
            "Service",
            "Service",
            "DestinationRule",
            "DestinationRule"
        ]
    );
    for rule in ["RT-002", "RT-003", "RT-004", "RT-005"] {
        assert_not_fires(&r, rule);
    }
    for name in [
        "header-match.yaml",
        "regex-before-catch-all.yaml",
        "redirect-rewrite.yaml",
        "mirror-timeout.yaml",
    ] {
        let r = fixture(name);
        assert_fires(&r, "RT-001");
        assert_not_fires(&r, "RT-002");
    }
}

#[test]
fn rt001_not_for_gateway_only_or_no_op_virtual_services() {
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: cart, namespace: shop}\nspec:\n  selector: {app: cart}\n  ports: [{name: http, port: 80}]\n---\n";
    let r = Run::app(&format!("{svc}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: cart, namespace: shop}}\nspec:\n  hosts: [cart]\n  gateways: [istio-system/ingress]\n  http:\n  - route:\n    - destination: {{host: cart}}\n    timeout: 5s\n"));
    assert_not_fires(&r, "RT-001");
    let r = Run::app(&format!("{svc}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: cart, namespace: shop}}\nspec:\n  hosts: [cart]\n  http:\n  - route:\n    - destination: {{host: cart}}\n"));
    assert_not_fires(&r, "RT-001");
}

#[test]
fn rt002_untranslatable_field_named_at_its_line() {
    let r = fixture("fault.yaml");
    let fs = assert_fires(&r, "RT-002");
    assert!(
        fs[0].message.contains("`http[0].fault`"),
        "{}",
        fs[0].message
    );
    assert!(fs[0]
        .message
        .contains("cannot be translated to an HTTPRoute"));
    let loc = fs[0].location.unwrap();
    let file = r.index.file(loc.file).unwrap();
    assert!(file.text[loc.span.start as usize..].starts_with("fault:"));
    assert_not_fires(&r, "RT-001");
    let r = fixture("plain-prefix-rewrite.yaml");
    let fs = assert_fires(&r, "RT-002");
    assert!(
        fs[0].message.contains("`http[0].rewrite.uri`") && fs[0].message.contains("/shopping"),
        "{}",
        fs[0].message
    );
    assert_not_fires(&fixture("header-match.yaml"), "RT-002");
}

#[test]
fn rt003_order_conflict_names_both_rules() {
    let r = fixture("pinned-order.yaml");
    let fs = assert_fires(&r, "RT-003");
    assert!(
        fs[0].message.contains("`http[0]`") && fs[0].message.contains("`http[1]`"),
        "{}",
        fs[0].message
    );
    assert_not_fires(&r, "RT-001");
    assert_not_fires(&fixture("regex-before-catch-all.yaml"), "RT-003");
}

#[test]
fn rt004_retries_without_the_retry_field() {
    let r = fixture("retries.yaml");
    let fs = assert_fires(&r, "RT-004");
    assert!(
        fs[0].message.contains("`http[0].retries`"),
        "{}",
        fs[0].message
    );
    assert_not_fires(&fixture("canary-subsets.yaml"), "RT-004");
    // the experimental-channel CRD has `retry`: translated
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: httproutes.gateway.networking.k8s.io\n  annotations: {gateway.networking.k8s.io/channel: experimental}\nspec:\n  group: gateway.networking.k8s.io\n  names: {kind: HTTPRoute, plural: httproutes}\n  versions: [{name: v1, served: true, storage: true}]\n---\n";
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/routes/retries.yaml"),
    )
    .unwrap();
    // (without the control-plane fixture, whose standard-channel CRD would be the one in use)
    let r = Run::new(&[("app.yaml", format!("{crd}{text}").as_str())]);
    assert_not_fires(&r, "RT-004");
    let fs = assert_fires(&r, "RT-001");
    let json = format!("{:?}", fs[0].actions);
    assert!(
        json.contains("\"retry\":{\"attempts\":3,\"codes\":[503]}")
            && json.contains("\"backendRequest\":\"2s\""),
        "{json}"
    );
}

#[test]
fn rt005_limits() {
    let r = fixture("limits.yaml");
    let fs = assert_fires(&r, "RT-005");
    assert!(fs[0].message.contains("17 rules"), "{}", fs[0].message);
    assert_not_fires(&fixture("header-match.yaml"), "RT-005");
}

#[test]
fn semantics_that_are_easy_to_get_wrong() {
    let route = |name: &str| -> serde_json::Value {
        let r = fixture(name);
        let f = r.of("RT-001")[0].clone();
        match &f.actions[0] {
            ambient_lsp::finding::Action::Apply { resource, .. } => resource.value(),
            _ => unreachable!(),
        }
    };
    // no catch-all is added: the header-only VirtualService keeps its 404 for other requests
    let v = route("header-match.yaml");
    let rules = v["spec"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    // a plain uri.prefix becomes a regular expression (PathPrefix would not match /apix)
    assert_eq!(
        rules[0]["matches"][0]["path"],
        serde_json::json!({"type": "RegularExpression", "value": "/api.*"})
    );
    // redirect codes are explicit (Istio 301, Gateway API default 302), port 80 keeps the
    // Location without a port like the VirtualService
    let v = route("redirect-rewrite.yaml");
    let rd = &v["spec"]["rules"][0]["filters"][0]["requestRedirect"];
    assert_eq!(rd["statusCode"], 301);
    assert_eq!(rd["port"], 80);
    // the catch-all below a regex rule is written as a regex so that it sorts after it
    let v = route("regex-before-catch-all.yaml");
    let last = v["spec"]["rules"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["matches"][0]["path"]["type"], "RegularExpression");
    // routes go to the Service's namespace, parentRef kind Service
    assert_eq!(v["metadata"]["namespace"], "shop");
    assert_eq!(
        v["spec"]["parentRefs"][0],
        serde_json::json!({"group": "", "kind": "Service", "name": "catalog"})
    );
    // a port match and a destination without port on a two-port Service: one route per port
    let r = fixture("mirror-timeout.yaml");
    let f = &r.of("RT-001")[0];
    let ports: Vec<serde_json::Value> = f
        .actions
        .iter()
        .filter_map(|a| match a {
            ambient_lsp::finding::Action::Apply { resource, .. }
                if resource.kind() == "HTTPRoute" =>
            {
                Some(resource.value()["spec"]["parentRefs"][0]["port"].clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(ports, [serde_json::json!(80), serde_json::json!(9090)]);
}
