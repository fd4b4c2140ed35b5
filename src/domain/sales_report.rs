//! The sales report (業績報表) as staff ask for it and read it: the period (per Taiwan day or per
//! month), the figures of one row (orders, sales, refunds and members who bought, online and in
//! store), the geometry of its bar chart (the template draws the SVG), and the lines of its
//! orders export.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};

use super::amount::ntd;
use super::attribution::UnattributedReason;
use super::spreadsheet::safe_cell;
use super::taipei_time::{self, DayRange, parse_date};
use crate::domain::orders::SalesChannel;

/// The longest range of a per-day report: a quarter. Longer ranges read better per month.
pub const MAX_DAYS: i64 = 92;
/// The longest range of a per-month report.
pub const MAX_MONTHS: i32 = 24;
/// Per-day reports cover the last 30 days by default.
pub const DEFAULT_DAYS: i64 = 30;
/// Per-month reports cover the last 6 months (this one included) by default.
pub const DEFAULT_MONTHS: u32 = 6;

/// One row of the report per Taiwan day or per calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Month,
}

impl Granularity {
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Month => "month",
        }
    }
}

/// Why the period asked for was refused; every message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("per must be day or month")]
    Granularity,
    #[error("{0:?} is not a date or a month; use 2026-11-28 or 2026-11")]
    NotADate(String),
    #[error("the start is after the end")]
    Reversed,
    #[error("a per-day report covers at most {MAX_DAYS} days; choose a shorter range or per month")]
    TooManyDays,
    #[error("a per-month report covers at most {MAX_MONTHS} months")]
    TooManyMonths,
}

impl PeriodError {
    pub fn message_zh(&self) -> String {
        match self {
            PeriodError::Granularity => "請選擇逐日或逐月（per=day 或 per=month）。".to_owned(),
            PeriodError::NotADate(text) => {
                format!("「{text}」不是日期或月份，請用 2026-11-28 或 2026-11 的格式。")
            }
            PeriodError::Reversed => "開始日期晚於結束日期，請調整期間。".to_owned(),
            PeriodError::TooManyDays => {
                format!("逐日報表最多 {MAX_DAYS} 天，請縮短期間，或改看逐月報表。")
            }
            PeriodError::TooManyMonths => format!("逐月報表最多 {MAX_MONTHS} 個月，請縮短期間。"),
        }
    }
}

/// The Taiwan days a report covers, reported per day or per month. A per-month period always
/// covers whole months, so each row is a month's full total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalesPeriod {
    pub granularity: Granularity,
    pub range: DayRange,
}

impl SalesPeriod {
    /// From the query: `per` (`day`, the default, or `month`), `from` and `to` as dates
    /// (`2026-11-28`) or months (`2026-11`: from its first day, to its last). An empty side
    /// defaults to the last 30 days, or the last 6 months, up to `today`.
    pub fn parse(per: &str, from: &str, to: &str, today: NaiveDate) -> Result<Self, PeriodError> {
        let granularity = match per.trim() {
            "" | "day" => Granularity::Day,
            "month" => Granularity::Month,
            _ => return Err(PeriodError::Granularity),
        };
        let from = parse_day_or_month(from)?.map(|(first, _)| first);
        let to = parse_day_or_month(to)?.map(|(_, last)| last);
        match granularity {
            Granularity::Day => {
                let to = to.unwrap_or(today);
                let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
                Self::days(from, to)
            }
            Granularity::Month => {
                let to = to.unwrap_or(today);
                let from =
                    from.unwrap_or_else(|| first_of_month(to) - Months::new(DEFAULT_MONTHS - 1));
                Self::months(from, to)
            }
        }
    }

    /// Every day from `from` to `to`, per day.
    pub fn days(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if from > to {
            return Err(PeriodError::Reversed);
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(PeriodError::TooManyDays);
        }
        Ok(Self {
            granularity: Granularity::Day,
            range: DayRange { from, to },
        })
    }

