//! Durations and timestamps as Slurm prints them and as people type them.
//!
//! Slurm prints local times without a zone (`2026-11-28T16:37:50`); rv reads them in the
//! cluster's zone, given as the UTC offset the cluster reported in the same round trip, and
//! compares them with the cluster's clock, never the laptop's.

use std::fmt;

use super::ParseError;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// A length of time in whole seconds: a walltime, an elapsed time, a time left. In JSON it
/// is a number of seconds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Walltime(u64);

impl Walltime {
    /// A walltime of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Walltime(secs)
    }

    /// A walltime of `minutes` minutes.
    pub const fn from_minutes(minutes: u64) -> Self {
        Walltime(minutes * MINUTE)
    }

    /// A walltime of `hours` hours.
    pub const fn from_hours(hours: u64) -> Self {
        Walltime(hours * HOUR)
    }

    /// The length in seconds.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// Parses Slurm's forms: `MM`, `MM:SS`, `H:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`.
    pub fn from_slurm(s: &str) -> Result<Self, ParseError> {
        let err = |why: &str| ParseError::new("duration", s, why);
        let s = s.trim_ascii();
        // One pass over the bytes (every squeue row has two of these): the days before a
        // `-`, then up to three numbers separated by `:`, each of 1 to 12 digits.
        let mut days = None;
        let mut nums = [0u64; 3];
        let mut count = 0;
        let (mut value, mut digits) = (0u64, 0);
        for b in s.bytes() {
            match b {
                b'0'..=b'9' if digits < 12 => {
                    value = value * 10 + u64::from(b - b'0');
                    digits += 1;
                }
                b'-' if days.is_none() && count == 0 => {
                    if digits == 0 {
                        return Err(err("the days are not a number"));
                    }
                    days = Some(value);
                    (value, digits) = (0, 0);
                }
                b':' if digits > 0 => {
                    *nums.get_mut(count).ok_or_else(|| err("too many ':'"))? = value;
                    count += 1;
                    (value, digits) = (0, 0);
                }
                _ if days.is_none() && count == 0 && s.contains('-') => {
                    return Err(err("the days are not a number"));
                }
                _ => return Err(err("expected numbers separated by ':'")),
            }
        }
        if digits == 0 {
            return Err(err("expected numbers separated by ':'"));
        }
        *nums.get_mut(count).ok_or_else(|| err("too many ':'"))? = value;
        count += 1;
        let nums = &nums[..count];
        let secs = match (days, nums) {
            (None, [m]) => m.checked_mul(MINUTE),
            (None, [m, sec]) => checked_sum(&[(*m, MINUTE), (*sec, 1)]),
            (None, [h, m, sec]) => checked_sum(&[(*h, HOUR), (*m, MINUTE), (*sec, 1)]),
            (Some(d), [h]) => checked_sum(&[(d, DAY), (*h, HOUR)]),
            (Some(d), [h, m]) => checked_sum(&[(d, DAY), (*h, HOUR), (*m, MINUTE)]),
            (Some(d), [h, m, sec]) => checked_sum(&[(d, DAY), (*h, HOUR), (*m, MINUTE), (*sec, 1)]),
            _ => {
                return Err(err(
                    "expected MM, MM:SS, H:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS",
                ));
            }
        };
        secs.map(Walltime).ok_or_else(|| err("too long"))
    }

    /// Parses what a person types: human forms (`90m`, `2h`, `1.5h`, `3d`, `1d12h`, `45s`)
    /// and Slurm's forms with a `:` or a `-`. A bare number is refused as ambiguous (Slurm
    /// reads `24` as minutes; people usually mean hours).
    pub fn from_user(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let err = |why: &str| ParseError::new("duration", s, why);
        if t.contains([':', '-']) {
            // Slurm's forms, with each field in range (Slurm's own output is trusted as is).
            let (days, clock) = t.split_once('-').map_or((None, t), |(d, c)| (Some(d), c));
            let fields: Vec<&str> = clock.split(':').collect();
            let limits: &[u64] = match (days.is_some(), fields.len()) {
                (false, 2) => &[u64::MAX, 60],
                (false, 3) => &[u64::MAX, 60, 60],
                (true, 1) => &[24],
                (true, 2) => &[24, 60],
                (true, 3) => &[24, 60, 60],
                _ => &[u64::MAX],
            };
            for (f, &limit) in fields.iter().zip(limits) {
                if f.parse::<u64>().is_ok_and(|v| v >= limit) {
                    return Err(err(&format!("{f} is out of range (under {limit})")));
                }
            }
            return Self::from_slurm(t);
        }
        if t.is_empty() {
            return Err(err("empty; write e.g. 90m, 2h, 1.5h, 3d or 1d12h"));
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(&format!(
                "ambiguous without a unit; write {t}h or {t}m"
            )));
        }
        let mut total = 0f64;
        let mut last_scale = u64::MAX;
        let mut rest = t;
        while !rest.is_empty() {
            let n = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let (value, tail) = rest.split_at(n);
            let unit_len = tail
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(tail.len());
            let (unit, tail) = tail.split_at(unit_len);
            let value: f64 = value
                .parse()
                .map_err(|_| err("expected a number before each unit, as in 1d12h"))?;
            let scale = match unit.to_ascii_lowercase().as_str() {
                "s" | "sec" | "secs" => 1,
                "m" | "min" | "mins" => MINUTE,
                "h" | "hr" | "hrs" | "hour" | "hours" => HOUR,
                "d" | "day" | "days" => DAY,
                _ => return Err(err("units are s, m, h and d")),
            };
            if scale >= last_scale {
                return Err(err("each unit once, largest first, as in 1d12h30m"));
            }
            last_scale = scale;
            #[allow(clippy::cast_precision_loss)]
            let add = value * scale as f64;
            total += add;
            rest = tail;
        }
        if !total.is_finite() || total > 1e12 {
            return Err(err("too long"));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(Walltime(total.round() as u64))
    }
}

