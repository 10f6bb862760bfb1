//! The report as an SVG chart: for each app service, throughput and response time against
//! concurrent users, before the fixes and after them.
//!
//! The curves are the asymptotic bounds of a closed system of `N` users, each waiting
//! `Z` (the think time) between a response and its next request (operational analysis):
//! throughput `X(N) = min(N / (T + Z), X_max)` and response time
//! `R(N) = max(T, N / X_max − Z)`, where `X_max` is the binding limit. Below the knee
//! `N* = X_max × (T + Z)` every user is served at once; past it requests queue.

use std::fmt::Write as _;

use crate::{Report, ServiceCapacity, num};

const PANEL_W: f64 = 360.0;
const PANEL_H: f64 = 220.0;
const MARGIN_L: f64 = 64.0;
const MARGIN_T: f64 = 48.0;
const GAP: f64 = 90.0;
const ROW_H: f64 = PANEL_H + 120.0;
const POINTS: u32 = 80;

/// One curve: its label, colour and dash pattern, and the service it draws.
struct Series<'a> {
    label: &'a str,
    colour: &'a str,
    dash: &'a str,
    service: &'a ServiceCapacity,
}

/// The chart of every service with a binding limit.
pub fn svg(report: &Report) -> String {
    let think = report.inputs.think_s.value;
    let rows: Vec<(&ServiceCapacity, Option<&ServiceCapacity>)> = report
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| s.requests_per_second.is_some())
        .map(|(i, s)| (s, report.after_fixes.as_ref().and_then(|a| a.services.get(i)).filter(|a| a.service == s.service && a.requests_per_second.is_some())))
        .collect();
    let width = MARGIN_L + 2.0 * PANEL_W + GAP + 40.0;
    #[allow(clippy::cast_precision_loss)]
    let height = MARGIN_T + ROW_H * rows.len().max(1) as f64;
    let mut out = String::new();
    let _ = writeln!(out, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#);
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(out, r#"<text x="{MARGIN_L}" y="24" font-size="15" font-weight="bold">Capacity: throughput and response time against concurrent users ({} s think time)</text>"#, num(think));
    if rows.is_empty() {
        let _ = writeln!(out, r#"<text x="{MARGIN_L}" y="{}">No app service with a known limit.</text>"#, MARGIN_T + 20.0);
    }
    for (row, (before, after)) in rows.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let top = MARGIN_T + ROW_H * row as f64 + 30.0;
        let mut series = vec![Series { label: "as configured", colour: "#1f77b4", dash: "", service: before }];
        if let Some(a) = after.filter(|a| a.requests_per_second != before.requests_per_second) {
            series.push(Series { label: "after the fixes", colour: "#ff7f0e", dash: "6 4", service: a });
        }
        let _ = writeln!(out, r#"<text x="{MARGIN_L}" y="{}" font-size="13" font-weight="bold">{}</text>"#, top - 12.0, escape(&title(before, *after)));
        // Past the largest knee, so that both curves flatten out.
        let knee = series.iter().map(|s| knee(s.service, think)).fold(1.0_f64, f64::max);
        let n_max = nice(knee * 2.0);
        let x_max = nice(series.iter().filter_map(|s| s.service.requests_per_second).fold(0.0_f64, f64::max) * 1.1);
        let r_max = nice(series.iter().map(|s| response_ms(s.service, n_max, think)).fold(0.0_f64, f64::max) * 1.1);
        let left = MARGIN_L;
        let right = MARGIN_L + PANEL_W + GAP;
        axes(&mut out, left, top, n_max, x_max, "concurrent users", "requests/s");
        axes(&mut out, right, top, n_max, r_max, "concurrent users", "response time (ms)");
        for s in &series {
            let through: Vec<(f64, f64)> = curve(n_max, |n| throughput(s.service, n, think));
            let response: Vec<(f64, f64)> = curve(n_max, |n| response_ms(s.service, n, think));
            polyline(&mut out, left, top, n_max, x_max, &through, s);
            polyline(&mut out, right, top, n_max, r_max, &response, s);
        }
        // The legend, under the panels.
        let x = left;
        let mut y = top + PANEL_H + 48.0;
        for s in &series {
            let rate = s.service.requests_per_second.map_or_else(String::new, |r| format!(": {} requests/s, {} binds", num(r), s.service.binding.as_deref().unwrap_or("?")));
            let _ = writeln!(out, r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/>"#, x + 24.0, s.colour, s.dash);
            let _ = writeln!(out, r#"<text x="{}" y="{}">{}</text>"#, x + 30.0, y + 4.0, escape(&format!("{}{rate}", s.label)));
            y += 18.0;
        }
    }
    out.push_str("</svg>\n");
    out
}

fn title(before: &ServiceCapacity, after: Option<&ServiceCapacity>) -> String {
    let users = |s: &ServiceCapacity| s.users.map_or_else(String::new, |u| format!("{u} users"));
    match after.filter(|a| a.requests_per_second != before.requests_per_second) {
        Some(a) => format!("service {} ({}): {} → {} at the knee", before.service, before.place, users(before), users(a)),
        None => format!("service {} ({}): {} at the knee", before.service, before.place, users(before)),
    }
}

/// `N* = X_max × (T + Z)`: the users the service takes before requests queue.
fn knee(s: &ServiceCapacity, think: f64) -> f64 {
    s.requests_per_second.unwrap_or(0.0) * (s.request_ms / 1000.0 + think)
}

fn throughput(s: &ServiceCapacity, n: f64, think: f64) -> f64 {
    let cycle = s.request_ms / 1000.0 + think;
    (n / cycle).min(s.requests_per_second.unwrap_or(0.0))
}

fn response_ms(s: &ServiceCapacity, n: f64, think: f64) -> f64 {
    let x = s.requests_per_second.unwrap_or(0.0);
    if x <= 0.0 {
        return s.request_ms;
    }
    ((n / x - think) * 1000.0).max(s.request_ms)
}

fn curve(n_max: f64, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..=POINTS).map(|i| n_max * f64::from(i) / f64::from(POINTS)).map(|n| (n, f(n))).collect()
}

fn polyline(out: &mut String, left: f64, top: f64, x_max: f64, y_max: f64, points: &[(f64, f64)], s: &Series<'_>) {
    let pts: Vec<String> = points.iter().map(|(x, y)| format!("{:.1},{:.1}", left + x / x_max * PANEL_W, top + PANEL_H - (y / y_max).min(1.0) * PANEL_H)).collect();
    let _ = writeln!(out, r#"<polyline fill="none" stroke="{}" stroke-width="2.5" stroke-dasharray="{}" points="{}"/>"#, s.colour, s.dash, pts.join(" "));
}

/// A panel's frame, five ticks on each axis with their values, and the axis names.
fn axes(out: &mut String, left: f64, top: f64, x_max: f64, y_max: f64, x_name: &str, y_name: &str) {
    let bottom = top + PANEL_H;
    let _ = writeln!(out, r##"<rect x="{left}" y="{top}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#999"/>"##);
    for i in 0..=5 {
        let f = f64::from(i) / 5.0;
        let x = left + f * PANEL_W;
        let y = bottom - f * PANEL_H;
        let _ = writeln!(out, r##"<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#eee"/><text x="{x}" y="{}" text-anchor="middle">{}</text>"##, bottom + 16.0, num(x_max * f));
        let _ = writeln!(out, r##"<line x1="{left}" y1="{y}" x2="{}" y2="{y}" stroke="#eee"/><text x="{}" y="{}" text-anchor="end">{}</text>"##, left + PANEL_W, left - 6.0, y + 4.0, num(y_max * f));
    }
    let _ = writeln!(out, r#"<text x="{}" y="{}" text-anchor="middle">{x_name}</text>"#, left + PANEL_W / 2.0, bottom + 34.0);
    let _ = writeln!(out, r#"<text x="{}" y="{}" text-anchor="middle" transform="rotate(-90 {} {})">{y_name}</text>"#, left - 46.0, top + PANEL_H / 2.0, left - 46.0, top + PANEL_H / 2.0);
}

/// The next round number at or above `x` (1, 2, 2.5 or 5 × a power of ten), so that the
/// ticks read well.
fn nice(x: f64) -> f64 {
    if !x.is_finite() || x <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * p).find(|v| *v >= x).unwrap_or(10.0 * p)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::nice;

    #[test]
    #[allow(clippy::float_cmp)] // round numbers, exactly
    fn nice_rounds_up_to_readable_ticks() {
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(107.0), 200.0);
        assert_eq!(nice(2164.0), 2500.0);
        assert_eq!(nice(4.0), 5.0);
        assert_eq!(nice(1000.0), 1000.0);
    }
}
