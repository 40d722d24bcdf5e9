//! EPCIS 2.0 JSON-LD documents: [`import_str`] as the SDK and the bridge's `epcis import` run it
//! on files from trading partners.

use tradeledger_sdk::epcis::{ImportOptions, import_str, import_value};

/// Fields `export_event` adds when the imported event lacked them, because EPCIS requires them.
const ADDED_BY_EXPORT: &[&str] = &["transformationID", "bizTransactionList"];

/// Whatever imports yields valid payloads, and its export ([`ImportedDocument::to_epcis`])
/// imports again to the same custody events and sensor reports, except for what export adds
/// by design (`export_event` docs): the `transformationID` or `bizTransactionList` EPCIS
/// requires when the original lacked it. A second export→import changes nothing at all.
/// Without the original sensor elements (`keep_sensor_elements(false)`), a long series was
/// reduced to the readings the report carries (`tradeledger_sdk::epcis` module docs): then
/// those readings come back, and the whole report only when it carried the whole series.
///
/// [`ImportedDocument::to_epcis`]: tradeledger_sdk::epcis::ImportedDocument::to_epcis
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for keep in [true, false] {
        let options = ImportOptions::new("SHP-FUZZ-1").keep_sensor_elements(keep);
        let Ok(doc) = import_str(text, &options) else {
            return;
        };
        for event in &doc.events {
            for payload in event.payloads() {
                if let Err(e) = payload.validate() {
                    panic!("{}: imported payload is invalid: {e}", event.path);
                }
            }
        }
        let again = import_value(&doc.to_epcis(), &options).expect("an export re-imports");
        let third = import_value(&again.to_epcis(), &options).expect("an export re-imports");
        assert_eq!(again, third, "a second export→import changed the document");
        assert_eq!(
            doc.events.len(),
            again.events.len(),
            "export→import changed the event count"
        );
        for (a, b) in doc.events.iter().zip(&again.events) {
            let mut b_custody = b.custody.clone();
            b_custody.extensions.retain(|x| {
                !ADDED_BY_EXPORT.contains(&x.name.as_str())
                    || a.custody.extensions.iter().any(|y| y.name == x.name)
            });
            assert_eq!(a.custody, b_custody, "{}: custody event changed", a.path);
            if keep {
                assert_eq!(
                    a.sensor_reports, b.sensor_reports,
                    "{}: sensor reports changed",
                    a.path
                );
                continue;
            }
            assert_eq!(
                a.sensor_reports.len(),
                b.sensor_reports.len(),
                "{}: report count",
                a.path
            );
            for (ra, rb) in a.sensor_reports.iter().zip(&b.sensor_reports) {
                if ra.series_root.is_none() {
                    assert_eq!(ra, rb, "{}: sensor report changed", a.path);
                } else {
                    assert_eq!(
                        ra.readings, rb.readings,
                        "{}: carried readings changed",
                        a.path
                    );
                }
            }
        }
    }
}
