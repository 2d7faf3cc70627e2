//! The before/after pairs of istio.io's "Migrate policies" page
//! (`../shared/corpus/istio.io/ambient/migrate/`): what our analysis recommends for the "before"
//! manifests must match the documented "after".

mod common;
use common::*;
use serde_json::Value;

/// Our own bookinfo in sidecar mode: the namespace, reviews (v1, v2) and productpage.
const BOOKINFO: &str = include_str!("fixtures/bookinfo.yaml");

fn doc(name: &str) -> String {
    let p = corpus().join("istio.io/ambient/migrate").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn run(docs: &[&str]) -> Run {
    let mut files: Vec<(String, String)> = vec![
        ("control-plane.yaml".into(), CONTROL_PLANE.into()),
        ("bookinfo.yaml".into(), BOOKINFO.into()),
    ];
    for d in docs {
        files.push(((*d).into(), doc(d)));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    Run::new(&refs)
}

fn yaml_value(text: &str) -> Value {
    // The corpus documents are simple block YAML; go through our own parser to JSON.
    let docs = ambient_lsp::yaml::parse_stream(text, &ambient_lsp::yaml::Limits::default());
    let d = docs
        .docs
        .iter()
        .find(|d| d.root.is_some())
        .expect("a document");
    d.root.as_ref().unwrap().to_json()
}

fn full(f: &ambient_lsp::finding::Finding) -> String {
    format!("{}\n{}", f.message, f.details.join("\n"))
}

#[test]
fn pair_05_06_selector_policy_becomes_the_service_targeted_policy() {
    let r = run(&["migrate-policies-05.yaml"]);
    let copies = r.objects("P001");
    assert_eq!(copies.len(), 1, "{}", r.dump());
    let after = yaml_value(&doc("migrate-policies-06.yaml"));
    // The documented after keeps the name; ours is prefixed with the service so that one
    // selector policy copied to several services cannot collide. The spec must be the same.
    assert_eq!(copies[0]["spec"], after["spec"]);
    assert_eq!(copies[0]["kind"], after["kind"]);
    assert_eq!(copies[0]["apiVersion"], after["apiVersion"]);
    assert_eq!(
        copies[0]["metadata"]["namespace"],
        after["metadata"]["namespace"]
    );
    // ...and the waypoint it needs is recommended.
    let w = assert_fires(&r, "W020");
    assert!(
        full(w[0]).contains("Service \"bookinfo/reviews\""),
        "{}",
        full(w[0])
    );
}

#[test]
fn pair_04_l4_policy_needs_no_change_on_its_own() {
    // "This L4 policy requires no changes for ambient mode"
    let r = run(&["migrate-policies-04.yaml"]);
    for rule in ["W020", "P001", "P004", "P005", "R009", "S009"] {
        assert_not_fires(&r, rule);
    }
}

#[test]
fn pair_04_with_a_waypoint_gets_the_waypoint_principal_of_07() {
    // Once reviews has a waypoint (because of 05), the L4 policy at the workload sees the
    // waypoint's identity: the allow-from-waypoint policy admits exactly the principal that the
    // documented deny-waypoint-bypass policy (07) exempts.
    let r = run(&["migrate-policies-04.yaml", "migrate-policies-05.yaml"]);
    let allow = r.objects("P004");
    assert_eq!(allow.len(), 1, "{}", r.dump());
    let documented = yaml_value(&doc("migrate-policies-07.yaml"));
    let waypoint_principal =
        &documented["spec"]["rules"][0]["from"][0]["source"]["notPrincipals"][0];
    assert_eq!(
        allow[0]["spec"]["rules"][0]["from"][0]["source"]["principals"],
        serde_json::json!([waypoint_principal])
    );
    assert_eq!(
        allow[0]["spec"]["selector"]["matchLabels"]["app"],
        "reviews"
    );
    // the L4 policy itself is copied so its identity check still happens (at the waypoint)
    let copies = r.objects("P001");
    assert!(
        copies
            .iter()
            .any(|c| c["spec"]["rules"][0]["from"][0]["source"]["principals"]
                == serde_json::json!(["cluster.local/ns/bookinfo/sa/productpage"])),
        "{copies:#?}"
    );
}

#[test]
fn pair_07_08_deny_bypass_policies_do_not_block_the_waypoint() {
    for d in ["migrate-policies-07.yaml", "migrate-policies-08.yaml"] {
        let r = run(&["migrate-policies-05.yaml", d]);
        assert_not_fires(&r, "P005");
    }
    // control: a DENY with notPrincipals that does not exempt the waypoint blocks it.
    let r = Run::new(&[
        ("control-plane.yaml", CONTROL_PLANE),
        ("bookinfo.yaml", BOOKINFO),
        ("05.yaml", &doc("migrate-policies-05.yaml")),
        (
            "deny.yaml",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: only-productpage, namespace: bookinfo}\nspec:\n  selector: {matchLabels: {app: reviews}}\n  action: DENY\n  rules:\n  - from: [{source: {notPrincipals: [cluster.local/ns/bookinfo/sa/bookinfo-productpage]}}]\n",
        ),
    ]);
    assert_fires(&r, "P005");
}

#[test]
fn pair_01_virtualservice_needs_a_waypoint() {
    // 01 has no namespace; the page applies it in bookinfo (`kubectl apply -n bookinfo`).
    let vs = doc("migrate-policies-01.yaml").replace(
        "metadata:\n  name: reviews\n",
        "metadata:\n  name: reviews\n  namespace: bookinfo\n",
    );
    assert!(vs.contains("namespace: bookinfo"));
    let r = Run::new(&[
        ("control-plane.yaml", CONTROL_PLANE),
        ("bookinfo.yaml", BOOKINFO),
        ("01.yaml", &vs),
        ("02.yaml", &doc("migrate-policies-02.yaml")),
    ]);
    let f = assert_fires(&r, "W001");
    assert!(f[0].message.contains("reviews"), "{}", f[0].message);
    let g = assert_fires(&r, "W020");
    assert!(
        full(g[0]).contains("VirtualService \"bookinfo/reviews\""),
        "{}",
        full(g[0])
    );
    // as written (namespace default), it routes for a host that does not exist there
    let r = run(&["migrate-policies-01.yaml", "migrate-policies-02.yaml"]);
    assert_not_fires(&r, "W020");
}

#[test]
fn pair_03_httproute_on_a_service_needs_a_waypoint() {
    let r = run(&["migrate-policies-02.yaml", "migrate-policies-03.yaml"]);
    let g = assert_fires(&r, "W020");
    assert!(
        full(g[0]).contains("HTTPRoute \"bookinfo/reviews\""),
        "{}",
        full(g[0])
    );
}