    /// The whole months from `from`'s to `to`'s, per month.
    pub fn months(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if from > to {
            return Err(PeriodError::Reversed);
        }
        let (from, to) = (first_of_month(from), last_of_month(to));
        if months_between(from, to) > MAX_MONTHS {
            return Err(PeriodError::TooManyMonths);
        }
        Ok(Self {
            granularity: Granularity::Month,
            range: DayRange { from, to },
        })
    }

    /// The first and last day as `booked_day` keys (`20261128`).
    pub fn day_keys(&self) -> (i32, i32) {
        (day_key(self.range.from), day_key(self.range.to))
    }

    /// The first and last month as `booked_month` keys (`202611`).
    pub fn month_keys(&self) -> (i32, i32) {
        (month_key(self.range.from), month_key(self.range.to))
    }

    /// The key of every row, in order: `booked_day` or `booked_month` values.
    pub fn keys(&self) -> Vec<i32> {
        match self.granularity {
            Granularity::Day => self.range.days().map(day_key).collect(),
            Granularity::Month => {
                let mut keys = Vec::new();
                let mut month = self.range.from;
                while month <= self.range.to {
                    keys.push(month_key(month));
                    month = month + Months::new(1);
                }
                keys
            }
        }
    }

    /// How a row's key reads: `2026-11-28` or `2026-11`.
    pub fn label(&self, key: i32) -> String {
        match self.granularity {
            Granularity::Day => format!(
                "{:04}-{:02}-{:02}",
                key / 10_000,
                key / 100 % 100,
                key % 100
            ),
            Granularity::Month => format!("{:04}-{:02}", key / 100, key % 100),
        }
    }

    /// The `from` and `to` values that ask for this period again (`2026-11` per month).
    pub fn query_bounds(&self) -> (String, String) {
        match self.granularity {
            Granularity::Day => (self.range.from.to_string(), self.range.to.to_string()),
            Granularity::Month => (
                self.range.from.format("%Y-%m").to_string(),
                self.range.to.format("%Y-%m").to_string(),
            ),
        }
    }
}

/// `2026-11-28` is that day twice; `2026-11` is its first and its last day.
fn parse_day_or_month(text: &str) -> Result<Option<(NaiveDate, NaiveDate)>, PeriodError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(first) = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        && text.len() <= 7
    {
        return Ok(Some((first, last_of_month(first))));
    }
    match parse_date(text) {
        Ok(Some(day)) => Ok(Some((day, day))),
        _ => Err(PeriodError::NotADate(text.chars().take(40).collect())),
    }
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

fn last_of_month(day: NaiveDate) -> NaiveDate {
    first_of_month(day) + Months::new(1) - Duration::days(1)
}

fn months_between(from: NaiveDate, to: NaiveDate) -> i32 {
    (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1
}

/// `20261128`, as `orders.booked_day` and `sales_daily.booked_day` store it.
pub fn day_key(day: NaiveDate) -> i32 {
    month_key(day) * 100 + day.day() as i32
}

/// `202611`, as `booked_month` stores it.
pub fn month_key(day: NaiveDate) -> i32 {
    day.year() * 100 + day.month() as i32
}

/// Orders, sales and refunds of one channel (or of both together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    pub orders: u64,
    /// Sales, NT$.
    pub gross: i64,
    pub refunds: u64,
    /// Refunded, NT$: zero or negative, like the refund rows.
    pub refunded: i64,
}

impl Amounts {
    pub fn net(&self) -> i64 {
        self.gross + self.refunded
    }

    pub fn add(&mut self, other: &Amounts) {
        self.orders += other.orders;
        self.gross += other.gross;
        self.refunds += other.refunds;
        self.refunded += other.refunded;
    }
}

/// The figures of one row: online and in-store amounts, and how many different members bought.
/// Members are counted once per row however many orders and channels they bought through, so
/// rows' buyers do not add up to a total (the total is counted on its own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesFigures {
    pub online: Amounts,
    pub in_store: Amounts,
    pub buyers: u64,
}

impl SalesFigures {
    pub fn channel_mut(&mut self, channel: SalesChannel) -> &mut Amounts {
        match channel {
            SalesChannel::Online => &mut self.online,
            SalesChannel::InStore => &mut self.in_store,
        }
    }