impl fmt::Display for Walltime {
    /// The one canonical form, which Slurm also accepts: `H:MM:SS` under a day,
    /// `D-HH:MM:SS` from a day on.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, rem) = (self.0 / DAY, self.0 % DAY);
        let (h, m, s) = (rem / HOUR, rem % HOUR / MINUTE, rem % MINUTE);
        if d > 0 {
            write!(f, "{d}-{h:02}:{m:02}:{s:02}")
        } else {
            write!(f, "{h}:{m:02}:{s:02}")
        }
    }
}

/// A time limit as Slurm reports it: a walltime, `UNLIMITED`, `INVALID`, or none set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A finite limit.
    Finite(Walltime),
    /// No limit.
    Unlimited,
    /// Slurm could not compute one (`INVALID`).
    Invalid,
    /// None was set: `Partition_Limit` (a job taking its partition's), `NOT_SET`, a
    /// partition's `DefaultTime=NONE`, `N/A`.
    Unset,
}

impl Limit {
    /// Parses a Slurm time limit field.
    pub fn from_slurm(s: &str) -> Result<Self, ParseError> {
        let s = s.trim_ascii();
        if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return Walltime::from_slurm(s).map(Limit::Finite);
        }
        match s {
            "UNLIMITED" | "infinite" => Ok(Limit::Unlimited),
            "INVALID" => Ok(Limit::Invalid),
            "Partition_Limit" | "NOT_SET" | "NONE" | "N/A" => Ok(Limit::Unset),
            other => Walltime::from_slurm(other).map(Limit::Finite),
        }
    }

    /// The finite walltime, if there is one.
    pub fn finite(self) -> Option<Walltime> {
        match self {
            Limit::Finite(w) => Some(w),
            Limit::Unlimited | Limit::Invalid | Limit::Unset => None,
        }
    }
}

/// The cluster's clock, read in the same round trip as the data it dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Seconds since the Unix epoch on the cluster.
    pub now: i64,
    /// The cluster's offset from UTC in seconds (east positive), as `date +%z` prints it.
    pub utc_offset: i32,
}

