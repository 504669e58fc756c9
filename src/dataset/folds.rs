//! Blocked cross-validation folds for small projects. Calls close in time share their noise,
//! their caller and often the same bout: a window 2 s from a validation call says far more about
//! it than one from another day. So each recording's timeline is cut into a few contiguous
//! blocks (cut between calls, never through one), the blocks are dealt to folds so that every
//! fold gets a fair share of the calls and of the time, and a fold's training leaves out every
//! window within the guard gap of that fold's blocks. Pure: spans in, spans out.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A recording as the folds see it.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldRecording {
    pub duration_secs: f64,
    /// Its positives' spans (any order).
    pub positives: Vec<(f64, f64)>,
}

/// One contiguous stretch of one recording, validated in one fold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// Index of the recording (in the list the plan was made from).
    pub recording: usize,
    pub start_secs: f64,
    pub end_secs: f64,
    pub fold: usize,
    /// Positives whose centre lies in the block.
    pub positives: usize,
}

impl Block {
    #[must_use]
    pub fn contains(&self, recording: usize, secs: f64) -> bool {
        self.recording == recording && secs >= self.start_secs && secs < self.end_secs
    }
}

/// A stretch of one of a dataset's recordings to validate on (a fold's block).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidationSpan {
    /// Index into the dataset's recordings.
    pub recording: usize,
    pub start_secs: f64,
    pub end_secs: f64,
}

impl ValidationSpan {
    /// Whether `secs` lies in the span (its recording's very end belongs to the last span).
    #[must_use]
    pub fn holds(&self, secs: f64, duration_secs: f64) -> bool {
        secs >= self.start_secs
            && (secs < self.end_secs
                || (self.end_secs >= duration_secs - 1e-9 && secs <= self.end_secs))
    }
}

/// The blocks of every fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldPlan {
    pub folds: usize,
    /// In recording, then time order.
    pub blocks: Vec<Block>,
    /// Training windows this close to one of a fold's blocks are left out of that fold's
    /// training.
    pub guard_secs: f64,
}

/// Blocks are cut about this long at least (shorter recordings are one block).
const MIN_BLOCK_SECS: f64 = 60.0;

/// The folds of `recordings`: each cut into blocks of about `total / (folds × 2)` seconds (two
/// blocks a fold, so no fold is one stretch of one recording; at least [`MIN_BLOCK_SECS`]),
/// their boundaries moved into the nearest gap between positives (kept `margin_secs` from any),
/// then dealt — blocks with the most positives first, each to the fold with the fewest
/// positives so far (ties: the least time), ties among blocks broken by `seed`. `None` when
/// there are fewer than two folds or no recording.
#[must_use]
pub fn plan_folds(
    recordings: &[FoldRecording],
    folds: usize,
    guard_secs: f64,
    margin_secs: f64,
    seed: u64,
) -> Option<FoldPlan> {
    if folds < 2 || recordings.is_empty() {
        return None;
    }
    let total_secs: f64 = recordings.iter().map(|r| r.duration_secs.max(0.0)).sum();
    let block_secs = (total_secs / (folds * 2) as f64).max(MIN_BLOCK_SECS);
    let mut blocks = Vec::new();
    for (index, recording) in recordings.iter().enumerate() {
        let mut spans = recording.positives.clone();
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = (recording.duration_secs / block_secs).round().max(1.0) as usize;
        let mut cuts = vec![0.0];
        for k in 1..n {
            let nominal = recording.duration_secs * k as f64 / n as f64;
            if let Some(cut) = free_cut(&spans, nominal, margin_secs, recording.duration_secs)
                && cut > cuts[cuts.len() - 1] + margin_secs
            {
                cuts.push(cut);
            }
        }
        cuts.push(recording.duration_secs);
        for pair in cuts.windows(2) {
            let (start_secs, end_secs) = (pair[0], pair[1]);
            let positives = spans
                .iter()
                .filter(|(s, e)| {
                    let centre = f64::midpoint(*s, *e);
                    centre >= start_secs
                        && (centre < end_secs || end_secs >= recording.duration_secs)
                })
                .count();
            blocks.push(Block {
                recording: index,
                start_secs,
                end_secs,
                fold: 0,
                positives,
            });
        }
    }
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    // Stable sort: most positives first, the shuffle breaking ties.
    order.sort_by_key(|i| std::cmp::Reverse(blocks[*i].positives));
    let mut load = vec![(0_usize, 0.0_f64); folds];
    for i in order {
        let fold = (0..folds)
            .min_by(|a, b| {
                load[*a]
                    .0
                    .cmp(&load[*b].0)
                    .then(load[*a].1.total_cmp(&load[*b].1))
            })
            .unwrap_or(0);
        blocks[i].fold = fold;
        load[fold].0 += blocks[i].positives;
        load[fold].1 += blocks[i].end_secs - blocks[i].start_secs;
    }
    Some(FoldPlan {
        folds,
        blocks,
        guard_secs,
    })
}