    /// Both channels together.
    pub fn total(&self) -> Amounts {
        let mut total = self.online;
        total.add(&self.in_store);
        total
    }

    pub fn is_empty(&self) -> bool {
        self.total() == Amounts::default() && self.buyers == 0
    }

    /// Amounts as staff read them.
    pub fn gross_text(&self) -> String {
        ntd(self.total().gross)
    }

    pub fn refunded_text(&self) -> String {
        ntd(self.total().refunded)
    }

    pub fn net_text(&self) -> String {
        ntd(self.total().net())
    }

    pub fn online_net_text(&self) -> String {
        ntd(self.online.net())
    }

    pub fn in_store_net_text(&self) -> String {
        ntd(self.in_store.net())
    }
}

/// One bar of the chart: a period's net sales, online stacked under in-store. A channel whose
/// net is negative (more refunded than sold that period) is drawn as zero; the title says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartBar {
    pub x: u32,
    pub width: u32,
    pub online_y: u32,
    pub online_height: u32,
    pub in_store_y: u32,
    pub in_store_height: u32,
    /// The period under the bar, or empty where labels would crowd.
    pub label: String,
    pub label_x: u32,
    /// The hover text: period and both nets.
    pub title: String,
}

/// A horizontal line of the value axis, with its amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gridline {
    pub y: u32,
    pub label: String,
}

/// Net sales per period as stacked bars: the tallest as tall as the plot area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesChart {
    pub width: u32,
    pub height: u32,
    pub plot_x: u32,
    pub plot_width: u32,
    /// The baseline (value 0).
    pub base_y: u32,
    pub label_y: u32,
    pub bars: Vec<ChartBar>,
    pub gridlines: Vec<Gridline>,
}

impl SalesChart {
    const WIDTH: u32 = 720;
    const PLOT_X: u32 = 84;
    const PLOT_TOP: u32 = 12;
    const PLOT_HEIGHT: u32 = 200;
    const GRIDLINES: u32 = 4;
    /// At most this many period labels under the axis; the others are in the bars' titles.
    const MAX_LABELS: usize = 12;

    /// `periods`: each period's label with its online and in-store net, in order.
    pub fn new(periods: &[(String, i64, i64)]) -> Self {
        let plot_width = Self::WIDTH - Self::PLOT_X - 8;
        let base_y = Self::PLOT_TOP + Self::PLOT_HEIGHT;
        let stacked = |online: i64, in_store: i64| online.max(0) + in_store.max(0);
        let max = periods
            .iter()
            .map(|(_, online, in_store)| stacked(*online, *in_store))
            .max()
            .unwrap_or(0);
        let top = nice_ceiling(max);
        let scale = |value: i64| -> u32 {
            let value = value.max(0) as u128;
            (value * Self::PLOT_HEIGHT as u128 / top as u128) as u32
        };
        let n = periods.len().max(1) as u32;
        let slot = plot_width / n;
        let bar_width = (slot * 3 / 4).max(1);
        let label_every = periods.len().div_ceil(Self::MAX_LABELS).max(1);
        let bars = periods
            .iter()
            .enumerate()
            .map(|(i, (label, online, in_store))| {
                let x = Self::PLOT_X + i as u32 * slot + (slot - bar_width) / 2;
                let online_height = scale(*online);
                let total_height = scale(stacked(*online, *in_store));
                let in_store_height = total_height.saturating_sub(online_height);
                ChartBar {
                    x,
                    width: bar_width,
                    online_y: base_y - online_height,
                    online_height,
                    in_store_y: base_y - total_height,
                    in_store_height,
                    label: if i % label_every == 0 {
                        label.clone()
                    } else {
                        String::new()
                    },
                    label_x: x + bar_width / 2,
                    title: format!(
                        "{label}：線上 Online {}，門市 In store {}",
                        ntd(*online),
                        ntd(*in_store)
                    ),
                }
            })
            .collect();
        let gridlines = (0..=Self::GRIDLINES)
            .map(|step| Gridline {
                y: base_y - Self::PLOT_HEIGHT * step / Self::GRIDLINES,
                label: ntd(top * i64::from(step) / i64::from(Self::GRIDLINES)),
            })
            .collect();
        Self {
            width: Self::WIDTH,
            height: base_y + 28,
            plot_x: Self::PLOT_X,
            plot_width,
            base_y,
            label_y: base_y + 18,
            bars,
            gridlines,
        }
    }
}

