use super::{Build, BuildError};
use crate::recorder::{CARRY_WHOLE_MAX, SAMPLE_LEN, Series};
use tradeledger_types::{FieldError, Payload, Reading, SensorKind, TimeMs};

/// Builds a [`SensorReport`](tradeledger_types::SensorReport) from a short series: stats, and
/// sampling with a Merkle root when the series is long, are computed for you. For continuous
/// streams use the [`Recorder`](crate::recorder::Recorder).
#[derive(Debug, Clone)]
pub struct SensorReportBuilder {
    shipment_id: String,
    device_id: String,
    readings: Vec<Reading>,
}

impl SensorReportBuilder {
    /// A report by `device_id` for `shipment_id`.
    pub fn new(shipment_id: impl Into<String>, device_id: impl Into<String>) -> Self {
        SensorReportBuilder {
            shipment_id: shipment_id.into(),
            device_id: device_id.into(),
            readings: Vec::new(),
        }
    }
    /// Adds a reading in the kind's default unit (milli-units: 7.5 °C is 7500).
    pub fn reading(self, kind: SensorKind, value_milli: i64, time_ms: TimeMs) -> Self {
        self.reading_in(kind, value_milli, kind.default_unit(), time_ms)
    }
    /// Adds a reading in an explicit UN/CEFACT unit.
    pub fn reading_in(
        mut self,
        kind: SensorKind,
        value_milli: i64,
        unit: &str,
        time_ms: TimeMs,
    ) -> Self {
        self.readings.push(Reading {
            kind,
            value_milli,
            unit: unit.to_owned(),
            time_ms,
        });
        self
    }
}

impl Build for SensorReportBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        if self.readings.is_empty() {
            return Err(FieldError::new("readings", "must not be empty").into());
        }
        let series =
            Series::from_readings(&self.device_id, &self.readings).map_err(|e| match e {
                crate::recorder::RecordError::Invalid(f) => {
                    BuildError::Invalid(FieldError::new(format!("readings.{}", f.field), f.problem))
                }
                other => BuildError::Invalid(FieldError::new("readings", other.to_string())),
            })?;
        Ok(Payload::SensorReport(series.report(
            &self.shipment_id,
            CARRY_WHOLE_MAX,
            SAMPLE_LEN,
        )))
    }
}
