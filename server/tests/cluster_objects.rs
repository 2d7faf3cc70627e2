//! Pods are cut down to what the analysis reads while they are read (`objects::POD_SHAPE`) or
//! after (`objects::prune_pod`, for `--dump-dir`): on every Pod of the corpus and of the
//! synthetic cluster, both give exactly the resource the whole object gives.

#[path = "common/apiserver.rs"]
mod apiserver;
mod common;

use ambient_lsp::cluster::objects::{self, JsonNode, NodeSeed};
use serde::de::DeserializeSeed;

fn resource_of(n: &ambient_lsp::yaml::Node) -> String {
    let fd = objects::file_data(0, "cluster://t/ns/Pod/p", n);
    format!("{:?}\n{:?}", fd.resources, fd.problems)
}

#[test]
fn pruned_pods_give_the_same_resource_as_whole_ones() {
    let mut pods: Vec<serde_json::Value> = apiserver::objects_of_paths(&[common::corpus()])
        .into_iter()
        .filter(|o| o["kind"] == "Pod")
        .collect();
    let corpus_pods = pods.len();
    pods.extend(apiserver::pods(50, 5));
    // odd shapes: a wrong type where a list is expected keeps the whole value
    pods.push(serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "odd", "namespace": "x", "labels": {"a": "1"}}, "spec": {"containers": {"name": "not-a-list"}, "volumes": ["x"], "initContainers": [{"name": "i", "env": {"A": "1"}, "args": "x"}]}, "status": {"phase": "Running"}}));
    assert!(corpus_pods > 0, "the corpus has pods");
    for p in &pods {
        let text = p.to_string();
        let whole = serde_json::from_str::<JsonNode>(&text).unwrap().0;
        let mut pruned = whole.clone();
        objects::prune_pod(&mut pruned);
        let mut de = serde_json::Deserializer::from_str(&text);
        let shaped = NodeSeed(&objects::POD_SHAPE).deserialize(&mut de).unwrap();
        let want = resource_of(&whole);
        assert_eq!(
            resource_of(&pruned),
            want,
            "prune_pod changed {}",
            p["metadata"]["name"]
        );
        assert_eq!(
            resource_of(&shaped),
            want,
            "POD_SHAPE changed {}",
            p["metadata"]["name"]
        );
        assert!(shaped.get("status").is_none());
    }
    eprintln!("{} pods ({corpus_pods} from the corpus)", pods.len());
}

#[test]
fn a_list_is_read_item_by_item() {
    let json = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"c1"},"items":[{"metadata":{"name":"a"},"status":{"x":1}},{"metadata":{"name":"b"}}]}"#;
    let mut names = Vec::new();
    let meta = objects::read_list(json, &objects::POD_SHAPE, &mut |n| {
        assert!(n.get("status").is_none());
        names.push(objects::name_ns(&n).0)
    })
    .unwrap();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(meta.resource_version.as_deref(), Some("42"));
    assert_eq!(meta.cont.as_deref(), Some("c1"));
    // not a list at all
    assert!(objects::read_list(r#"[1, 2]"#, &objects::Keep::All, &mut |_| {}).is_err());
    assert!(objects::read_list(r#"{"items": [1}"#, &objects::Keep::All, &mut |_| {}).is_err());
    // a list without items (a lenient server's empty list) is empty
    assert!(objects::read_list(
        r#"{"kind":"PodList","metadata":{}}"#,
        &objects::Keep::All,
        &mut |_| panic!()
    )
    .is_ok());
    assert!(objects::read_list(
        r#"{"items":null,"metadata":{}}"#,
        &objects::Keep::All,
        &mut |_| panic!()
    )
    .is_ok());
}

#[test]
fn last_applied_configuration_is_not_kept() {
    let mut n = serde_json::from_str::<JsonNode>(
        r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"a","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"big\":1}","keep":"me"}}}"#,
    )
    .unwrap()
    .0;
    objects::drop_last_applied(&mut n);
    let fd = objects::file_data(0, "cluster://t/a/Service/s", &n);
    let a: Vec<(&str, &str)> = fd.resources[0].annotations.iter().collect();
    assert_eq!(a, [("keep", "me")]);
}
