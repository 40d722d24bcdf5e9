//! Admin endpoints for fault injection (served only with `admin_api = true`, on the API
//! address): cut and restore links to given peers.

use super::error::ErrorBody;
use super::{ApiError, State};
use crate::network::{Command, PeerSnapshot};
use axum::Json;
use axum::extract::State as AxState;
use axum::extract::rejection::JsonRejection;
use libp2p::PeerId;
use serde::Deserialize;

/// Body of the filter endpoints.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeerList {
    /// libp2p peer ids (base58).
    pub peers: Vec<String>,
}

fn parse(list: &PeerList) -> Result<Vec<PeerId>, ApiError> {
    list.peers
        .iter()
        .map(|p| {
            p.parse::<PeerId>()
                .map_err(|e| ApiError::bad_request("bad_peer_id", format!("peers: {p:?}: {e}")))
        })
        .collect()
}

async fn filter(
    st: &State,
    list: &PeerList,
    blocked: bool,
) -> Result<Json<PeerSnapshot>, ApiError> {
    let peers = parse(list)?;
    st.net
        .command(Command::Filter { peers, blocked })
        .await
        .map_err(ApiError::internal)?;
    st.net.peers().await.map(Json).map_err(ApiError::internal)
}

/// `POST /admin/peers/block` `{"peers": [...]}`: cut links to these peers (both ways).
#[utoipa::path(
    post,
    path = "/admin/peers/block",
    operation_id = "adminBlock",
    tag = "admin",
    request_body = PeerList,
    responses(
        (status = 200, description = "The peers after the change.", body = PeerSnapshot),
        (status = 400, description = "Bad body (`bad_json`, `bad_request`) or peer id (`bad_peer_id`).", body = ErrorBody),
        (status = 404, description = "The node serves no admin API (`no_route`).", body = ErrorBody),
        (status = 413, description = "Body too large (`too_large`).", body = ErrorBody),
        (status = 415, description = "Not JSON (`unsupported_media_type`).", body = ErrorBody),
    )
)]
pub async fn block(
    AxState(st): AxState<State>,
    list: Result<Json<PeerList>, JsonRejection>,
) -> Result<Json<PeerSnapshot>, ApiError> {
    let Json(list) = super::error::extracted(list)?;
    filter(&st, &list, true).await
}

/// `POST /admin/peers/unblock` `{"peers": [...]}`: restore links.
#[utoipa::path(
    post,
    path = "/admin/peers/unblock",
    operation_id = "adminUnblock",
    tag = "admin",
    request_body = PeerList,
    responses(
        (status = 200, description = "The peers after the change.", body = PeerSnapshot),
        (status = 400, description = "Bad body (`bad_json`, `bad_request`) or peer id (`bad_peer_id`).", body = ErrorBody),
        (status = 404, description = "The node serves no admin API (`no_route`).", body = ErrorBody),
        (status = 413, description = "Body too large (`too_large`).", body = ErrorBody),
        (status = 415, description = "Not JSON (`unsupported_media_type`).", body = ErrorBody),
    )
)]
pub async fn unblock(
    AxState(st): AxState<State>,
    list: Result<Json<PeerList>, JsonRejection>,
) -> Result<Json<PeerSnapshot>, ApiError> {
    let Json(list) = super::error::extracted(list)?;
    filter(&st, &list, false).await
}

/// `GET /admin/peers`: connected and blocked peers.
#[utoipa::path(
    get,
    path = "/admin/peers",
    operation_id = "adminPeers",
    tag = "admin",
    responses(
        (status = 200, description = "Connected and blocked peers.", body = PeerSnapshot),
        (status = 404, description = "The node serves no admin API (`no_route`).", body = ErrorBody),
    )
)]
pub async fn peers(AxState(st): AxState<State>) -> Result<Json<PeerSnapshot>, ApiError> {
    st.net.peers().await.map(Json).map_err(ApiError::internal)
}
