//! The funnel as reports count it, and the geometry of the dashboard's bar chart (the template
//! draws the SVG; labels go through the template's escaping like any other text).

use crate::domain::funnel::FunnelStage;

/// Counts of each funnel step. `already_bound` is a shopper who was bound elsewhere already.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FunnelCounts {
    pub scans: u64,
    pub journeys: u64,
    pub friends: u64,
    pub codes_sent: u64,
    pub codes_verified: u64,
    pub bound: u64,
    pub already_bound: u64,
}

impl FunnelCounts {
    pub fn add(&mut self, stage: FunnelStage, count: u64) {
        let slot = match stage {
            FunnelStage::Scan => &mut self.scans,
            FunnelStage::Journey => &mut self.journeys,
            FunnelStage::Friend => &mut self.friends,
            FunnelStage::CodeSent => &mut self.codes_sent,
            FunnelStage::CodeVerified => &mut self.codes_verified,
            FunnelStage::Bound => &mut self.bound,
            FunnelStage::AlreadyBound => &mut self.already_bound,
        };
        *slot += count;
    }

    pub fn merge(&mut self, other: &FunnelCounts) {
        self.scans += other.scans;
        self.journeys += other.journeys;
        self.friends += other.friends;
        self.codes_sent += other.codes_sent;
        self.codes_verified += other.codes_verified;
        self.bound += other.bound;
        self.already_bound += other.already_bound;
    }

    pub fn is_empty(&self) -> bool {
        *self == FunnelCounts::default()
    }

    /// The steps of the funnel in order, with their zh-TW and English labels.
    pub fn steps(&self) -> [(&'static str, &'static str, u64); 6] {
        [
            ("掃描", "Scans", self.scans),
            ("開始流程", "Journeys started", self.journeys),
            ("加入好友", "Friends added", self.friends),
            ("驗證碼已送出", "Codes sent", self.codes_sent),
            ("驗證成功", "Codes verified", self.codes_verified),
            ("完成綁定", "Bindings", self.bound),
        ]
    }

    /// Bindings per scan, in whole percent (`None` without scans).
    pub fn conversion_percent(&self) -> Option<u64> {
        (self.scans > 0).then(|| (self.bound * 100 + self.scans / 2) / self.scans)
    }
}

/// One horizontal bar of the funnel chart, in SVG user units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: &'static str,
    pub label_en: &'static str,
    pub count: u64,
    pub y: u32,
    pub width: u32,
    /// Where the count is written: right of the bar.
    pub text_x: u32,
}

/// The funnel as bars, the longest as wide as the plot area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelChart {
    pub bars: Vec<Bar>,
    pub width: u32,
    pub height: u32,
    /// Where the bars start (labels sit to the left).
    pub plot_x: u32,
    pub bar_height: u32,
}

impl FunnelChart {
    const WIDTH: u32 = 640;
    const PLOT_X: u32 = 150;
    const PLOT_WIDTH: u32 = 400;
    const ROW: u32 = 36;
    const BAR: u32 = 24;

    pub fn new(counts: &FunnelCounts) -> Self {
        let steps = counts.steps();
        let max = steps.iter().map(|s| s.2).max().unwrap_or(0).max(1);
        let bars = steps
            .iter()
            .enumerate()
            .map(|(i, &(label, label_en, count))| {
                let width = if count == 0 {
                    0
                } else {
                    // At least one unit, so a small count is still visible.
                    ((count as u128 * Self::PLOT_WIDTH as u128 / max as u128) as u32).max(1)
                };
                Bar {
                    label,
                    label_en,
                    count,
                    y: 8 + i as u32 * Self::ROW,
                    width,
                    text_x: Self::PLOT_X + width + 6,
                }
            })
            .collect::<Vec<_>>();
        Self {
            height: 16 + bars.len() as u32 * Self::ROW,
            bars,
            width: Self::WIDTH,
            plot_x: Self::PLOT_X,
            bar_height: Self::BAR,
        }
    }
}

/// Hundredths of a New Taiwan dollar as "NT$1,234.50".
pub fn format_twd(hundredths: u64) -> String {
    let whole = (hundredths / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("NT${grouped}.{:02}", hundredths % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_land_in_their_own_counter() {
        let mut counts = FunnelCounts::default();
        counts.add(FunnelStage::Scan, 10);
        counts.add(FunnelStage::Bound, 3);
        counts.add(FunnelStage::Scan, 2);
        assert_eq!((counts.scans, counts.bound), (12, 3));
        assert_eq!(counts.conversion_percent(), Some(25));
        assert_eq!(FunnelCounts::default().conversion_percent(), None);
    }

    #[test]
    fn money_is_written_with_thousands_and_cents() {
        assert_eq!(format_twd(0), "NT$0.00");
        assert_eq!(format_twd(85), "NT$0.85");
        assert_eq!(format_twd(123_450), "NT$1,234.50");
        assert_eq!(format_twd(100_000_000), "NT$1,000,000.00");
    }

    #[test]
    fn the_longest_bar_fills_the_plot_and_small_counts_stay_visible() {
        let counts = FunnelCounts {
            scans: 1000,
            journeys: 1,
            ..Default::default()
        };
        let chart = FunnelChart::new(&counts);
        assert_eq!(chart.bars[0].width, 400);
        assert_eq!(chart.bars[1].width, 1);
        assert_eq!(chart.bars[2].width, 0);
        assert_eq!(chart.bars.len(), 6);
        assert!(
            chart
                .bars
                .iter()
                .all(|b| b.y + chart.bar_height <= chart.height)
        );
    }
}