/// The axis top: the smallest of 1, 2, 4, 5, 8 × 10ⁿ that is at least `max` (at least 4, so
/// the four gridlines are whole dollars).
fn nice_ceiling(max: i64) -> i64 {
    if max <= 4 {
        return 4;
    }
    let mut power = 1i64;
    while power.saturating_mul(10) < max {
        power = power.saturating_mul(10);
    }
    [1, 2, 4, 5, 8, 10]
        .into_iter()
        .map(|step| power.saturating_mul(step))
        .find(|&candidate| candidate >= max)
        .unwrap_or(i64::MAX)
}

/// What an order credited, as its snapshot says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credited {
    /// The store only (store-level attribution, or the store's own QR at clerk level).
    Store,
    /// The store and the clerk whose card the shopper scanned.
    Clerk,
    /// Nobody, for this reason.
    Nobody(Option<UnattributedReason>),
}

impl Credited {
    /// 歸因層級 as the export writes it.
    pub fn zh(self) -> &'static str {
        match self {
            Credited::Store => "門市",
            Credited::Clerk => "店員",
            Credited::Nobody(_) => "未歸因",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Credited::Store => "store",
            Credited::Clerk => "clerk",
            Credited::Nobody(_) => "unattributed",
        }
    }

    /// Why nobody was credited, in words HQ can act on.
    pub fn reason_zh(self) -> &'static str {
        match self {
            Credited::Nobody(Some(reason)) => match reason {
                UnattributedReason::NoCustomer => "訂單沒有會員資料",
                UnattributedReason::UnknownMember => "找不到這位會員",
                UnattributedReason::NotBound => "會員尚未綁定門市",
                UnattributedReason::BeforeBinding => "綁定之前的訂單",
                UnattributedReason::WindowExpired => "超過歸因有效期限",
            },
            _ => "",
        }
    }
}

/// One booking of the orders export (業績明細): a sale, or a refund of one (negative), with the
/// names of what it credited (today's names of the snapshot's store, group and clerk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub order_id: i64,
    /// A refund (or cancellation) row: `amount` is negative.
    pub refund: bool,
    pub channel: SalesChannel,
    pub source: String,
    pub external_id: String,
    /// NT$: positive for a sale, negative for a refund.
    pub amount: i64,
    pub ordered_at: DateTime<Utc>,
    pub credited: Credited,
    /// The credited store's group then (empty: none, or nobody credited).
    pub group: String,
    pub store_code: String,
    pub store_name: String,
    /// The credited clerk (操作人), empty at store level.
    pub clerk: String,
    pub member_id: Option<i32>,
    /// The member's name as every page shows it; empty without a member.
    pub member: String,
    /// As the reader may see it: whole for HQ, masked for store staff.
    pub phone: String,
    /// Who recorded an in-store purchase (or whose token or import sent it).
    pub entered_by: String,
}

/// The export's header: the seven columns first, in its order, then what HQ needs to
/// match a line to its order.
pub const ORDER_LINE_HEADER: [&str; 16] = [
    "門市所屬群組",
    "門市名稱",
    "操作人",
    "會員",
    "輸入日期",
    "訂單金額",
    "歸因層級",
    "門市代碼",
    "會員電話",
    "會員編號",
    "通路",
    "類型",
    "來源",
    "訂單編號",
    "登錄人員",
    "未歸因原因",
];

