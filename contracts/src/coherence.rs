//! The opening checks that need state: an event that contradicts the ledger it is written to
//! (its signing device's registration, the shipment's declaration, the block's time) is refused
//! as `invalid_payload` naming the field, like a format error. Format and self-consistency checks
//! that need no state are the payload's own (`Payload::validate` in tradeledger-types); these
//! run right after them, once per event, before the role and the contract.
//!
//! Found by an analyst's review (issue 22): a sensor report naming another device than the one
//! its key was registered as; a reading dated weeks ahead, after which the cold-chain rule
//! ignored every later reading; a custody event with coordinates but no UN/LOCODE, which the
//! route rule could not place.

use crate::context::{BlockContext, Step, reject};
use crate::keys;
use crate::outcome::RejectCode;
use crate::records::{DeviceInfo, ShipmentRecord};
use crate::state::StateView;
use crate::store::Store;
use tradeledger_types::{
    CertificateOfOrigin, CustodyEvent, FieldError, InspectionResult, Payload, Reading,
    SensorReport, TimeMs,
};

/// How far after the block time a reading (sensor report, treatment record), an inspection or
/// a signature may be dated: clocks drift, but not by more than the timing-anomaly allowance.
pub const READING_DRIFT_MS_MAX: u64 = crate::risk::FUTURE_EVENT_MS_MAX;
/// How far after the block time a custody event may be dated before it is refused. Between
/// [`READING_DRIFT_MS_MAX`] and this it is applied with a `risk.timing_anomaly` flag.
pub const CUSTODY_AHEAD_MS_MAX: u64 = 24 * 3_600_000;
/// How long before the planned departure a shipment's readings and custody events may start
/// (pre-cooling, loading, a cold treatment before shipping): 30 days.
pub const SHIPMENT_LEAD_MS: u64 = 30 * 24 * 3_600_000;
/// How long after the planned arrival a shipment's readings and custody events may still be
/// dated (late arrival, storage under bond): 60 days.
pub const SHIPMENT_TAIL_MS: u64 = 60 * 24 * 3_600_000;

fn invalid(field: String, problem: String) -> Step {
    reject(
        RejectCode::InvalidPayload,
        FieldError::new(field, problem).to_string(),
    )
}

/// Runs the stateful opening checks of `payload`, signed by `device` (a registered device) or
/// by an organisation key (`None`), in `block`.
pub(crate) fn check<S: Store>(
    view: &StateView<'_, S>,
    block: &BlockContext,
    device: Option<&DeviceInfo>,
    payload: &Payload,
) -> Step {
    Checker { view, block }.payload(device, payload, "")
}

struct Checker<'a, 'b, S: Store> {
    view: &'a StateView<'b, S>,
    block: &'a BlockContext,
}

