//! Times for people: parsing `12.5`, `1:02.5` or `1:02:03.5`, and formatting in the unit that
//! suits a recording's length.

/// Text that is not a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("'{0}' is not a time (use seconds, m:ss or h:mm:ss)")]
    NotATime(String),
    #[error("'{0}' is not a time of zero or more seconds")]
    Negative(String),
}

/// Seconds as `12.5`, `1:02.5` (m:ss) or `1:02:03.5` (h:mm:ss).
pub fn parse_time_secs(text: &str) -> Result<f64, TimeError> {
    let mut secs = 0.0;
    for part in text.trim().split(':') {
        let value: f64 = part
            .trim()
            .parse()
            .map_err(|_| TimeError::NotATime(text.to_owned()))?;
        secs = secs * 60.0 + value;
    }
    if secs.is_finite() && secs >= 0.0 {
        Ok(secs)
    } else {
        Err(TimeError::Negative(text.to_owned()))
    }
}

/// A time: seconds (`12.5`) when `longest_secs` is under a minute, else `m:ss.s` or `h:mm:ss.s`,
/// with at most three decimals and no trailing zeros.
#[must_use]
pub fn format_time_secs(value: f64, longest_secs: f64) -> String {
    // Round to milliseconds first so 59.9996 s becomes 1:00, not 0:59 plus a rounded-up fraction.
    let secs = (value.max(0.0) * 1000.0).round() / 1000.0;
    if longest_secs < 60.0 {
        return trim_decimals(secs, 3);
    }
    let whole = secs.floor() as u64;
    let fraction = trim_decimals(secs - secs.floor(), 3);
    let fraction = fraction.strip_prefix('0').unwrap_or("");
    let (h, m, s) = (whole / 3600, (whole % 3600) / 60, whole % 60);
    if longest_secs >= 3600.0 {
        format!("{h}:{m:02}:{s:02}{fraction}")
    } else {
        format!("{}:{s:02}{fraction}", h * 60 + m)
    }
}

/// `value` with at most `decimals` decimals, trailing zeros dropped.
#[must_use]
pub fn trim_decimals(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_three_forms() {
        assert_eq!(parse_time_secs("12.5"), Ok(12.5));
        assert_eq!(parse_time_secs("1:02.5"), Ok(62.5));
        assert_eq!(parse_time_secs(" 1:02:03 "), Ok(3723.0));
        assert!(parse_time_secs("-3").is_err());
        assert!(parse_time_secs("noon").is_err());
    }

    #[test]
    fn times_format_by_recording_length() {
        assert_eq!(format_time_secs(2.5, 12.0), "2.5");
        assert_eq!(format_time_secs(125.5, 600.0), "2:05.5");
        assert_eq!(format_time_secs(3725.0, 36_000.0), "1:02:05");
        assert_eq!(format_time_secs(59.9996, 600.0), "1:00");
        assert_eq!(trim_decimals(3.0, 2), "3");
    }
}