/// The cut nearest `nominal_secs` that lies `margin_secs` or more from every span (and inside
/// the recording); `None` when there is no such point.
fn free_cut(
    spans: &[(f64, f64)],
    nominal_secs: f64,
    margin_secs: f64,
    duration_secs: f64,
) -> Option<f64> {
    let is_free = |t: f64| {
        t > 0.0
            && t < duration_secs
            && spans
                .iter()
                .all(|(s, e)| t <= s - margin_secs || t >= e + margin_secs)
    };
    if is_free(nominal_secs) {
        return Some(nominal_secs);
    }
    // Candidates: just outside each span's margin.
    spans
        .iter()
        .flat_map(|(s, e)| [s - margin_secs, e + margin_secs])
        .filter(|t| is_free(*t))
        .min_by(|a, b| {
            (a - nominal_secs)
                .abs()
                .total_cmp(&(b - nominal_secs).abs())
        })
}

impl FoldPlan {
    /// The fold whose block holds `secs` of `recording` (`None` outside every block).
    #[must_use]
    pub fn fold_at(&self, recording: usize, secs: f64) -> Option<usize> {
        self.blocks
            .iter()
            .find(|b| b.contains(recording, secs))
            .or_else(|| {
                // The very end of a recording belongs to its last block.
                self.blocks
                    .iter()
                    .rfind(|b| b.recording == recording && (secs - b.end_secs).abs() < 1e-9)
            })
            .map(|b| b.fold)
    }

    /// Whether a training window that may cover `start_secs..end_secs` of `recording` trains
    /// fold `fold`: it must keep the guard gap from every block validated in that fold.
    #[must_use]
    pub fn trains(&self, fold: usize, recording: usize, start_secs: f64, end_secs: f64) -> bool {
        self.blocks
            .iter()
            .filter(|b| b.fold == fold && b.recording == recording)
            .all(|b| {
                end_secs <= b.start_secs - self.guard_secs
                    || start_secs >= b.end_secs + self.guard_secs
            })
    }

    /// The blocks validated in `fold`.
    pub fn blocks_of(&self, fold: usize) -> impl Iterator<Item = &Block> {
        self.blocks.iter().filter(move |b| b.fold == fold)
    }

    /// Positives validated in each fold.
    #[must_use]
    pub fn positives_per_fold(&self) -> Vec<usize> {
        let mut counts = vec![0; self.folds];
        for block in &self.blocks {
            counts[block.fold] += block.positives;
        }
        counts
    }

