//! The OpenAPI schema of [`ShipmentAnswer`], whose `Serialize` is written by hand (the record's
//! headline fields lifted beside the record itself): described key by key as the JSON that
//! `Serialize` writes, in the same order. schemathesis checks every answer against it.

use super::shipments::{HistoryEntry, LaneEntry, ShipmentAnswer};
use tradeledger_contracts::{Flag, Lane, OriginVerdict, ShipmentRecord, TimelineEntry};
use tradeledger_types::Decision;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A reference to the named schema of `T`, with a description.
fn reference<T: ToSchema>(description: &str) -> RefOr<Schema> {
    let mut r = Ref::from_schema_name(T::name());
    r.description = description.to_owned();
    r.into()
}

/// `T` or null.
fn nullable<T: ToSchema>(description: &str) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(Ref::from_schema_name(T::name()))
        .description(Some(description))
        .into()
}

/// An array of `T`.
fn array<T: ToSchema>(description: &str) -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(Ref::from_schema_name(T::name()))
        .description(Some(description))
        .into()
}

/// A `u32`, or null when `nullable`.
fn count(nullable: bool, description: &str) -> RefOr<Schema> {
    let ty = if nullable {
        utoipa::openapi::schema::SchemaType::from_iter([Type::Integer, Type::Null])
    } else {
        utoipa::openapi::schema::SchemaType::Type(Type::Integer)
    };
    ObjectBuilder::new()
        .schema_type(ty)
        .minimum(Some(0))
        .maximum(Some(u32::MAX))
        .description(Some(description))
        .into()
}

impl PartialSchema for ShipmentAnswer {
    fn schema() -> RefOr<Schema> {
        let keys = [
            (
                "clearance",
                nullable::<Decision>("Latest clearance decision; null before customs decides."),
            ),
            (
                "flag_history",
                array::<HistoryEntry>(
                    "Every flag raised or raised in severity on the shipment, oldest first, with \
                     the event and height (at most 2,000 events of history are read).",
                ),
            ),
            (
                "flags",
                array::<Flag>("The flags as they stand, one per rule id, sorted by rule id."),
            ),
            ("lane", reference::<Lane>("The current risk lane.")),
            (
                "lane_history",
                array::<LaneEntry>("Every lane change, oldest first, with the event and height."),
            ),
            (
                "lane_version",
                count(false, "Rule-set version that computed the lane."),
            ),
            (
                "origin",
                nullable::<OriginVerdict>(
                    "Latest origin verdict; null before a certificate of origin is checked.",
                ),
            ),
            (
                "record",
                reference::<ShipmentRecord>(
                    "Everything the contracts keep about the shipment (the fields above come \
                     from it).",
                ),
            ),
            (
                "shipment_id",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(64))
                    .description(Some("The shipment id."))
                    .into(),
            ),
            (
                "timeline",
                array::<TimelineEntry>(
                    "A page of the timeline (the declaration first, then every applied event \
                     about the shipment), from entry `timeline_from` on.",
                ),
            ),
            (
                "timeline_from",
                count(false, "Entry number of the page's first timeline entry."),
            ),
            (
                "timeline_next",
                count(
                    true,
                    "`timeline_from` of the next page; null when this page holds the last entry.",
                ),
            ),
            (
                "verdicts",
                array::<HistoryEntry>(
                    "Every origin, IPR and treatment verdict on the shipment, oldest first, with \
                     the event and height.",
                ),
            ),
        ];
        let mut object = ObjectBuilder::new().schema_type(Type::Object).description(Some(
            "A shipment: the contracts' record, its headline fields (lane, flags, origin verdict, \
             clearance) lifted to the top level, a page of its timeline, and its history.",
        ));
        for (key, schema) in keys {
            object = object.property(key, schema).required(key);
        }
        object.into()
    }
}

impl ToSchema for ShipmentAnswer {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        fn add<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            schemas.push((T::name().into_owned(), T::schema()));
            T::schemas(schemas);
        }
        add::<Decision>(schemas);
        add::<HistoryEntry>(schemas);
        add::<Flag>(schemas);
        add::<Lane>(schemas);
        add::<LaneEntry>(schemas);
        add::<OriginVerdict>(schemas);
        add::<ShipmentRecord>(schemas);
        add::<TimelineEntry>(schemas);
    }
}
