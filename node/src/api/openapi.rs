//! `GET /openapi.json`: the OpenAPI document, generated from the handlers (`#[utoipa::path]`)
//! and the types they read and answer with (`ToSchema`), so it cannot drift from them.

use super::error::ErrorBody;
use super::{admin, batch, blocks, events, shipments, status, stream};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

/// Canonical CBOR bytes (`application/cbor` bodies and answers).
#[derive(Debug)]
pub struct CborBytes;

impl PartialSchema for CborBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "Canonical CBOR (RFC 8949 deterministic encoding; structs as arrays of their \
                 fields in declaration order): the bytes that are hashed and signed.",
            ))
            .into()
    }
}

impl ToSchema for CborBytes {}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "tradeledger node API",
        version = "1.0.0",
        description = "HTTP API of a tradeledger validator. Hashes, keys and signatures are \
            lowercase hex in JSON. Errors are JSON `{\"error\": code, \"message\": text}` (plus \
            `\"id\"` when an event id is known), also for unknown paths (404 `no_route`) and \
            methods (405 `method_not_allowed`). Every client IP address (IPv6: its /64) has a \
            token bucket for event submissions and another for all other requests (node flags \
            `api_write_requests_per_s`, `api_write_burst`, `api_read_requests_per_s`, \
            `api_read_burst`); a request over it gets 429 `rate_limited` with `Retry-After`. \
            The `/admin/*` operations are served only by a node started with \
            `--admin-api true`. This document is generated from the node's code."
    ),
    paths(
        events::submit,
        batch::submit,
        events::get_event,
        events::proof,
        shipments::get_shipment,
        blocks::list,
        blocks::latest,
        blocks::by_height,
        status::status,
        stream::stream,
        status::metrics,
        document,
        admin::peers,
        admin::block,
        admin::unblock,
    ),
    // Schemas that only parameters name (answers and bodies bring theirs along).
    components(schemas(ErrorBody, blocks::Format, tradeledger_types::Hash32, tradeledger_types::Severity)),
    modifiers(&RateLimited),
    tags(
        (name = "events", description = "Submit signed events, follow them, prove them, stream them."),
        (name = "shipments", description = "Shipments as the contracts hold them."),
        (name = "blocks", description = "Committed blocks with their certificates."),
        (name = "node", description = "The node's status, metrics and this document."),
        (name = "admin", description = "Fault injection; served only with `--admin-api true`."),
    )
)]
pub struct ApiDoc;

/// Adds the rate limiter's 429 answer (with `Retry-After`) to every operation: the limiter
/// wraps every route.
struct RateLimited;

/// Name of the shared 429 answer in `components/responses`.
const RATE_LIMITED: &str = "RateLimited";

impl Modify for RateLimited {
    fn modify(&self, doc: &mut Document) {
        let retry_after = HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1)),
            )
            .description(Some(
                "Whole seconds until the next request is accepted (at least 1).",
            ))
            .build();
        let response = ResponseBuilder::new()
            .description(
                "This client address spent its request burst (per-client rate limit); retry \
                 after `Retry-After` seconds (`rate_limited`).",
            )
            .header("Retry-After", retry_after)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                    .build(),
            )
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .responses
            .insert(RATE_LIMITED.to_owned(), RefOr::T(response));
        for item in doc.paths.paths.values_mut() {
            let operations: [&mut Option<Operation>; 4] = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ];
            for op in operations.into_iter().flatten() {
                op.responses.responses.insert(
                    "429".to_owned(),
                    RefOr::Ref(Ref::from_response_name(RATE_LIMITED)),
                );
            }
        }
    }
}

/// The document as JSON, built once.
static DOCUMENT: LazyLock<Result<String, String>> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .map_err(|e| e.to_string())
});

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "node",
    responses(
        (status = 200, description = "This OpenAPI 3.1 document, generated from the node's code.", body = Object),
    )
)]
pub async fn document() -> Response {
    match &*DOCUMENT {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        Err(e) => super::ApiError::internal(e).into_response(),
    }
}

#[cfg(test)]
mod tests;
