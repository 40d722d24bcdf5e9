//! Sensor batching: readings accumulate per device and leave as signed sensor reports.
//!
//! A report is emitted for a device every [`RecorderConfig::readings_per_report`] readings, or
//! as soon as a reading arrives [`RecorderConfig::window_ms`] or more after the first reading
//! of the open batch (reading time, not wall-clock time: a logger replaying a day of data
//! batches it exactly as it was recorded). Each report carries min/max per kind over the whole
//! batch. A batch of at most [`RecorderConfig::carry_whole_max`] readings is carried whole;
//! a larger one carries an evenly spaced sample (plus each kind's extreme readings),
//! `series_len`, and the Merkle root over the canonical encodings of every reading. The full
//! series comes back with the event ([`Emitted::series`]) so the device owner can keep it and
//! prove any reading later ([`Series::prove`]).
//!
//! The hot path allocates nothing per reading: readings are kept as small fixed-size samples
//! with interned units, leaves are encoded into one reused buffer, and the batch is signed once.

use crate::signer::{SignError, Signer};
use std::collections::BTreeMap;
use tradeledger_types::merkle::{self, InclusionProof, leaf_hash, node_hash};
use tradeledger_types::validate as v;
use tradeledger_types::{
    FieldError, Hash32, Payload, Reading, SensorKind, SensorReport, SeriesStats, SignedEvent,
};

/// Default largest batch carried whole in a report.
pub const CARRY_WHOLE_MAX: usize = 64;
/// Default number of evenly spaced readings carried from a large batch.
pub const SAMPLE_LEN: usize = 32;

/// When to emit, and how much to carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecorderConfig {
    /// Emit after this many readings of one device (at least 1).
    pub readings_per_report: usize,
    /// Emit when a reading comes this many milliseconds (reading time) after the batch's first.
    pub window_ms: u64,
    /// Batches up to this size are carried whole.
    pub carry_whole_max: usize,
    /// Evenly spaced readings carried from a larger batch (at least 2).
    pub sample_len: usize,
}

impl Default for RecorderConfig {
    /// 1,000 readings or 15 minutes, whichever comes first; 64 carried whole, else 32 sampled.
    fn default() -> Self {
        RecorderConfig {
            readings_per_report: 1000,
            window_ms: 15 * 60 * 1000,
            carry_whole_max: CARRY_WHOLE_MAX,
            sample_len: SAMPLE_LEN,
        }
    }
}

/// Why a reading was refused or a report could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The device id or unit is not a valid id.
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// A reading older than the device's previous one (reports hold readings in time order).
    #[error(
        "device {device_id}: reading at {time_ms} ms is older than the previous one at {last_ms} ms"
    )]
    OutOfOrder {
        /// The device.
        device_id: String,
        /// The reading's time.
        time_ms: u64,
        /// The previous reading's time.
        last_ms: u64,
    },
    /// A device uses more distinct (kind, unit) pairs than a batch can index (255).
    #[error("device {device_id}: too many distinct kind/unit pairs")]
    TooManyUnits {
        /// The device.
        device_id: String,
    },
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// One reading without its unit string (the unit is an index into [`Series`]'s table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sample {
    unit: u8,
    value_milli: i64,
    time_ms: u64,
}

/// A device's full series for one report: what the report's `series_root` commits to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    device_id: String,
    units: Vec<(SensorKind, String)>,
    samples: Vec<Sample>,
}

impl Series {
    fn new(device_id: &str, capacity: usize) -> Self {
        Series {
            device_id: device_id.to_owned(),
            units: Vec::new(),
            samples: Vec::with_capacity(capacity),
        }
    }

    /// True when the series already holds this exact reading (readings are in time order, so
    /// only the samples at its time are compared).
    fn is_duplicate(&self, kind: SensorKind, value_milli: i64, unit: &str, time_ms: u64) -> bool {
        self.samples
            .iter()
            .rev()
            .take_while(|x| x.time_ms == time_ms)
            .any(|x| {
                x.value_milli == value_milli
                    && self
                        .units
                        .get(usize::from(x.unit))
                        .is_some_and(|(k, u)| *k == kind && u == unit)
            })
    }

