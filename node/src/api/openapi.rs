//! `GET /openapi.json`: the hand-written OpenAPI 3 document (`openapi.json` next to this file).

use axum::http::header;
use axum::response::IntoResponse;

/// The document.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// `GET /openapi.json`.
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_document_is_json_and_lists_every_path() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI_JSON).expect("valid JSON");
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
            "/admin/peers/block",
        ] {
            assert!(doc["paths"].get(path).is_some(), "missing {path}");
        }
    }
}
