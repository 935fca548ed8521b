//! The statistics a Thai training project reports: mean and sample standard deviation, the
//! satisfaction band of a five-level mean, and a paired t-test for pre/post scores.

use statrs::distribution::{ContinuousCDF, StudentsT};

pub fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Sample standard deviation (n − 1); `None` below two values.
pub fn sd(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    (xs.len() >= 2)
        .then(|| (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt())
}

/// The usual band of a five-level mean: 4.51–5.00 มากที่สุด, 3.51–4.50 มาก, 2.51–3.50
/// ปานกลาง, 1.51–2.50 น้อย, 1.00–1.50 น้อยที่สุด (the mean rounded to two decimals first, as
/// reports print it).
pub fn band_th(mean: f64) -> &'static str {
    let m = (mean * 100.0).round() / 100.0;
    if m >= 4.51 {
        "มากที่สุด"
    } else if m >= 3.51 {
        "มาก"
    } else if m >= 2.51 {
        "ปานกลาง"
    } else if m >= 1.51 {
        "น้อย"
    } else {
        "น้อยที่สุด"
    }
}

/// The same band in English.
pub fn band_en(mean: f64) -> &'static str {
    match band_th(mean) {
        "มากที่สุด" => "very high",
        "มาก" => "high",
        "ปานกลาง" => "moderate",
        "น้อย" => "low",
        _ => "very low",
    }
}

/// A paired t-test of differences `d` (after − before): t, degrees of freedom and the
/// two-sided p-value from Student's t distribution. `None` below two pairs or when every
/// difference is the same (no variance).
pub fn paired_t(d: &[f64]) -> Option<(f64, f64, f64)> {
    let n = d.len();
    let m = mean(d)?;
    let s = sd(d)?;
    if s <= 0.0 {
        return None;
    }
    let t = m / (s / (n as f64).sqrt());
    let df = (n - 1) as f64;
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = 2.0 * (1.0 - dist.cdf(t.abs()));
    Some((t, df, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Student's (1908) sleep data, the worked example of R's `t.test(extra ~ group, data =
    /// sleep, paired = TRUE)`: t = −4.0621, df = 9, p = 0.002833.
    #[test]
    fn the_paired_t_test_matches_the_sleep_data_example() {
        let one = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
        let two = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
        let d: Vec<f64> = one.iter().zip(two).map(|(a, b)| a - b).collect();
        let (t, df, p) = paired_t(&d).unwrap();
        assert!((t - -4.0621).abs() < 5e-4, "{t}");
        assert_eq!(df, 9.0);
        assert!((p - 0.002833).abs() < 5e-6, "{p}");
    }

    #[test]
    fn bands_follow_the_usual_thresholds_after_rounding() {
        assert_eq!(band_th(4.51), "มากที่สุด");
        assert_eq!(band_th(4.505), "มากที่สุด");
        assert_eq!(band_th(4.50), "มาก");
        assert_eq!(band_th(3.51), "มาก");
        assert_eq!(band_th(3.5), "ปานกลาง");
        assert_eq!(band_th(2.0), "น้อย");
        assert_eq!(band_th(1.5), "น้อยที่สุด");
        assert_eq!(sd(&[1.0]), None);
        assert!((sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap() - 2.138).abs() < 1e-3);
        assert_eq!(paired_t(&[1.0, 1.0, 1.0]), None);
    }
}
