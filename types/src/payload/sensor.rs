//! Sensor reports: series of fixed-point readings from reefers, data loggers and e-seals.

use crate::validate::{self as v, Checked, FieldError};
use crate::{Hash32, ShipmentId, TimeMs, wire_struct};
use serde::{Deserialize, Serialize};

/// What a reading measures, and so its unit. Values are integers in milli-units of the unit
/// named here (temperature 7.5 °C is `7500`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SensorKind {
    /// Temperature, milli-degrees Celsius (EPCIS gs1:Temperature, uom CEL).
    Temperature,
    /// Relative humidity, milli-percent (gs1:RelativeHumidity, uom A93 or P1).
    RelativeHumidity,
    /// Illuminance, milli-lux (gs1:Illuminance, uom LUX).
    Illuminance,
    /// Door or e-seal state: 1000 = open, 0 = closed.
    DoorOpen,
    /// Shock or acceleration, milli-g.
    Shock,
    /// Fruit pulp (core) temperature, milli-degrees Celsius, as recorded during treatments.
    PulpTemperature,
    /// Any other measurement; the unit string in [`Reading::unit`] says what it is.
    Other,
}

impl SensorKind {
    /// The default UN/CEFACT unit code for this kind.
    pub fn default_unit(self) -> &'static str {
        match self {
            SensorKind::Temperature | SensorKind::PulpTemperature => "CEL",
            SensorKind::RelativeHumidity => "A93",
            SensorKind::Illuminance => "LUX",
            SensorKind::DoorOpen => "C62",
            SensorKind::Shock => "K3",
            SensorKind::Other => "",
        }
    }
}

wire_struct! {
    /// One reading.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Reading {
        /// What is measured.
        pub kind: SensorKind,
        /// Value in milli-units of `unit`.
        pub value_milli: i64,
        /// UN/CEFACT unit code (`CEL`, `A93`, `LUX`, ...).
        pub unit: String,
        /// When it was read.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub time_ms: TimeMs,
    }
}

wire_struct! {
    /// Summary of one kind of reading in a report.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct SeriesStats {
        /// The kind summarised.
        pub kind: SensorKind,
        /// Number of readings of this kind in the full series.
        pub count: u32,
        /// Lowest value.
        pub min_milli: i64,
        /// Highest value.
        pub max_milli: i64,
    }
}

wire_struct! {
    /// A sensor report. Small series are carried whole; large ones carry a sample, the stats of
    /// the full series and a Merkle root over it (the full series kept by the device owner for
    /// proof on request).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct SensorReport {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// The device's own id (serial number or EPC of the logger).
        pub device_id: String,
        /// Readings, in time order.
        pub readings: Vec<Reading>,
        /// Min/max per kind over the full series.
        pub stats: Vec<SeriesStats>,
        /// Number of readings in the full series (equals `readings.len()` when carried whole).
        pub series_len: u32,
        /// Merkle root over the canonical encodings of the full series, when not carried whole.
        pub series_root: Option<Hash32>,
    }
}

impl SensorReport {
    /// Checks fields, time order, and that the stats agree with carried readings.
    pub fn validate(&self) -> Checked {
        v::id("shipment_id", &self.shipment_id)?;
        v::id("device_id", &self.device_id)?;
        v::non_empty_list("readings", &self.readings)?;
        for (i, w) in self.readings.windows(2).enumerate() {
            if w[1].time_ms < w[0].time_ms {
                return Err(FieldError::new(
                    format!("readings[{}].time_ms", i + 1),
                    "readings must be in time order",
                ));
            }
        }
        for (i, r) in self.readings.iter().enumerate() {
            v::id(&format!("readings[{i}].unit"), &r.unit)?;
        }
        v::list("stats", &self.stats)?;
        for (i, s) in self.stats.iter().enumerate() {
            if s.min_milli > s.max_milli {
                return Err(FieldError::new(format!("stats[{i}]"), "min exceeds max"));
            }
            let carried = self.readings.iter().filter(|r| r.kind == s.kind);
            if carried
                .clone()
                .any(|r| r.value_milli < s.min_milli || r.value_milli > s.max_milli)
            {
                return Err(FieldError::new(
                    format!("stats[{i}]"),
                    "a carried reading lies outside min/max",
                ));
            }
        }
        let carried = u32::try_from(self.readings.len()).unwrap_or(u32::MAX);
        if self.series_len < carried {
            return Err(FieldError::new(
                "series_len",
                "is smaller than the number of readings carried",
            ));
        }
        if self.series_len > carried && self.series_root.is_none() {
            return Err(FieldError::new(
                "series_root",
                "is required when the series is not carried whole",
            ));
        }
        Ok(())
    }
}
