//! The EdgeGrid timestamp, `yyyyMMddTHH:mm:ss+0000` in UTC.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Length of `20240521T10:11:12+0000`.
const LEN: usize = 22;
/// 0000-01-01T00:00:00Z.
const MIN_SECS: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z.
const MAX_SECS: i64 = 253_402_300_799;

thread_local! {
    static LAST_NOW: Cell<Option<Timestamp>> = const { Cell::new(None) };
}

/// A signing timestamp: a UTC second, written `yyyyMMddTHH:mm:ss+0000` (literally `+0000`).
///
/// ```
/// use akamai_sdk::edgegrid::Timestamp;
///
/// let t: Timestamp = "20140321T19:34:21+0000".parse().unwrap();
/// assert_eq!(t.unix_seconds(), 1_395_430_461);
/// assert_eq!(Timestamp::from_unix_seconds(1_395_430_461).unwrap().as_str(), "20140321T19:34:21+0000");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    secs: i64,
    text: [u8; LEN],
}

impl Timestamp {
    /// The current time of the system clock. A clock outside the years 0000–9999 is clamped.
    pub fn now() -> Self {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(MAX_SECS),
            Err(e) => i64::try_from(e.duration().as_secs()).map_or(MIN_SECS, |s| -s),
        };
        // Formatting happens once per second and thread.
        LAST_NOW.with(|last| match last.get() {
            Some(t) if t.secs == secs => t,
            _ => {
                let t = Self::from_clamped(secs);
                last.set(Some(t));
                t
            }
        })
    }

    /// The timestamp of a Unix time in seconds, or `None` outside the years 0000–9999.
    pub fn from_unix_seconds(secs: i64) -> Option<Self> {
        (MIN_SECS..=MAX_SECS)
            .contains(&secs)
            .then(|| Self::from_clamped(secs))
    }

    /// The timestamp of a [`SystemTime`] (sub-seconds dropped), or `None` outside the years
    /// 0000–9999.
    pub fn from_system_time(time: SystemTime) -> Option<Self> {
        let secs = match time.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).ok()?,
            Err(e) => {
                let d = e.duration();
                let whole = i64::try_from(d.as_secs()).ok()?;
                // Round towards minus infinity: 0.5 s before the epoch is 1969-12-31T23:59:59.
                if d.subsec_nanos() > 0 {
                    -whole - 1
                } else {
                    -whole
                }
            }
        };
        Self::from_unix_seconds(secs)
    }

    fn from_clamped(secs: i64) -> Self {
        let secs = secs.clamp(MIN_SECS, MAX_SECS);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let mut text = *b"00000000T00:00:00+0000";
        put_digits(&mut text[0..4], year);
        put_digits(&mut text[4..6], month);
        put_digits(&mut text[6..8], day);
        put_digits(&mut text[9..11], rem / 3600);
        put_digits(&mut text[12..14], rem / 60 % 60);
        put_digits(&mut text[15..17], rem % 60);
        Self { secs, text }
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// The text, `yyyyMMddTHH:mm:ss+0000`.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and `T:+` are ever written.
        std::str::from_utf8(&self.text).unwrap_or_default()
    }
}

fn put_digits(out: &mut [u8], mut value: i64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) to days since 1970-01-01 (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.as_str())
    }
}

/// The text is not an EdgeGrid timestamp `yyyyMMddTHH:mm:ss+0000`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid EdgeGrid timestamp {0:?}: expected yyyyMMddTHH:mm:ss+0000 (UTC)")]
pub struct TimestampParseError(String);

impl FromStr for Timestamp {
    type Err = TimestampParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || TimestampParseError(text.chars().take(40).collect());
        let b = text.as_bytes();
        if b.len() != LEN
            || &b[8..9] != b"T"
            || b[11] != b':'
            || b[14] != b':'
            || &b[17..] != b"+0000"
        {
            return Err(err());
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            b[range].iter().try_fold(0i64, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
            })
        };
        let fields = (|| {
            Some((
                num(0..4)?,
                num(4..6)?,
                num(6..8)?,
                num(9..11)?,
                num(12..14)?,
                num(15..17)?,
            ))
        })();
        let (year, month, day, hour, minute, second) = fields.ok_or_else(err)?;
        if !(1..=12).contains(&month)
            || !(1..=days_in_month(year, month)).contains(&day)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(err());
        }
        let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        Ok(Self::from_clamped(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_known_instants() {
        let cases = [
            (0, "19700101T00:00:00+0000"),
            (1_395_430_461, "20140321T19:34:21+0000"),
            (951_782_400, "20000229T00:00:00+0000"),
            (-1, "19691231T23:59:59+0000"),
            (MIN_SECS, "00000101T00:00:00+0000"),
            (MAX_SECS, "99991231T23:59:59+0000"),
        ];
        for (secs, text) in cases {
            let t = Timestamp::from_unix_seconds(secs).unwrap();
            assert_eq!(t.as_str(), text);
            assert_eq!(text.parse::<Timestamp>().unwrap(), t);
        }
        assert!(Timestamp::from_unix_seconds(MAX_SECS + 1).is_none());
        assert!(Timestamp::from_unix_seconds(MIN_SECS - 1).is_none());
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "2014-03-21T19:34:21Z",
            "20140321T19:34:21Z",
            "20140321T19:34:21+0100",
            "20140230T19:34:21+0000",
            "20141321T19:34:21+0000",
            "20140321T24:00:00+0000",
            "20140321T19:60:21+0000",
            "2014032xT19:34:21+0000",
            "20140321T19:34:21+00000",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
    }

    #[test]
    fn now_is_close_to_the_system_clock() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let now = Timestamp::now().unix_seconds();
        assert!((now - before).abs() <= 2);
        assert_eq!(
            Timestamp::from_system_time(UNIX_EPOCH - std::time::Duration::from_millis(500))
                .unwrap()
                .unix_seconds(),
            -1
        );
    }

    proptest! {
        #[test]
        fn round_trips_through_text(secs in MIN_SECS..=MAX_SECS) {
            let t = Timestamp::from_unix_seconds(secs).unwrap();
            prop_assert_eq!(t.as_str().parse::<Timestamp>().unwrap(), t);
        }
    }
}