    /// A series from readings (which must be in time order).
    pub fn from_readings(device_id: &str, readings: &[Reading]) -> Result<Self, RecordError> {
        let mut s = Series::new(device_id, readings.len());
        for r in readings {
            s.push(r.kind, r.value_milli, &r.unit, r.time_ms)?;
        }
        Ok(s)
    }

    fn push(
        &mut self,
        kind: SensorKind,
        value_milli: i64,
        unit: &str,
        time_ms: u64,
    ) -> Result<(), RecordError> {
        if let Some(last) = self.samples.last()
            && time_ms < last.time_ms
        {
            return Err(RecordError::OutOfOrder {
                device_id: self.device_id.clone(),
                time_ms,
                last_ms: last.time_ms,
            });
        }
        let idx = match self.units.iter().position(|(k, u)| *k == kind && u == unit) {
            Some(i) => i,
            None => {
                v::id("unit", unit)?;
                self.units.push((kind, unit.to_owned()));
                self.units.len() - 1
            }
        };
        let unit = u8::try_from(idx).map_err(|_| RecordError::TooManyUnits {
            device_id: self.device_id.clone(),
        })?;
        self.samples.push(Sample {
            unit,
            value_milli,
            time_ms,
        });
        Ok(())
    }

    /// The device.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// Number of readings.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the series is empty.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Reading `i`.
    pub fn reading(&self, i: usize) -> Option<Reading> {
        let s = self.samples.get(i)?;
        let (kind, unit) = &self.units[usize::from(s.unit)];
        Some(Reading {
            kind: *kind,
            value_milli: s.value_milli,
            unit: unit.clone(),
            time_ms: s.time_ms,
        })
    }

    /// Every reading, in time order.
    pub fn readings(&self) -> Vec<Reading> {
        (0..self.len()).filter_map(|i| self.reading(i)).collect()
    }

    /// The Merkle root (RFC 6962) over the canonical CBOR encodings of every reading.
    pub fn root(&self) -> Hash32 {
        let mut buf = Vec::with_capacity(64);
        let mut hashes: Vec<Hash32> = Vec::with_capacity(self.len());
        for s in &self.samples {
            buf.clear();
            let (kind, unit) = &self.units[usize::from(s.unit)];
            encode_reading(*kind, s.value_milli, unit, s.time_ms, &mut buf);
            hashes.push(leaf_hash(&buf));
        }
        root_of_hashes(&mut hashes)
    }

    /// The inclusion proof of reading `i` under [`Self::root`]: verify it with
    /// `proof.verify(&tradeledger_types::codec::to_canonical(&reading), &root)`.
    pub fn prove(&self, i: usize) -> Option<(Reading, InclusionProof)> {
        let leaves: Vec<Vec<u8>> = self
            .readings()
            .iter()
            .map(tradeledger_types::codec::to_canonical)
            .collect();
        let proof = merkle::prove(&leaves, i)?;
        Some((self.reading(i)?, proof))
    }

    /// The report for this series: whole if it has at most `carry_whole_max` readings, else a
    /// sample with the root.
    pub fn report(
        &self,
        shipment_id: &str,
        carry_whole_max: usize,
        sample_len: usize,
    ) -> SensorReport {
        let n = self.len();
        let mut stats: BTreeMap<SensorKind, (u32, i64, i64, usize, usize)> = BTreeMap::new();
        for (i, s) in self.samples.iter().enumerate() {
            let kind = self.units[usize::from(s.unit)].0;
            let e = stats
                .entry(kind)
                .or_insert((0, s.value_milli, s.value_milli, i, i));
            e.0 = e.0.saturating_add(1);
            if s.value_milli < e.1 {
                (e.1, e.3) = (s.value_milli, i);
            }
            if s.value_milli > e.2 {
                (e.2, e.4) = (s.value_milli, i);
            }
        }
        let (readings, series_root) = if n <= carry_whole_max {
            (self.readings(), None)
        } else {
            let k = sample_len.max(2);
            let mut idx: Vec<usize> = (0..k).map(|j| j * (n - 1) / (k - 1)).collect();
            idx.extend(stats.values().flat_map(|s| [s.3, s.4]));
            idx.sort_unstable();
            idx.dedup();
            (
                idx.into_iter().filter_map(|i| self.reading(i)).collect(),
                Some(self.root()),
            )
        };
        SensorReport {
            shipment_id: shipment_id.to_owned(),
            device_id: self.device_id.clone(),
            readings,
            stats: stats
                .into_iter()
                .map(|(kind, (count, min_milli, max_milli, _, _))| SeriesStats {
                    kind,
                    count,
                    min_milli,
                    max_milli,
                })
                .collect(),
            series_len: u32::try_from(n).unwrap_or(u32::MAX),
            series_root,
        }
    }
}

