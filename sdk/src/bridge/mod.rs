//! What the `tradeledger-bridge` binary does with device messages, as a library: parse a JSON
//! message ([`parse_message`]), then map it to signed events ([`Mapper`]).
//!
//! # Message format
//! One JSON object per MQTT payload or per stdin line. `type` says which:
//!
//! ```text
//! {"type":"reading","shipment":"SHP-1","device":"reefer-7","kind":"temperature",
//!  "value":"7.5","unit":"CEL","time":"2026-05-01T10:00:00Z"}
//! {"type":"rfid","shipment":"SHP-1","epc_hex":"3074257BF7194E4000001A85",
//!  "read_point":"USPHR","biz_step":"arriving","time":"2026-05-01T10:00:00Z"}
//! ```
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `type` | `"reading"` or `"rfid"` | required |
//! | `shipment` | id | required: the shipment the event belongs to |
//! | `time` | RFC 3339 string, or Unix milliseconds | required: when it was read |
//! | `device` | id | reading: the sensor's device id |
//! | `kind` | `temperature`, `relative_humidity`, `illuminance`, `door_open`, `shock`, `pulp_temperature`, `other` | reading |
//! | `value` | decimal string (`"7.5"`) or JSON number | reading: converted exactly to milli-units |
//! | `unit` | UN/CEFACT code | reading: optional, defaults to the kind's unit (`CEL`, `A93`, ...); required for `other` |
//! | `epc_hex` | 24 hex digits | rfid: the EPC-96 read (SGTIN, SSCC, GRAI, GIAI) |
//! | `biz_step` | CBV name | rfid: `arriving`, `departing`, `loading`, ... |
//! | `read_point` | UN/LOCODE, or a `urn:epc:id:sgln:` site | rfid: optional |
//! | `disposition` | CBV name | rfid: optional |
//!
//! Readings are batched per shipment and device by the [`Recorder`](crate::recorder::Recorder)
//! into signed sensor reports; an RFID read becomes a custody event (ObjectEvent, OBSERVE) naming
//! the tag's EPC pure-identity URI. A message that fails to parse or map gets a
//! [`MessageError`] naming the field; it changes nothing (no sequence number is consumed).

mod mapper;
mod message;

pub use mapper::Mapper;
pub use message::{Message, MessageError, ReadingMessage, RfidMessage, parse_message};
