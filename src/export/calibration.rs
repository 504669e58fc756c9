//! Calibration of a detections folder (what `syrinx detect` or Export detections wrote): draw
//! the stratified sample to review as a CSV, then fit each class's calibration from the judged
//! sample and count the calls of each recording with intervals. `syrinx calibrate` runs these.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::DETECTIONS_CSV_FILE;
use crate::annotation::{TableFormat, TableRow, read_table, write_table};
use crate::calibrate::{
    BandPrecision, CalibrateError, Calibration, Estimate, Judged, ThresholdChoice, band_of,
    band_precision, score_bands, stratified_sample,
};
use crate::project::runs::Verdict;

/// The sample to review, written into the folder.
pub const REVIEW_SAMPLE_FILE: &str = "review_sample.csv";
/// The fitted calibration, written into the folder.
pub const CALIBRATION_FILE: &str = "calibration.json";
/// Calls per recording with intervals, written into the folder.
pub const CALIBRATED_COUNTS_FILE: &str = "counts_calibrated.csv";
/// The column of the sample's score band (1 = lowest).
pub const BAND_COLUMN: &str = "band";

/// How the sample is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleSettings {
    /// Score bands, of equal width in the scores' logits (network scores crowd near 1).
    pub bands: usize,
    /// Detections drawn from each band.
    pub per_band: usize,
    pub seed: u64,
}

impl Default for SampleSettings {
    /// 6 bands × 5: 30 detections, a short review that still sees every part of the score
    /// range.
    fn default() -> Self {
        Self {
            bands: 6,
            per_band: 5,
            seed: 1,
        }
    }
}

/// The detections of a folder (its `all_detections.csv`), by class (their label).
fn detections_by_class(dir: &Path) -> Result<BTreeMap<String, Vec<TableRow>>, CalibrateError> {
    let path = dir.join(DETECTIONS_CSV_FILE);
    let table = read_table(&path).map_err(|e| CalibrateError::Table {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    let mut by_class: BTreeMap<String, Vec<TableRow>> = BTreeMap::new();
    for row in table.rows.into_iter().filter(|r| r.score.is_some()) {
        by_class.entry(row.label.clone()).or_default().push(row);
    }
    if by_class.is_empty() {
        return Err(CalibrateError::NoDetections(path));
    }
    Ok(by_class)
}

fn score(row: &TableRow) -> f32 {
    row.score.unwrap_or(0.0) as f32
}

/// Draws each class's stratified sample from the folder's detections and writes it to `out`
/// as a CSV (the detections' rows, an empty verdict column to fill, and the band); returns
/// how many rows it holds.
pub fn write_review_sample(
    dir: &Path,
    settings: &SampleSettings,
    out: &Path,
) -> Result<usize, CalibrateError> {
    let mut sample = Vec::new();
    for rows in detections_by_class(dir)?.values() {
        let scores: Vec<f32> = rows.iter().map(score).collect();
        let bands = score_bands(&scores, settings.bands);
        for index in stratified_sample(&scores, settings.bands, settings.per_band, settings.seed) {
            let mut row = rows[index].clone();
            row.verdict = None;
            let band = band_of(&bands, scores[index]).map_or(0, |b| b + 1);
            row.values.insert(BAND_COLUMN.to_owned(), band.to_string());
            sample.push(row);
        }
    }
    write_table(out, TableFormat::Csv, &sample).map_err(|e| CalibrateError::Table {
        path: out.to_path_buf(),
        detail: e.to_string(),
    })?;
    Ok(sample.len())
}

/// The calls of one recording, estimated from the calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingCalls {
    pub recording: String,
    pub detections: usize,
    /// Calls among all its detections.
    pub calls: Estimate,
    /// Detections at or above the chosen threshold, and the calls among them.
    pub detections_at_threshold: usize,
    pub calls_at_threshold: Estimate,
}

/// One class's calibration and what follows from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassCalibration {
    pub class: String,
    pub detections: usize,
    /// Verdicts per score band of the sample.
    pub bands: Vec<BandPrecision>,
    pub calibration: Calibration,
    /// Expected precision of every detection in the folder.
    pub precision_of_all: Estimate,
    /// The target precision asked for, and the threshold that reaches it (`None`: none does).
    pub target_precision: f64,
    pub choice: Option<ThresholdChoice>,
    /// Its expected precision with an interval.
    pub precision_at_choice: Option<Estimate>,
    pub recordings: Vec<RecordingCalls>,
    /// Calls in all the recordings together.
    pub calls: Estimate,
    /// The scores of the folder's detections: another target precision's threshold is worked
    /// out over them (see [`ClassCalibration::threshold_for`]).
    #[serde(default)]
    pub scores: Vec<f32>,
    /// Sites whose verdicts allowed a calibration of their own (see `calibrate::fit_sites`):
    /// their recordings' calls are counted with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<SiteCalibration>,
}

