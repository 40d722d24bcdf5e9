//! `GET /v1/blocks/{height}`, `GET /v1/blocks/latest`, `GET /v1/blocks?from=H&limit=N`.
//!
//! JSON by default; `?format=cbor` or `Accept: application/cbor` gives canonical CBOR of
//! `CertifiedBlock { block, qc }` (a list of them for pages), which an auditor verifies against
//! the genesis alone.

use super::{ApiError, State};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tradeledger_consensus::CertifiedBlock;
use tradeledger_types::codec;

/// Most blocks in one page.
pub const PAGE_BLOCKS_MAX: u64 = 100;
/// Most block bytes in one page (more blocks than fit are left for the next page). With a
/// block at most [`tradeledger_types::codec::BLOCK_BYTES_MAX`], a page always fits in
/// [`tradeledger_types::codec::MESSAGE_BYTES_MAX`].
pub const PAGE_BYTES_MAX: usize = 8 * 1024 * 1024;

/// Query of the block endpoints.
#[derive(Debug, Deserialize)]
pub struct BlockQuery {
    /// `cbor` for canonical bytes.
    pub format: Option<String>,
    /// First height of a page (default 1).
    pub from: Option<u64>,
    /// Blocks in a page (default and max 100).
    pub limit: Option<u64>,
}

fn wants_cbor(q: &BlockQuery, headers: &HeaderMap) -> Result<bool, ApiError> {
    match q.format.as_deref() {
        Some("cbor") => return Ok(true),
        Some("json") => return Ok(false),
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_format",
                format!("format {other:?}: use json or cbor"),
            ));
        }
        None => {}
    }
    Ok(headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/cbor")))
}

fn block_json(cb: &CertifiedBlock) -> Value {
    json!({
        "height": cb.block.header.height,
        "hash": cb.block.hash(),
        "block": cb.block,
        "certificate": cb.qc,
    })
}

fn cbor(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/cbor")], bytes).into_response()
}

async fn load(st: &State, from: u64, limit: u64) -> Result<Vec<CertifiedBlock>, ApiError> {
    Ok(st
        .store
        .blocking(move |s| s.block_page(from, limit, PAGE_BYTES_MAX))
        .await?)
}

async fn one(
    st: &State,
    height: u64,
    q: &BlockQuery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let cbor_wanted = wants_cbor(q, headers)?;
    let Some(cb) = load(st, height, 1)
        .await?
        .into_iter()
        .next()
        .filter(|cb| cb.block.header.height == height)
    else {
        return Err(ApiError::not_found(format!(
            "no committed block at height {height}"
        )));
    };
    Ok(if cbor_wanted {
        cbor(codec::to_canonical(&cb))
    } else {
        Json(block_json(&cb)).into_response()
    })
}

/// `GET /v1/blocks/{height}`.
pub async fn by_height(
    AxState(st): AxState<State>,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<BlockQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path(height) = super::error::extracted(path)?;
    let Query(q) = super::error::extracted(q)?;
    let height: u64 = height.parse().map_err(|_| {
        ApiError::bad_request("bad_height", format!("height {height:?} is not a number"))
    })?;
    one(&st, height, &q, &headers).await
}

/// `GET /v1/blocks/latest`.
pub async fn latest(
    AxState(st): AxState<State>,
    q: Result<Query<BlockQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(q) = super::error::extracted(q)?;
    let height = st.store.blocking(|s| s.committed_height()).await?;
    if height == 0 {
        return Err(ApiError::not_found("no block committed yet"));
    }
    one(&st, height, &q, &headers).await
}

/// `GET /v1/blocks?from=H&limit=N`: a page of committed blocks with their certificates.
pub async fn list(
    AxState(st): AxState<State>,
    q: Result<Query<BlockQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(q) = super::error::extracted(q)?;
    let cbor_wanted = wants_cbor(&q, &headers)?;
    let from = q.from.unwrap_or(1).max(1);
    let limit = q.limit.unwrap_or(PAGE_BLOCKS_MAX).clamp(1, PAGE_BLOCKS_MAX);
    let blocks = load(&st, from, limit).await?;
    if cbor_wanted {
        return Ok(cbor(codec::to_canonical(&blocks)));
    }
    let next = blocks.last().map(|b| b.block.header.height + 1);
    let height = st.store.blocking(|s| s.committed_height()).await?;
    Ok(Json(json!({
        "from": from,
        "blocks": blocks.iter().map(block_json).collect::<Vec<_>>(),
        "next": next.filter(|n| *n <= height),
        "committed_height": height,
    }))
    .into_response())
}
