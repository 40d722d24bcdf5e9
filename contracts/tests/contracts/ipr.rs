//! The IPR contract: recordations, licence chains with windows and revocation, counterfeit and
//! gray-market flags.

use crate::harness::{Chain, Parties};
use tradeledger_contracts::testkit::{self, DAY_MS, HOUR_MS, T0_MS};
use tradeledger_contracts::*;
use tradeledger_types::*;

fn recordation(gray: bool) -> IprRecordation {
    IprRecordation {
        recordation_id: "REC-1".into(),
        mark: "ACME".into(),
        registration_no: "US-1234567".into(),
        owner: testkit::RIGHTS_HOLDER.into(),
        hs_prefixes: vec!["9004".into()],
        authorised_manufacturers: vec!["Acme Optics SA".into()],
        authorised_importers: vec![],
        valid_from_ms: T0_MS - 365 * DAY_MS,
        valid_until_ms: T0_MS + 5 * 365 * DAY_MS,
        gray_market_restricted: gray,
    }
}

fn licence(
    id: &str,
    parent: Option<&str>,
    licensee: &str,
    scope: LicenceScope,
    from: u64,
    until: u64,
) -> Payload {
    Payload::IprLicence(IprLicence {
        licence_id: id.into(),
        recordation_id: "REC-1".into(),
        parent_licence_id: parent.map(Into::into),
        licensee: licensee.into(),
        scope,
        valid_from_ms: from,
        valid_until_ms: until,
    })
}

/// A chain with REC-1 recorded and accepted, a manufacture licence L1 to "Maquila Norte" for 30
/// days and a sub-licence L2 to "Sub Maker" under it.
fn registry(gray: bool) -> (Chain, Parties) {
    let mut c = Chain::new();
    let mut p = Parties::new();
    c.apply(&mut p.rights, Payload::IprRecordation(recordation(gray)));
    c.apply(
        &mut p.customs,
        Payload::IprAcceptance(IprAcceptance {
            recordation_id: "REC-1".into(),
        }),
    );
    c.apply(
        &mut p.rights,
        licence(
            "L1",
            None,
            "Maquila Norte",
            LicenceScope::Manufacture,
            T0_MS,
            T0_MS + 30 * DAY_MS,
        ),
    );
    c.apply(
        &mut p.rights,
        licence(
            "L2",
            Some("L1"),
            "Sub Maker",
            LicenceScope::Manufacture,
            T0_MS,
            T0_MS + 20 * DAY_MS,
        ),
    );
    (c, p)
}

fn sunglasses(id: &str, manufacturer: Option<&str>, departure_ms: u64) -> Payload {
    let mut d = testkit::declaration(id);
    let g = &mut d.goods[0];
    g.description = "Sunglasses".into();
    g.hs_code = "900410".into();
    g.quantity = 500;
    g.unit = "C62".into();
    g.brand = Some("Acme".into());
    g.manufacturer = manufacturer.map(Into::into);
    d.departure_ms = departure_ms;
    d.arrival_ms = departure_ms + 2 * DAY_MS;
    Payload::ShipmentDeclaration(d)
}