    /// The typical block length, for people.
    #[must_use]
    pub fn median_block_secs(&self) -> f64 {
        let mut lengths: Vec<f64> = self
            .blocks
            .iter()
            .map(|b| b.end_secs - b.start_secs)
            .collect();
        lengths.sort_by(f64::total_cmp);
        lengths.get(lengths.len() / 2).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn recording(duration_secs: f64, positives: &[(f64, f64)]) -> FoldRecording {
        FoldRecording {
            duration_secs,
            positives: positives.to_vec(),
        }
    }

    #[test]
    fn blocks_tile_each_recording_and_never_cut_a_call() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for case in 0..200 {
            let n = rng.random_range(1..5);
            let recordings: Vec<FoldRecording> = (0..n)
                .map(|_| {
                    let duration = rng.random_range(30.0..1_200.0);
                    let calls: Vec<(f64, f64)> = (0..rng.random_range(0..40))
                        .map(|_| {
                            let start = rng.random_range(0.0..duration - 2.0);
                            (start, start + rng.random_range(0.3..2.0))
                        })
                        .collect();
                    recording(duration, &calls)
                })
                .collect();
            let folds = rng.random_range(2..6);
            let Some(plan) = plan_folds(&recordings, folds, 2.0, 0.5, case) else {
                panic!("no plan");
            };
            for (index, r) in recordings.iter().enumerate() {
                let mine: Vec<&Block> = plan
                    .blocks
                    .iter()
                    .filter(|b| b.recording == index)
                    .collect();
                // Contiguous, in order, covering the whole recording.
                assert!(mine[0].start_secs.abs() < 1e-9);
                assert!((mine[mine.len() - 1].end_secs - r.duration_secs).abs() < 1e-9);
                for pair in mine.windows(2) {
                    assert!((pair[0].end_secs - pair[1].start_secs).abs() < 1e-9);
                    assert!(pair[0].end_secs > pair[0].start_secs);
                    // No call crosses a cut (a call that overlaps others may leave no free cut:
                    // then the recording keeps fewer blocks).
                    let cut = pair[0].end_secs;
                    assert!(
                        r.positives.iter().all(|(s, e)| cut <= *s || cut >= *e),
                        "a cut at {cut} goes through a call"
                    );
                }
                // Every positive is validated in exactly one block.
                for (s, e) in &r.positives {
                    let centre = f64::midpoint(*s, *e);
                    let holding = mine
                        .iter()
                        .filter(|b| {
                            b.contains(index, centre)
                                || (centre - b.end_secs).abs() < 1e-9
                                    && (b.end_secs - r.duration_secs).abs() < 1e-9
                        })
                        .count();
                    assert_eq!(holding, 1);
                }
            }
            let total: usize = recordings.iter().map(|r| r.positives.len()).sum();
            assert_eq!(plan.positives_per_fold().iter().sum::<usize>(), total);
            assert_eq!(
                plan,
                plan_folds(&recordings, folds, 2.0, 0.5, case).unwrap_or_else(|| panic!()),
                "same seed, same folds"
            );
        }
    }

    #[test]
    fn calls_are_shared_fairly_and_the_guard_gap_keeps_training_away() {
        // Three 15-minute recordings with 21, 24 and 8 calls, and one without: like the
        // right-whale day.
        let calls = |n: usize, seed: u64| -> Vec<(f64, f64)> {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut v: Vec<(f64, f64)> = (0..n)
                .map(|_| {
                    let s = rng.random_range(5.0..890.0);
                    (s, s + 1.5)
                })
                .collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            v
        };
        let recordings = vec![
            recording(900.0, &calls(21, 1)),
            recording(900.0, &calls(24, 2)),
            recording(900.0, &calls(8, 3)),
            recording(900.0, &[]),
        ];
        let plan = plan_folds(&recordings, 3, 5.0, 1.0, 9).unwrap_or_else(|| panic!());
        let per_fold = plan.positives_per_fold();
        assert_eq!(per_fold.iter().sum::<usize>(), 53);
        let (min, max) = (
            per_fold.iter().copied().min().unwrap_or(0),
            per_fold.iter().copied().max().unwrap_or(0),
        );
        assert!(max - min <= 8, "calls per fold {per_fold:?}");
        // Every fold validates on some time of the call-free recording or of another, and no
        // block is in two folds.
        for fold in 0..3 {
            assert!(plan.blocks_of(fold).count() >= 2);
        }
        // A window overlapping a fold's block, or within the guard gap of it, never trains that
        // fold; one well away does.
        let block = *plan.blocks_of(0).next().unwrap_or_else(|| panic!());
        let r = block.recording;
        assert!(!plan.trains(0, r, block.start_secs + 1.0, block.start_secs + 3.0));
        assert!(!plan.trains(0, r, block.end_secs + 4.0, block.end_secs + 6.0));
        assert!(!plan.trains(0, r, block.start_secs - 6.0, block.start_secs - 4.0));
        let elsewhere = plan
            .blocks
            .iter()
            .find(|b| b.fold != 0 && b.end_secs - b.start_secs > 40.0)
            .unwrap_or_else(|| panic!());
        let mid = f64::midpoint(elsewhere.start_secs, elsewhere.end_secs);
        let near_fold_0 = plan
            .blocks_of(0)
            .any(|b| b.recording == elsewhere.recording && (b.start_secs - mid).abs() < 20.0);
        if !near_fold_0 {
            assert!(plan.trains(0, elsewhere.recording, mid - 1.0, mid + 1.0));
        }
        assert_eq!(plan.fold_at(r, block.start_secs + 0.1), Some(0));
    }

    #[test]
    fn too_few_folds_or_nothing_makes_no_plan() {
        assert!(plan_folds(&[recording(100.0, &[])], 1, 1.0, 0.5, 1).is_none());
        assert!(plan_folds(&[], 3, 1.0, 0.5, 1).is_none());
    }
}