impl Clock {
    /// Parses `date +%z` output such as `-0500` or `+0530`.
    pub fn parse_offset(s: &str) -> Result<i32, ParseError> {
        let err = || ParseError::new("UTC offset", s, "expected +HHMM or -HHMM");
        let s = s.trim();
        let (sign, digits) = match s.as_bytes().first() {
            Some(b'+') => (1, &s[1..]),
            Some(b'-') => (-1, &s[1..]),
            _ => return Err(err()),
        };
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let hours: i32 = digits[..2].parse().map_err(|_| err())?;
        let minutes: i32 = digits[2..].parse().map_err(|_| err())?;
        if hours > 14 || minutes > 59 {
            return Err(err());
        }
        Ok(sign * (hours * 3600 + minutes * 60))
    }

    /// Reads a Slurm timestamp in the cluster's zone: `2026-11-28T16:37:50` (local, no zone)
    /// or plain epoch seconds (what Slurm prints with `SLURM_TIME_FORMAT=%s`). `N/A`,
    /// `Unknown`, `None` and empty mean "no time" and give `Ok(None)`.
    pub fn timestamp(&self, s: &str) -> Result<Option<i64>, ParseError> {
        let s = s.trim_ascii();
        if let Some(epoch) = epoch_seconds(s) {
            return Ok(Some(epoch));
        }
        if matches!(s, "" | "N/A" | "Unknown" | "None" | "(null)") {
            return Ok(None);
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new(
                "timestamp",
                s,
                "epoch seconds out of range",
            ));
        }
        let local = civil_seconds(s).ok_or_else(|| {
            ParseError::new(
                "timestamp",
                s,
                "expected YYYY-MM-DDTHH:MM:SS or epoch seconds",
            )
        })?;
        Ok(Some(local - i64::from(self.utc_offset)))
    }
}