impl OrderLine {
    /// The line's cells, in [`ORDER_LINE_HEADER`]'s order. Text that came from people or shops
    /// is defused against spreadsheet formulas; amounts are plain integers (a negative number is
    /// a number to a spreadsheet, not a formula).
    pub fn cells(&self) -> [String; 16] {
        [
            safe_cell(&self.group),
            safe_cell(&self.store_name),
            safe_cell(&self.clerk),
            safe_cell(&self.member),
            taipei_time::format(self.ordered_at),
            self.amount.to_string(),
            self.credited.zh().to_owned(),
            safe_cell(&self.store_code),
            safe_cell(&self.phone),
            self.member_id.map(|id| id.to_string()).unwrap_or_default(),
            match self.channel {
                SalesChannel::Online => "線上",
                SalesChannel::InStore => "門市",
            }
            .to_owned(),
            if self.refund { "退款" } else { "銷售" }.to_owned(),
            safe_cell(&self.source),
            safe_cell(&self.external_id),
            safe_cell(&self.entered_by),
            self.credited.reason_zh().to_owned(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn per_day_defaults_to_the_last_30_days_and_per_month_to_the_last_6_months() {
        let today = date("2026-12-05");
        let days = SalesPeriod::parse("", "", "", today).unwrap();
        assert_eq!(days.granularity, Granularity::Day);
        assert_eq!(
            (days.range.from, days.range.to),
            (date("2026-11-06"), today)
        );
        assert_eq!(days.keys().len(), 30);
        let months = SalesPeriod::parse("month", "", "", today).unwrap();
        assert_eq!(
            (months.range.from, months.range.to),
            (date("2026-07-01"), date("2026-12-31"))
        );
        assert_eq!(
            months.keys(),
            vec![202607, 202608, 202609, 202610, 202611, 202612]
        );
        assert_eq!(months.label(202607), "2026-07");
        assert_eq!(months.query_bounds(), ("2026-07".into(), "2026-12".into()));
    }

    #[test]
    fn months_are_whole_and_dates_or_months_are_accepted() {
        let today = date("2026-12-05");
        let month = SalesPeriod::parse("month", "2026-11-15", "2026-11-16", today).unwrap();
        assert_eq!(
            (month.range.from, month.range.to),
            (date("2026-11-01"), date("2026-11-30"))
        );
        assert_eq!(month.month_keys(), (202611, 202611));
        assert_eq!(month.day_keys(), (20261101, 20261130));
        let february = SalesPeriod::parse("day", "2028-02", "2028-02", today).unwrap();
        assert_eq!(february.range.to, date("2028-02-29"));
        assert_eq!(february.keys().first(), Some(&20280201));
        assert_eq!(february.label(20280229), "2028-02-29");
        let year_end = SalesPeriod::parse("month", "2026-11", "2027-02", today).unwrap();
        assert_eq!(year_end.keys(), vec![202611, 202612, 202701, 202702]);
    }

    #[test]
    fn nonsense_periods_are_refused_with_a_reason() {
        let today = date("2026-12-05");
        assert_eq!(
            SalesPeriod::parse("week", "", "", today),
            Err(PeriodError::Granularity)
        );
        assert!(matches!(
            SalesPeriod::parse("day", "yesterday", "", today),
            Err(PeriodError::NotADate(_))
        ));
        assert!(matches!(
            SalesPeriod::parse("day", "2026-13", "", today),
            Err(PeriodError::NotADate(_))
        ));
        assert_eq!(
            SalesPeriod::parse("day", "2026-12-01", "2026-11-01", today),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            SalesPeriod::parse("day", "2026-01-01", "2026-12-01", today),
            Err(PeriodError::TooManyDays)
        );
        assert!(SalesPeriod::parse("day", "2026-09-01", "2026-11-30", today).is_ok());
        assert!(SalesPeriod::parse("month", "2025-01", "2026-12", today).is_ok());
        assert_eq!(
            SalesPeriod::parse("month", "2024-12", "2026-12", today),
            Err(PeriodError::TooManyMonths)
        );
        assert!(PeriodError::TooManyDays.message_zh().contains("92"));
    }

    #[test]
    fn figures_add_channels_and_net_out_refunds() {
        let mut figures = SalesFigures::default();
        figures.channel_mut(SalesChannel::Online).add(&Amounts {
            orders: 2,
            gross: 1_500,
            refunds: 1,
            refunded: -300,
        });
        figures.channel_mut(SalesChannel::InStore).add(&Amounts {
            orders: 1,
            gross: 800,
            refunds: 0,
            refunded: 0,
        });
        let total = figures.total();
        assert_eq!((total.orders, total.gross, total.net()), (3, 2_300, 2_000));
        assert_eq!(figures.net_text(), "NT$2,000");
        assert_eq!(figures.refunded_text(), "-NT$300");
        assert_eq!(figures.online_net_text(), "NT$1,200");
        assert!(!figures.is_empty());
        assert!(SalesFigures::default().is_empty());
    }

    #[test]
    fn the_tallest_bar_fills_the_plot_and_channels_stack() {
        let chart = SalesChart::new(&[
            ("2026-11-01".into(), 600, 400),
            ("2026-11-02".into(), 0, 0),
            ("2026-11-03".into(), -50, 200),
        ]);
        let [first, empty, refunded] = &chart.bars[..] else {
            panic!("three bars")
        };
        // 1,000 is the axis top: the first bar is the whole plot, online 60 % of it.
        assert_eq!(first.online_height + first.in_store_height, 200);
        assert_eq!(first.online_height, 120);
        assert_eq!(first.in_store_y + first.in_store_height, first.online_y);
        assert_eq!(first.online_y + first.online_height, chart.base_y);
        assert_eq!((empty.online_height, empty.in_store_height), (0, 0));
        // A negative channel is drawn as nothing, the title tells the amount.
        assert_eq!(refunded.online_height, 0);
        assert_eq!(refunded.in_store_height, 40);
        assert!(refunded.title.contains("-NT$50"));
        assert_eq!(chart.gridlines.last().unwrap().label, "NT$1,000");
        assert!(chart.bars.iter().all(|b| b.x + b.width <= chart.width));
    }

    #[test]
    fn labels_thin_out_on_long_ranges() {
        let periods: Vec<(String, i64, i64)> =
            (1..=90).map(|d| (format!("day {d}"), d, 0)).collect();
        let chart = SalesChart::new(&periods);
        let shown = chart.bars.iter().filter(|b| !b.label.is_empty()).count();
        assert!((1..=12).contains(&shown), "{shown}");
        assert_eq!(chart.bars.len(), 90);
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_ceiling(0), 4);
        assert_eq!(nice_ceiling(3), 4);
        assert_eq!(nice_ceiling(7), 8);
        assert_eq!(nice_ceiling(1_000), 1_000);
        assert_eq!(nice_ceiling(1_001), 2_000);
        assert_eq!(nice_ceiling(4_500_000), 5_000_000);
        assert_eq!(nice_ceiling(23_000), 40_000);
    }

    #[test]
    fn an_order_line_reads_in_taipei_time_with_names_defused_and_refunds_negative() {
        let line = OrderLine {
            order_id: 7,
            refund: true,
            channel: SalesChannel::InStore,
            source: "pos".to_owned(),
            external_id: "=cmd|'/c calc'!A1".to_owned(),
            amount: -300,
            ordered_at: "2026-11-10T16:30:00Z".parse().unwrap(),
            credited: Credited::Clerk,
            group: "北區".to_owned(),
            store_code: "A01".to_owned(),
            store_name: "-折扣店".to_owned(),
            clerk: "小美".to_owned(),
            member_id: Some(3),
            member: "王小明".to_owned(),
            phone: "+886912345678".to_owned(),
            entered_by: String::new(),
        };
        let cells = line.cells();
        assert_eq!(cells.len(), ORDER_LINE_HEADER.len());
        assert_eq!(
            cells[..7],
            [
                "北區",
                "'-折扣店",
                "小美",
                "王小明",
                "2026-11-11 00:30:00",
                "-300",
                "店員"
            ]
        );
        assert_eq!(cells[8], "'+886912345678");
        assert_eq!(cells[11], "退款");
        assert_eq!(cells[13], "'=cmd|'/c calc'!A1");
        let nobody = Credited::Nobody(Some(UnattributedReason::NotBound));
        assert_eq!(
            (nobody.zh(), nobody.reason_zh()),
            ("未歸因", "會員尚未綁定門市")
        );
    }
}
