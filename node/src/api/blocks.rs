//! `GET /v1/blocks/{height}`, `GET /v1/blocks/latest`, `GET /v1/blocks?from=H&limit=N`.
//!
//! JSON by default; `?format=cbor` or `Accept: application/cbor` gives canonical CBOR of
//! `CertifiedBlock { block, qc }` (a list of them for pages), which an auditor verifies against
//! the genesis alone.

use super::error::ErrorBody;
use super::openapi::CborBytes;
use super::{ApiError, State};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tradeledger_consensus::CertifiedBlock;
use tradeledger_types::{Block, Hash32, QuorumCertificate, codec};

/// Most blocks in one page.
pub const PAGE_BLOCKS_MAX: u64 = 100;
/// Most block bytes in one page (more blocks than fit are left for the next page). With a
/// block at most [`tradeledger_types::codec::BLOCK_BYTES_MAX`], a page always fits in
/// [`tradeledger_types::codec::MESSAGE_BYTES_MAX`].
pub const PAGE_BYTES_MAX: usize = 8 * 1024 * 1024;

/// Query of the block endpoints.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlockQuery {
    /// `cbor` for canonical CBOR (`application/cbor`); `json` (the default, unless `Accept`
    /// asks for `application/cbor`) for JSON.
    #[param(value_type = Option<Format>)]
    pub format: Option<String>,
    /// First height of a page (default 1; 0 is read as 1).
    #[param(minimum = 0)]
    pub from: Option<u64>,
    /// Blocks in a page (default and at most 100; 0 is read as 1).
    #[param(minimum = 0)]
    pub limit: Option<u64>,
}

/// The `format` query parameter: the answer's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// JSON.
    Json,
    /// Canonical CBOR (`application/cbor`), the bytes validators exchange and an auditor
    /// verifies.
    Cbor,
}

/// A committed block with the quorum certificate that certifies it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlockAnswer {
    /// The block's height.
    pub height: u64,
    /// The block hash (of its header).
    pub hash: Hash32,
    /// The block: header, justify QC, timeout certificate, events.
    pub block: Block,
    /// The quorum certificate on `hash`.
    pub certificate: QuorumCertificate,
}

/// A page of committed blocks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlockPage {
    /// The first height asked for.
    pub from: u64,
    /// The blocks from `from` on, in height order (at most 100, and at most 8 MiB of blocks).
    pub blocks: Vec<BlockAnswer>,
    /// `from` of the next page; null when this page ends at the committed height.
    #[schema(required = true)]
    pub next: Option<u64>,
    /// The node's committed height.
    pub committed_height: u64,
}

impl Format {
    /// Parses the query parameter; anything but `json` and `cbor` is a 400 `bad_format`.
    fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "cbor" => Ok(Format::Cbor),
            "json" => Ok(Format::Json),
            other => Err(ApiError::bad_request(
                "bad_format",
                format!("format {other:?}: use json or cbor"),
            )),
        }
    }
}

/// Whether the answer is to be canonical CBOR: `format` when given, else the `Accept` header.
pub(super) fn wants_cbor(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format.map(Format::parse).transpose()? {
        Some(f) => Ok(f == Format::Cbor),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/cbor"))),
    }
}

impl From<CertifiedBlock> for BlockAnswer {
    fn from(cb: CertifiedBlock) -> Self {
        BlockAnswer {
            height: cb.block.header.height,
            hash: cb.block.hash(),
            block: cb.block,
            certificate: cb.qc,
        }
    }
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
    let cbor_wanted = wants_cbor(q.format.as_deref(), headers)?;
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
        Json(BlockAnswer::from(cb)).into_response()
    })
}

/// `GET /v1/blocks/{height}`.
#[utoipa::path(
    get,
    path = "/v1/blocks/{height}",
    operation_id = "blockByHeight",
    tag = "blocks",
    params(
        ("height" = u64, Path, minimum = 1, description = "The block height (1 is the first block after genesis)."),
        ("format" = Option<Format>, Query, description = "`cbor` for canonical CBOR of `CertifiedBlock` (`application/cbor`); `json` (the default, unless `Accept` asks for `application/cbor`) for JSON."),
    ),
    responses(
        (status = 200, description = "The block: JSON, or canonical CBOR of `CertifiedBlock` = \
            [Block, QuorumCertificate] with `format=cbor` (or `Accept: application/cbor`).",
            content((BlockAnswer = "application/json"), (CborBytes = "application/cbor"))),
        (status = 400, description = "The height is not a number (`bad_height`) or the format unknown (`bad_format`).", body = ErrorBody),
        (status = 404, description = "No committed block at that height (`not_found`).", body = ErrorBody),
    )
)]
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
#[utoipa::path(
    get,
    path = "/v1/blocks/latest",
    operation_id = "latestBlock",
    tag = "blocks",
    params(("format" = Option<Format>, Query, description = "`cbor` for canonical CBOR of `CertifiedBlock` (`application/cbor`); `json` (the default, unless `Accept` asks for `application/cbor`) for JSON.")),
    responses(
        (status = 200, description = "The block: JSON, or canonical CBOR of `CertifiedBlock` = \
            [Block, QuorumCertificate] with `format=cbor` (or `Accept: application/cbor`).",
            content((BlockAnswer = "application/json"), (CborBytes = "application/cbor"))),
        (status = 400, description = "The format is unknown (`bad_format`).", body = ErrorBody),
        (status = 404, description = "No block committed yet (`not_found`).", body = ErrorBody),
    )
)]
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
#[utoipa::path(
    get,
    path = "/v1/blocks",
    operation_id = "listBlocks",
    tag = "blocks",
    params(BlockQuery),
    responses(
        (status = 200, description = "A page of blocks: JSON, or a canonical CBOR list of \
            `CertifiedBlock` with `format=cbor` (or `Accept: application/cbor`).",
            content((BlockPage = "application/json"), (CborBytes = "application/cbor"))),
        (status = 400, description = "Bad query (`bad_request`) or format (`bad_format`).", body = ErrorBody),
    )
)]
pub async fn list(
    AxState(st): AxState<State>,
    q: Result<Query<BlockQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(q) = super::error::extracted(q)?;
    let cbor_wanted = wants_cbor(q.format.as_deref(), &headers)?;
    let from = q.from.unwrap_or(1).max(1);
    let limit = q.limit.unwrap_or(PAGE_BLOCKS_MAX).clamp(1, PAGE_BLOCKS_MAX);
    let blocks = load(&st, from, limit).await?;
    if cbor_wanted {
        return Ok(cbor(codec::to_canonical(&blocks)));
    }
    let next = blocks.last().map(|b| b.block.header.height + 1);
    let height = st.store.blocking(|s| s.committed_height()).await?;
    Ok(Json(BlockPage {
        from,
        blocks: blocks.into_iter().map(BlockAnswer::from).collect(),
        next: next.filter(|n| *n <= height),
        committed_height: height,
    })
    .into_response())
}
