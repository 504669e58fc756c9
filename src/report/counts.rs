//! Calls with intervals per recording, site and date: the detections of each group and the
//! calls among them that a calibration estimates (the sum of their probabilities, see
//! `calibrate::Calibration::expected_calls`), optionally divided by the recall measured on
//! fully annotated recordings. Review's summary and `syrinx calibrate fit` both use it.

use std::collections::BTreeMap;

use crate::annotation::TableRow;
use crate::calibrate::{Calibration, Estimate};

/// The file `syrinx calibrate fit` writes the groups into, beside `counts_calibrated.csv`.
pub const CALLS_BY_GROUP_FILE: &str = "calls_by_site_and_date.csv";

/// What a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKind {
    Recording,
    Site,
    Date,
}

impl GroupKind {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::Site => "site",
            Self::Date => "date",
        }
    }
}

/// One group's detections and the calls among them.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCalls {
    pub kind: GroupKind,
    /// The recording's file name, the site, or the date (`YYYY-MM-DD`).
    pub group: String,
    pub detections: usize,
    /// Calls among the detections.
    pub calls: Estimate,
    /// Calls in the audio: `calls` divided by the measured recall, when one was given.
    pub calls_in_audio: Option<Estimate>,
}

/// Recall measured on fully annotated recordings: `found` of `references` calls detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasuredRecall {
    pub found: usize,
    pub references: usize,
}

/// The groups of detection `rows` (each with its score and file): per recording, per site
/// (its Site column, else the name before its timestamp: see [`TableRow::site`]) and per date of the detection's
/// wall-clock time (rows whose recording has no known start are in no date), each with the
/// calls estimated among its detections (each site's through its own calibration in `sites`
/// where it has one, else `calibration`: see `calibrate::expected_calls_by_site`) and, given
/// `recall`, in its audio. Recordings, sites and dates each in order.
#[must_use]
pub fn calls_by_group(
    rows: &[TableRow],
    calibration: &Calibration,
    sites: &BTreeMap<String, Calibration>,
    recall: Option<MeasuredRecall>,
) -> Vec<GroupCalls> {
    let mut groups: BTreeMap<(GroupKind, String), Vec<(String, f32)>> = BTreeMap::new();
    let labels = crate::annotation::recording_labels(rows);
    for row in rows {
        let (Some(file), Some(score)) = (&row.file, row.score) else {
            continue;
        };
        let site = row.site();
        let scored = (site.clone(), score as f32);
        let recording = labels.get(file.key()).unwrap_or(&file.name);
        groups
            .entry((GroupKind::Recording, recording.clone()))
            .or_default()
            .push(scored.clone());
        groups
            .entry((GroupKind::Site, site))
            .or_default()
            .push(scored.clone());
        if let Some(at) = super::wall_clock_of(row) {
            groups
                .entry((GroupKind::Date, at.date().format("%Y-%m-%d").to_string()))
                .or_default()
                .push(scored);
        }
    }
    groups
        .into_iter()
        .map(|((kind, group), scores)| {
            let pairs: Vec<(&str, f32)> = scores.iter().map(|(s, v)| (s.as_str(), *v)).collect();
            let calls = crate::calibrate::expected_calls_by_site(calibration, sites, &pairs);
            GroupCalls {
                kind,
                group,
                detections: scores.len(),
                calls_in_audio: recall
                    .and_then(|r| calls.corrected_by_recall(r.found, r.references)),
                calls,
            }
        })
        .collect()
}

