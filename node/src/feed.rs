//! The live feed of committed events and new flags, served as server-sent events.

use serde::Serialize;
use tradeledger_contracts::{Derived, EventOutcome, Flag, Status};
use tradeledger_types::{EventId, Hash32, Severity, SignedEvent};

/// Capacity of the feed; a subscriber that falls further behind is told it lost items.
pub const FEED_CAPACITY: usize = 8192;

/// One item of the feed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeedItem {
    /// An event was committed.
    Event {
        /// Event id.
        #[schema(value_type = Hash32)]
        event_id: EventId,
        /// Block height.
        height: u64,
        /// Block hash.
        block_hash: Hash32,
        /// Event kind (`custody`, ...).
        #[schema(value_type = tradeledger_types::EventKind)]
        kind: &'static str,
        /// The shipment it concerns, if any.
        #[schema(required = true)]
        shipment_id: Option<String>,
        /// `applied` or `rejected` (by the contracts).
        #[schema(value_type = crate::api::Applied)]
        status: &'static str,
        /// The contracts' rejection code, when rejected.
        #[schema(value_type = Option<tradeledger_contracts::RejectCode>, required = true)]
        reject_code: Option<&'static str>,
    },
    /// A flag was raised (or raised in severity) on a shipment.
    Flag {
        /// Block height.
        height: u64,
        /// The event that raised it.
        #[schema(value_type = Hash32)]
        event_id: EventId,
        /// The shipment.
        shipment_id: String,
        /// The flag.
        flag: Flag,
    },
}

impl FeedItem {
    /// The shipment the item concerns.
    pub fn shipment_id(&self) -> Option<&str> {
        match self {
            FeedItem::Event { shipment_id, .. } => shipment_id.as_deref(),
            FeedItem::Flag { shipment_id, .. } => Some(shipment_id),
        }
    }

    /// The severity of a flag item (events have none).
    pub fn severity(&self) -> Option<Severity> {
        match self {
            FeedItem::Flag { flag, .. } => Some(flag.severity),
            FeedItem::Event { .. } => None,
        }
    }

    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            FeedItem::Event { .. } => "event",
            FeedItem::Flag { .. } => "flag",
        }
    }
}

/// The feed items of one committed event.
pub fn items_of(
    height: u64,
    block_hash: Hash32,
    event: &SignedEvent,
    outcome: &EventOutcome,
) -> Vec<FeedItem> {
    let (status, reject_code) = match &outcome.status {
        Status::Applied => ("applied", None),
        Status::Rejected(r) => ("rejected", Some(r.code.as_str())),
    };
    let mut out = vec![FeedItem::Event {
        event_id: outcome.event_id,
        height,
        block_hash,
        kind: event.body.payload.kind().as_str(),
        shipment_id: event.body.payload.shipment_id().map(str::to_owned),
        status,
        reject_code,
    }];
    for r in &outcome.records {
        if let Derived::Flag { shipment_id, flag } = r {
            out.push(FeedItem::Flag {
                height,
                event_id: outcome.event_id,
                shipment_id: shipment_id.clone(),
                flag: flag.clone(),
            });
        }
    }
    out
}