impl<S: Store> Checker<'_, '_, S> {
    fn payload(&self, device: Option<&DeviceInfo>, payload: &Payload, at: &str) -> Step {
        match payload {
            Payload::SensorReport(s) => self.sensor(device, s, at),
            Payload::Custody(e) => self.custody(e, at),
            Payload::Inspection(i) => self.inspection(i, at),
            Payload::CertificateOfOrigin(c) => self.certificate(c, at),
            Payload::Correction(c) => match c.replacement.as_deref() {
                Some(p) => self.payload(device, p, &format!("{at}replacement.")),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The shipment an event names, when it exists (a missing one is `unknown_shipment`, left to
    /// the contract).
    fn shipment(&self, id: &str) -> Step<Option<ShipmentRecord>> {
        Ok(self.view.get(&keys::shipment(id))?)
    }

    /// Not after the block time plus `drift_ms`.
    fn not_ahead(&self, field: String, t: TimeMs, drift_ms: u64) -> Step {
        let limit = self.block.block_time_ms.saturating_add(drift_ms);
        if t > limit {
            return invalid(
                field,
                format!(
                    "{t} is {} ms after the block time {} (at most {drift_ms} ms allowed)",
                    t - self.block.block_time_ms,
                    self.block.block_time_ms
                ),
            );
        }
        Ok(())
    }

    /// Within the shipment's life: from [`SHIPMENT_LEAD_MS`] before its planned departure to
    /// [`SHIPMENT_TAIL_MS`] after its planned arrival.
    fn within_life(&self, field: String, t: TimeMs, rec: &ShipmentRecord) -> Step {
        let d = &rec.declaration;
        let from = d.departure_ms.saturating_sub(SHIPMENT_LEAD_MS);
        let until = d.arrival_ms.saturating_add(SHIPMENT_TAIL_MS);
        if t < from || t > until {
            return invalid(
                field,
                format!(
                    "{t} is outside the life of shipment {} ({from} to {until}: 30 days before its departure to 60 days after its arrival)",
                    d.shipment_id
                ),
            );
        }
        Ok(())
    }

    fn readings(&self, field: &str, readings: &[Reading], rec: Option<&ShipmentRecord>) -> Step {
        for (i, r) in readings.iter().enumerate() {
            let f = || format!("{field}[{i}].time_ms");
            self.not_ahead(f(), r.time_ms, READING_DRIFT_MS_MAX)?;
            if let Some(rec) = rec {
                self.within_life(f(), r.time_ms, rec)?;
            }
        }
        Ok(())
    }

    /// A device signs only under its registered identity; readings are not dated ahead of the
    /// block, nor outside the shipment's life.
    fn sensor(&self, device: Option<&DeviceInfo>, s: &SensorReport, at: &str) -> Step {
        if let Some(d) = device
            && d.device_id != s.device_id
        {
            return invalid(
                format!("{at}device_id"),
                format!(
                    "is {:?} but the signing key is registered as device {:?}",
                    s.device_id, d.device_id
                ),
            );
        }
        let rec = self.shipment(&s.shipment_id)?;
        self.readings(&format!("{at}readings"), &s.readings, rec.as_ref())
    }

    /// A custody event is located by a UN/LOCODE (the route rule places it by its country), and
    /// dated within the shipment's life and not a day ahead of the block.
    fn custody(&self, e: &CustodyEvent, at: &str) -> Step {
        let has_locode = [&e.read_point, &e.biz_location]
            .into_iter()
            .flatten()
            .any(|l| l.locode.is_some());
        if !has_locode {
            let field = match (&e.read_point, &e.biz_location) {
                (Some(_), _) => "read_point.locode",
                (None, Some(_)) => "biz_location.locode",
                (None, None) => "read_point",
            };
            return invalid(
                format!("{at}{field}"),
                "a custody event needs a UN/LOCODE (read point or business location): the route rule places events by the locode's country, and coordinates or a site id alone are not mapped to a country".into(),
            );
        }
        let f = || format!("{at}event_time_ms");
        self.not_ahead(f(), e.event_time_ms, CUSTODY_AHEAD_MS_MAX)?;
        if let Some(rec) = self.shipment(&e.shipment_id)? {
            self.within_life(f(), e.event_time_ms, &rec)?;
        }
        Ok(())
    }

    /// An inspection and its treatment record are not dated ahead of the block; a treatment
    /// does not start before the shipment's life.
    fn inspection(&self, i: &InspectionResult, at: &str) -> Step {
        self.not_ahead(
            format!("{at}inspected_ms"),
            i.inspected_ms,
            READING_DRIFT_MS_MAX,
        )?;
        let Some(t) = &i.treatment else {
            return Ok(());
        };
        self.not_ahead(
            format!("{at}treatment.end_ms"),
            t.end_ms,
            READING_DRIFT_MS_MAX,
        )?;
        let rec = self.shipment(&i.shipment_id)?;
        if let Some(rec) = &rec {
            self.within_life(format!("{at}treatment.start_ms"), t.start_ms, rec)?;
        }
        self.readings(
            &format!("{at}treatment.readings"),
            &t.readings,
            rec.as_ref(),
        )
    }

    /// A certificate is not signed ahead of the block, and certifies lines the declaration in
    /// force has.
    fn certificate(&self, c: &CertificateOfOrigin, at: &str) -> Step {
        self.not_ahead(format!("{at}signed_ms"), c.signed_ms, READING_DRIFT_MS_MAX)?;
        let Some(rec) = self.shipment(&c.shipment_id)? else {
            return Ok(());
        };
        for (i, g) in c.goods.iter().enumerate() {
            if rec.declaration.goods.iter().all(|l| l.line != g.line) {
                return invalid(
                    format!("{at}goods[{i}].line"),
                    format!(
                        "line {} is not in the declaration of shipment {}",
                        g.line, c.shipment_id
                    ),
                );
            }
        }
        Ok(())
    }
}
