//! Admin endpoints for fault injection (served only with `admin_api = true`, on the API
//! address): cut and restore links to given peers.

use super::{ApiError, State};
use crate::network::{Command, PeerSnapshot};
use axum::Json;
use axum::extract::State as AxState;
use axum::extract::rejection::JsonRejection;
use libp2p::PeerId;
use serde::Deserialize;

/// Body of the filter endpoints.
#[derive(Debug, Deserialize)]
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
pub async fn block(
    AxState(st): AxState<State>,
    list: Result<Json<PeerList>, JsonRejection>,
) -> Result<Json<PeerSnapshot>, ApiError> {
    let Json(list) = super::error::extracted(list)?;
    filter(&st, &list, true).await
}

/// `POST /admin/peers/unblock` `{"peers": [...]}`: restore links.
pub async fn unblock(
    AxState(st): AxState<State>,
    list: Result<Json<PeerList>, JsonRejection>,
) -> Result<Json<PeerSnapshot>, ApiError> {
    let Json(list) = super::error::extracted(list)?;
    filter(&st, &list, false).await
}

/// `GET /admin/peers`: connected and blocked peers.
pub async fn peers(AxState(st): AxState<State>) -> Result<Json<PeerSnapshot>, ApiError> {
    st.net.peers().await.map(Json).map_err(ApiError::internal)
}
