//! `GET /v1/stream`: server-sent events of committed events and new flags.
//!
//! Query: `shipment=ID` keeps items of one shipment; `severity=info|warning|critical` keeps only
//! flags at or above that severity. A subscriber that falls behind gets a `lagged` event with
//! the number of items it missed.

use super::error::ErrorBody;
use super::{ApiError, State};
use crate::feed::FeedItem;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State as AxState};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use tradeledger_types::Severity;

/// Stream filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Only items of this shipment.
    pub shipment: Option<String>,
    /// Only flags at or above this severity (no `event` items then).
    #[param(value_type = Option<Severity>)]
    pub severity: Option<String>,
}

fn parse_severity(s: &str) -> Result<Severity, ApiError> {
    match s {
        "info" => Ok(Severity::Info),
        "warning" => Ok(Severity::Warning),
        "critical" => Ok(Severity::Critical),
        other => Err(ApiError::bad_request(
            "bad_severity",
            format!("severity {other:?}: use info, warning or critical"),
        )),
    }
}

fn keep(item: &FeedItem, shipment: Option<&str>, severity: Option<Severity>) -> bool {
    if let Some(s) = shipment
        && item.shipment_id() != Some(s)
    {
        return false;
    }
    match severity {
        None => true,
        Some(min) => item.severity().is_some_and(|sev| sev >= min),
    }
}

/// `GET /v1/stream`.
#[utoipa::path(
    get,
    path = "/v1/stream",
    operation_id = "stream",
    tag = "events",
    params(StreamQuery),
    responses(
        (status = 200, description = "Server-sent events, one per committed event (SSE event \
            `event`) and per flag raised (SSE event `flag`); each `data:` line is a `FeedItem` \
            as JSON. A subscriber that falls behind gets an SSE event `lagged` whose data is \
            `{\"missed\": N}`, the number of items it lost. The stream ends when the node stops.",
            body = FeedItem, content_type = "text/event-stream"),
        (status = 400, description = "Bad severity (`bad_severity`) or query (`bad_request`).", body = ErrorBody),
    )
)]
pub async fn stream(
    AxState(st): AxState<State>,
    q: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(q) = super::error::extracted(q)?;
    let severity = q.severity.as_deref().map(parse_severity).transpose()?;
    let shipment = q.shipment;
    let rx = st.feed.subscribe();
    let stopping = st.stopping.clone();
    let s = futures::stream::unfold(
        (rx, shipment, severity, stopping),
        |(mut rx, shipment, severity, mut stopping)| async move {
            loop {
                if *stopping.borrow() {
                    return None;
                }
                let received = tokio::select! {
                    r = rx.recv() => r,
                    _ = stopping.changed() => return None,
                };
                match received {
                    Ok(item) => {
                        if !keep(&item, shipment.as_deref(), severity) {
                            continue;
                        }
                        let data = serde_json::to_string(&item).unwrap_or_else(|_| "{}".into());
                        let ev = Event::default().event(item.name()).data(data);
                        return Some((Ok(ev), (rx, shipment, severity, stopping)));
                    }
                    Err(RecvError::Lagged(n)) => {
                        let ev = Event::default()
                            .event("lagged")
                            .data(format!("{{\"missed\":{n}}}"));
                        return Some((Ok(ev), (rx, shipment, severity, stopping)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(s).keep_alive(KeepAlive::default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradeledger_contracts::Flag;
    use tradeledger_types::Hash32;

    fn flag(shipment: &str, severity: Severity) -> FeedItem {
        FeedItem::Flag {
            height: 1,
            event_id: Hash32::ZERO,
            shipment_id: shipment.into(),
            flag: Flag {
                rule_id: "risk.seal_break".into(),
                severity,
                evidence: Vec::new(),
                rule_set_version: 1,
                height: 1,
                detail: String::new(),
            },
        }
    }

    #[test]
    fn filters_by_shipment_and_minimum_severity() {
        let event = FeedItem::Event {
            event_id: Hash32::ZERO,
            height: 1,
            block_hash: Hash32::ZERO,
            kind: "custody",
            shipment_id: Some("A".into()),
            status: "applied",
            reject_code: None,
        };
        assert!(keep(&event, None, None));
        assert!(keep(&event, Some("A"), None));
        assert!(!keep(&event, Some("B"), None));
        assert!(
            !keep(&event, None, Some(Severity::Info)),
            "severity filter keeps flags only"
        );
        assert!(keep(
            &flag("A", Severity::Critical),
            Some("A"),
            Some(Severity::Warning)
        ));
        assert!(!keep(
            &flag("A", Severity::Info),
            Some("A"),
            Some(Severity::Warning)
        ));
        assert_eq!(
            parse_severity("loud").map_err(|e| e.code).err(),
            Some("bad_severity")
        );
    }
}