/// The report for a whole series given as readings (in time order): used by the EPCIS importer.
pub fn report_from_series(
    shipment_id: &str,
    device_id: &str,
    readings: &[Reading],
    carry_whole_max: usize,
) -> SensorReport {
    match Series::from_readings(device_id, readings) {
        Ok(s) => s.report(shipment_id, carry_whole_max, SAMPLE_LEN),
        // Readings that do not fit a series (too many units) are carried whole; validation
        // then says what is wrong.
        Err(_) => SensorReport {
            shipment_id: shipment_id.to_owned(),
            device_id: device_id.to_owned(),
            readings: readings.to_vec(),
            stats: Vec::new(),
            series_len: u32::try_from(readings.len()).unwrap_or(u32::MAX),
            series_root: None,
        },
    }
}

/// Canonical CBOR of a [`Reading`] (`[kind, value_milli, unit, time_ms]`), written directly into
/// `out`; byte-identical to `codec::to_canonical(&reading)` (checked by tests).
pub fn encode_reading(
    kind: SensorKind,
    value_milli: i64,
    unit: &str,
    time_ms: u64,
    out: &mut Vec<u8>,
) {
    out.push(0x84);
    let name = kind_name(kind);
    head(3, name.len() as u64, out);
    out.extend_from_slice(name.as_bytes());
    if value_milli >= 0 {
        head(0, value_milli.unsigned_abs(), out);
    } else {
        head(1, (-1 - value_milli) as u64, out);
    }
    head(3, unit.len() as u64, out);
    out.extend_from_slice(unit.as_bytes());
    head(0, time_ms, out);
}

fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn kind_name(kind: SensorKind) -> &'static str {
    match kind {
        SensorKind::Temperature => "temperature",
        SensorKind::RelativeHumidity => "relative_humidity",
        SensorKind::Illuminance => "illuminance",
        SensorKind::DoorOpen => "door_open",
        SensorKind::Shock => "shock",
        SensorKind::PulpTemperature => "pulp_temperature",
        SensorKind::Other => "other",
    }
}

/// RFC 6962 root over leaf hashes, computed in place (same result as `merkle::root`).
fn root_of_hashes(hashes: &mut [Hash32]) -> Hash32 {
    match hashes.len() {
        0 => merkle::root::<&[u8]>(&[]),
        1 => hashes[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            let (l, r) = hashes.split_at_mut(k);
            let left = root_of_hashes(l);
            let right = root_of_hashes(r);
            node_hash(&left, &right)
        }
    }
}

/// A signed report and the full series it summarises.
#[derive(Debug, Clone)]
pub struct Emitted {
    /// The signed sensor-report event.
    pub event: SignedEvent,
    /// The full series (keep it to answer proof requests when the report carries a sample).
    pub series: Series,
}

/// Accumulates readings per device and emits signed sensor reports.
#[derive(Debug)]
pub struct Recorder {
    signer: Signer,
    shipment_id: String,
    config: RecorderConfig,
    /// Open batches by shipment, then device.
    open: BTreeMap<String, BTreeMap<String, Series>>,
}

impl Recorder {
    /// A recorder signing with `signer` for `shipment_id`.
    pub fn new(
        signer: Signer,
        shipment_id: impl Into<String>,
        config: RecorderConfig,
    ) -> Result<Self, RecordError> {
        let shipment_id = shipment_id.into();
        v::id("shipment_id", &shipment_id)?;
        Ok(Recorder {
            signer,
            shipment_id,
            config,
            open: BTreeMap::new(),
        })
    }