/// The groups as CSV: `kind,group,class,detections,calls,calls_low,calls_high` and, when any
/// has them, the calls in the audio with their bounds.
#[must_use]
pub fn calls_by_group_csv(classes: &[(String, Vec<GroupCalls>)]) -> String {
    let corrected = classes
        .iter()
        .flat_map(|(_, groups)| groups)
        .any(|g| g.calls_in_audio.is_some());
    let mut text = String::from("kind,group,class,detections,calls,calls_low,calls_high");
    if corrected {
        text.push_str(",calls_in_audio,calls_in_audio_low,calls_in_audio_high");
    }
    text.push('\n');
    for (class, groups) in classes {
        for g in groups {
            text.push_str(&format!(
                "{},{},{},{},{:.2},{:.2},{:.2}",
                g.kind.name(),
                crate::export::csv_field(&g.group),
                crate::export::csv_field(class),
                g.detections,
                g.calls.value,
                g.calls.low,
                g.calls.high
            ));
            if corrected {
                let cells = g.calls_in_audio.map_or_else(
                    || ",,,".to_owned(),
                    |c| format!(",{:.2},{:.2},{:.2}", c.value, c.low, c.high),
                );
                text.push_str(&cells);
            }
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotation::FileRef;

    fn row(name: &str, start_secs: f64, score: f64) -> TableRow {
        TableRow {
            start_secs,
            end_secs: start_secs + 1.0,
            score: Some(score),
            file: Some(FileRef {
                name: name.to_owned(),
                path: None,
                start: None,
            }),
            ..TableRow::default()
        }
    }

    /// Two sites' recorders name files alike: recordings of one name but other paths are
    /// counted apart (named with their folders), and a row's Site column is its site.
    #[test]
    fn recordings_of_one_name_are_counted_apart_and_the_site_column_wins() {
        let at = |path: &str, site: &str, start_secs: f64| {
            let mut row = row("20240518_052000.WAV", start_secs, 0.5);
            if let Some(file) = row.file.as_mut() {
                file.path = Some(path.to_owned());
            }
            row.values
                .insert(crate::annotation::SITE_COLUMN.to_owned(), site.to_owned());
            row
        };
        let rows = vec![
            at("/cards/north/20240518_052000.WAV", "North", 1.0),
            at("/cards/north/20240518_052000.WAV", "North", 5.0),
            at("/cards/south/20240518_052000.WAV", " ", 3.0),
        ];
        let groups = calls_by_group(&rows, &identity(), &BTreeMap::new(), None);
        let named: Vec<(GroupKind, &str, usize)> = groups
            .iter()
            .map(|g| (g.kind, g.group.as_str(), g.detections))
            .collect();
        assert_eq!(
            named,
            [
                (GroupKind::Recording, "north/20240518_052000.WAV", 2),
                (GroupKind::Recording, "south/20240518_052000.WAV", 1),
                (GroupKind::Site, super::super::NO_SITE, 1),
                (GroupKind::Site, "North", 2),
                (GroupKind::Date, "2024-05-18", 3),
            ]
        );
    }

    /// Every detection a call with probability σ(logit(score)): the score itself.
    fn identity() -> Calibration {
        Calibration {
            intercept: 0.0,
            slope: 1.0,
            covariance: [1e-12, 0.0, 1e-12],
            verdicts: 100,
            calls: 50,
        }
    }

    #[test]
    fn detections_are_counted_per_recording_site_and_date() {
        let rows = [
            row("SITE1_20240518_235900.wav", 30.0, 0.5),
            // 23:59 plus two minutes: the next day.
            row("SITE1_20240518_235900.wav", 120.0, 0.9),
            row("SITE2_20240518_060000.wav", 10.0, 0.5),
            row("nodate.wav", 1.0, 0.5),
        ];
        let groups = calls_by_group(&rows, &identity(), &BTreeMap::new(), None);
        let find = |kind, group: &str| {
            groups
                .iter()
                .find(|g| g.kind == kind && g.group == group)
                .unwrap_or_else(|| panic!("{group}"))
        };
        assert_eq!(
            find(GroupKind::Recording, "SITE1_20240518_235900.wav").detections,
            2
        );
        let site = find(GroupKind::Site, "SITE1");
        assert_eq!(site.detections, 2);
        assert!((site.calls.value - 1.4).abs() < 1e-6, "{:?}", site.calls);
        assert_eq!(find(GroupKind::Date, "2024-05-18").detections, 2);
        assert_eq!(find(GroupKind::Date, "2024-05-19").detections, 1);
        assert_eq!(
            groups.iter().filter(|g| g.kind == GroupKind::Date).count(),
            2,
            "the undated recording is in no date"
        );
        assert_eq!(find(GroupKind::Site, super::super::NO_SITE).detections, 1);
        assert!(groups.iter().all(|g| g.calls_in_audio.is_none()));
    }

    #[test]
    fn a_measured_recall_scales_the_calls_in_the_audio_and_the_csv_says_so() {
        let rows = [row("SITE1_20240518_060000.wav", 3.0, 0.8)];
        let recall = MeasuredRecall {
            found: 8,
            references: 10,
        };
        let groups = calls_by_group(&rows, &identity(), &BTreeMap::new(), Some(recall));
        let site = groups
            .iter()
            .find(|g| g.kind == GroupKind::Site)
            .expect("a site");
        let in_audio = site.calls_in_audio.expect("recall given");
        assert!(
            (in_audio.value - 1.0).abs() < 1e-6,
            "0.8 calls found of 0.8"
        );
        assert!(in_audio.high > in_audio.value);
        let csv = calls_by_group_csv(&[("call".to_owned(), groups)]);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some(
                "kind,group,class,detections,calls,calls_low,calls_high,calls_in_audio,\
                 calls_in_audio_low,calls_in_audio_high"
            )
        );
        assert!(csv.contains("\nsite,SITE1,call,1,0.80,"), "{csv}");
        assert!(csv.contains("\ndate,2024-05-18,call,1,"), "{csv}");
    }
}
