//! API errors: a status code and a JSON body `{"error": code, "message": text}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code (`bad_signature`, `not_found`, ...).
    pub code: &'static str,
    /// What went wrong, naming the field or value.
    pub message: String,
    /// The event id concerned, when there is one.
    pub id: Option<String>,
}

/// The body of every error answer (4xx and 5xx), also for unknown paths (404 `no_route`) and
/// methods (405 `method_not_allowed`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    /// Stable machine code, to match on: malformed, non_canonical, too_large, wrong_chain,
    /// invalid_payload, bad_signature, unknown_signer, device_kind_not_allowed, role_not_allowed,
    /// device_revoked, key_revoked, duplicate, already_committed, stale_sequence,
    /// sequence_taken, sequence_too_far, mempool_full, unavailable, unsupported_media_type,
    /// bad_request, bad_json, empty_batch, too_many_events, bad_id, bad_height, bad_format,
    /// bad_severity, bad_peer_id, not_found, no_route, method_not_allowed, rate_limited,
    /// internal.
    pub error: &'a str,
    /// What went wrong, naming the field or value (for people; do not match on it).
    pub message: &'a str,
    /// The event id concerned, when the request carried a decodable event.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<tradeledger_types::Hash32>)]
    pub id: Option<&'a str>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            id: None,
        }
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 for a storage or execution failure (details are logged, not leaked).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "API request failed inside the node");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the node could not answer; see its logs",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: &self.message,
            id: self.id.as_deref(),
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(e: crate::storage::StorageError) -> Self {
        ApiError::internal(e)
    }
}

/// Parses a 64-hex-character id from a path.
pub fn parse_hash(what: &'static str, s: &str) -> Result<tradeledger_types::Hash32, ApiError> {
    tradeledger_types::Hash32::from_hex(s)
        .map_err(|e| ApiError::bad_request("bad_id", format!("{what}: {e}")))
}

/// Turns an extractor's rejection (bad query string, JSON body, oversized body) into the API's
/// JSON error.
pub fn rejected(r: impl IntoResponse + std::fmt::Display) -> ApiError {
    let text = r.to_string();
    match r.into_response().status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", text)
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            text,
        ),
        // A JSON body of the wrong shape: 400 like every other malformed body of this API.
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::bad_request("bad_json", text),
        status => ApiError::new(status, "bad_request", text),
    }
}

/// The value of an extractor, or its rejection as an [`ApiError`].
pub fn extracted<T, R: IntoResponse + std::fmt::Display>(r: Result<T, R>) -> Result<T, ApiError> {
    r.map_err(rejected)
}

/// Fallback for a path no route serves: the API's JSON 404.
pub async fn no_route(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_route",
        format!("no endpoint at {}; see /openapi.json", uri.path()),
    )
}

/// Fallback for a method a route does not serve: the API's JSON 405.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{method} is not served at {}; see /openapi.json",
            uri.path()
        ),
    )
}
