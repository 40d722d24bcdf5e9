//! `GET /v1/shipments/{id}`: the shipment as the contracts hold it (declaration, flags, lane,
//! origin verdict), a page of its timeline, every verdict and lane change with the event and
//! height that produced it.
//!
//! The work per request is bounded whatever the shipment holds: the timeline comes a page at a
//! time (`timeline_from`, `timeline_limit`; `timeline_next` names the next page), and the
//! history is read from its own index, so a shipment with hundreds of thousands of reefer
//! readings answers as fast as one with ten.

use super::error::ErrorBody;
use super::{ApiError, State};
use crate::execution::OverlayState;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State as AxState};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use tradeledger_contracts::{Derived, LaneChange, ShipmentRecord, TimelineEntry};
use tradeledger_types::{EventId, Hash32};

/// Most timeline entries in one answer.
pub const TIMELINE_PAGE_MAX: u32 = 1_000;
/// Timeline entries in an answer when the request does not say.
pub const TIMELINE_PAGE_DEFAULT: u32 = 200;
/// Most history events (those that produced a flag, verdict or lane change) read per answer.
pub const HISTORY_EVENTS_MAX: usize = 2_000;

/// Query of `GET /v1/shipments/{id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShipmentQuery {
    /// First timeline entry of the page (0, the default, is the declaration).
    #[param(minimum = 0, maximum = 4_294_967_295_u64)]
    pub timeline_from: Option<u32>,
    /// Timeline entries in the page (default 200, at most 1000: more is read as 1000; 0 is read
    /// as 1).
    #[param(minimum = 0, maximum = 4_294_967_295_u64)]
    pub timeline_limit: Option<u32>,
}

/// `GET /v1/shipments/{id}`.
#[utoipa::path(
    get,
    path = "/v1/shipments/{id}",
    operation_id = "getShipment",
    tag = "shipments",
    params(
        ("id" = String, Path, min_length = 1, max_length = 64, description = "The shipment id, as declared (1 to 64 characters)."),
        ShipmentQuery,
    ),
    responses(
        (status = 200, description = "The shipment: its record, a page of its timeline, its verdicts, lane and flag history.", body = ShipmentAnswer),
        (status = 400, description = "Bad id (`bad_id`) or query (`bad_request`).", body = ErrorBody),
        (status = 404, description = "No shipment with that id is declared (`not_found`).", body = ErrorBody),
    )
)]
pub async fn get_shipment(
    AxState(st): AxState<State>,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<ShipmentQuery>, QueryRejection>,
) -> Result<Json<ShipmentAnswer>, ApiError> {
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
            let mut answer = ShipmentAnswer {
                shipment_id: sid,
                record,
                timeline,
                timeline_from: from,
                timeline_next,
                verdicts: Vec::new(),
                lane_history: Vec::new(),
                flag_history: Vec::new(),
            };
            for eid in s.shipment_history_events(&answer.shipment_id, HISTORY_EVENTS_MAX)? {
                let Some((_, rec)) = s.event(&eid)? else {
                    continue;
                };
                let sid = answer.shipment_id.as_str();
                for r in rec.outcome.records {
                    let entry = |record| HistoryEntry {
                        height: rec.height,
                        event_id: eid,
                        record,
                    };
                    match r {
                        Derived::Lane(c) if c.shipment_id == sid => {
                            answer.lane_history.push(LaneEntry {
                                height: rec.height,
                                event_id: eid,
                                change: c,
                            })
                        }
                        Derived::Origin(ref v) if v.shipment_id == sid => {
                            answer.verdicts.push(entry(r))
                        }
                        Derived::Ipr(ref v) if v.shipment_id == sid => {
                            answer.verdicts.push(entry(r))
                        }
                        Derived::Treatment(ref v) if v.shipment_id == sid => {
                            answer.verdicts.push(entry(r))
                        }
                        Derived::Flag {
                            ref shipment_id, ..
                        } if shipment_id == sid => answer.flag_history.push(entry(r)),
                        _ => {}
                    }
                }
            }
            Ok(Some(answer))
        })
        .await?;
    answer
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("shipment {id:?} is not declared")))
}

/// The answer of `GET /v1/shipments/{id}`, serialised straight to JSON: building a
/// `serde_json::Value` first (a map per timeline entry) was about a third of the request's CPU.
#[derive(Debug)]
pub struct ShipmentAnswer {
    shipment_id: String,
    record: ShipmentRecord,
    timeline: Vec<TimelineEntry>,
    timeline_from: u32,
    timeline_next: Option<u32>,
    verdicts: Vec<HistoryEntry>,
    lane_history: Vec<LaneEntry>,
    flag_history: Vec<HistoryEntry>,
}

impl Serialize for ShipmentAnswer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Top-level keys in the order the earlier `Value` answer gave them (sorted). Nested
        // objects now keep their declaration order; JSON objects are unordered either way.
        let r = &self.record;
        let mut st = s.serialize_struct("ShipmentAnswer", 13)?;
        st.serialize_field("clearance", &r.clearance)?;
        st.serialize_field("flag_history", &self.flag_history)?;
        st.serialize_field("flags", &r.flags)?;
        st.serialize_field("lane", &r.lane)?;
        st.serialize_field("lane_history", &self.lane_history)?;
        st.serialize_field("lane_version", &r.lane_version)?;
        st.serialize_field("origin", &r.origin)?;
        st.serialize_field("record", r)?;
        st.serialize_field("shipment_id", &self.shipment_id)?;
        st.serialize_field("timeline", &self.timeline)?;
        st.serialize_field("timeline_from", &self.timeline_from)?;
        st.serialize_field("timeline_next", &self.timeline_next)?;
        st.serialize_field("verdicts", &self.verdicts)?;
        st.end()
    }
}

/// A verdict or flag of the shipment's history, with the event and height that produced it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// The event that produced the record.
    #[schema(value_type = Hash32)]
    event_id: EventId,
    /// Height of the block that applied that event.
    height: u64,
    /// The record: an `origin`, `ipr` or `treatment` verdict in `verdicts`, a `flag` in
    /// `flag_history`.
    record: Derived,
}

/// A lane change of the shipment's history, with the event and height that produced it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LaneEntry {
    /// The change.
    change: LaneChange,
    /// The event that produced it.
    #[schema(value_type = Hash32)]
    event_id: EventId,
    /// Height of the block that applied that event.
    height: u64,
}