/// Epoch seconds (`SLURM_TIME_FORMAT=%s`, every time field rv asks for): 1 to 18 digits,
/// read in one pass.
fn epoch_seconds(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 {
        return None;
    }
    let (head, tail) = match s.as_bytes().split_first_chunk::<8>() {
        // Today's epochs have ten digits: the first eight are read at once.
        Some((head, tail)) => (eight_digits(*head)?, tail),
        None => (0, s.as_bytes()),
    };
    tail.iter().try_fold(i64::try_from(head).ok()?, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

/// Eight ASCII digits (most significant first) as a number, in a few multiplications
/// instead of eight dependent steps; `None` if one is not a digit.
fn eight_digits(bytes: [u8; 8]) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let v = u64::from_le_bytes(bytes);
    // Every byte is 0x30..=0x39: its high nibble is 3, and adding 6 keeps it 3.
    let digits = (v & 0xf0f0_f0f0_f0f0_f0f0) == ZEROS
        && (v.wrapping_add(0x0606_0606_0606_0606) & 0xf0f0_f0f0_f0f0_f0f0) == ZEROS;
    if !digits {
        return None;
    }
    let v = v - ZEROS;
    // Pairs, then fours, then the eight: each step joins neighbours as `high * 10^k + low`.
    let v = (v.wrapping_mul(10) + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
    let v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_ffff_0000_ffff;
    Some((v.wrapping_mul(10_000) + (v >> 32)) & 0xffff_ffff)
}

/// `YYYY-MM-DDTHH:MM[:SS]` as seconds since the epoch of a clock at UTC+0.
fn civil_seconds(s: &str) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, mo, day) = (d.next()?, d.next()?, d.next()?);
    if y.len() != 4 || mo.len() != 2 || day.len() != 2 {
        return None;
    }
    let (y, mo, day): (i64, i64, i64) = (y.parse().ok()?, mo.parse().ok()?, day.parse().ok()?);
    let t: Vec<&str> = time.split(':').collect();
    if !(2..=3).contains(&t.len())
        || t.iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (h, mi): (i64, i64) = (t[0].parse().ok()?, t[1].parse().ok()?);
    let sec: i64 = t.get(2).map_or(Some(0), |p| p.parse().ok())?;
    if !(1..=12).contains(&mo)
        || !(1..=days_in_month(y, mo)).contains(&day)
        || h > 23
        || mi > 59
        || sec > 60
    {
        return None;
    }
    Some(days_from_civil(y, mo, day) * 86_400 + h * 3600 + mi * 60 + sec)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `epoch` seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_utc(epoch: i64) -> String {
    let (days, secs) = (epoch.div_euclid(86_400), epoch.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn checked_sum(terms: &[(u64, u64)]) -> Option<u64> {
    terms.iter().try_fold(0u64, |acc, &(n, unit)| {
        acc.checked_add(n.checked_mul(unit)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slurm(s: &str) -> u64 {
        Walltime::from_slurm(s).unwrap().as_secs()
    }
    fn user(s: &str) -> u64 {
        Walltime::from_user(s).unwrap().as_secs()
    }

    #[test]
    fn reads_every_slurm_form() {
        assert_eq!(slurm("30"), 30 * 60);
        assert_eq!(slurm("30:15"), 30 * 60 + 15);
        assert_eq!(slurm("2:59:00"), 2 * 3600 + 59 * 60);
        assert_eq!(slurm("23:59:24"), 23 * 3600 + 59 * 60 + 24);
        assert_eq!(slurm("2-12"), 2 * 86400 + 12 * 3600);
        assert_eq!(slurm("1-00:30"), 86400 + 30 * 60);
        assert_eq!(slurm("3-00:00:00"), 3 * 86400);
        assert_eq!(slurm("0:24"), 24);
        assert_eq!(Limit::from_slurm("UNLIMITED"), Ok(Limit::Unlimited));
        assert_eq!(Limit::from_slurm("INVALID"), Ok(Limit::Invalid));
        assert_eq!(Limit::from_slurm("Partition_Limit"), Ok(Limit::Unset));
        assert_eq!(Limit::from_slurm("NOT_SET"), Ok(Limit::Unset));
        assert_eq!(Limit::from_slurm("NONE"), Ok(Limit::Unset));
        assert_eq!(Limit::from_slurm("NONE").unwrap().finite(), None);
        assert_eq!(
            Limit::from_slurm("12:00:00").unwrap().finite(),
            Some(Walltime::from_hours(12))
        );
    }

    #[test]
    fn reads_human_forms() {
        assert_eq!(user("90m"), 90 * 60);
        assert_eq!(user("2h"), 7200);
        assert_eq!(user("1.5h"), 5400);
        assert_eq!(user("3d"), 3 * 86400);
        assert_eq!(user("1d12h"), 36 * 3600);
        assert_eq!(user("2h30m"), 9000);
        assert_eq!(user("45s"), 45);
        assert_eq!(user("24H"), 24 * 3600);
        assert_eq!(
            user("2:59:00"),
            2 * 3600 + 59 * 60,
            "Slurm forms are accepted too"
        );
        assert_eq!(user("1-00:00:00"), 86400);
    }

    #[test]
    fn refuses_garbage_with_a_reason() {
        for bad in [
            "",
            "x",
            "2x",
            "h",
            "1..5h",
            "1:2:3:4",
            "a-1",
            "1-",
            "-5",
            "1-2:3:4:5",
            ":",
            "99999999999999999999",
            "25:99",
            "2:60:00",
            "1-24:00:00",
            "1-3:75",
            "1h2h",
            "30m1h",
        ] {
            let err = Walltime::from_user(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("cannot parse duration"),
                "{bad:?}: {err}"
            );
        }
        let err = Walltime::from_user("24").unwrap_err();
        assert!(err.to_string().contains("write 24h or 24m"), "{err}");
    }

    #[test]
    fn prints_one_canonical_form() {
        assert_eq!(Walltime::from_minutes(30).to_string(), "0:30:00");
        assert_eq!(
            Walltime::from_secs(2 * 3600 + 59 * 60).to_string(),
            "2:59:00"
        );
        assert_eq!(Walltime::from_hours(24).to_string(), "1-00:00:00");
        assert_eq!(
            Walltime::from_secs(3 * 86400 + 61).to_string(),
            "3-00:01:01"
        );
    }

    #[test]
    fn reads_timestamps_in_the_cluster_zone() {
        let eastern = Clock {
            now: 0,
            utc_offset: Clock::parse_offset("-0500").unwrap(),
        };
        // 2026-11-28T16:37:50 in UTC-5 is 21:37:50 UTC.
        assert_eq!(
            eastern.timestamp("2026-11-28T16:37:50"),
            Ok(Some(1_795_901_870)),
            "date -d agrees"
        );
        let utc = Clock {
            now: 0,
            utc_offset: 0,
        };
        assert_eq!(utc.timestamp("1970-01-01T00:00:00"), Ok(Some(0)));
        assert_eq!(utc.timestamp("2000-02-29T12:00"), Ok(Some(951_825_600)));
        assert_eq!(utc.timestamp("1796333870"), Ok(Some(1_796_333_870)));
        for none in ["N/A", "Unknown", "None", ""] {
            assert_eq!(utc.timestamp(none), Ok(None));
        }
        for bad in [
            "2026-02-30T00:00:00",
            "2026-11-28 16:37:50",
            "2026-13-01T00:00:00",
            "2026-11-28T24:00:00",
            "tomorrow",
        ] {
            assert!(utc.timestamp(bad).is_err(), "{bad}");
        }
        assert_eq!(Clock::parse_offset("+0530"), Ok(5 * 3600 + 30 * 60));
        assert!(Clock::parse_offset("EST").is_err());
    }

    proptest! {
        #[test]
        fn epoch_seconds_read_as_str_parse_reads_them(s in "[0-9]{1,18}|[0-9/:]{0,12}") {
            prop_assert_eq!(epoch_seconds(&s), s.parse::<i64>().ok().filter(|_| s.bytes().all(|b| b.is_ascii_digit())));
        }

        #[test]
        fn printed_walltimes_read_back(secs in 0u64..400 * 86400) {
            let w = Walltime::from_secs(secs);
            prop_assert_eq!(Walltime::from_slurm(&w.to_string()), Ok(w));
            prop_assert_eq!(Walltime::from_user(&w.to_string()), Ok(w));
        }

        #[test]
        fn every_slurm_form_reads_exactly(d in 0u64..400, h in 0u64..100, m in 0u64..100, sec in 0u64..100, form in 0usize..6) {
            let (text, secs) = match form {
                0 => (format!("{m}"), m * 60),
                1 => (format!("{m}:{sec:02}"), m * 60 + sec),
                2 => (format!("{h}:{m:02}:{sec:02}"), h * 3600 + m * 60 + sec),
                3 => (format!("{d}-{h:02}"), d * 86400 + h * 3600),
                4 => (format!("{d}-{h:02}:{m:02}"), d * 86400 + h * 3600 + m * 60),
                _ => (format!("{d}-{h}:{m}:{sec}"), d * 86400 + h * 3600 + m * 60 + sec),
            };
            prop_assert_eq!(Walltime::from_slurm(&text), Ok(Walltime::from_secs(secs)));
            prop_assert_eq!(Limit::from_slurm(&format!(" {text} ")), Ok(Limit::Finite(Walltime::from_secs(secs))));
        }

        #[test]
        fn duration_parsers_never_panic(s in "\\PC{0,24}") {
            let _ = Walltime::from_user(&s);
            let _ = Walltime::from_slurm(&s);
            let _ = Limit::from_slurm(&s);
        }

        #[test]
        fn timestamps_never_panic(s in "[0-9T:N/A-]{0,24}", offset in -50_000i32..50_000) {
            let clock = Clock { now: 0, utc_offset: offset };
            let _ = clock.timestamp(&s);
            let _ = Clock::parse_offset(&s);
        }
    }

    #[test]
    fn utc_dates_round_trip_through_day_counts() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(1_795_891_055), "2026-11-28 18:37:35 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }
}
