//! EPCIS 2.0 JSON-LD documents: [`import_str`] as the SDK and the bridge's `epcis import` run it
//! on files from trading partners.

use tradeledger_sdk::epcis::{ImportOptions, import_str, import_value};

/// Whatever imports yields valid payloads, and its export ([`ImportedDocument::to_epcis`])
/// imports again to the same custody events and sensor reports. Without the original sensor
/// elements (`keep_sensor_elements(false)`), a long series was reduced to the readings the
/// report carries (module docs of `tradeledger_sdk::epcis`): then those readings come back, and
/// the whole report only when it carried the whole series.
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
        let exported = doc.to_epcis();
        let again = import_value(&exported, &options).expect("an exported document re-imports");
        assert_eq!(
            doc.events.len(),
            again.events.len(),
            "export→import changed the event count"
        );
        for (a, b) in doc.events.iter().zip(&again.events) {
            assert_eq!(a.custody, b.custody, "{}: custody event changed", a.path);
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