fn verdicts(records: &[Derived]) -> Vec<IprOutcome> {
    records
        .iter()
        .filter_map(|r| {
            if let Derived::Ipr(v) = r {
                Some(v.outcome)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn counterfeit_and_licence_chain_table() {
    let cases: [(&str, Option<&str>, u64, bool, IprOutcome, Lane); 8] = [
        (
            "manufacturer named by the recordation",
            Some("Acme Optics SA"),
            T0_MS + DAY_MS,
            false,
            IprOutcome::Authorised,
            Lane::Green,
        ),
        (
            "names compare case-insensitively",
            Some("ACME OPTICS SA"),
            T0_MS + DAY_MS,
            false,
            IprOutcome::Authorised,
            Lane::Green,
        ),
        (
            "unlicensed manufacturer",
            Some("Knockoff Ltd"),
            T0_MS + DAY_MS,
            false,
            IprOutcome::PossibleCounterfeit,
            Lane::Red,
        ),
        (
            "no manufacturer declared",
            None,
            T0_MS + DAY_MS,
            false,
            IprOutcome::PossibleCounterfeit,
            Lane::Red,
        ),
        (
            "licensee inside its window",
            Some("Maquila Norte"),
            T0_MS + DAY_MS,
            false,
            IprOutcome::Authorised,
            Lane::Green,
        ),
        (
            "licensee after its window",
            Some("Maquila Norte"),
            T0_MS + 40 * DAY_MS,
            false,
            IprOutcome::PossibleCounterfeit,
            Lane::Red,
        ),
        (
            "sub-licensee inside both windows",
            Some("Sub Maker"),
            T0_MS + DAY_MS,
            false,
            IprOutcome::Authorised,
            Lane::Green,
        ),
        (
            "sub-licensee after its parent was revoked",
            Some("Sub Maker"),
            T0_MS + DAY_MS,
            true,
            IprOutcome::PossibleCounterfeit,
            Lane::Red,
        ),
    ];
    for (desc, maker, departure, revoke_parent, expected, lane) in cases {
        let (mut c, mut p) = registry(false);
        if revoke_parent {
            let r = IprRevocation {
                licence_id: "L1".into(),
                effective_ms: T0_MS + 12 * HOUR_MS,
                reason: "audit failure".into(),
            };
            c.apply(&mut p.rights, Payload::IprRevocation(r));
        }
        let records = c.apply(&mut p.exporter, sunglasses("S1", maker, departure));
        assert_eq!(verdicts(&records), vec![expected], "{desc}");
        assert_eq!(c.lane("S1"), lane, "{desc}");
    }
}

#[test]
fn gray_market_only_where_recorded() {
    let cases = [
        (
            "no restriction: parallel import of genuine goods is fine",
            false,
            false,
            IprOutcome::Authorised,
            Lane::Green,
        ),
        (
            "restricted, importer not authorised",
            true,
            false,
            IprOutcome::GrayMarket,
            Lane::Yellow,
        ),
        (
            "restricted, importer holds an import licence",
            true,
            true,
            IprOutcome::Authorised,
            Lane::Green,
        ),
    ];
    for (desc, gray, import_licence, expected, lane) in cases {
        let (mut c, mut p) = registry(gray);
        if import_licence {
            let name = format!("{} (legal name)", testkit::IMPORTER);
            c.apply(
                &mut p.rights,
                licence(
                    "L9",
                    None,
                    &name,
                    LicenceScope::Import,
                    T0_MS,
                    T0_MS + 90 * DAY_MS,
                ),
            );
        }
        let records = c.apply(
            &mut p.exporter,
            sunglasses("S1", Some("Acme Optics SA"), T0_MS + DAY_MS),
        );
        assert_eq!(verdicts(&records), vec![expected], "{desc}");
        assert_eq!(c.lane("S1"), lane, "{desc}");
    }
}

#[test]
fn unaccepted_or_unrelated_recordations_do_not_apply() {
    let mut c = Chain::new();
    let mut p = Parties::new();
    c.apply(&mut p.rights, Payload::IprRecordation(recordation(false)));
    let records = c.apply(
        &mut p.exporter,
        sunglasses("S1", Some("Knockoff Ltd"), T0_MS + DAY_MS),
    );
    assert!(verdicts(&records).is_empty(), "not yet accepted by customs");
    c.apply(
        &mut p.customs,
        Payload::IprAcceptance(IprAcceptance {
            recordation_id: "REC-1".into(),
        }),
    );
    let mut other = testkit::declaration("S2");
    other.goods[0].brand = Some("Acme".into()); // avocados: HS 0804 is outside the recordation's 9004
    let records = c.apply(&mut p.exporter, Payload::ShipmentDeclaration(other));
    assert!(verdicts(&records).is_empty(), "HS prefix not covered");
}

#[test]
fn registry_permissions() {
    let (mut c, mut p) = registry(false);
    let mut foreign = recordation(false);
    foreign.recordation_id = "REC-2".into();
    foreign.owner = "someone-else".into();
    let cases: Vec<(&str, &str, Payload, RejectCode)> = vec![
        (
            "recording a mark owned by someone else",
            "rights",
            Payload::IprRecordation(foreign),
            RejectCode::NotAParty,
        ),
        (
            "recording the same id twice",
            "rights",
            Payload::IprRecordation(recordation(false)),
            RejectCode::DuplicateRecordation,
        ),
        (
            "a rights holder cannot accept",
            "rights",
            Payload::IprAcceptance(IprAcceptance {
                recordation_id: "REC-1".into(),
            }),
            RejectCode::RoleNotAllowed,
        ),
        (
            "accepting twice",
            "customs",
            Payload::IprAcceptance(IprAcceptance {
                recordation_id: "REC-1".into(),
            }),
            RejectCode::AlreadyAccepted,
        ),
        (
            "accepting an unknown recordation",
            "customs",
            Payload::IprAcceptance(IprAcceptance {
                recordation_id: "REC-9".into(),
            }),
            RejectCode::UnknownRecordation,
        ),
        (
            "licence by a shipper",
            "exporter",
            licence("L5", None, "X", LicenceScope::Import, T0_MS, T0_MS + DAY_MS),
            RejectCode::RoleNotAllowed,
        ),
        (
            "sub-licence outliving its parent",
            "rights",
            licence(
                "L6",
                Some("L1"),
                "X",
                LicenceScope::Manufacture,
                T0_MS,
                T0_MS + 60 * DAY_MS,
            ),
            RejectCode::InvalidLicenceChain,
        ),
        (
            "sub-licence of an unknown parent",
            "rights",
            licence(
                "L7",
                Some("L0"),
                "X",
                LicenceScope::Manufacture,
                T0_MS,
                T0_MS + DAY_MS,
            ),
            RejectCode::UnknownLicence,
        ),
        (
            "licence id reused",
            "rights",
            licence(
                "L1",
                None,
                "X",
                LicenceScope::Manufacture,
                T0_MS,
                T0_MS + DAY_MS,
            ),
            RejectCode::DuplicateLicence,
        ),
        (
            "revoking an unknown licence",
            "rights",
            Payload::IprRevocation(IprRevocation {
                licence_id: "L0".into(),
                effective_ms: T0_MS,
                reason: "x".into(),
            }),
            RejectCode::UnknownLicence,
        ),
    ];
    for (desc, who, payload, expected) in cases {
        let actor = match who {
            "rights" => &mut p.rights,
            "customs" => &mut p.customs,
            _ => &mut p.exporter,
        };
        assert_eq!(c.try_apply(actor, payload), Some(expected), "{desc}");
    }
}
