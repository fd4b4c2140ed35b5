//! Taiwan time (Asia/Taipei, UTC+8 all year: no daylight saving since 1979). Staff think in
//! Taipei days, the database stores UTC; this module is where one becomes the other: local
//! display, "today", the UTC bounds of a range of days, and date inputs from forms.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

/// The UTC offset of Asia/Taipei.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The Taipei calendar day of an instant.
pub fn day_of(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&offset()).date_naive()
}

/// The instant a Taipei day begins.
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    offset()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .expect("a fixed offset has exactly one local midnight")
        .with_timezone(&Utc)
}

/// The instant of a Taipei wall-clock time (`None` only for times chrono cannot represent).
pub fn from_local(local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    offset()
        .from_local_datetime(&local)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// "2026-11-28 14:03:00" in Taipei time: what staff read, and what spreadsheets parse.
pub fn format(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&offset())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// "2026-11-28 14:03" for tables, where seconds are noise.
pub fn format_minutes(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{0:?} is not a date; use YYYY-MM-DD, for example 2026-11-28")]
    NotADate(String),
    #[error("the start date is after the end date")]
    Reversed,
    #[error("the range is longer than {MAX_RANGE_DAYS} days")]
    TooLong,
}

impl DateError {
    pub fn zh(&self) -> String {
        match self {
            DateError::NotADate(text) => {
                format!("「{text}」不是日期，請用 YYYY-MM-DD 格式，例如 2026-11-28。")
            }
            DateError::Reversed => "開始日期晚於結束日期，請調整日期範圍。".to_owned(),
            DateError::TooLong => format!("日期範圍最多 {MAX_RANGE_DAYS} 天，請縮短範圍。"),
        }
    }
}

/// The longest range a report covers (a year, with a leap day).
pub const MAX_RANGE_DAYS: i64 = 366;

/// An optional date from a form field: empty means none.
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, DateError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| DateError::NotADate(text.to_owned()))
}

/// Whole Taipei days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, DateError> {
        if from > to {
            return Err(DateError::Reversed);
        }
        if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
            return Err(DateError::TooLong);
        }
        Ok(Self { from, to })
    }

    /// The last `days` days up to and including `today`.
    pub fn last_days(today: NaiveDate, days: i64) -> Self {
        Self {
            from: today - Duration::days(days.max(1) - 1),
            to: today,
        }
    }

    /// From form fields; an empty side defaults to the last `default_days` days up to `today`.
    pub fn parse(
        from: &str,
        to: &str,
        today: NaiveDate,
        default_days: i64,
    ) -> Result<Self, DateError> {
        let default = Self::last_days(today, default_days);
        let to = parse_date(to)?.unwrap_or(default.to);
        let from = match parse_date(from)? {
            Some(from) => from,
            None => to - Duration::days(default_days.max(1) - 1),
        };
        Self::new(from, to)
    }

    /// `[start, end)` in UTC: from the start of the first day to the start of the day after the last.
    pub fn utc_bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            start_of_day(self.from),
            start_of_day(self.to + Duration::days(1)),
        )
    }

    pub fn days(&self) -> impl DoubleEndedIterator<Item = NaiveDate> + use<> {
        let from = self.from;
        (0..=(self.to - self.from).num_days()).map(move |i| from + Duration::days(i))
    }
}

/// Optional bounds of a filter on Taipei days ("bound between … and …"), either side open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayBounds {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DayBounds {
    pub fn parse(from: &str, to: &str) -> Result<Self, DateError> {
        let bounds = Self {
            from: parse_date(from)?,
            to: parse_date(to)?,
        };
        if let (Some(from), Some(to)) = (bounds.from, bounds.to)
            && from > to
        {
            return Err(DateError::Reversed);
        }
        Ok(bounds)
    }

    /// The UTC instants: at or after the first, before the second.
    pub fn utc_bounds(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        (
            self.from.map(start_of_day),
            self.to.map(|to| start_of_day(to + Duration::days(1))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_taipei_day_starts_at_16_utc_the_day_before() {
        assert_eq!(
            start_of_day(date("2026-11-28")).to_rfc3339(),
            "2026-11-27T16:00:00+00:00"
        );
        let late_evening_utc = Utc.with_ymd_and_hms(2026, 11, 27, 16, 30, 0).unwrap();
        assert_eq!(day_of(late_evening_utc), date("2026-11-28"));
        assert_eq!(format(late_evening_utc), "2026-11-28 00:30:00");
    }

    #[test]
    fn ranges_default_to_the_last_days_and_refuse_nonsense() {
        let today = date("2026-11-30");
        let range = DayRange::parse("", "", today, 30).unwrap();
        assert_eq!((range.from, range.to), (date("2026-11-01"), today));
        assert_eq!(range.days().count(), 30);
        assert_eq!(
            DayRange::parse("2026-12-01", "2026-11-01", today, 30),
            Err(DateError::Reversed)
        );
        assert_eq!(
            DayRange::parse("2024-01-01", "2026-11-01", today, 30),
            Err(DateError::TooLong)
        );
        assert!(matches!(
            DayRange::parse("yesterday", "", today, 30),
            Err(DateError::NotADate(_))
        ));
        let (start, end) = DayRange::new(today, today).unwrap().utc_bounds();
        assert_eq!(end - start, Duration::days(1));
    }

    #[test]
    fn open_bounds_stay_open() {
        let bounds = DayBounds::parse("", "2026-11-28").unwrap();
        let (from, to) = bounds.utc_bounds();
        assert_eq!(from, None);
        assert_eq!(to.unwrap().to_rfc3339(), "2026-11-28T16:00:00+00:00");
        assert!(DayBounds::parse("2026-11-29", "2026-11-28").is_err());
    }
}
