//! Durations print the way they parse: what shiprig writes back, it reads back the same.

use proptest::prelude::*;
use shiprig::config::Duration;

proptest! {
    #[test]
    fn display_then_parse_round_trips(secs in 0u64..10 * 365 * 24 * 3600, nanos in 0u32..1_000_000_000) {
        let duration = Duration(std::time::Duration::new(secs, nanos));
        let text = duration.to_string();
        prop_assert_eq!(Duration::parse(&text), Ok(duration), "text: {}", text);
    }

    #[test]
    fn whole_units_print_as_written(hours in 1u64..1000) {
        let text = format!("{hours}h");
        let parsed = Duration::parse(&text).unwrap();
        prop_assert_eq!(parsed.0.as_secs(), hours * 3600);
        prop_assert!(!parsed.to_string().is_empty());
    }

    #[test]
    fn yaml_round_trip(secs in 0u64..1_000_000) {
        let duration = Duration::from_secs(secs);
        let yaml = serde_saphyr::to_string(&duration).unwrap();
        let back: Duration = serde_saphyr::from_str(&yaml).unwrap();
        prop_assert_eq!(back, duration);
    }
}

#[test]
fn common_spellings() {
    for (text, secs) in [
        ("90s", 90),
        ("30m", 1800),
        ("6h", 21600),
        ("1h 30m", 5400),
        ("2days", 172_800),
    ] {
        assert_eq!(Duration::parse(text).unwrap().0.as_secs(), secs, "{text}");
    }
    assert_eq!(Duration::from_secs(21600).to_string(), "6h");
    assert_eq!(Duration::from_secs(5400).to_string(), "1h 30m");
}