/// A site's own calibration and the threshold reaching the target precision on its detections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteCalibration {
    pub site: String,
    pub calibration: Calibration,
    pub choice: Option<ThresholdChoice>,
}

impl ClassCalibration {
    /// The sites' calibrations by site.
    #[must_use]
    pub fn site_calibrations(&self) -> BTreeMap<String, Calibration> {
        self.sites
            .iter()
            .map(|s| (s.site.clone(), s.calibration.clone()))
            .collect()
    }
}

impl ClassCalibration {
    /// The threshold that reaches `target` precision over the calibrated folder's detections;
    /// `None` when none does.
    #[must_use]
    pub fn threshold_for(&self, target: f64) -> Option<ThresholdChoice> {
        self.calibration.threshold_among(&self.scores, target)
    }
}

/// Fits each class's calibration from the judged sample at `review` (rows whose verdict is a
/// true or false positive; unsure ones and blanks are left out) against the folder's
/// detections, picks the threshold reaching `target_precision`, counts each recording's calls.
/// `sample` gives the bands the verdicts are tallied in (those the sample was drawn from).
pub fn calibrate_folder(
    dir: &Path,
    review: &Path,
    sample: &SampleSettings,
    target_precision: f64,
) -> Result<Vec<ClassCalibration>, CalibrateError> {
    let detections = detections_by_class(dir)?;
    let reviewed = read_table(review).map_err(|e| CalibrateError::Table {
        path: review.to_path_buf(),
        detail: e.to_string(),
    })?;
    let mut judged: BTreeMap<&str, Vec<Judged>> = BTreeMap::new();
    let mut judged_at_sites: BTreeMap<&str, Vec<(String, Judged)>> = BTreeMap::new();
    for row in &reviewed.rows {
        let verdict = row
            .verdict
            .as_deref()
            .and_then(crate::review::parse_verdict);
        let is_call = match verdict {
            Some(Verdict::TruePositive) => true,
            Some(Verdict::FalsePositive) => false,
            _ => continue,
        };
        let verdict = Judged {
            score: score(row),
            is_call,
        };
        judged.entry(row.label.as_str()).or_default().push(verdict);
        judged_at_sites
            .entry(row.label.as_str())
            .or_default()
            .push((row.site(), verdict));
    }
    let mut out = Vec::new();
    for (class, rows) in &detections {
        let verdicts = judged.get(class.as_str()).map_or(&[][..], Vec::as_slice);
        let calibration = Calibration::fit(verdicts).map_err(|error| CalibrateError::Class {
            class: class.clone(),
            path: review.to_path_buf(),
            detail: error.to_string(),
        })?;
        let scores: Vec<f32> = rows.iter().map(score).collect();
        let choice = calibration.threshold_among(&scores, target_precision);
        let site_fits = crate::calibrate::fit_sites(
            judged_at_sites
                .get(class.as_str())
                .map_or(&[][..], Vec::as_slice),
        );
        let sites = site_fits
            .into_iter()
            .map(|(site, calibration)| {
                let site_scores: Vec<f32> = rows
                    .iter()
                    .filter(|r| r.site() == site)
                    .map(score)
                    .collect();
                SiteCalibration {
                    choice: calibration.threshold_among(&site_scores, target_precision),
                    site,
                    calibration,
                }
            })
            .collect();
        out.push(summarise(
            class,
            rows,
            calibration,
            sites,
            band_precision(&score_bands(&scores, sample.bands), verdicts),
            target_precision,
            choice,
        ));
    }
    Ok(out)
}

/// Applies calibrations fitted on one folder (`fitted`, as [`calibrate_folder`] made them) to
/// the detections of another (`dir`: the rest of a season, say, scored by the same model):
/// the precision of its detections above each class's chosen threshold, and its calls per
/// recording, with intervals. Classes without a calibration are left out.
pub fn apply_calibration(
    dir: &Path,
    fitted: &[ClassCalibration],
) -> Result<Vec<ClassCalibration>, CalibrateError> {
    let detections = detections_by_class(dir)?;
    Ok(fitted
        .iter()
        .filter_map(|fit| {
            let rows = detections.get(&fit.class)?;
            let scores: Vec<f32> = rows.iter().map(score).collect();
            // The threshold stays the one chosen; what it keeps here is counted anew.
            let choice = fit.choice.map(|chosen| {
                let kept: Vec<f32> = scores
                    .iter()
                    .copied()
                    .filter(|s| *s >= chosen.threshold)
                    .collect();
                let all = fit.calibration.expected_calls(&scores).value;
                ThresholdChoice {
                    threshold: chosen.threshold,
                    precision: fit
                        .calibration
                        .precision_above(&scores, chosen.threshold)
                        .map_or(0.0, |e| e.value),
                    kept_share: if all > 0.0 {
                        fit.calibration.expected_calls(&kept).value / all
                    } else {
                        0.0
                    },
                    detections: kept.len(),
                }
            });
            Some(summarise(
                &fit.class,
                rows,
                fit.calibration.clone(),
                fit.sites.clone(),
                Vec::new(),
                fit.target_precision,
                choice,
            ))
        })
        .collect())
}

