//! `GET /v1/shipments/{id}`: the shipment as the contracts hold it (declaration, flags, lane,
//! origin verdict), its timeline, every verdict and lane change with the event and height that
//! produced it.

use super::{ApiError, State};
use crate::execution::OverlayState;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State as AxState};
use serde_json::{Value, json};
use tradeledger_contracts::Derived;

/// Most timeline entries and indexed events returned.
pub const SHIPMENT_EVENTS_MAX: usize = 2_000;

/// `GET /v1/shipments/{id}`.
pub async fn get_shipment(
    AxState(st): AxState<State>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = super::error::extracted(path)?;
    if id.is_empty() || id.len() > 64 {
        return Err(ApiError::bad_request(
            "bad_id",
            "shipment id must be 1 to 64 characters",
        ));
    }
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
            let timeline = tradeledger_contracts::timeline(&view, &sid, 0, SHIPMENT_EVENTS_MAX)
                .map_err(exec)?;
            let mut verdicts = Vec::new();
            let mut lane_history = Vec::new();
            let mut flag_history = Vec::new();
            for eid in s.shipment_events(&sid, SHIPMENT_EVENTS_MAX)? {
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
