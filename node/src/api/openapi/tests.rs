//! The generated document: every path, valid OpenAPI 3 structure, typed answers.

use serde_json::Value;
use std::collections::BTreeSet;

fn document() -> Value {
    let json = super::DOCUMENT.as_ref().expect("document serialises");
    serde_json::from_str(json).expect("valid JSON")
}

#[test]
fn openapi_document_is_json_and_lists_every_path() {
    let doc = document();
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    for path in [
        "/v1/events",
        "/v1/events/batch",
        "/v1/events/{id}",
        "/v1/proofs/events/{id}",
        "/v1/shipments/{id}",
        "/v1/blocks",
        "/v1/blocks/latest",
        "/v1/blocks/{height}",
        "/v1/status",
        "/v1/stream",
        "/metrics",
        "/openapi.json",
        "/admin/peers",
        "/admin/peers/block",
        "/admin/peers/unblock",
    ] {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
}

/// Every `$ref` in `v`, as its JSON pointer (`#/components/...`).
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn document_is_valid_openapi_3_structure() {
    let doc = document();
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    // Every reference resolves inside the document.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in &all {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "dangling reference {r}");
    }
    let mut operation_ids = BTreeSet::new();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        assert!(path.starts_with('/'), "{path}");
        for (method, op) in item.as_object().expect("path item") {
            assert!(
                ["get", "post"].contains(&method.as_str()),
                "{method} {path}"
            );
            let id = op["operationId"].as_str().expect("operationId");
            assert!(
                operation_ids.insert(id.to_owned()),
                "operationId {id} twice"
            );
            // Every templated segment is a declared, required path parameter.
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                let declared = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true)
                });
                assert!(
                    declared,
                    "{method} {path}: path parameter {name} not declared"
                );
            }
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.contains_key("429"), "{method} {path}: no 429");
            for (code, answer) in responses {
                assert!(
                    code.len() == 3 && code.chars().all(|c| c.is_ascii_digit()),
                    "{method} {path}: status {code}"
                );
                assert!(
                    answer.get("$ref").is_some() || answer["description"].is_string(),
                    "{method} {path} {code}: no description"
                );
            }
        }
    }
    let rate_limited = &doc["components"]["responses"]["RateLimited"];
    assert!(rate_limited["headers"]["Retry-After"]["schema"].is_object());
}

/// The properties of a component schema (following `allOf`).
fn properties(doc: &Value, name: &str) -> BTreeSet<String> {
    let schema = &doc["components"]["schemas"][name];
    let mut out: BTreeSet<String> = schema["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        if let Some(m) = part["properties"].as_object() {
            out.extend(m.keys().cloned());
        }
    }
    out
}

#[test]
fn answers_are_typed_not_bare_objects() {
    let doc = document();
    let expect = |name: &str, keys: &[&str]| {
        let got = properties(&doc, name);
        for k in keys {
            assert!(got.contains(*k), "{name} has no property {k}: {got:?}");
        }
    };
    expect(
        "Flag",
        &["rule_id", "severity", "evidence", "height", "detail"],
    );
    expect(
        "ShipmentRecord",
        &["declaration", "flags", "lane", "origin", "clearance"],
    );
    expect(
        "ShipmentAnswer",
        &[
            "flags",
            "origin",
            "verdicts",
            "lane_history",
            "timeline",
            "record",
        ],
    );
    expect("OriginVerdict", &["shipment_id", "confirmed", "failed"]);
    expect("LaneChange", &["previous", "lane", "rule_set_version"]);
    expect("TimelineEntry", &["event_id", "kind", "org", "height"]);
    expect("LaneEntry", &["change", "event_id", "height"]);
    expect("HistoryEntry", &["record", "event_id", "height"]);
    expect(
        "CommittedEvent",
        &[
            "outcome",
            "flags",
            "records",
            "event",
            "height",
            "reject_code",
        ],
    );
    expect(
        "ProofAnswer",
        &[
            "header",
            "events_root_proof",
            "certificate",
            "outcome",
            "results_root_proof",
        ],
    );
    expect(
        "BlockHeader",
        &["height", "parent_hash", "events_root", "results_root"],
    );
    expect("Block", &["header", "justify", "timeout_cert", "events"]);
    expect("QuorumCertificate", &["data", "signers", "signatures"]);
    expect("BlockAnswer", &["height", "hash", "block", "certificate"]);
    expect("BlockPage", &["from", "blocks", "next", "committed_height"]);
    expect(
        "NodeStatus",
        &["chain_id", "height", "validators", "peers", "sync"],
    );
    expect("BatchAnswer", &["accepted", "results"]);
    expect("BatchItem", &["status", "error"]);
    expect("EventOutcome", &["event_id", "status", "records"]);
    expect("Error", &["error", "message", "id"]);
    expect("SignedEvent", &["body", "signature"]);
    expect("EventBody", &["chain_id", "signer", "seq", "payload"]);
    // Enumerations and unions are spelled out.
    for name in ["Derived", "Payload", "EventAnswer", "FeedItem"] {
        let schema = &doc["components"]["schemas"][name];
        let variants = schema["oneOf"].as_array().map_or(0, Vec::len);
        assert!(variants >= 2, "{name} is not a union: {schema}");
    }
    assert!(doc["components"]["schemas"]["Lane"]["enum"].is_array());
    // No answer or request body is a bare object.
    let mut bare = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        if schema["type"] == "object" && schema.get("properties").is_none() {
            bare.push(name.clone());
        }
    }
    assert!(bare.is_empty(), "bare objects: {bare:?}");
}