/// What a calibration says of one class's detections `rows`.
fn summarise(
    class: &str,
    rows: &[TableRow],
    calibration: Calibration,
    sites: Vec<SiteCalibration>,
    bands: Vec<BandPrecision>,
    target_precision: f64,
    choice: Option<ThresholdChoice>,
) -> ClassCalibration {
    let scores: Vec<f32> = rows.iter().map(score).collect();
    let floor = scores.iter().copied().fold(f32::INFINITY, f32::min);
    let threshold = choice.map_or(f32::INFINITY, |c| c.threshold);
    // Recordings apart by path (two sites' recorders name files alike), named as summaries do.
    let labels = crate::annotation::recording_labels(rows);
    let mut by_recording: BTreeMap<String, (String, Vec<f32>)> = BTreeMap::new();
    for row in rows {
        let name = row
            .file
            .as_ref()
            .and_then(|f| labels.get(f.key()))
            .cloned()
            .unwrap_or_default();
        by_recording
            .entry(name)
            .or_insert_with(|| (row.site(), Vec::new()))
            .1
            .push(score(row));
    }
    // A recording of a site calibrated on its own is counted with that site's calibration.
    let site_fits: BTreeMap<String, Calibration> = sites
        .iter()
        .map(|s| (s.site.clone(), s.calibration.clone()))
        .collect();
    let recordings = by_recording
        .into_iter()
        .map(|(recording, (site, scores))| {
            let kept: Vec<f32> = scores.iter().copied().filter(|s| *s >= threshold).collect();
            let own = site_fits.get(&site).unwrap_or(&calibration);
            RecordingCalls {
                recording,
                detections: scores.len(),
                calls: own.expected_calls(&scores),
                detections_at_threshold: kept.len(),
                calls_at_threshold: own.expected_calls(&kept),
            }
        })
        .collect();
    ClassCalibration {
        class: class.to_owned(),
        detections: rows.len(),
        bands,
        precision_of_all: calibration
            .precision_above(&scores, floor)
            .unwrap_or(Estimate {
                value: 0.0,
                low: 0.0,
                high: 0.0,
            }),
        target_precision,
        choice,
        precision_at_choice: choice.and_then(|c| calibration.precision_above(&scores, c.threshold)),
        recordings,
        calls: calibration.expected_calls(&scores),
        calibration,
        scores,
        sites,
    }
}

/// Reads a [`CALIBRATION_FILE`].
pub fn read_calibration(path: &Path) -> Result<Vec<ClassCalibration>, CalibrateError> {
    let text = std::fs::read_to_string(path).map_err(|e| CalibrateError::Table {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| CalibrateError::Table {
        path: path.to_path_buf(),
        detail: format!("not a calibration: {e}"),
    })
}

/// Writes [`CALIBRATION_FILE`] and [`CALIBRATED_COUNTS_FILE`] into `dir`; returns their paths.
pub fn write_calibration(
    dir: &Path,
    classes: &[ClassCalibration],
) -> Result<Vec<PathBuf>, CalibrateError> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        crate::util::fsutil::write_atomically(&path, bytes).map_err(|e| CalibrateError::Write {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        Ok::<_, CalibrateError>(path)
    };
    let json = serde_json::to_vec_pretty(classes).map_err(|e| CalibrateError::Write {
        path: dir.join(CALIBRATION_FILE),
        detail: e.to_string(),
    })?;
    let mut counts = String::from(
        "recording,class,detections,calls,calls_low,calls_high,threshold,detections_at_threshold,\
         calls_at_threshold,calls_at_threshold_low,calls_at_threshold_high\n",
    );
    for class in classes {
        for r in &class.recordings {
            counts.push_str(&format!(
                "{},{},{},{:.2},{:.2},{:.2},{},{},{:.2},{:.2},{:.2}\n",
                super::csv_field(&r.recording),
                super::csv_field(&class.class),
                r.detections,
                r.calls.value,
                r.calls.low,
                r.calls.high,
                class
                    .choice
                    .map_or_else(String::new, |c| format!("{:.4}", c.threshold)),
                r.detections_at_threshold,
                r.calls_at_threshold.value,
                r.calls_at_threshold.low,
                r.calls_at_threshold.high,
            ));
        }
    }
    Ok(vec![
        write(CALIBRATION_FILE, &json)?,
        write(CALIBRATED_COUNTS_FILE, counts.as_bytes())?,
    ])
}
