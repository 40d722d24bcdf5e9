//! `GET /v1/shipments/{id}`: the shipment as the contracts hold it (declaration, flags, lane,
//! origin verdict), a page of its timeline, every verdict and lane change with the event and
//! height that produced it.
//!
//! The work per request is bounded whatever the shipment holds: the timeline comes a page at a
//! time (`timeline_from`, `timeline_limit`; `timeline_next` names the next page), and the
//! history is read from its own index, so a shipment with hundreds of thousands of reefer
//! readings answers as fast as one with ten.

use super::{ApiError, State};
use crate::execution::OverlayState;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State as AxState};
use serde::Deserialize;
use serde_json::{Value, json};
use tradeledger_contracts::Derived;

/// Most timeline entries in one answer.
pub const TIMELINE_PAGE_MAX: u32 = 1_000;
/// Timeline entries in an answer when the request does not say.
pub const TIMELINE_PAGE_DEFAULT: u32 = 200;
/// Most history events (those that produced a flag, verdict or lane change) read per answer.
pub const HISTORY_EVENTS_MAX: usize = 2_000;

/// Query of `GET /v1/shipments/{id}`.
#[derive(Debug, Deserialize)]
pub struct ShipmentQuery {
    /// First timeline entry of the page (0, the default, is the declaration).
    pub timeline_from: Option<u32>,
    /// Timeline entries in the page (default 200, at most 1000; 0 is read as 1).
    pub timeline_limit: Option<u32>,
}

/// `GET /v1/shipments/{id}`.
pub async fn get_shipment(
    AxState(st): AxState<State>,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<ShipmentQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = super::error::extracted(path)?;
    let Query(q) = super::error::extracted(q)?;
    if id.is_empty() || id.len() > 64 {
        return Err(ApiError::bad_request(
            "bad_id",
            "shipment id must be 1 to 64 characters",
        ));
    }
    let from = q.timeline_from.unwrap_or(0);
    let limit = q
        .timeline_limit
        .unwrap_or(TIMELINE_PAGE_DEFAULT)
        .clamp(1, TIMELINE_PAGE_MAX);
    let sid = id.clone();
    let answer = st
        .store
        .blocking(move |s| {
            let view = OverlayState::new(s, Vec::new());
            let exec = |e: tradeledger_contracts::ExecError| {
                crate::storage::StorageError::Task(e.to_string())
            };
            let Some(record) = tradeledger_contracts::shipment(&view, &sid).map_err(exec)? else {
                return Ok(None);
            };
            // One entry more than the page tells whether another page follows.
            let mut timeline =
                tradeledger_contracts::timeline(&view, &sid, from, limit as usize + 1)
                    .map_err(exec)?;
            let timeline_next = (timeline.len() > limit as usize).then(|| {
                timeline.truncate(limit as usize);
                from.saturating_add(limit)
            });
            let mut verdicts = Vec::new();
            let mut lane_history = Vec::new();
            let mut flag_history = Vec::new();
            for eid in s.shipment_history_events(&sid, HISTORY_EVENTS_MAX)? {
                let Some((_, rec)) = s.event(&eid)? else {
                    continue;
                };
                for r in &rec.outcome.records {
                    let entry =
                        |d: &Derived| json!({ "height": rec.height, "event_id": eid, "record": d });
                    match r {
                        Derived::Lane(c) if c.shipment_id == sid => lane_history
                            .push(json!({ "height": rec.height, "event_id": eid, "change": c })),
                        Derived::Origin(v) if v.shipment_id == sid => verdicts.push(entry(r)),
                        Derived::Ipr(v) if v.shipment_id == sid => verdicts.push(entry(r)),
                        Derived::Treatment(v) if v.shipment_id == sid => verdicts.push(entry(r)),
                        Derived::Flag { shipment_id, .. } if *shipment_id == sid => {
                            flag_history.push(entry(r))
                        }
                        _ => {}
                    }
                }
            }
            Ok(Some(json!({
                "shipment_id": sid,
                "lane": record.lane,
                "lane_version": record.lane_version,
                "flags": record.flags,
                "origin": record.origin,
                "clearance": record.clearance,
                "record": record,
                "timeline": timeline,
                "timeline_from": from,
                "timeline_next": timeline_next,
                "verdicts": verdicts,
                "lane_history": lane_history,
                "flag_history": flag_history,
            })))
        })
        .await?;
    answer
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("shipment {id:?} is not declared")))
}
