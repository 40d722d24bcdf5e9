//! Maps parsed messages to signed events.

use super::{Message, MessageError, ReadingMessage, RfidMessage};
use crate::builders::{Build, BuildError, CustodyBuilder};
use crate::recorder::{Emitted, RecordError, Recorder, RecorderConfig};
use crate::signer::Signer;
use tradeledger_types::{Location, SignedEvent};

/// Turns messages into signed events with one device key: readings are batched by a
/// [`Recorder`] (per shipment and device), RFID reads become custody events at once.
#[derive(Debug)]
pub struct Mapper {
    recorder: Recorder,
}

fn record_error(e: RecordError) -> MessageError {
    match e {
        RecordError::Invalid(f) => MessageError::new(f.field, f.problem),
        RecordError::OutOfOrder { .. } => MessageError::new("time", e.to_string()),
        RecordError::TooManyUnits { .. } => MessageError::new("unit", e.to_string()),
        RecordError::Sign(s) => MessageError::new("message", s.to_string()),
    }
}

fn build_error(e: BuildError) -> MessageError {
    let field = match e.field() {
        Some("shipment_id") => "shipment",
        Some("epcs[0]") => "epc_hex",
        Some(f) if f.starts_with("read_point") || f.starts_with("biz_location") => "read_point",
        Some(f) => f,
        None => "message",
    }
    .to_owned();
    MessageError::new(field, e.to_string())
}

impl Mapper {
    /// A mapper signing with `signer`; readings are batched as `config` says.
    pub fn new(signer: Signer, config: RecorderConfig) -> Result<Self, MessageError> {
        // The recorder's own shipment is a placeholder: every reading names its shipment.
        let recorder = Recorder::new(signer, "bridge", config).map_err(record_error)?;
        Ok(Mapper { recorder })
    }

    /// The signer (persist its next sequence number after the events are spooled).
    pub fn signer(&self) -> &Signer {
        self.recorder.signer()
    }

    /// Readings waiting in open batches.
    pub fn pending_readings(&self) -> usize {
        self.recorder.pending()
    }

    /// The events this message completes: none (a reading joined a batch), a sensor report,
    /// or a custody event. An error names the field and changes nothing.
    pub fn handle(&mut self, message: &Message) -> Result<Vec<SignedEvent>, MessageError> {
        match message {
            Message::Reading(r) => self.reading(r),
            Message::Rfid(r) => self.rfid(r).map(|e| vec![e]),
        }
    }

    fn reading(&mut self, r: &ReadingMessage) -> Result<Vec<SignedEvent>, MessageError> {
        let emitted = self
            .recorder
            .record_for(
                &r.shipment,
                &r.device,
                r.kind,
                r.value_milli,
                &r.unit,
                r.time_ms,
            )
            .map_err(|e| match e {
                RecordError::Invalid(f) if f.field == "shipment_id" => {
                    MessageError::new("shipment", f.problem)
                }
                RecordError::Invalid(f) if f.field == "device_id" => {
                    MessageError::new("device", f.problem)
                }
                other => record_error(other),
            })?;
        Ok(emitted.into_iter().map(|e| e.event).collect())
    }

    fn rfid(&mut self, r: &RfidMessage) -> Result<SignedEvent, MessageError> {
        let mut b = CustodyBuilder::new(r.shipment.clone(), r.biz_step.clone(), r.time_ms)
            .time_zone_offset_min(r.time_zone_offset_min)
            .epc(r.epc.pure_uri());
        if let Some(rp) = &r.read_point {
            b = if rp.starts_with("urn:") {
                b.read_point_site(rp)
            } else {
                b.read_point(Location {
                    locode: Some(rp.clone()),
                    lat_micro_deg: None,
                    lon_micro_deg: None,
                    site: None,
                })
            };
        }
        if let Some(d) = &r.disposition {
            b = b.disposition(d.clone());
        }
        b.sign(self.recorder.signer_mut()).map_err(build_error)
    }

    /// Emits every open batch (at shutdown, or when the caller wants reports out now).
    pub fn flush(&mut self) -> Result<Vec<SignedEvent>, MessageError> {
        self.recorder
            .flush_all()
            .map(|v| v.into_iter().map(|e: Emitted| e.event).collect())
            .map_err(record_error)
    }
}
