//! Parsing of bridge messages (see the module docs of [`crate::bridge`]).

use crate::epc::Epc96;
use crate::epcis::decimal::{MilliError, parse_decimal_milli, to_milli};
use crate::epcis::time::parse_rfc3339;
use serde_json::{Map, Value};
use tradeledger_types::SensorKind;

/// A bad message: `field` names the offending field (`message` for the message itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {problem}")]
pub struct MessageError {
    /// The field.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl MessageError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        MessageError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// A sensor reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingMessage {
    /// The shipment.
    pub shipment: String,
    /// The sensor.
    pub device: String,
    /// What it measures.
    pub kind: SensorKind,
    /// The value in milli-units of `unit`.
    pub value_milli: i64,
    /// UN/CEFACT unit code.
    pub unit: String,
    /// When it was read (Unix ms).
    pub time_ms: u64,
}

/// An RFID read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfidMessage {
    /// The shipment.
    pub shipment: String,
    /// The decoded tag.
    pub epc: Epc96,
    /// CBV business step.
    pub biz_step: String,
    /// UN/LOCODE or SGLN site URI of the reader.
    pub read_point: Option<String>,
    /// CBV disposition.
    pub disposition: Option<String>,
    /// When it was read (Unix ms).
    pub time_ms: u64,
    /// The offset of `time` from UTC, minutes (0 for millisecond times).
    pub time_zone_offset_min: i16,
}

/// A parsed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `"type":"reading"`.
    Reading(ReadingMessage),
    /// `"type":"rfid"`.
    Rfid(RfidMessage),
}

impl Message {
    /// The shipment the message is about.
    pub fn shipment(&self) -> &str {
        match self {
            Message::Reading(r) => &r.shipment,
            Message::Rfid(r) => &r.shipment,
        }
    }
}

fn string<'a>(o: &'a Map<String, Value>, field: &str) -> Result<&'a str, MessageError> {
    match o.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(MessageError::new(field, "is empty")),
        Some(_) => Err(MessageError::new(field, "must be a string")),
        None => Err(MessageError::new(field, "is required")),
    }
}

fn opt_string(o: &Map<String, Value>, field: &str) -> Result<Option<String>, MessageError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => string(o, field).map(|s| Some(s.to_owned())),
    }
}

fn time(o: &Map<String, Value>) -> Result<(u64, i16), MessageError> {
    match o.get("time") {
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|ms| (ms, 0))
            .ok_or_else(|| MessageError::new("time", "must be non-negative Unix milliseconds")),
        Some(Value::String(s)) => parse_rfc3339(s).ok_or_else(|| {
            MessageError::new("time", format!("{s:?} is not an RFC 3339 date-time"))
        }),
        Some(_) => Err(MessageError::new(
            "time",
            "must be an RFC 3339 string or Unix milliseconds",
        )),
        None => Err(MessageError::new("time", "is required")),
    }
}

/// Parses one message (an MQTT payload or a stdin line).
pub fn parse_message(bytes: &[u8]) -> Result<Message, MessageError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| MessageError::new("message", format!("not JSON: {e}")))?;
    let Value::Object(o) = value else {
        return Err(MessageError::new("message", "must be a JSON object"));
    };
    let shipment = string(&o, "shipment")?.to_owned();
    match string(&o, "type")? {
        "reading" => {
            let device = string(&o, "device")?.to_owned();
            let kind_name = string(&o, "kind")?;
            let kind: SensorKind = serde_json::from_value(Value::String(kind_name.to_owned()))
                .map_err(|_| {
                    MessageError::new(
                        "kind",
                        format!(
                            "unknown kind {kind_name:?} (temperature, relative_humidity, \
                             illuminance, door_open, shock, pulp_temperature, other)"
                        ),
                    )
                })?;
            let value_milli = match o.get("value") {
                Some(Value::String(s)) => parse_decimal_milli(s),
                Some(Value::Number(n)) => to_milli(n),
                Some(_) => return Err(MessageError::new("value", "must be a decimal")),
                None => return Err(MessageError::new("value", "is required")),
            }
            .map_err(|e| {
                MessageError::new(
                    "value",
                    match e {
                        MilliError::TooPrecise => "more than three decimal places",
                        MilliError::TooLarge => "not a decimal number in range",
                    },
                )
            })?;
            let unit = match opt_string(&o, "unit")? {
                Some(u) => u,
                None if kind == SensorKind::Other => {
                    return Err(MessageError::new("unit", "is required for kind `other`"));
                }
                None => kind.default_unit().to_owned(),
            };
            let (time_ms, _) = time(&o)?;
            Ok(Message::Reading(ReadingMessage {
                shipment,
                device,
                kind,
                value_milli,
                unit,
                time_ms,
            }))
        }
        "rfid" => {
            let hex = string(&o, "epc_hex")?;
            let epc =
                Epc96::from_hex(hex).map_err(|e| MessageError::new("epc_hex", e.to_string()))?;
            let biz_step = string(&o, "biz_step")?.to_owned();
            let (time_ms, time_zone_offset_min) = time(&o)?;
            Ok(Message::Rfid(RfidMessage {
                shipment,
                epc,
                biz_step,
                read_point: opt_string(&o, "read_point")?,
                disposition: opt_string(&o, "disposition")?,
                time_ms,
                time_zone_offset_min,
            }))
        }
        other => Err(MessageError::new(
            "type",
            format!("unknown message type {other:?} (reading, rfid)"),
        )),
    }
}
