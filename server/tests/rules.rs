//! The rule fixtures: every case folder `tests/fixtures/rules/<RULE-ID>/<case>/` is analysed;
//! what its `case.yaml` says must hold, and the findings of the rules it is about must match
//! its snapshot (`findings.snap`, reviewed with `cargo insta review`). The format is described
//! in `common/fixture.rs`.

mod common;
use common::fixture;
use std::sync::Mutex;

#[test]
fn rule_fixtures() {
    let problems: Mutex<Vec<String>> = Mutex::new(Vec::new());
    insta::glob!("fixtures/rules", "*/*/case.yaml", |path| {
        let dir = path.parent().unwrap();
        let case = match fixture::load(dir) {
            Ok(c) => c,
            Err(e) => {
                problems.lock().unwrap().push(e);
                return;
            }
        };
        for p in case.check() {
            problems.lock().unwrap().push(format!("{}: {p}", case.name));
        }
        insta::with_settings!({
            snapshot_path => dir,
            prepend_module_to_snapshot => false,
            snapshot_suffix => "",
            input_file => path,
            description => case.spec.about.clone(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!("findings", case.render());
        });
    });
    let problems = problems.into_inner().unwrap();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// E21: generated policies live in the namespace of what they target, with at most 16
/// targetRefs, none naming a namespace, and never both a selector and targetRefs.
#[test]
fn e21_generated_policies_live_in_the_target_namespace_with_valid_refs() {
    let case = fixture::case("P002/e21-generated-objects");
    let mut objects = 0;
    for rule in ["P001", "P004"] {
        for f in case.of(rule) {
            for a in &f.actions {
                let ambient_lsp::finding::Action::Apply { resource, .. } = a else {
                    continue;
                };
                let o = resource.value();
                objects += 1;
                assert_eq!(o["metadata"]["namespace"], "shop", "{o}");
                if let Some(refs) = o["spec"]["targetRefs"].as_array() {
                    assert!(refs.len() <= 16, "{o}");
                    assert!(refs.iter().all(|t| t.get("namespace").is_none()), "{o}");
                    assert!(
                        o["spec"].get("selector").is_none(),
                        "selector and targetRefs are exclusive: {o}"
                    );
                }
            }
        }
    }
    assert!(
        objects >= 2,
        "the case generates a copy and an allow-from-waypoint"
    );
}
