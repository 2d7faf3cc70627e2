//! The reports of CI (docs/ci.md) on inputs the end-to-end tests cannot give the binary.

mod common;

use ambient_lsp::report::{self, ReportOptions};

#[test]
fn an_empty_input_has_findings_without_a_location_and_the_schema_says_when() {
    // the language server's report of an empty workspace: no istiod, no file to place it on
    let r = common::Run::new(&[]); // validated against both schemas by Run::new
    let rep = report::build(&r.index, &r.analysis, &ReportOptions::default());
    let j = report::json::render(&rep, &[]);
    assert_eq!(j["inputs"]["files"], 0);
    let nulls = j["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["findings"].as_array().unwrap())
        .filter(|f| f["location"].is_null())
        .count();
    assert!(nulls > 0, "cluster-level findings of an empty input");
    let s = report::sarif::render(&rep);
    assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert_eq!(
        s["runs"][0]["properties"]["grouping"]["unlocated"]
            .as_u64()
            .unwrap() as usize,
        nulls
    );
    // with one file, the same findings are placed on it
    let r = common::Run::new(&[("notes.yaml", "# nothing here\n")]);
    let rep = report::build(&r.index, &r.analysis, &ReportOptions::default());
    let j = report::json::render(&rep, &[]);
    let placed: Vec<&serde_json::Value> = j["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["findings"].as_array().unwrap())
        .collect();
    assert!(!placed.is_empty());
    for f in placed {
        assert_eq!(f["location"]["file"], "notes.yaml", "{f}");
        assert_eq!(f["location"]["placed"], "first-input", "{f}");
    }
}
