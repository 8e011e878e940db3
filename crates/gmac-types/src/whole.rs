//! Whole numbers in request bodies, read as JSON Schema reads them: `131` and `131.0` are the
//! same integer (JSON has one number type, and Python's `json.dumps(131.0)` writes `131.0`). A
//! fraction or a value out of range is still refused.

use serde::{Deserialize, Deserializer, de::Error};

fn whole<'de, D: Deserializer<'de>>(value: f64) -> Result<u32, D::Error> {
    if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked above: a whole number within u32"
        )]
        Ok(value as u32)
    } else {
        Err(D::Error::custom(format!(
            "invalid value: {value}, expected a whole number from 0 to {}",
            u32::MAX
        )))
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Int(u32),
    Float(f64),
}

/// For `#[serde(deserialize_with = "crate::whole::u32")]`.
pub fn u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    match Number::deserialize(deserializer)? {
        Number::Int(n) => Ok(n),
        Number::Float(f) => whole::<D>(f),
    }
}

/// For `#[serde(default, deserialize_with = "crate::whole::option_u32")]`.
pub fn option_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    match Option::<Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Number::Int(n)) => Ok(Some(n)),
        Some(Number::Float(f)) => whole::<D>(f).map(Some),
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::u32")]
        n: u32,
        #[serde(default, deserialize_with = "super::option_u32")]
        m: Option<u32>,
    }

    fn parse(json: &str) -> Result<Body, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn whole_floats_are_integers_and_fractions_are_not() {
        assert_eq!(
            parse(r#"{"n": 131.0, "m": 2.0}"#).map(|b| (b.n, b.m)).ok(),
            Some((131, Some(2)))
        );
        assert_eq!(
            parse(r#"{"n": 7}"#).map(|b| (b.n, b.m)).ok(),
            Some((7, None))
        );
        assert!(parse(r#"{"n": 1.5}"#).is_err());
        assert!(parse(r#"{"n": -1}"#).is_err());
        assert!(parse(r#"{"n": 1e12}"#).is_err());
        assert!(parse(r#"{"n": "3"}"#).is_err());
    }
}