    /// The signer (its next sequence number is the one to persist).
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The signer, to sign other events with the same key (a bridge signs RFID custody events
    /// and sensor reports with one device key): the sequence stays gap-free because every
    /// event of the key goes through this one signer.
    pub fn signer_mut(&mut self) -> &mut Signer {
        &mut self.signer
    }

    /// Gives the signer back (open batches are dropped: flush first).
    pub fn into_signer(self) -> Signer {
        self.signer
    }

    /// Number of readings waiting in open batches.
    pub fn pending(&self) -> usize {
        self.open
            .values()
            .flat_map(|d| d.values())
            .map(Series::len)
            .sum()
    }

    /// Records one reading; returns the reports it completed (none, or one; two only when a
    /// one-reading batch size meets a window boundary).
    pub fn record(
        &mut self,
        device_id: &str,
        reading: &Reading,
    ) -> Result<Vec<Emitted>, RecordError> {
        self.record_value(
            device_id,
            reading.kind,
            reading.value_milli,
            &reading.unit,
            reading.time_ms,
        )
    }

    /// Records one reading given by its parts (no allocation unless a report is emitted).
    pub fn record_value(
        &mut self,
        device_id: &str,
        kind: SensorKind,
        value_milli: i64,
        unit: &str,
        time_ms: u64,
    ) -> Result<Vec<Emitted>, RecordError> {
        let shipment = std::mem::take(&mut self.shipment_id);
        let out = self.record_for(&shipment, device_id, kind, value_milli, unit, time_ms);
        self.shipment_id = shipment;
        out
    }

    /// Records one reading for another shipment than the recorder's own (a bridge serving
    /// several containers with one device key): batches are kept per shipment and device.
    pub fn record_for(
        &mut self,
        shipment_id: &str,
        device_id: &str,
        kind: SensorKind,
        value_milli: i64,
        unit: &str,
        time_ms: u64,
    ) -> Result<Vec<Emitted>, RecordError> {
        let mut out = Vec::new();
        let cap = self.config.readings_per_report.max(1);
        let devices = match self.open.get_mut(shipment_id) {
            Some(d) => d,
            None => {
                v::id("shipment_id", shipment_id)?;
                self.open.entry(shipment_id.to_owned()).or_default()
            }
        };
        let series = match devices.get_mut(device_id) {
            Some(s) => s,
            None => {
                v::id("device_id", device_id)?;
                devices
                    .entry(device_id.to_owned())
                    .or_insert_with(|| Series::new(device_id, cap))
            }
        };
        // A reading delivered twice (an MQTT broker's QoS-1 redelivery, a logger resending after
        // a lost acknowledgement) is recorded once: same kind, unit, time and value as one already
        // in the open batch.
        if series.is_duplicate(kind, value_milli, unit, time_ms) {
            return Ok(Vec::new());
        }
        let mut full = Vec::new();
        if let Some(first) = series.samples.first()
            && time_ms >= first.time_ms.saturating_add(self.config.window_ms)
            && time_ms >= series.samples.last().map_or(0, |l| l.time_ms)
        {
            full.push(std::mem::replace(series, Series::new(device_id, cap)));
        }
        if let Err(e) = series.push(kind, value_milli, unit, time_ms) {
            // Put a batch closed by this reading back: a refused reading changes nothing.
            if let Some(closed) = full.pop() {
                *series = closed;
            }
            return Err(e);
        }
        if series.len() >= cap {
            full.push(std::mem::replace(series, Series::new(device_id, cap)));
        }
        for s in full {
            out.push(self.emit(shipment_id, s)?);
        }
        Ok(out)
    }

    /// Emits the open batch of one device (of the recorder's own shipment), if any.
    pub fn flush(&mut self, device_id: &str) -> Result<Option<Emitted>, RecordError> {
        let shipment = self.shipment_id.clone();
        match self
            .open
            .get_mut(&shipment)
            .and_then(|d| d.remove(device_id))
        {
            Some(s) if !s.is_empty() => self.emit(&shipment, s).map(Some),
            _ => Ok(None),
        }
    }

    /// Emits every open batch, shipments then devices in id order.
    pub fn flush_all(&mut self) -> Result<Vec<Emitted>, RecordError> {
        let open = std::mem::take(&mut self.open);
        let mut out = Vec::new();
        for (shipment, devices) in open {
            for s in devices.into_values().filter(|s| !s.is_empty()) {
                out.push(self.emit(&shipment, s)?);
            }
        }
        Ok(out)
    }

    fn emit(&mut self, shipment_id: &str, series: Series) -> Result<Emitted, RecordError> {
        let report = series.report(
            shipment_id,
            self.config.carry_whole_max,
            self.config.sample_len,
        );
        let event = self.signer.sign(Payload::SensorReport(report))?;
        Ok(Emitted { event, series })
    }
}
